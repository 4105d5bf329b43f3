-- Zendesk JSON export files that are one document each (a response of the API saved as it came, or
-- pretty-printed), read together by DuckDB's JSON reader: only the fields the importer uses. A file's
-- records are numbered by their place in its document (import_zendesk_records.sql), so the files are
-- read in parallel, unnumbered; one that holds more than one value is read again on its own.
-- grain: one row per JSON value of the files (one a file, when they are what they seem).
-- params: $paths (the files), $file_nos (their places in the import), $lenient (true: a value of
--         another type than $columns says, such as a list element that is no object, is read as nulls
--         rather than stopping the read), $columns (the fields read and their types, as import_zendesk_json.sql's),
--         $size (the largest file, in bytes).
-- output: file_no, value_no (1), problem (null),
--         record (null), then one column per field of $columns.
with final as (
    select
        $file_nos[list_position($paths, filename)] as file_no,
        1::bigint as value_no,
        null::varchar as problem,
        null::varchar as record,
        * exclude (filename)
    from read_json($paths, format = 'unstructured', columns = $columns, records = true, filename = true,
                   ignore_errors = $lenient, maximum_object_size = $size)
)

select * from final
