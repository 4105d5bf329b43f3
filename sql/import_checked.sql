-- The rows of an import that passed every contract check, the newest version of each id (delivery is
-- at least once; a row without a version is older than any with one, and of two equal versions the
-- later row wins): what the merge into the month files takes in.
-- grain: interaction_id. params: none (reads staged_typed, staged_problems and imported).
-- output: the contract's interaction columns, source_updated_at.
with passed as (
    select staged_typed.* exclude (sort_time), imported.source_updated_at
    from staged_typed
    join staged_problems using (source_row)
    join imported on imported.__row = staged_typed.source_row
    where len(staged_problems.problems) = 0
),

ranked as (
    select
        *,
        row_number() over (partition by interaction_id
                           order by source_updated_at desc nulls last, source_row desc) as newest
    from passed
),

final as (
    select * exclude (source_row, newest)
    from ranked
    where newest = 1
)

select * from final
