"""Statistics across replications, accumulated as replications finish.

Replications are added in replication order (the runner re-orders results that
arrive out of order), so the floating-point sums, and therefore every printed
digit, are the same with 1 or 64 workers.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy.special import stdtrit  # Student-t quantile; lighter to import than scipy.stats

CONFIDENCE = 0.95


class Accumulator:
    """Running mean and variance per indicator (Welford), ignoring undefined values (NaN).

    A ``paired`` accumulator holds paired differences between scenarios on common random
    numbers. Many of those are zero in most replications (a group the arrangement
    touches only now and then: the same shipments, the same times), and a t-interval
    of such values claims far more than they support (measured: 3% to 65% coverage
    for a nominal 95%). So a paired difference gets an interval only where most of its
    replications differ (:meth:`resolved`); elsewhere its interval is NaN, shown as
    "not resolved with n replications", never as a width of zero.
    """

    def __init__(self, size: int, paired: bool = False) -> None:
        self.paired = paired
        self.count = np.zeros(size, dtype=np.int64)
        self.nonzero = np.zeros(size, dtype=np.int64)
        self.mean = np.zeros(size)
        self.m2 = np.zeros(size)

    def add(self, values: np.ndarray) -> None:
        defined = ~np.isnan(values)
        self.count[defined] += 1
        self.nonzero[defined & (values != 0)] += 1
        delta = np.where(defined, values - self.mean, 0.0)
        self.mean += np.where(defined, delta / np.maximum(self.count, 1), 0.0)
        self.m2 += np.where(defined, delta * (values - self.mean), 0.0)

    def resolved(self) -> np.ndarray:
        """Where an interval is given: two values or more, and for paired differences, not
        all equal and non-zero in at least half of the replications."""
        n = self.count
        if not self.paired:
            return n > 1
        return (n > 1) & (self.m2 > 0) & (2 * self.nonzero >= n)

    def half_width(self, confidence: float = CONFIDENCE) -> np.ndarray:
        """Half-width of the Student-t interval of each mean; NaN where none is given
        (:meth:`resolved`)."""
        n = self.count
        with np.errstate(invalid="ignore", divide="ignore"):
            variance = np.where(n > 1, self.m2 / np.maximum(n - 1, 1), np.nan)
            t = stdtrit(np.maximum(n - 1, 1), 0.5 + confidence / 2)
            return np.where(self.resolved(), t * np.sqrt(variance / n), np.nan)

    def result(self, confidence: float = CONFIDENCE) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(mean, ci_low, ci_high); mean NaN where no replication defined the indicator."""
        mean = np.where(self.count > 0, self.mean, np.nan)
        hw = self.half_width(confidence)
        return mean, mean - hw, mean + hw


class Estimate(NamedTuple):
    """A mean with its 95% interval (``low``, ``high``: NaN when there is none)."""

    mean: float
    low: float = math.nan
    high: float = math.nan

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2

    @property
    def has_interval(self) -> bool:
        return math.isfinite(self.low) and math.isfinite(self.high)

    def excludes_zero(self) -> bool:
        return self.has_interval and (self.low > 0 or self.high < 0)

    def scaled(self, factor: float) -> Estimate:
        """The estimate times a constant (a negative factor swaps the bounds)."""
        low, high = self.low * factor, self.high * factor
        return Estimate(self.mean * factor, min(low, high), max(low, high))


MISSING = Estimate(math.nan)


def relative_change(
    baseline: Estimate, compared: Estimate, difference: Estimate, replications: int
) -> Estimate:
    """The paired change as a percentage of the baseline mean, with its 95% interval.

    The estimate is the ratio of means ``R = mean(D) / mean(B)`` (D the paired
    difference, B the baseline, per replication), not the mean of per-replication
    ratios, which is biased when B varies. Its interval is the delta method's
    for a ratio estimator: ``Var(R) ~ Var(mean(D) - R mean(B)) / mean(B)^2``
    ``= [Var(D) - 2 R Cov(D, B) + R^2 Var(B)] / (n mean(B)^2)``, so it accounts for
    the uncertainty of both the difference and the baseline, and for their
    correlation. The covariance is recovered from the table alone: per
    replication the compared value is ``X = B + D``, so
    ``Cov(D, B) = (Var(X) - Var(D) - Var(B)) / 2``; and each variance of a mean
    is ``(half-width / t)^2`` with the same Student-t quantile, because all three
    rest on the same ``replications`` (otherwise there is no interval).
    """
    if not (math.isfinite(baseline.mean) and baseline.mean != 0):
        return MISSING
    ratio = difference.mean / baseline.mean
    if replications < 2 or not all(e.has_interval for e in (baseline, compared, difference)):
        return Estimate(100 * ratio)
    t = float(stdtrit(replications - 1, 0.5 + CONFIDENCE / 2))
    var_b, var_x, var_d = ((e.half_width / t) ** 2 for e in (baseline, compared, difference))
    covariance = (var_x - var_d - var_b) / 2
    variance = max(var_d - 2 * ratio * covariance + ratio**2 * var_b, 0.0) / baseline.mean**2
    half = t * math.sqrt(variance)
    return Estimate(100 * ratio, 100 * (ratio - half), 100 * (ratio + half))


def mser_truncation(series: np.ndarray) -> int:
    """MSER's truncation point of a series of batch means: the number of leading batches
    whose removal minimises the squared standard error of the mean of the rest
    (White 1997), searched over the first half. NaN batches (no shipment) are left out."""
    values = series[np.isfinite(series)]
    n = len(values)
    best, best_d = math.inf, 0
    for d in range(max(n // 2, 1)):
        rest = values[d:]
        statistic = float(((rest - rest.mean()) ** 2).sum()) / len(rest) ** 2
        if statistic < best:
            best, best_d = statistic, d
    return best_d
