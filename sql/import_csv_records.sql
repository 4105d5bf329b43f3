-- The records of a CSV file read with a mapping (cxdash/importers/csv_mapping.py), as DuckDB's CSV
-- reader splits them: a value in double quotes may hold the delimiter, doubled quotes and line breaks;
-- a record shorter than the header is filled with nulls, and an empty field is '' (the null string
-- $missing never occurs in a file). Fields beyond the header's are read into the surplus columns
-- s0, s1, ..., for the importer to set aside a record with a value too many (fields are never missing
-- in between: a record without s0 has no surplus field). Every value is text: converting is the
-- mapping's work.
-- grain: one row per record that is not an empty line, in the file's order (title rows and the header
--        row included: the importer numbers the records and keeps those after the header).
-- params: $path, $delimiter, $columns (a struct of column name -> 'VARCHAR': f0, f1, ... for the
--         header's fields, then s0, s1, ... for surplus ones), $missing (the null string).
-- output: f0, f1, ... (the header's fields), s0, s1, ... (the surplus fields, null where a record has
--         none).
with records as (
    select *
    from read_csv($path, header = false, all_varchar = true, columns = $columns, delim = $delimiter,
                  quote = '"', escape = '"', auto_detect = false, strict_mode = false,
                  null_padding = true, parallel = false, nullstr = $missing)
),

final as (
    select * from records
)

select * from final
