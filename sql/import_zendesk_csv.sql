-- A Zendesk CSV export (tickets, ticket metrics or satisfaction ratings: one kind a file, told from its
-- header) read line by line into the importer's flattened fields. Quoted fields may hold commas,
-- doubled quotes and line breaks: a record runs on while a quote is open. A record with another
-- number of fields than the header is set aside with both numbers; a record of empty fields is skipped.
-- The file is streamed, not loaded.
-- grain: one row per record after the header (value_no: the line it starts on, as an editor shows it).
-- params: $path, $file_no (the file's place in the import),
--         $separator (a character that never occurs in the
--         file), $names (the header's columns, normalised: lower case, runs of other characters than
--         letters and digits as one _, the API's nested names flattened: via_channel), $kind (ticket,
--         metric or rating), $size (the longest line, in bytes), $limit (characters of a record kept).
-- output: the columns of import_zendesk_records.sql.
with numbered as (
    select
        row_number() over () as line_number,
        coalesce(line, '') as line
    from read_csv($path, columns = {'line': 'VARCHAR'}, header = false, delim = $separator, quote = '',
                  escape = '', auto_detect = false, strict_mode = false, max_line_size = $size,
                  buffer_size = 2 * $size)
),

quoted as (
    -- a line starts a record unless a quote opened before it is still open (an odd count before it)
    select
        line_number,
        line,
        coalesce(sum(length(line) - length(replace(line, '"', ''))) over (
            order by line_number rows between unbounded preceding and 1 preceding), 0) % 2 = 0 as starts
    from numbered
),

grouped as (
    select *, sum(starts::integer) over (order by line_number) as record_number
    from quoted
),

records as (
    select
        min(line_number) as source_row,
        string_agg(line, chr(10) order by line_number) as text
    from grouped
    group by record_number
),

split as (
    -- each field with the comma after it (the text is given one more): a field is never an empty match
    select
        source_row,
        text,
        list_transform(regexp_extract_all(text || ',', '("(?:[^"]|"")*"|[^,]*),', 1),
                       lambda field: case when field like '"%"' and length(field) >= 2
                                          then replace(field[2:-2], '""', '"') else field end) as fields
    from records
    where source_row > 1
),

valued as (
    select
        *,
        list_transform(fields, lambda field: nullif(trim(field), '')) as values_read
    from split
    where list_bool_or(list_transform(fields, lambda field: trim(field) <> ''))
),

final as (
    select
        $file_no as file_no,
        source_row as value_no,
        0 as item,
        $kind as kind,
        case when len(fields) <> len($names)
            then 'expected ' || len($names) || ' fields, found ' || len(fields) end as problem,
        case when len(fields) <> len($names) then left(text, $limit) end as record,
        values_read[list_position($names, 'id')] as id,
        values_read[list_position($names, 'ticket_id')] as ticket_id,
        values_read[list_position($names, 'created_at')] as created_at,
        values_read[list_position($names, 'updated_at')] as updated_at,
        values_read[list_position($names, 'status')] as status,
        values_read[list_position($names, 'via_channel')] as via,
        values_read[list_position($names, 'assignee_id')] as assignee_id,
        values_read[list_position($names, 'group_id')] as group_id,
        values_read[list_position($names, 'requester_id')] as requester_id,
        values_read[list_position($names, 'subject')] as subject,
        values_read[list_position($names, 'satisfaction_rating_score')] as inline_score,
        values_read[list_position($names, 'score')] as score,
        values_read[list_position($names, 'solved_at')] as solved_at,
        values_read[list_position($names, 'reopens')] as reopens,
        values_read[list_position($names, 'replies')] as replies,
        values_read[list_position($names, 'reply_time_in_minutes_calendar')] as reply_minutes,
        values_read[list_position($names, 'full_resolution_time_in_minutes_calendar')] as full_minutes
    from valued
)

select * from final
