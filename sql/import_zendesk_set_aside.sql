-- The records of a Zendesk import that cannot be used, with the reason (a category; the ids are in the
-- record) and the record (as written for a value that is no record, else the fields read): records with
-- a problem (zendesk_typed), and metrics and ratings whose ticket is not in the export, or was set
-- aside (zendesk_side). (A ticket solved before it was created is set aside from
-- import_zendesk_contacts.sql's rows.)
-- grain: one row per record set aside.
-- params: $limit (characters of a record kept), $files (the files' names, by file_no).
-- output: source_file, source_row, reason, record, in the export's order.
with orphans as (
    -- the records of a ticket's metrics or ratings whose ticket is not a usable record of the export
    select
        side.*,
        case side.kind when 'metric' then 'ticket metric' else 'satisfaction rating' end
        -- (the ticket is no usable record here: if the export has it, it was set aside)
        || case when side.ticket_id in (select ticket_id from zendesk_typed
                                        where kind = 'ticket' and problem is not null)
                then ' for a ticket set aside' else ' for a ticket not in this export' end as reason
    from zendesk_typed as side
    semi join (select kind, ticket_id from zendesk_side where not in_export) as missing
        on side.kind = missing.kind and side.ticket_id = missing.ticket_id
    where side.problem is null
),

set_aside as (
    select file_no, value_no, item, source_row, problem as reason, record
    from zendesk_typed
    where problem is not null
    union all
    select
        file_no,
        value_no,
        item,
        source_row,
        reason,
        left(case kind
            when 'metric' then {'ticket_id': ticket_id, 'updated_at': updated, 'solved_at': solved,
                                'reply_time_in_minutes': {'calendar': reply},
                                'full_resolution_time_in_minutes': {'calendar': resolution},
                                'reopens': reopens, 'replies': replies}::json
            else {'ticket_id': ticket_id, 'score': score, 'assignee_id': assignee_id,
                  'created_at': created, 'updated_at': updated}::json
        end::varchar, $limit)
    from orphans
),

final as (
    select $files[file_no] as source_file, source_row, reason, record
    from set_aside
    order by file_no, value_no, item
)

select * from final
