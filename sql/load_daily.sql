-- The daily measures of all prepared files, summed (a local day can span two source files).
-- grain: local day x channel x queue x team. params: $paths (rollup files).
-- output: day, channel, queue, team and every measure of rollup_daily.sql.
with rollups as (
    select * from read_parquet($paths)
),

final as (
    select day, channel, queue, team, sum(columns(* exclude (day, channel, queue, team)))
    from rollups
    group by all
)

select * from final order by day, channel, queue, team
