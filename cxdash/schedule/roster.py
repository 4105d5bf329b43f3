"""The roster file: one row per agent with their contract and when they can work.

Like every file cxdash reads, no row is dropped: each row read is used or set aside with its reason
(rows read = used + set aside). Columns (named in any case; only `agent` is required):

- agent: the name, unique in the file;
- contract_hours: paid hours a week, one number (40) or a range (20-30); "full" or "part" (or blank,
  meaning full) take the [schedule] table's full-time or part-time hours;
- days: the weekdays the agent can work, such as "mon-fri", "mon,wed,sat" or "all" (blank: all);
- earliest, latest: the earliest start and latest end, such as 09:00 and 17:00 (blank: any time).
"""

from __future__ import annotations

import io

import pandas as pd

from cxdash.calendar import WEEKDAY_KEYS
from cxdash.schedule.rules import SLOT_MINUTES, Agent, Rules

ROSTER_COLUMNS = ("agent", "contract_hours", "days", "earliest", "latest")


def read_roster(data: bytes | str, name: str, rules: Rules) -> tuple[list[Agent], list[str], pd.DataFrame]:
    """The agents of a roster CSV (bytes or text), the problems in words (each naming the file, the
    column and the count of rows) and the rows set aside (row as a spreadsheet numbers it, the row's
    values, reason)."""
    text = data.decode("utf-8-sig", errors="replace") if isinstance(data, bytes) else data
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=True)
    except pd.errors.EmptyDataError:
        return [], [f"{name}: the file is empty; no agents read"], pd.DataFrame(columns=["row", "reason"])
    except (ValueError, pd.errors.ParserError) as error:
        return [], [f"{name}: the file could not be read as CSV ({error})"], \
            pd.DataFrame(columns=["row", "reason"])
    frame = frame.rename(columns={c: f"{c} (file)" for c in frame.columns if c in ("row", "reason")})
    columns = {str(c).strip().lower(): c for c in reversed(list(frame.columns))}
    rows = list(range(2, len(frame) + 2))
    if "agent" not in columns:
        aside = frame.copy()
        aside.insert(0, "row", rows)
        aside["reason"] = "missing column agent"
        found = ", ".join(map(str, frame.columns)) or "none"
        return [], [f"{name}: no column agent (columns found: {found}); all {len(frame):,} rows are set "
                    "aside"], aside

    def cell(i: int, column: str) -> str:
        return str(frame.iloc[i][columns[column]]).strip() if column in columns else ""

    agents, reasons, seen = [], [], set()
    for i in range(len(frame)):
        agent, why = _agent(cell(i, "agent"), cell(i, "contract_hours"), cell(i, "days"),
                            cell(i, "earliest"), cell(i, "latest"), rules)
        if agent is not None and agent.name in seen:
            agent, why = None, ["agent repeats an earlier row (the first is kept)"]
        reasons.append(why)
        if agent is not None:
            seen.add(agent.name)
            agents.append(agent)
    problems = []
    for reason in sorted({r for why in reasons for r in why}):
        count = sum(reason in why for why in reasons)
        problems.append(f"{name}: {count:,} row{'s' if count != 1 else ''}: {reason}; set aside")
    bad = [i for i, why in enumerate(reasons) if why]
    aside = frame.iloc[bad].copy()
    aside.insert(0, "row", [rows[i] for i in bad])
    aside["reason"] = ["; ".join(reasons[i]) for i in bad]
    return agents, problems, aside.reset_index(drop=True)


def _agent(name: str, hours: str, days: str, earliest: str, latest: str,
           rules: Rules) -> tuple[Agent | None, list[str]]:
    why = []
    if not name:
        why.append("agent is blank")
    contract = _contract(hours, rules)
    if contract is None:
        why.append("contract_hours is not hours a week (40, 20-30, full or part)")
    weekdays = _days(days)
    if weekdays is None:
        why.append("days is not weekdays (mon-fri, mon,wed,sat or all)")
    first, last = _clock(earliest, 0), _clock(latest, 1440)
    if first is None or last is None:
        why.append("earliest or latest is not a time on the quarter hour (09:00)")
    elif first >= last:
        why.append("earliest is not before latest")
    if why:
        return None, why
    return Agent(name, contract[0], contract[1], weekdays, first, last, part_time=contract[2]), []


def _contract(text: str, rules: Rules) -> tuple[int, int, bool] | None:
    """(least, most paid minutes a week, part time?) from the contract_hours cell."""
    word = text.lower().replace("-", " ").replace("_", " ")
    if word in ("", "full", "full time"):
        return (*rules.full_time, False)
    if word in ("part", "part time"):
        return (*rules.part_time, True)
    parts = text.split("-")
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        return None
    if len(numbers) not in (1, 2) or not all(0 <= n <= 168 for n in numbers) or numbers[0] > numbers[-1]:
        return None
    low, high = int(round(numbers[0] * 60)), int(round(numbers[-1] * 60))
    return low, high, high < rules.full_time[0]


def _days(text: str) -> frozenset[int] | None:
    text = text.lower().replace(" ", "")
    if text in ("", "all", "daily"):
        return frozenset(range(7))
    days: set[int] = set()
    for part in text.split(","):
        ends = part.split("-")
        if not all(e[:3] in WEEKDAY_KEYS and e in (e[:3], _full(e[:3])) for e in ends) or len(ends) > 2:
            return None
        first, last = WEEKDAY_KEYS.index(ends[0][:3]), WEEKDAY_KEYS.index(ends[-1][:3])
        days.update(range(first, last + 1) if first <= last else [*range(first, 7), *range(0, last + 1)])
    return frozenset(days)


def _full(key: str) -> str:
    return {"mon": "monday", "tue": "tuesday", "wed": "wednesday", "thu": "thursday", "fri": "friday",
            "sat": "saturday", "sun": "sunday"}[key]


def _clock(text: str, blank: int) -> int | None:
    if not text:
        return blank
    hour, _, minute = text.partition(":")
    if not (hour.isdigit() and minute.isdigit() and len(minute) == 2 and len(hour) <= 2):
        return None
    value = int(hour) * 60 + int(minute)
    return value if int(minute) < 60 and value <= 1440 and value % SLOT_MINUTES == 0 else None
