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
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from cxdash.contract import (
    CHANNELS,
    COST_TYPES,
    COSTS_COLUMNS,
    INTERACTION_COLUMNS,
    ORDERS_COLUMNS,
    QA_COLUMNS,
    Column,
)
from cxdash.db import connect, load_sql
from cxdash.settings import Settings

STORE_DIR = ".cxdash"
STORE_VERSION = 8  # 4: one-column checks read values as written; 5: abandonment derived in the rollup;
# 6: a detailed rollup by agent and tier beside the daily one; 7: an hourly rollup (contacts by local
# day, hour and channel) beside the daily one; 8: a 15-minute interval rollup for forecasting

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class TableSpec:
    """A contract table: its folder under DATA/, columns, unique key and file kinds accepted."""

    name: str
    columns: tuple[Column, ...]
    key: str
    sort_column: str
    extensions: tuple[str, ...] = (".parquet",)


TABLES: dict[str, TableSpec] = {
    "interactions": TableSpec("interactions", INTERACTION_COLUMNS, "interaction_id", "arrived_at"),
    "costs": TableSpec("costs", COSTS_COLUMNS, "", "month", (".parquet", ".csv")),
    "orders": TableSpec("orders", ORDERS_COLUMNS, "order_id", "ordered_at", (".parquet", ".csv")),
    "qa": TableSpec("qa", QA_COLUMNS, "", "evaluated_at", (".parquet", ".csv")),
}


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
            "files": [
                {k: v for k, v in report.__dict__.items()
                 if k not in ("prepared_at", "rollup_fingerprint", "modified_ns")}
                for report in self.files
            ],
            "messages": self.messages(),
        }


def file_key(table: str, relative_path: str) -> str:
    return hashlib.sha1(f"{table}/{relative_path}".encode()).hexdigest()[:16]


def store_path(folder: Path) -> Path:
    return folder / STORE_DIR


def source_files(folder: Path, spec: TableSpec) -> list[Path]:
    """Every file of a table, at any depth (hive partitions welcome), in a stable order."""
    root = folder / spec.name
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*")
                  if p.is_file() and p.suffix.lower() in spec.extensions
                  and not any(part.startswith(".") for part in p.relative_to(root).parts))


@contextmanager
def _store_lock(store: Path):
    store.mkdir(parents=True, exist_ok=True)
    with open(store / "lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_query(con: duckdb.DuckDBPyConnection, name: str, params: dict, path: Path) -> None:
    """Write the result of sql/NAME.sql to a parquet file batch by batch, so memory stays bounded."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    batches = con.sql(load_sql(name), params=params).to_arrow_reader(122_880)
    with pq.ParquetWriter(temporary, batches.schema, compression="zstd") as writer:
        for batch in batches:
            writer.write_batch(batch, row_group_size=122_880)
    os.replace(temporary, path)


def _load_manifest(store: Path) -> dict:
    try:
        manifest = json.loads((store / "manifest.json").read_text())
    except (OSError, ValueError):
        return {"version": STORE_VERSION, "files": {}}
    if manifest.get("version") != STORE_VERSION:
        return {"version": STORE_VERSION, "files": {}}
    return manifest


def _save_manifest(store: Path, manifest: dict) -> None:
    temporary = store / "manifest.json.tmp"
    temporary.write_text(json.dumps(manifest, indent=1, sort_keys=True))
    os.replace(temporary, store / "manifest.json")


# the summaries of each interactions file (see _build_rollup): a file missing any is summarised again
ROLLUPS = ("detail", "rollup", "hourly", "intervals")


def _remove_outputs(store: Path, table: str, key: str) -> None:
    for kind in ("clean", "rejected", *ROLLUPS):
        (store / table / kind / f"{key}.parquet").unlink(missing_ok=True)


def prepare(folder: Path, settings: Settings, progress: Progress | None = None) -> PrepareReport:
    """Bring the prepared store in line with the source files; cheap when nothing changed."""
    started = time.perf_counter()
    folder = Path(folder)
    store = store_path(folder)
    report_progress = progress or (lambda fraction, message: None)
    with _store_lock(store):
        manifest = _load_manifest(store)
        if not manifest["files"]:
            # a new, unreadable or older manifest: outputs an earlier run left cannot be trusted
            for name in TABLES:
                shutil.rmtree(store / name, ignore_errors=True)
        entries: dict[str, dict] = manifest["files"]
        current: dict[str, tuple[TableSpec, Path, os.stat_result]] = {}
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
        for ident in removed | stale:
            if ident in entries:
                entry = entries.pop(ident)
                _remove_outputs(store, entry["table"], file_key(entry["table"], entry["path"]))

        # spill to the store's own folder rather than hold a large file's stages in memory
        con = connect(temp_directory=store / "spill")
        try:
            con.execute("set TimeZone = 'UTC'")
            ordered = sorted(stale, key=lambda ident: (list(TABLES).index(ident.split(":")[0]),
                                                        ident))
            for number, ident in enumerate(ordered):
                spec, path, stat = current[ident]
                report_progress(number / max(len(ordered), 1),
                                f"Checking {path.relative_to(folder).as_posix()}")
                report = _validate_file(con, folder, store, spec, path, stat)
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
            _save_manifest(store, manifest)
            _merge_intervals(con, store, manifest)
            _build_derived(con, store, manifest, settings, report_progress)
        finally:
            con.close()

    files = [FileReport(**entries[ident]) for ident in sorted(entries)]
    report_progress(1.0, "Ready")
    return PrepareReport(folder=folder, files=files, reprocessed=sorted(stale),
                         seconds=time.perf_counter() - started)


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _problem(condition: str, column: str, problem: str) -> str:
    return f"case when {condition} then {{'column': '{column}', 'problem': '{problem}'}} end"


def _typed_select(spec: TableSpec, present: dict[str, str]) -> tuple[list[str], list[str]]:
    """SQL select items typing each contract column, and the problem checks per row.

    Identifiers come only from the contract (an allow-list); a source column is used only when
    its name matches a contract column, compared case-insensitively.
    """
    items, checks = [], []
    for column in spec.columns:
        source = present.get(column.name)
        if source is None:
            items.append(f"null::{column.sql_type} as {column.name}")
            if column.required:
                checks.append(_problem("true", column.name, "missing required column"))
            continue
        raw = _quote(source)
        value = f"try_cast({raw} as {column.sql_type})"
        if column.name == "channel":
            value = f"lower(trim(try_cast({raw} as varchar)))"
        items.append(f"{value} as {column.name}")
        type_name = {"VARCHAR": "text", "TIMESTAMPTZ": "timestamp", "DOUBLE": "number",
                     "INTEGER": "whole number", "BOOLEAN": "true/false",
                     "DATE": "date"}[column.sql_type]
        checks.append(_problem(f"{raw} is not null and {value} is null", column.name,
                               f"not a valid {type_name}"))
        if column.required:
            checks.append(_problem(f"{raw} is null", column.name, "is empty"))
        if column.sql_type == "INTEGER":
            checks.append(_problem(f"{value} is not null and try_cast({raw} as double) <> {value}",
                                   column.name, "not a whole number"))
        if column.minimum is not None and column.maximum is not None:
            checks.append(_problem(
                f"{value} not between {column.minimum:g} and {column.maximum:g}", column.name,
                f"outside {column.minimum:g}-{column.maximum:g}"))
        elif column.minimum is not None:
            checks.append(_problem(f"{value} < {column.minimum:g}", column.name,
                                   "negative" if column.minimum == 0 else
                                   f"below {column.minimum:g}"))
    return items, checks


def _problem_list(checks: list[str]) -> str:
    """A SQL list of the problems a row has among the checks (an empty list when none apply)."""
    if not checks:
        return "[]::struct(\"column\" varchar, problem varchar)[]"
    return "list_filter([" + ", ".join(checks) + "], lambda p: p is not null)"


def _table_checks(spec: TableSpec) -> list[str]:
    """Checks that involve more than one column or a fixed vocabulary."""
    if spec.name == "interactions":
        channels = ", ".join(f"'{c}'" for c in CHANNELS)
        return [
            _problem(f"channel is not null and channel not in ({channels})", "channel",
                     "unknown channel"),
            _problem("answered_at < arrived_at", "answered_at", "answered before arrived"),
            _problem("ended_at < arrived_at", "ended_at", "ended before arrived"),
            _problem("abandoned and answered_at is not null", "abandoned",
                     "marked abandoned but answered"),
        ]
    if spec.name == "costs":
        channels = ", ".join(f"'{c}'" for c in (*CHANNELS, "shared"))
        types = ", ".join(f"'{t}'" for t in COST_TYPES)
        return [
            _problem(f"lower(channel) not in ({channels})", "channel", "unknown channel"),
            _problem(f"lower(cost_type) not in ({types})", "cost_type", "unknown cost type"),
            _problem("day(month) <> 1", "month", "not the first day of a month"),
        ]
    if spec.name == "qa":
        return [_problem("score > max_score or score < 0 or max_score <= 0", "score",
                         "outside 0-max_score")]
    return []


def _validate_file(con: duckdb.DuckDBPyConnection, folder: Path, store: Path, spec: TableSpec,
                   path: Path, stat: os.stat_result) -> FileReport:
    relative = path.relative_to(folder).as_posix()
    report = FileReport(table=spec.name, path=relative, size_bytes=stat.st_size,
                        modified_ns=stat.st_mtime_ns, prepared_at=time.time())
    try:
        if path.suffix.lower() == ".csv":
            con.execute(load_sql("stage_csv_file"), {"path": str(path)})
        else:
            con.execute(load_sql("stage_parquet_file"), {"path": str(path)})
    except duckdb.Error as error:
        report.unreadable = str(error).splitlines()[0][:300]
        return report

    described = con.execute("describe staged_raw").fetchall()
    present: dict[str, str] = {}
    for name, *_ in described:
        if name == "source_row":
            continue
        lowered = name.lower()
        if any(c.name == lowered for c in spec.columns) and lowered not in present:
            present[lowered] = name
        else:
            report.ignored_columns.append(name)

    items, column_checks = _typed_select(spec, present)
    key = spec.key
    typed_sql = (
        f"create or replace temp table staged_typed as select *, {spec.sort_column} as sort_time "
        "from (select source_row, " + ", ".join(items) + " from staged_raw)"
    )
    con.execute(typed_sql)
    if spec.name == "costs":
        con.execute("update staged_typed set channel = lower(channel), "
                    "cost_type = lower(cost_type)")

    # checks of one column read the value as written (staged_raw): in staged_typed a value that
    # does not cast is already null, and would pass as empty
    con.execute("create or replace temp table staged_column_problems as select source_row, "
                f"{_problem_list(column_checks)} as problems from staged_raw")
    duplicate_check = ""
    if key:
        duplicate_check = (
            f", case when row_number() over (partition by {key} order by source_row) > 1 "
            f"and {key} is not null then [{{'column': '{key}', "
            f"'problem': 'repeats an id seen earlier in this file'}}] else [] end"
        )
    con.execute(
        "create or replace temp table staged_problems as select source_row, "
        f"list_concat(staged_column_problems.problems, {_problem_list(_table_checks(spec))}"
        f"{duplicate_check}) as problems "
        "from staged_typed join staged_column_problems using (source_row)"
    )

    if key:
        clean_elsewhere = sorted(
            p for p in (store / spec.name / "clean").glob("*.parquet")
            if p.stem != file_key(spec.name, relative)
        ) if (store / spec.name / "clean").is_dir() else []
        if clean_elsewhere:
            rows = con.execute(load_sql("duplicates_elsewhere"),
                               {"paths": [str(p) for p in clean_elsewhere], "key": key}).fetchall()
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
    _write_query(con, "clean_rows", {"source_file": relative},
                 store / spec.name / "clean" / f"{file_id}.parquet")
    if report.rows_set_aside:
        _write_query(con, "rejected_rows", {"source_file": relative},
                     store / spec.name / "rejected" / f"{file_id}.parquet")
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
    _write_query(con, "rollup_daily", {**rollup_parameters(settings), "path": str(clean_path)}, detail)
    _write_query(con, "load_daily", {"paths": [str(detail)]},
                 store / "interactions" / "rollup" / f"{file_id}.parquet")
    # contacts by local day, hour and channel, for the intraday and weekly shape
    _write_query(con, "rollup_hourly", {"path": str(clean_path), "timezone": settings.timezone},
                 store / "interactions" / "hourly" / f"{file_id}.parquet")
    # arrivals and workload by 15-minute interval, channel and queue, for forecasting
    _write_query(con, "rollup_intervals", {"path": str(clean_path),
                                           "live_channels": list(settings.live_channels),
                                           "short_abandon_seconds": settings.short_abandon_seconds},
                 store / "interactions" / "intervals" / f"{file_id}.parquet")


def merged_intervals_path(store: Path) -> Path:
    return store / "interactions" / "intervals_merged.parquet"


def _merge_intervals(con: duckdb.DuckDBPyConnection, store: Path, manifest: dict) -> None:
    """The interval rollups of every file as one file sorted by interval (an interval at a file
    boundary made one row): forecasts read it from disk, so it costs the store no memory. Written
    again only when an interval rollup changed."""
    paths = sorted((store / "interactions" / "intervals").glob("*.parquet"))
    fingerprint = hashlib.sha256(json.dumps(
        [(p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in paths]).encode()).hexdigest()[:16]
    target = merged_intervals_path(store)
    if manifest.get("intervals_fingerprint") == fingerprint and (target.exists() or not paths):
        return
    target.unlink(missing_ok=True)
    if paths:
        _write_query(con, "load_intervals", {"paths": [str(p) for p in paths]}, target)
    manifest["intervals_fingerprint"] = fingerprint
    _save_manifest(store, manifest)


DERIVED = ("customer_outcomes", "order_months")


def _derived_fingerprint(entries: dict, settings: Settings) -> str:
    """What the customer-level tables depend on: every order and interaction file, and settings."""
    files = sorted((entry["path"], entry["size_bytes"], entry["modified_ns"])
                   for entry in entries.values() if entry["table"] in ("orders", "interactions"))
    basis = [STORE_VERSION, settings.timezone, list(settings.coaching_queues), files]
    return hashlib.sha256(json.dumps(basis).encode()).hexdigest()[:16]


def _build_derived(con: duckdb.DuckDBPyConnection, store: Path, manifest: dict, settings: Settings,
                   progress: Progress) -> None:
    """Link orders to the service their customers had: one row per customer, and orders by month
    split by coaching. These span every file, so they are rebuilt whenever an order or an
    interaction file changes; unchanged data costs nothing."""
    fingerprint = _derived_fingerprint(manifest["files"], settings)
    folder = store / "derived"
    outputs = [folder / f"{name}.parquet" for name in DERIVED]
    if manifest.get("derived_fingerprint") == fingerprint and \
            (all(path.exists() for path in outputs) or not any(path.exists() for path in outputs)):
        return
    shutil.rmtree(folder, ignore_errors=True)

    def clean(table: str) -> list[str]:
        return [str(store / table / "clean" / f"{file_key(table, entry['path'])}.parquet")
                for entry in manifest["files"].values()
                if entry["table"] == table and entry["rows_used"]
                and (store / table / "clean" / f"{file_key(table, entry['path'])}.parquet").exists()]

    orders, interactions = clean("orders"), clean("interactions")
    if orders:
        progress(0.95, "Linking orders to the service their customers had")
        if not interactions:
            empty = folder / "no_interactions.parquet"
            empty.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(contract_schema(INTERACTION_COLUMNS).empty_table(), empty)
            interactions = [str(empty)]
        _write_query(con, "customer_outcomes", {
            "orders": orders, "interactions": interactions, "timezone": settings.timezone,
            "coaching_queues": list(settings.coaching_queues)}, outputs[0])
        _write_query(con, "order_months", {"orders": orders, "customers": str(outputs[0]),
                                           "timezone": settings.timezone}, outputs[1])
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


_ARROW_TYPES = {
    "VARCHAR": pa.string(), "TIMESTAMPTZ": pa.timestamp("us", tz="UTC"), "DOUBLE": pa.float64(),
    "INTEGER": pa.int32(), "BOOLEAN": pa.bool_(), "DATE": pa.date32(),
}


def contract_schema(columns: tuple[Column, ...]) -> pa.Schema:
    """The arrow schema of a contract table, as the demo writes it and the store expects it."""
    return pa.schema([(c.name, _ARROW_TYPES[c.sql_type]) for c in columns])
