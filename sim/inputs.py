"""Every random draw of one replication, made before any engine runs.

Both engines consume the same :class:`PortInputs`; that is what lets them agree
to the last bit. Three properties make comparisons between scenarios sharp
(common random numbers):

* **Draws follow names, not positions.** Each port of each replication has its
  own key, ``SeedSequence(seed, spawn_key=(replication, crc32("country/port")))``,
  and each draw is a counter-based function of that key and a counter naming
  the shipment, the purpose and, for service times, the station (crc32 of its
  name): adding a port or a station elsewhere moves nobody's draws.
* **Shipment k's draws depend on nothing else.** A counter-based generator
  (:mod:`sim.streams`) computes them directly, so a shipment draws only what it
  uses (a green shipment no service time, a channel without a delay no delay)
  and still keeps every draw when another shipment changes channel.
* **Attributes are thresholds on fixed uniforms**, and times inverse transforms
  of fixed uniforms: raising utilisation or improving a group's channel
  probabilities flips attributes monotonically instead of reshuffling them, and
  a shipment whose stage time changes distribution keeps its quantile.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from .plan import PortPlan
from .streams import LOW32, exponential, philox, uniform32, variate

# purposes: the third word of every counter
ARRIVALS, BATCHES, ATTRIBUTES, SELECTIVITY, LODGEMENT, UNLOADING, RELEASE, SERVICE = range(1, 9)

STANDARD, NATIONAL_AEO, RECOGNISED_AEO = range(3)
GREEN, YELLOW, RED = range(3)


@dataclass(frozen=True)
class PortInputs:
    """One port's shipments in arrival order, with all their random attributes."""

    arrival: np.ndarray  # hours from the scenario start, non-decreasing
    lodgement: np.ndarray  # the lag applied, before any lodgement calendar; may precede arrival
    origin: np.ndarray  # index into PortPlan.origins
    group: np.ndarray  # STANDARD, NATIONAL_AEO or RECOGNISED_AEO
    eligible: np.ndarray  # exporter is an AEO of another member
    claimed: np.ndarray  # declaration claims recognition (only while in force)
    channel: np.ndarray  # GREEN, YELLOW or RED
    unloading: np.ndarray  # unloading delay, hours
    release_delay: np.ndarray  # delay after the checks, hours
    service: np.ndarray  # (n_stations, n) service time at each station visited, NaN elsewhere

    @property
    def n(self) -> int:
        return len(self.arrival)


def port_key(seed: int, replication: int, port: PortPlan) -> tuple[np.uint64, np.uint64]:
    """The 64-bit key of one port in one replication, as two 32-bit words."""
    sequence = np.random.SeedSequence(seed, spawn_key=(replication, port.stream_key))
    k0, k1 = sequence.generate_state(2, np.uint32)
    return np.uint64(k0), np.uint64(k1)


def draw_port(plan_window_end: float, port: PortPlan, seed: int, replication: int) -> PortInputs:
    """Draw one port's inputs for one replication; arrivals cover [0, plan_window_end)."""
    k0, k1 = port_key(seed, replication, port)
    arrival = _arrivals(port, plan_window_end, k0, k1)
    n = len(arrival)
    inputs = PortInputs(
        arrival=arrival,
        lodgement=np.empty(n),
        origin=np.empty(n, dtype=np.int16),
        group=np.empty(n, dtype=np.int8),
        eligible=np.empty(n, dtype=np.bool_),
        claimed=np.empty(n, dtype=np.bool_),
        channel=np.empty(n, dtype=np.int8),
        unloading=np.empty(n),
        release_delay=np.empty(n),
        service=np.full((len(port.stations), n), np.nan),
    )
    _draw_shipments(
        k0,
        k1,
        arrival,
        port.origin_cumulative,
        port.eligible_share,
        port.national_aeo_share,
        port.claim_probability,
        port.recognised_first,
        port.channel_cumulative,
        port.pre_arrival_share,
        port.stage_dist,
        port.service_dist,
        port.station_keys,
        port.route_length,
        port.route_station,
        *port.bank,
        inputs.lodgement,
        inputs.origin,
        inputs.group,
        inputs.eligible,
        inputs.claimed,
        inputs.channel,
        inputs.unloading,
        inputs.release_delay,
        inputs.service,
    )
    return inputs


@njit(cache=True)
def _draw_shipments(
    k0,
    k1,
    arrival,
    origin_cumulative,
    eligible_share,
    national_share,
    claim_probability,
    recognised_first,
    channel_cumulative,
    pre_arrival_share,
    stage_dist,
    service_dist,
    station_keys,
    route_length,
    route_station,
    kinds,
    params,
    table_lo,
    table_hi,
    table_x,
    table_p,
    lodgement,
    origin,
    group,
    eligible,
    claimed,
    channel,
    unloading,
    release_delay,
    service,
):
    """Each shipment's attributes, then the times it uses, in one pass.

    Attributes come from two counter blocks of 4 x 32 bits: origin, importer,
    exporter, claim; then channel and pre-arrival lodgement. A 32-bit uniform is
    ample against a probability.
    """
    last_origin = origin_cumulative.shape[0] - 1
    for k in range(arrival.shape[0]):
        w0, w1, w2, w3 = philox(
            np.uint64(k) & LOW32, np.uint64(0), np.uint64(ATTRIBUTES), np.uint64(0), k0, k1
        )
        u = uniform32(w0)
        o = 0
        while o < last_origin and origin_cumulative[o] <= u:
            o += 1
        national = uniform32(w1) < national_share
        partner = uniform32(w2) < eligible_share[o]
        claim = partner and uniform32(w3) < claim_probability
        if national and claim:
            g = RECOGNISED_AEO if recognised_first else NATIONAL_AEO
        elif national:
            g = NATIONAL_AEO
        elif claim:
            g = RECOGNISED_AEO
        else:
            g = STANDARD
        v0, v1, _, _ = philox(
            np.uint64(k) & LOW32, np.uint64(0), np.uint64(SELECTIVITY), np.uint64(0), k0, k1
        )
        u = uniform32(v0)
        c = (
            GREEN
            if u < channel_cumulative[g, 0]
            else (YELLOW if u < channel_cumulative[g, 1] else RED)
        )
        origin[k] = o
        group[k] = g
        eligible[k] = partner
        claimed[k] = claim
        channel[k] = c
        cell = 3 * c + g
        lodgement[k] = arrival[k]
        unloading[k] = 0.0
        release_delay[k] = 0.0
        d = stage_dist[0, cell]
        if d >= 0:
            lag = variate(
                kinds, params, table_lo, table_hi, table_x, table_p, d, k0, k1, k, LODGEMENT, 0
            )
            early = uniform32(v1) < pre_arrival_share[g]
            lodgement[k] = arrival[k] - lag if early else arrival[k] + lag
        d = stage_dist[1, cell]
        if d >= 0:
            unloading[k] = variate(
                kinds, params, table_lo, table_hi, table_x, table_p, d, k0, k1, k, UNLOADING, 0
            )
        d = stage_dist[2, cell]
        if d >= 0:
            release_delay[k] = variate(
                kinds, params, table_lo, table_hi, table_x, table_p, d, k0, k1, k, RELEASE, 0
            )
        for step in range(route_length[c]):
            s = route_station[c, step]
            d = service_dist[s, g]
            service[s, k] = variate(
                kinds,
                params,
                table_lo,
                table_hi,
                table_x,
                table_p,
                d,
                k0,
                k1,
                k,
                SERVICE,
                station_keys[s],
            )


def _arrivals(port: PortPlan, end: float, k0: np.uint64, k1: np.uint64) -> np.ndarray:
    """Arrival times on [0, end): a Poisson process with the port's weekly-hourly rate.

    Unit-rate Poisson epochs are mapped through the inverse of the cumulative
    rate, so a busier port (higher ``per_day``) sees the same epochs compressed:
    its k-th arrival moves earlier rather than being redrawn.
    """
    if (port.hourly_rate == port.hourly_rate[0]).all():  # no profile: a homogeneous process
        rate = port.hourly_rate[0]
        times = _unit_poisson_epochs(k0, k1, rate * end) / rate
    else:
        hours = math.ceil(end)
        rate = np.resize(port.hourly_rate, hours)
        cumulative = np.concatenate(([0.0], np.cumsum(rate)))
        total = cumulative[-2] + rate[-1] * (end - (hours - 1))
        times = _invert_cumulative(_unit_poisson_epochs(k0, k1, total), cumulative, rate)
    if port.batch_dist < 0:
        return times
    sizes = _batch_sizes(k0, k1, *port.bank, port.batch_dist, len(times))
    return np.repeat(times, sizes)


@njit(cache=True)
def _unit_poisson_epochs(k0, k1, total):
    """Epochs of a unit-rate Poisson process below ``total``: epoch i's gap is the i-th
    counter's exponential."""
    out = np.empty(int(total + 6 * math.sqrt(total) + 16))
    t = 0.0
    n = 0
    while True:
        t += exponential(k0, k1, n, ARRIVALS, 0)
        if t >= total:
            return out[:n]
        if n == out.shape[0]:
            grown = np.empty(2 * n)
            grown[:n] = out
            out = grown
        out[n] = t
        n += 1


@njit(cache=True)
def _batch_sizes(k0, k1, kinds, params, table_lo, table_hi, table_x, table_p, d, n):
    """Shipments per arrival epoch (a vessel call): the batch distribution, rounded, at least 1."""
    sizes = np.empty(n, dtype=np.int64)
    for i in range(n):
        size = round(
            variate(kinds, params, table_lo, table_hi, table_x, table_p, d, k0, k1, i, BATCHES, 0)
        )
        sizes[i] = size if size >= 1 else 1
    return sizes


@njit(cache=True)
def _invert_cumulative(epochs: np.ndarray, cumulative: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """Map sorted unit-rate epochs through the inverse cumulative rate (hourly pieces).

    Hour h covers cumulative[h]..cumulative[h+1]; hours with no arrivals (rate 0)
    are stepped over. One merge-like pass, as the epochs are sorted.
    """
    times = np.empty(epochs.shape[0])
    hour = 0
    for i in range(epochs.shape[0]):
        while cumulative[hour + 1] <= epochs[i]:
            hour += 1
        times[i] = hour + (epochs[i] - cumulative[hour]) / rate[hour]
    return times
