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

import functools
import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from sim.plan.arrays import Bank, PortPlan
from sim.plan.control import CAPACITY, NATIONAL_KIND, PARTNER_KIND, STANDARD_KIND
from sim.streams import (
    GAMMA,
    GAMMA_FIRST,
    LOW32,
    QUANTILES,
    VALUES,
    ZIGGURAT,
    blocks,
    empirical,
    exponential_from,
    first_block,
    normal_quantile,
    philox,
    uniform32,
    uniform53,
    variate,
    variate_from,
)

# purposes: the third word of every counter
ARRIVALS, BATCHES, ATTRIBUTES, SELECTIVITY, LODGEMENT, UNLOADING, RELEASE, SERVICE = range(1, 9)
# the control side's, each its own (sim.plan.control): adding them moved no other draw
INFRACTION, DETECTION, STAKE = range(9, 12)

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
    # the control side (None without one, sim.plan.control)
    infringing: np.ndarray | None = None  # the declaration carries an infraction
    detected: np.ndarray | None = None  # a check found it
    stake: np.ndarray | None = None  # USD at stake if it passes (0 where none is drawn)

    @property
    def n(self) -> int:
        return len(self.arrival)


def port_key(seed: int, replication: int, port: PortPlan) -> tuple[np.uint64, np.uint64]:
    """The 64-bit key of one port in one replication, as two 32-bit words."""
    return _key(seed, replication, port.stream_key)


@functools.lru_cache(maxsize=1024)
def _key(seed: int, replication: int, stream_key: int) -> tuple[np.uint64, np.uint64]:
    """Kept for a comparison's later scenarios, which draw the same port with the same
    key (a SeedSequence costs about 25 microseconds)."""
    sequence = np.random.SeedSequence(seed, spawn_key=(replication, stream_key))
    k0, k1 = sequence.generate_state(2, np.uint32)
    return np.uint64(k0), np.uint64(k1)


@dataclass(frozen=True)
class Reference:
    """The same port's draws in another scenario of the same replication, on common random
    numbers (a comparison's first scenario). A draw that must come out the same (the same
    counter through the same distribution) is copied from it instead of being made again:
    comparing with and without the arrangement, most of the second scenario's draws."""

    port: PortPlan
    inputs: PortInputs
    end: float  # the window end its arrivals were drawn for
    seed: int
    replication: int


def draw_port(
    plan_window_end: float,
    port: PortPlan,
    seed: int,
    replication: int,
    like: Reference | None = None,
) -> PortInputs:
    """Draw one port's inputs for one replication; arrivals cover [0, plan_window_end).

    With ``like``, every draw that the reference made identically is taken from it
    (the arrays are equal, bit for bit, to those drawn without it). Its arrival times
    are shared, not copied: inputs are read-only to every engine.
    """
    k0, k1 = port_key(seed, replication, port)
    shared = _shared_draws(plan_window_end, port, seed, replication, like)  # None: all drawn
    if shared is None or like is None:  # (a sharing comes only with a reference)
        arrival = _arrivals(port, plan_window_end, k0, k1)
    else:
        arrival = like.inputs.arrival
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
        **_control_arrays(port, n),
    )
    reference: tuple[np.ndarray, ...] | None = None  # None: the kernel without the copying
    if shared is not None and shared.alike is not None and like is not None:
        drawn, plan = like.inputs, like.port  # (other stations: draw every time afresh)
        reference = (
            *(shared.classes, shared.reference_classes),
            *(drawn.group, drawn.channel, drawn.lodgement, drawn.unloading, drawn.release_delay),
            *(drawn.service, plan.stage_dist, plan.service_dist, plan.pre_arrival_share),
            shared.alike,
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
        reference,
        _control_arguments(port, inputs),
    )
    if port.control is not None:
        _draw_findings(port, inputs, k0, k1)
    return inputs


def _control_arrays(port: PortPlan, n: int) -> dict[str, np.ndarray]:
    """The control side's arrays of a port's inputs (none without a control side)."""
    if port.control is None:
        return {}
    return {
        "infringing": np.zeros(n, dtype=np.bool_),
        "detected": np.zeros(n, dtype=np.bool_),
        "stake": np.zeros(n),
    }


def _control_arguments(port: PortPlan, inputs: PortInputs) -> tuple | None:
    """What the shipments' kernel needs of the control side (None: compiled without it)."""
    control = port.control
    if control is None:
        return None
    return (
        control.prevalence,
        control.cutoffs,
        control.targeting == CAPACITY,
        control.delta,
        control.budget,
        control.standard_mix,
        control.standard_cumulative,
        inputs.infringing,
    )


def _draw_findings(port: PortPlan, inputs: PortInputs, k0: np.uint64, k1: np.uint64) -> None:
    """Which infringing declarations a check finds, and what each one puts at stake."""
    control = port.control
    assert control is not None and inputs.infringing is not None
    assert inputs.detected is not None and inputs.stake is not None
    fixed = control.stake_share * port.value_usd if port.value_usd is not None else np.nan
    _findings_kernel(
        k0,
        k1,
        inputs.infringing,
        inputs.channel,
        port.route_length,
        port.route_station,
        port.station_keys,
        control.detection,
        control.stake_dist,
        fixed,
        *port.bank,
        inputs.detected,
        inputs.stake,
    )


@njit(cache=True)
def _findings_kernel(
    k0,
    k1,
    infringing,
    channel,
    route_length,
    route_station,
    station_keys,
    detection,
    stake_dist,
    stake_fixed,
    kinds,
    params,
    table_lo,
    table_hi,
    table_x,
    table_p,
    detected,
    stake,
):
    """For each infringing shipment: its stake (a share of value, or a draw under its own
    purpose), and whether a check of its channel finds the infraction, each station of the
    route trying once with its own uniform (purpose DETECTION, the station's key). The
    green channel checks nothing. Compliant shipments draw nothing."""
    for k in range(infringing.shape[0]):
        if not infringing[k]:
            continue
        if stake_dist >= 0:
            stake[k] = variate(
                kinds, params, table_lo, table_hi, table_x, table_p, stake_dist, k0, k1, k, STAKE, 0
            )
        elif stake_fixed == stake_fixed:  # not NaN
            stake[k] = stake_fixed
        c = channel[k]
        if c == GREEN:
            continue
        for step in range(route_length[c]):
            s = route_station[c, step]
            if detection[s] > 0.0:
                w0, _, _, _ = philox(
                    np.uint64(k) & LOW32,
                    np.uint64(0),
                    np.uint64(DETECTION),
                    np.uint64(station_keys[s]) & LOW32,
                    k0,
                    k1,
                )
                if uniform32(w0) < detection[s]:
                    detected[k] = True


@dataclass(frozen=True)
class Sharing:
    """What one port draws alike in two scenarios, whatever the replication: its
    distributions numbered by identity class (distribution d here draws what
    distribution e there does iff ``classes[d] == reference_classes[e]``), and which
    cells draw every time alike (None: the stations differ, every time is drawn)."""

    classes: np.ndarray
    reference_classes: np.ndarray
    alike: np.ndarray | None


def _shared_draws(
    end: float, port: PortPlan, seed: int, replication: int, like: Reference | None
) -> Sharing | None:
    """What ``like`` drew that this port draws alike, if it drew this port's arrivals
    (the same port, seed, replication, window and arrival process); else None."""
    if like is None or (like.seed, like.replication, like.end) != (seed, replication, end):
        return None
    return _port_sharing(port, like.port)


_SHARINGS: dict[tuple[int, int], tuple[PortPlan, PortPlan, Sharing | None]] = {}


def _port_sharing(port: PortPlan, reference: PortPlan) -> Sharing | None:
    """:func:`_compare_ports`, once per pair of ports: a run's plans do not change, and
    comparing their distributions again for every replication took about 0.1 ms a port
    (measured). Each entry holds both ports, so their ids cannot pass to other objects
    while it is kept."""
    key = (id(port), id(reference))
    if key not in _SHARINGS:
        if len(_SHARINGS) >= 4096:
            _SHARINGS.clear()
        _SHARINGS[key] = (port, reference, _compare_ports(port, reference))
    return _SHARINGS[key][2]


def _compare_ports(port: PortPlan, reference: PortPlan) -> Sharing | None:
    """What a port draws alike with the same port of another scenario (None: not even its
    arrivals, when the port, its arrival process or its batches differ)."""
    if reference.stream_key != port.stream_key:
        return None
    classes, reference_classes = _identity_classes(port.bank, reference.bank)
    batch, reference_batch = port.batch_dist, reference.batch_dist
    same_batches = (batch < 0 and reference_batch < 0) or (
        batch >= 0 and reference_batch >= 0 and classes[batch] == reference_classes[reference_batch]
    )
    if not same_batches or not np.array_equal(port.hourly_rate, reference.hourly_rate):
        return None
    alike = None
    if np.array_equal(port.station_keys, reference.station_keys):
        alike = _cells_drawn_alike(port, reference, classes, reference_classes)
    return Sharing(classes, reference_classes, alike)


def _cells_drawn_alike(
    port: PortPlan, reference: PortPlan, classes: np.ndarray, reference_classes: np.ndarray
) -> np.ndarray:
    """For each cell (3 x channel + group): whether a shipment in it here and in the same
    cell there draws every time alike (the same side of arrival for its lodgement, the
    same route, each time's distribution of the same identity class or absent in both).
    Such a shipment's times are copied whole, without asking time by time."""

    def same(here: np.ndarray, there: np.ndarray) -> np.ndarray:
        both = (here >= 0) & (there >= 0)
        alike = (here < 0) & (there < 0)
        alike[both] = classes[here[both]] == reference_classes[there[both]]
        return alike

    stages = np.asarray(same(port.stage_dist, reference.stage_dist).all(axis=0))  # (9 cells,)
    services = same(port.service_dist, reference.service_dist)  # (stations, 3 groups)
    early = port.pre_arrival_share == reference.pre_arrival_share  # (3 groups,)
    alike = np.zeros(9, dtype=np.bool_)
    for c in range(3):
        route = port.route_station[c, : port.route_length[c]]
        there = reference.route_station[c, : reference.route_length[c]]
        if np.array_equal(route, there):
            cells = slice(3 * c, 3 * c + 3)
            alike[cells] = stages[cells] & early & services[route].all(axis=0)
    return alike


def _identity_classes(bank: Bank, other: Bank) -> tuple[np.ndarray, np.ndarray]:
    """Number the distributions of two banks so that identical ones (kind, parameters and
    table, to the bit) share a number."""
    known: dict[tuple[int, bytes, bytes, bytes], int] = {}

    def numbered(bank: Bank) -> np.ndarray:
        kinds, params, table_lo, table_hi, table_x, table_p = bank
        out = np.empty(len(kinds), dtype=np.int64)
        for d in range(len(kinds)):
            rows = slice(table_lo[d], table_hi[d])
            key = (
                int(kinds[d]),
                params[d].tobytes(),
                table_x[rows].tobytes(),
                table_p[rows].tobytes(),
            )
            out[d] = known.setdefault(key, len(known))
        return out

    return numbered(bank), numbered(other)


CHUNK = 256
"""Shipments drawn per pass. Each chunk first computes the counter blocks it needs in
loops of independent counters (SIMD lanes: a Philox block costs ~3 ns there against
~15 ns one at a time), then turns them into attributes and times; its scratch arrays
stay in the L1 cache."""


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
    reference,
    control,
):
    """Each shipment's attributes, then the times it uses, a chunk of shipments at a time.

    Attributes come from two counter blocks of 4 x 32 bits: origin, importer,
    exporter, claim; then channel and pre-arrival lodgement. A 32-bit uniform is
    ample against a probability. Each time a shipment uses (lodgement lag or lead,
    unloading, release, a service at each station of its route) is a request for
    one counter block; a chunk's requests are blocked together, then drawn.

    With a ``reference`` (the same port's draws in another scenario, as
    :func:`draw_port` packs them), a time whose counter and distribution are the
    reference's is copied from it: the same counter through the same transform gives
    the same bits. Without one (None), numba compiles the kernel without that code:
    the check alone made every draw 5% slower (measured).

    With a ``control`` side (:func:`_control_arguments`; None compiles without it), each
    shipment also draws whether it infringes (purpose INFRACTION, against the prevalence of
    who trades), and its channel compares the selectivity uniform with its group's cutoffs
    for an infringing or a compliant declaration (a risk score; :mod:`sim.plan.control`),
    or, under capacity targeting, a standard declaration spends the day's budget.
    """
    if control is not None:
        (prevalence, cutoffs, capacity, delta, budget, standard_mix) = control[:6]
        (standard_cumulative, infringing) = control[6:]
        infraction_counters = np.zeros((4, CHUNK), dtype=np.uint32)
        infraction_counters[2] = INFRACTION
        infraction_words = np.empty((4, CHUNK), dtype=np.uint32)
        day = -1
        left_red = 0.0
        left_yellow = 0.0
    if reference is not None:
        (classes, reference_classes, reference_group, reference_channel) = reference[:4]
        (reference_lodgement, reference_unloading, reference_release) = reference[4:7]
        (reference_service, reference_stage_dist) = reference[7:9]
        (reference_service_dist, reference_early, alike) = reference[9:]
    n = arrival.shape[0]
    last_origin = origin_cumulative.shape[0] - 1
    most = 2 * CHUNK * (3 + route_station.shape[1])  # blocks a chunk requests, at most
    attribute_counters = np.zeros((4, CHUNK), dtype=np.uint32)  # (shipment, 0, ATTRIBUTES, 0)
    attribute_counters[2] = ATTRIBUTES
    selectivity_counters = np.zeros((4, CHUNK), dtype=np.uint32)
    selectivity_counters[2] = SELECTIVITY
    attribute_words = np.empty((4, CHUNK), dtype=np.uint32)
    selectivity_words = np.empty((4, CHUNK), dtype=np.uint32)
    early = np.empty(CHUNK, dtype=np.bool_)
    counters = np.empty((4, most), dtype=np.uint32)  # each requested block's counter ...
    request_dist = np.empty(most, dtype=np.int64)  # ... the distribution it draws ...
    request_slot = np.empty(most, dtype=np.int64)  # ... and where the time goes
    words = np.empty((4, most), dtype=np.uint32)
    for first in range(0, n, CHUNK):
        m = min(CHUNK, n - first)
        for i in range(m):
            attribute_counters[0, i] = selectivity_counters[0, i] = np.uint64(first + i) & LOW32
        blocks(attribute_counters, k0, k1, m, attribute_words)
        blocks(selectivity_counters, k0, k1, m, selectivity_words)
        if control is not None:
            for i in range(m):
                infraction_counters[0, i] = attribute_counters[0, i]
            blocks(infraction_counters, k0, k1, m, infraction_words)
        r = 0
        for i in range(m):
            k = first + i
            u = uniform32(attribute_words[0, i])
            o = 0  # the first origin whose cumulative share exceeds u: counted, not searched
            for j in range(last_origin):  # (no branch to mispredict)
                o += origin_cumulative[j] <= u
            national = uniform32(attribute_words[1, i]) < national_share
            partner = uniform32(attribute_words[2, i]) < eligible_share[o]
            claim = partner and uniform32(attribute_words[3, i]) < claim_probability
            if national and claim:
                g = RECOGNISED_AEO if recognised_first else NATIONAL_AEO
            elif national:
                g = NATIONAL_AEO
            elif claim:
                g = RECOGNISED_AEO
            else:
                g = STANDARD
            u = uniform32(selectivity_words[0, i])
            if control is None:
                c = (
                    GREEN
                    if u < channel_cumulative[g, 0]
                    else (YELLOW if u < channel_cumulative[g, 1] else RED)
                )
            else:
                who = NATIONAL_KIND if national else (PARTNER_KIND if partner else STANDARD_KIND)
                bad = uniform32(infraction_words[0, i]) < prevalence[who]
                infringing[k] = bad
                if capacity and g == STANDARD:
                    today = int(arrival[k] // 24.0)
                    if today != day:  # a new day: a new budget
                        day = today
                        left_red = budget[1]
                        left_yellow = budget[0] - budget[1]
                    c, left_yellow, left_red = _spend(
                        u,
                        bad,
                        arrival[k],
                        24.0 * (today + 1),
                        delta,
                        prevalence,
                        standard_mix,
                        standard_cumulative,
                        left_yellow,
                        left_red,
                    )
                else:
                    cut = cutoffs[g, 1 if bad else 0]
                    c = GREEN if u < cut[0] else (YELLOW if u < cut[1] else RED)
            origin[k] = o
            group[k] = g
            eligible[k] = partner
            claimed[k] = claim
            channel[k] = c
            cell = 3 * c + g
            # the times it uses: lodgement lag, unloading, release, then each station of its route
            lodgement[k] = arrival[k]
            unloading[k] = 0.0
            release_delay[k] = 0.0
            early[i] = uniform32(selectivity_words[1, i]) < pre_arrival_share[g]  # lead, else lag
            # (the test of None alone, so that numba prunes the branch without a reference)
            if reference is not None:  # noqa: SIM102
                if alike[cell] and reference_group[k] == g and reference_channel[k] == c:
                    lodgement[k] = reference_lodgement[k]  # every time as there: copied whole
                    unloading[k] = reference_unloading[k]
                    release_delay[k] = reference_release[k]
                    for step in range(route_length[c]):
                        s = route_station[c, step]
                        service[s, k] = reference_service[s, k]
                    continue
            for slot in range(3 + route_length[c]):
                if slot < 3:
                    row = 3 if slot == 0 and early[i] else slot
                    d, purpose, station = stage_dist[row, cell], LODGEMENT + slot, 0
                else:
                    s = route_station[c, slot - 3]
                    d, purpose, station = service_dist[s, g], SERVICE, station_keys[s]
                    slot = 3 + s
                if d < 0:
                    continue
                if reference is not None:  # its distribution for this time, if it drew it
                    gr, cr = reference_group[k], reference_channel[k]
                    if slot < 3:
                        early_there = uniform32(selectivity_words[1, i]) < reference_early[gr]
                        row_there = 3 if slot == 0 and early_there else slot
                        there = reference_stage_dist[row_there, 3 * cr + gr]
                        if slot == 0 and early_there != early[i]:
                            there = -1  # the same lag, the other side of arrival
                    else:
                        there = (
                            -1
                            if np.isnan(reference_service[s, k])
                            else reference_service_dist[s, gr]
                        )
                    if there >= 0 and reference_classes[there] == classes[d]:  # copy its time
                        if slot == 0:
                            lodgement[k] = reference_lodgement[k]
                        elif slot == 1:
                            unloading[k] = reference_unloading[k]
                        elif slot == 2:
                            release_delay[k] = reference_release[k]
                        else:
                            service[s, k] = reference_service[s, k]
                        continue
                kind = kinds[d]
                attempt, word = first_block(kind, station)
                counters[0, r], counters[1, r] = attribute_counters[0, i], attempt
                counters[2, r], counters[3, r] = purpose, word
                request_dist[r], request_slot[r] = d, slot
                r += 1
                if kind == GAMMA:  # and its first attempt's uniform
                    counters[0, r], counters[1, r] = attribute_counters[0, i], GAMMA_FIRST
                    counters[2, r], counters[3, r] = purpose, station
                    r += 1
        blocks(counters, k0, k1, r, words)
        j = 0
        while j < r:
            shipment = np.int64(counters[0, j])
            d = request_dist[j]
            slot = request_slot[j]
            kind = kinds[d]
            w0, w1 = np.uint64(words[0, j]), np.uint64(words[1, j])
            w2, w3 = np.uint64(words[2, j]), np.uint64(words[3, j])
            if kind in (VALUES, QUANTILES):
                lo, hi = table_lo[d], table_hi[d]
                time = empirical(kind, uniform53(w0, w1), lo, hi, table_x, table_p)
            else:
                v0, v1 = np.uint64(0), np.uint64(0)
                if kind == GAMMA:  # its second block is the next one
                    j += 1
                    v0, v1 = np.uint64(words[0, j]), np.uint64(words[1, j])
                block_purpose, block_station = np.int64(counters[2, j]), np.int64(counters[3, j])
                p0, p1, p2 = params[d, 0], params[d, 1], params[d, 2]
                time = variate_from(
                    kind,
                    p0,
                    p1,
                    p2,
                    w0,
                    w1,
                    w2,
                    w3,
                    v0,
                    v1,
                    k0,
                    k1,
                    shipment,
                    block_purpose,
                    block_station,
                )
            j += 1
            if slot == 0:
                lodgement[shipment] = (
                    arrival[shipment] - time
                    if early[shipment - first]
                    else arrival[shipment] + time
                )
            elif slot == 1:
                unloading[shipment] = time
            elif slot == 2:
                release_delay[shipment] = time
            else:
                service[slot - 3, shipment] = time


@njit(cache=True)
def _upper_tail(x):
    """P(Z > x) for a standard normal Z."""
    return 0.5 * math.erfc(x * 0.7071067811865476)


@njit(cache=True)
def _expected_by(t, cumulative):
    """Expected shipments arriving in [0, t): ``cumulative`` by hour of the week (169)."""
    hours = cumulative.shape[0] - 1
    weeks = math.floor(t / hours)
    rest = t - weeks * hours
    h = min(int(rest), hours - 1)
    return (
        weeks * cumulative[hours] + cumulative[h] + (rest - h) * (cumulative[h + 1] - cumulative[h])
    )


@njit(cache=True)
def _spend(u, bad, t, day_end, delta, prevalence, mix, cumulative, left_yellow, left_red):
    """Capacity targeting: the channel of a standard declaration arriving at ``t`` with the
    day's budget left, and the budget after it (:mod:`sim.plan.control`).

    Checked when its score's upper-tail probability among standard declarations, times
    the standard declarations still expected today (itself included), is at most the
    checks left: red first, then yellow.
    """
    score = normal_quantile(u) + (delta if bad else 0.0)
    upper = 0.0
    for who in range(3):
        p = prevalence[who]
        upper += mix[who] * ((1.0 - p) * _upper_tail(score) + p * _upper_tail(score - delta))
    expected = 1.0 + _expected_by(day_end, cumulative) - _expected_by(t, cumulative)
    demand = upper * expected
    if left_red > 0.0 and demand <= left_red:
        return RED, left_yellow, left_red - 1.0
    if left_yellow > 0.0 and demand <= left_red + left_yellow:
        return YELLOW, left_yellow - 1.0, left_red
    return GREEN, left_yellow, left_red


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
def _unit_poisson_epochs(k0, k1, total, room=-1):
    """Epochs of a unit-rate Poisson process below ``total``: epoch i's gap is the i-th
    counter's exponential (counter blocks computed a chunk at a time).

    The array's first size is ``room`` (by default, 6 standard deviations above the
    mean count and a chunk more). It grows, if ever, between chunks, not in the loop
    over a chunk's epochs: an array that may be replaced inside that loop made every
    epoch cost 26 ns instead of 7 (measured; the likely cause: numba then reloads and
    reference-counts it each time round).
    """
    if room < 0:
        room = int(total + 6 * math.sqrt(total)) + 16 + CHUNK
    out = np.empty(room)
    counters = np.zeros((4, CHUNK), dtype=np.uint32)  # (epoch, ZIGGURAT, ARRIVALS, 0)
    counters[1] = ZIGGURAT
    counters[2] = ARRIVALS
    words = np.empty((4, CHUNK), dtype=np.uint32)
    t = 0.0
    n = 0
    while True:
        if n + CHUNK > out.shape[0]:  # room for a whole chunk
            grown = np.empty(2 * out.shape[0] + CHUNK)
            grown[:n] = out[:n]
            out = grown
        for i in range(CHUNK):
            counters[0, i] = np.uint64(n + i) & LOW32
        blocks(counters, k0, k1, CHUNK, words)
        for i in range(CHUNK):
            w0, w1 = np.uint64(words[0, i]), np.uint64(words[1, i])
            w2, w3 = np.uint64(words[2, i]), np.uint64(words[3, i])
            t += exponential_from(w0, w1, w2, w3, k0, k1, n, ARRIVALS, 0)
            if t >= total:
                return out[:n]
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
