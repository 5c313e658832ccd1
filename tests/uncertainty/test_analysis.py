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
    """y_d = mu(x_d) + noise: the range is mu's (within sampling), the share Var(mu)/Var(y)."""
    draws, replications, sigma = 400, 4, 1.0
    unit = latin_hypercube(1, draws, 3)
    mu = 10 * unit[:, 0]  # uniform on [0, 10]: 5th and 95th percentiles 0.5 and 9.5
    rng = np.random.default_rng(4)
    values = mu[:, None, None] + sigma * rng.normal(size=(draws, 1, replications))
    spread = analysis.spread(analysis.value_stats(values))
    noise = sigma**2 / replications
    assert spread.input_share[0] == pytest.approx(100 / 12 / (100 / 12 + noise), abs=0.01)
    assert spread.low[0] == pytest.approx(0.5, abs=0.25)
    assert spread.high[0] == pytest.approx(9.5, abs=0.25)
    noisy = np.quantile(values.mean(axis=2)[:, 0], [0.05, 0.95])
    assert spread.low[0] > noisy[0] and spread.high[0] < noisy[1]  # narrower than raw draws


def test_relative_change_noise_is_the_delta_methods():
    """A constant ratio with noisy baseline: each draw's ratio of means, and a noise variance
    that matches the spread of the ratio over many repetitions of the draw."""
    rng = np.random.default_rng(6)
    baseline = 20 + rng.normal(size=(3000, 1, 8))
    compared = 0.9 * baseline + 0.3 * rng.normal(size=(3000, 1, 8))
    found = analysis.relative_stats(compared, baseline)
    assert np.mean(found.mean) == pytest.approx(-10, abs=0.05)
    assert np.mean(found.noise) == pytest.approx(np.var(found.mean), rel=0.1)


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
