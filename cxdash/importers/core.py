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

import fcntl
import json
import os
import secrets
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from cxdash import calendar
from cxdash.contract import INTERACTION_COLUMNS, TABLES, contract_schema
from cxdash.db import connect
from cxdash.ingest import file_columns, judge
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

    rows: one row per customer contact, with any of the contract's columns (absent ones are null)
        and source_updated_at; timestamps tz-aware (UTC or any zone).
    set_aside: source_file, source_row (1-based line or record number), reason, record (raw text).
    records_read: records in the files (lines, array items, rows), before any dedupe or chaining.
    merged: records folded into another row (transfer legs chained into one customer contact).
    deletions: records saying a contact was deleted at the source: interaction_id, source_updated_at
        (when it was deleted), source_file, source_row; one row per such record read.
    """

    source: str
    rows: pd.DataFrame
    set_aside: pd.DataFrame = field(default_factory=empty_set_aside)
    records_read: int = 0
    merged: int = 0
    superseded: int = 0  # older versions the importer already dropped (e.g. records of a chain)
    notes: list[str] = field(default_factory=list)
    # columns this export does not carry (e.g. Zendesk tickets imported without their metrics): for a
    # record already stored, an empty value here keeps the stored one instead of erasing it
    not_carried: tuple[str, ...] = ()
    deletions: pd.DataFrame = field(default_factory=empty_deletions)


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

def _normalise(rows: pd.DataFrame) -> pd.DataFrame:
    """Every contract column present, in the contract's types; timestamps in UTC; channel trimmed and
    in lower case (as the contract reads it). A duration where no duration belongs is kept as its
    seconds and named in attrs["durations"], for the contract's checks to set aside."""
    out = pd.DataFrame(index=rows.index)
    durations: set[str] = set()
    for column in [*INTERACTION_COLUMNS, None]:
        name = VERSION_COLUMN if column is None else column.name
        kind = "TIMESTAMPTZ" if column is None else column.sql_type
        values = rows[name] if name in rows else pd.Series([None] * len(rows), index=rows.index, dtype=object)
        if kind == "TIMESTAMPTZ":
            out[name] = pd.to_datetime(values, utc=True, errors="coerce").astype("datetime64[us, UTC]")
        elif pd.api.types.is_timedelta64_dtype(values.dtype):
            # a duration counts seconds (to_numeric would count its unit: microseconds)
            out[name] = values.dt.total_seconds().astype("float64" if kind == "DOUBLE" else "Float64")
            if not name.endswith("_seconds"):
                durations.add(name)
        elif kind == "DOUBLE":
            out[name] = pd.to_numeric(values, errors="coerce").astype("float64")
        elif kind == "INTEGER":
            out[name] = pd.to_numeric(values, errors="coerce").astype("Float64")
        elif kind == "BOOLEAN":
            out[name] = values.astype("boolean") if len(values) else pd.Series(dtype="boolean")
        else:
            out[name] = values.astype("string").where(values.notna(), None)
    out["channel"] = out["channel"].str.strip().str.lower()
    out.attrs["durations"] = sorted(durations)
    return out


ROW = "__row"  # the position of a row, beside its values, while DuckDB checks them


def contract_problems(rows: pd.DataFrame, settings: Settings) -> pd.Series:
    """The first contract problem of each normalised row ('' when none), as "column X: problem": the
    checks validate runs on a file of the data folder (required values, types, finite numbers, whole
    numbers, ranges, channels, the plausibility window of the settings, the rules across columns),
    run by DuckDB over these rows, so what is imported passes validate."""
    problems = pd.Series("", index=rows.index, dtype="object")
    if rows.empty:
        return problems
    names = [column.name for column in INTERACTION_COLUMNS]
    frame = pa.Table.from_pandas(rows[names], preserve_index=False) \
        .append_column(ROW, pa.array(np.arange(len(rows), dtype=np.int64)))
    spec = TABLES["interactions"]
    con = connect()
    try:
        con.execute("set TimeZone = 'UTC'")  # the plausibility window's dates are UTC days
        con.register("imported", frame)
        # a view, not a copy: the checks read the rows where they are
        con.execute(f"create temp view staged_raw as select {ROW} as source_row, imported as record "
                    "from imported")
        present, _ = file_columns(con, spec, {name: "s" for name in rows.attrs.get("durations", ())})
        judge(con, spec, present, settings, imported=True)
        first = con.execute("select source_row, 'column ' || problems[1].column || ': ' || "
                            "problems[1].problem as reason from staged_problems where len(problems) > 0"
                            ).fetch_df()
    finally:
        con.close()
    problems.iloc[first["source_row"].to_numpy()] = first["reason"].to_numpy(dtype=object)
    return problems


# --- the merge -------------------------------------------------------------------------------------

def _months(arrived: pd.Series, timezone: str) -> np.ndarray:
    """The local month (YYYY-MM) of each arrival, formatted once per month rather than per row."""
    local = arrived.dt.tz_convert(timezone)
    values, inverse = np.unique((local.dt.year * 100 + local.dt.month).to_numpy(), return_inverse=True)
    labels = np.array([f"{value // 100:04d}-{value % 100:02d}" for value in values], dtype=object)
    return labels[inverse]


def source_dir(folder: Path, source: str) -> Path:
    return Path(folder) / "interactions" / source


def _month_files(folder: Path, source: str) -> dict[str, Path]:
    directory = source_dir(folder, source)
    return {path.stem: path for path in sorted(directory.glob("*.parquet"))} if directory.is_dir() else {}


def _read_month(path: Path) -> pd.DataFrame:
    """A month file, or a ValueError naming it when it cannot be read. The file is left as it is: it
    may hold all there is of that month, so what to do with it is for a person to decide."""
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as error:
        name = "/".join(path.parts[-3:])  # interactions/<source>/<month>.parquet
        raise ValueError(
            f"{name}: a month file of this data folder cannot be read ({error}), so nothing was "
            "imported. It was damaged (by two imports at once in a cxdash older than this one, or by the "
            "disk); the dashboards skip it too (Data health names it). Move it out of the data folder, "
            "then import the exports of that month again, or put back a copy from a backup.") from error
    return _normalise(table.to_pandas())


def _same(left: pd.DataFrame, right: pd.DataFrame) -> np.ndarray:
    """Row by row (aligned frames): every contract value equal (nulls equal nulls)."""
    equal = np.ones(len(left), dtype=bool)
    for column in INTERACTION_COLUMNS:
        a, b = left[column.name].reset_index(drop=True), right[column.name].reset_index(drop=True)
        both_null = a.isna() & b.isna()
        equal &= (both_null | (a == b).fillna(False)).to_numpy(dtype=bool)
    return equal


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
    temporary = target.with_name(f".{target.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
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


def store(folder: Path, parsed: Parsed, settings: Settings, files: list[str], preview: bool = False,
          now: datetime | None = None, on_wait: Callable[[str], None] | None = None,
          wait_seconds: float = WAIT_SECONDS) -> ImportSummary:
    """Check, deduplicate and merge an export into its month files (or, with preview, only count).
    The merge reads and writes under `import_lock` (a preview does not wait for it): `on_wait` hears
    when another import is running and this one waits for it."""
    summary = ImportSummary(parsed.source, [str(f) for f in files], records_read=parsed.records_read,
                            merged=parsed.merged, notes=list(parsed.notes), preview=preview)
    rows = _normalise(parsed.rows.reset_index(drop=True))
    set_aside = [parsed.set_aside] if len(parsed.set_aside) else []

    problems = contract_problems(rows, settings)
    bad = problems != ""
    if bad.any():
        set_aside.append(pd.DataFrame({
            "source_file": parsed.rows.get("source_file", pd.Series("", index=parsed.rows.index))
            .reset_index(drop=True)[bad.to_numpy()].astype(str).to_numpy(),
            "source_row": parsed.rows.get("source_row", pd.Series(0, index=parsed.rows.index))
            .reset_index(drop=True)[bad.to_numpy()].to_numpy(dtype="int64"),
            "reason": problems[bad].to_numpy(),
            "record": rows[bad].astype(str).to_json(orient="records", lines=True).splitlines()}))
        rows = rows[~bad]

    # the newest version of each record in this export (delivery is at least once)
    if not pd.Index(rows["interaction_id"].to_numpy(dtype=object)).is_unique:  # a hash check; sort if need be
        rows = rows.sort_values([VERSION_COLUMN, "interaction_id"], na_position="first", kind="stable")
        latest = ~rows["interaction_id"].duplicated(keep="last")
        summary.superseded = int((~latest).sum())
        rows = rows[latest]
    summary.superseded += parsed.superseded
    deletions = _latest_deletions(parsed.deletions)
    summary.deleted = len(parsed.deletions)
    if len(deletions) and len(rows):
        # a row of this export that a deletion read with it does not postdate is gone too
        when = rows["interaction_id"].map(deletions)
        gone = when.notna() & ~(rows[VERSION_COLUMN] > when).fillna(False).astype(bool)
        summary.superseded += int(gone.sum())
        rows = rows[~gone.to_numpy()]

    set_aside_frame = pd.concat(set_aside, ignore_index=True) if set_aside else empty_set_aside()
    summary.set_aside = len(set_aside_frame)
    summary.reasons = dict(Counter(set_aside_frame["reason"]))
    summary.set_aside_rows = set_aside_frame
    if preview:
        _merge(folder, parsed, settings, rows, summary, deletions)
        return summary

    # the month files are read inside the lock: a merge of what another import is about to replace
    # would write over that import's rows
    with import_lock(folder, on_wait, wait_seconds):
        _remove_stale_temporaries(source_dir(folder, parsed.source))
        changed = _merge(folder, parsed, settings, rows, summary, deletions)
        schema = import_schema()
        for month, frame in changed.items():
            target = source_dir(folder, parsed.source) / f"{month}.parquet"
            target.parent.mkdir(parents=True, exist_ok=True)
            if frame.empty:
                target.unlink(missing_ok=True)
                continue
            frame = frame.sort_values("arrived_at", kind="stable")  # time order: a day's scan skips the rest
            table = pa.Table.from_pandas(frame[schema.names], schema=schema, preserve_index=False)
            _write_atomically(target, lambda temporary, table=table: pq.write_table(table, temporary,
                                                                                   compression="zstd"))

        moment = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%f")  # two imports a second stay apart
        if len(set_aside_frame):
            path = Path(folder) / IMPORTS_DIR / parsed.source / f"{moment}-set-aside.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            _write_atomically(path, lambda temporary: set_aside_frame.to_parquet(temporary, index=False))
            summary.set_aside_file = str(path.relative_to(folder))
        log_import(folder, summary, moment)
    return summary


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


def _merge(folder: Path, parsed: Parsed, settings: Settings, rows: pd.DataFrame,
           summary: ImportSummary, deletions: pd.Series | None = None) -> dict[str, pd.DataFrame]:
    """The month files the export's checked rows change, with their new rows (an empty frame: remove
    the file); counts new, updated and unchanged into the summary, and the stored contacts the
    deletions remove."""
    existing_files = _month_files(folder, parsed.source)
    existing = {month: _read_month(path) for month, path in existing_files.items()}
    changed: dict[str, pd.DataFrame] = {}
    if deletions is not None and len(deletions):
        for month, frame in existing.items():
            when = frame["interaction_id"].map(deletions)
            gone = (frame["interaction_id"].isin(deletions.index)
                    & ~(frame[VERSION_COLUMN] > when).fillna(False).astype(bool)).to_numpy()
            if gone.any():
                summary.removed += int(gone.sum())
                existing[month] = changed[month] = frame[~gone]
    # which month file holds each stored id: one hash index over every stored id (object strings:
    # pandas' Arrow strings look up a million ids far more slowly)
    stored_ids = pd.Index(np.concatenate([frame["interaction_id"].to_numpy(dtype=object)
                                          for frame in existing.values()] or [np.array([], dtype=object)]))
    stored_month = np.concatenate([np.full(len(frame), month, dtype=object)
                                   for month, frame in existing.items()] or [np.array([], dtype=object)])
    position = stored_ids.get_indexer(rows["interaction_id"].to_numpy(dtype=object))

    new_ids = position < 0
    summary.new = int(new_ids.sum())
    known = rows[~new_ids]
    if len(known):
        known_months = pd.Series(stored_month[position[~new_ids]], index=known.index)
        replace = np.zeros(len(known), dtype=bool)
        known = known.copy()
        for month, group in known.groupby(known_months.to_numpy()):
            stored = existing[month].set_index("interaction_id").loc[group["interaction_id"]].reset_index()
            for column in parsed.not_carried:
                filled = group[column].where(group[column].notna(), stored[column].to_numpy())
                known.loc[group.index, column] = filled
                group = group.assign(**{column: filled})
            # a record without a version counts as older than any with one
            incoming, kept = group[VERSION_COLUMN].reset_index(drop=True), stored[VERSION_COLUMN]
            newer = (kept.isna() | (incoming >= kept).fillna(False)).to_numpy(dtype=bool) & \
                ~(incoming.isna() & kept.notna()).to_numpy(dtype=bool)
            differs = ~_same(group, stored)
            replace[np.flatnonzero(known_months.to_numpy() == month)] = newer & differs
        summary.updated = int(replace.sum())
        summary.unchanged = int(len(known) - replace.sum())
        replaced = known[replace]
        gone = pd.Index(replaced["interaction_id"].to_numpy(dtype=object))
        for month in set(known_months[replace]):
            frame = changed.get(month, existing[month])
            changed[month] = frame[~pd.Index(frame["interaction_id"].to_numpy(dtype=object)).isin(gone)]
        incoming = pd.concat([rows[new_ids], replaced])
    else:
        incoming = rows[new_ids]
    for month, group in incoming.groupby(_months(incoming["arrived_at"], settings.timezone)):
        base = changed.get(month, existing.get(month))
        changed[month] = group if base is None else pd.concat([base, group])
    summary.months_written = sorted(changed)
    return changed


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
