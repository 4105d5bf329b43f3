"""An Amazon Connect export for the import benchmark: contact trace records as JSON lines, as Kinesis
Data Firehose delivers them. Calls and chats (a third chats); 3% of queued calls transferred once (a
second record chained to the first); 1% of records delivered twice; 5% of queued contacts abandoned;
one line in ten thousand cut short. A sixth of the calls never queue: the flow alone served them or
the caller left the phone menu. Of those, about a third hang up within 2-19 s (phone-menu drops), the
rest stay 25 s to 5 min (self-service); a quarter carry the flow's `contained` attribute (true, or
false for some long calls that still got nowhere), and one in five hundred has no DisconnectTimestamp.

`write(path, count)` writes `count` records into the folder `path` and returns the file written.

    python bench/exports/amazon_connect.py [COUNT]

writes COUNT records (default 1,000,000) in a child process, imports them into an empty data folder
with cxdash.importers.import_files and prints records/s and the peak memory (ru_maxrss).
"""

from __future__ import annotations

import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

IVR_ONLY = 1 / 6  # calls that never queue
DROPS = 0.35  # of those: left the phone menu within 2-19 s
WITH_ATTRIBUTE = 0.25  # of those: the flow stored `contained`
NOT_CONTAINED = 0.15  # of the long ones with the attribute: it says false
NO_END = 0.002  # of those: no DisconnectTimestamp


def _ivr_only(rng: random.Random, record: dict, arrived: datetime, stamp) -> dict:
    """A call the flow alone handled (or the caller left): no queue, no agent."""
    drop = rng.random() < DROPS
    seconds = rng.randint(2, 19) if drop else rng.randint(25, 300)
    ivr = dict(record, Queue=None, Agent=None, Attributes={"language": "en-US"},
               DisconnectTimestamp=stamp(arrived + timedelta(seconds=seconds)),
               LastUpdateTimestamp=stamp(arrived + timedelta(seconds=seconds + 40)))
    if rng.random() < WITH_ATTRIBUTE:
        contained = not drop and rng.random() >= NOT_CONTAINED
        ivr["Attributes"] = {"language": "en-US", "contained": "true" if contained else "false"}
    if rng.random() < NO_END:
        del ivr["DisconnectTimestamp"]
    return ivr


def write(path: Path, count: int) -> list[Path]:
    path.mkdir(parents=True, exist_ok=True)
    target = path / "ctr.jsonl"
    rng = random.Random(7)
    start = datetime(2026, 1, 1, tzinfo=UTC)

    def stamp(moment: datetime) -> str:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    temporary = target.with_suffix(".tmp")
    with open(temporary, "w", encoding="utf-8") as out:
        written = 0
        number = 0
        while written < count:
            number += 1
            arrived = start + timedelta(seconds=number * 25 + rng.randint(0, 20))
            queued = arrived + timedelta(seconds=8)
            abandoned = rng.random() < 0.05
            record = {
                "AWSAccountId": "123456789012", "ContactId": f"{number:08d}-bench-4000-8000-000000000000",
                "Channel": "VOICE" if number % 3 else "CHAT", "InitiationMethod": "INBOUND",
                "InitiationTimestamp": stamp(arrived), "ConnectedToSystemTimestamp": stamp(arrived),
                "DisconnectTimestamp": stamp(arrived + timedelta(seconds=400)),
                "LastUpdateTimestamp": stamp(arrived + timedelta(seconds=460)),
                "CustomerEndpoint": {"Address": f"+1503555{rng.randint(0, 99999):05d}",
                                     "Type": "TELEPHONE_NUMBER"},
                "Queue": {"Name": rng.choice(["orders", "returns", "billing", "product_advice"]),
                          "EnqueueTimestamp": stamp(queued), "Duration": 20},
                "Agent": None if abandoned else {
                    "Username": f"agent{rng.randint(1, 24)}",
                    "ConnectedToAgentTimestamp": stamp(queued + timedelta(seconds=20)),
                    "AgentInteractionDuration": rng.randint(60, 600),
                    "CustomerHoldDuration": rng.randint(0, 60),
                    "AfterContactWorkDuration": rng.randint(0, 90),
                    "HierarchyGroups": {"Level1": {"GroupName": "Team Day"}}},
                "Attributes": {"csat_score": str(rng.randint(1, 5))} if rng.random() < 0.2 else {}}
            ivr_only = record["Channel"] == "VOICE" and rng.random() < IVR_ONLY
            if ivr_only:
                record = _ivr_only(rng, record, arrived, stamp)
            lines = [json.dumps(record)]
            if not ivr_only and not abandoned and rng.random() < 0.03:
                leg = dict(record, ContactId=record["ContactId"].replace("bench", "xfer"),
                           InitiationMethod="TRANSFER", InitialContactId=record["ContactId"],
                           PreviousContactId=record["ContactId"])
                lines.append(json.dumps(leg))
            if rng.random() < 0.01:
                lines.append(lines[0])  # at-least-once delivery
            if rng.random() < 0.0001:
                lines.append(lines[0][: len(lines[0]) // 2])  # cut short
            for line in lines[: count - written]:
                out.write(line + "\n")
            written += min(len(lines), count - written)
    os.replace(temporary, target)
    return [target]


def main(count: int) -> None:
    """Write the export in a child process (so the peak memory measured is the import's), then import it
    into an empty data folder, timing the parse apart."""
    from cxdash.importers import import_files, parse_files
    from cxdash.settings import Settings

    with tempfile.TemporaryDirectory(prefix="cxdash-bench-connect-") as temporary:
        export = Path(temporary) / "export"
        subprocess.run([sys.executable, __file__, "--write", str(export), str(count)], check=True)
        files = [export / "ctr.jsonl"]
        started = time.perf_counter()
        summary = import_files(Path(temporary) / "data", "amazon-connect", files, Settings())
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started = time.perf_counter()
        parse_files("amazon-connect", files, Settings())
        parsing = time.perf_counter() - started
    print(f"amazon-connect: {summary.records_read:,} records in {seconds:.2f} s (parse alone "
          f"{parsing:.2f} s) = {summary.records_read / seconds:,.0f} records/s, peak {peak:,.0f} MB; "
          f"{summary.new:,} contacts, {summary.merged:,} merged, {summary.superseded:,} older versions, "
          f"{summary.set_aside:,} set aside, balanced: {summary.balanced}")
    for note in summary.notes:
        print(f"  note: {note}")


if __name__ == "__main__":
    # cxdash from this checkout, not this folder (whose module names may hide the standard library's)
    HERE = Path(__file__).resolve().parent
    sys.path[:] = [str(HERE.parents[1])] + [p for p in sys.path if Path(p or ".").resolve() != HERE]
    if sys.argv[1:2] == ["--write"]:
        write(Path(sys.argv[2]), int(sys.argv[3]))
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
