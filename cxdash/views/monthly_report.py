"""What the Monthly report page shows for one month: the written summary, KPIs against targets, cost
per contact, lifetime value, returns and coaching. The HTML report and the Excel workbook are made
only when their buttons are clicked: report.to_html and report.to_excel of `MonthlyReportPage.report`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from plotly.graph_objects import Figure

from cxdash import charts, costs, kpis, report
from cxdash.metrics import METRICS, format_value, status, target_text
from cxdash.safe import plain, plain_join
from cxdash.store import Store
from cxdash.views import Tile, kpi_tiles


def month_choices(span: tuple[date, date], today: date) -> tuple[list[str], int]:
    """The months the picker offers (YYYY-MM, newest first) and the position of the default: the
    last full month."""
    months = list(reversed(costs.months_between(*span)))
    default = kpis.default_period(span[1], today).start.strftime("%Y-%m")
    return months, months.index(default) if default in months else 0


@dataclass(frozen=True)
class MonthlyReportPage:
    """Everything the Monthly report page shows for one month, tab by tab."""

    report: report.MonthlyReport  # every figure and table; the downloads are made from it
    summary: str  # the written summary, a Markdown list
    kpi_tiles: tuple[Tile, ...]
    kpi_caption: str
    # the costs tab: a notice instead when the month has no costs booked
    no_costs: str | None
    cost_caption: str | None
    cost_tiles: tuple[Tile, ...] | None
    cost_trend_chart: Figure | None
    cost_composition_chart: Figure | None
    # the lifetime value and returns tabs: None without an orders table
    value_tiles: tuple[Tile, ...] | None
    ltv_chart: Figure | None
    experience_caption: str | None
    experience_chart: Figure | None
    experience_table: pd.DataFrame | None
    orders_chart: Figure | None
    coaching_caption: str | None
    coaching_table: pd.DataFrame | None


def monthly_report_page(store: Store, month: date) -> MonthlyReportPage:
    """The page for the local calendar month `month` falls in."""
    monthly = report.monthly_report(store, month)
    overview = monthly.overview
    month_costs = monthly.costs
    value = monthly.value
    has_costs, has_orders = month_costs.has_costs, value.has_orders
    return MonthlyReportPage(
        report=monthly, summary="\n".join(f"- {plain(line)}" for line in report.summary(monthly)),
        kpi_tiles=kpi_tiles(overview),
        kpi_caption=f"{overview.period} against {overview.previous} and {overview.last_year}, every "
                    "channel, queue and team.",
        no_costs=None if has_costs else
        f"No costs are booked for {monthly.label} in the costs table, so there is no cost per contact "
        "for it. Add the month's rows to the data folder's costs/ files.",
        cost_caption=f"{monthly.label}. " + METRICS["cost_per_contact_usd"].summary + " Costs booked to "
                     "'shared' count in the blended figure only. Source: " + plain(monthly.cost_source_text)
        if has_costs else None,
        cost_tiles=_cost_tiles(month_costs, store) if has_costs else None,
        cost_trend_chart=charts.cost_trend(month_costs.trend) if has_costs else None,
        cost_composition_chart=charts.cost_composition(month_costs.composition) if has_costs else None,
        value_tiles=_value_tiles(value) if has_orders else None,
        ltv_chart=charts.ltv_by_cohort(value.cohorts) if has_orders else None,
        experience_caption=_experience_caption(monthly) if has_orders else None,
        experience_chart=charts.experience_differences(value.experience) if has_orders else None,
        experience_table=report.experience_display(value.experience) if has_orders else None,
        orders_chart=charts.order_rates(value.orders) if has_orders else None,
        coaching_caption=f"Orders over the 12 months to {monthly.label} placed after the customer had a "
                         f"coaching contact (answered by an agent in {plain_join(monthly.coaching_queues)}; "
                         "settings: lifetime_value.coaching_queues) against all other orders. The seed "
                         "documents expect 12-18% fewer returns; the 95% interval says what this data "
                         "supports." if has_orders else None,
        coaching_table=report.coaching_display(value.coaching) if has_orders else None)


def _cost_tiles(month_costs: costs.MonthCosts, store: Store) -> tuple[Tile, ...]:
    """Blended cost per contact against its target, self-service share and saving, one-time costs."""
    blended = month_costs.by_channel.set_index("channel").loc[costs.BLENDED]
    target = store.settings.targets.get("cost_per_contact_usd")
    share = month_costs.deflection["self_service_share_pct"]
    saving = month_costs.deflection["saving_usd"]
    cost = blended["cost_per_contact_usd"]
    return (
        Tile("Blended cost per contact", format_value("cost_per_contact_usd", cost),
             delta=None if pd.isna(blended["previous_usd"]) else
             f"{blended['change_vs_previous_pct']:+.1f}% vs last month", delta_color="inverse",
             help=target_text("cost_per_contact_usd", target).capitalize()
             + " (seed: $6-8 blended for an efficient operation). Status: "
             + status("cost_per_contact_usd", cost, target) + "."),
        Tile("Self-service share of contacts", "–" if share is None else f"{share:.1f}%",
             help="Self-service contacts / all contacts. Benchmark: 40-55%."),
        Tile("Saving from self-service", "–" if saving is None else f"${saving:,.0f}",
             help="Self-served contacts x (assisted channels' cost per contact - self-service cost per "
                  "contact), this month."),
        Tile("One-time costs", f"${month_costs.one_time_usd:,.0f}",
             help="Booked as one_time: reported, but outside cost per contact."),
    )


def _value_tiles(value) -> tuple[Tile, ...]:
    """12- and 24-month value of the cohorts that completed them this month, against the month before."""
    tiles = []
    for months, change in ((12, value.ltv_12m), (24, value.ltv_24m)):
        label = f"{months}-month value per customer"
        if change.value is None:
            tiles.append(Tile(label, "–", help=f"No first-order cohort has completed {months} months "
                                                "within the data."))
            continue
        tiles.append(Tile(
            label, f"${change.value:,.2f}",
            delta=None if change.change_pct is None else
            f"{change.change_pct:+.1f}% vs the {change.previous_cohort:%b %Y} cohort",
            help=f"Revenue (refunds netted off) per customer over the {months} calendar months from their "
                 f"first purchase, for customers who first bought in {change.cohort:%B %Y}: the latest "
                 f"cohort to complete {months} months."))
    return tuple(tiles)


def _experience_caption(monthly: report.MonthlyReport) -> str:
    first, last = monthly.value.experience_cohorts
    return (f"Customers who first bought between {first:%B %Y} and {last:%B %Y} (their first 12 months "
            f"ended in the year to {monthly.label}), grouped by the service they had in those months. "
            "These are associations, not causes: customers who contact service differ in other ways "
            "too. Bars are 95% intervals; one that crosses zero is no clear difference.")
