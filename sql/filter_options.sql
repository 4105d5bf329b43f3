-- The values the shared filters offer, and the span of days with data.
-- grain: one row per dimension value. output: dimension, value, contacts, first_day, last_day.
with by_value as (
    select 'channel' as dimension, channel as value, sum(contacts) as contacts,
        min(day) as first_day, max(day) as last_day
    from daily group by all
    union all
    select 'queue', queue, sum(contacts), min(day), max(day) from daily group by all
    union all
    select 'team', team, sum(contacts), min(day), max(day) from daily group by all
),

final as (
    select * from by_value
)

select * from final order by dimension, contacts desc, value
