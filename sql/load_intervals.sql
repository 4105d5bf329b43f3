-- The interval rollups of prepared files for one month of UTC as one table: an interval at a file
-- boundary (two files can hold arrivals of the same 15 minutes) made one row. Written as that
-- month's merged part (interactions/intervals_merged/YYYY-MM.parquet), which the store's
-- `intervals` view reads with every other month's.
-- grain: 15-minute interval x channel x queue. params: $paths (the interval rollup files with rows
-- in the month), $start, $end (timestamptz: the month's first instant and the next month's).
-- output: the columns of rollup_intervals.sql.
with rollups as (
    select * from read_parquet($paths)
    where slot >= $start and slot < $end
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
