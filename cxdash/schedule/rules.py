"""Shift rules as the solver uses them: shift options per weekday with their break windows, and the
agents with their contracts and availability, from the settings' [schedule] table (cxdash.settings).

Time runs on a 15-minute grid (SLOT_MINUTES): shift lengths, starts, breaks and opening hours are all
on the quarter hour, so every interval of a 15- or 30-minute forecast is a whole number of slots.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from cxdash.calendar import WEEKDAY_KEYS
from cxdash.settings import BreakRule, ScheduleDefaults

SLOT_MINUTES = 15


class RulesError(ValueError):
    """Rules that cannot make a schedule, in words that name the rule."""


@dataclass(frozen=True)
class ShiftBreak:
    """A break of one shift option: its rule and the slots (from the shift's start) it may start in."""

    rule: BreakRule
    first_slot: int
    last_slot: int

    @property
    def slots(self) -> int:
        return self.rule.minutes // SLOT_MINUTES


@dataclass(frozen=True)
class Shift:
    """One shift option of a weekday: start (minute of the day), length and the breaks it takes."""

    start: int
    minutes: int
    breaks: tuple[ShiftBreak, ...]

    @property
    def end(self) -> int:
        return self.start + self.minutes

    @property
    def paid_minutes(self) -> int:
        """Start to end less the unpaid breaks (the meal)."""
        return self.minutes - sum(b.rule.minutes for b in self.breaks if not b.rule.paid)

    def label(self) -> str:
        return f"{clock(self.start)}-{clock(self.end)}"


@dataclass(frozen=True)
class Agent:
    """An agent: paid minutes a week (least, most) and when they can work (weekdays 0 = Monday, and
    the earliest start and latest end as minutes of the day)."""

    name: str
    min_minutes: int
    max_minutes: int
    days: frozenset[int] = frozenset(range(7))
    earliest: int = 0
    latest: int = 1440
    part_time: bool = False

    def kind(self) -> tuple:
        """Agents of one kind are interchangeable to the solver."""
        return (self.min_minutes, self.max_minutes, self.days, self.earliest, self.latest)


@dataclass(frozen=True)
class Rules:
    """Everything the solver must respect, in minutes."""

    shift_minutes: tuple[int, ...]
    start_grid: int
    breaks: tuple[BreakRule, ...]
    max_days: int
    days_off: int  # consecutive days off a week (the week repeats: Sunday and Monday are consecutive)
    min_rest: int
    opening: dict[str, tuple[tuple[int, int], ...]]
    shrinkage: float  # 0..1: paid time off the phones the schedule does not place
    full_time: tuple[int, int]  # paid minutes a week
    part_time: tuple[int, int]


def clock(minute: int) -> str:
    """Minutes of the day as HH:MM (24:00 for midnight at the end of the day)."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


def rules_from(defaults: ScheduleDefaults, shrinkage_pct: int | None = None,
               shift_hours: tuple[float, ...] | None = None) -> Rules:
    """The settings' rules, with the planner's what-if shrinkage and shift lengths when given."""
    if shift_hours is not None:
        defaults = replace(defaults, shift_hours=tuple(shift_hours))
    shrink = defaults.shrinkage_pct if shrinkage_pct is None else shrinkage_pct
    if not defaults.shift_hours or any(h <= 0 or (h * 4) % 1 for h in defaults.shift_hours):
        raise RulesError("Shift lengths must be whole quarter hours above zero.")
    ordered = sorted(defaults.breaks, key=lambda b: b.window_hours[0])
    for first, second in zip(ordered, ordered[1:], strict=False):
        if first.window_hours[1] * 60 + first.minutes > second.window_hours[0] * 60:
            raise RulesError(f"Breaks: the windows of {first.name} and {second.name} overlap (a "
                             f"{first.minutes}-minute {first.name} may start as late as "
                             f"{first.window_hours[1]:g} h, the {second.name} as early as "
                             f"{second.window_hours[0]:g} h); give them windows apart.")
    return Rules(
        shift_minutes=tuple(int(round(h * 60)) for h in defaults.shift_hours),
        start_grid=defaults.start_grid_minutes, breaks=tuple(ordered), max_days=defaults.max_days_per_week,
        days_off=defaults.consecutive_days_off, min_rest=int(round(defaults.min_rest_hours * 60)),
        opening=dict(defaults.opening_hours), shrinkage=shrink / 100,
        full_time=_minutes(defaults.full_time_hours), part_time=_minutes(defaults.part_time_hours))


def _minutes(hours: tuple[float, float]) -> tuple[int, int]:
    return int(round(hours[0] * 60)), int(round(hours[1] * 60))


def shift_breaks(rules: Rules, minutes: int) -> tuple[ShiftBreak, ...] | None:
    """The breaks a shift of this length takes, with the slots each may start in (each ends inside
    the shift); None when one of them cannot fit."""
    out = []
    for rule in rules.breaks:
        if minutes < rule.min_shift_hours * 60:
            continue
        first = int(round(rule.window_hours[0] * 60)) // SLOT_MINUTES
        last = min(int(round(rule.window_hours[1] * 60)), minutes - rule.minutes) // SLOT_MINUTES
        if last < first:
            return None
        out.append(ShiftBreak(rule, first, last))
    return tuple(out)


def shift_options(rules: Rules, weekday: int) -> list[Shift]:
    """Every shift a weekday allows: each length, starting on the grid, inside one open range."""
    options = []
    for opens, closes in rules.opening.get(WEEKDAY_KEYS[weekday], ()):
        for minutes in rules.shift_minutes:
            breaks = shift_breaks(rules, minutes)
            if breaks is None:
                continue
            start = -(-opens // rules.start_grid) * rules.start_grid
            while start + minutes <= closes:
                options.append(Shift(start, minutes, breaks))
                start += rules.start_grid
    return options


def unfit_lengths(rules: Rules) -> list[int]:
    """Shift lengths whose breaks cannot fit inside them."""
    return [m for m in rules.shift_minutes if shift_breaks(rules, m) is None]


def team(rules: Rules, agents: int, part_time_agents: int = 0) -> list[Agent]:
    """A team without a roster file: `agents` agents, the last `part_time_agents` of them part time,
    each available every day the operation opens."""
    if not 0 < agents or not 0 <= part_time_agents <= agents:
        raise RulesError("Headcount must be at least 1, with no more part-time agents than agents.")
    width, first_part_time = len(str(agents)), agents - part_time_agents + 1
    return [Agent(f"Agent {n:0{width}d}", *(rules.part_time if n >= first_part_time else rules.full_time),
                  part_time=n >= first_part_time)
            for n in range(1, agents + 1)]
