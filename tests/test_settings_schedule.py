"""The [schedule] table of cxdash.toml: defaults from the seed documents, every key checked for type and
range, a bad value keeping its default with a named problem, unknown keys reported."""

from __future__ import annotations

import pytest

from cxdash.schedule.rules import rules_from, shift_options, team
from cxdash.settings import KNOWN_KEYS, BreakRule, ScheduleDefaults, load_settings, settings_from_dict


def schedule_of(table: dict):
    settings = settings_from_dict({"schedule": table})
    return settings.schedule, settings.problems


def test_the_defaults_come_from_the_seed_documents():
    defaults = settings_from_dict({}).schedule
    assert defaults == ScheduleDefaults()
    assert defaults.agents == 24 and defaults.part_time_agents == 0  # seed: 24 agents in 3 shifts
    # seed: phone and chat Mon-Fri 07:00-22:00, Sat-Sun 09:00-18:00
    assert defaults.opening_hours["mon"] == ((420, 1320),) and defaults.opening_hours["fri"] == ((420, 1320),)
    assert defaults.opening_hours["sat"] == ((540, 1080),) and defaults.opening_hours["sun"] == ((540, 1080),)
    # seed: 30% shrinkage, of which the schedule places the paid breaks (30 of 480 paid minutes) itself
    assert defaults.shrinkage_pct == round(100 * (1 - 0.7 / (1 - 30 / 480)))
    assert (defaults.max_days_per_week, defaults.consecutive_days_off) == (5, 2)
    assert [(b.name, b.minutes, b.paid) for b in defaults.breaks] == [
        ("break", 15, True), ("meal", 30, False), ("second break", 15, True)]
    assert set(KNOWN_KEYS["schedule"]) == set(ScheduleDefaults.__dataclass_fields__)
    assert "schedule" in KNOWN_KEYS[""]


def test_the_default_rules_make_three_shift_lengths_with_their_breaks():
    rules = rules_from(ScheduleDefaults())
    monday = shift_options(rules, 0)
    assert {s.minutes for s in monday} == {510, 360, 240}
    long = next(s for s in monday if s.minutes == 510)
    assert (long.start, long.paid_minutes) == (420, 480)  # 07:00-15:30, 8 paid hours (an unpaid meal)
    assert [b.rule.name for b in long.breaks] == ["break", "meal", "second break"]
    assert [b.rule.name for b in next(s for s in monday if s.minutes == 360).breaks] == ["break"]
    assert max(s.end for s in monday) == 1320 and min(s.start for s in monday) == 420
    assert {s.minutes for s in shift_options(rules, 5)} == {510, 360, 240}
    assert max(s.end for s in shift_options(rules, 6)) == 1080


def test_good_values_are_read():
    schedule, problems = schedule_of({
        "agents": 30, "part_time_agents": 6, "shift_hours": [8, 4.5], "start_grid_minutes": 15,
        "breaks": [{"name": "tea", "minutes": 15, "paid": True, "window_hours": [1.5, 2.5]}],
        "max_days_per_week": 4, "consecutive_days_off": 3, "min_rest_hours": 12.5,
        "full_time_hours": [36, 40], "part_time_hours": 24, "shrinkage_pct": 20, "safety_pct": 80,
        "safety_share_pct": 95, "time_limit_seconds": 30,
        "opening_hours": {"weekdays": "08:00-20:00", "sat": "10:00-14:00"}})
    assert problems == ()
    assert (schedule.agents, schedule.part_time_agents, schedule.shift_hours) == (30, 6, (8.0, 4.5))
    assert schedule.breaks == (BreakRule("tea", 15, True, (1.5, 2.5), 0.0),)
    assert (schedule.full_time_hours, schedule.part_time_hours) == ((36.0, 40.0), (24.0, 24.0))
    assert schedule.opening_hours["tue"] == ((480, 1200),) and schedule.opening_hours["sun"] == ()
    assert (schedule.min_rest_hours, schedule.time_limit_seconds, schedule.safety_pct) == (12.5, 30.0, 80)
    assert len(team(rules_from(schedule), 30, 6)) == 30


@pytest.mark.parametrize(("key", "value", "words"), [
    ("agents", 0, "a whole number in 1..5000"),
    ("agents", 2.5, "a whole number in 1..5000"),
    ("agents", True, "a whole number in 1..5000"),
    ("start_grid_minutes", 20, "a multiple of 15"),
    ("shift_hours", [8.1], "on the quarter hour"),
    ("shift_hours", [], "a list of up to 8 shift lengths"),
    ("shift_hours", "8", "a list of up to 8 shift lengths"),
    ("breaks", [{"name": "tea", "minutes": 10, "paid": True, "window_hours": [1, 2]}], "a multiple of 15"),
    ("breaks", [{"name": "tea", "minutes": 15, "paid": "yes", "window_hours": [1, 2]}], "paid (true or"),
    ("breaks", [{"name": "tea", "minutes": 15, "paid": True, "window_hours": [2, 1]}], "window_hours"),
    ("breaks", [{"name": "tea", "minutes": 15, "paid": True, "window_hours": [1, 2], "when": 3}], "tables"),
    ("max_days_per_week", 8, "a whole number in 1..7"),
    ("consecutive_days_off", -1, "a whole number in 0..6"),
    ("min_rest_hours", 25, "0..24 on the quarter hour"),
    ("full_time_hours", [40, 30], "[least, most]"),
    ("part_time_hours", "twenty", "[least, most]"),
    ("opening_hours", {"weekdays": "07:10-22:00"}, "on the quarter hour"),
    ("opening_hours", {"someday": "07:00-22:00"}, "a table of daily, weekdays"),
    ("opening_hours", {"daily": "closed"}, "open on some day"),
    ("shrinkage_pct", 90, "a whole number in 0..80"),
    ("safety_pct", 40, "a whole number in 50..99"),
    ("time_limit_seconds", 0, "1..600"),
])
def test_a_bad_value_keeps_its_default_with_a_named_problem(key, value, words):
    schedule, problems = schedule_of({key: value})
    assert getattr(schedule, key) == getattr(ScheduleDefaults(), key)
    assert len(problems) == 1
    assert problems[0].startswith(f"cxdash.toml: schedule.{key} = ") and words in problems[0]
    assert problems[0].endswith("default used")


def test_more_part_time_agents_than_agents_keeps_the_default():
    schedule, problems = schedule_of({"agents": 10, "part_time_agents": 12})
    assert (schedule.agents, schedule.part_time_agents) == (10, 0)
    assert problems == ("cxdash.toml: schedule.part_time_agents (12) must not exceed schedule.agents (10); "
                        "default 0 used",)


def test_unknown_keys_are_reported_with_the_nearest_known_one():
    schedule, problems = schedule_of({"agent": 12, "min_rest": 10})
    assert schedule == ScheduleDefaults()
    assert "unknown setting `schedule.agent` (did you mean `schedule.agents`?)" in problems[0]
    assert "unknown setting `schedule.min_rest` (did you mean `schedule.min_rest_hours`?)" in problems[1]


def test_a_schedule_that_is_not_a_table_keeps_every_default():
    schedule, problems = schedule_of(["agents", 3])
    assert schedule == ScheduleDefaults()
    assert problems == ("cxdash.toml: schedule must be a table of settings, not ['agents', 3]; "
                        "defaults used",)


def test_the_file_is_read_from_the_data_folder(tmp_path):
    (tmp_path / "cxdash.toml").write_text("[schedule]\nagents = 40\n\n[[schedule.breaks]]\nname = \"lunch\"\n"
                                          "minutes = 45\npaid = false\nwindow_hours = [3, 5]\n"
                                          "min_shift_hours = 6\n", encoding="utf-8")
    settings = load_settings(tmp_path)
    assert settings.problems == ()
    assert settings.schedule.agents == 40
    assert settings.schedule.breaks == (BreakRule("lunch", 45, False, (3.0, 5.0), 6.0),)


def test_the_schedule_settings_do_not_change_the_prepared_data():
    changed = settings_from_dict({"schedule": {"agents": 40}})
    assert changed.fingerprint() == settings_from_dict({}).fingerprint()
