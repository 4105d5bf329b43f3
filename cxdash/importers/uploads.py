"""Uploads from the Import page: save the files, check what they would add and set aside (an
importer's preview, or the store's validation for a file already in the data contract), then write
them into the data folder on confirmation; and the history of imports. No Streamlit here: the page's
widgets are in cxdash/ui/importing.py.

An upload is kept in DATA/.cxdash/uploads/<random>/ until it is confirmed or replaced. The check keeps
the importer's parse, so confirming writes what was shown without reading the files again.

Saving, checking and confirming tell an optional `progress(stage, fraction)` each stage they reach: a
short sentence (which may name the files: data, for the page to show as text) and the fraction done,
0 to 1, never going back, 1.0 once done. `part` puts one step's fractions inside a longer one's.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import logging
import os
import secrets
import shutil
import time
import tomllib
import traceback
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cxdash import health
from cxdash.db import connect, load_sql
from cxdash.importers import SOURCES, ImportSummary, Source, parse_files
from cxdash.importers.core import (  # noqa: F401 - the progress helpers, for the page too
    PARSE_SHARE,
    Parsed,
    Progress,
    empty_set_aside,
    log_import,
    part,
    read_log,
    steady,
    store,
)
from cxdash.ingest import STORE_DIR, TABLES, file_key, prepare, store_path
from cxdash.oserrors import disk_errno, disk_error_text
from cxdash.settings import Settings

log = logging.getLogger("cxdash")

PARQUET = "parquet"  # a file already in the data contract, added as it is
PARQUET_LABEL = "Parquet in the data contract (interactions)"
UPLOADS_DIR = "uploads"  # DATA/.cxdash/uploads/<random>/: uploads not yet confirmed
PARQUET_TARGET = "uploads"  # DATA/interactions/uploads/<file>: contract files added from the app
STALE_UPLOAD_SECONDS = 6 * 3600  # an upload never confirmed nor discarded is removed 6 hours later
MB = 1024 * 1024
CHUNK = 4 * MB  # files are written and counted in pieces of this size

# what the Import page offers: every importer's source (cxdash.importers.SOURCES), then a file already
# in the data contract, added as it is (no parse: the store's validation checks it)
UPLOADS: dict[str, Source] = {**SOURCES, PARQUET: Source(
    name=PARQUET, label=PARQUET_LABEL, parse=None, extensions=("parquet",),
    hint="A file with the columns of the interactions table of the data contract. It is added as it is, as "
         "DATA/interactions/uploads/<file name>.")}


@dataclass(frozen=True)
class UploadLimits:
    """What an upload may hold. The server reads an upload whole to check it, so these bound the
    memory, time and disk one upload can take; a refusal names the limit, the value found and what to
    do. A browser session holds one upload at a time (a new one replaces it), so the limits of an
    upload are also what a session keeps; kept_* bound the uploads waiting in a data folder, every
    session together. Defaults measured on 2 cores: a check of 1,000,000 rows takes 5-15 s and about
    800 MB (DuckDB's own part is capped by cxdash.db.MEMORY_LIMIT)."""

    files_per_upload: int = 20
    upload_bytes: int = 100 * MB  # the files of one upload together, as uploaded
    rows_per_file: int = 1_000_000  # parquet: from its metadata; CSV, JSON lines, logs: counted on disk
    rows_per_upload: int = 1_000_000  # the files of one upload together (the check holds them at once)
    workbook_bytes: int = 50 * MB  # an Excel workbook unpacked (the sizes its zip declares)
    parquet_bytes: int = 500 * MB  # a parquet file's column data uncompressed (from its metadata)
    kept_uploads: int = 10  # uploads waiting to be added or discarded in one data folder
    kept_bytes: int = 1024 * MB  # their files together
    keep_seconds: float = STALE_UPLOAD_SECONDS  # an upload never added nor discarded is removed after


LIMITS = UploadLimits()


class UploadLimitExceeded(ValueError):
    """An upload over one of UploadLimits: the message names the limit, the value found and the limit."""


@dataclass
class Check:
    """What an upload would do, in the terms the page shows: counts, the report in words, the records
    that would be set aside, and whatever stops it from being added."""

    source: str
    files: list[str]
    read: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0  # already imported (importers) or ids already in the data (parquet)
    set_aside: int = 0
    lines: list[str] = field(default_factory=list)
    identity: str = ""
    balanced: bool = True
    set_aside_rows: pd.DataFrame = field(default_factory=empty_set_aside)
    problems: pd.DataFrame | None = None  # parquet: rows set aside by column and problem
    warnings: list[str] = field(default_factory=list)
    blockers: list[str] = field(default_factory=list)  # reasons the upload cannot be added
    parsed: Parsed | None = field(default=None, repr=False)  # the importer's reading, reused on confirm

    @property
    def to_add(self) -> int:
        return self.new + self.updated

    @property
    def noun(self) -> str:
        return "row" if self.source == PARQUET else "record"


@dataclass
class Upload:
    """An upload saved for checking: its folder, the saved files and the mapping read from its file."""

    directory: Path
    paths: list[Path]
    mapping: dict | None = None


def plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


# --- plain functions: progress ----------------------------------------------------------------------

def _tell(progress: Progress | None, stage: str, fraction: float) -> None:
    if progress is not None:
        progress(stage, fraction)


# --- plain functions: sources -----------------------------------------------------------------------

def types_text(source: str) -> str:
    """The accepted file types in words: 'Accepted: .json or .jsonl files'."""
    types = UPLOADS[source].extensions
    if not types:
        return "Accepted: any file (a queue_log usually has no extension)"
    names = [f".{t}" for t in types]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
    return f"Accepted: {listed} files"


def limits_text(source: str, limits: UploadLimits = LIMITS) -> str:
    """The limits of an upload in words, for the page to say beside the uploader."""
    text = (f"At most {plural(limits.files_per_upload, 'file')} and {size_text(limits.upload_bytes)} in one "
            f"upload, {limits.rows_per_upload:,} rows")
    if "xlsx" in (UPLOADS[source].extensions or ()):
        text += f"; a workbook up to {size_text(limits.workbook_bytes)} unpacked"
    return text + "."


def problem_text(names: str, error: BaseException) -> str:
    """An expected failure in words, naming the files; the unexpected ones also go to the server log."""
    number = disk_errno(error)
    if isinstance(error, OSError) or number is not None:  # the disk: full, read-only, not allowed
        text = disk_error_text(error)
        if number in (errno.ENOSPC, errno.EDQUOT):
            hint = " Free some space on the server's disk, then try again."
        elif number in (errno.EROFS, errno.EACCES, errno.EPERM):
            hint = " The app needs to be allowed to write into the data folder to import."
        else:
            hint = ""
        return f"{names}: could not be saved or read on the server: {text}.{hint}"
    if isinstance(error, ValueError | tomllib.TOMLDecodeError):
        message = str(error)
        if all(name in message for name in names.split(", ")):  # the importer named the file already
            return f"Could not be used: {message}"
        return f"{names}: could not be used: {message}"
    log.error("upload of %s failed: %s", names, "".join(traceback.format_exception(error)))
    return (f"{names}: could not be read ({type(error).__name__}: {error}). Is it the export this source "
            "expects? The details are in the server log.")


# --- plain functions: the upload --------------------------------------------------------------------

def uploads_root(folder: Path) -> Path:
    return Path(folder) / STORE_DIR / UPLOADS_DIR


def safe_name(name: str) -> str:
    """A file name to save an upload under: no folders, no leading dots (hidden files are not read)."""
    cleaned = Path(str(name).replace("\\", "/")).name.lstrip(". ").strip()
    if not cleaned:
        raise ValueError(f"{name!r} is not a usable file name")
    return cleaned


def read_mapping(name: str, data: bytes) -> dict:
    """A mapping file's TOML; ValueError naming the file when it cannot be read."""
    try:
        return tomllib.loads(bytes(data).decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ValueError(f"the mapping file {name} could not be read ({error})") from error


def save_upload(folder: Path, files: Iterable[tuple[str, bytes | memoryview]],
                mapping: dict | None = None, limits: UploadLimits = LIMITS,
                progress: Progress | None = None) -> Upload:
    """Save uploaded files (name, content) into a new DATA/.cxdash/uploads/<random>/ folder, within
    the limits (UploadLimitExceeded says which one). An upload refused, or that could not be saved
    whole (a full disk), leaves nothing behind. `progress` hears each file saved, then counted."""
    progress = steady(progress)
    files = [(name, memoryview(data).cast("B")) for name, data in files]
    if not files:
        raise ValueError("no file was uploaded")
    if len(files) > limits.files_per_upload:
        raise UploadLimitExceeded(f"{len(files):,} files in one upload, over the limit of "
                                  f"{limits.files_per_upload:,}: upload them in parts")
    size = sum(data.nbytes for _, data in files)
    if size > limits.upload_bytes:
        what = f"{files[0][0]} is" if len(files) == 1 else f"these {len(files)} files are"
        raise UploadLimitExceeded(f"{what} {size_text(size)}, over the {size_text(limits.upload_bytes)} "
                                  "limit for one upload: " + ("split it into smaller files" if len(files) == 1
                                                              else "upload them in parts"))
    remove_stale_uploads(folder, limits.keep_seconds)
    _check_kept(folder, size, limits)
    directory = uploads_root(folder) / secrets.token_hex(8)
    directory.mkdir(parents=True)
    paths = []
    try:
        for number, (name, data) in enumerate(files, start=1):
            path = directory / safe_name(name)
            if path in paths:
                raise ValueError(f"two files are named {path.name}: upload one of them, or rename one")
            _tell(progress, f"Saving {_one_of(path.name, number, len(files))}",
                  0.5 * (number - 1) / len(files))
            _write_file(path, data)
            paths.append(path)
        check_contents(paths, limits, part(progress, 0.5, 1.0))
        _tell(progress, f"Saved {plural(len(paths), 'file')}", 1.0)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    return Upload(directory, paths, mapping)


def _one_of(name: str, number: int, count: int) -> str:
    """A file in a stage's sentence: 'a.json', or 'a.json (file 2 of 3)' when there are several."""
    return name if count == 1 else f"{name} (file {number} of {count})"


def _write_file(path: Path, data: memoryview) -> None:
    """An upload's content into a new file, in pieces (on a failure the caller removes the folder)."""
    with open(path, "xb") as handle:
        for start in range(0, data.nbytes, CHUNK):
            handle.write(data[start:start + CHUNK])


def size_text(size: float) -> str:
    """Bytes in words: 147 MB, 2.5 GB, 572 KB."""
    for unit, scale in (("GB", 1024 * MB), ("MB", MB), ("KB", 1024)):
        if size >= scale:
            value = size / scale
            shown = f"{value:,.0f}" if value >= 100 else f"{value:,.1f}".removesuffix(".0")
            return f"{shown} {unit}"
    return plural(int(size), "byte")


def _check_kept(folder: Path, adding: int, limits: UploadLimits) -> None:
    """Refuse an upload that would take the uploads waiting in the data folder over kept_*."""
    root = uploads_root(folder)
    count = size = 0
    if root.is_dir():
        for directory in root.iterdir():
            try:
                if not directory.is_dir():
                    continue
                count += 1
                size += sum(p.stat().st_size for p in directory.rglob("*") if p.is_file())
            except OSError:  # removed meanwhile
                continue
    if count + 1 > limits.kept_uploads or size + adding > limits.kept_bytes:
        hours = f"{limits.keep_seconds / 3600:g} hour{'' if limits.keep_seconds == 3600 else 's'}"
        raise UploadLimitExceeded(
            f"the server already holds {plural(count, 'upload')} waiting to be added ({size_text(size)}); "
            f"with this one that is over its limit of {plural(limits.kept_uploads, 'upload')}, "
            f"{size_text(limits.kept_bytes)} together. Add or discard the uploads open in other tabs, or try "
            f"again later (an upload neither added nor discarded is removed after {hours}).")


def check_contents(paths: list[Path], limits: UploadLimits = LIMITS,
                   progress: Progress | None = None) -> None:
    """Refuse files that unpack or count over the limits, before anything reads them whole: a
    workbook by the sizes its zip declares (all zipfile, hence openpyxl, will unpack), a parquet file
    by its metadata, a text file by counting its rows on disk, stopping at the limit. A JSON document
    (not JSON lines) is only limited by its size: its records are known once it is read. `progress`
    hears each file as it is counted."""
    counted: dict[str, int] = {}
    texts = []
    for number, path in enumerate(paths, start=1):
        _tell(progress, f"Counting the records of {_one_of(path.name, number, len(paths))}",
              (number - 1) / len(paths))
        with open(path, "rb") as handle:
            head = handle.read(4)
        if head == b"PK\x03\x04":
            _check_workbook(path, limits)
            continue
        if head == b"PAR1":
            rows = _parquet_rows(path, limits)
        else:
            rows = _text_rows(path, limits)
            texts.append(path)
        if rows is not None:
            counted[path.name] = rows
    if sum(counted.values()) > limits.rows_per_upload:  # the text files' lines were an upper bound
        counted |= {path.name: _text_rows(path, limits, exact=True) for path in texts
                    if path.name in counted}
    total = sum(counted.values())
    if total > limits.rows_per_upload:
        raise UploadLimitExceeded(f"{', '.join(counted)}: {total:,} rows together, over the limit of "
                                  f"{limits.rows_per_upload:,} rows in one upload: upload them in parts")


def _check_workbook(path: Path, limits: UploadLimits) -> None:
    try:
        with zipfile.ZipFile(path) as book:
            unpacked = sum(item.file_size for item in book.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError):
        return  # not a zip after all: the importer says it is not a workbook
    if unpacked > limits.workbook_bytes:
        raise UploadLimitExceeded(f"{path.name}: its sheets unpack to {size_text(unpacked)}, over the "
                                  f"{size_text(limits.workbook_bytes)} limit for a workbook: save it as "
                                  "CSV, or split it, and upload that")


def _parquet_rows(path: Path, limits: UploadLimits) -> int | None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        meta = pq.read_metadata(path)  # the footer only
    except (pa.ArrowException, ValueError):
        return None  # not parquet after all: the check says it could not be read
    if meta.num_rows > limits.rows_per_file:
        raise UploadLimitExceeded(f"{path.name}: {meta.num_rows:,} rows, over the limit of "
                                  f"{limits.rows_per_file:,} rows a file: split it into smaller files")
    unpacked = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    if unpacked > limits.parquet_bytes:
        raise UploadLimitExceeded(f"{path.name}: its columns unpack to {size_text(unpacked)}, over the "
                                  f"{size_text(limits.parquet_bytes)} limit for a parquet file: split it "
                                  "into smaller files")
    return meta.num_rows


def _json_document(path: Path) -> bool:
    """Whether a file is one JSON document (an array, or a record spread over lines) rather than JSON
    lines (a whole record on its first line) or other text."""
    first = b""
    with open(path, "rb") as handle:
        for first in iter(lambda: handle.readline(MB), b""):
            if first.strip():
                break
    head = first.removeprefix(b"\xef\xbb\xbf").strip()
    if not head.startswith((b"[", b"{")):
        return False
    if not first.endswith(b"\n") and len(first) >= MB:
        return True  # a first line of a megabyte or more: a document on one line
    try:
        return not isinstance(json.loads(head), dict)
    except ValueError:
        return True


def _count_lines(path: Path, stop: int) -> int:
    """A file's lines, counted in pieces, stopping past `stop`."""
    lines, last = 0, b"\n"
    with open(path, "rb") as handle:
        while lines <= stop and (piece := handle.read(CHUNK)):
            lines += piece.count(b"\n")
            last = piece[-1:]
    return lines + (last != b"\n")


def _text_rows(path: Path, limits: UploadLimits, exact: bool = False) -> int | None:
    """The rows of a text file, counted on disk and stopping past the limit: a CSV's records after its
    header, else its lines that are not blank (JSON lines, a queue_log). None for a JSON document.
    Unless `exact`, a file of fewer lines than the limit gives its lines (at most its rows), quickly."""
    if _json_document(path):
        return None
    table = path.suffix.lower() in (".csv", ".tsv", ".txt")
    stop = limits.rows_per_file + table  # a CSV's header is not a row
    if not exact:
        lines = _count_lines(path, stop)
        if lines <= stop:
            return max(lines - table, 0)
    rows = 0
    with open(path, "rb") as handle:
        if table:
            # records, not lines (a quoted value may hold line breaks); latin-1 reads any bytes, and
            # quotes and line ends are the same bytes in the encodings a CSV comes in (utf-8, cp1252)
            text = io.TextIOWrapper(handle, encoding="latin-1", newline="")
            try:
                for record in csv.reader(text):
                    rows += any(field.strip() for field in record)
                    if rows > stop:
                        break
            except csv.Error:
                return None  # the importer says what is wrong with it
            finally:
                text.detach()
            rows = max(rows - 1, 0)
        else:
            for line in handle:
                rows += bool(line.strip())
                if rows > stop:
                    break
    if rows > limits.rows_per_file:
        raise UploadLimitExceeded(f"{path.name}: more than {limits.rows_per_file:,} rows, over the limit "
                                  f"of {limits.rows_per_file:,} rows a file: split it into smaller files")
    return rows


def remove_upload(folder: Path, directory: Path) -> None:
    """Remove an upload's folder (only ever one under DATA/.cxdash/uploads/)."""
    directory = Path(directory)
    if directory.parent.resolve() == uploads_root(folder).resolve():
        shutil.rmtree(directory, ignore_errors=True)


def remove_stale_uploads(folder: Path, older_than: float = STALE_UPLOAD_SECONDS) -> None:
    """Uploads that were never confirmed (a closed tab) go after a day."""
    root = uploads_root(folder)
    if not root.is_dir():
        return
    cutoff = time.time() - older_than
    for directory in root.iterdir():
        try:
            if directory.is_dir() and directory.stat().st_mtime < cutoff:
                shutil.rmtree(directory, ignore_errors=True)
        except OSError:
            continue


# --- plain functions: check and confirm -------------------------------------------------------------

def check(folder: Path, source: str, upload: Upload, settings: Settings,
          progress: Progress | None = None) -> Check:
    """What adding the upload would do. Writes nothing into the data folder (only the upload's own).
    `progress` hears the stages: reading the files, checking them against the data contract,
    comparing with what is stored, done."""
    progress = steady(progress)
    if source == PARQUET:
        return check_parquet(folder, upload, settings, progress)
    parsed = parse_files(source, upload.paths, settings, upload.mapping, part(progress, 0.0, PARSE_SHARE))
    names = [path.name for path in upload.paths]
    result = check_from_summary(store(folder, parsed, settings, names, preview=True,
                                      progress=part(progress, PARSE_SHARE, 1.0)))
    result.parsed = parsed
    return result


def check_from_summary(summary: ImportSummary) -> Check:
    parts = [("new", summary.new), ("updated", summary.updated), ("already imported", summary.unchanged),
             ("older versions", summary.superseded), ("folded into another record", summary.merged),
             ("set aside", summary.set_aside)] + ([("deletions", summary.deleted)] if summary.deleted else [])
    identity = (f"records read = {' + '.join(name for name, _ in parts)}: {summary.records_read:,} = "
                + " + ".join(f"{value:,}" for _, value in parts))
    rows = summary.set_aside_rows if summary.set_aside_rows is not None else empty_set_aside()
    return Check(summary.source, list(summary.files), read=summary.records_read, new=summary.new,
                 updated=summary.updated, unchanged=summary.unchanged, set_aside=summary.set_aside,
                 lines=summary.lines(), identity=identity, balanced=summary.balanced,
                 set_aside_rows=rows.reset_index(drop=True))


def parquet_target(folder: Path, name: str) -> Path:
    return Path(folder) / TABLES["interactions"].name / PARQUET_TARGET / name


def check_parquet(folder: Path, upload: Upload, settings: Settings,
                  progress: Progress | None = None) -> Check:
    """Validate contract files as the store will, in a scratch folder of their own
    (<upload>/scratch/interactions/, the files linked there, not copied), and count the ids the data
    already holds. The scratch folder and its store go once the check is made, whatever happens."""
    scratch = upload.directory / "scratch"
    try:
        shutil.rmtree(scratch, ignore_errors=True)
        (scratch / "interactions").mkdir(parents=True)
        for path in upload.paths:
            _link_or_copy(path, scratch / "interactions" / path.name)
        return _check_parquet(Path(folder), upload, settings, scratch, steady(progress))
    finally:
        shutil.rmtree(store_path(scratch), ignore_errors=True)  # elsewhere under $CXDASH_STORE
        shutil.rmtree(scratch, ignore_errors=True)


def _check_parquet(folder: Path, upload: Upload, settings: Settings, scratch: Path,
                   progress: Progress | None = None) -> Check:
    names = [path.name for path in upload.paths]
    result = Check(PARQUET, names)
    _tell(progress, f"Checking {plural(len(names), 'file')} against the data contract", 0.0)
    for path in upload.paths:
        if path.suffix.lower() != ".parquet":
            result.blockers.append(f"{path.name}: only .parquet files can be added as they are.")
    report = prepare(scratch, settings)
    files = report.for_table("interactions")
    result.read = sum(f.rows_read for f in files)
    result.set_aside = sum(f.rows_set_aside for f in files)
    for file in files:
        if file.unreadable:
            result.blockers.append(f"{Path(file.path).name}: the file could not be read as parquet "
                                   f"({file.unreadable}).")
    used = result.read - result.set_aside
    clean = [store_path(scratch) / "interactions" / "clean" / f"{file_key('interactions', f.path)}.parquet"
             for f in files if f.rows_used]
    _tell(progress, "Comparing with the data folder's contacts", 0.8)
    already = ids_in_data(folder, [p for p in clean if p.exists()])
    result.unchanged = sum(already.values())
    result.new = used - result.unchanged
    if already:
        named = "; ".join(f"{rows:,} in {name}" for name, rows in already.items())
        one = result.unchanged == 1
        result.warnings.append(f"{plural(result.unchanged, 'row')} {'has' if one else 'have'} an "
                               f"interaction_id the data already holds ({named}): once added, "
                               f"{'it is' if one else 'they are'} set aside there as repeats.")
    result.identity = (f"rows read = new + already in the data + set aside: {result.read:,} = "
                       f"{result.new:,} + {result.unchanged:,} + {result.set_aside:,}")
    result.balanced = result.read == result.new + result.unchanged + result.set_aside
    result.lines = [f"{PARQUET}: {plural(result.read, 'row')} read from {plural(len(names), 'file')} = "
                    f"{used:,} that pass the data contract + {result.set_aside:,} set aside"]
    result.lines += [f"  {line.replace('interactions/', '', 1)}" for line in report.messages()]
    for file in files:
        if file.first_day:
            result.lines.append(f"  {Path(file.path).name}: contacts from {file.first_day} to "
                                f"{file.last_day} (UTC days)")
        if file.ignored_columns:
            result.lines.append(f"  {Path(file.path).name}: columns not in the contract, not used: "
                                + ", ".join(file.ignored_columns))
    problems = health.problems_frame(report)
    problems["file"] = problems["file"].map(lambda path: Path(path).name)
    result.problems = problems
    result.set_aside_rows = _rejected_rows(scratch, files)
    for name in names:
        if parquet_target(folder, name).exists():
            result.blockers.append(f"{name}: the data folder already has a file of this name "
                                   f"(interactions/{PARQUET_TARGET}/{name}); it is not overwritten. "
                                   "Rename the file to add it beside the other, or remove the old one "
                                   "from the data folder first.")
    _tell(progress, "Done", 1.0)
    return result


def _rejected_rows(scratch: Path, files: list, limit: int = 10_000) -> pd.DataFrame:
    frames = []
    for file in files:
        path = store_path(scratch) / file.table / "rejected" / f"{file_key(file.table, file.path)}.parquet"
        if file.rows_set_aside and path.exists():
            frame = pd.read_parquet(path)
            frame["source_file"] = Path(file.path).name
            frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=["source_file", "source_row", "reason"])
    rows = pd.concat(frames, ignore_index=True).head(limit)
    return rows.dropna(axis="columns", how="all")


def ids_in_data(folder: Path, clean_files: list[Path]) -> dict[str, int]:
    """Rows of the checked files whose interaction_id a file of the data folder already holds, by that
    file (from the prepared store's clean rows)."""
    existing = sorted((store_path(Path(folder)) / "interactions" / "clean").glob("*.parquet"))
    if not clean_files or not existing:
        return {}
    con = connect()
    try:
        rows = con.execute(load_sql("ids_already_held"), {
            "existing": [str(p) for p in existing], "new": [str(p) for p in clean_files]}).fetchall()
    finally:
        con.close()
    return {name: int(count) for name, count in rows}


def confirm(folder: Path, source: str, upload: Upload, settings: Settings,
            checked: Check | None = None,
            on_wait: Callable[[str], None] | None = None,
            progress: Progress | None = None) -> tuple[str, list[str]]:
    """Write the upload into the data folder: the importer's merge, or the contract file copied into
    DATA/interactions/uploads/. Returns the message for the user and the summary's lines. The merge
    waits while another import into the folder runs (CLI or page), after telling `on_wait` so; adding
    a contract file needs no wait (it never replaces a file). `progress` hears the stages: (reading
    the files, when the check's reading is not at hand), checking, comparing, writing month i of m,
    done."""
    progress = steady(progress)
    if source == PARQUET:
        return add_parquet(folder, upload, settings, checked, progress)
    # the files as the check read them (reading them again would only repeat the work)
    if checked is not None and checked.parsed is not None:
        parsed, storing = checked.parsed, progress
    else:
        parsed = parse_files(source, upload.paths, settings, upload.mapping, part(progress, 0.0, PARSE_SHARE))
        storing = part(progress, PARSE_SHARE, 1.0)
    summary = store(folder, parsed, settings, [p.name for p in upload.paths], on_wait=on_wait,
                    progress=storing)
    files = ", ".join(summary.files)
    if summary.new or summary.updated:
        message = (f"Imported {files}: {summary.new:,} new and {summary.updated:,} updated records "
                   f"({', '.join(summary.months_written)}). The dashboards now include them.")
    else:
        message = f"Imported {files}: nothing new, so no file was written."
    return message, summary.lines()


def add_parquet(folder: Path, upload: Upload, settings: Settings,
                checked: Check | None = None, progress: Progress | None = None) -> tuple[str, list[str]]:
    """Put contract files into DATA/interactions/uploads/, never over an existing file, and log it.
    `checked` is the upload's check, when it was just made (else it is made here)."""
    folder = Path(folder)
    progress = steady(progress)
    result = checked or check_parquet(folder, upload, settings, part(progress, 0.0, 0.8))
    targets = [parquet_target(folder, path.name) for path in upload.paths]
    taken = [t.name for t in targets if t.exists()]
    if result.blockers or taken:
        raise ValueError(" ".join(result.blockers) or f"{', '.join(taken)}: the data folder already has a "
                         "file of this name; it is not overwritten")
    missing = [path.name for path in upload.paths if not path.is_file()]
    if missing:
        raise ValueError(f"{', '.join(missing)}: the upload is no longer on the server (an upload neither "
                         "added nor discarded is removed after a while): upload the file again")
    added = ", ".join(f"interactions/{PARQUET_TARGET}/{t.name}" for t in targets)
    summary = ImportSummary(PARQUET, result.files, records_read=result.read, new=result.new,
                            unchanged=result.unchanged, set_aside=result.set_aside,
                            notes=[f"added as {added}"])
    targets[0].parent.mkdir(parents=True, exist_ok=True)
    placed: list[Path] = []
    try:
        for number, (path, target) in enumerate(zip(upload.paths, targets, strict=True), start=1):
            _tell(progress, f"Adding {_one_of(path.name, number, len(targets))}",
                  0.8 + 0.2 * (number - 1) / len(targets))
            _place(path, target)
            placed.append(target)
        log_import(folder, summary)
    except BaseException:
        for target in placed:  # all the files and their line in the log, or none (a full disk)
            target.unlink(missing_ok=True)
        raise
    _tell(progress, "Done", 1.0)
    message = (f"Added {added}: {plural(result.new, 'new row')}"
               + (f", {result.set_aside:,} set aside" if result.set_aside else "")
               + ". The dashboards now include them.")
    return message, result.lines + [f"  added as {added}"]


LINK_UNSUPPORTED = (errno.EXDEV, errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.ENOSYS)


def _link_or_copy(source: Path, target: Path) -> None:
    """A second name for a file (no second copy on disk), else a copy where links are not possible."""
    try:
        os.link(source, target)
    except OSError as error:
        if error.errno not in LINK_UNSUPPORTED:
            raise
        _copy_file(source, target)


def _copy_file(source: Path, target: Path) -> None:
    shutil.copyfile(source, target)


def _place(source: Path, target: Path) -> None:
    """Put an upload's file at target, never over a file there, and leave nothing partial: a hard link
    (one copy on disk, made at once), else a copy under a hidden name (the store skips it), removed
    whatever happens, then a link or rename to the name."""
    taken = ValueError(f"{target.name}: the data folder already has a file of this name; it is not "
                       "overwritten")
    try:
        os.link(source, target)  # fails if the name is taken
        return
    except FileExistsError:
        raise taken from None
    except OSError as error:
        if error.errno not in LINK_UNSUPPORTED:
            raise
    hidden = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    try:
        _copy_file(source, hidden)
        try:
            os.link(hidden, target)  # fails if the name was taken meanwhile
        except FileExistsError:
            raise taken from None
        except OSError as error:
            if error.errno not in LINK_UNSUPPORTED:
                raise
            if target.exists():  # a file system without hard links
                raise taken from None
            os.replace(hidden, target)
    finally:
        hidden.unlink(missing_ok=True)


HISTORY_COLUMNS = ["at", "source", "files", "records_read", "new", "updated", "unchanged", "set_aside",
                   "months_written", "notes"]


def history(folder: Path) -> pd.DataFrame:
    """Every import into the folder, newest first, one row each, as text and counts."""
    frame = read_log(folder)
    if frame.empty:
        return pd.DataFrame(columns=HISTORY_COLUMNS)
    out = pd.DataFrame(index=frame.index)
    at = frame["at"].astype(str)
    out["at"] = pd.to_datetime(at, format="%Y%m%dT%H%M%S%f", errors="coerce", utc=True).fillna(
        pd.to_datetime(at, format="%Y%m%dT%H%M%S", errors="coerce", utc=True))  # older lines: no fraction
    for column in HISTORY_COLUMNS[1:]:
        values = frame[column] if column in frame else pd.Series(None, index=frame.index, dtype=object)
        if column in ("files", "months_written", "notes"):
            values = values.map(lambda v: ", ".join(map(str, v)) if isinstance(v, list) else (v or ""))
        out[column] = values
    return out.reset_index(drop=True)
