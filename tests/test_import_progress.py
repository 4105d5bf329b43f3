"""Progress of an import (issue 16: the Import page shows progress on imports that take more than a
second): the hook `progress(stage, fraction)` of core.store, parse_files and the upload's save, check and
confirm hears each stage as a sentence, with fractions that never go back and end at 1.0; the command
line prints the stages on a terminal once an import has run a second."""

from __future__ import annotations

import io
import time
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from cxdash import cli
from cxdash.importers import parse_files, uploads
from cxdash.importers.core import Parsed, store
from cxdash.settings import Settings
from tests.test_import_page import CTR, _parquet_bytes, _upload


class Heard:
    """A progress hook that keeps what it hears."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, float]] = []

    def __call__(self, stage: str, fraction: float) -> None:
        assert isinstance(stage, str) and stage, stage
        self.calls.append((stage, fraction))

    @property
    def stages(self) -> list[str]:
        return [stage for stage, _ in self.calls]

    @property
    def fractions(self) -> list[float]:
        return [fraction for _, fraction in self.calls]

    def assert_steady(self) -> None:
        """Fractions within 0 to 1, never going back, the last 1.0 (said "Done")."""
        assert self.calls, "the hook was never called"
        assert all(0.0 <= f <= 1.0 for f in self.fractions), self.calls
        assert all(a <= b for a, b in zip(self.fractions, self.fractions[1:], strict=False)), self.calls
        assert self.calls[-1] == ("Done", 1.0), self.calls


def _two_months(ids: list[str], months: list[int]) -> Parsed:
    """Phone contacts arriving on the 15th of each month of 2026 given (mid-month: the same local month
    in any zone), one version each."""
    count = len(ids)
    rows = pd.DataFrame({
        "interaction_id": ids,
        "channel": ["phone"] * count,
        "arrived_at": pd.Series([datetime(2026, m, 15, 18, tzinfo=UTC) for m in months],
                                dtype="datetime64[us, UTC]"),
        "talk_seconds": [60.0] * count,
        "source_updated_at": pd.Series([datetime(2026, 11, 1, tzinfo=UTC)] * count,
                                       dtype="datetime64[us, UTC]"),
        "source_file": ["export.csv"] * count,
        "source_row": list(range(2, count + 2)),
    })
    return Parsed("test", rows, records_read=count)


# --- core.store ------------------------------------------------------------------------------------

def test_a_preview_tells_checking_comparing_and_done_and_writes_nothing(tmp_path):
    heard = Heard()
    summary = store(tmp_path, _two_months(["a", "b", "c"], [9, 10, 10]), Settings(), ["export.csv"],
                    preview=True, progress=heard)
    assert heard.calls == [("Checking 3 records against the data contract", 0.0),
                           ("Comparing with what is stored", 0.6), ("Done", 1.0)]
    heard.assert_steady()
    assert (summary.new, summary.months_written) == (3, ["2026-09", "2026-10"])
    assert not (tmp_path / "interactions").exists()


def test_a_two_month_import_tells_each_month_it_writes(tmp_path):
    heard = Heard()
    summary = store(tmp_path, _two_months(["a", "b", "c"], [9, 10, 10]), Settings(), ["export.csv"],
                    progress=heard)
    assert heard.calls == [("Checking 3 records against the data contract", 0.0),
                           ("Comparing with what is stored", 0.3),
                           ("Writing month 1 of 2 (2026-09)", 0.5),
                           ("Writing month 2 of 2 (2026-10)", 0.75),
                           ("Done", 1.0)]
    heard.assert_steady()
    assert summary.new == 3 and summary.balanced
    assert sorted(p.name for p in (tmp_path / "interactions" / "test").iterdir()) == \
        ["2026-09.parquet", "2026-10.parquet"]

    # a change to one contact of October rewrites that month alone: one month of one
    again = _two_months(["a", "b", "c"], [9, 10, 10])
    again.rows.loc[2, "talk_seconds"] = 90.0
    again.rows["source_updated_at"] = pd.Series([datetime(2026, 11, 2, tzinfo=UTC)] * 3,
                                                dtype="datetime64[us, UTC]")
    heard = Heard()
    summary = store(tmp_path, again, Settings(), ["export.csv"], progress=heard)
    assert (summary.updated, summary.unchanged, summary.months_written) == (1, 2, ["2026-10"])
    assert [s for s in heard.stages if s.startswith("Writing")] == ["Writing month 1 of 1 (2026-10)"]
    heard.assert_steady()

    # the same export once more: nothing to write, so no month stage
    heard = Heard()
    summary = store(tmp_path, again, Settings(), ["export.csv"], progress=heard)
    assert summary.months_written == [] and summary.unchanged == 3
    assert heard.stages == ["Checking 3 records against the data contract", "Comparing with what is stored",
                            "Done"]
    heard.assert_steady()


def test_the_hook_changes_nothing_of_what_an_import_does(tmp_path):
    parsed = _two_months(["a", "b", "c"], [9, 10, 10])
    told = store(tmp_path / "told", parsed, Settings(), ["export.csv"], progress=Heard())
    silent = store(tmp_path / "silent", parsed, Settings(), ["export.csv"])
    assert {k: v for k, v in told.to_dict().items() if k != "set_aside_file"} == \
        {k: v for k, v in silent.to_dict().items() if k != "set_aside_file"}
    for month in ("2026-09", "2026-10"):
        assert pq.read_table(tmp_path / "told" / "interactions" / "test" / f"{month}.parquet").equals(
            pq.read_table(tmp_path / "silent" / "interactions" / "test" / f"{month}.parquet"))


def test_a_failing_import_stops_the_stages_where_it_failed(tmp_path):
    damaged = tmp_path / "interactions" / "test" / "2026-10.parquet"
    damaged.parent.mkdir(parents=True)
    damaged.write_bytes(b"not parquet")
    heard = Heard()
    with pytest.raises(ValueError, match="cannot be read"):
        store(tmp_path, _two_months(["a"], [10]), Settings(), ["export.csv"], progress=heard)
    assert heard.stages == ["Checking 1 record against the data contract", "Comparing with what is stored"]


# --- parse_files and the upload's save, check and confirm ------------------------------------------

def test_parse_files_tells_the_files_it_reads_then_the_records_read():
    heard = Heard()
    parsed = parse_files("amazon-connect", [CTR], Settings(), progress=heard)
    assert heard.calls == [(f"Reading {CTR.name}", 0.0), ("Read 13 records", 1.0)]
    assert parsed.records_read == 13
    names = [Path(f"/x/{n}.jsonl") for n in "abcde"]
    heard = Heard()
    with pytest.raises(OSError):  # the files do not exist: the first stage is said all the same
        parse_files("amazon-connect", names, Settings(), progress=heard)
    assert heard.stages == ["Reading a.jsonl, b.jsonl, c.jsonl and 2 more files"]


def test_saving_an_upload_tells_each_file_saved_then_counted(tmp_path):
    heard = Heard()
    data = CTR.read_bytes()
    uploads.save_upload(tmp_path, [("one.jsonl", data), ("two.jsonl", data)], progress=heard)
    assert heard.calls == [("Saving one.jsonl (file 1 of 2)", 0.0), ("Saving two.jsonl (file 2 of 2)", 0.25),
                           ("Counting the records of one.jsonl (file 1 of 2)", 0.5),
                           ("Counting the records of two.jsonl (file 2 of 2)", 0.75),
                           ("Saved 2 files", 1.0)]
    heard = Heard()
    uploads.save_upload(tmp_path, [("one.jsonl", data)], progress=heard)
    assert heard.stages == ["Saving one.jsonl", "Counting the records of one.jsonl", "Saved 1 file"]


def test_a_check_then_its_confirm_tell_every_stage_of_a_two_file_upload(tmp_path):
    folder, settings = tmp_path / "data", Settings()
    later = tmp_path / "ctr-later.jsonl"
    later.write_text(CTR.read_text().replace('"c1-voice"', '"c1-voice-later"'))
    upload = _upload(folder, CTR, later)
    heard = Heard()
    checked = uploads.check(folder, "amazon-connect", upload, settings, heard)
    share = uploads.PARSE_SHARE
    assert heard.stages == [f"Reading {CTR.name}, ctr-later.jsonl", "Read 26 records",
                            f"Checking {len(checked.parsed.rows)} records against the data contract",
                            "Comparing with what is stored", "Done"]
    assert heard.fractions == pytest.approx([0.0, share, share, share + 0.6 * (1 - share), 1.0])
    heard.assert_steady()
    assert checked.read == 26 and checked.balanced

    # the confirm reuses the check's reading: it starts at the contract checks
    heard = Heard()
    uploads.confirm(folder, "amazon-connect", upload, settings, checked, progress=heard)
    assert heard.stages == [f"Checking {len(checked.parsed.rows)} records against the data contract",
                            "Comparing with what is stored", "Writing month 1 of 1 (2026-10)", "Done"]
    heard.assert_steady()

    # without the check at hand, it reads the files first
    heard = Heard()
    uploads.confirm(tmp_path / "other", "amazon-connect", _upload(tmp_path / "other", CTR), settings,
                    progress=heard)
    assert heard.stages[:2] == [f"Reading {CTR.name}", "Read 13 records"]
    assert "Writing month 1 of 1 (2026-10)" in heard.stages
    heard.assert_steady()


def test_a_contract_parquet_is_checked_and_added_with_its_stages(tmp_path):
    folder, settings = tmp_path / "data", Settings()
    content = _parquet_bytes([{"interaction_id": "c", "channel": "email", "arrived_at": "2026-10-05 18:00"}])
    upload = uploads.save_upload(folder, [("october.parquet", content)])
    heard = Heard()
    checked = uploads.check(folder, uploads.PARQUET, upload, settings, heard)
    assert heard.stages == ["Checking 1 file against the data contract",
                            "Comparing with the data folder's contacts", "Done"]
    heard.assert_steady()
    heard = Heard()
    uploads.confirm(folder, uploads.PARQUET, upload, settings, checked, progress=heard)
    assert heard.calls == [("Adding october.parquet", 0.8), ("Done", 1.0)]
    heard = Heard()  # without the check: it is made first, inside the same bar
    again = uploads.save_upload(folder, [("november.parquet", content)])
    uploads.confirm(folder, uploads.PARQUET, again, settings, progress=heard)
    assert heard.stages == ["Checking 1 file against the data contract",
                            "Comparing with the data folder's contacts", "Done", "Adding november.parquet",
                            "Done"]
    heard.assert_steady()


def test_steady_never_goes_back_and_part_places_a_step_inside_the_whole():
    heard = Heard()
    tell = uploads.steady(heard)
    for stage, fraction in [("a", 0.4), ("b", 0.2), ("c", 1.5), ("d", float("nan")), ("e", -1.0)]:
        tell(stage, fraction)
    assert heard.calls == [("a", 0.4), ("b", 0.4), ("c", 1.0), ("d", 1.0), ("e", 1.0)]
    heard = Heard()
    inner = uploads.part(heard, 0.7, 1.0)
    inner("x", 0.0)
    inner("y", 0.5)
    inner("z", 2.0)
    assert heard.fractions == pytest.approx([0.7, 0.85, 1.0])
    assert uploads.steady(None) is None and uploads.part(None, 0, 1) is None


# --- the command line ------------------------------------------------------------------------------

class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_command_line_prints_the_stages_on_a_terminal_once_an_import_runs_a_second():
    stream = Terminal()
    with cli._import_stages("zendesk", stream, after=0.05) as tell:
        tell("Reading tickets.json", 0.0)
        time.sleep(0.3)  # past `after`: the stage at that moment is printed, then each new one
        tell("Writing month 1 of 2 (2026-10)", 0.5)
        tell("Done", 1.0)
    lines = stream.getvalue().splitlines()
    assert [line.split(" (")[0] for line in lines] == [
        "zendesk:   0% Reading tickets.json", "zendesk:  50% Writing month 1 of 2", "zendesk: 100% Done"]
    assert all(line.endswith(" s)") for line in lines)

    quick = Terminal()  # an import done within the second prints no stage
    with cli._import_stages("zendesk", quick, after=60) as tell:
        tell("Reading tickets.json", 0.0)
        tell("Done", 1.0)
    time.sleep(0.05)
    assert quick.getvalue() == ""

    with cli._import_stages("zendesk", io.StringIO(), after=0) as tell:  # not a terminal: no hook
        assert tell is None


def test_the_import_command_prints_only_its_summary_when_stderr_is_no_terminal(tmp_path, capsys):
    assert cli.main(["import", "amazon-connect", str(CTR), "--data", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("amazon-connect: 13 records read from 1 file(s) = 7 new")
    assert "month files that were written: 2026-10" in out
    assert err == ""
    assert (tmp_path / "interactions" / "amazon-connect" / "2026-10.parquet").exists()
