"""What the Forecast page shows for a selection (grain, channels, queues): on the Forecast tab, the run
of the record it opens on, with its candidates; on the Accuracy tab, the stored forecasts and the
backtest scored on the actuals, by horizon and over time, the largest misses and the record.

Running a forecast is the page's one action: `run_forecast` makes it and keeps it in the record.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
from plotly.graph_objects import Figure

from cxdash import accuracy, charts, forecast, kpis, record
from cxdash.safe import plain
from cxdash.store import Store
from cxdash.views import Tile

GRAIN_LABELS = {"day": "Day", "30min": "30 minutes", "15min": "15 minutes"}
DEFAULT_HORIZON = 14
WAPE_HELP = ("WAPE = sum of |actual - forecast| / sum of actuals: the headline, safe on quiet intervals. "
             "MAPE = mean of |actual - forecast| / actual over intervals with contacts (errors are divided "
             "by the actual). Bias = sum of (forecast - actual) / sum of actuals: positive runs high.")
FLOOR_HELP = ("Arrivals are close to Poisson: even a perfect forecast of an interval's mean misses by "
              "about sqrt(2/(pi x mean)) on average: 25% at 10 contacts an interval, 8% at 100. No model "
              "can beat this floor; the seed's 8% MAPE target needs about "
              f"{accuracy.contacts_for_target():.0f} contacts an interval.")
# the record's columns the Accuracy tab shows (the download has them all)
RECORD_COLUMNS = ["run_id", "created_at", "as_of", "grain", "label", "model", "wape", "mape", "bias",
                  "coverage", "intervals"]
COVERAGE_HELP = (f"The share of actual interval counts inside the forecast's {forecast.LEVEL:.0%} interval: "
                 f"an honest {forecast.LEVEL:.0%} interval holds about {forecast.LEVEL:.0%} (75-85% is the "
                 "goal); more means the band is wider than it needs to be, less that it is too narrow to "
                 "staff to.")


@dataclass(frozen=True)
class Selection:
    """What the page forecasts: a grain and the channels and queues (empty = all)."""

    grain: str
    channels: tuple[str, ...]
    queues: tuple[str, ...]

    def label(self) -> str:
        return forecast.Request(self.grain, date(2000, 1, 1), 1, self.channels, self.queues).label()

    def text(self) -> str:
        """The label as Markdown that shows it as it is (queue names are data)."""
        return plain(self.label())


def choices(store: Store) -> dict[str, list[str]]:
    """The channels and queues the selection offers, most contacts first."""
    options = kpis.filter_options(store)
    return {"channel": options.get("channel", []), "queue": options.get("queue", [])}


def as_of_range(span: tuple[date, date], today: date) -> tuple[date, date, date]:
    """The as-of date the page starts from (forecast.default_as_of), and the earliest and latest it
    takes: the day after the data begins, and a year after today."""
    default = forecast.default_as_of(span[1], today)
    return default, span[0] + timedelta(days=1), max(default, today) + timedelta(days=366)


def _pct(value) -> str:
    return "–" if value is None or pd.isna(value) else f"{100 * value:.1f}%"


# --- running a forecast --------------------------------------------------------------------------------

def run_forecast(store: Store, chosen: Selection, as_of: date, horizon: int,
                 progress: Callable[[float, str], None] | None = None) -> tuple[str, str]:
    """Forecast the selection, keep the run in the record; returns its id and the sentence that says
    so. A forecast that cannot be made raises forecast.ForecastError, with the reason."""
    request = forecast.Request(chosen.grain, as_of, int(horizon), chosen.channels, chosen.queues)
    result = forecast.make_forecast(store, request, progress=progress)
    run_id = record.save(store.folder, result)
    return run_id, (f"Forecast {run_id} saved to the record: {len(result.rows):,} open intervals with "
                    f"{forecast.model_label(result.model)} in {result.seconds:.1f} s.")


# --- the Forecast tab ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ForecastTab:
    empty: str | None  # Markdown when the record holds no run of the selection; the rest is then None
    run_id: str | None = None
    caption: str | None = None
    tiles: tuple[Tile, ...] | None = None
    chart: Figure | None = None
    band: str | None = None  # how the band was made
    candidates: pd.DataFrame | None = None  # Chosen, Candidate, WAPE ... Week ahead (percents), Seconds
    backtest: str | None = None  # how the candidates were tested, and which were left out
    rows: pd.DataFrame | None = None  # the forecast's rows, for the download
    combination: str | None = None  # how the candidates were combined, by lead (Markdown)


def forecast_tab(store: Store, chosen: Selection, new_run: str | None = None) -> ForecastTab:
    """The selection's run from the record: the one just made, else the newest."""
    runs = record.matching_runs(store.folder, chosen.grain, chosen.channels, chosen.queues)
    if runs.empty:
        return ForecastTab(f"No forecast of {chosen.text()} by {GRAIN_LABELS[chosen.grain].lower()} yet: "
                           "choose the as-of date and the days ahead, then Run forecast.")
    run = runs[runs["run_id"] == new_run].iloc[0] if new_run in set(runs["run_id"]) else runs.iloc[0]
    meta = record.metadata(store.folder, run["run_id"])
    rows = record.rows(store.folder, run["run_id"], store.settings.timezone)
    table = pd.DataFrame(meta["backtest"])
    chosen_row = table[table["chosen"]].iloc[0]
    benchmarks = table[table["model"].isin(forecast.BENCHMARKS)]
    best_benchmark = benchmarks["wape"].min() if not benchmarks.empty else None
    created = pd.Timestamp(meta["created_at"]).tz_convert(store.settings.timezone)
    caption = (f"Forecast {run['run_id']}: {chosen.text()}, as of {meta['as_of']}, "
               f"{meta['horizon_days']} days ahead, made {created:%Y-%m-%d %H:%M}. "
               f"{len(runs)} run(s) of this selection in the record (see Accuracy).")
    delta = None if best_benchmark is None or pd.isna(best_benchmark) else \
        f"{100 * (chosen_row['wape'] - best_benchmark):+.1f} pts vs best benchmark"
    floor = accuracy.poisson_floor(rows["yhat"].to_numpy())
    tiles = (
        Tile("Contacts forecast", f"{rows['yhat'].sum():,.0f}",
             help=f"Sum over the {len(rows):,} open intervals forecast."),
        Tile("Backtest WAPE", _pct(chosen_row["wape"]), help=WAPE_HELP, delta=delta, delta_color="inverse"),
        Tile("Poisson floor (WAPE)", _pct(floor["wape"]), help=FLOOR_HELP),
        Tile("Contacts per interval", f"{floor['mean_per_interval']:,.1f}",
             help="The forecast's mean per open interval. The 8% MAPE target needs about "
                  f"{accuracy.contacts_for_target():.0f}."))
    actuals = record.actuals(store, record.request_of(meta))
    window_start = rows["ts"].min() - pd.Timedelta(days=28 if chosen.grain == "day" else 14)
    shown = actuals[(actuals["ts"] >= window_start) & (actuals["ts"] <= rows["ts"].max())]
    step = pd.Timedelta(minutes=forecast.GRAINS[chosen.grain])
    band = (f"The band should hold {forecast.LEVEL:.0%} of outcomes: it comes from the "
            + ("model's own prediction interval." if meta["interval_source"] == "model" else
               "forecast's own backtest errors at each lead (how far actuals fell from it, day by day).")
            + " How often it held is on the Accuracy tab. Closed intervals are neither forecast nor scored.")
    left_out = "".join(f" Left out: {forecast.model_label(name)} ({reason})."
                       for name, reason in meta.get("failed", {}).items())
    backtest = (f"Backtest: forecasts from every local midnight of the eight weeks before {meta['as_of']}, "
                "each from contacts before it, scored on open intervals up to "
                f"{min(meta['horizon_days'], forecast.MAX_LEAD_DAYS)} days ahead." + left_out)
    return ForecastTab(None, run["run_id"], caption, tiles,
                       charts.forecast_chart(shown, rows, forecast.LEVEL, step), band,
                       candidate_table(table), backtest, rows, combination_text(meta.get("combination")))


def combination_text(groups: list[dict] | None) -> str | None:
    """How a run combined its candidates, one line per lead group (None: a run from one candidate)."""
    if not groups:
        return None
    lines = []
    for group in groups:
        models = [forecast.model_label(name) for name in group["models"]]
        if len(models) <= 1:
            lines.append(f"- **{group['group'].capitalize()}**: {', '.join(models) or 'nothing'} alone (the "
                         f"mean ran more than {forecast.combine.GUARD - 1:.0%} behind it in the backtest)")
        else:
            lines.append(f"- **{group['group'].capitalize()}**: the mean of {', '.join(models)}")
    return ("The forecast is the equal-weight mean of the 4-week average and the regressions, for each lead "
            "(on real call arrivals, picking one candidate by a noisy backtest lost to the average; the mean "
            "of the two kinds did better than either):\n\n" + "\n".join(lines))


def candidate_table(table: pd.DataFrame) -> pd.DataFrame:
    """A run's backtest table (Forecast.accuracy_table) as the page shows it, percents as numbers."""
    return pd.DataFrame({
        "Chosen": table["chosen"].map({True: "✓", False: ""}),
        "Candidate": table["label"],
        "WAPE": 100 * table["wape"], "MAPE": 100 * table["mape"], "Bias": 100 * table["bias"],
        "Same day": 100 * table["wape_same_day"], "Day ahead": 100 * table["wape_day_ahead"],
        "Week ahead": 100 * table["wape_week_ahead"],
        "Seconds": table["seconds"].round(2),
    })


# --- the Accuracy tab ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class AccuracyTab:
    problem: str | None  # Markdown when the selection cannot be backtested; the rest is then None
    caption: str | None = None
    tiles: tuple[Tile, ...] | None = None
    out_of_reach: str | None = None  # when even a perfect forecast misses the seed's MAPE target
    by_lead_chart: Figure | None = None
    horizons: pd.DataFrame | None = None  # Horizon, Stored WAPE, Backtest WAPE (percents)
    over_time_chart: Figure | None = None
    coverage_chart: Figure | None = None  # each stored run's interval coverage; None: no run with actuals
    misses_caption: str | None = None
    misses_intervals: pd.DataFrame | None = None  # ts (text), as_of, forecast, actual, miss
    misses_days: pd.DataFrame | None = None  # day, forecast, actual, miss, miss_pct
    record: pd.DataFrame | None = None  # every stored run's accuracy, percents as numbers; None: no run


def accuracy_tab(store: Store, chosen: Selection, as_of: date) -> AccuracyTab:
    """The selection's stored forecasts scored on the actuals so far, beside the backtest as of
    `as_of` of the forecast as it is made now (the combination); and every stored run's accuracy."""
    tz = store.settings.timezone
    stored = record.scored_runs(store, store.folder, chosen.grain, chosen.channels, chosen.queues)
    try:
        tested, model = forecast.selection_backtest(store, chosen.grain, chosen.channels, chosen.queues,
                                                    as_of)
    except forecast.ForecastError as error:
        return AccuracyTab(plain(error))
    backtest_rows = tested.rows[tested.rows["model"] == model]
    caption = (f"{chosen.text()} by {GRAIN_LABELS[chosen.grain].lower()}. Stored forecasts are scored on "
               "the actuals that have arrived since; the backtest ("
               f"{forecast.model_label(model)}, as a forecast is made now) gives a new "
               "install its history at once. Only open intervals count.")
    stored_scores = accuracy.scores(stored["actual"], stored["yhat"])
    stored_coverage = accuracy.coverage(stored["actual"], stored["yhat_lower"], stored["yhat_upper"])
    backtest_scores = accuracy.scores(backtest_rows["actual"], backtest_rows["yhat"])
    floor = accuracy.poisson_floor(backtest_rows["yhat"])
    runs_scored = stored["run_id"].nunique() if not stored.empty else 0
    tiles = (
        Tile("WAPE, stored forecasts", _pct(stored_scores["wape"]),
             help=WAPE_HELP + f" {runs_scored} run(s) with actuals."),
        Tile("MAPE, stored forecasts", _pct(stored_scores["mape"]), help=WAPE_HELP),
        Tile("Bias, stored forecasts", _pct(stored_scores["bias"]), help=WAPE_HELP),
        Tile(f"{forecast.LEVEL:.0%} interval held", _pct(stored_coverage), help=COVERAGE_HELP),
        Tile("WAPE, backtest", _pct(backtest_scores["wape"]), help=WAPE_HELP,
             delta=f"MAPE {_pct(backtest_scores['mape'])}", delta_color="off", delta_arrow="off"),
        Tile("Poisson floor", _pct(floor["wape"]), help=FLOOR_HELP, delta=f"MAPE {_pct(floor['mape'])}",
             delta_color="off", delta_arrow="off"))
    target = accuracy.TARGET_MAPE
    out_of_reach = None
    if floor["mape"] == floor["mape"] and floor["mape"] > target:
        out_of_reach = (f"The seed's target of MAPE ≤ {100 * target:g}% is out of reach here: these "
                        f"intervals average {floor['mean_per_interval']:,.1f} contacts, and even a perfect "
                        f"forecast would score a MAPE of about {_pct(floor['mape'])}. Judge the forecast "
                        "against the floor, or forecast a coarser grain or a larger group.")

    leads = []
    for source, frame in (("Stored forecasts", stored), ("Backtest", backtest_rows)):
        lead = accuracy.by_lead(frame)
        leads.append(lead.assign(source=source, wape_pct=100 * lead["wape"]))
    by_lead = pd.concat(leads, ignore_index=True)

    points = [accuracy.by_as_of(backtest_rows, "as_of").assign(source="Backtest")]
    if not stored.empty:
        points.append(accuracy.by_as_of(stored, "run_id").assign(source="Stored forecast"))
    over_time = pd.concat(points, ignore_index=True)
    over_time["wape_pct"] = 100 * over_time["wape"]

    stored_points = over_time[over_time["source"] == "Stored forecast"].dropna(subset=["coverage"])
    coverage_chart = None if stored_points.empty else charts.coverage_over_time(
        stored_points.assign(coverage_pct=100 * stored_points["coverage"]), forecast.LEVEL)

    intervals, days = accuracy.largest_misses(stored if not stored.empty else backtest_rows, tz)
    by_run = record.run_accuracy(store, store.folder)
    shown = None if by_run.empty else by_run.assign(
        created_at=by_run["created_at"].dt.tz_convert(tz).dt.strftime("%Y-%m-%d %H:%M"),
        wape=100 * by_run["wape"], mape=100 * by_run["mape"], bias=100 * by_run["bias"],
        coverage=100 * by_run["coverage"])
    return AccuracyTab(
        None, caption, tiles, out_of_reach,
        charts.accuracy_by_lead(by_lead[by_lead["lead"] <= forecast.MAX_LEAD_DAYS], target),
        horizon_table(by_lead), charts.accuracy_over_time(over_time, target, floor["wape"]), coverage_chart,
        "From the stored forecasts." if not stored.empty else
        "From the backtest (no stored forecast has actuals yet).",
        intervals.assign(ts=intervals["ts"].astype(str)), days, shown)


def horizon_table(by_lead: pd.DataFrame) -> pd.DataFrame:
    """WAPE (percent) at the same day, the day ahead and the week ahead, stored and backtest."""
    rows = []
    for lead, name in accuracy.LEADS.items():
        entry = {"Horizon": accuracy.LEAD_LABELS[name]}
        for source, column in (("Stored forecasts", "Stored WAPE"), ("Backtest", "Backtest WAPE")):
            match = by_lead[(by_lead["source"] == source) & (by_lead["lead"] == lead)]
            entry[column] = match["wape_pct"].iloc[0] if len(match) else None
        rows.append(entry)
    return pd.DataFrame(rows)
