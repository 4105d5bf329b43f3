-- Rows of the staged file whose key is already used by another prepared file.
-- grain: one row per staged row that repeats an id. params: $paths (prepared clean files).
-- output: source_row, source_file (the file that already holds the id).
with prepared as (
    select interaction_id, source_file from read_parquet($paths)
),

final as (
    select staged_typed.source_row, any_value(prepared.source_file) as source_file
    from staged_typed
    join prepared using (interaction_id)
    group by staged_typed.source_row
)

select * from final order by source_row
