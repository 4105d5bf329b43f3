"""Schedules: tiny weeks solved by hand, every hard rule checked on a produced roster, rules that
cannot be met named, the roster file read row by row, the figures and the risk, and the record."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from cxdash import staffing
from cxdash.schedule import Plan, keep, make_schedule, risk_curve
from cxdash.schedule.demand import Targets, chance_of_target, planning_contacts, service, week_demand
from cxdash.schedule.evaluate import evaluate
from cxdash.schedule.model import Problem, coverage, solve, week_patterns, weeks_of
from cxdash.schedule.roster import read_roster
from cxdash.schedule.rules import Agent, Rules, RulesError, rules_from, shift_options
from cxdash.settings import BreakRule, ScheduleDefaults, Settings

MONDAY = date(2026, 10, 26)
TIMEZONE = "America/Los_Angeles"
CLOSED = {day: () for day in ("tue", "wed", "thu", "fri", "sat", "sun")}


def forecast_rows(contacts: dict[tuple[int, int], float], aht: float = 60.0, upper: float | None = None,
                  ) -> pd.DataFrame:
    """Forecast rows of 30-minute intervals: (day from MONDAY, minute of the day) -> contacts."""
    rows = []
    for (day, minute), count in sorted(contacts.items()):
        ts = pd.Timestamp(MONDAY + timedelta(days=day)).tz_localize(TIMEZONE) + pd.Timedelta(minutes=minute)
        rows.append({"ts": ts, "yhat": count, "yhat_lower": count * 0.8,
                     "yhat_upper": count if upper is None else count * upper, "aht_seconds": aht})
    return pd.DataFrame(rows)


def tiny_rules() -> Rules:
    """Monday 08:00-12:00 only; 2-hour shifts on the hour (08-10, 09-11, 10-12); no breaks or shrinkage."""
    return Rules(shift_minutes=(120,), start_grid=60, breaks=(), max_days=5, days_off=0, min_rest=0,
                 opening={"mon": ((480, 720),), **CLOSED}, shrinkage=0.0, full_time=(120, 120),
                 part_time=(120, 120))


def tiny_problem(contacts: dict, agents: int, optional: bool = False) -> Problem:
    demand = week_demand(forecast_rows(contacts), MONDAY, 30, Targets())
    team = tuple(Agent(f"A{n}", 120, 120) for n in range(agents))
    return Problem(demand, 30, tiny_rules(), team, Targets(), optional_agents=optional)


def worked(solution) -> list[tuple[int, int]]:
    return sorted(zip(solution.shifts["start"], solution.shifts["end"], strict=True))


# --- tiny weeks solved by hand -----------------------------------------------------------------------

def test_the_tiny_day_has_the_three_shift_options_and_each_interval_needs_one_agent():
    assert [(s.start, s.end) for s in shift_options(tiny_rules(), 0)] == [(480, 600), (540, 660), (600, 720)]
    assert shift_options(tiny_rules(), 1) == []
    # 2 contacts in 30 minutes at 60 s: 0.067 Erlangs; one agent answers 95% within 20 s
    demand = tiny_problem({(0, m): 2.0 for m in range(480, 720, 30)}, 2).demand
    assert list(demand["required"]) == [1] * 8
    one = staffing.erlang_c_service(2.0, 1800, 60, 1)
    assert one.service_level == pytest.approx(1 - (1 / 15) * math.exp(-(1 - 1 / 15) * 20 / 60))


def test_two_agents_cover_the_morning_with_the_first_and_last_shift():
    # by hand: 08-10 and 10-12 cover all eight intervals; any pair with 09-11 leaves one hour bare
    solution = solve(tiny_problem({(0, m): 2.0 for m in range(480, 720, 30)}, 2), time_limit=10)
    assert solution.status == "optimal"
    assert worked(solution) == [(480, 600), (600, 720)]
    assert solution.shortfall == 0 and solution.paid_hours == 4 and solution.gap == 0


def test_one_agent_goes_where_a_missing_agent_costs_the_service_level_most():
    # 2 contacts an interval before 10:00, 1 after; each uncovered interval loses contacts x SL(1):
    # 08-10 leaves 4 intervals of 1 bare (cost 4 SL), 09-11 leaves 2 of 2 and 2 of 1 (6 SL), 10-12 leaves
    # 4 of 2 (8 SL)
    contacts = {(0, m): 2.0 if m < 600 else 1.0 for m in range(480, 720, 30)}
    solution = solve(tiny_problem(contacts, 1), time_limit=10)
    assert solution.status == "optimal"
    assert worked(solution) == [(480, 600)]
    level = staffing.erlang_c_service(1.0, 1800, 60, 1).service_level
    assert solution.shortfall == pytest.approx(4 * level, abs=0.02)


def test_optional_agents_the_fewest_paid_hours_that_leave_no_shortfall():
    # only 08:00-10:00 has contacts: one agent of three, on 08-10, is enough
    contacts = {(0, m): 2.0 if m < 600 else 0.0 for m in range(480, 720, 30)}
    solution = solve(tiny_problem(contacts, 3, optional=True), time_limit=10)
    assert solution.status == "optimal"
    assert worked(solution) == [(480, 600)]
    assert solution.shortfall == 0 and solution.paid_hours == 2 and solution.paid_hours_bound == 2


def test_the_weeks_an_agent_can_follow_keep_the_days_off_and_the_contract():
    every_day = set(range(7))
    # five 8-hour days of 40 hours, two consecutive days off: the days off are one of 7 pairs
    full = week_patterns(every_day, 5, 2, [480], 2400, 2400)
    assert sorted(full) == sorted(127 & ~(1 << d | 1 << (d + 1) % 7) for d in range(7))
    # no days off asked: all seven days is a week too; at most 5 days leaves it out again
    assert 127 in week_patterns(every_day, 7, 0, [480], 480, 7 * 480)
    assert 127 not in week_patterns(every_day, 5, 0, [480], 480, 7 * 480)
    # 20-30 hours of 4- and 8-hour shifts: 3 to 5 days (3 x 8 = 24; 5 x 4 = 20; 2 x 8 = 16 is too few)
    part = week_patterns(every_day, 5, 2, [240, 480], 1200, 1800)
    assert {bin(m).count("1") for m in part} == {3, 4, 5}
    # only the days an agent is available
    assert all(m & 0b1100000 == 0 for m in week_patterns(set(range(5)), 5, 2, [480], 480, 2400))


def test_a_part_time_week_says_how_many_days_of_each_length_keep_the_contract():
    lengths = {d: {240, 480} for d in range(7)}
    weeks = weeks_of(lengths, 5, 2, 1200, 1800)
    three_days = {mix for mask, mix in weeks if bin(mask).count("1") == 3}
    # 3 days within 20-30 h: three 8s (24) or a 4 and two 8s (20); two 4s and an 8 make only 16
    assert three_days == {((480, 3),), ((240, 1), (480, 2))}
    five_days = {mix for mask, mix in weeks if bin(mask).count("1") == 5}
    # 5 days within 20-30 h: five 4s (20), four 4s and an 8 (24), three 4s and two 8s (28)
    assert five_days == {((240, 5),), ((240, 4), (480, 1)), ((240, 3), (480, 2))}
    # full time, 8-hour shifts only: the days alone settle the contract
    assert {mix for _, mix in weeks_of({d: {480} for d in range(7)}, 5, 2, 2400, 2400)} == {None}


def relaxation_shortfall(problem: Problem) -> float:
    """The shortfall the model without agents finds optimal (it bounds every schedule's)."""
    import time

    from cxdash.schedule import model

    built = model._Builder(problem, aggregate=True)
    now = time.monotonic()
    answer = model._two_solves(built, None, now + 5, now + 9, 1)
    assert answer.first == model.cp_model.OPTIMAL
    return answer.shortfall / model.PENALTY_SCALE


def open_days(days: tuple[int, ...], hours: tuple[int, int] = (480, 720)) -> dict:
    keys = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    return {key: ((hours,) if d in days else ()) for d, key in enumerate(keys)}


def test_two_consecutive_days_off_leave_one_of_four_alternate_days_bare_and_the_bound_knows_it():
    # contacts on Monday, Wednesday, Friday and Sunday; one agent, at most 5 days, 2 consecutive days off:
    # every pair of consecutive days (Sunday-Monday included) holds one of those days, so one of them stays
    # bare. Counting days alone (4 <= 5) would claim all four; the weeks of days the bound uses do not.
    rules = replace(tiny_rules(), days_off=2, opening=open_days((0, 2, 4, 6)), shift_minutes=(240,))
    contacts = {(day, m): 2.0 for day in (0, 2, 4, 6) for m in range(480, 720, 30)}
    demand = week_demand(forecast_rows(contacts), MONDAY, 30, Targets())
    problem = Problem(demand, 30, rules, (Agent("A", 0, 4 * 240),), Targets())
    solution = solve(problem, time_limit=10)
    assert solution.status == "optimal"
    assert len(solution.shifts) == 3
    one_day = solve(replace(problem, demand=demand[demand["day"] == 0].reset_index(drop=True)), 10)
    assert one_day.shortfall == 0
    bare_day = solve(replace(problem, agents=()), 10).shortfall / 4  # each day's shortfall, nobody on
    assert solution.shortfall == pytest.approx(bare_day, abs=0.01)
    assert solution.shortfall_bound == pytest.approx(solution.shortfall, abs=0.01)
    assert relaxation_shortfall(problem) == pytest.approx(solution.shortfall, abs=0.01)


def test_rest_between_a_late_close_and_an_early_open_holds_in_the_bound_too():
    # Monday 18:00-22:00 and Tuesday 07:00-11:00 need one agent each; one agent and 11 hours' rest: only
    # 9 hours separate them, so one of the two stays bare, and the bound says so (proven optimal)
    keys = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    opening = {key: () for key in keys} | {"mon": ((1080, 1320),), "tue": ((420, 660),)}
    rules = replace(tiny_rules(), shift_minutes=(240,), opening=opening, min_rest=660)
    contacts = {**{(0, m): 2.0 for m in range(1080, 1320, 30)}, **{(1, m): 2.0 for m in range(420, 660, 30)}}
    demand = week_demand(forecast_rows(contacts), MONDAY, 30, Targets())
    problem = Problem(demand, 30, rules, (Agent("A", 240, 480),), Targets())
    solution = solve(problem, time_limit=10)
    assert solution.status == "optimal" and len(solution.shifts) == 1
    assert solution.shortfall > 0 and solution.shortfall_bound == pytest.approx(solution.shortfall, abs=0.01)
    assert relaxation_shortfall(problem) == pytest.approx(solution.shortfall, abs=0.01)
    rested = solve(replace(problem, rules=replace(rules, min_rest=540)), 10)  # 9 hours are enough
    assert len(rested.shifts) == 2 and rested.shortfall == 0


def test_a_share_below_every_interval_leaves_the_costliest_short_each_with_an_agent():
    # 08:00-09:00 needs 2 agents (10 contacts), 09:00-12:00 one (2 contacts). Every interval planned:
    # two agents on 08-10 and one on 10-12, 6 paid hours. With 75% of the 8 intervals, two may be left
    # short: 08:00 and 08:30, each still with one agent: 08-10 and 10-12, 4 paid hours.
    contacts = {(0, m): 10.0 if m < 540 else 2.0 for m in range(480, 720, 30)}
    every = solve(tiny_problem(contacts, 3, optional=True), time_limit=10)
    assert every.status == "optimal" and every.paid_hours == 6 and every.shortfall == 0
    problem = tiny_problem(contacts, 3, optional=True)
    most = solve(replace(problem, targets=replace(problem.targets, share=0.75)), time_limit=10)
    assert most.status == "optimal" and most.paid_hours == 4 and most.shortfall == 0
    assert worked(most) == [(480, 600), (600, 720)]
    # 90% of 8 intervals leaves none short (0.8 of an interval rounds down)
    strict = solve(replace(problem, targets=replace(problem.targets, share=0.9)), time_limit=10)
    assert strict.paid_hours == 6


def test_an_optional_agent_with_no_open_shift_is_left_out_and_the_others_scheduled():
    contacts = {(0, m): 2.0 for m in range(480, 720, 30)}
    problem = tiny_problem(contacts, 2, optional=True)
    tuesdays = Agent("Tue", 0, 240, days=frozenset({1}))  # the tiny week opens on Mondays only
    solution = solve(replace(problem, agents=(*problem.agents, tuesdays)), time_limit=10)
    assert solution.status == "optimal" and solution.shortfall == 0
    assert worked(solution) == [(480, 600), (600, 720)] and "Tue" not in set(solution.shifts["agent"])


def test_a_break_inside_a_half_hour_takes_half_an_agent_off_the_phones():
    rules = replace(tiny_rules(), breaks=(BreakRule("break", 15, True, (0.5, 0.5)),))
    (shift, *_) = shift_options(rules, 0)
    assert (shift.breaks[0].first_slot, shift.breaks[0].last_slot) == (2, 2)  # 08:30 exactly
    demand = tiny_problem({(0, m): 2.0 for m in range(480, 600, 30)}, 1).demand
    shifts = pd.DataFrame([{"agent": "A0", "day": 0, "start": 480, "end": 600, "paid_minutes": 120,
                            "breaks": (("break", 510, 15, True),)}])
    assert list(coverage(shifts, demand, 30)) == [1.0, 0.5, 1.0, 1.0]


# --- every hard rule, on a produced roster -----------------------------------------------------------

def busy_week(aht: float = 300.0) -> pd.DataFrame:
    """A week of the seed's opening hours with 10-20 contacts a half hour at `aht` seconds."""
    contacts = {}
    for day in range(7):
        opens, closes = (420, 1320) if day < 5 else (540, 1080)
        for minute in range(opens, closes, 30):
            contacts[day, minute] = 10.0 + 10.0 * (1140 <= minute < 1260)
    return forecast_rows(contacts, aht=aht, upper=1.3)


ROSTER = ("agent,contract_hours,days,earliest,latest\n"
          "Ann,40,,,\nBen,40,,,\nCai,40,,,\nDee,full,,,\nEve,20-30,,,\nFay,part,,,\n"
          "Gus,40,mon-fri,07:00,16:00\n")


def check_every_rule(shifts: pd.DataFrame, agents: list[Agent], rules: Rules) -> None:
    by_name = {a.name: a for a in agents}
    assert set(shifts["agent"]) <= set(by_name)
    for name, own in shifts.groupby("agent"):
        agent = by_name[name]
        days = set(own["day"])
        assert len(own) == len(days), "one shift a day"
        assert len(days) <= rules.max_days
        assert any(all((d + j) % 7 not in days for j in range(rules.days_off)) for d in range(7)), \
            f"{name}: {rules.days_off} consecutive days off"
        paid = own["paid_minutes"].sum()
        assert agent.min_minutes <= paid <= agent.max_minutes, f"{name}: contracted hours"
        ends = dict(zip(own["day"], own["end"], strict=True))
        for row in own.itertuples():
            before = (row.day - 1) % 7
            if before in ends:  # the week repeats: Sunday's shift comes before Monday's
                assert row.start + 1440 - ends[before] >= rules.min_rest, f"{name}: rest before day {row.day}"
            weekday = (MONDAY + timedelta(days=int(row.day))).weekday()
            assert weekday in agent.days and agent.earliest <= row.start and row.end <= agent.latest
            opening = rules.opening[("mon", "tue", "wed", "thu", "fri", "sat", "sun")[weekday]]
            assert any(opens <= row.start and row.end <= closes for opens, closes in opening)
            length = row.end - row.start
            assert length in rules.shift_minutes
            expected = [b for b in rules.breaks if length >= b.min_shift_hours * 60]
            assert [b[0] for b in row.breaks] == [b.name for b in expected]
            for rule, (_, start, minutes, paid_break) in zip(expected, row.breaks, strict=True):
                assert (minutes, paid_break) == (rule.minutes, rule.paid)
                assert rule.window_hours[0] * 60 <= start - row.start <= rule.window_hours[1] * 60
                assert start + minutes <= row.end
            unpaid = sum(b.minutes for b in expected if not b.paid)
            assert row.paid_minutes == length - unpaid


def test_a_week_for_a_roster_keeps_every_hard_rule():
    settings = Settings()
    rules = rules_from(settings.schedule)
    agents, problems, aside = read_roster(ROSTER, "team.csv", rules)
    assert not problems and aside.empty and len(agents) == 7
    made = make_schedule(busy_week(), "run", 30, Plan(MONDAY, roster=tuple(agents), time_limit=8), settings)
    assert made.solution.status in ("optimal", "feasible"), made.solution.message
    shifts = made.solution.shifts
    assert set(shifts["agent"]) == {a.name for a in agents}  # nobody left without shifts
    check_every_rule(shifts, agents, rules)
    gus = shifts[shifts["agent"] == "Gus"]
    assert set(gus["day"]) <= {0, 1, 2, 3, 4} and gus["end"].max() <= 960


def test_the_default_team_keeps_every_rule_and_full_timers_work_five_eight_hour_days():
    settings = Settings()
    made = make_schedule(busy_week(), "run", 30, Plan(MONDAY, agents=12, part_time_agents=3, time_limit=8),
                         settings)
    assert made.solution.status in ("optimal", "feasible")
    rules = rules_from(settings.schedule)
    check_every_rule(made.solution.shifts, list(made.agents), rules)
    full = made.solution.shifts[made.solution.shifts["agent"].isin([a.name for a in made.agents
                                                                     if not a.part_time])]
    assert (full.groupby("agent")["paid_minutes"].sum() == 2400).all()
    assert made.evaluation.week["paid_hours"] == made.solution.paid_hours


# --- rules that cannot be met ------------------------------------------------------------------------

def test_contracted_hours_beyond_five_days_name_the_contract():
    settings = Settings(schedule=replace(ScheduleDefaults(), full_time_hours=(48.0, 48.0)))
    made = make_schedule(busy_week(), "run", 30, Plan(MONDAY, agents=3, time_limit=5), settings)
    assert made.solution.status == "infeasible" and made.solution.shifts is None
    # five shifts of 8 paid hours make 40; six days would leave no 2 consecutive days off
    assert "the rule that cannot be met is contracted hours" in made.solution.message
    assert "Agent 1" in made.solution.message and "48 paid hours" in made.solution.message


def test_a_rest_no_pair_of_days_allows_names_the_rest():
    settings = Settings(schedule=replace(ScheduleDefaults(), min_rest_hours=24.0))
    made = make_schedule(busy_week(), "run", 30, Plan(MONDAY, agents=2, time_limit=5), settings)
    assert made.solution.status == "infeasible"
    assert "24 hours of rest between shifts" in made.solution.message


def test_availability_too_narrow_for_the_contract_names_the_availability():
    rules = rules_from(ScheduleDefaults())
    agents, _, _ = read_roster("agent,contract_hours,days\nZoe,40,sat-sun\n", "team.csv", rules)
    made = make_schedule(busy_week(), "run", 30, Plan(MONDAY, roster=tuple(agents), time_limit=5), Settings())
    assert made.solution.status == "infeasible"
    assert "Zoe" in made.solution.message and "available days and times" in made.solution.message


def test_breaks_whose_windows_overlap_are_refused_with_their_names():
    defaults = replace(ScheduleDefaults(), breaks=(BreakRule("tea", 15, True, (1.0, 3.0)),
                                                   BreakRule("lunch", 30, False, (2.5, 4.0))))
    with pytest.raises(RulesError, match="tea and lunch overlap"):
        rules_from(defaults)


# --- the roster file ---------------------------------------------------------------------------------

def test_the_roster_sets_bad_rows_aside_with_reasons_and_counts_every_row():
    rules = rules_from(ScheduleDefaults())
    text = ("Agent,Contract_Hours,Days,Earliest,Latest,Note\n"
            "Ann,40,mon-fri,07:00,22:00,fine\n"
            ",40,,,,no name\n"
            "Ben,forty,,,,bad hours\n"
            "Cai,20-30,funday,,,bad days\n"
            "Dee,30-20,,,,range backwards\n"
            "Eve,part,sat-sun,09:10,,off the quarter hour\n"
            "Fay,part,sat-sun,12:00,10:00,earliest after latest\n"
            "Ann,40,,,,repeat\n"
            "Gus,part,\"sat,sun,mon\",,,fine\n")
    agents, problems, aside = read_roster(text.encode(), "team.csv", rules)
    assert [a.name for a in agents] == ["Ann", "Gus"]
    assert len(agents) + len(aside) == 9  # rows read = used + set aside
    assert list(aside["row"]) == [3, 4, 5, 6, 7, 8, 9]
    assert list(aside["Note"]) == ["no name", "bad hours", "bad days", "range backwards",
                                   "off the quarter hour", "earliest after latest", "repeat"]
    assert aside["reason"].tolist()[0] == "agent is blank"
    assert "contract_hours is not hours a week" in aside["reason"].tolist()[1]
    assert "agent repeats an earlier row" in aside["reason"].tolist()[-1]
    assert agents[0].days == frozenset(range(5))
    assert (agents[0].min_minutes, agents[0].max_minutes) == (2400, 2400)
    assert agents[1].days == frozenset({5, 6, 0}) and agents[1].part_time
    assert any(p.startswith("team.csv: 1 row: agent is blank; set aside") for p in problems)


def test_a_roster_without_an_agent_column_sets_every_row_aside():
    rules = rules_from(ScheduleDefaults())
    agents, problems, aside = read_roster("name,hours\nAnn,40\nBen,40\n", "team.csv", rules)
    assert agents == [] and len(aside) == 2 and set(aside["reason"]) == {"missing column agent"}
    assert "no column agent (columns found: name, hours)" in problems[0]


# --- figures and risk ----------------------------------------------------------------------------------

def test_fractional_agents_take_the_mean_of_the_whole_numbers_either_side():
    half = service(100, 180, 1800, 13.5, Targets())
    whole = [staffing.erlang_c_service(100, 1800, 180, n) for n in (13, 14)]
    assert half["service_level"] == pytest.approx((whole[0].service_level + whole[1].service_level) / 2)
    # the reference case: 13 agents 79.6% (a miss), 14 agents 88.8%
    assert round(whole[0].service_level, 4) == 0.7956 and round(whole[1].service_level, 4) == 0.8884


def test_planning_at_90_percent_safety_staffs_for_the_upper_end_of_the_80_percent_interval():
    rows = forecast_rows({(0, 540): 100.0, (0, 570): 40.0}, upper=1.25)
    assert planning_contacts(rows, 0.5) == pytest.approx([100.0, 40.0])
    assert planning_contacts(rows, 0.9) == pytest.approx([125.0, 50.0])
    demand = week_demand(rows, MONDAY, 30, Targets(safety=0.9))
    assert demand["required"].iloc[0] == staffing.erlang_c_staffing(125.0, 1800, 60).agents


def test_the_chance_of_meeting_the_target_is_where_the_agents_run_out_on_the_log_normal():
    targets = Targets()
    sigma = math.log(1.25) / 1.2815515655446004
    needed_for_upper = staffing.erlang_c_staffing(125.0, 1800, 180).agents
    assert chance_of_target((100.0, sigma), 180, 1800, needed_for_upper, targets) >= 0.9
    assert chance_of_target((100.0, sigma), 180, 1800, 0, targets) == 0.0
    assert chance_of_target((100.0, sigma), 180, 1800, 60, targets) > 0.999999
    # the agents that meet the median exactly: about an even chance (the median is their last contact)
    median_agents = staffing.erlang_c_staffing(100.0, 1800, 180).agents
    assert 0.5 <= chance_of_target((100.0, sigma), 180, 1800, median_agents, targets) < 0.9


def test_the_evaluation_counts_agents_on_the_phones_against_the_requirement_by_hand():
    contacts = {(0, m): 2.0 for m in range(480, 720, 30)}
    problem = tiny_problem(contacts, 1)
    shifts = pd.DataFrame([{"agent": "A0", "day": 0, "start": 480, "end": 600, "paid_minutes": 120,
                            "breaks": ()}])
    judged = evaluate(problem.demand, shifts, 30, 0.0, Targets(), 35.0, MONDAY)
    assert list(judged.intervals["on_phones"]) == [1, 1, 1, 1, 0, 0, 0, 0]
    assert list(judged.intervals["status"]) == ["ok"] * 4 + ["under"] * 4
    week = judged.week
    one = staffing.erlang_c_service(2.0, 1800, 60, 1).service_level
    assert week["service_level"] == pytest.approx(one / 2)
    assert week["understaffed_agent_intervals"] == 4 and week["overstaffed_agent_intervals"] == 0
    assert (week["paid_hours"], week["cost_usd"]) == (2.0, 70.0)
    assert judged.under_words == ("Mon 26 Oct 10:00-12:00: 1.0 agents short on the phones on average "
                                  "(service level 0%)",)


def test_the_risk_curve_pays_more_for_more_safety():
    # a quieter week (AHT 120 s): the pool of 10 agents and 5 extra has room to spare at both steps
    curve = risk_curve(busy_week(aht=120.0), 30, Plan(MONDAY, agents=10, part_time_agents=4), Settings(),
                       steps=(50, 90), seconds_per_step=4)
    assert list(curve["safety_pct"]) == [50, 90]
    assert curve["paid_hours"].notna().all()
    assert curve["paid_hours"].iloc[1] > curve["paid_hours"].iloc[0]
    assert curve["service_level"].iloc[1] > curve["service_level"].iloc[0]  # at the forecast itself
    assert curve["agents_used"].iloc[0] < 15
    assert np.isclose(curve["cost_usd"], curve["paid_hours"] * 35.0).all()


# --- the record ----------------------------------------------------------------------------------------

def test_a_schedule_is_kept_with_its_inputs_and_read_back(tmp_path):
    made = make_schedule(busy_week(), "run-1", 30, Plan(MONDAY, agents=8, time_limit=5), Settings())
    schedule_id = keep.save(tmp_path, made)
    listed = keep.schedules(tmp_path)
    assert list(listed["schedule_id"]) == [schedule_id]
    assert listed.iloc[0]["forecast_run"] == "run-1" and listed.iloc[0]["week"] == MONDAY.isoformat()
    meta, shifts = keep.load(tmp_path, schedule_id)
    assert meta["inputs"]["agents"] == 8 and meta["inputs"]["shrinkage_pct"] == 25
    assert meta["week"]["paid_hours"] == made.solution.paid_hours
    assert len(shifts) == len(made.shifts) and list(shifts.columns) == list(made.shifts.columns)


def test_agents_take_the_plan_in_turn_latest_end_to_latest_start_so_the_rest_holds():
    from cxdash.schedule.assign import _in_turn, assign
    from cxdash.schedule.rules import Shift

    # Monday: 07:00-15:00 and 14:00-22:00; Tuesday: 07:00-15:00 and 09:00-17:00; 11 hours' rest.
    # Whoever closes on Monday at 22:00 can only start at 09:00 on Tuesday (07:00 is 9 hours later).
    monday, tuesday = [Shift(420, 480, ()), Shift(840, 480, ())], [Shift(420, 480, ()), Shift(540, 480, ())]
    options = [monday, tuesday] + [[] for _ in range(5)]
    planned = {(0, 0): 1, (0, 1): 1, (1, 0): 1, (1, 1): 1}
    given = {0: (0b11, None), 1: (0b11, None)}
    hint = _in_turn(given, planned, options, 660)
    closer = next(a for (a, d, s) in hint if (d, s) == (0, 1))
    assert (closer, 1, 1) in hint and len(hint) == 4
    agents = tuple(Agent(f"A{n}", 960, 960) for n in range(2))
    kind = agents[0].kind()
    given_out = assign(agents, options, 660, {(kind, d, s): c for (d, s), c in planned.items()},
                       {(kind, (0b11, None)): 2}, seconds=5)
    assert given_out.moved == 0
    weeks = {tuple(sorted(w)) for w in given_out.weeks.values()}
    assert weeks == {((0, 1), (1, 1)), ((0, 0), (1, 0))}
