-- The contact trace records an import cannot use, with the reason and the record as it was written
-- (import_amazon_connect_legs.sql keeps the first characters of each), for the set-aside list.
-- grain: one row per unusable line. params: none (reads ctr_legs).
-- output: source_file, source_row, reason, record.
with final as (
    select
        source_file,
        source_row,
        problem as reason,
        line as record
    from ctr_legs
    where problem is not null
)

select * from final order by source_file, source_row
