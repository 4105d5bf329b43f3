-- Orders by month so far, with the months recounted from a later first coaching contact on
-- (sql/order_months.sql from a given month on) in place of theirs: every month from that one on that
-- has orders is recounted, so the months kept are exactly those not recounted.
-- grain: month x after_coaching. params: $before (order_months so far), $recounted (the recount).
-- output: the columns of sql/order_months.sql.
with recounted as (
    select * from read_parquet($recounted)
),

kept as (
    select *
    from read_parquet($before)
    where month not in (select month from recounted)
),

final as (
    select * from kept
    union all
    select * from recounted
)

select * from final order by month, after_coaching
