-- Times written in a mapping's strftime `format`, or in the plainest forms of ISO 8601
-- (cxdash/importers/csv_mapping.py), read by DuckDB: null where a text fits no format or names a day the
-- calendar does not have (31.02.). The importer keeps a time only where the text also fits Python's
-- pattern for the format, and reads every other text with pandas, as Python's strptime does.
-- grain: one row per cell of the view `cells` (its column `text`), in its order.
-- params: $format (a strftime format, or a list of them: the first that fits a text reads it)
-- output: at (a timestamp; with time zone when the format has %z).
with final as (
    select try_strptime(text, $format) as at
    from cells
)

select * from final
