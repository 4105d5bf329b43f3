"""The checks every importer shares (cxdash.importers.core): what a platform's export may carry that
the contract cannot use is set aside with its reason, and read = stored + set aside."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
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
