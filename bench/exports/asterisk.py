"""A realistic Asterisk queue_log of N lines for the importer's benchmark: a log and its rotation.

Calls enter one of four queues (ENTERQUEUE with the caller's number), ring agents who do not answer
(RINGNOANSWER), are answered (CONNECT) and completed by the agent or the caller, or abandon, or time
out (EXITWITHTIMEOUT, a share of them retried in an overflow queue), or leave with a key, or are
transferred (TRANSFER, BLINDTRANSFER, ATTENDEDTRANSFER; a blind transfer to a queue comes back as a
second leg). Agents log in, pause and unpause between calls. The events of all calls are interleaved in
time order, as Asterisk writes them, and the log is cut into queue_log.1 (older) and queue_log at a
moment when calls are under way, so calls span the rotation. The oddities of real logs, in a small share:
runs of NUL bytes left by unclean shutdowns (at the start of the newer file, between lines and inside a
line), lines cut short, and lines repeated (the same stretch of log given twice).

Run it: `.venv/bin/python bench/exports/asterisk.py [LINES]` writes LINES lines (1,000,000 by default)
to a temporary folder, imports them into an empty data folder with import_files and prints lines/s
and peak memory.
"""

from __future__ import annotations

import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QUEUES = ("support", "billing", "sales", "technical")
OVERFLOW = "overflow"
AGENTS = [f"PJSIP/{1000 + n}" for n in range(60)] + [f"Local/{2000 + n}@agents" for n in range(20)]
START = 1_772_323_200  # 2026-03-01 00:00 UTC


def _call_lines(rng: random.Random, callid: str, start: int) -> list[tuple[int, str]]:
    """The (time, line) of one call's events."""
    out: list[tuple[int, str]] = []
    queue = rng.choice(QUEUES)
    caller = rng.choice(("", "anonymous")) if rng.random() < 0.04 else f"503555{rng.randrange(10**4):04d}"
    moment = start

    def line(event: str, agent: str = "NONE", *data: object, queue_name: str | None = None) -> None:
        fields = [str(moment), callid, queue_name or queue, agent, event, *map(str, data)]
        out.append((moment, "|".join(fields)))

    line("ENTERQUEUE", "NONE", "", caller, 1)
    entered = moment
    for _ in range(rng.choice((0, 0, 0, 1, 2))):
        moment += rng.randint(5, 20)
        line("RINGNOANSWER", rng.choice(AGENTS), rng.randint(5000, 20000))
    outcome = rng.random()
    if outcome < 0.10:  # the caller gives up
        moment += rng.randint(3, 240)
        line("ABANDON", "NONE", 1, 1, moment - entered)
        return out
    if outcome < 0.16:  # the queue's timeout: half of them retried in the overflow queue
        moment += rng.randint(60, 300)
        line("EXITWITHTIMEOUT", "NONE", 1, 1, moment - entered)
        if rng.random() < 0.5:
            return out
        moment += 1
        queue = OVERFLOW
        line("ENTERQUEUE", "NONE", "", caller, 1)
        entered = moment
    elif outcome < 0.17:
        moment += rng.randint(5, 60)
        line("EXITWITHKEY", "NONE", 1, 1, 1, moment - entered)
        return out
    elif outcome < 0.175:
        moment += 1
        line("EXITEMPTY", "NONE", 1, 1, 1)
        return out
    agent = rng.choice(AGENTS)
    moment += rng.randint(2, 90)
    hold = moment - entered
    line("CONNECT", agent, hold, f"{moment}.{rng.randrange(10**4)}", rng.randint(1, 15))
    talk = rng.randint(20, 900)
    moment += talk
    kind = rng.random()
    if kind < 0.06:
        line("BLINDTRANSFER", agent, 700, "from-queue", hold, talk, 1)
        if rng.random() < 0.5:  # into another queue: a second leg of the same call
            moment += 2
            queue = rng.choice(QUEUES)
            line("ENTERQUEUE", "NONE", "", caller, 1)
            entered = moment
            agent = rng.choice(AGENTS)
            moment += rng.randint(2, 60)
            line("CONNECT", agent, moment - entered, f"{moment}.{rng.randrange(10**4)}", 3)
            talk = rng.randint(20, 600)
            moment += talk
            line("COMPLETEAGENT", agent, moment - entered - talk, talk, 1)
    elif kind < 0.08:
        line("ATTENDEDTRANSFER", agent, "BRIDGE", f"bridge-{rng.randrange(10**6)}", hold, talk, 1)
    elif kind < 0.09:
        line("TRANSFER", agent, 800, "default", hold, talk, 1)
    else:
        line(rng.choice(("COMPLETEAGENT", "COMPLETECALLER")), agent, hold, talk, 1)
    return out


def _lines(count: int, seed: int) -> list[str]:
    """At least `count` lines of calls and agent events, in time order."""
    rng = random.Random(seed)
    events: list[tuple[int, int, str]] = []
    moment, number, written = START, 0, 0
    while written < count:
        moment += rng.randint(0, 12)
        if rng.random() < 0.03:  # agents log in, pause, unpause between calls
            event = rng.choice(("ADDMEMBER", "PAUSE|lunch", "UNPAUSE|", "REMOVEMEMBER", "PAUSE|break"))
            events.append((moment, len(events), f"{moment}|NONE|{rng.choice(QUEUES)}|"
                                                f"{rng.choice(AGENTS)}|{event}"))
            written += 1
            continue
        number += 1
        for at, text in _call_lines(rng, f"{moment}.{number}", moment):
            events.append((at, len(events), text))
            written += 1
    events.sort()
    return [text for _, _, text in events]


def write(path: Path, count: int, seed: int = 16) -> list[Path]:
    """`count` lines (records) of queue_log in two files under `path`: queue_log.1 (the older part) and
    queue_log, with a few NUL runs, lines cut short and repeated lines. Returns [queue_log.1, queue_log]."""
    rng = random.Random(seed + 1)
    cut = max(1, count // 20000) if count > 10 else 0  # lines cut short, each run into the next one
    lines = _lines(count + cut, seed)
    repeated = max(1, count // 2000)  # a stretch of the log given twice (about 0.05%)
    if count > 2 * repeated:
        at = count // 3
        lines = lines[:at + repeated] + lines[at:at + repeated] + lines[at + repeated:]
    lines = lines[:count + cut]
    split = len(lines) // 2  # calls are under way here: they span the rotation
    # a line cut short by a crash, its block zeroed: text, NULs, then the next line (never a file's last)
    for index in rng.sample([i for i in range(len(lines) - 1) if i != split - 1], k=cut):
        lines[index] = lines[index][: max(1, len(lines[index]) // 2)] + "\0" * rng.randint(20, 400)
    path.mkdir(parents=True, exist_ok=True)
    older, newer = path / "queue_log.1", path / "queue_log"
    zero_runs = set(rng.sample(range(split), k=min(split, max(1, count // 50000))))
    with open(older, "w", encoding="utf-8", newline="\n") as handle:
        for index in range(split):
            if index in zero_runs:  # a run of NULs between two lines
                handle.write("\0" * rng.randint(100, 4096))
            handle.write(lines[index] + ("" if lines[index].endswith("\0") else "\n"))
    with open(newer, "w", encoding="utf-8", newline="\n") as handle:
        handle.write("\0" * 4096)  # logrotate's copytruncate: the writer kept its offset
        for index in range(split, len(lines)):
            handle.write(lines[index] + ("" if lines[index].endswith("\0") else "\n"))
    return [older, newer]


def main(count: int) -> None:
    """Write the log in a child process (so the peak memory measured is the import's), import it as
    import_files does (parse, then store), timing the parse apart."""
    from cxdash.importers import parse_files, store
    from cxdash.settings import Settings

    with tempfile.TemporaryDirectory(prefix="cxdash-bench-asterisk-") as temporary:
        export = Path(temporary) / "export"
        subprocess.run([sys.executable, __file__, "--write", str(export), str(count)], check=True)
        files = [export / "queue_log.1", export / "queue_log"]
        started, cpu = time.perf_counter(), time.process_time()
        parsed = parse_files("asterisk", files, Settings())
        parsing, parse_cpu = time.perf_counter() - started, time.process_time() - cpu
        parse_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        summary = store(Path(temporary) / "data", parsed, Settings(), [path.name for path in files])
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # CPU seconds (all threads) beside the wall clock: on a shared machine the wall clock also counts the
    # time other processes had the cores
    print(f"asterisk: {summary.records_read:,} lines in {seconds:.2f} s (parse {parsing:.2f} s; CPU "
          f"{cpu:.2f} s, parse {parse_cpu:.2f} s) = {summary.records_read / seconds:,.0f} lines/s, "
          f"peak {peak:,.0f} MB (parse {parse_peak:,.0f} MB); "
          f"{summary.new:,} calls, {summary.merged:,} merged, {summary.set_aside:,} set aside, "
          f"balanced: {summary.balanced}")


if __name__ == "__main__":
    # cxdash from this checkout; not this folder, whose csv.py (another source's bench) would hide the
    # stdlib's csv from duckdb and pandas
    HERE = Path(__file__).resolve().parent
    sys.path[:] = [str(HERE.parents[1])] + [p for p in sys.path if Path(p or ".").resolve() != HERE]
    if sys.argv[1:2] == ["--write"]:
        write(Path(sys.argv[2]), int(sys.argv[3]))
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
