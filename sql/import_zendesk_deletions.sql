-- The tickets a Zendesk export says were deleted (status deleted, as the incremental export delivers a
-- ticket deleted later), from zendesk_typed: one deletion each, dated by the ticket's updated_at (when it
-- was deleted; null when the record has none). core.store removes the stored contact unless it is newer.
-- grain: one row per deletion record (a ticket deleted twice in the export gives two).
-- params: $files (the files' names, by file_no; reads zendesk_typed).
-- output: interaction_id, source_updated_at, source_file, source_row.
with final as (
    select
        'zd-' || ticket_id as interaction_id,
        updated as source_updated_at,
        $files[file_no] as source_file,
        source_row
    from zendesk_typed
    where kind = 'ticket' and problem is null and status = 'deleted'
    order by file_no, value_no, item
)

select * from final
