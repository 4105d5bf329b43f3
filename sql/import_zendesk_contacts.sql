-- The customer contacts of a Zendesk import: each usable ticket record (zendesk_typed; a deleted one is
-- a deletion, not a contact) with its metric and rating (zendesk_side), in the data contract's columns.
-- A ticket is asynchronous: never abandoned, no queue, tier or handle times. answered_at = created +
-- the first reply's calendar minutes; ended_at = the solve time (the metric's solved_at, else created +
-- full resolution minutes) of a ticket neither new, open, pending nor on hold; resolved_first_contact =
-- one-touch (no reopen, at most one reply) of a solved ticket with a metric; csat_score = the rating
-- record's good 5 / bad 1, else the ticket's inline rating; agent = the assignee, else the rating's.
-- Channel: the via.channel's in $via_values -> $via_channels (the defaults with the mapping's [via] over
-- them), else social for twitter*, facebook*, instagram*, whatsapp*, else email.
-- grain: one row per usable ticket record that is no deletion (file_no, value_no, item unique).
-- params: $via_values, $via_channels (the channel of each via value, position by position), $files
--         (the files' names, by file_no).
-- output: the contract's interaction columns a ticket fills, source_updated_at, source_file,
--         source_row, problem (a ticket solved before it was created: it is set aside), file_no,
--         value_no, item (where the ticket is in the export: DuckDB hands the rows over in any order,
--         the importer puts them in the export's order, which core.store's dedupe reads).
with tickets as (
    select *
    from zendesk_typed
    where kind = 'ticket' and problem is null and status is distinct from 'deleted'
),

metrics as (
    select * from zendesk_side where kind = 'metric' and in_export
),

ratings as (
    select * from zendesk_side where kind = 'rating' and in_export
),

joined as (
    select
        tickets.file_no,
        tickets.value_no,
        tickets.item,
        tickets.source_row,
        tickets.ticket_id,
        tickets.created,
        tickets.updated,
        tickets.status in ('new', 'open', 'pending', 'hold') as unsolved,
        tickets.via,
        tickets.assignee_id,
        tickets.group_id,
        tickets.requester_id,
        tickets.score as inline_score,
        metrics.kind is not null as has_metric,
        coalesce(metrics.solved,
                 tickets.created + to_microseconds(round(metrics.resolution * 60000000)::bigint)) as solve_time,
        metrics.reply,
        metrics.reopens,
        metrics.replies,
        ratings.kind is not null as has_rating,
        ratings.csat as rated,
        ratings.assignee_id as rating_assignee
    from tickets
    left join metrics on metrics.ticket_id = tickets.ticket_id
    left join ratings on ratings.ticket_id = tickets.ticket_id
),

final as (
    select
        'zd-' || ticket_id as interaction_id,
        coalesce($via_channels[list_position($via_values, via)],
                 case when regexp_matches(via, '^(twitter|facebook|instagram|whatsapp)') then 'social' end,
                 'email') as channel,
        created as arrived_at,
        created + to_microseconds(round(reply * 60000000)::bigint) as answered_at,
        case when unsolved then null else solve_time end as ended_at,
        false as abandoned,
        'zd-agent-' || coalesce(assignee_id, rating_assignee) as agent_id,
        'zd-group-' || group_id as team,
        case when has_metric and reopens is not null and replies is not null and unsolved is not true
            then reopens = 0 and replies <= 1 end as resolved_first_contact,
        case
            when has_rating then rated
            when starts_with(inline_score, 'good') then 5::double
            when starts_with(inline_score, 'bad') then 1::double
        end as csat_score,
        'zd-user-' || requester_id as customer_id,
        updated as source_updated_at,
        $files[file_no] as source_file,
        source_row,
        case when unsolved is not true and solve_time < created then 'ticket solved before it was created' end
            as problem,
        file_no,
        value_no,
        item
    from joined
)

select * from final
