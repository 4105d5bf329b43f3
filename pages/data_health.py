"""Data health: every file checked against the contract, freshness, and the rows set aside."""

import streamlit as st

from cxdash import ui
from cxdash.access import for_browser
from cxdash.views.data_health import ALL_FILES, data_health_page, set_aside_rows

store, _, _ = ui.context()
st.title("Data health")
shown = data_health_page(store)
st.caption(shown.caption)

for note in ui.store_notes(store):
    st.info(note, icon=":material/build:")

ui.tiles(shown.tiles, columns=[0.6, 1.3, 1.3, 1.1, 1.4])

if shown.clean:
    st.success("Every file passes the data contract.", icon=":material/check_circle:")
else:
    for message in shown.messages:
        st.warning(message, icon=":material/warning:")

if shown.settings_notice:
    # shown as plain text (a code block): the problems quote the file's own keys and values
    st.subheader("Settings")
    st.warning(shown.settings_notice, icon=":material/settings:")
    st.code(shown.settings_problems, language=None, wrap_lines=True)

st.subheader("Files")
st.dataframe(shown.files, hide_index=True)
ui.download_csv(shown.files, "files.csv", "Download file list (CSV)")

if len(shown.problems):
    st.subheader("Problems")
    st.dataframe(shown.problems, hide_index=True)

st.subheader("Rows set aside")
if not shown.files_with_rows_set_aside:
    st.caption("No rows were set aside.")
else:
    chosen = st.selectbox("File", [ALL_FILES, *shown.files_with_rows_set_aside], key="set_aside_file")
    rows = for_browser(set_aside_rows(store, chosen), ui.access())  # never a customer id
    st.dataframe(rows, hide_index=True)
    ui.download_csv(rows, "set_aside_rows.csv", "Download set-aside rows (CSV)")

st.subheader("Definitions in effect")
st.caption(shown.definitions_caption)
st.dataframe(shown.definitions, hide_index=True)
