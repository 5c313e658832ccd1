"""Arrivals that go on after the counted window, while counted shipments still queue.

Shipments are counted when they arrive inside the window (after the warm-up, before
the end of the horizon). If arrivals stopped at the end of the window, the last
counted shipments would meet stations that later arrivals should have kept busy, and
queues would drain: a bias towards short times as large as the lags are long (a
shipment lodged ten days after arriving still meets the queues ten days on). So
arrivals go on, uncounted, for a drain period after the window.

A counted shipment that has left its last station before arrivals stop is exactly as
it would be with arrivals going on for ever: a shipment arriving later cannot change
anything before it arrives, and the release formalities after the last check need no
server. Arrivals are a prefix-stable stream (shipment k's arrival and draws follow
its index, not how many are drawn), so going on longer changes nothing already drawn.
The drain period is set from the plan alone (:func:`sim.plan.expect.drain_h`: a high
quantile of the lags and room for the queues), so it is the same however the port
is run (alone, in a comparison, in a worker), and both engines take the same inputs:
they agree to the bit. What it leaves out is the few counted shipments whose lag is
longer still (about one in twenty): they meet queues that have begun to empty.
:func:`late_share` measures how many did.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.engine.inputs import PortInputs, Reference, draw_port
from sim.engine.outcome import PortOutcome
from sim.plan.arrays import Calendars, PortPlan
from sim.plan.expect import simulated_until_h

RunPort = Callable[[PortPlan, Calendars, PortInputs], PortOutcome]


@dataclass(frozen=True)
class Drained:
    """A port's inputs and outcome, with arrivals drawn up to ``end`` (past the window)."""

    inputs: PortInputs
    outcome: PortOutcome
    end: float


def run_drained(
    port: PortPlan,
    calendars: Calendars,
    run_port: RunPort,
    seed: int,
    replication: int,
    like: Reference | None = None,
) -> Drained:
    """Simulate a port with arrivals going on for its drain period after the window.

    With ``like`` (the same port in a comparison's first scenario), every draw made
    alike is shared rather than drawn again (when the two drain to the same end).
    """
    end = simulated_until_h(port)
    inputs = draw_port(end, port, seed, replication, like)
    return Drained(inputs, run_port(port, calendars, inputs), end)


def late_share(drained: Drained, window: tuple[float, float]) -> float:
    """The share of the counted shipments that meet a queue which left their last station
    after arrivals had stopped: those whose queues had begun to empty."""
    inputs, outcome = drained.inputs, drained.outcome
    lo, hi = np.searchsorted(inputs.arrival, window)
    first, last = np.searchsorted(outcome.queued, (lo, hi))
    if last <= first:
        return 0.0
    left = np.nanmax(outcome.end[:, first:last], axis=0)
    return float(np.mean(left >= drained.end))
