-- The records of Zendesk JSON values (zendesk_values: import_zendesk_json.sql,
-- import_zendesk_json_documents.sql or import_zendesk_json_lines.sql), one pass over them: the
-- tickets, ticket metrics and satisfaction ratings of the API's response documents ({"tickets": [...]},
-- {"ticket_metrics": [...]}, the incremental export's sideloaded {"metric_sets": [...]},
-- {"satisfaction_ratings": [...]}, one {"ticket": {...}}...), and a record standing alone, whose kind
-- is told from its fields, each with its fields as text, flattened. A value that is none of these is
-- one record with a problem (it is set aside). A response document also gives a row of kind
-- 'document' (no record: how a file of empty pages is told from one that is no export).
-- Where a record is: value_no, the value's place in its file (a JSON-lines file's line), and item, the
-- record's place in its value: 0 for a record standing alone (or a document's row), a document's
-- records numbered from 1 across its lists (the tickets first, then metrics, metric sets, ratings,
-- then single objects). Each value is unnested once into its items, and each record's fields are then
-- read from its list at its place (no record is built as a struct of every field first).
-- grain: one row per record of a value (file_no, value_no, item unique), plus one per response document.
-- params: $mode (lines, document or array: how the values were read; an element of a top-level array
--         is a record, never a document).
-- output: file_no, value_no, item (0: a value's first row, one a value), kind
--         (ticket, metric, rating, document; null: no record), problem, record (the text of a value that is no record, when the reader kept it),
--         id, ticket_id, created_at, updated_at, status, via, assignee_id, group_id, requester_id,
--         subject, inline_score, score, solved_at, reopens, replies, reply_minutes, full_minutes.
with classified as (
    select
        *,
        $mode <> 'array' and problem is null and (
            tickets is not null or ticket_metrics is not null or metric_sets is not null
            or satisfaction_ratings is not null
            or (coalesce(id, ticket_id, created_at, status, score) is null and via is null
                and (ticket is not null or ticket_metric is not null or satisfaction_rating is not null))
        ) as is_document,
        coalesce(len(tickets), 0) as tickets_count,
        coalesce(len(ticket_metrics), 0) as ticket_metrics_count,
        coalesce(len(metric_sets), 0) as metric_sets_count,
        coalesce(len(satisfaction_ratings), 0) as ratings_count,
        coalesce(id, ticket_id, created_at, status, score) is null and via is null as no_own_fields
    from zendesk_values
),

counted as (
    -- a document's records: those of its lists, then its single objects (only when the document has
    -- no record fields of its own)
    select
        *,
        tickets_count + ticket_metrics_count + metric_sets_count + ratings_count as listed_count,
        case when is_document and no_own_fields
            then (ticket is not null)::integer + (ticket_metric is not null)::integer
                 + (satisfaction_rating is not null)::integer
            else 0 end as singles_count
    from classified
),

items as (
    -- one row per record: item 0 for a value's first row (a document's own row, or a record standing
    -- alone), a document's records numbered from 1
    select
        *,
        unnest(case when is_document then range(0, listed_count + singles_count + 1) else [0] end) as item
    from counted
),

placed as (
    -- where each record comes from: its list and its place in it, or the value itself
    select
        *,
        case
            when problem is not null then 'problem'
            when not is_document then 'alone'
            when item = 0 then 'document'
            when item <= tickets_count then 'tickets'
            when item <= tickets_count + ticket_metrics_count then 'ticket_metrics'
            when item <= tickets_count + ticket_metrics_count + metric_sets_count then 'metric_sets'
            when item <= listed_count then 'satisfaction_ratings'
            when ticket is not null and item = listed_count + 1 then 'ticket'
            when ticket_metric is not null and item = listed_count + 1 + (ticket is not null)::integer
                then 'ticket_metric'
            else 'satisfaction_rating'
        end as source
    from items
),

picked as (
    -- the record of a list or a single object (t: a ticket, m: a metric, r: a rating), and its kind
    select
        *,
        case source when 'tickets' then tickets[item] when 'ticket' then ticket end as t,
        case source when 'ticket_metrics' then ticket_metrics[item - tickets_count]
                    when 'metric_sets' then metric_sets[item - tickets_count - ticket_metrics_count]
                    when 'ticket_metric' then ticket_metric end as m,
        case source when 'satisfaction_ratings' then satisfaction_ratings[item - tickets_count
                                                                           - ticket_metrics_count
                                                                           - metric_sets_count]
                    when 'satisfaction_rating' then satisfaction_rating end as r,
        case source
            when 'problem' then null
            when 'document' then 'document'
            when 'tickets' then 'ticket'
            when 'ticket' then 'ticket'
            when 'ticket_metrics' then 'metric'
            when 'metric_sets' then 'metric'
            when 'ticket_metric' then 'metric'
            when 'satisfaction_ratings' then 'rating'
            when 'satisfaction_rating' then 'rating'
            else case
                when score is not null and ticket_id is not null then 'rating'
                when ticket_id is not null then case
                    when coalesce(solved_at, reopens, replies) is not null or reply_time_in_minutes is not null
                         or full_resolution_time_in_minutes is not null then 'metric' end
                when coalesce(via_channel, status, requester_id, submitter_id, assignee_id, group_id, subject)
                         is not null or via is not null then 'ticket'
            end
        end as record_kind
    from placed
),

final as (
    select
        file_no,
        value_no,
        item,
        record_kind as kind,
        coalesce(case
            when source = 'problem' then problem
            when source in ('tickets', 'ticket_metrics', 'metric_sets', 'satisfaction_ratings')
                 and t is null and m is null and r is null then 'not a JSON object'
        end, case when source = 'alone' and record_kind is null
            then 'not a Zendesk ticket, ticket metric or satisfaction rating' end) as problem,
        case when source in ('problem', 'alone') then record end as record,
        case source when 'alone' then id else t.id end as id,
        case source when 'alone' then ticket_id else coalesce(m.ticket_id, r.ticket_id) end as ticket_id,
        case source when 'alone' then created_at else coalesce(t.created_at, r.created_at) end as created_at,
        case source when 'alone' then updated_at else coalesce(t.updated_at, m.updated_at, r.updated_at) end
            as updated_at,
        case source when 'alone' then status else t.status end as status,
        case source when 'alone' then coalesce(via.channel, via_channel)
             else coalesce(t.via.channel, t.via_channel) end as via,
        case source when 'alone' then assignee_id else coalesce(t.assignee_id, r.assignee_id) end as assignee_id,
        case source when 'alone' then group_id else t.group_id end as group_id,
        case source when 'alone' then requester_id else t.requester_id end as requester_id,
        case source when 'alone' then subject else t.subject end as subject,
        case source when 'alone' then satisfaction_rating.score else t.satisfaction_rating.score end
            as inline_score,
        case source when 'alone' then score else r.score end as score,
        case source when 'alone' then solved_at else m.solved_at end as solved_at,
        case source when 'alone' then reopens else m.reopens end as reopens,
        case source when 'alone' then replies else m.replies end as replies,
        case source when 'alone' then reply_time_in_minutes.calendar
             else m.reply_time_in_minutes.calendar end as reply_minutes,
        case source when 'alone' then full_resolution_time_in_minutes.calendar
             else m.full_resolution_time_in_minutes.calendar end as full_minutes
    from picked
)

select * from final
