"""Twenty people at once: each signs in through a real OpenID Connect provider and opens the Overview
and one other page of their role, in Debian's Chromium (one browser, a context each), against one
person at a time on the same server in the same run (issue 18).

The provider (oidc-provider-mock) and the app (`streamlit run app.py`, sign-in on, a generated secrets
file) are started by this script on the loopback address; the browser reaches nothing else. The data
is a copy of DATA_DIR (default: a fresh demo at --scale) with a roles file naming the people: four
each of director, quality, planner, team lead (Team Day or Team Evening) and admin.

Per person, three times:
- sign-in: from opening the app until the Overview's tiles are drawn after the provider's form
  (the app, the provider's page, the token exchange, the first run for the new session);
- overview: a fresh load of the Overview, from the navigation until every tile value has text,
  read in the page (performance.now() when a predicate polled every 100 ms holds);
- other page: a page of their role (director Monthly report, quality and team lead Quality, planner
  Seasonality, admin Data health), from the navigation until its title is drawn and the run is over.
Every page must render without an error (no exception, no "Something went wrong", no traceback).
The renderer's own work until the Overview's tiles are drawn (its main thread's task time, from the
Chrome DevTools Protocol) is read too: with the browsers on the server's machine it sets a floor
under the twenty's median that no server can lower (printed as "the least the median at once could
be"); so does the whole browser side's CPU until the tiles (every Chromium process: the renderer's
other threads, the GPU process drawing in software, the browser process; and the driver), read for
each person alone, when nothing else runs in the browser. So is the server's answer ("tiles
delivered": from the page's first WebSocket message, its request to run the Overview, to the message
carrying the last tile, read in the browser's network layer, which does not wait for the page's
renderer): the server's side of the wait, alone and at once.

Order: one uncounted warm-up person per role (caches and each team's store), then each role's person
alone, one after another (--single-rounds times), then all twenty at once: the twenty sign in at the
same moment, wait for each other, and load the Overview at the same moment. Goal: the twenty's median
overview time is at most 3x the single visitors' median.

The browser runs on the same machine as the server: the CPU time each side used (app, provider,
browser, and the machine's other programs) is printed for both phases, so that a ratio can be read
for what it is (on two cores the twenty browsers take most of the machine). --still draws the pages
without CSS animations, alone and at once alike.

    .venv/bin/python bench/signin_load.py [DATA_DIR] [--scale 0.03] [--people 20] [--still] [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import oidc  # noqa: E402 - the provider and the sign-in, as the tests use them
from tests.conftest import CHROMIUM_ARGS  # noqa: E402

LOGS = ROOT / "bench" / "out" / "signin_load"
CHROMIUM = Path(os.environ.get("CXDASH_CHROMIUM", "/usr/bin/chromium"))
GOAL = 3.0  # the twenty's median overview time / a single visitor's, at most
STEP_MS = 300_000  # the longest any one step may take
# how often a page checks whether it has drawn (in the page; an animation-frame poll in twenty pages
# at once costs the browser more than the resolution is worth)
POLL_MS = 100
ROLES = ("director", "quality", "planner", "team_lead", "admin")
OTHER_PAGE = {"director": ("monthly_report", "Monthly report"), "quality": ("quality", "Quality"),
              "planner": ("seasonality", "Seasonality"), "team_lead": ("quality", "Quality"),
              "admin": ("data_health", "Data health")}

# every tile value has text: returns the time since the navigation started, in the frame it holds
TILES_DRAWN = """(count) => {
  let filled = 0;
  for (const value of document.querySelectorAll('[data-testid="stMetric"] [data-testid="stMetricValue"]'))
    if (value.textContent.trim()) filled++;
  return filled >= count ? performance.now() : false;
}"""
IDLE = oidc.APP_DRAWN
# each tile's label and value as drawn, to find the WebSocket message that carried it
TILE_TEXTS = """() => [...document.querySelectorAll('[data-testid="stMetric"]')].map(tile => [
  (tile.querySelector('[data-testid="stMetricLabel"]') || {}).textContent || '',
  (tile.querySelector('[data-testid="stMetricValue"]') || {}).textContent || ''].map(t => t.trim()))"""
# --still: no CSS animation or transition in the pages (Streamlit's running indicator and skeletons
# animate while a run lasts; twenty of them in one software-rendered browser compete with the server
# for the same cores, which twenty people on their own computers would not)
STILL = """document.addEventListener('DOMContentLoaded', () => {
  const style = document.createElement('style');
  style.textContent = '*, *::before, *::after { animation: none !important; transition: none !important; }';
  document.head.appendChild(style);
});"""
ERROR = """() => {
  if (document.querySelector('[data-testid="stException"]')) return 'an exception';
  const text = document.body.innerText;
  if (text.includes('Something went wrong')) return '"Something went wrong"';
  if (text.includes('Traceback')) return 'a traceback';
  return '';
}"""


def cpu_seconds(pids: dict[str, int]) -> dict[str, float]:
    """CPU time (user + system, every core) used so far: by each named process and its descendants,
    by every other descendant of this script and the script itself ("browser": Chromium and
    Playwright), and by the rest of the machine ("others"). Linux /proc only. A process's children
    that have ended count in its own figure (their time goes to the parent that reaps them)."""
    tick = os.sysconf("SC_CLK_TCK")
    parents, used = {}, {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(stat.parent.name)
        parents[pid] = int(fields[1])
        used[pid] = sum(int(x) for x in fields[11:15]) / tick  # utime, stime, cutime, cstime

    def under(pid: int, root: int) -> bool:
        while pid > 1:
            if pid == root:
                return True
            pid = parents.get(pid, 1)
        return False

    totals = dict.fromkeys([*pids, "browser"], 0.0)
    for pid, seconds in used.items():
        named = next((name for name, root in pids.items() if under(pid, root)), None)
        if named:
            totals[named] += seconds
        elif pid != os.getpid() and under(pid, os.getpid()):
            totals["browser"] += seconds
    own = [int(x) for x in Path(f"/proc/{os.getpid()}/stat").read_text().rsplit(")", 1)[1].split()[11:13]]
    totals["browser"] += sum(own) / tick
    cpu = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:9]]
    busy = (sum(cpu[:3]) + sum(cpu[5:8])) / tick  # user, nice, system, irq, softirq, steal
    totals["others"] = busy - sum(totals.values())
    return totals


def people(count: int) -> list[tuple[str, str, list[str]]]:
    """(email, role, teams): the roles in turn; team leads alternate between two teams."""
    found = []
    for number in range(count):
        role = ROLES[number % len(ROLES)]
        teams = [("Team Day", "Team Evening")[(number // len(ROLES)) % 2]] if role == "team_lead" else []
        found.append((f"{role.replace('_', '')}{number + 1:02d}@livingwell.example", role, teams))
    return found


def roles_toml(everyone: list[tuple[str, str, list[str]]]) -> str:
    lines = ['default = "none"', 'groups_claim = "groups"', "", "[people]"]
    for email, role, teams in everyone:
        value = f'{{ role = "team_lead", teams = {json.dumps(teams)} }}' if teams else f'"{role}"'
        lines.append(f'"{email}" = {value}')
    return "\n".join(lines) + "\n"


def prepare(data: Path | None, scale: float, workdir: Path, everyone) -> Path:
    """The data folder the app serves: a copy of DATA_DIR, or a fresh demo, with the roles file."""
    from cxdash.demo import write_demo
    from cxdash.store import Store

    folder = workdir / "data"
    if data is None:
        write_demo(folder, end=date(2026, 10, 31), scale=scale, seed=7)
    else:
        shutil.copytree(data, folder)
    (folder / "roles.toml").write_text(roles_toml(everyone), encoding="utf-8")
    Store.open(folder).close()  # validated and rolled up before any timing
    return folder


async def renderer_seconds(cdp) -> float:
    """The seconds the page's renderer main thread has spent on tasks (script, style, layout, paint)
    so far: Chrome DevTools Protocol's Performance.getMetrics TaskDuration."""
    metrics = (await cdp.send("Performance.getMetrics"))["metrics"]
    return next(m["value"] for m in metrics if m["name"] == "TaskDuration")


class Wire:
    """What crossed the browser's network layer while a page loaded (Chrome DevTools Protocol's
    Network domain), in the browser's own clock: when the document was asked for, when the page first
    wrote to the server over its WebSocket (its request to run the page, sent once the page's
    script has started) and every WebSocket message received. Read in the browser process as bytes
    arrive, it does not wait for the page's renderer to draw them: the server's side of a page
    load, as far as it can be seen from the browser."""

    def __init__(self, cdp) -> None:
        self.asked: float | None = None
        self.wrote: float | None = None
        self.messages: list[tuple[float, bytes]] = []
        cdp.on("Network.requestWillBeSent", self._request)
        cdp.on("Network.webSocketFrameSent", self._sent)
        cdp.on("Network.webSocketFrameReceived", self._message)

    def _request(self, event: dict) -> None:
        if event.get("type") == "Document" and self.asked is None:
            self.asked = event["timestamp"]

    def _sent(self, event: dict) -> None:
        if self.asked is not None and self.wrote is None and event["timestamp"] >= self.asked:
            self.wrote = event["timestamp"]

    def _message(self, event: dict) -> None:
        response = event["response"]
        data = response.get("payloadData", "")
        payload = base64.b64decode(data) if response.get("opcode") == 2 else data.encode()
        self.messages.append((event["timestamp"], payload))

    def delivered_ms(self, tiles: list[list[str]]) -> float | None:
        """From the page's first message to the server to the message that carried the last of these
        tiles (a message holding both its label and its value): the server's answer. None when the
        page wrote nothing or a tile was in no message."""
        if self.wrote is None or not tiles:
            return None
        last = self.wrote
        for label, value in tiles:
            wanted = [label.encode(), value.encode()]
            found = next((at for at, payload in self.messages
                          if at >= self.wrote and all(text in payload for text in wanted)), None)
            if found is None:
                return None
            last = max(last, found)
        return 1000 * (last - self.wrote)


async def check(page, where: str, errors: list[str]) -> None:
    await page.wait_for_function(IDLE, polling=POLL_MS, timeout=STEP_MS)
    found = await page.evaluate(ERROR)
    if found:
        errors.append(f"{where}: {found}")


async def visit(browser, app: str, person, tiles: dict[str, int], together=None, still=False,
                browser_cpu=None) -> dict:
    """One person: sign in, load the Overview, open their other page. `together` (twenty at once):
    a pair of (arrived, go) the person reports to after signing in and waits on before the Overview.
    `browser_cpu` (alone: nothing else runs in the browser): the browser side's CPU seconds so far,
    read before the Overview's navigation and when its tiles are drawn."""
    email, role, _ = person
    result = {"email": email, "role": role, "errors": []}
    context = await browser.new_context(viewport={"width": 1440, "height": 1000},
                                        reduced_motion="reduce" if still else "no-preference")
    if still:
        await context.add_init_script(STILL)
    await oidc.keep_to_loopback_async(context)
    page = await context.new_page()
    page.set_default_timeout(STEP_MS)
    try:
        started = time.perf_counter()
        await oidc.sign_in_async(page, app, email, STEP_MS)
        await page.wait_for_function(TILES_DRAWN, arg=tiles.get(role, 1), polling=POLL_MS, timeout=STEP_MS)
        result["signin_ms"] = (time.perf_counter() - started) * 1000
        await check(page, "after sign-in", result["errors"])
        tiles.setdefault(role, await page.locator('[data-testid="stMetric"]').count())
    except Exception as error:  # noqa: BLE001 - a person failing is a figure of the run, not its end
        result["errors"].append(f"sign-in: {type(error).__name__}: {str(error).splitlines()[0][:160]}")
    if together is not None:
        arrived, go = together
        arrived()
        await go.wait()
    try:
        if not result["errors"]:
            cdp = await context.new_cdp_session(page)
            await cdp.send("Performance.enable")
            wire = Wire(cdp)
            await cdp.send("Network.enable")
            before = await renderer_seconds(cdp)
            cpu_before = browser_cpu() if browser_cpu else None
            await page.goto(app, wait_until="commit", timeout=STEP_MS)
            drawn = await page.wait_for_function(TILES_DRAWN, arg=tiles[role], polling=POLL_MS,
                                                 timeout=STEP_MS)
            if browser_cpu:
                result["browser_cpu_ms"] = 1000 * (browser_cpu() - cpu_before)
            result["overview_ms"] = await drawn.json_value()
            after = await renderer_seconds(cdp)
            # the page's own work until its tiles (a navigation that changed renderer starts from 0)
            result["renderer_ms"] = 1000 * (after - before if after >= before else after)
            delivered = wire.delivered_ms(await page.evaluate(TILE_TEXTS))
            if delivered is not None:
                result["delivered_ms"] = delivered
            await cdp.send("Network.disable")
            wire.messages.clear()
            await check(page, "overview", result["errors"])
            path, title = OTHER_PAGE[role]
            started = time.perf_counter()
            await page.goto(f"{app}/{path}", timeout=STEP_MS)
            await page.get_by_role("heading", name=title).first.wait_for(timeout=STEP_MS)
            await page.wait_for_function(IDLE, polling=POLL_MS, timeout=STEP_MS)
            result["other_ms"] = (time.perf_counter() - started) * 1000
            result["other_page"] = path
            await check(page, path, result["errors"])
    except Exception as error:  # noqa: BLE001
        result["errors"].append(f"{type(error).__name__}: {str(error).splitlines()[0][:160]}")
    finally:
        await context.close()
    return result


async def all_at_once(browser, app: str, everyone, tiles: dict[str, int], still: bool) -> list[dict]:
    """Everyone signs in at the same moment; once all have, everyone loads the Overview together."""
    go = asyncio.Event()
    waiting = [len(everyone)]

    def arrived() -> None:
        waiting[0] -= 1
        if waiting[0] == 0:
            go.set()

    return list(await asyncio.gather(*(visit(browser, app, person, tiles, (arrived, go), still)
                                       for person in everyone)))


def figures(results: list[dict], key: str) -> dict:
    values = [r[key] for r in results if key in r]
    return {"n": len(values), "median_ms": statistics.median(values) if values else None,
            "max_ms": max(values) if values else None}


async def run(app: str, everyone, single_rounds: int, pids: dict[str, int], still: bool, say) -> dict:
    from playwright.async_api import async_playwright

    tiles: dict[str, int] = {}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                                   args=CHROMIUM_ARGS)
        try:
            first_of_role = [next(p for p in everyone if p[1] == role) for role in ROLES]
            for person in first_of_role:  # warm-up: uncounted
                warm = await visit(browser, app, person, tiles, still=still)
                problems = "; ".join(warm["errors"])
                say(f"  warm-up   {person[1]:<9} sign-in {warm.get('signin_ms', 0) / 1000:5.2f} s, "
                    f"{tiles.get(person[1], 0)} tiles{'; ' + problems if problems else ''}")
            single, cpu = [], {}
            before = cpu_seconds(pids)
            for _ in range(single_rounds):
                for person in first_of_role:
                    alone = await visit(browser, app, person, tiles, still=still,
                                        browser_cpu=lambda: cpu_seconds(pids)["browser"])
                    single.append(alone)
                    say(f"  alone     {person[1]:<9} overview {alone.get('overview_ms', 0) / 1000:5.2f} s"
                        f"{'; ' + '; '.join(alone['errors']) if alone['errors'] else ''}")
            after = cpu_seconds(pids)
            cpu["alone"] = {name: after[name] - before[name] for name in after}
            say(f"  {len(everyone)} at once ...")
            started = time.perf_counter()
            crowd = await all_at_once(browser, app, everyone, tiles, still)
            elapsed = time.perf_counter() - started
            cpu["at once"] = {name: seconds - after[name] for name, seconds in cpu_seconds(pids).items()}
            say(f"  {len(everyone)} at once done in {elapsed:.1f} s")
        finally:
            await browser.close()
    return {"tiles": tiles, "single": single, "crowd": crowd, "cpu_seconds": cpu,
            "load_average": os.getloadavg()}


def summarise(result: dict) -> dict:
    single, crowd = result["single"], result["crowd"]
    summary = {what: {"single": figures(single, key), "crowd": figures(crowd, key)}
               for what, key in (("sign-in to tiles", "signin_ms"), ("overview tiles", "overview_ms"),
                                 ("other page", "other_ms"),
                                 ("renderer work to tiles", "renderer_ms"),
                                 ("browser CPU to tiles", "browser_cpu_ms"),
                                 ("tiles delivered", "delivered_ms"))}
    overview = summary["overview tiles"]
    one, many = overview["single"]["median_ms"], overview["crowd"]["median_ms"]
    ratio = many / one if one and many else None
    errors = [f"{r['email']} ({r['role']}): {e}" for r in single + crowd for e in r["errors"]]
    met = ratio is not None and ratio <= GOAL and not errors
    wire = summary["tiles delivered"]
    delivered = (wire["crowd"]["median_ms"] / wire["single"]["median_ms"]
                 if wire["single"]["median_ms"] and wire["crowd"]["median_ms"] else None)
    return {"figures": summary, "cpu_seconds": result["cpu_seconds"], "ratio": ratio, "goal": GOAL,
            "met": met, "errors": errors, "floor": floor(summary, len(crowd)),
            "floor_browser": floor(summary, len(crowd), work="browser CPU to tiles"),
            "delivered_ratio": delivered}


def floor(summary: dict, people: int, cores: int | None = None,
          work: str = "renderer work to tiles") -> dict | None:
    """The least the crowd's median could be on this machine with a server that cost nothing: each
    page's renderer must do its own work before its tiles draw (its main thread, one core at a time),
    and the people's pages share the machine's cores, so the median person waits for at least half of
    everyone's work to be done: people x the single visitors' median work / cores / 2. As a ratio to
    the single visitors' median time, it is what the goal is up against when the browsers share the
    server's machine (the people's own computers would each do their own page's work). `work`: the
    renderer's main thread (a page cannot draw without it), or the whole browser side's CPU (every
    Chromium process: the renderer's other threads, the GPU process drawing in software, the browser
    process; and the driver), read alone, when nothing else runs in the browser."""
    cores = cores or os.cpu_count() or 1
    work = summary[work]["single"]["median_ms"]
    alone = summary["overview tiles"]["single"]["median_ms"]
    if not work or not alone:
        return None
    least = people * work / cores / 2
    return {"cores": cores, "median_ms": least, "ratio": least / alone}


def print_summary(summary: dict, people_count: int, say=print) -> None:
    say(f"{people_count} people at once against one at a time (seconds; same server, same run):")
    say(f"  {'':<22} {'alone: n':>8} {'median':>7} {'max':>6}   {'at once: n':>10} {'median':>7} {'max':>6}")
    for what, sides in summary["figures"].items():
        cells = []
        for side in ("single", "crowd"):
            f = sides[side]
            median = f"{f['median_ms'] / 1000:7.2f}" if f["median_ms"] is not None else "      -"
            most = f"{f['max_ms'] / 1000:6.2f}" if f["max_ms"] is not None else "     -"
            cells.append((f["n"], median, most))
        say(f"  {what:<22} {cells[0][0]:>8} {cells[0][1]} {cells[0][2]}   {cells[1][0]:>10} {cells[1][1]} "
            f"{cells[1][2]}")
    ratio = summary["ratio"]
    say(f"  overview tiles, median at once / median alone: "
        f"{f'{ratio:.2f}x' if ratio else 'n/a'} (goal <= {GOAL:g}x)")
    delivered = summary.get("delivered_ratio")
    if delivered:
        say(f"  tiles delivered (the server's answer: the page's request to run until the message with its "
            f"last tile), median at once / median alone: {delivered:.2f}x")
    least = summary.get("floor")
    if least:
        say(f"  the least the median at once could be with the browsers on this machine's {least['cores']} "
            f"core(s) and a server that cost nothing: {least['median_ms'] / 1000:.2f} s = "
            f"{least['ratio']:.2f}x (each page's renderer work to its tiles, shared by {people_count})")
    least = summary.get("floor_browser")
    if least:
        say(f"  the same from the whole browser's CPU to the tiles (every Chromium process), read alone: "
            f"{least['median_ms'] / 1000:.2f} s = {least['ratio']:.2f}x")
    for phase, used in summary["cpu_seconds"].items():
        say(f"  CPU seconds used {phase:<8}: " + ", ".join(f"{name} {seconds:.0f}" for name, seconds in
                                                        used.items()))
    say(f"  pages with an error: {len(summary['errors']) or 'none'}")
    for error in summary["errors"]:
        say(f"    {error}")
    say(f"  goal {'met' if summary['met'] else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", type=Path, nargs="?", help="a data folder to copy (default: a fresh demo)")
    parser.add_argument("--scale", type=float, default=0.03, help="the demo's scale (default 0.03)")
    parser.add_argument("--people", type=int, default=20, help="how many at once (default 20)")
    parser.add_argument("--single-rounds", type=int, default=2,
                        help="rounds of one person per role alone (default 2)")
    parser.add_argument("--timeout", type=float, default=1800, help="the whole run at most, seconds")
    parser.add_argument("--still", action="store_true",
                        help="pages without CSS animations (alone and at once alike)")
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    args = parser.parse_args()
    if not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} is missing")
    everyone = people(args.people)
    LOGS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cxdash_signin_load_") as workdir:
        started = time.perf_counter()
        folder = prepare(args.data, args.scale, Path(workdir), everyone)
        print(f"data: {args.data or f'demo at scale {args.scale:g}'} (prepared in "
              f"{time.perf_counter() - started:.0f} s); pages {'without' if args.still else 'with'} "
              f"animations; logs in {LOGS}")
        provider_process, provider = oidc.start_provider(LOGS / "provider.log")
        app_process = None
        try:
            for email, _, _ in everyone:
                oidc.add_user(provider, email, email.split("@")[0], ["everyone"])
            secrets = oidc.write_secrets(Path(workdir) / "secrets.toml", provider)
            app_process, app = oidc.start_streamlit(folder, LOGS / "streamlit.log",
                                                    ["--secrets.files", str(secrets)])
            print(f"provider {provider}, app {app}")
            pids = {"app": app_process.pid, "provider": provider_process.pid}
            print(f"load average before: {', '.join(f'{x:.1f}' for x in os.getloadavg())} "
                  f"({os.cpu_count()} cores)")
            result = asyncio.run(asyncio.wait_for(run(app, everyone, args.single_rounds, pids, args.still,
                                                      print),
                                                  timeout=args.timeout))
            print(f"load average after: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
        finally:
            if app_process is not None:
                oidc.stop(app_process)
            oidc.stop(provider_process)
    summary = summarise(result)
    print_summary(summary, args.people)
    if args.json:
        args.json.write_text(json.dumps({**summary, "still": args.still, "people": args.people,
                                         "runs": result}, indent=1, default=str))
    raise SystemExit(0 if summary["met"] else 1)


if __name__ == "__main__":
    main()
