-- The lines of a JSON-lines export, for a file DuckDB's JSON reader read leniently (a line that is not
-- JSON, or holds no record, gave it a row of nulls): each non-empty line's place among the values the
-- reader saw (ordinal) and its line number, as an editor shows it; for the lines asked for ($wanted),
-- the line as written and why it is no record (not valid JSON, not a JSON object; null: a JSON object
-- with none of the fields read). The file is streamed, not loaded.
-- grain: one row per non-empty line (ordinal unique).
-- params: $path, $separator (a character that never occurs unescaped in JSON, so a line is one value),
--         $size (the longest line, in bytes), $wanted (the ordinals of the lines to keep), $limit
--         (characters of a line kept).
-- output: ordinal, line_no, problem, record.
with numbered as (
    select
        row_number() over () as line_no,
        line
    from read_csv($path, columns = {'line': 'VARCHAR'}, header = false, delim = $separator, quote = '',
                  escape = '', auto_detect = false, strict_mode = false, max_line_size = $size,
                  buffer_size = 2 * $size)
),

values_read as (
    -- the reader skips blank lines
    select
        row_number() over () as ordinal,
        line_no,
        line
    from numbered
    where regexp_matches(line, '[^ \t\r]')
),

final as (
    select
        ordinal,
        line_no,
        case when list_contains($wanted, ordinal) then case
            when not json_valid(line) then 'not valid JSON'
            when json_type(line) <> 'OBJECT' then 'not a JSON object'
        end end as problem,
        case when list_contains($wanted, ordinal) then left(line, $limit) end as record
    from values_read
)

select * from final
