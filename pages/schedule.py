"""Schedule for planners: a week's shifts, breaks and roster from a stored interval forecast, solved with
CP-SAT for the service level at the least paid hours; what-if headcount, shrinkage, shift lengths and
safety, and the cost of each step of safety. What it shows comes from cxdash.views.schedule."""

import hashlib

import streamlit as st

from cxdash import ui
from cxdash.settings import SCHEDULE_RANGES
from cxdash.views.schedule import (
    SHIFT_LENGTH_CHOICES,
    Inputs,
    default_inputs,
    excel_bytes,
    forecast_to_schedule,
    forecasts,
    keep_schedule,
    read_team,
    safety_curve,
    schedule_page,
    week_label,
)

# the whole-number widgets bound to the URL: key -> (label, lowest, highest)
SCHEDULE_INPUTS = {"agents": ("Agents", *SCHEDULE_RANGES["agents"]),
                   "shrinkage": ("Shrinkage beyond breaks %", *SCHEDULE_RANGES["shrinkage_pct"]),
                   "safety": ("Safety %", *SCHEDULE_RANGES["safety_pct"]),
                   "share": ("Intervals %", *SCHEDULE_RANGES["safety_share_pct"]),
                   "seconds": ("Solver seconds", 1, 120)}

store, _, _ = ui.context()
ui.page_start(store, "Schedule", "No interactions yet: there is nothing to schedule.")
settings = store.settings
labels = forecasts(store)
run_id = ui.pick_forecast_run(labels, "A schedule", ":material/calendar_clock:")
chosen = forecast_to_schedule(store, run_id)

ui.link_numbers(SCHEDULE_INPUTS)
start = default_inputs(settings, chosen.weeks[0])
row = st.columns([2.2, 1, 2.4, 1.4])
more = st.columns(4)
if st.session_state.get("week") not in chosen.weeks:  # another forecast covers other weeks
    st.session_state.pop("week", None)
week = row[0].selectbox("Week", list(chosen.weeks), format_func=week_label, key="week")
agents = row[1].number_input(*SCHEDULE_INPUTS["agents"], start.agents, key="agents", bind="query-params",
                             help="Headcount, full time unless [schedule] part_time_agents says otherwise "
                                  "(a roster file below replaces it).")
shrink = more[0].number_input(*SCHEDULE_INPUTS["shrinkage"], start.shrinkage_pct, key="shrinkage",
                              bind="query-params",
                              help="Paid time off the phones the schedule does not place (absence, training, "
                                   "coaching); the breaks it places itself come on top.")
choices = sorted(set(SHIFT_LENGTH_CHOICES) | set(start.shift_hours))
lengths = row[2].multiselect("Shift lengths (hours)", choices, default=list(start.shift_hours), key="lengths",
                             help="Start to end, an unpaid meal included where the break rules give one.")
safety = more[1].number_input(*SCHEDULE_INPUTS["safety"], start.safety_pct, key="safety", bind="query-params",
                              help="Plan each interval for the contacts it stays under with this chance "
                                   "(50: the forecast itself).")
share = more[2].number_input(*SCHEDULE_INPUTS["share"], start.share_pct, key="share", bind="query-params",
                             help="The share of intervals with contacts planned with that safety; below 100 "
                                  "the solver may leave the costliest others short, each still with an "
                                  "agent on the phones.")
model = row[3].selectbox("Model", list(chosen.models), key="model",
                         help="Erlang A adds callers who hang up, with the patience the data shows.")
seconds = more[3].number_input(*SCHEDULE_INPUTS["seconds"], min(int(start.seconds), 120), key="seconds",
                               bind="query-params",
                               help="The solver's time limit; the gap it reaches is shown.")

upload = st.file_uploader("Roster (optional): CSV of agent, contract_hours, days, earliest, latest",
                          type=["csv"], key="roster", max_upload_size=5,
                          help="One row per agent: contract hours (40, 20-30, full or part), the weekdays "
                               "they work (mon-fri) and their earliest start and latest end. Up to 5 MB.")
roster = None
if upload is not None:
    roster, problems, aside, caption = read_team(upload.getvalue(), upload.name, settings)
    for problem in problems:
        st.warning(problem, icon=":material/warning:")
    if not aside.empty:
        with st.expander(f"{len(aside):,} row(s) of the roster set aside"):
            st.dataframe(aside, hide_index=True, key="roster-set-aside")
    st.caption(caption)

inputs = Inputs(week, int(agents), int(shrink), tuple(sorted(lengths, reverse=True)), int(safety), model,
                float(seconds), int(share))
memo_key = (run_id, inputs, hashlib.sha256(upload.getvalue()).hexdigest() if upload is not None else None)
memo = st.session_state.get("_schedule_memo")
if memo is not None and memo[0] == memo_key:
    shown = memo[1]
else:
    with st.spinner(f"Solving the week with CP-SAT (up to {inputs.seconds:g} s)…"):
        shown = schedule_page(chosen, inputs, settings, roster)
    st.session_state["_schedule_memo"] = (memo_key, shown)
for warning in shown.warnings:
    st.warning(warning, icon=":material/warning:")
if shown.message is not None:
    st.error(shown.message, icon=":material/event_busy:")
    st.stop()

ui.tiles(shown.tiles, columns=4)
st.plotly_chart(shown.chart, key="coverage-chart")
left, right = st.columns(2)
with left.expander(f"Under-staffed: {len(shown.under)} stretch(es)", expanded=bool(shown.under)):
    st.markdown("\n".join(f"- {line}" for line in shown.under) or "None.")
with right.expander(f"Over-staffed: {len(shown.over)} stretch(es)"):
    st.markdown("\n".join(f"- {line}" for line in shown.over) or "None.")
st.subheader("Roster")
st.dataframe(shown.roster, hide_index=True, key="roster-table",
             column_config={"agent": "Agent", "paid_hours": st.column_config.NumberColumn("Paid hours",
                                                                                            format="%.1f")})
buttons = st.columns([1, 1, 1, 3])
with buttons[0]:
    ui.download_csv(shown.shifts, f"schedule_{run_id}_{week}.csv", "Download the roster (CSV)",
                    key="download-roster")
buttons[1].download_button("Download as Excel", lambda: excel_bytes(shown),
                           file_name=f"schedule_{run_id}_{week}.xlsx", on_click="ignore",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                           key="download-roster-excel", icon=":material/download:")
if buttons[2].button("Keep this schedule", key="keep", icon=":material/save:"):
    st.success(f"Kept as {keep_schedule(store, shown)} in the data folder's schedules.")

st.subheader("The cost of safety")
st.caption("For each step, the fewest paid hours that plan the chosen share of intervals for the contacts "
           "they stay under with that chance (the team may go partly unused, and up to half as many again "
           "may be added).")
if st.button("Show the cost of each step of safety", key="curve"):
    bar = st.progress(0.0, text="Solving each step…")
    curve, figure = safety_curve(chosen, inputs, settings, roster,
                                 progress=lambda share, text: bar.progress(share, text=text))
    bar.empty()
    st.plotly_chart(figure, key="safety-chart")
    st.dataframe(curve, hide_index=True, key="safety-table",
                 column_config={"safety_pct": "Safety %", "paid_hours": "Paid hours",
                                "cost_usd": st.column_config.NumberColumn("Cost", format="$%.0f"),
                                "agents_used": "Agents", "shortfall": "Shortfall (contacts)",
                                "service_level": st.column_config.NumberColumn("Service level",
                                                                               format="%.3f"),
                                "share_meeting": st.column_config.NumberColumn("Intervals meeting",
                                                                               format="%.2f"),
                                "gap": "Gap"})
