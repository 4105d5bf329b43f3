"""What a week asks for: each open interval of a stored forecast with its planning contacts, AHT and
the agents on the phones it needs, and how a number of agents on the phones serves it.

Figures come from cxdash.staffing (Erlang C, or Erlang A with a patience); a schedule puts fractional
agents on the phones (a 15-minute break inside a 30-minute interval, shrinkage as an expectation),
so the figures for 7.5 agents are the mean of 7 and 8 agents' figures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
from scipy.stats import norm

from cxdash import staffing
from cxdash.forecast import LEVEL


@dataclass(frozen=True)
class Targets:
    """The service the schedule plans for: share answered within target_seconds, the occupancy cap,
    Erlang A's patience (None: Erlang C), the safety (the chance each interval's contacts stay
    within what the schedule is planned for: 0.5 plans for the forecast itself) and the share of the
    intervals with contacts that must be planned so (1: every one; below 1 the solver may leave the
    costliest others short, each still with an agent on the phones)."""

    service_level: float = 0.8
    target_seconds: float = 20.0
    max_occupancy: float = 0.85
    patience_seconds: float | None = None
    safety: float = 0.5
    share: float = 1.0


def spread(rows: pd.DataFrame) -> np.ndarray:
    """Each interval's log-normal spread: the median is the forecast (yhat) and the upper end of its
    80% interval (cxdash.forecast.LEVEL) is the 90th percentile: sigma = ln(upper / yhat) / z(0.9).
    0 where there is no upper end above the forecast."""
    z = norm.ppf(0.5 + LEVEL / 2)
    yhat = rows["yhat"].to_numpy(dtype="float64")
    upper = rows["yhat_upper"].to_numpy(dtype="float64") if "yhat_upper" in rows else yhat
    with np.errstate(divide="ignore", invalid="ignore"):
        sigma = np.log(upper / yhat) / z
    return np.where(np.isfinite(sigma) & (sigma > 0), sigma, 0.0)


def planning_contacts(rows: pd.DataFrame, safety: float) -> np.ndarray:
    """The contacts each interval is planned for: the `safety` quantile of its log-normal (the
    forecast itself at 0.5)."""
    yhat = rows["yhat"].to_numpy(dtype="float64").clip(min=0)
    return yhat * np.exp(spread(rows) * norm.ppf(safety)) if safety != 0.5 else yhat


def week_demand(rows: pd.DataFrame, start: date, interval_minutes: int, targets: Targets) -> pd.DataFrame:
    """The forecast's intervals in the 7 local days from `start`: ts, day (0-6 from start), weekday
    (0 = Monday), minute (of the local day), yhat, sigma, contacts (planned), aht_seconds (an interval
    without one takes the week's mean) and required (agents on the phones for the targets)."""
    local = rows["ts"]
    days = (local.dt.date.map(lambda d: (d - start).days)).astype("int64")
    week = rows[(days >= 0) & (days < 7)].copy()
    week["day"] = days[week.index]
    week["weekday"] = [(start + timedelta(days=int(d))).weekday() for d in week["day"]]
    week["minute"] = week["ts"].dt.hour * 60 + week["ts"].dt.minute
    week["sigma"] = spread(week)
    week["contacts"] = planning_contacts(week, targets.safety)
    aht = week["aht_seconds"]
    week["aht_seconds"] = aht.fillna(aht.mean() if aht.notna().any() else 300.0)
    staffed = staffing.staff_intervals(week[["ts", "contacts", "aht_seconds"]], interval_minutes * 60,
                                       service_level=targets.service_level,
                                       target_seconds=targets.target_seconds,
                                       max_occupancy=targets.max_occupancy, shrinkage=0.0,
                                       patience_seconds=targets.patience_seconds)
    week["required"] = staffed["agents"].to_numpy()
    columns = ["ts", "day", "weekday", "minute", "yhat", "sigma", "contacts", "aht_seconds", "required"]
    return week[columns].reset_index(drop=True)


def service(contacts: float, aht_seconds: float, interval_seconds: float, agents: float,
            targets: Targets) -> dict[str, float]:
    """Service level, ASA, occupancy and abandon rate (0 under Erlang C) for `agents` on the phones
    (fractional: the mean of the whole numbers either side)."""
    low = math.floor(agents + 1e-9)
    share = agents - low if agents - low > 1e-9 else 0.0
    figures = [_whole(contacts, aht_seconds, interval_seconds, n, targets) for n in (low, low + 1)]
    if not share:
        return figures[0]
    return {key: (1 - share) * figures[0][key] + share * figures[1][key] for key in figures[0]}


def _whole(contacts: float, aht: float, seconds: float, agents: int, targets: Targets) -> dict[str, float]:
    if targets.patience_seconds:
        result = staffing.erlang_a_service(contacts, seconds, aht, targets.patience_seconds, agents,
                                           targets.target_seconds)
    else:
        result = staffing.erlang_c_service(contacts, seconds, aht, agents, targets.target_seconds)
    return {"service_level": result.service_level, "asa_seconds": result.asa_seconds,
            "occupancy": result.occupancy, "abandon_rate": result.abandon_rate or 0.0}


def service_levels(contacts: float, aht: float, seconds: float, most: int, targets: Targets) -> np.ndarray:
    """The service level with 0, 1, ..., `most` agents on the phones."""
    return np.array([_whole(contacts, aht, seconds, n, targets)["service_level"] for n in range(most + 1)])


def chance_of_target(contacts_sigma: tuple[float, float], aht: float, seconds: float, agents: float,
                     targets: Targets) -> float:
    """The chance that an interval meets the service-level target with `agents` on the phones, when
    its contacts are log-normal with median `contacts` and spread `sigma`: the chance that they stay
    at or below the most contacts those agents serve to the target (found by bisection; the service
    level falls as contacts rise)."""
    median, sigma = contacts_sigma
    if median <= 0:
        return 1.0

    def meets(count: float) -> bool:
        return service(count, aht, seconds, agents, targets)["service_level"] >= targets.service_level - 1e-12

    if sigma == 0:
        return 1.0 if meets(median) else 0.0
    low, high = 0.0, max(median, 1.0)
    while meets(high) and high < 1e7:
        low, high = high, high * 2
    for _ in range(40):  # to 0.2% of the contacts: a chance within about a point
        middle = (low + high) / 2
        low, high = (middle, high) if meets(middle) else (low, middle)
        if high - low < 2e-3 * max(high, 1.0):
            break
    if low <= 0:
        return 0.0
    return float(norm.cdf((math.log(low) - math.log(median)) / sigma))
