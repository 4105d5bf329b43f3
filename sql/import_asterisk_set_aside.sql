-- The lines of a queue_log import set aside on their own (damaged by NUL bytes, malformed, agent and
-- system events), with their line number and text, for the set-aside list; the calls set aside whole
-- come from import_asterisk_calls.sql. A repeated line is not among them: it is merged.
-- grain: one row per line set aside. params: $limit (characters of a line's text kept; a record the
--        reader kept is cut already). Reads asterisk_lines and asterisk_repeats
--        (import_asterisk_repeats.sql).
-- output: file_index (the file's place in the import), source_file, source_row, reason, record.
with final as (
    select
        file_index,
        source_file,
        source_row,
        problem as reason,
        coalesce(record, left(text, $limit)) as record
    from asterisk_lines
    anti join asterisk_repeats using (file_index, source_row)
    where problem is not null
)

select * from final order by file_index, source_row
