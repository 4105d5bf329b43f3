"""DuckDB connections and the SQL files of sql/, run only with bound parameters."""

from __future__ import annotations

import math
import os
import re
import sys
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import duckdb

if TYPE_CHECKING:  # DuckDB imports pandas when a result is fetched as a DataFrame, not before
    import pandas as pd


def _sql_dir():
    """The SQL files: cxdash/sql inside an installed package (the wheel ships the repository's sql/
    there), else the top-level sql/ of a checkout."""
    packaged = resources.files("cxdash").joinpath("sql")
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "sql"


SQL_DIR = _sql_dir()

# DuckDB's threads and memory: from the machine, unless $CXDASH_THREADS / $CXDASH_MEMORY_LIMIT say
MEMORY_SHARE = 0.25  # a quarter of the machine's memory (or of the container's limit, when lower)...
MEMORY_FLOOR = 600 * 2**20  # ...but never less than 600 MiB, what the app was first tuned with
MEMORY_MINIMUM = 64 * 2**20  # a setting below this is refused (DuckDB cannot work in less)
_UNITS = {"": 2**20, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
          "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


def _read_first_line(path: str) -> str | None:
    try:
        with open(path, encoding="ascii") as handle:
            return handle.readline().strip()
    except (OSError, ValueError):
        return None


def machine_cores() -> int:
    """The cores this process may run on: its CPU affinity, lowered by a cgroup CPU quota."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    quota = (_read_first_line("/sys/fs/cgroup/cpu.max") or "").split()  # cgroup v2: "max 100000"
    if len(quota) == 2 and quota[0].isdigit() and quota[1].isdigit() and int(quota[1]) > 0:
        cores = min(cores, max(1, math.ceil(int(quota[0]) / int(quota[1]))))
    return max(1, cores)


def machine_memory() -> int | None:
    """Bytes of memory this process may use: physical memory, lowered by a cgroup memory limit."""
    try:
        total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        total = None
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        limit = _read_first_line(path)
        if limit and limit.isdigit() and (total is None or 0 < int(limit) < total):
            total = int(limit)
    return total if total and total > 0 else None


def threads_from(setting: str | None, cores: int) -> tuple[int, str | None]:
    """DuckDB's threads: $CXDASH_THREADS (a whole number from 1), else the machine's cores; and what
    was wrong with the setting, if anything."""
    if setting is None or not setting.strip():
        return max(1, cores), None
    text = setting.strip()
    if text.isdigit() and 1 <= int(text) <= 1024:
        return int(text), None
    return max(1, cores), (f"CXDASH_THREADS={setting!r} is not a whole number of threads from 1 to 1024; "
                           f"the machine's {max(1, cores)} core(s) used")


def memory_limit_from(setting: str | None, machine: int | None) -> tuple[str, str | None]:
    """DuckDB's memory limit: $CXDASH_MEMORY_LIMIT (such as 2GB, 1500MiB, 40% of the machine's
    memory, or a bare number of MiB), else MEMORY_SHARE of the machine's memory with MEMORY_FLOOR
    as the least; and what was wrong with the setting, if anything."""
    default = max(MEMORY_FLOOR, int(MEMORY_SHARE * machine)) if machine else MEMORY_FLOOR
    problem = None
    if setting is not None and setting.strip():
        match = re.fullmatch(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*(%|[kmgt]i?b|b)?\s*", setting, re.IGNORECASE)
        size = None
        if match:
            number, unit = float(match[1]), (match[2] or "").lower()
            if unit == "%":
                size = number / 100 * machine if machine and 0 < number <= 100 else None
            else:
                size = number * _UNITS[unit]
        if size is not None and math.isfinite(size) and size >= MEMORY_MINIMUM:
            return f"{int(size) // 2**20}MiB", None
        problem = (f"CXDASH_MEMORY_LIMIT={setting!r} is not a memory size of at least 64 MiB (such as "
                   f"2GB, 1500MiB or 40%); {default // 2**20} MiB used")
    return f"{default // 2**20}MiB", problem


THREADS, _THREADS_PROBLEM = threads_from(os.environ.get("CXDASH_THREADS"), machine_cores())
MEMORY_LIMIT, _MEMORY_PROBLEM = memory_limit_from(os.environ.get("CXDASH_MEMORY_LIMIT"), machine_memory())
for _problem in (_THREADS_PROBLEM, _MEMORY_PROBLEM):
    if _problem:
        print(f"warning: {_problem}", file=sys.stderr)


def connect(database: str = ":memory:", temp_directory: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A connection with the project's limits: THREADS threads and at most MEMORY_LIMIT of memory."""
    config = {"threads": THREADS, "memory_limit": MEMORY_LIMIT, "preserve_insertion_order": False}
    if temp_directory is not None:
        config["temp_directory"] = str(temp_directory)
    con = duckdb.connect(database, config=config)
    con.execute("set enable_progress_bar = false")  # a long query prints no bar into a command's output
    return con


SESSION_SETTINGS = ("TimeZone",)  # what a cursor does not take from its connection (DuckDB: per session)
T = TypeVar("T")


def session_cursor(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A cursor of the connection (DuckDB: one connection per thread) with its session settings."""
    cursor = con.cursor()
    for name in SESSION_SETTINGS:
        [(value,)] = con.execute("select current_setting($name)", {"name": name}).fetchall()
        cursor.execute(f"set {name} = '{str(value).replace(chr(39), chr(39) * 2)}'")
    return cursor


def in_parts(con: duckdb.DuckDBPyConnection, work: Callable[[duckdb.DuckDBPyConnection, dict], T],
             parts: int | None = None) -> list[T]:
    """`work(cursor, {"parts": k, "part": i})` for every part i of k (the connection's threads) at
    once, each on a cursor of its own; the results in part order. For a query over the numbered lines
    of a file: DuckDB numbers rows (row_number() over (), with ordinality) on one thread, and all the
    work after the numbering in the same pipeline (parsing each line's JSON) on that thread too. Each
    part's query keeps the lines whose number is part modulo parts right after numbering them: every
    part reads the file (cheap), each parses its share, on a core of its own. When a part fails, the
    others are interrupted and its error is raised."""
    count = parts or int(con.execute("select current_setting('threads')").fetchall()[0][0])
    if count <= 1:
        return [work(con, {"parts": 1, "part": 0})]
    cursors = [session_cursor(con) for _ in range(count)]
    try:
        with ThreadPoolExecutor(max_workers=count) as pool:
            futures = [pool.submit(work, cursor, {"parts": count, "part": number})
                       for number, cursor in enumerate(cursors)]
            done, _ = wait(futures, return_when=FIRST_EXCEPTION)
            failed = [future.exception() for future in futures if future in done and future.exception()]
            if failed:  # the others stop, and the first failure is raised (not their interruption)
                for cursor in cursors:
                    cursor.interrupt()
                wait(futures)
                raise failed[0]
            return [future.result() for future in futures]
    finally:
        for cursor in cursors:
            cursor.close()


@cache
def load_sql(name: str) -> str:
    """The text of sql/NAME.sql; names come from code, never from users."""
    if not name.replace("_", "").isalnum():
        raise ValueError(f"not a query name: {name!r}")
    return SQL_DIR.joinpath(f"{name}.sql").read_text(encoding="utf-8")


def run_query(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None) -> pd.DataFrame:
    """Run sql/NAME.sql on a fresh cursor with bound parameters and fetch it whole."""
    cursor = con.cursor()
    try:
        return cursor.execute(load_sql(name), params or {}).df()
    finally:
        cursor.close()


def query_rows(con: duckdb.DuckDBPyConnection, name: str,
               params: dict | None = None) -> tuple[list[str], list[tuple]]:
    """Run sql/NAME.sql as run_query does, and fetch it as column names and rows of Python values:
    what a figure of a few rows needs, without loading pandas."""
    cursor = con.cursor()
    try:
        result = cursor.execute(load_sql(name), params or {})
        return [column[0] for column in result.description], result.fetchall()
    finally:
        cursor.close()
