"""The query side: an in-memory DuckDB holding the daily measures, with views over the prepared files.

Opening a store prepares the data folder (cheap when nothing changed), loads the small daily and
hourly rollups into memory (for the app's many queries; a one-off command leaves them on disk) and
registers one view per contract table (and over the 15-minute rollup), so SQL names tables, never
paths.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
import threading
import uuid
import weakref
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pyarrow.parquet as pq

from cxdash.contract import SET_ASIDE_COLUMNS, SOURCE_FILE, contract_schema, create_table_sql
from cxdash.db import connect, load_sql, query_rows, run_query
from cxdash.ingest import (
    SNAPSHOTS_DIR,
    TABLES,
    PrepareReport,
    Progress,
    cohort_parts,
    merged_intervals_path,
    prepare,
    rollup_parameters,
    store_lock,
    store_outputs,
    store_path,
)
from cxdash.settings import Settings, load_settings

if TYPE_CHECKING:  # query results are DataFrames, but a store that only fetches rows never loads pandas
    import pandas as pd


def _literal(text: str) -> str:
    """A SQL string literal; used only for the store's own file globs, never for user values."""
    return "'" + text.replace("'", "''") + "'"


def _listed(paths: list[Path]) -> str:
    """A SQL list of the store's own files (see _literal)."""
    return "[" + ", ".join(_literal(str(path)) for path in paths) + "]"


# the columns of the customer-level tables (sql/customer_outcomes.sql, sql/customer_coaching.sql,
# sql/order_months.sql), for a folder without orders: the same columns, no rows, so every query
# still runs
DERIVED_COLUMNS = {
    "customer_outcomes": "customer_id VARCHAR, cohort_month DATE, first_order_at TIMESTAMPTZ, "
                         "revenue_12m_usd DOUBLE, revenue_24m_usd DOUBLE, purchases_12m BIGINT, "
                         "contacts_12m BIGINT, fcr_known_12m BIGINT, fcr_unresolved_12m BIGINT, "
                         "nps_last_12m INTEGER, csat_good_12m BIGINT, csat_bad_12m BIGINT",
    "customer_coaching": "customer_id VARCHAR, first_coached_at TIMESTAMPTZ",
    "order_months": "month DATE, after_coaching BOOLEAN, orders BIGINT, returned BIGINT, "
                    "warranty_claims BIGINT, revenue_usd DOUBLE, refunds_usd DOUBLE",
}
# the columns of sql/load_hourly.sql, for a folder without interactions
HOURLY_COLUMNS = "day DATE, hour INTEGER, channel VARCHAR, contacts BIGINT"
# the columns of sql/load_intervals.sql, likewise
INTERVAL_COLUMNS = ("slot TIMESTAMPTZ, channel VARCHAR, queue VARCHAR, contacts BIGINT, handled BIGINT, "
                    "handle_seconds DOUBLE, live_offered BIGINT, live_abandoned BIGINT, "
                    "live_queue_seconds DOUBLE")
COSTS_TABLE, COST_MODEL = "the costs table", "the cost model"


def _drop_snapshot(root: Path, handle) -> None:
    handle.close()
    shutil.rmtree(root, ignore_errors=True)


class Store:
    """Prepared data of one folder, ready for the queries of sql/."""

    def __init__(self, folder: Path, settings: Settings, report: PrepareReport, resident: bool = True,
                 teams: tuple[str, ...] | None = None):
        self.folder = folder
        # a team lead's store: every relation the queries read holds these teams' rows only (see _scope)
        self.teams = tuple(teams) if teams is not None else None
        self.resident = resident
        self.settings = settings
        self.report = report
        self.path = report.store or store_path(folder)  # the prepared store: DATA/.cxdash, or elsewhere
        self._lock = threading.Lock()
        self._memo: dict[tuple, object] = {}
        self._pending: dict[tuple, threading.Lock] = {}  # the keys being computed, each with its lock
        self._views: dict[str, str] = {}  # the query behind each view over prepared files
        self.cost_source = COSTS_TABLE
        self._scratch_dir: tempfile.TemporaryDirectory | None = None
        self._release_snapshot: weakref.finalize | None = None
        self._db = connect()
        self._register()

    @classmethod
    def open(cls, folder: Path, progress: Progress | None = None, resident: bool = True,
             teams: tuple[str, ...] | None = None) -> Store:
        """Prepare the folder and open its store. resident: the daily and hourly rollups are loaded
        into memory, which the app's many queries repay; without, they are views of the prepared
        files, so a command that runs a query or two reads only the days it asks for. teams: a store
        scoped to these teams (a team lead's), which holds no other team's rows at all."""
        settings = load_settings(folder)
        report = prepare(folder, settings, progress)
        return cls(folder, settings, report, resident, teams)

    def _summary(self, name: str, query: str, paths: list[Path]) -> None:
        """The table `name` as sql/QUERY.sql makes it from prepared files ($paths): in memory when the
        store is resident, else a view that reads them when queried (a view cannot bind parameters,
        so the paths, the store's own, are written into it)."""
        if self.resident:
            self._db.execute(f"create or replace table {name} as " + load_sql(query),
                             {"paths": [str(p) for p in paths]})
        else:
            self._view(name, load_sql(query).replace("$paths", _listed(paths)))

    def _take_snapshot(self) -> Path:
        """Hard links to every prepared file as they are now, which this store's views read: a
        later preparation (another visitor's, after an import) replaces or removes the store's files,
        never these, so a store open in a session stays whole until it is closed. The snapshot goes
        when the store is closed or collected; one left by a process that died is removed by the next
        preparation. Where links cannot be made (a read-only store, which nothing changes, or a file
        system without them) the store's own files are read."""
        if not os.access(self.path, os.W_OK):
            return self.path
        root = self.path / SNAPSHOTS_DIR / f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        handle = None
        try:
            root.mkdir(parents=True)
            handle = open(root / "lock", "w")
            fcntl.flock(handle, fcntl.LOCK_EX)  # held while this store lives
            with store_lock(self.path, shared=True):  # not while a preparation is changing files
                for relative in store_outputs(self.path):
                    (root / relative).parent.mkdir(parents=True, exist_ok=True)
                    os.link(self.path / relative, root / relative)
        except OSError:
            if handle is not None:
                handle.close()
            shutil.rmtree(root, ignore_errors=True)
            return self.path
        self._release_snapshot = weakref.finalize(self, _drop_snapshot, root, handle)
        return root

    def _register(self) -> None:
        store = self._take_snapshot()
        con = self._db
        con.execute(f"set TimeZone = {_literal(self.settings.timezone)}")
        modeled_costs = not any(f.rows_used for f in self.report.for_table("costs"))
        for name, spec in TABLES.items():
            if name == "costs" and modeled_costs:
                continue  # made below, from the daily rollup
            clean = store / name / "clean"
            if clean.is_dir() and any(clean.glob("*.parquet")):
                self._view(name, f"select * from read_parquet({_literal(str(clean / '*.parquet'))})")
            else:
                con.execute(create_table_sql(name, (*spec.columns, SOURCE_FILE)))
        rejected = sorted(store.glob("*/rejected/*.parquet"))
        if rejected:
            con.execute("create or replace view set_aside as select * from read_parquet("
                        f"{_literal(str(store / '*' / 'rejected' / '*.parquet'))}, union_by_name = true)")
        else:
            con.execute(create_table_sql("set_aside", SET_ASIDE_COLUMNS))
        # the daily measures; with no interactions yet, those of an empty rollup: the same columns,
        # no rows, so every page query still runs
        rollups = sorted((store / "interactions" / "rollup").glob("*.parquet")) or [self._empty_rollup()]
        self._summary("daily", "load_daily", rollups)
        # the local days of the daily measures, for the span of the data (sql/data_span.sql): read
        # from the files, a store that leaves them on disk need not sum every measure of every day
        # first (a day at a file boundary is listed twice, which a span does not mind)
        con.execute("create or replace view daily_days as select day from " +
                    ("daily" if self.resident else f"read_parquet({_listed(rollups)})"))
        # contacts by local day, hour and channel (a few hundred thousand rows at most): the
        # intraday and weekly shape never reads more than this
        hourly = sorted((store / "interactions" / "hourly").glob("*.parquet"))
        if hourly:
            self._summary("hourly", "load_hourly", hourly)
        else:
            con.execute(f"create or replace table hourly ({HOURLY_COLUMNS})")
        # arrivals and workload by 15-minute interval, channel and queue, what forecasts learn from:
        # one part per month on disk, each sorted by interval (millions of rows at scale: not held
        # in memory)
        merged = merged_intervals_path(store)
        if any(merged.glob("*.parquet")):
            con.execute("create or replace view intervals as select * from read_parquet("
                        f"{_literal(str(merged / '*.parquet'))})")
        else:
            con.execute(f"create or replace table intervals ({INTERVAL_COLUMNS})")
        # the detailed rollup stays on disk (sorted by day, so a date range reads few row groups);
        # a local day at a file boundary has rows in two files, so queries of it always sum
        details = store / "interactions" / "detail"
        source = str(details / "*.parquet") if any(details.glob("*.parquet")) else \
            str(self._empty_rollup())
        self._view("quality", f"select * from read_parquet({_literal(source)})")
        for name, columns in DERIVED_COLUMNS.items():
            # customer_outcomes is written in parts by cohort month, order_months in one file
            path = store / "derived" / name
            paths = cohort_parts(path) if path.is_dir() else \
                [path.with_suffix(".parquet")] if path.with_suffix(".parquet").exists() else []
            if paths:
                con.execute(f"create or replace view {name} as select * from read_parquet("
                            f"{_listed([Path(p) for p in paths])})")
            else:
                con.execute(f"create or replace table {name} ({columns})")
        if modeled_costs:
            # no costs table: the settings' cost model stands in for it, so every cost figure
            # (overview tile, monthly report, command line) comes from one place either way
            con.execute("create or replace table costs as " + load_sql("modeled_costs"),
                        self.settings.cost_model.parameters())
            self.cost_source = COST_MODEL
        if self.teams is not None:
            self._scope()

    def _scope(self) -> None:
        """Narrow every relation to the store's teams, in place, so that no query of sql/, whatever
        its parameters, can read another team's rows: the rollups and interactions keep their teams'
        rows (an empty list of teams keeps none); QA results keep their interactions'; what has no team
        (costs, booked per channel; the hourly and interval summaries; orders and customers; rows set
        aside) is emptied. Each relation is replaced, not renamed: no unscoped one is left on this
        connection for any query to reach."""
        con = self._db
        con.execute("create or replace table scope_teams as select unnest($teams::varchar[]) as team",
                    {"teams": list(self.teams)})
        in_scope = "coalesce(team, '(none)') in (select team from scope_teams)"
        for name in ("interactions", "quality", "daily"):
            if name in self._views:  # the same files read, their other teams' rows left out
                con.execute(f"create or replace view {name} as select * from ({self._views[name]}) "
                            f"where {in_scope}")
            else:  # a table: in memory (the daily rollup), or empty
                con.execute(f"delete from {name} where not {in_scope}")
        con.execute("create or replace view daily_days as select day from daily")
        theirs = "interaction_id in (select interaction_id from interactions)"
        if "qa" in self._views:
            con.execute(f"create or replace view qa as select * from ({self._views['qa']}) where {theirs}")
        else:
            con.execute(f"delete from qa where not {theirs}")
        emptied = ["costs", "orders", "hourly", "intervals", "set_aside", *DERIVED_COLUMNS]
        for name in emptied:
            con.execute(f"create or replace table scoped_{name} as select * from {name} limit 0")
            con.execute(f"drop {self._kind(name)} {name}")
            con.execute(f"alter table scoped_{name} rename to {name}")

    def _kind(self, name: str) -> str:
        """Whether `name` is a view or a table on this store's connection."""
        [(views,)] = self._db.execute("select count(*) from duckdb_views() where view_name = $name "
                                      "and not internal", {"name": name}).fetchall()
        return "view" if views else "table"

    def _view(self, name: str, select: str) -> None:
        """A view over prepared files, its query kept so that a scoped store can narrow it."""
        self._views[name] = select
        self._db.execute(f"create or replace view {name} as {select}")

    def _empty_rollup(self) -> Path:
        """A detailed rollup with no rows, for a folder without interactions (columns, no data); in
        the store, or, where that is read-only, in a temporary folder of this store's own."""
        store = self.path if os.access(self.path, os.W_OK) else Path(self._scratch())
        path = store / "empty_rollup.parquet"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            source = store / "empty_interactions.parquet"
            pq.write_table(contract_schema(TABLES["interactions"].columns).empty_table(), source)
            empty = self._db.sql(load_sql("rollup_daily"), params={
                **rollup_parameters(self.settings), "path": str(source)}).to_arrow_table()
            pq.write_table(empty, path)
        return path

    def _scratch(self) -> str:
        if self._scratch_dir is None:
            self._scratch_dir = tempfile.TemporaryDirectory(prefix="cxdash-store-")
        return self._scratch_dir.name

    def query(self, name: str, **params) -> pd.DataFrame:
        """Run sql/NAME.sql with bound parameters on its own cursor."""
        return run_query(self._db, name, params)

    def rows(self, name: str, **params) -> tuple[list[str], list[tuple]]:
        """Run sql/NAME.sql with bound parameters on its own cursor: column names and rows of Python
        values, without pandas."""
        return query_rows(self._db, name, params)

    def query_once(self, name: str, **params) -> pd.DataFrame:
        """A query's result for these parameters, computed once: a store's data never changes.
        Parameter values must be hashable (dates, numbers, text, tuples)."""
        key = (name, tuple(sorted(params.items())))
        return self.remember(key, lambda: self.query(name, **{k: list(v) if isinstance(v, tuple) else v
                                                               for k, v in params.items()})).copy()

    def remember(self, key: tuple, compute):
        """A value derived from this store's data, computed once (the data never changes) and kept
        with the store, so it goes when the store does. Callers asking for the same key at once (many
        visitors opening the same page) wait for the first one's computation rather than repeat it;
        other keys do not wait. A computation that fails is left to the next caller."""
        with self._lock:
            if key in self._memo:
                return self._memo[key]
            pending = self._pending.setdefault(key, threading.Lock())
        with pending:
            with self._lock:
                if key in self._memo:
                    return self._memo[key]
            value = compute()
            with self._lock:
                self._memo[key] = value
                self._pending.pop(key, None)
            return value

    def cursor(self) -> duckdb.DuckDBPyConnection:
        return self._db.cursor()

    @property
    def has_interactions(self) -> bool:
        return any(f.rows_used for f in self.report.for_table("interactions"))

    def close(self) -> None:
        self._db.close()
        if self._release_snapshot is not None:
            self._release_snapshot()
        if self._scratch_dir is not None:
            self._scratch_dir.cleanup()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
