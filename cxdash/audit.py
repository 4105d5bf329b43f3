"""The audit trail: who signed in, downloaded what, imported what, was refused a page or changed settings.

One JSON line per event in DATA/audit/trail.jsonl (DATA = the data folder), appended and never
rewritten:

    {"at":"2026-10-31T12:00:00.000000+00:00","user":"ada@livingwell.example","role":"admin",
     "action":"download","page":"overview","target":"tiles.csv","details":{"period":["2026-10-01",
     "2026-10-31"]},"prev":"<SHA-256 of the line before>"}

`prev` is the SHA-256 (hex) of the previous line's bytes (without its line break; empty on the first
line): a hash chain, so a line changed, removed or added anywhere before the newest shows in `verify`.
What a chain cannot show: a change to the newest line, or lines cut off the end (the next line
written follows the file's last line as it then is), nor a whole chain written anew by whoever may
write the file. The trail catches mistakes and casual edits, not a determined
administrator of the server.

Writing: `record` opens the file with O_APPEND, takes an exclusive lock on it (fcntl.flock: processes
and threads alike), reads the last line for `prev`, writes the whole line in one os.write and syncs
it to disk. Nothing here truncates, renames or rewrites the file. A last line left without its line
break (a crash, a full disk) is ended first, so the new line never joins it; it reads as a damaged
line.

A disk that fails (a read-only folder, a full disk, a refused permission) raises `AuditError`, an
OSError whose text is one sentence naming the problem without an absolute path, for the caller to
show; the page stays up. Values (user names, file names) are stored as given and shown as text.

Reading: `read` gives one row per line, newest last, a damaged line (bad JSON, a run of NUL bytes) as
a row with action "damaged line"; `verify` lists the chain's problems in words, empty when intact.
The last reading is kept by the bytes' SHA-256, so an unchanged trail is not parsed again.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from cxdash.oserrors import DISK_ERRNOS

AUDIT_DIR = "audit"  # under the data folder; prepare reads only the contract's table folders
TRAIL_FILE = "trail.jsonl"
TRAIL = f"{AUDIT_DIR}/{TRAIL_FILE}"  # as sentences name it: relative to the data folder

# every action recorded, and what it means; record refuses any other (a typo would hide an event)
ACTIONS = {
    "sign-in": "a person signed in (their role in `role`)",
    "download": "a file downloaded: the page, the table or file in `target`, the filters in `details`",
    "import": "files imported into the data folder: the files and their counts in `details`",
    "refused": "a page or an action refused to a person: what in `page` and `target`",
    "settings": "the settings (or roles) changed: what in `target` and `details`",
}
DAMAGED = "damaged line"  # the action of a line that cannot be read as a record
COLUMNS = ["at", "user", "role", "action", "page", "target", "details", "line"]
_FIELDS = ("user", "role", "action", "page", "target")
_TAIL_CHUNK = 64 * 1024
_SHOWN_OF_DAMAGED = 300  # characters of a damaged line shown in its row
_NUL_RUN = re.compile("\x00+")
# beyond the disk failures of cxdash.oserrors: what else stops the trail, in words
_OTHER_ERRNOS = {errno.ENOENT: "the data folder does not exist",
                 errno.ENOTDIR: "a file stands where a folder should be",
                 errno.EEXIST: "a file stands where a folder should be"}


class AuditError(OSError):
    """The trail could not be written or read: its text is one sentence for the person using the app,
    without an absolute path (the OSError behind it is chained, for the server log)."""


def trail_path(folder: Path) -> Path:
    return Path(folder) / AUDIT_DIR / TRAIL_FILE


def _error(doing: str, error: OSError) -> AuditError:
    what = DISK_ERRNOS.get(error.errno) or _OTHER_ERRNOS.get(error.errno) \
        or (error.strerror or type(error).__name__).lower()
    return AuditError(f"The audit trail ({TRAIL} in the data folder) could not be {doing}: {what}.")


def _line_hash(line: bytes) -> str:
    return hashlib.sha256(line).hexdigest()


def _last_line(descriptor: int) -> tuple[bytes, bool]:
    """The file's last line (without its line break) and whether the file ends with one; read from the
    end, a chunk at a time, so a long trail is not read whole."""
    size = os.fstat(descriptor).st_size
    if size == 0:
        return b"", True
    tail = b""
    position = size
    while position > 0:
        start = max(0, position - _TAIL_CHUNK)
        tail = os.pread(descriptor, position - start, start) + tail
        position = start
        if tail.find(b"\n", 0, len(tail) - 1) >= 0:
            break
    ended = tail.endswith(b"\n")
    body = tail[:-1] if ended else tail
    return body[body.rfind(b"\n") + 1:], ended


def record(folder: Path, user: str, role: str, action: str, *, page: str = "", target: str = "",
           details: dict | None = None, at: datetime | None = None) -> None:
    """Append one event to the trail. `details` holds JSON values (a date or another value JSON lacks
    is stored as its text); `at` (an aware datetime) defaults to now, taken under the lock so that
    lines are in time order. Raises AuditError when the disk fails, ValueError for an action not in
    ACTIONS or a naive `at`."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}: one of {', '.join(ACTIONS)}")
    if at is not None and at.utcoffset() is None:
        raise ValueError("`at` must be an aware datetime (UTC or with its offset)")
    path = trail_path(folder)
    try:
        path.parent.mkdir(exist_ok=True)
        descriptor = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as error:
        raise _error("written", error) from error
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)  # released when the descriptor closes
        previous, ended = _last_line(descriptor)
        entry = {"at": (at or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="microseconds"),
                 "user": str(user), "role": str(role), "action": action, "page": str(page),
                 "target": str(target), "details": details or {},
                 "prev": _line_hash(previous) if os.fstat(descriptor).st_size else ""}
        line = json.dumps(entry, ensure_ascii=False, separators=(",", ":"), default=str).encode() + b"\n"
        data = line if ended else b"\n" + line  # a last line cut short is ended first, never joined
        written = os.write(descriptor, data)
        while written < len(data):  # a short write (the disk filling up): the rest, still under the lock
            written += os.write(descriptor, data[written:])
        os.fsync(descriptor)
    except OSError as error:
        raise _error("written", error) from error
    finally:
        os.close(descriptor)


def _content(folder: Path) -> bytes:
    """The trail's bytes, read under a shared lock so that no line is half written; none when there is
    no trail yet."""
    try:
        with open(trail_path(folder), "rb") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH)
            return handle.read()
    except FileNotFoundError:
        return b""
    except OSError as error:
        raise _error("read", error) from error


def _split(data: bytes) -> list[bytes]:
    """The lines (without line breaks)."""
    lines = data.split(b"\n")
    if lines[-1] == b"":  # the line break that ends the file
        lines.pop()
    return lines


def _entry(line: bytes) -> dict | None:
    """The record a line holds, or None when it is damaged."""
    if b"\x00" in line:
        return None
    try:
        entry = json.loads(line)
    except ValueError:
        return None
    return entry if isinstance(entry, dict) and "action" in entry and "prev" in entry else None


def _damaged_text(line: bytes) -> str:
    text = _NUL_RUN.sub(lambda run: f"[{len(run.group())} NUL bytes]", line.decode("utf-8", "replace"))
    return text if len(text) <= _SHOWN_OF_DAMAGED else text[:_SHOWN_OF_DAMAGED] + "…"


def _frame(lines: list[bytes], entries: list[dict | None]) -> pd.DataFrame:
    rows = []
    for number, (line, entry) in enumerate(zip(lines, entries, strict=True), start=1):
        if entry is None:
            rows.append({"at": None, "user": "", "role": "", "action": DAMAGED, "page": "", "target": "",
                         "details": _damaged_text(line), "line": number})
            continue
        row = {"at": entry["at"] if isinstance(entry.get("at"), str) else None}
        row.update({field: "" if entry.get(field) is None else str(entry[field]) for field in _FIELDS})
        row["details"] = json.dumps(entry.get("details") or {}, ensure_ascii=False)
        row["line"] = number
        rows.append(row)
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["at"] = pd.to_datetime(frame["at"].astype(object), utc=True, format="ISO8601", errors="coerce")
    frame["line"] = frame["line"].astype("int64")
    return frame


def _problems(lines: list[bytes], entries: list[dict | None]) -> list[str]:
    problems = []
    for number, entry in enumerate(entries, start=1):
        if entry is None:
            problems.append(f"Line {number} is damaged: it cannot be read as a record.")
            continue
        expected = _line_hash(lines[number - 2]) if number > 1 else ""
        if entry["prev"] == expected:
            continue
        if number == 1:
            problems.append("Line 1 does not start the trail: a line before it was removed, or line 1 was "
                            "changed.")
        else:
            problems.append(f"Line {number} does not follow line {number - 1}: line {number - 1} was "
                            "changed, or a line between them was removed or added.")
    return problems


def read(folder: Path) -> pd.DataFrame:
    """Every line of the trail, newest last: at (UTC timestamp; missing on a damaged line), user, role,
    action, page, target, details (JSON text; a damaged line's own text), line (1-based)."""
    return read_and_verify(folder)[0]


def verify(folder: Path) -> list[str]:
    """The chain's problems in words, each naming its line; empty when the trail is intact."""
    return read_and_verify(folder)[1]


# the last reading of each trail, by its bytes' SHA-256: the Audit trail page reads the trail on every
# run (each filter changed), and parsing a long one takes seconds where hashing it takes milliseconds
_LAST_READ: dict[str, tuple[bytes, pd.DataFrame, list[str]]] = {}


def read_and_verify(folder: Path) -> tuple[pd.DataFrame, list[str]]:
    """`read` and `verify` from one reading of the file, so the rows and the problems agree."""
    data = _content(folder)
    digest = hashlib.sha256(data).digest()
    kept = _LAST_READ.get(str(folder))
    if kept is None or kept[0] != digest:
        lines = _split(data)
        entries = [_entry(line) for line in lines]
        kept = (digest, _frame(lines, entries), _problems(lines, entries))
        _LAST_READ[str(folder)] = kept
    return kept[1].copy(), list(kept[2])
