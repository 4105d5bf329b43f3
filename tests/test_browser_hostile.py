"""The app in Chromium over data whose names are hostile: no page links to, or loads, what a name says;
each name reads as its text; a CSV download holds it as text, not a formula."""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import urlencode, urlparse

import pytest
from playwright.sync_api import expect

from tests.conftest import ARTIFACTS, _serve
from tests.hostile import AGENT, AGENT_FORMULA, QUEUE, TEAM, TEAM_HTML, write_hostile_demo
from tests.test_browser import assert_no_exception, wait_until_idle

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def served_hostile(tmp_path_factory):
    from cxdash.store import Store

    folder = write_hostile_demo(tmp_path_factory.mktemp("hostile_served"))
    Store.open(folder).close()
    yield from _serve(folder, "streamlit_hostile.log")


def shown_text(page, text: str):
    """The first text element (Markdown, caption) of the page's main part that shows the text; an
    invisible word joiner may sit where an address could start."""
    pattern = re.compile("\u2060?".join(re.escape(character) for character in text))
    elements = page.locator('[data-testid="stMain"]').locator(
        '[data-testid="stMarkdownContainer"], [data-testid="stCaptionContainer"]')
    return elements.filter(has_text=pattern).first


def open_hostile(page, url: str, heading: str) -> list[str]:
    """Open a page and wait until it has drawn; returns the list the page's requests to evil.example
    are collected in."""
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url)
            if urlparse(request.url).hostname == "evil.example" else None)
    page.goto(url)
    page.get_by_role("heading", name=heading).wait_for()
    wait_until_idle(page)
    assert_no_exception(page)
    return fetched


def assert_no_link_or_image(page, fetched: list[str]) -> None:
    assert page.locator('a[href*="evil.example"]').count() == 0
    assert page.locator('img[src*="evil.example"]').count() == 0
    assert fetched == []


@pytest.mark.parametrize(("path", "query", "heading", "names"), [
    ("", {"queue": QUEUE, "team": [TEAM, TEAM_HTML]}, "Overview", [QUEUE, TEAM, TEAM_HTML]),
    ("quality", {"at": "2026-10-05", "by": "Agent", "segment": AGENT}, "Quality", [AGENT]),
    ("monthly_report", {"section": "Returns and coaching"}, "Monthly report", [QUEUE]),
], ids=["overview", "quality", "monthly_report"])
def test_hostile_names_read_as_text_and_link_nowhere(page, served_hostile, path, query, heading, names):
    fetched = open_hostile(page, f"{served_hostile}/{path}?{urlencode(query, doseq=True)}", heading)
    for name in names:
        shown = shown_text(page, name)
        expect(shown).to_be_visible()
    shown.scroll_into_view_if_needed()
    assert_no_link_or_image(page, fetched)
    page.screenshot(path=ARTIFACTS / f"hostile_{heading.lower().replace(' ', '_')}.png")
    if heading == "Quality":  # the sidebar's list of queues shows the name as text too
        sidebar = page.locator('[data-testid="stSidebar"]')
        sidebar.locator('[data-testid="stMultiSelect"]').filter(has_text="Queue").click()
        expect(page.get_by_role("option", name=QUEUE, exact=True)).to_be_visible()
        assert_no_link_or_image(page, fetched)
        page.keyboard.press("Escape")


def test_a_hostile_name_downloads_as_text_not_a_formula(page, served_hostile):
    query = urlencode({"at": "2026-10-05", "by": "Agent", "segment": AGENT_FORMULA})
    fetched = open_hostile(page, f"{served_hostile}/quality?{query}", "Quality")
    expect(shown_text(page, AGENT_FORMULA)).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download movers (CSV)").click()
    rows = list(csv.DictReader(io.StringIO(open(download_info.value.path(), encoding="utf-8").read())))
    segments = [row["segment"] for row in rows]
    assert "'" + AGENT_FORMULA in segments and AGENT_FORMULA not in segments
    assert "'" + AGENT in segments or AGENT in segments  # a name that is no formula is left as it is
    assert not any(segment.startswith(("=", "+", "-", "@")) for segment in segments)
    assert_no_link_or_image(page, fetched)
