"""Fitted shares of one probability vector are drawn as their estimates vary: together.

A port's channel shares are counted in one multinomial: the estimate of yellow plus red
(the share a check sees) varies as ``1 - green`` does, with variance ``p (1 - p) / n``.
Drawn one by one and renormalised, the categories would spread that sum by about a fifth
too little; drawn on the multinomial's correlations they spread it as the count does, and
each keeps its own interval.
"""

from __future__ import annotations

import numpy as np
import pytest
from calibration_cases import records, rough, truth, write_scenario
from scipy import stats

from sim.calibrate.estimate import wilson
from sim.calibrate.from_records import calibrate_records
from sim.experiment.design import latin_hypercube
from sim.model.uncertain import Target, Uncertain, joint_groups, joint_unit, uncertain_inputs

SHARES = {"green": 0.6, "yellow": 0.25, "red": 0.15}
COUNT = 2800
DRAWS = 4000


def fitted_channels() -> list[Uncertain]:
    """The three channel shares as ``calibrate`` writes them: Wilson intervals of one count."""
    inputs = []
    for name, share in SHARES.items():
        low, high = wilson(share * COUNT, COUNT, 0.95)
        path = ("countries", "PER", "ports", "callao", "channels", "standard", name)
        inputs.append(
            Uncertain(
                name=f"fitted {name}",
                kind="range",
                low=low,
                high=high,
                dist="interval",
                targets=(Target(path, share),),
                reason="records calibration",
                mark="fitted (calibration of records.parquet)",
                origin="calibration",
                peak=share,
                confidence=0.95,
                floor=0.0,
                ceiling=1.0,
                patterns=(".".join(path),),
            )
        )
    return inputs


def inspected_spread(inputs: list[Uncertain], unit: np.ndarray) -> float:
    """The spread of yellow plus red over the draws, renormalised as a draw is."""
    rows = (zip(inputs, row, strict=True) for row in unit)
    values = np.array([[item.value(u) for item, u in row] for row in rows])
    return float(((values[:, 1] + values[:, 2]) / values.sum(axis=1)).std(ddof=1))


def test_a_vectors_categories_spread_their_sum_as_the_count_does():
    inputs = fitted_channels()
    unit = latin_hypercube(len(inputs), DRAWS, seed=3)
    count = np.sqrt(SHARES["green"] * (1 - SHARES["green"]) / COUNT)
    joint = inspected_spread(inputs, joint_unit(inputs, unit))
    alone = inspected_spread(inputs, unit)
    assert joint == pytest.approx(count, rel=0.06), (joint, count)
    assert alone < 0.85 * count, "drawn one by one, the categories spread their sum too little"


def test_each_category_keeps_its_own_law():
    inputs = fitted_channels()
    unit = joint_unit(inputs, latin_hypercube(len(inputs), DRAWS, seed=4))
    for column in unit.T:
        assert stats.kstest(column, "uniform").pvalue > 0.001
    correlations = np.corrcoef(stats.norm.ppf(unit).T)
    yellow_red = -np.sqrt(0.25 * 0.15 / (0.75 * 0.85))
    assert correlations[1, 2] == pytest.approx(yellow_red, abs=0.05)


def test_a_calibrated_port_draws_each_vector_together(tmp_path):
    case = truth(stations=1)
    path = tmp_path / "records.parquet"
    records(case, seed=5).to_parquet(path)
    template = write_scenario(rough(case), tmp_path / "template.yaml")
    fitted = calibrate_records(path, template, replications=2, workers=1, seed=5).fitted
    inputs = uncertain_inputs(fitted)
    groups = [sorted(inputs[i].name for i in group) for group in joint_groups(inputs)]
    prefix = "fitted PER callao "
    assert sorted(groups) == sorted(
        [
            sorted(prefix + f"channels {group} {c}" for c in SHARES)
            for group in ("standard", "national_aeo")
        ]
        + [sorted(prefix + f"origins {o}" for o in ("CHL", "BRA", "OTHER"))]
    )
