-- Stage one CSV source file with every value as text, so types are checked row by row.
-- grain: one row per data line. params: $path. output: temp table staged_raw.
create or replace temp table staged_raw as
with source as (
    select * from read_csv($path, all_varchar = true, header = true)
),

final as (
    select row_number() over () - 1 as source_row, * from source
)

select * from final
