"""A realistic Zendesk incremental tickets export for the import benchmark: `write(path, count)` writes
`count` ticket records as the incremental export API delivers them (GET /api/v2/incremental/tickets/
cursor.json?include=metric_sets): pages of up to 1,000 tickets, each page one response body
`{"tickets": [...], "metric_sets": [...], "after_cursor": ..., "end_of_stream": ..., "count": ...}`.

The tickets are whole API ticket objects (url, via with its source, subject, description, tags, custom
fields, the inline satisfaction_rating...), the metric sets whole metric objects (the calendar and
business minutes of every measure). The oddities of a real export, in a small share of records, seeded:
- a ticket updated again later in the export window comes again, in a later page, with a newer
  updated_at (about 2% of the records): the incremental export delivers a ticket each time it changes;
- a ticket deleted later comes again with status "deleted" (about 0.5%), its metric set not sideloaded;
- via values of a real account: web, email, api, native_messaging, chat, voice, twitter, facebook,
  whatsapp, sms, mobile_sdk, any_channel (an integration);
- satisfaction ratings inline: unoffered, offered, good, bad (with and without a comment);
- lines that are no page: in the second file, the error body a script saved when the API refused a
  request (`{"error": "APIRateLimitExceeded", ...}`); at the end of the last file, a page cut short by
  an interrupted download.

Layouts: "lines" (default): JSON lines, one page a line, 100 pages a file (what a script that appends
each response to a file writes); "pages": one pretty-printed file per page (what a script that saves
each response writes).

Run `python bench/exports/zendesk.py [count] [--layout pages] [--exports FOLDER] [--parse-only]`: writes
the export (in another process, or reuses FOLDER when it holds one), imports it into an empty data folder
with cxdash.importers.import_files (or only reads it: --parse-only) and prints tickets/s, records/s
(a metric set is a record too), CPU seconds and peak MB.
"""

from __future__ import annotations

import sys
from pathlib import Path

# run as a script, this folder comes first on sys.path, where bench/exports/csv.py would hide the
# standard library's csv module (which pandas and DuckDB import)
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent.parent
PAGE = 1_000  # tickets a page, the API's largest page
PAGES_A_FILE = 100  # in the "lines" layout
START = datetime(2024, 1, 1, tzinfo=UTC)
SPAN_SECONDS = 365 * 86_400

VIA = [("web", 40), ("email", 28), ("api", 9), ("native_messaging", 6), ("chat", 4), ("voice", 5),
       ("twitter", 1.5), ("facebook", 1), ("whatsapp", 1.5), ("sms", 1), ("mobile_sdk", 1.5),
       ("any_channel", 1.5)]
STATUS = [("closed", 45), ("solved", 25), ("open", 12), ("pending", 8), ("hold", 3), ("new", 7)]
RATINGS = [("unoffered", 55), ("offered", 20), ("good", 20), ("bad", 5)]
SUBJECTS = ["Order arrived damaged", "Where is my refund?", "Cannot log in to my account",
            "Change of delivery address", "Invoice for last month", "The app crashes on start",
            "Cancel my subscription", "Wrong size sent"]
TAGS = ["billing", "delivery", "login", "refund", "vip", "app", "invoice", "returns"]


def _time(seconds: float) -> str:
    return (START + timedelta(seconds=int(seconds))).strftime("%Y-%m-%dT%H:%M:%SZ")


def _pick(rng: random.Random, table: list[tuple[str, float]]) -> str:
    return rng.choices([value for value, _ in table], weights=[weight for _, weight in table])[0]


def _minutes(value: int | None, business: int | None = None) -> str:
    if value is None:
        return '{"calendar":null,"business":null}'
    return f'{{"calendar":{value},"business":{business if business is not None else value}}}'


def _ticket(rng: random.Random, ticket: dict, updated: float, status: str) -> str:
    """A ticket object as the API writes it (keys in the API's order)."""
    ident = ticket["id"]
    via = ticket["via"]
    subject = ticket["subject"]
    rating = ticket["rating"] if status in ("solved", "closed") else "unoffered"
    if rating in ("good", "bad"):
        comment = json.dumps(rng.choice(["", "Quick and helpful", "Took too long", "Thanks!"]))
        rating_text = (f'{{"score":"{rating}","id":{ident + 90_000_000},"comment":{comment},'
                       f'"reason":"No reason provided","reason_id":0}}')
    elif rating == "offered":
        rating_text = f'{{"score":"offered","id":{ident + 90_000_000},"comment":null}}'
    else:
        rating_text = '{"score":"unoffered"}'
    assignee = "null" if ticket["assignee"] is None else str(ticket["assignee"])
    group = "null" if ticket["group"] is None else str(ticket["group"])
    tags = json.dumps(ticket["tags"])
    fields = (f'[{{"id":360001001,"value":"{ticket["tags"][0] if ticket["tags"] else "other"}"}},'
              f'{{"id":360001002,"value":{rng.choice(["null", "true", "false"])}}},'
              f'{{"id":360001003,"value":"{rng.choice(["tier_1", "tier_2"])}"}}]')
    source = ('{"from":{"address":"customer@example.com","name":"A customer"},"to":{"name":"Support",'
              '"address":"support@example.zendesk.com"},"rel":null}' if via == "email" else
              '{"from":{},"to":{},"rel":null}')
    return (
        f'{{"url":"https://example.zendesk.com/api/v2/tickets/{ident}.json","id":{ident},"external_id":null,'
        f'"via":{{"channel":"{via}","source":{source}}},"created_at":"{_time(ticket["created"])}",'
        f'"updated_at":"{_time(updated)}","generated_timestamp":{int(START.timestamp() + updated)},'
        f'"type":"{ticket["type"]}","subject":{json.dumps(subject)},"raw_subject":{json.dumps(subject)},'
        f'"description":{json.dumps(ticket["description"])},"priority":"{ticket["priority"]}",'
        f'"status":"{status}","recipient":null,"requester_id":{ticket["requester"]},'
        f'"submitter_id":{ticket["requester"]},"assignee_id":{assignee},"organization_id":null,'
        f'"group_id":{group},"collaborator_ids":[],"follower_ids":[],"email_cc_ids":[],'
        f'"forum_topic_id":null,"problem_id":null,"has_incidents":false,"is_public":true,"due_at":null,'
        f'"tags":{tags},"custom_fields":{fields},"satisfaction_rating":{rating_text},'
        f'"sharing_agreement_ids":[],"custom_status_id":{ticket["custom_status"]},"fields":{fields},'
        f'"followup_ids":[],"ticket_form_id":360000123,"brand_id":360000456,"allow_channelback":false,'
        f'"allow_attachments":true,"from_messaging_channel":{str(via == "native_messaging").lower()}}}')


def _metric_set(ticket: dict, updated: float, status: str) -> str:
    """The ticket's metric set as the API writes it."""
    created = ticket["created"]
    reply = ticket["reply"]
    solved = status in ("solved", "closed")
    full = ticket["full"] if solved else None
    solved_at = f'"{_time(created + full * 60)}"' if solved else "null"
    return (
        f'{{"url":"https://example.zendesk.com/api/v2/ticket_metrics/{ticket["id"] + 50_000_000}.json",'
        f'"id":{ticket["id"] + 50_000_000},"ticket_id":{ticket["id"]},"created_at":"{_time(created)}",'
        f'"updated_at":"{_time(updated)}","group_stations":1,"assignee_stations":1,'
        f'"reopens":{ticket["reopens"]},"replies":{ticket["replies"] if reply is not None else 0},'
        f'"assignee_updated_at":"{_time(updated)}","requester_updated_at":"{_time(created)}",'
        f'"status_updated_at":"{_time(updated)}","initially_assigned_at":"{_time(created + 60)}",'
        f'"assigned_at":"{_time(created + 60)}","solved_at":{solved_at},'
        f'"latest_comment_added_at":"{_time(updated)}","custom_status_updated_at":"{_time(updated)}",'
        f'"reply_time_in_minutes":{_minutes(reply)},'
        f'"reply_time_in_seconds":{{"calendar":{"null" if reply is None else reply * 60}}},'
        f'"first_resolution_time_in_minutes":{_minutes(full)},'
        f'"full_resolution_time_in_minutes":{_minutes(full)},'
        f'"agent_wait_time_in_minutes":{_minutes(full and full // 3)},'
        f'"requester_wait_time_in_minutes":{_minutes(full and full // 2)},'
        f'"on_hold_time_in_minutes":{_minutes(0)}}}')


def _new_ticket(rng: random.Random, ident: int) -> dict:
    created = rng.uniform(0, SPAN_SECONDS - 30 * 86_400)
    reply = None if rng.random() < 0.08 else int(rng.expovariate(1 / 240)) + 1
    full = (reply or 0) + int(rng.expovariate(1 / 2_000)) + 1
    tags = rng.sample(TAGS, rng.randint(0, 3))
    return {"id": ident, "created": created, "via": _pick(rng, VIA), "subject": rng.choice(SUBJECTS),
            "description": rng.choice(SUBJECTS) + ". " + "Could you please look into this for me? " * 3,
            "type": rng.choice(["question", "incident", "problem", "task"]),
            "priority": rng.choice(["low", "normal", "normal", "high", "urgent"]),
            "requester": 10_000_000 + rng.randrange(400_000),
            "assignee": None if rng.random() < 0.05 else 20_000_000 + rng.randrange(300),
            "group": None if rng.random() < 0.03 else 30_000_000 + rng.randrange(12),
            "tags": tags, "custom_status": 1, "rating": _pick(rng, RATINGS), "reply": reply,
            "full": full, "reopens": 1 if rng.random() < 0.1 else 0,
            "replies": rng.choice([1, 1, 1, 2, 3])}


def _records(count: int, seed: int):
    """(ticket text, metric set text or None) for `count` ticket records, in export order."""
    rng = random.Random(seed)
    seen: list[dict] = []
    ident = 100_000
    for _ in range(count):
        draw = rng.random()
        if seen and draw < 0.02:  # a ticket changed again: a newer version of it
            ticket = rng.choice(seen)
            ticket["updated"] = ticket.get("updated", ticket["created"]) + rng.uniform(600, 86_400)
            status = rng.choice(["solved", "closed"])
            updated = ticket["updated"]
            yield _ticket(rng, ticket, updated, status), _metric_set(ticket, updated, status)
            continue
        if seen and draw < 0.025:  # a ticket deleted later
            ticket = rng.choice(seen)
            ticket["updated"] = ticket.get("updated", ticket["created"]) + rng.uniform(600, 86_400)
            yield _ticket(rng, ticket, ticket["updated"], "deleted"), None
            continue
        ident += 1
        ticket = _new_ticket(rng, ident)
        status = _pick(rng, STATUS)
        ticket["updated"] = ticket["created"] + (ticket["full"] * 60 if status in ("solved", "closed")
                                                 else rng.uniform(60, 86_400))
        if len(seen) < 50_000:
            seen.append(ticket)
        else:
            seen[rng.randrange(len(seen))] = ticket
        yield _ticket(rng, ticket, ticket["updated"], status), _metric_set(ticket, ticket["updated"], status)


def _pages(count: int, seed: int):
    """The response bodies of the export, one text each (minified, as the API sends them)."""
    batch: list[tuple[str, str | None]] = []
    number = 0

    def page(last: bool) -> str:
        tickets = ",".join(ticket for ticket, _ in batch)
        metrics = ",".join(metric for _, metric in batch if metric is not None)
        cursor = f"MTcxMjEzNDgwMC4wfHwxMjM0{number:06d}"
        after = "null" if last else f'"https://example.zendesk.com/api/v2/incremental/tickets/cursor.json?cursor={cursor}"'
        return (f'{{"tickets":[{tickets}],"metric_sets":[{metrics}],"after_url":{after},'
                f'"after_cursor":"{cursor}","before_url":null,"before_cursor":null,'
                f'"end_of_stream":{str(last).lower()},"count":{len(batch)}}}')

    for written, record in enumerate(_records(count, seed), start=1):
        batch.append(record)
        if len(batch) == PAGE or written == count:
            number += 1
            yield page(written == count)
            batch = []


ERROR_BODY = ('{"error":"APIRateLimitExceeded",'
              '"description":"Number of allowed API requests per minute exceeded"}')


def write(path: Path, count: int, seed: int = 16, layout: str = "lines") -> list[Path]:
    """Write an incremental tickets export of `count` ticket records into the folder `path`; the files."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    if layout == "pages":
        for number, text in enumerate(_pages(count, seed), start=1):
            target = path / f"tickets-{number:05d}.json"
            # pretty-printed by a script that saved each response: a record spread over lines
            target.write_text(text.replace('{"url"', '\n  {"url"'), encoding="utf-8")
            files.append(target)
        return files
    handle = None
    for number, text in enumerate(_pages(count, seed)):
        if number % PAGES_A_FILE == 0:
            if handle is not None:
                handle.close()
            target = path / f"incremental-tickets-{number // PAGES_A_FILE + 1:03d}.jsonl"
            files.append(target)
            handle = open(target, "w", encoding="utf-8")  # noqa: SIM115 (closed in turn)
            if number // PAGES_A_FILE == 1:
                handle.write(ERROR_BODY + "\n")  # a refused request's body, saved as a page
        handle.write(text + "\n")
    if handle is not None:
        # a download interrupted: the last page cut short
        handle.write('{"tickets":[{"url":"https://example.zendesk.com/api/v2/tickets/1.json","id":1,"via":{"cha\n')
        handle.close()
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int, nargs="?", default=1_000_000)
    parser.add_argument("--layout", choices=("lines", "pages"), default="lines")
    parser.add_argument("--exports", type=Path, metavar="FOLDER",
                        help="the export's folder: written there unless it holds one already, and kept")
    parser.add_argument("--write-only", type=Path, metavar="FOLDER", help="only write the export there")
    parser.add_argument("--parse-only", action="store_true",
                        help="only read the export (cxdash.importers.parse_files), nothing stored")
    arguments = parser.parse_args()
    if arguments.write_only:
        written = write(arguments.write_only, arguments.count, layout=arguments.layout)
        print(json.dumps([str(file) for file in written]))
        return
    sys.path.insert(0, str(ROOT))
    from cxdash.importers import import_files, parse_files
    from cxdash.settings import Settings

    scratch = Path(tempfile.mkdtemp(prefix="cxdash-bench-zendesk-"))
    try:
        exports = arguments.exports or scratch / "exports"
        files = sorted(exports.glob("*.json*")) if exports.is_dir() else []
        if not files:
            # written by another process, so the peak memory below is the import's alone
            command = [sys.executable, __file__, str(arguments.count), "--layout", arguments.layout,
                       "--write-only", str(exports)]
            written = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            files = [Path(file) for file in json.loads(written)]
        data = scratch / "data"
        data.mkdir()
        started, cpu = time.perf_counter(), time.process_time()
        if arguments.parse_only:
            parsed = parse_files("zendesk", files, Settings())
            counts = {"records": parsed.records_read, "rows": len(parsed.rows),
                      "deletions": len(parsed.deletions), "merged": parsed.merged,
                      "set_aside": len(parsed.set_aside)}
        else:
            summary = import_files(data, "zendesk", files, Settings())
            counts = {"records": summary.records_read, "new": summary.new,
                      "superseded": summary.superseded, "merged": summary.merged, "deleted": summary.deleted,
                      "set_aside": summary.set_aside, "reasons": summary.reasons,
                      "balanced": summary.balanced}
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        print(json.dumps({"tickets": arguments.count, "seconds": round(seconds, 2),
                          "cpu_seconds": round(cpu, 2),
                          "tickets_per_s": round(arguments.count / seconds),
                          "records_per_s": round(counts["records"] / seconds),
                          "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                          "megabytes_read": round(sum(file.stat().st_size for file in files) / 1e6),
                          **counts}))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
