"""Any CSV or Excel (.xlsx) file into the data contract, with a small mapping file (TOML) that says
which column of the file is which column of the contract, and how to convert it.

    python -m cxdash import csv calls-march.csv --mapping my-pbx.toml

A full example (every key but [columns] and the three required columns is optional):

```toml
source = "my-pbx"             # folder under DATA/interactions/: letters, digits, - and _ (default "csv")
timezone = "Europe/Berlin"    # times written without a zone are local times here (default UTC);
                              # times with a zone (Z, +01:00) keep it
# delimiter = ";"             # CSV: detected from the header line (, ; or tab) when not given
# encoding = "cp1252"         # CSV: default utf-8 (a byte-order mark is fine)
decimal = ","                 # numbers written with a decimal comma: "2,5" minutes (default ".")
# sheet = "Calls"             # Excel: the sheet's name, or its position (1 = first); default the first
# header_row = 3              # the row holding the column names, as the spreadsheet numbers it (default 1)

[columns]                     # contract column = "file column", or a table saying how to convert it
interaction_id = "Call ID"
channel = "Type"              # file values turned into channels under [values.channel] below
arrived_at = { column = "Start", format = "%d.%m.%Y %H:%M:%S" }  # default format: ISO 8601
answered_at = { column = "Wait", unit = "seconds", after = "arrived_at" }  # = Start + Wait
ended_at = { column = "End", format = "%d.%m.%Y %H:%M:%S" }
queue = "Queue"
abandoned = { column = "Result", true = ["Abandoned", "Lost"] }  # any other value is false
talk_seconds = { column = "Talk time", unit = "minutes" }
hold_seconds = { column = "Hold", unit = "hh:mm:ss" }
agent_id = "Agent"
team = { value = "Berlin" }   # a constant: the same value on every row
csat_score = { column = "Rating", scale = [1, 10] }  # 1-10 rescaled to 1-5
nps_score = "Recommend"
source_updated_at = { column = "Last changed", format = "%d.%m.%Y %H:%M:%S" }

[values.channel]              # file value = contract value, matched ignoring case
"Inbound call" = "phone"
"Web chat" = "chat"
"E-Mail" = "email"
```

The rules, per kind of contract column:

- interaction_id, arrived_at (columns) and channel (a column or a constant) must be mapped; any other
  contract column may be, as may `source_updated_at` (the record's version: of two rows with one id,
  the newer wins); unmapped columns are empty. Column names must match the file's header exactly (spaces
  around them aside).
- times (arrived_at, answered_at, ended_at, source_updated_at): `format` is a strftime pattern
  (%d.%m.%Y %H:%M:%S; with %z for an offset); without it ISO 8601 (2026-03-29 14:05:00, 2026-03-29T14:05Z).
  Excel date cells are read as they are. Times without a zone are read by cxdash's one daylight-saving
  rule: a local time in the repeated hour when the clocks go back is read as the earlier one (said in a
  note); a row with one in the hour the clocks skip is set aside ("a local time the clock skips when
  daylight saving starts").
  `after = "arrived_at"` (or, for ended_at, "answered_at") reads the column as a duration, in `unit`,
  after that time; answered_at made so is left empty on a row whose abandoned is true.
- durations (talk_seconds, hold_seconds, wrap_seconds): `unit` is seconds (default), ms, minutes,
  hours, hh:mm:ss or mm:ss; Excel time and duration cells are read as they show.
- scores and tier (csat_score 1-5, nps_score 0-10, ces_score 1-7, tier 1-3): whole numbers in the
  contract's range, or `scale = [low, high]`: the file's scale, rescaled linearly onto the contract's
  (low to its lowest, high to its highest) and rounded to the nearest whole number, halves up.
- flags (abandoned, resolved_first_contact): `true = [...]` and/or `false = [...]` list the file's
  values (ignoring case); given one list, every other value is the opposite; given neither,
  true/yes/y/1 and false/no/n/0.
- text (queue, agent_id, team, customer_id): as written; Excel numbers without their ".0".
- `{ value = ... }` is a constant, and a [values.<column>] table replaces file values before any
  conversion: both are given in the contract's terms (a channel, seconds, a score on the contract's
  scale, true or false) and are not converted again; in a table, "" means empty. [values.channel] is
  how file values become channels: a value neither in it nor a channel already is set aside.

A mapping that cannot work (an unknown contract column or option, a unit, format or scale that cannot
be used, a required column not mapped, a column the file does not have) raises ValueError naming the
mapping key, the column and, when it is about a file, the file. A row that cannot be converted is set
aside with its file, row number (as the spreadsheet shows it: the header is row 1) and the reason,
never dropped; the first offending value of each reason is given in a note. Empty rows are skipped.

How a file is read: a CSV file by DuckDB's CSV reader, with the rules of Python's csv module (a value in
double quotes may hold the delimiter, line breaks and doubled quotes; a file whose quotes DuckDB would
read otherwise, like a quote after a blank or text after a closing quote, is first rewritten record by
record by Python's csv module). Lines may end in \\r\\n, \\n or \\r, and NUL bytes are kept as they are
written. A row with a value in a field beyond the header's is set aside ("6 fields where the header has
5"); a short row's missing cells are empty. Every cell is stripped of white space. An Excel sheet is read
by openpyxl. The cells of each column are then converted all at once (Arrow, NumPy, pandas and DuckDB),
the columns on the machine's cores.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import json
import math
import re
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from itertools import islice, zip_longest
from operator import attrgetter, methodcaller
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cxdash import calendar
from cxdash.contract import CHANNELS, INTERACTION_COLUMNS
from cxdash.db import THREADS, connect, load_sql
from cxdash.importers.core import (
    SET_ASIDE_COLUMNS,
    VERSION_COLUMN,
    MappingFile,
    Parsed,
    Source,
    empty_set_aside,
)
from cxdash.settings import Settings, valid_timezone

DEFAULT_SOURCE = "csv"
RECORD_TEXT_LIMIT = 2_000  # characters of a set-aside row kept for reading
SAFE_NAME = re.compile(r"[A-Za-z0-9_-]+")
TOP_KEYS = ("source", "timezone", "delimiter", "encoding", "decimal", "sheet", "header_row", "columns",
            "values")
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
OLD_SUFFIXES = {".xls", ".ods", ".numbers"}
DELIMITERS = (",", ";", "\t")

_KIND_OF_TYPE = {"VARCHAR": "text", "TIMESTAMPTZ": "time", "BOOLEAN": "flag", "DOUBLE": "duration",
                 "INTEGER": "whole"}
KINDS = {c.name: _KIND_OF_TYPE[c.sql_type] for c in INTERACTION_COLUMNS} | {VERSION_COLUMN: "time"}
ORDER = list(KINDS)  # conversion order: a time made `after` another comes after it
RANGES = {c.name: (c.minimum, c.maximum) for c in INTERACTION_COLUMNS if c.sql_type == "INTEGER"}
REQUIRED = ("interaction_id", "channel", "arrived_at")
OPTIONS = {"text": (), "time": ("format", "after", "unit"), "flag": ("true", "false"),
           "duration": ("unit",), "whole": ("scale",)}
AFTER = {"answered_at": ("arrived_at",), "ended_at": ("arrived_at", "answered_at")}
UNITS = {"seconds": 1.0, "ms": 0.001, "minutes": 60.0, "hours": 3600.0, "hh:mm:ss": None, "mm:ss": None}
TRUE_WORDS = ("true", "yes", "y", "1")
FALSE_WORDS = ("false", "no", "n", "0")
# a time of day followed by a zone: Z, UTC or an offset (a date alone is never zoned)
ZONED = re.compile(r"\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:Z|UTC|[+-]\d{2}(?::?\d{2})?)$", re.I)
TEXT_DTYPE = pd.ArrowDtype(pa.string())  # text held by Arrow, as read (no copy)
DTYPES = {"text": TEXT_DTYPE, "time": "datetime64[us, UTC]", "flag": "boolean", "duration": "float64",
          "whole": "float64"}


# --- the mapping -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Field:
    """How one contract column is made: from a file column (with its conversion) or a constant."""

    name: str
    kind: str
    column: str | None = None
    constant: object = None
    format: str | None = None
    unit: str = "seconds"
    after: str | None = None
    true: frozenset[str] | None = None
    false: frozenset[str] | None = None
    scale: tuple[float, float] | None = None
    values: dict[str, object] = field(default_factory=dict)  # casefolded file value -> contract value

    @property
    def where(self) -> str:
        return f"mapping [columns].{self.name}" + (f" (column {self.column!r})" if self.column else "")


@dataclass(frozen=True)
class Mapping:
    source: str
    timezone: str | None
    delimiter: str | None
    encoding: str
    decimal: str
    sheet: str | int | None
    header_row: int
    fields: dict[str, Field]


def _names(names) -> str:
    return ", ".join(names)


def _suggest(name: str, choices) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.55)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _key(value: object) -> str:
    return _text(value).strip().casefold()


def read_mapping(raw: dict | None) -> Mapping:
    """Check a parsed mapping file and make it usable, or raise ValueError saying what is wrong."""
    if raw is None:
        raise ValueError("a mapping file is needed (--mapping MAPPING.toml): it names which column of "
                         "the file is which column of the data contract")
    if not isinstance(raw, dict):
        raise ValueError("mapping: not a table of keys")
    for key in raw:
        if key not in TOP_KEYS:
            raise ValueError(f"mapping: unknown key {key!r}{_suggest(key, TOP_KEYS)}; "
                             f"the keys are {_names(TOP_KEYS)}")

    source = raw.get("source", DEFAULT_SOURCE)
    if not isinstance(source, str) or not SAFE_NAME.fullmatch(source):
        raise ValueError(f"mapping source {source!r}: a folder name of letters, digits, - and _ only")
    timezone = raw.get("timezone")
    if timezone is not None:
        if not valid_timezone(str(timezone)):  # one both zoneinfo and DuckDB know
            raise ValueError(f"mapping timezone {timezone!r}: not an IANA zone name "
                             "(like Europe/Berlin or America/New_York)")
        timezone = str(timezone)
    delimiter = raw.get("delimiter")
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1
                                  or delimiter in "\"\r\n"):
        raise ValueError(f"mapping delimiter {delimiter!r}: one character, like \",\", \";\" or \"\\t\"")
    encoding = raw.get("encoding", "utf-8-sig")
    try:
        encoding = codecs.lookup(str(encoding)).name
    except LookupError:
        raise ValueError(f"mapping encoding {encoding!r}: not a known text encoding "
                         "(like utf-8 or cp1252)") from None
    if encoding == "utf-8":
        encoding = "utf-8-sig"  # a byte-order mark is tolerated
    decimal = raw.get("decimal", ".")
    if decimal not in (".", ","):
        raise ValueError(f"mapping decimal {decimal!r}: \".\" or \",\"")
    sheet = raw.get("sheet")
    if sheet is not None and not ((isinstance(sheet, str) and sheet)
                                  or (isinstance(sheet, int) and not isinstance(sheet, bool) and sheet >= 1)):
        raise ValueError(f"mapping sheet {sheet!r}: a sheet's name, or its position (1 = the first)")
    header_row = raw.get("header_row", 1)
    if not isinstance(header_row, int) or isinstance(header_row, bool) or header_row < 1:
        raise ValueError(f"mapping header_row {header_row!r}: the row number of the column names (1 or more)")

    columns = raw.get("columns")
    if not isinstance(columns, dict) or not columns:
        raise ValueError("mapping: no [columns] table: it names, for each contract column, the column "
                         "of the file that holds it (like interaction_id = \"Call ID\")")
    fields = {}
    for name, entry in columns.items():
        fields[name] = _field(name, entry, timezone)
    for name in REQUIRED:
        if name not in fields:
            what = "a column of the file or a constant" if name == "channel" else "a column of the file"
            raise ValueError(f"mapping [columns]: {name} must be mapped, to {what}")
    for name in ("interaction_id", "arrived_at"):
        if fields[name].column is None:
            raise ValueError(f"mapping [columns].{name}: must name a column of the file, not a constant")
    for current in fields.values():
        if current.after and current.after not in fields:
            raise ValueError(f"{current.where}: after = {current.after!r}, which is not mapped")

    values = raw.get("values", {})
    if not isinstance(values, dict):
        raise ValueError("mapping [values]: tables like [values.channel], of file value = contract value")
    for name, table in values.items():
        where = f"mapping [values.{name}]"
        if name not in KINDS:
            raise ValueError(f"{where}: {name!r} is not a column of the data contract{_suggest(name, KINDS)}")
        if name not in fields:
            raise ValueError(f"{where}: {name} is not mapped under [columns]")
        if fields[name].column is None:
            raise ValueError(f"{where}: {name} is a constant; values apply to a column of the file")
        if KINDS[name] == "time" or fields[name].after:
            raise ValueError(f"{where}: times cannot have a values table")
        if not isinstance(table, dict):
            raise ValueError(f"{where}: a table of file value = contract value")
        replacements: dict[str, object] = {}
        for value, target in table.items():
            key = _key(value)
            if key in replacements:
                raise ValueError(f"{where}: {value!r} is given twice (values are matched ignoring case)")
            replacements[key] = None if target == "" else _final(name, target, timezone,
                                                                  f"{where} {value!r}")
        fields[name] = replace(fields[name], values=replacements)
    ordered = {name: fields[name] for name in ORDER if name in fields}
    return Mapping(source, timezone, delimiter, encoding, decimal, sheet, header_row, ordered)


def _field(name: str, entry: object, timezone: str | None) -> Field:
    if name not in KINDS:
        raise ValueError(f"mapping [columns].{name}: not a column of the data contract"
                         f"{_suggest(name, KINDS)}; the columns are {_names(KINDS)}")
    kind = KINDS[name]
    where = f"mapping [columns].{name}"
    if isinstance(entry, str):
        entry = {"column": entry}
    if not isinstance(entry, dict):
        raise ValueError(f"{where}: a column name (\"Call ID\") or a table ({{ column = \"Call ID\" }}, "
                         f"{{ value = ... }})")
    if ("column" in entry) == ("value" in entry):
        raise ValueError(f"{where}: give either column = \"...\" (a column of the file) or value = ... "
                         "(a constant)")
    allowed = ("column", "value", *OPTIONS[kind])
    for option in entry:
        if option not in allowed:
            raise ValueError(f"{where}: unknown option {option!r}{_suggest(option, allowed)}; {name} takes "
                             f"{_names(allowed)}")
    if "value" in entry:
        if len(entry) > 1:
            others = _names(k for k in entry if k != "value")
            raise ValueError(f"{where}: a constant takes no other option ({others})")
        return Field(name, kind, constant=_final(name, entry["value"], timezone, where))
    column = entry["column"]
    if not isinstance(column, str) or not column.strip():
        raise ValueError(f"{where}: column must be a column name of the file")
    column = column.strip()
    where = f"{where} (column {column!r})"
    options: dict = {}
    if kind == "time":
        after = entry.get("after")
        if after is not None:
            if after not in AFTER.get(name, ()):
                allowed_after = AFTER.get(name)
                raise ValueError(f"{where}: after {after!r}: " + (
                    f"{name} can only be after {' or '.join(allowed_after)}" if allowed_after
                    else f"{name} cannot be made from a duration"))
            if "format" in entry:
                raise ValueError(f"{where}: a time made after {after} is a duration: give unit, not format")
            options["after"] = after
        elif "unit" in entry:
            raise ValueError(f"{where}: unit is for a duration after another time (after = \"arrived_at\")")
        fmt = entry.get("format")
        if fmt is not None:
            if not isinstance(fmt, str) or "%" not in fmt:
                raise ValueError(f"{where}: format {fmt!r} is not a strftime pattern like "
                                 "\"%d.%m.%Y %H:%M:%S\"")
            options["format"] = fmt
    if kind == "duration" or (kind == "time" and "after" in options):
        unit = entry.get("unit", "seconds")
        if unit not in UNITS:
            raise ValueError(f"{where}: unit {unit!r} is not one of {_names(UNITS)}")
        options["unit"] = unit
    if kind == "flag":
        for option in ("true", "false"):
            if option in entry:
                listed = entry[option]
                if isinstance(listed, str | int | float):
                    listed = [listed]
                if not isinstance(listed, list) or not listed:
                    raise ValueError(f"{where}: {option} must list the file's values, like [\"Yes\", \"Y\"]")
                options[option] = frozenset(_key(value) for value in listed)
        if options.get("true") and options.get("false") and options["true"] & options["false"]:
            both = sorted(options["true"] & options["false"])
            raise ValueError(f"{where}: {_names(repr(v) for v in both)} listed as both true and false")
    if kind == "whole" and "scale" in entry:
        scale = entry["scale"]
        if (not isinstance(scale, list) or len(scale) != 2
                or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in scale)
                or not scale[0] < scale[1]):
            raise ValueError(f"{where}: scale {scale!r} must be [lowest, highest] of the file's scale, "
                             "like [1, 10]")
        options["scale"] = (float(scale[0]), float(scale[1]))
    return Field(name, kind, column=column, **options)


def _final(name: str, value: object, timezone: str | None, where: str) -> object:
    """A constant or a [values] replacement: a contract value, checked, in the column's type."""
    kind = KINDS[name]
    if kind == "text":
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{where}: {value!r} is not a text value")
        value = value.strip()
        if name == "channel":
            if value.lower() not in CHANNELS:
                raise ValueError(f"{where}: {value!r} is not a channel; one of {_names(CHANNELS)}")
            return value.lower()
        return value
    if kind == "flag":
        if not isinstance(value, bool):
            raise ValueError(f"{where}: {value!r} is not true or false")
        return value
    if kind == "time":
        try:
            stamp = pd.Timestamp(value) if isinstance(value, str | datetime | date) else None
        except ValueError:
            stamp = None
        if stamp is None or pd.isna(stamp):
            raise ValueError(f"{where}: {value!r} is not a date and time")
        if stamp.tzinfo is None:
            instants, skipped = calendar.localize([stamp], timezone or "UTC")
            if skipped[0]:
                raise ValueError(f"{where}: {value!r} is {calendar.SKIPPED_REASON} in {timezone}")
            return instants[0]
        return stamp.tz_convert("UTC")
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        raise ValueError(f"{where}: {value!r} is not a number")
    if kind == "duration":
        if value < 0:
            raise ValueError(f"{where}: {value!r} is below 0 seconds")
        return float(value)
    low, high = RANGES[name]
    if value != round(value) or not low <= value <= high:
        raise ValueError(f"{where}: {value!r} is not a whole number from {low:g} to {high:g}")
    return float(value)


# --- reading a file ----------------------------------------------------------------------------------

CHUNK_BYTES = 16 * 2**20  # a CSV file is checked (and, from another encoding, made UTF-8) this much at a time
HEAD_BYTES = 2**20  # where the header row is looked for first

WORKERS = max(1, min(THREADS, 4))  # threads converting a file's columns at once (the machine's cores)
PANDAS_SLICE = 200_000  # cells pandas reads at a time (as Python strings)
SURPLUS_COLUMNS = 4  # fields read beyond the header's; a file with a record of more is read again
NO_VALUE = "\x1ecxdash: no such field\x1e"  # DuckDB's null string: never in a file, so an empty field is ''
# what str.strip() takes away: the cells of a file are stripped of exactly these
SPACES = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
          "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")

# the kinds of cell (a CSV file's are all text; a workbook's cells are typed)
BLANK, TEXT, INT, FLOAT, BOOL, DATETIME, DATE, TIME, DELTA, OTHER = range(10)
_KIND_OF_CLASS = {str: TEXT, bool: BOOL, int: INT, float: FLOAT, datetime: DATETIME, date: DATE, time: TIME,
                  timedelta: DELTA, type(None): BLANK}
_JSON_ESCAPES = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\x0c": "\\f", "\r": "\\r"}


def _null_where(mask, values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """The values with nulls where `mask` (a boolean array) is true: a new validity bitmap over the same
    text, chunk by chunk."""
    mask = np.asarray(mask.to_numpy(zero_copy_only=False) if isinstance(mask, pa.Array | pa.ChunkedArray)
                      else mask, dtype=bool)
    if not mask.any():
        return values
    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    out, first = [], 0
    for chunk in chunks:
        valid = ~mask[first:first + len(chunk)] & pc.is_valid(chunk).to_numpy(zero_copy_only=False)
        first += len(chunk)
        bits = np.zeros(chunk.offset, dtype=bool)  # the bitmap counts from the buffers' start
        bitmap = pa.py_buffer(np.packbits(np.concatenate([bits, valid]), bitorder="little"))
        out.append(pa.Array.from_buffers(chunk.type, len(chunk), [bitmap, *chunk.buffers()[1:]],
                                         offset=chunk.offset))
    return pa.chunked_array(out, type=values.type) if isinstance(values, pa.ChunkedArray) else out[0]


def _take(values: pa.Array | pa.ChunkedArray, rows: np.ndarray) -> pa.Array:
    """values[rows], a few rows of a long column: taken chunk by chunk (Arrow's take of a chunked array
    of text joins its chunks first, a copy of the whole column)."""
    if isinstance(values, pa.Array):
        return values.take(pa.array(rows, pa.int64()))
    starts = np.cumsum([0] + [len(chunk) for chunk in values.chunks])
    which = np.searchsorted(starts, rows, side="right") - 1
    parts = [values.chunks[chunk].take(pa.array(rows[which == chunk] - starts[chunk], pa.int64()))
             for chunk in np.unique(which)]
    return pa.concat_arrays(parts) if parts else pa.array([], values.type)


def _by_position(values: pa.Array, positions: np.ndarray) -> pa.Array:
    """values[position] for each position (-1: null), in Arrow."""
    nulls = positions < 0
    taken = values.take(pa.array(np.where(nulls, 0, positions), pa.int64())) if len(values) else \
        pa.nulls(len(positions), values.type)
    return _null_where(nulls, taken) if len(values) else taken


def _distinct(values: pa.Array) -> tuple[list, np.ndarray]:
    """The distinct values of an array and, per cell, the position of its value among them (-1: null)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    encoded = pc.dictionary_encode(values)
    return encoded.dictionary.to_pylist(), encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)


def _json_strings(values: pa.Array) -> pa.Array:
    """Text as JSON writes it (ensure_ascii off): quoted and escaped; null as null."""
    out = pc.replace_substring(pc.replace_substring(values, "\\", "\\\\"), '"', '\\"')
    if pc.any(pc.match_substring_regex(out, "[\\x00-\\x1f]")).as_py():
        for code in range(32):
            out = pc.replace_substring(out, chr(code), _JSON_ESCAPES.get(chr(code), f"\\u{code:04x}"))
    return pc.fill_null(pc.binary_join_element_wise('"', out, '"', ""), "null")


@dataclass
class Cells:
    """One column of a file's data rows. `raw`: the values as read (a CSV's text, null where a record
    is too short; a workbook's Python objects); `kind`: each cell's kind (BLANK for nothing or white
    space); `strings`: the text cells, stripped (null elsewhere)."""

    raw: pa.Array | np.ndarray
    kind: np.ndarray
    strings: pa.Array

    def __len__(self) -> int:
        return len(self.kind)

    @property
    def present(self) -> np.ndarray:
        return self.kind != BLANK

    @property
    def typed(self) -> bool:
        """Whether any cell is not text (only a workbook's can be)."""
        return bool(((self.kind != BLANK) & (self.kind != TEXT)).any())

    def without(self, mask: np.ndarray) -> Cells:
        """The same cells with those of `mask` empty."""
        kind = np.where(mask, BLANK, self.kind).astype(np.int8)
        return Cells(self.raw, kind, _null_where(mask, self.strings))

    def text(self) -> pa.Array:
        """Every cell as text, as the mapping reads it: a text cell stripped, a number without its ".0",
        true/false, a date and time as 2026-05-04 09:00:00; null where empty."""
        if not self.typed:
            return self.strings
        out = self.strings.to_numpy(zero_copy_only=False).astype(object)
        for kind in (INT, FLOAT, BOOL, DATETIME, DATE, TIME, DELTA, OTHER):
            rows = np.flatnonzero(self.kind == kind)
            if len(rows):
                out[rows] = _texts(kind, self.raw[rows])
        return pa.array(out, type=pa.string())

    def text_of(self, row: int) -> str:
        return self.strings[row].as_py() if self.kind[row] == TEXT else _text(self.raw[row])


def _json_values(raw: pa.Array | np.ndarray, rows: np.ndarray) -> pa.Array:
    """The values of these rows as JSON writes them (json.dumps with default=str)."""
    if isinstance(raw, pa.Array | pa.ChunkedArray):
        return _json_strings(_take(raw, rows))
    values = raw[rows]
    kinds = np.fromiter(map(_kind_of, values), dtype=np.int8, count=len(values))
    out = np.full(len(values), "null", dtype=object)
    texts = (kinds == TEXT) | (kinds >= DATETIME)  # a date, time or anything else: its str(), quoted
    if texts.any():
        out[texts] = _json_strings(pa.array(list(map(str, values[texts])), pa.string())).to_numpy(
            zero_copy_only=False)
    numbers = (kinds == INT) | (kinds == FLOAT)
    out[numbers] = list(map(json.dumps, values[numbers]))
    out[kinds == BOOL] = np.where(values[kinds == BOOL].astype(bool), "true", "false")
    return pa.array(out, type=pa.string())


def _kind_of(value: object) -> int:
    return _KIND_OF_CLASS.get(type(value), OTHER)


def _texts(kind: int, values: np.ndarray) -> list[str]:
    """_text of workbook values all of one kind."""
    if kind == FLOAT:
        numbers = values.astype(np.float64)
        whole = np.isfinite(numbers) & (np.floor(numbers) == numbers)
        out = np.array(list(map(repr, numbers.tolist())), dtype=object)
        out[whole] = list(map(str, map(int, numbers[whole].tolist())))
        return out.tolist()
    if kind == BOOL:
        return np.where(values.astype(bool), "true", "false").tolist()
    if kind == DATETIME:
        return list(map(methodcaller("isoformat", " "), values))
    return list(map(str, values))


def _csv_cells(raw: pa.Array) -> Cells:
    stripped = pc.utf8_trim(raw, characters=SPACES)
    if pc.all(pc.fill_null(pc.equal(pc.binary_length(stripped), pc.binary_length(raw)), True)).as_py():
        stripped = raw  # nothing to strip: the text as read, not a copy of it
    blank = pc.fill_null(pc.equal(stripped, ""), True)
    kind = np.where(blank.to_numpy(zero_copy_only=False), BLANK, TEXT).astype(np.int8)
    return Cells(raw, kind, _null_where(blank, stripped))


def _workbook_cells(values: np.ndarray) -> Cells:
    """A workbook column's cells: each one's kind, its text stripped; empty: None, NaN, white space."""
    kind = np.fromiter(map(_kind_of, values), dtype=np.int8, count=len(values))
    strings = np.full(len(values), None, dtype=object)
    text = np.flatnonzero(kind == TEXT)
    if len(text):
        stripped = pc.utf8_trim(pa.array(values[text].tolist(), pa.string()), characters=SPACES)
        strings[text] = stripped.to_numpy(zero_copy_only=False)
        kind[text[pc.equal(stripped, "").to_numpy(zero_copy_only=False)]] = BLANK
        strings[kind != TEXT] = None
    floats = np.flatnonzero(kind == FLOAT)
    kind[floats[np.isnan(values[floats].astype(np.float64))]] = BLANK
    return Cells(values, kind, pa.array(strings, type=pa.string()))


@dataclass
class Table:
    """A file's data rows as read: the header, the values of each header column (data rows only, empty
    rows skipped: a CSV's text, null where a record is too short; a workbook's Python objects), each
    row's number as a spreadsheet shows it (the header is row 1 when it is the first), and, for a row
    with a value beyond the header's, its number of fields (else 0)."""

    header: list[str]
    raw: list
    numbers: np.ndarray
    fields: np.ndarray
    delimiter: str
    positions: dict[str, int]  # the column of the file each mapped contract column is read from
    made: dict[int, Cells] = field(default_factory=dict)  # a workbook's, made as it was read

    def cells(self, position: int) -> Cells:
        """A column's cells, made when a mapping reads the column (and let go after)."""
        if position in self.made:
            return self.made[position]
        raw = self.raw[position]
        return _csv_cells(raw) if isinstance(raw, pa.Array | pa.ChunkedArray) else _workbook_cells(raw)

    def shape_problems(self) -> tuple[np.ndarray, list[str]]:
        """Per row the index of its shape problem among the reasons (-1: none), and the reasons."""
        codes = np.full(len(self.numbers), -1, dtype=np.int32)
        reasons = []
        for count in np.unique(self.fields[self.fields > 0]):
            codes[self.fields == count] = len(reasons)
            reasons.append(f"{count} fields where the header has {len(self.header)} (a {self.delimiter!r} "
                           "inside an unquoted value?)")
        return codes, reasons

    def records(self, rows: np.ndarray) -> np.ndarray:
        """These rows as they were read, as JSON objects of header name: value (cut to
        RECORD_TEXT_LIMIT characters), for reading a set-aside row."""
        if not len(rows):
            return np.array([], dtype=object)
        last: dict[str, int] = {}  # as a dict of the names: a repeated name holds its last column's value
        for i, name in enumerate(self.header):
            last[name or f"column {i + 1}"] = i
        parts: list = []
        for position, (name, i) in enumerate(last.items()):
            parts += [("{" if position == 0 else ", ") + json.dumps(name, ensure_ascii=False) + ": ",
                      _json_values(self.raw[i], rows)]
        joined = pc.binary_join_element_wise(*parts, "}", "") if parts else pa.array(["{}"] * len(rows))
        return pc.utf8_slice_codeunits(joined, 0, RECORD_TEXT_LIMIT).to_numpy(zero_copy_only=False)


def _header_name(value: object) -> str:
    return "" if value is None else _text(value).replace("\ufeff", "").strip()


def _is_excel(path: Path) -> bool:
    if path.suffix.lower() in EXCEL_SUFFIXES:
        return True
    with open(path, "rb") as handle:
        return handle.read(4) == b"PK\x03\x04"  # a zip: an .xlsx under another name


def _header(path: Path, records: list[list], mapping: Mapping) -> list[str]:
    """The header row's names (trailing empty ones dropped), or ValueError when the file has no such row."""
    if len(records) < mapping.header_row:
        raise ValueError(f"{path.name}: no header row (row {mapping.header_row}): the file has "
                         f"{len(records)} row(s)")
    header = [_header_name(v) for v in records[mapping.header_row - 1]]
    while header and not header[-1]:
        header.pop()
    return header


def _read_excel(path: Path, mapping: Mapping) -> Table:
    """A workbook's sheet, by openpyxl; its rows are then converted as a CSV file's columns are."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a file that is not a workbook
        raise ValueError(f"{path.name}: not a readable Excel workbook ({error})") from None
    try:
        names = book.sheetnames
        if mapping.sheet is None:
            sheet = book.worksheets[0]
        elif isinstance(mapping.sheet, int):
            if mapping.sheet > len(names):
                raise ValueError(f"{path.name}: mapping sheet {mapping.sheet}: the workbook has "
                                 f"{len(names)} sheet(s): {_names(names)}")
            sheet = book.worksheets[mapping.sheet - 1]
        else:
            if mapping.sheet not in names:
                raise ValueError(f"{path.name}: mapping sheet {mapping.sheet!r} is not in the workbook; "
                                 f"its sheets are {_names(names)}")
            sheet = book[mapping.sheet]
        sheet.reset_dimensions()  # some writers record a wrong size: read every row there is
        records = list(sheet.iter_rows(values_only=True))
    finally:
        book.close()
    header = _header(path, records, mapping)
    positions = _check_columns(path, header, mapping)
    data = records[mapping.header_row:]
    del records
    width = max(len(header), max(map(len, data), default=0))
    grid = [np.array(column, dtype=object) for column in zip_longest(*data, fillvalue=None)]
    grid += [np.full(len(data), None, dtype=object)] * (width - len(grid))
    cells = [_workbook_cells(column) for column in grid]
    blank = np.ones(len(data), dtype=bool)
    for column in cells:  # a row is empty when every cell is, beyond the header's too
        blank &= ~column.present
    keep = np.flatnonzero(~blank)
    taken = pa.array(keep, pa.int64())
    made = {i: Cells(column.raw[keep], column.kind[keep], column.strings.take(taken))
            for i, column in enumerate(cells[:len(header)])}
    numbers = (keep + mapping.header_row + 1).astype(np.int64)
    return Table(header, [c.raw for c in made.values()], numbers, np.zeros(len(keep), dtype=np.int64), ",",
                 positions, made)


def _utf8(path: Path, mapping: Mapping, scratch: Path) -> tuple[Path, int]:
    """The file as UTF-8 for DuckDB, and where its text starts: a UTF-8 file itself (after a byte-order
    mark; it is checked as it is scanned), a file in another encoding made UTF-8 in `scratch` a chunk at
    a time (a byte that is not of the encoding is a ValueError naming it)."""
    if mapping.encoding == "utf-8-sig":
        with open(path, "rb") as handle:
            return path, len(codecs.BOM_UTF8) if handle.read(3) == codecs.BOM_UTF8 else 0
    decoder = codecs.getincrementaldecoder(mapping.encoding)()
    target = scratch / "utf8.csv"
    read = 0
    with open(path, "rb") as source, open(target, "wb") as out:
        while True:
            chunk = source.read(CHUNK_BYTES)
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError:
                raise _not_text(path, mapping.encoding, read + len(chunk)) from None
            out.write((text.removeprefix("\ufeff") if read == 0 else text).encode("utf-8"))
            read += len(chunk)
            if not chunk:
                return target, 0


def _not_text(path: Path, encoding: str, size: int) -> ValueError:
    """The error for a file that is not in its encoding, naming the first bad byte within its first
    `size` bytes as decoding the whole file names it."""
    with open(path, "rb") as handle:
        data = handle.read(size)
    try:
        data.decode(encoding)
        where = size
    except UnicodeDecodeError as error:
        where = error.start
    shown = encoding.removesuffix("-sig")
    return ValueError(f"{path.name}: not {shown} text (byte {where}); give the file's encoding in the "
                      "mapping, like encoding = \"cp1252\"")


def _head(path: Path, source: Path, start: int, size: int) -> tuple[str, bool]:
    """The first `size` bytes of the UTF-8 text as text, and whether that is all of it."""
    with open(source, "rb") as handle:
        handle.seek(start)
        data = handle.read(size + 1)
    whole = len(data) <= size
    try:
        return codecs.getincrementaldecoder("utf-8")().decode(data[:size], final=whole), whole
    except UnicodeDecodeError:
        raise _not_text(path, "utf-8-sig", start + size) from None


QUOTE, CR, LF = 34, 13, 10


def _ascii(chunk: bytearray) -> bool:
    return bool(len(chunk)) and int(np.frombuffer(chunk, dtype=np.uint8).max()) < 128
OUTSIDE = 256  # the start or end of the text, beside the bytes 0-255


def _scan(path: Path, source: Path, start: int, delimiter: str, check: bool
          ) -> tuple[np.ndarray, int, bool]:
    """The UTF-8 text of `source` from `start`, a chunk at a time: the numbers (from 1) of its empty
    lines (a line break, \\n, \\r or \\r\\n, right where a line begins), its number of lines, and
    whether its quoting is
    regular: every run of quotes outside a quoted value opens one at a field's start (or is inside an
    unquoted value, where it is text), and every odd run inside one closes it before a delimiter, a
    line break or the end, as DuckDB's reader and Python's csv module read it alike. With `check`, text
    that is not UTF-8 is a ValueError naming its first bad byte."""
    regular = len(delimiter.encode("utf-8")) == 1  # a delimiter of several bytes: read by Python's rules
    separator = ord(delimiter) if regular else -1
    decoder = codecs.getincrementaldecoder("utf-8")()
    found = [np.array([], dtype=np.int64)]
    breaks = 0  # line breaks before the chunk
    last_end = -1  # where the last line break ended, from `start`
    odd_runs = 0  # runs of an odd number of quotes before the chunk: inside a quoted value when odd
    position = 0  # of the chunk, from `start`
    before = OUTSIDE  # the byte before the chunk
    with open(source, "rb") as handle:
        handle.seek(start)
        ahead = handle.read(1)  # the byte after the chunk (b"": the end)
        while ahead:
            chunk = bytearray(ahead)
            chunk += handle.read(CHUNK_BYTES)
            ahead = handle.read(1)
            # a chunk never ends inside a run of quotes, nor between \r and \n
            while ahead and (chunk[-1], ahead[0]) in ((QUOTE, QUOTE), (CR, LF)):
                chunk += ahead
                ahead = handle.read(1)
            if check and not (_ascii(chunk) and not decoder.getstate()[0]):  # ASCII is UTF-8
                try:
                    decoder.decode(chunk, final=not ahead)
                except UnicodeDecodeError:
                    raise _not_text(path, "utf-8-sig", start + position + len(chunk)) from None
            part = np.frombuffer(chunk, dtype=np.uint8)
            ends = np.flatnonzero(part == LF)
            returns = np.flatnonzero(part == CR)
            if len(returns):  # \r\n is one line break (it ends at the \n), a \r alone another
                alone = returns[part[np.minimum(returns + 1, len(part) - 1)] != LF]  # (the last byte: itself)
                if len(alone):
                    ends = np.sort(np.concatenate([ends, alone]))
                paired = (ends > 0) & (part[ends] == LF) & (part[np.maximum(ends - 1, 0)] == CR)
                begins = ends - paired
            else:
                begins = ends
            previous = np.append(last_end - position, ends[:-1])
            found.append(breaks + 1 + np.flatnonzero(begins == previous + 1))
            breaks += len(ends)
            if len(ends):
                last_end = position + int(ends[-1])
            quotes = np.flatnonzero(part == QUOTE)
            if regular and len(quotes):
                first = np.ones(len(quotes), dtype=bool)
                first[1:] = np.diff(quotes) != 1
                lengths = np.diff(np.append(np.flatnonzero(first), len(quotes)))
                runs = quotes[first]  # where each run of quotes begins
                after = runs + lengths
                bytes_before = np.where(runs > 0, part[np.maximum(runs - 1, 0)].astype(np.int16), before)
                bytes_after = np.where(after < len(part),
                                       part[np.minimum(after, len(part) - 1)].astype(np.int16),
                                       ahead[0] if ahead else OUTSIDE)
                opens_field = np.isin(bytes_before, (separator, CR, LF, OUTSIDE))
                closes_field = np.isin(bytes_after, (separator, CR, LF, OUTSIDE))
                odd = lengths % 2 == 1
                inside = (odd_runs + np.cumsum(odd) - odd) % 2 == 1
                irregular = (odd & ~inside & ~opens_field) | (odd & inside & ~closes_field) | (
                    ~odd & ~inside & opens_field & ~closes_field)
                regular = not irregular.any()
                odd_runs += int(odd.sum())
            position += len(chunk)
            before = chunk[-1]
    lines = breaks + (position > 0 and before not in (CR, LF))  # a last line without a line break too
    return np.concatenate(found), lines, regular and odd_runs % 2 == 0


def _regular(source: Path, start: int, delimiter: str, scratch: Path) -> Path:
    """A copy of the text with regular quoting, written record by record as Python's csv module reads
    and writes them (its C reader and writer, streaming): the same records, for DuckDB to read."""
    target = scratch / "regular.csv"
    with open(source, encoding="utf-8", newline="") as text, open(target, "w", encoding="utf-8",
                                                                  newline="") as out:
        text.seek(start)
        try:
            csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(
                csv.reader(text, delimiter=delimiter))
        except csv.Error as error:
            raise ValueError(f"{source.name}: not a readable CSV file ({error})") from None
    return target


def _read_csv(path: Path, mapping: Mapping) -> Table:
    """A CSV file by DuckDB's CSV reader (sql/import_csv_records.sql); its header row found as Python's
    csv module reads it, its records numbered as a spreadsheet numbers them (empty lines counted)."""
    with tempfile.TemporaryDirectory(prefix="cxdash-csv-") as scratch:
        source, start = _utf8(path, mapping, Path(scratch))
        size = HEAD_BYTES
        while True:  # enough of the file to hold the header row and a row after it
            head, whole = _head(path, source, start, size)
            delimiter = mapping.delimiter
            if delimiter is None:
                lines = head.split("\n", mapping.header_row)[:mapping.header_row]
                line = lines[mapping.header_row - 1] if len(lines) >= mapping.header_row else ""
                delimiter = max(DELIMITERS, key=line.count) if any(d in line for d in DELIMITERS) else ","
            try:
                records = list(islice(csv.reader(io.StringIO(head, newline=""), delimiter=delimiter),
                                      mapping.header_row + 1))
            except csv.Error as error:
                raise ValueError(f"{path.name}: not a readable CSV file ({error})") from None
            # the header row and a record after it, and (to count delimiters in) its whole line
            if whole or (len(records) > mapping.header_row and head.count("\n") >= mapping.header_row):
                break
            size *= 4
        header = _header(path, records, mapping)
        positions = _check_columns(path, header, mapping)
        width = len(header)
        surplus = len(records[mapping.header_row - 1]) - width + SURPLUS_COLUMNS
        # the scan (checks, empty lines, quoting) runs on the second core while DuckDB reads the file
        with ThreadPoolExecutor(max_workers=1) as pool:
            scanned = pool.submit(_scan, path, source, start, delimiter, source == path)
            try:
                table = _records(path, source, delimiter, width, surplus)
            except ValueError:
                scanned.result()  # a file that is not UTF-8 is said so first
                raise
            empty, lines, regular = scanned.result()
        if not regular:  # quotes DuckDB reads otherwise than Python's csv module: read its records
            source = _regular(source, start, delimiter, Path(scratch))
            empty, lines, _ = _scan(path, source, 0, delimiter, False)
            table = _records(path, source, delimiter, width, surplus)
        while not pc.all(pc.is_null(table[f"s{surplus - 1}"])).as_py():
            surplus *= 8  # a record filled every surplus column: it may have more
            table = _records(path, source, delimiter, width, surplus)
        number = _numbers(table, empty, lines)
    # a record of empty cells is no row (beyond the header's fields too); most rows have a first value
    extra = np.flatnonzero(pc.is_valid(table["s0"]).to_numpy(zero_copy_only=False))  # surplus fields
    surplus_text = pc.utf8_trim(pc.binary_join_element_wise(
        *[pc.fill_null(_take(table[f"s{i}"], extra), "") for i in range(surplus)], ""), characters=SPACES)
    blank = number > mapping.header_row
    blank[extra] &= pc.equal(surplus_text, "").to_numpy(zero_copy_only=False)
    for values in [table[f"f{i}"] for i in range(width)]:
        rows = np.flatnonzero(blank)
        if not len(rows):
            break
        most = len(rows) > len(blank) // 2  # most rows: the column as it is, not a copy of most of it
        cells = pc.utf8_trim(values if most else _take(values, rows), characters=SPACES)
        empty_cells = pc.fill_null(pc.equal(cells, ""), True).to_numpy(zero_copy_only=False)
        blank[rows] = empty_cells[rows] if most else empty_cells
    keep = np.flatnonzero((number > mapping.header_row) & ~blank)
    fields = np.zeros(table.num_rows, dtype=np.int64)  # a record's fields, when a surplus one has a value
    counted = sum(pc.is_valid(_take(table[f"s{i}"], extra)).to_numpy(zero_copy_only=False).astype(np.int64)
                  for i in range(surplus))
    valued = pc.not_equal(surplus_text, "").to_numpy(zero_copy_only=False)
    fields[extra] = np.where(valued, width + counted, 0)
    kept = np.zeros(table.num_rows, dtype=bool)
    kept[keep] = True
    contiguous = len(keep) and keep[-1] - keep[0] == len(keep) - 1

    def rows_of(values):  # a slice, or filtered chunk by chunk: never the whole column joined first
        return values.slice(keep[0], len(keep)) if contiguous else values.filter(pa.array(kept))

    raw = [rows_of(table[f"f{i}"]) for i in range(width)]
    return Table(header, raw, number[keep], fields[keep], delimiter, positions)


def _records(path: Path, source: Path, delimiter: str, width: int, surplus: int) -> pa.Table:
    """The file's records by DuckDB (sql/import_csv_records.sql): the header's fields f0, f1, ... and
    `surplus` more, s0, s1, ... On a connection of its own, closed when read: its buffers go with it."""
    names = [f"f{i}" for i in range(width)] + [f"s{i}" for i in range(surplus)]
    con = connect()
    try:
        con.execute("set preserve_insertion_order = true")  # records in the file's order
        return con.sql(load_sql("import_csv_records"), params={
            "path": str(source), "delimiter": delimiter, "columns": dict.fromkeys(names, "VARCHAR"),
            "missing": NO_VALUE}).to_arrow_table()
    except duckdb.Error as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ValueError(f"{path.name}: not a readable CSV file ({first})") from None
    finally:
        con.close()


def _numbers(table: pa.Table, empty_lines: np.ndarray, lines: int) -> np.ndarray:
    """Each record's number as Python's csv module counts them (an empty line is a record of its own):
    with no empty line, its position; else from where it starts among the lines that are not empty
    (when no record is over several lines, every line not empty is one)."""
    count = table.num_rows
    if not len(empty_lines):
        return np.arange(1, count + 1, dtype=np.int64)
    if count + len(empty_lines) == lines:
        breaks = inside = np.zeros(count, dtype=np.int64)
    else:
        breaks, inside = _line_breaks(table)
    taken = 1 + breaks - inside  # the non-empty lines a record takes
    before = np.concatenate([[0], np.cumsum(taken)[:-1]])  # non-empty lines before each record
    empty_before = np.concatenate([[0], np.cumsum(inside)[:-1]])  # empty lines inside records before it
    # the line a record starts on: the non-empty line of its position, past the empty lines before it
    lines_before_empty = empty_lines - 1 - np.arange(len(empty_lines))
    first_line = before + 1 + np.searchsorted(lines_before_empty, before, side="right")
    return (np.arange(count) + first_line - before - empty_before).astype(np.int64)


def _line_breaks(table: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    """Per record, the line breaks inside its values (\\r\\n, \\r or \\n: one each) and the empty
    lines among them (a run of n breaks holds n - 1), counted on the values that have any."""
    breaks = np.zeros(table.num_rows, dtype=np.int64)
    inside = np.zeros(table.num_rows, dtype=np.int64)
    for values in table.columns:
        broken = pc.or_(pc.match_substring(values, "\n"), pc.match_substring(values, "\r"))
        rows = np.flatnonzero(pc.fill_null(broken, False).to_numpy(zero_copy_only=False))
        if len(rows):
            text = pc.replace_substring_regex(values.take(pa.array(rows, pa.int64())), "\r\n?", "\n")
            count = pc.count_substring(text, "\n").to_numpy(zero_copy_only=False).astype(np.int64)
            runs = pc.count_substring_regex(text, "\n+").to_numpy(zero_copy_only=False).astype(np.int64)
            breaks[rows] += count
            inside[rows] += count - runs
    return breaks, inside


def _check_columns(path: Path, header: list[str], mapping: Mapping) -> dict[str, int]:
    positions = {}
    for current in mapping.fields.values():
        if current.column is None:
            continue
        found = [i for i, name in enumerate(header) if name == current.column]
        if not found:
            same = [name for name in header if name.casefold() == current.column.casefold()]
            hint = f" (did you mean {same[0]!r}? names must match exactly)" if same else ""
            raise ValueError(f"{path.name}: {current.where}: the file has no column {current.column!r}"
                             f"{hint}; its columns are {_names(repr(n) for n in header if n)}")
        if len(found) > 1:
            raise ValueError(f"{path.name}: {current.where}: the file has {len(found)} columns named "
                             f"{current.column!r}; rename them apart")
        positions[current.name] = found[0]
    return positions


def read_table(path: Path, mapping: Mapping) -> Table:
    """The header and data rows of a CSV or Excel file (empty rows skipped, their numbers kept)."""
    if path.suffix.lower() in OLD_SUFFIXES:
        raise ValueError(f"{path.name}: {path.suffix} files are not read; save it as .xlsx or .csv")
    return _read_excel(path, mapping) if _is_excel(path) else _read_csv(path, mapping)


# --- converting values -------------------------------------------------------------------------------

def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return str(value)


def _numbers_of(text: pa.Array, decimal: str) -> np.ndarray:
    """Text as numbers (NaN where it is none, or not finite), as Python's float() reads it: digits with
    a sign, a decimal point (or comma, with decimal = ","), an exponent, underscores between digits."""
    if decimal == ",":
        text = pc.replace_substring(text, ",", ".")
    try:
        numbers = pc.cast(text, pa.float64())
    except pa.ArrowInvalid:  # some are not numbers: only those that look like one are read
        fits = pc.match_substring_regex(text, NUMBER)
        numbers = pc.cast(pc.replace_substring(_null_where(pc.invert(fits), text), "_", ""), pa.float64())
    out = numbers.to_numpy(zero_copy_only=False).astype(np.float64)
    out[~np.isfinite(out)] = np.nan
    return out


DIGITS = r"\d(?:_?\d)*"  # Python's float() takes underscores between digits
NUMBER = rf"^[+-]?(?:{DIGITS}(?:\.(?:{DIGITS})?)?|\.{DIGITS})(?:[eE][+-]?{DIGITS})?$"
CLOCK_PATTERNS = {"hh:mm:ss": r"^\d+:[0-5]?\d:[0-5]?\d(?:[.,]\d+)?$", "mm:ss": r"^\d+:[0-5]?\d(?:[.,]\d+)?$"}
# ISO 8601 times in their plainest forms, which DuckDB reads as pandas does: UTC (with Z), local
ISO_PLAIN = ((r"^[12]\d{3}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", ["%Y-%m-%dT%H:%M:%SZ"], True),
             (r"^[12]\d{3}-\d\d-\d\d \d\d:\d\d:\d\dZ$", ["%Y-%m-%d %H:%M:%SZ"], True),
             (r"^[12]\d{3}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d)?$",
              ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"], False))
# the strftime directives DuckDB reads as Python does (the others are read by pandas alone)
FAST_DIRECTIVES = set("dmYyHIpMSfbBaAz%")
# pandas reads these formats with its fast ISO 8601 parser (pandas.core.tools.datetimes: format_is_iso)
ISO_FORMAT = re.compile(r"^%Y(?:([-/ \\.]?)%m(?:\1%d(?:[ T]%H(?::%M(?::%S(?:%z|\.%f(?:%z)?)?)?)?)?)?)?$")


def _clock_seconds(text: pa.Array, unit: str) -> np.ndarray:
    """h:mm:ss or m:ss text as seconds (NaN where it is neither)."""
    fits = pc.fill_null(pc.match_substring_regex(text, CLOCK_PATTERNS[unit]), False)
    out = np.full(len(text), np.nan)
    rows = np.flatnonzero(fits.to_numpy(zero_copy_only=False))
    if len(rows):
        text = text if len(rows) == len(text) else text.filter(fits)
        if pc.any(pc.match_substring(text, ",")).as_py():  # a decimal comma in the seconds
            text = pc.replace_substring(text, ",", ".")
        parts = pc.split_pattern(text, ":")
        numbers = pc.cast(pc.list_flatten(parts), pa.float64()).to_numpy().reshape(len(rows), -1)
        seconds = numbers[:, -1] * 1 + numbers[:, -2] * 60  # added up as Python's sum() does
        out[rows] = seconds + numbers[:, -3] * 3600 if unit == "hh:mm:ss" else seconds
    return out


class Problems:
    """The problem of each row of a column: the index of its reason (-1: none) and the reasons."""

    def __init__(self, length: int):
        self.codes = np.full(length, -1, dtype=np.int32)
        self.reasons: list[str] = []

    def add(self, mask: np.ndarray, reason: str) -> None:
        mask = mask & (self.codes < 0)
        if mask.any():
            if reason not in self.reasons:
                self.reasons.append(reason)
            self.codes[mask] = self.reasons.index(reason)

    def add_by_value(self, positions: np.ndarray, reasons: list[str | None]) -> None:
        """A reason per distinct value (None: no problem), given each row's value's position (-1: none)."""
        codes = np.array([-1 if reason is None else self._code(reason) for reason in reasons] + [-1],
                         dtype=np.int32)
        new = codes[positions]  # -1 indexes the last: no problem
        self.codes = np.where(self.codes < 0, new, self.codes).astype(np.int32)

    def _code(self, reason: str) -> int:
        if reason not in self.reasons:
            self.reasons.append(reason)
        return self.reasons.index(reason)


class Converter:
    """Converts the file columns of one file: values in the contract's type and, per row, the reason a
    value could not be converted. `examples` keeps the first value of each reason. Every conversion
    works on whole columns (Arrow, NumPy, pandas, DuckDB); what depends on a value's words (channels,
    flags, [values] tables) is worked out once per distinct value."""

    def __init__(self, mapping: Mapping, file: str, numbers: np.ndarray, con):
        self.mapping = mapping
        self.file = file
        self.numbers = numbers
        self.con = con  # a connection of its own (a cursor), for a converter working on another thread
        self.examples: dict[str, str] = {}
        self.ambiguous = 0
        self.naive = 0

    def column(self, current: Field, cells: Cells, done: dict[str, pd.Series]) -> tuple[pd.Series, Problems]:
        length = len(cells)
        index = pd.RangeIndex(length)
        problems = Problems(length)
        hit = np.zeros(length, dtype=bool)
        if current.values:  # file values replaced by contract values (not converted again)
            values_of, positions = _distinct(cells.text())
            keys = [value.casefold() for value in values_of]
            targets = [current.values.get(key) for key in keys]
            hit = np.array([key in current.values for key in keys] + [False])[positions]
            cells = cells.without(hit)
            chosen = positions[hit]
        if current.after:
            seconds = self._duration(current, cells, problems)
            values = done[current.after] + pd.to_timedelta(pd.Series(seconds, index=index), unit="s")
        elif current.kind == "time":
            values = self._times(current, cells, problems, index)
        elif current.kind == "text":
            text = self._label(current, cells, problems)
            if hit.any():
                replaced = _by_position(pa.array(targets, pa.string()), positions)
                text = pc.if_else(pa.array(hit), replaced, text)
            values = pd.Series(text, dtype=TEXT_DTYPE)
        elif current.kind == "flag":
            flags, known = self._flag(current, cells, problems)
            if hit.any():
                flags[hit] = np.array([bool(target) for target in targets], dtype=bool)[chosen]
                known[hit] = np.array([target is not None for target in targets], dtype=bool)[chosen]
            values = pd.Series(pd.arrays.BooleanArray(flags, ~known))
        else:
            convert = self._duration if current.kind == "duration" else self._whole
            numbers = convert(current, cells, problems)
            if hit.any():
                numbers[hit] = np.array([np.nan if target is None else target for target in targets],
                                        dtype=np.float64)[chosen]
            values = pd.Series(numbers, index=index)
        self._note(current, cells, problems)
        return values.astype(DTYPES[current.kind]), problems

    def _note(self, current: Field, cells: Cells, problems: Problems) -> None:
        """The first offending value of each reason, for a note (unless the reason names it)."""
        rows = np.flatnonzero(problems.codes >= 0)
        if not len(rows):
            return
        _, first = np.unique(problems.codes[rows], return_index=True)
        for row in sorted(rows[first]):
            problem = problems.reasons[problems.codes[row]]
            reason = f"column {current.column}: {problem}"
            value = cells.text_of(row)
            if reason not in self.examples and repr(value) not in problem:
                self.examples[reason] = f"{value!r} ({self.file} row {self.numbers[row]})"

    def _label(self, current: Field, cells: Cells, problems: Problems) -> pa.Array:
        text = cells.text()
        if current.name != "channel":
            return text
        values_of, positions = _distinct(text)
        lowered = [value.lower() for value in values_of]
        channels = [value if value in CHANNELS else None for value in lowered]
        problems.add_by_value(positions, [
            None if channel else f"{value!r} is not a channel ({_names(CHANNELS)}): map it under "
            "[values.channel]" for value, channel in zip(values_of, channels, strict=True)])
        return _by_position(pa.array(channels, pa.string()), positions)

    def _flag(self, current: Field, cells: Cells, problems: Problems) -> tuple[np.ndarray, np.ndarray]:
        """Each cell's flag, and whether it has one."""
        values = np.zeros(len(cells), dtype=bool)
        known = np.zeros(len(cells), dtype=bool)
        flags = cells.kind == BOOL
        if flags.any():
            values[flags] = cells.raw[flags].astype(bool)
            known |= flags
            cells = cells.without(flags)
        values_of, positions = _distinct(cells.text())
        true, false = current.true, current.false
        if true is None and false is None:
            true, false = frozenset(TRUE_WORDS), frozenset(FALSE_WORDS)
        meanings = []
        for value in values_of:
            key = value.casefold()
            if true is not None and key in true:
                meanings.append(True)
            elif false is not None and key in false:
                meanings.append(False)
            elif true is not None and false is None:
                meanings.append(False)
            elif false is not None and true is None:
                meanings.append(True)
            else:
                meanings.append(None)
        problems.add_by_value(positions, [
            None if meaning is not None else f"{value!r} is neither a true value nor a false value"
            for value, meaning in zip(values_of, meanings, strict=True)])
        read = positions >= 0
        values[read] = np.array([bool(meaning) for meaning in meanings], dtype=bool)[positions[read]]
        known[read] = np.array([meaning is not None for meaning in meanings], dtype=bool)[positions[read]]
        return values, known

    def _duration(self, current: Field, cells: Cells, problems: Problems) -> np.ndarray:
        """Seconds, as floats (NaN where empty or not a duration)."""
        unit = current.unit
        out = np.full(len(cells), np.nan)
        text = cells.kind == TEXT
        if unit in CLOCK_PATTERNS:
            out[text] = _clock_seconds(cells.strings, unit)[text]
            problems.add(text & np.isnan(out), f"not a duration like {unit}")
        else:
            out[text] = _numbers_of(cells.strings, self.mapping.decimal)[text] * UNITS[unit]
            wrong = text & np.isnan(out)
            if self.mapping.decimal == "." and wrong.any():
                comma = pc.fill_null(pc.match_substring(cells.strings, ","), False)
                problems.add(wrong & comma.to_numpy(zero_copy_only=False),
                             f"not a number of {unit} (a decimal comma? give decimal = \",\")")
            problems.add(wrong, f"not a number of {unit}")
        if cells.typed:
            clocks = (cells.kind == TIME) | (cells.kind == DELTA)
            out[clocks] = _clock_cells(cells.raw[clocks], cells.kind[clocks])
            if unit not in CLOCK_PATTERNS:  # a number cell (an infinite one is none)
                numbers = np.flatnonzero((cells.kind == INT) | (cells.kind == FLOAT))
                out[numbers] = np.array(cells.raw[numbers], dtype=np.float64) * UNITS[unit]
                out[~np.isfinite(out)] = np.nan
            other = cells.present & ~text & ~clocks & np.isnan(out)
            problems.add(other, f"not a duration like {unit}" if unit in CLOCK_PATTERNS
                         else f"not a number of {unit}")
        return out

    def _whole(self, current: Field, cells: Cells, problems: Problems) -> np.ndarray:
        numbers = np.full(len(cells), np.nan)
        text = cells.kind == TEXT
        numbers[text] = _numbers_of(cells.strings, self.mapping.decimal)[text]
        if cells.typed:
            native = np.flatnonzero((cells.kind == INT) | (cells.kind == FLOAT))
            numbers[native] = np.array(cells.raw[native], dtype=np.float64)
        numbers[~np.isfinite(numbers)] = np.nan
        problems.add(cells.present & np.isnan(numbers), "not a number")
        low, high = RANGES[current.name]
        known = ~np.isnan(numbers)
        if current.scale is not None:
            bottom, top = current.scale
            outside = known & ~((bottom <= numbers) & (numbers <= top))
            problems.add(outside, f"outside the scale {bottom:g}-{top:g}")
            with np.errstate(invalid="ignore"):
                numbers = np.floor(low + (numbers - bottom) * (high - low) / (top - bottom) + 0.5)
            numbers[outside] = np.nan
            return numbers
        fraction = known & (numbers != np.round(numbers))
        problems.add(fraction, "not a whole number")
        outside = known & ~fraction & ~((low <= numbers) & (numbers <= high))
        problems.add(outside, f"outside {current.name}'s range {low:g}-{high:g} (another scale? give "
                              "scale = [lowest, highest])")
        numbers[fraction | outside] = np.nan
        return numbers

    def _times(self, current: Field, cells: Cells, problems: Problems, index: pd.RangeIndex) -> pd.Series:
        """Texts parsed with the format (or as ISO 8601) and Excel date cells; local times made UTC."""
        length = len(cells)
        aware = np.full(length, np.datetime64("NaT"), dtype="datetime64[us]")  # UTC
        naive = aware.copy()
        local = np.zeros(length, dtype=bool)  # read as local times
        text = cells.kind == TEXT
        if text.any():
            fmt = current.format
            if fmt is not None and ("%z" in fmt or "%Z" in fmt):
                aware[text] = self._strptime(cells.strings, fmt, aware=True)[text]
            elif fmt is not None:
                naive[text] = self._strptime(cells.strings, fmt, aware=False)[text]
                local |= text
            else:
                rest = text.copy()  # the texts pandas reads: those the plain forms below do not take
                for pattern, formats, utc in ISO_PLAIN:
                    if not rest.any():
                        break
                    fits = pc.fill_null(pc.match_substring_regex(cells.strings, pattern), False).to_numpy(
                        zero_copy_only=False) & rest
                    if fits.any():  # read by DuckDB, as pandas reads them (a day it lacks: left to pandas)
                        read = self._duckdb_times(cells.strings, formats).to_numpy().astype("datetime64[us]")
                        fits &= ~np.isnat(read)
                        (aware if utc else naive)[fits] = read[fits]
                        local |= fits & (not utc)
                        rest &= ~fits
                zoned = np.zeros(length, dtype=bool)
                if rest.any():
                    zoned = pc.match_substring_regex(cells.strings, ZONED.pattern, ignore_case=True)
                    zoned = pc.fill_null(zoned, False).to_numpy(zero_copy_only=False) & rest
                if zoned.any():
                    utc = cells.strings  # "UTC" written after a time is its zone: Z
                    if pc.any(pc.match_substring(utc, "utc", ignore_case=True)).as_py():
                        utc = pc.replace_substring_regex(utc, r"(?i)\s*UTC$", "Z")
                    aware[zoned] = _iso(utc, zoned, utc=True)
                if (rest & ~zoned).any():
                    naive[rest & ~zoned] = _iso(cells.strings, rest & ~zoned, utc=False)
                    local |= rest & ~zoned
        if cells.typed:
            moments = np.flatnonzero((cells.kind == DATETIME) | (cells.kind == DATE))
            zones = np.array(list(map(attrgetter("tzinfo"), cells.raw[moments])) if len(moments) else [],
                             dtype=object)
            zoned_rows = moments[(cells.kind[moments] == DATETIME) & (zones != None)]  # noqa: E711
            plain_rows = np.setdiff1d(moments, zoned_rows)
            if len(zoned_rows):
                aware[zoned_rows] = _instants(pd.to_datetime(pd.Series(cells.raw[zoned_rows], dtype=object),
                                                             utc=True, errors="coerce"))
            if len(plain_rows):
                naive[plain_rows] = pd.to_datetime(pd.Series(cells.raw[plain_rows], dtype=object),
                                                   errors="coerce").to_numpy().astype("datetime64[us]")
                local[plain_rows] = True
        skipped = np.zeros(length, dtype=bool)
        if local.any():
            localised, gap = self._localise(pd.Series(naive[local]))
            aware[local] = localised
            skipped[local] = gap
        values = pd.Series(aware, index=index).dt.tz_localize("UTC")
        missing = cells.present & np.isnat(aware)
        problems.add(missing & skipped, calendar.SKIPPED_REASON)
        problems.add(missing, f"not a date like {current.format}" if current.format
                     else "not a date and time in ISO 8601 (like 2026-03-29 14:05:00): give its format")
        return values

    def _strptime(self, text: pa.Array, fmt: str, aware: bool) -> np.ndarray:
        """Text read with a strftime format, as pandas reads it (NaT where it does not fit), in UTC when
        `aware`. Formats pandas reads fast (ISO 8601 ones) go to pandas; others to DuckDB
        (sql/import_csv_times.sql), kept where the text fits Python's pattern for the format too;
        whatever is left is read by pandas."""
        directives = set(re.findall(r"%(.)", fmt))
        if (ISO_FORMAT.match(fmt) and fmt != "%Y%m") or not directives <= FAST_DIRECTIVES or (
                "I" in directives and "p" not in directives):  # %I alone is a morning hour to Python
            return _pandas_times(text, fmt, aware)
        try:
            fits = pc.match_substring_regex(text, "^(?:" + _strptime_pattern(fmt) + ")$", ignore_case=True)
        except (pa.ArrowInvalid, re.error, ValueError, KeyError):
            return _pandas_times(text, fmt, aware)
        try:
            parsed = self._duckdb_times(text, fmt)
        except duckdb.Error:
            return _pandas_times(text, fmt, aware)
        out = _instants(parsed.to_pandas()) if aware else parsed.to_numpy().astype("datetime64[us]")
        read = pc.fill_null(fits, False).to_numpy(zero_copy_only=False) & ~np.isnat(out)
        rest = np.flatnonzero(pc.is_valid(text).to_numpy(zero_copy_only=False) & ~read)
        out[~read] = np.datetime64("NaT")
        if len(rest):  # what DuckDB or Python's pattern did not take: as pandas reads it
            out[rest] = _pandas_times(text.take(pa.array(rest, pa.int64())), fmt, aware)
        return out

    def _duckdb_times(self, text: pa.Array, formats: str | list[str]) -> pa.ChunkedArray:
        """The texts read by DuckDB with a strftime format, or the first of several that fits
        (sql/import_csv_times.sql): null where none does."""
        self.con.register("cells", pa.table({"text": text}))
        try:
            read = self.con.sql(load_sql("import_csv_times"), params={"format": formats})
            return read.to_arrow_table()["at"]
        finally:
            self.con.unregister("cells")

    def _localise(self, naive: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        """Naive times as UTC, local in the mapping's zone (UTC when none), by the one daylight-saving
        rule (cxdash.calendar.localize): the repeated hour when the clocks go back is read as the
        earlier; a time in the skipped hour is NaT, and flagged."""
        naive = naive.astype("datetime64[us]")
        self.naive += int(naive.notna().sum())
        zone = self.mapping.timezone or "UTC"
        instants, skipped = calendar.localize(naive, zone)
        first = pd.Series(instants.as_unit("us"), index=naive.index)
        if zone != "UTC":  # how many fell in a repeated hour, for the note: read as the second, they differ
            second = naive.dt.tz_localize(zone, ambiguous=np.zeros(len(naive), dtype=bool), nonexistent="NaT")
            self.ambiguous += int((second.notna() & (second != first)).sum())
        return _instants(first), np.asarray(skipped)


def _instants(values: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """Aware times as naive UTC datetime64[us]."""
    return pd.DatetimeIndex(values).tz_convert("UTC").tz_localize(None).as_unit("us").to_numpy()


def _iso(text: pa.Array, rows: np.ndarray, utc: bool) -> np.ndarray:
    """The texts of these rows read as ISO 8601 by pandas (in UTC when `utc`)."""
    if rows.all():
        return _pandas_times(text, "ISO8601", utc)
    return _pandas_times(text.take(pa.array(np.flatnonzero(rows), pa.int64())), "ISO8601", utc)


def _pandas_times(text: pa.Array, fmt: str, aware: bool) -> np.ndarray:
    """Text read by pandas with a format (or "ISO8601"): naive, or UTC when `aware`; NaT where it does
    not fit. A slice at a time: pandas reads text as Python strings, a copy of the column's text."""
    out = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[us]")
    for first in range(0, len(text), PANDAS_SLICE):
        series = text.slice(first, PANDAS_SLICE).to_pandas()
        if aware:
            read = _instants(pd.to_datetime(series, format=fmt, utc=True, errors="coerce"))
        else:
            read = pd.to_datetime(series, format=fmt, errors="coerce").to_numpy().astype("datetime64[us]")
        out[first:first + len(read)] = read
    return out


def _strptime_pattern(fmt: str) -> str:
    """Python's regular expression for a strftime format (what strptime matches text against)."""
    import _strptime

    return _strptime._TimeRE_cache.pattern(fmt)


def _clock_cells(values: np.ndarray, kinds: np.ndarray) -> np.ndarray:
    """Workbook time and duration cells as seconds."""
    out = np.zeros(len(values))
    times = kinds == TIME
    if times.any():
        parts = [np.array(list(map(attrgetter(name), values[times])), dtype=np.float64)
                 for name in ("hour", "minute", "second", "microsecond")]
        out[times] = parts[0] * 3600 + parts[1] * 60 + parts[2] + parts[3] / 1e6
    if (~times).any():
        out[~times] = np.array(list(map(methodcaller("total_seconds"), values[~times])), dtype=np.float64)
    return out


def _constant(current: Field, length: int) -> pd.Series:
    return pd.Series([current.constant], dtype=object).astype(DTYPES[current.kind]).iloc[
        np.zeros(length, dtype=np.int64)].reset_index(drop=True)


def _convert(table: Table, mapping: Mapping, file: str, converter_notes: dict, con
             ) -> tuple[dict[str, pd.Series], np.ndarray, list[str]]:
    """The mapped columns of a file converted, on the machine's cores (Arrow, NumPy and DuckDB let go of
    the GIL); per row the index of its first problem (-1: none) among the reasons; the notes' examples
    and counts added to `converter_notes`, in the mapping's order."""
    count = len(table.numbers)
    codes, reasons = table.shape_problems()  # the first problem of a row is its reason
    futures: dict[str, Future] = {}

    def convert(current: Field) -> tuple[pd.Series, Problems, Converter]:
        # a time `after` another waits for it: submitted earlier, it is under way or done
        base = {current.after: futures[current.after].result()[0]} if current.after else {}
        cursor = con.cursor()
        try:
            cursor.execute("set TimeZone = 'UTC'")
            converter = Converter(mapping, file, table.numbers, cursor)
            values, problems = converter.column(current, table.cells(table.positions[current.name]), base)
        finally:
            cursor.close()
        return values, problems, converter

    done: dict[str, pd.Series] = {}
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        for name, current in mapping.fields.items():
            if current.column is not None:
                futures[name] = pool.submit(convert, current)
        for name, current in mapping.fields.items():  # in the mapping's order: reasons and notes alike
            if current.column is None:
                done[name] = _constant(current, count)
                continue
            done[name], problems, converter = futures[name].result()
            prefixed = np.array([len(reasons) + i for i in range(len(problems.reasons))] + [-1],
                                dtype=np.int32)
            reasons += [f"column {current.column}: {problem}" for problem in problems.reasons]
            codes = np.where(codes >= 0, codes, prefixed[problems.codes]).astype(np.int32)
            for reason, example in converter.examples.items():
                converter_notes["examples"].setdefault(reason, example)
            converter_notes["ambiguous"] += converter.ambiguous
            converter_notes["naive"] += converter.naive
        futures.clear()
    answered = mapping.fields.get("answered_at")
    if answered is not None and answered.after and "abandoned" in done:
        done["answered_at"] = done["answered_at"].mask(done["abandoned"].fillna(False).astype(bool))
    return done, codes, reasons


def _parse_file(path: Path, mapping: Mapping, converter_notes: dict, con
                ) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    table = read_table(path, mapping)
    count = len(table.numbers)
    done, codes, reasons = _convert(table, mapping, path.name, converter_notes, con)
    bad = codes >= 0
    bad_rows = np.flatnonzero(bad)
    set_aside = pd.DataFrame({
        "source_file": pd.Series([path.name] * len(bad_rows), dtype="str"),
        "source_row": pd.Series(table.numbers[bad_rows], dtype="int64"),
        "reason": pd.Series(np.array(reasons + [""], dtype=object)[codes[bad_rows]], dtype="str"),
        "record": pd.Series(table.records(bad_rows), dtype="str")}, columns=SET_ASIDE_COLUMNS)
    numbers = table.numbers
    del table  # the file's values as read: only the converted ones are kept from here
    # the rows that convert, column by column (pandas filters a whole frame by a mask far more slowly)
    kept = np.flatnonzero(~bad) if len(bad_rows) else None
    columns = {name: done.pop(name) if kept is None else done.pop(name).take(kept).reset_index(drop=True)
               for name in list(done)}
    rows = pd.DataFrame(columns, index=pd.RangeIndex(count - len(bad_rows)), copy=False)
    rows["source_file"] = path.name
    rows["source_row"] = numbers if kept is None else numbers[kept]
    return rows, set_aside, count


def parse(paths: list[Path], settings: Settings, mapping: dict | None) -> Parsed:
    """Read CSV and Excel files with a mapping into the data contract's columns."""
    checked = read_mapping(mapping)
    notes_of = {"examples": {}, "ambiguous": 0, "naive": 0}
    rows, set_aside, read = [], [], 0
    con = connect()
    try:
        con.execute("set preserve_insertion_order = true")  # rows in the file's order
        con.execute("set TimeZone = 'UTC'")
        for path in paths:
            file_rows, file_set_aside, count = _parse_file(Path(path), checked, notes_of, con)
            rows.append(file_rows)
            if len(file_set_aside):
                set_aside.append(file_set_aside)
            read += count
    finally:
        con.close()
    columns = [*checked.fields, "source_file", "source_row"]
    frame = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=columns)
    notes = []
    if notes_of["ambiguous"]:
        notes.append(f"{notes_of['ambiguous']:,} time(s) fell in the hour repeated when the clocks went "
                     f"back in {checked.timezone}: read as the earlier (summer time)")
    if notes_of["naive"] and checked.timezone is None:
        notes.append("times without a zone were read as UTC; if they are local times, give the zone in "
                     f"the mapping, like timezone = \"{settings.timezone}\"")
    notes += [f"set aside: {reason}: e.g. {example}" for reason, example in notes_of["examples"].items()]
    return Parsed(checked.source, frame,
                  pd.concat(set_aside, ignore_index=True) if set_aside else empty_set_aside(),
                  records_read=read, notes=notes)


# the source, declared once: the command line, the upload checks and the Import page read it here
SOURCE = Source(
    name=DEFAULT_SOURCE,
    label="Any CSV or Excel file, with a mapping file",
    parse=parse,
    extensions=("csv", "xlsx"),
    hint="One or more CSV or Excel files with a row per contact, and the mapping file (TOML) that says which "
         "column is which.",
    mapping=MappingFile(
        required=True,
        purpose="Which column of your file is which column of the data contract, and how to convert it.",
        example="""\
source = "my-pbx"              # folder under DATA/interactions/ (default "csv")
timezone = "Europe/Berlin"     # times written without a zone are local times here (default UTC)

[columns]
interaction_id = "Call ID"
channel = "Type"
arrived_at = { column = "Start", format = "%d.%m.%Y %H:%M:%S" }
ended_at = { column = "End", format = "%d.%m.%Y %H:%M:%S" }
queue = "Queue"
talk_seconds = { column = "Talk time", unit = "minutes" }

[values.channel]               # file value = contract channel
"Inbound call" = "phone"
"Web chat" = "chat"
"""),
    doc=__doc__,
)
