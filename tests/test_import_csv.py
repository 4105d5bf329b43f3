"""`python -m cxdash import csv`: any CSV or Excel file, with a mapping file naming which column is which.

The fixture tests/fixtures/imports/csv/calls_de.csv is a German PBX's call list (";"-separated, BOM,
local Berlin times, talk time in minutes with a decimal comma, hold time as h:mm:ss, ratings 1-10),
mapped by calls_de.toml. Its rows, by spreadsheet row (the header is row 1):

 2 A1001 phone, Sat 28 March 10:00 (UTC+1), answered after 20 s, 5 min talk, rating 10
 3 A1002 phone, Sun 29 March 10:00 (UTC+2: the clocks went forward that night), 11,5 min, rating 6,
         NPS "k.A." (mapped to empty), version 10:13
 4 A1003 chat, abandoned after 70 s ("Aufgelegt"): no answered_at
 5 A1004 31.02.2026: not a date                                        -> set aside
 6 A1005 channel "Fax": not mapped                                     -> set aside
 7 A1006 phone, 25 October 02:30: the repeated hour (read as summer time), "verloren" = abandoned
 8 A1002 again, an older version (10:05) with other values             -> superseded by row 3
 9 A1007 email, answered an hour later, hold 1:02:03, rating 8
10 (empty)
11 A1008 29 March 02:30: a time the clocks skipped in Berlin           -> set aside
12 A1009 rating 11 on a 1-10 scale                                     -> set aside
13 A1010 wrap time -5 s: breaks the contract                           -> set aside by the checks
"""

from __future__ import annotations

import codecs
import json
import shutil
import sys
import threading
import tomllib
from datetime import datetime, time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook

from cxdash import cli
from cxdash.calendar import SKIPPED_REASON
from cxdash.db import connect, load_sql
from cxdash.importers import csv_mapping, import_files
from cxdash.importers.csv_mapping import parse
from cxdash.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures" / "imports" / "csv"
CALLS = FIXTURES / "calls_de.csv"
MAPPING_FILE = FIXTURES / "calls_de.toml"
MONTHS = ["2026-03", "2026-04", "2026-10"]


def mapping() -> dict:
    return tomllib.loads(MAPPING_FILE.read_text(encoding="utf-8"))


def at(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def run(folder: Path, paths: list[Path], mapping_dict: dict | None = None, preview: bool = False):
    return import_files(folder, "csv", paths, Settings(),
                        mapping() if mapping_dict is None else mapping_dict, preview=preview)


def stored(folder: Path, source: str = "my-pbx") -> pd.DataFrame:
    files = sorted((folder / "interactions" / source).glob("*.parquet"))
    return pd.concat([pq.read_table(f).to_pandas() for f in files]).set_index("interaction_id")


def write_csv(tmp_path: Path, text: str, name: str = "export.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


# --- what is read ------------------------------------------------------------------------------------

def test_every_mapped_field_is_converted():
    parsed = parse([CALLS], Settings(), mapping())
    assert parsed.source == "my-pbx"
    rows = parsed.rows.set_index("source_row")
    first = rows.loc[2]
    assert first["interaction_id"] == "A1001"
    assert first["channel"] == "phone"  # "Anruf" under [values.channel]
    assert first["arrived_at"] == at("2026-03-28 09:00:00")  # 10:00 in Berlin, winter time
    assert first["answered_at"] == at("2026-03-28 09:00:20")  # 20 s after arrival
    assert first["ended_at"] == at("2026-03-28 09:05:20")
    assert first["queue"] == "Service"
    assert not first["abandoned"]  # "Angenommen" is not in the true list
    assert first["talk_seconds"] == 300.0  # 5 minutes
    assert first["hold_seconds"] == 0.0  # 00:00:00
    assert first["wrap_seconds"] == 30.0
    assert first["agent_id"] == "ag-7"
    assert first["team"] == "Berlin"  # the constant
    assert bool(first["resolved_first_contact"]) is True  # "Ja"
    assert first["csat_score"] == 5  # 10 on 1-10
    assert first["nps_score"] == 9
    assert first["source_updated_at"] == at("2026-03-28 09:06:00")
    assert first["source_file"] == "calls_de.csv"
    for column in ("customer_id", "tier", "ces_score"):  # not mapped: left to the contract's empty
        assert column not in parsed.rows

    second = rows.loc[3]
    assert second["talk_seconds"] == 690.0  # "11,5" minutes with decimal = ","
    assert second["hold_seconds"] == 90.0  # 00:01:30
    assert second["csat_score"] == 3  # 6 on 1-10 is 3.22
    assert pd.isna(second["nps_score"])  # "k.A." = "" under [values.nps_score]
    assert bool(second["resolved_first_contact"]) is False  # "Nein"

    chat = rows.loc[4]
    assert chat["channel"] == "chat"
    assert bool(chat["abandoned"]) is True  # "Aufgelegt"
    assert pd.isna(chat["answered_at"])  # the wait of an abandoned contact is not an answer
    assert chat["ended_at"] == at("2026-03-29 09:31:10")
    assert pd.isna(chat["agent_id"]) and pd.isna(chat["hold_seconds"]) and pd.isna(chat["csat_score"])

    lost = rows.loc[7]
    assert lost["channel"] == "phone"  # "anruf": values match ignoring case
    assert bool(lost["abandoned"]) is True  # "verloren" against "Verloren"

    email = rows.loc[9]
    assert email["channel"] == "email"
    assert email["answered_at"] == at("2026-04-01 13:15:00")  # 3600 s after 14:15 (UTC+2)
    assert email["hold_seconds"] == 3723.0  # 1:02:03
    assert email["csat_score"] == 4  # 8 on 1-10 is 4.11


def test_rows_that_cannot_be_converted_are_set_aside_with_row_and_reason():
    parsed = parse([CALLS], Settings(), mapping())
    assert parsed.records_read == 11  # the empty row 10 is no record
    aside = parsed.set_aside.set_index("source_row")
    assert list(aside.index) == [5, 6, 11, 12]
    assert set(aside["source_file"]) == {"calls_de.csv"}
    assert aside.loc[5, "reason"] == "column Beginn: not a date like %d.%m.%Y %H:%M:%S"
    assert aside.loc[6, "reason"] == ("column Kanal: 'Fax' is not a channel (phone, chat, email, social, "
                                      "sms, self_service): map it under [values.channel]")
    assert aside.loc[11, "reason"] == f"column Beginn: {SKIPPED_REASON}"  # the calendar's one rule
    assert SKIPPED_REASON == "a local time the clock skips when daylight saving starts"
    assert aside.loc[12, "reason"] == "column Bewertung: outside the scale 1-10"
    record = json.loads(aside.loc[5, "record"])
    assert record["Anruf-ID"] == "A1004" and record["Beginn"] == "31.02.2026 09:00:00"
    # the reasons can be counted; the first offending value of each is in a note
    assert ("set aside: column Beginn: not a date like %d.%m.%Y %H:%M:%S: e.g. '31.02.2026 09:00:00' "
            "(calls_de.csv row 5)") in parsed.notes
    assert sorted(parsed.rows["source_row"]) == [2, 3, 4, 7, 8, 9, 13]


# --- the import --------------------------------------------------------------------------------------

def test_import_accounts_for_every_row(tmp_path):
    summary = run(tmp_path, [CALLS])
    assert summary.balanced
    assert (summary.records_read, summary.new, summary.updated, summary.unchanged, summary.superseded,
            summary.merged, summary.set_aside) == (11, 5, 0, 0, 1, 0, 5)
    assert summary.reasons["column wrap_seconds: below 0"] == 1  # the contract's check, after parsing
    rows = summary.set_aside_rows.set_index("source_row")
    assert rows.loc[13, "reason"] == "column wrap_seconds: below 0"
    assert rows.loc[13, "source_file"] == "calls_de.csv"
    assert summary.months_written == MONTHS
    assert summary.source == "my-pbx"
    assert sorted(p.name for p in (tmp_path / "interactions" / "my-pbx").iterdir()) == \
        [f"{m}.parquet" for m in MONTHS]
    data = stored(tmp_path)
    assert sorted(data.index) == ["A1001", "A1002", "A1003", "A1006", "A1007"]
    # of the two versions of A1002, the newer (Geändert 10:13, row 3) wins though row 8 comes later
    assert data.loc["A1002", "talk_seconds"] == 690.0
    assert data.loc["A1002", "source_updated_at"] == at("2026-03-29 08:13:00")


def test_local_times_become_utc_across_the_daylight_saving_changes(tmp_path):
    summary = run(tmp_path, [CALLS])
    data = stored(tmp_path)
    # 10:00 in Berlin on both days: UTC+1 on Saturday, UTC+2 from Sunday 29 March
    assert data.loc["A1001", "arrived_at"] == at("2026-03-28 09:00:00")
    assert data.loc["A1002", "arrived_at"] == at("2026-03-29 08:00:00")
    # 02:30 on 25 October happened twice: the earlier, still summer time (UTC+2)
    assert data.loc["A1006", "arrived_at"] == at("2026-10-25 00:30:00")
    assert data.loc["A1006", "ended_at"] == at("2026-10-25 00:40:00")
    assert any("repeated when the clocks went back in Europe/Berlin" in note for note in summary.notes)


def test_times_on_both_sides_of_the_autumn_change(tmp_path):
    path = write_csv(tmp_path, "id,start\n"
                               "a,2026-10-25 01:59:00\n"  # UTC+2
                               "b,2026-10-25 03:00:00\n"  # UTC+1
                               "c,2026-10-25T03:00:00+02:00\n"  # a zone of its own is kept
                               "d,2026-10-25T01:00:00Z\n")
    parsed = parse([path], Settings(), {"timezone": "Europe/Berlin", "columns": {
        "interaction_id": "id", "arrived_at": "start", "channel": {"value": "chat"}}})
    assert list(parsed.rows["arrived_at"]) == [at("2026-10-24 23:59"), at("2026-10-25 02:00"),
                                               at("2026-10-25 01:00"), at("2026-10-25 01:00")]
    assert not any("repeated" in note for note in parsed.notes)


def test_the_one_daylight_saving_rule_in_a_file_and_in_a_constant(tmp_path):
    """Europe/Dublin, by cxdash.calendar's rule: 2021-03-28 01:30 does not exist (01:00 GMT is followed
    by 02:00 IST), so its row is set aside with the calendar's reason, and a constant at that time is a
    mapping that cannot work; 2021-10-31 01:30 happens twice and is read as the first, IST: 00:30 UTC."""
    path = write_csv(tmp_path, "id,start\n"
                               "a,2021-03-28 01:30:00\n"
                               "b,2021-10-31 01:30:00\n"
                               "c,2021-03-28 02:30:00\n")  # IST already: 01:30 UTC
    columns = {"interaction_id": "id", "arrived_at": "start", "channel": {"value": "chat"}}
    parsed = parse([path], Settings(), {"timezone": "Europe/Dublin", "columns": columns})
    assert list(parsed.rows["interaction_id"]) == ["b", "c"]
    assert list(parsed.rows["arrived_at"]) == [at("2021-10-31 00:30"), at("2021-03-28 01:30")]
    assert parsed.set_aside[["source_row", "reason"]].values.tolist() == [
        [2, f"column start: {SKIPPED_REASON}"]]
    assert any("1 time(s) fell in the hour repeated" in note for note in parsed.notes)
    summary = import_files(tmp_path / "data", "csv", [path], Settings(),
                           {"timezone": "Europe/Dublin", "columns": columns})
    assert (summary.records_read, summary.new, summary.set_aside) == (3, 2, 1) and summary.balanced
    assert summary.reasons == {f"column start: {SKIPPED_REASON}": 1}
    constant = {**columns, "source_updated_at": {"value": "2021-03-28 01:30:00"}}
    with pytest.raises(ValueError, match=f"source_updated_at.*{SKIPPED_REASON} in Europe/Dublin"):
        parse([path], Settings(), {"timezone": "Europe/Dublin", "columns": constant})


def test_a_second_import_of_the_same_file_changes_nothing(tmp_path):
    run(tmp_path, [CALLS])
    files = sorted((tmp_path / "interactions" / "my-pbx").glob("*.parquet"))
    before = {f.name: f.stat().st_mtime_ns for f in files}
    again = run(tmp_path, [CALLS])
    assert again.balanced
    assert (again.new, again.updated, again.unchanged, again.superseded, again.set_aside) == (0, 0, 5, 1, 5)
    assert again.months_written == []
    assert {f.name: f.stat().st_mtime_ns for f in files} == before


def test_a_changed_row_is_updated_and_a_new_row_added(tmp_path):
    run(tmp_path, [CALLS])
    text = CALLS.read_text(encoding="utf-8-sig")
    changed = text.replace("A1001;Anruf;28.03.2026 10:00:00;20;28.03.2026 10:05:20;Service;Angenommen;5;",
                           "A1001;Anruf;28.03.2026 10:00:00;20;28.03.2026 10:05:20;Service;Angenommen;6;")
    assert changed != text
    changed += ("A1011;E-Mail;02.04.2026 09:00:00;120;02.04.2026 09:10:00;Backoffice;Angenommen;2;;;"
                "ag-9;Ja;;;\n")
    (tmp_path / "next").mkdir()
    path = write_csv(tmp_path / "next", changed, name="calls_de.csv")
    summary = run(tmp_path, [path])
    assert summary.balanced
    assert (summary.new, summary.updated, summary.unchanged, summary.superseded, summary.set_aside) == \
        (1, 1, 4, 1, 5)
    assert summary.months_written == ["2026-03", "2026-04"]
    data = stored(tmp_path)
    assert data.loc["A1001", "talk_seconds"] == 360.0
    assert data.loc["A1011", "arrived_at"] == at("2026-04-02 07:00:00")
    assert len(data) == 6


def test_without_a_version_column_changed_values_still_replace(tmp_path):
    document = {"columns": {"interaction_id": "id", "channel": {"value": "email"}, "arrived_at": "at",
                            "queue": "queue"}}
    first = write_csv(tmp_path, "id,at,queue\nm1,2026-05-01 10:00,Billing\nm2,2026-05-01 11:00,Billing\n",
                      "one.csv")
    run(tmp_path / "data", [first], document)
    second = write_csv(tmp_path, "id,at,queue\nm1,2026-05-01 10:00,Returns\nm2,2026-05-01 11:00,Billing\n",
                       "two.csv")
    summary = run(tmp_path / "data", [second], document)
    assert (summary.new, summary.updated, summary.unchanged) == (0, 1, 1)
    assert stored(tmp_path / "data", "csv").loc["m1", "queue"] == "Returns"


def test_validate_passes_after_an_import(tmp_path):
    run(tmp_path, [CALLS])
    assert cli.main(["validate", "--data", str(tmp_path)]) == 0


def test_the_import_command_prints_the_summary_as_json(tmp_path, capsys):
    code = cli.main(["import", "csv", str(CALLS), "--mapping", str(MAPPING_FILE), "--data", str(tmp_path),
                     "--json"])
    assert code == 0
    document = json.loads(capsys.readouterr().out)
    assert document["source"] == "my-pbx"
    assert document["files"] == ["calls_de.csv"]
    assert document["balanced"] is True
    assert (document["records_read"], document["new"], document["superseded"], document["set_aside"]) == \
        (11, 5, 1, 5)
    assert document["months_written"] == MONTHS
    assert document["set_aside_file"].startswith("imports/my-pbx/")


def test_the_import_command_reports_a_mapping_that_cannot_work(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(MAPPING_FILE.read_text(encoding="utf-8").replace('unit = "minutes"', 'unit = "min"'),
                   encoding="utf-8")
    code = cli.main(["import", "csv", str(CALLS), "--mapping", str(bad), "--data", str(tmp_path)])
    assert code == 1
    error = capsys.readouterr().err
    assert "[columns].talk_seconds" in error and "'Gesprächszeit'" in error and "'min'" in error
    assert not (tmp_path / "interactions").exists()


def test_preview_writes_nothing(tmp_path):
    summary = run(tmp_path, [CALLS], preview=True)
    assert summary.new == 5 and summary.months_written == MONTHS
    assert not (tmp_path / "interactions").exists()


# --- the mapping -------------------------------------------------------------------------------------

def edited(change) -> dict:
    document = mapping()
    change(document)
    return document


@pytest.mark.parametrize(("change", "words"), [
    (lambda m: m["columns"].update(talk_time="Gesprächszeit"),
     ["[columns].talk_time", "not a column of the data contract", "did you mean 'talk_seconds'"]),
    (lambda m: m["columns"]["talk_seconds"].update(unit="min"),
     ["[columns].talk_seconds", "column 'Gesprächszeit'", "unit 'min' is not one of seconds, ms, minutes"]),
    (lambda m: m["columns"].pop("arrived_at"), ["arrived_at must be mapped"]),
    (lambda m: m["columns"].pop("channel"), ["channel must be mapped", "or a constant"]),
    (lambda m: m["columns"].update(interaction_id={"value": "x"}), ["interaction_id", "not a constant"]),
    (lambda m: m["columns"]["arrived_at"].update(fromat="%d"), ["unknown option 'fromat'", "did you mean"]),
    (lambda m: m["columns"].update(csat_score={"column": "Bewertung", "scale": [10, 1]}),
     ["[columns].csat_score", "scale [10, 1]"]),
    (lambda m: m["columns"].update(channel={"value": "telephone"}), ["'telephone' is not a channel"]),
    (lambda m: m["values"]["channel"].update(Fax="fax"), ["[values.channel] 'Fax'", "not a channel"]),
    (lambda m: m["values"].update(customer_id={"A": "B"}), ["[values.customer_id]", "not mapped"]),
    (lambda m: m["columns"].update(ended_at={"column": "Ende", "after": "ended_at"}),
     ["[columns].ended_at", "after 'ended_at'"]),
    (lambda m: m.update(source="../elsewhere"), ["source '../elsewhere'", "letters, digits, - and _"]),
    (lambda m: m.update(timezone="Berlin"), ["timezone 'Berlin'", "IANA"]),
    (lambda m: m.update(colums={}), ["unknown key 'colums'", "did you mean 'columns'"]),
])
def test_a_mapping_that_cannot_work_is_refused_clearly(change, words):
    with pytest.raises(ValueError) as error:
        parse([CALLS], Settings(), edited(change))
    for word in words:
        assert word in str(error.value)


def test_a_column_missing_from_the_file_names_the_file_the_key_and_the_column():
    document = edited(lambda m: m["columns"]["arrived_at"].update(column="Start"))
    with pytest.raises(ValueError) as error:
        parse([CALLS], Settings(), document)
    message = str(error.value)
    assert message.startswith("calls_de.csv: mapping [columns].arrived_at (column 'Start'): the file has "
                              "no column 'Start'")
    assert "'Anruf-ID'" in message  # the columns it does have


def test_the_documented_example_is_a_working_mapping():
    example = csv_mapping.__doc__.split("```toml\n")[1].split("```")[0]
    checked = csv_mapping.read_mapping(tomllib.loads(example))
    assert checked.source == "my-pbx" and checked.timezone == "Europe/Berlin" and checked.decimal == ","
    assert checked.fields["talk_seconds"].unit == "minutes"
    assert checked.fields["answered_at"].after == "arrived_at"
    assert checked.fields["team"].constant == "Berlin"
    assert checked.fields["channel"].values == {"inbound call": "phone", "web chat": "chat",
                                                "e-mail": "email"}


def test_no_mapping_at_all_is_refused():
    with pytest.raises(ValueError, match="a mapping file is needed"):
        parse([CALLS], Settings(), None)


def test_scale_is_rescaled_linearly_and_rounded(tmp_path):
    path = write_csv(tmp_path, "id,at,rating,effort\n" + "".join(
        f"r{n},2026-05-01 10:00,{n},{n}\n" for n in range(1, 11)))
    parsed = parse([path], Settings(), {"columns": {
        "interaction_id": "id", "arrived_at": "at", "channel": {"value": "phone"},
        "csat_score": {"column": "rating", "scale": [1, 10]},
        "nps_score": {"column": "effort", "scale": [1, 10]}}})
    assert list(parsed.rows["csat_score"]) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert list(parsed.rows["nps_score"]) == [0, 1, 2, 3, 4, 6, 7, 8, 9, 10]  # onto 0-10


def test_comma_and_tab_files_iso_times_and_the_utc_default(tmp_path):
    comma = write_csv(tmp_path, "id,channel,at,talk\nx1,Phone,2026-05-01 10:00:00,00:03\n", "a.csv")
    tab = write_csv(tmp_path, "id\tchannel\tat\ttalk\nx2\tchat\t2026-05-01T10:00:00+02:00\t01:30\n", "b.tsv")
    parsed = parse([comma, tab], Settings(timezone="America/Chicago"), {"columns": {
        "interaction_id": "id", "channel": "channel", "arrived_at": "at",
        "talk_seconds": {"column": "talk", "unit": "mm:ss"}}})
    rows = parsed.rows.set_index("interaction_id")
    assert rows.loc["x1", "arrived_at"] == at("2026-05-01 10:00")  # no zone in the mapping: UTC
    assert rows.loc["x2", "arrived_at"] == at("2026-05-01 08:00")
    assert list(rows["talk_seconds"]) == [3.0, 90.0]
    assert list(rows["channel"]) == ["phone", "chat"]
    assert any('timezone = "America/Chicago"' in note for note in parsed.notes)
    assert parsed.source == "csv"


def test_a_legacy_encoding_and_a_given_delimiter(tmp_path):
    path = write_csv(tmp_path, "Nr|Kanal|Zeit|Team\n7|E-Mail|2026-05-01 10:00|Köln\n", encoding="cp1252")
    document = {"encoding": "cp1252", "delimiter": "|", "columns": {
        "interaction_id": "Nr", "channel": "Kanal", "arrived_at": "Zeit", "team": "Team"},
        "values": {"channel": {"e-mail": "email"}}}
    parsed = parse([path], Settings(), document)
    assert parsed.rows.loc[0, "team"] == "Köln" and parsed.rows.loc[0, "channel"] == "email"
    with pytest.raises(ValueError, match='export.csv: not utf-8 text .*encoding = "cp1252"'):
        parse([path], Settings(), {**document, "encoding": "utf-8"})


def test_bad_content_is_set_aside_never_raised(tmp_path):
    path = write_csv(tmp_path, 'id,channel,at,talk,done\n'
                               'a,phone,2026-05-01 10:00,12,yes\n'
                               'b,phone,2026-05-01 10:00,12,yes,surplus\n'  # a field too many
                               'c,phone,yesterday,12,yes\n'
                               'd,phone,2026-05-01 10:00,"1,5",yes\n'
                               'e,phone,2026-05-01 10:00,12,maybe\n'
                               'f,phone,2026-05-01 10:00\n')  # short rows are filled with empties
    parsed = parse([path], Settings(), {"columns": {
        "interaction_id": "id", "channel": "channel", "arrived_at": "at", "talk_seconds": "talk",
        "resolved_first_contact": "done"}})
    assert parsed.records_read == 6
    assert list(parsed.rows["interaction_id"]) == ["a", "f"]
    assert dict(zip(parsed.set_aside["source_row"], parsed.set_aside["reason"], strict=True)) == {
        3: "6 fields where the header has 5 (a ',' inside an unquoted value?)",
        4: "column at: not a date and time in ISO 8601 (like 2026-03-29 14:05:00): give its format",
        5: "column talk: not a number of seconds (a decimal comma? give decimal = \",\")",
        6: "column done: 'maybe' is neither a true value nor a false value"}


def test_an_excel_workbook_with_a_named_sheet_and_a_title_row(tmp_path):
    book = Workbook()
    book.active.title = "Info"
    book.active.append(["This workbook's first sheet is not the calls"])
    sheet = book.create_sheet("Calls")
    sheet.append(["Calls in May"])
    sheet.append([])
    sheet.append(["Call ID", "Start", "Talk", "Rating", "Lost"])
    sheet.append([5001, datetime(2026, 5, 4, 9, 0), time(0, 5, 30), 4, False])
    sheet.append([])
    sheet.append([5002, "04.05.2026 09:30:00", "0:01:00", 2.0, True])
    sheet.append([5003, 45000, "0:01:00", 2, True])  # a number is not a time
    path = tmp_path / "calls.xlsx"
    book.save(path)

    document = {"source": "pbx_xlsx", "timezone": "Europe/Berlin", "sheet": "Calls", "header_row": 3,
                "columns": {"interaction_id": "Call ID", "channel": {"value": "phone"},
                            "arrived_at": {"column": "Start", "format": "%d.%m.%Y %H:%M:%S"},
                            "talk_seconds": {"column": "Talk", "unit": "hh:mm:ss"},
                            "csat_score": "Rating", "abandoned": "Lost"}}
    parsed = parse([path], Settings(), document)
    assert parsed.source == "pbx_xlsx"
    assert parsed.records_read == 3
    rows = parsed.rows.set_index("interaction_id")
    assert list(rows.index) == ["5001", "5002"]  # numbers as text, without ".0"
    assert list(rows["source_row"]) == [4, 6]  # as the spreadsheet numbers them
    assert rows.loc["5001", "arrived_at"] == at("2026-05-04 07:00")  # a date cell, local in Berlin
    assert rows.loc["5002", "arrived_at"] == at("2026-05-04 07:30")  # text with the format
    assert list(rows["talk_seconds"]) == [330.0, 60.0]  # a time cell and h:mm:ss text
    assert list(rows["csat_score"]) == [4, 2]
    assert list(rows["abandoned"]) == [False, True]
    assert list(parsed.set_aside["source_row"]) == [7]
    assert parsed.set_aside.loc[0, "reason"] == "column Start: not a date like %d.%m.%Y %H:%M:%S"

    summary = run(tmp_path / "data", [path], document)
    assert summary.balanced and summary.new == 2 and summary.set_aside == 1
    assert (tmp_path / "data" / "interactions" / "pbx_xlsx" / "2026-05.parquet").exists()

    with pytest.raises(ValueError, match="calls.xlsx: mapping sheet 'Anrufe' is not in the workbook; "
                                         "its sheets are Info, Calls"):
        parse([path], Settings(), {**document, "sheet": "Anrufe"})
    first_sheet = {**{k: v for k, v in document.items() if k != "sheet"}, "header_row": 1}
    with pytest.raises(ValueError, match=r"calls.xlsx: .*\[columns\].interaction_id .*no column 'Call ID'"):
        parse([path], Settings(), first_sheet)  # the first sheet by default: Info has no such column
    with pytest.raises(ValueError, match=r"calls.xlsx: no header row \(row 3\): the file has 1 row"):
        parse([path], Settings(), {**first_sheet, "header_row": 3})


def test_an_xlsx_written_by_pandas_reads_its_first_sheet(tmp_path):
    path = tmp_path / "export.xlsx"
    pd.DataFrame({"id": ["k1", "k2"], "type": ["Web chat", "SMS"],
                  "created": [datetime(2026, 6, 1, 8, 0), datetime(2026, 6, 1, 9, 0)],
                  "handle (min)": [1.5, 2.0]}).to_excel(path, index=False, sheet_name="Export")
    parsed = parse([path], Settings(), {"columns": {
        "interaction_id": "id", "channel": "type", "arrived_at": "created",
        "talk_seconds": {"column": "handle (min)", "unit": "minutes"}},
        "values": {"channel": {"web chat": "chat"}}})
    assert list(parsed.rows["channel"]) == ["chat", "sms"]
    assert list(parsed.rows["arrived_at"]) == [at("2026-06-01 08:00"), at("2026-06-01 09:00")]
    assert list(parsed.rows["talk_seconds"]) == [90.0, 120.0]


def test_two_files_in_one_import(tmp_path):
    copy = tmp_path / "calls_de_copy.csv"
    shutil.copy(CALLS, copy)
    summary = run(tmp_path / "data", [CALLS, copy])
    assert summary.balanced
    assert summary.records_read == 22
    # the copy repeats every record: the later file's rows supersede the earlier's equal ones
    assert (summary.new, summary.superseded, summary.set_aside) == (5, 7, 10)


# --- reading without a Python loop per row (issue 16: 150,000 records/s) -------------------------------

def _python_calls(run) -> int:
    """The Python function calls `run` makes (on every thread it starts)."""
    count = [0]

    def profile(frame, event, arg):
        if event == "call":
            count[0] += 1  # a lost increment between threads would only lower the count

    threading.setprofile(profile)
    sys.setprofile(profile)
    try:
        run()
    finally:
        sys.setprofile(None)
        threading.setprofile(None)
    return count[0]


def test_the_python_work_of_a_parse_does_not_grow_with_its_rows(tmp_path):
    """The fixture's twelve rows (every kind of conversion, every problem) repeated: ten times the rows,
    and the Python calls stay the same, within a handful per column. The per-row conversion this
    replaced made about 20 calls a row: 36,000 for 1,000 rows, 216,000 for 10,000."""
    lines = CALLS.read_text(encoding="utf-8-sig").splitlines()
    document = mapping()
    counts = []
    for rows in (1_000, 10_000):
        path = write_csv(tmp_path, "\n".join([lines[0], *(lines[1 + i % 12] for i in range(rows))]) + "\n",
                         f"calls-{rows}.csv")
        parsed = parse([path], Settings(), document)  # once first: imports and caches warmed
        assert parsed.records_read == rows - rows // 12  # the empty row is no record
        counts.append(_python_calls(lambda path=path: parse([path], Settings(), document)))
    assert counts[1] < counts[0] + 1_000, counts


# --- messy files ----------------------------------------------------------------------------------------

MESSY_MAPPING = {"timezone": "Europe/Berlin", "columns": {
    "interaction_id": "id", "channel": {"value": "chat"}, "arrived_at": "start", "queue": "queue",
    "talk_seconds": "talk"}}


def test_a_windows_file_with_a_bom_quoted_line_breaks_and_empty_lines_keeps_its_row_numbers(tmp_path):
    """Rows are numbered as a spreadsheet numbers them: an empty line is a row, a quoted value over
    several lines is one row (with its own empty line), a line of delimiters is an empty row."""
    text = ('id,start,queue,talk\r\n'                                   # row 1
            'a,2026-05-01 10:00,"Billing, East",12\r\n'                 # row 2
            '\r\n'                                                       # row 3: empty
            'b,2026-05-01 11:00,"two\r\n\r\nlines",30\r\n'              # row 4 (over three lines)
            ',,,\r\n'                                                    # row 5: empty cells only
            'c,2026-05-01 12:00, Sales ,7\r\n'                           # row 6
            '\r\n'                                                       # row 7: empty
            'd,yesterday,Sales,1\r\n'                                    # row 8: set aside
            '\r\n')                                                      # row 9: empty, at the end
    path = tmp_path / "windows.csv"
    path.write_bytes(codecs.BOM_UTF8 + text.encode("utf-8"))
    parsed = parse([path], Settings(), MESSY_MAPPING)
    assert parsed.records_read == 4
    rows = parsed.rows.set_index("interaction_id")
    assert rows["source_row"].to_dict() == {"a": 2, "b": 4, "c": 6}
    assert rows.loc["a", "queue"] == "Billing, East"
    assert rows.loc["b", "queue"] == "two\r\n\r\nlines"  # the line breaks as written
    assert rows.loc["c", "queue"] == "Sales"  # stripped
    assert rows.loc["b", "arrived_at"] == at("2026-05-01 09:00")  # 11:00 in Berlin, summer time
    assert list(rows["talk_seconds"]) == [12.0, 30.0, 7.0]
    assert parsed.set_aside[["source_row", "reason"]].values.tolist() == [
        [8, "column start: not a date and time in ISO 8601 (like 2026-03-29 14:05:00): give its format"]]
    assert json.loads(parsed.set_aside.loc[0, "record"]) == {"id": "d", "start": "yesterday",
                                                             "queue": "Sales", "talk": "1"}


def test_old_mac_line_ends_and_nul_bytes(tmp_path):
    """\\r alone ends a line; NUL bytes (an unclean shutdown's) are kept in a value, not a reason to
    refuse the file; a line of NULs is a row (NUL is not white space), set aside by its missing time."""
    path = tmp_path / "mac.csv"
    path.write_bytes(b"id,start,queue,talk\r"
                     b"a,2026-05-01 10:00,Bill\x00ing,5\r"
                     b"\r"
                     b"\x00\x00\x00\r"
                     b"b,2026-05-01 10:30,Sales,6\r")
    parsed = parse([path], Settings(), MESSY_MAPPING)
    assert parsed.records_read == 3
    assert parsed.rows[["interaction_id", "source_row"]].values.tolist() == [
        ["a", 2], ["\x00\x00\x00", 4], ["b", 5]]
    assert parsed.rows["queue"].tolist()[::2] == ["Bill\x00ing", "Sales"]
    assert pd.isna(parsed.rows.loc[1, "queue"]) and pd.isna(parsed.rows.loc[1, "arrived_at"])
    summary = import_files(tmp_path / "data", "csv", [path], Settings(), MESSY_MAPPING)
    assert (summary.records_read, summary.new, summary.set_aside) == (3, 2, 1) and summary.balanced
    assert list(summary.set_aside_rows["source_row"]) == [4]  # no time: the contract's checks


def test_a_row_with_many_surplus_fields_is_set_aside_with_their_number(tmp_path):
    """Fields beyond the header's are read as surplus columns, four at first: a file with a row of more
    (here 11 more, the value in the tenth) is read again with more, and the row's fields counted right:
    4 + 9 empty + x + 1 empty."""
    path = write_csv(tmp_path, "id,start,queue,talk\n"
                               "a,2026-05-01 10:00,Sales,5\n"
                               "b,2026-05-01 10:00,Sales,5" + "," * 10 + "x,\n"
                               "c,2026-05-01 10:00,Sales,5,,,\n")  # surplus fields, all empty: kept
    parsed = parse([path], Settings(), MESSY_MAPPING)
    assert list(parsed.rows["interaction_id"]) == ["a", "c"]
    assert parsed.set_aside[["source_row", "reason"]].values.tolist() == [
        [3, "15 fields where the header has 4 (a ',' inside an unquoted value?)"]]
    assert json.loads(parsed.set_aside.loc[0, "record"]) == {"id": "b", "start": "2026-05-01 10:00",
                                                             "queue": "Sales", "talk": "5"}


@pytest.mark.parametrize(("line", "queue"), [
    ('a,2026-05-01 10:00,""abc",5', 'abc"'),     # a quoted empty value, then text
    ('a,2026-05-01 10:00, "x",5', '"x"'),         # a blank before the quote: the quotes are text
    ('a,2026-05-01 10:00,"ab"cd,5', "abcd"),      # text after the closing quote
    ('a,2026-05-01 10:00,"x" ,5', "x"),           # a blank after it
    ('a,2026-05-01 10:00,5" screen,5', '5" screen'),  # a quote inside an unquoted value: text
])
def test_quotes_are_read_as_pythons_csv_module_reads_them(tmp_path, line, queue):
    """DuckDB's reader reads these otherwise (""abc" would swallow the rest of the file): a file with
    them is first rewritten by Python's csv module, so every file reads as it did."""
    path = write_csv(tmp_path, f"id,start,queue,talk\n{line}\nz,2026-05-01 11:00,Sales,6\n")
    parsed = parse([path], Settings(), MESSY_MAPPING)
    assert parsed.rows[["interaction_id", "queue"]].values.tolist() == [["a", queue], ["z", "Sales"]]
    assert parsed.set_aside.empty


def test_a_quote_left_open_runs_to_the_end_of_the_file(tmp_path):
    path = write_csv(tmp_path, 'id,start,queue,talk\na,2026-05-01 10:00,"open,5\nb,2026-05-01 11:00,x,6\n')
    parsed = parse([path], Settings(), MESSY_MAPPING)
    assert parsed.records_read == 1
    assert parsed.rows.loc[0, "queue"] == "open,5\nb,2026-05-01 11:00,x,6"  # stripped of its last \n
    assert pd.isna(parsed.rows.loc[0, "talk_seconds"])


def test_the_file_is_scanned_alike_whatever_its_chunks(tmp_path, monkeypatch):
    """A file is checked a chunk at a time: a run of quotes, a \\r\\n or an empty line split by a chunk's
    end reads as in one piece."""
    text = ('id,start,queue,talk\r\n"a",2026-05-01 10:00,"say ""hi""\r\n\r\n",1\r\n\r\n'
            'b,2026-05-01 10:30,"x""""",2\r\r\nc,2026-05-01 11:00,Sales,3\r\n')
    path = write_csv(tmp_path, text)
    whole = parse([path], Settings(), MESSY_MAPPING)
    assert whole.rows[["interaction_id", "queue", "source_row"]].values.tolist() == [
        ["a", 'say "hi"', 2], ["b", 'x""', 4], ["c", "Sales", 6]]
    for size in (1, 2, 3, 5, 8):
        monkeypatch.setattr(csv_mapping, "CHUNK_BYTES", size)
        monkeypatch.setattr(csv_mapping, "HEAD_BYTES", size)
        parsed = parse([path], Settings(), MESSY_MAPPING)
        assert parsed.rows.equals(whole.rows), size


def test_white_space_is_what_pythons_str_strip_takes_away():
    assert set(csv_mapping.SPACES) == {c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace()}


def test_a_file_not_in_its_encoding_names_the_first_bad_byte_past_the_first_chunk(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_mapping, "CHUNK_BYTES", 16)
    monkeypatch.setattr(csv_mapping, "HEAD_BYTES", 16)
    body = "".join(f"r{n},2026-05-01 10:00,Sales,{n}\n" for n in range(20))
    path = write_csv(tmp_path, "id,start,queue,talk\n" + body + "x,2026-05-01 10:00,Köln,1\n",
                     encoding="cp1252")
    bad = len(("id,start,queue,talk\n" + body + "x,2026-05-01 10:00,K").encode())
    with pytest.raises(ValueError, match=rf"export.csv: not utf-8 text \(byte {bad}\)"):
        parse([path], Settings(), MESSY_MAPPING)
    parsed = parse([path], Settings(), {**MESSY_MAPPING, "encoding": "cp1252"})
    assert parsed.rows["queue"].iloc[-1] == "Köln" and parsed.records_read == 21


def test_an_excel_sheet_of_typed_cells_converts_them_as_its_text_shows(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["id", "start", "queue", "talk", "done", "rating"])
    sheet.append([7.0, datetime(2026, 5, 4, 9, 0), 5001, time(0, 2, 30), True, 9.0])
    sheet.append(["x8", "2026-05-04 10:00", 2.5, 90, "Ja", "8"])
    sheet.append([9, 45000, "Sales", "1:30", 1, True])
    path = tmp_path / "typed.xlsx"
    book.save(path)
    document = {"columns": {"interaction_id": "id", "channel": {"value": "phone"}, "arrived_at": "start",
                            "queue": "queue", "talk_seconds": "talk",
                            "resolved_first_contact": {"column": "done", "true": ["ja", "1"]},
                            "csat_score": {"column": "rating", "scale": [1, 10]}}}
    parsed = parse([path], Settings(), document)
    rows = parsed.rows.set_index("interaction_id")
    assert list(rows.index) == ["7", "x8"]  # numbers as text, without ".0"
    assert list(rows["queue"]) == ["5001", "2.5"]
    assert list(rows["talk_seconds"]) == [150.0, 90.0]  # a time cell as it shows; a number of seconds
    assert [bool(v) for v in rows["resolved_first_contact"]] == [True, True]  # a true cell; "Ja" listed
    assert list(rows["csat_score"]) == [5, 4]  # 9 and 8 on 1-10
    assert rows.loc["7", "arrived_at"] == at("2026-05-04 09:00")  # no zone: UTC
    aside = parsed.set_aside.set_index("source_row")
    assert aside.loc[4, "reason"] == ("column start: not a date and time in ISO 8601 (like 2026-03-29 "
                                      "14:05:00): give its format")  # 45000 is a number, not a time
    assert json.loads(aside.loc[4, "record"]) == {"id": 9, "start": 45000, "queue": "Sales", "talk": "1:30",
                                                  "done": 1, "rating": True}


# --- the contracts of sql/import_csv_*.sql (run by tests/test_sql_contract.py) ---------------------------

def import_csv_records(prepared) -> None:
    """One row per record that is not an empty line, in the file's order: quoted delimiters, doubled
    quotes and line breaks inside a value; a short record filled with nulls, an empty field ''; fields
    beyond the header's in the surplus columns; a byte-order mark and \\r\\n ends left out."""
    folder = prepared.folder / "scratch"
    folder.mkdir(exist_ok=True)
    path = folder / "records.csv"
    path.write_bytes(codecs.BOM_UTF8 + (b'id;note;n\r\n'
                                        b'a;"one; two";1\r\n'
                                        b'\r\n'
                                        b'b;"say ""hi""\r\nbye";\r\n'
                                        b'c\r\n'
                                        b'd;x;2;extra;;more\r\n'
                                        b';"";\r\n'))
    con = connect()
    try:
        con.execute("set preserve_insertion_order = true")
        frame = con.sql(load_sql("import_csv_records"), params={
            "path": str(path), "delimiter": ";", "missing": csv_mapping.NO_VALUE,
            "columns": dict.fromkeys(["f0", "f1", "f2", "s0", "s1", "s2", "s3"], "VARCHAR")}).df()
    finally:
        con.close()
    assert list(frame.columns) == ["f0", "f1", "f2", "s0", "s1", "s2", "s3"]
    rows = frame.astype(object).where(frame.notna(), None).values.tolist()
    assert rows == [
        ["id", "note", "n", None, None, None, None],
        ["a", "one; two", "1", None, None, None, None],
        ["b", 'say "hi"\r\nbye', "", None, None, None, None],
        ["c", None, None, None, None, None, None],
        ["d", "x", "2", "extra", "", "more", None],
        ["", "", "", None, None, None, None]]
    assert frame["f0"].notna().all()  # every record has a first field


def import_csv_times(prepared) -> None:
    """One row per cell, in order: the text read with the format, null where it does not fit or names a
    day the calendar lacks; with %z, an instant."""
    con = connect()
    try:
        con.execute("set preserve_insertion_order = true")
        con.execute("set TimeZone = 'UTC'")
        con.register("cells", pa.table({"text": ["05.03.2026 08:00:00", None, "31.02.2026 01:00:00",
                                                  "1.3.2026 9:05:07", "yesterday"]}))
        frame = con.sql(load_sql("import_csv_times"), params={"format": "%d.%m.%Y %H:%M:%S"}).df()
        con.register("cells", pa.table({"text": ["2026-03-05 08:00:00+0100", "2026-03-05 08:00:00-05:30"]}))
        zoned = con.sql(load_sql("import_csv_times"), params={"format": "%Y-%m-%d %H:%M:%S%z"}).df()
        con.register("cells", pa.table({"text": ["2026-03-05T08:00", "2026-03-05 08:00:30",
                                                  "2026-02-30 08:00"]}))
        either = con.sql(load_sql("import_csv_times"), params={
            "format": ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M"]}).df()
    finally:
        con.close()
    assert list(frame.columns) == ["at"] and len(frame) == 5
    assert [None if pd.isna(v) else pd.Timestamp(v) for v in frame["at"]] == [
        pd.Timestamp("2026-03-05 08:00"), None, None, pd.Timestamp("2026-03-01 09:05:07"), None]
    assert list(zoned["at"]) == [at("2026-03-05 07:00"), at("2026-03-05 13:30")]
    assert [None if pd.isna(v) else pd.Timestamp(v) for v in either["at"]] == [  # the first format that fits
        pd.Timestamp("2026-03-05 08:00"), pd.Timestamp("2026-03-05 08:00:30"), None]


SQL_CONTRACTS = {"import_csv_records": import_csv_records, "import_csv_times": import_csv_times}
