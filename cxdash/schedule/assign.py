"""Agents given the plan: the model without agents (cxdash.schedule.model) says how many agents of each
kind work each shift option each day, and how many follow each week of working days; here each agent
of the kind gets one of those weeks and, on each of its days, one of the day's planned shifts, so that
every agent keeps their own rules (rest between shifts, contracted hours) and the plan's counts hold.

Agents of one kind are interchangeable, so handing the weeks out in order loses nothing. The rest of
the choice is a small CP-SAT model per kind. The plan's counts satisfy the rest rule on each pair of
days taken alone, not always across three days, and not each agent's hours: where the counts cannot
all hold, the model keeps as many as it can and says how many it moved (`moved`), and the full model
(cxdash.schedule.model) takes it from there.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass

from ortools.sat.python import cp_model

from cxdash.schedule.rules import SLOT_MINUTES, Agent, Shift


@dataclass
class Assignment:
    """Each agent's week, as (day, shift option) pairs, by agent index; `moved`: planned shifts that
    could not be given as planned (0: the plan holds exactly)."""

    weeks: dict[int, list[tuple[int, int]]]
    moved: int


def assign(agents: tuple[Agent, ...], options: list[list[Shift]], min_rest: int,
           counts: dict[tuple[tuple, int, int], int], weeks: dict[tuple[tuple, tuple], int],
           seconds: float, workers: int = 2) -> Assignment | None:
    """Agents given the plan's shift counts ((kind, day, shift) -> agents) and weeks ((kind, week) ->
    agents, a week as cxdash.schedule.model.Week: working days, and each day's paid minutes where the
    plan fixed them); None when a kind's model finds no answer within `seconds`."""
    started = time.monotonic()
    members: dict[tuple, list[int]] = defaultdict(list)
    for a, agent in enumerate(agents):
        members[agent.kind()].append(a)
    out: dict[int, list[tuple[int, int]]] = {}
    moved = 0
    kinds = list(members)
    for n, kind in enumerate(kinds):
        left = seconds - (time.monotonic() - started)
        share = left / (len(kinds) - n)
        given = sorted((week for (k, week), count in weeks.items() if k == kind for _ in range(count)),
                       key=lambda week: (week[0], week[1] or ()), reverse=True)
        planned = {(d, s): c for (k, d, s), c in counts.items() if k == kind and c > 0}
        found = _kind(agents, members[kind], given, planned, options, min_rest, share, workers)
        if found is None:
            return None
        kind_weeks, kind_moved = found
        out.update(kind_weeks)
        moved += kind_moved
    return Assignment(out, moved)


def _kind(agents, members: list[int], weeks: list[tuple], planned: dict[tuple[int, int], int],
          options: list[list[Shift]], min_rest: int, seconds: float, workers: int):
    model = cp_model.CpModel()
    by_day: dict[int, list[int]] = defaultdict(list)
    for d, s in planned:
        by_day[d].append(s)
    x: dict[tuple[int, int, int], cp_model.IntVar] = {}
    on_shift: dict[tuple[int, int], list] = defaultdict(list)  # (day, shift) -> its agents' variables
    given = dict(zip(members, weeks, strict=False))  # agents beyond the plan's weeks work no shift
    slot = SLOT_MINUTES
    for a, (mask, mix) in given.items():
        week = []
        for d in range(7):
            if not mask >> d & 1:
                continue
            if not by_day[d]:
                return None  # the plan gives this week a day without shifts: not a plan of this kind
            day = []
            for s in by_day[d]:
                x[a, d, s] = var = model.NewBoolVar(f"x{a}_{d}_{s}")
                on_shift[d, s].append(var)
                day.append(var)
                week.append((d, s, var))
            model.AddExactlyOne(day)
        for length, days in mix or ():  # the plan's number of days of each paid length
            model.Add(sum(var for d, s, var in week if options[d][s].paid_minutes == length) == days)
        paid = sum(var * (options[d][s].paid_minutes // slot) for d, s, var in week)
        agent = agents[a]
        model.Add(paid >= -(-agent.min_minutes // slot))
        model.Add(paid <= agent.max_minutes // slot)
        for d in range(7):
            after = (d + 1) % 7
            today = [(options[d][s].end, var) for e, s, var in week if e == d]
            tomorrow = [(options[after][s].start, var) for e, s, var in week if e == after]
            for end in sorted({e for e, _ in today}):
                too_soon = [var for start, var in tomorrow if start + 1440 - end < min_rest]
                if too_soon:
                    model.Add(sum(var for e, var in today if e >= end) + sum(too_soon) <= 1)
    deviations = []
    for (d, s), count in planned.items():
        taken = on_shift[d, s]
        over, under = model.NewIntVar(0, len(taken), ""), model.NewIntVar(0, count, "")
        model.Add(sum(taken) == count + over - under)
        deviations += [over, under]
    for (a, d, s), value in _in_turn(given, planned, options, min_rest).items():
        model.AddHint(x[a, d, s], value)
    model.Minimize(sum(deviations))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(seconds, 0.1)
    solver.parameters.num_workers = workers
    if solver.Solve(model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    weeks_out: dict[int, list[tuple[int, int]]] = {a: [] for a in members}
    for (a, d, s), var in x.items():
        if solver.Value(var):
            weeks_out[a].append((d, s))
    return weeks_out, round(solver.ObjectiveValue()) // 2


def _in_turn(given: dict[int, tuple], planned: dict[tuple[int, int], int], options: list[list[Shift]],
             min_rest: int) -> dict[tuple[int, int, int], int]:
    """A start for the model: day by day, from the day after the one most agents have off, the day's
    planned shifts latest start first to the agents whose rest allows the least (the latest end the
    day before first). On one pair of days this pairing keeps the rest whenever any pairing can; the
    model repairs what it misses (rest across the week's wrap, contracts of mixed lengths)."""
    off = [sum(1 for mask, _ in given.values() if not mask >> d & 1) for d in range(7)]
    first = (max(range(7), key=lambda d: off[d]) + 1) % 7
    hint = {}
    last_end: dict[int, int] = {}
    for step in range(7):
        d = (first + step) % 7
        shifts = sorted(((options[d][s].start, s) for (e, s), count in planned.items() if e == d
                         for _ in range(count)), reverse=True)
        working = [a for a, (mask, _) in given.items() if mask >> d & 1]
        # the earliest start each agent may take today, after yesterday's end and the rest
        earliest = {a: last_end[a] + min_rest - 1440 if a in last_end else -1440 for a in working}
        working.sort(key=lambda a: earliest[a], reverse=True)
        today: dict[int, int] = {}
        for a, (_, s) in zip(working, shifts, strict=False):
            hint[a, d, s] = 1
            today[a] = options[d][s].end
        last_end = today
    return hint
