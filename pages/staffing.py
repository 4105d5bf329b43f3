"""Staffing for planners: agents each interval of a stored forecast needs (Erlang C or A), against the
seed's simple formula and the user's own schedule. What it shows comes from cxdash.views.staffing."""

import streamlit as st

from cxdash import forecast, ui
from cxdash.settings import STAFFING_RANGES
from cxdash.views.staffing import (
    STAFF_TO,
    Inputs,
    compare_schedule,
    day_chart,
    default_inputs,
    forecast_to_staff,
    forecasts,
    staffing_page,
)

# the whole-number widgets bound to the URL: key -> (label, lowest, highest)
STAFFING_INPUTS = {"sl": ("Service level %", *STAFFING_RANGES["service_level_target_pct"]),
                   "within": ("Within seconds", 1, 600),
                   "occupancy": ("Max occupancy %", *STAFFING_RANGES["max_occupancy_pct"]),
                   "shrinkage": ("Shrinkage %", *STAFFING_RANGES["shrinkage_pct"])}

store, _, _ = ui.context()
ui.page_start(store, "Staffing", "No interactions yet: there is nothing to staff.")
settings = store.settings
labels = forecasts(store)
run_id = ui.pick_forecast_run(labels, "Staffing", ":material/groups:")
chosen = forecast_to_staff(store, run_id)
if chosen.warning is not None:
    st.warning(chosen.warning, icon=":material/warning:")

ui.link_numbers(STAFFING_INPUTS)
start = default_inputs(settings)
row = st.columns(6)
level = row[0].number_input(*STAFFING_INPUTS["sl"], start.service_level_pct, key="sl", bind="query-params",
                            help="Share of offered contacts to answer within the target time.")
within = row[1].number_input(*STAFFING_INPUTS["within"], start.within_seconds, key="within",
                             bind="query-params")
cap = row[2].number_input(*STAFFING_INPUTS["occupancy"], start.max_occupancy_pct, key="occupancy",
                          bind="query-params", help="No interval is planned busier than this (seed: 80-85%).")
shrink = row[3].number_input(*STAFFING_INPUTS["shrinkage"], start.shrinkage_pct, key="shrinkage",
                             bind="query-params",
                             help="Paid time off the phones (breaks, training, absence). Scheduled "
                                  "= on the phones / (1 - shrinkage).")
staff_to = row[4].selectbox("Staff to", list(STAFF_TO), key="staff_to", bind="query-params",
                            help=f"The forecast, or the upper end of its {forecast.LEVEL:.0%} interval "
                                 "(staffing for a busier day than expected).")
model = row[5].selectbox("Model", list(chosen.models), key="model", bind="query-params",
                         help="Erlang A adds abandonment: callers hang up after a patience drawn "
                              "from the data (time waited / abandons over the last eight weeks)."
                         + ("" if chosen.patience_seconds else " No abandons in the data: Erlang C only."))

with st.spinner("Staffing every interval…"):
    shown = staffing_page(chosen, Inputs(level, within, cap, shrink, staff_to, model))
if shown.nothing_to_staff is not None:
    st.info(shown.nothing_to_staff, icon=":material/groups:")
    st.stop()
ui.tiles(shown.tiles)

upload = st.file_uploader("Compare with your schedule (CSV with columns interval, agents)", type=["csv"],
                          key="schedule", max_upload_size=5,
                          help="One row per interval start (local time unless it carries an "
                               "offset) with the agents on the phones. Up to 5 MB.")
compared = None
if upload is not None:
    compared = compare_schedule(shown, upload.getvalue(), upload.name, settings)
    for problem in compared.problems:
        st.warning(problem, icon=":material/warning:")
    if not compared.set_aside.empty:
        with st.expander(compared.set_aside_label):
            st.dataframe(compared.set_aside, hide_index=True, key="schedule-set-aside")
    st.caption(compared.caption)

day = st.selectbox("Day shown", list(shown.days), format_func=lambda d: f"{d:%a %d %b %Y}", key="day",
                   help="The chart shows one day's intervals; the table below sums every day.")
st.plotly_chart(day_chart(shown, day, None if compared is None else compared.schedule), key="staffing-chart")
st.dataframe(shown.by_day, hide_index=True, key="staffing-days",
             column_config={"day": "Day",
                            "contacts": st.column_config.NumberColumn("Contacts", format="%.0f"),
                            "agent_hours": "Agent-hours (Erlang)",
                            "simple_agent_hours": "Agent-hours (simple formula)",
                            "scheduled_hours": "Scheduled hours", "peak_agents": "Peak agents",
                            "occupancy_pct": st.column_config.NumberColumn("Average occupancy",
                                                                           format="%.1f%%")})
with st.expander("Why Erlang and the seed's simple formula differ", expanded=False):
    st.markdown(shown.formula)
if compared is not None and compared.gaps is not None:
    ui.tiles(compared.tiles)
    if not compared.under.empty:
        st.dataframe(compared.under, hide_index=True, key="schedule-under",
                     column_config={"ts": "Interval", "required": "Required on the phones",
                                    "scheduled": "Your schedule", "gap": "Gap", "status": "Status"})
ui.download_csv(shown.download, f"staffing_{run_id}.csv", "Download the staffing (CSV)",
                key="download-staffing")
