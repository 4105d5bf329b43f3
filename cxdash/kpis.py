"""KPI figures for a period and the shared filters: values, comparisons, status and trends.

The figures come from plain rows (DayMeasures), so the command line's `kpis` needs neither pandas nor
the daily rollup in memory; the pages make their DataFrames from the same rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

from cxdash.calendar import add_months, month_end
from cxdash.metrics import KPI_NAMES, METRICS, definition, ratio, status, target_for, target_text
from cxdash.store import Store

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Filters:
    """The shared sidebar filters; an empty tuple means every value."""

    channels: tuple[str, ...] = ()
    queues: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()

    def params(self) -> dict:
        return {"channels": list(self.channels), "queues": list(self.queues), "teams": list(self.teams)}

    @property
    def splits_costs(self) -> bool:
        """Costs are booked per channel, so a queue or team filter leaves them without a basis."""
        return bool(self.queues or self.teams)


@dataclass(frozen=True)
class Period:
    """Inclusive local dates."""

    start: date
    end: date
    label: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if self.end < self.start:  # every comparison (previous period, last year) would be nonsense
            raise ValueError(f"a period cannot end ({self.end}) before it starts ({self.start})")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def is_whole_months(self) -> bool:
        return self.start.day == 1 and self.end == month_end(self.end)

    def previous(self) -> Period:
        """The period of the same length just before; whole months step back by as many months."""
        if self.is_whole_months:
            months = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1
            return Period(add_months(self.start, -months), self.start - timedelta(days=1))
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def last_year(self) -> Period:
        """The same dates a year earlier (28 February stands in for 29 February)."""
        if self.is_whole_months:
            return Period(add_months(self.start, -12), month_end(add_months(self.end.replace(day=1), -12)))
        return Period(_minus_year(self.start), _minus_year(self.end))

    def __str__(self) -> str:
        if self.label:
            return self.label
        if self.start == self.end:
            return f"{self.start:%a %d %b %Y}"
        if self.is_whole_months:
            if (self.start.year, self.start.month) == (self.end.year, self.end.month):
                return f"{self.start:%B %Y}"
            return f"{self.start:%b %Y} – {self.end:%b %Y}"
        return f"{self.start:%d %b %Y} – {self.end:%d %b %Y}"


def _minus_year(day: date) -> date:
    return day.replace(year=day.year - 1, day=min(day.day, 28) if day.month == 2 else day.day)


def last_full_month(today: date) -> Period:
    end = today.replace(day=1) - timedelta(days=1)
    return Period(end.replace(day=1), end, label=f"{end:%B %Y}")


def default_period(last_day_with_data: date | None, today: date) -> Period:
    """The last full month before today, or before the data ends when the data is older."""
    anchor = today if last_day_with_data is None else min(today, last_day_with_data + timedelta(days=1))
    return last_full_month(anchor)


def daily_measures(store: Store, start: date, end: date, filters: Filters) -> pd.DataFrame:
    """Every measure of the daily rollup per local day, for a date range and the shared filters."""
    import pandas as pd

    frame = store.query("kpi_measures_daily", start=start, end=end, **filters.params())
    frame["day"] = pd.to_datetime(frame["day"]).dt.date
    return frame


@dataclass(frozen=True)
class DayMeasures:
    """Every measure per local day, as plain rows in day order: the day first, then the measures
    (cost_usd None where a day has no cost booked). What every tile is computed from; a page makes a
    DataFrame of them (frame)."""

    columns: tuple[str, ...]
    rows: tuple[tuple, ...]

    def window(self, period: Period) -> DayMeasures:
        """The days of a period."""
        return DayMeasures(self.columns, tuple(row for row in self.rows
                                               if period.start <= row[0] <= period.end))

    def totals(self) -> dict[str, float | None]:
        """Each measure summed over the days, None where no day has a value. Summed as pandas sums
        a column of floats (numpy's pairwise sum, missing values as 0), so a figure is the same to
        the last digit whether a page or the command line computes it."""
        import numpy as np

        totals: dict[str, float | None] = {}
        for index, name in enumerate(self.columns[1:], start=1):
            values = [row[index] for row in self.rows]
            totals[name] = None if all(value is None for value in values) else float(np.add.reduce(
                np.array([0.0 if value is None else value for value in values], dtype=np.float64)))
        return totals

    def frame(self) -> pd.DataFrame:
        """The rows as a DataFrame: day (dates), then each measure as floats (NaN for None)."""
        import numpy as np
        import pandas as pd

        columns = list(zip(*self.rows, strict=True)) if self.rows else [()] * len(self.columns)
        return pd.DataFrame({"day": list(columns[0]), **{
            name: np.array(values, dtype=np.float64)
            for name, values in zip(self.columns[1:], columns[1:], strict=True)}})


def day_measures(store: Store, start: date, end: date, filters: Filters) -> DayMeasures:
    """Every measure per local day within the data's span, with the day's share of its month's
    operating cost (cost_usd; None where no cost is booked) and the served contacts it covers
    (served_with_cost), as plain rows."""
    names, daily = store.rows("kpi_measures_daily", start=start, end=end, **filters.params())
    _, costs = store.rows("cost_daily", start=start, end=end, channels=list(filters.channels))
    measures = names[1:]
    by_day = {row[0]: row[1:] for row in daily}
    cost_by_day = dict(costs)
    # a day inside the data's span with costs but no (filtered) contacts still carries its share
    # of the month's cost; days beyond the data (a month not yet over) carry none
    span = data_span(store)
    days = sorted(day for day in by_day.keys() | cost_by_day.keys()
                  if span is None or span[0] <= day <= span[1])
    served = measures.index("served")
    rows = []
    for day in days:
        values = [0 if value is None else value for value in by_day.get(day, [0] * len(measures))]
        cost = cost_by_day.get(day)
        # the cost measures' denominator: cost counts only on days that have cost data, so the
        # served contacts of those days only (cost per contact divides the two, as the registry says)
        rows.append((day, *values, cost, values[served] if cost is not None else 0))
    return DayMeasures(("day", *measures, "cost_usd", "served_with_cost"), tuple(rows))


def measures_by_day(store: Store, start: date, end: date, filters: Filters) -> pd.DataFrame:
    """day_measures as a DataFrame: every measure per local day within the data's span, with the
    day's share of its month's operating cost (cost_usd; NaN where no cost is booked) and the served
    contacts it covers."""
    return day_measures(store, start, end, filters).frame()


def _has_basis(name: str, filters: Filters) -> bool:
    """Whether a metric has a basis under the filters (costs are booked per channel only)."""
    return not (METRICS[name].by_channel_only and filters.splits_costs)


def _values(measures: DayMeasures, store: Store, filters: Filters) -> dict[str, float | None]:
    """Every tile's figure from the period's summed measures, as the registry defines it."""
    totals = measures.totals()
    values: dict[str, float | None] = {}
    for name in KPI_NAMES:
        value = ratio(totals, name, store.settings) if _has_basis(name, filters) else None
        if value is None or math.isnan(value):
            values[name] = None
        elif not definition(name, store.settings).denominator:  # a count: a whole number
            values[name] = int(value)
        else:
            values[name] = float(value)
    return values


def kpi_values(store: Store, period: Period, filters: Filters = Filters()) -> dict[str, float | None]:
    """The figures of the tiles for one period, by metric name (None where the data has no basis)."""
    return _values(day_measures(store, period.start, period.end, filters), store, filters)


@dataclass(frozen=True)
class Overview:
    """Everything the overview tiles show: one row per KPI plus its trend."""

    period: Period
    previous: Period
    last_year: Period
    tiles: pd.DataFrame  # metric, label, value, previous, last_year, change_pct, ..., status
    trend: pd.DataFrame  # metric, day, value (long)


def overview(store: Store, period: Period, filters: Filters = Filters()) -> Overview:
    """Tiles and trends for a period against the previous period and the same period last year."""
    import pandas as pd

    previous, last_year = period.previous(), period.last_year()
    start = min(previous.start, last_year.start)
    measures = day_measures(store, start, period.end, filters)
    current = _values(measures.window(period), store, filters)
    before = _values(measures.window(previous), store, filters)
    year_ago = _values(measures.window(last_year), store, filters)

    rows = []
    for name in KPI_NAMES:
        metric = METRICS[name]
        rule = definition(name, store.settings)
        target = target_for(name, store.settings)
        value, prior, ago = current[name], before[name], year_ago[name]
        rows.append({
            "metric": name,
            "label": metric.label,
            "unit": rule.unit,
            "number_format": rule.number_format,
            "value": value,
            "previous": prior,
            "last_year": ago,
            "change": None if value is None or prior is None else value - prior,
            "change_pct": _change_pct(value, prior),
            "change_last_year_pct": _change_pct(value, ago),
            "status": status(name, value, target, store.settings),
            "target": target_text(name, target, store.settings),
            "definition": rule.text,
            "higher_is_better": metric.higher_is_better,
        })
    return Overview(period, previous, last_year, pd.DataFrame(rows),
                    _trend(measures.window(period).frame(), store, filters, period))


def _change_pct(value: float | None, reference: float | None) -> float | None:
    if value is None or reference is None or reference == 0:
        return None
    return 100.0 * (value - reference) / abs(reference)


def _trend(frame: pd.DataFrame, store: Store, filters: Filters, period: Period) -> pd.DataFrame:
    """Each KPI by day (by ISO week for periods over 92 days), as a long frame."""
    import pandas as pd

    if frame.empty:
        return pd.DataFrame(columns=["metric", "day", "value"])
    frame = frame.copy()
    if period.days > 92:
        frame["day"] = pd.to_datetime(frame["day"]).dt.to_period("W-SUN").dt.start_time.dt.date
        frame = frame.groupby("day", as_index=False).sum(numeric_only=True, min_count=1)
    pieces = [pd.DataFrame({"metric": name, "day": frame["day"],
                            "value": metric_series(frame, name, store.settings).astype(float)})
              for name in KPI_NAMES if _has_basis(name, filters)]
    return pd.concat(pieces, ignore_index=True)


def metric_series(frame: pd.DataFrame, name: str, settings) -> pd.Series:
    """A KPI for each row of summed measures (a day, a week, a month...), as measures_by_day gives
    them: the registry's ratio."""
    return ratio(frame, name, settings)


def contacts_by_channel(store: Store, period: Period, filters: Filters = Filters()) -> pd.DataFrame:
    """Contacts per channel and day in the period."""
    import pandas as pd

    frame = store.query("contacts_by_channel_day", start=period.start, end=period.end,
                        **filters.params())
    frame["day"] = pd.to_datetime(frame["day"]).dt.date
    return frame


def filter_options(store: Store) -> dict[str, list[str]]:
    """The values each shared filter offers, most contacts first."""
    frame = store.query_once("filter_options")
    return {dimension: list(group["value"]) for dimension, group in frame.groupby("dimension")}


def data_span(store: Store) -> tuple[date, date] | None:
    """The first and last local day with contacts (None without any), computed once per store."""
    _, [(first, last)] = store.remember(("data_span",), lambda: store.rows("data_span"))
    return None if first is None else (first, last)
