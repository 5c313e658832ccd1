"""Plausible ranges and drivers, from the replications of every draw.

Each draw ``d`` of the uncertain inputs is run for ``R`` replications on streams of its
own, so a draw's estimate ``y_d`` (the mean of its replications) is its true value
``mu(x_d)`` plus simulation noise ``e_d`` independent of everything else. Then, by the
law of total variance, over the draws::

    Var(y) = Var(mu(X)) + E[Var(e)]      (inputs, then noise)

``E[Var(e)]`` is estimated by the mean over draws of each draw's variance of its mean
(its replications' variance over ``R``), and the inputs' part by the difference; the
*input share* is ``Var(mu(X)) / Var(y)``, and one minus it is what is left to noise.

**Plausible range**: the 5th and 95th percentiles of ``mu(X)``. The draws' own
percentiles would be those of ``y``, widened by noise; each draw is shrunk towards the
mean by ``sqrt(input share)`` first (the spread that matches the inputs' variance), which
is exact for normal noise and a close first-order correction otherwise.

**Drivers**: each input's first-order index ``Var(E[mu | X_i]) / Var(mu(X))``, the share of
the input-driven variance that knowing ``X_i`` exactly would remove on average (its
*value of information*). Estimated from the draws themselves by SALib's RBD-FAST (Tarantola
et al. 2006; Plischke 2010; bias-corrected as Tissot and Prieur 2012), which works on any
sample of the inputs (a Latin hypercube here): the draws sorted by ``X_i`` (in SALib's
zigzag order) make the output periodic in ``X_i``, and the power of its first
:data:`HARMONICS` harmonics is the part ``X_i`` explains. It is computed here on every row
at once, by SALib's own steps (a test holds it to SALib's ``rbd_fast.analyze``), and
divided by the input share, so that noise is not counted as doubt. Its interval comes from
:data:`SUBSAMPLES` half-samples drawn without replacement, whose spread (times
``sqrt(1/2)``, the subsampling rule of Politis and Romano) measured 95% coverage on test
functions at 64 draws; SALib's own bootstrap (half-samples with replacement, unscaled) gave
intervals about three times too wide. A Sobol' design gives first-order and total indices
by Saltelli's estimators instead (:func:`sobol_drivers`).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from scipy.signal import periodogram

from sim.replicate.stats import CONFIDENCE

LOW, HIGH = 0.05, 0.95
"""The plausible range: the 5th to the 95th percentile of the effect over the inputs."""
HARMONICS = 4
"""RBD-FAST's harmonics (SALib's M): a smooth response needs few, and each costs bias
``2M/N`` that the correction must remove (at 64 draws, M = 4 measured the smallest error)."""
SUBSAMPLES = 100
MIN_DRAWS = 8
"""Fewer draws defining a row give no range for it."""
MIN_INPUT_SHARE = 0.25
"""Below this share of inputs, drivers would mostly describe noise: none are given."""


@dataclass(frozen=True)
class DrawStats:
    """Each draw's estimate of each row, and the variance of that estimate from noise."""

    mean: np.ndarray  # (draws, rows); NaN where a draw defines no value
    noise: np.ndarray  # (draws, rows): variance of the mean over the draw's replications


@dataclass(frozen=True)
class Spread:
    """Per row: what the inputs and the noise contribute, and the plausible range."""

    low: np.ndarray
    high: np.ndarray
    input_share: np.ndarray
    input_variance: np.ndarray
    noise_variance: np.ndarray
    draws: np.ndarray  # draws that define the row


def value_stats(values: np.ndarray) -> DrawStats:
    """``values`` (draws, rows, replications): each draw's mean and its noise variance."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        n = np.sum(~np.isnan(values), axis=2)
        mean = np.nanmean(values, axis=2)
        variance = np.nanvar(values, axis=2, ddof=1)
    return DrawStats(mean, np.where(n > 1, variance / np.maximum(n, 1), np.nan))


def difference_stats(compared: np.ndarray, baseline: np.ndarray) -> DrawStats:
    """Paired differences, replication by replication (common random numbers in a draw)."""
    return value_stats(compared - baseline)


def relative_stats(compared: np.ndarray, baseline: np.ndarray) -> DrawStats:
    """The change in percent of the baseline, each draw's ratio of means ``100 D / B``; its
    noise variance by the delta method, from ``L_r = 100 (D_r - ratio B_r) / mean(B)``."""
    difference = compared - baseline
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        both = ~np.isnan(difference) & ~np.isnan(baseline)
        d = np.where(both, difference, np.nan)
        b = np.where(both, baseline, np.nan)
        mean_b = np.nanmean(b, axis=2)
        ratio = np.nanmean(d, axis=2) / mean_b
        ratio = np.where(np.isfinite(ratio) & (mean_b != 0), ratio, np.nan)
        linear = 100 * (d - ratio[..., None] * b) / mean_b[..., None]
        n = both.sum(axis=2)
        noise = np.nanvar(linear, axis=2, ddof=1) / np.maximum(n, 1)
    return DrawStats(100 * ratio, np.where(n > 1, noise, np.nan))


def spread(stats: DrawStats) -> Spread:
    """Plausible range and shares of variance of every row (the module docstring)."""
    rows = stats.mean.shape[1]
    out = {name: np.full(rows, np.nan) for name in ("low", "high", "share", "vin", "vnoise")}
    draws = np.sum(np.isfinite(stats.mean), axis=0)
    for j in np.flatnonzero(draws >= MIN_DRAWS):
        y = stats.mean[:, j]
        defined = np.isfinite(y)
        y, noise = y[defined], stats.noise[defined, j]
        total = float(np.var(y, ddof=1))
        noise_variance = float(np.nanmean(noise)) if np.isfinite(noise).any() else 0.0
        inputs = max(total - noise_variance, 0.0)
        share = inputs / total if total > 0 else math.nan
        centre = float(np.mean(y))
        shrunk = centre + math.sqrt(share if math.isfinite(share) else 0.0) * (y - centre)
        out["low"][j], out["high"][j] = np.quantile(shrunk, [LOW, HIGH])
        out["share"][j], out["vin"][j], out["vnoise"][j] = share, inputs, noise_variance
    return Spread(
        out["low"], out["high"], out["share"], out["vin"], out["vnoise"], draws.astype(np.int64)
    )


# --- drivers ---------------------------------------------------------------------------


def zigzag(order: np.ndarray) -> np.ndarray:
    """SALib's ``permute_outputs``: the ranks in the order that makes the output periodic
    (even positions ascending, then odd ones descending)."""
    return np.concatenate([order[::2], order[1::2][::-1]])


def rbd_fast(x: np.ndarray, y: np.ndarray, harmonics: int = HARMONICS) -> np.ndarray:
    """First-order indices of one input ``x`` (draws,) for every column of ``y`` (draws,
    rows): SALib's ``compute_first_order`` and ``unskew_S1``, for many outputs at once."""
    permuted = y[zigzag(np.argsort(x, kind="stable"))]
    _, power = periodogram(permuted, axis=0)
    total = power[1:].sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        first = power[1 : harmonics + 1].sum(axis=0) / total
    n = len(x)
    skew = 2 * harmonics / n
    return first - skew / (1 - skew) * (1 - first)


@dataclass(frozen=True)
class Drivers:
    """Per input (rows of the arrays) and output (columns): first-order index and interval,
    as shares of the input-driven variance; total indices where the design gives them."""

    first: np.ndarray
    first_low: np.ndarray
    first_high: np.ndarray
    total: np.ndarray | None = None
    total_low: np.ndarray | None = None
    total_high: np.ndarray | None = None


def drivers(unit: np.ndarray, y: np.ndarray, input_share: np.ndarray, seed: int) -> Drivers:
    """First-order indices of every input (columns of ``unit``, the draws' coordinates) for
    every output column of ``y`` with every draw defined (others NaN)."""
    draws, inputs = unit.shape
    outputs = y.shape[1]
    first = np.full((inputs, outputs), np.nan)
    low, high = first.copy(), first.copy()
    usable = np.isfinite(y).all(axis=0) & (np.ptp(np.nan_to_num(y), axis=0) > 0)
    usable &= np.nan_to_num(input_share) >= MIN_INPUT_SHARE
    if not usable.any() or draws < MIN_DRAWS:
        return Drivers(first, low, high)
    columns = y[:, usable]
    share = input_share[usable]
    half = draws // 2
    harmonics = max(1, min(HARMONICS, draws // 8))  # a half-sample's bias 4M/N stays below 1
    rng = np.random.default_rng([seed, 27])
    picks = [rng.choice(draws, size=half, replace=False) for _ in range(SUBSAMPLES)]
    z = _z()
    for i in range(inputs):
        full = rbd_fast(unit[:, i], columns, harmonics)
        subs = np.array([rbd_fast(unit[pick, i], columns[pick], harmonics) for pick in picks])
        spread_ = np.std(subs - full, axis=0, ddof=1) * math.sqrt(half / draws)
        first[i, usable] = full / share
        low[i, usable] = (full - z * spread_) / share
        high[i, usable] = (full + z * spread_) / share
    return Drivers(first, low, high)


def sobol_drivers(outputs: np.ndarray, inputs: int, input_share: np.ndarray, seed: int) -> Drivers:
    """First-order and total indices from a Sobol'-Saltelli design (SALib's estimators, with
    their bootstrap intervals), for outputs (draws, columns) in the design's order."""
    from SALib.analyze import sobol

    columns = outputs.shape[1]
    arrays = {k: np.full((inputs, columns), np.nan) for k in ("S1", "S1c", "ST", "STc")}
    problem = {"num_vars": inputs, "names": [f"x{i}" for i in range(inputs)]}
    problem["bounds"] = [[0.0, 1.0]] * inputs
    for j in range(columns):
        y = outputs[:, j]
        share = input_share[j]
        if not np.isfinite(y).all() or np.ptp(y) == 0 or not share >= MIN_INPUT_SHARE:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            found = sobol.analyze(
                problem,
                y,
                calc_second_order=False,
                num_resamples=200,
                conf_level=CONFIDENCE,
                seed=seed + 1,
            )
        arrays["S1"][:, j], arrays["S1c"][:, j] = found["S1"] / share, found["S1_conf"] / share
        arrays["ST"][:, j], arrays["STc"][:, j] = found["ST"] / share, found["ST_conf"] / share
    s1, st = arrays["S1"], arrays["ST"]
    return Drivers(
        s1,
        s1 - arrays["S1c"],
        s1 + arrays["S1c"],
        st,
        st - arrays["STc"],
        st + arrays["STc"],
    )


def _z() -> float:
    from scipy.stats import norm

    return float(norm.ppf(0.5 + CONFIDENCE / 2))
