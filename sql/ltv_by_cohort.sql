-- Lifetime value by first-order cohort: revenue per customer over 12 and 24 months from the first
-- order, and the share who bought again within 12 months. Whether a cohort's 12 or 24 months are
-- over yet is decided by the caller, against the last complete month of data.
-- grain: cohort_month. params: none.
-- output: cohort_month, customers, revenue_12m_usd, revenue_24m_usd, repeat_customers_12m.
with customers as (
    select * from customer_outcomes
),

final as (
    select
        cohort_month,
        count(*) as customers,
        sum(revenue_12m_usd) as revenue_12m_usd,
        sum(revenue_24m_usd) as revenue_24m_usd,
        count(*) filter (where purchases_12m >= 2) as repeat_customers_12m
    from customers
    group by cohort_month
)

select * from final order by cohort_month
