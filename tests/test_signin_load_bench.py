"""bench/signin_load.py's summary, worked by hand: the medians alone and at once, the ratio against the
goal, and the floor the browsers' own work sets under the median at once when they share the server's
cores."""

from __future__ import annotations

import pytest

from tests.builders import bench_module


def _load():
    return bench_module("signin_load")


def _person(overview_ms: float, renderer_ms: float, errors=()) -> dict:
    return {"email": "a@x", "role": "director", "errors": list(errors), "signin_ms": 5000.0,
            "overview_ms": overview_ms, "renderer_ms": renderer_ms, "other_ms": 4000.0}


def test_the_summary_gives_the_ratio_and_the_floor_the_browsers_set_on_two_cores(monkeypatch):
    bench = _load()
    monkeypatch.setattr(bench.os, "cpu_count", lambda: 2)
    # alone: overview medians of 2,000, 3,000 and 4,000 ms -> 3,000; renderer work 2,000/2,800/3,600 -> 2,800
    single = [_person(2000, 2000), _person(3000, 2800), _person(4000, 3600)]
    crowd = [_person(30_000 + 1000 * n, 9000) for n in range(20)]  # median (39,000 + 40,000) / 2
    summary = bench.summarise({"single": single, "crowd": crowd, "cpu_seconds": {}})
    assert summary["figures"]["overview tiles"]["single"]["median_ms"] == 3000
    assert summary["figures"]["overview tiles"]["crowd"]["median_ms"] == 39_500
    assert summary["ratio"] == pytest.approx(39_500 / 3000)
    assert summary["met"] is False and summary["errors"] == []
    # the median person waits for half of everyone's work: 20 x 2,800 ms / 2 cores / 2 = 14,000 ms
    assert summary["floor"] == {"cores": 2, "median_ms": 14_000, "ratio": pytest.approx(14_000 / 3000)}


def test_the_floor_from_the_whole_browsers_cpu_read_alone(monkeypatch):
    bench = _load()
    monkeypatch.setattr(bench.os, "cpu_count", lambda: 2)
    # alone: overview medians 1,500 ms; the browser side's CPU to the tiles 1,200/1,600/2,000 -> 1,600
    single = [{**_person(1500, 800), "browser_cpu_ms": cpu} for cpu in (1200, 1600, 2000)]
    crowd = [_person(20_000, 5000) for _ in range(20)]  # no CPU read at once: it is not one person's
    summary = bench.summarise({"single": single, "crowd": crowd, "cpu_seconds": {}})
    assert summary["figures"]["browser CPU to tiles"]["crowd"]["n"] == 0
    # 20 x 1,600 ms / 2 cores / 2 = 8,000 ms, 5.33x the 1,500 ms alone; the renderer's: 20 x 800 / 4
    assert summary["floor_browser"] == {"cores": 2, "median_ms": 8000, "ratio": pytest.approx(8000 / 1500)}
    assert summary["floor"] == {"cores": 2, "median_ms": 4000, "ratio": pytest.approx(4000 / 1500)}
    lines = []
    bench.print_summary(summary, 20, lines.append)
    assert any("whole browser's CPU" in line and "8.00 s = 5.33x" in line for line in lines)


def test_an_error_on_any_page_fails_the_goal_and_no_work_read_gives_no_floor():
    bench = _load()
    single = [{"email": "a@x", "role": "admin", "errors": [], "overview_ms": 1000.0}]
    crowd = [{"email": "b@x", "role": "admin", "errors": ["overview: boom"], "overview_ms": 1500.0}]
    summary = bench.summarise({"single": single, "crowd": crowd, "cpu_seconds": {}})
    assert summary["ratio"] == 1.5 and not summary["met"]
    assert summary["errors"] == ["b@x (admin): overview: boom"] and summary["floor"] is None


class _Session:
    """A CDP session stand-in: the handlers Wire registers, called with the events a browser sends."""

    def __init__(self) -> None:
        self.handlers = {}

    def on(self, event: str, handler) -> None:
        self.handlers[event] = handler

    def send(self, event: str, body: dict) -> None:
        self.handlers[event](body)


def test_tiles_are_delivered_by_the_message_that_carries_the_last_of_them():
    import base64

    bench = _load()
    cdp = _Session()
    wire = bench.Wire(cdp)

    def message(at: float, payload: bytes, opcode: int = 2) -> None:
        data = base64.b64encode(payload).decode() if opcode == 2 else payload.decode()
        cdp.send("Network.webSocketFrameReceived", {"timestamp": at, "response": {"opcode": opcode,
                                                                                  "payloadData": data}})

    message(99.0, b"Contacts\x0212,345")  # before the document was asked for: not this load
    cdp.send("Network.webSocketFrameSent", {"timestamp": 99.5})  # nor this
    cdp.send("Network.requestWillBeSent", {"timestamp": 100.0, "type": "Script"})
    cdp.send("Network.requestWillBeSent", {"timestamp": 100.5, "type": "Document"})
    cdp.send("Network.requestWillBeSent", {"timestamp": 101.0, "type": "Document"})  # the first counts
    message(100.6, b"\x0a\x08Contacts\x12\x0612,345")  # before the page asked to run: not its answer
    assert wire.delivered_ms([["Contacts", "12,345"]]) is None  # the page has written nothing yet
    cdp.send("Network.webSocketFrameSent", {"timestamp": 101.25})  # the page asks to run
    cdp.send("Network.webSocketFrameSent", {"timestamp": 101.5})  # the first counts
    message(101.5, b"\x0a\x08Contacts")  # the label alone, not yet its value
    message(101.75, b"\x0a\x08Contacts\x12\x0612,345")
    message(102.0, b"CSAT 4.3 / 5", opcode=1)  # a text message counts as well
    message(103.0, b"\x0a\x08Contacts\x12\x0612,345")  # again later: the first counts
    # from 101.25 s: Contacts at 101.75 s, CSAT at 102.0 s -> the last, 0.75 s
    assert wire.delivered_ms([["Contacts", "12,345"], ["CSAT", "4.3 / 5"]]) == pytest.approx(750)
    assert wire.delivered_ms([["Contacts", "12,345"], ["AHT", "6:10"]]) is None  # a tile in no message
    assert wire.delivered_ms([]) is None


def test_the_summary_compares_the_tiles_delivered_alone_and_at_once():
    bench = _load()
    single = [{**_person(2000, 1000), "delivered_ms": ms} for ms in (400.0, 500.0, 900.0)]
    crowd = [{**_person(20_000, 5000), "delivered_ms": 1000.0 + 100 * n} for n in range(20)]
    summary = bench.summarise({"single": single, "crowd": crowd, "cpu_seconds": {}})
    # alone: median 500 ms; at once: (1,900 + 2,000) / 2 = 1,950 ms -> 3.9x
    assert summary["figures"]["tiles delivered"]["crowd"]["median_ms"] == 1950
    assert summary["delivered_ratio"] == pytest.approx(1950 / 500)
    lines = []
    bench.print_summary(summary, 20, say=lines.append)
    assert any("median at once / median alone: 3.90x" in line and "delivered" in line for line in lines)
