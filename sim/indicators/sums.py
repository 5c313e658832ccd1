"""Indicators of one replication: the arrangement's common indicators first, then the stages.

One replication is reduced to a vector of numbers whose meaning is fixed by a
:class:`Layout` (one row per country, mode, port, group, station and metric), so
that replications can be accumulated without keeping their records.

**Levels** (an *area* is a set of ports): each port; each country's ports of one
mode (``port = "all"``: the level at which Time Release Studies publish); each
country (``mode = port = "all"``); each mode across the region (``country =
"all"``); the region. **Groups**: ``all``, the three trader groups, ``eligible``
(the exporter is an AEO of another member, claimed or not) and ``not_eligible``
(every other shipment). The last two keep the same members whatever the
arrangement does, so their differences between scenarios are effects, not a
change of who is counted. ``station`` is ``None`` where it does not apply, and
``group`` is ``None`` for a station's server pools.

**Stages** split each shipment's clearance time (arrival to release) exactly::

    clearance = unloading + lodgement wait + checks + release formalities

``unloading`` runs from arrival to goods available (calendar waits included);
``lodgement wait`` from then until the declaration is lodged, when it is lodged
later; ``checks`` from ready (unloaded and lodged) to the end of the last check,
waits and services of every station of the route (zero in the green channel);
``release`` the formalities after it. **Customs time** runs from when customs can
act, the later of the goods being available (after unloading or presentation: the
milestone the country's clock names) and the declaration being lodged, to release:
checks plus release formalities, the stretch customs controls. A trader who lodges
early is not charged the port's unloading, and one who lodges late is not read as a
slow customs.

How it is computed. Every shipment falls in one of six *cells*: its trader
group times whether it is eligible. A compiled pass over each port sums the
cells (counts, channel counts, stage sums, station waits and services, busy
time per server pool); every area's and group's sums are then sums of cells, as
matrix products. Medians and 90th percentiles are exact order statistics: each
cell's clearance and customs times are sorted once, and the quantile of any
union of cells (a country's eligible shipments, the region's) is selected from
the sorted pieces without merging them (:func:`_kth_smallest`).

Only shipments that arrive inside the counted window (after warm-up) count;
server utilisation and overtime count the work done inside that window.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numba import njit

from sim.engine.inputs import PortInputs
from sim.engine.outcome import PortOutcome
from sim.indicators.layout import (
    CHECKS_N,
    CLEARANCE,
    CUSTOMS_TIME,
    DETECTIONS_N,
    GROUP_CELLS,
    INFRACTIONS_N,
    N_CELLS,
    N_CONTROL_SUMS,
    N_SUMS,
    OFFICER_H,
    PROBABILITIES,
    QUANTILES,
    STAGE_SUMS,
    STAKE_MISSED,
    Layout,
    has_control,
    weeks_simulated,
)
from sim.indicators.order_stats import _quantiles
from sim.model.calendars import WEEK
from sim.model.vocabulary import CHANNELS, ELIGIBLE, SUMMARY_GROUPS
from sim.plan.arrays import Plan, PortPlan

# --- one replication --------------------------------------------------------------


@dataclass
class PortSums:
    """One port's counted shipments summed by cell (see the module docstring)."""

    count: np.ndarray  # (6,)
    channels: np.ndarray  # (6, 3)
    claimed: np.ndarray  # (6,)
    sums: np.ndarray  # (6, N_SUMS) hours
    visits: np.ndarray  # (stations, 6)
    wait: np.ndarray  # (stations, 6) hours
    service: np.ndarray  # (stations, 6) hours
    busy: np.ndarray  # (stations, 2) server-hours per pool, inside the window
    overtime: np.ndarray  # (stations,)
    control: np.ndarray | None = None  # (6, N_CONTROL_SUMS) the control side's, if any


@dataclass
class PortCells:
    """One port's share of a replication's indicators: its sums by cell, and its counted
    shipments' clearance and customs times, sorted within each cell (``bounds``: the cells'
    7 offsets). Ports are independent, so these can be computed in separate processes."""

    sums: PortSums
    clearance: np.ndarray
    customs: np.ndarray
    bounds: np.ndarray
    weekly_customs: np.ndarray  # mean customs time by week of arrival, warm-up included


def compute(
    plan: Plan, layout: Layout, results: Sequence[tuple[PortInputs, PortOutcome]]
) -> np.ndarray:
    """The indicator vector of one replication."""
    cells = [port_cells(plan, p, *result) for p, result in enumerate(results)]
    return combine(plan, layout, cells)


def port_cells(plan: Plan, p: int, inputs: PortInputs, outcome: PortOutcome) -> PortCells:
    """One compiled pass over port p's shipments, then a sort of each cell's times."""
    lo, hi = np.searchsorted(inputs.arrival, plan.ports[p].window)
    clearance = np.empty(hi - lo)
    customs = np.empty(hi - lo)
    sums, bounds = _port_sums(
        plan, plan.ports[p], inputs, outcome, int(lo), int(hi), clearance, customs
    )
    sums.control = _control_sums(plan.ports[p], inputs, int(lo), int(hi))
    for a, b in itertools.pairwise(bounds):
        clearance[a:b].sort()
        customs[a:b].sort()
    return PortCells(
        sums, clearance, customs, bounds, _weekly_customs(plan.ports[p], inputs, outcome)
    )


def _weekly_customs(port: PortPlan, inputs: PortInputs, outcome: PortOutcome) -> np.ndarray:
    """Mean customs time of the shipments arriving in each week up to the window's end, the
    warm-up included (NaN for a week without one): how the port fills from empty."""
    end = int(np.searchsorted(inputs.arrival, port.window[1]))
    weeks = weeks_simulated(port)
    week = np.minimum((inputs.arrival[:end] // WEEK).astype(np.int64), weeks - 1)
    ready = np.maximum(outcome.unloaded[:end], outcome.lodged[:end])
    total = np.bincount(week, weights=outcome.release[:end] - ready, minlength=weeks)
    count = np.bincount(week, minlength=weeks)
    with np.errstate(invalid="ignore", divide="ignore"):
        return total / count


def combine(plan: Plan, layout: Layout, cells: Sequence[PortCells]) -> np.ndarray:
    """The indicator vector of one replication, from every port's cells (in plan order)."""
    vector = np.full(len(layout), np.nan)
    sizes = np.array([len(c.clearance) for c in cells], dtype=np.int64)
    offsets = np.concatenate(([0], np.cumsum(sizes)))
    segments = np.empty(len(cells) * N_CELLS + 1, dtype=np.int64)  # cell bounds in the buffers
    segments[-1] = offsets[-1]
    for p, port in enumerate(cells):
        segments[p * N_CELLS : (p + 1) * N_CELLS] = offsets[p] + port.bounds[:-1]
    sums = [c.sums for c in cells]
    _put_stations(vector, layout, sums)
    clearance = np.concatenate([c.clearance for c in cells]) if cells else np.empty(0)
    customs = np.concatenate([c.customs for c in cells]) if cells else np.empty(0)
    _put_areas(vector, layout, plan, sums, clearance, customs, segments)
    for rows, port in zip(layout.week_rows, cells, strict=True):
        vector[rows] = port.weekly_customs
    return vector


def _put_stations(vector: np.ndarray, layout: Layout, ports: Sequence[PortSums]) -> None:
    """Waits and services per group, and each pool's utilisation, of every port's stations,
    all at once (a pass per port cost about 50 microseconds: 2.6 ms a regional replication)."""
    if not len(layout.station_rows):
        return

    def stacked(name: str) -> np.ndarray:  # every port's stations, in the layout's order
        return np.concatenate([getattr(sums, name) for sums in ports])

    visits = stacked("visits") @ GROUP_CELLS.T  # (stations, groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        wait = (stacked("wait") @ GROUP_CELLS.T) / visits
        service = (stacked("service") @ GROUP_CELLS.T) / visits
        capacity = layout.capacity_h
        utilisation = np.where(capacity > 0, stacked("busy") / capacity, np.nan)
    values = np.stack((wait, service, visits), axis=-1)
    _scatter(vector, layout.station_rows, values)
    pools = np.concatenate((utilisation, stacked("overtime")[:, None]), axis=1)
    _scatter(vector, layout.pool_rows, pools)


def _scatter(vector: np.ndarray, rows: np.ndarray, values: np.ndarray) -> None:
    present = rows >= 0
    vector[rows[present]] = values[present]


def _put_areas(
    vector: np.ndarray,
    layout: Layout,
    plan: Plan,
    ports: list[PortSums],
    clearance: np.ndarray,
    customs: np.ndarray,
    segments: np.ndarray,
) -> None:
    """Every area's and group's indicators, from the cells of its ports."""
    rates = plan.scenario.cost_of_delay.rates_per_day
    incidence = np.zeros((len(layout.areas), len(ports)))
    for a, area in enumerate(layout.areas):
        incidence[a, list(area.ports)] = 1.0
    # no declared value: 0 here, and the area has no cost rows (0, not NaN: NaN * 0 is NaN)
    value = np.array([port.value_usd or 0.0 for port in plan.ports])

    def by_area_group(per_port: np.ndarray) -> np.ndarray:
        """(ports, 6 cells, ...) -> (areas, groups, ...)."""
        by_area = np.tensordot(incidence, per_port, axes=1)
        return np.moveaxis(np.tensordot(GROUP_CELLS, by_area, axes=([1], [1])), 0, 1)

    count = by_area_group(np.array([s.count for s in ports], dtype=np.float64))
    channels = by_area_group(np.array([s.channels for s in ports], dtype=np.float64))
    sums = by_area_group(np.array([s.sums for s in ports]))
    value_days = by_area_group(
        np.array([s.sums[:, CLEARANCE] for s in ports]) * value[:, None] / 24
    )
    claimed = incidence @ np.array([s.claimed.sum() for s in ports], dtype=np.float64)
    quantiles = _area_quantiles(layout, clearance, customs, segments)
    with np.errstate(invalid="ignore", divide="ignore"):
        n = np.where(count > 0, count, np.nan)
        values = [
            *(channels[..., c] / n for c in range(len(CHANNELS))),
            sums[..., CLEARANCE] / n,
            quantiles[..., 0, 0],
            quantiles[..., 0, 1],
            sums[..., CUSTOMS_TIME] / n,
            quantiles[..., 1, 0],
            quantiles[..., 1, 1],
            *(sums[..., stage] / n for stage in STAGE_SUMS),
            count,
            *(value_days * rate / n for rate in rates),
            *(_control_values(plan, ports, by_area_group)),
        ]
        eligible = count[:, SUMMARY_GROUPS.index(ELIGIBLE)]
        utilisation = np.where(eligible > 0, claimed / np.where(eligible > 0, eligible, 1), np.nan)
    _scatter(vector, layout.area_rows, np.stack(values, axis=-1))
    _scatter(vector, layout.utilisation_rows, utilisation)


def _control_values(
    plan: Plan, ports: Sequence[PortSums], by_area_group: Callable[[np.ndarray], np.ndarray]
) -> list[np.ndarray]:
    """The control metrics of every area and group (in :data:`CONTROL`'s order), if the plan
    has a control side; a port without one adds nothing (its areas have no such rows)."""
    if not has_control(plan):
        return []
    empty = np.zeros((N_CELLS, N_CONTROL_SUMS))
    sums = by_area_group(np.array([empty if s.control is None else s.control for s in ports]))
    checks, infractions, detections = (
        sums[..., i] for i in (CHECKS_N, INFRACTIONS_N, DETECTIONS_N)
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        return [
            checks,
            infractions,
            detections,
            detections / checks,
            detections / infractions,
            infractions - detections,
            sums[..., STAKE_MISSED],
            detections / sums[..., OFFICER_H],
        ]


def _control_sums(port: PortPlan, inputs: PortInputs, lo: int, hi: int) -> np.ndarray | None:
    """A port's control sums by cell (None without a control side)."""
    if inputs.infringing is None or inputs.detected is None or inputs.stake is None:
        return None
    out = np.zeros((N_CELLS, N_CONTROL_SUMS))
    _control_kernel(
        lo,
        hi,
        inputs.group,
        inputs.eligible,
        inputs.channel,
        inputs.infringing,
        inputs.detected,
        inputs.stake,
        inputs.service,
        port.route_length,
        port.route_station,
        out,
    )
    return out


@njit(cache=True)
def _control_kernel(
    lo,
    hi,
    group,
    eligible,
    channel,
    infringing,
    detected,
    stake,
    service,
    route_length,
    route_station,
    out,
):
    """Sum the counted shipments' control side by cell, in index order: checks (a yellow or
    red channel), infractions, detections, the stake of infractions missed, and the
    officer-hours of the checks (the service times of the route's stations)."""
    for k in range(lo, hi):
        cell = 2 * group[k] + eligible[k]
        c = channel[k]
        if c > 0:
            out[cell, 0] += 1.0
            for step in range(route_length[c]):
                out[cell, 4] += service[route_station[c, step], k]
        if infringing[k]:
            out[cell, 1] += 1.0
            if detected[k]:
                out[cell, 2] += 1.0
            else:
                out[cell, 3] += stake[k]


def _area_quantiles(
    layout: Layout, clearance: np.ndarray, customs: np.ndarray, segments: np.ndarray
) -> np.ndarray:
    """(areas, groups, 2 times, 2 quantiles): medians and 90th percentiles, exact."""
    unions = layout.unions
    assert unions is not None, "a Layout.union() layout only names rows"
    out = np.full((len(unions.bounds) - 1, 2, len(QUANTILES)), np.nan)
    members, bounds = unions.members, unions.bounds
    _union_quantiles(clearance, customs, segments, members, bounds, PROBABILITIES, out)
    return out[unions.of_area]


@njit(cache=True)
def _union_quantiles(clearance, customs, segments, members, bounds, probabilities, out):
    """Both times' quantiles of each union u of cells, ``members[bounds[u]:bounds[u + 1]]``.

    One compiled call for every area and group of a replication: with a call per
    union from Python (474 in the regional scenario), the indicators' fixed cost
    of a replication was 9.4 ms, against 6.0 ms with this one call (measured on a
    horizon too short to hold many shipments).
    """
    for u in range(bounds.shape[0] - 1):
        chosen = members[bounds[u] : bounds[u + 1]]
        _quantiles(clearance, segments, chosen, probabilities, out[u, 0])
        _quantiles(customs, segments, chosen, probabilities, out[u, 1])


def _port_sums(
    plan: Plan,
    port: PortPlan,
    inputs: PortInputs,
    outcome: PortOutcome,
    lo: int,
    hi: int,
    clearance: np.ndarray,
    customs: np.ndarray,
) -> tuple[PortSums, np.ndarray]:
    """One compiled pass over a port's shipments; the buffers receive its times grouped by cell.

    Returns the sums and the cells' bounds within the buffers (7 offsets).
    """
    n_stations = len(port.stations)
    sums = PortSums(
        count=np.zeros(N_CELLS, dtype=np.int64),
        channels=np.zeros((N_CELLS, len(CHANNELS)), dtype=np.int64),
        claimed=np.zeros(N_CELLS, dtype=np.int64),
        sums=np.zeros((N_CELLS, N_SUMS)),
        visits=np.zeros((n_stations, N_CELLS)),
        wait=np.zeros((n_stations, N_CELLS)),
        service=np.zeros((n_stations, N_CELLS)),
        busy=np.zeros((n_stations, 2)),
        overtime=np.zeros(n_stations),
    )
    bounds = np.zeros(N_CELLS + 1, dtype=np.int64)
    _port_sums_kernel(
        lo,
        hi,
        port.window[0],
        port.window[1],
        inputs.arrival,
        inputs.group,
        inputs.eligible,
        inputs.claimed,
        inputs.channel,
        outcome.unloaded,
        outcome.lodged,
        outcome.start,
        outcome.end,
        outcome.overtime,
        outcome.pool,
        outcome.release,
        outcome.queued,
        port.route_length,
        port.route_station,
        sums.count,
        sums.channels,
        sums.claimed,
        sums.sums,
        sums.visits,
        sums.wait,
        sums.service,
        sums.busy,
        sums.overtime,
        clearance,
        customs,
        bounds,
    )
    return sums, bounds


@njit(cache=True)
def _port_sums_kernel(
    lo,
    hi,
    t0,
    t1,
    arrival,
    group,
    eligible,
    claimed,
    channel,
    unloaded,
    lodged,
    start,
    end,
    overtime_h,
    pool,
    release,
    queued,
    route_length,
    route_station,
    count,
    channels,
    claimed_count,
    sums,
    visits,
    wait,
    service,
    busy,
    overtime,
    clearance,
    customs,
    bounds,
):
    """Sum a port's counted shipments by cell; lay out their times by cell; total the work.

    Each sum accumulates its shipments in index order, as the simple loop over shipments
    and their routes did, so the numbers are that loop's to the bit. It is split in two
    because three quarters of shipments are green, and whether a shipment had a route to
    loop over was a branch the CPU mispredicted: first every counted shipment's stages,
    with no loop over its route (the end of its checks is read from its route's last
    station); then the stations' waits and services and the pools' work, over the queued
    shipments only (port_cells of a regional replication: 53 -> 46 ms, measured). The
    station arrays have a column per queued shipment (``queued[j]``'s is column j).
    """
    n = arrival.shape[0]
    cells = np.empty(n, dtype=np.int8)  # each counted shipment's cell ([lo, hi) is used)
    for k in range(lo, hi):
        cell = 2 * group[k] + eligible[k]
        cells[k] = cell
        count[cell] += 1
    for cell in range(6):  # counts first, to lay out each cell's times contiguously
        bounds[cell + 1] = bounds[cell] + count[cell]
    fill = bounds[:6].copy()
    last_station = np.zeros(route_length.shape[0], dtype=np.int64)
    for c in range(route_length.shape[0]):
        if route_length[c] > 0:
            last_station[c] = route_station[c, route_length[c] - 1]
    m = queued.shape[0]
    j = np.searchsorted(queued, lo)  # the column of the next queued shipment
    last_column = max(m - 1, 0)
    for k in range(lo, hi):
        cell = cells[k]
        c = channel[k]
        channels[cell, c] += 1
        claimed_count[cell] += claimed[k]
        ready = unloaded[k] if unloaded[k] >= lodged[k] else lodged[k]  # customs can act
        # read whether queued or not (a branch here was mispredicted), used only if queued
        checked = end[last_station[c], min(j, last_column)] if m > 0 else ready
        j += route_length[c] > 0
        joined = checked if route_length[c] > 0 else ready  # the end of its checks
        sums[cell, 0] += release[k] - arrival[k]  # CLEARANCE
        sums[cell, 1] += release[k] - ready  # CUSTOMS_TIME: checks and release
        sums[cell, 2] += unloaded[k] - arrival[k]  # UNLOADING
        sums[cell, 3] += ready - unloaded[k]  # LODGEMENT_WAIT
        sums[cell, 4] += joined - ready  # CHECKS
        sums[cell, 5] += release[k] - joined  # RELEASE
        clearance[fill[cell]] = release[k] - arrival[k]
        customs[fill[cell]] = release[k] - ready
        fill[cell] += 1
    for j in range(m):  # the queued shipments; column j of the station arrays
        k = queued[j]
        c = channel[k]
        counted = lo <= k < hi
        cell = cells[k] if counted else 0
        joined = unloaded[k] if unloaded[k] >= lodged[k] else lodged[k]  # ready
        for step in range(route_length[c]):
            s = route_station[c, step]
            if counted:  # each wait runs from joining a station's queue to the start of service
                visits[s, cell] += 1
                wait[s, cell] += start[s, j] - joined
                service[s, cell] += end[s, j] - start[s, j]
                joined = end[s, j]
            # work inside the window, by every shipment (counted or not): the overlap of
            # [start, end) with it; branches, as numba's min/max are slow
            lo_t = start[s, j] if start[s, j] > t0 else t0
            hi_t = end[s, j] if end[s, j] < t1 else t1
            if hi_t > lo_t:
                busy[s, pool[s, j]] += hi_t - lo_t
            if t0 <= start[s, j] < t1:
                overtime[s] += overtime_h[s, j]
