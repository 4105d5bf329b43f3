-- The interval rollups of prepared files as one table: an interval at a file boundary (two files
-- can hold arrivals of the same 15 minutes) made one row. Loaded into memory when a store opens.
-- grain: 15-minute interval x channel x queue. params: $paths (interval rollup files).
-- output: the columns of rollup_intervals.sql.
with rollups as (
    select * from read_parquet($paths)
),

final as (
    select
        slot,
        channel,
        queue,
        sum(columns(lambda c: c not in ('slot', 'channel', 'queue')))
    from rollups
    group by all
)

select * from final order by slot, channel, queue
