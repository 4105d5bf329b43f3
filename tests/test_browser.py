"""The app as users use it: `streamlit run` in Debian's Chromium, clicked with Playwright."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
import zipfile
from datetime import date
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from cxdash import report
from cxdash.metrics import format_value
from cxdash.store import Store
from cxdash.views.staffing import hours_text
from tests.conftest import ARTIFACTS, ROOT

pytestmark = pytest.mark.browser

PAGE_TITLES = {"Overview": "Overview", "Quality": "Quality", "Monthly report": "Monthly report",
               "Seasonality": "Seasonality", "Forecast": "Forecast", "Staffing": "Staffing",
               "Data health": "Data health"}
TIMEZONE = "America/Los_Angeles"  # the demo's (the default settings')


def kpis_json(folder, start: str, end: str, *channels: str) -> dict:
    """The figures the command line prints: the same numbers the tiles must show."""
    command = [sys.executable, "-m", "cxdash", "kpis", "--data", str(folder), "--start", start,
               "--end", end, "--json"]
    for channel in channels:
        command += ["--channel", channel]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def open_page(page, url: str, heading: str) -> None:
    """Open a URL and wait until its page has drawn, without an exception."""
    page.goto(url)
    page.get_by_role("heading", name=heading).wait_for()
    wait_until_idle(page)
    assert_no_exception(page)


def wait_until_idle(page) -> None:
    """Wait until Streamlit has finished the current run and drawn every element."""
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stSkeleton\"]')")


def tiles(page) -> dict[str, str]:
    """Label -> shown value of every KPI tile on the page."""
    page.wait_for_selector('[data-testid="stMetric"]')
    result = {}
    for metric in page.locator('[data-testid="stMetric"]').all():
        label = metric.locator('[data-testid="stMetricLabel"]').inner_text().strip()
        value = metric.locator('[data-testid="stMetricValue"]').inner_text().strip()
        result[label] = value
    return result


def assert_no_exception(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0
    assert "Traceback" not in page.content()
    assert page.get_by_text("Something went wrong").count() == 0


def expected_tiles(figures: dict) -> dict[str, str]:
    labels = {"contacts": "Contacts", "csat_pct": "CSAT", "aht_seconds": "AHT", "asa_seconds": "ASA",
              "abandon_rate_pct": "Abandon rate", "service_level_pct": "Service level",
              "fcr_pct": "FCR", "nps": "NPS", "ces": "CES",
              "cost_per_contact_usd": "Cost per contact",
              "first_response_target_pct": "First response in target",
              "response_rate_pct": "Survey response rate"}
    return {label: format_value(name, figures[name]) for name, label in labels.items()}


def test_every_page_renders_without_an_exception(page, served_app):
    page.goto(served_app)
    wait_until_idle(page)
    page.get_by_role("heading", name="Overview").wait_for()
    assert_no_exception(page)
    page.screenshot(path=ARTIFACTS / "overview.png", full_page=True)
    for link, title in PAGE_TITLES.items():
        page.locator('[data-testid="stSidebarNav"]').get_by_text(link, exact=True).click()
        # while a page reruns, its previous elements stay until the new ones replace them
        expect(page.get_by_role("heading", name=title)).to_have_count(1, timeout=60_000)
        wait_until_idle(page)
        assert_no_exception(page)
        page.screenshot(path=ARTIFACTS / f"page_{title.lower().replace(' ', '_')}.png", full_page=True)


def test_tiles_show_the_same_numbers_as_kpis_json(page, served_app, demo_folder):
    page.goto(served_app)
    wait_until_idle(page)
    shown = tiles(page)
    expected = expected_tiles(kpis_json(demo_folder, "2026-10-01", "2026-10-31"))
    assert shown == {label: shown.get(label) for label in expected}  # every tile is there
    assert shown == expected


def test_the_numbers_behind_the_tiles_open_on_a_click_and_download(page, served_app, demo_folder):
    page.goto(served_app)
    wait_until_idle(page)
    # closed, the table and its downloads are not drawn (not part of the first view)
    assert page.get_by_role("button", name="Download KPIs (CSV)").count() == 0
    page.get_by_text("The numbers behind the tiles and the chart").click()
    button = page.get_by_role("button", name="Download KPIs (CSV)")
    button.wait_for()
    expect(page.locator('[data-testid="stDataFrame"]')).to_have_count(1)
    with page.expect_download() as download_info:
        button.click()
    rows = {row["metric"]: row for row in csv.DictReader(open(download_info.value.path(), encoding="utf-8"))}
    expected = kpis_json(demo_folder, "2026-10-01", "2026-10-31")
    assert int(float(rows["contacts"]["value"])) == expected["contacts"]
    assert float(rows["aht_seconds"]["value"]) == pytest.approx(expected["aht_seconds"])


def test_picking_a_channel_changes_the_url_and_the_numbers(page, served_app, demo_folder):
    page.goto(served_app)
    wait_until_idle(page)
    before = tiles(page)
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.locator('[data-testid="stMultiSelect"]').filter(has_text="Channel").click()
    page.get_by_role("option", name="phone", exact=True).click()
    page.keyboard.press("Escape")
    page.wait_for_url(re.compile(r"channel=phone"))
    wait_until_idle(page)
    expected = expected_tiles(kpis_json(demo_folder, "2026-10-01", "2026-10-31", "phone"))
    page.wait_for_function(
        "(value) => [...document.querySelectorAll('[data-testid=\"stMetricValue\"]')]"
        ".some(e => e.innerText.trim() === value)", arg=expected["Contacts"])
    after = tiles(page)
    assert after == expected
    assert after["Contacts"] != before["Contacts"]
    assert parse_qs(urlparse(page.url).query)["channel"] == ["phone"]
    page.screenshot(path=ARTIFACTS / "overview_phone.png", full_page=True)


def test_a_shared_url_opens_the_same_filtered_view(page, served_app, demo_folder):
    page.goto(f"{served_app}/?channel=chat&channel=email&period=2026-09-01&period=2026-09-30")
    wait_until_idle(page)
    expected = expected_tiles(kpis_json(demo_folder, "2026-09-01", "2026-09-30", "chat", "email"))
    assert tiles(page) == expected


def test_data_health_downloads_the_file_list(page, served_app):
    open_page(page, f"{served_app}/data_health", "Data health")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download file list (CSV)").click()
    text = open(download_info.value.path(), encoding="utf-8").read()
    header = text.splitlines()[0]
    assert header.startswith("table,file,status,rows_read,rows_used,rows_set_aside")
    assert text.count("interactions/month=") == 36


def click_chart_point(page, trace_name: str, unit: str) -> None:
    """Click the point of the first Plotly chart whose trace is `trace_name` and unit `unit`,
    as a user does: move over it (Plotly picks points by hover), then click."""
    chart = page.locator(".js-plotly-plot").first
    chart.scroll_into_view_if_needed()
    trace, point = page.evaluate(
        """([name, unit]) => {
            const data = document.querySelector('.js-plotly-plot').data;
            const trace = data.findIndex(t => t.name === name);
            const point = trace < 0 ? -1 : data[trace].customdata.findIndex(c => c[0] === unit);
            return [trace, point];
        }""", [trace_name, unit])
    assert trace >= 0 and point >= 0, f"no {trace_name} point for {unit}"
    box = chart.locator(".scatterlayer .trace").nth(trace).locator("path.point").nth(point).bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.click(x, y)


def click_first_row(page, table) -> None:
    """Tick the selection box of a dataframe's first row (the grid is a canvas: click by position)."""
    table.scroll_into_view_if_needed()
    box = table.bounding_box()
    page.mouse.click(box["x"] + 15, box["y"] + 35 + 17)  # left column, below the 35 px header


def test_quality_flagged_day_to_team_to_interactions_csv(page, served_full_demo):
    # a fresh server whose first visitor opens a shared link straight at the page
    open_page(page, f"{served_full_demo}/quality?period=2026-04-01&period=2026-04-30", "Quality")
    page.screenshot(path=ARTIFACTS / "quality.png")

    click_chart_point(page, "below limit", "2026-04-14")
    page.wait_for_url(re.compile(r"at=2026-04-14"))
    wait_until_idle(page)
    page.get_by_text("Break down by").wait_for()
    movers = page.locator('[data-testid="stDataFrame"]').nth(1)
    click_first_row(page, movers)  # rank 1: the team that moved CSAT most
    page.wait_for_url(re.compile(r"segment=Team\+Evening"))
    wait_until_idle(page)
    assert_no_exception(page)
    heading = page.get_by_text(re.compile(r"^[0-9,]+ interactions · Team: Team Evening"))
    shown = int(heading.inner_text().split()[0].replace(",", ""))
    assert shown > 20
    page.screenshot(path=ARTIFACTS / "quality_drill_down.png")

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download interactions (CSV)").click()
    download = download_info.value
    assert download.suggested_filename == "interactions_2026-04-14_team_Team Evening.csv"
    rows = list(csv.DictReader(io.StringIO(open(download.path(), encoding="utf-8").read())))
    assert len(rows) == shown
    assert "customer_id" not in rows[0]
    assert {row["team"] for row in rows} == {"Team Evening"}
    assert {row["arrived_local"][:10] for row in rows} == {"2026-04-14"}
    assert all(row["csat_score"] in {"1", "2", "3", "4", "5"} for row in rows)
    query = parse_qs(urlparse(page.url).query)
    assert query["at"] == ["2026-04-14"] and query["segment"] == ["Team Evening"]
    assert query["period"] == ["2026-04-01", "2026-04-30"]


def choose_month(page, month: str) -> None:
    """Open the Month selectbox and pick a month from its list, as a user does."""
    page.locator('[data-testid="stSelectbox"]').filter(has_text="Month").click()
    page.get_by_role("option", name=month, exact=True).click()


def test_monthly_report_html_for_a_chosen_month_works_offline_with_the_cli_figures(
        page, served_app, demo_folder):
    open_page(page, f"{served_app}/monthly_report", "Monthly report")
    assert "month" not in parse_qs(urlparse(page.url).query)  # the default month is not in the URL

    choose_month(page, "2026-06")
    page.wait_for_url(re.compile(r"month=2026-06"))
    wait_until_idle(page)
    cli = kpis_json(demo_folder, "2026-06-01", "2026-06-30")
    # the page has redrawn for June once its summary and Contacts tile show June's figures
    page.get_by_text(f"June 2026: {cli['contacts']:,.0f} contacts").wait_for()
    page.wait_for_function(
        "(value) => [...document.querySelectorAll('[data-testid=\"stMetricValue\"]')]"
        ".some(e => e.innerText.trim() === value)", arg=f"{cli['contacts']:,.0f}")
    wait_until_idle(page)
    assert_no_exception(page)
    assert parse_qs(urlparse(page.url).query)["month"] == ["2026-06"]
    # the report covers the whole operation: the sidebar's filters are greyed out and say so
    page.get_by_text("These filters narrow the Overview and Quality pages").wait_for()
    assert page.locator('[data-testid="stSidebar"] input[disabled]').count() >= 2
    page.screenshot(path=ARTIFACTS / "monthly_report_2026-06.png", full_page=True)

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download the report (HTML)").click()
    download = download_info.value
    assert download.failure() is None
    assert download.suggested_filename == "cxdash_monthly_report_2026-06.html"
    saved = ARTIFACTS / download.suggested_filename
    download.save_as(saved)

    # opened from disk with every network request refused: it must work offline
    tab = page.context.new_page()
    requested, errors = [], []

    def refuse(route) -> None:
        requested.append(route.request.url)
        route.abort()

    tab.route(re.compile(r"^(https?|wss?)://"), refuse)
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.goto(saved.as_uri())
    tab.wait_for_selector(".js-plotly-plot svg.main-svg")  # Plotly ran from the inline script
    charts = tab.locator(".plotly-graph-div")
    assert charts.count() >= 1
    expect(tab.locator(".js-plotly-plot")).to_have_count(charts.count())  # every chart drawn
    tab.screenshot(path=ARTIFACTS / "monthly_report_2026-06_html.png", full_page=True)
    assert requested == [] and errors == []
    assert tab.title() == "Monthly report · June 2026"

    with Store.open(demo_folder) as store:
        expected = report.figures(report.monthly_report(store, date(2026, 6, 1)))
    blended = expected["cost_per_contact_usd"]["blended"]
    assert None not in (cli["contacts"], cli["csat_pct"], blended, expected["ltv_12m_usd"])
    csat = f"{cli['csat_pct']:.1f}%"
    shown = {name: tab.locator(f'[data-figure="{name}"]').inner_text().strip()
             for name in ("contacts", "blended_cost_per_contact", "csat", "ltv_12m")}
    assert shown == {"contacts": f"{cli['contacts']:,.0f}", "blended_cost_per_contact": f"${blended:,.2f}",
                     "csat": csat, "ltv_12m": f"${expected['ltv_12m_usd']:,.2f}"}
    assert shown["contacts"] == f"{expected['kpis']['contacts']:,.0f}"
    assert shown["csat"] == f"{expected['kpis']['csat_pct']:.1f}%"
    expect(tab.locator("tr[data-metric=csat_pct] td").nth(1)).to_have_text(csat)

    embedded = json.loads(tab.locator("script#cxdash-figures").text_content())
    assert embedded["month"] == "2026-06"
    assert embedded["kpis"].keys() == cli.keys()
    for name, value in cli.items():
        if value is None:  # no basis for the figure: both must say so
            assert embedded["kpis"][name] is None, name
        else:
            assert embedded["kpis"][name] == pytest.approx(value, rel=1e-9), name
    assert embedded["cost_per_contact_usd"]["blended"] == pytest.approx(blended, rel=1e-9)
    assert embedded["ltv_12m_usd"] == pytest.approx(expected["ltv_12m_usd"], rel=1e-9)


def test_monthly_report_tables_download_as_a_workbook_a_sheet_per_table(page, served_app):
    open_page(page, f"{served_app}/monthly_report", "Monthly report")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download the tables (Excel)").click()
    download = download_info.value
    assert download.failure() is None
    assert download.suggested_filename.endswith(".xlsx")
    assert download.suggested_filename == "cxdash_monthly_report_2026-10.xlsx"  # the last full month
    saved = ARTIFACTS / download.suggested_filename
    download.save_as(saved)
    assert zipfile.is_zipfile(saved)
    with zipfile.ZipFile(saved) as workbook:
        sheets = re.findall(r'<sheet name="([^"]+)"', workbook.read("xl/workbook.xml").decode())
    assert set(sheets) >= {"summary", "kpis", "cost_per_contact", "cost_trend", "cost_composition",
                           "ltv_by_cohort", "service_experience", "orders_by_month",
                           "coaching_and_returns"}


def test_seasonality_view_chosen_by_clicks_is_shareable_and_its_tables_download(page, served_app,
                                                                                  demo_folder):
    open_page(page, f"{served_app}/seasonality", "Seasonality")
    page.locator('[data-testid="stSelectbox"]').filter(has_text="KPI").click()
    page.get_by_role("option", name="AHT", exact=True).click()
    page.wait_for_url(re.compile(r"kpi=AHT"))
    wait_until_idle(page)
    page.get_by_role("radio", name="Month", exact=True).click()  # the segmented control
    page.wait_for_url(re.compile(r"align=Month"))  # a second change follows into the URL too
    wait_until_idle(page)
    assert_no_exception(page)
    assert parse_qs(urlparse(page.url).query)["kpi"] == ["AHT"]
    # the tiles compare each year over the same months: what the domain computes for the store
    from cxdash import kpis, seasonality

    with Store.open(demo_folder) as store:
        frame = seasonality.daily(store, kpis.Filters())
        expected = seasonality.year_to_date(frame, "aht_seconds", "month", store.settings)
    latest = expected.iloc[-1]
    label = f"{int(latest['year'])} to {latest['through']}"
    tile = page.locator('[data-testid="stMetric"]').filter(has_text=label)
    expect(tile.locator('[data-testid="stMetricValue"]')).to_have_text(f"{latest['value']:,.0f} s")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download CSV").first.click()
    rows = list(csv.DictReader(io.StringIO(open(download_info.value.path(), encoding="utf-8").read())))
    assert download_info.value.suggested_filename == "aht_seconds_by_month_by_year.csv"
    assert {row["label"] for row in rows} >= {"Jan", "Oct"} and "change_pct" in rows[0]
    page.screenshot(path=ARTIFACTS / "seasonality_years.png")

    # a colleague opens the shared link to this view, and goes to the decomposition
    other = page.context.new_page()
    other.goto(page.url)
    other.get_by_role("heading", name="Seasonality").wait_for()
    wait_until_idle(other)
    other.get_by_role("tab", name="Decomposition").click()
    other.wait_for_url(re.compile(r"section=Decomposition"))  # the section is shareable too
    other.get_by_text("Days the pattern does not explain").wait_for()
    other.get_by_text("MSTL (statsmodels) of the daily AHT").wait_for()  # the link's KPI
    expect(other.get_by_role("radio", name="Month", exact=True)).to_have_attribute("aria-checked", "true")
    assert_no_exception(other)
    other.screenshot(path=ARTIFACTS / "seasonality_decomposition.png")
    other.get_by_role("tab", name="Intraday and weekly shape").click()
    other.get_by_text("Share of contacts 19:00–21:00").wait_for()
    other.screenshot(path=ARTIFACTS / "seasonality_shape.png")


def stored_runs(folder) -> set[str]:
    """The ids of the forecast runs kept in the record (DATA/forecasts/)."""
    return {path.stem for path in (folder / "forecasts").glob("*.json")}


def test_forecast_chosen_by_clicks_shows_progress_saves_a_run_and_the_record_lists_it(page, served_app,
                                                                                       demo_folder):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from cxdash import accuracy, forecast, record

    before = stored_runs(demo_folder)  # other tests may have stored runs: compare, do not count on none
    open_page(page, f"{served_app}/forecast", "Forecast")
    main = page.locator('[data-testid="stMain"]')
    page.get_by_role("radio", name="15 minutes", exact=True).click()  # the Grain segmented control
    page.wait_for_url(re.compile(r"grain=15"))
    wait_until_idle(page)
    # the page's own Channel, not the sidebar's (greyed out here)
    main.locator('[data-testid="stMultiSelect"]').filter(has_text="Channel").click()
    page.get_by_role("option", name="phone", exact=True).click()
    page.keyboard.press("Escape")
    page.wait_for_url(re.compile(r"channels=phone"))
    wait_until_idle(page)
    days_ahead = main.locator('[data-testid="stNumberInput"]').filter(has_text="Days ahead").locator("input")
    days_ahead.fill("2")
    days_ahead.press("Enter")
    page.wait_for_url(re.compile(r"horizon=2"))
    wait_until_idle(page)
    assert_no_exception(page)

    page.get_by_role("button", name="Run forecast").click()
    # the progress shows while the candidates are backtested, before any result
    progress = page.locator('[data-testid="stProgress"]')
    progress.wait_for(state="visible", timeout=20_000)
    shown_progress = progress.inner_text().strip()
    success = page.locator('[data-testid="stAlert"]').filter(has_text="saved to the record")
    assert success.count() == 0
    assert re.fullmatch(r"Starting the forecast…|Reading the history of phone|Backtesting .+ \([1-5] of 5\)"
                        r"|Forecasting with .+|Done", shown_progress), shown_progress
    success.wait_for(timeout=120_000)
    message = success.inner_text()
    wait_until_idle(page)
    assert_no_exception(page)
    assert progress.count() == 0  # the bar is gone once the run is saved

    # one new run in the record, the one the message names
    new = stored_runs(demo_folder) - before
    assert len(new) == 1, new
    run_id = new.pop()
    assert re.search(rf"Forecast {re.escape(run_id)} saved to the record: [0-9,]+ open intervals with ",
                     message)
    assert (demo_folder / "forecasts" / f"{run_id}.parquet").exists()
    meta = record.metadata(demo_folder, run_id)
    today = datetime.now(ZoneInfo(TIMEZONE)).date()
    assert (meta["grain"], meta["channels"], meta["queues"], meta["horizon_days"]) == \
        ("15min", ["phone"], [], 2)
    assert meta["as_of"] == forecast.default_as_of(date(2026, 10, 31), today).isoformat()
    query = parse_qs(urlparse(page.url).query)
    assert query["grain"] == ["15 minutes"] and query["channels"] == ["phone"] and query["horizon"] == ["2"]

    rows = record.rows(demo_folder, run_id, TIMEZONE)
    assert len(rows) > 0 and f"{len(rows):,} open intervals" in message
    shown = tiles(page)
    assert shown["Contacts forecast"] == f"{rows['yhat'].sum():,.0f}"
    chosen = next(row for row in meta["backtest"] if row["chosen"])
    assert shown["Backtest WAPE"] == f"{100 * chosen['wape']:.1f}%"
    floor = accuracy.poisson_floor(rows["yhat"].to_numpy())
    assert shown == {"Contacts forecast": f"{rows['yhat'].sum():,.0f}",
                     "Backtest WAPE": f"{100 * chosen['wape']:.1f}%",
                     "Poisson floor (WAPE)": f"{100 * floor['wape']:.1f}%",
                     "Contacts per interval": f"{floor['mean_per_interval']:,.1f}"}
    page.get_by_text(f"Forecast {run_id}: phone, as of {meta['as_of']}, 2 days ahead").wait_for()
    expect(main.locator(".js-plotly-plot")).to_have_count(1)
    expect(main.locator('[data-testid="stDataFrame"]')).to_have_count(1)  # the candidates
    page.screenshot(path=ARTIFACTS / "forecast.png", full_page=True)

    # the Accuracy tab: the record now lists the new run
    page.get_by_role("tab", name="Accuracy").click()
    page.wait_for_url(re.compile(r"tab=Accuracy"))
    download_button = page.get_by_role("button", name="Download the record's accuracy (CSV)")
    download_button.wait_for(timeout=120_000)
    wait_until_idle(page)
    assert_no_exception(page)
    accuracy_tiles = tiles(page)
    assert set(accuracy_tiles) == {"WAPE, stored forecasts", "MAPE, stored forecasts",
                                   "Bias, stored forecasts", "80% interval held", "WAPE, backtest",
                                   "Poisson floor"}
    assert re.fullmatch(r"[0-9.,]+%", accuracy_tiles["WAPE, backtest"])
    query = parse_qs(urlparse(page.url).query)
    assert (query["tab"], query["grain"], query["channels"]) == (["Accuracy"], ["15 minutes"], ["phone"])
    page.screenshot(path=ARTIFACTS / "forecast_accuracy.png", full_page=True)
    with page.expect_download() as download_info:
        download_button.click()
    assert download_info.value.suggested_filename == "forecast_record_accuracy.csv"
    table = list(csv.DictReader(io.StringIO(open(download_info.value.path(), encoding="utf-8").read())))
    by_id = {row["run_id"]: row for row in table}
    assert set(by_id) == stored_runs(demo_folder)  # every stored run, the new one among them
    assert (by_id[run_id]["grain"], by_id[run_id]["label"], by_id[run_id]["as_of"]) == \
        ("15min", "phone", meta["as_of"])
    assert by_id[run_id]["model"] == meta["model"]
    page.get_by_role("heading", name="The record").scroll_into_view_if_needed()
    page.screenshot(path=ARTIFACTS / "forecast_record.png", full_page=True)


def cli_forecast(folder, as_of: str, horizon: int) -> str:
    """A 30-minute phone forecast made with the command line (kept in the record); returns its run id."""
    result = subprocess.run(
        [sys.executable, "-m", "cxdash", "forecast", "--data", str(folder), "--grain", "30min",
         "--horizon", str(horizon), "--channel", "phone", "--as-of", as_of, "--json"],
        cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(result.stdout)["run_id"]


def linked_interval_forecast(folder) -> str:
    """A 30-minute phone forecast from the record (made with the command line when there is none),
    with a newer interval forecast beside it: the page opens the newest by default, so only the
    link can pick this one."""
    from cxdash import record

    def newest_interval_run() -> str:
        runs = record.runs(folder)
        return runs[runs["grain"] != "day"].iloc[0]["run_id"]

    runs = record.runs(folder)
    found = runs[(runs["grain"] == "30min") & runs["channels"].map(lambda c: list(c) == ["phone"])]
    run_id = found.iloc[0]["run_id"] if not found.empty else cli_forecast(folder, "2026-10-20", 2)
    if newest_interval_run() == run_id:
        cli_forecast(folder, "2026-10-27", 1)
    assert newest_interval_run() != run_id
    return run_id


def test_staffing_of_a_stored_forecast_and_a_schedule_with_gaps(page, served_app, demo_folder, tmp_path):
    from cxdash import record
    from cxdash.views.staffing import Inputs, default_inputs, forecast_to_staff, staffing_page

    run_id = linked_interval_forecast(demo_folder)
    with Store.open(demo_folder) as store:
        inputs = default_inputs(store.settings)
        assert inputs == Inputs(80, 20, 85, 30)  # the page starts at the seed's 80/20, 85% and 30%
        expected = staffing_page(forecast_to_staff(store, run_id), inputs).result
    busiest = expected.loc[expected["agents"].idxmax()]
    assert busiest["agents"] >= 1  # room to plant an under-staffed interval

    open_page(page, f"{served_app}/staffing?run={run_id}", "Staffing")
    # the link's run is the one shown: its label names the grain, the selection and the as-of date
    meta = record.metadata(demo_folder, run_id)
    expect(page.get_by_role("combobox", name="Forecast")).to_have_value(
        re.compile(rf"^phone · by 30 minutes · as of {meta['as_of']} · made "))
    agent_hours = expected["agents"].sum() / 2
    shown = tiles(page)
    assert shown == {
        "Peak agents on the phones": str(busiest["agents"]),
        "Agent-hours on the phones": hours_text(agent_hours),
        "Scheduled agent-hours": hours_text(expected["scheduled_agents"].sum() / 2),
        "Average occupancy": f"{100 * (expected['workload_erlangs'].sum() / 2) / agent_hours:.1f}%",
        "Simple formula agent-hours": hours_text(expected["simple_agents"].sum() / 2)}
    peak = page.locator('[data-testid="stMetric"]').filter(has_text="Peak agents on the phones")
    expect(peak.locator('[data-testid="stMetricDelta"]')).to_have_text(f"{busiest['ts']:%a %d %b %H:%M}")
    expect(page.locator('[data-testid="stPlotlyChart"]')).to_have_count(1)
    # phone alone is a live channel: no warning about staffing a backlog by Erlang
    assert page.get_by_text("over-staffs").count() == 0
    page.screenshot(path=ARTIFACTS / "staffing.png", full_page=True)

    page.get_by_text("Why Erlang and the seed's simple formula differ").click()
    fewer = int((expected["simple_agents"] < expected["agents"]).sum())
    more = int((expected["simple_agents"] > expected["agents"]).sum())
    page.get_by_text("1,200 calls a day at 6 minutes").wait_for()
    page.get_by_text(re.compile(rf"plans fewer agents than Erlang in {fewer:,} interval\(s\) .* and more in "
                                rf"{more:,} ")).wait_for()
    page.wait_for_function("() => document.getAnimations().length === 0")  # the expander has opened
    page.screenshot(path=ARTIFACTS / "staffing_formula_explained.png", full_page=True)

    # a schedule: the busiest interval one agent short, another interval two over, one exactly as
    # required, and a row whose agents cannot be
    others = expected.drop(index=busiest.name)
    over, exact = others.iloc[0], others.iloc[len(others) // 2]
    schedule = tmp_path / "my schedule.csv"
    schedule.write_text("interval,agents,note\n"
                        f"{busiest['ts']:%Y-%m-%dT%H:%M},{busiest['agents'] - 1},short\n"
                        f"{over['ts']:%Y-%m-%dT%H:%M},{over['agents'] + 2},over\n"
                        f"{exact['ts']:%Y-%m-%d %H:%M},{exact['agents']},as required\n"
                        f"{others.iloc[-1]['ts']:%Y-%m-%dT%H:%M},-3,a typo\n", encoding="utf-8")
    uploader = page.locator('[data-testid="stFileUploader"]').filter(
        has_text="Compare with your schedule (CSV with columns interval, agents)")
    uploader.locator('input[type="file"]').set_input_files(schedule)
    page.get_by_text("my schedule.csv: 4 rows read = 3 used + 1 set aside.").wait_for()
    wait_until_idle(page)
    assert_no_exception(page)
    warning = page.locator('[data-testid="stAlert"]').filter(has_text="my schedule.csv")
    expect(warning).to_have_count(1)
    expect(warning).to_contain_text("my schedule.csv: column agents: 1 row is not a whole number")
    gaps = tiles(page)
    assert {label: gaps[label] for label in ("Intervals under-staffed", "Intervals over-staffed",
                                             "Intervals as required", "Intervals without a schedule")} == {
        "Intervals under-staffed": "1", "Intervals over-staffed": "1", "Intervals as required": "1",
        "Intervals without a schedule": f"{len(expected) - 3:,}"}
    assert gaps["Peak agents on the phones"] == shown["Peak agents on the phones"]  # the same run still
    expect(page.get_by_text("1 row(s) of my schedule.csv set aside")).to_have_count(1)
    page.get_by_text("Intervals under-staffed").scroll_into_view_if_needed()
    page.screenshot(path=ARTIFACTS / "staffing_schedule.png", full_page=True)
