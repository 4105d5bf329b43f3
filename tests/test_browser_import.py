"""The Import page as users use it: `streamlit run` over a copy of the small demo in Debian's Chromium,
an export uploaded with Playwright, its report read, the import confirmed and counted on the Overview."""

from __future__ import annotations

import re
import shutil

import pytest
from playwright.sync_api import expect

from cxdash.importers import SOURCES, uploads
from tests.conftest import ARTIFACTS, ROOT, _serve
from tests.test_browser import assert_no_exception, kpis_json, open_page, tiles, wait_until_idle

pytestmark = pytest.mark.browser

CTR = ROOT / "tests" / "fixtures" / "imports" / "amazon_connect" / "ctr-2026-10.jsonl"
REASONS = ["not an inbound customer contact (InitiationMethod OUTBOUND)", "not a JSON record",
           "field InitiationTimestamp: missing", "a task (agent work item), not a customer contact"]


@pytest.fixture(scope="module")
def import_folder(demo_folder, tmp_path_factory):
    """A copy of the small demo (prepared store included): the imports stay out of the shared demo."""
    folder = tmp_path_factory.mktemp("import") / "demo"
    shutil.copytree(demo_folder, folder)
    return folder


@pytest.fixture(scope="module")
def served_import(import_folder):
    yield from _serve(import_folder, "streamlit_import.log")


def _contacts(page) -> int:
    return int(tiles(page)["Contacts"].replace(",", ""))


def _choose_source(page, label: str) -> None:
    page.locator('[data-testid="stSelectbox"]').filter(has_text="Source").click()
    page.get_by_role("option", name=label).click()
    # the uploader for this source has replaced the previous one (a file given to the old one is lost)
    expect(page.locator('[data-testid="stFileUploader"]').first).to_contain_text(label)
    wait_until_idle(page)


def _screenshot(page, name: str) -> None:
    """The whole page: Streamlit scrolls inside its main block, so the window grows to its height."""
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": 1440, "height": max(1000, min(int(height), 6000))})
    wait_until_idle(page)
    page.screenshot(path=ARTIFACTS / name)
    page.set_viewport_size({"width": 1440, "height": 1000})


def _upload(page, *paths) -> None:
    page.locator('[data-testid="stFileUploader"]').first.locator('input[type="file"]').set_input_files(
        [str(p) for p in paths])


def test_an_export_is_checked_then_imported_and_the_overview_counts_it(page, served_import, import_folder):
    overview = f"{served_import}/?period=2026-10-01&period=2026-10-31"
    open_page(page, overview, "Overview")
    before = _contacts(page)

    open_page(page, f"{served_import}/data_import", "Import")
    expect(page.get_by_text("Choose or drop the files above")).to_be_visible()
    _choose_source(page, SOURCES["amazon-connect"].label)
    # the server takes 200 MB a file (.streamlit/config.toml), an upload at most LIMITS.upload_bytes
    each = min(200, uploads.LIMITS.upload_bytes // uploads.MB)
    expect(page.get_by_text(f"Accepted: .json or .jsonl files, up to {each} MB each")).to_be_visible()
    _upload(page, CTR)
    page.get_by_role("heading", name="What this upload would do").wait_for()
    wait_until_idle(page)
    assert_no_exception(page)
    shown = tiles(page)
    assert {k: shown[k] for k in ("Records read", "New", "Updated", "Already imported", "Set aside")} == \
        {"Records read": "13", "New": "7", "Updated": "0", "Already imported": "0", "Set aside": "4"}
    for reason in REASONS:
        expect(page.get_by_text(f"set aside: 1 {reason}", exact=True)).to_be_visible()
    expect(page.get_by_text("13 = 7 + 0 + 0 + 1 + 1 + 4")).to_be_visible()
    expect(page.get_by_role("button", name="Download the set-aside records (CSV)")).to_be_visible()
    assert not (import_folder / "interactions" / "amazon-connect").exists()  # nothing written yet
    _screenshot(page, "import_report.png")

    page.get_by_role("button", name="Import 7 records").click()
    page.get_by_text("The dashboards now include them").wait_for()
    wait_until_idle(page)
    assert_no_exception(page)
    expect(page.get_by_text("month files that were written: 2026-10")).to_be_visible()
    expect(page.locator('[data-testid="stFileUploaderFile"]')).to_have_count(0)  # the upload is cleared
    expect(page.get_by_text("What this upload would do")).to_have_count(0)
    _screenshot(page, "import_done.png")
    month = import_folder / "interactions" / "amazon-connect" / "2026-10.parquet"
    assert month.exists()
    assert not any((import_folder / ".cxdash" / "uploads").iterdir())  # the upload's copy is gone

    open_page(page, overview, "Overview")
    after = _contacts(page)
    assert after == before + 7
    assert after == kpis_json(import_folder, "2026-10-01", "2026-10-31")["contacts"]


def test_an_export_the_importer_cannot_use_is_named_without_a_traceback(page, served_import, tmp_path):
    export = tmp_path / "conversations.json"
    export.write_text('{"nothing": []}')
    open_page(page, f"{served_import}/data_import", "Import")
    _choose_source(page, SOURCES["genesys"].label)
    _upload(page, export)
    error = page.locator('[data-testid="stAlertContentError"]')
    error.wait_for()
    wait_until_idle(page)
    assert "Could not be used: conversations.json: not a Genesys" in error.inner_text()
    assert_no_exception(page)
    expect(page.get_by_role("button", name="Import", exact=False)).to_have_count(0)


def test_a_larger_upload_is_checked_under_a_progress_bar_that_goes_once_done(page, served_import, tmp_path):
    """Issue 16: the page shows progress on an import that takes more than a second. 100,000 CTRs (about
    90 MB) take several seconds to check: the bar and the spinner with the time elapsed show the
    stages meanwhile, then give way to the report. (Last in the module: nothing is imported.)"""
    first = CTR.read_text().splitlines()[0]  # an inbound call, with every field
    assert '"ContactId": "c1-voice"' in first
    export = tmp_path / "ctr-large.jsonl"
    count = 100_000  # within an upload's limit of 100 MB
    export.write_text("".join(first.replace('"c1-voice"', f'"large-{n}"') + "\n" for n in range(count)))
    open_page(page, f"{served_import}/data_import", "Import")
    _choose_source(page, SOURCES["amazon-connect"].label)
    _upload(page, export)
    bar = page.locator('[data-testid="stProgress"]')
    expect(bar).to_be_visible(timeout=60_000)
    expect(bar).to_contain_text(re.compile(r"Saving|Counting|Saved|Reading|Read |Checking|Comparing"))
    spinner = page.locator('[data-testid="stSpinner"]')
    expect(spinner).to_contain_text("Nothing is written yet")
    page.screenshot(path=ARTIFACTS / "import_progress.png")
    page.get_by_role("heading", name="What this upload would do").wait_for(timeout=180_000)
    wait_until_idle(page)
    assert_no_exception(page)
    expect(bar).to_have_count(0)  # the bar went once the check was done
    expect(spinner).to_have_count(0)
    assert tiles(page)["Records read"] == f"{count:,}"
    assert tiles(page)["New"] == f"{count:,}"
