-- The cost model, for a data folder without a costs table: what each month's contacts cost under
-- the settings' rates (cxdash.settings.CostModel says where each default comes from).
--   labor      = handle hours / occupancy x loaded hourly rate, per channel
--   telephony  = (queue wait + handle) minutes x per-minute rate, for the telephony channels
--   technology = seats x licence per seat (booked to 'shared': every channel uses the desk),
--                plus the self-service platform's monthly fee (booked to self_service)
-- grain: month x channel x cost_type (the shape of the costs table).
-- params: $loaded_hourly_rate_usd, $occupancy, $telephony_per_minute_usd, $telephony_channels,
--         $seats, $seat_licence_month_usd, $self_service_month_usd.
-- output: month, channel, cost_type, amount_usd.
with months as (
    select
        date_trunc('month', day)::date as month,
        channel,
        sum(handle_seconds) as handle_seconds,
        sum(live_wait_seconds) as wait_seconds,
        sum(contacts) as contacts
    from daily
    group by all
),

labor as (
    select month, channel, 'labor' as cost_type,
        handle_seconds / 3600 / $occupancy * $loaded_hourly_rate_usd as amount_usd
    from months
    where handle_seconds > 0
),

telephony as (
    select month, channel, 'telephony' as cost_type,
        (wait_seconds + handle_seconds) / 60 * $telephony_per_minute_usd as amount_usd
    from months
    where list_contains($telephony_channels, channel) and wait_seconds + handle_seconds > 0
),

seats as (
    select distinct month, 'shared' as channel, 'technology' as cost_type,
        $seats * $seat_licence_month_usd as amount_usd
    from months
),

self_service_platform as (
    select month, channel, 'technology' as cost_type, $self_service_month_usd as amount_usd
    from months
    where channel = 'self_service' and contacts > 0
),

booked as (
    select * from labor
    union all select * from telephony
    union all select * from seats
    union all select * from self_service_platform
),

final as (
    select month, channel, cost_type, amount_usd::double as amount_usd
    from booked
    where amount_usd > 0
)

select * from final order by month, channel, cost_type
