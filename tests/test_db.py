"""cxdash.db.in_parts: a query over numbered lines run in parts at once, each on a cursor of its own."""

from __future__ import annotations

import threading
import time

import duckdb
import pytest

from cxdash.db import connect, in_parts

LINES = "select line_no from range(1, 11) lines(line_no) where line_no % $parts = $part order by line_no"


@pytest.fixture
def con():
    connection = connect()
    yield connection
    connection.close()


def test_every_part_runs_once_at_once_and_the_results_come_in_part_order(con):
    con.execute("set threads = 3")
    seen, names = [], set()
    barrier = threading.Barrier(3, timeout=30)  # all three wait for each other: they run at once

    def work(cursor, part):
        barrier.wait()
        names.add(threading.current_thread().name)
        seen.append(part)
        return [n for (n,) in cursor.execute(LINES, part).fetchall()]

    assert in_parts(con, work) == [[3, 6, 9], [1, 4, 7, 10], [2, 5, 8]]
    assert sorted(seen, key=lambda p: p["part"]) == [{"parts": 3, "part": n} for n in range(3)]
    assert len(names) == 3


def test_one_thread_is_one_part_on_the_connection_itself(con):
    con.execute("set threads = 1")
    assert in_parts(con, lambda cursor, part: (cursor is con, part)) == [(True, {"parts": 1, "part": 0})]


def test_a_part_reads_with_the_connection_s_time_zone(con):
    con.execute("set TimeZone = 'America/Chicago'")
    query = "select current_setting('TimeZone'), '2026-03-14 10:00'::timestamptz::varchar"
    zones = in_parts(con, lambda cursor, part: cursor.execute(query).fetchall()[0], parts=2)
    assert zones == [("America/Chicago", "2026-03-14 10:00:00-05")] * 2


def test_a_part_that_fails_stops_the_others_and_its_own_error_is_raised(con):
    started = threading.Event()

    def work(cursor, part):
        if part["part"] == 1:
            started.wait(30)
            time.sleep(0.5)  # part 0's query is running
            raise ValueError("line 7: not JSON")
        started.set()  # part 0 runs a query that would take many minutes, unless interrupted
        return cursor.execute("select sum(a.range) from range(1000000000000) a").fetchall()

    began = time.monotonic()
    with pytest.raises(ValueError, match="line 7: not JSON"):
        in_parts(con, work, parts=2)
    assert time.monotonic() - began < 60  # part 0 was interrupted, not waited for


def test_a_duckdb_error_in_a_part_is_raised_as_it_is(con):
    def work(cursor, part):
        path = f"/nonexistent/part-{part['part']}.csv"
        return cursor.execute("select * from read_csv($path)", {"path": path})

    with pytest.raises(duckdb.IOException, match="part-"):
        in_parts(con, work, parts=2)
