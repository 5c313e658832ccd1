"""The compiled engine: one ``@njit(cache=True)`` event loop per port.

It implements the queue semantics stated in :mod:`sim.engine_simpy` and reads
the same :class:`~sim.inputs.PortInputs`; a test compares the two engines' records
bit for bit. The loop keeps, per instant, the same two phases as the reference:
apply every change at the instant (first joins, completions, calendar
wake-ups), then dispatch every station that changed.

Data structures, chosen for the shape of the problem:

* **Waiting lists** are one FIFO array per (station, group). Shipments join in
  time order, so a queue is sorted by join time by construction; only joins at
  the *same* instant need ordering by index, done by insertion at the tail.
  The next shipment of a station is the best of at most three queue heads.
* **Pending events** (service completions and calendar wake-ups) are never
  more than the servers plus the pools; they sit in a binary min-heap, and at
  each instant every event due is popped. An unsorted array scanned at each
  instant was 15% faster at a 21-server office but cost O(servers) per event:
  at a port with a hundred officers it took ~1-2 us per queued shipment, five
  times the heap's. The order in which same-instant events are applied does not
  matter (every change of the instant is applied before any dispatch, and
  same-instant joins are ordered by index). First joins come from the shipments
  pre-sorted by ready time.
"""

from __future__ import annotations

import types
from typing import Any

import numpy as np
from numba import njit

from sim.engine.inputs import PortInputs
from sim.engine.outcome import PortOutcome
from sim.model import calendars as cal
from sim.plan.arrays import (
    GENERAL,
    RESERVED,
    Calendars,
    PortPlan,
    kind_of_pool,
    pool_index,
    station_of_pool,
)

# the plan's pool numbering, inlined where the event loop reads it
_pool_index = njit(inline="always")(pool_index)
_station_of_pool = njit(inline="always")(station_of_pool)
_kind_of_pool = njit(inline="always")(kind_of_pool)

inline = njit(cache=True, inline="always")
"""For helpers called in the hot loop. Numba inlines them into the caller's IR:
an ordinary call costs a reference-count update for every array argument,
which here cost more than the helpers' own work (measured: 5x on the loop)."""


def _compile_calendar_arithmetic() -> dict[str, Any]:
    """Compile the calendar functions of :mod:`sim.calendars`, exactly as written there.

    Each function is cloned into a namespace where its calls to the others
    resolve to their compiled versions; the reference engine runs the originals.
    """
    namespace = dict(vars(cal))
    for name in SHARED:
        source = getattr(cal, name)
        clone = types.FunctionType(source.__code__, namespace, name, source.__defaults__)
        namespace[name] = inline(clone)
    return namespace


SHARED = (
    "interval_open",
    "interval_close",
    "opening_at",
    "closing_at",
    "advance",
    "week_and_interval",
    "first_interval",
    "next_open",
    "last_open",
    "shift_end",
)
_compiled = _compile_calendar_arithmetic()
opening_at = _compiled["opening_at"]
advance = _compiled["advance"]
next_open = _compiled["next_open"]
last_open = _compiled["last_open"]
shift_end = _compiled["shift_end"]


@inline
def _span(offsets, c):
    """(first row, number of weekly intervals) of calendar c; (0, 0) for always open."""
    if c < 0:
        return 0, 0
    return offsets[c], offsets[c + 1] - offsets[c]


@inline
def _push(due, event, n, time, what):
    """Add an event to the binary min-heap of n events; return the new size."""
    i = n
    while i > 0:
        parent = (i - 1) >> 1
        if due[parent] <= time:
            break
        due[i] = due[parent]
        event[i] = event[parent]
        i = parent
    due[i] = time
    event[i] = what
    return n + 1


@inline
def _pop(due, event, n):
    """Remove the earliest event (the root) of a heap of n events; return the new size.

    The earlier child is chosen by arithmetic, not a branch: which one it is was a
    coin toss the CPU mispredicted at every level. (The right child's slot is read even
    when past the last event: ``due`` has room for one more, and the count ignores it.)
    """
    n -= 1
    time, what = due[n], event[n]  # the last leaf sifts down from the root
    i = 0
    while True:
        child = 2 * i + 1
        if child >= n:
            break
        child += (child + 1 < n) & (due[child + 1] < due[child])
        if due[child] >= time:
            break
        due[i] = due[child]
        event[i] = event[child]
        i = child
    due[i] = time
    event[i] = what
    return n


@njit(cache=True)
def before_queues(
    arrival,
    lodgement,
    unloading,
    channel,
    route_length,
    release_delay,
    lodgement_calendar,
    unloading_calendar,
    release_calendar,
    cal_starts,
    cal_ends,
    cal_offsets,
    unloaded,
    lodged,
    release,
):
    """What needs no queue: unloading, lodgement, readiness, and route-less releases.

    Returns the ready times (goods unloaded and declaration lodged) and the
    shipments that meet a queue, in index order. A shipment whose channel has no
    checks never meets a queue, so its release is known here and it stays out of
    the event loop.
    """
    n = arrival.shape[0]
    n_queued = 0
    for k in range(n):
        n_queued += route_length[channel[k]] > 0
    queued = np.empty(n_queued + 1, dtype=np.int64)  # (+ 1: every index is written, kept or not)
    n_queued = 0
    ready = np.empty(n)
    for k in range(n):
        c = channel[k]
        lo, m = _span(cal_offsets, unloading_calendar[c])
        unloaded[k] = next_open(cal_starts, cal_ends, lo, m, arrival[k]) + unloading[k]
        lo, m = _span(cal_offsets, lodgement_calendar[c])
        if lodgement[k] < arrival[k]:  # lodged ahead: in the office hours before, not after
            lodged[k] = last_open(cal_starts, cal_ends, lo, m, lodgement[k])
        else:
            lodged[k] = next_open(cal_starts, cal_ends, lo, m, lodgement[k])
        ready[k] = unloaded[k] if unloaded[k] >= lodged[k] else lodged[k]
        if route_length[c] == 0:
            lo, m = _span(cal_offsets, release_calendar[c])
            release[k] = next_open(cal_starts, cal_ends, lo, m, ready[k]) + release_delay[k]
        queued[n_queued] = k  # kept if it meets a queue (without a branch)
        n_queued += route_length[c] > 0
    return ready, queued[:n_queued]


@njit(cache=True)
def simulate_port(
    ready,
    queued,
    by_time,
    group,
    channel,
    release_delay,
    service,
    route_length,
    route_station,
    pool_servers,
    pool_calendar,
    pool_serves,
    priority,
    release_calendar,
    cal_starts,
    cal_ends,
    cal_offsets,
    start,
    end,
    overtime,
    pool_used,
    release,
):
    """Simulate the shipments that meet a queue (``queued``, in index order), by ready time.

    ``by_time[i]`` is the position in ``queued`` of the shipment of rank i in ready
    order (:func:`ready_ranks`). Inside, a shipment is known by its rank i, and what
    the loop reads of it is first copied into rank order: the loop visits shipments
    roughly in time order, so it then reads memory roughly in sequence, where reads by index
    (arrival order) missed the cache on every port of more than a few thousand
    shipments (measured: a third of the loop's time went on three such loads). The
    copy itself reads in index order (``queued``) and writes by rank (``by_time``
    inverted): reading by rank missed the cache there instead (the regional
    scenario's copies: 7.1 -> 5.3 ms, measured). Ties are still broken by the
    shipment's index, ``order[i]``, looked up only when times tie. Its times at the
    stations go to column ``by_time[i]`` of ``start``, ``end``, ``overtime`` and
    ``pool_used``: the station arrays have a column per queued shipment
    (:class:`~sim.outcome.PortOutcome`).
    """
    n = queued.shape[0]
    n_stations = priority.shape[0]
    n_pools = 2 * n_stations
    inf = np.inf

    # --- what the loop reads of each shipment, in rank order ---
    longest = route_station.shape[1]
    ranked_ready = np.empty(n)
    ranked_group = np.empty(n, dtype=np.int8)
    ranked_channel = np.empty(n, dtype=np.int8)
    ranked_delay = np.empty(n)
    ranked_service = np.empty((longest, n))  # the service time at each step of its route
    order = np.empty(n, dtype=np.int64)  # the shipment of each rank
    rank = np.empty(n, dtype=np.int64)  # the rank of queued[j]
    for i in range(n):
        order[i] = queued[by_time[i]]
        rank[by_time[i]] = i
    for j in range(n):  # shipments in index order: reads in sequence, writes by rank
        k = queued[j]
        i = rank[j]
        c = channel[k]
        ranked_ready[i] = ready[k]
        ranked_group[i] = group[k]
        ranked_channel[i] = c
        ranked_delay[i] = release_delay[k]
        for step in range(route_length[c]):
            ranked_service[step, i] = service[route_station[c, step], k]

    # --- one FIFO region per (station, group), sized by the visits it will get ---
    n_queues = n_stations * 3
    q_start = np.zeros(n_queues + 1, dtype=np.int64)
    for i in range(n):
        c = ranked_channel[i]
        for step in range(route_length[c]):
            q_start[route_station[c, step] * 3 + ranked_group[i] + 1] += 1
    for q in range(n_queues):
        q_start[q + 1] += q_start[q]
    q_head = q_start[:-1].copy()
    q_tail = q_start[:-1].copy()
    q_time = np.empty(q_start[-1])
    q_rank = np.empty(q_start[-1], dtype=np.int64)  # who waits: a rank (its index is order[rank])

    # --- server pools, events, shipment progress ---
    busy = np.zeros(n_pools, dtype=np.int64)
    cursor_week = np.zeros(n_pools, dtype=np.int64)  # each pool's calendar interval: its week
    cursor_interval = np.zeros(n_pools, dtype=np.int64)  # ... and its number in the week
    wake_at = np.full(n_pools, -1.0)
    capacity = pool_servers.sum() + n_pools + 1
    due = np.empty(capacity)  # pending events, a binary min-heap: when each is due ...
    # ... and what: i >= 0 completes rank i, -(p + 1) wakes pool p
    event = np.empty(capacity, dtype=np.int64)
    n_pending = 0
    next_due = inf  # the earliest due time
    step_of = np.zeros(n, dtype=np.int64)  # position in the route, by rank
    pool_of = np.zeros(n, dtype=np.int64)  # the pool serving it, by rank
    free = np.empty(n + capacity, dtype=np.int64)  # ranks freed at the current instant
    dirty = np.zeros(n_stations, dtype=np.bool_)

    next_ready = 0
    while True:
        t = inf
        if next_ready < n:
            t = ranked_ready[next_ready]
        if next_due < t:
            t = next_due
        if t == inf:
            break

        # phase 1: apply every change at instant t; collect the shipments it frees
        n_free = 0
        while next_ready < n and ranked_ready[next_ready] == t:
            free[n_free] = next_ready
            n_free += 1
            next_ready += 1
        while n_pending > 0 and due[0] == t:
            what = event[0]
            n_pending = _pop(due, event, n_pending)
            if what >= 0:  # a completion: the server is free, the shipment moves on
                busy[pool_of[what]] -= 1
                dirty[_station_of_pool(pool_of[what])] = True
                step_of[what] += 1
                free[n_free] = what
                n_free += 1
            else:  # a calendar opening
                dirty[_station_of_pool(-what - 1)] = True
        next_due = due[0] if n_pending > 0 else inf
        for j in range(n_free):  # each joins its next station, or is released
            i = free[j]
            k = order[i]
            c = ranked_channel[i]
            if step_of[i] == route_length[c]:
                lo, m = _span(cal_offsets, release_calendar[c])
                release[k] = next_open(cal_starts, cal_ends, lo, m, t) + ranked_delay[i]
                continue
            s = route_station[c, step_of[i]]
            q = s * 3 + ranked_group[i]
            slot = q_tail[q]  # insert (t, k) at the tail; same-instant joins go by index
            q_tail[q] = slot + 1
            while slot > q_head[q] and q_time[slot - 1] == t and order[q_rank[slot - 1]] > k:
                q_time[slot] = q_time[slot - 1]
                q_rank[slot] = q_rank[slot - 1]
                slot -= 1
            q_time[slot] = t
            q_rank[slot] = i
            dirty[s] = True

        # phase 2: dispatch the stations that changed, in station order
        for s in range(n_stations):
            if not dirty[s]:
                continue
            dirty[s] = False
            for p in (_pool_index(s, RESERVED), _pool_index(s, GENERAL)):  # reserved first
                close = -inf  # end of the current shift; -inf until the calendar is checked
                while busy[p] < pool_servers[p]:
                    # the waiting shipment next in line: (priority, join time, index)
                    best = -1
                    for g in range(3):
                        q = s * 3 + g
                        if q_head[q] == q_tail[q] or not pool_serves[p, g]:
                            continue
                        if best >= 0:
                            b = s * 3 + best
                            a, h = q_head[q], q_head[b]
                            if priority[s, g] != priority[s, best]:
                                if priority[s, g] > priority[s, best]:
                                    continue
                            elif q_time[a] != q_time[h]:
                                if q_time[a] > q_time[h]:
                                    continue
                            elif order[q_rank[a]] > order[q_rank[h]]:
                                continue
                        best = g
                    if best < 0:
                        break
                    if close == -inf:  # someone waits: is the pool open now?
                        close = inf
                        c = pool_calendar[p]
                        if c >= 0:
                            lo, m = _span(cal_offsets, c)
                            week, interval = advance(
                                cal_starts, cal_ends, lo, m, cursor_week[p], cursor_interval[p], t
                            )
                            cursor_week[p], cursor_interval[p] = week, interval
                            opening = opening_at(cal_starts, lo, week, interval)
                            if opening > t:  # closed: wake the station when it opens
                                if wake_at[p] != opening:
                                    wake_at[p] = opening
                                    n_pending = _push(due, event, n_pending, opening, -p - 1)
                                    if opening < next_due:
                                        next_due = opening
                                break
                            close = shift_end(cal_starts, cal_ends, lo, m, week, interval)
                    q = s * 3 + best
                    i = q_rank[q_head[q]]
                    k = order[i]
                    q_head[q] += 1
                    busy[p] += 1
                    pool_of[i] = p
                    j = by_time[i]  # its column: its position in ``queued``
                    pool_used[s, j] = _kind_of_pool(p)
                    finish = t + ranked_service[step_of[i], i]
                    start[s, j] = t
                    end[s, j] = finish
                    overtime[s, j] = finish - close if finish > close else 0.0
                    n_pending = _push(due, event, n_pending, finish, i)
                    if finish < next_due:
                        next_due = finish


def ready_ranks(ready: np.ndarray, queued: np.ndarray) -> np.ndarray:
    """The positions in ``queued`` of its shipments by ready time, ties by shipment index.

    The same order as a stable sort, in a third of its time: NumPy's default
    sort of floats (SIMD) is not stable, so runs of equal ready times (shipments
    that waited for the same opening) are then put in index order.
    """
    times = ready[queued]
    by_time = np.argsort(times)
    _ties_by_index(times[by_time], by_time)
    return by_time


@njit(cache=True)
def _ties_by_index(sorted_times, order):
    """Sort each run of equal times' entries of ``order`` (indices rising with the index)."""
    n = order.shape[0]
    first = 0
    while first < n:
        last = first + 1
        while last < n and sorted_times[last] == sorted_times[first]:
            last += 1
        if last - first > 1:
            order[first:last].sort()
        first = last


def run_port(plan: PortPlan, calendars: Calendars, inputs: PortInputs) -> PortOutcome:
    """Simulate one port until every shipment is released."""
    n = inputs.n
    unloaded, lodged, release = np.empty(n), np.empty(n), np.empty(n)  # every one is written
    ready, queued = before_queues(
        inputs.arrival,
        inputs.lodgement,
        inputs.unloading,
        inputs.channel,
        plan.route_length,
        inputs.release_delay,
        plan.lodgement_calendar,
        plan.unloading_calendar,
        plan.release_calendar,
        calendars.starts,
        calendars.ends,
        calendars.offsets,
        unloaded,
        lodged,
        release,
    )
    out = PortOutcome.of_queued(len(plan.stations), queued, unloaded, lodged, release)
    simulate_port(
        ready,
        queued,
        ready_ranks(ready, queued),
        inputs.group,
        inputs.channel,
        inputs.release_delay,
        inputs.service,
        plan.route_length,
        plan.route_station,
        plan.pool_servers,
        plan.pool_calendar,
        plan.pool_serves,
        plan.priority,
        plan.release_calendar,
        calendars.starts,
        calendars.ends,
        calendars.offsets,
        out.start,
        out.end,
        out.overtime,
        out.pool,
        out.release,
    )
    return out
