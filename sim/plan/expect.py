"""What a compiled plan implies before anything runs: the long-run share of each trader
group, the probability that a group visits each station, the offered load of every
server pool and the shipments expected in a window.

``mrasim validate`` prints these, the run sizes itself with them, and the warm-up
and warnings are derived from them: all are exact functions of the plan (no
simulation), so they can be tested against hand computations.
"""

from __future__ import annotations

import math

import numpy as np

from sim.model.calendars import WEEK, open_hours
from sim.model.vocabulary import CHANNELS, GROUPS
from sim.plan.arrays import Calendars, PortPlan, StageDists


def group_probabilities(port: PortPlan) -> np.ndarray:
    """Long-run share of shipments in each trader group (standard, national, recognised)."""
    weights = np.diff(np.concatenate(([0.0], port.origin_cumulative)))
    recognised = float(weights @ port.eligible_share) * port.claim_probability
    national = port.national_aeo_share
    both = national * recognised
    if port.recognised_first:
        shares = (1 - national) * (1 - recognised), national - both, recognised
    else:
        shares = (1 - national) * (1 - recognised), national, recognised - both
    return np.array(shares)


def offered_loads(calendars: Calendars, port: PortPlan) -> dict[str, float]:
    """Work arriving per scheduled server-hour at each station's general servers.

    Reserved servers are assumed to take their groups' work up to their own
    capacity, and the general servers everything else: a load of 1 or more
    means the general queue grows without bound.
    """
    return {station: loads[0] for station, loads in pool_loads(calendars, port).items()}


def pool_loads(calendars: Calendars, port: PortPlan) -> dict[str, tuple[float, float]]:
    """(general, reserved) offered load of each station; reserved is 0 without reserved servers."""
    groups = group_probabilities(port)
    shipments_per_hour = port.hourly_rate.mean() * (port.batch_size.mean if port.batch_size else 1)
    visits = visit_probabilities(port)
    loads = {}
    for s, station in enumerate(port.stations):
        work = np.zeros(len(GROUPS))  # server-hours per hour, by group
        for g in range(len(GROUPS)):
            work[g] = shipments_per_hour * groups[g] * visits[s, g] * port.service[s][g].mean
        general_pool, reserved_pool = port.pools(s)
        general, reserved = (_capacity(calendars, port, p) for p in (general_pool, reserved_pool))
        taken = min(float(work[port.pool_serves[reserved_pool]].sum()), reserved)
        loads[station] = (
            (work.sum() - taken) / general if general > 0 else np.inf,
            taken / reserved if reserved > 0 else 0.0,
        )
    return loads


def visit_probabilities(port: PortPlan) -> np.ndarray:
    """(stations, groups): the probability that a shipment of each group visits each station."""
    visits = np.zeros((len(port.stations), len(GROUPS)))
    for g in range(len(GROUPS)):
        p_green, p_green_yellow = port.channel_cumulative[g]
        for c, p in enumerate((p_green, p_green_yellow - p_green, 1 - p_green_yellow)):
            visits[port.route_station[c, : port.route_length[c]], g] += p
    return visits


def _capacity(calendars: Calendars, port: PortPlan, pool: int) -> float:
    """Average scheduled servers of a pool over the week."""
    starts, ends = calendars.bounds(int(port.pool_calendar[pool]))
    return port.pool_servers[pool] * open_hours(starts, ends, 0.0, WEEK) / WEEK


def expected_arrivals(port: PortPlan, start: float, end: float) -> float:
    """Expected shipments arriving in [start, end): the weekly-hourly rate integrated, x batch."""
    cumulative = np.concatenate(([0.0], np.cumsum(port.hourly_rate)))
    week = cumulative[-1]

    def integral(t: float) -> float:  # expected arrival epochs in [0, t)
        weeks, hour = divmod(t, len(port.hourly_rate))
        whole = int(hour)
        return weeks * week + cumulative[whole] + (hour - whole) * port.hourly_rate[whole % 168]

    per_epoch = port.batch_size.mean if port.batch_size is not None else 1.0
    return (integral(end) - integral(start)) * max(per_epoch, 1.0)


def queued_share(port: PortPlan) -> float:
    """At most the share of a port's shipments that meet a queue: that of the group most
    often sent to a channel with checks (the groups' mix is a weighted mean of theirs)."""
    green, not_red = port.channel_cumulative[:, 0], port.channel_cumulative[:, 1]
    share = np.zeros(len(green))
    for channel, p in enumerate((green, not_red - green, 1.0 - not_red)):
        if port.route_length[channel] > 0:
            share += p
    return float(min(1.0, share.max(initial=0.0)))


# --- how long the system takes to fill and to drain ------------------------------

FILL_QUANTILE = 0.95
"""The warm-up waits until this share of shipments reach the stations as fast as they will
(their later lag of unloading and lodgement has passed)."""
DRAIN_QUANTILE = 0.99
"""Arrivals go on until about this share of counted shipments have left the stations (queues
aside): the few left meet queues that have begun to empty (:mod:`sim.engine.drain`)."""
QUEUE_ALLOWANCE_H = 72.0
"""Room in the drain for the queues and calendars: a weekend closed and a day of waiting."""


def _stage_quantile(stage: StageDists | None, channel: int, group: int, q: float) -> float:
    if stage is None or stage[channel] is None:
        return 0.0
    return float(stage[channel][group].quantile(q))  # type: ignore[index]


def ready_lag_h(port: PortPlan, q: float) -> float:
    """The q-quantile of the later of unloading and a late lodgement, the largest over
    channels and groups: how long after arriving shipments reach the stations."""
    return max(
        max(
            _stage_quantile(port.unloading, channel, group, q),
            _stage_quantile(port.lodgement_delay, channel, group, q),
        )
        for channel in range(len(CHANNELS))
        for group in range(len(GROUPS))
    )


def _service_quantile(port: PortPlan, q: float) -> float:
    """The q-quantiles of the services of the longest route, summed (a bound)."""
    longest = 0.0
    for channel in range(len(CHANNELS)):
        stations = port.route_station[channel, : port.route_length[channel]]
        for group in range(len(GROUPS)):
            total = sum(float(port.service[s][group].quantile(q)) for s in stations)
            longest = max(longest, total)
    return longest


MAX_BACKLOG_H = 8 * WEEK
"""The longest a station loaded past its capacity keeps arrivals going: its queue has no
end, and the run warns of it (:func:`sim.interpret.describe.scenario_warnings`)."""


def drain_h(calendars: Calendars, port: PortPlan) -> float:
    """How long arrivals go on after the window (:mod:`sim.engine.drain`): the lags and
    services of all but a few counted shipments in a hundred, room for queues and closed
    calendars, and the backlog of a station loaded past its capacity (about (load - 1)
    times the period simulated, at most :data:`MAX_BACKLOG_H`)."""
    lag = ready_lag_h(port, DRAIN_QUANTILE) + _service_quantile(port, DRAIN_QUANTILE)
    worst = max((max(loads) for loads in pool_loads(calendars, port).values()), default=0.0)
    backlog = min(max(worst - 1.0, 0.0) * port.window[1], MAX_BACKLOG_H)
    return lag + QUEUE_ALLOWANCE_H + backlog


def simulated_shipments(ports: tuple[PortPlan, ...]) -> float:
    """Shipments a replication is expected to simulate: warm-up, window and drain."""
    return sum(expected_arrivals(port, 0.0, simulated_until_h(port)) for port in ports)


def simulated_until_h(port: PortPlan) -> float:
    """Until when a port's arrivals are simulated: its window, then the drain."""
    return port.window[1] + port.drain_h


RELAXATIONS = 10.0
"""Relaxation times (Morse's, :func:`relaxation_h`) a queue is given to forget that it
started empty. The mean wait of an M/M/3 queue at load 0.9 measured about twice Morse's
time to settle (its transient has a power-law factor besides the exponential), so ten
of Morse's leave about e^-5 of the start-up deviation: under 1% (tested)."""
MAX_WARMUP_WEEKS = 12
"""A port that needs more (a station loaded near capacity) gets this: its queue is slow to
settle, and the output's own check (:mod:`sim.replicate.warmup`) says if it did not."""


def relaxation_h(calendars: Calendars, port: PortPlan) -> float:
    """The longest relaxation time of the port's server pools, in hours.

    Morse's relaxation time of an M/M/1 queue, ``1 / (mu (1 - sqrt(rho))^2)``, taken
    for each pool as one server as fast as its average scheduled servers together
    (``mu`` = their number over the mean service time of the work it serves, ``rho`` its
    offered load), stretched by ``(1 + cs^2) / 2`` for the service times' variability
    (heavy-traffic diffusion scaling): a heuristic, checked by the warm-up test on an
    M/M/c queue and by the truncation rule on each run's output
    (:mod:`sim.replicate.warmup`).
    """
    groups = group_probabilities(port)
    visits = visit_probabilities(port)
    slowest = 0.0
    for s, (general_load, reserved_load) in enumerate(pool_loads(calendars, port).values()):
        weights = groups * visits[s]
        if weights.sum() <= 0:
            continue
        mix = weights / weights.sum()
        service = float(sum(w * port.service[s][g].mean for g, w in enumerate(mix)))
        second = sum(
            w * (port.service[s][g].variance + port.service[s][g].mean ** 2)
            for g, w in enumerate(mix)
        )
        stretch = (1.0 + (second - service**2) / service**2) / 2.0 if service > 0 else 1.0
        for pool, load in zip(port.pools(s), (general_load, reserved_load), strict=True):
            servers = _capacity(calendars, port, pool)
            if servers <= 0 or load <= 0:
                continue
            if load >= 1:
                return math.inf
            slowest = max(slowest, stretch * service / servers / (1.0 - math.sqrt(load)) ** 2)
    return slowest


def fill_lag_h(port: PortPlan) -> float:
    """How long after the start arrivals take to reach the stations at their steady rate
    (:data:`FILL_QUANTILE`)."""
    return ready_lag_h(port, FILL_QUANTILE)


def warmup_needed_days(calendars: Calendars, port: PortPlan) -> float:
    """The warm-up a port needs, in days of whole weeks: the lag before its arrivals reach
    the stations at their steady rate, and five relaxation times of its queues.

    Whole weeks: calendars and arrival profiles repeat weekly, so the counted window
    starts on a Monday, as the scenario does; at least one week when anything follows a
    weekly pattern (the first week starts from empty whatever the loads). Capped at
    :data:`MAX_WARMUP_WEEKS`; a station loaded past its capacity has no steady state to
    wait for, and is left to its own warning.
    """
    relaxation = relaxation_h(calendars, port)
    if not math.isfinite(relaxation):  # loaded past capacity: no steady state to wait for
        relaxation = 0.0  # (the run warns of the overload: scenario_warnings)
    hours = fill_lag_h(port) + RELAXATIONS * relaxation
    weeks = math.ceil(hours / WEEK)
    weekly = int(_follows_the_week(calendars, port))
    return 7.0 * min(max(weeks, weekly), MAX_WARMUP_WEEKS)


def _follows_the_week(calendars: Calendars, port: PortPlan) -> bool:
    """Whether a port's arrivals or any of its calendars change over the week."""
    used = (
        *port.pool_calendar,
        *port.lodgement_calendar,
        *port.unloading_calendar,
        *port.release_calendar,
    )
    closed = any(calendars.bounds(int(c))[0].size > 0 for c in used if c >= 0)
    return closed or bool((port.hourly_rate != port.hourly_rate[0]).any())
