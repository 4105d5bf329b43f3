"""Lifetime value and how service moves it: cohort value, service-experience groups, returns and coaching.

Lifetime value (LTV) here is revenue per customer over the 12 (24) calendar months starting with the
month of their first purchase, refunds netted off, for every customer whose first purchase fell in
that month (the cohort). A cohort's 12-month figure exists once its 12th month is over.

Service-experience groups compare customers, not causes: customers who contact service differ from
those who do not in ways this data cannot see. Each difference carries a 95% confidence interval
(Welch for value, Newcombe for repeat-purchase rates, a log ratio for return rates) so that a small
group or a noisy difference reads as what it is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import pandas as pd
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep

from cxdash.calendar import add_months
from cxdash.store import Store

# comparison: (side a, side b), each described in words a director reads on the page
COMPARISONS: dict[str, tuple[str, str]] = {
    "contact": ("Contacted service", "No contact with service"),
    "first_contact_resolution": ("Every contact resolved at first contact",
                                 "A contact not resolved at first contact"),
    "nps": ("Promoters (last NPS 9-10)", "Detractors (last NPS 0-6)"),
    "csat": ("Rated only good (CSAT 4-5)", "Rated a contact bad (CSAT 1-2)"),
}
MIN_GROUP = 30  # below this a group's interval is shown, but its difference is not read as a finding


@dataclass(frozen=True)
class Change:
    """A cohort figure against the cohort a month earlier."""

    cohort: date | None
    value: float | None
    previous_cohort: date | None
    previous: float | None

    @property
    def change_pct(self) -> float | None:
        if self.value is None or self.previous in (None, 0):
            return None
        return 100 * (self.value / self.previous - 1)


@dataclass(frozen=True)
class MonthValue:
    """Everything the lifetime-value section of the monthly report shows for one month."""

    month: date
    cohorts: pd.DataFrame  # cohort_month, customers, ltv_12m_usd, ltv_24m_usd, repeat_rate_12m_pct,
    # early_history (in the order history's first year: may hold customers who bought before it)
    ltv_12m: Change  # the cohort whose 12 months ended this month, against the one before
    ltv_24m: Change
    experience: pd.DataFrame  # one row per comparison: sizes, value, repeat rates, differences, CIs
    experience_cohorts: tuple[date, date]  # the cohorts compared: first years that ended in 12 months
    orders: pd.DataFrame  # 13 months: orders, return and warranty-claim rates
    coaching: pd.DataFrame  # returns and claims after a coaching contact against other orders
    has_orders: bool


def cohort_value(cohorts: pd.DataFrame, month: date, complete_through: date) -> pd.DataFrame:
    """LTV per cohort as known at the end of `month`: a 12-month (24-month) figure only for
    cohorts whose 12th (24th) month is over by then and lies within complete data."""
    frame = cohorts[cohorts["cohort_month"] <= month].copy()
    known = min(month, complete_through)
    mature_12 = frame["cohort_month"].map(lambda c: add_months(c, 11) <= known)
    mature_24 = frame["cohort_month"].map(lambda c: add_months(c, 23) <= known)
    customers = frame["customers"].astype(float)
    frame["ltv_12m_usd"] = (frame["revenue_12m_usd"] / customers).where(mature_12)
    frame["ltv_24m_usd"] = (frame["revenue_24m_usd"] / customers).where(mature_24)
    frame["repeat_rate_12m_pct"] = (100 * frame["repeat_customers_12m"] / customers).where(mature_12)
    # the order history cannot tell a new customer from one who last bought before it began: in its
    # first year, a "first" purchase is often a regular's, so those cohorts' value reads high
    frame["early_history"] = frame["cohort_month"] < add_months(cohorts["cohort_month"].min(), 12) \
        if len(cohorts) else False
    return frame[["cohort_month", "customers", "ltv_12m_usd", "ltv_24m_usd", "repeat_rate_12m_pct",
                  "early_history"]].reset_index(drop=True)


def _change(frame: pd.DataFrame, column: str, cohort: date) -> Change:
    values = frame.set_index("cohort_month")[column].dropna()

    def get(month: date) -> float | None:
        return float(values[month]) if month in values.index else None

    previous = add_months(cohort, -1)
    return Change(cohort, get(cohort), previous, get(previous))


def welch_interval(n_a: int, sum_a: float, squares_a: float, n_b: int, sum_b: float,
                   squares_b: float, confidence: float = 0.95) -> tuple[float, float, float] | None:
    """Difference of two means (a - b) from group sums, with Welch's t interval; None when either
    group has fewer than two members."""
    if n_a < 2 or n_b < 2:
        return None
    mean_a, mean_b = sum_a / n_a, sum_b / n_b
    var_a = max(squares_a - n_a * mean_a**2, 0.0) / (n_a - 1)
    var_b = max(squares_b - n_b * mean_b**2, 0.0) / (n_b - 1)
    error_a, error_b = var_a / n_a, var_b / n_b
    standard_error = math.sqrt(error_a + error_b)
    difference = mean_a - mean_b
    if standard_error == 0:
        return difference, difference, difference
    freedom = (error_a + error_b) ** 2 / (error_a**2 / (n_a - 1) + error_b**2 / (n_b - 1))
    margin = stats.t.ppf(0.5 + confidence / 2, freedom) * standard_error
    return difference, difference - margin, difference + margin


def proportion_difference(count_a: int, n_a: int, count_b: int,
                          n_b: int) -> tuple[float, float, float] | None:
    """Difference of two rates in percentage points (a - b) with Newcombe's 95% interval."""
    if n_a == 0 or n_b == 0:
        return None
    low, high = confint_proportions_2indep(count_a, n_a, count_b, n_b, method="newcomb", compare="diff")
    return 100 * (count_a / n_a - count_b / n_b), 100 * low, 100 * high


def rate_ratio(count_a: int, n_a: int, count_b: int, n_b: int) -> tuple[float, float, float] | None:
    """How much higher (+) or lower (-) rate a is than rate b, in percent, with a 95% interval
    from the log ratio (adjusted, so a zero count still gives an interval)."""
    if n_a == 0 or n_b == 0 or count_b == 0:
        return None
    low, high = confint_proportions_2indep(count_a, n_a, count_b, n_b, method="log-adjusted",
                                           compare="ratio")
    ratio = (count_a / n_a) / (count_b / n_b)
    return 100 * (ratio - 1), 100 * (low - 1), 100 * (high - 1)


def experience_groups(groups: pd.DataFrame) -> pd.DataFrame:
    """One row per comparison: group sizes, 12-month value and repeat rate of each side, and the
    differences (a - b) with 95% intervals."""
    rows = []
    indexed = groups.set_index(["comparison", "side"])
    for comparison, (label_a, label_b) in COMPARISONS.items():
        def side(name: str, comparison: str = comparison) -> dict:
            if (comparison, name) in indexed.index:
                row = indexed.loc[(comparison, name)]
                return {k: float(row[k]) for k in ("customers", "revenue_usd", "revenue_squared",
                                                   "repeat_customers")}
            return {"customers": 0.0, "revenue_usd": 0.0, "revenue_squared": 0.0,
                    "repeat_customers": 0.0}

        a, b = side("a"), side("b")
        n_a, n_b = int(a["customers"]), int(b["customers"])
        value = welch_interval(n_a, a["revenue_usd"], a["revenue_squared"],
                               n_b, b["revenue_usd"], b["revenue_squared"])
        repeat = proportion_difference(int(a["repeat_customers"]), n_a, int(b["repeat_customers"]), n_b)
        rows.append({
            "comparison": comparison, "group_a": label_a, "group_b": label_b,
            "customers_a": n_a, "customers_b": n_b,
            "ltv_12m_a_usd": a["revenue_usd"] / n_a if n_a else math.nan,
            "ltv_12m_b_usd": b["revenue_usd"] / n_b if n_b else math.nan,
            "ltv_difference_usd": value[0] if value else math.nan,
            "ltv_difference_low_usd": value[1] if value else math.nan,
            "ltv_difference_high_usd": value[2] if value else math.nan,
            "repeat_rate_a_pct": 100 * a["repeat_customers"] / n_a if n_a else math.nan,
            "repeat_rate_b_pct": 100 * b["repeat_customers"] / n_b if n_b else math.nan,
            "repeat_difference_pts": repeat[0] if repeat else math.nan,
            "repeat_difference_low_pts": repeat[1] if repeat else math.nan,
            "repeat_difference_high_pts": repeat[2] if repeat else math.nan,
            "small_group": min(n_a, n_b) < MIN_GROUP,
        })
    return pd.DataFrame(rows)


def order_rates(by_month: pd.DataFrame) -> pd.DataFrame:
    """Orders, returns and warranty claims per month (coaching split summed), with their rates."""
    frame = by_month.groupby("month", as_index=False)[
        ["orders", "returned", "warranty_claims", "revenue_usd", "refunds_usd"]].sum()
    orders = frame["orders"].astype(float).where(frame["orders"] > 0)
    frame["return_rate_pct"] = 100 * frame["returned"] / orders
    frame["warranty_rate_pct"] = 100 * frame["warranty_claims"] / orders
    return frame


def coaching_effect(by_month: pd.DataFrame) -> pd.DataFrame:
    """Return and warranty-claim rates of orders placed after a coaching contact against all other
    orders, over the months given, with how much lower or higher (%) and its 95% interval."""
    sums = by_month.groupby("after_coaching")[["orders", "returned", "warranty_claims"]].sum()

    def get(flag: bool, column: str) -> int:
        return int(sums.loc[flag, column]) if flag in sums.index else 0

    rows = []
    for measure, column in (("returns", "returned"), ("warranty claims", "warranty_claims")):
        coached, other = get(True, "orders"), get(False, "orders")
        ratio = rate_ratio(get(True, column), coached, get(False, column), other)
        rows.append({
            "measure": measure,
            "orders_after_coaching": coached,
            "rate_after_coaching_pct": 100 * get(True, column) / coached if coached else math.nan,
            "orders_other": other,
            "rate_other_pct": 100 * get(False, column) / other if other else math.nan,
            "difference_pct": ratio[0] if ratio else math.nan,
            "difference_low_pct": ratio[1] if ratio else math.nan,
            "difference_high_pct": ratio[2] if ratio else math.nan,
        })
    return pd.DataFrame(rows)


def month_value(store: Store, month: date, complete_through: date) -> MonthValue:
    """Lifetime value, service-experience groups, returns and coaching as of a local month.

    `complete_through` is the last month the data covers in full; later months give no figures.
    """
    month = month.replace(day=1)
    raw = store.query_once("ltv_by_cohort")
    raw["cohort_month"] = pd.to_datetime(raw["cohort_month"]).dt.date
    cohorts = cohort_value(raw, month, complete_through)
    known = min(month, complete_through)
    # the cohorts whose first 12 months ended in the 12 months to this month
    last_cohort, first_cohort = add_months(known, -11), add_months(known, -22)
    groups = store.query_once("value_by_experience", first_cohort=first_cohort, last_cohort=last_cohort)

    by_month = store.query_once("orders_by_month")
    by_month["month"] = pd.to_datetime(by_month["month"]).dt.date
    window = by_month[(by_month["month"] > add_months(month, -12)) & (by_month["month"] <= month)]
    trend = by_month[(by_month["month"] >= add_months(month, -12)) & (by_month["month"] <= month)]
    return MonthValue(
        month=month, cohorts=cohorts,
        ltv_12m=_change(cohorts, "ltv_12m_usd", add_months(known, -11)),
        ltv_24m=_change(cohorts, "ltv_24m_usd", add_months(known, -23)),
        experience=experience_groups(groups), experience_cohorts=(first_cohort, last_cohort),
        orders=order_rates(trend), coaching=coaching_effect(window), has_orders=not raw.empty)


def definitions(settings) -> list[tuple[str, str]]:
    """The lifetime-value measures in words, for the definitions a page lists."""
    queues = ", ".join(settings.coaching_queues)
    return [
        ("Lifetime value (12 / 24 months)",
         "Revenue per customer, refunds (negative revenue) netted off, over the 12 (24) calendar months "
         "from the month of the first purchase, for every customer whose first purchase fell in that "
         "month (the cohort); shown once those months are over."),
        ("Repeat-purchase rate", "Customers of a cohort with two or more purchases in their first 12 "
                                 "months / the cohort's customers."),
        ("Service experience", "What a customer had in their first 12 months, from their first purchase "
                               "on: any contact; every contact with a known outcome resolved at first "
                               "contact or not; their last NPS answer (promoter 9-10, detractor 0-6); "
                               "any CSAT rating of 1-2, or only 4-5."),
        ("Return / warranty-claim rate", "Orders returned (with a warranty claim) / orders, by the "
                                         "order's local month; refunds are not orders."),
        ("Coaching contact", f"A contact answered by an agent in a coaching queue ({queues}); an order "
                             "counts as after coaching when placed after the customer's first one."),
    ]
