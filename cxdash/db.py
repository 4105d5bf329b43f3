"""DuckDB connections and the SQL files of sql/, run only with bound parameters."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import duckdb
import pandas as pd

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
THREADS = 2  # the machine's cores
MEMORY_LIMIT = "600MB"  # with Python and pyarrow on top, the process stays under 1 GB


def connect(database: str = ":memory:", temp_directory: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A connection with the project's limits: two threads (the machine's cores), bounded memory."""
    config = {"threads": THREADS, "memory_limit": MEMORY_LIMIT, "preserve_insertion_order": False}
    if temp_directory is not None:
        config["temp_directory"] = str(temp_directory)
    return duckdb.connect(database, config=config)


@cache
def load_sql(name: str) -> str:
    """The text of sql/NAME.sql; names come from code, never from users."""
    if not name.replace("_", "").isalnum():
        raise ValueError(f"not a query name: {name!r}")
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def run_query(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None) -> pd.DataFrame:
    """Run sql/NAME.sql on a fresh cursor with bound parameters and fetch it whole."""
    cursor = con.cursor()
    try:
        return cursor.execute(load_sql(name), params or {}).df()
    finally:
        cursor.close()
