"""AppTest over pages whose data holds hostile names, and over links with values no widget can take:
names are shown as their text, never as Markdown, Streamlit directives or HTML; a bad value in a link
falls back to the default with a note; an error says a plain sentence and leaves the details to the log."""

from __future__ import annotations

import json
from datetime import date

import pytest

from cxdash.safe import html_text, plain
from tests.apptest import expect_page_failure, page_failures, run
from tests.hostile import AGENT, HOSTILE, ITEM, QUEUE, SPECIAL_DAY, TEAM, TEAM_HTML, write_hostile_demo


@pytest.fixture(scope="module")
def hostile_folder(tmp_path_factory):
    """The hostile demo, prepared, with one 30-minute forecast of the hostile queue in the record."""
    from cxdash import forecast, record
    from cxdash.store import Store

    folder = write_hostile_demo(tmp_path_factory.mktemp("hostile"))
    with Store.open(folder) as store:
        made = forecast.make_forecast(store, forecast.Request("30min", date(2026, 10, 1), 1, queues=(QUEUE,)))
    record.save(folder, made)
    return folder


_run = run  # the harness's run: every page failure fails the test


def _markdown(at) -> list[str]:
    """The Markdown of every text element and widget label or tooltip on the page."""
    texts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success",
                 "expander", "tabs"):
        for element in getattr(at, kind):
            texts.append(getattr(element, "label", None) or element.value)
    for element in at.metric:
        texts += [element.label, element.proto.help]
    return texts


def assert_shown_as_text(at, *names: str) -> None:
    """Each name appears escaped, and no Markdown on the page holds a hostile name, a link or an
    image to evil.example, or a Streamlit directive as written."""
    texts = _markdown(at)
    for name in names:
        assert any(plain(name) in text for text in texts), name
    for text in texts:
        assert not any(hostile in text for hostile in HOSTILE), text
        assert "evil.example" not in text and ":red[" not in text, text


def _figures(at) -> list[str]:
    """Every Plotly figure of the page as Plotly receives it (its JSON decoded)."""
    return [json.dumps(json.loads(chart.proto.spec), ensure_ascii=False) for chart in at.get("plotly_chart")]


def test_overview_names_the_hostile_filters_as_text(app_test, hostile_folder):
    at = _run(app_test(hostile_folder, {"queue": QUEUE, "team": [TEAM, TEAM_HTML]}))
    assert at.multiselect(key="queue").value == [QUEUE]
    assert_shown_as_text(at, QUEUE, TEAM, TEAM_HTML)


def test_quality_drill_down_and_qa_show_hostile_names_as_text(app_test, hostile_folder):
    at = _run(app_test(hostile_folder, {"at": "2026-10-05", "by": "Agent", "segment": AGENT}),
              "pages/quality.py")
    assert at.selectbox(key="segment").value == AGENT
    assert_shown_as_text(at, AGENT)
    assert any(f"Agent: {plain(AGENT)}" in m.value for m in at.markdown)
    figures = "\n".join(_figures(at))
    assert html_text(ITEM) in figures and ITEM not in figures  # the QA items chart
    assert AGENT in figures  # the QA coverage chart: a name without <, > or & as it is


def test_monthly_report_names_a_hostile_coaching_queue_as_text(app_test, hostile_folder):
    at = _run(app_test(hostile_folder, {"month": "2026-10"}), "pages/monthly_report.py")
    assert_shown_as_text(at, QUEUE)


def test_seasonality_charts_a_hostile_special_day_as_text(app_test, hostile_folder):
    at = _run(app_test(hostile_folder), "pages/seasonality.py")
    figures = "\n".join(_figures(at))
    assert html_text(SPECIAL_DAY) in figures and SPECIAL_DAY not in figures
    assert_shown_as_text(at)


def test_forecast_of_a_hostile_queue_names_it_as_text(app_test, hostile_folder):
    at = _run(app_test(hostile_folder, {"grain": "30 minutes", "queues": QUEUE}), "pages/forecast.py")
    assert_shown_as_text(at, QUEUE)


# --- values in the link --------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["inf", "-inf", "1e999", "nan", "500", "abc", "2.5"])
def test_a_bad_horizon_in_the_link_falls_back_to_the_default_with_a_note(app_test, hostile_folder, value):
    at = _run(app_test(hostile_folder, {"horizon": value}), "pages/forecast.py")
    assert at.number_input(key="horizon").value == 14
    assert any(plain(f"Days ahead = {value}") in w.value and "default" in w.value for w in at.warning)
    at.number_input(key="horizon").set_value(20).run()  # the widget works on after the note
    assert not at.exception and at.number_input(key="horizon").value == 20


def test_bad_staffing_values_in_the_link_fall_back_to_the_defaults_with_a_note(app_test, hostile_folder):
    query = {"sl": "inf", "within": "-inf", "occupancy": "90", "shrinkage": "nan"}
    at = _run(app_test(hostile_folder, query), "pages/staffing.py")
    assert at.number_input(key="sl").value == 80 and at.number_input(key="within").value == 20
    assert at.number_input(key="occupancy").value == 90  # a good value is kept
    assert at.number_input(key="shrinkage").value == 30
    notes = " ".join(w.value for w in at.warning)
    for wrong in ("Service level % = inf", "Within seconds = -inf", "Shrinkage % = nan"):
        assert plain(wrong) in notes
    assert "occupancy" not in notes


def test_a_period_that_ends_before_it_starts_is_swapped_with_a_note(app_test, hostile_folder):
    at = _run(app_test(hostile_folder, {"period": ["2026-10-31", "2026-10-01"]}))
    assert at.date_input(key="period").value == (date(2026, 10, 1), date(2026, 10, 31))
    assert any("ends before it starts" in w.value for w in at.warning)
    assert at.caption[0].value.startswith("**October 2026**")


# --- errors --------------------------------------------------------------------------------------------

def test_a_page_error_shows_a_sentence_and_logs_the_details(app_test, hostile_folder, monkeypatch, caplog):
    from cxdash import kpis

    def broken(*args, **kwargs):
        raise RuntimeError("Binder Error: SELECT * FROM read_parquet('/srv/secret/interactions/*.parquet')")

    monkeypatch.setattr(kpis, "overview", broken)
    at = expect_page_failure(app_test(hostile_folder))
    at.run()
    assert not at.exception
    [(sentence, trace)] = page_failures(at)  # the harness sees the failure the browser does not
    assert sentence.startswith("Something went wrong while drawing this page")
    assert "RuntimeError: Binder Error" in trace
    shown = " ".join(e.value for e in at.error)
    assert "Something went wrong while drawing this page" in shown
    assert "/srv/secret" not in shown and "SELECT" not in shown and "RuntimeError" not in shown
    assert "Binder Error: SELECT * FROM read_parquet('/srv/secret" in caplog.text


def test_a_data_folder_that_cannot_be_opened_says_so_without_its_path(app_test, tmp_path, caplog):
    folder = tmp_path / "not-a-folder"
    folder.write_text("a file where the data folder should be")
    at = expect_page_failure(app_test(folder))
    at.run()
    assert not at.exception
    [(sentence, _)] = page_failures(at)
    assert sentence.startswith("The data folder could not be opened")
    shown = " ".join(e.value for e in at.error)
    assert "The data folder could not be opened" in shown
    assert str(tmp_path) not in shown and "Errno" not in shown and "Error:" not in shown
    assert str(folder) in caplog.text
