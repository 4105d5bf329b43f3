"""The Schedule page in Debian's Chromium: open it from a stored forecast, change the headcount, see the
coverage and the service level change, download the roster."""

from __future__ import annotations

import csv
import re
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from tests.conftest import ARTIFACTS
from tests.test_browser import assert_no_exception, cli_forecast, open_page, tiles, wait_until_idle

pytestmark = pytest.mark.browser


def paid_hours_tile(page):
    return page.locator('[data-testid="stMetric"]').filter(has_text="Paid hours")


def test_the_schedule_page_plans_a_stored_forecast_and_follows_the_headcount(page, served_app, demo_folder):
    run_id = cli_forecast(demo_folder, "2026-10-19", 6)
    open_page(page, f"{served_app}/schedule?run={run_id}&seconds=3", "Schedule")
    value = paid_hours_tile(page).locator('[data-testid="stMetricValue"]')
    expect(value).to_have_text("960", timeout=120_000)
    before = tiles(page)
    assert before["Labour cost"] == "$33,600"  # 24 full-time agents, 40 hours at $35
    expect(page.locator('[data-testid="stPlotlyChart"]')).to_have_count(1)
    chart_before = page.locator('[data-testid="stPlotlyChart"]').inner_html()
    page.screenshot(path=ARTIFACTS / "schedule.png", full_page=True)

    agents = page.get_by_role("spinbutton", name="Agents")
    agents.fill("2")
    agents.press("Enter")
    expect(paid_hours_tile(page).locator('[data-testid="stMetricValue"]')).to_have_text("80", timeout=120_000)
    wait_until_idle(page)
    assert_no_exception(page)
    after = tiles(page)
    assert after["Labour cost"] == "$2,800"
    level = {name: float(shown["Weekly service level"].rstrip("%")) for name, shown in
             (("before", before), ("after", after))}
    assert level["after"] < level["before"]
    assert page.locator('[data-testid="stPlotlyChart"]').inner_html() != chart_before  # the coverage moved
    assert parse_qs(urlparse(page.url).query)["agents"] == ["2"]
    page.get_by_text(re.compile(r"agents short on the phones")).first.wait_for()
    page.screenshot(path=ARTIFACTS / "schedule_two_agents.png", full_page=True)

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download the roster (CSV)").click()
    download = download_info.value
    assert download.suggested_filename.startswith(f"schedule_{run_id}_2026-10-19")
    rows = list(csv.DictReader(open(download.path(), encoding="utf-8")))
    assert {row["agent"] for row in rows} == {"Agent 1", "Agent 2"}
    assert len(rows) == 10  # five shifts each
    assert sum(float(row["paid_hours"]) for row in rows) == 80
    assert all(row["date"].startswith("2026-10-") for row in rows)
