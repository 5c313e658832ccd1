"""The warm-up the plan derives, against queueing theory: an M/M/3 queue at load 0.9.

A port whose single always-open station has three exponential servers (mean 1 h) and
Poisson arrivals of 2.7 an hour is Erlang's M/M/3 queue, whose steady-state mean wait
is C(3, 2.7) / (3 - 2.7) = 2.72 h. Started empty and counted over two weeks, its mean
wait reads low by a few percent unless the start is left out long enough: the plan's
derived warm-up must leave no bias its interval can see, and no warm-up must.

Each replication's mean wait over the counted fortnight is one observation; 2,000
replications make the 99.9% Student-t interval about 4.5% wide on each side, and a
start from empty reads about 10% low. Two intervals are checked (the chance that a
correct simulator fails either is at most 0.2%), and their half-widths are bounded so
that the second check has power.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from sim.model.load import scenario_from_dict
from sim.replicate.runner import simulate_ports

CONFIDENCE = 0.999
REPLICATIONS = 2000
ARRIVALS_PER_H, SERVERS = 2.7, 3
"""Load 0.9: Morse's relaxation time is 127 h, so the derived warm-up is eight weeks."""


def erlang_wait(servers: int, offered: float) -> float:
    """Mean wait in queue of M/M/c with unit service rate: Erlang's C over (c - a)."""
    below = sum(offered**k / math.factorial(k) for k in range(servers))
    top = offered**servers / math.factorial(servers) * servers / (servers - offered)
    return top / (below + top) / (servers - offered)


def mean_waits(warmup_days: float | None) -> tuple[np.ndarray, float]:
    """Each replication's mean wait over the counted window, and the warm-up used (days)."""
    port = {
        "mode": "road",
        "arrivals": {"per_day": ARRIVALS_PER_H * 24},
        "origins": {"OTHER": 1.0},
        "channels": {"standard": {"green": 0, "yellow": 1, "red": 0}},
        "routes": {"yellow": ["check"]},
        "stations": {
            "check": {"servers": SERVERS, "service_h": {"dist": "exponential", "mean": 1}}
        },
    }
    data = {"name": "mmc", "horizon_days": 14, "countries": {"PER": {"ports": {"gate": port}}}}
    if warmup_days is not None:
        data["warmup_days"] = warmup_days
    scenario = scenario_from_dict(data)
    means = np.empty(REPLICATIONS)
    window = (0.0, 0.0)
    for r in range(REPLICATIONS):
        plan, ((inputs, outcome),) = simulate_ports(scenario, replication=r)
        window = plan.ports[0].window
        lo, hi = np.searchsorted(inputs.arrival, window)
        first, last = np.searchsorted(outcome.queued, (lo, hi))
        joined = np.maximum(outcome.unloaded, outcome.lodged)[outcome.queued[first:last]]
        means[r] = np.mean(outcome.start[0, first:last] - joined)
    return means, window[0] / 24


def interval(values: np.ndarray) -> tuple[float, float]:
    half = stats.t.ppf(0.5 + CONFIDENCE / 2, len(values) - 1) * values.std(ddof=1)
    half /= math.sqrt(len(values))
    return values.mean() - half, values.mean() + half


def test_the_derived_warmup_leaves_no_bias_and_none_does() -> None:
    truth = erlang_wait(SERVERS, ARRIVALS_PER_H)
    derived, days = mean_waits(None)
    assert days == 56.0  # ten of Morse's relaxation times, in whole weeks
    low, high = interval(derived)
    assert low <= truth <= high, (low, truth, high)
    assert (high - low) / 2 <= 0.05 * truth  # power: a 5% bias would show
    cold, _ = mean_waits(0.0)
    low, high = interval(cold)
    assert high < truth, (low, truth, high)  # from empty, it reads low
