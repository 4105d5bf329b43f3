"""Cost per contact for a month: by channel and blended, against last month, last year and targets.

Cost per contact follows the registry's definition (metrics.py): operating cost, one-time items
left out, divided by served contacts (answered by an agent, or self-served). Costs booked to
'shared' belong to no channel: they count in the blended figure only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from cxdash.contract import CHANNELS
from cxdash.kpis import add_months, data_span
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


def per_contact(served: pd.DataFrame, booked: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Cost per served contact per month and channel, plus a blended row per month.

    served: month, channel, contacts, served; booked: month, channel, cost_type, amount_usd.
    A month without operating costs has no cost per contact (NaN), not zero.
    """
    operating = booked[booked["cost_type"] != ONE_TIME]
    cost = operating.groupby(["month", "channel"], as_index=False)["amount_usd"].sum() \
        .rename(columns={"amount_usd": "cost_usd"})
    frame = served[["month", "channel", "contacts", "served"]].merge(
        cost, on=["month", "channel"], how="outer")
    frame[["contacts", "served"]] = frame[["contacts", "served"]].fillna(0)
    months = frame.groupby("month", as_index=False).agg(
        contacts=("contacts", "sum"), served=("served", "sum"),
        cost_usd=("cost_usd", lambda costs: costs.sum(min_count=1)))
    months["channel"] = BLENDED
    frame = pd.concat([frame[frame["channel"] != "shared"], months], ignore_index=True)
    frame["cost_per_contact_usd"] = ratio(frame, COST, settings)
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
    assisted_cpc = None if pd.isna(assisted_cost) else \
        ratio({"cost_usd": assisted_cost, "served": assisted["served"].sum()}, COST, settings)
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
    served = store.query("served_by_month_channel", first_month=first, last_month=month)
    booked = store.query("costs_by_month_channel_type", first_month=first, last_month=month)
    for frame in (served, booked):
        frame["month"] = pd.to_datetime(frame["month"]).dt.date
    booked["amount_usd"] = booked["amount_usd"].astype(float)
    # a month the data covers only in part (it starts or ends inside it) carries the share of its
    # operating cost that falls on covered days, as the overview's tile counts it
    span = data_span(store)
    covered = booked["month"].map(lambda m: coverage(m, span))
    operating = booked["cost_type"] != ONE_TIME
    booked.loc[operating, "amount_usd"] *= covered[operating]
    trend = per_contact(served, booked, store.settings)
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
    total = composition["amount_usd"].sum()
    composition["share_pct"] = 100 * composition["amount_usd"] / total if total else float("nan")
    return MonthCosts(
        month=month, by_channel=by_channel.drop(columns="month"), trend=trend,
        composition=composition.sort_values("amount_usd", ascending=False).reset_index(drop=True),
        one_time_usd=float(this_month.loc[this_month["cost_type"] == ONE_TIME, "amount_usd"].sum()),
        deflection=deflection(current, store.settings), has_costs=bool(len(operating)))


def coverage(month: date, span: tuple[date, date] | None) -> float:
    """The share of a month's days inside the data's span (first to last day with contacts)."""
    if span is None:
        return 0.0
    end = add_months(month, 1) - timedelta(days=1)
    first, last = max(month, span[0]), min(end, span[1])
    return max((last - first).days + 1, 0) / end.day


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
