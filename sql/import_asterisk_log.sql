-- One file of an Asterisk queue_log (time|callid|queuename|agent|event|data1|data2|...), line by line
-- as an editor numbers them, each judged on its own: the file is read whole and split at its line
-- ends (\n; a \r before it goes), so the numbers are exact; bytes that are not UTF-8 become '?'.
-- Runs of NUL bytes, which an unclean shutdown or a log rotation (copytruncate) leaves in real logs,
-- are skipped where they start or end a line; a line with NUL bytes inside it is damaged (a line cut
-- short and the next one run into it), and so is a line that carried NUL bytes and is malformed.
-- Fields are trimmed; the time is epoch seconds (a fraction allowed), the event upper case.
-- grain: one row per line of the file, blank ones included (source_row: its line number).
-- params: $path, $name (the file's name for messages), $file (its place in the import, from 0),
--         $limit (characters of a line kept for the set-aside list), $damaged, $agent_or_system (the
--         reasons of those lines), $agent_system_events (events of agents and of the system, not of
--         calls), $no_call_ids (call ids of no call: NONE, ...).
-- output: source_file, file_index, source_row, text (the line without NULs and blanks at its ends,
--         '' for a blank line: what repeated lines are recognised by), record (the line as written
--         when that is not text or has NUL bytes, a NUL run shown as ␀, cut to $limit characters;
--         else null), had_nul, shaped (the line, NUL bytes taken out, has the queue_log form),
--         problem (why the line is set aside; null for a blank line and an event of a call), time
--         (UTC), callid, queue_name, agent, event, data2 (ENTERQUEUE's caller id, COMPLETE*'s
--         calltime), data4 (*TRANSFER's calltime).
with content as materialized (
    select string_split(decode(content, 'replace'), chr(10)) as lines
    from read_blob($path)
),

numbered as materialized (
    -- materialized: the lines of one blob, judged in parallel
    select
        unnest(generate_series(1, len(lines))) as source_row,
        unnest(lines) as raw
    from content
),

ended as (
    -- a \r that ended a line (a file written on Windows) is not part of it
    select
        source_row,
        case when suffix(raw, chr(13)) then left(raw, -1) else raw end as line
    from numbered
),

stripped as (
    -- most lines start and end with a visible character: only the others are trimmed
    select
        source_row,
        line,
        case
            when line[1] <= ' ' or line[-1] <= ' '
                then trim(line, chr(0) || ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13))
            else line
        end as text,
        contains(line, chr(0)) as had_nul
    from ended
),

split as (
    select
        source_row,
        line,
        text,
        had_nul,
        case
            -- blanks around a '|' (rare): every field trimmed, as a person editing the log may leave them
            when contains(text, ' |') or contains(text, '| ') or contains(text, chr(9))
                or contains(text, chr(13))
                then list_transform(string_split(text, '|'),
                                    lambda field: trim(field, ' ' || chr(9) || chr(11) || chr(12) || chr(13)))
            else string_split(text, '|')
        end as fields
    from stripped
),

timed as (
    select
        *,
        try_cast(fields[1] as double) as seconds,
        upper(fields[5]) as event
    from split
),

judged as (
    select
        *,
        case
            when text = '' then null
            when had_nul and contains(text, chr(0)) then $damaged
            when len(fields) < 5 then
                case when had_nul then $damaged
                    else 'malformed line: ' || len(fields) || ' field(s), a queue_log line has at least 5' end
            when not coalesce(seconds > 0 and seconds < 1e11, false) then
                case when had_nul then $damaged
                    else 'malformed line: the time is not a number of seconds since 1970' end
            when event = '' then case when had_nul then $damaged else 'malformed line: no event' end
            when list_contains($agent_system_events, event) or list_contains($no_call_ids, upper(fields[2]))
                then $agent_or_system
        end as problem
    from timed
),

final as (
    select
        $name as source_file,
        $file::integer as file_index,
        source_row,
        text,
        case when had_nul or line <> text
            then left(regexp_replace(line, chr(0) || '+', '␀', 'g'), $limit) end as record,
        had_nul,
        case
            when not had_nul then problem is null or problem = $agent_or_system
            else regexp_matches(replace(text, chr(0), ''), '^\s*\d+(\.\d+)?\s*\|[^|]*\|[^|]*\|[^|]*\|\s*[^|\s]')
        end as shaped,
        problem,
        case when problem is null or problem = $agent_or_system then to_timestamp(seconds) end as time,
        fields[2] as callid,
        fields[3] as queue_name,
        fields[4] as agent,
        event,
        fields[7] as data2,
        fields[9] as data4
    from judged
)

select * from final
