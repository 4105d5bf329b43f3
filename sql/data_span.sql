-- The span of days with contacts: the first and last local day of the daily measures (daily_days:
-- the days of the daily table, or of the files it is made of, where a day may be listed twice).
-- grain: one row. params: none.
-- output: first_day, last_day (null when there are no interactions).
with final as (
    select min(day) as first_day, max(day) as last_day from daily_days
)

select * from final
