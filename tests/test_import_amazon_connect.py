"""Amazon Connect contact trace records, and the shared merge: field by field, every record accounted
for, idempotent and incremental, and what validate then finds."""

from __future__ import annotations

import hashlib
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


def test_a_record_redelivered_in_two_files_of_one_name_counts_once_and_loses_nothing(tmp_path):
    # Firehose writes objects of the same name under different prefixes: the same line of two files of
    # one name holds two versions of one record; the newer is kept, and each file's other record too
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = _lines(tmp_path / "a" / "ctr.jsonl", [
        _ctr("r1", "2026-10-07T09:00:00Z", "2026-10-07T09:05:00Z"),
        _ctr("r2", "2026-10-07T10:00:00Z", "2026-10-07T10:05:00Z")])
    second = _lines(tmp_path / "b" / "ctr.jsonl", [
        _ctr("r1", "2026-10-07T09:00:00Z", "2026-10-07T09:06:00Z", Agent={
            "Username": "sam", "ConnectedToAgentTimestamp": "2026-10-07T09:00:00Z",
            "AgentInteractionDuration": 120, "CustomerHoldDuration": 0, "AfterContactWorkDuration": 30}),
        _ctr("r3", "2026-10-07T11:00:00Z", "2026-10-07T11:05:00Z")])
    folder = tmp_path / "data"
    summary = import_files(folder, "amazon-connect", [first, second], Settings())
    assert (summary.records_read, summary.new, summary.superseded, summary.set_aside) == (4, 3, 1, 0)
    assert summary.balanced
    frame = _month(folder)
    assert sorted(frame.index) == ["r1", "r2", "r3"]
    r1 = frame.loc["r1"]  # the newer version, from the second file
    assert (r1["agent_id"], r1["talk_seconds"], r1["wrap_seconds"]) == ("sam", 120, 30)


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


# --- self-service contained or a phone-menu drop (issue 16, finding 5) ----------------------------------

IVR = FIXTURES / "ctr-ivr-2026-11.jsonl"  # hand-written: contacts that never queued, and two answered calls
DROP_20 = ("left the phone menu within 20 s without reaching a queue or a self-service outcome "
           "(a phone-menu drop, not self-service)")
NO_END = ("no usable end time (DisconnectTimestamp missing or before the start), cannot tell self-service "
          "from a phone-menu drop")


def _attribute_drop(name: str) -> str:
    return (f"left the phone menu without reaching a queue, and its contact attribute {name} says not "
            "contained (a phone-menu drop, not self-service)")


def _customer(address: str) -> str:
    return "ac-" + hashlib.sha256(address.encode()).hexdigest()[:16]


def _ivr_call(contact_id: str, seconds: int, attributes: object, start: str = "2026-11-03T09:00:00Z") -> dict:
    """An inbound call that never queued and reached no agent: `seconds` in the contact flow."""
    began = pd.Timestamp(start)
    return {"ContactId": contact_id, "Channel": "VOICE", "InitiationMethod": "INBOUND",
            "InitiationTimestamp": start,
            "DisconnectTimestamp": (began + pd.Timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "LastUpdateTimestamp": (began + pd.Timedelta(seconds=seconds + 30)).strftime(
                "%Y-%m-%dT%H:%M:%SZ"),
            "Queue": None, "Agent": None, "Attributes": attributes}


def test_a_4_s_call_in_the_phone_menu_is_a_drop_and_a_95_s_one_self_service(tmp_path):
    export = _lines(tmp_path / "ivr.jsonl", [_ivr_call("drop", 4, {}),
                                             _ivr_call("served", 95, {}, "2026-11-03T10:00:00Z")])
    summary = import_files(tmp_path / "data", "amazon-connect", [export], Settings())
    frame = _month(tmp_path / "data", "2026-11")
    assert list(frame.index) == ["served"] and frame.loc["served", "channel"] == "self_service"
    assert (summary.records_read, summary.new, summary.set_aside) == (2, 1, 1) and summary.balanced
    assert summary.set_aside_rows[["source_file", "source_row", "reason"]].values.tolist() == [
        ["ivr.jsonl", 1, DROP_20]]
    assert json.loads(summary.set_aside_rows["record"].iloc[0])["ContactId"] == "drop"


def test_the_contact_attribute_decides_before_the_duration(tmp_path):
    export = _lines(tmp_path / "ivr.jsonl", [
        _ivr_call("long-but-not-contained", 95, {"contained": "false"}),
        _ivr_call("short-but-contained", 5, {"contained": "true"}, "2026-11-03T10:00:00Z"),
        # written by hand rather than by a flow: a JSON true, padded text, other attributes nested
        _ivr_call("json-true", 5, {"Contained": True, "profile": {"tier": "gold"}}, "2026-11-03T11:00:00Z"),
        _ivr_call("padded-no", 95, {"self_service": " No "}, "2026-11-03T12:00:00Z"),
        # attributes that are no map: no attribute, the duration decides
        _ivr_call("not-a-map", 5, ["contained"], "2026-11-03T13:00:00Z"),
    ])
    summary = import_files(tmp_path / "data", "amazon-connect", [export], Settings())
    frame = _month(tmp_path / "data", "2026-11")
    assert list(frame.index) == ["short-but-contained", "json-true"]
    assert (frame["channel"] == "self_service").all()
    assert summary.set_aside_rows[["source_row", "reason"]].values.tolist() == [
        [1, _attribute_drop("contained")], [4, _attribute_drop("self_service")], [5, DROP_20]]
    assert summary.balanced


def test_every_field_of_the_phone_menu_export(tmp_path):
    summary = import_files(tmp_path, "amazon-connect", [IVR], Settings())
    frame = _month(tmp_path, "2026-11")
    assert sorted(frame.index) == sorted([
        "m2-ivr-95s", "m4-attr-true-5s", "m6-no-end-contained", "m7-exact-20s", "m9-queued-3s",
        "m10-chat-bot", "m11-email-flow", "m12-unknown-value", "m14-answered", "m15-later"])
    served = ["m2-ivr-95s", "m4-attr-true-5s", "m6-no-end-contained", "m7-exact-20s", "m10-chat-bot",
              "m11-email-flow", "m12-unknown-value"]
    assert (frame.loc[served, "channel"] == "self_service").all()
    for column in ("queue", "answered_at", "talk_seconds", "hold_seconds", "wrap_seconds", "agent_id",
                   "team"):
        assert frame.loc[served, column].isna().all(), column
    assert not frame.loc[served, "abandoned"].any()
    assert frame.loc[served, "resolved_first_contact"].isna().all()  # no agent: no repeat rule
    ivr = frame.loc["m2-ivr-95s"]
    assert ivr["arrived_at"] == pd.Timestamp("2026-11-02 09:10:00", tz=UTC)
    assert ivr["ended_at"] == pd.Timestamp("2026-11-02 09:11:35", tz=UTC)
    assert ivr["source_updated_at"] == pd.Timestamp("2026-11-02 09:12:00", tz=UTC)
    assert ivr["customer_id"] == _customer("+15035550202")
    assert frame.loc["m4-attr-true-5s", "ended_at"] == pd.Timestamp("2026-11-02 09:30:05", tz=UTC)
    assert pd.isna(frame.loc["m6-no-end-contained", "ended_at"])  # contained by its attribute, no end time
    assert frame.loc["m7-exact-20s", "ended_at"] == pd.Timestamp("2026-11-02 10:00:20", tz=UTC)  # 20 s: kept
    assert pd.isna(frame.loc["m10-chat-bot", "customer_id"])
    queued = frame.loc["m9-queued-3s"]  # hung up 2 s after it queued: an abandon, whatever its length
    assert (queued["channel"], queued["queue"], queued["abandoned"]) == ("phone", "billing", True)
    assert queued["arrived_at"] == pd.Timestamp("2026-11-02 10:20:01", tz=UTC)
    answered = frame.loc["m14-answered"]
    assert (answered["channel"], answered["agent_id"], answered["talk_seconds"]) == ("phone", "li", 270)
    # the same customer's 4 s phone-menu drop an hour later is no contact: no repeat, resolved
    assert answered["customer_id"] == _customer("+15035550201") and answered["resolved_first_contact"]
    assert pd.isna(frame.loc["m15-later", "resolved_first_contact"])  # its seven days are not over

    # 17 records = 10 contacts + 1 older version + 1 chained leg + 5 set aside
    assert (summary.records_read, summary.new, summary.superseded, summary.merged, summary.set_aside) == \
        (17, 10, 1, 1, 5)
    assert summary.balanced
    aside = pd.read_parquet(tmp_path / summary.set_aside_file)
    assert aside[["source_file", "source_row", "reason"]].values.tolist() == [
        [IVR.name, 2, DROP_20],  # the newer of m1's two deliveries
        [IVR.name, 4, _attribute_drop("contained")],
        [IVR.name, 6, NO_END],
        [IVR.name, 9, DROP_20],  # 19 s
        [IVR.name, 14, DROP_20],  # two legs, 9 s from the first start to the last end: one drop
    ]
    records = [json.loads(text) for text in aside["record"]]
    assert records[0] == {"ContactId": "m1-drop-4s", "Channel": "VOICE",
                          "InitiationTimestamp": "2026-11-02T09:00:00Z",
                          "DisconnectTimestamp": "2026-11-02T09:00:04Z", "Attributes": None}
    assert records[1]["Attributes"] == {"contained": "false"}
    assert records[2]["DisconnectTimestamp"] is None
    assert records[4]["ContactId"] == ["m13-first-flow", "m13-second-flow"]
    assert records[4]["DisconnectTimestamp"] == "2026-11-02T11:00:09Z"
    assert summary.reasons == {DROP_20: 3, _attribute_drop("contained"): 1, NO_END: 1}
    assert cli.main(["validate", "--data", str(tmp_path)]) == 0


def test_the_summary_says_which_rule_decided_how_many(tmp_path):
    summary = import_files(tmp_path, "amazon-connect", [IVR], Settings())
    assert summary.notes == [
        "1 older version(s) of contact trace records replaced by newer ones (LastUpdateTimestamp)",
        "self-service (contacts that reached no queue and no agent): 3 contained by the contact attribute "
        "CONTAINED, self_service or SelfServiceContained, 3 by duration (at least 20 s from start to end), "
        "1 email answered by its flow; 4 phone-menu drops set aside (1 by the contact attribute contained, "
        "3 by duration: under 20 s); 1 set aside without a usable end time",
        "1 self-service attribute value was neither yes (true, yes, y, 1, contained, resolved) nor no "
        "(false, no, n, 0): decided as if there were none",
    ]
    assert any("3 contained by the contact attribute" in line for line in summary.lines())


def test_the_summary_says_when_no_attribute_was_found(tmp_path):
    export = _lines(tmp_path / "ivr.jsonl", [_ivr_call("drop", 4, {"language": "en"}),
                                             _ivr_call("served", 95, {}, "2026-11-03T10:00:00Z")])
    summary = import_files(tmp_path / "data", "amazon-connect", [export], Settings())
    assert summary.notes == [
        "self-service (contacts that reached no queue and no agent): 1 by duration (at least 20 s from start "
        "to end); 1 phone-menu drop set aside (1 by duration: under 20 s)",
        "no contact attribute said whether self-service was contained (looked for contained, "
        "selfServiceContained, self_service, selfService, ivr_contained; name yours with "
        "self_service_attribute in the mapping): the duration decided",
    ]


def test_an_export_without_drops_names_none(tmp_path):
    summary = import_files(tmp_path, "amazon-connect", [EXPORT], Settings())  # c5: 90 s, self-service
    assert not any("phone-menu" in note for note in summary.notes)
    assert any("1 by duration (at least 20 s" in note for note in summary.notes)


def test_the_mapping_names_the_attribute(tmp_path):
    export = _lines(tmp_path / "ivr.jsonl", [
        _ivr_call("x1", 95, {"contained": "false", "IVROutcome": "Contained"}),
        _ivr_call("x2", 95, {"ivrOutcome": "no"}, "2026-11-03T10:00:00Z"),
        _ivr_call("x3", 5, {"contained": "true"}, "2026-11-03T11:00:00Z"),
    ])
    mapping = {"self_service_attribute": "ivrOutcome"}
    summary = import_files(tmp_path / "data", "amazon-connect", [export], Settings(), mapping)
    frame = _month(tmp_path / "data", "2026-11")
    assert list(frame.index) == ["x1"] and frame.loc["x1", "channel"] == "self_service"
    assert summary.set_aside_rows[["source_row", "reason"]].values.tolist() == [
        [2, _attribute_drop("ivrOutcome")], [3, DROP_20]]  # contained is not the attribute named: 5 s
    assert summary.balanced
    assert "1 contained by the contact attribute IVROutcome" in summary.notes[0]
    # without the mapping the usual names count, and ivrOutcome is none of them
    default = import_files(tmp_path / "other", "amazon-connect", [export], Settings())
    assert _month(tmp_path / "other", "2026-11").index.tolist() == ["x2", "x3"]
    assert default.set_aside_rows["reason"].tolist() == [_attribute_drop("contained")]


@pytest.mark.parametrize("seconds, kept, dropped", [
    (3, ["m1-drop-4s", "m2-ivr-95s", "m7-exact-20s", "m8-19s", "m12-unknown-value", "m13-first-flow"], []),
    (100, [], ["m1-drop-4s", "m2-ivr-95s", "m7-exact-20s", "m8-19s", "m12-unknown-value", "m13-first-flow"]),
    (19.5, ["m2-ivr-95s", "m7-exact-20s", "m12-unknown-value"], ["m1-drop-4s", "m8-19s", "m13-first-flow"]),
])
def test_the_mapping_sets_the_threshold(tmp_path, seconds, kept, dropped):
    summary = import_files(tmp_path, "amazon-connect", [IVR], Settings(), {"menu_drop_seconds": seconds})
    frame = _month(tmp_path, "2026-11")
    by_duration = ["m1-drop-4s", "m2-ivr-95s", "m7-exact-20s", "m8-19s", "m12-unknown-value",
                   "m13-first-flow"]
    assert [name for name in by_duration if name in frame.index] == kept
    reason = (f"left the phone menu within {seconds:g} s without reaching a queue or a self-service outcome "
              "(a phone-menu drop, not self-service)")
    assert summary.reasons.get(reason, 0) == len(dropped)
    note = summary.notes[1]
    assert (f"by duration (at least {seconds:g} s from start to end)" in note) == bool(kept)
    assert (f"by duration: under {seconds:g} s" in note) == bool(dropped) and summary.balanced
    assert cli.main(["validate", "--data", str(tmp_path)]) == 0


def test_the_command_reads_the_mapping(tmp_path, capsys):
    mapping = tmp_path / "connect.toml"
    mapping.write_text('self_service_attribute = "ivrOutcome"\nmenu_drop_seconds = 3\n', encoding="utf-8")
    assert cli.main(["import", "amazon-connect", str(IVR), "--data", str(tmp_path / "data"), "--mapping",
                     str(mapping), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    # 3 s and an attribute no record has: the calls without an end time are set aside (m6's CONTAINED is
    # not the attribute named), every other one is self-service, m3 (its contained = false) too
    assert (printed["new"], printed["set_aside"], printed["balanced"]) == (13, 2, True)
    assert "no contact that reached no queue had the attribute ivrOutcome the mapping names: the duration " \
        "decided" in printed["notes"]


@pytest.mark.parametrize("mapping, message", [
    ({"menu_drop_seconds": "twenty"}, "menu_drop_seconds must be a number of seconds"),
    ({"menu_drop_seconds": -1}, "menu_drop_seconds must be a number of seconds"),
    ({"menu_drop_seconds": True}, "menu_drop_seconds must be a number of seconds"),
    ({"menu_drop_seconds": float("nan")}, "menu_drop_seconds must be a number of seconds"),
    ({"self_service_attribute": 3}, "self_service_attribute must be the name"),
    ({"self_service_attribute": " "}, "self_service_attribute must be the name"),
])
def test_a_mapping_value_that_cannot_be_used_is_named(tmp_path, mapping, message):
    with pytest.raises(ValueError, match=message):
        import_files(tmp_path, "amazon-connect", [IVR], Settings(), mapping)


def test_the_import_page_offers_the_mapping():
    from cxdash.importers import SOURCES

    mapping = SOURCES["amazon-connect"].mapping
    assert mapping is not None and not mapping.required
    assert "self_service_attribute" in mapping.example and "menu_drop_seconds" in mapping.example
    doc = SOURCES["amazon-connect"].doc
    assert "phone-menu drop" in doc and "menu_drop_seconds" in doc and "20 s" in doc


# --- the contracts of sql/import_amazon_connect_{chains,contacts,judged}.sql -----------------------------

def _queries(path: Path, **params) -> dict[str, pd.DataFrame]:
    """The chains (ctr_chains), the contacts and the judged chains of an export, as the importer reads
    them (name -> frame)."""
    from cxdash.db import connect, load_sql

    con = connect()
    try:
        con.execute("set preserve_insertion_order = true")
        names = params.pop("attribute_names", ["contained", "selfservicecontained", "self_service"])
        con.execute("create table ctr_legs as " + load_sql("import_amazon_connect_legs"),
                    {"path": str(path), "name": path.name, "separator": "\x1f", "limit": 20,
                     "parts": 1, "part": 0, "attribute_names": names})
        values = {"contained_values": ["true", "yes"], "dropped_values": ["false", "no"],
                  "menu_drop_seconds": 20.0, **params}
        con.execute("create table ctr_chains as " + load_sql("import_amazon_connect_chains"), values)
        return {"chains": con.execute("select * from ctr_chains").df(),
                "contacts": con.execute(load_sql("import_amazon_connect_contacts"), {"repeat_days": 7}).df(),
                "judged": con.execute(load_sql("import_amazon_connect_judged")).df()}
    finally:
        con.close()


def contract_chains(_) -> None:
    # in no particular order: in time order here
    frame = _queries(EXPORT)["chains"].sort_values(["arrived_at", "interaction_id"])
    frame = frame.set_index("interaction_id")
    assert frame.index.is_unique
    assert list(frame.index) == ["c1-voice", "c2-abandon", "c3-first-leg", "c4-chat", "c5-ivr-only",
                                 "c8-repeat", "c10-late"]
    assert frame[["channel", "arrived_at", "source_file", "source_row", "legs"]].notna().all().all()
    assert frame["legs"].to_dict() == {k: 1 for k in frame.index} | {"c3-first-leg": 2}
    c1 = frame.loc["c1-voice"]  # the newer of its two deliveries, with the after-contact work
    assert (c1["wrap_seconds"], c1["source_row"], c1["csat_score"]) == (70, 2, 4)
    assert c1["arrived_at"] == pd.Timestamp("2026-10-05 16:00:30", tz="UTC")  # entered the queue
    transfer = frame.loc["c3-first-leg"]  # two legs, one customer contact
    assert (transfer["talk_seconds"], transfer["hold_seconds"], transfer["wrap_seconds"]) == (730, 45, 110)
    assert (transfer["agent_id"], transfer["team"], transfer["tier"], transfer["queue"]) == \
        ("sam", "Team Evening", 2, "orders")
    assert transfer["ended_at"] == pd.Timestamp("2026-10-06 18:15:00", tz="UTC")
    assert transfer["source_updated_at"] == pd.Timestamp("2026-10-06 18:16:30", tz="UTC")
    # only the contact that never queued is judged: 90 s in the flow, no attribute
    judged = frame[["self_service", "decided_by"]].dropna(how="all")
    assert judged.to_dict("index") == {"c5-ivr-only": {"self_service": "contained", "decided_by": "duration"}}
    assert frame["record"].isna().all() and not frame["set_aside"].any()

    ivr = _queries(IVR)["chains"].set_index("interaction_id")
    assert ivr.index.is_unique and len(ivr) == 15  # 17 records: one older version, one chained leg
    judged = ivr[["self_service", "decided_by", "attribute_key"]].astype(object)
    assert judged.where(judged.notna(), None).to_dict("index") == IVR_JUDGED
    assert ivr["channel"].to_dict() == {name: "phone" if name in ("m9-queued-3s", "m14-answered", "m15-later")
                                        else "self_service" for name in ivr.index}
    # the set-aside chains (drop, unknown) carry a record of what decided; the rest none
    aside = ivr["self_service"].isin(["drop", "unknown"])
    assert ivr["set_aside"].eq(aside).all() and ivr["record"].notna().eq(aside).all()
    assert json.loads(ivr.loc["m13-first-flow", "record"])["ContactId"] == [
        "m13-first-flow", "m13-second-flow"]
    assert (ivr.loc["m13-first-flow", "legs"], ivr.loc["m13-first-flow", "source_row"]) == (2, 14)
    # a threshold of 4 s keeps the 4 s call
    assert _queries(IVR, menu_drop_seconds=4.0)["chains"].set_index("interaction_id").loc[
        "m1-drop-4s", "self_service"] == "contained"


# what the rules decide of each chain of the IVR export (self_service, decided_by, attribute_key)
IVR_JUDGED = {
    "m1-drop-4s": {"self_service": "drop", "decided_by": "duration", "attribute_key": None},
    "m2-ivr-95s": {"self_service": "contained", "decided_by": "duration", "attribute_key": None},
    "m3-attr-false-95s": {"self_service": "drop", "decided_by": "attribute", "attribute_key": "contained"},
    "m4-attr-true-5s": {"self_service": "contained", "decided_by": "attribute",
                        "attribute_key": "SelfServiceContained"},
    "m5-no-end": {"self_service": "unknown", "decided_by": "no end time", "attribute_key": None},
    "m6-no-end-contained": {"self_service": "contained", "decided_by": "attribute",
                            "attribute_key": "CONTAINED"},
    "m7-exact-20s": {"self_service": "contained", "decided_by": "duration", "attribute_key": None},
    "m8-19s": {"self_service": "drop", "decided_by": "duration", "attribute_key": None},
    "m9-queued-3s": {"self_service": None, "decided_by": None, "attribute_key": None},
    # "resolved" is none of the values given here: the duration decides, the attribute was seen
    "m10-chat-bot": {"self_service": "contained", "decided_by": "duration",
                     "attribute_key": "self_service"},
    "m11-email-flow": {"self_service": "contained", "decided_by": "email", "attribute_key": None},
    "m12-unknown-value": {"self_service": "contained", "decided_by": "duration",
                          "attribute_key": "contained"},
    "m13-first-flow": {"self_service": "drop", "decided_by": "duration", "attribute_key": None},
    "m14-answered": {"self_service": None, "decided_by": None, "attribute_key": None},
    "m15-later": {"self_service": None, "decided_by": None, "attribute_key": None},
}


def contract_contacts(_) -> None:
    frame = _queries(EXPORT)["contacts"].set_index("interaction_id")
    assert frame.index.is_unique
    assert sorted(frame.index) == sorted(["c1-voice", "c2-abandon", "c3-first-leg", "c4-chat", "c5-ivr-only",
                                          "c8-repeat", "c10-late"])
    assert "legs" not in frame and "self_service" not in frame  # the contract's columns only
    assert frame[["channel", "arrived_at", "source_file", "source_row",
                  "source_updated_at"]].notna().all().all()
    assert frame.loc["c3-first-leg", "talk_seconds"] == 730

    ivr = _queries(IVR)["contacts"].set_index("interaction_id")
    # the drops and the unknown are left out: no contacts
    kept = {name for name, fate in IVR_JUDGED.items() if fate["self_service"] not in ("drop", "unknown")}
    assert ivr.index.is_unique and set(ivr.index) == kept
    # a drop is no contact: the answered call's customer did not call again (the drop is no repeat)
    assert ivr.loc["m14-answered", "resolved_first_contact"]


def contract_judged(_) -> None:
    assert _queries(EXPORT)["judged"][["self_service", "decided_by", "channel_type", "source_row"]].to_dict(
        "records") == [{"self_service": "contained", "decided_by": "duration", "channel_type": "VOICE",
                        "source_row": 7}]  # c5-ivr-only, line 7 of the export
    ivr = _queries(IVR)
    judged, frame = ivr["judged"], ivr["chains"].set_index("source_row")
    # one row per chain that reached no queue and no agent, what the chain says of it
    expected = {name for name, fate in IVR_JUDGED.items() if fate["self_service"] is not None}
    assert len(judged) == len(expected) and judged["source_row"].is_unique
    assert set(frame.loc[judged["source_row"], "interaction_id"]) == expected
    for row in judged.itertuples():
        chain = frame.loc[row.source_row]
        assert (row.self_service, row.decided_by, row.channel_type) == \
            (chain["self_service"], chain["decided_by"], chain["judged_channel"])
        assert (row.record if isinstance(row.record, str) else None) == \
            (chain["record"] if isinstance(chain["record"], str) else None)


SQL_CONTRACTS = {"import_amazon_connect_chains": contract_chains,
                 "import_amazon_connect_contacts": contract_contacts,
                 "import_amazon_connect_judged": contract_judged}
