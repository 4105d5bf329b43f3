"""The Zendesk importer: tickets, ticket metrics and satisfaction ratings joined into contract rows;
every record accounted for; idempotent and incremental through core.store."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from cxdash import cli
from cxdash.calendar import SKIPPED_REASON
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
    assert s.reasons == {
        "ticket without created_at": 1,
        "ticket without an id": 1,
        "not valid JSON (Expecting value)": 1,
        "metric for ticket 999 not in this export": 1,
        "rating for ticket 555 not in this export": 1,
        "expected 8 fields, found 7": 1,
    }
    assert s.balanced
    assert s.notes == ["1 ticket(s) came in through channels cxdash has no name for, counted as email: "
                       "any_channel (1)"]
    assert s.months_written == ["2024-03", "2024-04"]


def test_set_aside_records_name_file_line_and_reason(tmp_path):
    summary = import_files(tmp_path, "zendesk", FIRST, Settings())
    aside = summary.set_aside_rows
    assert sorted(zip(aside["source_file"], aside["source_row"], aside["reason"], strict=True)) == [
        ("satisfaction_ratings.csv", 5, "rating for ticket 555 not in this export"),
        ("satisfaction_ratings.csv", 6, "expected 8 fields, found 7"),
        ("ticket_metrics.jsonl", 6, "not valid JSON (Expecting value)"),
        ("ticket_metrics.jsonl", 7, "metric for ticket 999 not in this export"),
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
        (3, "deleted ticket"),
        (4, "not a Zendesk ticket, ticket metric or satisfaction rating"),
        (5, "reply_time_in_minutes.calendar: not a number"),
        (6, "metric for ticket 403, whose ticket was set aside"),
        (7, "rating score not one of good, bad, offered, unoffered"),
        (8, "ticket solved before it was created"),  # its metric (line 9) says so: merged into it
    ]
    assert parsed.records_read == 9 and parsed.merged == 1


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
