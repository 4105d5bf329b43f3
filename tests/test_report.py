"""The monthly report: its figures equal `kpis --json` and the page's, the HTML and Excel files, the
command line, and the cost model that stands in for a missing costs table."""

from __future__ import annotations

import json
import re
import zipfile
from datetime import date

import pytest

from cxdash import cli, costs, report
from cxdash.kpis import Period, kpi_values
from cxdash.settings import CostModel, settings_from_dict
from cxdash.store import COST_MODEL, COSTS_TABLE, Store
from tests.builders import write_interactions, write_settings

JUNE = date(2026, 6, 1)


@pytest.fixture(scope="module")
def june(demo_folder):
    with Store.open(demo_folder) as store:
        yield report.monthly_report(store, JUNE)


def _embedded_figures(html: str) -> dict:
    found = re.search(r'<script type="application/json" id="cxdash-figures">(.*?)</script>', html, re.S)
    assert found, "the report carries its figures as JSON"
    return json.loads(found.group(1))


def test_the_reports_kpis_equal_kpis_json_for_the_month(june, demo_folder, capsys):
    assert cli.main(["kpis", "--data", str(demo_folder), "--start", "2026-06-01", "--end", "2026-06-30",
                     "--json"]) == 0
    from_command = json.loads(capsys.readouterr().out)
    figures = report.figures(june)
    assert figures["month"] == "2026-06"
    assert set(figures["kpis"]) == set(from_command)
    for name, value in from_command.items():
        assert figures["kpis"][name] == pytest.approx(value, rel=1e-9), name


def test_the_reports_cost_per_contact_is_the_cost_sections(june, demo_folder):
    with Store.open(demo_folder) as store:
        by_channel = costs.month_costs(store, JUNE).by_channel.set_index("channel")
    figures = report.figures(june)
    assert figures["cost_source"] == COSTS_TABLE
    for channel, value in figures["cost_per_contact_usd"].items():
        assert value == pytest.approx(by_channel.loc[channel, "cost_per_contact_usd"])
    blended = figures["cost_per_contact_usd"]["blended"]
    assert figures["kpis"]["cost_per_contact_usd"] == pytest.approx(blended)


def test_the_summary_names_every_kpi_off_or_near_target(june):
    lines = report.summary(june)
    tiles = june.overview.tiles
    for status, words in (("red", "Off target"), ("amber", "Near target")):
        for label in tiles.loc[tiles["status"] == status, "label"]:
            assert any(line.startswith(words) and label in line for line in lines), label
    assert lines[0].startswith("June 2026: ")


def test_the_report_command_writes_one_offline_html_file_and_a_workbook(demo_folder, tmp_path, capsys, june):
    out, workbook = tmp_path / "report.html", tmp_path / "tables.xlsx"
    assert cli.main(["report", "--data", str(demo_folder), "--month", "2026-06", "--out", str(out),
                     "--xlsx", str(workbook), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    html = out.read_text(encoding="utf-8")
    embedded = _embedded_figures(html)
    assert embedded == printed
    assert embedded["kpis"] == pytest.approx(report.figures(june)["kpis"], rel=1e-9)
    # self-contained: Plotly's script inside, nothing fetched from elsewhere
    assert "Plotly" in html and not re.search(r'<script[^>]+src=', html)
    assert re.search(r'<link[^>]+href="https?:', html) is None
    assert "Monthly report · June 2026" in html
    with zipfile.ZipFile(workbook) as book:
        sheets = book.read("xl/workbook.xml").decode()
    for sheet in ("summary", "kpis", "cost_per_contact", "ltv_by_cohort", "service_experience",
                  "coaching_and_returns"):
        assert f'name="{sheet}"' in sheet_names(sheets), sheet


def sheet_names(workbook_xml: str) -> str:
    return " ".join(f'name="{name}"' for name in re.findall(r'<sheet name="([^"]+)"', workbook_xml))


def test_the_report_command_rejects_a_month_that_is_not_one(demo_folder, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_code:
        cli.main(["report", "--data", str(demo_folder), "--month", "2026-13", "--out",
                  str(tmp_path / "x.html")])
    assert exit_code.value.code == 2
    assert "is not a month like 2026-10" in capsys.readouterr().err


def test_without_a_costs_table_the_cost_model_gives_cost_per_contact_by_hand(tmp_path):
    write_interactions(tmp_path, [
        # March 2026: a 20-minute phone call that waited 60 s, a 6-minute chat, a self-service visit
        {"interaction_id": "p", "channel": "phone", "arrived_at": "2026-03-10 18:00",
         "answered_at": "2026-03-10 18:01", "talk_seconds": 1000.0, "wrap_seconds": 200.0,
         "abandoned": False},
        {"interaction_id": "c", "channel": "chat", "arrived_at": "2026-03-11 18:00",
         "answered_at": "2026-03-11 18:00", "talk_seconds": 360.0, "abandoned": False},
        {"interaction_id": "s", "channel": "self_service", "arrived_at": "2026-03-12 18:00",
         "abandoned": False},
    ])
    write_settings(tmp_path, "[cost_model]\nloaded_hourly_rate_usd = 36\noccupancy = 0.8\n"
                             "telephony_per_minute_usd = 0.05\nseats = 1\nseat_licence_month_usd = 50\n"
                             "self_service_month_usd = 10\n")
    with Store.open(tmp_path) as store:
        assert store.cost_source == COST_MODEL
        month = costs.month_costs(store, date(2026, 3, 1)).by_channel.set_index("channel")
        # phone: labor 1200 s = 1/3 h / 0.8 x $36 = $15; telephony (60 + 1200) s = 21 min x $0.05
        assert month.loc["phone", "cost_usd"] == pytest.approx(15 + 1.05)
        # chat: 360 s = 0.1 h / 0.8 x $36 = $4.50
        assert month.loc["chat", "cost_per_contact_usd"] == pytest.approx(4.5)
        # monthly fees count for the 3 of March's 31 days that the data covers
        assert month.loc["self_service", "cost_per_contact_usd"] == pytest.approx(10 * 3 / 31)
        # blended: 16.05 + 4.50 + (10 + 50 seats) x 3/31 over 3 served contacts
        blended = (16.05 + 4.5 + 60 * 3 / 31) / 3
        assert month.loc["blended", "cost_per_contact_usd"] == pytest.approx(blended)
        # the overview tile counts the same costs over the same days
        tile = kpi_values(store, Period(date(2026, 3, 10), date(2026, 3, 12)))["cost_per_contact_usd"]
        assert tile == pytest.approx(blended)


def test_cost_model_settings_are_checked_one_by_one():
    settings = settings_from_dict({"cost_model": {"occupancy": 1.5, "seats": 30, "telephony_channels":
                                                  ["phone", "fax"], "hourly": 3}})
    assert settings.cost_model.seats == 30
    assert settings.cost_model.occupancy == CostModel().occupancy
    assert settings.cost_model.telephony_channels == ("phone",)
    problems = " ".join(settings.problems)
    assert "cost_model.occupancy = 1.5" in problems and "unknown setting `cost_model.hourly`" in problems
    assert "cost_model.telephony_channels" in problems
    # the cost model is applied when queried: changing it does not re-summarise the data
    assert settings.fingerprint() == settings_from_dict({}).fingerprint()


def test_coaching_queues_come_from_the_settings():
    assert settings_from_dict({}).coaching_queues == ("product_advice",)
    assert settings_from_dict({"lifetime_value": {"coaching_queues": ["usage", "advice"]}}) \
        .coaching_queues == ("usage", "advice")
    assert "coaching_queues" in " ".join(settings_from_dict(
        {"lifetime_value": {"coaching_queues": "advice"}}).problems)


def test_a_month_the_data_has_not_finished_says_so_first(tmp_path):
    write_interactions(tmp_path, [
        {"interaction_id": "a", "channel": "phone", "arrived_at": "2026-02-10 18:00"},
        {"interaction_id": "b", "channel": "phone", "arrived_at": "2026-03-10 18:00"},
    ])
    with Store.open(tmp_path) as store:
        march = report.monthly_report(store, date(2026, 3, 1))
        february = report.monthly_report(store, date(2026, 2, 1))
    assert march.complete_through == date(2026, 2, 1)
    assert report.summary(march)[0].startswith("March 2026 is not over in the data")
    assert report.summary(february)[0].startswith("February 2026: 1 contact (")


def test_the_monthly_report_pages_view_by_hand(tmp_path):
    from cxdash.views.monthly_report import month_choices, monthly_report_page

    write_interactions(tmp_path, [  # the month of the cost model's test above
        {"interaction_id": "p", "channel": "phone", "arrived_at": "2026-03-10 18:00",
         "answered_at": "2026-03-10 18:01", "talk_seconds": 1000.0, "wrap_seconds": 200.0,
         "abandoned": False},
        {"interaction_id": "c", "channel": "chat", "arrived_at": "2026-03-11 18:00",
         "answered_at": "2026-03-11 18:00", "talk_seconds": 360.0, "abandoned": False},
        {"interaction_id": "s", "channel": "self_service", "arrived_at": "2026-03-12 18:00",
         "abandoned": False},
    ])
    write_settings(tmp_path, "[cost_model]\nloaded_hourly_rate_usd = 36\noccupancy = 0.8\n"
                             "telephony_per_minute_usd = 0.05\nseats = 1\nseat_licence_month_usd = 50\n"
                             "self_service_month_usd = 10\n")
    with Store.open(tmp_path) as store:
        shown = monthly_report_page(store, date(2026, 3, 20))  # any day of the month
    assert shown.report.month == date(2026, 3, 1)
    tiles = {tile.label: tile.value for tile in shown.cost_tiles}
    # (16.05 + 4.50 + 60 x 3/31) / 3 served contacts, as in the test above
    assert tiles["Blended cost per contact"] == "$8.79"
    assert tiles["Self-service share of contacts"] == "33.3%"  # 1 of 3 contacts
    assert tiles["One-time costs"] == "$0"
    assert shown.no_costs is None and shown.cost_caption.startswith("March 2026. ")
    assert "Source: The cost model" in shown.cost_caption
    assert shown.kpi_caption == ("March 2026 against February 2026 and March 2025, every channel, queue "
                                 "and team.")
    assert [tile.value for tile in shown.kpi_tiles][0] == "3"
    assert shown.summary.startswith("- March 2026 is not over in the data")  # the data ends on the 12th
    # no orders table: no value, returns or coaching
    assert shown.value_tiles is None and shown.orders_chart is None and shown.coaching_table is None
    # the picker: newest month first, the last full month chosen (February: before the data's end)
    assert month_choices((date(2025, 11, 3), date(2026, 3, 12)), date(2026, 5, 2)) == (
        ["2026-03", "2026-02", "2026-01", "2025-12", "2025-11"], 1)
    assert month_choices((date(2026, 3, 10), date(2026, 3, 12)), date(2026, 5, 2)) == (["2026-03"], 0)
