-- The local minutes of a queue_log table dump's times without an offset, each once: the importer
-- makes each minute's start an instant by cxdash's one daylight-saving rule (calendar.localize, as
-- core.parse_times reads such times), and a time is its minute's instant plus its seconds. Zones
-- change their offset at whole minutes, so this is the rule applied to every time, at the cost of
-- one conversion a minute rather than one a row.
-- grain: one row per distinct local minute. params: none (reads asterisk_table_rows, the output of
--        import_asterisk_table_rows.sql).
-- output: minute (a local wall time, no zone).
with final as (
    select distinct date_trunc('minute', local_time) as minute
    from asterisk_table_rows
    where local_time is not null
)

select * from final order by minute
