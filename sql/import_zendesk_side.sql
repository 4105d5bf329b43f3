-- The metric and the satisfaction rating of each ticket of a Zendesk import (zendesk_typed): of a ticket's
-- usable metric records (or rating records), the newest, by version (a record without one is the
-- oldest), then by its place in the export, is the one merged into the ticket (or into its deletion,
-- for a ticket the export says was deleted); the others are older copies (superseded). When the
-- ticket is not in the export, or was set aside, every record is set aside
-- (import_zendesk_set_aside.sql says why).
-- grain: one row per kind (metric, rating) and ticket_id.
-- params: none (reads zendesk_typed).
-- output: kind, ticket_id, in_export (the ticket is a usable record of the export, or its deletion),
--         copies (the ticket's records of that kind), solved, reply, resolution, reopens, replies,
--         csat, assignee_id (of the newest record).
with usable as (
    -- a rating's version is its updated_at, else its created_at; a metric's its updated_at. The newest
    -- record: by version, then by place (file, value, record: packed into one number with it)
    select
        *,
        coalesce(epoch_us(case when kind = 'rating' then coalesce(updated, created) else updated end),
                 -9223372036854775807)::hugeint * 18446744073709551616
            + least(file_no, 65535)::hugeint * 281474976710656
            + least(value_no, 4294967295)::hugeint * 65536 + least(item, 65535) as place
    from zendesk_typed
    where kind in ('metric', 'rating') and problem is null
),

folded as (
    -- each field of the newest record (arg_max_null: an empty field of it stays empty)
    select
        kind,
        ticket_id,
        count(*) as copies,
        arg_max_null(solved, place) as solved,
        arg_max_null(reply, place) as reply,
        arg_max_null(resolution, place) as resolution,
        arg_max_null(reopens, place) as reopens,
        arg_max_null(replies, place) as replies,
        arg_max_null(score, place) as score,
        arg_max_null(assignee_id, place) as assignee_id
    from usable
    group by kind, ticket_id
),

final as (
    select
        kind,
        ticket_id,
        ticket_id in (select ticket_id from zendesk_typed where kind = 'ticket' and problem is null)
            as in_export,
        copies,
        solved,
        reply,
        resolution,
        reopens,
        replies,
        case when starts_with(score, 'good') then 5::double
             when starts_with(score, 'bad') then 1::double end as csat,
        assignee_id
    from folded
)

select * from final
