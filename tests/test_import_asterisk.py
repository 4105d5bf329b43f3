"""Asterisk queue_log import: calls field by field, every line in one bucket of the summary,
idempotence, a longer log updating a call, validate afterwards, and the CLI; logs damaged by NUL bytes,
CSV dumps of the realtime queue_log table, EXITWITHTIMEOUT as an overflow; the contracts of
sql/import_asterisk_*.sql (SQL_CONTRACTS)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from cxdash import cli
from cxdash.db import connect, load_sql
from cxdash.importers import asterisk, import_files
from cxdash.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures" / "imports" / "asterisk"
LOG = FIXTURES / "queue_log"  # 30 lines, one blank: 29 records
LATER = FIXTURES / "queue_log.later"  # the same log four lines longer: call D's second leg, call I's end

# the calls of queue_log (call ids); I is still connected when queue_log ends
A, B, C, E, F, D, LAST = (f"ast-{c}" for c in ("1773158400.101", "1773162000.201", "1773165600.301",
                                                 "1773172800.501", "1773176400.701", "1773183400.401",
                                                 "1773183600.901"))


def utc(epoch: int) -> pd.Timestamp:
    return pd.Timestamp(epoch, unit="s", tz="UTC")


def caller(number: str) -> str:
    return "ast-caller-" + hashlib.sha256(number.encode()).hexdigest()[:16]


def months(folder: Path) -> dict[str, Path]:
    return {p.stem: p for p in sorted((folder / "interactions" / "asterisk").glob("*.parquet"))}


def stored(folder: Path) -> pd.DataFrame:
    frames = [pq.read_table(p).to_pandas() for p in months(folder).values()]
    return pd.concat(frames).set_index("interaction_id")


@pytest.fixture
def imported(tmp_path: Path):
    return tmp_path, import_files(tmp_path, "asterisk", [LOG], Settings())


def test_every_line_lands_in_one_bucket(imported):
    folder, summary = imported
    # 6 calls (A, B, C, D, E, F), their 14 other lines merged; set aside: 4 agent/system lines, 2 malformed
    # lines, H (began before the log), G (JOINEMPTY, never queued), I (still connected when the log ends)
    assert (summary.records_read, summary.new, summary.updated, summary.unchanged, summary.superseded,
            summary.merged, summary.set_aside) == (29, 6, 0, 0, 0, 14, 9)
    assert summary.balanced
    assert summary.reasons == {
        asterisk.AGENT_OR_SYSTEM: 4,
        "malformed line: 1 field(s), a queue_log line has at least 5": 1,
        "malformed line: the time is not a number of seconds since 1970": 1,
        asterisk.BEGAN_EARLIER: 1,
        "not a queue call: no ENTERQUEUE (events JOINEMPTY)": 1,
        asterisk.IN_PROGRESS: 1,
    }
    aside = summary.set_aside_rows
    malformed = aside[aside["reason"].str.startswith("malformed")]
    assert list(malformed["source_row"]) == [20, 21]  # the line numbers, counting the blank line 19
    assert list(aside.loc[aside["reason"] == asterisk.AGENT_OR_SYSTEM, "source_row"]) == [1, 3, 4, 30]
    progress = aside[aside["reason"] == asterisk.IN_PROGRESS].iloc[0]
    assert progress["source_row"] == 28 and progress["record"].count("\n") == 1  # both of I's lines kept
    assert summary.months_written == ["2026-03"]
    assert (folder / summary.set_aside_file).exists()


def test_calls_field_by_field(imported):
    rows = stored(imported[0])
    assert sorted(rows.index) == sorted([A, B, C, D, E, F])
    assert set(rows["channel"]) == {"phone"}
    assert rows["hold_seconds"].isna().all() and rows["wrap_seconds"].isna().all()  # not in queue_log

    a = rows.loc[A]  # answered after a ring-no-answer, completed by the agent
    assert (a["arrived_at"], a["answered_at"], a["ended_at"]) == (utc(1773158400), utc(1773158420),
                                                                 utc(1773158600))
    assert (a["queue"], a["agent_id"], a["talk_seconds"], a["tier"]) == ("support", "SIP/1002", 180.0, 1)
    assert not a["abandoned"] and a["resolved_first_contact"]
    assert a["customer_id"] == caller("5035550101")
    assert a["source_updated_at"] == utc(1773158600)

    b = rows.loc[B]  # abandoned after 45 s
    assert b["abandoned"] and pd.isna(b["answered_at"]) and pd.isna(b["agent_id"])
    assert b["ended_at"] == utc(1773162045)
    assert pd.isna(b["talk_seconds"]) and pd.isna(b["tier"]) and pd.isna(b["resolved_first_contact"])

    c = rows.loc[C]  # timed out of support, entered overflow, answered there: one contact
    assert (c["queue"], c["arrived_at"], c["answered_at"]) == ("support", utc(1773165600), utc(1773165670))
    assert (c["agent_id"], c["talk_seconds"], c["tier"]) == ("Local/2001@agents", 300.0, 1)
    assert not c["abandoned"] and c["resolved_first_contact"]
    assert pd.isna(c["customer_id"])  # the caller id was anonymous

    e = rows.loc[E]  # an older log: ENTERQUEUE without callerid, CONNECT with only holdtime
    assert (e["answered_at"], e["ended_at"], e["talk_seconds"]) == (utc(1773172808), utc(1773172898), 90.0)
    assert pd.isna(e["customer_id"])

    f = rows.loc[F]  # the queue had no reachable member
    assert f["abandoned"] and f["ended_at"] == utc(1773176401)

    d = rows.loc[D]  # blind-transferred; the log ends before the second queue
    assert (d["answered_at"], d["ended_at"], d["talk_seconds"]) == (utc(1773183405), utc(1773183525), 120.0)
    assert (d["agent_id"], d["tier"], d["resolved_first_contact"]) == ("SIP/1001", 1, False)
    assert "5035550101" not in rows.astype(str).to_string()  # caller numbers are hashed


def test_importing_the_same_log_again_changes_nothing(imported):
    folder, _ = imported
    before = {m: p.stat().st_mtime_ns for m, p in months(folder).items()}
    again = import_files(folder, "asterisk", [LOG], Settings())
    assert (again.new, again.updated, again.unchanged, again.merged, again.set_aside) == (0, 0, 6, 14, 9)
    assert again.months_written == [] and again.balanced
    assert {m: p.stat().st_mtime_ns for m, p in months(folder).items()} == before


def test_the_same_lines_twice_in_one_import_count_once(tmp_path):
    summary = import_files(tmp_path, "asterisk", [LOG, LOG], Settings())
    assert (summary.records_read, summary.new, summary.merged, summary.set_aside) == (58, 6, 14 + 29, 9)
    assert summary.balanced
    assert any("29 line(s) repeated" in note for note in summary.notes)
    assert stored(tmp_path).loc[A, "talk_seconds"] == 180.0  # not doubled


def test_a_longer_log_adds_the_finished_call_and_updates_the_transferred_one(imported):
    folder, _ = imported
    later = import_files(folder, "asterisk", [LATER], Settings())
    # 33 lines = I (new) + D (updated) + 5 unchanged + 18 merged + 8 set aside
    assert (later.records_read, later.new, later.updated, later.unchanged, later.merged,
            later.set_aside) == (33, 1, 1, 5, 18, 8)
    assert later.balanced and later.months_written == ["2026-03"]
    rows = stored(folder)
    d = rows.loc[D]  # the caller re-entered the billing queue and SIP/1003 finished the call
    assert (d["queue"], d["agent_id"], d["answered_at"]) == ("support", "SIP/1001", utc(1773183405))
    assert (d["ended_at"], d["talk_seconds"], d["tier"]) == (utc(1773183925), 420.0, 2)
    assert not d["resolved_first_contact"] and d["source_updated_at"] == utc(1773183925)
    i = rows.loc[LAST]
    assert (i["answered_at"], i["ended_at"], i["talk_seconds"]) == (utc(1773183605), utc(1773184205), 600.0)
    assert i["customer_id"] == caller("5035550109")
    assert len(rows) == 7


def test_validate_passes_after_import(imported, capsys):
    folder, _ = imported
    import_files(folder, "asterisk", [LATER], Settings())
    assert cli.main(["validate", "--data", str(folder)]) == 0
    assert "All files pass the data contract." in capsys.readouterr().out


def test_cli_import_json(tmp_path, capsys):
    code = cli.main(["import", "asterisk", str(LOG), "--data", str(tmp_path), "--json"])
    assert code == 0
    document = json.loads(capsys.readouterr().out)
    assert {key: document[key] for key in ("source", "files", "records_read", "new", "merged", "set_aside",
                                           "months_written", "balanced")} == {
        "source": "asterisk", "files": ["queue_log"], "records_read": 29, "new": 6, "merged": 14,
        "set_aside": 9, "months_written": ["2026-03"], "balanced": True}
    assert (tmp_path / document["set_aside_file"]).exists()
    assert sorted(months(tmp_path)) == ["2026-03"]


def test_cli_names_a_file_that_is_not_a_queue_log(tmp_path, capsys):
    genesys_file = FIXTURES.parent / "genesys" / "details_query.json"
    assert cli.main(["import", "asterisk", str(LOG), str(genesys_file), "--data", str(tmp_path)]) == 1
    assert "details_query.json: not an Asterisk queue_log" in capsys.readouterr().err
    assert not (tmp_path / "interactions").exists()


@pytest.mark.parametrize("content", [b"no pipes here\nnor here\n", b"a|b|c|d|e\n",
                                     b"PK\3\4\0\0\x08\0\xff\xfe|x\n"])  # a zip: NUL bytes, no queue_log line
def test_a_file_that_is_not_a_queue_log_raises(tmp_path, content):
    path = tmp_path / "export.txt"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="export.txt: not an Asterisk queue_log"):
        asterisk.parse([path], Settings())


def test_odd_lines_never_raise(tmp_path):
    path = tmp_path / "queue_log"
    path.write_text("\n".join([
        "1773190000|X1|sales|NONE|ENTERQUEUE||<unknown>|1",
        "1773190010|X1|sales|PJSIP/7|CONNECT|ten|x",  # non-numeric holdtime: the time of the line counts
        "1773190100|X1|sales|PJSIP/7|COMPLETEAGENT|10|abc|1",  # non-numeric calltime: talk unknown
        "-5|X2|sales|NONE|ENTERQUEUE||1|1",  # a negative time
        "nan|X2|sales|NONE|ENTERQUEUE||1|1",
        "1773190200|X3|sales|NONE||",  # no event
        "1773190300|X4|sales|NONE|ENTERQUEUE||5551234|1",
        "1773190300|X4|sales|NONE|RINGNOANSWER|0",  # still waiting when the log ends
        "1773190400|X5|sales|NONE|INFO|whatever",  # an unknown event of a call that never queued
        "1773190500|X6|sales|NONE|ENTERQUEUE||5551234|1",
        "1773190510|X6|sales|SIP/9|CONNECT|10|y|2",
        "1773190610|X6|sales|SIP/9|COMPLETECALLER|10|100|1|extra|fields|more",
        "1773190700|X7|sales|SIP/9|TRANSFER|800|queues|5|60|1",  # its first leg is in an earlier log
        "1773190705|X7|billing|NONE|ENTERQUEUE||5551234|1",
        "1773190715|X7|billing|SIP/8|CONNECT|10|z|2",
        "1773190815|X7|billing|SIP/8|COMPLETEAGENT|10|100|1",
    ]) + "\n")
    parsed = asterisk.parse([path], Settings(), {"queues": {"sales": "Sales line"}})
    rows = parsed.rows.set_index("interaction_id")
    assert sorted(rows.index) == ["ast-X1", "ast-X6"]
    x1 = rows.loc["ast-X1"]
    assert x1["answered_at"] == utc(1773190010) and pd.isna(x1["talk_seconds"]) and pd.isna(x1["customer_id"])
    assert x1["queue"] == "Sales line"
    assert rows.loc["ast-X6", "customer_id"] == caller("5551234")
    reasons = dict(zip(parsed.set_aside["source_row"], parsed.set_aside["reason"], strict=True))
    assert reasons == {4: "malformed line: the time is not a number of seconds since 1970",
                       5: "malformed line: the time is not a number of seconds since 1970",
                       6: "malformed line: no event", 7: asterisk.IN_PROGRESS,
                       9: "not a queue call: no ENTERQUEUE (events INFO)", 13: asterisk.BEGAN_EARLIER}
    summary = import_files(tmp_path, "asterisk", [path], Settings())
    assert summary.balanced and (summary.records_read, summary.new, summary.merged) == (16, 2, 8)
    empty = tmp_path / "empty_log"
    empty.write_text("")
    assert asterisk.parse([empty], Settings()).records_read == 0


# --- logs damaged by NUL bytes (issue 16) -------------------------------------------------------------

NEW_FIXTURES = Path(__file__).parent / "fixtures" / "asterisk"  # see its README.md
ROTATED = [NEW_FIXTURES / "rotated" / "queue_log.1", NEW_FIXTURES / "rotated" / "queue_log"]
J, K, L, N = (f"ast-{c}" for c in ("1773244800.11", "1773245100.21", "1773245600.51", "1773245700.61"))
TIMEOUT_NOTE = ("1 call(s) left the queue on timeout (EXITWITHTIMEOUT): counted as overflow, not abandoned; "
                "set timeout_is_abandon = true in the mapping to count them as abandoned")


def test_nul_runs_are_skipped_and_a_line_damaged_by_them_is_set_aside_with_its_number(tmp_path):
    summary = import_files(tmp_path, "asterisk", ROTATED, Settings())
    # 12 lines (the NUL-only line 5 of queue_log is blank) = 4 calls + 6 merged + 2 set aside
    assert (summary.records_read, summary.new, summary.merged, summary.set_aside) == (12, 4, 6, 2)
    assert summary.balanced
    aside = summary.set_aside_rows
    assert list(zip(aside["source_file"], aside["source_row"], aside["reason"], strict=True)) == [
        ("queue_log.1", 6, asterisk.DAMAGED), ("queue_log", 2, asterisk.AGENT_OR_SYSTEM)]
    damaged = aside["record"].iloc[0]
    assert damaged == ("1773245200|1773245200.31|billing|NONE|ENTER␀"
                       "1773245260|1773245200.31|billing|NONE|ABANDON|1|1|60")
    assert "\0" not in "".join(aside["record"])
    assert ("queue_log.1: runs of NUL bytes (left by an unclean shutdown or a log rotation) were skipped; "
            "1 line(s) damaged by them set aside") in summary.notes
    assert any(note.startswith("queue_log: runs of NUL bytes") and note.endswith("0 line(s) damaged by them "
                                                                                 "set aside")
               for note in summary.notes)

    rows = stored(tmp_path)
    assert sorted(rows.index) == [J, K, L, N]
    j = rows.loc[J]
    assert (j["arrived_at"], j["answered_at"], j["ended_at"]) == (utc(1773244800), utc(1773244810),
                                                                 utc(1773245000))
    assert (j["queue"], j["agent_id"], j["talk_seconds"], j["tier"], j["customer_id"]) == (
        "support", "SIP/1001", 190.0, 1, caller("5035550111"))
    k = rows.loc[K]  # its CONNECT came after 1000 NULs; it ended after the 4096 NULs of the newer file
    assert (k["arrived_at"], k["answered_at"], k["ended_at"], k["source_updated_at"]) == (
        utc(1773245100), utc(1773245110), utc(1773245400), utc(1773245400))
    assert (k["agent_id"], k["talk_seconds"], k["resolved_first_contact"]) == ("SIP/1002", 290.0, True)
    n = rows.loc[N]  # its ABANDON is the file's last line, followed by NULs
    assert n["abandoned"] and n["ended_at"] == utc(1773245745) and pd.isna(n["customer_id"])
    assert rows.loc[L, "queue"] == "sales"


def test_the_newer_file_alone_sets_aside_the_call_its_rotation_began(tmp_path):
    parsed = asterisk.parse([ROTATED[1]], Settings())
    assert sorted(parsed.rows["interaction_id"]) == [L, N]
    reasons = dict(zip(parsed.set_aside["source_row"], parsed.set_aside["reason"], strict=True))
    assert reasons == {1: asterisk.BEGAN_EARLIER, 2: asterisk.AGENT_OR_SYSTEM}


def test_a_file_of_nothing_but_nul_bytes_imports_nothing_and_says_so(tmp_path):
    summary = import_files(tmp_path, "asterisk", [NEW_FIXTURES / "all_nul"], Settings())
    assert (summary.records_read, summary.new, summary.set_aside, summary.months_written) == (0, 0, 0, [])
    assert summary.balanced
    assert summary.notes == ["all_nul: nothing to import: the file holds only NUL bytes (what an unclean "
                             "shutdown or a log rotation leaves)"]
    together = import_files(tmp_path, "asterisk", [NEW_FIXTURES / "all_nul", *ROTATED], Settings())
    assert (together.records_read, together.new, together.set_aside) == (12, 4, 2) and together.balanced


def test_a_queue_log_line_with_nul_bytes_inside_is_set_aside_not_the_file(tmp_path):
    path = tmp_path / "queue_log"
    path.write_bytes(b"1773154800|x\0|q|a|E\n")
    parsed = asterisk.parse([path], Settings())
    assert parsed.records_read == 1 and parsed.rows.empty
    assert parsed.set_aside[["source_row", "reason", "record"]].values.tolist() == [
        [1, asterisk.DAMAGED, "1773154800|x␀|q|a|E"]]
    # cut short before its NULs: damaged too, whatever else is wrong with it
    path.write_bytes(b"1773154800|1773154800.1|support|NONE|ENTERQUEUE||1|1\n1773154801|1773154800.1|sup"
                     + b"\0" * 50 + b"\n")
    parsed = asterisk.parse([path], Settings())
    assert parsed.set_aside[["source_row", "reason"]].values.tolist() == [[1, asterisk.IN_PROGRESS],
                                                                          [2, asterisk.DAMAGED]]


def test_bytes_that_are_not_utf8_do_not_stop_the_import(tmp_path):
    path = tmp_path / "queue_log"
    path.write_bytes(b"1773190000|U1|sales|NONE|ENTERQUEUE||5551234|1|Jos\xe9 P\xe9rez\n"  # Latin-1 name
                     b"1773190030|U1|sales|NONE|ABANDON|1|1|30\n")
    parsed = asterisk.parse([path], Settings())
    assert parsed.rows["interaction_id"].tolist() == ["ast-U1"] and parsed.set_aside.empty
    assert parsed.rows["customer_id"].tolist() == [caller("5551234")]


# --- CSV dumps of the realtime queue_log table (issue 16) ---------------------------------------------

TABLE = NEW_FIXTURES / "queue_log_table.csv"  # times as dates in America/Chicago, data1..data5
TABLE_DATA = NEW_FIXTURES / "queue_log_table_data.csv"  # epoch times, one data column
CHICAGO = {"timezone": "America/Chicago"}


@pytest.mark.parametrize(("dump", "mapping"), [(TABLE, CHICAGO), (TABLE_DATA, None)])
def test_a_table_dump_gives_the_calls_of_the_same_log(tmp_path, dump, mapping):
    from_log = import_files(tmp_path / "log", "asterisk", [LOG], Settings())
    from_dump = import_files(tmp_path / "dump", "asterisk", [dump], Settings(), mapping)
    # 27 rows (the log's 29 records but its two malformed lines) = 6 calls + 14 merged + 7 set aside
    assert (from_dump.records_read, from_dump.new, from_dump.merged, from_dump.set_aside) == (27, 6, 14, 7)
    assert from_dump.balanced and from_dump.months_written == from_log.months_written == ["2026-03"]
    pd.testing.assert_frame_equal(stored(tmp_path / "dump").sort_index(),
                                  stored(tmp_path / "log").sort_index())
    assert stored(tmp_path / "dump").loc[A, "arrived_at"] == utc(1773158400)  # 2026-03-10 11:00:00 in Chicago
    aside = from_dump.set_aside_rows
    # a row's number counts the header as line 1
    assert dict(zip(aside["source_row"], aside["reason"], strict=True)) == {
        2: asterisk.AGENT_OR_SYSTEM, 3: asterisk.BEGAN_EARLIER, 4: asterisk.AGENT_OR_SYSTEM,
        5: asterisk.AGENT_OR_SYSTEM, 22: "not a queue call: no ENTERQUEUE (events JOINEMPTY)",
        26: asterisk.IN_PROGRESS, 28: asterisk.AGENT_OR_SYSTEM}
    # a set-aside row is written as the queue_log line it stands for, its time as the dump has it
    first = aside.loc[aside["source_row"] == 26, "record"].iloc[0].splitlines()[0]
    assert first == ("2026-03-10 18:00:00|1773183600.901|support|NONE|ENTERQUEUE||5035550109|1||"
                     if dump == TABLE else "1773183600|1773183600.901|support|NONE|ENTERQUEUE||5035550109|1")


def test_a_dump_read_in_the_wrong_zone_moves_every_call(tmp_path):
    parsed = asterisk.parse([TABLE], Settings())  # no timezone: UTC
    rows = parsed.rows.set_index("interaction_id")
    assert rows.loc[A, "arrived_at"] == utc(1773158400 - 5 * 3600)  # 11:00 read as UTC: five hours early


def test_dump_times_follow_the_one_daylight_saving_rule(tmp_path):
    path = tmp_path / "queue_log.csv"
    path.write_text(
        "time;callid;queuename;agent;event;data1;data2;data3;data4;data5\n"
        # 02:30 on 8 March 2026 does not exist in Chicago (clocks go from 02:00 to 03:00)
        "2026-03-08 02:30:00;S1;support;NONE;ENTERQUEUE;;5551234;1;;\n"
        # 01:30 on 1 November 2026 happens twice: the first (CDT, UTC-5) is taken
        "2026-11-01 01:30:00;R1;support;NONE;ENTERQUEUE;;5551234;1;;\n"
        "2026-11-01 01:30:40.5;R1;support;NONE;ABANDON;1;1;40;;\n"
        # an offset is an instant wherever the zone is
        "2026-11-02 10:00:00+00;O1;support;NONE;ENTERQUEUE;;;1;;\n"
        "1793613660;O1;support;NONE;EXITEMPTY;1;1;1;;\n"
        "soon;O2;support;NONE;ENTERQUEUE;;;1;;\n")
    parsed = asterisk.parse([path], Settings(), CHICAGO)
    rows = parsed.rows.set_index("interaction_id")
    assert sorted(rows.index) == ["ast-O1", "ast-R1"]
    assert rows.loc["ast-R1", "arrived_at"] == pd.Timestamp("2026-11-01 06:30:00", tz="UTC")
    assert rows.loc["ast-R1", "ended_at"] == pd.Timestamp("2026-11-01 06:30:40.5", tz="UTC")
    assert rows.loc["ast-O1", "arrived_at"] == pd.Timestamp("2026-11-02 10:00:00", tz="UTC")
    assert rows.loc["ast-O1", "ended_at"] == utc(1793613660)
    assert dict(zip(parsed.set_aside["source_row"], parsed.set_aside["reason"], strict=True)) == {
        2: "time: a local time the clock skips when daylight saving starts", 7: "time: not a timestamp"}


def test_a_damaged_dump_is_read_row_by_row_never_refused(tmp_path):
    path = tmp_path / "queue_log.csv"
    path.write_text("time,callid,queuename,agent,event,data1,data2,data3,data4,data5\n"
                    "1773158400,A,q,NONE,ENTERQUEUE,,555,1,,\n"
                    "1773158460,A,q,NONE,ABANDON,1,1,60,,,extra,values\n"  # the extra values are dropped
                    "1773158402,C,q\n"  # cut short
                    '1773158404,E,q,NONE,ENTERQUEUE,,"unterminated,1,,\n'  # its quote runs to the end
                    "1773158405,F,q,NONE,ENTERQUEUE,,555,1,,\n")
    summary = import_files(tmp_path / "data", "asterisk", [path], Settings())
    assert (summary.records_read, summary.new, summary.merged, summary.set_aside) == (4, 1, 1, 2)
    assert summary.balanced
    assert dict(zip(summary.set_aside_rows["source_row"], summary.set_aside_rows["reason"], strict=True)) == {
        4: "malformed row: no event", 5: asterisk.IN_PROGRESS}
    a = stored(tmp_path / "data").loc["ast-A"]
    assert a["abandoned"] and a["ended_at"] == utc(1773158460) and a["customer_id"] == caller("555")


def test_a_dump_without_its_data_columns_is_refused_with_a_reason(tmp_path):
    path = tmp_path / "queue_log.csv"
    path.write_text("time,callid,queuename,agent,event\n1773158400,A,q,NONE,ENTERQUEUE\n")
    with pytest.raises(ValueError, match="queue_log.csv: a queue_log table dump without its data columns"):
        asterisk.parse([path], Settings())


# --- EXITWITHTIMEOUT: an overflow, not an abandon, unless the mapping says (issue 16) -------------------

TIMEOUTS = "\n".join([
    "1773190000|T1|sales|NONE|ENTERQUEUE||5551234|1",
    "1773190010|T1|sales|PJSIP/7|RINGNOANSWER|10000",
    "1773190090|T1|sales|NONE|EXITWITHTIMEOUT|1|1|90",  # left on the queue's timeout
    "1773190100|T2|sales|NONE|ENTERQUEUE||5551235|1",
    "1773190160|T2|sales|NONE|EXITWITHTIMEOUT|1|1|60",
    "1773190161|T2|overflow|NONE|ENTERQUEUE||5551235|1",  # retried in another queue, gave up there
    "1773190190|T2|overflow|NONE|ABANDON|1|1|29",
    "1773190200|T3|sales|NONE|ENTERQUEUE||5551236|1",
    "1773190230|T3|sales|NONE|ABANDON|1|1|30",
]) + "\n"


@pytest.fixture
def timeouts(tmp_path) -> Path:
    path = tmp_path / "queue_log"
    path.write_text(TIMEOUTS)
    return path


def test_a_call_that_left_on_the_queue_timeout_is_an_overflow_not_an_abandon(tmp_path, timeouts, capsys):
    summary = import_files(tmp_path / "data", "asterisk", [timeouts], Settings())
    assert (summary.records_read, summary.new, summary.merged, summary.set_aside) == (9, 3, 6, 0)
    assert TIMEOUT_NOTE in summary.notes
    rows = stored(tmp_path / "data")
    t1 = rows.loc["ast-T1"]  # against the service level (offered, not answered), not in the abandon rate
    assert pd.notna(t1["abandoned"]) and not t1["abandoned"]
    assert pd.isna(t1["answered_at"]) and t1["ended_at"] == utc(1773190090)
    assert pd.isna(t1["agent_id"]) and pd.isna(t1["talk_seconds"]) and pd.isna(t1["tier"])
    assert rows.loc["ast-T2", "abandoned"] and rows.loc["ast-T2", "ended_at"] == utc(1773190190)
    assert rows.loc["ast-T3", "abandoned"]
    assert cli.main(["validate", "--data", str(tmp_path / "data")]) == 0
    capsys.readouterr()


def test_timeout_is_abandon_in_the_mapping_counts_them_as_abandoned(timeouts):
    parsed = asterisk.parse([timeouts], Settings(), {"timeout_is_abandon": True})
    assert parsed.rows.set_index("interaction_id")["abandoned"].to_dict() == {
        "ast-T1": True, "ast-T2": True, "ast-T3": True}
    assert ("1 call(s) left the queue on timeout (EXITWITHTIMEOUT): counted as abandoned, as the mapping's "
            "timeout_is_abandon = true says") in parsed.notes
    explicit = asterisk.parse([timeouts], Settings(), {"timeout_is_abandon": False})
    assert not explicit.rows.set_index("interaction_id").loc["ast-T1", "abandoned"]


@pytest.mark.parametrize("value", ["true", 1, "yes"])
def test_timeout_is_abandon_must_be_a_boolean(timeouts, value):
    with pytest.raises(ValueError, match="mapping: timeout_is_abandon must be true or false"):
        asterisk.parse([timeouts], Settings(), {"timeout_is_abandon": value})


def test_the_mapping_example_is_valid_toml_the_importer_accepts(timeouts):
    import tomllib

    mapping = tomllib.loads(asterisk.SOURCE.mapping.example)
    assert mapping["timeout_is_abandon"] is False and "timeout_is_abandon" in asterisk.SOURCE.mapping.purpose
    asterisk.parse([timeouts], Settings(), mapping)


# --- the benchmark's log: every oddity at once ----------------------------------------------------------

def test_the_benchmark_log_imports_balanced_with_its_oddities(tmp_path):
    from bench.exports import asterisk as bench_export

    files = bench_export.write(tmp_path / "export", 20_000)
    assert [path.name for path in files] == ["queue_log.1", "queue_log"]
    summary = import_files(tmp_path / "data", "asterisk", files, Settings())
    assert summary.records_read == 20_000 and summary.balanced and summary.new > 4_000
    assert summary.reasons[asterisk.DAMAGED] >= 1 and summary.reasons[asterisk.AGENT_OR_SYSTEM] > 100
    assert any("repeated a line already read" in note for note in summary.notes)
    assert any("EXITWITHTIMEOUT" in note for note in summary.notes)
    assert sum("runs of NUL bytes" in note for note in summary.notes) == 2


# --- the contracts of sql/import_asterisk_*.sql (collected by tests/test_sql_contract.py) ---------------

def _connection():
    con = connect()
    con.execute("set TimeZone = 'UTC'")
    con.execute("set preserve_insertion_order = true")
    return con


def _lines(con, paths: list[Path]) -> None:
    """asterisk_lines and asterisk_repeats as the importer makes them, from queue_log files."""
    for index, path in enumerate(paths):
        statement = "insert into asterisk_lines by name " if index else "create table asterisk_lines as "
        con.execute(statement + load_sql("import_asterisk_log"), {
            "path": str(path), "name": path.name, "file": index, "damaged": asterisk.DAMAGED,
            **asterisk._judging()})
    con.execute("create table asterisk_repeats as " + load_sql("import_asterisk_repeats"))


def _unique(frame: pd.DataFrame, columns: list[str]) -> None:
    assert not frame.duplicated(columns).any(), f"grain {columns} is not unique"


def _not_null(frame: pd.DataFrame, columns: list[str]) -> None:
    for column in columns:
        assert frame[column].notna().all(), f"{column} has nulls"


def _varchar(header: str) -> dict[str, str]:
    return dict.fromkeys(header.split(","), "VARCHAR")


DUMP_COLUMNS = _varchar("time,callid,queuename,agent,event,data1,data2,data3,data4,data5")


def _dump(prepared) -> Path:
    """A small table dump with what real ones hold: padded values, an offset, a time that is no time."""
    path = _scratch(prepared) / "dump.csv"
    path.write_text("time;callid;queuename;agent;event;data1;data2;data3;data4;data5\n"
                    "2026-03-10 11:00:30.5;A1  ;q;NONE;ENTERQUEUE;;555;1;;\n"
                    "1773158420;A1;q;SIP/1;CONNECT;20;x;8;;\n"
                    "2026-03-08 02:30:00;A2;q;NONE;ENTERQUEUE;;;;;\n"
                    "-7;A3;q;NONE;ENTERQUEUE;;;;;\n"
                    "1773158430;NONE;q;SIP/1;PAUSE;lunch;;;;\n"
                    "1773158440;A1;q;SIP/1;;;;;;\n"
                    "2026-03-10 11:00:05-05:00;A1;q;SIP/1;COMPLETEAGENT;20;60;1;;\n"
                    "soon;A4;q;NONE;ENTERQUEUE;;;;;\n")
    return path


def _scratch(prepared) -> Path:
    folder = prepared.folder / "scratch-asterisk"
    folder.mkdir(exist_ok=True)
    return folder


def import_asterisk_log(prepared) -> None:
    con = _connection()
    try:
        con.execute("create table lines as " + load_sql("import_asterisk_log"), {
            "path": str(ROTATED[0]), "name": "queue_log.1", "file": 0, "damaged": asterisk.DAMAGED,
            **asterisk._judging()})
        frame = con.execute("select * from lines order by source_row").df()
        crlf = _scratch(prepared) / "crlf"
        crlf.write_bytes(b"x|y\r\n 1773244800 | c9 | q |NONE|pause|x \r\n\r\n")
        windows = con.execute(load_sql("import_asterisk_log"), {
            "path": str(crlf), "name": "crlf", "file": 3, "damaged": asterisk.DAMAGED,
            **asterisk._judging()}).df().set_index("source_row")
    finally:
        con.close()
    _unique(frame, ["source_row"])
    _not_null(frame, ["source_file", "file_index", "source_row", "text", "had_nul", "shaped"])
    assert frame["source_row"].tolist() == [1, 2, 3, 4, 5, 6, 7]  # 7: the empty text after the last \n
    rows = frame.set_index("source_row")
    first = rows.loc[1]
    assert (first["callid"], first["queue_name"], first["agent"], first["event"], first["data2"]) == (
        "1773244800.11", "support", "NONE", "ENTERQUEUE", "5035550111")
    assert first["time"] == utc(1773244800) and pd.isna(first["record"]) and pd.isna(first["problem"])
    assert rows.loc[3, "data2"] == "190"  # COMPLETECALLER's calltime
    after_nuls = rows.loc[5]  # 1000 NULs before it: skipped, the line is read
    assert after_nuls["text"].startswith("1773245110|") and after_nuls["had_nul"]
    assert pd.isna(after_nuls["problem"]) and after_nuls["time"] == utc(1773245110)
    assert after_nuls["record"] == "␀" + after_nuls["text"]
    damaged = rows.loc[6]
    assert damaged["problem"] == asterisk.DAMAGED and damaged["shaped"] and pd.isna(damaged["time"])
    assert rows.loc[7, "text"] == "" and pd.isna(rows.loc[7, "problem"])
    assert rows["had_nul"].tolist() == [False, False, False, False, True, True, False]
    # a file written on Windows: \r is no part of a line; blanks around fields are trimmed
    assert windows.loc[1, "problem"] == "malformed line: 2 field(s), a queue_log line has at least 5"
    assert pd.isna(windows.loc[1, "record"])  # the line as written is its text
    second = windows.loc[2]
    assert (second["text"], second["callid"], second["event"], second["problem"]) == (
        "1773244800 | c9 | q |NONE|pause|x", "c9", "PAUSE", asterisk.AGENT_OR_SYSTEM)
    assert second["record"] == " 1773244800 | c9 | q |NONE|pause|x " and second["file_index"] == 3
    assert windows.loc[3, "text"] == ""


def import_asterisk_table_rows(prepared) -> None:
    con = _connection()
    try:
        frame = con.execute(load_sql("import_asterisk_table_rows"), {
            "path": str(TABLE), "delimiter": ",", "columns": _varchar(
                "id,time,callid,queuename,agent,event,data1,data2,data3,data4,data5")}).df()
        joined = con.execute(load_sql("import_asterisk_table_rows"), {
            "path": str(TABLE_DATA), "delimiter": ",",
            "columns": _varchar("time,callid,queuename,agent,event,data")}).df()
    finally:
        con.close()
    for rows in (frame, joined):
        _unique(rows, ["data_row"])
        _not_null(rows, ["data_row", "time_text", "callid", "queue_name", "agent", "event", "data"])
        assert rows["data_row"].tolist() == list(range(1, 28))
    texts = ["callid", "queue_name", "agent", "event", "data"]
    assert frame.loc[0, texts].tolist() == ["NONE", "NONE", "NONE", "QUEUESTART", "||||"]
    assert frame.loc[4, texts].tolist() == ["1773158400.101", "support", "NONE", "ENTERQUEUE",
                                            "|5035550101|1||"]
    assert joined.loc[4, texts].tolist() == ["1773158400.101", "support", "NONE", "ENTERQUEUE",
                                             "|5035550101|1"]
    # a date and time without an offset is local (the importer makes it an instant); epoch seconds a number
    assert frame.loc[3, "time_text"] == "2026-03-10 10:00:10.000000"
    assert frame.loc[3, "local_time"] == pd.Timestamp("2026-03-10 10:00:10")
    assert frame["seconds"].isna().all() and frame["aware_time"].isna().all()
    assert joined.loc[4, "seconds"] == 1773158400 and joined["local_time"].isna().all()
    con = _connection()
    try:
        dump = con.execute(load_sql("import_asterisk_table_rows"), {
            "path": str(_dump(prepared)), "delimiter": ";", "columns": DUMP_COLUMNS,
        }).df().set_index("data_row")
    finally:
        con.close()
    assert dump.loc[7, "aware_time"] == pd.Timestamp("2026-03-10 16:00:05", tz="UTC")  # "11:00:05-05:00"
    assert pd.isna(dump.loc[7, "local_time"]) and dump.loc[1, "local_time"] == pd.Timestamp(
        "2026-03-10 11:00:30.5")
    assert dump.loc[1, "callid"] == "A1"  # padded as PostgreSQL writes char(n): trimmed
    assert pd.isna(dump.loc[8, "local_time"]) and pd.isna(dump.loc[8, "aware_time"])  # "soon"


def import_asterisk_table_minutes(prepared) -> None:
    con = _connection()
    try:
        con.execute("create table asterisk_table_rows as select * from (values "
                    "(1, timestamp '2026-03-10 10:00:10'), (2, null), "
                    "(3, timestamp '2026-03-10 10:00:59.5'), (4, timestamp '2026-03-10 10:01:00'), "
                    "(5, timestamp '2026-03-08 02:30:00')) "
                    "as rows(data_row, local_time)")
        frame = con.execute(load_sql("import_asterisk_table_minutes")).df()
    finally:
        con.close()
    _unique(frame, ["minute"])
    _not_null(frame, ["minute"])
    assert frame["minute"].tolist() == [pd.Timestamp("2026-03-08 02:30"), pd.Timestamp("2026-03-10 10:00"),
                                        pd.Timestamp("2026-03-10 10:01")]


def import_asterisk_table(prepared) -> None:
    con = _connection()
    try:
        con.execute("create table asterisk_table_rows as " + load_sql("import_asterisk_table_rows"),
                    {"path": str(_dump(prepared)), "delimiter": ";", "columns": DUMP_COLUMNS})
        con.register("asterisk_table_minutes", pd.DataFrame({
            "minute": [pd.Timestamp("2026-03-10 11:00"), pd.Timestamp("2026-03-08 02:30")],
            "start": [utc(1773158400), pd.NaT]}))
        frame = con.execute(load_sql("import_asterisk_table"), {
            "name": "dump.csv", "file": 2, "skipped": "time: skipped", **asterisk._judging()}).df()
    finally:
        con.close()
    _unique(frame, ["file_index", "source_row"])
    _not_null(frame, ["source_file", "file_index", "source_row", "text", "had_nul", "shaped"])
    rows = frame.set_index("source_row")
    assert rows.index.tolist() == [2, 3, 4, 5, 6, 7, 8, 9]  # the header is line 1
    assert rows.loc[2, "text"] == "2026-03-10 11:00:30.5|A1|q|NONE|ENTERQUEUE||555|1||"  # the log's line
    assert (rows.loc[2, "time"], rows.loc[2, "data2"]) == (utc(1773158430.5), "555")  # minute + 30.5 s
    assert (rows.loc[3, "time"], rows.loc[3, "data2"], rows.loc[3, "agent"]) == (
        utc(1773158420), "x", "SIP/1")
    assert rows.loc[8, "time"] == pd.Timestamp("2026-03-10 16:00:05", tz="UTC")  # its offset, not the zone
    assert [None if pd.isna(problem) else problem for problem in rows["problem"]] == [
        None, None, "time: skipped", "malformed row: the time is not a number of seconds since 1970",
        asterisk.AGENT_OR_SYSTEM, "malformed row: no event", None, "time: not a timestamp"]
    assert rows["time"].isna().tolist() == [False, False, True, True, False, True, False, True]


def import_asterisk_repeats(prepared) -> None:
    folder = _scratch(prepared)
    first, second = folder / "a", folder / "b"
    first.write_text("1|c|q|NONE|ENTERQUEUE\n2|c|q|NONE|ABANDON\n\n1|c|q|NONE|ENTERQUEUE\n")
    second.write_text("2|c|q|NONE|ABANDON\n3|d|q|NONE|ENTERQUEUE\n 1|c|q|NONE|ENTERQUEUE \n")
    con = _connection()
    try:
        _lines(con, [first, second])
        frame = con.execute(load_sql("import_asterisk_repeats")).df()
    finally:
        con.close()
    _unique(frame, ["file_index", "source_row"])
    _not_null(frame, ["file_index", "source_row"])
    # the first reading stays; blank lines are no repeats; blanks at the ends do not tell lines apart
    assert list(frame.itertuples(index=False, name=None)) == [(0, 4), (1, 1), (1, 3)]


def import_asterisk_files(prepared) -> None:
    con = _connection()
    try:
        _lines(con, [*ROTATED, NEW_FIXTURES / "all_nul", ROTATED[0]])
        frame = con.execute(load_sql("import_asterisk_files"), {"damaged": asterisk.DAMAGED}).df()
    finally:
        con.close()
    _unique(frame, ["file_index"])
    _not_null(frame, ["file_index", "source_file", "lines", "shaped", "repeated", "nul_lines", "damaged"])
    assert frame.values.tolist() == [
        [0, "queue_log.1", 6, 6, 0, 2, 1],
        [1, "queue_log", 6, 6, 0, 3, 0],  # its first line, its NUL-only line 5, its last line
        [2, "all_nul", 0, 0, 0, 1, 0],
        [3, "queue_log.1", 6, 6, 6, 2, 0]]  # given twice: every line repeated, none set aside again


def import_asterisk_set_aside(prepared) -> None:
    con = _connection()
    try:
        _lines(con, [*ROTATED, ROTATED[1]])
        frame = con.execute(load_sql("import_asterisk_set_aside"), {"limit": 30}).df()
    finally:
        con.close()
    _unique(frame, ["file_index", "source_row"])
    _not_null(frame, ["file_index", "source_file", "source_row", "reason", "record"])
    assert frame.values.tolist() == [
        # the line as written, cut when it was read (to RECORD_TEXT_LIMIT characters)
        [0, "queue_log.1", 6, asterisk.DAMAGED, "1773245200|1773245200.31|billing|NONE|ENTER␀"
                                                "1773245260|1773245200.31|billing|NONE|ABANDON|1|1|60"],
        [1, "queue_log", 2, asterisk.AGENT_OR_SYSTEM, "1773245500|NONE|NONE|NONE|QUEU"]]  # text, cut to 30


def import_asterisk_calls(prepared) -> None:
    con = _connection()
    params = {"queue_names": ["sales"], "queue_labels": ["Sales line"], "timeout_is_abandon": False,
              "began_earlier": asterisk.BEGAN_EARLIER, "in_progress": asterisk.IN_PROGRESS, "limit": 2000}
    try:
        _lines(con, ROTATED)
        frame = con.execute(load_sql("import_asterisk_calls"), params).df()
        abandons = con.execute(load_sql("import_asterisk_calls"),
                               {**params, "timeout_is_abandon": True}).df().set_index("interaction_id")
        con.execute("drop table asterisk_lines; drop table asterisk_repeats")
        _lines(con, [ROTATED[1]])
        alone = con.execute(load_sql("import_asterisk_calls"), params).df().set_index("interaction_id")
    finally:
        con.close()
    _unique(frame, ["interaction_id"])
    _not_null(frame, ["interaction_id", "channel", "source_file", "source_row", "events", "file_index"])
    rows = frame.set_index("interaction_id")
    assert sorted(rows.index) == [J, K, L, N]
    assert rows["reason"].isna().all()
    assert rows["events"].to_dict() == {J: 3, K: 3, L: 2, N: 2}
    k = rows.loc[K]  # spans the rotation
    assert (k["source_file"], k["source_row"], k["answered_at"], k["ended_at"], k["talk_seconds"]) == (
        "queue_log.1", 4, utc(1773245110), utc(1773245400), 290.0)
    assert (k["agent_id"], k["tier"], k["resolved_first_contact"], k["customer_id"]) == (
        "SIP/1002", 1, True, caller("5035550121"))
    timeout = rows.loc[L]
    assert (timeout["queue"], timeout["abandoned"], timeout["timed_out"]) == ("Sales line", False, True)
    assert pd.isna(timeout["answered_at"]) and timeout["ended_at"] == utc(1773245660)
    assert abandons.loc[L, "abandoned"] and abandons.loc[L, "timed_out"]
    assert rows.loc[N, "abandoned"] and not rows.loc[N, "timed_out"]
    # the newer file alone: K's end comes before any ENTERQUEUE of it
    began = alone.loc[K]
    assert (began["reason"], began["source_row"], began["events"]) == (asterisk.BEGAN_EARLIER, 1, 1)
    assert began["record"].startswith("␀1773245400|1773245100.21|")


SQL_CONTRACTS = {
    "import_asterisk_log": import_asterisk_log,
    "import_asterisk_table_rows": import_asterisk_table_rows,
    "import_asterisk_table_minutes": import_asterisk_table_minutes,
    "import_asterisk_table": import_asterisk_table,
    "import_asterisk_repeats": import_asterisk_repeats,
    "import_asterisk_files": import_asterisk_files,
    "import_asterisk_set_aside": import_asterisk_set_aside,
    "import_asterisk_calls": import_asterisk_calls,
}
