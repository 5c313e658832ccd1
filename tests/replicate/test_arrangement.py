"""The arrangement's comparison: common random numbers, monotone coupling, utilisation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import sim
from sim.engine.inputs import RECOGNISED_AEO, draw_port
from sim.model.variants import arrangement_variants, with_arrangement
from sim.plan.compile import compile_plan
from sim.replicate.runner import compare

ONE_OFFICE = Path(__file__).resolve().parents[2] / "scenarios" / "one-office.yaml"


def office(*overrides: str) -> sim.Scenario:
    return sim.load_scenario(ONE_OFFICE, ["horizon_days=5", "warmup_days=1", *overrides])


def test_zero_utilisation_makes_in_force_and_not_in_force_identical() -> None:
    scenarios, labels = arrangement_variants(office("arrangement.utilisation=0"), None)
    result = compare(scenarios, labels, replications=4, workers=1, seed=3)
    table = result.table()
    without, with_ = (table[(table.kind == "value") & (table.scenario == s)] for s in labels)
    np.testing.assert_array_equal(without["mean"].to_numpy(), with_["mean"].to_numpy())
    differences = table[(table.kind == "difference")]["mean"].dropna()
    assert len(differences) > 50
    assert (differences == 0).all()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_raising_utilisation_never_makes_a_shipment_stricter(seed: int) -> None:
    """Coupling through fixed uniforms: more claims only move shipments to laxer channels.

    This holds because recognised AEOs get national AEO selectivity (0.92/0.06/0.02),
    which is laxer than standard (0.60/0.25/0.15) at every threshold.
    """
    previous_channel, previous_recognised = None, -1
    for u in np.linspace(0, 1, 6):
        plan = compile_plan(with_arrangement(office(), in_force=True, utilisation=float(u)))
        inputs = draw_port(plan.ports[0].window[1], plan.ports[0], seed, 0)
        recognised = int((inputs.group == RECOGNISED_AEO).sum())
        assert recognised >= previous_recognised
        if previous_channel is not None:
            assert len(inputs.channel) == len(previous_channel)  # same shipments
            assert (inputs.channel <= previous_channel).all()
        previous_channel, previous_recognised = inputs.channel, recognised


def test_recognised_count_grows_in_every_replication() -> None:
    scenarios = [with_arrangement(office(), True, u) for u in (0.2, 0.5, 0.8)]
    result = compare(
        scenarios, ["0.2", "0.5", "0.8"], replications=5, workers=1, seed=9, keep_records=True
    )
    counts = [
        r.records()
        .query("group == 'recognised_aeo'")
        .groupby("replication")
        .size()
        .reindex(range(5), fill_value=0)
        .to_numpy()
        for r in result.results
    ]
    assert (counts[0] <= counts[1]).all() and (counts[1] <= counts[2]).all()
    assert counts[2].sum() > counts[0].sum()


def test_utilisation_interval_covers_the_scenario_value() -> None:
    """claimed / eligible estimates the utilisation; its 99% interval must cover 0.4.

    99% rather than 95% keeps this single fixed-seed check from failing by chance
    one time in twenty if the seed or horizon is ever changed.
    """
    scenario = office("horizon_days=20", "arrangement.utilisation=0.4")
    summary = sim.run(scenario, replications=20, workers=1, seed=5).table()
    row = summary[
        (summary.country == "PER")
        & (summary.port == "callao")
        & (summary.group == "all")
        & (summary.metric == "utilisation_rate")
    ].iloc[0]
    hw95 = (row.ci_high - row.ci_low) / 2
    n = int(row.replications)
    hw99 = hw95 / stats.t.ppf(0.975, n - 1) * stats.t.ppf(0.995, n - 1)
    assert abs(row["mean"] - 0.4) <= hw99
