-- The service customers had in some interactions files, to add to their outcomes so far
-- (sql/customer_outcomes.sql): contacts in each customer's first 12 months (from their first order
-- to the end of the 11th month after their cohort month), their resolution, ratings and last NPS
-- answer with when it came, and their first coaching contact where it comes before the one so far
-- (sql/customer_coaching.sql keeps those). Counts of separate files add up and the later NPS answer
-- wins, so a month's file is added to the outcomes without reading the files before it.
-- grain: customer (of $customers) with a contact in their first 12 months or an earlier coaching
-- contact in these files.
-- params: $customers (every customer_outcomes part: cohorts), $recent (the parts of the cohorts whose
-- first 12 months can reach these files: first orders), $coaching (first coaching contacts so far:
-- sql/customer_coaching.sql), $interactions (prepared clean files), $timezone, $coaching_queues.
-- output: customer_id, cohort_month, contacts_12m, fcr_known_12m, fcr_unresolved_12m, nps_last_12m,
--         nps_last_at, csat_good_12m, csat_bad_12m, first_coached_at (null where not earlier than
--         so far).
with customers as (
    select customer_id, cohort_month from read_parquet($customers)
),

recent as (
    select customer_id, cohort_month, first_order_at from read_parquet($recent)
),

-- the instant each cohort's 12th month ends, so that each contact is compared in UTC rather than
-- converted to local time one by one (and each cohort month converted once, not per customer)
cohort_ends as (
    select cohort_month, timezone($timezone, (cohort_month + interval 12 month)::timestamp) as end_12m_at
    from (select distinct cohort_month from recent)
),

firsts as (
    select recent.customer_id, recent.cohort_month, recent.first_order_at, cohort_ends.end_12m_at
    from recent
    join cohort_ends using (cohort_month)
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
        any_value(firsts.cohort_month) as cohort_month,
        count(*) as contacts_12m,
        count(resolved_first_contact) as fcr_known_12m,
        count(*) filter (where not resolved_first_contact) as fcr_unresolved_12m,
        arg_max(nps_score, arrived_at) filter (where nps_score is not null) as nps_last_12m,
        max(arrived_at) filter (where nps_score is not null) as nps_last_at,
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

-- buyers (of any cohort) whose first coaching contact is in these files, or earlier than so far
coached_earlier as (
    select coached.customer_id, customers.cohort_month, coached.first_coached_at
    from coached
    join customers using (customer_id)
    left join read_parquet($coaching) as so_far using (customer_id)
    where so_far.first_coached_at is null or coached.first_coached_at < so_far.first_coached_at
),

final as (
    select
        customer_id,
        coalesce(experience.cohort_month, coached_earlier.cohort_month) as cohort_month,
        coalesce(experience.contacts_12m, 0) as contacts_12m,
        coalesce(experience.fcr_known_12m, 0) as fcr_known_12m,
        coalesce(experience.fcr_unresolved_12m, 0) as fcr_unresolved_12m,
        experience.nps_last_12m,
        experience.nps_last_at,
        coalesce(experience.csat_good_12m, 0) as csat_good_12m,
        coalesce(experience.csat_bad_12m, 0) as csat_bad_12m,
        coached_earlier.first_coached_at
    from experience
    full join coached_earlier using (customer_id)
)

select * from final
