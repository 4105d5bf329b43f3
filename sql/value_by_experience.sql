-- Customers of the chosen cohorts grouped by the service they had in their first 12 months, with
-- what the confidence intervals need: group size, sum and sum of squares of 12-month value, and
-- how many bought again. Each comparison sets one group (side 'a') against another (side 'b');
-- customers who fit neither side of a comparison (NPS passives, only neutral ratings) are left out.
-- grain: comparison x side. params: $first_cohort, $last_cohort (first days of months, inclusive).
-- output: comparison, side, customers, revenue_usd, revenue_squared, repeat_customers.
with customers as (
    select *
    from customer_outcomes
    where cohort_month between $first_cohort and $last_cohort
),

grouped as (
    select 'contact' as comparison,
        case when contacts_12m > 0 then 'a' else 'b' end as side, *
    from customers
    union all
    select 'first_contact_resolution',
        case when fcr_unresolved_12m = 0 then 'a' else 'b' end, *
    from customers
    where fcr_known_12m > 0
    union all
    select 'nps',
        case when nps_last_12m >= 9 then 'a' when nps_last_12m <= 6 then 'b' end, *
    from customers
    where nps_last_12m is not null
    union all
    select 'csat',
        case when csat_bad_12m > 0 then 'b' when csat_good_12m > 0 then 'a' end, *
    from customers
    where csat_good_12m + csat_bad_12m > 0
),

final as (
    select
        comparison,
        side,
        count(*) as customers,
        sum(revenue_12m_usd) as revenue_usd,
        sum(revenue_12m_usd * revenue_12m_usd) as revenue_squared,
        count(*) filter (where purchases_12m >= 2) as repeat_customers
    from grouped
    where side is not null
    group by all
)

select * from final order by comparison, side
