"""Counter-based random numbers (sim/streams.py) against references and theory.

* Philox4x32-10 reproduces Random123's known-answer vectors exactly.
* The normal quantile agrees with SciPy's to 1e-14 (relative) across the range.
* Every distribution the sampler encodes has the right law: a Kolmogorov-Smirnov
  test against SciPy's distribution at 99.9% per test (with 12 tests of laws, a
  correct sampler fails any of them with probability under 1.2%: Bonferroni),
  and a check of the mean within a 99.9% normal-approximation interval. The
  seeds are fixed, so a run passes or fails for good.
* Draws of different purposes, stations and shipments are uncorrelated: the
  sample correlation of 10^5 pairs lies within 4 standard errors of zero.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from numba import njit
from scipy import special, stats

from sim import streams
from sim.model.distributions import (
    Deterministic,
    Empirical,
    Exponential,
    Gamma,
    Lognormal,
    Triangular,
    Uniform,
)
from sim.plan.compile import encode

KAT = [  # (counter words, key words, expected output): Random123's kat_vectors, philox4x32_10
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    (
        (0xFFFFFFFF,) * 4,
        (0xFFFFFFFF, 0xFFFFFFFF),
        (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD),
    ),
    (
        (0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344),
        (0xA4093822, 0x299F31D0),
        (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1),
    ),
]
CONFIDENCE = 0.999
N = 40_000
KEY = (np.uint64(0x1234567), np.uint64(0x89ABCDE))


@njit(cache=True)
def _philox(c0, c1, c2, c3, k0, k1):
    return streams.philox(c0, c1, c2, c3, k0, k1)


@njit(cache=True)
def _draws(kinds, params, table_lo, table_hi, table_x, table_p, d, k0, k1, n, purpose, station):
    out = np.empty(n)
    for k in range(n):
        out[k] = streams.variate(
            kinds, params, table_lo, table_hi, table_x, table_p, d, k0, k1, k, purpose, station
        )
    return out


@njit(cache=True)
def _quantiles(p):
    out = np.empty(p.shape[0])
    for i in range(p.shape[0]):
        out[i] = streams.normal_quantile(p[i])
    return out


def draws(dist, n: int = N, purpose: int = 5, station: int = 0) -> np.ndarray:
    return _draws(*encode([dist]), 0, *KEY, n, purpose, station)


@pytest.mark.parametrize(("counter", "key", "expected"), KAT)
def test_philox_reproduces_random123_known_answers(counter, key, expected) -> None:
    words = [np.uint64(w) for w in (*counter, *key)]
    assert tuple(int(w) for w in _philox(*words)) == expected


def test_normal_quantile_agrees_with_scipy() -> None:
    p = np.concatenate(
        (
            np.logspace(-300, -1, 2000),
            np.linspace(0.01, 0.99, 20_001),
            1 - np.logspace(-16, -1, 500),
        )
    )
    np.testing.assert_allclose(_quantiles(p), special.ndtri(p), rtol=1e-14, atol=1e-300)


LAWS = {
    "exponential": (Exponential(dist="exponential", mean=2.5), stats.expon(scale=2.5)),
    "lognormal": (
        Lognormal(dist="lognormal", mean=3.0, cv=1.2),
        stats.lognorm(s=math.sqrt(math.log1p(1.44)), scale=3.0 / math.sqrt(1 + 1.44)),
    ),
    "gamma-shape-4": (Gamma(dist="gamma", mean=2.0, cv=0.5), stats.gamma(a=4.0, scale=0.5)),
    "gamma-shape-0.25": (Gamma(dist="gamma", mean=1.0, cv=2.0), stats.gamma(a=0.25, scale=4.0)),
    "uniform": (Uniform(dist="uniform", low=1.0, high=4.0), stats.uniform(loc=1.0, scale=3.0)),
    "triangular": (
        Triangular(dist="triangular", low=1.0, mode=2.0, high=5.0),
        stats.triang(c=0.25, loc=1.0, scale=4.0),
    ),
    "quantiles": (
        Empirical(dist="empirical", quantiles={0: 0.0, 0.5: 1.0, 0.9: 4.0, 1: 10.0}),
        None,
    ),
}


@pytest.mark.parametrize("name", list(LAWS))
def test_each_law_passes_kolmogorov_smirnov_and_its_mean(name: str) -> None:
    dist, law = LAWS[name]
    sample = draws(dist)
    if law is None:  # piecewise linear quantile table: its own CDF
        probs, times = zip(*dist.quantiles.items(), strict=True)
        cdf = lambda x: np.interp(x, times, probs)  # noqa: E731
    else:
        cdf = law.cdf
    assert stats.kstest(sample, cdf).pvalue > 1 - CONFIDENCE, name
    z = stats.norm.ppf(0.5 + CONFIDENCE / 2)
    half_width = z * math.sqrt(dist.variance / len(sample))
    assert abs(sample.mean() - dist.mean) < half_width, (name, sample.mean(), dist.mean)


def test_a_million_normals_pass_kolmogorov_smirnov() -> None:
    """The ziggurat's tables are the subtle part: a large sample sees small distortions."""
    sample = np.log(draws(Lognormal(dist="lognormal", mean=1.0, cv=1.0), 1_000_000, 11))
    sigma = math.sqrt(math.log(2.0))
    assert stats.kstest((sample + sigma**2 / 2) / sigma, "norm").pvalue > 1 - CONFIDENCE


def test_the_ziggurats_tails_have_the_right_mass() -> None:
    """The normal's tail beyond 3.44 (its ziggurat's base strip) and the exponential's beyond
    7.7 are drawn by separate code: their frequencies match theory (99.9% binomial)."""
    n = 400_000
    normal = _draws(*encode([Lognormal(dist="lognormal", mean=1.0, cv=1.0)]), 0, *KEY, n, 9, 0)
    sigma = math.sqrt(math.log(2.0))
    z = (np.log(normal) + sigma**2 / 2) / sigma
    exponential = draws(Exponential(dist="exponential", mean=1.0), n)
    for observed, p in (
        (np.sum(np.abs(z) > streams.NORMAL_TAIL), 2 * stats.norm.sf(streams.NORMAL_TAIL)),
        (np.sum(exponential > streams.EXPONENTIAL_TAIL), math.exp(-streams.EXPONENTIAL_TAIL)),
    ):
        low, high = stats.binom(n, p).interval(CONFIDENCE)
        assert low <= observed <= high, (observed, n * p)


def test_empirical_values_are_resampled_uniformly() -> None:
    values = [0.5, 1.0, 4.0, 7.5]
    sample = draws(Empirical(dist="empirical", values=values))
    counts = np.array([np.sum(sample == v) for v in values])
    assert counts.sum() == N
    assert stats.chisquare(counts).pvalue > 1 - CONFIDENCE


def test_deterministic_draws_nothing() -> None:
    assert (draws(Deterministic(dist="deterministic", value=2.25), 100) == 2.25).all()


@pytest.mark.parametrize(
    ("other_purpose", "other_station", "shift"),
    [(6, 0, 0), (5, 1, 0), (5, 0, 1)],
    ids=["another purpose", "another station", "the next shipment"],
)
def test_streams_are_uncorrelated(other_purpose: int, other_station: int, shift: int) -> None:
    n = 100_000
    exponential = Exponential(dist="exponential", mean=1.0)
    a = draws(exponential, n + 1)[:n]
    b = draws(exponential, n + 1, other_purpose, other_station)[shift : n + shift]
    r = np.corrcoef(a, b)[0, 1]
    assert abs(r) < 4 / math.sqrt(n), r


def test_a_draw_depends_only_on_its_key_and_counter() -> None:
    """Shipment 7's draw is the same whether 8 or 80,000 shipments are drawn."""
    lognormal = Lognormal(dist="lognormal", mean=2.0, cv=0.7)
    assert draws(lognormal, 8)[7] == draws(lognormal, 80_000)[7]
