-- A Talkdesk calls report delivered as JSON, one row per call, every value as text, in the columns
-- cxdash reads (import_talkdesk_csv.sql's columns). A report is one JSON document ($whole) or JSON
-- lines (pages, arrays of calls or calls, a line each); a page holds its calls in `entries` or, in the
-- API's HAL form, in `_embedded.entries`. Each value is parsed once, into the calls' fields by the
-- caller's schema: $page_schema for a page, $list_schema for an array of calls (a call on its own is
-- read as an array of one). The schema names the fields as the file spells them, in the canonical
-- columns' order, so the columns are taken by position. A line that is not JSON counts as one record,
-- set aside with its text; a value that is no page and holds no call field is an empty call (the
-- caller skips records without a value). A line DuckDB cannot read (bytes that are not UTF-8) goes to
-- its reject table (store_rejects), for import_talkdesk_csv_rejects.sql.
-- grain: one row per call, in the file's order (source_row: its number in the file, counting a line
--        that is not JSON as one).
-- params: $path, $whole, $separator (a character that never occurs unescaped in JSON), $max_line
--         (bytes of the longest line), $page_schema, $list_schema, $limit (characters of a broken line
--         kept).
-- output: call_id, type, start_at, end_at, talk_time, wait_time, hold_time, wrap_time, user_id,
--         agent_name, handling_user_id, handling_agent_name, team_name, ring_groups, csat_score (text),
--         source_row, problem (null when the record is a call), record (the text of a broken line).
with source as (
    select content as text from read_text($path) where $whole
    union all
    select text
    from read_csv($path, columns = {'text': 'VARCHAR'}, header = false, delim = $separator, quote = '',
                  escape = '', auto_detect = false, strict_mode = false, max_line_size = $max_line,
                  buffer_size = $max_line, store_rejects = true)
    where not $whole
),

lines as (
    -- (string functions look at the first characters only: a page can be megabytes long; and no
    -- filter on the lines read, which makes DuckDB hold many more of them at once)
    select
        text,
        case when strlen(text) > 64 then false else coalesce(trim(text), '') = '' end as blank,
        starts_with(ltrim(left(text, 64)), '[') as is_list
    from source
),

parsed as (
    select
        text,
        blank,
        case when is_list then try(json_transform(text, $list_schema)) end as listed,
        case when not is_list and not blank then try(json_transform(text, $page_schema)) end as page
    from lines
),

shaped as (
    -- the calls of each value (the text itself is not carried further: only a broken line's)
    select
        case
            when listed is not null then listed
            when page.entries is not null then page.entries
            when page._embedded.entries is not null then page._embedded.entries
            when page is not null then json_transform('[' || text || ']', $list_schema)
        end as calls,
        case when listed is null and page is null and not blank then left(text, $limit) end as broken
    from parsed
),

counted as (
    select calls, broken, coalesce(len(calls), 0) + (broken is not null)::integer as records from shaped
),

numbered as (
    -- the records before each value, in the order the values were read (a running sum up to the
    -- current row: DuckDB streams it, holding nothing)
    select
        calls,
        broken,
        sum(records) over (rows between unbounded preceding and current row) - records as before
    from counted
),

items as (
    -- a broken line is one record, without a call
    select before, broken, case when broken is not null then [null] else calls end as items from numbered
),

entries as (
    select
        before,
        broken,
        unnest(items) as call,
        generate_subscripts(items, 1) as position
    from items
),

final as (
    select
        struct_extract_at(call, 1) as call_id,
        struct_extract_at(call, 2) as type,
        struct_extract_at(call, 3) as start_at,
        struct_extract_at(call, 4) as end_at,
        struct_extract_at(call, 5) as talk_time,
        struct_extract_at(call, 6) as wait_time,
        struct_extract_at(call, 7) as hold_time,
        struct_extract_at(call, 8) as wrap_time,
        struct_extract_at(call, 9) as user_id,
        struct_extract_at(call, 10) as agent_name,
        struct_extract_at(call, 11) as handling_user_id,
        struct_extract_at(call, 12) as handling_agent_name,
        struct_extract_at(call, 13) as team_name,
        struct_extract_at(call, 14) as ring_groups,
        struct_extract_at(call, 15) as csat_score,
        (before + position)::bigint as source_row,
        case when broken is not null then 'a line that is not JSON' end as problem,
        broken as record
    from entries
)

select * from final
