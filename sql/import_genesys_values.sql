-- Genesys Cloud conversation details, one conversation per line of a JSON-lines file, read by DuckDB's
-- JSON reader into the fields import_genesys_conversations.sql reads, with the same types as its
-- json_transform (records = false: a line that is no JSON object gives a row of nulls, one that is
-- not JSON gives null, as json_transform does). The importer's first pass over a file of conversations:
-- the reader parses the file in place, on every thread, without handing each line over as text; the
-- conversations query's rules then run on these rows (cxdash/importers/genesys.py puts them in place
-- of that query's reading steps). The lines are not kept (line is null): a line that is no contact
-- is read again, as text, by import_genesys_lines.sql. Blank lines are skipped: line_no is a value's
-- place among the file's values (its line when the file has no blank line). A line longer than
-- import_genesys_conversations.sql reads (8 MiB) stops the read.
-- grain: one row per non-blank line of the file (line_no unique: the value's place among the file's
--        values, numbered by the reader; rows may come out of the file's order).
-- params: $path
-- output: line_no, line (null), blank (false), c (the fields read, as import_genesys_conversations.sql's
--         json_transform gives them; null for a line that is not JSON).
with final as (
    select
        ordinality as line_no,
        null::varchar as line,
        false as blank,
        c
    from read_json($path, format = 'newline_delimited', records = false, ignore_errors = true,
                   maximum_object_size = 8388608, columns = {'c': 'STRUCT(
        "conversationId" JSON, "conversations" JSON,
        "conversationStart" VARCHAR, "conversationEnd" VARCHAR,
        "originatingDirection" VARCHAR, "selfServed" BOOLEAN,
        "participants" STRUCT(
            "participantId" VARCHAR, "participantName" VARCHAR, "purpose" VARCHAR,
            "userId" VARCHAR, "teamId" VARCHAR, "externalContactId" VARCHAR,
            "sessions" STRUCT(
                "mediaType" VARCHAR, "messageType" VARCHAR, "direction" VARCHAR,
                "ani" VARCHAR, "addressFrom" VARCHAR, "queueName" VARCHAR,
                "outboundCampaignId" VARCHAR, "agentOwned" BOOLEAN,
                "segments" STRUCT(
                    "segmentStart" TIMESTAMPTZ, "segmentEnd" TIMESTAMPTZ,
                    "segmentType" VARCHAR, "queueId" VARCHAR, "queueName" VARCHAR,
                    "disconnectType" VARCHAR)[],
                "metrics" STRUCT("name" VARCHAR, "value" DOUBLE)[])[])[],
        "surveys" STRUCT("surveyPromoterScore" DOUBLE, "surveyCompletedDate" TIMESTAMPTZ,
                         "eventTime" TIMESTAMPTZ)[],
        "resolutions" STRUCT("nNextContactAvoided" DOUBLE, "eventTime" TIMESTAMPTZ)[])'}) with ordinality
)

select * from final
