-- KPI measures per day for a date range and the shared filters; the registry turns them into KPIs.
-- grain: local day. params: $start, $end (dates, inclusive), $channels, $queues, $teams
-- (lists; empty means all). output: day and every measure of daily.
with filtered as (
    select *
    from daily
    where day between $start and $end
        and (len($channels) = 0 or list_contains($channels, channel))
        and (len($queues) = 0 or list_contains($queues, queue))
        and (len($teams) = 0 or list_contains($teams, team))
),

final as (
    select day, sum(columns(* exclude (day, channel, queue, team)))
    from filtered
    group by day
)

select * from final order by day
