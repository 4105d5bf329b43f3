-- The records of a calls report DuckDB could not split into the header's fields (or, of JSON lines,
-- could not read): the reject table of the connection's last read_csv with store_rejects
-- (import_talkdesk_csv.sql, import_talkdesk_json.sql), one row per line, with the reason as a
-- category and the record as written (its first $limit characters). A line of blanks
-- or separators only holds no record (holds_record false): the caller does not count it, as DuckDB
-- does not count a blank line, but it is a line of the file all the same.
-- grain: one row per rejected record of the last scan (line: DuckDB's line number, which counts a
--        record written over several lines once).
-- params: $limit (characters of a record kept).
-- output: line, reason, record, holds_record.
with last_scan as (
    select max(scan_id) as scan_id from reject_scans
),

errors as (
    select
        errors.line,
        errors.error_type,
        errors.error_message,
        errors.csv_line
    from reject_errors as errors
    semi join last_scan using (scan_id)
    -- DuckDB may report one line more than once (each problem it met): the first report
    qualify row_number() over (partition by errors.line order by errors.byte_position, errors.column_idx) = 1
),

final as (
    select
        line,
        case
            when error_type in ('MISSING COLUMNS', 'TOO MANY COLUMNS')
                then 'expected ' || regexp_extract(error_message, 'Expected Number of Columns: (\d+)', 1)
                    || ' fields, found ' || regexp_extract(error_message, 'Found: (\d+)', 1)
            when error_type = 'INVALID ENCODING' then 'not UTF-8 text'
            else 'not a CSV row (' || lower(rtrim(error_message, '.')) || ')'
        end as reason,
        left(csv_line, $limit) as record,
        not regexp_full_match(coalesce(csv_line, ''), '[\s,;]*') as holds_record
    from errors
)

select * from final order by line
