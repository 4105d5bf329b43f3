"""Every KPI, and every variant setting, against values computed by hand on tiny fixtures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from cxdash.kpis import Filters, Period, default_period, kpi_values
from cxdash.metrics import KPI_NAMES, status
from cxdash.settings import DEFAULT_TARGETS, Settings, Target, load_settings, settings_from_dict
from cxdash.store import Store
from tests.builders import write_costs, write_interactions, write_settings

# 10:00 in Los Angeles (UTC-8 in January) on Wednesday 10 January 2024.
OPENING = datetime(2024, 1, 10, 18, 0, tzinfo=UTC)
TENTH = Period(date(2024, 1, 10), date(2024, 1, 10))


def answered(interaction_id: str, channel: str, minute: int, wait: float, **values) -> dict:
    arrived = OPENING + timedelta(minutes=minute)
    return {"interaction_id": interaction_id, "channel": channel, "arrived_at": arrived,
            "answered_at": arrived + timedelta(seconds=wait), "abandoned": False, **values}


def abandoned(interaction_id: str, channel: str, minute: int, left_after: float | None,
              **values) -> dict:
    arrived = OPENING + timedelta(minutes=minute)
    ended = None if left_after is None else arrived + timedelta(seconds=left_after)
    return {"interaction_id": interaction_id, "channel": channel, "arrived_at": arrived,
            "ended_at": ended, "abandoned": True, **values}


def unanswered(interaction_id: str, channel: str, minute: int, **values) -> dict:
    return {"interaction_id": interaction_id, "channel": channel,
            "arrived_at": OPENING + timedelta(minutes=minute), "abandoned": False, **values}


BILLING = {"queue": "billing", "team": "north"}
ORDERS = {"queue": "orders", "team": "south"}

# Sixteen contacts on one local day. The hand computations below refer to them by id.
OPERATION = [
    # phone (live)
    answered("P1", "phone", 0, 10, talk_seconds=200, hold_seconds=30, wrap_seconds=70,
             csat_score=5, nps_score=10, ces_score=7, resolved_first_contact=True, **BILLING),
    answered("P2", "phone", 5, 30, talk_seconds=300, hold_seconds=0, wrap_seconds=60,
             csat_score=4, nps_score=9, ces_score=5, resolved_first_contact=False, **BILLING),
    answered("P3", "phone", 10, 20, talk_seconds=150, hold_seconds=0, wrap_seconds=30,
             csat_score=2, nps_score=3, ces_score=2, resolved_first_contact=True, **ORDERS),
    abandoned("P4", "phone", 15, 3, **ORDERS),     # short abandon: left within 5 s
    abandoned("P5", "phone", 20, 15, **BILLING),   # abandon within the 20 s threshold
    abandoned("P6", "phone", 25, 60, **ORDERS),    # abandon after the threshold
    # chat (live)
    answered("C1", "chat", 30, 5, talk_seconds=400, wrap_seconds=20, csat_score=3,
             resolved_first_contact=True, **ORDERS),
    answered("C2", "chat", 35, 15, talk_seconds=100, hold_seconds=20, wrap_seconds=0, **BILLING),
    abandoned("C3", "chat", 40, 5, **BILLING),     # exactly 5 s: not shorter than 5 s, so it counts
    # email, social, sms (asynchronous; default response target 2 h = 7,200 s)
    answered("E1", "email", 45, 3600, talk_seconds=240, wrap_seconds=60, csat_score=5, nps_score=9,
             resolved_first_contact=True, **ORDERS),
    answered("E2", "email", 50, 10800, talk_seconds=180, csat_score=1, nps_score=0,
             resolved_first_contact=False, **BILLING),
    unanswered("E3", "email", 55, **BILLING),
    answered("S1", "social", 60, 7200, talk_seconds=60, ces_score=4, **ORDERS),
    answered("M1", "sms", 65, 100, **ORDERS),       # answered, but no handle time recorded
    # self-service
    unanswered("SS1", "self_service", 70),
    abandoned("SS2", "self_service", 75, None),
]

# January 2024 has 31 days: phone $3,100 -> $100 a day, chat $620 -> $20 a day,
# shared $310 -> $10 a day; the one-time cost never counts. Blended: $130 a day.
JANUARY_COSTS = [
    {"month": "2024-01-01", "channel": "phone", "cost_type": "labor", "amount_usd": 3100.0},
    {"month": "2024-01-01", "channel": "chat", "cost_type": "technology", "amount_usd": 620.0},
    {"month": "2024-01-01", "channel": "shared", "cost_type": "facilities", "amount_usd": 310.0},
    {"month": "2024-01-01", "channel": "email", "cost_type": "one_time", "amount_usd": 9999.0},
]


@pytest.fixture
def operation(tmp_path: Path) -> Path:
    write_interactions(tmp_path, OPERATION)
    write_costs(tmp_path, JANUARY_COSTS)
    return tmp_path


EVERYTHING = Filters()


def figures(folder: Path, settings: str | None = None, filters: Filters = EVERYTHING,
            period: Period = TENTH) -> dict:
    if settings is not None:
        write_settings(folder, settings)
    store = Store.open(folder)
    try:
        assert store.settings.problems == ()
        return kpi_values(store, period, filters)
    finally:
        store.close()


# --- the default definitions ------------------------------------------------------------------

def test_kpi_values_have_exactly_the_registry_names(operation):
    assert list(figures(operation)) == list(KPI_NAMES)


def test_contacts_count_every_arrival_in_every_channel(operation):
    # 6 phone + 3 chat + 3 email + 1 social + 1 sms + 2 self-service
    assert figures(operation)["contacts"] == 16


def test_csat_counts_only_rated_interactions(operation):
    # ratings P1 5, P2 4, P3 2, C1 3, E1 5, E2 1: 3 of 6 are 4 or 5 -> 50.0%
    assert figures(operation)["csat_pct"] == pytest.approx(50.0)


def test_response_rate_is_ratings_over_served_contacts(operation):
    # served: 9 answered (P1-3, C1-2, E1-2, S1, M1) + SS1 self-served (SS2 gave up) = 10
    # 6 ratings / 10 served -> 60.0%
    assert figures(operation)["response_rate_pct"] == pytest.approx(60.0)


def test_nps_is_promoters_minus_detractors_over_responses(operation):
    # answers 10, 9, 3, 9, 0: promoters (9-10) P1, P2, E1 = 3; detractors (0-6) P3, E2 = 2
    # (3 - 2) / 5 * 100 = +20
    assert figures(operation)["nps"] == pytest.approx(20.0)


def test_ces_is_the_mean_effort_answer(operation):
    # 7 + 5 + 2 + 4 = 18 over 4 answers -> 4.5
    assert figures(operation)["ces"] == pytest.approx(4.5)


def test_fcr_counts_only_contacts_with_a_known_outcome(operation):
    # flags P1 T, P2 F, P3 T, C1 T, E1 T, E2 F: 4 of 6 -> 66.67%
    assert figures(operation)["fcr_pct"] == pytest.approx(400 / 6)


def test_aht_is_talk_hold_and_wrap_over_handled_contacts(operation):
    # handled (answered, handle time recorded): P1 300, P2 360, P3 180, C1 420, C2 120,
    # E1 300, E2 180, S1 60 = 1,920 s over 8; M1 has no handle time and is left out -> 240 s
    assert figures(operation)["aht_seconds"] == pytest.approx(240.0)


def test_asa_is_the_mean_wait_of_answered_live_contacts(operation):
    # P1 10, P2 30, P3 20, C1 5, C2 15 = 80 s over 5; email waits do not count -> 16 s
    assert figures(operation)["asa_seconds"] == pytest.approx(16.0)


def test_abandon_rate_leaves_short_abandons_out_of_both_counts(operation):
    # live: 9 (P1-6, C1-3); P4 left after 3 s < 5 s: offered 8; abandoned P5, P6, C3 = 3 -> 37.5%
    assert figures(operation)["abandon_rate_pct"] == pytest.approx(37.5)


def test_service_level_is_answered_within_threshold_over_offered(operation):
    # within 20 s (inclusive): P1 10, P3 20, C1 5, C2 15 = 4; P2 waited 30. 4 / 8 offered -> 50.0%
    assert figures(operation)["service_level_pct"] == pytest.approx(50.0)


def test_first_response_target_counts_unanswered_async_contacts_as_missed(operation):
    # async: E1 1 h (in), E2 3 h (out), E3 never (out), S1 exactly 2 h (in), M1 100 s (in) -> 3/5
    assert figures(operation)["first_response_target_pct"] == pytest.approx(60.0)


def test_blended_cost_per_contact_spreads_monthly_cost_and_excludes_one_time(operation):
    # $130 for the day (phone 100 + chat 20 + shared 10; one-time left out) / 10 served -> $13
    assert figures(operation)["cost_per_contact_usd"] == pytest.approx(13.0)


# --- filters -----------------------------------------------------------------------------------

def test_channel_filter_restricts_contacts_ratings_and_costs(operation):
    values = figures(operation, filters=Filters(channels=("phone",)))
    assert values["contacts"] == 6
    # P1 5, P2 4, P3 2 -> 2 of 3
    assert values["csat_pct"] == pytest.approx(200 / 3)
    # phone's own $100 (shared costs count only in the blended figure) / 3 served phone contacts
    assert values["cost_per_contact_usd"] == pytest.approx(100 / 3)


def test_two_channel_filter_adds_their_costs_and_contacts(operation):
    values = figures(operation, filters=Filters(channels=("phone", "chat")))
    assert values["contacts"] == 9
    # $100 + $20 over 5 served (P1-3, C1, C2)
    assert values["cost_per_contact_usd"] == pytest.approx(24.0)


def test_queue_filter_leaves_cost_per_contact_without_a_basis(operation):
    values = figures(operation, filters=Filters(queues=("billing",)))
    # billing: P1, P2, P5, C2, C3, E2, E3
    assert values["contacts"] == 7
    # P1 5, P2 4, E2 1 -> 2 of 3
    assert values["csat_pct"] == pytest.approx(200 / 3)
    assert values["cost_per_contact_usd"] is None


def test_team_filter_leaves_cost_per_contact_without_a_basis(operation):
    values = figures(operation, filters=Filters(teams=("south",)))
    # south: P3, P4, P6, C1, E1, S1, M1
    assert values["contacts"] == 7
    assert values["cost_per_contact_usd"] is None


def test_contacts_without_queue_or_team_are_filtered_as_none(operation):
    assert figures(operation, filters=Filters(queues=("(none)",)))["contacts"] == 2  # SS1, SS2


# --- variants set in cxdash.toml ---------------------------------------------------------------

def test_csat_good_bad_method_leaves_neutral_ratings_out(operation):
    # good (4-5) 3, bad (1-2) 2 (P3, E2); C1's 3 left out: 3 / 5 -> 60.0%
    values = figures(operation, '[metrics]\ncsat_method = "good_bad"\n')
    assert values["csat_pct"] == pytest.approx(60.0)


def test_csat_mean_method_is_the_average_rating(operation):
    # (5 + 4 + 2 + 3 + 5 + 1) / 6 = 20 / 6
    values = figures(operation, '[metrics]\ncsat_method = "mean"\n')
    assert values["csat_pct"] == pytest.approx(20 / 6)


def test_short_abandon_zero_counts_every_abandon(operation):
    values = figures(operation, "[metrics]\nshort_abandon_seconds = 0\n")
    # offered 9, abandoned P4, P5, P6, C3 = 4 -> 44.4%
    assert values["abandon_rate_pct"] == pytest.approx(400 / 9)
    # answered within 20 s still 4, now over 9 offered
    assert values["service_level_pct"] == pytest.approx(400 / 9)


def test_short_abandon_threshold_is_a_setting(operation):
    # under 10 s: P4 (3 s) and C3 (5 s) are short; offered 7, abandoned P5, P6 -> 28.6%
    values = figures(operation, "[metrics]\nshort_abandon_seconds = 10\n")
    assert values["abandon_rate_pct"] == pytest.approx(200 / 7)


def test_service_level_answered_only_leaves_abandons_out(operation):
    # 4 within 20 s / 5 answered -> 80.0%
    values = figures(operation, '[metrics]\nservice_level_abandons = "answered_only"\n')
    assert values["service_level_pct"] == pytest.approx(80.0)


def test_service_level_can_count_abandons_within_threshold_as_met(operation):
    # (4 answered within 20 s + P5 at 15 s + C3 at 5 s) / 8 offered -> 75.0%
    values = figures(operation, '[metrics]\nservice_level_abandons = "abandon_within_threshold_meets"\n')
    assert values["service_level_pct"] == pytest.approx(75.0)


def test_abandons_within_threshold_include_short_ones_when_the_exclusion_is_off(operation):
    # offered 9; met: 4 answered + P4 3 s, P5 15 s, C3 5 s -> 7 / 9
    values = figures(operation, "[metrics]\nservice_level_abandons = "
                                '"abandon_within_threshold_meets"\nshort_abandon_seconds = 0\n')
    assert values["service_level_pct"] == pytest.approx(700 / 9)


def test_service_level_threshold_is_a_setting(operation):
    # within 30 s: P1, P2 (exactly 30), P3, C1, C2 = 5 / 8 -> 62.5%
    values = figures(operation, "[metrics]\nservice_level_seconds = 30\n")
    assert values["service_level_pct"] == pytest.approx(62.5)


def test_first_response_target_per_channel_keeps_the_other_channels_defaults(operation):
    # email 4 h: E1 in, E2 (3 h) in, E3 out; social and sms keep 2 h: S1 in, M1 in -> 4 / 5
    values = figures(operation, "[metrics.first_response_seconds]\nemail = 14400\n")
    assert values["first_response_target_pct"] == pytest.approx(80.0)


def test_live_channels_setting_decides_which_contacts_have_asa_abandons_and_service_level(operation):
    values = figures(operation, '[metrics]\nlive_channels = ["phone"]\n')
    # phone only. ASA: (10 + 30 + 20) / 3 = 20 s
    assert values["asa_seconds"] == pytest.approx(20.0)
    # offered P1, P2, P3, P5, P6 (P4 short) = 5; abandoned P5, P6 -> 40%
    assert values["abandon_rate_pct"] == pytest.approx(40.0)
    # within 20 s: P1, P3 -> 2 / 5
    assert values["service_level_pct"] == pytest.approx(40.0)


# --- null where the data has no basis ----------------------------------------------------------

def test_kpis_without_a_basis_are_none_not_zero(tmp_path):
    write_interactions(tmp_path, [unanswered("E9", "email", 0), unanswered("SS9", "self_service", 1)])
    # a costs table with nothing for this month: no cost per contact (without a costs table at
    # all, the settings' cost model would give one)
    write_costs(tmp_path, [{"month": "2023-01-01", "channel": "phone", "cost_type": "labor",
                            "amount_usd": 10.0}])
    values = figures(tmp_path)
    assert values["contacts"] == 2
    for name in ("csat_pct", "nps", "ces", "fcr_pct", "aht_seconds", "asa_seconds",
                 "abandon_rate_pct", "service_level_pct", "cost_per_contact_usd"):
        assert values[name] is None, name
    # these have a basis and are genuinely zero: SS9 served without a rating; E9 never answered
    assert values["response_rate_pct"] == 0.0
    assert values["first_response_target_pct"] == 0.0


def test_a_period_without_contacts_has_zero_contacts_and_no_other_figures(operation):
    values = figures(operation, period=Period(date(2024, 1, 11), date(2024, 1, 12)))
    assert values["contacts"] == 0
    assert all(values[name] is None for name in KPI_NAMES if name != "contacts")


def test_an_empty_data_folder_still_answers_with_no_figures(tmp_path):
    values = figures(tmp_path)
    assert values["contacts"] == 0
    assert all(values[name] is None for name in KPI_NAMES if name != "contacts")


# --- costs spread over the days of their month -------------------------------------------------

@pytest.fixture
def leap_february(tmp_path: Path) -> Path:
    def phone(interaction_id: str, utc_text: str) -> dict:
        arrived = datetime.fromisoformat(utc_text).replace(tzinfo=UTC)
        return {"interaction_id": interaction_id, "channel": "phone", "arrived_at": arrived,
                "answered_at": arrived + timedelta(seconds=10), "abandoned": False,
                "talk_seconds": 100.0}

    # 18:00 UTC is 10:00 in Los Angeles on each of these days (before the March clock change)
    write_interactions(tmp_path, [
        phone("F1", "2024-02-10 18:00"), phone("F2", "2024-02-10 19:00"),
        phone("F3", "2024-02-11 18:00"),
        phone("F4", "2024-02-29 18:00"),
        phone("M1", "2024-03-01 18:00"),
    ])
    # February 2024 has 29 days: $2,900 -> $100 a day; no March costs
    write_costs(tmp_path, [
        {"month": "2024-02-01", "channel": "phone", "cost_type": "labor", "amount_usd": 2900.0},
        {"month": "2024-02-01", "channel": "phone", "cost_type": "one_time", "amount_usd": 5000.0},
    ])
    return tmp_path


def test_monthly_cost_is_spread_evenly_over_the_days_of_the_month(leap_february):
    # one day's $100 over its 2 served contacts
    assert figures(leap_february, period=Period(date(2024, 2, 10), date(2024, 2, 10)))[
        "cost_per_contact_usd"] == pytest.approx(50.0)


def test_cost_per_contact_sums_cost_and_contacts_over_the_period(leap_february):
    # $200 over 3 served contacts
    assert figures(leap_february, period=Period(date(2024, 2, 10), date(2024, 2, 11)))[
        "cost_per_contact_usd"] == pytest.approx(200 / 3)


def test_cost_per_contact_counts_only_days_that_have_cost_data(leap_february):
    # 29 Feb: $100 and 1 contact; 1 March has a contact but no cost data, so it is left out
    values = figures(leap_february, period=Period(date(2024, 2, 29), date(2024, 3, 1)))
    assert values["contacts"] == 2
    assert values["cost_per_contact_usd"] == pytest.approx(100.0)


def test_cost_per_contact_is_none_without_cost_data(leap_february):
    assert figures(leap_february, period=Period(date(2024, 3, 1), date(2024, 3, 31)))[
        "cost_per_contact_usd"] is None


# --- local days ----------------------------------------------------------------------------------

@pytest.fixture
def around_midnight(tmp_path: Path) -> Path:
    def visit(interaction_id: str, utc_text: str) -> dict:
        return {"interaction_id": interaction_id, "channel": "self_service",
                "arrived_at": datetime.fromisoformat(utc_text).replace(tzinfo=UTC),
                "abandoned": False}

    write_interactions(tmp_path, [
        visit("a", "2024-01-02 06:30:00"),   # 1 Jan 22:30 PST
        visit("b", "2024-01-02 07:59:59"),   # 1 Jan 23:59:59 PST
        visit("c", "2024-01-02 08:00:00"),   # 2 Jan 00:00 PST
        visit("d", "2024-07-02 06:30:00"),   # 1 Jul 23:30 PDT (daylight saving time)
        visit("e", "2024-07-02 07:00:00"),   # 2 Jul 00:00 PDT
    ])
    return tmp_path


def _contacts_on(folder: Path, day: date, settings: str | None = None) -> int:
    return figures(folder, settings, period=Period(day, day))["contacts"]


def test_a_contact_at_0630_utc_belongs_to_the_previous_day_in_los_angeles(around_midnight):
    assert _contacts_on(around_midnight, date(2024, 1, 1)) == 2
    assert _contacts_on(around_midnight, date(2024, 1, 2)) == 1


def test_day_boundaries_follow_daylight_saving_time(around_midnight):
    assert _contacts_on(around_midnight, date(2024, 7, 1)) == 1
    assert _contacts_on(around_midnight, date(2024, 7, 2)) == 1


def test_timezone_setting_moves_the_day_boundaries(around_midnight):
    utc_zone = 'timezone = "UTC"\n'
    assert _contacts_on(around_midnight, date(2024, 1, 1), utc_zone) == 0
    assert _contacts_on(around_midnight, date(2024, 1, 2), utc_zone) == 3
    assert _contacts_on(around_midnight, date(2024, 7, 2), utc_zone) == 2


def test_period_end_date_is_inclusive(around_midnight):
    assert figures(around_midnight, period=Period(date(2024, 1, 1), date(2024, 1, 2)))["contacts"] == 3


# --- status against targets ----------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    (93.0, "green"), (86.0, "green"), (85.5, "amber"), (85.0, "amber"), (84.9, "red")])
def test_status_of_a_higher_is_better_metric(value, expected):
    # CSAT: green from 86, amber from 85
    assert status("csat_pct", value, DEFAULT_TARGETS["csat_pct"]) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (12.0, "green"), (30.0, "green"), (35.0, "amber"), (40.0, "amber"), (40.1, "red")])
def test_status_of_a_lower_is_better_metric(value, expected):
    # ASA: green up to 30 s, amber up to 40 s
    assert status("asa_seconds", value, DEFAULT_TARGETS["asa_seconds"]) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (240.0, "green"), (300.0, "green"), (420.0, "green"), (210.0, "amber"), (480.0, "amber"),
    (199.0, "red"), (500.0, "red")])
def test_status_of_a_band_metric(value, expected):
    # AHT: green 240-420 s, amber 200-480 s, red beyond
    assert status("aht_seconds", value, DEFAULT_TARGETS["aht_seconds"]) == expected


def test_status_is_none_without_a_value_or_a_target():
    assert status("csat_pct", None, DEFAULT_TARGETS["csat_pct"]) == "none"
    assert status("csat_pct", float("nan"), DEFAULT_TARGETS["csat_pct"]) == "none"
    assert status("csat_pct", 90.0, None) == "none"
    assert status("contacts", 100.0, Target()) == "none"


def test_status_without_an_amber_line_goes_straight_from_green_to_red():
    target = Target(good=80)
    assert status("service_level_pct", 80.0, target) == "green"
    assert status("service_level_pct", 79.9, target) == "red"


# --- periods -------------------------------------------------------------------------------------

def test_previous_period_of_some_days_is_the_same_number_of_days_just_before():
    week = Period(date(2024, 3, 11), date(2024, 3, 17))
    assert week.previous() == Period(date(2024, 3, 4), date(2024, 3, 10))


def test_previous_period_of_a_whole_month_is_the_whole_month_before():
    # March has 31 days, leap February 29: still the whole month, not 31 days back
    assert Period(date(2024, 3, 1), date(2024, 3, 31)).previous() == \
        Period(date(2024, 2, 1), date(2024, 2, 29))
    assert Period(date(2024, 1, 1), date(2024, 1, 31)).previous() == \
        Period(date(2023, 12, 1), date(2023, 12, 31))


def test_previous_period_of_a_quarter_is_the_quarter_before():
    assert Period(date(2024, 1, 1), date(2024, 3, 31)).previous() == \
        Period(date(2023, 10, 1), date(2023, 12, 31))


def test_last_year_of_a_whole_leap_february_is_the_whole_february_before():
    assert Period(date(2024, 2, 1), date(2024, 2, 29)).last_year() == \
        Period(date(2023, 2, 1), date(2023, 2, 28))
    assert Period(date(2025, 2, 1), date(2025, 2, 28)).last_year() == \
        Period(date(2024, 2, 1), date(2024, 2, 29))


def test_last_year_of_a_leap_day_is_the_28th_of_february():
    leap_day = Period(date(2024, 2, 29), date(2024, 2, 29))
    assert leap_day.last_year() == Period(date(2023, 2, 28), date(2023, 2, 28))


def test_last_year_of_some_days_is_the_same_dates():
    assert Period(date(2024, 5, 6), date(2024, 5, 12)).last_year() == \
        Period(date(2023, 5, 6), date(2023, 5, 12))


def test_whole_months_need_the_first_and_the_last_day():
    assert Period(date(2024, 1, 1), date(2024, 2, 29)).is_whole_months
    assert not Period(date(2024, 1, 1), date(2024, 2, 28)).is_whole_months
    assert not Period(date(2024, 1, 2), date(2024, 1, 31)).is_whole_months
    assert Period(date(2024, 1, 1), date(2024, 1, 31)).days == 31


def test_default_period_is_the_last_full_month_before_today():
    period = default_period(None, date(2024, 5, 15))
    assert period == Period(date(2024, 4, 1), date(2024, 4, 30))
    assert str(period) == "April 2024"
    assert default_period(None, date(2024, 1, 5)) == Period(date(2023, 12, 1), date(2023, 12, 31))


def test_default_period_with_data_up_to_yesterday_is_the_last_full_month():
    assert default_period(date(2024, 5, 14), date(2024, 5, 15)) == \
        Period(date(2024, 4, 1), date(2024, 4, 30))


def test_default_period_is_the_last_month_the_data_covers_in_full():
    assert default_period(date(2024, 3, 31), date(2024, 5, 15)) == \
        Period(date(2024, 3, 1), date(2024, 3, 31))
    # data ending on 30 March does not cover March: February, with its leap day
    assert default_period(date(2024, 3, 30), date(2024, 5, 15)) == \
        Period(date(2024, 2, 1), date(2024, 2, 29))


# --- settings --------------------------------------------------------------------------------------

def test_settings_from_an_empty_document_are_the_seed_defaults():
    settings = settings_from_dict({})
    assert settings == Settings()
    assert settings.timezone == "America/Los_Angeles"
    assert settings.service_level_seconds == 20.0
    assert settings.short_abandon_seconds == 5.0
    assert settings.problems == ()


def test_settings_apply_valid_values_and_lowercase_channels():
    settings = settings_from_dict({
        "timezone": "Europe/Berlin",
        "metrics": {"service_level_seconds": 30, "short_abandon_seconds": 0,
                    "service_level_abandons": "answered_only", "csat_method": "mean",
                    "live_channels": ["PHONE", "Chat", "sms"], "async_channels": ["email"],
                    "first_response_seconds": {"EMAIL": 3600}},
        "targets": {"csat_pct": {"good": 90, "warn": 88}},
    })
    assert settings.problems == ()
    assert settings.timezone == "Europe/Berlin"
    assert settings.service_level_seconds == 30.0
    assert settings.short_abandon_seconds == 0.0
    assert settings.service_level_abandons == "answered_only"
    assert settings.csat_method == "mean"
    assert settings.live_channels == ("phone", "chat", "sms")
    assert settings.async_channels == ("email",)
    assert settings.first_response_seconds["email"] == 3600.0
    assert settings.targets["csat_pct"].good == 90.0
    assert settings.targets["nps"] == DEFAULT_TARGETS["nps"]


def test_a_bad_timezone_keeps_the_default_and_is_reported():
    settings = settings_from_dict({"timezone": "Mars/Olympus_Mons"})
    assert settings.timezone == "America/Los_Angeles"
    assert len(settings.problems) == 1
    assert "timezone" in settings.problems[0] and "Mars/Olympus_Mons" in settings.problems[0]


@pytest.mark.parametrize(("metrics", "key"), [
    ({"service_level_seconds": "twenty"}, "service_level_seconds"),
    ({"service_level_seconds": 0}, "service_level_seconds"),
    ({"service_level_seconds": True}, "service_level_seconds"),
    ({"short_abandon_seconds": -1}, "short_abandon_seconds"),
    ({"service_level_abandons": "sometimes"}, "service_level_abandons"),
    ({"csat_method": "median"}, "csat_method"),
    ({"live_channels": ["phone", "fax"]}, "live_channels"),
    ({"live_channels": []}, "live_channels"),
    ({"async_channels": "email"}, "async_channels"),
    ({"first_response_seconds": {"email": -5}}, "first_response_seconds"),
    ({"first_response_seconds": {"fax": 60}}, "first_response_seconds"),
    ({"first_response_seconds": {"email": True}}, "first_response_seconds"),
])
def test_a_bad_metric_setting_keeps_the_default_and_is_reported(metrics, key):
    settings = settings_from_dict({"metrics": metrics})
    assert getattr(settings, key) == getattr(Settings(), key)
    assert len(settings.problems) == 1
    assert f"metrics.{key}" in settings.problems[0]


def test_one_bad_setting_does_not_discard_the_good_ones():
    settings = settings_from_dict({"metrics": {"csat_method": "median", "service_level_seconds": 30}})
    assert settings.service_level_seconds == 30.0
    assert settings.csat_method == "top2box"
    assert len(settings.problems) == 1


def test_a_bad_target_is_ignored_and_reported():
    settings = settings_from_dict({"targets": {"csat_pct": "high", "nps": {"good": "forty"}}})
    assert settings.targets["csat_pct"] == DEFAULT_TARGETS["csat_pct"]
    assert settings.targets["nps"] == DEFAULT_TARGETS["nps"]
    assert len(settings.problems) == 2
    assert any("targets.csat_pct" in p for p in settings.problems)


@pytest.mark.parametrize("document", [{"metrics": "fast"}, {"targets": 5}, {"metrics": ["csat"]}])
def test_a_section_that_is_not_a_table_keeps_defaults_and_is_reported(document):
    settings = settings_from_dict(document)
    assert settings.problems
    assert settings.service_level_seconds == 20.0
    assert settings.targets == DEFAULT_TARGETS


def test_an_unreadable_settings_file_falls_back_to_defaults(tmp_path):
    write_settings(tmp_path, "[metrics\ncsat_method = ")
    settings = load_settings(tmp_path)
    assert settings.csat_method == "top2box"
    assert len(settings.problems) == 1 and "cxdash.toml" in settings.problems[0]


def test_a_bad_settings_file_still_opens_the_store_with_defaults(operation):
    write_settings(operation, '[metrics]\ncsat_method = "median"\n')
    store = Store.open(operation)
    try:
        assert store.settings.problems
        assert kpi_values(store, TENTH)["csat_pct"] == pytest.approx(50.0)
    finally:
        store.close()


def test_settings_fingerprint_follows_definitions_but_not_targets():
    base = settings_from_dict({})
    assert settings_from_dict({"metrics": {"service_level_seconds": 30}}).fingerprint() != \
        base.fingerprint()
    assert settings_from_dict({"timezone": "UTC"}).fingerprint() != base.fingerprint()
    assert settings_from_dict({"targets": {"csat_pct": {"good": 95}}}).fingerprint() == \
        base.fingerprint()


def test_an_absent_abandoned_flag_is_derived_from_the_answer_on_the_configured_live_channels(tmp_path):
    # no abandoned column given: Q1 answered after 10 s, Q2 never answered (left after 30 s),
    # T1 an sms never answered. With sms live: offered 3, abandoned Q2 and T1 -> 66.7%;
    # by default sms is asynchronous: offered Q1, Q2 -> abandoned 1 of 2 = 50%
    rows = [
        {"interaction_id": "Q1", "channel": "phone", "arrived_at": OPENING,
         "answered_at": OPENING + timedelta(seconds=10)},
        {"interaction_id": "Q2", "channel": "phone", "arrived_at": OPENING,
         "ended_at": OPENING + timedelta(seconds=30)},
        {"interaction_id": "T1", "channel": "sms", "arrived_at": OPENING,
         "ended_at": OPENING + timedelta(seconds=30)},
    ]
    write_interactions(tmp_path, rows)
    assert figures(tmp_path)["abandon_rate_pct"] == pytest.approx(50.0)
    live_sms = figures(tmp_path, '[metrics]\nlive_channels = ["phone", "chat", "sms"]\n'
                                 'async_channels = ["email", "social"]\n')
    assert live_sms["abandon_rate_pct"] == pytest.approx(200 / 3)


def test_periods_read_as_months_when_they_are_whole_months():
    assert str(Period(date(2026, 9, 1), date(2026, 9, 30))) == "September 2026"
    assert str(Period(date(2026, 7, 1), date(2026, 9, 30))) == "Jul 2026 – Sep 2026"
    assert str(Period(date(2026, 9, 2), date(2026, 9, 30))) == "02 Sep 2026 – 30 Sep 2026"
