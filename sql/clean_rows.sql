-- The staged rows that passed every check, typed as the contract says, in time order
-- (time order lets later queries skip whole row groups by date).
-- grain: one row per source row used. params: $source_file. output: contract columns, source_file.
with passed as (
    select staged_typed.*
    from staged_typed
    join staged_problems using (source_row)
    where len(staged_problems.problems) = 0
),

final as (
    select * exclude (source_row, sort_time), $source_file as source_file
    from passed
    order by sort_time, source_row
)

select * from final
