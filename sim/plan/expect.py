"""What a compiled plan implies before anything runs: the long-run share of each trader
group, the probability that a group visits each station, the offered load of every
server pool and the shipments expected in a window.

``mrasim validate`` prints these, the run sizes itself with them, and the warm-up
and warnings are derived from them: all are exact functions of the plan (no
simulation), so they can be tested against hand computations.
"""

from __future__ import annotations

import numpy as np

from sim.model.calendars import WEEK, open_hours
from sim.model.vocabulary import GROUPS
from sim.plan.compile import Plan, PortPlan


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


def offered_loads(plan: Plan, port: PortPlan) -> dict[str, float]:
    """Work arriving per scheduled server-hour at each station's general servers.

    Reserved servers are assumed to take their groups' work up to their own
    capacity, and the general servers everything else: a load of 1 or more
    means the general queue grows without bound.
    """
    return {station: loads[0] for station, loads in pool_loads(plan, port).items()}


def pool_loads(plan: Plan, port: PortPlan) -> dict[str, tuple[float, float]]:
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
        general, reserved = (_capacity(plan, port, p) for p in (general_pool, reserved_pool))
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


def _capacity(plan: Plan, port: PortPlan, pool: int) -> float:
    """Average scheduled servers of a pool over the week."""
    starts, ends = plan.calendars.bounds(int(port.pool_calendar[pool]))
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
