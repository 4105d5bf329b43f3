-- The rows the merge takes in: the staged rows, typed, of the row numbers import_newest.sql keeps
-- (each id's newest version that passed every check), with their version. A view's query: the rows
-- are read where they are, never copied (copying a million took half a second).
-- grain: interaction_id. params: none (reads staged_typed and newest_rows, import_newest.sql's rows).
-- output: the contract's interaction columns, source_updated_at.
with final as (
    select staged_typed.* exclude (source_row, sort_time), newest_rows.source_updated_at
    from staged_typed
    join newest_rows using (source_row)
)

select * from final
