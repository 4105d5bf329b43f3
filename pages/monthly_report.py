"""Monthly report for directors: cost per contact by channel and blended (lifetime value to come)."""

from datetime import date

import streamlit as st

from cxdash import charts, costs, kpis, ui
from cxdash.metrics import METRICS, format_value, status, target_text

store, _, _ = ui.context()
settings = store.settings
st.title("Monthly report")
ui.demo_notice()
ui.data_problem_banner(store)

span = kpis.data_span(store)
if span is None:
    st.info("No interactions yet: there is no month to report.", icon=":material/calendar_month:")
    st.stop()
months = costs.months_between(*span)
default = kpis.default_period(span[1], ui.today(store)).start.strftime("%Y-%m")
month_text = st.selectbox("Month", list(reversed(months)), key="month", bind="query-params",
                          index=list(reversed(months)).index(default) if default in months else 0,
                          help="A calendar month in " + settings.timezone + ". Default: the last "
                               "full month. The sidebar's period and filters do not apply here.")
report = costs.month_costs(store, date.fromisoformat(month_text + "-01"))

st.subheader("Cost per contact")
if not report.has_costs:
    st.info(f"No costs are booked for {report.month:%B %Y} in the costs table, so there is no cost "
            "per contact for it. Add the month's rows to the data folder's costs/ files.",
            icon=":material/receipt_long:")
    st.stop()
st.caption(f"Source: the costs table (data folder `costs/`), {report.month:%B %Y}. "
           + METRICS["cost_per_contact_usd"].summary + " Costs booked to 'shared' count in the blended "
           "figure only.")
rows = report.by_channel.set_index("channel")
blended = rows.loc[costs.BLENDED]
target = settings.targets.get("cost_per_contact_usd")
cells = st.columns(4)
value = format_value("cost_per_contact_usd", blended["cost_per_contact_usd"])
cells[0].metric("Blended cost per contact", value,
                delta=None if blended.isna()["previous_usd"] else
                f"{blended['change_vs_previous_pct']:+.1f}% vs last month", delta_color="inverse",
                border=True, help=target_text("cost_per_contact_usd", target).capitalize() + " (seed: "
                "$6-8 blended for an efficient operation). Status: "
                + status("cost_per_contact_usd", blended["cost_per_contact_usd"], target) + ".")
share = report.deflection["self_service_share_pct"]
cells[1].metric("Self-service share of contacts", "–" if share is None else f"{share:.1f}%",
                border=True, help="Self-service contacts / all contacts. Benchmark: 40-55%.")
saving = report.deflection["saving_usd"]
cells[2].metric("Saving from self-service", "–" if saving is None else f"${saving:,.0f}", border=True,
                help="Self-served contacts x (assisted channels' cost per contact - self-service "
                     "cost per contact), this month.")
cells[3].metric("One-time costs", f"${report.one_time_usd:,.0f}", border=True,
                help="Booked as one_time: reported, but outside cost per contact.")

st.dataframe(report.by_channel, hide_index=True, column_config={
    "cost_usd": st.column_config.NumberColumn("cost", format="$%.0f"),
    "cost_per_contact_usd": st.column_config.NumberColumn("cost per contact", format="$%.2f"),
    "previous_usd": st.column_config.NumberColumn("last month", format="$%.2f"),
    "last_year_usd": st.column_config.NumberColumn("a year earlier", format="$%.2f"),
    "change_vs_previous_pct": st.column_config.NumberColumn("vs last month", format="%+.1f%%"),
    "change_vs_last_year_pct": st.column_config.NumberColumn("vs a year earlier", format="%+.1f%%")})
ui.download_csv(report.by_channel, f"cost_per_contact_{month_text}.csv", key="download-cost")
left, right = st.columns([3, 2])
left.plotly_chart(charts.cost_trend(report.trend), key="cost-trend")
right.plotly_chart(charts.cost_composition(report.composition), key="cost-composition")
ui.download_csv(report.trend, f"cost_per_contact_13_months_to_{month_text}.csv",
                "Download the trend (CSV)", key="download-cost-trend")
