-- Contacts by local weekday and hour for a date range, the intraday and weekly shape's one query.
-- grain: local weekday (0 = Monday) x local hour (0-23) x channel; only cells with contacts.
-- params: $start, $end (local dates, inclusive), $channels (list; empty means all).
-- output: weekday, hour, channel, contacts.
with filtered as (
    select *
    from hourly
    where day between $start and $end
        and (len($channels) = 0 or list_contains($channels, channel))
),

final as (
    select
        (isodow(day) - 1)::integer as weekday,
        hour,
        channel,
        sum(contacts)::bigint as contacts
    from filtered
    group by all
)

select * from final order by weekday, hour, channel
