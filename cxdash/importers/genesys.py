"""Genesys Cloud conversation details (`POST /api/v2/analytics/conversations/details/query`, or the
results of an analytics conversation details job) turned into the data contract.

Accepted files: a response `{"conversations": [...]}` (several pages may be concatenated in one file),
a JSON array of conversations, or JSON lines with one conversation (or one page) per line. A file
with no conversation in it at all raises ValueError; a bad line or record is set aside.

How a conversation becomes one contact (field names as in the API: conversation `conversationId,
conversationStart, conversationEnd, originatingDirection, participants[], surveys[], resolutions[]`;
participant `purpose, participantName, userId, teamId, externalContactId, sessions[]`; session
`mediaType, messageType, direction, ani, metrics[{name, value (ms), emitDate}], segments[{segmentStart,
segmentEnd, segmentType, queueId, disconnectType}]`):

- one contact per conversation; interaction_id = conversationId.
- inbound only: originatingDirection (else the customer session's direction) other than inbound is set
  aside "outbound conversation"; a conversation with no customer/external participant is set aside
  "internal conversation"; one without conversationEnd is set aside "in progress" (a later export
  brings it in).
- channel from the customer's first session mediaType: voice and callback -> phone, chat -> chat,
  email -> email, message -> sms when messageType is sms, social when it is a social network
  (facebook, twitter, instagram, line, whatsapp, ...), chat otherwise (web messaging, open messaging);
  other media (video, cobrowse, screenshare) are set aside.
- arrived_at = start of the first segment of the first acd (queue) participant, else conversationStart.
- queue = the name given for its queueId in the mapping's [queues] table, else the acd participant's
  participantName (Genesys names the acd participant after the queue), else the queueId.
- the agents who handled it = agent/user participants with an interact segment (an agent who was only
  alerted, e.g. not responding, did not handle it). answered_at = the first such interact segment's start;
  agent_id = that agent's userId; team = that participant's teamId.
- abandoned = reached a queue and no agent handled it.
- a conversation that reached neither a queue nor an agent is self-service (channel self_service) when
  Genesys marks it selfServed, else it is set aside "ended before reaching a queue or an agent".
- ended_at = for live channels (settings.live_channels), when the customer left (the customer
  participant's last segmentEnd); otherwise, or when that is unknown, conversationEnd (which includes
  the agents' after-call work).
- talk/hold/wrap = the sum over the handling agents of tTalk, tHeld and tAcw (ms -> s); for an agent
  without such a metric, the durations of its interact, hold and wrapup segments. Null when unanswered.
- transfers: every agent stays in the one contact; tier = the number of distinct agents who handled it,
  capped at 3 (a proxy: each hand-over is taken as an escalation to the next tier).
- resolved_first_contact = Genesys's own resolution (resolutions[].nNextContactAvoided: the customer did
  not contact again within the resolution window) when the export has it; otherwise a proxy: handled by
  one agent and not transferred (no agent segment ended with disconnectType transfer). Null if unanswered.
- nps_score = the latest survey's surveyPromoterScore; csat_score and ces_score stay empty (the details
  carry no 1-5 or 1-7 answer, and oSurveyTotalScore is a form score, not a CSAT).
- customer_id = the customer's externalContactId, else a hash of the caller's number or address
  ("gen-" + 16 hex digits of SHA-256): pseudonymous, and the same caller gets the same id every import.
- source_updated_at (the record's version) = the latest of conversationEnd, segmentEnd, metric emitDate
  and survey/resolution times, so a conversation exported again with a survey added replaces the old one.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from cxdash.importers.core import MappingFile, Parsed, Source, empty_set_aside
from cxdash.settings import Settings

MEDIA_CHANNELS = {"voice": "phone", "callback": "phone", "chat": "chat", "webchat": "chat", "email": "email"}
SMS_MESSAGE_TYPES = {"sms"}
SOCIAL_MESSAGE_TYPES = {"facebook", "twitter", "x", "instagram", "line", "whatsapp", "telegram", "kakao",
                        "apple", "wechat", "viber", "googlebusinessmessages"}
CUSTOMER_PURPOSES = ("customer", "external")
AGENT_PURPOSES = ("agent", "user")
# contract column, the agent session's metric (ms), the segment type measured when the metric is absent
HANDLE_PARTS = (("talk_seconds", "tTalk", "interact"), ("hold_seconds", "tHeld", "hold"),
                ("wrap_seconds", "tAcw", "wrapup"))
PAGE_KEYS = {"totalHits", "cursor", "dataAvailabilityDate", "state", "errorMessage"}
ROW_COLUMNS = ["interaction_id", "channel", "arrived_at", "queue", "answered_at", "ended_at", "abandoned",
               "talk_seconds", "hold_seconds", "wrap_seconds", "agent_id", "team", "tier",
               "resolved_first_contact", "csat_score", "nps_score", "ces_score", "customer_id",
               "source_updated_at", "source_file", "source_row"]


def parse(paths: list[Path], settings: Settings, mapping: dict | None = None) -> Parsed:
    """Read Genesys Cloud conversation details files: one row per inbound customer conversation."""
    queues = _queue_names(mapping)
    rows, aside, read = [], [], 0
    for path in paths:
        path = Path(path)
        for row_number, record, raw in _records(path):
            read += 1
            if isinstance(record, str):  # a reason: the record could not be read as a conversation
                aside.append((path.name, row_number, record, raw))
                continue
            contact = _contact(record, settings, queues)
            if isinstance(contact, str):
                aside.append((path.name, row_number, contact, raw))
            else:
                rows.append({**contact, "source_file": path.name, "source_row": row_number})
    set_aside = (pd.DataFrame(aside, columns=["source_file", "source_row", "reason", "record"])
                 .astype({"source_row": "int64"}) if aside else empty_set_aside())
    notes = [] if not mapping else [f"mapping: {key} is not used by the genesys importer"
                                    for key in mapping if key != "queues"]
    return Parsed(SOURCE.name, pd.DataFrame(rows, columns=ROW_COLUMNS), set_aside, records_read=read,
                  notes=notes)


def _queue_names(mapping: dict | None) -> dict[str, str]:
    queues = (mapping or {}).get("queues", {})
    if not isinstance(queues, dict):
        raise ValueError("mapping: [queues] must map Genesys queue ids to queue names")
    return {str(key): str(value) for key, value in queues.items()}


# --- reading the files -----------------------------------------------------------------------------

def _documents(text: str) -> Iterator[tuple[int, object, str]]:
    """Every JSON document in the text (one, several concatenated, or one per line), with the line it
    starts on; a fragment that is not JSON comes back as a NotJson up to the end of its line."""
    decoder = json.JSONDecoder()
    position, line, counted = 0, 1, 0
    while True:
        while position < len(text) and text[position] in " \t\r\n":
            position += 1
        if position >= len(text):
            return
        line += text.count("\n", counted, position)
        counted = position
        try:
            document, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError:
            end = text.find("\n", position)
            end = len(text) if end < 0 else end
            document = _NotJson()
        yield line, document, text[position:end]
        position = end


class _NotJson:
    pass


def _records(path: Path) -> Iterator[tuple[int, dict | str, str]]:
    """(row number, conversation or the reason it is not one, raw text) for every record of a file.
    Raises ValueError when nothing in the file is a Genesys conversation."""
    try:
        text = path.read_text(encoding="utf-8-sig", errors="replace")
    except OSError as error:
        raise ValueError(f"{path.name}: cannot be read ({error})") from error
    found, problems, ordinal = False, [], 0
    for line, document, raw in _documents(text):
        if isinstance(document, _NotJson):
            problems.append((line, "not valid JSON", raw))
            continue
        single = len(raw.splitlines()) <= 1  # a JSON-lines record: its row number is its line
        if isinstance(document, dict) and "conversations" in document:
            items = document["conversations"]
            if not isinstance(items, list):
                problems.append((line, "\"conversations\" is not a list", raw))
                continue
        elif isinstance(document, dict) and "conversationId" in document:
            items = [document]
        elif isinstance(document, list):
            items = document
        elif isinstance(document, dict) and document and set(document) <= PAGE_KEYS:
            continue  # an empty page (no conversations in the interval) or a job's status
        else:
            problems.append((line, "not a Genesys conversation (no conversationId)", raw))
            continue
        for item in items:
            ordinal += 1
            number = line if single and len(items) == 1 else ordinal
            item_raw = raw if len(items) == 1 else json.dumps(item, ensure_ascii=False)
            if isinstance(item, dict) and "conversationId" in item:
                found = True
                yield number, item, item_raw
            else:
                problems.append((number, "not a Genesys conversation (no conversationId)", item_raw))
    if problems and not found:
        raise ValueError(f"{path.name}: not a Genesys Cloud conversation details export (expected "
                         "JSON with \"conversations\": [...], or JSON lines of conversations with a "
                         "conversationId)")
    yield from problems


# --- one conversation ------------------------------------------------------------------------------

def _time(value) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _list(value) -> list[dict]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _sessions(participant: dict) -> list[dict]:
    return _list(participant.get("sessions"))


def _segments(participant: dict) -> list[dict]:
    return [segment for session in _sessions(participant) for segment in _list(session.get("segments"))]


def _segment_type(segment: dict) -> str:
    return str(segment.get("segmentType") or "").lower()


def _metric_ms(participant: dict, name: str) -> float | None:
    """The sum of a metric over a participant's sessions (ms), None when it never appears."""
    values = [metric.get("value") for session in _sessions(participant)
              for metric in _list(session.get("metrics")) if metric.get("name") == name]
    numbers = [float(v) for v in values
               if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) and v >= 0]
    return sum(numbers) if numbers else None


def _segment_ms(participant: dict, kind: str) -> float:
    total = 0.0
    for segment in _segments(participant):
        start, end = _time(segment.get("segmentStart")), _time(segment.get("segmentEnd"))
        if _segment_type(segment) == kind and start is not None and end is not None and end > start:
            total += (end - start).total_seconds() * 1000
    return total


def _first_start(participant: dict, kind: str | None = None) -> datetime | None:
    starts = [_time(s.get("segmentStart")) for s in _segments(participant)
              if kind is None or _segment_type(s) == kind]
    starts = [start for start in starts if start is not None]
    return min(starts) if starts else None


def _channel(customer: dict) -> str | None:
    """The contract channel of the customer's media, or a reason (starting with '!') it has none."""
    session = next((s for s in _sessions(customer) if s.get("mediaType")), None)
    if session is None:
        return "!no mediaType on the customer's session"
    media = str(session["mediaType"]).lower()
    if media == "message":
        kind = str(session.get("messageType") or "").lower()
        if kind in SMS_MESSAGE_TYPES:
            return "sms"
        return "social" if kind in SOCIAL_MESSAGE_TYPES else "chat"
    return MEDIA_CHANNELS.get(media, f"!media type {media} is not a contract channel")


def _customer_id(customer: dict) -> str | None:
    if customer.get("externalContactId"):
        return str(customer["externalContactId"])
    for session in _sessions(customer):
        address = session.get("ani") or session.get("addressFrom")
        if isinstance(address, str) and address.strip():
            address = address.strip().lower().removeprefix("tel:").removeprefix("sip:")
            return "gen-" + hashlib.sha256(address.encode()).hexdigest()[:16]
    return None


def _version(conversation: dict, end: datetime) -> datetime:
    """The latest moment the conversation's record says anything about: its version."""
    moments = [end]
    for participant in _list(conversation.get("participants")):
        moments += [_time(s.get("segmentEnd")) for s in _segments(participant)]
        moments += [_time(m.get("emitDate")) for session in _sessions(participant)
                    for m in _list(session.get("metrics"))]
    for survey in _list(conversation.get("surveys")):
        moments += [_time(survey.get("eventTime")), _time(survey.get("surveyCompletedDate"))]
    moments += [_time(r.get("eventTime")) for r in _list(conversation.get("resolutions"))]
    return max(m for m in moments if m is not None)


def _nps(conversation: dict) -> int | None:
    surveys = [s for s in _list(conversation.get("surveys"))
               if isinstance(s.get("surveyPromoterScore"), int | float)
               and not isinstance(s.get("surveyPromoterScore"), bool)]
    if not surveys:
        return None
    floor = datetime.min.replace(tzinfo=UTC)
    latest = max(surveys, key=lambda s: _time(s.get("surveyCompletedDate")) or _time(s.get("eventTime"))
                 or floor)
    return latest["surveyPromoterScore"]


def _resolved(conversation: dict) -> bool | None:
    """Genesys's resolution (next contact avoided), when the export carries it."""
    values = [r.get("nNextContactAvoided") for r in _list(conversation.get("resolutions"))]
    values = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    return max(values) > 0 if values else None


def _contact(conversation: dict, settings: Settings, queues: dict[str, str]) -> dict | str:
    """The contract row of one conversation, or the reason it is set aside."""
    conversation_id = conversation.get("conversationId")
    if not isinstance(conversation_id, str) or not conversation_id.strip():
        return "no conversationId"
    end = _time(conversation.get("conversationEnd"))
    if end is None:
        if conversation.get("conversationEnd") not in (None, ""):
            return "conversationEnd is not a date"
        return "conversation in progress (no conversationEnd)"
    by_purpose: dict[str, list[dict]] = {}
    for participant in _list(conversation.get("participants")):
        by_purpose.setdefault(str(participant.get("purpose") or "").lower(), []).append(participant)
    customer = next((by_purpose[kind][0] for kind in CUSTOMER_PURPOSES if kind in by_purpose), None)
    if customer is None:
        return "internal conversation (no customer or external participant)"
    direction = conversation.get("originatingDirection") or next(
        (s.get("direction") for s in _sessions(customer) if s.get("direction")), None)
    if direction and str(direction).lower() != "inbound":
        return f"{str(direction).lower()} conversation (only inbound conversations are imported)"
    channel = _channel(customer)
    if channel.startswith("!"):
        return channel[1:]

    acds = sorted(by_purpose.get("acd", []), key=lambda p: _first_start(p) or end)
    agents = [p for kind in AGENT_PURPOSES for p in by_purpose.get(kind, [])]
    handlers = sorted((p for p in agents if _first_start(p, "interact") is not None),
                      key=lambda p: _first_start(p, "interact"))
    start = _time(conversation.get("conversationStart"))
    arrived = next((t for t in (_first_start(acds[0]) if acds else None, start) if t is not None), None)
    answered = _first_start(handlers[0], "interact") if handlers else None
    if arrived is None or (answered is not None and answered < arrived):
        arrived = answered or _first_start(customer) or end

    queue = None
    routed = acds[0] if acds else handlers[0] if handlers else None
    if routed is not None:
        queue_id = next((str(s["queueId"]) for s in _segments(routed) if s.get("queueId")), None)
        named = routed.get("participantName") if acds else None  # an acd participant is named after its queue
        queue = queues.get(queue_id) if queue_id in queues else (named or queue_id)

    if not acds and not handlers:
        if conversation.get("selfServed") is not True:
            return "ended before reaching a queue or an agent (IVR or bot only, not marked selfServed)"
        channel = "self_service"

    ended = end
    if channel in settings.live_channels or channel == "self_service":
        customer_ends = [_time(s.get("segmentEnd")) for s in _segments(customer)]
        customer_ends = [t for t in customer_ends if t is not None and t >= arrived]
        ended = max(customer_ends) if customer_ends else end
    ended = max(ended, arrived)

    row = {"interaction_id": conversation_id.strip(), "channel": channel, "arrived_at": arrived,
           "queue": queue, "answered_at": answered, "ended_at": ended,
           "abandoned": bool(acds) and not handlers, "customer_id": _customer_id(customer),
           "nps_score": _nps(conversation), "source_updated_at": _version(conversation, end)}
    if handlers:
        totals = {"talk_seconds": 0.0, "hold_seconds": 0.0, "wrap_seconds": 0.0}
        for participant in handlers:
            for column, metric, kind in HANDLE_PARTS:
                measured = _metric_ms(participant, metric)
                if measured is None:
                    measured = _segment_ms(participant, kind)
                totals[column] += measured / 1000
        people = {p.get("userId") or p.get("participantId") or id(p) for p in handlers}
        transferred = len(people) > 1 or any(
            str(s.get("disconnectType") or "").lower() == "transfer" for p in handlers for s in _segments(p))
        resolved = _resolved(conversation)
        row.update({key: round(value, 3) for key, value in totals.items()})
        row.update({"agent_id": handlers[0].get("userId"), "team": handlers[0].get("teamId"),
                    "tier": min(len(people), 3),
                    "resolved_first_contact": (not transferred) if resolved is None else resolved})
    return row


# the source, declared once: the command line, the upload checks and the Import page read it here
SOURCE = Source(
    name="genesys",
    label="Genesys Cloud conversation details (JSON)",
    parse=parse,
    extensions=("json", "jsonl"),
    hint="Conversation details from the analytics API (a response, a job's results, or JSON lines).",
    mapping=MappingFile(required=False,
                        purpose="Names for queue ids (else the queue's name as Genesys gives it).",
                        example='[queues]\n"0b1c2d3e-aaaa-bbbb-cccc-123456789abc" = "Billing"\n'),
    doc=__doc__,
)
