-- The lines of a text export (JSON lines, a log), numbered as an editor shows them, for an importer
-- to parse in SQL. Empty lines are skipped but keep their numbers counted.
-- grain: one row per non-empty line of the file. params: $path, $name (the file's name for messages),
--        $separator (a character that never occurs in the file's records, so a line is one value).
-- output: source_file, source_row (1-based line number), line.
with numbered as (
    select
        row_number() over () as source_row,
        line
    from read_csv($path, columns = {'line': 'VARCHAR'}, header = false, delim = $separator,
                  quote = '', escape = '', auto_detect = false, strict_mode = false)
),

final as (
    select
        $name as source_file,
        source_row,
        line
    from numbered
    where trim(coalesce(line, '')) <> ''
)

select * from final
