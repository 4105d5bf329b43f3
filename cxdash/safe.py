"""Data values shown as the text they are, and files that open as data.

Queue, team, agent, QA item, special-day and file names come from exports anyone may have typed into.
Shown on a page, a name is text, never markup: `plain` for Streamlit's Markdown (text elements, labels,
tooltips), `code` for a name shown as code (a file path), `html_text` and `html_labels` for Plotly,
which renders `<a href>`, `<b>`, `<br>` in labels, hover text and legends. Written to a file a
spreadsheet opens, a text cell is never a formula: `neutralise_formulas`, used by `csv_bytes` and
`excel_writer`. Nothing here imports Streamlit.
"""

from __future__ import annotations

import html
import re
from typing import Any

import pandas as pd

# --- Streamlit Markdown ---------------------------------------------------------------------------------

# every ASCII punctuation character: CommonMark shows any of them backslash-escaped as itself, which
# also stops Streamlit's own syntax (:red[...], :material/icon:, $math$) and raw HTML
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
# GitHub's autolinks turn text that looks like a web or mail address into a link even when escaped:
# an invisible word joiner after "scheme:", after "www" and after "@" keeps the text as it reads
WORD_JOINER = "\u2060"
_AUTOLINK = re.compile(r"(?<=:)(?=//)|(?<=www)(?=\.)|(?<=@)", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")  # a line break would start a new Markdown block


def _one_line(value: Any) -> str:
    return _CONTROL.sub(" ", "" if value is None else str(value))


def plain(value: Any) -> str:
    """`value` as Markdown that Streamlit shows as exactly its text: for a data value (a name, a file
    name, a message quoting one) in st.markdown, st.caption, st.info/warning/error, labels and help."""
    return _PUNCTUATION.sub(r"\\\1", _AUTOLINK.sub(WORD_JOINER, _one_line(value)))


def plain_join(values, separator: str = ", ") -> str:
    """Data values joined, each shown as its text."""
    return separator.join(plain(value) for value in values)


def code(value: Any) -> str:
    """`value` as an inline code span, whatever backticks it holds (its fence is longer than any run
    of backticks inside): for a file path shown as code."""
    text = _one_line(value)
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    padded = f" {text} " if text.startswith(("`", " ")) or text.endswith(("`", " ")) else text
    return f"{fence}{padded}{fence}"


# --- Plotly ---------------------------------------------------------------------------------------------

def html_text(value: Any) -> str:
    """A data value as Plotly text: `<`, `>` and `&` as HTML entities, which Plotly shows as the
    characters (it renders tags such as <a href>, <b> and <br> in every label)."""
    return html.escape(str(value), quote=False)


def _text_column(series: pd.Series) -> bool:
    return series.dtype == object or isinstance(series.dtype, pd.CategoricalDtype | pd.StringDtype) \
        or pd.api.types.is_string_dtype(series.dtype)


def _map_text(series: pd.Series, function) -> pd.Series:
    """`function` applied to the text cells of a column; other cells (numbers, dates, missing) kept."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(object)
    return series.map(lambda cell: function(cell) if isinstance(cell, str) else cell)


def _with_text_mapped(frame: pd.DataFrame, needs, function) -> pd.DataFrame:
    """A copy of the frame with `function` applied to the text cells of each text column where some
    cell `needs` it; the frame itself when none does."""
    changed = {}
    for position in range(frame.shape[1]):
        series = frame.iloc[:, position]
        if _text_column(series) and any(isinstance(cell, str) and needs(cell) for cell in series):
            changed[position] = _map_text(series, function)
    if not changed:
        return frame
    out = frame.copy()
    for position, series in changed.items():
        out.isetitem(position, series)
    return out


_HTML_SPECIAL = re.compile(r"[<>&]")


def html_labels(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every text cell as Plotly text (`html_text`); numbers and dates untouched."""
    return _with_text_mapped(frame, _HTML_SPECIAL.search, html_text)


# --- files: CSV and Excel -------------------------------------------------------------------------------

# a cell starting with one of these is read as a formula by Excel, LibreOffice or Google Sheets
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# XlsxWriter's options: a text cell is text, never a formula or a link
EXCEL_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False}


def neutralise_cell(value: Any) -> Any:
    """A text cell that a spreadsheet would read as a formula, with a single quote in front (OWASP's
    rule for CSV injection); anything else as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with `neutralise_cell` applied to every text cell and column name; numeric, date and
    boolean columns untouched. The frame given is left as it is."""
    out = _with_text_mapped(frame, lambda cell: cell.startswith(FORMULA_STARTS), neutralise_cell)
    if any(isinstance(name, str) and name.startswith(FORMULA_STARTS) for name in out.columns):
        out = out.set_axis([neutralise_cell(name) for name in out.columns], axis=1)
    return out


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The frame as UTF-8 CSV, without the index, its text cells neutralised: every CSV cxdash writes.
    Rows end in CRLF (RFC 4180), so that a cell holding a carriage return is quoted too: unquoted, the
    text after it would start a row of its own (and could be a formula)."""
    return neutralise_formulas(frame).to_csv(index=False, lineterminator="\r\n").encode("utf-8")


def excel_writer(target) -> pd.ExcelWriter:
    """An XlsxWriter workbook writer that writes text as text (no formulas, no links); write frames
    through `neutralise_formulas` too, so the file stays safe when it is saved as CSV."""
    return pd.ExcelWriter(target, engine="xlsxwriter", engine_kwargs={"options": EXCEL_OPTIONS})
