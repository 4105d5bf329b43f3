-- Every customer's first-order cohort, their value over 12 and 24 months, and the service they had
-- in their first 12 months: the basis of lifetime value and of how service moves it. Made by adding
-- the service of the interactions files added (sql/customer_contacts.sql) to the outcomes of the
-- files before (sql/customer_value.sql, before any): counts add up and a later last NPS answer
-- replaces the one so far. Written by cohort month: only the cohorts of $customers are written.
-- grain: customer (with at least one purchase).
-- params: $customers (the outcomes so far, of the cohorts to write), $last_nps (when each customer's last NPS answer so far
-- came: sql/customer_last_nps.sql), $contacts (the service of the files added).
-- output: customer_id, cohort_month, first_order_at, revenue_12m_usd, revenue_24m_usd,
--         purchases_12m, contacts_12m, fcr_known_12m, fcr_unresolved_12m, nps_last_12m,
--         csat_good_12m, csat_bad_12m.
with customers as (
    select * from read_parquet($customers)
),

last_nps as (
    select customer_id, nps_last_at from read_parquet($last_nps)
),

added as (
    select * from read_parquet($contacts)
),

final as (
    select
        customers.customer_id,
        customers.cohort_month,
        customers.first_order_at,
        customers.revenue_12m_usd,
        customers.revenue_24m_usd,
        customers.purchases_12m,
        customers.contacts_12m + coalesce(added.contacts_12m, 0) as contacts_12m,
        customers.fcr_known_12m + coalesce(added.fcr_known_12m, 0) as fcr_known_12m,
        customers.fcr_unresolved_12m + coalesce(added.fcr_unresolved_12m, 0) as fcr_unresolved_12m,
        case
            when added.nps_last_at > last_nps.nps_last_at
                or (added.nps_last_at is not null and last_nps.nps_last_at is null)
                then added.nps_last_12m
            else customers.nps_last_12m
        end as nps_last_12m,
        customers.csat_good_12m + coalesce(added.csat_good_12m, 0) as csat_good_12m,
        customers.csat_bad_12m + coalesce(added.csat_bad_12m, 0) as csat_bad_12m
    from customers
    left join last_nps using (customer_id)
    left join added using (customer_id)
)

select * from final order by cohort_month, customer_id
