"""How many agents an interval needs: Erlang C, Erlang A (with abandonment) and the simple formula.

Erlang C treats an interval as a steady queue: contacts arrive at random (Poisson) at the interval's
rate, handle times are exponential with mean AHT, nobody hangs up, and N agents answer in order of
arrival. The load A = arrival rate x AHT (in Erlangs) is the average number of agents busy. Then

- P(wait) is Erlang C's probability that a contact finds every agent busy (1 when N <= A: the queue
  grows without end);
- service level (answered within T seconds) = 1 - P(wait) x exp(-(N - A) x T / AHT);
- ASA (average speed of answer) = P(wait) x AHT / (N - A); occupancy = A / N.

Erlang A adds callers who hang up: each waiting caller gives up after an exponential patience with a
given mean (patience_seconds estimates it from the data). It matters where the abandon rate is
material; as patience grows it becomes Erlang C.

Staffing picks the smallest N that meets the service-level target and keeps occupancy under its cap,
then adds shrinkage (breaks, training, absence): scheduled = ceil(N / (1 - shrinkage)).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
from scipy.special import gammaln, pdtrc

from cxdash import calendar

# comparisons of a service level or an occupancy with its target forgive this much float noise
TOLERANCE = 1e-12
# Erlang A keeps queue lengths up to where their probability falls below exp(-TAIL_LOG) of the most
# likely one (about 2e-22), and refuses a chain longer than MAX_QUEUE_STATES
TAIL_LOG = 50.0
MAX_QUEUE_STATES = 5_000_000
PATIENCE_WEEKS = 8  # customer patience is measured over the eight weeks before the as-of date
MIN_ABANDONS = 20  # fewer abandons than this tell too little to estimate patience from


@dataclass(frozen=True)
class Staffing:
    """The staffing of one interval and how it performs."""

    agents: int  # on the phones in the interval (0 when no contacts)
    service_level: float  # 0..1: share of offered contacts answered within the target time
    asa_seconds: float  # average wait of answered contacts (infinite when overloaded or nobody answered)
    occupancy: float  # 0..1: share of the agents' time spent handling contacts
    scheduled_agents: int  # ceil(agents / (1 - shrinkage)), float noise removed
    p_wait: float  # probability that a contact has to wait at all
    abandon_rate: float | None = None  # Erlang A only: share of offered contacts that hang up


def whole_up(value: float) -> int:
    """Round up to a whole number, after rounding away float noise: 14 / 0.7 is
    20.000000000000004 in floating point, and must give 20, not 21."""
    return math.ceil(round(value, 9))


def scheduled(agents: int, shrinkage: float) -> int:
    """Agents to schedule so that `agents` are on the phones after shrinkage: ceil(N / (1 - s))."""
    return whole_up(agents / (1.0 - shrinkage)) if agents else 0


def erlang_c(traffic: float, agents: int) -> float:
    """Erlang C: the probability that a contact waits, with `traffic` Erlangs offered to `agents`.

    1.0 when agents <= traffic (the queue is unstable: everyone waits). Computed from the Erlang B
    recursion B(n) = A B(n-1) / (n + A B(n-1)), which never overflows, so traffic of several thousand
    Erlangs is fine; then C = N B / (N - A (1 - B)).
    """
    _check(traffic >= 0 and math.isfinite(traffic), f"traffic must be a number >= 0, not {traffic}")
    _check(agents >= 0, f"agents must be >= 0, not {agents}")
    if agents <= traffic:
        return 1.0
    blocking = 1.0
    for n in range(1, int(agents) + 1):
        blocking = traffic * blocking / (n + traffic * blocking)
    return agents * blocking / (agents - traffic * (1.0 - blocking))


def _erlang_c_figures(traffic: float, aht_seconds: float, agents: int, target_seconds: float,
                      p_wait: float) -> tuple[float, float, float]:
    """Service level, ASA and occupancy for N agents with Erlang C's P(wait) already known."""
    if agents <= traffic:
        return 0.0, math.inf, 1.0 if agents else 0.0
    service_level = 1.0 - p_wait * math.exp(-(agents - traffic) * target_seconds / aht_seconds)
    return service_level, p_wait * aht_seconds / (agents - traffic), traffic / agents


def erlang_c_service(contacts: float, interval_seconds: float, aht_seconds: float, agents: int,
                     target_seconds: float = 20.0) -> Staffing:
    """How `agents` agents on the phones perform under Erlang C (no shrinkage: scheduled = agents).

    contacts: offered in the interval (may be a fractional forecast); interval_seconds: its length.
    With no contacts the service level is 1 and every other figure 0. With agents <= load the queue
    is overloaded: service level 0, ASA infinite, occupancy 1 (0 with no agents), P(wait) 1.
    """
    traffic = _traffic(contacts, interval_seconds, aht_seconds, target_seconds)
    _check(agents >= 0, f"agents must be >= 0, not {agents}")
    agents = int(agents)
    if traffic == 0:
        return Staffing(agents, 1.0, 0.0, 0.0, agents, 0.0)
    p_wait = erlang_c(traffic, agents)
    service_level, asa, occupancy = _erlang_c_figures(traffic, aht_seconds, agents, target_seconds, p_wait)
    return Staffing(agents, service_level, asa, occupancy, agents, p_wait)


def erlang_c_staffing(contacts: float, interval_seconds: float, aht_seconds: float,
                      service_level: float = 0.8, target_seconds: float = 20.0,
                      max_occupancy: float = 0.85, shrinkage: float = 0.3) -> Staffing:
    """The fewest agents on the phones that answer `service_level` of contacts within
    `target_seconds` under Erlang C with occupancy A / N at most `max_occupancy`, and the agents to
    schedule for them after shrinkage. No contacts: 0 agents, service level 1, ASA 0.

    100 contacts in 30 minutes at 180 s AHT (10 Erlangs), 80% in 20 s: 13 agents answer 79.6%
    (a miss), 14 agents answer 88.8% with an ASA of 7.8 s; with 30% shrinkage 20 are scheduled.
    """
    traffic = _traffic(contacts, interval_seconds, aht_seconds, target_seconds)
    _check_targets(service_level, max_occupancy, shrinkage)
    agents, p_wait = _erlang_c_search(np.array([traffic]), np.array([float(aht_seconds)]),
                                      target_seconds, service_level, max_occupancy)
    return _erlang_c_result(traffic, aht_seconds, int(agents[0]), float(p_wait[0]), target_seconds,
                            shrinkage)


def _erlang_c_result(traffic: float, aht_seconds: float, agents: int, p_wait: float,
                     target_seconds: float, shrinkage: float) -> Staffing:
    if traffic == 0:
        return Staffing(0, 1.0, 0.0, 0.0, 0, 0.0)
    service_level, asa, occupancy = _erlang_c_figures(traffic, aht_seconds, agents, target_seconds, p_wait)
    return Staffing(agents, service_level, asa, occupancy, scheduled(agents, shrinkage), p_wait)


def _erlang_c_search(traffic: np.ndarray, aht: np.ndarray, target_seconds: float, service_level: float,
                     max_occupancy: float) -> tuple[np.ndarray, np.ndarray]:
    """For many intervals at once: the fewest agents meeting the service level and the occupancy
    cap, and Erlang C's P(wait) with them. Runs the Erlang B recursion for every interval together,
    one agent count at a time, until each interval is met (0 agents where the traffic is 0)."""
    agents = np.zeros(len(traffic), dtype="int64")
    p_wait = np.zeros(len(traffic))
    todo = traffic > 0
    # the occupancy cap alone needs N >= A / cap
    fewest = np.ceil(np.round(np.divide(traffic, max_occupancy), 9))
    blocking = np.ones(len(traffic))
    n = 0
    while todo.any():
        n += 1
        blocking = traffic * blocking / (n + traffic * blocking)
        rows = np.flatnonzero(todo & (n > traffic) & (n >= fewest))
        if not len(rows):
            continue
        load, b = traffic[rows], blocking[rows]
        wait = n * b / (n - load * (1.0 - b))
        met = 1.0 - wait * np.exp(-(n - load) * target_seconds / aht[rows]) >= service_level - TOLERANCE
        agents[rows[met]] = n
        p_wait[rows[met]] = wait[met]
        todo[rows[met]] = False
    return agents, p_wait


def erlang_a_service(contacts: float, interval_seconds: float, aht_seconds: float,
                     patience_seconds: float, agents: int, target_seconds: float = 20.0) -> Staffing:
    """How `agents` agents on the phones perform under Erlang A (no shrinkage: scheduled = agents).

    The queue is M/M/N+M: Poisson arrivals, exponential handle times (mean AHT), and each waiting
    caller hangs up after an exponential patience (mean patience_seconds), served first come first
    served. The figures, for a contact arriving at a random moment:

    - P(wait): the probability of finding every agent busy;
    - service level: contacts answered within the target time / contacts offered (abandoned
      contacts stay in the denominator, so hanging up counts against the service level);
    - ASA: the average wait of the contacts that were answered (0 for those answered at once);
    - abandon rate: the share of offered contacts that hang up before an agent answers;
    - occupancy: handled load / agents = A (1 - abandon rate) / N.

    Exact (to about 1e-12), not simulated. Arrivals see the queue's long-run distribution (Poisson
    arrivals see time averages), computed from the birth-death chain of the number of contacts in
    the system, continued into the queue until its probabilities fall below about 1e-22. A contact
    that finds j others waiting is answered once the j ahead of it have left (answered or hung up)
    and one more agent frees: stages at rates N/AHT + m/patience for m = j..0, while its own patience
    runs out at rate 1/patience. Whether it is answered at all, and its mean wait if so, have closed
    forms; the chance it is answered within T comes from this small chain's transient behaviour,
    worked out by uniformization (a Poisson-weighted sum of its jump chain's steps).
    """
    traffic = _traffic(contacts, interval_seconds, aht_seconds, target_seconds)
    _check(patience_seconds > 0, f"patience_seconds must be > 0, not {patience_seconds}")
    _check(agents >= 0, f"agents must be >= 0, not {agents}")
    agents = int(agents)
    if traffic == 0:
        return Staffing(agents, 1.0, 0.0, 0.0, agents, 0.0, 0.0)
    if math.isinf(patience_seconds):
        figures = erlang_c_service(contacts, interval_seconds, aht_seconds, agents, target_seconds)
        return Staffing(**{**figures.__dict__, "abandon_rate": 0.0})
    p_wait, service_level, asa, abandon, occupancy = _erlang_a(
        traffic, float(aht_seconds), float(patience_seconds), agents, float(target_seconds))
    return Staffing(agents, service_level, asa, occupancy, agents, p_wait, abandon)


def _erlang_a(traffic: float, aht: float, patience: float, agents: int,
              target: float) -> tuple[float, float, float, float, float]:
    """P(wait), service level, ASA, abandon rate and occupancy of M/M/N+M (see erlang_a_service)."""
    if agents == 0:
        return 1.0, 0.0, math.inf, 1.0, 0.0
    mu, theta = 1.0 / aht, 1.0 / patience
    arrival = traffic * mu
    served_rate = agents * mu  # the rate at which busy agents free up when all are busy
    # log of the unnormalised stationary probability of k in the system: A^k / k! up to N ...
    k = np.arange(agents + 1)
    head = k * math.log(traffic) - gammaln(k + 1)
    # ... then each further contact, the j-th waiting, multiplies by arrival / (N mu + j theta)
    tail = _queue_tail(head[-1], arrival, served_rate, theta, float(head.max()))
    weights = np.concatenate([head[:-1], tail])
    top = float(weights.max())
    total = top + math.log(float(np.exp(weights - top).sum()))
    answered_at_once = float(np.exp(head[:-1] - total).sum())
    waiting = np.exp(tail - total)  # waiting[j]: an arrival finds N + j in the system (j ahead of it)
    ahead = np.arange(len(waiting))
    exits = served_rate + (ahead + 1) * theta  # rate at which a contact j deep leaves its stage
    answered_if_waiting = served_rate / exits  # telescoping product of the stages' odds
    abandon = float(np.dot(waiting, (ahead + 1) * theta / exits))
    # mean wait of a waiting contact that is answered, weighted by the chance it is answered: the
    # derivative of its wait's Laplace transform, prod r / (r + s) at s = theta
    stage_means = np.cumsum(1.0 / (served_rate + (ahead + 1) * theta))
    wait_answered = float(np.dot(waiting, answered_if_waiting * stage_means))
    answered = 1.0 - abandon
    within = _answered_within(waiting, served_rate, theta, target)
    occupancy = min(traffic * answered / agents, 1.0)
    return (float(waiting.sum()), float(min(answered_at_once + within, 1.0)), wait_answered / answered,
            abandon, float(occupancy))


def _queue_tail(start: float, arrival: float, served_rate: float, theta: float, peak: float) -> np.ndarray:
    """Log stationary weights of N, N + 1, ... in the system, up to where they are negligible."""
    values, last, done, chunk = [np.array([start])], start, 0, 256
    while True:
        j = np.arange(done + 1, done + chunk + 1)
        block = last + np.cumsum(math.log(arrival) - np.log(served_rate + j * theta))
        values.append(block)
        peak, last, done = max(peak, float(block.max())), float(block[-1]), done + chunk
        # past the mode (weights falling) and far below it: stop
        if served_rate + done * theta > arrival and last < peak - TAIL_LOG:
            break
        if done > MAX_QUEUE_STATES:
            raise ValueError("the patience is so long against the load that Erlang A would need over "
                             f"{MAX_QUEUE_STATES:,} queue states; use Erlang C (no patience) instead")
        chunk *= 2
    tail = np.concatenate(values)
    keep = np.flatnonzero(tail >= peak - TAIL_LOG)
    return tail[: keep[-1] + 1]


def _answered_within(waiting: np.ndarray, served_rate: float, theta: float, target: float) -> float:
    """The probability that an arrival waits and is answered within `target` seconds.

    waiting[j] is the chance an arrival finds j contacts ahead of it in the queue. From j ahead it
    moves to j - 1 at rate N mu + j theta (an agent frees and takes the head, or one ahead hangs
    up), is answered from 0 ahead at rate N mu, and hangs up itself at rate theta. The chance of
    being answered by time T is N mu times the expected time spent at the head of the queue over
    [0, T]. By uniformization at rate L (the largest exit rate), the expected time in a state over
    [0, T] is the sum over steps n of its probability after n steps of the jump chain, times
    P(Poisson(L T) > n) / L.
    """
    if target <= 0 or not len(waiting):
        return 0.0
    ahead = np.arange(len(waiting))
    progress = served_rate + ahead * theta
    rate = progress[-1] + theta
    expected_steps = rate * target
    # the Poisson tail beyond its mean + 12 standard deviations + 40 is below 1e-30
    steps = int(expected_steps + 12 * math.sqrt(expected_steps) + 40)
    beyond = pdtrc(np.arange(steps), expected_steps)  # P(Poisson(L T) > n)
    stay, move = 1.0 - (progress + theta) / rate, progress / rate
    mass, at_head = waiting.copy(), 0.0
    for n in range(steps):
        at_head += mass[0] * beyond[n]
        following = mass * stay
        following[:-1] += mass[1:] * move[1:]
        mass = following
        if n % 16 == 15 and (beyond[n] < 1e-30 or mass.sum() < 1e-18):
            break
    return served_rate * at_head / rate


def erlang_a_staffing(contacts: float, interval_seconds: float, aht_seconds: float,
                      patience_seconds: float, service_level: float = 0.8, target_seconds: float = 20.0,
                      max_occupancy: float = 0.85, shrinkage: float = 0.3) -> Staffing:
    """The fewest agents on the phones that answer `service_level` of offered contacts within
    `target_seconds` under Erlang A (callers hang up after a mean patience of patience_seconds),
    with occupancy at most `max_occupancy`, and the agents to schedule after shrinkage.

    Abandonment shortens the queue, so Erlang A usually needs a few fewer agents than Erlang C,
    and it never needs fewer than service_level x load (no N agents answer more than N / A of the
    offered load). See erlang_a_service for how the figures are computed.
    """
    traffic = _traffic(contacts, interval_seconds, aht_seconds, target_seconds)
    _check(patience_seconds > 0, f"patience_seconds must be > 0, not {patience_seconds}")
    _check_targets(service_level, max_occupancy, shrinkage)
    if traffic == 0:
        return Staffing(0, 1.0, 0.0, 0.0, 0, 0.0, 0.0)
    if math.isinf(patience_seconds):
        figures = erlang_c_staffing(contacts, interval_seconds, aht_seconds, service_level,
                                    target_seconds, max_occupancy, shrinkage)
        return Staffing(**{**figures.__dict__, "abandon_rate": 0.0})
    guess, _ = _erlang_c_search(np.array([traffic]), np.array([float(aht_seconds)]), target_seconds,
                                service_level, max_occupancy)
    return _erlang_a_search(traffic, float(aht_seconds), float(patience_seconds), int(guess[0]),
                            service_level, float(target_seconds), max_occupancy, shrinkage)


def _erlang_a_search(traffic: float, aht: float, patience: float, guess: int, service_level: float,
                     target: float, max_occupancy: float, shrinkage: float) -> Staffing:
    """The fewest agents meeting both targets under Erlang A, searched from a guess (Erlang C's
    answer, usually within a few agents): step away from it in doubling strides until the answer is
    bracketed, then halve the bracket. Relies on the service level rising and the occupancy
    falling as agents are added."""
    figures: dict[int, tuple[float, float, float, float, float]] = {}

    def meets(agents: int) -> bool:
        if agents not in figures:
            figures[agents] = _erlang_a(traffic, aht, patience, agents, target)
        _, level, _, _, occupancy = figures[agents]
        return level >= service_level - TOLERANCE and occupancy <= max_occupancy + TOLERANCE

    floor = max(1, whole_up(service_level * traffic))  # fewer than this cannot meet the target
    good, bad = _bracket(meets, max(guess, floor), floor - 1)
    while good - bad > 1:
        middle = (good + bad) // 2
        good, bad = (middle, bad) if meets(middle) else (good, middle)
    p_wait, level, asa, abandon, occupancy = figures[good]
    return Staffing(good, level, asa, occupancy, scheduled(good, shrinkage), p_wait, abandon)


def _bracket(meets: Callable[[int], bool], guess: int, known_bad: int) -> tuple[int, int]:
    """A count that meets the targets and a lower one that does not (known_bad is never tried)."""
    stride = 1
    if meets(guess):
        good = guess
        while good - stride > known_bad and meets(good - stride):
            good, stride = good - stride, stride * 2
        return good, max(good - stride, known_bad)
    bad = guess
    while not meets(bad + stride):
        bad, stride = bad + stride, stride * 2
    return bad + stride, bad


def simple_formula(daily_contacts: float, aht_seconds: float, shift_minutes: float = 450,
                   occupancy: float = 0.85, shrinkage: float = 0.3) -> dict:
    """The seed document's back-of-envelope staffing for a day, without queueing.

    required agents = (daily contacts x AHT minutes) / (shift minutes x occupancy). For 1,200 calls
    a day at 6 minutes AHT, a 450-minute shift and 85% occupancy: 7,200 / 382.5 = 18.8, so 19 live
    agents. Returned as workload_hours (120), agents_exact (18.82) and agents (19), with two
    ways of adding 30% shrinkage:

    - scheduled_seed (25): the seed's 19 x 1.30 = 24.7, rounded up;
    - scheduled_divided (28): 19 / (1 - 0.30) = 27.1, rounded up, as Erlang staffing does.

    Dividing is right: with 30% of paid time lost, 25 scheduled agents leave 25 x 0.7 = 17.5 on the
    phones, short of 19; multiplying understates the need by about 3 people here.

    The formula knows nothing of queueing: it spreads a day's work evenly over the day, so it
    understaffs small queues badly (at a few Erlangs, 85% occupancy means long waits) and overstaffs
    large ones (hundreds of agents can run above 90% occupancy at a good service level).
    """
    _check(daily_contacts >= 0 and math.isfinite(daily_contacts),
           f"daily_contacts must be a number >= 0, not {daily_contacts}")
    _check(aht_seconds > 0 and shift_minutes > 0, "aht_seconds and shift_minutes must be > 0")
    _check(0 < occupancy <= 1, f"occupancy must be in (0, 1], not {occupancy}")
    _check(0 <= shrinkage < 1, f"shrinkage must be in [0, 1), not {shrinkage}")
    workload_minutes = daily_contacts * aht_seconds / 60.0
    exact = workload_minutes / (shift_minutes * occupancy)
    agents = whole_up(exact)
    return {"workload_hours": workload_minutes / 60.0, "agents_exact": exact, "agents": agents,
            "scheduled_seed": whole_up(agents * (1.0 + shrinkage)),
            "scheduled_divided": scheduled(agents, shrinkage)}


def staff_intervals(intervals: pd.DataFrame, interval_seconds: float, service_level: float = 0.8,
                    target_seconds: float = 20.0, max_occupancy: float = 0.85, shrinkage: float = 0.3,
                    patience_seconds: float | None = None) -> pd.DataFrame:
    """Staffing for every interval of a forecast: Erlang C, or Erlang A when patience_seconds is given.

    intervals: ts, contacts (offered; fractional forecasts welcome) and aht_seconds, one row per
    interval of interval_seconds. Returns those columns (and any others) plus agents, service_level,
    asa_seconds, occupancy, scheduled_agents, p_wait, abandon_rate (Erlang A only), simple_agents
    and workload_erlangs. simple_agents is the simple formula at interval level: the workload in
    Erlangs / max_occupancy, rounded up (agents on the phones, as `agents` is, before shrinkage).

    An interval with no contacts needs no agents (its aht_seconds may then be missing). contacts
    must be numbers >= 0 and aht_seconds > 0 where there are contacts, else ValueError.

    Erlang C runs for all intervals together (a month of 30-minute intervals takes milliseconds);
    Erlang A runs interval by interval, reusing results for repeated (contacts, AHT) pairs.
    """
    _check(interval_seconds > 0, f"interval_seconds must be > 0, not {interval_seconds}")
    _check(target_seconds >= 0, f"target_seconds must be >= 0, not {target_seconds}")
    _check_targets(service_level, max_occupancy, shrinkage)
    if patience_seconds is not None:
        _check(patience_seconds > 0, f"patience_seconds must be > 0, not {patience_seconds}")
    contacts = pd.to_numeric(intervals["contacts"], errors="coerce").to_numpy(dtype="float64")
    aht = pd.to_numeric(intervals["aht_seconds"], errors="coerce").to_numpy(dtype="float64")
    bad = ~np.isfinite(contacts) | (contacts < 0)
    _check(not bad.any(), f"contacts: {int(bad.sum())} intervals are not numbers >= 0")
    busy = contacts > 0
    bad = busy & ~(np.isfinite(aht) & (aht > 0))
    _check(not bad.any(), f"aht_seconds: {int(bad.sum())} intervals with contacts have no AHT > 0")
    aht = np.where(busy, aht, 1.0)
    traffic = np.where(busy, contacts * aht / interval_seconds, 0.0)

    agents, p_wait = _erlang_c_search(traffic, aht, target_seconds, service_level, max_occupancy)
    rows = [_erlang_c_result(a, h, int(n), float(p), target_seconds, shrinkage)
            for a, h, n, p in zip(traffic, aht, agents, p_wait, strict=True)]
    if patience_seconds is not None:
        done: dict[tuple[float, float], Staffing] = {}
        for i, (count, handle, load, guess) in enumerate(zip(contacts, aht, traffic, agents, strict=True)):
            if load == 0:
                rows[i] = Staffing(0, 1.0, 0.0, 0.0, 0, 0.0, 0.0)
            elif math.isinf(patience_seconds):
                rows[i] = Staffing(**{**rows[i].__dict__, "abandon_rate": 0.0})
            else:
                if (count, handle) not in done:
                    done[count, handle] = _erlang_a_search(
                        float(load), float(handle), float(patience_seconds), int(guess), service_level,
                        float(target_seconds), max_occupancy, shrinkage)
                rows[i] = done[count, handle]

    frame = intervals.copy()
    frame["agents"] = np.array([r.agents for r in rows], dtype="int64")
    frame["service_level"] = np.array([r.service_level for r in rows], dtype="float64")
    frame["asa_seconds"] = np.array([r.asa_seconds for r in rows], dtype="float64")
    frame["occupancy"] = np.array([r.occupancy for r in rows], dtype="float64")
    frame["scheduled_agents"] = np.array([r.scheduled_agents for r in rows], dtype="int64")
    frame["p_wait"] = np.array([r.p_wait for r in rows], dtype="float64")
    if patience_seconds is not None:
        frame["abandon_rate"] = np.array([r.abandon_rate for r in rows], dtype="float64")
    frame["simple_agents"] = np.ceil(np.round(traffic / max_occupancy, 9)).astype("int64")
    frame["workload_erlangs"] = traffic
    return frame


def by_day(result: pd.DataFrame, interval_seconds: float) -> pd.DataFrame:
    """Each local day of a staffing (the frame of staff_intervals): contacts, agent-hours by Erlang and
    by the simple formula, scheduled hours, the peak, and the average occupancy (workload / agents)."""
    hours = interval_seconds / 3600
    summary = result.groupby(result["ts"].dt.date).agg(
        contacts=("contacts", "sum"), agents=("agents", "sum"), simple=("simple_agents", "sum"),
        scheduled=("scheduled_agents", "sum"), peak=("agents", "max"), workload=("workload_erlangs", "sum"))
    return pd.DataFrame({
        "day": summary.index, "contacts": summary["contacts"],
        "agent_hours": summary["agents"] * hours, "simple_agent_hours": summary["simple"] * hours,
        "scheduled_hours": summary["scheduled"] * hours, "peak_agents": summary["peak"],
        "occupancy_pct": 100 * summary["workload"] / summary["agents"].where(summary["agents"] > 0)},
    ).reset_index(drop=True)


def patience_seconds(store, channels: tuple[str, ...], queues: tuple[str, ...], as_of: date,
                     weeks: int = PATIENCE_WEEKS) -> float | None:
    """Mean customer patience of the live queues over the weeks before the as-of date, for Erlang A:
    time waited by every live offered contact (answered or not) over the abandons, the exponential
    model's estimate with censoring. None without enough abandons (patience cannot be told)."""
    timezone = store.settings.timezone
    frame = store.query_once("forecast_series", minutes=1440, timezone=timezone,
                             channels=tuple(channels), queues=tuple(queues),
                             before=calendar.local_midnight(as_of, timezone).to_pydatetime())
    start = calendar.local_midnight(as_of - timedelta(weeks=weeks), timezone)
    recent = frame[pd.to_datetime(frame["slot"], utc=True) >= start]
    abandoned = recent["live_abandoned"].sum()
    if abandoned < MIN_ABANDONS:
        return None
    return float(recent["live_queue_seconds"].sum() / abandoned)


def schedule_gaps(required: pd.DataFrame, schedule: pd.DataFrame, against: str = "agents") -> pd.DataFrame:
    """The schedule against the requirement, interval by interval.

    required: ts and the requirement columns of staff_intervals (agents, scheduled_agents);
    schedule: ts, agents (as cxdash.importers.schedule.read_schedule gives it). Intervals are
    matched by instant, so the two may be in different time zones (both must be tz-aware, or both
    naive). Schedule rows for intervals not in `required` are ignored.

    Returns one row per required interval: ts, required, scheduled (NaN where the schedule has no
    row), gap = scheduled - required, and status: "under" (gap < 0: fewer than required), "ok"
    (exactly the required number), "over" (gap >= 1: at least one agent more than required) or
    "no schedule". Counts are whole agents, so there is no band between ok and over.

    By default the requirement is `agents`, the agents needed on the phones: right for a schedule
    that counts agents available to take contacts. For a schedule that counts people rostered
    (before breaks, training and absence), compare with against="scheduled_agents".
    """
    _check(against in ("agents", "scheduled_agents"),
           f"against must be 'agents' or 'scheduled_agents', not {against!r}")
    wanted, planned = pd.Series(required["ts"]), pd.Series(schedule["ts"])
    zoned = [isinstance(s.dtype, pd.DatetimeTZDtype) for s in (wanted, planned) if len(s)]
    _check(len(set(zoned)) <= 1, "required and schedule ts must both be tz-aware or both naive")
    planned_agents = pd.Series(schedule["agents"].to_numpy(dtype="float64"), index=_instants(planned))
    planned_agents = planned_agents[~planned_agents.index.duplicated(keep="first")]
    frame = pd.DataFrame({"ts": wanted.reset_index(drop=True),
                          "required": required[against].to_numpy(dtype="int64")})
    frame["scheduled"] = planned_agents.reindex(_instants(wanted)).to_numpy(dtype="float64")
    frame["gap"] = frame["scheduled"] - frame["required"]
    frame["status"] = np.select([frame["scheduled"].isna(), frame["gap"] < 0, frame["gap"] == 0],
                                ["no schedule", "under", "ok"], default="over")
    return frame


def _instants(ts: pd.Series) -> pd.Index:
    """Timestamps as nanoseconds (UTC when tz-aware), to match instants across zones and units."""
    values = pd.to_datetime(ts)
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_convert("UTC").dt.tz_localize(None)
    return pd.Index(values.dt.as_unit("ns").astype("int64"))


def _traffic(contacts: float, interval_seconds: float, aht_seconds: float, target_seconds: float) -> float:
    """The offered load in Erlangs, after checking the inputs."""
    _check(contacts >= 0 and math.isfinite(contacts), f"contacts must be a number >= 0, not {contacts}")
    _check(interval_seconds > 0 and math.isfinite(interval_seconds),
           f"interval_seconds must be > 0, not {interval_seconds}")
    _check(aht_seconds > 0 and math.isfinite(aht_seconds), f"aht_seconds must be > 0, not {aht_seconds}")
    _check(target_seconds >= 0 and math.isfinite(target_seconds),
           f"target_seconds must be >= 0, not {target_seconds}")
    return contacts * aht_seconds / interval_seconds


def _check_targets(service_level: float, max_occupancy: float, shrinkage: float) -> None:
    _check(0 < service_level < 1, f"service_level must be in (0, 1), not {service_level}")
    _check(0 < max_occupancy <= 1, f"max_occupancy must be in (0, 1], not {max_occupancy}")
    _check(0 <= shrinkage < 1, f"shrinkage must be in [0, 1), not {shrinkage}")


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)
