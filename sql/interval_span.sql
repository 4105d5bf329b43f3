-- The first and last 15-minute intervals with arrivals: how far the actuals reach.
-- grain: one row. params: none.
-- output: first_slot, last_slot (null when there are no interactions).
with final as (
    select min(slot) as first_slot, max(slot) as last_slot from intervals
)

select * from final
