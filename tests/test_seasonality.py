"""Seasonality by hand: years aligned by ISO week and weekday, whole units only, holiday and special-day
uplift against comparable normal days, and the decomposition's parts, strengths and spikes."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from cxdash import seasonality
from cxdash.settings import Settings, SpecialDay, settings_from_dict

SETTINGS = Settings()


def days(first: date, last: date, contacts) -> pd.DataFrame:
    """A daily frame of contacts: `contacts` is a number or a function of the day."""
    span = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return pd.DataFrame({"day": span, "contacts": [contacts(d) if callable(contacts) else contacts
                                                   for d in span]})


def test_days_meet_the_same_weekday_of_the_same_iso_week_a_year_earlier():
    # 6 January 2025 is the Monday of ISO week 2; so is 8 January 2024 (not 6 January 2024, a Saturday)
    frame = days(date(2024, 1, 1), date(2025, 1, 31), lambda d: d.day + 100 * (d.year - 2023))
    units = seasonality.by_unit(frame, "contacts", "day", SETTINGS).set_index(["year", "label"])
    monday = units.loc[(2025, "W02 Mon")]
    assert monday["value"] == 206 and monday["last_year"] == 108  # 6 Jan 2025 against 8 Jan 2024
    assert monday["change_pct"] == pytest.approx(100 * (206 / 108 - 1))
    # 30 December 2024 is a Monday of ISO 2025's first week: it counts in 2025, not 2024
    assert units.loc[(2025, "W01 Mon"), "value"] == 30 + 100  # the day of 30 December 2024


def test_only_whole_weeks_months_and_quarters_are_compared():
    # data from Wednesday 3 January 2024 to Friday 14 March 2025
    frame = days(date(2024, 1, 3), date(2025, 3, 14), 10)
    weeks = seasonality.by_unit(frame, "contacts", "week", SETTINGS)
    assert (weeks["value"] == 70).all()  # ISO 2024 W01 (from Wed) and 2025 W11 (to Fri) left out
    assert weeks.loc[weeks["year"] == 2024, "position"].min() == 2
    months = seasonality.by_unit(frame, "contacts", "month", SETTINGS).set_index(["year", "position"])
    assert (2024, 1) not in months.index and (2025, 3) not in months.index
    assert months.loc[(2025, 2), "value"] == 280 and months.loc[(2025, 2), "last_year"] == 290  # 29 days
    assert months.loc[(2025, 2), "change_pct"] == pytest.approx(100 * (280 / 290 - 1))
    quarters = seasonality.by_unit(frame, "contacts", "quarter", SETTINGS)
    assert list(zip(quarters["year"], quarters["position"], strict=True)) == [(2024, 2), (2024, 3), (2024, 4)]


def test_year_to_date_compares_every_whole_year_over_the_latest_years_span():
    # 2023-2025 in full, 2026 to the end of March: every year's January to March, Q1
    frame = days(date(2023, 1, 1), date(2026, 3, 31), lambda d: {2023: 1, 2024: 2, 2025: 3, 2026: 6}[d.year])
    result = seasonality.year_to_date(frame, "contacts", "month", SETTINGS)
    assert list(result["year"]) == [2023, 2024, 2025, 2026] and set(result["through"]) == {"Mar"}
    assert list(result["value"]) == [90, 2 * 91, 3 * 90, 6 * 90]  # 2024 is a leap year
    assert result["change_pct"].iloc[-1] == pytest.approx(100.0)
    assert math.isnan(result["change_pct"].iloc[0])
    # a year the data holds only in part is left out (2023 starts in February here)
    later = seasonality.year_to_date(frame[frame["day"] >= date(2023, 2, 1)], "contacts", "month", SETTINGS)
    assert list(later["year"]) == [2024, 2025, 2026]


def test_uplift_is_measured_against_the_same_weekday_on_normal_days_nearby():
    # every day 100 contacts, every Monday 200; a holiday Monday with 300, and the Monday a week
    # later also special (1,000) so that it cannot count in the first one's baseline
    holiday, other = date(2025, 6, 2), date(2025, 6, 9)
    frame = days(date(2025, 3, 1), date(2025, 8, 31),
                 lambda d: 300 if d == holiday else 1000 if d == other else 200 if d.weekday() == 0 else 100)
    calendar = pd.DataFrame([
        {"day": holiday, "name": "Founders Day", "kind": "holiday", "event_start": holiday},
        {"day": other, "name": "Flash sale", "kind": "special day", "event_start": other},
        # a two-day sale on a Tuesday and a Wednesday with 150 each
        *({"day": day, "name": "Summer sale", "kind": "special day", "event_start": date(2025, 7, 15)}
          for day in (date(2025, 7, 15), date(2025, 7, 16))),
    ])
    frame.loc[frame["day"].isin([date(2025, 7, 15), date(2025, 7, 16)]), "contacts"] = 150
    result = seasonality.uplift(frame, calendar).set_index("name")
    assert result.loc["Founders Day", "baseline_per_day"] == 200
    assert result.loc["Founders Day", "uplift_pct"] == pytest.approx(50.0)
    assert result.loc["Flash sale", "uplift_pct"] == pytest.approx(400.0)
    sale = result.loc["Summer sale"]
    assert sale["days"] == 2 and sale["contacts_per_day"] == 150 and sale["uplift_pct"] == pytest.approx(50.0)
    assert sale["start"] == date(2025, 7, 15) and sale["end"] == date(2025, 7, 16)


def test_uplift_compares_each_event_with_the_same_event_a_year_earlier():
    frame = days(date(2024, 1, 1), date(2025, 12, 31), 100)
    for day, value in ((date(2024, 11, 29), 160), (date(2025, 11, 28), 180)):
        frame.loc[frame["day"] == day, "contacts"] = value
    calendar = pd.DataFrame([{"day": d, "name": "Black Friday", "kind": "special day", "event_start": d}
                             for d in (date(2024, 11, 29), date(2025, 11, 28))])
    result = seasonality.uplift(frame, calendar)
    assert list(result["uplift_pct"]) == pytest.approx([60.0, 80.0])
    assert math.isnan(result["last_year_uplift_pct"].iloc[0])
    assert result["last_year_uplift_pct"].iloc[1] == pytest.approx(60.0)


def test_the_calendar_holds_the_countrys_holidays_and_the_users_special_days():
    settings = settings_from_dict({"calendar": {"country": "US", "subdivision": "OR", "special_days": [
        {"name": "Spring sale", "start": "2025-03-03", "end": "2025-03-04"}]}})
    assert settings.special_days == (SpecialDay("Spring sale", date(2025, 3, 3), date(2025, 3, 4)),)
    calendar = seasonality.calendar_days(settings, date(2025, 1, 1), date(2025, 12, 31))
    named = calendar.set_index("day")["name"]
    assert named[date(2025, 11, 27)] == "Thanksgiving Day" and named[date(2025, 12, 25)] == "Christmas Day"
    assert named[date(2025, 3, 3)] == named[date(2025, 3, 4)] == "Spring sale"
    assert set(calendar["kind"]) == {"holiday", "special day"}


def test_decomposition_finds_the_weekly_pattern_and_the_day_it_cannot_explain():
    rng = np.random.default_rng(3)
    frame = days(date(2025, 1, 1), date(2025, 6, 30),
                 lambda d: 1000 + (300 if d.weekday() == 0 else 0) - (400 if d.weekday() >= 5 else 0))
    frame["contacts"] = frame["contacts"] + rng.normal(0, 10, len(frame))
    spike = date(2025, 4, 16)
    frame.loc[frame["day"] == spike, "contacts"] += 600
    series = pd.Series(frame["contacts"].to_numpy(), index=frame["day"])
    calendar = pd.DataFrame([{"day": spike, "name": "Outage", "kind": "special day", "event_start": spike}])
    result = seasonality.decompose(series, calendar)
    assert result.periods == (7,)  # half a year: no yearly part
    assert result.strength["weekly"] > 0.95 and result.strength["yearly"] is None
    assert result.spikes["day"].iloc[0] == spike and result.spikes["calendar"].iloc[0] == "Outage"
    assert result.spikes["residual"].iloc[0] == pytest.approx(600, rel=0.15)
    parts = result.components
    assert np.allclose(parts["trend"] + parts["weekly"] + parts["residual"], parts["observed"])


def test_two_years_give_a_yearly_part_and_a_month_gives_none():
    frame = days(date(2023, 1, 1), date(2025, 3, 31),
                 lambda d: 1000 + 500 * math.sin(2 * math.pi * d.timetuple().tm_yday / 365.25)
                 + (200 if d.weekday() == 0 else 0))
    series = pd.Series(frame["contacts"].to_numpy(), index=frame["day"])
    result = seasonality.decompose(series)
    assert result.periods == (7, 365)
    assert result.strength["yearly"] > 0.9 and result.strength["weekly"] > 0.9
    assert seasonality.decompose(series.iloc[:20]) is None


def test_decomposition_of_a_store_is_computed_once(demo_folder):
    from cxdash.store import Store

    with Store.open(demo_folder) as store:
        first = seasonality.decomposition(store, "contacts", ())
        assert seasonality.decomposition(store, "contacts", ()) is first
        assert first.periods == (7, 365) and len(first.components) == 1096
        assert seasonality.decomposition(store, "contacts", ("phone",)) is not first


def test_the_weekday_peak_hour_against_midday_by_hand():
    rows = [{"weekday": weekday, "hour": hour, "hours": 1,
             "contacts": {12: 10, 19: 13}.get(hour, 5) if weekday < 5 else (100 if hour == 20 else 1)}
            for weekday in range(7) for hour in range(24)]
    peak = seasonality.weekday_peak_over_midday(pd.DataFrame(rows))
    assert peak["peak_hour"] == 19  # the weekend's busy 20:00 does not count
    assert peak["over_midday_pct"] == pytest.approx(30.0)
    quiet = pd.DataFrame([{**row, "contacts": 0} for row in rows])
    assert seasonality.weekday_peak_over_midday(quiet) is None


def test_the_pages_view_of_one_working_week_by_hand(tmp_path):
    from cxdash.store import Store
    from cxdash.views.seasonality import choices, decomposition_section, seasonality_page
    from tests.builders import write_interactions

    # Monday 9 to Friday 13 March 2026 in Los Angeles (UTC-7): each day two calls at 19:30, one at 12:30
    rows = []
    for day in range(9, 14):
        for n, local in enumerate(("19:30", "19:30", "12:30")):
            rows.append({"interaction_id": f"{day}-{n}", "channel": "phone",
                         "arrived_at": f"2026-03-{day:02d} {local}-07:00"})
    write_interactions(tmp_path, rows)
    with Store.open(tmp_path) as store:
        assert choices(store, (date(2026, 3, 9), date(2026, 3, 13))) == (["phone"], ["2026"])
        by_day = seasonality_page(store, "contacts", "day")
        by_week = seasonality_page(store, "contacts", "week", ["phone"], [2026])
        assert decomposition_section(store, "contacts") is None  # under four weeks of days
    assert by_day.years == [2026]  # no year chosen: every year
    # days are whole units, but no year holds ISO week 1 to compare: a chart and no tiles
    assert by_day.units["value"].tolist() == [3.0] * 5 and by_day.year_tiles == ()
    assert by_day.years_chart is not None and by_day.change_chart is None  # no year before to change on
    assert by_week.units.empty and by_week.years_chart is None  # five days are not a whole week
    # 10 of 15 contacts from 19:00 to 21:00; on weekdays 2 an hour at 19:00 against 1 at midday
    assert {tile.label: tile.value for tile in by_day.shape_tiles} == {
        "Share of contacts 19:00–21:00": "66.7%", "Weekday peak hour against midday": "+100%"}
    assert "(19:00)" in by_day.shape_tiles[1].help
    assert by_day.shape_caption.startswith("Arrivals by local hour in America/Los_Angeles, 09 Mar 2026 to "
                                           "13 Mar 2026.")
    assert by_day.heat["contacts"].sum() == 15 and by_day.hourly["contacts"].sum() == 15
    assert by_day.uplift.empty and by_day.uplift_chart is None  # no holiday that week
    assert by_day.uplift_caption.startswith("Contacts on each holiday (US-OR, from the holidays library)")
