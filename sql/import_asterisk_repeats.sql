-- The lines of a queue_log import that repeat the text of a line read before them (the same log
-- given twice, overlapping rotations, a dump and its copy): each is merged into the first reading,
-- not read again. Lines are read in the order of the files, then of their lines.
-- grain: one row per later reading (file_index, source_row). params: none (reads asterisk_lines, the
--        output of import_asterisk_log.sql and import_asterisk_table.sql for every file).
-- output: file_index, source_row.
with repeated_hashes as (
    -- the hashes of texts read more than once (few): only lines with these are compared and ranked
    -- (a number is grouped faster than a line of text; the text itself decides below)
    select hash(text) as text_hash
    from asterisk_lines
    where text <> ''
    group by text_hash
    having count(*) > 1
),

readings as (
    select
        file_index,
        source_row,
        row_number() over (partition by text order by file_index, source_row) as reading
    from asterisk_lines
    semi join repeated_hashes on hash(asterisk_lines.text) = repeated_hashes.text_hash
    where text <> ''
),

final as (
    select file_index, source_row
    from readings
    where reading > 1
)

select * from final order by file_index, source_row
