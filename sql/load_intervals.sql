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
        sum(contacts)::bigint as contacts,
        sum(handled)::bigint as handled,
        sum(handle_seconds)::double as handle_seconds,
        sum(live_offered)::bigint as live_offered,
        sum(live_abandoned)::bigint as live_abandoned,
        sum(live_queue_seconds)::double as live_queue_seconds
    from rollups
    group by all
)

select * from final order by slot, channel, queue
