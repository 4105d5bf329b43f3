-- Orders per local month, split by whether the customer had a product-usage coaching contact
-- before the order: the basis of the monthly return and warranty-claim rates.
-- grain: month x after_coaching. params: $orders (prepared clean files), $coaching (each
-- customer's first coaching contact: sql/customer_coaching.sql), $timezone, $since (an instant: only the months from its local month on
-- are counted, what changes when a customer's first coaching contact comes earlier; null: every
-- month).
-- output: month, after_coaching, orders, returned, warranty_claims, revenue_usd, refunds_usd.
with orders as (
    select *
    from read_parquet($orders)
    where $since::timestamptz is null
        or ordered_at >= timezone($timezone,
                                  date_trunc('month', timezone($timezone, $since::timestamptz)))
),

coached as (
    select customer_id, first_coached_at
    from read_parquet($coaching)
    where first_coached_at is not null
),

flagged as (
    select
        date_trunc('month', timezone($timezone, orders.ordered_at))::date as month,
        coalesce(orders.ordered_at > coached.first_coached_at, false) as after_coaching,
        orders.revenue_usd,
        orders.returned,
        orders.warranty_claim
    from orders
    left join coached using (customer_id)
),

final as (
    select
        month,
        after_coaching,
        count(*) filter (where revenue_usd >= 0) as orders,
        count(*) filter (where revenue_usd >= 0 and returned) as returned,
        count(*) filter (where revenue_usd >= 0 and warranty_claim) as warranty_claims,
        coalesce(sum(revenue_usd) filter (where revenue_usd >= 0), 0) as revenue_usd,
        coalesce(-sum(revenue_usd) filter (where revenue_usd < 0), 0) as refunds_usd
    from flagged
    group by all
)

select * from final order by month, after_coaching
