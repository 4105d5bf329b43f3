"""Data health: per-file counts, problems, freshness and the rows set aside, as tidy frames."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

from cxdash.ingest import PrepareReport
from cxdash.store import Store


def files_frame(report: PrepareReport) -> pd.DataFrame:
    """One row per source file: table, rows read = used + set aside, days covered, last change."""
    rows = [{
        "table": f.table,
        "file": f.path,
        "status": "unreadable" if f.unreadable else ("rows set aside" if f.rows_set_aside else "ok"),
        "rows_read": f.rows_read,
        "rows_used": f.rows_used,
        "rows_set_aside": f.rows_set_aside,
        "first_day_utc": f.first_day,
        "last_day_utc": f.last_day,
        "modified_at": datetime.fromtimestamp(f.modified_ns / 1e9, UTC),
        "size_mb": round(f.size_bytes / 1e6, 2),
        "ignored_columns": ", ".join(f.ignored_columns),
        "error": f.unreadable or "",
    } for f in report.files]
    return pd.DataFrame(rows, columns=["table", "file", "status", "rows_read", "rows_used",
                                       "rows_set_aside", "first_day_utc", "last_day_utc",
                                       "modified_at", "size_mb", "ignored_columns", "error"])


def problems_frame(report: PrepareReport) -> pd.DataFrame:
    """One row per file, column and problem, with the number of rows it set aside."""
    rows = [{"file": f.path, "column": p["column"], "problem": p["problem"], "rows": p["rows"]}
            for f in report.files for p in f.problems]
    rows += [{"file": f.path, "column": "(whole file)", "problem": f"unreadable: {f.unreadable}",
              "rows": None} for f in report.unreadable]
    return pd.DataFrame(rows, columns=["file", "column", "problem", "rows"])


def set_aside_rows(store: Store, source_file: str = "", limit: int = 10_000) -> pd.DataFrame:
    """The rows set aside (of one file, or all), without the columns that are empty throughout."""
    frame = store.query("set_aside_rows", source_file=source_file, limit=limit)
    return frame.dropna(axis="columns", how="all")


def freshness(store: Store) -> dict:
    """When the newest file changed and the last local day with interactions."""
    files = store.report.files
    newest = max((f.modified_ns for f in files), default=None)
    span = store.query_once("filter_options")
    return {
        "newest_file_at": datetime.fromtimestamp(newest / 1e9, UTC) if newest else None,
        "last_day": pd.Timestamp(span["last_day"].max()).date() if len(span) else None,
        "first_day": pd.Timestamp(span["first_day"].min()).date() if len(span) else None,
    }
