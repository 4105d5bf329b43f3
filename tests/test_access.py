"""Who may see what: the roles file read and checked, each role's pages, and a team lead's store,
which holds no other team's rows whatever a query asks."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from cxdash import kpis, quality
from cxdash.access import OPEN, ROLE_PAGES, Access, for_browser, read_roles
from cxdash.store import Store
from tests.builders import write_interactions

ROLES = """
default = "none"
groups_claim = "roles"
[people]
"Dana@LivingWell.example" = "director"
"lee@livingwell.example" = { role = "team_lead", teams = ["North"] }
"zed@livingwell.example" = "superuser"
"tia@livingwell.example" = { role = "team_lead" }
[groups]
"cx-quality" = "quality"
"cx-planning" = "planner"
"leads-south" = { role = "team_lead", teams = ["South"] }
"""


@pytest.fixture
def roles(tmp_path):
    (tmp_path / "roles.toml").write_text(ROLES)
    return read_roles(tmp_path)


def test_a_persons_own_entry_wins_and_emails_ignore_case(roles):
    dana = roles.access("dana@livingwell.example", ["cx-quality"])
    assert (dana.role, dana.teams) == ("director", None)
    assert dana.pages == ROLE_PAGES["director"]
    assert "data_import" not in dana.pages and "audit" not in dana.pages
    assert not dana.agent_level


def test_groups_come_from_the_named_claim_first_listed_wins(roles):
    assert roles.groups_claim == "roles"
    assert roles.access("sam@livingwell.example", ["cx-planning", "cx-quality"]).role == "quality"
    assert roles.access("sam@livingwell.example", "cx-planning").role == "planner"
    south = roles.access("sam@livingwell.example", ["leads-south"])
    assert (south.role, south.teams, south.pages) == ("team_lead", ("South",), ("overview", "quality"))
    assert south.agent_level


def test_people_not_listed_and_broken_entries_get_no_access_with_the_problem_named(roles):
    for email in ("stranger@example.com", "zed@livingwell.example", "tia@livingwell.example", None):
        nobody = roles.access(email, None)
        assert nobody.role == "none" and nobody.pages == () and not nobody.may_see("overview")
    assert any("superuser" in p and "no access given" in p for p in roles.problems)
    assert any("'tia@livingwell.example'" in p and "without a list of teams" in p for p in roles.problems)


def test_a_default_role_applies_to_people_not_listed_but_never_a_team_scope(tmp_path):
    (tmp_path / "roles.toml").write_text('default = "planner"\n')
    assert read_roles(tmp_path).access("anyone@x.example").role == "planner"
    (tmp_path / "roles.toml").write_text('default = "team_lead"\n')
    found = read_roles(tmp_path)
    assert found.access("anyone@x.example").role == "none" and found.problems


@pytest.mark.parametrize("text", ["", "not toml = = =", "\x00\x01", "[people]\nx = 3\n"])
def test_a_missing_or_unreadable_roles_file_gives_nobody_access(tmp_path, text):
    if text:
        (tmp_path / "roles.toml").write_text(text)
    found = read_roles(tmp_path)
    assert found.access("x@y.example", ["admin"]).role == "none"
    assert found.problems


def test_the_browser_never_gets_customer_ids_and_agent_ids_only_with_agent_level():
    frame = pd.DataFrame({"source_row": [1], "customer_id": ["C1"], "record": ['{"phone":"+1"}'],
                          "agent_id": ["ag1"], "team": ["North"]})
    assert list(for_browser(frame, OPEN).columns) == ["source_row", "agent_id", "team"]
    assert list(for_browser(frame, Access("d@x", "director")).columns) == ["source_row", "team"]
    assert list(for_browser(frame, Access("q@x", "quality")).columns) == ["source_row", "agent_id", "team"]


def call(interaction_id: str, team: str | None, **values) -> dict:
    return {"interaction_id": interaction_id, "channel": "phone", "arrived_at": "2024-01-10 10:00:00",
            "answered_at": "2024-01-10 10:00:10", "ended_at": "2024-01-10 10:05:00", "abandoned": False,
            "talk_seconds": 290.0, "csat_score": 5, "agent_id": f"ag-{team}", "team": team,
            "customer_id": f"cust-{interaction_id}", **values}


@pytest.fixture
def two_teams(tmp_path):
    write_interactions(tmp_path, [call("n1", "North"), call("n2", "North", csat_score=1),
                                  call("s1", "South"), call("s2", "South"), call("s3", "South"),
                                  call("x1", None)], "interactions/2024-01.parquet")
    return tmp_path


def test_a_team_leads_store_holds_only_their_teams_rows_whatever_the_query_asks(two_teams):
    period = kpis.Period(date(2024, 1, 10), date(2024, 1, 10))
    with Store.open(two_teams) as whole, Store.open(two_teams, teams=("North",)) as north:
        assert kpis.kpi_values(whole, period)["contacts"] == 6
        assert kpis.kpi_values(north, period)["contacts"] == 2
        # a filter naming another team (as a URL would) finds nothing: the rows are not there
        south = kpis.Filters(teams=("South",))
        assert kpis.kpi_values(whole, period, south)["contacts"] == 3
        assert kpis.kpi_values(north, period, south)["contacts"] == 0
        assert kpis.filter_options(north)["team"] == ["North"]
        behind = quality.interactions_behind(north, period, kpis.Filters(), "team", "South", False)
        assert behind.empty
        cursor = north.cursor()
        for name in ("interactions", "quality", "daily"):
            teams = {t for (t,) in cursor.execute(f"select distinct team from {name}").fetchall()}
            assert teams == {"North"}, name
        for name in ("hourly", "intervals", "costs", "orders", "set_aside", "customer_outcomes"):
            assert cursor.execute(f"select count(*) from {name}").fetchall() == [(0,)], name
        # no unscoped relation is left on the connection for a query to reach
        names = {n for (n,) in cursor.execute("select table_name from duckdb_tables() union all "
                                              "select view_name from duckdb_views() where not internal")
                 .fetchall()}
        assert not any("scoped" in n or "unscoped" in n for n in names)


def test_a_store_scoped_to_no_team_holds_nothing(two_teams):
    period = kpis.Period(date(2024, 1, 10), date(2024, 1, 10))
    with Store.open(two_teams, teams=()) as nobody:
        assert kpis.kpi_values(nobody, period)["contacts"] == 0


def test_visitors_asking_for_the_same_figures_at_once_compute_them_once(two_teams):
    """Store.remember: callers of one key wait for the first computation (20 visitors opening the
    Overview at once compute it once); another key does not wait; a failure is left to the next."""
    import threading
    import time

    with Store.open(two_teams) as store:
        calls: list[str] = []

        def slow(name):
            def compute():
                calls.append(name)
                time.sleep(0.3)
                return name.upper()
            return compute

        results: list[str] = []
        workers = [threading.Thread(target=lambda: results.append(store.remember(("page",), slow("page"))))
                   for _ in range(8)]
        started = time.monotonic()
        for worker in workers:
            worker.start()
        other = store.remember(("other",), slow("other"))  # not held up by the page's computation
        other_done = time.monotonic() - started
        for worker in workers:
            worker.join()
        assert results == ["PAGE"] * 8 and other == "OTHER"
        assert sorted(calls) == ["other", "page"]
        assert other_done < 0.55

        def broken():
            raise RuntimeError("no")
        with pytest.raises(RuntimeError):
            store.remember(("flaky",), broken)
        assert store.remember(("flaky",), lambda: 1) == 1
