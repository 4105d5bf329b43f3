"""An Amazon Connect export for the import benchmark: contact trace records as JSON lines, as Kinesis
Data Firehose delivers them (3% of calls transferred once: a second record chained to the first; 1%
of records delivered twice; 5% abandoned; one line in ten thousand cut short).

`write(path, count)` writes `count` records into the folder `path` and returns the file written.
"""

from __future__ import annotations

import json
import os
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path


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
            lines = [json.dumps(record)]
            if not abandoned and rng.random() < 0.03:
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
