"""The Talkdesk calls report (CSV) into the data contract: one row per inbound call.

Columns, as the Explore API's calls report names them (headers are matched ignoring case, spaces and
punctuation, so `Call ID` = `call_id`; `call_type`, `start_time`, `end_time`, `waiting_time`,
`holding_time` and `team` are read as type, start_at, end_at, wait_time, hold_time and team_name):
`call_id, type, start_at, end_at, talk_time, wait_time, hold_time, user_id, team_name, csat_score,
ring_groups, ...`; other columns are ignored. A file without call_id, type and start_at is not a calls
report: ValueError names it (so is the JSON of the older Explore payload, `interaction_id, call_type,
start_time, ...`, whose durations are fractions of a day: download the report as CSV).

Times: Talkdesk writes start_at and end_at in UTC (`2024-05-06T15:00:00Z`; the reporting API documents
them as UTC). A time without an offset (a report downloaded from the Explore UI, or opened and saved
in a spreadsheet) is read in the mapping's `timezone` (default UTC). Durations are whole seconds, as
the API writes them, or `hh:mm:ss` / `mm:ss` as the UI shows them; both are read.

Mapping decisions:
- interaction_id `td-<call_id>`; channel phone; arrived_at = start_at; ended_at = end_at (for an
  abandon, when the caller left); talk_seconds, hold_seconds from talk_time, hold_time; team =
  team_name; queue = ring_groups (the ring groups the call was routed to); csat_score as written
  (outside 1-5 the core sets the row aside); source_updated_at = end_at (null without one).
- inbound: answered, answered_at = start_at + wait_time (wait_time missing: start_at, and a note
  counts them); agent_id `td-<user_id>` (handling_user_id when user_id is empty).
- abandoned, short_abandoned, missed: abandoned, no answered_at, no agent (user_id is whoever the
  call rang, not who handled it). Talkdesk's short-abandon threshold is not used: cxdash applies its
  own (settings.short_abandon_seconds) to end_at - start_at.
- voicemail: offered and never answered live, but the caller did not give up (the flow sent them to
  voicemail): abandoned = False with no answered_at, so it counts against the service level and not
  in the abandon rate; the call back that answers the message is another call.
- outbound and outbound_missed: set aside, "outbound call (not a customer contact arriving)", so the
  summary counts them; any other type is set aside as not known.
- A row without call_id or start_at, a timestamp, duration or csat_score that does not parse, an
  end_at before start_at, or a row with the wrong number of fields is set aside with its file, line
  and reason.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

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
REQUIRED = ("call_id", "type", "start_at")
ALIASES = {"call_type": "type", "start_time": "start_at", "end_time": "end_at", "waiting_time": "wait_time",
           "holding_time": "hold_time", "team": "team_name"}
ANSWERED = ("inbound",)
ABANDONED = ("abandoned", "short_abandoned", "missed")
VOICEMAIL = ("voicemail",)
OUTBOUND = ("outbound", "outbound_missed")
OUTBOUND_REASON = "outbound call (not a customer contact arriving)"
_CLOCK = r"^(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:\.\d+)?)$"


def _snake(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", str(text).strip().lower()).strip("_")


def _column(name: str) -> str:
    return ALIASES.get(_snake(name), _snake(name))




def _read(path: Path, rows: list, set_aside: list) -> int:
    """Add the data rows of one calls report (file, line, {column: text}) to rows; return how many
    records it holds (malformed ones, set aside here, included)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError(f"{path.name}: not a Talkdesk calls report (not UTF-8 text; expected CSV)") from None
    if not text.strip():
        return 0
    first = text.lstrip()[:1]
    header_line = text.lstrip().partition("\n")[0]
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader, None) or []
    names = [_column(name) for name in header]
    missing = [name for name in REQUIRED if name not in names]
    if first in "[{" or missing:
        problem = "it is JSON" if first in "[{" else f"no {', '.join(missing)} column"
        raise ValueError(f"{path.name}: not a Talkdesk calls report (a CSV with the columns "
                         f"{', '.join(REQUIRED)}, ...): {problem}")
    read, line = 0, reader.line_num
    while True:
        start = line + 1
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            line = reader.line_num
            read += 1
            set_aside.append((path.name, start, f"not a CSV row ({error})", ""))
            continue
        line = reader.line_num
        if not any(value.strip() for value in values):
            continue
        read += 1
        if len(values) != len(names):
            buffer = io.StringIO()
            csv.writer(buffer).writerow(values)
            set_aside.append((path.name, start, f"expected {len(names)} fields, found {len(values)}",
                              buffer.getvalue().rstrip("\r\n")))
            continue
        rows.append((path.name, start, dict(zip(names, values, strict=True)),
                     dict(zip(header, values, strict=True))))
    return read






def seconds(values: pd.Series) -> pd.Series:
    """Durations as seconds: a number of seconds, or hh:mm:ss / mm:ss; NaN when absent or neither."""
    text = values.astype("string").str.strip()
    number = pd.to_numeric(text.astype(object).where(text.notna(), None), errors="coerce").astype("float64")
    parts = text.str.extract(_CLOCK)
    hours, minutes, secs = (pd.to_numeric(parts[i].astype(object), errors="coerce").astype("float64")
                            for i in range(3))
    return number.where(number.notna(), hours.fillna(0) * 3600 + minutes * 60 + secs)


def parse(paths: list[Path], settings: Settings, mapping: dict | None = None) -> Parsed:
    """Read Talkdesk calls reports into contract rows (inbound calls; outbound ones set aside)."""
    zone = mapping_zone(mapping)
    records: list = []
    malformed: list = []
    read = sum(_read(Path(path), records, malformed) for path in paths)

    columns = ("call_id", "type", "start_at", "end_at", "talk_time", "wait_time", "hold_time", "user_id",
               "handling_user_id", "team_name", "ring_groups", "csat_score")
    frame = pd.DataFrame({
        "source_file": pd.Series([r[0] for r in records], dtype=object),
        "source_row": pd.Series([r[1] for r in records], dtype="int64"),
        "original": pd.Series([r[3] for r in records], dtype=object),
        **{name: pd.Series([(r[2].get(name) or "").strip() or None for r in records], dtype=object)
           for name in columns}})
    reasons = pd.Series("", index=frame.index, dtype=object)
    kind = frame["type"].map(lambda t: None if t is None else _snake(t))
    flag(reasons, frame["call_id"].isna(), "call without a call_id")
    flag(reasons, kind.isin(OUTBOUND), OUTBOUND_REASON)
    flag(reasons, frame["type"].isna(), "call without a type")
    unknown = kind.notna() & ~kind.isin(ANSWERED + ABANDONED + VOICEMAIL + OUTBOUND) & (reasons == "")
    reasons[unknown] = [f"call type not known: {value}" for value in frame.loc[unknown, "type"]]
    flag(reasons, frame["start_at"].isna(), "call without start_at")
    start = parse_times(frame["start_at"], zone, reasons, "start_at")
    end = parse_times(frame["end_at"], zone, reasons, "end_at")
    durations = {}
    for name in ("talk_time", "wait_time", "hold_time"):
        durations[name] = seconds(frame[name])
        flag(reasons, frame[name].notna() & durations[name].isna(), f"{name}: not seconds or hh:mm:ss")
        flag(reasons, durations[name] < 0, f"{name}: negative")
    csat = pd.to_numeric(frame["csat_score"], errors="coerce").astype("float64")
    flag(reasons, frame["csat_score"].notna() & csat.isna(), "csat_score: not a number")
    flag(reasons, end < start, "end_at before start_at")

    keep = reasons == ""
    answered = kind.isin(ANSWERED)
    no_wait = int((keep & answered & durations["wait_time"].isna()).sum())
    agent = frame["user_id"].where(frame["user_id"].notna(), frame["handling_user_id"])
    rows = pd.DataFrame({
        "interaction_id": "td-" + frame["call_id"].astype("string"),
        "channel": "phone",
        "arrived_at": start,
        "answered_at": (start + pd.to_timedelta(durations["wait_time"].fillna(0), unit="s")).where(answered),
        "ended_at": end,
        "abandoned": kind.isin(ABANDONED).astype("boolean"),
        "talk_seconds": durations["talk_time"],
        "hold_seconds": durations["hold_time"],
        "agent_id": ("td-" + agent.astype("string")).where(answered),
        "team": frame["team_name"].astype("string"),
        "queue": frame["ring_groups"].astype("string"),
        "csat_score": csat,
        "source_updated_at": end,
        "source_file": frame["source_file"].astype(str),
        "source_row": frame["source_row"],
    })[keep].reset_index(drop=True)

    bad = frame[~keep]
    aside = [(file, row, reason, json.dumps(original, ensure_ascii=False))
             for file, row, reason, original in zip(bad["source_file"], bad["source_row"], reasons[~keep],
                                                    bad["original"], strict=True)]
    notes = []
    if no_wait:
        notes.append(f"{no_wait:,} answered call(s) had no wait_time: answered at start_at (no wait counted)")
    voicemails = int((keep & kind.isin(VOICEMAIL)).sum())
    if voicemails:
        notes.append(f"{voicemails:,} voicemail(s): offered, not answered live and not abandoned")
    entries = malformed + aside
    set_aside = (pd.DataFrame(entries, columns=["source_file", "source_row", "reason", "record"])
                 .astype({"source_row": "int64"}) if entries else empty_set_aside())
    set_aside["record"] = set_aside["record"].str.slice(0, RECORD_TEXT_LIMIT)
    return Parsed(SOURCE.name, rows, set_aside, records_read=read, notes=notes)


# the source, declared once: the command line, the upload checks and the Import page read it here
SOURCE = Source(
    name="talkdesk",
    label="Talkdesk calls report (CSV)",
    parse=parse,
    extensions=("csv",),
    hint="The calls report as Talkdesk exports it.",
    mapping=MappingFile(required=False,
                        purpose="Only for times written without an offset (a report from the Explore UI or "
                                "saved from a spreadsheet): the time zone they are in (default UTC).",
                        example='timezone = "America/New_York"\n'),
    doc=__doc__,
)
