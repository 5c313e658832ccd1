"""Plausible ranges and drivers from draws (sim.uncertainty.analysis), on known answers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim.experiment.design import latin_hypercube
from sim.uncertainty import analysis


def test_rbd_fast_is_salibs_estimator_on_many_outputs_at_once():
    from SALib.analyze import rbd_fast

    unit = latin_hypercube(3, 64, 5)
    rng = np.random.default_rng(2)
    outputs = np.column_stack(
        [
            3 * unit[:, 0] + unit[:, 1] ** 2 + 0.1 * rng.normal(size=64),
            np.sin(6 * unit[:, 2]) + unit[:, 0],
        ]
    )
    problem = {"num_vars": 3, "names": ["a", "b", "c"], "bounds": [[0, 1]] * 3}
    for j in range(outputs.shape[1]):
        theirs = rbd_fast.analyze(problem, unit, outputs[:, j], M=4, num_resamples=2, seed=1)
        for i in range(3):
            mine = analysis.rbd_fast(unit[:, i], outputs[:, j : j + 1], 4)[0]
            assert mine == pytest.approx(theirs["S1"][i], abs=1e-12)


def test_noise_is_taken_out_of_the_range_and_counted_in_the_share():
    """y_d = mu(x_d) + noise, mu normal (where shrinking by sqrt(share) is exact in law): the
    range is mu's 5th and 95th percentiles, the share Var(mu) / Var(y).

    Tolerances at 99.9% (two-sided normal), from the estimators' large-sample standard
    deviations for independent draws (a Latin hypercube of a monotone mu spreads them no
    more): a sample quantile's ``sqrt(p (1 - p) / D) / f(q)``; the share's, by the delta
    method, ``(N / V) sqrt(2 / (R - 1) / D + 2 / (D - 1))`` (the mean of D noise variances
    from R replications each, and the variance of D normal values)."""
    draws, replications, sigma, scale = 400, 4, 1.0, 2.0
    unit = latin_hypercube(1, draws, 3)
    mu = 5 + scale * stats.norm.ppf(unit[:, 0])
    rng = np.random.default_rng(4)
    values = mu[:, None, None] + sigma * rng.normal(size=(draws, 1, replications))
    spread = analysis.spread(analysis.value_stats(values))
    z = stats.norm.ppf(1 - 0.001 / 2)
    noise, total = sigma**2 / replications, scale**2 + sigma**2 / replications
    share_sd = noise / total * np.sqrt(2 / (replications - 1) / draws + 2 / (draws - 1))
    assert spread.input_share[0] == pytest.approx(scale**2 / total, abs=z * share_sd)
    q = stats.norm.ppf(0.95)
    quantile_sd = np.sqrt(0.05 * 0.95 / draws) / (stats.norm.pdf(q) / scale)
    assert spread.low[0] == pytest.approx(5 - scale * q, abs=z * quantile_sd)
    assert spread.high[0] == pytest.approx(5 + scale * q, abs=z * quantile_sd)


def test_relative_change_noise_is_the_delta_methods():
    """A constant ratio with noisy baseline: each draw's ratio of means, and a noise variance
    that matches the spread of the ratio over many repetitions of the draw.

    Tolerances at 99.9% (two-sided normal): the mean of D ratios within ``z sd / sqrt(D)``;
    the two variance estimates (D noise variances of R - 1 degrees of freedom each, and the
    variance of D ratios) within ``z sqrt(2 / (D (R - 1)) + 2 / (D - 1))`` of each other,
    relatively."""
    draws, replications = 3000, 8
    rng = np.random.default_rng(6)
    baseline = 20 + rng.normal(size=(draws, 1, replications))
    compared = 0.9 * baseline + 0.3 * rng.normal(size=(draws, 1, replications))
    found = analysis.relative_stats(compared, baseline)
    z = stats.norm.ppf(1 - 0.001 / 2)
    spread = np.std(found.mean)
    assert np.mean(found.mean) == pytest.approx(-10, abs=z * spread / np.sqrt(draws))
    relative = z * np.sqrt(2 / (draws * (replications - 1)) + 2 / (draws - 1))
    assert np.mean(found.noise) == pytest.approx(np.var(found.mean), rel=relative)


def test_first_order_intervals_cover_at_about_their_rate():
    """RBD-FAST's half-sample intervals at 64 draws, on a function with known indices:
    over 40 designs the 95% intervals of three inputs cover the truth at least 100 times in
    120 (a correct 95% interval fails this with probability under 0.1%; binomial)."""

    def f(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return 3 * x[:, 0] + 2 * x[:, 1] ** 2 + np.exp(x[:, 2]) + 0.2 * rng.normal(size=len(x))

    rng = np.random.default_rng(9)
    big = rng.random((400_000, 3))
    y = f(big, rng)
    total = y.var()
    truth = np.array([0.75, 4 * (1 / 5 - 1 / 9), (np.exp(2) - 1) / 2 - (np.e - 1) ** 2]) / total
    covered = 0
    for seed in range(40):
        unit = latin_hypercube(3, 64, 100 + seed)
        out = f(unit, np.random.default_rng(seed))[:, None]
        found = analysis.drivers(unit, out, np.array([1.0]), seed)
        covered += int(np.sum((found.first_low[:, 0] <= truth) & (truth <= found.first_high[:, 0])))
    assert covered >= stats.binom.ppf(0.001, 120, 0.95), covered
