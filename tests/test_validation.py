"""Every bad input the contract names: set aside with its reason, counted, shown, never fatal."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest

from cxdash import cli, health
from cxdash.ingest import PrepareReport, prepare
from cxdash.kpis import Filters, Period, kpi_values
from cxdash.settings import load_settings
from cxdash.store import Store
from tests.builders import (
    utc,
    write_bytes,
    write_costs,
    write_costs_csv,
    write_interactions,
    write_orders,
    write_raw_parquet,
    write_settings,
)

PART = "interactions/part.parquet"
TENTH = Period(date(2024, 1, 10), date(2024, 1, 10))


def call(interaction_id: str, **values) -> dict:
    """A phone call answered after 10 s at 10:00 Los Angeles time on 10 January 2024."""
    return {"interaction_id": interaction_id, "channel": "phone", "arrived_at": "2024-01-10 18:00:00",
            "answered_at": "2024-01-10 18:00:10", "ended_at": "2024-01-10 18:05:00",
            "abandoned": False, "talk_seconds": 290.0, **values}


@pytest.fixture
def opened():
    """Open a store on a folder; closed after the test."""
    stores: list[Store] = []

    def open_store(folder: Path) -> Store:
        stores.append(Store.open(folder))
        return stores[-1]

    yield open_store
    for store in stores:
        store.close()


def file_report(report: PrepareReport, path: str):
    [found] = [f for f in report.files if f.path == path]
    return found


def assert_counts_add_up(report: PrepareReport) -> None:
    for f in report.files:
        assert f.rows_read == f.rows_used + f.rows_set_aside, f.path


def assert_set_aside(store: Store, path: str, column: str, problem: str, rows: int) -> None:
    """The file's report, its message and the viewable set-aside rows all tell the same story."""
    report = file_report(store.report, path)
    assert {"column": column, "problem": problem, "rows": rows} in report.problems
    noun = "row" if rows == 1 else "rows"
    assert f"{path}: column {column}: {rows} {noun} {problem}; set aside." in store.report.messages()
    aside = health.set_aside_rows(store, path)
    assert aside["reason"].str.contains(f"{column}: {problem}", regex=False).sum() == rows
    assert (aside["source_file"] == path).all()
    assert_counts_add_up(store.report)


# --- unreadable files ------------------------------------------------------------------------------

def test_a_corrupt_file_is_skipped_named_and_the_other_files_are_used(tmp_path, opened):
    write_interactions(tmp_path, [call("a"), call("b")], "interactions/good.parquet")
    write_bytes(tmp_path, "interactions/broken.parquet", b"this is not a parquet file at all")
    store = opened(tmp_path)
    [broken] = store.report.unreadable
    assert broken.path == "interactions/broken.parquet"
    assert broken.rows_read == broken.rows_used == broken.rows_set_aside == 0
    assert any(line.startswith("interactions/broken.parquet: the file could not be read")
               for line in store.report.messages())
    assert not store.report.clean
    assert kpi_values(store, TENTH)["contacts"] == 2
    assert health.problems_frame(store.report)["file"].tolist() == ["interactions/broken.parquet"]
    assert str(tmp_path) not in broken.unreadable  # the browser shows it: no absolute path
    assert "interactions/broken.parquet" in broken.unreadable


def test_a_truncated_parquet_file_is_unreadable(tmp_path, opened):
    write_interactions(tmp_path, [call("a")], "interactions/good.parquet")
    whole = write_interactions(tmp_path, [call("b"), call("c")], "interactions/cut.parquet")
    whole.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    store = opened(tmp_path)
    assert [f.path for f in store.report.unreadable] == ["interactions/cut.parquet"]
    assert kpi_values(store, TENTH)["contacts"] == 1


def test_a_folder_of_only_corrupt_files_still_opens(tmp_path, opened):
    write_bytes(tmp_path, PART, b"\x00\x01garbage")
    store = opened(tmp_path)
    assert not store.has_interactions
    assert kpi_values(store, TENTH)["contacts"] == 0


# --- missing columns and wrong types --------------------------------------------------------------

def test_a_missing_required_column_sets_aside_every_row_and_names_the_column(tmp_path, opened):
    write_raw_parquet(tmp_path, PART, {
        "interaction_id": ["a", "b", "c"],
        "arrived_at": [utc("2024-01-10 18:00")] * 3,
    })
    store = opened(tmp_path)
    report = file_report(store.report, PART)
    assert (report.rows_read, report.rows_used, report.rows_set_aside) == (3, 0, 3)
    assert_set_aside(store, PART, "channel", "missing required column", 3)
    assert not store.has_interactions


def test_a_text_in_a_number_column_is_set_aside_as_not_a_whole_number(tmp_path, opened):
    write_raw_parquet(tmp_path, PART, {
        "interaction_id": ["a", "b", "c"],
        "channel": ["phone"] * 3,
        "arrived_at": [utc("2024-01-10 18:00")] * 3,
        "abandoned": [True] * 3,
        "csat_score": ["5", "great", "4"],
    })
    store = opened(tmp_path)
    report = file_report(store.report, PART)
    assert (report.rows_read, report.rows_used, report.rows_set_aside) == (3, 2, 1)
    assert_set_aside(store, PART, "csat_score", "not a valid whole number", 1)
    aside = health.set_aside_rows(store, PART)
    assert aside["csat_score"].tolist() == ["great"]
    # the text "5" and "4" are read as ratings: both good
    assert kpi_values(store, TENTH)["csat_pct"] == pytest.approx(100.0)


def test_a_fractional_score_is_not_a_whole_number(tmp_path, opened):
    write_raw_parquet(tmp_path, PART, {
        "interaction_id": ["a", "b"],
        "channel": ["phone"] * 2,
        "arrived_at": [utc("2024-01-10 18:00")] * 2,
        "abandoned": [True] * 2,
        "nps_score": [7.0, 7.5],
    })
    store = opened(tmp_path)
    assert_set_aside(store, PART, "nps_score", "not a whole number", 1)


def test_an_unparsable_arrival_time_is_set_aside(tmp_path, opened):
    write_raw_parquet(tmp_path, PART, {
        "interaction_id": ["a", "b"],
        "channel": ["phone"] * 2,
        "arrived_at": ["2024-01-10 18:00:00", "yesterday afternoon"],
        "abandoned": [True] * 2,
    })
    store = opened(tmp_path)
    assert_set_aside(store, PART, "arrived_at", "not a valid timestamp", 1)
    assert kpi_values(store, TENTH)["contacts"] == 1


def test_an_empty_required_value_is_set_aside(tmp_path, opened):
    write_interactions(tmp_path, [call("a"), call("b", arrived_at=None, answered_at=None)])
    store = opened(tmp_path)
    assert_set_aside(store, PART, "arrived_at", "is empty", 1)


def test_columns_outside_the_contract_are_ignored_and_listed(tmp_path, opened):
    write_raw_parquet(tmp_path, PART, {
        "interaction_id": ["a"], "channel": ["phone"], "arrived_at": [utc("2024-01-10 18:00")],
        "abandoned": [True], "mood": ["sunny"],
    })
    store = opened(tmp_path)
    report = file_report(store.report, PART)
    assert report.ignored_columns == ["mood"]
    assert report.rows_used == 1


# --- values outside the contract --------------------------------------------------------------------

def test_an_unknown_channel_is_set_aside(tmp_path, opened):
    write_interactions(tmp_path, [call("a"), call("b", channel="fax"), call("c", channel="pigeon")])
    store = opened(tmp_path)
    assert_set_aside(store, PART, "channel", "unknown channel", 2)
    assert set(health.set_aside_rows(store)["channel"]) == {"fax", "pigeon"}


def test_channel_names_are_read_in_any_case_and_spacing(tmp_path, opened):
    write_interactions(tmp_path, [call("a", channel="PHONE"), call("b", channel=" Chat "),
                                  call("c", channel="Email")])
    store = opened(tmp_path)
    assert store.report.clean
    assert kpi_values(store, TENTH, Filters(channels=("phone",)))["contacts"] == 1
    assert kpi_values(store, TENTH, Filters(channels=("chat",)))["contacts"] == 1
    assert kpi_values(store, TENTH, Filters(channels=("email",)))["contacts"] == 1


@pytest.mark.parametrize(("column", "low", "high", "bad", "problem"), [
    ("csat_score", 1, 5, 6, "outside 1-5"),
    ("csat_score", 1, 5, 0, "outside 1-5"),
    ("nps_score", 0, 10, 11, "outside 0-10"),
    ("ces_score", 1, 7, 0, "outside 1-7"),
    ("tier", 1, 3, 4, "outside 1-3"),
])
def test_a_score_outside_its_scale_is_set_aside_and_the_ends_of_the_scale_are_kept(
        tmp_path, opened, column, low, high, bad, problem):
    write_interactions(tmp_path, [call("low", **{column: low}), call("high", **{column: high}),
                                  call("bad", **{column: bad})])
    store = opened(tmp_path)
    report = file_report(store.report, PART)
    assert (report.rows_read, report.rows_used, report.rows_set_aside) == (3, 2, 1)
    assert_set_aside(store, PART, column, problem, 1)
    assert health.set_aside_rows(store)["interaction_id"].tolist() == ["bad"]


@pytest.mark.parametrize("column", ["talk_seconds", "hold_seconds", "wrap_seconds"])
def test_a_negative_duration_is_set_aside(tmp_path, opened, column):
    write_interactions(tmp_path, [call("zero", **{column: 0.0}), call("negative", **{column: -1.0})])
    store = opened(tmp_path)
    assert_set_aside(store, PART, column, "negative", 1)
    assert health.set_aside_rows(store)["interaction_id"].tolist() == ["negative"]


def test_an_answer_before_the_arrival_is_set_aside(tmp_path, opened):
    write_interactions(tmp_path, [call("a"), call("b", answered_at="2024-01-10 17:59:59")])
    store = opened(tmp_path)
    assert_set_aside(store, PART, "answered_at", "answered before arrived", 1)


def test_an_end_before_the_arrival_is_set_aside(tmp_path, opened):
    write_interactions(tmp_path, [call("a"), call("b", ended_at="2024-01-10 17:00:00")])
    store = opened(tmp_path)
    assert_set_aside(store, PART, "ended_at", "ended before arrived", 1)


def test_a_contact_both_abandoned_and_answered_is_set_aside(tmp_path, opened):
    write_interactions(tmp_path, [call("a"), call("b", abandoned=True)])
    store = opened(tmp_path)
    assert_set_aside(store, PART, "abandoned", "marked abandoned but answered", 1)


def test_a_row_with_several_problems_is_set_aside_once_with_every_reason(tmp_path, opened):
    write_interactions(tmp_path, [call("a"), call("b", channel="fax", csat_score=9)])
    store = opened(tmp_path)
    report = file_report(store.report, PART)
    assert (report.rows_read, report.rows_used, report.rows_set_aside) == (2, 1, 1)
    [reason] = health.set_aside_rows(store)["reason"].tolist()
    assert "channel: unknown channel" in reason and "csat_score: outside 1-5" in reason


# --- duplicate ids -----------------------------------------------------------------------------------

def test_a_repeated_id_within_a_file_keeps_the_first_row(tmp_path, opened):
    write_interactions(tmp_path, [call("a"), call("b"), call("a", talk_seconds=1.0), call("a")])
    store = opened(tmp_path)
    report = file_report(store.report, PART)
    assert (report.rows_read, report.rows_used, report.rows_set_aside) == (4, 2, 2)
    assert_set_aside(store, PART, "interaction_id", "repeats an id seen earlier in this file", 2)
    # rows are numbered from 1 as a spreadsheet counts: the repeats are rows 3 and 4
    assert health.set_aside_rows(store)["source_row"].tolist() == [3, 4]
    assert kpi_values(store, TENTH)["aht_seconds"] == pytest.approx(290.0)


def test_an_id_already_used_in_another_file_is_set_aside_naming_that_file(tmp_path, opened):
    write_interactions(tmp_path, [call("a"), call("b")], "interactions/2024-01a.parquet")
    write_interactions(tmp_path, [call("b"), call("c")], "interactions/2024-01b.parquet")
    store = opened(tmp_path)
    first = file_report(store.report, "interactions/2024-01a.parquet")
    second = file_report(store.report, "interactions/2024-01b.parquet")
    assert (first.rows_read, first.rows_used, first.rows_set_aside) == (2, 2, 0)
    assert (second.rows_read, second.rows_used, second.rows_set_aside) == (2, 1, 1)
    assert second.duplicates_of == ["interactions/2024-01a.parquet"]
    [message] = store.report.messages()
    assert message.startswith("interactions/2024-01b.parquet: column interaction_id: 1 row")
    assert "interactions/2024-01a.parquet" in message
    assert health.set_aside_rows(store)["interaction_id"].tolist() == ["b"]
    assert kpi_values(store, TENTH)["contacts"] == 3


def test_removing_the_first_file_lets_the_repeated_ids_of_the_second_count(tmp_path, opened):
    first = write_interactions(tmp_path, [call("a"), call("b")], "interactions/2024-01a.parquet")
    write_interactions(tmp_path, [call("b"), call("c")], "interactions/2024-01b.parquet")
    opened(tmp_path)
    first.unlink()
    store = opened(tmp_path)
    assert store.report.clean
    assert store.report.reprocessed == ["interactions:interactions/2024-01b.parquet"]
    assert kpi_values(store, TENTH)["contacts"] == 2


def test_repeated_order_ids_across_two_order_files_are_set_aside(tmp_path, opened):
    def order(order_id: str) -> dict:
        return {"order_id": order_id, "customer_id": "c1", "ordered_at": "2024-01-10 18:00:00",
                "revenue_usd": 25.0}

    write_orders(tmp_path, [order("o1"), order("o2")], "orders/a.parquet")
    write_orders(tmp_path, [order("o2"), order("o3")], "orders/b.parquet")
    store = opened(tmp_path)
    second = file_report(store.report, "orders/b.parquet")
    assert (second.rows_read, second.rows_used, second.rows_set_aside) == (2, 1, 1)
    assert second.problems[0]["column"] == "order_id"
    assert second.duplicates_of == ["orders/a.parquet"]


# --- other tables -------------------------------------------------------------------------------------

def test_a_csv_cost_with_a_bad_amount_is_set_aside_and_the_rest_used(tmp_path, opened):
    write_interactions(tmp_path, [call("a")])
    write_costs_csv(tmp_path, [
        {"month": "2024-01-01", "channel": "phone", "cost_type": "labor", "amount_usd": "3100"},
        {"month": "2024-01-01", "channel": "Phone", "cost_type": "Technology", "amount_usd": "a lot"},
    ])
    store = opened(tmp_path)
    report = file_report(store.report, "costs/costs.csv")
    assert (report.rows_read, report.rows_used, report.rows_set_aside) == (2, 1, 1)
    assert_set_aside(store, "costs/costs.csv", "amount_usd", "not a valid number", 1)
    assert health.set_aside_rows(store, "costs/costs.csv")["amount_usd"].tolist() == ["a lot"]
    # $3,100 over January's 31 days = $100 for the day, one served call
    assert kpi_values(store, TENTH)["cost_per_contact_usd"] == pytest.approx(100.0)


def test_an_unknown_cost_type_or_channel_is_set_aside(tmp_path, opened):
    write_costs(tmp_path, [
        {"month": "2024-01-01", "channel": "phone", "cost_type": "labor", "amount_usd": 1.0},
        {"month": "2024-01-01", "channel": "phone", "cost_type": "snacks", "amount_usd": 1.0},
        {"month": "2024-01-01", "channel": "fax", "cost_type": "labor", "amount_usd": 1.0},
    ])
    store = opened(tmp_path)
    assert_set_aside(store, "costs/costs.parquet", "cost_type", "unknown cost type", 1)
    assert_set_aside(store, "costs/costs.parquet", "channel", "unknown channel", 1)


def test_a_cost_month_that_is_not_the_first_of_a_month_is_set_aside(tmp_path, opened):
    # spreading a month that starts on the 15th would book the cost over the wrong days
    write_costs(tmp_path, [
        {"month": "2024-01-01", "channel": "phone", "cost_type": "labor", "amount_usd": 3100.0},
        {"month": "2024-02-15", "channel": "phone", "cost_type": "labor", "amount_usd": 2900.0},
    ])
    store = opened(tmp_path)
    report = file_report(store.report, "costs/costs.parquet")
    assert (report.rows_read, report.rows_used, report.rows_set_aside) == (2, 1, 1)
    assert report.problems[0]["column"] == "month"


# --- timestamps -----------------------------------------------------------------------------------------

def test_naive_timestamps_are_read_as_utc(tmp_path, opened):
    write_raw_parquet(tmp_path, PART, {
        "interaction_id": ["a"],
        "channel": ["self_service"],
        "arrived_at": [datetime(2024, 1, 2, 6, 30)],  # no zone: 06:30 UTC = 22:30 on 1 Jan in LA
        "abandoned": [False],
    })
    store = opened(tmp_path)
    assert store.report.clean
    assert kpi_values(store, Period(date(2024, 1, 1), date(2024, 1, 1)))["contacts"] == 1
    assert kpi_values(store, Period(date(2024, 1, 2), date(2024, 1, 2)))["contacts"] == 0


def test_timestamps_written_as_text_are_read(tmp_path, opened):
    write_raw_parquet(tmp_path, PART, {
        "interaction_id": ["a", "b"],
        "channel": ["phone", "phone"],
        "arrived_at": ["2024-01-10T18:00:00Z", "2024-01-10 10:00:00-08:00"],
        "answered_at": ["2024-01-10T18:00:10Z", "2024-01-10 10:00:30-08:00"],
    })
    store = opened(tmp_path)
    assert store.report.clean
    # waits of 10 s and 30 s
    assert kpi_values(store, TENTH)["asa_seconds"] == pytest.approx(20.0)


def test_a_missing_abandoned_column_is_derived_from_the_answer_on_live_channels(tmp_path, opened):
    write_raw_parquet(tmp_path, PART, {
        "interaction_id": ["a", "b", "c"],
        "channel": ["phone", "phone", "email"],
        "arrived_at": [utc("2024-01-10 18:00")] * 3,
        "answered_at": [utc("2024-01-10 18:00:10"), None, None],
        "ended_at": [None, utc("2024-01-10 18:01"), None],
    })
    store = opened(tmp_path)
    values = kpi_values(store, TENTH)
    # phone: one answered, one gave up after 60 s -> 1 of 2 abandoned; the email is not an abandon
    assert values["abandon_rate_pct"] == pytest.approx(50.0)


def test_an_empty_abandoned_value_is_derived_from_the_answer_on_live_channels(tmp_path, opened):
    write_interactions(tmp_path, [
        call("a", abandoned=None),
        call("b", abandoned=None, answered_at=None, talk_seconds=None),
    ])
    store = opened(tmp_path)
    assert store.report.clean
    # b was never answered: it left the queue after 5 min; 1 of 2 offered abandoned
    assert kpi_values(store, TENTH)["abandon_rate_pct"] == pytest.approx(50.0)


# --- the empty folder --------------------------------------------------------------------------------------

def test_an_empty_folder_opens_with_no_interactions(tmp_path, opened):
    store = opened(tmp_path)
    assert store.report.files == []
    assert not store.has_interactions
    assert health.set_aside_rows(store).empty


def test_validate_on_an_empty_folder_exits_1_and_says_there_are_no_interactions(tmp_path, capsys):
    assert cli.main(["validate", "--data", str(tmp_path)]) == 1
    assert "no interaction files" in capsys.readouterr().out


def test_validate_json_on_an_empty_folder_exits_1_with_the_message(tmp_path, capsys):
    assert cli.main(["validate", "--data", str(tmp_path), "--json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["rows_read"] == 0
    assert any("no interaction files" in line for line in document["messages"])


# --- the command line ------------------------------------------------------------------------------------

def test_validate_json_reports_counts_and_exits_1_when_rows_were_set_aside(tmp_path, capsys):
    write_interactions(tmp_path, [call("a"), call("b", csat_score=6), call("c", channel="fax")])
    write_bytes(tmp_path, "interactions/broken.parquet", b"not parquet")
    assert cli.main(["validate", "--data", str(tmp_path), "--json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert (document["rows_read"], document["rows_used"], document["rows_set_aside"]) == (3, 1, 2)
    assert document["unreadable_files"] == 1
    [part] = [f for f in document["files"] if f["path"] == PART]
    assert (part["rows_read"], part["rows_used"], part["rows_set_aside"]) == (3, 1, 2)
    assert f"{PART}: column csat_score: 1 row outside 1-5; set aside." in document["messages"]
    assert f"{PART}: column channel: 1 row unknown channel; set aside." in document["messages"]
    assert any(line.startswith("interactions/broken.parquet") for line in document["messages"])


def test_validate_text_report_names_file_column_and_count(tmp_path, capsys):
    write_interactions(tmp_path, [call("a"), call("b", talk_seconds=-3.0), call("c", talk_seconds=-1.0)])
    assert cli.main(["validate", "--data", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "interactions: 1 file(s), 3 rows read = 1 used + 2 set aside" in out
    assert f"{PART}: column talk_seconds: 2 rows negative; set aside." in out


def test_validate_exits_0_on_a_clean_folder(tmp_path, capsys):
    write_interactions(tmp_path, [call("a"), call("b")])
    write_costs(tmp_path, [{"month": "2024-01-01", "channel": "phone", "cost_type": "labor",
                            "amount_usd": 100.0}])
    assert cli.main(["validate", "--data", str(tmp_path), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert (document["rows_read"], document["rows_used"], document["rows_set_aside"]) == (3, 3, 0)
    assert document["messages"] == []
    assert cli.main(["validate", "--data", str(tmp_path)]) == 0
    assert "All files pass the data contract." in capsys.readouterr().out


def test_validate_lists_settings_problems(tmp_path, capsys):
    write_interactions(tmp_path, [call("a")])
    write_settings(tmp_path, 'timezone = "Mars/Olympus_Mons"\n')
    # a setting not used (its default in effect instead) fails validation, as a row set aside does
    assert cli.main(["validate", "--data", str(tmp_path), "--json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert any("Mars/Olympus_Mons" in line for line in document["settings_problems"])


# --- preparing once per change ---------------------------------------------------------------------------

def test_adding_a_month_reprocesses_only_the_new_file(tmp_path, opened):
    write_interactions(tmp_path, [call("a")], "interactions/2024-01.parquet")
    first = opened(tmp_path)
    assert first.report.reprocessed == ["interactions:interactions/2024-01.parquet"]
    write_interactions(tmp_path, [call("b", arrived_at="2024-02-10 18:00:00",
                                      answered_at="2024-02-10 18:00:10", ended_at=None)],
                       "interactions/2024-02.parquet")
    second = opened(tmp_path)
    assert second.report.reprocessed == ["interactions:interactions/2024-02.parquet"]
    assert kpi_values(second, Period(date(2024, 1, 1), date(2024, 2, 29)))["contacts"] == 2


def test_reopening_an_unchanged_folder_reprocesses_nothing(tmp_path, opened):
    write_interactions(tmp_path, [call("a"), call("b", channel="fax")])
    opened(tmp_path)
    again = opened(tmp_path)
    assert again.report.reprocessed == []
    # the report of the earlier run is kept, set-aside rows included
    assert file_report(again.report, PART).rows_set_aside == 1
    assert len(health.set_aside_rows(again)) == 1


def test_changing_a_file_reprocesses_it(tmp_path, opened):
    write_interactions(tmp_path, [call("a")], "interactions/2024-01.parquet")
    write_interactions(tmp_path, [call("b")], "interactions/2024-01-late.parquet")
    opened(tmp_path)
    write_interactions(tmp_path, [call("b"), call("c"), call("d")], "interactions/2024-01-late.parquet")
    store = opened(tmp_path)
    assert store.report.reprocessed == ["interactions:interactions/2024-01-late.parquet"]
    assert kpi_values(store, TENTH)["contacts"] == 4


def test_changing_settings_rebuilds_daily_figures_but_not_validation(tmp_path, opened):
    # waits of 10 s and 25 s: one within the default 20 s, both within 30 s
    write_interactions(tmp_path, [call("a"), call("b", answered_at="2024-01-10 18:00:25")])
    before = opened(tmp_path)
    assert kpi_values(before, TENTH)["service_level_pct"] == pytest.approx(50.0)
    fingerprint = file_report(before.report, PART).rollup_fingerprint

    write_settings(tmp_path, "[metrics]\nservice_level_seconds = 30\n")
    after = opened(tmp_path)
    assert after.report.reprocessed == []
    assert file_report(after.report, PART).rollup_fingerprint == load_settings(tmp_path).fingerprint()
    assert file_report(after.report, PART).rollup_fingerprint != fingerprint
    assert kpi_values(after, TENTH)["service_level_pct"] == pytest.approx(100.0)


def test_deleting_the_prepared_store_rebuilds_it(tmp_path, opened):
    write_interactions(tmp_path, [call("a")])
    opened(tmp_path)
    for path in sorted((tmp_path / ".cxdash").rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    store = opened(tmp_path)
    assert store.report.reprocessed == ["interactions:interactions/part.parquet"]
    assert kpi_values(store, TENTH)["contacts"] == 1


def test_prepare_reports_progress_and_finishes_ready(tmp_path):
    write_interactions(tmp_path, [call("a")])
    seen: list[tuple[float, str]] = []
    prepare(tmp_path, load_settings(tmp_path), lambda fraction, message: seen.append((fraction, message)))
    assert seen[-1] == (1.0, "Ready")
    assert all(0.0 <= fraction <= 1.0 for fraction, _ in seen)


def test_a_lost_manifest_rebuilds_without_counting_outputs_of_removed_files(tmp_path, opened):
    write_interactions(tmp_path, [call("a")], "interactions/2024-01a.parquet")
    gone = write_interactions(tmp_path, [call("b"), call("c", channel="fax")],
                              "interactions/2024-01b.parquet")
    opened(tmp_path)
    (tmp_path / ".cxdash" / "manifest.json").write_text("{ not json")
    gone.unlink()
    store = opened(tmp_path)
    assert store.report.reprocessed == ["interactions:interactions/2024-01a.parquet"]
    assert kpi_values(store, TENTH)["contacts"] == 1
    assert health.set_aside_rows(store).empty


def test_a_store_of_an_older_version_is_rebuilt(tmp_path, opened):
    write_interactions(tmp_path, [call("a")])
    opened(tmp_path)
    manifest_path = tmp_path / ".cxdash" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest_path.write_text(json.dumps({**manifest, "version": -1}))
    store = opened(tmp_path)
    assert store.report.reprocessed == ["interactions:interactions/part.parquet"]
    assert kpi_values(store, TENTH)["contacts"] == 1


# --- hostile files: internal names, impossible instants, durations, non-finite numbers ---------------

def _calls(count: int) -> dict[str, list]:
    return {"interaction_id": [f"c{n}" for n in range(count)], "channel": ["phone"] * count,
            "arrived_at": [utc("2024-01-10 18:00")] * count, "talk_seconds": [60.0] * count}


@pytest.mark.parametrize("own_column", ["source_row", "file_row_number", "record", "sort_time",
                                        "source_file", "reason"])
def test_a_file_column_named_like_an_internal_one_changes_nothing(tmp_path, opened, own_column):
    # a 50-row export with its own column of that name, 0 on every row, once counted 2,500 rows
    write_raw_parquet(tmp_path, PART, {**_calls(50), own_column: [0] * 50})
    store = opened(tmp_path)
    report = file_report(store.report, PART)
    assert (report.rows_read, report.rows_used, report.rows_set_aside) == (50, 50, 0)
    assert report.ignored_columns == [own_column]
    assert kpi_values(store, TENTH)["contacts"] == 50


def test_set_aside_rows_keep_a_file_column_named_source_row_beside_the_row_number(tmp_path, opened):
    columns = _calls(3)
    columns["talk_seconds"] = [60.0, -1.0, 60.0]
    write_raw_parquet(tmp_path, PART, {**columns, "source_row": [7, 8, 9], "reason": ["x"] * 3})
    store = opened(tmp_path)
    aside = health.set_aside_rows(store, PART)
    assert aside["source_row"].tolist() == [2]  # the file's second row, 1-based
    assert aside["reason"].tolist() == ["talk_seconds: negative"]
    assert aside["source_row_1"].tolist() == ["8"] and aside["reason_1"].tolist() == ["x"]


def test_a_csv_file_with_a_source_row_column_is_counted_once(tmp_path, opened):
    write_costs_csv(tmp_path, [{"month": "2024-01-01", "channel": "phone", "cost_type": "labor",
                                "amount_usd": "100", "source_row": "0"},
                               {"month": "2024-01-01", "channel": "chat", "cost_type": "labor",
                                "amount_usd": "50", "source_row": "0"}])
    write_interactions(tmp_path, [call("a")])
    store = opened(tmp_path)
    [costs] = store.report.for_table("costs")
    assert (costs.rows_read, costs.rows_used) == (2, 2)


def test_an_arrival_at_dotnet_min_value_is_set_aside_and_every_figure_still_works(tmp_path, opened):
    columns = _calls(3)
    columns["arrived_at"] = ["2024-01-10 18:00:00", "0001-01-01 00:00:00", "9999-12-31 23:59:59"]
    write_raw_parquet(tmp_path, PART, columns)
    store = opened(tmp_path)
    assert_set_aside(store, PART, "arrived_at",
                     "outside the plausible dates (the [validation] window of the settings)", 2)
    assert kpi_values(store, TENTH)["contacts"] == 1
    from cxdash import kpis
    assert kpis.data_span(store) == (date(2024, 1, 10), date(2024, 1, 10))


def test_an_answer_at_unix_time_zero_is_set_aside(tmp_path, opened):
    write_interactions(tmp_path, [call("a"), call("b", answered_at="1970-01-01 00:00:00")])
    store = opened(tmp_path)
    report = file_report(store.report, PART)
    assert (report.rows_used, report.rows_set_aside) == (1, 1)
    assert {"column": "answered_at", "problem": "outside the plausible dates (the [validation] window "
            "of the settings)", "rows": 1} in report.problems


def test_the_plausibility_window_is_a_setting(tmp_path, opened):
    write_interactions(tmp_path, [call("a"), call("b", arrived_at="2003-03-01 12:00:00",
                                                  answered_at=None, ended_at=None)])
    write_settings(tmp_path, '[validation]\nearliest = 2010-01-01\n')
    store = opened(tmp_path)
    assert file_report(store.report, PART).rows_set_aside == 1
    write_settings(tmp_path, '[validation]\nearliest = 2000-01-01\n')
    store = opened(tmp_path)  # a new window judges every file again
    assert file_report(store.report, PART).rows_set_aside == 0


def test_a_duration_column_is_read_as_seconds_not_microseconds(tmp_path, opened):
    from datetime import timedelta

    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = _calls(2)
    columns["talk_seconds"] = pa.array([timedelta(seconds=5), timedelta(minutes=2)], pa.duration("us"))
    columns["hold_seconds"] = pa.array([timedelta(seconds=1), None], pa.duration("ns"))
    (tmp_path / "interactions").mkdir()
    pq.write_table(pa.table(columns), tmp_path / PART)
    store = opened(tmp_path)
    assert file_report(store.report, PART).rows_set_aside == 0
    [talk] = store.cursor().execute("select list(talk_seconds order by interaction_id), "
                                    "list(hold_seconds order by interaction_id) from interactions").fetchall()
    assert talk == ([5.0, 120.0], [1.0, None])


def test_a_duration_in_a_score_column_is_set_aside(tmp_path, opened):
    from datetime import timedelta

    import pyarrow as pa

    columns = _calls(1)
    columns["csat_score"] = pa.array([timedelta(seconds=5)], pa.duration("s"))
    write_raw_parquet(tmp_path, PART, columns)
    store = opened(tmp_path)
    assert_set_aside(store, PART, "csat_score", "a duration, not a whole number", 1)


@pytest.mark.parametrize("bad", [float("inf"), float("-inf"), float("nan")])
def test_a_non_finite_duration_is_set_aside(tmp_path, opened, bad):
    columns = _calls(2)
    columns["talk_seconds"] = [60.0, bad]
    write_raw_parquet(tmp_path, PART, columns)
    store = opened(tmp_path)
    report = file_report(store.report, PART)
    assert (report.rows_used, report.rows_set_aside) == (1, 1)
    assert {"column": "talk_seconds", "problem": "not a finite number (infinite or NaN)",
            "rows": 1} in report.problems


def test_non_finite_text_in_a_csv_amount_is_set_aside(tmp_path, opened):
    write_costs_csv(tmp_path, [{"month": "2024-01-01", "channel": "phone", "cost_type": "labor",
                                "amount_usd": "inf"},
                               {"month": "2024-01-01", "channel": "chat", "cost_type": "labor",
                                "amount_usd": "NaN"},
                               {"month": "2024-01-01", "channel": "chat", "cost_type": "labor",
                                "amount_usd": "5"}])
    write_interactions(tmp_path, [call("a")])
    store = opened(tmp_path)
    [costs] = store.report.for_table("costs")
    assert (costs.rows_used, costs.rows_set_aside) == (1, 2)
