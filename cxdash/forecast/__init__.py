"""Contact forecasts per channel and queue: candidate models, a rolling-origin backtest that scores
each, their combination as the forecast, and its prediction interval from its own backtest errors.

- grid: the request and the grid it works on, with open and closed intervals;
- models: the candidates (see CANDIDATES; the benchmarks carry `benchmark = True`);
- backtest: every candidate forecast from every local midnight of the eight weeks before the as-of
  date, scored as one long-form result (cxdash.accuracy);
- combine: the forecast, the equal-weight mean of the 4-week average and the regressions, with a
  guard per lead group from the backtest;
- aht: the handle time each interval can expect;
- load: reading the selection from the store and making the forecast.

Closed intervals (business hours learned from the last eight weeks, see learned_hours, or set in
the settings) and closed days (the settings' closed dates; past days without a single contact) are
neither forecast nor scored: they are missing, never zero.
"""

from cxdash.forecast import combine
from cxdash.forecast.aht import aht_forecast
from cxdash.forecast.backtest import BACKTEST_DAYS, MAX_LEAD_DAYS, Backtest, Progress, backtest
from cxdash.forecast.grid import (
    GRAINS,
    MIN_HISTORY_DAYS,
    OPEN_WEEKS,
    ForecastError,
    Grid,
    Request,
    build_grid,
    business_hours_mask,
    learned_hours,
)
from cxdash.forecast.load import Forecast, default_as_of, load_grids, make_forecast, selection_backtest
from cxdash.forecast.models import (
    BENCHMARKS,
    CANDIDATES,
    DAILY_WINDOW_DAYS,
    INTRADAY_WINDOW_WEEKS,
    LEVEL,
    PROFILE_WEEKS,
    Candidate,
    ExponentialSmoothing,
    LastWeek,
    MeanOfWeeks,
    Prediction,
    RegressionAR,
    TopDown,
    candidates,
    model_label,
)

__all__ = [
    "BACKTEST_DAYS", "BENCHMARKS", "CANDIDATES", "DAILY_WINDOW_DAYS", "GRAINS", "INTRADAY_WINDOW_WEEKS",
    "LEVEL", "MAX_LEAD_DAYS", "MIN_HISTORY_DAYS", "OPEN_WEEKS", "PROFILE_WEEKS", "Backtest", "Candidate",
    "ExponentialSmoothing", "Forecast", "ForecastError", "Grid", "LastWeek", "MeanOfWeeks", "Prediction",
    "Progress", "RegressionAR", "Request", "TopDown", "aht_forecast", "backtest", "build_grid",
    "business_hours_mask", "candidates", "combine", "default_as_of", "learned_hours", "load_grids",
    "make_forecast", "model_label", "selection_backtest",
]
