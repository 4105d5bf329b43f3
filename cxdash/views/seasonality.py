"""What the Seasonality page shows for a KPI, an alignment, channels and years: the years compared,
the holidays' and special days' uplift, the intraday and weekly shape; and, apart (the first fit of
a view takes a moment, and the page shows a spinner meanwhile), the decomposition."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd
from plotly.graph_objects import Figure

from cxdash import charts, intraday, kpis, seasonality
from cxdash.metrics import METRICS, definition, format_value
from cxdash.store import Store
from cxdash.views import Tile

YEARS_SHOWN = 3  # the years the picker starts with: the latest three


def choices(store: Store, span: tuple[date, date]) -> tuple[list[str], list[str]]:
    """The channels (most contacts first) and the years (as text) the page's pickers offer."""
    channels = kpis.filter_options(store).get("channel", [])
    return channels, [str(year) for year in range(span[0].year, span[1].year + 1)]


@dataclass(frozen=True)
class SeasonalityPage:
    """Everything the Seasonality page shows but the decomposition, tab by tab."""

    years: list[int]  # the years shown: the chosen ones, or every year when none is chosen
    # year over year: no chart when no whole unit falls in the chosen years and channels
    units: pd.DataFrame  # the KPI per year and aligned position, chosen years only
    year_tiles: tuple[Tile, ...]  # each chosen year to the same point; empty when no year holds it all
    years_chart: Figure | None
    definition: str  # the KPI's definition in effect
    change_chart: Figure | None  # the latest year against the one before, when there is a change
    # holidays and special days
    uplift_caption: str
    uplift: pd.DataFrame
    uplift_chart: Figure | None  # None when the chosen years have none
    # the intraday and weekly shape, over the chosen years
    shape_caption: str
    shape_tiles: tuple[Tile, ...]
    heat: pd.DataFrame  # contacts by local weekday and hour
    heatmap: Figure
    hourly: pd.DataFrame  # each channel's share by hour
    hourly_chart: Figure
    weekly: pd.DataFrame  # each channel's weekday index
    weekly_chart: Figure


def seasonality_page(store: Store, name: str, grain: str, channels: Sequence[str] = (),
                     years: Sequence[int] = ()) -> SeasonalityPage:
    """The KPI `name` aligned by `grain` (day, week, month or quarter), over the channels (none: all)
    and years (none: every year the data has). The data must not be empty (kpis.data_span)."""
    settings = store.settings
    span = kpis.data_span(store)
    chosen = list(years) or list(range(span[0].year, span[1].year + 1))
    frame = seasonality.daily(store, kpis.Filters(channels=tuple(channels)))
    units = seasonality.by_unit(frame, name, grain, settings)
    units = units[units["year"].isin(chosen)]
    year_tiles, years_chart, change_chart = (), None, None
    if not units.empty:
        year_tiles = _year_tiles(seasonality.year_to_date(frame, name, grain, settings), name, chosen)
        years_chart = charts.year_overlay(units, METRICS[name].label, grain)
        latest = units[units["year"] == units["year"].max()]
        if latest["change_pct"].notna().any():
            change_chart = charts.year_change_bars(latest)

    uplift = seasonality.uplift(frame, seasonality.calendar_days(settings, span[0], span[1]))
    uplift = uplift[uplift["year"].isin(chosen)]
    where = settings.holiday_country + (f"-{settings.holiday_subdivision}" if settings.holiday_subdivision
                                        else "")
    uplift_caption = (f"Contacts on each holiday ({where}, from the holidays library) and each special day "
                      "of the settings ([calendar] special_days in cxdash.toml) against the baseline of "
                      f"comparable normal days: the same weekday in the {seasonality.BASELINE_WEEKS} weeks "
                      "either side, leaving out every holiday and special day.")

    first, last = max(date(min(chosen), 1, 1), span[0]), min(date(max(chosen), 12, 31), span[1])
    heat = intraday.heatmap(store, first, last, tuple(channels))
    hourly, weekly = intraday.shapes_by_channel(store, first, last)
    return SeasonalityPage(
        years=chosen, units=units, year_tiles=year_tiles, years_chart=years_chart,
        definition=definition(name, settings).text, change_chart=change_chart,
        uplift_caption=uplift_caption, uplift=uplift,
        uplift_chart=None if uplift.empty else charts.uplift_bars(uplift),
        shape_caption=f"Arrivals by local hour in {settings.timezone}, {first:%d %b %Y} to {last:%d %b %Y}. "
                      "Each cell is the average per real clock hour: a day when clocks go back has two 1 "
                      "o'clock hours, a day when they go forward none at 2 o'clock.",
        shape_tiles=_shape_tiles(heat, settings.peak_hours), heat=heat,
        heatmap=charts.hour_weekday_heatmap(heat), hourly=hourly,
        hourly_chart=charts.channel_shapes(hourly), weekly=weekly,
        weekly_chart=charts.channel_weekday_index(weekly))


def _year_tiles(result: pd.DataFrame, name: str, years: list[int]) -> tuple[Tile, ...]:
    """The KPI over the same span of each chosen year, with the change on the year before."""
    better = METRICS[name].higher_is_better
    return tuple(
        Tile(f"{int(row['year'])} to {row['through']}", format_value(name, row["value"]),
             delta=None if pd.isna(row["change_pct"]) else f"{row['change_pct']:+.1f}% on a year earlier",
             delta_color="off" if better is None else "normal" if better else "inverse",
             help="The same aligned span of each year: from its first week (month, quarter) to the last "
                  "whole one the latest year has.")
        for _, row in result[result["year"].isin(years)].iterrows())


def _shape_tiles(heat: pd.DataFrame, peak_hours: tuple[int, int]) -> tuple[Tile, ...]:
    """The peak window's share of the day, and the weekday peak hour against midday."""
    start_hour, end_hour = peak_hours
    share = intraday.share_in_hours(heat, peak_hours)  # the heatmap's own contacts
    peak = seasonality.weekday_peak_over_midday(heat)
    return (
        Tile(f"Share of contacts {start_hour}:00–{end_hour}:00", "–" if share is None else f"{share:.1f}%",
             help="Contacts arriving in the peak window / all contacts, local time (seed: 22%; set "
                  "[calendar] peak_hours in cxdash.toml)."),
        Tile("Weekday peak hour against midday", "–" if peak is None else f"{peak['over_midday_pct']:+.0f}%",
             help="Monday to Friday: contacts per hour in the busiest hour"
                  + ("" if peak is None else f" ({peak['peak_hour']}:00)")
                  + " against 12:00-13:00 (seed: staff the weekday peak 30% above midday)."),
    )


# --- the decomposition --------------------------------------------------------------------------------

@dataclass(frozen=True)
class DecompositionSection:
    """The Decomposition tab: the parts' strengths, the parts drawn, the days they do not explain."""

    parts: seasonality.Decomposition  # components and spikes, for the tables and downloads
    tiles: tuple[Tile, ...]  # the strength of each part
    caption: str
    chart: Figure


def decomposition_section(store: Store, name: str,
                          channels: Sequence[str] = ()) -> DecompositionSection | None:
    """The daily KPI split into trend, weekly and yearly parts, with the days the pattern does not
    explain; None under four weeks of days. Fitted once per store, KPI and channels."""
    parts = seasonality.decomposition(store, name, tuple(channels))
    if parts is None:
        return None
    label = METRICS[name].label
    tiles = []
    parts_named = (("weekly", "Weekly seasonality"), ("yearly", "Yearly seasonality"), ("trend", "Trend"))
    for part, words in parts_named:
        value = parts.strength.get(part)
        tiles.append(Tile(f"{words} strength", "–" if value is None else f"{value:.2f}",
                          help="1 - Var(residual) / Var(part + residual) (Wang, Smith & Hyndman): 0 when "
                               "the part explains nothing beyond noise, near 1 when it dominates. The yearly "
                               "part needs two full years of days."))
    caption = (f"MSTL (statsmodels) of the daily {label}, periods "
               f"{' and '.join(str(p) for p in parts.periods)} days. Spikes: days whose residual is at "
               "least 3.5 robust standard deviations (1.4826 x median absolute deviation) from zero.")
    return DecompositionSection(parts, tuple(tiles), caption,
                                charts.decomposition_chart(parts.components, parts.spikes, label))
