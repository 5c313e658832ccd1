"""Exact order statistics of unions of sorted pieces, compiled.

A country's median clearance time pools the shipments of its ports and trader
groups. Each cell's times are sorted once (:mod:`sim.indicators.sums`); the k-th
smallest of any union of cells is then selected from the sorted pieces without
merging them: a weighted median of the pieces' medians narrows the range, and
binary searches count what lies below a candidate. The answer is the same order
statistic a sort of the pooled times gives, to the bit (tested against pandas).
"""

from __future__ import annotations

import numpy as np
from numba import njit

# --- exact quantiles of unions of sorted pieces ------------------------------------


@njit(cache=True, inline="always")
def _first_at_least(data, lo, hi, x):
    """The first index in [lo, hi) of sorted data whose value is >= x (hi if none).

    A binary search on indices: ``np.searchsorted`` on a slice would allocate a
    view per call, which cost more than the search.
    """
    while lo < hi:
        middle = (lo + hi) >> 1
        if data[middle] < x:
            lo = middle + 1
        else:
            hi = middle
    return lo


@njit(cache=True, inline="always")
def _first_above(data, lo, hi, x):
    """The first index in [lo, hi) of sorted data whose value is > x (hi if none)."""
    while lo < hi:
        middle = (lo + hi) >> 1
        if data[middle] <= x:
            lo = middle + 1
        else:
            hi = middle
    return lo


@njit(cache=True)
def _quantiles(data, segments, chosen, probabilities, out):
    """Quantiles (Hyndman & Fan type 7, NumPy's default) of the union of sorted segments.

    Segment i is ``data[segments[i]:segments[i + 1]]``, sorted; ``chosen`` lists
    the segments of the union. Writes NaN when the union is empty.
    """
    total = 0
    for i in chosen:
        total += segments[i + 1] - segments[i]
    if total == 0:
        return
    for q in range(probabilities.shape[0]):
        position = probabilities[q] * (total - 1)
        below = int(np.floor(position))
        low, ties = _kth_smallest(data, segments, chosen, below)
        if position > below:  # interpolate towards the next order statistic
            high = low if below + 1 < ties else _next_above(data, segments, chosen, low)
            out[q] = low + (high - low) * (position - below)
        else:
            out[q] = low


GATHER = 64
"""Candidates few enough to copy out and sort."""


@njit(cache=True)
def _kth_smallest(data, segments, chosen, k):
    """The k-th smallest (0-based) x of the union of sorted segments, without merging them,
    and how many elements of the union are <= x.

    Each segment keeps a candidate range [lo, hi). A round brackets rank k
    between two pivots, k minus and plus a width (first (candidates) / (2 live
    ranges), then twice the pivots' last miss of their target ranks), and keeps
    only the side that holds rank k: usually the bracket. When both pivots are
    the same value and rank k lies between them, that value is the answer (ties:
    the bracket would otherwise keep every candidate forever). Each pivot is
    the weighted quantile, at its rank's relative level, of each range's
    element at that relative position, so it lands near its rank when the
    ranges are alike, and the bracket shrinks by about the number of ranges
    each round. Once one range is left the answer is indexed; once fewer than
    GATHER candidates (or four per live range) are left they are copied and
    sorted. A round that keeps
    everything (both pivots missed) is followed by one whose pivots are the
    weighted median of the ranges' middles, which always discards a quarter:
    O(log n) rounds of O(m log n) in the worst case (m segments).
    """
    m = chosen.shape[0]
    lo = np.empty(m, dtype=np.int64)
    hi = np.empty(m, dtype=np.int64)
    low_cut = np.empty(m, dtype=np.int64)  # per segment: first candidate >= the low pivot
    high_cut = np.empty(m, dtype=np.int64)  # per segment: first candidate > the high pivot
    remaining = 0
    for i in range(m):
        lo[i] = segments[chosen[i]]
        hi[i] = segments[chosen[i] + 1]
        remaining += hi[i] - lo[i]
    samples = np.empty(m)
    weights = np.empty(m)
    discarded = 0  # candidates dropped below rank k: all <= the answer
    bracket = True
    width = -1
    while remaining > GATHER:
        live, last = 0, 0
        for i in range(m):
            if hi[i] > lo[i]:
                live += 1
                last = i
        if live == 1:  # one sorted range left: the answer is at its k-th place
            value = data[lo[last] + k]
            return value, discarded + _first_above(data, lo[last], hi[last], value) - lo[last]
        if remaining <= 4 * live:  # ranges of a few elements: sorting them is cheaper
            break
        if bracket:
            if width < 0:  # first round: a guess; later: twice the pivots' last miss
                width = max(remaining // (2 * live), 1)
            low_rank = max(k - width, 0)
            high_rank = min(k + width, remaining - 1)
        else:  # the safe round: both pivots the weighted median of the middles
            low_rank = high_rank = remaining // 2
        low = _pivot(data, lo, hi, low_rank, remaining, bracket, samples, weights)
        high = _pivot(data, lo, hi, high_rank, remaining, bracket, samples, weights)
        below = 0  # candidates < low
        upto = 0  # candidates <= high
        for i in range(m):
            low_cut[i] = _first_at_least(data, lo[i], hi[i], low)
            high_cut[i] = _first_above(data, low_cut[i], hi[i], high)
            below += low_cut[i] - lo[i]
            upto += high_cut[i] - lo[i]
        miss = abs(below - low_rank)
        if abs(upto - 1 - high_rank) > miss:
            miss = abs(upto - 1 - high_rank)
        width = max(2 * miss, 1)
        if k < below:  # rank k lies below the low pivot
            for i in range(m):
                hi[i] = low_cut[i]
            kept = below
        elif k >= upto:  # above the high pivot
            for i in range(m):
                lo[i] = high_cut[i]
            k -= upto
            discarded += upto
            kept = remaining - upto
        else:  # between them
            if low == high:  # every candidate left in the bracket is a tie: the answer
                return low, discarded + upto
            for i in range(m):
                lo[i] = low_cut[i]
                hi[i] = high_cut[i]
            k -= below
            discarded += below
            kept = upto - below
        bracket = kept < remaining
        remaining = kept
    gathered = np.empty(remaining)
    n = 0
    for i in range(m):
        for j in range(lo[i], hi[i]):
            gathered[n] = data[j]
            n += 1
    gathered.sort()
    value = gathered[k]
    at_most = discarded
    for j in range(remaining):
        if gathered[j] <= value:
            at_most += 1
    return value, at_most


@njit(cache=True, inline="always")
def _pivot(data, lo, hi, rank, remaining, aimed, samples, weights):
    """A candidate near global rank ``rank``: the weighted quantile of each range's element
    at the rank's relative position (aimed), or of each range's middle (not aimed)."""
    level = (rank + 0.5) / remaining if aimed else 0.5
    n_live = 0
    for i in range(lo.shape[0]):
        size = hi[i] - lo[i]
        if size > 0:
            samples[n_live] = data[lo[i] + int(size * level)]
            weights[n_live] = size
            n_live += 1
    return _weighted_quantile(samples, weights, n_live, level * remaining)


@njit(cache=True, inline="always")
def _weighted_quantile(samples, weights, n, target):
    """The smallest of the first n samples whose weight with that of every smaller sample
    reaches ``target`` (the largest if none does), by quickselect: O(n), where sorting
    the samples cost O(n log n) and an allocation in every round of a union of
    hundreds of cells. Reorders both arrays."""
    first, last = 0, n  # the samples still in question
    below = 0.0  # weight of the samples smaller than all of them
    while last - first > 1:
        pivot = samples[(first + last) >> 1]
        # three-way partition: [first, less) < pivot, [less, more) == pivot, [more, last) >
        less, i, more = first, first, last
        while i < more:
            if samples[i] < pivot:
                samples[less], samples[i] = samples[i], samples[less]
                weights[less], weights[i] = weights[i], weights[less]
                less += 1
                i += 1
            elif samples[i] > pivot:
                more -= 1
                samples[more], samples[i] = samples[i], samples[more]
                weights[more], weights[i] = weights[i], weights[more]
            else:
                i += 1
        w_less = 0.0
        for j in range(first, less):
            w_less += weights[j]
        w_equal = 0.0
        for j in range(less, more):
            w_equal += weights[j]
        if below + w_less >= target:
            last = less
        elif below + w_less + w_equal >= target or more == last:
            return pivot
        else:
            below += w_less + w_equal
            first = more
    return samples[first]


@njit(cache=True)
def _next_above(data, segments, chosen, x):
    """The smallest element of the union of sorted segments that is greater than x."""
    best = np.inf
    for i in chosen:
        a, b = segments[i], segments[i + 1]
        j = _first_above(data, a, b, x)
        if j < b and data[j] < best:
            best = data[j]
    return best
