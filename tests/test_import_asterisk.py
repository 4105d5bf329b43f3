"""Asterisk queue_log import: calls field by field, every line in one bucket of the summary,
idempotence, a longer log updating a call, validate afterwards, and the CLI."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from cxdash import cli
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


@pytest.mark.parametrize("content", [b"no pipes here\nnor here\n", b"a|b|c|d|e\n", b"1773154800|x\0|q|a|E\n"])
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
