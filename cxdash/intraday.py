"""The intraday and weekly shape of contacts: hour x weekday on the local clock, peak share, by channel."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import pandas as pd

from cxdash.calendar import WEEKDAY_NAMES
from cxdash.contract import CHANNELS
from cxdash.kpis import data_span
from cxdash.store import Store

WEEKDAYS = tuple(range(len(WEEKDAY_NAMES)))  # the calendar's weekday numbers: 0 = Monday
HOURS = tuple(range(24))
# every zone offset in use is a whole number of quarter hours (India +5:30, Nepal +5:45, Lord Howe's
# half-hour daylight saving), so counting quarter hours measures each local hour exactly
STEPS_PER_HOUR = 4


def _grid() -> pd.MultiIndex:
    return pd.MultiIndex.from_product([WEEKDAYS, HOURS], names=["weekday", "hour"])


def hour_instances(start: date, end: date, timezone: str) -> pd.DataFrame:
    """How many real clock hours each local weekday and hour had between the local dates start and
    end (inclusive): weekday (0 = Monday), hour (0-23), hours. All 7 x 24 cells, zeros included.

    Counted from real instants, not 24 hours a day: on the day daylight saving ends (25 hours) local
    hour 1 happens twice, on the day it starts (23 hours) local hour 2 not at all, and the hours of
    the range add up to its real length.
    """
    return _hour_instances(start, end, timezone).copy()


@lru_cache(maxsize=64)
def _hour_instances(start: date, end: date, timezone: str) -> pd.DataFrame:
    first, after = pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(days=1)
    # every quarter hour from well before the first local midnight to well after the last (offsets
    # are within a day), kept where its local wall-clock time falls inside the range
    instants = pd.date_range(first - pd.Timedelta(days=2), max(after, first) + pd.Timedelta(days=2),
                             freq=pd.Timedelta(hours=1) / STEPS_PER_HOUR, tz="UTC", inclusive="left")
    wall = instants.tz_convert(timezone).tz_localize(None)
    wall = wall[(wall >= first) & (wall < after)]
    steps = pd.Series(1, index=pd.MultiIndex.from_arrays(
        [wall.day_of_week.astype("int64"), wall.hour.astype("int64")], names=["weekday", "hour"]))
    counted = steps.groupby(level=["weekday", "hour"]).sum() / STEPS_PER_HOUR
    hours = counted.reindex(_grid(), fill_value=0.0).astype("float64")
    return hours.rename("hours").reset_index()


def _covered(store: Store, start: date, end: date) -> tuple[date, date] | None:
    """The part of the range the data covers (its first to last local day), or None."""
    span = data_span(store)
    if span is None:
        return None
    first, last = max(start, span[0]), min(end, span[1])
    return (first, last) if first <= last else None


def _cells(store: Store, covered: tuple[date, date] | None,
           channels: tuple[str, ...] = ()) -> pd.DataFrame:
    """Contacts by local weekday, hour and channel over the covered days (cells with contacts only)."""
    if covered is None:
        return pd.DataFrame({"weekday": pd.Series(dtype="int64"), "hour": pd.Series(dtype="int64"),
                             "channel": pd.Series(dtype="str"), "contacts": pd.Series(dtype="int64")})
    frame = store.query("contacts_by_weekday_hour_channel", start=covered[0], end=covered[1],
                        channels=list(channels))
    return frame.astype({"weekday": "int64", "hour": "int64", "contacts": "int64"})


def heatmap(store: Store, start: date, end: date, channels: tuple[str, ...] = ()) -> pd.DataFrame:
    """Contacts by local weekday and hour over the local dates start..end for the channels (empty:
    all), and their average per real clock hour: weekday (0 = Monday), hour, contacts, hours,
    contacts_per_hour (NaN where the range has no such hour). All 7 x 24 cells.

    The range is narrowed to the days the data covers, so a range reaching past the data does not
    dilute the averages with hours nobody recorded.
    """
    covered = _covered(store, start, end)
    contacts = _cells(store, covered, channels).groupby(["weekday", "hour"])["contacts"].sum()
    frame = contacts.reindex(_grid(), fill_value=0).astype("int64").rename("contacts").reset_index()
    if covered is None:
        frame["hours"] = 0.0
    else:
        frame = frame.merge(hour_instances(*covered, store.settings.timezone), on=["weekday", "hour"])
    frame["contacts_per_hour"] = frame["contacts"] / frame["hours"].where(frame["hours"] > 0)
    return frame


def share_in_hours(heat: pd.DataFrame, peak_hours: tuple[int, int]) -> float | None:
    """The share (%) of a heatmap's contacts (hour, contacts) in the local hours [first, end) of
    peak_hours, such as 19:00-21:00 for (19, 21); None when it has no contacts. The Seasonality page
    passes the settings' [calendar] peak_hours (cxdash.views.seasonality)."""
    first, stop = peak_hours
    if not 0 <= first < stop <= 24:
        raise ValueError(f"peak hours must be 0 <= first < end <= 24, not {peak_hours}")
    total = int(heat["contacts"].sum())
    if total == 0:
        return None
    return 100.0 * int(heat.loc[heat["hour"].between(first, stop - 1), "contacts"].sum()) / total


def _days_by_weekday(covered: tuple[date, date] | None) -> pd.Series:
    """How many calendar days of each weekday the covered range has."""
    if covered is None:
        return pd.Series(0, index=pd.Index(WEEKDAYS, name="weekday"), name="days")
    days = pd.date_range(covered[0], covered[1], freq="D")
    return pd.Series(days.day_of_week.astype("int64")).value_counts().reindex(
        pd.Index(WEEKDAYS, name="weekday"), fill_value=0).rename("days")


def shapes_by_channel(store: Store, start: date, end: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """How each channel's contacts spread over the hours of the day and the days of the week, over
    start..end (narrowed to the days the data covers). Channels without contacts are left out.

    - hourly: channel, hour (0-23, all 24), contacts, share_pct: the share of the channel's contacts
      that arrived in that local hour (adds up to 100 per channel).
    - weekly: channel, weekday (0 = Monday, all 7), contacts, days (how many of that weekday the
      range has), weekday_index: the channel's average contacts on that weekday against its average
      day over the range, 100 = an average day (200: twice as busy). Averages count every day, with
      or without contacts; NaN for a weekday the range does not have.
    """
    covered = _covered(store, start, end)
    cells = _cells(store, covered, ())
    present = [c for c in CHANNELS if c in set(cells["channel"])] + \
        sorted(set(cells["channel"]) - set(CHANNELS))

    by_hour = cells.groupby(["channel", "hour"])["contacts"].sum().reindex(
        pd.MultiIndex.from_product([present, HOURS], names=["channel", "hour"]), fill_value=0)
    hourly = by_hour.astype("int64").rename("contacts").reset_index()
    hourly["share_pct"] = 100.0 * hourly["contacts"] / \
        hourly.groupby("channel")["contacts"].transform("sum")

    by_weekday = cells.groupby(["channel", "weekday"])["contacts"].sum().reindex(
        pd.MultiIndex.from_product([present, WEEKDAYS], names=["channel", "weekday"]), fill_value=0)
    weekly = by_weekday.astype("int64").rename("contacts").reset_index()
    days = _days_by_weekday(covered)
    weekly["days"] = weekly["weekday"].map(days).astype("int64")
    average_day = weekly.groupby("channel")["contacts"].transform("sum") / days.sum()
    average_weekday = weekly["contacts"] / weekly["days"].where(weekly["days"] > 0)
    weekly["weekday_index"] = 100.0 * average_weekday / average_day
    return hourly, weekly
