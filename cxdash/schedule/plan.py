"""From a stored forecast to a week's schedule: the planner's choices (week, headcount or roster,
shrinkage, shift lengths, safety) resolved against the settings, solved, evaluated; and the cost of
each step of safety (the cost-versus-risk curve)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import date, timedelta

import pandas as pd

from cxdash.schedule.demand import Targets, week_demand
from cxdash.schedule.evaluate import Evaluation, evaluate, roster_table, shifts_table
from cxdash.schedule.model import Problem, Solution, solve
from cxdash.schedule.rules import Agent, Rules, RulesError, rules_from, team, unfit_lengths
from cxdash.settings import Settings

SAFETY_STEPS = (50, 60, 70, 80, 90, 95)  # the cost-versus-risk curve's steps, percent
CURVE_EXTRA_SHARE = 0.5  # the curve may add this share of the team as extra full-time agents


@dataclass(frozen=True)
class Plan:
    """What the planner asks; None takes the settings' [schedule] value."""

    week: date
    agents: int | None = None
    part_time_agents: int | None = None
    roster: tuple[Agent, ...] | None = None  # from cxdash.schedule.roster.read_roster
    shrinkage_pct: int | None = None
    shift_hours: tuple[float, ...] | None = None
    safety_pct: int | None = None
    share_pct: int | None = None
    time_limit: float | None = None
    erlang_a: bool = False  # with the patience the data shows, when it shows one


@dataclass
class Schedule:
    """A solved week: the inputs as resolved, the demand, the solver's answer and what it achieves."""

    forecast_run: str
    week: date
    inputs: dict
    demand: pd.DataFrame
    solution: Solution
    agents: tuple[Agent, ...]
    evaluation: Evaluation | None = None
    roster: pd.DataFrame | None = None  # agents x days
    shifts: pd.DataFrame | None = None  # one row per shift, for downloads
    warnings: list[str] = field(default_factory=list)


def targets_of(settings: Settings, plan: Plan, patience: float | None) -> Targets:
    staffing, schedule = settings.staffing, settings.schedule
    safety = schedule.safety_pct if plan.safety_pct is None else plan.safety_pct
    share = schedule.safety_share_pct if plan.share_pct is None else plan.share_pct
    return Targets(staffing.service_level_target_pct / 100, settings.service_level_seconds,
                   staffing.max_occupancy_pct / 100, patience if plan.erlang_a else None, safety / 100,
                   share / 100)


def resolve(settings: Settings, plan: Plan) -> tuple[Rules, tuple[Agent, ...]]:
    """The rules and agents the plan asks for (RulesError when they cannot make shifts at all)."""
    rules = rules_from(settings.schedule, plan.shrinkage_pct, plan.shift_hours)
    unfit = unfit_lengths(rules)
    if len(unfit) == len(rules.shift_minutes):
        raise RulesError("Breaks: no shift length leaves room for its breaks inside their windows ("
                         + ", ".join(f"{m / 60:g} h" for m in unfit) + ").")
    if plan.roster is not None:
        if not plan.roster:
            raise RulesError("The roster holds no usable agent.")
        return rules, tuple(plan.roster)
    defaults = settings.schedule
    headcount = defaults.agents if plan.agents is None else plan.agents
    part_time = defaults.part_time_agents if plan.part_time_agents is None else plan.part_time_agents
    return rules, tuple(team(rules, headcount, min(part_time, headcount)))


def make_schedule(rows: pd.DataFrame, run_id: str, interval_minutes: int, plan: Plan, settings: Settings,
                  patience: float | None = None, workers: int = 2) -> Schedule:
    """The week's schedule from a forecast's rows (ts local, yhat, yhat_lower, yhat_upper,
    aht_seconds). Rules that cannot be met give a solution with status "infeasible" and a message."""
    targets = targets_of(settings, plan, patience)
    limit = settings.schedule.time_limit_seconds if plan.time_limit is None else plan.time_limit
    rules, agents = resolve(settings, plan)
    demand = week_demand(rows, plan.week, interval_minutes, targets)
    warnings = []
    days = sorted(set(demand["day"]))
    if len(days) < 7:
        warnings.append(f"The forecast covers {len(days)} of the 7 days from {plan.week}: the other days "
                        "have no contacts to plan for.")
    unfit = unfit_lengths(rules)
    if unfit:
        warnings.append("Shift lengths left out because their breaks do not fit inside them: "
                        + ", ".join(f"{m / 60:g} h" for m in unfit) + ".")
    weekdays = tuple((plan.week + timedelta(days=d)).weekday() for d in range(7))
    problem = Problem(demand, interval_minutes, rules, agents, targets, weekdays=weekdays)
    solution = solve(problem, limit, workers)
    inputs = _inputs(run_id, plan, rules, agents, targets, limit, settings)
    result = Schedule(run_id, plan.week, inputs, demand, solution, agents, warnings=warnings)
    if solution.shifts is not None:
        rate = settings.cost_model.loaded_hourly_rate_usd
        result.evaluation = evaluate(demand, solution.shifts, interval_minutes, rules.shrinkage, targets,
                                     rate, plan.week)
        result.roster = roster_table(solution.shifts, [a.name for a in agents], plan.week)
        result.shifts = shifts_table(solution.shifts, plan.week)
    return result


def _inputs(run_id: str, plan: Plan, rules: Rules, agents: tuple[Agent, ...], targets: Targets, limit: float,
            settings: Settings) -> dict:
    """Everything the schedule was made from, as JSON keeps it."""
    share = settings.schedule.safety_share_pct if plan.share_pct is None else plan.share_pct
    return {
        "forecast_run": run_id, "week": plan.week.isoformat(), "agents": len(agents),
        "part_time_agents": sum(a.part_time for a in agents), "roster": plan.roster is not None,
        "shrinkage_pct": round(rules.shrinkage * 100), "shift_hours": [m / 60 for m in rules.shift_minutes],
        "start_grid_minutes": rules.start_grid, "max_days_per_week": rules.max_days,
        "consecutive_days_off": rules.days_off, "min_rest_hours": rules.min_rest / 60,
        "breaks": [asdict(b) for b in rules.breaks],
        "opening_hours": {day: [list(r) for r in ranges] for day, ranges in rules.opening.items()},
        "service_level_pct": round(targets.service_level * 100), "target_seconds": targets.target_seconds,
        "max_occupancy_pct": round(targets.max_occupancy * 100), "patience_seconds": targets.patience_seconds,
        "safety_pct": round(targets.safety * 100), "share_pct": share, "time_limit_seconds": limit,
        "loaded_hourly_rate_usd": settings.cost_model.loaded_hourly_rate_usd,
        "agent_list": [{"name": a.name, "min_hours": a.min_minutes / 60, "max_hours": a.max_minutes / 60,
                        "days": sorted(a.days), "earliest": a.earliest, "latest": a.latest} for a in agents],
    }


def risk_curve(rows: pd.DataFrame, interval_minutes: int, plan: Plan, settings: Settings,
               patience: float | None = None, steps: tuple[int, ...] = SAFETY_STEPS,
               seconds_per_step: float = 4.0, progress=None) -> pd.DataFrame:
    """The cost of each step of safety: for each, the fewest paid hours that plan the plan's share of
    intervals (cxdash.schedule.demand.Targets.share) for the contacts they stay under with that chance.
    The team's agents may go unused and up to half as many again full-time agents may be added (how
    many does each step need?). One row per step: safety_pct, paid_hours, cost_usd, agents_used,
    shortfall (contacts answered late against the requirement), weekly service_level at the forecast,
    share_meeting (intervals whose chance of meeting the target is at least the step's)."""
    rules, agents = resolve(settings, plan)
    extra = team(rules, max(1, round(len(agents) * CURVE_EXTRA_SHARE)))
    pool = agents + tuple(replace(a, name=f"Extra {a.name.split()[-1]}") for a in extra)
    weekdays = tuple((plan.week + timedelta(days=d)).weekday() for d in range(7))
    out = []
    for n, step in enumerate(steps):
        if progress is not None:
            progress(n / len(steps), f"Safety {step}%")
        targets = targets_of(settings, replace(plan, safety_pct=step), patience)
        demand = week_demand(rows, plan.week, interval_minutes, targets)
        problem = Problem(demand, interval_minutes, rules, pool, targets, optional_agents=True,
                          weekdays=weekdays)
        solution = solve(problem, seconds_per_step)
        row = {"safety_pct": step, "paid_hours": None, "cost_usd": None, "agents_used": None,
               "shortfall": None, "service_level": None, "share_meeting": None, "gap": None}
        if solution.shifts is not None:
            judged = evaluate(demand, solution.shifts, interval_minutes, rules.shrinkage, targets,
                              settings.cost_model.loaded_hourly_rate_usd, plan.week)
            busy = judged.intervals["contacts"] > 0
            row.update(paid_hours=judged.week["paid_hours"], cost_usd=judged.week["cost_usd"],
                       agents_used=judged.week["agents_used"], shortfall=solution.shortfall,
                       service_level=judged.week["service_level"], gap=solution.gap,
                       share_meeting=float((judged.intervals.loc[busy, "chance"] >= step / 100 - 1e-9).mean())
                       if busy.any() else 1.0)
        out.append(row)
    if progress is not None:
        progress(1.0, "Done")
    return pd.DataFrame(out)
