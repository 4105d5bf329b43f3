"""Imports into one data folder at the same time (issue 14, point 1).

Two imports used to read, merge and rewrite a month file without a lock, through one temporary name
(.<month>.parquet.tmp): the second writer's rows were lost, or one process replaced the other's
temporary file and died with FileNotFoundError. Imports now take DATA/imports/.lock, read the month
files inside it, and write each month through a temporary name of their own that only os.replace
makes visible. Here:

- the merge itself, with one import held at the moment of writing (or of replacing) while a second
  runs: no row may be lost, no process may fail;
- a second import waits, saying so (a callback; the CLI on stderr; the page with st.info), and gives up
  with a clear error after its timeout;
- a month file that cannot be read stops an import with its name, instead of a traceback;
- a soak: import processes and page loads at once against one folder, then every count checked.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import threading
import time
import tomllib
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from cxdash.importers import core, uploads
from cxdash.importers.core import Parsed, store
from cxdash.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SOURCE = "soak"
MONTH = "2026-03"
# every arrival falls between these instants, inside March in Los Angeles (the default settings' zone)
FIRST = pd.Timestamp("2026-03-02 16:00", tz="UTC")
SPAN_SECONDS = 25 * 24 * 3600


def batch(prefix: str, count: int, start: int = 0, version: str = "2026-03-29 00:00") -> Parsed:
    """`count` valid phone contacts with ids <prefix>-<n> (n from `start`), all in March."""
    numbers = np.arange(start, start + count)
    arrived = FIRST + pd.to_timedelta((numbers * 7919) % SPAN_SECONDS, unit="s")
    rows = pd.DataFrame({
        "interaction_id": [f"{prefix}-{n:07d}" for n in numbers],
        "channel": "phone", "arrived_at": arrived, "queue": "billing",
        "answered_at": arrived + pd.Timedelta(seconds=20), "ended_at": arrived + pd.Timedelta(seconds=300),
        "talk_seconds": 280.0, "source_updated_at": pd.Timestamp(version, tz="UTC")})
    return Parsed(SOURCE, rows, records_read=count)


def month_ids(folder: Path) -> pd.Series:
    files = sorted(core.source_dir(folder, SOURCE).glob("*.parquet"))
    return pd.concat([pq.read_table(f, columns=["interaction_id"]).to_pandas()["interaction_id"]
                      for f in files], ignore_index=True)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in core.source_dir(folder, SOURCE).iterdir() if p.suffix != ".parquet")


# --- the fault: two merges into one month at once -----------------------------------------------------

PAUSE = 1.0  # how long the held import waits for the other one to finish (it cannot, under the lock)


def _held_import(folder: Path, hook: str, reached, other_done) -> None:
    """Import batch "a", stopping as its first month file is opened for writing (pq.ParquetWriter) or
    replaced (os.replace) until the other import has finished or PAUSE has passed: the moments two
    imports overlapped in the report. The hook must be reached (`reached`), or the test fails."""
    module = pq if hook == "ParquetWriter" else os
    original = getattr(module, hook)
    calls = []

    def held(*args, **kwargs):
        if not calls:
            calls.append(1)
            reached.set()
            other_done.wait(PAUSE)
        return original(*args, **kwargs)

    setattr(module, hook, held)
    store(folder, batch("a", 3_000), Settings(), ["a.csv"])


def _second_import(folder: Path, reached, done) -> None:
    assert reached.wait(30), "the first import never reached the hook"
    store(folder, batch("b", 3_000), Settings(), ["b.csv"])
    done.set()


@pytest.mark.parametrize("hook", ["ParquetWriter", "replace"])
def test_two_imports_into_one_month_at_once_keep_every_row(tmp_path, hook):
    """Held before writing, the first import used to overwrite the second's rows (lost rows); held
    before replacing, the second took its temporary file and the first died (FileNotFoundError)."""
    folder = tmp_path / "data"
    store(folder, batch("old", 20_000), Settings(), ["old.csv"])
    context = multiprocessing.get_context("fork")
    reached, done = context.Event(), context.Event()
    first = context.Process(target=_held_import, args=(folder, hook, reached, done))
    second = context.Process(target=_second_import, args=(folder, reached, done))
    first.start()
    second.start()
    first.join(60)
    second.join(60)
    assert (first.exitcode, second.exitcode) == (0, 0)
    ids = month_ids(folder)  # every month file readable
    assert ids.is_unique
    assert len(ids) == 26_000, f"{26_000 - len(ids):,} rows lost"
    assert set(ids) == {*batch("old", 20_000).rows["interaction_id"],
                        *batch("a", 3_000).rows["interaction_id"], *batch("b", 3_000).rows["interaction_id"]}
    assert leftovers(folder) == []  # no temporary file left behind
    log = core.read_log(folder)
    assert len(log) == 3 and log["new"].sum() == 26_000


# --- waiting, and giving up -------------------------------------------------------------------------

def test_a_second_import_waits_with_a_message_then_merges(tmp_path):
    folder = tmp_path / "data"
    store(folder, batch("old", 100), Settings(), ["old.csv"])
    messages: list[str] = []
    results: list = []
    with core.import_lock(folder):
        worker = threading.Thread(target=lambda: results.append(
            store(folder, batch("b", 50), Settings(), ["b.csv"], on_wait=messages.append)))
        worker.start()
        time.sleep(0.5)
        assert worker.is_alive() and not results  # waiting for the lock, nothing written
        assert len(month_ids(folder)) == 100
    worker.join(10)
    assert len(messages) == 1
    assert "another import into this data folder is running" in messages[0]
    assert str(os.getpid()) in messages[0]  # who holds it
    assert results[0].new == 50 and len(month_ids(folder)) == 150


def test_an_import_gives_up_after_its_wait_and_writes_nothing(tmp_path):
    folder = tmp_path / "data"
    store(folder, batch("old", 100), Settings(), ["old.csv"])
    before = (core.source_dir(folder, SOURCE) / f"{MONTH}.parquet").read_bytes()
    with core.import_lock(folder), pytest.raises(core.ImportBusy, match="still running after 0.3 s") as busy:
        store(folder, batch("b", 50), Settings(), ["b.csv"], wait_seconds=0.3)
    # the Import page says it in words, as the CLI does (a ValueError, like the other expected failures)
    assert uploads.problem_text("b.csv", busy.value).startswith(
        "b.csv: could not be used: another import into this data folder")
    assert (core.source_dir(folder, SOURCE) / f"{MONTH}.parquet").read_bytes() == before
    assert len(core.read_log(folder)) == 1


def test_a_preview_does_not_wait_for_the_lock(tmp_path):
    folder = tmp_path / "data"
    store(folder, batch("old", 100), Settings(), ["old.csv"])
    with core.import_lock(folder):
        summary = store(folder, batch("old", 50, start=60), Settings(), ["b.csv"], preview=True,
                        wait_seconds=0)
    assert (summary.new, summary.unchanged) == (10, 40)


def test_a_failed_write_leaves_no_temporary_file_and_releases_the_lock(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    store(folder, batch("old", 100), Settings(), ["old.csv"])
    before = (core.source_dir(folder, SOURCE) / f"{MONTH}.parquet").read_bytes()

    class Full(core.pq.ParquetWriter):  # the disk fills once the month file is begun
        def write_table(self, table, *args, **kwargs):
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(core.pq, "ParquetWriter", Full)
    with pytest.raises(OSError, match="No space left"):
        store(folder, batch("b", 50), Settings(), ["b.csv"])
    monkeypatch.undo()
    assert leftovers(folder) == []
    assert (core.source_dir(folder, SOURCE) / f"{MONTH}.parquet").read_bytes() == before
    assert store(folder, batch("b", 50), Settings(), ["b.csv"], wait_seconds=0).new == 50  # not held


def test_the_cli_says_on_stderr_that_it_waits(tmp_path):
    folder = tmp_path / "data"
    export, mapping = _csv_export(tmp_path, "calls", range(0, 40))
    stderr = tmp_path / "stderr.txt"
    with core.import_lock(folder), open(stderr, "w") as errors:
        process = subprocess.Popen(_import_command(folder, export, mapping), stdout=subprocess.PIPE,
                                   stderr=errors, text=True, cwd=ROOT)
        try:
            waited = _wait_for_line(process, stderr, "another import into this data folder is running")
            time.sleep(0.3)
            assert process.poll() is None  # still waiting
        except AssertionError:
            process.kill()
            raise
    out, _ = process.communicate(timeout=60)
    assert process.returncode == 0, stderr.read_text()
    assert waited.startswith("csv: another import") and "waiting for it to finish (at most 10 min)" in waited
    assert json.loads(out.strip().splitlines()[-1])["new"] == 40


def test_the_import_page_confirm_waits_and_says_so(tmp_path):
    folder = tmp_path / "data"
    export, mapping = _csv_export(tmp_path, "calls", range(0, 40))
    upload = uploads.save_upload(folder, [(export.name, export.read_bytes())],
                                 tomllib.loads(mapping.read_text()))
    checked = uploads.check(folder, "csv", upload, Settings())
    messages: list[str] = []
    results: list = []
    with core.import_lock(folder):
        worker = threading.Thread(target=lambda: results.append(
            uploads.confirm(folder, "csv", upload, Settings(), checked, on_wait=messages.append)))
        worker.start()
        time.sleep(0.5)
        assert worker.is_alive()
    worker.join(30)
    assert messages and "another import into this data folder is running" in messages[0]
    assert results[0][0].startswith("Imported calls.csv: 40 new")


# --- a check reads the month files as they were when it started -----------------------------------

def test_a_check_reads_the_month_files_as_they_were_though_an_import_replaces_them(tmp_path, monkeypatch):
    """A check holds no lock, and DuckDB opens a file more than once within a query: a month file an
    import replaced mid-query gave "Invalid data" in the soak below. The check reads links to the files
    as they were when it started, which an import's os.replace does not touch."""
    folder, other = tmp_path / "data", tmp_path / "other"
    store(folder, batch("old", 100), Settings(), ["old.csv"])
    store(other, batch("new", 100), Settings(), ["new.csv"])
    month = core.source_dir(folder, SOURCE) / f"{MONTH}.parquet"
    replacement = core.source_dir(other, SOURCE) / f"{MONTH}.parquet"
    checked = core._stored_columns

    def replaced_once_linked(path, name):  # an import replaces the month file once the check began
        if replacement.exists():
            os.replace(replacement, month)
        return checked(path, name)

    monkeypatch.setattr(core, "_stored_columns", replaced_once_linked)
    summary = store(folder, batch("old", 100), Settings(), ["again.csv"], preview=True)
    assert (summary.new, summary.unchanged) == (0, 100)  # the old file's ids, though it was replaced
    assert set(month_ids(folder).str[:3]) == {"new"}  # the import's file is in place, untouched
    assert not (folder / "imports" / core.PINNED_DIR).exists()  # the links are gone


def test_where_links_cannot_be_made_a_check_reads_the_month_files_themselves(tmp_path, monkeypatch):
    import errno

    folder = tmp_path / "data"
    store(folder, batch("old", 100), Settings(), ["old.csv"])

    def no_links(source, target):
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(core.os, "link", no_links)
    summary = store(folder, batch("old", 60, start=50), Settings(), ["again.csv"], preview=True)
    assert (summary.new, summary.unchanged) == (10, 50)
    assert not (folder / "imports" / core.PINNED_DIR).exists()


# --- a month file that cannot be read ----------------------------------------------------------------

def test_a_month_file_that_cannot_be_read_is_named_and_left_alone(tmp_path):
    folder = tmp_path / "data"
    store(folder, batch("old", 100), Settings(), ["old.csv"])
    month = core.source_dir(folder, SOURCE) / f"{MONTH}.parquet"
    damaged = month.read_bytes()[: month.stat().st_size // 2]  # cut short, as a killed writer leaves it
    month.write_bytes(damaged)
    for preview in (True, False):
        with pytest.raises(ValueError, match=f"interactions/{SOURCE}/{MONTH}.parquet: a month file") as error:
            store(folder, batch("b", 50), Settings(), ["b.csv"], preview=preview)
        assert "nothing was imported" in str(error.value)
        assert "Move it out of the data folder" in str(error.value)
    assert month.read_bytes() == damaged  # not touched: it may be all there is of that month
    assert len(core.read_log(folder)) == 1


def test_the_cli_names_a_month_file_that_cannot_be_read(tmp_path):
    folder = tmp_path / "data"
    export, mapping = _csv_export(tmp_path, "calls", range(0, 40))
    first = subprocess.run(_import_command(folder, export, mapping), capture_output=True, text=True, cwd=ROOT,
                           timeout=60)
    assert first.returncode == 0, first.stderr
    (month,) = core.source_dir(folder, SOURCE).glob("*.parquet")
    month.write_bytes(b"PAR1 not really")
    again = subprocess.run(_import_command(folder, export, mapping), capture_output=True, text=True, cwd=ROOT,
                           timeout=60)
    assert again.returncode == 1
    assert f"interactions/{SOURCE}/{month.name}: a month file" in again.stderr
    assert "Traceback" not in again.stderr


# --- the soak: import processes and page loads at once ----------------------------------------------

MAPPING = """\
source = "soak"

[columns]
interaction_id = "id"
channel = "channel"
arrived_at = "arrived"
answered_at = "answered"
ended_at = "ended"
queue = "queue"
talk_seconds = "talk"
source_updated_at = "changed"
"""


def _csv_export(directory: Path, name: str, numbers, version: str = "2026-03-29T00:00:00Z",
                broken_every: int = 0, repeat_every: int = 0, queue: str = "billing") -> tuple[Path, Path]:
    """A CSV export of contacts <n> (ids soak-<n>), with every `broken_every`-th row a channel that is
    no channel (set aside) and every `repeat_every`-th row delivered twice (an older version first)."""
    lines = ["id,channel,arrived,answered,ended,queue,talk,changed"]
    for n in numbers:
        arrived = FIRST + pd.Timedelta(seconds=(n * 7919) % SPAN_SECONDS)
        channel = "fax" if broken_every and n % broken_every == 0 else "phone"
        answered, ended = arrived + pd.Timedelta(seconds=20), arrived + pd.Timedelta(seconds=300)
        row = (f"soak-{n:07d},{channel},{arrived.isoformat()},{answered.isoformat()},{ended.isoformat()},"
               f"{queue},{version[:10]}")
        if repeat_every and n % repeat_every == 0:
            lines.append(f"{row[: row.rfind(',')]},280,2026-03-01T00:00:00Z")
        lines.append(f"{row[: row.rfind(',')]},280,{version}")
    export = directory / f"{name}.csv"
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")
    mapping = directory / f"{name}.toml"  # one each: never rewritten while an import reads it
    mapping.write_text(MAPPING, encoding="utf-8")
    return export, mapping


def _import_command(folder: Path, export: Path, mapping: Path) -> list[str]:
    return [sys.executable, "-m", "cxdash", "import", "csv", str(export), "--mapping", str(mapping),
            "--data", str(folder), "--json"]


def _wait_for_line(process: subprocess.Popen, stderr: Path, text: str, timeout: float = 30) -> str:
    """The line of the process's stderr (written to a file) holding `text`, once it is there."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = [line for line in stderr.read_text().splitlines() if text in line]
        if lines:
            return lines[0]
        if process.poll() is not None:
            break
        time.sleep(0.05)
    raise AssertionError(f"no line with {text!r} on stderr: {stderr.read_text()!r}")


def _page_loads(folder: Path, stop: threading.Event, seen: list[int], errors: list[BaseException]) -> None:
    """What a visitor does over and over while the imports run: open the store (prepare) and read the
    overview's figures for March."""
    from cxdash.kpis import Period, kpi_values
    from cxdash.store import Store

    march = Period(pd.Timestamp("2026-03-01").date(), pd.Timestamp("2026-03-31").date())
    while not stop.is_set():
        try:
            with Store.open(folder) as opened:
                seen.append(kpi_values(opened, march)["contacts"])
        except BaseException as error:  # noqa: BLE001 - reported by the test
            errors.append(error)
            return
        time.sleep(0.25)


def _previews(folder: Path, stop: threading.Event, seen: list[int], errors: list[BaseException]) -> None:
    """The Import page's check, over and over: it reads the month files without the lock, while the
    imports replace them."""
    while not stop.is_set():
        try:
            summary = store(folder, batch("soak", 2_000, start=39_000), Settings(), ["check.csv"],
                            preview=True)
            assert summary.new + summary.updated + summary.unchanged == 2_000
            seen.append(summary.unchanged)
        except BaseException as error:  # noqa: BLE001 - reported by the test
            errors.append(error)
            return
        time.sleep(0.25)


BULK = 100_000


def test_soak_imports_and_page_loads_at_once_leave_the_folder_consistent(tmp_path):
    started = time.monotonic()
    folder, exports = tmp_path / "data", tmp_path / "exports"
    exports.mkdir()
    # a month already holding 140,000 contacts (soak-0 to soak-39999 and 100,000 more), so each merge
    # reads and rewrites a large file: the imports' merges overlap (the old code lost rows here)
    store(folder, batch("bulk", BULK), Settings(), ["bulk.csv"])
    store(folder, batch("soak", 40_000), Settings(), ["prefill.csv"])
    broken = {n for n in range(35_000, 45_000) if n % 97 == 0}
    repeated = {n for n in range(52_000, 62_000) if n % 11 == 0}
    plan = [  # numbers, version, every n-th row set aside, every n-th row delivered twice, queue
        (range(40_000, 50_000), "2026-03-29T00:00:00Z", 0, 0, "billing"),  # 10,000 new
        (range(45_000, 55_000), "2026-03-29T00:00:00Z", 0, 0, "billing"),  # half the one above again
        (range(35_000, 45_000), "2026-03-30T00:00:00Z", 97, 0, "returns"),  # newer versions, some broken
        (range(52_000, 62_000), "2026-03-29T00:00:00Z", 0, 11, "billing"),  # repeats within the export
    ]
    processes = []
    stop, errors, pages, other_pages, checks = threading.Event(), [], [], [], []
    # two visitors, each opening the store again and again: one's preparation replaces and removes the
    # prepared files the other's open store reads (each reads a snapshot of its own)
    readers = [threading.Thread(target=_page_loads, args=(folder, stop, pages, errors)),
               threading.Thread(target=_page_loads, args=(folder, stop, other_pages, errors)),
               threading.Thread(target=_previews, args=(folder, stop, checks, errors))]
    for reader in readers:
        reader.start()
    for number, (numbers, version, broken_every, repeat_every, queue) in enumerate(plan):
        export, mapping = _csv_export(exports, f"part-{number}", numbers, version, broken_every, repeat_every,
                                      queue)
        processes.append(subprocess.Popen(_import_command(folder, export, mapping), stdout=subprocess.PIPE,
                                          stderr=subprocess.PIPE, text=True, cwd=ROOT))
        time.sleep(0.1)
    outcomes = [process.communicate(timeout=50) for process in processes]
    time.sleep(0.5)  # a page load or two after the last import
    stop.set()
    for reader in readers:
        reader.join(30)
    assert not errors, errors
    assert [p.returncode for p in processes] == [0] * len(plan), [err for _, err in outcomes]
    summaries = [json.loads(out.strip().splitlines()[-1]) for out, _ in outcomes]
    assert all(s["balanced"] for s in summaries)

    # what is stored: every file readable, each id once, the newest version of each
    month_files = sorted(core.source_dir(folder, SOURCE).glob("*.parquet"))
    stored = pd.concat([pq.read_table(f).to_pandas() for f in month_files], ignore_index=True)
    assert stored["interaction_id"].is_unique
    assert set(stored["interaction_id"]) == {f"soak-{n:07d}" for n in range(62_000)} | \
        set(batch("bulk", BULK).rows["interaction_id"])
    newer = {f"soak-{n:07d}" for n in set(range(35_000, 45_000)) - broken}
    assert set(stored.loc[stored["queue"] == "returns", "interaction_id"]) == newer
    assert (stored.loc[stored["queue"] == "returns", "source_updated_at"]
            == pd.Timestamp("2026-03-30", tz="UTC")).all()
    assert leftovers(folder) == []
    set_aside = sum(pq.read_table(f).num_rows for f in (folder / "imports" / SOURCE).glob("*.parquet"))

    # rows read = rows stored + rows set aside + rows that changed nothing or replaced a stored row
    log = core.read_log(folder)
    assert len(log) == 2 + len(plan) and log["balanced"].all()
    assert log["new"].sum() == len(stored)
    assert log["set_aside"].sum() == set_aside == len(broken)
    assert log["superseded"].sum() == len(repeated)
    assert log["records_read"].sum() == len(stored) + set_aside + log["updated"].sum() + \
        log["unchanged"].sum() + log["superseded"].sum() + log["merged"].sum()
    # the stored half of the newer versions replaced rows; the other half too if it came second
    assert 5_000 - len(broken & set(range(40_000))) <= log["updated"].sum() <= len(newer)

    # the page saw whole imports only: some contacts, never more than in the end, never fewer than it
    # saw before; the checks always found the prefilled half of their records
    assert pages and all(BULK + 40_000 <= count <= len(stored) for count in pages), sorted(set(pages))
    assert pages == sorted(pages), pages
    assert other_pages and all(BULK + 40_000 <= count <= len(stored) for count in other_pages)
    assert other_pages == sorted(other_pages), other_pages
    assert checks and all(count >= 1_000 for count in checks), sorted(set(checks))

    # the store, prepared again, agrees with an independent count, and every file passes validate
    valid = subprocess.run([sys.executable, "-m", "cxdash", "validate", "--data", str(folder), "--json"],
                           capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert valid.returncode == 0, valid.stdout + valid.stderr
    report = json.loads(valid.stdout)
    assert (report["rows_read"], report["rows_used"], report["rows_set_aside"]) == \
        (len(stored), len(stored), 0)
    kpis = subprocess.run([sys.executable, "-m", "cxdash", "kpis", "--start", "2026-03-01", "--end",
                           "2026-03-31", "--data", str(folder), "--json"],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert kpis.returncode == 0, kpis.stderr
    counted = duckdb.sql(
        "select count(*) from read_parquet($files) "
        "where (arrived_at at time zone 'America/Los_Angeles') >= timestamp '2026-03-01' "
        "and (arrived_at at time zone 'America/Los_Angeles') < timestamp '2026-04-01'",
        params={"files": [str(f) for f in month_files]}).fetchall()[0][0]
    assert json.loads(kpis.stdout)["contacts"] == counted == len(stored)
    for path in (folder / ".cxdash").rglob("*.parquet"):
        pq.read_metadata(path)  # every prepared file readable
    assert time.monotonic() - started < 60


def test_month_files_written_in_batches_hold_each_months_rows_in_time_order(tmp_path, monkeypatch):
    """Months are written a query each, in batches of core.MONTH_BATCH_ROWS rows (a row group each),
    each month holding its own rows only, in time order."""
    monkeypatch.setattr(core, "MONTH_BATCH_ROWS", 7)
    parsed = batch("m", 60)
    # 20 contacts in each of February, March and April (local time), shuffled
    arrived = pd.Series(pd.to_datetime(["2026-02-10 18:00", "2026-03-10 18:00", "2026-04-10 18:00"] * 20,
                                       utc=True)) + pd.to_timedelta(np.arange(60), unit="min")
    rows = parsed.rows.assign(arrived_at=arrived, answered_at=arrived + pd.Timedelta(seconds=20),
                              ended_at=arrived + pd.Timedelta(seconds=300)).sample(frac=1, random_state=3)
    summary = store(tmp_path, Parsed(SOURCE, rows, records_read=60), Settings(), ["m.csv"])
    assert summary.months_written == ["2026-02", "2026-03", "2026-04"]
    for month, first in (("2026-02", 0), ("2026-03", 1), ("2026-04", 2)):
        stored = pq.read_table(core.source_dir(tmp_path, SOURCE) / f"{month}.parquet").to_pandas()
        expected = parsed.rows.iloc[first::3]  # that month's ids, in arrival order
        assert list(stored["interaction_id"]) == list(expected["interaction_id"])
        assert stored["arrived_at"].is_monotonic_increasing
        assert pq.ParquetFile(core.source_dir(tmp_path, SOURCE) / f"{month}.parquet").num_row_groups >= 3
