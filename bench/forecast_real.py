"""The forecast on real call arrivals (issue 17): week-ahead forecasts from rolling Monday origins, scored
against the actuals read straight from the raw files, beside two simple benchmarks computed here.

    .venv/bin/python bench/forecast_real.py [--series bank,gp] [--grains 30min,day] [--origins all|N]
                                            [--json FILE] [--workers 1] [--candidates]

The data (../shared/real_data/, beside the repository; see its README) is never copied into the
repository: each series becomes a data folder in the data contract under bench/out/real/<series>/
(ignored by git), rebuilt when the raw file or this script's build code changes, and prepared once.

- bank: a North American bank's calls per 5 minutes, weekdays 07:00-21:00, March-October 2003 (local wall
  clock, read as America/New_York). One interaction per call, the calls of a 5-minute interval spread
  evenly inside it; one queue; holidays of the US. A weekday without rows is missing data (never scored).
- gp: every inbound call of an Irish GP practice in 2021 (Europe/Dublin; holidays of IE): every call is an
  offered contact, answered or not (answered_at = arrival + ring time when ANSWERED; talk_seconds =
  duration). Its oddities are kept (four status labels, retries, 0 s calls); the run prints them. The
  export lists every call of its span, so every day in it has data (a day without calls had none).

Origins: every Monday with at least 10 weeks of data before it and its week (the as-of day and 6 days
after it) inside the data's span; `--origins N` takes N of them evenly spaced. Each origin forecasts with
cxdash.forecast.make_forecast (the store opened as the app opens it) as of the Monday: the same day
(lead 0, a forecast made at the origin's local midnight) to 6 days ahead.

Scoring (independent of cxdash): the actuals are counted from the raw file at the forecast's grain by
local wall clock. Scored: the intervals open in the forecast's rows, on days with data; an open interval
without calls on a day with data counts as 0. WAPE = sum |y - yhat| / sum y over the scored intervals,
pooled over origins. Benchmarks, from the raw counts before the origin's local midnight: (a) the same slot
on the last earlier day of the same weekday that had data; (b) the mean of the same slot over the last 4
such days. The ratio compares the chosen forecast with the better of the two (lower WAPE over all origins
of the row). Coverage: the share of scored actuals inside the forecast's 80% interval.
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import shutil
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT.parent / "shared" / "real_data"
OUT = ROOT / "bench" / "out" / "real"
BUILD_VERSION = 1  # bump when the folders must be rebuilt for a reason the build code's hash misses
HISTORY_WEEKS = 10  # an origin needs at least ten weeks of data before it
HORIZON_DAYS = 6  # the as-of day (same day) and six days after it: a week
BENCHMARK_WEEKS = 4
GRAIN_MINUTES = {"day": 1440, "30min": 30, "15min": 15}
LEAD_GROUPS = {  # name -> leads (days after the origin; 0 = same day)
    "week ahead": (0, 1, 2, 3, 4, 5, 6),
    "first 2 days": (0, 1),
    "same day": (0,),
    "day ahead": (1,),
    "days 3-7": (2, 3, 4, 5, 6),
}
BENCHMARKS = {"last_week": "same slot, last week with data",
              "mean_4_weeks": "mean of the same slot over the last 4 weeks with data"}
COVERAGE_GOAL = (0.75, 0.85)
# issue 17's goals: (grain, lead group) -> the most the chosen WAPE / best benchmark WAPE may be
RATIO_GOALS = {("30min", "week ahead"): 1.0, ("day", "week ahead"): 1.0, ("30min", "first 2 days"): 0.9}


@dataclass(frozen=True)
class Series:
    name: str
    path: str  # under REAL
    timezone: str
    country: str
    per_call: bool  # a file of calls (every day of its span has data) or of counts (days with rows do)


SERIES = {
    "bank": Series("bank", "bank_calls/bank_calls_5min.csv", "America/New_York", "US", per_call=False),
    "gp": Series("gp", "irish_gp_calls_2021/inbound_calls_2021.csv", "Europe/Dublin", "IE", per_call=True),
}


# --- the raw files, read with pandas (never through cxdash) ----------------------------------------

def read_raw(series: Series) -> pd.DataFrame:
    """The raw file: bank (interval_start, calls), gp (t, status, duration, total_duration, from, to)."""
    path = REAL / series.path
    if series.name == "bank":
        return pd.read_csv(path, parse_dates=["interval_start"])
    return pd.read_csv(path, parse_dates=["t"], dtype={"status": str, "from": str, "to": str})


def raw_counts(series: Series, raw: pd.DataFrame) -> pd.DataFrame:
    """Calls by local wall-clock time: (local, calls), one row per 5-minute interval or per call."""
    if series.name == "bank":
        return pd.DataFrame({"local": raw["interval_start"], "calls": raw["calls"].astype(float)})
    return pd.DataFrame({"local": raw["t"], "calls": np.ones(len(raw))})


def day_numbers(local) -> np.ndarray:
    """Local wall-clock times (naive) as day numbers: days since 1970-01-01."""
    return (pd.DatetimeIndex(local).normalize() - pd.Timestamp("1970-01-01")).days.to_numpy().astype(np.int64)


def day_number(day: date) -> int:
    return (day - date(1970, 1, 1)).days


def date_of(number) -> date:
    return date(1970, 1, 1) + timedelta(days=int(number))


def weekday_of(numbers) -> np.ndarray:
    """Weekday of day numbers, 0 = Monday (1970-01-01 was a Thursday)."""
    return (np.asarray(numbers, dtype=np.int64) + 3) % 7


def data_days(series: Series, counts: pd.DataFrame) -> np.ndarray:
    """The local days that have data (sorted day numbers): for a file of counts the days with rows; for
    a file of calls every day of its span (first to last call)."""
    days = day_numbers(counts["local"])
    if series.per_call:
        return np.arange(days.min(), days.max() + 1)
    return np.unique(days)


def recorded_weekdays(counts: pd.DataFrame) -> set[int]:
    """The weekdays the file records at all (the bank's recording has no weekends)."""
    return set(int(d) for d in np.unique(counts["local"].dt.day_of_week))


def actual_slots(counts: pd.DataFrame, minutes: int) -> pd.DataFrame:
    """Calls per local day and local interval start (minute of the day; 0 for the day grain): (day
    number, minute, y). Only intervals with calls have a row."""
    local = pd.DatetimeIndex(counts["local"])
    floored = local.normalize() if minutes == 1440 else local.floor(f"{minutes}min")
    frame = pd.DataFrame({"day": day_numbers(floored),
                          "minute": np.asarray(floored.hour * 60 + floored.minute, dtype=np.int64),
                          "y": counts["calls"].to_numpy(dtype=float)})
    return frame.groupby(["day", "minute"], as_index=False)["y"].sum()


def origins_of(days: np.ndarray, weekdays: set[int], count: int | None = None) -> list[date]:
    """Mondays with at least HISTORY_WEEKS weeks of data before them and their week inside the data's
    span (every day of it on a recorded weekday no later than the last day with data); `count`: that
    many of them, evenly spaced."""
    first, last = date_of(days[0]), date_of(days[-1])
    start = first + timedelta(days=7 * HISTORY_WEEKS)
    start += timedelta(days=(7 - start.weekday()) % 7)
    found = []
    origin = start
    while origin <= last:
        week = [origin + timedelta(days=d) for d in range(HORIZON_DAYS + 1)]
        if all(day <= last for day in week if day.weekday() in weekdays):
            found.append(origin)
        origin += timedelta(days=7)
    if count is not None and count < len(found):
        picks = np.unique(np.linspace(0, len(found) - 1, count).round().astype(int))
        found = [found[i] for i in picks]
    return found


# --- scoring ---------------------------------------------------------------------------------------

def prior_days(days: np.ndarray, before: int, weekday: int, count: int) -> np.ndarray:
    """The latest `count` days with data (day numbers) before the day `before` on the weekday (0 =
    Monday), latest first."""
    earlier = np.sort(days[days < before])
    return earlier[weekday_of(earlier) == weekday][::-1][:count]


def benchmark_values(targets: pd.DataFrame, origin: date, actuals: pd.DataFrame, days: np.ndarray,
                     weeks: int = BENCHMARK_WEEKS) -> pd.DataFrame:
    """For target intervals (day, minute): the benchmarks from the actuals before the origin's midnight:
    last_week (the same slot on the last earlier day of the weekday with data) and mean_4_weeks (its mean
    over the last `weeks` such days, as many as there are; 0 where a day with data had no call)."""
    lookup = actuals.set_index(["day", "minute"])["y"]
    before = day_number(origin)
    out = targets[["day", "minute"]].copy()
    out["last_week"] = np.nan
    out["mean_4_weeks"] = np.nan
    for day in out["day"].unique():
        back = prior_days(days, before, int(weekday_of(day)), weeks)
        if not len(back):
            continue
        chosen = (out["day"] == day).to_numpy()
        minutes = out.loc[chosen, "minute"].to_numpy()
        keys = [pd.MultiIndex.from_arrays([np.full(len(minutes), d), minutes]) for d in back]
        values = np.column_stack([lookup.reindex(k).fillna(0.0).to_numpy() for k in keys])
        out.loc[chosen, "last_week"] = values[:, 0]
        out.loc[chosen, "mean_4_weeks"] = values.mean(axis=1)
    return out


def score_rows(rows: pd.DataFrame, origin: date, actuals: pd.DataFrame, days: np.ndarray,
               horizon_days: int = HORIZON_DAYS) -> pd.DataFrame:
    """The scored intervals of one forecast: its rows (day, minute, yhat, yhat_lower, yhat_upper; open
    intervals only) on days with data from the origin to `horizon_days` after it, with the actual (0 when
    no call), the lead in days and both benchmarks."""
    start = day_number(origin)
    rows = rows[(rows["day"] >= start) & (rows["day"] <= start + horizon_days) & rows["day"].isin(days)]
    scored = rows.merge(actuals, on=["day", "minute"], how="left")
    scored["y"] = scored["y"].fillna(0.0)
    scored["lead"] = (scored["day"] - start).astype(int)
    bench = benchmark_values(scored, origin, actuals, days)
    scored["last_week"] = bench["last_week"].to_numpy()
    scored["mean_4_weeks"] = bench["mean_4_weeks"].to_numpy()
    return scored.reset_index(drop=True)


def wape(y, forecast) -> float:
    """sum |y - forecast| / sum y (NaN when nothing arrived)."""
    y, forecast = np.asarray(y, dtype=float), np.asarray(forecast, dtype=float)
    total = y.sum()
    return float(np.abs(y - forecast).sum() / total) if total > 0 else float("nan")


def coverage(y, lower, upper) -> float:
    """The share of actuals inside [lower, upper] (NaN without intervals)."""
    y, lower, upper = (np.asarray(v, dtype=float) for v in (y, lower, upper))
    return float(np.mean((lower <= y) & (y <= upper))) if len(y) else float("nan")


def summarise(scored: pd.DataFrame) -> dict:
    """WAPE of the chosen forecast and of each benchmark, bias, coverage, intervals and calls scored, and
    the Poisson floor (the WAPE a perfect forecast would have if arrivals were Poisson with mean yhat:
    cxdash.accuracy.poisson_mad, for context)."""
    from cxdash.accuracy import poisson_mad

    known = scored.dropna(subset=list(BENCHMARKS))  # a benchmark without history: not comparable
    total = known["y"].sum()
    expected = known["yhat"].to_numpy(dtype=float)
    floor = float(poisson_mad(expected).sum() / expected.sum()) if expected.sum() > 0 else float("nan")
    return {"wape": wape(known["y"], known["yhat"]), "floor": floor,
            **{name: wape(known["y"], known[name]) for name in BENCHMARKS},
            "bias": float((known["yhat"] - known["y"]).sum() / total) if total > 0 else float("nan"),
            "coverage": coverage(known["y"], known["yhat_lower"], known["yhat_upper"]),
            "intervals": int(len(known)), "calls": float(total)}


def with_ratio(entry: dict) -> dict:
    """The better benchmark of the entry, and the chosen forecast's WAPE over its WAPE."""
    best = min(BENCHMARKS, key=lambda name: np.inf if np.isnan(entry[name]) else entry[name])
    entry["best_benchmark"] = best
    entry["ratio"] = entry["wape"] / entry[best] if entry[best] > 0 else float("nan")
    return entry


def lead_table(scored: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per `keys` (series, grain, ...) and lead group: the summary, pooled over the origins."""
    out = []
    for values, rows in scored.groupby(keys, sort=False):
        values = values if isinstance(values, tuple) else (values,)
        for group, leads in LEAD_GROUPS.items():
            chosen = rows[rows["lead"].isin(leads)]
            if len(chosen):
                out.append({**dict(zip(keys, values, strict=True)), "leads": group,
                            **with_ratio(summarise(chosen))})
    return pd.DataFrame(out)


def goal_table(leads: pd.DataFrame) -> pd.DataFrame:
    """Issue 17's goals beside the figures: ratio goals per series, and 80% coverage at each grain's
    week ahead."""
    out = []
    for row in leads.itertuples():
        where = {"series": row.series, "grain": row.grain, "leads": row.leads}
        goal = RATIO_GOALS.get((row.grain, row.leads))
        if goal is not None:
            out.append({**where, "figure": "WAPE ratio to best benchmark", "value": row.ratio,
                        "goal": f"<= {goal:.2f}", "met": bool(row.ratio <= goal)})
        if row.leads == "week ahead":
            low, high = COVERAGE_GOAL
            out.append({**where, "figure": "80% interval coverage", "value": row.coverage,
                        "goal": f"{low:.2f}-{high:.2f}", "met": bool(low <= row.coverage <= high)})
    return pd.DataFrame(out)


def origin_table(scored: pd.DataFrame, leads: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """Per series, grain and origin, the week ahead: WAPEs, the ratio to the benchmark that is best over
    all the row's origins, coverage, the chosen model and what its backtest said."""
    best = {(r.series, r.grain): r.best_benchmark for r in leads[leads["leads"] == "week ahead"].itertuples()}
    out = []
    for (series, grain, origin), rows in scored.groupby(["series", "grain", "origin"], sort=False):
        entry = summarise(rows)
        bench = best[(series, grain)]
        entry["ratio"] = entry["wape"] / entry[bench] if entry[bench] > 0 else float("nan")
        out.append({"series": series, "grain": grain, "origin": origin, **entry})
    table = pd.DataFrame(out)
    return table.merge(runs, on=["series", "grain", "origin"], how="left")


# --- the data folders ------------------------------------------------------------------------------

def _utc_micros(local: pd.Series, timezone: str) -> tuple[np.ndarray, int, int]:
    """Naive local wall times as UTC microseconds: a time shown twice when the clocks go back is the
    first (daylight time, cxdash's rule); a skipped time moves forward. Also how many were each."""
    wall = pd.DatetimeIndex(local)
    ambiguous = int(wall.tz_localize(timezone, ambiguous="NaT", nonexistent="shift_forward").isna().sum())
    skipped = int(wall.tz_localize(timezone, ambiguous=True, nonexistent="NaT").isna().sum())
    zoned = wall.tz_localize(timezone, ambiguous=np.ones(len(wall), dtype=bool), nonexistent="shift_forward")
    return zoned.tz_convert("UTC").as_unit("us").asi8, ambiguous, skipped


def bank_interactions(raw: pd.DataFrame, timezone: str) -> tuple[dict, dict]:
    """One interaction per call, the calls of each 5-minute interval spread evenly inside it (the k-th of
    n at (k + 1/2) x 300 s / n): columns of the contract, and notes."""
    starts, ambiguous, skipped = _utc_micros(raw["interval_start"], timezone)
    counts = raw["calls"].to_numpy(dtype=np.int64)
    total = int(counts.sum())
    begin = np.repeat(np.cumsum(counts) - counts, counts)
    k = np.arange(total) - begin
    n = np.repeat(counts, counts)
    arrived = np.repeat(starts, counts) + (2 * k + 1) * 150_000_000 // n
    columns = {"interaction_id": np.char.add("bank-", np.arange(total).astype(str)).astype(object),
               "channel": "phone", "arrived_at": arrived, "queue": "bank"}
    return columns, {"rows": len(raw), "calls": total, "ambiguous_times": ambiguous, "skipped_times": skipped}


def gp_interactions(raw: pd.DataFrame, timezone: str) -> tuple[dict, dict]:
    """Every call an offered contact: answered_at = arrival + ring time (total_duration - duration) when
    ANSWERED; talk_seconds = duration when answered; ended_at = arrival + total_duration; abandoned when
    not answered (every label but ANSWERED)."""
    arrived, ambiguous, skipped = _utc_micros(raw["t"], timezone)
    answered = (raw["status"] == "ANSWERED").to_numpy()
    ring = (raw["total_duration"] - raw["duration"]).to_numpy(dtype=np.int64)
    answered_at = np.where(answered, arrived + ring * 1_000_000, 0)
    columns = {"interaction_id": np.char.add("gp-", np.arange(len(raw)).astype(str)).astype(object),
               "channel": "phone", "arrived_at": arrived, "queue": "practice",
               "answered_at": (answered_at, ~answered),
               "ended_at": arrived + raw["total_duration"].to_numpy(dtype=np.int64) * 1_000_000,
               "abandoned": ~answered,
               "talk_seconds": (raw["duration"].to_numpy(dtype=float), ~answered),
               "agent_id": (raw["to"].to_numpy(dtype=object), ~answered),
               "customer_id": raw["from"].to_numpy(dtype=object)}
    return columns, {"rows": len(raw), "calls": len(raw), "ambiguous_times": ambiguous,
                     "skipped_times": skipped}


def _arrow_table(columns: dict, rows: int):
    import pyarrow as pa

    timestamps = {"arrived_at", "answered_at", "ended_at"}
    arrays, names = [], []
    for name, value in columns.items():
        mask = None
        if isinstance(value, tuple):
            value, mask = value
        if isinstance(value, str):
            array = pa.array(np.full(rows, value, dtype=object), pa.string())
        elif name in timestamps:
            array = pa.array(np.asarray(value, dtype=np.int64), pa.int64(), mask=mask) \
                .cast(pa.timestamp("us", tz="UTC"))
        elif value.dtype == object:
            array = pa.array(value, pa.string(), mask=mask)
        else:
            array = pa.array(value, mask=mask)
        arrays.append(array)
        names.append(name)
    return pa.Table.from_arrays(arrays, names=names)


def gp_oddities(raw: pd.DataFrame) -> dict:
    """What the GP export holds besides plain calls (kept as they are)."""
    unanswered = raw["status"] != "ANSWERED"
    by_caller = raw.assign(unanswered=unanswered).sort_values(["from", "t"])
    previous_t = by_caller.groupby("from")["t"].shift()
    previous_unanswered = by_caller.groupby("from")["unanswered"].shift().astype("boolean").fillna(False)
    retries = int(((by_caller["t"] - previous_t) <= pd.Timedelta(minutes=10)).fillna(False)
                  .to_numpy(dtype=bool)[previous_unanswered.to_numpy(dtype=bool)].sum())
    months = raw.groupby(raw["t"].dt.month)
    labels = raw.groupby("status")["t"].agg(["size", "min", "max"])
    return {
        "rows": len(raw),
        "labels": {k: {"calls": int(v["size"]), "first": str(v["min"].date()), "last": str(v["max"].date())}
                   for k, v in labels.iterrows()},
        "unanswered_zero_total_duration": int((unanswered & (raw["total_duration"] == 0)).sum()),
        "answered_zero_talk": int(((~unanswered) & (raw["duration"] == 0)).sum()),
        "retries_within_10min_of_unanswered": retries,
        "same_second_duplicates": int(raw["t"].duplicated().sum()),
        "calls_by_month": {int(m): int(len(rows)) for m, rows in months},
        "unanswered_share_by_month": {int(m): round(float((rows["status"] != "ANSWERED").mean()), 3)
                                      for m, rows in months},
        "weekend_calls": int((raw["t"].dt.day_of_week >= 5).sum()),
        "calls_outside_08_to_18": int(((raw["t"].dt.hour < 8) | (raw["t"].dt.hour >= 18)).sum()),
    }


BUILDERS = {"bank": bank_interactions, "gp": gp_interactions}


def build_signature(series: Series) -> dict:
    """What the folder was built from: the version, the build code and the raw file's size and time."""
    code = "".join(inspect.getsource(f) for f in (BUILDERS[series.name], _utc_micros, _arrow_table,
                                                    settings_text, build_folder))
    stat = (REAL / series.path).stat()
    return {"version": BUILD_VERSION, "code": hashlib.sha256(code.encode()).hexdigest()[:16],
            "source_bytes": stat.st_size, "source_mtime": int(stat.st_mtime)}


def settings_text(series: Series) -> str:
    return f'timezone = "{series.timezone}"\n\n[calendar]\ncountry = "{series.country}"\n'


def build_folder(series: Series, raw: pd.DataFrame) -> dict:
    """The data folder of a series, in the data contract, one interactions file per local month; then
    prepared (cxdash.ingest.prepare). Reused while its signature holds."""
    import pyarrow.parquet as pq

    folder = OUT / series.name
    marker = folder / "build.json"
    signature = build_signature(series)
    if marker.exists():
        kept = json.loads(marker.read_text())
        if kept.get("signature") == signature:
            return {**kept["notes"], "rebuilt": False, "folder": str(folder)}
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "interactions").mkdir(parents=True)
    (folder / "cxdash.toml").write_text(settings_text(series))
    started = time.perf_counter()
    columns, notes = BUILDERS[series.name](raw, series.timezone)
    rows = len(columns["arrived_at"])
    table = _arrow_table(columns, rows)
    local_month = pd.DatetimeIndex(pd.to_datetime(columns["arrived_at"], unit="us", utc=True)) \
        .tz_convert(series.timezone).strftime("%Y-%m").to_numpy()
    for month in np.unique(local_month):
        pq.write_table(table.filter(local_month == month), folder / "interactions" / f"{month}.parquet")
    notes["write_seconds"] = round(time.perf_counter() - started, 1)

    from cxdash.ingest import prepare
    from cxdash.settings import load_settings

    started = time.perf_counter()
    settings = load_settings(folder)
    report = prepare(folder, settings)
    notes.update(prepare_seconds=round(time.perf_counter() - started, 1), rows_read=int(report.rows_read),
                 rows_set_aside=int(report.rows_set_aside), settings_problems=list(settings.problems))
    marker.write_text(json.dumps({"signature": signature, "notes": notes}, indent=1))
    return {**notes, "rebuilt": True, "folder": str(folder)}


# --- forecasting -----------------------------------------------------------------------------------

_STORES: dict[str, object] = {}


def _store(folder: str):
    """The folder's store, opened once per process as the app opens it."""
    if folder not in _STORES:
        from cxdash.store import Store

        _STORES[folder] = Store.open(Path(folder))
    return _STORES[folder]


def forecast_slots(rows: pd.DataFrame) -> pd.DataFrame:
    """Forecast.rows (ts local and zoned) keyed as the actuals: local day and minute of the day (the
    repeated hour of a night the clocks go back, should it be open, adds up)."""
    naive = pd.DatetimeIndex(rows["ts"]).tz_localize(None)
    frame = pd.DataFrame({"day": day_numbers(naive),
                          "minute": np.asarray(naive.hour * 60 + naive.minute, dtype=np.int64),
                          "yhat": rows["yhat"].to_numpy(dtype=float),
                          "yhat_lower": rows["yhat_lower"].to_numpy(dtype=float),
                          "yhat_upper": rows["yhat_upper"].to_numpy(dtype=float)})
    return frame.groupby(["day", "minute"], as_index=False).sum()


def run_forecast(task: tuple) -> dict:
    """One forecast (series, folder, grain, origin, candidate or None): its rows keyed for scoring, the
    model, seconds, and what its backtest said of the chosen model and of the benchmarks."""
    series, folder, grain, origin, only = task
    from cxdash.forecast import Request, make_forecast

    store = _store(folder)
    models = None
    if only is not None:
        from cxdash.forecast import candidates

        models = [c for c in candidates(grain) if c.name == only]
    started, cpu = time.perf_counter(), time.process_time()
    error = None
    try:
        forecast = make_forecast(store, Request(grain, origin, HORIZON_DAYS), models=models)
    except Exception as failure:  # a forecast that fails is reported, the run goes on
        error = f"{type(failure).__name__}: {failure}"
    result = {"series": series, "grain": grain, "origin": origin, "candidate": only,
              "seconds": time.perf_counter() - started, "cpu_seconds": time.process_time() - cpu}
    if error is not None:
        return {**result, "error": error}
    backtest = {}
    try:
        table = forecast.backtest.table()
        backtest = dict(zip(table["model"], table["wape"].astype(float), strict=True))
    except Exception:  # noqa: BLE001 - the backtest's table is a diagnostic only
        pass
    # a combination, where the forecaster has one: the lead groups that fell back to the 4-week average
    fallback = ""
    try:
        groups = forecast.combination.to_dict()
        fallback = ", ".join(g["group"] for g in groups if list(g["models"]) == ["mean_4_weeks"])
    except Exception:  # noqa: BLE001 - no combination (a single model), or another shape of it
        pass
    return {**result, "model": forecast.model, "rows": forecast_slots(forecast.rows),
            "interval_source": getattr(forecast, "interval_source", ""), "backtest": backtest,
            "fallback": fallback}


def run_all(tasks: list[tuple], workers: int) -> list[dict]:
    done, total, started = [], len(tasks), time.perf_counter()

    def note(result):
        done.append(result)
        if len(done) % 10 == 0 or len(done) == total:
            print(f"  {len(done)}/{total} forecasts, {time.perf_counter() - started:.0f} s", file=sys.stderr,
                  flush=True)

    if workers <= 1:
        for task in tasks:
            note(run_forecast(task))
        return done
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        for result in pool.map(run_forecast, tasks, chunksize=1):
            note(result)
    return done


def history_check(folder: str, origin: date, days: np.ndarray, weekdays: set[int],
                  counts: pd.DataFrame) -> dict:
    """What the forecaster learns from (cxdash.forecast.load_grids as of an origin), against the raw file:
    whether each recorded weekday without data is closed (no open interval, no count); whether every open
    interval's count equals the raw count; and how many calls of the days with data fall in intervals it
    holds closed (never learned from)."""
    from cxdash.forecast import Request, load_grids

    grid, daily = load_grids(_store(folder), Request("30min", origin, HORIZON_DAYS))
    out = {}
    for name, g in (("30min", grid), ("day", daily)):
        history = np.arange(g.n_history)
        naive = pd.DatetimeIndex(g.times[history]).tz_localize(None)
        local_days = day_numbers(naive)
        span = np.arange(local_days.min(), local_days.max() + 1)
        missing = span[np.isin(weekday_of(span), list(weekdays)) & ~np.isin(span, days)]
        is_open = g.is_open[history]
        closed = [bool(not is_open[local_days == d].any()) for d in missing]
        raw = actual_slots(counts, g.minutes).set_index(["day", "minute"])["y"]
        minutes = np.asarray(naive.hour * 60 + naive.minute, dtype=np.int64)
        expected = raw.reindex(pd.MultiIndex.from_arrays([local_days, minutes])).fillna(0.0).to_numpy()
        with_data = np.isin(local_days, days)
        differs = with_data & is_open & (np.abs(np.nan_to_num(g.y[history], nan=-1.0) - expected) > 0.5)
        in_closed = with_data & ~is_open
        open_by_day = pd.Series(is_open).groupby(local_days).any()
        out[name] = {"from": str(date_of(local_days.min())),
                     "missing_days": [str(date_of(d)) for d in missing],
                     "missing_days_closed": all(closed), "open_intervals": int((with_data & is_open).sum()),
                     "open_intervals_differing_from_raw": int(differs.sum()),
                     "calls_in_closed_intervals": float(expected[in_closed].sum()),
                     "calls": float(expected[with_data].sum()),
                     "closed_days_with_data": [str(date_of(d)) for d, any_open in open_by_day.items()
                                               if not any_open and d in set(days)]}
    return out


# --- the run ---------------------------------------------------------------------------------------

def _fmt(table: pd.DataFrame, percent: list[str], digits: dict | None = None) -> str:
    shown = table.copy()
    for column in percent:
        if column in shown:
            shown[column] = shown[column].map(lambda v: "" if pd.isna(v) else f"{100 * v:.1f}%")
    for column, d in (digits or {}).items():
        if column in shown:
            shown[column] = shown[column].map(lambda v, d=d: "" if pd.isna(v) else f"{v:.{d}f}")
    return shown.to_string(index=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--series", default="bank,gp")
    parser.add_argument("--grains", default="30min,day")
    parser.add_argument("--origins", default="all", help="all, or N evenly spaced origins")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--candidates", action="store_true",
                        help="also forecast with each candidate alone (make_forecast(models=[c])), scored")
    args = parser.parse_args(argv)
    if not REAL.is_dir():
        print(f"{REAL}: not found; the real-data evaluation needs ../shared/real_data/ beside the repository")
        return 0
    names = [s.strip() for s in args.series.split(",") if s.strip()]
    grains = [g.strip() for g in args.grains.split(",") if g.strip()]
    unknown = [n for n in names if n not in SERIES] + [g for g in grains if g not in GRAIN_MINUTES]
    if unknown:
        parser.error(f"unknown series or grain: {', '.join(unknown)}")
    count = None if args.origins == "all" else int(args.origins)

    report: dict = {"series": {}, "arguments": vars(args) | {"json": str(args.json)}}
    tasks, inputs = [], {}
    for name in names:
        series = SERIES[name]
        raw = read_raw(series)
        counts = raw_counts(series, raw)
        days = data_days(series, counts)
        weekdays = recorded_weekdays(counts)
        origins = origins_of(days, weekdays, count)
        built = build_folder(series, raw)
        span = np.arange(days[0], days[-1] + 1)
        without = span[np.isin(weekday_of(span), list(weekdays)) & ~np.isin(span, days)]
        info = {"file": series.path, "timezone": series.timezone, "holidays": series.country,
                "build": built, "days_with_data": len(days), "first_day": str(date_of(days[0])),
                "last_day": str(date_of(days[-1])), "recorded_weekdays": sorted(weekdays),
                "recorded_weekdays_without_data": [str(date_of(d)) for d in without],
                "origins": [str(o) for o in origins]}
        if name == "gp":
            info["oddities"] = gp_oddities(raw)
        report["series"][name] = info
        inputs[name] = (series, counts, days, weekdays, origins, built["folder"])
        for grain in grains:
            for origin in origins:
                tasks.append((name, built["folder"], grain, origin, None))
                if args.candidates:
                    from cxdash.forecast import candidates

                    tasks += [(name, built["folder"], grain, origin, c.name) for c in candidates(grain)]

    for name, info in report["series"].items():
        b = info["build"]
        print(f"{name}: {info['file']} ({info['timezone']}, holidays {info['holidays']}): {b['calls']:,} "
              f"calls from {b['rows']:,} rows -> {b['folder']} ({'built' if b['rebuilt'] else 'reused'}; "
              f"prepare read {b['rows_read']:,} rows, set aside {b['rows_set_aside']:,})")
        without = ", ".join(info["recorded_weekdays_without_data"]) or "none"
        print(f"  {info['days_with_data']} days with data, {info['first_day']} to {info['last_day']}; "
              f"recorded weekdays without data: {without}")
        print(f"  {len(info['origins'])} Monday origins: {info['origins'][0]} to {info['origins'][-1]}"
              if info["origins"] else "  no origin qualifies")
        if "oddities" in info:
            o = info["oddities"]
            labels = ", ".join(f"{k} {v['calls']:,} ({v['first']} to {v['last']})"
                               for k, v in o["labels"].items())
            print(f"  {o['rows']:,} rows, labels: {labels}")
            print(f"  unanswered with total_duration 0: {o['unanswered_zero_total_duration']:,}; answered "
                  f"with 0 s talk: {o['answered_zero_talk']}; retries within 10 min of an unanswered call "
                  f"from the same caller: {o['retries_within_10min_of_unanswered']:,}; calls sharing a "
                  f"second: {o['same_second_duplicates']}; weekend calls: {o['weekend_calls']}; calls "
                  f"before 08:00 or from 18:00: {o['calls_outside_08_to_18']}")
            print("  calls by month: " + ", ".join(f"{m}: {c:,}" for m, c in o["calls_by_month"].items()))
            print("  unanswered share by month: "
                  + ", ".join(f"{m}: {100 * s:.0f}%" for m, s in o["unanswered_share_by_month"].items()))

    for name, (_series, counts, days, weekdays, origins, folder) in inputs.items():
        if not origins:
            continue
        check = history_check(folder, origins[-1], days, weekdays, counts)
        report["series"][name]["history_check"] = check
        for grain, c in check.items():
            print(f"  {name}: cxdash's {grain} history as of {origins[-1]} (from {c['from']}): weekdays "
                  f"without data {', '.join(c['missing_days']) or 'none'}: closed "
                  f"{'yes' if c['missing_days_closed'] else 'NO'}; {c['open_intervals']:,} open intervals on "
                  f"days with data, {c['open_intervals_differing_from_raw']} differ from the raw counts; "
                  f"{c['calls_in_closed_intervals']:,.0f} of {c['calls']:,.0f} calls in intervals held "
                  "closed")
            held = c["closed_days_with_data"]
            if held:
                weekdays_held = pd.Series([date.fromisoformat(d).strftime("%a") for d in held]).value_counts()
                print(f"    {len(held)} days with data held closed (no open interval): "
                      + ", ".join(f"{n} {day}" for day, n in weekdays_held.items())
                      + f"; first {', '.join(held[:3])}")

    print(f"\n{len(tasks)} forecasts ({args.workers} worker(s))...", file=sys.stderr, flush=True)
    started = time.perf_counter()
    results = run_all(tasks, args.workers)
    wall = time.perf_counter() - started

    scored_frames, runs, errors, actual_cache = [], [], [], {}
    for result in results:
        name, grain, origin, only = result["series"], result["grain"], result["origin"], result["candidate"]
        if "error" in result:
            errors.append({k: str(v) for k, v in result.items()})
            continue
        series, counts, days, weekdays, origins, folder = inputs[name]
        key = (name, grain)
        if key not in actual_cache:
            actual_cache[key] = actual_slots(counts, GRAIN_MINUTES[grain])
        scored = score_rows(result["rows"], origin, actual_cache[key], days)
        week = actual_cache[key]
        start = day_number(origin)
        in_week = week[(week["day"] >= start) & (week["day"] <= start + HORIZON_DAYS)
                       & week["day"].isin(days)]
        scored = scored.assign(series=name, grain=grain, origin=str(origin), model=result["model"],
                               candidate=only or "chosen")
        scored_frames.append(scored)
        bt = result["backtest"]
        bt_bench = min((bt[b] for b in BENCHMARKS if b in bt), default=float("nan"))
        runs.append({"series": name, "grain": grain, "origin": str(origin), "candidate": only or "chosen",
                     "model": result["model"], "seconds": result["seconds"],
                     "cpu_seconds": result["cpu_seconds"],
                     "interval_source": result["interval_source"], "fallback": result.get("fallback", ""),
                     "backtest_wape_chosen": bt.get(result["model"], float("nan")),
                     "backtest_wape_best_benchmark": bt_bench,
                     "calls_in_week": float(in_week["y"].sum()),
                     "calls_outside_forecast": float(in_week["y"].sum() - scored["y"].sum())})
    scored_all = pd.concat(scored_frames, ignore_index=True) if scored_frames else pd.DataFrame()
    runs = pd.DataFrame(runs)
    if scored_all.empty:
        print("nothing was scored", file=sys.stderr)
        return 1

    chosen = scored_all[scored_all["candidate"] == "chosen"]
    chosen_runs = runs[runs["candidate"] == "chosen"].drop(columns="candidate")
    leads = lead_table(chosen, ["series", "grain"])
    origins_t = origin_table(chosen, leads, chosen_runs)
    goals = goal_table(leads)
    seconds = chosen_runs.groupby(["series", "grain"]).agg(
        forecasts=("seconds", "size"), median_s=("seconds", "median"), mean_s=("seconds", "mean"),
        max_s=("seconds", "max"), median_cpu_s=("cpu_seconds", "median"), total_s=("seconds", "sum"))

    pd.set_option("display.width", 250)
    percent = ["wape", "floor", "last_week", "mean_4_weeks", "bias", "coverage", "backtest_wape_chosen",
               "backtest_wape_best_benchmark", "outside"]
    print("\n== Chosen forecast vs the simple benchmarks, by lead (pooled over origins) ==")
    print("   ratio = chosen WAPE / best benchmark WAPE (best: the lower of the two in the row); coverage: "
          "share of scored actuals in the 80% interval;\n   same day = the as-of Monday itself, forecast at "
          "its local midnight; week ahead = the as-of day and the 6 days after it; floor: the Poisson "
          "floor at the forecast's volumes")
    print(_fmt(leads.drop(columns=["calls"]), percent, {"ratio": 3}))
    print("\n== Issue 17's goals ==")
    print(_fmt(goals, [], {"value": 3}).replace(" True", "  met").replace("False", "NOT met"))
    print("\n== Per origin, week ahead (ratio against the row's best benchmark over all origins; backtest: "
          "the chosen model's and the best benchmark's WAPE in cxdash's own backtest) ==")
    table = origins_t.assign(outside=origins_t["calls_outside_forecast"] / origins_t["calls_in_week"])
    columns = ["series", "grain", "origin", "model", "wape", "last_week", "mean_4_weeks", "ratio",
               "coverage", "bias", "backtest_wape_chosen", "backtest_wape_best_benchmark", "intervals",
               "outside", "seconds"]
    if table["fallback"].fillna("").str.len().any():
        columns.insert(4, "fallback")
    print(_fmt(table[columns], percent, {"ratio": 3, "seconds": 1}))
    print("   outside: share of the week's calls (days with data) in intervals the forecast left closed"
          + ("; fallback: the combination's lead groups that took the 4-week average alone"
             if "fallback" in columns else ""))
    print("\n== Models chosen ==")
    print(chosen_runs.groupby(["series", "grain"])["model"].value_counts().to_string())
    print("\n== Seconds per forecast (make_forecast with its backtest; wall clock and this process's CPU) ==")
    print(seconds.round(2).to_string())
    print(f"   wall time of the forecasts: {wall:.0f} s with {args.workers} worker(s)")
    candidate_table = None
    if args.candidates:
        each = scored_all[scored_all["candidate"] != "chosen"]
        if not each.empty:
            candidate_table = lead_table(each, ["series", "grain", "candidate"])
            print("\n== Each candidate alone (make_forecast with models=[candidate]) ==")
            print(_fmt(candidate_table.drop(columns=["calls"]), percent, {"ratio": 3}))
    if errors:
        print(f"\n== {len(errors)} forecasts failed ==")
        for error in errors:
            print(f"  {error['series']} {error['grain']} {error['origin']} {error['candidate']}: "
                  f"{error['error']}")

    report.update(leads=leads.to_dict(orient="records"), goals=goals.to_dict(orient="records"),
                  origins=table.to_dict(orient="records"),
                  models=chosen_runs.groupby(["series", "grain"])["model"].value_counts()
                  .rename("origins").reset_index().to_dict(orient="records"),
                  seconds=seconds.reset_index().to_dict(orient="records"), wall_seconds=wall,
                  median_seconds_per_forecast=statistics.median(chosen_runs["seconds"]),
                  candidates=None if candidate_table is None else candidate_table.to_dict(orient="records"),
                  errors=errors)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1, default=str, allow_nan=True))
        print(f"\n{args.json}: written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
