"""`python -m cxdash kpis`: the overview's figures for scripts, the same numbers as the app."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from cxdash import cli
from cxdash.kpis import Filters, Period, kpi_values
from cxdash.store import Store
from tests.builders import utc, write_costs, write_interactions

KEYS = ["contacts", "csat_pct", "response_rate_pct", "nps", "ces", "fcr_pct", "aht_seconds",
        "asa_seconds", "abandon_rate_pct", "service_level_pct", "first_response_target_pct",
        "cost_per_contact_usd"]


def contact(interaction_id: str, channel: str, arrived: str, wait: int | None, **values) -> dict:
    """Answered after `wait` seconds, or abandoned when `wait` is None."""
    row = {"interaction_id": interaction_id, "channel": channel, "arrived_at": utc(arrived)}
    if wait is None:
        row["abandoned"] = True
    else:
        row |= {"answered_at": utc(arrived) + timedelta(seconds=wait), "abandoned": False}
    return row | values


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    # 18:00 UTC is 10:00 in Los Angeles; 2024-01-11 06:30 UTC is still 10 January there
    write_interactions(tmp_path, [
        contact("p1", "phone", "2024-01-10 18:00:00", 10, talk_seconds=300.0, csat_score=5),
        contact("p2", "phone", "2024-01-10 18:05:00", 40, talk_seconds=100.0, csat_score=2),
        contact("p3", "phone", "2024-01-10 18:10:00", None, ended_at="2024-01-10 18:11:00"),
        contact("c1", "chat", "2024-01-11 06:30:00", 5, talk_seconds=200.0, nps_score=10),
        contact("e1", "email", "2024-01-12 18:00:00", 30, talk_seconds=60.0),
    ])
    write_costs(tmp_path, [
        {"month": "2024-01-01", "channel": "phone", "cost_type": "labor", "amount_usd": 3100.0}])
    return tmp_path


def run_kpis(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(["kpis", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_kpis_json_prints_exactly_the_twelve_keys(folder, capsys):
    code, out, _ = run_kpis(capsys, "--start", "2024-01-10", "--end", "2024-01-10",
                            "--data", str(folder), "--json")
    assert code == 0
    document = json.loads(out)
    assert list(document) == KEYS


def test_kpis_json_values_equal_the_app_figures(folder, capsys):
    _, out, _ = run_kpis(capsys, "--start", "2024-01-10", "--end", "2024-01-10",
                         "--data", str(folder), "--json")
    store = Store.open(folder)
    try:
        expected = kpi_values(store, Period(date(2024, 1, 10), date(2024, 1, 10)))
    finally:
        store.close()
    assert json.loads(out) == pytest.approx(expected)


def test_kpis_json_counts_the_days_in_the_local_zone_inclusively(folder, capsys):
    _, out, _ = run_kpis(capsys, "--start", "2024-01-10", "--end", "2024-01-10",
                         "--data", str(folder), "--json")
    document = json.loads(out)
    # p1, p2, p3 and c1 (22:30 on 10 January in Los Angeles); e1 is on the 12th
    assert document["contacts"] == 4
    # ratings 5 and 2 -> 1 of 2
    assert document["csat_pct"] == pytest.approx(50.0)
    # no email that day: nothing to measure the response target on
    assert document["first_response_target_pct"] is None
    _, out, _ = run_kpis(capsys, "--start", "2024-01-10", "--end", "2024-01-12",
                         "--data", str(folder), "--json")
    assert json.loads(out)["contacts"] == 5


def test_kpis_channel_filter_restricts_the_figures(folder, capsys):
    _, out, _ = run_kpis(capsys, "--start", "2024-01-10", "--end", "2024-01-10", "--channel", "phone",
                         "--data", str(folder), "--json")
    document = json.loads(out)
    assert document["contacts"] == 3
    # answered p1 (10 s) and p2 (40 s): ASA 25 s; p3 abandoned after 60 s: 1 of 3
    assert document["asa_seconds"] == pytest.approx(25.0)
    assert document["abandon_rate_pct"] == pytest.approx(100 / 3)
    # $3,100 / 31 days = $100 over 2 served phone calls
    assert document["cost_per_contact_usd"] == pytest.approx(50.0)
    # the chat contact's NPS is filtered out
    assert document["nps"] is None


def test_kpis_channel_option_repeats_for_several_channels(folder, capsys):
    _, out, _ = run_kpis(capsys, "--start", "2024-01-10", "--end", "2024-01-10", "--channel", "phone",
                         "--channel", "chat", "--data", str(folder), "--json")
    document = json.loads(out)
    assert document["contacts"] == 4
    store = Store.open(folder)
    try:
        expected = kpi_values(store, Period(date(2024, 1, 10), date(2024, 1, 10)),
                              Filters(channels=("phone", "chat")))
    finally:
        store.close()
    assert document == pytest.approx(expected)


def test_kpis_queue_filter_prints_null_cost(folder, capsys):
    _, out, _ = run_kpis(capsys, "--start", "2024-01-10", "--end", "2024-01-10", "--queue", "(none)",
                         "--data", str(folder), "--json")
    document = json.loads(out)
    assert document["contacts"] == 4
    assert document["cost_per_contact_usd"] is None


def test_kpis_with_end_before_start_exits_2(folder, capsys):
    code, out, err = run_kpis(capsys, "--start", "2024-01-10", "--end", "2024-01-09",
                              "--data", str(folder), "--json")
    assert code == 2
    assert out == ""
    assert "--end is before --start" in err


def test_kpis_with_a_date_that_is_not_a_date_exits_2(folder, capsys):
    with pytest.raises(SystemExit) as stopped:
        cli.main(["kpis", "--start", "10/01/2024", "--end", "2024-01-10", "--data", str(folder)])
    assert stopped.value.code == 2
    assert "is not a date" in capsys.readouterr().err


def test_kpis_with_an_unknown_channel_exits_2(folder, capsys):
    with pytest.raises(SystemExit) as stopped:
        cli.main(["kpis", "--start", "2024-01-10", "--end", "2024-01-10", "--channel", "fax",
                  "--data", str(folder)])
    assert stopped.value.code == 2


def test_kpis_without_json_prints_one_labelled_line_per_kpi(folder, capsys):
    code, out, _ = run_kpis(capsys, "--start", "2024-01-10", "--end", "2024-01-10",
                            "--data", str(folder))
    assert code == 0
    lines = out.strip().splitlines()
    assert len(lines) == 12
    assert lines[0].split() == ["Contacts", "4"]
    assert lines[1].split() == ["CSAT", "50.0%"]


def test_kpis_on_an_empty_folder_prints_zero_contacts_and_nulls(tmp_path, capsys):
    code, out, _ = run_kpis(capsys, "--start", "2024-01-01", "--end", "2024-01-31",
                            "--data", str(tmp_path), "--json")
    assert code == 0
    document = json.loads(out)
    assert document["contacts"] == 0
    assert all(document[key] is None for key in KEYS[1:])


def test_python_dash_m_cxdash_runs_the_command_line(folder):
    finished = subprocess.run(
        [sys.executable, "-m", "cxdash", "kpis", "--start", "2024-01-10", "--end", "2024-01-10",
         "--data", str(folder), "--json"],
        capture_output=True, text=True, timeout=120, cwd=Path(__file__).resolve().parent.parent)
    assert finished.returncode == 0, finished.stderr
    assert json.loads(finished.stdout)["contacts"] == 4


def test_kpis_loads_neither_pandas_nor_the_daily_rollup_into_memory(folder):
    # the figures come from plain rows of a store that reads the daily rollup from disk: a command
    # that prints twelve numbers pays for neither pandas' import nor loading every day of data
    arguments = ["kpis", "--start", "2024-01-10", "--end", "2024-01-10", "--data", str(folder), "--json"]
    script = ("import sys\nfrom cxdash import cli\n"
              f"code = cli.main({arguments!r})\n"
              "print('pandas' in sys.modules, file=sys.stderr)\n")
    finished = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                              cwd=Path(__file__).resolve().parent.parent)
    assert finished.returncode == 0, finished.stderr
    assert json.loads(finished.stdout)["contacts"] == 4
    assert finished.stderr.strip().splitlines()[-1] == "False"


def test_a_store_that_leaves_the_rollups_on_disk_gives_the_figures_of_one_that_loads_them(folder):
    period, channels = Period(date(2024, 1, 10), date(2024, 1, 12)), Filters(channels=("phone", "email"))
    with Store.open(folder) as resident, Store.open(folder, resident=False) as on_disk:
        assert on_disk.cursor().execute(
            "select table_type from information_schema.tables where table_name = 'daily'").fetchall() == \
            [("VIEW",)]
        for filters in (Filters(), channels):
            assert kpi_values(on_disk, period, filters) == kpi_values(resident, period, filters)
        # p1, p2, p3 and c1 on the 10th (Los Angeles), e1 on the 12th
        assert kpi_values(on_disk, period)["contacts"] == 5
