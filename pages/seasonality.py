"""Seasonality for planners and directors: years compared, holidays, intraday shape, decomposition."""

import streamlit as st

from cxdash import seasonality, ui
from cxdash.metrics import METRICS
from cxdash.views.seasonality import YEARS_SHOWN, choices, decomposition_section, seasonality_page

store, _, _ = ui.context()
span = ui.page_start(store, "Seasonality", "No interactions yet: there is nothing to compare.")
channel_options, year_options = choices(store, span)

controls = st.columns([2, 3.4, 2.6, 3])
name = controls[0].selectbox("KPI", seasonality.SEASON_KPIS, key="kpi", bind="query-params",
                             format_func=lambda metric: METRICS[metric].label,
                             help="Each KPI as the registry defines it; the definition in effect is "
                                  "shown under the chart.")
grain = controls[1].segmented_control("Align by", [g.capitalize() for g in seasonality.GRAINS],
                                      default="Week", key="align", bind="query-params", required=True,
                                      help="Days and weeks line up by ISO week and weekday, so Mondays "
                                           "meet Mondays; months and quarters by the calendar.").lower()
channels = controls[2].multiselect("Channel", channel_options, key="channels", bind="query-params",
                                   placeholder="All channels")
chosen = controls[3].multiselect("Years", year_options, default=year_options[-YEARS_SHOWN:], key="years",
                                 bind="query-params", placeholder="Every year")
shown = seasonality_page(store, name, grain, channels, [int(year) for year in chosen])

tab_years, tab_holidays, tab_shape, tab_parts = st.tabs(
    ["Year over year", "Holidays and special days", "Intraday and weekly shape", "Decomposition"],
    key="section", bind="query-params")  # a shared link opens on the same section

with tab_years:
    if shown.years_chart is None:
        st.info(f"No whole {grain} in the chosen years and channels.", icon=":material/filter_alt_off:")
    else:
        if shown.year_tiles:
            ui.tiles(shown.year_tiles)
        else:
            st.caption("No year holds the whole span to compare.")
        st.plotly_chart(shown.years_chart, key="season-years")
        st.caption(shown.definition)
        if shown.change_chart is not None:
            st.plotly_chart(shown.change_chart, key="season-change")
        ui.download_csv(shown.units, f"{name}_by_{grain}_by_year.csv", key="download-season-years")

with tab_holidays:
    st.caption(shown.uplift_caption)
    if shown.uplift_chart is None:
        st.info("No holidays or special days in the chosen years.", icon=":material/event_busy:")
    else:
        st.plotly_chart(shown.uplift_chart, key="season-uplift")
        st.dataframe(shown.uplift, hide_index=True, column_config={
            "contacts_per_day": st.column_config.NumberColumn("contacts a day", format="%.0f"),
            "baseline_per_day": st.column_config.NumberColumn("normal days", format="%.0f"),
            "uplift_pct": st.column_config.NumberColumn("uplift", format="%+.0f%%"),
            "last_year_uplift_pct": st.column_config.NumberColumn("a year earlier", format="%+.0f%%")})
        ui.download_csv(shown.uplift, "holiday_and_special_day_uplift.csv", key="download-season-uplift")

with tab_shape:
    st.caption(shown.shape_caption)
    ui.tiles(shown.shape_tiles)
    st.plotly_chart(shown.heatmap, key="season-heatmap")
    ui.download_csv(shown.heat, "contacts_by_weekday_and_hour.csv", key="download-season-heatmap")
    st.subheader("How the shape differs by channel")
    left, right = st.columns(2)
    left.plotly_chart(shown.hourly_chart, key="season-channel-shapes")
    right.plotly_chart(shown.weekly_chart, key="season-channel-weekdays")
    with left:
        ui.download_csv(shown.hourly, "channel_share_by_hour.csv", "Download by hour (CSV)",
                        key="download-season-shape-hour")
    with right:
        ui.download_csv(shown.weekly, "channel_index_by_weekday.csv", "Download by weekday (CSV)",
                        key="download-season-shape-weekday")

with tab_parts:
    with st.spinner("Decomposing the daily series…"):
        section = decomposition_section(store, name, channels)
    if section is None:
        st.info("The decomposition needs at least four weeks of days.", icon=":material/timeline:")
    else:
        ui.tiles(section.tiles)
        st.caption(section.caption)
        st.plotly_chart(section.chart, key="season-decomposition")
        parts = section.parts
        ui.download_csv(parts.components, f"{name}_decomposition.csv", "Download the parts (CSV)",
                        key="download-season-parts")
        st.subheader("Days the pattern does not explain")
        if parts.spikes.empty:
            st.caption("None: every day is within the pattern's ordinary spread.")
        else:
            st.dataframe(parts.spikes, hide_index=True, column_config={
                "observed": st.column_config.NumberColumn(format="%.1f"),
                "expected": st.column_config.NumberColumn(format="%.1f"),
                "residual": st.column_config.NumberColumn(format="%+.1f"),
                "robust_z": st.column_config.NumberColumn("robust z", format="%+.1f"),
                "calendar": "holiday or special day"})
            ui.download_csv(parts.spikes, f"{name}_spikes.csv", "Download the spikes (CSV)",
                            key="download-season-spikes")
