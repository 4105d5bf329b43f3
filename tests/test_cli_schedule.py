"""`python -m cxdash schedule`: a week's schedule from a stored forecast, kept in DATA/schedules/."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta

import pandas as pd
import pytest

from cxdash import cli
from cxdash.schedule import keep

MONDAY = date(2026, 10, 26)
TIMEZONE = "America/Los_Angeles"
RUN = "20261025T120000-abcdef"


def store_forecast(folder, run_id: str = RUN, grain: str = "30min", contacts: float = 12.0) -> None:
    """A forecast run in the record as cxdash.record.save writes one: the seed's opening hours of the
    week from MONDAY, `contacts` a half hour at 240 s (twice that 19:00-21:00 on weekdays)."""
    rows = []
    for day in range(7):
        opens, closes = (420, 1320) if day < 5 else (540, 1080)
        for minute in range(opens, closes, 30):
            count = contacts * (2 if day < 5 and 1140 <= minute < 1260 else 1)
            midnight = pd.Timestamp(MONDAY + timedelta(days=day)).tz_localize(TIMEZONE)
            ts = midnight + pd.Timedelta(minutes=minute)
            rows.append({"ts": ts.tz_convert("UTC"), "yhat": count, "yhat_lower": 0.8 * count,
                         "yhat_upper": 1.25 * count, "model": "combined", "aht_seconds": 240.0})
    target = folder / "forecasts"
    target.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_parquet(target / f"{run_id}.parquet", index=False)
    meta = {"run_id": run_id, "created_at": "2026-10-25T12:00:00+00:00", "as_of": "2026-10-26",
            "grain": grain, "horizon_days": 6, "channels": ["phone"], "queues": [], "model": "combined"}
    (target / f"{run_id}.json").write_text(json.dumps(meta), encoding="utf-8")


def run(capsys, *args: str) -> tuple[int, str, str]:
    try:
        code = cli.main(list(args))
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


def schedule(capsys, folder, *extra: str) -> tuple[int, str, str]:
    return run(capsys, "schedule", "--data", str(folder), "--forecast", RUN, "--week", MONDAY.isoformat(),
               "--time-limit", "4", *extra)


def test_json_gives_the_schedule_its_figures_and_keeps_it_in_the_record(capsys, tmp_path):
    store_forecast(tmp_path)
    code, out, err = schedule(capsys, tmp_path, "--agents", "10", "--json")
    assert code == 0, err
    document = json.loads(out)
    assert document["status"] in ("optimal", "feasible")
    assert document["inputs"]["agents"] == 10 and document["inputs"]["forecast_run"] == RUN
    assert document["inputs"]["shrinkage_pct"] == 25 and document["inputs"]["safety_pct"] == 50
    assert document["inputs"]["share_pct"] == 100  # the settings' default: every interval
    week = document["week"]
    assert week["paid_hours"] == 400.0  # ten full-time agents at 40 hours
    assert week["cost_usd"] == pytest.approx(400 * 35.0)
    assert week["intervals"] == 5 * 30 + 2 * 18
    assert 0 < week["service_level"] <= 1 and document["solver"]["gap"] == 0.0
    listed = keep.schedules(tmp_path)
    assert list(listed["schedule_id"]) == [document["schedule_id"]]
    meta, shifts = keep.load(tmp_path, document["schedule_id"])
    assert meta["week"]["paid_hours"] == 400.0 and shifts["paid_hours"].sum() == 400.0
    assert set(shifts["agent"]) == {f"Agent {n:02d}" for n in range(1, 11)}


def test_share_reaches_the_solver_and_the_kept_inputs(capsys, tmp_path):
    store_forecast(tmp_path)
    code, out, err = schedule(capsys, tmp_path, "--agents", "10", "--share", "60", "--json")
    assert code == 0, err
    assert json.loads(out)["inputs"]["share_pct"] == 60


def test_text_names_the_figures_and_the_csv_holds_every_shift(capsys, tmp_path):
    store_forecast(tmp_path)
    out_file = tmp_path / "out" / "roster.csv"
    code, out, _ = schedule(capsys, tmp_path, "--agents", "8", "--out", str(out_file))
    assert code == 0
    assert "Solver (CP-SAT)" in out and "Paid hours             320.0 ($11,200 at $35/h)" in out
    rows = list(csv.DictReader(io.StringIO(out_file.read_text(encoding="utf-8"))))
    assert len(rows) == 8 * 5 and {row["agent"] for row in rows} == {f"Agent {n}" for n in range(1, 9)}
    assert all(row["breaks"].startswith("break ") and "meal" in row["breaks"] for row in rows)


def test_a_roster_file_is_used_with_its_bad_rows_named(capsys, tmp_path):
    store_forecast(tmp_path)
    roster = tmp_path / "team.csv"
    roster.write_text("agent,contract_hours,days\nAnn,40,\nBen,20-30,mon-fri\nCai,lots,\n", encoding="utf-8")
    code, out, err = schedule(capsys, tmp_path, "--roster", str(roster), "--json")
    assert code == 0
    assert "team.csv: 1 row: contract_hours is not hours a week" in err
    document = json.loads(out)
    assert [a["name"] for a in document["inputs"]["agent_list"]] == ["Ann", "Ben"]
    assert 60 <= document["week"]["paid_hours"] <= 70


def test_rules_that_cannot_be_met_are_named_and_exit_1(capsys, tmp_path):
    store_forecast(tmp_path)
    (tmp_path / "cxdash.toml").write_text("[schedule]\nfull_time_hours = 48\n", encoding="utf-8")
    code, out, err = schedule(capsys, tmp_path, "--agents", "3")
    assert code == 1 and out == ""
    assert "the rule that cannot be met is contracted hours" in err


@pytest.mark.parametrize(("extra", "message"), [
    (("--out", "roster.txt"), "--out must end in .csv or .xlsx"),
    (("--safety", "40"), "--safety must be a whole percent from 50 to 99"),
    (("--share", "101"), "--share must be a whole percent from 50 to 100"),
    (("--agents", "0"), "--agents must be from 1 to 5000"),
    (("--agents", "3", "--roster", "team.csv"), "not allowed with argument"),
])
def test_bad_arguments_are_usage_errors(capsys, tmp_path, extra, message):
    store_forecast(tmp_path)
    code, _, err = schedule(capsys, tmp_path, *extra)
    assert code == 2 and message in err


def test_a_missing_run_or_a_daily_forecast_says_what_is_needed(capsys, tmp_path):
    code, _, err = schedule(capsys, tmp_path)
    assert code == 1 and f"no forecast run '{RUN}' in the record" in err
    store_forecast(tmp_path, grain="day")
    code, _, err = schedule(capsys, tmp_path)
    assert code == 1 and "needs a 15- or 30-minute forecast" in err


def test_a_missing_roster_file_is_a_plain_error(capsys, tmp_path):
    store_forecast(tmp_path)
    code, _, err = schedule(capsys, tmp_path, "--roster", str(tmp_path / "nowhere.csv"))
    assert code == 2 and "the roster could not be read" in err and "Traceback" not in err
