-- The hourly rollups of prepared files as one table: a local day that spans two source files made
-- one row per hour and channel. Loaded into memory when a store opens.
-- grain: local day x local hour x channel. params: $paths (hourly rollup files).
-- output: day, hour, channel, contacts.
with rollups as (
    select day, hour, channel, contacts from read_parquet($paths)
),

final as (
    select
        day,
        hour,
        channel,
        sum(contacts)::bigint as contacts
    from rollups
    group by all
)

select * from final order by day, hour, channel
