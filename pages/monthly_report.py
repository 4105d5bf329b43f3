"""Monthly report for directors: KPIs against targets, cost per contact, lifetime value and returns."""

from datetime import date

import streamlit as st

from cxdash import report, ui
from cxdash.views.monthly_report import month_choices, monthly_report_page

store, _, _ = ui.context()
span = ui.page_start(store, "Monthly report", "No interactions yet: there is no month to report.")
months, default = month_choices(span, ui.today(store))
month_text = st.selectbox("Month", months, key="month", bind="query-params", width=260, index=default,
                          help="A calendar month in " + store.settings.timezone + ". Default: the last "
                               "full month. The sidebar's period and filters do not apply here.")
shown = monthly_report_page(store, date.fromisoformat(month_text + "-01"))
monthly = shown.report

# the report as one HTML file and its tables as a workbook, made only when clicked
downloads = st.container(horizontal=True)
stem = f"cxdash_monthly_report_{monthly.month:%Y-%m}"
ui.download(downloads, "Download the report (HTML)", lambda: report.to_html(monthly, store.folder.name),
            f"{stem}.html", "text/html", "download-report", icon=":material/summarize:", type="primary",
            help="One file that works offline: summary, KPIs against targets, cost per contact, lifetime "
                 "value and returns, with interactive charts.")
ui.download(downloads, "Download the tables (Excel)", lambda: report.to_excel(monthly), f"{stem}.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "download-report-tables",
            icon=":material/table:", help="Every table of the report, a sheet each.")

st.markdown(shown.summary)
tab_kpis, tab_costs, tab_value, tab_returns = st.tabs(
    ["KPIs against targets", "Cost per contact", "Lifetime value", "Returns and coaching"],
    key="section", bind="query-params")  # a shared link opens on the same section

with tab_kpis:
    ui.tiles(shown.kpi_tiles, columns=4)
    st.caption(shown.kpi_caption)

with tab_costs:
    month_costs = monthly.costs
    if shown.no_costs:
        st.info(shown.no_costs, icon=":material/receipt_long:")
    else:
        st.caption(shown.cost_caption)
        ui.tiles(shown.cost_tiles)
        st.dataframe(month_costs.by_channel, hide_index=True, column_config={
            "cost_usd": st.column_config.NumberColumn("cost", format="$%.0f"),
            "cost_per_contact_usd": st.column_config.NumberColumn("cost per contact", format="$%.2f"),
            "previous_usd": st.column_config.NumberColumn("last month", format="$%.2f"),
            "last_year_usd": st.column_config.NumberColumn("a year earlier", format="$%.2f"),
            "change_vs_previous_pct": st.column_config.NumberColumn("vs last month", format="%+.1f%%"),
            "change_vs_last_year_pct": st.column_config.NumberColumn("vs a year earlier",
                                                                     format="%+.1f%%")})
        ui.download_csv(month_costs.by_channel, f"cost_per_contact_{month_text}.csv", key="download-cost")
        left, right = st.columns([3, 2])
        left.plotly_chart(shown.cost_trend_chart, key="cost-trend")
        right.plotly_chart(shown.cost_composition_chart, key="cost-composition")
        ui.download_csv(month_costs.trend, f"cost_per_contact_13_months_to_{month_text}.csv",
                        "Download the trend (CSV)", key="download-cost-trend")

value = monthly.value
with tab_value:
    if shown.value_tiles is None:
        st.info("No orders table: lifetime value needs the data folder's orders/ files "
                "(order_id, customer_id, ordered_at, revenue_usd).", icon=":material/shopping_cart:")
    else:
        ui.tiles(shown.value_tiles)
        st.plotly_chart(shown.ltv_chart, key="ltv-cohorts")
        ui.download_csv(value.cohorts, f"ltv_by_cohort_to_{month_text}.csv", key="download-ltv")
        st.subheader("How service moves it")
        st.caption(shown.experience_caption)
        st.plotly_chart(shown.experience_chart, key="ltv-experience")
        st.dataframe(shown.experience_table, hide_index=True)
        ui.download_csv(value.experience, f"service_experience_{month_text}.csv", key="download-experience")

with tab_returns:
    if shown.orders_chart is None:
        st.info("No orders table: return and warranty-claim rates need the data folder's orders/ files.",
                icon=":material/shopping_cart:")
    else:
        st.plotly_chart(shown.orders_chart, key="order-rates")
        ui.download_csv(value.orders, f"orders_by_month_to_{month_text}.csv", key="download-orders")
        st.subheader("After a product-usage coaching contact")
        st.caption(shown.coaching_caption)
        st.dataframe(shown.coaching_table, hide_index=True)
        ui.download_csv(value.coaching, f"coaching_and_returns_{month_text}.csv", key="download-coaching")
