"""A contract test for every file of sql/: grain, not-null keys and the identities between measures."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd
import pytest

from cxdash.contract import CHANNELS
from cxdash.db import SQL_DIR, connect, load_sql
from cxdash.ingest import _copy_query, rollup_parameters, store_path
from cxdash.settings import CostModel
from cxdash.store import Store
from tests.builders import (
    utc,
    write_costs,
    write_costs_csv,
    write_csv,
    write_interactions,
    write_orders,
    write_qa,
    write_raw_parquet,
)

SQL_FILES = sorted(path.stem for path in SQL_DIR.glob("*.sql"))
GRAIN = ["day", "channel", "queue", "team"]
DETAIL_GRAIN = [*GRAIN, "agent", "tier"]
JANUARY = {"start": date(2024, 1, 1), "end": date(2024, 1, 31)}
ALL = {"channels": [], "queues": [], "teams": []}
TIMEZONE = "America/Los_Angeles"  # the settings' default, in which the store makes local days
LOCAL = ZoneInfo(TIMEZONE)
DAYS = {"start": date(2024, 1, 9), "end": date(2024, 1, 11)}  # the local days with contacts
DIMENSIONS = ("channel", "queue", "team", "agent", "tier")


# --- a small but varied operation -----------------------------------------------------------------

def _operation(first: int, count: int) -> list[dict]:
    """Contacts of every channel over three local days (9-11 January 2024), with every outcome:
    answered fast and slow, short and long abandons, abandons left empty (derived), ratings."""
    start = datetime(2024, 1, 9, 16, 0, tzinfo=UTC)  # 08:00 in Los Angeles
    rows = []
    for number in range(first, first + count):
        channel = CHANNELS[number % len(CHANNELS)]
        arrived = start + timedelta(minutes=61 * number)
        live = channel in ("phone", "chat")
        gives_up = number % 4 == 0 and channel != "email"
        row = {
            "interaction_id": f"i{number:03d}",
            "channel": channel,
            "arrived_at": arrived,
            "queue": ("billing", "orders", None)[number % 3],
            "team": ("north", "south")[number % 2] if number % 7 else None,
            "customer_id": f"c{number % 11}",
        }
        if gives_up:
            row["ended_at"] = arrived + timedelta(seconds=(number * 3) % 40)
            # every third abandon leaves the flag empty, for the contract to derive it
            row["abandoned"] = None if live and number % 3 == 0 else True
        elif channel != "self_service" and number % 9 != 5:
            wait = (number * 13) % (60 if live else 9000)
            row |= {"answered_at": arrived + timedelta(seconds=wait), "abandoned": False,
                    "agent_id": f"a{number % 4}", "tier": None if number % 8 == 3 else 1 + number % 3,
                    "talk_seconds": 100.0 + number, "hold_seconds": (number % 3) * 10.0,
                    "wrap_seconds": None if number % 5 == 0 else 30.0,
                    "csat_score": (None, 1, 2, 3, 4, 5)[number % 6],
                    "nps_score": None if number % 4 == 1 else number % 11,
                    "ces_score": None if number % 3 == 1 else 1 + number % 7,
                    "resolved_first_contact": None if number % 5 == 2 else number % 2 == 0}
        else:
            row["abandoned"] = False if not live else None
        rows.append(row)
    return rows


def _contacts() -> list[dict]:
    """The rows that pass validation: both interaction files, none of the third (a repeat, a fax)."""
    return _operation(0, 30) + _operation(30, 30)


def _local_day(moment: datetime) -> date:
    return moment.astimezone(LOCAL).date()


def _segment(row: dict, dimension: str) -> str:
    """A contact's segment, as the quality page names it: a missing value is '(none)'."""
    if dimension == "tier":
        return "(none)" if row.get("tier") is None else f"tier {row['tier']}"
    return row.get("agent_id" if dimension == "agent" else dimension) or "(none)"


def _evaluation(evaluation_id: str, interaction_id: str, agent_id: str, evaluated_at: str,
                items: dict[str, tuple[float, float]]) -> list[dict]:
    return [{"evaluation_id": evaluation_id, "interaction_id": interaction_id, "agent_id": agent_id,
             "evaluated_at": evaluated_at, "item": item, "score": score, "max_score": most}
            for item, (score, most) in items.items()]


# QA evaluations (times in UTC; local days in Los Angeles are 8 hours behind). a3 handled contacts
# and was never evaluated; a9 was evaluated and handled nothing in the fixture.
QA_ROWS = [
    *_evaluation("q1", "i008", "a0", "2024-01-10 18:00", {"greeting": (2, 2), "resolution": (3, 5)}),
    *_evaluation("q2", "i020", "a0", "2024-01-11 18:00", {"greeting": (1, 2), "resolution": (5, 5)}),
    *_evaluation("q3", "i001", "a1", "2024-01-10 19:00", {"greeting": (0, 2), "resolution": (4, 5)}),
    # 12 January in UTC, still 11 January in Los Angeles: inside the range
    *_evaluation("q4", "i002", "a2", "2024-01-12 07:30", {"greeting": (2, 2)}),
    # 12 January in Los Angeles: outside the range
    *_evaluation("q5", "i006", "a2", "2024-01-12 08:30", {"greeting": (2, 2), "resolution": (5, 5)}),
    *_evaluation("q6", "i999", "a9", "2024-01-10 20:00", {"resolution": (1, 5)}),
]


def _order(order_id: str, customer: str, when: str, revenue: float, returned: bool = False,
           claim: bool = False) -> dict:
    return {"order_id": order_id, "customer_id": customer, "ordered_at": when, "revenue_usd": revenue,
            "returned": returned, "warranty_claim": claim}


# customers c0-c10 contact service in the operation above; z9 never does. Times in UTC.
ORDER_ROWS = [
    _order("o1", "c0", "2023-12-20 18:00", 50.0),
    _order("o2", "c0", "2024-01-15 18:00", 30.0, returned=True),
    _order("o3", "c0", "2024-01-20 18:00", -30.0),  # the refund of o2
    _order("o4", "c1", "2024-01-05 18:00", 20.0, claim=True),
    _order("o5", "c2", "2024-01-10 18:00", 80.0),
    _order("o6", "c2", "2024-02-10 18:00", 25.0, returned=True),
    _order("o7", "c3", "2024-01-12 18:00", 0.0),  # a free sample is still a purchase
    _order("o8", "z9", "2024-01-02 18:00", 15.0),
    _order("o9", "z9", "2024-01-03 07:30", 10.0),  # 2 January in Los Angeles
]


@dataclass
class Prepared:
    folder: Path
    store: Store
    live_contacts: int

    @property
    def clean_interactions(self) -> list[str]:
        return [str(p) for p in sorted((store_path(self.folder) / "interactions" / "clean").glob("*"))]

    @property
    def clean_orders(self) -> list[str]:
        return [str(p) for p in sorted((store_path(self.folder) / "orders" / "clean").glob("*"))]

    @property
    def rollups(self) -> list[str]:
        return [str(p) for p in sorted((store_path(self.folder) / "interactions" / "rollup").glob("*"))]

    def sql(self, name: str, params: dict) -> pd.DataFrame:
        return self.store.query(name, **params)


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    folder = tmp_path_factory.mktemp("contract")
    first, second = _operation(0, 30), _operation(30, 30)
    # day 10 January starts in the first file and ends in the second
    write_interactions(folder, first, "interactions/2024-01-a.parquet")
    write_interactions(folder, second, "interactions/2024-01-b.parquet")
    write_interactions(folder, [
        {"interaction_id": "i001", "channel": "phone", "arrived_at": "2024-01-10 18:00"},
        {"interaction_id": "x1", "channel": "fax", "arrived_at": "2024-01-10 18:00", "csat_score": 9},
    ], "interactions/2024-01-c.parquet")
    write_costs(folder, [
        {"month": "2024-01-01", "channel": "phone", "cost_type": "labor", "amount_usd": 3100.0},
        {"month": "2024-01-01", "channel": "chat", "cost_type": "labor", "amount_usd": 620.0},
        {"month": "2024-01-01", "channel": "shared", "cost_type": "facilities", "amount_usd": 310.0},
        {"month": "2024-01-01", "channel": "phone", "cost_type": "one_time", "amount_usd": 5000.0},
        {"month": "2024-02-01", "channel": "phone", "cost_type": "labor", "amount_usd": 2900.0},
    ])
    write_costs_csv(folder, [
        {"month": "2024-01-01", "channel": "email", "cost_type": "labor", "amount_usd": "tbd"},
    ], "costs/extra.csv")
    write_qa(folder, QA_ROWS)
    write_orders(folder, ORDER_ROWS)
    live = sum(1 for row in first + second if row["channel"] in ("phone", "chat"))
    store = Store.open(folder)
    yield Prepared(folder, store, live)
    store.close()


def _rows(sql: str, params: dict) -> list[tuple]:
    con = connect()
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


# --- checks shared by the contracts -------------------------------------------------------------------

def assert_unique(frame: pd.DataFrame, columns: list[str]) -> None:
    assert not frame.duplicated(columns).any(), f"grain {columns} is not unique"


def assert_not_null(frame: pd.DataFrame, columns: list[str]) -> None:
    for column in columns:
        assert frame[column].notna().all(), f"{column} has nulls"


def assert_measures_are_counts(frame: pd.DataFrame, keys: list[str]) -> None:
    measures = frame.drop(columns=keys)
    assert measures.notna().all().all()
    assert (measures >= 0).all().all()


def assert_measure_identities(frame: pd.DataFrame) -> None:
    f = frame
    assert (f["served"] <= f["contacts"]).all()
    assert (f["handled"] <= f["served"]).all()
    assert (f["live_offered"] == f["live_answered"] + f["live_abandoned"]).all()
    assert (f["live_answered_within_threshold"] <= f["live_answered"]).all()
    assert (f["live_abandoned_within_threshold"] <= f["live_abandoned"]).all()
    assert (f["async_responded_within_target"] <= f["async_contacts"]).all()
    assert (f["csat_good"] + f["csat_bad"] <= f["csat_rated"]).all()
    assert (f["csat_rated"] <= f["csat_score_sum"]).all() and \
        (f["csat_score_sum"] <= 5 * f["csat_rated"]).all()
    assert (f["nps_promoters"] + f["nps_detractors"] <= f["nps_responses"]).all()
    assert (f["ces_responses"] <= f["ces_score_sum"]).all() and \
        (f["ces_score_sum"] <= 7 * f["ces_responses"]).all()
    assert (f["fcr_resolved"] <= f["fcr_known"]).all()


def assert_detail_identities(frame: pd.DataFrame) -> None:
    """The score distribution and tier counts of the detailed rollup add up to the totals."""
    f = frame
    assert (f[[f"csat_{k}" for k in range(1, 6)]].sum(axis=1) == f["csat_rated"]).all()
    assert (f["csat_4"] + f["csat_5"] == f["csat_good"]).all()
    assert (f["csat_1"] + f["csat_2"] == f["csat_bad"]).all()
    assert (sum(k * f[f"csat_{k}"] for k in range(1, 6)) == f["csat_score_sum"]).all()
    tiers = f["tier_1"] + f["tier_2"] + f["tier_3"]
    assert (tiers == f["contacts"].where(f["tier"].notna(), 0)).all()


# --- one contract per file -------------------------------------------------------------------------------

def rollup_daily(p: Prepared) -> None:
    frames = [p.sql("rollup_daily", {**rollup_parameters(p.store.settings), "path": path})
              for path in p.clean_interactions]
    frame = pd.concat(frames, ignore_index=True)
    for part in frames:
        assert_unique(part, DETAIL_GRAIN)
    assert_not_null(frame, [*GRAIN, "agent"])  # tier stays null where no tier is recorded
    assert_measures_are_counts(frame, DETAIL_GRAIN)
    assert_measure_identities(frame)
    assert_detail_identities(frame)
    assert set(frame["tier"].dropna()) == {1, 2, 3} and frame["tier"].isna().any()
    assert {"a0", "a1", "a2", "a3", "(none)"} == set(frame["agent"])
    [(clean_rows,)] = _rows("select count(*) from read_parquet($paths)", {"paths": p.clean_interactions})
    assert frame["contacts"].sum() == clean_rows == 60
    # every live contact is answered, abandoned or a short abandon: nothing falls between
    assert (frame["live_answered"] + frame["live_abandoned"] + frame["live_short_abandoned"]).sum() \
        == (frame["live_offered"] + frame["live_short_abandoned"]).sum() == p.live_contacts
    assert set(frame["channel"]) == set(CHANNELS)


def load_daily(p: Prepared) -> None:
    frame = p.sql("load_daily", {"paths": p.rollups})
    assert_unique(frame, GRAIN)
    assert_not_null(frame, GRAIN)
    assert_measures_are_counts(frame, GRAIN)
    assert_measure_identities(frame)
    [by_file] = _rows("select sum(contacts), sum(served) from read_parquet($paths)", {"paths": p.rollups})
    assert (frame["contacts"].sum(), frame["served"].sum()) == by_file
    # 10 January is in both files and still one row per grain
    tenth = frame[pd.to_datetime(frame["day"]).dt.date == date(2024, 1, 10)]
    assert len(tenth) and not tenth.duplicated(GRAIN).any()


HOURLY_GRAIN = ["day", "hour", "channel"]


def _local_hours(key: Callable[[datetime], tuple]) -> Counter:
    """The fixture's contacts counted in Python by a key of their local arrival time and channel."""
    return Counter((*key(row["arrived_at"].astimezone(LOCAL)), row["channel"]) for row in _contacts())


def _hourly_rollups(p: Prepared) -> list[str]:
    return [str(path) for path in sorted((store_path(p.folder) / "interactions" / "hourly").glob("*"))]


def rollup_hourly(p: Prepared) -> None:
    timezone = p.store.settings.timezone
    frames = [p.sql("rollup_hourly", {"path": path, "timezone": timezone}) for path in p.clean_interactions]
    for part in frames:
        assert_unique(part, HOURLY_GRAIN)
    frame = pd.concat(frames, ignore_index=True)
    assert_not_null(frame, [*HOURLY_GRAIN, "contacts"])
    assert frame["hour"].between(0, 23).all() and (frame["contacts"] > 0).all()
    summed = frame.groupby(HOURLY_GRAIN)["contacts"].sum()
    assert {(pd.Timestamp(day).date(), hour, channel): contacts
            for (day, hour, channel), contacts in summed.items()} == \
        _local_hours(lambda local: (local.date(), local.hour))
    # file by file, the contacts of each day and channel are the daily rollup's
    for path, part in zip(p.clean_interactions, frames, strict=True):
        daily = p.sql("rollup_daily", {**rollup_parameters(p.store.settings), "path": path})
        assert part.groupby(["day", "channel"])["contacts"].sum().to_dict() == \
            daily.groupby(["day", "channel"])["contacts"].sum().to_dict()
    # the day daylight saving ends: 08:30 and 09:30 UTC are both 01:30 in Los Angeles, one local hour
    scratch = write_interactions(p.folder, [
        {"interaction_id": "d1", "channel": "phone", "arrived_at": "2024-11-03 08:30"},
        {"interaction_id": "d2", "channel": "phone", "arrived_at": "2024-11-03 09:30"},
        {"interaction_id": "d3", "channel": "phone", "arrived_at": "2024-11-03 10:30"},
    ], "scratch/fall_back.parquet")
    fall_back = p.sql("rollup_hourly", {"path": str(scratch), "timezone": TIMEZONE})
    assert [(pd.Timestamp(day).date(), hour, contacts) for day, hour, contacts in
            fall_back[["day", "hour", "contacts"]].itertuples(index=False)] == \
        [(date(2024, 11, 3), 1, 2), (date(2024, 11, 3), 2, 1)]


def load_hourly(p: Prepared) -> None:
    paths = _hourly_rollups(p)
    frame = p.sql("load_hourly", {"paths": paths})
    assert_unique(frame, HOURLY_GRAIN)
    assert_not_null(frame, [*HOURLY_GRAIN, "contacts"])
    assert frame["hour"].between(0, 23).all()
    [(by_file,)] = _rows("select sum(contacts) from read_parquet($paths)", {"paths": paths})
    assert frame["contacts"].sum() == by_file == 60
    # 10 January has rows in both files and is still one row per grain
    [(files_with_tenth,)] = _rows(
        "select count(distinct filename) from read_parquet($paths, filename = true) where day = $day",
        {"paths": paths, "day": date(2024, 1, 10)})
    assert files_with_tenth == 2
    # per day and channel, the same contacts as the daily rollups the overview reads
    daily = p.sql("load_daily", {"paths": p.rollups})
    assert frame.groupby(["day", "channel"])["contacts"].sum().to_dict() == \
        daily.groupby(["day", "channel"])["contacts"].sum().to_dict()
    # the store holds exactly this table in memory
    held = p.store.cursor().execute("select * from hourly order by day, hour, channel").df()
    pd.testing.assert_frame_equal(held, frame, check_dtype=False)


# --- 15-minute intervals: what the forecasts learn from -------------------------------------------------

INTERVAL_GRAIN = ["slot", "channel", "queue"]
INTERVAL_MEASURES = ["contacts", "handled", "handle_seconds", "live_offered", "live_abandoned",
                     "live_queue_seconds"]
SERIES_GRAIN = ["slot", "channel"]
EVER = datetime(9999, 1, 1, tzinfo=UTC)  # a $before after everything, as the accuracy record passes
# the bounds of load_intervals.sql: one month of UTC, as preparation writes each merged part
JANUARY_UTC = {"start": datetime(2024, 1, 1, tzinfo=UTC), "end": datetime(2024, 2, 1, tzinfo=UTC)}
FEBRUARY_UTC = {"start": datetime(2024, 2, 1, tzinfo=UTC), "end": datetime(2024, 3, 1, tzinfo=UTC)}


def _floor(moment: datetime, minutes: int) -> datetime:
    """The start of the interval of MINUTES (15 or 30) of UTC that a moment falls in."""
    moment = moment.astimezone(UTC)
    return moment.replace(minute=moment.minute // minutes * minutes, second=0, microsecond=0)


def _local_midnight(moment: datetime) -> datetime:
    return datetime.combine(_local_day(moment), time(), LOCAL)


def _interval_measures(rows: list[dict], live_channels: list[str],
                       short_seconds: float) -> dict[tuple, tuple]:
    """Contacts summed by 15-minute interval of UTC, channel and queue, the rollup's definitions written
    out in Python: (contacts, handled, handle_seconds, live_offered, live_abandoned, live_queue_seconds)."""
    sums: dict[tuple, list[float]] = {}
    for row in rows:
        arrived, answered, ended = row["arrived_at"], row.get("answered_at"), row.get("ended_at")
        live = row["channel"] in live_channels
        abandoned = row.get("abandoned")
        if abandoned is None:  # the contract's derivation: a live contact never answered abandoned
            abandoned = live and answered is None
        short = live and abandoned and ended is not None and (ended - arrived).total_seconds() < short_seconds
        times = [row.get(name) for name in ("talk_seconds", "hold_seconds", "wrap_seconds")]
        handled = answered is not None and any(t is not None for t in times)
        offered = live and not short
        left = answered if answered is not None else ended  # answered, or gave up
        waited = max((left - arrived).total_seconds(), 0) if offered and left is not None else 0
        key = (_floor(arrived, 15), row["channel"], row.get("queue") or "(none)")
        handle = sum(t or 0 for t in times) if handled else 0
        add = (1, handled, handle, offered, offered and abandoned, waited)
        sums[key] = [a + b for a, b in zip(sums.get(key, [0] * 6), add, strict=True)]
    return {key: tuple(float(v) for v in values) for key, values in sums.items()}


def _keyed(frame: pd.DataFrame, keys: list[str], measures: list[str]) -> dict[tuple, tuple]:
    """A frame's rows as {keys: measures}, instants as aware datetimes and measures as floats."""
    return {tuple(k.to_pydatetime() if isinstance(k, pd.Timestamp) else k for k in record[:len(keys)]):
            tuple(float(v) for v in record[len(keys):])
            for record in frame[keys + measures].itertuples(index=False)}


def _interval_parameters(p: Prepared) -> dict:
    """The settings sql/rollup_intervals.sql binds (all but $path), as preparation binds them."""
    params = rollup_parameters(p.store.settings)
    return {name: params[name] for name in ("live_channels", "short_abandon_seconds")}


def _interval_rollups(p: Prepared) -> list[str]:
    return [str(path) for path in sorted((store_path(p.folder) / "interactions" / "intervals").glob("*"))]


def _scratch_intervals(p: Prepared, name: str, files: dict[str, list[dict]]) -> list[str]:
    """Interactions files written to scratch/NAME and rolled up by interval as preparation does it:
    the paths of their interval rollups."""
    con = connect()
    try:
        paths = []
        for stem, rows in files.items():
            source = write_interactions(p.folder, rows, f"scratch/{name}/{stem}.parquet")
            target = p.folder / "scratch" / name / "intervals" / f"{stem}.parquet"
            _copy_query(con, "rollup_intervals", {**_interval_parameters(p), "path": str(source)}, target)
            paths.append(str(target))
        return paths
    finally:
        con.close()


def _on_intervals(paths: list[str], name: str, params: dict) -> pd.DataFrame:
    """sql/NAME.sql run where the table intervals is these rollups, merged as preparation merges them
    (here in one piece: from the first instant of 1970 to EVER)."""
    con = connect()
    try:
        con.execute("create table intervals as " + load_sql("load_intervals"),
                    {"paths": paths, "start": datetime(1970, 1, 1, tzinfo=UTC), "end": EVER})
        return con.execute(load_sql(name), params).df()
    finally:
        con.close()


def _series_params(minutes: int, before: datetime = EVER, channels: list[str] | tuple = (),
                   queues: list[str] | tuple = (), timezone: str = TIMEZONE) -> dict:
    return {"minutes": minutes, "timezone": timezone, "channels": list(channels), "queues": list(queues),
            "before": before}


def _series(p: Prepared, minutes: int, **params) -> pd.DataFrame:
    return p.sql("forecast_series", _series_params(minutes, **params))


def _counted(frame: pd.DataFrame) -> Counter:
    counted = _keyed(frame, SERIES_GRAIN, ["contacts"])
    return Counter({key: int(contacts) for key, (contacts,) in counted.items()})


def rollup_intervals(p: Prepared) -> None:
    live_channels = _interval_parameters(p)["live_channels"]
    frames = [p.sql("rollup_intervals", {**_interval_parameters(p), "path": path})
              for path in p.clean_interactions]
    for part in frames:
        assert_unique(part, INTERVAL_GRAIN)
        assert list(part.columns) == [*INTERVAL_GRAIN, *INTERVAL_MEASURES]
    frame = pd.concat(frames, ignore_index=True)
    assert_not_null(frame, INTERVAL_GRAIN)
    assert_measures_are_counts(frame, INTERVAL_GRAIN)
    slots = pd.to_datetime(frame["slot"], utc=True)
    assert (slots == slots.dt.floor("15min")).all()  # interval starts, on the UTC grid
    assert (frame["handled"] <= frame["contacts"]).all()
    assert (frame["live_abandoned"] <= frame["live_offered"]).all()
    assert (frame["live_offered"] <= frame["contacts"]).all()
    # every measure of every interval, as counted in Python from the fixture's rows (61 minutes apart:
    # one contact an interval, so 60 rows)
    assert _keyed(frame, INTERVAL_GRAIN, INTERVAL_MEASURES) == \
        _interval_measures(_contacts(), live_channels, p.store.settings.short_abandon_seconds)
    assert len(frame) == frame["contacts"].sum() == 60
    assert set(frame["queue"]) == {"billing", "orders", "(none)"}
    # live offered: the 20 live contacts less the one short abandon (i000, gone after 0 seconds)
    assert frame["live_offered"].sum() == p.live_contacts - 1 == 19
    not_live = frame[~frame["channel"].isin(live_channels)]
    assert (not_live[["live_offered", "live_abandoned", "live_queue_seconds"]] == 0).all().all()
    # file by file, by local day, channel and queue: what the daily rollup (team, agent, tier summed
    # out) counts -- the two rollups repeat the per-contact definitions and must agree
    shared = ["contacts", "handled", "handle_seconds", "live_offered", "live_abandoned"]
    for path, part in zip(p.clean_interactions, frames, strict=True):
        daily = p.sql("rollup_daily", {**rollup_parameters(p.store.settings), "path": path})
        by_slot = part.assign(day=pd.to_datetime(part["slot"], utc=True).dt.tz_convert(TIMEZONE).dt.date)
        by_day = daily.assign(day=pd.to_datetime(daily["day"]).dt.date)
        assert _keyed(by_slot.groupby(["day", "channel", "queue"], as_index=False)[shared].sum(),
                      ["day", "channel", "queue"], shared) == \
            _keyed(by_day.groupby(["day", "channel", "queue"], as_index=False)[shared].sum(),
                   ["day", "channel", "queue"], shared)
    # rows the fixture lacks, each at the edge of a definition: handle time without an answer (not
    # handled), an answer without handle time (not handled), a live contact neither answered nor
    # abandoned (offered; waits until it ended), an abandon after exactly the short-abandon threshold
    # (not short), and an answer stamped before the arrival (a wait of 0, not negative)
    threshold = p.store.settings.short_abandon_seconds
    at = utc("2024-02-01 10:00")
    odd = [
        {"interaction_id": "e1", "channel": "email", "arrived_at": at, "talk_seconds": 50.0},
        {"interaction_id": "e2", "channel": "phone", "arrived_at": at,
         "answered_at": at + timedelta(seconds=9), "abandoned": False},
        {"interaction_id": "e3", "channel": "phone", "arrived_at": at,
         "ended_at": at + timedelta(seconds=70), "abandoned": False},
        {"interaction_id": "e4", "channel": "chat", "arrived_at": at,
         "ended_at": at + timedelta(seconds=threshold), "abandoned": True},
        {"interaction_id": "e5", "channel": "chat", "arrived_at": at + timedelta(minutes=20),
         "answered_at": at, "abandoned": False, "talk_seconds": 60.0, "hold_seconds": 5.0},
    ]
    [path] = _scratch_intervals(p, "odd_contacts", {"part": odd})
    edges = pd.read_parquet(path)
    assert _keyed(edges, INTERVAL_GRAIN, INTERVAL_MEASURES) == \
        _interval_measures(odd, live_channels, threshold) == {
            (at, "chat", "(none)"): (1, 0, 0, 1, 1, threshold),
            (at, "email", "(none)"): (1, 0, 0, 0, 0, 0),
            (at, "phone", "(none)"): (2, 0, 0, 2, 0, 9 + 70),
            (at + timedelta(minutes=15), "chat", "(none)"): (1, 1, 60 + 5, 1, 0, 0),
        }
    daily = p.sql("rollup_daily", {**rollup_parameters(p.store.settings),
                                   "path": str(p.folder / "scratch" / "odd_contacts" / "part.parquet")})
    assert edges.groupby("channel")[shared].sum().to_dict("index") == \
        daily.groupby("channel")[shared].sum().to_dict("index")
    # the day daylight saving ends: 08:30 and 09:30 UTC are both 01:30 in Los Angeles and stay two
    # intervals; 08:44:59 shares the first
    [path] = _scratch_intervals(p, "fall_back_intervals", {"part": [
        {"interaction_id": "d1", "channel": "phone", "arrived_at": utc("2024-11-03 08:30")},
        {"interaction_id": "d2", "channel": "phone", "arrived_at": utc("2024-11-03 09:30")},
        {"interaction_id": "d3", "channel": "phone", "arrived_at": utc("2024-11-03 08:44:59")},
    ]})
    fall_back = pd.read_parquet(path)
    assert _keyed(fall_back, ["slot"], ["contacts"]) == {
        (utc("2024-11-03 08:30"),): (2.0,), (utc("2024-11-03 09:30"),): (1.0,)}


def load_intervals(p: Prepared) -> None:
    paths = _interval_rollups(p)
    assert len(paths) == len(p.clean_interactions)  # preparation wrote one per interactions file
    frame = p.sql("load_intervals", {"paths": paths, **JANUARY_UTC})
    assert_unique(frame, INTERVAL_GRAIN)
    assert_not_null(frame, INTERVAL_GRAIN)
    assert_measures_are_counts(frame, INTERVAL_GRAIN)
    assert list(frame.columns) == [*INTERVAL_GRAIN, *INTERVAL_MEASURES]
    # the files' rows summed: the same totals, and per key what Python counts from the fixture
    sums = ", ".join(f"sum({m})" for m in INTERVAL_MEASURES)
    [by_file] = _rows(f"select {sums} from read_parquet($paths)", {"paths": paths})
    assert tuple(frame[INTERVAL_MEASURES].sum()) == pytest.approx(by_file)
    assert by_file[0] == 60
    assert _keyed(frame, INTERVAL_GRAIN, INTERVAL_MEASURES) == _interval_measures(
        _contacts(), _interval_parameters(p)["live_channels"], p.store.settings.short_abandon_seconds)
    # the store serves exactly this table (January's merged part)
    held = p.store.cursor().execute("select * from intervals order by slot, channel, queue").df()
    pd.testing.assert_frame_equal(held, frame, check_dtype=False)
    # the bounds keep the intervals from $start up to, not including, $end: i024 arrived at 16:24 UTC
    # on 10 January (the fixture's arrivals are 61 minutes apart from 16:00 on the 9th)
    later = p.sql("load_intervals", {"paths": paths, "start": utc("2024-01-10 16:15"), "end": EVER})
    assert later["contacts"].sum() == 60 - 24
    assert later["slot"].min() == utc("2024-01-10 16:15")
    assert p.sql("load_intervals", {"paths": paths, **FEBRUARY_UTC}).empty
    # one interval at a file boundary (the fixture's arrivals are 61 minutes apart, so made here): phone
    # and billing at 10:02 in one file and 10:14 in the next make one row; 10:20 is the next interval
    billing = {"queue": "billing"}
    split = _scratch_intervals(p, "split_interval", {
        "one": [
            {**billing, "interaction_id": "s1", "channel": "phone", "arrived_at": utc("2024-02-01 10:02"),
             "answered_at": utc("2024-02-01 10:02:20"), "abandoned": False, "talk_seconds": 100.0},
            {**billing, "interaction_id": "s2", "channel": "chat", "arrived_at": utc("2024-02-01 10:05"),
             "ended_at": utc("2024-02-01 10:05:30"), "abandoned": True},
        ],
        "two": [
            {**billing, "interaction_id": "s3", "channel": "phone", "arrived_at": utc("2024-02-01 10:14"),
             "answered_at": utc("2024-02-01 10:14:40"), "abandoned": False, "talk_seconds": 200.0,
             "wrap_seconds": 30.0},
            # never answered, gone after 3 seconds: a short abandon (the flag left for the rollup to derive)
            {**billing, "interaction_id": "s4", "channel": "phone", "arrived_at": utc("2024-02-01 10:20"),
             "ended_at": utc("2024-02-01 10:20:03")},
        ],
    })
    loaded = _on_intervals(split, "load_intervals", {"paths": split, **FEBRUARY_UTC})
    assert _keyed(loaded, INTERVAL_GRAIN, INTERVAL_MEASURES) == {
        (utc("2024-02-01 10:00"), "chat", "billing"): (1, 0, 0, 1, 1, 30),
        (utc("2024-02-01 10:00"), "phone", "billing"): (2, 2, 100 + 200 + 30, 2, 0, 20 + 40),
        (utc("2024-02-01 10:15"), "phone", "billing"): (1, 0, 0, 0, 0, 0),
    }


def forecast_series(p: Prepared) -> None:
    rows = _contacts()
    grids = {15: lambda moment: _floor(moment, 15), 30: lambda moment: _floor(moment, 30),
             1440: _local_midnight}
    held = p.store.cursor().execute(
        "select " + ", ".join(f"sum({m})::double" for m in INTERVAL_MEASURES) + " from intervals").fetchone()
    # an arrival on a 15-minute boundary: i030, 22:30 UTC on 10 January (the second file's first)
    cut = datetime(2024, 1, 10, 22, 30, tzinfo=UTC)
    midnight = datetime(2024, 1, 11, tzinfo=LOCAL)  # as a forecast made on 11 January passes it
    for minutes, grid in grids.items():
        frame = _series(p, minutes)
        assert_unique(frame, SERIES_GRAIN)
        assert_not_null(frame, SERIES_GRAIN)
        assert_measures_are_counts(frame, SERIES_GRAIN)
        assert list(frame.columns) == [*SERIES_GRAIN, *INTERVAL_MEASURES]
        assert frame["contacts"].dtype.kind == "i"
        # the queue summed out: every contact in the interval (or local day) it arrived in
        assert _counted(frame) == Counter((grid(row["arrived_at"]), row["channel"]) for row in rows)
        assert tuple(frame[INTERVAL_MEASURES].sum()) == pytest.approx(held)
        # $before: a contact arriving exactly then is left out, as is everything after
        early = _series(p, minutes, before=cut)
        assert early["contacts"].sum() == sum(row["arrived_at"] < cut for row in rows) == 30
        assert _series(p, minutes, before=cut + timedelta(minutes=15))["contacts"].sum() == 31
        assert _series(p, minutes, before=midnight)["contacts"].sum() == \
            sum(_local_day(row["arrived_at"]) < date(2024, 1, 11) for row in rows)
        assert _series(p, minutes, before=datetime(2024, 1, 9, 16, tzinfo=UTC)).empty  # i000's arrival
        # the filters: an empty list is all; listing every value is the same
        pd.testing.assert_frame_equal(_series(p, minutes, channels=CHANNELS), frame)
        pd.testing.assert_frame_equal(_series(p, minutes, queues=["billing", "orders", "(none)"]), frame)
        # (phone is always billing, chat orders and email '(none)' in the fixture: both filters bite)
        channels, queues = ["phone", "chat", "email"], ["orders", "(none)"]
        chosen = _series(p, minutes, channels=channels, queues=queues)
        assert _counted(chosen) == Counter(
            (grid(row["arrived_at"]), row["channel"]) for row in rows
            if row["channel"] in channels and (row["queue"] or "(none)") in queues)
        assert set(chosen["channel"]) == {"chat", "email"} and chosen["contacts"].sum() == 20
        assert sum(_series(p, minutes, channels=[c])["contacts"].sum() for c in CHANNELS) == 60
        assert _series(p, minutes, queues=["(none)"])["contacts"].sum() == \
            sum(row["queue"] is None for row in rows) == 20
        assert _series(p, minutes, channels=["fax"]).empty
    # the day grain's slots are local midnights, in the zone given
    days = _series(p, 1440)
    assert sorted(set(pd.to_datetime(days["slot"], utc=True))) == \
        [datetime(2024, 1, d, tzinfo=LOCAL) for d in (9, 10, 11)]
    assert _counted(_series(p, 1440, timezone="UTC")) == \
        Counter((datetime.combine(row["arrived_at"].date(), time(), UTC), row["channel"]) for row in rows)
    assert sorted(set(pd.to_datetime(_series(p, 1440, before=midnight)["slot"], utc=True))) == \
        [datetime(2024, 1, 9, tzinfo=LOCAL), datetime(2024, 1, 10, tzinfo=LOCAL)]
    # across both daylight-saving changes: the 23-hour 10 March and the 25-hour 3 November are one local
    # day each, starting at local midnight (08:00 then 07:00 UTC in March, 07:00 then 08:00 in November)
    arrivals = ["2024-03-10 07:30", "2024-03-10 08:15", "2024-03-11 06:45", "2024-03-11 07:00",
                "2024-11-03 06:59", "2024-11-03 07:00", "2024-11-03 08:30", "2024-11-03 09:30",
                "2024-11-04 07:59", "2024-11-04 08:00"]
    dst = _scratch_intervals(p, "daylight_saving", {"part": [
        {"interaction_id": f"t{n}", "channel": "phone", "arrived_at": utc(text)}
        for n, text in enumerate(arrivals)]})
    local_days = _on_intervals(dst, "forecast_series", _series_params(1440))
    assert _keyed(local_days, ["slot"], ["contacts"]) == {
        (utc("2024-03-09 08:00"),): (1.0,),  # 23:30 on 9 March
        (utc("2024-03-10 08:00"),): (2.0,),  # 00:15 and 23:45 on 10 March
        (utc("2024-03-11 07:00"),): (1.0,),
        (utc("2024-11-02 07:00"),): (1.0,),  # 23:59 (floored to 23:45) on 2 November
        (utc("2024-11-03 07:00"),): (4.0,),  # 00:00, 01:30 twice, 23:59 on 3 November
        (utc("2024-11-04 08:00"),): (1.0,),
    }
    assert {datetime.combine(d, time(), LOCAL) for d in map(_local_day, map(utc, arrivals))} == \
        set(pd.to_datetime(local_days["slot"], utc=True))
    # at 15 and 30 minutes, each arrival in its interval of UTC: the 25-hour day keeps both 01:30s apart
    quarter = _on_intervals(dst, "forecast_series", _series_params(15))
    assert _counted(quarter) == Counter((_floor(utc(text), 15), "phone") for text in arrivals)
    assert {utc("2024-11-03 08:30"), utc("2024-11-03 09:30")} <= \
        set(pd.to_datetime(quarter["slot"], utc=True))
    half = _on_intervals(dst, "forecast_series", _series_params(30))
    assert _counted(half) == Counter((_floor(utc(text), 30), "phone") for text in arrivals)


def rollup_interval_months(p: Prepared) -> None:
    # the fixture's arrivals: 9 to 12 January (UTC) in the first two files; the third file's two rows
    # were set aside (a repeated id, a fax), so its rollup has no rows: both months null
    spans = []
    for path in _interval_rollups(p):
        frame = p.sql("rollup_interval_months", {"path": path})
        assert list(frame.columns) == ["first_month", "last_month"] and len(frame) == 1
        spans.append(tuple(value if isinstance(value, str) else None for value in frame.iloc[0]))
    assert Counter(spans) == Counter({("2024-01", "2024-01"): 2, (None, None): 1})
    # a rollup from 23:50 UTC on 31 January to 00:05 on 1 March (in Los Angeles still February)
    [spanning] = _scratch_intervals(p, "month_span", {"spanning": [
        {"interaction_id": "m1", "channel": "phone", "arrived_at": utc("2024-01-31 23:50")},
        {"interaction_id": "m2", "channel": "phone", "arrived_at": utc("2024-03-01 00:05")},
    ]})
    assert tuple(p.sql("rollup_interval_months", {"path": spanning}).iloc[0]) == ("2024-01", "2024-03")
    # a rollup without rows: one row, both null
    [empty] = _scratch_intervals(p, "month_span_empty", {"empty": []})
    assert p.sql("rollup_interval_months", {"path": empty}).isna().all().all()


def interval_span(p: Prepared) -> None:
    frame = p.sql("interval_span", {})
    assert list(frame.columns) == ["first_slot", "last_slot"] and len(frame) == 1
    first, last = frame.iloc[0]
    arrivals = [row["arrived_at"] for row in _contacts()]
    # i000 arrived at 16:00 UTC on 9 January; i059 at 03:59 on 12 January, in the interval from 03:45
    assert first == _floor(min(arrivals), 15) == datetime(2024, 1, 9, 16, tzinfo=UTC)
    assert last == _floor(max(arrivals), 15) == datetime(2024, 1, 12, 3, 45, tzinfo=UTC)
    # a store without interactions: one row, both null
    empty = p.folder / "scratch" / "empty_store"
    empty.mkdir(parents=True, exist_ok=True)
    with Store.open(empty) as store:
        span = store.query("interval_span")
    assert len(span) == 1 and span.isna().all().all()


def contacts_by_weekday_hour_channel(p: Prepared) -> None:
    keys = ["weekday", "hour", "channel"]
    frame = p.sql("contacts_by_weekday_hour_channel", {**JANUARY, "channels": []})
    assert_unique(frame, keys)
    assert_not_null(frame, [*keys, "contacts"])
    assert frame["weekday"].between(0, 6).all() and frame["hour"].between(0, 23).all()
    assert {(weekday, hour, channel): contacts
            for weekday, hour, channel, contacts in frame.itertuples(index=False)} == \
        _local_hours(lambda local: (local.weekday(), local.hour))  # Python's weekday: 0 = Monday
    # filters split the total without loss
    by_channel = sum(p.sql("contacts_by_weekday_hour_channel",
                           {**JANUARY, "channels": [c]})["contacts"].sum() for c in CHANNELS)
    assert by_channel == frame["contacts"].sum() == 60
    phone = p.sql("contacts_by_weekday_hour_channel", {**JANUARY, "channels": ["phone"]})
    assert set(phone["channel"]) == {"phone"}
    tenth = p.sql("contacts_by_weekday_hour_channel",
                  {"start": date(2024, 1, 10), "end": date(2024, 1, 10), "channels": []})
    assert set(tenth["weekday"]) == {2}  # a Wednesday
    assert tenth["contacts"].sum() == sum(1 for row in _contacts()
                                          if _local_day(row["arrived_at"]) == date(2024, 1, 10))


def kpi_measures_daily(p: Prepared) -> None:
    frame = p.sql("kpi_measures_daily", {**JANUARY, **ALL})
    assert_unique(frame, ["day"])
    assert_not_null(frame, ["day"])
    assert_measures_are_counts(frame, ["day"])
    assert_measure_identities(frame)
    assert frame["contacts"].sum() == 60
    assert list(pd.to_datetime(frame["day"]).dt.date) == [date(2024, 1, d) for d in (9, 10, 11)]
    # filters split the total without loss
    by_channel = sum(p.sql("kpi_measures_daily", {**JANUARY, **ALL, "channels": [c]})["contacts"].sum()
                     for c in CHANNELS)
    assert by_channel == 60
    one_day = p.sql("kpi_measures_daily", {"start": date(2024, 1, 10), "end": date(2024, 1, 10), **ALL})
    assert len(one_day) == 1


def contacts_by_channel_day(p: Prepared) -> None:
    frame = p.sql("contacts_by_channel_day", {**JANUARY, **ALL})
    assert_unique(frame, ["day", "channel"])
    assert_not_null(frame, ["day", "channel", "contacts", "served"])
    assert (frame["served"] <= frame["contacts"]).all()
    measures = p.sql("kpi_measures_daily", {**JANUARY, **ALL})
    assert frame["contacts"].sum() == measures["contacts"].sum()
    assert frame["served"].sum() == measures["served"].sum()
    phone = p.sql("contacts_by_channel_day", {**JANUARY, **ALL, "channels": ["phone"]})
    assert set(phone["channel"]) == {"phone"}


def cost_daily(p: Prepared) -> None:
    blended = p.sql("cost_daily", {**JANUARY, "channels": []})
    assert_unique(blended, ["day"])
    assert_not_null(blended, ["day", "cost_usd"])
    assert len(blended) == 31
    # one-time left out; shared counts in the blended figure only
    assert blended["cost_usd"].sum() == pytest.approx(3100 + 620 + 310)
    phone = p.sql("cost_daily", {**JANUARY, "channels": ["phone"]})
    assert phone["cost_usd"].sum() == pytest.approx(3100)
    assert phone["cost_usd"].tolist() == pytest.approx([100.0] * 31)
    leap = p.sql("cost_daily", {"start": date(2024, 2, 1), "end": date(2024, 2, 29), "channels": []})
    assert len(leap) == 29 and leap["cost_usd"].sum() == pytest.approx(2900)


def served_by_month_channel(p: Prepared) -> None:
    months = {"first_month": date(2023, 12, 1), "last_month": date(2024, 2, 1)}
    frame = p.sql("served_by_month_channel", months)
    assert_unique(frame, ["month", "channel"])
    assert_not_null(frame, ["month", "channel"])
    assert_measures_are_counts(frame, ["month", "channel"])
    assert (frame["served"] <= frame["contacts"]).all() and (frame["handled"] <= frame["served"]).all()
    assert set(pd.to_datetime(frame["month"]).dt.date) == {date(2024, 1, 1)}  # 9-11 January only
    daily = p.sql("kpi_measures_daily", {**JANUARY, **ALL})
    for measure in ("contacts", "served", "handled", "handle_seconds"):
        assert frame[measure].sum() == pytest.approx(daily[measure].sum())
    assert frame.set_index("channel")["contacts"].to_dict() == {c: 10 for c in CHANNELS}
    assert p.sql("served_by_month_channel", {"first_month": date(2024, 2, 1),
                                              "last_month": date(2024, 2, 1)}).empty


def costs_by_month_channel_type(p: Prepared) -> None:
    frame = p.sql("costs_by_month_channel_type",
                  {"first_month": date(2024, 1, 1), "last_month": date(2024, 2, 1)})
    assert_unique(frame, ["month", "channel", "cost_type"])
    assert_not_null(frame, ["month", "channel", "cost_type", "amount_usd"])
    booked = {(str(pd.Timestamp(m).date()), c, t): a for m, c, t, a in frame.itertuples(index=False)}
    # as booked, one-time and shared included; the CSV's unreadable amount was set aside
    assert booked == {("2024-01-01", "phone", "labor"): 3100.0, ("2024-01-01", "chat", "labor"): 620.0,
                      ("2024-01-01", "shared", "facilities"): 310.0,
                      ("2024-01-01", "phone", "one_time"): 5000.0,
                      ("2024-02-01", "phone", "labor"): 2900.0}
    january = p.sql("costs_by_month_channel_type",
                    {"first_month": date(2024, 1, 1), "last_month": date(2024, 1, 1)})
    assert january["amount_usd"].sum() == pytest.approx(3100 + 620 + 310 + 5000)


def data_span(p: Prepared) -> None:
    frame = p.sql("data_span", {})
    assert list(frame.columns) == ["first_day", "last_day"] and len(frame) == 1
    # the local days with contacts (Los Angeles): 9 to 11 January
    assert tuple(pd.to_datetime(frame.iloc[0]).dt.date) == (DAYS["start"], DAYS["end"])
    # a store that leaves the daily rollups on disk reads the days from its files: the same span
    with Store.open(p.folder, resident=False) as on_disk:
        pd.testing.assert_frame_equal(on_disk.query("data_span"), frame)
    # a store without interactions: one row, both null
    empty = p.folder / "scratch" / "empty_store_days"
    empty.mkdir(parents=True, exist_ok=True)
    with Store.open(empty) as store:
        span = store.query("data_span")
    assert len(span) == 1 and span.isna().all().all()


def filter_options(p: Prepared) -> None:
    frame = p.sql("filter_options", {})
    assert_unique(frame, ["dimension", "value"])
    assert_not_null(frame, ["dimension", "value", "contacts", "first_day", "last_day"])
    assert set(frame["dimension"]) == {"channel", "queue", "team"}
    for _, group in frame.groupby("dimension"):
        assert group["contacts"].sum() == 60
    assert (frame["first_day"] <= frame["last_day"]).all()
    assert "(none)" in set(frame[frame["dimension"] == "queue"]["value"])


def modeled_costs(p: Prepared) -> None:
    model = CostModel(loaded_hourly_rate_usd=36.0, occupancy=0.8, telephony_per_minute_usd=0.05,
                      seats=3, seat_licence_month_usd=100.0, self_service_month_usd=50.0)
    frame = p.sql("modeled_costs", model.parameters())
    assert_unique(frame, ["month", "channel", "cost_type"])
    assert_not_null(frame, ["month", "channel", "cost_type", "amount_usd"])
    assert (frame["amount_usd"] > 0).all()
    assert set(frame["cost_type"]) <= {"labor", "telephony", "technology"}
    booked = frame.set_index(["channel", "cost_type"])["amount_usd"]
    served = p.sql("served_by_month_channel", {"first_month": date(2024, 1, 1),
                                               "last_month": date(2024, 1, 1)}).set_index("channel")
    covered = 3 / 31  # the data runs from 9 to 11 January: activity is scaled to the whole month
    for channel, row in served.iterrows():
        if row["handle_seconds"] > 0:
            labor = row["handle_seconds"] / 3600 / 0.8 * 36
            assert booked[(channel, "labor")] * covered == pytest.approx(labor)
    assert booked[("shared", "technology")] == pytest.approx(300.0)
    assert booked[("self_service", "technology")] == pytest.approx(50.0)
    assert set(frame.loc[frame["cost_type"] == "telephony", "channel"]) == {"phone"}


COACHING = ["billing"]  # the coaching queues of the customer-table contracts: some contacts answered in it


def _scratch(p: Prepared, name: str) -> Path:
    path = p.folder / "scratch" / name
    path.parent.mkdir(exist_ok=True)
    return path


def _write(name: str, params: dict, path: Path) -> Path:
    con = connect()
    try:
        con.execute("set TimeZone = 'UTC'")
        _copy_query(con, name, params, path)
    finally:
        con.close()
    return path


def _read(path: Path) -> pd.DataFrame:
    return connect().execute("select * from read_parquet($path)", {"path": str(path)}).df()


def _value(p: Prepared) -> Path:
    return _write("customer_value", {"orders": p.clean_orders, "timezone": TIMEZONE},
                  _scratch(p, "value.parquet"))


def _empty(p: Prepared, column: str) -> Path:
    """A file of customers and times (the last NPS answers or first coaching contacts) with no rows."""
    path = _scratch(p, f"no_{column}.parquet")
    _rows(f"copy (select ''::varchar as customer_id, null::timestamptz as {column} limit 0) "
          f"to '{path}'", {})
    return path


def _service(p: Prepared, customers: Path, interactions: list[str], name: str,
             coaching: Path | None = None, recent: Path | None = None) -> Path:
    return _write("customer_contacts", {
        "customers": str(customers), "recent": str(recent or customers),
        "coaching": str(coaching or _empty(p, "first_coached_at")),
        "interactions": interactions, "timezone": TIMEZONE, "coaching_queues": COACHING},
        _scratch(p, name))


def _outcomes_files(p: Prepared, batches: list[list[str]]) -> tuple[Path, Path]:
    """The customer outcomes made as preparation makes them: the value of the orders, then the service
    of each batch of interactions files added in turn; the files of the outcomes and of the first
    coaching contacts."""
    outcomes, last_nps = _value(p), _empty(p, "nps_last_at")
    coaching = _empty(p, "first_coached_at")
    for number, files in enumerate(batches):
        added = _service(p, outcomes, files, f"contacts_{number}.parquet", coaching)
        params = {"last_nps": str(last_nps), "contacts": str(added)}
        outcomes = _write("customer_outcomes", {"customers": str(outcomes), **params},
                          _scratch(p, f"outcomes_{number}.parquet"))
        last_nps = _write("customer_last_nps", params, _scratch(p, f"last_nps_{number}.parquet"))
        coaching = _write("customer_coaching", {"coaching": str(coaching), "contacts": str(added)},
                          _scratch(p, f"coaching_{number}.parquet"))
    return outcomes, coaching


def _outcomes(p: Prepared) -> pd.DataFrame:
    return _read(_outcomes_files(p, [p.clean_interactions])[0])


def customer_value(p: Prepared) -> None:
    frame = _read(_value(p))
    assert_unique(frame, ["customer_id"])
    assert_not_null(frame, ["customer_id", "cohort_month", "first_order_at", "revenue_12m_usd",
                            "revenue_24m_usd", "purchases_12m", "contacts_12m", "fcr_known_12m",
                            "fcr_unresolved_12m", "csat_good_12m", "csat_bad_12m"])
    assert sorted(frame["customer_id"]) == ["c0", "c1", "c2", "c3", "z9"]  # buyers only
    # the outcomes' columns, with no service counted yet
    outcomes = _outcomes(p)
    assert list(frame.columns) == list(outcomes.columns)
    service = ["contacts_12m", "fcr_known_12m", "fcr_unresolved_12m", "csat_good_12m", "csat_bad_12m"]
    assert (frame[service] == 0).all().all()
    assert frame["nps_last_12m"].isna().all()
    value = ["customer_id", "cohort_month", "first_order_at", "revenue_12m_usd", "revenue_24m_usd",
             "purchases_12m"]
    pd.testing.assert_frame_equal(frame[value], outcomes[value])
    rows = frame.set_index("customer_id")
    # z9's second order is on 2 January in Los Angeles: both in the January cohort's first month
    assert pd.Timestamp(rows.loc["z9", "cohort_month"]).date() == date(2024, 1, 1)
    assert rows.loc["z9", "revenue_12m_usd"] == pytest.approx(25.0)


def customer_contacts(p: Prepared) -> None:
    value = _value(p)
    frame = _read(_service(p, value, p.clean_interactions, "contacts_all.parquet"))
    assert_unique(frame, ["customer_id"])
    assert_not_null(frame, ["customer_id", "contacts_12m", "fcr_known_12m", "fcr_unresolved_12m",
                            "csat_good_12m", "csat_bad_12m"])
    assert set(frame["customer_id"]) <= {"c0", "c1", "c2", "c3"}  # buyers with contacts only
    assert (frame["fcr_unresolved_12m"] <= frame["fcr_known_12m"]).all()
    assert (frame["fcr_known_12m"] <= frame["contacts_12m"]).all()
    assert (frame["csat_good_12m"] + frame["csat_bad_12m"] <= frame["contacts_12m"]).all()
    # an NPS answer comes with when it came
    assert (frame["nps_last_12m"].isna() == frame["nps_last_at"].isna()).all()
    assert frame["first_coached_at"].notna().any()
    # file by file, the counts add up to those of both files at once, and the later NPS answer wins
    parts = pd.concat([_read(_service(p, value, [path], f"contacts_file_{number}.parquet"))
                       for number, path in enumerate(p.clean_interactions)])
    counts = ["contacts_12m", "fcr_known_12m", "fcr_unresolved_12m", "csat_good_12m", "csat_bad_12m"]
    by_customer = frame.set_index("customer_id").sort_index()
    summed = parts.groupby("customer_id")[counts].sum().loc[by_customer.index]
    pd.testing.assert_frame_equal(summed, by_customer[counts])
    latest = parts.sort_values("nps_last_at").dropna(subset=["nps_last_at"]).groupby("customer_id").last()
    answered = by_customer.dropna(subset=["nps_last_at"])
    assert latest["nps_last_12m"].to_dict() == answered["nps_last_12m"].to_dict()
    # service is counted only for the customers of $recent (the cohorts that can have any in these
    # files); a first coaching contact for a customer of any cohort
    only_z9 = _scratch(p, "value_z9.parquet")
    _rows(f"copy (select * from read_parquet('{value}') where customer_id = 'z9') to '{only_z9}'", {})
    narrowed = _read(_service(p, value, p.clean_interactions, "contacts_z9.parquet", recent=only_z9))
    assert (narrowed[["contacts_12m", "fcr_known_12m", "csat_good_12m"]] == 0).all().all()
    assert narrowed["nps_last_at"].isna().all()
    assert narrowed.set_index("customer_id")["first_coached_at"].to_dict() == \
        frame.dropna(subset=["first_coached_at"]).set_index("customer_id")["first_coached_at"].to_dict()
    # a first coaching contact is given only where it comes before the customer's first so far
    outcomes, coaching = _outcomes_files(p, [p.clean_interactions])
    again = _read(_service(p, outcomes, p.clean_interactions, "contacts_again.parquet", coaching))
    assert again["first_coached_at"].isna().all()


def customer_last_nps(p: Prepared) -> None:
    outcomes_by_file, _ = _outcomes_files(p, [[path] for path in p.clean_interactions])
    times = _read(p.folder / "scratch" / f"last_nps_{len(p.clean_interactions) - 1}.parquet")
    assert_unique(times, ["customer_id"])
    assert_not_null(times, ["customer_id", "nps_last_at"])
    # exactly the customers with a last NPS answer in their first 12 months, at its latest time
    answered = _read(outcomes_by_file).dropna(subset=["nps_last_12m"])
    assert sorted(times["customer_id"]) == sorted(answered["customer_id"])
    at_once = _read(_service(p, _value(p), p.clean_interactions, "contacts_once.parquet"))
    assert times.set_index("customer_id")["nps_last_at"].to_dict() == \
        at_once.dropna(subset=["nps_last_at"]).set_index("customer_id")["nps_last_at"].to_dict()


def customer_outcomes(p: Prepared) -> None:
    frame = _outcomes(p)
    assert_unique(frame, ["customer_id"])
    assert_not_null(frame, ["customer_id", "cohort_month", "first_order_at", "revenue_12m_usd",
                            "revenue_24m_usd", "purchases_12m", "contacts_12m"])
    assert sorted(frame["customer_id"]) == ["c0", "c1", "c2", "c3", "z9"]  # buyers only
    assert (frame["purchases_12m"] >= 1).all()
    assert (frame["fcr_unresolved_12m"] <= frame["fcr_known_12m"]).all()
    assert (frame["fcr_known_12m"] <= frame["contacts_12m"]).all()
    assert (frame["csat_good_12m"] + frame["csat_bad_12m"] <= frame["contacts_12m"]).all()
    assert frame["nps_last_12m"].dropna().between(0, 10).all()
    rows = frame.set_index("customer_id")
    assert rows.loc["c0", "revenue_12m_usd"] == pytest.approx(50.0)  # 50 + 30 - 30
    assert rows.loc["c0", "purchases_12m"] == 2 and rows.loc["c3", "purchases_12m"] == 1
    assert rows.loc["z9", "contacts_12m"] == 0
    assert pd.Timestamp(rows.loc["c0", "cohort_month"]).date() == date(2023, 12, 1)
    # the store's prepared table is this query over the same files, with the settings' queues
    assert len(p.store.cursor().execute("select * from customer_outcomes").df()) == len(frame)
    # the interactions files added one at a time make the same outcomes as all at once
    by_file = _read(_outcomes_files(p, [[path] for path in p.clean_interactions])[0])
    pd.testing.assert_frame_equal(by_file, frame)


def customer_coaching(p: Prepared) -> None:
    _, coaching = _outcomes_files(p, [p.clean_interactions])
    frame = _read(coaching)
    assert_unique(frame, ["customer_id"])
    assert_not_null(frame, ["customer_id", "first_coached_at"])
    # buyers only, each at their first answered contact in a coaching queue (not self-service)
    interactions = connect().execute(
        "select customer_id, min(arrived_at) as first_coached_at from read_parquet($paths) "
        "where list_contains($queues, queue) and answered_at is not null and channel <> 'self_service' "
        "and customer_id in (select customer_id from read_parquet($value)) group by customer_id",
        {"paths": p.clean_interactions, "queues": COACHING, "value": str(_value(p))}).df()
    assert len(frame) > 0
    assert frame.set_index("customer_id")["first_coached_at"].to_dict() == \
        interactions.set_index("customer_id")["first_coached_at"].to_dict()
    # the interactions files added one at a time give the same first contacts as all at once
    _, by_file = _outcomes_files(p, [[path] for path in p.clean_interactions])
    pd.testing.assert_frame_equal(_read(by_file).sort_values("customer_id", ignore_index=True),
                                  frame.sort_values("customer_id", ignore_index=True))


def order_months(p: Prepared) -> None:
    _, coaching = _outcomes_files(p, [p.clean_interactions])
    frame = connect().execute(load_sql("order_months"), {
        "orders": p.clean_orders, "coaching": str(coaching), "timezone": TIMEZONE, "since": None}).df()
    assert_unique(frame, ["month", "after_coaching"])
    assert_not_null(frame, ["month", "after_coaching", "orders", "returned", "warranty_claims"])
    assert (frame["returned"] <= frame["orders"]).all()
    assert (frame["warranty_claims"] <= frame["orders"]).all()
    assert frame["orders"].sum() == 8  # nine rows, one a refund
    assert frame["refunds_usd"].sum() == pytest.approx(30.0)
    assert frame["revenue_usd"].sum() == pytest.approx(50 + 30 + 20 + 80 + 25 + 0 + 15 + 10)
    by_month = frame.groupby(pd.to_datetime(frame["month"]).dt.date)["orders"].sum().to_dict()
    assert by_month == {date(2023, 12, 1): 1, date(2024, 1, 1): 6, date(2024, 2, 1): 1}
    # from the local month of $since on: the same rows as every month's, for those months only
    for since, first in ((datetime(2024, 1, 1, 8, 0, tzinfo=UTC), date(2024, 1, 1)),  # midnight
                         (datetime(2024, 1, 1, 7, 59, tzinfo=UTC), date(2023, 12, 1)),  # 31 Dec, 23:59
                         (datetime(2024, 2, 29, 12, tzinfo=UTC), date(2024, 2, 1))):
        later = connect().execute(load_sql("order_months"), {
            "orders": p.clean_orders, "coaching": str(coaching), "timezone": TIMEZONE, "since": since}).df()
        pd.testing.assert_frame_equal(
            later, frame[pd.to_datetime(frame["month"]).dt.date >= first].reset_index(drop=True))



def order_months_merge(p: Prepared) -> None:
    _, coaching = _outcomes_files(p, [p.clean_interactions])
    every = {"orders": p.clean_orders, "coaching": str(coaching), "timezone": TIMEZONE}
    whole = _write("order_months", {**every, "since": None}, _scratch(p, "months_whole.parquet"))
    # months so far with February's rows wrong (as if counted before a coaching contact moved), and
    # the recount from February on: February's rows replaced, December's and January's kept
    before = _scratch(p, "months_before.parquet")
    _rows(f"copy (select * replace (case when month = date '2024-02-01' then orders + 100 else orders end "
          f"as orders) from read_parquet('{whole}')) to '{before}'", {})
    since = datetime(2024, 2, 1, 8, tzinfo=UTC)  # midnight in Los Angeles
    recounted = _write("order_months", {**every, "since": since}, _scratch(p, "months_since.parquet"))
    merged = _read(_write("order_months_merge", {"before": str(before), "recounted": str(recounted)},
                          _scratch(p, "months_merged.parquet")))
    assert_unique(merged, ["month", "after_coaching"])
    pd.testing.assert_frame_equal(merged, _read(whole))
    assert list(zip(merged["month"], merged["after_coaching"], strict=True)) == \
        sorted(zip(merged["month"], merged["after_coaching"], strict=True))

def ltv_by_cohort(p: Prepared) -> None:
    frame = p.sql("ltv_by_cohort", {})
    assert_unique(frame, ["cohort_month"])
    assert_not_null(frame, ["cohort_month", "customers", "revenue_12m_usd", "revenue_24m_usd"])
    assert (frame["repeat_customers_12m"] <= frame["customers"]).all()
    customers = p.store.cursor().execute("select count(*), sum(revenue_12m_usd) "
                                         "from customer_outcomes").fetchone()
    assert frame["customers"].sum() == customers[0]
    assert frame["revenue_12m_usd"].sum() == pytest.approx(customers[1])


def value_by_experience(p: Prepared) -> None:
    cohorts = {"first_cohort": date(2023, 1, 1), "last_cohort": date(2024, 12, 1)}
    frame = p.sql("value_by_experience", cohorts)
    assert_unique(frame, ["comparison", "side"])
    assert_not_null(frame, list(frame.columns))
    assert set(frame["side"]) <= {"a", "b"}
    assert set(frame["comparison"]) <= {"contact", "first_contact_resolution", "nps", "csat"}
    assert (frame["repeat_customers"] <= frame["customers"]).all()
    # Cauchy-Schwarz: a group's sum of squares is at least its sum squared over its size
    assert (frame["revenue_squared"] + 1e-9 >= frame["revenue_usd"] ** 2 / frame["customers"]).all()
    contact = frame[frame["comparison"] == "contact"]
    assert contact["customers"].sum() == 5  # every buyer falls on one side of 'any contact'
    # no contact from the first order on: z9 never; c3 first bought on 12 January, after its contacts
    assert contact.set_index("side").loc["b", "customers"] == 2
    assert p.sql("value_by_experience", {"first_cohort": date(2025, 1, 1),
                                         "last_cohort": date(2025, 12, 1)}).empty


def orders_by_month(p: Prepared) -> None:
    frame = p.sql("orders_by_month", {})
    assert_unique(frame, ["month", "after_coaching"])
    assert frame["orders"].sum() == 8 and (frame["returned"] <= frame["orders"]).all()
    prepared = p.store.cursor().execute("select sum(orders), sum(returned) from order_months").fetchone()
    assert (frame["orders"].sum(), frame["returned"].sum()) == prepared


# --- the quality page --------------------------------------------------------------------------------

def _segments(p: Prepared, dimension: str, **params) -> pd.DataFrame:
    return p.sql("quality_by_segment", {**DAYS, **ALL, "dimension": dimension, **params})


def quality_by_segment(p: Prepared) -> None:
    contacts = _contacts()
    measures = p.sql("kpi_measures_daily", {**DAYS, **ALL}).drop(columns=["day"]).sum()
    for dimension in DIMENSIONS:
        frame = _segments(p, dimension)
        assert_unique(frame, ["segment"])
        assert_not_null(frame, ["segment"])
        assert_measures_are_counts(frame, ["segment"])
        assert_measure_identities(frame)
        # every segment, with exactly its contacts: a missing queue, team, agent or tier is '(none)'
        assert dict(zip(frame["segment"], frame["contacts"], strict=True)) == \
            Counter(_segment(row, dimension) for row in contacts)
        # the segments add up to the unsegmented totals, measure by measure
        totals = frame.drop(columns=["segment"]).sum()
        assert set(totals.index) == set(measures.index)
        assert totals.to_dict() == pytest.approx(measures.to_dict())
        assert totals["contacts"] == 60
    assert list(_segments(p, "tier")["segment"]) == ["(none)", "tier 1", "tier 2", "tier 3"]
    # the filters split the totals without loss, and keep only their own values
    for key, values in {"channels": CHANNELS, "queues": ("billing", "orders", "(none)"),
                        "teams": ("north", "south", "(none)")}.items():
        parts = [_segments(p, "agent", **{key: [value]}) for value in values]
        assert sum(part["contacts"].sum() for part in parts) == 60
        assert sum(part["csat_score_sum"].sum() for part in parts) == measures["csat_score_sum"]
        own = _segments(p, key.removesuffix("s"), **{key: [values[0]]})
        assert own["segment"].tolist() == [values[0]]
    # one local day equals that day of the daily measures
    tenth = {"start": date(2024, 1, 10), "end": date(2024, 1, 10)}
    day = _segments(p, "channel", **tenth).drop(columns=["segment"]).sum()
    assert day.to_dict() == pytest.approx(
        p.sql("kpi_measures_daily", {**tenth, **ALL}).drop(columns=["day"]).sum().to_dict())
    assert day["contacts"] == sum(1 for row in contacts if _local_day(row["arrived_at"]) == date(2024, 1, 10))
    # the dimension is checked by the caller against DIMENSIONS: any other value matches no branch
    # of the case, and the query returns one row, a null segment holding the totals
    unknown = _segments(p, "customer_id")
    assert len(unknown) == 1 and unknown["segment"].isna().all()
    assert unknown["contacts"].tolist() == [60]
    assert _segments(p, "agent", start=date(2024, 2, 1), end=date(2024, 2, 29)).empty


BEHIND_COLUMNS = ["interaction_id", "arrived_local", "channel", "queue", "team", "agent_id", "tier",
                  "csat_score", "nps_score", "ces_score", "resolved_first_contact", "wait_seconds",
                  "talk_seconds", "hold_seconds", "wrap_seconds", "handle_seconds"]


def _behind(p: Prepared, first: date, last: date, **params) -> pd.DataFrame:
    """The interactions of local days first..last: from the first's local midnight to the next
    day's after the last."""
    after = last + timedelta(days=1)
    return p.sql("interactions_behind", {
        "from": datetime(first.year, first.month, first.day, tzinfo=LOCAL),
        "to": datetime(after.year, after.month, after.day, tzinfo=LOCAL),
        "timezone": TIMEZONE, **ALL, "dimension": "", "segment": "", "rated_only": False,
        "limit": 1000, **params})


def interactions_behind(p: Prepared) -> None:
    contacts = sorted(_contacts(), key=lambda row: (row["arrived_at"], row["interaction_id"]))
    everything = _behind(p, DAYS["start"], DAYS["end"])
    assert list(everything.columns) == BEHIND_COLUMNS
    assert "customer_id" not in everything.columns  # never selected, whatever the filters
    assert_unique(everything, ["interaction_id"])
    assert_not_null(everything, ["interaction_id", "arrived_local", "channel"])
    [(clean,)] = _rows("select count(*) from read_parquet($paths)", {"paths": p.clean_interactions})
    assert len(everything) == clean == 60
    for column in ["wait_seconds", "talk_seconds", "hold_seconds", "wrap_seconds", "handle_seconds"]:
        assert (everything[column].dropna() >= 0).all()
    times = everything[["talk_seconds", "hold_seconds", "wrap_seconds"]]
    assert everything["handle_seconds"].fillna(-1).tolist() == \
        times.fillna({"hold_seconds": 0, "wrap_seconds": 0}).sum(axis=1, min_count=3).fillna(-1).tolist()

    tenth = date(2024, 1, 10)
    day = [row for row in contacts if _local_day(row["arrived_at"]) == tenth]
    frame = _behind(p, tenth, tenth)
    # exactly the day's contacts, in arrival order, shown at local time
    assert frame["interaction_id"].tolist() == [row["interaction_id"] for row in day]
    assert set(pd.to_datetime(frame["arrived_local"]).dt.date) == {tenth}
    # the same contacts the quality rollup counts for the day
    quality = _segments(p, "channel", start=tenth, end=tenth).drop(columns=["segment"]).sum()
    assert len(frame) == quality["contacts"]
    assert frame["csat_score"].count() == quality["csat_rated"]
    assert frame["handle_seconds"].sum() == pytest.approx(quality["handle_seconds"])  # talk always kept

    rated = _behind(p, tenth, tenth, rated_only=True)
    assert rated["interaction_id"].tolist() == \
        [row["interaction_id"] for row in day if row.get("csat_score") is not None]
    assert rated["csat_score"].notna().all() and 0 < len(rated) < len(frame)

    # a segment of any dimension: the same contacts, and as many as its row of quality_by_segment
    for dimension in DIMENSIONS:
        counts = _segments(p, dimension, start=tenth, end=tenth).set_index("segment")["contacts"]
        for segment in sorted({_segment(row, dimension) for row in day}):
            rows = _behind(p, tenth, tenth, dimension=dimension, segment=segment)
            assert rows["interaction_id"].tolist() == \
                [row["interaction_id"] for row in day if _segment(row, dimension) == segment]
            assert len(rows) == counts[segment]
    assert _behind(p, tenth, tenth, dimension="agent", segment="nobody").empty

    # the shared filters, with '(none)' for a missing queue or team
    channels, queues, teams = ["phone", "email", "self_service"], ["billing", "(none)"], ["north", "(none)"]
    filtered = _behind(p, tenth, tenth, channels=channels, queues=queues, teams=teams)
    assert filtered["interaction_id"].tolist() == [
        row["interaction_id"] for row in day if row["channel"] in channels
        and (row["queue"] or "(none)") in queues and (row["team"] or "(none)") in teams]
    assert len(filtered) == 9 and filtered["queue"].isna().any() and filtered["team"].isna().any()
    both = _behind(p, tenth, tenth, teams=["south"], dimension="agent", segment="a1", rated_only=True)
    assert both["interaction_id"].tolist() == [
        row["interaction_id"] for row in day if row["team"] == "south"
        and row.get("agent_id") == "a1" and row.get("csat_score") is not None]
    assert len(both) == 3

    # the limit caps the rows and keeps the earliest
    assert _behind(p, tenth, tenth, limit=5)["interaction_id"].tolist() == \
        [row["interaction_id"] for row in day[:5]]


def _qa(p: Prepared, name: str, **params) -> pd.DataFrame:
    return p.sql(name, {**DAYS, "timezone": TIMEZONE, "teams": [], **params})


def qa_by_item(p: Prepared) -> None:
    frame = _qa(p, "qa_by_item")
    assert_unique(frame, ["item"])
    assert_not_null(frame, ["item"])
    assert_measures_are_counts(frame, ["item"])
    assert (frame["qa_points"] <= frame["qa_points_possible"]).all()
    # q1, q2 and q3 score both items, q4 (11 January in Los Angeles) the greeting, q6 the
    # resolution; q5 (12 January in Los Angeles) falls outside
    assert list(frame.itertuples(index=False, name=None)) == [
        ("greeting", 4, 2 + 1 + 0 + 2, 8), ("resolution", 4, 3 + 5 + 4 + 1, 20)]
    # local dates: in UTC, q4 and q5 are both on 12 January
    assert list(_qa(p, "qa_by_item", timezone="UTC").itertuples(index=False, name=None)) == [
        ("greeting", 3, 3, 6), ("resolution", 4, 13, 20)]
    later = _qa(p, "qa_by_item", end=date(2024, 1, 12))
    assert later["evaluations"].tolist() == [5, 5]
    # teams: a0 and a2 handled most contacts for north, a1 for south; a9 handled none: '(none)'
    assert list(_qa(p, "qa_by_item", teams=["north"]).itertuples(index=False, name=None)) == [
        ("greeting", 3, 5, 6), ("resolution", 2, 8, 10)]
    assert list(_qa(p, "qa_by_item", teams=["south"]).itertuples(index=False, name=None)) == [
        ("greeting", 1, 0, 2), ("resolution", 1, 4, 5)]
    assert list(_qa(p, "qa_by_item", teams=["(none)"]).itertuples(index=False, name=None)) == [
        ("resolution", 1, 1, 5)]
    assert _qa(p, "qa_by_item", start=date(2024, 2, 1), end=date(2024, 2, 29)).empty


def qa_by_agent(p: Prepared) -> None:
    frame = _qa(p, "qa_by_agent")
    assert_unique(frame, ["agent"])
    assert_not_null(frame, ["agent", "team"])
    assert_measures_are_counts(frame, ["agent", "team"])
    assert (frame["qa_points"] <= frame["qa_points_possible"]).all()
    # every agent who handled contacts (a3 was never evaluated) or was evaluated (a9 handled none);
    # handled: the fixture's answered contacts of each agent (a0 4, a1 10, a2 13, a3 10)
    assert list(frame.itertuples(index=False, name=None)) == [
        ("a0", "north", 4, 2, 2 + 3 + 1 + 5, 14),
        ("a1", "south", 10, 1, 4, 7),
        ("a2", "north", 13, 1, 2, 2),
        ("a3", "south", 10, 0, 0, 0),
        ("a9", "(none)", 0, 1, 1, 5),
    ]
    assert frame["handled"].sum() == p.sql("kpi_measures_daily", {**DAYS, **ALL})["handled"].sum()
    items = _qa(p, "qa_by_item")
    assert frame["qa_points"].sum() == items["qa_points"].sum()
    assert frame["qa_points_possible"].sum() == items["qa_points_possible"].sum()
    # the teams filter keeps the agents of those teams, evaluated or not
    assert _qa(p, "qa_by_agent", teams=["north"])["agent"].tolist() == ["a0", "a2"]
    assert _qa(p, "qa_by_agent", teams=["south"])["agent"].tolist() == ["a1", "a3"]
    assert _qa(p, "qa_by_agent", teams=["(none)"])["agent"].tolist() == ["a9"]
    # 12 January (local): nobody handled a contact; only q5 of a2 was evaluated
    twelfth = _qa(p, "qa_by_agent", start=date(2024, 1, 12), end=date(2024, 1, 12))
    assert list(twelfth.itertuples(index=False, name=None)) == [("a2", "(none)", 0, 1, 7, 7)]


def set_aside_rows(p: Prepared) -> None:
    frame = p.sql("set_aside_rows", {"source_file": "", "limit": 1000})
    assert_unique(frame, ["source_file", "source_row"])
    assert_not_null(frame, ["source_file", "source_row", "reason"])
    assert len(frame) == p.store.report.rows_set_aside == 3
    assert set(frame["source_file"]) == {"interactions/2024-01-c.parquet", "costs/extra.csv"}
    one = p.sql("set_aside_rows", {"source_file": "costs/extra.csv", "limit": 1000})
    assert one["reason"].tolist() == ["amount_usd: not a valid number"]
    assert len(p.sql("set_aside_rows", {"source_file": "", "limit": 2})) == 2


def _staged(con: duckdb.DuckDBPyConnection) -> None:
    """The temp tables the validation queries read, made by hand: rows 1 and 3 have problems."""
    con.execute("""
        create temp table staged_raw as
        select source_row, {'interaction_id': interaction_id, 'channel': channel,
                            'csat_score': csat_score, 'source_row': own_row} as record
        from (values
            (0::bigint, 'a', 'phone', '5', 7), (1, 'b', 'fax', '9', 7), (2, 'c', 'chat', '4', 7),
            (3, 'a', 'phone', '3', 7)) as t(source_row, interaction_id, channel, csat_score, own_row)
    """)
    con.execute("""
        create temp table staged_typed as
        select source_row, record.interaction_id, record.channel,
            try_cast(record.csat_score as integer) as csat_score,
            timestamptz '2024-01-10 18:00:00+00' - to_minutes(source_row) as sort_time
        from staged_raw
    """)
    con.execute("""
        create temp table staged_problems as select * from (values
            (0::bigint, []::struct("column" varchar, problem varchar)[]),
            (1, [{'column': 'channel', 'problem': 'unknown channel'},
                 {'column': 'csat_score', 'problem': 'outside 1-5'}]),
            (2, []),
            (3, [{'column': 'interaction_id', 'problem': 'repeats an id seen earlier in this file'}])
        ) as t(source_row, problems)
    """)


def _with_staged(check: Callable[[duckdb.DuckDBPyConnection], None]) -> Callable[[Prepared], None]:
    def run(_: Prepared) -> None:
        con = connect()
        try:
            _staged(con)
            check(con)
        finally:
            con.close()
    return run


def _frame(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None) -> pd.DataFrame:
    return con.execute(load_sql(name), params or {}).df()


def validation_counts(con: duckdb.DuckDBPyConnection) -> None:
    assert _frame(con, "validation_counts").to_dict("records") == [{"rows_read": 4, "rows_set_aside": 2}]


def validation_problems(con: duckdb.DuckDBPyConnection) -> None:
    frame = _frame(con, "validation_problems")
    assert_unique(frame, ["column", "problem"])
    assert_not_null(frame, ["column", "problem", "rows"])
    assert sorted(frame.itertuples(index=False, name=None)) == [
        ("channel", "unknown channel", 1), ("csat_score", "outside 1-5", 1),
        ("interaction_id", "repeats an id seen earlier in this file", 1)]


def clean_rows(con: duckdb.DuckDBPyConnection) -> None:
    frame = _frame(con, "clean_rows", {"source_file": "interactions/x.parquet"})
    # rows read 4 - set aside 2; in time order (row 2 arrived before row 0)
    assert frame["interaction_id"].tolist() == ["c", "a"]
    assert "source_row" not in frame and "sort_time" not in frame
    assert set(frame["source_file"]) == {"interactions/x.parquet"}


def rejected_rows(con: duckdb.DuckDBPyConnection) -> None:
    frame = _frame(con, "rejected_rows", {"source_file": "interactions/x.parquet"})
    assert_unique(frame, ["source_row"])
    assert frame["source_row"].tolist() == [2, 4]  # 1-based
    assert frame["reason"].tolist() == [
        "channel: unknown channel; csat_score: outside 1-5",
        "interaction_id: repeats an id seen earlier in this file"]
    # the values as written, as text; the file's own source_row column beside cxdash's, renamed
    assert frame["csat_score"].tolist() == ["9", "3"]
    assert frame["source_row_1"].tolist() == ["7", "7"]
    assert set(frame["source_file"]) == {"interactions/x.parquet"}


def duplicates_elsewhere(con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    earlier = write_raw_parquet(folder, "earlier.parquet", {
        "interaction_id": ["c", "z"], "source_file": ["interactions/early.parquet"] * 2})
    later = write_raw_parquet(folder, "later.parquet", {
        "interaction_id": ["c", "a"], "source_file": ["interactions/late.parquet"] * 2})
    frame = _frame(con, "duplicates_elsewhere", {"paths": [str(earlier), str(later)],
                                                 "key": "interaction_id", "lowest": "a", "highest": "c"})
    assert_unique(frame, ["source_row"])
    # staged 'a' appears twice (rows 0 and 3); 'c' (row 2) is in both files: named once
    assert sorted(frame.itertuples(index=False, name=None)) == [
        (0, "interactions/late.parquet"), (2, "interactions/early.parquet"),
        (3, "interactions/late.parquet")]
    # only prepared ids within the staged range are read: the range's ends are inclusive
    narrowed = _frame(con, "duplicates_elsewhere", {"paths": [str(earlier), str(later)],
                                                    "key": "interaction_id", "lowest": "b", "highest": "c"})
    assert sorted(narrowed.itertuples(index=False, name=None)) == [(2, "interactions/early.parquet")]


def stage_parquet_file(folder: Path) -> None:
    path = write_raw_parquet(folder, "raw.parquet", {"interaction_id": ["a", "b", "c"],
                                                     "csat_score": [5, None, 3]})
    con = connect()
    try:
        con.execute(load_sql("stage_parquet_file"), {"path": str(path)})
        frame = con.execute("select source_row, unnest(record) from staged_raw order by source_row").df()
        types = dict(con.execute("select column_name, column_type from "
                                 "(describe select unnest(record) from staged_raw)").fetchall())
        [own] = con.execute("select column_name from (describe staged_raw)").fetchall()[1:]
    finally:
        con.close()
    assert frame["source_row"].tolist() == [0, 1, 2]
    assert frame["interaction_id"].tolist() == ["a", "b", "c"]
    assert types["csat_score"] == "BIGINT"  # as written: typing is validation's job
    assert own == ("record",)  # the file's columns inside one struct: no name can collide


def stage_parquet_file_numbered_by_scan(folder: Path) -> None:
    # the file's own file_row_number column (9 on every row) hides the reader's row number
    path = write_raw_parquet(folder, "raw.parquet", {"interaction_id": ["a", "b", "c"],
                                                     "file_row_number": [9, 9, 9]})
    con = connect()
    try:
        con.execute("set threads = 1; set preserve_insertion_order = true")  # as ingest._stage does
        con.execute(load_sql("stage_parquet_file_numbered_by_scan"), {"path": str(path)})
        frame = con.execute("select source_row, unnest(record) from staged_raw order by source_row").df()
    finally:
        con.close()
    assert_unique(frame, ["source_row"])
    assert frame["source_row"].tolist() == [0, 1, 2]
    assert frame["interaction_id"].tolist() == ["a", "b", "c"]  # numbered in the file's order
    assert frame["file_row_number"].tolist() == [9, 9, 9]


def stage_csv_file(folder: Path) -> None:
    path = write_csv(folder, "raw.csv", [{"month": "2024-01-01", "amount_usd": "12.5"},
                                         {"month": "January", "amount_usd": "n/a"}])
    con = connect()
    try:
        con.execute(load_sql("stage_csv_file"), {"path": str(path)})
        frame = con.execute("select source_row, unnest(record) from staged_raw order by source_row").df()
        types = set(con.execute("select column_type from "
                                "(describe select unnest(record) from staged_raw)").fetchall())
    finally:
        con.close()
    assert frame["source_row"].tolist() == [0, 1]
    assert frame["amount_usd"].tolist() == ["12.5", "n/a"]
    assert types == {("VARCHAR",)}


# --- importers ----------------------------------------------------------------------------------------

CTR_FIXTURE = Path(__file__).parent / "fixtures" / "imports" / "amazon_connect" / "ctr-2026-10.jsonl"


def _ctr_legs(path: Path = CTR_FIXTURE, parts: int = 1) -> duckdb.DuckDBPyConnection:
    """ctr_legs as the importer makes it, from the hand-written CTR fixture (in parts: each part's
    rows inserted, as db.in_parts has them, the last part first)."""
    con = connect()
    con.execute("set preserve_insertion_order = true")
    query = load_sql("import_amazon_connect_legs")
    params = {"path": str(path), "name": path.name, "separator": "\x1f", "limit": 20,
              "attribute_names": ["contained", "selfservicecontained"]}
    con.execute(f"create table ctr_legs as select * from ({query}) limit 0",
                {**params, "parts": 1, "part": 0})
    for part in reversed(range(parts)):
        con.execute("insert into ctr_legs " + query, {**params, "parts": parts, "part": part})
    return con


def import_amazon_connect_legs(p: Prepared) -> None:
    con = _ctr_legs()
    try:
        frame = con.execute("select * from ctr_legs").df().set_index("source_row")
        # part i of 2 keeps the lines numbered i modulo 2; the two parts together are the whole
        odd = con.execute("select * from (" + load_sql("import_amazon_connect_legs") + ")", {
            "path": str(CTR_FIXTURE), "name": CTR_FIXTURE.name, "separator": "\x1f", "limit": 20,
            "parts": 2, "part": 1, "attribute_names": ["contained"]}).df()
    finally:
        con.close()
    assert odd["source_row"].tolist() == [1, 3, 5, 7, 9, 11]  # line 13 is blank
    halves = _ctr_legs(parts=2)
    try:
        joined = halves.execute("select * from ctr_legs order by source_row").df().set_index("source_row")
    finally:
        halves.close()
    pd.testing.assert_frame_equal(joined, frame)
    assert len(frame) == 13 and frame.index.is_unique  # 14 lines, one blank: numbered as an editor does
    problems = frame["problem"].dropna().to_dict()
    assert problems == {8: "not an inbound customer contact (InitiationMethod OUTBOUND)",
                        9: "not a JSON record", 10: "field InitiationTimestamp: missing",
                        12: "a task (agent work item), not a customer contact"}
    # only a problem line's text is kept, cut to $limit characters
    assert frame["line"].notna().to_dict() == {row: row in problems for row in frame.index}
    assert frame.loc[9, "line"] == '{"ContactId": "broke'
    # the self-service attribute of a leg that neither queued nor reached an agent: the first of the
    # names found (compared in lower case), its name as written; none for a leg that queued
    ivr = _ctr_legs(CTR_FIXTURE.with_name("ctr-ivr-2026-11.jsonl"))
    try:
        said = dict(ivr.execute("select contact_id, outcome from ctr_legs").fetchall())
    finally:
        ivr.close()
    assert said["m3-attr-false-95s"] == {"at": 1, "key": "contained", "value": "false"}
    assert said["m4-attr-true-5s"] == {"at": 2, "key": "SelfServiceContained", "value": "Yes"}
    assert said["m6-no-end-contained"] == {"at": 1, "key": "CONTAINED", "value": "true"}
    assert said["m1-drop-4s"] is None and said["m14-answered"] is None
    first = frame.loc[2]
    assert (first["contact_id"], first["initial_contact_id"], first["queue_name"]) == \
        ("c1-voice", "c1-voice", "orders")
    assert first["version"] == pd.Timestamp("2026-10-05 16:08:10", tz="UTC")
    assert (first["talk_seconds"], first["hold_seconds"], first["wrap_seconds"]) == (300, 30, 70)
    assert frame.loc[5, "initial_contact_id"] == "c3-first-leg"  # the transfer leg names its chain
    assert pd.isna(frame.loc[3, "connected_at"])  # the abandon never reached an agent

    # written on Windows, with blank lines: the numbers are still the editor's
    crlf = p.folder / "scratch" / "windows.jsonl"
    crlf.parent.mkdir(exist_ok=True)
    lines = CTR_FIXTURE.read_text(encoding="utf-8").splitlines()
    crlf.write_bytes("\r\n".join(["", *lines[:3]]).encode())
    con = _ctr_legs(crlf)
    try:
        rows = con.execute("select source_row, contact_id from ctr_legs").fetchall()
    finally:
        con.close()
    assert rows == [(2, "c1-voice"), (3, "c1-voice"), (4, "c2-abandon")]


def import_amazon_connect_set_aside(_: Prepared) -> None:
    con = _ctr_legs()
    try:
        frame = con.execute(load_sql("import_amazon_connect_set_aside")).df()
    finally:
        con.close()
    assert frame["source_row"].tolist() == [8, 9, 10, 12]
    assert frame["record"].str.len().max() <= 20
    assert frame["record"].tolist()[1] == '{"ContactId": "broke'  # the first 20 characters


def ids_already_held(folder: Path) -> None:
    held_a = write_raw_parquet(folder, "a.parquet", {"interaction_id": ["x", "y"],
                                                     "source_file": ["interactions/a.parquet"] * 2})
    held_b = write_raw_parquet(folder, "b.parquet", {"interaction_id": ["y", "z"],
                                                     "source_file": ["interactions/b.parquet"] * 2})
    new = write_raw_parquet(folder, "new.parquet", {"interaction_id": ["x", "y", "y", "w"]})
    con = connect()
    try:
        rows = con.execute(load_sql("ids_already_held"), {
            "existing": [str(held_a), str(held_b)], "new": [str(new)]}).fetchall()
    finally:
        con.close()
    # y is held by two files: counted once, against the first; w is new
    assert rows == [("interactions/a.parquet", 3)]


def _in_folder(check: Callable[[Path], None]) -> Callable[[Prepared], None]:
    def run(p: Prepared) -> None:
        scratch = p.folder / "scratch"
        scratch.mkdir(exist_ok=True)
        check(scratch)
    return run


def _staged_in_folder(check: Callable[[duckdb.DuckDBPyConnection, Path], None]):
    def run(p: Prepared) -> None:
        scratch = p.folder / "scratch"
        scratch.mkdir(exist_ok=True)
        _with_staged(lambda con: check(con, scratch))(p)
    return run


CONTRACTS: dict[str, Callable[[Prepared], None]] = {
    "rollup_daily": rollup_daily,
    "load_daily": load_daily,
    "rollup_hourly": rollup_hourly,
    "load_hourly": load_hourly,
    "rollup_intervals": rollup_intervals,
    "load_intervals": load_intervals,
    "rollup_interval_months": rollup_interval_months,
    "forecast_series": forecast_series,
    "interval_span": interval_span,
    "contacts_by_weekday_hour_channel": contacts_by_weekday_hour_channel,
    "kpi_measures_daily": kpi_measures_daily,
    "contacts_by_channel_day": contacts_by_channel_day,
    "cost_daily": cost_daily,
    "data_span": data_span,
    "filter_options": filter_options,
    "served_by_month_channel": served_by_month_channel,
    "costs_by_month_channel_type": costs_by_month_channel_type,
    "modeled_costs": modeled_costs,
    "customer_value": customer_value,
    "customer_contacts": customer_contacts,
    "customer_outcomes": customer_outcomes,
    "customer_last_nps": customer_last_nps,
    "customer_coaching": customer_coaching,
    "order_months": order_months,
    "order_months_merge": order_months_merge,
    "ltv_by_cohort": ltv_by_cohort,
    "value_by_experience": value_by_experience,
    "orders_by_month": orders_by_month,
    "quality_by_segment": quality_by_segment,
    "interactions_behind": interactions_behind,
    "qa_by_item": qa_by_item,
    "qa_by_agent": qa_by_agent,
    "set_aside_rows": set_aside_rows,
    "validation_counts": _with_staged(validation_counts),
    "validation_problems": _with_staged(validation_problems),
    "clean_rows": _with_staged(clean_rows),
    "rejected_rows": _with_staged(rejected_rows),
    "duplicates_elsewhere": _staged_in_folder(duplicates_elsewhere),
    "stage_parquet_file": _in_folder(stage_parquet_file),
    "stage_csv_file": _in_folder(stage_csv_file),
    "stage_parquet_file_numbered_by_scan": _in_folder(stage_parquet_file_numbered_by_scan),
    "ids_already_held": _in_folder(ids_already_held),
    "import_amazon_connect_legs": import_amazon_connect_legs,
    "import_amazon_connect_set_aside": import_amazon_connect_set_aside,
}



def _importer_contracts() -> dict:
    """The contracts of an importer's queries (sql/import_<source>_*.sql), kept beside its tests: the
    SQL_CONTRACTS of tests/test_import_<source>.py (name -> a function of the Prepared fixture)."""
    import importlib

    found = {}
    for path in sorted(Path(__file__).parent.glob("test_import_*.py")):
        found.update(getattr(importlib.import_module(f"tests.{path.stem}"), "SQL_CONTRACTS", {}))
    return found


CONTRACTS.update(_importer_contracts())


@pytest.mark.parametrize("name", SQL_FILES)
def test_sql_file_meets_its_contract(name, prepared):
    if name not in CONTRACTS:
        pytest.fail(f"sql/{name}.sql has no contract test: add one to CONTRACTS in {Path(__file__).name} "
                    "(an importer's: to SQL_CONTRACTS in its tests/test_import_<source>.py)")
    CONTRACTS[name](prepared)


def test_every_contract_names_an_existing_sql_file():
    assert sorted(CONTRACTS) == SQL_FILES


# --- types and boundaries of the interval queries --------------------------------------------------------

def test_load_intervals_keeps_the_column_types_of_rollup_intervals(prepared):
    paths = _interval_rollups(prepared)
    [(rollup,)] = _rows("select list(column_type) from (describe select * from read_parquet($paths))",
                        {"paths": paths})
    held = prepared.store.cursor().execute(
        "select list(data_type order by column_index) from duckdb_columns() where table_name = 'intervals'"
    ).fetchone()[0]
    assert held == rollup


def test_forecast_series_leaves_out_arrivals_after_an_off_grid_before(prepared):
    before = datetime(2024, 1, 10, 16, 24, tzinfo=UTC)  # when i024 arrived, in the interval from 16:15
    assert _series(prepared, 15, before=before)["contacts"].sum() == \
        sum(row["arrived_at"] < before for row in _contacts()) == 24


# --- how the files are written ---------------------------------------------------------------------------

def _header_and_body(name: str) -> tuple[str, str]:
    lines = (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8").splitlines()
    header = []
    while lines and lines[0].startswith("--"):
        header.append(lines.pop(0))
    body = "\n".join(line.split("--", 1)[0] for line in lines)
    return "\n".join(header), body


@pytest.mark.parametrize("name", SQL_FILES)
def test_sql_file_binds_values_and_never_formats_them(name):
    header, body = _header_and_body(name)
    # {name}, {0}, {} are Python format fields; DuckDB struct literals ({'key': value}) are fine
    assert not re.search(r"\{\s*\w*\s*(![rsa])?\s*(:[^}']*)?\}", body), f"{name}: format braces"
    assert not re.search(r"%\(\w+\)s|%s\b", body), f"{name}: %-formatting"


@pytest.mark.parametrize("name", SQL_FILES)
def test_sql_file_lists_exactly_the_parameters_it_uses_in_its_header(name):
    header, body = _header_and_body(name)
    used = set(re.findall(r"\$(\w+)", body))
    listed = set(re.findall(r"\$(\w+)", header))
    assert used <= listed, f"{name}: used but not listed: {sorted(used - listed)}"
    assert listed <= used, f"{name}: listed but not used: {sorted(listed - used)}"


@pytest.mark.parametrize("name", SQL_FILES)
def test_sql_file_states_its_grain_and_ends_with_the_final_step(name):
    header, body = _header_and_body(name)
    assert "grain:" in header
    assert re.search(r"select \* from final\b[^;]*;?\s*$", body.strip()), name
