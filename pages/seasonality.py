"""Seasonality for planners and directors: years compared, holidays, intraday shape, decomposition."""

from datetime import date

import streamlit as st

from cxdash import charts, kpis, seasonality, ui
from cxdash.metrics import METRICS, definition

store, _, _ = ui.context()
settings = store.settings
span = ui.page_start(store, "Seasonality", "No interactions yet: there is nothing to compare.")

controls = st.columns([2, 3.4, 2.6, 3])
name = controls[0].selectbox("KPI", seasonality.SEASON_KPIS, key="kpi", bind="query-params",
                             format_func=lambda metric: METRICS[metric].label,
                             help="Each KPI as the registry defines it; the definition in effect is "
                                  "shown under the chart.")
grain = controls[1].segmented_control("Align by", [g.capitalize() for g in seasonality.GRAINS],
                                      default="Week", key="align", bind="query-params", required=True,
                                      help="Days and weeks line up by ISO week and weekday, so Mondays "
                                           "meet Mondays; months and quarters by the calendar.").lower()
channels = controls[2].multiselect("Channel", kpis.filter_options(store).get("channel", []),
                                   key="channels", bind="query-params", placeholder="All channels")
years = [str(year) for year in range(span[0].year, span[1].year + 1)]
chosen = controls[3].multiselect("Years", years, default=years[-3:], key="years", bind="query-params",
                                 placeholder="Every year")
chosen = [int(year) for year in chosen] or [int(year) for year in years]
frame = seasonality.daily(store, kpis.Filters(channels=tuple(channels)))
units = seasonality.by_unit(frame, name, grain, settings)
label = METRICS[name].label
first, last = max(date(min(chosen), 1, 1), span[0]), min(date(max(chosen), 12, 31), span[1])

tab_years, tab_holidays, tab_shape, tab_parts = st.tabs(
    ["Year over year", "Holidays and special days", "Intraday and weekly shape", "Decomposition"],
    key="section", bind="query-params")  # a shared link opens on the same section

with tab_years:
    shown = units[units["year"].isin(chosen)]
    if shown.empty:
        st.info(f"No whole {grain} in the chosen years and channels.", icon=":material/filter_alt_off:")
    else:
        ui.year_to_date_tiles(seasonality.year_to_date(frame, name, grain, settings), name, chosen)
        st.plotly_chart(charts.year_overlay(shown, label, grain), key="season-years")
        st.caption(definition(name, settings).text)
        latest = shown[shown["year"] == shown["year"].max()]
        if latest["change_pct"].notna().any():
            st.plotly_chart(charts.year_change_bars(latest), key="season-change")
        ui.download_csv(shown, f"{name}_by_{grain}_by_year.csv", key="download-season-years")

with tab_holidays:
    calendar = seasonality.calendar_days(settings, span[0], span[1])
    uplift = seasonality.uplift(frame, calendar)
    uplift = uplift[uplift["year"].isin(chosen)]
    where = settings.holiday_country + (f"-{settings.holiday_subdivision}" if settings.holiday_subdivision
                                        else "")
    st.caption(f"Contacts on each holiday ({where}, from the holidays library) and each special day of "
               "the settings ([calendar] special_days in cxdash.toml) against the baseline of comparable "
               f"normal days: the same weekday in the {seasonality.BASELINE_WEEKS} weeks either side, "
               "leaving out every holiday and special day.")
    if uplift.empty:
        st.info("No holidays or special days in the chosen years.", icon=":material/event_busy:")
    else:
        st.plotly_chart(charts.uplift_bars(uplift), key="season-uplift")
        ui.uplift_table(uplift)
        ui.download_csv(uplift, "holiday_and_special_day_uplift.csv", key="download-season-uplift")

with tab_shape:
    ui.intraday_section(store, first, last, tuple(channels))

with tab_parts:
    with st.spinner("Decomposing the daily series…"):
        parts = seasonality.decomposition(store, name, tuple(channels))
    if parts is None:
        st.info("The decomposition needs at least four weeks of days.", icon=":material/timeline:")
    else:
        ui.decomposition_section(parts, name)
