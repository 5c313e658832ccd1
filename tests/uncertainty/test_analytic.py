"""The plausible range and the drivers of an effect known exactly (Cobham's formula).

One documentary check, one officer, exponential service (M/M/1), no calendar; half the
exporters are partner AEOs (``e``), and a claiming shipment is served first (non-preemptive
priority). Without the arrangement everyone waits the FCFS wait ``W0 / (1 - rho)``; with
it a share ``e u`` of all shipments (``u`` the utilisation) is the high class, and Cobham's
formula gives each class's mean wait: ``W0 / (1 - rho e u)`` and
``W0 / ((1 - rho e u)(1 - rho))``, with ``W0 = rho / mu`` the mean residual work. The effect
on partner-AEO (eligible) shipments' mean clearance time (their mean wait: service and
everything else are the same draws in both scenarios) is therefore an exact function of
the load ``rho`` and of ``u``, both uncertain here (uniform ranges). (With every exporter
eligible the effect would be zero: the mean wait is conserved.)

Its exact 5th and 95th percentiles and first-order indices follow from the function alone
(a fine grid). The study estimates them from 64 simulated draws of two replications, and
its own estimators at 64 draws err even on the exact function. The tolerance is what they
allow: the same estimators (the plausible range's percentiles with the noise taken out,
and RBD-FAST divided by the input share) are applied to the exact function plus normal
noise of the variance the study itself measured, at DESIGNS other Latin hypercubes; each
check allows Z times their root-mean-square error around the exact value, Z the normal
quantile that gives the four checks together a failure probability of FAILURE (Bonferroni),
taking the estimators' errors as normal. (The simulation's noise is not the same at every
load; the stand-in's is, at the study's average.)
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from scipy import stats

import sim
from sim.experiment.design import latin_hypercube
from sim.model.load import scenario_from_dict
from sim.uncertainty import analysis, compare_uncertain

MU = 1.0  # services an hour
E = 0.5  # partner-AEO exporters
RHO = (0.3, 0.7)
UTILISATION = (0.2, 0.8)
DRAWS = 64
DESIGNS = 400  # designs over which the estimators' own error is measured
FAILURE = 0.01  # probability that a correct pipeline fails one of the four checks
CHECKS = 4  # two percentiles, two first-order indices
Z = float(stats.norm.ppf(1 - FAILURE / (2 * CHECKS)))


def delta(rho: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Change in the eligible shipments' mean wait (hours), with minus without."""
    w0 = rho / MU
    high = w0 / (1 - rho * E * u)
    low = w0 / ((1 - rho * E * u) * (1 - rho))
    return u * high + (1 - u) * low - w0 / (1 - rho)


def scaled(unit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rho = RHO[0] + unit[..., 0] * (RHO[1] - RHO[0])
    u = UTILISATION[0] + unit[..., 1] * (UTILISATION[1] - UTILISATION[0])
    return rho, u


def exact() -> tuple[np.ndarray, np.ndarray]:
    """(5th, 95th percentile) and (S_rho, S_u) of the effect, on a 1500 x 1500 grid."""
    grid = (np.arange(1500) + 0.5) / 1500
    rho = RHO[0] + grid[:, None] * (RHO[1] - RHO[0])
    u = UTILISATION[0] + grid[None, :] * (UTILISATION[1] - UTILISATION[0])
    values = delta(rho, u)
    total = values.var()
    first = np.array([values.mean(axis=1).var(), values.mean(axis=0).var()]) / total
    return np.quantile(values, [0.05, 0.95]), first


def estimator_error(noise: float) -> tuple[np.ndarray, np.ndarray]:
    """Root-mean-square error, around the exact values, of the percentiles and of the
    first-order indices as the study estimates them at 64 draws of a Latin hypercube, on
    the exact function plus normal noise of variance ``noise`` (a draw's mean's)."""
    (p05, p95), first = exact()
    percentiles, indices = [], []
    rng = np.random.default_rng(27)
    for seed in range(DESIGNS):
        unit = latin_hypercube(2, DRAWS, 1000 + seed)
        values = delta(*scaled(unit)) + np.sqrt(noise) * rng.normal(size=DRAWS)
        draws = analysis.DrawStats(values[:, None], np.full((DRAWS, 1), noise))
        spread = analysis.spread(draws)
        percentiles.append([spread.low[0], spread.high[0]])
        share = spread.input_share[0]
        indices.append([analysis.rbd_fast(unit[:, i], values[:, None])[0] / share for i in (0, 1)])
    error = np.array(percentiles) - [p05, p95], np.array(indices) - first
    return np.sqrt(np.mean(error[0] ** 2, axis=0)), np.sqrt(np.mean(error[1] ** 2, axis=0))


def office() -> dict:
    port = {
        "mode": "sea",
        "arrivals": {"per_day": 24 * MU * 0.5},
        "origins": {"CHL": 1.0},
        "channels": {"standard": {"green": 0.0, "yellow": 1.0, "red": 0.0}},
        "routes": {"yellow": ["documentary"]},
        "stations": {
            "documentary": {
                "servers": 1,
                "service_h": {"dist": "exponential", "mean": 1 / MU},
                "priority": {"standard": 1, "national_aeo": 0},
            }
        },
    }
    return {
        "name": "cobham",
        "horizon_days": 1500,
        "warmup_days": 10,
        "seed": 7,
        "arrangement": {"in_force": True, "utilisation": 0.5},
        "countries": {"PER": {"ports": {"office": port}}, "CHL": {"aeo_exporter_share": E}},
        "uncertainty": {
            "load": {
                "path": "countries.PER.ports.office.arrivals.per_day",
                "range": [24 * MU * RHO[0], 24 * MU * RHO[1]],
                "reason": "the officer's load, between 0.3 and 0.7",
                "mark": "assumption",
            },
            "utilisation": {
                "path": "arrangement.utilisation",
                "range": list(UTILISATION),
                "reason": "the share of partner AEOs that claim",
                "mark": "assumption",
            },
        },
    }


@pytest.mark.slow
def test_percentiles_and_first_order_indices_match_cobhams_formula(tmp_path):
    scenario = scenario_from_dict(copy.deepcopy(office()))
    result = compare_uncertain(
        scenario, draws=DRAWS, replications=2, workers=2, store=tmp_path / "draws"
    )
    table = result.table
    row = table[
        (table.kind == "difference")
        & (table.country == "PER")
        & (table["mode"] == "all")
        & (table.port == "all")
        & (table.group == "eligible")
        & (table.metric == "clearance_h_mean")
    ].iloc[0]
    (p05, p95), first = exact()
    effects = result.draws["difference with PER eligible clearance_h_mean"]
    noise = float(np.var(effects, ddof=1) * (1 - row.input_share))  # the study's own
    error_p, error_s = estimator_error(noise)
    assert abs(row.plausible_low - p05) <= Z * error_p[0], (row.plausible_low, p05, error_p)
    assert abs(row.plausible_high - p95) <= Z * error_p[1], (row.plausible_high, p95, error_p)
    drivers = result.drivers
    mine = drivers[
        (drivers.kind == "difference")
        & (drivers.country == "PER")
        & (drivers["mode"] == "all")
        & (drivers.group == "eligible")
        & (drivers.metric == "clearance_h_mean")
    ].set_index("input")
    for i, name in enumerate(("load", "utilisation")):
        found = mine.loc[name, "first_order"]
        assert abs(found - first[i]) <= Z * error_s[i], (name, found, first[i], error_s)
    # the central estimate is the nominal comparison's, as compare prints it
    nominal = sim.compare(*sim.arrangement_variants(scenario), replications=2, seed=7, workers=1)
    change = nominal.table()
    expected = change[
        (change.kind == "difference")
        & (change.country == "PER")
        & (change["mode"] == "all")
        & (change.port == "all")
        & (change.group == "eligible")
        & (change.metric == "clearance_h_mean")
    ].iloc[0]
    assert row.central == expected["mean"]
