"""The candidate models a forecast chooses from.

Two benchmarks that are hard to beat (the same interval last week; the average of the same interval
over the last four weeks) carry `benchmark = True`: a chosen model is judged against the better of
them. The statsmodels candidates suit call arrivals: a regression on log counts (time-of-day
Fourier terms, weekday, holidays and the user's special days; yearly Fourier terms and a trend for
days) with SARIMAX AR(2) errors, and exponential smoothing (ETS, Holt-Winters' additive damped form)
of log daily totals. At 15 and 30 minutes the daily models also forecast the day, split into
intervals by the weekday's recent intraday profile ("top-down").
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

from cxdash import calendar
from cxdash.forecast.grid import Grid

INTRADAY_WINDOW_WEEKS = 16  # the intraday regression learns from 16 weeks before its first origin
DAILY_WINDOW_DAYS = 730  # the daily models learn from up to two years
PROFILE_WEEKS = 4  # the benchmarks and the AHT forecast average the last four weeks
SPLIT_WEEKS = 8  # the top-down split: each interval's share of its day over the last eight weeks
YEARLY_MIN_DAYS = 730  # yearly Fourier terms need two years of days to be told from a trend or noise
TREND_MIN_DAYS = 365  # a trend needs a year: over a few months it extrapolates a season or a blip
RIDGE = 1.0  # the regression's ridge penalty on log counts (thousands of rows: a light touch)
MAX_LOG = np.log(1e7)  # no interval's forecast exceeds ten million contacts
LEVEL = 0.8  # prediction intervals hold 80% of outcomes (a planner staffs to the upper bound)


@dataclass
class Prediction:
    mean: np.ndarray
    lower: np.ndarray | None = None  # None: the interval comes from the candidate's backtest errors
    upper: np.ndarray | None = None


class Candidate:
    """A forecasting method. `start` learns from history before a position; `forecast` predicts the
    positions [origin, stop) from what arrived before `origin` (origins only move forward).
    `benchmark` marks the simple methods a forecast is compared with; `combined` the candidates whose
    equal-weight mean is the forecast (cxdash.forecast.combine)."""

    name = ""
    label = ""
    description = ""
    benchmark = False
    combined = False

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
    benchmark = True

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
    benchmark = True
    combined = True

    def forecast(self, origin: int, stop: int) -> Prediction:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all four weeks closed: NaN
            return Prediction(np.nanmean(_same_weeks(self.grid, origin, stop, PROFILE_WEEKS), axis=1))


def _features(grid: Grid, positions: np.ndarray, event_names: list[str], span_days: int = 0) -> np.ndarray:
    """Deterministic regressors: intercept; for days, weekday, and with `span_days` of training history
    yearly Fourier terms (two years) and a trend (one year); for intervals, time-of-day Fourier terms
    (apart for weekends), weekday; holidays and special days. On real series of a few months, yearly
    terms and a trend fitted to them extrapolate a season that is not there (bench/forecast_real.py)."""
    naive = grid.times[positions].tz_localize(None)
    weekday = naive.day_of_week.to_numpy()
    columns = [np.ones(len(positions))]
    columns += [(weekday == d).astype(float) for d in range(1, 7)]
    if grid.minutes == 1440:
        year = naive.day_of_year.to_numpy() / 365.25
        if span_days >= YEARLY_MIN_DAYS:
            for k in range(1, 5):
                columns += [np.sin(2 * np.pi * k * year), np.cos(2 * np.pi * k * year)]
        if span_days >= TREND_MIN_DAYS:
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
    combined = True

    def start(self, grid: Grid, origin: int, days: Grid | None = None) -> None:
        from statsmodels.tsa.statespace.sarimax import SARIMAX

        super().start(grid, origin, days)
        window = DAILY_WINDOW_DAYS if grid.minutes == 1440 else INTRADAY_WINDOW_WEEKS * grid.week
        begin = max(origin - window, 0)
        train = np.arange(begin, origin)
        self.span_days = (origin - begin) * grid.minutes // 1440
        self.effects: dict[str, float] = {}
        if grid.minutes < 1440 and days is not None:
            # intervals learn from a few months, which seldom hold last year's holidays and sales:
            # their effects come from the daily regression over two years, as a fixed offset
            daily = RegressionAR()
            daily.start(days, days.day_start(calendar.date_of(grid.day[origin])))
            if daily.events:
                self.effects = dict(zip(daily.events, daily.beta[-len(daily.events):], strict=True))
        target = np.log1p(grid.y[train]) - self._offset(train)
        known = ~np.isnan(target)
        # an event that never happened in the window cannot be learned: it is left out
        self.events = [] if self.effects else [
            name for name in grid.events.columns if grid.events[name].to_numpy()[train][known].any()]
        design = _features(grid, train, self.events, self.span_days)
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
            - _features(self.grid, positions, self.events, self.span_days) @ self.beta

    def forecast(self, origin: int, stop: int) -> Prediction:
        if origin > self.position:
            self.results = self.results.extend(self._residuals(self.position, origin))
            self.position = origin
        predicted = self.results.get_forecast(stop - origin)
        mean = np.asarray(predicted.predicted_mean)
        spread = np.sqrt(np.asarray(predicted.var_pred_mean))
        positions = np.arange(origin, stop)
        base = _features(self.grid, positions, self.events, self.span_days) @ self.beta \
            + self._offset(positions) + mean
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
        # ETS needs a value every day: a closed day takes the same weekday a week earlier, and a day
        # that stays closed (every weekend of a weekday-only operation) one constant, the mean, which
        # the weekly season absorbs. Filling it from the next or the last open day (Friday before an
        # origin) moved the level with every closed weekend (bench/forecast_real.py, the bank series).
        values = values.fillna(values.shift(7)).fillna(values.shift(14))
        values = values.fillna(values.mean() if values.notna().any() else 0.0)
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
        self.combined = daily.combined
        self.name = f"{daily.name}_x_profile"
        self.label = f"{daily.label}, split by the weekday's profile"
        self.description = daily.description + " Days split into intervals by the last eight weeks' profile."

    def start(self, grid: Grid, origin: int, days: Grid | None = None) -> None:
        super().start(grid, origin, days)
        self.daily.start(days, days.day_start(calendar.date_of(grid.day[origin])))

    def forecast(self, origin: int, stop: int) -> Prediction:
        first_day = self.days.day_start(calendar.date_of(self.grid.day[origin]))
        last_day = self.days.day_start(calendar.date_of(self.grid.day[stop - 1])) + 1
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


def candidates(grain: str) -> list[Candidate]:
    """The candidates of a grain, benchmarks first."""
    if grain == "day":
        return [LastWeek(), MeanOfWeeks(), RegressionAR(), ExponentialSmoothing()]
    return [LastWeek(), MeanOfWeeks(), RegressionAR(), TopDown(RegressionAR()),
            TopDown(ExponentialSmoothing())]


CANDIDATES = {c.name: c for c in candidates("30min")} | {c.name: c for c in candidates("day")}
BENCHMARKS = frozenset(name for name, candidate in CANDIDATES.items() if candidate.benchmark)


def model_label(name: str) -> str:
    """A candidate's name in words, or the combination's (a name not among them stays as it is)."""
    from cxdash.forecast import combine

    if name == combine.NAME:
        return combine.LABEL
    return CANDIDATES[name].label if name in CANDIDATES else name
