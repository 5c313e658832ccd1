"""What one replication's indicator vector means: a row per country, mode, port, group,
station and metric (:class:`Layout`), the metric names, and the headline order.

Indicators of one replication: the arrangement's common indicators first, then the stages.

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

"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from sim.model.calendars import WEEK, open_hours
from sim.model.schema import Scenario
from sim.model.vocabulary import (
    ALL,
    CHANNELS,
    SUMMARY_GROUPS,
)
from sim.plan.arrays import GENERAL, RESERVED, Plan, PortPlan, pool_index

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
CELLS_OF: list[tuple[int, ...]] = [tuple(np.flatnonzero(row).tolist()) for row in GROUP_CELLS]

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


ROW_KEYS: tuple[str, ...] = Row._fields
"""What names a row of an indicator vector: its levels and its metric."""


def cost_metric(rate: float) -> str:
    """Metric name of the cost of delay per shipment at an ad-valorem rate per day."""
    return f"delay_cost_usd_{100 * rate:g}pct"


CONTROL = (
    "checks",
    "infractions",
    "detections",
    "hit_rate",
    "detection_rate",
    "missed",
    "revenue_at_risk_usd",
    "detections_per_officer_h",
)
"""The control side (:mod:`sim.model.control`), of areas whose every port has one: checks
made (yellow or red), infractions carried, infractions found, hit rate (found / checks),
detection rate (found / carried), missed (carried - found), revenue at risk (the stake of
those missed, USD; where every port has a stake) and detections per officer-hour of checks."""
REVENUE_AT_RISK = "revenue_at_risk_usd"
CHECKS_N, INFRACTIONS_N, DETECTIONS_N, STAKE_MISSED, OFFICER_H = range(5)
N_CONTROL_SUMS = 5
"""Control sums kept per cell, in this order."""


def area_metrics(rates: Sequence[float], control: bool = False) -> list[str]:
    """Metrics of every area and group, in the order :func:`compute` fills them (the
    control side's last, for a plan with one)."""
    return [
        *(f"{c}_share" for c in CHANNELS),
        "clearance_h_mean",
        "clearance_h_median",
        "clearance_h_p90",
        *CUSTOMS,
        *STAGES,
        "shipments",
        *(cost_metric(r) for r in rates),
        *(CONTROL if control else ()),
    ]


def has_control(plan: Plan) -> bool:
    """Whether any port of a plan has a control side (its areas then report it)."""
    return any(port.control is not None for port in plan.ports)


WEEK_METRIC = "customs_h_mean_week"
"""The customs time of a port's shipments by week of arrival, warm-up included (metric
``customs_h_mean_week00``, ``..._week01``, ...): the series the warm-up is checked on."""


def week_metric(week: int) -> str:
    return f"{WEEK_METRIC}{week:02d}"


def weeks_simulated(port: PortPlan) -> int:
    """Weeks of arrivals up to the end of a port's window, the warm-up included."""
    return math.ceil(port.window[1] / WEEK)


STATION_GROUP_METRICS = ("wait_h_mean", "service_h_mean", "shipments")
POOL_METRICS = ("general_utilisation", "reserved_utilisation")


def metric_names(scenario: Scenario) -> list[str]:
    """Every metric a scenario's results can hold, areas' first, then stations', then the
    customs time by week of arrival."""
    from sim.plan.compile import compile_plan  # (the weeks follow each port's warm-up)

    rates = scenario.cost_of_delay.rates_per_day
    weeks = max((weeks_simulated(port) for port in compile_plan(scenario).ports), default=0)
    control = any(port.control is not None for _, _, port in scenario.ports)
    return [
        "utilisation_rate",
        *area_metrics(rates, control),
        *STATION_GROUP_METRICS,
        *POOL_METRICS,
        "overtime_h",
        *(week_metric(w) for w in range(weeks)),
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
    week_rows: tuple[np.ndarray, ...] = ()  # each port's rows of customs time by arrival week

    @classmethod
    def of(cls, plan: Plan) -> Layout:
        rates = plan.scenario.cost_of_delay.rates_per_day
        metrics = area_metrics(rates, has_control(plan))
        areas = _areas(plan)
        costs = {cost_metric(r) for r in rates}
        valued = {i for i, port in enumerate(plan.ports) if port.value_usd is not None}
        rows: list[Row] = []
        for area in areas:
            rows.append(Row(area.country, area.mode, area.port, ALL, None, "utilisation_rate"))
            # the cost of delay only where every port of the area declares its value
            priced = valued.issuperset(area.ports)
            here = metrics if priced else [m for m in metrics if m not in costs]
            here = [m for m in here if m not in CONTROL or _controlled(plan, area, m)]
            for group in SUMMARY_GROUPS:
                rows.extend(Row(area.country, area.mode, area.port, group, None, m) for m in here)
        for port in plan.ports:
            for s, station in enumerate(port.stations):
                where = (port.country, port.mode, port.name)
                for group in SUMMARY_GROUPS:
                    rows.extend(Row(*where, group, station, m) for m in STATION_GROUP_METRICS)
                rows.append(Row(*where, None, station, "general_utilisation"))
                if port.pool_servers[pool_index(s, RESERVED)] > 0:
                    rows.append(Row(*where, None, station, "reserved_utilisation"))
                rows.append(Row(*where, None, station, "overtime_h"))
        for port in plan.ports:
            where = (port.country, port.mode, port.name)
            rows.extend(
                Row(*where, ALL, None, week_metric(w)) for w in range(weeks_simulated(port))
            )
        rows.sort(key=_row_order)
        index: dict[tuple[object, ...], int] = {row: i for i, row in enumerate(rows)}

        def at(*key: object) -> int:
            return index.get(key, -1)

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
        week_rows = tuple(
            np.array(
                [
                    at(port.country, port.mode, port.name, ALL, None, week_metric(w))
                    for w in range(weeks_simulated(port))
                ],
                dtype=np.intp,
            )
            for port in plan.ports
        )
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
            week_rows,
        )

    def __len__(self) -> int:
        return len(self.rows)

    @classmethod
    def union(cls, layouts: Sequence[Layout]) -> Layout:
        """Rows of several layouts: the first one's, then any the others add (no fill maps)."""
        rows = list(dict.fromkeys(row for layout in layouts for row in layout.rows))
        return cls(tuple(rows), {row: i for i, row in enumerate(rows)})


def _controlled(plan: Plan, area: Area, metric: str) -> bool:
    """Whether an area reports a control metric: every port has a control side (and, for
    the revenue at risk, a stake)."""
    controls = [plan.ports[p].control for p in area.ports]
    if metric == REVENUE_AT_RISK:
        return all(c is not None and c.has_stake for c in controls)
    return all(c is not None for c in controls)


def _no_stations(*shape: int, dtype: type = np.intp) -> np.ndarray:
    return np.empty((0, *shape), dtype=dtype)


_METRIC_ORDER = (
    *HEADLINE,
    *CUSTOMS,
    *STAGES,
    "shipments",
    *CONTROL,
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
    t0, t1 = port.window
    capacity = np.zeros((len(port.stations), 2))
    for s in range(len(port.stations)):
        for kind in (GENERAL, RESERVED):
            p = pool_index(s, kind)
            starts, ends = plan.calendars.bounds(int(port.pool_calendar[p]))
            capacity[s, kind] = port.pool_servers[p] * open_hours(starts, ends, t0, t1)
    return capacity
