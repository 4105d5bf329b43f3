"""Forecast for planners: contacts by day or interval from the combination of the candidates, every run kept
in the record, and how accurate the record has been. What it shows comes from cxdash.views.forecast."""

import streamlit as st

from cxdash import forecast, ui
from cxdash.safe import plain
from cxdash.views.forecast import (
    COVERAGE_HELP,
    DEFAULT_HORIZON,
    GRAIN_LABELS,
    RECORD_COLUMNS,
    WAPE_HELP,
    Selection,
    accuracy_tab,
    as_of_range,
    choices,
    forecast_tab,
    run_forecast,
)

PERCENT = st.column_config.NumberColumn(format="%.1f%%")
# the whole-number widgets bound to the URL: key -> (label, lowest, highest)
HORIZON = {"horizon": ("Days ahead", 1, 92)}

store, _, _ = ui.context()
span = ui.page_start(store, "Forecast", "No interactions yet: there is nothing to forecast.")

# the selection: grain, channels and queues, kept in the URL
options = choices(store)
row = st.columns([2.2, 3, 3])
grain = row[0].segmented_control("Grain", list(GRAIN_LABELS), format_func=GRAIN_LABELS.get,
                                 default="30min", key="grain", bind="query-params", required=True,
                                 help="Days, or intervals of 30 or 15 minutes in local clock time.")
channels = row[1].multiselect("Channel", options["channel"], key="channels", bind="query-params",
                              placeholder="All channels")
queues = row[2].multiselect("Queue", options["queue"], key="queues", bind="query-params",
                            placeholder="All queues")
chosen = Selection(grain or "30min", tuple(sorted(channels)), tuple(sorted(queues)))

# only the open tab runs: the accuracy view backtests the selection, which takes seconds once
tab_forecast, tab_accuracy = st.tabs(["Forecast", "Accuracy"], key="tab", bind="query-params",
                                     on_change="rerun")

if tab_forecast.open:
    with tab_forecast:
        ui.link_numbers(HORIZON)
        row = st.columns([2, 2, 2, 4], vertical_alignment="bottom")
        default, earliest, latest = as_of_range(span, ui.today(store))
        as_of = row[0].date_input("As of", value=default, key="as_of", bind="query-params",
                                  min_value=earliest, max_value=latest,
                                  help="Forecast as if on this local date, from contacts that arrived "
                                       "before it. The as-of day itself is forecast too (same day).")
        horizon = row[1].number_input(*HORIZON["horizon"], value=DEFAULT_HORIZON, step=1,
                                      key="horizon", bind="query-params",
                                      help="Calendar days after the as-of date.")
        clicked = row[2].button("Run forecast", type="primary", icon=":material/play_arrow:", key="run")
        row[3].caption("The forecast is the mean of the 4-week average and the regressions; every candidate "
                       "is backtested on the eight weeks before the as-of date. Every run is kept in the "
                       "record (DATA/forecasts/).")
        new_run = None
        if clicked:
            bar = st.progress(0.0, text="Starting the forecast…")

            def progress(fraction: float, message: str) -> None:
                bar.progress(min(max(fraction, 0.0), 1.0), text=message)

            try:
                new_run, saved = run_forecast(store, chosen, as_of, int(horizon), progress)
            except forecast.ForecastError as error:
                bar.empty()
                st.warning(plain(error), icon=":material/warning:")
            else:
                bar.empty()
                st.success(saved, icon=":material/check_circle:")

        shown = forecast_tab(store, chosen, new_run)
        if shown.empty is not None:
            st.info(shown.empty, icon=":material/insights:")
        else:
            st.caption(shown.caption)
            ui.tiles(shown.tiles)
            st.plotly_chart(shown.chart, key="forecast-chart")
            st.caption(shown.band)
            if shown.combination is not None:
                st.markdown(shown.combination)
            st.subheader("Candidates", help=WAPE_HELP)
            st.dataframe(shown.candidates, hide_index=True, key="candidates",
                         column_config={c: PERCENT for c in ("WAPE", "MAPE", "Bias", "Same day", "Day ahead",
                                                             "Week ahead")})
            st.caption(shown.backtest)
            ui.download_csv(shown.rows.assign(ts=shown.rows["ts"].astype(str)),
                            f"forecast_{shown.run_id}.csv", "Download the forecast (CSV)",
                            key="download-forecast")

if tab_accuracy.open:
    with tab_accuracy:
        with st.spinner("Backtesting the candidates on the last eight weeks…"):
            shown = accuracy_tab(store, chosen, as_of_range(span, ui.today(store))[0])
        if shown.problem is not None:
            st.info(shown.problem, icon=":material/insights:")
        else:
            st.caption(shown.caption)
            ui.tiles(shown.tiles)
            if shown.out_of_reach is not None:
                st.warning(shown.out_of_reach, icon=":material/info:")

            st.subheader("By horizon", help="Lead in days after the as-of date: 0 is the same day, 1 the "
                                            "day ahead, 7 the week ahead.")
            left, right = st.columns([3, 2])
            left.plotly_chart(shown.by_lead_chart, key="accuracy-by-lead")
            right.dataframe(shown.horizons, hide_index=True, key="accuracy-horizons",
                            column_config={"Stored WAPE": PERCENT, "Backtest WAPE": PERCENT})

            st.subheader("Over time")
            st.plotly_chart(shown.over_time_chart, key="accuracy-over-time")
            st.subheader("Does the interval hold what it says?", help=COVERAGE_HELP)
            if shown.coverage_chart is None:
                st.caption("Once a stored forecast has actuals, each run's share of actuals inside its "
                           "interval shows here.")
            else:
                st.plotly_chart(shown.coverage_chart, key="accuracy-coverage")

            st.subheader("Largest misses")
            st.caption(shown.misses_caption)
            left, right = st.columns(2)
            left.dataframe(shown.misses_intervals, hide_index=True, key="misses-intervals",
                           column_config={
                               "ts": "Interval", "as_of": "Forecast as of", "actual": "Actual",
                               "forecast": st.column_config.NumberColumn("Forecast", format="%.1f"),
                               "miss": st.column_config.NumberColumn("Forecast - actual", format="%+.1f")})
            right.dataframe(shown.misses_days, hide_index=True, key="misses-days",
                            column_config={
                                "day": "Day", "actual": "Actual",
                                "forecast": st.column_config.NumberColumn("Forecast", format="%.0f"),
                                "miss": st.column_config.NumberColumn("Forecast - actual", format="%+.0f"),
                                "miss_pct": st.column_config.NumberColumn("Miss %", format="%+.1f%%")})

            st.subheader("The record")
            if shown.record is None:
                st.info("No forecast stored yet: run one on the Forecast tab.", icon=":material/inventory_2:")
            else:
                st.dataframe(shown.record[RECORD_COLUMNS], hide_index=True, key="record-table",
                             column_config={"run_id": "Run", "created_at": "Made", "as_of": "As of",
                                            "grain": "Grain", "model": "Model",
                                            "wape": st.column_config.NumberColumn("WAPE", format="%.1f%%"),
                                            "mape": st.column_config.NumberColumn("MAPE", format="%.1f%%"),
                                            "bias": st.column_config.NumberColumn("Bias", format="%+.1f%%"),
                                            "coverage": st.column_config.NumberColumn(
                                                "Inside the interval", format="%.0f%%", help=COVERAGE_HELP),
                                            "intervals": st.column_config.NumberColumn("Intervals scored"),
                                            "label": "Selection"})
                ui.download_csv(shown.record, "forecast_record_accuracy.csv",
                                "Download the record's accuracy (CSV)", key="download-record")
