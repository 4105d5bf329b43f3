-- One JSON-lines file's typed records (the Parquet file $typed, as import_zendesk_typed.sql gave them)
-- with their lines as an editor numbers them (zendesk_line_numbers: import_zendesk_line_numbers.sql):
-- a record's source_row is its line, blank lines counted; a line that holds no record keeps its text
-- and says why (not valid JSON, not a JSON object; else the reader's reason stands).
-- grain: one row per typed record of the file (value_no, item unique).
-- params: $typed (the Parquet file of the file's typed records).
-- output: the columns of import_zendesk_typed.sql.
with typed as (
    select * from read_parquet($typed)
),

final as (
    select
        typed.* replace (
            coalesce(lines.line_no, typed.source_row) as source_row,
            case when typed.kind is null then coalesce(lines.problem, typed.problem) else typed.problem end
                as problem,
            case when typed.kind is null then coalesce(lines.record, typed.record) else typed.record end
                as record)
    from typed
    left join zendesk_line_numbers as lines on lines.ordinal = typed.value_no
)

select * from final
