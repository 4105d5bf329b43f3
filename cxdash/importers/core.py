"""What every importer shares: the parsed form of an export, the contract checks, and the merge into
DATA/interactions/<source>/<YYYY-MM>.parquet that makes imports idempotent and incremental.

An importer turns a platform's export into `Parsed`: one row per customer contact in the data
contract's columns, plus `source_updated_at` (the record's version: a changed record replaces an
older one), and the records it could not use, each with its reason. `store` then

- keeps the newest version of each interaction_id within the export (at-least-once delivery),
- sets aside rows that break the contract (required values, ranges), with the column and reason: the
  checks validate runs on the data folder's files (cxdash.ingest.judge), run by DuckDB over these rows,
- merges the rest into one file per local month: a new id is added, a newer version of a known id
  replaces it (wherever it was), the same or an older version changes nothing, and a month file is
  written only when its rows changed, so importing the same export twice writes nothing,
- keeps the set-aside records in DATA/imports/<source>/ and a line per import in DATA/imports/log.jsonl.

A record that says a contact was deleted at the source (a Zendesk ticket deleted later) removes the
stored contact with that id unless the stored version is newer, and drops this export's older rows of it.

Every record read is accounted for: read = new + updated + unchanged + superseded + merged + set aside
+ deleted.

One import at a time merges into a data folder (the CLI's and the Import page's alike): `store` reads
the month files and writes them under DATA/imports/.lock, and a second import waits for the first,
saying so. Each file is written under a temporary name of its own, then put in place with os.replace,
so a reader (prepare, a page, a preview) sees a month file before an import or after it, never half.
"""

from __future__ import annotations

import ctypes
import fcntl
import json
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cxdash import calendar
from cxdash.contract import INTERACTION_COLUMNS, TABLES, contract_schema
from cxdash.db import MEMORY_LIMIT, connect, load_sql
from cxdash.ingest import file_columns, judge, temporary_beside
from cxdash.settings import Settings, valid_timezone

IMPORTS_DIR = "imports"
VERSION_COLUMN = "source_updated_at"
SET_ASIDE_COLUMNS = ["source_file", "source_row", "reason", "record"]


def import_schema() -> pa.Schema:
    """The columns of an imported month file: the contract's, then the record's version."""
    return contract_schema(INTERACTION_COLUMNS).append(pa.field(VERSION_COLUMN, pa.timestamp("us", tz="UTC")))


DELETION_COLUMNS = ["interaction_id", VERSION_COLUMN, "source_file", "source_row"]


def empty_deletions() -> pd.DataFrame:
    return pd.DataFrame({"interaction_id": pd.Series(dtype="object"),
                         VERSION_COLUMN: pd.Series(dtype="datetime64[us, UTC]"),
                         "source_file": pd.Series(dtype="object"), "source_row": pd.Series(dtype="int64")})


def empty_set_aside() -> pd.DataFrame:
    return pd.DataFrame({"source_file": pd.Series(dtype="str"), "source_row": pd.Series(dtype="int64"),
                         "reason": pd.Series(dtype="str"), "record": pd.Series(dtype="str")})


@dataclass
class Parsed:
    """An export read by an importer.

    contacts: one row per customer contact, with any of the contract's columns (absent ones are null)
        and source_updated_at; timestamps tz-aware (UTC or any zone). A pandas frame, or an Arrow
        table as DuckDB hands it over: store reads either, so an importer that reads with DuckDB
        never makes a million rows pandas (a second copy of them, and seconds) only for store to
        make them Arrow again. `rows` is the same as pandas, for reading.
    set_aside: source_file, source_row (1-based line or record number), reason, record (raw text).
    records_read: records in the files (lines, array items, rows), before any dedupe or chaining.
    merged: records folded into another row (transfer legs chained into one customer contact).
    deletions: records saying a contact was deleted at the source: interaction_id, source_updated_at
        (when it was deleted), source_file, source_row; one row per such record read.
    """

    source: str
    contacts: pd.DataFrame | pa.Table
    set_aside: pd.DataFrame = field(default_factory=empty_set_aside)
    records_read: int = 0
    merged: int = 0
    superseded: int = 0  # older versions the importer already dropped (e.g. records of a chain)
    notes: list[str] = field(default_factory=list)
    # columns this export does not carry (e.g. Zendesk tickets imported without their metrics): for a
    # record already stored, an empty value here keeps the stored one instead of erasing it
    not_carried: tuple[str, ...] = ()
    deletions: pd.DataFrame = field(default_factory=empty_deletions)

    @cached_property
    def rows(self) -> pd.DataFrame:
        """The contacts as a pandas frame (converted once, when asked; a dictionary-encoded column
        as its values, text rather than categories)."""
        if isinstance(self.contacts, pd.DataFrame):
            return self.contacts
        return pa.table([_values(column) for column in self.contacts.columns],
                        names=self.contacts.column_names).to_pandas()


@dataclass
class ImportSummary:
    """What an import did (or, for a preview, would do)."""

    source: str
    files: list[str]
    records_read: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    superseded: int = 0  # older versions of a record within the export
    merged: int = 0  # records folded into another (transfer legs, a call's further log lines)
    set_aside: int = 0
    deleted: int = 0  # records saying a contact was deleted at the source
    removed: int = 0  # stored contacts those records removed
    reasons: dict[str, int] = field(default_factory=dict)
    months_written: list[str] = field(default_factory=list)
    set_aside_file: str | None = None
    notes: list[str] = field(default_factory=list)
    preview: bool = False
    set_aside_rows: pd.DataFrame | None = field(default=None, repr=False, compare=False)

    @property
    def balanced(self) -> bool:
        return self.records_read == (self.new + self.updated + self.unchanged + self.superseded
                                     + self.merged + self.set_aside + self.deleted)

    def lines(self) -> list[str]:
        verb = "would be" if self.preview else "were"
        lines = [f"{self.source}: {self.records_read:,} records read from {len(self.files)} file(s) = "
                 f"{self.new:,} new + {self.updated:,} updated + {self.unchanged:,} already imported + "
                 f"{self.superseded:,} older versions + {self.merged:,} folded into another record + "
                 f"{self.set_aside:,} set aside" + (f" + {self.deleted:,} deletions" if self.deleted else "")]
        if self.deleted:
            lines.append(f"  deleted at the source: {self.removed:,} stored contact(s) {verb} removed")
        for reason, count in sorted(self.reasons.items(), key=lambda item: -item[1]):
            lines.append(f"  set aside: {count:,} {reason}")
        if self.months_written:
            lines.append(f"  month files that {verb} written: {', '.join(self.months_written)}")
        elif not self.preview:
            lines.append("  nothing new: no file was written")
        if self.set_aside_file:
            lines.append(f"  the set-aside records are kept in {self.set_aside_file}")
        lines += [f"  note: {note}" for note in self.notes]
        return lines

    def to_dict(self) -> dict:
        return {**{k: v for k, v in asdict(self).items() if k != "set_aside_rows"}, "balanced": self.balanced}


@dataclass(frozen=True)
class MappingFile:
    """The mapping file (TOML) a source reads: whether it is required, what it is for, a short example."""

    required: bool
    purpose: str
    example: str


@dataclass(frozen=True)
class Source:
    """A source of exports, declared once, as SOURCE at the end of its importer's module, and listed in
    cxdash.importers.SOURCES: the command line's choices, the upload checks and the Import page read
    everything about it here."""

    name: str  # as the command line, the import log and DATA/interactions/<name>/ say it
    label: str  # what the Import page's picker shows
    parse: Callable[[list[Path], Settings, dict | None], Parsed] | None  # None: added as it is
    extensions: tuple[str, ...] | None  # the file types the uploader accepts; None = any file
    hint: str  # what to upload, in a few words
    mapping: MappingFile | None = None
    doc: str | None = None  # what the importer reads and how (its module's docstring)


# --- helpers the text importers share --------------------------------------------------------------

_OFFSET = r"\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[zZ]|[+-]\d{2}(?::?\d{2})?)$"


def mapping_zone(mapping: dict | None) -> str:
    """The zone naive times of an export are in: the mapping's `timezone`, else UTC."""
    name = str((mapping or {}).get("timezone") or "UTC")
    if not valid_timezone(name):  # one both zoneinfo and DuckDB know, as cxdash.toml's
        raise ValueError(f"mapping: timezone {name!r} is not a time zone name "
                         "(e.g. America/New_York)")
    return name


def parse_times(values: pd.Series, zone: str, reasons: pd.Series, label: str) -> pd.Series:
    """ISO 8601 text as UTC timestamps (NaT when absent or unusable). Text without an offset is local
    time in `zone`, read by the one daylight-saving rule (cxdash.calendar.localize): a time the clock
    repeats is the first; a record with a time the clock skips is given the reason
    "<label>: calendar.SKIPPED_REASON", one with text that is no timestamp "<label>: not a timestamp"
    (unless it has a reason already)."""
    text = values.astype("string").str.strip()
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us, UTC]")
    skipped = pd.Series(False, index=values.index)
    present = text.notna() & (text != "")
    aware = present & text.str.contains(_OFFSET, regex=True).fillna(False).astype(bool)
    if aware.any():
        out[aware] = pd.to_datetime(text[aware], utc=True, errors="coerce", format="ISO8601")
    naive = present & ~aware
    if naive.any():
        local = pd.to_datetime(text[naive], errors="coerce", format="ISO8601")
        instants, gap = calendar.localize(local, zone)
        out[naive] = instants.as_unit("us")
        skipped[naive] = gap
    flag(reasons, skipped, f"{label}: {calendar.SKIPPED_REASON}")
    flag(reasons, values.notna() & out.isna(), f"{label}: not a timestamp")
    return out


def flag(reasons: pd.Series, mask: pd.Series, reason: str) -> None:
    """Give rows matching `mask` that have no reason yet this one (the first problem of a row wins)."""
    reasons[mask.fillna(False).astype(bool) & (reasons == "")] = reason


# --- contract checks -------------------------------------------------------------------------------

ROW = "__row"  # the position of a row, beside its values, while DuckDB checks them


def _arrow_rows(rows: pd.DataFrame | pa.Table) -> tuple[pa.Table, dict[str, str]]:
    """The parsed rows as Arrow, for DuckDB: every contract column (absent ones null), the record's
    version, source_file, source_row and the row's position (ROW). Values keep the types the parser
    gave them (the contract's checks type them); only what Arrow or DuckDB cannot read as it is gets
    converted: a duration counts its seconds (named in the returned units where no duration belongs,
    for the checks to set aside), times become UTC instants, text stays text. An Arrow table's
    columns are taken as they are (no copy) where nothing needs converting. Returns the table and the
    duration columns' units."""
    arrays, names, durations = [], [], {}
    count = len(rows)
    for column in [*INTERACTION_COLUMNS, None, "source_file", "source_row"]:
        name = VERSION_COLUMN if column is None else column if isinstance(column, str) else column.name
        kind = "TIMESTAMPTZ" if column is None else "VARCHAR" if column == "source_file" else \
            "BIGINT" if column == "source_row" else column.sql_type
        present = name in (rows.column_names if isinstance(rows, pa.Table) else rows)
        if not present:
            if name == "source_row":
                arrays.append(pa.array(np.zeros(count, dtype=np.int64)))
            else:
                arrays.append(pa.nulls(count, _ARROW_TYPES.get(kind, pa.string())))
            names.append(name)
            continue
        array = _arrow_column(rows[name], name, kind, durations)
        if pa.types.is_null(array.type):
            array = array.cast(_ARROW_TYPES.get(kind, pa.string()))
        arrays.append(array)
        names.append(name)
    arrays.append(pa.array(np.arange(count, dtype=np.int64)))
    names.append(ROW)
    return pa.Table.from_arrays(arrays, names=names), durations


def _arrow_column(values: pd.Series | pa.ChunkedArray, name: str, kind: str,
                  durations: dict[str, str]) -> pa.Array | pa.ChunkedArray:
    """One column of the parsed rows as Arrow (see _arrow_rows)."""
    if isinstance(values, pa.ChunkedArray):
        if pa.types.is_duration(values.type):  # a duration counts seconds
            if not name.endswith("_seconds"):
                durations[name] = "s"
            # (unsafe: nanoseconds beyond the microsecond are dropped, as the pandas path drops them)
            micros = values.cast(pa.duration("us"), safe=False).cast(pa.int64())
            return pc.divide(micros.cast(pa.float64()), 1e6)
        if pa.types.is_timestamp(values.type) and kind == "TIMESTAMPTZ":  # a time without a zone is UTC
            return values.cast(pa.timestamp("us", tz="UTC"), safe=False)
        if pa.types.is_dictionary(values.type):
            return _values(values)
        if kind != "TIMESTAMPTZ" or pa.types.is_null(values.type):
            return values
        values = values.to_pandas()  # text or numbers for a time: read as pandas reads them, below
    if pd.api.types.is_timedelta64_dtype(values.dtype):
        # a duration counts seconds (read as a number it would count its unit: microseconds)
        values = values.dt.total_seconds()
        if not name.endswith("_seconds"):
            durations[name] = "s"
    elif kind == "TIMESTAMPTZ" and not isinstance(values.dtype, pd.DatetimeTZDtype):
        values = pd.to_datetime(values, utc=True, errors="coerce")
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_convert("UTC").astype("datetime64[us, UTC]")
    try:
        return pa.array(values, from_pandas=True)
    except (pa.ArrowException, TypeError, ValueError):  # mixed objects: as text, for the checks
        return pa.array(values.astype("string"), from_pandas=True)


def _values(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A dictionary-encoded column as its values; any other as it is."""
    return column.cast(column.type.value_type) if pa.types.is_dictionary(column.type) else column


_ARROW_TYPES = {"VARCHAR": pa.string(), "TIMESTAMPTZ": pa.timestamp("us", tz="UTC"), "DOUBLE": pa.float64(),
                "INTEGER": pa.int32(), "BOOLEAN": pa.bool_(), "BIGINT": pa.int64()}


def _check(con: duckdb.DuckDBPyConnection, rows: pd.DataFrame | pa.Table, settings: Settings) -> None:
    """Register the parsed rows as `imported` and run the contract's checks on them (the checks validate
    runs on a file of the data folder: required values, types, finite numbers, whole numbers, ranges,
    channels, the plausibility window of the settings, the rules across columns): staged_typed holds
    the rows typed as the contract says, staged_problems each row's problems (cxdash.ingest.judge)."""
    table, durations = _arrow_rows(rows)
    con.register("imported", table)
    names = ", ".join(_quote(column.name) for column in INTERACTION_COLUMNS)
    # a view, not a copy: the checks read the rows where they are
    con.execute(f"create temp view staged_raw as select {ROW} as source_row, "
                f"struct_pack({names}) as record from imported")
    present, _ = file_columns(con, TABLES["interactions"], durations)
    judge(con, TABLES["interactions"], present, settings, imported=True)


def contract_problems(rows: pd.DataFrame, settings: Settings) -> pd.Series:
    """The first contract problem of each row ('' when none), as "column X: problem": what store sets
    aside, so that what is imported passes validate."""
    problems = pd.Series("", index=rows.index, dtype="object")
    if rows.empty:
        return problems
    con = connect()
    try:
        con.execute("set TimeZone = 'UTC'")  # the plausibility window's dates are UTC days
        _check(con, rows.reset_index(drop=True), settings)
        first = con.execute(load_sql("import_problems")).fetch_df()
    finally:
        con.close()
    problems.iloc[first["source_row"].to_numpy()] = first["reason"].to_numpy(dtype=object)
    return problems


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


# --- the merge -------------------------------------------------------------------------------------

def source_dir(folder: Path, source: str) -> Path:
    return Path(folder) / "interactions" / source


def _month_files(folder: Path, source: str) -> dict[str, Path]:
    directory = source_dir(folder, source)
    return {path.stem: path for path in sorted(directory.glob("*.parquet"))} if directory.is_dir() else {}


PINNED_DIR = ".pinned"  # DATA/imports/.pinned/<process>-<token>/: a check's links to the month files


@contextmanager
def _pinned(folder: Path, files: dict[str, Path]) -> Iterator[dict[str, Path]]:
    """The month files as they are now, for a reader that holds no import lock (a check): a hard link
    to each, which an import's os.replace never touches. DuckDB opens a file more than once within a
    query, so a month file replaced while a query reads it would give parts of both ("Prefetch
    registered for bytes outside file", "Invalid data"). A file removed since it was listed is
    left out (its month was emptied). Where links cannot be made, the files themselves are read.
    The links go when the read is done, and the folder is left as it was found."""
    if not files:
        yield {}
        return
    parent = Path(folder) / IMPORTS_DIR / PINNED_DIR
    root = parent / f"{os.getpid()}-{secrets.token_hex(4)}"
    pinned: dict[str, Path] = {}
    try:
        root.mkdir(parents=True)
        for month, path in files.items():
            try:
                os.link(path, root / path.name)
            except FileNotFoundError:
                continue
            pinned[month] = root / path.name
    except OSError:  # no links here (a file system without them, a read-only folder)
        shutil.rmtree(root, ignore_errors=True)
        pinned = dict(files)
    try:
        yield pinned
    finally:
        shutil.rmtree(root, ignore_errors=True)
        with suppress(OSError):  # another check's links are still there
            parent.rmdir()


def _remove_stale_pins(folder: Path) -> None:
    """A check's links left by a process that was killed (only under the import lock)."""
    cutoff = time.time() - STALE_TEMPORARY_SECONDS
    directory = Path(folder) / IMPORTS_DIR / PINNED_DIR
    for path in directory.iterdir() if directory.is_dir() else []:
        try:
            if path.stat().st_mtime < cutoff:
                shutil.rmtree(path, ignore_errors=True)
        except OSError:
            continue


def _damaged(name: str, error: Exception) -> ValueError:
    """What to say of a month file (interactions/<source>/<month>.parquet) that cannot be read. The
    file is left as it is: it may hold all there is of that month, so what to do with it is for a
    person to decide."""
    return ValueError(
        f"{name}: a month file of this data folder cannot be read ({error}), so nothing was "
        "imported. It was damaged (by two imports at once in a cxdash older than this one, or by the "
        "disk); the dashboards skip it too (Data health names it). Move it out of the data folder, "
        "then import the exports of that month again, or put back a copy from a backup.")


def _stored_columns(path: Path, name: str) -> set[str]:
    try:
        return set(pq.read_schema(path).names)
    except (pa.ArrowException, OSError) as error:
        raise _damaged(name, error) from error


# --- one import at a time ----------------------------------------------------------------------------

LOCK_FILE = ".lock"  # DATA/imports/.lock
WAIT_SECONDS = 600.0  # how long an import waits for another one before giving up
STALE_TEMPORARY_SECONDS = 3600  # a temporary file this old was left by a process that was killed


class ImportBusy(ValueError):
    """Another import into the data folder still ran when this one's wait was over. A ValueError, as
    the other failures said in words: the CLI prints it, the Import page shows it."""


def _duration(seconds: float) -> str:
    return f"{seconds / 60:g} min" if seconds >= 120 else f"{seconds:g} s"


def _holder(handle) -> str:
    """Who holds the lock, as its holder wrote it ('' when it has not yet)."""
    handle.seek(0)
    text = handle.read().strip()
    return f" ({text})" if text else ""


@contextmanager
def import_lock(folder: Path, on_wait: Callable[[str], None] | None = None,
                wait_seconds: float = WAIT_SECONDS) -> Iterator[None]:
    """Hold DATA/imports/.lock: one import at a time reads and writes a data folder's month files,
    set-aside records and log (the CLI's and the Import page's alike). An flock, so it is released with
    the process that holds it, however that ends. When another import holds it, say so through
    `on_wait`, wait up to `wait_seconds` for it, then raise ImportBusy. Not re-entrant: whoever holds
    it must not call `store` (which takes it)."""
    path = Path(folder) / IMPORTS_DIR / LOCK_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+", encoding="utf-8") as handle:  # "a+": never empty what a holder wrote
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(handle)
            if on_wait is not None:
                on_wait(f"another import into this data folder is running{holder}; waiting for it to "
                        f"finish (at most {_duration(wait_seconds)})…")
            deadline = time.monotonic() + wait_seconds
            while True:  # polled rather than blocking, so the wait has an end
                time.sleep(min(0.1, max(deadline - time.monotonic(), 0)))
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise ImportBusy(
                            f"another import into this data folder{holder} is still running after "
                            f"{_duration(wait_seconds)}, so nothing was imported: try again when it has "
                            "finished") from None
        try:
            try:  # who holds it, for the message of an import that waits (a nicety: a full disk is fine)
                handle.truncate(0)
                handle.write(f"process {os.getpid()}, since {datetime.now(UTC):%H:%M:%S} UTC")
                handle.flush()
            except OSError:
                pass
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_atomically(target: Path, write: Callable[[Path], None]) -> None:
    """Write a file through a temporary name of its own beside it, then os.replace: a reader (prepare,
    a page) sees the old file or the new one, never half of one, and no two writers share a temporary
    file. The temporary file is removed whatever goes wrong."""
    temporary = temporary_beside(target)
    try:
        write(temporary)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def _remove_stale_temporaries(directory: Path) -> None:
    """Temporary files a killed import left behind (only under the lock: no import is writing)."""
    cutoff = time.time() - STALE_TEMPORARY_SECONDS
    for path in directory.glob(".*.tmp") if directory.is_dir() else []:
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            continue


_COLUMNS = ", ".join([*(column.name for column in INTERACTION_COLUMNS), VERSION_COLUMN])


def _sql_path(path: Path) -> str:
    """A path of the data folder's own (never a user value) inside a SQL string, for COPY."""
    return str(path).replace("'", "''")


# --- progress: a stage in words and the fraction done ------------------------------------------------

Progress = Callable[[str, float], None]  # a stage in a short sentence, and the fraction done (0 to 1)

# the share of a check's time the importer's reading takes (the rest: the contract checks and the
# comparison with what is stored); measured: about 0.7 of a check of 200,000 CTRs, more for slower parsers
PARSE_SHARE = 0.7


def steady(progress: Progress | None) -> Progress | None:
    """`progress` told only fractions within 0 to 1 that never go back: a stage that reports less than
    one before it keeps the fraction where it was. None stays None."""
    if progress is None:
        return None
    done = 0.0

    def tell(stage: str, fraction: float) -> None:
        nonlocal done
        done = min(max(done, float(fraction)), 1.0)  # NaN: max keeps what was done
        progress(stage, done)

    return tell


def part(progress: Progress | None, start: float, end: float) -> Progress | None:
    """A step's own fractions (0 to 1) as start to end of a longer one's."""
    if progress is None:
        return None

    def tell(stage: str, fraction: float) -> None:
        progress(stage, start + (end - start) * min(max(float(fraction), 0.0), 1.0))

    return tell


def store(folder: Path, parsed: Parsed, settings: Settings, files: list[str], preview: bool = False,
          now: datetime | None = None, on_wait: Callable[[str], None] | None = None,
          wait_seconds: float = WAIT_SECONDS,
          progress: Callable[[str, float], None] | None = None, release: bool = False) -> ImportSummary:
    """Check, deduplicate and merge an export into its month files (or, with preview, only count).
    DuckDB does the work: the rows go in once, as Arrow, and each month file comes out of it. The merge
    reads and writes under `import_lock` (a preview does not wait for it): `on_wait` hears when
    another import is running and this one waits for it. `progress` hears each stage, as a short
    sentence and the fraction done (0 to 1, never going back): checking, comparing, writing month i of
    m (by months written), done (1.0). With `release` (a caller that will not read the parsed rows
    again, and never retries with them), the parsed contacts are let go once DuckDB has checked them
    (`parsed` keeps none), so that their memory goes to the merge."""
    tell = progress or (lambda stage, fraction: None)
    summary = ImportSummary(parsed.source, [str(f) for f in files], records_read=parsed.records_read,
                            merged=parsed.merged, notes=list(parsed.notes), preview=preview)
    spill = tempfile.TemporaryDirectory(prefix="cxdash-store-")
    con = connect(temp_directory=Path(spill.name))
    try:
        # DuckDB's share of an import: beyond it, the checked and merged rows spill to disk rather than
        # sit beside the parsed ones (a million Genesys conversations: peak 1.2 GB without, 0.93-1.0 GB
        # with 300 MB, in about the same time)
        con.execute(f"set memory_limit = '{min(STORE_MEMORY_MB, int(MEMORY_LIMIT.removesuffix('MiB')))}MiB'")
        con.execute("set TimeZone = 'UTC'")  # the plausibility window's dates are UTC days
        _return_freed_memory()  # what the parse let go of, for DuckDB to use
        count = len(parsed.contacts)
        tell(f"Checking {count:,} record{'' if count == 1 else 's'} against the data contract", 0.0)
        _check(con, parsed.contacts, settings)
        problems = con.execute(load_sql("import_problems")).fetch_df()
        set_aside = [frame for frame in (parsed.set_aside, pd.DataFrame({
            "source_file": problems["source_file"].astype(str).to_numpy(dtype=object),
            "source_row": problems["line"].to_numpy(dtype="int64"),
            "reason": problems["reason"].to_numpy(dtype=object),
            "record": problems["record"].to_numpy(dtype=object)})) if len(frame)]
        # the rows that pass, each id's newest: their numbers, and a view of them (typed rows, not copied)
        con.execute("create temp table newest_rows as " + load_sql("import_newest"))
        con.execute("create temp view checked as " + load_sql("import_checked"))
        # the other checks' tables and the parsed rows are not needed any more: their memory goes to
        # the merge
        con.execute("drop view staged_raw; drop table staged_problems; "
                    "drop table if exists staged_column_problems")
        con.unregister("imported")
        if release:
            parsed.contacts = _none_of(parsed.contacts)
            parsed.__dict__.pop("rows", None)  # the cached pandas form, if any
            _return_freed_memory()  # the parsed rows' memory, for the merge and the month files
        summary.superseded = count - len(problems) - _count(con, "newest_rows") + parsed.superseded
        summary.deleted = len(parsed.deletions)
        deletions = _latest_deletions(parsed.deletions)
        con.register("deleted", pa.table({
            "interaction_id": pa.array(deletions.index.to_numpy(dtype=object), pa.string()),
            "deleted_at": pa.array(deletions.reset_index(drop=True), from_pandas=True)
            .cast(pa.timestamp("us", tz="UTC"))}))
        # a row of this export that a deletion read with it does not postdate is gone too
        kept = _count(con, "newest_rows")
        con.execute("delete from newest_rows using staged_typed, deleted "
                    "where newest_rows.source_row = staged_typed.source_row "
                    "and staged_typed.interaction_id = deleted.interaction_id "
                    "and not coalesce(newest_rows.source_updated_at > deleted.deleted_at, false)").fetchall()
        summary.superseded += kept - _count(con, "newest_rows")

        set_aside_frame = pd.concat(set_aside, ignore_index=True) if set_aside else empty_set_aside()
        summary.set_aside = len(set_aside_frame)
        # counted by pandas (in the order they first appear): a Counter walks 160,000 reasons one by one
        summary.reasons = {str(reason): int(count) for reason, count
                           in set_aside_frame["reason"].value_counts(sort=False, dropna=False).items()}
        summary.set_aside_rows = set_aside_frame
        if preview:
            tell("Comparing with what is stored", 0.6)
            # a check holds no lock: it reads the month files as they are when it starts
            with _pinned(folder, _month_files(folder, parsed.source)) as files:
                _merge(con, files, parsed, settings, summary)
            tell("Done", 1.0)
            return summary

        # the month files are read inside the lock: a merge of what another import is about to replace
        # would write over that import's rows
        with import_lock(folder, on_wait, wait_seconds):
            _remove_stale_temporaries(source_dir(folder, parsed.source))
            _remove_stale_pins(folder)
            tell("Comparing with what is stored", 0.3)
            written = _merge(con, _month_files(folder, parsed.source), parsed, settings, summary)
            _write_months(source_dir(folder, parsed.source), _month_tables(con, written),
                          len(written.counts), tell)

            moment = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%f")  # two imports a second apart
            if len(set_aside_frame):
                path = Path(folder) / IMPORTS_DIR / parsed.source / f"{moment}-set-aside.parquet"
                path.parent.mkdir(parents=True, exist_ok=True)
                _write_atomically(path, lambda temporary: set_aside_frame.to_parquet(temporary, index=False))
                summary.set_aside_file = str(path.relative_to(folder))
            log_import(folder, summary, moment)
        tell("Done", 1.0)
    finally:
        con.close()
        spill.cleanup()
    return summary


STORE_MEMORY_MB = 300  # DuckDB's memory while an import is checked and merged (it spills beyond)
MONTH_BATCH_ROWS = 262_144  # rows of a month file held at once while it is written (a row group each)


def _return_freed_memory() -> None:
    """Give the memory a parse let go of back to the system. pandas and NumPy (the C library's
    malloc), Arrow (mimalloc) and DuckDB (jemalloc) each keep what they freed for their own next use,
    so a parse's freed buffers would sit beside the memory the checks and the merge take: returned,
    a million CSV rows peak at about 0.93 GB rather than anywhere up to 1.07 GB."""
    pa.default_memory_pool().release_unused()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: its allocator does as it does
        pass


def _none_of(rows: pd.DataFrame | pa.Table) -> pd.DataFrame | pa.Table:
    """No rows, in the columns of these (sharing none of their memory)."""
    return rows.schema.empty_table() if isinstance(rows, pa.Table) else rows.iloc[:0].copy()


def _month_tables(con: duckdb.DuckDBPyConnection, written: Written) -> Iterator[tuple[str, Iterator | None]]:
    """The new content of each changed month file (None: no rows left, remove the file), in time order
    within each month (a day's scan skips the rest), as Arrow tables in the month files' schema of at
    most MONTH_BATCH_ROWS rows each, streamed: an import holds one batch of its rows in Python, not all
    of them. One query a month, so DuckDB sorts one month's rows at a time, not the whole import's
    (a month's stored file is the only one it reads: the file name is the month). Each month's parts
    must be read before the next month's."""
    schema = import_schema()
    query = (f"select {_COLUMNS} from ({written.query}) where month = $month "
             "order by arrived_at, interaction_id")

    def parts(month: str) -> Iterator[pa.Table]:
        reader = con.sql(query, params={**written.params, "month": month}).to_arrow_reader(MONTH_BATCH_ROWS)
        for batch in reader:
            yield pa.Table.from_batches([batch]).cast(schema)

    for month in sorted(written.counts):
        yield month, parts(month) if written.counts[month] else None


def _write_months(directory: Path, months: Iterator[tuple[str, Iterator[pa.Table] | None]], count: int,
                  tell: Progress) -> None:
    """Each changed month file (None: remove it), through a temporary name beside it and os.replace (see
    _write_atomically). One thread compresses and writes the parts, a row group each, in order, while
    DuckDB hands over the next part, the next month's included (both let go of Python while they
    work): the next month is sorted while the last one is written. At most two parts are held: the
    one being written and the one handed over. A part that cannot be written stops the writing; its
    month file is left as it was and no temporary file stays."""
    opened: list[_MonthFile] = []
    handed = []  # everything handed to the writer, in order
    with ThreadPoolExecutor(max_workers=1) as pool:
        writing = None  # the part being written
        try:
            for number, (month, parts) in enumerate(months, start=1):
                tell(f"Writing month {number} of {count} ({month})", 0.5 + 0.5 * (number - 1) / count)
                target = directory / f"{month}.parquet"
                if parts is None:
                    handed.append(pool.submit(target.unlink, missing_ok=True))
                    continue
                directory.mkdir(parents=True, exist_ok=True)
                file = _MonthFile(target)
                opened.append(file)
                for part in parts:
                    if writing is not None:
                        writing.result()  # a failure raises here
                    writing = pool.submit(file.write, part)
                    handed.append(writing)
                handed.append(pool.submit(file.finish))  # holds no rows: not waited for
            for done in handed:
                done.result()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)  # after a failure, nothing more is written
            for file in opened:
                file.discard()  # a file finished has nothing left to discard


class _MonthFile:
    """A month file written part by part on the writer's thread, under a temporary name of its own
    beside it until it is finished (os.replace: a reader sees the old file or the new one)."""

    def __init__(self, target: Path) -> None:
        self.target = target
        self.temporary = temporary_beside(target)
        self.writer: pq.ParquetWriter | None = None
        self.failed = False

    def write(self, part: pa.Table) -> None:
        if self.failed:
            return
        try:
            self._open().write_table(part)
        except BaseException:
            self.failed = True
            self.discard()
            raise

    def finish(self) -> None:
        if self.failed:
            return
        try:
            self._open().close()
            os.replace(self.temporary, self.target)
        finally:
            self.writer = None
            self.temporary.unlink(missing_ok=True)

    def _open(self) -> pq.ParquetWriter:
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.temporary, import_schema(), compression="zstd")
        return self.writer

    def discard(self) -> None:
        if self.writer is not None:
            with suppress(Exception):
                self.writer.close()
            self.writer = None
        self.temporary.unlink(missing_ok=True)


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return con.execute(f"select count(*) from {table}").fetchall()[0][0]


def _latest_deletions(deletions: pd.DataFrame) -> pd.Series:
    """When each deleted id was deleted (the latest deletion record of it; NaT: unknown, which no
    version postdates), by id."""
    if not len(deletions):
        return pd.Series(dtype="datetime64[us, UTC]")
    when = pd.to_datetime(deletions[VERSION_COLUMN], utc=True, errors="coerce").astype("datetime64[us, UTC]")
    frame = pd.DataFrame({"id": deletions["interaction_id"].astype(str).to_numpy(), "when": when.to_numpy()})
    unknown = frame.loc[frame["when"].isna(), "id"].unique()
    latest = frame.dropna(subset=["when"]).groupby("id")["when"].max()
    return pd.concat([latest[~latest.index.isin(unknown)],
                      pd.Series(pd.NaT, index=pd.Index(unknown, name="id"), dtype="datetime64[us, UTC]")])


@dataclass
class Written:
    """The new content of the month files an import changes: a query of their rows (month and the
    month files' columns), its parameters, and each month's row count (0: remove the file)."""

    query: str = ""
    params: dict = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


def _merge(con: duckdb.DuckDBPyConnection, files: dict[str, Path], parsed: Parsed, settings: Settings,
           summary: ImportSummary) -> Written:
    """Meet the checked rows (the view checked) with the stored month files of the source: count
    new, updated and unchanged rows and the stored contacts the deletions (temp table deleted) remove
    into the summary. `files`: the source's month files, by month (a check's links to them, see
    _pinned). Returns the new content of every month file that changes."""
    for month, path in files.items():  # a damaged file is named before anything is merged
        _stored_columns(path, f"interactions/{parsed.source}/{month}.parquet")
    paths = [str(path) for path in files.values()]
    month = r"regexp_extract(filename, '([^/]+)\.parquet$', 1)"
    stored = (f"(select * exclude (filename), {month} as month from read_parquet($paths, filename = true, "
              "union_by_name = true))") if paths else \
        f"(select {_COLUMNS}, null::varchar as month from checked where false)"
    params = {"paths": paths} if paths else {}
    try:
        # every stored id with its version and month file; those deleted at the source are removed
        con.execute(f"create or replace temp table stored_keys as select interaction_id, "
                    f"{VERSION_COLUMN}, month from {stored}", params)
        removed = con.execute(
            "select month, count(*) from stored_keys join deleted using (interaction_id) "
            f"where not coalesce(stored_keys.{VERSION_COLUMN} > deleted.deleted_at, false) group by month"
        ).fetchall()
        summary.removed = sum(count for _, count in removed)
        con.execute("create or replace temp table gone as select interaction_id from stored_keys "
                    "join deleted using (interaction_id) "
                    f"where not coalesce(stored_keys.{VERSION_COLUMN} > deleted.deleted_at, false)")
        # the stored rows of the ids this export brings again, whole: their values decide an update
        con.execute(f"create or replace temp table stored_rows as select * from {stored} "
                    "where interaction_id in (select interaction_id from checked) "
                    "and interaction_id not in (select interaction_id from gone)", params)
    except duckdb.Error as error:
        said = str(error)  # the files by their names in the data folder, not where they are
        for month, path in files.items():
            said = said.replace(str(path), f"interactions/{parsed.source}/{month}.parquet")
        raise ValueError(f"interactions/{parsed.source}: its month files cannot be read ({said}), so "
                         "nothing was imported. Data health names a damaged file; move it out of the data "
                         "folder, then import the exports of that month again.") from None
    con.execute(_incoming_sql(parsed.not_carried), {"timezone": settings.timezone})
    counts = dict(con.execute("select fate, count(*) from incoming group by fate").fetchall())
    summary.new, summary.updated = counts.get("new", 0), counts.get("updated", 0)
    summary.unchanged = counts.get("unchanged", 0)
    changed = set(con.execute(
        "select stored_month from incoming where fate = 'updated' union "
        "select month from incoming where fate <> 'unchanged'").fetchall()) | {(m,) for m, _ in removed}
    changed_months = sorted(m for (m,) in changed if m is not None)
    summary.months_written = changed_months
    if summary.preview or not changed_months:
        return Written()
    rewritten = [str(files[m]) for m in changed_months if m in files]
    kept = (f"select {month} as month, {_COLUMNS} from read_parquet($paths, filename = true, "
            "union_by_name = true) where interaction_id not in (select interaction_id from gone) "
            "and interaction_id not in (select interaction_id from incoming where fate = 'updated') "
            "union all ") if rewritten else ""
    written = Written(f"{kept}select month, {_COLUMNS} from incoming "
                      "where fate <> 'unchanged' and list_contains($months, month)",
                      {**({"paths": rewritten} if rewritten else {}), "months": changed_months})
    counts = dict(con.execute(f"select month, count(*) from ({written.query}) group by month",
                              written.params).fetchall())
    written.counts = {m: counts.get(m, 0) for m in changed_months}
    # what the months are written from is `incoming` and the stored files: the rest goes
    con.execute("drop view checked; drop table newest_rows; drop table staged_typed; drop table stored_rows; "
                "drop table stored_keys")
    return written


def _incoming_sql(not_carried: tuple[str, ...]) -> str:
    """The checked rows met with the stored ones (temp table incoming): each row's values (a column the
    export does not carry keeps the stored value where the export has none), its local month, the
    stored row's month, and its fate: new, updated (a version not older than the stored one that
    changes a value; a row without a version is older than any with one) or unchanged. Identifiers
    come from the contract only."""
    values, differs = [], []
    for column in INTERACTION_COLUMNS:
        name = _quote(column.name)
        value = f"coalesce(checked.{name}, stored_rows.{name})" if column.name in not_carried \
            else f"checked.{name}"
        values.append(f"{value} as {name}")
        differs.append(f"{value} is distinct from stored_rows.{name}")
    version = VERSION_COLUMN
    newer = (f"(stored_rows.{version} is null or checked.{version} >= stored_rows.{version}) and not "
             f"(checked.{version} is null and stored_rows.{version} is not null)")
    return (
        "create or replace temp table incoming as select " + ", ".join(values)
        + f", checked.{version}, strftime(timezone($timezone, checked.arrived_at), '%Y-%m') as month, "
        "stored_rows.month as stored_month, case when stored_rows.interaction_id is null then 'new' "
        f"when ({newer}) and ({' or '.join(differs)}) then 'updated' else 'unchanged' end as fate "
        "from checked left join stored_rows using (interaction_id)")


def log_import(folder: Path, summary: ImportSummary, moment: str | None = None) -> None:
    """A line in DATA/imports/log.jsonl: when, and the summary. One write to the end of the file, so
    lines written at once by two processes never run into each other."""
    log_dir = Path(folder) / IMPORTS_DIR
    log_dir.mkdir(parents=True, exist_ok=True)
    moment = moment or datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    line = (json.dumps({"at": moment, **summary.to_dict()}) + "\n").encode("utf-8")
    descriptor = os.open(log_dir / "log.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        while line:
            line = line[os.write(descriptor, line):]
    finally:
        os.close(descriptor)


def read_log(folder: Path) -> pd.DataFrame:
    """Every import of the folder, newest first (DATA/imports/log.jsonl)."""
    path = Path(folder) / IMPORTS_DIR / "log.jsonl"
    if not path.exists():
        return pd.DataFrame()
    entries = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:  # a line cut short (a full disk, a killed process): the others still count
            continue
        if isinstance(entry, dict):
            entries.append(entry)
    return pd.DataFrame(entries).iloc[::-1].reset_index(drop=True) if entries else pd.DataFrame()
