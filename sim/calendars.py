"""Weekly work calendars and the arithmetic both engines share.

Time is in hours from the scenario start, which is a Monday at 00:00. A
calendar is a set of weekly open intervals ``[start, end)`` in hours of the week
(0 = Monday 00:00, 168 = next Monday 00:00). An empty interval set means
*always open*.

Interval number ``j`` of a calendar with ``m`` weekly intervals opens at
``WEEK * (j // m) + starts[j % m]`` and closes at ``WEEK * (j // m) + ends[j % m]``.
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

WEEK = 168.0
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HOURS = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


def parse_hours(text: str) -> tuple[float, float]:
    """``"08:00-12:00"`` -> (8.0, 12.0); an end at or before the start runs past midnight."""
    match = _HOURS.match(text.strip())
    if not match:
        raise ValueError(f"'{text}' is not of the form HH:MM-HH:MM")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2 != 0):
        raise ValueError(f"'{text}' is not a valid time range")
    start, end = h1 + m1 / 60, h2 + m2 / 60
    if end <= start:
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


def interval_open(starts: np.ndarray, lo: int, m: int, j: int) -> float:
    """Opening time of interval number j."""
    return WEEK * (j // m) + starts[lo + j % m]


def interval_close(ends: np.ndarray, lo: int, m: int, j: int) -> float:
    """Closing time of interval number j."""
    return WEEK * (j // m) + ends[lo + j % m]


def advance(starts: np.ndarray, ends: np.ndarray, lo: int, m: int, j: int, t: float) -> int:
    """From interval j on, the first interval that closes after t (the open or next one).

    For a cursor that moves forward with time: amortised O(1).
    """
    while interval_close(ends, lo, m, j) <= t:
        j += 1
    return j


def first_interval(starts: np.ndarray, ends: np.ndarray, lo: int, m: int, t: float) -> int:
    """The first interval that closes after t, found without a cursor (binary search).

    Closing times increase with j, so the answer is unique; the search brackets
    it between the week before t's and the week after, whatever the rounding
    of ``t / WEEK``.
    """
    week = math.floor(t / WEEK)
    low = (week - 1) * m  # closes at or before t, unless it is interval 0
    if low < 0:
        low = 0
    high = (week + 2) * m - 1  # closes after t: WEEK * (week + 1) + ends[m - 1] > t
    while low < high:
        middle = (low + high) // 2
        if interval_close(ends, lo, m, middle) <= t:
            low = middle + 1
        else:
            high = middle
    return low


def next_open(starts: np.ndarray, ends: np.ndarray, lo: int, m: int, t: float) -> float:
    """t if the calendar is open at t, else its next opening."""
    if m == 0:
        return t
    opening = interval_open(starts, lo, m, first_interval(starts, ends, lo, m, t))
    return t if opening <= t else opening


def shift_end(starts: np.ndarray, ends: np.ndarray, lo: int, m: int, j: int) -> float:
    """End of the shift containing interval j: intervals that touch are one shift."""
    close = interval_close(ends, lo, m, j)
    while interval_open(starts, lo, m, j + 1) == close:
        j += 1
        close = interval_close(ends, lo, m, j)
    return close
