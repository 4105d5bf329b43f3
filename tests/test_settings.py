"""cxdash.toml can hold anything: every setting is checked, a bad one keeps its default and is named
(on Data health, at the top of pages and by the command line), and the app stays up."""

from __future__ import annotations

import json
import math
import random
import re
import shutil
import tomllib
from datetime import date, datetime, time
from pathlib import Path

import holidays
import pandas as pd
import pytest

from cxdash import cli
from cxdash.contract import CHANNELS
from cxdash.importers.core import mapping_zone
from cxdash.metrics import METRICS
from cxdash.settings import (
    CSAT_METHODS,
    DAY_GROUPS,
    DEFAULT_TARGETS,
    KNOWN_KEYS,
    SERVICE_LEVEL_ABANDON_POLICIES,
    SPECIAL_DAY_KEYS,
    TARGET_KEYS,
    WEEKDAY_KEYS,
    CostModel,
    Settings,
    SpecialDay,
    Target,
    load_settings,
    settings_from_dict,
    valid_timezone,
)
from cxdash.store import Store
from tests.builders import write_interactions, write_settings

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["pages/overview.py", "pages/quality.py", "pages/monthly_report.py", "pages/seasonality.py",
         "pages/forecast.py", "pages/staffing.py", "pages/data_health.py", "pages/data_import.py"]
TABLES = ("metrics", "targets", "calendar", "forecast", "cost_model", "lifetime_value", "validation")


def only_problem(settings: Settings, *needles: str) -> str:
    """The one problem of the settings, checked to name every needle."""
    assert len(settings.problems) == 1, settings.problems
    [problem] = settings.problems
    assert problem.startswith("cxdash.toml: ")
    for needle in needles:
        assert needle in problem, (needle, problem)
    return problem


# --- the faults that stopped every page ------------------------------------------------------------

def test_special_days_that_is_not_a_list_keeps_none_and_is_reported():
    settings = settings_from_dict({"calendar": {"special_days": 5}})
    assert settings.special_days == ()
    only_problem(settings, "calendar.special_days")


def test_closed_dates_that_is_not_a_list_keeps_none_and_is_reported():
    settings = settings_from_dict({"forecast": {"closed_dates": 5}})
    assert settings.closed_dates == ()
    only_problem(settings, "forecast.closed_dates")


@pytest.mark.parametrize("zone", ["posix/Europe/Berlin", "right/UTC", "localtime", "Europe", "", "utc",
                                  "../etc/passwd", "Europe/../UTC", "a" * 5000, "\x00", 5, ["UTC"], True,
                                  {"name": "UTC"}])
def test_a_zone_python_or_duckdb_does_not_know_keeps_the_default_and_is_reported(zone):
    settings = settings_from_dict({"timezone": zone})
    assert settings.timezone == Settings().timezone
    only_problem(settings, "timezone")


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/Los_Angeles", "Etc/GMT+5", "US/Pacific"])
def test_zones_both_know_are_used(zone):
    assert valid_timezone(zone)
    settings = settings_from_dict({"timezone": zone})
    assert settings.timezone == zone and settings.problems == ()


@pytest.mark.parametrize("zone", ["posix/Europe/Berlin", "right/UTC", "localtime", "Europe", "Mars/Base"])
def test_the_import_mapping_zone_follows_the_same_rule(zone):
    assert not valid_timezone(zone)
    with pytest.raises(ValueError, match="timezone"):
        mapping_zone({"timezone": zone})
    assert mapping_zone({"timezone": "Europe/Berlin"}) == "Europe/Berlin"
    assert mapping_zone(None) == "UTC"


def test_a_store_opens_on_the_default_zone_when_the_file_names_a_zone_duckdb_rejects(tmp_path):
    write_interactions(tmp_path, [{"interaction_id": "a", "channel": "phone",
                                   "arrived_at": "2026-01-15 18:00"}])
    write_settings(tmp_path, 'timezone = "posix/Europe/Berlin"\n[calendar]\nspecial_days = 5\n'
                             '[forecast]\nclosed_dates = 5\n')
    with Store.open(tmp_path) as store:
        assert store.settings.timezone == "America/Los_Angeles"
        assert len(store.settings.problems) == 3
        assert store.has_interactions


# --- unknown keys ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("document", "key", "hint"), [
    ({"timezon": "UTC"}, "timezon", "timezone"),
    ({"metrics": {"csat_metod": "mean"}}, "metrics.csat_metod", "metrics.csat_method"),
    ({"metrics": {"timezone": "UTC"}}, "metrics.timezone", "timezone"),
    ({"calendar": {"contry": "DE"}}, "calendar.contry", "calendar.country"),
    ({"forecast": {"closed_date": ["2026-12-25"]}}, "forecast.closed_date", "forecast.closed_dates"),
    ({"forecast": {"business_hours": {"phone": {"weekday": "09:00-17:00"}}}},
     "forecast.business_hours.phone.weekday", "forecast.business_hours.phone.weekdays"),
    ({"cost_model": {"seat": 30}}, "cost_model.seat", "cost_model.seats"),
    ({"cost_model": {"hourly": 30}}, "cost_model.hourly", "cost_model.loaded_hourly_rate_usd"),
    ({"lifetime_value": {"coaching_queue": ["advice"]}}, "lifetime_value.coaching_queue",
     "lifetime_value.coaching_queues"),
    ({"validation": {"earlist": "2000-01-01"}}, "validation.earlist", "validation.earliest"),
    ({"targets": {"csat": {"good": 90}}}, "targets.csat", "targets.csat_pct"),
    ({"targets": {"csat_pct": {"goood": 90}}}, "targets.csat_pct.goood", "targets.csat_pct.good"),
    ({"metric": {"csat_method": "mean"}}, "metric", "metrics"),
])
def test_an_unknown_key_is_reported_with_the_nearest_known_one(document, key, hint):
    settings = settings_from_dict(document)
    problem = only_problem(settings, f"unknown setting `{key}` (did you mean `{hint}`?)")
    assert problem.startswith(f"cxdash.toml: unknown setting `{key}`")
    # nothing the typo meant is applied: every setting is its default
    assert settings == Settings(problems=settings.problems)


def test_an_unknown_key_of_a_special_day_is_reported_and_the_day_kept():
    settings = settings_from_dict({"calendar": {"special_days": [
        {"name": "Sale", "start": "2026-03-03", "ende": "2026-03-05"}]}})
    assert settings.special_days == (SpecialDay("Sale", date(2026, 3, 3), date(2026, 3, 3)),)
    only_problem(settings, "unknown setting `calendar.special_days[1].ende` "
                           "(did you mean `calendar.special_days[1].end`?)")


def test_an_unknown_key_without_a_near_name_is_reported_without_a_hint():
    settings = settings_from_dict({"colour": "blue", "metrics": {"xyzzy": 1}})
    assert settings.problems == ("cxdash.toml: unknown setting `colour`; ignored",
                                 "cxdash.toml: unknown setting `metrics.xyzzy`; ignored")


def test_the_known_keys_next_to_an_unknown_one_are_still_used():
    settings = settings_from_dict({"metrics": {"csat_metod": "mean", "service_level_seconds": 30},
                                   "cost_model": {"seats": 30, "seat": 31}})
    assert settings.service_level_seconds == 30.0 and settings.cost_model.seats == 30.0
    assert len(settings.problems) == 2


def test_a_typo_in_a_business_hours_day_ignores_that_channel_rather_than_closing_it_all_week():
    settings = settings_from_dict({"forecast": {"business_hours": {
        "phone": {"weekday": "09:00-17:00"}, "chat": {"weekdays": "09:00-17:00", "weekend": "closed"}}}})
    assert list(settings.business_hours) == ["chat"]
    only_problem(settings, "forecast.business_hours.phone.weekday", "hours learned")


# --- wrong types, table by table -------------------------------------------------------------------

@pytest.mark.parametrize("table", TABLES)
@pytest.mark.parametrize("value", [5, 1.5, "text", [1, 2], [{"a": 1}], True, date(2026, 1, 1)])
def test_a_table_that_is_not_a_table_keeps_its_defaults_and_is_reported(table, value):
    settings = settings_from_dict({table: value})
    assert settings == Settings(problems=settings.problems)
    only_problem(settings, table)


NAN, INF = float("nan"), float("inf")
HUGE = 10 ** 400  # more than a float holds


@pytest.mark.parametrize(("document", "key"), [
    # [metrics]
    ({"metrics": {"service_level_seconds": NAN}}, "metrics.service_level_seconds"),
    ({"metrics": {"service_level_seconds": INF}}, "metrics.service_level_seconds"),
    ({"metrics": {"service_level_seconds": HUGE}}, "metrics.service_level_seconds"),
    ({"metrics": {"short_abandon_seconds": [5]}}, "metrics.short_abandon_seconds"),
    ({"metrics": {"short_abandon_seconds": False}}, "metrics.short_abandon_seconds"),
    ({"metrics": {"csat_method": ["mean"]}}, "metrics.csat_method"),
    ({"metrics": {"csat_method": {"mean": 1}}}, "metrics.csat_method"),
    ({"metrics": {"service_level_abandons": 1}}, "metrics.service_level_abandons"),
    ({"metrics": {"live_channels": 5}}, "metrics.live_channels"),
    ({"metrics": {"live_channels": [["phone"]]}}, "metrics.live_channels"),
    ({"metrics": {"async_channels": [1, 2]}}, "metrics.async_channels"),
    ({"metrics": {"async_channels": {"email": True}}}, "metrics.async_channels"),
    ({"metrics": {"first_response_seconds": [7200]}}, "metrics.first_response_seconds"),
    ({"metrics": {"first_response_seconds": {"email": INF}}}, "metrics.first_response_seconds"),
    ({"metrics": {"first_response_seconds": {"email": NAN}}}, "metrics.first_response_seconds"),
    ({"metrics": {"first_response_seconds": {"email": HUGE}}}, "metrics.first_response_seconds"),
    ({"metrics": {"first_response_seconds": {"email": "2h"}}}, "metrics.first_response_seconds"),
    ({"metrics": {"first_response_seconds": {"email": {"seconds": 60}}}}, "metrics.first_response_seconds"),
    # [targets]
    ({"targets": {"csat_pct": [86, 85]}}, "targets.csat_pct"),
    ({"targets": {"csat_pct": {"good": NAN}}}, "targets.csat_pct"),
    ({"targets": {"csat_pct": {"good": INF}}}, "targets.csat_pct"),
    ({"targets": {"csat_pct": {"good": HUGE}}}, "targets.csat_pct"),
    ({"targets": {"csat_pct": {"good": True}}}, "targets.csat_pct"),
    ({"targets": {"csat_pct": {"good": "86"}}}, "targets.csat_pct"),
    ({"targets": {"csat_pct": {"good": [86]}}}, "targets.csat_pct"),
    ({"targets": {"aht_seconds": {"low": 420, "high": 240}}}, "targets.aht_seconds"),
    ({"targets": {"aht_seconds": {"low": 240}}}, "targets.aht_seconds"),
    # [calendar]
    ({"calendar": {"country": 5}}, "calendar.country"),
    ({"calendar": {"country": ["US"]}}, "calendar.country"),
    ({"calendar": {"country": "Narnia"}}, "calendar.country"),
    ({"calendar": {"peak_hours": 19}}, "calendar.peak_hours"),
    ({"calendar": {"peak_hours": [True, 5]}}, "calendar.peak_hours"),
    ({"calendar": {"peak_hours": [19.0, 21.0]}}, "calendar.peak_hours"),
    ({"calendar": {"peak_hours": [21, 19]}}, "calendar.peak_hours"),
    ({"calendar": {"peak_hours": [0, HUGE]}}, "calendar.peak_hours"),
    ({"calendar": {"special_days": {"name": "Sale", "start": "2026-03-03"}}}, "calendar.special_days"),
    ({"calendar": {"special_days": "2026-03-03"}}, "calendar.special_days"),
    ({"calendar": {"special_days": [5]}}, "calendar.special_days entry 1"),
    ({"calendar": {"special_days": ["Sale"]}}, "calendar.special_days entry 1"),
    ({"calendar": {"special_days": [[1, 2]]}}, "calendar.special_days entry 1"),
    ({"calendar": {"special_days": [{"name": 5, "start": "2026-03-03"}]}}, "calendar.special_days entry 1"),
    ({"calendar": {"special_days": [{"name": "Sale", "start": 5}]}}, "calendar.special_days entry 1"),
    ({"calendar": {"special_days": [{"name": "Sale", "start": date(1, 1, 1)}]}},
     "calendar.special_days entry 1"),
    ({"calendar": {"special_days": [{"name": "Sale", "start": date(2026, 1, 1), "end": date(9999, 1, 1)}]}},
     "calendar.special_days entry 1"),
    ({"calendar": {"special_days": [{"name": "Sale", "start": datetime(2026, 1, 1, 9)}]}},
     "calendar.special_days entry 1"),
    # [forecast]
    ({"forecast": {"business_hours": 5}}, "forecast.business_hours"),
    ({"forecast": {"business_hours": ["phone"]}}, "forecast.business_hours"),
    ({"forecast": {"business_hours": {"phone": "07:00-22:00"}}}, "forecast.business_hours.phone"),
    ({"forecast": {"business_hours": {"fax": {"daily": "24h"}}}}, "forecast.business_hours.fax"),
    ({"forecast": {"business_hours": {"phone": {"daily": 5}}}}, "forecast.business_hours.phone"),
    ({"forecast": {"business_hours": {"phone": {"daily": ["07:00-22:00"]}}}},
     "forecast.business_hours.phone"),
    ({"forecast": {"business_hours": {"phone": {"daily": "07:00-25:00"}}}}, "forecast.business_hours.phone"),
    ({"forecast": {"business_hours": {"phone": {"daily": "07:99-22:00"}}}}, "forecast.business_hours.phone"),
    ({"forecast": {"business_hours": {"phone": {"daily": "7-22"}}}}, "forecast.business_hours.phone"),
    ({"forecast": {"closed_dates": "2026-12-25"}}, "forecast.closed_dates"),
    ({"forecast": {"closed_dates": {"christmas": "2026-12-25"}}}, "forecast.closed_dates"),
    ({"forecast": {"closed_dates": [5]}}, "forecast.closed_dates entry 5"),
    ({"forecast": {"closed_dates": [[date(2026, 12, 25)]]}}, "forecast.closed_dates entry"),
    ({"forecast": {"closed_dates": [date(1, 1, 1)]}}, "forecast.closed_dates entry"),
    ({"forecast": {"closed_dates": [datetime(2026, 12, 25, 8)]}}, "forecast.closed_dates entry"),
    ({"forecast": {"closed_dates": [time(8)]}}, "forecast.closed_dates entry"),
    # [cost_model]
    ({"cost_model": {"seats": INF}}, "cost_model.seats"),
    ({"cost_model": {"seats": NAN}}, "cost_model.seats"),
    ({"cost_model": {"seats": HUGE}}, "cost_model.seats"),
    ({"cost_model": {"seats": -1}}, "cost_model.seats"),
    ({"cost_model": {"seats": "24"}}, "cost_model.seats"),
    ({"cost_model": {"occupancy": 0}}, "cost_model.occupancy"),
    ({"cost_model": {"occupancy": True}}, "cost_model.occupancy"),
    ({"cost_model": {"loaded_hourly_rate_usd": [35]}}, "cost_model.loaded_hourly_rate_usd"),
    ({"cost_model": {"telephony_channels": "phone"}}, "cost_model.telephony_channels"),
    ({"cost_model": {"telephony_channels": [5]}}, "cost_model.telephony_channels"),
    # [lifetime_value]
    ({"lifetime_value": {"coaching_queues": 5}}, "lifetime_value.coaching_queues"),
    ({"lifetime_value": {"coaching_queues": "advice"}}, "lifetime_value.coaching_queues"),
    ({"lifetime_value": {"coaching_queues": [5, "advice"]}}, "lifetime_value.coaching_queues"),
    ({"lifetime_value": {"coaching_queues": [""]}}, "lifetime_value.coaching_queues"),
    # [validation]
    ({"validation": {"earliest": 5}}, "validation.earliest"),
    ({"validation": {"earliest": "yesterday"}}, "validation.earliest"),
    ({"validation": {"earliest": ["2000-01-01"]}}, "validation.earliest"),
    ({"validation": {"earliest": date(1, 1, 1)}}, "validation.earliest"),
    ({"validation": {"latest": datetime(2030, 1, 1, 0, 0)}}, "validation.latest"),
    ({"validation": {"latest": "9999-12-31"}}, "validation.latest"),
    ({"validation": {"earliest": "2030-01-01", "latest": "2020-01-01"}}, "validation.earliest"),
    ({"validation": {"earliest": "2100-01-01"}}, "validation.latest"),  # not before the default latest
])
def test_a_wrong_value_keeps_the_default_and_is_reported(document, key):
    settings = settings_from_dict(document)
    assert settings == Settings(problems=settings.problems), "a default was changed"
    only_problem(settings, key)


@pytest.mark.parametrize("subdivision", [["OR"], 5, True, "Narnia", {"code": "OR"}])
def test_a_bad_subdivision_gives_the_countrys_national_holidays(subdivision):
    settings = settings_from_dict({"calendar": {"country": "DE", "subdivision": subdivision}})
    assert (settings.holiday_country, settings.holiday_subdivision) == ("DE", None)
    only_problem(settings, "calendar.subdivision")


def test_a_bad_target_leaves_the_others_and_its_default():
    settings = settings_from_dict({"targets": {"csat_pct": {"good": NAN}, "nps": {"good": 50, "warn": 40}}})
    assert settings.targets["csat_pct"] == DEFAULT_TARGETS["csat_pct"]
    assert settings.targets["nps"] == Target(good=50.0, warn=40.0, source="cxdash.toml")


def test_the_validation_window_reads_toml_dates_and_text(tmp_path):
    write_settings(tmp_path, '[validation]\nearliest = 2000-01-01\nlatest = "2040-06-30"\n')
    settings = load_settings(tmp_path)
    assert (settings.earliest, settings.latest) == (date(2000, 1, 1), date(2040, 6, 30))
    assert settings.problems == ()
    # one good bound is kept when the other is bad
    settings = settings_from_dict({"validation": {"earliest": "2000-01-01", "latest": "soon"}})
    assert (settings.earliest, settings.latest) == (date(2000, 1, 1), Settings().latest)
    only_problem(settings, "validation.latest", "soon")


def test_settings_that_are_not_a_document_give_the_defaults():
    for raw in (None, 5, "timezone = 'UTC'", [{"timezone": "UTC"}]):
        settings = settings_from_dict(raw)
        assert settings == Settings(problems=settings.problems)
        only_problem(settings)


def test_a_settings_file_nested_too_deep_to_read_gives_the_defaults(tmp_path):
    write_settings(tmp_path, "a = " + "[" * 5000 + "]" * 5000 + "\n")
    settings = load_settings(tmp_path)
    assert settings == Settings(problems=settings.problems)
    assert len(settings.problems) == 1 and "cxdash.toml" in settings.problems[0]


def test_a_settings_file_that_is_a_folder_gives_the_defaults(tmp_path):
    (tmp_path / "cxdash.toml").mkdir()
    settings = load_settings(tmp_path)
    assert settings == Settings(problems=settings.problems) and len(settings.problems) == 1


def test_the_readme_example_is_read_without_a_problem():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Settings: `DATA/cxdash.toml`", 1)[1]
    example = re.search(r"```toml\n(.*?)```", section, re.S).group(1)
    settings = settings_from_dict(tomllib.loads(example))
    assert settings.problems == ()
    assert settings.special_days and settings.business_hours and settings.closed_dates


# --- random garbage never raises -------------------------------------------------------------------

SCALARS = [0, -1, 1, 7, 24, 25, 2 ** 63, HUGE, -HUGE, 0.5, 1.5, -0.0, 1e308, NAN, INF, -INF, True, False,
           "", " ", "x", "UTC", "Europe/Berlin", "posix/Europe/Berlin", "right/UTC", "localtime", "Europe",
           "phone", "PHONE", "fax", "email", "2026-12-25", "0001-01-01", "9999-12-31", "2026-02-30",
           "07:00-22:00", "closed", "24h", "25:00-26:00", "9-5", "07:00-22:00,23:00-24:00", "mean",
           "top2box", "offered", "US", "OR", "DE", "BY", "XX", "\x00", "a" * 300,
           date(2026, 1, 1), date(1, 1, 1), date(9999, 12, 31), datetime(2026, 1, 1, 12), time(12, 0)]
KEYS = sorted({k for keys in KNOWN_KEYS.values() for k in keys} | set(TARGET_KEYS) | set(SPECIAL_DAY_KEYS)
              | set(DAY_GROUPS) | set(CHANNELS) | set(METRICS) | {"timezon", "extra", ""})


def garbage(rng: random.Random, depth: int = 0):
    """A random TOML-like value: a scalar, or (not too deep) a list or a table of garbage."""
    roll = rng.random()
    if depth >= 4 or roll < 0.6:
        return rng.choice(SCALARS)
    if roll < 0.8:
        return [garbage(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {rng.choice(KEYS): garbage(rng, depth + 1) for _ in range(rng.randint(0, 4))}


def shaped(rng: random.Random, path: str, depth: int = 0):
    """A value for `path` that is mostly of the right shape, with garbage anywhere inside."""
    if rng.random() < 0.25:
        return garbage(rng, depth)
    if path in KNOWN_KEYS:
        keys = list(KNOWN_KEYS[path]) + ["extra"]
        chosen = rng.sample(keys, rng.randint(0, min(4, len(keys))))
        return {key: shaped(rng, f"{path}.{key}", depth + 1) for key in chosen}
    if path == "targets":
        return {name: {key: rng.choice(SCALARS) for key in rng.sample(TARGET_KEYS, rng.randint(0, 3))}
                for name in rng.sample(sorted(METRICS) + ["csat"], rng.randint(0, 3))}
    if path == "calendar.special_days":
        keys = (*SPECIAL_DAY_KEYS, "nme")
        good = {"name": "Sale", "start": date(2026, 3, 3), "end": "2026-03-05"}
        return [dict(good) if rng.random() < 0.5 else
                {key: rng.choice(SCALARS) for key in rng.sample(keys, rng.randint(0, 4))}
                for _ in range(rng.randint(0, 3))]
    if path == "forecast.business_hours":
        hours = ["07:00-22:00", "closed", "24h", "09:00-12:00, 13:00-17:00"]
        return {channel: {group: rng.choice(hours if rng.random() < 0.7 else SCALARS)
                          for group in rng.sample(sorted(DAY_GROUPS), 2)}
                for channel in rng.sample(list(CHANNELS) + ["fax", "Phone"], rng.randint(0, 3))}
    if path in ("metrics.live_channels", "metrics.async_channels", "forecast.closed_dates",
                "lifetime_value.coaching_queues", "calendar.peak_hours", "cost_model.telephony_channels"):
        return [rng.choice(SCALARS) for _ in range(rng.randint(0, 3))]
    if path == "metrics.first_response_seconds":
        return {rng.choice(list(CHANNELS) + ["fax"]): rng.choice(SCALARS) for _ in range(rng.randint(0, 3))}
    return rng.choice(SCALARS)


def assert_valid(settings: Settings) -> None:
    """Every field of the settings is of its type and within its range."""
    def finite(value, low=-math.inf, high=math.inf) -> bool:
        return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) \
            and low <= value <= high

    assert isinstance(settings, Settings)
    assert valid_timezone(settings.timezone)
    assert finite(settings.service_level_seconds, 1, 3600) and finite(settings.short_abandon_seconds, 0, 600)
    assert settings.service_level_abandons in SERVICE_LEVEL_ABANDON_POLICIES
    assert settings.csat_method in CSAT_METHODS
    for channels in (settings.live_channels, settings.async_channels):
        assert channels and all(c in CHANNELS for c in channels) and len(set(channels)) == len(channels)
    assert all(c in CHANNELS and finite(s) and s > 0 for c, s in settings.first_response_seconds.items())
    for name, target in settings.targets.items():
        assert name in METRICS and isinstance(target, Target)
        assert all(getattr(target, k) is None or finite(getattr(target, k)) for k in TARGET_KEYS)
    assert all(isinstance(q, str) and q for q in settings.coaching_queues)
    model = settings.cost_model
    assert isinstance(model, CostModel) and all(c in CHANNELS for c in model.telephony_channels)
    assert all(finite(v, 0) for k, v in model.parameters().items() if k != "telephony_channels")
    assert 0 < model.occupancy <= 1
    supported = holidays.list_supported_countries()
    assert settings.holiday_country in supported
    assert settings.holiday_subdivision is None or settings.holiday_subdivision in \
        supported[settings.holiday_country]
    for day in settings.special_days:
        assert isinstance(day, SpecialDay) and isinstance(day.name, str) and day.name
        assert type(day.start) is date and type(day.end) is date and day.start <= day.end
    first, end = settings.peak_hours
    assert type(first) is int and type(end) is int and 0 <= first < end <= 24
    for channel, week in settings.business_hours.items():
        assert channel in CHANNELS and set(week) == set(WEEKDAY_KEYS)
        assert all(type(a) is int and type(b) is int and 0 <= a < b <= 1440
                   for ranges in week.values() for a, b in ranges)
    assert all(type(d) is date for d in settings.closed_dates)
    assert type(settings.earliest) is date and type(settings.latest) is date
    assert settings.earliest < settings.latest
    # every date is used as a pandas timestamp somewhere
    for day in (*settings.closed_dates, settings.earliest, settings.latest,
                *(d.start for d in settings.special_days), *(d.end for d in settings.special_days)):
        pd.Timestamp(day)
    assert all(isinstance(p, str) for p in settings.problems)
    assert settings.fingerprint()


@pytest.mark.parametrize("seed", range(4))
def test_random_garbage_settings_never_raise_and_always_give_valid_settings(seed):
    rng = random.Random(seed)
    for _ in range(500):
        top = list(KNOWN_KEYS[""]) + ["timezon"]
        document = {key: shaped(rng, key) for key in rng.sample(top, rng.randint(0, len(top)))}
        settings = settings_from_dict(document)
        assert_valid(settings)
        # every problem was foreseen: none comes from the safety net
        assert not any("could not be applied" in p for p in settings.problems), (document, settings.problems)
        # a document of pure garbage too
        settings = settings_from_dict(garbage(rng))
        assert_valid(settings)
        assert not any("could not be applied" in p for p in settings.problems)


# --- shown: the command line and every page --------------------------------------------------------

HOSTILE_NESTED = """\
timezon = "UTC"
timezone = "posix/Europe/Berlin"

[metrics]
csat_metod = "mean"
service_level_seconds = nan
live_channels = 5
first_response_seconds = [1, 2]

[calendar]
country = 5
peak_hours = [true, 25]
special_days = 5

[forecast]
closed_dates = 5
business_hours = "9-5"

[cost_model]
seats = inf
occupancy = 0
telephony_channels = "phone"

[lifetime_value]
coaching_queues = 5

[validation]
earliest = 2030-01-01
latest = 2020-01-01
earlist = "yesterday"

[targets]
csat_pct = 5
nps = { good = nan }
csat = { good = 90 }
"""
HOSTILE_TABLES = """\
timezone = "right/UTC"
metrics = 5
targets = [1, 2]
calendar = "US"
forecast = 5
cost_model = true
lifetime_value = 1.5
validation = []
"""


def test_validate_prints_every_settings_problem_and_exits_1(tmp_path, capsys):
    write_interactions(tmp_path, [{"interaction_id": "a", "channel": "phone",
                                   "arrived_at": "2026-01-15 18:00"}])
    write_settings(tmp_path, HOSTILE_NESTED)
    problems = load_settings(tmp_path).problems
    assert len(problems) >= 15
    assert cli.main(["validate", "--data", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    for line in problems:
        assert f"settings: {line}" in out
    assert "All files pass the data contract." in out and "setting problem(s)" in out
    assert cli.main(["validate", "--data", str(tmp_path), "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["settings_problems"] == list(problems)


def test_commands_that_open_the_store_warn_of_settings_problems_on_stderr(tmp_path, capsys):
    write_interactions(tmp_path, [{"interaction_id": "a", "channel": "phone",
                                   "arrived_at": "2026-01-15 18:00"}])
    write_settings(tmp_path, HOSTILE_TABLES)
    problems = load_settings(tmp_path).problems
    assert cli.main(["kpis", "--data", str(tmp_path), "--start", "2026-01-01", "--end", "2026-01-31",
                     "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["contacts"] == 1
    assert captured.err.splitlines() == [f"warning: settings: {line}" for line in problems]
    out = tmp_path / "report.html"
    assert cli.main(["report", "--data", str(tmp_path), "--month", "2026-01", "--out", str(out)]) == 0
    assert "warning: settings: cxdash.toml: timezone 'right/UTC'" in capsys.readouterr().err


@pytest.fixture(scope="module")
def hostile_demos(tmp_path_factory) -> dict[str, Path]:
    """The small demo twice over, each with a hostile cxdash.toml in place of the demo's own."""
    from cxdash.demo import write_demo

    base = tmp_path_factory.mktemp("hostile")
    first = base / "nested"
    write_demo(first, end=date(2026, 10, 31), scale=0.03, seed=7)
    second = base / "tables"
    shutil.copytree(first, second)
    write_settings(first, HOSTILE_NESTED)
    write_settings(second, HOSTILE_TABLES)
    return {"nested": first, "tables": second}


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("variant", ["nested", "tables"])
def test_every_page_renders_with_a_hostile_settings_file(app_test, hostile_demos, variant, page):
    folder = hostile_demos[variant]
    problems = load_settings(folder).problems
    assert problems
    at = app_test(folder)
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert at.title
    if page == "pages/data_health.py":
        assert "Settings" in [h.value for h in at.subheader]
        [listing] = [c for c in at.code if "cxdash.toml:" in c.value]
        assert listing.value.splitlines() == list(problems)
    elif page != "pages/data_import.py":
        # the banner at the top of the page (its text escaped for markdown)
        banner = re.sub(r"\\(.)", r"\1", " ".join(w.value for w in at.warning))
        assert all(line in banner for line in problems)
