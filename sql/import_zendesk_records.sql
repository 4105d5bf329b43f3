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
-- then single objects).
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
        -- a response document: a list of records, or one record under its name (not a ticket whose
        -- inline satisfaction_rating is an object)
        $mode <> 'array' and problem is null and (
            tickets is not null or ticket_metrics is not null or metric_sets is not null
            or satisfaction_ratings is not null
            or (coalesce(id, ticket_id, created_at, status, score) is null and via is null
                and (ticket is not null or ticket_metric is not null or satisfaction_rating is not null))
        ) as is_document,
        coalesce(len(tickets), 0) as tickets_count,
        coalesce(len(ticket_metrics), 0) as ticket_metrics_count,
        coalesce(len(metric_sets), 0) as metric_sets_count,
        coalesce(len(satisfaction_ratings), 0) as ratings_count
    from zendesk_values
),

listed as (
    select
        file_no,
        value_no,
        case
            when problem is not null then [{
                'item': 0, 'kind': null::varchar, 'problem': problem, 'record': record,
                'id': null::varchar, 'ticket_id': null::varchar, 'created_at': null::varchar,
                'updated_at': null::varchar, 'status': null::varchar, 'via': null::varchar,
                'assignee_id': null::varchar, 'group_id': null::varchar, 'requester_id': null::varchar,
                'subject': null::varchar, 'inline_score': null::varchar, 'score': null::varchar,
                'solved_at': null::varchar, 'reopens': null::varchar, 'replies': null::varchar,
                'reply_minutes': null::varchar, 'full_minutes': null::varchar}]
            when is_document then list_concat(
                [{'item': 0, 'kind': 'document', 'problem': null::varchar, 'record': null::varchar,
                  'id': null::varchar, 'ticket_id': null::varchar, 'created_at': null::varchar,
                  'updated_at': null::varchar, 'status': null::varchar, 'via': null::varchar,
                  'assignee_id': null::varchar, 'group_id': null::varchar, 'requester_id': null::varchar,
                  'subject': null::varchar, 'inline_score': null::varchar, 'score': null::varchar,
                  'solved_at': null::varchar, 'reopens': null::varchar, 'replies': null::varchar,
                  'reply_minutes': null::varchar, 'full_minutes': null::varchar}],
                list_transform(tickets, lambda t, i: {
                    'item': i, 'kind': 'ticket',
                    'problem': case when t is null then 'not a JSON object' end, 'record': null::varchar,
                    'id': t.id, 'ticket_id': null::varchar, 'created_at': t.created_at,
                    'updated_at': t.updated_at, 'status': t.status, 'via': coalesce(t.via.channel, t.via_channel),
                    'assignee_id': t.assignee_id, 'group_id': t.group_id, 'requester_id': t.requester_id,
                    'subject': t.subject, 'inline_score': t.satisfaction_rating.score, 'score': null::varchar,
                    'solved_at': null::varchar, 'reopens': null::varchar, 'replies': null::varchar,
                    'reply_minutes': null::varchar, 'full_minutes': null::varchar}),
                list_transform(list_concat(coalesce(ticket_metrics, []), coalesce(metric_sets, [])),
                               lambda m, i: {
                    'item': tickets_count + i, 'kind': 'metric',
                    'problem': case when m is null then 'not a JSON object' end, 'record': null::varchar,
                    'id': null::varchar, 'ticket_id': m.ticket_id, 'created_at': null::varchar,
                    'updated_at': m.updated_at, 'status': null::varchar, 'via': null::varchar,
                    'assignee_id': null::varchar, 'group_id': null::varchar, 'requester_id': null::varchar,
                    'subject': null::varchar, 'inline_score': null::varchar, 'score': null::varchar,
                    'solved_at': m.solved_at, 'reopens': m.reopens, 'replies': m.replies,
                    'reply_minutes': m.reply_time_in_minutes.calendar,
                    'full_minutes': m.full_resolution_time_in_minutes.calendar}),
                list_transform(satisfaction_ratings, lambda r, i: {
                    'item': tickets_count + ticket_metrics_count + metric_sets_count + i, 'kind': 'rating',
                    'problem': case when r is null then 'not a JSON object' end, 'record': null::varchar,
                    'id': null::varchar, 'ticket_id': r.ticket_id, 'created_at': r.created_at,
                    'updated_at': r.updated_at, 'status': null::varchar, 'via': null::varchar,
                    'assignee_id': r.assignee_id, 'group_id': null::varchar, 'requester_id': null::varchar,
                    'subject': null::varchar, 'inline_score': null::varchar, 'score': r.score,
                    'solved_at': null::varchar, 'reopens': null::varchar, 'replies': null::varchar,
                    'reply_minutes': null::varchar, 'full_minutes': null::varchar}),
                -- one record under its name ({"ticket": {...}}), after any lists
                list_filter([
                    {'item': tickets_count + ticket_metrics_count + metric_sets_count + ratings_count + 1,
                     'kind': 'ticket', 'problem': null::varchar, 'record': null::varchar,
                     'id': ticket.id, 'ticket_id': null::varchar, 'created_at': ticket.created_at,
                     'updated_at': ticket.updated_at, 'status': ticket.status,
                     'via': coalesce(ticket.via.channel, ticket.via_channel), 'assignee_id': ticket.assignee_id,
                     'group_id': ticket.group_id, 'requester_id': ticket.requester_id,
                     'subject': ticket.subject, 'inline_score': ticket.satisfaction_rating.score,
                     'score': null::varchar, 'solved_at': null::varchar, 'reopens': null::varchar,
                     'replies': null::varchar, 'reply_minutes': null::varchar, 'full_minutes': null::varchar},
                    {'item': tickets_count + ticket_metrics_count + metric_sets_count + ratings_count + 1
                             + (ticket is not null)::integer,
                     'kind': 'metric', 'problem': null::varchar, 'record': null::varchar,
                     'id': null::varchar, 'ticket_id': ticket_metric.ticket_id, 'created_at': null::varchar,
                     'updated_at': ticket_metric.updated_at, 'status': null::varchar, 'via': null::varchar,
                     'assignee_id': null::varchar, 'group_id': null::varchar, 'requester_id': null::varchar,
                     'subject': null::varchar, 'inline_score': null::varchar, 'score': null::varchar,
                     'solved_at': ticket_metric.solved_at, 'reopens': ticket_metric.reopens,
                     'replies': ticket_metric.replies,
                     'reply_minutes': ticket_metric.reply_time_in_minutes.calendar,
                     'full_minutes': ticket_metric.full_resolution_time_in_minutes.calendar},
                    {'item': tickets_count + ticket_metrics_count + metric_sets_count + ratings_count + 1
                             + (ticket is not null)::integer + (ticket_metric is not null)::integer,
                     'kind': 'rating', 'problem': null::varchar, 'record': null::varchar,
                     'id': null::varchar, 'ticket_id': satisfaction_rating.ticket_id,
                     'created_at': satisfaction_rating.created_at, 'updated_at': satisfaction_rating.updated_at,
                     'status': null::varchar, 'via': null::varchar,
                     'assignee_id': satisfaction_rating.assignee_id, 'group_id': null::varchar,
                     'requester_id': null::varchar, 'subject': null::varchar, 'inline_score': null::varchar,
                     'score': satisfaction_rating.score, 'solved_at': null::varchar, 'reopens': null::varchar,
                     'replies': null::varchar, 'reply_minutes': null::varchar, 'full_minutes': null::varchar}],
                    lambda single: single.kind = 'ticket' and ticket is not null
                        or single.kind = 'metric' and ticket_metric is not null
                        or single.kind = 'rating' and satisfaction_rating is not null)
                    [1:case when coalesce(id, ticket_id, created_at, status, score) is null and via is null
                            then 3 else 0 end])
            -- a record standing alone: its kind from its fields
            else [{
                'item': 0,
                'kind': case
                    when score is not null and ticket_id is not null then 'rating'
                    when ticket_id is not null then case
                        when coalesce(solved_at, reopens, replies) is not null or reply_time_in_minutes is not null
                             or full_resolution_time_in_minutes is not null then 'metric' end
                    when coalesce(via_channel, status, requester_id, submitter_id, assignee_id, group_id, subject)
                             is not null or via is not null then 'ticket'
                end,
                'problem': null::varchar, 'record': record,
                'id': id, 'ticket_id': ticket_id, 'created_at': created_at, 'updated_at': updated_at,
                'status': status, 'via': coalesce(via.channel, via_channel), 'assignee_id': assignee_id,
                'group_id': group_id, 'requester_id': requester_id, 'subject': subject,
                'inline_score': satisfaction_rating.score, 'score': score, 'solved_at': solved_at,
                'reopens': reopens, 'replies': replies, 'reply_minutes': reply_time_in_minutes.calendar,
                'full_minutes': full_resolution_time_in_minutes.calendar}]
        end as records
    from classified
),

final as (
    select
        file_no,
        value_no,
        records.item,
        records.kind,
        coalesce(records.problem, case when records.kind is null
            then 'not a Zendesk ticket, ticket metric or satisfaction rating' end) as problem,
        records.record,
        records.id,
        records.ticket_id,
        records.created_at,
        records.updated_at,
        records.status,
        records.via,
        records.assignee_id,
        records.group_id,
        records.requester_id,
        records.subject,
        records.inline_score,
        records.score,
        records.solved_at,
        records.reopens,
        records.replies,
        records.reply_minutes,
        records.full_minutes
    from (select file_no, value_no, unnest(records) as records from listed)
)

select * from final
