"""Seasonality: a KPI year over year, holiday and special-day uplift, and the MSTL decomposition.

Years are aligned the way planners compare them: by ISO week and weekday for days and weeks (so
Mondays meet Mondays and a week holds the same weekdays every year), by calendar month and quarter
otherwise. Only units the data covers whole are compared, so a half-month never reads as a fall.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import holidays
import numpy as np
import pandas as pd
from statsmodels.tsa.seasonal import MSTL, STL

from cxdash.calendar import WEEKDAY_NAMES, month_end, unit_start
from cxdash.kpis import Filters, data_span, measures_by_day, metric_series
from cxdash.settings import Settings
from cxdash.store import Store

# the KPIs a planner compares across years, in the order the page offers them
SEASON_KPIS = ("contacts", "aht_seconds", "csat_pct", "service_level_pct", "abandon_rate_pct",
               "cost_per_contact_usd")
GRAINS = ("day", "week", "month", "quarter")
BASELINE_WEEKS = 8  # a calendar day's baseline: the same weekday up to this many weeks either side
BASELINE_DAYS = 4  # ... the nearest this many normal days on each side
SPIKE_Z = 3.5  # a residual this many robust standard deviations from zero is a spike


def daily(store: Store, filters: Filters = Filters()) -> pd.DataFrame:
    """Every measure per local day over the whole span of the data, for the filters."""
    span = data_span(store)
    if span is None:
        return pd.DataFrame(columns=["day"])
    return measures_by_day(store, span[0], span[1], filters)


# --- year over year -------------------------------------------------------------------------------

def _units(days: pd.Series, grain: str) -> pd.DataFrame:
    """For each day: the year it counts in, its position in that year, the position's label and how
    many days a whole unit has."""
    stamps = pd.to_datetime(days)
    if grain in ("day", "week"):
        iso = stamps.dt.isocalendar()
        week, weekday = iso["week"].astype(int), iso["day"].astype(int)
        if grain == "day":
            return pd.DataFrame({"year": iso["year"].astype(int), "position": (week - 1) * 7 + weekday,
                                 "label": "W" + week.astype(str).str.zfill(2) + " "
                                          + (weekday - 1).map(lambda day: WEEKDAY_NAMES[day][:3]),
                                 "size": 1})
        return pd.DataFrame({"year": iso["year"].astype(int), "position": week,
                             "label": "W" + week.astype(str).str.zfill(2), "size": 7})
    # a month or quarter: its length runs from its first day to the next one's
    months = 1 if grain == "month" else 3
    start = pd.to_datetime(unit_start(days, grain))
    size = (start + pd.DateOffset(months=months) - start).dt.days
    position = stamps.dt.month if grain == "month" else stamps.dt.quarter
    label = stamps.dt.strftime("%b") if grain == "month" else "Q" + position.astype(str)
    return pd.DataFrame({"year": stamps.dt.year, "position": position, "label": label, "size": size})


def _summed(frame: pd.DataFrame, grain: str) -> pd.DataFrame:
    """Measures summed per year and aligned position, with how many days each unit has of its size."""
    units = _units(frame["day"], grain)
    measures = frame.drop(columns=["day"]).join(units)
    keys = ["year", "position", "label"]
    summed = measures.drop(columns=["size"]).groupby(keys).sum(min_count=1)
    summed["days"] = measures.groupby(keys).size()
    summed["size"] = measures.groupby(keys)["size"].first()
    return summed.reset_index()


def by_unit(frame: pd.DataFrame, name: str, grain: str, settings: Settings) -> pd.DataFrame:
    """A KPI per year and aligned position (whole units only), with the change against the same
    position a year earlier: year, position, label, value, last_year, change_pct."""
    columns = ["year", "position", "label", "value", "last_year", "change_pct"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    summed = _summed(frame, grain)
    summed = summed[summed["days"] == summed["size"]].reset_index(drop=True)  # whole units only
    summed["value"] = metric_series(summed, name, settings).astype(float)
    previous = summed.set_index(["year", "position"])["value"]
    keys = list(zip(summed["year"] - 1, summed["position"], strict=True))
    summed["last_year"] = [previous.get(key, np.nan) for key in keys]
    summed["change_pct"] = 100 * (summed["value"] / summed["last_year"] - 1)
    return summed[columns]


def year_to_date(frame: pd.DataFrame, name: str, grain: str, settings: Settings) -> pd.DataFrame:
    """Each year over the aligned span the latest year has so far (its first position to its last
    whole unit), for the years the data holds whole, with the change on the year before:
    year, through (the last position's label), value, change_pct."""
    columns = ["year", "through", "value", "change_pct"]
    units = by_unit(frame, name, grain, settings)
    if units.empty:
        return pd.DataFrame(columns=columns)
    latest = units["year"].max()
    last_position = units.loc[units["year"] == latest, "position"].max()
    through = units.loc[(units["year"] == latest) & (units["position"] == last_position), "label"].iloc[0]
    summed = _summed(frame, grain)
    window = summed[summed["position"] <= last_position]
    complete = [year for year in sorted(window["year"].unique())
                if _covers_window(frame, int(year), grain, int(last_position))]
    totals = window[window["year"].isin(complete)].drop(columns=["position", "label", "days", "size"]) \
        .groupby("year").sum(min_count=1)
    result = pd.DataFrame({"year": totals.index.astype(int), "through": through,
                           "value": metric_series(totals, name, settings).astype(float).to_numpy()})
    result["change_pct"] = 100 * (result["value"] / result["value"].shift(1) - 1)
    result.loc[result["year"].diff() != 1, "change_pct"] = np.nan
    return result[columns]


def _covers_window(frame: pd.DataFrame, year: int, grain: str, last_position: int) -> bool:
    """Whether the data holds every day of a year's positions 1..last_position."""
    try:
        if grain == "day":
            first = date.fromisocalendar(year, 1, 1)
            last = date.fromisocalendar(year, (last_position - 1) // 7 + 1, (last_position - 1) % 7 + 1)
        elif grain == "week":
            first, last = date.fromisocalendar(year, 1, 1), date.fromisocalendar(year, last_position, 7)
        else:
            months = last_position if grain == "month" else 3 * last_position
            first, last = date(year, 1, 1), month_end(date(year, months, 1))
    except ValueError:  # week 53 in a year of 52 weeks
        return False
    covered = frame["day"][(frame["day"] >= first) & (frame["day"] <= last)]
    return covered.nunique() == (last - first).days + 1


def weekday_peak_over_midday(heat: pd.DataFrame, midday: int = 12) -> dict | None:
    """On weekdays (Monday to Friday), the busiest hour's contacts per clock hour against the midday
    hour's (12:00-13:00), in %: the seed staffs the weekday peak 30% above midday. heat: weekday,
    hour, contacts, hours (intraday.heatmap)."""
    weekdays = heat[heat["weekday"] < 5].groupby("hour")[["contacts", "hours"]].sum()
    rate = weekdays["contacts"] / weekdays["hours"].where(weekdays["hours"] > 0)
    if rate.isna().all() or not rate.get(midday, 0) > 0:
        return None
    peak = int(rate.idxmax())
    return {"peak_hour": peak, "peak_per_hour": float(rate[peak]), "midday_per_hour": float(rate[midday]),
            "over_midday_pct": 100 * (float(rate[peak]) / float(rate[midday]) - 1)}


# --- holidays and special days ----------------------------------------------------------------------

def calendar_days(settings: Settings, first: date, last: date) -> pd.DataFrame:
    """The holidays of the configured country (the `holidays` library) and the user's special days
    between two dates, a row per day: day, name, kind ('holiday' or 'special day'), event_start."""
    rows = []
    calendar = holidays.country_holidays(settings.holiday_country, subdiv=settings.holiday_subdivision,
                                         years=range(first.year, last.year + 1))
    for day, name in sorted(calendar.items()):
        if first <= day <= last:
            rows.append({"day": day, "name": name, "kind": "holiday", "event_start": day})
    for special in settings.special_days:
        day = special.start
        while day <= special.end:
            if first <= day <= last:
                rows.append({"day": day, "name": special.name, "kind": "special day",
                             "event_start": special.start})
            day += timedelta(days=1)
    return pd.DataFrame(rows, columns=["day", "name", "kind", "event_start"])


def uplift(frame: pd.DataFrame, calendar: pd.DataFrame) -> pd.DataFrame:
    """Contacts on each holiday and special day (or run of days) against the baseline of comparable
    normal days: the same weekday in the weeks around it, leaving out every calendar day. One row per
    event and year: name, kind, year, start, end, days, contacts_per_day, baseline_per_day,
    uplift_pct, last_year_uplift_pct."""
    columns = ["name", "kind", "year", "start", "end", "days", "contacts_per_day", "baseline_per_day",
               "uplift_pct", "last_year_uplift_pct"]
    if frame.empty or calendar.empty:
        return pd.DataFrame(columns=columns)
    contacts = frame.set_index("day")["contacts"].astype(float)
    unusual = set(calendar["day"])
    rows = []
    for (name, kind, start), event in calendar.groupby(["name", "kind", "event_start"], sort=False):
        days = [d for d in event["day"] if d in contacts.index]
        if not days:
            continue
        baselines = [_baseline(contacts, day, unusual) for day in days]
        known = [(contacts[d], b) for d, b in zip(days, baselines, strict=True) if b is not None]
        if not known:
            continue
        actual = float(np.mean([a for a, _ in known]))
        baseline = float(np.mean([b for _, b in known]))
        rows.append({"name": name, "kind": kind, "year": start.year, "start": min(days), "end": max(days),
                     "days": len(known), "contacts_per_day": actual, "baseline_per_day": baseline,
                     "uplift_pct": 100 * (actual / baseline - 1) if baseline > 0 else np.nan})
    result = pd.DataFrame(rows, columns=columns[:-1])
    previous = result.set_index(["name", "year"])["uplift_pct"]
    result["last_year_uplift_pct"] = pd.Series(
        [previous.get((n, y - 1), np.nan) for n, y in zip(result["name"], result["year"], strict=True)],
        index=result.index, dtype=float)
    return result.sort_values(["start", "name"]).reset_index(drop=True)


def _baseline(contacts: pd.Series, day: date, unusual: set) -> float | None:
    """The mean of the nearest normal days on the same weekday before and after (each side may be
    short at the edges of the data); None when there are none."""
    chosen = []
    for direction in (-1, 1):
        found = [day + timedelta(weeks=direction * k) for k in range(1, BASELINE_WEEKS + 1)]
        found = [d for d in found if d in contacts.index and d not in unusual][:BASELINE_DAYS]
        chosen += found
    return float(contacts[chosen].mean()) if chosen else None


# --- decomposition -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Decomposition:
    """A daily series split into trend, weekly and yearly parts and a residual."""

    components: pd.DataFrame  # day, observed, trend, weekly, yearly (NaN without two years), residual
    strength: dict  # trend, weekly, yearly: 0 (none) to 1 (all of the variation beside the residual)
    spikes: pd.DataFrame  # day, observed, expected, residual, robust_z, calendar: days not explained
    periods: tuple[int, ...]


def _strength(part: pd.Series, residual: pd.Series) -> float:
    """Wang, Smith & Hyndman (2006): 1 - Var(residual) / Var(part + residual), floored at 0."""
    total = (part + residual).var()
    return float(max(0.0, 1 - residual.var() / total)) if total > 0 else 0.0


def decompose(series: pd.Series, calendar: pd.DataFrame | None = None) -> Decomposition | None:
    """MSTL (statsmodels) of a daily series (index: days, no gaps) with weekly and, given two full
    years, yearly seasonality; STL with the weekly period alone for shorter series; None under four
    weeks. Missing days are interpolated before, and shown as missing after."""
    series = series.astype(float)
    if series.notna().sum() < 28:
        return None
    filled = series.interpolate(limit_direction="both")
    index = pd.DatetimeIndex(pd.to_datetime(series.index))
    values = pd.Series(filled.to_numpy(), index=index)
    if len(values) >= 2 * 365 + 7:
        periods = (7, 365)
        fit = MSTL(values, periods=periods).fit()
        weekly, yearly = fit.seasonal["seasonal_7"], fit.seasonal["seasonal_365"]
    else:
        periods = (7,)
        fit = STL(values, period=7, robust=True).fit()
        weekly, yearly = fit.seasonal, pd.Series(np.nan, index=index)
    trend, residual = fit.trend, fit.resid
    components = pd.DataFrame({"day": list(series.index), "observed": series.to_numpy(),
                               "trend": trend.to_numpy(), "weekly": weekly.to_numpy(),
                               "yearly": yearly.to_numpy(), "residual": residual.to_numpy()})
    strength = {"trend": _strength(trend, residual), "weekly": _strength(weekly, residual),
                "yearly": _strength(yearly, residual) if len(periods) > 1 else None}
    mad = float(np.median(np.abs(residual - np.median(residual)))) * 1.4826
    z = residual / mad if mad > 0 else residual * 0
    spikes = components.assign(expected=components["observed"] - components["residual"],
                               robust_z=z.to_numpy())
    spikes = spikes[(spikes["robust_z"].abs() >= SPIKE_Z) & spikes["observed"].notna()]
    names = {} if calendar is None or calendar.empty else \
        calendar.groupby("day")["name"].agg(", ".join).to_dict()
    spikes = spikes.assign(calendar=[names.get(day, "") for day in spikes["day"]])
    spikes = spikes.reindex(spikes["robust_z"].abs().sort_values(ascending=False).index)
    return Decomposition(components, strength,
                         spikes[["day", "observed", "expected", "residual", "robust_z", "calendar"]]
                         .reset_index(drop=True), periods)


def decomposition(store: Store, name: str, channels: tuple[str, ...]) -> Decomposition | None:
    """The decomposition of a KPI's daily series, computed once per store, KPI and channels: a
    store's data never changes, and the fit takes a good part of a second."""
    return store.remember(("decomposition", name, tuple(channels)),
                          lambda: _decomposition(store, name, tuple(channels)))


def _decomposition(store: Store, name: str, channels: tuple[str, ...]) -> Decomposition | None:
    frame = daily(store, Filters(channels=channels))
    if frame.empty:
        return None
    series = pd.Series(metric_series(frame, name, store.settings).to_numpy(), index=frame["day"])
    span = data_span(store)
    return decompose(series, calendar_days(store.settings, span[0], span[1]))
