"""Arrivals go on after the counted window: against a reference that never stops them.

The reference draws arrivals for 4,000 hours past the window (months beyond any lag),
so no counted shipment meets a queue that has begun to empty. The drained run must
agree with it exactly for every counted shipment that left its last station before
its own arrivals stopped, and on the mean customs time within the noise of the
comparison; a run whose arrivals stop at the end of the window must not.

The port: sea, 200 shipments a day lodged after arrival with a lognormal lag (mean
100 h, cv 1: a heavy tail, as Colombia's), one always-open station of nine servers at
load 0.93. Forty replications, paired with the reference by replication (the same
shipments); the 99.9% Student-t intervals of the paired differences are stated below.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from sim.engine.compiled import run_port
from sim.engine.drain import late_share, run_drained
from sim.engine.inputs import draw_port
from sim.model.load import scenario_from_dict
from sim.plan.compile import compile_plan

CONFIDENCE = 0.999
REPLICATIONS = 40
FOREVER_H = 4000.0

PORT = {
    "mode": "sea",
    "arrivals": {"per_day": 200},
    "origins": {"OTHER": 1.0},
    "lodgement": {
        "pre_arrival_share": {"standard": 0.0},
        "delay_h": {"dist": "lognormal", "mean": 100, "cv": 1.0},
    },
    "channels": {"standard": {"green": 0, "yellow": 1, "red": 0}},
    "routes": {"yellow": ["check"]},
    "stations": {"check": {"servers": 9, "service_h": {"dist": "exponential", "mean": 1}}},
}
PLAN = compile_plan(
    scenario_from_dict(
        {"name": "lagged", "horizon_days": 14, "countries": {"PER": {"ports": {"gate": PORT}}}}
    )
)


def customs(inputs, outcome) -> float:
    """Mean customs time (release minus the later of goods available and lodgement) of the
    counted shipments."""
    lo, hi = np.searchsorted(inputs.arrival, PLAN.ports[0].window)
    ready = np.maximum(outcome.unloaded, outcome.lodged)
    return float(np.mean(outcome.release[lo:hi] - ready[lo:hi]))


def paired_interval(differences: np.ndarray) -> tuple[float, float]:
    half = stats.t.ppf(0.5 + CONFIDENCE / 2, len(differences) - 1) * differences.std(ddof=1)
    half /= math.sqrt(len(differences))
    return differences.mean() - half, differences.mean() + half


def test_drained_customs_time_matches_arrivals_that_never_stop() -> None:
    port = PLAN.ports[0]
    stopped, drained, forever, late = [], [], [], []
    for r in range(REPLICATIONS):
        run = run_drained(port, PLAN.calendars, run_port, 1, r)
        endless = draw_port(port.window[1] + FOREVER_H, port, 1, r)
        endless_outcome = run_port(port, PLAN.calendars, endless)
        cut = draw_port(port.window[1], port, 1, r)
        stopped.append(customs(cut, run_port(port, PLAN.calendars, cut)))
        drained.append(customs(run.inputs, run.outcome))
        forever.append(customs(endless, endless_outcome))
        late.append(late_share(run, port.window))
    reference = np.array(forever)
    low, high = paired_interval(np.array(stopped) - reference)
    assert high < -0.05 * reference.mean(), (low, high)  # stopping reads > 5% low
    low, high = paired_interval(np.array(drained) - reference)
    assert -0.005 * reference.mean() <= low and high <= 0.0, (low, high)  # within 0.5%
    assert np.mean(late) < 0.01  # the few whose queues had begun to empty


def test_counted_shipments_through_before_arrivals_stop_are_exact() -> None:
    """Those that left their last station before arrivals stopped are bit for bit as with
    arrivals that never stop: nothing later can reach back."""
    port = PLAN.ports[0]
    for r in range(3):
        run = run_drained(port, PLAN.calendars, run_port, 1, r)
        endless = draw_port(port.window[1] + FOREVER_H, port, 1, r)
        outcome = run_port(port, PLAN.calendars, endless)
        lo, hi = np.searchsorted(run.inputs.arrival, port.window)
        first, last = np.searchsorted(run.outcome.queued, (lo, hi))
        through = run.outcome.end[0, first:last] < run.end
        assert through.mean() > 0.99
        for name in ("start", "end"):
            mine = getattr(run.outcome, name)[0, first:last][through]
            theirs = getattr(outcome, name)[0, first:last][through]
            np.testing.assert_array_equal(mine, theirs)
        shipments = run.outcome.queued[first:last][through]
        np.testing.assert_array_equal(run.outcome.release[shipments], outcome.release[shipments])
