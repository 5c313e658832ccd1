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
``release`` the formalities after it. **Customs time** is release minus the later
of arrival and lodgement: the stretch customs controls, so that a country whose
importers lodge late is not read as one whose customs are slow.

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
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from numba import njit

from .calendars import open_hours
from .inputs import PortInputs
from .outcome import GENERAL, RESERVED, PortOutcome
from .plan import Plan, PortPlan
from .scenario import CHANNELS, GROUPS, Scenario

ALL = "all"
ELIGIBLE = "eligible"
NOT_ELIGIBLE = "not_eligible"
SUMMARY_GROUPS = (ALL, *GROUPS, ELIGIBLE, NOT_ELIGIBLE)
FIXED_MEMBERSHIP = (ALL, ELIGIBLE, NOT_ELIGIBLE)
"""Groups whose members do not depend on the arrangement: read differences on these."""

HEADLINE = (
    "utilisation_rate",
    "green_share",
    "yellow_share",
    "red_share",
    "clearance_h_mean",
    "clearance_h_median",
    "clearance_h_p90",
)
"""The arrangement's common indicators: utilisation, selectivity, clearance time."""

STAGES = ("unloading_h_mean", "lodgement_wait_h_mean", "checks_h_mean", "release_h_mean")
"""The stages of clearance, in order; per shipment they add up to its clearance time."""
CUSTOMS = ("customs_h_mean", "customs_h_median", "customs_h_p90")

N_CELLS = 6
"""Cell of a shipment: 2 * trader group + eligible."""
GROUP_CELLS = np.array(
    [
        [1, 1, 1, 1, 1, 1],  # all
        [1, 1, 0, 0, 0, 0],  # standard
        [0, 0, 1, 1, 0, 0],  # national_aeo
        [0, 0, 0, 0, 1, 1],  # recognised_aeo
        [0, 1, 0, 1, 0, 1],  # eligible
        [1, 0, 1, 0, 1, 0],  # not_eligible
    ],
    dtype=np.float64,
)
"""Which cells make up each summary group (rows in SUMMARY_GROUPS order)."""
CELLS_OF = [tuple(np.flatnonzero(row)) for row in GROUP_CELLS]

# sums kept per cell, in this order
CLEARANCE, CUSTOMS_TIME, UNLOADING, LODGEMENT_WAIT, CHECKS, RELEASE = range(6)
N_SUMS = 6
STAGE_SUMS = (UNLOADING, LODGEMENT_WAIT, CHECKS, RELEASE)
QUANTILES = (0.5, 0.9)
PROBABILITIES = np.array(QUANTILES)


class Row(NamedTuple):
    """The key of one indicator: where, for whom, and what."""

    country: str
    mode: str
    port: str
    group: str | None
    station: str | None
    metric: str


KEY_COLUMNS = list(Row._fields)


def cost_metric(rate: float) -> str:
    """Metric name of the cost of delay per shipment at an ad-valorem rate per day."""
    return f"delay_cost_usd_{100 * rate:g}pct"


def area_metrics(rates: Sequence[float]) -> list[str]:
    """Metrics of every area and group, in the order :func:`compute` fills them."""
    return [
        *(f"{c}_share" for c in CHANNELS),
        "clearance_h_mean",
        "clearance_h_median",
        "clearance_h_p90",
        *CUSTOMS,
        *STAGES,
        "shipments",
        *(cost_metric(r) for r in rates),
    ]


STATION_GROUP_METRICS = ("wait_h_mean", "service_h_mean", "shipments")
POOL_METRICS = ("general_utilisation", "reserved_utilisation")


def metric_names(scenario: Scenario) -> list[str]:
    """Every metric a scenario's results can hold, areas' first, then stations'."""
    rates = scenario.cost_of_delay.rates_per_day
    return [
        "utilisation_rate",
        *area_metrics(rates),
        *STATION_GROUP_METRICS,
        *POOL_METRICS,
        "overtime_h",
    ]


@dataclass(frozen=True)
class Area:
    """A set of ports reported together."""

    country: str
    mode: str
    port: str
    ports: tuple[int, ...]  # indices into Plan.ports


@dataclass(frozen=True)
class Unions:
    """The sets of cells whose clearance times an area's group pools, each listed once.

    Union u is the cells ``members[bounds[u]:bounds[u + 1]]`` (cell c of port p is
    ``p * N_CELLS + c``); ``of_area[a, g]`` is the union of area a and summary group g.
    Areas with the same ports (a country with one port, or one mode) share a union, so
    its quantiles are computed once.
    """

    members: np.ndarray
    bounds: np.ndarray
    of_area: np.ndarray

    @classmethod
    def of(cls, areas: Sequence[Area]) -> Unions:
        known: dict[tuple[tuple[int, ...], int], int] = {}
        members: list[int] = []
        bounds = [0]
        of_area = np.empty((len(areas), len(SUMMARY_GROUPS)), dtype=np.intp)
        for a, area in enumerate(areas):
            for g, cells in enumerate(CELLS_OF):
                key = (area.ports, g)
                if key not in known:
                    known[key] = len(bounds) - 1
                    members += [p * N_CELLS + c for p in area.ports for c in cells]
                    bounds.append(len(members))
                of_area[a, g] = known[key]
        return cls(np.array(members, dtype=np.int64), np.array(bounds, dtype=np.int64), of_area)


@dataclass(frozen=True)
class Layout:
    """The rows of an indicator vector, and what is constant across replications.

    ``area_rows[a, g, m]`` is the row of area a, summary group g and area metric m
    (-1 for none); ``station_rows`` and ``pool_rows`` likewise per station, every port's
    stations in port order.
    """

    rows: tuple[Row, ...]
    index: dict[tuple, int]
    areas: tuple[Area, ...] = ()
    area_rows: np.ndarray = field(default_factory=lambda: np.empty((0, 0, 0), dtype=np.intp))
    utilisation_rows: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.intp))
    # every port's stations, in port order: (stations, groups, 3) rows; (stations, 3) rows of
    # the general and reserved pools and overtime; (stations, 2) scheduled server-hours
    station_rows: np.ndarray = field(default_factory=lambda: _no_stations(len(SUMMARY_GROUPS), 3))
    pool_rows: np.ndarray = field(default_factory=lambda: _no_stations(3))
    capacity_h: np.ndarray = field(default_factory=lambda: _no_stations(2, dtype=float))
    unions: Unions | None = None  # the cell unions whose quantiles the areas report

    @classmethod
    def of(cls, plan: Plan) -> Layout:
        rates = plan.scenario.cost_of_delay.rates_per_day
        metrics = area_metrics(rates)
        areas = _areas(plan)
        costs = {cost_metric(r) for r in rates}
        valued = {i for i, port in enumerate(plan.ports) if port.value_usd is not None}
        rows: list[Row] = []
        for area in areas:
            rows.append(Row(area.country, area.mode, area.port, ALL, None, "utilisation_rate"))
            # the cost of delay only where every port of the area declares its value
            priced = valued.issuperset(area.ports)
            here = metrics if priced else [m for m in metrics if m not in costs]
            for group in SUMMARY_GROUPS:
                rows.extend(Row(area.country, area.mode, area.port, group, None, m) for m in here)
        for port in plan.ports:
            for s, station in enumerate(port.stations):
                at = (port.country, port.mode, port.name)
                for group in SUMMARY_GROUPS:
                    rows.extend(Row(*at, group, station, m) for m in STATION_GROUP_METRICS)
                rows.append(Row(*at, None, station, "general_utilisation"))
                if port.pool_servers[2 * s + 1] > 0:
                    rows.append(Row(*at, None, station, "reserved_utilisation"))
                rows.append(Row(*at, None, station, "overtime_h"))
        rows.sort(key=_row_order)
        index = {row: i for i, row in enumerate(rows)}

        def at(*key: object) -> int:
            return index.get(key, -1)  # type: ignore[arg-type]

        area_rows = np.array(
            [
                [
                    [at(a.country, a.mode, a.port, g, None, m) for m in metrics]
                    for g in SUMMARY_GROUPS
                ]
                for a in areas
            ],
            dtype=np.intp,
        )
        utilisation = np.array(
            [at(a.country, a.mode, a.port, ALL, None, "utilisation_rate") for a in areas],
            dtype=np.intp,
        )
        station_rows, pool_rows, capacity = [], [], []
        for port in plan.ports:
            key = (port.country, port.mode, port.name)
            station_rows.append(
                np.array(
                    [
                        [
                            [at(*key, g, st, m) for m in STATION_GROUP_METRICS]
                            for g in SUMMARY_GROUPS
                        ]
                        for st in port.stations
                    ],
                    dtype=np.intp,
                ).reshape(len(port.stations), len(SUMMARY_GROUPS), len(STATION_GROUP_METRICS))
            )
            pool_rows.append(
                np.array(
                    [
                        [at(*key, None, st, m) for m in (*POOL_METRICS, "overtime_h")]
                        for st in port.stations
                    ],
                    dtype=np.intp,
                ).reshape(len(port.stations), 3)
            )
            capacity.append(_capacity(plan, port))
        return cls(
            tuple(rows),
            index,
            tuple(areas),
            area_rows,
            utilisation,
            np.concatenate(station_rows) if station_rows else _no_stations(len(SUMMARY_GROUPS), 3),
            np.concatenate(pool_rows) if pool_rows else _no_stations(3),
            np.concatenate(capacity) if capacity else _no_stations(2, dtype=float),
            Unions.of(areas),
        )

    def __len__(self) -> int:
        return len(self.rows)

    @classmethod
    def union(cls, layouts: Sequence[Layout]) -> Layout:
        """Rows of several layouts: the first one's, then any the others add (no fill maps)."""
        rows = list(dict.fromkeys(row for layout in layouts for row in layout.rows))
        return cls(tuple(rows), {row: i for i, row in enumerate(rows)})


def _no_stations(*shape: int, dtype: type = np.intp) -> np.ndarray:
    return np.empty((0, *shape), dtype=dtype)


_METRIC_ORDER = (
    *HEADLINE,
    *CUSTOMS,
    *STAGES,
    "shipments",
    "wait_h_mean",
    "service_h_mean",
    *POOL_METRICS,
    "overtime_h",
)


def _row_order(row: Row) -> int:
    """Headline indicators first, then the rest (a stable sort keeps areas and groups in order)."""
    metric = row.metric
    return _METRIC_ORDER.index(metric) if metric in _METRIC_ORDER else len(_METRIC_ORDER)


def _areas(plan: Plan) -> list[Area]:
    """Ports, each country's modes and the country, then the region's modes and the region."""
    areas: list[Area] = []
    countries = list(dict.fromkeys(p.country for p in plan.ports))
    for country in countries:
        mine = [i for i, p in enumerate(plan.ports) if p.country == country]
        areas += [Area(country, plan.ports[i].mode, plan.ports[i].name, (i,)) for i in mine]
        for mode in dict.fromkeys(plan.ports[i].mode for i in mine):
            ports = tuple(i for i in mine if plan.ports[i].mode == mode)
            areas.append(Area(country, mode, ALL, ports))
        areas.append(Area(country, ALL, ALL, tuple(mine)))
    for mode in dict.fromkeys(p.mode for p in plan.ports):
        ports = tuple(i for i, p in enumerate(plan.ports) if p.mode == mode)
        areas.append(Area(ALL, mode, ALL, ports))
    areas.append(Area(ALL, ALL, ALL, tuple(range(len(plan.ports)))))
    return areas


def _capacity(plan: Plan, port: PortPlan) -> np.ndarray:
    """Scheduled server-hours of each station's (general, reserved) pool in the counted window."""
    t0, t1 = plan.window
    capacity = np.zeros((len(port.stations), 2))
    for s in range(len(port.stations)):
        for kind, p in ((GENERAL, 2 * s), (RESERVED, 2 * s + 1)):
            starts, ends = plan.calendars.bounds(int(port.pool_calendar[p]))
            capacity[s, kind] = port.pool_servers[p] * open_hours(starts, ends, t0, t1)
    return capacity


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


@dataclass
class PortCells:
    """One port's share of a replication's indicators: its sums by cell, and its counted
    shipments' clearance and customs times, sorted within each cell (``bounds``: the cells'
    7 offsets). Ports are independent, so these can be computed in separate processes."""

    sums: PortSums
    clearance: np.ndarray
    customs: np.ndarray
    bounds: np.ndarray


def compute(
    plan: Plan, layout: Layout, results: Sequence[tuple[PortInputs, PortOutcome]]
) -> np.ndarray:
    """The indicator vector of one replication."""
    cells = [port_cells(plan, p, *result) for p, result in enumerate(results)]
    return combine(plan, layout, cells)


def port_cells(plan: Plan, p: int, inputs: PortInputs, outcome: PortOutcome) -> PortCells:
    """One compiled pass over port p's shipments, then a sort of each cell's times."""
    lo, hi = np.searchsorted(inputs.arrival, plan.window)
    clearance = np.empty(hi - lo)
    customs = np.empty(hi - lo)
    sums, bounds = _port_sums(
        plan, plan.ports[p], inputs, outcome, int(lo), int(hi), clearance, customs
    )
    for a, b in itertools.pairwise(bounds):
        clearance[a:b].sort()
        customs[a:b].sort()
    return PortCells(sums, clearance, customs, bounds)


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
        ]
        eligible = count[:, SUMMARY_GROUPS.index(ELIGIBLE)]
        utilisation = np.where(eligible > 0, claimed / np.where(eligible > 0, eligible, 1), np.nan)
    _scatter(vector, layout.area_rows, np.stack(values, axis=-1))
    _scatter(vector, layout.utilisation_rows, utilisation)


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
        plan.window[0],
        plan.window[1],
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
        ready = unloaded[k] if unloaded[k] >= lodged[k] else lodged[k]
        declared = arrival[k] if arrival[k] >= lodged[k] else lodged[k]
        # read whether queued or not (a branch here was mispredicted), used only if queued
        checked = end[last_station[c], min(j, last_column)] if m > 0 else ready
        j += route_length[c] > 0
        joined = checked if route_length[c] > 0 else ready  # the end of its checks
        sums[cell, 0] += release[k] - arrival[k]  # CLEARANCE
        sums[cell, 1] += release[k] - declared  # CUSTOMS_TIME
        sums[cell, 2] += unloaded[k] - arrival[k]  # UNLOADING
        sums[cell, 3] += ready - unloaded[k]  # LODGEMENT_WAIT
        sums[cell, 4] += joined - ready  # CHECKS
        sums[cell, 5] += release[k] - joined  # RELEASE
        clearance[fill[cell]] = release[k] - arrival[k]
        customs[fill[cell]] = release[k] - declared
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


# --- exact quantiles of unions of sorted pieces ------------------------------------


@njit(cache=True, inline="always")
def _first_at_least(data, lo, hi, x):
    """The first index in [lo, hi) of sorted data whose value is >= x (hi if none).

    A binary search on indices: ``np.searchsorted`` on a slice would allocate a
    view per call, which cost more than the search.
    """
    while lo < hi:
        middle = (lo + hi) >> 1
        if data[middle] < x:
            lo = middle + 1
        else:
            hi = middle
    return lo


@njit(cache=True, inline="always")
def _first_above(data, lo, hi, x):
    """The first index in [lo, hi) of sorted data whose value is > x (hi if none)."""
    while lo < hi:
        middle = (lo + hi) >> 1
        if data[middle] <= x:
            lo = middle + 1
        else:
            hi = middle
    return lo


@njit(cache=True)
def _quantiles(data, segments, chosen, probabilities, out):
    """Quantiles (Hyndman & Fan type 7, NumPy's default) of the union of sorted segments.

    Segment i is ``data[segments[i]:segments[i + 1]]``, sorted; ``chosen`` lists
    the segments of the union. Writes NaN when the union is empty.
    """
    total = 0
    for i in chosen:
        total += segments[i + 1] - segments[i]
    if total == 0:
        return
    for q in range(probabilities.shape[0]):
        position = probabilities[q] * (total - 1)
        below = int(np.floor(position))
        low, ties = _kth_smallest(data, segments, chosen, below)
        if position > below:  # interpolate towards the next order statistic
            high = low if below + 1 < ties else _next_above(data, segments, chosen, low)
            out[q] = low + (high - low) * (position - below)
        else:
            out[q] = low


GATHER = 64
"""Candidates few enough to copy out and sort."""


@njit(cache=True)
def _kth_smallest(data, segments, chosen, k):
    """The k-th smallest (0-based) x of the union of sorted segments, without merging them,
    and how many elements of the union are <= x.

    Each segment keeps a candidate range [lo, hi). A round brackets rank k
    between two pivots, k minus and plus a width (first (candidates) / (2 live
    ranges), then twice the pivots' last miss of their target ranks), and keeps
    only the side that holds rank k: usually the bracket. When both pivots are
    the same value and rank k lies between them, that value is the answer (ties:
    the bracket would otherwise keep every candidate forever). Each pivot is
    the weighted quantile, at its rank's relative level, of each range's
    element at that relative position, so it lands near its rank when the
    ranges are alike, and the bracket shrinks by about the number of ranges
    each round. Once one range is left the answer is indexed; once fewer than
    GATHER candidates (or four per live range) are left they are copied and
    sorted. A round that keeps
    everything (both pivots missed) is followed by one whose pivots are the
    weighted median of the ranges' middles, which always discards a quarter:
    O(log n) rounds of O(m log n) in the worst case (m segments).
    """
    m = chosen.shape[0]
    lo = np.empty(m, dtype=np.int64)
    hi = np.empty(m, dtype=np.int64)
    low_cut = np.empty(m, dtype=np.int64)  # per segment: first candidate >= the low pivot
    high_cut = np.empty(m, dtype=np.int64)  # per segment: first candidate > the high pivot
    remaining = 0
    for i in range(m):
        lo[i] = segments[chosen[i]]
        hi[i] = segments[chosen[i] + 1]
        remaining += hi[i] - lo[i]
    samples = np.empty(m)
    weights = np.empty(m)
    discarded = 0  # candidates dropped below rank k: all <= the answer
    bracket = True
    width = -1
    while remaining > GATHER:
        live, last = 0, 0
        for i in range(m):
            if hi[i] > lo[i]:
                live += 1
                last = i
        if live == 1:  # one sorted range left: the answer is at its k-th place
            value = data[lo[last] + k]
            return value, discarded + _first_above(data, lo[last], hi[last], value) - lo[last]
        if remaining <= 4 * live:  # ranges of a few elements: sorting them is cheaper
            break
        if bracket:
            if width < 0:  # first round: a guess; later: twice the pivots' last miss
                width = max(remaining // (2 * live), 1)
            low_rank = max(k - width, 0)
            high_rank = min(k + width, remaining - 1)
        else:  # the safe round: both pivots the weighted median of the middles
            low_rank = high_rank = remaining // 2
        low = _pivot(data, lo, hi, low_rank, remaining, bracket, samples, weights)
        high = _pivot(data, lo, hi, high_rank, remaining, bracket, samples, weights)
        below = 0  # candidates < low
        upto = 0  # candidates <= high
        for i in range(m):
            low_cut[i] = _first_at_least(data, lo[i], hi[i], low)
            high_cut[i] = _first_above(data, low_cut[i], hi[i], high)
            below += low_cut[i] - lo[i]
            upto += high_cut[i] - lo[i]
        miss = abs(below - low_rank)
        if abs(upto - 1 - high_rank) > miss:
            miss = abs(upto - 1 - high_rank)
        width = max(2 * miss, 1)
        if k < below:  # rank k lies below the low pivot
            for i in range(m):
                hi[i] = low_cut[i]
            kept = below
        elif k >= upto:  # above the high pivot
            for i in range(m):
                lo[i] = high_cut[i]
            k -= upto
            discarded += upto
            kept = remaining - upto
        else:  # between them
            if low == high:  # every candidate left in the bracket is a tie: the answer
                return low, discarded + upto
            for i in range(m):
                lo[i] = low_cut[i]
                hi[i] = high_cut[i]
            k -= below
            discarded += below
            kept = upto - below
        bracket = kept < remaining
        remaining = kept
    gathered = np.empty(remaining)
    n = 0
    for i in range(m):
        for j in range(lo[i], hi[i]):
            gathered[n] = data[j]
            n += 1
    gathered.sort()
    value = gathered[k]
    at_most = discarded
    for j in range(remaining):
        if gathered[j] <= value:
            at_most += 1
    return value, at_most


@njit(cache=True, inline="always")
def _pivot(data, lo, hi, rank, remaining, aimed, samples, weights):
    """A candidate near global rank ``rank``: the weighted quantile of each range's element
    at the rank's relative position (aimed), or of each range's middle (not aimed)."""
    level = (rank + 0.5) / remaining if aimed else 0.5
    n_live = 0
    for i in range(lo.shape[0]):
        size = hi[i] - lo[i]
        if size > 0:
            samples[n_live] = data[lo[i] + int(size * level)]
            weights[n_live] = size
            n_live += 1
    return _weighted_quantile(samples, weights, n_live, level * remaining)


@njit(cache=True, inline="always")
def _weighted_quantile(samples, weights, n, target):
    """The smallest of the first n samples whose weight with that of every smaller sample
    reaches ``target`` (the largest if none does), by quickselect: O(n), where sorting
    the samples cost O(n log n) and an allocation in every round of a union of
    hundreds of cells. Reorders both arrays."""
    first, last = 0, n  # the samples still in question
    below = 0.0  # weight of the samples smaller than all of them
    while last - first > 1:
        pivot = samples[(first + last) >> 1]
        # three-way partition: [first, less) < pivot, [less, more) == pivot, [more, last) >
        less, i, more = first, first, last
        while i < more:
            if samples[i] < pivot:
                samples[less], samples[i] = samples[i], samples[less]
                weights[less], weights[i] = weights[i], weights[less]
                less += 1
                i += 1
            elif samples[i] > pivot:
                more -= 1
                samples[more], samples[i] = samples[i], samples[more]
                weights[more], weights[i] = weights[i], weights[more]
            else:
                i += 1
        w_less = 0.0
        for j in range(first, less):
            w_less += weights[j]
        w_equal = 0.0
        for j in range(less, more):
            w_equal += weights[j]
        if below + w_less >= target:
            last = less
        elif below + w_less + w_equal >= target or more == last:
            return pivot
        else:
            below += w_less + w_equal
            first = more
    return samples[first]


@njit(cache=True)
def _next_above(data, segments, chosen, x):
    """The smallest element of the union of sorted segments that is greater than x."""
    best = np.inf
    for i in chosen:
        a, b = segments[i], segments[i + 1]
        j = _first_above(data, a, b, x)
        if j < b and data[j] < best:
            best = data[j]
    return best
