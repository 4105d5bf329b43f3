-- The field names of a Talkdesk calls report delivered as JSON, from its first calls, so the caller
-- can match them to the columns cxdash reads (as a CSV header is matched). A report is one JSON document
-- ($whole: a page `{"total": N, "entries": [...]}`, its HAL form `{"_embedded": {"entries": [...]}}`,
-- or an array of calls), or JSON lines ($whole false: a page, an array of calls or a call a line).
-- Only the first $values lines (values) and the first $sample calls in them are looked at.
-- grain: one row.
-- params: $path, $whole, $separator (a character that never occurs unescaped in JSON, so a line is one
--         value), $max_line (bytes of the longest line read), $values, $sample.
-- output: keys (the distinct field names of the calls looked at), pages (values that are pages or
--         arrays of calls), calls (calls looked at), values_read (JSON values looked at).
with source as (
    select content as text from read_text($path) where $whole
    union all
    select text
    from read_csv($path, columns = {'text': 'VARCHAR'}, header = false, delim = $separator, quote = '',
                  escape = '', auto_detect = false, strict_mode = false, max_line_size = $max_line,
                  buffer_size = $max_line, ignore_errors = true)
    where not $whole
),

first_values as (
    -- the first lines (no filter on the lines read: it makes DuckDB hold many more of them at once)
    select case when json_valid(text) then text::json end as value from source limit $values
),

json_values as (
    select value from first_values where value is not null
),

shaped as (
    select
        value,
        case
            when json_type(value) = 'ARRAY' and coalesce(json_type(value, '$[0]'), 'OBJECT') = 'OBJECT'
                then 'calls'
            when json_type(value) = 'ARRAY' then 'other'
            when json_type(value) <> 'OBJECT' then 'other'
            when json_type(value, '$.entries') = 'ARRAY' then 'page'
            when json_type(value, '$._embedded.entries') = 'ARRAY' then 'embedded'
            else 'call'
        end as shape
    from json_values
),

calls as (
    select unnest(case shape
        when 'calls' then json_extract(value, '$[*]')
        when 'page' then json_extract(value, '$.entries[*]')
        when 'embedded' then json_extract(value, '$._embedded.entries[*]')
        when 'call' then [value]
    end) as call
    from shaped
    where shape <> 'other'
    limit $sample
),

final as (
    select
        (select coalesce(list(distinct key order by key), [])
         from (select unnest(json_keys(call)) as key from calls where json_type(call) = 'OBJECT')) as keys,
        (select count(*) from shaped where shape in ('calls', 'page', 'embedded')) as pages,
        (select count(*) from calls where json_type(call) = 'OBJECT') as calls,
        (select count(*) from json_values) as values_read
)

select * from final
