-- The daily measures of prepared files, summed to the overview's grain: agent and tier summed out,
-- and a local day that spans two source files made one row. Used at preparation (one file's
-- detailed rollup to its daily rollup) and when a store opens (every daily rollup).
-- grain: local day x channel x queue x team. params: $paths (rollup files).
-- output: day, channel, queue, team and every measure of rollup_daily.sql.
with rollups as (
    select * from read_parquet($paths)
),

final as (
    select
        day,
        channel,
        queue,
        team,
        sum(columns(lambda c: c not in ('day', 'channel', 'queue', 'team', 'agent', 'tier')))
    from rollups
    group by all
)

select * from final order by day, channel, queue, team
