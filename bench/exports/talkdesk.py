"""A realistic Talkdesk calls report for the import benchmark: `write(path, count)` writes `count` records
of the calls report as the reporting API's CSV (UTC times with Z, durations in seconds) into the folder
`path`; `write_json(path, count)` writes the same calls as the API's JSON, pages of entries a line
(`{"total": N, "entries": [...], "_links": {...}}`).

What a real report holds, in a seeded random mix: inbound calls answered (some transferred: the handling
agent differs from the one the call rang, some put on hold), abandoned, short-abandoned, missed,
voicemail, outbound and outbound-missed calls; ring groups that are lists (quoted: they hold commas),
agents' notes with commas and, rarely, a line break (a record over two lines); CSAT answers on a few
calls; and the oddities of real files in a small share of records: calls delivered twice (a later
copy with the survey answer), rows cut short (a field missing), a start time that is no timestamp.

Run `python bench/exports/talkdesk.py [count] [--json] [--parse-only]`: writes the report (in another
process), imports it into an empty data folder with cxdash.importers.import_files (or, with
--parse-only, only parses it) and prints records/s, peak MB (ru_maxrss) and CPU seconds.
"""

from __future__ import annotations

import sys
from pathlib import Path

# run as a script, this folder comes first on sys.path: its modules (csv.py) must not hide the standard
# library's
if sys.path and Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
COLUMNS = ["call_id", "callsid", "type", "start_at", "end_at", "talkdesk_phone_number",
           "talkdesk_phone_display_name", "contact_phone_number", "user_id", "user_name", "user_email",
           "total_time", "talk_time", "wait_time", "hold_time", "abandon_time", "total_ringing_time",
           "disposition_code", "notes", "user_voice_rating", "ring_groups", "ivr_options",
           "is_in_business_hours", "is_callback_from_queue", "is_transfer", "handling_user_id",
           "handling_user_name", "handling_user_email", "recording_url", "csat_score", "csat_survey_time",
           "team_id", "team_name"]
TYPES = ["inbound", "abandoned", "short_abandoned", "missed", "voicemail", "outbound", "outbound_missed"]
SHARES = [0.66, 0.08, 0.03, 0.04, 0.03, 0.14, 0.02]
DUPLICATES = 0.005  # calls delivered twice
CUT_SHORT = 0.0005  # rows with a field missing
BAD_TIME = 0.0002  # rows whose start time is no timestamp
NOTE_BREAK = 0.0003  # notes with a line break: a record over two lines
PAGE = 1_000  # entries per page of the JSON variant


def _hex(rng: np.random.Generator, count: int, width: int) -> np.ndarray:
    """`count` random hex strings of `width` characters."""
    raw = rng.integers(0, 256, size=(count * width + 1) // 2, dtype=np.uint8).tobytes().hex()
    return np.frombuffer(raw[:count * width].encode("ascii"), dtype=f"S{width}").astype(str)


def _times(moments: np.ndarray) -> pd.Series:
    return pd.Series(pd.to_datetime(moments, unit="s")).dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def _calls(count: int, seed: int) -> pd.DataFrame:
    """`count` records of the calls report (text), duplicates and damaged rows included, in file order."""
    rng = np.random.default_rng(seed)
    calls = count - int(count * DUPLICATES)  # the rest are second deliveries
    kind = rng.choice(len(TYPES), size=calls, p=SHARES)
    answered = (kind == 0) | (kind == 5)
    unanswered = ~answered
    start = np.sort(1_714_521_600 + rng.integers(0, 30 * 86_400, size=calls))  # May 2024, UTC
    wait = np.where(kind == 2, rng.integers(1, 5, calls), rng.exponential(35, calls).astype(int))
    wait = np.where(kind == 5, 0, wait)
    talk = np.where(answered, 20 + rng.gamma(2.0, 150, calls).astype(int), 0)
    held = answered & (rng.random(calls) < 0.2)
    hold = np.where(held, np.minimum(rng.integers(5, 240, calls), talk), 0)
    total = wait + talk
    agents = 400
    agent_ids = _hex(rng, agents, 24)
    agent_names = np.array([f"Agent {number:03d}" for number in range(agents)])
    rang = rng.integers(0, agents, calls)
    transferred = answered & (rng.random(calls) < 0.05)
    handled = np.where(transferred, rng.integers(0, agents, calls), rang)
    has_agent = answered | (kind == 3)  # a missed call names whom it rang
    teams = np.array(["Support A", "Support B", "Billing", "Sales"])
    groups = np.array(["support", "billing", "\"support,billing\"", "sales", "agents"])
    notes = np.where(rng.random(calls) < 0.1, "\"Called back, no answer\"", "")
    notes = np.where(rng.random(calls) < NOTE_BREAK, "\"Asked for a refund,\nsent the form\"", notes)
    csat = np.where(answered & (kind == 0) & (rng.random(calls) < 0.12),
                    rng.integers(1, 6, calls).astype(str), "")
    frame = pd.DataFrame({
        "call_id": _hex(rng, calls, 32),
        "callsid": np.char.add("CA", _hex(rng, calls, 32)),
        "type": np.array(TYPES)[kind],
        "start_at": _times(start),
        "end_at": _times(start + total),
        "talkdesk_phone_number": "+15035550100",
        "talkdesk_phone_display_name": "support",
        "contact_phone_number": np.char.add("+1503", rng.integers(1_000_000, 9_999_999, calls).astype(str)),
        "user_id": np.where(has_agent, agent_ids[rang], ""),
        "user_name": np.where(has_agent, agent_names[rang], ""),
        "user_email": np.where(has_agent, np.char.add(agent_ids[rang], "@example.com"), ""),
        "total_time": total.astype(str),
        "talk_time": talk.astype(str),
        "wait_time": wait.astype(str),
        "hold_time": hold.astype(str),
        "abandon_time": np.where((kind == 1) | (kind == 2), wait, 0).astype(str),
        "total_ringing_time": np.where(answered, np.minimum(wait, 15), 0).astype(str),
        "disposition_code": np.where(answered, "Resolved", ""),
        "notes": notes,
        "user_voice_rating": "0",
        "ring_groups": groups[rng.integers(0, len(groups), calls)],
        "ivr_options": np.where(rng.random(calls) < 0.5, "\"1,2\"", "1"),
        "is_in_business_hours": np.where(unanswered & (rng.random(calls) < 0.3), "false", "true"),
        "is_callback_from_queue": "false",
        "is_transfer": np.where(transferred, "true", "false"),
        "handling_user_id": np.where(answered, agent_ids[handled], ""),
        "handling_user_name": np.where(answered, agent_names[handled], ""),
        "handling_user_email": np.where(answered, np.char.add(agent_ids[handled], "@example.com"), ""),
        "recording_url": np.where(answered, "/recordings/r", ""),
        "csat_score": csat,
        "csat_survey_time": np.where(csat != "", _times(start + total + 60), ""),
        "team_id": np.where(has_agent, "t" + (rang % 4).astype(str), ""),
        "team_name": np.where(has_agent, teams[rang % 4], ""),
    })
    # second deliveries: a later copy of some answered calls, with the survey answer
    again = frame[frame["type"] == "inbound"].sample(n=count - calls, random_state=seed, replace=True)
    again = again.assign(csat_score="4", csat_survey_time=again["end_at"])
    frame = pd.concat([frame, again], ignore_index=True)
    bad = rng.random(len(frame)) < BAD_TIME
    frame.loc[bad, "start_at"] = "not recorded"
    return frame


def _lines(frame: pd.DataFrame, seed: int) -> pd.Series:
    rng = np.random.default_rng(seed + 1)
    line = frame[COLUMNS[0]].str.cat([frame[name] for name in COLUMNS[1:]], sep=",")
    short = rng.random(len(frame)) < CUT_SHORT  # a row cut short: its last field missing
    line[short] = line[short].str.rsplit(",", n=1).str[0]
    return line


def write(path: Path, count: int, seed: int = 16) -> list[Path]:
    """The calls report as CSV: `count` records, into the folder `path`."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    target = path / "talkdesk_calls.csv"
    lines = _lines(_calls(count, seed), seed)
    with open(target, "w", encoding="utf-8", newline="") as handle:
        handle.write(",".join(COLUMNS) + "\n")
        handle.write("\n".join(lines.tolist()) + "\n")
    return [target]


def write_json(path: Path, count: int, seed: int = 16) -> list[Path]:
    """The calls report as the API's JSON: pages of entries, one page a line (numbers and booleans as
    JSON writes them, empty values null), and in the middle a page cut short (a download that broke
    off, then the pages again): `count` records, the line cut short one of them."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    target = path / "talkdesk_calls.jsonl"
    frame = _calls(count - 1, seed)
    frame = frame.replace("", None)
    for name in ("notes", "ring_groups", "ivr_options"):
        frame[name] = frame[name].str.strip('"')
    for name in ("total_time", "talk_time", "wait_time", "hold_time", "abandon_time", "total_ringing_time",
                 "user_voice_rating", "csat_score"):
        frame[name] = pd.to_numeric(frame[name]).astype("Int64")
    for name in ("is_in_business_hours", "is_callback_from_queue", "is_transfer"):
        frame[name] = frame[name] == "true"
    entries = frame.to_json(orient="records", lines=True).splitlines()
    pages = range(0, len(entries), PAGE)
    with open(target, "w", encoding="utf-8") as handle:
        for page, first in enumerate(pages):  # a page a line, as the API pages
            link = f'{{"self": {{"href": "/data/reports/calls/jobs/x?page={page + 1}"}}}}'
            text = (f'{{"total": {len(entries)}, "page": {page + 1}, "entries": ['
                    + ",".join(entries[first:first + PAGE]) + f'], "_links": {link}}}\n')
            if page == len(pages) // 2:
                handle.write(text[:len(text) // 3] + "\n")  # cut short, then sent again
            handle.write(text)
    return [target]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int, nargs="?", default=1_000_000)
    parser.add_argument("--json", action="store_true", help="the JSON variant (pages of entries)")
    parser.add_argument("--write-only", type=Path, metavar="FOLDER", help="only write the report there")
    parser.add_argument("--parse-only", action="store_true",
                        help="time the importer's parse alone (parse_files), not the merge that follows")
    arguments = parser.parse_args()
    writer = write_json if arguments.json else write
    if arguments.write_only:
        print(json.dumps([str(file) for file in writer(arguments.write_only, arguments.count)]))
        return
    sys.path.insert(0, str(ROOT))
    from cxdash.importers import import_files, parse_files
    from cxdash.settings import Settings

    scratch = Path(tempfile.mkdtemp(prefix="cxdash-bench-talkdesk-"))
    try:
        # written by another process, so the peak memory below is the import's alone
        command = [sys.executable, __file__, str(arguments.count), "--write-only", str(scratch / "exports")]
        written = subprocess.run(command + (["--json"] if arguments.json else []), check=True,
                                 capture_output=True, text=True).stdout
        files = [Path(file) for file in json.loads(written)]
        data = scratch / "data"
        data.mkdir()
        before = resource.getrusage(resource.RUSAGE_SELF)
        started = time.perf_counter()
        if arguments.parse_only:
            parsed = parse_files("talkdesk", files, Settings())
            figures = {"records": parsed.records_read, "rows": len(parsed.rows),
                       "set_aside": len(parsed.set_aside)}
        else:
            summary = import_files(data, "talkdesk", files, Settings())
            figures = {"records": summary.records_read, "new": summary.new, "superseded": summary.superseded,
                       "set_aside": summary.set_aside, "balanced": summary.balanced}
        seconds = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_SELF)
        cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        print(json.dumps({"seconds": round(seconds, 2), "records_per_s": round(figures["records"] / seconds),
                          "peak_mb": round(after.ru_maxrss / 1024), "cpu_seconds": round(cpu, 2), **figures}))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
