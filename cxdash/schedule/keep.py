"""The schedule record: every schedule kept with its inputs under DATA/schedules/, as forecasts are kept
under DATA/forecasts/ (cxdash.record): ID.parquet (the shifts worked) and ID.json (what it was made
from, the solver's figures and what the schedule achieves)."""

from __future__ import annotations

import json
import os
import secrets
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from cxdash.schedule.evaluate import finite

SCHEDULE_DIR = "schedules"


def schedule_dir(folder: Path) -> Path:
    return Path(folder) / SCHEDULE_DIR


def summary(schedule) -> dict:
    """What a schedule is, as JSON keeps it and the command prints it."""
    solution, judged = schedule.solution, schedule.evaluation
    out = {
        "status": solution.status, "message": solution.message, "warnings": list(schedule.warnings),
        "inputs": schedule.inputs,
        "solver": {"statuses": list(solution.statuses), "seconds": round(solution.seconds, 3),
                   "shortfall_contacts": round(solution.shortfall, 2),
                   "shortfall_bound": round(solution.shortfall_bound, 2),
                   "shortfall_gap": round(solution.shortfall_gap, 4),
                   "paid_hours": solution.paid_hours, "paid_hours_bound": solution.paid_hours_bound,
                   "gap": round(solution.gap, 4)},
    }
    if judged is not None:
        out["week"] = {key: finite(value) for key, value in judged.week.items()}
        out["understaffed"] = list(judged.under_words)
        out["overstaffed"] = list(judged.over_words)
    return out


def save(folder: Path, schedule, created_at: datetime | None = None) -> str:
    """Keep a schedule; returns its id (creation time and a random suffix). The JSON file is written
    last and whole, so a schedule appears complete or not at all."""
    created = (created_at or datetime.now(UTC)).astimezone(UTC)
    schedule_id = created.strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(3)
    target = schedule_dir(folder)
    target.mkdir(parents=True, exist_ok=True)
    shifts = schedule.shifts if schedule.shifts is not None else pd.DataFrame(
        columns=["agent", "date", "start", "end", "paid_hours", "breaks"])
    shifts.to_parquet(target / f"{schedule_id}.parquet", index=False)
    meta = {"schedule_id": schedule_id, "created_at": created.isoformat(), **summary(schedule)}
    temporary = target / f".{schedule_id}.json.tmp"
    temporary.write_text(json.dumps(meta, indent=1, default=str), encoding="utf-8")
    os.replace(temporary, target / f"{schedule_id}.json")
    return schedule_id


def schedules(folder: Path) -> pd.DataFrame:
    """Every kept schedule, newest first: schedule_id, created_at, forecast_run, week, agents, status,
    paid_hours, service_level. A schedule whose files cannot be read is skipped."""
    rows = []
    for path in sorted(schedule_dir(folder).glob("*.json")):
        try:
            meta = json.loads(path.read_text(encoding="utf-8"))
            if not path.with_suffix(".parquet").exists():
                continue
            rows.append({"schedule_id": meta["schedule_id"], "created_at": meta["created_at"],
                         "forecast_run": meta["inputs"]["forecast_run"], "week": meta["inputs"]["week"],
                         "agents": meta["inputs"]["agents"], "status": meta["status"],
                         "paid_hours": meta["solver"]["paid_hours"],
                         "service_level": (meta.get("week") or {}).get("service_level")})
        except (OSError, ValueError, KeyError, TypeError):
            continue
    frame = pd.DataFrame(rows, columns=["schedule_id", "created_at", "forecast_run", "week", "agents",
                                        "status", "paid_hours", "service_level"])
    return frame.sort_values("created_at", ascending=False).reset_index(drop=True)


def load(folder: Path, schedule_id: str) -> tuple[dict, pd.DataFrame]:
    """A kept schedule: its JSON document and its shifts."""
    base = schedule_dir(folder) / Path(schedule_id).name
    meta = json.loads(base.with_suffix(".json").read_text(encoding="utf-8"))
    return meta, pd.read_parquet(base.with_suffix(".parquet"))
