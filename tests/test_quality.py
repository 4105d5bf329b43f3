"""The quality page's arithmetic by hand: control limits, runs, Laney's spread, movers, rolling days;
then the same figures through the store on a hand-built folder, and the planted dip of the demo."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pandas as pd
import pytest

from cxdash import quality
from cxdash.kpis import Filters, Period
from cxdash.settings import Settings
from cxdash.store import Store
from tests.builders import write_interactions, write_qa

PCT = quality.Scale(proportion=True, scale=100.0, low=0.0, high=100.0)


def units(n: list[int], value: list[float | None]) -> pd.DataFrame:
    return pd.DataFrame({"start": [date(2024, 3, 1) + timedelta(days=i) for i in range(len(n))],
                         "n": n, "value": [math.nan if v is None else v for v in value]})


# --- control limits ---------------------------------------------------------------------------------

def test_limits_are_three_standard_errors_of_each_days_ratings():
    # center 80%: one rating's sd is 100 * sqrt(0.8 * 0.2) = 40 points
    sd = quality.unit_sd(80.0, PCT)
    assert sd == pytest.approx(40.0)
    chart = quality.control_chart(units([100, 25, 400], [80.0, 90.0, 75.0]), 80.0, sd, PCT)
    # n = 100: standard error 4, limits 68-92; n = 25: 8, limits 56-104 cut to 100; n = 400: 2, 74-86
    assert chart["lcl"].tolist() == pytest.approx([68.0, 56.0, 74.0])
    assert chart["ucl"].tolist() == pytest.approx([92.0, 100.0, 86.0])
    assert chart["z"].tolist() == pytest.approx([0.0, 1.25, -2.5])
    assert chart["signal"].tolist() == ["", "", ""]


def test_a_day_beyond_its_limits_is_flagged_in_its_direction():
    chart = quality.control_chart(units([100, 100, 400], [66.0, 93.0, 73.0]), 80.0, 40.0, PCT)
    assert chart["signal"].tolist() == ["below limit", "above limit", "below limit"]
    assert chart["z"].tolist() == pytest.approx([-3.5, 3.25, -3.5])


def test_a_day_with_no_ratings_has_no_value_and_no_limits():
    chart = quality.control_chart(units([0, 100], [None, 80.0]), 80.0, 40.0, PCT)
    first = chart.iloc[0]
    assert math.isnan(first["lcl"]) and math.isnan(first["ucl"]) and math.isnan(first["z"])
    assert not first["judged"] and first["signal"] == ""


def test_a_day_with_one_rating_is_uncertain_not_an_alarm():
    # one bad rating against 80%: 0% is 2 standard errors (40 points) below; the limits span 0-100
    chart = quality.control_chart(units([1], [0.0]), 80.0, 40.0, PCT)
    day = chart.iloc[0]
    assert day["lcl"] == 0.0 and day["ucl"] == 100.0
    assert day["z"] == pytest.approx(-2.0)
    assert not day["judged"] and day["signal"] == ""


def test_days_need_five_expected_ratings_on_each_side_to_be_judged():
    # at 80%, n * 0.2 >= 5 needs 25 ratings; at 96%, 5 / 0.04 = 125
    assert quality.min_ratings(80.0, PCT) == 25
    assert quality.min_ratings(96.0, PCT) == 125
    chart = quality.control_chart(units([24, 25], [40.0, 40.0]), 80.0, 40.0, PCT)
    assert chart["judged"].tolist() == [False, True]
    assert chart["signal"].tolist() == ["", "below limit"]  # 40 < 80 - 3 * 8 = 56


def test_eight_judged_days_below_the_center_are_a_sustained_shift():
    # seven below, then one uncertain day (skipped, not breaking the run), then the eighth below
    n = [100] * 7 + [3] + [100]
    values = [78.0] * 7 + [10.0] + [78.0]
    chart = quality.control_chart(units(n, values), 80.0, 40.0, PCT)
    assert chart["signal"].tolist() == ["run below"] * 7 + [""] + ["run below"]


def test_seven_days_below_the_center_are_not_yet_a_shift():
    chart = quality.control_chart(units([100] * 8, [78.0] * 7 + [82.0]), 80.0, 40.0, PCT)
    assert set(chart["signal"]) == {""}


def test_a_day_beyond_the_limits_inside_a_run_keeps_its_stronger_signal():
    values = [78.0] * 3 + [60.0] + [78.0] * 4
    chart = quality.control_chart(units([100] * 8, values), 80.0, 40.0, PCT)
    assert chart["signal"].tolist() == ["run below"] * 3 + ["below limit"] + ["run below"] * 4


def test_laney_spread_is_the_mean_moving_range_of_z_over_d2():
    # standard error 4 at n = 100: values 80, 88, 80, 88 are z = 0, 2, 0, 2; moving ranges 2, 2, 2
    spread = quality.laney_spread(pd.Series([80.0, 88, 80, 88]), pd.Series([100] * 4), 80.0, 40.0)
    assert spread == pytest.approx(2 / 1.128)
    # less spread than sampling noise never narrows the limits
    calm = quality.laney_spread(pd.Series([80.0, 82, 80, 82]), pd.Series([100] * 4), 80.0, 40.0)
    assert calm == 1.0
    assert quality.laney_spread(pd.Series([80.0, 90]), pd.Series([100, 100]), 80.0, 40.0) == 1.0


def test_laney_spread_widens_the_limits():
    chart = quality.control_chart(units([100], [70.0]), 80.0, 40.0, PCT, spread=2.0)
    assert chart["lcl"].iloc[0] == pytest.approx(56.0)  # 80 - 3 * 4 * 2
    assert chart["signal"].iloc[0] == ""


def test_wilson_interval_of_one_good_rating():
    low, high = quality.wilson(pd.Series([1, 0]), pd.Series([1, 0]))
    # Wilson at 95% for 1 of 1: 1 / (1 + z^2) with z = 1.95996
    assert low.iloc[0] == pytest.approx(1 / (1 + 1.959964**2), abs=1e-6)
    assert high.iloc[0] == pytest.approx(1.0)
    assert math.isnan(low.iloc[1]) and math.isnan(high.iloc[1])


def test_mean_method_uses_the_spread_of_the_scores():
    scale = quality.Scale(proportion=False, scale=1.0, low=1.0, high=5.0)
    # scores 3 and 5 in equal numbers: mean 4, variance 1, so one rating's sd is 1
    assert quality.unit_sd(4.0, scale, score_variance=1.0) == 1.0
    chart = quality.control_chart(units([100], [3.6]), 4.0, 1.0, scale)
    assert chart["lcl"].iloc[0] == pytest.approx(3.7) and chart["signal"].iloc[0] == "below limit"


# --- movers --------------------------------------------------------------------------------------------

def segments(rows: dict[str, tuple[int, int]]) -> pd.DataFrame:
    """segment -> (ratings, good ratings), as the rollup's measures (top-2-box)."""
    return pd.DataFrame([{"segment": name, "csat_rated": n, "csat_good": good, "csat_bad": n - good,
                          "csat_score_sum": 0} for name, (n, good) in rows.items()])


def test_movers_split_the_change_into_rate_and_mix_effects_by_hand():
    # baseline: A 72 of 80 good (90%), B 16 of 20 (80%): 88%. Now: A 40 of 50 (80%), B 40 of 50: 80%
    table = quality.movers(segments({"A": (50, 40), "B": (50, 40)}),
                           segments({"A": (80, 72), "B": (20, 16)}), Settings())
    a, b = table.set_index("segment").loc["A"], table.set_index("segment").loc["B"]
    # A: share 0.5 x change -10 = -5; mix (0.5 - 0.8) x (90 - 88) = -0.6
    assert a["rate_effect"] == pytest.approx(-5.0) and a["mix_effect"] == pytest.approx(-0.6)
    # B: share 0.5 x change 0 = 0; mix (0.5 - 0.2) x (80 - 88) = -2.4
    assert b["rate_effect"] == pytest.approx(0.0) and b["mix_effect"] == pytest.approx(-2.4)
    assert (table["rate_effect"].sum() + table["mix_effect"].sum()) == pytest.approx(80 - 88)
    assert table["segment"].tolist() == ["A", "B"] and table["rank"].tolist() == [1, 2]
    assert a["share_pct"] == pytest.approx(50.0) and a["baseline_csat"] == pytest.approx(90.0)


def test_a_segment_new_since_the_baseline_is_measured_against_the_whole_baseline():
    table = quality.movers(segments({"A": (10, 9), "C": (10, 5)}), segments({"A": (10, 9)}),
                           Settings()).set_index("segment")
    # C: no baseline ratings, so 90% stands in: share 0.5 x (50 - 90) = -20; no mix effect
    assert table.loc["C", "rate_effect"] == pytest.approx(-20.0)
    assert table.loc["C", "mix_effect"] == pytest.approx(0.0)
    assert math.isnan(table.loc["C", "baseline_csat"])
    assert table["rate_effect"].sum() + table["mix_effect"].sum() == pytest.approx(70 - 90)


def test_a_segment_without_ratings_now_moves_nothing_but_its_mix():
    table = quality.movers(segments({"A": (10, 8), "B": (0, 0)}),
                           segments({"A": (10, 9), "B": (10, 5)}), Settings()).set_index("segment")
    # baseline 14/20 = 70%; B: no ratings now, rate effect 0; mix (0 - 0.5) x (50 - 70) = +10
    assert table.loc["B", "rate_effect"] == 0.0
    assert table.loc["B", "mix_effect"] == pytest.approx(10.0)
    assert table.loc["A", "rate_effect"] == pytest.approx(-10.0)  # 1.0 x (80 - 90)
    assert table["rate_effect"].sum() + table["mix_effect"].sum() == pytest.approx(80 - 70)


def test_a_rise_ranks_the_segments_that_rose_most_first():
    table = quality.movers(segments({"A": (10, 10), "B": (10, 6)}),
                           segments({"A": (10, 8), "B": (10, 7)}), Settings())
    assert table["segment"].tolist() == ["A", "B"]  # total rose 75% -> 80%; A +10, B -5


def test_movers_follow_the_good_bad_method():
    settings = Settings(csat_method="good_bad")
    now = pd.DataFrame([{"segment": "A", "csat_rated": 10, "csat_good": 6, "csat_bad": 2}])
    then = pd.DataFrame([{"segment": "A", "csat_rated": 10, "csat_good": 8, "csat_bad": 0}])
    row = quality.movers(now, then, settings).iloc[0]
    # good / (good + bad): 6 / 8 = 75% against 100%, on 8 ratings that count
    assert row["csat"] == pytest.approx(75.0) and row["ratings"] == 8
    assert row["rate_effect"] == pytest.approx(-25.0)


# --- calendar days and units -------------------------------------------------------------------------

def test_rolling_seven_days_counts_calendar_days_not_rows():
    # ratings on 1, 2 and 9 March only; the 9th's window is 3-9 March: only the 9th itself counts
    daily = pd.DataFrame({"day": [date(2024, 3, 1), date(2024, 3, 2), date(2024, 3, 9)],
                          "csat_rated": [10, 10, 4], "csat_good": [10, 10, 1]})
    window = quality.rolling(daily, date(2024, 3, 7), date(2024, 3, 9)).set_index("day")
    assert window.loc[date(2024, 3, 7), "csat_rated"] == 20  # 1-7 March
    assert window.loc[date(2024, 3, 8), "csat_rated"] == 10  # 2-8 March
    assert window.loc[date(2024, 3, 9), "csat_rated"] == 4
    assert window.loc[date(2024, 3, 9), "csat_good"] == 1


def test_weeks_start_on_monday_and_are_cut_to_the_period():
    daily = pd.DataFrame({"day": [date(2024, 3, 1), date(2024, 3, 4), date(2024, 3, 10)],
                          "csat_rated": [1, 2, 4]})
    weeks = quality.by_unit(daily, Period(date(2024, 3, 1), date(2024, 3, 12)), "week")
    assert weeks["start"].tolist() == [date(2024, 3, 1), date(2024, 3, 4), date(2024, 3, 11)]
    assert weeks["end"].tolist() == [date(2024, 3, 3), date(2024, 3, 10), date(2024, 3, 12)]
    assert weeks["csat_rated"].tolist() == [1, 6, 0]


# --- through the store, on a hand-built folder -----------------------------------------------------------

def rated(interaction_id: str, local: str, team: str, agent: str, score: int | None, **values) -> dict:
    """An answered chat at a Los Angeles local time ('YYYY-MM-DD HH:MM', PST: UTC-8)."""
    arrived = pd.Timestamp(local, tz="America/Los_Angeles").tz_convert("UTC").to_pydatetime()
    return {"interaction_id": interaction_id, "channel": "chat", "arrived_at": arrived,
            "answered_at": arrived + timedelta(seconds=10), "abandoned": False, "queue": "orders",
            "team": team, "agent_id": agent, "tier": 1, "talk_seconds": 100.0, "wrap_seconds": 20.0,
            "csat_score": score, "customer_id": f"cust-{interaction_id}", **values}


# Baseline (8 weeks before 4-10 March 2024): north 3 of 4 good, south 4 of 4: 87.5%.
# Tuesday 5 March: north 1 of 2 (50%), south 2 of 2: 75%; plus an unrated north chat at 23:30
# local (07:30 UTC on the 6th) and a rated one just after midnight on the 6th.
BASELINE_ROWS = [
    *[rated(f"b{i}", f"2024-02-01 10:0{i}", "north", "a1", score) for i, score in enumerate([5, 5, 4, 2])],
    *[rated(f"b{i + 4}", f"2024-02-01 11:0{i}", "south", "a2", score)
      for i, score in enumerate([5, 4, 4, 4])],
]
WEEK_ROWS = [
    rated("w1", "2024-03-05 09:00", "north", "a1", 1), rated("w2", "2024-03-05 09:30", "north", "a1", 5),
    rated("w3", "2024-03-05 10:00", "south", "a2", 5), rated("w4", "2024-03-05 10:30", "south", "a2", 5),
    rated("w5", "2024-03-05 23:30", "north", "a1", None),
    rated("w6", "2024-03-06 00:10", "north", "a1", 3),
]
WEEK = Period(date(2024, 3, 4), date(2024, 3, 10))
TUESDAY = Period(date(2024, 3, 5), date(2024, 3, 5))


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    folder = tmp_path_factory.mktemp("quality")
    write_interactions(folder, BASELINE_ROWS + WEEK_ROWS)
    write_qa(folder, [
        # a1: two evaluations in the week (3+4 of 5+5, and 2 of 2); one long before it
        {"evaluation_id": "e1", "interaction_id": "w1", "agent_id": "a1", "evaluated_at": "2024-03-06 18:00",
         "item": "empathy", "score": 3, "max_score": 5},
        {"evaluation_id": "e1", "interaction_id": "w1", "agent_id": "a1", "evaluated_at": "2024-03-06 18:00",
         "item": "accuracy", "score": 4, "max_score": 5},
        {"evaluation_id": "e2", "interaction_id": "w2", "agent_id": "a1", "evaluated_at": "2024-03-07 18:00",
         "item": "empathy", "score": 2, "max_score": 2},
        {"evaluation_id": "e0", "interaction_id": "b0", "agent_id": "a1", "evaluated_at": "2024-02-02 18:00",
         "item": "empathy", "score": 0, "max_score": 5},
    ])
    store = Store.open(folder)
    yield store
    store.close()


def test_chart_center_comes_from_the_eight_weeks_before(small):
    chart = quality.csat_chart(small, WEEK, Filters(), "day")
    assert chart.baseline == Period(date(2024, 1, 8), date(2024, 3, 3))
    assert chart.center == pytest.approx(87.5)
    tuesday = chart.units.set_index("start").loc[date(2024, 3, 5)]
    assert tuesday["n"] == 4 and tuesday["value"] == pytest.approx(75.0)
    # 4 ratings are far below the 40 that 87.5% needs (5 / 0.125): uncertain, not an alarm
    assert chart.min_ratings == 40 and not tuesday["judged"] and tuesday["signal"] == ""
    se = 100 * math.sqrt(0.875 * 0.125 / 4)
    assert tuesday["lcl"] == pytest.approx(87.5 - 3 * se)
    wednesday = chart.units.set_index("start").loc[date(2024, 3, 6)]
    assert wednesday["n"] == 1 and wednesday["value"] == pytest.approx(0.0)  # the 3 after midnight
    monday = chart.units.set_index("start").loc[date(2024, 3, 4)]
    assert monday["n"] == 0 and math.isnan(monday["value"])
    assert chart.ratings == 5


def test_week_view_sums_the_days(small):
    chart = quality.csat_chart(small, WEEK, Filters(), "week")
    assert len(chart.units) == 1
    assert chart.units["n"].iloc[0] == 5 and chart.units["value"].iloc[0] == pytest.approx(60.0)


def test_movers_through_the_store_rank_the_team_that_fell(small):
    chart = quality.csat_chart(small, WEEK, Filters(), "day")
    table = quality.segment_movers(small, TUESDAY, chart.baseline, Filters(), "team").set_index("segment")
    assert list(table.index) == ["north", "south"]
    # north: share 0.5 x (50 - 75) = -12.5; south unchanged at 100%; total 75 - 87.5
    assert table.loc["north", "rate_effect"] == pytest.approx(-12.5)
    assert table.loc["south", "rate_effect"] == pytest.approx(0.0)
    assert table[["rate_effect", "mix_effect"]].to_numpy().sum() == pytest.approx(-12.5)
    by_agent = quality.segment_movers(small, TUESDAY, chart.baseline, Filters(), "agent")
    assert by_agent["segment"].iloc[0] == "a1"


def test_interactions_behind_a_row_are_that_local_day_without_customer_ids(small):
    rows = quality.interactions_behind(small, TUESDAY, Filters(), "team", "north")
    assert rows["interaction_id"].tolist() == ["w1", "w2"]
    every = quality.interactions_behind(small, TUESDAY, Filters(), "team", "north", rated_only=False)
    assert every["interaction_id"].tolist() == ["w1", "w2", "w5"]  # 23:30 local is still Tuesday
    assert "customer_id" not in every.columns
    assert not any("cust-" in str(value) for value in every.to_numpy().ravel())
    assert every["handle_seconds"].tolist() == [120.0, 120.0, 120.0]
    assert quality.interactions_behind(small, TUESDAY, Filters(teams=("south",)), "team", "north").empty


def test_unknown_dimension_is_refused_before_any_sql(small):
    with pytest.raises(ValueError):
        quality.segment_movers(small, TUESDAY, TUESDAY, Filters(), "customer_id")
    with pytest.raises(ValueError):
        quality.interactions_behind(small, TUESDAY, Filters(), "customer_id", "x")


def test_qa_scores_and_coverage_by_hand(small):
    items = quality.qa_items(small, WEEK).set_index("item")
    assert items.loc["empathy", "qa_score_pct"] == pytest.approx(100 * 5 / 7)  # (3 + 2) / (5 + 2)
    assert items.loc["accuracy", "qa_score_pct"] == pytest.approx(80.0)
    assert items.loc["empathy", "evaluations"] == 2
    agents = quality.qa_agents(small, WEEK).set_index("agent")
    assert agents.loc["a1", "evaluations"] == 2
    assert agents.loc["a1", "qa_score_pct"] == pytest.approx(100 * 9 / 12)
    assert agents.loc["a1", "evaluations_per_week"] == pytest.approx(2.0)  # a 7-day period
    # a2 handled contacts and nobody evaluated them: shown, with zero
    assert agents.loc["a2", "evaluations"] == 0 and agents.loc["a2", "evaluations_per_week"] == 0
    teams = quality.qa_teams(agents.reset_index(), WEEK, small.settings).set_index("team")
    assert teams.loc["north", "evaluations_per_agent_week"] == pytest.approx(2.0)
    assert teams.loc["south", "evaluations_per_agent_week"] == 0.0


def test_escalation_shares_and_score_distribution(small):
    chart = quality.csat_chart(small, WEEK, Filters(), "week")
    summary, _ = quality.escalations(chart, small.settings)
    assert summary["share_pct"].tolist() == pytest.approx([100.0, 0.0, 0.0])
    assert summary["status"].tolist() == ["green", "red", "red"]
    shares = quality.score_distribution(chart).set_index(["series", "score"])["ratings"]
    assert [shares[("This period", k)] for k in range(1, 6)] == [1, 0, 1, 0, 3]
    assert [shares[("Baseline", k)] for k in range(1, 6)] == [0, 1, 0, 4, 3]


def test_compare_lines_up_the_previous_period_and_last_year(small):
    frame = quality.compare(small, WEEK, Filters(), "week")
    assert set(frame["series"]) == {"This period", "Previous period", "Last year"}
    this = frame[frame["series"] == "This period"].iloc[0]
    assert this["value"] == pytest.approx(60.0) and this["x"] == date(2024, 3, 4)


# --- the page's view (cxdash.views.quality), on the same folder -------------------------------------------

def test_the_page_view_of_the_week_by_hand(small):
    from cxdash.views.quality import quality_page

    shown = quality_page(small, WEEK, Filters(), "week")
    assert shown.caption == ("**04 Mar 2024 – 10 Mar 2024** (all contacts) · center line and limits from the "
                             "8 weeks before the period (08 Jan 2024 – 03 Mar 2024) · times in "
                             "America/Los_Angeles")
    # 3 good of 5 ratings (w2, w3, w4 of w1-w4 and w6) against the baseline's 7 of 8 (87.5%); five
    # ratings are too few to judge (40 needed), so nothing is outside the limits
    assert {tile.label: tile.value for tile in shown.tiles} == {
        "CSAT": "60.0%", "Ratings": "5", "Weeks outside the limits": "0", "In a sustained shift": "0"}
    assert shown.tiles[0].delta == "-27.5 vs baseline"
    assert shown.tiles[1].help == "Response rate 83.3%."  # 5 rated of 6 answered
    assert shown.unit_labels == {"2024-03-04": "week of 04 Mar 2024 · 60.0 from 5 ratings"}
    assert shown.table_label == "0 flagged weeks, and every week's figures"
    assert shown.compare_caption.startswith("CSAT by week, aligned from the start of each period: ")
    assert "widened" not in shown.limits_caption and "Fewer than 40 ratings" in shown.limits_caption
    assert shown.qa.teams.set_index("team").loc["north", "evaluations_per_agent_week"] == pytest.approx(2.0)
    assert shown.qa.note is None
    assert shown.escalations["share_pct"].tolist() == pytest.approx([100.0, 0.0, 0.0])
    # QA follows the team filter only, and says so when a channel is chosen
    assert quality_page(small, WEEK, Filters(channels=("chat",)), "week").qa.note.startswith(
        "QA follows the Team filter only")


def test_the_page_view_drills_from_a_day_to_its_interactions(small):
    from cxdash.views.quality import quality_page, segment_drill, unit_drill

    shown = quality_page(small, WEEK, Filters(), "day")
    assert list(shown.unit_labels) == ["2024-03-05", "2024-03-06"]  # the days with ratings
    drill = unit_drill(small, shown.chart, Filters(), "2024-03-05", "team")
    assert drill.unit == TUESDAY and drill.segments == ["north", "south"]
    assert drill.caption.startswith("**Tue 05 Mar 2024** against the baseline, 08 Jan 2024 – 03 Mar 2024. "
                                    "Rate effect = share of the day's ratings")
    assert drill.table["rate effect"].tolist() == [-12.5, 0.0]  # north: 0.5 x (50 - 75)
    behind = segment_drill(small, drill.unit, Filters(), "team", "north")
    assert behind.rows["interaction_id"].tolist() == ["w1", "w2"]
    assert behind.heading == "**2 interactions** · Team: north · Tue 05 Mar 2024"
    every = segment_drill(small, drill.unit, Filters(), "team", "north", rated_only=False)
    assert every.heading.startswith("**3 interactions**")  # w5 at 23:30 local is still Tuesday


def test_the_page_view_of_a_period_without_ratings_stops_after_its_caption(small):
    from cxdash.views.quality import quality_page

    shown = quality_page(small, Period(date(2024, 6, 3), date(2024, 6, 9)), Filters(), "day")
    assert "the period itself (no ratings before it)" in shown.caption
    assert shown.tiles is None and shown.control_chart is None and shown.qa is None


# --- the demo's planted dip ----------------------------------------------------------------------------

APRIL = Period(date(2026, 4, 1), date(2026, 4, 30))


def test_the_demo_dip_is_flagged_and_its_team_moves_most(full_demo):
    from cxdash.demo import demo_events

    dip = demo_events(date(2026, 10, 31))[0]
    assert (dip["start"], dip["end"]) == (date(2026, 3, 30), date(2026, 4, 16))
    with Store.open(full_demo) as store:
        chart = quality.csat_chart(store, APRIL, Filters(), "day")
        days = chart.units.set_index("start")
        in_dip = days.loc[date(2026, 4, 1):date(2026, 4, 16)]
        after = days.loc[date(2026, 4, 20):]
        # half or more of the dip's days are beyond the lower limit, the rest in a run below the
        # center line; none after it is beyond a limit
        assert (in_dip["signal"] == "below limit").sum() >= 8
        assert (in_dip["signal"].isin(["below limit", "run below"])).all()
        assert not after["signal"].str.startswith("below").any()
        flagged = [day for day, row in in_dip.iterrows() if row["signal"] == "below limit"]
        first = [quality.segment_movers(store, Period(day, day), chart.baseline, Filters(), "team")
                 ["segment"].iloc[0] for day in flagged]
        assert first == ["Team Evening"] * len(flagged)
        weeks = quality.csat_chart(store, APRIL, Filters(), "week")
        week = quality.unit_of(weeks, date(2026, 4, 13))
        assert weeks.units.set_index("start").loc[date(2026, 4, 13), "signal"] == "below limit"
        table = quality.segment_movers(store, week, weeks.baseline, Filters(), "team")
        assert table["segment"].iloc[0] == "Team Evening"
        assert table["rate_effect"].iloc[0] < 2 * table["rate_effect"].iloc[1]  # clearly first


def test_mean_method_chart_through_the_store(tmp_path):
    from tests.builders import write_settings

    folder = tmp_path / "mean"
    write_interactions(folder, BASELINE_ROWS + WEEK_ROWS)
    write_settings(folder, '[metrics]\ncsat_method = "mean"\n')
    with Store.open(folder) as store:
        chart = quality.csat_chart(store, WEEK, Filters(), "day")
    # baseline scores 5 5 4 2 5 4 4 4: mean 33/8, variance 143/8 - (33/8)^2 = 0.859375
    assert chart.center == pytest.approx(4.125)
    tuesday = chart.units.set_index("start").loc[date(2024, 3, 5)]
    assert tuesday["value"] == pytest.approx(4.0)  # 1, 5, 5, 5
    assert tuesday["lcl"] == pytest.approx(4.125 - 3 * math.sqrt(0.859375) / 2)
    assert not tuesday["judged"]  # 4 ratings; a mean is judged from 10
    assert chart.min_ratings == 10 and math.isnan(tuesday["wilson_low"])
