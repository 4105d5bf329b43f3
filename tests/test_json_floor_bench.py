"""bench/json_floor.py follows the importers (it reads their schema from their SQL files) and works
its figures out right: stages that add up, and the most records a second on the machine's cores."""

from __future__ import annotations

import json
import sys

import pytest

from tests.builders import bench_module


@pytest.fixture
def bench(monkeypatch, tmp_path):
    module = bench_module("json_floor")
    monkeypatch.setattr(module.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(sys.modules["imports"], "OUT", tmp_path)  # exports written here, not in bench/out
    return module


@pytest.mark.parametrize("source", ["genesys", "amazon-connect"])
def test_the_schema_read_is_the_importers_own(bench, source):
    schema = json.loads(bench._schema(bench.QUERIES[source]))
    assert {"genesys": "participants", "amazon-connect": "ContactId"}[source] in schema


@pytest.mark.parametrize("source", ["genesys", "amazon-connect"])
def test_each_stage_runs_on_a_small_export_and_the_most_a_second_is_cores_over_the_cost(bench, source):
    result = bench.measure(source, 300, runs=1)
    cpu = result["cpu_seconds_per_million"]
    assert list(cpu) == ["lines", "validated", "typed", "reader", "importer"]
    assert all(value > 0 for value in cpu.values())
    # 2 cores, each typing a million records in cpu["typed"] seconds
    assert result["most_records_per_second_typed"] == pytest.approx(2 * 1_000_000 / cpu["typed"])
    assert result["most_records_per_second_importer"] == pytest.approx(2 * 1_000_000 / cpu["importer"])
    assert result["records"] == 300 and result["bytes_per_record"] > 100
    assert source in bench.report(result) and "goal 150,000" in bench.report(result)
