-- Rows set aside by validation, with the reason and every original value as text.
-- grain: one row per set-aside source row. params: $source_file ('' = every file), $limit.
-- output: source_file, source_row (1-based), reason, then the columns of the source files.
with rows_set_aside as (
    select * from set_aside where $source_file = '' or source_file = $source_file
),

final as (
    select * from rows_set_aside order by source_file, source_row limit $limit
)

select * from final
