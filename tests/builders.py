"""Helpers that write tiny data folders for tests: contract-typed tables, raw and broken files, settings;
and bench_module, a bench script loaded for its tests."""

from __future__ import annotations

import csv
import importlib.util
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from cxdash.contract import (
    COSTS_COLUMNS,
    INTERACTION_COLUMNS,
    ORDERS_COLUMNS,
    QA_COLUMNS,
    Column,
    contract_schema,
)
from cxdash.settings import SETTINGS_FILE


def utc(text: str) -> datetime:
    """An aware UTC datetime from 'YYYY-MM-DD HH:MM[:SS]'; a zone in the text is kept."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _coerce(column: Column, value):
    """Let tests write timestamps and dates as text; anything else goes in as given."""
    if value is None or not isinstance(value, str):
        return value
    if column.sql_type == "TIMESTAMPTZ":
        return utc(value)
    if column.sql_type == "DATE":
        return date.fromisoformat(value)
    return value


def contract_table(columns: tuple[Column, ...], rows: list[dict]) -> pa.Table:
    """An arrow table with the contract's schema; columns a row does not give are null."""
    known = {c.name for c in columns}
    for row in rows:
        unknown = set(row) - known
        if unknown:
            raise KeyError(f"not contract columns: {sorted(unknown)}")
    schema = contract_schema(columns)
    arrays = [pa.array([_coerce(c, row.get(c.name)) for row in rows], type=schema.field(c.name).type)
              for c in columns]
    return pa.Table.from_arrays(arrays, schema=schema)


def _target(folder: Path, name: str) -> Path:
    path = Path(folder) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def write_table(folder: Path, name: str, table: pa.Table) -> Path:
    path = _target(folder, name)
    pq.write_table(table, path)
    return path


def write_interactions(folder: Path, rows: list[dict], name: str = "interactions/part.parquet") -> Path:
    return write_table(folder, name, contract_table(INTERACTION_COLUMNS, rows))


def write_costs(folder: Path, rows: list[dict], name: str = "costs/costs.parquet") -> Path:
    return write_table(folder, name, contract_table(COSTS_COLUMNS, rows))


def write_orders(folder: Path, rows: list[dict], name: str = "orders/orders.parquet") -> Path:
    return write_table(folder, name, contract_table(ORDERS_COLUMNS, rows))


def write_qa(folder: Path, rows: list[dict], name: str = "qa/qa.parquet") -> Path:
    return write_table(folder, name, contract_table(QA_COLUMNS, rows))


def write_csv(folder: Path, name: str, rows: list[dict]) -> Path:
    """A CSV with a header from the first row's keys, every value written as text."""
    path = _target(folder, name)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_costs_csv(folder: Path, rows: list[dict], name: str = "costs/costs.csv") -> Path:
    return write_csv(folder, name, rows)


def write_raw_parquet(folder: Path, name: str, columns: dict[str, list]) -> Path:
    """A parquet file with whatever columns and types the test gives (arrow infers the types):
    for files that break the contract (wrong types, missing or extra columns)."""
    return write_table(folder, name, pa.table(columns))


def write_bytes(folder: Path, name: str, data: bytes) -> Path:
    """Any bytes under any name: a corrupt file."""
    path = _target(folder, name)
    path.write_bytes(data)
    return path


def write_settings(folder: Path, text: str) -> Path:
    """DATA/cxdash.toml with the given TOML text."""
    path = _target(folder, SETTINGS_FILE)
    path.write_text(text, encoding="utf-8")
    return path


def bench_module(name: str):
    """bench/<name>.py loaded by its path (bench/ is no package), registered as <name> so that its
    dataclasses and pickles resolve."""
    spec = importlib.util.spec_from_file_location(name, Path(__file__).resolve().parent.parent / "bench"
                                                  / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
