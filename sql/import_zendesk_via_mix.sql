-- The via channels of a Zendesk import's tickets (usable ticket records of zendesk_typed that are no
-- deletion), for the import summary: how many tickets came in through each, the contract channel each
-- is read as (as import_zendesk_contacts.sql reads it), and whether cxdash has a name for it (named =
-- false: read as email because nothing says otherwise).
-- grain: one row per via value (null: tickets without one).
-- params: $via_values, $via_channels (the channel of each via value, position by position).
-- output: via, tickets (distinct tickets, not records), channel, named.
with tickets as (
    select via, count(distinct ticket_id) as tickets
    from zendesk_typed
    where kind = 'ticket' and problem is null and status is distinct from 'deleted'
    group by via
),

named as (
    select
        via,
        tickets,
        coalesce($via_channels[list_position($via_values, via)],
                 case when regexp_matches(via, '^(twitter|facebook|instagram|whatsapp)') then 'social' end)
            as named_channel
    from tickets
),

final as (
    select
        via,
        tickets,
        coalesce(named_channel, 'email') as channel,
        named_channel is not null as named
    from named
    order by tickets desc, via nulls last
)

select * from final
