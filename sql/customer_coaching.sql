-- Each customer's first product-usage coaching contact so far: what sql/customer_contacts.sql
-- compares the coaching contacts of the interactions files added with, and what
-- sql/order_months.sql splits orders by. Kept apart from the outcomes (written by cohort month), since
-- a month's coaching contacts come from customers of every cohort.
-- grain: customer with a coaching contact. params: $coaching (the first contacts so far),
-- $contacts (the service of the files added: sql/customer_contacts.sql).
-- output: customer_id, first_coached_at.
with coached as (
    select customer_id, first_coached_at from read_parquet($coaching)
    union all
    select customer_id, first_coached_at from read_parquet($contacts) where first_coached_at is not null
),

final as (
    select customer_id, min(first_coached_at) as first_coached_at
    from coached
    group by customer_id
)

select * from final
