-- A Zendesk JSON-lines export read line by line, for a file DuckDB's JSON reader stops at (a line cut
-- short, a line that is not JSON): each line parsed into the fields the importer uses, a line that is
-- not valid JSON or not an object given its problem (it is set aside, the other lines still count).
-- The file is streamed, not loaded.
-- grain: one row per non-empty line (value_no: its line number, as an editor shows it).
-- params: $path, $file_no (the file's place in the import), $separator (a character that never occurs
--         unescaped in JSON, so a line is one value), $structure (the fields read, as json_transform
--         takes them: those import_zendesk_json.sql reads), $size (the longest line, in bytes), $limit
--         (characters of a line kept).
-- output: file_no, value_no (the line number), problem, record (the line, for a line that is no JSON
--         object or has none of the fields read), then one column per field of $structure.
with numbered as (
    select
        row_number() over () as value_no,
        line
    from read_csv($path, columns = {'line': 'VARCHAR'}, header = false, delim = $separator, quote = '',
                  escape = '', auto_detect = false, strict_mode = false, max_line_size = $size,
                  buffer_size = 2 * $size)
),

parsed as (
    select
        value_no,
        line,
        try(json_transform(line, $structure)) as value
    from numbered
    where regexp_matches(line, '[^ \t\r]')
),

judged as (
    select
        *,
        -- a line that is no object, or an object with none of the fields read
        value is null or (value.tickets is null and value.ticket_metrics is null
            and value.metric_sets is null and value.satisfaction_ratings is null and value.ticket is null
            and value.ticket_metric is null and value.satisfaction_rating is null and value.via is null
            and coalesce(value.id, value.ticket_id, value.created_at, value.updated_at, value.status,
                         value.via_channel, value.assignee_id, value.group_id, value.requester_id,
                         value.submitter_id, value.subject, value.score, value.solved_at, value.reopens,
                         value.replies) is null
            and value.reply_time_in_minutes is null and value.full_resolution_time_in_minutes is null) as junk
    from parsed
),

final as (
    select
        $file_no as file_no,
        value_no,
        case when junk then case
            when not json_valid(line) then 'not valid JSON'
            when json_type(line) <> 'OBJECT' then 'not a JSON object'
        end end as problem,
        case when junk then left(line, $limit) end as record,
        unnest(value)
    from judged
)

select * from final
