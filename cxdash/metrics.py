"""The KPI registry: every metric defined once, as a ratio of the daily measures, with its variants.

The per-contact rules (what is live, a short abandon, a good rating) live in sql/rollup_daily.sql;
here each KPI says which measures it divides, how it is shown, which way is good and its target.
Pages and the command line refer to metrics by name only. The registry itself needs neither pandas nor
numpy: the command line computes its figures from plain rows, the pages from DataFrames.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cxdash.settings import Settings, Target

if TYPE_CHECKING:
    import pandas as pd

Text = str | Callable[[Settings], str]


@dataclass(frozen=True)
class Variant:
    """Another definition of a metric, chosen by a setting: what it divides, and, where it differs
    from the metric's own, its unit, number format and the [targets] key its target is read from."""

    numerator: tuple[tuple[str, int], ...]  # (measure, sign)
    denominator: tuple[str, ...]
    scale: float = 1
    text: Text = ""
    unit: str | None = None
    number_format: str | None = None
    target: str | None = None


@dataclass(frozen=True)
class Metric:
    """One KPI, defined once: the daily measures it divides (numerator / denominator x scale), how it
    is shown (label, unit, number format), which way is good, and its variants.

    numerator: (measure, sign) pairs summed; denominator: measures summed (empty: the numerator is the
    figure); the measures are columns of the daily rollup (sql/rollup_daily.sql), plus cost_usd and
    served_with_cost, which kpis.measures_by_day joins from the costs (sql/cost_daily.sql).
    setting: the Settings field whose value picks a variant (the metric's own definition otherwise).
    """

    name: str
    label: str
    unit: str  # count, pct, seconds, score, usd
    number_format: str
    higher_is_better: bool | None  # None: a band (AHT) or no direction (contacts)
    summary: str
    numerator: tuple[tuple[str, int], ...] = ()
    denominator: tuple[str, ...] = ()
    scale: float = 1
    text: Text = ""  # the definition in words for a hover; the summary when empty
    setting: str | None = None
    variants: Mapping[str, Variant] = field(default_factory=dict)
    overview: bool = False  # a tile of the executive overview (in registry order)
    by_channel_only: bool = False  # its basis is booked per channel: a queue or team filter has none

    def choice(self, settings: Settings | None) -> Variant:
        """The definition in force under the settings (the metric's own without settings)."""
        if self.setting is not None and settings is not None:
            variant = self.variants.get(getattr(settings, self.setting))
            if variant is not None:
                return variant
        return Variant(self.numerator, self.denominator, self.scale, self.text)


@dataclass(frozen=True)
class Definition:
    """The active definition of a metric under the current settings."""

    numerator: tuple[tuple[str, int], ...]  # (measure, sign)
    denominator: tuple[str, ...]
    scale: float
    text: str
    unit: str = ""
    number_format: str = ""
    target: str = ""  # the key of settings.targets its target is read from
    higher_is_better: bool | None = None


def _live(settings: Settings) -> str:
    return ", ".join(settings.live_channels)


def _threshold(settings: Settings) -> str:
    return f"{settings.service_level_seconds:g} s"


def _short(settings: Settings) -> str:
    return (f"Abandons within {settings.short_abandon_seconds:g} s (short abandons) are left out "
            "of both counts." if settings.short_abandon_seconds > 0 else
            "Every abandon counts (short-abandon exclusion is off).")


def _first_response_text(settings: Settings) -> str:
    targets = ", ".join(f"{channel} {seconds / 3600:g} h" for channel, seconds
                        in sorted(settings.first_response_seconds.items())
                        if channel in settings.async_channels)
    return (f"First response in target: contacts of {', '.join(settings.async_channels)} "
            f"first answered within the channel's target ({targets}), calendar time, "
            "/ all those contacts; unanswered ones count as missed.")


def _tier_share(tier: int, label: str, higher_is_better: bool | None, summary: str) -> Metric:
    return Metric(f"tier{tier}_share_pct", label, "pct", "{:.1f}%", higher_is_better, summary,
                  ((f"tier_{tier}", 1),), ("tier_1", "tier_2", "tier_3"), 100,
                  summary + " The seed escalation matrix: tier 1 resolves 85%, tier 2 handles "
                  "10-13%, tier 3 2-5%.")


METRICS: dict[str, Metric] = {m.name: m for m in (
    Metric("contacts", "Contacts", "count", "{:,.0f}", None,
           "Every customer contact that arrived, in all channels, self-service included.",
           (("contacts", 1),), overview=True),
    Metric("csat_pct", "CSAT", "pct", "{:.1f}%", True,
           "Customer satisfaction from post-contact surveys.",
           (("csat_good", 1),), ("csat_rated",), 100,
           "CSAT (top-2-box): ratings of 4 or 5 on the 1-5 scale / all ratings. "
           "Read it beside the survey response rate.",
           setting="csat_method", overview=True, variants={
               "good_bad": Variant((("csat_good", 1),), ("csat_good", "csat_bad"), 100,
                                   "CSAT (good / (good + bad)): ratings of 4-5 divided by ratings "
                                   "of 4-5 plus 1-2; neutral 3s are left out, as Zendesk counts."),
               "mean": Variant((("csat_score_sum", 1),), ("csat_rated",), 1,
                               "CSAT (mean score): the average rating on the 1-5 scale; "
                               "shown as a score, not a percentage.",
                               unit="score", number_format="{:.2f} / 5", target="csat_mean"),
           }),
    Metric("response_rate_pct", "Survey response rate", "pct", "{:.1f}%", True,
           "Share of served contacts that left a CSAT rating.",
           (("csat_rated", 1),), ("served",), 100, overview=True),
    Metric("nps", "NPS", "score", "{:+.0f}", True,
           "Net Promoter Score: % promoters (9-10) minus % detractors (0-6), -100 to 100.",
           (("nps_promoters", 1), ("nps_detractors", -1)), ("nps_responses",), 100, overview=True),
    Metric("ces", "CES", "score", "{:.2f}", True,
           "Customer Effort Score: mean answer on the 1-7 'made it easy' scale (CES 2.0).",
           (("ces_score_sum", 1),), ("ces_responses",), overview=True),
    Metric("fcr_pct", "FCR", "pct", "{:.1f}%", True,
           "First contact resolution: contacts resolved at first contact / contacts with a known "
           "outcome.",
           (("fcr_resolved", 1),), ("fcr_known",), 100,
           "First contact resolution: contacts resolved at first contact / contacts with a known "
           "outcome. From the resolved_first_contact flag.", overview=True),
    Metric("aht_seconds", "AHT", "seconds", "{:,.0f} s", None,
           "Average handle time: (talk + hold + after-contact work) / handled contacts.",
           (("handle_seconds", 1),), ("handled",), 1,
           "Average handle time: (talk + hold + after-contact work) / handled contacts. Handled = "
           "answered by an agent with handle time recorded; hold counts separately from talk.",
           overview=True),
    Metric("asa_seconds", "ASA", "seconds", "{:,.1f} s", False,
           "Average speed of answer: mean queue wait of answered live contacts.",
           (("live_wait_seconds", 1),), ("live_answered",), 1,
           lambda s: f"ASA: mean wait from queue entry to answer of answered {_live(s)} contacts.",
           overview=True),
    Metric("abandon_rate_pct", "Abandon rate", "pct", "{:.1f}%", False,
           "Live contacts that left the queue before an answer / live contacts offered.",
           (("live_abandoned", 1),), ("live_offered",), 100,
           lambda s: f"Abandon rate: abandoned / offered {_live(s)} contacts. {_short(s)}",
           overview=True),
    Metric("service_level_pct", "Service level", "pct", "{:.1f}%", True,
           "Live contacts answered within the threshold / live contacts offered.",
           (("live_answered_within_threshold", 1),), ("live_offered",), 100,
           lambda s: f"Service level: {_live(s)} contacts answered within {_threshold(s)} / offered "
                     f"(abandons count against it). {_short(s)}",
           setting="service_level_abandons", overview=True, variants={
               "answered_only": Variant(
                   (("live_answered_within_threshold", 1),), ("live_answered",), 100,
                   lambda s: f"Service level: {_live(s)} contacts answered within {_threshold(s)} / "
                             "answered contacts (abandons left out of the denominator)."),
               "abandon_within_threshold_meets": Variant(
                   (("live_answered_within_threshold", 1), ("live_abandoned_within_threshold", 1)),
                   ("live_offered",), 100,
                   lambda s: f"Service level (Amazon Connect style): {_live(s)} contacts answered "
                             f"within {_threshold(s)}, plus abandons within {_threshold(s)}, / "
                             "offered. " + _short(s)),
           }),
    Metric("first_response_target_pct", "First response in target", "pct", "{:.1f}%", True,
           "Asynchronous contacts (email, social, sms) given a first reply within their channel's "
           "response target / asynchronous contacts.",
           (("async_responded_within_target", 1),), ("async_contacts",), 100,
           _first_response_text, overview=True),
    Metric("cost_per_contact_usd", "Cost per contact", "usd", "${:,.2f}", False,
           "Operating cost (one-time costs excluded) / served contacts (answered or self-served).",
           (("cost_usd", 1),), ("served_with_cost",), 1,
           "Operating cost (one-time costs excluded) / served contacts (answered or self-served). "
           "Costs are monthly and spread evenly over the month's days; only days with cost data "
           "count.", overview=True, by_channel_only=True),
    _tier_share(1, "Resolved at tier 1", True,
                "Contacts whose highest support tier was 1 / contacts with a tier recorded."),
    _tier_share(2, "Escalated to tier 2", None,
                "Contacts whose highest support tier was 2 (product and technical specialists) / "
                "contacts with a tier recorded."),
    _tier_share(3, "Escalated to tier 3", None,
                "Contacts whose highest support tier was 3 (managers, clinical advisors) / contacts "
                "with a tier recorded."),
    Metric("qa_score_pct", "QA score", "pct", "{:.1f}%", True,
           "Quality evaluations: points given / points possible, over every scorecard item.",
           (("qa_points", 1),), ("qa_points_possible",), 100),
    Metric("qa_evaluations_per_agent_week", "QA evaluations per agent-week", "count", "{:.1f}",
           None, "Evaluations made / (agents x weeks in the period).",
           (("qa_evaluations", 1),), ("agent_weeks",), 1,
           "QA coverage: evaluations made in the period / (agents x weeks in the period), counting "
           "every agent who handled contacts or was evaluated in it (seed: review 4-6 interactions "
           "per agent per week)."),
)}

# the figures of the executive overview, in tile order; the rest belong to the pages that use them
KPI_NAMES: tuple[str, ...] = tuple(name for name, metric in METRICS.items() if metric.overview)
TIER_SHARES: tuple[str, ...] = ("tier1_share_pct", "tier2_share_pct", "tier3_share_pct")


def target_names() -> tuple[str, ...]:
    """Every key [targets] may carry: each metric's name and each variant's own target key."""
    keys = [*METRICS, *(variant.target for metric in METRICS.values()
                        for variant in metric.variants.values() if variant.target)]
    return tuple(dict.fromkeys(keys))


def definition(name: str, settings: Settings | None) -> Definition:
    """The ratio a metric computes under the settings, how it is shown, and a sentence saying so."""
    if name not in METRICS:
        raise KeyError(f"unknown metric {name!r}")
    metric = METRICS[name]
    rule = metric.choice(settings)
    text = rule.text or metric.summary
    if callable(text):
        text = text(settings if settings is not None else Settings())
    return Definition(rule.numerator, rule.denominator, rule.scale, text,
                      rule.unit or metric.unit, rule.number_format or metric.number_format,
                      rule.target or name, metric.higher_is_better)


def target_for(name: str, settings: Settings) -> Target | None:
    """The target of a metric under the settings' variant ([targets] under the variant's key)."""
    return settings.targets.get(definition(name, settings).target)


def ratio(measures: pd.DataFrame | Mapping[str, float | None], name: str, settings: Settings):
    """A metric's value from summed measures: a float for a mapping (a measure missing or None counts
    as 0), a Series for a frame (anything with columns: a pandas DataFrame).

    Where the denominator is zero the metric has no basis and is NaN (None for a mapping).
    """
    rule = definition(name, settings)
    if hasattr(measures, "columns"):
        numerator = sum(sign * measures[m].astype(float) for m, sign in rule.numerator)
        if not rule.denominator:
            return numerator
        denominator = sum(measures[m].astype(float) for m in rule.denominator)
        return (rule.scale * numerator / denominator.where(denominator > 0)).astype(float)
    numerator = sum(sign * float(measures.get(m, 0) or 0) for m, sign in rule.numerator)
    if not rule.denominator:
        return numerator
    denominator = sum(float(measures.get(m, 0) or 0) for m in rule.denominator)
    return rule.scale * numerator / denominator if denominator > 0 else None


def status(name: str, value: float | None, target: Target | None,
           settings: Settings | None = None) -> str:
    """Red, amber or green against a target; 'none' where there is no target or no value.

    Pass the target of the variant in force (target_for); settings only pick which way is good."""
    if target is None or value is None or (isinstance(value, float) and math.isnan(value)):
        return "none"
    if target.low is not None and target.high is not None:
        if target.low <= value <= target.high:
            return "green"
        warn_low = target.warn_low if target.warn_low is not None else target.low
        warn_high = target.warn_high if target.warn_high is not None else target.high
        return "amber" if warn_low <= value <= warn_high else "red"
    if target.good is None:
        return "none"
    higher = definition(name, settings).higher_is_better if name in METRICS else True
    warn = target.warn if target.warn is not None else target.good
    if higher:
        return "green" if value >= target.good else "amber" if value >= warn else "red"
    return "green" if value <= target.good else "amber" if value <= warn else "red"


def target_text(name: str, target: Target | None, settings: Settings | None = None) -> str:
    """A target in words, as a tile shows it, in the number format of the settings' variant."""
    if target is None:
        return "no target set"
    metric = definition(name, settings)
    fmt = metric.number_format
    if target.low is not None and target.high is not None:
        return f"target {fmt.format(target.low)}–{fmt.format(target.high)}"
    if target.good is None:
        return "no target set"
    sign = "≥" if metric.higher_is_better else "≤"
    return f"target {sign} {fmt.format(target.good)}"


def format_value(name: str, value: float | None, settings: Settings | None = None) -> str:
    """A value as the metric shows it under the settings' variant (a CSAT mean as '4.31 / 5')."""
    return format_number(definition(name, settings).number_format, value)


def format_number(number_format: str, value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return number_format.format(value)
