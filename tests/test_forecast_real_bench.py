"""bench/forecast_real.py's scoring on a tiny synthetic series, every figure worked by hand: the actuals
at the grain, the benchmarks (last week with data, mean of the last 4 weeks with data, only before the
origin), which intervals are scored, WAPE, bias, coverage, the ratio and the goals; and the data folder's
build (calls spread inside their 5 minutes, local wall clock to UTC, answered_at from the ring time)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from tests.builders import bench_module

fr = bench_module("forecast_real")
ORIGIN = date(2024, 1, 29)  # a Monday


def d(text: str) -> int:
    return fr.day_number(date.fromisoformat(text))


def raw_counts() -> pd.DataFrame:
    """Calls at 09:00 and 09:30 (local) on the Mondays and Tuesdays before the origin; Monday 22 January
    has no data. Monday 15 January's 09:00 comes as two rows (25 + 15) to check the grain's sums."""
    rows = [
        ("2023-12-18 09:00", 100), ("2023-12-18 09:30", 100),  # a fifth Monday back: never used
        ("2023-12-25 09:00", 10),  # 09:30 had no call (0 on a day with data)
        ("2024-01-01 09:00", 20), ("2024-01-01 09:30", 4),
        ("2024-01-08 09:00", 30), ("2024-01-08 09:30", 8),
        ("2024-01-15 09:05", 25), ("2024-01-15 09:20", 15), ("2024-01-15 09:45", 12),
        ("2023-12-26 09:00", 200), ("2023-12-26 09:30", 200),  # a fifth Tuesday back
        ("2024-01-02 09:00", 20), ("2024-01-02 09:30", 4),
        ("2024-01-09 09:00", 40),
        ("2024-01-16 09:00", 30), ("2024-01-16 09:30", 6),
        ("2024-01-23 09:00", 50), ("2024-01-23 09:30", 10),
        # the forecast week: Monday 29 (09:30 no call; 10:00 in an interval the forecast holds closed),
        # Tuesday 30; Wednesday 31 has no data; Monday 5 February is after the week
        ("2024-01-29 09:10", 36), ("2024-01-29 10:00", 9),
        ("2024-01-30 09:00", 44), ("2024-01-30 09:30", 10),
        ("2024-02-05 09:00", 1000),
    ]
    return pd.DataFrame({"local": pd.to_datetime([r[0] for r in rows]), "calls": [float(r[1]) for r in rows]})


def days_with_data() -> np.ndarray:
    found = fr.data_days(fr.SERIES["bank"], raw_counts())  # a file of counts: the days with rows
    assert d("2024-01-22") not in found and d("2024-01-31") not in found
    return found


def forecast_rows(with_later: bool = False) -> pd.DataFrame:
    rows = [("2024-01-29", 540, 30, 25, 35), ("2024-01-29", 570, 2, 0, 5),
            ("2024-01-30", 540, 40, 35, 45), ("2024-01-30", 570, 12, 10, 14),
            ("2024-01-31", 540, 99, 90, 110)]  # a day without data: not scored
    if with_later:
        rows.append(("2024-02-05", 540, 1000, 900, 1100))
    return pd.DataFrame({"day": [d(r[0]) for r in rows], "minute": [r[1] for r in rows],
                         "yhat": [float(r[2]) for r in rows], "yhat_lower": [float(r[3]) for r in rows],
                         "yhat_upper": [float(r[4]) for r in rows]})


def scored() -> pd.DataFrame:
    return fr.score_rows(forecast_rows(), ORIGIN, fr.actual_slots(raw_counts(), 30), days_with_data())


def test_actuals_at_the_grain():
    slots = fr.actual_slots(raw_counts(), 30).set_index(["day", "minute"])["y"]
    assert slots[(d("2024-01-15"), 540)] == 40  # 25 + 15
    assert slots[(d("2024-01-15"), 570)] == 12
    assert (d("2023-12-25"), 570) not in slots.index  # no row: counted as 0 where scored
    daily = fr.actual_slots(raw_counts(), 1440).set_index(["day", "minute"])["y"]
    assert daily[(d("2024-01-29"), 0)] == 45 and daily[(d("2024-01-15"), 0)] == 52


def test_scored_intervals_actuals_and_benchmarks_by_hand():
    frame = scored().sort_values(["day", "minute"]).reset_index(drop=True)
    # Wednesday (no data) and Monday 10:00 (not in the forecast's rows) are not scored
    assert list(zip(frame["day"], frame["minute"], strict=True)) == [
        (d("2024-01-29"), 540), (d("2024-01-29"), 570), (d("2024-01-30"), 540), (d("2024-01-30"), 570)]
    assert frame["y"].tolist() == [36, 0, 44, 10]
    assert frame["lead"].tolist() == [0, 0, 1, 1]
    # Monday: the last Monday with data is 15 Jan (22 Jan has none); the mean of 15, 8, 1 Jan, 25 Dec
    # Tuesday: 23 Jan; the mean of 23, 16, 9, 2 Jan (9 Jan 09:30 had no call: 0)
    assert frame["last_week"].tolist() == [40, 12, 50, 10]
    assert frame["mean_4_weeks"].tolist() == [25, 6, 35, 5]


def test_benchmarks_use_only_days_before_the_origin():
    later = fr.score_rows(forecast_rows(with_later=True), ORIGIN, fr.actual_slots(raw_counts(), 30),
                          days_with_data(), horizon_days=7)
    row = later[later["day"] == d("2024-02-05")].iloc[0]
    assert row["lead"] == 7 and row["y"] == 1000
    assert row["last_week"] == 40 and row["mean_4_weeks"] == 25  # not Monday 29 January's 36
    week = fr.score_rows(forecast_rows(with_later=True), ORIGIN, fr.actual_slots(raw_counts(), 30),
                         days_with_data())
    assert d("2024-02-05") not in set(week["day"])  # beyond the week


def test_wape_bias_coverage_and_ratio_by_hand():
    entry = fr.with_ratio(fr.summarise(scored()))
    # chosen: |36-30| + |0-2| + |44-40| + |10-12| = 14 over 90 calls
    assert entry["wape"] == pytest.approx(14 / 90)
    assert entry["last_week"] == pytest.approx(22 / 90)  # 4 + 12 + 6 + 0
    assert entry["mean_4_weeks"] == pytest.approx(31 / 90)  # 11 + 6 + 9 + 5
    assert entry["bias"] == pytest.approx(-6 / 90)  # 84 forecast against 90
    assert entry["coverage"] == pytest.approx(3 / 4)  # 36 above [25, 35]; 0, 44 and 10 (a bound) inside
    assert entry["best_benchmark"] == "last_week" and entry["ratio"] == pytest.approx(14 / 22)
    assert entry["intervals"] == 4 and entry["calls"] == 90


def test_lead_groups_and_goals():
    frame = scored().assign(series="s", grain="30min", origin=str(ORIGIN))
    table = fr.lead_table(frame, ["series", "grain"]).set_index("leads")
    assert set(table.index) == {"week ahead", "first 2 days", "same day", "day ahead"}  # no days 3-7
    assert table.loc["same day", "wape"] == pytest.approx(8 / 36)
    assert table.loc["same day", "ratio"] == pytest.approx(8 / 16)  # last week: 4 + 12
    assert table.loc["day ahead", "wape"] == pytest.approx(6 / 54)
    assert table.loc["day ahead", "last_week"] == pytest.approx(6 / 54)
    assert table.loc["day ahead", "mean_4_weeks"] == pytest.approx(14 / 54)
    assert table.loc["day ahead", "ratio"] == pytest.approx(1.0)
    assert table.loc["day ahead", "coverage"] == 1.0
    goals = fr.goal_table(table.reset_index())
    ratio = goals[(goals["leads"] == "week ahead") & (goals["figure"].str.startswith("WAPE"))].iloc[0]
    assert ratio["value"] == pytest.approx(14 / 22) and ratio["met"]
    two_days = goals[goals["leads"] == "first 2 days"].iloc[0]
    assert two_days["value"] == pytest.approx(14 / 22) and two_days["met"]  # 0.64 <= 0.9
    cover = goals[goals["figure"].str.contains("coverage")].iloc[0]
    assert cover["value"] == 0.75 and cover["met"]
    worse = table.reset_index().assign(ratio=[1.2] * len(table), coverage=[0.9] * len(table))
    assert not fr.goal_table(worse)["met"].any()


def test_origins_need_ten_weeks_before_and_their_week_inside():
    weekdays = np.array([n for n in range(d("2024-01-01"), d("2024-03-29") + 1) if fr.weekday_of(n) < 5])
    mondays = [date(2024, 3, 11), date(2024, 3, 18), date(2024, 3, 25)]
    assert fr.origins_of(weekdays, {0, 1, 2, 3, 4}) == mondays
    # a series that records weekends too: the week from 25 March would run past the data
    assert fr.origins_of(weekdays, set(range(7))) == [date(2024, 3, 11), date(2024, 3, 18)]
    assert fr.origins_of(weekdays, {0, 1, 2, 3, 4}, count=2) == [date(2024, 3, 11), date(2024, 3, 25)]


def test_forecast_rows_keyed_by_local_day_and_minute():
    ts = pd.DatetimeIndex(["2024-01-29 09:00", "2024-01-29 09:30"]).tz_localize("America/New_York")
    rows = pd.DataFrame({"ts": ts, "yhat": [1.0, 2.0], "yhat_lower": [0.5, 1.0], "yhat_upper": [2.0, 3.0]})
    keyed = fr.forecast_slots(rows)
    assert keyed["day"].tolist() == [d("2024-01-29")] * 2 and keyed["minute"].tolist() == [540, 570]


def test_bank_calls_spread_inside_their_five_minutes_in_utc():
    raw = pd.DataFrame({"interval_start": pd.to_datetime(["2003-03-03 07:00", "2003-05-05 07:05"]),
                        "calls": [2, 1]})
    columns, notes = fr.bank_interactions(raw, "America/New_York")
    arrived = pd.to_datetime(columns["arrived_at"], unit="us", utc=True)
    # EST (UTC-5) in March: 07:01:15 and 07:03:45; EDT (UTC-4) in May: 07:07:30
    assert list(arrived) == [pd.Timestamp("2003-03-03 12:01:15", tz="UTC"),
                             pd.Timestamp("2003-03-03 12:03:45", tz="UTC"),
                             pd.Timestamp("2003-05-05 11:07:30", tz="UTC")]
    assert notes["calls"] == 3 and len(set(columns["interaction_id"])) == 3


def test_gp_calls_answered_at_from_the_ring_time():
    raw = pd.DataFrame({"t": pd.to_datetime(["2021-07-01 09:00:00", "2021-01-04 10:00:00"]),
                        "status": ["ANSWERED", "NO ANSWERED"], "duration": [100, 0],
                        "total_duration": [130, 20], "from": ["a", "b"], "to": ["Reception 1", "unnamed"]})
    columns, _ = fr.gp_interactions(raw, "Europe/Dublin")
    table = fr._arrow_table(columns, 2).to_pandas()
    # IST (UTC+1) in July: arrived 08:00:00 UTC, answered after 30 s of ringing, ended after 130 s
    assert table["arrived_at"].tolist() == [pd.Timestamp("2021-07-01 08:00:00", tz="UTC"),
                                            pd.Timestamp("2021-01-04 10:00:00", tz="UTC")]
    assert table["answered_at"].iloc[0] == pd.Timestamp("2021-07-01 08:00:30", tz="UTC")
    assert pd.isna(table["answered_at"].iloc[1]) and pd.isna(table["talk_seconds"].iloc[1])
    assert table["ended_at"].iloc[1] == pd.Timestamp("2021-01-04 10:00:20", tz="UTC")
    assert table["abandoned"].tolist() == [False, True] and table["talk_seconds"].iloc[0] == 100


def test_without_the_real_data_it_says_so_and_exits_0(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(fr, "REAL", tmp_path / "real_data")
    assert fr.main(["--origins", "1"]) == 0
    assert "not found" in capsys.readouterr().out
    assert not (tmp_path / "real_data").exists()
