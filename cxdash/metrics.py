"""The KPI registry: every metric defined once, as a ratio of the daily measures, with its variants.

The per-contact rules (what is live, a short abandon, a good rating) live in sql/rollup_daily.sql;
here each KPI says which measures it divides, how it is shown, which way is good and its target.
Pages and the command line refer to metrics by name only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cxdash.settings import Settings, Target


@dataclass(frozen=True)
class Metric:
    """How one KPI is shown: label, unit, number format, which direction is good."""

    name: str
    label: str
    unit: str  # count, pct, seconds, score, usd
    number_format: str
    higher_is_better: bool | None  # None: a band (AHT) or no direction (contacts)
    summary: str


@dataclass(frozen=True)
class Definition:
    """The active definition of a metric under the current settings."""

    numerator: tuple[tuple[str, int], ...]  # (measure, sign)
    denominator: tuple[str, ...]
    scale: float
    text: str


METRICS: dict[str, Metric] = {m.name: m for m in (
    Metric("contacts", "Contacts", "count", "{:,.0f}", None,
           "Every customer contact that arrived, in all channels, self-service included."),
    Metric("csat_pct", "CSAT", "pct", "{:.1f}%", True,
           "Customer satisfaction from post-contact surveys."),
    Metric("response_rate_pct", "Survey response rate", "pct", "{:.1f}%", True,
           "Share of served contacts that left a CSAT rating."),
    Metric("nps", "NPS", "score", "{:+.0f}", True,
           "Net Promoter Score: % promoters (9-10) minus % detractors (0-6), -100 to 100."),
    Metric("ces", "CES", "score", "{:.2f}", True,
           "Customer Effort Score: mean answer on the 1-7 'made it easy' scale (CES 2.0)."),
    Metric("fcr_pct", "FCR", "pct", "{:.1f}%", True,
           "First contact resolution: contacts resolved at first contact / contacts with a known "
           "outcome."),
    Metric("aht_seconds", "AHT", "seconds", "{:,.0f} s", None,
           "Average handle time: (talk + hold + after-contact work) / handled contacts."),
    Metric("asa_seconds", "ASA", "seconds", "{:,.1f} s", False,
           "Average speed of answer: mean queue wait of answered live contacts."),
    Metric("abandon_rate_pct", "Abandon rate", "pct", "{:.1f}%", False,
           "Live contacts that left the queue before an answer / live contacts offered."),
    Metric("service_level_pct", "Service level", "pct", "{:.1f}%", True,
           "Live contacts answered within the threshold / live contacts offered."),
    Metric("first_response_target_pct", "First response in target", "pct", "{:.1f}%", True,
           "Asynchronous contacts (email, social, sms) given a first reply within their channel's "
           "response target / asynchronous contacts."),
    Metric("cost_per_contact_usd", "Cost per contact", "usd", "${:,.2f}", False,
           "Operating cost (one-time costs excluded) / served contacts (answered or self-served)."),
    Metric("tier1_share_pct", "Resolved at tier 1", "pct", "{:.1f}%", True,
           "Contacts whose highest support tier was 1 / contacts with a tier recorded."),
    Metric("tier2_share_pct", "Escalated to tier 2", "pct", "{:.1f}%", None,
           "Contacts whose highest support tier was 2 (product and technical specialists) / "
           "contacts with a tier recorded."),
    Metric("tier3_share_pct", "Escalated to tier 3", "pct", "{:.1f}%", None,
           "Contacts whose highest support tier was 3 (managers, clinical advisors) / contacts "
           "with a tier recorded."),
    Metric("qa_score_pct", "QA score", "pct", "{:.1f}%", True,
           "Quality evaluations: points given / points possible, over every scorecard item."),
    Metric("qa_evaluations_per_agent_week", "QA evaluations per agent-week", "count", "{:.1f}",
           None, "Evaluations made / (agents x weeks in the period)."),
)}

# the figures of the executive overview, in tile order; the rest belong to the pages that use them
KPI_NAMES: tuple[str, ...] = (
    "contacts", "csat_pct", "response_rate_pct", "nps", "ces", "fcr_pct", "aht_seconds",
    "asa_seconds", "abandon_rate_pct", "service_level_pct", "first_response_target_pct",
    "cost_per_contact_usd")
TIER_SHARES: tuple[str, ...] = ("tier1_share_pct", "tier2_share_pct", "tier3_share_pct")


def _channels(channels: tuple[str, ...]) -> str:
    return ", ".join(channels)


def definition(name: str, settings: Settings) -> Definition:
    """The ratio a metric computes under the settings, and a sentence saying so for a hover."""
    live = _channels(settings.live_channels)
    threshold = f"{settings.service_level_seconds:g} s"
    short = (f"Abandons within {settings.short_abandon_seconds:g} s (short abandons) are left out "
             "of both counts." if settings.short_abandon_seconds > 0 else
             "Every abandon counts (short-abandon exclusion is off).")
    if name == "contacts":
        return Definition((("contacts", 1),), (), 1, METRICS[name].summary)
    if name == "csat_pct":
        if settings.csat_method == "good_bad":
            return Definition((("csat_good", 1),), ("csat_good", "csat_bad"), 100,
                              "CSAT (good / (good + bad)): ratings of 4-5 divided by ratings of "
                              "4-5 plus 1-2; neutral 3s are left out, as Zendesk counts.")
        if settings.csat_method == "mean":
            return Definition((("csat_score_sum", 1),), ("csat_rated",), 1,
                              "CSAT (mean score): the average rating on the 1-5 scale; "
                              "shown as a score, not a percentage.")
        return Definition((("csat_good", 1),), ("csat_rated",), 100,
                          "CSAT (top-2-box): ratings of 4 or 5 on the 1-5 scale / all ratings. "
                          "Read it beside the survey response rate.")
    if name == "response_rate_pct":
        return Definition((("csat_rated", 1),), ("served",), 100, METRICS[name].summary)
    if name == "nps":
        return Definition((("nps_promoters", 1), ("nps_detractors", -1)), ("nps_responses",), 100,
                          METRICS[name].summary)
    if name == "ces":
        return Definition((("ces_score_sum", 1),), ("ces_responses",), 1, METRICS[name].summary)
    if name == "fcr_pct":
        return Definition((("fcr_resolved", 1),), ("fcr_known",), 100,
                          METRICS[name].summary + " From the resolved_first_contact flag.")
    if name == "aht_seconds":
        return Definition((("handle_seconds", 1),), ("handled",), 1,
                          METRICS[name].summary + " Handled = answered by an agent with handle "
                          "time recorded; hold counts separately from talk.")
    if name == "asa_seconds":
        return Definition((("live_wait_seconds", 1),), ("live_answered",), 1,
                          f"ASA: mean wait from queue entry to answer of answered {live} "
                          "contacts.")
    if name == "abandon_rate_pct":
        return Definition((("live_abandoned", 1),), ("live_offered",), 100,
                          f"Abandon rate: abandoned / offered {live} contacts. {short}")
    if name == "service_level_pct":
        policy = settings.service_level_abandons
        if policy == "answered_only":
            return Definition((("live_answered_within_threshold", 1),), ("live_answered",), 100,
                              f"Service level: {live} contacts answered within {threshold} / "
                              "answered contacts (abandons left out of the denominator).")
        if policy == "abandon_within_threshold_meets":
            return Definition((("live_answered_within_threshold", 1),
                               ("live_abandoned_within_threshold", 1)), ("live_offered",), 100,
                              f"Service level (Amazon Connect style): {live} contacts answered "
                              f"within {threshold}, plus abandons within {threshold}, / offered. "
                              + short)
        return Definition((("live_answered_within_threshold", 1),), ("live_offered",), 100,
                          f"Service level: {live} contacts answered within {threshold} / offered "
                          f"(abandons count against it). {short}")
    if name == "first_response_target_pct":
        targets = ", ".join(f"{channel} {seconds / 3600:g} h" for channel, seconds
                            in sorted(settings.first_response_seconds.items())
                            if channel in settings.async_channels)
        return Definition((("async_responded_within_target", 1),), ("async_contacts",), 100,
                          f"First response in target: contacts of {_channels(settings.async_channels)} "
                          f"first answered within the channel's target ({targets}), calendar time, "
                          "/ all those contacts; unanswered ones count as missed.")
    if name == "cost_per_contact_usd":
        return Definition((("cost_usd", 1),), ("served",), 1,
                          METRICS[name].summary + " Costs are monthly and spread evenly over the "
                          "month's days; only days with cost data count.")
    if name in TIER_SHARES:
        tier = TIER_SHARES.index(name) + 1
        return Definition(((f"tier_{tier}", 1),), ("tier_1", "tier_2", "tier_3"), 100,
                          METRICS[name].summary + " The seed escalation matrix: tier 1 resolves "
                          "85%, tier 2 handles 10-13%, tier 3 2-5%.")
    if name == "qa_score_pct":
        return Definition((("qa_points", 1),), ("qa_points_possible",), 100, METRICS[name].summary)
    if name == "qa_evaluations_per_agent_week":
        return Definition((("qa_evaluations", 1),), ("agent_weeks",), 1,
                          "QA coverage: evaluations made in the period / (agents x weeks in the "
                          "period), counting every agent who handled contacts or was evaluated in "
                          "it (seed: review 4-6 interactions per agent per week).")
    raise KeyError(f"unknown metric {name!r}")


def ratio(measures: pd.DataFrame | Mapping[str, float], name: str, settings: Settings):
    """A metric's value from summed measures: a float for a mapping, a Series for a frame.

    Where the denominator is zero the metric has no basis and is NaN (None for a mapping).
    """
    rule = definition(name, settings)
    if isinstance(measures, pd.DataFrame):
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


def status(name: str, value: float | None, target: Target | None) -> str:
    """Red, amber or green against a target; 'none' where there is no target or no value."""
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
    higher = METRICS[name].higher_is_better if name in METRICS else True
    warn = target.warn if target.warn is not None else target.good
    if higher:
        return "green" if value >= target.good else "amber" if value >= warn else "red"
    return "green" if value <= target.good else "amber" if value <= warn else "red"


def target_text(name: str, target: Target | None) -> str:
    """A target in words, as a tile shows it."""
    if target is None:
        return "no target set"
    metric = METRICS[name]
    fmt = metric.number_format
    if target.low is not None and target.high is not None:
        return f"target {fmt.format(target.low)}–{fmt.format(target.high)}"
    if target.good is None:
        return "no target set"
    sign = "≥" if metric.higher_is_better else "≤"
    return f"target {sign} {fmt.format(target.good)}"


def format_value(name: str, value: float | None) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "–"
    return METRICS[name].number_format.format(value)
