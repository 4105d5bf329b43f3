"""Lifetime value, service-experience groups, returns and coaching, by hand on a tiny operation."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pytest
from scipy import stats

from cxdash import lifetime
from cxdash.store import Store
from tests.builders import write_interactions, write_orders


def order(order_id: str, customer: str, when: str, revenue: float, returned: bool = False) -> dict:
    return {"order_id": order_id, "customer_id": customer, "ordered_at": when, "revenue_usd": revenue,
            "returned": returned, "warranty_claim": False}


def contact(interaction_id: str, customer: str | None, when: str, channel: str = "phone",
            queue: str = "billing", **values) -> dict:
    answered = channel != "self_service"
    return {"interaction_id": interaction_id, "customer_id": customer, "arrived_at": when,
            "channel": channel, "queue": queue, "abandoned": False,
            "answered_at": when if answered else None, "talk_seconds": 60.0 if answered else None,
            **values}


# times are 18:00 UTC: 10:00 or 11:00 in Los Angeles, so local months are the dates' months
ORDERS = [
    # A: first bought January 2024; a refund in June; a purchase in month 13 counts in 24 months only
    order("a1", "A", "2024-01-10 18:00", 100.0),
    order("a2", "A", "2024-06-05 18:00", 50.0, returned=True),  # after A's coaching contact
    order("a3", "A", "2024-06-20 18:00", -20.0),  # a refund: value, not a purchase
    order("a4", "A", "2025-02-01 18:00", 30.0),
    # B: one purchase in January 2024, never contacts service
    order("b1", "B", "2024-01-20 18:00", 40.0),
    # C: February 2024 cohort, bought again in March and returned it
    order("c1", "C", "2024-02-03 18:00", 80.0),
    order("c2", "C", "2024-03-01 18:00", 20.0, returned=True),
]
CONTACTS = [
    contact("i1", "A", "2024-03-01 18:00", resolved_first_contact=False, csat_score=2, nps_score=3),
    # a coaching contact: answered by an agent in product_advice; A's last NPS answer is a 9
    contact("i2", "A", "2024-05-01 18:00", channel="chat", queue="product_advice",
            resolved_first_contact=True, csat_score=5, nps_score=9),
    contact("i3", "C", "2024-01-15 18:00", csat_score=1),  # before C's first order: not counted
    contact("i4", "C", "2024-02-10 18:00", channel="email", queue="orders",
            resolved_first_contact=True, csat_score=4),
    # self-service in a coaching queue is not coaching: nobody coached
    contact("i5", "C", "2024-02-20 18:00", channel="self_service", queue="product_advice"),
    contact("i6", "D", "2024-03-01 18:00"),  # D never ordered: no cohort, no group
    contact("i7", None, "2026-01-15 18:00"),  # the data runs to mid-January 2026
]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lifetime")
    write_orders(folder, ORDERS)
    write_interactions(folder, CONTACTS)
    with Store.open(folder) as opened:
        yield opened


def test_each_customer_with_a_purchase_has_12_and_24_month_value_by_hand(store):
    customers = store.cursor().execute("select * from customer_outcomes order by customer_id").df()
    assert list(customers["customer_id"]) == ["A", "B", "C"]  # D has no orders
    rows = customers.set_index("customer_id")
    assert rows.loc["A", "revenue_12m_usd"] == pytest.approx(130.0)  # 100 + 50 - 20
    assert rows.loc["A", "revenue_24m_usd"] == pytest.approx(160.0)  # + 30 in month 13
    assert rows.loc["A", "purchases_12m"] == 2  # the refund is not a purchase
    assert rows.loc["C", "revenue_12m_usd"] == pytest.approx(100.0)
    # experience from the first order on: C's contact before buying does not count
    assert rows.loc["C", "contacts_12m"] == 2 and rows.loc["C", "csat_bad_12m"] == 0
    assert rows.loc["A", "nps_last_12m"] == 9 and rows.loc["A", "fcr_unresolved_12m"] == 1
    assert rows.loc["B", "contacts_12m"] == 0
    # A's product-usage coaching contact, the first and only one
    coached = store.cursor().execute("select customer_id from customer_coaching").fetchall()
    assert coached == [("A",)]


def test_cohort_value_by_hand_and_only_for_cohorts_whose_months_are_over(store):
    value = lifetime.month_value(store, date(2025, 1, 1), complete_through=date(2025, 12, 1))
    cohorts = value.cohorts.set_index("cohort_month")
    january, february = date(2024, 1, 1), date(2024, 2, 1)
    assert cohorts.loc[january, "customers"] == 2
    assert cohorts.loc[january, "ltv_12m_usd"] == pytest.approx((130 + 40) / 2)
    assert cohorts.loc[january, "repeat_rate_12m_pct"] == pytest.approx(50.0)
    assert cohorts.loc[february, "ltv_12m_usd"] == pytest.approx(100.0)
    # as of January 2025 no cohort has had 24 months
    assert cohorts["ltv_24m_usd"].isna().all()
    # the headline: the cohort whose 12 months ended in January 2025 (February 2024) against the
    # one before (January 2024): 100 against 85
    assert value.ltv_12m.cohort == february and value.ltv_12m.value == pytest.approx(100.0)
    assert value.ltv_12m.previous == pytest.approx(85.0)
    assert value.ltv_12m.change_pct == pytest.approx(100 * (100 / 85 - 1))


def test_24_month_value_waits_for_complete_data(store):
    december = lifetime.month_value(store, date(2025, 12, 1), complete_through=date(2025, 12, 1))
    assert december.ltv_24m.cohort == date(2024, 1, 1)
    assert december.ltv_24m.value == pytest.approx((160 + 40) / 2)
    # a later month than the data covers in full reports as of the last complete month
    later = lifetime.month_value(store, date(2026, 1, 1), complete_through=date(2025, 12, 1))
    assert later.ltv_24m.cohort == date(2024, 1, 1)
    assert later.cohorts.set_index("cohort_month").loc[date(2024, 2, 1), "ltv_24m_usd"] != \
        later.cohorts.set_index("cohort_month").loc[date(2024, 2, 1), "ltv_24m_usd"]  # NaN


def test_service_experience_groups_by_hand(store):
    # first years that ended in the 12 months to January 2025: cohorts February 2023 - February 2024
    value = lifetime.month_value(store, date(2025, 1, 1), complete_through=date(2025, 12, 1))
    assert value.experience_cohorts == (date(2023, 3, 1), date(2024, 2, 1))
    rows = value.experience.set_index("comparison")
    contact = rows.loc["contact"]
    assert (contact["customers_a"], contact["customers_b"]) == (2, 1)  # A and C contacted; B did not
    assert contact["ltv_12m_a_usd"] == pytest.approx((130 + 100) / 2)
    assert contact["ltv_12m_b_usd"] == pytest.approx(40.0)
    assert math.isnan(contact["ltv_difference_usd"])  # one customer: no interval, no difference
    assert contact["repeat_difference_pts"] == pytest.approx(100.0)  # both of A, C; not B
    fcr = rows.loc["first_contact_resolution"]
    assert (fcr["customers_a"], fcr["customers_b"]) == (1, 1)  # C always resolved; A once not
    nps = rows.loc["nps"]
    assert (nps["customers_a"], nps["customers_b"]) == (1, 0)  # A's last answer, 9: a promoter
    csat = rows.loc["csat"]
    assert (csat["customers_a"], csat["customers_b"]) == (1, 1)  # C good only; A rated a 2
    assert csat["ltv_12m_a_usd"] == pytest.approx(100.0) and csat["ltv_12m_b_usd"] == pytest.approx(130.0)
    assert rows["small_group"].all()


def test_monthly_return_rates_and_coaching_by_hand(store):
    value = lifetime.month_value(store, date(2024, 12, 1), complete_through=date(2025, 12, 1))
    orders = value.orders.set_index("month")
    assert orders.loc[date(2024, 1, 1), "orders"] == 2 and orders.loc[date(2024, 1, 1), "returned"] == 0
    assert orders.loc[date(2024, 3, 1), "return_rate_pct"] == pytest.approx(100.0)
    june = orders.loc[date(2024, 6, 1)]
    assert june["orders"] == 1 and june["refunds_usd"] == pytest.approx(20.0)  # a refund is no order
    returns = value.coaching.set_index("measure").loc["returns"]
    # after A's coaching contact: A's June order, returned (1 of 1); other orders: a1, b1, c1, c2
    # with c2 returned (1 of 4)
    assert returns["orders_after_coaching"] == 1 and returns["rate_after_coaching_pct"] == pytest.approx(100)
    assert returns["orders_other"] == 4 and returns["rate_other_pct"] == pytest.approx(25)
    assert returns["difference_pct"] == pytest.approx(300.0)  # four times as often
    assert returns["difference_low_pct"] < 0 < returns["difference_high_pct"]  # with 5 orders: unclear


def test_welch_interval_from_group_sums_matches_the_interval_from_raw_values():
    a, b = np.array([1.0, 2.0, 3.0, 10.0]), np.array([4.0, 6.0, 5.5])
    difference, low, high = lifetime.welch_interval(len(a), a.sum(), (a * a).sum(),
                                                    len(b), b.sum(), (b * b).sum())
    expected = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert difference == pytest.approx(a.mean() - b.mean())
    assert (low, high) == pytest.approx((expected.low, expected.high))


def test_rates_and_their_intervals_say_when_a_difference_is_clear():
    # 100 of 1,000 against 200 of 1,000: half as often, an interval well below zero
    ratio, low, high = lifetime.rate_ratio(100, 1000, 200, 1000)
    assert ratio == pytest.approx(-50.0) and high < 0
    points, low, high = lifetime.proportion_difference(100, 1000, 200, 1000)
    assert points == pytest.approx(-10.0) and low < -10 < high < 0
    assert lifetime.rate_ratio(0, 0, 10, 100) is None  # no orders on one side: no figure


def test_a_folder_without_orders_has_no_value_figures(tmp_path):
    write_interactions(tmp_path, [contact("x", "A", "2024-03-01 18:00")])
    with Store.open(tmp_path) as opened:
        value = lifetime.month_value(opened, date(2024, 3, 1), complete_through=date(2024, 3, 1))
    assert not value.has_orders and value.cohorts.empty and value.ltv_12m.value is None
    assert value.orders.empty
    assert math.isnan(value.coaching.set_index("measure").loc["returns", "difference_pct"])


def test_the_demo_plants_fewer_returns_after_coaching_and_the_interval_finds_them(full_demo):
    with Store.open(full_demo) as opened:
        value = lifetime.month_value(opened, date(2026, 10, 1), complete_through=date(2026, 10, 1))
    returns = value.coaching.set_index("measure").loc["returns"]
    # the demo returns 15% fewer orders after coaching (and more after a bad contact)
    assert -25 < returns["difference_pct"] < -5 and returns["difference_high_pct"] < 0
    # and a customer who rated a contact bad stops buying more often: fewer buy again
    csat = value.experience.set_index("comparison").loc["csat"]
    assert csat["repeat_difference_low_pts"] > 0


def test_the_12_months_end_at_local_midnight_not_utc(tmp_path):
    # Los Angeles is UTC-8 in winter: 07:30 UTC on 1 February is still 31 January there
    write_orders(tmp_path, [
        order("z1", "Z", "2024-02-01 07:30", 10.0),  # 23:30 on 31 January, local: a January cohort
        order("z2", "Z", "2025-01-01 07:30", 5.0),  # 23:30 on 31 December 2024: month 12, inside
        order("z3", "Z", "2025-01-01 08:30", 7.0),  # 00:30 on 1 January 2025: month 13, outside
    ])
    write_interactions(tmp_path, [contact("y", "Z", "2025-01-01 07:45")])  # inside the first year
    with Store.open(tmp_path) as opened:
        row = opened.cursor().execute("select * from customer_outcomes").df().iloc[0]
    assert row["cohort_month"].date() == date(2024, 1, 1)
    assert row["revenue_12m_usd"] == pytest.approx(15.0) and row["revenue_24m_usd"] == pytest.approx(22.0)
    assert row["contacts_12m"] == 1
