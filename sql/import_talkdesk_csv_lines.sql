-- Where each record of a calls report (CSV) begins, for reports whose records are not one line each
-- (a quoted value with a line break in it, blank lines): the file read line by line, and a record
-- begins on a line that starts outside a quoted value. Whether a line ends inside one depends on
-- whether it began inside one, so each line is a function of that state (regular expressions over
-- the line, for either start); the state before a line follows from the last line whose end state
-- does not depend on its start and the lines after it that flip it. Quotes count as a CSV writer puts
-- them (a value that opens with a quote runs to the quote that is not doubled; a quote inside an
-- unquoted value is a character), as DuckDB's reader takes them.
-- grain: one row per logical line (a record's first line, or a blank line), numbered as DuckDB numbers
--        lines in its reject table: logical 1 is the header.
-- params: $path, $delimiter (the report's field separator: ',' or ';'), $separator (a character that
--         never occurs in the file, so a line is one value).
-- output: logical, line (the line it begins on, as an editor shows it), blank.
with lines as (
    select
        row_number() over () as line,
        text
    from read_csv($path, columns = {'text': 'VARCHAR'}, header = false, delim = $separator, quote = '',
                  escape = '', auto_detect = false, strict_mode = false, encoding = 'latin-1')
),

shapes as (
    -- a line's end state (true: inside a quoted value) when it starts outside one and when it starts
    -- inside one. A field is quoted (what follows its closing quote up to the separator is kept with
    -- it), unquoted (not opening with a quote) or empty; the patterns are written out for each
    -- separator, so each is compiled once. A line without a quote leaves the state as it was.
    select
        line,
        text is null as blank,
        case
            when text is null or not contains(text, '"') then false
            when $delimiter = ';' then regexp_full_match(text, '(?:(?:"(?:[^"]|"")*"[^;]*|[^";][^;]*|);)*"(?:[^"]|"")*')
            else regexp_full_match(text, '(?:(?:"(?:[^"]|"")*"[^,]*|[^",][^,]*|),)*"(?:[^"]|"")*')
        end as from_outside,
        case
            when text is null or not contains(text, '"') then true
            when regexp_full_match(text, '(?:[^"]|"")*') then true
            when $delimiter = ';' then regexp_full_match(text, '(?:[^"]|"")*"[^;]*(?:;(?:"(?:[^"]|"")*"[^;]*|[^";][^;]*|))*;"(?:[^"]|"")*')
            else regexp_full_match(text, '(?:[^"]|"")*"[^,]*(?:,(?:"(?:[^"]|"")*"[^,]*|[^",][^,]*|))*,"(?:[^"]|"")*')
        end as from_inside
    from lines
),

flips as (
    select
        line,
        blank,
        from_outside,
        from_inside,
        from_outside = from_inside as resets,  -- ends in the same state whatever its start
        coalesce(sum((coalesce(from_outside, false) and not from_inside)::integer)
                 over (order by line rows between unbounded preceding and 1 preceding), 0) as flips_before
    from shapes
),

states as (
    select
        line,
        blank,
        last_value(case when resets then from_outside end ignore nulls)
            over (order by line rows between unbounded preceding and 1 preceding) as reset_state,
        flips_before - coalesce(last_value(case when resets then flips_before end ignore nulls)
            over (order by line rows between unbounded preceding and 1 preceding), 0) as flips_since
    from flips
),

final as (
    select
        row_number() over (order by line) as logical,
        line,
        blank
    from states
    -- a line that starts outside a quoted value begins a record (or is blank)
    where coalesce(reset_state, false) = (flips_since % 2 = 1)
)

select * from final order by logical
