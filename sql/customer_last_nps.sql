-- When each customer's last NPS answer in their first 12 months came, so far: what
-- sql/customer_outcomes.sql compares the answers of the interactions files added with.
-- grain: customer with an NPS answer in their first 12 months.
-- params: $last_nps (the times so far), $contacts (the service of the files added:
-- sql/customer_contacts.sql).
-- output: customer_id, nps_last_at.
with answers as (
    select customer_id, nps_last_at from read_parquet($last_nps)
    union all
    select customer_id, nps_last_at from read_parquet($contacts) where nps_last_at is not null
),

final as (
    select customer_id, max(nps_last_at) as nps_last_at
    from answers
    group by customer_id
)

select * from final
