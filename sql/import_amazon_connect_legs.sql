-- Amazon Connect contact trace records, one per line of the export, read field by field: the legs
-- a customer contact is made of. Lines that are not JSON, and records without a ContactId or a
-- parseable InitiationTimestamp, get a problem (they are set aside, never dropped silently).
-- CTR timestamps are UTC (yyyy-mm-ddThh:mm:ssZ); durations are seconds.
-- grain: one row per line of ctr_lines (source_file, source_row). params: none (reads ctr_lines).
-- output: source_file, source_row, line, problem (null when the record can be used), contact_id,
--         version (LastUpdateTimestamp), initial_contact_id, channel_type, initiation_method,
--         initiated_at, enqueued_at, queue_name, connected_at, disconnected_at, talk_seconds,
--         hold_seconds, wrap_seconds, agent_username, agent_group, customer_address, attributes (JSON).
with lines as (
    select source_file, source_row, line, json_valid(line) as valid from ctr_lines
),

records as (
    select
        source_file,
        source_row,
        line,
        valid,
        case when valid then line::json end as ctr
    from lines
),

fields as (
    select
        source_file,
        source_row,
        line,
        valid,
        ctr ->> '$.ContactId' as contact_id,
        try_cast(ctr ->> '$.LastUpdateTimestamp' as timestamptz) as version,
        coalesce(ctr ->> '$.InitialContactId', ctr ->> '$.ContactId') as initial_contact_id,
        upper(ctr ->> '$.Channel') as channel_type,
        upper(ctr ->> '$.InitiationMethod') as initiation_method,
        ctr ->> '$.InitiationTimestamp' as initiated_text,
        try_cast(ctr ->> '$.InitiationTimestamp' as timestamptz) as initiated_at,
        try_cast(ctr ->> '$.Queue.EnqueueTimestamp' as timestamptz) as enqueued_at,
        ctr ->> '$.Queue.Name' as queue_name,
        try_cast(ctr ->> '$.Agent.ConnectedToAgentTimestamp' as timestamptz) as connected_at,
        try_cast(ctr ->> '$.DisconnectTimestamp' as timestamptz) as disconnected_at,
        try_cast(ctr ->> '$.Agent.AgentInteractionDuration' as double) as talk_seconds,
        try_cast(ctr ->> '$.Agent.CustomerHoldDuration' as double) as hold_seconds,
        try_cast(ctr ->> '$.Agent.AfterContactWorkDuration' as double) as wrap_seconds,
        ctr ->> '$.Agent.Username' as agent_username,
        ctr ->> '$.Agent.HierarchyGroups.Level1.GroupName' as agent_group,
        ctr ->> '$.CustomerEndpoint.Address' as customer_address,
        ctr -> '$.Attributes' as attributes
    from records
),

final as (
    select
        source_file,
        source_row,
        line,
        case
            when not valid then 'not a JSON record'
            when contact_id is null then 'field ContactId: missing'
            when initiated_text is null then 'field InitiationTimestamp: missing'
            when initiated_at is null then 'field InitiationTimestamp: not a timestamp'
            when channel_type is null or channel_type not in ('VOICE', 'CHAT', 'EMAIL', 'TASK')
                then 'field Channel: not VOICE, CHAT, EMAIL or TASK'
            when channel_type = 'TASK' then 'a task (agent work item), not a customer contact'
            when initiation_method in ('OUTBOUND', 'EXTERNAL_OUTBOUND', 'MONITOR', 'AGENT_REPLY')
                then 'not an inbound customer contact (InitiationMethod ' || initiation_method || ')'
        end as problem,
        contact_id,
        version,
        initial_contact_id,
        channel_type,
        initiation_method,
        initiated_at,
        enqueued_at,
        queue_name,
        connected_at,
        disconnected_at,
        talk_seconds,
        hold_seconds,
        wrap_seconds,
        agent_username,
        agent_group,
        customer_address,
        attributes
    from fields
)

select * from final order by source_file, source_row
