"""The customer-level tables (derived/customer_outcomes and derived/order_months) on the demo: made
from every file at once, or with a month's interactions file added to them, they are exactly the tables
the queries before incremental preparation made (kept as an oracle in fixtures/customer_tables_before)."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cxdash import ingest
from cxdash.db import connect
from cxdash.settings import load_settings

BEFORE = Path(__file__).resolve().parent / "fixtures" / "customer_tables_before"
LAST_MONTH, MIDDLE_MONTH = "month=2026-10-01", "month=2025-03-01"


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    from cxdash.demo import write_demo

    folder = tmp_path_factory.mktemp("customer_tables") / "demo"
    write_demo(folder, end=date(2026, 10, 31), scale=0.03, seed=7)
    return folder


def _copy(demo: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(demo, folder, ignore=shutil.ignore_patterns(ingest.STORE_DIR))
    return folder


def _prepare(folder: Path, monkeypatch) -> list[tuple[str, dict]]:
    """Prepare the folder; the customer-table queries written to files, in order, with their
    parameters."""
    written = []
    copy_query = ingest._copy_query

    def recording(con, name, params, path, **options):
        written.append((name, params))
        copy_query(con, name, params, path, **options)

    monkeypatch.setattr(ingest, "_copy_query", recording)
    ingest.prepare(folder, load_settings(folder))
    monkeypatch.setattr(ingest, "_copy_query", copy_query)
    return written


def _frames(folder: Path) -> tuple[list[pd.DataFrame], list[pd.DataFrame]]:
    """The store's customer tables, and the tables the queries before made from its clean files, each
    in its rows' order."""
    store, settings = ingest.store_path(folder), load_settings(folder)
    con = connect()
    con.execute("set TimeZone = 'UTC'")

    def clean(table: str) -> list[str]:
        return sorted(str(path) for path in (store / table / "clean").glob("*.parquet"))

    def before(name: str, params: dict) -> pa.Table:
        return con.sql((BEFORE / f"{name}.sql").read_text(), params=params).to_arrow_reader(10_000).read_all()

    # the outcomes are written in parts by cohort month: read in cohort order, each part as written
    parts = ingest.cohort_parts(store / "derived" / ingest.DERIVED[0])
    assert [Path(part).stem for part in parts] == sorted(
        str(month) for month in pq.read_table(parts, columns=["cohort_month"])["cohort_month"].unique()
        .to_pylist())
    outcomes = pd.concat([pq.read_table(part).to_pandas() for part in parts], ignore_index=True)
    # first coaching contacts are kept apart (a month's come from customers of every cohort)
    coaching = pq.read_table(store / "derived" / f"{ingest.COACHING}.parquet").to_pandas()
    assert coaching["customer_id"].is_unique and coaching["first_coached_at"].notna().all()
    outcomes = outcomes.merge(coaching, on="customer_id", how="left", validate="one_to_one")
    made = [outcomes, pq.read_table(store / "derived" / f"{ingest.DERIVED[1]}.parquet").to_pandas()]
    outcomes = before("customer_outcomes", {
        "orders": clean("orders"), "interactions": clean("interactions"), "timezone": settings.timezone,
        "coaching_queues": list(settings.coaching_queues)})
    oracle = folder.parent / "outcomes_before.parquet"
    pq.write_table(outcomes, oracle)
    months = before("order_months", {"orders": clean("orders"), "customers": str(oracle),
                                     "timezone": settings.timezone})
    return made, [outcomes.to_pandas(), months.to_pandas()]


def assert_as_before(folder: Path) -> None:
    (outcomes, months), (outcomes_before, months_before) = _frames(folder)
    assert len(outcomes) > 1000 and outcomes["contacts_12m"].sum() > 10_000
    assert outcomes["first_coached_at"].notna().sum() > 100 and months["after_coaching"].any()
    # counts, customers, months and instants exactly; sums of money to the last rounding
    pd.testing.assert_frame_equal(outcomes, outcomes_before, rtol=1e-12)
    pd.testing.assert_frame_equal(months, months_before, rtol=1e-12)


@pytest.mark.parametrize("month", [LAST_MONTH, MIDDLE_MONTH])
def test_a_month_added_is_added_to_the_customer_tables_as_if_made_from_every_file(
        demo, tmp_path, monkeypatch, month):
    folder = _copy(demo, tmp_path)
    held = tmp_path / month
    shutil.move(folder / "interactions" / month, held)
    made = [name for name, _ in _prepare(folder, monkeypatch)]
    assert "customer_value" in made  # from scratch
    assert_as_before(folder)

    shutil.move(held, folder / "interactions" / month)
    written = _prepare(folder, monkeypatch)
    queries = [name for name, _ in written]
    # only the month's file is read for the service; the orders are not summed again
    assert "customer_value" not in queries
    [added] = [params for name, params in written if name == "customer_contacts"]
    assert len(added["interactions"]) == 1
    # orders by month are counted again only from the month of the earliest first coaching that moved
    [since] = [params["since"] for name, params in written if name == "order_months"]
    if month == LAST_MONTH:
        assert since >= datetime(2026, 10, 1, 7, tzinfo=UTC)  # midnight in Los Angeles
    assert_as_before(folder)

    # nothing changed: nothing is made
    assert _prepare(folder, monkeypatch) == []


def test_a_month_removed_or_changed_makes_the_customer_tables_again(demo, tmp_path, monkeypatch):
    folder = _copy(demo, tmp_path)
    _prepare(folder, monkeypatch)
    shutil.rmtree(folder / "interactions" / MIDDLE_MONTH)
    assert "customer_value" in [name for name, _ in _prepare(folder, monkeypatch)]
    assert_as_before(folder)
    # a month's file written again (same rows): made again from every file, not added twice
    changed = next((folder / "interactions" / LAST_MONTH).glob("*.parquet"))
    changed.write_bytes(changed.read_bytes())
    assert "customer_value" in [name for name, _ in _prepare(folder, monkeypatch)]
    assert_as_before(folder)


def test_adding_a_month_cut_short_is_not_added_twice(demo, tmp_path, monkeypatch):
    folder = _copy(demo, tmp_path)
    held = tmp_path / LAST_MONTH
    shutil.move(folder / "interactions" / LAST_MONTH, held)
    _prepare(folder, monkeypatch)
    shutil.move(held, folder / "interactions" / LAST_MONTH)

    copy_query = ingest._copy_query

    def crashing(con, name, params, path, **options):
        if name == "customer_last_nps":  # after the outcomes took the month in, before the rest
            raise OSError("disk full")
        copy_query(con, name, params, path, **options)

    monkeypatch.setattr(ingest, "_copy_query", crashing)
    with pytest.raises(OSError):
        ingest.prepare(folder, load_settings(folder))
    monkeypatch.setattr(ingest, "_copy_query", copy_query)
    # the next preparation cannot tell what the tables hold: it makes them from every file
    assert "customer_value" in [name for name, _ in _prepare(folder, monkeypatch)]
    assert_as_before(folder)
