"""The forecast's combination, its guard, its interval from its own backtest errors, coverage and the
daily regression's calendar terms: all by hand."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from cxdash import accuracy
from cxdash.forecast import Request, build_grid, combine, models
from cxdash.settings import Settings


def test_the_combination_is_the_mean_of_the_members_that_have_a_value():
    both = combine.Combination(tuple(combine.Group(name, first, last, ("mean_4_weeks", "regression_ar"))
                                     for name, first, last in combine.LEAD_GROUPS))
    predictions = {"mean_4_weeks": np.array([10.0, 20.0, 30.0, np.nan]),
                   "regression_ar": np.array([14.0, 20.0, np.nan, np.nan]),
                   "holt_winters": np.array([99.0, 99.0, 99.0, 99.0])}  # not a member: never used
    combined = both.apply(predictions, np.array([0, 1, 5, 9]))
    assert combined[:3] == pytest.approx([12.0, 20.0, 30.0])
    assert np.isnan(combined[3])
    assert both.models == ("mean_4_weeks", "regression_ar")


def _rows(days: int, anchor_miss: float, model_miss: dict[int, float]) -> pd.DataFrame:
    """Backtest rows: actual 100 at leads 0..2 from `days` origins; the average misses by anchor_miss,
    the regression by model_miss[lead]."""
    out = []
    for origin in range(days):
        as_of = date(2026, 1, 1) + timedelta(days=origin)
        for lead in range(3):
            ts = pd.Timestamp(as_of + timedelta(days=lead), tz="UTC")
            out.append({"ts": ts, "model": "mean_4_weeks", "as_of": as_of, "lead": lead,
                        "yhat": 100 + anchor_miss, "actual": 100.0})
            out.append({"ts": ts, "model": "regression_ar", "as_of": as_of, "lead": lead,
                        "yhat": 100 + model_miss[lead], "actual": 100.0})
    return pd.DataFrame(out)


def test_a_lead_group_whose_mean_ran_well_behind_the_average_falls_back_to_it():
    # the average misses by 10 everywhere. The regression misses by -10 on the same day (the mean is
    # exact), by 60 the day ahead (mean misses 35 > 1.2 x 10: guarded), and by 20 later (the mean
    # misses 15 > 12: guarded too)
    rows = _rows(5, 10.0, {0: -10.0, 1: 60.0, 2: 20.0})
    fitted = combine.fit(rows, ("mean_4_weeks", "regression_ar"))
    assert [g.models for g in fitted.groups] == [("mean_4_weeks", "regression_ar"), ("mean_4_weeks",),
                                                 ("mean_4_weeks",)]
    # with the regression missing by 13 later, the mean misses 11.5 <= 12: both stay
    fitted = combine.fit(_rows(5, 10.0, {0: -10.0, 1: 60.0, 2: 13.0}), ("regression_ar",))
    assert fitted.groups[2].models == ("mean_4_weeks", "regression_ar")
    own = combine.backtest_rows(fitted, _rows(5, 10.0, {0: -10.0, 1: 60.0, 2: 13.0}))
    assert set(own["model"]) == {"combined"} and len(own) == 15
    assert own.groupby("lead")["yhat"].first().tolist() == pytest.approx([100.0, 110.0, 111.5])


def test_a_member_not_backtested_is_left_out_and_without_the_average_nothing_is_guarded():
    rows = _rows(3, 10.0, {0: 0.0, 1: 0.0, 2: 0.0})
    fitted = combine.fit(rows, ("regression_ar", "regression_ar_x_profile"))
    assert fitted.groups[0].models == ("mean_4_weeks", "regression_ar")
    alone = combine.fit(rows[rows["model"] == "regression_ar"], ("regression_ar",))
    assert alone.groups[0].models == ("regression_ar",)


def test_the_interval_comes_from_one_quantile_of_the_backtests_absolute_log_errors():
    # |log((a + 1) / (f + 1))|: 0 (exact), 0 (exact), log 2 (actual 19 against 9), log 2 (3 against 7)
    rows = pd.DataFrame({"yhat": [0.0, 9.0, 9.0, 7.0], "actual": [0.0, 9.0, 19.0, 3.0]})
    lower, upper = accuracy.backtest_interval(np.array([9.0, 0.0]), rows, 0.5)  # median: (0 + log2)/2
    half = np.exp(np.log(2) / 2)
    assert upper == pytest.approx([10 * half - 1, half - 1])
    assert lower == pytest.approx([10 / half - 1, 0.0])  # never below zero
    lower, upper = accuracy.backtest_interval(np.array([9.0]), rows, 1.0)
    assert (lower[0], upper[0]) == pytest.approx((4.0, 19.0))


def test_coverage_is_the_share_of_actuals_inside_the_interval():
    assert accuracy.coverage([5, 10, 20, np.nan], [4, 11, 10, 0], [6, 12, 20, 9]) == pytest.approx(2 / 3)
    assert np.isnan(accuracy.coverage([1.0], [np.nan], [2.0]))
    result = pd.DataFrame({"actual": [5.0, 10.0], "yhat": [5.0, 10.0], "yhat_lower": [4.0, 11.0],
                           "yhat_upper": [6.0, 12.0], "lead": [0, 0]})
    assert accuracy.summary(result)["coverage"] == pytest.approx(0.5)
    assert np.isnan(accuracy.summary(result.drop(columns=["yhat_lower", "yhat_upper"]))["coverage"])


def _daily_grid(days: int) -> object:
    first = date(2024, 1, 1)
    slots = pd.date_range("2024-01-01", periods=days, freq="D", tz="UTC")
    frame = pd.DataFrame({"slot": slots, "channel": "phone", "contacts": 100.0, "handled": 0.0,
                          "handle_seconds": 0.0})
    request = Request("day", first + timedelta(days=days), 6)
    return build_grid(frame, request, Settings(timezone="UTC", holiday_country="US",
                                               holiday_subdivision=None), minutes=1440)


@pytest.mark.parametrize(("span", "yearly", "trend"), [(120, False, False), (400, False, True),
                                                       (730, True, True)])
def test_the_daily_regression_takes_a_season_and_a_trend_only_from_enough_history(span, yearly, trend):
    grid = _daily_grid(span)
    design = models._features(grid, np.arange(span), [], span)
    # intercept and six weekdays; eight yearly Fourier terms from two years; a trend from one
    assert design.shape[1] == 7 + (8 if yearly else 0) + (1 if trend else 0)


def test_the_grains_combine_the_average_and_the_regressions_only():
    for grain, expected in (("day", {"mean_4_weeks", "regression_ar"}),
                            ("30min", {"mean_4_weeks", "regression_ar", "regression_ar_x_profile"})):
        assert {c.name for c in models.candidates(grain) if c.combined} == expected
