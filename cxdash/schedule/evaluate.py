"""What a schedule achieves: agents on the phones per interval net of breaks and shrinkage against the
requirement of the forecast itself; predicted service level, ASA, occupancy and abandonment per
interval and for the week; the chance each interval meets the target (its forecast's spread); the
intervals under- and over-staffed in words; paid hours and labour cost.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from cxdash import staffing
from cxdash.schedule.demand import Targets, chance_of_target, service
from cxdash.schedule.model import coverage
from cxdash.schedule.rules import clock

WORDS_SHOWN = 8  # the under- and over-staffed stretches named, the largest first


@dataclass(frozen=True)
class Evaluation:
    intervals: pd.DataFrame  # ts, day, minute, contacts, required, on_phones, gap, status, figures, chance
    week: dict  # the week's figures (see evaluate)
    under_words: tuple[str, ...]
    over_words: tuple[str, ...]


def evaluate(demand: pd.DataFrame, shifts: pd.DataFrame, interval_minutes: int, shrinkage: float,
             targets: Targets, hourly_rate: float, start: date) -> Evaluation:
    """The schedule's shifts (cxdash.schedule.model) against the week's demand at its forecast (yhat):
    required is Erlang's agents on the phones for the forecast itself, whatever safety the schedule
    was planned for; on_phones = agents on shift and off break x (1 - shrinkage)."""
    seconds = interval_minutes * 60
    frame = demand[["ts", "day", "minute", "yhat", "sigma", "aht_seconds"]]
    frame = frame.rename(columns={"yhat": "contacts"})
    plain = Targets(targets.service_level, targets.target_seconds, targets.max_occupancy,
                    targets.patience_seconds)
    required = staffing.staff_intervals(frame[["ts", "contacts", "aht_seconds"]], seconds,
                                        service_level=targets.service_level,
                                        target_seconds=targets.target_seconds,
                                        max_occupancy=targets.max_occupancy, shrinkage=0.0,
                                        patience_seconds=targets.patience_seconds)
    frame["required"] = required["agents"].to_numpy()
    frame["on_phones"] = coverage(shifts, demand, interval_minutes) * (1 - shrinkage)
    frame["gap"] = frame["on_phones"] - frame["required"]
    frame["status"] = np.select([frame["gap"] < -1e-9, frame["gap"] >= 1 - 1e-9], ["under", "over"], "ok")
    figures = [service(row.contacts, row.aht_seconds, seconds, row.on_phones, plain)
               for row in frame.itertuples()]
    for key in ("service_level", "asa_seconds", "occupancy", "abandon_rate"):
        frame[key] = [f[key] for f in figures]
    frame["chance"] = [chance_of_target((row.contacts, row.sigma), row.aht_seconds, seconds, row.on_phones,
                                        plain) for row in frame.itertuples()]
    paid_hours = float(shifts["paid_minutes"].sum() / 60) if len(shifts) else 0.0
    week = _week(frame, seconds, targets) | {
        "paid_hours": paid_hours, "cost_usd": paid_hours * hourly_rate,
        "agents_used": int(shifts["agent"].nunique()) if len(shifts) else 0}
    return Evaluation(frame, week, _words(frame, "under", start, interval_minutes),
                      _words(frame, "over", start, interval_minutes))


def _week(frame: pd.DataFrame, seconds: float, targets: Targets) -> dict:
    contacts = frame["contacts"].to_numpy()
    total = contacts.sum()
    answered = contacts * (1 - frame["abandon_rate"].to_numpy())
    asa = frame["asa_seconds"].to_numpy()
    busy = answered > 0
    workload = (answered * frame["aht_seconds"].to_numpy() / seconds).sum()
    phones = frame["on_phones"].sum()
    return {
        "contacts": float(total),
        "service_level": float((contacts * frame["service_level"]).sum() / total) if total else 1.0,
        "asa_seconds": float((answered[busy] * asa[busy]).sum() / answered.sum()) if busy.any() else 0.0,
        "occupancy": float(workload / phones) if phones else 0.0,
        "abandon_rate": float((contacts * frame["abandon_rate"]).sum() / total) if total else 0.0,
        "understaffed_agent_intervals": float((-frame["gap"]).clip(lower=0).sum()),
        "overstaffed_agent_intervals": float(frame["gap"].clip(lower=0).sum()),
        "intervals": len(frame),
        "intervals_under": int((frame["status"] == "under").sum()),
        "intervals_over": int((frame["status"] == "over").sum()),
        "meets_target": bool(total == 0 or (contacts * frame["service_level"]).sum() / total
                             >= targets.service_level - 1e-12),
    }


def _words(frame: pd.DataFrame, status: str, start: date, interval_minutes: int) -> tuple[str, ...]:
    """Runs of consecutive intervals of one status, the largest first: 'Mon 26 Oct 19:00-21:00: 3.1
    agents short on the phones on average (service level 61%)'."""
    rows = frame.reset_index(drop=True)
    flagged = rows["status"] == status
    runs, current = [], []
    for i in range(len(rows)):
        joined = current and rows.at[i, "day"] == rows.at[current[-1], "day"] \
            and rows.at[i, "minute"] == rows.at[current[-1], "minute"] + interval_minutes
        if flagged[i] and (not current or joined):
            current.append(i)
            continue
        if current:
            runs.append(current)
        current = [i] if flagged[i] else []
    if current:
        runs.append(current)
    described = []
    for run in runs:
        part = rows.loc[run]
        size = float(part["gap"].abs().sum())
        day = start + timedelta(days=int(part["day"].iloc[0]))
        span = f"{day:%a %d %b} {clock(int(part['minute'].iloc[0]))}-" \
               f"{clock(int(part['minute'].iloc[-1]) + interval_minutes)}"
        mean = part["gap"].abs().mean()
        if status == "under":
            level = (part["contacts"] * part["service_level"]).sum() / max(part["contacts"].sum(), 1e-9)
            text = f"{span}: {mean:.1f} agents short on the phones on average (service level {level:.0%})"
        else:
            text = f"{span}: {mean:.1f} agents more on the phones than needed on average"
        described.append((size, text))
    described.sort(key=lambda item: -item[0])
    shown = [text for _, text in described[:WORDS_SHOWN]]
    if len(described) > WORDS_SHOWN:
        shown.append(f"and {len(described) - WORDS_SHOWN} shorter stretch(es)")
    return tuple(shown)


def roster_table(shifts: pd.DataFrame, agents: list[str], start: date) -> pd.DataFrame:
    """Agents x days: each cell the shift (07:00-15:30) or 'off', with the paid hours a week."""
    days = [start + timedelta(days=d) for d in range(7)]
    table = pd.DataFrame({"agent": agents})
    for d, day in enumerate(days):
        worked = shifts[shifts["day"] == d].set_index("agent")
        table[f"{day:%a %d %b}"] = [f"{clock(int(worked.at[a, 'start']))}-{clock(int(worked.at[a, 'end']))}"
                                    if a in worked.index else "off" for a in agents]
    paid = shifts.groupby("agent")["paid_minutes"].sum() / 60
    table["paid_hours"] = [float(paid.get(a, 0.0)) for a in agents]
    return table


def shifts_table(shifts: pd.DataFrame, start: date) -> pd.DataFrame:
    """One row per shift worked, for downloads: agent, date, start, end, paid hours, breaks."""
    return pd.DataFrame({
        "agent": shifts["agent"],
        "date": [(start + timedelta(days=int(d))).isoformat() for d in shifts["day"]],
        "start": [clock(int(m)) for m in shifts["start"]],
        "end": [clock(int(m)) for m in shifts["end"]],
        "paid_hours": shifts["paid_minutes"] / 60,
        "breaks": ["; ".join(f"{name} {clock(s)}-{clock(s + m)}" + ("" if paid else " (unpaid)")
                             for name, s, m, paid in breaks) for breaks in shifts["breaks"]],
    })


def finite(value: float) -> float | None:
    """A figure for JSON: None for an infinite ASA (an overloaded interval)."""
    return None if value is None or (isinstance(value, float) and not math.isfinite(value)) else value
