"""The Streamlit edge: the cached store, the shared sidebar filters and widgets pages share.

This is the only module of the package that imports streamlit; everything it calls runs without it.
"""

from __future__ import annotations

import logging
import math
import os
import traceback
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from cxdash import charts, costs, kpis, lifetime, report
from cxdash.ingest import TABLES, prepare, source_files, store_path, store_signature
from cxdash.metrics import METRICS, format_number, format_value, status, target_text
from cxdash.safe import code, csv_bytes, plain, plain_join
from cxdash.settings import SETTINGS_FILE, data_dir, demo_scale, load_settings
from cxdash.store import Store
from cxdash.ui import streamlit_internals

log = logging.getLogger("cxdash")

STATUS_BADGE = {"green": ("On target", "green"), "amber": ("Near target", "orange"),
                "red": ("Off target", "red"), "none": ("No target", "gray")}


def _signature(folder: Path, store_at: Path | None = None) -> tuple:
    """What decides whether the prepared store is current: every source file's size and time, the
    settings, and the store's own files (deleted or damaged behind the server's back, it is repaired)."""
    stats: list = [store_signature(store_at or _STORE_AT.get(str(folder), store_path(folder)))]
    for spec in TABLES.values():
        for path in source_files(folder, spec):
            stat = path.stat()
            stats.append((str(path), stat.st_size, stat.st_mtime_ns))
    settings = folder / SETTINGS_FILE
    if settings.exists():
        stats.append((str(settings), settings.stat().st_size, settings.stat().st_mtime_ns))
    return tuple(stats)


# the file signature each data folder was last prepared for, by this server process, and where its
# prepared store is (DATA/.cxdash, unless the folder is read-only or $CXDASH_STORE moves it)
_PREPARED: dict[str, tuple] = {}
_STORE_AT: dict[str, Path] = {}
# what the last preparation of each folder did beyond the usual (a repair, a store kept elsewhere)
_NOTES: dict[str, list[str]] = {}


def store_notes(store: Store) -> list[str]:
    """What preparing this store did beyond the usual, for Data health: a repair, a store moved."""
    return list(dict.fromkeys([*_NOTES.get(str(store.folder), []), *store.report.notes]))


@st.cache_resource(max_entries=2, show_spinner=False)
def _open_store(folder: str, signature: tuple) -> Store:
    """One store per data folder and state of its files (the signature keys the cache)."""
    return Store.open(Path(folder))


def store() -> Store:
    """The prepared store of the data folder; makes the demo first when there are no interactions."""
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


def scope_text(filters: kpis.Filters) -> str:
    """What the shared filters select, as Markdown that shows each name as it is."""
    return plain_join(filters.channels + filters.queues + filters.teams) or "all contacts"


def data_problem_banner(store: Store) -> None:
    """A warning naming the files with unreadable data or rows set aside, linking to Data health."""
    report = store.report
    if store.settings.problems:
        st.warning("Settings: " + plain_join(store.settings.problems, " "))
    if report.clean:
        return
    troubled = [f for f in report.files if f.unreadable or f.rows_set_aside]
    def trouble(file) -> str:
        if file.unreadable:
            return "unreadable, skipped"
        return f"{file.rows_set_aside:,} row{'s' if file.rows_set_aside != 1 else ''} set aside"

    named = "; ".join(f"{code(f.path)} ({trouble(f)})" for f in troubled[:3])
    more = f"; and {len(troubled) - 3} more files" if len(troubled) > 3 else ""
    st.warning(f"Some data breaks the data contract and is not used: {named}{more}. "
               "Rows set aside are kept, not lost: see them on the Data health page.",
               icon=":material/warning:")
    with st.expander("Which columns, and how many rows"):
        for line in report.messages():
            st.markdown(f"- {plain(line)}")
    st.page_link("pages/data_health.py", label="Open Data health", icon=":material/health_and_safety:")


def kpi_tiles(overview: kpis.Overview, columns: int = 4) -> None:
    """One tile per KPI: value, change against the previous period, status, definition on hover."""
    tiles = overview.tiles
    trend = overview.trend
    rows = [tiles.iloc[i:i + columns] for i in range(0, len(tiles), columns)]
    for row in rows:
        cells = st.columns(columns)
        for cell, (_, tile) in zip(cells, row.iterrows(), strict=False):
            name = tile["metric"]
            metric = METRICS[name]
            with cell:
                series = trend.loc[trend["metric"] == name, "value"].dropna().tolist()
                delta = None
                if tile["change"] is not None and not pd.isna(tile["change"]):
                    delta = _delta_text(name, tile["change"], tile["change_pct"], tile["unit"])
                unchanged = bool(delta) and _is_no_change(delta)
                color = "normal" if metric.higher_is_better is not False else "inverse"
                if metric.higher_is_better is None or unchanged:
                    color = "off"
                text, badge_color = STATUS_BADGE[tile["status"]]
                with st.container(border=True):
                    st.metric(
                        metric.label, format_number(tile["number_format"], tile["value"]), delta=delta,
                        delta_color=color, delta_arrow="off" if unchanged else "auto",
                        help=f"{plain(tile['definition'])}\n\n{plain(tile['target'].capitalize())}.",
                        chart_data=series if len(series) > 1 else None,
                        delta_description="vs previous period" if delta else None,
                    )
                    target = f" {plain(tile['target'])}" if tile["status"] != "none" else ""
                    st.caption(f":{badge_color}-badge[{text}]{target} · "
                               f"last year {format_number(tile['number_format'], tile['last_year'])}")


# how each unit's change is shown: decimals, and the text around the number
_CHANGE_FORMAT = {"pct": (1, "{} pts"), "usd": (2, "${}"), "seconds": (1, "{} s"), "count": (0, "{}")}


def _is_no_change(delta: str) -> bool:
    """A change that rounds to nothing at the precision shown ("±0.0 pts")."""
    return delta.startswith("±")


def _delta_text(name: str, change: float, change_pct: float | None, unit: str | None = None) -> str:
    """The change as a tile shows it, in the unit of the definition in force (a CSAT mean is a score,
    the metric's own unit without one); its first character is the sign Streamlit reads (ASCII)."""
    unit = unit or METRICS[name].unit
    decimals, pattern = _CHANGE_FORMAT.get(unit, (2, "{}"))
    rounded = round(change, decimals)
    sign = "±" if rounded == 0 else "+" if rounded > 0 else "-"
    text = sign + pattern.format(f"{abs(rounded):,.{decimals}f}")
    if sign != "±" and change_pct is not None and not pd.isna(change_pct) \
            and unit in ("count", "usd", "seconds"):
        text += f" ({change_pct:+.1f}%)"
    return text


def download_csv(frame: pd.DataFrame, file_name: str, label: str = "Download CSV", key: str | None = None):
    """A CSV download of the frame, its text cells neutralised (a cell is never a formula)."""
    st.download_button(label, csv_bytes(frame), file_name=file_name,
                       mime="text/csv", key=key or f"download-{file_name}", on_click="ignore",
                       icon=":material/download:")


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


def set_context(store: Store, period: kpis.Period, filters: kpis.Filters) -> None:
    """What the frame decided this run (store and filters), for the page that runs next."""
    st.session_state["_cxdash_context"] = (store, period, filters)


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


def page_start(store: Store, title: str, empty: str) -> tuple[date, date]:
    """A page's title, notices and data problems; stops with `empty` when there are no interactions.
    Returns the first and last local day with data."""
    st.title(title)
    demo_notice()
    data_problem_banner(store)
    span = kpis.data_span(store)
    if span is None:
        st.info(empty, icon=":material/calendar_month:")
        st.stop()
    return span


def demo_notice() -> None:
    if "demo_made" in st.session_state:
        st.info(st.session_state["demo_made"], icon=":material/science:")


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


# --- the monthly report ----------------------------------------------------------------------------

def report_downloads(monthly: report.MonthlyReport, data_label: str) -> None:
    """The report as one HTML file and its tables as a workbook, made only when clicked."""
    row = st.container(horizontal=True)
    stem = f"cxdash_monthly_report_{monthly.month:%Y-%m}"
    row.download_button("Download the report (HTML)", lambda: report.to_html(monthly, data_label),
                         file_name=f"{stem}.html", mime="text/html", on_click="ignore",
                         icon=":material/summarize:", key="download-report", type="primary",
                         help="One file that works offline: summary, KPIs against targets, cost per "
                              "contact, lifetime value and returns, with interactive charts.")
    row.download_button("Download the tables (Excel)", lambda: report.to_excel(monthly),
                          file_name=f"{stem}.xlsx", on_click="ignore", icon=":material/table:",
                          mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                          key="download-report-tables", help="Every table of the report, a sheet each.")


def cost_source_caption(monthly: report.MonthlyReport) -> None:
    st.caption(f"{monthly.label}. " + METRICS["cost_per_contact_usd"].summary + " Costs booked to "
               "'shared' count in the blended figure only. Source: " + plain(monthly.cost_source_text))


def cost_tiles(month_costs: costs.MonthCosts, settings) -> None:
    """Blended cost per contact against its target, self-service share and saving, one-time costs."""
    blended = month_costs.by_channel.set_index("channel").loc[costs.BLENDED]
    target = settings.targets.get("cost_per_contact_usd")
    cells = st.columns(4)
    cells[0].metric("Blended cost per contact", format_value("cost_per_contact_usd",
                                                             blended["cost_per_contact_usd"]),
                    delta=None if pd.isna(blended["previous_usd"]) else
                    f"{blended['change_vs_previous_pct']:+.1f}% vs last month", delta_color="inverse",
                    border=True, help=target_text("cost_per_contact_usd", target).capitalize()
                    + " (seed: $6-8 blended for an efficient operation). Status: "
                    + status("cost_per_contact_usd", blended["cost_per_contact_usd"], target) + ".")
    share = month_costs.deflection["self_service_share_pct"]
    cells[1].metric("Self-service share of contacts", "–" if share is None else f"{share:.1f}%",
                    border=True, help="Self-service contacts / all contacts. Benchmark: 40-55%.")
    saving = month_costs.deflection["saving_usd"]
    cells[2].metric("Saving from self-service", "–" if saving is None else f"${saving:,.0f}",
                    border=True, help="Self-served contacts x (assisted channels' cost per contact "
                                      "- self-service cost per contact), this month.")
    cells[3].metric("One-time costs", f"${month_costs.one_time_usd:,.0f}", border=True,
                    help="Booked as one_time: reported, but outside cost per contact.")


def cost_table(by_channel: pd.DataFrame) -> None:
    st.dataframe(by_channel, hide_index=True, column_config={
        "cost_usd": st.column_config.NumberColumn("cost", format="$%.0f"),
        "cost_per_contact_usd": st.column_config.NumberColumn("cost per contact", format="$%.2f"),
        "previous_usd": st.column_config.NumberColumn("last month", format="$%.2f"),
        "last_year_usd": st.column_config.NumberColumn("a year earlier", format="$%.2f"),
        "change_vs_previous_pct": st.column_config.NumberColumn("vs last month", format="%+.1f%%"),
        "change_vs_last_year_pct": st.column_config.NumberColumn("vs a year earlier", format="%+.1f%%")})


def value_tiles(value: lifetime.MonthValue) -> None:
    """12- and 24-month value of the cohorts that completed them this month, against the month before."""
    cells = st.columns(2)
    for cell, months, change in ((cells[0], 12, value.ltv_12m), (cells[1], 24, value.ltv_24m)):
        if change.value is None:
            cell.metric(f"{months}-month value per customer", "–", border=True,
                        help=f"No first-order cohort has completed {months} months within the data.")
            continue
        cell.metric(f"{months}-month value per customer", f"${change.value:,.2f}", border=True,
                    delta=None if change.change_pct is None else
                    f"{change.change_pct:+.1f}% vs the {change.previous_cohort:%b %Y} cohort",
                    help=f"Revenue (refunds netted off) per customer over the {months} calendar months "
                         f"from their first purchase, for customers who first bought in "
                         f"{change.cohort:%B %Y}: the latest cohort to complete {months} months.")


def experience_table(experience: pd.DataFrame) -> None:
    st.dataframe(report.experience_display(experience), hide_index=True)


def coaching_table(coaching: pd.DataFrame) -> None:
    st.dataframe(report.coaching_display(coaching), hide_index=True)


# --- seasonality ------------------------------------------------------------------------------------

def year_to_date_tiles(result: pd.DataFrame, name: str, years: list[int]) -> None:
    """The KPI over the same span of each chosen year, with the change on the year before."""
    shown = result[result["year"].isin(years)]
    if shown.empty:
        st.caption("No year holds the whole span to compare.")
        return
    cells = st.columns(len(shown))
    for cell, (_, row) in zip(cells, shown.iterrows(), strict=True):
        cell.metric(f"{int(row['year'])} to {row['through']}", format_value(name, row["value"]), border=True,
                    delta=None if pd.isna(row["change_pct"]) else
                    f"{row['change_pct']:+.1f}% on a year earlier",
                    delta_color="off" if METRICS[name].higher_is_better is None else
                    "normal" if METRICS[name].higher_is_better else "inverse",
                    help="The same aligned span of each year: from its first week (month, quarter) to "
                         "the last whole one the latest year has.")


def uplift_table(uplift: pd.DataFrame) -> None:
    st.dataframe(uplift, hide_index=True, column_config={
        "contacts_per_day": st.column_config.NumberColumn("contacts a day", format="%.0f"),
        "baseline_per_day": st.column_config.NumberColumn("normal days", format="%.0f"),
        "uplift_pct": st.column_config.NumberColumn("uplift", format="%+.0f%%"),
        "last_year_uplift_pct": st.column_config.NumberColumn("a year earlier", format="%+.0f%%")})


def decomposition_section(parts, name: str) -> None:
    """Strength of each part, the parts drawn, and the spikes the pattern does not explain."""
    cells = st.columns(3)
    for cell, part, words in ((cells[0], "weekly", "Weekly seasonality"),
                              (cells[1], "yearly", "Yearly seasonality"), (cells[2], "trend", "Trend")):
        value = parts.strength.get(part)
        cell.metric(f"{words} strength", "–" if value is None else f"{value:.2f}", border=True,
                    help="1 - Var(residual) / Var(part + residual) (Wang, Smith & Hyndman): 0 when the "
                         "part explains nothing beyond noise, near 1 when it dominates. The yearly part "
                         "needs two full years of days.")
    st.caption(f"MSTL (statsmodels) of the daily {METRICS[name].label}, periods "
               f"{' and '.join(str(p) for p in parts.periods)} days. Spikes: days whose residual is at "
               "least 3.5 robust standard deviations (1.4826 x median absolute deviation) from zero.")
    st.plotly_chart(charts.decomposition_chart(parts.components, parts.spikes, METRICS[name].label),
                    key="season-decomposition")
    download_csv(parts.components, f"{name}_decomposition.csv", "Download the parts (CSV)",
                 key="download-season-parts")
    st.subheader("Days the pattern does not explain")
    if parts.spikes.empty:
        st.caption("None: every day is within the pattern's ordinary spread.")
    else:
        st.dataframe(parts.spikes, hide_index=True, column_config={
            "observed": st.column_config.NumberColumn(format="%.1f"),
            "expected": st.column_config.NumberColumn(format="%.1f"),
            "residual": st.column_config.NumberColumn(format="%+.1f"),
            "robust_z": st.column_config.NumberColumn("robust z", format="%+.1f"),
            "calendar": "holiday or special day"})
        download_csv(parts.spikes, f"{name}_spikes.csv", "Download the spikes (CSV)",
                     key="download-season-spikes")


def intraday_section(store: Store, first: date, last: date, channels: tuple[str, ...]) -> None:
    """The hour x weekday heatmap, the peak window's share of the day, and each channel's shape."""
    from cxdash import intraday, seasonality

    settings = store.settings
    start_hour, end_hour = settings.peak_hours
    heat = intraday.heatmap(store, first, last, channels)
    share = intraday.share_in_hours(heat, settings.peak_hours)  # the heatmap's own contacts
    peak = seasonality.weekday_peak_over_midday(heat)
    st.caption(f"Arrivals by local hour in {settings.timezone}, {first:%d %b %Y} to {last:%d %b %Y}. "
               "Each cell is the average per real clock hour: a day when clocks go back has two 1 "
               "o'clock hours, a day when they go forward none at 2 o'clock.")
    cells = st.columns(2)
    cells[0].metric(f"Share of contacts {start_hour}:00–{end_hour}:00", "–" if share is None else
                    f"{share:.1f}%", border=True, help="Contacts arriving in the peak window / all "
                    "contacts, local time (seed: 22%; set [calendar] peak_hours in cxdash.toml).")
    cells[1].metric("Weekday peak hour against midday", "–" if peak is None else
                    f"{peak['over_midday_pct']:+.0f}%", border=True,
                    help="Monday to Friday: contacts per hour in the busiest hour"
                         + ("" if peak is None else f" ({peak['peak_hour']}:00)")
                         + " against 12:00-13:00 (seed: staff the weekday peak 30% above midday).")
    st.plotly_chart(charts.hour_weekday_heatmap(heat), key="season-heatmap")
    download_csv(heat, "contacts_by_weekday_and_hour.csv", key="download-season-heatmap")
    hourly, weekly = intraday.shapes_by_channel(store, first, last)
    st.subheader("How the shape differs by channel")
    left, right = st.columns(2)
    left.plotly_chart(charts.channel_shapes(hourly), key="season-channel-shapes")
    right.plotly_chart(charts.channel_weekday_index(weekly), key="season-channel-weekdays")
    with left:
        download_csv(hourly, "channel_share_by_hour.csv", "Download by hour (CSV)",
                     key="download-season-shape-hour")
    with right:
        download_csv(weekly, "channel_index_by_weekday.csv", "Download by weekday (CSV)",
                     key="download-season-shape-weekday")
