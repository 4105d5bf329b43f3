"""bench/signin_load.py's summary, worked by hand: the medians alone and at once, the ratio against the
goal, and the floor the browsers' own work sets under the median at once when they share the server's
cores."""

from __future__ import annotations

import pytest

from tests.builders import bench_module


def _load():
    return bench_module("signin_load")


def _person(overview_ms: float, renderer_ms: float, errors=()) -> dict:
    return {"email": "a@x", "role": "director", "errors": list(errors), "signin_ms": 5000.0,
            "overview_ms": overview_ms, "renderer_ms": renderer_ms, "other_ms": 4000.0}


def test_the_summary_gives_the_ratio_and_the_floor_the_browsers_set_on_two_cores(monkeypatch):
    bench = _load()
    monkeypatch.setattr(bench.os, "cpu_count", lambda: 2)
    # alone: overview medians of 2,000, 3,000 and 4,000 ms -> 3,000; renderer work 2,000/2,800/3,600 -> 2,800
    single = [_person(2000, 2000), _person(3000, 2800), _person(4000, 3600)]
    crowd = [_person(30_000 + 1000 * n, 9000) for n in range(20)]  # median (39,000 + 40,000) / 2
    summary = bench.summarise({"single": single, "crowd": crowd, "cpu_seconds": {}})
    assert summary["figures"]["overview tiles"]["single"]["median_ms"] == 3000
    assert summary["figures"]["overview tiles"]["crowd"]["median_ms"] == 39_500
    assert summary["ratio"] == pytest.approx(39_500 / 3000)
    assert summary["met"] is False and summary["errors"] == []
    # the median person waits for half of everyone's work: 20 x 2,800 ms / 2 cores / 2 = 14,000 ms
    assert summary["floor"] == {"cores": 2, "median_ms": 14_000, "ratio": pytest.approx(14_000 / 3000)}


def test_an_error_on_any_page_fails_the_goal_and_no_work_read_gives_no_floor():
    bench = _load()
    single = [{"email": "a@x", "role": "admin", "errors": [], "overview_ms": 1000.0}]
    crowd = [{"email": "b@x", "role": "admin", "errors": ["overview: boom"], "overview_ms": 1500.0}]
    summary = bench.summarise({"single": single, "crowd": crowd, "cpu_seconds": {}})
    assert summary["ratio"] == 1.5 and not summary["met"]
    assert summary["errors"] == ["b@x (admin): overview: boom"] and summary["floor"] is None
