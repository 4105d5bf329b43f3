"""A forecast from the store: the selection's history read onto its grids, every candidate
backtested, their combination (cxdash.forecast.combine) forecasting, with its prediction interval from
its own backtest errors and the handle time of each interval."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from cxdash import accuracy, calendar
from cxdash.forecast import combine
from cxdash.forecast.aht import aht_forecast
from cxdash.forecast.backtest import Backtest, Progress, backtest
from cxdash.forecast.grid import OPEN_WEEKS, ForecastError, Grid, Request, build_grid
from cxdash.forecast.models import (
    INTRADAY_WINDOW_WEEKS,
    LEVEL,
    Candidate,
    Prediction,
    candidates,
    model_label,
)


@dataclass
class Forecast:
    """A forecast: its rows (open intervals only), the backtest behind it (the combination's own rows
    included, as model "combined"), and how the candidates were combined."""

    request: Request
    model: str
    rows: pd.DataFrame  # ts, yhat, yhat_lower, yhat_upper, model, aht_seconds
    backtest: Backtest
    interval_source: str  # "model" or "backtest errors"
    seconds: float
    combination: combine.Combination | None = None

    def accuracy_table(self) -> pd.DataFrame:
        table = self.backtest.table()
        table.insert(1, "chosen", table["model"] == self.model)
        table.insert(1, "label", table["model"].map(model_label))
        return table


def load_grids(store, request: Request) -> tuple[Grid, Grid | None]:
    """The request's grid (and for intervals, the daily grid the top-down candidates use)."""
    timezone = store.settings.timezone
    params = dict(timezone=timezone, channels=list(request.channels), queues=list(request.queues),
                  before=calendar.local_midnight(request.as_of, timezone).to_pydatetime())
    daily_frame = store.query("forecast_series", minutes=1440, **params)
    days = build_grid(daily_frame, request, store.settings, minutes=1440)
    if request.grain == "day":
        return days, None
    # the intraday models need only the recent weeks: the regression's window and the backtest
    first = max(request.as_of - timedelta(weeks=INTRADAY_WINDOW_WEEKS + OPEN_WEEKS + 1),
                calendar.date_of(days.day[0]))
    frame = store.query("forecast_series", minutes=request.minutes, **params)
    frame = frame[pd.to_datetime(frame["slot"], utc=True) >= calendar.local_midnight(first, timezone)]
    return build_grid(frame, request, store.settings, first=first), days


def make_forecast(store, request: Request, progress: Progress | None = None,
                  models: list[Candidate] | None = None) -> Forecast:
    """Backtest every candidate (default: the grain's) and forecast with their combination
    (cxdash.forecast.combine); its 80% interval comes from its own backtest errors."""
    report = progress or (lambda fraction, message: None)
    started = time.perf_counter()
    report(0.0, f"Reading the history of {request.label()}")
    grid, days = load_grids(store, request)
    models = models if models is not None else candidates(request.grain)
    tested = backtest(grid, days, request, lambda f, m: report(0.05 + 0.8 * f, m), models=models)
    combination = combined_backtest(tested, models)
    stop = len(grid.times)
    leads = grid.day[grid.n_history:] - grid.day[grid.n_history]
    predictions: dict[str, Prediction] = {}

    def forecast_with(name: str) -> bool:
        candidate = next((c for c in models if c.name == name), None)
        if candidate is None:
            return False
        report(0.9, f"Forecasting with {candidate.label}")
        try:
            candidate.start(grid, grid.n_history, days)
            predictions[name] = candidate.forecast(grid.n_history, stop)
        except (ValueError, ArithmeticError, np.linalg.LinAlgError) as error:
            tested.failed[name] = f"{type(error).__name__}: {error} (when forecasting)"
        return name in predictions

    for name in combination.models:
        forecast_with(name)
    if not predictions:  # the caller's own candidates, none combined: the best that can forecast
        next((name for name in tested.ranked() if forecast_with(name)), None)
    if combine.ANCHOR in predictions:
        # a member that could not forecast leaves its groups to the others
        mean = combination.apply({name: p.mean for name, p in predictions.items()}, leads)
        model, lower, upper = combine.NAME, None, None
    elif predictions:  # candidates of the caller's own, without the 4-week average: the best alone
        model = next(iter(predictions))
        mean, lower, upper = predictions[model].mean, predictions[model].lower, predictions[model].upper
    else:
        raise ForecastError(f"no candidate could forecast {request.label()} from {request.as_of}")
    # where the average has no value (four closed weeks), the best candidate that has one
    for prediction in predictions.values():
        mean = np.where(np.isnan(mean), prediction.mean, mean)
    source = "model"
    if lower is None:
        lower, upper = accuracy.backtest_interval(mean, tested.rows[tested.rows["model"] == model], LEVEL)
        source = "backtest errors"
    future = np.arange(grid.n_history, stop)
    rows = pd.DataFrame({"ts": grid.times[future], "yhat": mean, "yhat_lower": lower,
                         "yhat_upper": upper, "model": model,
                         "aht_seconds": aht_forecast(grid, grid.n_history, stop)})
    rows = rows[grid.is_open[future]].reset_index(drop=True)
    report(1.0, "Done")
    return Forecast(request, model, rows, tested, source, time.perf_counter() - started,
                    combination if model == combine.NAME else None)


def combined_backtest(tested: Backtest, models: list[Candidate]) -> combine.Combination:
    """The combination of the candidates marked `combined`, with its guard decided on the backtest, and
    its own rows added to the backtest (model "combined")."""
    candidates_rows = tested.rows[tested.rows["model"] != combine.NAME]
    combination = combine.fit(candidates_rows, tuple(c.name for c in models if c.combined))
    tested.rows = pd.concat([candidates_rows, combine.backtest_rows(combination, candidates_rows)],
                            ignore_index=True)
    tested.seconds.setdefault(combine.NAME, 0.0)
    return combination


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
        models = candidates(grain)
        tested = backtest(grid, days, request, models=models)
        combined_backtest(tested, models)
        return tested, combine.NAME
    return store.remember(("selection_backtest", grain, tuple(channels), tuple(queues), as_of), compute)
