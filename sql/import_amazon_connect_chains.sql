-- Customer contacts from Amazon Connect legs (the newest version of each contact trace record,
-- inbound only), before first-contact resolution (import_amazon_connect_contacts.sql adds it): a
-- transfer's legs, chained by InitialContactId, make one customer contact, so a transferred call counts
-- once and its handle time is the sum of its legs. Abandoned = queued but never connected to an agent.
-- A contact that never queued nor reached an agent is judged (self_service): contained self-service or
-- a drop. First the contact attribute: the self-service attribute (outcome, as
-- import_amazon_connect_legs.sql reads it) of the last leg that has one; a value in $contained_values
-- means contained, in $dropped_values a drop (values compared trimmed, in lower case). Else an email,
-- which no one can hang up on, was answered by its flow (contained). Else the duration, from the first
-- leg's start to the last leg's end: at least $menu_drop_seconds is contained, shorter a drop; without
-- a usable end (none, or before the start) it is unknown. A drop or an unknown is no contact: it is
-- set aside (set_aside; the importer gives the reason).
-- The importer keeps these rows as the table ctr_chains, read by import_amazon_connect_contacts.sql
-- (the contacts) and import_amazon_connect_judged.sql (what the judging decided).
-- grain: one row per chain of legs (a customer contact, or a drop or unknown to set aside; unique
--        interaction_id).
-- params: $contained_values, $dropped_values, $menu_drop_seconds (reads ctr_legs, the output of
--         import_amazon_connect_legs.sql, which reads each leg's self-service attribute).
-- output: the contract's interaction columns but resolved_first_contact; resolved_attribute (what the
--         attributes say of it), source_updated_at, source_file, source_row, legs; self_service (null:
--         the contact queued or reached an agent; contained, drop or unknown), decided_by (attribute,
--         email, duration, no end time), attribute_key (the self-service attribute's name as written,
--         when the contact had one, whether or not its value was understood), judged_channel (the
--         channel type of a judged contact), set_aside (a drop or unknown), record (for a drop or
--         unknown: the fields that decided, as JSON).
-- (the usable legs, those without a problem, are read from ctr_legs where they are used: a scan of the
-- table is cheaper than keeping a copy of them)
with redelivered as (
    -- the few records delivered more than once (delivery is at least once)
    select contact_id from ctr_legs where problem is null group by contact_id having count(*) > 1
),

stale as (
    -- the older versions of those records (only the redelivered few are sorted), by their row of the
    -- table (a file name and line number may repeat: two files of one name in different folders)
    select ctr_legs.rowid as leg
    from ctr_legs semi join redelivered using (contact_id)
    where problem is null
    qualify row_number() over (partition by contact_id
                               order by version desc nulls last, source_file desc, source_row desc) > 1
),

legs as not materialized (
    -- usable records only, the newest version of each; not materialized: each reader scans the table
    -- (a copy of a million legs would spill)
    select * exclude (problem, line)
    from ctr_legs anti join stale on ctr_legs.rowid = stale.leg
    where problem is null
),

transferred as (
    -- the contacts made of several legs (a transfer creates a record chained to the first)
    select initial_contact_id from legs group by initial_contact_id having count(*) > 1
),

single as (
    -- a contact of one record, as it is
    select
        initial_contact_id as interaction_id,
        channel_type,
        initiated_at,
        enqueued_at,
        queue_name as first_queue,
        queue_name as any_queue,
        connected_at as answered_at,
        disconnected_at as ended_at,
        talk_seconds,
        hold_seconds,
        wrap_seconds,
        (connected_at is not null)::integer as agent_legs,
        agent_username as last_agent,
        case when agent_username is not null then agent_group end as last_group,
        customer_address,
        tier,
        resolved_attribute,
        csat_score,
        nps_score,
        ces_score,
        outcome,
        -- only a chain that is judged may be set aside with its ids: the rest carry none
        case when enqueued_at is null and connected_at is null then contact_id end as contact_ids,
        version,
        source_file,
        source_row,
        1 as legs
    from legs anti join transferred using (initial_contact_id)
),

chained as (
    -- the first leg (by start) gives the arrival, channel, queue and customer; the leg that ended
    -- the contact names its agent and team; what a flow stored in the attributes: the highest tier
    -- reached, the last leg's answers
    select
        initial_contact_id as interaction_id,
        arg_min(channel_type, (initiated_at, contact_id)) as channel_type,
        min(initiated_at) as initiated_at,
        min(enqueued_at) as enqueued_at,
        arg_min(queue_name, (initiated_at, contact_id)) as first_queue,
        min(queue_name) as any_queue,
        min(connected_at) as answered_at,
        max(disconnected_at) as ended_at,
        sum(talk_seconds) as talk_seconds,
        sum(hold_seconds) as hold_seconds,
        sum(wrap_seconds) as wrap_seconds,
        count(connected_at) as agent_legs,
        arg_max(agent_username, (coalesce(disconnected_at, initiated_at), contact_id))
            filter (where agent_username is not null) as last_agent,
        arg_max(agent_group, (coalesce(disconnected_at, initiated_at), contact_id))
            filter (where agent_username is not null) as last_group,
        arg_min(customer_address, (initiated_at, contact_id)) as customer_address,
        max(tier) as tier,
        arg_max(resolved_attribute, (coalesce(disconnected_at, initiated_at), contact_id))
            filter (where resolved_attribute is not null) as resolved_attribute,
        arg_max(csat_score, (coalesce(disconnected_at, initiated_at), contact_id))
            filter (where csat_score is not null) as csat_score,
        arg_max(nps_score, (coalesce(disconnected_at, initiated_at), contact_id))
            filter (where nps_score is not null) as nps_score,
        arg_max(ces_score, (coalesce(disconnected_at, initiated_at), contact_id))
            filter (where ces_score is not null) as ces_score,
        arg_max(outcome, (coalesce(disconnected_at, initiated_at), contact_id))
            filter (where outcome is not null) as outcome,
        string_agg(contact_id, ' ' order by initiated_at, contact_id) as contact_ids,
        max(version) as version,
        arg_min(source_file, (initiated_at, contact_id)) as source_file,
        arg_min(source_row, (initiated_at, contact_id)) as source_row,
        count(*) as legs
    from legs semi join transferred using (initial_contact_id)
    group by initial_contact_id
),

chains as (
    select * from single
    union all
    select * from chained
),

said as (
    -- what the self-service attribute says: true (contained), false (a drop), null (nothing known)
    select
        *,
        case
            when list_contains($contained_values, lower(trim(outcome.value))) then true
            when list_contains($dropped_values, lower(trim(outcome.value))) then false
        end as attribute_says,
        enqueued_at is null and answered_at is null as judged,
        ended_at is null or ended_at < initiated_at as no_end
    from chains
),

decided as (
    select
        *,
        case
            when not judged then null
            when attribute_says is not null then 'attribute'
            when channel_type = 'EMAIL' then 'email'
            when no_end then 'no end time'
            else 'duration'
        end as decided_by,
        case
            when not judged then null
            when attribute_says then 'contained'
            when not attribute_says then 'drop'
            when channel_type = 'EMAIL' then 'contained'
            when no_end then 'unknown'
            when epoch(ended_at) - epoch(initiated_at) >= $menu_drop_seconds then 'contained'
            else 'drop'
        end as self_service
    from said
),

final as (
    select
        interaction_id,
        case
            when judged then 'self_service'
            when channel_type = 'VOICE' then 'phone'
            when channel_type = 'CHAT' then 'chat'
            else 'email'
        end as channel,
        coalesce(enqueued_at, initiated_at) as arrived_at,
        coalesce(first_queue, any_queue) as queue,
        answered_at,
        ended_at,
        enqueued_at is not null and answered_at is null as abandoned,
        case when agent_legs > 0 then talk_seconds end as talk_seconds,
        case when agent_legs > 0 then hold_seconds end as hold_seconds,
        case when agent_legs > 0 then wrap_seconds end as wrap_seconds,
        last_agent as agent_id,
        last_group as team,
        tier,
        resolved_attribute,
        csat_score,
        nps_score,
        ces_score,
        case when customer_address is not null
            then 'ac-' || left(sha256(customer_address), 16) end as customer_id,
        version as source_updated_at,
        source_file,
        source_row,
        legs,
        self_service,
        decided_by,
        outcome.key as attribute_key,
        case when judged then channel_type end as judged_channel,
        coalesce(self_service in ('drop', 'unknown'), false) as set_aside,
        case when self_service in ('drop', 'unknown') then json_object(
            'ContactId', case when legs = 1 then to_json(contact_ids)
                              else to_json(string_split(contact_ids, ' ')) end,
            'Channel', channel_type,
            'InitiationTimestamp', strftime(initiated_at at time zone 'UTC', '%Y-%m-%dT%H:%M:%SZ'),
            'DisconnectTimestamp', strftime(ended_at at time zone 'UTC', '%Y-%m-%dT%H:%M:%SZ'),
            'Attributes', case when outcome is not null then json_object(outcome.key, outcome.value) end)
        end as record
    from decided
)

select * from final
