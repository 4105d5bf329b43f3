-- The records of a Zendesk export file (zendesk_records: import_zendesk_records.sql or
-- import_zendesk_csv.sql) typed, each with its first problem (a record with one is set aside).
-- Ids as text (123, 123.0 and "123" are all "123"). Times: text with an offset (the API writes UTC,
-- 2024-03-01T10:00:00Z) is that instant; text without one (a CSV from Explore or a spreadsheet) is
-- local time in $zone, read by the one daylight-saving rule (cxdash.calendar.localize): a time the
-- clock repeats is the first, one it skips is a problem ($skipped). A deleted ticket (status
-- deleted) needs only its id and, if it has one, a readable updated_at.
-- Where a record is (source_row): the line of a JSON-lines or CSV file, the element's place in a
-- top-level array, the record's place in a one-document file ($mode document).
-- grain: one row per record, plus one per response document (kind document: no record).
-- params: $mode (lines, document or array), $zone, $skipped (the reason of a local time the clock
--         skips), $limit (characters of a record kept).
-- output: file_no, value_no, item (file_no, value_no, item: the record's place in the import;
--         item 0: a value's first row), source_row, kind, problem, record (for a record with a
--         problem: as written, or the fields read), ticket_id (a ticket's id, or the ticket a metric
--         or rating is of), created, updated, status, via, assignee_id, group_id, requester_id, score
--         (a ticket's inline satisfaction_rating, or a rating's), solved, reply, resolution, reopens,
--         replies.
with texts as (
    select
        *,
        nullif(trim(created_at), '') as created_text,
        nullif(trim(updated_at), '') as updated_text,
        nullif(trim(solved_at), '') as solved_text
    from zendesk_records
),

offsets as (
    -- an offset after the time of day (Z, +01:00, -0500...) makes the text one instant
    select
        *,
        case when ends_with(created_text, 'Z') then true else regexp_matches(
            created_text, '\d\d:\d\d(?::\d\d(?:\.\d+)?)?\s*(?:[zZ]|[+-]\d\d(?::?\d\d)?)$') end
            as created_aware,
        case when ends_with(updated_text, 'Z') then true else regexp_matches(
            updated_text, '\d\d:\d\d(?::\d\d(?:\.\d+)?)?\s*(?:[zZ]|[+-]\d\d(?::?\d\d)?)$') end
            as updated_aware,
        case when ends_with(solved_text, 'Z') then true else regexp_matches(
            solved_text, '\d\d:\d\d(?::\d\d(?:\.\d+)?)?\s*(?:[zZ]|[+-]\d\d(?::?\d\d)?)$') end
            as solved_aware
    from texts
),

walls as (
    select
        *,
        case when not created_aware then try_cast(created_text as timestamp) end as created_wall,
        case when not updated_aware then try_cast(updated_text as timestamp) end as updated_wall,
        case when not solved_aware then try_cast(solved_text as timestamp) end as solved_wall
    from offsets
),

readings as (
    -- a local time: the zone's offsets a day before and a day after give the candidate instants;
    -- those the clock shows that time at are its readings (two when the clock repeats it, none when
    -- it skips it)
    select
        *,
        case when created_wall is not null then list_filter([
            (created_wall - (timezone($zone, (created_wall - interval 1 day)::timestamptz)
                             - (created_wall - interval 1 day)))::timestamptz,
            (created_wall - (timezone($zone, (created_wall + interval 1 day)::timestamptz)
                             - (created_wall + interval 1 day)))::timestamptz],
            lambda candidate: timezone($zone, candidate) = created_wall) end as created_readings,
        case when updated_wall is not null then list_filter([
            (updated_wall - (timezone($zone, (updated_wall - interval 1 day)::timestamptz)
                             - (updated_wall - interval 1 day)))::timestamptz,
            (updated_wall - (timezone($zone, (updated_wall + interval 1 day)::timestamptz)
                             - (updated_wall + interval 1 day)))::timestamptz],
            lambda candidate: timezone($zone, candidate) = updated_wall) end as updated_readings,
        case when solved_wall is not null then list_filter([
            (solved_wall - (timezone($zone, (solved_wall - interval 1 day)::timestamptz)
                            - (solved_wall - interval 1 day)))::timestamptz,
            (solved_wall - (timezone($zone, (solved_wall + interval 1 day)::timestamptz)
                            - (solved_wall + interval 1 day)))::timestamptz],
            lambda candidate: timezone($zone, candidate) = solved_wall) end as solved_readings
    from walls
),

typed as (
    select
        *,
        case when created_aware then try_cast(created_text as timestamptz) else list_min(created_readings) end
            as created,
        case when updated_aware then try_cast(updated_text as timestamptz) else list_min(updated_readings) end
            as updated,
        case when solved_aware then try_cast(solved_text as timestamptz) else list_min(solved_readings) end
            as solved,
        case when contains(id, '.') then regexp_replace(trim(id), '^(\d+)\.0+$', '\1')
             else nullif(trim(id), '') end as ticket,
        case when contains(ticket_id, '.') then regexp_replace(trim(ticket_id), '^(\d+)\.0+$', '\1')
             else nullif(trim(ticket_id), '') end as of_ticket,
        case when contains(assignee_id, '.') then regexp_replace(trim(assignee_id), '^(\d+)\.0+$', '\1')
             else nullif(trim(assignee_id), '') end as assignee,
        case when contains(group_id, '.') then regexp_replace(trim(group_id), '^(\d+)\.0+$', '\1')
             else nullif(trim(group_id), '') end as team_id,
        case when contains(requester_id, '.') then regexp_replace(trim(requester_id), '^(\d+)\.0+$', '\1')
             else nullif(trim(requester_id), '') end as requester,
        nullif(lower(trim(status)), '') as ticket_status,
        nullif(lower(trim(score)), '') as rating_score,
        try_cast(trim(reply_minutes) as double) as reply,
        try_cast(trim(full_minutes) as double) as resolution,
        try_cast(trim(reopens) as double) as reopen_count,
        try_cast(trim(replies) as double) as reply_count
    from readings
),

problems as (
    select
        *,
        case
            when created_text is null then null
            when created_aware then case when created is null then 'not a timestamp' end
            when created_wall is null then 'not a timestamp'
            when len(created_readings) = 0 then $skipped
        end as created_problem,
        case
            when updated_text is null then null
            when updated_aware then case when updated is null then 'not a timestamp' end
            when updated_wall is null then 'not a timestamp'
            when len(updated_readings) = 0 then $skipped
        end as updated_problem,
        case
            when solved_text is null then null
            when solved_aware then case when solved is null then 'not a timestamp' end
            when solved_wall is null then 'not a timestamp'
            when len(solved_readings) = 0 then $skipped
        end as solved_problem
    from typed
),

judged as (
    select
        *,
        case
            when problem is not null then problem
            when kind = 'ticket' then case
                when ticket is null then 'ticket without an id'
                when ticket_status = 'deleted' then 'updated_at: ' || updated_problem
                when created_text is null then 'ticket without created_at'
                when created_problem is not null then 'created_at: ' || created_problem
                when updated_problem is not null then 'updated_at: ' || updated_problem
            end
            when kind = 'metric' then case
                when of_ticket is null then 'ticket metric without a ticket_id'
                when reply_minutes is not null and reply is null then 'reply_time_in_minutes.calendar: not a number'
                when reply < 0 then 'reply_time_in_minutes.calendar: negative'
                when full_minutes is not null and resolution is null
                    then 'full_resolution_time_in_minutes.calendar: not a number'
                when resolution < 0 then 'full_resolution_time_in_minutes.calendar: negative'
                when reopens is not null and reopen_count is null then 'reopens: not a number'
                when reopen_count < 0 then 'reopens: negative'
                when replies is not null and reply_count is null then 'replies: not a number'
                when reply_count < 0 then 'replies: negative'
                when solved_problem is not null then 'solved_at: ' || solved_problem
                when updated_problem is not null then 'updated_at: ' || updated_problem
            end
            when kind = 'rating' then case
                when of_ticket is null then 'satisfaction rating without a ticket_id'
                when rating_score is null or not (rating_score in ('offered', 'unoffered')
                                                  or starts_with(rating_score, 'good')
                                                  or starts_with(rating_score, 'bad'))
                    then 'rating score not one of good, bad, offered, unoffered'
                when updated_problem is not null then 'updated_at: ' || updated_problem
                when created_problem is not null then 'created_at: ' || created_problem
            end
        end as first_problem
    from problems
),

final as (
    select
        file_no,
        value_no,
        item,
        case when $mode = 'document' then greatest(item, 1) else value_no end as source_row,
        kind,
        first_problem as problem,
        -- the record as written (a line that is no record), else the fields read of it
        case when first_problem is not null then coalesce(record, left(case kind
            when 'ticket' then {'id': id, 'created_at': created_at, 'updated_at': updated_at,
                                'status': status, 'via': {'channel': via}, 'assignee_id': assignee_id,
                                'group_id': group_id, 'requester_id': requester_id, 'subject': subject,
                                'satisfaction_rating': {'score': inline_score}}::json
            when 'metric' then {'ticket_id': ticket_id, 'updated_at': updated_at, 'solved_at': solved_at,
                                'reply_time_in_minutes': {'calendar': reply_minutes},
                                'full_resolution_time_in_minutes': {'calendar': full_minutes},
                                'reopens': reopens, 'replies': replies}::json
            when 'rating' then {'ticket_id': ticket_id, 'score': score, 'assignee_id': assignee_id,
                                'created_at': created_at, 'updated_at': updated_at}::json
        end::varchar, $limit), '') end as record,
        case when kind = 'ticket' then ticket else of_ticket end as ticket_id,
        created,
        updated,
        ticket_status as status,
        nullif(lower(trim(via)), '') as via,
        assignee as assignee_id,
        team_id as group_id,
        requester as requester_id,
        case when kind = 'ticket' then nullif(lower(trim(inline_score)), '') else rating_score end as score,
        solved,
        reply,
        resolution,
        reopen_count as reopens,
        reply_count as replies
    from judged
)

select * from final
