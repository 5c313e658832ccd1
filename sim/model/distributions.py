"""Time distributions, parametrised the way a Time Release Study reports them.

A TRS gives a mean and a spread, so every distribution with a meaningful mean
is written ``{dist: ..., mean: ..., cv: ...}`` (cv = standard deviation / mean).
Each distribution draws a whole array at once from its own random stream; the
k-th draw depends only on the stream and k, never on how many other draws a
scenario needs, which keeps common random numbers aligned across scenarios.
"""

from __future__ import annotations

import itertools
import math
from typing import Annotated, Literal

import numpy as np
from numba import njit
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from scipy import special

from sim.language import _

PositiveFloat = Annotated[float, Field(gt=0, allow_inf_nan=False)]
NonNegativeFloat = Annotated[float, Field(ge=0, allow_inf_nan=False)]

MAX_HOURS = 1e6
"""No step of a customs clearance lasts a century (10^6 hours is 114 years): a larger
time is a mistake (seconds or minutes given as hours), and would only stall the
calendar arithmetic. Found by fuzzing: a service time of 10^12 hours hung the run."""
MAX_CV = 100.0
"""A coefficient of variation above 100 is a mistake (and overflowed lognormal and gamma
parameters, found by fuzzing)."""
Hours = Annotated[float, Field(gt=0, le=MAX_HOURS, allow_inf_nan=False)]
NonNegativeHours = Annotated[float, Field(ge=0, le=MAX_HOURS, allow_inf_nan=False)]
MIN_CV = 1e-6
"""A coefficient of variation below one in a million is a fixed time: say ``deterministic``
(a gamma of cv 2e-284 squared its cv to zero and divided by it, found by fuzzing)."""


def _not_fixed(cv: float) -> float:
    if cv < MIN_CV:
        raise ValueError(
            _("a cv below {min_cv:g} is a fixed time: use dist: deterministic").format(
                min_cv=MIN_CV
            )
        )
    return cv


Cv = Annotated[float, Field(gt=0, le=MAX_CV, allow_inf_nan=False), AfterValidator(_not_fixed)]


@njit(cache=True)
def _compiled_standard_normal(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.standard_normal(n)


COMPILED_FROM = 4096
"""Draw counts from which the compiled normal pays: numba's call costs ~18 us, its
draws ~7 ns less each than NumPy's (measured)."""


def standard_normal(rng: np.random.Generator, n: int) -> np.ndarray:
    """``rng.standard_normal(n)``, compiled for large n: numba's Generator draws the very
    same numbers (the same ziggurat on the same bit stream; a test checks it), ~3x faster."""
    return _compiled_standard_normal(rng, n) if n >= COMPILED_FROM else rng.standard_normal(n)


class _Distribution(BaseModel):
    """Common interface: ``sample``, ``mean`` and ``variance``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        raise NotImplementedError

    @property
    def mean(self) -> float:
        raise NotImplementedError

    @property
    def variance(self) -> float:
        raise NotImplementedError

    def quantile(self, q: float) -> float:
        """The time below which a share q of draws falls (q in [0, 1))."""
        raise NotImplementedError


class Exponential(_Distribution):
    """Memoryless time with the given mean."""

    dist: Literal["exponential"]
    mean_: Hours = Field(alias="mean")

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        out = rng.standard_exponential(n)
        out *= self.mean_
        return out

    @property
    def mean(self) -> float:
        return self.mean_

    @property
    def variance(self) -> float:
        return self.mean_**2

    def quantile(self, q: float) -> float:
        return -self.mean_ * math.log1p(-q)


class Lognormal(_Distribution):
    """Right-skewed time with mean and cv, drawn as exp(mu + sigma * z)."""

    dist: Literal["lognormal"]
    mean_: Hours = Field(alias="mean")
    cv: Cv

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        sigma2 = math.log1p(self.cv**2)
        out = standard_normal(rng, n)
        out *= math.sqrt(sigma2)
        out += math.log(self.mean_) - sigma2 / 2
        return np.exp(out, out=out)

    @property
    def mean(self) -> float:
        return self.mean_

    @property
    def variance(self) -> float:
        return (self.cv * self.mean_) ** 2

    def quantile(self, q: float) -> float:
        sigma2 = math.log1p(self.cv**2)
        z = float(special.ndtri(q))
        return math.exp(math.log(self.mean_) - sigma2 / 2 + math.sqrt(sigma2) * z)


class Gamma(_Distribution):
    """Gamma time with mean and cv (shape 1/cv^2)."""

    dist: Literal["gamma"]
    mean_: Hours = Field(alias="mean")
    cv: Cv

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        out = rng.standard_gamma(1.0 / self.cv**2, n)
        out *= self.mean_ * self.cv**2
        return out

    @property
    def mean(self) -> float:
        return self.mean_

    @property
    def variance(self) -> float:
        return (self.cv * self.mean_) ** 2

    def quantile(self, q: float) -> float:
        shape = 1.0 / self.cv**2
        return float(special.gammaincinv(shape, q)) * self.mean_ * self.cv**2


class Deterministic(_Distribution):
    """A fixed time; draws nothing from its stream."""

    dist: Literal["deterministic"]
    value: NonNegativeHours

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.full(n, self.value)

    @property
    def mean(self) -> float:
        return self.value

    @property
    def variance(self) -> float:
        return 0.0

    def quantile(self, q: float) -> float:
        return self.value


class Uniform(_Distribution):
    """Uniform on [low, high)."""

    dist: Literal["uniform"]
    low: NonNegativeHours
    high: Hours

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if not self.low < self.high:
            raise ValueError(
                _("low ({low}) must be below high ({high})").format(low=self.low, high=self.high)
            )
        return self

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        out = rng.random(n)
        out *= self.high - self.low
        out += self.low
        return out

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    @property
    def variance(self) -> float:
        return (self.high - self.low) ** 2 / 12

    def quantile(self, q: float) -> float:
        return self.low + q * (self.high - self.low)


class Triangular(_Distribution):
    """Triangular on [low, high] with the given mode."""

    dist: Literal["triangular"]
    low: NonNegativeHours
    mode: NonNegativeHours
    high: Hours

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not (self.low <= self.mode <= self.high and self.low < self.high):
            raise ValueError(_("need low <= mode <= high and low < high"))
        return self

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.triangular(self.low, self.mode, self.high, n)

    @property
    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3

    @property
    def variance(self) -> float:
        a, c, b = self.low, self.mode, self.high
        return (a * a + b * b + c * c - a * b - a * c - b * c) / 18

    def quantile(self, q: float) -> float:
        a, c, b = self.low, self.mode, self.high
        split = (c - a) / (b - a)
        if q <= split:
            return a + math.sqrt(q * (b - a) * (c - a))
        return b - math.sqrt((1 - q) * (b - a) * (b - c))


class Empirical(_Distribution):
    """Observed times: resampled ``values``, or a piecewise-linear ``quantiles`` table.

    ``quantiles`` maps cumulative probabilities (from 0 to 1) to times, the form
    in which published studies give percentiles.
    """

    dist: Literal["empirical"]
    values: list[NonNegativeHours] | None = None
    quantiles: dict[float, NonNegativeHours] | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Empirical:
        if (self.values is None) == (self.quantiles is None):
            raise ValueError(_("give exactly one of 'values' or 'quantiles'"))
        if self.values is not None and not self.values:
            raise ValueError(_("'values' is empty"))
        if self.quantiles is not None:
            probs = list(self.quantiles)
            times = list(self.quantiles.values())
            if len(probs) < 2 or probs[0] != 0 or probs[-1] != 1:
                raise ValueError(_("'quantiles' must run from probability 0 to probability 1"))
            if any(b <= a for a, b in itertools.pairwise(probs)):
                raise ValueError(_("'quantiles' probabilities must increase"))
            if any(b < a for a, b in itertools.pairwise(times)):
                raise ValueError(_("'quantiles' times must not decrease"))
        return self

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        if self.values is not None:
            return np.asarray(self.values, dtype=float)[rng.integers(0, len(self.values), n)]
        probs, times = zip(*self.quantiles.items(), strict=True)  # type: ignore[union-attr]
        return np.interp(rng.random(n), probs, times)

    @property
    def mean(self) -> float:
        if self.values is not None:
            return float(np.mean(self.values))
        probs, times = (np.array(x, dtype=float) for x in zip(*self.quantiles.items(), strict=True))  # type: ignore[union-attr]
        return float(np.sum(np.diff(probs) * (times[1:] + times[:-1]) / 2))

    @property
    def variance(self) -> float:
        if self.values is not None:
            return float(np.var(self.values))
        probs, times = (np.array(x, dtype=float) for x in zip(*self.quantiles.items(), strict=True))  # type: ignore[union-attr]
        a, b, w = times[:-1], times[1:], np.diff(probs)
        second = float(np.sum(w * (a * a + a * b + b * b) / 3))
        return second - self.mean**2

    def quantile(self, q: float) -> float:
        if self.values is not None:
            return float(np.quantile(self.values, q))
        probs, times = zip(*self.quantiles.items(), strict=True)  # type: ignore[union-attr]
        return float(np.interp(q, probs, times))


Distribution = Annotated[
    Exponential | Lognormal | Gamma | Deterministic | Uniform | Triangular | Empirical,
    Field(discriminator="dist"),
]
"""Any time distribution, chosen by its ``dist`` field."""
