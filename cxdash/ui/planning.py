"""The planners' widgets: the forecast selection, running a forecast with progress, the forecast and
its candidates, the accuracy of the record, and staffing. Streamlit only; the work is in
cxdash.forecast, cxdash.record, cxdash.accuracy and cxdash.staffing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
import streamlit as st

from cxdash import accuracy, charts, forecast, kpis, record, staffing
from cxdash.safe import plain
from cxdash.store import Store
from cxdash.ui import download_csv, link_numbers, today

GRAIN_LABELS = {"day": "Day", "30min": "30 minutes", "15min": "15 minutes"}
PERCENT = st.column_config.NumberColumn(format="%.1f%%")
WAPE_HELP = ("WAPE = sum of |actual - forecast| / sum of actuals: the headline, safe on quiet intervals. "
             "MAPE = mean of |actual - forecast| / actual over intervals with contacts (errors are divided "
             "by the actual). Bias = sum of (forecast - actual) / sum of actuals: positive runs high.")
FLOOR_HELP = ("Arrivals are close to Poisson: even a perfect forecast of an interval's mean misses by "
              "about sqrt(2/(pi x mean)) on average: 25% at 10 contacts an interval, 8% at 100. No model "
              "can beat this floor; the seed's 8% MAPE target needs about "
              f"{accuracy.contacts_for_target():.0f} contacts an interval.")


# the whole-number widgets bound to the URL: key -> (label, lowest, highest)
HORIZON = {"horizon": ("Days ahead", 1, 92)}
STAFFING_INPUTS = {"sl": ("Service level %", 50, 99), "within": ("Within seconds", 1, 600),
                   "occupancy": ("Max occupancy %", 50, 100), "shrinkage": ("Shrinkage %", 0, 80)}


@dataclass(frozen=True)
class Selection:
    grain: str
    channels: tuple[str, ...]
    queues: tuple[str, ...]

    def label(self) -> str:
        return forecast.Request(self.grain, date(2000, 1, 1), 1, self.channels, self.queues).label()

    def text(self) -> str:
        """The label as Markdown that shows it as it is (queue names are data)."""
        return plain(self.label())


def selection(store: Store) -> Selection:
    """Grain, channels and queues, kept in the URL."""
    options = kpis.filter_options(store)
    row = st.columns([2.2, 3, 3])
    grain = row[0].segmented_control("Grain", list(GRAIN_LABELS), format_func=GRAIN_LABELS.get,
                                     default="30min", key="grain", bind="query-params", required=True,
                                     help="Days, or intervals of 30 or 15 minutes in local clock time.")
    channels = row[1].multiselect("Channel", options.get("channel", []), key="channels",
                                  bind="query-params", placeholder="All channels")
    queues = row[2].multiselect("Queue", options.get("queue", []), key="queues", bind="query-params",
                                placeholder="All queues")
    return Selection(grain or "30min", tuple(sorted(channels)), tuple(sorted(queues)))


def _pct(value) -> str:
    return "–" if value is None or pd.isna(value) else f"{100 * value:.1f}%"


# --- the forecast tab ------------------------------------------------------------------------------

def run_controls(store: Store, chosen: Selection, span: tuple[date, date]) -> str | None:
    """As-of date, horizon and the Run button; runs the forecast with progress and stores it. Returns
    the new run's id."""
    link_numbers(HORIZON)
    row = st.columns([2, 2, 2, 4], vertical_alignment="bottom")
    default = forecast.default_as_of(span[1], today(store))
    as_of = row[0].date_input("As of", value=default, key="as_of", bind="query-params",
                              min_value=span[0] + timedelta(days=1),
                              max_value=max(default, today(store)) + timedelta(days=366),
                              help="Forecast as if on this local date, from contacts that arrived "
                                   "before it. The as-of day itself is forecast too (same day).")
    horizon = row[1].number_input(*HORIZON["horizon"], value=14, step=1,
                                  key="horizon", bind="query-params",
                                  help="Calendar days after the as-of date.")
    clicked = row[2].button("Run forecast", type="primary", icon=":material/play_arrow:", key="run")
    row[3].caption("Each candidate is backtested on the eight weeks before the as-of date; the most "
                   "accurate one forecasts. Every run is kept in the record (DATA/forecasts/).")
    if not clicked:
        return None
    request = forecast.Request(chosen.grain, as_of, int(horizon), chosen.channels, chosen.queues)
    bar = st.progress(0.0, text="Starting the forecast…")
    try:
        result = forecast.make_forecast(store, request, progress=lambda fraction, message: bar.progress(
            min(max(fraction, 0.0), 1.0), text=message))
    except forecast.ForecastError as error:
        bar.empty()
        st.warning(plain(error), icon=":material/warning:")
        return None
    run_id = record.save(store.folder, result)
    bar.empty()
    st.success(f"Forecast {run_id} saved to the record: {len(result.rows):,} open intervals with "
               f"{forecast.model_label(result.model)} in {result.seconds:.1f} s.",
               icon=":material/check_circle:")
    return run_id


def forecast_section(store: Store, chosen: Selection, span: tuple[date, date]) -> None:
    new_run = run_controls(store, chosen, span)
    runs = record.matching_runs(store.folder, chosen.grain, chosen.channels, chosen.queues)
    if runs.empty:
        st.info(f"No forecast of {chosen.text()} by {GRAIN_LABELS[chosen.grain].lower()} yet: choose the "
                "as-of date and the days ahead, then Run forecast.", icon=":material/insights:")
        return
    run = runs[runs["run_id"] == new_run].iloc[0] if new_run in set(runs["run_id"]) else runs.iloc[0]
    meta = record.metadata(store.folder, run["run_id"])
    rows = record.rows(store.folder, run["run_id"], store.settings.timezone)
    table = pd.DataFrame(meta["backtest"])
    chosen_row = table[table["chosen"]].iloc[0]
    benchmarks = table[table["model"].isin(["last_week", "mean_4_weeks"])]
    best_benchmark = benchmarks["wape"].min() if not benchmarks.empty else None
    created = pd.Timestamp(meta["created_at"]).tz_convert(store.settings.timezone)
    st.caption(f"Forecast {run['run_id']}: {chosen.text()}, as of {meta['as_of']}, "
               f"{meta['horizon_days']} days ahead, made {created:%Y-%m-%d %H:%M}. "
               f"{len(runs)} run(s) of this selection in the record (see Accuracy).")
    tiles = st.columns(4)
    tiles[0].metric("Contacts forecast", f"{rows['yhat'].sum():,.0f}",
                    help=f"Sum over the {len(rows):,} open intervals forecast.")
    delta = None if best_benchmark is None or pd.isna(best_benchmark) else \
        f"{100 * (chosen_row['wape'] - best_benchmark):+.1f} pts vs best benchmark"
    tiles[1].metric("Backtest WAPE", _pct(chosen_row["wape"]), delta, delta_color="inverse",
                    help=WAPE_HELP)
    floor = accuracy.poisson_floor(rows["yhat"].to_numpy())
    tiles[2].metric("Poisson floor (WAPE)", _pct(floor["wape"]), help=FLOOR_HELP)
    tiles[3].metric("Contacts per interval", f"{floor['mean_per_interval']:,.1f}",
                    help="The forecast's mean per open interval. The 8% MAPE target needs about "
                         f"{accuracy.contacts_for_target():.0f}.")
    actuals = record.actuals(store, record.request_of(meta))
    window_start = rows["ts"].min() - pd.Timedelta(days=28 if chosen.grain == "day" else 14)
    shown = actuals[(actuals["ts"] >= window_start) & (actuals["ts"] <= rows["ts"].max())]
    step = pd.Timedelta(minutes=forecast.GRAINS[chosen.grain])
    st.plotly_chart(charts.forecast_chart(shown, rows, forecast.LEVEL, step), key="forecast-chart")
    st.caption(f"The band holds {forecast.LEVEL:.0%} of outcomes by the "
               + ("model's own prediction interval." if meta["interval_source"] == "model" else
                  "chosen candidate's backtest errors at each lead (it has no interval of its own).")
               + " Closed intervals are neither forecast nor scored.")
    st.subheader("Candidates", help=WAPE_HELP)
    st.dataframe(candidate_table(table), hide_index=True, key="candidates",
                 column_config={c: PERCENT for c in ("WAPE", "MAPE", "Bias", "Same day", "Day ahead",
                                                     "Week ahead")})
    left_out = "".join(f" Left out: {forecast.model_label(name)} ({reason})."
                       for name, reason in meta.get("failed", {}).items())
    st.caption(f"Backtest: forecasts from every local midnight of the eight weeks before {meta['as_of']}, "
               "each from contacts before it, scored on open intervals up to "
               f"{min(meta['horizon_days'], forecast.MAX_LEAD_DAYS)} days ahead." + left_out)
    download_csv(rows.assign(ts=rows["ts"].astype(str)), f"forecast_{run['run_id']}.csv",
                 "Download the forecast (CSV)", key="download-forecast")


def candidate_table(table: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame({
        "Chosen": table["chosen"].map({True: "✓", False: ""}),
        "Candidate": table["label"],
        "WAPE": 100 * table["wape"], "MAPE": 100 * table["mape"], "Bias": 100 * table["bias"],
        "Same day": 100 * table["wape_same_day"], "Day ahead": 100 * table["wape_day_ahead"],
        "Week ahead": 100 * table["wape_week_ahead"],
        "Seconds": table["seconds"].round(2),
    })
    return out


# --- the accuracy tab ------------------------------------------------------------------------------

def accuracy_section(store: Store, chosen: Selection, span: tuple[date, date]) -> None:
    tz = store.settings.timezone
    stored = record.scored_runs(store, store.folder, chosen.grain, chosen.channels, chosen.queues)
    as_of = forecast.default_as_of(span[1], today(store))
    try:
        with st.spinner("Backtesting the candidates on the last eight weeks…"):
            tested, model = forecast.selection_backtest(store, chosen.grain, chosen.channels,
                                                        chosen.queues, as_of)
    except forecast.ForecastError as error:
        st.info(plain(error), icon=":material/insights:")
        return
    backtest_rows = tested.rows[tested.rows["model"] == model].rename(
        columns={"origin": "as_of", "forecast": "yhat"})
    label = forecast.model_label(model)
    st.caption(f"{chosen.text()} by {GRAIN_LABELS[chosen.grain].lower()}. Stored forecasts are scored on "
               "the actuals that have arrived since; the backtest ("
               f"{label}, the candidate the last eight weeks favour) gives a new install its history at "
               "once. Only open intervals count.")
    stored_scores = accuracy.scores(stored["actual"], stored["yhat"])
    backtest_scores = accuracy.scores(backtest_rows["actual"], backtest_rows["yhat"])
    floor = accuracy.poisson_floor(backtest_rows["yhat"])
    tiles = st.columns(5)
    tiles[0].metric("WAPE, stored forecasts", _pct(stored_scores["wape"]), help=WAPE_HELP +
                    f" {stored['run_id'].nunique() if not stored.empty else 0} run(s) with actuals.")
    tiles[1].metric("MAPE, stored forecasts", _pct(stored_scores["mape"]), help=WAPE_HELP)
    tiles[2].metric("Bias, stored forecasts", _pct(stored_scores["bias"]), help=WAPE_HELP)
    tiles[3].metric("WAPE, backtest", _pct(backtest_scores["wape"]),
                    f"MAPE {_pct(backtest_scores['mape'])}", delta_color="off", delta_arrow="off",
                    help=WAPE_HELP)
    tiles[4].metric("Poisson floor", _pct(floor["wape"]), f"MAPE {_pct(floor['mape'])}", delta_color="off",
                    delta_arrow="off", help=FLOOR_HELP)
    target = accuracy.TARGET_MAPE
    if floor["mape"] == floor["mape"] and floor["mape"] > target:
        st.warning(f"The seed's target of MAPE ≤ {100 * target:g}% is out of reach here: these intervals "
                   f"average {floor['mean_per_interval']:,.1f} contacts, and even a perfect forecast "
                   f"would score a MAPE of about {_pct(floor['mape'])}. Judge the forecast against the "
                   "floor, or forecast a coarser grain or a larger group.", icon=":material/info:")

    leads = []
    for source, frame in (("Stored forecasts", stored), ("Backtest", backtest_rows)):
        lead = record.by_lead(frame)
        leads.append(lead.assign(source=source, wape_pct=100 * lead["wape"]))
    by_lead = pd.concat(leads, ignore_index=True)
    st.subheader("By horizon", help="Lead in days after the as-of date: 0 is the same day, 1 the day "
                                    "ahead, 7 the week ahead.")
    left, right = st.columns([3, 2])
    left.plotly_chart(charts.accuracy_by_lead(by_lead[by_lead["lead_days"] <= 27], target),
                      key="accuracy-by-lead")
    right.dataframe(horizon_table(by_lead), hide_index=True, key="accuracy-horizons",
                    column_config={"Stored WAPE": PERCENT, "Backtest WAPE": PERCENT})

    st.subheader("Over time")
    points = [record.by_as_of(backtest_rows, "as_of").assign(source="Backtest")]
    if not stored.empty:
        points.append(record.by_as_of(stored, "run_id").assign(source="Stored forecast"))
    over_time = pd.concat(points, ignore_index=True)
    over_time["wape_pct"] = 100 * over_time["wape"]
    st.plotly_chart(charts.accuracy_over_time(over_time, target, floor["wape"]), key="accuracy-over-time")

    st.subheader("Largest misses")
    source = stored if not stored.empty else backtest_rows
    st.caption("From the stored forecasts." if not stored.empty else
               "From the backtest (no stored forecast has actuals yet).")
    intervals, days = record.largest_misses(source, tz)
    left, right = st.columns(2)
    left.dataframe(intervals.assign(ts=intervals["ts"].astype(str)), hide_index=True, key="misses-intervals",
                   column_config={"ts": "Interval", "as_of": "Forecast as of", "actual": "Actual",
                                  "forecast": st.column_config.NumberColumn("Forecast", format="%.1f"),
                                  "miss": st.column_config.NumberColumn("Forecast - actual", format="%+.1f")})
    right.dataframe(days, hide_index=True, key="misses-days",
                    column_config={"day": "Day", "actual": "Actual",
                                   "forecast": st.column_config.NumberColumn("Forecast", format="%.0f"),
                                   "miss": st.column_config.NumberColumn("Forecast - actual", format="%+.0f"),
                                   "miss_pct": st.column_config.NumberColumn("Miss %", format="%+.1f%%")})

    st.subheader("The record")
    accuracy_by_run = record.run_accuracy(store, store.folder)
    if accuracy_by_run.empty:
        st.info("No forecast stored yet: run one on the Forecast tab.", icon=":material/inventory_2:")
        return
    shown = accuracy_by_run.assign(
        created_at=accuracy_by_run["created_at"].dt.tz_convert(tz).dt.strftime("%Y-%m-%d %H:%M"),
        wape=100 * accuracy_by_run["wape"], mape=100 * accuracy_by_run["mape"],
        bias=100 * accuracy_by_run["bias"])
    st.dataframe(shown[["run_id", "created_at", "as_of", "grain", "label", "model", "wape", "mape", "bias",
                        "intervals"]],
                 hide_index=True, key="record-table",
                 column_config={"run_id": "Run", "created_at": "Made", "as_of": "As of",
                                "grain": "Grain", "model": "Model",
                                "wape": st.column_config.NumberColumn("WAPE", format="%.1f%%"),
                                "mape": st.column_config.NumberColumn("MAPE", format="%.1f%%"),
                                "bias": st.column_config.NumberColumn("Bias", format="%+.1f%%"),
                                "intervals": st.column_config.NumberColumn("Intervals scored"),
                                "label": "Selection"})
    download_csv(shown, "forecast_record_accuracy.csv", "Download the record's accuracy (CSV)",
                 key="download-record")


def horizon_table(by_lead: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for lead, name in accuracy.LEADS.items():
        entry = {"Horizon": accuracy.LEAD_LABELS[name]}
        for source, column in (("Stored forecasts", "Stored WAPE"), ("Backtest", "Backtest WAPE")):
            match = by_lead[(by_lead["source"] == source) & (by_lead["lead_days"] == lead)]
            entry[column] = match["wape_pct"].iloc[0] if len(match) else None
        rows.append(entry)
    return pd.DataFrame(rows)


# --- staffing --------------------------------------------------------------------------------------

def _run_label(run, timezone: str) -> str:
    created = run.created_at.tz_convert(timezone).strftime("%Y-%m-%d %H:%M")
    return f"{run.label} · by {GRAIN_LABELS[run.grain].lower()} · as of {run.as_of} · made {created}"


def staffing_section(store: Store) -> None:
    settings = store.settings
    runs = record.runs(store.folder)
    runs = runs[runs["grain"] != "day"].reset_index(drop=True)
    if runs.empty:
        st.info("Staffing works from an interval forecast, and none is in the record yet: run a 30- or "
                "15-minute forecast on the Forecast page.", icon=":material/groups:")
        st.page_link("pages/forecast.py", label="Open the Forecast page", icon=":material/insights:")
        return
    labels = {run.run_id: _run_label(run, settings.timezone) for run in runs.itertuples()}
    if st.query_params.get("run") in labels:  # a link may name the run by its id, as the record does
        st.session_state["run"] = st.query_params["run"]
    run_id = st.selectbox("Forecast", list(labels), format_func=labels.get, key="run", bind="query-params",
                          help="An interval forecast from the record (newest first).")
    run = runs[runs["run_id"] == run_id].iloc[0]
    request = record.request_of(run)
    live = set(settings.live_channels)
    if not request.channels or not set(request.channels) <= live:
        others = sorted(set(request.channels or kpis.filter_options(store).get("channel", [])) - live)
        st.warning("Erlang C models contacts that wait in a queue for the next free agent ("
                   + ", ".join(sorted(live)) + "). This forecast includes " + ", ".join(others)
                   + ", which agents work from a backlog: staffing those by Erlang over-staffs. For live "
                   "staffing, forecast the live channels alone.", icon=":material/warning:")

    link_numbers(STAFFING_INPUTS)
    row = st.columns(6)
    level = row[0].number_input(*STAFFING_INPUTS["sl"], 80, key="sl", bind="query-params",
                                help="Share of offered contacts to answer within the target time.")
    within = row[1].number_input(*STAFFING_INPUTS["within"], int(settings.service_level_seconds),
                                 key="within", bind="query-params")
    cap = row[2].number_input(*STAFFING_INPUTS["occupancy"], 85, key="occupancy", bind="query-params",
                              help="No interval is planned busier than this (seed: 80-85%).")
    shrink = row[3].number_input(*STAFFING_INPUTS["shrinkage"], 30, key="shrinkage", bind="query-params",
                                 help="Paid time off the phones (breaks, training, absence). Scheduled "
                                      "= on the phones / (1 - shrinkage).")
    staff_to = row[4].selectbox("Staff to", ["Forecast", "Upper bound"], key="staff_to",
                                bind="query-params",
                                help=f"The forecast, or the upper end of its {forecast.LEVEL:.0%} interval "
                                     "(staffing for a busier day than expected).")
    patience = forecast.patience_seconds(store, request.channels, request.queues, request.as_of)
    methods = ["Erlang C", "Erlang A"] if patience else ["Erlang C"]
    method = row[5].selectbox("Model", methods, key="model", bind="query-params",
                              help="Erlang A adds abandonment: callers hang up after a patience drawn "
                                   "from the data (time waited / abandons over the last eight weeks)."
                              + ("" if patience else " No abandons in the data: Erlang C only."))

    rows = record.rows(store.folder, run_id, settings.timezone)
    aht = rows["aht_seconds"]
    if aht.isna().all():
        st.info("This forecast's contacts have no handle time (self-service only?): there is nothing to "
                "staff.", icon=":material/groups:")
        return
    intervals = pd.DataFrame({"ts": rows["ts"],
                              "contacts": rows["yhat_upper" if staff_to == "Upper bound" else "yhat"],
                              "aht_seconds": aht.fillna(aht.mean())})
    seconds = forecast.GRAINS[request.grain] * 60
    with st.spinner("Staffing every interval…"):
        result = staffing.staff_intervals(
            intervals, seconds, service_level=level / 100, target_seconds=within, max_occupancy=cap / 100,
            shrinkage=shrink / 100, patience_seconds=patience if method == "Erlang A" else None)
    hours = seconds / 3600
    busiest = result.loc[result["agents"].idxmax()]
    tiles = st.columns(5)
    tiles[0].metric("Peak agents on the phones", f"{int(busiest['agents'])}",
                    f"{busiest['ts']:%a %d %b %H:%M}", delta_color="off", delta_arrow="off")
    tiles[1].metric("Agent-hours on the phones", hours_text(result["agents"].sum() * hours))
    tiles[2].metric("Scheduled agent-hours", hours_text(result["scheduled_agents"].sum() * hours),
                    help=f"With {shrink}% shrinkage: on the phones / (1 - shrinkage), per interval.")
    handled = (result["workload_erlangs"] * hours).sum()
    tiles[3].metric("Average occupancy", _pct(handled / (result["agents"].sum() * hours))
                    if result["agents"].sum() else "–")
    simple_hours = result["simple_agents"].sum() * hours
    tiles[4].metric("Simple formula agent-hours", hours_text(simple_hours),
                    f"{hours_text(simple_hours - result['agents'].sum() * hours, sign=True)} vs Erlang",
                    delta_color="off",
                    delta_arrow="off")

    schedule, gaps = _schedule_upload(settings.timezone, result)
    days = sorted(set(result["ts"].dt.date))
    day = st.selectbox("Day shown", days, format_func=lambda d: f"{d:%a %d %b %Y}", key="day",
                       help="The chart shows one day's intervals; the table below sums every day.")
    on_day = result[result["ts"].dt.date == day]
    shown_schedule = None if schedule is None else schedule[schedule["ts"].dt.tz_convert(
        settings.timezone).dt.date == day]
    st.plotly_chart(charts.staffing_chart(on_day, shown_schedule, pd.Timedelta(seconds=seconds)),
                    key="staffing-chart")
    st.dataframe(staffing.by_day(result, seconds), hide_index=True, key="staffing-days",
                 column_config={"day": "Day",
                                "contacts": st.column_config.NumberColumn("Contacts", format="%.0f"),
                                "agent_hours": "Agent-hours (Erlang)",
                                "simple_agent_hours": "Agent-hours (simple formula)",
                                "scheduled_hours": "Scheduled hours", "peak_agents": "Peak agents",
                                "occupancy_pct": st.column_config.NumberColumn("Average occupancy",
                                                                               format="%.1f%%")})
    _formula_explained(result, hours, cap)
    if gaps is not None:
        _gaps(gaps)
    shown = result.assign(ts=result["ts"].astype(str))
    download_csv(shown, f"staffing_{run_id}.csv", "Download the staffing (CSV)", key="download-staffing")


def hours_text(value: float, sign: bool = False) -> str:
    """Agent-hours: whole hours, or to the half hour (the finest interval's step) below 100."""
    text = f"{value:{'+' if sign else ''},.1f}" if abs(value) < 100 else f"{value:{'+' if sign else ''},.0f}"
    return text.replace(".0", "") if text.endswith(".0") else text


def _schedule_upload(timezone: str, result: pd.DataFrame):
    upload = st.file_uploader("Compare with your schedule (CSV with columns interval, agents)", type=["csv"],
                              key="schedule", max_upload_size=5,
                              help="One row per interval start (local time unless it carries an "
                                   "offset) with the agents on the phones. Up to 5 MB.")
    if upload is None:
        return None, None
    schedule, problems, set_aside = staffing.read_schedule(upload.getvalue(), upload.name, timezone)
    for problem in problems:
        st.warning(plain(problem), icon=":material/warning:")
    if not set_aside.empty:
        with st.expander(f"{len(set_aside):,} row(s) of {plain(upload.name)} set aside"):
            st.dataframe(set_aside, hide_index=True, key="schedule-set-aside")
    st.caption(f"{plain(upload.name)}: {len(schedule) + len(set_aside):,} rows read = "
               f"{len(schedule):,} used + {len(set_aside):,} set aside.")
    if schedule.empty:
        return None, None
    return schedule, staffing.schedule_gaps(result, schedule)


def _gaps(gaps: pd.DataFrame) -> None:
    counts = gaps["status"].value_counts()
    tiles = st.columns(4)
    tiles[0].metric("Intervals under-staffed", f"{counts.get('under', 0):,}")
    tiles[1].metric("Intervals over-staffed", f"{counts.get('over', 0):,}")
    tiles[2].metric("Intervals as required", f"{counts.get('ok', 0):,}")
    tiles[3].metric("Intervals without a schedule", f"{counts.get('no schedule', 0):,}")
    short = gaps[gaps["status"] == "under"].sort_values("gap").head(50)
    if not short.empty:
        st.dataframe(short.assign(ts=short["ts"].astype(str)), hide_index=True, key="schedule-under",
                     column_config={"ts": "Interval", "required": "Required on the phones",
                                    "scheduled": "Your schedule", "gap": "Gap", "status": "Status"})


def _formula_explained(result: pd.DataFrame, hours: float, cap: int) -> None:
    example = staffing.simple_formula(1200, 360)
    fewer = result[result["simple_agents"] < result["agents"]]
    more = result[result["simple_agents"] > result["agents"]]
    short = hours_text((fewer["agents"] - fewer["simple_agents"]).sum() * hours)
    over = hours_text((more["simple_agents"] - more["agents"]).sum() * hours)
    with st.expander("Why Erlang and the seed's simple formula differ", expanded=False):
        st.markdown(
            "The seed's formula, agents = contacts × AHT ÷ (shift minutes × occupancy), reproduces its "
            f"own example: 1,200 calls a day at 6 minutes over a 450-minute shift at 85% occupancy is "
            f"{example['agents_exact']:.1f}, so **{example['agents']}** agents; with 30% shrinkage the seed "
            f"multiplies by 1.3 to get **{example['scheduled_seed']}**, but 30% of paid time lost leaves "
            f"{example['scheduled_seed']} × 0.7 = {example['scheduled_seed'] * 0.7:.1f} on the phones, so "
            f"dividing by 0.7 (**{example['scheduled_divided']}**) is right.\n\n"
            "The formula spreads the work evenly and knows nothing of queues. Contacts arrive at random: "
            "a small queue needs spare agents for bursts (at a few Erlangs, "
            f"{cap}% occupancy means long waits), while a large one runs busier at the same service "
            "level. Erlang C sizes each interval for its own service-level target.\n\n"
            f"On this forecast, applied interval by interval, the formula plans fewer agents than Erlang "
            f"in {len(fewer):,} interval(s) ({short} agent-hours short) and more in {len(more):,} "
            f"({over} agent-hours over).")
