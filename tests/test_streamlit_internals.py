"""The private Streamlit API cxdash relies on (cxdash/ui/streamlit_internals.py), as Streamlit 1.67 has
it. These fail when a Streamlit upgrade renames or changes it: then the workaround must be revisited."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner import script_runner
from streamlit.runtime.state.query_params import QueryParams
from streamlit.runtime.state.safe_session_state import SafeSessionState

from cxdash.ui import streamlit_internals

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def pages_rule():
    """PagesManager.uses_pages_directory as it was before the test, restored after."""
    before = PagesManager.uses_pages_directory
    yield
    PagesManager.uses_pages_directory = before


def test_the_pages_directory_rule_is_a_class_flag_set_from_the_pages_folder(pages_rule, tmp_path):
    assert "uses_pages_directory" in vars(PagesManager)
    (tmp_path / "pages").mkdir()
    (tmp_path / "app.py").write_text("")
    PagesManager.uses_pages_directory = None
    PagesManager(str(tmp_path / "app.py"), setup_watcher=False)
    assert PagesManager.uses_pages_directory is True and streamlit_internals.pages_directory_rule_on()
    # decided once per process: a later manager keeps it, whatever its folder holds
    PagesManager(str(tmp_path / "elsewhere.py"), setup_watcher=False)
    assert PagesManager.uses_pages_directory is True
    PagesManager.uses_pages_directory = None
    PagesManager(str(ROOT / "app.py"), setup_watcher=False)
    assert PagesManager.uses_pages_directory is True  # the app's own top-level pages/ folder
    PagesManager.uses_pages_directory = False
    assert not streamlit_internals.pages_directory_rule_on()


def test_the_script_runner_wraps_the_main_script_while_the_rule_is_on():
    source = inspect.getsource(script_runner.ScriptRunner)
    assert "if PagesManager.uses_pages_directory:" in source
    assert "_mpa_v1(self._main_script_path)" in source
    assert callable(script_runner._mpa_v1)


def test_turning_the_rule_off_clears_the_flag_and_asks_for_a_rerun(pages_rule, monkeypatch):
    from cxdash.ui import streamlit_internals as internals

    reruns = []
    monkeypatch.setattr(internals.st, "rerun", lambda: reruns.append(True))
    PagesManager.uses_pages_directory = True
    internals.turn_off_pages_directory()
    assert PagesManager.uses_pages_directory is False and reruns == [True]
    internals.turn_off_pages_directory()  # off already: nothing to do
    assert reruns == [True]


def test_query_params_keep_the_values_the_session_opened_with_apart():
    params = QueryParams()
    assert isinstance(params._initial_query_params, dict)
    for name in ("_set_item_internal", "_send_query_param_msg", "remove_param", "get_initial_value",
                 "set_initial_query_params"):
        assert callable(getattr(params, name)), name
    assert inspect.isgeneratorfunction(inspect.unwrap(SafeSessionState.query_params))


def test_a_rewritten_parameter_is_what_a_bound_widget_reads_first():
    params = QueryParams()
    params.set_initial_query_params("period=2026-10-31&period=2026-10-01&horizon=inf&channel=email")
    params._set_item_internal("period", ["2026-10-31", "2026-10-01"])
    params._set_item_internal("horizon", "inf")
    params._set_item_internal("channel", "email")
    # outside a script run no message is sent; the state is changed all the same
    streamlit_internals.replace_param(params, "period", ["2026-10-01", "2026-10-31"])
    assert params.get_all("period") == ["2026-10-01", "2026-10-31"]
    assert params.get_initial_value("period") == ["2026-10-01", "2026-10-31"]
    streamlit_internals.replace_param(params, "horizon", None)
    assert params.get_all("horizon") == [] and params.get_initial_value("horizon") is None
    assert params.get_initial_value("channel") == "email" and params.get_all("channel") == ["email"]
    streamlit_internals.replace_param(params, "absent", None)  # nothing to drop
    assert params.get_initial_value("absent") is None


def test_outside_a_script_run_rewriting_the_link_does_nothing():
    streamlit_internals.rewrite_query_param("period", ["2026-10-01"])  # no context: no error


def test_no_other_module_of_the_app_reaches_into_streamlit_internals():
    private = ("PagesManager", "uses_pages_directory", "_initial_query_params", "_set_item_internal",
               "_send_query_param_msg", "remove_param", "get_script_run_ctx", "streamlit.runtime")
    app = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "cxdash").rglob("*.py"))]
    for path in app:
        if path.name == "streamlit_internals.py":
            continue
        text = path.read_text()
        assert not [name for name in private if name in text], path
