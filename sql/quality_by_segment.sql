-- Quality measures for a date range and the shared filters, broken down by one dimension: the
-- movers table compares a day (or week, or month) with the baseline segment by segment.
-- grain: segment (a value of $dimension: channel, queue, team, agent or tier).
-- params: $start, $end (local dates, inclusive), $dimension, $channels, $queues, $teams
-- (lists; empty means all).
-- output: segment and the sum of every measure of the detailed rollup (rollup_daily.sql).
with filtered as (
    select *
    from quality
    where day between $start and $end
        and (len($channels) = 0 or list_contains($channels, channel))
        and (len($queues) = 0 or list_contains($queues, queue))
        and (len($teams) = 0 or list_contains($teams, team))
),

segmented as (
    select
        -- the dimension is a bound value picked from an allow-list, never an identifier
        case $dimension
            when 'channel' then channel
            when 'queue' then queue
            when 'team' then team
            when 'agent' then agent
            when 'tier' then coalesce('tier ' || tier::varchar, '(none)')
        end as segment,
        * exclude (day, channel, queue, team, agent, tier)
    from filtered
),

final as (
    select segment, sum(columns(* exclude (segment)))
    from segmented
    group by segment
)

select * from final order by segment
