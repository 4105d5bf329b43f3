"""Amazon Connect contact trace records (CTRs) into the data contract.

Accepts JSON lines (one CTR a line, as Kinesis Data Firehose delivers them), a JSON array of CTRs,
or one CTR per file. CTRs arrive at least once: the newest LastUpdateTimestamp of each ContactId is
kept (older versions count as superseded). A transfer creates a new CTR chained to the first by
InitialContactId: the legs make one customer contact (sql/import_amazon_connect_chains.sql says
how). Timestamps are UTC, as Amazon Connect writes them. Outbound and monitoring contacts and tasks
are set aside with their reason, as are lines that are not JSON and records without a ContactId or
an InitiationTimestamp.

Survey answers and dispositions are read from the contact attributes when a flow stored them there:
`csat_score`, `nps_score`, `ces_score`, `tier`, `resolved_first_contact`.

A contact that never queued and never reached an agent is either contained self-service (the flow
served the customer) or a phone-menu drop (the caller hung up before anything useful happened). A drop
is no contact: it is set aside with its reason, and it is no repeat of an earlier call. What decides:

1. The contact attribute, when the flow stored one: the mapping's `self_service_attribute`, else the
   first of `contained`, `selfServiceContained`, `self_service`, `selfService`, `ivr_contained`
   (names compared regardless of case). `true`, `yes`, `y`, `1`, `contained` or `resolved` means
   contained self-service; `false`, `no`, `n` or `0` a drop (regardless of case). Any other value
   leaves it to the next rules, and the import summary counts such values.
2. An email that reached no queue was answered by its flow: self-service (a sender cannot hang up).
3. The duration, from the start (InitiationTimestamp) to the end (DisconnectTimestamp) of the
   contact's legs: at least `menu_drop_seconds` (mapping, default 20 s) is contained self-service,
   shorter is a phone-menu drop. 20 s is about a greeting and the first menu prompt: shorter than any
   self-service message worth the name (a balance, opening hours, an order status), so a shorter call
   served no one. A contact without a usable end time (none, or before its start) is set aside:
   nothing tells self-service from a drop. A chat that reached no queue is judged the same way (a
   drop in the chat flow).

A set-aside drop's record holds its contact id(s), start, end and the attribute that decided. The
import summary says how many contacts each rule decided, and which attribute it found.
"""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from cxdash.db import connect, in_parts, load_sql
from cxdash.importers.core import MappingFile, Parsed, Source
from cxdash.settings import Settings

REPEAT_DAYS = 7  # a contact is resolved at first contact when the customer does not call again within
# seven days (Genesys Cloud's default window), unless the contact's attributes say
RECORD_TEXT_LIMIT = 2_000  # characters of a set-aside record kept for reading

# the contact attribute a flow may store its self-service outcome in, unless the mapping names one
# (`self_service_attribute`); names are compared regardless of case, the first found decides
SELF_SERVICE_ATTRIBUTES = ("contained", "selfServiceContained", "self_service", "selfService",
                           "ivr_contained")
CONTAINED_VALUES = ("true", "yes", "y", "1", "contained", "resolved")  # regardless of case
DROPPED_VALUES = ("false", "no", "n", "0")
# a caller who hangs up within this many seconds, never queued and without an attribute saying
# otherwise, left the phone menu: about a greeting and the first menu prompt, shorter than any
# self-service message worth the name (mapping: `menu_drop_seconds`)
MENU_DROP_SECONDS = 20


def _connection(spill: Path) -> duckdb.DuckDBPyConnection:
    con = connect(temp_directory=spill)  # a large export spills to disk rather than failing
    # DuckDB's share of an import (it spills beyond it): parsing a million CTRs peaks at about 0.76 GB
    # with 500MB (about 150 MB of the chaining spilled), 0.86-0.91 GB with 800MB (about 0.2 s faster)
    con.execute("set memory_limit = '500MB'")
    con.execute("set preserve_insertion_order = true")  # line numbers follow the file
    con.execute("set TimeZone = 'UTC'")
    return con


def _as_json_lines(path: Path, scratch: Path) -> Path:
    """A file that is one JSON document (an array of CTRs, one CTR, or {"ContactTraceRecords": [...]})
    rewritten as JSON lines, a record a line (its line number is then its record number); a JSON-lines
    file as it is."""
    with open(path, "rb") as handle:
        first_line = handle.readline()
    head = first_line.lstrip()
    if not head.startswith((b"[", b"{")):
        return path
    if head.startswith(b"{"):
        try:
            json.loads(first_line)
            return path  # the first line is a whole record: JSON lines
        except ValueError:
            pass  # a record spread over lines (pretty-printed): one document
    try:
        document = json.loads(path.read_bytes())
    except ValueError:
        return path  # JSON lines (or a broken array): read line by line, the good lines still count
    if isinstance(document, dict) and isinstance(document.get("ContactTraceRecords"), list):
        document = document["ContactTraceRecords"]
    records = document if isinstance(document, list) else [document]
    target = scratch / f"{len(list(scratch.iterdir()))}.jsonl"
    target.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return target


def self_service_options(mapping: dict | None) -> tuple[list[str], float, str | None]:
    """The attribute names to look for (lower case), the drop threshold in seconds, and the attribute the
    mapping names (None: the usual names). ValueError naming the mapping entry that cannot be used."""
    mapping = mapping or {}
    named = mapping.get("self_service_attribute")
    if named is not None and (not isinstance(named, str) or not named.strip()):
        raise ValueError(f"mapping: self_service_attribute must be the name of the contact attribute your "
                         f"flow stores the self-service outcome in (e.g. \"contained\"), not {named!r}")
    seconds = mapping.get("menu_drop_seconds", MENU_DROP_SECONDS)
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not math.isfinite(seconds) \
            or seconds < 0:
        raise ValueError(f"mapping: menu_drop_seconds must be a number of seconds, 0 or more (e.g. 20), "
                         f"not {seconds!r}")
    named = named.strip() if named is not None else None
    names = [named] if named is not None else list(SELF_SERVICE_ATTRIBUTES)
    return [name.lower() for name in names], float(seconds), named


def _or(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _reasons(kinds: pd.DataFrame, seconds: float) -> pd.Series:
    """The set-aside reason of each kind of judged chain (channel_type, decided_by, self_service,
    attribute_key): a category, naming at most the attribute."""
    channel = kinds["channel_type"].astype(object)
    voice = channel.eq("VOICE")
    place = pd.Series(np.select([voice, channel.eq("CHAT")], ["phone menu", "chat flow"], "contact flow"),
                      index=kinds.index, dtype=object)
    drop = pd.Series(np.where(voice, "a phone-menu drop", "a drop in the flow"), index=kinds.index,
                     dtype=object)
    key = kinds["attribute_key"].astype(object).fillna("")
    reason = ("left the " + place + f" within {seconds:g} s without reaching a queue or a self-service "
              "outcome (" + drop + ", not self-service)")
    by_attribute = kinds["decided_by"].eq("attribute")
    reason[by_attribute] = ("left the " + place + " without reaching a queue, and its contact attribute "
                            + key + " says not contained (" + drop + ", not self-service)")[by_attribute]
    unknown = kinds["self_service"].eq("unknown")
    reason[unknown] = ("no usable end time (DisconnectTimestamp missing or before the start), cannot tell "
                       "self-service from " + drop)[unknown]
    return reason


def _judged_set_aside(aside: pd.DataFrame, seconds: float) -> pd.DataFrame:
    """The chains judged a drop or unknown as set-aside rows, in file and line order: the reason (worded
    once per kind of chain), the contact ids and the fields that decided in the record."""
    aside = aside.sort_values(["source_file", "source_row"])
    columns = ["channel_type", "decided_by", "self_service", "attribute_key"]
    kinds = aside[columns].astype(object).fillna("").drop_duplicates().reset_index(drop=True)
    kinds["reason"] = _reasons(kinds.replace({"attribute_key": {"": None}}), seconds)
    reason = aside[columns].astype(object).fillna("").merge(kinds, on=columns, how="left")["reason"]
    return pd.DataFrame({"source_file": aside["source_file"].astype(str).to_numpy(dtype=object),
                         "source_row": aside["source_row"].to_numpy(dtype="int64"),
                         "reason": reason.to_numpy(dtype=object),
                         "record": aside["record"].astype(str).to_numpy(dtype=object)})


def _self_service_notes(judged: pd.DataFrame, seconds: float, named: str | None) -> list[str]:
    """What the summary says of the contacts that reached no queue and no agent: how many each rule
    judged contained or a drop, the attribute(s) found, values not understood."""
    if not len(judged):
        return []

    def count(**where) -> int:
        mask = pd.Series(True, index=judged.index)
        for column, value in where.items():
            mask &= judged[column] == value
        return int(mask.sum())

    def keys(fate: str) -> str:
        found = judged.loc[(judged["self_service"] == fate) & (judged["decided_by"] == "attribute"),
                           "attribute_key"].astype(str)
        counted = found.value_counts()
        ordered = sorted(counted.index, key=lambda name: (-counted[name], name.lower(), name))
        return _or(ordered)

    by_attribute, by_duration = count(self_service="contained", decided_by="attribute"), \
        count(self_service="contained", decided_by="duration")
    emails = count(decided_by="email")
    contained = []
    if by_attribute:
        contained.append(f"{by_attribute:,} contained by the contact attribute {keys('contained')}")
    if by_duration:
        contained.append(f"{by_duration:,} by duration (at least {seconds:g} s from start to end)")
    if emails:
        contained.append(f"{emails:,} email{'s' if emails != 1 else ''} answered by "
                         f"{'their' if emails != 1 else 'its'} flow")
    note = "self-service (contacts that reached no queue and no agent): " + (", ".join(contained) or "none")
    drops_attribute = count(self_service="drop", decided_by="attribute")
    drops_duration = count(self_service="drop", decided_by="duration")
    drops = drops_attribute + drops_duration
    if drops:
        parts = []
        if drops_attribute:
            parts.append(f"{drops_attribute:,} by the contact attribute {keys('drop')}")
        if drops_duration:
            parts.append(f"{drops_duration:,} by duration: under {seconds:g} s")
        note += f"; {drops:,} phone-menu drop{'s' if drops != 1 else ''} set aside ({', '.join(parts)})"
    unknown = count(self_service="unknown")
    if unknown:
        note += f"; {unknown:,} set aside without a usable end time"
    notes = [note]
    found = judged["attribute_key"].notna()
    unread = int((found & (judged["decided_by"] != "attribute")).sum())
    if unread:
        notes.append(f"{unread:,} self-service attribute value{'s were' if unread != 1 else ' was'} neither "
                     f"yes ({', '.join(CONTAINED_VALUES)}) nor no ({', '.join(DROPPED_VALUES)}): "
                     "decided as if there were none")
    if not found.any() and named is None:
        notes.append(f"no contact attribute said whether self-service was contained (looked for "
                     f"{', '.join(SELF_SERVICE_ATTRIBUTES)}; name yours with self_service_attribute in the "
                     "mapping): the duration decided")
    elif not found.any():
        notes.append(f"no contact that reached no queue had the attribute {named} the mapping names: "
                     "the duration decided")
    return notes


def parse(paths: list[Path], settings: Settings, mapping: dict | None = None) -> Parsed:
    names, seconds, named = self_service_options(mapping)
    with tempfile.TemporaryDirectory(prefix="cxdash-ctr-") as temporary:
        scratch = Path(temporary)
        (scratch / "spill").mkdir()
        (scratch / "json").mkdir()
        con = _connection(scratch / "spill")
        try:
            legs = load_sql("import_amazon_connect_legs")
            for number, path in enumerate(paths):
                lines = _as_json_lines(Path(path), scratch / "json")
                params = {"path": str(lines), "name": Path(path).name, "separator": "\x1f",
                          "limit": RECORD_TEXT_LIMIT, "attribute_names": names}
                if number == 0:  # the table's columns, as the query gives them
                    con.execute(f"create table ctr_legs as select * from ({legs}) limit 0",
                                {**params, "parts": 1, "part": 0})
                # in parts at once (db.in_parts): each parses its share of the lines on a core of its own
                in_parts(con, lambda cursor, part, params=params: cursor.execute(
                    "insert into ctr_legs " + legs, {**params, **part}).fetchall())
            read = con.execute("select count(*) from ctr_legs").fetchone()[0]
            set_aside = con.execute(load_sql("import_amazon_connect_set_aside")).df()
            # the chains once, as a table: the contacts and what the judging decided are read from it
            con.execute("create table ctr_chains as " + load_sql("import_amazon_connect_chains"), {
                "contained_values": list(CONTAINED_VALUES),
                "dropped_values": list(DROPPED_VALUES), "menu_drop_seconds": seconds})
            con.execute("drop table ctr_legs")
            kept_legs = int(con.execute("select sum(legs) from ctr_chains").fetchone()[0] or 0)
            # the chains that reached no queue and no agent, as the rules judged them (a few columns)
            judged = con.execute(load_sql("import_amazon_connect_judged")).df()
            # through Arrow: a million zoned timestamps convert in a blink rather than seconds; the
            # drops are left out by the query (a filter of the Arrow table would copy every column)
            contacts = con.sql(load_sql("import_amazon_connect_contacts"),
                               params={"repeat_days": REPEAT_DAYS}).to_arrow_table()
        finally:
            con.close()
    aside = judged["self_service"].isin(["drop", "unknown"])
    if aside.any():  # a drop is no contact: set aside, its further legs folded into it
        set_aside = pd.concat([set_aside.astype({"source_row": "int64"}),
                               _judged_set_aside(judged[aside], seconds)], ignore_index=True)
    chain_count = contacts.num_rows + int(aside.sum())
    superseded = read - (len(set_aside) - int(aside.sum())) - kept_legs
    notes = []
    if superseded:
        notes.append(f"{superseded:,} older version(s) of contact trace records replaced by newer ones "
                     "(LastUpdateTimestamp)")
    notes += _self_service_notes(judged, seconds, named)
    return Parsed(SOURCE.name, contacts, set_aside.astype({"source_row": "int64"}), records_read=read,
                  merged=kept_legs - chain_count, superseded=superseded, notes=notes)


# the source, declared once: the command line, the upload checks and the Import page read it here
SOURCE = Source(
    name="amazon-connect",
    label="Amazon Connect contact trace records (JSON lines or JSON)",
    parse=parse,
    extensions=("json", "jsonl"),
    hint=("Contact trace records as Kinesis Data Firehose delivers them (one record a line), or a JSON array "
         "of records. Several files at once are fine."),
    mapping=MappingFile(
        required=False,
        purpose=("Optional. Which contact attribute your flows store the self-service outcome in "
                 "(self_service_attribute; default: the first of contained, selfServiceContained, "
                 "self_service, selfService, ivr_contained), and how short a call that never queued is a "
                 "phone-menu drop rather than self-service when no attribute says (menu_drop_seconds, "
                 "default 20)."),
        example='self_service_attribute = "contained"\nmenu_drop_seconds = 20\n'),
    doc=__doc__,
)
