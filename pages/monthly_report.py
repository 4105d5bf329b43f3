"""Monthly report for directors: KPIs against targets, cost per contact, lifetime value and returns."""

from datetime import date

import streamlit as st

from cxdash import charts, costs, kpis, report, ui

store, _, _ = ui.context()
settings = store.settings
span = ui.page_start(store, "Monthly report", "No interactions yet: there is no month to report.")
months = list(reversed(costs.months_between(*span)))
default = kpis.default_period(span[1], ui.today(store)).start.strftime("%Y-%m")
month_text = st.selectbox("Month", months, key="month", bind="query-params", width=260,
                          index=months.index(default) if default in months else 0,
                          help="A calendar month in " + settings.timezone + ". Default: the last "
                               "full month. The sidebar's period and filters do not apply here.")
monthly = report.monthly_report(store, date.fromisoformat(month_text + "-01"))
ui.report_downloads(monthly, store.folder.name)

st.markdown("\n".join(f"- {ui.plain(line)}" for line in report.summary(monthly)))
tab_kpis, tab_costs, tab_value, tab_returns = st.tabs(
    ["KPIs against targets", "Cost per contact", "Lifetime value", "Returns and coaching"],
    key="section", bind="query-params")  # a shared link opens on the same section

with tab_kpis:
    ui.kpi_tiles(monthly.overview)
    st.caption(f"{monthly.overview.period} against {monthly.overview.previous} and "
               f"{monthly.overview.last_year}, every channel, queue and team.")

with tab_costs:
    month_costs = monthly.costs
    if not month_costs.has_costs:
        st.info(f"No costs are booked for {monthly.label} in the costs table, so there is no cost per "
                "contact for it. Add the month's rows to the data folder's costs/ files.",
                icon=":material/receipt_long:")
    else:
        ui.cost_source_caption(monthly)
        ui.cost_tiles(month_costs, settings)
        ui.cost_table(month_costs.by_channel)
        ui.download_csv(month_costs.by_channel, f"cost_per_contact_{month_text}.csv", key="download-cost")
        left, right = st.columns([3, 2])
        left.plotly_chart(charts.cost_trend(month_costs.trend), key="cost-trend")
        right.plotly_chart(charts.cost_composition(month_costs.composition), key="cost-composition")
        ui.download_csv(month_costs.trend, f"cost_per_contact_13_months_to_{month_text}.csv",
                        "Download the trend (CSV)", key="download-cost-trend")

value = monthly.value
with tab_value:
    if not value.has_orders:
        st.info("No orders table: lifetime value needs the data folder's orders/ files "
                "(order_id, customer_id, ordered_at, revenue_usd).", icon=":material/shopping_cart:")
    else:
        ui.value_tiles(value)
        st.plotly_chart(charts.ltv_by_cohort(value.cohorts), key="ltv-cohorts")
        ui.download_csv(value.cohorts, f"ltv_by_cohort_to_{month_text}.csv", key="download-ltv")
        st.subheader("How service moves it")
        first, last = value.experience_cohorts
        st.caption(f"Customers who first bought between {first:%B %Y} and {last:%B %Y} (their first "
                   f"12 months ended in the year to {monthly.label}), grouped by the service they had "
                   "in those months. These are associations, not causes: customers who contact "
                   "service differ in other ways too. Bars are 95% intervals; one that crosses zero "
                   "is no clear difference.")
        st.plotly_chart(charts.experience_differences(value.experience), key="ltv-experience")
        ui.experience_table(value.experience)
        ui.download_csv(value.experience, f"service_experience_{month_text}.csv", key="download-experience")

with tab_returns:
    if not value.has_orders:
        st.info("No orders table: return and warranty-claim rates need the data folder's orders/ files.",
                icon=":material/shopping_cart:")
    else:
        st.plotly_chart(charts.order_rates(value.orders), key="order-rates")
        ui.download_csv(value.orders, f"orders_by_month_to_{month_text}.csv", key="download-orders")
        st.subheader("After a product-usage coaching contact")
        st.caption(f"Orders over the 12 months to {monthly.label} placed after the customer had a "
                   f"coaching contact (answered by an agent in {ui.plain_join(settings.coaching_queues)}; "
                   "settings: lifetime_value.coaching_queues) against all other orders. The seed "
                   "documents expect 12-18% fewer returns; the 95% interval says what this data supports.")
        ui.coaching_table(value.coaching)
        ui.download_csv(value.coaching, f"coaching_and_returns_{month_text}.csv", key="download-coaching")
