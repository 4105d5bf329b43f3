"""Genesys Cloud conversation details import: the mapping field by field, the summary's identity,
idempotence, incremental updates, and what validate says afterwards."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from cxdash import cli
from cxdash.importers import genesys, import_files
from cxdash.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures" / "imports" / "genesys"
QUERY = FIXTURES / "details_query.json"  # 7 conversations: 5 contacts, 1 outbound, 1 in progress
# 6 records: a chat twice (the second ends later), self-service, an IVR drop, an internal call, bad JSON
LINES = FIXTURES / "details.jsonl"
UPDATE = FIXTURES / "details_update.json"  # conversation 1 again, 7 with a survey, and a new 12


def cid(n: int) -> str:
    return f"c0a1e5d2-{n:04d}-4c3e-9a11-{n:012d}"


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def months(folder: Path) -> dict[str, Path]:
    return {p.stem: p for p in sorted((folder / "interactions" / "genesys").glob("*.parquet"))}


def stored(folder: Path) -> pd.DataFrame:
    frames = [pq.read_table(p).to_pandas() for p in months(folder).values()]
    return pd.concat(frames).set_index("interaction_id")


def mtimes(folder: Path) -> dict[str, int]:
    return {month: path.stat().st_mtime_ns for month, path in months(folder).items()}


def hashed(address: str) -> str:
    return "gen-" + hashlib.sha256(address.encode()).hexdigest()[:16]


@pytest.fixture
def imported(tmp_path: Path):
    summary = import_files(tmp_path, "genesys", [QUERY, LINES], Settings())
    return tmp_path, summary


def test_summary_accounts_for_every_record(imported):
    folder, summary = imported
    # 7 + 6 records = 7 contacts + the older version of the chat + 5 set aside
    assert (summary.records_read, summary.new, summary.updated, summary.unchanged, summary.superseded,
            summary.merged, summary.set_aside) == (13, 7, 0, 0, 1, 0, 5)
    assert summary.balanced
    assert summary.reasons == {
        "outbound conversation (only inbound conversations are imported)": 1,
        "conversation in progress (no conversationEnd)": 1,
        "ended before reaching a queue or an agent (IVR or bot only, not marked selfServed)": 1,
        "internal conversation (no customer or external participant)": 1,
        "not valid JSON": 1,
    }
    # the SMS arrived 2026-04-01 05:30 UTC, still 31 March in Los Angeles: one month file
    assert summary.months_written == ["2026-03"]
    aside = summary.set_aside_rows.set_index("reason")
    assert aside.loc["not valid JSON", ["source_file", "source_row"]].tolist() == ["details.jsonl", 3]
    assert aside.loc["conversation in progress (no conversationEnd)", "source_row"] == 5  # array position
    assert aside.loc["internal conversation (no customer or external participant)", "source_row"] == 7  # line
    assert (folder / summary.set_aside_file).exists()


def test_answered_call_field_by_field(imported):
    row = stored(imported[0]).loc[cid(1)]
    assert row["channel"] == "phone"
    assert row["arrived_at"] == utc("2026-03-10 16:00:40")  # first acd segment, after the IVR
    assert row["queue"] == "Billing"  # the acd participant's name
    assert row["answered_at"] == utc("2026-03-10 16:01:10")  # the agent's first interact segment
    assert row["ended_at"] == utc("2026-03-10 16:07:30")  # the caller hung up; wrap-up ran to 16:08:15
    assert not row["abandoned"]
    assert (row["talk_seconds"], row["hold_seconds"], row["wrap_seconds"]) == (320.0, 60.0, 45.0)  # metrics
    assert (row["agent_id"], row["team"], row["tier"]) == ("u-ana", "team-west", 1)
    assert row["resolved_first_contact"]
    assert row["nps_score"] == 9
    assert pd.isna(row["csat_score"]) and pd.isna(row["ces_score"])
    assert row["customer_id"] == hashed("+15035550101")
    assert row["source_updated_at"] == utc("2026-03-10 18:00:00")  # the survey came last


def test_abandoned_call(imported):
    row = stored(imported[0]).loc[cid(2)]
    assert (row["channel"], row["queue"], row["abandoned"]) == ("phone", "Billing", True)
    assert row["arrived_at"] == utc("2026-03-10 17:00:20")
    assert pd.isna(row["answered_at"])
    assert row["ended_at"] == utc("2026-03-10 17:02:05")
    for column in ("talk_seconds", "hold_seconds", "wrap_seconds", "agent_id", "tier",
                   "resolved_first_contact", "nps_score"):
        assert pd.isna(row[column]), column
    assert row["customer_id"] == "ec-42"  # the external contact, when Genesys has one


def test_transfer_is_one_contact_with_both_agents(imported):
    row = stored(imported[0]).loc[cid(3)]
    assert row["queue"] == "Billing"  # the queue it arrived in, not the one it was transferred to
    assert row["arrived_at"] == utc("2026-03-11 09:00:10")
    assert row["answered_at"] == utc("2026-03-11 09:00:30")
    assert row["agent_id"] == "u-ana"  # the agent who answered
    # u-ana's metrics (240 s talk, 30 s wrap, no hold)
    # + u-ben's segments (300 + 60 s talk, 60 s hold, 60 s wrap)
    assert (row["talk_seconds"], row["hold_seconds"], row["wrap_seconds"]) == (600.0, 60.0, 90.0)
    assert row["tier"] == 2
    assert not row["resolved_first_contact"]
    assert row["ended_at"] == utc("2026-03-11 09:12:00")


def test_other_channels(imported):
    rows = stored(imported[0])
    sms = rows.loc[cid(6)]
    assert (sms["channel"], sms["queue"], sms["agent_id"], sms["tier"]) == ("sms", "q-text", "u-cy", 1)
    assert (sms["talk_seconds"], sms["hold_seconds"], sms["wrap_seconds"]) == (1140.0, 0.0, 60.0)  # segments
    assert sms["ended_at"] == utc("2026-04-01 05:51:00")  # not a live channel: conversationEnd
    assert sms["customer_id"] == hashed("+15035550106")

    email = rows.loc[cid(7)]
    assert (email["channel"], email["queue"]) == ("email", "Email")
    assert email["answered_at"] == utc("2026-03-12 15:30:00")
    assert email["ended_at"] == utc("2026-03-12 15:42:00")
    assert email["customer_id"] == hashed("pat@example.com")

    chat = rows.loc[cid(8)]  # in the file twice: the version that ended later is kept
    assert (chat["channel"], chat["queue"], chat["wrap_seconds"]) == ("chat", "Web", 600.0)
    assert chat["source_updated_at"] == utc("2026-03-14 10:25:00")
    assert chat["ended_at"] == utc("2026-03-14 10:15:00")  # a live channel: when the customer left

    bot = rows.loc[cid(9)]
    assert (bot["channel"], bot["abandoned"]) == ("self_service", False)
    assert pd.isna(bot["queue"]) and pd.isna(bot["answered_at"]) and pd.isna(bot["agent_id"])
    assert bot["ended_at"] == utc("2026-03-14 11:03:00")

    assert set(rows.index) == {cid(n) for n in (1, 2, 3, 6, 7, 8, 9)}
    text = rows.astype(str).to_string()
    assert "5035550101" not in text and "pat@" not in text.lower()  # no caller number or address stored


def test_importing_the_same_files_again_changes_nothing(imported):
    folder, _ = imported
    before = mtimes(folder)
    again = import_files(folder, "genesys", [QUERY, LINES], Settings())
    assert (again.new, again.updated, again.unchanged, again.superseded, again.set_aside) == (0, 0, 7, 1, 5)
    assert again.months_written == []
    assert again.balanced
    assert mtimes(folder) == before


def test_a_later_export_adds_the_new_and_replaces_the_changed(tmp_path):
    import_files(tmp_path, "genesys", [QUERY], Settings())
    later = import_files(tmp_path, "genesys", [UPDATE], Settings())
    assert (later.records_read, later.new, later.updated, later.unchanged) == (3, 1, 1, 1)
    assert later.balanced and later.months_written == ["2026-03"]
    rows = stored(tmp_path)
    assert rows.loc[cid(7), "nps_score"] == 4  # the survey answered the next day
    assert rows.loc[cid(7), "source_updated_at"] == utc("2026-03-13 10:00:00")
    new = rows.loc[cid(12)]
    assert (new["agent_id"], new["talk_seconds"], new["wrap_seconds"]) == ("u-ben", 255.0, 60.0)
    assert new["customer_id"] == rows.loc[cid(1), "customer_id"]  # the same caller, the same id
    assert len(rows) == 6


def test_validate_passes_after_import(imported, capsys):
    assert cli.main(["validate", "--data", str(imported[0])]) == 0
    assert "All files pass the data contract." in capsys.readouterr().out


def test_preview_writes_nothing(tmp_path):
    summary = import_files(tmp_path, "genesys", [QUERY, LINES], Settings(), preview=True)
    assert (summary.new, summary.set_aside, summary.months_written) == (7, 5, ["2026-03"])
    assert not (tmp_path / "interactions").exists() and not (tmp_path / "imports").exists()


def test_mapping_names_queues_and_live_channels_decide_the_end():
    parsed = genesys.parse([QUERY, LINES], Settings(live_channels=("phone",)),
                           {"queues": {"q-text": "Text messages", "q-billing": "Billing & payments"}})
    rows = parsed.rows.set_index("interaction_id")
    assert rows.loc[cid(6), "queue"] == "Text messages"
    assert rows.loc[cid(1), "queue"] == "Billing & payments"  # the mapping wins over the acd's name
    chat = rows[rows.index == cid(8)].sort_values("source_updated_at").iloc[-1]
    assert chat["ended_at"] == utc("2026-03-14 10:25:00")  # chat not live here: conversationEnd
    assert parsed.records_read == 13 and list(parsed.rows["source_file"].unique()) == [QUERY.name, LINES.name]
    with pytest.raises(ValueError, match="queues"):
        genesys.parse([QUERY], Settings(), {"queues": "q-text"})


def test_concatenated_pages_and_empty_pages(tmp_path):
    one = json.loads(QUERY.read_text())["conversations"][0]
    two = json.loads(QUERY.read_text())["conversations"][1]
    pages = tmp_path / "job-results.json"
    pages.write_text(json.dumps({"conversations": [one], "cursor": "abc"}, indent=2) + "\n"
                     + json.dumps({"conversations": [two]}, indent=2) + "\n")
    parsed = genesys.parse([pages], Settings())
    assert parsed.records_read == 2 and list(parsed.rows["source_row"]) == [1, 2]
    empty = tmp_path / "empty.json"
    empty.write_text('{"totalHits": 0}')
    blank = tmp_path / "blank.jsonl"
    blank.write_text("\n")
    parsed = genesys.parse([empty, blank], Settings())
    assert parsed.records_read == 0 and parsed.rows.empty


@pytest.mark.parametrize("content", ["call_id,start_at\n1,2026-01-01\n", '{"foo": 1}', "[1, 2]",
                                     "1773154800|NONE|NONE|NONE|QUEUESTART|\n"])
def test_a_file_that_is_not_a_genesys_export_is_named(tmp_path, content):
    path = tmp_path / "calls.csv"
    path.write_text(content)
    with pytest.raises(ValueError, match="calls.csv: not a Genesys Cloud conversation details export"):
        genesys.parse([QUERY, path], Settings())


def test_odd_content_is_set_aside_never_raised(tmp_path):
    end = "2026-03-20T10:05:00Z"
    odd = [
        {"conversationId": 5},
        {"conversationId": "odd-end", "conversationEnd": "yesterday"},
        {"conversationId": "odd-sessions", "conversationEnd": end,
         "participants": [{"purpose": "customer", "sessions": "oops"}]},
        {"conversationId": "odd-media", "conversationEnd": end,
         "participants": [{"purpose": "customer", "sessions": [{"mediaType": "video"}]}]},
        {"conversationId": "odd-values", "conversationStart": "2026-03-20T10:00:00Z", "conversationEnd": end,
         "participants": [
             "not a participant",
             {"purpose": "customer",
              "sessions": [{"mediaType": "voice", "segments": [{"segmentType": None}]}]},
             {"purpose": "acd",
              "sessions": [{"segments": [{"segmentStart": "not a date"}], "metrics": None}]},
             {"purpose": "agent", "sessions": [{"metrics": [{"name": "tTalk", "value": "abc"}, "x"],
                                                 "segments": [{"segmentType": "interact",
                                                               "segmentStart": "2026-03-20T10:01:00Z"}]}]}],
         "surveys": [{"surveyPromoterScore": "ten"}], "resolutions": "none"},
    ]
    path = tmp_path / "odd.json"
    path.write_text(json.dumps({"conversations": odd}))
    parsed = genesys.parse([path], Settings())
    assert parsed.records_read == 5
    assert dict(zip(parsed.set_aside["source_row"], parsed.set_aside["reason"], strict=True)) == {
        1: "no conversationId", 2: "conversationEnd is not a date",
        3: "no mediaType on the customer's session", 4: "media type video is not a contract channel"}
    row = parsed.rows.iloc[0]
    assert row["interaction_id"] == "odd-values"
    assert row["answered_at"] == utc("2026-03-20 10:01:00") and row["talk_seconds"] == 0.0
    assert row["arrived_at"] == utc("2026-03-20 10:00:00")  # the acd segment had no usable start
    summary = import_files(tmp_path, "genesys", [path], Settings())
    assert summary.balanced and summary.new == 1 and summary.set_aside == 4
