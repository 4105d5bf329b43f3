-- The contact trace records an import cannot use, with the reason and the record as it was written
-- (cut to $limit characters), for the set-aside list.
-- grain: one row per unusable line. params: $limit (reads ctr_legs).
-- output: source_file, source_row, reason, record.
with final as (
    select
        source_file,
        source_row,
        problem as reason,
        left(line, $limit) as record
    from ctr_legs
    where problem is not null
)

select * from final order by source_file, source_row
