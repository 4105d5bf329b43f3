"""The Import page: AppTest for what it shows before an upload, and with one (AppTest cannot upload
files: the uploader is stood in for), and the plain functions behind it (save, check, confirm, history)
on tmp folders with the CTR fixture."""

from __future__ import annotations

import io
import shutil
import tomllib
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from cxdash.contract import INTERACTION_COLUMNS
from cxdash.importers import SOURCES, parse_files, uploads
from cxdash.ingest import TABLES, prepare, source_files
from cxdash.safe import plain
from cxdash.settings import Settings
from cxdash.ui import importing
from tests.apptest import assert_no_page_failure
from tests.builders import contract_table, write_interactions

ROOT = Path(__file__).resolve().parent.parent
CTR = ROOT / "tests" / "fixtures" / "imports" / "amazon_connect" / "ctr-2026-10.jsonl"
PAGE = "pages/data_import.py"


def _page(at):
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert_no_page_failure(at)  # conftest checks every run too
    return at


def _upload(folder: Path, *paths: Path, mapping: dict | None = None) -> uploads.Upload:
    return uploads.save_upload(folder, [(path.name, path.read_bytes()) for path in paths], mapping)


def _parquet_bytes(rows: list[dict]) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(contract_table(INTERACTION_COLUMNS, rows), buffer)
    return buffer.getvalue()


def _contacts(folder: Path) -> list[Path]:
    return source_files(folder, TABLES["interactions"])


# --- the page, before an upload ---------------------------------------------------------------------

def test_the_import_page_lists_every_source_and_waits_for_a_file(app_test, demo_folder):
    at = _page(app_test(demo_folder))
    assert [t.value for t in at.title] == ["Import"]
    assert not at.error
    source = at.selectbox(key="import_source")
    assert source.value == "amazon-connect"
    assert list(source.options) == [s.label for s in SOURCES.values()] + [uploads.PARQUET_LABEL]
    assert any("Choose or drop the files" in i.value for i in at.info)
    limit = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["server"]["maxUploadSize"]
    assert limit == 200
    limit = min(limit, uploads.LIMITS.upload_bytes // uploads.MB)  # an upload may hold less than that
    assert any(f"Accepted: .json or .jsonl files, up to {limit} MB each" in c.value for c in at.caption)
    assert any(uploads.limits_text("amazon-connect") in c.value for c in at.caption)


def test_each_source_says_its_file_types_and_csv_asks_for_its_mapping(app_test, demo_folder):
    at = _page(app_test(demo_folder))
    at.selectbox(key="import_source").set_value("parquet").run()
    assert not at.exception
    assert any("Accepted: .parquet files" in c.value for c in at.caption)
    at.selectbox(key="import_source").set_value("csv").run()
    assert not at.exception
    assert any("Accepted: .csv or .xlsx files" in c.value for c in at.caption)
    assert any(e.label == "How to write the mapping" for e in at.expander)
    assert uploads.types_text("asterisk").startswith("Accepted: any file")
    assert SOURCES["asterisk"].extensions is None  # a queue_log has no extension


def test_every_source_has_its_importer_and_the_page_offers_its_uploader(app_test, demo_folder):
    for source in SOURCES.values():
        assert callable(source.parse), source.name
        assert source.doc, source.name  # the page shows what the importer reads
    assert uploads.UPLOADS[uploads.PARQUET].parse is None and uploads.UPLOADS[uploads.PARQUET].doc is None
    at = _page(app_test(demo_folder))
    for source in SOURCES:
        at.selectbox(key="import_source").set_value(source).run()
        assert not at.exception
        assert [u.label for u in at.get("file_uploader")][0] == f"{SOURCES[source].label}: files to check"
        assert any(uploads.types_text(source) in c.value for c in at.caption), source
        assert any("Choose or drop the files" in i.value for i in at.info), source


def test_the_page_says_what_the_last_import_did(app_test, demo_folder):
    at = app_test(demo_folder)
    at.run()
    at.switch_page(PAGE)
    at.session_state["import_done"] = ("Imported ctr.jsonl: 7 new and 0 updated records (2026-10). The "
                                       "dashboards now include them.", ["amazon-connect: 13 records read",
                                                                        "  set aside: 1 not a JSON record"])
    at.run()
    assert not at.exception
    assert any("dashboards now include them" in s.value for s in at.success)
    assert any("not a JSON record" in m.value for m in at.markdown)


# --- the page, with an upload ----------------------------------------------------------------------

class _Uploaded:
    """What st.file_uploader gives the page for a file (the parts it reads), under a name of our own."""

    def __init__(self, path: Path, name: str | None = None) -> None:
        self.name, self.file_id, self._data = name or path.name, f"{name or path.name}-id", path.read_bytes()

    def getbuffer(self) -> memoryview:
        return memoryview(self._data)


def _hand_over(monkeypatch, *files: _Uploaded) -> list[tuple[float, str | None]]:
    """AppTest cannot upload: the uploader hands the page these files until a confirmed import empties
    it (as the page's new uploader key does). Returns every value and text progress bars are given."""
    monkeypatch.setattr(importing, "upload_widgets", lambda source: (
        [] if st.session_state.get("import_round") else list(files), None))
    bars: list[tuple[float, str | None]] = []
    real = DeltaGenerator.progress

    def progress(self, value, text=None, **kwargs):
        bars.append((value, text))
        return real(self, value, text=text, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "progress", progress)
    return bars


def _import_bar(bars: list[tuple[float, str | None]]) -> list[tuple[float, str | None]]:
    """What the import's bar was given, from its start to its "Done" (or the end, when it stopped): the
    app's other bars (preparing the data, before the page and after an import) are not its."""
    starts = [n for n, (_, text) in enumerate(bars) if text == "Starting…"]
    assert len(starts) == 1, bars
    bar = bars[starts[0]:]
    done = [n for n, (_, text) in enumerate(bar) if text == "Done"]
    return bar[:done[0] + 1] if done else bar


def _assert_moves_to_done(bars: list[tuple[float, str | None]]) -> None:
    values = [value for value, _ in bars]
    assert bars[0] == (0.0, "Starting…") and bars[-1] == (1.0, "Done"), bars
    assert all(a <= b for a, b in zip(values, values[1:], strict=False)), bars


def test_an_upload_is_checked_then_imported_under_a_progress_bar_that_goes_when_done(
        app_test, demo_folder, tmp_path, monkeypatch):
    folder = tmp_path / "demo"
    shutil.copytree(demo_folder, folder)  # the import stays out of the shared demo
    name = "ctr_*10*.jsonl"  # Markdown in a file name is shown as its text
    bars = _hand_over(monkeypatch, _Uploaded(CTR, name))
    at = _page(app_test(folder))
    assert {m.label: m.value for m in at.metric} == {"Records read": "13", "New": "7", "Updated": "0",
                                                     "Already imported": "0", "Set aside": "4"}
    assert not at.get("progress")  # the bar went once the check was done
    bar = _import_bar(bars)
    _assert_moves_to_done(bar)
    stages = [text for _, text in bar[1:]]
    checking = plain(f"Checking {len(parse_files('amazon-connect', [CTR], Settings()).rows)} records "
                     "against the data contract")  # the contacts the importer made of the 13 records
    assert stages == [plain(f"Saving {name}"), plain(f"Counting the records of {name}"),
                      plain("Saved 1 file"), plain(f"Reading {name}"), plain("Read 13 records"), checking,
                      plain("Comparing with what is stored"), "Done"]

    bars.clear()
    at.button(key="import_confirm").click().run()
    assert not at.exception
    assert any("dashboards now include them" in s.value for s in at.success)
    assert not at.get("progress") and not at.metric  # the report and the bar are gone, the uploader emptied
    bar = _import_bar(bars)
    _assert_moves_to_done(bar)
    assert [text for _, text in bar[1:]] == [  # the check's reading is reused: no reading again
        checking, plain("Comparing with what is stored"), plain("Writing month 1 of 1 (2026-10)"), "Done"]
    assert pq.read_table(folder / "interactions" / "amazon-connect" / "2026-10.parquet").num_rows == 7


def test_an_upload_the_importer_refuses_is_named_and_leaves_no_progress_bar(
        app_test, demo_folder, tmp_path, monkeypatch):
    folder = tmp_path / "demo"
    shutil.copytree(demo_folder, folder)
    export = tmp_path / "conversations.json"
    export.write_text('{"nothing": []}')
    bars = _hand_over(monkeypatch, _Uploaded(export))
    at = _page(app_test(folder))  # checked as a CTR file first (the first source)
    bars.clear()
    at.selectbox(key="import_source").set_value("genesys").run()
    assert not at.exception
    assert any("Could not be used: conversations.json: not a Genesys" in e.value.replace("\\", "")
               for e in at.error)
    assert not at.get("progress") and not at.metric
    bar = _import_bar(bars)
    assert bar[-1] == (importing.SAVE_SHARE, plain("Reading conversations.json"))  # where the reading failed
    assert not any((folder / ".cxdash" / "uploads").iterdir())  # the refused upload is not kept


# --- save, check and confirm an export --------------------------------------------------------------

def test_an_export_is_checked_without_writing_then_imported_on_confirm(tmp_path):
    folder, settings = tmp_path / "data", Settings()
    upload = _upload(folder, CTR)
    assert upload.directory.parent == folder / ".cxdash" / "uploads"
    assert [p.name for p in upload.paths] == [CTR.name] and upload.paths[0].read_bytes() == CTR.read_bytes()

    checked = uploads.check(folder, "amazon-connect", upload, settings)
    counts = (checked.read, checked.new, checked.updated, checked.unchanged, checked.set_aside)
    assert counts == (13, 7, 0, 0, 4)
    assert checked.balanced and checked.to_add == 7 and not checked.blockers
    assert checked.identity.endswith("13 = 7 + 0 + 0 + 1 + 1 + 4")
    assert set(checked.set_aside_rows["reason"]) == {
        "not an inbound customer contact (InitiationMethod OUTBOUND)", "not a JSON record",
        "field InitiationTimestamp: missing", "a task (agent work item), not a customer contact"}
    assert list(checked.set_aside_rows.columns) == ["source_file", "source_row", "reason", "record"]
    assert "month files that would be written: 2026-10" in "\n".join(checked.lines)
    assert not _contacts(folder) and not (folder / "imports").exists()  # nothing written yet
    assert uploads.history(folder).empty

    message, lines = uploads.confirm(folder, "amazon-connect", upload, settings, checked)
    assert "7 new" in message and "dashboards now include them" in message
    month = folder / "interactions" / "amazon-connect" / "2026-10.parquet"
    assert _contacts(folder) == [month] and pq.read_table(month).num_rows == 7
    assert "month files that were written: 2026-10" in "\n".join(lines)
    done = uploads.history(folder)
    assert len(done) == 1 and done.iloc[0]["at"].year >= 2026
    assert done.iloc[0][["source", "files", "records_read", "new", "set_aside", "months_written"]].tolist() \
        == ["amazon-connect", CTR.name, 13, 7, 4, "2026-10"]

    # the same export again: everything is already imported, there is nothing to add
    again = uploads.check(folder, "amazon-connect", _upload(folder, CTR), settings)
    assert (again.new, again.unchanged, again.set_aside, again.to_add) == (0, 7, 4, 0)


def test_a_confirmed_import_changes_what_the_store_is_prepared_for(tmp_path):
    from cxdash import ui

    folder = tmp_path / "data"
    write_interactions(folder, [{"interaction_id": "x", "channel": "phone",
                                 "arrived_at": "2026-10-02 18:00"}])
    before = ui._signature(folder)
    upload = _upload(folder, CTR)
    uploads.check(folder, "amazon-connect", upload, Settings())
    assert ui._signature(folder) == before  # a check changes nothing the store reads
    uploads.confirm(folder, "amazon-connect", upload, Settings())
    assert ui._signature(folder) != before  # the next run prepares the store again, with the import


def test_an_export_the_importer_refuses_is_named_in_words(tmp_path):
    folder = tmp_path / "data"
    path = tmp_path / "conversations.json"
    path.write_text('{"nothing": []}')
    with pytest.raises(ValueError) as error:
        uploads.check(folder, "genesys", _upload(folder, path), Settings())
    text = uploads.problem_text(path.name, error.value)
    assert text.startswith("Could not be used: conversations.json: not a Genesys")
    assert uploads.problem_text("a.csv", ValueError("mapping: no [columns]")) == \
        "a.csv: could not be used: mapping: no [columns]"
    unexpected = uploads.problem_text("a.json", KeyError("ContactId"))
    assert unexpected.startswith("a.json: could not be read (KeyError")
    with pytest.raises(ValueError, match="the mapping file m.toml could not be read"):
        uploads.read_mapping("m.toml", b"columns = [")


def test_uploads_are_saved_under_safe_names_and_removed_only_from_the_uploads_folder(tmp_path):
    folder = tmp_path / "data"
    assert uploads.safe_name("../../etc/queue_log") == "queue_log"
    assert uploads.safe_name("C:\\exports\\.ctr.jsonl") == "ctr.jsonl"  # a hidden file would be skipped
    with pytest.raises(ValueError, match="not a usable file name"):
        uploads.safe_name("..")
    with pytest.raises(ValueError, match="two files are named a.json"):
        uploads.save_upload(folder, [("a.json", b"{}"), ("x/a.json", b"{}")])
    assert list((folder / ".cxdash" / "uploads").iterdir()) == []  # the half-saved upload is gone
    upload = uploads.save_upload(folder, [("queue_log", b"1|x|q|NONE|ENTERQUEUE||1\n")])
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    uploads.remove_upload(folder, outside)
    assert outside.exists()
    uploads.remove_upload(folder, upload.directory)
    assert not upload.directory.exists()


# --- a parquet file in the data contract ------------------------------------------------------------

def test_a_contract_parquet_is_validated_apart_then_added_never_over_a_file_of_its_name(tmp_path):
    folder, settings = tmp_path / "data", Settings()
    write_interactions(folder, [
        {"interaction_id": "a", "channel": "phone", "arrived_at": "2026-10-02 18:00"},
        {"interaction_id": "b", "channel": "chat", "arrived_at": "2026-10-03 18:00"}])
    prepare(folder, settings)  # as the app does on every run
    content = _parquet_bytes([
        {"interaction_id": "b", "channel": "chat", "arrived_at": "2026-10-04 18:00"},  # id already used
        {"interaction_id": "c", "channel": "email", "arrived_at": "2026-10-05 18:00"},
        {"interaction_id": "d", "channel": "pigeon", "arrived_at": "2026-10-06 18:00"}])
    upload = uploads.save_upload(folder, [("october.parquet", content)])

    checked = uploads.check(folder, uploads.PARQUET, upload, settings)
    assert (checked.read, checked.new, checked.unchanged, checked.set_aside) == (3, 1, 1, 1)
    assert checked.balanced and checked.identity.endswith("3 = 1 + 1 + 1")
    assert not checked.blockers and checked.to_add == 1
    assert any("interactions/part.parquet" in w for w in checked.warnings)
    assert checked.problems[["file", "column", "problem", "rows"]].values.tolist() == [
        ["october.parquet", "channel", "unknown channel", 1]]
    assert checked.set_aside_rows[["source_file", "interaction_id"]].values.tolist() == [
        ["october.parquet", "d"]]
    assert [p.name for p in _contacts(folder)] == ["part.parquet"]  # nothing added yet

    message, _ = uploads.confirm(folder, uploads.PARQUET, upload, settings, checked)
    target = folder / "interactions" / "uploads" / "october.parquet"
    assert target.read_bytes() == content and "interactions/uploads/october.parquet" in message
    assert not list(target.parent.glob(".*"))  # no temporary file left beside it
    report = {f.path: f for f in prepare(folder, settings).files}["interactions/uploads/october.parquet"]
    assert (report.rows_used, report.rows_set_aside) == (1, 2)  # the repeat and the unknown channel
    assert uploads.history(folder).iloc[0][["source", "new", "unchanged", "set_aside"]].tolist() == \
        ["parquet", 1, 1, 1]

    # a second file of the same name is refused, and the first one is left as it was
    again = uploads.save_upload(folder, [("october.parquet", _parquet_bytes([
        {"interaction_id": "e", "channel": "phone", "arrived_at": "2026-10-07 18:00"}]))])
    checked = uploads.check(folder, uploads.PARQUET, again, settings)
    assert any("already has a file of this name" in b for b in checked.blockers)
    with pytest.raises(ValueError, match="already has a file of this name"):
        uploads.confirm(folder, uploads.PARQUET, again, settings)
    assert target.read_bytes() == content


def test_a_file_that_is_not_parquet_is_refused(tmp_path):
    folder = tmp_path / "data"
    upload = uploads.save_upload(folder, [("notes.parquet", b"this is not parquet")])
    checked = uploads.check(folder, uploads.PARQUET, upload, Settings())
    assert any(b.startswith("notes.parquet: the file could not be read") for b in checked.blockers)
    with pytest.raises(ValueError, match="could not be read"):
        uploads.confirm(folder, uploads.PARQUET, upload, Settings(), checked)
    assert not (folder / "interactions").exists()


def test_the_history_reads_log_lines_old_and_new(tmp_path):
    (tmp_path / "imports").mkdir()
    (tmp_path / "imports" / "log.jsonl").write_text(
        '{"at": "20261101T101500", "source": "zendesk", "files": ["a.json"], "records_read": 2, "new": 2}\n'
        'not json\n'
        '{"at": "20261102T101500123456", "source": "asterisk", "files": ["queue_log", "queue_log.1"], '
        '"records_read": 5, "new": 1, "unchanged": 4, "months_written": []}\n')
    frame = uploads.history(tmp_path)
    assert list(frame.columns) == uploads.HISTORY_COLUMNS
    assert frame["source"].tolist() == ["asterisk", "zendesk"]  # newest first
    assert [t.isoformat() for t in frame["at"]] == ["2026-11-02T10:15:00.123456+00:00",
                                                    "2026-11-01T10:15:00+00:00"]
    assert frame["files"].tolist() == ["queue_log, queue_log.1", "a.json"]


def test_the_mapping_example_the_page_shows_imports_a_csv(tmp_path):
    mapping_file = SOURCES["csv"].mapping
    assert mapping_file.required
    example = mapping_file.example
    folder = tmp_path / "data"
    calls = tmp_path / "calls.csv"
    calls.write_text("Call ID,Type,Start,End,Queue,Talk time\n"
                     "1,Inbound call,05.10.2026 09:00:00,05.10.2026 09:06:00,Billing,5\n"
                     "2,Web chat,05.10.2026 10:00:00,05.10.2026 10:20:00,Sales,18\n"
                     "3,Fax,05.10.2026 11:00:00,05.10.2026 11:01:00,Sales,1\n")
    mapping = uploads.read_mapping("my-pbx.toml", example.encode())
    checked = uploads.check(folder, "csv", _upload(folder, calls, mapping=mapping), Settings())
    assert (checked.source, checked.read, checked.new, checked.set_aside) == ("my-pbx", 3, 2, 1)
    assert checked.balanced
