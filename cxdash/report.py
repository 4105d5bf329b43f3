"""The monthly report for directors: KPIs against targets, cost per contact, lifetime value, returns.

One `MonthlyReport` feeds the Monthly report page, the downloadable HTML file and Excel workbook,
and `python -m cxdash report`, so all of them show the same figures.
"""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import plotly.io as pio
from jinja2 import Environment, FileSystemLoader, select_autoescape
from plotly.offline import get_plotlyjs

from cxdash import __version__, charts, costs, kpis, lifetime
from cxdash.calendar import month_end
from cxdash.metrics import METRICS, format_number, format_value
from cxdash.safe import excel_writer, neutralise_formulas
from cxdash.store import Store

TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class MonthlyReport:
    """Everything the monthly report shows for one local calendar month."""

    month: date
    overview: kpis.Overview  # every KPI against last month, last year and its target
    costs: costs.MonthCosts
    value: lifetime.MonthValue
    cost_source: str  # "the costs table" or "the cost model"
    cost_source_text: str  # the source in words, with the cost model's rates when it is in use
    complete_through: date  # the last month the data covers in full
    timezone: str
    coaching_queues: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.month:%B %Y}"


def complete_through(store: Store) -> date | None:
    """The first day of the last local month the interaction data covers to its end."""
    span = kpis.data_span(store)
    if span is None:
        return None
    return kpis.last_full_month(span[1] + timedelta(days=1)).start


def monthly_report(store: Store, month: date) -> MonthlyReport:
    """The report for the local calendar month that `month` falls in."""
    month = month.replace(day=1)
    period = kpis.Period(month, month_end(month), label=f"{month:%B %Y}")
    complete = complete_through(store) or month
    return MonthlyReport(
        month=month, overview=kpis.overview(store, period), costs=costs.month_costs(store, month),
        value=lifetime.month_value(store, month, complete), cost_source=store.cost_source,
        cost_source_text=costs.source_text(store),
        complete_through=complete, timezone=store.settings.timezone,
        coaching_queues=store.settings.coaching_queues)


def _number(value) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return None
    return float(value)


def figures(report: MonthlyReport) -> dict:
    """The report's headline figures as plain JSON values (None where there is no basis)."""
    tiles = report.overview.tiles.set_index("metric")
    by_channel = report.costs.by_channel.set_index("channel")["cost_per_contact_usd"]
    coaching = report.value.coaching.set_index("measure")
    latest = report.value.orders[report.value.orders["month"] == report.month]
    return {
        "month": report.month.strftime("%Y-%m"),
        "kpis": {name: _number(tiles.loc[name, "value"]) for name in tiles.index},
        "status": {name: tiles.loc[name, "status"] for name in tiles.index},
        "cost_source": report.cost_source,
        "cost_per_contact_usd": {channel: _number(value) for channel, value in by_channel.items()},
        "self_service_share_pct": _number(report.costs.deflection["self_service_share_pct"]),
        "self_service_saving_usd": _number(report.costs.deflection["saving_usd"]),
        "ltv_12m_usd": _number(report.value.ltv_12m.value),
        "ltv_12m_cohort": str(report.value.ltv_12m.cohort)[:7],
        "ltv_12m_change_pct": _number(report.value.ltv_12m.change_pct),
        "ltv_24m_usd": _number(report.value.ltv_24m.value),
        "ltv_24m_cohort": str(report.value.ltv_24m.cohort)[:7],
        "return_rate_pct": _number(latest["return_rate_pct"].iloc[0]) if len(latest) else None,
        "warranty_rate_pct": _number(latest["warranty_rate_pct"].iloc[0]) if len(latest) else None,
        "returns_after_coaching_difference_pct":
            _number(coaching.loc["returns", "difference_pct"]) if "returns" in coaching.index else None,
    }


def _pct(value: float | None, signed: bool = True) -> str:
    if value is None or pd.isna(value):
        return "–"
    return f"{value:+.1f}%" if signed else f"{value:.1f}%"


def _relative(row) -> str:
    """'14.2% less often (95% interval 9.7% to 18.6% less)', or no clear difference when the
    interval spans zero."""
    value, low, high = row["difference_pct"], row["difference_low_pct"], row["difference_high_pct"]
    interval = f"95% interval {low:+.1f}% to {high:+.1f}%"
    if low <= 0 <= high:
        return f"about as often ({value:+.1f}%, {interval}: no clear difference)"
    return f"{abs(value):.1f}% {'less' if value < 0 else 'more'} often ({interval})"


def summary(report: MonthlyReport) -> list[str]:
    """A short written summary: volume, what is off target, the biggest moves, cost, value, returns."""
    tiles = report.overview.tiles.set_index("metric")
    lines = []
    if report.month > report.complete_through:
        lines.append(f"{report.label} is not over in the data: its figures cover only part of the month, "
                     f"and lifetime value is as of {report.complete_through:%B %Y}.")
    contacts = tiles.loc["contacts"]
    plural = "" if contacts["value"] == 1 else "s"
    lines.append(f"{report.label}: {format_value('contacts', contacts['value'])} contact{plural} "
                 f"({_pct(contacts['change_pct'])} on {report.overview.previous}, "
                 f"{_pct(contacts['change_last_year_pct'])} on {report.overview.last_year}).")
    for status, words in (("red", "Off target"), ("amber", "Near target")):
        missed = tiles[tiles["status"] == status]
        if len(missed):
            lines.append(f"{words}: " + "; ".join(
                f"{row['label']} {format_number(row['number_format'], row['value'])} ({row['target']})"
                for name, row in missed.iterrows()) + ".")
    if not tiles["status"].isin(["red", "amber"]).any() and (tiles["status"] != "none").any():
        lines.append("Every KPI with a target is on target.")
    moved = tiles.drop(index="contacts").dropna(subset=["change_pct"])
    moved = moved.reindex(moved["change_pct"].abs().sort_values(ascending=False).index).head(3)
    moved = moved[moved["change_pct"].abs() >= 5]
    if len(moved):
        lines.append("Largest moves on last month: " + "; ".join(
            f"{row['label']} {format_number(row['number_format'], row['previous'])} → "
            f"{format_number(row['number_format'], row['value'])}"
            for name, row in moved.iterrows()) + ".")
    blended = report.costs.by_channel.set_index("channel")
    if report.costs.has_costs and costs.BLENDED in blended.index:
        row = blended.loc[costs.BLENDED]
        blended_text = format_value("cost_per_contact_usd", row["cost_per_contact_usd"])
        lines.append(f"Blended cost per contact {blended_text} ({_pct(row['change_vs_previous_pct'])} "
                     f"on last month, {_pct(row['change_vs_last_year_pct'])} on a year earlier), "
                     f"from {report.cost_source}.")
    else:
        lines.append(f"No cost per contact: {report.cost_source} has nothing for {report.label}.")
    ltv = report.value.ltv_12m
    if ltv.value is not None:
        lines.append(f"12-month lifetime value of the {ltv.cohort:%B %Y} cohort: ${ltv.value:,.2f} per "
                     f"customer ({_pct(ltv.change_pct)} on the {ltv.previous_cohort:%B %Y} cohort).")
    latest = report.value.orders[report.value.orders["month"] == report.month]
    coaching = report.value.coaching.set_index("measure")
    if len(latest) and "returns" in coaching.index:
        effect = coaching.loc["returns"]
        text = f"Returns: {_pct(latest['return_rate_pct'].iloc[0], False)} of {report.label}'s orders."
        if not pd.isna(effect["difference_pct"]):
            text += (f" Over the 12 months to {report.label}, orders placed after a product-usage "
                     f"coaching contact were returned {_relative(effect)} than other orders.")
        lines.append(text)
    return lines


def _signed_money(value: float) -> str:
    return f"{'+' if value >= 0 else '-'}${abs(value):,.2f}"


def _reading(low: float, high: float, small: bool = False) -> str:
    if pd.isna(low):
        return "too few to compare"
    if small:
        return "small group: read with care"
    if low <= 0 <= high:
        return "no clear difference"
    return "clearly higher" if low > 0 else "clearly lower"


def experience_display(experience: pd.DataFrame) -> pd.DataFrame:
    """The service-experience comparisons in words and formatted figures, one row each."""
    rows = []
    for _, row in experience.iterrows():
        value = "–" if pd.isna(row["ltv_difference_usd"]) else (
            f"{_signed_money(row['ltv_difference_usd'])} ({_signed_money(row['ltv_difference_low_usd'])} "
            f"to {_signed_money(row['ltv_difference_high_usd'])})")
        repeat = "–" if pd.isna(row["repeat_difference_pts"]) else (
            f"{row['repeat_difference_pts']:+.1f} pts ({row['repeat_difference_low_pts']:+.1f} to "
            f"{row['repeat_difference_high_pts']:+.1f})")
        rows.append({
            "Comparison": f"{row['group_a']} vs {row['group_b']}",
            "Customers": f"{row['customers_a']:,} vs {row['customers_b']:,}",
            "12-month value": f"{_money(row['ltv_12m_a_usd'])} vs {_money(row['ltv_12m_b_usd'])}",
            "Value difference (95% interval)": value,
            "Bought again": f"{_pct(row['repeat_rate_a_pct'], False)} vs "
                            f"{_pct(row['repeat_rate_b_pct'], False)}",
            "Difference (95% interval)": repeat,
            "Reading": _reading(row["ltv_difference_low_usd"], row["ltv_difference_high_usd"],
                                bool(row["small_group"])),
        })
    return pd.DataFrame(rows)


def coaching_display(coaching: pd.DataFrame) -> pd.DataFrame:
    """Returns and warranty claims after coaching against other orders, in formatted figures."""
    rows = []
    for _, row in coaching.iterrows():
        rows.append({
            "Measure": row["measure"].capitalize(),
            "After a coaching contact": f"{_pct(row['rate_after_coaching_pct'], False)} of "
                                        f"{row['orders_after_coaching']:,} orders",
            "Other orders": f"{_pct(row['rate_other_pct'], False)} of {row['orders_other']:,} orders",
            "Difference (95% interval)": "–" if pd.isna(row["difference_pct"]) else
            f"{_pct(row['difference_pct'])} ({_pct(row['difference_low_pct'])} to "
            f"{_pct(row['difference_high_pct'])})",
            "Reading": _reading(row["difference_low_pct"], row["difference_high_pct"]),
        })
    return pd.DataFrame(rows)


def tables(report: MonthlyReport) -> dict[str, pd.DataFrame]:
    """The tables behind the report, by sheet name."""
    kpi_table = report.overview.tiles[["metric", "label", "value", "previous", "last_year", "change_pct",
                                       "change_last_year_pct", "status", "target", "definition"]]
    return {
        "kpis": kpi_table,
        "cost_per_contact": report.costs.by_channel,
        "cost_trend": report.costs.trend,
        "cost_composition": report.costs.composition,
        "ltv_by_cohort": report.value.cohorts,
        "service_experience": report.value.experience,
        "orders_by_month": report.value.orders,
        "coaching_and_returns": report.value.coaching,
    }


def to_excel(report: MonthlyReport) -> bytes:
    """The report's tables as one workbook, a sheet each (XlsxWriter: no Excel needed); text cells are
    text, never formulas or links."""
    buffer = io.BytesIO()
    sheets = {"summary": pd.DataFrame({"summary": summary(report)}), **tables(report)}
    with excel_writer(buffer) as writer:
        for name, frame in sheets.items():
            neutralise_formulas(frame).to_excel(writer, sheet_name=name[:31], index=False)
    return buffer.getvalue()


def _figure_html(figure) -> str:
    return pio.to_html(figure, full_html=False, include_plotlyjs=False,
                       config={"displaylogo": False, "responsive": True})


def _kpi_rows(report: MonthlyReport) -> list[dict]:
    rows = []
    for _, tile in report.overview.tiles.iterrows():
        name = tile["metric"]
        number_format = tile["number_format"]
        rows.append({"metric": name, "label": tile["label"],
                     "value": format_number(number_format, tile["value"]),
                     "previous": format_number(number_format, tile["previous"]),
                     "last_year": format_number(number_format, tile["last_year"]),
                     "change": _pct(tile["change_pct"]), "status": tile["status"],
                     "target": tile["target"], "definition": tile["definition"]})
    return rows


def _money(value) -> str:
    return "–" if value is None or pd.isna(value) else f"${value:,.2f}"


def to_html(report: MonthlyReport, data_label: str = "") -> str:
    """One self-contained HTML file: works offline (Plotly's script inside), charts interactive,
    the headline figures also kept as JSON in a script element for machines."""
    environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape())
    environment.filters["money"] = _money
    environment.filters["pct"] = _pct
    cost_rows = report.costs.by_channel.to_dict("records")
    headline = figures(report)
    value = report.value
    charts_html = {"cost_trend": _figure_html(charts.cost_trend(report.costs.trend)),
                   "cost_composition": _figure_html(charts.cost_composition(report.costs.composition))}
    if value.has_orders:
        charts_html["ltv"] = _figure_html(charts.ltv_by_cohort(value.cohorts))
        charts_html["experience"] = _figure_html(charts.experience_differences(value.experience))
        charts_html["orders"] = _figure_html(charts.order_rates(value.orders))
    return environment.get_template("monthly_report.html").render(
        report=report, figures=headline, figures_json=json.dumps(headline).replace("</", "<\\/"),
        summary=summary(report), kpi_rows=_kpi_rows(report), cost_rows=cost_rows,
        experience=experience_display(value.experience), coaching=coaching_display(value.coaching),
        charts=charts_html, cost_source_text=report.cost_source_text, plotly_js=get_plotlyjs(),
        metrics=METRICS, version=__version__, data_label=data_label,
        generated=datetime.now(ZoneInfo(report.timezone)).strftime("%Y-%m-%d %H:%M %Z"),
        blended=costs.BLENDED)
