"""The audit trail (issue 18): one JSON line per event, a hash chain over the lines, appended by many
processes at once without a line lost or broken, never rewritten, read back whatever damage it took."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import stat
import tempfile
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pytest

from cxdash import audit
from cxdash.audit import AuditError, read, record, verify
from cxdash.store import Store
from tests.builders import write_interactions

NOON = datetime(2026, 10, 31, 12, 0, tzinfo=UTC)

# the three lines of `_three`, as they must be written, byte for byte
LINE_1 = ('{"at":"2026-10-31T12:00:00.000000+00:00","user":"ada@livingwell.example","role":"admin",'
          '"action":"sign-in","page":"","target":"","details":{},"prev":""}')
LINE_2_BEFORE_PREV = ('{"at":"2026-10-31T12:00:01.250000+00:00","user":"dana@livingwell.example",'
                      '"role":"director","action":"download","page":"overview","target":"tiles.csv",'
                      '"details":{"period":["2026-10-01","2026-10-31"],"teams":["Team Day"]},"prev":"')
LINE_3_BEFORE_PREV = ('{"at":"2026-10-31T19:30:00.000007+00:00","user":"Quinn <q@x>","role":"quality",'
                      '"action":"import","page":"data_import","target":"","details":{"files":["=cmd.csv"],'
                      '"rows":3},"prev":"')


def _sha(text: str | bytes) -> str:
    return hashlib.sha256(text.encode() if isinstance(text, str) else text).hexdigest()


def _three(folder: Path) -> None:
    record(folder, "ada@livingwell.example", "admin", "sign-in", at=NOON)
    record(folder, "dana@livingwell.example", "director", "download", page="overview", target="tiles.csv",
           details={"period": [date(2026, 10, 1), date(2026, 10, 31)], "teams": ["Team Day"]},
           at=NOON + timedelta(seconds=1.25))
    # an offset other than UTC is stored in UTC: 21:30 at +02:00 is 19:30 UTC
    record(folder, "Quinn <q@x>", "quality", "import", page="data_import",
           details={"files": ["=cmd.csv"], "rows": 3},
           at=datetime(2026, 10, 31, 21, 30, 0, 7, tzinfo=timezone(timedelta(hours=2))))


def _trail(folder: Path) -> Path:
    return folder / "audit" / "trail.jsonl"


def _lines(folder: Path) -> list[bytes]:
    return _trail(folder).read_bytes().split(b"\n")


def _rewrite(folder: Path, lines: list[bytes]) -> None:
    """What someone editing the file by hand does (the test's tampering; cxdash never does this)."""
    _trail(folder).write_bytes(b"\n".join(lines))


# --- writing --------------------------------------------------------------------------------------

def test_three_records_are_three_lines_with_exact_fields_and_a_valid_chain(tmp_path):
    _three(tmp_path)
    line_2 = LINE_2_BEFORE_PREV + _sha(LINE_1) + '"}'
    line_3 = LINE_3_BEFORE_PREV + _sha(line_2) + '"}'
    assert _trail(tmp_path).read_text(encoding="utf-8") == f"{LINE_1}\n{line_2}\n{line_3}\n"
    assert verify(tmp_path) == []


def test_the_trail_reads_back_as_one_row_per_line_newest_last(tmp_path):
    _three(tmp_path)
    frame = read(tmp_path)
    assert list(frame.columns) == ["at", "user", "role", "action", "page", "target", "details", "line"]
    assert frame["at"].tolist() == [pd.Timestamp("2026-10-31 12:00:00", tz="UTC"),
                                    pd.Timestamp("2026-10-31 12:00:01.25", tz="UTC"),
                                    pd.Timestamp("2026-10-31 19:30:00.000007", tz="UTC")]
    assert frame["user"].tolist() == ["ada@livingwell.example", "dana@livingwell.example", "Quinn <q@x>"]
    assert frame["role"].tolist() == ["admin", "director", "quality"]
    assert frame["action"].tolist() == ["sign-in", "download", "import"]
    assert frame["page"].tolist() == ["", "overview", "data_import"]
    assert frame["target"].tolist() == ["", "tiles.csv", ""]
    assert frame["details"].tolist() == [
        "{}", '{"period": ["2026-10-01", "2026-10-31"], "teams": ["Team Day"]}',
        '{"files": ["=cmd.csv"], "rows": 3}']
    assert frame["line"].tolist() == [1, 2, 3]


def test_the_first_record_makes_the_audit_folder(tmp_path):
    assert read(tmp_path).empty and verify(tmp_path) == []  # no trail yet: nothing, no error
    record(tmp_path, "ada", "admin", "settings", target="cxdash.toml", at=NOON)
    assert _trail(tmp_path).is_file()
    assert len(read(tmp_path)) == 1


def test_an_unknown_action_or_a_time_without_its_zone_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown audit action 'donwload'"):
        record(tmp_path, "ada", "admin", "donwload")
    with pytest.raises(ValueError, match="aware datetime"):
        record(tmp_path, "ada", "admin", "download", at=datetime(2026, 10, 31, 12))
    assert not _trail(tmp_path).exists()


def test_without_a_time_the_record_is_stamped_now_in_utc(tmp_path):
    before = datetime.now(UTC)
    record(tmp_path, "ada", "admin", "sign-in")
    after = datetime.now(UTC)
    text = json.loads(_lines(tmp_path)[0])["at"]
    assert text.endswith("+00:00") and len(text) == len("2026-10-31T12:00:00.000000+00:00")
    assert before <= datetime.fromisoformat(text) <= after


def test_earlier_bytes_never_change_as_records_are_added(tmp_path):
    _three(tmp_path)
    first = _trail(tmp_path).read_bytes()
    inode = _trail(tmp_path).stat().st_ino
    for number in range(5):
        record(tmp_path, f"user{number}", "planner", "download", target=f"{number}.csv")
    after = _trail(tmp_path).read_bytes()
    assert after.startswith(first) and len(after) > len(first)
    assert after.count(b"\n") == 8
    assert _trail(tmp_path).stat().st_ino == inode  # the same file, appended to, not replaced
    assert verify(tmp_path) == []


# --- the chain ------------------------------------------------------------------------------------

def test_an_edited_line_is_named_by_verify(tmp_path):
    _three(tmp_path)
    lines = _lines(tmp_path)
    lines[1] = lines[1].replace(b"dana@livingwell.example", b"pat@livingwell.example")
    _rewrite(tmp_path, lines)
    assert verify(tmp_path) == ["Line 3 does not follow line 2: line 2 was changed, or a line between "
                                "them was removed or added."]


def test_an_edit_of_the_same_size_with_the_old_file_time_is_seen_by_the_next_reading(tmp_path):
    """Readings are kept by the trail's content, not by its size or time: a page's next run sees it."""
    _three(tmp_path)
    assert verify(tmp_path) == [] and read(tmp_path)["user"][1] == "dana@livingwell.example"
    trail = _trail(tmp_path)
    times = trail.stat()
    trail.write_bytes(trail.read_bytes().replace(b"dana@", b"dina@"))
    os.utime(trail, ns=(times.st_atime_ns, times.st_mtime_ns))
    assert trail.stat().st_size == times.st_size
    assert read(tmp_path)["user"][1] == "dina@livingwell.example"
    assert verify(tmp_path) == ["Line 3 does not follow line 2: line 2 was changed, or a line between "
                                "them was removed or added."]


def test_a_removed_line_is_named_by_verify(tmp_path):
    _three(tmp_path)
    lines = _lines(tmp_path)
    _rewrite(tmp_path, [lines[0], lines[2], lines[3]])  # line 2 gone
    assert verify(tmp_path) == ["Line 2 does not follow line 1: line 1 was changed, or a line between "
                                "them was removed or added."]


def test_a_removed_first_line_is_named_by_verify(tmp_path):
    _three(tmp_path)
    _rewrite(tmp_path, _lines(tmp_path)[1:])
    assert verify(tmp_path) == ["Line 1 does not start the trail: a line before it was removed, or line 1 "
                                "was changed."]


def test_an_added_line_is_named_by_verify(tmp_path):
    _three(tmp_path)
    lines = _lines(tmp_path)
    forged = json.loads(lines[1])
    forged["user"] = "mallory"
    forged["prev"] = _sha(lines[0])  # made to follow line 1, but line 2 still follows line 1 too
    _rewrite(tmp_path, [lines[0], json.dumps(forged).encode(), *lines[1:]])
    assert verify(tmp_path) == ["Line 3 does not follow line 2: line 2 was changed, or a line between "
                                "them was removed or added."]


# --- damage ---------------------------------------------------------------------------------------

def test_damaged_lines_are_kept_as_rows_and_named_and_the_chain_goes_on_after_them(tmp_path):
    _three(tmp_path)
    with _trail(tmp_path).open("ab") as handle:
        handle.write(b'{"at": "2026-11-01T00:00:00+00:00", "user": "half a li\n')  # bad JSON
        handle.write(b"\x00" * 4096)  # a crash left a run of NUL bytes, without a line break
    record(tmp_path, "ada", "admin", "sign-in", at=NOON + timedelta(days=1))
    lines = _lines(tmp_path)
    assert lines[4] == b"\x00" * 4096  # the NUL run was ended by a line break, not joined
    assert json.loads(lines[5])["prev"] == _sha(b"\x00" * 4096)
    frame = read(tmp_path)
    assert frame["line"].tolist() == [1, 2, 3, 4, 5, 6]
    assert frame["action"].tolist() == ["sign-in", "download", "import", "damaged line", "damaged line",
                                        "sign-in"]
    assert frame["details"][3] == '{"at": "2026-11-01T00:00:00+00:00", "user": "half a li'
    assert frame["details"][4] == "[4096 NUL bytes]"
    assert frame["at"][3] is pd.NaT and frame["user"][3] == ""
    assert frame["at"][5] == pd.Timestamp("2026-11-01 12:00", tz="UTC")
    assert verify(tmp_path) == ["Line 4 is damaged: it cannot be read as a record.",
                                "Line 5 is damaged: it cannot be read as a record."]


def test_a_long_damaged_line_is_shown_cut_short(tmp_path):
    _trail(tmp_path).parent.mkdir()
    _trail(tmp_path).write_bytes(b"x" * 1000 + b"\n")
    assert read(tmp_path)["details"][0] == "x" * 300 + "…"


def test_a_last_line_left_without_its_line_break_is_ended_before_the_next(tmp_path):
    _three(tmp_path)
    whole = _trail(tmp_path).read_bytes()
    _trail(tmp_path).write_bytes(whole[:-20])  # the last line cut short, as a full disk leaves it
    record(tmp_path, "ada", "admin", "sign-in", at=NOON)
    lines = _lines(tmp_path)
    assert lines[2] == whole[:-20].split(b"\n")[2] and len(lines) == 5 and lines[4] == b""
    assert verify(tmp_path) == ["Line 3 is damaged: it cannot be read as a record."]


# --- many writers at once -------------------------------------------------------------------------

WRITERS, RECORDS_EACH = 4, 200


def _write_many(folder: str, writer: int) -> None:
    for number in range(RECORDS_EACH):
        record(Path(folder), f"writer{writer}", "admin", "download", target=f"{writer}-{number}",
               details={"padding": "x" * (number % 7) * 300})  # lines of 0.1 to 2 kB


def test_processes_writing_at_once_never_interleave_or_break_the_chain(tmp_path):
    context = multiprocessing.get_context("fork")
    processes = [context.Process(target=_write_many, args=(str(tmp_path), writer))
                 for writer in range(WRITERS)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
        assert process.exitcode == 0
    frame = read(tmp_path)
    assert len(frame) == WRITERS * RECORDS_EACH
    assert (frame["action"] == "download").all()  # not one damaged line
    assert verify(tmp_path) == []
    for writer in range(WRITERS):  # each writer's records once each, in its own order
        mine = frame.loc[frame["user"] == f"writer{writer}", "target"].tolist()
        assert mine == [f"{writer}-{number}" for number in range(RECORDS_EACH)]
    assert frame["at"].is_monotonic_increasing  # stamped under the lock


# --- a failing disk -------------------------------------------------------------------------------

def _record_as_nobody(folder: str, answer) -> None:
    """In a forked child: record as nobody when run as root (root may write anywhere), and send back
    the error's type and text."""
    if os.geteuid() == 0:
        os.setgroups([])
        os.setgid(65534)
        os.setuid(65534)
    try:
        record(Path(folder), "ada", "admin", "sign-in")
        answer.send(("recorded", ""))
    except Exception as error:  # noqa: BLE001 - whatever it is, the parent asserts on it
        answer.send((type(error).__name__, str(error)))


def test_a_read_only_data_folder_raises_a_sentence_without_the_path():
    """A data folder cxdash may not write to; the folder is one nobody may enter, as root or not."""
    base = Path(tempfile.mkdtemp(prefix="cxdash-audit-"))
    folder = base / "data"
    folder.mkdir()
    base.chmod(0o755)
    folder.chmod(0o555)
    try:
        context = multiprocessing.get_context("fork")
        receive, send = context.Pipe(duplex=False)
        child = context.Process(target=_record_as_nobody, args=(str(folder), send))
        child.start()
        child.join(timeout=60)
        assert child.exitcode == 0
        kind, text = receive.recv()
        assert kind == "AuditError" and issubclass(AuditError, OSError)
        assert text == ("The audit trail (audit/trail.jsonl in the data folder) could not be written: "
                        "permission denied.")
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(stat.S_IRWXU)
        folder.rmdir()
        base.rmdir()


def test_a_full_disk_raises_a_sentence_without_the_path(tmp_path):
    """/dev/full answers every write with ENOSPC, as a full disk does."""
    _trail(tmp_path).parent.mkdir()
    _trail(tmp_path).symlink_to("/dev/full")
    with pytest.raises(AuditError) as raised:
        record(tmp_path, "ada", "admin", "sign-in")
    assert str(raised.value) == ("The audit trail (audit/trail.jsonl in the data folder) could not be "
                                 "written: no space left on the device.")
    assert str(tmp_path) not in str(raised.value)
    assert raised.value.__cause__.errno == 28


def test_a_missing_data_folder_or_a_file_in_the_audit_folders_place_raises_a_sentence(tmp_path):
    with pytest.raises(AuditError, match=r"could not be written: the data folder does not exist\.$"):
        record(tmp_path / "gone", "ada", "admin", "sign-in")
    (tmp_path / "audit").write_text("not a folder")
    with pytest.raises(AuditError, match=r"could not be written: a file stands where a folder should be\.$"):
        record(tmp_path, "ada", "admin", "sign-in")


def test_an_unreadable_trail_raises_a_sentence_on_reading(tmp_path, monkeypatch):
    _three(tmp_path)

    def refuse(*_, **__):
        raise PermissionError(13, "Permission denied", str(_trail(tmp_path)))

    monkeypatch.setattr(audit, "open", refuse, raising=False)  # the trail only
    with pytest.raises(AuditError) as raised:
        read(tmp_path)
    assert str(raised.value) == ("The audit trail (audit/trail.jsonl in the data folder) could not be "
                                 "read: permission denied.")


# --- the data folder ------------------------------------------------------------------------------

def test_preparing_the_data_folder_never_reads_the_trail_as_data(tmp_path):
    write_interactions(tmp_path, [{"interaction_id": "a", "channel": "phone",
                                   "arrived_at": "2024-01-10 18:00"}])
    _three(tmp_path)
    (tmp_path / "audit" / "trail.csv").write_text("interaction_id,channel\nx,phone\n")  # a look-alike
    store = Store.open(tmp_path)
    try:
        assert [file.path for file in store.report.files] == ["interactions/part.parquet"]
        assert store.report.rows_read == 1
    finally:
        store.close()
    assert verify(tmp_path) == [] and len(read(tmp_path)) == 3


def test_every_action_is_documented():
    assert list(audit.ACTIONS) == ["sign-in", "download", "import", "refused", "settings"]
    assert all(meaning for meaning in audit.ACTIONS.values())


def test_an_import_on_the_command_line_is_noted_under_the_account_that_ran_it(tmp_path, capsys):
    import getpass

    from cxdash import cli
    from tests.test_import_amazon_connect import EXPORT

    assert cli.main(["import", "amazon-connect", str(EXPORT), "--data", str(tmp_path), "--preview"]) == 0
    assert not (tmp_path / "audit").exists()  # a preview imports nothing, so notes nothing
    assert cli.main(["import", "amazon-connect", str(EXPORT), "--data", str(tmp_path), "--json"]) == 0
    trail = audit.read(tmp_path)
    assert len(trail) == 1
    line = trail.iloc[0]
    assert (line["user"], line["role"], line["action"], line["target"]) == (
        getpass.getuser(), "command line", "import", EXPORT.name)
    details = json.loads(line["details"])
    assert (details["source"], details["records_read"], details["new"], details["set_aside"]) == (
        "amazon-connect", 13, 7, 4)  # 13 = 7 + 1 superseded + 1 merged + 4
    assert audit.verify(tmp_path) == []
