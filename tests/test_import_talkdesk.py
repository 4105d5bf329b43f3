"""The Talkdesk importer: the calls report CSV into contract rows; every row accounted for; idempotent
and incremental through core.store."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxdash import cli
from cxdash.calendar import SKIPPED_REASON
from cxdash.importers import import_files, talkdesk
from cxdash.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures" / "imports" / "talkdesk"
CALLS = FIXTURES / "calls.csv"
LATER = FIXTURES / "calls_later.csv"  # c7 gained a CSAT answer, c11 is new, the rest as before


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def stored(folder: Path) -> pd.DataFrame:
    frames = [pd.read_parquet(path).assign(month=path.stem)
              for path in sorted((folder / "interactions" / "talkdesk").glob("*.parquet"))]
    return pd.concat(frames).set_index("interaction_id")


def month_mtimes(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in (folder / "interactions" / "talkdesk").glob("*.parquet")}


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_each_call_is_imported_field_by_field(tmp_path):
    import_files(tmp_path, "talkdesk", [CALLS], Settings())
    rows = stored(tmp_path)
    assert sorted(rows.index) == ["td-c1", "td-c2", "td-c3", "td-c4", "td-c5", "td-c7"]
    assert set(rows["month"]) == {"2024-05"} and set(rows["channel"]) == {"phone"}

    # answered after a 20 s wait; the later copy in the file ends earlier (older): this one wins
    c = rows.loc["td-c1"]
    assert c["arrived_at"] == utc("2024-05-06 15:00:00")
    assert c["answered_at"] == utc("2024-05-06 15:00:20")
    assert c["ended_at"] == utc("2024-05-06 15:06:00")
    assert not c["abandoned"]
    assert (c["talk_seconds"], c["hold_seconds"]) == (300, 40)
    assert pd.isna(c["wrap_seconds"])
    assert c["agent_id"] == "td-u1" and c["team"] == "Team A" and c["queue"] == "support"
    assert c["csat_score"] == 5
    assert c["source_updated_at"] == utc("2024-05-06 15:06:00")

    # abandoned, short-abandoned and missed: abandoned, never answered, no agent; ended when the
    # caller left (cxdash's own short-abandon threshold applies to end - start)
    for call, ended in [("td-c2", "2024-05-06 15:11:30"), ("td-c3", "2024-05-06 15:20:03"),
                        ("td-c4", "2024-05-06 15:32:00")]:
        c = rows.loc[call]
        assert c["abandoned"] and pd.isna(c["answered_at"]) and pd.isna(c["agent_id"])
        assert c["ended_at"] == utc(ended)
    assert rows.loc["td-c4", "team"] == "Team B" and rows.loc["td-c4", "queue"] == "billing"

    # voicemail: offered, not answered live, not abandoned
    c = rows.loc["td-c5"]
    assert not c["abandoned"] and pd.isna(c["answered_at"]) and pd.isna(c["team"])

    # hh:mm:ss durations, as the Explore UI writes them
    c = rows.loc["td-c7"]
    assert (c["talk_seconds"], c["hold_seconds"]) == (250, 0)
    assert c["answered_at"] == utc("2024-05-07 16:00:15")
    assert c["agent_id"] == "td-u2" and pd.isna(c["csat_score"])


def test_summary_counts_every_row(tmp_path):
    s = import_files(tmp_path, "talkdesk", [CALLS], Settings())
    assert s.records_read == 11
    assert (s.new, s.updated, s.unchanged, s.superseded, s.merged) == (6, 0, 0, 1, 0)
    assert s.set_aside == 4
    assert s.reasons == {"outbound call (not a customer contact arriving)": 1,
                         "expected 18 fields, found 17": 1,
                         "start_at: not a timestamp": 1,
                         "column csat_score: above 5": 1}
    assert s.balanced
    aside = s.set_aside_rows
    assert sorted(zip(aside["source_file"], aside["source_row"], aside["reason"], strict=True)) == [
        ("calls.csv", 7, "outbound call (not a customer contact arriving)"),
        ("calls.csv", 10, "column csat_score: above 5"),
        ("calls.csv", 11, "expected 18 fields, found 17"),
        ("calls.csv", 12, "start_at: not a timestamp"),
    ]
    outbound = aside[aside["source_row"] == 7]["record"].iloc[0]
    assert json.loads(outbound)["call_id"] == "c6"
    assert s.notes == ["1 voicemail(s): offered, not answered live and not abandoned"]


def test_importing_the_same_report_twice_writes_nothing(tmp_path):
    import_files(tmp_path, "talkdesk", [CALLS], Settings())
    before = month_mtimes(tmp_path)
    again = import_files(tmp_path, "talkdesk", [CALLS], Settings())
    assert (again.new, again.updated, again.unchanged) == (0, 0, 6)
    assert again.months_written == []
    assert again.balanced
    assert month_mtimes(tmp_path) == before


def test_a_later_report_adds_the_new_call_and_replaces_the_changed_one(tmp_path):
    import_files(tmp_path, "talkdesk", [CALLS], Settings())
    later = import_files(tmp_path, "talkdesk", [LATER], Settings())
    assert (later.records_read, later.new, later.updated, later.unchanged) == (7, 1, 1, 5)
    assert later.balanced and later.months_written == ["2024-05"]
    rows = stored(tmp_path)
    assert rows.loc["td-c7", "csat_score"] == 4  # the survey answer came in after the first report
    assert rows.loc["td-c11", "answered_at"] == utc("2024-05-08 09:00:25")
    assert len(rows) == 7


def test_the_import_passes_validate(tmp_path):
    import_files(tmp_path, "talkdesk", [CALLS], Settings())
    assert cli.main(["validate", "--data", str(tmp_path)]) == 0


def test_the_cli_imports_and_prints_json(tmp_path, capsys):
    assert cli.main(["import", "talkdesk", str(CALLS), "--data", str(tmp_path), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["records_read"], summary["new"], summary["set_aside"]) == (11, 6, 4)
    assert summary["balanced"] is True


def test_ui_headers_local_times_and_clock_durations(tmp_path):
    """A report as the Explore UI downloads it: display headers, times without an offset (read in the
    mapping's timezone), durations as hh:mm:ss or mm:ss."""
    report = write(tmp_path / "Calls Report.csv",
                   "Call ID,Call Type,Start Time,End Time,Talk Time,Wait Time,Hold Time,User ID,Team\n"
                   "a1,Inbound,2024-05-06 08:00:00,2024-05-06 08:05:00,04:30,0:20,00:00:10,u9,Team C\n"
                   "a2,Outbound Missed,2024-05-06 08:10:00,2024-05-06 08:10:30,0,0,0,u9,Team C\n"
                   "a3,Transfer,2024-05-06 08:20:00,2024-05-06 08:21:00,0,0,0,u9,Team C\n"
                   "a4,Inbound,2024-05-06 08:30:00,2024-05-06 08:29:00,0,0,0,u9,Team C\n"
                   "a5,Inbound,2024-05-06 08:40:00,2024-05-06 08:45:00,ages,,0,u9,Team C\n")
    parsed = talkdesk.parse([report], Settings(), {"timezone": "America/New_York"})
    row = parsed.rows.set_index("interaction_id").loc["td-a1"]
    assert row["arrived_at"] == utc("2024-05-06 12:00:00")  # 08:00 in New York (EDT)
    assert row["answered_at"] == utc("2024-05-06 12:00:20")
    assert (row["talk_seconds"], row["hold_seconds"]) == (270, 10)
    assert row["team"] == "Team C" and row["agent_id"] == "td-u9"
    assert sorted(zip(parsed.set_aside["source_row"], parsed.set_aside["reason"], strict=True)) == [
        (3, "outbound call (not a customer contact arriving)"),
        (4, "call type not known: Transfer"),
        (5, "end_at before start_at"),
        (6, "talk_time: not seconds or hh:mm:ss"),
    ]
    assert parsed.records_read == 5


def test_seconds_reads_numbers_and_clock_times():
    values = pd.Series(["90", "00:01:30", "1:30", "01:02:03", "12.5", "abc", None], dtype=object)
    assert talkdesk.seconds(values).tolist()[:5] == [90, 90, 90, 3723, 12.5]
    assert np.isnan(talkdesk.seconds(values).tolist()[5:]).all()


def test_a_file_that_is_not_a_calls_report_is_refused(tmp_path):
    ratings = Path(__file__).parent / "fixtures" / "imports" / "zendesk" / "satisfaction_ratings.csv"
    with pytest.raises(ValueError, match="satisfaction_ratings.csv: not a Talkdesk calls report"):
        talkdesk.parse([CALLS, ratings], Settings())
    as_json = write(tmp_path / "calls.json", json.dumps({"entries": []}))
    with pytest.raises(ValueError, match="calls.json: not a Talkdesk calls report.*JSON"):
        talkdesk.parse([as_json], Settings())
    with pytest.raises(ValueError, match="timezone"):
        talkdesk.parse([CALLS], Settings(), {"timezone": "Nowhere/Town"})


def test_local_times_follow_the_one_daylight_saving_rule(tmp_path):
    """Times without an offset, in Europe/Dublin (cxdash.calendar's rule): a call that starts at
    2021-03-28 01:30, a time the clocks skip (01:00 GMT is followed by 02:00 IST), is set aside with the
    calendar's reason; one at 2021-10-31 01:30, a time the clocks show twice, is read as the first (IST,
    UTC+1): 00:30 UTC, and its end at 01:50 likewise: 00:50 UTC."""
    report = write(tmp_path / "calls.csv",
                   "call_id,type,start_at,end_at,talk_time,wait_time,hold_time,user_id\n"
                   "d1,inbound,2021-03-28 01:30:00,2021-03-28 02:40:00,60,5,0,u1\n"
                   "d2,inbound,2021-10-31 01:30:00,2021-10-31 01:50:00,60,5,0,u1\n"
                   "d3,inbound,2021-03-28 00:50:00,2021-03-28 01:20:00,60,5,0,u1\n")
    parsed = talkdesk.parse([report], Settings(), {"timezone": "Europe/Dublin"})
    rows = parsed.rows.set_index("interaction_id")
    assert list(rows.index) == ["td-d2"]
    assert rows.loc["td-d2", "arrived_at"] == utc("2021-10-31 00:30")
    assert rows.loc["td-d2", "ended_at"] == utc("2021-10-31 00:50")
    assert sorted(zip(parsed.set_aside["source_row"], parsed.set_aside["reason"], strict=True)) == [
        (2, f"start_at: {SKIPPED_REASON}"),
        (4, f"end_at: {SKIPPED_REASON}")]
    assert parsed.records_read == 3
