-- The customer contacts of an Amazon Connect import: the chains of legs kept (ctr_chains, the output of
-- import_amazon_connect_chains.sql, which chains, judges and shapes them), a drop or an unknown set
-- aside left out, with first-contact resolution: unless the record's attributes say, no other kept
-- contact from the same customer within $repeat_days days after; unknown (null) for contacts whose
-- window runs past the export's last contact (set-aside chains included), or without a customer
-- address. A contact set aside is no repeat of an earlier one.
-- grain: one row per kept chain (a customer contact; unique interaction_id).
-- params: $repeat_days (reads ctr_chains).
-- output: the contract's interaction columns, source_updated_at, source_file, source_row.
with next_contacts as (
    -- each kept contact's customer's next kept contact. Ids and times only: a window over every
    -- column would sort them all
    select
        interaction_id,
        lead(arrived_at) over (partition by customer_id order by arrived_at, interaction_id)
            as next_contact_at
    from ctr_chains
    where customer_id is not null and not set_aside
),

repeats as (
    select
        ctr_chains.*,
        next_contacts.next_contact_at,
        (select max(arrived_at) from ctr_chains) as export_ends_at
    from ctr_chains left join next_contacts using (interaction_id)
    where not set_aside
),

final as (
    select
        interaction_id,
        channel,
        arrived_at,
        queue,
        answered_at,
        ended_at,
        abandoned,
        talk_seconds,
        hold_seconds,
        wrap_seconds,
        agent_id,
        team,
        tier,
        case
            when resolved_attribute is not null then resolved_attribute
            when answered_at is null or customer_id is null then null
            when next_contact_at is not null
                then next_contact_at > arrived_at + to_days($repeat_days)
            when arrived_at + to_days($repeat_days) <= export_ends_at then true
        end as resolved_first_contact,
        csat_score,
        nps_score,
        ces_score,
        customer_id,
        source_updated_at,
        source_file,
        source_row
    from repeats
)

-- in no particular order: the month files are written in time order, and sorting a million rows
-- with all their columns here would cost a second
select * from final
