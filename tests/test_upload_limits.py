"""Uploads cannot exhaust the server (issue 14, point 10): a workbook that unpacks to far more than it
weighs, a parquet file of millions of identical rows in a few kilobytes, too many or too large files,
and a full disk. Each refusal comes before anything reads the file whole, says which limit and the
value found, and nothing of a refused or failed upload is left on disk. The limits are lowered through
UploadLimits so the files stay small; two tests use the defaults."""

from __future__ import annotations

import errno
import io
import os
import time
import zipfile
from dataclasses import replace
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook

from cxdash.contract import INTERACTION_COLUMNS
from cxdash.importers import uploads
from cxdash.importers.uploads import UploadLimitExceeded, UploadLimits
from cxdash.settings import Settings
from tests.builders import contract_table

MB = uploads.MB
MAPPING = {"columns": {"interaction_id": "Call ID", "channel": {"value": "phone"}, "arrived_at": "Start"}}


def _workbook(rows: int, note: str = "") -> bytes:
    """A real workbook: a header, then `rows` calls, each with a note."""
    book = Workbook()
    sheet = book.active
    sheet.append(["Call ID", "Start", "Note"])
    for number in range(rows):
        sheet.append([f"c{number}", f"2026-10-05T{number % 24:02d}:00:00Z", note])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _bomb(unpacked_mb: int) -> bytes:
    """A workbook whose sheet is `unpacked_mb` MB of the same row over and over: a thousandth of that
    once zipped, as the 572 KB file of 147 MB of sheet XML in the issue."""
    source = zipfile.ZipFile(io.BytesIO(_workbook(1)))
    buffer = io.BytesIO()
    row = b'<row><c t="inlineStr"><is><t>' + b"x" * 200 + b"</t></is></c></row>"
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            data = source.read(item)
            if item.filename != "xl/worksheets/sheet1.xml":
                out.writestr(item, data)
                continue
            head, tail = data.split(b"</sheetData>")
            with out.open(item.filename, "w", force_zip64=True) as sheet:
                sheet.write(head)
                block = row * (MB // len(row))
                for _ in range(unpacked_mb):
                    sheet.write(block)
                sheet.write(b"</sheetData>" + tail)
    return buffer.getvalue()


def _same_rows_parquet(rows: int) -> bytes:
    """A contract file of `rows` identical rows: dictionary-encoded, a few kilobytes."""
    one = contract_table(INTERACTION_COLUMNS, [
        {"interaction_id": "a", "channel": "phone", "arrived_at": "2026-10-02 18:00"}])
    buffer = io.BytesIO()
    pq.write_table(one.take(pa.array([0] * rows)), buffer, compression="zstd")
    return buffer.getvalue()


def _kept(folder: Path) -> list[Path]:
    """Everything left under DATA/.cxdash/uploads/."""
    root = uploads.uploads_root(folder)
    return sorted(root.rglob("*")) if root.exists() else []


def _refused(folder: Path, files, limits: UploadLimits = uploads.LIMITS) -> str:
    started = time.perf_counter()
    with pytest.raises(UploadLimitExceeded) as refusal:
        uploads.save_upload(folder, files, MAPPING, limits)
    assert time.perf_counter() - started < 3  # refused before the file is read whole
    assert _kept(folder) == []
    return str(refusal.value)


# --- what a file unpacks to -------------------------------------------------------------------------

def test_a_workbook_that_unpacks_over_the_limit_is_refused_before_openpyxl_reads_it(tmp_path, monkeypatch):
    content = _bomb(60)
    assert len(content) < 300_000  # 60 MB of sheet in under 300 KB
    import openpyxl

    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: pytest.fail("openpyxl was reached"))
    message = _refused(tmp_path / "data", [("book.xlsx", content)])  # the default limits
    assert message.startswith("book.xlsx: its sheets unpack to 60 MB, over the 50 MB limit for a workbook")
    assert "save it as CSV" in message
    text = uploads.problem_text("book.xlsx", UploadLimitExceeded(message))
    assert text == f"Could not be used: {message}"


def test_a_workbook_within_the_limit_is_read_and_the_limit_is_what_refuses_it(tmp_path):
    folder = tmp_path / "data"
    content = _workbook(300, note="the same note on every call " * 4)
    upload = uploads.save_upload(folder, [("calls.xlsx", content)], MAPPING)
    checked = uploads.check(folder, "csv", upload, Settings())
    assert (checked.read, checked.new) == (300, 300)
    with zipfile.ZipFile(io.BytesIO(content)) as book:
        unpacked = sum(item.file_size for item in book.infolist())
    lowered = UploadLimits(workbook_bytes=unpacked - 1)
    message = _refused(tmp_path / "other", [("calls.xlsx", content)], lowered)
    assert f"calls.xlsx: its sheets unpack to {uploads.size_text(unpacked)}, over the " \
           f"{uploads.size_text(unpacked - 1)} limit for a workbook" in message


def test_a_parquet_file_of_many_identical_rows_is_refused_from_its_metadata(tmp_path, monkeypatch):
    content = _same_rows_parquet(1_000_001)  # one over the default limit
    assert len(content) < 100_000
    monkeypatch.setattr(uploads, "prepare", lambda *a, **k: pytest.fail("DuckDB was reached"))
    message = _refused(tmp_path / "data", [("same.parquet", content)])
    assert message == ("same.parquet: 1,000,001 rows, over the limit of 1,000,000 rows a file: split it "
                       "into smaller files")


def test_a_parquet_file_whose_columns_unpack_over_the_limit_is_refused(tmp_path):
    table = pa.table({"interaction_id": [f"{i}" + "x" * MB for i in range(8)]})
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")
    assert len(buffer.getvalue()) < 200_000
    message = _refused(tmp_path / "data", [("wide.parquet", buffer.getvalue())],
                       UploadLimits(parquet_bytes=4 * MB))
    assert message.startswith("wide.parquet: its columns unpack to 8 MB, over the 4 MB limit for a parquet "
                              "file")


def test_a_parquet_file_within_the_limits_is_checked_as_before(tmp_path):
    folder = tmp_path / "data"
    upload = uploads.save_upload(folder, [("same.parquet", _same_rows_parquet(50))],
                                 limits=UploadLimits(rows_per_file=50))
    checked = uploads.check(folder, uploads.PARQUET, upload, Settings())
    assert checked.read == 50 and not any("could not be read" in b for b in checked.blockers)


# --- rows of text files -----------------------------------------------------------------------------

def test_a_csv_over_the_row_limit_is_refused_counting_records_not_lines(tmp_path):
    limits = UploadLimits(rows_per_file=100, rows_per_upload=1_000)
    header = "Call ID,Start,Note\n"

    def rows(count: int) -> str:
        return "".join(f"c{n},2026-10-05T09:00:00Z,x\n" for n in range(count))

    message = _refused(tmp_path / "a", [("calls.csv", (header + rows(101)).encode())], limits)
    assert message == ("calls.csv: more than 100 rows, over the limit of 100 rows a file: split it into "
                       "smaller files")
    # 100 rows, with blank lines and a note over three lines: more lines than the limit, but 100 rows
    text = header + rows(99) + "\n\n" + 'c99,2026-10-05T09:00:00Z,"a note\nover three\nlines"\n\n'
    assert text.count("\n") > 101
    uploads.save_upload(tmp_path / "b", [("calls.csv", text.encode())], MAPPING, limits)


def test_json_lines_and_queue_logs_count_their_lines_a_json_document_is_limited_by_its_size(tmp_path):
    limits = UploadLimits(rows_per_file=10, rows_per_upload=100)
    lines = "".join(f'{{"ContactId": "c{n}"}}\n' for n in range(11)).encode()
    assert "ctr.jsonl: more than 10 rows" in _refused(tmp_path / "a", [("ctr.jsonl", lines)], limits)
    log = "".join(f"{1700000000 + n}|call{n}|q|NONE|ENTERQUEUE||1\n" for n in range(11)).encode()
    assert "queue_log: more than 10 rows" in _refused(tmp_path / "b", [("queue_log", log)], limits)
    # a JSON document's lines are not its records: 3 records over 30 lines are not refused
    document = ("[\n" + ",\n".join('  {\n' + "\n".join(f'    "k{k}": {k},' for k in range(8))
                                   + f'\n    "id": {n}\n  }}' for n in range(3)) + "\n]\n").encode()
    assert document.count(b"\n") > 30
    uploads.save_upload(tmp_path / "c", [("tickets.json", document)], limits=limits)


def test_the_rows_of_an_upload_are_limited_together(tmp_path):
    limits = UploadLimits(rows_per_file=100, rows_per_upload=100)

    def calls(start: int, count: int) -> bytes:
        return ("Call ID,Start\n" + "".join(f"c{n},2026-10-05T09:00:00Z\n"
                                            for n in range(start, start + count))).encode()

    message = _refused(tmp_path / "a", [("a.csv", calls(0, 60)), ("b.csv", calls(60, 41))], limits)
    assert message == ("a.csv, b.csv: 101 rows together, over the limit of 100 rows in one upload: upload "
                       "them in parts")
    # two headers make 102 lines, but 100 rows: within the limit
    uploads.save_upload(tmp_path / "b", [("a.csv", calls(0, 60)), ("b.csv", calls(60, 40))], limits=limits)


# --- files, bytes, and the uploads kept -------------------------------------------------------------

def test_too_many_or_too_large_files_are_refused_before_anything_is_written(tmp_path):
    limits = UploadLimits(files_per_upload=2, upload_bytes=MB)
    three = [(f"part{n}.jsonl", b'{"ContactId": "x"}\n') for n in range(3)]
    message = _refused(tmp_path / "data", three, limits)
    assert message == "3 files in one upload, over the limit of 2: upload them in parts"
    message = _refused(tmp_path / "data", [("big.jsonl", b" " * (MB + 1))], limits)
    assert message == "big.jsonl is 1 MB, over the 1 MB limit for one upload: split it into smaller files"
    message = _refused(tmp_path / "data", [("a.jsonl", b" " * MB), ("b.jsonl", b" " * MB)], limits)
    assert message.startswith("these 2 files are 2 MB, over the 1 MB limit for one upload")
    assert not uploads.uploads_root(tmp_path / "data").exists()
    assert uploads.limits_text("csv", limits) == ("At most 2 files and 1 MB in one upload, 1,000,000 rows; "
                                                 "a workbook up to 50 MB unpacked.")


def test_the_uploads_waiting_in_a_folder_are_limited_and_stale_ones_go(tmp_path):
    folder = tmp_path / "data"
    limits = UploadLimits(kept_uploads=2, kept_bytes=10 * 1024)
    first = uploads.save_upload(folder, [("a.jsonl", b" " * 4096)], limits=limits)
    second = uploads.save_upload(folder, [("b.jsonl", b" " * 4096)], limits=limits)
    with pytest.raises(UploadLimitExceeded) as refusal:
        uploads.save_upload(folder, [("c.jsonl", b"{}\n")], limits=limits)
    assert str(refusal.value).startswith("the server already holds 2 uploads waiting to be added (8 KB); "
                                         "with this one that is over its limit of 2 uploads, 10 KB together")
    assert "removed after 6 hours" in str(refusal.value)
    uploads.remove_upload(folder, second.directory)
    with pytest.raises(UploadLimitExceeded, match="over its limit"):  # 4 KB + 8 KB > 10 KB
        uploads.save_upload(folder, [("c.jsonl", b" " * 8192)], limits=limits)
    # an upload older than keep_seconds is removed first and no longer counts
    old = time.time() - limits.keep_seconds - 60
    os.utime(first.directory, (old, old))
    third = uploads.save_upload(folder, [("c.jsonl", b" " * 8192)], limits=limits)
    assert not first.directory.exists() and third.directory.is_dir()
    assert [p.name for p in uploads.uploads_root(folder).iterdir()] == [third.directory.name]


# --- a full disk: nothing partial is left -----------------------------------------------------------

def _fills_the_disk(written: int = 1000):
    """A writer that writes part of the file, then finds the disk full."""
    def write(path: Path, *_):
        Path(path).write_bytes(b"\0" * written)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    return write


def test_a_full_disk_while_saving_leaves_no_upload_and_says_so(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    monkeypatch.setattr(uploads, "_write_file", _fills_the_disk())
    with pytest.raises(OSError) as failure:
        uploads.save_upload(folder, [("ctr.jsonl", b'{"ContactId": "x"}\n')])
    assert _kept(folder) == []
    text = uploads.problem_text("ctr.jsonl", failure.value)
    assert text.startswith("ctr.jsonl: could not be saved or read on the server: no space left on the device")
    assert text.endswith("Free some space on the server's disk, then try again.")
    read_only = OSError(errno.EROFS, os.strerror(errno.EROFS), str(folder / ".cxdash"))
    assert uploads.problem_text("ctr.jsonl", read_only) == (
        f"ctr.jsonl: could not be saved or read on the server: {folder / '.cxdash'}: read-only file system. "
        "The app needs to be allowed to write into the data folder to import.")


def _contract_upload(folder: Path, *names: str) -> tuple[uploads.Upload, uploads.Check]:
    files = [(name, _parquet_of(name)) for name in names]
    upload = uploads.save_upload(folder, files)
    return upload, uploads.check(folder, uploads.PARQUET, upload, Settings())


def _parquet_of(name: str) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(contract_table(INTERACTION_COLUMNS, [
        {"interaction_id": name, "channel": "phone", "arrived_at": "2026-10-02 18:00"}]), buffer)
    return buffer.getvalue()


def test_a_full_disk_while_adding_a_contract_file_leaves_nothing_partial(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    upload, checked = _contract_upload(folder, "a.parquet", "b.parquet")
    assert checked.to_add == 2 and not checked.blockers
    # the check's scratch folder and store are gone; the upload is kept once
    assert sorted(p.name for p in upload.directory.iterdir()) == ["a.parquet", "b.parquet"]
    target = folder / "interactions" / "uploads"

    # no hard links here: the files are copied under a hidden name, and the second one fills the disk
    real_link = os.link
    monkeypatch.setattr(uploads.os, "link", lambda *a, **k: (_ for _ in ()).throw(
        OSError(errno.EXDEV, os.strerror(errno.EXDEV))))
    copies = []

    def copy(source: Path, hidden: Path) -> None:
        copies.append(hidden.name)
        if len(copies) == 2:
            _fills_the_disk()(hidden)
        Path(hidden).write_bytes(Path(source).read_bytes())

    monkeypatch.setattr(uploads, "_copy_file", copy)
    with pytest.raises(OSError) as failure:
        uploads.confirm(folder, uploads.PARQUET, upload, Settings(), checked)
    assert failure.value.errno == errno.ENOSPC
    assert copies[0].startswith(".a.parquet.") and copies[0].endswith(".tmp")
    assert list(target.iterdir()) == []  # no hidden .tmp, and a.parquet taken back: all or nothing
    assert uploads.history(folder).empty

    # with hard links the files are added without a second copy
    monkeypatch.setattr(uploads.os, "link", real_link)
    message, _ = uploads.confirm(folder, uploads.PARQUET, upload, Settings(), checked)
    assert sorted(p.name for p in target.iterdir()) == ["a.parquet", "b.parquet"]
    assert (target / "a.parquet").stat().st_ino == upload.paths[0].stat().st_ino
    uploads.remove_upload(folder, upload.directory)
    assert (target / "a.parquet").read_bytes() == _parquet_of("a.parquet")
    assert "Added interactions/uploads/a.parquet, interactions/uploads/b.parquet" in message


def test_a_full_disk_while_logging_the_addition_takes_the_files_back(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    upload, checked = _contract_upload(folder, "a.parquet")
    monkeypatch.setattr(uploads, "log_import", lambda *a, **k: (_ for _ in ()).throw(
        OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))))
    with pytest.raises(OSError):
        uploads.confirm(folder, uploads.PARQUET, upload, Settings(), checked)
    assert list((folder / "interactions" / "uploads").iterdir()) == []


def test_a_contract_file_removed_from_the_server_meanwhile_is_said_in_words(tmp_path):
    folder = tmp_path / "data"
    upload, checked = _contract_upload(folder, "a.parquet")
    uploads.remove_upload(folder, upload.directory)  # removed as stale, say
    with pytest.raises(ValueError, match="a.parquet: the upload is no longer on the server"):
        uploads.confirm(folder, uploads.PARQUET, upload, Settings(), checked)


def test_the_check_of_a_contract_file_leaves_no_store_under_cxdash_store(tmp_path, monkeypatch):
    stores = tmp_path / "stores"
    monkeypatch.setenv("CXDASH_STORE", str(stores))
    folder = tmp_path / "data"
    upload, checked = _contract_upload(folder, "a.parquet")
    assert checked.read == 1
    assert not (upload.directory / "scratch").exists()
    assert not any(p.name.startswith("scratch-") for p in stores.glob("*"))


def test_limits_are_a_frozen_dataclass_with_named_defaults():
    limits = UploadLimits()
    assert (limits.files_per_upload, limits.upload_bytes, limits.rows_per_file, limits.workbook_bytes,
            limits.keep_seconds) == (20, 100 * MB, 1_000_000, 50 * MB, 6 * 3600)
    assert replace(limits, rows_per_file=5).rows_per_file == 5
    with pytest.raises(AttributeError):
        limits.rows_per_file = 5  # type: ignore[misc]
