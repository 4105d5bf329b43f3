"""Forecast accuracy: MAPE, WAPE and bias, the Poisson floor, and intervals from backtest errors.

Conventions (stated on the page): errors are divided by the actual, not the forecast. MAPE averages
|actual - forecast| / actual over intervals with at least one contact (an interval with none has no
percentage error; WAPE still counts its miss); WAPE = sum |actual - forecast| / sum actual is the
headline; bias = sum (forecast - actual) / sum actual, positive when the forecast ran high.

Every figure is computed here, by `scores`, from one long-form result (RESULT_COLUMNS): a row per
forecast interval with ts, model, as_of (the date the forecast was made as of), lead (days after
it; 0 = the same day), yhat (the forecast) and actual. The backtest's rows and the stored runs
scored on the actuals that arrived (cxdash.record) are both that result.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import gammaln

TARGET_MAPE = 0.08  # seed: "MAPE <= 8% for intraday staffing"
LEADS = {0: "same_day", 1: "day_ahead", 7: "week_ahead"}  # lead in days -> name
LEAD_LABELS = {"same_day": "Same day", "day_ahead": "Day ahead", "week_ahead": "Week ahead"}
RESULT_COLUMNS = ["ts", "model", "as_of", "lead", "yhat", "actual"]
SCORE_COLUMNS = ["wape", "mape", "bias", "intervals", "zero_actuals"]


def scores(actual, forecast) -> dict:
    """WAPE, MAPE and bias of paired actuals and forecasts (pairs with a missing side are left out),
    with the number of intervals scored and how many had no contacts (outside MAPE)."""
    actual = np.asarray(actual, dtype=float)
    forecast = np.asarray(forecast, dtype=float)
    known = ~np.isnan(actual) & ~np.isnan(forecast)
    actual, forecast = actual[known], forecast[known]
    total = actual.sum()
    error = np.abs(actual - forecast)
    positive = actual > 0
    return {
        "wape": float(error.sum() / total) if total > 0 else np.nan,
        "mape": float(np.mean(error[positive] / actual[positive])) if positive.any() else np.nan,
        "bias": float((forecast - actual).sum() / total) if total > 0 else np.nan,
        "intervals": int(len(actual)),
        "zero_actuals": int((~positive).sum()),
    }


def coverage(actual, lower, upper) -> float:
    """The share of actuals inside their forecast's interval [lower, upper] (pairs with a missing side
    are left out; NaN when none is left): an 80% interval should hold about 80%."""
    actual, lower, upper = (np.asarray(values, dtype=float) for values in (actual, lower, upper))
    known = ~np.isnan(actual) & ~np.isnan(lower) & ~np.isnan(upper)
    if not known.any():
        return np.nan
    inside = (actual[known] >= lower[known] - 1e-9) & (actual[known] <= upper[known] + 1e-9)
    return float(inside.mean())


def _coverage_of(results: pd.DataFrame) -> float:
    if "yhat_lower" not in results.columns or "yhat_upper" not in results.columns:
        return np.nan
    return coverage(results["actual"], results["yhat_lower"], results["yhat_upper"])


def poisson_mad(mean) -> np.ndarray:
    """E|X - m| for X ~ Poisson(m): 2 m^(k+1) e^(-m) / k! with k = floor(m), the smallest average miss
    a perfect forecast of the mean can have."""
    mean = np.asarray(mean, dtype=float)
    floor = np.floor(mean)
    with np.errstate(divide="ignore"):
        log_mad = np.log(2.0) + (floor + 1) * np.log(mean) - mean - gammaln(floor + 1)
    return np.where(mean > 0, np.exp(log_mad), 0.0)


def poisson_floor(expected) -> dict:
    """The accuracy even a perfect forecast cannot beat when arrivals are Poisson: each interval's
    expected count (its forecast) stands in for the mean. WAPE floor = sum E|X - m| / sum m; MAPE
    floor = mean of E|X - m| / m. About 25% at 10 contacts an interval, 8% at 100. Both the
    forecast's tiles and its accuracy use the forecasts, so the two floors of a run agree."""
    expected = np.asarray(expected, dtype=float)
    expected = expected[~np.isnan(expected) & (expected > 0)]
    mad = poisson_mad(expected)
    return {"wape": float(mad.sum() / expected.sum()) if len(expected) else np.nan,
            "mape": float(np.mean(mad / expected)) if len(expected) else np.nan,
            "mean_per_interval": float(expected.mean()) if len(expected) else np.nan}


def contacts_for_target(target: float = TARGET_MAPE) -> float:
    """The contacts an interval needs before a perfect forecast's expected miss falls to the target
    (about 100 for 8%): the Poisson floor solved for the mean."""
    low, high = 0.5, 1e6
    for _ in range(100):
        middle = (low + high) / 2
        if poisson_mad(middle) / middle > target:
            low = middle
        else:
            high = middle
    return high


def backtest_interval(mean: np.ndarray, rows: pd.DataFrame, level: float) -> tuple[np.ndarray, np.ndarray]:
    """An interval from a forecast's own backtest errors (its long-form result): q, the `level` quantile
    of |log((actual + 1) / (forecast + 1))| over every lead of the backtest, gives (mean + 1) x e^(-q) - 1
    to (mean + 1) x e^q - 1 (not below 0). One quantile of the absolute error uses every backtest day,
    where two tail quantiles per lead rest on a handful of days each; the +1 keeps quiet intervals and
    their zero counts in it. On real arrivals (bench/forecast_real.py) it held 78-80% at 80%, by day
    and by half hour, where per-lead tails held 67-91%."""
    rows = rows[rows["yhat"].notna() & rows["actual"].notna()]
    if rows.empty:
        return mean.copy(), mean.copy()
    spread = float(np.quantile(np.abs(np.log1p(rows["actual"].to_numpy(float))
                                      - np.log1p(np.maximum(rows["yhat"].to_numpy(float), 0))), level))
    return np.maximum((mean + 1) * np.exp(-spread) - 1, 0), (mean + 1) * np.exp(spread) - 1


# --- the long-form result ---------------------------------------------------------------------------

def summary(results: pd.DataFrame) -> dict:
    """The scores of a long-form result, the share of actuals inside the interval (coverage: NaN when
    the result has no yhat_lower and yhat_upper) and its WAPE at each lead of LEADS (wape_same_day,
    wape_day_ahead, wape_week_ahead; NaN where nothing was scored at that lead)."""
    entry = scores(results["actual"], results["yhat"])
    entry["coverage"] = _coverage_of(results)
    for lead, name in LEADS.items():
        chosen = results[results["lead"] == lead]
        entry[f"wape_{name}"] = scores(chosen["actual"], chosen["yhat"])["wape"] if len(chosen) else np.nan
    return entry


def summaries(results: pd.DataFrame, key: str) -> pd.DataFrame:
    """`summary` for each value of a column (a model, a run id), in the order they first appear."""
    columns = [key, *SCORE_COLUMNS, "coverage", *(f"wape_{name}" for name in LEADS.values())]
    return pd.DataFrame([{key: value, **summary(rows)} for value, rows in results.groupby(key, sort=False)],
                        columns=columns)


def by_lead(results: pd.DataFrame) -> pd.DataFrame:
    """The scores at each lead (lead, wape, mape, bias, intervals, zero_actuals), shortest first."""
    out = [{"lead": int(lead), **scores(rows["actual"], rows["yhat"])}
           for lead, rows in results.groupby("lead")]
    return pd.DataFrame(out, columns=["lead", *SCORE_COLUMNS])


def by_as_of(results: pd.DataFrame, key: str) -> pd.DataFrame:
    """The scores of each forecast (grouped by `key`: a run id, or as_of for the backtest's origins)
    with its as-of date and its interval's coverage (NaN without an interval)."""
    out = [{key: value, "as_of": rows["as_of"].iloc[0], **scores(rows["actual"], rows["yhat"]),
            "coverage": _coverage_of(rows)}
           for value, rows in results.groupby(key, sort=False)]
    return pd.DataFrame(out)


def largest_misses(results: pd.DataFrame, timezone: str,
                   count: int = 10) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The intervals and the local days with the largest misses: (ts, as_of, forecast, actual, miss)
    and (day, forecast, actual, miss, miss_pct), biggest first."""
    if results.empty:
        return (pd.DataFrame(columns=["ts", "as_of", "forecast", "actual", "miss"]),
                pd.DataFrame(columns=["day", "forecast", "actual", "miss", "miss_pct"]))
    # an interval or a day is judged on its nearest forecast (the latest as-of date), so each one
    # counts once however many forecasts covered it
    nearest = results.assign(day=results["ts"].dt.tz_convert(timezone).dt.date)
    intervals = nearest[nearest["as_of"] == nearest.groupby("ts")["as_of"].transform("max")]
    intervals = intervals.assign(forecast=intervals["yhat"], miss=intervals["yhat"] - intervals["actual"])
    intervals = intervals.reindex(intervals["miss"].abs().sort_values(ascending=False).index)
    intervals = intervals[["ts", "as_of", "forecast", "actual", "miss"]].head(count).reset_index(drop=True)
    nearest = nearest[nearest["as_of"] == nearest.groupby("day")["as_of"].transform("max")]
    days = nearest.groupby("day").agg(forecast=("yhat", "sum"), actual=("actual", "sum"))
    days = days.reset_index()
    days["miss"] = days["forecast"] - days["actual"]
    days["miss_pct"] = 100 * days["miss"] / days["actual"].where(days["actual"] > 0)
    days = days.reindex(days["miss"].abs().sort_values(ascending=False).index).head(count)
    return intervals, days.reset_index(drop=True)
