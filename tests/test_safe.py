"""Data values shown as text and files that open as data: the helpers of cxdash.safe, the chart builders,
the CSV and Excel downloads, the HTML report, and a period that cannot end before it starts."""

from __future__ import annotations

import csv
import inspect
import io
import json
from datetime import date

import openpyxl
import pandas as pd
import plotly.graph_objects as go
import pytest

from cxdash import charts, report, safe
from cxdash.kpis import Period
from cxdash.store import Store

LINK = "[reset your password](https://evil.example/login)"
HTML_LINK = '<a href="x">q</a>'


# --- Markdown ------------------------------------------------------------------------------------------

def test_plain_escapes_every_markdown_and_streamlit_construct():
    # every ASCII punctuation character backslash-escaped; a word joiner after "https:" so that
    # GitHub's autolinks cannot find the address in the text
    assert safe.plain(LINK) == "\\[reset your password\\]\\(https\\:\u2060\\/\\/evil\\.example\\/login\\)"
    assert safe.plain("![x](p.png)") == "\\!\\[x\\]\\(p\\.png\\)"
    assert safe.plain(":red[**URGENT**]") == "\\:red\\[\\*\\*URGENT\\*\\*\\]"
    assert safe.plain("$x$ <b>") == "\\$x\\$ \\<b\\>"
    assert safe.plain("www.evil.example") == "www\u2060\\.evil\\.example"
    assert safe.plain("bob@evil.example") == "bob\\@\u2060evil\\.example"
    assert safe.plain("Team Day") == "Team Day"  # letters, digits and spaces as they are
    # a line break would start a new Markdown block (a heading, a list, a code block)
    assert safe.plain("a\n# b\tc") == "a \\# b c"
    assert safe.plain(None) == ""
    assert safe.plain_join(["a_b", "c"]) == "a\\_b, c"


def test_code_spans_hold_any_backticks():
    assert safe.code("interactions/part.parquet") == "`interactions/part.parquet`"
    assert safe.code("a``b") == "```a``b```"
    assert safe.code("`x") == "`` `x ``"


# --- Plotly --------------------------------------------------------------------------------------------

def test_html_labels_escape_text_cells_only():
    frame = pd.DataFrame({"queue": [HTML_LINK, "a & b", "plain"], "contacts": [1, 2, 3],
                          "kind": pd.Categorical(["<b>", "x", "x"])})
    escaped = safe.html_labels(frame)
    assert escaped["queue"].tolist() == ["&lt;a href=\"x\"&gt;q&lt;/a&gt;", "a &amp; b", "plain"]
    assert escaped["kind"].tolist() == ["&lt;b&gt;", "x", "x"]
    assert escaped["contacts"].tolist() == [1, 2, 3]
    assert frame["queue"].iloc[0] == HTML_LINK  # the frame given is left as it is
    clean = pd.DataFrame({"queue": ["billing"]})
    assert safe.html_labels(clean) is clean


def _strings(figure: go.Figure) -> str:
    """Every string of the figure as Plotly receives it (JSON decoded, so no \\u003c escapes hide a
    tag), one a line."""
    def walk(value):
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for item in value.values():
                yield from walk(item)
        elif isinstance(value, list):
            for item in value:
                yield from walk(item)
    return "\n".join(walk(json.loads(figure.to_json())))


def test_a_queue_label_reaches_the_figure_as_text_not_markup():
    agents = pd.DataFrame({"agent": [HTML_LINK, "agent_2"], "team": ["<b>Team</b>", "Team Day"],
                           "evaluations_per_week": [1.5, 2.0]})
    shown = _strings(charts.qa_coverage(agents, 1, 2))
    assert HTML_LINK not in shown and "<b>Team</b>" not in shown
    assert "&lt;a href=\"x\"&gt;q&lt;/a&gt;" in shown and "&lt;b&gt;Team&lt;/b&gt;" in shown
    uplift = pd.DataFrame({"name": [HTML_LINK], "year": [2026], "start": [date(2026, 10, 5)],
                           "end": [date(2026, 10, 6)], "uplift_pct": [12.0], "contacts_per_day": [40.0],
                           "baseline_per_day": [35.0]})
    shown = _strings(charts.uplift_bars(uplift))
    assert HTML_LINK not in shown and "&lt;a href=\"x\"&gt;q&lt;/a&gt;" in shown


def test_every_chart_builder_escapes_the_data_it_is_given():
    builders = [function for name, function in inspect.getmembers(charts, inspect.isfunction)
                if function.__module__ == charts.__name__ and not name.startswith("_")
                and name != "data_labels"]
    assert len(builders) > 20
    assert [b.__name__ for b in builders if not getattr(b, "escapes_data_labels", False)] == []


# --- CSV and Excel ---------------------------------------------------------------------------------------

HOSTILE_CELLS = ["=1+2", "-5", "+1", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("https://evil.example","x")',
                 "=cmd|' /C calc'!A0", "ok", None]


def _hostile_frame() -> pd.DataFrame:
    return pd.DataFrame({"name": HOSTILE_CELLS, "number": [-5, 1, 2, 3, 4, 5, 6, 7, 8, 9],
                         "ratio": [-0.5] * 10})


def test_neutralise_formulas_prefixes_a_quote_to_text_only():
    out = safe.neutralise_formulas(_hostile_frame())
    assert out["name"].tolist()[:9] == ["'=1+2", "'-5", "'+1", "'@SUM(A1)", "'\tx", "'\rx",
                                        '\'=HYPERLINK("https://evil.example","x")',
                                        "'=cmd|' /C calc'!A0", "ok"]
    assert pd.isna(out["name"].iloc[9])
    assert out["number"].tolist()[0] == -5 and out["number"].dtype == "int64"  # numbers untouched
    assert out["ratio"].iloc[0] == -0.5
    assert safe.neutralise_cell(-5) == -5 and safe.neutralise_cell("=1+2") == "'=1+2"
    assert _hostile_frame()["name"].iloc[0] == "=1+2"  # the frame given is left as it is
    assert safe.neutralise_formulas(pd.DataFrame({"=x": [1]})).columns.tolist() == ["'=x"]


def test_the_download_button_gets_neutralised_csv(monkeypatch):
    import streamlit as st

    from cxdash import ui

    sent = {}
    monkeypatch.setattr(st, "download_button", lambda label, data, **kwargs: sent.update(data=data))
    ui.download_csv(_hostile_frame(), "hostile.csv")
    assert callable(sent["data"])  # made when clicked
    text = sent["data"]().decode("utf-8")
    assert text.startswith("name,number,ratio\r\n'=1+2,-5,-0.5\r\n'-5,1,-0.5\r\n")  # hand-checked
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert [row[0] for row in rows[1:]] == ["'=1+2", "'-5", "'+1", "'@SUM(A1)", "'\tx", "'\rx",
                                            '\'=HYPERLINK("https://evil.example","x")',
                                            "'=cmd|' /C calc'!A0", "ok", ""]
    assert [row[1] for row in rows[1:3]] == ["-5", "1"]
    assert sent["data"]() == safe.csv_bytes(_hostile_frame())
    # a carriage return inside a cell is quoted: the text after it cannot start a row of its own
    assert safe.csv_bytes(pd.DataFrame({"a": ["ok\r=1+2"]})) == b'a\r\n"ok\r=1+2"\r\n'


@pytest.fixture(scope="module")
def october(demo_folder):
    with Store.open(demo_folder) as store:
        yield report.monthly_report(store, date(2026, 10, 1))


def test_the_excel_tables_hold_text_not_formulas(october, monkeypatch):
    monkeypatch.setattr(report, "summary", lambda monthly: ['=HYPERLINK("https://evil.example","x")',
                                                            "-5 contacts", "=1+2"])
    book = openpyxl.load_workbook(io.BytesIO(report.to_excel(october)))
    cells = [row[0] for row in book["summary"].iter_rows(min_row=2)]
    assert [c.value for c in cells] == ['\'=HYPERLINK("https://evil.example","x")', "'-5 contacts", "'=1+2"]
    assert all(c.data_type == "s" for c in cells)  # strings, not formulas ("f")
    kpis = {row[0].value: row for row in book["kpis"].iter_rows(min_row=2)}
    assert isinstance(kpis["contacts"][2].value, int | float)  # numbers stay numbers


def test_the_excel_writer_never_writes_a_formula_or_a_link():
    buffer = io.BytesIO()
    with safe.excel_writer(buffer) as writer:  # even a cell not neutralised first is text
        pd.DataFrame({"cell": ["=1+2", "https://evil.example"]}).to_excel(writer, index=False)
    sheet = openpyxl.load_workbook(io.BytesIO(buffer.getvalue())).active
    assert [(c.value, c.data_type, c.hyperlink) for c in (sheet["A2"], sheet["A3"])] == \
        [("=1+2", "s", None), ("https://evil.example", "s", None)]


def test_the_html_report_escapes_text_from_the_data(october, monkeypatch):
    monkeypatch.setattr(report, "summary", lambda monthly: [f"Queue {LINK} and {HTML_LINK}"])
    html = report.to_html(october, data_label='<img src="https://evil.example/p.png">')
    assert "&lt;a href=&#34;x&#34;&gt;q&lt;/a&gt;" in html and HTML_LINK not in html
    assert '<img src="https://evil.example' not in html


# --- periods ---------------------------------------------------------------------------------------------

def test_a_period_cannot_end_before_it_starts():
    with pytest.raises(ValueError, match="cannot end"):
        Period(date(2026, 10, 31), date(2026, 10, 1))
    assert Period(date(2026, 10, 1), date(2026, 10, 1)).days == 1
