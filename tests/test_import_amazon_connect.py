"""Amazon Connect contact trace records, and the shared merge: field by field, every record accounted
for, idempotent and incremental, and what validate then finds."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

from cxdash import cli
from cxdash.importers import import_files
from cxdash.importers.core import Parsed, store
from cxdash.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures" / "imports" / "amazon_connect"
EXPORT = FIXTURES / "ctr-2026-10.jsonl"
UTC = "UTC"


def _month(folder: Path, month: str = "2026-10") -> pd.DataFrame:
    frame = pd.read_parquet(folder / "interactions" / "amazon-connect" / f"{month}.parquet")
    return frame.set_index("interaction_id")


def _ctr(contact_id: str, start: str, updated: str, **extra) -> dict:
    """A minimal inbound call that queued and was answered, as Amazon Connect writes it."""
    record = {"ContactId": contact_id, "Channel": "VOICE", "InitiationMethod": "INBOUND",
              "InitiationTimestamp": start, "DisconnectTimestamp": updated, "LastUpdateTimestamp": updated,
              "Queue": {"Name": "orders", "EnqueueTimestamp": start},
              "Agent": {"Username": "li", "ConnectedToAgentTimestamp": start,
                        "AgentInteractionDuration": 100, "CustomerHoldDuration": 0,
                        "AfterContactWorkDuration": 10}}
    record.update(extra)
    return record


def _lines(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return path


def test_every_field_of_the_hand_written_export(tmp_path):
    summary = import_files(tmp_path, "amazon-connect", [EXPORT], Settings())
    frame = _month(tmp_path)
    assert sorted(frame.index) == ["c1-voice", "c10-late", "c2-abandon", "c3-first-leg", "c4-chat",
                                   "c5-ivr-only", "c8-repeat"]
    c1 = frame.loc["c1-voice"]  # delivered twice: the newer record, with its after-contact work
    assert c1["channel"] == "phone" and c1["queue"] == "orders"
    assert c1["arrived_at"] == pd.Timestamp("2026-10-05 16:00:30", tz=UTC)  # entered the queue
    assert c1["answered_at"] == pd.Timestamp("2026-10-05 16:00:45", tz=UTC)
    assert c1["ended_at"] == pd.Timestamp("2026-10-05 16:06:40", tz=UTC)
    assert (c1["talk_seconds"], c1["hold_seconds"], c1["wrap_seconds"]) == (300, 30, 70)
    assert (c1["agent_id"], c1["team"], c1["csat_score"]) == ("maria", "Team Day", 4)
    assert not c1["abandoned"] and not c1["resolved_first_contact"]  # the customer called again 4 days later
    assert c1["source_updated_at"] == pd.Timestamp("2026-10-05 16:08:10", tz=UTC)
    transfer = frame.loc["c3-first-leg"]  # two legs, one customer contact
    assert (transfer["talk_seconds"], transfer["hold_seconds"], transfer["wrap_seconds"]) == (730, 45, 110)
    assert (transfer["agent_id"], transfer["team"], transfer["tier"]) == ("sam", "Team Evening", 2)
    assert transfer["resolved_first_contact"]
    abandon = frame.loc["c2-abandon"]
    assert abandon["abandoned"] and pd.isna(abandon["answered_at"]) and pd.isna(abandon["talk_seconds"])
    assert abandon["ended_at"] == pd.Timestamp("2026-10-05 17:02:10", tz=UTC)
    assert frame.loc["c5-ivr-only", "channel"] == "self_service"
    chat = frame.loc["c4-chat"]
    assert (chat["channel"], chat["queue"], chat["csat_score"]) == ("chat", "product_advice", 5)
    assert chat["resolved_first_contact"] and pd.isna(chat["customer_id"])
    assert pd.isna(frame.loc["c10-late", "resolved_first_contact"])  # its seven days are not over
    assert frame.loc["c1-voice", "customer_id"] == frame.loc["c8-repeat", "customer_id"]

    # 13 records = 7 contacts + 1 older version + 1 transfer leg + 4 set aside
    assert (summary.records_read, summary.new, summary.updated, summary.unchanged) == (13, 7, 0, 0)
    assert (summary.superseded, summary.merged, summary.set_aside) == (1, 1, 4)
    assert summary.balanced
    assert summary.reasons == {"not an inbound customer contact (InitiationMethod OUTBOUND)": 1,
                               "not a JSON record": 1, "field InitiationTimestamp: missing": 1,
                               "a task (agent work item), not a customer contact": 1}
    aside = pd.read_parquet(tmp_path / summary.set_aside_file)
    assert aside["source_row"].tolist() == [8, 9, 10, 12]  # line numbers, as an editor shows them
    assert set(aside["source_file"]) == {EXPORT.name}
    assert cli.main(["validate", "--data", str(tmp_path)]) == 0


def test_the_same_export_twice_writes_nothing_the_second_time(tmp_path):
    import_files(tmp_path, "amazon-connect", [EXPORT], Settings())
    path = tmp_path / "interactions" / "amazon-connect" / "2026-10.parquet"
    before = os.stat(path).st_mtime_ns
    again = import_files(tmp_path, "amazon-connect", [EXPORT], Settings())
    assert (again.new, again.updated, again.unchanged, again.months_written) == (0, 0, 7, [])
    assert again.balanced and os.stat(path).st_mtime_ns == before


def test_a_later_export_adds_the_new_and_replaces_the_changed(tmp_path):
    import_files(tmp_path, "amazon-connect", [EXPORT], Settings())
    later = _lines(tmp_path / "later.jsonl", [
        # c2 called back: the same record, updated later with an agent
        _ctr("c2-abandon", "2026-10-05T17:00:20Z", "2026-10-05T17:09:00Z", Queue={
            "Name": "billing", "EnqueueTimestamp": "2026-10-05T17:00:20Z"}),
        _ctr("c11-new", "2026-10-21T16:00:00Z", "2026-10-21T16:05:00Z"),
        # an older delivery of c1 than the one stored: changes nothing
        _ctr("c1-voice", "2026-10-05T16:00:30Z", "2026-10-05T16:07:00Z"),
    ])
    summary = import_files(tmp_path, "amazon-connect", [later], Settings())
    assert (summary.new, summary.updated, summary.unchanged, summary.records_read) == (1, 1, 1, 3)
    frame = _month(tmp_path)
    assert len(frame) == 8
    assert not frame.loc["c2-abandon", "abandoned"] and frame.loc["c2-abandon", "agent_id"] == "li"
    assert frame.loc["c1-voice", "wrap_seconds"] == 70  # the stored, newer version stays
    assert cli.main(["validate", "--data", str(tmp_path)]) == 0


def test_a_json_array_and_a_pretty_printed_record_are_read_too(tmp_path):
    array = tmp_path / "records.json"
    array.write_text(json.dumps([_ctr("a1", "2026-10-01T16:00:00Z", "2026-10-01T16:05:00Z"),
                                 {"ContactId": "a2", "Channel": "VOICE"}]), encoding="utf-8")
    single = tmp_path / "one.json"
    single.write_text(json.dumps(_ctr("a3", "2026-10-02T16:00:00Z", "2026-10-02T16:05:00Z"), indent=2),
                      encoding="utf-8")
    summary = import_files(tmp_path, "amazon-connect", [array, single], Settings())
    assert (summary.records_read, summary.new, summary.set_aside) == (3, 2, 1)
    aside = summary.set_aside_rows
    assert aside[["source_file", "source_row", "reason"]].values.tolist() == [
        ["records.json", 2, "field InitiationTimestamp: missing"]]  # the array's second record


def test_a_preview_says_what_would_happen_and_writes_nothing(tmp_path):
    summary = import_files(tmp_path, "amazon-connect", [EXPORT], Settings(), preview=True)
    assert (summary.new, summary.set_aside, summary.months_written) == (7, 4, ["2026-10"])
    assert summary.preview and "would be written" in "\n".join(summary.lines())
    assert not (tmp_path / "interactions").exists() and not (tmp_path / "imports").exists()


def test_the_command_prints_the_summary(tmp_path, capsys):
    assert cli.main(["import", "amazon-connect", str(EXPORT), "--data", str(tmp_path), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert (printed["new"], printed["set_aside"], printed["balanced"]) == (7, 4, True)
    assert cli.main(["import", "amazon-connect", str(tmp_path / "missing.jsonl"), "--data",
                     str(tmp_path)]) == 2
    assert "not a file" in capsys.readouterr().err


# --- the shared checks and merge -------------------------------------------------------------------

def _parsed(rows: list[dict]) -> Parsed:
    frame = pd.DataFrame(rows)
    frame["source_file"], frame["source_row"] = "x.csv", range(2, 2 + len(frame))
    return Parsed("test-source", frame, records_read=len(frame))


def test_rows_that_validate_would_reject_are_set_aside_with_column_and_reason(tmp_path):
    base = {"channel": "phone", "arrived_at": pd.Timestamp("2026-10-01 10:00", tz=UTC)}
    parsed = _parsed([
        {**base, "interaction_id": "ok"},
        {**base, "interaction_id": "early", "answered_at": pd.Timestamp("2026-10-01 09:00", tz=UTC)},
        {**base, "interaction_id": "ended", "ended_at": pd.Timestamp("2026-10-01 09:59", tz=UTC)},
        {**base, "interaction_id": "both", "abandoned": True,
         "answered_at": pd.Timestamp("2026-10-01 10:01", tz=UTC)},
        {**base, "interaction_id": "score", "csat_score": 7},
        {**base, "interaction_id": "fax", "channel": "Fax"},
        {**base, "interaction_id": None},
    ])
    summary = store(tmp_path, parsed, Settings(), ["x.csv"])
    assert (summary.new, summary.set_aside, summary.records_read) == (1, 6, 7) and summary.balanced
    reasons = dict(zip(summary.set_aside_rows["source_row"], summary.set_aside_rows["reason"], strict=True))
    assert reasons == {3: "column answered_at: answered before arrived",
                       4: "column ended_at: ended before arrived",
                       5: "column abandoned: marked abandoned but answered",
                       6: "column csat_score: above 5",
                       7: "column channel: not one of phone, chat, email, social, sms, self_service",
                       8: "column interaction_id: missing"}
    assert cli.main(["validate", "--data", str(tmp_path)]) == 0


def test_a_record_whose_arrival_moves_to_another_month_moves_with_it(tmp_path):
    first = {"interaction_id": "m", "channel": "phone",
             "arrived_at": pd.Timestamp("2026-10-31 20:00", tz=UTC),
             "source_updated_at": pd.Timestamp("2026-11-01", tz=UTC)}
    store(tmp_path, _parsed([first, {**first, "interaction_id": "stays"}]), Settings(), ["x.csv"])
    moved = {**first, "arrived_at": pd.Timestamp("2026-11-02 20:00", tz=UTC),
             "source_updated_at": pd.Timestamp("2026-11-03", tz=UTC)}
    summary = store(tmp_path, _parsed([moved]), Settings(), ["x.csv"])
    assert (summary.updated, summary.months_written) == (1, ["2026-10", "2026-11"])
    october = pd.read_parquet(tmp_path / "interactions" / "test-source" / "2026-10.parquet")
    november = pd.read_parquet(tmp_path / "interactions" / "test-source" / "2026-11.parquet")
    assert october["interaction_id"].tolist() == ["stays"] and november["interaction_id"].tolist() == ["m"]
    assert cli.main(["validate", "--data", str(tmp_path)]) == 0


@pytest.mark.parametrize("timezone, month", [("UTC", "2026-11"), ("America/Los_Angeles", "2026-10")])
def test_month_files_follow_the_local_month(tmp_path, timezone, month):
    row = {"interaction_id": "x", "channel": "email", "arrived_at": pd.Timestamp("2026-11-01 03:00", tz=UTC)}
    summary = store(tmp_path, _parsed([row]), Settings(timezone=timezone), ["x.csv"])
    assert summary.months_written == [month]


def test_blank_lines_are_no_records_and_a_line_starting_with_blanks_is_one(tmp_path):
    export = tmp_path / "ctr.jsonl"
    first, second = (json.dumps(_ctr(name, "2026-10-05T16:00:00Z", "2026-10-05T16:10:00Z"))
                     for name in ("a", "b"))
    export.write_text(f"{first}\n   \n\t\n\n  {second}\n", encoding="utf-8")
    summary = import_files(tmp_path / "data", "amazon-connect", [export], Settings())
    assert (summary.records_read, summary.new, summary.set_aside) == (2, 2, 0) and summary.balanced
