"""Weekly work calendars and the arithmetic both engines share.

Time is in hours from the scenario start, which is a Monday at 00:00. A
calendar is a set of weekly open intervals ``[start, end)`` in hours of the week
(0 = Monday 00:00, 168 = next Monday 00:00). An empty interval set means
*always open*.

Interval number ``j`` of a calendar with ``m`` weekly intervals opens at
``WEEK * (j // m) + starts[j % m]`` and closes at ``WEEK * (j // m) + ends[j % m]``
(interval ``j % m`` of week ``j // m``: the engines' pools keep that pair, which needs
no division).
Every comparison of a time against a calendar goes through these two
expressions, never through ``t mod WEEK``: floating-point remainders can put a
time that was computed *as* an opening a hair before that opening, while the
canonical boundary is the same float wherever it is computed. The functions
below are plain Python with integer and float arithmetic only, so the numba
engine compiles the very same code and both engines agree to the last bit.

The shared functions address a calendar inside the scenario's concatenated
interval arrays by ``(lo, m)``: its first row and its number of weekly
intervals (``m = 0``: always open). Slicing a calendar out of the arrays would
be clearer, but a slice made per shipment in compiled code costs a reference-
counted allocation, which measured nine times the cost of the arithmetic.
"""

from __future__ import annotations

import math
import re

import numpy as np

from sim.language import _

WEEK = 168.0
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HOURS = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


def parse_hours(text: str) -> tuple[float, float]:
    """``"08:00-12:00"`` -> (8.0, 12.0); an end before the start runs past midnight.

    A range that starts where it ends (``"08:00-08:00"``) is an error rather than
    a guess: it could mean open all day or never, and a calendar that is never
    open would hold its shipments forever. All day is ``"00:00-24:00"``.
    """
    match = _HOURS.match(text.strip())
    if not match:
        raise ValueError(_("'{text}' is not of the form HH:MM-HH:MM").format(text=text))
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2 != 0):
        raise ValueError(_("'{text}' is not a valid time range").format(text=text))
    start, end = h1 + m1 / 60, h2 + m2 / 60
    if end == start:
        raise ValueError(
            _(
                "'{text}' is empty (it ends where it starts); for all day write '00:00-24:00'"
            ).format(text=text)
        )
    if end < start:
        end += 24.0
    return start, end


def weekly_intervals(days: list[str], hours: list[tuple[float, float]]) -> np.ndarray:
    """Merge the open hours of the given days into sorted weekly intervals (m x 2).

    Returns an empty array when the calendar covers the whole week: such a
    calendar is always open and never causes overtime.
    """
    raw = []
    for day in days:
        base = 24.0 * DAYS.index(day)
        for start, end in hours:
            lo, hi = base + start, base + end
            if hi > WEEK:  # runs past Sunday midnight: wrap to Monday
                raw.append((0.0, hi - WEEK))
                hi = WEEK
            raw.append((lo, hi))
    raw.sort()
    merged: list[list[float]] = []
    for lo, hi in raw:
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    if len(merged) == 1 and merged[0][0] == 0.0 and merged[0][1] >= WEEK:
        return np.empty((0, 2))
    return np.array(merged, dtype=np.float64).reshape(-1, 2)


def open_hours(starts: np.ndarray, ends: np.ndarray, t0: float, t1: float) -> float:
    """Open hours of a calendar (its own interval arrays) within [t0, t1)."""
    m = len(starts)
    if m == 0:
        return t1 - t0
    total = 0.0
    j = first_interval(starts, ends, 0, m, t0)
    while interval_open(starts, 0, m, j) < t1:
        total += min(interval_close(ends, 0, m, j), t1) - max(interval_open(starts, 0, m, j), t0)
        j += 1
    return total


# --- shared arithmetic (compiled by the numba engine; keep to ints and floats) ---


def opening_at(starts: np.ndarray, lo: int, week: int, i: int) -> float:
    """Opening time of interval i of a week: the canonical expression."""
    return WEEK * week + starts[lo + i]


def closing_at(ends: np.ndarray, lo: int, week: int, i: int) -> float:
    """Closing time of interval i of a week: the canonical expression."""
    return WEEK * week + ends[lo + i]


def interval_open(starts: np.ndarray, lo: int, m: int, j: int) -> float:
    """Opening time of interval number j (interval ``j % m`` of week ``j // m``)."""
    return opening_at(starts, lo, j // m, j % m)


def interval_close(ends: np.ndarray, lo: int, m: int, j: int) -> float:
    """Closing time of interval number j (interval ``j % m`` of week ``j // m``)."""
    return closing_at(ends, lo, j // m, j % m)


def advance(
    starts: np.ndarray, ends: np.ndarray, lo: int, m: int, week: int, i: int, t: float
) -> tuple[int, int]:
    """From interval i of a week on, the first interval that closes after t (the open or
    next one), as (its week, its number in the week).

    A pool's cursor is such a pair, not the interval's number j: the engine's
    dispatch read the cursor's interval three times, each a division ``j // m`` and
    its remainder, and those divisions were 8% of the numba event loop (measured
    with ``perf``). The times are the same expressions, so the same floats.

    A cursor on an interval that closes after t is the answer (most calls: the pool
    is open, or about to). Every interval of the weeks before last closed by t
    (intervals end by the end of their week), so a cursor far behind jumps there at
    once: the result is the same as stepping, in constant time however long a job ran.
    """
    if closing_at(ends, lo, week, i) > t:
        return week, i
    behind = math.floor(t / WEEK) - 1
    if behind > week:
        week, i = behind, 0
    while closing_at(ends, lo, week, i) <= t:
        i += 1
        if i == m:
            week, i = week + 1, 0
    return week, i


def first_interval(starts: np.ndarray, ends: np.ndarray, lo: int, m: int, t: float) -> int:
    """The first interval that closes after t, found without a cursor."""
    week, i = week_and_interval(ends, lo, m, t)
    return week * m + i


def week_and_interval(ends: np.ndarray, lo: int, m: int, t: float) -> tuple[int, int]:
    """The first interval that closes after t, as (its week, its number in the week).

    Closing times increase with the interval, so the answer is unique; it lies
    between the week before t's and the week after, whatever the rounding of
    ``t / WEEK``. The week is the first of those whose last interval closes after
    t; the interval is then counted, not searched: no integer division (``j // m``)
    and no branch to mispredict. The binary search over three weeks' intervals this
    replaces took half of the numba engine's ``before_queues`` on the regional
    scenario (measured, issue #11). Each comparison is the canonical expression's,
    so the answer is the search's, to the bit.
    """
    if m == 0:
        return 0, 0
    last = math.floor(t / WEEK) + 1  # the week after t's: the search's bound
    week = last - 2 if last >= 2 else 0  # the week before t's
    while week < last and closing_at(ends, lo, week, m - 1) <= t:
        week += 1
    if m > 32:  # a long week: binary search within it
        low, high = 0, m - 1
        while low < high:
            middle = (low + high) // 2
            if closing_at(ends, lo, week, middle) <= t:
                low = middle + 1
            else:
                high = middle
        return week, low
    closed = 0
    for i in range(m - 1):  # (the last closes after t, or is the bound)
        closed += closing_at(ends, lo, week, i) <= t
    return week, closed


def next_open(starts: np.ndarray, ends: np.ndarray, lo: int, m: int, t: float) -> float:
    """t if the calendar is open at t, else its next opening."""
    if m == 0:
        return t
    week, i = week_and_interval(ends, lo, m, t)
    opening = opening_at(starts, lo, week, i)
    return t if opening <= t else opening


def last_open(starts: np.ndarray, ends: np.ndarray, lo: int, m: int, t: float) -> float:
    """t if the calendar is open at t, else the close of its last interval before t.

    A broker who lodges an advance declaration ``lead`` hours before arrival, in office
    hours, lodges it at the last open moment at or before then: moving it to the next
    opening instead could push it past the arrival it was meant to precede. Works for
    times before the scenario's start too (weeks before week 0).
    """
    if m == 0:
        return t
    week, i = math.floor(t / WEEK) + 1, m - 1  # from the week after t's, step back
    while opening_at(starts, lo, week, i) > t:
        i -= 1
        if i < 0:
            week, i = week - 1, m - 1
    close = closing_at(ends, lo, week, i)
    return t if close > t else close


def shift_end(starts: np.ndarray, ends: np.ndarray, lo: int, m: int, week: int, i: int) -> float:
    """End of the shift containing interval i of a week: intervals that touch are one shift."""
    close = closing_at(ends, lo, week, i)
    while True:
        i += 1
        if i == m:
            week, i = week + 1, 0
        if opening_at(starts, lo, week, i) != close:
            return close
        close = closing_at(ends, lo, week, i)
