"""A Genesys Cloud conversation details export for the import benchmark, and the benchmark itself.

`write(path, count)` writes `count` conversations as JSON lines (one conversation a line, as an
analytics conversation details job's results are often saved), seeded: inbound voice (with an IVR,
a queue and an agent; some holds, some transfers to a second queue and agent), chat, email and
messages (sms, whatsapp, web messaging), abandons, self-service, IVR drops, surveys, resolutions, and
the oddities real exports carry in a small share: outbound calls, outbound campaign previews,
callbacks an agent scheduled, internal calls between users, conversations without conversationEnd
(older exports: most have ended, a few are still in progress), agents without tAcw, a conversation
delivered twice (in two pages of a job), and a broken line.

    python bench/exports/genesys.py [COUNT] [FOLDER]

writes COUNT (default 1,000,000) conversations to FOLDER (default bench/out/genesys-export; kept and
reused when it already holds that many), imports them into an empty data folder with import_files,
and prints records/s, CPU seconds and the peak memory (ru_maxrss) of the import, then the time of
the parse alone (genesys.parse). Run it once per measurement (a fresh process each time).
"""

from __future__ import annotations

import json
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

QUEUES = [(f"8d2c6f1e-0000-4a1b-9c3d-00000000000{n}", name) for n, name in
          enumerate(["Billing", "Orders", "Returns", "Tech Support", "Sales", "Web chat", "Email",
                     "Messages"])]
VOICE_QUEUES, CHAT_QUEUE, EMAIL_QUEUE, MESSAGE_QUEUE = QUEUES[:5], QUEUES[5], QUEUES[6], QUEUES[7]
AGENTS = [(f"5e1f0a2b-{n:04d}-4c5d-8e9f-{n:012d}", f"2b3c4d5e-000{n % 4}-4f00-8000-000000000000")
          for n in range(120)]
START = datetime(2026, 1, 1, 13, 0, tzinfo=UTC)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _segment(start: datetime, seconds: float, kind: str, queue: str | None = None,
             disconnect: str | None = None, open_end: bool = False) -> tuple[dict, datetime]:
    end = start + timedelta(seconds=seconds)
    segment = {"segmentStart": _stamp(start)}
    if not open_end:
        segment["segmentEnd"] = _stamp(end)
    if queue:
        segment["queueId"] = queue
    if disconnect:
        segment["disconnectType"] = disconnect
    segment["segmentType"] = kind
    segment["conference"] = False
    return segment, end


def _metric(name: str, value: float, when: datetime) -> dict:
    return {"name": name, "value": int(value), "emitDate": _stamp(when)}


def _customer(media: str, rng: random.Random, start: datetime, end: datetime, queue: str | None,
              message_type: str | None = None, direction: str | None = "inbound",
              open_end: bool = False) -> dict:
    session = {"mediaType": media, "sessionId": f"s-{rng.getrandbits(48):012x}"}
    if message_type:
        session["messageType"] = message_type
    if direction:
        session["direction"] = direction
    if media == "email":
        session["addressFrom"] = f"customer{rng.randint(1, 200_000)}@example.com"
    else:
        session["ani"] = f"tel:+1503{rng.randint(0, 9_999_999):07d}"
        session["dnis"] = "tel:+18005550100"
    segment, _ = _segment(start, (end - start).total_seconds(), "interact", queue, "peer", open_end)
    session["segments"] = [segment]
    session["metrics"] = [_metric("nConnected", 1, start)]
    participant = {"participantId": f"p-{rng.getrandbits(48):012x}", "participantName": "Customer",
                   "purpose": "customer", "sessions": [session]}
    if rng.random() < 0.1:
        participant["externalContactId"] = f"ec-{rng.randint(1, 50_000)}"
    return participant


def _acd(media: str, queue: tuple[str, str], start: datetime, seconds: float, answered: bool,
         rng: random.Random) -> dict:
    segment, end = _segment(start, seconds, "interact", queue[0], "transfer" if answered else "peer")
    metrics = [_metric("nOffered", 1, start),
               _metric("tAcd" if answered else "tAbandon", seconds * 1000, end)]
    return {"participantId": f"p-{rng.getrandbits(48):012x}", "participantName": queue[1], "purpose": "acd",
            "sessions": [{"mediaType": media, "sessionId": f"s-{rng.getrandbits(48):012x}",
                          "direction": "inbound", "segments": [segment], "metrics": metrics}]}


def _agent(media: str, queue: str, start: datetime, rng: random.Random, talk: float, hold: float,
           wrap: float, disconnect: str = "peer", metrics: bool = True) -> tuple[dict, datetime, datetime]:
    """An agent's participant; returns it, when the customer side ended and when the agent's work did."""
    agent, team = rng.choice(AGENTS)
    segments, moment = [], start
    alert, moment = _segment(moment, rng.randint(2, 12), "alert", queue)
    segments.append(alert)
    if hold:
        first, moment = _segment(moment, talk / 2, "interact", queue)
        held, moment = _segment(moment, hold, "hold", queue)
        second, moment = _segment(moment, talk / 2, "interact", queue, disconnect)
        segments += [first, held, second]
    else:
        talked, moment = _segment(moment, talk, "interact", queue, disconnect)
        segments.append(talked)
    talk_end = moment
    if wrap:
        wrapup, moment = _segment(moment, wrap, "wrapup", queue)
        wrapup["wrapUpCode"] = "7fb334b0-0e9e-11e4-9191-0800200c9a66"
        segments.append(wrapup)
    values = []
    if metrics:
        values = [_metric("tAlert", 5_000, start),
                  _metric("tAnswered", 5_000, start), _metric("tTalk", talk * 1000, talk_end),
                  _metric("tTalkComplete", talk * 1000, talk_end)]
        if hold:
            values.append(_metric("tHeld", hold * 1000, talk_end))
        if wrap:
            values.append(_metric("tAcw", wrap * 1000, moment))
        values.append(_metric("tHandle", (talk + hold + wrap) * 1000, moment))
    participant = {"participantId": f"p-{rng.getrandbits(48):012x}", "participantName": "Agent",
                   "userId": agent, "teamId": team, "purpose": "agent",
                   "sessions": [{"mediaType": media, "sessionId": f"s-{rng.getrandbits(48):012x}",
                                 "direction": "inbound", "segments": segments, "metrics": values}]}
    return participant, talk_end, moment


def _ivr(start: datetime, seconds: float, rng: random.Random) -> dict:
    segment, _ = _segment(start, seconds, "ivr")
    return {"participantId": f"p-{rng.getrandbits(48):012x}", "participantName": "Main IVR", "purpose": "ivr",
            "sessions": [{"mediaType": "voice", "sessionId": f"s-{rng.getrandbits(48):012x}",
                          "direction": "inbound", "segments": [segment],
                          "flow": {"flowName": "Main IVR", "flowType": "INBOUNDCALL",
                                   "exitReason": "TRANSFER"},
                          "metrics": [_metric("tIvr", seconds * 1000, start + timedelta(seconds=seconds))]}]}


def _inbound(number: int, rng: random.Random, start: datetime) -> dict:
    """An inbound customer conversation of any channel and outcome."""
    roll = rng.random()
    media, message_type, queue = "voice", None, rng.choice(VOICE_QUEUES)
    if roll < 0.14:
        media, queue = "chat", CHAT_QUEUE
    elif roll < 0.22:
        media, queue = "email", EMAIL_QUEUE
    elif roll < 0.30:
        media, queue, message_type = "message", MESSAGE_QUEUE, rng.choice(["sms", "whatsapp", "webmessaging"])
    participants, moment = [], start
    if media == "voice":
        ivr_seconds = rng.randint(5, 60)
        if rng.random() < 0.05:  # served by the IVR alone, or dropped in it
            conversation = {"selfServed": True} if rng.random() < 0.6 else {}
            end = moment + timedelta(seconds=ivr_seconds)
            participants = [_customer(media, rng, start, end, None), _ivr(start, ivr_seconds, rng)]
            return {**conversation, "participants": participants, "_end": end}
        participants.append(_ivr(moment, ivr_seconds, rng))
        moment += timedelta(seconds=ivr_seconds)
    wait = rng.randint(2, 300) if media != "email" else rng.randint(60, 20_000)
    if rng.random() < 0.07 and media != "email":  # abandoned in the queue
        participants.append(_acd(media, queue, moment, wait, False, rng))
        end = moment + timedelta(seconds=wait)
        participants.insert(0, _customer(media, rng, start, end, queue[0], message_type))
        return {"participants": participants, "_end": end}
    participants.append(_acd(media, queue, moment, wait, True, rng))
    moment += timedelta(seconds=wait)
    talk = rng.randint(40, 900) if media != "email" else rng.randint(60, 600)
    hold = rng.randint(10, 120) if media == "voice" and rng.random() < 0.25 else 0
    wrap = rng.randint(5, 120) if rng.random() < 0.95 else 0
    transfer = media == "voice" and rng.random() < 0.05
    agent, talk_end, work_end = _agent(media, queue[0], moment, rng, talk, hold, wrap,
                                       "transfer" if transfer else "peer", metrics=rng.random() < 0.9)
    participants.append(agent)
    customer_end = talk_end
    if transfer:
        second_queue = rng.choice([q for q in VOICE_QUEUES if q != queue])
        participants.append(_acd(media, second_queue, talk_end, 20, True, rng))
        agent, customer_end, second_end = _agent(media, second_queue[0], talk_end + timedelta(seconds=20),
                                                 rng, rng.randint(60, 600), 0, rng.randint(10, 60))
        participants.append(agent)
        work_end = max(work_end, second_end)
    participants.insert(0, _customer(media, rng, start, customer_end, queue[0], message_type))
    conversation = {"participants": participants, "_end": max(work_end, customer_end)}
    if rng.random() < 0.06:
        answered = work_end + timedelta(minutes=rng.randint(2, 120))
        conversation["surveys"] = [{"surveyId": f"sv-{number}", "surveyStatus": "Finished",
                                    "surveyPromoterScore": rng.randint(0, 10),
                                    "surveyCompletedDate": _stamp(answered), "eventTime": _stamp(answered)}]
    if rng.random() < 0.03:
        later = work_end + timedelta(days=7)
        conversation["resolutions"] = [{"queueId": queue[0], "userId": agent["userId"],
                                        "nNextContactAvoided": rng.randint(0, 1), "eventTime": _stamp(later)}]
    return conversation


def _outbound(rng: random.Random, start: datetime, kind: str) -> dict:
    """An outbound call an agent placed, a campaign preview, a callback an agent scheduled, or an
    internal call between users: set aside by the importer."""
    agent, team = rng.choice(AGENTS)
    media = "callback" if kind in ("preview", "callback") else "voice"
    dialing, moment = _segment(start, 5, "dialing")
    talking, end = _segment(moment, rng.randint(60, 600), "interact", disconnect="client")
    session = {"mediaType": media, "sessionId": f"s-{rng.getrandbits(48):012x}",
               "segments": [dialing, talking],
               "metrics": [_metric("tTalk", (end - moment).total_seconds() * 1000, end)]}
    if kind == "preview":
        session["outboundCampaignId"] = "c4a1d9e0-0000-4b00-8000-0000000000aa"
    if kind == "callback":
        session["agentOwned"] = True
    user = {"participantId": f"p-{rng.getrandbits(48):012x}", "userId": agent, "teamId": team,
            "purpose": "user" if kind == "internal" else "agent", "sessions": [session]}
    contacting, _ = _segment(start + timedelta(seconds=1), (end - start).total_seconds() - 1, "contacting")
    other = {"participantId": f"p-{rng.getrandbits(48):012x}",
             "purpose": "user" if kind == "internal" else "external",
             "sessions": [{"mediaType": media, "sessionId": f"s-{rng.getrandbits(48):012x}",
                           "ani": f"tel:+1503{rng.randint(0, 9_999_999):07d}", "segments": [contacting]}]}
    if kind == "internal":
        other["userId"] = rng.choice(AGENTS)[0]
    conversation = {"participants": [user, other], "_end": end}
    if kind == "outbound":
        conversation["originatingDirection"] = "outbound"
    return conversation


def _conversation(number: int, rng: random.Random) -> dict:
    start = START + timedelta(seconds=number * 3 + rng.randint(0, 2), milliseconds=rng.randint(0, 999))
    roll = rng.random()
    if roll < 0.01:
        body = _outbound(rng, start, rng.choice(["outbound", "preview", "callback", "internal"]))
    else:
        body = _inbound(number, rng, start)
        if "originatingDirection" not in body:
            body["originatingDirection"] = "inbound"
    end = body.pop("_end")
    conversation = {"conversationId": f"{number:08x}-6b1d-4c2e-8f3a-{rng.getrandbits(48):012x}",
                    "conversationStart": _stamp(start)}
    if rng.random() < 0.02:  # an older export: no conversationEnd; a few are still in progress
        if rng.random() < 0.1:
            body["participants"][0]["sessions"][0]["segments"][-1].pop("segmentEnd", None)
    else:
        conversation["conversationEnd"] = _stamp(end)
    conversation.update(body)
    conversation["divisionIds"] = ["1b6b98a6-3d70-47be-9406-61a5aa8cc570"]
    return conversation


def write(path: Path, count: int) -> list[Path]:
    """`count` conversations as JSON lines in `path`/conversations.jsonl (seeded)."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    target = path / "conversations.jsonl"
    temporary = target.with_suffix(".tmp")
    rng = random.Random(16)
    with open(temporary, "w", encoding="utf-8") as out:
        written, number = 0, 0
        while written < count:
            number += 1
            line = json.dumps(_conversation(number, rng), separators=(",", ":"))
            lines = [line]
            if rng.random() < 0.005:
                lines.append(line)  # delivered twice (in two pages of a job)
            if rng.random() < 0.0001:
                lines.append(line[: len(line) // 2])  # cut short
            for text in lines[: count - written]:
                out.write(text + "\n")
            written += min(len(lines), count - written)
    os.replace(temporary, target)
    return [target]


def _cpu() -> float:
    """CPU seconds of this process so far, every thread (DuckDB's) counted."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    here = Path(__file__).resolve().parent  # bench/exports, whose csv.py would shadow the standard library's
    sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != here]
    root = here.parents[1]
    sys.path.insert(0, str(root))
    from cxdash.importers import genesys, import_files
    from cxdash.settings import Settings

    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    folder = Path(sys.argv[2]) if len(sys.argv) > 2 else root / "bench" / "out" / "genesys-export"
    marker = folder / "count.txt"
    if not marker.exists() or marker.read_text() != str(count):
        started = time.perf_counter()
        files = write(folder, count)
        marker.write_text(str(count))
        print(f"wrote {count:,} conversations in {time.perf_counter() - started:.0f} s")
    files = [folder / "conversations.jsonl"]
    size = sum(f.stat().st_size for f in files) / 1e6
    target = Path(tempfile.mkdtemp(prefix="cxdash-genesys-bench-"))
    try:
        started, cpu = time.perf_counter(), _cpu()
        summary = import_files(target, "genesys", files, Settings())
        seconds, cpu_seconds = time.perf_counter() - started, _cpu() - cpu
    finally:
        shutil.rmtree(target, ignore_errors=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # the import's, before the parse
    started, cpu = time.perf_counter(), _cpu()
    parsed = genesys.parse(files, Settings())
    parse_seconds, parse_cpu = time.perf_counter() - started, _cpu() - cpu
    del parsed
    print(f"genesys: {summary.records_read:,} records ({size:,.0f} MB of JSON lines) imported in "
          f"{seconds:.2f} s = {summary.records_read / seconds:,.0f} records/s, {cpu_seconds:.1f} CPU s; "
          f"peak {peak:,.0f} MB; parse alone {parse_seconds:.2f} s, {parse_cpu:.1f} CPU s; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"  {summary.new:,} new, {summary.superseded:,} older versions, {summary.set_aside:,} set aside "
          f"(balanced: {summary.balanced})")
    for reason, number in sorted(summary.reasons.items(), key=lambda item: -item[1]):
        print(f"    {number:,} {reason}")


if __name__ == "__main__":
    main()
