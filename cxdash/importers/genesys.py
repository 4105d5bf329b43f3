"""Genesys Cloud conversation details (`POST /api/v2/analytics/conversations/details/query`, or the
results of an analytics conversation details job) turned into the data contract.

Accepted files: JSON lines with one conversation per line (a job's results as they are usually
saved), a response `{"conversations": [...]}` (several pages may follow each other in one file,
pretty-printed or not), a JSON array of conversations, or JSON lines of pages. A file with no
conversation in it at all raises ValueError; a bad line or record is set aside (its row: its line in
JSON lines of conversations, else its position among the file's conversations).

How it is read: DuckDB parses each conversation once into the fields below and applies the rules in
SQL, conversation by conversation, without loading the file (sql/import_genesys_conversations.sql;
each line numbered as it is read, the lines parsed in parts at once, a core each: db.in_parts). A
file of pages or arrays is first split into one conversation per line
(sql/import_genesys_documents.sql). Only a document file that is not valid JSON is split by Python
(document by document), so that its good documents still count.

How a conversation becomes one contact (field names as in the API: conversation `conversationId,
conversationStart, conversationEnd, originatingDirection, selfServed, participants[], surveys[],
resolutions[]`; participant `participantId, purpose, participantName, userId, teamId,
externalContactId, sessions[]`; session `mediaType, messageType, direction, ani, addressFrom,
queueName, outboundCampaignId, agentOwned, metrics[{name, value (ms)}],
segments[{segmentStart, segmentEnd, segmentType, queueId, queueName, disconnectType}]`):

- one contact per conversation; interaction_id = conversationId.
- finished: a conversation with conversationEnd, or without it (older exports) when every segment has
  ended: its end is then the latest segmentEnd. One with a segment still open is set aside
  "conversation in progress" (a later export brings it in).
- inbound customer contacts only; the rest is set aside with its category:
  - "outbound campaign preview" / "outbound campaign call (dialer)": unless originatingDirection is
    inbound, a participant whose purpose is campaign, dialer or outbound, or a session with an
    outboundCampaignId (a preview when the campaign used callback media);
  - "outbound conversation": originatingDirection other than inbound;
  - "internal call between users": no customer or external participant but agents or users, or a
    customer (below) that is itself a Genesys user (it has a userId);
  - when originatingDirection is missing, what the participants show: a callback session the agent
    owns (agentOwned: "callback scheduled by an agent"); the customer's session direction outbound;
    the customer's first segment dialing or contacting, or an agent or user present before the
    customer ("outbound conversation (placed by an agent)", or "callback placed by an agent" when
    callback media).
  The customer is the first customer participant, else the first external one.
- channel from the customer's first session with a mediaType: voice and callback -> phone, chat ->
  chat, email -> email, message -> sms when messageType is sms, social when it is a social network
  (facebook, twitter, instagram, line, whatsapp, ...), chat otherwise (web messaging, open messaging);
  other media (video, cobrowse, screenshare) are set aside.
- arrived_at = start of the first acd (queue) participant's segments, else conversationStart.
- queue = the name given for its queueId in the mapping's [queues] table, else the name the export
  carries: a segment's or session's queueName, else the acd participant's participantName (Genesys
  names the acd participant after the queue), else the queueId. Read from the first acd participant,
  else from the first agent.
- the agents who handled it = agent/user participants with an interact segment (an agent who was only
  alerted, e.g. not responding, did not handle it). answered_at = the first such interact segment's start;
  agent_id = that agent's userId; team = that participant's teamId.
- abandoned = reached a queue and no agent handled it.
- a conversation that reached neither a queue nor an agent is self-service (channel self_service) when
  Genesys marks it selfServed, else it is set aside "ended before reaching a queue or an agent".
- ended_at = for live channels (settings.live_channels), when the customer left (the customer
  participant's last segmentEnd); otherwise, or when that is unknown, the conversation's end (which
  includes the agents' after-call work).
- talk/hold/wrap = the sum over the handling agents of tTalk, tHeld and tAcw (ms -> s); for an agent
  without such a metric, the durations of its interact, hold and wrapup segments. A time no agent's
  metric or segment measures is empty (null), not 0. Null when unanswered.
- transfers: every agent stays in the one contact; tier = the number of distinct agents who handled it,
  capped at 3 (a proxy: each hand-over is taken as an escalation to the next tier).
- resolved_first_contact = Genesys's own resolution (resolutions[].nNextContactAvoided: the customer did
  not contact again within the resolution window) when the export has it; otherwise a proxy: handled by
  one agent and not transferred (no agent segment ended with disconnectType transfer). Null if unanswered.
- nps_score = the latest survey's surveyPromoterScore; csat_score and ces_score stay empty (the details
  carry no 1-5 or 1-7 answer, and oSurveyTotalScore is a form score, not a CSAT).
- customer_id = the customer's externalContactId, else a hash of the caller's number or address
  ("gen-" + 16 hex digits of SHA-256): pseudonymous, and the same caller gets the same id every import.
- source_updated_at (the record's version) = the latest of the conversation's end, the customer's and
  the agents' last segmentEnd (an agent's after-call work ends last) and survey/resolution times, so a
  conversation exported again with a survey added, or with an agent's wrap-up finished, replaces the
  old one.
"""

from __future__ import annotations

import codecs
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cxdash.db import connect, in_parts, load_sql
from cxdash.importers.core import SET_ASIDE_COLUMNS, MappingFile, Parsed, Source, empty_set_aside
from cxdash.settings import Settings

ROW_COLUMNS = ["interaction_id", "channel", "arrived_at", "queue", "answered_at", "ended_at", "abandoned",
               "talk_seconds", "hold_seconds", "wrap_seconds", "agent_id", "team", "tier",
               "resolved_first_contact", "csat_score", "nps_score", "ces_score", "customer_id",
               "source_updated_at", "source_file", "source_row"]
SEPARATOR = "\x1f"  # never unescaped in JSON: a line is one value
RECORD_TEXT_LIMIT = 20_000  # characters of a set-aside record kept for reading
LARGEST_DOCUMENT = 256 * 2**20  # bytes of one JSON document (a page, or a whole export) read at once
FETCH_ROWS = 100_000  # rows per Arrow batch fetched from DuckDB
REPEATED = ("source_file", "channel", "queue", "agent_id", "team")  # text columns of few values
SNIFF_LINES = 5  # non-blank lines looked at to tell JSON lines from a JSON document
INNER_ARRAY = "not a Genesys conversation (an array inside a page or an array)"
NOT_AN_EXPORT = ("not a Genesys Cloud conversation details export (expected JSON with \"conversations\": "
                 "[...], or JSON lines of conversations with a conversationId)")


def parse(paths: list[Path], settings: Settings, mapping: dict | None = None) -> Parsed:
    """Read Genesys Cloud conversation details files: one row per inbound customer conversation."""
    queues = _queue_names(mapping)
    contacts, aside, problems = [], [], []
    with tempfile.TemporaryDirectory(prefix="cxdash-genesys-") as temporary:
        scratch = Path(temporary)
        (scratch / "spill").mkdir()
        con = _connection(scratch / "spill")
        try:
            for number, path in enumerate(map(Path, paths)):
                work = scratch / f"{number}"
                work.mkdir()
                rows, file_problems = _read_file(con, path, work, settings, queues)
                if rows is not None:
                    contacts.append(rows.contacts)
                    aside.append(rows.aside)
                problems += file_problems
        finally:
            con.close()
    read = sum(table.num_rows for table in contacts + aside) + len(problems)
    set_aside = _set_aside(aside, problems)
    del aside
    rows = _frame(contacts)
    notes = [] if not mapping else [f"mapping: {key} is not used by the genesys importer"
                                    for key in mapping if key != "queues"]
    return Parsed(SOURCE.name, rows, set_aside, records_read=read, notes=notes)


def _frame(contacts: list[pa.Table]) -> pa.Table | pd.DataFrame:
    """The contacts as one Arrow table, as DuckDB gave them (the core reads Arrow as it is)."""
    if not contacts:
        return pd.DataFrame(columns=ROW_COLUMNS)
    table = pa.concat_tables(contacts)
    contacts.clear()
    return table


def _queue_names(mapping: dict | None) -> dict[str, str]:
    queues = (mapping or {}).get("queues", {})
    if not isinstance(queues, dict):
        raise ValueError("mapping: [queues] must map Genesys queue ids to queue names")
    return {str(key): str(value) for key, value in queues.items()}


def _connection(spill: Path) -> duckdb.DuckDBPyConnection:
    con = connect(temp_directory=spill)
    con.execute("set memory_limit = '600MB'")  # streamed: a few chunks of lines at a time
    con.execute("set preserve_insertion_order = true")  # line numbers and positions follow the file
    con.execute("set TimeZone = 'UTC'")  # a time without an offset is UTC, as Genesys writes them
    return con


def _set_aside(aside: list[pa.Table], problems: list[tuple]) -> pd.DataFrame:
    frames = [table.to_pandas() for table in aside if table.num_rows]
    if problems:
        frames.append(pd.DataFrame(problems, columns=SET_ASIDE_COLUMNS))
    if not frames:
        return empty_set_aside()
    return pd.concat(frames, ignore_index=True).astype({"source_row": "int64"})


@dataclass
class _Rows:
    """What the conversations query made of one file: its contacts (ROW_COLUMNS), the records set
    aside (SET_ASIDE_COLUMNS; a page or an array among the records has no reason yet) and the kinds
    of record it met."""

    contacts: pa.Table
    aside: pa.Table
    kinds: set[str] = field(default_factory=set)
    lines: int = 0  # the rows the query gave (blank lines and page statuses too)


# --- reading one file ------------------------------------------------------------------------------

def _read_file(con: duckdb.DuckDBPyConnection, path: Path, work: Path, settings: Settings,
               queues: dict[str, str]) -> tuple[_Rows | None, list[tuple]]:
    """The conversations query's rows for one file (None when it holds no record) and the problems
    found before it (fragments that are not JSON, in a document file). Raises ValueError when
    nothing in the file is a Genesys conversation."""
    shape = _shape(path)
    if shape == "empty":
        return None, []
    if shape == "lines":
        try:
            rows = _conversations(con, path, path.name, settings, queues, work)
        except duckdb.Error:
            rows = None  # a line longer than DuckDB reads as one: read as documents
        if rows is not None and not ("container" in rows.kinds
                                     or ("conversation" not in rows.kinds and "invalid" in rows.kinds)):
            return _checked(path, rows, [])
        # pages or arrays among the lines, or no line a conversation: read as documents
    items, problems = _split_documents(con, path, work)
    rows = _conversations(con, items, path.name, settings, queues, work) if items is not None else None
    if rows is not None and "container" in rows.kinds:  # an array inside a page or an array
        reason = rows.aside.schema.get_field_index("reason")
        rows.aside = rows.aside.set_column(reason, "reason", pc.fill_null(rows.aside["reason"], INNER_ARRAY))
    return _checked(path, rows, problems)


def _checked(path: Path, rows: _Rows | None, problems: list[tuple]) -> tuple[_Rows | None, list[tuple]]:
    """A file's rows, unless none of its records is a Genesys conversation (ValueError)."""
    if rows is not None and not rows.kinds:
        rows = None
    if (rows is None or "conversation" not in rows.kinds) and (problems or rows is not None):
        raise ValueError(f"{path.name}: {NOT_AN_EXPORT}")
    return rows, problems


def _shape(path: Path) -> str:
    """"lines" when one of the first non-blank lines is a JSON object by itself (JSON lines), "empty"
    when the file has nothing but blanks, else "documents" (pretty-printed JSON, an array, not JSON)."""
    seen = 0
    try:
        with open(path, "rb") as handle:
            while seen < SNIFF_LINES:
                line = handle.readline(4 * 2**20)
                if not line:
                    break
                text = line.decode("utf-8", errors="replace").lstrip("\ufeff").strip()
                if not text:
                    continue
                seen += 1
                try:
                    if isinstance(json.loads(text), dict):
                        return "lines"
                except ValueError:
                    continue
    except OSError as error:
        raise ValueError(f"{path.name}: cannot be read ({error})") from error
    return "documents" if seen else "empty"


def _conversations(con: duckdb.DuckDBPyConnection, path: Path, name: str, settings: Settings,
                   queues: dict[str, str], work: Path) -> _Rows:
    """sql/import_genesys_conversations.sql's rows for a file of one conversation per line; a file
    DuckDB cannot read as text lines because of bytes that are not UTF-8 is read again with those
    bytes replaced (U+FFFD). Raises duckdb.Error when even that copy cannot be read."""
    params = {"path": str(path), "name": name, "separator": SEPARATOR, "limit": RECORD_TEXT_LIMIT,
              "live_channels": list(settings.live_channels), "queue_ids": list(queues),
              "queue_names": list(queues.values())}
    try:
        return _fetch(con, params)
    except duckdb.Error:
        cleaned = _utf8_copy(path, work)
    return _fetch(con, {**params, "path": str(cleaned)})


def _fetch(con: duckdb.DuckDBPyConnection, params: dict) -> _Rows:
    """The query's rows, read in parts at once (db.in_parts: each part parses its share of the lines on
    a core of its own), streamed from DuckDB in Arrow batches and split at once into contacts and
    records set aside (the whole result never sits in memory twice), each at its line (line_no), in
    the file's order. Blank lines and page statuses are no records."""
    parts = in_parts(con, lambda cursor, part: _fetch_part(cursor, {**params, **part}))
    schema = _numbered_schema(parts[0][3])
    contacts, aside, kinds, lines = [], [], set(), 0
    for part_contacts, part_aside, part_kinds, _, part_lines in parts:
        contacts += part_contacts
        aside += part_aside
        kinds |= part_kinds
        lines += part_lines
    parts.clear()  # the batches are held once, by the lists _table empties
    return _Rows(_table(contacts, _compact_schema(schema), ROW_COLUMNS),
                 _table(aside, schema, SET_ASIDE_COLUMNS), kinds - {"blank", "status"}, lines)


def _fetch_part(cursor: duckdb.DuckDBPyConnection, params: dict) -> tuple[list, list, set, pa.Schema, int]:
    """One part's rows (sql/import_genesys_conversations.sql): its contacts' and its records' batches,
    the kinds of record met, the query's schema and the rows it gave."""
    reader = cursor.sql(load_sql("import_genesys_conversations"), params=params).to_arrow_reader(FETCH_ROWS)
    contacts, aside, kinds, lines = [], [], set(), 0
    for batch in reader:  # batches of FETCH_ROWS rows, not rows
        batch = _numbered(batch)
        lines += batch.num_rows
        kind = batch["kind"]
        kinds.update(pc.unique(kind).to_pylist())
        contact = pc.and_(pc.is_null(batch["reason"]), pc.equal(kind, "conversation"))
        record = pc.invert(pc.or_(contact, pc.is_in(kind, pa.array(["blank", "status"]))))
        contacts.append(_compact(batch.filter(contact).select(ROW_COLUMNS)))
        aside.append(batch.filter(record).select(SET_ASIDE_COLUMNS))  # few: kept as text
    return contacts, aside, kinds, reader.schema, lines


def _compact(batch: pa.RecordBatch) -> pa.RecordBatch:
    """The batch with its columns of few values (REPEATED) dictionary-encoded: a million contacts
    hold their file name, channel, queue, agent and team in about 80 MB less (the checks read the
    values)."""
    columns = [pc.dictionary_encode(column) if name in REPEATED else column
               for name, column in zip(batch.schema.names, batch.columns, strict=True)]
    return pa.RecordBatch.from_arrays(columns, schema=_compact_schema(batch.schema))


def _compact_schema(schema: pa.Schema) -> pa.Schema:
    return pa.schema([field.with_type(pa.dictionary(pa.int32(), field.type)) if field.name in REPEATED
                      else field for field in schema])


def _numbered(batch: pa.RecordBatch) -> pa.RecordBatch:
    """A batch of the query's rows with each row's line (line_no) as its source_row."""
    index = batch.schema.get_field_index("line_no")
    return batch.set_column(index, pa.field("source_row", pa.int64()), batch["line_no"].cast(pa.int64()))


def _numbered_schema(schema: pa.Schema) -> pa.Schema:
    return schema.set(schema.get_field_index("line_no"), pa.field("source_row", pa.int64()))


def _table(batches: list[pa.RecordBatch], schema: pa.Schema, names: list[str]) -> pa.Table:
    """The batches as one table of these columns, in the file's order (the parts of a file read at
    once each hand over their share of its lines). Empties `batches`; put in order a column at a
    time, each let go of once taken, so the rows are never held twice."""
    table = pa.Table.from_batches(batches, pa.schema([schema.field(name) for name in names]))
    batches.clear()
    numbers = table["source_row"]
    if pc.all(pc.greater(numbers.slice(1), numbers.slice(0, max(len(numbers) - 1, 0)))).as_py() is not False:
        return table
    order = pc.sort_indices(numbers)
    fields, columns = table.schema, table.columns
    del table, numbers
    for index in range(len(columns)):
        column, columns[index] = columns[index], None
        columns[index] = column.take(order)
        del column  # the column as read, let go of before the next is taken
    return pa.Table.from_arrays(columns, schema=fields)


def _utf8_copy(path: Path, work: Path) -> Path:
    """The file with bytes that are not UTF-8 replaced (U+FFFD), copied in blocks."""
    target = work / "utf8.jsonl"
    decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="replace")
    with open(path, "rb") as source, open(target, "w", encoding="utf-8") as out:
        while block := source.read(16 * 2**20):
            out.write(decoder.decode(block))
        out.write(decoder.decode(b"", final=True))
    return target


def _split_documents(con: duckdb.DuckDBPyConnection, path: Path,
                     work: Path) -> tuple[Path | None, list[tuple]]:
    """A document file (pages, an array, pretty-printed or not) written as one conversation per line
    (sql/import_genesys_documents.sql), and the problems found on the way. When DuckDB cannot read
    the file as JSON, Python splits it into its documents first (document by document, not record by
    record): a fragment that is not JSON is a problem at the line it starts on; the documents are read
    as above."""
    items = work / "items.jsonl"
    try:
        _write_items(con, path, items)
        return items, []
    except duckdb.Error:
        pass
    documents, problems = work / "documents.jsonl", []
    try:
        text = path.read_text(encoding="utf-8-sig", errors="replace")
    except OSError as error:
        raise ValueError(f"{path.name}: cannot be read ({error})") from error
    with open(documents, "w", encoding="utf-8") as out:
        for line, document, raw in _documents(text):
            if document is _NOT_JSON:
                problems.append((path.name, line, "not valid JSON", raw[:RECORD_TEXT_LIMIT]))
            else:
                out.write(json.dumps(document, ensure_ascii=False) + "\n")
    if documents.stat().st_size == 0:
        return None, problems
    _write_items(con, documents, items)
    return items, problems


def _write_items(con: duckdb.DuckDBPyConnection, path: Path, target: Path) -> None:
    query = load_sql("import_genesys_documents").strip().rstrip(";")
    size = min(path.stat().st_size + 1, LARGEST_DOCUMENT)  # DuckDB's buffer is sized by it
    con.execute(f"copy ({query}) to '{_quoted(target)}' (format csv, header false, quote '', escape '', "
                f"delimiter '{SEPARATOR}')", {"path": str(path), "max_size": size})


def _quoted(path: Path) -> str:
    """A path of this importer's own scratch folder, as a SQL string literal's text."""
    return str(path).replace("'", "''")


_NOT_JSON = object()


def _documents(text: str):
    """Every JSON document in the text (one, several concatenated, or one per line), with the line it
    starts on; a fragment that is not JSON comes back as _NOT_JSON, up to the end of its line."""
    decoder = json.JSONDecoder()
    position, line, counted = 0, 1, 0
    while True:
        while position < len(text) and text[position] in " \t\r\n":
            position += 1
        if position >= len(text):
            return
        line += text.count("\n", counted, position)
        counted = position
        try:
            document, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError:
            end = text.find("\n", position)
            end = len(text) if end < 0 else end
            document = _NOT_JSON
        yield line, document, text[position:end]
        position = end


# the source, declared once: the command line, the upload checks and the Import page read it here
SOURCE = Source(
    name="genesys",
    label="Genesys Cloud conversation details (JSON)",
    parse=parse,
    extensions=("json", "jsonl"),
    hint="Conversation details from the analytics API (a response, a job's results, or JSON lines).",
    mapping=MappingFile(required=False,
                        purpose="Names for queue ids (else the queue's name as Genesys gives it).",
                        example='[queues]\n"0b1c2d3e-aaaa-bbbb-cccc-123456789abc" = "Billing"\n'),
    doc=__doc__,
)
