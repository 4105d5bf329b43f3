-- The calls of a queue_log import: the events of each callid (read once, in time order) made into one
-- customer contact, or the reason the call is set aside whole. A call that re-enters a queue
-- (transferred to another queue, or timed out of one into another) stays one contact.
--   arrived_at, queue, customer: its first ENTERQUEUE (the caller id hashed: ast-caller- and 16 hex
--     digits of SHA-256; none when missing, anonymous or unknown); the queue renamed by the mapping.
--   answered_at, agent_id: its first CONNECT (agent kept as written; none for NONE and the like).
--   ended_at: its last ending event; talk_seconds: the sum of the calltime of COMPLETEAGENT,
--     COMPLETECALLER (data2) and TRANSFER, BLINDTRANSFER, ATTENDEDTRANSFER (data4).
--   abandoned: no CONNECT; but a call whose last ending is EXITWITHTIMEOUT (the queue's timeout: an
--     overflow) is not abandoned unless $timeout_is_abandon (timed_out says which calls those are).
--   tier: distinct agents connected, at most 3; resolved_first_contact: one agent, no transfer.
--   Set aside: a CONNECT or an ending before the first ENTERQUEUE (began before the log starts), no
--   ENTERQUEUE at all (never queued), no ending after the last ENTERQUEUE (still in progress).
-- grain: one row per callid (interaction_id = 'ast-' || callid).
-- params: $queue_names, $queue_labels (the mapping's [queues]: a name in the log, the name to show),
--         $timeout_is_abandon, $began_earlier, $in_progress (the reasons of those calls), $limit
--         (characters of a line kept). Reads asterisk_lines (import_asterisk_log.sql,
--         import_asterisk_table.sql) and asterisk_repeats (import_asterisk_repeats.sql).
-- output: interaction_id, channel, arrived_at, queue, answered_at, ended_at, abandoned, talk_seconds,
--         agent_id, tier, resolved_first_contact, customer_id, source_updated_at (the last event),
--         file_index, source_file, source_row (the first ENTERQUEUE, else the first event), reason
--         (null for a contact), record (a set-aside call's lines, in time order), events (lines),
--         timed_out.
with events as not materialized (
    -- the first reading of every line of a call, read where it is needed (copying a million lines
    -- costs more than scanning them again); seq orders them by time, then file, then line
    select
        (epoch_us(time)::hugeint << 40) + (file_index::hugeint << 32) + source_row as seq,
        file_index,
        source_file,
        source_row,
        time,
        callid,
        queue_name,
        agent,
        event,
        data2,
        data4
    from asterisk_lines
    anti join asterisk_repeats using (file_index, source_row)
    where text <> '' and problem is null
),

lines as (
    select
        callid,
        count(*) as events,
        max(time) as last_event_at
    from events
    group by callid
),

entries as (
    select
        callid,
        min(seq) as first_entry,
        max(seq) as last_entry,
        arg_min({'time': time, 'queue': queue_name, 'caller': coalesce(data2, ''),
                 'file_index': file_index, 'source_file': source_file, 'source_row': source_row}, seq)
            as entry
    from events
    where event = 'ENTERQUEUE'
    group by callid
),

connects as (
    select
        callid,
        count(*) as connects,
        min(seq) as first_connect,
        arg_min({'time': time, 'agent': agent}, seq) as connect,
        count(distinct agent) as agents
    from events
    where event = 'CONNECT'
    group by callid
),

endings as (
    select
        callid,
        min(seq) as first_ending,
        max(seq) as last_ending,
        arg_max({'time': time, 'event': event}, seq) as ending,
        count(*) filter (where event in ('TRANSFER', 'BLINDTRANSFER', 'ATTENDEDTRANSFER')) as transfers,
        sum(calltime) filter (where calltime >= 0 and isfinite(calltime)) as talk_seconds
    from (
        select
            *,
            case
                when event in ('COMPLETEAGENT', 'COMPLETECALLER') then try_cast(data2 as double)
                when event in ('TRANSFER', 'BLINDTRANSFER', 'ATTENDEDTRANSFER') then try_cast(data4 as double)
            end as calltime
        from events
        where event in ('COMPLETEAGENT', 'COMPLETECALLER', 'TRANSFER', 'BLINDTRANSFER', 'ATTENDEDTRANSFER',
                        'ABANDON', 'EXITWITHTIMEOUT', 'EXITEMPTY', 'EXITWITHKEY', 'AGENTDUMP')
    ) as ending_events
    group by callid
),

calls as (
    select
        lines.callid,
        lines.events,
        lines.last_event_at,
        entries.first_entry,
        entries.last_entry,
        least(connects.first_connect, endings.first_ending) as first_served,
        endings.last_ending,
        endings.ending.event as last_ending_event,
        endings.ending.time as ended_at,
        entries.entry.time as arrived_at,
        entries.entry.queue as entered_queue,
        entries.entry.caller as caller,
        entries.entry.file_index as entry_file_index,
        entries.entry.source_file as entry_file,
        entries.entry.source_row as entry_row,
        coalesce(connects.connects, 0) as connects,
        connects.connect.time as answered_at,
        connects.connect.agent as first_agent,
        connects.agents,
        coalesce(endings.transfers, 0) as transfers,
        endings.talk_seconds
    from lines
    left join entries using (callid)
    left join connects using (callid)
    left join endings using (callid)
),

judged as (
    select
        *,
        case
            when first_served is not null and (first_entry is null or first_served < first_entry)
                then $began_earlier  -- its arrival is in an earlier log: import the rotations together
            when first_entry is null then 'not a queue call'
            when last_ending is null or last_ending < last_entry then $in_progress
        end as reason
    from calls
),

set_aside as (
    -- the lines of a call set aside, kept whole; a call that never queued names its events
    select
        callid,
        string_agg(coalesce(record, left(text, $limit)), chr(10) order by time, file_index, source_row)
            as record,
        arg_min(file_index, (time, file_index, source_row)) as file_index,
        arg_min(source_file, (time, file_index, source_row)) as source_file,
        arg_min(source_row, (time, file_index, source_row)) as source_row,
        string_agg(distinct event, ', ' order by event) as kinds
    from asterisk_lines
    anti join asterisk_repeats using (file_index, source_row)
    semi join (select callid from judged where reason is not null) as aside using (callid)
    where text <> '' and problem is null
    group by callid
),

contacts as (
    select
        'ast-' || judged.callid as interaction_id,
        'phone' as channel,
        arrived_at,
        nullif(coalesce($queue_labels[list_position($queue_names, entered_queue)], entered_queue), '')
            as queue,
        answered_at,
        ended_at,
        connects = 0 and (last_ending_event <> 'EXITWITHTIMEOUT' or $timeout_is_abandon) as abandoned,
        case when connects > 0 then talk_seconds end as talk_seconds,
        case when connects > 0 and upper(first_agent) not in ('', 'NONE', 'REALTIME', 'MANAGER')
            then first_agent end as agent_id,
        case when connects > 0 then least(agents, 3) end as tier,
        case when connects > 0 then agents <= 1 and transfers = 0 end as resolved_first_contact,
        case when lower(caller) not in ('', 'unknown', 'anonymous', '<unknown>', 'restricted', 'private',
                                        'none')
            then 'ast-caller-' || left(sha256(caller), 16) end as customer_id,
        last_event_at as source_updated_at,
        coalesce(set_aside.file_index, entry_file_index) as file_index,
        coalesce(set_aside.source_file, entry_file) as source_file,
        coalesce(set_aside.source_row, entry_row) as source_row,
        case
            when reason = 'not a queue call'
                then 'not a queue call: no ENTERQUEUE (events ' || set_aside.kinds || ')'
            else reason
        end as reason,
        set_aside.record,
        events,
        connects = 0 and last_ending_event = 'EXITWITHTIMEOUT' as timed_out
    from judged
    left join set_aside using (callid)
),

final as (
    select * from contacts
)

select * from final
