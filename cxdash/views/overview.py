"""What the Overview page shows: KPI tiles against targets, and contacts by channel, for a period and
the shared filters."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from plotly.graph_objects import Figure

from cxdash import charts, kpis
from cxdash.store import COST_MODEL, Store
from cxdash.views import Tile, kpi_tiles, scope_text

# the columns of the tiles' table the page shows under the chart (the download has every column)
TABLE_COLUMNS = ["label", "value", "previous", "last_year", "change_pct", "status", "target", "definition"]


@dataclass(frozen=True)
class OverviewPage:
    """Everything the Overview page shows for a period and the shared filters."""

    summary: kpis.Overview  # every KPI of the period against the previous period and last year
    caption: str  # the period, the filters and what it is compared with
    has_contacts: bool
    # None when no contact matches: the page says so and stops
    tiles: tuple[Tile, ...] | None = None
    notes: tuple[str, ...] = ()  # what the cost-per-contact tile can and cannot show here
    by_channel: pd.DataFrame | None = None  # day, channel, contacts
    by_channel_chart: Figure | None = None
    share_chart: Figure | None = None
    table: pd.DataFrame | None = None  # the figures behind the tiles


def overview_page(store: Store, period: kpis.Period, filters: kpis.Filters) -> OverviewPage:
    """The page for a period and filters, computed once per store: a store's data never changes, and
    the next visitor of the same view (the default view, most often) sees it at once."""
    return store.remember(("overview page", period, filters), lambda: _overview_page(store, period, filters))


def _overview_page(store: Store, period: kpis.Period, filters: kpis.Filters) -> OverviewPage:
    summary = kpis.overview(store, period, filters)
    caption = (f"**{summary.period}** ({scope_text(filters)}) · compared with {summary.previous} and, a "
               f"year earlier, {summary.last_year} · times in {store.settings.timezone}")
    contacts = summary.tiles.loc[summary.tiles["metric"] == "contacts", "value"].iloc[0]
    if contacts == 0:
        return OverviewPage(summary, caption, has_contacts=False)
    notes = []
    if filters.splits_costs:
        notes.append("Cost per contact needs no queue or team filter: costs are booked by channel.")
    if store.cost_source == COST_MODEL:
        notes.append("Cost per contact comes from the cost model in the settings: the data folder has no "
                     "costs table. The Monthly report says how it is computed.")
    by_channel = kpis.contacts_by_channel(store, period, filters)
    return OverviewPage(summary, caption, has_contacts=True, tiles=kpi_tiles(summary), notes=tuple(notes),
                        by_channel=by_channel, by_channel_chart=charts.contacts_by_channel(by_channel),
                        share_chart=charts.channel_share(by_channel), table=summary.tiles[TABLE_COLUMNS])
