-- Every customer's first-order cohort and their value over 12 and 24 months, before any service is
-- counted: the customer_outcomes columns, with no contacts yet (sql/customer_outcomes.sql adds them).
-- Months are local calendar months; a customer's 12 months are their cohort month and the 11 after
-- it. Purchases have revenue >= 0; refunds are rows with negative revenue, counted in value but not
-- as purchases.
-- grain: customer (with at least one purchase). params: $orders (prepared clean files), $timezone.
-- output: the columns of sql/customer_outcomes.sql; contacts and ratings 0, NPS empty.
with orders as (
    select customer_id, ordered_at, revenue_usd
    from read_parquet($orders)
),

first_purchases as (
    select
        customer_id,
        min(ordered_at) as first_order_at,
        date_trunc('month', timezone($timezone, min(ordered_at)))::date as cohort_month
    from orders
    where revenue_usd >= 0
    group by customer_id
),

-- the instants each cohort's 12th and 24th months end, so that each order is compared in UTC rather
-- than converted to local time one by one (and each cohort month converted once, not per customer)
cohort_ends as (
    select
        cohort_month,
        timezone($timezone, (cohort_month + interval 12 month)::timestamp) as end_12m_at,
        timezone($timezone, (cohort_month + interval 24 month)::timestamp) as end_24m_at
    from (select distinct cohort_month from first_purchases)
),

firsts as (
    select *
    from first_purchases
    join cohort_ends using (cohort_month)
),

value as (
    select
        firsts.customer_id,
        coalesce(sum(revenue_usd) filter (where ordered_at < end_12m_at), 0) as revenue_12m_usd,
        coalesce(sum(revenue_usd) filter (where ordered_at < end_24m_at), 0) as revenue_24m_usd,
        count(*) filter (where revenue_usd >= 0 and ordered_at < end_12m_at) as purchases_12m
    from firsts
    join orders using (customer_id)
    group by firsts.customer_id
),

final as (
    select
        firsts.customer_id,
        firsts.cohort_month,
        firsts.first_order_at,
        value.revenue_12m_usd,
        value.revenue_24m_usd,
        value.purchases_12m,
        0::bigint as contacts_12m,
        0::bigint as fcr_known_12m,
        0::bigint as fcr_unresolved_12m,
        null::integer as nps_last_12m,
        0::bigint as csat_good_12m,
        0::bigint as csat_bad_12m
    from firsts
    join value using (customer_id)
)

select * from final order by cohort_month, customer_id
