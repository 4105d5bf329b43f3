-- The first and last months of UTC with intervals in one interval rollup (rollup_intervals.sql):
-- the merged parts of the 15-minute rollup (one per month, load_intervals.sql) it has rows in.
-- grain: one row. params: $path (an interval rollup file).
-- output: first_month, last_month (YYYY-MM; null when the rollup has no rows).
with final as (
    select
        strftime(timezone('UTC', min(slot)), '%Y-%m') as first_month,
        strftime(timezone('UTC', max(slot)), '%Y-%m') as last_month
    from read_parquet($path)
)

select * from final
