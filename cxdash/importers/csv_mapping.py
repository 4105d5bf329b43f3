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
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import json
import math
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from cxdash import calendar
from cxdash.contract import CHANNELS, INTERACTION_COLUMNS
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
CLOCKS = {"hh:mm:ss": re.compile(r"(\d+):([0-5]?\d):([0-5]?\d(?:[.,]\d+)?)"),
          "mm:ss": re.compile(r"(\d+):([0-5]?\d(?:[.,]\d+)?)")}
TRUE_WORDS = ("true", "yes", "y", "1")
FALSE_WORDS = ("false", "no", "n", "0")
# a time of day followed by a zone: Z, UTC or an offset (a date alone is never zoned)
ZONED = re.compile(r"\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:Z|UTC|[+-]\d{2}(?::?\d{2})?)$", re.I)
DTYPES = {"text": object, "time": "datetime64[us, UTC]", "flag": "boolean", "duration": "float64",
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

@dataclass
class Table:
    """A file's rows as read: the header, the non-empty data rows (as many cells as the header), their
    row numbers as a spreadsheet shows them, and the rows whose shape is wrong."""

    header: list[str]
    rows: list[list]
    numbers: list[int]
    shape_problems: list[str]


def _header_name(value: object) -> str:
    return "" if value is None else _text(value).replace("\ufeff", "").strip()


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or (
        isinstance(value, float) and math.isnan(value))


def _is_excel(path: Path) -> bool:
    if path.suffix.lower() in EXCEL_SUFFIXES:
        return True
    with open(path, "rb") as handle:
        return handle.read(4) == b"PK\x03\x04"  # a zip: an .xlsx under another name


def _read_excel(path: Path, mapping: Mapping) -> tuple[list, int]:
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
        return [list(row) for row in sheet.iter_rows(values_only=True)], ""
    finally:
        book.close()


def _read_csv(path: Path, mapping: Mapping) -> tuple[list, str]:
    try:
        text = path.read_bytes().decode(mapping.encoding)
    except UnicodeDecodeError as error:
        shown = mapping.encoding.removesuffix("-sig")
        raise ValueError(f"{path.name}: not {shown} text (byte {error.start}); give the file's encoding in "
                         "the mapping, like encoding = \"cp1252\"") from None
    text = text.removeprefix("\ufeff")
    delimiter = mapping.delimiter
    if delimiter is None:
        lines = text.split("\n", mapping.header_row)[:mapping.header_row]
        header = lines[mapping.header_row - 1] if len(lines) >= mapping.header_row else ""
        delimiter = max(DELIMITERS, key=header.count) if any(d in header for d in DELIMITERS) else ","
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)), delimiter
    except csv.Error as error:
        raise ValueError(f"{path.name}: not a readable CSV file ({error})") from None


def read_table(path: Path, mapping: Mapping) -> Table:
    """The header and data rows of a CSV or Excel file (empty rows skipped, their numbers kept)."""
    if path.suffix.lower() in OLD_SUFFIXES:
        raise ValueError(f"{path.name}: {path.suffix} files are not read; save it as .xlsx or .csv")
    excel = _is_excel(path)
    records, delimiter = _read_excel(path, mapping) if excel else _read_csv(path, mapping)
    if len(records) < mapping.header_row:
        raise ValueError(f"{path.name}: no header row (row {mapping.header_row}): the file has "
                         f"{len(records)} row(s)")
    header = [_header_name(v) for v in records[mapping.header_row - 1]]
    while header and not header[-1]:
        header.pop()
    width = len(header)
    table = Table(header, [], [], [])
    for number, record in enumerate(records[mapping.header_row:], start=mapping.header_row + 1):
        if all(_blank(v) for v in record):
            continue
        problem = ""
        if len(record) > width:
            if not excel and not all(_blank(v) for v in record[width:]):
                problem = (f"{len(record)} fields where the header has {width} (a {delimiter!r} inside "
                           "an unquoted value?)")
            record = record[:width]
        elif len(record) < width:
            record = [*record, *([None] * (width - len(record)))]
        table.rows.append(record)
        table.numbers.append(number)
        table.shape_problems.append(problem)
    return table


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


def _number(value: object, decimal: str) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.replace(",", ".") if decimal == "," else value)
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


class Converter:
    """Converts one file column of one file: values in the contract's type and, per row, the reason a
    value could not be converted ('' when it could). `examples` keeps the first value of each reason."""

    def __init__(self, mapping: Mapping, file: str, numbers: list[int]):
        self.mapping = mapping
        self.file = file
        self.numbers = numbers
        self.examples: dict[str, str] = {}
        self.ambiguous = 0
        self.naive = 0

    def column(self, current: Field, raw: list, done: dict[str, pd.Series]) -> tuple[pd.Series, list[str]]:
        index = pd.RangeIndex(len(raw))
        cells = [(v.strip() or None) if type(v) is str else (None if _blank(v) else v) for v in raw]
        replaced = {}
        if current.values:
            for i, value in enumerate(cells):
                if value is not None:
                    key = _key(value)
                    if key in current.values:
                        replaced[i] = current.values[key]
                        cells[i] = None
        if current.after:
            seconds, problems = self._each(current, cells, self._duration)
            base = done[current.after]
            values = base + pd.to_timedelta(pd.Series(seconds, index=index, dtype="float64"), unit="s")
        elif current.kind == "time":
            values, problems = self._times(current, cells, index)
        elif current.kind == "text" and current.name != "channel":  # nothing to check: the fast way
            values = pd.Series([v if v is None or type(v) is str else _text(v) for v in cells], index=index,
                               dtype=object)
            problems = [""] * len(cells)
        else:
            convert = {"text": self._label, "flag": self._flag, "duration": self._duration,
                       "whole": self._whole}[current.kind]
            converted, problems = self._each(current, cells, convert)
            values = pd.Series(converted, index=index, dtype=object)
        values = values.astype(DTYPES[current.kind])
        if replaced:  # [values] replacements are contract values already
            hit = np.zeros(len(raw), dtype=bool)
            hit[list(replaced)] = True
            values = values.mask(hit, pd.Series([replaced.get(i) for i in range(len(raw))], dtype=object)
                                 .astype(DTYPES[current.kind]))
        return values, problems

    def _each(self, current: Field, cells: list, convert) -> tuple[list, list[str]]:
        values, problems = [], []
        for row, value in enumerate(cells):
            if value is None:
                values.append(None)
                problems.append("")
                continue
            converted, problem = convert(current, value)
            values.append(converted)
            problems.append(self._problem(current, problem, value, row) if problem else "")
        return values, problems

    def _problem(self, current: Field, problem: str, value: object, row: int) -> str:
        reason = f"column {current.column}: {problem}"
        if reason not in self.examples and repr(_text(value)) not in problem:
            self.examples[reason] = f"{_text(value)!r} ({self.file} row {self.numbers[row]})"
        return reason

    # each returns (value, problem): problem is '' when the value converted; a reason names the
    # value itself only where values are few (channels, flags), so that reasons can be counted

    def _label(self, current: Field, value: object) -> tuple[object, str]:
        text = _text(value)
        if current.name != "channel":
            return text, ""
        if text.lower() in CHANNELS:
            return text.lower(), ""
        return None, (f"{text!r} is not a channel ({_names(CHANNELS)}): map it under [values.channel]")

    def _flag(self, current: Field, value: object) -> tuple[object, str]:
        if isinstance(value, bool):
            return value, ""
        key = _key(value)
        true, false = current.true, current.false
        if true is None and false is None:
            true, false = frozenset(TRUE_WORDS), frozenset(FALSE_WORDS)
        if true is not None and key in true:
            return True, ""
        if false is not None and key in false:
            return False, ""
        if true is not None and false is None:
            return False, ""
        if false is not None and true is None:
            return True, ""
        return None, f"{_text(value)!r} is neither a true value nor a false value"

    def _duration(self, current: Field, value: object) -> tuple[object, str]:
        unit = current.unit
        if isinstance(value, timedelta):
            return value.total_seconds(), ""
        if isinstance(value, time):
            return value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6, ""
        if UNITS[unit] is None:
            match = CLOCKS[unit].fullmatch(value) if isinstance(value, str) else None
            if match is None:
                return None, f"not a duration like {unit}"
            parts = [float(part.replace(",", ".")) for part in match.groups()]
            return sum(part * 60 ** power for power, part in enumerate(reversed(parts))), ""
        number = _number(value, self.mapping.decimal)
        if number is None:
            hint = " (a decimal comma? give decimal = \",\")" if (
                isinstance(value, str) and "," in value and self.mapping.decimal == ".") else ""
            return None, f"not a number of {unit}{hint}"
        return number * UNITS[unit], ""

    def _whole(self, current: Field, value: object) -> tuple[object, str]:
        number = _number(value, self.mapping.decimal)
        if number is None:
            return None, "not a number"
        low, high = RANGES[current.name]
        if current.scale is not None:
            bottom, top = current.scale
            if not bottom <= number <= top:
                return None, f"outside the scale {bottom:g}-{top:g}"
            return math.floor(low + (number - bottom) * (high - low) / (top - bottom) + 0.5), ""
        if number != round(number):
            return None, "not a whole number"
        if not low <= number <= high:
            return None, (f"outside {current.name}'s range {low:g}-{high:g} (another scale? give "
                          "scale = [lowest, highest])")
        return number, ""

    def _times(self, current: Field, cells: list, index: pd.RangeIndex) -> tuple[pd.Series, list[str]]:
        """Texts parsed with the format (or as ISO 8601) and Excel date cells; local times made UTC."""
        texts = {i: v for i, v in enumerate(cells) if isinstance(v, str)}
        natives = {i: v for i, v in enumerate(cells) if isinstance(v, datetime | date)}
        aware_parts: list[pd.Series] = []
        naive_parts: list[pd.Series] = []
        if texts:
            text = pd.Series(texts, dtype=object)
            fmt = current.format
            if fmt is not None and ("%z" in fmt or "%Z" in fmt):
                aware_parts.append(pd.to_datetime(text, format=fmt, utc=True, errors="coerce"))
            elif fmt is not None:
                naive_parts.append(pd.to_datetime(text, format=fmt, errors="coerce"))
            else:
                zoned = text.str.contains(ZONED)
                aware_parts.append(pd.to_datetime(text[zoned].str.replace(r"\s*UTC$", "Z", regex=True,
                                                                          flags=re.I),
                                                  format="ISO8601", utc=True, errors="coerce"))
                naive_parts.append(pd.to_datetime(text[~zoned], format="ISO8601", errors="coerce"))
        if natives:
            zoned = {i: v for i, v in natives.items() if isinstance(v, datetime) and v.tzinfo is not None}
            plain = {i: v for i, v in natives.items() if i not in zoned}
            if zoned:
                aware_parts.append(pd.to_datetime(pd.Series(zoned, dtype=object), utc=True, errors="coerce"))
            if plain:
                naive_parts.append(pd.to_datetime(pd.Series(plain, dtype=object), errors="coerce"))
        nonexistent = pd.Series(False, index=index)
        for part in naive_parts:
            localised, skipped = self._localise(part)
            aware_parts.append(localised)
            nonexistent.loc[skipped[skipped].index] = True
        pieces = [part.astype("datetime64[us, UTC]") for part in aware_parts if len(part)]
        values = (pd.concat(pieces).reindex(index) if pieces
                  else pd.Series(pd.NaT, index=index, dtype="datetime64[us, UTC]"))
        like = (f"not a date like {current.format}" if current.format
                else "not a date and time in ISO 8601 (like 2026-03-29 14:05:00): give its format")
        problems = [""] * len(cells)
        skipped = nonexistent.to_numpy()
        for row in np.flatnonzero(values.isna().to_numpy()):
            if cells[row] is not None:
                problem = calendar.SKIPPED_REASON if skipped[row] else like
                problems[row] = self._problem(current, problem, cells[row], row)
        return values, problems

    def _localise(self, naive: pd.Series) -> tuple[pd.Series, pd.Series]:
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
        return first, pd.Series(skipped, index=naive.index)


def _constant(current: Field, length: int) -> pd.Series:
    return pd.Series([current.constant] * length, dtype=object).astype(DTYPES[current.kind])


def _record(header: list[str], row: list) -> str:
    named = {name or f"column {i + 1}": value
             for i, (name, value) in enumerate(zip(header, row, strict=True))}
    return json.dumps(named, default=str, ensure_ascii=False)[:RECORD_TEXT_LIMIT]


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


def _parse_file(path: Path, mapping: Mapping, converter_notes: dict
                ) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    table = read_table(path, mapping)
    positions = _check_columns(path, table.header, mapping)
    count = len(table.rows)
    converter = Converter(mapping, path.name, table.numbers)
    problems = list(table.shape_problems)
    done: dict[str, pd.Series] = {}
    for name, current in mapping.fields.items():
        if current.column is None:
            done[name] = _constant(current, count)
            continue
        raw = [row[positions[name]] for row in table.rows]
        done[name], issues = converter.column(current, raw, done)
        problems = [first or issue for first, issue in zip(problems, issues, strict=True)]
    answered = mapping.fields.get("answered_at")
    if answered is not None and answered.after and "abandoned" in done:
        done["answered_at"] = done["answered_at"].mask(done["abandoned"].fillna(False).astype(bool))

    rows = pd.DataFrame(done, index=pd.RangeIndex(count))
    rows["source_file"] = path.name
    rows["source_row"] = pd.Series(table.numbers, dtype="int64")
    bad = np.array([bool(p) for p in problems], dtype=bool)
    set_aside = pd.DataFrame({
        "source_file": path.name,
        "source_row": pd.Series([n for n, b in zip(table.numbers, bad, strict=True) if b], dtype="int64"),
        "reason": pd.Series([p for p in problems if p], dtype="str"),
        "record": pd.Series([_record(table.header, row) for row, b in zip(table.rows, bad, strict=True) if b],
                            dtype="str")}, columns=SET_ASIDE_COLUMNS)
    for reason, example in converter.examples.items():
        converter_notes["examples"].setdefault(reason, example)
    converter_notes["ambiguous"] += converter.ambiguous
    converter_notes["naive"] += converter.naive
    return rows[~bad].reset_index(drop=True), set_aside, count


def parse(paths: list[Path], settings: Settings, mapping: dict | None) -> Parsed:
    """Read CSV and Excel files with a mapping into the data contract's columns."""
    checked = read_mapping(mapping)
    notes_of = {"examples": {}, "ambiguous": 0, "naive": 0}
    rows, set_aside, read = [], [], 0
    for path in paths:
        file_rows, file_set_aside, count = _parse_file(Path(path), checked, notes_of)
        rows.append(file_rows)
        if len(file_set_aside):
            set_aside.append(file_set_aside)
        read += count
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
