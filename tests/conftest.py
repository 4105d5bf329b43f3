"""Shared fixtures: a small deterministic demo, AppTest made robust once, and the app served to Chromium."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.apptest import checking

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = Path(os.environ.get("CXDASH_CHROMIUM", "/usr/bin/chromium"))
# headless Chromium on this machine: no sandbox as root, no GPU, no calls home on a closed network
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--enable-unsafe-swiftshader",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--disable-quic"]
DEMO_END = date(2026, 10, 31)
DEMO_SCALE = 0.03


@pytest.fixture(scope="session")
def demo_folder(tmp_path_factory) -> Path:
    """A small Living Well demo (about 3% of full volume), ending 31 October 2026, prepared once."""
    from cxdash.demo import write_demo
    from cxdash.store import Store

    folder = tmp_path_factory.mktemp("demo")
    write_demo(folder, end=DEMO_END, scale=DEMO_SCALE, seed=7)
    Store.open(folder).close()  # validate and roll up once, so every test starts warm
    return folder


@pytest.fixture(scope="session")
def full_demo(tmp_path_factory) -> Path:
    """The demo at full volume (scale 1, about 1.1 million contacts), as `make run` shows it:
    enough ratings a day for the planted CSAT dip to stand out from noise."""
    from cxdash.demo import write_demo
    from cxdash.store import Store

    folder = tmp_path_factory.mktemp("full_demo")
    write_demo(folder, end=DEMO_END, scale=1.0, seed=7)
    Store.open(folder).close()
    return folder


@pytest.fixture(autouse=True)
def _apptest_runs_fail_on_page_failures(monkeypatch):
    """Every AppTest run in the suite fails its test when a page failed, though the app shows a
    sentence instead of an exception (tests/apptest.py); expect_page_failure(at) allows it."""
    monkeypatch.setattr(AppTest, "_run", checking(AppTest._run))


def _clear_streamlit_caches() -> None:
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def app_test(monkeypatch):
    """Build an AppTest of app.py over a data folder, with caches cleared before and after. Each of
    its runs fails the test when a page failed (see _apptest_runs_fail_on_page_failures)."""
    def build(folder: Path, query: dict | None = None) -> AppTest:
        monkeypatch.setenv("CXDASH_DATA", str(folder))
        _clear_streamlit_caches()
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        for key, value in (query or {}).items():
            at.query_params[key] = value
        return at

    yield build
    _clear_streamlit_caches()


def _serve(folder: Path, log_name: str):
    """`streamlit run app.py` over a data folder on a free loopback port; yields its base URL."""
    yield from _serve_with(folder, log_name, [], {})


def _serve_with(folder: Path, log_name: str, extra_args: list[str], env: dict):
    """As _serve, with more `streamlit run` arguments and environment (sign-in's secrets file)."""
    from tests import oidc

    try:
        process, url = oidc.start_streamlit(folder, ARTIFACTS / log_name, extra_args, env)
    except oidc.StartFailed as error:
        pytest.fail(str(error))
    yield url
    oidc.stop(process)


@pytest.fixture(scope="session")
def served_app(demo_folder):
    """The app over the small demo; yields its base URL."""
    yield from _serve(demo_folder, "streamlit.log")


@pytest.fixture(scope="session")
def served_full_demo(full_demo):
    """The app over the full-volume demo, freshly started: its first visitor opens a shared URL."""
    yield from _serve(full_demo, "streamlit_full_demo.log")


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium under Playwright. Missing Chromium fails the suite; it is never skipped."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (`make test` does, as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh browser tab at a desktop size; a screenshot is kept in tests/artifacts/ for review."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
    tab = context.new_page()
    tab.set_default_timeout(60_000)
    yield tab
    context.close()


# --- sign-in (issue 18): a real OpenID Connect provider on the loopback address, and the app using it --

@pytest.fixture(scope="session")
def oidc_provider():
    """oidc-provider-mock on a free loopback port, started by the suite; yields its base URL. It not
    starting fails the test with its log's path (never a skip)."""
    from tests import oidc

    try:
        process, url = oidc.start_provider(ARTIFACTS / "oidc_provider.log")
    except oidc.StartFailed as error:
        pytest.fail(str(error))
    yield url
    oidc.stop(process)


@pytest.fixture(scope="session")
def signed_in_folder(demo_folder, tmp_path_factory) -> Path:
    """A copy of the small demo with the design's DATA/roles.toml (tests/oidc.py ROLES_TOML), and two
    rows set aside that carry known customer ids (C7777777 of Team Day, C7777778 of Team Evening):
    the rows the Data health page lists, which no role may see the customer id of."""
    import shutil

    from tests import oidc
    from tests.builders import write_interactions

    folder = tmp_path_factory.mktemp("signed_in") / "data"
    shutil.copytree(demo_folder, folder)
    (folder / "roles.toml").write_text(oidc.ROLES_TOML, encoding="utf-8")
    write_interactions(folder, [
        dict(interaction_id="PLANTED-1", channel="phone", arrived_at="2026-10-14 17:00", queue="orders",
             answered_at="2026-10-14 17:01", ended_at="2026-10-14 17:06", talk_seconds=300.0,
             agent_id="agent_003", team="Team Day", tier=1, csat_score=9, customer_id="C7777777"),
        dict(interaction_id="PLANTED-2", channel="phone", arrived_at="2026-10-14 18:00", queue="orders",
             answered_at="2026-10-14 18:01", ended_at="2026-10-14 18:06", talk_seconds=-5.0,
             agent_id="agent_004", team="Team Evening", tier=1, customer_id="C7777778"),
    ], name="interactions/month=2026-10-01/planted.parquet")
    return folder


@pytest.fixture(scope="session")
def served_signed_in_app(signed_in_folder, oidc_provider, tmp_path_factory):
    """The app over signed_in_folder with sign-in on against oidc_provider (a generated secrets file,
    random cookie secret), everyone of tests/oidc.py PEOPLE registered; yields its base URL."""
    from tests import oidc

    oidc.add_people(oidc_provider)
    secrets = oidc.write_secrets(tmp_path_factory.mktemp("secrets") / "secrets.toml", oidc_provider)
    yield from _serve_with(signed_in_folder, "streamlit_signed_in.log", ["--secrets.files", str(secrets)], {})
