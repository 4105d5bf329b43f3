-- The rows of an import that passed every contract check, the newest version of each id (delivery is
-- at least once; a row without a version is older than any with one, and of two equal versions the
-- later row wins): their row numbers and versions, by which import_checked.sql takes the rows. Only
-- ids, versions and row numbers are ranked, never whole rows.
-- grain: source_row (one per interaction_id). params: none (reads staged_typed, staged_problems and
--        imported).
-- output: source_row, source_updated_at.
with passed as (
    select staged_typed.source_row, staged_typed.interaction_id, imported.source_updated_at
    from staged_typed
    join staged_problems using (source_row)
    join imported on imported.__row = staged_typed.source_row
    where len(staged_problems.problems) = 0
),

final as (
    select source_row, source_updated_at
    from passed
    qualify row_number() over (partition by interaction_id
                               order by source_updated_at desc nulls last, source_row desc) = 1
)

select * from final
