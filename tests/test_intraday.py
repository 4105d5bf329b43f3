"""The intraday and weekly shape by hand: real clock hours across daylight saving, heatmap, peak, channels."""

from __future__ import annotations

import json
import math
from datetime import date

import pandas as pd
import pytest

from cxdash import charts, intraday
from cxdash.charts import CHANNEL_COLORS
from cxdash.ingest import store_path
from cxdash.store import Store
from tests.builders import write_interactions, write_settings

LOS_ANGELES = "America/Los_Angeles"
FALL_BACK = date(2024, 11, 3)  # a Sunday of 25 hours: 01:00-01:59 twice (PDT, then PST)
SPRING_FORWARD = date(2024, 3, 10)  # a Sunday of 23 hours: 02:00-02:59 never happens
SUNDAY, MONDAY, TUESDAY = 6, 0, 1
WEEK = (date(2024, 11, 3), date(2024, 11, 9))  # Sunday to Saturday, the fall-back day first


def contact(interaction_id: str, channel: str, when: str) -> dict:
    return {"interaction_id": interaction_id, "channel": channel, "arrived_at": when}


# Times in UTC; Los Angeles is UTC-8 (PST) and UTC-7 (PDT, 10 March 02:00 to 3 November 02:00 2024).
# Local day, weekday and hour of each in the comment.
FIRST_FILE = [
    contact("b1", "email", "2024-03-01 20:00"),  # Fri 1 Mar 12:00, the first day of the data
    contact("s1", "phone", "2024-03-10 09:59"),  # Sun 10 Mar 01:59 PST
    contact("s2", "phone", "2024-03-10 10:00"),  # Sun 10 Mar 03:00 PDT, the next minute
    contact("s3", "chat", "2024-03-11 02:30"),  # Sun 10 Mar 19:30 PDT
    contact("f1", "phone", "2024-11-03 08:30"),  # Sun 3 Nov 01:30 PDT
    contact("f3", "chat", "2024-11-04 03:30"),  # Sun 3 Nov 19:30 PST
    contact("x1", "fax", "2024-11-03 20:00"),  # not a channel: set aside, never counted
]
SECOND_FILE = [  # 3 November continues here: a local day with rows in two files
    contact("f2", "phone", "2024-11-03 09:30"),  # Sun 3 Nov 01:30 PST, an hour after f1
    contact("f4", "chat", "2024-11-04 04:10"),  # Sun 3 Nov 20:10
    contact("f5", "email", "2024-11-03 18:00"),  # Sun 3 Nov 10:00
    contact("o1", "phone", "2024-11-04 17:00"),  # Mon 4 Nov 09:00
    contact("o2", "phone", "2024-11-05 03:00"),  # Mon 4 Nov 19:00
    contact("o3", "email", "2024-11-05 04:59"),  # Mon 4 Nov 20:59
    contact("o4", "chat", "2024-11-05 05:00"),  # Mon 4 Nov 21:00, just after the peak window
    contact("o6", "phone", "2024-11-05 07:59"),  # Mon 4 Nov 23:59
    contact("o5", "phone", "2024-11-05 08:00"),  # Tue 5 Nov 00:00
    contact("w1", "phone", "2024-11-11 03:15"),  # Sun 10 Nov 19:15
    contact("b2", "email", "2024-11-30 20:00"),  # Sat 30 Nov 12:00, the last day of the data
]


def write_operation(folder) -> None:
    write_interactions(folder, FIRST_FILE, "interactions/2024-a.parquet")
    write_interactions(folder, SECOND_FILE, "interactions/2024-b.parquet")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("intraday")
    write_operation(folder)
    with Store.open(folder) as opened:
        yield opened


def cell(frame: pd.DataFrame, weekday: int, hour: int) -> pd.Series:
    [row] = frame[(frame["weekday"] == weekday) & (frame["hour"] == hour)].to_dict("records")
    return pd.Series(row)


def nonzero(frame: pd.DataFrame, column: str) -> dict[tuple[int, int], float]:
    """The cells whose value is not zero, as {(weekday, hour): value}."""
    kept = frame[frame[column] != 0]
    return {(int(w), int(h)): v for w, h, v in zip(kept["weekday"], kept["hour"], kept[column], strict=True)}


# --- real clock hours -------------------------------------------------------------------------------------

def test_the_fall_back_day_has_25_hours_and_local_hour_1_twice():
    hours = intraday.hour_instances(FALL_BACK, FALL_BACK, LOS_ANGELES)
    assert len(hours) == 7 * 24 and list(hours.columns) == ["weekday", "hour", "hours"]
    assert hours["hours"].sum() == 25
    assert cell(hours, SUNDAY, 1)["hours"] == 2
    assert nonzero(hours, "hours") == {(SUNDAY, h): 2 if h == 1 else 1 for h in range(24)}


def test_the_spring_forward_day_has_23_hours_and_no_local_hour_2():
    hours = intraday.hour_instances(SPRING_FORWARD, SPRING_FORWARD, LOS_ANGELES)
    assert hours["hours"].sum() == 23
    assert cell(hours, SUNDAY, 2)["hours"] == 0
    assert nonzero(hours, "hours") == {(SUNDAY, h): 1 for h in range(24) if h != 2}


def test_the_hours_of_a_range_add_up_to_its_real_length():
    # 2024 is a leap year; its two changes cancel out
    year = intraday.hour_instances(date(2024, 1, 1), date(2024, 12, 31), LOS_ANGELES)
    assert year["hours"].sum() == 366 * 24
    # 2024 has 53 Mondays and Tuesdays; every Sunday hour 1 has 52 Sundays plus the repeat, hour 2 one less
    assert cell(year, MONDAY, 9)["hours"] == 53 and cell(year, SUNDAY, 9)["hours"] == 52
    assert cell(year, SUNDAY, 1)["hours"] == 53 and cell(year, SUNDAY, 2)["hours"] == 51
    two_weeks = intraday.hour_instances(date(2024, 11, 1), date(2024, 11, 14), LOS_ANGELES)
    assert two_weeks["hours"].sum() == 14 * 24 + 1
    assert cell(two_weeks, SUNDAY, 1)["hours"] == 3  # 3 November twice, 10 November once
    assert cell(two_weeks, MONDAY, 1)["hours"] == 2


def test_an_ordinary_week_has_one_hour_in_every_cell_and_other_zones_keep_their_own_clock():
    ordinary = intraday.hour_instances(date(2024, 1, 1), date(2024, 1, 7), LOS_ANGELES)
    assert (ordinary["hours"] == 1).all()
    # UTC never changes its clock; Kolkata is 5 h 30 min ahead all year
    assert intraday.hour_instances(FALL_BACK, FALL_BACK, "UTC")["hours"].sum() == 24
    assert nonzero(intraday.hour_instances(FALL_BACK, FALL_BACK, "Asia/Kolkata"), "hours") == \
        {(SUNDAY, h): 1 for h in range(24)}
    # Lord Howe Island moves its clock back half an hour (2:00 to 1:30) on 7 April 2024
    lord_howe = intraday.hour_instances(date(2024, 4, 7), date(2024, 4, 7), "Australia/Lord_Howe")
    assert lord_howe["hours"].sum() == 24.5 and cell(lord_howe, SUNDAY, 1)["hours"] == 1.5


def test_an_empty_range_has_no_hours():
    hours = intraday.hour_instances(date(2024, 1, 2), date(2024, 1, 1), LOS_ANGELES)
    assert len(hours) == 7 * 24 and hours["hours"].sum() == 0


# --- the heatmap ------------------------------------------------------------------------------------------

def test_the_heatmap_counts_both_local_1_30s_of_the_fall_back_day_in_one_cell(store):
    # f1 (in the first file) and f2 (in the second) both arrived at 01:30 local time
    frame = intraday.heatmap(store, FALL_BACK, FALL_BACK)
    assert list(frame.columns) == ["weekday", "hour", "contacts", "hours", "contacts_per_hour"]
    assert len(frame) == 7 * 24
    assert nonzero(frame, "contacts") == {(SUNDAY, 1): 2, (SUNDAY, 10): 1, (SUNDAY, 19): 1,
                                          (SUNDAY, 20): 1}
    sunday_one = cell(frame, SUNDAY, 1)
    assert (sunday_one["contacts"], sunday_one["hours"]) == (2, 2)
    assert sunday_one["contacts_per_hour"] == 1.0
    assert cell(frame, SUNDAY, 5)["contacts_per_hour"] == 0.0
    assert math.isnan(cell(frame, MONDAY, 5)["contacts_per_hour"])  # no Monday in the range


def test_the_heatmap_of_the_spring_forward_day_has_no_hour_2(store):
    frame = intraday.heatmap(store, SPRING_FORWARD, SPRING_FORWARD)
    # s1 at 01:59 and s2 a minute later, at 03:00: nothing between
    assert nonzero(frame, "contacts") == {(SUNDAY, 1): 1, (SUNDAY, 3): 1, (SUNDAY, 19): 1}
    sunday_two = cell(frame, SUNDAY, 2)
    assert sunday_two["contacts"] == 0 and sunday_two["hours"] == 0
    assert math.isnan(sunday_two["contacts_per_hour"])
    assert frame["hours"].sum() == 23


def test_the_heatmap_averages_contacts_per_real_clock_hour(store):
    frame = intraday.heatmap(store, date(2024, 11, 3), date(2024, 11, 16))
    assert frame["contacts"].sum() == 12  # the first week's 11 and w1
    assert frame["hours"].sum() == 14 * 24 + 1
    sunday_one = cell(frame, SUNDAY, 1)  # f1 and f2 over 3 Nov's two 01:00s and 10 Nov's one
    assert (sunday_one["contacts"], sunday_one["hours"]) == (2, 3)
    assert sunday_one["contacts_per_hour"] == pytest.approx(2 / 3)
    assert cell(frame, SUNDAY, 19)["contacts_per_hour"] == pytest.approx(1.0)  # f3 and w1 on 2 Sundays
    assert cell(frame, MONDAY, 19)["contacts_per_hour"] == pytest.approx(0.5)  # o2 on 2 Mondays
    assert cell(frame, TUESDAY, 0)["contacts_per_hour"] == pytest.approx(0.5)  # o5
    assert frame["contacts_per_hour"].notna().all()


def test_the_heatmap_filters_channels(store):
    chat = intraday.heatmap(store, *WEEK, channels=("chat",))
    assert nonzero(chat, "contacts") == {(SUNDAY, 19): 1, (SUNDAY, 20): 1, (MONDAY, 21): 1}
    both = intraday.heatmap(store, *WEEK, channels=("phone", "email"))
    everyone = intraday.heatmap(store, *WEEK)
    assert both["contacts"].sum() + chat["contacts"].sum() == everyone["contacts"].sum() == 11
    assert intraday.heatmap(store, *WEEK, channels=("sms",))["contacts"].sum() == 0


def test_the_heatmap_reads_only_the_days_the_data_covers(store):
    # the data ends on 30 November: December's hours would dilute the averages
    frame = intraday.heatmap(store, date(2024, 11, 1), date(2024, 12, 31))
    assert frame["hours"].sum() == 30 * 24 + 1
    assert frame["contacts"].sum() == 13  # the 11 of the first week, w1 and b2
    outside = intraday.heatmap(store, date(2025, 1, 1), date(2025, 1, 31))
    assert outside["contacts"].sum() == 0 and outside["hours"].sum() == 0
    assert outside["contacts_per_hour"].isna().all()


# --- the peak window --------------------------------------------------------------------------------------

def peak_share(store: Store, start: date, end: date, channels: tuple[str, ...] = (),
               peak_hours: tuple[int, int] | None = None) -> float | None:
    """The share the Seasonality page shows (cxdash.views.seasonality): intraday.share_in_hours of
    the heatmap, for the settings' peak hours unless others are given."""
    return intraday.share_in_hours(intraday.heatmap(store, start, end, channels),
                                   peak_hours or store.settings.peak_hours)


def test_the_peak_share_counts_local_hours_19_and_20(store):
    assert store.settings.peak_hours == (19, 21)  # the default of [calendar] peak_hours
    # f3 (Sun 19:30), f4 (Sun 20:10), o2 (Mon 19:00), o3 (Mon 20:59) of 11; o4 at 21:00 is outside
    assert peak_share(store, *WEEK) == pytest.approx(100 * 4 / 11)
    assert peak_share(store, *WEEK, peak_hours=(19, 21)) == pytest.approx(100 * 4 / 11)
    assert peak_share(store, *WEEK, peak_hours=(0, 2)) == pytest.approx(100 * 3 / 11)
    assert peak_share(store, *WEEK, peak_hours=(23, 24)) == pytest.approx(100 * 1 / 11)
    assert peak_share(store, *WEEK, peak_hours=(0, 24)) == pytest.approx(100.0)


def test_the_peak_share_follows_the_configured_peak_hours(tmp_path):
    write_operation(tmp_path)
    write_settings(tmp_path, "[calendar]\npeak_hours = [0, 2]\n")
    with Store.open(tmp_path) as configured:
        assert configured.settings.peak_hours == (0, 2)
        assert peak_share(configured, *WEEK) == pytest.approx(100 * 3 / 11)


def test_the_peak_share_of_a_channel_and_of_a_range_without_contacts(store):
    assert peak_share(store, *WEEK, channels=("phone",)) == pytest.approx(100 * 1 / 6)
    assert peak_share(store, *WEEK, channels=("chat",)) == pytest.approx(100 * 2 / 3)
    assert peak_share(store, *WEEK, channels=("phone", "chat")) == pytest.approx(100 * 3 / 9)
    assert peak_share(store, *WEEK, channels=("sms",)) is None
    assert peak_share(store, date(2024, 6, 1), date(2024, 6, 30)) is None


def test_peak_hours_outside_the_day_are_refused(store):
    for hours in ((21, 19), (19, 19), (-1, 3), (20, 25)):
        with pytest.raises(ValueError):
            peak_share(store, *WEEK, peak_hours=hours)


# --- shapes by channel ------------------------------------------------------------------------------------

def test_each_channels_hourly_shares_add_up_to_100(store):
    hourly, _ = intraday.shapes_by_channel(store, *WEEK)
    assert list(hourly.columns) == ["channel", "hour", "contacts", "share_pct"]
    assert list(dict.fromkeys(hourly["channel"])) == ["phone", "chat", "email"]  # the contract's order
    assert len(hourly) == 3 * 24
    shares = {(row.channel, row.hour): row.share_pct for row in hourly.itertuples() if row.contacts}
    assert shares == pytest.approx({
        # phone: f1 and f2 at 01:00, o1 at 09:00, o2 at 19:00, o6 at 23:00, o5 at 00:00 (of 6)
        ("phone", 0): 100 / 6, ("phone", 1): 200 / 6, ("phone", 9): 100 / 6, ("phone", 19): 100 / 6,
        ("phone", 23): 100 / 6,
        ("chat", 19): 100 / 3, ("chat", 20): 100 / 3, ("chat", 21): 100 / 3,
        ("email", 10): 50.0, ("email", 20): 50.0})
    assert hourly.groupby("channel")["share_pct"].sum().tolist() == pytest.approx([100.0] * 3)


def test_the_weekday_index_compares_each_weekday_with_the_channels_average_day(store):
    _, weekly = intraday.shapes_by_channel(store, *WEEK)
    assert list(weekly.columns) == ["channel", "weekday", "contacts", "days", "weekday_index"]
    assert len(weekly) == 3 * 7 and (weekly["days"] == 1).all()
    index = {(row.channel, row.weekday): row.weekday_index for row in weekly.itertuples()}
    # phone: 6 contacts in 7 days, an average day of 6/7: Sunday 2, Monday 3, Tuesday 1
    assert index[("phone", SUNDAY)] == pytest.approx(100 * 2 / (6 / 7))
    assert index[("phone", MONDAY)] == pytest.approx(350.0)
    assert index[("phone", TUESDAY)] == pytest.approx(100 * 1 / (6 / 7))
    assert index[("phone", 3)] == 0.0
    assert index[("chat", SUNDAY)] == pytest.approx(100 * 2 / (3 / 7))
    assert index[("email", SUNDAY)] == index[("email", MONDAY)] == pytest.approx(350.0)


def test_the_weekday_index_counts_how_many_of_each_weekday_the_range_has(store):
    # 3-11 November: two Sundays and two Mondays, one of every other weekday; 9 days
    _, weekly = intraday.shapes_by_channel(store, date(2024, 11, 3), date(2024, 11, 11))
    phone = weekly[weekly["channel"] == "phone"].set_index("weekday")
    assert phone["days"].to_dict() == {0: 2, 1: 1, 2: 1, 3: 1, 4: 1, 5: 1, 6: 2}
    assert phone["contacts"].to_dict() == {0: 3, 1: 1, 2: 0, 3: 0, 4: 0, 5: 0, 6: 3}
    average_day = 7 / 9
    assert phone.loc[SUNDAY, "weekday_index"] == pytest.approx(100 * (3 / 2) / average_day)
    assert phone.loc[TUESDAY, "weekday_index"] == pytest.approx(100 * 1 / average_day)
    # weighted by the days of each weekday, the index averages 100
    assert (phone["weekday_index"] * phone["days"]).sum() / 9 == pytest.approx(100.0)


def test_a_weekday_the_range_does_not_have_has_no_index(store):
    _, weekly = intraday.shapes_by_channel(store, FALL_BACK, date(2024, 11, 4))  # Sunday and Monday
    phone = weekly[weekly["channel"] == "phone"].set_index("weekday")
    assert phone.loc[SUNDAY, "weekday_index"] == pytest.approx(100 * 2 / (5 / 2))
    assert phone.loc[[1, 2, 3, 4, 5], "weekday_index"].isna().all()


# --- the charts -------------------------------------------------------------------------------------------

def test_the_heatmap_chart_has_weekdays_as_rows_and_hours_as_columns(store):
    frame = intraday.heatmap(store, date(2024, 11, 3), date(2024, 11, 16))
    figure = charts.hour_weekday_heatmap(frame)
    [trace] = figure.data
    assert trace.type == "heatmap"
    assert list(trace.y) == ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    assert list(trace.x) == list(range(24))
    assert trace.z[SUNDAY][1] == pytest.approx(2 / 3) and trace.z[MONDAY][19] == pytest.approx(0.5)
    assert list(trace.customdata[SUNDAY][1]) == [2, 3]  # contacts, hours: both in the hover
    assert "contacts per hour" in trace.hovertemplate and "customdata[0]" in trace.hovertemplate
    assert figure.layout.yaxis.autorange == "reversed"  # Monday on top


def test_the_channel_shapes_chart_draws_one_line_per_channel_in_its_colour(store):
    hourly, weekly = intraday.shapes_by_channel(store, *WEEK)
    figure = charts.channel_shapes(hourly)
    assert [trace.name for trace in figure.data] == ["phone", "chat", "email"]
    for trace in figure.data:
        assert trace.line.color == CHANNEL_COLORS[trace.name]
        assert list(trace.x) == list(range(24))
    assert sum(figure.data[1].y) == pytest.approx(100.0)
    index = charts.channel_weekday_index(weekly)
    assert [trace.name for trace in index.data] == ["phone", "chat", "email"]
    assert list(index.data[0].x) == ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
                                     "Sunday"]


# --- folders without contacts, and the prepared store -----------------------------------------------------

def test_an_empty_folder_gives_empty_shapes_and_every_query_runs(tmp_path):
    with Store.open(tmp_path) as empty:
        frame = intraday.heatmap(empty, *WEEK)
        assert len(frame) == 7 * 24 and frame["contacts"].sum() == 0 and frame["hours"].sum() == 0
        assert frame["contacts_per_hour"].isna().all()
        assert peak_share(empty, *WEEK) is None
        hourly, weekly = intraday.shapes_by_channel(empty, *WEEK)
        assert hourly.empty and list(hourly.columns) == ["channel", "hour", "contacts", "share_pct"]
        assert weekly.empty and list(weekly.columns) == ["channel", "weekday", "contacts", "days",
                                                         "weekday_index"]
        assert empty.query("contacts_by_weekday_hour_channel", start=WEEK[0], end=WEEK[1],
                           channels=[]).empty
        charts.hour_weekday_heatmap(frame)
        charts.channel_shapes(hourly)


def test_a_folder_whose_every_row_was_set_aside_has_no_contacts_by_hour(tmp_path):
    write_interactions(tmp_path, [contact("x", "fax", "2024-11-03 20:00")])
    with Store.open(tmp_path) as store:
        assert intraday.heatmap(store, *WEEK)["contacts"].sum() == 0
        assert peak_share(store, *WEEK) is None


def hourly_files(folder) -> list[str]:
    return sorted(p.name for p in (store_path(folder) / "interactions" / "hourly").glob("*.parquet"))


def test_a_store_prepared_before_the_hourly_rollup_is_rebuilt_with_it(tmp_path):
    write_operation(tmp_path)
    Store.open(tmp_path).close()
    assert len(hourly_files(tmp_path)) == 2
    # what version 6 left: no hourly files, and its version in the manifest
    for path in (store_path(tmp_path) / "interactions" / "hourly").glob("*"):
        path.unlink()
    manifest = store_path(tmp_path) / "manifest.json"
    manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "version": 6}))
    with Store.open(tmp_path) as store:
        assert len(store.report.reprocessed) == 2
        assert len(hourly_files(tmp_path)) == 2
        assert intraday.heatmap(store, *WEEK)["contacts"].sum() == 11


def test_missing_hourly_files_are_summarised_again_without_validating_again(tmp_path):
    write_operation(tmp_path)
    Store.open(tmp_path).close()
    [first, _] = (store_path(tmp_path) / "interactions" / "hourly").glob("*.parquet")
    first.unlink()
    with Store.open(tmp_path) as store:
        assert store.report.reprocessed == []
        assert len(hourly_files(tmp_path)) == 2
        assert intraday.heatmap(store, *WEEK)["contacts"].sum() == 11


def test_removing_a_file_removes_its_hourly_rollup(tmp_path):
    write_operation(tmp_path)
    Store.open(tmp_path).close()
    (tmp_path / "interactions" / "2024-a.parquet").unlink()
    with Store.open(tmp_path) as store:
        assert len(hourly_files(tmp_path)) == 1
        assert intraday.heatmap(store, FALL_BACK, FALL_BACK)["contacts"].sum() == 3  # f2, f4, f5


def test_the_hours_follow_the_configured_time_zone(tmp_path):
    write_operation(tmp_path)
    Store.open(tmp_path).close()
    write_settings(tmp_path, 'timezone = "UTC"\n')
    with Store.open(tmp_path) as store:
        # 3 November in UTC: f1 08:30, f2 09:30, f5 18:00; a day of 24 hours
        frame = intraday.heatmap(store, FALL_BACK, FALL_BACK)
        assert nonzero(frame, "contacts") == {(SUNDAY, 8): 1, (SUNDAY, 9): 1, (SUNDAY, 18): 1}
        assert frame["hours"].sum() == 24
