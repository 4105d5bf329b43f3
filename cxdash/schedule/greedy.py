"""A first schedule for the solver to start from: agents placed one at a time, each given the week of
shifts (within their rules) that serves the intervals still short the most, with their breaks where
they cost least; then each agent taken out and placed again against everyone else, a few rounds.

CP-SAT finds no schedule of its own in seconds on a week of 30-minute intervals (the coverage
penalties make its first solutions hard to reach), but improves a complete one quickly.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import replace

import numpy as np
from ortools.sat.python import cp_model

from cxdash.schedule.rules import SLOT_MINUTES

SHORTFALL_WEIGHT = 1000  # a hundredth of a contact of shortfall outweighs 100 contacts answered late
OPTIONAL_SLOT_COST = 1000  # an optional agent is used where a slot of theirs saves this much
ROUNDS = 3  # times each agent is taken out and placed again
PLAN_BONUS = 10 ** 10  # a shift the plan asks for outweighs anything else an agent could do


def _values(hull: list[tuple[int, int]], top: int) -> np.ndarray:
    """The envelope at every whole coverage 0..top (flat beyond its last point)."""
    xs, ys = zip(*hull, strict=True)
    return np.interp(np.arange(top + 1), xs, ys)


class _Greedy:
    """The coverage of a partial schedule, and agents placed into it or taken out."""

    def __init__(self, built, plan: dict | None = None):
        self.built = built
        self.plan_left = dict(plan or {})
        problem = built.problem
        step = problem.interval_minutes // SLOT_MINUTES
        self.owner = {}
        for t, row in enumerate(problem.demand.itertuples()):
            first = row.minute // SLOT_MINUTES
            for slot in range(first, first + step):
                self.owner[row.day, slot] = t
        self.top = len(problem.agents) * step + 2
        self.curves = [SHORTFALL_WEIGHT * _values(short, self.top) + _values(late, self.top)
                       for short, late in built.hulls]
        self.covered = np.zeros(len(self.curves), dtype=int)
        self.weeks: dict[int, list[tuple[int, int]]] = {}
        self.breaks: dict[tuple[int, int, int], list[int]] = {}  # (agent, day, shift) -> break starts
        self.models: dict[tuple, tuple] = {}

    def _slots(self, d: int, first: int, count: int) -> dict[int, int]:
        """Interval -> how many of these slots of day d fall in it."""
        out: dict[int, int] = {}
        for slot in range(first, first + count):
            t = self.owner.get((d, slot))
            if t is not None:
                out[t] = out.get(t, 0) + 1
        return out

    def _curve(self, t: int, k: int) -> float:
        return self.curves[t][min(max(k, 0), self.top)]

    def _add(self, d: int, first: int, count: int, sign: int) -> None:
        for t, n in self._slots(d, first, count).items():
            self.covered[t] += sign * n

    def _value(self, d: int, s: int) -> float:
        """What the shift saves, its breaks aside."""
        shift = self.built.options[d][s]
        slots = self._slots(d, shift.start // SLOT_MINUTES, shift.minutes // SLOT_MINUTES)
        return sum(self._curve(t, self.covered[t]) - self._curve(t, self.covered[t] + n)
                   for t, n in slots.items())

    def place(self, a: int) -> None:
        """The agent's best week against the others, then its breaks."""
        from cxdash.schedule.model import _Builder, _solver

        built, agent = self.built, self.built.problem.agents[a]
        if agent.kind() not in self.models:
            alone = _Builder(replace(built.problem, agents=(agent,)), coverage=False)
            self.models[agent.kind()] = (alone, _solver(5.0, 1))
        alone, solver = self.models[agent.kind()]
        values = {}
        for d, s, _ in built.by_agent[a]:
            value = self._value(d, s)
            if built.problem.optional_agents:
                value -= OPTIONAL_SLOT_COST * built.options[d][s].paid_minutes / SLOT_MINUTES
            if self.plan_left.get((agent.kind(), d, s), 0) > 0:
                value += PLAN_BONUS
            elif self.plan_left:  # with a plan, a shift off it only where the contract needs one
                value -= PLAN_BONUS / 100
            values[d, s] = int(round(value))
        alone.model.Maximize(sum(values[d, s] * var for d, s, var in alone.by_agent[0]))
        if solver.Solve(alone.model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            self.weeks[a] = []
            return
        self.weeks[a] = [(d, s) for d, s, var in alone.by_agent[0] if solver.Value(var)]
        for d, s in self.weeks[a]:
            if (agent.kind(), d, s) in self.plan_left:
                self.plan_left[agent.kind(), d, s] -= 1
            shift = built.options[d][s]
            self._add(d, shift.start // SLOT_MINUTES, shift.minutes // SLOT_MINUTES, 1)
        for d, s in self.weeks[a]:
            self._place_breaks(a, d, s)

    def _place_breaks(self, a: int, d: int, s: int) -> None:
        """Each break where it costs least (ties: the earliest start)."""
        shift = self.built.options[d][s]
        first = shift.start // SLOT_MINUTES
        starts = []
        for brk in shift.breaks:
            def cost(p: int, brk=brk) -> float:
                return sum(self._curve(t, self.covered[t] - n) - self._curve(t, self.covered[t])
                           for t, n in self._slots(d, first + p, brk.slots).items())
            best = min(range(brk.first_slot, brk.last_slot + 1), key=cost)
            starts.append(best)
            self._add(d, first + best, brk.slots, -1)
        self.breaks[a, d, s] = starts

    def take_out(self, a: int) -> None:
        kind = self.built.problem.agents[a].kind()
        for d, s in self.weeks.pop(a, []):
            if (kind, d, s) in self.plan_left:
                self.plan_left[kind, d, s] += 1
            shift = self.built.options[d][s]
            first = shift.start // SLOT_MINUTES
            self._add(d, first, shift.minutes // SLOT_MINUTES, -1)
            for brk, p in zip(shift.breaks, self.breaks.pop((a, d, s)), strict=True):
                self._add(d, first + p, brk.slots, 1)


def first_schedule(built, seconds: float = 2.0, plan: dict | None = None) -> dict:
    """A complete assignment (a hint): variable -> value for every decision of the model. With a plan
    ((agent kind, day, shift) -> agents, from the model without agents), agents take its shifts
    first. Rounds of
    taking each agent out and placing it again stop after `seconds`."""
    return _hint(built, _placed(built, seconds, plan))


def plan_hint(relaxed, seconds: float) -> dict:
    """A start for the model without agents (cxdash.schedule.model's plan): the greedy schedule, agents
    placed one at a time and placed again for `seconds`, read as counts (shifts per kind and day, weeks
    per kind, breaks). CP-SAT proves the plan's bound at once but can take seconds to find a plan as
    good as this one on its own."""
    greedy = _placed(relaxed, seconds)
    problem, options = relaxed.problem, relaxed.options
    hint = {var: 0 for var in [*relaxed.plan.values(), *relaxed.patterns.values(), *relaxed.tables.values()]}
    for a, week in greedy.weeks.items():
        kind = problem.agents[a].kind()
        mask = sum(1 << d for d, _ in week)
        lengths = defaultdict(int)
        for d, s in week:
            hint[relaxed.plan[kind, d, s]] += 1
            lengths[options[d][s].paid_minutes] += 1
        mix = tuple(sorted(lengths.items()))
        key = (kind, (mask, mix)) if (kind, (mask, mix)) in relaxed.patterns else (kind, (mask, None))
        if key not in relaxed.patterns:
            continue  # not a week of the plan's (it cannot be: the greedy keeps every rule)
        hint[relaxed.patterns[key]] += 1
        if key[1][1] is not None:
            for d, s in week:
                hint[relaxed.tables[kind, key[1], d, options[d][s].paid_minutes]] += 1
    return hint | _coverage_hint(relaxed, greedy)


def _placed(built, seconds: float, plan: dict | None = None) -> _Greedy:
    """Every agent placed in turn (the plan's shifts first, when there is one), then, the plan set aside,
    each taken out and placed again against all the others for a few rounds, until `seconds`: agents
    left out of the plan come in where a shortfall remains, and the shifts it could not place are made
    good."""
    started = time.monotonic()
    greedy = _Greedy(built, plan)
    agents = range(len(built.problem.agents))
    for a in agents:
        greedy.place(a)
    greedy.plan_left = {}
    for _ in range(ROUNDS):
        for a in agents:
            if time.monotonic() - started > seconds:
                break
            greedy.take_out(a)
            greedy.place(a)
    return greedy


def _coverage_hint(built, greedy: _Greedy) -> dict:
    """The values the greedy schedule gives what both models share: break counts, agents per shift
    option, and each interval's coverage and penalties."""
    hint = {var: 0 for var in built.break_counts.values()}
    for (_, d, s), starts in greedy.breaks.items():
        for k, p in enumerate(starts):
            hint[built.break_counts[d, s, k, p]] += 1
    for (d, s), count in built.counts.items():
        hint[count] = sum(1 for week in greedy.weeks.values() if (d, s) in week)
    for t, (short, late) in enumerate(built.hulls):
        hint[built.coverage[t]] = int(greedy.covered[t])
        hint[built.shortfall[t]] = _at_least(short, greedy.covered[t])
        hint[built.late[t]] = _at_least(late, greedy.covered[t])
    return hint


def _hint(built, greedy: _Greedy) -> dict:
    """Every variable's value for the greedy schedule, agents of a kind ordered as the model orders
    them (by their working days read as a binary number)."""
    problem = built.problem
    hint = {var: 0 for var in built.x.values()}
    kinds: dict[tuple, list[int]] = {}
    for a, agent in enumerate(problem.agents):
        kinds.setdefault(agent.kind(), []).append(a)
    for members in kinds.values():
        ordered = sorted((greedy.weeks.get(a, []) for a in members), key=lambda w: -sum(2 ** d for d, _ in w))
        for a, week in zip(members, ordered, strict=True):
            working = {d for d, _ in week}
            for d, s in week:
                hint[built.x[a, d, s]] = 1
            for d in range(7):
                hint[built.work[a, d]] = int(d in working)
                if (a, d) in built.runs:
                    hint[built.runs[a, d]] = int(all((d + j) % 7 not in working
                                                     for j in range(problem.rules.days_off)))
    return hint | _coverage_hint(built, greedy)


def _at_least(hull: list[tuple[int, int]], coverage: int) -> int:
    """The least whole value the model's cuts allow at this coverage (the envelope, rounded up)."""
    value = hull[0][1] if len(hull) == 1 else 0
    for (k1, v1), (k2, v2) in zip(hull, hull[1:], strict=False):
        value = max(value, -(-((k2 - k1) * v1 + (v2 - v1) * (coverage - k1)) // (k2 - k1)))
    return max(value, 0)
