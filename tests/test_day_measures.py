"""The measures every tile is computed from, as plain rows (kpis.DayMeasures): summed exactly as pandas
sums the page's DataFrame of them, so the command line and the pages show the same figures to the last
digit, and missing values (a day without cost) handled as pandas handles NaN."""

from __future__ import annotations

from datetime import date, timedelta

from cxdash.kpis import DayMeasures, Period

COLUMNS = ("day", "contacts", "handle_seconds", "cost_usd")


def _days(values: list[tuple]) -> DayMeasures:
    return DayMeasures(COLUMNS, tuple((date(2024, 1, 1 + number), *row) for number, row in enumerate(values)))


def test_totals_are_the_sums_of_the_columns_and_none_where_no_day_has_a_value():
    measures = _days([(3, 10.5, None), (0, 0.0, None), (2, 4.25, None)])
    # 3 + 0 + 2 contacts; 10.5 + 0 + 4.25 seconds; no cost on any day
    assert measures.totals() == {"contacts": 5.0, "handle_seconds": 14.75, "cost_usd": None}
    assert _days([(1, 1.0, None), (1, 1.0, 7.5)]).totals()["cost_usd"] == 7.5


def test_totals_add_up_as_pandas_adds_the_frame():
    # 300 days of values that do not add up exactly in floating point: summed one after another they
    # differ from numpy's pairwise sum, which pandas uses, in the last digits
    values = [(day % 7, 0.1, 1 / (day + 7) if day % 5 else None) for day in range(300)]
    measures = DayMeasures(COLUMNS, tuple((date(2023, 1, 1) + timedelta(days=day), *row)
                                          for day, row in enumerate(values)))
    frame = measures.frame()
    sums = frame.drop(columns=["day"]).sum(numeric_only=True, min_count=1).to_dict()
    assert measures.totals() == sums
    sequential = 0.0
    for _, seconds, _ in values:
        sequential += seconds
    # 300 times 0.1: 30.000000000000156 one after another, 29.999999999999996 pairwise
    assert sums["handle_seconds"] == 29.999999999999996 != sequential


def test_the_frame_holds_dates_and_floats_with_nan_for_a_missing_value():
    frame = _days([(3, 10.5, None), (2, 4.25, 1.5)]).frame()
    assert list(frame.columns) == list(COLUMNS)
    assert list(frame["day"]) == [date(2024, 1, 1), date(2024, 1, 2)]
    assert [str(dtype) for dtype in frame.dtypes.iloc[1:]] == ["float64"] * 3
    assert frame["cost_usd"].isna().tolist() == [True, False]
    empty = DayMeasures(COLUMNS, ()).frame()
    assert list(empty.columns) == list(COLUMNS) and empty.empty


def test_a_window_keeps_the_days_of_a_period():
    measures = _days([(1, 1.0, None), (2, 2.0, None), (3, 3.0, None)])
    window = measures.window(Period(date(2024, 1, 2), date(2024, 1, 3)))
    assert [row[0] for row in window.rows] == [date(2024, 1, 2), date(2024, 1, 3)]
    assert window.totals()["contacts"] == 5.0
