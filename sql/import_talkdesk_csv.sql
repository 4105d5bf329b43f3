-- A Talkdesk calls report (CSV) as DuckDB reads it, every value as text, in the columns cxdash reads
-- under their canonical names. The caller names each of the file's columns from its header ($columns,
-- in the file's order: a column cxdash reads by its canonical name, any other unused_<position>); a
-- canonical column the file lacks is null (the empty template below). A row DuckDB cannot split into
-- the header's fields (too few or too many, a stray quote, bytes that are not UTF-8) goes to DuckDB's
-- reject table (store_rejects) with its line, for import_talkdesk_csv_rejects.sql; blank lines hold no
-- row. source_row numbers the rows read in the file's order (row_number over the scan, which DuckDB
-- feeds in order: preserve_insertion_order); the caller turns it into the line the row begins on.
-- grain: one row per record of the file that splits into the header's fields.
-- params: $path, $columns (column name -> 'VARCHAR', one per field of the header), $delimiter.
-- output: call_id, type, start_at, end_at, talk_time, wait_time, hold_time, wrap_time, user_id,
--         agent_name, handling_user_id, handling_agent_name, team_name, ring_groups, csat_score (text),
--         source_row (the row's number among those read), problem, record (null: no problem yet).
with template as (
    select
        null::varchar as call_id,
        null::varchar as type,
        null::varchar as start_at,
        null::varchar as end_at,
        null::varchar as talk_time,
        null::varchar as wait_time,
        null::varchar as hold_time,
        null::varchar as wrap_time,
        null::varchar as user_id,
        null::varchar as agent_name,
        null::varchar as handling_user_id,
        null::varchar as handling_agent_name,
        null::varchar as team_name,
        null::varchar as ring_groups,
        null::varchar as csat_score
    where false
),

report as (
    select * from template
    union all by name
    select *
    from read_csv($path, header = true, columns = $columns, delim = $delimiter, quote = '"', escape = '"',
                  auto_detect = false, strict_mode = true, null_padding = false, store_rejects = true)
),

final as (
    select
        call_id,
        type,
        start_at,
        end_at,
        talk_time,
        wait_time,
        hold_time,
        wrap_time,
        user_id,
        agent_name,
        handling_user_id,
        handling_agent_name,
        team_name,
        ring_groups,
        csat_score,
        row_number() over () as source_row,
        null::varchar as problem,
        null::varchar as record
    from report
)

select * from final
