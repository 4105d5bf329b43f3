-- What each file of a queue_log import held: its lines (records), how many have the queue_log form,
-- how many repeat a line read before, and the NUL bytes an unclean shutdown or a log rotation left in
-- it (lines that carried some, lines damaged by them). The importer refuses a file with lines none of
-- which has the form (not a queue_log) and says what the NUL bytes did.
-- grain: one row per file (file_index). params: $damaged (the reason of a line damaged by NUL
--        bytes). Reads asterisk_lines and asterisk_repeats (import_asterisk_repeats.sql).
-- output: file_index, source_file, lines (non-blank), shaped, repeated, nul_lines (lines, blank or
--         not, that carried NUL bytes), damaged (lines set aside for them, repeated ones left out).
with lines as (
    select
        lines.*,
        repeats.source_row is not null as repeated
    from asterisk_lines as lines
    left join asterisk_repeats as repeats using (file_index, source_row)
),

final as (
    select
        file_index,
        any_value(source_file) as source_file,
        count(*) filter (where text <> '') as lines,
        count(*) filter (where text <> '' and shaped) as shaped,
        count(*) filter (where repeated) as repeated,
        count(*) filter (where had_nul) as nul_lines,
        count(*) filter (where not repeated and problem = $damaged) as damaged
    from lines
    group by file_index
)

select * from final order by file_index
