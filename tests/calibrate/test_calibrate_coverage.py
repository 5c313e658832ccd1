"""Simulation-based calibration: calibrate's 90% intervals cover truths drawn from a prior.

The recovery tests (test_calibrate_recovery.py) fit one known port seed after seed. Here
the truth itself is drawn, each time, from a prior over the values an analyst fits: the
documentary check's and the physical examination's service means and cvs, the officers'
load (servers follow from it: the office-hours work a week over the load, rounded), the
arrival rate, and the unloading, release and lodgement delays (means and cvs). Each truth
generates one 30-day record file, a rough template of the same structure is calibrated
to it at 90% confidence, and every interval of a server count, a service mean or a delay
mean is checked against the truth it was drawn to estimate.

If the intervals are honest, the count that cover is Binomial(n, 0.9) (intervals of one
truth share its records, which spreads the count a little more than the binomial; the
band below is a little strict for it). The test requires the count inside the central
99.8% of that law: a correct method fails with probability about 0.2%. It is run with the
stations' start times in the records (services are read off, and intervals come from a
parametric bootstrap of the reconstruction) and without them (the queue is reconstructed
from the end times, and the bootstrap refits both steps).
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import numpy as np
import pytest
from calibration_cases import coverage, records, rough, truth, write_scenario
from scipy import stats

from sim.calibrate.from_records import calibrate_records
from sim.model.load import scenario_from_dict

CONFIDENCE = 0.90
FAILURE = 0.002
TRUTHS = 20
CHECKED = re.compile(r"\.(servers|service_h\.mean|delays\.\w+\.mean|lodgement\.delay_h\.mean)$")
"""What is checked: server counts, service means and delay means."""
OFFICE_HOURS_A_WEEK = 40.0


def drawn_truth(rng: np.random.Generator) -> dict:
    """A port drawn from the prior (see the module docstring)."""
    case = truth(stations=2)
    port = case["countries"]["PER"]["ports"]["callao"]
    port["arrivals"]["per_day"] = float(rng.uniform(120, 200))
    documentary, physical = port["stations"]["documentary"], port["stations"]["physical"]
    documentary["service_h"] = {
        "dist": "lognormal",
        "mean": float(rng.uniform(0.4, 0.9)),
        "cv": float(rng.uniform(0.5, 1.0)),
    }
    physical["service_h"] = {
        "dist": "gamma",
        "mean": float(rng.uniform(1.5, 3.0)),
        "cv": float(rng.uniform(0.4, 0.7)),
    }
    checked = _checked_shares(port)
    for station, share in zip((documentary, physical), checked, strict=True):
        work = 7 * port["arrivals"]["per_day"] * share * station["service_h"]["mean"]
        load = rng.uniform(0.6, 0.85)
        station["servers"] = max(1, round(work / (OFFICE_HOURS_A_WEEK * load)))
    port["delays"]["unloading_h"] = {
        "dist": "gamma",
        "mean": float(rng.uniform(2, 6)),
        "cv": float(rng.uniform(0.4, 0.8)),
    }
    port["delays"]["release_h"] = {"dist": "exponential", "mean": float(rng.uniform(0.5, 2))}
    port["lodgement"]["delay_h"] = {
        "dist": "lognormal",
        "mean": float(rng.uniform(3, 9)),
        "cv": float(rng.uniform(0.8, 1.5)),
    }
    return case


def _checked_shares(port: dict) -> tuple[float, float]:
    """Shares of shipments that visit each station (yellow and red; red only)."""
    national = port["national_aeo_share"]
    standard, aeo = port["channels"]["standard"], port["channels"]["national_aeo"]
    red = (1 - national) * standard["red"] + national * aeo["red"]
    yellow = (1 - national) * standard["yellow"] + national * aeo["yellow"]
    return yellow + red, red


def covered_counts(tmp_path: Path, start_times: bool) -> list[tuple]:
    rng = np.random.default_rng(20261 if start_times else 20262)
    rows = []
    for k in range(TRUTHS):
        case = drawn_truth(rng)
        template = write_scenario(rough(case), tmp_path / f"template-{k}.yaml")
        frame = records(case, seed=500 + k)
        if not start_times:
            frame = frame.drop(columns=[c for c in frame.columns if c.endswith("_start")])
        path = tmp_path / f"records-{k}.parquet"
        frame.to_parquet(path)
        result = calibrate_records(
            path, template, replications=2, workers=2, seed=k, confidence=CONFIDENCE
        )
        true = scenario_from_dict(copy.deepcopy(case))
        rows += [row for row in coverage(result.fitted, true) if CHECKED.search(row[0])]
    return rows


def assert_binomial(rows: list[tuple]) -> None:
    n = len(rows)
    covered = sum(row[3] for row in rows)
    low = stats.binom.ppf(FAILURE / 2, n, CONFIDENCE)
    high = stats.binom.ppf(1 - FAILURE / 2, n, CONFIDENCE)
    missed = [f"{p.rsplit('.', 3)[-3:]}: {t:.4g} not in {i}" for p, t, i, ok in rows if not ok]
    assert low <= covered <= high, (
        f"{covered} of {n} 90% intervals cover the truth ({covered / n:.1%}); honest ones give "
        f"{low:.0f} to {high:.0f} with probability {1 - FAILURE:.1%}. Missed: {missed}"
    )


@pytest.mark.slow
@pytest.mark.parametrize("start_times", [True, False], ids=["start times", "end times only"])
def test_ninety_percent_intervals_cover_truths_drawn_from_a_prior(tmp_path, start_times):
    rows = covered_counts(tmp_path, start_times)
    assert len(rows) >= TRUTHS * 6  # servers and service means of two stations, three delays
    assert_binomial(rows)
