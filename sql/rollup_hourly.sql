-- Contacts of one prepared interactions file by local day and hour of arrival, for the intraday
-- and weekly shape. Hours are the local clock's: on the day daylight saving ends, local hour 1
-- happens twice and holds the arrivals of both; on the day it starts, one hour has no row.
-- grain: local day x local hour (0-23) x channel (a day at a file boundary has rows in two files;
-- load_hourly.sql sums them). params: $path, $timezone.
-- output: day, hour, channel, contacts (arrivals).
with interactions as (
    select arrived_at, channel from read_parquet($path)
),

localized as (
    select
        timezone($timezone, arrived_at) as arrived_local,
        channel
    from interactions
),

final as (
    select
        arrived_local::date as day,
        hour(arrived_local)::integer as hour,
        channel,
        count(*) as contacts
    from localized
    group by all
)

select * from final order by day, hour, channel
