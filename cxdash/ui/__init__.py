"""The Streamlit edge: the cached store, the shared sidebar filters, and the helpers pages draw with.

This is the only part of the cxdash package that imports streamlit; everything it calls runs
without it. What a page shows is computed in cxdash/views (its docstring has the pattern); a page
draws it with st.* and the helpers here: `page_start`, `tiles`, `download_csv` and the drill-down
callbacks.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import traceback
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from cxdash import kpis
from cxdash.access import OPEN, Access, for_browser
from cxdash.ingest import TABLES, prepare, source_files, store_path, store_signature
from cxdash.safe import code, csv_bytes, plain, plain_join
from cxdash.settings import SETTINGS_FILE, data_dir, demo_scale, load_settings
from cxdash.store import Store
from cxdash.ui import signin, streamlit_internals
from cxdash.views import Tile

log = logging.getLogger("cxdash")



def _signature(folder: Path, store_at: Path | None = None) -> str:
    """What decides whether the prepared store is current: every source file's size and time, the
    settings, and the store's own files (deleted or damaged behind the server's back, it is repaired),
    as one digest. A digest, not the stats themselves: it keys the cached stores below, and Streamlit
    hashes a key on every run, item by item (with the listing, a third of a fresh session's run)."""
    stats: list = [store_signature(store_at or _STORE_AT.get(str(folder), store_path(folder)))]
    for spec in TABLES.values():
        for path in source_files(folder, spec):
            stat = path.stat()
            stats.append((str(path), stat.st_size, stat.st_mtime_ns))
    settings = folder / SETTINGS_FILE
    if settings.exists():
        stats.append((str(settings), settings.stat().st_size, settings.stat().st_mtime_ns))
    return hashlib.sha256(repr(stats).encode()).hexdigest()


# the file signature each data folder was last prepared for, by this server process, and where its
# prepared store is (DATA/.cxdash, unless the folder is read-only or $CXDASH_STORE moves it)
_PREPARED: dict[str, str] = {}
_STORE_AT: dict[str, Path] = {}
# what the last preparation of each folder did beyond the usual (a repair, a store kept elsewhere)
_NOTES: dict[str, list[str]] = {}


def store_notes(store: Store) -> list[str]:
    """What preparing this store did beyond the usual, for Data health: a repair, a store moved."""
    return list(dict.fromkeys([*_NOTES.get(str(store.folder), []), *store.report.notes]))


@st.cache_resource(max_entries=2, show_spinner=False)
def _open_store(folder: str, signature: str) -> Store:
    """One store per data folder and state of its files (the signature keys the cache)."""
    return Store.open(Path(folder))


@st.cache_resource(max_entries=8, show_spinner=False)
def _open_scoped_store(folder: str, signature: str, teams: tuple[str, ...]) -> Store:
    """A team lead's store: the same prepared files, holding their teams' rows only."""
    return Store.open(Path(folder), teams=teams)


def store(teams: tuple[str, ...] | None = None) -> Store:
    """The prepared store of the data folder (scoped to `teams` when given: a team lead's); makes the
    demo first when there are no interactions."""
    folder = data_dir()
    # one slot drawn on every run, whether or not it shows progress: an element that appears on one
    # run only shifts every later element, and bound widgets then stop updating the URL
    slot = st.empty()
    if not source_files(folder, TABLES["interactions"]):
        from cxdash.demo import write_demo

        writing = f"No interactions in {code(folder)}: writing the Living Well demo operation…"
        with slot.container(), st.spinner(writing):
            summary = write_demo(folder, scale=demo_scale())
        st.session_state["demo_made"] = (f"The data folder {code(folder)} had no interactions, so cxdash "
                                         f"made the Living Well demo: {summary.interactions:,} "
                                         f"interactions from {summary.start} to {summary.end}. Put "
                                         "your own exports in its interactions/ folder to replace it.")
    signature = _signature(folder)
    if _PREPARED.get(str(folder)) != signature:
        # validate and summarise new or changed files here, with progress, so that the cached
        # open below finds nothing left to do (a cached function may not draw into this page)
        bar = slot.progress(0.0, text="Preparing the data…")
        report = prepare(folder, load_settings(folder), progress=lambda fraction, message: bar.progress(
            min(max(fraction, 0.0), 1.0), text=f"Preparing the data: {message}"))
        slot.empty()
        # what the store holds now that it is prepared: the key of the store opened below
        _STORE_AT[str(folder)] = report.store
        if report.notes:
            _NOTES[str(folder)] = report.notes
        signature = _signature(folder, report.store)
        _PREPARED[str(folder)] = signature
    if teams is not None:
        return _open_scoped_store(str(folder), signature, tuple(sorted(teams)))
    return _open_store(str(folder), signature)


def today(store: Store) -> date:
    return datetime.now(ZoneInfo(store.settings.timezone)).date()


def sidebar_filters(store: Store, applies: bool = True) -> tuple[kpis.Period, kpis.Filters]:
    """The shared filters: date range, channel, queue, team; each kept in the URL. On a page they do
    not apply to, they are shown greyed out (their values kept for the pages they do apply to)."""
    span = kpis.data_span(store)
    default = kpis.default_period(span[1] if span else None, today(store))
    options = kpis.filter_options(store)
    with st.sidebar:
        st.header("Filters")
        low = min(span[0], default.start) if span else default.start
        high = max(span[1], default.end) if span else default.end
        swapped = _link_period_in_order()
        picked = st.date_input("Period", value=(default.start, default.end), min_value=low,
                               max_value=high, key="period", bind="query-params", disabled=not applies,
                               help="Local dates, inclusive, in " + store.settings.timezone +
                                    ". Default: the last full month.")
        note = st.empty()  # drawn on every run, so that later elements keep their place
        channels = st.multiselect("Channel", options.get("channel", []), key="channel",
                                  bind="query-params", placeholder="All channels", disabled=not applies)
        queues = st.multiselect("Queue", options.get("queue", []), key="queue",
                                bind="query-params", placeholder="All queues", disabled=not applies)
        teams = st.multiselect("Team", options.get("team", []), key="team",
                               bind="query-params", placeholder="All teams", disabled=not applies)
        st.caption("The URL keeps these filters: copy it to share this view." if applies else
                   "These filters narrow the Overview and Quality pages; this page covers the whole "
                   "operation.")
    if isinstance(picked, tuple | list) and len(picked) == 2:
        if picked[1] < picked[0]:  # the link could not be put in order: the dates are swapped here
            swapped = swapped or f"{picked[0]} to {picked[1]}"
            picked = (picked[1], picked[0])
        period = kpis.Period(picked[0], picked[1])
        if period == default:
            period = default
    elif isinstance(picked, tuple | list) and len(picked) == 1:
        period = kpis.Period(picked[0], picked[0])
    else:
        period = default
    if swapped:
        note.warning(f"The link's period ends before it starts ({swapped}): its dates are swapped.",
                     icon=":material/swap_horiz:")
    return period, kpis.Filters(tuple(channels), tuple(queues), tuple(teams))


# --- values from the link ---------------------------------------------------------------------------

def rewrite_link(key: str, values: list[str] | None) -> None:
    """Replace (None: drop) a parameter of the link, before the widget bound to it is drawn. A bound
    widget takes its first value from the URL the session opened with, which st.query_params cannot
    change: see cxdash/ui/streamlit_internals.py."""
    streamlit_internals.rewrite_query_param(key, values)


def _link_period_in_order() -> str | None:
    """A period in the link that ends before it starts (?period=2026-10-31&period=2026-10-01) has its
    dates put in order before the date widget reads them. Returns the dates as the link gave them."""
    values = st.query_params.get_all("period")
    if len(values) != 2:
        return None
    try:
        start, end = (date.fromisoformat(value) for value in values)
    except ValueError:
        return None  # Streamlit drops a value it cannot read
    if end >= start:
        return None
    rewrite_link("period", [end.isoformat(), start.isoformat()])
    return f"{start} to {end}"


def link_numbers(limits: dict[str, tuple[str, int, int]]) -> None:
    """Check the link's values for whole-number widgets bound to the URL (key: label, lowest,
    highest) before they are drawn. A value that is not a whole number in range (`?horizon=inf` would
    raise inside Streamlit on every visit of the link) is dropped from the link, so its widget takes
    its default, and a note says so. Draws one slot on every run."""
    wrong = []
    for key, (label, lowest, highest) in limits.items():
        values = st.query_params.get_all(key)
        if not values:
            continue
        try:
            number = float(values[-1])
        except ValueError:
            number = math.nan
        if not (math.isfinite(number) and number.is_integer() and lowest <= number <= highest):
            rewrite_link(key, None)
            wrong.append(f"{label} = {values[-1][:40]} (a whole number from {lowest} to {highest})")
    slot = st.empty()
    if wrong:
        slot.warning("This link's " + plain_join(wrong, "; ") + " cannot be used: the default is used "
                     "instead.", icon=":material/link_off:")


def data_problem_banner(store: Store) -> None:
    """A warning naming the files with unreadable data or rows set aside, linking to Data health."""
    report = store.report
    if store.settings.problems:
        st.warning("Settings: " + plain_join(store.settings.problems, " "))
    if report.clean:
        return
    if store.teams is not None:  # a team lead's: the files and counts are the whole operation's
        st.warning("Some of the operation's data breaks the data contract and is not used; whoever looks "
                   "after cxdash sees which on the Data health page.", icon=":material/warning:")
        return
    troubled = [f for f in report.files if f.unreadable or f.rows_set_aside]
    def trouble(file) -> str:
        if file.unreadable:
            return "unreadable, skipped"
        return f"{file.rows_set_aside:,} row{'s' if file.rows_set_aside != 1 else ''} set aside"

    named = "; ".join(f"{code(f.path)} ({trouble(f)})" for f in troubled[:3])
    more = f"; and {len(troubled) - 3} more files" if len(troubled) > 3 else ""
    st.warning(f"Some data breaks the data contract and is not used: {named}{more}. "
               "Rows set aside are kept, not lost: see them on the Data health page"
               + ("." if access().may_see("data_health") else " (ask whoever looks after cxdash)."),
               icon=":material/warning:")
    with st.expander("Which columns, and how many rows"):
        for line in report.messages():
            st.markdown(f"- {plain(line)}")
    if access().may_see("data_health"):  # a link to a page the role does not have would fail the page
        st.page_link("pages/data_health.py", label="Open Data health", icon=":material/health_and_safety:")


def tiles(shown: Sequence[Tile], columns: int | list[float] | None = None) -> None:
    """Metric tiles (cxdash.views.Tile) in rows: `columns` tiles a row, or one row with these column
    widths; by default one row of them all. No tiles, nothing drawn."""
    if not shown:
        return
    widths = columns if isinstance(columns, list) else None
    per_row = len(widths) if widths else columns or len(shown)
    for first in range(0, len(shown), per_row):
        cells = st.columns(widths or per_row)
        for cell, tile in zip(cells, shown[first:first + per_row], strict=False):
            _tile(cell, tile)


def _tile(cell, tile: Tile) -> None:
    metric = dict(delta=tile.delta, delta_color=tile.delta_color, help=tile.help,
                  delta_arrow=tile.delta_arrow, delta_description=tile.delta_description,
                  chart_data=list(tile.chart) if tile.chart else None)
    if tile.caption is None:
        cell.metric(tile.label, tile.value, border=True, **metric)
        return
    with cell, st.container(border=True):
        st.metric(tile.label, tile.value, **metric)
        st.caption(tile.caption)


def download_csv(frame: pd.DataFrame, file_name: str, label: str = "Download CSV", key: str | None = None,
                 details: dict | None = None):
    """A CSV download of the frame as this person may see it (cxdash.access.for_browser), its text
    cells neutralised (a cell is never a formula); the CSV is made when the button is clicked, not on
    every run of the page, and the download is noted in the audit trail (with the page's own filters,
    `details`, beside the shared ones)."""
    shown = for_browser(frame, access())
    download(st, label, lambda: csv_bytes(shown), file_name, "text/csv", key=key or f"download-{file_name}",
             details=details, icon=":material/download:")


def download(where, label: str, make: Callable[[], bytes | str], file_name: str, mime: str, key: str,
             details: dict | None = None, **button) -> None:
    """A download button in `where` (st, or a container) whose file is made when clicked; each
    download goes in the audit trail with the person, the page, the file and the filters in effect."""
    who = access()
    event = {"page": _page_path(), "target": file_name, "folder": data_dir(),
             "details": {**_filters_now(), **(details or {})}}

    def made():
        data = make()
        signin.record(who, "download", **event)
        return data

    where.download_button(label, made, file_name=file_name, mime=mime, key=key, on_click="ignore", **button)


def _page_path() -> str:
    url = st.context.url or ""
    return url.rstrip("/").rsplit("/", 1)[-1] if "/" in url else ""


def _filters_now() -> dict:
    """The shared filters of this run and the link's other values, for the audit trail."""
    details: dict = {key: st.query_params.get_all(key) for key in st.query_params}
    if "_cxdash_context" in st.session_state:
        _, period, filters = st.session_state["_cxdash_context"][:3]
        details.update(period=[str(period.start), str(period.end)], **filters.params())
    return details


def run_page(page) -> None:
    """Run a page; an unexpected error becomes a message, never a traceback in the browser."""
    try:
        page.run()
    except Exception:  # noqa: BLE001 - the page must stay up whatever went wrong
        show_failure("Something went wrong while drawing this page. The details are in the server log; "
                     "the other pages still work.")


# where show_failure notes the failures of this session (sentence, traceback), newest last: the tests'
# AppTest harness fails a run that has any (a failure shown as a sentence is not an exception)
FAILURES_KEY = "_cxdash_failures"
_FAILURES_KEPT = 20


def failures() -> list[tuple[str, str]]:
    """The failures show_failure noted in this session, oldest first (at most the last 20)."""
    return list(st.session_state.get(FAILURES_KEY, []))


def show_failure(sentence: str) -> None:
    """Call in an `except` block: the error and its traceback go to the server log, the browser gets
    the plain sentence only (an error's own text can hold absolute paths or SQL). With CXDASH_DEBUG
    set, the traceback is shown too. The failure is also noted in the session (FAILURES_KEY)."""
    log.error("%s\n%s", sentence, traceback.format_exc())
    st.session_state[FAILURES_KEY] = [*failures(), (sentence, traceback.format_exc())][-_FAILURES_KEPT:]
    st.error(sentence, icon=":material/error:")
    if os.environ.get("CXDASH_DEBUG"):
        st.code(traceback.format_exc())


def set_context(store: Store, period: kpis.Period, filters: kpis.Filters, who: Access = OPEN) -> None:
    """What the frame decided this run (store, filters, who is signed in), for the page that runs
    next."""
    st.session_state["_cxdash_context"] = (store, period, filters)
    st.session_state["_cxdash_access"] = who


def access() -> Access:
    """Who this session is, as the frame decided this run (open mode until it has)."""
    return st.session_state.get("_cxdash_access", OPEN)


def navigation_only() -> None:
    """Until app.py has called st.navigation once, a fresh server follows Streamlit's older rule for
    a pages/ folder: it wraps app.py in a navigation of its own, or, for a page's URL (a shared
    link), runs that page alone, without the frame. Turn the rule off and run again, at the same
    URL, before anything is drawn (no public API does it: see cxdash/ui/streamlit_internals.py)."""
    streamlit_internals.turn_off_pages_directory()


def context() -> tuple[Store, kpis.Period, kpis.Filters]:
    """The store and the shared filters of this run, as the frame in app.py set them."""
    if "_cxdash_context" not in st.session_state:
        navigation_only()  # a page run alone, as a fresh server does for a shared link
    return st.session_state["_cxdash_context"]


def page_start(store: Store, title: str, empty: str | None = None) -> tuple[date, date] | None:
    """A page's title, notices and data problems. Returns the first and last local day with data;
    given `empty`, a page that needs interactions stops there with it when there are none."""
    st.title(title)
    demo_notice()
    data_problem_banner(store)
    span = kpis.data_span(store)
    if span is None and empty is not None:
        st.info(empty, icon=":material/calendar_month:")
        st.stop()
    return span


def demo_notice() -> None:
    if "demo_made" in st.session_state:
        st.info(st.session_state["demo_made"], icon=":material/science:")


def pick_forecast_run(labels: dict[str, str], needs: str, icon: str) -> str:
    """The picker of a stored interval forecast (run id -> label, newest first) that the Staffing and
    Schedule pages start from, kept in the URL (`?run=`, which may name the run by its id); with none
    in the record, says so (`needs`: what works from it), links to the Forecast page and stops."""
    if not labels:
        st.info(f"{needs} works from an interval forecast, and none is in the record yet: run a 30- or "
                "15-minute forecast on the Forecast page.", icon=icon)
        st.page_link("pages/forecast.py", label="Open the Forecast page", icon=":material/insights:")
        st.stop()
    if st.query_params.get("run") in labels:  # a link may name the run by its id, as the record does
        st.session_state["run"] = st.query_params["run"]
    return st.selectbox("Forecast", list(labels), format_func=labels.get, key="run", bind="query-params",
                        help="An interval forecast from the record (newest first).")


def pick_from_chart(chart_key: str, target: str):
    """An on_select callback: the first selected point's customdata[0] becomes widget `target`'s value."""
    def pick() -> None:
        event = st.session_state.get(chart_key)
        points = event.selection.points if event is not None else []
        for point in points:
            data = point.get("customdata")
            if data:
                st.session_state[target] = str(data[0])
                return
    return pick


def pick_from_table(table_key: str, values: list, target: str):
    """An on_select callback: the selected row's value becomes widget `target`'s value."""
    def pick() -> None:
        event = st.session_state.get(table_key)
        rows = event.selection.rows if event is not None else []
        if rows and rows[0] < len(values):
            st.session_state[target] = str(values[rows[0]])
    return pick


def forget_unless_in(key: str, options: list) -> None:
    """Drop a widget's remembered value that the current options no longer offer."""
    if st.session_state.get(key) is not None and st.session_state[key] not in options:
        st.session_state[key] = None
