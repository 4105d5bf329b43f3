-- Rows of the staged file set aside, with every original value as text and the reasons.
-- grain: one row per set-aside row. params: $source_file.
-- output: source_file, source_row (1-based, as a spreadsheet counts), reason, then the file's columns.
with rejected as (
    select source_row, problems from staged_problems where len(problems) > 0
),

final as (
    select
        $source_file as source_file,
        rejected.source_row + 1 as source_row,
        array_to_string(list_transform(rejected.problems, lambda p: p.column || ': ' || p.problem), '; ')
            as reason,
        columns(staged_raw.* exclude (source_row))::varchar
    from rejected
    join staged_raw using (source_row)
)

select * from final order by source_row
