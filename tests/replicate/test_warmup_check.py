"""The warm-up is checked on the run's own output: MSER on weekly customs time."""

from __future__ import annotations

import numpy as np

import sim
from sim.model.load import scenario_from_dict
from sim.replicate.stats import mser_truncation
from sim.replicate.warmup import short_warmups, warmup_checks


def test_mser_drops_a_transient_and_nothing_from_a_level_series() -> None:
    """White's rule on batch means: the truncation that minimises the squared standard
    error of the rest, searched over the first half."""
    level = np.full(12, 8.0)
    assert mser_truncation(level) == 0
    rising = level - np.array([3.0, 1.5, 0.7, 0.3] + [0.0] * 8)
    assert mser_truncation(rising) == 4
    assert mser_truncation(np.array([np.nan, *rising])) == 4  # a week without shipments


def queue(warmup_days: float | None) -> sim.Scenario:
    """An M/M/3 station at load 0.9, counted over six weeks: slow to fill from empty."""
    port = {
        "mode": "road",
        "arrivals": {"per_day": 2.7 * 24},
        "origins": {"OTHER": 1.0},
        "channels": {"standard": {"green": 0, "yellow": 1, "red": 0}},
        "routes": {"yellow": ["check"]},
        "stations": {"check": {"servers": 3, "service_h": {"dist": "exponential", "mean": 1}}},
    }
    data = {"name": "queue", "horizon_days": 42, "countries": {"PER": {"ports": {"gate": port}}}}
    if warmup_days is not None:
        data["warmup_days"] = warmup_days
    return scenario_from_dict(data)


def test_a_start_from_empty_is_flagged_and_the_derived_warmup_is_not() -> None:
    """Counted from the start, the queue's customs time by week still rises beyond its
    noise; after the eight weeks the plan derives, it does not."""
    cold = sim.run(queue(0.0), replications=40, workers=1).to_results()
    (warning,) = short_warmups(cold)
    assert warning.startswith("warning: PER/gate's customs time by week of arrival")
    derived = sim.run(queue(None), replications=40, workers=1).to_results()
    (check,) = warmup_checks(derived)
    assert check.derived and check.warmup_days == 56.0 and check.enough
