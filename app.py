"""cxdash: the frame around every page: page config, who is signed in, shared filters, navigation."""

import streamlit as st

from cxdash import ui
from cxdash.ui import signin

ui.navigation_only()
st.set_page_config(page_title="cxdash", page_icon=":material/support_agent:", layout="wide",
                   initial_sidebar_state="expanded")

# every page by group, as (URL path, title, icon): its file is pages/<URL path>.py; each role sees the
# pages cxdash.access.ROLE_PAGES gives it, the first of them its home
PAGES = {
    "Reports": [("overview", "Overview", "dashboard"), ("quality", "Quality", "sentiment_satisfied"),
                ("monthly_report", "Monthly report", "summarize")],
    "Planning": [("seasonality", "Seasonality", "calendar_month"), ("forecast", "Forecast", "insights"),
                 ("staffing", "Staffing", "groups"), ("schedule", "Schedule", "calendar_view_week")],
    "Data": [("data_health", "Data health", "health_and_safety"), ("data_import", "Import", "upload_file"),
             ("audit", "Audit trail", "policy")],
}

access = signin.who()  # open mode, or the signed-in person's role; stops at the sign-in screen
home = access.pages[0]
pages = st.navigation({
    group: [st.Page(f"pages/{path}.py", title=title, icon=f":material/{icon}:", default=path == home)
            for path, title, icon in entries if access.may_see(path)]
    for group, entries in PAGES.items() if any(access.may_see(path) for path, _, _ in entries)})
signin.refused(access, {path: title for entries in PAGES.values() for path, title, _ in entries})

try:
    store = ui.store(access.teams)
    # the shared filters narrow the Overview and Quality pages; the others cover everything
    period, filters = ui.sidebar_filters(store, applies=pages.title in ("Overview", "Quality"))
except Exception:  # noqa: BLE001 - a broken data folder must not take the app down
    ui.show_failure("The data folder could not be opened: check that it exists and that cxdash may read "
                    "it. The details are in the server log.")
    st.stop()
ui.set_context(store, period, filters, access)
ui.run_page(pages)
