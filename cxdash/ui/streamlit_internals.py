"""Every use of Streamlit's private API, in one place (checked against Streamlit 1.67).

Streamlit offers no public way to do these two things; tests/test_streamlit_internals.py asserts the
private names and their behaviour, so an upgrade that changes them fails the suite instead of the app.

1. The frame (app.py) keeps its pages in the top-level pages/ folder and declares them with
   st.navigation. Streamlit decides once per server process, when the first session's PagesManager is
   made, whether the app "uses the pages directory" (`PagesManager.uses_pages_directory`: does
   pages/ exist beside the main script?). Until st.navigation has run once it follows the older rule:
   the script runner wraps app.py in an automatic navigation of its own (`_mpa_v1`), or, for a
   page's URL (a shared link opened on a fresh server), runs that page alone, without the frame.
   No config option turns the rule off: `client.showSidebarNavigation = false` only hides the
   automatic menu, and st.navigation clears the flag only once it is called, which is too late
   for the run it is called in. So the flag is cleared before anything is drawn and the run is
   started again (`turn_off_pages_directory`).

2. A widget bound to the URL (`bind="query-params"`) takes its first value from the query string
   the session opened with (`QueryParams._initial_query_params`), which st.query_params cannot
   change, and st.query_params refuses to set a parameter once a widget is bound to it. Correcting
   a value in a link before its widget is drawn (a period whose dates are swapped, a number out of
   range) therefore writes Streamlit's query-parameter state directly (`rewrite_query_param`).
"""

from __future__ import annotations

from collections.abc import Iterable

import streamlit as st


def pages_directory_rule_on() -> bool:
    """Whether Streamlit still follows its older pages/ rule in this server process."""
    from streamlit.runtime.pages_manager import PagesManager

    return bool(PagesManager.uses_pages_directory)


def turn_off_pages_directory() -> None:
    """Turn the older pages/ rule off and run again, at the same URL, before anything is drawn.
    Does nothing once it is off (after the first run of the server process)."""
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def rewrite_query_param(key: str, values: Iterable[str] | None) -> None:
    """Replace (None: drop) a parameter of this session's link, both in the URL the browser shows and
    in the values a widget bound to it reads first. Call before that widget is drawn; outside a
    script run it does nothing."""
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    context = get_script_run_ctx()
    if context is None:
        return
    with context.session_state.query_params() as params:
        replace_param(params, key, values)


def replace_param(params, key: str, values: Iterable[str] | None) -> None:
    """rewrite_query_param on a streamlit.runtime.state.query_params.QueryParams."""
    opened_with = params._initial_query_params
    if values is None:
        params.remove_param(key)  # sends the new query string to the browser
        opened_with.pop(key, None)
    else:
        values = list(values)
        params._set_item_internal(key, values)
        params._send_query_param_msg()
        opened_with[key] = list(values)
