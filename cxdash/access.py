"""Who may see what: the roles file, each role's pages, a team lead's scope, and what the browser may show.

Sign-in itself is the identity provider's (OpenID Connect, through Streamlit's `st.login`); this module
turns the signed-in person (an email and, if the provider sends them, groups) into an `Access`: a role,
its pages, whether agent-level results may be shown, and, for a team lead, the teams the data is
scoped to. The roles file is DATA/roles.toml:

    default = "none"          # people not listed: "none" (no access) or a role
    groups_claim = "groups"   # the ID token's claim holding group names
    [people]
    "dana@livingwell.example" = "director"
    "lee@livingwell.example" = { role = "team_lead", teams = ["Team Day"] }
    [groups]
    "cx-quality" = "quality"

A person's own entry wins over their groups; among groups, the first listed in the file wins. Emails
compare without regard to case. A file that cannot be read, or an entry that names no known role,
gives no access to whom it concerns, with the problem named (never more access than written).

Without an identity provider the app runs in open mode: everyone is admin, on this computer only.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROLES_FILE = "roles.toml"

# every page by its URL path, in navigation order
PAGES = ("overview", "quality", "monthly_report", "seasonality", "forecast", "staffing", "schedule",
         "data_health", "data_import", "audit")

ROLE_PAGES: dict[str, tuple[str, ...]] = {
    "director": ("overview", "quality", "monthly_report", "seasonality", "forecast", "staffing",
                 "schedule", "data_health"),
    "quality": ("overview", "quality", "data_health"),
    "planner": ("overview", "seasonality", "forecast", "staffing", "schedule"),
    "team_lead": ("overview", "quality"),
    "admin": PAGES,
}
ROLE_LABELS = {"director": "Director", "quality": "Quality manager", "planner": "Workforce planner",
               "team_lead": "Team lead", "admin": "Administrator"}
# who may see results agent by agent (a team lead: their own team's agents, the scope sees to that)
AGENT_LEVEL = frozenset({"quality", "team_lead", "admin"})
NO_ACCESS = "none"

# columns that identify a customer, shown to no role anywhere in the browser; `record` is an import's
# raw record as the platform wrote it (phone numbers, e-mail addresses): kept on disk, never shown
CUSTOMER_COLUMNS = frozenset({"customer_id", "record"})
AGENT_COLUMNS = frozenset({"agent_id", "agent"})


@dataclass(frozen=True)
class Access:
    """What one person may see. `teams` is None for the whole operation, else the teams the data is
    scoped to (a team lead's)."""

    user: str
    role: str
    teams: tuple[str, ...] | None = None
    open_mode: bool = False

    @property
    def pages(self) -> tuple[str, ...]:
        return ROLE_PAGES.get(self.role, ())

    @property
    def agent_level(self) -> bool:
        return self.role in AGENT_LEVEL

    @property
    def label(self) -> str:
        return ROLE_LABELS.get(self.role, "No access")

    def may_see(self, page: str) -> bool:
        return page in self.pages


OPEN = Access(user="open mode (nobody signed in)", role="admin", open_mode=True)


@dataclass(frozen=True)
class Roles:
    """The roles file, read and checked."""

    people: dict[str, tuple[str, tuple[str, ...] | None]] = field(default_factory=dict)
    groups: dict[str, tuple[str, tuple[str, ...] | None]] = field(default_factory=dict)
    default: str = NO_ACCESS
    groups_claim: str = "groups"
    problems: tuple[str, ...] = ()

    def access(self, email: str | None, groups: object = None) -> Access:
        """The access of a signed-in person: their own entry, else their first listed group's, else
        the default."""
        user = (email or "").strip()
        own = self.people.get(user.casefold())
        if own is not None:
            return Access(user, *own)
        theirs = {str(g) for g in groups} if isinstance(groups, list | tuple | set) else \
            {str(groups)} if isinstance(groups, str) else set()
        for group, entry in self.groups.items():
            if group in theirs:
                return Access(user, *entry)
        if self.default in ROLE_PAGES and self.default != "team_lead":
            return Access(user, self.default)
        return Access(user, NO_ACCESS)


def _entry(value, where: str, problems: list[str]) -> tuple[str, tuple[str, ...] | None] | None:
    """One entry: a role name, or a table with `role` and (for a team lead) `teams`."""
    if isinstance(value, str):
        role, teams = value, None
    elif isinstance(value, dict):
        role, teams = value.get("role"), value.get("teams")
    else:
        problems.append(f"{where} must be a role name or {{ role = ..., teams = [...] }}: no access given")
        return None
    if role not in ROLE_PAGES:
        known = ", ".join(ROLE_PAGES)
        problems.append(f"{where} names the role {str(role)[:40]!r}, which is not one of {known}: "
                        "no access given")
        return None
    if role == "team_lead":
        if isinstance(teams, str):
            teams = [teams]
        if not isinstance(teams, list) or not teams or not all(isinstance(t, str) and t for t in teams):
            problems.append(f"{where} is a team lead without a list of teams: no access given")
            return None
        return role, tuple(teams)
    if teams is not None:
        problems.append(f"{where}: only a team lead's access is scoped to teams; the teams are ignored")
    return role, None


def read_roles(folder: Path) -> Roles:
    """DATA/roles.toml, each problem named; a missing file means nobody has access but by default."""
    path = Path(folder) / ROLES_FILE
    if not path.exists():
        return Roles(problems=(f"{ROLES_FILE} is missing from the data folder: nobody signed in has "
                               "access until it lists them",))
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else str(error).splitlines()[0]
        return Roles(problems=(f"{ROLES_FILE} could not be read ({reason}): nobody signed in has access",))
    problems: list[str] = []
    default = raw.get("default", NO_ACCESS)
    if default != NO_ACCESS and (default not in ROLE_PAGES or default == "team_lead"):
        problems.append(f"{ROLES_FILE}: default = {str(default)[:40]!r} is not a role without a team scope "
                        "(or \"none\"): people not listed have no access")
        default = NO_ACCESS
    claim = raw.get("groups_claim", "groups")
    if not isinstance(claim, str) or not claim:
        problems.append(f"{ROLES_FILE}: groups_claim must be the name of a claim; \"groups\" used")
        claim = "groups"
    tables = {}
    for name in ("people", "groups"):
        table = raw.get(name, {})
        if not isinstance(table, dict):
            problems.append(f"{ROLES_FILE}: [{name}] must be a table; ignored")
            table = {}
        entries = {}
        for key, value in table.items():
            entry = _entry(value, f"{ROLES_FILE}: {name}.{key[:60]!r}", problems)
            if entry is not None:
                entries[key.strip().casefold() if name == "people" else key] = entry
        tables[name] = entries
    unknown = sorted(set(raw) - {"default", "groups_claim", "people", "groups"})
    if unknown:
        problems.append(f"{ROLES_FILE}: unknown keys {', '.join(unknown)[:120]} ignored")
    return Roles(tables["people"], tables["groups"], default, claim, tuple(problems))


def for_browser(frame, access: Access):
    """A table as the browser may show it: never a column that identifies a customer; agent ids only
    for roles that see agent-level results."""
    hidden = CUSTOMER_COLUMNS if access.agent_level else CUSTOMER_COLUMNS | AGENT_COLUMNS
    drop = [c for c in frame.columns if str(c) in hidden]
    return frame.drop(columns=drop) if drop else frame
