"""The checks every importer shares (cxdash.importers.core): what a platform's export may carry that
the contract cannot use is set aside with its reason, and read = stored + set aside."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from cxdash.importers.core import Parsed, store
from cxdash.settings import Settings


def _rows(count: int, **columns) -> pd.DataFrame:
    frame = pd.DataFrame({
        "interaction_id": [f"i{n}" for n in range(count)],
        "channel": ["phone"] * count,
        "arrived_at": pd.Series([datetime(2024, 1, 10, 18, tzinfo=UTC)] * count, dtype="datetime64[us, UTC]"),
        "talk_seconds": [60.0] * count,
        "source_file": ["export.csv"] * count,
        "source_row": list(range(2, count + 2)),
    })
    for name, values in columns.items():
        frame[name] = values
    return frame


def _import(tmp_path, rows: pd.DataFrame):
    summary = store(tmp_path, Parsed("test", rows, records_read=len(rows)), Settings(), ["export.csv"])
    stored = pd.concat([pq.read_table(p).to_pandas() for p in (tmp_path / "interactions" / "test")
                        .glob("*.parquet")]) if (tmp_path / "interactions" / "test").is_dir() else None
    return summary, stored


def test_an_arrival_at_dotnet_min_value_or_year_9999_is_set_aside(tmp_path):
    arrived = pd.Series([datetime(2024, 1, 10, 18, tzinfo=UTC), datetime(1, 1, 1, tzinfo=UTC),
                         datetime(9999, 12, 31, tzinfo=UTC)], dtype="datetime64[us, UTC]")
    summary, stored = _import(tmp_path, _rows(3, arrived_at=arrived))
    assert (summary.records_read, summary.new, summary.set_aside) == (3, 1, 2) and summary.balanced
    [reason] = summary.reasons
    assert reason.startswith("column arrived_at: outside the plausible dates 1980-01-01 to 2100-01-01")
    assert summary.set_aside_rows["source_row"].tolist() == [3, 4]
    assert stored["interaction_id"].tolist() == ["i0"]


def test_a_duration_is_stored_as_seconds(tmp_path):
    summary, stored = _import(tmp_path, _rows(2, talk_seconds=pd.to_timedelta(["5s", "2min"])))
    assert summary.new == 2
    assert sorted(stored["talk_seconds"]) == [5.0, 120.0]


def test_a_duration_where_a_score_belongs_is_set_aside(tmp_path):
    summary, _ = _import(tmp_path, _rows(1, csat_score=pd.to_timedelta(["5s"])))
    assert summary.reasons == {"column csat_score: a duration, not a number": 1}


def test_infinite_durations_are_set_aside_and_the_rest_stored(tmp_path):
    summary, stored = _import(tmp_path, _rows(3, talk_seconds=[60.0, np.inf, -np.inf]))
    assert (summary.new, summary.set_aside) == (1, 2) and summary.balanced
    assert summary.reasons == {"column talk_seconds: not a finite number (infinite or NaN)": 2}
    assert stored["talk_seconds"].tolist() == [60.0]


def _deletions(*items: tuple[str, datetime | None]) -> pd.DataFrame:
    when = pd.Series([moment for _, moment in items], dtype="datetime64[us, UTC]")
    return pd.DataFrame({"interaction_id": [ident for ident, _ in items], "source_updated_at": when,
                         "source_file": ["export.json"] * len(items),
                         "source_row": list(range(1, len(items) + 1))})


def test_a_deletion_removes_the_stored_contact_unless_it_is_newer_and_the_summary_balances(tmp_path):
    jan = lambda day: datetime(2024, 1, day, tzinfo=UTC)  # noqa: E731
    first = _rows(4, source_updated_at=pd.Series([jan(10)] * 4, dtype="datetime64[us, UTC]"))
    summary, stored = _import(tmp_path, first)
    assert summary.new == 4
    # i0 deleted on the 12th (stored version of the 10th: removed); i1 deleted on the 9th, before its
    # stored version (kept); i9 was never stored; i2 deleted at an unknown time (removed); i3 comes
    # again in the same export, updated on the 11th, and deleted on the 12th (gone, not stored)
    again = _rows(1, interaction_id=["i3"], talk_seconds=[90.0],
                  source_updated_at=pd.Series([jan(11)], dtype="datetime64[us, UTC]"))
    parsed = Parsed("test", again, records_read=1 + 5,
                    deletions=_deletions(("i0", jan(12)), ("i1", jan(9)), ("i9", jan(12)), ("i2", None),
                                         ("i3", jan(12))))
    summary = store(tmp_path, parsed, Settings(), ["export.json"])
    assert (summary.records_read, summary.deleted, summary.superseded, summary.new) == (6, 5, 1, 0)
    assert summary.balanced
    assert summary.removed == 3  # i0, i2, i3 as stored
    assert "  deleted at the source: 3 stored contact(s) were removed" in summary.lines()
    stored = pq.read_table(next((tmp_path / "interactions" / "test").glob("*.parquet"))).to_pandas()
    assert stored["interaction_id"].tolist() == ["i1"]
    # the same deletions again: nothing left to remove, nothing written
    summary = store(tmp_path, Parsed("test", _rows(0), records_read=5, deletions=parsed.deletions),
                    Settings(), ["export.json"])
    assert (summary.removed, summary.deleted, summary.months_written) == (0, 5, []) and summary.balanced


def test_the_newest_version_of_each_id_is_kept_by_import_checked_sql(tmp_path):
    """sql/import_newest.sql ranks ids and versions alone; sql/import_checked.sql then takes the whole
    rows of the newest: the rows the merge takes in, with the staged columns (less the row number and
    sort key) and the version."""
    from cxdash.db import load_sql

    days = (11, 12, None, 12, 10, 10, 13, 9, None, None)
    versions = pd.Series([datetime(2024, 1, day, tzinfo=UTC) if day else None for day in days],
                         dtype="datetime64[us, UTC]")
    rows = _rows(10, interaction_id=list("aabbccddee"), source_updated_at=versions,
                 talk_seconds=[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, -1.0, 7.0, 8.0, 9.0])
    con = _checked_connection(rows)
    try:
        con.execute("create temp table newest_rows as " + load_sql("import_newest"))
        kept = con.execute(load_sql("import_checked")).df()
        staged = [c for c in con.execute("select * from staged_typed limit 0").df().columns
                  if c not in ("source_row", "sort_time")]
    finally:
        con.close()
    # a: the 12th over the 11th; b: a version over none; c: of two equal versions the later row;
    # d: the newest (13th) is set aside (a negative talk time), so the 9th; e: no versions, the later row
    expected = {"a": 2.0, "b": 4.0, "c": 6.0, "d": 7.0, "e": 9.0}
    assert dict(zip(kept["interaction_id"], kept["talk_seconds"], strict=True)) == expected
    assert list(kept.columns) == [*staged, "source_updated_at"]
    newest_a = kept.set_index("interaction_id").loc["a", "source_updated_at"]
    assert newest_a == pd.Timestamp("2024-01-12", tz="UTC")


def test_a_month_file_that_fails_to_be_written_fails_the_import_and_leaves_no_file(tmp_path):
    """The parts of the months are written on a thread of their own, the next month's handed over while
    the last one's are written: a part that cannot be written still stops the import; its month file
    stays as it was, no later month is written, and no temporary file is left."""
    import pyarrow as pa
    import pytest

    from cxdash.importers import core

    good = pa.table({name: pa.nulls(1, field.type) for name, field in
                     zip(core.import_schema().names, core.import_schema(), strict=True)})
    bad = pa.table({"interaction_id": ["x"]})  # not the month files' schema
    (tmp_path / "2024-02.parquet").write_bytes(b"as it was")
    (tmp_path / "2024-04.parquet").write_bytes(b"to be removed")
    months = iter([("2024-01", iter([good, good])), ("2024-02", iter([good, bad, good])),
                   ("2024-03", iter([good])), ("2024-04", None)])
    heard = []
    with pytest.raises((pa.ArrowException, ValueError)):
        core._write_months(tmp_path, months, 4, lambda stage, fraction: heard.append(stage))
    assert sorted(path.name for path in tmp_path.iterdir()) == ["2024-01.parquet", "2024-02.parquet",
                                                                "2024-04.parquet"]
    assert pq_rows(tmp_path / "2024-01.parquet") == 2  # written before the failure: whole
    assert (tmp_path / "2024-02.parquet").read_bytes() == b"as it was"
    assert (tmp_path / "2024-04.parquet").read_bytes() == b"to be removed"
    assert heard[:2] == ["Writing month 1 of 4 (2024-01)", "Writing month 2 of 4 (2024-02)"]


def test_months_are_written_removed_and_told_in_order(tmp_path):
    import pyarrow as pa

    from cxdash.importers import core

    def rows(count):
        return pa.table({name: pa.nulls(count, field.type) for name, field in
                         zip(core.import_schema().names, core.import_schema(), strict=True)})

    (tmp_path / "2024-02.parquet").write_bytes(b"to be removed")
    (tmp_path / "2024-03.parquet").write_bytes(b"to be replaced")
    heard = []
    core._write_months(tmp_path, iter([("2024-01", iter([rows(2), rows(3)])), ("2024-02", None),
                                       ("2024-03", iter([rows(1)]))]), 3,
                       lambda stage, fraction: heard.append((stage, fraction)))
    assert sorted(path.name for path in tmp_path.iterdir()) == ["2024-01.parquet", "2024-03.parquet"]
    assert pq_rows(tmp_path / "2024-01.parquet") == 5 and pq_rows(tmp_path / "2024-03.parquet") == 1
    import pyarrow.parquet as pq
    assert pq.ParquetFile(tmp_path / "2024-01.parquet").num_row_groups == 2  # a row group a part
    assert heard == [("Writing month 1 of 3 (2024-01)", 0.5),
                     ("Writing month 2 of 3 (2024-02)", 0.5 + 0.5 / 3),
                     ("Writing month 3 of 3 (2024-03)", 0.5 + 1 / 3)]


def pq_rows(path) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).metadata.num_rows


# --- the contracts of the queries the merge runs (collected by tests/test_sql_contract.py) ------------

def _checked_connection(rows: pd.DataFrame):
    from cxdash.db import connect
    from cxdash.importers import core

    con = connect()
    con.execute("set TimeZone = 'UTC'")
    core._check(con, rows, Settings())
    return con


def _contract_import_problems(_) -> None:
    from cxdash.db import load_sql

    rows = _rows(4, csat_score=[5, 4, None, 0], channel=["phone", "fax", "chat", "phone"])
    con = _checked_connection(rows)
    try:
        frame = con.execute(load_sql("import_problems")).df()
    finally:
        con.close()
    assert frame["source_row"].is_unique
    # row 1: a channel not in the contract; row 3: a score below the scale; rows 0 and 2 pass
    assert frame["source_row"].tolist() == [1, 3]
    assert frame["line"].tolist() == [3, 5] and set(frame["source_file"]) == {"export.csv"}
    assert frame["reason"].tolist()[1] == "column csat_score: below 1"
    assert frame["reason"].tolist()[0].startswith("column channel: ")
    assert json.loads(frame["record"].iloc[1])["interaction_id"] == "i3"


def _contract_import_checked(_) -> None:
    from cxdash.db import load_sql

    days = (11, 12, None, 12, 9)
    versions = pd.Series([datetime(2024, 1, day, tzinfo=UTC) if day else None for day in days],
                         dtype="datetime64[us, UTC]")
    rows = _rows(5, interaction_id=["a", "a", "b", "b", "c"], talk_seconds=[1.0, 2.0, 3.0, 4.0, -1.0],
                 source_updated_at=versions)
    con = _checked_connection(rows)
    try:
        con.execute("create temp table newest_rows as " + load_sql("import_newest"))
        frame = con.execute(load_sql("import_checked")).df()
    finally:
        con.close()
    assert frame["interaction_id"].is_unique
    # a: the newer version (the 12th); b: the one with a version beats the one without; c: set aside
    # (a negative talk time), so not here
    assert dict(zip(frame["interaction_id"], frame["talk_seconds"], strict=True)) == {"a": 2.0, "b": 4.0}
    assert "sort_time" not in frame and "source_row" not in frame and "source_updated_at" in frame


def _contract_import_newest(_) -> None:
    from cxdash.db import load_sql

    days = (11, 12, None, 12, 9, None)
    versions = pd.Series([datetime(2024, 1, day, tzinfo=UTC) if day else None for day in days],
                         dtype="datetime64[us, UTC]")
    rows = _rows(6, interaction_id=["a", "a", "b", "b", "c", "d"],
                 talk_seconds=[1.0, 2.0, 3.0, 4.0, -1.0, 5.0], source_updated_at=versions)
    con = _checked_connection(rows)
    try:
        frame = con.execute(load_sql("import_newest")).df()
    finally:
        con.close()
    # grain: a row number, one per id that passed; a: the 12th (row 1), b: the one with a version (row 3),
    # c: set aside (a negative talk time), d: its only row, without a version
    assert frame["source_row"].is_unique and list(frame.columns) == ["source_row", "source_updated_at"]
    assert sorted(frame["source_row"].tolist()) == [1, 3, 5]
    versioned = frame.set_index("source_row")["source_updated_at"].notna().to_dict()
    assert versioned == {1: True, 3: True, 5: False}


SQL_CONTRACTS = {"import_problems": _contract_import_problems, "import_checked": _contract_import_checked,
                 "import_newest": _contract_import_newest}


def _arrow_and_pandas_rows() -> tuple[pa.Table, pd.DataFrame]:
    """The same four contacts as Arrow (as an importer reading with DuckDB hands them over: a naive
    time, a zoned one, a duration, the file's name as a dictionary, a column of nulls) and as pandas."""
    table = pa.table({
        "interaction_id": ["a", "b", "c", "d"],
        "channel": ["phone", "chat", "phone", "email"],
        "arrived_at": pa.array([datetime(2024, 1, 10, 18, 0), datetime(2024, 1, 10, 19, 0),
                                datetime(2024, 1, 11, 9, 30), datetime(2024, 2, 1, 8, 0)],
                               pa.timestamp("us")),
        "answered_at": pa.array([pd.Timestamp("2024-01-10 18:01:00.000000500", tz="UTC"), None, None, None],
                                pa.timestamp("ns", tz="Europe/Dublin")),
        "wrap_seconds": pa.array([pd.Timedelta(seconds=90), None, pd.Timedelta(seconds=1.5), None],
                                 pa.duration("ms")),
        "talk_seconds": [120.0, None, 30.0, None],
        "csat_score": pa.nulls(4),
        "source_file": pa.DictionaryArray.from_arrays(pa.array([0, 0, 0, 0], pa.int32()), ["export.csv"]),
        "source_row": [2, 3, 4, 5],
    })
    frame = table.to_pandas()
    frame["arrived_at"] = frame["arrived_at"].dt.tz_localize("UTC")
    return table, frame


def test_contacts_handed_over_as_arrow_are_stored_as_the_same_contacts_as_pandas(tmp_path):
    table, frame = _arrow_and_pandas_rows()
    arrow_summary, arrow = _import(tmp_path / "arrow", table)
    pandas_summary, pandas = _import(tmp_path / "pandas", frame)
    assert arrow_summary.to_dict() == pandas_summary.to_dict()
    assert (arrow_summary.new, arrow_summary.set_aside) == (4, 0)
    arrow, pandas = (stored.sort_values("interaction_id").reset_index(drop=True)
                     for stored in (arrow, pandas))
    pd.testing.assert_frame_equal(arrow, pandas)
    # by hand: a naive time is UTC, a zoned one the same instant, a duration its seconds
    assert arrow["arrived_at"].iloc[0] == pd.Timestamp("2024-01-10 18:00", tz="UTC")
    assert arrow["answered_at"].iloc[0] == pd.Timestamp("2024-01-10 18:01", tz="UTC")
    assert arrow["wrap_seconds"].fillna(-1).tolist() == [90.0, -1, 1.5, -1]
    assert arrow["csat_score"].isna().all()


def test_a_duration_in_a_column_of_a_time_of_day_is_set_aside_from_arrow_as_from_pandas(tmp_path):
    """A duration where the contract wants a time is no time: set aside the same way from either."""
    table, frame = _arrow_and_pandas_rows()
    table = table.set_column(table.schema.get_field_index("answered_at"), "answered_at",
                             pa.array([pd.Timedelta(seconds=5)] * 4, pa.duration("s")))
    frame["answered_at"] = pd.to_timedelta([5] * 4, unit="s")
    arrow_summary, _ = _import(tmp_path / "arrow", table)
    pandas_summary, _ = _import(tmp_path / "pandas", frame)
    assert arrow_summary.reasons == pandas_summary.reasons and arrow_summary.set_aside == 4


def test_store_lets_go_of_the_parsed_contacts_only_when_told(tmp_path):
    """import_files owns what it parsed and lets store release it; a check (preview) and the Import
    page's import keep it: the page imports what its check read, again after a wait that failed."""
    table, _ = _arrow_and_pandas_rows()
    kept = Parsed("test", table, records_read=4)
    store(tmp_path / "a", kept, Settings(), ["export.csv"], preview=True)
    store(tmp_path / "a", kept, Settings(), ["export.csv"])
    assert kept.contacts.num_rows == 4 and len(kept.rows) == 4
    released = Parsed("test", table, records_read=4)
    assert len(released.rows) == 4  # the pandas form, cached: released too
    summary = store(tmp_path / "b", released, Settings(), ["export.csv"], release=True)
    assert summary.new == 4 and summary.balanced
    assert released.contacts.num_rows == 0 and released.contacts.schema == table.schema
    assert released.rows.empty
