"""Validate every source file against the contract and prepare it, once per change, for fast queries.

Each file of a table is checked on its own: rows that break the contract are set aside with the
column and the reason, never dropped, so that rows read = rows used + rows set aside for every file.
The prepared store lives in DATA/.cxdash/ (safe to delete: it is rebuilt) and is incremental: a file
is reprocessed only when it is new, changed, or its duplicate ids pointed at a file that changed.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from cxdash.contract import TABLES, Table
from cxdash.db import SQL_DIR, THREADS, connect, load_sql
from cxdash.settings import Settings

STORE_DIR = ".cxdash"
# The version of a prepared store is derived from what shapes it (store_version): the SQL files the
# preparation runs, the data contract, and this integer, bumped by hand only for a Python-side change to
# what preparation writes. 4: one-column checks read values as written; 5: abandonment derived in the
# rollup; 6: a detailed rollup by agent and tier beside the daily one; 7: an hourly rollup (contacts by
# local day, hour and channel) beside the daily one; 8: a 15-minute interval rollup for forecasting;
# 9: the merged interval rollup in one part per month (interactions/intervals_merged/YYYY-MM.parquet);
# 10: customer outcomes in one part per cohort month (derived/customer_outcomes/YYYY-MM-DD.parquet),
# first coaching contacts apart (derived/customer_coaching.parquet)
STORE_CODE_VERSION = 10
# the SQL files preparation runs: a changed rule in any of them re-prepares every store
STORE_SQL_PATTERNS = ("stage_*", "clean_rows", "rejected_rows", "validation_*", "duplicates_elsewhere",
                      "rollup_*", "load_*", "customer_*", "order_months*")


def store_sql_names() -> tuple[str, ...]:
    """The names of the SQL files (sql/NAME.sql) whose text shapes a prepared store."""
    return tuple(sorted({path.stem for pattern in STORE_SQL_PATTERNS
                         for path in SQL_DIR.glob(f"{pattern}.sql")}))


def store_version() -> str:
    """The version of the store's content: the code version and a hash of the preparation's SQL and
    the contract (its columns, tables and rules). Any change to them judges and rolls up every file
    again."""
    from dataclasses import astuple

    from cxdash import contract

    columns = {name: [astuple(column) for column in value] for name, value in sorted(vars(contract).items())
               if name.endswith("_COLUMNS")}
    basis = [STORE_CODE_VERSION, {name: load_sql(name) for name in store_sql_names()}, columns,
             [astuple(table) for table in contract.TABLES.values()],
             list(contract.CHANNELS), list(contract.COST_TYPES)]
    digest = hashlib.sha256(json.dumps(basis, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return f"{STORE_CODE_VERSION}-{digest}"

Progress = Callable[[float, str], None]


@dataclass
class FileReport:
    """What validation found in one source file."""

    table: str
    path: str
    size_bytes: int
    modified_ns: int
    rows_read: int = 0
    rows_used: int = 0
    rows_set_aside: int = 0
    unreadable: str | None = None
    problems: list[dict] = field(default_factory=list)  # {column, problem, rows}
    ignored_columns: list[str] = field(default_factory=list)
    duplicates_of: list[str] = field(default_factory=list)
    first_day: str | None = None
    last_day: str | None = None
    prepared_at: float = 0.0
    rollup_fingerprint: str | None = None

    @property
    def key(self) -> str:
        return file_key(self.table, self.path)


@dataclass
class PrepareReport:
    """The state of the whole data folder after preparing: every file, and what was redone."""

    folder: Path
    files: list[FileReport]
    reprocessed: list[str]
    seconds: float
    store: Path | None = None  # where the prepared store is (DATA/.cxdash unless read-only or moved)
    notes: list[str] = field(default_factory=list)  # what preparing did beyond the usual: repairs, moves

    def for_table(self, table: str) -> list[FileReport]:
        return [f for f in self.files if f.table == table]

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def rows_set_aside(self) -> int:
        return sum(f.rows_set_aside for f in self.files)

    @property
    def unreadable(self) -> list[FileReport]:
        return [f for f in self.files if f.unreadable]

    @property
    def clean(self) -> bool:
        return not self.unreadable and self.rows_set_aside == 0

    def messages(self) -> list[str]:
        """One plain sentence per problem, naming the file, the column and the count."""
        lines = []
        for report in self.files:
            if report.unreadable:
                lines.append(f"{report.path}: the file could not be read and was skipped "
                             f"({report.unreadable}).")
            for problem in report.problems:
                rows = problem["rows"]
                lines.append(f"{report.path}: column {problem['column']}: {rows:,} "
                             f"row{'s' if rows != 1 else ''} {problem['problem']}; set aside.")
        return lines

    def to_dict(self) -> dict:
        return {
            "folder": str(self.folder),
            "rows_read": self.rows_read,
            "rows_used": sum(f.rows_used for f in self.files),
            "rows_set_aside": self.rows_set_aside,
            "unreadable_files": len(self.unreadable),
            "notes": self.notes,
            "files": [
                {k: v for k, v in report.__dict__.items()
                 if k not in ("prepared_at", "rollup_fingerprint", "modified_ns")}
                for report in self.files
            ],
            "messages": self.messages(),
        }


def file_key(table: str, relative_path: str) -> str:
    return hashlib.sha1(f"{table}/{relative_path}".encode()).hexdigest()[:16]


STORE_ENV = "CXDASH_STORE"  # a folder to keep prepared stores in, one per data folder


def _store_name(folder: Path) -> str:
    resolved = Path(folder).resolve()
    return f"{resolved.name}-{hashlib.sha1(str(resolved).encode()).hexdigest()[:12]}"


def store_path(folder: Path) -> Path:
    """Where a data folder's store is prepared: DATA/.cxdash, or, with $CXDASH_STORE set, a folder
    of its own (named after the data folder) under that one."""
    root = os.environ.get(STORE_ENV)
    if root:
        return Path(root).expanduser().resolve() / _store_name(folder)
    return Path(folder) / STORE_DIR


def cache_store_path(folder: Path) -> Path:
    """Where the store of a read-only data folder is prepared when its own cannot be brought up to
    date: the user's cache ($XDG_CACHE_HOME, else ~/.cache)."""
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "cxdash" / "stores" / _store_name(folder)


def _writable(store: Path) -> bool:
    """Whether the store can be written: the folder itself, or the nearest folder above that exists."""
    place = store
    while not place.exists() and place != place.parent:
        place = place.parent
    return os.access(place, os.W_OK)


def source_files(folder: Path, spec: Table) -> list[Path]:
    """Every file of a table, at any depth (hive partitions welcome), in a stable order."""
    root = folder / spec.name
    if not root.is_dir():
        return []
    found = []
    # os.walk, not Path.rglob: every page's run lists the files (a few hundred Path objects cost ms)
    for directory, folders, files in os.walk(root):  # a linked folder is not entered, as rglob did not
        folders[:] = [name for name in folders if not name.startswith(".")]
        found += [os.path.join(directory, name) for name in files if not name.startswith(".")
                  and os.path.splitext(name)[1].lower() in spec.extensions
                  and os.path.isfile(os.path.join(directory, name))]
    return sorted(map(Path, found))


@contextmanager
def store_lock(store: Path, shared: bool = False):
    """One preparation of a store at a time (processes and threads); a read-only store is read under
    a shared lock where its lock file exists, else without one (nothing can change it)."""
    if shared:
        try:
            handle = open(store / "lock")
        except OSError:
            yield
            return
    else:
        store.mkdir(parents=True, exist_ok=True)
        handle = open(store / "lock", "a")
    with handle:
        fcntl.flock(handle, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def temporary_beside(path: Path) -> Path:
    """A name beside `path` no other writer uses (the process and a random part), hidden from the
    store's globs; renamed over `path` when complete. A hidden .tmp file: the store's preparation and
    an import under its lock find those a killed writer left behind."""
    return path.with_name(f".{path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")


def _validation_key(settings: Settings) -> str:
    """What judging a file depends on besides the file: the code's version and the settings'
    plausibility window. A change judges every file again."""
    return f"{store_version()}:{settings.earliest}:{settings.latest}"


def _load_manifest(store: Path, settings: Settings) -> dict:
    version = store_version()
    fresh = {"version": version, "validation": _validation_key(settings), "files": {}}
    try:
        manifest = json.loads((store / "manifest.json").read_text())
    except (OSError, ValueError):
        return fresh
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict) \
            or manifest.get("version") != version or manifest.get("validation") != fresh["validation"]:
        return fresh
    return manifest


def _save_manifest(store: Path, manifest: dict) -> None:
    temporary = temporary_beside(store / "manifest.json")
    try:
        temporary.write_text(json.dumps(manifest, indent=1, sort_keys=True))
        os.replace(temporary, store / "manifest.json")
    finally:
        temporary.unlink(missing_ok=True)


# the summaries of each interactions file (see _build_rollup): a file missing any is summarised again
ROLLUPS = ("detail", "rollup", "hourly", "intervals")
# folders of the store that hold no prepared output: uploads waiting for a confirm, DuckDB's spill,
# and the snapshots open stores read (cxdash.store)
SNAPSHOTS_DIR = "snapshots"
NOT_OUTPUTS = ("uploads", "spill", SNAPSHOTS_DIR)


def _remove_outputs(store: Path, table: str, key: str) -> None:
    for kind in ("clean", "rejected", *ROLLUPS):
        (store / table / kind / f"{key}.parquet").unlink(missing_ok=True)


def _store_files(store: Path, suffix: str) -> list[str]:
    """The files of a store ending in suffix, outside NOT_OUTPUTS, as paths in strings (every page's
    run stats them: Path objects cost milliseconds). Those folders are not even listed: a snapshot is
    made and removed by other stores at any time (a folder that vanishes while being listed would
    raise in Path.rglob; os.walk skips it)."""
    found = []
    root = str(store)
    for directory, folders, files in os.walk(root):
        if directory == root:
            folders[:] = [name for name in folders if name not in NOT_OUTPUTS]
        found += [os.path.join(directory, name) for name in files if name.endswith(suffix)]
    return found


def store_outputs(store: Path) -> dict[str, tuple[int, int]]:
    """Every prepared file of a store (relative path -> size, modification time): what the manifest
    records after preparing, so a file deleted, truncated or replaced behind its back is seen."""
    outputs = {}
    start = len(str(store)) + 1
    for path in _store_files(store, ".parquet"):
        if os.path.basename(path).startswith("."):
            continue
        try:
            stat = os.stat(path)
        except OSError:
            continue  # removed while listing
        outputs[path[start:].replace(os.sep, "/")] = (stat.st_size, stat.st_mtime_ns)
    return outputs


def _remove_orphan_snapshots(store: Path) -> None:
    """Snapshots no open store holds any more (its process died): each open store keeps its
    snapshot's lock, so one whose lock can be taken is no one's."""
    for snapshot in (store / SNAPSHOTS_DIR).iterdir() if (store / SNAPSHOTS_DIR).is_dir() else ():
        try:
            with open(snapshot / "lock", "a") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                shutil.rmtree(snapshot, ignore_errors=True)
        except BlockingIOError:
            continue  # a store still reads it
        except OSError:
            shutil.rmtree(snapshot, ignore_errors=True)


def store_signature(store: Path) -> tuple:
    """What the prepared store holds now (manifest and outputs): a cheap stat of each file."""
    manifest = store / "manifest.json"
    try:
        stat = manifest.stat()
        stamp = (stat.st_size, stat.st_mtime_ns)
    except OSError:
        stamp = None
    return (str(store), stamp, tuple(sorted(store_outputs(store).items())))


@dataclass
class _Plan:
    """What preparing must do to bring a store in line with the source files and itself."""

    current: dict
    stale: set
    removed: set
    damaged: list[str]
    rollups: list[str]

    @property
    def idle(self) -> bool:
        return not (self.stale or self.removed or self.damaged or self.rollups)


def _plan(folder: Path, store: Path, manifest: dict, settings: Settings) -> _Plan:
    entries: dict[str, dict] = manifest["files"]
    current: dict[str, tuple[Table, Path, os.stat_result]] = {}
    for spec in TABLES.values():
        for path in source_files(folder, spec):
            relative = path.relative_to(folder).as_posix()
            current[f"{spec.name}:{relative}"] = (spec, path, path.stat())

    stale = {ident for ident, (_, _, stat) in current.items()
             if ident not in entries
             or entries[ident]["size_bytes"] != stat.st_size
             or entries[ident]["modified_ns"] != stat.st_mtime_ns}
    removed = set(entries) - set(current)
    touched_paths = {ident.split(":", 1)[1] for ident in stale | removed}
    # a file whose rows were set aside as duplicates of a changed file must be judged again
    stale |= {ident for ident, entry in entries.items()
              if ident in current and set(entry.get("duplicates_of", [])) & touched_paths}

    # prepared files deleted, truncated or replaced since the manifest recorded them: a damaged check
    # result (clean or set-aside rows) has its source file judged again; a damaged summary is
    # removed, and the summaries missing are made again below
    recorded = manifest.get("outputs", {})
    now = store_outputs(store)
    damaged = sorted(name for name, stamp in recorded.items() if tuple(stamp) != now.get(name))
    owners = {file_key(entry["table"], entry["path"]): ident for ident, entry in entries.items()}
    for name in damaged:
        parts = name.split("/")
        if len(parts) == 3 and parts[1] in ("clean", "rejected"):
            ident = owners.get(parts[2].removesuffix(".parquet"))
            if ident in current:
                stale.add(ident)

    fingerprint = settings.fingerprint()
    rollups = sorted(ident for ident, entry in entries.items()
                     if ident not in stale and entry["table"] == "interactions" and not entry["unreadable"]
                     and (entry["rollup_fingerprint"] != fingerprint
                          or not all((store / "interactions" / kind /
                                      f"{file_key('interactions', entry['path'])}.parquet").exists()
                                     for kind in ROLLUPS)))
    if not (stale or removed or damaged or rollups):
        # the summaries across files: the interval merge and the customer-level tables
        if _intervals_fingerprint(store) != manifest.get("intervals_fingerprint") or \
                _derived_fingerprint(entries, settings) != manifest.get("derived_fingerprint"):
            rollups = ["(summaries across files)"]
    return _Plan(current, stale, removed, damaged, rollups)


def _report(folder: Path, store: Path, entries: dict, plan: _Plan, started: float,
            notes: list[str]) -> PrepareReport:
    files = [FileReport(**entries[ident]) for ident in sorted(entries)]
    return PrepareReport(folder=folder, files=files, reprocessed=sorted(plan.stale),
                         seconds=time.perf_counter() - started, store=store, notes=notes)


def prepare(folder: Path, settings: Settings, progress: Progress | None = None) -> PrepareReport:
    """Bring the prepared store in line with the source files; cheap when nothing changed.

    A store whose files were deleted or damaged behind its back is repaired (and the report says so).
    A read-only data folder is served from its own store when that is up to date, else from a store
    prepared in the user's cache (or under $CXDASH_STORE)."""
    started = time.perf_counter()
    folder = Path(folder)
    store = store_path(folder)
    report_progress = progress or (lambda fraction, message: None)
    notes: list[str] = []
    if not _writable(store):
        with store_lock(store, shared=True):
            manifest = _load_manifest(store, settings)
            plan = _plan(folder, store, manifest, settings)
            if plan.idle and manifest["files"]:
                report_progress(1.0, "Ready")
                return _report(folder, store, manifest["files"], plan, started,
                               ["The data folder is read-only; its prepared store is up to date and "
                                "is used as it is."])
        fallback = cache_store_path(folder)
        if store.is_dir() and not fallback.exists():
            shutil.copytree(store, fallback, ignore=shutil.ignore_patterns(*NOT_OUTPUTS, "lock", "*.tmp"))
        notes.append("The data folder is read-only and its prepared store is missing or out of date, so "
                     f"the store is prepared in the user's cache ({STORE_ENV} chooses another place).")
        store = fallback
    with store_lock(store):
        for leftover in _store_files(store, ".tmp"):  # a write cut short (a crash, a full disk)
            Path(leftover).unlink(missing_ok=True)
        _remove_orphan_snapshots(store)
        manifest = _load_manifest(store, settings)
        if not manifest["files"]:
            # a new, unreadable or older manifest: outputs an earlier run left cannot be trusted
            for name in TABLES:
                shutil.rmtree(store / name, ignore_errors=True)
            shutil.rmtree(store / "derived", ignore_errors=True)
            for name in ("empty_rollup.parquet", "empty_interactions.parquet"):
                (store / name).unlink(missing_ok=True)
        plan = _plan(folder, store, manifest, settings)
        entries: dict[str, dict] = manifest["files"]
        if plan.damaged:
            notes.append(f"{len(plan.damaged)} prepared file(s) were missing or damaged and were rebuilt "
                         f"({', '.join(plan.damaged[:3])}{', …' if len(plan.damaged) > 3 else ''}).")
            for name in plan.damaged:
                (store / name).unlink(missing_ok=True)
                if name.startswith("derived/"):
                    manifest.pop("derived_fingerprint", None)
                if Path(name).parent == merged_intervals_path(Path()):
                    manifest.pop("intervals_fingerprint", None)
        for ident in plan.removed | plan.stale:
            if ident in entries:
                entry = entries.pop(ident)
                _remove_outputs(store, entry["table"], file_key(entry["table"], entry["path"]))
        if plan.idle and manifest.get("outputs") is not None:
            # nothing to judge, summarise or merge: no connection opened (a command's figures wait
            # for this on every run)
            report_progress(1.0, "Ready")
            return _report(folder, store, entries, plan, started, notes)

        # spill to the store's own folder rather than hold a large file's stages in memory
        con = connect(temp_directory=store / "spill")
        try:
            con.execute("set TimeZone = 'UTC'")
            ordered = sorted(plan.stale, key=lambda ident: (list(TABLES).index(ident.split(":")[0]),
                                                             ident))
            for number, ident in enumerate(ordered):
                spec, path, stat = plan.current[ident]
                report_progress(number / max(len(ordered), 1),
                                f"Checking {path.relative_to(folder).as_posix()}")
                report = _validate_file(con, folder, store, spec, path, stat, settings)
                entries[ident] = dict(report.__dict__)
                _save_manifest(store, manifest)

            fingerprint = settings.fingerprint()
            rollups = [ident for ident, entry in entries.items()
                       if entry["table"] == "interactions" and not entry["unreadable"]
                       and (entry["rollup_fingerprint"] != fingerprint
                            or not all((store / "interactions" / kind /
                                        f"{file_key('interactions', entry['path'])}.parquet").exists()
                                       for kind in ROLLUPS))]
            for number, ident in enumerate(sorted(rollups)):
                report_progress(number / max(len(rollups), 1), "Summarising by day, hour and interval")
                entry = entries[ident]
                _build_rollup(con, store, entry, settings)
                entry["rollup_fingerprint"] = fingerprint
            _merge_intervals(con, store, manifest)
            _build_derived(con, store, manifest, settings, report_progress)
        finally:
            con.close()
        if not plan.idle or manifest.get("outputs") is None:
            manifest["outputs"] = store_outputs(store)
            _save_manifest(store, manifest)

    report_progress(1.0, "Ready")
    return _report(folder, store, entries, plan, started, notes)


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _text(words: str) -> str:
    """A SQL string literal of the contract's own words (never a user value)."""
    return "'" + words.replace("'", "''") + "'"


# seconds per unit of a duration column (pyarrow's duration, pandas' timedelta), read as a count
_DURATION_UNITS = {"s": 1.0, "ms": 1e3, "us": 1e6, "ns": 1e9}
_TYPE_NAMES = {"VARCHAR": "text", "TIMESTAMPTZ": "timestamp", "DOUBLE": "number",
               "INTEGER": "whole number", "BOOLEAN": "true/false", "DATE": "date"}
PLAUSIBLE = "outside the plausible dates{window} (the [validation] window of the settings)"


@dataclass(frozen=True)
class FileColumn:
    """A column of a staged source file: its name as written, DuckDB's type, and the duration unit
    when the file's own schema says it is a duration (DuckDB reads those as plain integers)."""

    name: str
    sql_type: str
    duration_unit: str | None = None


@dataclass(frozen=True)
class Check:
    """One way a row can break the contract: the column it is about, a SQL condition that is true
    when the row breaks it, and the problem in validation's words; `reason` is an import's words for
    the same problem where they differ (cxdash.contract says why there are two)."""

    column: str
    condition: str
    problem: str
    reason: str | None = None

    def sql(self, imported: bool = False) -> str:
        """The check as a SQL expression: a {column, problem} struct, or null when the row passes."""
        words = self.reason if imported and self.reason is not None else self.problem
        return (f"case when {self.condition} then "
                f"{{'column': {_text(self.column)}, 'problem': {_text(words)}}} end")


def column_checks(spec: Table, present: dict[str, FileColumn], settings: Settings
                  ) -> tuple[list[str], list[Check]]:
    """SQL select items typing each contract column from the staged `record`, and the checks of one
    column, which read the value as written.

    Identifiers come only from the contract (an allow-list) and the file's own column names (quoted,
    inside the staged `record` struct); a source column is used only when its name matches a
    contract column, compared case-insensitively. Timestamps and dates must fall inside the
    plausibility window ($earliest, $latest); numbers must be finite; durations count seconds; a
    vocabulary (channel, cost type) is read trimmed and in lower case.
    """
    window = PLAUSIBLE.format(window=f" {settings.earliest} to {settings.latest}")
    items, checks = [], []
    for column in spec.columns:
        name, type_name = column.name, _TYPE_NAMES[column.sql_type]
        source = present.get(name)
        if source is None:
            items.append(f"null::{column.sql_type} as {name}")
            if column.required:
                checks.append(Check(name, "true", "missing required column", "missing"))
            continue
        raw = "record." + _quote(source.name)
        value = f"try_cast({raw} as {column.sql_type})"
        if column.allowed:
            value = f"lower(trim(try_cast({raw} as varchar)))"
        elif source.duration_unit is not None:
            if column.sql_type == "DOUBLE" and name.endswith("_seconds"):
                value = f"(try_cast({raw} as double) / {_DURATION_UNITS[source.duration_unit]:g})"
            else:
                value = f"null::{column.sql_type}"
                checks.append(Check(name, f"{raw} is not null", f"a duration, not a {type_name}",
                                    "a duration, not a number"))
        elif column.sql_type == "DOUBLE" and name.endswith("_seconds") and \
                source.sql_type.startswith(("INTERVAL", "TIME")):
            value = f"epoch({raw})"  # a duration or a clock time of day as seconds
        items.append(f"{value} as {name}")
        checks.append(Check(name, f"{raw} is not null and {value} is null", f"not a valid {type_name}"))
        if column.required:
            checks.append(Check(name, f"{raw} is null", "is empty", "missing"))
        if column.sql_type == "DOUBLE":
            checks.append(Check(name, f"not isfinite({value})", "not a finite number (infinite or NaN)"))
        if column.sql_type in ("TIMESTAMPTZ", "DATE"):
            checks.append(Check(
                name, f"{value} < $earliest::{column.sql_type} or {value} >= $latest::{column.sql_type}",
                PLAUSIBLE.format(window=""), window))
        if column.sql_type == "INTEGER":
            checks.append(Check(name, f"{value} is not null and try_cast({raw} as double) <> {value}",
                                "not a whole number"))
        low, high = column.minimum, column.maximum
        if low is not None and high is not None:  # one problem for validation, two reasons for an import
            checks.append(Check(name, f"{value} < {low:g}", f"outside {low:g}-{high:g}", f"below {low:g}"))
            checks.append(Check(name, f"{value} > {high:g}", f"outside {low:g}-{high:g}", f"above {high:g}"))
        elif low is not None:
            checks.append(Check(name, f"{value} < {low:g}", "negative" if low == 0 else f"below {low:g}",
                                f"below {low:g}"))
        elif high is not None:
            checks.append(Check(name, f"{value} > {high:g}", f"above {high:g}"))
    return items, checks


def table_checks(spec: Table) -> list[Check]:
    """Checks of the typed columns: each vocabulary's allowed values, then the rules across columns."""
    checks = []
    for column in spec.columns:
        if column.allowed:
            listed = ", ".join(_text(value) for value in column.allowed)
            checks.append(Check(column.name, f"{column.name} not in ({listed})",
                                f"unknown {column.name.replace('_', ' ')}",
                                f"not one of {', '.join(column.allowed)}"))
    return checks + [Check(rule.column, rule.condition, rule.problem) for rule in spec.rules]


def _stage(con: duckdb.DuckDBPyConnection, path: Path) -> dict[str, str]:
    """Stage a source file as staged_raw (source_row, record); returns the duration columns' units.

    Row numbers come from the parquet reader; where a file's own column is named file_row_number
    (which hides the reader's), and for CSV, rows are numbered as one thread scans them in order."""
    durations: dict[str, str] = {}
    if path.suffix.lower() == ".csv":
        query, in_order = "stage_csv_file", True
    else:
        try:
            schema = pq.read_schema(path)
        except (OSError, pa.ArrowException):
            schema = None  # DuckDB says why below
        names = [] if schema is None else schema.names
        if schema is not None:
            durations = {field.name: field.type.unit for field in schema
                         if pa.types.is_duration(field.type)}
        in_order = any(name.lower() == "file_row_number" for name in names)
        query = "stage_parquet_file_numbered_by_scan" if in_order else "stage_parquet_file"
    if not in_order:
        con.execute(load_sql(query), {"path": str(path)})
        return durations
    con.execute("set threads = 1; set preserve_insertion_order = true")
    try:
        con.execute(load_sql(query), {"path": str(path)})
    finally:
        con.execute(f"set threads = {THREADS}; set preserve_insertion_order = false")
    return durations


def _problem_list(checks: list[Check], imported: bool = False) -> str:
    """A SQL list of the problems a row has among the checks (an empty list when none apply)."""
    if not checks:
        return "[]::struct(\"column\" varchar, problem varchar)[]"
    return "list_filter([" + ", ".join(c.sql(imported) for c in checks) + "], lambda p: p is not null)"


def file_columns(con: duckdb.DuckDBPyConnection, spec: Table, durations: dict[str, str]
                 ) -> tuple[dict[str, FileColumn], list[str]]:
    """The staged file's columns (staged_raw.record) that are contract columns, by contract name
    (matched ignoring case; the first of two that match wins), and the names of the others."""
    names = {c.name for c in spec.columns}
    present: dict[str, FileColumn] = {}
    ignored = []
    for name, sql_type, *_ in con.execute("describe select unnest(record) from staged_raw").fetchall():
        lowered = name.lower()
        if lowered in names and lowered not in present:
            present[lowered] = FileColumn(name, sql_type, durations.get(name))
        else:
            ignored.append(name)
    return present, ignored


def judge(con: duckdb.DuckDBPyConnection, spec: Table, present: dict[str, FileColumn],
          settings: Settings, imported: bool = False) -> None:
    """The contract's checks of staged rows (staged_raw: source_row, record): staged_typed holds them
    typed as the contract says (and sort_time), staged_problems each row's problems in check order,
    in validation's words or (imported) an import's. A file of the data folder also has a key seen
    earlier in it set aside; an import keeps the newest version of a repeated key instead."""
    items, checks = column_checks(spec, present, settings)
    con.execute(
        f"create or replace temp table staged_typed as select *, {spec.sort_column} as sort_time "
        "from (select source_row, " + ", ".join(items) + " from staged_raw)"
    )
    # checks of one column read the value as written (staged_raw): in staged_typed a value that
    # does not cast is already null, and would pass as empty
    listed = _problem_list(checks, imported)
    window = {"earliest": settings.earliest, "latest": settings.latest}
    con.execute("create or replace temp table staged_column_problems as select source_row, "
                f"{listed} as problems from staged_raw",
                {k: v for k, v in window.items() if f"${k}" in listed})
    duplicate_check = ""
    key = spec.key
    if key and not imported:
        duplicate_check = (
            f", case when row_number() over (partition by {key} order by source_row) > 1 "
            f"and {key} is not null then [{{'column': '{key}', "
            f"'problem': 'repeats an id seen earlier in this file'}}] else [] end"
        )
    con.execute(
        "create or replace temp table staged_problems as select source_row, "
        f"list_concat(staged_column_problems.problems, {_problem_list(table_checks(spec), imported)}"
        f"{duplicate_check}) as problems "
        "from staged_typed join staged_column_problems using (source_row)"
    )


@contextmanager
def _pinned_file(path: Path, store: Path):
    """A hard link to a source file, in the store, and its stat, for reading it whole: an import
    replaces a month file (os.replace) while a page prepares the folder, and DuckDB opens a file more
    than once within a query, so the path itself could give parts of two files ("Invalid data") and a
    month that looks damaged until the next preparation. Where no link can be made (the store on
    another file system), the path itself and no stat. The link goes when the read is done."""
    link = store / f".reading-{os.getpid()}-{uuid.uuid4().hex[:8]}{path.suffix}"
    try:
        os.link(path, link)
        pinned = link.stat()
    except OSError:
        link.unlink(missing_ok=True)
        yield path, None
        return
    try:
        yield link, pinned
    finally:
        link.unlink(missing_ok=True)


def _validate_file(con: duckdb.DuckDBPyConnection, folder: Path, store: Path, spec: Table,
                   path: Path, stat: os.stat_result, settings: Settings) -> FileReport:
    relative = path.relative_to(folder).as_posix()
    with _pinned_file(path, store) as (reading, pinned):
        # the file read is the one described: a link to it, made before reading, holds both still
        stat = pinned or stat
        report = FileReport(table=spec.name, path=relative, size_bytes=stat.st_size,
                            modified_ns=stat.st_mtime_ns, prepared_at=time.time())
        try:
            durations = _stage(con, reading)
        except duckdb.Error as error:
            # the reason as DuckDB gives it, without where the data folder lives (the browser shows it)
            reason = (str(error).splitlines() or [type(error).__name__])[0]
            report.unreadable = (reason.replace(str(reading), relative).replace(str(path), relative)
                                 .replace(str(folder), "DATA")[:300])
            return report

    present, report.ignored_columns = file_columns(con, spec, durations)
    judge(con, spec, present, settings)
    key = spec.key

    if key:
        clean_elsewhere = sorted(
            p for p in (store / spec.name / "clean").glob("*.parquet")
            if p.stem != file_key(spec.name, relative)
        ) if (store / spec.name / "clean").is_dir() else []
        lowest, highest = con.execute(f"select min({_quote(key)}), max({_quote(key)}) "
                                      "from staged_typed").fetchone() if clean_elsewhere else (None, None)
        if lowest is not None:
            rows = con.execute(load_sql("duplicates_elsewhere"),
                               {"paths": [str(p) for p in clean_elsewhere], "key": key,
                                "lowest": lowest, "highest": highest}).fetchall()
            if rows:
                report.duplicates_of = sorted({source for _, source in rows})
                con.execute("create or replace temp table staged_elsewhere "
                            "(source_row bigint, source_file varchar)")
                con.executemany("insert into staged_elsewhere values (?, ?)", rows)
                con.execute(
                    "update staged_problems set problems = list_append(problems, "
                    f"{{'column': '{key}', 'problem': "
                    "'repeats an id already used in ' || staged_elsewhere.source_file}) "
                    "from staged_elsewhere where staged_problems.source_row = "
                    "staged_elsewhere.source_row"
                )

    counts = con.execute(load_sql("validation_counts")).fetchone()
    report.rows_read, report.rows_set_aside = int(counts[0]), int(counts[1])
    report.rows_used = report.rows_read - report.rows_set_aside
    report.problems = [
        {"column": column, "problem": problem, "rows": int(rows)}
        for column, problem, rows in con.execute(load_sql("validation_problems")).fetchall()
    ]

    file_id = file_key(spec.name, relative)
    if report.rows_set_aside:
        _copy_query(con, "rejected_rows", {"source_file": relative},
                     store / spec.name / "rejected" / f"{file_id}.parquet")
    # the file as written is not needed any more: its memory goes to the sort of the clean rows
    con.execute("drop table if exists staged_raw; drop table if exists staged_column_problems; "
                "drop table if exists staged_elsewhere")
    _copy_query(con, "clean_rows", {"source_file": relative},
                 store / spec.name / "clean" / f"{file_id}.parquet")
    if spec.name == "interactions" and report.rows_used:
        first, last = con.execute(
            "select min(arrived_at)::date::varchar, max(arrived_at)::date::varchar "
            "from staged_typed join staged_problems using (source_row) where len(problems) = 0"
        ).fetchone()
        report.first_day, report.last_day = first, last
    con.execute("drop table if exists staged_raw; drop table if exists staged_typed; "
                "drop table if exists staged_problems; drop table if exists staged_elsewhere; "
                "drop table if exists staged_column_problems")
    return report


def _build_rollup(con: duckdb.DuckDBPyConnection, store: Path, entry: dict,
                  settings: Settings) -> None:
    file_id = file_key("interactions", entry["path"])
    clean_path = store / "interactions" / "clean" / f"{file_id}.parquet"
    if not clean_path.exists():
        return
    # the detailed rollup (by agent and tier) feeds the quality drill-down; the daily rollup, the
    # same measures summed to day x channel x queue x team, feeds the overview
    detail = store / "interactions" / "detail" / f"{file_id}.parquet"
    _copy_query(con, "rollup_daily", {**rollup_parameters(settings), "path": str(clean_path)}, detail)
    _copy_query(con, "load_daily", {"paths": [str(detail)]},
                 store / "interactions" / "rollup" / f"{file_id}.parquet")
    # contacts by local day, hour and channel, for the intraday and weekly shape
    _copy_query(con, "rollup_hourly", {"path": str(clean_path), "timezone": settings.timezone},
                 store / "interactions" / "hourly" / f"{file_id}.parquet")
    # arrivals and workload by 15-minute interval, channel and queue, for forecasting
    _copy_query(con, "rollup_intervals", {"path": str(clean_path),
                                           "live_channels": list(settings.live_channels),
                                           "short_abandon_seconds": settings.short_abandon_seconds},
                 store / "interactions" / "intervals" / f"{file_id}.parquet")


def merged_intervals_path(store: Path, month: str | None = None) -> Path:
    """The folder of the merged interval rollups, one part per UTC month (YYYY-MM.parquet), or the
    part of one month."""
    folder = store / "interactions" / "intervals_merged"
    return folder if month is None else folder / f"{month}.parquet"


def _intervals_fingerprint(store: Path) -> str:
    """The interval rollups the merged parts are made of (names, sizes, times)."""
    paths = sorted((store / "interactions" / "intervals").glob("*.parquet"))
    return hashlib.sha256(json.dumps(
        [(p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in paths]).encode()).hexdigest()[:16]


def _months(first: str, last: str) -> list[str]:
    """Every month from first to last (YYYY-MM), both included; ValueError for text that is not a
    month."""
    year, month = map(int, first.split("-"))
    end = tuple(map(int, last.split("-")))
    if not (1 <= month <= 12 and len(end) == 2 and 1 <= end[1] <= 12):
        raise ValueError(f"not a month span: {first!r} to {last!r}")
    months = []
    while (year, month) <= end:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _span_months(span: dict) -> list[str]:
    """The months an interval rollup has rows in, from its record (none for a rollup without rows)."""
    return _months(*span["months"]) if span["months"] else []


def _recorded_spans(manifest: dict) -> dict[str, dict]:
    """What the merged parts were made of (intervals_months: rollup name -> its size and time, and
    the first and last month it has rows in); nothing when the record is missing or unreadable,
    which writes every part again."""
    recorded = manifest.get("intervals_months")
    try:
        for span in recorded.values():
            if not isinstance(span["stamp"], list) or len(span["months"]) not in (0, 2):
                raise ValueError
            _span_months(span)
    except (AttributeError, KeyError, TypeError, ValueError):
        return {}
    return recorded


def _month_bounds(month: str) -> tuple[datetime, datetime]:
    """The first instant of a UTC month and of the next."""
    year, number = map(int, month.split("-"))
    after = (year + 1, 1) if number == 12 else (year, number + 1)
    return datetime(year, number, 1, tzinfo=UTC), datetime(*after, 1, tzinfo=UTC)


def _merge_intervals(con: duckdb.DuckDBPyConnection, store: Path, manifest: dict) -> None:
    """The interval rollups of every file merged into one part per UTC month, sorted by interval (an
    interval at a file boundary made one row): forecasts read them from disk, so they cost the store
    no memory. The manifest records the months each rollup has rows in (intervals_months), so that a
    month's part is written again only when a rollup with rows in it came, changed or went, or when
    the part is missing: adding a month's file rewrites that month and its neighbour, not every
    month."""
    fingerprint = _intervals_fingerprint(store)
    folder = merged_intervals_path(store)
    recorded = _recorded_spans(manifest)
    if manifest.get("intervals_fingerprint") == fingerprint and \
            all(merged_intervals_path(store, month).exists()
                for span in recorded.values() for month in _span_months(span)):
        return
    spans: dict[str, dict] = {}
    touched: set[str] = set()
    for path in sorted((store / "interactions" / "intervals").glob("*.parquet")):
        stat = path.stat()
        stamp = [stat.st_size, stat.st_mtime_ns]
        before = recorded.get(path.name)
        if before is not None and before["stamp"] == stamp:
            spans[path.name] = before
            continue
        [(first, last)] = con.execute(load_sql("rollup_interval_months"), {"path": str(path)}).fetchall()
        spans[path.name] = {"stamp": stamp, "months": [first, last] if first else []}
        touched.update(_span_months(spans[path.name]))
        if before is not None:
            touched.update(_span_months(before))  # the months the rollup had rows in before it changed
    for name in recorded.keys() - spans.keys():  # a file removed: the months its rollup had rows in
        touched.update(_span_months(recorded[name]))
    wanted: dict[str, list[str]] = {}  # month -> the rollups with rows in it
    for name, span in sorted(spans.items()):
        for month in _span_months(span):
            wanted.setdefault(month, []).append(str(store / "interactions" / "intervals" / name))
    touched.update(month for month in wanted if not merged_intervals_path(store, month).exists())
    # the manifest is saved only once every part is written: a run cut short finds the same rollups
    # changed against it, and writes the same months again
    for part in folder.glob("*.parquet") if folder.is_dir() else ():
        if part.stem not in wanted:
            part.unlink(missing_ok=True)
    for month in sorted(touched & wanted.keys()):
        start, end = _month_bounds(month)
        _copy_query(con, "load_intervals", {"paths": wanted[month], "start": start, "end": end},
                     merged_intervals_path(store, month))
    manifest["intervals_fingerprint"] = fingerprint
    manifest["intervals_months"] = spans
    _save_manifest(store, manifest)


DERIVED = ("customer_outcomes", "order_months")
# beside them, what adding an interactions file to them needs: when each customer's last NPS answer
# so far came (sql/customer_last_nps.sql) and their first coaching contact (sql/customer_coaching.sql)
LAST_NPS, COACHING = "customer_last_nps", "customer_coaching"
# the queries that make them: a change to any makes them again from every file
DERIVED_SQL = ("customer_value", "customer_contacts", "customer_outcomes", "customer_last_nps",
               "customer_coaching", "order_months", "order_months_merge")


def _hash(value: object) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:16]


def _derived_basis(entries: dict, settings: Settings) -> dict:
    """What the customer-level tables are made of: the queries and settings that make them, the order
    files, and each interactions file as prepared (path -> size, time, when prepared), so that a file
    added since can be told from a file changed, prepared again or removed."""
    def stamps(table: str) -> dict:
        return {entry["path"]: [entry["size_bytes"], entry["modified_ns"], entry.get("prepared_at")]
                for entry in entries.values() if entry["table"] == table}

    rules = [store_version(), settings.timezone, list(settings.coaching_queues),
             [load_sql(name) for name in DERIVED_SQL]]
    return {"rules": _hash(rules), "orders": _hash(stamps("orders")),
            "interactions": stamps("interactions")}


def _derived_fingerprint(entries: dict, settings: Settings) -> str:
    """What the customer-level tables depend on: every order and interaction file, and settings."""
    return _hash(_derived_basis(entries, settings))


def _copy_query(con: duckdb.DuckDBPyConnection, name: str, params: dict, path: Path,
                by_cohort: bool = False) -> None:
    """Write the result of sql/NAME.sql to a parquet file, streamed by DuckDB's own writer at zstd's
    fastest level (for a wide table of a million customers about a third faster than through Arrow,
    for a file 5% larger); a reader sees the old file or the new one, never half of one. by_cohort:
    `path` is a folder of one part per cohort month (YYYY-MM-DD.parquet), and only the cohort months
    in the result are written again."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = temporary_beside(path)
    target = _path_literal(temporary)
    options = "format parquet, compression zstd, compression_level 1, row_group_size 122880"
    if by_cohort:
        options += ", partition_by (cohort_month), write_partition_columns true"
    try:
        con.execute(f"copy (\n{load_sql(name)}\n) to {target} ({options})", params).fetchall()
        if not by_cohort:
            os.replace(temporary, path)
            return
        path.mkdir(exist_ok=True)
        # DuckDB writes cohort_month=YYYY-MM-DD/data_0.parquet (none where there are no rows)
        for written in sorted(temporary.iterdir()) if temporary.is_dir() else ():
            cohort = written.name.split("=", 1)[1]
            files = sorted(written.glob("*.parquet"))
            names = [f"{cohort}.parquet"] + [f"{cohort}.{number}.parquet" for number in range(1, len(files))]
            for old in path.glob(f"{cohort}*.parquet"):
                if old.name not in names:
                    old.unlink()
            for file, part in zip(files, names, strict=True):
                os.replace(file, path / part)
        if not any(path.glob("*.parquet")):  # no rows: one empty part, so the columns are still read
            con.execute(f"copy (select * from (\n{load_sql(name)}\n) limit 0) to "
                        f"{_path_literal(path / 'empty.parquet')} (format parquet)", params).fetchall()
    finally:
        if temporary.is_dir():
            shutil.rmtree(temporary, ignore_errors=True)
        else:
            temporary.unlink(missing_ok=True)


def _path_literal(path: Path) -> str:
    """A path of the store's (never a user value) as a SQL string, for COPY, which binds no path."""
    return "'" + str(path).replace("'", "''") + "'"


def cohort_parts(folder: Path) -> list[str]:
    """The parts of a table written by cohort month (_copy_query's by_cohort), in cohort order."""
    return sorted(str(part) for part in folder.glob("*.parquet")) if folder.is_dir() else []


def _write_table(table: pa.Table, path: Path) -> None:
    """Write an arrow table as _copy_query writes a query's result: whole or not at all."""
    temporary = temporary_beside(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        pq.write_table(table, temporary, compression="zstd", row_group_size=122_880)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _add_service(con: duckdb.DuckDBPyConnection, folder: Path, interactions: list[str],
                 settings: Settings) -> datetime | None:
    """Add the service customers had in these interactions files to derived/customer_outcomes, the
    times of their last NPS answers and their first coaching contacts: only these files are read, and
    only the cohort months whose customers had service in them are written again. Returns when the
    earliest first coaching contact that came earlier than before came (None when none did)."""
    outcomes, last_nps = folder / DERIVED[0], folder / f"{LAST_NPS}.parquet"
    coaching = folder / f"{COACHING}.parquet"
    contacts = temporary_beside(folder / "customer_contacts.parquet")
    # a customer's first 12 months are their cohort month and the 11 after: only the cohorts from 12
    # months before the earliest contact (a month more, for the local date) can have service in these
    # files (each part is named by its cohort month)
    [(earliest,)] = con.execute("select strftime(min(arrived_at) - interval 12 month, '%Y-%m-01') "
                                "from read_parquet($paths)", {"paths": interactions}).fetchall()
    parts = cohort_parts(outcomes)
    recent = [part for part in parts if earliest is None or Path(part).stem >= earliest]
    try:
        _copy_query(con, "customer_contacts", {
            "customers": parts, "recent": recent or parts[:1], "coaching": str(coaching),
            "interactions": interactions, "timezone": settings.timezone,
            "coaching_queues": list(settings.coaching_queues)}, contacts)
        changed = [str(outcomes / f"{cohort}.parquet") for (cohort,) in con.execute(
            "select distinct cohort_month::varchar from read_parquet($contacts) where contacts_12m > 0",
            {"contacts": str(contacts)}).fetchall()]
        added = {"last_nps": str(last_nps), "contacts": str(contacts)}
        if changed:
            _copy_query(con, "customer_outcomes", {"customers": changed, **added}, outcomes,
                        by_cohort=True)
        _copy_query(con, "customer_last_nps", added, last_nps)
        _copy_query(con, "customer_coaching", {"coaching": str(coaching), "contacts": str(contacts)},
                    coaching)
        [(earliest,)] = con.execute("select epoch_us(min(first_coached_at)) from read_parquet($contacts)",
                                    {"contacts": str(contacts)}).fetchall()
        epoch = datetime(1970, 1, 1, tzinfo=UTC)
        return None if earliest is None else epoch + timedelta(microseconds=earliest)
    finally:
        contacts.unlink(missing_ok=True)


def _recount_order_months(con: duckdb.DuckDBPyConnection, folder: Path, orders: list[str],
                          since: datetime, settings: Settings) -> None:
    """Orders by month and coaching counted again from the local month of `since` on (the months
    before keep their rows: no order in them follows a first coaching contact that moved)."""
    path = folder / f"{DERIVED[1]}.parquet"
    recounted = temporary_beside(path)
    try:
        _copy_query(con, "order_months", {
            "orders": orders, "coaching": str(folder / f"{COACHING}.parquet"),
            "timezone": settings.timezone, "since": since}, recounted)
        _copy_query(con, "order_months_merge", {"before": str(path), "recounted": str(recounted)}, path)
    finally:
        recounted.unlink(missing_ok=True)


def _build_derived(con: duckdb.DuckDBPyConnection, store: Path, manifest: dict, settings: Settings,
                   progress: Progress) -> None:
    """Link orders to the service their customers had: one row per customer, and orders by month
    split by coaching. These span every file: an interactions file added since they were made (a new
    month) is added to them, reading only that file; any other change to the order or interactions
    files makes them again from every file; unchanged data costs nothing."""
    basis = _derived_basis(manifest["files"], settings)
    fingerprint = _hash(basis)
    folder = store / "derived"
    # customer_outcomes is a folder of one part per cohort month (only those a month's file changes
    # are written again); order_months, the last NPS answers and first coaching contacts are files
    outputs = [folder / DERIVED[0], folder / f"{DERIVED[1]}.parquet"]
    kept = [*outputs, folder / f"{LAST_NPS}.parquet", folder / f"{COACHING}.parquet"]
    if manifest.get("derived_fingerprint") == fingerprint and \
            (all(path.exists() for path in kept) or not any(path.exists() for path in kept)):
        return
    # what the tables were made of; forgotten until they are made again, so that a run cut short
    # leaves nothing to add to (the next one makes them from every file)
    previous = manifest.pop("derived_basis", None)
    manifest.pop("derived_fingerprint", None)
    _save_manifest(store, manifest)

    def clean(table: str, paths: set[str] | None = None) -> list[str]:
        return [str(store / table / "clean" / f"{file_key(table, entry['path'])}.parquet")
                for entry in manifest["files"].values()
                if entry["table"] == table and entry["rows_used"]
                and (paths is None or entry["path"] in paths)
                and (store / table / "clean" / f"{file_key(table, entry['path'])}.parquet").exists()]

    orders, interactions = clean("orders"), clean("interactions")
    # only interactions files added since (every file they were made of unchanged, the same orders,
    # queries and settings) can be added to them
    before = previous.get("interactions") if isinstance(previous, dict) else None
    incremental = bool(orders) and isinstance(before, dict) and all(path.exists() for path in kept) \
        and all(previous.get(part) == basis[part] for part in ("rules", "orders")) \
        and all(basis["interactions"].get(path) == stamp for path, stamp in before.items())
    if incremental:
        added = clean("interactions", set(basis["interactions"]) - set(before))
        if added:
            progress(0.95, "Adding the new interactions to the customer tables")
            since = _add_service(con, folder, added, settings)
            if since is not None:
                _recount_order_months(con, folder, orders, since, settings)
    else:
        shutil.rmtree(folder, ignore_errors=True)
        if orders:
            progress(0.95, "Linking orders to the service their customers had")
            _copy_query(con, "customer_value", {"orders": orders, "timezone": settings.timezone},
                        outputs[0], by_cohort=True)
            for path, column in ((kept[2], "nps_last_at"), (kept[3], "first_coached_at")):
                _write_table(pa.table({"customer_id": pa.array([], pa.string()),
                                       column: pa.array([], pa.timestamp("us", tz="UTC"))}), path)
            if interactions:
                _add_service(con, folder, interactions, settings)
            _copy_query(con, "order_months", {"orders": orders, "coaching": str(kept[3]),
                                               "timezone": settings.timezone, "since": None}, outputs[1])
    manifest["derived_basis"] = basis
    manifest["derived_fingerprint"] = fingerprint
    _save_manifest(store, manifest)


def rollup_parameters(settings: Settings) -> dict:
    """The settings that sql/rollup_daily.sql binds (all but $path)."""
    channels = sorted(settings.first_response_seconds)
    return {
        "timezone": settings.timezone,
        "live_channels": list(settings.live_channels),
        "async_channels": list(settings.async_channels),
        "service_level_seconds": settings.service_level_seconds,
        "short_abandon_seconds": settings.short_abandon_seconds,
        "response_channels": channels,
        "response_seconds": [settings.first_response_seconds[c] for c in channels],
    }
