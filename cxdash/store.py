"""The query side: an in-memory DuckDB holding the daily measures, with views over the prepared files.

Opening a store prepares the data folder (cheap when nothing changed), loads the small daily
rollup into memory and registers one view per contract table, so SQL names tables, never paths.
"""

from __future__ import annotations

import threading
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq

from cxdash.contract import Column
from cxdash.db import connect, load_sql, run_query
from cxdash.ingest import (
    TABLES,
    PrepareReport,
    Progress,
    contract_schema,
    prepare,
    rollup_parameters,
    store_path,
)
from cxdash.settings import Settings, load_settings


def _literal(text: str) -> str:
    """A SQL string literal; used only for the store's own file globs, never for user values."""
    return "'" + text.replace("'", "''") + "'"


def _empty_table_sql(name: str, columns: tuple[Column, ...]) -> str:
    spec = ", ".join(f"{c.name} {c.sql_type}" for c in columns)
    return f"create or replace table {name} ({spec}, source_file VARCHAR)"


class Store:
    """Prepared data of one folder, ready for the queries of sql/."""

    def __init__(self, folder: Path, settings: Settings, report: PrepareReport):
        self.folder = folder
        self.settings = settings
        self.report = report
        self._lock = threading.Lock()
        self._memo: dict[str, pd.DataFrame] = {}
        self._db = connect()
        self._register()

    @classmethod
    def open(cls, folder: Path, progress: Progress | None = None) -> Store:
        settings = load_settings(folder)
        report = prepare(folder, settings, progress)
        return cls(folder, settings, report)

    def _register(self) -> None:
        store = store_path(self.folder)
        con = self._db
        con.execute(f"set TimeZone = {_literal(self.settings.timezone)}")
        for name, spec in TABLES.items():
            clean = store / name / "clean"
            if clean.is_dir() and any(clean.glob("*.parquet")):
                con.execute(f"create or replace view {name} as select * from read_parquet("
                            f"{_literal(str(clean / '*.parquet'))})")
            else:
                con.execute(_empty_table_sql(name, spec.columns))
        rejected = sorted(store.glob("*/rejected/*.parquet"))
        if rejected:
            con.execute("create or replace view set_aside as select * from read_parquet("
                        f"{_literal(str(store / '*' / 'rejected' / '*.parquet'))}, union_by_name = true)")
        else:
            con.execute("create or replace table set_aside (source_file VARCHAR, source_row BIGINT, "
                        "reason VARCHAR)")
        rollups = sorted((store / "interactions" / "rollup").glob("*.parquet"))
        if rollups:
            con.execute("create or replace table daily as " + load_sql("load_daily"),
                        {"paths": [str(p) for p in rollups]})
        else:
            # no interactions yet: the same columns, no rows, so every page query still runs
            con.execute("create or replace table daily as " + load_sql("load_daily"),
                        {"paths": [str(self._empty_rollup())]})
        # the detailed rollup stays on disk (sorted by day, so a date range reads few row groups);
        # a local day at a file boundary has rows in two files, so queries of it always sum
        details = store / "interactions" / "detail"
        source = str(details / "*.parquet") if any(details.glob("*.parquet")) else \
            str(self._empty_rollup())
        con.execute(f"create or replace view quality as select * from read_parquet({_literal(source)})")

    def _empty_rollup(self) -> Path:
        """A detailed rollup with no rows, for a folder without interactions (columns, no data)."""
        path = store_path(self.folder) / "empty_rollup.parquet"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            source = store_path(self.folder) / "empty_interactions.parquet"
            pq.write_table(contract_schema(TABLES["interactions"].columns).empty_table(), source)
            empty = self._db.sql(load_sql("rollup_daily"), params={
                **rollup_parameters(self.settings), "path": str(source)}).to_arrow_table()
            pq.write_table(empty, path)
        return path

    def query(self, name: str, **params) -> pd.DataFrame:
        """Run sql/NAME.sql with bound parameters on its own cursor."""
        return run_query(self._db, name, params)

    def query_once(self, name: str) -> pd.DataFrame:
        """A parameterless query's result, computed once: a store's data never changes."""
        with self._lock:
            if name not in self._memo:
                self._memo[name] = self.query(name)
            return self._memo[name].copy()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        return self._db.cursor()

    @property
    def has_interactions(self) -> bool:
        return any(f.rows_used for f in self.report.for_table("interactions"))

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
