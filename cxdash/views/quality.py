"""What the Quality page shows: CSAT against its control limits, the periods it is compared with, the
surveys, scores, QA and escalations beside it; then, step by step as the user drills down, the
movers of one unit (day, week or month) and the interactions behind one segment of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from plotly.graph_objects import Figure

from cxdash import charts, quality
from cxdash.kpis import Filters, Period
from cxdash.metrics import METRICS, definition, format_value, target_text
from cxdash.safe import plain
from cxdash.store import Store
from cxdash.views import Tile, scope_text


@dataclass(frozen=True)
class QaSection:
    """The QA tab: coverage and scores of the period's evaluations."""

    teams: pd.DataFrame  # team, agents, evaluations, QA score, evaluations per agent-week
    agents: pd.DataFrame  # one row per agent, for the download
    caption: str  # the coverage KPI's definition and target
    note: str | None  # why the channel and queue filters do not apply, when one is set
    coverage_chart: Figure
    items_chart: Figure


@dataclass(frozen=True)
class QualityPage:
    """Everything the Quality page shows above the drill-down, and its tabs below it."""

    chart: quality.CsatChart
    caption: str  # the period, the filters, where the center line comes from
    # None when no CSAT rating matches: the page says so and stops
    tiles: tuple[Tile, ...] | None = None
    control_chart: Figure | None = None
    limits_caption: str | None = None
    table_label: str | None = None  # the expander's title: how many units are flagged
    table: pd.DataFrame | None = None  # every unit's figures, flagged first
    compare_chart: Figure | None = None
    compare_caption: str | None = None
    unit_labels: dict[str, str] | None = None  # the units to drill into (first day: how it reads)
    surveys: pd.DataFrame | None = None
    surveys_chart: Figure | None = None
    scores: pd.DataFrame | None = None
    scores_chart: Figure | None = None
    qa: QaSection | None = None  # None as well when the period has no QA evaluations
    escalations: pd.DataFrame | None = None  # one row per tier: share, status, target
    tiers: pd.DataFrame | None = None  # each tier's share per unit
    tiers_chart: Figure | None = None


def quality_page(store: Store, period: Period, filters: Filters, grain: str = "day",
                 adjust_spread: bool = True) -> QualityPage:
    """Everything above the drill-down, and the tabs below it, for the grain (day, week or month)
    and with or without Laney's allowance for day-to-day variation."""
    settings = store.settings
    chart = quality.csat_chart(store, period, filters, grain, adjust_spread)
    caption = (f"**{period}** ({scope_text(filters)}) · center line and limits from "
               f"{chart.baseline_label} · times in {settings.timezone}")
    if chart.ratings == 0:
        return QualityPage(chart, caption)
    units = chart.units
    surveys = quality.survey_trends(chart, settings)
    scores = quality.score_distribution(chart)
    escalations, tiers = quality.escalations(chart, settings)
    widened = f", widened ×{chart.spread:.2f} for day-to-day variation" if chart.spread > 1 else ""
    return QualityPage(
        chart, caption, tiles=_tiles(chart, store),
        control_chart=charts.csat_control_chart(units, grain),
        limits_caption=f"Limits: center ± 3 standard errors for each {grain}'s ratings{widened}"
                       f". Fewer than {chart.min_ratings} ratings: hollow, too few to judge. "
                       "Click a point to break it down below.",
        table_label=f"{len(chart.signals)} flagged {grain}s, and every {grain}'s figures",
        table=quality.chart_table(chart),
        compare_chart=charts.csat_compare(quality.compare(store, period, filters, grain)),
        compare_caption=("7-day rolling CSAT, " if grain == "day" else f"CSAT by {grain}, ")
                        + f"aligned from the start of each period: {period}; {period.previous()}; "
                          f"{period.last_year()}.",
        unit_labels={str(u): quality.unit_label(chart, u) for u in units.loc[units["n"] > 0, "start"]},
        surveys=surveys, surveys_chart=charts.survey_trends(surveys, grain),
        scores=scores, scores_chart=charts.score_distribution(scores),
        qa=qa_section(store, period, filters),
        escalations=escalations, tiers=tiers, tiers_chart=charts.tier_shares(tiers))


def _tiles(chart: quality.CsatChart, store: Store) -> tuple[Tile, ...]:
    settings = store.settings
    grain = chart.grain
    csat = quality.ratio_of(chart, "csat_pct", settings)
    outside = int(chart.signals["signal"].str.endswith("limit").sum())
    shifts = int(chart.signals["signal"].str.startswith("run").sum())
    return (
        Tile("CSAT", format_value("csat_pct", csat), help=definition("csat_pct", settings).text,
             delta=f"{csat - chart.center:+.1f} vs baseline" if chart.center is not None else None),
        Tile("Ratings", f"{chart.ratings:,}",
             help=f"Response rate {format_value('response_rate_pct', chart.response_rate)}."),
        Tile(f"{grain.capitalize()}s outside the limits", f"{outside}",
             help=f"Beyond three standard errors of the center line for that {grain}'s ratings."),
        Tile("In a sustained shift", f"{shifts}",
             help=f"{grain.capitalize()}s in a run of {quality.RUN_LENGTH} or more on one side of the "
                  "center line, inside the limits."),
    )


def qa_section(store: Store, period: Period, filters: Filters) -> QaSection | None:
    """The QA tab; None when the period has no QA evaluations. QA follows the team filter only."""
    settings = store.settings
    items = quality.qa_items(store, period, filters)
    if items.empty:
        return None
    agents = quality.qa_agents(store, period, filters)
    target = settings.targets.get("qa_evaluations_per_agent_week")
    return QaSection(
        teams=quality.qa_teams(agents, period, settings), agents=agents,
        caption=METRICS["qa_evaluations_per_agent_week"].label + ": "
                + definition("qa_evaluations_per_agent_week", settings).text + " "
                + target_text("qa_evaluations_per_agent_week", target).capitalize() + ".",
        note="QA follows the Team filter only: evaluations name an agent, not a channel or queue."
             if filters.channels or filters.queues else None,
        coverage_chart=charts.qa_coverage(agents, target.low, target.high),
        items_chart=charts.qa_items(items))


# --- the drill-down, a step per choice ---------------------------------------------------------------

@dataclass(frozen=True)
class UnitDrill:
    """One unit of the chart broken down by a dimension: its movers against the baseline."""

    unit: Period
    caption: str  # how the rate and mix effects read
    movers: pd.DataFrame  # quality.segment_movers, for the download
    table: pd.DataFrame  # the movers as the page shows them
    segments: list[str]  # the segments to list the interactions of, in the table's order


def unit_drill(store: Store, chart: quality.CsatChart, filters: Filters, at: str,
               dimension: str) -> UnitDrill:
    """The unit that begins on `at` (an option of QualityPage.unit_labels), by channel, queue, team,
    agent or tier."""
    unit = quality.unit_of(chart, date.fromisoformat(at))
    movers = quality.segment_movers(store, unit, chart.baseline, filters, dimension)
    caption = (f"**{unit}** against the baseline, {chart.baseline}. Rate effect = share of the "
               f"{chart.grain}'s ratings × change in the segment's CSAT; mix effect = change in the share "
               "× how the segment's baseline differs from the whole. Both sum to the total change.")
    return UnitDrill(unit, caption, movers, quality.movers_view(movers), movers["segment"].tolist())


@dataclass(frozen=True)
class SegmentDrill:
    """The interactions behind one segment of a unit."""

    heading: str  # how many, which segment, which unit
    rows: pd.DataFrame  # the interactions, without customer identifiers


def segment_drill(store: Store, unit: Period, filters: Filters, dimension: str, segment: str,
                  rated_only: bool = True) -> SegmentDrill:
    rows = quality.interactions_behind(store, unit, filters, dimension, segment, rated_only)
    heading = f"**{len(rows):,} interactions** · {dimension.capitalize()}: {plain(segment)} · {unit}"
    return SegmentDrill(heading, rows)
