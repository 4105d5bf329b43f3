"""Settings of a data folder (DATA/cxdash.toml): time zone, KPI targets, metric-definition variants."""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cxdash.contract import ASYNC_CHANNELS_DEFAULT, CHANNELS, LIVE_CHANNELS_DEFAULT

SETTINGS_FILE = "cxdash.toml"
CSAT_METHODS = ("top2box", "good_bad", "mean")
SERVICE_LEVEL_ABANDON_POLICIES = ("offered", "answered_only", "abandon_within_threshold_meets")


@dataclass(frozen=True)
class Target:
    """A KPI target: `good` meets it; between `good` and `warn` is amber; beyond `warn` is red.

    For a band metric (AHT), `low` and `high` bound the green zone and `warn_low`/`warn_high` the amber.
    """

    good: float | None = None
    warn: float | None = None
    low: float | None = None
    high: float | None = None
    warn_low: float | None = None
    warn_high: float | None = None
    source: str = ""


# Defaults from the seed documents (../shared/seeds): the green line is the operating target,
# the amber line the pilot-phase target where the seeds give one.
DEFAULT_TARGETS: dict[str, Target] = {
    "csat_pct": Target(good=86, warn=85, source="seed: CSAT 86-93%; pilot >= 85%"),
    "nps": Target(good=40, warn=30, source="seed: NPS 40-65; >= 30 strong for many services"),
    "fcr_pct": Target(good=78, warn=75, source="seed: FCR 78-88%; pilot >= 75%"),
    "aht_seconds": Target(low=240, high=420, warn_low=200, warn_high=480,
                          source="seed: AHT 240-420 s"),
    "asa_seconds": Target(good=30, warn=40, source="seed: ASA <= 30 s"),
    "abandon_rate_pct": Target(good=4, warn=5, source="seed: abandon <= 4%; pilot <= 5%"),
    "service_level_pct": Target(good=80, warn=75, source="seed: service level 80/20"),
    "first_response_target_pct": Target(good=90, warn=80,
                                        source="seed: first response within 2 h (email, social)"),
    "cost_per_contact_usd": Target(good=8, warn=10,
                                   source="seed: blended $6-8; pilot <= $10"),
    "tier1_share_pct": Target(good=85, warn=80, source="seed: tier 1 resolves 85% of cases"),
    "tier2_share_pct": Target(low=10, high=13, warn_low=8, warn_high=15,
                              source="seed: tier 2 handles 10-13%"),
    "tier3_share_pct": Target(low=2, high=5, warn_low=1, warn_high=7,
                              source="seed: tier 3 handles 2-5%"),
    "qa_evaluations_per_agent_week": Target(low=4, high=6, warn_low=3, warn_high=8,
                                            source="seed: review 4-6 interactions per agent per week"),
}


@dataclass(frozen=True)
class CostModel:
    """The cost model used when the data folder has no costs table (defaults: the seed documents).

    labor = loaded hourly rate x handle hours / occupancy (idle time between contacts is paid too);
    telephony = per-minute rate x minutes on the line (queue wait + handle time) of the telephony
    channels; technology = seats x monthly licence per seat (shared by all channels) plus the
    self-service platform's monthly fee.
    """

    loaded_hourly_rate_usd: float = 35.0  # seed: US agents $18-35/h; +25-40% payroll tax, benefits
    occupancy: float = 0.85  # seed: occupancy 80-85%
    telephony_per_minute_usd: float = 0.02  # seed: SIP trunking $0.01-0.03/min
    telephony_channels: tuple[str, ...] = ("phone",)
    seats: float = 24  # seed: 24 frontline agents
    seat_licence_month_usd: float = 245.0  # seed midpoints: contact center $137.50, CRM $87.50, WFM $20
    self_service_month_usd: float = 800.0  # seed: chatbot platform $400-1,200/month

    def parameters(self) -> dict:
        """The values sql/modeled_costs.sql binds."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


@dataclass(frozen=True)
class SpecialDay:
    """A day or run of days of the user's own that moves contact volume: a sale, a launch, an outage."""

    name: str
    start: date
    end: date


@dataclass(frozen=True)
class Settings:
    """Everything a data folder can configure; every field has a default from the seed documents."""

    timezone: str = "America/Los_Angeles"
    service_level_seconds: float = 20.0
    short_abandon_seconds: float = 5.0
    service_level_abandons: str = "offered"
    csat_method: str = "top2box"
    live_channels: tuple[str, ...] = LIVE_CHANNELS_DEFAULT
    async_channels: tuple[str, ...] = ASYNC_CHANNELS_DEFAULT
    first_response_seconds: dict[str, float] = field(
        default_factory=lambda: {"email": 7200.0, "social": 7200.0, "sms": 7200.0})
    targets: dict[str, Target] = field(default_factory=lambda: dict(DEFAULT_TARGETS))
    # contacts in these queues, answered by an agent, count as product-usage coaching
    coaching_queues: tuple[str, ...] = ("product_advice",)
    cost_model: CostModel = field(default_factory=CostModel)
    # the holiday calendar (the `holidays` library) and the user's own special days
    holiday_country: str = "US"
    holiday_subdivision: str | None = "OR"  # seed: the support hub is in Portland, Oregon
    special_days: tuple[SpecialDay, ...] = ()
    peak_hours: tuple[int, int] = (19, 21)  # seed: 19:00-21:00 carries 22% of daily volume
    # forecasting: business hours by channel (weekday -> (open minute, close minute) ranges, local);
    # a channel not listed has its hours learned from the data. Closed dates are not forecast.
    business_hours: dict[str, dict[str, tuple[tuple[int, int], ...]]] = field(default_factory=dict)
    closed_dates: tuple[date, ...] = ()
    problems: tuple[str, ...] = ()

    def fingerprint(self) -> str:
        """A short hash of the fields that change prepared data (rollups depend on them)."""
        relevant = {k: v for k, v in asdict(self).items()
                    if k not in ("targets", "problems", "cost_model", "coaching_queues", "holiday_country",
                                 "holiday_subdivision", "special_days", "peak_hours",
                                 "business_hours", "closed_dates")}
        return hashlib.sha256(json.dumps(relevant, sort_keys=True, default=str).encode()).hexdigest()[:16]


def data_dir(explicit: str | os.PathLike | None = None) -> Path:
    """The data folder: an explicit one, else $CXDASH_DATA, else `data/` beside the app."""
    if explicit:
        return Path(explicit).expanduser().resolve()
    if os.environ.get("CXDASH_DATA"):
        return Path(os.environ["CXDASH_DATA"]).expanduser().resolve()
    return (Path(__file__).resolve().parent.parent / "data").resolve()


def demo_scale() -> float:
    """Volume of the demo the app makes on first start: $CXDASH_DEMO_SCALE, else 1 (the full demo)."""
    try:
        return max(float(os.environ.get("CXDASH_DEMO_SCALE", "1")), 0.001)
    except ValueError:
        return 1.0


def load_settings(folder: Path) -> Settings:
    """Read DATA/cxdash.toml; an unreadable file or a bad value falls back to the default and is reported."""
    path = folder / SETTINGS_FILE
    if not path.exists():
        return Settings()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        return Settings(problems=(f"{path.name}: could not be read ({error}); defaults used",))
    return settings_from_dict(raw, source=path.name)


def settings_from_dict(raw: dict, source: str = SETTINGS_FILE) -> Settings:
    """Build settings from a parsed TOML document, keeping defaults for anything invalid."""
    settings = Settings()
    problems: list[str] = []
    changes: dict = {}
    metrics = raw.get("metrics", {})
    if not isinstance(metrics, dict):
        problems.append(f"{source}: metrics must be a table of settings; defaults used")
        metrics = {}

    timezone = raw.get("timezone")
    if timezone is not None:
        try:
            ZoneInfo(str(timezone))
            changes["timezone"] = str(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(f"{source}: timezone {timezone!r} is not an IANA zone name; "
                            f"{settings.timezone} used")

    def number(key: str, minimum: float, maximum: float) -> None:
        if key in metrics:
            value = metrics[key]
            if isinstance(value, int | float) and not isinstance(value, bool) and \
                    minimum <= value <= maximum:
                changes[key] = float(value)
            else:
                problems.append(f"{source}: metrics.{key} = {value!r} must be a number in "
                                f"{minimum:g}..{maximum:g}; default {getattr(settings, key):g} used")

    def choice(key: str, allowed: tuple[str, ...]) -> None:
        if key in metrics:
            if metrics[key] in allowed:
                changes[key] = metrics[key]
            else:
                problems.append(f"{source}: metrics.{key} = {metrics[key]!r} must be one of "
                                f"{', '.join(allowed)}; default {getattr(settings, key)} used")

    def channel_list(key: str) -> None:
        if key in metrics:
            value = metrics[key]
            if isinstance(value, list) and value and all(str(c).lower() in CHANNELS for c in value):
                changes[key] = tuple(str(c).lower() for c in value)
            else:
                problems.append(f"{source}: metrics.{key} must list channels from "
                                f"{', '.join(CHANNELS)}; default used")

    number("service_level_seconds", 1, 3600)
    number("short_abandon_seconds", 0, 600)
    choice("service_level_abandons", SERVICE_LEVEL_ABANDON_POLICIES)
    choice("csat_method", CSAT_METHODS)
    channel_list("live_channels")
    channel_list("async_channels")

    response = metrics.get("first_response_seconds")
    if response is not None:
        if isinstance(response, dict) and all(
                str(k).lower() in CHANNELS and isinstance(v, int | float) and not isinstance(v, bool)
                and v > 0 for k, v in response.items()):
            # a channel not named keeps its default target rather than dropping out of the KPI
            changes["first_response_seconds"] = {
                **settings.first_response_seconds,
                **{str(k).lower(): float(v) for k, v in response.items()}}
        else:
            problems.append(f"{source}: metrics.first_response_seconds must map channels to "
                            "positive seconds; default used")

    coaching = raw.get("lifetime_value", {}).get("coaching_queues") \
        if isinstance(raw.get("lifetime_value"), dict) else None
    if coaching is not None:
        if isinstance(coaching, list) and all(isinstance(q, str) and q for q in coaching):
            changes["coaching_queues"] = tuple(coaching)
        else:
            problems.append(f"{source}: lifetime_value.coaching_queues must list queue names; "
                            "default used")

    calendar = raw.get("calendar")
    if calendar is not None:
        changes.update(_calendar(calendar, source, problems))

    forecast = raw.get("forecast")
    if forecast is not None:
        changes.update(_forecast(forecast, source, problems))

    model = raw.get("cost_model")
    if model is not None:
        changes["cost_model"] = _cost_model(model, source, problems)

    targets = dict(settings.targets)
    raw_targets = raw.get("targets") or {}
    if not isinstance(raw_targets, dict):
        problems.append(f"{source}: targets must be a table of KPI targets; defaults used")
        raw_targets = {}
    for name, spec in raw_targets.items():
        if not isinstance(spec, dict) or not all(
                k in Target.__dataclass_fields__ and k != "source"
                and isinstance(v, int | float) and not isinstance(v, bool) for k, v in spec.items()):
            problems.append(f"{source}: targets.{name} must be a table of numbers "
                            "(good, warn, low, high, warn_low, warn_high); ignored")
            continue
        targets[name] = Target(**{k: float(v) for k, v in spec.items()}, source=source)
    changes["targets"] = targets
    return replace(settings, **changes, problems=tuple(problems))


def _cost_model(raw, source: str, problems: list[str]) -> CostModel:
    """The [cost_model] table: each value checked on its own, a bad one keeps its default."""
    default = CostModel()
    if not isinstance(raw, dict):
        problems.append(f"{source}: cost_model must be a table of settings; defaults used")
        return default
    changes: dict = {}
    for key, value in raw.items():
        if key not in CostModel.__dataclass_fields__:
            problems.append(f"{source}: cost_model.{key} is not a cost-model setting; ignored")
        elif key == "telephony_channels":
            if isinstance(value, list) and all(str(c).lower() in CHANNELS for c in value):
                changes[key] = tuple(str(c).lower() for c in value)
            else:
                problems.append(f"{source}: cost_model.telephony_channels must list channels from "
                                f"{', '.join(CHANNELS)}; default used")
        elif isinstance(value, int | float) and not isinstance(value, bool) and value >= 0 \
                and (key != "occupancy" or 0 < value <= 1):
            changes[key] = float(value)
        else:
            allowed = "a number in 0..1 (not 0)" if key == "occupancy" else "a number >= 0"
            problems.append(f"{source}: cost_model.{key} = {value!r} must be {allowed}; default "
                            f"{getattr(default, key):g} used")
    return replace(default, **changes)


def _calendar(raw, source: str, problems: list[str]) -> dict:
    """The [calendar] table: holiday country and subdivision, peak hours, the user's special days."""
    import holidays

    if not isinstance(raw, dict):
        problems.append(f"{source}: calendar must be a table of settings; defaults used")
        return {}
    changes: dict = {}
    if "country" in raw or "subdivision" in raw:
        country = str(raw.get("country", Settings.holiday_country)).upper()
        subdivision = raw.get("subdivision")
        supported = holidays.list_supported_countries()
        if country not in supported:
            problems.append(f"{source}: calendar.country = {country!r} is not a country the holidays "
                            f"library knows (ISO 3166 codes such as US, GB, DE); US used")
        elif subdivision is not None and str(subdivision).upper() not in supported[country]:
            problems.append(f"{source}: calendar.subdivision = {subdivision!r} is not a subdivision of "
                            f"{country}; the country's national holidays used")
            changes.update(holiday_country=country, holiday_subdivision=None)
        else:
            changes.update(holiday_country=country,
                           holiday_subdivision=None if subdivision is None else str(subdivision).upper())
    if "peak_hours" in raw:
        peak = raw["peak_hours"]
        if isinstance(peak, list) and len(peak) == 2 and all(isinstance(h, int) for h in peak) \
                and 0 <= peak[0] < peak[1] <= 24:
            changes["peak_hours"] = (peak[0], peak[1])
        else:
            problems.append(f"{source}: calendar.peak_hours must be [first hour, end hour] within "
                            "0-24, such as [19, 21]; default used")
    days = []
    for number, item in enumerate(raw.get("special_days", []) or [], start=1):
        try:
            start = date.fromisoformat(str(item["start"]))
            end = date.fromisoformat(str(item.get("end", item["start"])))
            name = str(item["name"]).strip()
            if not name or end < start:
                raise ValueError
            days.append(SpecialDay(name, start, end))
        except (KeyError, TypeError, ValueError):
            problems.append(f"{source}: calendar.special_days entry {number} needs name, start and "
                            "end dates (YYYY-MM-DD, end not before start); ignored")
    if days:
        changes["special_days"] = tuple(sorted(days, key=lambda d: d.start))
    return changes


WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_GROUPS = {"daily": WEEKDAY_KEYS, "weekdays": WEEKDAY_KEYS[:5], "weekend": WEEKDAY_KEYS[5:],
              **{key: (key,) for key in WEEKDAY_KEYS}}


def _hours(text) -> tuple[tuple[int, int], ...]:
    """"07:00-22:00" (or several, comma-separated; "closed"; "24h") as (open minute, close minute)."""
    text = str(text).strip().lower()
    if text == "closed":
        return ()
    if text in ("24h", "00:00-24:00"):
        return ((0, 1440),)
    ranges = []
    for part in text.split(","):
        opens, closes = (piece.strip() for piece in part.split("-"))
        minutes = []
        for clock in (opens, closes):
            hour, minute = clock.split(":")
            minutes.append(int(hour) * 60 + int(minute))
        if not 0 <= minutes[0] < minutes[1] <= 1440:
            raise ValueError
        ranges.append((minutes[0], minutes[1]))
    return tuple(ranges)


def _forecast(raw, source: str, problems: list[str]) -> dict:
    """The [forecast] table: business hours by channel and closed dates."""
    if not isinstance(raw, dict):
        problems.append(f"{source}: forecast must be a table of settings; defaults used")
        return {}
    changes: dict = {}
    hours = raw.get("business_hours", {})
    parsed: dict[str, dict[str, tuple[tuple[int, int], ...]]] = {}
    for channel, spec in (hours.items() if isinstance(hours, dict) else ()):
        if str(channel).lower() not in CHANNELS or not isinstance(spec, dict):
            problems.append(f"{source}: forecast.business_hours.{channel} must be a channel from "
                            f"{', '.join(CHANNELS)} with a table of hours; ignored (hours learned)")
            continue
        week: dict[str, tuple[tuple[int, int], ...]] = {day: () for day in WEEKDAY_KEYS}
        try:
            for group, text in spec.items():
                if group not in DAY_GROUPS:
                    raise ValueError
                for day in DAY_GROUPS[group]:
                    week[day] = _hours(text)
        except (ValueError, TypeError, AttributeError):
            problems.append(f"{source}: forecast.business_hours.{channel} needs keys from daily, "
                            "weekdays, weekend, mon..sun with hours like \"07:00-22:00\" or \"closed\"; "
                            "ignored (hours learned from the data)")
            continue
        parsed[str(channel).lower()] = week
    if parsed:
        changes["business_hours"] = parsed
    dates = []
    for item in raw.get("closed_dates", []) or []:
        try:
            dates.append(date.fromisoformat(str(item)))
        except ValueError:
            problems.append(f"{source}: forecast.closed_dates entry {item!r} is not a date "
                            "(YYYY-MM-DD); ignored")
    if dates:
        changes["closed_dates"] = tuple(sorted(set(dates)))
    return changes
