"""Asterisk `queue_log` turned into the data contract: the text file (/var/log/asterisk/queue_log and
its rotations), or a CSV dump of the realtime `queue_log` table where a site keeps the log in a
database.

The file: each line is `time|callid|queuename|agent|event|data1|data2|...` with the time in epoch
seconds; the number of data fields depends on the event and the Asterisk version (docs.asterisk.org,
Queue Logs): ENTERQUEUE(url|callerid|origposition[|calleridname]),
CONNECT(holdtime|bridgedchanneluniqueid|ringtime), COMPLETEAGENT and COMPLETECALLER(holdtime|calltime|
origposition), ABANDON, EXITEMPTY and EXITWITHTIMEOUT(position|origposition|waittime),
EXITWITHKEY(key|position|...), TRANSFER(extension|context|holdtime|calltime|origposition), and since
Asterisk 12 BLINDTRANSFER(extension|context|holdtime|calltime|origposition) and
ATTENDEDTRANSFER(method|method-data|holdtime|calltime|origposition). In all of them `holdtime` is the
time the caller waited in the queue, not time on hold with an agent. Real logs hold runs of NUL bytes
where an unclean shutdown left the end of the file unwritten, or where logrotate's copytruncate
emptied it under a writer: they are skipped where they start or end a line; a line with NUL bytes
inside it (a line cut short, the next one run into it), or one that carried NUL bytes and is
malformed, is set aside as damaged, with its line number. A file of nothing but NUL bytes has nothing
to import (the summary says so, and what NUL bytes did to each file). Lines end at \n (a \r before
it is dropped); bytes that are not UTF-8 are read as '?'.

The table dump: a CSV file (comma, semicolon or tab separated, values quoted as a database client
writes them) whose header names the realtime table's columns `time, callid, queuename, agent, event`
and `data1..data5`, or one `data` column with the fields joined by '|' (other columns, such as id,
are ignored); empty, NULL and \\N values are empty. It is recognised by its header. `time` is epoch
seconds or a date and time ('YYYY-MM-DD HH:MM:SS[.ffffff]', with an offset or without one: then local
time in the mapping's `timezone`, UTC unless given, read by cxdash's one daylight-saving rule; a time
the clock skips is set aside). Each row is read as the queue_log line it stands for, so a dump gives
the same calls as the log of the same events; a row's number counts the header as 1. A row with too
few values has the others empty (and is set aside if that leaves it without an event), one with too
many loses the extra ones.

How the lines become contacts (the files of one import are read as one log: a call may span a log
and its rotations):

- one contact per callid that entered a queue (has an ENTERQUEUE); interaction_id = "ast-<callid>";
  channel phone.
- arrived_at = the first ENTERQUEUE time (epoch -> UTC); queue = its queuename (renamed by the mapping's
  [queues] table when given).
- answered_at = the first CONNECT time; agent_id = that CONNECT's agent, kept as written (SIP/1001,
  Local/1001@agents, a member name).
- abandoned = no CONNECT (ABANDON, EXITEMPTY, EXITWITHKEY), except a call whose last ending is
  EXITWITHTIMEOUT: it left the queue on the queue's timeout (an overflow, usually sent on to voicemail
  or another destination), so it is not abandoned (abandoned false and no answered_at: it counts
  against the service level, not in the abandon rate) unless the mapping sets
  `timeout_is_abandon = true`; the summary says how many there were and how they were counted.
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
  not a number of seconds, no event) or one damaged by NUL bytes is set aside with its line number.

DuckDB reads and judges the lines and makes the calls (sql/import_asterisk_*.sql).
"""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from cxdash import calendar
from cxdash.db import connect, load_sql
from cxdash.importers.core import MappingFile, Parsed, Source, empty_set_aside, mapping_zone
from cxdash.settings import Settings

ROW_COLUMNS = ["interaction_id", "channel", "arrived_at", "queue", "answered_at", "ended_at", "abandoned",
               "talk_seconds", "agent_id", "tier", "resolved_first_contact", "customer_id",
               "source_updated_at", "source_file", "source_row"]
AGENT_OR_SYSTEM = "agent or system event, not a call"
IN_PROGRESS = "call still in progress at the end of the log"
BEGAN_EARLIER = "call began before the start of the log (answered or ended before its first ENTERQUEUE)"
DAMAGED = "damaged line (NUL bytes or cut short)"
# events of agents and of the system, and call ids of no call: such lines are not calls
AGENT_SYSTEM_EVENTS = {"QUEUESTART", "CONFIGRELOAD", "ADDMEMBER", "REMOVEMEMBER", "PAUSE", "UNPAUSE",
                       "PAUSEALL", "UNPAUSEALL", "PAUSECUSTOM", "AGENTLOGIN", "AGENTLOGOFF",
                       "AGENTCALLBACKLOGIN", "AGENTCALLBACKLOGOFF", "PENALTY", "MEMBERPENALTY",
                       "RINGINUSE"}
NO_CALL_IDS = {"", "NONE", "REALTIME", "MANAGER"}
RECORD_TEXT_LIMIT = 2_000  # characters of a set-aside line kept for reading
TABLE_COLUMNS = ("time", "callid", "queuename", "agent", "event")  # a realtime queue_log table's header
TABLE_DATA = ("data", "data1", "data2", "data3", "data4", "data5")
TABLE_DELIMITERS = (",", ";", "\t")
HEAD_BYTES = 65_536  # enough to hold a dump's header line


def _options(mapping: dict | None) -> tuple[dict[str, str], bool, str]:
    """The mapping's [queues] renames, timeout_is_abandon (default false) and timezone (default UTC)."""
    mapping = mapping or {}
    queues = mapping.get("queues", {})
    if not isinstance(queues, dict):
        raise ValueError("mapping: [queues] must map queue names to the names to show")
    timeout_is_abandon = mapping.get("timeout_is_abandon", False)
    if not isinstance(timeout_is_abandon, bool):
        raise ValueError(f"mapping: timeout_is_abandon must be true or false (without quotes), not "
                         f"{timeout_is_abandon!r}")
    return {str(k): str(v) for k, v in queues.items()}, timeout_is_abandon, mapping_zone(mapping)


def _table_header(path: Path) -> tuple[str, list[str]] | None:
    """The delimiter and column names of a realtime queue_log table dump's header (its first line), or
    None when the file is a queue_log (or anything else: its lines say)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(HEAD_BYTES)
    except OSError as error:
        raise ValueError(f"{path.name}: cannot be read ({error})") from error
    first = head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n").split("\n", 1)[0].strip()
    if "callid" not in first.lower():
        return None
    for delimiter in TABLE_DELIMITERS:
        names = [name.strip() for name in next(csv.reader([first], delimiter=delimiter))]
        lowered = {name.lower() for name in names}
        if set(TABLE_COLUMNS) <= lowered:
            if not lowered & set(TABLE_DATA):
                raise ValueError(f"{path.name}: a queue_log table dump without its data columns (data1 to "
                                 "data5, or data): export every column of the table")
            if len(lowered) < len(names):
                raise ValueError(f"{path.name}: a queue_log table dump whose header names a column twice")
            return delimiter, names
    return None


def _judging() -> dict:
    """The parameters a line is judged by, in a log and in a table dump alike."""
    return {"limit": RECORD_TEXT_LIMIT, "agent_or_system": AGENT_OR_SYSTEM,
            "agent_system_events": sorted(AGENT_SYSTEM_EVENTS), "no_call_ids": sorted(NO_CALL_IDS)}


def _load_log(con: duckdb.DuckDBPyConnection, path: Path, index: int, statement: str) -> None:
    con.execute(statement + load_sql("import_asterisk_log"), {
        "path": str(path), "name": path.name, "file": index, "damaged": DAMAGED, **_judging()})


def _load_table(con: duckdb.DuckDBPyConnection, path: Path, index: int, statement: str,
                header: tuple[str, list[str]], zone: str) -> None:
    """A table dump's rows as lines. A time without an offset is local time in `zone`: each local
    minute made an instant once by calendar.localize (the rule core.parse_times reads such times by)."""
    delimiter, names = header
    con.execute("create or replace table asterisk_table_rows as " + load_sql("import_asterisk_table_rows"),
                {"path": str(path), "delimiter": delimiter, "columns": dict.fromkeys(names, "VARCHAR")})
    minutes = con.execute(load_sql("import_asterisk_table_minutes")).df()["minute"]
    starts, _ = calendar.localize(minutes, zone)  # NaT where the clock skips the minute
    con.register("asterisk_table_minutes", pa.table({
        "minute": pa.array(minutes.to_numpy(dtype="datetime64[us]"), type=pa.timestamp("us")),
        "start": pa.array(starts.as_unit("us"), type=pa.timestamp("us", tz="UTC"))}))
    try:
        con.execute(statement + load_sql("import_asterisk_table"), {
            "name": path.name, "file": index, "skipped": f"time: {calendar.SKIPPED_REASON}", **_judging()})
    finally:
        con.unregister("asterisk_table_minutes")
        con.execute("drop table asterisk_table_rows")


def _notes(files: pd.DataFrame, merged: int, duplicates: int, timeouts: int, timeout_is_abandon: bool
           ) -> list[str]:
    notes = []
    for name, lines, nul_lines, damaged in files[["source_file", "lines", "nul_lines", "damaged"]] \
            .itertuples(index=False):  # one per file
        if nul_lines and not lines:
            notes.append(f"{name}: nothing to import: the file holds only NUL bytes (what an unclean "
                         "shutdown or a log rotation leaves)")
        elif nul_lines:
            notes.append(f"{name}: runs of NUL bytes (left by an unclean shutdown or a log rotation) were "
                         f"skipped; {damaged:,} line(s) damaged by them set aside")
    if merged > duplicates:
        notes.append(f"merged: {merged - duplicates:,} event line(s) (CONNECT, COMPLETE..., a re-entry into "
                     "a queue) folded into the call they belong to")
    if duplicates:
        notes.append(f"merged: {duplicates:,} line(s) repeated a line already read in this import and were "
                     "counted once")
    if timeouts and timeout_is_abandon:
        notes.append(f"{timeouts:,} call(s) left the queue on timeout (EXITWITHTIMEOUT): counted as "
                     "abandoned, as the mapping's timeout_is_abandon = true says")
    elif timeouts:
        notes.append(f"{timeouts:,} call(s) left the queue on timeout (EXITWITHTIMEOUT): counted as "
                     "overflow, not abandoned; set timeout_is_abandon = true in the mapping to count them as "
                     "abandoned")
    return notes


def parse(paths: list[Path], settings: Settings, mapping: dict | None = None) -> Parsed:
    """Read queue_log files or table dumps: one row per call that entered a queue."""
    queues, timeout_is_abandon, zone = _options(mapping)
    paths = [Path(path) for path in paths]
    if not paths:
        return Parsed(SOURCE.name, pd.DataFrame(columns=ROW_COLUMNS))
    with tempfile.TemporaryDirectory(prefix="cxdash-asterisk-") as temporary:
        con = connect(temp_directory=Path(temporary))  # a large log spills to disk rather than failing
        try:
            con.execute("set TimeZone = 'UTC'")
            con.execute("set preserve_insertion_order = true")  # a dump's rows numbered as written
            for index, path in enumerate(paths):
                statement = ("insert into asterisk_lines by name " if index
                             else "create table asterisk_lines as ")
                header = _table_header(path)
                try:
                    if header is None:
                        _load_log(con, path, index, statement)
                    else:
                        _load_table(con, path, index, statement, header, zone)
                except duckdb.IOException as error:
                    raise ValueError(f"{path.name}: cannot be read ({error})") from error
                except duckdb.InvalidInputException as error:  # a dump's CSV the reader gives up on
                    raise ValueError(f"{path.name}: not a readable queue_log table dump ({error})") from error
            con.execute("create table asterisk_repeats as " + load_sql("import_asterisk_repeats"))
            files = con.execute(load_sql("import_asterisk_files"), {"damaged": DAMAGED}).df()
            for name in files.loc[(files["lines"] > 0) & (files["shaped"] == 0), "source_file"]:
                raise ValueError(f"{name}: not an Asterisk queue_log (expected lines of the form "
                                 "time|callid|queuename|agent|event|data..., or a CSV dump of the queue_log "
                                 "table with its header)")
            lines_aside = con.execute(load_sql("import_asterisk_set_aside"),
                                      {"limit": RECORD_TEXT_LIMIT}).df()
            calls = con.sql(load_sql("import_asterisk_calls"), params={
                "queue_names": list(queues), "queue_labels": list(queues.values()),
                "timeout_is_abandon": timeout_is_abandon, "began_earlier": BEGAN_EARLIER,
                "in_progress": IN_PROGRESS, "limit": RECORD_TEXT_LIMIT}).to_arrow_table().to_pandas()
        finally:
            con.close()

    contact = calls["reason"].isna().to_numpy()
    columns = ["file_index", "source_file", "source_row", "reason", "record"]
    set_aside = pd.concat([lines_aside[columns], calls.loc[~contact, columns]], ignore_index=True) \
        .sort_values(["file_index", "source_row"], kind="stable").drop(columns="file_index") \
        .reset_index(drop=True).astype({"source_row": "int64"})
    duplicates = int(files["repeated"].sum())
    merged = duplicates + int(calls["events"].sum()) - len(calls)
    timeouts = int(calls.loc[contact, "timed_out"].sum())
    return Parsed(SOURCE.name, calls.loc[contact, ROW_COLUMNS].reset_index(drop=True),
                  set_aside if len(set_aside) else empty_set_aside(), records_read=int(files["lines"].sum()),
                  merged=merged, notes=_notes(files, merged, duplicates, timeouts, timeout_is_abandon))


# the source, declared once: the command line, the upload checks and the Import page read it here
SOURCE = Source(
    name="asterisk",
    label="Asterisk queue_log",
    parse=parse,
    extensions=None,
    hint=("The queue_log file (usually /var/log/asterisk/queue_log, which has no extension): any file name "
          "is accepted; rotated files (queue_log.1, …) can go together. Or a CSV dump of the realtime "
          "queue_log table, with its header."),
    mapping=MappingFile(
        required=False,
        purpose=("Names to show for the log's queue names; whether a call that left the queue on its "
                 "timeout (EXITWITHTIMEOUT) counts as abandoned (timeout_is_abandon, default false: an "
                 "overflow); for a table dump whose times are dates without an offset, their time zone."),
        example=('timeout_is_abandon = false\ntimezone = "America/Chicago"\n\n'
                 '[queues]\nq-billing = "Billing"\n')),
    doc=__doc__,
)
