"""Amazon Connect contact trace records (CTRs) into the data contract.

Accepts JSON lines (one CTR a line, as Kinesis Data Firehose delivers them), a JSON array of CTRs,
or one CTR per file. CTRs arrive at least once: the newest LastUpdateTimestamp of each ContactId is
kept (older versions count as superseded). A transfer creates a new CTR chained to the first by
InitialContactId: the legs make one customer contact (sql/import_amazon_connect_contacts.sql says
how). Timestamps are UTC, as Amazon Connect writes them. Outbound and monitoring contacts and tasks
are set aside with their reason, as are lines that are not JSON and records without a ContactId or
an InitiationTimestamp.

Survey answers and dispositions are read from the contact attributes when a flow stored them there:
`csat_score`, `nps_score`, `ces_score`, `tier`, `resolved_first_contact`.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow as pa

from cxdash.db import connect, load_sql
from cxdash.importers.core import Parsed
from cxdash.settings import Settings

SOURCE = "amazon-connect"
REPEAT_DAYS = 7  # a contact is resolved at first contact when the customer does not call again within
# seven days (Genesys Cloud's default window), unless the contact's attributes say
RECORD_TEXT_LIMIT = 2_000  # characters of a set-aside record kept for reading


def _connection() -> duckdb.DuckDBPyConnection:
    con = connect()
    con.execute("set preserve_insertion_order = true")  # line numbers follow the file
    con.execute("set TimeZone = 'UTC'")
    con.execute("create table ctr_lines (source_file varchar, source_row bigint, line varchar)")
    return con


def _whole_json(path: Path) -> list | None:
    """The records of a file that is one JSON document (an array, or one CTR); None for JSON lines."""
    with open(path, "rb") as handle:
        head = handle.read(4096).lstrip()
    if not head.startswith((b"[", b"{")):
        return None
    if head.startswith(b"{"):
        # JSON lines start with "{" too: one document only if the whole file parses as one
        try:
            document = json.loads(path.read_bytes())
        except ValueError:
            return None
        if isinstance(document, dict) and isinstance(document.get("ContactTraceRecords"), list):
            return document["ContactTraceRecords"]
        return [document]
    try:
        document = json.loads(path.read_bytes())
    except ValueError:
        return None  # a broken array: read it line by line, so the good lines still count
    return document if isinstance(document, list) else [document]


def _load(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    records = _whole_json(path)
    if records is not None:
        lines = [json.dumps(record) for record in records]
        con.register("whole_file", pa.table({
            "source_file": [path.name] * len(lines), "source_row": list(range(1, len(lines) + 1)),
            "line": lines}))
        con.execute("insert into ctr_lines select * from whole_file")
        con.unregister("whole_file")
        return
    # JSON lines, read by DuckDB without Python touching each line: one text column, split on line
    # ends only (0x1f never appears unescaped in JSON)
    con.execute("insert into ctr_lines " + load_sql("import_text_lines"),
                {"path": str(path), "name": path.name, "separator": "\x1f"})


def parse(paths: list[Path], settings: Settings, mapping: dict | None = None) -> Parsed:
    con = _connection()
    try:
        for path in paths:
            _load(con, Path(path))
        con.execute("create table ctr_legs as " + load_sql("import_amazon_connect_legs"))
        read = con.execute("select count(*) from ctr_legs").fetchone()[0]
        set_aside = con.execute(load_sql("import_amazon_connect_set_aside"),
                                {"limit": RECORD_TEXT_LIMIT}).df()
        contacts = con.execute(load_sql("import_amazon_connect_contacts"), {"repeat_days": REPEAT_DAYS}).df()
    finally:
        con.close()
    kept_legs = int(contacts["legs"].sum()) if len(contacts) else 0
    superseded = read - len(set_aside) - kept_legs
    notes = []
    if superseded:
        notes.append(f"{superseded:,} older version(s) of contact trace records replaced by newer ones "
                     "(LastUpdateTimestamp)")
    return Parsed(SOURCE, contacts.drop(columns="legs"), set_aside.astype({"source_row": "int64"}),
                  records_read=read, merged=kept_legs - len(contacts), superseded=superseded, notes=notes)
