-- Rows of files about to be added whose interaction_id the data folder already holds, by the file
-- that holds it (the first, when several do): what validation would then set aside as repeats.
-- grain: one row per held file with repeats. params: $existing (the store's clean interaction files),
--        $new (the checked files' clean rows).
-- output: source_file, repeats.
with held as (
    select interaction_id, min(source_file) as source_file
    from read_parquet($existing)
    group by interaction_id
),

final as (
    select
        held.source_file,
        count(*) as repeats
    from read_parquet($new) as upload
    join held using (interaction_id)
    group by held.source_file
)

select * from final order by source_file
