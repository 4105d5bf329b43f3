"""A realistic CSV call detail export (as an ACD or PBX writes it) and its mapping file, for the benchmark
of the CSV/Excel importer: `write(path, count)` writes `count` records into the folder `path`
(acd_calls.csv, and acd_calls.toml: the mapping the import needs; `mapping(path)` reads it).

The export, as a US contact center's ACD writes its call detail report: Windows line ends and a
byte-order mark, its own column names ("Call ID", "Start Time", "Talk Time", ...), local times as
MM/DD/YYYY HH:MM:SS in America/New_York (a 24/7 line: a few night calls fall in the hour the clocks
skip on 8 March), the queue wait in seconds, talk and after-call work as H:MM:SS, hold in seconds,
media types the mapping turns into channels, a disposition that says "Abandoned", a 1-10 survey score on
a share of calls, NPS and first-contact resolution (Yes/No) on some, agents' notes (quoted when they hold
a comma, rarely a line break: a record over two lines), and the record's last change in UTC (ISO 8601
with Z). The oddities of real files in a small share of records: calls delivered twice (a later version
with the survey answer), a note with an unquoted comma (a field too many), a start time "N/A", a media
type the mapping does not know ("Fax"), a survey score outside its scale.

Run `python bench/exports/csv_mapping.py [count]` (1,000,000 by default; `--excel` writes a workbook of
200,000 by default instead): writes the export in another process, imports it into an empty data folder
with cxdash.importers.import_files, and prints records/s, peak MB and the parse alone again (its seconds
and its CPU seconds: on a busy machine the second tells more).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd

# named csv_mapping (as cxdash/importers/csv_mapping.py), not csv: run as a script, this folder comes
# first on sys.path, where a csv.py would hide the standard library's csv module from pandas and DuckDB
ROOT = Path(__file__).resolve().parents[2]

COLUMNS = ["Call ID", "Start Time", "End Time", "Media Type", "Direction", "Skill", "Agent", "Agent Group",
           "ANI", "DNIS", "Queue Wait (s)", "Talk Time", "Hold Time", "ACW Time", "Disposition",
           "Survey CSAT (1-10)", "NPS", "First Contact Resolution", "Notes", "Last Modified (UTC)"]
MAPPING = """\
# The ACD's call detail report (bench/exports/csv_mapping.py): local New York times, H:MM:SS durations
source = "acd"
timezone = "America/New_York"

[columns]
interaction_id = "Call ID"
channel = "Media Type"
arrived_at = { column = "Start Time", format = "%m/%d/%Y %H:%M:%S" }
answered_at = { column = "Queue Wait (s)", unit = "seconds", after = "arrived_at" }
ended_at = { column = "End Time", format = "%m/%d/%Y %H:%M:%S" }
queue = "Skill"
agent_id = "Agent"
team = "Agent Group"
customer_id = "ANI"
abandoned = { column = "Disposition", true = ["Abandoned", "Abandoned in IVR"] }
talk_seconds = { column = "Talk Time", unit = "hh:mm:ss" }
hold_seconds = "Hold Time"
wrap_seconds = { column = "ACW Time", unit = "hh:mm:ss" }
csat_score = { column = "Survey CSAT (1-10)", scale = [1, 10] }
nps_score = "NPS"
resolved_first_contact = "First Contact Resolution"
source_updated_at = "Last Modified (UTC)"

[values.channel]
"Voice" = "phone"
"Chat" = "chat"
"Email" = "email"
"SMS" = "sms"
"""
MEDIA = np.array(["Voice", "Chat", "Email", "SMS"])
MEDIA_SHARES = [0.7, 0.18, 0.1, 0.02]
SKILLS = np.array(["Billing", "Tech Support", "Orders", "Retention", "General"])
DISPOSITIONS = np.array(["Resolved", "Callback Scheduled", "Transferred", "Escalated"])
START = pd.Timestamp("2026-02-16")  # local New York time: eight weeks across the change to summer time
DAYS = 56
DUPLICATES = 0.005  # calls delivered twice
UNQUOTED_COMMA = 0.0002  # a note with a comma and no quotes: a field too many
BAD_TIME = 0.0002  # a start time "N/A"
UNKNOWN_MEDIA = 0.0001  # "Fax"
OFF_SCALE = 0.0001  # a survey score of 11 on 1-10
NOTE_BREAK = 0.0003  # a note over two lines (quoted)
ISO_UTC = "%Y-%m-%dT%H:%M:%SZ"


def _clock(seconds: np.ndarray) -> np.ndarray:
    """Seconds as H:MM:SS."""
    seconds = seconds.astype(np.int64)
    hours, rest = np.divmod(seconds, 3600)
    minutes, secs = np.divmod(rest, 60)
    return np.char.add(np.char.add(np.char.add(hours.astype(str), ":"),
                                   np.char.add(np.char.zfill(minutes.astype(str), 2), ":")),
                       np.char.zfill(secs.astype(str), 2))


def _calls(count: int, seed: int) -> pd.DataFrame:
    """`count` records (text), second deliveries and damaged rows included, in file order."""
    rng = np.random.default_rng(seed)
    calls = count - int(count * DUPLICATES)
    # arrivals over the day's hours (a 24/7 line, quiet at night), sorted as the report lists them
    hour_weights = np.array([1, 1, 1, 1, 1, 2, 4, 8, 12, 14, 14, 13, 12, 13, 14, 13, 12, 10, 8, 6, 4, 3, 2,
                             1], dtype=float)
    hours = rng.choice(24, size=calls, p=hour_weights / hour_weights.sum())
    local = np.sort(START.value // 10**9 + rng.integers(0, DAYS, calls) * 86_400 + hours * 3600
                    + rng.integers(0, 3600, calls))
    media = rng.choice(len(MEDIA), size=calls, p=MEDIA_SHARES)
    live = media <= 1
    abandoned = live & (rng.random(calls) < 0.07)
    wait = np.where(live, rng.exponential(40, calls), rng.exponential(4 * 3600, calls)).astype(np.int64)
    talk = np.where(abandoned, 0, 30 + rng.gamma(2.0, 140, calls)).astype(np.int64)
    hold = np.where(~abandoned & (rng.random(calls) < 0.2), rng.integers(5, 300, calls), 0)
    wrap = np.where(abandoned, 0, rng.integers(0, 120, calls))
    ended = local + wait + talk + hold
    agents = np.array([f"agent{number:04d}" for number in range(600)])
    agent = rng.integers(0, len(agents), calls)
    surveyed = ~abandoned & (rng.random(calls) < 0.15)
    csat = np.where(surveyed, rng.integers(1, 11, calls).astype(str), "")
    nps = np.where(surveyed & (rng.random(calls) < 0.6), rng.integers(0, 11, calls).astype(str), "")
    fcr = np.where(abandoned, "", np.where(rng.random(calls) < 0.75, "Yes", "No"))
    notes = np.where(rng.random(calls) < 0.05, "\"Customer called back, issue open\"", "")
    notes = np.where(rng.random(calls) < NOTE_BREAK, "\"Refund requested;\r\nform sent\"", notes)
    modified = local + 5 * 3600 + (ended - local) + wrap  # UTC, well after the local end (EST/EDT + more)

    def stamp(seconds: np.ndarray) -> pd.Series:
        return pd.Series(pd.to_datetime(seconds, unit="s")).dt.strftime("%m/%d/%Y %H:%M:%S")

    frame = pd.DataFrame({
        "Call ID": np.char.add("CD-", (10_000_000 + np.arange(calls)).astype(str)),
        "Start Time": stamp(local),
        "End Time": stamp(ended),
        "Media Type": MEDIA[media],
        "Direction": "Inbound",
        "Skill": SKILLS[rng.integers(0, len(SKILLS), calls)],
        "Agent": np.where(abandoned, "", agents[agent]),
        "Agent Group": np.where(abandoned, "", np.char.add("Team ", (agent // 50).astype(str))),
        "ANI": np.char.add("+1212", rng.integers(1_000_000, 9_999_999, calls).astype(str)),
        "DNIS": "+18005550100",
        "Queue Wait (s)": wait.astype(str),
        "Talk Time": _clock(talk),
        "Hold Time": hold.astype(str),
        "ACW Time": _clock(wrap),
        "Disposition": np.where(abandoned, np.where(rng.random(calls) < 0.2, "Abandoned in IVR", "Abandoned"),
                                DISPOSITIONS[rng.integers(0, len(DISPOSITIONS), calls)]),
        "Survey CSAT (1-10)": csat,
        "NPS": nps,
        "First Contact Resolution": fcr,
        "Notes": notes,
        "Last Modified (UTC)": pd.Series(pd.to_datetime(modified, unit="s")).dt.strftime(ISO_UTC),
    })
    # second deliveries: a later version of some answered calls, now with the survey answer
    again = frame[frame["Agent"] != ""].sample(n=count - calls, random_state=seed, replace=True)
    later = pd.to_datetime(again["Last Modified (UTC)"]) + pd.Timedelta(hours=20)
    again = again.assign(**{"Survey CSAT (1-10)": "9", "Last Modified (UTC)": later.dt.strftime(ISO_UTC)})
    frame = pd.concat([frame, again], ignore_index=True)
    for share, column, value in ((BAD_TIME, "Start Time", "N/A"), (UNKNOWN_MEDIA, "Media Type", "Fax"),
                                 (OFF_SCALE, "Survey CSAT (1-10)", "11"),
                                 (UNQUOTED_COMMA, "Notes", "Callback at 5, customer busy")):
        frame.loc[rng.random(len(frame)) < share, column] = value
    return frame


def mapping(path: Path) -> dict:
    """The mapping file write() puts beside the export, read."""
    return tomllib.loads((Path(path) / "acd_calls.toml").read_text(encoding="utf-8"))


def write(path: Path, count: int, seed: int = 16) -> list[Path]:
    """The call detail report as CSV: `count` records, into the folder `path`, with its mapping file
    (acd_calls.toml) beside it. Returns the export."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    (path / "acd_calls.toml").write_text(MAPPING, encoding="utf-8")
    frame = _calls(count, seed)
    lines = frame[COLUMNS[0]].str.cat([frame[name] for name in COLUMNS[1:]], sep=",")
    target = path / "acd_calls.csv"
    with open(target, "w", encoding="utf-8-sig", newline="") as handle:  # a BOM, as Windows tools write
        handle.write(",".join(f'"{name}"' if " " in name else name for name in COLUMNS) + "\r\n")
        handle.write("\r\n".join(lines.tolist()) + "\r\n")
    return [target]


def write_excel(path: Path, count: int, seed: int = 16) -> list[Path]:
    """The same report as an Excel workbook (acd_calls.xlsx; times and counts as the CSV writes them,
    numbers as numbers), with the mapping file beside it."""
    from openpyxl import Workbook

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    (path / "acd_calls.toml").write_text(MAPPING, encoding="utf-8")
    frame = _calls(count, seed)
    frame["Notes"] = frame["Notes"].str.strip('"')
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Calls")
    sheet.append(COLUMNS)
    numbers = {"Queue Wait (s)", "Hold Time", "Survey CSAT (1-10)", "NPS"}
    columns = [pd.to_numeric(frame[name], errors="coerce").astype(object).where(frame[name] != "", None)
               .tolist() if name in numbers else frame[name].tolist() for name in COLUMNS]
    for row in zip(*columns, strict=True):
        sheet.append(row)
    target = path / "acd_calls.xlsx"
    book.save(target)
    return [target]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int, nargs="?")
    parser.add_argument("--excel", action="store_true", help="an Excel workbook (200,000 records by default)")
    parser.add_argument("--write-only", type=Path, metavar="FOLDER", help="only write the export there")
    parser.add_argument("--keep", type=Path, metavar="FOLDER",
                        help="write the export there once and reuse it in later runs")
    arguments = parser.parse_args()
    count = arguments.count or (200_000 if arguments.excel else 1_000_000)
    writer = write_excel if arguments.excel else write
    if arguments.write_only:
        print(json.dumps([str(file) for file in writer(arguments.write_only, count)]))
        return
    sys.path.insert(0, str(ROOT))
    from cxdash.importers import import_files, parse_files
    from cxdash.settings import Settings

    scratch = Path(tempfile.mkdtemp(prefix="cxdash-bench-csv-"))
    try:
        exports = arguments.keep or scratch / "exports"
        name = "acd_calls.xlsx" if arguments.excel else "acd_calls.csv"
        if not (exports / name).exists():  # written by another process: the peak below is the import's
            command = [sys.executable, __file__, str(count), "--write-only", str(exports)]
            subprocess.run(command + (["--excel"] if arguments.excel else []), check=True,
                           capture_output=True, text=True)
        files = [exports / name]
        document = mapping(exports)
        data = scratch / "data"
        data.mkdir()
        started = time.perf_counter()
        summary = import_files(data, "csv", files, Settings(), document)
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # the import's, before the parse
        started, cpu = time.perf_counter(), time.process_time()
        parse_files("csv", files, Settings(), document)
        parse_seconds, parse_cpu = time.perf_counter() - started, time.process_time() - cpu
        print(json.dumps({"records": summary.records_read, "seconds": round(seconds, 2),
                          "records_per_s": round(summary.records_read / seconds),
                          "parse_seconds": round(parse_seconds, 2), "parse_cpu_seconds": round(parse_cpu, 2),
                          "peak_mb": round(peak),
                          "new": summary.new, "superseded": summary.superseded,
                          "set_aside": summary.set_aside, "reasons": summary.reasons,
                          "balanced": summary.balanced}))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
