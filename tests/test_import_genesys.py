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
        "conversation in progress (no conversationEnd and a segment has not ended)": 1,
        "ended before reaching a queue or an agent (IVR or bot only, not marked selfServed)": 1,
        "internal call between users (no customer or external participant)": 1,
        "not valid JSON": 1,
    }
    # the SMS arrived 2026-04-01 05:30 UTC, still 31 March in Los Angeles: one month file
    assert summary.months_written == ["2026-03"]
    aside = summary.set_aside_rows.set_index("reason")
    assert aside.loc["not valid JSON", ["source_file", "source_row"]].tolist() == ["details.jsonl", 3]
    assert aside.loc["conversation in progress (no conversationEnd and a segment has not ended)",
                     "source_row"] == 5  # array position
    assert aside.loc["internal call between users (no customer or external participant)",
                     "source_row"] == 7  # line
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
    assert (sms["talk_seconds"], sms["wrap_seconds"]) == (1140.0, 60.0)  # segments
    assert pd.isna(sms["hold_seconds"])  # no tHeld, no hold segment: not measured
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
    assert row["answered_at"] == utc("2026-03-20 10:01:00")
    assert pd.isna(row["talk_seconds"])  # tTalk "abc", an interact segment without an end: not measured
    assert row["arrived_at"] == utc("2026-03-20 10:00:00")  # the acd segment had no usable start
    summary = import_files(tmp_path, "genesys", [path], Settings())
    assert summary.balanced and summary.new == 1 and summary.set_aside == 4


# --- what real exports showed (issue 16) --------------------------------------------------------------

REAL = Path(__file__).parent / "fixtures" / "genesys"  # README.md there says where each file comes from


def parsed_rows(*paths: Path, mapping: dict | None = None) -> pd.DataFrame:
    return genesys.parse(list(paths), Settings(), mapping).rows.set_index("interaction_id")


def reasons_by_row(parsed) -> dict[int, str]:
    return dict(zip(parsed.set_aside["source_row"], parsed.set_aside["reason"], strict=True))


def test_a_conversation_without_conversation_end_is_over_when_every_segment_has_ended():
    parsed = genesys.parse([REAL / "without_end.jsonl"], Settings())
    assert reasons_by_row(parsed) == {
        3: "conversation in progress (no conversationEnd and a segment has not ended)"}
    rows = parsed.rows.set_index("interaction_id")
    voice = rows.loc["end-voice"]
    assert voice["arrived_at"] == utc("2026-05-04 09:00:10")
    assert voice["answered_at"] == utc("2026-05-04 09:00:40")
    assert voice["ended_at"] == utc("2026-05-04 09:06:00")  # a live channel: when the caller left
    assert voice["source_updated_at"] == utc("2026-05-04 09:07:30")  # the last segment: the wrap-up's end
    assert (voice["talk_seconds"], voice["wrap_seconds"]) == (320.0, 90.0)
    email = rows.loc["end-email"]
    assert email["ended_at"] == utc("2026-05-04 11:44:00")  # not live: the latest segmentEnd
    assert (email["talk_seconds"], email["wrap_seconds"]) == (720.0, 120.0)  # from its segments


def test_the_real_conversation_without_conversation_end_is_imported():
    # blueprint_conversation2.json: no conversationEnd, every segment ended, days written "2021-04-2"
    parsed = genesys.parse([REAL / "blueprint_conversation2.json"], Settings())
    assert parsed.records_read == 1 and parsed.set_aside.empty
    row = parsed.rows.set_index("interaction_id").loc["6acbee65-80be-4777-be03-8dacd07ee3f9"]
    assert row["channel"] == "chat"
    assert row["queue"] == "Chat Participant"  # the acd participant's name, as the export writes it
    assert row["arrived_at"] == utc("2021-04-02 15:30:51.422")  # the acd segment's start
    assert row["answered_at"] == utc("2021-04-02 15:30:57.809")
    assert row["ended_at"] == utc("2021-04-02 15:46:21.288")  # the customer's segment end (chat is live)
    assert row["source_updated_at"] == utc("2021-04-02 15:46:21.293")  # the agent's last segment end
    assert row["talk_seconds"] == 923.484  # tTalk
    assert pd.isna(row["hold_seconds"]) and pd.isna(row["wrap_seconds"])  # neither measured
    assert (row["agent_id"], row["tier"], row["resolved_first_contact"]) == \
        ("9f3b4669-8593-4c95-bd7d-ef92c50f5a86", 1, True)
    assert pd.isna(row["customer_id"])  # a web chat: no number, no address, no external contact


def test_the_real_conversation_with_its_end_field_by_field():
    row = parsed_rows(REAL / "blueprint_conversation1.json").loc["1bc96a39-6725-40c4-9345-db72aa67b8c6"]
    assert (row["channel"], row["queue"], row["abandoned"]) == ("chat", "Yuri", False)
    assert row["arrived_at"] == utc("2021-04-01 12:27:53.388")
    assert row["answered_at"] == utc("2021-04-01 12:28:04.569")
    assert row["ended_at"] == utc("2021-04-01 12:43:23.303")
    assert row["source_updated_at"] == utc("2021-04-01 12:43:23.306")
    assert (row["talk_seconds"], row["hold_seconds"]) == (374.561, 544.176)  # tTalk, tHeld
    assert pd.isna(row["wrap_seconds"])  # no tAcw, no wrapup segment: not measured, not 0


def test_only_inbound_customer_contacts_are_imported():
    parsed = genesys.parse([REAL / "not_inbound.jsonl"], Settings())
    assert reasons_by_row(parsed) == {
        1: "outbound campaign preview (dialer)",  # the 12.4 h preview is no inbound call
        2: "outbound campaign call (dialer)",
        3: "outbound conversation (placed by an agent)",
        4: "callback scheduled by an agent (agent-owned callback)",
        5: "callback placed by an agent (not requested by the customer)",
        6: "internal call between users (the other party is a Genesys user)",
    }
    assert parsed.set_aside["record"].str.startswith('{"conversationId": "').all()
    rows = parsed.rows.set_index("interaction_id")
    assert sorted(rows.index) == ["consult", "requested"]
    callback = rows.loc["requested"]  # the customer asked for it: an inbound phone contact
    assert (callback["channel"], callback["queue"], callback["agent_id"]) == ("phone", "Callbacks", "u-fay")
    assert callback["arrived_at"] == utc("2026-05-04 13:00:01")
    assert callback["answered_at"] == utc("2026-05-04 13:03:00")  # the agent took the callback
    assert callback["ended_at"] == utc("2026-05-04 13:09:00")  # the customer's last segment
    assert (callback["talk_seconds"], callback["wrap_seconds"]) == (355.0, 60.0)
    assert pd.isna(callback["hold_seconds"])
    assert callback["customer_id"] == hashed("+15035550164")  # the number on the voice session
    consult = rows.loc["consult"]  # Genesys says inbound: the outside consult does not change that
    assert (consult["queue"], consult["answered_at"], consult["talk_seconds"]) == \
        ("Billing", utc("2026-05-04 14:00:20"), 400.0)
    summary = import_files_balanced(REAL / "not_inbound.jsonl")
    assert summary.reasons["outbound campaign preview (dialer)"] == 1


def import_files_balanced(*paths: Path, mapping: dict | None = None):
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        summary = import_files(Path(folder), "genesys", list(paths), Settings(), mapping)
    assert summary.balanced
    return summary


def test_the_queue_name_the_export_carries_wins_over_the_id_and_the_mapping_over_both():
    rows = parsed_rows(REAL / "queue_names.jsonl")
    assert rows["queue"].to_dict() == {
        "q-segment": "Billing",  # the acd segment's queueName
        "q-session": "Orders",  # the acd session's queueName
        "q-agent-only": "Direct line",  # no queue participant: the agent's segment names it
        "q-named-acd": "Sales",  # the acd participant's name
        "q-bare": "q-unnamed",  # nothing names it: the id
    }
    mapped = parsed_rows(REAL / "queue_names.jsonl", mapping={"queues": {
        "q-billing": "Billing & payments", "q-direct": "Front desk", "q-sales": "Sales team"}})
    assert mapped["queue"].to_dict() == {
        "q-segment": "Billing & payments", "q-session": "Orders", "q-agent-only": "Front desk",
        "q-named-acd": "Sales team", "q-bare": "q-unnamed"}


def test_no_measurement_is_no_time():
    rows = parsed_rows(REAL / "unmeasured.jsonl")
    times = {key: tuple(None if pd.isna(value) else value for value in row)
             for key, row in rows[["talk_seconds", "hold_seconds", "wrap_seconds"]].iterrows()}
    assert times == {
        "m-talk-only": (280.0, None, None),  # tTalk only: hold and wrap unknown, not 0
        "m-segments": (280.0, 60.0, 30.0),  # no metrics: 100 + 180 s talk, the hold and wrapup segments
        "m-zero-wrap": (220.0, None, 0.0),  # tAcw 0 is a measurement
        "m-transfer": (450.0, None, 20.0),  # 160 + 290 s talk; only the first agent's wrap was measured
    }
    assert rows.loc["m-transfer", "tier"] == 2 and not rows.loc["m-transfer", "resolved_first_contact"]


def test_the_bench_export_imports_balanced(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "bench_genesys", Path(__file__).parent.parent / "bench" / "exports" / "genesys.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    files = bench.write(tmp_path / "export", 3000)
    summary = import_files(tmp_path / "data", "genesys", files, Settings())
    assert summary.records_read == 3000 and summary.balanced
    assert summary.new > 2800 and summary.superseded > 0  # a few conversations delivered twice
    assert {"outbound campaign preview (dialer)", "outbound conversation (only inbound conversations are "
            "imported)", "internal call between users (no customer or external participant)",
            "callback scheduled by an agent (agent-owned callback)"} <= set(summary.reasons)
    rows = stored(tmp_path / "data")
    assert rows["wrap_seconds"].isna().any() and (rows["wrap_seconds"] > 0).any()
    assert set(rows["channel"]) >= {"phone", "chat", "email", "sms", "social", "self_service"}
    assert cli.main(["validate", "--data", str(tmp_path / "data")]) == 0


def test_messy_files_never_fail_the_import(tmp_path):
    conversation = json.loads(LINES.read_text().splitlines()[0])  # the chat, c0a1e5d2-...-0008
    page = {"conversations": [dict(conversation, conversationId="in-a-page")], "cursor": "next"}
    line = json.dumps(conversation)
    # JSON lines with a page among them, a status, a broken line and bytes that are not UTF-8
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_bytes((line + "\n" + json.dumps(page) + "\n" + '{"totalHits": 2}\n'
                       + '{"conversationId": "x\n').encode() + b'{"conversationId": "bad-\xff-bytes"}\n')
    parsed = genesys.parse([mixed], Settings())
    assert sorted(parsed.rows["interaction_id"]) == ["c0a1e5d2-0008-4c3e-9a11-000000000008", "in-a-page"]
    # read as documents: positions among the file's conversations; the broken fragment by its line
    assert list(parsed.rows["source_row"]) == [1, 2]
    assert dict(zip(parsed.set_aside["reason"], parsed.set_aside["source_row"], strict=True)) == {
        "not valid JSON": 4, "conversation in progress (no conversationEnd and a segment has not ended)": 3}
    assert parsed.records_read == 4
    # a pretty-printed page cut short, after a good one: the good one counts
    cut = tmp_path / "cut.json"
    cut.write_text(json.dumps({"conversations": [conversation]}, indent=1) + "\n"
                   + json.dumps({"conversations": [conversation]}, indent=1)[:200])
    parsed = genesys.parse([cut], Settings())
    first = len(json.dumps({"conversations": [conversation]}, indent=1).splitlines())
    assert len(parsed.rows) == 1
    # the broken page's lines, from the one it starts on: not JSON (or a bare value: no conversation)
    assert set(parsed.set_aside["reason"]) == {"not valid JSON",
                                               "not a Genesys conversation (no conversationId)"}
    problems = parsed.set_aside[parsed.set_aside["reason"] == "not valid JSON"]
    assert problems["source_row"].min() == first + 1 and problems["record"].iloc[0] == "{"
    assert parsed.records_read == 1 + len(parsed.set_aside)  # each fragment line a record set aside
    cut_records = parsed.records_read
    # an array of a conversation, a page and arrays (one level is read, deeper is no conversation),
    # and a conversation on a line of its own longer than 2 MB
    nested = tmp_path / "nested.json"
    nested.write_text(json.dumps([conversation, page, [conversation], [[conversation]]]))
    parsed = genesys.parse([nested], Settings())
    assert reasons_by_row(parsed) == {4: genesys.INNER_ARRAY}
    assert parsed.rows["interaction_id"].tolist() == [conversation["conversationId"], "in-a-page",
                                                      conversation["conversationId"]]
    long = tmp_path / "long.jsonl"
    long.write_text(json.dumps(dict(conversation, conversationId="long", pad="x" * 3_000_000)) + "\n")
    assert genesys.parse([long], Settings()).rows["interaction_id"].tolist() == ["long"]
    summary = import_files(tmp_path / "data", "genesys", [mixed, cut, nested, long], Settings())
    assert summary.balanced and summary.records_read == 4 + cut_records + 4 + 1


# --- the SQL files' contracts (collected by tests/test_sql_contract.py) ------------------------------

def _conversation_rows(path: Path, mapping: dict[str, str] | None = None,
                       live: tuple[str, ...] = ("phone", "chat"), parts: int = 1,
                       part: int = 0) -> pd.DataFrame:
    from cxdash.db import connect, load_sql

    con = connect()
    try:
        con.execute("set preserve_insertion_order = true; set TimeZone = 'UTC'")
        frame = con.execute(load_sql("import_genesys_conversations"), {
            "path": str(path), "name": path.name, "separator": "\x1f", "limit": 25,
            "live_channels": list(live), "queue_ids": list(mapping or {}),
            "queue_names": list((mapping or {}).values()), "parts": parts, "part": part}).df()
    finally:
        con.close()
    if parts > 1:
        return frame
    return frame.assign(source_row=range(1, len(frame) + 1))  # in the file's order: a row's line


def contract_import_genesys_conversations(p) -> None:
    everything = _conversation_rows(LINES)  # 7 lines, one blank: a row per line, in order
    assert everything["kind"].tolist() == ["conversation", "conversation", "invalid", "blank", "conversation",
                                           "conversation", "conversation"]
    assert everything[["source_file", "kind"]].notna().all().all()
    blank = everything.iloc[3]
    assert pd.isna(blank["reason"]) and pd.isna(blank["record"]) and pd.isna(blank["interaction_id"])
    frame = everything[everything["kind"] != "blank"]
    assert frame["source_row"].tolist() == [1, 2, 3, 5, 6, 7]
    assert (frame["reason"].isna() == frame["interaction_id"].notna()).all()  # a contact or a reason
    assert (frame["reason"].isna() == frame["record"].isna()).all()
    rows = frame.set_index("source_row")
    assert rows.loc[3, "record"] == '{"conversationId": "c0a1e' and len(rows.loc[6, "record"]) == 25
    chat = rows.loc[2]  # the later version of the chat, hand-computed from its line
    assert (chat["channel"], chat["queue"], chat["agent_id"], chat["tier"]) == ("chat", "Web", "u-eve", 1)
    assert (chat["talk_seconds"], chat["wrap_seconds"]) == (840.0, 600.0) and pd.isna(chat["hold_seconds"])
    assert chat["arrived_at"] == utc("2026-03-14 10:00:05") and chat["answered_at"] == utc("2026-03-14 10:01")
    assert chat["ended_at"] == utc("2026-03-14 10:15")  # live: the customer left
    assert chat["source_updated_at"] == utc("2026-03-14 10:25")
    assert bool(chat["resolved_first_contact"]) and not bool(chat["abandoned"])
    bot = rows.loc[5]
    assert (bot["channel"], bot["customer_id"]) == ("self_service", hashed("+15035550109"))
    assert rows.loc[6, "reason"].startswith("ended before reaching a queue")
    # the mapping's [queues] names the queue; chat not live: the conversation's end
    again = _conversation_rows(LINES, {"q-web": "Web chat"}, live=("phone",)).set_index("source_row")
    assert (again.loc[2, "queue"], again.loc[2, "ended_at"]) == ("Web chat", utc("2026-03-14 10:25"))
    # in parts (db.in_parts): part i of 2 reads the lines numbered i modulo 2, each as read whole
    halves = [_conversation_rows(LINES, parts=2, part=part) for part in (0, 1)]
    assert [half["line_no"].tolist() for half in halves] == [[2, 4, 6], [1, 3, 5, 7]]
    whole = everything.drop(columns="source_row")
    joined = pd.concat(halves).sort_values("line_no", ignore_index=True).astype(whole.dtypes.to_dict())
    pd.testing.assert_frame_equal(joined, whole)
    # a page's status alone and a page among the lines: no reason (the importer leaves the one out and
    # reads the file as documents for the other)
    scratch = p.folder / "scratch"
    scratch.mkdir(exist_ok=True)
    pages = scratch / "pages.jsonl"
    pages.write_text('{"totalHits": 1, "cursor": "x"}\n{"conversations": [{"conversationId": "a"}]}\n')
    kinds = _conversation_rows(pages)
    assert kinds["kind"].tolist() == ["status", "container"] and kinds["reason"].isna().all()
    assert pd.isna(kinds["record"].iloc[0]) and kinds["record"].iloc[1] == '{"conversations": [{"conv'


def contract_import_genesys_documents(p) -> None:
    from cxdash.db import connect, load_sql

    scratch = p.folder / "scratch"
    scratch.mkdir(exist_ok=True)
    pages = scratch / "pages.json"
    pages.write_text(json.dumps({"conversations": [{"conversationId": "a"}, {"conversationId": "b"}],
                                 "cursor": "x"}, indent=2) + "\n" + json.dumps({"totalHits": 0}) + "\n"
                     + json.dumps([{"conversationId": "c"}, 5]) + "\n" + '{"conversations": "oops"}\n')
    array = scratch / "array.json"
    array.write_text(json.dumps([{"conversationId": "d"}, {"conversationId": "e"}], indent=2))
    con = connect()
    try:
        con.execute("set preserve_insertion_order = true")
        items = [con.execute(load_sql("import_genesys_documents"), {"path": str(path), "max_size": 2**20})
                 .df()["item"].tolist() for path in (pages, array)]
    finally:
        con.close()
    # one row per conversation, in the file's order (a page's, an array's); the status left out; what is
    # no conversation kept as it is, for the conversations query to set aside
    assert items[0] == ['{"conversationId":"a"}', '{"conversationId":"b"}', '{"conversationId":"c"}', '5',
                        '{"conversations":"oops"}']
    assert items[1] == ['{"conversationId":"d"}', '{"conversationId":"e"}']  # an array, element by element


SQL_CONTRACTS = {
    "import_genesys_conversations": contract_import_genesys_conversations,
    "import_genesys_documents": contract_import_genesys_documents,
}


# --- each row at its line ---------------------------------------------------------------------------------

def _fetched(path: Path, threads: int = 2):
    """What the conversations query makes of a JSON-lines file, read in as many parts as threads."""
    from cxdash.db import connect

    params = {"path": str(path), "name": path.name, "separator": genesys.SEPARATOR, "limit": 60,
              "live_channels": ["phone", "chat"], "queue_ids": [], "queue_names": []}
    con = connect()
    try:
        con.execute(f"set preserve_insertion_order = true; set TimeZone = 'UTC'; set threads = {threads}")
        return genesys._fetch(con, params)
    finally:
        con.close()


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_contacts_and_records_set_aside_are_each_at_their_line(tmp_path, threads):
    # contacts, a conversation set aside, a line cut short, a page's status, an object and a value that
    # are no conversation; read whole, or in parts at once (one a thread), the same rows at their lines
    lines = [line for line in LINES.read_text().splitlines() if line.strip()]
    path = tmp_path / "lines.jsonl"
    others = ['{"totalHits": 2, "cursor": "x"}', "{}", '"a string"']
    path.write_text("\n".join([*lines, *others, lines[0]]) + "\n")
    rows = _fetched(path, threads)
    assert (rows.kinds, rows.lines) == ({"conversation", "invalid", "other"}, 10)
    # each row at its line: the chat twice, the self-service one, the chat again on the last line (the
    # status on line 7 is no record)
    assert rows.contacts["source_row"].to_pylist() == [1, 2, 4, 10]
    assert dict(zip(rows.aside["source_row"].to_pylist(), rows.aside["reason"].to_pylist(), strict=True)) == {
        3: "not valid JSON",
        5: "ended before reaching a queue or an agent (IVR or bot only, not marked selfServed)",
        6: "internal call between users (no customer or external participant)",
        8: "not a Genesys conversation (no conversationId)",
        9: "not a Genesys conversation (no conversationId)"}
    assert rows.aside["record"].to_pylist()[0] == lines[2]


@pytest.mark.parametrize("odd", ["", "   ", "\t"])
def test_a_blank_line_counts_as_a_line(tmp_path, odd):
    lines = [line for line in LINES.read_text().splitlines() if line.strip()]
    path = tmp_path / "lines.jsonl"
    path.write_text("\n".join([lines[0], odd, lines[1]]) + "\n")
    rows = genesys.parse([path], Settings())
    assert rows.rows["source_row"].tolist() == [1, 3]
    assert rows.records_read == (2 if odd != "\t" else 3)  # a tab alone is no blank line: not JSON


def test_every_row_is_at_its_line_in_a_large_file(tmp_path):
    # a file DuckDB reads on several threads hands its rows over in any order: numbered by their
    # position they were at the wrong lines; each is at its line (contacts in the file's order)
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "bench_genesys", Path(__file__).parent.parent / "bench" / "exports" / "genesys.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    [path] = bench.write(tmp_path / "export", 20_000)
    lines = path.read_text(encoding="utf-8").splitlines()
    parsed = genesys.parse([path], Settings())
    assert parsed.records_read == len(lines) and len(parsed.rows) > 19_000
    rows = parsed.rows
    assert rows["source_row"].is_monotonic_increasing
    assert all(json.loads(lines[row - 1])["conversationId"] == conversation
               for row, conversation in zip(rows["source_row"], rows["interaction_id"], strict=True))
    aside = parsed.set_aside
    # the contacts' repeated text is held compactly while read; what comes out is text, not categories
    assert not any(isinstance(dtype, pd.CategoricalDtype) for dtype in [*rows.dtypes, *aside.dtypes])
    assert len(aside) and all(lines[row - 1].startswith(record)
                              for row, record in zip(aside["source_row"], aside["record"], strict=True))
