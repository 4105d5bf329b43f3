"""Settings of a data folder (DATA/cxdash.toml): time zone, KPI targets, metric-definition variants."""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import os
import reprlib
import tomllib
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cxdash.calendar import WEEKDAY_KEYS
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
class StaffingDefaults:
    """Where the Staffing page's inputs start, in whole percents (the planner changes them there)."""

    service_level_target_pct: int = 80  # seed: service level 80/20
    max_occupancy_pct: int = 85  # seed: occupancy 80-85%
    shrinkage_pct: int = 30  # seed: 30% of paid time off the phones


# the whole percents each staffing default may take (the page's inputs take the same)
STAFFING_RANGES = {"service_level_target_pct": (50, 99), "max_occupancy_pct": (50, 100),
                   "shrinkage_pct": (0, 80)}


@dataclass(frozen=True)
class BreakRule:
    """A break every shift of at least `min_shift_hours` takes, `minutes` long, starting between
    window_hours[0] and window_hours[1] after the shift starts; paid or not (an unpaid meal)."""

    name: str
    minutes: int
    paid: bool
    window_hours: tuple[float, float]
    min_shift_hours: float = 0.0


@dataclass(frozen=True)
class ScheduleDefaults:
    """The shift rules of the Schedule page and `python -m cxdash schedule` (defaults: the seed
    documents where they say, common practice where they do not)."""

    agents: int = 24  # seed: 24 frontline agents in 3 shifts (when no roster file is given)
    part_time_agents: int = 0  # of those agents, how many work part time
    shift_hours: tuple[float, ...] = (8.5, 6.0, 4.0)  # start to end, the unpaid meal included
    start_grid_minutes: int = 30  # shifts start on the hour and the half hour
    breaks: tuple[BreakRule, ...] = (
        BreakRule("break", 15, True, (1.0, 2.5), 4.0),
        BreakRule("meal", 30, False, (3.0, 5.0), 6.5),
        BreakRule("second break", 15, True, (5.5, 7.0), 8.0))
    max_days_per_week: int = 5
    consecutive_days_off: int = 2
    min_rest_hours: float = 11.0  # between the end of one shift and the start of the next
    full_time_hours: tuple[float, float] = (40.0, 40.0)  # paid hours a week, least and most
    part_time_hours: tuple[float, float] = (20.0, 30.0)
    # seed: phone and chat Mon-Fri 07:00-22:00, Sat-Sun 09:00-18:00 (weekday -> open ranges, minutes)
    opening_hours: dict[str, tuple[tuple[int, int], ...]] = field(default_factory=lambda: {
        **{day: ((420, 1320),) for day in WEEKDAY_KEYS[:5]},
        **{day: ((540, 1080),) for day in WEEKDAY_KEYS[5:]}})
    # paid time off the phones that the schedule does not place (absence, training, coaching): the
    # seed's 30% shrinkage less the paid breaks placed here (30 of 480 minutes): 1 - 0.7 / 0.9375
    shrinkage_pct: int = 25
    safety_pct: int = 50  # the chance each interval meets the target (50: staff to the forecast)
    # the share of intervals with contacts that must meet it with that chance (100: every one; below,
    # the solver may leave the costliest others short, and its bound on the shortfall is weak)
    safety_share_pct: int = 100
    time_limit_seconds: float = 10.0


# the whole numbers each schedule default may take
SCHEDULE_RANGES = {"agents": (1, 5000), "part_time_agents": (0, 5000), "start_grid_minutes": (15, 240),
                   "max_days_per_week": (1, 7), "consecutive_days_off": (0, 6), "shrinkage_pct": (0, 80),
                   "safety_pct": (50, 99), "safety_share_pct": (50, 100)}


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
    staffing: StaffingDefaults = field(default_factory=StaffingDefaults)
    schedule: ScheduleDefaults = field(default_factory=ScheduleDefaults)
    # the plausibility window of every timestamp read ([validation] earliest/latest): a row outside it
    # (.NET's DateTime.MinValue 0001-01-01, Unix time 0, a year-9999 "never") is set aside
    earliest: date = date(1980, 1, 1)
    latest: date = date(2100, 1, 1)
    problems: tuple[str, ...] = ()

    def fingerprint(self) -> str:
        """A short hash of the fields that change prepared data (rollups depend on them)."""
        relevant = {k: v for k, v in asdict(self).items()
                    if k not in ("targets", "problems", "cost_model", "coaching_queues", "holiday_country",
                                 "holiday_subdivision", "special_days", "peak_hours",
                                 "business_hours", "closed_dates", "earliest", "latest", "staffing",
                                 "schedule")}
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
    except (OSError, ValueError, RecursionError) as error:  # TOMLDecodeError, UnicodeDecodeError: ValueErrors
        return Settings(problems=(f"{path.name}: could not be read ({error}); defaults used",))
    return settings_from_dict(raw, source=path.name)


# the dates a setting may name: each is used as a pandas timestamp somewhere, and those span 1677-2262
EARLIEST_DATE = date(1700, 1, 1)
LATEST_DATE = date(2262, 1, 1)
# every key cxdash.toml can carry, by table ("" is the top level; [targets] takes the KPI names of
# cxdash.metrics, each a table of TARGET_KEYS)
KNOWN_KEYS: dict[str, tuple[str, ...]] = {
    "": ("timezone", "metrics", "targets", "calendar", "forecast", "cost_model", "lifetime_value",
         "validation", "staffing", "schedule"),
    "metrics": ("service_level_seconds", "short_abandon_seconds", "service_level_abandons", "csat_method",
                "live_channels", "async_channels", "first_response_seconds"),
    "calendar": ("country", "subdivision", "peak_hours", "special_days"),
    "forecast": ("business_hours", "closed_dates"),
    "cost_model": tuple(CostModel.__dataclass_fields__),
    "lifetime_value": ("coaching_queues",),
    "validation": ("earliest", "latest"),
    "staffing": tuple(StaffingDefaults.__dataclass_fields__),
    "schedule": tuple(ScheduleDefaults.__dataclass_fields__),
}
TARGET_KEYS = ("good", "warn", "low", "high", "warn_low", "warn_high")
SPECIAL_DAY_KEYS = ("name", "start", "end")
_SHOW = reprlib.Repr()
_SHOW.maxstring = _SHOW.maxother = 60
_SHOW.maxlevel = 3


def _show(value) -> str:
    """A value as a problem quotes it: its repr, cut short (a problem names a value, not a whole table)."""
    return _SHOW.repr(value)


@cache
def _duckdb_zones() -> frozenset[str]:
    """The time zone names DuckDB's `set TimeZone` accepts (asked once per process)."""
    from cxdash.db import connect

    con = connect()
    try:
        return frozenset(row[0] for row in con.execute("select name from pg_timezone_names()").fetchall())
    finally:
        con.close()


def valid_timezone(name) -> bool:
    """Whether `name` is a time zone both Python's zoneinfo and DuckDB know. zoneinfo alone also takes
    the tz database's file names ('posix/Europe/Berlin', 'right/UTC', 'localtime'), which DuckDB's
    `set TimeZone` rejects when the store opens."""
    if not isinstance(name, str) or name not in _duckdb_zones():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def _number(value, low: float, high: float) -> float | None:
    """A TOML number as a float when it is finite and within low..high, else None (a boolean, text,
    NaN, infinity or an integer too large for a float is not a number here)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) and low <= number <= high else None


def _date(value) -> date | None:
    """A TOML date or "YYYY-MM-DD" text as a date from EARLIEST_DATE to LATEST_DATE, else None (a date
    with a time of day is not a date here)."""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            return None
    if not isinstance(value, date) or isinstance(value, datetime):
        return None
    return value if EARLIEST_DATE <= value <= LATEST_DATE else None


def _date_text() -> str:
    return f"a date (YYYY-MM-DD) from {EARLIEST_DATE} to {LATEST_DATE}"


def _channels(value, empty_ok: bool) -> tuple[str, ...] | None:
    """A list of channel names (any case) as lower-case channels without repeats, else None."""
    if not isinstance(value, list) or not (value or empty_ok) or \
            not all(isinstance(c, str) and c.strip().lower() in CHANNELS for c in value):
        return None
    return tuple(dict.fromkeys(c.strip().lower() for c in value))


@cache
def _all_paths() -> dict[str, str]:
    """Every known setting's last name -> its full path (`peak_hours` -> `calendar.peak_hours`), for the
    hint when a key sits in the wrong table."""
    from cxdash.metrics import target_names

    paths = {key: f"{table}.{key}" if table else key for table, keys in KNOWN_KEYS.items() for key in keys}
    return {**{name: f"targets.{name}" for name in target_names()}, **paths}


def _known(table: dict, known, prefix: str, source: str, problems: list[str],
           consequence: str = "ignored") -> dict:
    """The table without the keys it cannot carry; each of those is reported with the nearest known key
    ("unknown setting `timezon` (did you mean `timezone`?)")."""
    kept = {}
    for key, value in table.items():
        if key in known:
            kept[key] = value
            continue
        text = str(key)
        close = difflib.get_close_matches(text, list(known), n=1) or \
            [k for k in known if len(text) >= 4 and text.lower() in k]  # `hourly`: loaded_hourly_rate_usd
        if close:
            hint = prefix + close[0]
        else:  # a key of another table: `[metrics] timezone`
            everywhere = _all_paths()
            close = difflib.get_close_matches(text, list(everywhere), n=1, cutoff=0.8)
            hint = everywhere[close[0]] if close else None
        problems.append(f"{source}: unknown setting `{prefix}{text}`"
                        + (f" (did you mean `{hint}`?)" if hint else "") + f"; {consequence}")
    return kept


def _table(value, path: str, source: str, problems: list[str], known=None) -> dict:
    """The table at `path` with only the keys it can carry (the others reported); {} and a problem when
    it is not a table."""
    if not isinstance(value, dict):
        problems.append(f"{source}: {path} must be a table of settings, not {_show(value)}; defaults used")
        return {}
    return value if known is None else _known(value, known, f"{path}.", source, problems)


def settings_from_dict(raw, source: str = SETTINGS_FILE) -> Settings:
    """Build settings from a parsed TOML document, keeping defaults for anything invalid.

    Every key is checked: its name (an unknown one is reported, with the nearest known name), its type
    and its range; each problem is named in `problems` and the default kept. Nothing in the document
    raises: whatever this code did not foresee gives the defaults and a problem, never a stopped app."""
    problems: list[str] = []
    try:
        return replace(Settings(), **_read(raw, source, problems), problems=tuple(problems))
    except Exception as error:  # a safety net: the checks below are meant to leave nothing to reach it
        return Settings(problems=(*problems, f"{source}: the settings could not be applied "
                                             f"({type(error).__name__}: {error}); defaults used"))


def _read(raw, source: str, problems: list[str]) -> dict:
    """The Settings fields the document changes; a problem for everything it gets wrong."""
    settings = Settings()
    if not isinstance(raw, dict):
        problems.append(f"{source}: must be a document of settings, not {_show(raw)}; defaults used")
        return {}
    raw = _known(raw, KNOWN_KEYS[""], "", source, problems)
    changes: dict = {}

    if "timezone" in raw:
        timezone = raw["timezone"]
        if valid_timezone(timezone):
            changes["timezone"] = timezone
        else:
            problems.append(f"{source}: timezone {_show(timezone)} is not an IANA zone name both Python "
                            f"and DuckDB know (such as Europe/Berlin); {settings.timezone} used")

    metrics = _table(raw.get("metrics", {}), "metrics", source, problems, KNOWN_KEYS["metrics"])

    def number(key: str, minimum: float, maximum: float) -> None:
        if key in metrics:
            value = _number(metrics[key], minimum, maximum)
            if value is not None:
                changes[key] = value
            else:
                problems.append(f"{source}: metrics.{key} = {_show(metrics[key])} must be a number in "
                                f"{minimum:g}..{maximum:g}; default {getattr(settings, key):g} used")

    def choice(key: str, allowed: tuple[str, ...]) -> None:
        if key in metrics:
            if isinstance(metrics[key], str) and metrics[key] in allowed:
                changes[key] = metrics[key]
            else:
                problems.append(f"{source}: metrics.{key} = {_show(metrics[key])} must be one of "
                                f"{', '.join(allowed)}; default {getattr(settings, key)} used")

    def channel_list(key: str) -> None:
        if key in metrics:
            channels = _channels(metrics[key], empty_ok=False)
            if channels is not None:
                changes[key] = channels
            else:
                problems.append(f"{source}: metrics.{key} must list channels from "
                                f"{', '.join(CHANNELS)}; default used")

    number("service_level_seconds", 1, 3600)
    number("short_abandon_seconds", 0, 600)
    choice("service_level_abandons", SERVICE_LEVEL_ABANDON_POLICIES)
    choice("csat_method", CSAT_METHODS)
    channel_list("live_channels")
    channel_list("async_channels")

    if "first_response_seconds" in metrics:
        response = metrics["first_response_seconds"]
        year = 366 * 86400.0
        if isinstance(response, dict) and all(
                isinstance(k, str) and k.strip().lower() in CHANNELS and (_number(v, 0, year) or 0) > 0
                for k, v in response.items()):
            # a channel not named keeps its default target rather than dropping out of the KPI
            changes["first_response_seconds"] = {
                **settings.first_response_seconds,
                **{k.strip().lower(): float(v) for k, v in response.items()}}
        else:
            problems.append(f"{source}: metrics.first_response_seconds must map channels to "
                            f"seconds above 0 (at most {year:g}); default used")

    lifetime = _table(raw.get("lifetime_value", {}), "lifetime_value", source, problems,
                      KNOWN_KEYS["lifetime_value"])
    if "coaching_queues" in lifetime:
        coaching = lifetime["coaching_queues"]
        if isinstance(coaching, list) and all(isinstance(q, str) and q.strip() for q in coaching):
            changes["coaching_queues"] = tuple(dict.fromkeys(coaching))
        else:
            problems.append(f"{source}: lifetime_value.coaching_queues must list queue names; "
                            "default used")

    if "calendar" in raw:
        changes.update(_calendar(raw["calendar"], source, problems))
    if "forecast" in raw:
        changes.update(_forecast(raw["forecast"], source, problems))
    if "cost_model" in raw:
        changes["cost_model"] = _cost_model(raw["cost_model"], source, problems)
    if "validation" in raw:
        changes.update(_validation(raw["validation"], source, problems))
    if "staffing" in raw:
        changes["staffing"] = _staffing(raw["staffing"], source, problems)
    if "schedule" in raw:
        changes["schedule"] = _schedule(raw["schedule"], source, problems)
    if "targets" in raw:
        changes["targets"] = _targets(raw["targets"], source, problems)
    return changes


def _targets(raw, source: str, problems: list[str]) -> dict[str, Target]:
    """The [targets] table: KPI name (or a variant's own key, e.g. csat_mean) -> a table of numbers;
    a bad target keeps its default."""
    from cxdash.metrics import target_names

    targets = dict(DEFAULT_TARGETS)
    if not isinstance(raw, dict):
        problems.append(f"{source}: targets must be a table of KPI targets, not {_show(raw)}; "
                        "defaults used")
        return targets
    for name, spec in _known(raw, target_names(), "targets.", source, problems).items():
        if not isinstance(spec, dict):
            problems.append(f"{source}: targets.{name} must be a table of numbers "
                            f"({', '.join(TARGET_KEYS)}), not {_show(spec)}; ignored")
            continue
        spec = _known(spec, TARGET_KEYS, f"targets.{name}.", source, problems)
        values = {key: _number(value, -1e15, 1e15) for key, value in spec.items()}
        bad = [key for key, value in values.items() if value is None]
        if bad:
            problems.append(f"{source}: targets.{name} must be a table of numbers "
                            f"({', '.join(TARGET_KEYS)}): {bad[0]} = {_show(spec[bad[0]])} is not a "
                            "finite number; ignored")
        elif ("low" in values) != ("high" in values) or values.get("low", 0) > values.get("high", 0):
            problems.append(f"{source}: targets.{name} needs both low and high, low not above high; "
                            "ignored")
        elif values:
            targets[name] = Target(**values, source=source)
    return targets


def _validation(raw, source: str, problems: list[str]) -> dict:
    """The [validation] table: the plausibility window of timestamps, earliest before latest."""
    raw = _table(raw, "validation", source, problems, KNOWN_KEYS["validation"])
    window = {"earliest": Settings.earliest, "latest": Settings.latest}
    changes: dict = {}
    for key in ("earliest", "latest"):
        if key in raw:
            value = _date(raw[key])
            if value is None:
                problems.append(f"{source}: validation.{key} = {_show(raw[key])} must be {_date_text()}; "
                                f"default {window[key]} used")
            else:
                window[key] = changes[key] = value
    if window["earliest"] >= window["latest"]:
        problems.append(f"{source}: validation.earliest ({window['earliest']}) must be before "
                        f"validation.latest ({window['latest']}); defaults {Settings.earliest} and "
                        f"{Settings.latest} used")
        return {}
    return changes


def _staffing(raw, source: str, problems: list[str]) -> StaffingDefaults:
    """The [staffing] table: each default a whole percent within its range (STAFFING_RANGES); a bad
    one keeps its default."""
    default = StaffingDefaults()
    raw = _table(raw, "staffing", source, problems, KNOWN_KEYS["staffing"])
    changes: dict = {}
    for key, value in raw.items():
        low, high = STAFFING_RANGES[key]
        number = _number(value, low, high)
        if number is not None and number.is_integer():
            changes[key] = int(number)
        else:
            problems.append(f"{source}: staffing.{key} = {_show(value)} must be a whole number of percent "
                            f"in {low}..{high}; default {getattr(default, key)} used")
    return replace(default, **changes)


def _quarters(value, low: float, high: float) -> float | None:
    """A number of hours within low..high on the quarter hour (the schedule's 15-minute grid), else None."""
    number = _number(value, low, high)
    return number if number is not None and (number * 4).is_integer() else None


def _schedule_value(key: str, value):
    """One [schedule] value as ScheduleDefaults holds it, or None when it is not one."""
    if key in SCHEDULE_RANGES:
        low, high = SCHEDULE_RANGES[key]
        number = _number(value, low, high)
        ok = number is not None and number.is_integer() and (key != "start_grid_minutes" or number % 15 == 0)
        return int(number) if ok else None
    if key in ("min_rest_hours", "time_limit_seconds"):
        return _quarters(value, 0, 24) if key == "min_rest_hours" else _number(value, 1, 600)
    if key == "shift_hours":
        hours = [_quarters(v, 1, 16) for v in value] if isinstance(value, list) and 0 < len(value) <= 8 \
            else [None]
        return None if None in hours else tuple(sorted(set(hours), reverse=True))
    if key in ("full_time_hours", "part_time_hours"):
        pair = [value, value] if not isinstance(value, list) else value
        hours = [_number(v, 0, 168) for v in pair] if len(pair) == 2 else [None]
        return None if None in hours or hours[0] > hours[1] else (hours[0], hours[1])
    if key == "breaks":
        if not isinstance(value, list) or len(value) > 6:
            return None
        rules = [_break_rule(item) for item in value]
        return None if None in rules else tuple(rules)
    return _opening_hours(value)


def _break_rule(item) -> BreakRule | None:
    """A [[schedule.breaks]] entry: name, minutes (a multiple of 15 up to 120), paid (true or false),
    window_hours [earliest, latest] after the shift starts, and min_shift_hours (default 0)."""
    if not isinstance(item, dict) or set(item) - set(BreakRule.__dataclass_fields__):
        return None
    name, minutes, paid = item.get("name"), _number(item.get("minutes"), 15, 120), item.get("paid")
    window = item.get("window_hours")
    window = [_quarters(v, 0, 16) for v in window] if isinstance(window, list) and len(window) == 2 else None
    shortest = _number(item.get("min_shift_hours", 0), 0, 24)
    if not (isinstance(name, str) and 0 < len(name.strip()) <= 40 and minutes is not None
            and minutes % 15 == 0 and isinstance(paid, bool) and window and None not in window
            and window[0] <= window[1] and shortest is not None):
        return None
    return BreakRule(name.strip(), int(minutes), paid, (window[0], window[1]), shortest)


def _opening_hours(value) -> dict[str, tuple[tuple[int, int], ...]] | None:
    """Opening hours by weekday (keys daily, weekdays, weekend, mon..sun; "07:00-22:00" or "closed"),
    each time on the quarter hour; a day not named is closed."""
    if not isinstance(value, dict) or not value or not set(value) <= set(DAY_GROUPS):
        return None
    week: dict[str, tuple[tuple[int, int], ...]] = {day: () for day in WEEKDAY_KEYS}
    try:
        for group, text in value.items():
            for day in DAY_GROUPS[group]:
                week[day] = _hours(text)
    except (ValueError, TypeError, AttributeError):
        return None
    minutes = [m for ranges in week.values() for pair in ranges for m in pair]
    return week if minutes and all(m % 15 == 0 for m in minutes) else None


SCHEDULE_SHAPES = {
    "shift_hours": "a list of up to 8 shift lengths in hours (1..16, on the quarter hour)",
    "start_grid_minutes": "a whole number of minutes, a multiple of 15, in 15..240",
    "breaks": "a list of up to 6 tables { name, minutes (15..120, a multiple of 15), paid (true or "
              "false), window_hours = [earliest, latest] (hours after the start, on the quarter hour), "
              "min_shift_hours }",
    "min_rest_hours": "a number of hours in 0..24 on the quarter hour",
    "full_time_hours": "paid hours a week, one number or [least, most], in 0..168",
    "part_time_hours": "paid hours a week, one number or [least, most], in 0..168",
    "opening_hours": "a table of daily, weekdays, weekend or mon..sun with hours like \"07:00-22:00\" "
                     "or \"closed\", on the quarter hour, open on some day",
    "time_limit_seconds": "a number of seconds in 1..600",
}


def _schedule(raw, source: str, problems: list[str]) -> ScheduleDefaults:
    """The [schedule] table: shift rules, each checked for its type and range; a bad one keeps its
    default, named in a problem."""
    default = ScheduleDefaults()
    raw = _table(raw, "schedule", source, problems, KNOWN_KEYS["schedule"])
    changes: dict = {}
    for key, value in raw.items():
        parsed = _schedule_value(key, value)
        if parsed is not None:
            changes[key] = parsed
            continue
        shape = SCHEDULE_SHAPES.get(key)
        if shape is None:
            low, high = SCHEDULE_RANGES[key]
            shape = f"a whole number in {low}..{high}"
        problems.append(f"{source}: schedule.{key} = {_show(value)} must be {shape}; default used")
    agents = changes.get("agents", default.agents)
    if changes.get("part_time_agents", default.part_time_agents) > agents:
        problems.append(f"{source}: schedule.part_time_agents ({changes['part_time_agents']}) must not "
                        f"exceed schedule.agents ({agents}); default {default.part_time_agents} used")
        changes.pop("part_time_agents")
    return replace(default, **changes)


def _cost_model(raw, source: str, problems: list[str]) -> CostModel:
    """The [cost_model] table: each value checked on its own, a bad one keeps its default."""
    default = CostModel()
    if not isinstance(raw, dict):
        problems.append(f"{source}: cost_model must be a table of settings, not {_show(raw)}; "
                        "defaults used")
        return default
    changes: dict = {}
    for key, value in _known(raw, KNOWN_KEYS["cost_model"], "cost_model.", source, problems).items():
        if key == "telephony_channels":
            channels = _channels(value, empty_ok=True)
            if channels is not None:
                changes[key] = channels
            else:
                problems.append(f"{source}: cost_model.telephony_channels must list channels from "
                                f"{', '.join(CHANNELS)}; default used")
            continue
        # bounded so that every cost computed from them stays a finite number
        low, high = (0.01, 1.0) if key == "occupancy" else (0.0, 1e9)
        number = _number(value, low, high)
        if number is not None:
            changes[key] = number
        else:
            problems.append(f"{source}: cost_model.{key} = {_show(value)} must be a number in "
                            f"{low:g}..{high:g}; default {getattr(default, key):g} used")
    return replace(default, **changes)


def _holiday_subdivisions(code: str | None) -> list[str] | None:
    """The subdivisions the holidays library knows for a country code (aliases too), or None for a
    code it does not know: as holidays.list_supported_countries() says, but loading that one country's
    module only: `holidays.US` loads every country (about 0.12 s of every command)."""
    import importlib.util

    import holidays
    from holidays.registry import COUNTRIES

    found = [(module, names[0]) for module, names in COUNTRIES.items() if code in names[1:]]
    if code is None or not found:
        return None
    module, name = found[0]
    path = Path(holidays.__file__).parent / "countries" / f"{module}.py"
    spec = importlib.util.spec_from_file_location(f"_cxdash_holidays_{module}", path)
    if spec is None or spec.loader is None:  # the library laid out otherwise: its own way
        return list(getattr(holidays, code).subdivisions)
    country = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(country)
    return list(getattr(country, name).subdivisions)


def _calendar(raw, source: str, problems: list[str]) -> dict:
    """The [calendar] table: holiday country and subdivision, peak hours, the user's special days."""
    if not isinstance(raw, dict):
        problems.append(f"{source}: calendar must be a table of settings, not {_show(raw)}; defaults used")
        return {}
    raw = _known(raw, KNOWN_KEYS["calendar"], "calendar.", source, problems)
    changes: dict = {}
    if "country" in raw or "subdivision" in raw:
        country = raw.get("country", Settings.holiday_country)
        subdivision = raw.get("subdivision")
        code = country.strip().upper() if isinstance(country, str) else None
        supported = _holiday_subdivisions(code)
        if supported is None:
            problems.append(f"{source}: calendar.country = {_show(country)} is not a country the holidays "
                            f"library knows (ISO 3166 codes such as US, GB, DE); US used")
        elif subdivision is not None and not (isinstance(subdivision, str)
                                              and subdivision.strip().upper() in supported):
            problems.append(f"{source}: calendar.subdivision = {_show(subdivision)} is not a subdivision "
                            f"of {code}; the country's national holidays used")
            changes.update(holiday_country=code, holiday_subdivision=None)
        else:
            changes.update(holiday_country=code,
                           holiday_subdivision=None if subdivision is None else subdivision.strip().upper())
    if "peak_hours" in raw:
        peak = raw["peak_hours"]
        if isinstance(peak, list) and len(peak) == 2 and \
                all(isinstance(h, int) and not isinstance(h, bool) for h in peak) \
                and 0 <= peak[0] < peak[1] <= 24:
            changes["peak_hours"] = (peak[0], peak[1])
        else:
            problems.append(f"{source}: calendar.peak_hours must be [first hour, end hour] within "
                            "0-24, such as [19, 21]; default used")
    entries = raw.get("special_days", [])
    if not isinstance(entries, list):
        problems.append(f"{source}: calendar.special_days must be a list of {{ name, start, end }} "
                        f"tables, not {_show(entries)}; ignored")
        entries = []
    days = []
    for number, item in enumerate(entries, start=1):
        if isinstance(item, dict):
            item = _known(item, SPECIAL_DAY_KEYS, f"calendar.special_days[{number}].", source, problems)
            name = item.get("name")
            start = _date(item.get("start"))
            end = _date(item.get("end", item.get("start")))
            if isinstance(name, str) and name.strip() and start is not None and end is not None \
                    and start <= end <= start + timedelta(days=366):
                days.append(SpecialDay(name.strip(), start, end))
                continue
        problems.append(f"{source}: calendar.special_days entry {number} needs name, start and "
                        f"end dates (YYYY-MM-DD from {EARLIEST_DATE} to {LATEST_DATE}, end not before "
                        "start and at most a year after it); ignored")
    if days:
        changes["special_days"] = tuple(sorted(days, key=lambda d: d.start))
    return changes


DAY_GROUPS = {"daily": WEEKDAY_KEYS, "weekdays": WEEKDAY_KEYS[:5], "weekend": WEEKDAY_KEYS[5:],
              **{key: (key,) for key in WEEKDAY_KEYS}}


def _hours(text) -> tuple[tuple[int, int], ...]:
    """"07:00-22:00" (or several, comma-separated; "closed"; "24h") as (open minute, close minute)."""
    if not isinstance(text, str):
        raise ValueError(f"not text: {text!r}")
    text = text.strip().lower()
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
            if not (hour.isascii() and hour.isdigit() and minute.isascii() and minute.isdigit()
                    and len(minute) == 2 and len(hour) <= 2 and int(minute) < 60):
                raise ValueError(f"not a time: {clock!r}")
            minutes.append(int(hour) * 60 + int(minute))
        if not 0 <= minutes[0] < minutes[1] <= 1440:
            raise ValueError
        ranges.append((minutes[0], minutes[1]))
    return tuple(ranges)


def _forecast(raw, source: str, problems: list[str]) -> dict:
    """The [forecast] table: business hours by channel and closed dates."""
    if not isinstance(raw, dict):
        problems.append(f"{source}: forecast must be a table of settings, not {_show(raw)}; defaults used")
        return {}
    raw = _known(raw, KNOWN_KEYS["forecast"], "forecast.", source, problems)
    changes: dict = {}
    hours = raw.get("business_hours", {})
    if not isinstance(hours, dict):
        problems.append(f"{source}: forecast.business_hours must be a table of channels, each a table of "
                        f"hours, not {_show(hours)}; ignored (hours learned from the data)")
        hours = {}
    parsed: dict[str, dict[str, tuple[tuple[int, int], ...]]] = {}
    for channel, spec in hours.items():
        if str(channel).lower() not in CHANNELS or not isinstance(spec, dict):
            problems.append(f"{source}: forecast.business_hours.{channel} must be a channel from "
                            f"{', '.join(CHANNELS)} with a table of hours; ignored (hours learned)")
            continue
        where = f"forecast.business_hours.{channel}"
        if len(_known(spec, tuple(DAY_GROUPS), f"{where}.", source, problems,
                      f"{where} ignored (hours learned from the data)")) < len(spec):
            continue
        week: dict[str, tuple[tuple[int, int], ...]] = {day: () for day in WEEKDAY_KEYS}
        try:
            for group, text in spec.items():
                for day in DAY_GROUPS[group]:
                    week[day] = _hours(text)
        except (ValueError, TypeError, AttributeError):
            problems.append(f"{source}: {where} needs keys from daily, "
                            "weekdays, weekend, mon..sun with hours like \"07:00-22:00\" or \"closed\"; "
                            "ignored (hours learned from the data)")
            continue
        parsed[str(channel).lower()] = week
    if parsed:
        changes["business_hours"] = parsed
    items = raw.get("closed_dates", [])
    if not isinstance(items, list):
        problems.append(f"{source}: forecast.closed_dates must be a list of dates, not {_show(items)}; "
                        "ignored")
        items = []
    dates = []
    for item in items:
        day = _date(item)
        if day is None:
            problems.append(f"{source}: forecast.closed_dates entry {_show(item)} is not "
                            f"{_date_text()}; ignored")
        else:
            dates.append(day)
    if dates:
        changes["closed_dates"] = tuple(sorted(set(dates)))
    return changes
