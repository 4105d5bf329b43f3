"""A forecast from the store: the selection's history read onto its grids, every candidate
backtested, the one with the lowest WAPE forecasting, with its prediction interval and the handle
time of each interval."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from cxdash import accuracy, calendar
from cxdash.forecast.aht import aht_forecast
from cxdash.forecast.backtest import Backtest, Progress, backtest
from cxdash.forecast.grid import OPEN_WEEKS, ForecastError, Grid, Request, build_grid
from cxdash.forecast.models import INTRADAY_WINDOW_WEEKS, LEVEL, Candidate, candidates, model_label


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
    """Backtest every candidate (default: the grain's), choose the one with the lowest WAPE, forecast
    with it."""
    report = progress or (lambda fraction, message: None)
    started = time.perf_counter()
    report(0.0, f"Reading the history of {request.label()}")
    grid, days = load_grids(store, request)
    models = models if models is not None else candidates(request.grain)
    tested = backtest(grid, days, request, lambda f, m: report(0.05 + 0.8 * f, m), models=models)
    stop = len(grid.times)
    for best in tested.ranked():  # the most accurate that can be fitted to the latest data
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
        return tested, tested.best()
    return store.remember(("selection_backtest", grain, tuple(channels), tuple(queues), as_of), compute)
