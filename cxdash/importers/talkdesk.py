"""The Talkdesk calls report (CSV or JSON) into the data contract: one row per inbound call.

What is read (DuckDB's CSV and JSON readers; only the fields below, the rest of a call is skipped):
- CSV, as the reporting API, the Explore API and the Explore UI download it (quoted values may hold
  the separator, quotes written twice and line breaks). Headers are matched
  ignoring case, spaces and punctuation, so `Call ID` = `call_id`; these names are read as the column
  beside them: `callsid` (older reports, when there is no call_id column) as call_id, `call_type` as
  type, `start_time` / `end_time` as start_at / end_at, `waiting_time` as wait_time, `holding_time` as
  hold_time, `team` as team_name, `user_name` / `agent_name` as the agent's name,
  `handling_user_name` / `handling_agent_name` / `handling_agent` as the handling agent's name, and an
  after-call work column (`wrap_up_time`, `wrapup_time`, `wrap_time`, `after_call_work_time`,
  `after_call_work`, `acw_time`, `acw`) as wrap_time. Where two columns name one field, the one
  spelled as the field wins (call_id over callsid), else the first. Read: `call_id, type, start_at,
  end_at, talk_time, wait_time, hold_time, wrap_time, user_id, handling_user_id, the agents' names,
  team_name, ring_groups, csat_score`; other columns are ignored. A file without call_id (or
  callsid), type and start_at is not a calls report: ValueError names it. Fields separated by `;`
  are read too.
- JSON, as the reporting API delivers the report: one document, a page `{"total": N, "entries":
  [...]}` (its HAL form `{"_embedded": {"entries": [...]}, "_links": ...}` too) or an array of calls,
  or JSON lines, a page (or an array of calls, or a call) a line. The calls' fields have the CSV
  columns' names, matched the same way (from the report's first calls). The older Explore payload
  (`interaction_id, call_type, start_time, ...`, without call_id or callsid; its durations are
  fractions of a day) is told apart by those fields and refused with ValueError: export the calls
  report (reports/calls) instead.

Times: Talkdesk writes start_at and end_at in UTC (`2024-05-06T15:00:00Z`; the reporting API documents
them as UTC). A time without an offset (a report downloaded from the Explore UI, or opened and saved
in a spreadsheet) is read in the mapping's `timezone` (default UTC): a time the clock shows twice is
the first, one it skips is set aside. Durations are seconds, as the API writes them, or `hh:mm:ss` /
`mm:ss` as the UI shows them; both are read.

Mapping decisions:
- interaction_id `td-<call_id>`; channel phone; arrived_at = start_at; ended_at = end_at (for an
  abandon, when the caller left); team = team_name; queue = ring_groups (the ring groups the call was
  routed to); csat_score as written (outside 1-5 the core sets the row aside); source_updated_at =
  end_at (null without one).
- Handle time: Talkdesk's total_time = wait_time + talk_time, with hold_time inside talk_time, while
  cxdash's handle time is talk + hold + wrap. So talk_seconds = talk_time - hold_time (never below
  0: a call with more hold than talk gets talk 0, and a note counts them) and hold_seconds =
  hold_time: the hold is counted once. wrap_seconds = the after-call work column when the report has
  one, else empty (the calls report has none).
- inbound: answered, answered_at = start_at + wait_time (wait_time missing: start_at, and a note
  counts them). The agent is the one who handled the call: handling_user_id, else the handling
  agent's name; when the report names no handling agent, the agent the call rang (user_id, else
  the agent's name), who answered it. An id is kept as `td-<id>`; an agent named only by name gets a
  pseudonym, `td-agent-` + the first 16 hex digits of the SHA-256 of the name (names are personal
  data: the name itself is never stored; a note counts these calls). The same agent known by id in
  one report and by name in another gets two ids.
- abandoned, short_abandoned, missed: abandoned, no answered_at, no agent (user_id is whoever the
  call rang, not who handled it), and no talk, hold or wrap (empty, not 0: nobody talked). Talkdesk's
  short-abandon threshold is not used: cxdash applies its own (settings.short_abandon_seconds) to
  end_at - start_at.
- voicemail: offered and never answered live, but the caller did not give up (the flow sent them to
  voicemail): abandoned = False with no answered_at, no agent and no talk, hold or wrap, so it counts
  against the service level and not in the abandon rate; the call back that answers the message is
  another call.
- outbound and outbound_missed: set aside, "outbound call (not a customer contact arriving)", so the
  summary counts them; any other type is set aside as not known.
- A row without call_id or start_at, a timestamp, duration or csat_score that does not parse, an
  end_at before start_at, a CSV row with the wrong number of fields (or a quote that is never
  closed, which takes the rest of the file with it, as in any CSV reader), a line that is not UTF-8,
  or a JSON line that is not JSON is set aside with its file, row and reason (a category; the ids
  are in the record); the record keeps the fields read, an agent's name as its pseudonym (a broken
  row or line: its text as written). A row with no value at all (a blank line, a line of
  separators) holds no call and is not counted.
- source_row is the line the record begins on, as an editor shows it (CSV; a note says when a
  report's quoting cannot be followed line by line, and rows are numbered by record instead), or
  the call's number in the file (JSON; a line that is not JSON counts as one, a line that is not
  UTF-8 is numbered by its line).
"""

from __future__ import annotations

import csv
import json
import re
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import NamedTuple

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cxdash.calendar import SKIPPED_REASON
from cxdash.db import connect, load_sql
from cxdash.importers.core import (
    MappingFile,
    Parsed,
    Source,
    empty_set_aside,
    mapping_zone,
)
from cxdash.settings import Settings

RECORD_TEXT_LIMIT = 2_000  # characters of a set-aside record kept for reading
# the fields read, in the order the SQL takes them (import_talkdesk_json.sql takes them by position)
FIELDS = ("call_id", "type", "start_at", "end_at", "talk_time", "wait_time", "hold_time", "wrap_time",
          "user_id", "agent_name", "handling_user_id", "handling_agent_name", "team_name", "ring_groups",
          "csat_score")
REQUIRED = ("call_id", "type", "start_at")
ALIASES = {"callsid": "call_id", "call_type": "type", "start_time": "start_at", "end_time": "end_at",
           "waiting_time": "wait_time", "holding_time": "hold_time", "team": "team_name",
           "user_name": "agent_name", "handling_user_name": "handling_agent_name",
           "handling_agent": "handling_agent_name", "wrap_up_time": "wrap_time", "wrapup_time": "wrap_time",
           "after_call_work_time": "wrap_time", "after_call_work": "wrap_time", "acw_time": "wrap_time",
           "acw": "wrap_time"}
OLD_EXPLORE = "interaction_id"  # the older Explore payload's id: without call_id or callsid, not read
SEPARATOR = "\x1f"  # a character that never occurs in a report, so a line is read as one value
HEAD_BYTES = 1 << 24  # what is read of a file to tell CSV from JSON and a JSON document from JSON lines
KEY_LINES = 3  # the lines of JSON lines whose calls name the fields (pages of calls, or calls)
LINE_BYTES = 1 << 24  # the longest JSON line DuckDB reads (16 MiB), unless a file has longer ones
CONTRACT_COLUMNS = ["interaction_id", "channel", "arrived_at", "answered_at", "ended_at", "abandoned",
                    "talk_seconds", "hold_seconds", "wrap_seconds", "agent_id", "team", "queue", "csat_score",
                    "source_updated_at"]
BATCH_ROWS = 1 << 17  # rows of a batch of a judged report, split as it comes
COUNTED = ("no_wait", "hold_over_talk", "agent_by_name", "voicemail")  # flags the notes count


def _snake(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", str(text).strip().lower()).strip("_")


def _column(name: str) -> str:
    return ALIASES.get(_snake(name), _snake(name))


def _fields_of(names: list[str]) -> dict[str, int]:
    """The field each name of a header (or of a call's keys) is read as: field -> position. Where two
    names give one field, the one spelled as the field wins (call_id over callsid), else the first."""
    chosen: dict[str, tuple[int, bool]] = {}
    for position, name in enumerate(names):
        field = _column(name)
        if field not in FIELDS:
            continue
        exact = _snake(name) == field
        if field not in chosen or (exact and not chosen[field][1]):
            chosen[field] = (position, exact)
    return {field: position for field, (position, _) in chosen.items()}


def _connection(spill: Path) -> duckdb.DuckDBPyConnection:
    con = connect(temp_directory=spill)  # a large report spills to disk rather than failing
    con.execute("set preserve_insertion_order = true")  # rows are numbered in the file's order
    con.execute("set TimeZone = 'UTC'")
    return con


def _head(path: Path) -> bytes:
    with open(path, "rb") as handle:
        head = handle.read(HEAD_BYTES)
    return head[3:] if head.startswith(b"\xef\xbb\xbf") else head


def _judge(con: duckdb.DuckDBPyConnection, zone: str, read: duckdb.DuckDBPyRelation) -> pa.RecordBatchReader:
    """The calls read (import_talkdesk_csv.sql or import_talkdesk_json.sql, not yet run) typed and
    judged by import_talkdesk_calls.sql, in batches as DuckDB streams them (in no set order: each row
    carries its number), the report never held whole."""
    read.create_view("talkdesk_read", replace=True)
    return con.sql(load_sql("import_talkdesk_calls"), params={
        "zone": zone, "skipped": SKIPPED_REASON, "limit": RECORD_TEXT_LIMIT}).to_arrow_reader(BATCH_ROWS)


class _Report(NamedTuple):
    """A report being read: its judged rows, then (once they are read, given how many there were) how
    to turn their source_row into lines (None: they are), the records DuckDB could not read, notes."""
    batches: Iterable[pa.RecordBatch] | None
    finish: Callable[[int], tuple[Callable[[np.ndarray], np.ndarray] | None, pd.DataFrame, list[str]]]


class _Lines(NamedTuple):
    count: int  # lines in the file
    longest: int  # bytes of its longest line, the newline included
    odd: np.ndarray  # the lines (1-based) with an odd number of quotes
    blank: np.ndarray  # the lines that are empty


def _lines(path: Path, quotes: bool = True) -> _Lines:
    """What a file's lines are like, read a block at a time (numpy over the bytes, never a line at a
    time): how many, the longest, which hold an odd number of quotes (unless `quotes` is false) and
    which are empty."""
    count, longest, offset, last_end, previous = 0, 0, 0, -1, 10
    quoted, blank = [], []
    with open(path, "rb") as handle:
        while block := handle.read(HEAD_BYTES):
            data = np.frombuffer(block, dtype=np.uint8)
            ends = np.flatnonzero(data == 10) + offset  # where each line ends, in the file
            where = np.flatnonzero(data == 34) + offset if quotes else []
            if len(where):
                quoted.append(count + np.searchsorted(ends, where))  # the line (0-based) of each quote
            if len(ends):
                lengths = ends - np.concatenate(([last_end + 1], ends[:-1] + 1))
                longest = max(longest, int(lengths.max()) + 1)
                before = np.where(ends > offset, data[np.maximum(ends - 1 - offset, 0)], previous)
                empty = (lengths == 0) | ((lengths == 1) & (before == 13))  # nothing, or a carriage return
                blank.append(count + 1 + np.flatnonzero(empty))
                count += len(ends)
                last_end = int(ends[-1])
            offset += len(block)
            previous = int(data[-1])
    if offset > last_end + 1:  # a last line without a newline
        longest = max(longest, offset - last_end - 1)
        count += 1
    per_line = np.bincount(np.concatenate(quoted), minlength=count) if quoted else np.zeros(count, np.int64)
    odd = np.flatnonzero(per_line % 2 == 1) + 1
    return _Lines(count, longest, odd, np.concatenate(blank) if blank else np.array([], np.int64))


def _numbering(starts: np.ndarray, blank: np.ndarray, good: int,
               rejected: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """From the line each logical line begins on (a record's first line, or a blank line; the first is
    the header) and which are blank: the line of each row read, and of each rejected record (numbered
    by DuckDB as logical lines); None when that does not add up to what DuckDB read."""
    logical = np.arange(1, len(starts) + 1)
    readable = (logical > 1) & ~blank & ~np.isin(logical, rejected)
    if readable.sum() != good or (len(rejected) and rejected.max() > len(starts)):
        return None
    return starts[readable].astype(np.int64), starts[rejected - 1].astype(np.int64)


def _csv_numbering(con: duckdb.DuckDBPyConnection, path: Path, delimiter: str, good: int,
                   rejected: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """The line each row read begins on (by its position among them), the line of each rejected record
    (DuckDB numbers those by record, and counts a blank line but not the lines a record runs on), and
    whether the lines are exact. When the file has as many lines as records and no blank one, that is
    arithmetic. Else: a record runs on while a quote is open, so counting the quotes of each line
    finds where records begin in a report as a CSV writer writes it; when that does not add up (a
    quote inside an unquoted value), the lines are read again, field by field
    (import_talkdesk_csv_lines.sql); failing that, rows are numbered by record."""
    rejected = np.unique(rejected)
    lines = _lines(path, quotes=False)
    if lines.count == 1 + good + len(rejected) and not len(lines.blank):
        return _by_record(good, rejected), rejected, True  # a record a line, and no blank line
    lines = _lines(path)
    opens, closes = lines.odd[0::2], lines.odd[1::2]
    if len(closes) < len(opens):
        closes = np.append(closes, lines.count)  # a quote left open runs to the end
    runs = np.zeros(lines.count + 2, dtype=np.int64)
    np.add.at(runs, opens + 1, 1)
    np.add.at(runs, closes + 1, -1)
    starts = np.flatnonzero(np.cumsum(runs)[1:lines.count + 1] == 0) + 1
    found = _numbering(starts, np.isin(starts, lines.blank), good, rejected)
    if found is None:
        shape = con.execute(load_sql("import_talkdesk_csv_lines"), {
            "path": str(path), "delimiter": delimiter, "separator": SEPARATOR}).fetchnumpy()
        found = _numbering(np.asarray(shape["line"]), np.asarray(shape["blank"], dtype=bool), good, rejected)
    if found is not None:
        return *found, True
    return _by_record(good, rejected), rejected, False


def _by_record(good: int, rejected: np.ndarray) -> np.ndarray:
    """The rows read numbered as if each record were a line after the header: the records that are
    not rejected (DuckDB's numbers of the rejected ones are then their lines)."""
    before = rejected - 2 - np.arange(len(rejected))  # rows read before each rejected record
    positions = np.arange(good)
    return positions + 2 + np.searchsorted(before, positions, side="right")


def _forget_rejects(con: duckdb.DuckDBPyConnection) -> None:
    """Empty DuckDB's reject tables, so they hold the next report's alone."""
    for table in ("reject_errors", "reject_scans"):
        con.execute(f"drop table if exists {table}").fetchall()


def _rejects(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The records of the last report DuckDB could not read (import_talkdesk_csv_rejects.sql)."""
    try:
        return con.execute(load_sql("import_talkdesk_csv_rejects"), {"limit": RECORD_TEXT_LIMIT}).df()
    except duckdb.CatalogException:  # no reject table: nothing was rejected (nor read line by line)
        return pd.DataFrame({"line": pd.Series(dtype="int64"), "reason": pd.Series(dtype=str),
                             "record": pd.Series(dtype=str), "holds_record": pd.Series(dtype=bool)})


def _read_csv(con: duckdb.DuckDBPyConnection, path: Path, head: bytes, zone: str, scratch: Path):
    header_line = head.split(b"\n", 1)[0]
    try:
        header_text = header_line.decode("utf-8").rstrip("\r")
    except UnicodeDecodeError:
        raise ValueError(f"{path.name}: not a Talkdesk calls report (not UTF-8 text; expected CSV)") from None
    delimiter = ";" if header_text.count(";") > header_text.count(",") else ","
    header = next(csv.reader([header_text], delimiter=delimiter), [])
    fields = _fields_of(header)
    missing = [name for name in REQUIRED if name not in fields]
    if missing:
        raise ValueError(f"{path.name}: not a Talkdesk calls report (a CSV with the columns "
                         f"{', '.join(REQUIRED)}, ...): no {', '.join(missing)} column")
    named = {position: field for field, position in fields.items()}
    columns = {named.get(position, f"unused_{position}"): "VARCHAR" for position in range(len(header))}
    _forget_rejects(con)
    # read and judged in one pass; source_row is the row's number among those read, a line once the
    # report is read and its rejected records are known
    judged = _judge(con, zone, con.sql(load_sql("import_talkdesk_csv"), params={
        "path": str(path), "columns": columns, "delimiter": delimiter}))

    def finish(rows: int):
        rejects = _rejects(con)
        row_lines, reject_lines, exact = _csv_numbering(con, path, delimiter, rows,
                                                        rejects["line"].to_numpy(dtype=np.int64))
        rejects["source_row"] = reject_lines[np.searchsorted(np.unique(rejects["line"]), rejects["line"])]
        broken = rejects[rejects["holds_record"]][["source_row", "reason", "record"]]
        notes = [] if exact else ["the lines of this report's set-aside records are counted by record, "
                                  "not by line: its quotes could not be followed line by line"]
        return (lambda numbers: row_lines[numbers - 1]), broken, notes

    return _Report(judged, finish)


def _json_whole(head: bytes) -> bool:
    """Whether a JSON file is one document, else JSON lines: its first line is JSON on its own, or (the
    first one cut short) the two after it are."""
    lines = head.lstrip().split(b"\n", 3)
    if len(lines) == 1 and len(head) >= HEAD_BYTES:
        return True  # one line longer than what was read: a document on one line

    def whole_value(line: bytes) -> bool:
        try:
            json.loads(line)
        except ValueError:
            return False
        return True

    if whole_value(lines[0] if len(lines) > 1 else head):
        return False
    return not (len(lines) > 3 and whole_value(lines[1]) and whole_value(lines[2]))


def _line_bytes(path: Path, whole: bool) -> int:
    """The longest line DuckDB must read of a JSON-lines file (its buffers are as large): at least
    LINE_BYTES, which also keeps pages of a megabyte quick to read."""
    if whole or path.stat().st_size < LINE_BYTES:
        return LINE_BYTES
    return max(LINE_BYTES, 1 << int(_lines(path, quotes=False).longest + 2).bit_length())


def _json_keys(con: duckdb.DuckDBPyConnection, path: Path, whole: bool, max_line: int, head: bytes,
               scratch: Path) -> tuple:
    """import_talkdesk_json_keys.sql's row: the field names of the first calls, pages, calls and
    values looked at (a document DuckDB cannot read as text, such as one that is not UTF-8, holds
    none). Of JSON lines, only the first KEY_LINES whole lines of the file's head are looked at,
    copied apart (DuckDB would parse thousands of lines before it stopped, each page taking tens of
    megabytes while parsed)."""
    if not whole:
        ends = np.flatnonzero(np.frombuffer(head, dtype=np.uint8) == 10)[:KEY_LINES]
        if len(ends):
            path = scratch / "head.jsonl"
            path.write_bytes(head[:int(ends[-1]) + 1])
            max_line = max(1 << 21, 1 << int(np.diff(ends, prepend=-1).max() + 2).bit_length())
    try:
        return con.execute(load_sql("import_talkdesk_json_keys"), {
            "path": str(path), "whole": whole, "separator": SEPARATOR, "max_line": max_line,
            "values": KEY_LINES, "sample": 1_000}).fetchall()[0]
    except duckdb.InvalidInputException:
        if not whole:
            raise
        return [], 0, 0, 0


def _read_json(con: duckdb.DuckDBPyConnection, path: Path, head: bytes, zone: str, scratch: Path):
    whole = _json_whole(head)
    size = {"max_line": _line_bytes(path, whole)}
    found = _json_keys(con, path, whole, size["max_line"], head, scratch)
    if found[3] == 0 and whole:  # not one document after all: JSON lines, the first one broken
        whole = False
        size = {"max_line": _line_bytes(path, whole)}
        found = _json_keys(con, path, whole, size["max_line"], head, scratch)
    keys, pages, calls, values_read = found
    expected = "JSON of the calls report: pages of entries, or calls"
    if values_read == 0:
        raise ValueError(f"{path.name}: not a Talkdesk calls report ({expected}): no JSON value in it "
                         "could be read (a document cut short, or text that is not UTF-8?)")
    if calls == 0:
        if pages:  # a report without calls
            return _Report(None, lambda rows: (None, _no_records(), []))
        raise ValueError(f"{path.name}: not a Talkdesk calls report ({expected}): it holds no calls")
    fields = _fields_of(keys)
    if OLD_EXPLORE in {_snake(key) for key in keys} and "call_id" not in fields:
        raise ValueError(
            f"{path.name}: the older Explore calls payload (interaction_id, call_type, start_time, ...), "
            "whose durations are fractions of a day, is not read: export the calls report (reports/calls) "
            "as CSV or JSON")
    missing = [name for name in REQUIRED if name not in fields]
    if missing:
        raise ValueError(f"{path.name}: not a Talkdesk calls report ({expected}, with the fields "
                         f"{', '.join(REQUIRED)}, ...): no {', '.join(missing)} field")
    # a field the first calls lack is looked for under its own name in the others
    call = {(keys[fields[name]] if name in fields else name): "VARCHAR" for name in FIELDS}
    _forget_rejects(con)
    judged = _judge(con, zone, con.sql(load_sql("import_talkdesk_json"), params={
        "path": str(path), "whole": whole, "separator": SEPARATOR, **size,
        "page_schema": json.dumps({"entries": [call], "_embedded": {"entries": [call]}}),
        "list_schema": json.dumps([call]), "limit": RECORD_TEXT_LIMIT}))

    def finish(rows: int):
        # lines DuckDB could not read (not UTF-8), known once the report is read: numbered by line
        late = _rejects(con)
        late = late[late["holds_record"]].rename(columns={"line": "source_row"})
        return None, late[["source_row", "reason", "record"]], []

    return _Report(judged, finish)


def parse(paths: list[Path], settings: Settings, mapping: dict | None = None) -> Parsed:
    """Read Talkdesk calls reports into contract rows (inbound calls; outbound ones set aside)."""
    zone = mapping_zone(mapping)
    tables, aside, notes, read = [], [], [], 0
    counts = dict.fromkeys(COUNTED, 0)
    with tempfile.TemporaryDirectory(prefix="cxdash-talkdesk-") as temporary:
        con = _connection(Path(temporary))
        try:
            for path in map(Path, paths):
                head = _head(path)
                if not head.strip():
                    continue  # an empty report
                reader = _read_json if head.lstrip()[:1] in (b"[", b"{") else _read_csv
                report = reader(con, path, head, zone, Path(temporary))
                kept, problems, calls, rows = (_split(report.batches, counts) if report.batches is not None
                                               else (None, _no_records(), 0, 0))
                renumber, broken, file_notes = report.finish(rows)
                del report
                notes += [f"{path.name}: {note}" for note in file_notes]
                read += calls + len(broken)
                if renumber is not None:  # the rows' numbers among those read, as lines
                    problems["source_row"] = renumber(problems["source_row"].to_numpy(dtype=np.int64))
                    if kept is not None:
                        lines = pa.array(renumber(kept["source_row"].to_numpy()), type=pa.int64())
                        kept = kept.set_column(kept.schema.get_field_index("source_row"), "source_row", lines)
                aside += [frame.assign(source_file=path.name) for frame in (broken, problems) if len(frame)]
                if kept is None:
                    continue
                # the file's name, once: a dictionary of one value
                tables.append(kept.append_column("source_file", pa.DictionaryArray.from_arrays(
                    pa.array(np.zeros(kept.num_rows, dtype=np.int32)), pa.array([path.name]))))
        finally:
            con.close()

    rows = pa.concat_tables(tables).unify_dictionaries() if tables else None
    if counts["no_wait"]:
        notes.append(f"{counts['no_wait']:,} answered call(s) had no wait_time: answered at start_at "
                     "(no wait counted)")
    if counts["hold_over_talk"]:
        notes.append(f"{counts['hold_over_talk']:,} answered call(s) had more hold_time than talk_time, "
                     "which includes the hold: talk counted as 0")
    if counts["agent_by_name"]:
        notes.append(f"{counts['agent_by_name']:,} answered call(s) name their agent by name only: the "
                     "agent is a pseudonym of the name (td-agent-...), not the name")
    if counts["voicemail"]:
        notes.append(f"{counts['voicemail']:,} voicemail(s): offered, not answered live and not abandoned")
    frame = _rows_frame(rows)
    set_aside = (pd.concat(aside, ignore_index=True)[["source_file", "source_row", "reason", "record"]]
                 .astype({"source_row": "int64", "source_file": str}) if aside else empty_set_aside())
    return Parsed(SOURCE.name, frame, set_aside, records_read=read, notes=notes)


def _split(batches: Iterable[pa.RecordBatch],
           counts: dict[str, int]) -> tuple[pa.Table | None, pd.DataFrame, int, int]:
    """A judged report (its record batches, split as they come) split into its usable calls, in the
    columns the core reads, and its set-aside records, each in the file's order; with the calls read
    and the rows there were, and the notes' counts added to `counts`."""
    names = [*CONTRACT_COLUMNS, "source_row"]
    kept, problems, calls, rows = [], [], 0, 0
    for batch in batches:
        rows += batch.num_rows
        present = batch["holds_call"]
        calls += int(pc.sum(present).as_py() or 0)
        usable = pc.and_(present, pc.is_null(batch["reason"]))
        for name in COUNTED:
            counts[name] += int(pc.sum(pc.and_(batch[name], usable)).as_py() or 0)
        problem = pc.and_(present, pc.is_valid(batch["reason"]))
        if pc.any(problem).as_py():
            problems.append(_filtered(batch, ["source_row", "reason", "record"], problem))
        kept.append(_filtered(batch, names, usable))
    table = _in_order(pa.Table.from_batches(kept)) if kept else None
    frame = _in_order(pa.Table.from_batches(problems)).to_pandas() if problems else _no_records()
    return table, frame, calls, rows


def _no_records() -> pd.DataFrame:
    return empty_set_aside()[["source_row", "reason", "record"]]


def _filtered(batch: pa.RecordBatch, names: list[str], mask: pa.Array) -> pa.RecordBatch:
    """The rows of `batch` where `mask` holds, in these columns, filtered a column at a time."""
    return pa.RecordBatch.from_arrays([pc.filter(batch[name], mask) for name in names], names=names)


def _in_order(table: pa.Table) -> pa.Table:
    """The rows by source_row (as DuckDB streams them, unless a step of the plan reorders them)."""
    rows = table["source_row"].to_numpy()
    return table if (np.diff(rows) >= 0).all() else table.take(np.argsort(rows, kind="stable"))


def _rows_frame(rows: pa.Table | None) -> pa.Table | pd.DataFrame:
    """The usable calls as the core reads them (Arrow, as DuckDB gave them): the contract's columns,
    the version, file and row."""
    if rows is None:
        return pd.DataFrame({name: pd.Series(dtype=object) for name in
                             [*CONTRACT_COLUMNS, "source_file", "source_row"]})
    return rows


# the source, declared once: the command line, the upload checks and the Import page read it here
SOURCE = Source(
    name="talkdesk",
    label="Talkdesk calls report (CSV or JSON)",
    parse=parse,
    extensions=("csv", "json", "jsonl"),
    hint="The calls report as Talkdesk exports it (CSV, or the reporting API's JSON).",
    mapping=MappingFile(required=False,
                        purpose="Only for times written without an offset (a report from the Explore UI or "
                                "saved from a spreadsheet): the time zone they are in (default UTC).",
                        example='timezone = "America/New_York"\n'),
    doc=__doc__,
)
