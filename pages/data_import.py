"""Import: upload a platform's export (or a parquet file in the data contract), read what it would add
and set aside before anything is written, then confirm; the history of imports below."""

import streamlit as st

from cxdash import ui
from cxdash.ui import importing

store, _, _ = ui.context()
st.title("Import")
st.caption(f"Into the data folder {ui.code(store.folder)}. Nothing is written until you confirm: first you "
           "see what the files would add, and which records would be set aside and why.")
importing.finished_notice()
source = importing.source_picker()
files, mapping = importing.upload_widgets(source)
if files:
    importing.review(store, source, files, mapping)
else:
    importing.forget_upload(store.folder)
    st.info("Choose or drop the files above: you will see what they would add before anything is "
            "written.", icon=":material/upload_file:")
importing.history_section(store.folder)
