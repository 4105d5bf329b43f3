-- Stage one parquet source file exactly as written: its 0-based row number beside one struct holding
-- the file's own columns, so no column of the file (not even one named source_row) can collide
-- with the row number.
-- grain: one row per row of the file. params: $path. output: temp table staged_raw
-- (source_row, record).
create or replace temp table staged_raw as
with source as (
    select file_row_number as source_row, file_columns as record
    from read_parquet($path, hive_partitioning = false) as file_columns
),

final as (
    select * from source
)

select * from final
