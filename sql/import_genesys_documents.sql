-- The conversations of a Genesys Cloud export that is not one conversation per line: a response
-- {"conversations": [...]} (several pages may follow each other, pretty-printed or not), a JSON
-- array of conversations, or JSON lines of pages. Each conversation comes out as its JSON text, in
-- the file's order, for import_genesys_conversations.sql to read one per line (its line number is
-- then the conversation's position in the file). A page's status alone (totalHits, cursor, ...) is
-- no record; any other document that is no page of conversations comes out as it is, for the
-- conversations query to set aside with its reason. A top-level array is read element by element.
-- grain: one row per conversation (or document that is none), in the file's order.
-- params: $path, $max_size (bytes of the largest document read whole).
-- output: item (a conversation's JSON text, on one line).
with documents as (
    select document
    from read_json($path, format = 'auto', records = false, columns = {'document': 'JSON'},
                   maximum_object_size = $max_size)
),

items as (
    select
        unnest(case
            when json_type(document) = 'ARRAY' then document -> '$[*]'
            when json_type(document) <> 'OBJECT' then [document]
            when json_exists(document, '$.conversations') and json_type(document, '$.conversations') = 'ARRAY'
                then document -> '$.conversations[*]'
            when json_exists(document, '$.conversations') or json_exists(document, '$.conversationId')
                then [document]
            when len(json_keys(document)) > 0
                and list_has_all(['totalHits', 'cursor', 'dataAvailabilityDate', 'state', 'errorMessage'],
                                 json_keys(document)) then []
            else [document]
        end) as item
    from documents
),

final as (
    select item::varchar as item
    from items
)

select * from final
