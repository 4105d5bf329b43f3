"""cxdash: the frame around every page: page config, shared filters, navigation."""

import streamlit as st

from cxdash import ui

ui.navigation_only()
st.set_page_config(page_title="cxdash", page_icon=":material/support_agent:", layout="wide",
                   initial_sidebar_state="expanded")

pages = st.navigation({
    "Reports": [
        st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
        st.Page("pages/quality.py", title="Quality", icon=":material/sentiment_satisfied:"),
        st.Page("pages/monthly_report.py", title="Monthly report", icon=":material/summarize:"),
    ],
    "Planning": [
        st.Page("pages/seasonality.py", title="Seasonality", icon=":material/calendar_month:"),
        st.Page("pages/forecast.py", title="Forecast", icon=":material/insights:"),
        st.Page("pages/staffing.py", title="Staffing", icon=":material/groups:"),
    ],
    "Data": [
        st.Page("pages/data_health.py", title="Data health", icon=":material/health_and_safety:"),
        st.Page("pages/data_import.py", title="Import", icon=":material/upload_file:"),
    ],
})

try:
    store = ui.store()
    # the shared filters narrow the Overview and Quality pages; the others cover everything
    period, filters = ui.sidebar_filters(store, applies=pages.title in ("Overview", "Quality"))
except Exception:  # noqa: BLE001 - a broken data folder must not take the app down
    ui.show_failure("The data folder could not be opened: check that it exists and that cxdash may read "
                    "it. The details are in the server log.")
    st.stop()
ui.set_context(store, period, filters)
ui.run_page(pages)
