"""Executive overview: KPI tiles against targets, and contacts by channel, for the chosen period."""

import streamlit as st

from cxdash import ui
from cxdash.views.overview import overview_page

store, period, filters = ui.context()
ui.page_start(store, "Overview")
shown = overview_page(store, period, filters)
st.caption(shown.caption)
if not shown.has_contacts:
    st.info("No contacts match this period and these filters. Widen the period or clear a filter.",
            icon=":material/filter_alt_off:")
    st.stop()

ui.tiles(shown.tiles, columns=4)
for note in shown.notes:
    st.caption(note)

st.subheader("Contacts by channel")
left, right = st.columns([3, 1])
left.plotly_chart(shown.by_channel_chart, width="stretch")
right.plotly_chart(shown.share_chart, width="stretch")

# drawn when opened: the table and its downloads are not part of the first view
numbers = st.expander("The numbers behind the tiles and the chart", key="overview-numbers",
                      on_change="rerun", icon=":material/table:")
if numbers.open:
    with numbers:
        st.dataframe(shown.table, hide_index=True)
        ui.download_csv(shown.summary.tiles, f"kpis_{period.start}_{period.end}.csv",
                        "Download KPIs (CSV)")
        ui.download_csv(shown.by_channel, f"contacts_by_channel_{period.start}_{period.end}.csv",
                        "Download contacts by channel (CSV)")
