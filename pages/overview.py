"""Executive overview: KPI tiles against targets, and contacts by channel, for the chosen period."""

import streamlit as st

from cxdash import charts, kpis, ui
from cxdash.store import COST_MODEL

store, period, filters = ui.context()
st.title("Overview")
ui.demo_notice()
ui.data_problem_banner(store)

summary = kpis.overview(store, period, filters)
st.caption(f"**{summary.period}** ({ui.scope_text(filters)}) · compared with {summary.previous} and, a "
           f"year earlier, {summary.last_year} · times in {store.settings.timezone}")

if summary.tiles.loc[summary.tiles["metric"] == "contacts", "value"].iloc[0] == 0:
    st.info("No contacts match this period and these filters. Widen the period or clear a filter.",
            icon=":material/filter_alt_off:")
    st.stop()

ui.kpi_tiles(summary)
if filters.splits_costs:
    st.caption("Cost per contact needs no queue or team filter: costs are booked by channel.")
if store.cost_source == COST_MODEL:
    st.caption("Cost per contact comes from the cost model in the settings: the data folder has no "
               "costs table. The Monthly report says how it is computed.")

st.subheader("Contacts by channel")
by_channel = kpis.contacts_by_channel(store, period, filters)
left, right = st.columns([3, 1])
left.plotly_chart(charts.contacts_by_channel(by_channel), width="stretch")
right.plotly_chart(charts.channel_share(by_channel), width="stretch")

with st.expander("The numbers behind the tiles and the chart"):
    st.dataframe(summary.tiles[["label", "value", "previous", "last_year", "change_pct", "status",
                                "target", "definition"]], hide_index=True)
    ui.download_csv(summary.tiles, f"kpis_{period.start}_{period.end}.csv", "Download KPIs (CSV)")
    ui.download_csv(by_channel, f"contacts_by_channel_{period.start}_{period.end}.csv",
                    "Download contacts by channel (CSV)")
