"""Schedules against the open-source peer (issue 19): the same week of requirements scheduled with
pyworkforce's MinAbsDifference and MinRequiredResources and with cxdash, with the same shift lengths and
start grid, judged by one yardstick; then the solver's speed and gap for 24 and 200 agents.

    .venv/bin/python bench/schedule.py [--pyworkforce DIR] [--seconds 20] [--json FILE]

pyworkforce is not a dependency of cxdash: install it apart, for instance into a folder outside the
repository, and name that folder (or put it on PYTHONPATH):

    .venv/bin/python -m pip install --no-deps --target ../pyworkforce-lib pyworkforce joblib cloudpickle
    .venv/bin/python bench/schedule.py --pyworkforce ../pyworkforce-lib

The week: the demo (`python -m cxdash demo`, ending 2026-10-31) forecast by `python -m cxdash forecast`
at 30 minutes for the live channels (phone and chat) as of Monday 2026-10-26, six days ahead; both are
made under bench/out/schedule/ when missing. The requirement of each interval is Erlang C's agents on
the phones for 80% within 20 s at most 85% occupancy (cxdash.staffing, as the Staffing page shows it).

The same shifts for all: 8.5, 6 and 4 hours (8.5 h with an unpaid 30-minute meal: 8 paid), starting
on the half hour inside the opening hours (Mon-Fri 07:00-22:00, Sat-Sun 09:00-18:00). pyworkforce knows
no breaks, agents or weekly rules: it is given the heads to schedule, ceil(required / (1 - 30%)), the
seed's shrinkage, breaks included (as the Staffing page's "scheduled"), and picks how many of each shift
start each day; MinRequiredResources is weighted by paid hours. cxdash places the breaks itself (25%
shrinkage beyond them) and assigns agents with the weekly rules (at most 5 days, 2 consecutive days off,
11 h rest, full time 40 h, part time 20-30 h) from a pool it may leave partly unused.

One yardstick for all (cxdash.schedule.evaluate): agents on the phones per interval = heads on shift
and off break x (1 - shrinkage); understaffed (overstaffed) agent-intervals = the sum over intervals of
the agents on the phones below (above) the requirement; the predicted weekly service level is Erlang C's
at the forecast, contacts-weighted; paid hours exclude unpaid meals. Shrinkage is a share of paid time,
so an 8.5-hour shift's unpaid meal is off the phones on top of it: pyworkforce places no breaks, so its
meals are placed here where the phones can spare them best (generous to the peer); its rows "meals on
the phones" show the figures without, as earlier runs of this bench gave them.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cxdash import record  # noqa: E402
from cxdash.schedule.demand import Targets, week_demand  # noqa: E402
from cxdash.schedule.evaluate import evaluate  # noqa: E402
from cxdash.schedule.model import Problem, solve  # noqa: E402
from cxdash.schedule.rules import SLOT_MINUTES, Agent, rules_from, shift_breaks, shift_options, team  # noqa: E402
from cxdash.settings import ScheduleDefaults  # noqa: E402

OUT = ROOT / "bench" / "out" / "schedule"
WEEK = date(2026, 10, 26)
DEMO_END = date(2026, 10, 31)
TIMEZONE = "America/Los_Angeles"
SEED_SHRINKAGE = 0.30
PERIODS = 48  # half hours a day
POOL_FULL_TIME, POOL_PART_TIME = 40, 24  # the agents cxdash may draw on (it leaves the rest unused)
POOL_FLEXIBLE = 50


def cxdash_command(*args: str) -> str:
    result = subprocess.run([sys.executable, "-m", "cxdash", *args], cwd=ROOT, capture_output=True, text=True,
                            check=True)
    return result.stdout


def the_forecast() -> tuple[Path, str]:
    """The demo and its 30-minute live forecast for the week (made once, then reused)."""
    folder = OUT / "demo"
    cxdash_command("demo", "--data", str(folder), "--end", DEMO_END.isoformat(), "--if-missing")
    runs = record.runs(folder)
    found = runs[(runs["grain"] == "30min") & (runs["as_of"] == WEEK)
                 & runs["channels"].map(lambda c: sorted(c) == ["chat", "phone"])]
    if not found.empty:
        return folder, found.iloc[0]["run_id"]
    out = cxdash_command("forecast", "--data", str(folder), "--grain", "30min", "--horizon", "6",
                         "--channel", "phone", "--channel", "chat", "--as-of", WEEK.isoformat(), "--json")
    return folder, json.loads(out)["run_id"]


def load_pyworkforce(path: str | None):
    if path:
        sys.path.insert(0, str(Path(path).resolve()))
    try:
        from pyworkforce.scheduling import MinAbsDifference, MinRequiredResources
    except ImportError as error:
        sys.exit(f"pyworkforce is not importable ({error}). It is not a dependency of cxdash: install it "
                 "apart, e.g.\n"
                 "  .venv/bin/python -m pip install --no-deps --target ../pyworkforce-lib pyworkforce joblib "
                 "cloudpickle\n"
                 "and run  .venv/bin/python bench/schedule.py --pyworkforce ../pyworkforce-lib")
    return MinAbsDifference, MinRequiredResources


def pyworkforce_run(scheduler_class, demand: pd.DataFrame, rules, **extra) -> tuple[pd.DataFrame, float, str]:
    """Shifts chosen by a pyworkforce scheduler, as cxdash.schedule.model's shifts frame (no breaks)."""
    options = {}
    for weekday in range(7):
        for shift in shift_options(rules, weekday):
            options[shift.start, shift.minutes] = shift
    names = {f"{start}+{minutes}": (start, minutes) for start, minutes in sorted(options)}
    coverage = {}
    for name, (start, minutes) in names.items():
        row = [0] * PERIODS
        for period in range(start // 30, (start + minutes) // 30):
            row[period] = 1
        coverage[name] = row
    heads = [[0] * PERIODS for _ in range(7)]
    for row in demand.itertuples():
        heads[row.day][row.minute // 30] = math.ceil(round(row.required / (1 - SEED_SHRINKAGE), 9))
    started = time.monotonic()
    scheduler = scheduler_class(num_days=7, periods=PERIODS, shifts_coverage=coverage,
                                required_resources=heads, max_period_concurrency=500,
                                max_shift_concurrency=200, **extra)
    solution = scheduler.solve()
    seconds = time.monotonic() - started
    rows = []
    for item in solution["resources_shifts"]:
        if item["resources"] <= 0:
            continue
        start, minutes = names[item["shift"]]
        paid = options[start, minutes].paid_minutes
        rows += [{"agent": f"{item['shift']}#{item['day']}#{n}", "day": item["day"], "start": start,
                  "end": start + minutes, "paid_minutes": paid, "breaks": ()}
                 for n in range(item["resources"])]
    return pd.DataFrame(rows, columns=["agent", "day", "start", "end", "paid_minutes", "breaks"]), seconds, \
        solution["status"]


def with_meals(shifts: pd.DataFrame, demand: pd.DataFrame, rules, shrinkage: float) -> pd.DataFrame:
    """pyworkforce's shifts with their unpaid meal placed: the shrinkage is a share of paid time, so a
    shift's unpaid meal is off the phones on top of it, as in cxdash's shifts. pyworkforce places no
    breaks; here each meal goes, one shift at a time, inside its window where the phones can spare it
    best (the most agents on the phones above the requirement): generous to the peer."""
    meals = {}
    for minutes in {int(m) for m in shifts["end"] - shifts["start"]}:
        meals[minutes] = [b for b in (shift_breaks(rules, minutes) or ()) if not b.rule.paid]
    slots_a_day = 1440 // SLOT_MINUTES
    step = 30 // SLOT_MINUTES
    spare = np.zeros((7, slots_a_day))
    required = np.zeros((7, slots_a_day))
    for row in demand.itertuples():
        first = row.minute // SLOT_MINUTES
        required[row.day, first:first + step] = row.required
    for row in shifts.itertuples():
        spare[row.day, row.start // SLOT_MINUTES: row.end // SLOT_MINUTES] += 1 - shrinkage
    spare -= required
    placed = []
    for row in shifts.itertuples():
        breaks = []
        for meal in meals[row.end - row.start]:
            first = row.start // SLOT_MINUTES
            room = [spare[row.day, first + p: first + p + meal.slots].min()
                    for p in range(meal.first_slot, meal.last_slot + 1)]
            best = meal.first_slot + int(np.argmax(room))
            spare[row.day, first + best: first + best + meal.slots] -= 1 - shrinkage
            breaks.append((meal.rule.name, row.start + best * SLOT_MINUTES, meal.rule.minutes, False))
        placed.append(tuple(breaks))
    return shifts.assign(breaks=placed)


def paid_weights(rules) -> dict[str, int]:
    return {f"{s.start}+{s.minutes}": s.paid_minutes // 30 for w in range(7) for s in shift_options(rules, w)}


def judged(name: str, shifts: pd.DataFrame, demand: pd.DataFrame, shrinkage: float, seconds: float,
           status: str) -> dict:
    week = evaluate(demand, shifts, 30, shrinkage, Targets(), 35.0, WEEK).week
    return {"tool": name, "status": status,
            "understaffed_agent_intervals": round(week["understaffed_agent_intervals"], 1),
            "overstaffed_agent_intervals": round(week["overstaffed_agent_intervals"], 1),
            "paid_hours": week["paid_hours"], "weekly_service_level": round(week["service_level"], 4),
            "meets_target": week["meets_target"], "seconds": round(seconds, 2)}


def flexible_pool(agents: int) -> tuple[Agent, ...]:
    """Agents on flexible contracts (4 to 40 paid hours a week), the weekly rules still theirs."""
    return tuple(Agent(f"Flex {n:03d}", 4 * 60, 40 * 60) for n in range(1, agents + 1))


def peer_comparison(rows: pd.DataFrame, pyworkforce_path: str | None, seconds: float) -> list[dict]:
    MinAbsDifference, MinRequiredResources = load_pyworkforce(pyworkforce_path)
    rules = rules_from(ScheduleDefaults())
    demand = week_demand(rows, WEEK, 30, Targets())
    results = []
    for name, scheduler, extra in (("pyworkforce MinAbsDifference", MinAbsDifference, {}),
                                   ("pyworkforce MinRequiredResources", MinRequiredResources,
                                    {"cost_dict": paid_weights(rules)})):
        shifts, took, status = pyworkforce_run(scheduler, demand, rules, **extra)
        results.append(judged(name, with_meals(shifts, demand, rules, SEED_SHRINKAGE), demand, SEED_SHRINKAGE,
                              took, status))
        results.append(judged(f"{name}, meals on the phones", shifts, demand, SEED_SHRINKAGE, took, status))
    pools = {"cxdash, flexible contracts (4-40 h)": flexible_pool(POOL_FLEXIBLE),
             "cxdash, seed contracts (40 h; 20-30 h)": tuple(team(rules, POOL_FULL_TIME + POOL_PART_TIME,
                                                                   POOL_PART_TIME))}
    for name, pool in pools.items():
        problem = Problem(demand, 30, rules, pool, Targets(), optional_agents=True, weekdays=tuple(range(7)))
        solution = solve(problem, seconds)
        row = judged(name, solution.shifts, demand, rules.shrinkage, solution.seconds,
                     f"{solution.status}, paid-hours gap {solution.gap:.1%}")
        results.append(row | {"paid_hours_bound": solution.paid_hours_bound})
    return results


def speed(rows: pd.DataFrame, agents: int, seconds: float, pool: bool = False) -> dict:
    """A week for `agents` agents, its demand scaled to them (the demo's phone and chat need about 24
    agents' hours, a flexible pool about 30): a fixed full-time team, or a flexible pool that may go
    partly unused. Status, time, and both objectives with their bounds and gaps."""
    scaled = rows.copy()
    for column in ("yhat", "yhat_lower", "yhat_upper"):
        scaled[column] = scaled[column] * agents / (40 if pool else 24)
    rules = rules_from(ScheduleDefaults())
    demand = week_demand(scaled, WEEK, 30, Targets())
    team_of = flexible_pool(agents) if pool else tuple(team(rules, agents))
    problem = Problem(demand, 30, rules, team_of, Targets(), optional_agents=pool, weekdays=tuple(range(7)))
    solution = solve(problem, seconds)
    return {"agents": agents, "kind": "flexible pool" if pool else "full-time team", "limit_s": seconds,
            "status": solution.status, "seconds": round(solution.seconds, 1),
            "shortfall": round(solution.shortfall, 1), "shortfall_bound": round(solution.shortfall_bound, 1),
            "shortfall_gap": round(solution.shortfall_gap, 4), "paid_hours": solution.paid_hours,
            "paid_hours_bound": solution.paid_hours_bound, "paid_hours_gap": round(solution.gap, 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pyworkforce", metavar="DIR", help="a folder holding pyworkforce (pip --target)")
    parser.add_argument("--seconds", type=float, default=20.0, help="cxdash's time limit in the comparison")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args()
    folder, run_id = the_forecast()
    rows = record.rows(folder, run_id, TIMEZONE)
    print(f"Week from {WEEK}: forecast {run_id} (phone + chat, 30 minutes), {len(rows)} open intervals")
    peers = peer_comparison(rows, args.pyworkforce, args.seconds)
    table = pd.DataFrame(peers)
    print(table.to_string(index=False))
    timings = [speed(rows, 24, 10.0), speed(rows, 200, 60.0), speed(rows, 40, 10.0, pool=True),
               speed(rows, 200, 60.0, pool=True)]
    print(pd.DataFrame(timings).to_string(index=False))
    if args.json:
        args.json.write_text(json.dumps({"peers": peers, "speed": timings}, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
