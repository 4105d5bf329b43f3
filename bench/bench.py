"""Benchmark: a 10-million-interaction demo, cxdash's preparation and page queries against plain pandas,
forecasts (with their backtests) and staffing.

Run with `make bench` (or `.venv/bin/python bench/bench.py [--fresh] [--scale X] [--repeat N]`).
Each measurement runs in a fresh Python process, so times include what a restarted app pays and
peak memory (max RSS) belongs to that step alone. Quote medians and ratios: the machines are noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import imports  # noqa: E402  (bench/imports.py: every source's import, beside this file)

OUT = ROOT / "bench" / "out"
DEMO_END = date(2026, 10, 31)
PERIOD = (date(2026, 10, 1), date(2026, 10, 31))  # the overview's default: the last full month


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- workers: each runs in its own process and prints one JSON line --------------------------

def worker_demo(folder: Path, scale: float) -> dict:
    from cxdash.demo import write_demo

    started = time.perf_counter()
    summary = write_demo(folder, end=DEMO_END, scale=scale, seed=7)
    return {"seconds": time.perf_counter() - started, "interactions": summary.interactions,
            "peak_mb": peak_mb()}


def worker_prepare(folder: Path) -> dict:
    """Validate, set aside and summarise whatever changed (everything, on a fresh folder)."""
    from cxdash.ingest import prepare
    from cxdash.settings import load_settings

    started = time.perf_counter()
    report = prepare(folder, load_settings(folder))
    return {"seconds": time.perf_counter() - started, "reprocessed": len(report.reprocessed),
            "rows_read": report.rows_read, "rows_set_aside": report.rows_set_aside,
            "peak_mb": peak_mb()}


def _overview_page(store, period, filters) -> dict:
    """What the frame (its sidebar) and the Overview page compute for one view."""
    from cxdash import kpis
    from cxdash.views.overview import overview_page

    span = kpis.data_span(store)
    kpis.filter_options(store)
    shown = overview_page(store, period, filters)
    return {"span": span, "summary": shown.summary}


def _data_health_page(store) -> None:
    """What the frame and the Data health page compute, its set-aside rows of every file included."""
    from cxdash import kpis
    from cxdash.views.data_health import data_health_page, set_aside_rows

    kpis.data_span(store)
    kpis.filter_options(store)
    data_health_page(store)
    set_aside_rows(store)


def worker_restart(folder: Path) -> dict:
    """What a restarted app does before the overview shows: imports, open the store, query."""
    started = time.perf_counter()
    from cxdash import kpis
    from cxdash.store import Store

    store = Store.open(folder)
    opened = time.perf_counter()
    _overview_page(store, kpis.Period(*PERIOD), kpis.Filters())
    return {"seconds": time.perf_counter() - started, "open_seconds": opened - started,
            "peak_mb": peak_mb()}


def _medians_ms(runs: dict, repeat: int) -> dict[str, float]:
    """Each callable once to warm up, then `repeat` times: the median in milliseconds."""
    result = {}
    for name, run in runs.items():
        run()
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            run()
            times.append((time.perf_counter() - started) * 1000)
        result[name] = statistics.median(times)
    return result


def worker_queries(folder: Path, repeat: int) -> dict:
    """Warm pages: what each computes (its view function, figures included), repeated; medians in ms."""
    from cxdash import kpis
    from cxdash.store import Store

    store = Store.open(folder)
    period, everything = kpis.Period(*PERIOD), kpis.Filters()
    views = {
        "overview": lambda: _overview_page(store, period, everything),
        "overview, phone+chat, one queue": lambda: _overview_page(
            store, period, kpis.Filters(("phone", "chat"), ("orders",), ())),
        "overview, whole year": lambda: _overview_page(
            store, kpis.Period(date(2025, 11, 1), date(2026, 10, 31)), everything),
        "data health": lambda: _data_health_page(store),
    }
    result = _medians_ms(views, repeat)
    figures = kpis.kpi_values(store, period, everything)
    daily_rows = store.cursor().execute("select count(*) from daily").fetchone()[0]
    return {"median_ms": result, "figures": figures, "daily_rows": daily_rows, "peak_mb": peak_mb()}


QUALITY_PERIOD = (date(2026, 4, 1), date(2026, 4, 30))  # holds the demo's planted CSAT dip
FLAGGED_DAY = date(2026, 4, 14)


def worker_quality(folder: Path, repeat: int) -> dict:
    """Warm Quality page steps: the chart, then each drill-down step a manager clicks through."""
    from cxdash import kpis, quality
    from cxdash.store import Store
    from cxdash.views.quality import quality_page, segment_drill, unit_drill

    store = Store.open(folder)
    period, everything = kpis.Period(*QUALITY_PERIOD), kpis.Filters()
    chart = quality_page(store, period, everything, "day").chart
    at = FLAGGED_DAY.isoformat()  # the day a click on its point picks
    day = unit_drill(store, chart, everything, at, "team").unit
    steps = {
        "page before any drill-down (day)": lambda: _quality_page(store, period, "day"),
        "page before any drill-down (week)": lambda: _quality_page(store, period, "week"),
        "of which the QA tab": lambda: _qa_tab(store, period),
        **{f"drill: movers by {dimension}": (lambda dimension=dimension: unit_drill(
            store, chart, everything, at, dimension)) for dimension in quality.DIMENSIONS},
        "drill: interactions behind Team Evening": lambda: segment_drill(
            store, day, everything, "team", "Team Evening"),
        "drill: same, every contact, not only rated": lambda: segment_drill(
            store, day, everything, "team", "Team Evening", rated_only=False),
    }
    result = _medians_ms(steps, repeat)
    movers = unit_drill(store, chart, everything, at, "team").movers
    detail_rows = store.cursor().execute("select count(*) from quality").fetchone()[0]
    return {"median_ms": result, "detail_rows": detail_rows, "peak_mb": peak_mb(),
            "flagged": chart.signals["signal"].value_counts().to_dict(),
            "first_mover": movers["segment"].iloc[0],
            "behind": len(segment_drill(store, day, everything, "team", "Team Evening").rows)}


def _qa_tab(store, period) -> None:
    """The Quality page's QA tab, which its view computes with the rest."""
    from cxdash import kpis
    from cxdash.views.quality import qa_section

    qa_section(store, period, kpis.Filters())


def _quality_page(store, period, grain: str) -> None:
    """What the Quality page computes before any drill-down: chart, comparison and every tab."""
    from cxdash import kpis
    from cxdash.views.quality import quality_page

    quality_page(store, period, kpis.Filters(), grain)


REPORT_MONTH = date(2026, 10, 1)


def _monthly_page(store, month: date) -> None:
    """What the Monthly report page computes for one month (the downloads are made on click)."""
    from cxdash import kpis
    from cxdash.views.monthly_report import month_choices, monthly_report_page

    month_choices(kpis.data_span(store), DEMO_END)
    monthly_report_page(store, month)


def worker_monthly(folder: Path, repeat: int) -> dict:
    """Warm Monthly report page: the same month again, and a month this process has not shown yet;
    then the downloads, made when clicked."""
    from cxdash import report
    from cxdash.calendar import add_months
    from cxdash.store import Store
    from cxdash.views.monthly_report import monthly_report_page

    store = Store.open(folder)
    months = [add_months(REPORT_MONTH, -n) for n in range(1, 3 * repeat + 10)]
    unseen = iter(months)
    monthly = monthly_report_page(store, REPORT_MONTH).report  # what the page's buttons make files of
    steps = {
        "page, October 2026 (warm)": lambda: _monthly_page(store, REPORT_MONTH),
        "page, a month not shown before": lambda: _monthly_page(store, next(unseen)),
        "download: report HTML": lambda: report.to_html(monthly, folder.name),
        "download: tables Excel": lambda: report.to_excel(monthly),
    }
    result = _medians_ms(steps, repeat)
    customers = store.cursor().execute("select count(*) from customer_outcomes").fetchone()[0]
    orders = store.cursor().execute("select sum(orders) from order_months").fetchone()[0]
    return {"median_ms": result, "customers": customers, "orders": int(orders), "peak_mb": peak_mb(),
            "html_mb": len(report.to_html(monthly, folder.name).encode()) / 1e6,
            "figures": report.figures(monthly)}


def _seasonality_page(store, name: str, grain: str, channels: tuple[str, ...] = ()) -> None:
    """What the Seasonality page computes for a view, in the years it starts with (the latest three):
    years, holidays, shape and decomposition."""
    from cxdash import kpis
    from cxdash.views.seasonality import YEARS_SHOWN, choices, decomposition_section, seasonality_page

    _, years = choices(store, kpis.data_span(store))
    seasonality_page(store, name, grain, channels, [int(year) for year in years[-YEARS_SHOWN:]])
    decomposition_section(store, name, channels)


def worker_seasonality(folder: Path, repeat: int) -> dict:
    """Warm Seasonality page views; the decomposition's first fit, once per store and view, apart."""
    from cxdash import seasonality
    from cxdash.store import Store

    store = Store.open(folder)
    started = time.perf_counter()
    seasonality.decomposition(store, "contacts", ())
    first_fit = (time.perf_counter() - started) * 1000
    views = {"contacts by week, every channel": ("contacts", "week", ()),
             "AHT by day (ISO week and weekday)": ("aht_seconds", "day", ()),
             "cost per contact by month, phone": ("cost_per_contact_usd", "month", ("phone",)),
             "service level by quarter, phone + chat": ("service_level_pct", "quarter", ("phone", "chat"))}
    for name, _grain, channels in views.values():  # each view's decomposition fitted once, as a visit does
        seasonality.decomposition(store, name, channels)
    steps = {f"page, {label}": (lambda view=view: _seasonality_page(store, *view))
             for label, view in views.items()}
    result = _medians_ms(steps, repeat)
    hourly_rows = store.cursor().execute("select count(*) from hourly").fetchone()[0]
    fit = seasonality.decomposition(store, "contacts", ())
    return {"median_ms": result, "first_fit_ms": first_fit, "hourly_rows": hourly_rows,
            "strength": fit.strength, "spikes": len(fit.spikes), "peak_mb": peak_mb()}


FORECAST_AS_OF = date(2026, 11, 1)  # the day after the demo ends
FORECAST_DAYS = 28  # four weeks ahead
STAFF_DAYS = 30  # staffing: a month of 30-minute intervals


def synthetic_month_of_intervals(seed: int = 1):
    """Every half hour of January 2026 (1,488 intervals, nights at zero), a day-shaped load of up to
    400 contacts and AHT 200-400 s: the month tests/test_staffing.py staffs, timed here."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    ts = pd.date_range("2026-01-01", periods=31 * 48, freq="30min", tz="America/Los_Angeles")
    hour = ts.hour + ts.minute / 60
    shape = np.clip(np.sin((hour - 6) / 16 * np.pi), 0, None)
    contacts = np.round(400 * shape * rng.uniform(0.8, 1.2, len(ts)), 1)
    aht = np.where(contacts > 0, np.round(rng.uniform(200, 400, len(ts)), 1), np.nan)
    return pd.DataFrame({"ts": ts, "contacts": contacts, "aht_seconds": aht})


def _timed(run, runs: int) -> tuple[list[float], object]:
    """`run` timed `runs` times: the seconds of each run and the last result."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
    return times, result


def worker_forecast(folder: Path, repeat: int) -> dict:
    """Forecasts as of the day after the data ends, four weeks ahead, every channel: the first of the
    process (imports included) apart, then warm runs of each grain (median of at most 3: they take
    seconds); the 30-minute backtest alone, extending the state-space models' state at each origin
    versus refitting every candidate at every origin (once); staffing a month of 30-minute intervals
    as the Staffing page does (cxdash.views.staffing)."""
    started = time.perf_counter()
    from cxdash.store import Store

    store = Store.open(folder)
    opened = time.perf_counter()
    from cxdash.forecast import Request, backtest, load_grids, make_forecast

    requests = {grain: Request(grain, FORECAST_AS_OF, FORECAST_DAYS) for grain in ("day", "30min", "15min")}
    first = make_forecast(store, requests["day"])
    cold = time.perf_counter() - opened
    runs = min(repeat, 3)
    times, forecasts = {}, {"day": first}
    for grain, request in requests.items():
        times[grain], forecasts[grain] = _timed(lambda request=request: make_forecast(store, request), runs)

    request = requests["30min"]
    grid, days = load_grids(store, request)
    extend_times, extended = _timed(lambda: backtest(grid, days, request), runs)
    refit_times, refitted = _timed(lambda: backtest(grid, days, request, refit=True), 1)

    month_started = time.perf_counter()
    month = make_forecast(store, Request("30min", FORECAST_AS_OF, STAFF_DAYS))  # a month, not 4 weeks
    month_seconds = time.perf_counter() - month_started
    local_day = month.rows["ts"].dt.date  # the rows' times are local
    rows = month.rows[local_day < FORECAST_AS_OF + timedelta(days=STAFF_DAYS)]
    before_import = time.perf_counter()
    from dataclasses import replace

    from cxdash.staffing import staff_intervals
    from cxdash.views.staffing import ERLANG_A, ForecastToStaff, default_inputs, staffing_page

    # the Staffing page's own view of the month, with the settings' defaults (Erlang C)
    chosen = ForecastToStaff("bench", month.request, rows, patience_seconds=120.0)
    inputs = default_inputs(store.settings)
    staffed = staffing_page(chosen, inputs)
    staff_first = time.perf_counter() - before_import
    intervals = staffed.intervals
    synthetic = synthetic_month_of_intervals()
    staffing = _medians_ms({
        "Erlang C": lambda: staffing_page(chosen, inputs),
        f"Erlang C, synthetic month ({len(synthetic):,} intervals)":
            lambda: staff_intervals(synthetic, interval_seconds=1800),
        "Erlang A, patience 120 s": lambda: staffing_page(chosen, replace(inputs, model=ERLANG_A))}, repeat)
    return {"open_seconds": opened - started, "cold_seconds": cold, "runs": runs, "times": times,
            "seconds": {grain: statistics.median(values) for grain, values in times.items()},
            "models": {grain: forecast.model for grain, forecast in forecasts.items()},
            "rows": {grain: len(forecast.rows) for grain, forecast in forecasts.items()},
            "candidate_seconds": forecasts["30min"].backtest.seconds,
            "backtest_origins": int(extended.rows["as_of"].nunique()),
            "backtest_seconds": {"extend": statistics.median(extend_times), "refit": refit_times[0]},
            "refit_candidate_seconds": refitted.seconds, "extend_candidate_seconds": extended.seconds,
            "staff_intervals": len(intervals), "staff_days": int(intervals["ts"].dt.date.nunique()),
            "staff_columns": list(staffed.result.columns), "staff_first_ms": staff_first * 1000,
            "staff_median_ms": staffing, "staff_repeat": repeat, "staff_forecast_seconds": month_seconds,
            "peak_mb": peak_mb()}


def print_steps(medians: dict[str, float], goal_ms: float | None = None, what: str = "") -> None:
    """Each step's median, then, with a goal, whether the slowest step meets it."""
    for name, ms in medians.items():
        print(f"  {name:<48} {ms:7.1f} ms")
    if goal_ms is not None:
        slowest = max(medians, key=medians.get)
        print(f"{what}: slowest {slowest} at {medians[slowest]:.1f} ms (goal: <= {goal_ms:g} ms warm): "
              f"{'met' if medians[slowest] <= goal_ms else 'NOT met'}")


def print_forecast(result: dict) -> None:
    """The forecast worker's figures, with the issue's goals."""
    seconds, models, runs = result["seconds"], result["models"], result["runs"]
    print(f"forecasts as of {FORECAST_AS_OF}, {FORECAST_DAYS} days ahead, every channel (fresh process; "
          f"store opened in {result['open_seconds']:.2f} s; peak {result['peak_mb']:.0f} MB):")
    print(f"  first forecast of the process (day, imports included): {result['cold_seconds']:.2f} s")
    goals = {"day": 3, "30min": 10, "15min": None}
    for grain, goal in goals.items():
        verdict = f" (goal: < {goal} s): {'met' if seconds[grain] < goal else 'NOT met'}" if goal else \
            " (no goal)"
        spread = "-".join(f"{s:.2f}" for s in (min(result["times"][grain]), max(result["times"][grain])))
        print(f"  {grain + ' forecast with its backtest':<34} {seconds[grain]:6.2f} s (median of {runs} warm "
              f"runs, {spread} s; {result['rows'][grain]:,} rows; model {models[grain]}){verdict}")
    print(f"30-minute forecast, each candidate's backtest ({result['backtest_origins']} origins; "
          f"chosen: {models['30min']}):")
    print_steps({name: s * 1000 for name, s in result["candidate_seconds"].items()})
    backtests = result["backtest_seconds"]
    print(f"30-minute backtest alone: extending the state at each origin {backtests['extend']:.2f} s "
          f"(median of {runs}), refitting at every origin {backtests['refit']:.2f} s (once): "
          f"refit / extend {backtests['refit'] / backtests['extend']:.1f}x; refitting, per candidate:")
    print_steps({name: s * 1000 for name, s in result["refit_candidate_seconds"].items()})
    print(f"staffing, {result['staff_days']} days of 30-minute intervals from the forecast "
          f"({result['staff_intervals']:,} open intervals; that forecast took "
          f"{result['staff_forecast_seconds']:.2f} s; first call, import included, "
          f"{result['staff_first_ms']:.0f} ms; median of {result['staff_repeat']} warm calls):")
    print_steps({name: ms for name, ms in result["staff_median_ms"].items() if name.startswith("Erlang C")},
                1000, "Staffing a month of intervals, Erlang C")
    print_steps({name: ms for name, ms in result["staff_median_ms"].items() if name.startswith("Erlang A")})


def report_command(folder: Path, out: Path) -> float:
    """`python -m cxdash report` in a fresh process, as a scheduled job runs it: seconds."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "cxdash", "report", "--data", str(folder), "--month",
                    REPORT_MONTH.strftime("%Y-%m"), "--out", str(out)], check=True, cwd=ROOT,
                   capture_output=True)
    return time.perf_counter() - started


def worker_pandas(folder: Path) -> dict:
    """The same overview figures with plain pandas: read the needed columns of every file, group."""
    started = time.perf_counter()
    import pandas as pd

    from cxdash.kpis import Period

    columns = ["channel", "arrived_at", "answered_at", "ended_at", "abandoned", "talk_seconds",
               "hold_seconds", "wrap_seconds", "resolved_first_contact", "csat_score", "nps_score",
               "ces_score"]
    frame = pd.read_parquet(folder / "interactions", columns=columns)
    costs = pd.concat([pd.read_parquet(p) for p in sorted((folder / "costs").glob("*.parquet"))]
                      + [pd.read_csv(p) for p in sorted((folder / "costs").glob("*.csv"))])
    read = time.perf_counter()

    live, asynchronous = ["phone", "chat"], ["email", "social", "sms"]
    frame["day"] = frame["arrived_at"].dt.tz_convert("America/Los_Angeles").dt.date
    is_live = frame["channel"].isin(live)
    answered = frame["answered_at"].notna()
    abandoned = frame["abandoned"].fillna(~answered & is_live).astype(bool)
    wait = (frame["answered_at"] - frame["arrived_at"]).dt.total_seconds()
    in_queue = (frame["ended_at"] - frame["arrived_at"]).dt.total_seconds()
    short = is_live & abandoned & (in_queue < 5).fillna(False)
    handle = frame[["talk_seconds", "hold_seconds", "wrap_seconds"]]
    measures = pd.DataFrame({
        "day": frame["day"],
        "contacts": 1,
        "served": answered | ((frame["channel"] == "self_service") & ~abandoned),
        "offered": is_live & ~short,
        "live_answered": is_live & answered,
        "live_abandoned": is_live & abandoned & ~short,
        "within_threshold": is_live & answered & (wait <= 20),
        "live_wait": wait.where(is_live & answered, 0.0),
        "handled": answered & handle.notna().any(axis=1),
        "handle_seconds": handle.fillna(0).sum(axis=1).where(answered & handle.notna().any(axis=1), 0.0),
        "async": frame["channel"].isin(asynchronous),
        "async_in_target": frame["channel"].isin(asynchronous) & answered & (wait <= 7200),
        "rated": frame["csat_score"].notna(),
        "good": frame["csat_score"] >= 4,
        "nps_responses": frame["nps_score"].notna(),
        "promoters": frame["nps_score"] >= 9,
        "detractors": frame["nps_score"] <= 6,
        "ces_responses": frame["ces_score"].notna(),
        "ces_sum": frame["ces_score"].fillna(0),
        "fcr_known": frame["resolved_first_contact"].notna(),
        "fcr_resolved": frame["resolved_first_contact"].fillna(False).astype(bool),
    })
    daily = measures.groupby("day").sum()
    costs = costs[costs["cost_type"] != "one_time"]
    monthly_cost = costs.groupby(pd.to_datetime(costs["month"]).dt.date)["amount_usd"].sum()

    def figures(period: Period) -> dict:
        window = daily.loc[period.start:period.end].sum()
        cost = monthly_cost.loc[period.start:period.end].sum()  # whole months: the month's total
        ratio = lambda top, bottom: float(top / bottom) if bottom else None  # noqa: E731
        return {
            "contacts": int(window["contacts"]),
            "csat_pct": ratio(100 * window["good"], window["rated"]),
            "response_rate_pct": ratio(100 * window["rated"], window["served"]),
            "nps": ratio(100 * (window["promoters"] - window["detractors"]), window["nps_responses"]),
            "ces": ratio(window["ces_sum"], window["ces_responses"]),
            "fcr_pct": ratio(100 * window["fcr_resolved"], window["fcr_known"]),
            "aht_seconds": ratio(window["handle_seconds"], window["handled"]),
            "asa_seconds": ratio(window["live_wait"], window["live_answered"]),
            "abandon_rate_pct": ratio(100 * window["live_abandoned"], window["offered"]),
            "service_level_pct": ratio(100 * window["within_threshold"], window["offered"]),
            "first_response_target_pct": ratio(100 * window["async_in_target"], window["async"]),
            "cost_per_contact_usd": ratio(cost, window["served"]),
        }

    period = Period(*PERIOD)
    result = figures(period)
    figures(period.previous())
    figures(period.last_year())
    return {"seconds": time.perf_counter() - started, "read_seconds": read - started,
            "figures": result, "rows": len(frame), "peak_mb": peak_mb()}


KPIS_MONTH = PERIOD  # `kpis --json` against pandas: the overview's default month
LOCAL_TZ = "America/Los_Angeles"  # the demo's time zone (the settings' default)


def worker_pandas_month(folder: Path) -> dict:
    """Plain pandas as an analyst would write it: read the 7 columns that a month's contacts, CSAT,
    NPS and AHT need from every interactions file, keep the month's local days, compute the four."""
    started = time.perf_counter()
    import pandas as pd

    columns = ["arrived_at", "answered_at", "talk_seconds", "hold_seconds", "wrap_seconds",
               "csat_score", "nps_score"]
    frame = pd.read_parquet(folder / "interactions", columns=columns)
    start = pd.Timestamp(KPIS_MONTH[0]).tz_localize(LOCAL_TZ)
    end = pd.Timestamp(KPIS_MONTH[1] + timedelta(days=1)).tz_localize(LOCAL_TZ)
    month = frame[(frame["arrived_at"] >= start) & (frame["arrived_at"] < end)]
    handle = month[["talk_seconds", "hold_seconds", "wrap_seconds"]]
    handled = month["answered_at"].notna() & handle.notna().any(axis=1)
    csat, nps = month["csat_score"], month["nps_score"]
    figures = {
        "contacts": len(month),
        "csat_pct": float(100 * (csat >= 4).sum() / csat.notna().sum()),
        "nps": float(100 * ((nps >= 9).sum() - (nps <= 6).sum()) / nps.notna().sum()),
        "aht_seconds": float(handle[handled].fillna(0).sum(axis=1).sum() / handled.sum()),
    }
    return {"seconds": time.perf_counter() - started, "rows": len(frame), "figures": figures}


MONTH_ADDED_GOAL = 2.0  # seconds to prepare again when one month's file is added, at 10M interactions


def month_added(folder: Path, runs: int = 3) -> dict:
    """Adding one month's file: take the last month away, prepare, put it back and time the prepare
    (a fresh process each time, as a restarted app pays it); the median of `runs`."""
    last = sorted((folder / "interactions").iterdir())[-1]
    aside = OUT / "month-aside"
    results = []
    for _ in range(runs):
        shutil.rmtree(aside, ignore_errors=True)
        shutil.move(last, aside)
        run_worker("prepare", folder)
        shutil.move(aside, last)
        results.append(run_worker("prepare", folder))
    return {"seconds": statistics.median(r["seconds"] for r in results),
            "runs": [r["seconds"] for r in results], "reprocessed": results[-1]["reprocessed"],
            "peak_mb": max(r["peak_mb"] for r in results)}


def kpis_against_pandas(folder: Path, runs: int = 5) -> dict:
    """`python -m cxdash kpis --json` for the month, a fresh process each time on a warm store,
    against the plain-pandas script above, also a fresh process each time: wall-clock seconds of
    each whole process (interpreter start and imports included), the two taking turns."""
    command = [sys.executable, "-m", "cxdash", "kpis", "--data", str(folder), "--start",
               KPIS_MONTH[0].isoformat(), "--end", KPIS_MONTH[1].isoformat(), "--json"]
    subprocess.run(command, check=True, cwd=ROOT, capture_output=True)  # the store warm
    ours, theirs, figures, pandas_figures = [], [], {}, {}
    for _ in range(runs):
        started = time.perf_counter()
        output = subprocess.run(command, check=True, cwd=ROOT, capture_output=True, text=True).stdout
        ours.append(time.perf_counter() - started)
        figures = json.loads(output)
        started = time.perf_counter()
        pandas_figures = run_worker("pandas_month", folder)["figures"]
        theirs.append(time.perf_counter() - started)
    agree = all(abs(figures[name] - value) <= 1e-9 * max(1.0, abs(value))
                for name, value in pandas_figures.items())
    return {"kpis_seconds": statistics.median(ours), "pandas_seconds": statistics.median(theirs),
            "kpis_runs": ours, "pandas_runs": theirs, "runs": runs, "agree": agree}


def print_kpis_against_pandas(result: dict) -> None:
    ratio = result["kpis_seconds"] / result["pandas_seconds"]
    print(f"python -m cxdash kpis --json for {KPIS_MONTH[0]:%B %Y}, fresh process, warm store (median of "
          f"{result['runs']}): {result['kpis_seconds']:.2f} s; plain pandas, the month's contacts, CSAT, "
          f"NPS and AHT from the raw files, fresh process (median of {result['runs']}): "
          f"{result['pandas_seconds']:.2f} s")
    print(f"  ratio kpis / pandas: {ratio:.2f} (goal: at most 0.25): "
          f"{'met' if ratio <= 0.25 else 'NOT met'}; "
          f"the four figures agree: {'yes' if result['agree'] else 'NO'}")


WORKERS = {"demo": worker_demo, "prepare": worker_prepare, "restart": worker_restart,
           "queries": worker_queries, "quality": worker_quality, "monthly": worker_monthly,
           "seasonality": worker_seasonality, "forecast": worker_forecast,
           "pandas": worker_pandas, "pandas_month": worker_pandas_month}


def run_worker(name: str, *args) -> dict:
    command = [sys.executable, __file__, "--worker", name, *map(str, args)]
    output = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT).stdout
    return json.loads(output.strip().splitlines()[-1])


def browser_first_view(folder: Path, repeat: int = 5) -> dict | None:
    """The overview's first view in Chromium (bench/first_view.py): until its 12 tile values and 2
    charts are drawn, for the first and a second visitor of a freshly started server, against the same
    view drawn from constants (bench/first_view_constant.py) in the same run. Prints its figures and
    the issue's goals; None (nothing printed) when Chromium is missing."""
    sys.path.insert(0, str(ROOT / "bench"))
    import first_view

    result = first_view.measure(folder, repeat, say=lambda line: None)
    if result is not None:
        first_view.print_summary(result)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--scale", type=float, default=9.15, help="demo scale (9.15: ~10M contacts)")
    parser.add_argument("--repeat", type=int, default=21, help="repetitions of each timing")
    parser.add_argument("--fresh", action="store_true", help="rebuild the demo even if present")
    parser.add_argument("--only-import", action="store_true", help="time only the import of a CTR export")
    parser.add_argument("--only-kpis", metavar="DIR", type=Path,
                        help="time only `python -m cxdash kpis --json` against plain pandas, on the "
                             "prepared data folder DIR (which it does not change)")
    parser.add_argument("--only-month-added", metavar="DIR", type=Path,
                        help="time only preparing again when the last month's file of the prepared data "
                             "folder DIR is added (it is taken away and put back)")
    args = parser.parse_args()
    if args.worker:
        name, *rest = args.worker
        folder = Path(rest[0])
        extra = [float(rest[1])] if name == "demo" else \
            [int(rest[1])] if name in ("queries", "quality", "monthly", "seasonality", "forecast") else []
        print(json.dumps(WORKERS[name](folder, *extra), default=str))
        return

    if args.only_kpis:
        print(f"cxdash benchmark: {os.cpu_count()} cores; data in {args.only_kpis}")
        result = kpis_against_pandas(args.only_kpis)
        print_kpis_against_pandas(result)
        if not result["agree"]:
            raise SystemExit(1)
        return
    if args.only_month_added:
        print(f"cxdash benchmark: {os.cpu_count()} cores; data in {args.only_month_added}")
        OUT.mkdir(parents=True, exist_ok=True)
        added = month_added(args.only_month_added)
        print(f"prepare, one month added (median of {len(added['runs'])}): {added['seconds']:.2f} s "
              f"(runs: {', '.join(f'{s:.2f}' for s in added['runs'])}); goal at most {MONTH_ADDED_GOAL:g} s: "
              f"{'met' if added['seconds'] <= MONTH_ADDED_GOAL else 'NOT met'}")
        return
    if args.only_import:
        OUT.mkdir(parents=True, exist_ok=True)
        imports.main(["--runs", "3"])
        return
    folder = OUT / f"data-scale-{args.scale:g}"
    print(f"cxdash benchmark: {os.cpu_count()} cores; data in {folder}")
    if args.fresh or not (folder / "interactions").is_dir():
        shutil.rmtree(folder, ignore_errors=True)
        demo = run_worker("demo", folder, args.scale)
        print(f"demo written:            {demo['interactions']:,} interactions in "
              f"{demo['seconds']:.1f} s (peak {demo['peak_mb']:.0f} MB)")
    shutil.rmtree(folder / ".cxdash", ignore_errors=True)

    cold = run_worker("prepare", folder)
    print(f"prepare, all files:      {cold['seconds']:.1f} s for {cold['rows_read']:,} rows in "
          f"{cold['reprocessed']} files, {cold['rows_set_aside']} set aside "
          f"(peak {cold['peak_mb']:.0f} MB)")

    added = month_added(folder)
    print(f"prepare, one month added (median of {len(added['runs'])}): {added['seconds']:.2f} s, "
          f"{added['reprocessed']} file reprocessed (peak {added['peak_mb']:.0f} MB); goal at most "
          f"{MONTH_ADDED_GOAL:g} s: {'met' if added['seconds'] <= MONTH_ADDED_GOAL else 'NOT met'}")
    unchanged = run_worker("prepare", folder)
    print(f"prepare, nothing changed: {unchanged['seconds'] * 1000:.0f} ms, "
          f"{unchanged['reprocessed']} files reprocessed")

    restarts = [run_worker("restart", folder) for _ in range(5)]
    restart = statistics.median(r["seconds"] for r in restarts)
    print(f"restart to overview figures (fresh process, median of 5): {restart:.2f} s "
          f"(peak {max(r['peak_mb'] for r in restarts):.0f} MB)")

    if browser_first_view(folder) is None:
        print("first view in Chromium: skipped, /usr/bin/chromium is missing")

    queries = run_worker("queries", folder, args.repeat)
    print(f"warm page views, figures included (median of {args.repeat}; daily table "
          f"{queries['daily_rows']:,} rows, peak {queries['peak_mb']:.0f} MB):")
    for name, ms in queries["median_ms"].items():
        print(f"  {name:<34} {ms:7.1f} ms")

    steps = run_worker("quality", folder, args.repeat)
    print(f"warm Quality page, April 2026 (median of {args.repeat}; detailed rollup "
          f"{steps['detail_rows']:,} rows, peak {steps['peak_mb']:.0f} MB; flagged days "
          f"{steps['flagged']}; first mover on {FLAGGED_DAY}: {steps['first_mover']}, "
          f"{steps['behind']:,} rated interactions behind it):")
    print_steps({name: ms for name, ms in steps["median_ms"].items() if not name.startswith("drill")})
    print_steps({name: ms for name, ms in steps["median_ms"].items() if name.startswith("drill")},
                100, "Quality drill-down, each step")

    monthly = run_worker("monthly", folder, args.repeat)
    print(f"warm Monthly report page, {REPORT_MONTH:%B %Y} (median of {args.repeat}; "
          f"{monthly['customers']:,} customers, {monthly['orders']:,} orders; "
          f"peak {monthly['peak_mb']:.0f} MB; report {monthly['html_mb']:.1f} MB):")
    print_steps({name: ms for name, ms in monthly["median_ms"].items() if name.startswith("download")})
    print_steps({name: ms for name, ms in monthly["median_ms"].items() if name.startswith("page")},
                300, "Monthly report page view, figures included")
    commands = [report_command(folder, OUT / "report.html") for _ in range(5)]
    command = statistics.median(commands)
    print(f"python -m cxdash report --month {REPORT_MONTH:%Y-%m} (fresh process, median of 5): "
          f"{command:.2f} s (goal: < 10 s): {'met' if command < 10 else 'NOT met'}")

    season = run_worker("seasonality", folder, args.repeat)
    print(f"warm Seasonality page (median of {args.repeat}; hourly table {season['hourly_rows']:,} rows, "
          f"peak {season['peak_mb']:.0f} MB; first MSTL fit of a view {season['first_fit_ms']:.0f} ms, "
          f"once per store; contacts: strength {season['strength']}, {season['spikes']} spikes):")
    print_steps(season["median_ms"], 300, "Seasonality page views, figures and decomposition included")

    print_forecast(run_worker("forecast", folder, args.repeat))
    imports.main(["--runs", "3"])  # every source's importer: bench/imports.py

    pandas_runs = [run_worker("pandas", folder) for _ in range(3)]
    pandas_seconds = statistics.median(r["seconds"] for r in pandas_runs)
    pandas_read = statistics.median(r["read_seconds"] for r in pandas_runs)
    print(f"plain pandas, same overview figures (median of 3): {pandas_seconds:.2f} s "
          f"({pandas_read:.2f} s reading {pandas_runs[0]['rows']:,} rows; "
          f"peak {max(r['peak_mb'] for r in pandas_runs):.0f} MB)")

    month_result = kpis_against_pandas(folder)
    print_kpis_against_pandas(month_result)

    ours, theirs = queries["figures"], pandas_runs[0]["figures"]
    mismatched = [name for name in ours if not (
        (ours[name] is None and theirs[name] is None)
        or (ours[name] is not None and theirs[name] is not None
            and abs(ours[name] - theirs[name]) <= 1e-9 * max(1.0, abs(theirs[name]))))]
    print("figures agree with pandas: " + ("yes, all 12" if not mismatched else
                                          f"NO: {', '.join(mismatched)}"))
    overview_ms = queries["median_ms"]["overview"]
    print(f"ratio, pandas / warm overview queries: {pandas_seconds * 1000 / overview_ms:,.0f}x; "
          f"pandas / restart to overview: {pandas_seconds / restart:.1f}x")
    if mismatched or not month_result["agree"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
