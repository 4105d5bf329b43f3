-- The cost model, for a data folder without a costs table: what each month's contacts cost under
-- the settings' rates (cxdash.settings.CostModel says where each default comes from).
--   labor      = handle hours / occupancy x loaded hourly rate, per channel
--   telephony  = (queue wait + handle) minutes x per-minute rate, for the telephony channels
--   technology = seats x licence per seat (booked to 'shared': every channel uses the desk),
--                plus the self-service platform's monthly fee (booked to self_service)
-- Like a costs table, it books whole months: where the data covers a month only in part (it starts
-- or ends inside it), the activity-based costs are scaled up to the whole month, so that counting
-- the covered days' share of a month's cost, as every page does, gives back what the data did.
-- grain: month x channel x cost_type (the shape of the costs table).
-- params: $loaded_hourly_rate_usd, $occupancy, $telephony_per_minute_usd, $telephony_channels,
--         $seats, $seat_licence_month_usd, $self_service_month_usd.
-- output: month, channel, cost_type, amount_usd.
with span as (
    select min(day) as first_day, max(day) as last_day
    from daily
),

activity as (
    select
        date_trunc('month', day)::date as month,
        channel,
        sum(handle_seconds) as handle_seconds,
        sum(live_wait_seconds) as wait_seconds,
        sum(contacts) as contacts
    from daily
    group by all
),

-- the share of each month's days from the data's first to its last day
coverage as (
    select
        month,
        (least(month + interval 1 month - interval 1 day, last_day)::date
            - greatest(month, first_day)::date + 1)
            / extract(day from month + interval 1 month - interval 1 day) as covered
    from (select distinct month from activity) as months
    cross join span
),

months as (
    select * from activity join coverage using (month)
),

labor as (
    select month, channel, 'labor' as cost_type,
        handle_seconds / 3600 / $occupancy * $loaded_hourly_rate_usd / covered as amount_usd
    from months
    where handle_seconds > 0
),

telephony as (
    select month, channel, 'telephony' as cost_type,
        (wait_seconds + handle_seconds) / 60 * $telephony_per_minute_usd / covered as amount_usd
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
