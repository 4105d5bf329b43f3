"""Cost per contact for a month: by channel and blended, against last month, last year and targets.

Cost per contact follows the registry's definition (metrics.py): operating cost, one-time items
left out, divided by served contacts (answered by an agent, or self-served). Costs booked to
'shared' belong to no channel: they count in the blended figure only.

There is one way to count a month's cost, the overview's: kpis.measures_by_day spreads each month's
operating cost evenly over its days (sql/cost_daily.sql) and keeps the days inside the data's span,
with the served contacts of the days that carry cost. A month is the sum of its days, so the
report's figure for a whole month is the overview tile's for that month, and a month the data covers
only in part carries the cost of its covered days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from cxdash.calendar import add_months, month_end
from cxdash.contract import CHANNELS
from cxdash.kpis import Filters, measures_by_day
from cxdash.metrics import ratio
from cxdash.settings import Settings
from cxdash.store import COST_MODEL, Store

BLENDED = "blended"
ONE_TIME = "one_time"
SELF_SERVICE = "self_service"
COST = "cost_per_contact_usd"


@dataclass(frozen=True)
class MonthCosts:
    """Everything the cost section of the monthly report shows for one month."""

    month: date
    by_channel: pd.DataFrame  # channel (+ blended): cost, served, cost per contact, previous, last year
    trend: pd.DataFrame  # month x channel (+ blended): cost_usd, served, cost_per_contact_usd
    composition: pd.DataFrame  # cost_type: amount_usd, share_pct (operating costs of the month)
    one_time_usd: float  # one-time costs of the month, outside cost per contact
    deflection: dict  # self-service share of contacts and the saving it implies
    has_costs: bool


def monthly_measures(store: Store, first: date, last: date) -> pd.DataFrame:
    """The measures cost per contact divides, per local month and channel plus a blended row, summed
    from the overview's days (measures_by_day): month, channel, contacts, served, cost_usd (NaN where
    no operating cost is booked), served_with_cost and cost_days (the days that carry cost)."""
    pieces = []
    for channel, filters in (*((c, Filters(channels=(c,))) for c in CHANNELS), (BLENDED, Filters())):
        days = measures_by_day(store, first, last, filters)
        if days.empty:
            continue
        days["month"] = [day.replace(day=1) for day in days["day"]]
        months = days.groupby("month", as_index=False).agg(
            contacts=("contacts", "sum"), served=("served", "sum"),
            served_with_cost=("served_with_cost", "sum"),
            cost_usd=("cost_usd", lambda cost: cost.sum(min_count=1)), cost_days=("cost_usd", "count"))
        months["channel"] = channel
        pieces.append(months[(months["contacts"] > 0) | months["cost_usd"].notna()])
    columns = ["month", "channel", "contacts", "served", "served_with_cost", "cost_usd", "cost_days"]
    if not pieces:
        return pd.DataFrame(columns=columns)
    return pd.concat(pieces, ignore_index=True)[columns]


def per_contact(measures: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Cost per served contact per month and channel (and blended), by the registry's definition.
    A month without operating costs has no cost per contact (NaN), not zero."""
    frame = measures.copy()
    frame["cost_per_contact_usd"] = ratio(frame, COST, settings) if len(frame) else pd.Series(dtype=float)
    return frame.sort_values(["month", "channel"]).reset_index(drop=True)


def deflection(month_rows: pd.DataFrame, settings: Settings) -> dict:
    """The self-service share of contacts, and what those contacts would have cost in the assisted
    channels at this month's assisted cost per contact, less what they cost in self-service."""
    rows = month_rows.set_index("channel")
    total = float(rows.loc[rows.index != BLENDED, "contacts"].sum())
    self_served = float(rows["served"].get(SELF_SERVICE, 0.0))
    share = 100 * float(rows["contacts"].get(SELF_SERVICE, 0.0)) / total if total else None
    assisted = rows[~rows.index.isin([BLENDED, SELF_SERVICE])]
    assisted_cost = assisted["cost_usd"].sum(min_count=1)
    # the assisted channels together, as the overview counts a filter of several channels: their
    # served contacts in a month that carries cost
    assisted_cpc = None if pd.isna(assisted_cost) else ratio(
        {"cost_usd": assisted_cost, "served_with_cost": assisted["served"].sum()}, COST, settings)
    self_cpc = rows["cost_per_contact_usd"].get(SELF_SERVICE)
    saving = None
    if assisted_cpc is not None and self_cpc is not None and pd.notna(self_cpc):
        saving = self_served * (assisted_cpc - float(self_cpc))
    return {"self_service_share_pct": share, "self_served": self_served,
            "assisted_cost_per_contact_usd": assisted_cpc,
            "self_service_cost_per_contact_usd": None if self_cpc is None or pd.isna(self_cpc)
            else float(self_cpc), "saving_usd": saving}


def month_costs(store: Store, month: date) -> MonthCosts:
    """Cost per contact of a local month (its first day), with 13 months of trend."""
    month = month.replace(day=1)
    first = add_months(month, -12)
    trend = per_contact(monthly_measures(store, first, month_end(month)), store.settings)
    booked = store.query("costs_by_month_channel_type", first_month=first, last_month=month)
    booked["month"] = pd.to_datetime(booked["month"]).dt.date
    booked["amount_usd"] = booked["amount_usd"].astype(float)
    current = trend[trend["month"] == month]
    previous = trend[trend["month"] == add_months(month, -1)].set_index("channel")
    last_year = trend[trend["month"] == first].set_index("channel")
    order = [c for c in (*CHANNELS, BLENDED) if c in set(current["channel"])]
    by_channel = current.set_index("channel").loc[order].reset_index()
    by_channel["previous_usd"] = by_channel["channel"].map(previous["cost_per_contact_usd"]).astype(float)
    by_channel["last_year_usd"] = by_channel["channel"].map(last_year["cost_per_contact_usd"]).astype(float)
    by_channel["cost_per_contact_usd"] = by_channel["cost_per_contact_usd"].astype(float)
    by_channel["change_vs_previous_pct"] = 100 * (by_channel["cost_per_contact_usd"]
                                                  / by_channel["previous_usd"] - 1)
    by_channel["change_vs_last_year_pct"] = 100 * (by_channel["cost_per_contact_usd"]
                                                   / by_channel["last_year_usd"] - 1)
    by_channel["source"] = store.cost_source  # every figure says where its cost comes from
    this_month = booked[booked["month"] == month]
    operating = this_month[this_month["cost_type"] != ONE_TIME]
    composition = operating.groupby("cost_type", as_index=False)["amount_usd"].sum()
    # the month's operating cost as counted above, split by cost type: the share of its days that
    # carry cost (the days inside the data's span)
    cost_days = current.loc[current["channel"] == BLENDED, "cost_days"].sum()
    composition["amount_usd"] *= cost_days / month_end(month).day
    total = composition["amount_usd"].sum()
    composition["share_pct"] = 100 * composition["amount_usd"] / total if total else float("nan")
    return MonthCosts(
        month=month, by_channel=by_channel.drop(columns="month"), trend=trend,
        composition=composition.sort_values("amount_usd", ascending=False).reset_index(drop=True),
        one_time_usd=float(this_month.loc[this_month["cost_type"] == ONE_TIME, "amount_usd"].sum()),
        deflection=deflection(current, store.settings), has_costs=bool(len(operating)))


def months_between(first: date, last: date) -> list[str]:
    """Every calendar month from first's to last's, as YYYY-MM."""
    months, current = [], first.replace(day=1)
    while current <= last:
        months.append(current.strftime("%Y-%m"))
        current = add_months(current, 1)
    return months


def source_text(store: Store) -> str:
    """Where cost figures come from, in words, with the cost model's rates when it is in use."""
    if store.cost_source != COST_MODEL:
        return ("The costs table (the data folder's costs/ files): operating costs by month, channel "
                "and cost type; one-time costs are reported but left out of cost per contact.")
    model = store.settings.cost_model
    return (f"The cost model, as the data folder has no costs table: labor = handle hours / occupancy "
            f"{model.occupancy:g} x loaded hourly rate ${model.loaded_hourly_rate_usd:,.2f}; telephony = "
            f"minutes on the line (queue wait + handle) of {', '.join(model.telephony_channels)} x "
            f"${model.telephony_per_minute_usd:g} per minute; technology = {model.seats:g} seats x "
            f"${model.seat_licence_month_usd:,.2f} a month (shared) and the self-service platform at "
            f"${model.self_service_month_usd:,.2f} a month. Set the rates under [cost_model] in "
            "cxdash.toml, or add costs/ files to use real costs.")
