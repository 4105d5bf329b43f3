-- Contacts and served contacts per local month and channel: the denominators of cost per contact.
-- grain: month x channel. params: $first_month, $last_month (first days of local months, inclusive).
-- output: month, channel, contacts, served, handled, handle_seconds.
with months as (
    select date_trunc('month', day)::date as month, *
    from daily
    where day >= $first_month and day < $last_month + interval 1 month
),

final as (
    select
        month,
        channel,
        sum(contacts) as contacts,
        sum(served) as served,
        sum(handled) as handled,
        sum(handle_seconds) as handle_seconds
    from months
    group by month, channel
)

select * from final order by month, channel
