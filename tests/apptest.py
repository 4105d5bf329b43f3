"""The AppTest harness's check: a run of the app fails the test when a page failed.

The app never lets a page's exception reach the browser: cxdash.ui.run_page (and the frame, for a data
folder it cannot open) turns it into a sentence with cxdash.ui.show_failure, so `at.exception` stays
empty on a crashed page. show_failure notes each failure, with its traceback, in the session
(cxdash.ui.FAILURES_KEY); `check_run` reads them after every run. conftest.py applies it to every
AppTest run of the suite (an autouse fixture wraps AppTest._run, which `at.run()`, a widget's
`.run()` and `set_value(...).run()` all go through), so no test can forget it. A test that breaks
a page on purpose says so with `expect_page_failure(at)`.
"""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from cxdash.ui import FAILURES_KEY

_EXPECTED = "_cxdash_page_failure_expected"


def page_failures(at: AppTest) -> list[tuple[str, str]]:
    """The failures (sentence, traceback) the app noted in this AppTest's session, oldest first."""
    return list(at.session_state.get(FAILURES_KEY) or [])


def assert_no_page_failure(at: AppTest) -> None:
    """No page failed (shown as a sentence) and no exception escaped, in any run of this session."""
    failures = page_failures(at)
    assert not failures, "a page failed; the app showed a sentence in its place:\n\n" + "\n\n".join(
        f"{sentence}\n{trace}" for sentence, trace in failures)
    assert not at.exception, [e.value for e in at.exception]


def run(at: AppTest, page: str | None = None) -> AppTest:
    """Run the app (then, with `page`, switch to that page and run again), asserting no page failed."""
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    assert_no_page_failure(at)  # conftest checks every run too
    return at


def expect_page_failure(at: AppTest) -> AppTest:
    """Let this AppTest's runs fail a page: for a test that breaks one on purpose."""
    setattr(at, _EXPECTED, True)
    return at


def check_run(at: AppTest) -> None:
    """After a run: assert_no_page_failure, unless the test expects the failure."""
    if not getattr(at, _EXPECTED, False):
        assert_no_page_failure(at)


def checking(run):
    """AppTest._run, checked after every run, and run as a server runs it: AppTest resets Streamlit's
    pages/ rule (PagesManager.uses_pages_directory) before every run, so from the second run on it
    would run the current page alone, without the frame (no run_page, no sidebar, the first run's
    context). A server decides the rule once per process; here the first run of each AppTest is a
    fresh server's, and its later runs keep the rule as the frame left it (off)."""
    from streamlit.runtime.pages_manager import PagesManager

    def checked(self, *args, **kwargs):
        ran_before = getattr(self, "_cxdash_ran", False)
        manager_init = PagesManager.__init__

        def init(manager, *init_args, **init_kwargs):
            if ran_before and PagesManager.uses_pages_directory is None:
                PagesManager.uses_pages_directory = False
            manager_init(manager, *init_args, **init_kwargs)

        PagesManager.__init__ = init
        try:
            result = run(self, *args, **kwargs)
        finally:
            PagesManager.__init__ = manager_init
        self._cxdash_ran = True
        check_run(self)
        return result

    checked.__wrapped__ = run
    return checked


OPEN_MODE_ICON = ":material/lock_open:"  # the open-mode banner at the top of every page (cxdash.ui.signin)


def page_warnings(at: AppTest) -> list:
    """The warnings a page drew, without the open-mode banner the frame puts above every page."""
    return [warning for warning in at.warning if warning.icon != OPEN_MODE_ICON]
