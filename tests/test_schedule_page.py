"""The Schedule page in AppTest: from a stored forecast to tiles, coverage, roster and downloads; the
what-if headcount; rules that cannot be met named on the page."""

from __future__ import annotations

import shutil
from datetime import date

import pytest

from cxdash.schedule import keep
from tests.apptest import run

PAGE = "pages/schedule.py"


@pytest.fixture
def planning_folder(demo_folder, tmp_path):
    """A copy of the small demo (prepared store included) without its forecasts and schedules."""
    folder = tmp_path / "demo"
    shutil.copytree(demo_folder, folder, ignore=shutil.ignore_patterns("forecasts", "schedules"))
    return folder


def stored_forecast(folder) -> str:
    from cxdash import forecast, record
    from cxdash.store import Store

    with Store.open(folder) as store:
        made = forecast.make_forecast(store, forecast.Request("30min", date(2026, 10, 19), 6,
                                                              channels=("phone",)))
    return record.save(folder, made)


def tiles(at) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def test_without_an_interval_forecast_the_page_points_to_the_forecast_page(app_test, planning_folder):
    at = run(app_test(planning_folder), PAGE)
    assert any("A schedule works from an interval forecast" in i.value for i in at.info)


def test_a_stored_forecast_gives_a_week_and_the_headcount_changes_it(app_test, planning_folder):
    from cxdash.store import Store
    from cxdash.views.schedule import forecast_to_schedule

    run_id = stored_forecast(planning_folder)
    at = run(app_test(planning_folder, {"run": run_id, "seconds": "3"}), PAGE)
    with Store.open(planning_folder) as store:
        chosen = forecast_to_schedule(store, run_id)
    assert at.selectbox(key="week").value == chosen.weeks[0] == date(2026, 10, 19)
    shown = tiles(at)
    # 24 full-time agents at the seed's 40 hours, at the cost model's $35 an hour
    assert shown["Paid hours"] == "960" and shown["Labour cost"] == "$33,600"
    assert shown["Solver"] in ("optimal", "feasible")
    level = float(shown["Weekly service level"].rstrip("%"))
    roster = next(frame.value for frame in at.dataframe if "agent" in frame.value.columns)
    assert len(roster) == 24 and (roster["paid_hours"] == 40).all()
    assert len(at.get("plotly_chart")) == 1
    assert {b.label for b in at.get("download_button")} == {"Download the roster (CSV)", "Download as Excel"}

    # two agents for the same week: 80 paid hours, and a lower service level
    at.number_input(key="agents").set_value(2).run()
    shown = tiles(at)
    assert shown["Paid hours"] == "80" and shown["Labour cost"] == "$2,800"
    assert float(shown["Weekly service level"].rstrip("%")) < level
    roster = next(frame.value for frame in at.dataframe if "agent" in frame.value.columns)
    assert list(roster["agent"]) == ["Agent 1", "Agent 2"]
    assert any("agents short on the phones" in md.value for md in at.markdown)

    # kept with its inputs in the data folder's record
    at.button(key="keep").click().run()
    kept = keep.schedules(planning_folder)
    assert len(kept) == 1 and kept.iloc[0]["agents"] == 2 and kept.iloc[0]["forecast_run"] == run_id
    assert any(kept.iloc[0]["schedule_id"] in s.value for s in at.success)


def test_the_share_of_intervals_comes_from_the_url_and_is_kept_with_the_schedule(app_test, planning_folder):
    run_id = stored_forecast(planning_folder)
    at = run(app_test(planning_folder, {"run": run_id, "seconds": "3", "share": "70"}), PAGE)
    assert at.number_input(key="share").value == 70
    goal = next(m for m in at.metric if m.label.startswith("Intervals meeting the target"))
    assert "goal 70%" in str(goal.proto.delta)
    at.button(key="keep").click().run()
    meta, _ = keep.load(planning_folder, keep.schedules(planning_folder).iloc[0]["schedule_id"])
    assert meta["inputs"]["share_pct"] == 70


def test_rules_that_cannot_be_met_are_named_on_the_page(app_test, planning_folder):
    run_id = stored_forecast(planning_folder)
    at = run(app_test(planning_folder, {"run": run_id, "seconds": "3"}), PAGE)
    # only 4-hour shifts: five of them pay 20 hours, short of the 40 contracted
    at.multiselect(key="lengths").set_value([4.0]).run()
    assert any("the rule that cannot be met is contracted hours" in e.value for e in at.error)
    assert not at.metric


def test_the_roster_upload_counts_its_rows():
    from cxdash.safe import plain
    from cxdash.settings import Settings
    from cxdash.views.schedule import read_team

    data = b"agent,contract_hours\nAnn,40\n*Bob*,forty\n"
    agents, problems, aside, caption = read_team(data, "my team.csv", Settings())
    assert [a.name for a in agents] == ["Ann"] and len(aside) == 1 and aside["agent"].item() == "*Bob*"
    assert caption == f"{plain('my team.csv')}: 2 rows read = 1 used + 1 set aside."
    assert problems == (plain("my team.csv: 1 row: contract_hours is not hours a week (40, 20-30, full or "
                              "part); set aside"),)
