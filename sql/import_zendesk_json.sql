-- One Zendesk JSON export file read by DuckDB's JSON reader, only the fields the importer uses: one
-- row per JSON value (a line of a JSON-lines file, or an element of a top-level array), numbered in
-- the file's order. A line that is not JSON gives a row of nulls (lenient); the importer then reads
-- the file line by line (import_zendesk_json_lines.sql), which keeps such lines as written.
-- The file is streamed, not loaded; the reader numbers the values (with ordinality), as it reads them.
-- grain: one row per JSON value of the file (value_no unique: its place among the file's values, as
--        a line of a JSON-lines file without blank lines numbers it).
-- params: $path, $file_no (the file's place in the import),
--         $format (newline_delimited or array), $columns (the fields read and their types: the API's
--         response documents, with their tickets, metric sets and ratings, and a record's own fields),
--         $lenient (true: a value that is not valid JSON gives a row of nulls rather than stopping the
--         read), $size (the largest value, in bytes).
-- output: file_no, value_no, problem (null), record (null), then one column per field of
--         $columns.
with final as (
    select
        $file_no as file_no,
        ordinality as value_no,
        null::varchar as problem,
        null::varchar as record,
        * exclude (ordinality)
    from read_json($path, format = $format, columns = $columns, records = true, ignore_errors = $lenient,
                   maximum_object_size = $size) with ordinality
)

select * from final
