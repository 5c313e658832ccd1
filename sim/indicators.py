"""Indicators of one replication: the arrangement's common indicators first.

One replication is reduced to a vector of numbers whose meaning is fixed by a
:class:`Layout` (one row per country, port, group, station and metric), so that
replications can be accumulated without keeping their records.

Levels: a port's rows; ``port = "all"`` pools a country's ports; ``country =
"all"`` pools the region. Groups: ``all``, the three trader groups, and
``eligible`` (shipments whose exporter is an AEO of another member, claimed or
not). ``station`` is ``None`` where it does not apply, and ``group`` is
``None`` for station-level metrics (utilisation, overtime).

Only shipments that arrive inside the counted window (after warm-up) count;
station utilisation and overtime count the work done inside that window.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .calendars import open_hours
from .engine_simpy import PortOutcome
from .inputs import PortInputs
from .plan import Plan, PortPlan
from .scenario import CHANNELS, GROUPS

ALL = "all"
ELIGIBLE = "eligible"
SUMMARY_GROUPS = (ALL, *GROUPS, ELIGIBLE)

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

Row = tuple[str, str, str | None, str | None, str]
"""(country, port, group, station, metric)."""


def cost_metric(rate: float) -> str:
    """Metric name of the cost of delay per shipment at an ad-valorem rate per day."""
    return f"delay_cost_usd_{100 * rate:g}pct"


@dataclass(frozen=True)
class Layout:
    """The rows of an indicator vector, and what is constant across replications."""

    rows: tuple[Row, ...]
    index: dict[Row, int]
    capacity_h: dict[tuple[str, str, str], float]  # scheduled server-hours in the window

    @classmethod
    def of(cls, plan: Plan) -> Layout:
        rows: list[Row] = []
        costs = [cost_metric(r) for r in plan.scenario.cost_of_delay.rates_per_day]
        group_metrics = ["clearance_h_mean", "clearance_h_median", "clearance_h_p90",
                         "green_share", "yellow_share", "red_share", "shipments", *costs]  # fmt: skip

        def area(country: str, port: str, stations: Sequence[str]) -> None:
            rows.append((country, port, ALL, None, "utilisation_rate"))
            for group in SUMMARY_GROUPS:
                rows.extend((country, port, group, None, m) for m in group_metrics)
            for station in stations:
                rows.extend((country, port, g, station, "wait_h_mean") for g in SUMMARY_GROUPS)
                rows.append((country, port, None, station, "station_utilisation"))
                rows.append((country, port, None, station, "overtime_h"))

        countries = list(dict.fromkeys(p.country for p in plan.ports))
        for country in countries:
            for port in plan.ports:
                if port.country == country:
                    area(country, port.name, port.stations)
            area(country, ALL, ())
        area(ALL, ALL, ())
        rows = sorted(rows, key=_row_order)
        capacity = {
            (port.country, port.name, station): _capacity(plan, port, s)
            for port in plan.ports
            for s, station in enumerate(port.stations)
        }
        return cls(tuple(rows), {row: i for i, row in enumerate(rows)}, capacity)

    def __len__(self) -> int:
        return len(self.rows)


_METRIC_ORDER = (*HEADLINE, "shipments", "wait_h_mean", "station_utilisation", "overtime_h")


def _row_order(row: Row) -> int:
    """Headline indicators first, then the rest (a stable sort keeps areas and groups in order)."""
    metric = row[4]
    return _METRIC_ORDER.index(metric) if metric in _METRIC_ORDER else len(_METRIC_ORDER)


def _capacity(plan: Plan, port: PortPlan, s: int) -> float:
    """Scheduled server-hours of a station's pools inside the counted window."""
    t0, t1 = plan.window
    total = 0.0
    for p in (2 * s, 2 * s + 1):
        starts, ends = plan.calendars.bounds(int(port.pool_calendar[p]))
        total += port.pool_servers[p] * open_hours(starts, ends, t0, t1)
    return total


@dataclass(frozen=True)
class Counted:
    """The counted shipments of one port, reduced to what indicators need."""

    clearance: np.ndarray
    group: np.ndarray
    eligible: np.ndarray
    claimed: np.ndarray
    channel: np.ndarray
    value_usd: float
    subsets: dict[str, np.ndarray | slice]  # summary group -> selection of shipments


def compute(plan: Plan, layout: Layout, results: Sequence[tuple[PortInputs, PortOutcome]]) -> np.ndarray:
    """The indicator vector of one replication."""
    values: dict[Row, float] = {}
    by_country: dict[str, list[Counted]] = {}
    for port, (inputs, outcome) in zip(plan.ports, results, strict=True):
        counted = _counted(plan, port, inputs, outcome)
        _area(values, port.country, port.name, [counted], plan)
        _stations(values, plan, layout, port, inputs, outcome)
        by_country.setdefault(port.country, []).append(counted)
    for country, parts in by_country.items():
        _area(values, country, ALL, parts, plan)
    _area(values, ALL, ALL, [c for parts in by_country.values() for c in parts], plan)
    vector = np.full(len(layout), np.nan)
    for row, value in values.items():
        vector[layout.index[row]] = value
    return vector


def _counted(plan: Plan, port: PortPlan, inputs: PortInputs, outcome: PortOutcome) -> Counted:
    lo, hi = np.searchsorted(inputs.arrival, plan.window)  # arrivals are sorted
    window = slice(lo, hi)
    group, eligible = inputs.group[window], inputs.eligible[window]
    subsets: dict[str, np.ndarray | slice] = {ALL: slice(None)}
    for g, name in enumerate(GROUPS):
        subsets[name] = group == g
    subsets[ELIGIBLE] = eligible
    return Counted(
        clearance=outcome.release[window] - inputs.arrival[window],
        group=group,
        eligible=eligible,
        claimed=inputs.claimed[window],
        channel=inputs.channel[window],
        value_usd=port.value_usd,
        subsets=subsets,
    )


def _area(values: dict[Row, float], country: str, port: str, parts: list[Counted], plan: Plan) -> None:
    """Group-level indicators of one port, country or the region."""
    def joined(field: str, subset: str) -> np.ndarray:
        return np.concatenate([getattr(c, field)[c.subsets[subset]] for c in parts])

    eligible = sum(int(c.eligible.sum()) for c in parts)
    claimed = sum(int(c.claimed.sum()) for c in parts)
    values[(country, port, ALL, None, "utilisation_rate")] = claimed / eligible if eligible else np.nan
    rates = plan.scenario.cost_of_delay.rates_per_day
    for group in SUMMARY_GROUPS:
        clearance = joined("clearance", group)
        channel = joined("channel", group)
        n = len(clearance)

        def put(metric: str, value: float, group: str = group) -> None:
            values[(country, port, group, None, metric)] = value

        put("shipments", n)
        if n == 0:
            continue
        shares = np.bincount(channel, minlength=len(CHANNELS)) / n
        for name, share in zip(CHANNELS, shares, strict=True):
            put(f"{name}_share", share)
        median, p90 = np.quantile(clearance, (0.5, 0.9))
        put("clearance_h_mean", clearance.mean())
        put("clearance_h_median", median)
        put("clearance_h_p90", p90)
        # cost of delay per shipment: days in clearance x declared value x rate per day
        value_days = sum(float(c.clearance[c.subsets[group]].sum()) * c.value_usd for c in parts) / 24
        for rate in rates:
            put(cost_metric(rate), value_days * rate / n)


def _stations(values: dict[Row, float], plan: Plan, layout: Layout, port: PortPlan,
              inputs: PortInputs, outcome: PortOutcome) -> None:  # fmt: skip
    """Waits per group, utilisation and overtime of each station of a port."""
    t0, t1 = plan.window
    lo, hi = np.searchsorted(inputs.arrival, plan.window)
    joined = _join_times(port, inputs, outcome)
    group = inputs.group[lo:hi]
    eligible = inputs.eligible[lo:hi]
    for s, station in enumerate(port.stations):
        wait = outcome.start[s, lo:hi] - joined[s, lo:hi]
        visited = ~np.isnan(wait)
        for name, subset in (
            (ALL, visited),
            *((g, visited & (group == i)) for i, g in enumerate(GROUPS)),
            (ELIGIBLE, visited & eligible),
        ):
            if subset.any():
                values[(port.country, port.name, name, station, "wait_h_mean")] = wait[subset].mean()
        start, end = outcome.start[s], outcome.end[s]
        busy = np.nansum(np.clip(end, t0, t1) - np.clip(start, t0, t1))
        capacity = layout.capacity_h[(port.country, port.name, station)]
        values[(port.country, port.name, None, station, "station_utilisation")] = (
            busy / capacity if capacity > 0 else np.nan
        )
        in_window = (start >= t0) & (start < t1)
        values[(port.country, port.name, None, station, "overtime_h")] = outcome.overtime[s][in_window].sum()


def _join_times(port: PortPlan, inputs: PortInputs, outcome: PortOutcome) -> np.ndarray:
    """When each shipment joined each station's queue: when ready, or when the previous check ended."""
    ready = np.maximum(outcome.unloaded, inputs.lodgement)
    joined = np.full(outcome.start.shape, np.nan)
    for c in range(len(CHANNELS)):
        on_route = inputs.channel == c
        previous = None
        for step in range(port.route_length[c]):
            s = port.route_station[c, step]
            joined[s, on_route] = ready[on_route] if previous is None else outcome.end[previous, on_route]
            previous = s
    return joined
