-- The rows of an import that passed every contract check, the newest version of each id (delivery is
-- at least once; a row without a version is older than any with one, and of two equal versions the
-- later row wins): what the merge into the month files takes in. Only the ids, versions and row
-- numbers are ranked; the whole rows are then taken once, never sorted (for a million rows about half
-- the time and a few hundred MB less memory than ranking whole rows).
-- grain: interaction_id. params: none (reads staged_typed, staged_problems and imported).
-- output: the contract's interaction columns, source_updated_at.
with passed as (
    select staged_typed.source_row, staged_typed.interaction_id, imported.source_updated_at
    from staged_typed
    join staged_problems using (source_row)
    join imported on imported.__row = staged_typed.source_row
    where len(staged_problems.problems) = 0
),

newest as (
    select source_row, source_updated_at
    from passed
    qualify row_number() over (partition by interaction_id
                               order by source_updated_at desc nulls last, source_row desc) = 1
),

final as (
    select staged_typed.* exclude (source_row, sort_time), newest.source_updated_at
    from staged_typed
    join newest using (source_row)
)

select * from final
