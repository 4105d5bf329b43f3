-- A CSV dump of Asterisk's realtime queue_log table (what a database client writes: a header, then
-- a row per event; columns time, callid, queuename, agent, event and data1..data5, or one data
-- column with the fields joined by '|'; other columns such as id are ignored), read as text. Empty,
-- NULL and \N values are ''. A row with too few values has the others empty, one with too many
-- loses the extra ones: nothing is refused here (the rows are judged later). The time is epoch
-- seconds, a date and time with an offset (an instant), or one without (a local time, made an
-- instant by the importer: import_asterisk_table_minutes.sql).
-- grain: one row per data row of the file (data_row: 1 for the row after the header).
-- params: $path, $delimiter (the header's: ',', ';' or a tab), $columns (the header's names, each
--         'VARCHAR', as the importer read them: no sniffing, which a damaged row can defeat).
-- output: data_row, time_text, seconds (epoch seconds, when the time is a number), aware_time (when it
--         has an offset), local_time (when it has none), callid, queue_name, agent, event, data (the
--         data fields joined by '|').
with raw as (
    select
        row_number() over () as data_row,
        *
    from read_csv($path, header = true, auto_detect = false, columns = $columns, delim = $delimiter,
                  quote = '"', escape = '"', null_padding = true, strict_mode = false,
                  nullstr = ['', '\N', 'NULL'])
),

cleaned as (
    select
        data_row,
        coalesce(trim(time), '') as time_text,
        coalesce(trim(callid), '') as callid,
        coalesce(trim(queuename), '') as queue_name,
        coalesce(trim(agent), '') as agent,
        upper(coalesce(trim(event), '')) as event,
        coalesce(COLUMNS('(?i)^data[1-5]?$'), '')
    from raw
),

timed as (
    select
        *,
        try_cast(time_text as double) as seconds,
        -- an offset after the time of day (Z, +02, -05:00), as core.parse_times recognises one; a
        -- text of 19 characters (YYYY-MM-DD HH:MM:SS) has none
        length(time_text) > 19
            and regexp_matches(time_text, '\d\d:\d\d(:\d\d(\.\d+)?)?\s*([zZ]|[+-]\d\d(:?\d\d)?)$')
            as has_offset
    from cleaned
),

final as (
    select
        data_row,
        time_text,
        seconds,
        case when seconds is null and has_offset then try_cast(time_text as timestamptz) end as aware_time,
        case when seconds is null and not has_offset then try_cast(time_text as timestamp) end as local_time,
        callid,
        queue_name,
        agent,
        event,
        concat_ws('|', *COLUMNS('(?i)^data[1-5]?$')) as data
    from timed
)

select * from final
