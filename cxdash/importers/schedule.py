"""The user's own schedule, read from a CSV file: the agents planned on the phones each interval, to
compare with what the forecast needs (cxdash.staffing.schedule_gaps).

Like every importer, it never drops a row: each row read is used or set aside with its reason, and a
naive local time follows the one daylight-saving rule of cxdash.calendar.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from cxdash import calendar

SCHEDULE_COLUMNS = ("interval", "agents")


def read_schedule(data: bytes | str | Path, name: str, timezone: str,
                  window: tuple[date, date] = (date(1980, 1, 1), date(2100, 1, 1)),
                  ) -> tuple[pd.DataFrame, list[str], pd.DataFrame]:
    """A user's schedule CSV: one row per interval with the agents planned on the phones.

    data: the file's bytes, its text (a str), or a Path. name: what messages call the file.
    Columns (named in any case): interval, an ISO 8601 timestamp (with an offset such as
    2024-03-01T09:00-08:00 or Z, or naive, meaning local time in `timezone`), and agents, a whole
    number >= 0. Other columns are ignored. window: the plausible dates (the settings' [validation]
    earliest and latest); an interval outside it (.NET's year 1, a typo'd 2202) is set aside.

    Returns (schedule, problems, set_aside):
    - schedule: ts (tz-aware, in `timezone`), agents (int64), sorted by ts;
    - problems: one sentence per problem naming the file, the column and the count of rows;
    - set_aside: row (the row's number as a spreadsheet shows the file: the header is row 1; blank
      lines are skipped and not counted), the row's values as written, and the reason. Every row
      read is either in the schedule or set aside.

    Rows are set aside, never dropped, for: an interval that is not a timestamp, a naive local
    time that does not exist in the zone (the hour skipped when daylight saving starts), agents
    that are not a whole number >= 0, and an interval that repeats an earlier one (the first is
    kept). A naive time that happens twice when daylight saving ends is read as the first
    (daylight) one; give offsets to say which. A missing column sets every row aside. Bad content
    never raises; an unknown time zone name does (ZoneInfoNotFoundError).
    """
    ZoneInfo(timezone)
    problems: list[str] = []
    try:
        raw = _schedule_text(data)
        frame = pd.read_csv(io.StringIO(raw), dtype=str, keep_default_na=False, skip_blank_lines=True)
    except pd.errors.EmptyDataError:
        return _empty_schedule(timezone), [f"{name}: the file is empty; no schedule read"], \
            pd.DataFrame({"row": pd.Series(dtype="int64"), "reason": pd.Series(dtype="str")})
    except (OSError, ValueError, pd.errors.ParserError) as error:
        return _empty_schedule(timezone), [f"{name}: the file could not be read as CSV ({error})"], \
            pd.DataFrame({"row": pd.Series(dtype="int64"), "reason": pd.Series(dtype="str")})
    rows = np.arange(len(frame)) + 2
    # the file's own row or reason column keeps its values beside the ones set_aside adds
    frame = frame.rename(columns={c: f"{c} (file)" for c in frame.columns if c in ("row", "reason")})
    columns = {}
    for column in frame.columns:
        columns.setdefault(str(column).strip().lower(), column)
    missing = [c for c in SCHEDULE_COLUMNS if c not in columns]
    if missing:
        found = ", ".join(str(c) for c in frame.columns) or "none"
        for column in missing:
            problems.append(f"{name}: no column {column} (columns found: {found}); the schedule needs "
                            f"columns interval and agents, so all {len(frame):,} rows are set aside")
        aside = frame.copy()
        aside.insert(0, "row", rows)
        aside["reason"] = "missing column " + " and ".join(missing)
        return _empty_schedule(timezone), problems, aside.reset_index(drop=True)

    reasons: list[list[str]] = [[] for _ in range(len(frame))]

    def set_aside(mask: np.ndarray, column: str, what: str, why: str) -> None:
        count = int(mask.sum())
        if count:
            problems.append(f"{name}: column {column}: {count:,} {_rows(count, what)}; set aside")
            for i in np.flatnonzero(mask):
                reasons[i].append(why)

    instants, not_iso, skipped, outside = _schedule_instants(frame[columns["interval"]], timezone,
                                                             window)
    set_aside(not_iso, "interval", "is not an ISO timestamp|are not ISO timestamps",
              "interval is not a timestamp")
    set_aside(outside, "interval", f"is outside {window[0]} - {window[1]}|are outside {window[0]} - "
              f"{window[1]}", "interval is outside the plausible dates")
    set_aside(skipped, "interval", "is a local time that does not exist in " + timezone +
              "|are local times that do not exist in " + timezone,
              calendar.SKIPPED_REASON)
    text = frame[columns["agents"]].astype(str).str.strip()
    numbers = pd.to_numeric(text, errors="coerce").to_numpy(dtype="float64")
    whole = np.isfinite(numbers) & (numbers >= 0) & (numbers == np.floor(numbers))
    set_aside(~whole, "agents", "is not a whole number >= 0|are not whole numbers >= 0",
              "agents is not a whole number >= 0")
    # a repeat of an earlier usable row; a row set aside for another reason claims no interval
    valid = np.array([not r for r in reasons], dtype=bool)
    seen: set = set()
    repeated = np.zeros(len(frame), dtype=bool)
    for i in np.flatnonzero(valid):
        if instants[i] in seen:
            repeated[i] = True
        seen.add(instants[i])
    set_aside(repeated, "interval", "repeats an earlier interval|repeat earlier intervals",
              "interval repeats an earlier row (the first is kept)")

    keep = np.array([not r for r in reasons], dtype=bool)
    schedule = pd.DataFrame({
        "ts": pd.DatetimeIndex(pd.to_datetime(pd.Series([instants[i] for i in np.flatnonzero(keep)],
                                                        dtype="int64"), unit="ns", utc=True))
        .tz_convert(timezone),
        "agents": numbers[keep].astype("int64")})
    schedule = schedule.sort_values("ts", kind="stable").reset_index(drop=True)
    aside = frame[~keep].copy()
    aside.insert(0, "row", rows[~keep])
    aside["reason"] = ["; ".join(r) for r, k in zip(reasons, keep, strict=True) if not k]
    return schedule, problems, aside.reset_index(drop=True)


def _rows(count: int, what: str) -> str:
    """'row X' or 'rows Y' from 'X|Y', as the count asks."""
    one, many = what.split("|")
    return f"row {one}" if count == 1 else f"rows {many}"


def _schedule_text(data: bytes | str | Path) -> str:
    """The CSV's text: a Path (or a str naming an existing file) is read; bytes are decoded as
    UTF-8 (a byte-order mark is fine), else as Latin-1; any other str is the text itself."""
    if isinstance(data, str) and "\n" not in data and len(data) < 4096 and Path(data).is_file():
        data = Path(data)
    if isinstance(data, Path):
        data = data.read_bytes()
    if isinstance(data, bytes):
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return data.decode("latin-1")
    return data


def _schedule_instants(values: pd.Series, timezone: str, window: tuple[date, date],
                       ) -> tuple[list, np.ndarray, np.ndarray, np.ndarray]:
    """Each interval as nanoseconds since 1970 UTC (None when unusable), with masks of values that
    are not ISO timestamps, of naive local times that the zone skips (calendar.localize: a time
    the clock shows twice is the first of the two) and of dates outside the window (checked on the
    written date, before any conversion that such a date would break)."""
    instants: list = [None] * len(values)
    not_iso = np.zeros(len(values), dtype=bool)
    skipped = np.zeros(len(values), dtype=bool)
    outside = np.zeros(len(values), dtype=bool)
    naive_rows, naive_times = [], []
    for i, text in enumerate(values.astype(str)):
        try:
            moment = datetime.fromisoformat(text.strip())
        except ValueError:
            not_iso[i] = True
            continue
        if not window[0] <= moment.date() < window[1]:
            outside[i] = True
            continue
        if moment.tzinfo is None:
            naive_rows.append(i)
            naive_times.append(moment)
        else:
            instants[i] = pd.Timestamp(moment).tz_convert("UTC").as_unit("ns").value
    if naive_rows:
        local, gone = calendar.localize(naive_times, timezone)
        for i, moment, is_skipped in zip(naive_rows, local, gone, strict=True):
            if is_skipped:
                skipped[i] = True
            else:
                instants[i] = moment.as_unit("ns").value
    return instants, not_iso, skipped, outside


def _empty_schedule(timezone: str) -> pd.DataFrame:
    return pd.DataFrame({"ts": pd.DatetimeIndex([], tz=timezone).as_unit("ns"),
                         "agents": pd.Series(dtype="int64")})
