-- Costs as booked: per month, channel (a channel, or 'shared') and cost type, one-time items included
-- (cost per contact leaves them out; the report lists them).
-- grain: month x channel x cost_type. params: $first_month, $last_month (first days, inclusive).
-- output: month, channel, cost_type, amount_usd.
with booked as (
    select date_trunc('month', month)::date as month, channel, cost_type, amount_usd
    from costs
    where date_trunc('month', month) between $first_month and $last_month
),

final as (
    select month, channel, cost_type, sum(amount_usd) as amount_usd
    from booked
    group by month, channel, cost_type
)

select * from final order by month, channel, cost_type
