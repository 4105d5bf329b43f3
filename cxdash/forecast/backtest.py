"""The rolling-origin backtest: every candidate forecasts from every local midnight of the eight
weeks before the as-of date, using only what arrived before each origin, and is scored on the open
intervals that followed.

Parameters are estimated once, before the first origin; the state-space models then `extend` their
state with each day's data, ETS re-runs its filter with the same parameters, rather than refitting
at every origin (bench/ measures both). The rows are the long-form result every accuracy figure is
computed from (cxdash.accuracy): ts, model, as_of (the origin's date), lead (days after it), yhat,
actual.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
import pandas as pd

from cxdash import accuracy, calendar
from cxdash.forecast.grid import ForecastError, Grid, Request
from cxdash.forecast.models import PROFILE_WEEKS, Candidate, candidates

BACKTEST_DAYS = 56  # origins: every local midnight of the eight weeks before the as-of date
MAX_LEAD_DAYS = 27  # the backtest scores lead times up to four weeks
Progress = Callable[[float, str], None]


@dataclass
class Backtest:
    """Every candidate's forecasts from every origin, beside the actuals (open intervals only)."""

    rows: pd.DataFrame  # the long-form result: ts, model, as_of, lead, yhat, actual
    seconds: dict[str, float]  # time each candidate took
    lead_days: int  # leads 0..lead_days are scored
    failed: dict[str, str] = field(default_factory=dict)  # candidates that could not be fitted, why

    def table(self) -> pd.DataFrame:
        """One row per candidate: WAPE, MAPE, bias overall and by lead (same day, day ahead, week
        ahead), and the seconds it took."""
        table = accuracy.summaries(self.rows, "model")
        table["seconds"] = table["model"].map(self.seconds).astype(float)
        return table

    def best(self) -> str:
        """The candidate with the lowest WAPE (by name when two tie)."""
        return self.ranked()[0]

    def ranked(self) -> list[str]:
        """The candidates from the lowest WAPE up (by name when two tie)."""
        return self.table().sort_values(["wape", "model"])["model"].tolist()


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
                       calendar.date_of(grid.day[0]) + timedelta(days=PROFILE_WEEKS * 7))
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
                origin_of.append(np.full(stop - origin, calendar.day_number(origin_day)))
        except (ValueError, ArithmeticError, np.linalg.LinAlgError) as error:
            # a model that cannot be fitted to this series drops out; the others still compete
            failed[candidate.name] = f"{type(error).__name__}: {error}"
            continue
        seconds[candidate.name] = time.perf_counter() - started
        position = np.concatenate(positions)
        origin_number = np.concatenate(origin_of)
        frame = pd.DataFrame({
            "position": position, "model": candidate.name, "origin": origin_number,
            "lead": grid.day[position] - origin_number,
            "yhat": np.concatenate(forecasts), "actual": grid.y[position]})
        frames.append(frame[grid.is_open[position] & ~np.isnan(grid.y[position])])
    if not frames:
        raise ForecastError(f"no candidate could be fitted to {request.label()}: "
                            + "; ".join(f"{name}: {reason}" for name, reason in failed.items()))
    rows = pd.concat(frames, ignore_index=True)
    dates = {calendar.day_number(day): day for day in origins}
    rows.insert(0, "ts", grid.times[rows["position"].to_numpy()])
    rows.insert(3, "as_of", rows["origin"].map(dates).astype(object))
    return Backtest(rows.drop(columns=["position", "origin"]), seconds, lead_days, failed)
