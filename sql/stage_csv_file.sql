-- Stage one CSV source file with every value as text, so types are checked row by row; the file's
-- columns are held in one struct beside the line's 0-based number (the caller scans with one thread,
-- in order), so no column of the file can collide with it.
-- grain: one row per data line. params: $path. output: temp table staged_raw (source_row, record).
create or replace temp table staged_raw as
with source as (
    select file_columns as record
    from read_csv($path, all_varchar = true, header = true) as file_columns
),

final as (
    select row_number() over () - 1 as source_row, record from source
)

select * from final
