"""From records to an honest range: the true effect lies in the plausible range at its rate.

A known port (tests/calibration_cases.py: documentary check in office hours, national AEOs
served first, half the shipments' exporters partner AEOs, utilisation 0.5) generates one
30-day record file per seed; a rough template is calibrated to it (``mrasim calibrate``,
95% intervals), and the fitted scenario is compared with and without the arrangement over
draws of its fitted values (``compare --uncertainty``: no uncertain input is typed; they
come from the calibration block). The *true* effect is the truth's own: the change in the
partner-AEO shipments' mean clearance time, from a long run at the true values.

The plausible range is the 5th to 95th percentile of the effect over what the records
leave unknown, so it should hold the true effect about as often as a 90% range read off
DRAWS draws holds a fresh draw of the same law: the range runs between interpolated
order statistics at positions ``0.05 (N - 1)`` and ``0.95 (N - 1)`` (from 0), and the
probability mass between order statistics ``a`` and ``b`` of ``N`` draws has mean
``(b - a) / (N + 1)``, so the rate is ``0.9 (N - 1) / (N + 1)`` (0.845 at 32 draws, not
0.9). Each draw runs REPLICATIONS replications, enough for the inputs, not the noise, to
make most of the draws' spread (with two, noise is all of it and the range is not
resolved). Over SEEDS seeds the count that hold the true effect is then
Binomial(SEEDS, rate), and the test requires it inside the central 99.8% of that law (a
correct pipeline fails with probability about 0.2%); the observed rate is in the message.
"""

from __future__ import annotations

import copy

import pytest
from calibration_cases import records, rough, truth, write_scenario
from scipy import stats

import sim
from sim.calibrate.from_records import calibrate_records
from sim.model.load import scenario_from_dict
from sim.uncertainty import compare_uncertain

SEEDS = 16
FAILURE = 0.002
DRAWS = 32
REPLICATIONS = 32
RATE = 0.9 * (DRAWS - 1) / (DRAWS + 1)
TRUE_REPLICATIONS = 200


def effect(table, kind: str = "difference") -> object:
    rows = table[
        (table.kind == kind)
        & (table.country == "PER")
        & (table["mode"] == "all")
        & (table.port == "all")
        & (table.group == "eligible")
        & (table.metric == "clearance_h_mean")
    ]
    return rows.iloc[0]


@pytest.mark.slow
def test_the_true_effect_lies_in_the_plausible_range_at_about_ninety_percent(tmp_path):
    case = truth(stations=2)
    true = scenario_from_dict(copy.deepcopy(case))
    long_run = sim.compare(
        *sim.arrangement_variants(true), replications=TRUE_REPLICATIONS, seed=99, workers=2
    )
    true_effect = effect(long_run.table())["mean"]
    template = write_scenario(rough(case), tmp_path / "template.yaml")
    held, ranges, shares = 0, [], []
    for seed in range(SEEDS):
        path = tmp_path / f"records-{seed}.parquet"
        records(case, seed=700 + seed).to_parquet(path)
        fitted = calibrate_records(path, template, replications=2, workers=2, seed=seed).fitted
        study = compare_uncertain(
            fitted,
            draws=DRAWS,
            replications=REPLICATIONS,
            seed=seed,
            workers=2,
            store=tmp_path / "draws",
        )
        row = effect(study.table)
        ranges.append((round(row.plausible_low, 3), round(row.plausible_high, 3)))
        shares.append(round(row.input_share, 2))
        held += row.plausible_low <= true_effect <= row.plausible_high
    low = stats.binom.ppf(FAILURE / 2, SEEDS, RATE)
    high = stats.binom.ppf(1 - FAILURE / 2, SEEDS, RATE)
    assert low <= held <= high, (
        f"the true effect {true_effect:.3f} h lies in {held} of {SEEDS} plausible ranges "
        f"({held / SEEDS:.0%}; a correct {RATE:.1%} range gives {low:.0f} to {high:.0f}): "
        f"{ranges}; input shares {shares}"
    )
