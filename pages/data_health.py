"""Data health: every file checked against the contract, freshness, and the rows set aside."""

import streamlit as st

from cxdash import costs, health, lifetime, ui
from cxdash.metrics import METRICS, definition

store, _, _ = ui.context()
report = store.report
st.title("Data health")
st.caption(f"Data folder: {ui.code(store.folder)} · prepared in {report.seconds:.2f} s · "
           "rows read = rows used + rows set aside, for every file")

for note in ui.store_notes(store):
    st.info(note, icon=":material/build:")

fresh = health.freshness(store)
read, aside = report.rows_read, report.rows_set_aside
cells = st.columns([0.6, 1.3, 1.3, 1.1, 1.4])
cells[0].metric("Files", f"{len(report.files):,}", border=True)
cells[1].metric("Rows read", f"{read:,}", border=True)
cells[2].metric("Rows used", f"{read - aside:,}", border=True)
cells[3].metric("Rows set aside", f"{aside:,}", border=True,
                help="Rows that break the data contract. They are kept, not dropped: see below.")
cells[4].metric("Last day with contacts",
                f"{fresh['last_day']:%d %b %Y}" if fresh["last_day"] else "–", border=True,
                help=f"Newest file changed at {fresh['newest_file_at']:%Y-%m-%d %H:%M} UTC"
                if fresh["newest_file_at"] else None)

if report.clean:
    st.success("Every file passes the data contract.", icon=":material/check_circle:")
else:
    for line in report.messages():
        st.warning(ui.plain(line), icon=":material/warning:")

if store.settings.problems:
    # shown as plain text (a code block): the problems quote the file's own keys and values
    st.subheader("Settings")
    st.warning(f"{len(store.settings.problems)} problem(s) in {ui.code(store.folder / 'cxdash.toml')}: "
               "each setting named below is not used, and its default is in effect until the file is "
               "fixed.", icon=":material/settings:")
    st.code("\n".join(store.settings.problems), language=None, wrap_lines=True)

st.subheader("Files")
files = health.files_frame(report)
st.dataframe(files, hide_index=True)
ui.download_csv(files, "files.csv", "Download file list (CSV)")

problems = health.problems_frame(report)
if len(problems):
    st.subheader("Problems")
    st.dataframe(problems, hide_index=True)

st.subheader("Rows set aside")
with_rows = [f.path for f in report.files if f.rows_set_aside]
if not with_rows:
    st.caption("No rows were set aside.")
else:
    chosen = st.selectbox("File", ["All files", *with_rows], key="set_aside_file")
    rows = health.set_aside_rows(store, "" if chosen == "All files" else chosen)
    st.dataframe(rows, hide_index=True)
    ui.download_csv(rows, "set_aside_rows.csv", "Download set-aside rows (CSV)")

st.subheader("Definitions in effect")
st.caption(f"From {ui.code(store.folder / 'cxdash.toml')} where present, else the seed documents' defaults.")
st.dataframe([{"KPI": METRICS[n].label, "definition": definition(n, store.settings).text}
              for n in METRICS]
             + [{"KPI": label, "definition": text} for label, text in lifetime.definitions(store.settings)]
             + [{"KPI": "Source of costs", "definition": costs.source_text(store)}], hide_index=True)
