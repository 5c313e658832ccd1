"""Direct estimators: what the records show without simulating, each with its interval.

* **Counts and shares.** An arrival rate is a Poisson count over an exposure:
  exact (Garwood) interval. A share (pre-arrival lodgement, national AEO) is a
  binomial proportion, and each category of a multinomial (channels, origins,
  hours of the day) a proportion of its own: Wilson score interval, which keeps
  its level near 0 and 1 where the plain normal interval does not.
* **Times** (delays, service times where start and end are known). Each of the
  exponential, lognormal and gamma families is fitted by maximum likelihood with
  ``scipy.stats`` (location fixed at 0) and the one with the smallest AIC is kept;
  its mean and cv get percentile intervals from a nonparametric bootstrap. The
  bootstrap refits the same maximum-likelihood estimators in closed, vectorised
  form (lognormal: moments of the logs; gamma: Newton's method on
  log k - digamma(k) = log mean - mean log), which a test holds equal to scipy's.
* **Servers** from the largest number of services observed at once. That is a
  lower bound: it equals the number of servers only if the station was ever full.
  When a shipment waited while the station was open, every server was busy at
  that moment, so the bound is reached and the count is exact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

FAMILIES = ("exponential", "lognormal", "gamma")
PARAMETERS = {"exponential": 1, "lognormal": 2, "gamma": 2}
SMALLEST_H = 1 / 3600
"""Times are floored at one second: a recorded zero is a time below the clock's resolution,
and the lognormal and gamma families need positive values."""
BOOTSTRAP = 500
"""Bootstrap resamples of a time's fit: 12 lie beyond each end of a 95% interval."""


def wilson(successes: float, trials: float, confidence: float) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (empty trials: the whole of [0, 1])."""
    if trials <= 0:
        return 0.0, 1.0
    z = stats.norm.ppf(0.5 + confidence / 2)
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = (
        z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / (1 + z * z / trials)
    )
    return max(0.0, centre - half), min(1.0, centre + half)


def poisson_rate(count: int, exposure: float, confidence: float) -> tuple[float, float, float]:
    """A Poisson rate (count / exposure) with its exact (Garwood) interval."""
    alpha = 1 - confidence
    low = stats.chi2.ppf(alpha / 2, 2 * count) / 2 if count > 0 else 0.0
    high = stats.chi2.ppf(1 - alpha / 2, 2 * count + 2) / 2
    return count / exposure, low / exposure, high / exposure


# --- times ------------------------------------------------------------------------


@dataclass(frozen=True)
class TimeFit:
    """A fitted time distribution in the schema's form (family, mean, cv) with intervals."""

    family: str
    mean: float
    cv: float
    mean_interval: tuple[float, float]
    cv_interval: tuple[float, float] | None  # None: fixed by the family (exponential, cv 1)
    aic: dict[str, float]
    n: int

    def distribution(self) -> dict[str, object]:
        """The scenario's distribution mapping."""
        if self.family == "exponential":
            return {"dist": "exponential", "mean": self.mean}
        return {"dist": self.family, "mean": self.mean, "cv": self.cv}


def fit_time(values: np.ndarray, confidence: float, seed: int) -> TimeFit:
    """Fit the three families, keep the smallest AIC, bootstrap its mean and cv."""
    x = np.maximum(np.asarray(values, dtype=float), SMALLEST_H)
    aic = {family: _aic(family, x) for family in FAMILIES}
    family = min(aic, key=aic.__getitem__)
    mean, cv = scipy_fit(family, x)
    rng = np.random.default_rng(seed)
    means, cvs = _bootstrap(family, x, rng)
    alpha = (1 - confidence) / 2
    mean_interval = _around(mean, np.quantile(means, [alpha, 1 - alpha]))
    cv_interval = None
    if family != "exponential":
        cv_interval = _around(cv, np.quantile(cvs, [alpha, 1 - alpha]))
    return TimeFit(family, mean, cv, mean_interval, cv_interval, aic, len(x))


def _around(value: float, bounds: np.ndarray) -> tuple[float, float]:
    """A percentile interval, widened if need be to contain its own estimate."""
    return min(float(bounds[0]), value), max(float(bounds[1]), value)


def scipy_fit(family: str, x: np.ndarray) -> tuple[float, float]:
    """(mean, cv) of the maximum-likelihood fit with ``scipy.stats``, location fixed at 0."""
    if family == "exponential":
        _, scale = stats.expon.fit(x, floc=0)
        return float(scale), 1.0
    if family == "lognormal":
        sigma, _, scale = stats.lognorm.fit(x, floc=0)
        return float(scale * math.exp(sigma**2 / 2)), math.sqrt(math.expm1(sigma**2))
    shape, _, scale = stats.gamma.fit(x, floc=0)
    return float(shape * scale), 1 / math.sqrt(shape)


def _aic(family: str, x: np.ndarray) -> float:
    mean, cv = scipy_fit(family, x)
    return 2 * PARAMETERS[family] - 2 * float(np.sum(log_density(family, mean, cv, x)))


def log_density(family: str, mean: float, cv: float, x: np.ndarray) -> np.ndarray:
    """Log density of the family with this mean and cv."""
    if family == "exponential":
        return stats.expon.logpdf(x, scale=mean)
    if family == "lognormal":
        sigma2 = math.log1p(cv * cv)
        return stats.lognorm.logpdf(x, math.sqrt(sigma2), scale=mean * math.exp(-sigma2 / 2))
    shape = 1 / (cv * cv)
    return stats.gamma.logpdf(x, shape, scale=mean / shape)


def cdf(family: str, mean: np.ndarray, cv: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Cumulative distribution of the family with this mean and cv (0 below 0)."""
    x = np.maximum(x, 0.0)
    if family == "exponential":
        return -np.expm1(-x / mean)
    if family == "lognormal":
        sigma = np.sqrt(np.log1p(cv * cv))
        with np.errstate(divide="ignore"):
            z = (np.log(x) - np.log(mean) + sigma * sigma / 2) / sigma
        return special.ndtr(z)
    shape = 1 / (cv * cv)
    return special.gammainc(shape, x * shape / mean)


def _bootstrap(family: str, x: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Means and cvs of the family's maximum-likelihood fit to BOOTSTRAP resamples."""
    means, cvs = [], []
    chunk = max(1, 2_000_000 // len(x))  # resamples per block: about 16 MB of indices
    for first in range(0, BOOTSTRAP, chunk):
        size = min(chunk, BOOTSTRAP - first)
        sample = x[rng.integers(0, len(x), (size, len(x)))]
        mean, cv = closed_form_fit(family, sample)
        means.append(mean)
        cvs.append(cv)
    return np.concatenate(means), np.concatenate(cvs)


def closed_form_fit(family: str, samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Maximum-likelihood (mean, cv) of each row of ``samples``: the bootstrap's estimator."""
    mean = samples.mean(axis=1)
    if family == "exponential":
        return mean, np.ones_like(mean)
    logs = np.log(samples)
    mean_log = logs.mean(axis=1)
    if family == "lognormal":
        sigma2 = logs.var(axis=1)
        return np.exp(mean_log + sigma2 / 2), np.sqrt(np.expm1(sigma2))
    shape = gamma_shape(np.log(mean) - mean_log)
    return mean, 1 / np.sqrt(shape)


def gamma_shape(s: np.ndarray) -> np.ndarray:
    """The gamma shape k solving log k - digamma(k) = s (s > 0): Minka's start, then Newton."""
    s = np.maximum(s, 1e-12)
    k = (3 - s + np.sqrt((s - 3) ** 2 + 24 * s)) / (12 * s)
    for _ in range(50):
        step = (np.log(k) - special.digamma(k) - s) / (1 / k - special.polygamma(1, k))
        k = np.maximum(k - step, k / 10)
        if np.all(np.abs(step) <= 1e-12 * k):
            break
    return k


# --- servers --------------------------------------------------------------------------


def concurrency(start: np.ndarray, end: np.ndarray) -> int:
    """The most services in progress at one instant (a server freed at t may start again at t)."""
    if len(start) == 0:
        return 0
    times = np.concatenate((start, end))
    steps = np.concatenate((np.ones(len(start)), -np.ones(len(end))))
    order = np.lexsort((steps, times))  # at equal times, ends (-1) before starts (+1)
    return int(np.cumsum(steps[order]).max())
