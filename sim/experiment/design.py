"""Design points: a full grid, a Latin hypercube, or a Sobol'-Saltelli sample.

Sampled designs draw points in the unit hypercube with the experiment's seed (a
Latin hypercube from ``scipy.stats.qmc``; the Sobol' design from SALib, so that
its analysis in :mod:`.analysis` reads the sample in the order it expects) and
scale each coordinate ``u`` in [0, 1) to its factor:

* a real factor takes ``low + u * (high - low)``;
* an integer factor takes ``low + floor(u * (high - low + 1))`` (``high`` if ``u``
  is exactly 1), so each of the ``high - low + 1`` integers gets probability
  ``1 / (high - low + 1)`` and both bounds can occur.

The points are a function of the file alone: the same file gives the same points.
"""

from __future__ import annotations

import itertools
import math
import warnings
from typing import Any

import numpy as np

from sim.experiment.spec import Experiment, Factor

Point = dict[str, Any]
"""The value of each factor at one design point, by factor path."""


def design_points(experiment: Experiment) -> list[Point]:
    """Every design point of an experiment, in the order its results are listed."""
    return points_of(experiment.design, experiment.factors, experiment.points, experiment.seed)


def points_of(design: str, factors: tuple[Factor, ...], size: int | None, seed: int) -> list[Point]:
    """Points of a design over factors (``size``: lhs points, or Sobol' base samples N)."""
    if design == "grid":
        combos = itertools.product(*(factor.levels for factor in factors))
        return [dict(zip((f.path for f in factors), combo, strict=True)) for combo in combos]
    assert size is not None
    unit = (
        latin_hypercube(len(factors), size, seed)
        if design == "lhs"
        else sobol_sample(len(factors), size, seed)
    )
    return [
        {f.path: scale(f, u) for f, u in zip(factors, row, strict=True)} for row in unit.tolist()
    ]


def latin_hypercube(dimensions: int, points: int, seed: int) -> np.ndarray:
    """``points`` rows in [0, 1)^d, one in each of ``points`` equal slices of every axis."""
    from scipy.stats import qmc

    return qmc.LatinHypercube(d=dimensions, rng=seed).random(points)


def sobol_sample(dimensions: int, base: int, seed: int) -> np.ndarray:
    """SALib's Sobol'-sequence sample for first-order and total indices: ``base * (d + 2)`` rows.

    Rows come in blocks of ``d + 2`` (A, then A with column i from B for each i, then B),
    the order :func:`sim.experiment.analysis.sobol_indices` reads them in.
    """
    from SALib.sample import sobol

    problem = unit_problem(dimensions)
    with warnings.catch_warnings():  # the power-of-2 rule is checked with the file
        warnings.simplefilter("ignore", UserWarning)
        return sobol.sample(problem, base, calc_second_order=False, seed=seed)


def unit_problem(dimensions: int, names: list[str] | None = None) -> dict[str, Any]:
    """A SALib problem over the unit hypercube (factors are scaled after sampling)."""
    return {
        "num_vars": dimensions,
        "names": names or [f"x{i}" for i in range(dimensions)],
        "bounds": [[0.0, 1.0]] * dimensions,
    }


def scale(factor: Factor, u: float) -> Any:
    """The factor's value at unit coordinate ``u`` (the rounding rule of the module docstring)."""
    low, high = factor.low, factor.high
    if factor.integer:
        return int(min(high, low + math.floor(u * (high - low + 1))))
    return float(low + u * (high - low))
