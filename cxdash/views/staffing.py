"""What the Staffing page shows for an interval forecast of the record and the planner's inputs: the
agents each interval needs (Erlang C, or Erlang A with the patience the data shows), against the
seed's simple formula, by day, and against the planner's own schedule when one is uploaded.

The page goes in steps, each a function here: the forecasts it offers (`forecasts`), the chosen one
with what its inputs depend on (`forecast_to_staff`), the staffing (`staffing_page`), then the
uploaded schedule (`compare_schedule`) and the day the chart shows (`day_chart`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from plotly.graph_objects import Figure

from cxdash import charts, forecast, kpis, record, staffing
from cxdash.importers.schedule import read_schedule
from cxdash.safe import plain
from cxdash.settings import Settings
from cxdash.store import Store
from cxdash.views import Tile
from cxdash.views.forecast import GRAIN_LABELS

STAFF_TO = ("Forecast", "Upper bound")
ERLANG_C, ERLANG_A = "Erlang C", "Erlang A"


def hours_text(value: float, sign: bool = False) -> str:
    """Agent-hours: whole hours, or to the half hour (the finest interval's step) below 100."""
    text = f"{value:{'+' if sign else ''},.1f}" if abs(value) < 100 else f"{value:{'+' if sign else ''},.0f}"
    return text.replace(".0", "") if text.endswith(".0") else text


def _pct(value) -> str:
    return "–" if value is None or pd.isna(value) else f"{100 * value:.1f}%"


@dataclass(frozen=True)
class Inputs:
    """The planner's inputs: the service-level target (percent within seconds), the occupancy cap and
    shrinkage (percents), the forecast or its upper bound, and Erlang C or A."""

    service_level_pct: int
    within_seconds: float
    max_occupancy_pct: int
    shrinkage_pct: int
    staff_to: str = STAFF_TO[0]
    model: str = ERLANG_C


def default_inputs(settings: Settings) -> Inputs:
    """Where the page's inputs start: the settings' [staffing] defaults and service-level time."""
    defaults = settings.staffing
    return Inputs(defaults.service_level_target_pct, int(settings.service_level_seconds),
                  defaults.max_occupancy_pct, defaults.shrinkage_pct)


# --- the forecast to staff -------------------------------------------------------------------------

def forecasts(store: Store) -> dict[str, str]:
    """The interval forecasts of the record, newest first: run id -> what the picker shows. Empty
    when there is none (staffing needs intervals, not days)."""
    runs = record.runs(store.folder)
    runs = runs[runs["grain"] != "day"]
    timezone = store.settings.timezone
    return {run.run_id: f"{run.label} · by {GRAIN_LABELS[run.grain].lower()} · as of {run.as_of} · made "
                        f"{run.created_at.tz_convert(timezone).strftime('%Y-%m-%d %H:%M')}"
            for run in runs.itertuples()}


@dataclass(frozen=True)
class ForecastToStaff:
    """A forecast's rows (ts, yhat, yhat_lower, yhat_upper, aht_seconds) with what staffing them
    depends on: the customers' patience (None when the data cannot tell it) and whether the forecast
    holds channels Erlang does not model."""

    run_id: str
    request: forecast.Request
    rows: pd.DataFrame
    patience_seconds: float | None = None
    warning: str | None = None  # Markdown: the forecast holds channels worked from a backlog

    @property
    def models(self) -> tuple[str, ...]:
        """Erlang C, and Erlang A when the patience is known."""
        return (ERLANG_C, ERLANG_A) if self.patience_seconds else (ERLANG_C,)

    @property
    def interval_seconds(self) -> int:
        return forecast.GRAINS[self.request.grain] * 60


def forecast_to_staff(store: Store, run_id: str) -> ForecastToStaff:
    """A forecast of the record, ready to staff."""
    settings = store.settings
    request = record.request_of(record.metadata(store.folder, run_id))
    live = set(settings.live_channels)
    warning = None
    if not request.channels or not set(request.channels) <= live:
        others = sorted(set(request.channels or kpis.filter_options(store).get("channel", [])) - live)
        warning = ("Erlang C models contacts that wait in a queue for the next free agent ("
                   + ", ".join(sorted(live)) + "). This forecast includes " + ", ".join(others)
                   + ", which agents work from a backlog: staffing those by Erlang over-staffs. For live "
                   "staffing, forecast the live channels alone.")
    patience = staffing.patience_seconds(store, request.channels, request.queues, request.as_of)
    return ForecastToStaff(run_id, request, record.rows(store.folder, run_id, settings.timezone), patience,
                           warning)


# --- the staffing --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class StaffingPage:
    forecast: ForecastToStaff
    inputs: Inputs
    nothing_to_staff: str | None  # Markdown when the forecast has no handle time; the rest is then None
    intervals: pd.DataFrame | None = None  # ts, contacts, aht_seconds: what is staffed
    result: pd.DataFrame | None = None  # staffing.staff_intervals of the intervals
    tiles: tuple[Tile, ...] | None = None
    days: tuple[date, ...] | None = None  # the local days the chart can show
    by_day: pd.DataFrame | None = None  # staffing.by_day
    formula: str | None = None  # Markdown: why Erlang and the seed's simple formula differ, here
    download: pd.DataFrame | None = None  # the result, ts as text


def intervals_to_staff(rows: pd.DataFrame, staff_to: str = STAFF_TO[0]) -> pd.DataFrame:
    """What Erlang staffs from a forecast's rows: ts, contacts (the forecast, or the upper end of its
    interval) and aht_seconds (an interval without one takes the forecast's mean)."""
    aht = rows["aht_seconds"]
    contacts = rows["yhat_upper" if staff_to == STAFF_TO[1] else "yhat"]
    return pd.DataFrame({"ts": rows["ts"], "contacts": contacts, "aht_seconds": aht.fillna(aht.mean())})


def staffing_page(chosen: ForecastToStaff, inputs: Inputs) -> StaffingPage:
    """Every interval of the forecast staffed with the planner's inputs, with the page's figures."""
    if chosen.rows["aht_seconds"].isna().all():
        return StaffingPage(chosen, inputs, "This forecast's contacts have no handle time (self-service "
                                            "only?): there is nothing to staff.")
    intervals = intervals_to_staff(chosen.rows, inputs.staff_to)
    seconds = chosen.interval_seconds
    result = staffing.staff_intervals(
        intervals, seconds, service_level=inputs.service_level_pct / 100,
        target_seconds=inputs.within_seconds, max_occupancy=inputs.max_occupancy_pct / 100,
        shrinkage=inputs.shrinkage_pct / 100,
        patience_seconds=chosen.patience_seconds if inputs.model == ERLANG_A else None)
    hours = seconds / 3600
    busiest = result.loc[result["agents"].idxmax()]
    agent_hours = result["agents"].sum() * hours
    handled = (result["workload_erlangs"] * hours).sum()
    simple_hours = result["simple_agents"].sum() * hours
    tiles = (
        Tile("Peak agents on the phones", f"{int(busiest['agents'])}",
             delta=f"{busiest['ts']:%a %d %b %H:%M}", delta_color="off", delta_arrow="off"),
        Tile("Agent-hours on the phones", hours_text(agent_hours)),
        Tile("Scheduled agent-hours", hours_text(result["scheduled_agents"].sum() * hours),
             help=f"With {inputs.shrinkage_pct}% shrinkage: on the phones / (1 - shrinkage), per interval."),
        Tile("Average occupancy", _pct(handled / agent_hours) if result["agents"].sum() else "–"),
        Tile("Simple formula agent-hours", hours_text(simple_hours),
             delta=f"{hours_text(simple_hours - agent_hours, sign=True)} vs Erlang", delta_color="off",
             delta_arrow="off"))
    return StaffingPage(chosen, inputs, None, intervals, result, tiles,
                        tuple(sorted(set(result["ts"].dt.date))), staffing.by_day(result, seconds),
                        _formula_text(result, hours, inputs.max_occupancy_pct),
                        result.assign(ts=result["ts"].astype(str)))


def _formula_text(result: pd.DataFrame, hours: float, cap: int) -> str:
    example = staffing.simple_formula(1200, 360)
    fewer = result[result["simple_agents"] < result["agents"]]
    more = result[result["simple_agents"] > result["agents"]]
    short = hours_text((fewer["agents"] - fewer["simple_agents"]).sum() * hours)
    over = hours_text((more["simple_agents"] - more["agents"]).sum() * hours)
    return (
        "The seed's formula, agents = contacts × AHT ÷ (shift minutes × occupancy), reproduces its "
        f"own example: 1,200 calls a day at 6 minutes over a 450-minute shift at 85% occupancy is "
        f"{example['agents_exact']:.1f}, so **{example['agents']}** agents; with 30% shrinkage the seed "
        f"multiplies by 1.3 to get **{example['scheduled_seed']}**, but 30% of paid time lost leaves "
        f"{example['scheduled_seed']} × 0.7 = {example['scheduled_seed'] * 0.7:.1f} on the phones, so "
        f"dividing by 0.7 (**{example['scheduled_divided']}**) is right.\n\n"
        "The formula spreads the work evenly and knows nothing of queues. Contacts arrive at random: "
        "a small queue needs spare agents for bursts (at a few Erlangs, "
        f"{cap}% occupancy means long waits), while a large one runs busier at the same service "
        "level. Erlang C sizes each interval for its own service-level target.\n\n"
        f"On this forecast, applied interval by interval, the formula plans fewer agents than Erlang "
        f"in {len(fewer):,} interval(s) ({short} agent-hours short) and more in {len(more):,} "
        f"({over} agent-hours over).")


# --- the planner's schedule and the day shown ------------------------------------------------------------

@dataclass(frozen=True)
class ScheduleComparison:
    problems: tuple[str, ...]  # Markdown, one per problem with the file
    set_aside: pd.DataFrame  # the rows set aside, with their reasons
    set_aside_label: str  # Markdown: how many rows were set aside
    caption: str  # Markdown: rows read = used + set aside
    schedule: pd.DataFrame | None  # ts, agents; None when no row could be used
    gaps: pd.DataFrame | None = None  # staffing.schedule_gaps against the requirement
    tiles: tuple[Tile, ...] | None = None  # intervals under, over, as required, without a schedule
    under: pd.DataFrame | None = None  # the 50 most under-staffed intervals, ts as text


def compare_schedule(shown: StaffingPage, data: bytes, name: str, settings: Settings,
                     ) -> ScheduleComparison:
    """The planner's schedule file (CSV of interval, agents) against the staffing, interval by
    interval."""
    schedule, problems, set_aside = read_schedule(data, name, settings.timezone,
                                                  (settings.earliest, settings.latest))
    read = (tuple(plain(problem) for problem in problems), set_aside,
            f"{len(set_aside):,} row(s) of {plain(name)} set aside",
            f"{plain(name)}: {len(schedule) + len(set_aside):,} rows read = {len(schedule):,} used + "
            f"{len(set_aside):,} set aside.")
    if schedule.empty:
        return ScheduleComparison(*read, None)
    gaps = staffing.schedule_gaps(shown.result, schedule)
    counts = gaps["status"].value_counts()
    tiles = (Tile("Intervals under-staffed", f"{counts.get('under', 0):,}"),
             Tile("Intervals over-staffed", f"{counts.get('over', 0):,}"),
             Tile("Intervals as required", f"{counts.get('ok', 0):,}"),
             Tile("Intervals without a schedule", f"{counts.get('no schedule', 0):,}"))
    short = gaps[gaps["status"] == "under"].sort_values("gap").head(50)
    return ScheduleComparison(*read, schedule, gaps, tiles, short.assign(ts=short["ts"].astype(str)))


def day_chart(shown: StaffingPage, day: date, schedule: pd.DataFrame | None = None) -> Figure:
    """One local day's intervals: Erlang's requirement, the simple formula's, scheduled headcount,
    and the planner's schedule when there is one."""
    timezone = shown.forecast.rows["ts"].dt.tz
    on_day = shown.result[shown.result["ts"].dt.date == day]
    shown_schedule = None if schedule is None else \
        schedule[schedule["ts"].dt.tz_convert(timezone).dt.date == day]
    step = pd.Timedelta(seconds=shown.forecast.interval_seconds)
    return charts.staffing_chart(on_day, shown_schedule, step)
