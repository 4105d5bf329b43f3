"""The weekly schedule as a CP-SAT model (OR-Tools): which agent works which shift each day, and where
the shifts' breaks fall, so that the service level suffers least and then the fewest hours are paid.

Decisions: x[agent, day, shift] (the agent works that shift option that day) and, per day and shift
option, how many of its agents take each break at each allowed start (breaks are counted per shift,
then handed to its agents in turn: any agent of a shift can take any of its break starts).

Hard rules, per agent: at most one shift a day, at most `max_days` working days, `days_off`
consecutive days off (the week repeats, so Sunday and Monday are consecutive), `min_rest` minutes from
one shift's end to the next one's start, paid minutes within the contract, availability.

Objective, in two solves (lexicographic): first the service-level shortfall, the contacts each
interval answers late against what its requirement would answer: an interval's k-th missing agent
weighs contacts x (SL(required - k + 1) - SL(required - k)), its marginal cost to the service level
(cxdash.staffing's Erlang C or A). Then, keeping that shortfall, the fewest paid minutes, and among
those the fewest contacts answered late overall (surplus agents go where they help most). Both
penalties are convex in the agents on the phones (their lower convex envelope: exact where the
service level is concave), written as cuts, which keeps the relaxation tight and the gap small.

Steps (solve): the same model without agents first: how many agents of each kind work each shift each
day and which weeks of working days they follow, with the rest rule as counts on each pair of days (a
relaxation: a plan, and bounds on both objectives). Each agent is then given a week and shifts of that
plan (cxdash.schedule.assign); when every agent can keep their rules with it, the plan is the schedule
and its bounds are the schedule's gap. Otherwise the full model starts from the agents' weeks
(cxdash.schedule.greedy) and improves them in the time left.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from cxdash.schedule.assign import assign
from cxdash.schedule.demand import Targets, service_levels
from cxdash.schedule.greedy import first_schedule, plan_hint
from cxdash.schedule.rules import SLOT_MINUTES, Agent, Rules, Shift, clock, shift_options

PENALTY_SCALE = 100  # the shortfall in hundredths of a contact
LATE_SCALE = 10  # contacts answered late, in tenths
SURPLUS_AGENTS = 8  # the overall lateness is followed this many agents beyond the requirement
PLAN_SHARE = (0.45, 0.85)  # of the time limit: the plan's shortfall solve ends by 45%, its paid by 85%
ASSIGN_SHARE = 0.95  # of the time limit: by then the agents are given the plan's weeks and shifts
GREEDY_SHARE = 0.1  # of the time limit (of the time left, after the plan), at most, for a greedy start
FIRST_SOLVE_SHARE = 0.7  # of the time left after the plan: by then the full model's shortfall solve ends
RULE_NAMES = {"contract": "contracted hours", "days": "at most {max_days} working days a week",
              "days_off": "{days_off} consecutive days off a week", "rest": "{rest_hours:g} hours of rest "
              "between shifts", "availability": "the agent's available days and times"}


@dataclass(frozen=True)
class Problem:
    """A week to schedule: the demand (cxdash.schedule.demand.week_demand), the rules, the agents."""

    demand: pd.DataFrame
    interval_minutes: int
    rules: Rules
    agents: tuple[Agent, ...]
    targets: Targets = Targets()
    optional_agents: bool = False  # True: an agent may be left without shifts (how many are needed?)
    weekdays: tuple[int, ...] = tuple(range(7))  # the weekday of each day of the week


@dataclass
class Solution:
    """The solver's answer: status (optimal, feasible, infeasible, no solution), the shifts, and the
    figures of both solves with their bounds and gaps."""

    status: str
    message: str | None = None
    shifts: pd.DataFrame | None = None  # agent, day, start, end, paid_minutes, breaks
    shortfall: float = 0.0  # contacts answered late against the requirement (first solve)
    shortfall_bound: float = 0.0
    paid_hours: float = 0.0
    paid_hours_bound: float = 0.0
    seconds: float = 0.0
    statuses: tuple[str, ...] = field(default_factory=tuple)  # each solve's status

    @property
    def gap(self) -> float:
        """The relative optimality gap of the paid hours (0 when proven optimal)."""
        return max(self.paid_hours - self.paid_hours_bound, 0.0) / self.paid_hours if self.paid_hours else 0.0

    @property
    def shortfall_gap(self) -> float:
        """The shortfall's gap, relative to one contact at least (a shortfall of 0.01 contacts with
        a bound of 0 is, for a planner, no gap)."""
        return max(self.shortfall - self.shortfall_bound, 0.0) / max(self.shortfall, 1.0)


def _hull(points: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """The lower convex hull of points sorted by x (Andrew's monotone chain)."""
    hull: list[tuple[int, float]] = []
    for point in points:
        while len(hull) >= 2:
            (x1, y1), (x2, y2) = hull[-2], hull[-1]
            if (y2 - y1) * (point[0] - x1) >= (point[1] - y1) * (x2 - x1):
                hull.pop()
            else:
                break
        hull.append(point)
    return hull


def penalty_points(row, interval_minutes: int, shrinkage: float, targets: Targets,
                   extra: int = 0) -> tuple[list[tuple[int, float]], list[tuple[int, float]]]:
    """For one interval, as functions of agent-slots on shift and off break in it (K): the shortfall
    contacts × (SL(required) - SL(on the phones)) up to the requirement, and contacts answered late
    contacts × (1 - SL) up to `extra` agents beyond it; each as points (K, contacts)."""
    slots = interval_minutes // SLOT_MINUTES
    seconds = interval_minutes * 60
    required = int(row.required)
    if row.contacts <= 0:
        return [(0, 0.0)], [(0, 0.0)]
    most = required + extra
    levels = service_levels(row.contacts, row.aht_seconds, seconds, most + 1, targets)
    on_phones = slots / (1 - shrinkage) if shrinkage < 1 else math.inf

    def level(k: int) -> float:
        agents = k / on_phones
        low = min(int(agents), most)
        share = min(agents - low, 1.0)
        return float(levels[low] * (1 - share) + levels[low + 1] * share)

    needed = math.ceil(round(required * on_phones, 9))
    reach = math.ceil(round(most * on_phones, 9))
    top = levels[required]
    shortfall = [(k, row.contacts * max(top - level(k), 0.0)) for k in range(needed + 1)]
    late = [(k, row.contacts * (1 - level(k))) for k in range(reach + 1)]
    return shortfall, late


def _penalty(model: cp_model.CpModel, name: str, coverage, points: list[tuple[int, float]], scale: int,
             excused=None):
    """A variable at least the convex envelope of the points (scaled to whole numbers, then the hull
    taken, so that no segment, extended, rises above the value at no coverage), and at least 0. With
    `excused` (a Boolean), each cut is lowered by that value at no coverage when it is true, which
    leaves only "at least 0" (coverage is never below 0): a tight big-M, so that the relaxation still
    bounds the shortfall well when some intervals may be left short."""
    hull = _hull([(k, round(value * scale)) for k, value in points])
    top = hull[0][1]
    variable = model.NewIntVar(0, top, name)
    for (k1, v1), (k2, v2) in zip(hull, hull[1:], strict=False):
        # (k2 - k1) * variable >= (k2 - k1) * v1 + (v2 - v1) * (coverage - k1)
        rhs = (k2 - k1) * v1 + (v2 - v1) * (coverage - k1)
        if excused is not None:
            rhs -= (k2 - k1) * top * excused
        model.Add((k2 - k1) * variable >= rhs)
    if len(hull) == 1:
        model.Add(variable >= top - (top * excused if excused is not None else 0))
    return variable, hull


def week_patterns(days: set[int], max_days: int, days_off: int, lengths: list[int], least: int,
                  most: int) -> list[int]:
    """The weeks of working days an agent can follow, as bit masks of the 7 days: only days in `days`,
    at most `max_days` of them, `days_off` consecutive days off (Sunday and Monday are consecutive),
    and some shifts of the given paid lengths, one a day, within the contract (least..most minutes)."""
    out = []
    for mask in range(128):
        worked = [d for d in range(7) if mask >> d & 1]
        if not set(worked) <= days or len(worked) > max_days:
            continue
        off_run = any(all(not mask >> ((d + j) % 7) & 1 for j in range(days_off)) for d in range(7))
        if days_off and not off_run:
            continue
        totals = {0}
        for _ in worked:
            totals = {t + m for t in totals for m in lengths if t + m <= most}
        if any(least <= t <= most for t in totals):
            out.append(mask)
    return out


# a week: its working days (a mask) and, where the contract needs it, how many days of each paid length
Week = tuple[int, tuple[tuple[int, int], ...] | None]


def weeks_of(days: dict[int, set[int]], max_days: int, days_off: int, least: int, most: int) -> list[Week]:
    """The weeks an agent of one kind can work, given the paid lengths open to them each day (`days`):
    the days alone (None) when any shifts on those days keep the contract; otherwise also how many
    days of each paid length, each mix that keeps it (part time: 20-30 hours of 4-, 6- and 8-hour
    shifts), so that a plan of such weeks keeps every agent's contract."""
    lengths = sorted(set().union(*days.values())) if days else []
    out: list[Week] = []
    for mask in week_patterns(set(days), max_days, days_off, lengths, least, most):
        worked = [d for d in range(7) if mask >> d & 1]
        open_lengths = sorted(set().union(*(days[d] for d in worked))) if worked else []
        if least <= sum(min(days[d]) for d in worked) and sum(max(days[d]) for d in worked) <= most:
            out.append((mask, None))
            continue
        mixes = [()]
        for length in open_lengths:
            mixes = [m + ((length, n),) for m in mixes
                     for n in range(len(worked) - sum(k for _, k in m) + 1)]
        for mix in mixes:
            if sum(n for _, n in mix) == len(worked) and least <= sum(n * m for m, n in mix) <= most:
                out.append((mask, tuple((m, n) for m, n in mix if n)))
    return out


class _Builder:
    """The CP-SAT model of a problem; `relax` names rule families to leave out (for diagnosis)."""

    def __init__(self, problem: Problem, relax: frozenset[str] = frozenset(), coverage: bool = True,
                 aggregate: bool = False):
        self.problem, self.relax, self.aggregate = problem, relax, aggregate
        self.model = cp_model.CpModel()
        rules = problem.rules
        self.options = [shift_options(rules, weekday) for weekday in problem.weekdays]
        self._fits: dict[tuple[int, int], set[int]] = {}
        self.x: dict[tuple[int, int, int], cp_model.IntVar] = {}
        self.by_agent: dict[int, list[tuple[int, int, cp_model.IntVar]]] = defaultdict(list)
        self.work: dict[tuple[int, int], cp_model.IntVar] = {}
        self.runs: dict[tuple[int, int], cp_model.IntVar] = {}  # days off starting that day
        self.paid = []
        if aggregate:
            self._plan_only()
        else:
            for a, agent in enumerate(problem.agents):
                self._agent(a, agent)
            self._symmetry()
        if coverage:
            self._coverage()

    def _allowed(self, agent: Agent, day: int, shift: Shift) -> bool:
        if "contract" not in self.relax and shift.paid_minutes not in self._fitting(agent):
            return False
        if "availability" in self.relax:
            return True
        return self.problem.weekdays[day] in agent.days and shift.start >= agent.earliest \
            and shift.end <= agent.latest

    def _fitting(self, agent: Agent) -> set[int]:
        """The paid lengths that can be part of a week within the agent's contract (at most
        max_days shifts): a 40-hour week of at most 5 shifts of 8, 6 or 4 paid hours uses 8s only.
        Leaving the others out makes the model several times smaller."""
        key = (agent.min_minutes, agent.max_minutes)
        if key not in self._fits:
            lengths = sorted({s.paid_minutes for options in self.options for s in options})
            rules = self.problem.rules
            sums = {(0, 0)}  # (shifts, paid minutes) reachable
            for _ in range("days" in self.relax and 7 or rules.max_days):
                sums |= {(n + 1, total + m) for n, total in sums for m in lengths if total + m <= key[1]}
            fits = set()
            for m in lengths:
                if any(key[0] <= total + m <= key[1] for n, total in sums
                       if n < ("days" in self.relax and 7 or rules.max_days)):
                    fits.add(m)
            self._fits[key] = fits
        return self._fits[key]

    def _agent(self, a: int, agent: Agent) -> None:
        model, rules = self.model, self.problem.rules
        for day, options in enumerate(self.options):
            chosen = []
            for s, shift in enumerate(options):
                if self._allowed(agent, day, shift):
                    self.x[a, day, s] = var = model.NewBoolVar(f"x{a}_{day}_{s}")
                    self.by_agent[a].append((day, s, var))
                    chosen.append(var)
            self.work[a, day] = work = model.NewBoolVar(f"w{a}_{day}")
            model.Add(sum(chosen) == work)
        works = [self.work[a, d] for d in range(7)]
        if "days" not in self.relax:
            model.Add(sum(works) <= rules.max_days)
        if "days_off" not in self.relax and rules.days_off:
            runs = []
            for d in range(7):
                self.runs[a, d] = run = model.NewBoolVar(f"off{a}_{d}")
                for j in range(rules.days_off):
                    model.AddImplication(run, self.work[a, (d + j) % 7].Not())
                runs.append(run)
            model.AddBoolOr(runs)
        if "rest" not in self.relax:
            self._rest(a)
        paid = sum(var * (self.options[d][s].paid_minutes // SLOT_MINUTES) for d, s, var in self.by_agent[a])
        if isinstance(paid, int):  # no shift is open to this agent at all
            paid = model.NewIntVar(0, 0, f"paid{a}")
        self.paid.append(paid)
        if "contract" not in self.relax:
            least, most = (-(-agent.min_minutes // SLOT_MINUTES), agent.max_minutes // SLOT_MINUTES)
            if self.problem.optional_agents:
                used = model.NewBoolVar(f"used{a}")
                model.Add(paid >= least * used)
                model.Add(paid <= most * used)
            else:
                model.Add(paid >= least)
                model.Add(paid <= most)

    def _plan_only(self) -> None:
        """The model without agents: how many agents of each kind work each shift option each day, and
        how many of them follow each week of working days (a pattern: at most max_days days, with
        days_off consecutive days off, within the contract). Each agent's own rest between shifts is
        kept as a count: on two following days, the agents working both must be able to pair their
        late ends with the next day's starts (Hall's condition, for every end time). What it leaves out
        (each agent's own hours, rest across three days) makes it a relaxation: solved first, it bounds
        both objectives, and its plan is what the agents are then given (cxdash.schedule.assign)."""
        kinds: dict[tuple, list[Agent]] = defaultdict(list)
        for agent in self.problem.agents:
            kinds[agent.kind()].append(agent)
        self.plan: dict[tuple[tuple, int, int], cp_model.IntVar] = {}
        self.plan_caps: dict[tuple[int, int], int] = defaultdict(int)
        self.patterns: dict[tuple[tuple, Week], cp_model.IntVar] = {}
        self.tables: dict[tuple[tuple, Week, int, int], cp_model.IntVar] = {}  # (kind, week, day, paid)
        for a, agent in enumerate(self.problem.agents):  # what each agent may work (for the greedy start)
            self.by_agent[a] = [(d, s, None) for d, options in enumerate(self.options)
                                for s, shift in enumerate(options) if self._allowed(agent, d, shift)]
        for kind, members in kinds.items():
            self._plan_kind(kind, members[0], len(members))
        self.plan_counts = {}
        for (_, d, s), var in self.plan.items():
            self.plan_counts.setdefault((d, s), []).append(var)

    def _plan_kind(self, kind: tuple, agent: Agent, size: int) -> None:
        model, rules = self.model, self.problem.rules
        days: dict[int, list[tuple[int, cp_model.IntVar]]] = {}
        for day, options in enumerate(self.options):
            for s, shift in enumerate(options):
                if self._allowed(agent, day, shift):
                    self.plan[kind, day, s] = var = model.NewIntVar(0, size, f"plan{len(self.plan)}")
                    self.plan_caps[day, s] += size
                    days.setdefault(day, []).append((s, var))
        if not days:  # no shift open to this kind at all (only with optional agents: see diagnose)
            return
        paid_on = {d: {self.options[d][s].paid_minutes for s, _ in on_day} for d, on_day in days.items()}
        weeks = weeks_of(paid_on, rules.max_days, rules.days_off, agent.min_minutes, agent.max_minutes)
        follow = {}
        for week in weeks:
            follow[week] = self.patterns[kind, week] = model.NewIntVar(0, size, f"week{len(self.patterns)}")
        total = sum(follow.values())
        if self.problem.optional_agents:
            model.Add(total <= size)
        else:
            model.Add(total == size)
        slot = SLOT_MINUTES
        every = set().union(*paid_on.values())
        shortest, longest = min(every, default=0), max(every, default=0)
        least = most = 0
        on_length: dict[tuple[int, int], list] = defaultdict(list)  # (day, paid) -> agents of mixed weeks
        for (mask, mix), var in follow.items():
            worked = [d for d in range(7) if mask >> d & 1]
            if mix is None:
                if mask:
                    least += var * max(-(-agent.min_minutes // slot), len(worked) * shortest // slot)
                    most += var * min(agent.max_minutes // slot, len(worked) * longest // slot)
                continue
            least += var * (sum(m * n for m, n in mix) // slot)
            most += var * (sum(m * n for m, n in mix) // slot)
            # how many of these agents work each day at each length: each day one length, each length
            # its number of days; a whole-number table of these splits into one week per agent (Konig)
            table = {(d, m): model.NewIntVar(0, size, "") for d in worked for m, _ in mix if m in paid_on[d]}
            for (d, m), v in table.items():
                self.tables[kind, (mask, mix), d, m] = v
            for d in worked:
                model.Add(sum(v for (e, _), v in table.items() if e == d) == var)
            for m, n in mix:
                model.Add(sum(v for (_, k), v in table.items() if k == m) == n * var)
            for (d, m), v in table.items():
                on_length[d, m].append(v)
        paid_slots = sum(var * (self.options[d][s].paid_minutes // slot) for d, on_day in days.items()
                         for s, var in on_day)
        model.Add(paid_slots >= least)
        model.Add(paid_slots <= most)
        self.paid.append(paid_slots)
        working = {}
        for day in range(7):
            working[day] = sum(var for (mask, _), var in follow.items() if mask >> day & 1)
            model.Add(sum(var for _, var in days.get(day, [])) == working[day])
            for length in paid_on.get(day, ()):  # the mixed weeks' days of each length get shifts of it
                if on_length.get((day, length)):
                    model.Add(sum(var for s, var in days[day] if self.options[day][s].paid_minutes == length)
                              >= sum(on_length[day, length]))
        if "rest" in self.relax:
            return
        rest = rules.min_rest
        for day in range(7):
            after = (day + 1) % 7
            both = [var for (mask, _), var in follow.items() if mask >> day & 1 and mask >> after & 1]
            if not both or day not in days or after not in days:
                continue
            today = [(self.options[day][s].end, var) for s, var in days[day]]
            tomorrow = [(self.options[after][s].start, var) for s, var in days[after]]
            for end in sorted({e for e, _ in today}):
                early = [var for start, var in tomorrow if start + 1440 - end < rest]
                if not early:
                    continue
                late = [var for e, var in today if e >= end]
                # the agents working both days who end at `end` or later today, and those who start too
                # soon after it tomorrow, are different agents: at least as many as the day's late (early)
                # shifts less the agents not working the other day
                ends = model.NewIntVar(0, size, "")
                starts = model.NewIntVar(0, size, "")
                model.Add(ends >= sum(late) - working[day] + sum(both))
                model.Add(starts >= sum(early) - working[after] + sum(both))
                model.Add(ends + starts <= sum(both))

    def _rest(self, a: int) -> None:
        """For each end time e on a day: a shift ending at e or later that day and a shift the next
        day starting before e + rest (a day later) exclude each other."""
        rest = self.problem.rules.min_rest
        for day in range(7):
            following = (day + 1) % 7
            today = [(self.options[day][s].end, var) for d, s, var in self.by_agent[a] if d == day]
            tomorrow = [(self.options[following][s].start, var) for d, s, var in self.by_agent[a]
                        if d == following]
            for end in sorted({e for e, _ in today}):
                too_soon = [var for start, var in tomorrow if start + 1440 - end < rest]
                if too_soon:
                    late = [var for e, var in today if e >= end]
                    self.model.Add(sum(late) + sum(too_soon) <= 1)

    def _symmetry(self) -> None:
        """Agents of one kind are interchangeable: order them by their working days (read as a
        binary number), so the solver does not search every relabelling."""
        kinds = defaultdict(list)
        for a, agent in enumerate(self.problem.agents):
            kinds[agent.kind()].append(a)
        for members in kinds.values():
            for a, b in zip(members, members[1:], strict=False):
                self.model.Add(sum(self.work[a, d] * 2 ** d for d in range(7))
                               >= sum(self.work[b, d] * 2 ** d for d in range(7)))

    def _coverage(self) -> None:
        """Agent-slots on shift and off break per interval, break counts, and both penalties."""
        problem, model = self.problem, self.model
        step = problem.interval_minutes // SLOT_MINUTES
        slot_terms: dict[tuple[int, int], list] = defaultdict(list)  # (day, slot) -> [(coef, var)]
        self.counts: dict[tuple[int, int], cp_model.IntVar] = {}
        self.break_counts: dict[tuple[int, int, int, int], cp_model.IntVar] = {}
        members = defaultdict(list)
        for (_, d, s), var in self.x.items():
            members[d, s].append(var)
        if self.aggregate:
            members = {key: [None] * cap for key, cap in self.plan_caps.items()}
        for (d, s), agents in members.items():
            shift = self.options[d][s]
            if self.aggregate:
                count = model.NewIntVar(0, len(agents), f"n{d}_{s}")
                model.Add(count == sum(self.plan_counts[d, s]))
            else:
                count = model.NewIntVar(0, len(agents), f"n{d}_{s}")
                model.Add(count == sum(agents))
            self.counts[d, s] = count
            first = shift.start // SLOT_MINUTES
            for slot in range(first, first + shift.minutes // SLOT_MINUTES):
                slot_terms[d, slot].append((1, count))
            for k, brk in enumerate(shift.breaks):
                taken = []
                for p in range(brk.first_slot, brk.last_slot + 1):
                    var = model.NewIntVar(0, len(agents), f"b{d}_{s}_{k}_{p}")
                    self.break_counts[d, s, k, p] = var
                    taken.append(var)
                    for slot in range(first + p, first + p + brk.slots):
                        slot_terms[d, slot].append((-1, var))
                model.Add(sum(taken) >= count)  # more only lowers coverage: never chosen
        self.shortfall, self.late, self.late_upper, self.hulls, self.coverage = [], [], 0, [], []
        targets = problem.targets
        busy = int((problem.demand["contacts"] > 0).sum())
        spare = math.floor(round((1 - targets.share) * busy, 9))  # intervals that may be left short
        self.excused = []
        for row in problem.demand.itertuples():
            first = row.minute // SLOT_MINUTES
            terms = [t for slot in range(first, first + step) for t in slot_terms.get((row.day, slot), [])]
            # one variable per interval, so that each cut below has two terms, not the whole sum
            most = step * len(problem.agents)
            coverage = model.NewIntVar(0, most, f"cov{row.Index}")
            model.Add(coverage == sum(c * v for c, v in terms))
            self.coverage.append(coverage)
            shortfall, late = penalty_points(row, problem.interval_minutes, problem.rules.shrinkage, targets,
                                             SURPLUS_AGENTS)
            excused = None
            if spare and row.contacts > 0:
                # left short, an interval still has an agent on shift and off break throughout
                excused = model.NewBoolVar(f"excused{row.Index}")
                model.Add(coverage >= step * excused)
                self.excused.append(excused)
            short, short_hull = _penalty(model, f"short{row.Index}", coverage, shortfall, PENALTY_SCALE,
                                         excused)
            lateness, late_hull = _penalty(model, f"late{row.Index}", coverage, late, LATE_SCALE)
            self.late_upper += late_hull[0][1]
            self.hulls.append((short_hull, late_hull))
            self.shortfall.append(short)
            self.late.append(lateness)
        if self.excused:
            model.Add(sum(self.excused) <= spare)


def _solver(seconds: float, workers: int) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(seconds, 0.1)
    solver.parameters.num_workers = workers
    # probing took most of 5 s of presolve on a week of 24 agents and tightened nothing that mattered
    solver.parameters.cp_model_probing_level = 0
    return solver


STATUS_WORDS = {cp_model.OPTIMAL: "optimal", cp_model.FEASIBLE: "feasible", cp_model.INFEASIBLE: "infeasible",
                cp_model.MODEL_INVALID: "invalid", cp_model.UNKNOWN: "no solution"}


@dataclass
class _Answer:
    """Both solves of one model: statuses, the shortfall and paid slots found, and their bounds."""

    first: int
    second: int = cp_model.UNKNOWN
    shortfall: int = 0  # hundredths of a contact
    shortfall_bound: float = 0.0
    paid: int = 0  # slots
    paid_bound: int = 0
    solver: cp_model.CpSolver | None = None  # holding the last solution's values


def _two_solves(built: _Builder, hint: dict | None, first_until: float, second_until: float,
                workers: int) -> _Answer:
    """Minimise the shortfall until `first_until` (monotonic seconds); then, keeping it, the paid slots
    and among equals the contacts answered late overall, from the first answer, until `second_until`."""
    model = built.model
    for var, value in (hint or {}).items():
        model.AddHint(var, value)
    paid_slots = sum(built.paid)
    shortfall = sum(built.shortfall)
    model.Minimize(shortfall)
    solver = _solver(first_until - time.monotonic(), workers)
    first = solver.Solve(model)
    if first not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return _Answer(first)
    best = round(solver.ObjectiveValue())
    answer = _Answer(first, shortfall=best, shortfall_bound=math.ceil(solver.BestObjectiveBound() - 1e-6),
                     paid=solver.Value(paid_slots), solver=solver)
    model.ClearHints()
    for index in range(len(model.Proto().variables)):
        var = model.GetIntVarFromProtoIndex(index)
        model.AddHint(var, solver.Value(var))
    model.Add(shortfall <= best)
    model.Minimize(paid_slots)
    second_solver = _solver(second_until - time.monotonic(), workers)
    answer.second = second_solver.Solve(model)
    if answer.second not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return answer
    answer.solver = second_solver
    answer.paid = second_solver.Value(paid_slots)
    answer.paid_bound = math.ceil(second_solver.BestObjectiveBound() - 1e-6)  # a whole number of slots
    if answer.second == cp_model.OPTIMAL and second_until - time.monotonic() > 0.2:
        # the paid slots proven least: among schedules with them, surplus agents where they help most
        model.ClearHints()
        for index in range(len(model.Proto().variables)):
            var = model.GetIntVarFromProtoIndex(index)
            model.AddHint(var, second_solver.Value(var))
        model.Add(paid_slots <= answer.paid)
        model.Minimize(sum(built.late))
        third = _solver(second_until - time.monotonic(), workers)
        if third.Solve(model) in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            answer.solver = third
    return answer


def solve(problem: Problem, time_limit: float = 10.0, workers: int = 2) -> Solution:
    """The schedule within the time limit. First the model without agents (how many agents of each kind
    work each shift each day, and which weeks of days they follow): its shortfall solve, then its paid
    solve keeping that shortfall; this bounds both objectives. Then each agent is given a week and
    shifts of that plan (cxdash.schedule.assign). When the plan holds for every agent, it is the
    schedule, and the bounds are the plan's. When it does not, the full model with agents takes the
    agents' weeks as a start (cxdash.schedule.greedy) and improves them in the time left. Rules no
    agent can keep give status "infeasible" and a message naming the rule (see diagnose)."""
    started = time.monotonic()
    why = diagnose(problem)
    if why is not None:
        return Solution("infeasible", why, seconds=time.monotonic() - started)
    relaxed = _Builder(problem, aggregate=True)
    start = plan_hint(relaxed, GREEDY_SHARE * time_limit)
    plan = _two_solves(relaxed, start, started + PLAN_SHARE[0] * time_limit,
                       started + PLAN_SHARE[1] * time_limit, workers)
    planned = None
    if plan.solver is not None:
        planned = {key: plan.solver.Value(var) for key, var in relaxed.plan.items()}
        weeks = {key: plan.solver.Value(var) for key, var in relaxed.patterns.items()}
        given = assign(problem.agents, relaxed.options, problem.rules.min_rest, planned, weeks,
                       started + ASSIGN_SHARE * time_limit - time.monotonic(), workers)
        if given is not None and given.moved == 0:
            return _planned_solution(problem, relaxed, plan, given, started)
        if given is not None:  # the weeks the agents could be given, as the full model's start
            planned = defaultdict(int)
            for a, week in given.weeks.items():
                for d, s in week:
                    planned[problem.agents[a].kind(), d, s] += 1
    built = _Builder(problem)
    left = started + time_limit - time.monotonic()
    hint = first_schedule(built, GREEDY_SHARE * left, planned)
    answer = _two_solves(built, hint, started + time_limit - (1 - FIRST_SOLVE_SHARE) * left,
                         started + time_limit, workers)
    value = answer.solver.Value if answer.solver is not None else hint.get
    if answer.solver is None:  # no time left for the solver: the first schedule, as it is
        answer.shortfall = sum(hint[var] for var in built.shortfall)
        answer.paid = sum(hint[var] * (built.options[d][s].paid_minutes // SLOT_MINUTES)
                          for (_, d, s), var in built.x.items())
    slot_hours = SLOT_MINUTES / 60
    shortfall_bound = max(answer.shortfall_bound, plan.shortfall_bound if plan.solver is not None else 0)
    paid_bound = answer.paid_bound
    if plan.solver is not None and answer.shortfall <= plan.shortfall_bound:
        paid_bound = max(paid_bound, plan.paid_bound)  # the relaxation kept the same shortfall
    if not problem.optional_agents:  # every agent is paid at least their contract's least hours
        paid_bound = max(paid_bound, _least_slots(problem))
    proven = answer.first == cp_model.OPTIMAL and answer.second == cp_model.OPTIMAL
    status = "optimal" if proven else "feasible"
    if answer.shortfall <= shortfall_bound and answer.paid <= paid_bound:
        status = "optimal"  # proven by the bounds together
    on_shift = defaultdict(list)
    for (a, d, s), var in built.x.items():
        if value(var):
            on_shift[d, s].append(a)
    return Solution(status, None, _extract(problem, built.options, on_shift, built.break_counts, value),
                    answer.shortfall / PENALTY_SCALE, min(shortfall_bound, answer.shortfall) / PENALTY_SCALE,
                    answer.paid * slot_hours, min(paid_bound, answer.paid) * slot_hours,
                    time.monotonic() - started, (STATUS_WORDS[answer.first], STATUS_WORDS[answer.second]))


def _least_slots(problem: Problem) -> int:
    """The paid slots every agent's contract asks for at least, together (a bound when none is optional)."""
    return sum(-(-agent.min_minutes // SLOT_MINUTES) for agent in problem.agents)


def _planned_solution(problem: Problem, relaxed: _Builder, plan: _Answer, given, started: float) -> Solution:
    """The plan as the schedule: every agent keeps their rules with the plan's shifts, so the plan's
    figures are the schedule's, and its bounds (a relaxation's) bound the schedule."""
    on_shift = defaultdict(list)
    for a, week in sorted(given.weeks.items()):
        for d, s in week:
            on_shift[d, s].append(a)
    slot_hours = SLOT_MINUTES / 60
    paid_bound = plan.paid_bound if plan.second in (cp_model.OPTIMAL, cp_model.FEASIBLE) else 0
    if not problem.optional_agents:
        paid_bound = max(paid_bound, _least_slots(problem))
    proven = plan.shortfall <= plan.shortfall_bound and plan.paid <= paid_bound
    shifts = _extract(problem, relaxed.options, on_shift, relaxed.break_counts, plan.solver.Value)
    return Solution("optimal" if proven else "feasible", None, shifts, plan.shortfall / PENALTY_SCALE,
                    min(plan.shortfall_bound, plan.shortfall) / PENALTY_SCALE, plan.paid * slot_hours,
                    min(paid_bound, plan.paid) * slot_hours, time.monotonic() - started,
                    (STATUS_WORDS[plan.first], STATUS_WORDS[plan.second]))


def _extract(problem: Problem, options, on_shift: dict[tuple[int, int], list[int]], break_counts: dict,
             value) -> pd.DataFrame:
    """The shifts worked: agent, day, start, end (minutes of the day), paid_minutes and breaks (a tuple
    of (name, start minute, minutes, paid)), the breaks of each shift option handed to its agents in
    turn."""
    rows = []
    for (d, s), agents in sorted(on_shift.items()):
        shift = options[d][s]
        starts = []
        for k, brk in enumerate(shift.breaks):
            taken = [p for p in range(brk.first_slot, brk.last_slot + 1)
                     for _ in range(value(break_counts[d, s, k, p]))]
            starts.append(taken)
        for i, a in enumerate(agents):
            breaks = tuple((brk.rule.name, shift.start + starts[k][i] * SLOT_MINUTES, brk.rule.minutes,
                            brk.rule.paid) for k, brk in enumerate(shift.breaks))
            rows.append({"agent": problem.agents[a].name, "day": d, "start": shift.start,
                         "end": shift.end, "paid_minutes": shift.paid_minutes, "breaks": breaks})
    frame = pd.DataFrame(rows, columns=["agent", "day", "start", "end", "paid_minutes", "breaks"])
    return frame.sort_values(["agent", "day"]).reset_index(drop=True)


def _feasible(problem: Problem, relax: frozenset[str]) -> bool:
    built = _Builder(problem, relax, coverage=False)
    solver = _solver(5.0, 1)
    return solver.Solve(built.model) in (cp_model.OPTIMAL, cp_model.FEASIBLE)


def diagnose(problem: Problem) -> str | None:
    """None when every agent can keep the rules; else a sentence naming the agent and the rule that
    cannot be met. Each agent's rules stand alone (the service level is an objective, not a rule), so
    each kind of agent is tried alone, then with one family of rules left out at a time: the family
    whose absence makes a week possible is the one that cannot be met."""
    if problem.optional_agents:
        return None
    rules = problem.rules
    if not any(shift_options(rules, weekday) for weekday in problem.weekdays):
        return ("Shift lengths and opening hours: no shift of " + ", ".join(
            f"{m / 60:g} h" for m in rules.shift_minutes) + " fits inside the opening hours with its breaks, "
            "on any day of the week.")
    seen = set()
    for agent in problem.agents:
        if agent.kind() in seen:
            continue
        seen.add(agent.kind())
        alone = replace(problem, agents=(agent,))
        if _feasible(alone, frozenset()):
            continue
        words = {k: v.format(max_days=rules.max_days, days_off=rules.days_off, rest_hours=rules.min_rest / 60)
                 for k, v in RULE_NAMES.items()}
        culprits = [name for name in RULE_NAMES if _feasible(alone, frozenset({name}))]
        hours = f"{agent.min_minutes / 60:g}" + (f"-{agent.max_minutes / 60:g}"
                                                 if agent.max_minutes != agent.min_minutes else "")
        longest = max((s.paid_minutes for w in problem.weekdays for s in shift_options(rules, w)), default=0)
        detail = (f" ({agent.name} is contracted for {hours} paid hours a week; shifts pay "
                  + ", ".join(sorted({f'{s.paid_minutes / 60:g} h' for w in problem.weekdays
                                      for s in shift_options(rules, w)}))
                  + f", the longest {longest / 60:g} h)")
        if culprits:
            named = " or ".join(words[c] for c in culprits)
            return (f"No week of shifts keeps every rule for {agent.name}: the rule that cannot be met is "
                    f"{named} (leaving it out makes a week possible){detail}.")
        return (f"No week of shifts keeps every rule for {agent.name}, even with any one rule left out: "
                f"the rules together cannot be met{detail}.")
    return None


def shift_text(start: int, end: int) -> str:
    return f"{clock(start)}-{clock(end)}"


def coverage(shifts: pd.DataFrame, demand: pd.DataFrame, interval_minutes: int) -> np.ndarray:
    """Agent-slots on shift and off break in each interval of the demand, divided by the slots of an
    interval: the agents on shift and not on a break, on average over the interval."""
    step = interval_minutes // SLOT_MINUTES
    slots = np.zeros((7, 1440 // SLOT_MINUTES + 1))
    for row in shifts.itertuples():
        slots[row.day, row.start // SLOT_MINUTES: row.end // SLOT_MINUTES] += 1
        for _, start, minutes, _ in row.breaks:
            slots[row.day, start // SLOT_MINUTES: (start + minutes) // SLOT_MINUTES] -= 1
    first = (demand["minute"].to_numpy() // SLOT_MINUTES).astype(int)
    days = demand["day"].to_numpy().astype(int)
    return np.array([slots[d, f:f + step].sum() / step for d, f in zip(days, first, strict=True)])
