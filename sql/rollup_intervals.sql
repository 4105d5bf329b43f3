-- Arrivals and workload of one prepared interactions file by 15-minute interval, channel and queue:
-- what the forecast learns from and is scored against. Intervals are instants (UTC 15-minute
-- boundaries), so the 25-hour and 23-hour days of daylight saving keep every real interval; a
-- contact belongs to the interval it arrived in, and so does its handle time (a workload forecast
-- needs the time arrivals bring, not when after-contact work ended).
-- The per-contact definitions repeat those of rollup_daily.sql (handled, handle time, live
-- abandonment, short abandons); tests/test_sql_contract.py checks both rollups agree day by day.
-- grain: 15-minute interval x channel x queue. params: $path, $live_channels, $short_abandon_seconds.
-- output: slot (timestamptz, interval start), channel, queue, contacts, handled, handle_seconds,
--         live_offered, live_abandoned, live_queue_seconds (time waited by live offered contacts,
--         answered or not: the exposure for estimating customer patience).
with interactions as (
    select * from read_parquet($path)
),

classified as (
    select
        to_timestamp(floor(epoch(arrived_at) / 900) * 900) as slot,
        channel,
        coalesce(queue, '(none)') as queue,
        list_contains($live_channels, channel) as is_live,
        coalesce(abandoned, answered_at is null and list_contains($live_channels, channel))
            as is_abandoned,
        answered_at is not null
            and coalesce(talk_seconds, hold_seconds, wrap_seconds) is not null as is_handled,
        coalesce(talk_seconds, 0) + coalesce(hold_seconds, 0) + coalesce(wrap_seconds, 0)
            as handle_seconds,
        -- answered: waited until answered; abandoned: until the customer left (seconds from the
        -- instants' microseconds, as rollup_daily.sql computes them)
        (case when answered_at is not null then epoch_us(answered_at) - epoch_us(arrived_at)
              else epoch_us(ended_at) - epoch_us(arrived_at) end) / 1e6 as time_in_queue_seconds,
        (epoch_us(ended_at) - epoch_us(arrived_at)) / 1e6 as abandoned_after_seconds
    from interactions
),

flagged as (
    select
        *,
        is_live and is_abandoned
            and coalesce(abandoned_after_seconds < $short_abandon_seconds, false) as is_short_abandon
    from classified
),

final as (
    select
        slot,
        channel,
        queue,
        count(*) as contacts,
        count(*) filter (where is_handled) as handled,
        coalesce(sum(handle_seconds) filter (where is_handled), 0) as handle_seconds,
        count(*) filter (where is_live and not is_short_abandon) as live_offered,
        count(*) filter (where is_live and is_abandoned and not is_short_abandon) as live_abandoned,
        coalesce(sum(greatest(time_in_queue_seconds, 0))
            filter (where is_live and not is_short_abandon), 0) as live_queue_seconds
    from flagged
    group by all
)

select * from final order by slot, channel, queue
