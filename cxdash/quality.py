"""Quality: CSAT that separates signal from noise, the movers behind a change, the interactions behind them.

The control chart is a p-chart (Shewhart): each day's CSAT against a center line from a baseline
(the weeks before the period), with limits at three standard errors for that day's number of
ratings, so a quiet day gets wide limits and a busy day narrow ones. Days with too few ratings for
the binomial approximation are shown as uncertain and never raise an alarm. Optionally (Laney's
p'-chart) the limits widen by the day-to-day spread the baseline shows beyond sampling noise,
which large operations need: with thousands of ratings a day, a p-chart alarms on ordinary days.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from cxdash.calendar import add_months, local_midnight, unit_start
from cxdash.kpis import Filters, Period, daily_measures
from cxdash.metrics import TIER_SHARES, definition, ratio, status, target_text
from cxdash.settings import Settings
from cxdash.store import Store

CSAT = "csat_pct"
GRAINS = ("day", "week", "month")
DIMENSIONS = ("channel", "queue", "team", "agent", "tier")
SIGMAS = 3.0
RUN_LENGTH = 8  # Western Electric / Nelson: eight in a row on one side of the center line
MIN_EXPECTED = 5  # the binomial approximation wants n*p >= 5 and n*(1-p) >= 5
MIN_RATINGS_FOR_MEAN = 10
D2 = 1.128  # the moving range of two points estimates sigma as mean range / d2
INTERACTION_LIMIT = 50_000
SURVEY_TRENDS = ("nps", "ces", "fcr_pct")


# --- the arithmetic, on plain frames ----------------------------------------------------------------

@dataclass(frozen=True)
class Scale:
    """How a CSAT value relates to the ratings behind it, under the configured method."""

    proportion: bool  # top-2-box or good/bad: a share; mean: an average score
    scale: float  # 100 for a percentage
    low: float  # the range the value can take, to clip limits
    high: float


def csat_scale(settings: Settings) -> Scale:
    if settings.csat_method == "mean":
        return Scale(False, 1.0, 1.0, 5.0)
    return Scale(True, 100.0, 0.0, 100.0)


def ratings(measures: pd.DataFrame, settings: Settings) -> pd.Series:
    """The number of ratings CSAT divides by under the method (its denominator)."""
    rule = definition(CSAT, settings)
    return sum(measures[m].astype(float) for m in rule.denominator)


def unit_sd(center: float, scale: Scale, score_variance: float | None = None) -> float:
    """The standard deviation of one rating's contribution, in the value's unit."""
    if scale.proportion:
        share = center / scale.scale
        return scale.scale * math.sqrt(max(share * (1 - share), 0.0))
    return math.sqrt(max(score_variance or 0.0, 0.0))


def min_ratings(center: float, scale: Scale) -> int:
    """Fewest ratings for a unit to be judged against the limits."""
    if not scale.proportion:
        return MIN_RATINGS_FOR_MEAN
    share = center / scale.scale
    smaller = min(share, 1 - share)
    return math.ceil(MIN_EXPECTED / smaller - 1e-9) if smaller > 0 else 10**9


def laney_spread(values: pd.Series, n: pd.Series, center: float, sd: float) -> float:
    """Laney's sigma_z: the spread of the z-scores' moving ranges (1 = sampling noise only).

    Returns 1 where there are fewer than three judged points; never below 1, so the limits are
    never narrower than a p-chart's.
    """
    usable = (n > 0) & values.notna()
    if usable.sum() < 3 or sd <= 0:
        return 1.0
    z = (values[usable] - center) / (sd / np.sqrt(n[usable]))
    moving_range = z.diff().abs().dropna()
    return max(1.0, float(moving_range.mean() / D2))


def control_chart(units: pd.DataFrame, center: float, sd: float, scale: Scale, spread: float = 1.0,
                  sigmas: float = SIGMAS) -> pd.DataFrame:
    """Limits and signals for each unit of `units` (columns n and value, in time order).

    Adds: center, lcl, ucl (None without ratings), z (standard errors from the center),
    judged (enough ratings), signal: "below limit", "above limit", "run below", "run above" or "".
    A unit with no ratings has no value and no limits; one with fewer than min_ratings is shown
    but never signals, and does not break or extend a run.
    """
    frame = units.copy()
    n = frame["n"].astype(float)
    standard_error = (sd * spread / np.sqrt(n.where(n > 0))).astype(float)
    frame["center"] = center
    frame["lcl"] = (center - sigmas * standard_error).clip(lower=scale.low)
    frame["ucl"] = (center + sigmas * standard_error).clip(upper=scale.high)
    frame["z"] = (frame["value"] - center) / standard_error
    frame["judged"] = (n >= min_ratings(center, scale)) & frame["value"].notna() & (sd > 0)
    signal = np.where(frame["judged"] & (frame["value"] < frame["lcl"]), "below limit",
                      np.where(frame["judged"] & (frame["value"] > frame["ucl"]), "above limit", ""))
    frame["signal"] = signal
    # runs: consecutive judged units on one side of the center line (a unit on the line ends one)
    judged = frame.index[frame["judged"]]
    side = np.sign(frame.loc[judged, "value"].to_numpy() - center)
    first = 0
    for position in range(1, len(side) + 1):
        if position == len(side) or side[position] != side[first]:
            if side[first] != 0 and position - first >= RUN_LENGTH:
                for label in judged[first:position]:
                    if frame.at[label, "signal"] == "":
                        frame.at[label, "signal"] = "run below" if side[first] < 0 else "run above"
            first = position
    return frame


def movers(current: pd.DataFrame, baseline: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Each segment's part in the change of CSAT from the baseline to the current unit.

    current, baseline: one row per segment with the rollup's measures. The change of the total,
    current CSAT - baseline CSAT, splits exactly into, per segment,
      rate effect = current share of ratings x (segment's current CSAT - its baseline CSAT)
      mix effect  = (current share - baseline share) x (segment's baseline CSAT - baseline CSAT),
    summed over segments. A segment without baseline ratings is measured against the whole
    baseline. Rows are ranked by rate effect in the direction of the change, largest first.
    """
    keys = pd.Index(sorted(set(current["segment"]) | set(baseline["segment"])), name="segment")
    now = current.set_index("segment").reindex(keys, fill_value=0)
    then = baseline.set_index("segment").reindex(keys, fill_value=0)
    n_now, n_then = ratings(now, settings), ratings(then, settings)
    rate_now = ratio(now, CSAT, settings)
    rate_then = ratio(then, CSAT, settings)
    total_now = ratio(now.sum().to_dict(), CSAT, settings)
    total_then = ratio(then.sum().to_dict(), CSAT, settings)
    share_now = n_now / n_now.sum() if n_now.sum() > 0 else n_now * 0.0
    share_then = n_then / n_then.sum() if n_then.sum() > 0 else n_then * 0.0
    reference = rate_then.fillna(total_then if total_then is not None else np.nan)
    change = rate_now - reference
    rate_effect = (share_now * change).where(n_now > 0, 0.0)
    mix_effect = ((share_now - share_then) * (reference - (total_then or 0.0))).fillna(0.0)
    frame = pd.DataFrame({
        "segment": keys,
        "ratings": n_now.astype(int).to_numpy(),
        "share_pct": (100 * share_now).to_numpy(),
        "csat": rate_now.to_numpy(),
        "baseline_ratings": n_then.astype(int).to_numpy(),
        "baseline_csat": rate_then.to_numpy(),
        "change": change.to_numpy(),
        "rate_effect": rate_effect.to_numpy(),
        "mix_effect": mix_effect.to_numpy(),
    })
    direction = -1.0 if total_now is not None and total_then is not None and total_now < total_then \
        else 1.0
    frame["_order"] = direction * frame["rate_effect"]
    frame = frame.sort_values(["_order", "ratings"], ascending=[False, False]).drop(columns="_order")
    frame.insert(0, "rank", range(1, len(frame) + 1))
    return frame.reset_index(drop=True)


def wilson(good: pd.Series, n: pd.Series, level: float = 0.95) -> tuple[pd.Series, pd.Series]:
    """Wilson score interval of each share (in 0..1); NaN where there are no ratings."""
    mask = n > 0
    low = pd.Series(np.nan, index=n.index)
    high = pd.Series(np.nan, index=n.index)
    if mask.any():
        lo, hi = proportion_confint(good[mask].astype(float), n[mask].astype(float),
                                    alpha=1 - level, method="wilson")
        low[mask], high[mask] = lo, hi
    return low, high


def by_unit(daily: pd.DataFrame, period: Period, grain: str) -> pd.DataFrame:
    """Daily measures summed per unit of the grain, within the period (edge units cut to it)."""
    days = pd.date_range(period.start, period.end, freq="D").date
    frame = daily.set_index("day").reindex(days, fill_value=0).rename_axis("day").reset_index()
    frame["start"] = unit_start(frame["day"], grain)
    frame["start"] = frame["start"].where(frame["start"] >= period.start, period.start)
    grouped = frame.groupby("start", as_index=False)
    units = grouped.sum(numeric_only=True)
    units["end"] = grouped["day"].max()["day"].to_numpy()
    return units


def rolling(daily: pd.DataFrame, first: date, last: date, days: int = 7) -> pd.DataFrame:
    """Measures summed over the trailing `days` calendar days (missing days count as empty)."""
    calendar = pd.date_range(first - timedelta(days=days - 1), last, freq="D").date
    frame = daily.set_index("day").reindex(calendar, fill_value=0)
    summed = frame.rolling(days, min_periods=days).sum().loc[pd.Index(
        pd.date_range(first, last, freq="D").date)]
    return summed.rename_axis("day").reset_index()


# --- the page's figures, from the store ----------------------------------------------------------------

def baseline_period(period: Period, grain: str) -> Period:
    """What the center line is drawn from: the 8 weeks before the period (6 months for months)."""
    if grain == "month":
        return Period(add_months(period.start.replace(day=1), -6), period.start - timedelta(days=1))
    return Period(period.start - timedelta(days=56), period.start - timedelta(days=1))


@dataclass(frozen=True)
class CsatChart:
    """The control chart of one period: its units, the baseline behind the center line, the rules."""

    grain: str
    period: Period
    baseline: Period
    baseline_label: str
    units: pd.DataFrame  # start, end, n, value, wilson_low/high, rolling, center, lcl, ucl, z, signal
    center: float | None
    spread: float
    min_ratings: int
    scale: Scale
    response_rate: float | None
    daily: pd.DataFrame  # every day's measures from the baseline's start to the period's end

    @property
    def signals(self) -> pd.DataFrame:
        return self.units[self.units["signal"] != ""]

    @property
    def ratings(self) -> int:
        return int(self.units["n"].sum())


def csat_chart(store: Store, period: Period, filters: Filters = Filters(), grain: str = "day",
               adjust_spread: bool = True) -> CsatChart:
    """Each unit's CSAT with control limits from the baseline, a 7-day rolling value for days."""
    settings = store.settings
    scale = csat_scale(settings)
    baseline = baseline_period(period, grain)
    first = min(baseline.start, period.start - timedelta(days=6))
    daily = daily_measures(store, first, period.end, filters)
    units = by_unit(daily, period, grain)
    units["n"] = ratings(units, settings)
    units["value"] = ratio(units, CSAT, settings)
    base_units = by_unit(daily, baseline, grain)
    base_units["n"] = ratings(base_units, settings)
    base_units["value"] = ratio(base_units, CSAT, settings)
    label = f"the {'6 months' if grain == 'month' else '8 weeks'} before the period ({baseline})"
    if base_units["n"].sum() == 0:  # no history before the period: judge it against itself
        baseline, base_units, label = period, units, "the period itself (no ratings before it)"
    totals = base_units.sum(numeric_only=True).to_dict()
    center = ratio(totals, CSAT, settings) if totals.get("csat_rated") else None
    variance = None
    if not scale.proportion and center is not None:
        rated = sum(totals[f"csat_{k}"] for k in range(1, 6))
        variance = sum(k * k * totals[f"csat_{k}"] for k in range(1, 6)) / rated - center**2
    sd = unit_sd(center, scale, variance) if center is not None else 0.0
    spread = laney_spread(base_units["value"], base_units["n"], center, sd) \
        if adjust_spread and center is not None else 1.0
    if center is None:
        units = units.assign(center=np.nan, lcl=np.nan, ucl=np.nan, z=np.nan, judged=False, signal="")
    else:
        units = control_chart(units, center, sd, scale, spread)
    if scale.proportion:  # each unit's own uncertainty, for the hover
        low, high = wilson(units["csat_good"], units["n"])
        units["wilson_low"], units["wilson_high"] = low * scale.scale, high * scale.scale
    else:
        units["wilson_low"] = units["wilson_high"] = np.nan
    if grain == "day":
        window = rolling(daily, period.start, period.end)
        units["rolling"] = ratio(window, CSAT, settings).to_numpy()
    else:
        units["rolling"] = np.nan
    in_period = daily[(daily["day"] >= period.start) & (daily["day"] <= period.end)]
    response = ratio(in_period.sum(numeric_only=True).to_dict(), "response_rate_pct", settings) \
        if len(in_period) else None
    return CsatChart(grain, period, baseline, label, units, center, spread,
                     min_ratings(center, scale) if center is not None else 0, scale, response, daily)


def compare(store: Store, period: Period, filters: Filters = Filters(), grain: str = "day") -> pd.DataFrame:
    """CSAT of the period, the previous period and the same period last year, unit by unit.

    For days, each value is the 7-day rolling CSAT (a single day is too noisy to compare).
    Output, long: series, position (0 = the first unit), start (the unit's own first day),
    x (where it sits on the current period's axis), value, ratings.
    """
    settings = store.settings
    pieces = []
    for series, span in (("This period", period), ("Previous period", period.previous()),
                         ("Last year", period.last_year())):
        daily = daily_measures(store, span.start - timedelta(days=6), span.end, filters)
        units = by_unit(daily, span, grain)
        if grain == "day":
            values = ratio(rolling(daily, span.start, span.end), CSAT, settings).to_numpy()
        else:
            values = ratio(units, CSAT, settings).to_numpy()
        frame = pd.DataFrame({"series": series, "position": range(len(units)),
                              "start": units["start"], "value": values,
                              "ratings": ratings(units, settings).astype(int)})
        pieces.append(frame)
    current = pieces[0].set_index("position")["start"]
    result = pd.concat(pieces, ignore_index=True)
    result = result[result["position"] < len(current)]
    result["x"] = result["position"].map(current)
    return result.reset_index(drop=True)


def unit_of(chart: CsatChart, start: date) -> Period | None:
    """The unit (day, week or month, cut to the period) that begins on `start`."""
    match = chart.units[chart.units["start"] == start]
    if match.empty:
        return None
    return Period(start, match["end"].iloc[0])


def segment_movers(store: Store, unit: Period, baseline: Period, filters: Filters,
                   dimension: str) -> pd.DataFrame:
    """The movers table of one unit against the baseline, by channel, queue, team, agent or tier."""
    if dimension not in DIMENSIONS:
        raise ValueError(f"not a drill-down dimension: {dimension!r}")
    now = store.query("quality_by_segment", start=unit.start, end=unit.end, dimension=dimension,
                      **filters.params())
    then = store.query("quality_by_segment", start=baseline.start, end=baseline.end,
                       dimension=dimension, **filters.params())
    return movers(now, then, store.settings)


def interactions_behind(store: Store, unit: Period, filters: Filters, dimension: str = "",
                        segment: str = "", rated_only: bool = True,
                        limit: int = INTERACTION_LIMIT) -> pd.DataFrame:
    """The interactions of a unit (and one segment of it), in arrival order, without customer ids."""
    if dimension and dimension not in DIMENSIONS:
        raise ValueError(f"not a drill-down dimension: {dimension!r}")
    zone = store.settings.timezone
    since = local_midnight(unit.start, zone).to_pydatetime()
    until = local_midnight(unit.end + timedelta(days=1), zone).to_pydatetime()
    frame = store.query("interactions_behind", **{"from": since, "to": until},
                        timezone=store.settings.timezone, dimension=dimension, segment=segment,
                        rated_only=rated_only, limit=limit, **filters.params())
    frame["arrived_local"] = pd.to_datetime(frame["arrived_local"])
    return frame


def survey_trends(chart: CsatChart, settings: Settings) -> pd.DataFrame:
    """NPS, CES and FCR per unit of the chart (7-day rolling for days), long."""
    pieces = []
    units = chart.units
    window = rolling(chart.daily, chart.period.start, chart.period.end) if chart.grain == "day" else None
    for name in SURVEY_TRENDS:
        values = ratio(units, name, settings)
        rule = definition(name, settings)
        n = sum(units[m] for m in rule.denominator)
        frame = pd.DataFrame({"metric": name, "start": units["start"], "value": values, "responses": n})
        if window is not None:
            frame["rolling"] = ratio(window, name, settings).to_numpy()
        else:
            frame["rolling"] = np.nan
        pieces.append(frame)
    return pd.concat(pieces, ignore_index=True)


def score_distribution(chart: CsatChart) -> pd.DataFrame:
    """Share of each CSAT score (1-5) in the period and in the baseline."""
    rows = []
    for label, span in (("This period", chart.period), ("Baseline", chart.baseline)):
        days = chart.daily[(chart.daily["day"] >= span.start) & (chart.daily["day"] <= span.end)]
        counts = [float(days[f"csat_{k}"].sum()) for k in range(1, 6)]
        total = sum(counts)
        for score, count in zip(range(1, 6), counts, strict=True):
            rows.append({"series": label, "score": score, "ratings": int(count),
                         "share_pct": 100 * count / total if total else np.nan})
    return pd.DataFrame(rows)


def escalations(chart: CsatChart, settings: Settings) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Tier shares in the period (one row per tier) and per unit of the chart (long)."""
    units = chart.units
    totals = units.sum(numeric_only=True).to_dict()
    summary = pd.DataFrame([{"tier": tier, "contacts": int(totals.get(f"tier_{tier}", 0)),
                             "share_pct": ratio(totals, name, settings), "metric": name}
                            for tier, name in enumerate(TIER_SHARES, start=1)])
    summary["status"] = [status(m, None if pd.isna(v) else v, settings.targets.get(m))
                         for m, v in zip(summary["metric"], summary["share_pct"], strict=True)]
    summary["target"] = [target_text(m, settings.targets.get(m)) for m in summary["metric"]]
    trend = pd.concat([pd.DataFrame({"tier": f"tier {tier}", "start": units["start"],
                                     "share_pct": ratio(units, name, settings)})
                       for tier, name in enumerate(TIER_SHARES, start=1)], ignore_index=True)
    return summary, trend


def qa_items(store: Store, period: Period, filters: Filters = Filters()) -> pd.DataFrame:
    """QA score per scorecard item in the period, weakest first."""
    frame = store.query("qa_by_item", start=period.start, end=period.end,
                        timezone=store.settings.timezone, teams=list(filters.teams))
    frame["qa_score_pct"] = ratio(frame, "qa_score_pct", store.settings)
    return frame.sort_values("qa_score_pct").reset_index(drop=True)


def qa_agents(store: Store, period: Period, filters: Filters = Filters()) -> pd.DataFrame:
    """QA score and coverage (evaluations per week) per agent in the period."""
    frame = store.query("qa_by_agent", start=period.start, end=period.end,
                        timezone=store.settings.timezone, teams=list(filters.teams))
    weeks = period.days / 7
    frame["qa_score_pct"] = ratio(frame, "qa_score_pct", store.settings)
    frame["evaluations_per_week"] = frame["evaluations"] / weeks
    return frame


def qa_teams(agents: pd.DataFrame, period: Period, settings: Settings) -> pd.DataFrame:
    """The agents' QA figures summed per team: score, evaluations per agent-week."""
    teams = agents.groupby("team", as_index=False).agg(
        agents=("agent", "count"), evaluations=("evaluations", "sum"),
        qa_points=("qa_points", "sum"), qa_points_possible=("qa_points_possible", "sum"))
    teams["qa_score_pct"] = ratio(teams, "qa_score_pct", settings)
    teams["agent_weeks"] = teams["agents"] * period.days / 7
    teams["qa_evaluations"] = teams["evaluations"]
    teams["evaluations_per_agent_week"] = ratio(teams, "qa_evaluations_per_agent_week", settings)
    return teams.drop(columns=["agent_weeks", "qa_evaluations"])


# --- what the page shows, as plain frames ------------------------------------------------------------

def ratio_of(chart: CsatChart, name: str, settings: Settings) -> float | None:
    """A metric over the chart's whole period."""
    value = ratio(chart.units.sum(numeric_only=True).to_dict(), name, settings)
    return None if value is None or pd.isna(value) else float(value)


def chart_table(chart: CsatChart) -> pd.DataFrame:
    """Every unit of the chart with its figures and signal, flagged units first."""
    units = chart.units
    table = pd.DataFrame({
        "first_day": units["start"], "last_day": units["end"], "ratings": units["n"].astype(int),
        "csat": units["value"].round(2), "rolling_7_day": units["rolling"].round(2),
        "interval_95_low": units["wilson_low"].round(2), "interval_95_high": units["wilson_high"].round(2),
        "center": units["center"].round(2), "lower_limit": units["lcl"].round(2),
        "upper_limit": units["ucl"].round(2), "standard_errors": units["z"].round(2),
        "signal": units["signal"].where(units["judged"] | (units["n"] == 0), "too few ratings"),
    })
    flagged = table["signal"].isin(["below limit", "above limit", "run below", "run above"])
    return pd.concat([table[flagged], table[~flagged]], ignore_index=True)


def unit_label(chart: CsatChart, start: date | str) -> str:
    """How a unit reads in a picker: its dates, CSAT, ratings and any signal."""
    start = date.fromisoformat(start) if isinstance(start, str) else start
    row = chart.units[chart.units["start"] == start].iloc[0]
    if chart.grain == "day":
        when = f"{start:%a %d %b %Y}"
    elif chart.grain == "week":
        when = f"week of {start:%d %b %Y}"
    else:
        when = f"{start:%B %Y}"
    value = "–" if pd.isna(row["value"]) else f"{row['value']:.1f}"
    signal = f" · ⚠ {row['signal']}" if row["signal"] else ""
    return f"{when} · {value} from {int(row['n']):,} ratings{signal}"


def movers_view(table: pd.DataFrame) -> pd.DataFrame:
    """The movers table as the page shows it: rounded, named for reading."""
    return pd.DataFrame({
        "rank": table["rank"], "segment": table["segment"], "ratings": table["ratings"],
        "share of ratings %": table["share_pct"].round(1), "CSAT": table["csat"].round(1),
        "baseline CSAT": table["baseline_csat"].round(1), "change": table["change"].round(1),
        "rate effect": table["rate_effect"].round(2), "mix effect": table["mix_effect"].round(2),
    })
