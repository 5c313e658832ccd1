"""The reference engine: SimPy, one process per shipment, every rule written out.

This engine is the readable statement of the model; the numba engine must
return exactly the same numbers. Both implement these queue semantics:

1. A server starts a job only while its pool's calendar is open; a started job
   runs to the end, past closing if need be (the excess is overtime).
2. Waiting shipments are served by priority level, then by the time they joined
   this queue, then by shipment index. A station's reserved pool (servers of
   the station's own for some groups) is filled before its general pool.
3. Simultaneous events: at each instant, *every* state change at that instant
   is applied first (shipments ready to join their first queue, service
   completions that free a server and move their shipment on, calendar
   openings); only then does the port's dispatcher assign free servers, station
   by station in file order. Since the assignment depends only on the rule in
   (2), the order in which same-instant changes are applied cannot matter. A
   job that takes zero time finishes at the same instant but in a new round
   (changes, then dispatch): its shipment joins the next queue after that
   queue's dispatch of this instant, so shipments already there at the first
   round may start first even with a higher index.

SimPy's ``PriorityResource`` is not used: at coincident times it grants a freed
server one event late, so a same-instant newcomer can overtake a waiting
shipment. Instead each station keeps explicit waiting lists, and the
dispatcher runs as a late-priority event, after every ordinary event of its
instant.
"""

from __future__ import annotations

import heapq
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import simpy
from simpy.events import NORMAL, Event, EventPriority

from sim.engine.inputs import PortInputs
from sim.engine.outcome import PortOutcome, queued_shipments
from sim.model.calendars import advance, last_open, next_open, opening_at, shift_end
from sim.plan.arrays import Calendars, PortPlan, kind_of_pool

END_OF_INSTANT = EventPriority(NORMAL + 1)
"""Event priority of the dispatcher: after every ordinary event at the same time."""


class Timeline(simpy.Environment):
    """A SimPy environment that also schedules at absolute times.

    ``env.timeout(t - env.now)`` fires at ``now + (t - now)``, which in floating
    point need not equal ``t``; an event meant for a calendar opening must fire
    at exactly that opening.
    """

    def at(self, time: float, priority: EventPriority = NORMAL) -> Event:
        event = Event(self)
        event._ok, event._value = True, None
        heapq.heappush(self._queue, (time, priority, next(self._eid), event))
        return event


@dataclass
class Pool:
    """Identical servers sharing a calendar, and the groups they may serve."""

    kind: int  # GENERAL or RESERVED, as recorded in PortOutcome.pool
    servers: int
    serves: tuple[bool, bool, bool]
    starts: np.ndarray  # every calendar's intervals; this pool's are rows lo to lo + m
    ends: np.ndarray
    lo: int
    m: int  # weekly intervals of the pool's calendar; 0: always open
    busy: int = 0
    cursor: tuple[int, int] = (0, 0)  # calendar interval (week, number in the week): the
    # open one, or the next to open
    wake_at: float = -1.0  # the opening a wake-up is scheduled for

    def open_at(self, t: float) -> bool:
        if self.m == 0:
            return True
        self.cursor = advance(self.starts, self.ends, self.lo, self.m, *self.cursor, t)
        return opening_at(self.starts, self.lo, *self.cursor) <= t

    def shift_close(self) -> float:
        """End of the current shift (call after ``open_at`` returned True)."""
        if self.m == 0:
            return np.inf
        return shift_end(self.starts, self.ends, self.lo, self.m, *self.cursor)

    def next_opening(self) -> float:
        """The opening the cursor points at (call after ``open_at`` returned False)."""
        return opening_at(self.starts, self.lo, *self.cursor)


@dataclass
class Station:
    """Waiting lists per trader group and two server pools (reserved, general)."""

    index: int
    priority: tuple[int, int, int]
    pools: tuple[Pool, Pool]  # (reserved, general): reserved servers are offered work first
    waiting: tuple[list, list, list] = field(default_factory=lambda: ([], [], []))

    def join(self, k: int, group: int, t: float, grant: Event) -> None:
        heapq.heappush(self.waiting[group], (t, k, grant))

    def best_waiting(self, pool: Pool) -> int:
        """The group whose first shipment comes next by (priority, join time, index), or -1."""
        best, best_key = -1, None
        for group, queue in enumerate(self.waiting):
            if queue and pool.serves[group]:
                key = (self.priority[group], queue[0][0], queue[0][1])
                if best_key is None or key < best_key:
                    best, best_key = group, key
        return best


class PortModel:
    """One port's queueing network in SimPy."""

    def __init__(self, env: Timeline, plan: PortPlan, calendars: Calendars, inputs: PortInputs):
        self.env, self.plan, self.inputs = env, plan, inputs
        self.calendars = calendars
        queued = queued_shipments(plan.route_length, inputs.channel)
        self.out = PortOutcome.empty(len(plan.stations), inputs.n, queued)
        self.column = {int(k): j for j, k in enumerate(queued)}  # a queued shipment's column
        self.stations = [self._station(s) for s in range(len(plan.stations))]
        self._dispatch_pending = False

    def _station(self, s: int) -> Station:
        def pool(p: int) -> Pool:
            lo, m = self.calendars.span(int(self.plan.pool_calendar[p]))
            standard, national, recognised = (bool(x) for x in self.plan.pool_serves[p])
            return Pool(
                kind=kind_of_pool(p),
                servers=int(self.plan.pool_servers[p]),
                serves=(standard, national, recognised),  # GROUPS order
                starts=self.calendars.starts,
                ends=self.calendars.ends,
                lo=lo,
                m=m,
            )

        standard, national, recognised = (int(x) for x in self.plan.priority[s])
        general, reserved = self.plan.pools(s)
        return Station(s, (standard, national, recognised), (pool(reserved), pool(general)))

    # --- processes ---

    def source(self) -> Generator[Event, None, None]:
        """Start each shipment's process at its arrival."""
        for k, arrival in enumerate(self.inputs.arrival):
            yield self.env.at(float(arrival))
            self.env.process(self.shipment(k))

    def shipment(self, k: int) -> Generator[Event, Any, None]:  # SimPy sends each event's value
        """Arrival -> unloading -> lodgement -> the channel's stations -> release.

        Each delay's calendar is the one of the shipment's channel (none where the
        channel has no such delay).
        """
        plan, inputs, out, env = self.plan, self.inputs, self.out, self.env
        channel, group = inputs.channel[k], int(inputs.group[k])
        unloaded = self._next_open(plan.unloading_calendar[channel], env.now) + inputs.unloading[k]
        out.unloaded[k] = unloaded
        # the lag has run (inputs.lodgement); the broker lodges in office hours: after the
        # lag, or, for a declaration lodged ahead, before it (so it stays ahead of arrival)
        if inputs.lodgement[k] < inputs.arrival[k]:
            lodged = self._last_open(plan.lodgement_calendar[channel], inputs.lodgement[k])
        else:
            lodged = self._next_open(plan.lodgement_calendar[channel], inputs.lodgement[k])
        out.lodged[k] = lodged
        yield env.at(max(unloaded, lodged))  # goods and declaration both ready

        for step in range(plan.route_length[channel]):
            station = self.stations[plan.route_station[channel, step]]
            grant = Event(env)
            station.join(k, group, env.now, grant)
            self.request_dispatch()
            pool: Pool = yield grant  # the dispatcher chose this shipment for a server of `pool`
            start = env.now
            end = start + inputs.service[station.index, k]
            j = self.column[k]
            out.start[station.index, j] = start
            out.end[station.index, j] = end
            out.pool[station.index, j] = pool.kind
            close = pool.shift_close()
            out.overtime[station.index, j] = end - close if end > close else 0.0
            yield env.at(end)
            pool.busy -= 1
            self.request_dispatch()

        # the release delay needs no server: nothing can change it now
        out.release[k] = (
            self._next_open(plan.release_calendar[channel], env.now) + inputs.release_delay[k]
        )

    def _next_open(self, calendar: int, t: float) -> float:
        lo, m = self.calendars.span(int(calendar))
        return next_open(self.calendars.starts, self.calendars.ends, lo, m, t)

    def _last_open(self, calendar: int, t: float) -> float:
        lo, m = self.calendars.span(int(calendar))
        return last_open(self.calendars.starts, self.calendars.ends, lo, m, t)

    # --- the dispatcher ---

    def request_dispatch(self) -> None:
        """Dispatch once at the end of this instant, however many changes it brings."""
        if not self._dispatch_pending:
            self._dispatch_pending = True
            self.env.at(self.env.now, END_OF_INSTANT).callbacks.append(self._dispatch)

    def _dispatch(self, _: Event) -> None:
        self._dispatch_pending = False
        now = self.env.now
        for station in self.stations:
            for pool in station.pools:
                self._fill(station, pool, now)

    def _fill(self, station: Station, pool: Pool, now: float) -> None:
        """Give each free server of an open pool the next waiting shipment it may serve."""
        if pool.servers == 0 or station.best_waiting(pool) < 0:
            return
        if not pool.open_at(now):
            self._wake_at_opening(pool)
            return
        while pool.busy < pool.servers:
            group = station.best_waiting(pool)
            if group < 0:
                return
            _, _, grant = heapq.heappop(station.waiting[group])
            pool.busy += 1
            grant.succeed(pool)

    def _wake_at_opening(self, pool: Pool) -> None:
        opening = pool.next_opening()
        if pool.wake_at != opening:
            pool.wake_at = opening
            self.env.at(opening).callbacks.append(lambda _: self.request_dispatch())


def run_port(plan: PortPlan, calendars: Calendars, inputs: PortInputs) -> PortOutcome:
    """Simulate one port until every shipment is released."""
    env = Timeline()
    model = PortModel(env, plan, calendars, inputs)
    env.process(model.source())
    env.run()
    return model.out
