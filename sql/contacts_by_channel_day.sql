-- Contacts per channel and day for a date range and the shared filters.
-- grain: local day x channel. params: $start, $end, $channels, $queues, $teams.
-- output: day, channel, contacts, served.
with filtered as (
    select *
    from daily
    where day between $start and $end
        and (len($channels) = 0 or list_contains($channels, channel))
        and (len($queues) = 0 or list_contains($queues, queue))
        and (len($teams) = 0 or list_contains($teams, team))
),

final as (
    select day, channel, sum(contacts) as contacts, sum(served) as served
    from filtered
    group by all
)

select * from final order by day, channel
