"""The prepared store heals itself and serves a read-only data folder: prepared files deleted, cut
short or replaced behind its back are rebuilt (and the report says so); a folder that cannot be
written is served from its own store when that is current, else from one prepared elsewhere."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from cxdash.ingest import cache_store_path, prepare, store_path
from cxdash.kpis import Period, kpi_values
from cxdash.settings import load_settings
from cxdash.store import Store
from tests.builders import write_interactions

ROOT = Path(__file__).resolve().parent.parent
TENTH = Period(date(2024, 1, 10), date(2024, 1, 10))


def call(interaction_id: str, **values) -> dict:
    return {"interaction_id": interaction_id, "channel": "phone", "arrived_at": "2024-01-10 18:00:00",
            "answered_at": "2024-01-10 18:00:10", "ended_at": "2024-01-10 18:05:00",
            "abandoned": False, "talk_seconds": 290.0, "csat_score": 5, "agent_id": "ag1", **values}


@pytest.fixture
def folder(tmp_path) -> Path:
    write_interactions(tmp_path, [call("a"), call("b", csat_score=1)], "interactions/2024-01.parquet")
    write_interactions(tmp_path, [call("c", arrived_at="2024-02-10 18:00:00", answered_at=None,
                                       ended_at=None, abandoned=True, talk_seconds=None)],
                       "interactions/2024-02.parquet")
    Store.open(tmp_path).close()
    return tmp_path


def _cut(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


@pytest.mark.parametrize("kind", ["detail", "rollup", "hourly", "intervals", "clean"])
def test_a_truncated_prepared_file_is_rebuilt_and_the_report_says_so(folder, kind):
    [victim, *_] = sorted((store_path(folder) / "interactions" / kind).glob("*.parquet"))
    _cut(victim)
    with Store.open(folder) as store:
        assert any("missing or damaged and were rebuilt" in note for note in store.report.notes)
        assert kpi_values(store, TENTH)["contacts"] == 2
        # the Quality drill-down reads the detailed rollup and the clean rows
        assert store.query("filter_options") is not None
        store.cursor().execute("select count(*) from quality").fetchall()
        store.cursor().execute("select count(*) from interactions").fetchall()
    with Store.open(folder) as again:
        assert again.report.notes == []  # repaired once, then trusted


@pytest.mark.parametrize("name", ["interactions/intervals_merged/2024-01.parquet",
                                  "interactions/intervals_merged/2024-02.parquet"])
def test_a_deleted_summary_across_files_is_made_again(folder, name):
    # the merged interval rollup has one part per month: January holds calls a and b, February c
    (store_path(folder) / name).unlink()
    with Store.open(folder) as store:
        assert any(name in note for note in store.report.notes)
        [[count]] = store.cursor().execute("select sum(contacts) from intervals").fetchall()
        assert count == 3
        assert store.report.reprocessed == []  # the part is made again from the rollups, not the files
    with Store.open(folder) as again:
        assert again.report.notes == []  # repaired once, then trusted


@pytest.mark.parametrize("month", ["2024-01", "2024-02"])
def test_a_truncated_month_of_the_merged_intervals_is_made_again(folder, month):
    part = store_path(folder) / "interactions" / "intervals_merged" / f"{month}.parquet"
    _cut(part)
    with Store.open(folder) as store:
        assert any(f"intervals_merged/{month}.parquet" in note for note in store.report.notes)
        # January: calls a and b in the interval from 18:00 UTC on the 10th; February: call c
        rows = store.cursor().execute(
            "select strftime(timezone('UTC', slot), '%Y-%m-%d %H:%M'), contacts from intervals "
            "order by slot").fetchall()
        assert rows == [("2024-01-10 18:00", 2), ("2024-02-10 18:00", 1)]


def test_a_deleted_store_under_a_running_app_is_rebuilt_before_the_next_page(app_test, folder):
    from streamlit.testing.v1 import AppTest

    first = app_test(folder, {"period": ["2024-01-01", "2024-01-31"]})
    first.run()
    assert not first.exception and not first.error
    shutil.rmtree(store_path(folder))
    # the server process goes on: its cached store and what it last prepared are kept (the fixture
    # cleared the caches only before the first run); the next visitor's run opens the frame again
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["period"] = ["2024-01-01", "2024-01-31"]
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert {m.label: m.value for m in at.metric}["Contacts"] == "2"
    assert (store_path(folder) / "manifest.json").exists()


def test_a_store_moved_by_the_environment_variable_leaves_the_data_folder_alone(folder, monkeypatch,
                                                                                tmp_path_factory):
    shutil.rmtree(store_path(folder))
    elsewhere = tmp_path_factory.mktemp("stores")
    monkeypatch.setenv("CXDASH_STORE", str(elsewhere))
    with Store.open(folder) as store:
        assert store.path.parent == elsewhere
        assert kpi_values(store, TENTH)["contacts"] == 2
    assert not (folder / ".cxdash").exists()


def _read_only(folder: Path, *command: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run a command with `folder` mounted read-only (a private mount namespace: nothing else sees it)."""
    if shutil.which("unshare") is None:
        pytest.fail("unshare (util-linux) is needed to mount a folder read-only for this test")
    script = (f'mount --bind "{folder}" "{folder}" && mount -o remount,ro,bind "{folder}" && '
              f'touch "{folder}/probe" 2>/dev/null && echo WRITABLE; exec "$@"')
    return subprocess.run(["unshare", "-rm", "sh", "-c", script, "sh", *command], cwd=ROOT,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


def _kpis(folder: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return _read_only(folder, sys.executable, "-m", "cxdash", "kpis", "--data", str(folder),
                      "--start", "2024-01-01", "--end", "2024-02-29", "--json", env=env)


def test_a_prepared_read_only_folder_is_served_as_it_is(folder):
    done = _kpis(folder)
    assert "WRITABLE" not in done.stdout
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["contacts"] == 3
    assert "Traceback" not in done.stderr


def test_a_read_only_folder_with_a_new_file_is_prepared_in_the_cache(folder, tmp_path_factory):
    write_interactions(folder, [call("d", arrived_at="2024-02-11 18:00:00", answered_at="2024-02-11 18:00:10",
                                     ended_at="2024-02-11 18:05:00")], "interactions/2024-02b.parquet")
    cache = tmp_path_factory.mktemp("cache")
    done = _kpis(folder, {"XDG_CACHE_HOME": str(cache)})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["contacts"] == 4
    [moved] = (cache / "cxdash" / "stores").iterdir()
    assert (moved / "manifest.json").exists()
    assert "prepared in the user's cache" in done.stderr  # said, not silent


def test_the_cache_store_of_a_read_only_folder_is_named_after_it(folder, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert cache_store_path(folder).parent == tmp_path / "cache" / "cxdash" / "stores"
    assert cache_store_path(folder).name.startswith(folder.name + "-")


def test_leftover_temporary_files_of_a_cut_short_write_are_removed(folder):
    leftover = store_path(folder) / "interactions" / "clean" / ".x.parquet.123-abc.tmp"
    leftover.write_bytes(b"half")
    report = prepare(folder, load_settings(folder))
    assert report.reprocessed == [] and not leftover.exists()




def test_a_store_open_in_a_session_stays_whole_while_another_prepares_a_change(folder):
    # one visitor's store is open; an import changes a month and another visitor's store prepares it:
    # the first store's files were replaced and removed under it, and it still answers, as before
    with Store.open(folder) as before:
        assert kpi_values(before, TENTH)["contacts"] == 2
        write_interactions(folder, [call("a"), call("b"), call("e")], "interactions/2024-01.parquet")
        (folder / "interactions" / "2024-02.parquet").unlink()
        with Store.open(folder) as after:
            assert kpi_values(after, TENTH)["contacts"] == 3
            assert kpi_values(before, TENTH)["contacts"] == 2
            [[rows]] = before.cursor().execute("select count(*) from interactions").fetchall()
            assert rows == 3  # the old state, whole: both old files
            [[rows]] = after.cursor().execute("select count(*) from interactions").fetchall()
            assert rows == 3
            [[rows]] = before.cursor().execute("select count(*) from quality").fetchall()
            assert rows > 0
    assert not any((store_path(folder) / "snapshots").iterdir())  # closed stores leave nothing


def test_a_snapshot_left_by_a_process_that_died_is_removed_by_the_next_preparation(folder):
    orphan = store_path(folder) / "snapshots" / "99999-deadbeef"
    (orphan / "interactions" / "clean").mkdir(parents=True)
    (orphan / "lock").write_text("")
    with Store.open(folder):
        assert not orphan.exists()
        live = list((store_path(folder) / "snapshots").iterdir())
        assert len(live) == 1  # this store's own
        prepare(folder, load_settings(folder))
        assert live[0].exists()  # held by an open store: kept


def test_listing_the_store_never_enters_the_snapshots_other_stores_remove(folder, monkeypatch):
    # a snapshot can vanish while the store is listed (another store closes): the listing must not
    # even open it (Path.rglob raised FileNotFoundError there, and the page showed a failure)
    from cxdash.ingest import SNAPSHOTS_DIR, store_outputs

    store = store_path(folder)
    before = store_outputs(store)
    snapshot = store / SNAPSHOTS_DIR / "123-gone" / "interactions" / "intervals"
    snapshot.mkdir(parents=True)
    (snapshot / "a.parquet").write_bytes(b"")
    (snapshot / "b.tmp").write_bytes(b"")
    scandir = os.scandir

    def vanishing(path="."):
        if isinstance(path, str | os.PathLike) and SNAPSHOTS_DIR in Path(path).parts:
            raise FileNotFoundError(path)
        return scandir(path)

    monkeypatch.setattr(os, "scandir", vanishing)
    assert store_outputs(store) == before and before
    # preparing looks for leftover .tmp files outside the snapshots (and removes orphan snapshots)
    assert not prepare(folder, load_settings(folder)).notes


def test_a_month_file_replaced_while_it_is_prepared_is_read_whole_then_prepared_again(folder, monkeypatch):
    """An import replaces a month file (os.replace) while a page prepares the folder: the preparation
    reads the file as it was when it started (a link to it), never parts of two, records that file's
    size and time, and the next preparation sees the new file and reads it."""
    import cxdash.ingest as ingest

    month = folder / "interactions" / "2024-01.parquet"
    month.touch()  # changed: judged again by the next preparation
    newer = folder.parent / "newer"
    write_interactions(newer, [call("a"), call("b"), call("d")], "interactions/2024-01.parquet")
    staged = ingest._stage

    def replaced_while_read(con, path):
        if (newer / "interactions" / "2024-01.parquet").exists():
            os.replace(newer / "interactions" / "2024-01.parquet", month)  # an import, mid-preparation
        return staged(con, path)

    monkeypatch.setattr(ingest, "_stage", replaced_while_read)
    with Store.open(folder) as store:
        january = next(f for f in store.report.files if f.path == "interactions/2024-01.parquet")
        assert january.unreadable is None and january.rows_read == 2  # the file as it was: a and b
        assert kpi_values(store, TENTH)["contacts"] == 2
    assert not list(store_path(folder).glob(".reading-*"))  # the link is gone
    with Store.open(folder) as again:  # the new file: a, b and d
        assert next(f for f in again.report.files if f.path == "interactions/2024-01.parquet").rows_read == 3
        assert kpi_values(again, TENTH)["contacts"] == 3


def test_a_tables_files_are_found_at_any_depth_in_order_without_hidden_ones(tmp_path):
    from cxdash.ingest import TABLES, source_files

    made = ["costs/2024.csv", "costs/year=2024/month=02/part-0.parquet", "costs/B.CSV", "costs/a/b/c.csv",
            "costs/.hidden.csv", "costs/.partial/x.csv", "costs/a/.cache/y.parquet", "costs/notes.txt",
            "orders/2024.csv"]
    for name in made:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    (tmp_path / "costs" / "folder.csv").mkdir()  # a folder named like a file is no file
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "linked.csv").write_text("x")
    (tmp_path / "costs" / "link").symlink_to(tmp_path / "elsewhere")  # not entered (no loops)

    found = source_files(tmp_path, TABLES["costs"])
    assert found == [tmp_path / "costs" / name for name in
                     ("2024.csv", "B.CSV", "a/b/c.csv", "year=2024/month=02/part-0.parquet")]
    assert source_files(tmp_path, TABLES["qa"]) == []  # no folder: nothing


def test_the_stores_outputs_are_its_parquet_files_by_relative_path_with_size_and_time(folder):
    from cxdash.ingest import store_outputs

    store = store_path(folder)
    outputs = store_outputs(store)
    on_disk = {path.relative_to(store).as_posix(): (path.stat().st_size, path.stat().st_mtime_ns)
               for path in store.rglob("*.parquet")
               if not path.name.startswith(".") and path.relative_to(store).parts[0] not in
               ("uploads", "spill", "snapshots")}
    assert outputs == on_disk and any(name.startswith("interactions/clean/") for name in outputs)
    (store / "uploads").mkdir(exist_ok=True)
    (store / "uploads" / "waiting.parquet").write_bytes(b"x")
    (store / "interactions" / "clean" / ".half-written.parquet").write_bytes(b"x")
    assert store_outputs(store) == outputs
