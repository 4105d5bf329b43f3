-- Every customer's first-order cohort, their value over 12 and 24 months, and the service they had
-- in their first 12 months: the basis of lifetime value and of how service moves it.
-- Months are local calendar months; a customer's 12 months are their cohort month and the 11 after
-- it, counting contacts from their first order on. Purchases have revenue >= 0; refunds are rows
-- with negative revenue, counted in value but not as purchases.
-- grain: customer (with at least one purchase).
-- params: $orders, $interactions (prepared clean files), $timezone, $coaching_queues.
-- output: customer_id, cohort_month, first_order_at, revenue_12m_usd, revenue_24m_usd,
--         purchases_12m, contacts_12m, fcr_known_12m, fcr_unresolved_12m, nps_last_12m,
--         csat_good_12m, csat_bad_12m, first_coached_at.
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

-- the instants the 12th and 24th months end, so that each order and contact is compared in UTC
-- rather than converted to local time one by one
firsts as (
    select
        *,
        timezone($timezone, (cohort_month + interval 12 month)::timestamp) as end_12m_at,
        timezone($timezone, (cohort_month + interval 24 month)::timestamp) as end_24m_at
    from first_purchases
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

contacts as (
    select
        customer_id,
        arrived_at,
        resolved_first_contact,
        nps_score,
        csat_score,
        -- product-usage coaching is an agent's work: answered, in a coaching queue
        list_contains($coaching_queues, queue) and answered_at is not null
            and channel <> 'self_service' as is_coaching
    from read_parquet($interactions)
    where customer_id is not null
),

experience as (
    select
        firsts.customer_id,
        count(*) as contacts_12m,
        count(resolved_first_contact) as fcr_known_12m,
        count(*) filter (where not resolved_first_contact) as fcr_unresolved_12m,
        arg_max(nps_score, arrived_at) filter (where nps_score is not null) as nps_last_12m,
        count(*) filter (where csat_score >= 4) as csat_good_12m,
        count(*) filter (where csat_score <= 2) as csat_bad_12m
    from firsts
    join contacts
        on contacts.customer_id = firsts.customer_id
        and contacts.arrived_at >= firsts.first_order_at
        and contacts.arrived_at < firsts.end_12m_at
    group by firsts.customer_id
),

coached as (
    select customer_id, min(arrived_at) as first_coached_at
    from contacts
    where is_coaching
    group by customer_id
),

final as (
    select
        firsts.customer_id,
        firsts.cohort_month,
        firsts.first_order_at,
        value.revenue_12m_usd,
        value.revenue_24m_usd,
        value.purchases_12m,
        coalesce(experience.contacts_12m, 0) as contacts_12m,
        coalesce(experience.fcr_known_12m, 0) as fcr_known_12m,
        coalesce(experience.fcr_unresolved_12m, 0) as fcr_unresolved_12m,
        experience.nps_last_12m,
        coalesce(experience.csat_good_12m, 0) as csat_good_12m,
        coalesce(experience.csat_bad_12m, 0) as csat_bad_12m,
        coached.first_coached_at
    from firsts
    join value using (customer_id)
    left join experience using (customer_id)
    left join coached using (customer_id)
)

select * from final order by cohort_month, customer_id
