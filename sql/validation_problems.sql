-- Each kind of problem in the staged file with the number of rows it affects.
-- grain: one row per column and problem. output: column, problem, rows.
with problems as (
    select source_row, unnest(problems) as problem from staged_problems where len(problems) > 0
),

final as (
    select problem.column as "column", problem.problem as problem, count(distinct source_row) as rows
    from problems
    group by all
)

select * from final order by rows desc, "column", problem
