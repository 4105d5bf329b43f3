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
import tempfile
from pathlib import Path

import duckdb

from cxdash.db import connect, load_sql
from cxdash.importers.core import Parsed, Source
from cxdash.settings import Settings

REPEAT_DAYS = 7  # a contact is resolved at first contact when the customer does not call again within
# seven days (Genesys Cloud's default window), unless the contact's attributes say
RECORD_TEXT_LIMIT = 2_000  # characters of a set-aside record kept for reading


def _connection(spill: Path) -> duckdb.DuckDBPyConnection:
    con = connect(temp_directory=spill)  # a large export spills to disk rather than failing
    # a batch job, not the app: room to chain a million records without spilling (twice as fast)
    con.execute("set memory_limit = '1200MB'")
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


def parse(paths: list[Path], settings: Settings, mapping: dict | None = None) -> Parsed:
    with tempfile.TemporaryDirectory(prefix="cxdash-ctr-") as temporary:
        scratch = Path(temporary)
        (scratch / "spill").mkdir()
        (scratch / "json").mkdir()
        con = _connection(scratch / "spill")
        try:
            created = False
            for path in paths:
                lines = _as_json_lines(Path(path), scratch / "json")
                statement = "insert into ctr_legs " if created else "create table ctr_legs as "
                con.execute(statement + load_sql("import_amazon_connect_legs"), {
                    "path": str(lines), "name": Path(path).name, "separator": "\x1f",
                    "limit": RECORD_TEXT_LIMIT})
                created = True
            read = con.execute("select count(*) from ctr_legs").fetchone()[0]
            set_aside = con.execute(load_sql("import_amazon_connect_set_aside")).df()
            # through Arrow: a million zoned timestamps convert in a blink rather than seconds
            contacts = con.sql(load_sql("import_amazon_connect_contacts"),
                               params={"repeat_days": REPEAT_DAYS}).to_arrow_table().to_pandas()
        finally:
            con.close()
    kept_legs = int(contacts["legs"].sum()) if len(contacts) else 0
    superseded = read - len(set_aside) - kept_legs
    notes = []
    if superseded:
        notes.append(f"{superseded:,} older version(s) of contact trace records replaced by newer ones "
                     "(LastUpdateTimestamp)")
    return Parsed(SOURCE.name, contacts.drop(columns="legs"), set_aside.astype({"source_row": "int64"}),
                  records_read=read, merged=kept_legs - len(contacts), superseded=superseded, notes=notes)


# the source, declared once: the command line, the upload checks and the Import page read it here
SOURCE = Source(
    name="amazon-connect",
    label="Amazon Connect contact trace records (JSON lines or JSON)",
    parse=parse,
    extensions=("json", "jsonl"),
    hint=("Contact trace records as Kinesis Data Firehose delivers them (one record a line), or a JSON array "
         "of records. Several files at once are fine."),
    doc=__doc__,
)
