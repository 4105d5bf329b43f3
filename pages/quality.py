"""Quality: is CSAT moving, where, and why: control chart, movers, the interactions behind them."""

import streamlit as st

from cxdash import quality, ui
from cxdash.access import for_browser
from cxdash.views.quality import quality_page, segment_drill, unit_drill

store, period, filters = ui.context()
who = ui.access()  # agent by agent only for the roles that may see it
ui.page_start(store, "Quality")

left, middle, _ = st.columns([2, 2, 3])
# options are the words shown, which the URL keeps too (grain=Week)
grain = (left.segmented_control("View", [g.capitalize() for g in quality.GRAINS], default="Day",
                                key="grain", bind="query-params") or "Day").lower()
adjust = middle.toggle("Allow for day-to-day variation", value=True, key="laney", bind="query-params",
                       help="Laney p′: widen the limits by the spread the baseline shows beyond "
                            "sampling noise, so a large operation is not alarmed by ordinary days.")
shown = quality_page(store, period, filters, grain, adjust)
st.caption(shown.caption)
if shown.tiles is None:
    st.info("No CSAT ratings match this period and these filters. Widen the period or clear a "
            "filter.", icon=":material/filter_alt_off:")
    st.stop()

ui.tiles(shown.tiles)
st.subheader("CSAT against its control limits")
st.plotly_chart(shown.control_chart, key="csat_chart",
                on_select=ui.pick_from_chart("csat_chart", "at"), selection_mode="points")
st.caption(shown.limits_caption)
with st.expander(shown.table_label):
    st.dataframe(shown.table, hide_index=True)
    ui.download_csv(shown.table, f"csat_{grain}_{period.start}_{period.end}.csv", key="download-csat")

st.subheader("Compared with the previous period and last year")
st.plotly_chart(shown.compare_chart, key="compare")
st.caption(shown.compare_caption)

st.subheader("Drill down")
labels = shown.unit_labels
ui.forget_unless_in("at", list(labels))
at = st.selectbox(f"{grain.capitalize()} to break down (its first day)", list(labels), index=None,
                  key="at", bind="query-params",  # the URL keeps the option's text: a plain date
                  placeholder="Click a point on the chart, or pick one here")
if at:
    st.caption(labels[at])
    dimensions = [d.capitalize() for d in quality.DIMENSIONS if who.agent_level or d != "agent"]
    by = (st.segmented_control("Break down by", dimensions, default="Team", key="by",
                               bind="query-params") or "Team").lower()
    drill = unit_drill(store, shown.chart, filters, at, by)
    st.caption(drill.caption)
    st.dataframe(drill.table, hide_index=True, key=f"movers-{at}-{by}",
                 on_select=ui.pick_from_table(f"movers-{at}-{by}", drill.segments, "segment"),
                 selection_mode="single-row")
    ui.download_csv(drill.movers, f"movers_{by}_{at}.csv", "Download movers (CSV)", key="download-movers")
    ui.forget_unless_in("segment", drill.segments)
    segment = st.selectbox(f"{by.capitalize()} to list", drill.segments, index=None, key="segment",
                           bind="query-params", placeholder="Select a row above, or pick one here")
    if segment:
        rated = st.checkbox("Only contacts with a CSAT rating", value=True, key="rated",
                            bind="query-params")
        behind = segment_drill(store, drill.unit, filters, by, segment, rated)
        st.markdown(behind.heading)
        st.dataframe(for_browser(behind.rows, who), hide_index=True)
        ui.download_csv(behind.rows, f"interactions_{at}_{by}_{segment}.csv", "Download interactions (CSV)",
                        key="download-interactions")

st.subheader("Alongside CSAT")
surveys, scores, qa, tiers = st.tabs(["NPS, CES and FCR", "Score distribution", "QA", "Escalations"])
with surveys:
    st.plotly_chart(shown.surveys_chart, key="surveys")
    ui.download_csv(shown.surveys, f"surveys_{period.start}_{period.end}.csv", key="download-surveys")
with scores:
    st.plotly_chart(shown.scores_chart, key="scores")
    ui.download_csv(shown.scores, f"csat_scores_{period.start}_{period.end}.csv", key="download-scores")
with qa:
    if shown.qa is None:
        st.info("No QA evaluations in this period.", icon=":material/rule:")
    else:
        st.dataframe(shown.qa.teams, hide_index=True, column_config={
            "qa_points": None, "qa_points_possible": None,
            "qa_score_pct": st.column_config.NumberColumn("QA score", format="%.1f%%"),
            "evaluations_per_agent_week": st.column_config.NumberColumn(
                "evaluations per agent-week", format="%.1f")})
        st.caption(shown.qa.caption)
        if shown.qa.note:
            st.caption(shown.qa.note)
        st.plotly_chart(shown.qa.coverage_chart, key="qa-coverage")
        st.plotly_chart(shown.qa.items_chart, key="qa-items")
        if who.agent_level:
            ui.download_csv(shown.qa.agents, f"qa_agents_{period.start}_{period.end}.csv", key="download-qa")
with tiers:
    st.dataframe(shown.escalations, hide_index=True, column_config={
        "metric": None, "share_pct": st.column_config.NumberColumn("share", format="%.1f%%"),
        "tier": st.column_config.NumberColumn("highest tier"),
        "status": st.column_config.TextColumn("against target")})
    st.plotly_chart(shown.tiers_chart, key="tiers")
    ui.download_csv(shown.tiers, f"tiers_{period.start}_{period.end}.csv", key="download-tiers")
st.caption(("Agents are shown by their pseudonymous id" if who.agent_level else
            "Results are shown by team, queue and channel") + "; customer identifiers are never shown.")
