"""Cost per contact for a month, by hand: by channel, blended, against last month and last year."""

from __future__ import annotations

import math
from datetime import date

import pytest

from cxdash import costs
from cxdash.kpis import Filters, Period, kpi_values
from cxdash.store import Store
from tests.builders import write_costs, write_interactions


def contact(interaction_id: str, channel: str, when: str, **values) -> dict:
    return {"interaction_id": interaction_id, "channel": channel, "arrived_at": when, **values}


def answered(interaction_id: str, channel: str, when: str) -> dict:
    return contact(interaction_id, channel, when, answered_at=when, abandoned=False, talk_seconds=60.0)


def cost(month: str, channel: str, cost_type: str, amount: float) -> dict:
    return {"month": month, "channel": channel, "cost_type": cost_type, "amount_usd": amount}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("costs")
    write_interactions(folder, [
        # February 2024 (times in UTC; 18:00 is 10:00 in Los Angeles)
        answered("p1", "phone", "2024-02-10 18:00"), answered("p2", "phone", "2024-02-11 18:00"),
        contact("p3", "phone", "2024-02-12 18:00", abandoned=True),  # offered, not served
        answered("c1", "chat", "2024-02-12 19:00"),
        contact("s1", "self_service", "2024-02-13 18:00", abandoned=False),
        contact("s2", "self_service", "2024-02-14 18:00", abandoned=False),
        contact("s3", "self_service", "2024-02-15 18:00", abandoned=True),  # gave up: not served
        contact("e1", "email", "2024-02-29 18:00"),  # not yet answered: not served
        # January 2024: one phone call, after a caller who hung up on New Year's Day, so the data
        # covers all of January
        answered("j1", "phone", "2024-01-20 18:00"),
        contact("j0", "phone", "2024-01-01 18:00", abandoned=True),
    ])
    write_costs(folder, [
        cost("2024-02-01", "phone", "labor", 20.0), cost("2024-02-01", "phone", "telephony", 4.0),
        cost("2024-02-01", "chat", "labor", 6.0), cost("2024-02-01", "self_service", "technology", 3.0),
        cost("2024-02-01", "shared", "facilities", 7.0),
        cost("2024-02-01", "phone", "one_time", 100.0),  # a one-time item: outside cost per contact
        cost("2024-01-01", "phone", "labor", 10.0),
    ])
    with Store.open(folder) as opened:
        yield opened


def test_cost_per_contact_by_channel_and_blended_by_hand(store):
    month = costs.month_costs(store, date(2024, 2, 1))
    rows = month.by_channel.set_index("channel")
    assert list(rows.index) == ["phone", "chat", "email", "self_service", "blended"]
    assert math.isnan(rows.loc["email", "cost_per_contact_usd"])  # no email costs booked
    assert rows.loc["phone", "cost_per_contact_usd"] == pytest.approx(12.0)  # (20 + 4) / 2 served
    assert rows.loc["chat", "cost_per_contact_usd"] == pytest.approx(6.0)
    assert rows.loc["self_service", "cost_per_contact_usd"] == pytest.approx(1.5)  # 3 / 2 served
    # blended: every operating cost, shared included, over every served contact: 40 / 5
    assert rows.loc["blended", "cost_per_contact_usd"] == pytest.approx(8.0)
    assert rows.loc["blended", "served"] == 5 and rows.loc["blended", "contacts"] == 8
    assert month.one_time_usd == 100.0 and month.has_costs


def test_the_blended_figure_equals_the_overview_tile(store):
    month = costs.month_costs(store, date(2024, 2, 1))
    tile = kpi_values(store, Period(date(2024, 2, 1), date(2024, 2, 29)))["cost_per_contact_usd"]
    assert tile == pytest.approx(month.by_channel.set_index("channel").loc["blended", "cost_per_contact_usd"])


def test_changes_against_last_month_and_a_month_without_costs(store):
    rows = costs.month_costs(store, date(2024, 2, 1)).by_channel.set_index("channel")
    assert rows.loc["phone", "previous_usd"] == pytest.approx(10.0)
    assert rows.loc["phone", "change_vs_previous_pct"] == pytest.approx(20.0)
    assert rows.loc["blended", "change_vs_previous_pct"] == pytest.approx(-20.0)  # 10 -> 8
    # chat had no January costs, and nothing happened in February 2023: no figure, not zero
    assert math.isnan(rows.loc["chat", "previous_usd"])
    assert math.isnan(rows.loc["blended", "last_year_usd"])


def test_composition_by_cost_type_leaves_one_time_items_out(store):
    shares = costs.month_costs(store, date(2024, 2, 1)).composition.set_index("cost_type")
    assert shares["amount_usd"].to_dict() == {"labor": 26.0, "facilities": 7.0, "telephony": 4.0,
                                              "technology": 3.0}
    assert shares["share_pct"].to_dict() == pytest.approx(
        {"labor": 65.0, "facilities": 17.5, "telephony": 10.0, "technology": 7.5})


def test_deflection_share_and_the_saving_it_implies(store):
    deflection = costs.month_costs(store, date(2024, 2, 1)).deflection
    assert deflection["self_service_share_pct"] == pytest.approx(100 * 3 / 8)
    # assisted channels: (24 + 6) / 3 served = $10; self-service $1.50; 2 self-served contacts
    assert deflection["assisted_cost_per_contact_usd"] == pytest.approx(10.0)
    assert deflection["saving_usd"] == pytest.approx(2 * (10.0 - 1.5))


def test_a_month_with_no_data_has_no_cost_per_contact(store):
    month = costs.month_costs(store, date(2024, 3, 1))
    assert not month.has_costs and month.by_channel.empty
    assert month.deflection["self_service_share_pct"] is None
    assert len(month.trend[month.trend["channel"] == "blended"]) == 2  # January and February


def test_a_channel_with_contacts_on_few_days_carries_its_whole_months_cost(store):
    # chat: $6 of February costs, one served chat on the 12th; every day of the month counts
    chat = kpi_values(store, Period(date(2024, 2, 1), date(2024, 2, 29)), Filters(channels=("chat",)))
    assert chat["cost_per_contact_usd"] == pytest.approx(6.0)
    # the same figure as the month's table
    rows = costs.month_costs(store, date(2024, 2, 1)).by_channel.set_index("channel")
    assert rows.loc["chat", "cost_per_contact_usd"] == pytest.approx(chat["cost_per_contact_usd"])


def test_a_month_the_data_covers_in_part_carries_the_costs_of_its_covered_days(tmp_path):
    # the data starts on 21 February 2024 (9 of 29 days) and ends on 10 March (10 of 31 days)
    write_interactions(tmp_path, [answered("f", "phone", "2024-02-21 18:00"),
                                  answered("m", "phone", "2024-03-10 18:00")])
    write_costs(tmp_path, [cost("2024-02-01", "phone", "labor", 290.0),
                           cost("2024-03-01", "phone", "labor", 310.0),
                           cost("2024-03-01", "phone", "one_time", 50.0)])
    with Store.open(tmp_path) as store:
        march = costs.month_costs(store, date(2024, 3, 1))
        rows = march.by_channel.set_index("channel")
        assert rows.loc["phone", "cost_per_contact_usd"] == pytest.approx(310 * 10 / 31)
        assert rows.loc["phone", "previous_usd"] == pytest.approx(290 * 9 / 29)
        assert march.one_time_usd == 50.0  # one-time items are reported whole
        tile = kpi_values(store, Period(date(2024, 3, 1), date(2024, 3, 31)))["cost_per_contact_usd"]
        assert tile == pytest.approx(rows.loc["blended", "cost_per_contact_usd"])
