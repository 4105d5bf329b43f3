"""bench/imports.py times this checkout's code (a worker of a worktree run with another checkout's
environment once imported that checkout's cxdash, so "before" and "after" were the same code) and
reports a balanced import of each source."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.builders import bench_module

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def bench(monkeypatch, tmp_path):
    module = bench_module("imports")
    monkeypatch.setattr(module, "OUT", tmp_path)  # exports written here, not in bench/out
    return module


def test_a_small_import_is_timed_in_a_fresh_process_of_this_checkouts_code(bench):
    result = bench.measure("amazon-connect", 300, runs=1)
    assert result["records"] == 300 and result["balanced"]
    assert result["new"] + result["set_aside"] <= 300 and result["new"] > 0
    assert result["again_new"] == 0 and result["again_written"] == 0
    assert "amazon-connect" in bench.report(result)


def test_a_worker_that_imported_another_checkouts_code_stops_the_bench(bench, monkeypatch):
    real_run = bench.subprocess.run

    def elsewhere(command, **kwargs):
        done = real_run(command, **kwargs)
        done.stdout = done.stdout.replace(str(ROOT / "cxdash"), "/elsewhere/cxdash")
        return done

    monkeypatch.setattr(bench.subprocess, "run", elsewhere)
    with pytest.raises(SystemExit, match="/elsewhere/cxdash"):
        bench.measure("amazon-connect", 300, runs=1)

