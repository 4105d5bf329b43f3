-- Orders, returns and warranty claims per local month, split by whether the customer had a
-- product-usage coaching contact before the order.
-- grain: month x after_coaching. params: none.
-- output: month, after_coaching, orders, returned, warranty_claims, revenue_usd, refunds_usd.
with months as (
    select * from order_months
),

final as (
    select
        month,
        after_coaching,
        sum(orders) as orders,
        sum(returned) as returned,
        sum(warranty_claims) as warranty_claims,
        sum(revenue_usd) as revenue_usd,
        sum(refunds_usd) as refunds_usd
    from months
    group by all
)

select * from final order by month, after_coaching
