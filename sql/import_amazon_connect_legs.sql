-- Amazon Connect contact trace records, one per line of a JSON-lines export, read field by field:
-- the legs a customer contact is made of. Lines that are not JSON, and records without a ContactId
-- or a parseable InitiationTimestamp, get a problem (they are set aside, never dropped silently).
-- The file is streamed, not loaded: only the fields are kept, and the text of problem lines.
-- CTR timestamps are UTC (yyyy-mm-ddThh:mm:ssZ); durations are seconds.
-- grain: one row per non-empty line of the file read (source_row: its line number, as an editor shows it).
-- params: $path, $name (the file's name for messages), $separator (a character that never occurs
--         unescaped in JSON, so a line is one value), $limit (characters of a problem line kept),
--         $parts, $part (the lines read: those whose number is $part modulo $parts; 1, 0 for all),
--         $attribute_names (the self-service attribute's names, lower case, the first found decides).
-- output: source_file, source_row, line (problem lines only), problem (null when the record can be
--         used), contact_id, version (LastUpdateTimestamp), initial_contact_id, channel_type,
--         initiation_method, initiated_at, enqueued_at, queue_name, connected_at, disconnected_at,
--         talk_seconds, hold_seconds, wrap_seconds, agent_username, agent_group, customer_address,
--         outcome (the self-service attribute of a leg that neither queued nor reached an agent, as
--         {at, key, value}: the first of $attribute_names it has, its name as written; null for the
--         others), tier, resolved_attribute, csat_score, nps_score, ces_score (the attributes of those
--         names, typed; null when absent or not of the type).
with numbered as (
    select
        row_number() over () as source_row,
        line
    from read_csv($path, columns = {'line': 'VARCHAR'}, header = false, delim = $separator,
                  quote = '', escape = '', auto_detect = false, strict_mode = false)
),

lines as (
    select
        $name as source_file,
        source_row,
        line,
        json_valid(line) as valid
    from numbered
    -- this part's share of the lines (db.in_parts: DuckDB numbers them on one thread, and parses
    -- them in the same pipeline on it; each part parses its share on a core of its own)
    where source_row % $parts = $part
    -- a line of only blanks is no record; trimmed only when it starts with one (trimming every
    -- line of a million long records costs seconds)
      and line <> '' and case when ascii(line) in (9, 13, 32) then trim(line, chr(9) || chr(13) || ' ') <> ''
                              else true end
),

records as (
    -- one parse per record into the fields we read (a field the record lacks is null)
    select
        source_file,
        source_row,
        line,
        valid,
        case when valid then json_transform(line, '{
            "ContactId": "VARCHAR", "LastUpdateTimestamp": "VARCHAR", "InitialContactId": "VARCHAR",
            "Channel": "VARCHAR", "InitiationMethod": "VARCHAR", "InitiationTimestamp": "VARCHAR",
            "DisconnectTimestamp": "VARCHAR",
            "Queue": {"Name": "VARCHAR", "EnqueueTimestamp": "VARCHAR"},
            "Agent": {"Username": "VARCHAR", "ConnectedToAgentTimestamp": "VARCHAR",
                      "AgentInteractionDuration": "VARCHAR", "CustomerHoldDuration": "VARCHAR",
                      "AfterContactWorkDuration": "VARCHAR",
                      "HierarchyGroups": {"Level1": {"GroupName": "VARCHAR"}}},
            "CustomerEndpoint": {"Address": "VARCHAR"},
            "Attributes": "JSON"}') end as ctr
    from lines
),

fields as (
    select
        source_file,
        source_row,
        line,
        valid,
        ctr.ContactId as contact_id,
        try_cast(ctr.LastUpdateTimestamp as timestamptz) as version,
        coalesce(ctr.InitialContactId, ctr.ContactId) as initial_contact_id,
        upper(ctr.Channel) as channel_type,
        upper(ctr.InitiationMethod) as initiation_method,
        ctr.InitiationTimestamp as initiated_text,
        try_cast(ctr.InitiationTimestamp as timestamptz) as initiated_at,
        try_cast(ctr.Queue.EnqueueTimestamp as timestamptz) as enqueued_at,
        ctr.Queue.Name as queue_name,
        try_cast(ctr.Agent.ConnectedToAgentTimestamp as timestamptz) as connected_at,
        try_cast(ctr.DisconnectTimestamp as timestamptz) as disconnected_at,
        try_cast(ctr.Agent.AgentInteractionDuration as double) as talk_seconds,
        try_cast(ctr.Agent.CustomerHoldDuration as double) as hold_seconds,
        try_cast(ctr.Agent.AfterContactWorkDuration as double) as wrap_seconds,
        ctr.Agent.Username as agent_username,
        ctr.Agent.HierarchyGroups.Level1.GroupName as agent_group,
        ctr.CustomerEndpoint.Address as customer_address,
        ctr.Attributes as attributes,
        -- what a flow stored for the reports, each attribute's value as text: the attributes parsed
        -- once, here, where each part parses its share of the lines
        json_transform(ctr.Attributes, '{"tier": "VARCHAR", "resolved_first_contact": "VARCHAR",
            "csat_score": "VARCHAR", "nps_score": "VARCHAR", "ces_score": "VARCHAR"}') as said
    from records
),

judged as (
    select
        source_file,
        source_row,
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
        line,
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
        -- only a leg that neither queued nor reached an agent can be judged self-service or a drop
        case when enqueued_at is null and connected_at is null then list_sort(list_filter(list_transform(
            map_entries(try_cast(attributes as map(varchar, varchar))),
            lambda entry: {'at': list_position($attribute_names, lower(entry.key)), 'key': entry.key,
                           'value': entry.value}),
            lambda entry: entry.at is not null))[1] end as outcome,
        try_cast(said.tier as integer) as tier,
        try_cast(said.resolved_first_contact as boolean) as resolved_attribute,
        try_cast(said.csat_score as integer) as csat_score,
        try_cast(said.nps_score as integer) as nps_score,
        try_cast(said.ces_score as integer) as ces_score
    from fields
),

final as (
    -- the text of a usable record is not kept: its fields are
    select * replace (case when problem is not null then left(line, $limit) end as line)
    from judged
)

select * from final
