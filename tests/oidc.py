"""A real OpenID Connect provider for the sign-in tests and bench: start it, add people, sign in.

The provider is oidc-provider-mock (PyPI), run as its own process (`python -m oidc_provider_mock`) on
a free loopback port, so that it outlives nothing and shares nothing with Streamlit's or pytest's
processes. What it does, read from its source (0.3.4):

- any client id and secret are accepted, and any redirect URI (no registration needed);
- `PUT /users/<sub>` with a JSON object of claims registers a person; every claim that is not a
  standard OpenID one (so `groups`) goes into the ID token whatever the scope, `email` and `name` with
  the `email` and `profile` scopes Streamlit asks for. Streamlit's `st.user` holds the ID token's
  claims, so `st.user["groups"]` is the list given here;
- its sign-in page (`/oauth2/authorize`) is a form with one text field, `sub`, and an "Authorize"
  button (and a "Deny" one); a `sub` never registered signs in with only `email = sub`.

Streamlit (1.67) reads `[auth]` from its secrets: redirect_uri (its `{port}` is replaced by the port
the server listens on), cookie_secret (signs the `_streamlit_user` cookie that keeps a person signed
in), client_id, client_secret, server_metadata_url. `streamlit run --secrets.files FILE` reads FILE
instead of .streamlit/secrets.toml, so the tests never touch the repository's secrets.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLIENT_ID = "cxdash"
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}

# the people the sign-in tests and bench use: email -> (name, groups); roles come from ROLES_TOML
PEOPLE = {
    "dana@livingwell.example": ("Dana Director", ["everyone"]),
    "quinn@livingwell.example": ("Quinn Quality", ["everyone"]),
    "pat@livingwell.example": ("Pat Planner", ["everyone"]),
    "lee@livingwell.example": ("Lee Lead", ["everyone", "leads-day"]),
    "ada@livingwell.example": ("Ada Admin", ["everyone", "cx-admins"]),
    "gil@livingwell.example": ("Gil Group", ["everyone", "cx-quality"]),  # a role by group only
    "uma@livingwell.example": ("Uma Unlisted", ["everyone"]),  # in no entry: no access
}
# DATA/roles.toml as the design writes it (issue 18)
ROLES_TOML = """\
default = "none"
groups_claim = "groups"

[people]
"dana@livingwell.example" = "director"
"quinn@livingwell.example" = "quality"
"pat@livingwell.example" = "planner"
"ada@livingwell.example" = "admin"
"lee@livingwell.example" = { role = "team_lead", teams = ["Team Day"] }

[groups]
"cx-quality" = "quality"
"leads-evening" = { role = "team_lead", teams = ["Team Evening"] }
"""


class StartFailed(RuntimeError):
    """A server did not answer in time; the message names its log."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(url: str, process: subprocess.Popen, log_path: Path, what: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process)
            raise StartFailed(f"{what} did not start; see {log_path}")
        time.sleep(0.2)


def start_provider(log_path: Path, seconds: float = 60) -> tuple[subprocess.Popen, str]:
    """The provider on a free loopback port; returns its process and base URL (its issuer)."""
    port = free_port()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:  # the child keeps its own copy of the file
        process = subprocess.Popen(
            [sys.executable, "-W", "ignore", "-m", "oidc_provider_mock", "--host", "127.0.0.1",
             "--port", str(port)],
            cwd=ROOT, env={**os.environ, "NO_COLOR": "1"}, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    _wait_until_up(f"{url}/.well-known/openid-configuration", process, log_path,
                   "the OpenID Connect provider (oidc-provider-mock)", seconds)
    return process, url


def start_streamlit(folder: Path, log_path: Path, extra_args: list[str] = (), env: dict | None = None,
                    seconds: float = 120) -> tuple[subprocess.Popen, str]:
    """`streamlit run app.py` over a data folder on a free loopback port, with extra arguments and
    environment; returns its process and base URL."""
    port = free_port()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true", *extra_args],
            cwd=ROOT, env={**os.environ, "CXDASH_DATA": str(folder), **(env or {})}, stdout=log,
            stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    _wait_until_up(f"{url}/_stcore/health", process, log_path, "streamlit", seconds)
    return process, url


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def add_user(provider: str, email: str, name: str, groups: list[str] = ()) -> None:
    """Register a person with the provider (their subject is their email) through its HTTP API."""
    claims = {"email": email, "email_verified": True, "name": name, "groups": list(groups)}
    request = urllib.request.Request(f"{provider}/users/{urllib.parse.quote(email, safe='')}",
                                     data=json.dumps(claims).encode(), method="PUT",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        if response.status != 204:
            raise RuntimeError(f"the provider refused {email}: HTTP {response.status}")


def add_people(provider: str) -> None:
    for email, (name, groups) in PEOPLE.items():
        add_user(provider, email, name, groups)


def write_secrets(path: Path, provider: str) -> Path:
    """A secrets file that turns sign-in on against the provider; the cookie secret is random, so a
    cookie signed by another run (or by anyone without the file) is worthless."""
    path.write_text(
        "[auth]\n"
        'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'  # Streamlit fills in its port
        f'cookie_secret = "{secrets.token_urlsafe(32)}"\n'
        f'client_id = "{CLIENT_ID}"\n'
        f'client_secret = "{secrets.token_urlsafe(24)}"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n', encoding="utf-8")
    return path


def _is_loopback(url: str) -> bool:
    return urllib.parse.urlsplit(url).hostname in LOOPBACK or url.startswith(("data:", "blob:"))


def keep_to_loopback(context) -> list[str]:
    """Refuse every request of a (sync) browser context beyond the loopback address (the provider's
    page links a stylesheet on a CDN; Streamlit posts usage metrics); returns the refused URLs."""
    refused: list[str] = []

    def route(handle) -> None:
        if _is_loopback(handle.request.url):
            handle.continue_()
        else:
            refused.append(handle.request.url)
            handle.abort()

    context.route("**/*", route)
    return refused


async def keep_to_loopback_async(context) -> None:
    """keep_to_loopback for an async browser context."""
    async def route(handle) -> None:
        if _is_loopback(handle.request.url):
            await handle.continue_()
        else:
            await handle.abort()

    await context.route("**/*", route)


APP_DRAWN = ('() => document.querySelector(\'[data-testid="stApp"][data-test-script-state="notRunning"]\') '
             '&& !document.querySelector(\'[data-testid="stSkeleton"]\')')


def sign_in(page, app: str, email: str, timeout_ms: float = 60_000) -> None:
    """Sign in as a person does: open the app, click "Sign in", type the email into the provider's
    form, authorize, and wait until the app has drawn its page for the signed-in person."""
    page.goto(app, timeout=timeout_ms)
    page.get_by_role("button", name="Sign in").click(timeout=timeout_ms)
    field = page.locator('input[name="sub"]')  # the provider's own page now
    field.wait_for(timeout=timeout_ms)
    field.fill(email)
    page.get_by_role("button", name="Authorize").click(timeout=timeout_ms)
    page.wait_for_url(f"{app}/**", timeout=timeout_ms)
    page.wait_for_function(APP_DRAWN + ' && ![...document.querySelectorAll("button")]'
                           '.some(b => b.innerText.trim().endsWith("Sign in"))', timeout=timeout_ms)


async def sign_in_async(page, app: str, email: str, timeout_ms: float = 120_000) -> None:
    """sign_in for an async page (the load bench)."""
    await page.goto(app, timeout=timeout_ms)
    await page.get_by_role("button", name="Sign in").click(timeout=timeout_ms)
    field = page.locator('input[name="sub"]')
    await field.wait_for(timeout=timeout_ms)
    await field.fill(email)
    await page.get_by_role("button", name="Authorize").click(timeout=timeout_ms)
    await page.wait_for_url(f"{app}/**", timeout=timeout_ms)
