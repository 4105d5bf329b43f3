"""The schedule importer (cxdash.importers.schedule): a planner's CSV of interval, agents read with
every bad row set aside and named, naive local times by the one daylight-saving rule."""

from __future__ import annotations

from pathlib import Path

from cxdash import calendar
from cxdash.importers.schedule import read_schedule

ZONE = "America/Los_Angeles"


SCHEDULE = """interval,agents,note
2024-03-10 00:00,5,naive local
2024-03-10T01:00:00-08:00,6,zoned
2024-03-10 02:30,4,skipped when daylight saving starts
2024-03-10 03:00,abc,
2024-03-10 03:30,-2,
2024-03-10 04:00,2.5,
2024-03-10T09:00:00Z,7,the same instant as 01:00-08:00
not a time,3,
2024-03-10 05:00,3.0,
2024-03-10 00:00,9,a repeat
"""


def test_read_schedule_sets_bad_rows_aside_and_keeps_the_rest():
    schedule, problems, aside = read_schedule(SCHEDULE.encode(), "schedule.csv", ZONE)
    assert len(schedule) + len(aside) == 10  # rows read = good + set aside
    assert str(schedule["ts"].dt.tz) == ZONE
    assert schedule["ts"].dt.strftime("%Y-%m-%d %H:%M %z").tolist() == [
        "2024-03-10 00:00 -0800", "2024-03-10 01:00 -0800", "2024-03-10 05:00 -0700"]
    assert schedule["agents"].tolist() == [5, 6, 3]
    assert schedule["agents"].dtype == "int64"
    assert sorted(problems) == sorted([
        "schedule.csv: column agents: 3 rows are not whole numbers >= 0; set aside",
        "schedule.csv: column interval: 1 row is not an ISO timestamp; set aside",
        f"schedule.csv: column interval: 1 row is a local time that does not exist in {ZONE}; set aside",
        "schedule.csv: column interval: 2 rows repeat earlier intervals; set aside",
    ])
    assert aside["row"].tolist() == [4, 5, 6, 7, 8, 9, 11]  # spreadsheet rows: the header is row 1
    assert aside["agents"].tolist() == ["4", "abc", "-2", "2.5", "7", "3", "9"]  # as written
    assert aside["note"].tolist()[0] == "skipped when daylight saving starts"
    # 02:30 on 10 March does not exist in Los Angeles: set aside by the calendar's one rule
    assert aside.loc[aside["row"] == 4, "reason"].item() == calendar.SKIPPED_REASON
    assert "repeats" in aside.loc[aside["row"] == 8, "reason"].item()


def test_read_schedule_names_a_missing_column_and_sets_every_row_aside(tmp_path):
    path = tmp_path / "plan.csv"
    path.write_text("time,agents\n2024-03-10 00:00,5\n2024-03-10 00:30,6\n")
    schedule, problems, aside = read_schedule(path, "plan.csv", ZONE)
    assert schedule.empty and len(aside) == 2
    assert len(problems) == 1
    assert problems[0].startswith("plan.csv: no column interval (columns found: time, agents)")
    assert aside["reason"].tolist() == ["missing column interval"] * 2


def test_read_schedule_never_raises_on_bad_content():
    for content in (b"", b"\x00\x01\xff garbage", "interval,agents\n", b"\xef\xbb\xbfInterval, Agents\n"
                    b"2024-01-01 09:00, 4\n", 'interval,agents\n"2024-01-01,3\n'):
        schedule, problems, aside = read_schedule(content, "odd.csv", ZONE)
        assert list(schedule.columns) == ["ts", "agents"]
    # the file's own row and reason columns do not clash with the ones set_aside adds
    _, _, aside = read_schedule("interval,agents,row,reason\n2024-01-01 09:00,x,7,why\n", "cols.csv", ZONE)
    assert list(aside.columns) == ["row", "interval", "agents", "row (file)", "reason (file)", "reason"]
    assert aside["row"].tolist() == [2]
    # a byte-order mark and spaces around names and values are fine
    schedule, problems, aside = read_schedule(b"\xef\xbb\xbfInterval, Agents\n2024-01-01 09:00, 4\n",
                                              "bom.csv", ZONE)
    assert (problems, schedule["agents"].tolist(), len(aside)) == ([], [4], 0)
    assert read_schedule(b"", "empty.csv", ZONE)[1] == ["empty.csv: the file is empty; no schedule read"]


def test_read_schedule_reads_an_ambiguous_local_time_as_the_first_of_the_two():
    # 01:30 happens twice in Los Angeles on 3 November 2024: first at -07:00, then at -08:00
    text = "interval,agents\n2024-11-03 01:30,4\n2024-11-03T01:30:00-08:00,5\n"
    schedule, problems, _ = read_schedule(text, "fall.csv", ZONE)
    assert problems == []
    assert schedule["ts"].dt.tz_convert("UTC").dt.strftime("%H:%M").tolist() == ["08:30", "09:30"]


def test_schedule_path_may_be_given_as_a_str(tmp_path: Path):
    path = tmp_path / "schedule.csv"
    path.write_text("interval,agents\n2024-01-01 09:00,4\n")
    schedule, problems, aside = read_schedule(str(path), "schedule.csv", ZONE)
    assert (schedule["agents"].tolist(), problems, len(aside)) == ([4], [], 0)


def test_read_schedule_sets_implausible_dates_aside_instead_of_crashing():
    """.NET's DateTime.MinValue (year 1) and a typo'd year 2202 are outside the plausible window (and
    the first would break a nanosecond conversion): both set aside, the rest read."""
    text = ("interval,agents\n0001-01-01T00:00:00,3\n2202-03-01 09:00,4\n2024-03-01T09:00:00Z,5\n"
            "0001-01-01T00:00:00+00:00,6\n")
    schedule, problems, aside = read_schedule(text.encode(), "s.csv", ZONE)
    assert schedule["agents"].tolist() == [5]
    assert aside["row"].tolist() == [2, 3, 5]
    assert set(aside["reason"]) == {"interval is outside the plausible dates"}
    assert problems == ["s.csv: column interval: 3 rows are outside 1980-01-01 - 2100-01-01; set aside"]
