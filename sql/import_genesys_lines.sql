-- Chosen lines of a Genesys Cloud JSON-lines export, as text, read as import_genesys_conversations.sql
-- reads the file's lines (line numbers count blank lines, as an editor does): the lines the importer's
-- first pass (import_genesys_values.sql) could not make a contact of, written to a file of their own
-- for import_genesys_conversations.sql to read whole (their reasons and the lines as written). The
-- first pass numbered values, not lines; they are the same when the file has no blank line and no
-- more lines than values: any blank line, and any line after the last value, is kept too, so that
-- the importer sees more lines than it chose and reads the file in one pass instead. The file is
-- streamed, not loaded.
-- grain: one row per kept line (line_no unique), in the file's order.
-- params: $path, $separator (a character that never occurs unescaped in JSON, so a line is one value),
--         $wanted (the line numbers to keep), $values (the values the first pass read).
-- output: line_no, line.
with lines as (
    select
        ordinality as line_no,
        line,
        -- as import_genesys_conversations.sql tells a blank line
        case when line is null then true when ord(line) in (32, 9, 13) then trim(line) = '' else false end
            as blank
    from read_csv($path, columns = {'line': 'VARCHAR'}, header = false, delim = $separator,
                  quote = '', escape = '', auto_detect = false, strict_mode = false,
                  max_line_size = 8388608, buffer_size = 16777216) with ordinality
),

final as (
    select line_no, line
    from lines
    where line_no in (select unnest($wanted::bigint[])) or blank or line_no > $values
)

select * from final
