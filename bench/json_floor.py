"""What reading a JSON export costs before any rule runs (issue 16): DuckDB's JSON reading of the
Genesys Cloud and Amazon Connect bench exports (bench/exports/<source>.py, oddities included), stage
by stage, in CPU seconds on one core per million records, and the fastest an importer of that export
could be on this machine's cores if reading and typing its fields were all it did.

Stages, each a query that adds one step to the one before (the importers' own read and schema: the
schema is taken from the importer's SQL file, so this bench follows it):
- lines: the file read as text lines, as the importer reads it;
- validated: each line parsed as JSON (json_valid, which the importers run first: a line that is not
  JSON inside try() makes DuckDB redo its whole chunk line by line);
- typed: and the valid lines typed into the importer's fields (json_transform, parsing them again);
- reader: the same fields typed by DuckDB's own JSON reader (read_json with them as its columns: one
  parse a record, but no line numbers, which a set-aside row needs, and no text of a line it cannot
  read): what typing costs without the lines read as text first;
- importer: the importer's whole query on one core, its rows kept in a table (every rule; Amazon
  Connect's first query, the legs).

    python bench/json_floor.py [--count 200000] [--runs 3] [--sources genesys,amazon-connect]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from imports import RATE_GOAL, export  # noqa: E402 - the import bench's exports, written once

from cxdash.db import connect, load_sql  # noqa: E402

QUERIES = {"genesys": "import_genesys_conversations", "amazon-connect": "import_amazon_connect_legs"}
SEPARATOR = "\x1f"  # as the importers: a character never unescaped in JSON, so a line is one value


def _schema(query: str) -> str:
    """The fields the importer's query types its lines into (its json_transform of the line)."""
    found = re.search(r"json_transform\(line, '(\{.*?\})'\)", load_sql(query), re.S)
    if not found:
        raise SystemExit(f"sql/{query}.sql has no json_transform(line, '...'): update this bench")
    return found.group(1)


def _columns(schema: str) -> str:
    """The importer's json_transform schema as read_json's columns (DuckDB types)."""
    def kind(value) -> str:
        if isinstance(value, str):
            return value
        if isinstance(value, list):
            return kind(value[0]) + "[]"
        return "STRUCT(" + ", ".join(f'"{name}" {kind(inner)}' for name, inner in value.items()) + ")"
    return "{" + ", ".join(f"'{name}': '{kind(value)}'" for name, value in json.loads(schema).items()) + "}"


def stages(source: str, path: Path) -> dict[str, tuple[str, dict]]:
    lines = ("read_csv($path, columns = {'line': 'VARCHAR'}, header = false, delim = $separator, quote = '', "
             "escape = '', auto_detect = false, strict_mode = false, max_line_size = 8388608, "
             "buffer_size = 16777216)")
    fields = _schema(QUERIES[source])
    schema = fields.replace("'", "''")
    base = {"path": str(path), "separator": SEPARATOR}
    whole = {**base, "name": path.name, "limit": 20_000, "parts": 1, "part": 0}
    if source == "genesys":
        whole.update(live_channels=["phone", "chat"], queue_ids=[], queue_names=[])
    else:  # the self-service attribute's usual names, as the importer looks for them
        from cxdash.importers.amazon_connect import self_service_options
        whole.update(attribute_names=self_service_options(None)[0])
    return {
        "lines": (f"select count(*) from {lines}", base),
        "validated": (f"select count(*) filter (where json_valid(line)) from {lines}", base),
        "typed": (f"select count(json_transform(line, '{schema}')) from {lines} where json_valid(line)",
                  base),
        # every column typed: each counted (count(*) would let the reader skip them)
        "reader": (f"select count(columns(*)) from read_json($path, format = 'newline_delimited', "
                   f"columns = {_columns(fields)}, ignore_errors = true, "
                   "maximum_object_size = 8388608)", {"path": str(path)}),
        # every column kept (a count would let DuckDB skip the columns no one reads)
        "importer": (f"create or replace temp table kept as {load_sql(QUERIES[source])}", whole),
    }


def measure(source: str, count: int, runs: int) -> dict:
    files, _ = export(source, count)
    path = files[0]
    con = connect()
    con.execute("set threads = 1")
    con.execute("set preserve_insertion_order = true")
    con.execute("set TimeZone = 'UTC'")
    seconds = {}
    for stage, (sql, params) in stages(source, path).items():
        spent = []
        for _ in range(runs):
            started = time.process_time()
            con.execute(sql, params).fetchall()
            spent.append(time.process_time() - started)
        seconds[stage] = min(spent) * 1_000_000 / count  # CPU seconds per million records
    con.close()
    cores = os.cpu_count() or 1
    return {"source": source, "records": count, "bytes_per_record": path.stat().st_size / count,
            "cpu_seconds_per_million": seconds, "cores": cores,
            # all cores busy doing nothing but reading and typing
            "most_records_per_second_typed": cores * 1_000_000 / seconds["typed"],
            "most_records_per_second_importer": cores * 1_000_000 / seconds["importer"]}


def report(result: dict) -> str:
    cpu = result["cpu_seconds_per_million"]
    steps = ", ".join(f"{stage} {value:.2f}" for stage, value in cpu.items())
    return (f"  {result['source']:15s} {result['bytes_per_record']:,.0f} bytes a record; CPU-s per million "
            f"on one core: {steps}\n"
            f"  {'':15s} at most {result['most_records_per_second_typed']:,.0f} records/s on "
            f"{result['cores']} cores if typing the fields were all an import did; "
            f"{result['most_records_per_second_importer']:,.0f} with the importer's rules "
            f"(goal {RATE_GOAL:,} for the whole import)")


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sources", default="genesys,amazon-connect")
    args = parser.parse_args(argv)
    results = []
    print(f"DuckDB's JSON reading, {args.count:,} records, least CPU of {args.runs} runs on one core:")
    for source in args.sources.split(","):
        results.append(measure(source, args.count, args.runs))
        print(report(results[-1]), flush=True)
    return results


if __name__ == "__main__":
    main()
