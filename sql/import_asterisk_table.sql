-- The rows of a queue_log table dump in the form import_asterisk_log.sql gives a log's lines, so both
-- are made into calls alike: each row written as the queue_log line it stands for
-- (time|callid|queuename|agent|event|data1|...|data5, or ...|event|data) and judged as a line is.
-- The time: epoch seconds; a date and time with an offset; or a local one, which is its minute's
-- instant (asterisk_table_minutes, from the importer: the UTC instant the local minute starts, null
-- when the clock skips it) plus its seconds.
-- grain: one row per data row (source_row: its number counting the header as 1, the line number
--        when no value spans lines).
-- params: $name (the file's name for messages), $file (its place in the import, from 0), $limit
--         (characters of a row kept for the set-aside list), $skipped (the reason of a local time the
--         clock skips), $agent_or_system (the reason of those rows), $agent_system_events,
--         $no_call_ids (as import_asterisk_log.sql's). Reads asterisk_table_rows
--         (import_asterisk_table_rows.sql) and asterisk_table_minutes (minute, start).
-- output: as import_asterisk_log.sql.
with rows as (
    select
        r.*,
        minutes.start + (r.local_time - minutes.minute) as localized,
        string_split(r.data, '|') as data_fields,
        concat_ws('|', r.time_text, r.callid, r.queue_name, r.agent, r.event, r.data) as line
    from asterisk_table_rows as r
    left join asterisk_table_minutes as minutes
        on minutes.minute = date_trunc('minute', r.local_time)
),

judged as (
    select
        *,
        case
            when seconds > 0 and seconds < 1e11 then to_timestamp(seconds)
            when seconds is null then coalesce(aware_time, localized)
        end as time,
        case
            when time_text = '' then 'malformed row: no time'
            when seconds is not null and not (seconds > 0 and seconds < 1e11)
                then 'malformed row: the time is not a number of seconds since 1970'
            when seconds is null and aware_time is null and local_time is null then 'time: not a timestamp'
            when local_time is not null and localized is null then $skipped
            when event = '' then 'malformed row: no event'
            when list_contains($agent_system_events, event) or list_contains($no_call_ids, upper(callid))
                then $agent_or_system
        end as problem
    from rows
),

final as (
    select
        $name as source_file,
        $file::integer as file_index,
        data_row + 1 as source_row,
        line as text,
        case when length(line) > $limit then left(line, $limit) end as record,
        false as had_nul,
        true as shaped,  -- its header says it is a queue_log table
        problem,
        case when problem is null or problem = $agent_or_system then time end as time,
        callid,
        queue_name,
        agent,
        event,
        data_fields[2] as data2,
        data_fields[4] as data4
    from judged
)

select * from final
