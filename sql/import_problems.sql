-- The first contract problem of each row of an import that has one, in words: the reason the import
-- sets the row aside (cxdash.ingest.judge wrote staged_problems and staged_raw over the rows
-- registered as `imported`).
-- grain: row of the import with a problem. params: none.
-- output: source_row (the row's position in the import), source_file and line (the parser's file and
-- row or line number), reason, record (the row's values as JSON).
with problems as (
    select source_row, problems[1] as first
    from staged_problems
    where len(problems) > 0
),

final as (
    select
        problems.source_row,
        imported.source_file,
        imported.source_row as line,
        'column ' || problems.first.column || ': ' || problems.first.problem as reason,
        to_json(staged_raw.record)::varchar as record
    from problems
    join staged_raw using (source_row)
    join imported on imported.__row = problems.source_row
)

select * from final order by source_row
