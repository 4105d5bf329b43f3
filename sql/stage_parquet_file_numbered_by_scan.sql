-- Stage one parquet source file whose own columns include one named file_row_number, which hides
-- the reader's row number: rows are numbered in scan order instead (the caller scans with one
-- thread, in order). Otherwise as sql/stage_parquet_file.sql.
-- grain: one row per row of the file. params: $path. output: temp table staged_raw
-- (source_row, record).
create or replace temp table staged_raw as
with source as (
    select file_columns as record
    from read_parquet($path, hive_partitioning = false) as file_columns
),

final as (
    select row_number() over () - 1 as source_row, record from source
)

select * from final
