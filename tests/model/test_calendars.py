"""The calendar search both engines share, against the definition it implements.

``first_interval`` finds the first weekly interval that closes after t by counting
within a week (issue #11); these tests check it against a plain scan from interval 0,
with times on and a hair either side of every boundary, as Python and as numba
compiles it.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.engine import compiled as engine_numba
from sim.model import calendars as cal

DAYS = st.lists(st.sampled_from(cal.DAYS), min_size=1, max_size=7, unique=True)
HOURS = st.tuples(st.integers(0, 23), st.integers(1, 24)).map(
    lambda hours: (float(hours[0]), float(hours[0] + hours[1]))  # may run past midnight
)


@st.composite
def calendar_and_times(draw: st.DrawFn) -> tuple[np.ndarray, list[float]]:
    """A calendar (never always open) and times to ask it about."""
    intervals = cal.weekly_intervals(draw(DAYS), draw(st.lists(HOURS, min_size=1, max_size=4)))
    if not len(intervals):  # the whole week: nothing to search
        intervals = np.array([[8.0, 17.0]])
    weeks = draw(st.integers(0, 30))
    boundaries = [
        cal.WEEK * week + edge for week in range(weeks, weeks + 2) for edge in intervals.ravel()
    ]
    times = [draw(st.floats(0.0, cal.WEEK * (weeks + 2)))]
    for t in draw(st.lists(st.sampled_from(boundaries), min_size=1, max_size=4)):
        times += [t, float(np.nextafter(t, -np.inf)), float(np.nextafter(t, np.inf))]
    return intervals, times


def first_closing_after(ends: np.ndarray, m: int, t: float) -> int:
    """The definition: the first interval, counted from 0, that closes after t."""
    j = 0
    while cal.interval_close(ends, 0, m, j) <= t:
        j += 1
    return j


@settings(deadline=None)  # the first example compiles the kernel
@given(calendar_and_times())
def test_first_interval_is_the_first_that_closes_after_t(case) -> None:
    intervals, times = case
    starts, ends, m = intervals[:, 0].copy(), intervals[:, 1].copy(), len(intervals)
    compiled = engine_numba._compiled["first_interval"]
    for t in times:
        if t < 0:
            continue
        want = first_closing_after(ends, m, t)
        assert cal.first_interval(starts, ends, 0, m, t) == want, t
        assert compiled(starts, ends, 0, m, t) == want, t


@settings(deadline=None)  # the first example compiles the kernel
@given(calendar_and_times())
def test_next_open_is_t_when_open_else_the_next_opening(case) -> None:
    intervals, times = case
    starts, ends, m = intervals[:, 0].copy(), intervals[:, 1].copy(), len(intervals)
    for t in times:
        if t < 0:
            continue
        j = first_closing_after(ends, m, t)
        opening = cal.interval_open(starts, 0, m, j)
        want = t if opening <= t else opening
        assert cal.next_open(starts, ends, 0, m, t) == want, t
        assert engine_numba.next_open(starts, ends, 0, m, t) == want, t


def last_opening_at_or_before(starts: np.ndarray, m: int, t: float) -> int:
    """The definition: the last interval, counted from far back, that opens by t."""
    j = (int(t // cal.WEEK) - 2) * m
    while cal.interval_open(starts, 0, m, j + 1) <= t:
        j += 1
    return j


@settings(deadline=None)  # the first example compiles the kernel
@given(calendar_and_times(), st.floats(-3 * cal.WEEK, 0.0))
def test_last_open_is_t_when_open_else_the_last_close_before(case, shift: float) -> None:
    """Where an advance lodgement lands: never after t (so never after the arrival it
    precedes), at t when open, else the close of the last interval before; for times
    before the scenario's start too (``shift``)."""
    intervals, times = case
    starts, ends, m = intervals[:, 0].copy(), intervals[:, 1].copy(), len(intervals)
    for t in (*times, *(time + shift for time in times)):
        j = last_opening_at_or_before(starts, m, t)
        close = cal.interval_close(ends, 0, m, j)
        want = t if close > t else close
        assert cal.last_open(starts, ends, 0, m, t) == want, t
        assert engine_numba.last_open(starts, ends, 0, m, t) == want, t
        assert want <= t


def test_a_long_week_is_searched_too() -> None:
    """More than 32 intervals a week: the week's interval is found by binary search."""
    hours = [(float(h), h + 0.5) for h in range(24)]  # 24 half-hours a day: 168 a week
    intervals = cal.weekly_intervals(list(cal.DAYS), hours)
    starts, ends, m = intervals[:, 0].copy(), intervals[:, 1].copy(), len(intervals)
    assert m > 32
    edges = [cal.WEEK * week + edge for week in range(3) for edge in intervals.ravel()]
    times = [*edges, *np.nextafter(edges, -np.inf), *np.linspace(0.0, 3 * cal.WEEK, 500)]
    for t in times:
        want = first_closing_after(ends, m, float(t))
        assert cal.first_interval(starts, ends, 0, m, float(t)) == want
        assert engine_numba._compiled["first_interval"](starts, ends, 0, m, float(t)) == want


# --- a pool's cursor: (week, number in the week), no division --------------------------


def advance_by_steps(ends: np.ndarray, m: int, j: int, t: float) -> int:
    """The definition: from interval j on, the first that closes after t, stepping."""
    while cal.interval_close(ends, 0, m, j) <= t:
        j += 1
    return j


def shift_end_by_steps(starts: np.ndarray, ends: np.ndarray, m: int, j: int) -> float:
    """The definition: the close of interval j, extended while the next opens at it."""
    close = cal.interval_close(ends, 0, m, j)
    while cal.interval_open(starts, 0, m, j + 1) == close:
        j += 1
        close = cal.interval_close(ends, 0, m, j)
    return close


@settings(deadline=None)  # the first example compiles the kernel
@given(calendar_and_times(), st.integers(0, 40))
def test_a_cursor_advances_to_the_interval_stepping_finds(case, start: int) -> None:
    """``advance`` (its shortcut for a current cursor and its jump over past weeks
    included) against stepping from the cursor, in Python and compiled; and the
    shift's end from there against extending interval by interval."""
    intervals, times = case
    starts, ends, m = intervals[:, 0].copy(), intervals[:, 1].copy(), len(intervals)
    for t in times:
        if t < 0:
            continue
        want = advance_by_steps(ends, m, start, t)
        for advance in (cal.advance, engine_numba.advance):
            assert advance(starts, ends, 0, m, *divmod(start, m), t) == divmod(want, m), t
        end = shift_end_by_steps(starts, ends, m, want)
        for shift_end in (cal.shift_end, engine_numba.shift_end):
            assert shift_end(starts, ends, 0, m, *divmod(want, m)) == end, t
        assert cal.opening_at(starts, 0, *divmod(want, m)) == cal.interval_open(starts, 0, m, want)
