"""The overview's first view in Chromium: the app against the same view drawn from constants.

Counted from page.goto until the overview's 12 tile values have text and its 2 Plotly charts are
drawn (each `[data-testid="stPlotlyChart"]` holds a `.js-plotly-plot .main-svg`), not until the
script stops; the time is read in the page (performance.now(), from the start of the navigation) by
a predicate polled at every animation frame. For each server, freshly started:

- the first visitor: the first session of the server process (imports, caches and the store all cold);
- the second visitor: a new browser context (empty cache) on the same, already running server.

The yardstick is bench/first_view_constant.py, served the same way in the same run (each repetition
starts both servers afresh, their order alternating), so that a busy machine slows both alike; the
ratios are of the medians (the median of each repetition's own ratio is printed beside them). Goals
(the issue): at most 1.15x for the second visitor, 1.5x for the first. On a shared machine the times
vary a lot from run to run: use --repeat 5 or more and read medians and ratios only.

    .venv/bin/python bench/first_view.py DATA_DIR [--repeat N] [--app-root DIR] [--json FILE]

DATA_DIR is a data folder; it is prepared once before the timings, so that no run pays for it.
--app-root serves app.py and the theme of another checkout (a git worktree under experiment).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONSTANT = ROOT / "bench" / "first_view_constant.py"
LOGS = ROOT / "bench" / "out" / "first_view"
CHROMIUM = Path(os.environ.get("CXDASH_CHROMIUM", "/usr/bin/chromium"))
GOALS = {"second": 1.15, "first": 1.5}  # app / constant, at most
TILES, CHARTS = 12, 2
TIMEOUT_MS = 300_000

# the end of the count: every tile value has text and every chart has drawn its SVG; returns the
# time since the navigation started, read in the frame where it became true
DRAWN = """() => {
  let filled = 0;
  for (const value of document.querySelectorAll('[data-testid="stMetricValue"]'))
    if (value.textContent.trim()) filled++;
  if (filled < TILES) return false;
  let drawn = 0;
  for (const chart of document.querySelectorAll('[data-testid="stPlotlyChart"]'))
    if (chart.querySelector('.js-plotly-plot .main-svg')) drawn++;
  return drawn >= CHARTS ? performance.now() : false;
}""".replace("TILES", str(TILES)).replace("CHARTS", str(CHARTS))

# where the time goes, for the report: milestones marked at each animation frame, and every
# websocket message (time and size) of the session
MILESTONES = """(() => {
  const fv = window.__firstView = {marks: {}, messages: []};
  const mark = (name) => { if (!(name in fv.marks)) fv.marks[name] = performance.now(); };
  const Native = window.WebSocket;
  window.WebSocket = new Proxy(Native, {construct(target, args) {
    const socket = Reflect.construct(target, args);
    mark('socket_created');
    socket.addEventListener('open', () => mark('socket_open'));
    socket.addEventListener('message', (event) => {
      const data = event.data;
      fv.messages.push([performance.now(), data.byteLength ?? data.size ?? data.length ?? 0]);
    });
    return socket;
  }});
  const look = () => {
    if (document.querySelector('[data-testid="stApp"]')) mark('app_shell');
    if (document.querySelector('[data-testid="stElementContainer"]')) mark('first_element');
    let filled = 0;
    for (const value of document.querySelectorAll('[data-testid="stMetricValue"]'))
      if (value.textContent.trim()) filled++;
    if (filled > 0) mark('first_tile');
    if (filled >= TILES) mark('tiles');
    const charts = document.querySelectorAll('[data-testid="stPlotlyChart"]');
    if (charts.length > 0) mark('first_chart_element');
    let drawn = 0;
    for (const chart of charts) if (chart.querySelector('.js-plotly-plot .main-svg')) drawn++;
    if (drawn > 0) mark('first_chart_drawn');
    if (drawn >= CHARTS) mark('charts');
    if (!('tiles' in fv.marks && 'charts' in fv.marks)) requestAnimationFrame(look);
  };
  requestAnimationFrame(look);
})();""".replace("TILES", str(TILES)).replace("CHARTS", str(CHARTS))

# what the page holds once drawn
CONTENT = """() => {
  const fv = window.__firstView || {marks: {}, messages: []};
  const resources = performance.getEntriesByType('resource');
  return {
    marks: fv.marks,
    messages: fv.messages.length,
    message_bytes: fv.messages.reduce((sum, m) => sum + m[1], 0),
    last_message_before_drawn: Math.max(0, ...fv.messages
      .filter(m => m[0] <= Math.max(fv.marks.tiles ?? 1e12, fv.marks.charts ?? 1e12)).map(m => m[0])),
    elements: document.querySelectorAll('[data-testid="stElementContainer"]').length,
    dom_nodes: document.getElementsByTagName('*').length,
    requests: resources.length,
    transfer_bytes: resources.reduce((sum, r) => sum + (r.transferSize || 0), 0),
    decoded_bytes: resources.reduce((sum, r) => sum + (r.decodedBodySize || 0), 0),
  };
}"""


def chromium_args() -> list[str]:
    """The headless Chromium arguments the test suite uses (tests/conftest.py CHROMIUM_ARGS)."""
    sys.path.insert(0, str(ROOT))
    from tests.conftest import CHROMIUM_ARGS

    return list(CHROMIUM_ARGS)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(data: Path, app_root: Path) -> float:
    """Open the store once in a separate process, so that no timed run prepares the folder."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import sys; from pathlib import Path; "
                    "from cxdash.store import Store; Store.open(Path(sys.argv[1])).close()", str(data)],
                   cwd=app_root, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


class Server:
    """`streamlit run SCRIPT` on a free loopback port, cwd app_root (its .streamlit/config.toml)."""

    def __init__(self, script: Path, app_root: Path, data: Path, log_name: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        LOGS.mkdir(parents=True, exist_ok=True)
        self.log = open(LOGS / log_name, "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(self.port),
             "--server.address", "127.0.0.1", "--server.headless", "true"],
            cwd=app_root, env={**os.environ, "CXDASH_DATA": str(data)}, stdout=self.log,
            stderr=subprocess.STDOUT)

    def wait_healthy(self, seconds: float = 120) -> None:
        deadline = time.monotonic() + seconds
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start; see {self.log.name}")
            time.sleep(0.1)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def visit(browser, url: str) -> dict:
    """One visitor with an empty browser cache: ms from page.goto until the view is drawn."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    try:
        context.add_init_script(MILESTONES)
        page = context.new_page()
        started = time.perf_counter()
        page.goto(url, wait_until="commit", timeout=TIMEOUT_MS)
        drawn = page.wait_for_function(DRAWN, polling="raf", timeout=TIMEOUT_MS).json_value()
        wall = (time.perf_counter() - started) * 1000
        content = page.evaluate(CONTENT)
        # let the session's run finish before the next visitor comes
        try:
            page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidgetRunning"
                                   "Icon\"], [data-testid=\"stStatusWidgetRunningManIcon\"]')",
                                   timeout=60_000)
        except Exception:  # noqa: BLE001 - only a pause between visitors
            pass
        page.wait_for_timeout(1000)
        return {"ms": drawn, "wall_ms": wall, **content}
    finally:
        context.close()


def serve_and_visit(browser, script: Path, app_root: Path, data: Path, log_name: str) -> dict:
    """A fresh server; its first visitor, then a second one once the first is done."""
    server = Server(script, app_root, data, log_name)
    try:
        server.wait_healthy()
        time.sleep(1.0)  # let the server settle, as a user opens the page a moment after starting it
        first = visit(browser, server.url)
        second = visit(browser, server.url)
    finally:
        server.stop()
    return {"first": first, "second": second}


def measure(data: Path, repeat: int = 5, app_root: Path = ROOT, warmup: int = 1,
            constant: Path = CONSTANT, say=print) -> dict | None:
    """`repeat` repetitions (after `warmup` uncounted ones), each serving the app and the constant
    page afresh, in alternating order. None when Chromium is missing."""
    if not CHROMIUM.exists():
        return None
    from playwright.sync_api import sync_playwright

    data, app_root = Path(data).resolve(), Path(app_root).resolve()
    prepared = prepare(data, app_root)
    say(f"first view in Chromium: data {data} (prepared in {prepared:.1f} s), app {app_root / 'app.py'}, "
        f"yardstick {constant}; {warmup} warm-up + {repeat} repetitions")
    runs: dict[str, list[dict]] = {"app": [], "constant": []}
    scripts = {"app": app_root / "app.py", "constant": constant}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=chromium_args())
        try:
            for number in range(warmup + repeat):
                order = ("app", "constant") if number % 2 == 0 else ("constant", "app")
                for name in order:
                    result = serve_and_visit(browser, scripts[name], app_root, data, f"{name}.log")
                    counted = number >= warmup
                    if counted:
                        runs[name].append(result)
                    say(f"  {'run ' + str(number - warmup + 1) if counted else 'warm-up':<7} {name:<8} "
                        f"first visitor {result['first']['ms'] / 1000:6.2f} s, second visitor "
                        f"{result['second']['ms'] / 1000:6.2f} s")
        finally:
            browser.close()
    return summarise(runs)


def summarise(runs: dict[str, list[dict]]) -> dict:
    medians = {name: {visitor: statistics.median(r[visitor]["ms"] for r in results)
                      for visitor in ("first", "second")} for name, results in runs.items()}
    ratios = {visitor: medians["app"][visitor] / medians["constant"][visitor] for visitor in GOALS}
    paired = {visitor: statistics.median(a[visitor]["ms"] / c[visitor]["ms"]
                                         for a, c in zip(runs["app"], runs["constant"], strict=True))
              for visitor in GOALS}
    return {"repeat": len(runs["app"]), "medians_ms": medians, "ratios": ratios, "paired_ratios": paired,
            "goals": GOALS, "met": {visitor: ratios[visitor] <= goal for visitor, goal in GOALS.items()},
            "breakdown": breakdown(runs), "runs": runs}


def breakdown(runs: dict[str, list[dict]]) -> dict:
    """Median milestones (ms from the navigation) and page content, by page and visitor."""
    result = {}
    for name, results in runs.items():
        for visitor in ("first", "second"):
            visits = [r[visitor] for r in results]
            marks = {mark: statistics.median(v["marks"][mark] for v in visits)
                     for mark in visits[0]["marks"] if all(mark in v["marks"] for v in visits)}
            keys = ("last_message_before_drawn", "messages", "message_bytes", "elements", "dom_nodes",
                    "requests", "transfer_bytes", "decoded_bytes", "wall_ms")
            result[f"{name}, {visitor} visitor"] = {
                "marks": dict(sorted(marks.items(), key=lambda item: item[1])),
                **{key: statistics.median(v[key] for v in visits) for key in keys}}
    return result


def print_summary(result: dict, say=print) -> None:
    medians, ratios, paired = result["medians_ms"], result["ratios"], result["paired_ratios"]
    say(f"first view in Chromium, 12 tile values and 2 charts drawn (median of {result['repeat']}; fresh "
        "servers each repetition, app and constant page alternating):")
    for visitor, words in (("second", "second visitor (server running, empty cache)"),
                           ("first", "first visitor of a fresh server")):
        goal = result["goals"][visitor]
        say(f"  {words:<46} app {medians['app'][visitor] / 1000:5.2f} s, constant page "
            f"{medians['constant'][visitor] / 1000:5.2f} s: {ratios[visitor]:.2f}x (paired runs "
            f"{paired[visitor]:.2f}x; goal <= {goal:g}x): {'met' if ratios[visitor] <= goal else 'NOT met'}")
    say("  where the time goes (median ms from the navigation; websocket messages before the draw):")
    for what, figures in result["breakdown"].items():
        marks = ", ".join(f"{mark} {ms:.0f}" for mark, ms in figures["marks"].items())
        say(f"    {what:<26} {marks}; last message before drawn {figures['last_message_before_drawn']:.0f}; "
            f"{figures['messages']:.0f} messages, {figures['message_bytes'] / 1000:.0f} kB; "
            f"{figures['elements']:.0f} elements, {figures['dom_nodes']:.0f} DOM nodes; "
            f"{figures['requests']:.0f} requests, {figures['transfer_bytes'] / 1e6:.1f} MB transferred")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", type=Path, help="a data folder (prepared once before the timings)")
    parser.add_argument("--repeat", type=int, default=5, help="repetitions (default 5)")
    parser.add_argument("--warmup", type=int, default=1, help="uncounted repetitions first (default 1)")
    parser.add_argument("--app-root", type=Path, default=ROOT,
                        help="the checkout whose app.py and .streamlit/ are served (default: this one)")
    parser.add_argument("--constant", type=Path, default=CONSTANT, help="the yardstick page")
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    args = parser.parse_args()
    result = measure(args.data, args.repeat, args.app_root, args.warmup, args.constant.resolve())
    if result is None:
        raise SystemExit(f"{CHROMIUM} is missing")
    print_summary(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, default=str))


if __name__ == "__main__":
    main()
