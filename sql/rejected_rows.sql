-- Rows of the staged file set aside, with every original value as text and the reasons.
-- grain: one row per set-aside row. params: $source_file.
-- output: source_file, source_row (1-based, as a spreadsheet counts), reason, then the file's columns
-- (a file column named like one of the first three gets a suffix: source_row_1).
with rejected as (
    select source_row, problems from staged_problems where len(problems) > 0
),

labelled as (
    select
        $source_file as source_file,
        rejected.source_row + 1 as source_row,
        array_to_string(list_transform(rejected.problems, lambda p: p.column || ': ' || p.problem), '; ')
            as reason,
        unnest(staged_raw.record)
    from rejected
    join staged_raw using (source_row)
),

final as (
    select source_file, source_row, reason, columns(* exclude (source_file, source_row, reason))::varchar
    from labelled
)

select * from final order by source_row
