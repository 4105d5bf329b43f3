"""Forecast for planners: contacts by day or interval from the most accurate candidate, every run kept
in the record, and how accurate the record has been."""

import streamlit as st

from cxdash import ui
from cxdash.ui import planning

store, _, _ = ui.context()
span = ui.page_start(store, "Forecast", "No interactions yet: there is nothing to forecast.")
chosen = planning.selection(store)
# only the open tab runs: the accuracy view backtests the selection, which takes seconds once
tab_forecast, tab_accuracy = st.tabs(["Forecast", "Accuracy"], key="tab", bind="query-params",
                                     on_change="rerun")
if tab_forecast.open:
    with tab_forecast:
        planning.forecast_section(store, chosen, span)
if tab_accuracy.open:
    with tab_accuracy:
        planning.accuracy_section(store, chosen, span)
