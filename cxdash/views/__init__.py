"""What each page shows, computed without Streamlit: one module per page of `pages/`, each with one
function that returns a dataclass holding everything the page draws. The page file only renders it;
the tests and `bench/` call the same functions, so neither can miss a query a page runs.

The pattern, for a page of its own:
1. cxdash/views/<page>.py: a frozen dataclass of what the page shows (figures, tables, tiles and
   every text that depends on the data) and a function from the store and the widgets' values to it.
   Options a widget offers that come from the data come from this module too. A drill-down may have
   a function per step; what is made only on a click (a download) is a domain function the page
   hands to the button.
2. pages/<page>.py: draws the widgets, calls the view function with their values and renders what
   it returns with st.* and the helpers of cxdash.ui (`ui.tiles`, `ui.download_csv`).
3. app.py lists the page; tests call the view function directly and run the page with AppTest;
   bench/bench.py times the view function.

Texts are Markdown as the page shows them, names from the data escaped (cxdash.safe.plain). A page
that stops early (nothing matches the filters) gets a view whose later fields are None.

This module holds what several views share: `Tile`, a metric tile as shown, and the KPI tiles of
the Overview and the Monthly report.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from cxdash.kpis import Filters, Overview
from cxdash.metrics import METRICS, format_number
from cxdash.safe import plain, plain_join


@dataclass(frozen=True)
class Tile:
    """One metric tile with every text formatted; cxdash.ui.tiles draws it."""

    label: str
    value: str
    help: str | None = None
    delta: str | None = None
    delta_color: str = "normal"  # Streamlit's words: normal, inverse or off
    delta_arrow: str = "auto"  # "off" for a change that rounds to nothing
    delta_description: str | None = None
    chart: tuple[float, ...] | None = None  # a sparkline under the value
    caption: str | None = None  # Markdown under the tile; a tile with one is drawn in a bordered box


def scope_text(filters: Filters) -> str:
    """What the shared filters select, as Markdown that shows each name as it is."""
    return plain_join(filters.channels + filters.queues + filters.teams) or "all contacts"


# --- the KPI tiles -------------------------------------------------------------------------------------

STATUS_BADGE = {"green": ("On target", "green"), "amber": ("Near target", "orange"),
                "red": ("Off target", "red"), "none": ("No target", "gray")}

# how each unit's change is shown: decimals, and the text around the number
_CHANGE_FORMAT = {"pct": (1, "{} pts"), "usd": (2, "${}"), "seconds": (1, "{} s"), "count": (0, "{}")}


def is_no_change(delta: str) -> bool:
    """A change that rounds to nothing at the precision shown ("±0.0 pts")."""
    return delta.startswith("±")


def delta_text(name: str, change: float, change_pct: float | None, unit: str | None = None) -> str:
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


def kpi_tiles(overview: Overview) -> tuple[Tile, ...]:
    """One tile per KPI: value, change against the previous period with the period's trend, status
    badge and last year's value under it, definition and target on hover."""
    shown = []
    for _, tile in overview.tiles.iterrows():
        name = tile["metric"]
        metric = METRICS[name]
        series = overview.trend.loc[overview.trend["metric"] == name, "value"].dropna().tolist()
        delta = None
        if tile["change"] is not None and not pd.isna(tile["change"]):
            delta = delta_text(name, tile["change"], tile["change_pct"], tile["unit"])
        unchanged = bool(delta) and is_no_change(delta)
        color = "normal" if metric.higher_is_better is not False else "inverse"
        if metric.higher_is_better is None or unchanged:
            color = "off"
        badge, badge_color = STATUS_BADGE[tile["status"]]
        target = f" {plain(tile['target'])}" if tile["status"] != "none" else ""
        shown.append(Tile(
            metric.label, format_number(tile["number_format"], tile["value"]),
            help=f"{plain(tile['definition'])}\n\n{plain(tile['target'].capitalize())}.",
            delta=delta, delta_color=color, delta_arrow="off" if unchanged else "auto",
            delta_description="vs previous period" if delta else None,
            chart=tuple(series) if len(series) > 1 else None,
            caption=f":{badge_color}-badge[{badge}]{target} · "
                    f"last year {format_number(tile['number_format'], tile['last_year'])}"))
    return tuple(shown)
