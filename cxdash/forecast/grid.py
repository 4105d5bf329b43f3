"""What a forecast is asked for and the grid it works on: one selection's contacts per interval of
the grain, history and future, with the intervals open by the settings' business hours or by the
hours learned from the data, and the holidays and special days as events."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from cxdash import calendar
from cxdash.settings import Settings

GRAINS = {"day": 1440, "30min": 30, "15min": 15}
OPEN_WEEKS = 8  # an interval of the week is open when it had a contact in any of the last 8 weeks
MIN_HISTORY_DAYS = 35  # five weeks: four for the benchmarks and one to score


class ForecastError(ValueError):
    """A forecast that cannot be made, with the reason in words a planner can act on."""


@dataclass(frozen=True)
class Request:
    """What to forecast: grain, as-of date (only contacts before its local midnight are used), the
    number of calendar days after it, and the channels and queues (empty = all)."""

    grain: str
    as_of: date
    horizon_days: int
    channels: tuple[str, ...] = ()
    queues: tuple[str, ...] = ()

    def __post_init__(self):
        if self.grain not in GRAINS:
            raise ForecastError(f"grain must be one of {', '.join(GRAINS)}, not {self.grain!r}")
        if not 1 <= self.horizon_days <= 366:
            raise ForecastError("the horizon must be 1 to 366 days")

    @property
    def minutes(self) -> int:
        return GRAINS[self.grain]

    @property
    def per_day(self) -> int:
        return 1440 // self.minutes

    @property
    def days(self) -> int:
        """Days forecast: the as-of day itself (same day) and the horizon's days after it."""
        return self.horizon_days + 1

    def label(self) -> str:
        what = " + ".join(self.channels) or "all channels"
        if self.queues:
            what += " · " + " + ".join(self.queues)
        return what


@dataclass
class Grid:
    """One selection's history and future on the grain's grid.

    Positions before `n_history` are history (before the as-of date's local midnight); the rest is
    the forecast's future. `y` is NaN where the interval is closed or in the future."""

    minutes: int
    timezone: str
    times: pd.DatetimeIndex  # local interval starts (tz-aware)
    n_history: int
    y: np.ndarray
    is_open: np.ndarray
    handled: np.ndarray
    handle_seconds: np.ndarray
    events: pd.DataFrame  # one 0/1 column per holiday or special day, a row per position
    day: np.ndarray = field(init=False)  # local date of each position, as a day number
    week_key: np.ndarray = field(init=False)  # weekday x interval of the day

    def __post_init__(self):
        self.day, self.week_key = calendar_keys(self.times, self.minutes)

    @property
    def per_day(self) -> int:
        return 1440 // self.minutes

    @property
    def week(self) -> int:
        return 7 * self.per_day

    def day_start(self, day: date) -> int:
        """The position of a local day's first interval."""
        return int(np.searchsorted(self.day, calendar.day_number(day)))

    def weeks_back(self, weeks: int) -> np.ndarray:
        """For each position, the position of the same local interval `weeks` weeks earlier (-1 before
        the grid starts). Across a daylight-saving change the clock time, not the instant, is matched."""
        if self.minutes == 1440:
            positions = np.arange(len(self.times)) - 7 * weeks
        else:
            offset = ((self.times.tz_localize(None) - self.times.tz_convert("UTC").tz_localize(None))
                      / pd.Timedelta(minutes=self.minutes)).to_numpy().astype(int)
            positions = np.arange(len(self.times)) - weeks * self.week
            inside = positions >= 0
            shift = np.zeros_like(positions)
            shift[inside] = offset[inside] - offset[positions[inside]]
            positions = positions + shift
        positions[positions < 0] = -1
        return positions


def calendar_keys(times: pd.DatetimeIndex, minutes: int) -> tuple[np.ndarray, np.ndarray]:
    """For local interval starts: the local date as a day number (calendar.day_number), and the
    interval of the week (weekday x interval of the day, by the clock)."""
    naive = times.tz_localize(None)
    day = (naive.normalize() - pd.Timestamp(calendar.EPOCH)).days.to_numpy()
    slot = (naive.hour * 60 + naive.minute).to_numpy() // minutes
    return day, naive.day_of_week.to_numpy() * (1440 // minutes) + slot


def _special_days(settings: Settings, first: date, last: date) -> pd.DataFrame:
    from cxdash.seasonality import calendar_days

    return calendar_days(settings, first, last)


def build_grid(frame: pd.DataFrame, request: Request, settings: Settings, minutes: int | None = None,
               first: date | None = None) -> Grid:
    """The selection's grid from the rows of sql/forecast_series.sql (slot, channel, contacts, ...):
    history from the first day with contacts (or `first`) to the as-of date, and the forecast days."""
    minutes = minutes or request.minutes
    tz = settings.timezone
    frame = frame.copy()
    frame["slot"] = pd.to_datetime(frame["slot"], utc=True)
    if frame.empty:
        raise ForecastError(f"no contacts before {request.as_of} for {request.label()}")
    start_day = first or frame["slot"].min().tz_convert(tz).date()
    end_day = request.as_of + timedelta(days=request.days)  # exclusive
    if (request.as_of - start_day).days < MIN_HISTORY_DAYS:
        raise ForecastError(f"{request.label()} has {(request.as_of - start_day).days} days of history "
                            f"before {request.as_of}; a forecast needs at least {MIN_HISTORY_DAYS}")
    if minutes == 1440:
        days = [start_day + timedelta(days=d) for d in range((end_day - start_day).days)]
        times = calendar.local_midnights(days, tz).tz_convert(tz)
    else:
        # microseconds, the unit of the store's timestamps the grid is matched with
        begin = calendar.local_midnight(start_day, tz).as_unit("us")
        end = calendar.local_midnight(end_day, tz).as_unit("us")
        times = pd.date_range(begin, end, freq=f"{minutes}min", inclusive="left").tz_convert(tz)
    utc = times.tz_convert("UTC")
    n_history = int(np.searchsorted(utc, calendar.local_midnight(request.as_of, tz)))

    def column(name: str, source: pd.DataFrame) -> np.ndarray:
        summed = source.groupby("slot")[name].sum()
        summed.index = summed.index.tz_convert("UTC")
        values = summed.reindex(utc, fill_value=0).to_numpy(dtype=float, copy=True)
        values[n_history:] = np.nan
        return values

    contacts = column("contacts", frame)
    is_open = np.zeros(len(times), dtype=bool)
    day, week_key = calendar_keys(times, minutes)
    per_day = 1440 // minutes
    lookback = max(n_history - OPEN_WEEKS * 7 * per_day, 0)
    for channel, rows in frame.groupby("channel"):
        hours = settings.business_hours.get(str(channel))
        if hours is not None:
            is_open |= business_hours_mask(times, hours)
        else:
            counts = column("contacts", rows)
            is_open |= learned_hours(week_key[lookback:n_history], counts[lookback:n_history],
                                     per_day)[week_key]
    is_open &= ~np.isin(day, [calendar.day_number(d) for d in settings.closed_dates])
    # a past day without a single contact was closed (a holiday closure, an outage), not quiet
    history_days = pd.Series(contacts[:n_history]).groupby(day[:n_history]).sum()
    empty_days = history_days.index[history_days.to_numpy() == 0]
    is_open[:n_history] &= ~np.isin(day[:n_history], empty_days)
    y = np.where(is_open, contacts, np.nan)
    handled = column("handled", frame)
    handle_seconds = column("handle_seconds", frame)

    special = _special_days(settings, start_day, end_day)
    events = pd.DataFrame(index=range(len(times)))
    if not special.empty:
        for name, rows in special.groupby("name", sort=True):
            events[str(name)] = np.isin(day, [calendar.day_number(d) for d in rows["day"]]).astype(float)
    return Grid(minutes, tz, times, n_history, y, is_open, handled, handle_seconds, events)


def learned_hours(week_key: np.ndarray, contacts: np.ndarray, per_day: int) -> np.ndarray:
    """Open intervals of the week (a flag per weekday x interval) learned from recent weeks: an
    interval with contacts in at least two of them (one, with under four weeks of history) is open,
    and so is every interval between a weekday's first and last open one, so a quiet mid-morning
    half hour is not taken for a closure while a stray call at 3 a.m. does not open the night."""
    weeks = len(week_key) / (7 * per_day)
    seen = np.bincount(week_key[contacts > 0], minlength=7 * per_day)
    core = seen >= (2 if weeks >= 4 else 1)
    if per_day == 1:
        return core
    by_day = core.reshape(7, per_day)
    filled = np.zeros_like(by_day)
    for weekday in range(7):
        open_slots = np.flatnonzero(by_day[weekday])
        if len(open_slots):
            filled[weekday, open_slots[0]:open_slots[-1] + 1] = True
    return filled.reshape(-1)


def business_hours_mask(times: pd.DatetimeIndex, hours: dict[str, tuple[tuple[int, int], ...]]) -> np.ndarray:
    """Open intervals by the settings' business hours: weekday key (calendar.WEEKDAY_KEYS) -> ((open
    minute, close minute), ...) in local clock time."""
    naive = times.tz_localize(None)
    minute = (naive.hour * 60 + naive.minute).to_numpy()
    weekday = naive.day_of_week.to_numpy()
    mask = np.zeros(len(times), dtype=bool)
    for number, name in enumerate(calendar.WEEKDAY_KEYS):
        for opens, closes in hours.get(name, ()):
            mask |= (weekday == number) & (minute >= opens) & (minute < closes)
    return mask
