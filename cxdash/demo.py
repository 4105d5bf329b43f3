"""The Living Well demo operation: three years of contacts, orders, QA and costs, written as source files."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cxdash.contract import (
    CHANNELS,
    COSTS_COLUMNS,
    INTERACTION_COLUMNS,
    ORDERS_COLUMNS,
    QA_COLUMNS,
    contract_schema,
)
from cxdash.settings import Settings

TIMEZONE = Settings().timezone
DAILY_CONTACTS = 1000  # average over the three years at scale 1
ORDERS_PER_YEAR = 250_000  # seed: "250,000 annual online orders"
HOUR_US = 3_600_000_000

# per channel, in contract.CHANNELS order: phone, chat, email, social, sms, self_service
CHANNEL_SHARE = np.array([0.35, 0.25, 0.18, 0.05, 0.03, 0.14])
LIVE, ASYNC, SELF = np.arange(6) < 2, (np.arange(6) >= 2) & (np.arange(6) < 5), np.arange(6) == 5
TALK_MEAN = np.array([230.0, 290, 170, 150, 110, 0])  # tier-1 seconds; tiers scale them below
HOLD_SHARE, HOLD_MEAN = np.array([0.35, 0.15, 0, 0, 0, 0]), np.array([70.0, 60, 1, 1, 1, 1])
WRAP_MEAN = np.array([45.0, 60, 45, 40, 30, 0])
WAIT_MEAN = np.array([70.0, 80, 0, 0, 0, 0])  # mean queue wait of those who wait at all
SURVEY_RATE = {"csat": np.array([0.245, 0.245, 0.245, 0.245, 0.245, 0.03]),
               "nps": np.array([0.11, 0.11, 0.11, 0.11, 0.11, 0.01]),
               "ces": np.array([0.11, 0.11, 0.11, 0.11, 0.11, 0.02])}
# seed cost per contact $3-$12 by channel (self-service lowest, live phone highest), blended $6-$8
COST_PER_SERVED = np.array([10.5, 6.8, 5.8, 6.8, 4.4, 2.9])
COST_SPLIT = {  # share of each channel's operating cost by cost type
    "labor": np.array([0.72, 0.76, 0.80, 0.78, 0.62, 0.15]),
    "technology": np.array([0.06, 0.14, 0.12, 0.14, 0.10, 0.80]),
    "telephony": np.array([0.15, 0.0, 0.0, 0.0, 0.22, 0.0]),
    "facilities": np.array([0.04, 0.06, 0.05, 0.05, 0.04, 0.0]),
    "training": np.array([0.03, 0.04, 0.03, 0.03, 0.02, 0.05]),
}
TIER_AHT = np.array([1.0, 1.6, 2.2])
TIER_FCR = np.array([0.89, 0.66, 0.50])

QUEUES = ("orders", "returns", "product_advice", "billing", "warranty")
QUEUE_MIX = np.array([  # rows: channels; columns: QUEUES
    [0.34, 0.22, 0.18, 0.14, 0.12],
    [0.36, 0.20, 0.24, 0.10, 0.10],
    [0.30, 0.28, 0.14, 0.14, 0.14],
    [0.40, 0.20, 0.25, 0.05, 0.10],
    [0.60, 0.20, 0.10, 0.10, 0.00],
    [0.55, 0.25, 0.15, 0.05, 0.00],
])
TEAMS = ("Team Dawn", "Team Day", "Team Evening")
TEAM_BY_HOUR = np.repeat([0, 1, 2], [12, 6, 6])  # the three shifts, by local arrival hour
AGENTS = tuple(f"agent_{n:03d}" for n in range(1, 25))  # agents 8k+1..8k+8 work in team k
WEEKDAY = np.array([1.18, 1.08, 1.03, 1.00, 0.95, 0.78, 0.72])  # Monday highest, weekend lower

# hourly weights, local time; phone and chat open Mon-Fri 7:00-22:00, Sat-Sun 9:00-18:00
LIVE_WEEKDAY_HOURS = np.zeros(24)
LIVE_WEEKDAY_HOURS[7:22] = [2.5, 4.5, 6, 6.5, 6.5, 6, 6, 5.5, 5.5, 5.5, 6, 7, 13, 13, 5]
LIVE_WEEKEND_HOURS = np.zeros(24)
LIVE_WEEKEND_HOURS[9:18] = [7, 9, 10, 10, 10, 10, 10, 10, 9]
ASYNC_HOURS = np.array([1.2, 0.8, 0.6, 0.5, 0.5, 0.7, 1.5, 2.5, 3.5, 4.2, 4.5, 4.5,
                        4.5, 4.3, 4.2, 4.2, 4.4, 5.0, 6.0, 10.5, 10.5, 6.5, 3.5, 2.0])

SCORECARD = (("greeting", 2), ("verification", 3), ("active_listening", 3), ("empathy", 5),
             ("tone", 3), ("product_knowledge", 5), ("accuracy", 5), ("problem_resolution", 5),
             ("hold_etiquette", 2), ("compliance", 3), ("documentation", 3),
             ("upsell_relevance", 2), ("follow_up_timeliness", 3), ("closing", 2))
ITEM_EASE = np.array([1.2, 0.6, 0.3, 0.0, 0.5, -0.2, 0.0, -0.3, 0.8, 0.9, 0.1, -0.4, -0.1, 1.0])

DIP_TEAM = 2  # Team Evening
DEMO_EVENTS: list[dict] = [  # start and end: days relative to the demo's last day (snapped to a Monday)
    {"name": "Evening team CSAT dip", "start": -214, "end": -197,
     "description": "A new cohort joined Team Evening after a shortened onboarding: the team's CSAT "
                    "top-2-box fell about 12 points for two and a half weeks, with FCR and QA scores."},
    {"name": "Product launch", "start": -426, "end": -406,
     "description": "A new supplement line launched: product_advice contacts rose about 80% and phone "
                    "and chat handle time about 23% for three weeks until the knowledge base caught up."},
]


@dataclass(frozen=True)
class DemoSummary:
    """What write_demo wrote: row counts and the local days covered."""

    interactions: int
    orders: int
    qa_rows: int
    cost_rows: int
    start: date
    end: date
    events: tuple[dict, ...] = ()


def demo_events(end: date) -> list[dict]:
    """DEMO_EVENTS with real dates for a demo ending on `end`."""
    events = []
    for event in DEMO_EVENTS:
        first = end + timedelta(days=event["start"])
        first -= timedelta(days=first.weekday())
        events.append({**event, "start": first, "end": first + timedelta(event["end"] - event["start"])})
    return events


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """Zero-padded string ids such as C0001234, built in arrow rather than per row in Python."""
    digits = pc.utf8_lpad(pa.array(numbers).cast(pa.string()), width=width, padding="0")
    return pc.binary_join_element_wise(prefix, digits, "")


def _lognormal(rng: np.random.Generator, mean, sigma: float, size: int) -> np.ndarray:
    """Lognormal draws with the given mean (not median): handle and reply times are skewed."""
    return mean * np.exp(sigma * rng.standard_normal(size) - sigma**2 / 2)


def _write(table: pa.Table, path: Path) -> None:
    """Write a parquet file atomically, so a running app never reads half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    pq.write_table(table, temporary, compression="zstd")
    os.replace(temporary, path)


def _thanksgiving(year: int) -> date:
    november = date(year, 11, 1)
    return november + timedelta(days=(3 - november.weekday()) % 7 + 21)


def special_days(start: date, end: date, events: list[dict]) -> list[dict]:
    """The demo's own calendar for its settings: the sales seasons its volume follows, the launch."""
    days = []
    for year in range(start.year, end.year + 1):
        thanksgiving = _thanksgiving(year)
        days += [{"name": "Black Friday to Cyber Monday", "start": thanksgiving + timedelta(1),
                  "end": thanksgiving + timedelta(4)},
                 {"name": "December gift peak", "start": date(year, 12, 6), "end": date(year, 12, 21)},
                 {"name": "January returns", "start": date(year, 1, 5), "end": date(year, 1, 20)}]
    launch = next(event for event in events if event["name"] == "Product launch")
    days.append({"name": "Product launch", "start": launch["start"], "end": launch["end"]})
    return [day for day in days if day["end"] >= start and day["start"] <= end]


def _settings_text(start: date, end: date, events: list[dict]) -> str:
    lines = ["# The Living Well demo's settings: every other setting keeps its default (see README).",
             "[calendar]", 'country = "US"', 'subdivision = "OR"', "peak_hours = [19, 21]",
             "special_days = ["]
    # the sales seasons are planned a year ahead, so forecasts know the coming ones
    lines += [f'  {{ name = "{day["name"]}", start = {day["start"]}, end = {day["end"]} }},'
              for day in special_days(start, end + timedelta(days=366), events)]
    return "\n".join([*lines, "]", ""])


def _season(days: np.ndarray) -> np.ndarray:
    """Holiday uplift per day: Black Friday to Cyber Monday and mid-December ~+70%, January returns ~+45%."""
    points: list[tuple[date, float]] = []
    for year in range(days[0].astype(object).year - 1, days[-1].astype(object).year + 1):
        thanksgiving = _thanksgiving(year)
        points += [(date(year, 11, 8), 1.0), (thanksgiving - timedelta(2), 1.3),
                   (thanksgiving, 1.15), (thanksgiving + timedelta(1), 1.75),
                   (thanksgiving + timedelta(4), 1.8), (date(year, 12, 6), 1.5),
                   (date(year, 12, 14), 1.7), (date(year, 12, 21), 1.55), (date(year, 12, 25), 0.9),
                   (date(year, 12, 27), 1.45), (date(year + 1, 1, 1), 1.0), (date(year + 1, 1, 7), 1.5),
                   (date(year + 1, 1, 20), 1.3), (date(year + 1, 2, 8), 1.0)]
    anchors = np.array([np.datetime64(day) for day, _ in points]).astype(int)
    return np.interp(days.astype(int), anchors, [value for _, value in points])


def _hour_starts_utc(days: np.ndarray) -> np.ndarray:
    """UTC microseconds of each local (day, hour) start, shape (days, 24); DST handled by pandas."""
    local = pd.DatetimeIndex((days[:, None] + np.arange(24) * np.timedelta64(1, "h")).ravel())
    utc = local.tz_localize(TIMEZONE, ambiguous=np.ones(len(local), bool), nonexistent="shift_forward")
    return utc.tz_convert("UTC").as_unit("us").asi8.reshape(len(days), 24)


def _in_window(days: np.ndarray, event: dict) -> np.ndarray:
    """Which days fall inside a dated event."""
    return (days >= np.datetime64(event["start"])) & (days <= np.datetime64(event["end"]))


@dataclass
class _Plan:
    """Everything the month-by-month generation shares: calendar, demand, customers, events."""

    days: np.ndarray  # local dates, datetime64[D]
    hour_utc: np.ndarray  # (days, 24) UTC microseconds
    expected: np.ndarray  # (days, 24, channels, queues) expected contacts
    pressure: np.ndarray  # per day: demand beyond what staffing planned for (1 = as planned)
    launch: np.ndarray  # per day: in the product-launch window
    dip: np.ndarray  # per day: in the CSAT-dip window
    customer_acquired: np.ndarray  # per customer, in id order: day index of acquisition
    contact_weight: np.ndarray  # cumulative, per customer: how often they get in touch


def _plan(days: np.ndarray, events: list[dict], scale: float, rng: np.random.Generator) -> tuple[_Plan, dict]:
    """Expected contacts per local day, hour, channel and queue, and the customer pool."""
    n_days = len(days)
    weekday = (days.astype(int) + 3) % 7  # 1970-01-01 was a Thursday
    growth = 1.08 ** (np.arange(n_days) / 365.25)
    season = _season(days)
    noise = np.exp(rng.normal(0, 0.06, n_days))
    # about four unplanned surges a year, e.g. a carrier delay
    incident = np.where(rng.random(n_days) < 0.01, rng.uniform(1.2, 1.45, n_days), 1.0)
    demand = growth * WEEKDAY[weekday] * season * noise * incident
    launch, dip = _in_window(days, events[1]), _in_window(days, events[0])
    queue_bump = np.ones((n_days, len(QUEUES)))
    queue_bump[launch, QUEUES.index("product_advice")] = 1.8

    weekend = weekday >= 5
    hours = np.where(LIVE[None, None, :], np.where(weekend[:, None, None], LIVE_WEEKEND_HOURS[None, :, None],
                                                   LIVE_WEEKDAY_HOURS[None, :, None]),
                     ASYNC_HOURS[None, :, None])
    hours = hours / hours.sum(axis=1, keepdims=True)
    channel_day = np.exp(rng.normal(0, 0.04, (n_days, 6))) * np.where(weekend[:, None] & LIVE, 0.75, 1.0)
    expected = (demand[:, None, None, None] * hours[..., None] * channel_day[:, None, :, None]
                * QUEUE_MIX[None, None] * queue_bump[:, None, None, :])
    target = DAILY_CONTACTS * scale * n_days * CHANNEL_SHARE
    expected *= (target / expected.sum(axis=(0, 1, 3)))[None, None, :, None]

    # staffing follows the forecast: weekday shape and growth fully, three quarters of the holiday
    # uplift; noise, incidents and the launch surge are not planned for, so queues lengthen
    unbumped = expected / queue_bump[:, None, None, :]
    launch_surge = expected.sum(axis=(1, 2, 3)) / unbumped.sum(axis=(1, 2, 3))
    pressure = noise * incident * launch_surge * season / (1 + 0.75 * (season - 1))

    # customers: those already buying at the start, then new ones arriving with demand
    existing, new = round(60_000 * scale), round(140_000 * scale)
    cumulative = np.concatenate([[0], np.cumsum(demand)])
    acquired = np.concatenate([np.zeros(existing, int),
                               np.sort(np.searchsorted(cumulative, rng.random(new) * cumulative[-1]) - 1)])
    rate = rng.gamma(0.9, 1.0, existing + new)
    lifetime = rng.exponential(2.5 * 365.25, existing + new).astype(int)
    customers = {"acquired": acquired, "rate": rate, "first_is_order": np.arange(existing + new) >= existing,
                 "stop": np.clip(acquired + lifetime, acquired + 1, n_days), "cumulative": cumulative}
    plan = _Plan(days, _hour_starts_utc(days), expected, pressure, launch, dip, acquired,
                 np.cumsum(np.sqrt(rate) + 0.3))
    return plan, customers


def _month(plan: _Plan, first: int, last: int, rng: np.random.Generator, id_prefix: str) -> dict:
    """One local month of interactions as an arrow table, plus what orders, QA and costs need."""
    counts = rng.poisson(plan.expected[first:last])
    cells = np.repeat(np.arange(counts.size), counts.ravel())
    hour_start = plan.hour_utc[first:last].ravel()[cells // (6 * len(QUEUES))]
    arrived = hour_start + rng.integers(0, HOUR_US, len(cells))
    order = np.argsort(arrived, kind="stable")
    arrived, cells = arrived[order], cells[order]
    day, hour, channel, queue = np.unravel_index(cells, counts.shape)
    day += first
    n = len(cells)
    live, asynchronous, self_service = LIVE[channel], ASYNC[channel], SELF[channel]
    pressure = plan.pressure[day]

    # live queues: most callers are connected within seconds; the rest wait, longer when busy
    waits = rng.random(n) < np.clip(0.22 * pressure**2, 0.05, 0.9)
    live_wait = np.where(waits, rng.exponential(1.0, n) * WAIT_MEAN[channel] * pressure, rng.uniform(0, 3, n))
    abandoned = live & (rng.random(n) < np.clip(0.042 * pressure**3, 0, 0.5))
    patience = np.where(rng.random(n) < 0.2, rng.uniform(0.5, 5, n),  # short abandons: misdials
                        np.minimum(_lognormal(rng, 60, 0.8, n), 900))
    # async first reply: within about half an hour while agents are in, hours when it arrived overnight
    overnight = (hour < 7) | (hour >= 22)
    reply = _lognormal(rng, np.where(overnight, 4 * 3600, 35 * 60 * pressure), 0.8, n)
    answered = (live & ~abandoned) | (asynchronous & (rng.random(n) >= 0.015))
    wait = np.where(live, live_wait, reply)

    team = TEAM_BY_HOUR[hour]
    agent = team * 8 + rng.integers(0, 8, n)
    escalation = rng.random(n)
    tier = 1 + (escalation > 0.85) + (escalation > 0.96)  # seed: tier 1 85%, tier 2 11%, tier 3 4%
    slowdown = TIER_AHT[tier - 1] * np.where(plan.launch[day] & live, 1.23, 1.0)
    talk = np.round(_lognormal(rng, TALK_MEAN[channel] * slowdown, 0.5, n))
    hold = np.round(np.where(rng.random(n) < HOLD_SHARE[channel],
                             rng.exponential(1.0, n) * HOLD_MEAN[channel] * slowdown, 0))
    wrap = np.round(_lognormal(rng, WRAP_MEAN[channel] * slowdown, 0.4, n))
    dip = answered & plan.dip[day] & (team == DIP_TEAM)
    # self-service knows the outcome only when the visitor answers "did this solve it?" (10%)
    resolved = rng.random(n) < np.where(self_service, 0.7, TIER_FCR[tier - 1] - 0.07 * dip)
    resolved_known = answered | (self_service & (rng.random(n) < 0.1))

    # one latent satisfaction drives all three surveys: resolution and waiting move it
    waited = np.where(live, 0.6 * np.minimum(wait / 120, 3), 0.12 * np.minimum(wait / 3600, 8))
    mood = 0.95 + 0.9 * resolved - 0.3 * (tier > 1) - 0.5 * dip - waited + rng.standard_normal(n)
    mood = np.where(self_service, 1.0 + 0.5 * resolved + rng.standard_normal(n), mood)
    served = answered | self_service
    csat = 1 + (mood[:, None] > np.array([-1.0, -0.4, 0.2, 1.1])).sum(axis=1)
    nps = np.clip(np.floor(7.2 + 1.4 * (mood + rng.normal(0, 0.6, n))), 0, 10)
    ces = np.clip(np.round(4.25 + 0.9 * (mood + rng.normal(0, 0.6, n))), 1, 7)
    surveyed = {kind: served & (rng.random(n) < rate[channel]) for kind, rate in SURVEY_RATE.items()}

    known = ~(self_service & (rng.random(n) < 0.4))  # anonymous visitors use self-service too
    acquired_by = np.searchsorted(plan.customer_acquired, day, side="right")
    customer = np.searchsorted(plan.contact_weight,
                               rng.random(n) * plan.contact_weight[acquired_by - 1], side="right")

    answered_at = arrived + (wait * 1e6).astype(np.int64)
    left = np.where(live, patience, _lognormal(rng, 150, 0.7, n))  # abandon, or self-service session
    ended_at = np.where(answered, answered_at + ((talk + hold) * 1e6).astype(np.int64),
                        arrived + (left * 1e6).astype(np.int64))
    handled = answered & ~self_service
    ts = pa.timestamp("us", tz="UTC")
    columns = {
        "interaction_id": _ids(id_prefix, np.arange(1, n + 1), 7),
        "channel": pa.array(CHANNELS).take(channel),
        "arrived_at": pa.array(arrived, ts),
        "queue": pa.array(QUEUES).take(queue),
        "answered_at": pa.array(answered_at, ts, mask=~answered),
        "ended_at": pa.array(ended_at, ts, mask=asynchronous & ~answered),
        "abandoned": pa.array(abandoned),
        "talk_seconds": pa.array(talk, mask=~handled),
        "hold_seconds": pa.array(hold, mask=~handled),
        "wrap_seconds": pa.array(wrap, mask=~handled),
        "agent_id": pa.array(AGENTS).take(pa.array(agent, mask=~handled)),
        "team": pa.array(TEAMS).take(pa.array(team, mask=self_service)),
        "tier": pa.array(tier.astype(np.int32), mask=~handled),
        "resolved_first_contact": pa.array(resolved, mask=~resolved_known),
        "csat_score": pa.array(csat.astype(np.int32), mask=~surveyed["csat"]),
        "nps_score": pa.array(nps.astype(np.int32), mask=~surveyed["nps"]),
        "ces_score": pa.array(ces.astype(np.int32), mask=~surveyed["ces"]),
        "customer_id": pa.array(customer, mask=~known),  # indices until the caller names them
    }
    unhappy = surveyed["csat"] & (csat <= 2) & known
    coached = handled & (queue == QUEUES.index("product_advice")) & known  # usage coaching
    qa_pool = handled & (channel <= 2)  # QA reviews phone, chat and email
    return {"columns": columns, "rows": n, "served": np.bincount(channel[served], minlength=6),
            "unhappy_customer": customer[unhappy], "unhappy_day": day[unhappy],
            "coached_customer": customer[coached], "coached_day": day[coached],
            "qa": {"interaction_id": columns["interaction_id"].filter(pa.array(qa_pool)),
                   "agent": agent[qa_pool], "day": day[qa_pool],
                   "quality": (0.4 * resolved - 0.9 * dip)[qa_pool]}}


def _qa_month(pool: dict, days_in_month: int, rng: np.random.Generator, first_evaluation: int,
              skill: np.ndarray, hour_utc: np.ndarray) -> pa.Table:
    """About five evaluations per agent per week, scored 1-7 days later in office hours (14 items)."""
    agent = pool["agent"]
    order = np.lexsort((rng.random(len(agent)), agent))  # a random sample within each agent
    by_agent = agent[order]
    rank = np.arange(len(order)) - np.searchsorted(by_agent, by_agent)
    quota = rng.poisson(5 * days_in_month / 7, len(AGENTS))
    picked = order[rank < quota[by_agent]]
    evaluated_day = pool["day"][picked] + rng.integers(1, 8, len(picked))
    done = evaluated_day < len(hour_utc)  # the rest are not yet evaluated at the demo's end
    picked, evaluated_day = picked[done], evaluated_day[done]
    office_hour = rng.integers(9, 17, len(picked))
    evaluated = hour_utc[evaluated_day, office_hour] + rng.integers(0, HOUR_US, len(picked))
    items, maxima = len(SCORECARD), np.array([points for _, points in SCORECARD], float)
    logit = (1.6 + skill[agent[picked]] + pool["quality"][picked] + rng.normal(0, 0.4, len(picked)))
    probability = 1 / (1 + np.exp(-(logit[:, None] + ITEM_EASE[None, :])))
    scores = rng.binomial(np.broadcast_to(maxima.astype(int), probability.shape), probability)
    evaluation_ids = _ids("E", np.arange(first_evaluation, first_evaluation + len(picked)), 8)
    per_item = np.repeat(np.arange(len(picked)), items)
    return pa.Table.from_arrays([
        evaluation_ids.take(per_item),
        pool["interaction_id"].take(picked).take(per_item),
        pa.array(AGENTS).take(agent[picked][per_item]),
        pa.array(evaluated[per_item], pa.timestamp("us", tz="UTC")),
        pa.array(np.tile([name for name, _ in SCORECARD], len(picked))),
        pa.array(scores.ravel().astype(float)),
        pa.array(np.tile(maxima, len(picked))),
    ], schema=contract_schema(QA_COLUMNS))


def _order_slots(plan: _Plan, customers: dict, first_unhappy: np.ndarray, scale: float,
                 rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Who ordered in which local day-hour slot, in slot order; int32 keeps scale 9 within memory."""
    acquired, stop, rate, cumulative = (customers[k] for k in ("acquired", "stop", "rate", "cumulative"))
    years = (stop - acquired) / 365.25
    first_orders = customers["first_is_order"]
    target = ORDERS_PER_YEAR * scale * len(plan.days) / 365.25
    repeats = rng.poisson(rate * years * (target - first_orders.sum()) / (rate * years).sum())
    customer = np.concatenate([np.flatnonzero(first_orders),
                               np.repeat(np.arange(len(rate)), repeats)]).astype(np.int32)
    # repeat orders follow demand (holidays, growth) within the customer's active days
    position = cumulative[acquired[customer]]
    position += rng.random(len(customer)) * (cumulative[stop[customer]] - position)
    day = (np.searchsorted(cumulative, position, side="right") - 1).astype(np.int32)
    day[: first_orders.sum()] = acquired[first_orders]
    # after a poorly rated contact 30% of customers never order again; the rest order a little less
    lost = rng.random(len(rate)) < 0.3
    kept = (day <= first_unhappy[customer]) | (~lost[customer] & (rng.random(len(customer)) < 0.85))
    customer, day = customer[kept], day[kept]
    slot = day * 24 + rng.choice(24, len(customer), p=ASYNC_HOURS / ASYNC_HOURS.sum()).astype(np.int32)
    order = np.argsort(slot, kind="stable")
    return customer[order], slot[order]


def _write_orders(path: Path, plan: _Plan, customer: np.ndarray, slot: np.ndarray, customer_ids: pa.Array,
                  first_unhappy: np.ndarray, first_coached: np.ndarray, rng: np.random.Generator) -> None:
    """Write orders in time order, a million at a time; customers return more after a bad contact
    and 15% less after product-usage coaching (the seed: 12-18% fewer returns)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    schema = contract_schema(ORDERS_COLUMNS)
    # cut only between hours, so sorting each part by time sorts the whole file
    cuts = [*np.unique(np.searchsorted(slot, slot[::1_000_000])), len(slot)]
    with pq.ParquetWriter(temporary, schema, compression="zstd") as writer:
        for first, last in zip(cuts[:-1], cuts[1:], strict=True):
            size = last - first
            ordered = plan.hour_utc.ravel()[slot[first:last]] + rng.integers(0, HOUR_US, size)
            order = np.argsort(ordered, kind="stable")
            who = customer[first:last][order]
            after_bad = slot[first:last][order] // 24 > first_unhappy[who]
            after_coaching = slot[first:last][order] // 24 > first_coached[who]
            writer.write_table(pa.Table.from_arrays([
                _ids("O", np.arange(first + 1, last + 1), 9), customer_ids.take(who),
                pa.array(ordered[order], schema.field("ordered_at").type),
                pa.array(np.round(_lognormal(rng, 60.0, 0.55, size), 2)),
                pa.array(rng.random(size) < np.where(after_bad, 0.16, 0.10)
                         * np.where(after_coaching, 0.85, 1.0)),
                pa.array(rng.random(size) < 0.015)], schema=schema))
    os.replace(temporary, path)


def _costs(months: list[date], served: np.ndarray, coverage: np.ndarray, end: date,
           rng: np.random.Generator) -> pa.Table:
    """Monthly costs sized to served contacts (a partial month as if complete), plus one-time items."""
    rows = []
    for month, month_served, covered in zip(months, served, coverage, strict=True):
        full_month = month_served / covered
        for cost_type, split in COST_SPLIT.items():
            for channel, amount in zip(CHANNELS, full_month * COST_PER_SERVED * split, strict=True):
                if amount > 0:
                    rows.append((month, channel, cost_type, round(amount * rng.lognormal(0, 0.03), 2)))
        shared = full_month.sum() * 0.25 * rng.lognormal(0, 0.02)  # the Portland office, all channels
        rows.append((month, "shared", "facilities", round(shared, 2)))
    for months_back, channel, amount in ((19, "shared", 96_500.0), (9, "self_service", 38_000.0)):
        month = (end.replace(day=1) - timedelta(days=months_back * 30.44)).replace(day=1)
        if month in months:  # CRM migration, then a chatbot platform upgrade
            rows.append((month, channel, "one_time", amount))
    return pa.Table.from_pylist([dict(zip(("month", "channel", "cost_type", "amount_usd"), row, strict=True))
                                 for row in rows], schema=contract_schema(COSTS_COLUMNS))


def write_demo(folder: Path, end: date | None = None, scale: float = 1.0, seed: int = 7,
               progress: Callable[[float, str], None] | None = None) -> DemoSummary:
    """Write the Living Well demo operation into `folder`: same (end, scale, seed), same files."""
    folder = Path(folder)
    report = progress or (lambda fraction, message: None)
    end = end or datetime.now(ZoneInfo(TIMEZONE)).date() - timedelta(days=1)
    try:
        start = end.replace(year=end.year - 3) + timedelta(days=1)
    except ValueError:  # 29 February
        start = end.replace(year=end.year - 3, day=28) + timedelta(days=1)
    rng = np.random.default_rng(seed)
    days = np.arange(np.datetime64(start), np.datetime64(end) + 1)
    events = demo_events(end)
    plan, customers = _plan(days, events, scale, rng)
    customer_ids = _ids("C", np.arange(1, len(customers["rate"]) + 1), 7)

    month_of_day = days.astype("datetime64[M]")
    month_starts, first_days = np.unique(month_of_day, return_index=True)
    bounds = list(zip(first_days, [*first_days[1:], len(days)], strict=True))
    months = [m.astype("datetime64[D]").astype(object) for m in month_starts]
    served, coverage = np.zeros((len(months), 6)), np.zeros(len(months))
    first_unhappy = np.full(len(customers["rate"]), len(days))
    first_coached = np.full(len(customers["rate"]), len(days))
    skill = rng.normal(0, 0.35, len(AGENTS))
    interactions = evaluations = 0
    qa_tables = []
    for number, (month, (first, last)) in enumerate(zip(months, bounds, strict=True)):
        report(0.85 * number / len(months), f"Writing contacts for {month:%B %Y}")
        result = _month(plan, first, last, rng, f"I{month:%Y%m}-")
        columns = result["columns"]
        columns["customer_id"] = customer_ids.take(columns["customer_id"])
        _write(pa.Table.from_pydict(columns, schema=contract_schema(INTERACTION_COLUMNS)),
               folder / "interactions" / f"month={month:%Y-%m-%d}" / "interactions.parquet")
        np.minimum.at(first_unhappy, result["unhappy_customer"], result["unhappy_day"])
        np.minimum.at(first_coached, result["coached_customer"], result["coached_day"])
        days_in_month = (month.replace(day=28) + timedelta(days=4)).replace(day=1) - month
        served[number], coverage[number] = result["served"], (last - first) / days_in_month.days
        qa_tables.append(_qa_month(result["qa"], last - first, rng, evaluations + 1, skill,
                                   plan.hour_utc))
        evaluations += qa_tables[-1].num_rows // len(SCORECARD)
        interactions += result["rows"]

    report(0.88, "Writing orders")
    buyer, slot = _order_slots(plan, customers, first_unhappy, scale, rng)
    _write_orders(folder / "orders" / "orders.parquet", plan, buyer, slot, customer_ids, first_unhappy,
                  first_coached, rng)
    report(0.95, "Writing QA evaluations and costs")
    qa = pa.concat_tables(qa_tables)
    _write(qa, folder / "qa" / "qa.parquet")
    costs = _costs(months, served, coverage, end, rng)
    _write(costs, folder / "costs" / "costs.parquet")
    settings = folder / "cxdash.toml"
    if not settings.exists():  # a user's own settings are theirs
        settings.write_text(_settings_text(start, end, events), encoding="utf-8")
    report(1.0, "Demo written")
    return DemoSummary(interactions, len(buyer), qa.num_rows, costs.num_rows, start, end, tuple(events))
