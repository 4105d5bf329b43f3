"""Contact forecasts per channel and queue: candidate models, a rolling-origin backtest that picks one
for each series, and the forecast with its prediction interval.

The candidates (see CANDIDATES) are the simple benchmarks that are hard to beat (the same interval
last week; the average of the same interval over the last four weeks) and statsmodels models suited
to call arrivals: a regression on log counts (time-of-day Fourier terms, weekday, holidays and the
user's special days; yearly Fourier terms and a trend for days) with SARIMAX AR(2) errors, and
exponential smoothing (ETS, Holt-Winters' additive damped form) of log daily totals. At 15 and
30 minutes the daily models also forecast the day, split into intervals by the weekday's recent
intraday profile ("top-down").

The backtest forecasts from every local midnight of the eight weeks before the as-of date, using
only what arrived before each origin. Parameters are estimated once, before the first origin; the
state-space models then `extend` their state with each day's data, ETS re-runs its filter with the
same parameters, rather than refitting at every origin (bench/ measures both). The candidate with
the lowest WAPE over the requested lead times is chosen.

Closed intervals (business hours learned from the last eight weeks, see learned_hours, or set in
the settings) and
closed days (the settings' closed dates; past days without a single contact) are neither forecast
nor scored: they are missing, never zero.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from scipy.stats import norm

from cxdash import accuracy
from cxdash.settings import Settings

GRAINS = {"day": 1440, "30min": 30, "15min": 15}
BACKTEST_DAYS = 56  # origins: every local midnight of the eight weeks before the as-of date
MAX_LEAD_DAYS = 27  # the backtest scores lead times up to four weeks
OPEN_WEEKS = 8  # an interval of the week is open when it had a contact in any of the last 8 weeks
INTRADAY_WINDOW_WEEKS = 16  # the intraday regression learns from 16 weeks before its first origin
DAILY_WINDOW_DAYS = 730  # the daily models learn from up to two years
PROFILE_WEEKS = 4  # the benchmarks and the AHT forecast average the last four weeks
SPLIT_WEEKS = 8  # the top-down split: each interval's share of its day over the last eight weeks
MIN_HISTORY_DAYS = 35  # five weeks: four for the benchmarks and one to score
RIDGE = 1.0  # the regression's ridge penalty on log counts (thousands of rows: a light touch)
MAX_LOG = np.log(1e7)  # no interval's forecast exceeds ten million contacts
Progress = Callable[[float, str], None]


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


# --- the series on its grid -----------------------------------------------------------------------

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
    day: np.ndarray = field(init=False)  # local date of each position, as an int day number
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
        number = (pd.Timestamp(day) - pd.Timestamp("1970-01-01")).days
        return int(np.searchsorted(self.day, number))

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
    """For local interval starts: the local date as a day number, and the interval of the week
    (weekday x interval of the day, by the clock)."""
    naive = times.tz_localize(None)
    day = (naive.normalize() - pd.Timestamp("1970-01-01")).days.to_numpy()
    slot = (naive.hour * 60 + naive.minute).to_numpy() // minutes
    return day, naive.day_of_week.to_numpy() * (1440 // minutes) + slot


def _calendar(settings: Settings, first: date, last: date) -> pd.DataFrame:
    from cxdash.seasonality import calendar_days

    return calendar_days(settings, first, last)


def build_grid(frame: pd.DataFrame, request: Request, settings: Settings, minutes: int | None = None,
               first: date | None = None) -> Grid:
    """The selection's grid from the rows of sql/forecast_series.sql (slot, channel, contacts, ...):
    history from the first day with contacts (or `first`) to the as-of date, and the forecast days."""
    minutes = minutes or request.minutes
    tz = settings.timezone
    zone = ZoneInfo(tz)
    frame = frame.copy()
    frame["slot"] = pd.to_datetime(frame["slot"], utc=True)
    if frame.empty:
        raise ForecastError(f"no contacts before {request.as_of} for {request.label()}")
    start_day = first or frame["slot"].min().tz_convert(tz).date()
    end_day = request.as_of + timedelta(days=request.days)  # exclusive
    if (request.as_of - start_day).days < MIN_HISTORY_DAYS:
        raise ForecastError(f"{request.label()} has {(request.as_of - start_day).days} days of history "
                            f"before {request.as_of}; a forecast needs at least {MIN_HISTORY_DAYS}")
    as_of_instant = pd.Timestamp(datetime.combine(request.as_of, datetime.min.time(), zone))
    if minutes == 1440:
        times = pd.date_range(start_day, end_day, freq="D", inclusive="left", tz=tz)
    else:
        begin = pd.Timestamp(datetime.combine(start_day, datetime.min.time(), zone)).tz_convert("UTC")
        end = pd.Timestamp(datetime.combine(end_day, datetime.min.time(), zone)).tz_convert("UTC")
        times = pd.date_range(begin, end, freq=f"{minutes}min", inclusive="left").tz_convert(tz)
    n_history = int(np.searchsorted(times.tz_convert("UTC"), as_of_instant.tz_convert("UTC")))
    utc = times.tz_convert("UTC")

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
    closed_dates = {(pd.Timestamp(d) - pd.Timestamp("1970-01-01")).days for d in settings.closed_dates}
    is_open &= ~np.isin(day, list(closed_dates))
    # a past day without a single contact was closed (a holiday closure, an outage), not quiet
    history_days = pd.Series(contacts[:n_history]).groupby(day[:n_history]).sum()
    empty_days = history_days.index[history_days.to_numpy() == 0]
    is_open[:n_history] &= ~np.isin(day[:n_history], empty_days)
    y = np.where(is_open, contacts, np.nan)
    handled = column("handled", frame)
    handle_seconds = column("handle_seconds", frame)

    calendar = _calendar(settings, start_day, end_day)
    events = pd.DataFrame(index=range(len(times)))
    if not calendar.empty:
        for name, rows in calendar.groupby("name", sort=True):
            days = [(pd.Timestamp(d) - pd.Timestamp("1970-01-01")).days for d in rows["day"]]
            events[str(name)] = np.isin(day, days).astype(float)
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


WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def business_hours_mask(times: pd.DatetimeIndex, hours: dict[str, tuple[tuple[int, int], ...]]) -> np.ndarray:
    """Open intervals by the settings' business hours: weekday name -> ((open minute, close minute), ...)
    in local clock time."""
    naive = times.tz_localize(None)
    minute = (naive.hour * 60 + naive.minute).to_numpy()
    weekday = naive.day_of_week.to_numpy()
    mask = np.zeros(len(times), dtype=bool)
    for number, name in enumerate(WEEKDAY_NAMES):
        for opens, closes in hours.get(name, ()):
            mask |= (weekday == number) & (minute >= opens) & (minute < closes)
    return mask


# --- candidates -----------------------------------------------------------------------------------

@dataclass
class Prediction:
    mean: np.ndarray
    lower: np.ndarray | None = None  # None: the interval comes from the candidate's backtest errors
    upper: np.ndarray | None = None


class Candidate:
    """A forecasting method. `start` learns from history before a position; `forecast` predicts the
    positions [origin, stop) from what arrived before `origin` (origins only move forward)."""

    name = ""
    label = ""
    description = ""

    def start(self, grid: Grid, origin: int, days: Grid | None = None) -> None:
        self.grid, self.days = grid, days

    def forecast(self, origin: int, stop: int) -> Prediction:
        raise NotImplementedError


def _same_weeks(grid: Grid, origin: int, stop: int, count: int) -> np.ndarray:
    """For positions [origin, stop): the values of the same local interval in the `count` most recent
    weeks before the origin (columns; NaN when missing)."""
    positions = np.arange(origin, stop)
    weeks_needed = (positions - origin) // grid.week + 1  # the first whole week back before origin
    columns = []
    for extra in range(count):
        values = np.full(len(positions), np.nan)
        for weeks in np.unique(weeks_needed + extra):
            back = _weeks_back_cached(grid, int(weeks))[positions]
            chosen = (weeks_needed + extra == weeks) & (back >= 0) & (back < origin)
            values[chosen] = grid.y[back[chosen]]
        columns.append(values)
    return np.column_stack(columns)


def _weeks_back_cached(grid: Grid, weeks: int) -> np.ndarray:
    cache = grid.__dict__.setdefault("_weeks_back", {})
    if weeks not in cache:
        cache[weeks] = grid.weeks_back(weeks)
    return cache[weeks]


class LastWeek(Candidate):
    name = "last_week"
    label = "Same interval last week"
    description = ("The count of the same interval a week earlier (for leads beyond a week, the latest "
                   "week known).")

    def forecast(self, origin: int, stop: int) -> Prediction:
        values = _same_weeks(self.grid, origin, stop, PROFILE_WEEKS)
        first = values[:, 0]
        # a closed or missing interval last week: the most recent of the earlier weeks
        for column in range(1, values.shape[1]):
            first = np.where(np.isnan(first), values[:, column], first)
        return Prediction(first)


class MeanOfWeeks(Candidate):
    name = "mean_4_weeks"
    label = "Average of the last 4 weeks"
    description = "The mean of the same interval over the four most recent weeks known."

    def forecast(self, origin: int, stop: int) -> Prediction:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all four weeks closed: NaN
            return Prediction(np.nanmean(_same_weeks(self.grid, origin, stop, PROFILE_WEEKS), axis=1))


def _features(grid: Grid, positions: np.ndarray, event_names: list[str]) -> np.ndarray:
    """Deterministic regressors: intercept; for days, weekday, yearly Fourier terms and a trend; for
    intervals, time-of-day Fourier terms (apart for weekends), weekday; holidays and special days."""
    naive = grid.times[positions].tz_localize(None)
    weekday = naive.day_of_week.to_numpy()
    columns = [np.ones(len(positions))]
    columns += [(weekday == d).astype(float) for d in range(1, 7)]
    if grid.minutes == 1440:
        year = naive.day_of_year.to_numpy() / 365.25
        for k in range(1, 5):
            columns += [np.sin(2 * np.pi * k * year), np.cos(2 * np.pi * k * year)]
        columns.append(grid.day[positions] / 365.25 - grid.day[0] / 365.25)
    else:
        clock = (naive.hour * 60 + naive.minute).to_numpy() / 1440.0
        weekend = (weekday >= 5).astype(float)
        for k in range(1, min(10, grid.per_day // 4) + 1):
            sine, cosine = np.sin(2 * np.pi * k * clock), np.cos(2 * np.pi * k * clock)
            columns += [sine, cosine, sine * weekend, cosine * weekend]
    for name in event_names:
        columns.append(grid.events[name].to_numpy()[positions])
    return np.column_stack(columns)


class RegressionAR(Candidate):
    """log(1 + count) = deterministic regressors + AR(2) errors (SARIMAX). The regression is solved
    by least squares on the training window; the errors' state extends origin by origin."""

    name = "regression_ar"
    label = "Regression + AR errors (SARIMAX)"
    description = ("Log counts on time-of-day Fourier terms, weekday, holidays and special days "
                   "(days: yearly Fourier terms and a trend), with SARIMAX AR(2) errors. Intervals take "
                   "the holiday effects the daily model learns from two years.")
    order = (2, 0, 0)

    def start(self, grid: Grid, origin: int, days: Grid | None = None) -> None:
        from statsmodels.tsa.statespace.sarimax import SARIMAX

        super().start(grid, origin, days)
        window = DAILY_WINDOW_DAYS if grid.minutes == 1440 else INTRADAY_WINDOW_WEEKS * grid.week
        begin = max(origin - window, 0)
        train = np.arange(begin, origin)
        self.effects: dict[str, float] = {}
        if grid.minutes < 1440 and days is not None:
            # intervals learn from a few months, which seldom hold last year's holidays and sales:
            # their effects come from the daily regression over two years, as a fixed offset
            daily = RegressionAR()
            daily.start(days, days.day_start(_date(grid.day[origin])))
            if daily.events:
                self.effects = dict(zip(daily.events, daily.beta[-len(daily.events):], strict=True))
        target = np.log1p(grid.y[train]) - self._offset(train)
        known = ~np.isnan(target)
        # an event that never happened in the window cannot be learned: it is left out
        self.events = [] if self.effects else [
            name for name in grid.events.columns if grid.events[name].to_numpy()[train][known].any()]
        design = _features(grid, train, self.events)
        # least squares with a light ridge: Fourier terms of a channel open a few hours a day are
        # nearly collinear where it is open, and must not swing wildly where it is closed
        fitted = design[known]
        penalty = RIDGE * np.eye(fitted.shape[1])
        penalty[0, 0] = 0.0  # the intercept is not shrunk
        self.beta = np.linalg.lstsq(fitted.T @ fitted + penalty, fitted.T @ target[known], rcond=None)[0]
        residual = target - design @ self.beta
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.results = SARIMAX(residual, order=self.order).fit(disp=False)
        self.position = origin

    def _offset(self, positions: np.ndarray) -> np.ndarray:
        """The holiday and special-day effects taken from the daily model (log scale)."""
        offset = np.zeros(len(positions))
        for name, effect in self.effects.items():
            if name in self.grid.events:
                offset += effect * self.grid.events[name].to_numpy()[positions]
        return offset

    def _residuals(self, begin: int, end: int) -> np.ndarray:
        positions = np.arange(begin, end)
        return np.log1p(self.grid.y[positions]) - self._offset(positions) \
            - _features(self.grid, positions, self.events) @ self.beta

    def forecast(self, origin: int, stop: int) -> Prediction:
        if origin > self.position:
            self.results = self.results.extend(self._residuals(self.position, origin))
            self.position = origin
        predicted = self.results.get_forecast(stop - origin)
        mean = np.asarray(predicted.predicted_mean)
        spread = np.sqrt(np.asarray(predicted.var_pred_mean))
        positions = np.arange(origin, stop)
        base = _features(self.grid, positions, self.events) @ self.beta + self._offset(positions) + mean
        base = np.where(self.grid.is_open[origin:stop], np.minimum(base, MAX_LOG), np.nan)
        spread = np.minimum(spread, MAX_LOG / 4)
        z = norm.ppf(0.5 + LEVEL / 2)
        # the mean of a log-normal count, and the interval's bounds on the count scale
        return Prediction(np.maximum(np.expm1(base + spread ** 2 / 2), 0),
                          np.maximum(np.expm1(base - z * spread), 0), np.expm1(base + z * spread))


class ExponentialSmoothing(Candidate):
    """ETS(A, Ad, A) on log daily totals with a weekly season: Holt-Winters' additive damped method
    with a likelihood, so it has prediction intervals. Fitted once; later origins re-run the filter
    with the same parameters."""

    name = "holt_winters"
    label = "Holt-Winters (ETS) on daily totals"
    description = "Exponential smoothing of log daily totals: damped trend, weekly season."

    def start(self, grid: Grid, origin: int, days: Grid | None = None) -> None:
        super().start(grid, origin, days)
        # the window's start stays put, so the fitted initial states stay valid at later origins
        self.begin = max(origin - DAILY_WINDOW_DAYS, 0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.params = self._model(origin).fit(disp=False).params

    def _model(self, origin: int):
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel

        values = pd.Series(np.log1p(self.grid.y[self.begin:origin]))
        # ETS needs a value every day: a closed day takes the same weekday a week earlier
        values = values.fillna(values.shift(7)).bfill().ffill()
        return ETSModel(values, error="add", trend="add", damped_trend=True, seasonal="add",
                        seasonal_periods=7)

    def forecast(self, origin: int, stop: int) -> Prediction:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = self._model(origin)
            results = model.smooth(self.params)
            frame = results.get_prediction(start=model.nobs, end=model.nobs + stop - origin - 1) \
                .summary_frame(alpha=1 - LEVEL)
        return Prediction(np.maximum(np.expm1(frame["mean"].to_numpy()), 0),
                          np.maximum(np.expm1(frame["pi_lower"].to_numpy()), 0),
                          np.expm1(frame["pi_upper"].to_numpy()))


class TopDown(Candidate):
    """A daily model's forecast of each day, split into intervals by the weekday's intraday profile:
    each interval's share of its day over the last eight weeks."""

    def __init__(self, daily: Candidate):
        self.daily = daily
        self.name = f"{daily.name}_x_profile"
        self.label = f"{daily.label}, split by the weekday's profile"
        self.description = daily.description + " Days split into intervals by the last eight weeks' profile."

    def start(self, grid: Grid, origin: int, days: Grid | None = None) -> None:
        super().start(grid, origin, days)
        self.daily.start(days, days.day_start(_date(grid.day[origin])))

    def forecast(self, origin: int, stop: int) -> Prediction:
        first_day = self.days.day_start(_date(self.grid.day[origin]))
        last_day = self.days.day_start(_date(self.grid.day[stop - 1])) + 1
        totals = self.daily.forecast(first_day, last_day).mean
        recent = _same_weeks(self.grid, origin, stop, SPLIT_WEEKS)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mean_of_slot = np.nanmean(recent, axis=1)
        mean_of_slot = np.where(self.grid.is_open[origin:stop], np.nan_to_num(mean_of_slot), np.nan)
        day_of = self.grid.day[origin:stop]
        day_sum = pd.Series(mean_of_slot).groupby(day_of).transform("sum").to_numpy()
        share = np.divide(mean_of_slot, day_sum, out=np.zeros_like(mean_of_slot), where=day_sum > 0)
        day_total = totals[day_of - self.days.day[first_day]]
        return Prediction(share * day_total)


def _date(number: int) -> date:
    return date(1970, 1, 1) + timedelta(days=int(number))


LEVEL = 0.8  # prediction intervals hold 80% of outcomes (a planner staffs to the upper bound)


def candidates(grain: str) -> list[Candidate]:
    """The candidates of a grain, benchmarks first."""
    if grain == "day":
        return [LastWeek(), MeanOfWeeks(), RegressionAR(), ExponentialSmoothing()]
    return [LastWeek(), MeanOfWeeks(), RegressionAR(), TopDown(RegressionAR()),
            TopDown(ExponentialSmoothing())]


CANDIDATES = {c.name: c for c in candidates("30min")} | {c.name: c for c in candidates("day")}


def model_label(name: str) -> str:
    """A candidate's name in words (a name not among the candidates stays as it is)."""
    return CANDIDATES[name].label if name in CANDIDATES else name


# --- backtest and forecast ------------------------------------------------------------------------

@dataclass
class Backtest:
    """Every candidate's forecasts from every origin, beside the actuals (open intervals only)."""

    rows: pd.DataFrame  # model, origin (date), ts, lead_days, actual, forecast
    seconds: dict[str, float]  # time each candidate took
    lead_days: int  # leads 0..lead_days are scored
    failed: dict[str, str] = field(default_factory=dict)  # candidates that could not be fitted, why

    def table(self) -> pd.DataFrame:
        """One row per candidate: WAPE, MAPE, bias overall and by lead (same day, day ahead, week ahead)."""
        out = []
        for name, rows in self.rows.groupby("model", sort=False):
            entry = {"model": name, **accuracy.scores(rows["actual"], rows["forecast"])}
            for lead, label in accuracy.LEADS.items():
                chosen = rows[rows["lead_days"] == lead]
                entry[f"wape_{label}"] = accuracy.scores(chosen["actual"], chosen["forecast"])["wape"] \
                    if len(chosen) else np.nan
            entry["seconds"] = self.seconds.get(name, np.nan)
            out.append(entry)
        return pd.DataFrame(out)


def backtest(grid: Grid, days: Grid | None, request: Request, progress: Progress | None = None,
             refit: bool = False, models: list[Candidate] | None = None) -> Backtest:
    """Forecast from every local midnight of the eight weeks before the as-of date with each
    candidate (default: the grain's), using only contacts before each origin. `refit=True`
    re-estimates every model at every origin (slow: for the benchmark's comparison only)."""
    report = progress or (lambda fraction, message: None)
    if not grid.is_open[:grid.n_history].any():
        raise ForecastError(f"{request.label()} has too few contacts before {request.as_of} to tell "
                            "when it is open: set its business hours in the settings ([forecast])")
    lead_days = min(request.horizon_days, MAX_LEAD_DAYS)
    first_origin = max(request.as_of - timedelta(days=BACKTEST_DAYS),
                       _date(grid.day[0]) + timedelta(days=PROFILE_WEEKS * 7))
    origins = [first_origin + timedelta(days=d) for d in range((request.as_of - first_origin).days)]
    if not origins:
        raise ForecastError("not enough history to backtest: at least five weeks are needed")
    if not np.nansum(grid.y[grid.day_start(origins[0]):grid.n_history]):
        raise ForecastError(f"{request.label()} had no contacts in the eight weeks before "
                            f"{request.as_of}: there is nothing to test the candidates on")
    frames, seconds, failed = [], {}, {}
    models = models if models is not None else candidates(request.grain)
    for number, candidate in enumerate(models):
        report(number / len(models), f"Backtesting {candidate.label} ({number + 1} of {len(models)})")
        started = time.perf_counter()
        positions, forecasts, origin_of = [], [], []
        try:
            for index, origin_day in enumerate(origins):
                origin = grid.day_start(origin_day)
                stop = min(grid.day_start(origin_day + timedelta(days=lead_days + 1)), grid.n_history)
                if stop <= origin:
                    continue
                if index == 0 or refit:
                    candidate.start(grid, origin, days)
                predicted = candidate.forecast(origin, stop)
                positions.append(np.arange(origin, stop))
                forecasts.append(predicted.mean)
                origin_of.append(np.full(stop - origin, (origin_day - date(1970, 1, 1)).days))
        except (ValueError, ArithmeticError, np.linalg.LinAlgError) as error:
            # a model that cannot be fitted to this series drops out; the others still compete
            failed[candidate.name] = f"{type(error).__name__}: {error}"
            continue
        seconds[candidate.name] = time.perf_counter() - started
        position = np.concatenate(positions)
        origin_number = np.concatenate(origin_of)
        frame = pd.DataFrame({
            "model": candidate.name, "origin": origin_number, "position": position,
            "lead_days": grid.day[position] - origin_number,
            "actual": grid.y[position], "forecast": np.concatenate(forecasts)})
        frames.append(frame[grid.is_open[position] & ~np.isnan(grid.y[position])])
    if not frames:
        raise ForecastError(f"no candidate could be fitted to {request.label()}: "
                            + "; ".join(f"{name}: {reason}" for name, reason in failed.items()))
    rows = pd.concat(frames, ignore_index=True)
    rows["ts"] = grid.times[rows["position"].to_numpy()]
    rows["origin"] = pd.to_datetime(rows["origin"], unit="D").dt.date
    return Backtest(rows.drop(columns="position"), seconds, lead_days, failed)


@dataclass
class Forecast:
    """A forecast: its rows (open intervals only), the backtest behind the choice, and the history."""

    request: Request
    model: str
    rows: pd.DataFrame  # ts, yhat, yhat_lower, yhat_upper, model, aht_seconds
    backtest: Backtest
    interval_source: str  # "model" or "backtest errors"
    seconds: float

    def accuracy_table(self) -> pd.DataFrame:
        table = self.backtest.table()
        table.insert(1, "chosen", table["model"] == self.model)
        table.insert(1, "label", table["model"].map(model_label))
        return table


def load_grids(store, request: Request) -> tuple[Grid, Grid | None]:
    """The request's grid (and for intervals, the daily grid the top-down candidates use)."""
    before = datetime.combine(request.as_of, datetime.min.time(), ZoneInfo(store.settings.timezone))
    params = dict(timezone=store.settings.timezone, channels=list(request.channels),
                  queues=list(request.queues), before=before)
    daily_frame = store.query("forecast_series", minutes=1440, **params)
    days = build_grid(daily_frame, request, store.settings, minutes=1440)
    if request.grain == "day":
        return days, None
    # the intraday models need only the recent weeks: the regression's window and the backtest
    first = max(request.as_of - timedelta(weeks=INTRADAY_WINDOW_WEEKS + OPEN_WEEKS + 1), _date(days.day[0]))
    after = datetime.combine(first, datetime.min.time(), ZoneInfo(store.settings.timezone))
    frame = store.query("forecast_series", minutes=request.minutes, **params)
    frame = frame[pd.to_datetime(frame["slot"], utc=True) >= pd.Timestamp(after).tz_convert("UTC")]
    return build_grid(frame, request, store.settings, first=first), days


def make_forecast(store, request: Request, progress: Progress | None = None,
                  models: list[Candidate] | None = None) -> Forecast:
    """Backtest every candidate (default: the grain's), choose the one with the lowest WAPE, forecast
    with it."""
    report = progress or (lambda fraction, message: None)
    started = time.perf_counter()
    report(0.0, f"Reading the history of {request.label()}")
    grid, days = load_grids(store, request)
    models = models if models is not None else candidates(request.grain)
    tested = backtest(grid, days, request, lambda f, m: report(0.05 + 0.8 * f, m), models=models)
    ranked = tested.table().sort_values(["wape", "model"])["model"].tolist()
    stop = len(grid.times)
    for best in ranked:  # the most accurate that can be fitted to the latest data
        chosen = next(c for c in models if c.name == best)
        report(0.9, f"Forecasting with {chosen.label}")
        try:
            chosen.start(grid, grid.n_history, days)
            predicted = chosen.forecast(grid.n_history, stop)
            break
        except (ValueError, ArithmeticError, np.linalg.LinAlgError) as error:
            tested.failed[best] = f"{type(error).__name__}: {error} (when forecasting)"
    else:
        raise ForecastError(f"no candidate could forecast {request.label()} from {request.as_of}")
    lower, upper, source = predicted.lower, predicted.upper, "model"
    if lower is None:
        lower, upper = accuracy.empirical_interval(
            predicted.mean, grid.day[grid.n_history:] - grid.day[grid.n_history],
            tested.rows[tested.rows["model"] == best], LEVEL)
        source = "backtest errors"
    future = np.arange(grid.n_history, stop)
    rows = pd.DataFrame({"ts": grid.times[future], "yhat": predicted.mean, "yhat_lower": lower,
                         "yhat_upper": upper, "model": best,
                         "aht_seconds": aht_forecast(grid, grid.n_history, stop)})
    rows = rows[grid.is_open[future]].reset_index(drop=True)
    report(1.0, "Done")
    return Forecast(request, best, rows, tested, source, time.perf_counter() - started)


def aht_forecast(grid: Grid, origin: int, stop: int) -> np.ndarray:
    """Handle time per handled contact for each interval: the same interval of the week over the last
    four weeks (handle seconds over handled contacts), else the weekday's, else the four weeks'."""
    recent = np.arange(max(origin - PROFILE_WEEKS * grid.week, 0), origin)
    frame = pd.DataFrame({"key": grid.week_key[recent], "weekday": grid.week_key[recent] // grid.per_day,
                          "handled": grid.handled[recent], "seconds": grid.handle_seconds[recent]})
    by_key = frame.groupby("key")[["handled", "seconds"]].sum()
    by_weekday = frame.groupby("weekday")[["handled", "seconds"]].sum()
    overall = frame["seconds"].sum() / frame["handled"].sum() if frame["handled"].sum() else np.nan
    keys = grid.week_key[origin:stop]
    per_key = (by_key["seconds"] / by_key["handled"].where(by_key["handled"] > 0)).reindex(keys).to_numpy()
    per_day = (by_weekday["seconds"] / by_weekday["handled"].where(by_weekday["handled"] > 0)) \
        .reindex(keys // grid.per_day).to_numpy()
    return np.where(np.isnan(per_key), np.where(np.isnan(per_day), overall, per_day), per_key)


def default_as_of(last_day: date | None, today: date) -> date:
    """The as-of date a planner means by default: today, or the day after the data ends when the
    data stops earlier (an export from last month forecasts from where it stops)."""
    if last_day is None:
        return today
    return min(today, last_day + timedelta(days=1))


def selection_backtest(store, grain: str, channels: tuple[str, ...], queues: tuple[str, ...],
                       as_of: date) -> tuple[Backtest, str]:
    """The backtest of a selection as of a date (leads up to a week), with the model it would
    choose: accuracy history for a new install before any forecast is stored. Kept with the store."""
    def compute():
        request = Request(grain, as_of, 7, tuple(channels), tuple(queues))
        grid, days = load_grids(store, request)
        tested = backtest(grid, days, request)
        return tested, tested.table().sort_values(["wape", "model"]).iloc[0]["model"]
    return store.remember(("selection_backtest", grain, tuple(channels), tuple(queues), as_of), compute)


def patience_seconds(store, channels: tuple[str, ...], queues: tuple[str, ...], as_of: date,
                     weeks: int = OPEN_WEEKS) -> float | None:
    """Mean customer patience of the live queues over the weeks before the as-of date, for Erlang A:
    time waited by every live offered contact (answered or not) over the abandons, the exponential
    model's estimate with censoring. None without abandons (patience cannot be told)."""
    zone = ZoneInfo(store.settings.timezone)
    frame = store.query_once("forecast_series", minutes=1440, timezone=store.settings.timezone,
                             channels=tuple(channels), queues=tuple(queues),
                             before=datetime.combine(as_of, datetime.min.time(), zone))
    start = pd.Timestamp(datetime.combine(as_of - timedelta(weeks=weeks), datetime.min.time(), zone))
    recent = frame[pd.to_datetime(frame["slot"], utc=True) >= start.tz_convert("UTC")]
    abandoned = recent["live_abandoned"].sum()
    if abandoned < 20:  # too few abandons to estimate patience from
        return None
    return float(recent["live_queue_seconds"].sum() / abandoned)
