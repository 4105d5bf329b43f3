"""The command line on a read-only folder, a full disk or a refused permission (issue 14, point 11):
one line on stderr naming the path and what happened, exit 1, never a traceback (unless
$CXDASH_DEBUG asks for it). Errors of any other kind keep their traceback: they are bugs."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from cxdash import cli, ingest
from cxdash.oserrors import disk_error_text
from tests.builders import write_interactions

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    write_interactions(tmp_path / "data", [
        {"interaction_id": "a", "channel": "phone", "arrived_at": "2024-01-10 18:00"},
        {"interaction_id": "b", "channel": "chat", "arrived_at": "2024-01-11 18:00"}])
    return tmp_path / "data"


def _fails_with(monkeypatch, error: BaseException) -> None:
    """The store's preparation meets `error`, as every command that reads the data does first."""
    def prepare(*_, **__):
        raise error
    monkeypatch.setattr(ingest, "prepare", prepare)


@pytest.mark.parametrize(("number", "words"), [
    (errno.EROFS, "read-only file system"), (errno.ENOSPC, "no space left on the device"),
    (errno.EACCES, "permission denied"), (errno.EDQUOT, "disk quota exceeded")])
def test_a_disk_failure_is_one_line_naming_the_path(folder, monkeypatch, capsys, number, words):
    monkeypatch.delenv("CXDASH_DEBUG", raising=False)
    store = folder / ".cxdash" / "manifest.json"
    _fails_with(monkeypatch, OSError(number, os.strerror(number), str(store)))
    assert cli.main(["validate", "--data", str(folder)]) == 1
    captured = capsys.readouterr()
    assert captured.err == f"cxdash: {store}: {words}\n"
    assert captured.out == ""


def test_a_failure_without_a_path_names_the_data_folder(tmp_path, monkeypatch, capsys):
    from cxdash import demo

    def write_demo(*_, **__):  # as pyarrow says it when the demo fills the disk: no file named
        raise OSError(errno.ENOSPC, "Error writing bytes to file. Detail: [errno 28] No space left on device")

    monkeypatch.setattr(demo, "write_demo", write_demo)
    assert cli.main(["demo", "--data", str(tmp_path)]) == 1
    assert capsys.readouterr().err == f"cxdash: {tmp_path}: no space left on the device\n"


def test_a_duckdb_io_error_about_the_disk_is_one_line_too(folder, monkeypatch, capsys):
    _fails_with(monkeypatch, duckdb.IOException(
        f'IO Error: Cannot open file "{folder}/.cxdash/interactions/clean/x.parquet": Read-only file system'))
    assert cli.main(["validate", "--data", str(folder)]) == 1
    assert capsys.readouterr().err == \
        f"cxdash: {folder}/.cxdash/interactions/clean/x.parquet: read-only file system\n"


def test_a_real_duckdb_write_to_a_full_device_is_said_in_words():
    con = duckdb.connect()
    with pytest.raises(duckdb.IOException) as failure:
        con.execute("copy (select range from range(100000)) to '/dev/full' (format parquet)")
    assert disk_error_text(failure.value) == "/dev/full: no space left on the device"
    assert disk_error_text(ValueError("not the disk")) is None


def test_debug_adds_the_traceback_and_other_errors_keep_theirs(folder, monkeypatch, capsys):
    monkeypatch.setenv("CXDASH_DEBUG", "1")
    _fails_with(monkeypatch, PermissionError(errno.EACCES, "Permission denied", str(folder)))
    assert cli.main(["validate", "--data", str(folder)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and err.endswith(f"cxdash: {folder}: permission denied\n")
    _fails_with(monkeypatch, RuntimeError("a bug"))
    with pytest.raises(RuntimeError, match="a bug"):
        cli.main(["validate", "--data", str(folder)])


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
def test_a_report_written_to_a_full_device_exits_1_with_one_line(folder):
    """A real full disk: /dev/full refuses every write with ENOSPC."""
    env = {key: value for key, value in os.environ.items() if key != "CXDASH_DEBUG"}
    done = subprocess.run([sys.executable, "-m", "cxdash", "report", "--month", "2024-01", "--out",
                           "/dev/full", "--data", str(folder)],
                          cwd=ROOT, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == "cxdash: /dev/full: no space left on the device"
    assert "Traceback" not in done.stderr
