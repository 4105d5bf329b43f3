"""Staffing by hand: Erlang C's reference figures, the seed's simple formula, Erlang A against an
independent matrix computation and a simulation, a schedule against the requirement, and the CLI.
Reading the schedule's CSV is tested in test_import_schedule.py."""

from __future__ import annotations

import heapq
import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy.linalg import expm
from scipy.stats import poisson

from cxdash import cli
from cxdash.importers.schedule import read_schedule
from cxdash.staffing import (
    Staffing,
    erlang_a_service,
    erlang_a_staffing,
    erlang_c,
    erlang_c_service,
    erlang_c_staffing,
    schedule_gaps,
    scheduled,
    simple_formula,
    staff_intervals,
    whole_up,
)

HALF_HOUR = 1800.0
ZONE = "America/Los_Angeles"


def textbook_erlang_c(traffic: float, agents: int) -> float:
    """Erlang C from its definition with factorials (fine for small numbers)."""
    last = traffic ** agents / math.factorial(agents) * agents / (agents - traffic)
    return last / (sum(traffic ** k / math.factorial(k) for k in range(agents)) + last)


# Erlang C --------------------------------------------------------------------------------------


def test_reference_case_13_agents_miss_the_target_and_14_meet_it():
    # 100 contacts in 30 minutes at 180 s: A = 100 x 180 / 1800 = 10 Erlangs
    thirteen = erlang_c_service(100, HALF_HOUR, 180, 13)
    assert thirteen.p_wait == pytest.approx(0.2853, abs=5e-5)
    assert thirteen.service_level == pytest.approx(0.7956, abs=5e-5)
    assert thirteen.service_level < 0.8
    fourteen = erlang_c_service(100, HALF_HOUR, 180, 14)
    assert fourteen.p_wait == pytest.approx(0.1741, abs=5e-5)
    assert fourteen.service_level == pytest.approx(0.8884, abs=5e-5)
    assert fourteen.asa_seconds == pytest.approx(7.8, abs=0.05)
    assert fourteen.occupancy == pytest.approx(10 / 14)
    assert fourteen.scheduled_agents == 14  # no shrinkage for a given N
    # the figures follow from the definitions: SL = 1 - C exp(-(N - A) T / AHT), ASA = C AHT / (N - A)
    c = textbook_erlang_c(10, 14)
    assert fourteen.p_wait == pytest.approx(c, rel=1e-12)
    assert fourteen.service_level == pytest.approx(1 - c * math.exp(-4 * 20 / 180), rel=1e-12)
    assert fourteen.asa_seconds == pytest.approx(c * 180 / 4, rel=1e-12)


def test_reference_case_staffs_14_and_schedules_20_with_30_percent_shrinkage():
    result = erlang_c_staffing(100, HALF_HOUR, 180)
    assert (result.agents, result.scheduled_agents) == (14, 20)
    assert result.service_level == pytest.approx(0.8884, abs=5e-5)
    assert result.abandon_rate is None
    # 14 / 0.7 happens to be exactly 20.0 in floating point, but 21 / 0.7 is 30.000000000000004,
    # which a plain ceil would turn into 31
    assert 21 / (1 - 0.3) > 30
    assert whole_up(21 / (1 - 0.3)) == 30
    assert scheduled(21, 0.3) == 30 and scheduled(14, 0.3) == 20


def test_erlang_c_is_1_when_the_queue_is_overloaded_and_0_without_traffic():
    assert erlang_c(10, 10) == 1.0
    assert erlang_c(10, 7) == 1.0
    assert erlang_c(0, 3) == 0.0
    overloaded = erlang_c_service(100, HALF_HOUR, 180, 9)
    assert (overloaded.service_level, overloaded.asa_seconds, overloaded.p_wait) == (0.0, math.inf, 1.0)


def test_zero_contacts_need_no_agents():
    expected = Staffing(agents=0, service_level=1.0, asa_seconds=0.0, occupancy=0.0, scheduled_agents=0,
                        p_wait=0.0)
    assert erlang_c_staffing(0, HALF_HOUR, 180) == expected
    assert erlang_a_staffing(0, HALF_HOUR, 180, 120) == Staffing(0, 1.0, 0.0, 0.0, 0, 0.0, 0.0)


def test_the_occupancy_cap_binds_where_the_service_level_alone_would_take_fewer_agents():
    # 1,000 contacts in 30 minutes at 180 s: 100 Erlangs. 80% in 20 s needs far fewer than the
    # 100 / 0.85 = 117.6 -> 118 agents that an 85% occupancy cap asks for
    uncapped = erlang_c_staffing(1000, HALF_HOUR, 180, max_occupancy=1.0)
    assert 100 < uncapped.agents < 110
    assert uncapped.occupancy > 0.85
    capped = erlang_c_staffing(1000, HALF_HOUR, 180)
    assert capped.agents == 118
    assert capped.occupancy == pytest.approx(100 / 118)
    assert erlang_c_service(1000, HALF_HOUR, 180, 117).service_level >= 0.8  # met, but 85.5% busy
    assert capped.scheduled_agents == math.ceil(118 / 0.7)


def test_the_occupancy_cap_reached_exactly_counts_as_met():
    # 85 Erlangs with a cap of 0.85: 100 agents are exactly 85% busy (85 / 100 in floats)
    result = erlang_c_staffing(850, HALF_HOUR, 180, service_level=0.1)
    assert result.agents == 100


def test_two_thousand_erlangs_give_finite_figures_a_little_above_the_load():
    contacts = 2000 * HALF_HOUR / 180  # 20,000 contacts in 30 minutes
    result = erlang_c_staffing(contacts, HALF_HOUR, 180, max_occupancy=1.0)
    assert 2000 < result.agents < 2050
    assert all(math.isfinite(v) for v in (result.service_level, result.asa_seconds, result.p_wait))
    assert result.service_level >= 0.8 > erlang_c_service(contacts, HALF_HOUR, 180, result.agents - 1) \
        .service_level
    # Erlang C from the Poisson distribution in log space: B = P(N) / P(<= N), C = N B / (N - A (1 - B))
    n = result.agents
    blocking = math.exp(poisson.logpmf(n, 2000) - poisson.logcdf(n, 2000))
    assert result.p_wait == pytest.approx(n * blocking / (n - 2000 * (1 - blocking)), rel=1e-9)


# the seed's simple formula ------------------------------------------------------------------------


def test_simple_formula_reproduces_the_seed_example_and_the_divided_shrinkage():
    result = simple_formula(1200, 360, shift_minutes=450, occupancy=0.85, shrinkage=0.3)
    assert result["workload_hours"] == pytest.approx(120.0)  # 1,200 x 6 minutes
    assert result["agents_exact"] == pytest.approx(7200 / 382.5)
    assert round(result["agents_exact"], 2) == 18.82
    assert result["agents"] == 19
    assert result["scheduled_seed"] == 25  # 19 x 1.3 = 24.7
    assert result["scheduled_divided"] == 28  # 19 / 0.7 = 27.14


# Erlang A --------------------------------------------------------------------------------------


def matrix_erlang_a(contacts, interval, aht, patience, agents, target) -> dict:
    """M/M/N+M by generic linear algebra, independent of cxdash: the stationary distribution solved
    from the truncated generator, answered-within-T from the matrix exponential of a waiting
    contact's chain, and the answered probability and mean answered wait from its fundamental
    matrix (P = -Q^-1 R, E[wait; answered] = Q^-2 R)."""
    mu, theta = 1 / aht, 1 / patience
    arrival, n, depth = contacts / interval, agents, 300
    size = n + depth + 1
    generator = np.zeros((size, size))
    for k in range(size):
        if k + 1 < size:
            generator[k, k + 1] = arrival
        if k:
            generator[k, k - 1] = min(k, n) * mu + max(k - n, 0) * theta
        generator[k, k] = -generator[k].sum()
    system = np.vstack([generator.T, np.ones(size)])
    pi = np.linalg.lstsq(system, np.r_[np.zeros(size), 1.0], rcond=None)[0]
    # a waiting contact with j ahead: moves to j - 1 at N mu + j theta, answered from 0 at N mu,
    # hangs up at theta; states 0..depth, then 'answered' and 'hung up'
    q = np.zeros((depth + 3, depth + 3))
    for j in range(depth + 1):
        if j:
            q[j, j - 1] = n * mu + j * theta
        else:
            q[0, depth + 1] = n * mu
        q[j, depth + 2] = theta
        q[j, j] = -q[j].sum()
    within = expm(q * target)[: depth + 1, depth + 1]
    transient, to_answered = q[: depth + 1, : depth + 1], q[: depth + 1, depth + 1]
    answered = np.linalg.solve(-transient, to_answered)
    wait_answered = np.linalg.solve(transient, np.linalg.solve(transient, to_answered))
    waiting = pi[n:]
    p_answered = pi[:n].sum() + waiting @ answered
    return {"service_level": pi[:n].sum() + waiting @ within, "abandon_rate": 1 - p_answered,
            "asa_seconds": waiting @ wait_answered / p_answered, "p_wait": waiting.sum(),
            "mean_queue": waiting @ np.arange(depth + 1)}


@pytest.mark.parametrize("contacts, aht, patience, agents", [
    (100, 180, 120, 12), (100, 180, 60, 9), (40, 300, 200, 8), (100, 180, 600, 14)])
def test_erlang_a_equals_an_independent_matrix_computation(contacts, aht, patience, agents):
    got = erlang_a_service(contacts, HALF_HOUR, aht, patience, agents)
    expected = matrix_erlang_a(contacts, HALF_HOUR, aht, patience, agents, 20.0)
    assert got.service_level == pytest.approx(expected["service_level"], abs=1e-9)
    assert got.abandon_rate == pytest.approx(expected["abandon_rate"], abs=1e-9)
    assert got.asa_seconds == pytest.approx(expected["asa_seconds"], rel=1e-7)
    assert got.p_wait == pytest.approx(expected["p_wait"], abs=1e-9)
    # the flow balance: contacts hang up at rate theta x E[queue] = abandon rate x arrival rate
    assert got.abandon_rate * contacts / HALF_HOUR == pytest.approx(expected["mean_queue"] / patience)
    traffic = contacts * aht / HALF_HOUR
    assert got.occupancy == pytest.approx(traffic * (1 - got.abandon_rate) / agents)


def simulate(contacts, interval, aht, patience, agents, target, customers, seed) -> dict:
    """First come first served with N agents and callers who hang up: each contact takes the
    earliest free agent left by the contacts before it, unless its wait would exceed its patience."""
    rng = np.random.default_rng(seed)
    arrivals = np.cumsum(rng.exponential(interval / contacts, customers)).tolist()
    services = rng.exponential(aht, customers).tolist()
    patiences = rng.exponential(patience, customers).tolist()
    free = [0.0] * agents
    within = abandoned = 0
    waited = 0.0
    for arrived, service, gives_up in zip(arrivals, services, patiences, strict=True):
        start = max(arrived, free[0])
        if start - arrived > gives_up:
            abandoned += 1
            continue
        within += start - arrived <= target
        waited += start - arrived
        heapq.heapreplace(free, start + service)
    return {"service_level": within / customers, "abandon_rate": abandoned / customers,
            "asa_seconds": waited / (customers - abandoned)}


@pytest.mark.parametrize("contacts, aht, patience, agents", [(100, 180, 120, 12), (300, 300, 90, 45)])
def test_erlang_a_agrees_with_a_simulation(contacts, aht, patience, agents):
    exact = erlang_a_service(contacts, HALF_HOUR, aht, patience, agents)
    simulated = simulate(contacts, HALF_HOUR, aht, patience, agents, 20.0, 1_000_000, seed=11)
    assert exact.abandon_rate > 0.05  # abandonment is material here
    assert simulated["service_level"] == pytest.approx(exact.service_level, abs=0.01)
    assert simulated["abandon_rate"] == pytest.approx(exact.abandon_rate, abs=0.01)
    assert simulated["asa_seconds"] == pytest.approx(exact.asa_seconds, rel=0.05)


def test_erlang_a_becomes_erlang_c_as_patience_grows():
    erlang = erlang_c_service(100, HALF_HOUR, 180, 14)
    gaps = []
    for patience in (1e3, 1e4, 1e5, 1e6, 1e7):
        result = erlang_a_service(100, HALF_HOUR, 180, patience, 14)
        gaps.append(abs(result.service_level - erlang.service_level))
    assert gaps == sorted(gaps, reverse=True)
    assert gaps[-1] < 1e-5
    patient = erlang_a_service(100, HALF_HOUR, 180, 1e7, 14)
    assert patient.p_wait == pytest.approx(erlang.p_wait, abs=1e-5)
    assert patient.asa_seconds == pytest.approx(erlang.asa_seconds, rel=1e-4)
    assert patient.occupancy == pytest.approx(erlang.occupancy, abs=1e-5)
    assert patient.abandon_rate < 1e-5
    staffed = erlang_a_staffing(100, HALF_HOUR, 180, 1e7)
    assert (staffed.agents, staffed.scheduled_agents) == (14, 20)
    assert erlang_a_staffing(100, HALF_HOUR, 180, math.inf) == Staffing(
        **{**erlang_c_staffing(100, HALF_HOUR, 180).__dict__, "abandon_rate": 0.0})


@pytest.mark.parametrize("contacts, aht, patience, occupancy", [
    (100, 180, 120, 0.85), (100, 180, 30, 0.85), (1000, 180, 60, 1.0), (7, 400, 90, 0.85),
    (300, 240, 600, 0.9)])
def test_erlang_a_staffing_is_the_fewest_agents_meeting_both_targets(contacts, aht, patience, occupancy):
    result = erlang_a_staffing(contacts, HALF_HOUR, aht, patience, max_occupancy=occupancy)

    def meets(agents):
        figures = erlang_a_service(contacts, HALF_HOUR, aht, patience, agents)
        return figures.service_level >= 0.8 and figures.occupancy <= occupancy

    first = next(n for n in range(1, 2000) if meets(n))  # a plain scan from 1 agent
    assert result.agents == first
    assert result.scheduled_agents == whole_up(first / 0.7)
    assert result.abandon_rate is not None


def test_abandonment_lets_erlang_a_staff_fewer_than_erlang_c():
    patient = erlang_c_staffing(100, HALF_HOUR, 180)
    impatient = erlang_a_staffing(100, HALF_HOUR, 180, 120)
    assert impatient.agents == 12 < patient.agents
    assert impatient.service_level >= 0.8
    assert 0.05 < impatient.abandon_rate < 0.07


# a month of intervals ----------------------------------------------------------------------------


def month_of_intervals(seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ts = pd.date_range("2026-01-01", periods=31 * 48, freq="30min", tz=ZONE)
    hour = ts.hour + ts.minute / 60
    shape = np.clip(np.sin((hour - 6) / 16 * np.pi), 0, None)
    contacts = np.round(400 * shape * rng.uniform(0.8, 1.2, len(ts)), 1)
    aht = np.where(contacts > 0, np.round(rng.uniform(200, 400, len(ts)), 1), np.nan)
    return pd.DataFrame({"ts": ts, "contacts": contacts, "aht_seconds": aht})


def test_staff_intervals_equals_the_single_interval_figures():
    frame = pd.DataFrame({"ts": pd.date_range("2024-01-01", periods=4, freq="30min", tz="UTC"),
                          "contacts": [100.0, 0.0, 12.5, 1000.0], "aht_seconds": [180.0, np.nan, 240, 180]})
    out = staff_intervals(frame, HALF_HOUR)
    assert list(out.columns) == ["ts", "contacts", "aht_seconds", "agents", "service_level", "asa_seconds",
                                 "occupancy", "scheduled_agents", "p_wait", "simple_agents",
                                 "workload_erlangs"]
    for row in out.itertuples():
        expected = erlang_c_staffing(row.contacts, HALF_HOUR, 180 if np.isnan(row.aht_seconds)
                                     else row.aht_seconds)
        got = [row.agents, row.service_level, row.asa_seconds, row.occupancy, row.scheduled_agents,
               row.p_wait]
        assert got == pytest.approx([expected.agents, expected.service_level, expected.asa_seconds,
                                     expected.occupancy, expected.scheduled_agents, expected.p_wait])
    # 12.5 contacts at 240 s = 1.67 Erlangs: 3 agents answer 73.2% within 20 s, 4 answer 91.6%
    assert out["agents"].tolist() == [14, 0, 4, 118]
    assert out["scheduled_agents"].tolist() == [20, 0, 6, 169]
    # the simple formula per interval, workload / 0.85 rounded up: 12 for 10 Erlangs and 2 for 1.67
    # understaff the small queues (14 and 4 are needed); at 100 Erlangs the occupancy cap decides both
    assert out["simple_agents"].tolist() == [12, 0, 2, 118]
    assert out["workload_erlangs"].tolist() == pytest.approx([10.0, 0.0, 12.5 * 240 / 1800, 100.0])


def test_staff_intervals_with_patience_adds_the_abandon_rate():
    frame = pd.DataFrame({"ts": pd.date_range("2024-01-01", periods=2, freq="30min", tz="UTC"),
                          "contacts": [100.0, 0.0], "aht_seconds": [180.0, 180.0]})
    out = staff_intervals(frame, HALF_HOUR, patience_seconds=120)
    assert out["agents"].tolist() == [12, 0]
    assert out["abandon_rate"].iloc[0] == pytest.approx(
        erlang_a_staffing(100, HALF_HOUR, 180, 120).abandon_rate)
    assert out["abandon_rate"].iloc[1] == 0.0
    assert list(out.columns)[-3:] == ["abandon_rate", "simple_agents", "workload_erlangs"]


def test_staff_intervals_refuses_negative_contacts_and_missing_aht():
    frame = pd.DataFrame({"ts": [1, 2], "contacts": [10.0, -1.0], "aht_seconds": [180.0, 180.0]})
    with pytest.raises(ValueError, match="contacts"):
        staff_intervals(frame, HALF_HOUR)
    frame = pd.DataFrame({"ts": [1, 2], "contacts": [10.0, 3.0], "aht_seconds": [180.0, np.nan]})
    with pytest.raises(ValueError, match="aht_seconds"):
        staff_intervals(frame, HALF_HOUR)


def test_a_month_of_half_hours_is_staffed_to_the_targets():
    # how long it takes is measured by bench/bench.py (goal: under a second), not asserted here
    frame = month_of_intervals()
    assert len(frame) == 1488
    out = staff_intervals(frame, HALF_HOUR)
    assert len(out) == 1488
    busy = out[out["contacts"] > 0]
    assert (busy["service_level"] >= 0.8).all() and (busy["occupancy"] <= 0.85 + 1e-12).all()
    assert (out.loc[out["contacts"] == 0, "agents"] == 0).all()


# schedules ---------------------------------------------------------------------------------------


def test_schedule_gaps_compares_interval_by_interval_across_zones():
    required = pd.DataFrame({"ts": pd.date_range("2024-03-11 16:00", periods=4, freq="30min", tz="UTC"),
                             "agents": [14, 12, 10, 8], "scheduled_agents": [20, 18, 15, 12]})
    # 09:00 in Los Angeles (-07:00 on 11 March) is 16:00 UTC
    text = "interval,agents\n2024-03-11 09:00,13\n2024-03-11 09:30,12\n2024-03-11 10:00,15\n" \
           "2024-03-11 23:00,4\n"
    schedule, problems, _ = read_schedule(text, "plan.csv", ZONE)
    assert problems == []
    gaps = schedule_gaps(required, schedule)
    assert list(gaps.columns) == ["ts", "required", "scheduled", "gap", "status"]
    assert gaps["ts"].equals(required["ts"])
    assert gaps["required"].tolist() == [14, 12, 10, 8]
    assert gaps["scheduled"].tolist()[:3] == [13.0, 12.0, 15.0]
    assert np.isnan(gaps["scheduled"].iloc[3])
    assert gaps["gap"].tolist()[:3] == [-1.0, 0.0, 5.0]
    assert gaps["status"].tolist() == ["under", "ok", "over", "no schedule"]
    rostered = schedule_gaps(required, schedule, against="scheduled_agents")
    assert rostered["status"].tolist() == ["under", "under", "ok", "no schedule"]


# the command line --------------------------------------------------------------------------------


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(["staffing", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


REFERENCE = ("--contacts", "100", "--interval-minutes", "30", "--aht-seconds", "180")


def test_cli_json_prints_the_reference_case(capsys):
    code, out, _ = run(capsys, *REFERENCE, "--json")
    assert code == 0
    document = json.loads(out)
    assert list(document) == ["agents", "service_level", "asa_seconds", "occupancy", "scheduled_agents"]
    assert document["agents"] == 14 and document["scheduled_agents"] == 20
    assert document["service_level"] == pytest.approx(0.8884, abs=5e-5)
    assert document["asa_seconds"] == pytest.approx(7.8, abs=0.05)
    assert document["occupancy"] == pytest.approx(0.714, abs=5e-4)


def test_cli_patience_switches_to_erlang_a_and_adds_the_abandon_rate(capsys):
    code, out, _ = run(capsys, *REFERENCE, "--patience-seconds", "120", "--json")
    assert code == 0
    document = json.loads(out)
    assert list(document)[-1] == "abandon_rate"
    expected = erlang_a_staffing(100, HALF_HOUR, 180, 120)
    assert document["agents"] == expected.agents
    assert document["abandon_rate"] == pytest.approx(expected.abandon_rate)


def test_cli_prints_readable_lines(capsys):
    code, out, _ = run(capsys, *REFERENCE, "--shrinkage", "0.25")
    assert code == 0
    assert "Erlang C" in out and "10.00 Erlangs" in out
    assert "Agents on the phones   14" in out
    assert "88.8% answered within 20 s" in out
    assert "Scheduled agents       19 (with 25% shrinkage)" in out  # 14 / 0.75 = 18.7


@pytest.mark.parametrize("bad, message", [
    (("--aht-seconds", "-5"), "argument --aht-seconds: '-5' is not a number > 0"),
    (("--service-level", "1"), "argument --service-level: '1' is not a number in (0, 1)"),
    (("--shrinkage", "abc"), "argument --shrinkage: 'abc' is not a number in [0, 1)"),
    (("--max-occupancy", "1.2"), "argument --max-occupancy: '1.2' is not a number in (0, 1]"),
    (("--patience-seconds", "0"), "argument --patience-seconds: '0' is not a number > 0"),
    (("--contacts", "nan"), "argument --contacts: 'nan' is not a number >= 0"),
])
def test_cli_refuses_bad_arguments_with_a_usage_error(capsys, bad, message):
    with pytest.raises(SystemExit) as stopped:
        cli.main(["staffing", *REFERENCE, *bad])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_by_day_sums_each_local_day_of_a_staffing():
    import pandas as pd

    from cxdash.staffing import by_day

    ts = pd.to_datetime(["2026-10-12 09:00", "2026-10-12 09:30", "2026-10-13 09:00"]).tz_localize(
        "America/Los_Angeles")
    result = pd.DataFrame({"ts": ts, "contacts": [10.0, 20.0, 0.0], "agents": [3, 5, 0],
                           "simple_agents": [2, 4, 0], "scheduled_agents": [5, 8, 0],
                           "workload_erlangs": [1.5, 3.0, 0.0]})
    days = by_day(result, 1800)
    assert days["agent_hours"].tolist() == [4.0, 0.0]  # (3 + 5) half hours
    assert days["simple_agent_hours"].tolist() == [3.0, 0.0]
    assert days["scheduled_hours"].tolist() == [6.5, 0.0]
    assert days["peak_agents"].tolist() == [5, 0]
    assert days["occupancy_pct"].iloc[0] == pytest.approx(100 * 4.5 / 8)
    assert pd.isna(days["occupancy_pct"].iloc[1])  # no agents: no occupancy


# customer patience, the settings' defaults and the Staffing page's view ---------------------------


def _call(number: int, day: str, waited: float, abandoned: bool, channel: str = "phone") -> dict:
    """A contact that waited `waited` seconds, then was answered (200 s of talk) or hung up."""
    arrived = pd.Timestamp(f"{day} 10:00", tz=ZONE).tz_convert("UTC") + pd.Timedelta(minutes=number)
    left = arrived + pd.Timedelta(seconds=waited)
    return {"interaction_id": f"{day}-{channel}-{number}", "channel": channel, "queue": "orders",
            "arrived_at": arrived, "answered_at": None if abandoned else left,
            "ended_at": left if abandoned else left + pd.Timedelta(seconds=200),
            "talk_seconds": None if abandoned else 200.0, "abandoned": abandoned}


def test_patience_is_the_time_waited_over_the_abandons_of_the_eight_weeks_before(tmp_path):
    from datetime import date

    from cxdash.staffing import patience_seconds
    from cxdash.store import Store
    from tests.builders import write_interactions

    as_of = date(2026, 10, 12)
    rows = [_call(n, "2026-10-01", 60, True) for n in range(19)]  # 19 + 1 abandons after 60 s
    rows += [_call(19, "2026-10-02", 60, True)]
    rows += [_call(20 + n, "2026-10-02", 20, False) for n in range(30)]  # 30 answered after 20 s
    rows += [_call(n, "2026-08-03", 500, True) for n in range(10)]  # more than eight weeks before
    rows += [_call(n, "2026-10-12", 500, True) for n in range(10)]  # the as-of day itself
    rows += [_call(n, "2026-10-05", 900, True, channel="email") for n in range(10)]  # not live
    write_interactions(tmp_path, rows)
    with Store.open(tmp_path) as store:
        # (20 x 60 + 30 x 20) / 20 abandons: the exponential estimate with censoring
        assert patience_seconds(store, (), (), as_of) == pytest.approx((20 * 60 + 30 * 20) / 20)
        assert patience_seconds(store, ("phone",), ("orders",), as_of) == pytest.approx(90.0)
        # as of 2 October the window holds 19 abandons: too few to tell
        assert patience_seconds(store, (), (), date(2026, 10, 2)) is None
        assert patience_seconds(store, ("chat",), (), as_of) is None


def test_the_staffing_defaults_come_from_the_settings_and_are_checked():
    from cxdash.settings import Settings, StaffingDefaults, settings_from_dict
    from cxdash.views.staffing import Inputs, default_inputs

    assert Settings().staffing == StaffingDefaults(80, 85, 30)
    assert default_inputs(Settings()) == Inputs(80, 20, 85, 30)
    settings = settings_from_dict({"metrics": {"service_level_seconds": 30},
                                   "staffing": {"service_level_target_pct": 90, "max_occupancy_pct": 80.0,
                                                "shrinkage_pct": 25}})
    assert settings.problems == ()
    assert default_inputs(settings) == Inputs(90, 30, 80, 25)
    assert type(settings.staffing.max_occupancy_pct) is int
    bad = settings_from_dict({"staffing": {"service_level_target_pct": 100, "max_occupancy_pct": 0.85,
                                           "shrinkage_pct": True, "shrinkage": 30}})
    assert bad.staffing == StaffingDefaults()
    assert sorted(bad.problems) == sorted([
        "cxdash.toml: staffing.service_level_target_pct = 100 must be a whole number of percent in "
        "50..99; default 80 used",
        "cxdash.toml: staffing.max_occupancy_pct = 0.85 must be a whole number of percent in 50..100; "
        "default 85 used",
        "cxdash.toml: staffing.shrinkage_pct = True must be a whole number of percent in 0..80; "
        "default 30 used",
        "cxdash.toml: unknown setting `staffing.shrinkage` (did you mean `staffing.shrinkage_pct`?); "
        "ignored"])
    assert settings_from_dict({"staffing": [80]}).staffing == StaffingDefaults()


def _forecast_to_staff(patience: float | None = None):
    """Three half hours of a forecast on Monday 12 October 2026, the last with no AHT of its own."""
    from datetime import date

    from cxdash.forecast import Request
    from cxdash.views.staffing import ForecastToStaff

    rows = pd.DataFrame({"ts": pd.date_range("2026-10-12 09:00", periods=3, freq="30min", tz=ZONE),
                         "yhat": [10.0, 20.0, 0.0], "yhat_lower": [8.0, 16.0, 0.0],
                         "yhat_upper": [12.0, 25.0, 1.0], "model": "oracle",
                         "aht_seconds": [180.0, np.nan, 240.0]})
    return ForecastToStaff("run", Request("30min", date(2026, 10, 12), 1), rows, patience)


def test_the_staffing_view_staffs_each_interval_and_sums_it_by_hand():
    from dataclasses import replace

    from cxdash.views.staffing import ERLANG_A, ERLANG_C, Inputs, staffing_page

    chosen = _forecast_to_staff()
    assert chosen.models == (ERLANG_C,) and chosen.interval_seconds == 1800
    shown = staffing_page(chosen, Inputs(80, 20, 85, 30))
    # the missing AHT takes the forecast's mean AHT: (180 + 240) / 2
    assert shown.intervals["aht_seconds"].tolist() == [180.0, 210.0, 240.0]
    assert shown.intervals["contacts"].tolist() == [10.0, 20.0, 0.0]
    result = shown.result
    # 1 Erlang needs 3 agents (2 answer 70.2% within 20 s); 7/3 Erlangs need 5 (4 answer 77.3%)
    assert result["agents"].tolist() == [3, 5, 0]
    assert result["scheduled_agents"].tolist() == [5, 8, 0]  # ceil(3 / 0.7), ceil(5 / 0.7)
    assert result["simple_agents"].tolist() == [2, 3, 0]  # ceil(1 / 0.85), ceil(2.33 / 0.85)
    tiles = {tile.label: (tile.value, tile.delta) for tile in shown.tiles}
    assert tiles == {
        "Peak agents on the phones": ("5", "Mon 12 Oct 09:30"),
        "Agent-hours on the phones": ("4", None),  # (3 + 5) x 0.5 h
        "Scheduled agent-hours": ("6.5", None),  # (5 + 8) x 0.5 h
        "Average occupancy": ("41.7%", None),  # (1 + 7/3) Erlangs x 0.5 h / 4 agent-hours
        "Simple formula agent-hours": ("2.5", "-1.5 vs Erlang")}
    assert shown.days == (pd.Timestamp("2026-10-12").date(),)
    day = shown.by_day.iloc[0]
    assert (day["contacts"], day["agent_hours"], day["simple_agent_hours"], day["scheduled_hours"],
            day["peak_agents"]) == (30.0, 4.0, 2.5, 6.5, 5)
    assert "fewer agents than Erlang in 2 interval(s) (1.5 agent-hours short) and more in 0 (0 " \
        "agent-hours over)" in shown.formula
    assert shown.download["ts"].tolist()[0] == "2026-10-12 09:00:00-07:00"

    upper = staffing_page(chosen, Inputs(80, 20, 85, 30, staff_to="Upper bound"))
    assert upper.intervals["contacts"].tolist() == [12.0, 25.0, 1.0]
    patient = _forecast_to_staff(patience=120.0)
    assert patient.models == (ERLANG_C, ERLANG_A)
    erlang_a = staffing_page(patient, replace(Inputs(80, 20, 85, 30), model=ERLANG_A)).result
    assert "abandon_rate" in erlang_a and "abandon_rate" not in result
    assert (erlang_a["agents"] <= result["agents"]).all()  # callers who hang up need fewer agents


def test_the_staffing_view_compares_a_schedule_interval_by_interval():
    from cxdash.safe import plain
    from cxdash.settings import Settings
    from cxdash.views.staffing import Inputs, compare_schedule, day_chart, staffing_page

    shown = staffing_page(_forecast_to_staff(), Inputs(80, 20, 85, 30))
    text = b"interval,agents\n2026-10-12 09:00,2\n2026-10-12 09:30,6\n2026-10-12 10:00,x\n"
    compared = compare_schedule(shown, text, "plan.csv", Settings(timezone=ZONE))
    assert compared.caption == "plan\\.csv: 3 rows read = 2 used + 1 set aside."
    assert compared.set_aside_label == "1 row(s) of plan\\.csv set aside"
    assert compared.problems == (
        plain("plan.csv: column agents: 1 row is not a whole number >= 0; set aside"),)
    assert [tile.value for tile in compared.tiles] == ["1", "1", "0", "1"]  # under, over, ok, none
    assert compared.gaps["status"].tolist() == ["under", "over", "no schedule"]
    assert compared.under["ts"].tolist() == ["2026-10-12 09:00:00-07:00"]
    figure = day_chart(shown, shown.days[0], compared.schedule)
    assert [trace.name for trace in figure.data][-1] == "Your schedule"
    empty = compare_schedule(shown, b"interval,agents\n", "none.csv", Settings(timezone=ZONE))
    assert empty.schedule is None and empty.gaps is None


def test_a_forecast_without_handle_time_has_nothing_to_staff():
    from dataclasses import replace

    from cxdash.views.staffing import Inputs, staffing_page

    chosen = _forecast_to_staff()
    chosen = replace(chosen, rows=chosen.rows.assign(aht_seconds=np.nan))
    shown = staffing_page(chosen, Inputs(80, 20, 85, 30))
    assert "no handle time" in shown.nothing_to_staff and shown.result is None
