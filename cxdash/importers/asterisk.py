"""Asterisk `queue_log` (the text file, /var/log/asterisk/queue_log) turned into the data contract.

Each line is `time|callid|queuename|agent|event|data1|data2|...` with the time in epoch seconds; the
number of data fields depends on the event and the Asterisk version (docs.asterisk.org, Queue Logs):
ENTERQUEUE(url|callerid|origposition[|calleridname]), CONNECT(holdtime|bridgedchanneluniqueid|ringtime),
COMPLETEAGENT and COMPLETECALLER(holdtime|calltime|origposition), ABANDON, EXITEMPTY and
EXITWITHTIMEOUT(position|origposition|waittime), EXITWITHKEY(key|position|...),
TRANSFER(extension|context|holdtime|calltime|origposition), and since Asterisk 12
BLINDTRANSFER(extension|context|holdtime|calltime|origposition) and
ATTENDEDTRANSFER(method|method-data|holdtime|calltime|origposition). In all of them `holdtime` is the
time the caller waited in the queue, not time on hold with an agent.

How the lines become contacts:

- one contact per callid that entered a queue (has an ENTERQUEUE); interaction_id = "ast-<callid>";
  channel phone. Several files (a log and its rotations) are read as one log: a call may span them.
- arrived_at = the first ENTERQUEUE time (epoch -> UTC); queue = its queuename (renamed by the mapping's
  [queues] table when given).
- answered_at = the first CONNECT time; agent_id = that CONNECT's agent, kept as written (SIP/1001,
  Local/1001@agents, a member name); abandoned = no CONNECT (ABANDON, EXITWITHTIMEOUT, EXITEMPTY,
  EXITWITHKEY).
- ended_at = the time of the last ending event (COMPLETEAGENT, COMPLETECALLER, TRANSFER, BLINDTRANSFER,
  ATTENDEDTRANSFER, ABANDON, EXIT*, AGENTDUMP).
- talk_seconds = the sum of calltime of COMPLETE* and *TRANSFER events; hold_seconds and wrap_seconds
  stay empty: queue_log records neither (its holdtime is the queue wait).
- a call that re-enters a queue (transferred to another queue, or leaving one queue for another) is one
  contact: its later legs add talk time; tier = the number of distinct agents connected, capped at 3 (a
  proxy: each hand-over is taken as an escalation); resolved_first_contact = connected to one agent and
  not transferred (a proxy). Both are empty for an unanswered call.
- customer_id = "ast-caller-" + 16 hex digits of SHA-256 of ENTERQUEUE's callerid (the number, hashed so
  the data folder holds no phone numbers; the same caller gets the same id every import); empty when the
  callerid is missing, anonymous or unknown.
- source_updated_at (the record's version) = the time of the call's last event, so a call that grows
  (a later leg in a longer log) replaces the shorter version.

Every line read lands in one bucket of the import summary:
- the line that opens a contact (its first ENTERQUEUE) is the contact's record (new, updated, ...);
- every other line of that call is counted as merged into it, and so is a line that repeats exactly a
  line already read in this import (the same log given twice, or overlapping rotations);
- a call with no ending event yet is set aside once ("call still in progress at the end of the log"),
  its other lines merged; likewise a call that began before the start of the log (a CONNECT or an
  ending event before its first ENTERQUEUE: import a log and its rotations together) and a callid with
  events but no ENTERQUEUE (the caller never got into a queue: JOINEMPTY);
- agent and system lines (QUEUESTART, ADDMEMBER, PAUSE, AGENTLOGIN, ..., or no call id) are set aside
  "agent or system event, not a call", one each; a malformed line (fewer than 5 fields, a time that is
  not a number of seconds, no event) is set aside with its line number.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from cxdash.importers.core import MappingFile, Parsed, Source, empty_set_aside
from cxdash.settings import Settings

ENDING_EVENTS = {"COMPLETEAGENT", "COMPLETECALLER", "TRANSFER", "BLINDTRANSFER", "ATTENDEDTRANSFER",
                 "ABANDON", "EXITWITHTIMEOUT", "EXITEMPTY", "EXITWITHKEY", "AGENTDUMP"}
TRANSFER_EVENTS = {"TRANSFER", "BLINDTRANSFER", "ATTENDEDTRANSFER"}
# where calltime sits among the data fields (0-based)
CALLTIME_FIELD = {"COMPLETEAGENT": 1, "COMPLETECALLER": 1, "TRANSFER": 3, "BLINDTRANSFER": 3,
                  "ATTENDEDTRANSFER": 3}
AGENT_SYSTEM_EVENTS = {"QUEUESTART", "CONFIGRELOAD", "ADDMEMBER", "REMOVEMEMBER", "PAUSE", "UNPAUSE",
                       "PAUSEALL", "UNPAUSEALL", "PAUSECUSTOM", "AGENTLOGIN", "AGENTLOGOFF",
                       "AGENTCALLBACKLOGIN", "AGENTCALLBACKLOGOFF", "PENALTY", "MEMBERPENALTY",
                       "RINGINUSE"}
NO_CALL_IDS = {"", "NONE", "REALTIME", "MANAGER"}
NO_CALLER = {"", "unknown", "anonymous", "<unknown>", "restricted", "private", "none"}
ROW_COLUMNS = ["interaction_id", "channel", "arrived_at", "queue", "answered_at", "ended_at", "abandoned",
               "talk_seconds", "hold_seconds", "wrap_seconds", "agent_id", "tier", "resolved_first_contact",
               "customer_id", "source_updated_at", "source_file", "source_row"]
AGENT_OR_SYSTEM = "agent or system event, not a call"
IN_PROGRESS = "call still in progress at the end of the log"
BEGAN_EARLIER = "call began before the start of the log (answered or ended before its first ENTERQUEUE)"


@dataclass
class _Line:
    time: datetime
    callid: str
    queue: str
    agent: str
    event: str
    data: list[str]
    file: str
    number: int
    order: int
    raw: str


def parse(paths: list[Path], settings: Settings, mapping: dict | None = None) -> Parsed:
    """Read queue_log files: one row per call that entered a queue."""
    queues = (mapping or {}).get("queues", {})
    if not isinstance(queues, dict):
        raise ValueError("mapping: [queues] must map queue names to the names to show")
    aside: list[tuple[str, int, str, str]] = []
    calls: dict[str, list[_Line]] = {}
    read = duplicates = 0
    seen: set[str] = set()
    for index, path in enumerate(paths):
        path = Path(path)
        for number, raw, line in _read(path, order=index * 10**9):
            read += 1
            if raw.strip() in seen:
                duplicates += 1
                continue
            seen.add(raw.strip())
            if isinstance(line, str):
                aside.append((path.name, number, line, raw))
            elif line.event in AGENT_SYSTEM_EVENTS or line.callid.upper() in NO_CALL_IDS:
                aside.append((line.file, line.number, AGENT_OR_SYSTEM, line.raw))
            else:
                calls.setdefault(line.callid, []).append(line)

    rows, merged = [], duplicates
    for callid, events in calls.items():
        events.sort(key=lambda e: (e.time, e.order))
        merged += len(events) - 1
        outcome = _contact(callid, events, {str(k): str(v) for k, v in queues.items()})
        if isinstance(outcome, str):
            first = events[0]
            aside.append((first.file, first.number, outcome, "\n".join(e.raw for e in events)))
        else:
            rows.append(outcome)
    notes = []
    if merged > duplicates:
        notes.append(f"merged: {merged - duplicates:,} event line(s) (CONNECT, COMPLETE..., a re-entry into "
                     "a queue) folded into the call they belong to")
    if duplicates:
        notes.append(f"merged: {duplicates:,} line(s) repeated a line already read in this import and were "
                     "counted once")
    set_aside = (pd.DataFrame(aside, columns=["source_file", "source_row", "reason", "record"])
                 .astype({"source_row": "int64"}) if aside else empty_set_aside())
    return Parsed(SOURCE.name, pd.DataFrame(rows, columns=ROW_COLUMNS), set_aside, records_read=read,
                  merged=merged, notes=notes)


def _read(path: Path, order: int) -> list[tuple[int, str, _Line | str]]:
    """Every non-blank line of a file: (line number, text, the parsed line or why it is malformed).
    Raises ValueError when no line of a non-empty file has the queue_log form."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ValueError(f"{path.name}: cannot be read ({error})") from error
    not_a_log = ValueError(f"{path.name}: not an Asterisk queue_log (expected lines of the form "
                           "time|callid|queuename|agent|event|data...)")
    if b"\0" in data:
        raise not_a_log
    out: list[tuple[int, str, _Line | str]] = []
    for number, raw in enumerate(data.decode("utf-8", errors="replace").splitlines(), start=1):
        if not raw.strip():
            continue
        fields = [field.strip() for field in raw.strip().split("|")]
        seconds = math.nan
        if len(fields) >= 5:
            try:
                seconds = float(fields[0])
            except ValueError:
                pass
        if len(fields) < 5:
            line = f"malformed line: {len(fields)} field(s), a queue_log line has at least 5"
        elif not math.isfinite(seconds) or seconds <= 0:
            line = "malformed line: the time is not a number of seconds since 1970"
        elif not fields[4]:
            line = "malformed line: no event"
        else:
            line = _Line(datetime.fromtimestamp(seconds, UTC), fields[1], fields[2], fields[3],
                         fields[4].upper(), fields[5:], path.name, number, order + number, raw)
        out.append((number, raw, line))
    if out and all(isinstance(line, str) for _, _, line in out):
        raise not_a_log
    return out


def _number(data: list[str], index: int) -> float | None:
    try:
        value = float(data[index])
    except (IndexError, ValueError):
        return None
    return value if math.isfinite(value) and value >= 0 else None


def _caller(events: list[_Line]) -> str | None:
    enter = next(e for e in events if e.event == "ENTERQUEUE")
    caller = enter.data[1] if len(enter.data) > 1 else ""
    if caller.lower() in NO_CALLER:
        return None
    return "ast-caller-" + hashlib.sha256(caller.encode()).hexdigest()[:16]


def _contact(callid: str, events: list[_Line], queues: dict[str, str]) -> dict | str:
    """The contract row of one call's events (sorted), or the reason the call is set aside."""
    kinds = [e.event for e in events]
    first_entry = kinds.index("ENTERQUEUE") if "ENTERQUEUE" in kinds else len(kinds)
    if any(kind in ENDING_EVENTS or kind == "CONNECT" for kind in kinds[:first_entry]):
        return BEGAN_EARLIER  # its arrival is in an earlier log: import the rotations together
    if first_entry == len(kinds):
        return f"not a queue call: no ENTERQUEUE (events {', '.join(sorted(set(kinds)))})"
    last_entry = max(i for i, kind in enumerate(kinds) if kind == "ENTERQUEUE")
    endings = [e for e in events if e.event in ENDING_EVENTS]
    if not any(kind in ENDING_EVENTS for kind in kinds[last_entry:]):
        return IN_PROGRESS
    enter = next(e for e in events if e.event == "ENTERQUEUE")
    connects = [e for e in events if e.event == "CONNECT"]
    row = {"interaction_id": f"ast-{callid}", "channel": "phone", "arrived_at": enter.time,
           "queue": queues.get(enter.queue, enter.queue) or None, "ended_at": endings[-1].time,
           "abandoned": not connects, "customer_id": _caller(events),
           "source_updated_at": events[-1].time, "source_file": enter.file, "source_row": enter.number}
    if connects:
        talk = [_number(e.data, CALLTIME_FIELD[e.event]) for e in events if e.event in CALLTIME_FIELD]
        talk = [value for value in talk if value is not None]
        agents = {e.agent for e in connects}
        transferred = len(agents) > 1 or any(kind in TRANSFER_EVENTS for kind in kinds)
        agent = connects[0].agent
        row.update({"answered_at": connects[0].time, "talk_seconds": sum(talk) if talk else None,
                    "agent_id": None if agent.upper() in NO_CALL_IDS else agent,
                    "tier": min(len(agents), 3), "resolved_first_contact": not transferred})
    return row


# the source, declared once: the command line, the upload checks and the Import page read it here
SOURCE = Source(
    name="asterisk",
    label="Asterisk queue_log",
    parse=parse,
    extensions=None,
    hint=("The queue_log file (usually /var/log/asterisk/queue_log, which has no extension): any file name "
         "is accepted; rotated files (queue_log.1, …) can go together."),
    mapping=MappingFile(required=False, purpose="Names to show for queue names of the log.",
                        example='[queues]\nq-billing = "Billing"\n'),
    doc=__doc__,
)
