"""The Zendesk importer: tickets, ticket metrics and satisfaction ratings joined into contract rows;
every record accounted for; idempotent and incremental through core.store."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from cxdash import cli
from cxdash.calendar import SKIPPED_REASON
from cxdash.db import load_sql
from cxdash.importers import import_files, zendesk
from cxdash.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures" / "imports" / "zendesk"
# tickets (API incremental export), metrics (JSON lines), ratings (CSV)
FIRST = [FIXTURES / "tickets.json", FIXTURES / "ticket_metrics.jsonl", FIXTURES / "satisfaction_ratings.csv"]
# a later export: ticket 102 changed, ticket 107 new, the rest as before
LATER = [FIXTURES / "tickets_later.jsonl", FIXTURES / "ticket_metrics.jsonl",
         FIXTURES / "satisfaction_ratings.csv"]


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def stored(folder: Path) -> pd.DataFrame:
    """Every row of the Zendesk month files, by interaction_id, with the month file it is in."""
    frames = [pd.read_parquet(path).assign(month=path.stem)
              for path in sorted((folder / "interactions" / "zendesk").glob("*.parquet"))]
    return pd.concat(frames).set_index("interaction_id")


def month_mtimes(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in (folder / "interactions" / "zendesk").glob("*.parquet")}


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_each_ticket_is_imported_field_by_field(tmp_path):
    import_files(tmp_path, "zendesk", FIRST, Settings())
    rows = stored(tmp_path)
    assert sorted(rows.index) == ["zd-101", "zd-102", "zd-103", "zd-104", "zd-105"]

    # solved web ticket: first reply after 30 min, solved (metric solved_at) the next day; one reply,
    # no reopen: one-touch resolution; rated good. The newer of its two copies (and of its two metric
    # records: replies 1, not 0) wins.
    t = rows.loc["zd-101"]
    assert t["channel"] == "email"
    assert t["arrived_at"] == utc("2024-03-01 09:00")
    assert t["answered_at"] == utc("2024-03-01 09:30")
    assert t["ended_at"] == utc("2024-03-02 10:00")
    assert not t["abandoned"]
    assert t["agent_id"] == "zd-agent-501" and t["team"] == "zd-group-77"
    assert t["customer_id"] == "zd-user-9001"
    assert t["resolved_first_contact"] == True  # noqa: E712 (a numpy bool)
    assert t["csat_score"] == 5
    assert t["source_updated_at"] == utc("2024-03-02 10:00")
    assert pd.isna(t["queue"]) and pd.isna(t["talk_seconds"]) and pd.isna(t["tier"])

    # closed messaging ticket: solved time from created_at + full_resolution_time (no solved_at);
    # reopened once: not one-touch; rated bad -> 1
    t = rows.loc["zd-102"]
    assert t["channel"] == "chat"
    assert t["answered_at"] == utc("2024-03-01 10:02")
    assert t["ended_at"] == utc("2024-03-03 08:00")
    assert t["resolved_first_contact"] == False  # noqa: E712
    assert t["csat_score"] == 1

    # open voice ticket: no reply yet, not ended, resolution unknown; survey offered, never answered
    t = rows.loc["zd-103"]
    assert t["channel"] == "phone"
    assert pd.isna(t["answered_at"]) and pd.isna(t["ended_at"])
    assert pd.isna(t["resolved_first_contact"]) and pd.isna(t["csat_score"])
    assert not t["abandoned"]
    assert t["team"] == "zd-group-78"

    # new twitter ticket, no metrics, no assignee or group: created 23:30 UTC on 31 March is
    # 16:30 on 31 March in Los Angeles, so it is in the March file
    t = rows.loc["zd-104"]
    assert t["channel"] == "social" and t["month"] == "2024-03"
    assert pd.isna(t["agent_id"]) and pd.isna(t["team"]) and pd.isna(t["answered_at"])
    assert pd.isna(t["resolved_first_contact"]) and pd.isna(t["csat_score"])

    # via any_channel: no name for it, counted as email; rated good on the ticket itself (no rating
    # record); pending, so not ended
    t = rows.loc["zd-105"]
    assert t["channel"] == "email" and t["month"] == "2024-04"
    assert t["csat_score"] == 5 and pd.isna(t["ended_at"])
    assert t["agent_id"] == "zd-agent-503"


def test_summary_counts_every_record(tmp_path):
    s = import_files(tmp_path, "zendesk", FIRST, Settings(), preview=True)
    assert not (tmp_path / "interactions").exists()  # a preview writes nothing
    # 8 ticket records + 6 metric lines + 5 rating rows
    assert s.records_read == 19
    assert s.new == 5 and s.updated == 0 and s.unchanged == 0
    assert s.superseded == 2  # the older copy of ticket 101 and of its metric record
    assert s.merged == 6  # metrics of 101, 102, 103 and ratings of 101, 102, 103 (offered)
    assert s.set_aside == 6
    assert s.reasons == {  # categories: the ids are in the set-aside records
        "ticket without created_at": 1,
        "ticket without an id": 1,
        "not valid JSON": 1,
        "ticket metric for a ticket not in this export": 1,
        "satisfaction rating for a ticket not in this export": 1,
        "expected 8 fields, found 7": 1,
    }
    assert s.balanced
    assert s.notes == ["1 ticket(s) came in through channels cxdash has no name for, counted as email: "
                       "any_channel (1)",
                       "via: any_channel 1 (email), native_messaging 1 (chat), twitter 1 (social), voice 1 "
                       "(phone), web 1 (email)"]
    assert s.months_written == ["2024-03", "2024-04"]


def test_set_aside_records_name_file_line_and_reason(tmp_path):
    summary = import_files(tmp_path, "zendesk", FIRST, Settings())
    aside = summary.set_aside_rows
    assert sorted(zip(aside["source_file"], aside["source_row"], aside["reason"], strict=True)) == [
        ("satisfaction_ratings.csv", 5, "satisfaction rating for a ticket not in this export"),
        ("satisfaction_ratings.csv", 6, "expected 8 fields, found 7"),
        ("ticket_metrics.jsonl", 6, "not valid JSON"),
        ("ticket_metrics.jsonl", 7, "ticket metric for a ticket not in this export"),
        ("tickets.json", 7, "ticket without created_at"),
        ("tickets.json", 8, "ticket without an id"),
    ]
    kept = pd.read_parquet(tmp_path / summary.set_aside_file)
    assert len(kept) == 6
    assert json.loads(kept.loc[kept["source_row"] == 8, "record"].iloc[0])["subject"] == "No id"


def test_importing_the_same_export_twice_writes_nothing(tmp_path):
    import_files(tmp_path, "zendesk", FIRST, Settings())
    before = month_mtimes(tmp_path)
    again = import_files(tmp_path, "zendesk", FIRST, Settings())
    assert (again.new, again.updated, again.unchanged) == (0, 0, 5)
    assert again.months_written == []
    assert again.balanced
    assert month_mtimes(tmp_path) == before


def test_a_later_export_adds_the_new_ticket_and_replaces_the_changed_one(tmp_path):
    import_files(tmp_path, "zendesk", FIRST, Settings())
    later = import_files(tmp_path, "zendesk", LATER, Settings())
    assert (later.new, later.updated, later.unchanged) == (1, 1, 4)
    assert later.records_read == 6 + 6 + 5
    assert (later.superseded, later.merged, later.set_aside) == (1, 6, 4)
    assert later.balanced
    assert later.months_written == ["2024-03"]
    rows = stored(tmp_path)
    assert len(rows) == 6
    assert rows.loc["zd-102", "agent_id"] == "zd-agent-504"  # reassigned in the later export
    assert rows.loc["zd-102", "team"] == "zd-group-79"
    assert rows.loc["zd-102", "source_updated_at"] == utc("2024-03-06 09:00")
    assert rows.loc["zd-102", "csat_score"] == 1  # its rating, from the ratings file, again
    assert rows.loc["zd-107", "channel"] == "sms"
    assert pd.isna(rows.loc["zd-107", "answered_at"])  # no metric record for it


def test_tickets_imported_alone_later_keep_their_stored_metrics_and_ratings(tmp_path):
    import_files(tmp_path, "zendesk", FIRST, Settings())
    before, mtimes = stored(tmp_path), month_mtimes(tmp_path)
    alone = import_files(tmp_path, "zendesk", [FIXTURES / "tickets.json"], Settings())
    assert (alone.new, alone.updated, alone.unchanged, alone.months_written) == (0, 0, 5, [])
    assert month_mtimes(tmp_path) == mtimes
    after = stored(tmp_path)
    pd.testing.assert_frame_equal(after, before)
    assert after.loc["zd-102", "csat_score"] == 1 and after["answered_at"].notna().any()


def test_the_import_passes_validate(tmp_path):
    import_files(tmp_path, "zendesk", FIRST, Settings())
    assert cli.main(["validate", "--data", str(tmp_path)]) == 0


def test_the_cli_imports_and_prints_json(tmp_path, capsys):
    code = cli.main(["import", "zendesk", *map(str, FIRST), "--data", str(tmp_path), "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["source"] == "zendesk"
    assert (summary["records_read"], summary["new"], summary["set_aside"]) == (19, 5, 6)
    assert summary["balanced"] is True
    assert summary["months_written"] == ["2024-03", "2024-04"]


def test_kinds_come_from_content_csv_and_json_documents_with_local_times(tmp_path):
    """A CSV of tickets with flattened, capitalised headers and times without an offset (read in the
    mapping's timezone), metrics as {"ticket_metrics": [...]}, ratings as {"satisfaction_ratings": [...]},
    all under names that say nothing."""
    tickets = write(tmp_path / "export-1.txt",
                    "Id,Created at,Updated at,Status,Via.Channel,Assignee id,Group id,Requester id\n"
                    "201,2024-03-01 10:00:00,2024-03-01 12:00:00,solved,email,501,77,9100\n"
                    "202,2024-03-01 11:00:00,2024-03-01 11:00:00,new,chat,,,9101\n")
    metrics = write(tmp_path / "export-2.txt", json.dumps({"ticket_metrics": [
        {"ticket_id": 201, "updated_at": "2024-03-01T11:00:00Z", "reply_time_in_minutes": {"calendar": 15},
         "full_resolution_time_in_minutes": {"calendar": 120}, "reopens": 0, "replies": 2}]}))
    ratings = write(tmp_path / "export-3.txt", json.dumps({"satisfaction_ratings": [
        {"id": 1, "ticket_id": 201, "score": "good", "assignee_id": 501,
         "created_at": "2024-03-01T12:00:00Z", "updated_at": "2024-03-01T12:00:00Z"},
        {"id": 2, "ticket_id": 202, "score": "unoffered", "created_at": "2024-03-01T12:00:00Z"}]}))
    parsed = zendesk.parse([ratings, metrics, tickets], Settings(), {"timezone": "Europe/Berlin"})
    rows = parsed.rows.set_index("interaction_id")
    assert rows.loc["zd-201", "arrived_at"] == utc("2024-03-01 09:00")  # 10:00 in Berlin
    assert rows.loc["zd-201", "answered_at"] == utc("2024-03-01 09:15")
    assert rows.loc["zd-201", "ended_at"] == utc("2024-03-01 11:00")
    assert rows.loc["zd-201", "resolved_first_contact"] == False  # noqa: E712 (two replies)
    assert rows.loc["zd-201", "csat_score"] == 5
    assert rows.loc["zd-201", "source_file"] == "export-1.txt"
    assert rows.loc["zd-201", "source_row"] == 2
    assert rows.loc["zd-202", "channel"] == "chat" and pd.isna(rows.loc["zd-202", "csat_score"])
    assert (parsed.records_read, parsed.merged, parsed.superseded, len(parsed.set_aside)) == (5, 3, 0, 0)


def test_a_flat_csv_of_metrics_and_one_json_object_per_file(tmp_path):
    ticket = write(tmp_path / "t.json", json.dumps({"ticket": {
        "id": 301, "created_at": "2024-03-01T09:00:00Z", "status": "solved", "via": {"channel": "api"}}}))
    metrics = write(tmp_path / "m.csv", "ticket_id,reply_time_in_minutes,full_resolution_time_in_minutes,"
                                        "reopens,replies\n301,45,60,0,1\n")
    parsed = zendesk.parse([ticket, metrics], Settings())
    row = parsed.rows.iloc[0]
    assert row["interaction_id"] == "zd-301" and row["channel"] == "email"
    assert row["answered_at"] == utc("2024-03-01 09:45")
    assert row["ended_at"] == utc("2024-03-01 10:00")
    assert row["resolved_first_contact"] == True  # noqa: E712
    assert pd.isna(row["source_updated_at"])  # no updated_at in the export
    assert (parsed.records_read, parsed.merged) == (2, 1)


@pytest.mark.parametrize(("via", "channel"), [
    ("email", "email"), ("web", "email"), ("api", "email"), ("mobile", "email"), ("mobile_sdk", "email"),
    ("chat", "chat"), ("native_messaging", "chat"), ("voice", "phone"), ("twitter", "social"),
    ("twitter_dm", "social"), ("facebook_post", "social"), ("instagram_dm", "social"),
    ("whatsapp", "social"), ("sms", "sms"), ("Voice", "phone"), ("any_channel", None), (None, None)])
def test_channel_from_via(via, channel):
    assert zendesk.channel_of(via) == channel


@pytest.mark.parametrize("method", ["top2box", "good_bad", "mean"])
def test_good_is_5_and_bad_is_1_under_every_csat_method(method):
    parsed = zendesk.parse(FIRST, Settings(csat_method=method))
    scores = parsed.rows.drop_duplicates("interaction_id").set_index("interaction_id")["csat_score"]
    assert scores["zd-101"] == 5 and scores["zd-102"] == 1 and pd.isna(scores["zd-103"])
    mean_note = any("csat_method 'mean'" in note for note in parsed.notes)
    assert mean_note == (method == "mean")


def test_bad_values_are_set_aside_with_line_and_reason(tmp_path):
    lines = write(tmp_path / "tickets.jsonl", "\n".join([
        json.dumps({"id": 401, "created_at": "2024-03-01T09:00:00Z", "status": "new",
                    "via": {"channel": "web"}}),
        json.dumps({"id": 402, "created_at": "first of March", "status": "new", "via": {"channel": "web"}}),
        json.dumps({"id": 403, "created_at": "2024-03-01T09:00:00Z", "status": "deleted",
                    "via": {"channel": "web"}}),
        json.dumps({"name": "a user, not a ticket"}),
        json.dumps({"ticket_id": 401, "reply_time_in_minutes": {"calendar": "soon"}, "replies": 1}),
        json.dumps({"ticket_id": 403, "reply_time_in_minutes": {"calendar": 5}, "replies": 1}),
        json.dumps({"ticket_id": 401, "score": "great", "updated_at": "2024-03-02T09:00:00Z"}),
        json.dumps({"id": 404, "created_at": "2024-03-01T09:00:00Z", "status": "solved",
                    "via": {"channel": "web"}}),
        json.dumps({"ticket_id": 404, "solved_at": "2024-02-01T09:00:00Z", "replies": 1, "reopens": 0}),
    ]) + "\n")
    parsed = zendesk.parse([lines], Settings())
    assert list(parsed.rows["interaction_id"]) == ["zd-401"]
    assert sorted(zip(parsed.set_aside["source_row"], parsed.set_aside["reason"], strict=True)) == [
        (2, "created_at: not a timestamp"),
        (4, "not a Zendesk ticket, ticket metric or satisfaction rating"),
        (5, "reply_time_in_minutes.calendar: not a number"),
        (7, "rating score not one of good, bad, offered, unoffered"),
        (8, "ticket solved before it was created"),  # its metric (line 9) says so: merged into it
    ]
    # line 3 is a deletion (not a contact, not set aside); its metric (line 6) is folded into it
    assert parsed.deletions["interaction_id"].tolist() == ["zd-403"]
    assert parsed.records_read == 9 and parsed.merged == 2


def test_a_broken_json_document_is_one_record_set_aside(tmp_path):
    broken = write(tmp_path / "tickets.json", '{\n  "tickets": [\n    {"id": 1,\n     "created_at": \n')
    parsed = zendesk.parse([broken], Settings())
    assert parsed.records_read == 1 and parsed.rows.empty
    assert parsed.set_aside["reason"].iloc[0].startswith("not valid JSON")
    assert parsed.set_aside["source_row"].iloc[0] == 5


def test_an_empty_incremental_export_reads_nothing(tmp_path):
    empty = write(tmp_path / "tickets.json",
                  json.dumps({"tickets": [], "end_of_stream": True, "end_time": 1712134800}))
    summary = import_files(tmp_path, "zendesk", [empty], Settings())
    assert (summary.records_read, summary.new, summary.months_written) == (0, 0, [])
    assert summary.balanced


def test_a_file_that_is_not_a_zendesk_export_is_refused(tmp_path):
    talkdesk = Path(__file__).parent / "fixtures" / "imports" / "talkdesk" / "calls.csv"
    with pytest.raises(ValueError, match="calls.csv: not a Zendesk export"):
        zendesk.parse([FIXTURES / "tickets.json", talkdesk], Settings())
    users = write(tmp_path / "users.json", json.dumps({"users": [{"id": 1, "name": "Ann"}], "count": 1}))
    with pytest.raises(ValueError, match="users.json: not a Zendesk export"):
        zendesk.parse([users], Settings())
    with pytest.raises(ValueError, match="timezone"):
        zendesk.parse(FIRST, Settings(), {"timezone": "Mars/Olympus"})


def test_local_times_follow_the_one_daylight_saving_rule(tmp_path):
    """Times without an offset, in Europe/Dublin (cxdash.calendar's rule): 2021-03-28 01:30 does not
    exist (the clocks jump from 01:00 GMT to 02:00 IST), so the ticket is set aside with the calendar's
    reason; 2021-10-31 01:30 happens twice (IST, then GMT) and is read as the first, 00:30 UTC."""
    tickets = write(tmp_path / "tickets.csv",
                    "Id,Created at,Updated at,Status,Via.Channel\n"
                    "401,2021-03-28 01:30:00,2021-03-28 03:00:00,solved,email\n"
                    "402,2021-10-31 01:30:00,2021-10-31 03:00:00,solved,email\n"
                    "403,2021-03-28 03:00:00,2021-03-28 01:45:00,solved,email\n")
    parsed = zendesk.parse([tickets], Settings(), {"timezone": "Europe/Dublin"})
    assert parsed.rows["interaction_id"].tolist() == ["zd-402"]
    assert parsed.rows["arrived_at"].tolist() == [utc("2021-10-31 00:30")]  # the first 01:30: IST
    assert parsed.rows["source_updated_at"].tolist() == [utc("2021-10-31 03:00")]  # GMT by then
    assert sorted(zip(parsed.set_aside["source_row"], parsed.set_aside["reason"], strict=True)) == [
        (2, f"created_at: {SKIPPED_REASON}"),
        (4, f"updated_at: {SKIPPED_REASON}")]  # a skipped version time is no better
    assert parsed.records_read == 3


# --- issue 16: what real exports hold ---------------------------------------------------------------

REAL = Path(__file__).parent / "fixtures" / "zendesk"  # real API responses (README.md there says whose)


def jsonl(path: Path, records: list) -> Path:
    return write(path, "".join(json.dumps(record) + "\n" for record in records))


def incremental(tmp_path: Path) -> Path:
    """An incremental export after FIRST: 102 deleted on 7 March (stored: updated 3 March), 103 deleted
    on 1 March (before its stored version of 2 March), 108 never stored, 109 created and deleted within
    the export, 110 new."""
    return jsonl(tmp_path / "incremental.jsonl", [
        {"id": 102, "created_at": "2024-03-01T10:00:00Z", "updated_at": "2024-03-07T10:00:00Z",
         "status": "deleted", "via": {"channel": "native_messaging"}, "requester_id": 9002},
        {"id": 103, "updated_at": "2024-03-01T12:00:00Z", "status": "deleted"},
        {"id": 108, "updated_at": "2024-03-07T11:00:00Z", "status": "deleted"},
        {"id": 109, "created_at": "2024-03-08T09:00:00Z", "updated_at": "2024-03-08T09:00:00Z",
         "status": "new", "via": {"channel": "email"}, "requester_id": 9009},
        {"id": 109, "created_at": "2024-03-08T09:00:00Z", "updated_at": "2024-03-08T10:00:00Z",
         "status": "deleted", "via": {"channel": "email"}, "requester_id": 9009},
        {"id": 110, "created_at": "2024-03-08T11:00:00Z", "updated_at": "2024-03-08T11:00:00Z",
         "status": "open", "via": {"channel": "web"}, "requester_id": 9010}])


def test_a_ticket_deleted_later_is_removed_and_the_summary_counts_the_deletions(tmp_path):
    data = tmp_path / "data"
    import_files(data, "zendesk", FIRST, Settings())
    summary = import_files(data, "zendesk", [incremental(tmp_path)], Settings())
    # 6 records = 1 new (110) + 1 older version (109 open, then deleted) + 4 deletions
    assert (summary.records_read, summary.new, summary.updated, summary.superseded, summary.deleted,
            summary.set_aside) == (6, 1, 0, 1, 4, 0)
    assert summary.balanced
    assert summary.removed == 1  # 102; 103's deletion is older than its stored version
    assert "  deleted at the source: 1 stored contact(s) were removed" in summary.lines()
    assert summary.lines()[0].endswith(" + 0 set aside + 4 deletions")
    rows = stored(data)
    assert sorted(rows.index) == ["zd-101", "zd-103", "zd-104", "zd-105", "zd-110"]
    assert rows.loc["zd-103", "source_updated_at"] == utc("2024-03-02 12:00")  # untouched
    assert (rows.loc["zd-110", "channel"], rows.loc["zd-110", "customer_id"]) == ("email", "zd-user-9010")
    assert cli.main(["validate", "--data", str(data)]) == 0


def test_a_deleted_ticket_is_a_deletion_dated_by_its_updated_at_not_a_contact_nor_set_aside(tmp_path):
    parsed = zendesk.parse([incremental(tmp_path)], Settings())
    assert parsed.deletions.to_dict("list") == {
        "interaction_id": ["zd-102", "zd-103", "zd-108", "zd-109"],
        "source_updated_at": [utc("2024-03-07 10:00"), utc("2024-03-01 12:00"), utc("2024-03-07 11:00"),
                              utc("2024-03-08 10:00")],
        "source_file": ["incremental.jsonl"] * 4,
        "source_row": [1, 2, 3, 5]}
    # the open copy of 109 is a row (core.store drops it: its deletion is newer); 110 is new
    assert sorted(parsed.rows["interaction_id"]) == ["zd-109", "zd-110"]
    assert parsed.set_aside.empty and parsed.records_read == 6
    # a deletion needs an id, and a readable updated_at when it has one (none: when is unknown)
    odd = zendesk.parse([jsonl(tmp_path / "odd.jsonl", [
        {"status": "deleted", "updated_at": "2024-03-07T10:00:00Z"},
        {"id": 111, "status": "Deleted", "updated_at": "last week"},
        {"id": 112, "status": "deleted"}])], Settings())
    assert sorted(zip(odd.set_aside["source_row"], odd.set_aside["reason"], strict=True)) == [
        (1, "ticket without an id"), (2, "updated_at: not a timestamp")]
    assert odd.deletions["interaction_id"].tolist() == ["zd-112"]
    assert pd.isna(odd.deletions["source_updated_at"].iloc[0])
    assert (odd.records_read, len(odd.rows)) == (3, 0)


def via_tickets(tmp_path: Path) -> Path:
    """Tickets through api (3 tickets, 203 twice), web (2), voice, any_channel and twitter_dm."""
    vias = {201: "api", 202: "api", 203: "api", 204: "web", 205: "web", 206: "voice", 207: "any_channel",
            208: "twitter_dm"}
    records = [{"id": ident, "created_at": "2024-03-01T09:00:00Z", "updated_at": "2024-03-01T09:00:00Z",
                "status": "open", "via": {"channel": via}} for ident, via in vias.items()]
    records.append({**records[2], "updated_at": "2024-03-01T10:00:00Z"})
    return jsonl(tmp_path / "tickets.jsonl", records)


API_HINT = ('api read as email: set [via] api = "phone" (or "chat") in the mapping if these tickets are '
            "calls or chats an integration logged")


def test_the_channel_of_each_via_value_is_a_mapping_setting_and_the_summary_notes_the_mix(tmp_path):
    tickets = via_tickets(tmp_path)
    default = zendesk.parse([tickets], Settings())
    channels = dict(zip(default.rows["interaction_id"], default.rows["channel"], strict=False))
    assert channels == {"zd-201": "email", "zd-202": "email", "zd-203": "email", "zd-204": "email",
                        "zd-205": "email", "zd-206": "phone", "zd-207": "email", "zd-208": "social"}
    assert default.notes == [
        "1 ticket(s) came in through channels cxdash has no name for, counted as email: any_channel (1)",
        "via: api 3 (email), web 2 (email), any_channel 1 (email), twitter_dm 1 (social), voice 1 (phone); "
        + API_HINT]

    mapping = {"via": {"API": "Phone", "any_channel": "chat", "web": "self_service"}}
    summary = import_files(tmp_path / "data", "zendesk", [tickets], Settings(), mapping)
    rows = stored(tmp_path / "data")
    assert rows["channel"].to_dict() == {
        "zd-201": "phone", "zd-202": "phone", "zd-203": "phone", "zd-204": "self_service",
        "zd-205": "self_service", "zd-206": "phone", "zd-207": "chat", "zd-208": "social"}
    assert summary.notes == ["via: api 3 (phone), web 2 (self_service), any_channel 1 (chat), twitter_dm 1 "
                             "(social), voice 1 (phone)"]
    assert summary.balanced and summary.superseded == 1


@pytest.mark.parametrize(("via", "message"), [
    ({"api": "voice"}, "mapping: [via] api = 'voice' is not a channel: one of phone, chat, email, social, "
                       "sms, self_service"),
    ({"api": 3}, "mapping: [via] api = 3 is not a channel"),
    ("phone", "mapping: [via] must be a table"),
])
def test_a_via_mapping_that_names_no_channel_is_refused_naming_the_entry(via, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        zendesk.parse(FIRST, Settings(), {"via": via})


def test_the_mapping_files_example_is_read_as_it_says():
    mapping = zendesk.SOURCE.mapping
    assert not mapping.required and "[via]" in mapping.example and "via.channel" in mapping.purpose
    parsed = zendesk.parse(FIRST, Settings(), tomllib.loads(mapping.example))
    assert parsed.rows.set_index("interaction_id").loc["zd-105", "channel"] == "chat"  # any_channel = "chat"


def test_reasons_are_categories_and_the_ids_are_in_the_set_aside_records(tmp_path):
    tickets = jsonl(tmp_path / "tickets.jsonl", [
        {"id": 301, "created_at": "2024-03-01T09:00:00Z", "status": "open", "via": {"channel": "web"}},
        {"id": 302, "created_at": "not a date", "status": "open"},
        {"id": 303, "created_at": "yesterday", "status": "open"},
        {"id": 304, "status": "open"},
        {"id": 305, "status": "new"}])
    metrics = jsonl(tmp_path / "metrics.jsonl", [
        {"ticket_id": ticket, "replies": 1, "reopens": 0} for ticket in (301, 302, 303, 901, 902, 903)])
    ratings = write(tmp_path / "ratings.csv", "ticket_id,score\n301,good\n302,bad\n904,good\n905,offered\n")
    summary = import_files(tmp_path / "data", "zendesk", [tickets, metrics, ratings], Settings())
    assert summary.reasons == {
        "created_at: not a timestamp": 2, "ticket without created_at": 2,
        "ticket metric for a ticket set aside": 2, "ticket metric for a ticket not in this export": 3,
        "satisfaction rating for a ticket set aside": 1,
        "satisfaction rating for a ticket not in this export": 2}
    assert summary.balanced and summary.new == 1 and summary.merged == 2
    assert not any(re.search(r"\d{3}", reason) for reason in summary.reasons)  # no id in a reason
    aside = summary.set_aside_rows
    missing = aside[aside["reason"].str.endswith("not in this export")]
    # the ids are in the records, the lines in source_row
    assert sorted((file, row, json.loads(record)["ticket_id"]) for file, row, record in
                  zip(missing["source_file"], missing["source_row"], missing["record"], strict=True)) == [
        ("metrics.jsonl", 4, "901"), ("metrics.jsonl", 5, "902"), ("metrics.jsonl", 6, "903"),
        ("ratings.csv", 4, "904"), ("ratings.csv", 5, "905")]
    bad = aside[aside["reason"] == "created_at: not a timestamp"]
    assert [json.loads(record)["created_at"] for record in bad["record"]] == ["not a date", "yesterday"]


def test_the_real_2015_tickets_and_ratings_files(tmp_path):
    """Zendesk's own API responses (tests/fixtures/zendesk/README.md): 100 tickets, 99 created via api,
    with an inline satisfaction_rating of unoffered; 65 ratings of tickets the tickets file does not hold."""
    files = [REAL / "zrb_tickets_list_2015.json", REAL / "zrb_satisfaction_ratings_list_2015.json"]
    summary = import_files(tmp_path, "zendesk", files, Settings())
    # read 165 = 100 new + 65 set aside
    assert (summary.records_read, summary.new, summary.superseded, summary.merged, summary.set_aside,
            summary.deleted) == (165, 100, 0, 0, 65, 0)
    assert summary.balanced
    assert summary.reasons == {"satisfaction rating for a ticket not in this export": 65}
    assert summary.notes == ["via: api 99 (email), web 1 (email); " + API_HINT]
    first_rating = summary.set_aside_rows.iloc[0]
    assert (first_rating["source_file"], first_rating["source_row"]) == (files[1].name, 1)
    assert json.loads(first_rating["record"])["ticket_id"] == "35"
    rows = stored(tmp_path)
    assert len(rows) == 100 and set(rows["channel"]) == {"email"}
    first = rows.loc["zd-1"]  # the sample ticket: pending, through the web form, assigned
    assert first["arrived_at"] == utc("2012-09-06 20:15:09")
    assert first["source_updated_at"] == utc("2015-09-03 00:37:57")
    assert (first["agent_id"], first["team"], first["customer_id"]) == \
        ("zd-agent-20014182", "zd-group-20001662", "zd-user-20014182")
    assert pd.isna(first["answered_at"]) and pd.isna(first["ended_at"]) and pd.isna(first["csat_score"])
    assert pd.isna(first["resolved_first_contact"]) and not first["abandoned"]
    unassigned = rows.loc["zd-94"]  # created through the API, never assigned
    assert pd.isna(unassigned["agent_id"]) and unassigned["customer_id"] == "zd-user-20014192"
    assert unassigned["arrived_at"] == utc("2012-09-08 00:00:21")
    assert cli.main(["validate", "--data", str(tmp_path)]) == 0
    # the API's api tickets read as phone calls, when the mapping says so
    mapped = zendesk.parse(files, Settings(), {"via": {"api": "phone"}})
    assert mapped.rows["channel"].value_counts().to_dict() == {"phone": 99, "email": 1}


def _bench_export():
    from bench.exports import zendesk as bench_export
    return bench_export


def _reference(files: list[Path]) -> dict:
    """What the bench's export holds, counted in Python from its files (its pages, a line each)."""
    tickets, metrics, junk = [], 0, 0
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                page = json.loads(line)
            except ValueError:
                junk += 1
                continue
            if "tickets" not in page:
                junk += 1
                continue
            tickets += page["tickets"]
            metrics += len(page["metric_sets"])
    deleted = {}
    for ticket in tickets:
        if ticket["status"] == "deleted":
            deleted[ticket["id"]] = max(deleted.get(ticket["id"], ""), ticket["updated_at"])
    newest = {}
    for ticket in tickets:
        if ticket["status"] != "deleted":
            newest[ticket["id"]] = max(newest.get(ticket["id"], ""), ticket["updated_at"])
    kept = {ident for ident, updated in newest.items() if updated > deleted.get(ident, "")}
    with_metrics = {ticket["id"] for ticket in tickets if ticket["status"] != "deleted"}
    return {"read": len(tickets) + metrics + junk, "deleted": sum(t["status"] == "deleted" for t in tickets),
            "rows": len(tickets) - sum(t["status"] == "deleted" for t in tickets), "kept": kept,
            "merged": len(with_metrics), "metrics": metrics, "junk": junk}


def test_the_benchmarks_incremental_export_is_read_in_full(tmp_path):
    bench_export = _bench_export()
    files = bench_export.write(tmp_path / "export", 2_500)
    expected = _reference(files)
    assert expected["deleted"] > 0 and len(expected["kept"]) < expected["rows"] and expected["junk"] == 1
    parsed = zendesk.parse(files, Settings())
    assert (parsed.records_read, len(parsed.deletions), len(parsed.rows), parsed.merged) == \
        (expected["read"], expected["deleted"], expected["rows"], expected["merged"])
    assert parsed.superseded == expected["metrics"] - expected["merged"]
    assert parsed.set_aside["reason"].tolist() == ["not valid JSON"]  # the page cut short
    summary = import_files(tmp_path / "data", "zendesk", files, Settings())
    assert summary.balanced and summary.new == len(expected["kept"])
    assert set(stored(tmp_path / "data").index) == {f"zd-{ident}" for ident in expected["kept"]}
    # the same export as one pretty-printed file a page: the same contacts
    pages = bench_export.write(tmp_path / "pages", 2_500, layout="pages")
    assert len(pages) == 3
    again = import_files(tmp_path / "data-pages", "zendesk", pages, Settings())
    assert again.balanced and again.set_aside == 0 and again.records_read == expected["read"] - 1
    pd.testing.assert_frame_equal(stored(tmp_path / "data-pages").sort_index(),
                                  stored(tmp_path / "data").sort_index())


def test_json_lines_numbered_as_an_editor_does_with_blank_and_broken_lines(tmp_path):
    lines = write(tmp_path / "export.jsonl", "\n".join([
        json.dumps({"id": 1, "created_at": "2024-03-01T09:00:00Z", "status": "open",
                    "via": {"channel": "web"}}),
        "",
        json.dumps({"id": 2, "created_at": "March", "status": "open"}),
        '{"id": 3, "created_at": "2024-03-01T09:00:00Z", "via": {"cha',
        "   ",
        json.dumps({"id": 4, "created_at": "2024-03-02T09:00:00Z", "status": "solved"}),
        json.dumps({"ticket_id": 4, "solved_at": "2024-03-01T09:00:00Z", "replies": 1}),
        json.dumps(["not", "an", "object"]),
        json.dumps({"error": "APIRateLimitExceeded"}),
    ]) + "\n")
    parsed = zendesk.parse([lines], Settings())
    assert parsed.rows[["interaction_id", "source_row"]].values.tolist() == [["zd-1", 1]]
    aside = parsed.set_aside
    assert list(zip(aside["source_row"], aside["reason"], strict=True)) == [
        (3, "created_at: not a timestamp"), (4, "not valid JSON"), (6, "ticket solved before it was created"),
        (8, "not a JSON object"), (9, "not a Zendesk ticket, ticket metric or satisfaction rating")]
    assert aside["record"].iloc[1] == '{"id": 3, "created_at": "2024-03-01T09:00:00Z", "via": {"cha'
    assert aside["record"].iloc[4] == '{"error": "APIRateLimitExceeded"}'
    assert (parsed.records_read, parsed.merged) == (7, 1)


def test_a_csv_with_quoted_commas_quotes_and_line_breaks(tmp_path):
    tickets = write(tmp_path / "tickets.csv",
                    'Id,Subject,Created at,Status,Via\n'
                    '501,"Refund, please",2024-03-01 10:00:00,open,email\n'
                    '502,"He said ""hi""\nand left",2024-03-01 11:00:00,new,chat\n'
                    '\n'
                    ',,,,\n'
                    '503,"short row",2024-03-01 12:00:00\n'
                    '504,plain,2024-03-01 13:00:00,solved,voice\n')
    parsed = zendesk.parse([tickets], Settings(), {"timezone": "Europe/Berlin"})
    rows = parsed.rows.set_index("interaction_id")
    assert rows["source_row"].to_dict() == {"zd-501": 2, "zd-502": 3, "zd-504": 8}
    assert rows["channel"].to_dict() == {"zd-501": "email", "zd-502": "chat", "zd-504": "phone"}
    assert rows.loc["zd-502", "arrived_at"] == utc("2024-03-01 10:00")  # 11:00 in Berlin
    assert parsed.set_aside[["source_row", "reason", "record"]].values.tolist() == [
        [7, "expected 5 fields, found 3", '503,"short row",2024-03-01 12:00:00']]
    assert parsed.records_read == 4  # the blank line and the row of empty fields are no records


def test_documents_number_their_records_across_lists_and_single_objects(tmp_path):
    document = write(tmp_path / "export.json", json.dumps({
        "tickets": [{"id": 601, "created_at": "2024-03-01T09:00:00Z", "status": "open"}, "oops"],
        "metric_sets": [{"ticket_id": 601, "replies": 1, "reopens": 0},
                        {"ticket_id": 699, "replies": 1, "reopens": 0}],
        "satisfaction_ratings": [{"ticket_id": 601, "score": "good"}]}, indent=2))
    parsed = zendesk.parse([document], Settings())
    # a list element that is no object is a record with none of its fields: no id
    assert list(zip(parsed.set_aside["source_row"], parsed.set_aside["reason"], strict=True)) == [
        (2, "ticket without an id"), (4, "ticket metric for a ticket not in this export")]
    assert parsed.rows[["interaction_id", "source_row", "csat_score"]].values.tolist() == [["zd-601", 1, 5.0]]
    array = write(tmp_path / "array.json", json.dumps([
        {"id": 602, "created_at": "2024-03-01T09:00:00Z", "status": "open"},
        {"ticket_id": 602, "score": "bad"}]))
    parsed = zendesk.parse([array], Settings())
    assert parsed.rows[["interaction_id", "source_row", "csat_score"]].values.tolist() == [["zd-602", 1, 1.0]]
    assert (parsed.records_read, parsed.merged) == (2, 1)


# --- the contracts of sql/import_zendesk_*.sql (collected by tests/test_sql_contract.py) -------------

def _scratch(p) -> Path:
    scratch = p.folder / "scratch" / "zendesk"
    scratch.mkdir(parents=True, exist_ok=True)
    return scratch


def _query(con, name: str, parameters: dict) -> pd.DataFrame:
    sql = load_sql(name)
    return con.execute(sql, zendesk._used(sql, parameters)).df()


def _common(**extra) -> dict:
    return {"columns": zendesk.COLUMNS, "structure": zendesk.STRUCTURE, "separator": zendesk.SEPARATOR,
            "zone": "UTC", "skipped": SKIPPED_REASON, "limit": 40, **extra}


def contract_json(p) -> None:
    path = write(_scratch(p) / "values.jsonl", "\n".join([
        json.dumps({"tickets": [{"id": 101, "created_at": "2024-03-01T09:00:00Z", "via": {"channel": "web"}},
                                {"id": 102.0}],
                    "metric_sets": [{"ticket_id": 101, "reply_time_in_minutes": {"calendar": 30}}],
                    "next_page": None}),
        "",
        json.dumps({"id": 103, "status": "open", "satisfaction_rating": {"score": "good"}, "tags": ["x"]}),
        json.dumps({"ticket_id": 103, "score": "bad"})]) + "\n")
    con = zendesk._connection(_scratch(p))
    try:
        frame = _query(con, "import_zendesk_json", _common(
            path=str(path), file_no=7, format="newline_delimited", lenient=True, size=2**20))
    finally:
        con.close()
    assert not frame.duplicated(["value_no"]).any() and frame[["file_no", "value_no"]].notna().all().all()
    assert frame["value_no"].tolist() == [1, 2, 3]  # values in the file's order (the blank line skipped)
    assert set(frame["file_no"]) == {7} and frame[["problem", "record"]].isna().all().all()
    page, ticket, rating = frame.to_dict("records")
    assert [t["id"] for t in page["tickets"]] == ["101", "102.0"]  # ids as text, as written
    assert page["tickets"][0]["via"] == {"channel": "web"} and page["tickets"][0]["created_at"] == \
        "2024-03-01T09:00:00Z"
    assert page["metric_sets"][0]["reply_time_in_minutes"] == {"calendar": "30"}
    assert (ticket["id"], ticket["status"], ticket["satisfaction_rating"]["score"]) == ("103", "open", "good")
    assert (rating["ticket_id"], rating["score"], rating["tickets"]) == ("103", "bad", None)


def contract_json_documents(p) -> None:
    page = write(_scratch(p) / "page.json", json.dumps({"tickets": [{"id": 201, "status": "new"}],
                                                        "count": 1}, indent=2))
    single = write(_scratch(p) / "single.json", json.dumps({"ticket": {"id": 202, "status": "open"}}))
    odd = write(_scratch(p) / "odd.json", json.dumps({"tickets": [{"id": 203}, "oops"]}))
    con = zendesk._connection(_scratch(p))
    try:
        frame = _query(con, "import_zendesk_json_documents", _common(
            paths=[str(page), str(single)], file_nos=[3, 5], lenient=False, size=2**20))
        with pytest.raises(duckdb.Error):  # strictly: a list element that is no object stops the read
            _query(con, "import_zendesk_json_documents", _common(
                paths=[str(odd)], file_nos=[1], lenient=False, size=2**20))
        lenient = _query(con, "import_zendesk_json_documents", _common(paths=[str(odd)], file_nos=[1],
                                                                        lenient=True, size=2**20))
    finally:
        con.close()
    assert not frame.duplicated(["file_no"]).any() and frame[["file_no", "value_no"]].notna().all().all()
    rows = frame.set_index("file_no")
    assert set(frame["value_no"]) == {1}  # one document a file
    assert [t["id"] for t in rows.loc[3, "tickets"]] == ["201"] and pd.isna(rows.loc[3, "ticket"])
    assert rows.loc[5, "ticket"]["id"] == "202" and pd.isna(rows.loc[5, "tickets"])
    assert [t["id"] for t in lenient["tickets"].iloc[0]] == ["203", None]  # read as a record of nulls


def contract_json_lines(p) -> None:
    path = write(_scratch(p) / "lines.jsonl", "\n".join([
        json.dumps({"tickets": [{"id": 301}]}), "", '{"id": 302, "via": {"cha', "[1, 2]",
        json.dumps({"error": "RateLimited"}), json.dumps({"id": 303, "status": "new"})]) + "\n")
    con = zendesk._connection(_scratch(p))
    try:
        frame = _query(con, "import_zendesk_json_lines", _common(
            path=str(path), file_no=2, size=2**20, limit=12))
    finally:
        con.close()
    assert not frame.duplicated(["value_no"]).any() and frame[["file_no", "value_no"]].notna().all().all()
    rows = frame.set_index("value_no")
    assert list(rows.index) == [1, 3, 4, 5, 6]  # line numbers, the blank line 2 skipped
    assert rows["problem"].dropna().to_dict() == {3: "not valid JSON", 4: "not a JSON object"}
    # the lines that are no record are kept as written (the first $limit characters), the others not
    assert rows["record"].dropna().to_dict() == {3: '{"id": 302, ', 4: "[1, 2]", 5: '{"error": "R'}
    assert [t["id"] for t in rows.loc[1, "tickets"]] == ["301"] and rows.loc[6, "id"] == "303"


def contract_line_numbers(p) -> None:
    path = write(_scratch(p) / "numbers.jsonl", "\n".join([
        json.dumps({"id": 1}), "", '{"id": 2, "via"', "   ", json.dumps({"error": "x"}), "[1]"]) + "\n")
    con = zendesk._connection(_scratch(p))
    try:
        frame = _query(con, "import_zendesk_line_numbers", {"path": str(path), "separator": zendesk.SEPARATOR,
                                                            "size": 2**20, "wanted": [2, 3, 4], "limit": 8})
    finally:
        con.close()
    assert not frame.duplicated(["ordinal"]).any() and frame[["ordinal", "line_no"]].notna().all().all()
    assert frame[["ordinal", "line_no"]].values.tolist() == [[1, 1], [2, 3], [3, 5], [4, 6]]
    rows = frame.set_index("ordinal")
    assert rows["problem"].dropna().to_dict() == {2: "not valid JSON", 4: "not a JSON object"}
    assert rows["record"].dropna().to_dict() == {2: '{"id": 2', 3: '{"error"', 4: "[1]"}


def contract_renumbered(p) -> None:
    scratch = _scratch(p) / "renumbered"
    scratch.mkdir(exist_ok=True)
    path = write(scratch / "lines.jsonl", "\n".join([
        json.dumps({"id": 1, "created_at": "2024-03-01T09:00:00Z", "status": "new"}), "",
        '{"id": 2, "via', json.dumps({"tickets": [{"id": 3, "created_at": "2024-03-01T09:00:00Z"},
                                                {"id": 4, "created_at": "2024-03-01T09:00:00Z"}]}),
        "[5]"]) + "\n")
    con = zendesk._connection(scratch)
    try:
        reading = zendesk._Reading(con, "UTC", scratch)
        typed = reading._write(con, zendesk._statement("import_zendesk_records", "import_zendesk_json"), {
            **reading.common, "path": str(path), "file_no": 1, "size": 2**20, "mode": "lines",
            "format": "newline_delimited", "lenient": True}, [1])
        con.execute("create temp table zendesk_line_numbers as " + load_sql("import_zendesk_line_numbers"),
                    {"path": str(path), "separator": zendesk.SEPARATOR, "size": 2**20, "wanted": [2, 4],
                     "limit": 40})
        before = con.execute("select * from read_parquet($typed)", {"typed": str(typed)}).df()
        frame = _query(con, "import_zendesk_renumbered", {"typed": str(typed)})
    finally:
        con.close()
    assert not frame.duplicated(["value_no", "item"]).any() and frame["source_row"].notna().all()
    assert list(frame.columns) == list(before.columns) and len(frame) == len(before)  # the typed records
    rows = frame.set_index(["value_no", "item"]).sort_index()
    # values 1-4 are lines 1, 3, 4, 5 (line 2 is blank): the page's records on its line
    assert rows["source_row"].to_dict() == {(1, 0): 1, (2, 0): 3, (3, 0): 4, (3, 1): 4, (3, 2): 4, (4, 0): 5}
    assert rows["problem"].dropna().to_dict() == {(2, 0): "not valid JSON", (4, 0): "not a JSON object"}
    assert rows["record"].dropna().to_dict() == {(2, 0): '{"id": 2, "via', (4, 0): "[5]"}
    assert (rows.loc[(3, 1), "ticket_id"], rows.loc[(3, 2), "ticket_id"]) == ("3", "4")


RECORD_LINES = [
    {"tickets": [{"id": 101, "status": "open", "via": {"channel": "web"}}, {"id": 102, "via_channel": "api"}],
     "ticket_metrics": [{"ticket_id": 101, "reply_time_in_minutes": {"calendar": 30}}],
     "metric_sets": [{"ticket_id": 102, "replies": 2}],
     "satisfaction_ratings": [{"ticket_id": 101, "score": "good"}],
     "end_of_stream": True},
    {"ticket": {"id": 103, "status": "new"}, "ticket_metric": {"ticket_id": 103, "replies": 1}},
    {"ticket_id": 104, "score": "good", "assignee_id": 5},
    {"ticket_id": 104, "replies": 2, "full_resolution_time_in_minutes": {"calendar": 90}},
    {"id": 105, "status": "open", "satisfaction_rating": {"id": 9, "score": "bad"}},
    {"ticket_id": 106},
    {"tickets": []},
]


def contract_records(p) -> None:
    path = jsonl(_scratch(p) / "records.jsonl", RECORD_LINES)
    con = zendesk._connection(_scratch(p))
    try:
        con.execute("create temp table zendesk_values as " + load_sql("import_zendesk_json"), zendesk._used(
            load_sql("import_zendesk_json"), _common(path=str(path), file_no=1, format="newline_delimited",
                                                     lenient=False, size=2**20)))
        frame = _query(con, "import_zendesk_records", {"mode": "lines"})
        array = _query(con, "import_zendesk_records", {"mode": "array"})
    finally:
        con.close()
    assert not frame.duplicated(["file_no", "value_no", "item"]).any()
    assert frame[["file_no", "value_no", "item"]].notna().all().all()
    got = sorted(zip(frame["value_no"], frame["item"], frame["kind"].fillna("-"),
                     frame["id"].fillna(frame["ticket_id"]).fillna("-"), strict=True))
    assert got == [(1, 0, "document", "-"), (1, 1, "ticket", "101"), (1, 2, "ticket", "102"),
                   (1, 3, "metric", "101"), (1, 4, "metric", "102"), (1, 5, "rating", "101"),
                   (2, 0, "document", "-"), (2, 1, "ticket", "103"), (2, 2, "metric", "103"),
                   (3, 0, "rating", "104"), (4, 0, "metric", "104"), (5, 0, "ticket", "105"),
                   (6, 0, "-", "106"), (7, 0, "document", "-")]
    rows = frame.set_index(["value_no", "item"])
    assert (rows.loc[(1, 1), "via"], rows.loc[(1, 2), "via"]) == ("web", "api")
    assert rows.loc[(1, 3), "reply_minutes"] == "30" and rows.loc[(4, 0), "full_minutes"] == "90"
    assert (rows.loc[(5, 0), "inline_score"], rows.loc[(3, 0), "score"], rows.loc[(3, 0), "assignee_id"]) == \
        ("bad", "good", "5")
    assert rows["problem"].dropna().to_dict() == {
        (6, 0): "not a Zendesk ticket, ticket metric or satisfaction rating"}
    # in a top-level array, every value is a record standing alone: a page is none
    assert pd.isna(array.set_index("value_no").loc[1, "kind"]) and len(array) == len(RECORD_LINES)


def contract_csv(p) -> None:
    path = write(_scratch(p) / "tickets.csv", 'Id,Subject,Created at,Status,Via\n'
                                              '501,"Refund, please",2024-03-01 10:00:00,open,email\n'
                                              '502,"He said ""hi""\nand left",2024-03-01 11:00:00,new,chat\n'
                                              '\n,,,,\n503,"short row",2024-03-01 12:00:00\n')
    con = zendesk._connection(_scratch(p))
    try:
        frame = _query(con, "import_zendesk_csv", _common(
            path=str(path), file_no=4, size=2**20, kind="ticket",
            names=["id", "subject", "created_at", "status", "via_channel"]))
    finally:
        con.close()
    assert not frame.duplicated(["value_no"]).any()
    assert frame[["file_no", "value_no", "kind"]].notna().all().all()
    rows = frame.set_index("value_no").sort_index()
    assert list(rows.index) == [2, 3, 7]  # the lines records start on; blank ones are no records
    assert rows.loc[2, ["id", "subject", "created_at", "status", "via"]].tolist() == \
        ["501", "Refund, please", "2024-03-01 10:00:00", "open", "email"]
    assert rows.loc[3, "subject"] == 'He said "hi"\nand left'
    assert (rows.loc[7, "problem"], rows.loc[7, "record"]) == \
        ("expected 5 fields, found 3", '503,"short row",2024-03-01 12:00:00')
    assert rows["problem"].notna().sum() == 1 and set(rows["kind"]) == {"ticket"}


def _records_frame(rows: list[dict]) -> pd.DataFrame:
    """zendesk_records as import_zendesk_records.sql gives it (file 1; item 0 unless said)."""
    columns = ["file_no", "value_no", "item", "kind", "problem", "record", *zendesk.FIELDS]
    rows = [{"file_no": 1, "item": 0, **row} for row in rows]
    return pd.DataFrame([{column: row.get(column) for column in columns} for row in rows], columns=columns) \
        .astype({column: "object" for column in columns[3:]})


def contract_typed(p) -> None:
    records = _records_frame([
        {"value_no": 1, "item": 1, "kind": "ticket", "id": "101.0", "status": " Open ", "via": "Web",
         "created_at": "2024-03-01T09:00:00Z", "updated_at": "2024-03-01 11:00:00+02:00",
         "assignee_id": "5.0", "inline_score": "Good"},
        {"value_no": 2, "kind": "ticket", "id": "102", "created_at": "2021-10-31 01:30:00"},
        {"value_no": 3, "kind": "ticket", "id": "103", "created_at": "2021-03-28 01:30:00"},
        {"value_no": 4, "kind": "ticket", "created_at": "2024-03-01T09:00:00Z"},
        {"value_no": 5, "kind": "ticket", "id": "105", "status": "deleted", "updated_at": "soon"},
        {"value_no": 6, "kind": "ticket", "id": "106", "status": "deleted"},
        {"value_no": 7, "kind": "metric", "ticket_id": "101", "reply_minutes": "soon"},
        {"value_no": 8, "kind": "metric", "ticket_id": "101", "reopens": "-1"},
        {"value_no": 9, "kind": "metric", "ticket_id": "101", "reply_minutes": "30", "full_minutes": "90",
         "reopens": "0", "replies": "1", "solved_at": "2024-03-01T10:30:00Z"},
        {"value_no": 10, "kind": "rating", "ticket_id": "101", "score": "great"},
        {"value_no": 11, "kind": "rating", "ticket_id": "101", "score": "good_with_comment",
         "created_at": "2024-03-02T00:00:00Z"},
        {"value_no": 12, "kind": "document"},
        {"value_no": 13, "problem": "not valid JSON", "record": "{oops"}])
    con = zendesk._connection(_scratch(p))
    try:
        con.register("zendesk_records", records)
        frame = _query(con, "import_zendesk_typed", _common(mode="lines", zone="Europe/Dublin", limit=2000))
        document = _query(con, "import_zendesk_typed", _common(mode="document", zone="Europe/Dublin",
                                                               limit=2000))
    finally:
        con.close()
    assert not frame.duplicated(["file_no", "value_no", "item"]).any()
    assert frame[["file_no", "value_no", "item", "source_row"]].notna().all().all()
    rows = frame.set_index("value_no")
    assert rows["problem"].dropna().to_dict() == {
        3: f"created_at: {SKIPPED_REASON}", 4: "ticket without an id", 5: "updated_at: not a timestamp",
        7: "reply_time_in_minutes.calendar: not a number", 8: "reopens: negative",
        10: "rating score not one of good, bad, offered, unoffered", 13: "not valid JSON"}
    first = rows.loc[1]
    assert (first["ticket_id"], first["status"], first["via"], first["assignee_id"], first["score"]) == \
        ("101", "open", "web", "5", "good")
    assert (first["created"], first["updated"]) == (utc("2024-03-01 09:00"), utc("2024-03-01 09:00"))
    assert rows.loc[2, "created"] == utc("2021-10-31 00:30")  # the first 01:30 in Dublin (summer time)
    assert json.loads(rows.loc[3, "record"])["created_at"] == "2021-03-28 01:30:00"  # the fields read
    assert rows.loc[13, "record"] == "{oops"  # as the reader kept it
    assert pd.isna(rows.loc[6, "problem"]) and pd.isna(rows.loc[6, "updated"])  # a deletion, time unknown
    metric = rows.loc[9]
    assert (metric["reply"], metric["resolution"], metric["reopens"], metric["replies"]) == (30, 90, 0, 1)
    assert metric["solved"] == utc("2024-03-01 10:30") and metric["ticket_id"] == "101"
    assert (rows.loc[11, "score"], rows.loc[11, "created"]) == ("good_with_comment", utc("2024-03-02"))
    assert rows.loc[12, "kind"] == "document" and pd.isna(rows.loc[12, "problem"])
    assert frame["source_row"].tolist() == frame["value_no"].tolist()  # a line's number
    assert document.set_index("value_no")["source_row"].to_dict()[1] == 1  # a document's: the item
    assert set(document["source_row"]) == {1}


SIDE_LINES = [
    {"id": 1, "created_at": "2024-03-01T09:00:00Z", "updated_at": "2024-03-01T13:00:00Z", "status": "solved",
     "via": {"channel": "web"}, "assignee_id": 5, "group_id": 7, "requester_id": 9},
    {"id": 2, "status": "deleted", "updated_at": "2024-03-05T00:00:00Z", "via": {"channel": "web"}},
    {"id": 3, "created_at": "March", "status": "open"},
    {"id": 4, "created_at": "2024-03-01T10:00:00Z", "status": "open", "via": {"channel": "facebook_post"},
     "satisfaction_rating": {"score": "good"}},
    {"id": 5, "created_at": "2024-03-01T10:00:00Z", "status": "closed", "via": {"channel": "voice"}},
    {"id": 6, "created_at": "2024-03-01T11:00:00Z", "status": "new", "via": {"channel": "any_channel"}},
    {"ticket_id": 1, "updated_at": "2024-03-01T10:00:00Z", "replies": 1, "reopens": 0},
    {"ticket_id": 1, "updated_at": "2024-03-01T11:00:00Z", "replies": 2, "reopens": 0,
     "reply_time_in_minutes": {"calendar": 30}, "solved_at": "2024-03-01T12:00:00Z"},
    {"ticket_id": 1, "replies": 3, "reopens": 0},
    {"ticket_id": 2, "replies": 1, "reopens": 0},
    {"ticket_id": 3, "replies": 1, "reopens": 0},
    {"ticket_id": 9, "replies": 1, "reopens": 0},
    {"ticket_id": 5, "replies": 1, "reopens": 0, "solved_at": "2024-02-01T00:00:00Z"},
    {"ticket_id": 1, "score": "good", "updated_at": "2024-03-02T00:00:00Z", "assignee_id": 6},
    {"ticket_id": 1, "score": "bad", "updated_at": "2024-03-02T00:00:00Z", "assignee_id": 6},
]


def _side_connection(p):
    """zendesk_typed and zendesk_side of SIDE_LINES, as the importer makes them."""
    scratch = _scratch(p)
    path = jsonl(scratch / "side.jsonl", SIDE_LINES)
    con = zendesk._connection(scratch)
    zendesk._Reading(con, "UTC", scratch).add([path])
    con.execute("create table zendesk_side as " + load_sql("import_zendesk_side"))
    return con


VIA = {"via_values": ["web", "voice"], "via_channels": ["email", "phone"]}


def contract_side(p) -> None:
    con = _side_connection(p)
    try:
        frame = con.execute("select * from zendesk_side").df()
    finally:
        con.close()
    assert not frame.duplicated(["kind", "ticket_id"]).any()
    assert frame[["kind", "ticket_id", "in_export", "copies"]].notna().all().all()
    rows = frame.set_index(["kind", "ticket_id"]).sort_index()
    assert rows[["in_export", "copies"]].to_dict("index") == {
        ("metric", "1"): {"in_export": True, "copies": 3}, ("metric", "2"): {"in_export": True, "copies": 1},
        ("metric", "3"): {"in_export": False, "copies": 1}, ("metric", "5"): {"in_export": True, "copies": 1},
        ("metric", "9"): {"in_export": False, "copies": 1}, ("rating", "1"): {"in_export": True, "copies": 2}}
    newest = rows.loc[("metric", "1")]  # updated 11:00, the newest (the one without updated_at is the oldest)
    assert (newest["replies"], newest["reply"], newest["solved"]) == (2, 30, utc("2024-03-01 12:00"))
    rating = rows.loc[("rating", "1")]  # two of the same version: the later in the export wins
    assert (rating["csat"], rating["assignee_id"]) == (1.0, "6")


def contract_contacts(p) -> None:
    con = _side_connection(p)
    try:
        frame = con.execute(load_sql("import_zendesk_contacts"), {**VIA, "files": ["a.jsonl"]}).df()
    finally:
        con.close()
    assert not frame.duplicated(["interaction_id"]).any()
    assert frame[["interaction_id", "channel", "arrived_at", "abandoned", "source_file", "source_row"]] \
        .notna().all().all()
    rows = frame.set_index("interaction_id").sort_index()
    assert list(rows.index) == ["zd-1", "zd-4", "zd-5", "zd-6"]  # 2 deleted, 3 set aside
    assert rows["channel"].to_dict() == {"zd-1": "email", "zd-4": "social", "zd-5": "phone", "zd-6": "email"}
    one = rows.loc["zd-1"]
    assert (one["arrived_at"], one["answered_at"], one["ended_at"]) == \
        (utc("2024-03-01 09:00"), utc("2024-03-01 09:30"), utc("2024-03-01 12:00"))
    assert one["resolved_first_contact"] == False  # noqa: E712 (two replies)
    assert (one["csat_score"], one["agent_id"], one["team"], one["customer_id"]) == \
        (1.0, "zd-agent-5", "zd-group-7", "zd-user-9")
    assert (one["source_updated_at"], one["source_file"], one["source_row"]) == \
        (utc("2024-03-01 13:00"), "a.jsonl", 1)
    four = rows.loc["zd-4"]  # open, no metric: no end, resolution unknown; rated on the ticket itself
    assert pd.isna(four["ended_at"]) and pd.isna(four["resolved_first_contact"]) and four["csat_score"] == 5
    assert rows["problem"].dropna().to_dict() == {"zd-5": "ticket solved before it was created"}
    assert not rows["abandoned"].any()


def contract_set_aside(p) -> None:
    con = _side_connection(p)
    try:
        frame = con.execute(load_sql("import_zendesk_set_aside"), {"limit": 2000, "files": ["a.jsonl"]}).df()
    finally:
        con.close()
    assert frame[["source_file", "source_row", "reason", "record"]].notna().all().all()
    assert frame[["source_row", "reason"]].values.tolist() == [
        [3, "created_at: not a timestamp"], [11, "ticket metric for a ticket set aside"],
        [12, "ticket metric for a ticket not in this export"]]
    records = [json.loads(record) for record in frame["record"]]
    assert [record.get("ticket_id", record.get("id")) for record in records] == ["3", "3", "9"]


def contract_deletions(p) -> None:
    con = _side_connection(p)
    try:
        frame = con.execute(load_sql("import_zendesk_deletions"), {"files": ["a.jsonl"]}).df()
    finally:
        con.close()
    assert not frame.duplicated(["source_file", "source_row"]).any()
    assert frame.to_dict("list") == {"interaction_id": ["zd-2"], "source_updated_at": [utc("2024-03-05")],
                                     "source_file": ["a.jsonl"], "source_row": [2]}


def contract_via_mix(p) -> None:
    con = _side_connection(p)
    try:
        frame = con.execute(load_sql("import_zendesk_via_mix"), VIA).df()
    finally:
        con.close()
    assert not frame.duplicated(["via"]).any()
    assert frame[["via", "tickets", "channel", "named"]].notna().all().all()
    assert frame.values.tolist() == [["any_channel", 1, "email", False], ["facebook_post", 1, "social", True],
                                     ["voice", 1, "phone", True], ["web", 1, "email", True]]


SQL_CONTRACTS = {
    "import_zendesk_json": contract_json,
    "import_zendesk_json_documents": contract_json_documents,
    "import_zendesk_json_lines": contract_json_lines,
    "import_zendesk_line_numbers": contract_line_numbers,
    "import_zendesk_renumbered": contract_renumbered,
    "import_zendesk_records": contract_records,
    "import_zendesk_csv": contract_csv,
    "import_zendesk_typed": contract_typed,
    "import_zendesk_side": contract_side,
    "import_zendesk_contacts": contract_contacts,
    "import_zendesk_set_aside": contract_set_aside,
    "import_zendesk_deletions": contract_deletions,
    "import_zendesk_via_mix": contract_via_mix,
}


# --- the speed work (issue 16): the same contacts, in the export's order -------------------------------

def test_the_contacts_of_a_large_export_come_in_the_export_order(tmp_path):
    # a file DuckDB reads on several threads hands its rows over in any order: the importer puts them
    # back in the export's order (of two copies of a ticket with the same version, core keeps the later)
    files = _bench_export().write(tmp_path / "export", 20_000)
    expected = []
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                page = json.loads(line)
            except ValueError:
                continue
            expected += [f"zd-{ticket['id']}" for ticket in page.get("tickets", [])
                         if ticket["status"] != "deleted"]
    parsed = zendesk.parse(files, Settings())
    assert parsed.rows["interaction_id"].tolist() == expected
    assert parsed.rows["source_row"].is_monotonic_increasing  # a page a line, in order


def test_the_newest_metric_record_is_taken_whole_even_where_it_is_empty(tmp_path):
    # the newest metric of a ticket has no first reply yet (a reopened ticket's metric): its empty
    # reply time stands, not an older record's 30 minutes
    path = jsonl(tmp_path / "export.jsonl", [
        {"id": 1, "created_at": "2024-03-01T09:00:00Z", "updated_at": "2024-03-02T09:00:00Z",
         "status": "solved", "via": {"channel": "web"}},
        {"ticket_id": 1, "updated_at": "2024-03-01T10:00:00Z", "replies": 1, "reopens": 0,
         "reply_time_in_minutes": {"calendar": 30}, "solved_at": "2024-03-01T12:00:00Z"},
        {"ticket_id": 1, "updated_at": "2024-03-02T09:00:00Z", "replies": 2, "reopens": 1,
         "reply_time_in_minutes": {"calendar": None}, "full_resolution_time_in_minutes": {"calendar": 1440}}])
    parsed = zendesk.parse([path], Settings())
    row = parsed.rows.set_index("interaction_id").loc["zd-1"]
    assert pd.isna(row["answered_at"])  # the newest record's empty reply time
    assert row["ended_at"] == utc("2024-03-02 09:00")  # no solved_at in it: created + 1440 minutes
    assert row["resolved_first_contact"] == False  # noqa: E712 (reopened once)
    assert (parsed.merged, parsed.superseded) == (1, 1)


def test_single_objects_of_a_document_are_numbered_after_its_lists(tmp_path):
    # {"ticket_metric": ..., "satisfaction_rating": ...} without a ticket, all three, and a document with
    # lists and single objects: each record's place (item) and kind, read field by field
    path = jsonl(tmp_path / "export.jsonl", [
        {"ticket": {"id": 7, "created_at": "2024-03-01T09:00:00Z", "status": "open",
                    "satisfaction_rating": {"score": "bad"}},
         "ticket_metric": {"ticket_id": 7, "replies": 1, "reopens": 0},
         "satisfaction_rating": {"ticket_id": 7, "score": "good", "assignee_id": 5,
                                 "created_at": "2024-03-01T10:00:00Z"}},
        {"ticket_metric": {"ticket_id": 8, "replies": 2},
         "satisfaction_rating": {"ticket_id": 8, "score": "bad"}},
        {"tickets": [{"id": 8, "created_at": "2024-03-01T11:00:00Z", "status": "new"}],
         "satisfaction_ratings": [{"ticket_id": 9, "score": "good"}],
         "ticket": {"id": 10, "created_at": "2024-03-01T12:00:00Z", "status": "new"}}])
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    con = zendesk._connection(scratch)
    try:
        zendesk._Reading(con, "UTC", scratch).add([path])
        typed = con.execute("select value_no, item, kind, ticket_id, score, replies, assignee_id "
                            "from zendesk_typed order by value_no, item").fetchall()
    finally:
        con.close()
    assert typed == [
        (1, 0, "document", None, None, None, None), (1, 1, "ticket", "7", "bad", None, None),
        (1, 2, "metric", "7", None, 1.0, None), (1, 3, "rating", "7", "good", None, "5"),
        (2, 0, "document", None, None, None, None), (2, 1, "metric", "8", None, 2.0, None),
        (2, 2, "rating", "8", "bad", None, None),
        # the lists first, then the single ticket: the lists' records are numbered first
        (3, 0, "document", None, None, None, None), (3, 1, "ticket", "8", None, None, None),
        (3, 2, "rating", "9", "good", None, None), (3, 3, "ticket", "10", None, None, None)]
    parsed = zendesk.parse([path], Settings())
    rows = parsed.rows.set_index("interaction_id")
    assert sorted(rows.index) == ["zd-10", "zd-7", "zd-8"]
    assert (rows.loc["zd-7", "csat_score"], rows.loc["zd-7", "agent_id"]) == (5.0, "zd-agent-5")
    assert rows.loc["zd-8", "csat_score"] == 1.0
    assert parsed.set_aside["reason"].tolist() == ["satisfaction rating for a ticket not in this export"]
