"""The Talkdesk importer: the calls report CSV into contract rows; every row accounted for; idempotent
and incremental through core.store."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxdash import cli
from cxdash.calendar import SKIPPED_REASON
from cxdash.db import connect, load_sql
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

    # answered after a 20 s wait; the later copy in the file ends earlier (older): this one wins. Its
    # talk_time (300 s) includes the 40 s on hold: talk 260 + hold 40 (handle time counts hold once)
    c = rows.loc["td-c1"]
    assert c["arrived_at"] == utc("2024-05-06 15:00:00")
    assert c["answered_at"] == utc("2024-05-06 15:00:20")
    assert c["ended_at"] == utc("2024-05-06 15:06:00")
    assert not c["abandoned"]
    assert (c["talk_seconds"], c["hold_seconds"]) == (260, 40)
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
    assert (row["talk_seconds"], row["hold_seconds"]) == (260, 10)  # 04:30 of talk, 10 s of it on hold
    assert row["team"] == "Team C" and row["agent_id"] == "td-u9"
    assert sorted(zip(parsed.set_aside["source_row"], parsed.set_aside["reason"], strict=True)) == [
        (3, "outbound call (not a customer contact arriving)"),
        (4, "call type not known: Transfer"),
        (5, "end_at before start_at"),
        (6, "talk_time: not seconds or hh:mm:ss"),
    ]
    assert parsed.records_read == 5


def test_durations_are_seconds_or_clock_times(tmp_path):
    """Durations are read as seconds, or [h:]mm:ss as the Explore UI shows them; anything else sets the
    call aside."""
    values = ["90", "00:01:30", "1:30", "01:02:03", "12.5", "abc", ""]
    report = write(tmp_path / "calls.csv", "call_id,type,start_at,end_at,talk_time,wait_time,hold_time\n"
                   + "".join(f"s{i},inbound,2024-05-06T08:00:00Z,2024-05-06T10:00:00Z,{value},0,0\n"
                             for i, value in enumerate(values)))
    parsed = talkdesk.parse([report], Settings())
    talk = parsed.rows.set_index("interaction_id")["talk_seconds"]
    assert talk[["td-s0", "td-s1", "td-s2", "td-s3", "td-s4"]].tolist() == [90, 90, 90, 3723, 12.5]
    assert np.isnan(talk["td-s6"])  # no talk_time written
    assert parsed.set_aside[["source_row", "reason"]].values.tolist() == [
        [7, "talk_time: not seconds or hh:mm:ss"]]


def test_a_file_that_is_not_a_calls_report_is_refused(tmp_path):
    ratings = Path(__file__).parent / "fixtures" / "imports" / "zendesk" / "satisfaction_ratings.csv"
    with pytest.raises(ValueError, match="satisfaction_ratings.csv: not a Talkdesk calls report"):
        talkdesk.parse([CALLS, ratings], Settings())
    # JSON is read (test_the_api_json_report_is_read...), but JSON that holds no calls report is not one
    tickets = Path(__file__).parent / "fixtures" / "imports" / "zendesk" / "tickets.json"
    with pytest.raises(ValueError, match="tickets.json: not a Talkdesk calls report.*no call_id"):
        talkdesk.parse([tickets], Settings())
    as_json = write(tmp_path / "calls.json", "[1, 2, 3]")
    with pytest.raises(ValueError, match="calls.json: not a Talkdesk calls report.*holds no calls"):
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


# --- issue 16: what real Talkdesk reports hold ------------------------------------------------------------
# No real Talkdesk export could be had: calls_api.json, calls_pages.jsonl, calls_older.csv,
# explore_calls_old.json and calls_notes.csv are written here after the shapes Talkdesk documents (the
# calls report's fields and its JSON example, the HAL pages of its API, the older Explore payload).

API = FIXTURES / "calls_api.json"  # one page {"type", "version", "entries": [...], "total"}
PAGES = FIXTURES / "calls_pages.jsonl"  # HAL pages a line, {"_embedded": {"entries": [...]}}; one cut short
OLDER = FIXTURES / "calls_older.csv"  # callsid, agent_name, handling_agent_name; no call_id, no user_id
EXPLORE_OLD = FIXTURES / "explore_calls_old.json"  # the older Explore payload: fractions of a day
NOTES = FIXTURES / "calls_notes.csv"  # a note over two lines, a blank line, broken rows after them


def pseudonym(name: str) -> str:
    return "td-agent-" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:16]


def test_the_api_json_report_is_read_field_by_field(tmp_path):
    """Finding 1: the reporting API's JSON (one page, `entries`, JSON numbers and nulls) is a calls
    report like its CSV; a transferred call is its handling agent's, talk excludes the hold."""
    s = import_files(tmp_path, "talkdesk", [API], Settings())
    assert (s.records_read, s.new, s.set_aside, s.balanced) == (6, 5, 1, True)
    assert s.reasons == {"outbound call (not a customer contact arriving)": 1}
    assert s.set_aside_rows["source_row"].tolist() == [5]  # the fifth call of the file: j5
    rows = stored(tmp_path)
    assert sorted(rows.index) == ["td-j1", "td-j2", "td-j3", "td-j4", "td-j6"]
    j1 = rows.loc["td-j1"]  # rang u1, transferred to u2 who handled it; 300 s of talk, 60 of them on hold
    assert (j1["arrived_at"], j1["answered_at"], j1["ended_at"]) == (
        utc("2024-06-03 14:00:00"), utc("2024-06-03 14:00:12"), utc("2024-06-03 14:05:12"))
    assert not j1["abandoned"] and j1["channel"] == "phone"
    assert (j1["talk_seconds"], j1["hold_seconds"]) == (240, 60) and pd.isna(j1["wrap_seconds"])
    assert (j1["agent_id"], j1["team"], j1["queue"], j1["csat_score"]) == ("td-u2", "Team A", "support", 4)
    assert j1["source_updated_at"] == utc("2024-06-03 14:05:12")
    j6 = rows.loc["td-j6"]  # no handling agent: the agent it rang answered it
    assert (j6["agent_id"], j6["talk_seconds"], j6["hold_seconds"]) == ("td-u1", 120, 0)
    assert j6["answered_at"] == utc("2024-06-04 09:00:05") and pd.isna(j6["csat_score"])
    j4 = rows.loc["td-j4"]  # missed: rang u3, nobody answered
    assert j4["abandoned"] and pd.isna(j4["agent_id"]) and pd.isna(j4["answered_at"])
    assert (j4["team"], j4["queue"], j4["ended_at"]) == ("Team B", "billing", utc("2024-06-03 15:00:20"))
    assert rows.loc["td-j2", "abandoned"] and not rows.loc["td-j3", "abandoned"]
    assert cli.main(["validate", "--data", str(tmp_path)]) == 0


def test_json_lines_of_hal_pages_and_a_page_cut_short(tmp_path):
    """Finding 1: JSON lines of pages in the API's HAL form (`_embedded.entries`, `_links`); a line cut
    short is one record set aside with its text, the rest imported."""
    s = import_files(tmp_path, "talkdesk", [PAGES], Settings())
    assert (s.records_read, s.new, s.superseded, s.set_aside, s.balanced) == (5, 4, 0, 1, True)
    assert s.reasons == {"a line that is not JSON": 1}
    aside = s.set_aside_rows.iloc[0]
    assert aside["source_row"] == 3 and aside["record"].startswith('{"total": 4, "count": 2, "page": 2')
    rows = stored(tmp_path)
    assert sorted(rows.index) == ["td-h1", "td-h2", "td-h3", "td-h4"]
    assert (rows.loc["td-h1", "talk_seconds"], rows.loc["td-h1", "hold_seconds"]) == (150, 30)
    # h3: 70 s on hold within 50 s of talk (talk_time includes the hold): talk 0, and a note says so
    assert (rows.loc["td-h3", "talk_seconds"], rows.loc["td-h3", "hold_seconds"]) == (0, 70)
    assert ("1 answered call(s) had more hold_time than talk_time, which includes the hold: talk counted "
            "as 0") in s.notes
    assert rows.loc["td-h2", "abandoned"] and pd.isna(rows.loc["td-h2", "talk_seconds"])


def test_json_lines_whose_first_line_is_broken_or_not_utf8(tmp_path):
    """JSON lines are told from a document by their first line; when that line is cut short, the file
    is still read line by line. A line that is not UTF-8 is set aside (numbered by its line), the rest
    read."""
    lines = PAGES.read_bytes().splitlines(keepends=True)
    first_broken = tmp_path / "pages.jsonl"
    first_broken.write_bytes(lines[1] + lines[0] + lines[2])
    parsed = talkdesk.parse([first_broken], Settings())
    assert parsed.rows["interaction_id"].tolist() == ["td-h1", "td-h2", "td-h3", "td-h4"]
    assert parsed.rows["source_row"].tolist() == [2, 3, 4, 5]
    assert parsed.set_aside[["source_row", "reason"]].values.tolist() == [[1, "a line that is not JSON"]]
    assert parsed.records_read == 5
    not_utf8 = tmp_path / "latin1.jsonl"
    not_utf8.write_bytes(lines[0] + lines[2].replace(b"Team B", b"\xc9quipe B"))
    parsed = talkdesk.parse([not_utf8], Settings())
    assert parsed.rows["interaction_id"].tolist() == ["td-h1", "td-h2"]
    assert parsed.set_aside[["source_row", "reason"]].values.tolist() == [[2, "not UTF-8 text"]]
    assert parsed.records_read == 3


def test_the_older_explore_payload_is_told_apart_by_its_fields(tmp_path):
    """Finding 1: the older Explore payload (interaction_id, call_type, start_time; durations in
    fractions of a day) is refused with its own message, however it is delivered; the same fields under
    call_id are read."""
    with pytest.raises(ValueError, match="explore_calls_old.json: the older Explore calls payload"):
        talkdesk.parse([EXPLORE_OLD], Settings())
    entry = json.loads(EXPLORE_OLD.read_text())["entries"][0]
    lines = write(tmp_path / "old.jsonl", json.dumps(entry) + "\n")
    with pytest.raises(ValueError, match="old.jsonl: the older Explore calls payload.*fractions of a day"):
        talkdesk.parse([lines], Settings())
    renamed = json.loads(EXPLORE_OLD.read_text())
    renamed["entries"][0]["call_id"] = "x1"
    renamed["entries"][0].update(talk_time=5, waiting_time=6, holding_time=0)
    parsed = talkdesk.parse([write(tmp_path / "new.json", json.dumps(renamed))], Settings())
    row = parsed.rows.set_index("interaction_id").loc["td-x1"]
    assert row["arrived_at"] == utc("2022-06-30 16:42:24")
    assert row["answered_at"] == utc("2022-06-30 16:42:30")
    assert row["agent_id"] == pseudonym("Mark Jones")  # handling_agent: a name


def test_reports_without_calls_hold_no_records(tmp_path):
    empty_json = write(tmp_path / "empty.json", json.dumps({"total": 0, "entries": []}))
    header_only = write(tmp_path / "empty.csv", "call_id,type,start_at\n")
    blank = write(tmp_path / "blank.csv", "\n  \n")
    parsed = talkdesk.parse([empty_json, header_only, blank], Settings())
    assert (parsed.records_read, len(parsed.rows), len(parsed.set_aside)) == (0, 0, 0)
    s = import_files(tmp_path / "data", "talkdesk", [empty_json, header_only], Settings())
    assert (s.records_read, s.new, s.balanced) == (0, 0, True)


def test_older_reports_with_callsid_and_agent_names(tmp_path):
    """Finding 2: callsid is the call id when there is no call_id column; the agent is the handling
    agent, else the one the call rang, and a name is kept only as its pseudonym."""
    s = import_files(tmp_path, "talkdesk", [OLDER], Settings())
    assert (s.records_read, s.new, s.set_aside, s.balanced) == (3, 3, 0, True)
    rows = stored(tmp_path)
    assert sorted(rows.index) == ["td-CAo1", "td-CAo2", "td-CAo3"]
    assert pseudonym("Mark Jones") == "td-agent-7b248232eab3fec5"  # 16 hex of SHA-256("Mark Jones")
    assert rows.loc["td-CAo1", "agent_id"] == pseudonym("Mark Jones")  # handled by Mark, rang Alice
    assert rows.loc["td-CAo2", "agent_id"] == pseudonym("Alice Eve")  # no handling agent: Alice answered
    assert pd.isna(rows.loc["td-CAo3", "agent_id"])  # missed: rang Mark, nobody answered
    assert (rows.loc["td-CAo1", "talk_seconds"], rows.loc["td-CAo1", "hold_seconds"]) == (225, 25)
    assert "2 answered call(s) name their agent by name only: the agent is a pseudonym of the name " \
        "(td-agent-...), not the name" in s.notes
    # the names are nowhere in what was stored
    for path in (tmp_path / "interactions" / "talkdesk").glob("*.parquet"):
        text = pd.read_parquet(path).astype(str).to_csv()
        assert "Alice" not in text and "Mark" not in text


def test_the_handling_agent_wins_over_the_agent_the_call_rang(tmp_path):
    """Finding 2, per call type: an answered call is its handling agent's (id, else name), else the
    agent it rang; a missed call rang user_id but nobody answered: no agent."""
    report = write(tmp_path / "calls.csv",
                   "call_id,type,start_at,end_at,talk_time,wait_time,hold_time,user_id,user_name,"
                   "handling_user_id,handling_user_name\n"
                   "t1,inbound,2024-05-06T08:00:00Z,2024-05-06T08:05:00Z,280,20,0,u1,Alice,u2,Mark Jones\n"
                   "t2,inbound,2024-05-06T08:10:00Z,2024-05-06T08:15:00Z,280,20,0,u1,Alice,,Mark Jones\n"
                   "t3,inbound,2024-05-06T08:20:00Z,2024-05-06T08:25:00Z,280,20,0,u1,Alice,,\n"
                   "t4,inbound,2024-05-06T08:30:00Z,2024-05-06T08:35:00Z,280,20,0,,Alice,,\n"
                   "t5,missed,2024-05-06T08:40:00Z,2024-05-06T08:41:00Z,0,60,0,u1,Alice,,\n"
                   "t6,voicemail,2024-05-06T08:50:00Z,2024-05-06T08:51:00Z,0,60,0,u1,Alice,,\n")
    agents = talkdesk.parse([report], Settings()).rows.set_index("interaction_id")["agent_id"]
    assert agents[["td-t1", "td-t2", "td-t3", "td-t4"]].tolist() == [
        "td-u2", pseudonym("Mark Jones"), "td-u1", pseudonym("Alice")]
    assert agents[["td-t5", "td-t6"]].isna().all()


def test_hold_is_counted_once_and_wrap_is_read_when_the_report_has_it(tmp_path):
    """Finding 3: talk_time includes hold_time, so talk_seconds = talk_time - hold_time; an after-call
    work column is read as wrap_seconds (without one, wrap stays empty)."""
    report = write(tmp_path / "calls.csv",
                   "Call ID,Type,Start At,End At,Talk Time,Wait Time,Hold Time,Wrap-up Time,User ID\n"
                   "w1,inbound,2024-05-06T08:00:00Z,2024-05-06T08:05:20Z,300,20,45,30,u1\n"
                   "w2,inbound,2024-05-06T08:10:00Z,2024-05-06T08:12:00Z,00:01:50,0:10,00:02:00,,u1\n"
                   "w3,inbound,2024-05-06T08:20:00Z,2024-05-06T08:21:00Z,50,10,,0:40,u1\n")
    parsed = talkdesk.parse([report], Settings())
    rows = parsed.rows.set_index("interaction_id")
    assert rows.loc["td-w1", ["talk_seconds", "hold_seconds", "wrap_seconds"]].tolist() == [255, 45, 30]
    assert rows.loc["td-w2", ["talk_seconds", "hold_seconds"]].tolist() == [0, 120]  # more hold than talk
    assert np.isnan(rows.loc["td-w2", "wrap_seconds"])
    assert rows.loc["td-w3", "talk_seconds"] == 50 and np.isnan(rows.loc["td-w3", "hold_seconds"])
    assert rows.loc["td-w3", "wrap_seconds"] == 40
    assert parsed.notes == ["1 answered call(s) had more hold_time than talk_time, which includes the hold: "
                            "talk counted as 0"]
    # handle time counts the hold once: talk + hold + wrap = talk_time + wrap
    w1 = rows.loc["td-w1"]
    assert w1["talk_seconds"] + w1["hold_seconds"] + w1["wrap_seconds"] == 300 + 30


def test_unanswered_calls_have_no_talk_hold_or_wrap(tmp_path):
    """Finding 4: an abandoned, short-abandoned, missed or voicemail call has talk, hold and wrap empty
    (nobody talked), not 0, whatever zeros the report writes."""
    import_files(tmp_path, "talkdesk", [CALLS], Settings())
    rows = stored(tmp_path)
    for call in ("td-c2", "td-c3", "td-c4", "td-c5"):
        assert rows.loc[call, ["talk_seconds", "hold_seconds", "wrap_seconds"]].isna().all(), call
    assert rows.loc["td-c7", ["talk_seconds", "hold_seconds"]].tolist() == [250, 0]  # answered: zeros kept
    report = write(tmp_path / "wrap.csv",
                   "call_id,type,start_at,end_at,talk_time,wait_time,hold_time,acw_time\n"
                   "v1,voicemail,2024-05-06T08:00:00Z,2024-05-06T08:01:00Z,0,40,0,0\n"
                   "v2,abandoned,2024-05-06T08:10:00Z,2024-05-06T08:11:00Z,0,60,0,0\n")
    rows = talkdesk.parse([report], Settings()).rows
    assert rows[["talk_seconds", "hold_seconds", "wrap_seconds"]].isna().all().all()


def test_records_over_several_lines_and_blank_lines_keep_their_line_numbers(tmp_path):
    """A note with a line break makes a record of two lines, and a blank line comes between records: the
    set-aside records still name the line they begin on; a quote inside an unquoted value is a
    character, as a CSV writer means it."""
    s = import_files(tmp_path, "talkdesk", [NOTES], Settings())
    assert (s.records_read, s.new, s.set_aside, s.balanced) == (6, 3, 3, True)
    assert sorted(zip(s.set_aside_rows["source_row"], s.set_aside_rows["reason"], strict=True)) == [
        (6, "start_at: not a timestamp"),
        (7, "expected 9 fields, found 10"),
        (9, "talk_time: negative"),
    ]
    assert s.set_aside_rows.set_index("source_row").loc[7, "record"] == \
        'n4,inbound,2024-06-06T08:30:00Z,2024-06-06T08:31:00Z,55,5,0,u1,"say ""hi""",extra'
    assert sorted(stored(tmp_path).index) == ["td-n1", "td-n2", "td-n5"]
    parsed = talkdesk.parse([NOTES], Settings())
    assert dict(zip(parsed.rows["interaction_id"], parsed.rows["source_row"], strict=True)) == {
        "td-n1": 2, "td-n2": 4, "td-n5": 8}


def test_a_broken_csv_never_rejects_the_file(tmp_path):
    """Bytes that are not UTF-8 and a quote left open at the end: those records are set aside, the rest
    is read; blank lines and lines of separators hold no call."""
    report = tmp_path / "calls.csv"
    report.write_bytes(b"call_id,type,start_at,end_at,talk_time,wait_time,hold_time\n"
                       b"b1,inbound,2024-05-06T08:00:00Z,2024-05-06T08:01:00Z,50,10,0\n"
                       b"b2,inbound,2024-05-06T08:\xff\xfe:00Z,2024-05-06T08:11:00Z,50,10,0\n"
                       b",,,,,,\n"
                       b"   \n"
                       b"b3,inbound,2024-05-06T08:20:00Z,2024-05-06T08:21:00Z,50,10,0\n"
                       b"b4,inbound,\"2024-05-06T08:30:00Z,2024-05-06T08:31:00Z,50,10,0\n")
    parsed = talkdesk.parse([report], Settings())
    assert parsed.rows["interaction_id"].tolist() == ["td-b1", "td-b3"]
    assert parsed.rows["source_row"].tolist() == [2, 6]
    assert parsed.records_read == 4
    assert sorted(zip(parsed.set_aside["source_row"], parsed.set_aside["reason"], strict=True)) == [
        (3, "not UTF-8 text"),
        (7, "not a CSV row (value with unterminated quote found)"),
    ]


def test_quotes_that_cannot_be_followed_line_by_line_number_records_and_say_so(tmp_path):
    """Quotes DuckDB reads unlike a CSV writer writes them (after a blank, unclosed, over several
    lines): its broken records are set aside, the rest read, and where the lines cannot be matched to
    the records, rows are numbered by record and a note says so."""
    report = write(tmp_path / "odd.csv", 'call_id,type,start_at\n'
                   'c0,,a"ab, a,2024-05-06T08:00:00Z\n'
                   'c1," , "b\n,2024-05-06T08:00:00Z\n'
                   'c2,inbound,2024-05-06T08:00:00Z\n'
                   'c3,inbound,2024-05-06T08:00:00Z\n'
                   'c4,\n, """,2024-05-06T08:00:00Z\n'
                   'c5,inbound,2024-05-06T08:00:00Z\n')
    s = import_files(tmp_path / "data", "talkdesk", [report], Settings())
    assert (s.records_read, s.new, s.set_aside, s.balanced) == (7, 2, 5, True)
    assert sorted(stored(tmp_path / "data").index) == ["td-c2", "td-c3"]
    assert "odd.csv: the lines of this report's set-aside records are counted by record, not by line: its " \
        "quotes could not be followed line by line" in s.notes


def test_several_reports_at_once_in_both_formats(tmp_path):
    s = import_files(tmp_path, "talkdesk", [CALLS, API, PAGES, OLDER], Settings())
    assert s.records_read == 11 + 6 + 5 + 3
    assert (s.new, s.superseded) == (6 + 5 + 4 + 3, 1)
    assert s.balanced
    assert set(s.set_aside_rows["source_file"]) == {"calls.csv", "calls_api.json", "calls_pages.jsonl"}


def test_a_large_report_keeps_its_line_numbers(tmp_path):
    """DuckDB reads a large report in parallel: each call still names the line it begins on (the lines
    are counted apart from the rows and matched by the rows' order), with notes over two lines, rows cut
    short and blank lines spread through it."""
    lines, expected_aside = ["call_id,type,start_at,end_at,talk_time,wait_time,hold_time,user_id,notes"], []
    line_number = 1  # of the last line written
    for number in range(200_000):
        if number % 50_000 == 7:
            lines.append("")
            line_number += 1
        call = f"L{number},inbound,2024-05-06T08:00:00Z,2024-05-06T08:05:00Z,280,20,0,u{number % 7}"
        if number % 1_499 == 3:
            lines.append(call)  # the notes field missing
            expected_aside.append(line_number + 1)
        elif number % 997 == 5:
            lines.append(call + ',"a note,\nover two lines"')
            line_number += 1
        else:
            lines.append(call + ",")
        line_number += 1
    report = write(tmp_path / "large.csv", "\n".join(lines) + "\n")
    parsed = talkdesk.parse([report], Settings())
    text = report.read_text(encoding="utf-8").split("\n")
    assert parsed.records_read == 200_000 and len(parsed.rows) == 200_000 - len(expected_aside)
    first_fields = pd.Series([line.split(",", 1)[0] for line in text])
    rows = parsed.rows
    named = first_fields[rows["source_row"] - 1].to_numpy()
    assert (named == rows["interaction_id"].str.slice(3).to_numpy()).all()
    assert sorted(parsed.set_aside["source_row"]) == expected_aside
    assert set(parsed.set_aside["reason"]) == {"expected 9 fields, found 8"}


# --- the contracts of sql/import_talkdesk_*.sql (collected by tests/test_sql_contract.py) ---------------

def _scratch(prepared) -> Path:
    folder = Path(prepared.folder) / "scratch-talkdesk"
    folder.mkdir(exist_ok=True)
    return folder


def _connection():
    con = connect()
    con.execute("set preserve_insertion_order = true")
    con.execute("set TimeZone = 'UTC'")
    return con


# header, a1, a2 (a field short), a line of blanks, a3 over two lines, a blank line, a4 with a quote in
# an unquoted value
CONTRACT_CSV = ('Call ID,Notes,Type,Start,Team\n'
                'a1,"x, y",inbound,2024-01-01T00:00:00Z,T1\n'
                'a2,z,missed,2024-01-01T01:00:00Z\n'
                '   \n'
                'a3,"two\nlines",abandoned,2024-01-01T02:00:00Z,T2\n'
                '\n'
                'a4,5" tall,voicemail,2024-01-01T03:00:00Z,T3\n')
CONTRACT_COLUMNS = {"call_id": "VARCHAR", "unused_1": "VARCHAR", "type": "VARCHAR", "start_at": "VARCHAR",
                    "team_name": "VARCHAR"}


def _read_contract_csv(con, prepared) -> pd.DataFrame:
    path = _scratch(prepared) / "contract.csv"
    path.write_text(CONTRACT_CSV, encoding="utf-8")
    con.execute("create or replace table talkdesk_read as " + load_sql("import_talkdesk_csv"),
                {"path": str(path), "columns": CONTRACT_COLUMNS, "delimiter": ","})
    return con.execute("select rowid as k, * from talkdesk_read").df()


def import_talkdesk_csv(prepared) -> None:
    con = _connection()
    try:
        frame = _read_contract_csv(con, prepared)
    finally:
        con.close()
    assert list(frame.columns) == ["k", *talkdesk.FIELDS, "source_row", "problem", "record"]
    assert frame["call_id"].is_unique and frame["call_id"].notna().all()  # a row per record read
    assert frame["call_id"].tolist() == ["a1", "a3", "a4"] and frame["k"].tolist() == [0, 1, 2]  # file order
    assert frame["type"].tolist() == ["inbound", "abandoned", "voicemail"]
    assert frame["team_name"].tolist() == ["T1", "T2", "T3"]
    assert frame.loc[2, "start_at"] == "2024-01-01T03:00:00Z"
    # the rows read numbered in the file's order (a3 is the second row read, though on lines 5-6)
    assert frame["source_row"].tolist() == [1, 2, 3]
    # columns the file lacks are there, empty; nothing is judged yet
    empty = ["end_at", "talk_time", "wrap_time", "agent_name", "problem"]
    assert frame[empty].isna().all().all()


def import_talkdesk_csv_rejects(prepared) -> None:
    con = _connection()
    try:
        _read_contract_csv(con, prepared)
        frame = con.execute(load_sql("import_talkdesk_csv_rejects"), {"limit": 12}).df()
    finally:
        con.close()
    assert frame["line"].is_unique and frame[["line", "reason", "holds_record"]].notna().all().all()
    assert frame[["line", "reason", "record", "holds_record"]].values.tolist() == [
        [3, "expected 5 fields, found 4", "a2,z,missed,", True],  # the first 12 characters
        [4, "expected 5 fields, found 1", "   ", False],  # blanks only: no record
    ]


def import_talkdesk_csv_lines(prepared) -> None:
    path = _scratch(prepared) / "contract.csv"
    path.write_text(CONTRACT_CSV, encoding="utf-8")
    con = _connection()
    try:
        frame = con.execute(load_sql("import_talkdesk_csv_lines"), {
            "path": str(path), "delimiter": ",", "separator": "\x1f"}).df()
    finally:
        con.close()
    assert frame["logical"].is_unique and frame["line"].is_unique and frame.notna().all().all()
    # a3 begins on line 5 and runs on line 6; the blank line 7 is a line DuckDB counts; the quote in
    # a4's unquoted value opens nothing
    assert frame[["logical", "line", "blank"]].values.tolist() == [
        [1, 1, False], [2, 2, False], [3, 3, False], [4, 4, False], [5, 5, False], [6, 7, True],
        [7, 8, False]]


# a HAL page of two calls, an array of one call, a line cut short, a call on its own
CONTRACT_JSON = "\n".join([
    json.dumps({"total": 2, "_embedded": {"entries": [
        {"call_id": "p1", "type": "inbound", "start_time": "2024-01-01T00:00:00Z", "talk_time": 300},
        {"call_id": "p2", "type": "missed", "start_time": "2024-01-01T01:00:00Z", "csat_score": None}]},
        "_links": {"self": {"href": "/x?page=1"}}}),
    json.dumps([{"call_id": "p3", "type": "voicemail", "start_time": "2024-01-01T02:00:00Z"}]),
    '{"total": 1, "entries": [{"call_id": "p4", "ty',
    json.dumps({"call_id": "p5", "type": "abandoned", "start_time": "2024-01-01T03:00:00Z", "team": "T"}),
]) + "\n"


def import_talkdesk_json_keys(prepared) -> None:
    path = _scratch(prepared) / "contract.jsonl"
    path.write_text(CONTRACT_JSON, encoding="utf-8")
    con = _connection()
    try:
        found = [con.execute(load_sql("import_talkdesk_json_keys"), {
            "path": str(path), "whole": False, "separator": "\x1f", "max_line": 1 << 21, "values": 10,
            "sample": sample}).df() for sample in (1000, 2)]
    finally:
        con.close()
    assert [len(frame) for frame in found] == [1, 1]  # one row
    every, first_two = (frame.iloc[0] for frame in found)
    assert list(every["keys"]) == ["call_id", "csat_score", "start_time", "talk_time", "team", "type"]
    assert (every["pages"], every["calls"], every["values_read"]) == (2, 4, 3)  # p4's line is no JSON
    assert list(first_two["keys"]) == ["call_id", "csat_score", "start_time", "talk_time", "type"]
    assert first_two["calls"] == 2


def import_talkdesk_json(prepared) -> None:
    path = _scratch(prepared) / "contract.jsonl"
    path.write_text(CONTRACT_JSON, encoding="utf-8")
    spelled = {"start_at": "start_time", "team_name": "team"}
    call = {spelled.get(name, name): "VARCHAR" for name in talkdesk.FIELDS}
    con = _connection()
    try:
        frame = con.execute(load_sql("import_talkdesk_json"), {
            "path": str(path), "whole": False, "separator": "\x1f", "max_line": 1 << 21,
            "page_schema": json.dumps({"entries": [call], "_embedded": {"entries": [call]}}),
            "list_schema": json.dumps([call]), "limit": 20}).df()
    finally:
        con.close()
    assert list(frame.columns) == [*talkdesk.FIELDS, "source_row", "problem", "record"]
    assert frame["source_row"].is_unique and frame["source_row"].notna().all()
    assert frame["source_row"].tolist() == [1, 2, 3, 4, 5]  # the line cut short counts as one record
    assert frame["call_id"].tolist()[:3] == ["p1", "p2", "p3"] and frame["call_id"].tolist()[4] == "p5"
    assert pd.isna(frame.loc[3, "call_id"])
    assert frame["start_at"].tolist()[:3] == ["2024-01-01T00:00:00Z", "2024-01-01T01:00:00Z",
                                              "2024-01-01T02:00:00Z"]
    assert frame.loc[0, "talk_time"] == "300" and frame.loc[4, "team_name"] == "T"  # JSON number as text
    assert frame["problem"].fillna("").tolist() == ["", "", "", "a line that is not JSON", ""]
    assert frame.loc[3, "record"] == '{"total": 1, "entrie'  # its first 20 characters


def import_talkdesk_calls(_) -> None:
    columns = [*talkdesk.FIELDS, "source_row", "problem", "record"]
    # call_id, type, start_at, end_at, talk, wait, hold, wrap, user_id, agent_name, handling_user_id,
    # handling_agent_name, team_name, ring_groups, csat_score, source_row, problem, record
    records = [
        ("r1", "Inbound", "2024-01-01T10:00:00Z", "2024-01-01T10:05:20Z", "300", "20", "40", "15", "u1", None,
         "h1", "Mark Jones", "T", "support", "4", 2, None, None),
        ("r2", "missed", "2024-01-01T11:00:00Z", "2024-01-01T11:00:30Z", "0", "30", "0", "0", "u2", None,
         None, None, "T", "support", None, 3, None, None),
        ("r3", "outbound", "2024-01-01T12:00:00Z", "2024-01-01T12:01:00Z", "50", "0", "0", None, "u1", None,
         None, None, None, None, None, 4, None, None),
        (None,) * 15 + (5, None, None),  # no value at all: no call
        ("r5", "inbound", "2021-10-31 01:30:00", "2021-10-31 01:50:00", "00:10:00", "0:30", None, None, None,
         "Alice Eve", None, None, None, None, None, 6, None, None),
        ("r6", "inbound", "2021-03-28 01:30:00", "2021-03-28 02:40:00", "60", "5", "0", None, "u1", None,
         None, None, None, None, None, 7, None, None),
        (None,) * 15 + (8, "a line that is not JSON", '{"call_id": "r7'),
        ("r8", "short abandoned", "2024-01-01T13:00:00+01:00", "2024-01-01T13:00:04+01:00", "30", "4", "50",
         None, None, None, None, None, None, None, "seven", 9, None, None),
    ]
    con = _connection()
    try:
        con.execute("create table talkdesk_read as select * from (values "
                    + ", ".join(["(" + ", ".join(["?"] * len(columns)) + ")"] * len(records))
                    + ") as t(" + ", ".join(columns) + ")", [value for record in records for value in record])
        parameters = {"zone": "Europe/Dublin", "skipped": SKIPPED_REASON, "limit": 2000}
        frame = con.execute(load_sql("import_talkdesk_calls"), parameters).df()
        # the rows stream out in the order they were read (no sort after): nothing in the plan reorders
        plan = " ".join(str(row) for row in con.execute("explain " + load_sql("import_talkdesk_calls"),
                                                        parameters).fetchall())
        assert not re.search(r"JOIN|AGGREGATE|WINDOW|ORDER", plan.upper()), plan
    finally:
        con.close()
    assert frame["source_row"].tolist() == [2, 3, 4, 5, 6, 7, 8, 9]  # a row per record, in order
    assert frame[["source_row", "holds_call", "channel"]].notna().all().all()
    assert frame["holds_call"].tolist() == [True, True, True, False, True, True, True, True]
    rows = frame[frame["holds_call"]].set_index("source_row")  # the record without a value is no call
    assert rows["reason"].fillna("").to_dict() == {
        2: "", 3: "", 4: "outbound call (not a customer contact arriving)", 6: "",
        7: f"start_at: {SKIPPED_REASON}", 8: "a line that is not JSON", 9: "csat_score: not a number"}
    r1 = rows.loc[2]  # 300 s of talk with 40 on hold: 260 + 40; handled by h1 (rang u1)
    assert (r1["talk_seconds"], r1["hold_seconds"], r1["wrap_seconds"]) == (260, 40, 15)
    assert (r1["interaction_id"], r1["agent_id"], r1["team"], r1["queue"], r1["csat_score"]) == (
        "td-r1", "td-h1", "T", "support", 4)
    assert r1["answered_at"] == utc("2024-01-01 10:00:20") and r1["source_updated_at"] == r1["ended_at"]
    assert not r1["abandoned"] and not r1["no_wait"] and not r1["hold_over_talk"]
    r2 = rows.loc[3]  # missed: abandoned, nobody answered, no talk, hold or wrap
    assert r2["abandoned"] and pd.isna(r2["agent_id"]) and pd.isna(r2["answered_at"])
    assert r2[["talk_seconds", "hold_seconds", "wrap_seconds"]].isna().all()
    r5 = rows.loc[6]  # 01:30 happens twice in Dublin that night: the first, IST (UTC+1)
    assert (r5["arrived_at"], r5["ended_at"]) == (utc("2021-10-31 00:30"), utc("2021-10-31 00:50"))
    assert (r5["talk_seconds"], r5["answered_at"]) == (600, utc("2021-10-31 00:30:30"))
    assert pd.isna(r5["hold_seconds"]) and r5["agent_by_name"]
    assert r5["agent_id"] == "td-agent-82b09cd938b593a8"  # 16 hex of SHA-256("Alice Eve")
    assert rows.loc[8, "record"] == '{"call_id": "r7'  # a broken line keeps its text
    assert json.loads(rows.loc[4, "record"])["call_id"] == "r3"
    r8 = rows.loc[9]
    assert r8["arrived_at"] == utc("2024-01-01 12:00") and r8["abandoned"]  # "short abandoned", +01:00


SQL_CONTRACTS = {
    "import_talkdesk_csv": import_talkdesk_csv,
    "import_talkdesk_csv_rejects": import_talkdesk_csv_rejects,
    "import_talkdesk_csv_lines": import_talkdesk_csv_lines,
    "import_talkdesk_json_keys": import_talkdesk_json_keys,
    "import_talkdesk_json": import_talkdesk_json,
    "import_talkdesk_calls": import_talkdesk_calls,
}
