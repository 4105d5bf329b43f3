-- Rows read and rows set aside for the staged file.
-- grain: one row. output: rows_read, rows_set_aside.
with final as (
    select
        count(*) as rows_read,
        count(*) filter (where len(problems) > 0) as rows_set_aside
    from staged_problems
)

select * from final
