"""One calendar: local dates and instants, days, weeks, months and weekdays, for every module.

The one daylight-saving rule (the README states it): a naive local time (no offset) is read in the
settings' zone; a time the clock shows twice when it goes back is the first of the two (still on
daylight time); a time the clock skips when it goes forward does not exist, so it is not guessed: the
row is set aside with the reason `SKIPPED_REASON`.
"""

from __future__ import annotations

from calendar import monthrange
from datetime import date, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is imported where it is used: `kpis` and the settings run without it
    import numpy as np
    import pandas as pd

SKIPPED_REASON = "a local time the clock skips when daylight saving starts"


def localize(naive, timezone: str) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """Naive local wall times (anything pandas reads as datetimes; NaT allowed) as UTC instants, by the
    one rule above. Returns the instants (NaT where the input is missing or skipped) and a boolean
    mask of the times the zone skips."""
    import numpy as np
    import pandas as pd

    wall = pd.DatetimeIndex(naive)
    if wall.tz is not None:
        raise ValueError("localize takes naive local times; these already carry a zone")
    local = wall.tz_localize(timezone, ambiguous=np.ones(len(wall), dtype=bool), nonexistent="NaT")
    skipped = np.asarray(local.isna() & ~wall.isna())
    return local.tz_convert("UTC"), skipped


# --- weekdays: 0 = Monday, as ISO (day - 1), Python's date.weekday() and pandas count them ---------
WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # the settings' business-hours keys
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
EPOCH = date(1970, 1, 1)


def day_number(day: date) -> int:
    """Days since 1970-01-01 (the day numbers grids and arrays use)."""
    return (day - EPOCH).days


def date_of(number: int) -> date:
    """The date of a day number (the inverse of day_number)."""
    return EPOCH + timedelta(days=int(number))


def local_midnight(day: date, timezone: str) -> pd.Timestamp:
    """The instant the local date begins in the zone (UTC), wherever daylight saving moves it."""
    import pandas as pd

    return pd.Timestamp(day).tz_localize(timezone, ambiguous=True, nonexistent="shift_forward") \
        .tz_convert("UTC")


def local_midnights(days, timezone: str) -> pd.DatetimeIndex:
    """local_midnight for many dates at once (a list, array or Series of dates)."""
    import numpy as np
    import pandas as pd

    wall = pd.DatetimeIndex(pd.to_datetime(pd.Series(list(days), dtype="object")))
    return wall.tz_localize(timezone, ambiguous=np.ones(len(wall), dtype=bool),
                            nonexistent="shift_forward").tz_convert("UTC")


def add_months(day: date, months: int) -> date:
    """The same day `months` later (earlier when negative), clipped to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, monthrange(year, month + 1)[1]))


def month_end(day: date) -> date:
    return day.replace(day=monthrange(day.year, day.month)[1])


def unit_start(days: pd.Series, grain: str) -> pd.Series:
    """The first day of each day's unit: itself ("day"), its ISO week's Monday ("week"), its month's
    first day ("month") or its quarter's ("quarter"); dates in, dates out."""
    import pandas as pd

    stamps = pd.to_datetime(pd.Series(days))
    if grain == "day":
        return stamps.dt.date
    if grain == "week":
        return (stamps - pd.to_timedelta(stamps.dt.day_of_week, unit="D")).dt.date
    if grain in ("month", "quarter"):
        return stamps.dt.to_period("M" if grain == "month" else "Q").dt.start_time.dt.date
    raise ValueError(f"unknown grain {grain!r}: day, week, month or quarter")
