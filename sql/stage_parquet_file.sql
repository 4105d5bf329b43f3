-- Stage one parquet source file exactly as written, with its 0-based row number.
-- grain: one row per row of the file. params: $path. output: temp table staged_raw.
create or replace temp table staged_raw as
with source as (
    select * from read_parquet($path, file_row_number = true, hive_partitioning = false)
),

final as (
    select * rename (file_row_number as source_row) from source
)

select * from final
