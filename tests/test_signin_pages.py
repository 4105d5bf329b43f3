"""The frame with sign-in, by AppTest: open mode says so; with a provider configured nobody sees data
before signing in; each role sees its pages only; a team lead's pages show their team only, whatever
the link asks; nobody is shown customer ids; the audit trail notes sign-ins and refusals."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest

from cxdash import audit
from cxdash.safe import plain
from cxdash.ui import signin
from tests.apptest import run
from tests.oidc import ROLES_TOML

AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "a-test-secret-of-more-than-32-characters", "client_id": "cxdash",
        "client_secret": "secret",
        "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}


@pytest.fixture(scope="module")
def folder(demo_folder, tmp_path_factory):
    """The demo with a roles file, in a copy of its own (the trail is written into it)."""
    copy = tmp_path_factory.mktemp("signin") / "data"
    shutil.copytree(demo_folder, copy)
    (copy / "roles.toml").write_text(ROLES_TOML)
    return copy


def signed_in(app_test, folder, email: str | None, query: dict | None = None):
    at = app_test(folder, query)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": email is not None, "email": email or ""}
    return at


def contacts_tile(at) -> int:
    return next(int(m.value.replace(",", "")) for m in at.metric if m.label == "Contacts")


def texts(at) -> str:
    return " ".join(str(e.value) for kind in ("warning", "info", "error", "markdown", "caption")
                    for e in getattr(at, kind))


def test_open_mode_says_so_at_the_top_and_shows_every_page(app_test, demo_folder):
    at = run(app_test(demo_folder))
    assert "Open mode" in at.warning[0].value and "this computer only" in at.warning[0].value
    assert at.metric  # the overview's tiles
    run(at, "pages/data_import.py")
    assert at.title[0].value == "Import"


def test_with_a_provider_nobody_sees_data_before_signing_in(app_test, folder):
    at = run(signed_in(app_test, folder, None))
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.metric and not at.dataframe and "Open mode" not in texts(at)


def test_a_person_without_a_role_sees_no_data_and_is_told_so(app_test, folder):
    at = run(signed_in(app_test, folder, "stranger@example.com"))
    told = at.warning[0].value
    assert "no access to cxdash" in told and plain("stranger@example.com") in told
    assert not at.metric and not at.dataframe and not at.sidebar.multiselect


@pytest.mark.parametrize("email, allowed, refused", [
    ("pat@livingwell.example", "pages/forecast.py", "pages/data_import.py"),
    ("dana@livingwell.example", "pages/monthly_report.py", "pages/audit.py"),
    ("quinn@livingwell.example", "pages/data_health.py", "pages/forecast.py"),
    ("lee@livingwell.example", "pages/quality.py", "pages/forecast.py"),
])
def test_each_role_reaches_its_pages_and_a_link_to_another_shows_the_overview(app_test, folder, email,
                                                                               allowed, refused):
    at = run(signed_in(app_test, folder, email), allowed)
    assert "Signed in as " + plain(email) in " ".join(c.value for c in at.sidebar.caption)
    name = refused.removeprefix("pages/").removesuffix(".py")
    at = signed_in(app_test, folder, email)
    at.context["url"] = f"http://localhost:8501/{name}"
    run(at)
    assert at.title[0].value == "Overview"  # the default page, never the refused one
    assert "does not include the" in texts(at)
    trail = audit.read(folder)
    assert ((trail["user"] == email) & (trail["action"] == "refused") & (trail["page"] == name)).any()
    assert ((trail["user"] == email) & (trail["action"] == "sign-in")).any()


def test_a_team_lead_sees_their_team_only_even_when_the_link_names_another(app_test, folder):
    link = {"team": "Team Evening", "at": "2026-10-05"}
    at = run(signed_in(app_test, folder, "lee@livingwell.example", link), "pages/quality.py")
    assert at.sidebar.multiselect(key="team").options == ["Team Day"]
    assert at.dataframe  # the page's tables, none of them holding another team
    assert not any("Team Evening" in frame.value.to_string() for frame in at.dataframe)
    lead = run(signed_in(app_test, folder, "lee@livingwell.example"))
    admin = run(signed_in(app_test, folder, "ada@livingwell.example"))
    day = run(signed_in(app_test, folder, "ada@livingwell.example", {"team": "Team Day"}))
    contacts = {name: contacts_tile(shown) for name, shown in (("lead", lead), ("admin", admin),
                                                               ("day", day))}
    assert contacts["lead"] == contacts["day"] < contacts["admin"]


def test_a_director_is_not_offered_agent_level_results(app_test, folder):
    at = run(signed_in(app_test, folder, "dana@livingwell.example", {"at": "2026-10-05"}),
             "pages/quality.py")
    options = [o for control in at.get("button_group") for o in getattr(control, "options", [])]
    assert "Agent" not in str(options)
    quality = run(signed_in(app_test, folder, "quinn@livingwell.example", {"at": "2026-10-05"}),
                  "pages/quality.py")
    assert "Agent" in str([o for c in quality.get("button_group") for o in getattr(c, "options", [])])


@pytest.mark.parametrize("secret", ["", "short", next(iter(signin.PLACEHOLDERS))])
def test_sign_in_with_a_weak_cookie_secret_is_refused_before_anything_is_shown(app_test, folder, secret):
    at = signed_in(app_test, folder, "ada@livingwell.example")
    at.secrets["auth"] = {**AUTH, "cookie_secret": secret}
    run(at)
    assert "cookie_secret" in at.error[0].value
    assert not at.metric and not at.button


def test_xsrf_protection_stays_on_and_the_server_listens_on_loopback_by_default():
    config = tomllib.loads((Path(__file__).resolve().parent.parent / ".streamlit/config.toml").read_text())
    assert config["server"].get("enableXsrfProtection", True) is True
    assert config["server"]["address"] == "127.0.0.1"


def test_a_role_without_data_health_gets_the_data_problem_banner_without_a_link_to_it(app_test, folder):
    """A row set aside puts a banner on every page; its link to Data health (a page a team lead or a
    planner does not have) failed the page."""
    from tests.builders import write_interactions

    write_interactions(folder, [dict(interaction_id="BAD-1", channel="phone", arrived_at="2026-10-14 18:00",
                                     talk_seconds=-5.0, team="Team Day", customer_id="C1")],
                       name="interactions/bad.parquet")
    try:
        for email in ("lee@livingwell.example", "pat@livingwell.example", "quinn@livingwell.example"):
            at = run(signed_in(app_test, folder, email))
            assert "breaks the data contract" in texts(at), email
            links = [link.label for link in at.get("page_link")]
            assert links == (["Open Data health"] if email.startswith("quinn") else []), email
            # a team lead is not told the whole operation's files and counts
            assert ("bad.parquet" in texts(at)) == (not email.startswith("lee")), email
    finally:
        (folder / "interactions" / "bad.parquet").unlink()
