"""The Audit trail page (issue 18): its view's filters on hand-made trails, and the page itself."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cxdash import kpis
from cxdash.audit import record
from cxdash.store import Store
from cxdash.views.audit import audit_page
from tests.apptest import expect_page_failure
from tests.builders import write_interactions

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = "**Mallory** <b>x</b> :red[y] =cmd"  # a user name that is markup, and a formula


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _five(folder: Path) -> Path:
    """Five events over three UTC days, two of them at the edges of 31 October."""
    record(folder, "ada", "admin", "sign-in", at=_at("2026-10-30 23:59:59.999999"))
    record(folder, "dana", "director", "download", page="overview", target="tiles.csv",
           details={"period": ["2026-10-01", "2026-10-31"]}, at=_at("2026-10-31 00:00:00"))
    record(folder, "quinn", "quality", "download", page="quality", target="agents.csv",
           at=_at("2026-10-31 12:00:00"))
    record(folder, "ada", "admin", "import", page="data_import", details={"files": ["a.csv"], "rows": 3},
           at=_at("2026-11-01 00:00:00"))
    record(folder, "pat", "planner", "refused", page="data_import", at=_at("2026-11-01 08:00:00"))
    return folder


def _lines_shown(folder: Path, start=None, end=None, users=(), actions=()) -> list[int]:
    return audit_page(folder, start, end, list(users), list(actions)).rows["line"].tolist()


# --- the view -------------------------------------------------------------------------------------

def test_without_filters_every_event_is_shown_newest_first_with_the_filters_options(tmp_path):
    shown = audit_page(_five(tmp_path), None, None, [], [])
    assert shown.rows["line"].tolist() == [5, 4, 3, 2, 1]
    assert shown.rows["user"].tolist() == ["pat", "ada", "quinn", "dana", "ada"]
    assert list(shown.rows.columns) == ["at", "user", "role", "action", "page", "target", "details", "line"]
    assert shown.users == ["ada", "dana", "pat", "quinn"]
    assert shown.actions == ["sign-in", "download", "import", "refused"]
    assert (shown.first_day, shown.last_day) == (date(2026, 10, 30), date(2026, 11, 1))
    assert (shown.total, shown.shown, shown.empty) == (5, 5, False)
    assert shown.caption == r"5 of 5 events shown: sign\-in 1, download 2, import 1, refused 1."
    assert shown.intact and shown.problems == ()
    assert shown.chain == ("The trail is intact: each of its 5 lines follows from the one before, so no "
                           "line before the newest was changed, removed or added.")


def test_days_are_utc_days_inclusive(tmp_path):
    folder = _five(tmp_path)
    october_31 = date(2026, 10, 31)
    assert _lines_shown(folder, october_31, october_31) == [3, 2]  # not 23:59:59.999999 the day before
    assert _lines_shown(folder, october_31, None) == [5, 4, 3, 2]
    assert _lines_shown(folder, None, october_31) == [3, 2, 1]
    assert _lines_shown(folder, date(2026, 11, 1), date(2026, 11, 1)) == [5, 4]
    assert _lines_shown(folder, date(2026, 11, 2), None) == []


def test_people_and_actions_narrow_together(tmp_path):
    folder = _five(tmp_path)
    assert _lines_shown(folder, users=["ada"]) == [4, 1]
    assert _lines_shown(folder, actions=["download"]) == [3, 2]
    assert _lines_shown(folder, users=["ada", "pat"], actions=["refused", "sign-in"]) == [5, 1]
    shown = audit_page(folder, date(2026, 10, 31), date(2026, 10, 31), ["quinn"], ["download"])
    assert shown.rows["line"].tolist() == [3]
    assert (shown.total, shown.shown) == (5, 1)
    assert shown.caption == "1 of 5 events shown: download 1."
    assert shown.users == ["ada", "dana", "pat", "quinn"]  # the options stay those of the whole trail
    nobody = audit_page(folder, None, None, ["nobody"], [])
    assert nobody.rows.empty and nobody.caption == "0 of 5 events shown."


def test_a_damaged_line_passes_any_days_and_has_an_action_of_its_own(tmp_path):
    folder = _five(tmp_path)
    with (folder / "audit" / "trail.jsonl").open("ab") as handle:
        handle.write(b"\x00" * 64 + b"\n")
    record(folder, "ada", "admin", "sign-in", at=_at("2026-11-02 09:00:00"))
    october_31 = date(2026, 10, 31)
    assert _lines_shown(folder, october_31, october_31) == [6, 3, 2]
    assert _lines_shown(folder, actions=["damaged line"]) == [6]
    assert _lines_shown(folder, users=["ada"]) == [7, 4, 1]
    shown = audit_page(folder, None, None, [], [])
    assert shown.actions == ["sign-in", "download", "import", "refused", "damaged line"]
    assert shown.rows.loc[shown.rows["line"] == 6, "details"].tolist() == ["[64 NUL bytes]"]
    assert not shown.intact
    assert shown.problems == ("Line 6 is damaged: it cannot be read as a record.",)
    assert shown.chain == ("The trail is not as it was written (1 problem): Line 6 is damaged: it cannot be "
                           "read as a record.")


def test_a_changed_line_is_named_in_the_chains_state(tmp_path):
    folder = _five(tmp_path)
    trail = folder / "audit" / "trail.jsonl"
    trail.write_bytes(trail.read_bytes().replace(b'"quinn"', b'"quin"'))  # line 3 changed by hand
    shown = audit_page(folder, None, None, [], [])
    assert not shown.intact
    assert shown.problems == ("Line 4 does not follow line 3: line 3 was changed, or a line between them "
                              "was removed or added.",)
    assert shown.users == ["ada", "dana", "pat", "quin"]


def test_many_problems_are_counted_and_the_first_ten_named(tmp_path):
    folder = tmp_path
    (folder / "audit").mkdir()
    (folder / "audit" / "trail.jsonl").write_bytes(b"not a record\n" * 12)
    shown = audit_page(folder, None, None, [], [])
    assert len(shown.problems) == 12 and shown.first_day is None and shown.last_day is None
    assert shown.chain.startswith("The trail is not as it was written (12 problems): Line 1 is damaged")
    assert "Line 10 is damaged" in shown.chain and "Line 11" not in shown.chain
    assert shown.chain.endswith(" And 2 more problems.")


def test_no_trail_yet_is_an_empty_page(tmp_path):
    shown = audit_page(tmp_path, date(2026, 10, 31), None, ["ada"], ["download"])
    assert shown.empty and shown.total == 0 and shown.rows.empty
    assert shown.users == [] and shown.actions == [] and shown.first_day is None
    assert list(shown.rows.columns) == ["at", "user", "role", "action", "page", "target", "details", "line"]


# --- the page -------------------------------------------------------------------------------------

@pytest.fixture
def page_over(monkeypatch):
    """pages/audit.py run on its own, with the context the frame (app.py) would give it."""
    stores = []

    def build(folder: Path) -> AppTest:
        store = Store.open(folder)
        stores.append(store)
        at = AppTest.from_file(str(ROOT / "pages" / "audit.py"), default_timeout=60)
        period = kpis.Period(date(2026, 10, 1), date(2026, 10, 31))
        at.session_state["_cxdash_context"] = (store, period, kpis.Filters((), (), ()))
        return at

    yield build
    for store in stores:
        store.close()


def test_the_page_shows_the_trail_filters_it_and_offers_it_as_csv(page_over, tmp_path):
    at = page_over(_five(tmp_path))
    at.run()
    assert at.title[0].value == "Audit trail"
    assert at.success[0].value.startswith("The trail is intact: each of its 5 lines")
    assert at.dataframe[0].value["line"].tolist() == [5, 4, 3, 2, 1]
    assert at.multiselect(key="audit_people").options == ["ada", "dana", "pat", "quinn"]
    assert at.multiselect(key="audit_actions").options == ["sign-in", "download", "import", "refused"]
    assert at.date_input(key="audit_days").value == (date(2026, 10, 30), date(2026, 11, 1))
    assert len(at.get("download_button")) == 1

    at.multiselect(key="audit_people").set_value(["ada"]).run()
    assert at.dataframe[0].value["line"].tolist() == [4, 1]
    at.date_input(key="audit_days").set_value((date(2026, 11, 1), date(2026, 11, 1))).run()
    assert at.dataframe[0].value["line"].tolist() == [4]
    assert any(caption.value == "1 of 5 events shown: import 1." for caption in at.caption)
    at.multiselect(key="audit_actions").set_value(["refused"]).run()
    assert not at.dataframe
    assert [info.value for info in at.info] == ["No event matches these filters."]


def test_a_person_picked_then_gone_from_the_trail_is_dropped_from_the_filter(page_over, tmp_path):
    folder = _five(tmp_path)
    at = page_over(folder)
    at.run()
    at.multiselect(key="audit_people").set_value(["quinn"]).run()
    assert at.dataframe[0].value["line"].tolist() == [3]
    trail = folder / "audit" / "trail.jsonl"
    trail.write_bytes(trail.read_bytes().replace(b'"quinn"', b'"quin"'))  # edited by hand
    at.run()
    assert at.multiselect(key="audit_people").value == []
    assert at.dataframe[0].value["line"].tolist() == [5, 4, 3, 2, 1]  # as the filter shows: everyone


def test_a_user_name_that_is_markup_is_shown_as_its_text(page_over, tmp_path):
    record(tmp_path, HOSTILE, "admin", "download", target="<img src=x onerror=alert(1)>.csv")
    at = page_over(tmp_path)
    at.run()
    assert at.multiselect(key="audit_people").options == [HOSTILE]
    assert at.dataframe[0].value["user"].tolist() == [HOSTILE]
    assert at.dataframe[0].value["target"].tolist() == ["<img src=x onerror=alert(1)>.csv"]


def test_an_empty_trail_says_so(page_over, tmp_path):
    at = page_over(tmp_path)
    at.run()
    assert [info.value for info in at.info] == [
        "Nothing is recorded yet: sign-ins, downloads, imports, refused pages and changes of settings "
        "appear here as they happen."]
    assert not at.dataframe and not at.multiselect and not at.success and not at.warning


def test_a_changed_trail_is_a_warning_naming_the_line(page_over, tmp_path):
    folder = _five(tmp_path)
    trail = folder / "audit" / "trail.jsonl"
    lines = trail.read_bytes().split(b"\n")
    trail.write_bytes(b"\n".join([lines[0], *lines[2:]]))  # line 2 removed by hand
    at = page_over(folder)
    at.run()
    assert not at.success
    assert [warning.value for warning in at.warning] == [
        "The trail is not as it was written (1 problem): Line 2 does not follow line 1: line 1 was changed, "
        "or a line between them was removed or added."]
    assert at.dataframe[0].value["line"].tolist() == [4, 3, 2, 1]


def test_a_trail_that_cannot_be_read_is_a_sentence_without_a_path(page_over, tmp_path):
    (tmp_path / "audit" / "trail.jsonl").mkdir(parents=True)  # a folder where the file should be
    at = expect_page_failure(page_over(tmp_path))
    at.run()
    assert not at.exception
    assert [error.value for error in at.error] == [
        "The audit trail (audit/trail.jsonl in the data folder) could not be read: is a directory."]
    assert not at.dataframe


def test_the_page_is_in_the_apps_navigation(app_test, tmp_path):
    """Passes once app.py lists pages/audit.py (the lead engineer's line, in the "Data" group)."""
    write_interactions(tmp_path, [{"interaction_id": "a", "channel": "phone",
                                   "arrived_at": "2026-10-10 18:00"}])
    _five(tmp_path)
    at = app_test(tmp_path)
    at.run()
    at.switch_page("pages/audit.py")
    at.run()
    assert at.title[0].value == "Audit trail"
    assert at.dataframe[0].value["line"].tolist() == [5, 4, 3, 2, 1]
    assert json.loads(at.dataframe[0].value["details"][1]) == {"files": ["a.csv"], "rows": 3}
