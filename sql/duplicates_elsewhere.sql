-- Rows of the staged file whose key is already used by another prepared file.
-- grain: one row per staged row that repeats an id. params: $paths (prepared clean files),
-- $key (the table's key column, from the contract), $lowest and $highest (the staged file's
-- smallest and largest key: the prepared files' row groups outside that range are not even read).
-- output: source_row, source_file (the file that already holds the id).
with prepared as (
    select columns(lambda c: c = $key) as record_key, source_file
    from read_parquet($paths)
    where columns(lambda c: c = $key) between $lowest and $highest
),

staged as (
    select source_row, columns(lambda c: c = $key) as record_key from staged_typed
),

final as (
    select staged.source_row, min(prepared.source_file) as source_file
    from staged
    join prepared using (record_key)
    group by staged.source_row
)

select * from final order by source_row
