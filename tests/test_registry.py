"""The metric registry is the only definition: every KPI from its registry entry, one cost per contact
for the overview and the monthly report, a CSAT mean shown as a score, and a store version derived
from what shapes the store (issue 15, section 2)."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from cxdash import cli, costs, ingest
from cxdash.kpis import Filters, Period, kpi_values
from cxdash.metrics import KPI_NAMES, METRICS, definition, format_value, status, target_for, target_text
from cxdash.settings import Settings, load_settings, settings_from_dict
from cxdash.store import Store
from tests.builders import write_costs, write_interactions, write_settings

# `python -m cxdash kpis --json` on the test demo (scale 0.03, seed 7, to 31 October 2026), as the code
# before the registry restructuring printed it; the restructuring must not move a single figure
DEMO_OCTOBER_2026 = {
    "contacts": 973, "csat_pct": 88.88888888888889, "response_rate_pct": 19.10828025477707,
    "nps": 54.76190476190476, "ces": 5.833333333333333, "fcr_pct": 86.01485148514851,
    "aht_seconds": 324.21276595744683, "asa_seconds": 18.974198172727267,
    "abandon_rate_pct": 3.508771929824561, "service_level_pct": 78.42105263157895,
    "first_response_target_pct": 89.01960784313725, "cost_per_contact_usd": 7.303874734607218}
DEMO_5_TO_18_OCTOBER_2026 = {
    "contacts": 449, "csat_pct": 87.35632183908046, "response_rate_pct": 19.908466819221967,
    "nps": 55.0, "ces": 5.552631578947368, "fcr_pct": 86.57534246575342,
    "aht_seconds": 316.64088397790056, "asa_seconds": 19.107315206611567,
    "abandon_rate_pct": 2.4193548387096775, "service_level_pct": 79.83870967741936,
    "first_response_target_pct": 87.8048780487805, "cost_per_contact_usd": 7.110319627961909}


def _kpis_json(folder: Path, start: str, end: str, capsys) -> dict:
    capsys.readouterr()
    assert cli.main(["kpis", "--data", str(folder), "--start", start, "--end", end, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(("start", "end", "expected"), [
    ("2026-10-01", "2026-10-31", DEMO_OCTOBER_2026),
    ("2026-10-05", "2026-10-18", DEMO_5_TO_18_OCTOBER_2026)])
def test_kpis_json_on_the_demo_is_what_it_was_before_the_registry_restructuring(
        demo_folder, capsys, start, end, expected):
    values = _kpis_json(demo_folder, start, end, capsys)
    assert list(values) == list(expected)
    assert values["contacts"] == expected["contacts"] and isinstance(values["contacts"], int)
    for name, value in expected.items():
        assert values[name] == pytest.approx(value, rel=1e-12, abs=0), name


# --- the registry holds every definition ------------------------------------------------------


def test_every_metric_carries_its_numerator_denominator_scale_unit_and_format():
    for name, metric in METRICS.items():
        rule = definition(name, Settings())
        assert rule.numerator, name
        assert rule.unit == metric.unit and rule.number_format == metric.number_format
        assert rule.scale in (1, 100)
        assert rule.text
    assert KPI_NAMES == tuple(name for name, metric in METRICS.items() if metric.overview)
    assert definition("cost_per_contact_usd", Settings()).denominator == ("served_with_cost",)


def test_the_csat_mean_variant_has_its_own_unit_format_and_target():
    mean = dataclasses.replace(Settings(), csat_method="mean")
    rule = definition("csat_pct", mean)
    assert (rule.unit, rule.scale, rule.target) == ("score", 1, "csat_mean")
    assert format_value("csat_pct", 4.3125, mean) == "4.31 / 5"
    assert format_value("csat_pct", 86.25, Settings()) == "86.2%"  # top-2-box unchanged
    # no default target for a mean score: no status, never red against the 86% of the share
    assert target_for("csat_pct", mean) is None
    assert status("csat_pct", 4.31, target_for("csat_pct", mean), mean) == "none"
    assert target_text("csat_pct", target_for("csat_pct", mean), mean) == "no target set"
    # a target of its own, under [targets] csat_mean
    own = settings_from_dict({"metrics": {"csat_method": "mean"},
                              "targets": {"csat_mean": {"good": 4.2, "warn": 4.0}}})
    assert own.problems == ()
    target = target_for("csat_pct", own)
    assert (target.good, target.warn) == (4.2, 4.0)
    assert status("csat_pct", 4.31, target, own) == "green"
    assert status("csat_pct", 4.1, target, own) == "amber"
    assert status("csat_pct", 3.9, target, own) == "red"
    assert target_text("csat_pct", target, own) == "target ≥ 4.20 / 5"
    # the share's target stays the share's
    assert target_for("csat_pct", Settings()).good == 86


def test_overview_with_csat_mean_shows_a_score_not_a_red_percentage(app_test, demo_folder, tmp_path):
    folder = tmp_path / "data"
    shutil.copytree(demo_folder, folder, ignore=shutil.ignore_patterns(".cxdash"))
    write_settings(folder, '[metrics]\ncsat_method = "mean"\n')
    at = app_test(folder)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    tiles = {metric.label: metric.value for metric in at.metric}
    assert re.fullmatch(r"[1-5]\.\d\d / 5", tiles["CSAT"]), tiles["CSAT"]
    assert "%" not in tiles["CSAT"]
    captions = [c.value for c in at.caption]
    csat_caption = next(c for c in captions if "/ 5" in c and "last year" in c)
    assert "Off target" not in csat_caption and "86" not in csat_caption
    assert "No target" in csat_caption


# --- one cost per contact ---------------------------------------------------------------------


@pytest.mark.parametrize("month", [date(2026, 10, 1), date(2026, 9, 1), date(2025, 2, 1)])
def test_overview_cost_per_contact_for_a_whole_month_equals_the_reports_blended_figure(demo_folder, month):
    with Store.open(demo_folder) as store:
        period = Period(month, costs.add_months(month, 1) - timedelta(days=1))
        tile = kpi_values(store, period)["cost_per_contact_usd"]
        rows = costs.month_costs(store, month).by_channel.set_index("channel")
        assert tile is not None
        assert rows.loc[costs.BLENDED, "cost_per_contact_usd"] == pytest.approx(tile, rel=1e-12)
        for channel in ("phone", "chat", "self_service"):
            by_channel = kpi_values(store, period, Filters(channels=(channel,)))["cost_per_contact_usd"]
            assert rows.loc[channel, "cost_per_contact_usd"] == pytest.approx(by_channel, rel=1e-12)


def _answered(interaction_id: str, channel: str, when: str) -> dict:
    return {"interaction_id": interaction_id, "channel": channel, "arrived_at": when, "answered_at": when,
            "abandoned": False, "talk_seconds": 60.0}


def test_cost_per_contact_for_a_partial_period_by_hand(tmp_path):
    # February 2024 has 29 days: phone labor $290 is $10 a day, chat $58 is $2 a day, shared $87 is
    # $3 a day; the data runs from 10 to 20 February
    write_interactions(tmp_path, [
        _answered("p1", "phone", "2024-02-10 18:00"), _answered("p2", "phone", "2024-02-15 18:00"),
        _answered("c1", "chat", "2024-02-16 18:00"), _answered("p3", "phone", "2024-02-20 18:00")])
    write_costs(tmp_path, [
        {"month": "2024-02-01", "channel": "phone", "cost_type": "labor", "amount_usd": 290.0},
        {"month": "2024-02-01", "channel": "chat", "cost_type": "labor", "amount_usd": 58.0},
        {"month": "2024-02-01", "channel": "shared", "cost_type": "technology", "amount_usd": 87.0},
        {"month": "2024-02-01", "channel": "phone", "cost_type": "one_time", "amount_usd": 500.0}])
    with Store.open(tmp_path) as store:
        period = Period(date(2024, 2, 12), date(2024, 2, 18))  # 7 days: p2 and c1 served
        blended = kpi_values(store, period)["cost_per_contact_usd"]
        assert blended == pytest.approx(7 * (10 + 2 + 3) / 2)  # $52.50
        phone = kpi_values(store, period, Filters(channels=("phone",)))["cost_per_contact_usd"]
        assert phone == pytest.approx(7 * 10 / 1)
        # the whole month: only the 11 days inside the data (10-20 February) carry cost
        month = kpi_values(store, Period(date(2024, 2, 1), date(2024, 2, 29)))["cost_per_contact_usd"]
        assert month == pytest.approx(11 * 15 / 4)
        report = costs.month_costs(store, date(2024, 2, 1))
        assert report.by_channel.set_index("channel").loc["blended", "cost_per_contact_usd"] \
            == pytest.approx(month)
        composition = report.composition.set_index("cost_type")["amount_usd"]
        assert composition.to_dict() == pytest.approx({"labor": 11 * 12, "technology": 11 * 3})


# --- the store's version follows what shapes it -----------------------------------------------


def test_changing_a_preparation_sql_file_changes_the_version_and_re_prepares(tmp_path, monkeypatch):
    write_interactions(tmp_path, [_answered("p1", "phone", "2024-02-10 18:00")])
    settings = load_settings(tmp_path)
    ingest.prepare(tmp_path, settings)
    manifest_path = ingest.store_path(tmp_path) / "manifest.json"
    before = json.loads(manifest_path.read_text())
    assert before["version"] == ingest.store_version()
    assert "rollup_daily" in ingest.store_sql_names() and "validation_problems" in ingest.store_sql_names()
    prepared_at = {key: entry["prepared_at"] for key, entry in before["files"].items()}
    ingest.prepare(tmp_path, settings)  # nothing changed: nothing prepared again
    again = json.loads(manifest_path.read_text())
    assert {key: entry["prepared_at"] for key, entry in again["files"].items()} == prepared_at

    original = ingest.load_sql

    def changed(name: str) -> str:
        text = original(name)
        return text + "\n-- a changed rule\n" if name == "rollup_daily" else text

    monkeypatch.setattr(ingest, "load_sql", changed)
    assert ingest.store_version() != before["version"]
    ingest.prepare(tmp_path, settings)
    after = json.loads(manifest_path.read_text())
    assert after["version"] == ingest.store_version() != before["version"]
    assert all(after["files"][key]["prepared_at"] > prepared_at[key] for key in prepared_at)


def test_the_store_version_covers_the_contract_and_the_code_version(monkeypatch):
    version = ingest.store_version()
    monkeypatch.setattr(ingest, "STORE_CODE_VERSION", ingest.STORE_CODE_VERSION + 1)
    bumped = ingest.store_version()
    assert bumped != version
    from cxdash import contract
    monkeypatch.setattr(contract, "QA_COLUMNS", contract.QA_COLUMNS[:-1])
    assert ingest.store_version() not in (version, bumped)
