"""A station's start times from its join and end times, for a given number of servers.

When records give when each visit joined a station's queue and when its check
ended, but not when the check started, the start times still follow from the
station's dispatch rule once the number of servers is fixed: replay the queue,
and whenever a server is free, the pool's calendar is open and someone waits,
the next in line (priority, then join time, then arrival order; reserved servers
first) starts, and holds the server until its *recorded* end. This is the rule
both engines implement (:mod:`sim.engine_simpy`), applied to recorded ends instead
of drawn service times; a test holds the two to the same start times.

With too few servers some visit would have to start after its recorded end: the
count is impossible. With the true count the replay gives back the true starts,
so the service times (end minus start) are exact. The smallest possible count is
the estimate: with one server fewer than the truth, every stretch in which the
station is full pushes each start one departure later, and a check shorter than
that gap then ends before it starts, which stretches of full load make near certain.

Records begin in the middle of things: checks of shipments that arrived before
the first record keep servers busy unseen, so the first visits start later than a
replay from an empty station says, and it may then place a later visit after its
end. Such contradictions before ``settled`` (the end of the replay's warm-up) are
tolerated: the visit is taken as served unseen, holding no server.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sim.engine import compiled as engine_numba

INFEASIBLE = -1


@njit(cache=True)
def replay_starts(
    join,
    end,
    group,
    pool_servers,
    pool_calendar,
    pool_serves,
    priority,
    cal_starts,
    cal_ends,
    cal_offsets,
    settled,
    start,
):
    """Fill ``start`` (visits in join order, ties by arrival order); return the number of
    visits that waited, or INFEASIBLE if a visit joining at or after ``settled`` would
    have to start after its end."""
    n = join.shape[0]
    inf = np.inf
    # one FIFO per group: visits are in join order, so appending keeps each sorted
    queue = np.empty((3, n), dtype=np.int64)
    head = np.zeros(3, dtype=np.int64)
    tail = np.zeros(3, dtype=np.int64)
    capacity = pool_servers[0] + pool_servers[1]
    busy_until = np.full(capacity, inf)  # completion time of each busy server slot
    slot_pool = np.zeros(capacity, dtype=np.int64)
    busy = np.zeros(2, dtype=np.int64)
    wake = np.full(2, inf)  # the opening each pool waits for
    waited = 0
    next_join = 0
    while True:
        t = join[next_join] if next_join < n else inf
        for i in range(capacity):
            if busy_until[i] < t:
                t = busy_until[i]
        for p in range(2):
            if wake[p] < t:
                t = wake[p]
        if t == inf:
            break
        # every change at instant t: joins, completions, calendar openings
        while next_join < n and join[next_join] == t:
            g = group[next_join]
            queue[g, tail[g]] = next_join
            tail[g] += 1
            next_join += 1
        for i in range(capacity):
            if busy_until[i] == t:
                busy_until[i] = inf
                busy[slot_pool[i]] -= 1
        for p in range(2):
            if wake[p] == t:
                wake[p] = inf
        # then dispatch: reserved pool first, then general
        for p in (1, 0):
            while busy[p] < pool_servers[p]:
                best = -1
                for g in range(3):
                    if head[g] == tail[g] or not pool_serves[p, g]:
                        continue
                    if best >= 0:
                        k, b = queue[g, head[g]], queue[best, head[best]]
                        if priority[g] != priority[best]:
                            if priority[g] > priority[best]:
                                continue
                        elif join[k] != join[b]:
                            if join[k] > join[b]:
                                continue
                        elif k > b:
                            continue
                    best = g
                if best < 0:
                    break
                c = pool_calendar[p]
                if c >= 0:
                    lo, m = engine_numba._span(cal_offsets, c)
                    opening = engine_numba.next_open(cal_starts, cal_ends, lo, m, t)
                    if opening > t:
                        wake[p] = opening
                        break
                k = queue[best, head[best]]
                head[best] += 1
                if end[k] < t:
                    if join[k] >= settled:
                        return INFEASIBLE
                    start[k] = end[k]  # served unseen before the replay settled
                    continue
                if t > join[k]:
                    waited += 1
                start[k] = t
                busy[p] += 1
                for i in range(capacity):
                    if busy_until[i] == inf:
                        busy_until[i] = end[k]
                        slot_pool[i] = p
                        break
    return waited
