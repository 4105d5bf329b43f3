-- Arrivals and workload of the chosen channels and queues, by forecast interval, before an instant:
-- the history a forecast learns from. Interval starts are instants on the grain's grid (whole
-- 15 or 30 minutes of UTC, which is the local grid in every zone with whole- or half-hour offsets);
-- the day grain is the local calendar day. Intervals without arrivals have no row.
-- grain: interval (or local day) x channel. params: $minutes (15, 30, or 1440 for the local day),
--        $timezone, $channels, $queues (empty list = all), $before (timestamptz: nothing from then on;
--        an interval that $before cuts is left out whole).
-- output: slot (interval start; for days, the local midnight), channel, contacts, handled,
--         handle_seconds, live_offered, live_abandoned, live_queue_seconds.
with chosen as (
    select *
    from intervals
    where slot + interval 15 minutes <= $before  -- whole intervals only, wherever $before falls
        and (len($channels) = 0 or list_contains($channels, channel))
        and (len($queues) = 0 or list_contains($queues, queue))
),

bucketed as (
    select
        case when $minutes = 1440
            then timezone($timezone, timezone($timezone, slot)::date::timestamp)
            else to_timestamp(floor(epoch(slot) / ($minutes * 60)) * ($minutes * 60)) end as slot,
        channel,
        contacts,
        handled,
        handle_seconds,
        live_offered,
        live_abandoned,
        live_queue_seconds
    from chosen
),

final as (
    select
        slot,
        channel,
        sum(contacts)::bigint as contacts,
        sum(handled)::bigint as handled,
        sum(handle_seconds)::double as handle_seconds,
        sum(live_offered)::bigint as live_offered,
        sum(live_abandoned)::bigint as live_abandoned,
        sum(live_queue_seconds)::double as live_queue_seconds
    from bucketed
    group by all
)

select * from final order by slot, channel
