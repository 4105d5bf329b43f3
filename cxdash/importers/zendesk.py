"""Zendesk tickets, ticket metrics and satisfaction ratings into the data contract, joined on the ticket id.

What is read, in any mix of files (a file's kind is told from its keys or columns, never its name):
- JSON as the Support API returns it: `{"tickets": [...]}` (the list endpoint, or the incremental
  export, whose `end_time`, `next_page` and other keys are ignored), `{"ticket_metrics": [...]}`, the
  incremental export's sideloaded `{"metric_sets": [...]}`, `{"satisfaction_ratings": [...]}`, one
  object (`{"ticket": {...}}`), a bare array of records, or one record;
- JSON lines, one record (or one of the documents above) a line;
- CSV with the same fields, nested ones flattened (`via.channel` or `via_channel`,
  `reply_time_in_minutes.calendar`, or a plain `reply_time_in_minutes` read as calendar minutes);
  headers are matched ignoring case, spaces and dots (`Created at` = `created_at`).
A file that holds none of the three kinds raises ValueError naming it. A bad record in a good file (a
line that is not JSON, a CSV row with the wrong number of fields, a timestamp or number that does not
parse, a ticket without an id or created_at) is set aside with its file, row and reason: source_row is
the line (JSON lines, CSV) or the record's position in the file (a JSON document).

Times: the API writes UTC (`2024-03-01T10:00:00Z`). A time without an offset (a CSV from Explore or
a spreadsheet) is read in the mapping's `timezone` (default UTC).

Mapping decisions:
- interaction_id `zd-<id>`; customer_id `zd-user-<requester_id>`; agent_id `zd-agent-<assignee_id>`
  (the rating's assignee when the ticket has none); team `zd-group-<group_id>`; queue, tier and the
  handle times stay null (tickets have none of them).
- channel from via.channel: email, web, web_form, api, mobile, mobile_sdk -> email; chat,
  native_messaging -> chat; voice -> phone; twitter*, facebook*, instagram*, whatsapp -> social;
  sms -> sms; anything else -> email, and a note says which values and how many tickets.
- arrived_at = created_at; answered_at = created_at + reply_time_in_minutes.calendar (the first
  reply), null without one; ended_at = the solve time of a solved or closed ticket (the metric's
  solved_at, else created_at + full_resolution_time_in_minutes.calendar), null while the ticket is
  new, open, pending or on hold (a solve before a reopen is not an end).
- abandoned = False: a ticket is asynchronous, nobody hangs up on a queue.
- resolved_first_contact = Zendesk's "one-touch" resolution: solved with no reopen and at most one
  agent reply (reopens == 0 and replies <= 1); null without a metric record and while not solved.
- csat_score: good -> 5, bad -> 1; offered and unoffered (a survey sent or not, never answered) ->
  null. Zendesk's ratings have two values; scored 5 and 1, top-2-box (ratings of 4-5 / all ratings)
  and good / (good + bad) both give good / (good + bad), Zendesk's own satisfaction score, so
  csat_method "top2box" and "good_bad" read the same number. Under "mean" the average is
  1 + 4 x that share, and a note says so. A rating record wins over the ticket's inline
  `satisfaction_rating`, which is used when the export has no rating record for the ticket.
- source_updated_at = the ticket's updated_at. Zendesk moves a ticket's updated_at when its metrics
  or rating change, and keeping the ticket's own version means two copies of one ticket in an export
  are ordered by the ticket alone, whatever metric or rating was joined to them.
- A ticket with status `deleted` is set aside ("deleted ticket"), and so is one whose solve time is
  before its created_at (validate would refuse the row).

Counting (read = new + updated + unchanged + superseded + merged + set aside): every ticket, metric and
rating record is read (and every malformed line or unknown record). A metric or rating folded into its
ticket counts as merged; an older copy of a ticket's metric or rating (by updated_at) as superseded;
one whose ticket is not in this import is set aside ("rating for ticket 123 not in this export").
Metrics and ratings are joined only to tickets of the same import: import them together. Tickets
imported later without their metrics (or ratings) keep the first reply, solve time and resolution
(or rating) already stored: those columns are not carried by such an import (core.Parsed.not_carried).
"""

from __future__ import annotations

import csv
import functools
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from cxdash.importers.core import (
    MappingFile,
    Parsed,
    Source,
    empty_set_aside,
    flag,
    mapping_zone,
    parse_times,
)
from cxdash.settings import Settings

RECORD_TEXT_LIMIT = 2_000  # characters of a set-aside record kept for reading

LIST_KEYS = {"tickets": "ticket", "ticket_metrics": "metric", "metric_sets": "metric",
             "satisfaction_ratings": "rating"}
ONE_KEYS = {"ticket": "ticket", "ticket_metric": "metric", "satisfaction_rating": "rating"}
TICKET_FIELDS = ("via_channel", "status", "requester_id", "submitter_id", "assignee_id", "group_id",
                 "subject")
METRIC_FIELDS = ("reply_time_in_minutes", "first_resolution_time_in_minutes",
                 "full_resolution_time_in_minutes", "replies", "reopens", "solved_at")
# flattened CSV headers that name the same field as the API's nested one
ALIASES = {
    "via": "via_channel",
    "reply_time_in_minutes": "reply_time_in_minutes_calendar",
    "first_reply_time_in_minutes": "reply_time_in_minutes_calendar",
    "full_resolution_time_in_minutes": "full_resolution_time_in_minutes_calendar",
    "satisfaction_score": "satisfaction_rating_score",
}
# the (flattened) fields read; a nested object is entered only when it holds one of them
USED = frozenset({
    "id", "created_at", "updated_at", "status", "via_channel", "assignee_id", "group_id", "requester_id",
    "submitter_id", "subject", "satisfaction_rating_score", "ticket_id", "score", "solved_at", "reopens",
    "replies", "reply_time_in_minutes_calendar", "first_resolution_time_in_minutes_calendar",
    "full_resolution_time_in_minutes_calendar"})
NESTED = frozenset(name[:i] for name in USED for i, char in enumerate(name) if char == "_")
SNAKE = USED | NESTED | frozenset(ALIASES)
METRIC_KEYS = frozenset(name for name in USED if name.startswith(METRIC_FIELDS))
WRAPPER_KEYS = frozenset(LIST_KEYS) | frozenset(ONE_KEYS)
CHANNELS = {"email": "email", "web": "email", "web_form": "email", "api": "email", "mobile": "email",
            "mobile_sdk": "email", "chat": "chat", "native_messaging": "chat", "voice": "phone",
            "whatsapp": "social", "sms": "sms"}
SOCIAL_PREFIXES = ("twitter", "facebook", "instagram", "whatsapp")
NOT_SOLVED = ("new", "open", "pending", "hold")
SCORES = {"good": 5.0, "bad": 1.0}


def channel_of(via: str | None) -> str | None:
    """The contract channel of a ticket's via.channel; None when cxdash has no name for it."""
    value = (via or "").strip().lower()
    if value in CHANNELS:
        return CHANNELS[value]
    if value.startswith(SOCIAL_PREFIXES):
        return "social"
    return None


# --- reading the files -----------------------------------------------------------------------------

@dataclass
class _Records:
    """What the files hold: records by kind (file, row, flat record, original), and what was set aside."""

    kinds: dict[str, list] = field(default_factory=lambda: {"ticket": [], "metric": [], "rating": []})
    set_aside: list[dict] = field(default_factory=list)
    read: int = 0

    def add(self, file: str, row: int, kind: str, flat: dict, original) -> None:
        self.kinds[kind].append((file, row, flat, original))
        self.read += 1

    def reject(self, file: str, row: int, reason: str, record: str) -> None:
        self.set_aside.append({"source_file": file, "source_row": int(row), "reason": reason,
                               "record": record[:RECORD_TEXT_LIMIT]})
        self.read += 1


@functools.lru_cache(maxsize=4096)  # the same few keys, record after record
def _column(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", str(name).strip().lower()).strip("_")


def _flatten(record: dict, prefix: str = "") -> dict:
    """The fields the importer uses of a record, nested objects flattened (`via.channel` ->
    `via_channel`) and names normalised; the rest (comments, tags, custom fields) is skipped."""
    flat = {}
    for key, value in record.items():
        name = prefix + key if isinstance(key, str) else str(key)
        if name not in SNAKE:  # the API's keys are snake_case already
            name = _column(name)
        if isinstance(value, dict):
            if name in NESTED:
                flat.update(_flatten(value, name + "_"))
            continue
        name = ALIASES.get(name, name)
        if name in USED:
            flat[name] = None if value == "" else value
    return flat


def _kind(names) -> str | None:
    """ticket, metric or rating, from a record's (flattened) keys or a CSV's columns."""
    if "score" in names and "ticket_id" in names:
        return "rating"
    if "ticket_id" in names:
        return "metric" if not METRIC_KEYS.isdisjoint(names) else None
    return "ticket" if any(name in names for name in TICKET_FIELDS) else None


def _text(value) -> str:
    return json.dumps(value, default=str, ensure_ascii=False)


def _take(out: _Records, file: str, row: int, item, kind: str | None) -> bool:
    """Add one record (of a known kind, or told from its keys); False when it is none of the three."""
    if not isinstance(item, dict):
        out.reject(file, row, "not a JSON object", _text(item))
        return False
    flat = _flatten(item)
    kind = kind or _kind(flat)
    if kind is None:
        out.reject(file, row, "not a Zendesk ticket, ticket metric or satisfaction rating", _text(item))
        return False
    out.add(file, row, kind, flat, item)
    return True


def _wrapped(document) -> list[tuple[str, object]] | None:
    """The (kind, record) pairs of an API response document; None when it is not one."""
    if not isinstance(document, dict) or WRAPPER_KEYS.isdisjoint(document):
        return None
    pairs = [(kind, item) for key, kind in LIST_KEYS.items() if isinstance(document.get(key), list)
             for item in document[key]]
    found = any(isinstance(document.get(key), list) for key in LIST_KEYS)
    if not any(key in document for key in ("id", "ticket_id", "created_at", "status", "via", "score")):
        # {"ticket": {...}} from a show endpoint, not a ticket with an inline satisfaction_rating
        for key, kind in ONE_KEYS.items():
            if isinstance(document.get(key), dict):
                pairs.append((kind, document[key]))
                found = True
    return pairs if found else None


def _read_json(path: Path, text: str, out: _Records) -> bool:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        return _read_json_lines(path, text, out, error)
    pairs = _wrapped(document)
    if pairs is not None:
        for row, (kind, item) in enumerate(pairs, start=1):
            _take(out, path.name, row, item, kind)
        return True
    items = document if isinstance(document, list) else [document]
    recognised = [_take(out, path.name, row, item, None) for row, item in enumerate(items, start=1)]
    return any(recognised) or not items


def _read_json_lines(path: Path, text: str, out: _Records, error: json.JSONDecodeError) -> bool:
    lines = [(number, line) for number, line in enumerate(text.splitlines(), start=1) if line.strip()]
    parsed = []
    for number, line in lines:
        try:
            parsed.append((number, line, json.loads(line), None))
        except json.JSONDecodeError as line_error:
            parsed.append((number, line, None, line_error.msg))
    if 2 * sum(problem is None for *_, problem in parsed) < len(parsed):
        # not JSON lines but one broken document: one record, set aside where it breaks
        out.reject(path.name, error.lineno, f"not valid JSON ({error.msg})", text)
        return True
    recognised = False
    for number, line, value, problem in parsed:
        if problem is not None:
            out.reject(path.name, number, f"not valid JSON ({problem})", line)
            continue
        pairs = _wrapped(value)
        if pairs is not None:
            recognised = True
            for kind, item in pairs:
                _take(out, path.name, number, item, kind)
        else:
            recognised |= _take(out, path.name, number, value, None)
    return recognised


def _read_csv(path: Path, text: str, out: _Records) -> bool:
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None) or []
    names = [ALIASES.get(_column(name), _column(name)) for name in header]
    kind = _kind(set(names))
    if kind is None:
        return False
    line = reader.line_num
    while True:
        start = line + 1
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            line = reader.line_num
            out.reject(path.name, start, f"not a CSV row ({error})", "")
            continue
        line = reader.line_num
        if not any(value.strip() for value in values):
            continue
        if len(values) != len(names):
            buffer = io.StringIO()
            csv.writer(buffer).writerow(values)
            out.reject(path.name, start, f"expected {len(names)} fields, found {len(values)}",
                       buffer.getvalue().rstrip("\r\n"))
            continue
        flat = {name: (value if value.strip() else None) for name, value in zip(names, values, strict=True)}
        out.add(path.name, start, kind, flat, dict(zip(header, values, strict=True)))
    return True


def _read(path: Path, out: _Records) -> None:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError(f"{path.name}: not a Zendesk export (not UTF-8 text: expected JSON, JSON lines "
                         "or CSV of tickets, ticket metrics or satisfaction ratings)") from None
    start = text.lstrip()[:1]
    if not start:
        return  # an empty file holds nothing to read
    recognised = _read_json(path, text, out) if start in "[{" else _read_csv(path, text, out)
    if not recognised:
        raise ValueError(f"{path.name}: not a Zendesk export: no tickets, ticket metrics or satisfaction "
                         "ratings in it (told from the keys or columns: tickets need id, created_at, "
                         "via/status/requester_id...; metrics ticket_id and reply_time_in_minutes...; "
                         "ratings ticket_id and score)")


# --- typing the values -----------------------------------------------------------------------------



def _ident(value) -> str | None:
    """An id as text: 123, 123.0 and "123" are all "123"; None when empty."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if value is None or value == "" or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return re.sub(r"^(\d+)\.0+$", r"\1", text) or None


def _score(score: str | None) -> float | None:
    """5.0 for good, 1.0 for bad (and their _with_comment variants), NaN for a survey offered or not
    offered but never answered; None when the score is none of these."""
    if score in ("offered", "unoffered"):
        return np.nan
    return next((value for name, value in SCORES.items() if score and score.startswith(name)), None)


def _lower(value) -> str | None:
    return None if value is None else str(value).strip().lower() or None






def _times(frame: pd.DataFrame, column: str, zone: str, reasons: pd.Series) -> pd.Series:
    return parse_times(frame[column], zone, reasons, column)


def _numbers(frame: pd.DataFrame, column: str, label: str, reasons: pd.Series) -> pd.Series:
    values = pd.to_numeric(frame[column].astype(object), errors="coerce").astype("float64")
    flag(reasons, frame[column].notna() & values.isna(), f"{label}: not a number")
    flag(reasons, values < 0, f"{label}: negative")
    return values


def _frame(entries: list, fields: dict) -> pd.DataFrame:
    """One column per field ({name: (flattened key, conversion)}), plus where each record came from."""
    data = {"source_file": [e[0] for e in entries], "source_row": [e[1] for e in entries],
            "original": [e[3] for e in entries]}
    for name, (key, convert) in fields.items():
        data[name] = [convert(e[2].get(key)) for e in entries]
    return pd.DataFrame({name: pd.Series(values, dtype=object) for name, values in data.items()})


def _aside(frame: pd.DataFrame, reasons: pd.Series) -> list[dict]:
    bad = frame[reasons != ""]
    return [{"source_file": file, "source_row": int(row), "reason": reason,
             "record": _text(original)[:RECORD_TEXT_LIMIT]}
            for file, row, reason, original in zip(bad["source_file"], bad["source_row"],
                                                   reasons[reasons != ""], bad["original"], strict=True)]


def _as_is(value):
    return value


# --- the join --------------------------------------------------------------------------------------

def _tickets(entries: list, zone: str) -> tuple[pd.DataFrame, list[dict], set[str]]:
    """The usable tickets (typed), the set-aside ones, and the ids of tickets set aside."""
    frame = _frame(entries, {
        "id": ("id", _ident), "created_at": ("created_at", _as_is),
        "updated_at": ("updated_at", _as_is), "status": ("status", _lower),
        "via": ("via_channel", _lower), "assignee_id": ("assignee_id", _ident),
        "group_id": ("group_id", _ident), "requester_id": ("requester_id", _ident),
        "inline_score": ("satisfaction_rating_score", _lower)})
    reasons = pd.Series("", index=frame.index, dtype=object)
    flag(reasons, frame["id"].isna(), "ticket without an id")
    flag(reasons, frame["created_at"].isna(), "ticket without created_at")
    flag(reasons, frame["status"] == "deleted", "deleted ticket")
    frame["created"] = _times(frame, "created_at", zone, reasons)
    frame["updated"] = _times(frame, "updated_at", zone, reasons)
    bad = reasons != ""
    return frame[~bad], _aside(frame, reasons), set(frame.loc[bad, "id"].dropna())


def _fold(frame: pd.DataFrame, reasons: pd.Series, version: pd.Series, kind: str, tickets: set[str],
          dropped: set[str]) -> tuple[pd.DataFrame, list[dict], int, int]:
    """The newest usable record of each ticket in the export; the others set aside or superseded.
    Returns the records by ticket id, the set-aside ones, how many were merged and superseded."""
    orphan = frame["ticket_id"].notna() & ~frame["ticket_id"].isin(tickets) & (reasons == "")
    reasons[orphan] = [f"{kind} for ticket {ticket}, whose ticket was set aside" if ticket in dropped
                       else f"{kind} for ticket {ticket} not in this export"
                       for ticket in frame.loc[orphan, "ticket_id"]]
    usable = frame[reasons == ""].assign(version=version[reasons == ""])
    usable = usable.sort_values("version", na_position="first", kind="stable")
    latest = ~usable["ticket_id"].duplicated(keep="last")
    newest = usable[latest].set_index("ticket_id")
    return newest, _aside(frame, reasons), int(latest.sum()), int((~latest).sum())


def _metrics(entries: list, zone: str, tickets: set[str], dropped: set[str]):
    frame = _frame(entries, {
        "ticket_id": ("ticket_id", _ident), "updated_at": ("updated_at", _as_is),
        "solved_at": ("solved_at", _as_is), "reply": ("reply_time_in_minutes_calendar", _as_is),
        "full": ("full_resolution_time_in_minutes_calendar", _as_is),
        "reopens": ("reopens", _as_is), "replies": ("replies", _as_is)})
    reasons = pd.Series("", index=frame.index, dtype=object)
    flag(reasons, frame["ticket_id"].isna(), "ticket metric without a ticket_id")
    frame["reply"] = _numbers(frame, "reply", "reply_time_in_minutes.calendar", reasons)
    frame["full"] = _numbers(frame, "full", "full_resolution_time_in_minutes.calendar", reasons)
    frame["reopens"] = _numbers(frame, "reopens", "reopens", reasons)
    frame["replies"] = _numbers(frame, "replies", "replies", reasons)
    frame["solved"] = _times(frame, "solved_at", zone, reasons)
    version = _times(frame, "updated_at", zone, reasons)
    return _fold(frame, reasons, version, "metric", tickets, dropped)


def _ratings(entries: list, zone: str, tickets: set[str], dropped: set[str]):
    frame = _frame(entries, {
        "ticket_id": ("ticket_id", _ident), "score": ("score", _lower),
        "assignee_id": ("assignee_id", _ident), "created_at": ("created_at", _as_is),
        "updated_at": ("updated_at", _as_is)})
    reasons = pd.Series("", index=frame.index, dtype=object)
    flag(reasons, frame["ticket_id"].isna(), "rating without a ticket_id")
    known = frame["score"].map(lambda score: _score(score) is not None)
    flag(reasons, ~known.astype(bool), "rating score not one of good, bad, offered, unoffered")
    frame["csat"] = frame["score"].map(_score).astype("float64")
    version = _times(frame, "updated_at", zone, reasons)
    version = version.fillna(_times(frame, "created_at", zone, reasons))
    return _fold(frame, reasons, version, "rating", tickets, dropped)


def parse(paths: list[Path], settings: Settings, mapping: dict | None = None) -> Parsed:
    """Read Zendesk exports (tickets, ticket metrics, satisfaction ratings) into contract rows."""
    zone = mapping_zone(mapping)
    out = _Records()
    for path in paths:
        _read(Path(path), out)

    tickets, aside, dropped = _tickets(out.kinds["ticket"], zone)
    ids = set(tickets["id"])
    metrics, metric_aside, metric_merged, metric_older = _metrics(out.kinds["metric"], zone, ids, dropped)
    ratings, rating_aside, rating_merged, rating_older = _ratings(out.kinds["rating"], zone, ids, dropped)

    ticket = tickets["id"]
    status = tickets["status"]
    created = tickets["created"]

    def joined(records: pd.DataFrame, column: str) -> pd.Series:
        """A column of the metric or rating of each ticket (null without one), in the ticket's row."""
        return records[column].reindex(ticket.to_numpy()).set_axis(tickets.index)

    answered = created + pd.to_timedelta(joined(metrics, "reply"), unit="min")
    solved = joined(metrics, "solved").fillna(created + pd.to_timedelta(joined(metrics, "full"), unit="min"))
    ended = solved.where(~status.isin(NOT_SOLVED))
    # a solve before the ticket was created cannot be imported (validate refuses it): set aside
    backwards = (ended < created).fillna(False).astype(bool)
    aside += _aside(tickets, pd.Series(np.where(backwards, "ticket solved before it was created", ""),
                                       index=tickets.index, dtype=object))

    reopens, replies = joined(metrics, "reopens"), joined(metrics, "replies")
    known = ticket.isin(metrics.index) & reopens.notna() & replies.notna() & ~status.isin(NOT_SOLVED)
    first_contact = pd.Series(pd.NA, index=tickets.index, dtype="boolean")
    first_contact[known] = (reopens[known] == 0) & (replies[known] <= 1)

    inline = tickets["inline_score"].map(lambda score: _score(score) or np.nan).astype("float64")
    csat = joined(ratings, "csat").astype("float64").where(ticket.isin(ratings.index), inline)
    agent = tickets["assignee_id"].where(tickets["assignee_id"].notna(), joined(ratings, "assignee_id"))

    channel = tickets["via"].map(channel_of)
    notes = []
    unknown = tickets["via"][channel.isna()].fillna("(none)")
    if len(unknown):
        values = ", ".join(f"{value} ({count:,})" for value, count in unknown.value_counts().items())
        notes.append(f"{len(unknown):,} ticket(s) came in through channels cxdash has no name for, "
                     f"counted as email: {values}")
    if settings.csat_method == "mean":
        notes.append("Zendesk ratings are good or bad (read as 5 and 1): under csat_method 'mean' the "
                     "average is 1 + 4 x the good share; csat_method 'good_bad' shows the share itself")

    def prefixed(prefix: str, values: pd.Series) -> pd.Series:
        return prefix + values.astype("string")

    rows = pd.DataFrame({
        "interaction_id": prefixed("zd-", ticket),
        "channel": channel.fillna("email"),
        "arrived_at": created,
        "answered_at": answered,
        "ended_at": ended,
        "abandoned": pd.Series(False, index=tickets.index, dtype="boolean"),
        "agent_id": prefixed("zd-agent-", agent),
        "team": prefixed("zd-group-", tickets["group_id"]),
        "resolved_first_contact": first_contact,
        "csat_score": csat,
        "customer_id": prefixed("zd-user-", tickets["requester_id"]),
        "source_updated_at": tickets["updated"],
        "source_file": tickets["source_file"].astype(str),
        "source_row": tickets["source_row"].astype("int64"),
    })[~backwards].reset_index(drop=True)

    records = out.set_aside + aside + metric_aside + rating_aside
    set_aside = (pd.DataFrame(records, columns=["source_file", "source_row", "reason", "record"])
                 .astype({"source_row": "int64"}) if records else empty_set_aside())
    # what a kind of file absent from this import would have filled is not erased from stored tickets
    not_carried = ((() if out.kinds["metric"] else ("answered_at", "ended_at", "resolved_first_contact"))
                   + (() if out.kinds["rating"] else ("csat_score",)))
    return Parsed(SOURCE.name, rows, set_aside, records_read=out.read, merged=metric_merged + rating_merged,
                  superseded=metric_older + rating_older, notes=notes, not_carried=not_carried)


# the source, declared once: the command line, the upload checks and the Import page read it here
SOURCE = Source(
    name="zendesk",
    label="Zendesk tickets, ticket metrics and satisfaction ratings (JSON or CSV)",
    parse=parse,
    extensions=("json", "jsonl", "csv"),
    hint=("The tickets export, with the ticket metrics and satisfaction ratings exports if you have them: "
         "upload them together."),
    mapping=MappingFile(required=False,
                        purpose="Only for times written without an offset (a CSV from Explore or a "
                                "spreadsheet): the time zone they are in (default UTC).",
                        example='timezone = "America/New_York"\n'),
    doc=__doc__,
)
