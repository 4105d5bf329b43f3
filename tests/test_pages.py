"""AppTest over every page: each renders without an exception, on the demo and on bad or empty data."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from cxdash import cli
from cxdash.safe import plain
from tests.apptest import page_warnings, run
from tests.builders import write_costs, write_interactions, write_settings

PAGES = ["pages/overview.py", "pages/quality.py", "pages/monthly_report.py", "pages/seasonality.py",
         "pages/forecast.py", "pages/staffing.py", "pages/data_health.py", "pages/data_import.py",
         "pages/audit.py", "pages/schedule.py"]


_run = run  # the harness's run: every page failure fails the test


def _kpis_json(folder: Path, start: str, end: str, capsys, *channels: str) -> dict:
    capsys.readouterr()
    args = ["kpis", "--data", str(folder), "--start", start, "--end", end, "--json"]
    for channel in channels:
        args += ["--channel", channel]
    assert cli.main(args) == 0
    return json.loads(capsys.readouterr().out)


def test_every_page_listed_in_the_frame_exists_and_is_listed():
    frame = (Path(__file__).resolve().parent.parent / "app.py").read_text()
    on_disk = sorted(p.as_posix() for p in Path("pages").glob("*.py"))
    assert sorted(PAGES) == on_disk
    for page in PAGES:  # app.py names each page by its URL path, the file's stem
        assert f'("{Path(page).stem}", ' in frame


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_on_the_demo_without_an_exception(app_test, demo_folder, page):
    at = _run(app_test(demo_folder), page)
    assert at.title and at.title[0].value in ("Overview", "Quality", "Monthly report", "Seasonality",
                                             "Forecast", "Staffing", "Data health", "Import",
                                             "Audit trail", "Schedule")
    assert not at.error


def test_overview_defaults_to_the_last_full_month_of_the_data(app_test, demo_folder, capsys):
    at = _run(app_test(demo_folder))
    assert at.date_input(key="period").value == (date(2026, 10, 1), date(2026, 10, 31))
    expected = _kpis_json(demo_folder, "2026-10-01", "2026-10-31", capsys)
    tiles = {metric.label: metric.value for metric in at.metric}
    assert tiles["Contacts"] == f"{expected['contacts']:,}"
    assert tiles["CSAT"] == f"{expected['csat_pct']:.1f}%"
    assert tiles["AHT"] == f"{expected['aht_seconds']:,.0f} s"
    assert tiles["Cost per contact"] == f"${expected['cost_per_contact_usd']:,.2f}"


def test_channel_filter_from_the_url_changes_the_tiles(app_test, demo_folder, capsys):
    at = _run(app_test(demo_folder, {"channel": "email"}))
    assert at.multiselect(key="channel").value == ["email"]
    expected = _kpis_json(demo_folder, "2026-10-01", "2026-10-31", capsys, "email")
    tiles = {metric.label: metric.value for metric in at.metric}
    assert tiles["Contacts"] == f"{expected['contacts']:,}"
    # ASA belongs to the live channels: email alone has no basis for it
    assert expected["asa_seconds"] is None and tiles["ASA"] == "–"
    assert tiles["First response in target"] == f"{expected['first_response_target_pct']:.1f}%"


def test_a_period_without_contacts_says_so_instead_of_showing_empty_tiles(app_test, tmp_path):
    folder = tmp_path / "gap"
    # contacts in January and March 2026 only: February, picked from the URL, has none
    write_interactions(folder, [
        {"interaction_id": "a", "channel": "phone", "arrived_at": "2026-01-15 18:00"},
        {"interaction_id": "b", "channel": "chat", "arrived_at": "2026-03-15 18:00"},
    ])
    at = _run(app_test(folder, {"period": ["2026-02-01", "2026-02-28"]}))
    assert at.date_input(key="period").value == (date(2026, 2, 1), date(2026, 2, 28))
    assert any("No contacts match" in i.value for i in at.info)
    assert not at.metric


def test_a_corrupt_file_is_named_on_screen_and_the_rest_of_the_data_is_used(app_test, demo_folder,
                                                                            tmp_path):
    folder = tmp_path / "data"
    shutil.copytree(demo_folder, folder, ignore=shutil.ignore_patterns(".cxdash"))
    broken = folder / "interactions" / "month=2026-12-01" / "broken.parquet"
    broken.parent.mkdir(parents=True)
    broken.write_bytes(b"this is not parquet")
    at = _run(app_test(folder))
    banner = " ".join(w.value for w in at.warning)
    assert "`interactions/month=2026-12-01/broken.parquet` (unreadable, skipped)" in banner
    assert at.metric and at.metric[0].value != "0"
    at.switch_page("pages/data_health.py")
    at.run()
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert plain("interactions/month=2026-12-01/broken.parquet") in warnings  # Markdown that shows it
    assert "could not be read" in warnings


def test_an_empty_folder_gets_the_demo_and_the_page_says_so(app_test, tmp_path, monkeypatch):
    monkeypatch.setenv("CXDASH_DEMO_SCALE", "0.01")
    at = _run(app_test(tmp_path / "empty"))
    notices = " ".join(i.value for i in at.info)
    assert "had no interactions" in notices and "demo" in notices
    assert at.metric


def test_the_views_run_without_streamlit():
    import subprocess
    import sys

    # every page's view, imported in a fresh process: Streamlit stays out (only cxdash.ui imports it)
    views = sorted(p.stem for p in (Path(__file__).resolve().parent.parent / "cxdash" / "views").glob("*.py")
                   if p.stem != "__init__")
    assert {"overview", "quality", "monthly_report", "seasonality", "data_health"} <= set(views)
    check = "import importlib, sys\n" + "".join(f"importlib.import_module('cxdash.views.{name}')\n"
                                                for name in views) + "assert 'streamlit' not in sys.modules"
    subprocess.run([sys.executable, "-c", check], check=True, cwd=Path(__file__).resolve().parent.parent)


# --- the views behind the overview and data health pages, by hand -------------------------------------

MARCH_ROWS = [  # local dates in Los Angeles (UTC-7 from 8 March 2026): two phone calls, one chat
    {"interaction_id": "a", "channel": "phone", "arrived_at": "2026-03-10 18:00", "queue": "orders"},
    {"interaction_id": "b", "channel": "phone", "arrived_at": "2026-03-11 18:00"},
    {"interaction_id": "c", "channel": "chat", "arrived_at": "2026-03-11 19:00"},
]


def test_the_overview_view_by_hand(tmp_path):
    from cxdash.kpis import Filters, Period
    from cxdash.store import Store
    from cxdash.views.overview import overview_page

    write_interactions(tmp_path, MARCH_ROWS)
    march = Period(date(2026, 3, 1), date(2026, 3, 31))
    with Store.open(tmp_path) as store:
        shown = overview_page(store, march, Filters())
        one_queue = overview_page(store, march, Filters(queues=("orders",)))
        february = overview_page(store, Period(date(2026, 2, 1), date(2026, 2, 28)), Filters())
    assert shown.caption == ("**March 2026** (all contacts) · compared with February 2026 and, a year "
                             "earlier, March 2025 · times in America/Los_Angeles")
    assert shown.has_contacts and shown.tiles[0].label == "Contacts" and shown.tiles[0].value == "3"
    assert len(shown.tiles) == len(shown.table) == 12  # a tile per KPI, and its row of figures
    assert shown.by_channel.groupby("channel")["contacts"].sum().to_dict() == {"chat": 1, "phone": 2}
    assert shown.by_channel["day"].tolist() == [date(2026, 3, 10), date(2026, 3, 11), date(2026, 3, 11)]
    # no costs table: cost per contact comes from the cost model, and a queue filter leaves it no basis
    assert [note.split(":")[0] for note in shown.notes] == ["Cost per contact comes from the cost model in "
                                                             "the settings"]
    assert len(one_queue.notes) == 2 and one_queue.notes[0].startswith("Cost per contact needs no queue")
    assert "(orders)" in one_queue.caption and one_queue.tiles[0].value == "1"
    assert one_queue.by_channel["channel"].tolist() == ["phone"]
    assert not february.has_contacts and february.tiles is None and february.by_channel is None


def test_the_data_health_view_by_hand(tmp_path):
    from cxdash.store import Store
    from cxdash.views.data_health import ALL_FILES, data_health_page, set_aside_rows

    write_interactions(tmp_path, [*MARCH_ROWS, {"interaction_id": "d", "channel": "fax",
                                                "arrived_at": "2026-03-12 18:00"}])
    write_settings(tmp_path, '[metrics]\ncsat_method = "median"\n')
    with Store.open(tmp_path) as store:
        shown = data_health_page(store)
        every, one = set_aside_rows(store), set_aside_rows(store, "interactions/part.parquet")
        assert set_aside_rows(store, ALL_FILES)["interaction_id"].tolist() == ["d"]
    # four rows read, the fax set aside; the last day with contacts is the 11th
    assert {tile.label: tile.value for tile in shown.tiles} == {
        "Files": "1", "Rows read": "4", "Rows used": "3", "Rows set aside": "1",
        "Last day with contacts": "11 Mar 2026"}
    assert not shown.clean and shown.messages
    assert shown.files_with_rows_set_aside == ["interactions/part.parquet"]
    assert every["interaction_id"].tolist() == one["interaction_id"].tolist() == ["d"]
    assert shown.settings_notice.startswith("1 problem(s) in `") and "csat_method" in shown.settings_problems
    assert shown.definitions["KPI"].iloc[-1] == "Source of costs"
    assert len(shown.files) == 1 and shown.files["rows_set_aside"].iloc[0] == 1


def _break(monkeypatch, module, name: str) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError(f"{name} broken on purpose")

    monkeypatch.setattr(module, name, broken)


def test_the_harness_fails_a_page_that_crashed_though_the_app_shows_a_sentence(app_test, demo_folder,
                                                                              monkeypatch):
    from cxdash import kpis

    _break(monkeypatch, kpis, "overview")  # the Overview page's first query
    at = app_test(demo_folder)
    with pytest.raises(AssertionError) as failed:
        _run(at)
    # the old check could not see it: the page turned the exception into a sentence
    assert not at.exception
    assert any("Something went wrong while drawing this page" in e.value for e in at.error)
    assert "a page failed" in str(failed.value)
    assert "RuntimeError: overview broken on purpose" in str(failed.value)  # the traceback, shown
    assert "pages/overview.py" in str(failed.value)


def test_every_apptest_run_is_checked_even_one_made_without_the_fixture(app_test, demo_folder,
                                                                        monkeypatch):
    from streamlit.testing.v1 import AppTest

    from cxdash import ui
    from tests.apptest import expect_page_failure, page_failures

    app_test(demo_folder)  # sets the data folder and clears the caches
    # the Overview page's downloads, drawn after its tiles (its view computes everything before) in
    # the expander of the numbers behind them, open
    _break(monkeypatch, ui, "download_csv")
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=120)
    at.session_state["overview-numbers"] = True
    # a plain run(), no helper: the check is in AppTest itself, for the whole suite
    with pytest.raises(AssertionError, match="download_csv broken on purpose"):
        at.run()
    assert at.metric  # the tiles drew; the page failed below them
    # a widget's run() is checked as well
    with pytest.raises(AssertionError, match="download_csv broken on purpose"):
        at.multiselect(key="channel").set_value(["email"]).run()
    # a test that breaks a page on purpose says so, and reads the failures itself
    expect_page_failure(at).run()
    failures = page_failures(at)
    assert len(failures) == 3
    assert all("download_csv broken on purpose" in trace for _, trace in failures)


def test_a_fall_in_cost_per_contact_shows_as_a_fall():
    from cxdash.views import delta_text

    # Streamlit reads the arrow from the first character: it must be an ASCII minus
    assert delta_text("cost_per_contact_usd", -0.58, -7.4) == "-$0.58 (-7.4%)"
    assert delta_text("cost_per_contact_usd", 0.5, 7.0) == "+$0.50 (+7.0%)"


def test_a_change_that_rounds_to_nothing_reads_as_no_change():
    from cxdash.views import delta_text

    assert delta_text("fcr_pct", -0.04, None) == "±0.0 pts"
    assert delta_text("asa_seconds", -0.01, -0.05) == "±0.0 s"
    assert delta_text("asa_seconds", -2.25, -11.0) == "-2.2 s (-11.0%)"
    assert delta_text("contacts", 1122, 3.7) == "+1,122 (+3.7%)"


# --- the quality page ------------------------------------------------------------------------------

APRIL = {"period": ["2026-04-01", "2026-04-30"]}


def _quality(at):
    return _run(at, "pages/quality.py")


def test_quality_page_flags_the_dip_and_drills_down_to_the_interactions(app_test, full_demo):
    from cxdash import quality
    from cxdash.kpis import Filters, Period
    from cxdash.store import Store
    from cxdash.views.quality import quality_page, segment_drill, unit_drill

    at = _quality(app_test(full_demo, APRIL))
    tiles = {metric.label: metric.value for metric in at.metric}
    with Store.open(full_demo) as store:
        shown = quality_page(store, Period(date(2026, 4, 1), date(2026, 4, 30)), Filters())
        assert tiles == {tile.label: tile.value for tile in shown.tiles}  # the page shows its view
        chart = shown.chart
        assert tiles["CSAT"] == f"{quality.ratio_of(chart, 'csat_pct', store.settings):.1f}%"
        assert tiles["Ratings"] == f"{chart.ratings:,}"
        outside = int(chart.signals["signal"].str.endswith("limit").sum())
        assert tiles["Days outside the limits"] == str(outside) and outside >= 8
        # pick a flagged day, as a click on its point does
        at.selectbox(key="at").set_value("2026-04-14").run()
        assert not at.exception
        day = Period(date(2026, 4, 14), date(2026, 4, 14))
        drill = unit_drill(store, chart, Filters(), "2026-04-14", "team")
        assert drill.unit == day
        movers = at.dataframe[1].value
        assert movers["segment"].tolist() == drill.segments
        assert movers["segment"].iloc[0] == "Team Evening"
        at.selectbox(key="segment").set_value("Team Evening").run()
        assert not at.exception
        rows = at.dataframe[2].value
        behind = segment_drill(store, day, Filters(), "team", "Team Evening")
        assert len(rows) == len(behind.rows) == movers["ratings"].iloc[0]
        assert any(markdown.value == behind.heading for markdown in at.markdown)
        assert "customer_id" not in rows.columns
        at.checkbox(key="rated").uncheck().run()
        assert len(at.dataframe[2].value) > len(rows)
        at.segmented_control(key="by").set_value("Agent").run()
        assert not at.exception
        agents = set(at.dataframe[1].value["segment"]) - {"(none)"}  # self-service has no agent
        assert len(agents) == 24 and all(agent.startswith("agent_") for agent in agents)
        assert at.selectbox(key="segment").value is None  # a team is not an agent


def test_quality_page_url_restores_the_drill_down(app_test, full_demo):
    at = _quality(app_test(full_demo, {**APRIL, "at": "2026-04-14", "by": "Tier", "segment": "tier 1"}))
    assert at.selectbox(key="at").value == "2026-04-14"
    assert at.segmented_control(key="by").value == "Tier"
    assert at.dataframe[1].value["segment"].iloc[0] == "tier 1"
    assert at.selectbox(key="segment").value == "tier 1"
    assert len(at.dataframe[2].value) > 0


def test_quality_page_week_view_and_plain_p_chart(app_test, full_demo):
    at = _quality(app_test(full_demo, APRIL))
    at.segmented_control(key="grain").set_value("Week").run()
    assert not at.exception
    tiles = {metric.label: metric.value for metric in at.metric}
    assert tiles["Weeks outside the limits"] == "3"
    assert at.selectbox(key="at").options[0] == "2026-04-01"  # the first week, cut to the period
    widened = " ".join(c.value for c in at.caption)
    assert "widened" in widened
    at.toggle(key="laney").set_value(False).run()
    assert not at.exception
    assert "widened" not in " ".join(c.value for c in at.caption)


def test_quality_page_says_when_there_are_no_ratings(app_test, tmp_path):
    folder = tmp_path / "unrated"
    write_interactions(folder, [
        {"interaction_id": "a", "channel": "phone", "arrived_at": "2026-03-15 18:00"},
    ])
    at = _quality(app_test(folder, {"period": ["2026-03-01", "2026-03-31"]}))
    assert any("No CSAT ratings match" in i.value for i in at.info)
    assert not at.metric


def test_quality_page_on_the_small_demo_shows_uncertain_days_not_alarms(app_test, demo_folder):
    at = _quality(app_test(demo_folder, APRIL))
    # about seven ratings a day at 3% volume: too few to judge any single day
    assert {metric.label: metric.value for metric in at.metric}["Days outside the limits"] == "0"
    for tab in ("NPS, CES and FCR", "Score distribution", "QA", "Escalations"):
        assert any(t.label == tab for t in at.tabs)


def test_quality_page_with_only_the_required_columns_and_a_rating(app_test, tmp_path):
    folder = tmp_path / "bare"
    # no queue, team, agent, tier or QA table: every section still draws, none raises
    write_interactions(folder, [
        {"interaction_id": f"r{n}", "channel": "chat", "arrived_at": f"2026-03-{10 + n:02d} 18:00",
         "answered_at": f"2026-03-{10 + n:02d} 18:01", "csat_score": 1 + n % 5} for n in range(6)
    ])
    at = _quality(app_test(folder, {"period": ["2026-03-01", "2026-03-15"]}))
    assert {metric.label: metric.value for metric in at.metric}["Ratings"] == "6"
    assert any("No QA evaluations" in i.value for i in at.info)
    at.selectbox(key="at").set_value("2026-03-12").run()
    assert not at.exception
    at.selectbox(key="segment").set_value("(none)").run()
    assert not at.exception
    assert len(at.dataframe[2].value) == 1  # the interactions behind the row


# --- the monthly report ---------------------------------------------------------------------------

def test_monthly_report_defaults_to_the_last_full_month_and_matches_the_costs(app_test, demo_folder):
    from cxdash.store import Store
    from cxdash.views.monthly_report import monthly_report_page

    at = _run(app_test(demo_folder), "pages/monthly_report.py")
    assert at.selectbox(key="month").value == "2026-10"
    with Store.open(demo_folder) as store:
        october = monthly_report_page(store, date(2026, 10, 1))
    expected = october.report.costs.by_channel.set_index("channel")
    tiles = {metric.label: metric.value for metric in at.metric}
    assert tiles["Blended cost per contact"] == f"${expected.loc['blended', 'cost_per_contact_usd']:,.2f}"
    shown = october.kpi_tiles + october.cost_tiles + october.value_tiles
    assert tiles == {tile.label: tile.value for tile in shown}  # every tab's tiles, as the view has them
    at.selectbox(key="month").set_value("2025-06").run()
    assert not at.exception
    with Store.open(demo_folder) as store:
        june = monthly_report_page(store, date(2025, 6, 1)).report.costs.by_channel.set_index("channel")
    assert {m.label: m.value for m in at.metric}["Blended cost per contact"] == \
        f"${june.loc['blended', 'cost_per_contact_usd']:,.2f}"


def test_monthly_report_says_when_a_month_has_no_costs(app_test, tmp_path):
    folder = tmp_path / "no_march_costs"
    write_interactions(folder, [
        {"interaction_id": "a", "channel": "phone", "arrived_at": "2026-03-15 18:00"},
    ])
    write_costs(folder, [{"month": "2026-02-01", "channel": "phone", "cost_type": "labor",
                          "amount_usd": 100.0}])
    at = _run(app_test(folder), "pages/monthly_report.py")
    assert any("No costs are booked for March 2026" in i.value for i in at.info)
    # no orders table: the value and returns tabs say what they need
    assert any("No orders table" in i.value for i in at.info)


def test_monthly_report_without_a_costs_table_uses_the_cost_model_and_says_so(app_test, tmp_path):
    folder = tmp_path / "no_costs_table"
    write_interactions(folder, [
        {"interaction_id": "a", "channel": "phone", "arrived_at": "2026-03-15 18:00",
         "answered_at": "2026-03-15 18:00", "talk_seconds": 600.0, "abandoned": False},
    ])
    write_settings(folder, "[cost_model]\nloaded_hourly_rate_usd = 30\noccupancy = 0.5\n"
                           "telephony_per_minute_usd = 0.1\nseats = 2\nseat_licence_month_usd = 100\n")
    at = _run(app_test(folder), "pages/monthly_report.py")
    assert any("Source: The cost model" in c.value and plain("$30.00") in c.value for c in at.caption)
    # labor 600 s = 1/6 h / 0.5 x $30 = $10; telephony 10 min x $0.10 = $1; seats 2 x $100 = $200
    # a month, of which the data covers one day (15 March): one served contact, $17.45 blended
    tiles = {metric.label: metric.value for metric in at.metric}
    assert tiles["Blended cost per contact"] == f"${10 + 1 + 200 / 31:.2f}"


def test_monthly_report_shows_value_returns_and_offers_the_report(app_test, demo_folder):
    from cxdash.store import Store
    from cxdash.views.monthly_report import monthly_report_page

    at = _run(app_test(demo_folder, {"month": "2026-06"}), "pages/monthly_report.py")
    assert at.selectbox(key="month").value == "2026-06"
    with Store.open(demo_folder) as store:
        shown = monthly_report_page(store, date(2026, 6, 1))
    monthly = shown.report
    tiles = {metric.label: metric.value for metric in at.metric}
    assert tiles["12-month value per customer"] == f"${monthly.value.ltv_12m.value:,.2f}"
    assert tiles["24-month value per customer"] == f"${monthly.value.ltv_24m.value:,.2f}"
    summary = at.markdown[0].value
    assert summary == shown.summary
    assert summary.startswith("- " + plain("June 2026:"))
    assert plain("12-month lifetime value of the July 2025 cohort") in summary
    labels = [button.proto.label for button in at.get("download_button")]
    assert "Download the report (HTML)" in labels and "Download the tables (Excel)" in labels


# --- seasonality ----------------------------------------------------------------------------------

def test_seasonality_page_compares_years_from_a_shared_url(app_test, demo_folder):
    from cxdash import kpis, seasonality
    from cxdash.store import Store
    from cxdash.views.seasonality import decomposition_section, seasonality_page

    # the URL keeps the words the widgets show
    query = {"kpi": "AHT", "align": "Month", "channels": ["phone"], "years": ["2025", "2026"]}
    at = _run(app_test(demo_folder, query), "pages/seasonality.py")
    assert at.selectbox(key="kpi").value == "aht_seconds"
    assert at.segmented_control(key="align").value == "Month"
    assert at.multiselect(key="channels").value == ["phone"]
    with Store.open(demo_folder) as store:
        frame = seasonality.daily(store, kpis.Filters(channels=("phone",)))
        expected = seasonality.year_to_date(frame, "aht_seconds", "month", store.settings).set_index("year")
        shown = seasonality_page(store, "aht_seconds", "month", ["phone"], [2025, 2026])
        parts = decomposition_section(store, "aht_seconds", ["phone"])
    tiles = {metric.label: metric.value for metric in at.metric}
    # the page shows its views' tiles: the years, the shape and the decomposition
    assert tiles == {tile.label: tile.value for tile in shown.year_tiles + shown.shape_tiles + parts.tiles}
    assert tiles["2026 to Oct"] == f"{expected.loc[2026, 'value']:,.0f} s"
    assert tiles["2025 to Oct"] == f"{expected.loc[2025, 'value']:,.0f} s"
    assert "2024 to Oct" not in tiles  # not chosen


def test_seasonality_page_measures_the_demos_seasons_and_lists_spikes(app_test, demo_folder):
    at = _run(app_test(demo_folder), "pages/seasonality.py")
    assert at.segmented_control(key="align").value == "Week"
    tables = [frame.value for frame in at.dataframe]
    uplift = next(t for t in tables if "uplift_pct" in t.columns)
    sales = uplift[uplift["name"] == "Black Friday to Cyber Monday"]
    assert len(sales) >= 2 and (sales["uplift_pct"] > 30).all()  # the demo plants about +70%
    assert "Thanksgiving Day" in set(uplift["name"])
    assert any("robust_z" in t.columns for t in tables)
    labels = {metric.label for metric in at.metric}
    assert {"Weekly seasonality strength", "Share of contacts 19:00–21:00"} <= labels


def test_seasonality_page_on_a_few_days_says_what_it_cannot_show(app_test, tmp_path):
    write_interactions(tmp_path, [
        {"interaction_id": f"i{n}", "channel": "phone", "arrived_at": f"2026-03-{n + 10} 18:00"}
        for n in range(5)])
    at = _run(app_test(tmp_path), "pages/seasonality.py")
    assert any("at least four weeks" in i.value for i in at.info)


# --- forecast and staffing ------------------------------------------------------------------------

@pytest.fixture
def planning_folder(demo_folder, tmp_path):
    """A copy of the small demo (prepared store included), so the runs a test stores stay its own."""
    folder = tmp_path / "demo"
    shutil.copytree(demo_folder, folder, ignore=shutil.ignore_patterns("forecasts"))
    return folder


def test_forecast_page_runs_a_forecast_and_keeps_it_in_the_record(app_test, planning_folder):
    from cxdash import forecast, record

    query = {"grain": "Day", "channels": ["phone"], "as_of": "2026-10-01", "horizon": "7"}
    at = _run(app_test(planning_folder, query), "pages/forecast.py")
    assert any("No forecast of phone by day yet" in i.value for i in at.info)
    at.button(key="run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    runs = record.runs(planning_folder)
    assert len(runs) == 1 and runs.iloc[0]["as_of"] == date(2026, 10, 1)
    assert list(runs.iloc[0]["channels"]) == ["phone"]
    run_id = runs.iloc[0]["run_id"]
    assert any(run_id in s.value for s in at.success)
    rows = record.rows(planning_folder, run_id, "America/Los_Angeles")
    assert len(rows) == 8  # the as-of day and seven after it
    tiles = {metric.label: metric.value for metric in at.metric}
    assert tiles["Contacts forecast"] == f"{rows['yhat'].sum():,.0f}"
    candidates = next(frame.value for frame in at.dataframe if "Candidate" in frame.value.columns)
    # four candidates and their combination, which is the forecast
    assert len(candidates) == 5 and (candidates["Chosen"] == "✓").sum() == 1
    assert candidates.loc[candidates["Chosen"] == "✓", "Candidate"].item() == forecast.model_label("combined")
    meta = record.metadata(planning_folder, run_id)
    assert [group["group"] for group in meta["combination"]] == ["same day", "day ahead", "later days"]
    assert any("equal-weight mean" in md.value and "Later days" in md.value for md in at.markdown)
    chosen = next(row for row in meta["backtest"] if row["chosen"])
    assert tiles["Backtest WAPE"] == f"{100 * chosen['wape']:.1f}%"


def test_forecast_accuracy_tab_backtests_and_scores_the_record(app_test, planning_folder):
    from cxdash import forecast, record
    from cxdash.store import Store

    with Store.open(planning_folder) as store:
        made = forecast.make_forecast(store, forecast.Request("day", date(2026, 10, 1), 14))
        run_id = record.save(planning_folder, made)
        expected = record.run_accuracy(store, planning_folder).set_index("run_id").loc[run_id]
    at = _run(app_test(planning_folder, {"grain": "Day", "tab": "Accuracy"}), "pages/forecast.py")
    tiles = {metric.label: metric.value for metric in at.metric}
    assert tiles["WAPE, stored forecasts"] == f"{100 * expected['wape']:.1f}%"
    assert tiles["Bias, stored forecasts"] == f"{100 * expected['bias']:.1f}%"
    assert tiles["80% interval held"] == f"{100 * expected['coverage']:.1f}%"
    assert 0 <= expected["coverage"] <= 1
    assert "WAPE, backtest" in tiles and "Poisson floor" in tiles
    tables = {tuple(frame.value.columns): frame.value for frame in at.dataframe}
    horizons = next(t for cols, t in tables.items() if "Horizon" in cols)
    assert list(horizons["Horizon"]) == ["Same day", "Day ahead", "Week ahead"]
    assert horizons["Backtest WAPE"].notna().all()
    record_table = next(t for cols, t in tables.items() if "run_id" in cols)
    assert list(record_table["run_id"]) == [run_id]
    assert record_table["coverage"].item() == pytest.approx(100 * expected["coverage"])


def test_the_accuracy_tab_says_when_the_8_percent_target_is_out_of_reach(app_test, planning_folder):
    # the small demo has a few contacts per half hour: the Poisson floor alone is far above 8%
    at = _run(app_test(planning_folder, {"grain": "30 minutes", "tab": "Accuracy",
                                         "channels": ["phone"]}), "pages/forecast.py")
    assert any("out of reach" in w.value for w in at.warning)


def test_a_forecast_of_too_little_history_says_what_it_needs(app_test, tmp_path):
    write_interactions(tmp_path, [
        {"interaction_id": f"i{n}", "channel": "phone", "arrived_at": f"2026-03-{n + 10} 18:00"}
        for n in range(5)])
    at = _run(app_test(tmp_path, {"grain": "Day"}), "pages/forecast.py")
    assert at.date_input(key="as_of").value == date(2026, 3, 15)  # the day after the data ends
    at.button(key="run").click().run()
    assert not at.exception
    assert any("at least 35" in w.value for w in at.warning)
    at.date_input(key="as_of").set_value(date(2026, 4, 30)).run()
    at.button(key="run").click().run()
    # five contacts on five weekdays of one week: not enough to tell the business hours
    assert any(plain("too few contacts before 2026-04-30 to tell when it is open") in w.value
               for w in at.warning)


def test_staffing_page_without_an_interval_forecast_points_to_the_forecast_page(app_test,
                                                                                planning_folder):
    at = _run(app_test(planning_folder), "pages/staffing.py")
    assert any("Staffing works from an interval forecast" in i.value for i in at.info)


def test_staffing_page_staffs_a_stored_forecast_with_erlang_c_and_a(app_test, planning_folder):
    from dataclasses import replace

    from cxdash import forecast, record
    from cxdash.store import Store
    from cxdash.views.staffing import (
        ERLANG_A,
        Inputs,
        default_inputs,
        forecast_to_staff,
        hours_text,
        staffing_page,
    )

    assert (hours_text(43.5), hours_text(-0.5, sign=True), hours_text(1234.5)) == ("43.5", "-0.5", "1,234")
    with Store.open(planning_folder) as store:
        made = forecast.make_forecast(store, forecast.Request("30min", date(2026, 10, 1), 2,
                                                              channels=("phone",)))
        run_id = record.save(planning_folder, made)
        chosen = forecast_to_staff(store, run_id)
        inputs = default_inputs(store.settings)
    assert inputs == Inputs(80, 20, 85, 30)  # the page starts at the seed's 80/20, 85% and 30%
    expected = staffing_page(chosen, inputs).result
    at = _run(app_test(planning_folder, {"run": run_id}), "pages/staffing.py")
    assert not page_warnings(at)  # phone alone: a live channel, no Erlang warning
    tiles = {metric.label: metric.value for metric in at.metric}
    assert tiles["Peak agents on the phones"] == str(expected["agents"].max())
    assert tiles["Agent-hours on the phones"] == hours_text(expected["agents"].sum() * 0.5)
    assert tiles["Scheduled agent-hours"] == hours_text(expected["scheduled_agents"].sum() * 0.5)
    assert chosen.patience_seconds is not None
    at.selectbox(key="model").set_value("Erlang A").run()
    assert not at.exception
    erlang_a = staffing_page(chosen, replace(inputs, model=ERLANG_A)).result
    tiles = {metric.label: metric.value for metric in at.metric}
    assert tiles["Agent-hours on the phones"] == hours_text(erlang_a["agents"].sum() * 0.5)


def test_staffing_page_warns_when_the_forecast_holds_backlog_channels(app_test, planning_folder):
    from cxdash import forecast, record
    from cxdash.store import Store

    with Store.open(planning_folder) as store:
        made = forecast.make_forecast(store, forecast.Request("30min", date(2026, 10, 1), 1))
        record.save(planning_folder, made)
    at = _run(app_test(planning_folder), "pages/staffing.py")
    assert any("email" in w.value and "over-staffs" in w.value for w in at.warning)
