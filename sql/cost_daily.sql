-- Operating cost spread evenly over the days of its month, for the chosen channels.
-- One-time costs are left out (DOMAIN.md: cost per contact excludes one-time costs); costs booked
-- to 'shared' count only in the blended figure (no channel chosen).
-- grain: local day. params: $start, $end, $channels (empty = blended, all channels).
-- output: day, cost_usd.
with monthly as (
    select month, channel, sum(amount_usd) as amount_usd
    from costs
    where cost_type <> 'one_time'
        and (len($channels) = 0 or list_contains($channels, channel))
    group by all
),

spread as (
    select
        unnest(generate_series(month, month + interval 1 month - interval 1 day, interval 1 day))::date
            as day,
        amount_usd / extract(day from month + interval 1 month - interval 1 day) as cost_usd
    from monthly
),

final as (
    select day, sum(cost_usd) as cost_usd
    from spread
    where day between $start and $end
    group by day
)

select * from final order by day
