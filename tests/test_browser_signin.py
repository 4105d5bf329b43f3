"""Sign-in through a real OpenID Connect provider, as each role, in Debian's Chromium (issue 18).

The provider (oidc-provider-mock) and the app run on the loopback address, started by the suite
(tests/oidc.py, the fixtures at the end of tests/conftest.py); the browser reaches nothing else.
What reaches the browser is read where it arrives: every websocket message the app sends (decoded:
the tables' Arrow data, the charts, the headings) and every file downloaded, so that "never shown"
means never sent, not merely hidden.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import zipfile

import duckdb
import pyarrow as pa
import pytest
from google.protobuf.message import DecodeError
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from cxdash.metrics import format_value
from tests import oidc
from tests.conftest import ARTIFACTS, ROOT
from tests.test_browser import assert_no_exception, tiles, wait_until_idle

pytestmark = pytest.mark.browser

# every page: URL path -> title in the navigation
TITLES = {"overview": "Overview", "quality": "Quality", "monthly_report": "Monthly report",
          "seasonality": "Seasonality", "forecast": "Forecast", "staffing": "Staffing",
          "schedule": "Schedule", "data_health": "Data health", "data_import": "Import",
          "audit": "Audit trail"}
# the Schedule page (issue 18's sibling) counts once its file exists and app.py names it
HAS_SCHEDULE = (ROOT / "pages" / "schedule.py").exists() and re.search(
    r"""["'](pages/)?schedule(\.py)?["']""", (ROOT / "app.py").read_text(encoding="utf-8")) is not None


def titles(*paths: str) -> set[str]:
    """The navigation titles of these pages (Schedule only once the app has that page)."""
    return {TITLES[p] for p in paths if p != "schedule" or HAS_SCHEDULE}


# who signs in -> (role, the navigation they see), by the design of issue 18
ROLES = {
    "dana@livingwell.example": ("director", titles("overview", "quality", "monthly_report", "seasonality",
                                                   "forecast", "staffing", "schedule", "data_health")),
    "quinn@livingwell.example": ("quality", titles("overview", "quality", "data_health")),
    "pat@livingwell.example": ("planner", titles("overview", "seasonality", "forecast", "staffing",
                                                 "schedule")),
    "lee@livingwell.example": ("team_lead", titles("overview", "quality")),
    "ada@livingwell.example": ("admin", titles(*TITLES)),
    "gil@livingwell.example": ("quality_by_group", titles("overview", "quality", "data_health")),
}
LEE, ADA, UMA = "lee@livingwell.example", "ada@livingwell.example", "uma@livingwell.example"
CUSTOMER_ID = re.compile(rb"\bC\d{7}\b")  # the demo's customer ids: C0001504 (cxdash/demo.py)
PLANTED_IDS = (b"C7777777", b"C7777778")  # on the rows set aside (signed_in_folder)
HIDDEN_COLUMNS = {"customer_id", "record"}
OCTOBER = ("2026-10-01", "2026-10-31")  # the default period: the demo's last full month


# --- what the app sends the browser -----------------------------------------------------------------

class Received:
    """Every websocket message the app sends a tab from now on, and every file the tab downloads."""

    def __init__(self, page):
        self.frames: list[bytes] = []
        self.downloads: dict[str, bytes] = {}
        page.on("websocket", lambda socket: socket.on("framereceived", self._frame))

    def _frame(self, payload) -> None:
        self.frames.append(payload if isinstance(payload, bytes) else payload.encode())

    def messages(self):
        for frame in self.frames:
            try:
                yield ForwardMsg.FromString(frame)
            except DecodeError:
                continue

    def elements(self):
        for message in self.messages():
            if message.WhichOneof("type") == "delta" and message.delta.WhichOneof("type") == "new_element":
                yield message.delta.new_element

    def kinds(self) -> set[str]:
        return {element.WhichOneof("type") for element in self.elements()}

    def headings(self) -> set[str]:
        return {e.heading.body for e in self.elements() if e.WhichOneof("type") == "heading"}

    def tables(self) -> list[pa.Table]:
        """Every table sent (st.dataframe, st.table; a lazily loaded one by its first chunk and schema)."""
        found = []
        for element in self.elements():
            kind = element.WhichOneof("type")
            if kind not in ("dataframe", "table"):
                continue
            proto = getattr(element, kind)
            data = proto.arrow_data.data
            if not data and kind == "dataframe" and proto.HasField("lazy_data"):
                data = proto.lazy_data.initial_chunk.data
            if data:
                found.append(pa.ipc.open_stream(data).read_all())
        return found

    def chart_specs(self) -> list[str]:
        return [e.plotly_chart.spec for e in self.elements() if e.WhichOneof("type") == "plotly_chart"]

    def text_cells(self) -> set[str]:
        """Every text value of every table sent."""
        cells = set()
        for table in self.tables():
            for column in table.columns:
                if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
                    cells.update(v for v in column.to_pylist() if v is not None)
                elif pa.types.is_dictionary(column.type):
                    cells.update(str(v) for v in column.to_pylist() if v is not None)
        return cells

    def assert_no_customer_ids(self) -> None:
        """No customer id in anything sent or downloaded, and no table or CSV with a customer column."""
        for frame in self.frames:
            found = CUSTOMER_ID.search(frame)
            assert found is None, f"a customer id reached the browser: {found.group().decode()}"
        for table in self.tables():
            assert not HIDDEN_COLUMNS & set(table.column_names), table.column_names
        for name, data in self.downloads.items():
            found = CUSTOMER_ID.search(unzipped(data))
            assert found is None, f"{name} holds a customer id: {found.group().decode()}"
            if name.endswith(".csv"):
                header = data.decode("utf-8-sig").splitlines()[0].split(",") if data else []
                assert not HIDDEN_COLUMNS & set(header), f"{name}: {header}"


def unzipped(data: bytes) -> bytes:
    """A file's bytes; a zip's (an Excel workbook) every member's, uncompressed."""
    if not data.startswith(b"PK"):
        return data
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return b"\n".join(archive.read(name) for name in archive.namelist())


def download_everything(page, received: Received) -> None:
    """Open every expander and every tab of the page and click every download button in them;
    the files go to received.downloads. (A closed expander's content and a hidden tab's panel are
    inert: out of reach until opened.)"""
    done: set[str] = set()
    tabs = page.locator('[data-testid="stTab"]')
    index = -1
    while index < tabs.count():
        if index >= 0:
            tabs.nth(index).click()
            settle(page)  # a tab kept in the URL reruns the page
        closed = page.locator('[data-testid="stExpander"] details:not([open]) > summary:not([inert] *)')
        while closed.count():
            closed.first.click()
            settle(page)
        for key in page.evaluate(REACHABLE_DOWNLOADS):
            if key in done:
                continue
            done.add(key)
            with page.expect_download() as info:
                container = page.locator(f'[data-testid="stElementContainer"][class~="{key}"]')
                container.locator("button").filter(visible=True).first.click()
            download = info.value
            received.downloads[f"{key}:{download.suggested_filename}"] = open(download.path(), "rb").read()
        index += 1


def settle(page) -> None:
    """After a click that may rerun the page (an expander drawing its content on opening, a tab kept
    in the URL): wait for the run to start, if it does, and to finish (a download button of the run
    before is stale)."""
    try:
        page.wait_for_selector('[data-testid="stApp"]:not([data-test-script-state="notRunning"])',
                               timeout=3000)
    except PlaywrightTimeout:
        pass  # no rerun
    wait_until_idle(page)


# the Streamlit key class (st-key-...) of every download button within reach
REACHABLE_DOWNLOADS = """() => [...document.querySelectorAll('[data-testid="stDownloadButton"]')]
  .filter(e => !e.closest('[inert]') && e.getClientRects().length > 0)
  .map(e => [...e.closest('[data-testid="stElementContainer"]').classList].find(c => c.startsWith('st-key-')))
  .filter(k => k)"""


# --- what the browser shows -------------------------------------------------------------------------

def navigation(page) -> set[str]:
    """The titles in the sidebar's navigation (all of them: "View more" opened)."""
    nav = page.locator('[data-testid="stSidebarNav"]')
    if nav.count() == 0:
        return set()
    more = nav.locator('[data-testid="stSidebarNavViewButton"]')
    if more.count() and more.inner_text().startswith("View") and "less" not in more.inner_text():
        more.click()
    return {link.inner_text().strip().splitlines()[-1].strip()
            for link in nav.locator('[data-testid="stSidebarNavLink"]').all()}


def shown_text(locator) -> str:
    """The text a person reads (without the invisible word joiners that keep an email from
    becoming a link)."""
    return locator.inner_text().replace("\u2060", "")


def open_signed_in(page, url: str) -> None:
    """Open a URL of the app in a signed-in tab; wait until it has drawn, without an exception."""
    page.goto(url)
    page.wait_for_function(oidc.APP_DRAWN)
    wait_until_idle(page)
    assert_no_exception(page)


def contacts(folder, team: str | None = None) -> str:
    """October's Contacts tile as the command line computes it, for the whole operation or a team."""
    command = [sys.executable, "-m", "cxdash", "kpis", "--data", str(folder), "--start", OCTOBER[0],
               "--end", OCTOBER[1], "--json"] + (["--team", team] if team else [])
    figures = json.loads(subprocess.run(command, cwd=ROOT, capture_output=True, text=True,
                                        check=True).stdout)
    return format_value("contacts", figures["contacts"])


@pytest.fixture
def tab(page):
    """A fresh tab that reaches the loopback address only."""
    oidc.keep_to_loopback(page.context)
    return page


# --- the tests ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("email", list(ROLES))
def test_each_role_sees_only_its_pages_in_the_navigation(tab, served_signed_in_app, email):
    role, expected = ROLES[email]
    oidc.sign_in(tab, served_signed_in_app, email)
    wait_until_idle(tab)
    assert_no_exception(tab)
    tab.get_by_role("heading", name="Overview").wait_for()  # every role lands on the Overview
    assert navigation(tab) == expected
    assert email in shown_text(tab.locator('[data-testid="stSidebar"]'))  # who is signed in
    assert tiles(tab)  # the Overview's tiles are drawn for every role
    tab.screenshot(path=ARTIFACTS / f"signin_{role}.png", full_page=True)


@pytest.mark.parametrize(("email", "path", "heading"), [
    ("pat@livingwell.example", "data_import", "Import"),
    ("lee@livingwell.example", "forecast", "Forecast"),
])
def test_a_page_the_role_may_not_see_is_refused_by_url(tab, served_signed_in_app, email, path, heading):
    oidc.sign_in(tab, served_signed_in_app, email)
    received = Received(tab)
    open_signed_in(tab, f"{served_signed_in_app}/{path}")
    tab.get_by_role("heading", name="Overview").wait_for()  # the default page instead
    wait_until_idle(tab)
    tab.screenshot(path=ARTIFACTS / f"signin_refused_{path}.png", full_page=True)
    assert tab.get_by_role("heading", name=heading, exact=True).count() == 0
    assert heading not in received.headings()  # never sent, not merely hidden
    assert "Overview" in received.headings()
    assert "file_uploader" not in received.kinds()
    assert TITLES[path] not in navigation(tab)
    received.assert_no_customer_ids()


def test_a_team_lead_sees_their_team_only_whatever_the_url_says(tab, served_signed_in_app, signed_in_folder):
    oidc.sign_in(tab, served_signed_in_app, LEE)
    # the Overview counts Team Day's contacts: the command line's figure for that team
    assert tiles(tab)["Contacts"] == contacts(signed_in_folder, "Team Day")
    assert contacts(signed_in_folder, "Team Day") != contacts(signed_in_folder)

    # the Quality page, broken down by team on a day: every table lists Team Day, and only it
    received = Received(tab)
    open_signed_in(tab, f"{served_signed_in_app}/quality?at=2026-10-14&by=Team")
    download_everything(tab, received)
    cells = received.text_cells()
    assert "Team Day" in cells
    assert not {"Team Evening", "Team Dawn"} & cells
    received.assert_no_customer_ids()

    # a link that names another team (as a filter, a drill-down's team) shows none of its data
    received = Received(tab)
    url = (f"{served_signed_in_app}/quality?team=Team%20Evening&at=2026-10-14&by=Team"
           "&segment=Team%20Evening")
    open_signed_in(tab, url)
    tab.screenshot(path=ARTIFACTS / "signin_team_lead_other_team_url.png", full_page=True)
    download_everything(tab, received)
    assert not any("Team Evening" in cell for cell in received.text_cells())
    assert not any("Team Evening" in spec for spec in received.chart_specs())
    assert not any(b"Team Evening" in data for data in received.downloads.values())
    received.assert_no_customer_ids()

    # the same on the Overview: its Contacts tile is never Team Evening's, nor the whole operation's
    open_signed_in(tab, f"{served_signed_in_app}/?team=Team%20Evening")
    shown = tiles(tab).get("Contacts") if tab.locator('[data-testid="stMetric"]').count() else None
    assert shown not in (contacts(signed_in_folder, "Team Evening"), contacts(signed_in_folder))


def test_someone_not_in_the_roles_file_sees_that_they_have_no_access_and_no_data(tab, served_signed_in_app):
    received = Received(tab)
    oidc.sign_in(tab, served_signed_in_app, UMA)
    tab.get_by_text(re.compile("no access", re.IGNORECASE)).first.wait_for()
    assert UMA in shown_text(tab.locator('[data-testid="stMain"]'))
    open_signed_in(tab, f"{served_signed_in_app}/quality?team=Team%20Day")  # a shared link: nothing either
    tab.get_by_text(re.compile("no access", re.IGNORECASE)).first.wait_for()
    tab.screenshot(path=ARTIFACTS / "signin_no_access.png", full_page=True)
    assert navigation(tab) == set()
    assert not {"metric", "dataframe", "table", "plotly_chart", "download_button"} & received.kinds()
    assert not {"Overview", "Quality"} & received.headings()
    assert b"Team Day" not in b"".join(received.frames)


def test_no_customer_id_reaches_the_browser_on_any_page_or_download(tab, served_signed_in_app,
                                                                    signed_in_folder):
    # the pattern is the demo's: it finds every customer id of its interactions
    ids = duckdb.sql(f"select customer_id from read_parquet('{signed_in_folder}/interactions/*/*.parquet') "
                     "where customer_id is not null").fetchall()
    assert ids and all(CUSTOMER_ID.fullmatch(i.encode()) for (i,) in ids)

    oidc.sign_in(tab, served_signed_in_app, ADA)  # the admin sees every page
    received = Received(tab)
    paths = [p for p, title in TITLES.items() if title in navigation(tab)]
    assert len(paths) == len(ROLES[ADA][1])
    for path in paths:
        # the Quality page broken down by team on a day: its tables name every team
        query = "?at=2026-10-14&by=Team" if path == "quality" else ""
        open_signed_in(tab, f"{served_signed_in_app}/{path}{query}")
        tab.get_by_role("heading", name=TITLES[path]).first.wait_for()
        download_everything(tab, received)
        assert_no_exception(tab)
    # the rows set aside reached the browser (Data health lists them), without their customer ids
    assert {"PLANTED-1", "PLANTED-2"} <= received.text_cells()
    assert any(b"PLANTED-1" in data for data in received.downloads.values())
    assert not any(planted in frame for frame in received.frames for planted in PLANTED_IDS)
    received.assert_no_customer_ids()
    # the admin's Quality breakdown names every team (what the team lead's test looks for is sent)
    assert {"Team Day", "Team Evening"} <= received.text_cells()


def test_a_cookie_signed_with_another_secret_signs_nobody_in(tab, served_signed_in_app):
    from streamlit.web.server.starlette.starlette_app_utils import create_signed_value

    forged = json.dumps({"email": ADA, "is_logged_in": True, "provider": "default",
                         "origin": served_signed_in_app, "groups": ["cx-admins"]})
    value = create_signed_value("not-the-app's-cookie-secret-0123456789", "_streamlit_user", forged)
    tab.context.add_cookies([{"name": "_streamlit_user", "value": value.decode(),
                              "url": served_signed_in_app}])
    received = Received(tab)
    tab.goto(served_signed_in_app)
    tab.get_by_role("button", name="Sign in").wait_for()
    wait_until_idle(tab)
    assert navigation(tab) == set()
    assert not {"metric", "dataframe", "plotly_chart"} & received.kinds()


@pytest.mark.parametrize("path", ["", "data_health"])
def test_open_mode_says_at_the_top_that_the_app_is_open(tab, served_app, path):
    tab.goto(f"{served_app}/{path}")
    wait_until_idle(tab)
    banner = tab.locator('[data-testid="stAlert"]').filter(has_text=re.compile("open", re.IGNORECASE)).first
    banner.wait_for()
    text = banner.inner_text()
    assert re.search(r"open mode|is open", text, re.IGNORECASE), text
    assert re.search(r"sign-in|sign in", text, re.IGNORECASE), text
    assert re.search(r"this computer", text, re.IGNORECASE), text
    assert tab.get_by_role("button", name="Sign in").count() == 0
    tab.screenshot(path=ARTIFACTS / f"open_mode{'_' + path if path else ''}.png")
