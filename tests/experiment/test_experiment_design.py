"""Design points (grid, Latin hypercube, Sobol'), the integer rule, and Sobol' indices of a
function whose indices are known (Ishigami) through the experiment's own design and analysis."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from sim.experiment.analysis import sobol_indices
from sim.experiment.design import points_of, scale, sobol_sample
from sim.experiment.spec import Factor

REAL = Factor("a.real", (0.0, 1.0))
WHOLE = Factor("b.whole", (1, 4), integer=True)


def test_a_grid_is_every_combination_first_factor_slowest() -> None:
    factors = (Factor("u", (0.0, 0.5, 1.0)), Factor("s", (8, 12)))
    points = points_of("grid", factors, None, seed=1)
    assert points == [{"u": u, "s": s} for u in (0.0, 0.5, 1.0) for s in (8, 12)]


def test_integer_rule_gives_each_whole_number_the_same_chance() -> None:
    """low + floor(u (high - low + 1)): over a uniform grid of u, every integer equally often."""
    factor = Factor("servers", (8, 12), integer=True)
    counts = Counter(scale(factor, k / 5000) for k in range(5000))
    assert counts == {8: 1000, 9: 1000, 10: 1000, 11: 1000, 12: 1000}
    assert scale(factor, 1.0) == 12  # the closed end stays in range


def test_latin_hypercube_has_one_point_in_each_slice_of_every_axis() -> None:
    """12 points: each twelfth of the real axis once; each of 4 integers exactly 3 times."""
    points = points_of("lhs", (REAL, WHOLE), 12, seed=5)
    slices = sorted(math.floor(p["a.real"] * 12) for p in points)
    assert slices == list(range(12))
    assert Counter(p["b.whole"] for p in points) == {1: 3, 2: 3, 3: 3, 4: 3}
    assert points == points_of("lhs", (REAL, WHOLE), 12, seed=5)  # reproducible
    assert points != points_of("lhs", (REAL, WHOLE), 12, seed=6)


def test_sobol_sample_comes_in_blocks_of_a_b_and_their_mixes() -> None:
    """Blocks of d + 2 rows: A, A with column i taken from B (each i), then B."""
    d, n = 3, 8
    sample = sobol_sample(d, n, seed=2)
    assert sample.shape == (n * (d + 2), d)
    for block in sample.reshape(n, d + 2, d):
        a, b = block[0], block[-1]
        for i in range(d):
            expected = a.copy()
            expected[i] = b[i]
            np.testing.assert_array_equal(block[1 + i], expected)


ISHIGAMI_S1 = (0.3139, 0.4424, 0.0)
ISHIGAMI_ST = (0.5576, 0.4424, 0.2437)
Z_95, Z_999 = 1.959964, 3.290527


def ishigami(x1: np.ndarray, x2: np.ndarray, x3: np.ndarray) -> np.ndarray:
    return np.sin(x1) + 7.0 * np.sin(x2) ** 2 + 0.1 * x3**4 * np.sin(x1)


def test_sobol_indices_of_ishigami_are_recovered() -> None:
    """The known first-order and total indices lie within each estimate's interval.

    SALib's half-width is 1.96 bootstrap standard errors; each index is allowed
    3.29 standard errors (a 99.9% interval), so the six checks together fail by chance
    with probability below 0.6% (Bonferroni). The bootstrap treats the Sobol' points
    as independent draws, which overstates the error of a quasi-random sample: the
    test is conservative. The intervals must also be narrower than 0.05, or a wrong
    estimator could hide behind wide ones.
    """
    factors = tuple(Factor(f"x{i}", (-math.pi, math.pi)) for i in (1, 2, 3))
    points = points_of("sobol", factors, 4096, seed=2022)
    x = np.array([[p[f.path] for f in factors] for p in points])
    indices = sobol_indices([f.path for f in factors], ishigami(*x.T), seed=2022)
    for name, truth in (("S1", ISHIGAMI_S1), ("ST", ISHIGAMI_ST)):
        estimate, half_width = indices[name], indices[f"{name}_conf"]
        assert (half_width < 0.05).all(), (name, half_width)
        allowed = half_width / Z_95 * Z_999
        assert (np.abs(estimate - np.array(truth)) <= allowed).all(), (name, estimate, allowed)


def test_sobol_indices_are_reproducible() -> None:
    factors = tuple(Factor(f"x{i}", (-math.pi, math.pi)) for i in (1, 2, 3))
    points = points_of("sobol", factors, 64, seed=1)
    y = ishigami(*np.array([[p[f.path] for f in factors] for p in points]).T)
    first, second = sobol_indices(["a", "b", "c"], y, 0), sobol_indices(["a", "b", "c"], y, 0)
    for name in first:
        np.testing.assert_array_equal(first[name], second[name])


@pytest.mark.parametrize("design", ["lhs", "sobol"])
def test_sampled_designs_stay_inside_their_ranges(design: str) -> None:
    factors = (Factor("u", (0.2, 0.4)), Factor("s", (3, 5), integer=True))
    points = points_of(design, factors, 32, seed=9)
    assert all(0.2 <= p["u"] < 0.4 and p["s"] in (3, 4, 5) for p in points)
    assert {p["s"] for p in points} == {3, 4, 5}
