"""Sign-in at the door: who this session is (cxdash.access), the open-mode banner, and the audit trail.

With an identity provider configured in .streamlit/secrets.toml ([auth], as Streamlit documents it),
nobody sees a page before signing in through it, and what they see follows their role in
DATA/roles.toml. Without one the app is in open mode: everyone is admin, it serves this computer
only (a server address beyond the loopback is refused) and every page says so at the top.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Mapping
from pathlib import Path

import streamlit as st

from cxdash import access as roles
from cxdash import audit
from cxdash.access import OPEN, Access
from cxdash.safe import plain
from cxdash.settings import data_dir

log = logging.getLogger("cxdash")

# the sign-in cookie is signed with [auth] cookie_secret: a short or published one is refused
MIN_SECRET = 32
PLACEHOLDERS = frozenset({"change-me-to-a-long-random-value-of-at-least-32-characters"})
SIGNED_IN_KEY = "_cxdash_signed_in"  # the session's sign-in, recorded once in the audit trail


def configured() -> bool:
    """Whether sign-in is configured: an [auth] section with a client id (for the one provider, or
    for a named provider) in Streamlit's secrets."""
    try:
        auth = st.secrets.get("auth")
    except Exception:  # noqa: BLE001 - no secrets file, or one that cannot be read: no sign-in
        return False
    if not isinstance(auth, Mapping):
        return False
    return bool(auth.get("client_id")) or any(
        isinstance(value, Mapping) and value.get("client_id") for value in auth.values())


def loopback_only() -> bool:
    """Whether the server listens on a loopback address only (an unset address means every one)."""
    address = (st.get_option("server.address") or "").strip()
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


@st.cache_data(ttl=5, show_spinner=False)
def _roles(folder: str, stamp: tuple) -> roles.Roles:
    return roles.read_roles(Path(folder))


def _read_roles(folder: Path) -> roles.Roles:
    path = folder / roles.ROLES_FILE
    try:
        stat = path.stat()
        stamp = (stat.st_size, stat.st_mtime_ns)
    except OSError:
        stamp = ()
    return _roles(str(folder), stamp)


def who() -> Access:
    """This session's access. Draws the sign-in, no-access or refusal screen and stops the run
    when there is nothing else to show."""
    if not configured():
        if not loopback_only():
            st.error("cxdash is in open mode (no sign-in is configured), so it only serves this "
                     "computer: start it with --server.address 127.0.0.1, or configure sign-in "
                     "(README, \"Sign-in\") before sharing it.", icon=":material/lock:")
            st.stop()
        st.warning("**Open mode:** nobody signs in and everyone sees everything, including the Import "
                   "page, so cxdash serves this computer only. Before you share it, configure sign-in "
                   "with your identity provider (README, \"Sign-in\").", icon=":material/lock_open:")
        return OPEN
    secret = str(st.secrets["auth"].get("cookie_secret") or "")
    if len(secret) < MIN_SECRET or secret in PLACEHOLDERS:
        st.error("Sign-in is configured, but its cookie_secret (in .streamlit/secrets.toml, [auth]) is "
                 f"missing, the README's example or shorter than {MIN_SECRET} characters: the sign-in "
                 "cookie would be easy to forge. Set it to a long random value (README, \"Sign-in\").",
                 icon=":material/key_off:")
        st.stop()
    if not st.user.is_logged_in:
        st.title("cxdash")
        st.write("Sign in with your organisation's account to see the dashboard.")
        st.button("Sign in", on_click=st.login, type="primary", icon=":material/login:")
        st.stop()
    folder = data_dir()
    found = _read_roles(folder)
    email = str(st.user.get("email") or st.user.get("preferred_username") or st.user.get("sub") or "")
    access = found.access(email, st.user.get(found.groups_claim))
    for problem in found.problems:
        log.warning("roles: %s", problem)
    if SIGNED_IN_KEY not in st.session_state:
        st.session_state[SIGNED_IN_KEY] = True
        record(access, "sign-in", details={"groups": _list(st.user.get(found.groups_claim))})
    if not access.pages:
        st.title("cxdash")
        st.warning(f"You are signed in as {plain(email)}, which has no access to cxdash. Ask your "
                   "cxdash administrator to add you to its roles file.", icon=":material/block:")
        st.button("Sign out", on_click=st.logout, icon=":material/logout:")
        st.stop()
    with st.sidebar:
        st.caption(f"Signed in as {plain(email)} · {access.label}" +
                   (f" · {plain(', '.join(access.teams))}" if access.teams else ""))
        st.button("Sign out", on_click=st.logout, icon=":material/logout:", key="sign-out")
    return access


def _list(value) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)] if value else []


def record(access: Access, action: str, *, page: str = "", target: str = "", details: dict | None = None,
           folder: Path | None = None) -> None:
    """One event in the audit trail; a trail that cannot be written is logged, never a failed page."""
    try:
        audit.record(folder or data_dir(), access.user, access.role, action, page=page, target=target,
                     details=details or {})
    except (OSError, audit.AuditError):
        log.exception("the audit trail could not be written (%s by %s)", action, access.user)


def refused(access: Access, pages: Mapping[str, str]) -> None:
    """A link to a page this role may not see: Streamlit shows the default page instead; say so, and
    note it in the trail. `pages` maps each page's URL path to its title."""
    url = st.context.url or ""
    asked = url.rstrip("/").rsplit("/", 1)[-1]
    if asked in pages and not access.may_see(asked):
        st.warning(f"Your role ({access.label}) does not include the {pages[asked]} page.",
                   icon=":material/block:")
        record(access, "refused", page=asked)
