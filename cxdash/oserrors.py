"""A failure of the disk in words: a read-only folder, a full disk, a permission refused. Python's
OSError and DuckDB's IO error (which reports the errno in its text) become one line naming the path,
for the command line and the Import page alike."""

from __future__ import annotations

import errno
import json
import re
from pathlib import Path

# the disk failures users meet, in words (the rest are said with the system's own words)
DISK_ERRNOS = {
    errno.EROFS: "read-only file system",
    errno.ENOSPC: "no space left on the device",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EDQUOT: "disk quota exceeded",
}
# the same, as the system says them (DuckDB's IO errors carry this text, not always an errno)
_STRERRORS = {"read-only file system": errno.EROFS, "no space left on device": errno.ENOSPC,
              "permission denied": errno.EACCES, "operation not permitted": errno.EPERM,
              "disk quota exceeded": errno.EDQUOT}
_DUCKDB_ERRNO = re.compile(r'"errno"\s*:\s*"?(\d+)')
_DUCKDB_PATH = re.compile(r'(?:file|directory)\s+\\?"([^"\\]+)\\?"', re.I)


def disk_errno(error: BaseException) -> int | None:
    """The errno of an OSError, or of a DuckDB IO error that names one of DISK_ERRNOS; else None."""
    if isinstance(error, OSError):
        return error.errno
    if type(error).__name__ != "IOException":  # duckdb.IOException, without importing duckdb here
        return None
    text = str(error)
    found = _DUCKDB_ERRNO.search(text)
    if found and int(found.group(1)) in DISK_ERRNOS:
        return int(found.group(1))
    lowered = text.lower()
    return next((number for words, number in _STRERRORS.items() if words in lowered), None)


def disk_path(error: BaseException, fallback: str | Path | None = None) -> str | None:
    """The path the failure is about: the OSError's file name(s), the file a DuckDB error quotes, else
    the fallback (a write to an open file, or pyarrow's, says no path)."""
    if isinstance(error, OSError):
        names = [str(name) for name in (error.filename, error.filename2) if name not in (None, "")]
        if names:
            return " -> ".join(names)
    else:
        text = str(error)
        try:  # DuckDB puts the details in JSON after the message
            details = json.loads(text[text.index("{"):])
            text = str(details.get("exception_message", text))
        except (ValueError, AttributeError):
            pass
        found = _DUCKDB_PATH.search(text)
        if found:
            return found.group(1)
    return None if fallback is None else str(fallback)


def disk_error_text(error: BaseException, fallback: str | Path | None = None) -> str | None:
    """'<path>: read-only file system' (or what else happened) for an OSError or a DuckDB IO error
    about the disk; None for any other error."""
    number = disk_errno(error)
    if not isinstance(error, OSError) and number is None:
        return None
    what = DISK_ERRNOS.get(number) if number is not None else None
    if what is None:
        what = (getattr(error, "strerror", None) or str(error) or type(error).__name__).strip()
        what = what[:1].lower() + what[1:]
    path = disk_path(error, fallback)
    return f"{path}: {what}" if path else what
