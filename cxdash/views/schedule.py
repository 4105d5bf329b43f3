"""What the Schedule page shows for an interval forecast of the record and the planner's inputs: the
week's shifts and roster (cxdash.schedule), the coverage interval by interval, the figures, the
under- and over-staffed stretches in words, downloads, and the cost of each step of safety.

The page goes in steps, each a function here: the forecast and the weeks it covers
(`forecast_to_schedule`), the schedule (`schedule_page`), the curve (`safety_curve`), the Excel file
(`excel_bytes`)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, timedelta

import pandas as pd
from plotly.graph_objects import Figure

from cxdash import record, staffing
from cxdash.forecast import GRAINS
from cxdash.safe import excel_writer, neutralise_formulas, plain
from cxdash.schedule import Plan, RulesError, Schedule, make_schedule, risk_curve
from cxdash.schedule.charts import cost_curve_chart, coverage_chart
from cxdash.schedule.roster import read_roster
from cxdash.schedule.rules import rules_from
from cxdash.settings import Settings
from cxdash.store import Store
from cxdash.views import Tile
from cxdash.views.staffing import ERLANG_A, ERLANG_C, forecasts, hours_text

__all__ = ["ERLANG_A", "ERLANG_C", "Inputs", "ScheduleForecast", "SchedulePage", "default_inputs",
           "excel_bytes", "forecast_to_schedule", "forecasts", "read_team", "safety_curve", "schedule_page"]
SHIFT_LENGTH_CHOICES = (4.0, 5.0, 6.0, 7.0, 8.0, 8.5, 9.0, 10.0)


@dataclass(frozen=True)
class Inputs:
    """The planner's what-if: headcount, shrinkage beyond breaks, shift lengths, safety (percent), the
    model, the solver's seconds and the share of intervals planned with that safety (percent)."""

    week: date
    agents: int
    shrinkage_pct: int
    shift_hours: tuple[float, ...]
    safety_pct: int
    model: str = ERLANG_C
    seconds: float = 10.0
    share_pct: int = 100


def default_inputs(settings: Settings, week: date) -> Inputs:
    schedule = settings.schedule
    return Inputs(week, schedule.agents, schedule.shrinkage_pct, schedule.shift_hours, schedule.safety_pct,
                  ERLANG_C, schedule.time_limit_seconds, schedule.safety_share_pct)


@dataclass(frozen=True)
class ScheduleForecast:
    """A forecast of the record ready to schedule: its rows, grain, the weeks it covers and the
    customers' patience (None when the data cannot tell it)."""

    run_id: str
    rows: pd.DataFrame
    interval_minutes: int
    weeks: tuple[date, ...]  # the first day of each week offered: the forecast's first day, then Mondays
    patience_seconds: float | None

    @property
    def models(self) -> tuple[str, ...]:
        return (ERLANG_C, ERLANG_A) if self.patience_seconds else (ERLANG_C,)


def forecast_to_schedule(store: Store, run_id: str) -> ScheduleForecast:
    meta = record.metadata(store.folder, run_id)
    request = record.request_of(meta)
    rows = record.rows(store.folder, run_id, store.settings.timezone)
    days = sorted(set(rows["ts"].dt.date))
    weeks = [days[0], *[d for d in days[1:] if d.weekday() == 0]] if days else [request.as_of]
    patience = staffing.patience_seconds(store, request.channels, request.queues, request.as_of)
    return ScheduleForecast(run_id, rows, GRAINS[request.grain], tuple(weeks), patience)


def read_team(data: bytes, name: str, settings: Settings) -> tuple[tuple, tuple[str, ...], pd.DataFrame, str]:
    """A roster upload: the agents, the problems (Markdown-safe), the rows set aside and the caption
    'rows read = used + set aside'."""
    agents, problems, aside = read_roster(data, name, rules_from(settings.schedule))
    caption = (f"{plain(name)}: {len(agents) + len(aside):,} rows read = {len(agents):,} used + "
               f"{len(aside):,} set aside.")
    return tuple(agents), tuple(plain(p) for p in problems), aside, caption


@dataclass
class SchedulePage:
    schedule: Schedule | None
    message: str | None = None  # Markdown-safe: why there is no schedule (rules that cannot be met)
    warnings: tuple[str, ...] = ()
    tiles: tuple[Tile, ...] = ()
    chart: Figure | None = None
    roster: pd.DataFrame | None = None  # agents x days
    shifts: pd.DataFrame | None = None  # one row per shift (the CSV download)
    intervals: pd.DataFrame | None = None  # interval by interval, ts as text
    under: tuple[str, ...] = ()
    over: tuple[str, ...] = ()
    inputs: dict = field(default_factory=dict)


def schedule_page(chosen: ScheduleForecast, inputs: Inputs, settings: Settings,
                  roster: tuple | None = None) -> SchedulePage:
    """The week solved for the inputs (and the roster's agents when one is given)."""
    plan = Plan(inputs.week, agents=inputs.agents, roster=roster, shrinkage_pct=inputs.shrinkage_pct,
                shift_hours=tuple(inputs.shift_hours), safety_pct=inputs.safety_pct,
                share_pct=inputs.share_pct, time_limit=inputs.seconds, erlang_a=inputs.model == ERLANG_A)
    if not inputs.shift_hours:
        return SchedulePage(None, "Choose at least one shift length.")
    try:
        made = make_schedule(chosen.rows, chosen.run_id, chosen.interval_minutes, plan, settings,
                             chosen.patience_seconds)
    except RulesError as error:
        return SchedulePage(None, plain(str(error)))
    warnings = tuple(plain(w) for w in made.warnings)
    if made.evaluation is None:
        return SchedulePage(made, plain(made.solution.message), warnings)
    return SchedulePage(made, None, warnings, _tiles(made), coverage_chart(made.evaluation.intervals,
                                                                              chosen.interval_minutes),
                        made.roster, made.shifts, _intervals(made.evaluation.intervals),
                        tuple(plain(w) for w in made.evaluation.under_words),
                        tuple(plain(w) for w in made.evaluation.over_words), made.inputs)


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def _tiles(made: Schedule) -> tuple[Tile, ...]:
    week, inputs, solution = made.evaluation.week, made.inputs, made.solution
    target = inputs["service_level_pct"] / 100
    level = week["service_level"]
    safety, share = inputs["safety_pct"], inputs["share_pct"]
    busy = made.evaluation.intervals["contacts"] > 0
    meeting = float((made.evaluation.intervals.loc[busy, "chance"] >= safety / 100 - 1e-9).mean()) \
        if busy.any() else 1.0
    asa = week["asa_seconds"]
    tiles = [
        Tile("Weekly service level", _pct(level),
             delta=f"{100 * (level - target):+.1f} pts vs {inputs['service_level_pct']}% target",
             delta_color="normal", delta_arrow="off",
             help=f"Answered within {inputs['target_seconds']:g} s at the forecast, contacts-weighted."),
        Tile("ASA", "overloaded" if asa is None or asa == float("inf") else f"{asa:.1f} s",
             help="Average wait of answered contacts over the week; overloaded when an interval has "
                  "no more agents on the phones than its load."),
        Tile("Occupancy", _pct(week["occupancy"])),
        Tile("Paid hours", hours_text(week["paid_hours"]),
             help=f"{week['agents_used']} agents; unpaid meals excluded."),
        Tile("Labour cost", f"${week['cost_usd']:,.0f}",
             help=f"Paid hours at the cost model's loaded rate (${inputs['loaded_hourly_rate_usd']:g}/h)."),
        Tile("Intervals under-staffed", f"{week['intervals_under']:,} of {week['intervals']:,}",
             help=f"{week['understaffed_agent_intervals']:.1f} agent-intervals short on the phones."),
        Tile(f"Intervals meeting the target with ≥{safety}% chance", _pct(meeting),
             delta=f"goal {share}%", delta_color="off", delta_arrow="off",
             help="From the forecast's own interval: each interval's contacts as a log-normal whose 90th "
                  "percentile is the upper end of the 80% interval."),
        Tile("Solver", solution.status,
             delta=f"gap {100 * solution.shortfall_gap:.1f}% / {100 * solution.gap:.1f}%", delta_color="off",
             delta_arrow="off",
             help=f"CP-SAT in {solution.seconds:.1f} s: the optimality gap of the service-level shortfall, "
                  "then of the paid hours."),
    ]
    if week["abandon_rate"]:
        tiles.insert(3, Tile("Abandon rate", _pct(week["abandon_rate"])))
    return tuple(tiles)


def _intervals(frame: pd.DataFrame) -> pd.DataFrame:
    columns = ["ts", "contacts", "required", "on_phones", "gap", "status", "service_level", "asa_seconds",
               "occupancy", "abandon_rate", "chance"]
    return frame[columns].assign(ts=frame["ts"].astype(str))


def excel_bytes(shown: SchedulePage) -> bytes:
    """The roster, the shifts and the intervals as one workbook (text cells never formulas)."""
    buffer = io.BytesIO()
    with excel_writer(buffer) as writer:
        sheets = {"Roster": shown.roster, "Shifts": shown.shifts, "Intervals": shown.intervals}
        for name, frame in sheets.items():
            neutralise_formulas(frame).to_excel(writer, sheet_name=name, index=False)
    return buffer.getvalue()


def safety_curve(chosen: ScheduleForecast, inputs: Inputs, settings: Settings, roster: tuple | None = None,
                 progress=None) -> tuple[pd.DataFrame, Figure]:
    """The cost of each step of safety for these inputs (cxdash.schedule.risk_curve) and its chart."""
    plan = Plan(inputs.week, agents=inputs.agents, roster=roster, shrinkage_pct=inputs.shrinkage_pct,
                shift_hours=tuple(inputs.shift_hours), share_pct=inputs.share_pct,
                erlang_a=inputs.model == ERLANG_A)
    curve = risk_curve(chosen.rows, chosen.interval_minutes, plan, settings, chosen.patience_seconds,
                       seconds_per_step=max(2.0, inputs.seconds / 3), progress=progress)
    return curve, cost_curve_chart(curve)


def week_label(day: date) -> str:
    return f"{day:%a %d %b %Y} - {day + timedelta(days=6):%a %d %b}"


def keep_schedule(store: Store, shown: SchedulePage) -> str:
    """Keep the schedule shown in the data folder's record (DATA/schedules/); returns its id."""
    from cxdash.schedule import keep

    return keep.save(store.folder, shown.schedule)
