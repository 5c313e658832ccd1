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
    """Running mean and variance per indicator (Welford), ignoring undefined values (NaN)."""

    def __init__(self, size: int) -> None:
        self.count = np.zeros(size, dtype=np.int64)
        self.mean = np.zeros(size)
        self.m2 = np.zeros(size)

    def add(self, values: np.ndarray) -> None:
        defined = ~np.isnan(values)
        self.count[defined] += 1
        delta = np.where(defined, values - self.mean, 0.0)
        self.mean += np.where(defined, delta / np.maximum(self.count, 1), 0.0)
        self.m2 += np.where(defined, delta * (values - self.mean), 0.0)

    def half_width(self, confidence: float = CONFIDENCE) -> np.ndarray:
        """Half-width of the Student-t interval of each mean; NaN with fewer than 2 values."""
        n = self.count
        with np.errstate(invalid="ignore", divide="ignore"):
            variance = np.where(n > 1, self.m2 / np.maximum(n - 1, 1), np.nan)
            t = stdtrit(np.maximum(n - 1, 1), 0.5 + confidence / 2)
            return np.where(n > 1, t * np.sqrt(variance / n), np.nan)

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
