"""The 15-minute interval rollup merged across files, one part per month of UTC: prepared with files
added one by one (each rewriting only the months its rows fall in), changed or removed, it is exactly
the `intervals` table a store prepared from scratch serves."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from cxdash import ingest
from cxdash.settings import load_settings
from cxdash.store import Store
from tests.builders import write_interactions


def _intervals(folder: Path) -> pd.DataFrame:
    """The store's intervals table, in a stable order."""
    with Store.open(folder) as store:
        return store.cursor().execute("select * from intervals order by slot, channel, queue").df()


def _parts(folder: Path) -> dict[str, int]:
    """The merged parts of the store: month -> modification time."""
    folder = ingest.merged_intervals_path(ingest.store_path(folder))
    return {path.stem: path.stat().st_mtime_ns for path in sorted(folder.glob("*.parquet"))}


def call(interaction_id: str, arrived: str, wait: float, talk: float, queue: str = "orders") -> dict:
    """A phone call arriving at `arrived` (UTC), answered after `wait` seconds, talking `talk`."""
    arrived_at = pd.Timestamp(arrived, tz="UTC")
    return {"interaction_id": interaction_id, "channel": "phone", "queue": queue, "arrived_at": arrived_at,
            "answered_at": arrived_at + pd.Timedelta(seconds=wait), "abandoned": False,
            "talk_seconds": talk}


# three files; January's and February's both have a call in the 15 minutes from 23:45 on 31 January
# (February's file holds a call made just before midnight UTC), which the merged rollup makes one row
FILES = {
    "interactions/2024-01.parquet": [call("a", "2024-01-10 18:00", 10, 100),
                                     call("b", "2024-01-10 18:14", 20, 200),
                                     call("c", "2024-01-31 23:50", 30, 300)],
    "interactions/2024-02.parquet": [call("d", "2024-01-31 23:59", 40, 400),
                                     call("e", "2024-02-15 09:00", 50, 500, queue="billing")],
    "interactions/2024-03.parquet": [call("f", "2024-03-01 00:01", 60, 600)],
}


def _write(folder: Path, names) -> None:
    for name in names:
        write_interactions(folder, FILES[name], name)


def test_files_added_one_by_one_give_the_intervals_of_a_store_made_from_scratch(tmp_path):
    scratch, added = tmp_path / "scratch", tmp_path / "added"
    _write(scratch, FILES)
    expected = _intervals(scratch)
    # by hand: a+b at 18:00 on 10 January; c (January's file) and d (February's) at 23:45 on the 31st;
    # e in billing; f in March
    assert [(slot.strftime("%Y-%m-%d %H:%M"), queue, contacts, handle) for slot, queue, contacts, handle in
            expected[["slot", "queue", "contacts", "handle_seconds"]].itertuples(index=False)] == [
        ("2024-01-10 18:00", "orders", 2, 300.0), ("2024-01-31 23:45", "orders", 2, 700.0),
        ("2024-02-15 09:00", "billing", 1, 500.0), ("2024-03-01 00:00", "orders", 1, 600.0)]
    assert list(expected["live_queue_seconds"]) == [30.0, 70.0, 50.0, 60.0]
    assert set(_parts(scratch)) == {"2024-01", "2024-02", "2024-03"}

    # March first, then January (a month before it), then February (the month between)
    _write(added, ["interactions/2024-03.parquet"])
    assert list(_intervals(added)["contacts"]) == [1]
    _write(added, ["interactions/2024-01.parquet"])
    assert list(_intervals(added)["contacts"]) == [2, 1, 1]
    before = _parts(added)
    _write(added, ["interactions/2024-02.parquet"])
    result = _intervals(added)
    pd.testing.assert_frame_equal(result, expected, check_exact=True)
    after = _parts(added)
    # February's rows fall in January and February: March's part was not written again
    assert after["2024-03"] == before["2024-03"]
    assert after["2024-01"] != before["2024-01"] and "2024-02" in after and "2024-02" not in before


def test_a_file_changed_or_removed_gives_the_intervals_of_a_store_made_from_scratch(tmp_path):
    folder, scratch = tmp_path / "folder", tmp_path / "scratch"
    _write(folder, FILES)
    _intervals(folder)
    # February's file loses its call of 31 January and gains one on 29 February
    changed = [FILES["interactions/2024-02.parquet"][1], call("g", "2024-02-29 12:00", 5, 50)]
    write_interactions(folder, changed, "interactions/2024-02.parquet")
    write_interactions(scratch, changed, "interactions/2024-02.parquet")
    _write(scratch, ["interactions/2024-01.parquet", "interactions/2024-03.parquet"])
    result = _intervals(folder)
    pd.testing.assert_frame_equal(result, _intervals(scratch), check_exact=True)
    assert list(result["contacts"]) == [2, 1, 1, 1, 1]  # c alone at 23:45 on 31 January now

    # March's file removed: its month's part goes
    for place in (folder, scratch):
        (place / "interactions" / "2024-03.parquet").unlink()
    result = _intervals(folder)
    pd.testing.assert_frame_equal(result, _intervals(scratch), check_exact=True)
    assert set(_parts(folder)) == {"2024-01", "2024-02"}


def test_a_manifest_without_the_months_of_the_rollups_writes_every_part_again(tmp_path):
    _write(tmp_path, FILES)
    expected = _intervals(tmp_path)
    store = ingest.store_path(tmp_path)
    manifest = ingest._load_manifest(store, load_settings(tmp_path))
    manifest["intervals_months"] = {"x.parquet": {"stamp": "unreadable"}}
    manifest.pop("intervals_fingerprint")
    ingest._save_manifest(store, manifest)
    before = _parts(tmp_path)
    pd.testing.assert_frame_equal(_intervals(tmp_path), expected, check_exact=True)
    after = _parts(tmp_path)
    assert set(after) == set(before) and all(after[month] != before[month] for month in before)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    from cxdash.demo import write_demo

    folder = tmp_path_factory.mktemp("intervals_merged") / "demo"
    write_demo(folder, end=date(2026, 10, 31), scale=0.01, seed=7)
    return folder


def test_the_demo_prepared_a_month_at_a_time_serves_the_intervals_of_a_store_made_from_scratch(
        demo, tmp_path):
    expected = _intervals(demo)
    folder = tmp_path / "data"
    shutil.copytree(demo, folder, ignore=shutil.ignore_patterns(ingest.STORE_DIR))
    months = sorted((folder / "interactions").iterdir())
    aside = tmp_path / "aside"
    aside.mkdir()
    for month in months[1:]:
        shutil.move(month, aside / month.name)
    # the first month, then every other month in order (each after the last), then the months
    # between them (each between two months already prepared)
    _intervals(folder)
    for month in [*months[2::2], *months[1::2]]:
        shutil.move(aside / month.name, month)
        ingest.prepare(folder, load_settings(folder))
    pd.testing.assert_frame_equal(_intervals(folder), expected, check_exact=True)
    assert len(expected) > 1000 and expected["contacts"].sum() > 10_000
