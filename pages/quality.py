"""Quality: is CSAT moving, where, and why: control chart, movers, the interactions behind them."""

from datetime import date

import streamlit as st

from cxdash import charts, quality, ui
from cxdash.metrics import METRICS, definition, format_value, target_text

store, period, filters = ui.context()
settings = store.settings
st.title("Quality")
ui.demo_notice()
ui.data_problem_banner(store)

left, middle, _ = st.columns([2, 2, 3])
# options are the words shown, which the URL keeps too (grain=Week)
grain = (left.segmented_control("View", [g.capitalize() for g in quality.GRAINS], default="Day",
                                key="grain", bind="query-params") or "Day").lower()
adjust = middle.toggle("Allow for day-to-day variation", value=True, key="laney", bind="query-params",
                       help="Laney p′: widen the limits by the spread the baseline shows beyond "
                            "sampling noise, so a large operation is not alarmed by ordinary days.")
chart = quality.csat_chart(store, period, filters, grain, adjust)
st.caption(f"**{period}** ({ui.scope_text(filters)}) · center line and limits from {chart.baseline_label} · "
           f"times in {settings.timezone}")

if chart.ratings == 0:
    st.info("No CSAT ratings match this period and these filters. Widen the period or clear a "
            "filter.", icon=":material/filter_alt_off:")
    st.stop()

csat = quality.ratio_of(chart, "csat_pct", settings)
cells = st.columns(4)
cells[0].metric("CSAT", format_value("csat_pct", csat), border=True,
                help=definition("csat_pct", settings).text,
                delta=f"{csat - chart.center:+.1f} vs baseline" if chart.center is not None else None)
cells[1].metric("Ratings", f"{chart.ratings:,}", border=True,
                help=f"Response rate {format_value('response_rate_pct', chart.response_rate)}.")
outside = int(chart.signals["signal"].str.endswith("limit").sum())
shifts = int(chart.signals["signal"].str.startswith("run").sum())
cells[2].metric(f"{grain.capitalize()}s outside the limits", f"{outside}", border=True,
                help=f"Beyond three standard errors of the center line for that {grain}'s ratings.")
cells[3].metric("In a sustained shift", f"{shifts}", border=True,
                help=f"{grain.capitalize()}s in a run of {quality.RUN_LENGTH} or more on one side of "
                     "the center line, inside the limits.")

st.subheader("CSAT against its control limits")
st.plotly_chart(charts.csat_control_chart(chart.units, grain), key="csat_chart",
                on_select=ui.pick_from_chart("csat_chart", "at"), selection_mode="points")
st.caption(f"Limits: center ± 3 standard errors for each {grain}'s ratings"
           + (f", widened ×{chart.spread:.2f} for day-to-day variation" if chart.spread > 1 else "")
           + f". Fewer than {chart.min_ratings} ratings: hollow, too few to judge. "
           "Click a point to break it down below.")

with st.expander(f"{len(chart.signals)} flagged {grain}s, and every {grain}'s figures"):
    table = quality.chart_table(chart)
    st.dataframe(table, hide_index=True)
    ui.download_csv(table, f"csat_{grain}_{period.start}_{period.end}.csv", key="download-csat")

st.subheader("Compared with the previous period and last year")
st.plotly_chart(charts.csat_compare(quality.compare(store, period, filters, grain)), key="compare")
st.caption(("7-day rolling CSAT, " if grain == "day" else f"CSAT by {grain}, ")
           + f"aligned from the start of each period: {period}; {period.previous()}; {period.last_year()}.")

st.subheader("Drill down")
units = chart.units
labels = {str(u): quality.unit_label(chart, u) for u in units.loc[units["n"] > 0, "start"]}
ui.forget_unless_in("at", list(labels))
at = st.selectbox(f"{grain.capitalize()} to break down (its first day)", list(labels), index=None,
                  key="at", bind="query-params",  # the URL keeps the option's text: a plain date
                  placeholder="Click a point on the chart, or pick one here")
if at:
    st.caption(labels[at])
    unit = quality.unit_of(chart, date.fromisoformat(at))
    by = (st.segmented_control("Break down by", [d.capitalize() for d in quality.DIMENSIONS],
                               default="Team", key="by", bind="query-params") or "Team").lower()
    table = quality.segment_movers(store, unit, chart.baseline, filters, by)
    st.caption(f"**{unit}** against the baseline, {chart.baseline}. Rate effect = share of the "
               f"{grain}'s ratings × change in the segment's CSAT; mix effect = change in the share "
               "× how the segment's baseline differs from the whole. Both sum to the total change.")
    segments = table["segment"].tolist()
    st.dataframe(quality.movers_view(table), hide_index=True, key=f"movers-{at}-{by}",
                 on_select=ui.pick_from_table(f"movers-{at}-{by}", segments, "segment"),
                 selection_mode="single-row")
    ui.download_csv(table, f"movers_{by}_{at}.csv", "Download movers (CSV)", key="download-movers")
    ui.forget_unless_in("segment", segments)
    segment = st.selectbox(f"{by.capitalize()} to list", segments, index=None, key="segment",
                           bind="query-params", placeholder="Select a row above, or pick one here")
    if segment:
        rated = st.checkbox("Only contacts with a CSAT rating", value=True, key="rated",
                            bind="query-params")
        rows = quality.interactions_behind(store, unit, filters, by, segment, rated)
        st.markdown(f"**{len(rows):,} interactions** · {by.capitalize()}: {ui.plain(segment)} · {unit}")
        st.dataframe(rows, hide_index=True)
        ui.download_csv(rows, f"interactions_{at}_{by}_{segment}.csv", "Download interactions (CSV)",
                        key="download-interactions")

st.subheader("Alongside CSAT")
surveys, scores, qa, tiers = st.tabs(["NPS, CES and FCR", "Score distribution", "QA", "Escalations"])
with surveys:
    trends = quality.survey_trends(chart, settings)
    st.plotly_chart(charts.survey_trends(trends, grain), key="surveys")
    ui.download_csv(trends, f"surveys_{period.start}_{period.end}.csv", key="download-surveys")
with scores:
    distribution = quality.score_distribution(chart)
    st.plotly_chart(charts.score_distribution(distribution), key="scores")
    ui.download_csv(distribution, f"csat_scores_{period.start}_{period.end}.csv", key="download-scores")
with qa:
    items = quality.qa_items(store, period, filters)
    if items.empty:
        st.info("No QA evaluations in this period.", icon=":material/rule:")
    else:
        agents = quality.qa_agents(store, period, filters)
        target = settings.targets.get("qa_evaluations_per_agent_week")
        teams = quality.qa_teams(agents, period, settings)
        st.dataframe(teams, hide_index=True, column_config={
            "qa_points": None, "qa_points_possible": None,
            "qa_score_pct": st.column_config.NumberColumn("QA score", format="%.1f%%"),
            "evaluations_per_agent_week": st.column_config.NumberColumn(
                "evaluations per agent-week", format="%.1f")})
        st.caption(METRICS["qa_evaluations_per_agent_week"].label + ": "
                   + definition("qa_evaluations_per_agent_week", settings).text + " "
                   + target_text("qa_evaluations_per_agent_week", target).capitalize() + ".")
        if filters.channels or filters.queues:
            st.caption("QA follows the Team filter only: evaluations name an agent, not a channel or queue.")
        st.plotly_chart(charts.qa_coverage(agents, target.low, target.high), key="qa-coverage")
        st.plotly_chart(charts.qa_items(items), key="qa-items")
        ui.download_csv(agents, f"qa_agents_{period.start}_{period.end}.csv", key="download-qa")
with tiers:
    summary, trend = quality.escalations(chart, settings)
    st.dataframe(summary, hide_index=True, column_config={
        "metric": None, "share_pct": st.column_config.NumberColumn("share", format="%.1f%%"),
        "tier": st.column_config.NumberColumn("highest tier"),
        "status": st.column_config.TextColumn("against target")})
    st.plotly_chart(charts.tier_shares(trend), key="tiers")
    ui.download_csv(trend, f"tiers_{period.start}_{period.end}.csv", key="download-tiers")
st.caption("Agents are shown by their pseudonymous id; customer identifiers are never shown.")
