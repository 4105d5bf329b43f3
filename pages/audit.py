"""Audit trail: who signed in, downloaded, imported, was refused a page or changed settings; for admins."""

import streamlit as st

from cxdash import ui
from cxdash.audit import TRAIL, AuditError
from cxdash.views.audit import audit_page

store, _, _ = ui.context()
st.title("Audit trail")
st.caption(f"Every sign-in, download, import, refused page and change of settings, one line each in "
           f"{ui.code(TRAIL)} in the data folder: lines are added, never rewritten. Times are UTC.")

# the filters' values as the person left them (none on the first visit: everything): the trail is read
# once a run, and the widgets, drawn below, take their options from it
state = st.session_state
picked = state.get("audit_days") or ()
picked = tuple(picked) if isinstance(picked, tuple | list) else (picked,)
start, end = (picked[0], picked[-1]) if picked else (None, None)  # one day picked so far: that day
users, chosen = list(state.get("audit_people") or []), list(state.get("audit_actions") or [])
try:
    shown = audit_page(store.folder, start, end, users, chosen)
except AuditError as error:
    ui.show_failure(str(error))  # one sentence, no path; the details go to the server log
    st.stop()

if shown.empty:
    st.info("Nothing is recorded yet: sign-ins, downloads, imports, refused pages and changes of settings "
            "appear here as they happen.", icon=":material/policy:")
    st.stop()

if shown.intact:
    st.success(shown.chain, icon=":material/verified:")
else:
    st.warning(shown.chain, icon=":material/gpp_maybe:")

days, people, actions = st.columns([1.2, 1.4, 1.4])
days.date_input("Days (UTC)", value=(shown.first_day, shown.last_day) if shown.first_day else (),
                key="audit_days", help="Inclusive. A damaged line has no time: it is always shown.")
now = (people.multiselect("People", shown.users, key="audit_people", placeholder="Everyone"),
       actions.multiselect("Actions", shown.actions, key="audit_actions", placeholder="All actions"))
if now != (users, chosen):  # a person or action the trail no longer holds (edited by hand) was dropped
    shown = audit_page(store.folder, start, end, *now)

st.caption(shown.caption)
if shown.shown:
    st.dataframe(shown.rows, hide_index=True, column_config={
        "at": st.column_config.DatetimeColumn("at (UTC)", format="YYYY-MM-DD HH:mm:ss.SSS", timezone="UTC"),
        "line": st.column_config.NumberColumn("line", format="%d")})
    ui.download_csv(shown.rows, "audit_trail.csv", "Download these events (CSV)", key="audit-download",
                    details={"days": [str(start or ""), str(end or "")], "people": users, "actions": chosen})
else:
    st.info("No event matches these filters.", icon=":material/filter_alt_off:")
