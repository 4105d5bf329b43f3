"""Zendesk tickets, ticket metrics and satisfaction ratings into the data contract, joined on the ticket id.

What is read, in any mix of files (a file's kind is told from its keys or columns, never its name):
- JSON as the Support API returns it: `{"tickets": [...]}` (the list endpoint, or the incremental
  export, whose `end_time`, `after_cursor`, `next_page` and other keys are ignored: one page a file,
  or one page a line), `{"ticket_metrics": [...]}`, the incremental export's sideloaded
  `{"metric_sets": [...]}`, `{"satisfaction_ratings": [...]}`, one object (`{"ticket": {...}}`), a
  bare array of records, or one record;
- JSON lines, one record (or one of the documents above) a line;
- CSV with the same fields, nested ones flattened (`via.channel` or `via_channel`,
  `reply_time_in_minutes.calendar`, or a plain `reply_time_in_minutes` read as calendar minutes);
  headers are matched ignoring case, spaces and dots (`Created at` = `created_at`); quoted fields may
  hold commas, quotes and line breaks.
DuckDB reads the files (several side by side), and only the fields below: the rest of a ticket (its
description, tags, custom fields...) is skipped. A file that holds none of the three kinds raises
ValueError naming it. A bad record in a good file (a line that is not JSON, a CSV row with the wrong
number of fields, a timestamp or number that does not parse, a ticket without an id or created_at) is
set aside with its file, row and reason. The reason is a category ("created_at: not a timestamp",
"satisfaction rating for a ticket not in this export"); which record it was is in source_row and the
record: source_row is the line (CSV; JSON lines, where blank lines count when a line of the file is
set aside as no record, and otherwise the records are numbered in their order) or the record's
position in the file (a JSON document); the record is the line as written when it holds no record,
else the fields read of it (as JSON).

Times: the API writes UTC (`2024-03-01T10:00:00Z`). A time without an offset (a CSV from Explore or
a spreadsheet) is read in the mapping's `timezone` (default UTC).

Mapping decisions:
- interaction_id `zd-<id>`; customer_id `zd-user-<requester_id>`; agent_id `zd-agent-<assignee_id>`
  (the rating's assignee when the ticket has none); team `zd-group-<group_id>`; queue, tier and the
  handle times stay null (tickets have none of them).
- channel from via.channel, a setting: the mapping file's `[via]` table says which contract channel
  (phone, chat, email, social, sms, self_service) a via value is, over these defaults: email, web,
  web_form, api, mobile, mobile_sdk -> email; chat, native_messaging -> chat; voice -> phone;
  twitter*, facebook*, instagram*, whatsapp -> social; sms -> sms; anything else -> email, and a note
  says which values and how many tickets. A ticket created through the API (`api`) may be a call or
  a chat a phone or chat integration logged: the summary notes how many tickets came in through each
  via value and what each was read as, and how to read `api` otherwise.
- arrived_at = created_at; answered_at = created_at + reply_time_in_minutes.calendar (the first
  reply), null without one; ended_at = the solve time of a solved or closed ticket (the metric's
  solved_at, else created_at + full_resolution_time_in_minutes.calendar), null while the ticket is
  new, open, pending or on hold (a solve before a reopen is not an end).
- abandoned = False: a ticket is asynchronous, nobody hangs up on a queue.
- resolved_first_contact = Zendesk's "one-touch" resolution: solved with no reopen and at most one
  agent reply (reopens == 0 and replies <= 1); null without a metric record and while not solved.
- csat_score: good -> 5, bad -> 1; offered and unoffered (a survey sent or not, never answered) ->
  null. Zendesk's ratings have two values; scored 5 and 1, top-2-box (ratings of 4-5 / all ratings)
  and good / (good + bad) both give good / (good + bad), Zendesk's own satisfaction score, so
  csat_method "top2box" and "good_bad" read the same number. Under "mean" the average is
  1 + 4 x that share, and a note says so. A rating record wins over the ticket's inline
  `satisfaction_rating`, which is used when the export has no rating record for the ticket.
- source_updated_at = the ticket's updated_at. Zendesk moves a ticket's updated_at when its metrics
  or rating change, and keeping the ticket's own version means two copies of one ticket in an export
  are ordered by the ticket alone, whatever metric or rating was joined to them.
- A ticket with status `deleted` (how the incremental export delivers a ticket deleted later) is a
  deletion, dated by its updated_at: the stored contact is removed unless it is newer, and so are this
  export's older copies of the ticket; the summary counts the deletions. A ticket whose solve time is
  before its created_at is set aside (validate would refuse the row).

Counting (read = new + updated + unchanged + superseded + merged + set aside + deleted): every ticket,
metric and rating record is read (and every malformed line or unknown record). A metric or rating
folded into its ticket (or into the ticket's deletion) counts as merged; an older copy of a ticket's
metric or rating (by updated_at) as superseded; one whose ticket is not in this import is set aside
("satisfaction rating for a ticket not in this export"). Metrics and ratings are joined only to
tickets of the same import: import them together. Tickets imported later without their metrics (or
ratings) keep the first reply, solve time and resolution (or rating) already stored: those columns are
not carried by such an import (core.Parsed.not_carried).
"""

from __future__ import annotations

import codecs
import csv
import functools
import json
import re
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cxdash.calendar import SKIPPED_REASON
from cxdash.contract import CHANNELS as CONTRACT_CHANNELS
from cxdash.db import THREADS, connect, load_sql
from cxdash.importers.core import (
    MappingFile,
    Parsed,
    Source,
    empty_deletions,
    empty_set_aside,
    mapping_zone,
)
from cxdash.settings import Settings

RECORD_TEXT_LIMIT = 2_000  # characters of a set-aside record kept for reading
VALUE_LIMIT = 16 * 2**20  # the largest JSON value DuckDB's reader takes (a page of 1,000 tickets: a few MB)
LINE_LIMIT = 32 * 2**20  # the longest line read line by line (a larger value is set aside)
SEPARATOR = "\x1f"  # a character that never occurs unescaped in JSON: a line is one value
HEAD_BYTES = 64 * 2**10  # what is read of a file to tell JSON from CSV and that it is UTF-8 text
DOCUMENT_LIMIT = 16 * 2**20  # a file of one JSON document at most this big is read with others
# the typed records' scratch files: read back a few times and then deleted, so written fast, not small
PART_COMPRESSION = "lz4_raw"

# flattened CSV headers that name the same field as the API's nested one
ALIASES = {
    "via": "via_channel",
    "reply_time_in_minutes": "reply_time_in_minutes_calendar",
    "first_reply_time_in_minutes": "reply_time_in_minutes_calendar",
    "full_resolution_time_in_minutes": "full_resolution_time_in_minutes_calendar",
    "satisfaction_score": "satisfaction_rating_score",
}
TICKET_FIELDS = ("via_channel", "status", "requester_id", "submitter_id", "assignee_id", "group_id",
                 "subject")
METRIC_KEYS = frozenset({"reply_time_in_minutes_calendar", "first_resolution_time_in_minutes_calendar",
                         "full_resolution_time_in_minutes_calendar", "replies", "reopens", "solved_at"})

# the fields read of each kind of record, as the API nests them (JSON); DuckDB reads nothing else
_TEXT = "VARCHAR"
TICKET = {"id": _TEXT, "created_at": _TEXT, "updated_at": _TEXT, "status": _TEXT, "via": {"channel": _TEXT},
          "via_channel": _TEXT, "assignee_id": _TEXT, "group_id": _TEXT, "requester_id": _TEXT,
          "submitter_id": _TEXT, "subject": _TEXT, "satisfaction_rating": {"score": _TEXT}}
METRIC = {"ticket_id": _TEXT, "updated_at": _TEXT, "solved_at": _TEXT, "reopens": _TEXT, "replies": _TEXT,
          "reply_time_in_minutes": {"calendar": _TEXT},
          "full_resolution_time_in_minutes": {"calendar": _TEXT}}
RATING = {"ticket_id": _TEXT, "score": _TEXT, "assignee_id": _TEXT, "created_at": _TEXT, "updated_at": _TEXT}
# a JSON value: a response document (lists, or one record under its name) or a record standing alone
VALUE = {**TICKET, **METRIC, **RATING, "satisfaction_rating": RATING,
         "tickets": [TICKET], "ticket_metrics": [METRIC], "metric_sets": [METRIC],
         "satisfaction_ratings": [RATING], "ticket": TICKET, "ticket_metric": METRIC}

# the channel of each via.channel value unless the mapping's [via] says otherwise; twitter*,
# facebook*, instagram* and whatsapp* are social (import_zendesk_contacts.sql), anything else email
CHANNELS = {"email": "email", "web": "email", "web_form": "email", "api": "email", "mobile": "email",
            "mobile_sdk": "email", "chat": "chat", "native_messaging": "chat", "voice": "phone",
            "whatsapp": "social", "sms": "sms"}
SOCIAL_PREFIXES = ("twitter", "facebook", "instagram", "whatsapp")
# via values a phone or chat integration may log its contacts through: the summary says how they were read
INTEGRATION_VIA = ("api",)

# a record's fields as text, flattened (import_zendesk_records.sql, import_zendesk_csv.sql)
FIELDS = ("id", "ticket_id", "created_at", "updated_at", "status", "via", "assignee_id", "group_id",
          "requester_id", "subject", "inline_score", "score", "solved_at", "reopens", "replies",
          "reply_minutes", "full_minutes")


def via_channels(mapping: dict | None) -> dict[str, str]:
    """The contract channel of each via.channel value: the defaults, with the mapping's [via] table
    over them. ValueError naming the entry when [via] is no table or names no contract channel."""
    channels = dict(CHANNELS)
    table = (mapping or {}).get("via")
    if table is None:
        return channels
    if not isinstance(table, dict):
        raise ValueError("mapping: [via] must be a table of via.channel values and the channel each is "
                         'read as (e.g. api = "phone")')
    for value, channel in table.items():
        name = str(channel).strip().lower() if isinstance(channel, str) else None
        if name not in CONTRACT_CHANNELS:
            raise ValueError(f"mapping: [via] {value} = {channel!r} is not a channel: one of "
                             f"{', '.join(CONTRACT_CHANNELS)}")
        channels[str(value).strip().lower()] = name
    return channels


def channel_of(via: str | None, channels: dict[str, str] | None = None) -> str | None:
    """The contract channel of a ticket's via.channel; None when cxdash has no name for it."""
    value = (via or "").strip().lower()
    table = CHANNELS if channels is None else channels
    if value in table:
        return table[value]
    if value.startswith(SOCIAL_PREFIXES):
        return "social"
    return None


# --- reading the files -----------------------------------------------------------------------------

def _duckdb_type(spec) -> str:
    if isinstance(spec, list):
        return _duckdb_type(spec[0]) + "[]"
    if isinstance(spec, dict):
        return "STRUCT(" + ", ".join(f'"{key}" {_duckdb_type(value)}' for key, value in spec.items()) + ")"
    return spec


COLUMNS = {key: _duckdb_type(value) for key, value in VALUE.items()}  # read_json's columns
STRUCTURE = json.dumps(VALUE)  # json_transform's structure: the same fields


@functools.lru_cache(maxsize=4096)
def _column(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", str(name).strip().lower()).strip("_")


def _kind(names) -> str | None:
    """ticket, metric or rating, from a CSV's columns."""
    if "score" in names and "ticket_id" in names:
        return "rating"
    if "ticket_id" in names:
        return "metric" if not METRIC_KEYS.isdisjoint(names) else None
    return "ticket" if any(name in names for name in TICKET_FIELDS) else None


def _not_an_export(path: Path) -> ValueError:
    return ValueError(f"{path.name}: not a Zendesk export: no tickets, ticket metrics or satisfaction "
                      "ratings in it (told from the keys or columns: tickets need id, created_at, "
                      "via/status/requester_id...; metrics ticket_id and reply_time_in_minutes...; "
                      "ratings ticket_id and score)")


def _not_text(path: Path) -> ValueError:
    return ValueError(f"{path.name}: not a Zendesk export (not UTF-8 text: expected JSON, JSON lines "
                      "or CSV of tickets, ticket metrics or satisfaction ratings)")


def _connection(scratch: Path) -> duckdb.DuckDBPyConnection:
    con = connect(temp_directory=scratch)  # a large export spills to disk rather than failing
    con.execute("set memory_limit = '600MB'")  # DuckDB's share of the import (it spills beyond it)
    _session(con)
    return con


def _session(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    con.execute("set preserve_insertion_order = true")  # values are numbered in the file's order
    con.execute("set TimeZone = 'UTC'")
    return con


def _head(path: Path) -> str:
    """The first characters of a file (no byte order mark); ValueError when it is not UTF-8."""
    with open(path, "rb") as handle:
        head = handle.read(HEAD_BYTES)
    try:
        return codecs.getincrementaldecoder("utf-8-sig")().decode(head, final=False)
    except UnicodeDecodeError:
        raise _not_text(path) from None


def _used(sql: str, parameters: dict) -> dict:
    """The parameters a statement uses (DuckDB refuses others), its comments aside."""
    code = re.sub(r"--[^\n]*", "", sql)
    return {name: value for name, value in parameters.items() if re.search(rf"\${name}\b", code)}


def _statement(source: str, reader: str | None = None) -> str:
    """The query that types one file's records: the reader's values (JSON) into records, then typed;
    or the records of a CSV (`source` import_zendesk_csv)."""
    typed = "select * from (\n" + load_sql("import_zendesk_typed") + "\n)"
    if reader is None:
        return f"with zendesk_records as (\n{load_sql(source)}\n)\n{typed}"
    return (f"with zendesk_values as (\n{load_sql(reader)}\n),\n"
            f"zendesk_records as (\n{load_sql(source)}\n)\n{typed}")


class _Reading:
    """The records of an import's files, typed by DuckDB into Parquet files in the scratch folder
    (zendesk_typed, a view over them, once read), and the few set aside in Python (a broken JSON
    document: one record)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, zone: str, scratch: Path):
        self.con = con
        self.folder = scratch / "typed"
        self.folder.mkdir(exist_ok=True)
        self.parts: dict[int, Path] = {}  # the Parquet file holding each file's typed records
        self.set_aside: list[dict] = []
        # files recognised without a row read: an empty array, a CSV of a header alone, one broken
        # document (set aside in Python)
        self._recognised: set[int] = set()
        self.common = {"zone": zone, "skipped": SKIPPED_REASON, "limit": RECORD_TEXT_LIMIT,
                       "separator": SEPARATOR, "columns": COLUMNS, "structure": STRUCTURE}
        empty = scratch / "empty.csv"  # no record, but the columns of every typed file
        empty.write_text("id\n", encoding="utf-8")
        self._write(con, _statement("import_zendesk_csv"), self._csv_parameters(empty, 0, ["id"], "ticket"),
                    [0])

    def _csv_parameters(self, path: Path, number: int, names: list[str], kind: str) -> dict:
        return {**self.common, "path": str(path), "file_no": number, "names": names, "kind": kind,
                "size": LINE_LIMIT, "mode": "lines"}

    def _write(self, con, sql: str, parameters: dict, numbers: list[int]) -> Path:
        """Run a query of typed records into a Parquet file of its own: the part of these files."""
        # named by the first file, so the view reads the parts in the export's order
        target = self.folder / f"{min(numbers):06d}-{uuid.uuid4().hex}.parquet"
        con.sql(sql, params=_used(sql, parameters)).write_parquet(str(target), compression=PART_COMPRESSION)
        for number in numbers:
            self.parts[number] = target
        return target

    def add(self, paths: list[Path]) -> None:
        """Read the files: one-document files together, the others each on its own, side by side;
        then zendesk_typed is a view of every file's typed records."""
        documents, alone = [], []
        for number, path in enumerate(paths, start=1):
            shape = self._shape(path)
            if shape == "document":
                documents.append((number, path))
            elif shape is not None:
                alone.append((number, path, shape))
        alone += self._documents(documents)
        workers = max(1, min(THREADS, len(alone)))
        if workers == 1:
            for number, path, shape in alone:
                self._file(self.con, number, path, shape)
        else:
            with ThreadPoolExecutor(workers) as pool:
                for done in [pool.submit(self._file, None, *job) for job in alone]:
                    done.result()
        parts = sorted({str(part) for part in self.parts.values()})
        self.con.read_parquet(parts).create_view("zendesk_typed")
        recognised = self.con.execute(
            "select list(distinct file_no) from zendesk_typed where kind is not null").fetchall()[0][0] or []
        for number in sorted({number for number, *_ in alone} | {number for number, _ in documents}):
            if number not in recognised and number not in self._recognised:
                raise _not_an_export(paths[number - 1])

    def _shape(self, path: Path) -> str | None:
        """How a file is read: csv, array, lines, document (a file of one JSON document, read with
        others), or None (empty)."""
        head = _head(path)
        text = head.lstrip()
        if not text:
            return None if path.stat().st_size <= HEAD_BYTES else "csv"
        if text[0] == "[":
            return "array"
        if text[0] != "{":
            return "csv"
        if path.stat().st_size > DOCUMENT_LIMIT:
            return "lines"
        first, newline, rest = text.partition("\n")
        if not newline or not rest.strip():
            return "document"  # one line: one document (or one record)
        try:
            json.loads(first)
        except ValueError:
            return "document"  # pretty-printed: a record spread over lines
        return "lines"

    def _documents(self, documents: list[tuple[int, Path]]) -> list[tuple[int, Path, str]]:
        """Read the one-document files together; those that hold more than one value, or stop the
        reader, are read on their own, and those that are no one document returned, to be read as
        JSON lines."""
        if not documents:
            return []
        numbers = [number for number, _ in documents]
        parameters = {**self.common, "paths": [str(path) for _, path in documents], "file_nos": numbers,
                      "lenient": False, "size": max(path.stat().st_size for _, path in documents) + 1,
                      "mode": "document"}
        try:
            sql = _statement("import_zendesk_records", "import_zendesk_json_documents")
            part = self._write(self.con, sql, parameters, numbers)
            values = dict(self.con.execute(
                "select file_no, count(*) filter (where item = 0) from read_parquet($part) group by file_no",
                {"part": str(part)}).fetchall())
        except duckdb.Error:
            values = {}
        alone = [(number, path) for number, path in documents if values.get(number, 0) != 1]
        self._forget([number for number, _ in alone])
        return [(number, path, "lines") for number, path in alone
                if not self._document(self.con, number, path)]

    def _document(self, con, number: int, path: Path) -> bool:
        """A file of one JSON document, read on its own: strictly, else leniently (a list element of
        another type read as nulls) unless that leaves a value that is no record. False (nothing
        kept) when it is not one JSON document."""
        sql = _statement("import_zendesk_records", "import_zendesk_json_documents")
        for lenient in (False, True):
            try:
                self._write(con, sql, {**self.common, "paths": [str(path)], "file_nos": [number],
                                       "lenient": lenient, "size": path.stat().st_size + 1,
                                       "mode": "document"}, [number])
            except duckdb.Error:
                continue
            values, unknown = self._values(con, number)
            if values == 1 and not (lenient and unknown):
                return True
            self._forget([number], con)
        return False

    def _values(self, con, number: int) -> tuple[int, int]:
        """How many values a file's records come from, and how many of its values are no record."""
        return con.execute("select count(*) filter (where item = 0), count(*) filter (where kind is null) "
                           "from read_parquet($part) where file_no = $number",
                           {"part": str(self.parts[number]), "number": number}).fetchall()[0]

    def _forget(self, numbers: list[int], con=None) -> None:
        """Drop what was read of these files (to read them another way)."""
        con = con or self.con
        for part in {self.parts.pop(number) for number in numbers if number in self.parts}:
            others = [number for number, held in self.parts.items() if held == part]
            if others:  # files read together: the others' records stay
                self._write(con, "select * from read_parquet($part) where list_contains($numbers, file_no)",
                            {"part": str(part), "numbers": others}, others)
            part.unlink(missing_ok=True)

    def _file(self, con, number: int, path: Path, shape: str) -> None:
        con = con or _session(self.con.cursor())
        try:
            if shape == "csv":
                self._csv(con, number, path)
            else:
                self._json(con, number, path, shape)
        except duckdb.InvalidInputException as error:
            if any(word in str(error).lower() for word in ("unicode", "utf-8", "utf8")):
                raise _not_text(path) from None
            raise

    def _csv(self, con, number: int, path: Path) -> None:
        head = _head(path)
        header = next(csv.reader([head.splitlines()[0] if head.strip() else ""]), [])
        names = [ALIASES.get(_column(name), _column(name)) for name in header]
        kind = _kind(set(names))
        if kind is None:
            raise _not_an_export(path)
        self._recognised.add(number)
        self._write(con, _statement("import_zendesk_csv"), self._csv_parameters(path, number, names, kind),
                    [number])

    def _json(self, con, number: int, path: Path, shape: str) -> None:
        parameters = {**self.common, "path": str(path), "file_no": number, "size": VALUE_LIMIT, "mode": shape}
        sql = _statement("import_zendesk_records", "import_zendesk_json")
        if shape == "array":
            try:  # a top-level array of records, streamed element by element
                self._write(con, sql, {**parameters, "format": "array", "lenient": True}, [number])
            except duckdb.Error:
                self._forget([number], con)
                return self._broken_document(number, path)
            self._recognised.add(number)  # an empty array is a file of no records
            return
        try:  # JSON lines (a line that is not JSON gives a row of nulls: lenient)
            self._write(con, sql, {**parameters, "format": "newline_delimited", "lenient": True}, [number])
        except duckdb.Error:
            self._forget([number], con)
            return self._lines(con, number, path, parameters)
        values, unknown = self._values(con, number)
        if not unknown:
            return
        if 2 * unknown >= values and values > 1:  # mostly not JSON lines: one document?
            self._forget([number], con)
            if not self._document(con, number, path):
                self._lines(con, number, path, parameters)
            return
        if not self._number_lines(con, number, path, values):
            self._forget([number], con)
            self._lines(con, number, path, parameters)

    def _number_lines(self, con, number: int, path: Path, values: int) -> bool:
        """A JSON-lines file the reader read leniently, with a few lines that are no records: those
        lines as written, with their reasons, and every record's line number (blank lines counted).
        False when the lines do not match the values read (the file is then read line by line)."""
        part = self.parts[number]
        wanted = [ordinal for (ordinal,) in con.execute(
            "select value_no from read_parquet($part) where kind is null", {"part": str(part)}).fetchall()]
        con.execute("create or replace temp table zendesk_line_numbers as "
                    + load_sql("import_zendesk_line_numbers"),
                    {"path": str(path), "separator": SEPARATOR, "size": LINE_LIMIT, "wanted": wanted,
                     "limit": RECORD_TEXT_LIMIT})
        lines = con.execute("select count(*) from zendesk_line_numbers").fetchall()[0][0]
        if lines != values:
            return False
        self._write(con, load_sql("import_zendesk_renumbered"), {"typed": str(part)}, [number])
        part.unlink()
        con.execute("drop table zendesk_line_numbers")
        return True

    def _lines(self, con, number: int, path: Path, parameters: dict) -> None:
        """A JSON-lines file read line by line (a line that is not JSON is set aside), or, when most of
        its lines are not JSON, one broken document (one record set aside)."""
        sql = _statement("import_zendesk_records", "import_zendesk_json_lines")
        part = self._write(con, sql, {**parameters, "mode": "lines", "size": LINE_LIMIT}, [number])
        lines, broken = con.execute(
            "select count(*) filter (where item = 0), count(*) filter (where problem = 'not valid JSON') "
            "from read_parquet($part)", {"part": str(part)}).fetchall()[0]
        if 2 * broken > lines:
            self._forget([number], con)
            self._broken_document(number, path)

    def _broken_document(self, number: int, path: Path) -> None:
        """A JSON document that does not parse: one record, set aside where it breaks."""
        text = path.read_text(encoding="utf-8-sig", errors="replace")
        reason, line = "not a Zendesk ticket, ticket metric or satisfaction rating", 1  # JSON, of no use
        try:
            json.loads(text)
        except json.JSONDecodeError as error:
            reason, line = "not valid JSON", error.lineno
        self._recognised.add(number)
        self.set_aside.append({"source_file": path.name, "source_row": line, "reason": reason,
                               "record": text[:RECORD_TEXT_LIMIT]})


# --- the import ------------------------------------------------------------------------------------

def _via_note(mix: list[tuple], channels: dict[str, str], mapped: set[str]) -> str | None:
    """Which via values the tickets came through, how many tickets each, and what each was read as."""
    if not mix:
        return None
    parts = [f"{via or '(none)'} {tickets:,} ({channel})" for via, tickets, channel, _ in mix]
    note = "via: " + ", ".join(parts)
    unsure = [via for via, *_ in mix if via in INTEGRATION_VIA and via not in mapped]
    for via in unsure:
        note += (f"; {via} read as {channels[via]}: set [via] {via} = \"phone\" (or \"chat\") in the mapping "
                 "if these tickets are calls or chats an integration logged")
    return note


def parse(paths: list[Path], settings: Settings, mapping: dict | None = None) -> Parsed:
    """Read Zendesk exports (tickets, ticket metrics, satisfaction ratings) into contract rows."""
    zone = mapping_zone(mapping)
    channels = via_channels(mapping)
    mapped = {str(value).strip().lower() for value in ((mapping or {}).get("via") or {})}
    with tempfile.TemporaryDirectory(prefix="cxdash-zendesk-") as temporary:
        con = _connection(Path(temporary))
        try:
            reading = _Reading(con, zone, Path(temporary))
            reading.add([Path(path) for path in paths])
            files = [Path(path).name for path in paths]
            via = {"via_values": list(channels), "via_channels": list(channels.values())}
            con.execute("create table zendesk_side as " + load_sql("import_zendesk_side"))
            set_aside = con.execute(load_sql("import_zendesk_set_aside"),
                                    {"limit": RECORD_TEXT_LIMIT, "files": files}).df()
            deletions = con.execute(load_sql("import_zendesk_deletions"), {"files": files}).df()
            mix = con.execute(load_sql("import_zendesk_via_mix"), via).fetchall()
            read, metrics, ratings = con.execute(
                "select count(*), count(*) filter (where kind = 'metric'), "
                "count(*) filter (where kind = 'rating') from zendesk_typed "
                "where kind is distinct from 'document'").fetchall()[0]
            merged, copies = con.execute("select count(*), coalesce(sum(copies), 0) from zendesk_side "
                                         "where in_export").fetchall()[0]
            # last, through Arrow (a million zoned timestamps convert in a blink), and made a DataFrame
            # once DuckDB has let go of the records
            contacts = con.sql(load_sql("import_zendesk_contacts"), params={**via, "files": files}) \
                .to_arrow_reader(100_000).read_all()  # streamed: DuckDB keeps no copy of the rows
        finally:
            con.close()

    # in the export's order (DuckDB hands them over in any order): of two copies of a ticket with the
    # same version, the later one is kept
    place = ["file_no", "value_no", "item"]
    order = pc.sort_indices(contacts, [(key, "ascending") for key in place])
    contacts = contacts.drop_columns(place).take(order)
    # a ticket solved before it was created cannot be imported (validate refuses it): set aside (the
    # rest stay Arrow, as the core reads them)
    backwards = pc.is_valid(contacts["problem"])
    rows = contacts.filter(pc.invert(backwards)).drop_columns(["problem"])
    if pc.any(backwards).as_py():
        solved = contacts.filter(backwards).to_pandas(types_mapper={pa.bool_(): pd.BooleanDtype()}.get)
        set_aside = pd.concat([set_aside, pd.DataFrame({
            "source_file": solved["source_file"].to_numpy(), "source_row": solved["source_row"].to_numpy(),
            "reason": solved["problem"].to_numpy(),
            "record": solved.drop(columns=["problem", "source_file", "source_row"])
            .to_json(orient="records", lines=True, date_format="iso").splitlines()})], ignore_index=True)
    if reading.set_aside:
        set_aside = pd.concat([set_aside, pd.DataFrame(reading.set_aside)], ignore_index=True)
    if len(set_aside):  # in the export's order: by file, then by row
        place = {name: number for number, name in reversed(list(enumerate(files)))}
        set_aside = (set_aside.astype({"source_row": "int64", "record": "object"}).fillna({"record": ""})
                     .assign(place=set_aside["source_file"].map(place))
                     .sort_values(["place", "source_row"], kind="stable").drop(columns="place")
                     .reset_index(drop=True))
    else:
        set_aside = empty_set_aside()
    notes = []
    unknown = [(via, tickets) for via, tickets, _, named in mix if not named]
    if unknown:
        values = ", ".join(f"{via or '(none)'} ({tickets:,})" for via, tickets in unknown)
        notes.append(f"{sum(tickets for _, tickets in unknown):,} ticket(s) came in through channels cxdash "
                     f"has no name for, counted as email: {values}")
    via_note = _via_note(mix, channels, mapped)
    if via_note:
        notes.append(via_note)
    if settings.csat_method == "mean":
        notes.append("Zendesk ratings are good or bad (read as 5 and 1): under csat_method 'mean' the "
                     "average is 1 + 4 x the good share; csat_method 'good_bad' shows the share itself")
    # what a kind of file absent from this import would have filled is not erased from stored tickets
    not_carried = ((() if metrics else ("answered_at", "ended_at", "resolved_first_contact"))
                   + (() if ratings else ("csat_score",)))
    return Parsed(SOURCE.name, rows, set_aside, records_read=read + len(reading.set_aside), merged=merged,
                  superseded=int(copies) - merged, notes=notes, not_carried=not_carried,
                  deletions=deletions if len(deletions) else empty_deletions())


# the source, declared once: the command line, the upload checks and the Import page read it here
SOURCE = Source(
    name="zendesk",
    label="Zendesk tickets, ticket metrics and satisfaction ratings (JSON or CSV)",
    parse=parse,
    extensions=("json", "jsonl", "csv"),
    hint=("The tickets export, with the ticket metrics and satisfaction ratings exports if you have them: "
         "upload them together."),
    mapping=MappingFile(required=False,
                        purpose="Optional. The channel each via.channel value is read as ([via]; "
                                "defaults: api, web, email -> email, voice -> phone, chat and "
                                "native_messaging -> chat...): say so when an integration logs calls or "
                                "chats through the API. And for times written without an offset (a CSV "
                                "from Explore or a spreadsheet): the time zone they are in (default UTC).",
                        example=('timezone = "America/New_York"\n\n[via]\napi = "phone"\n'
                                 'any_channel = "chat"\n')),
    doc=__doc__,
)
