"""What a compiled scenario is: flat arrays that the input sampler and both engines read.

Everything the engines need about a port's queueing network (stations, server
pools, calendars, routes, priorities) is a small integer or float array, so the
numba engine gets no Python objects and the SimPy engine reads exactly the same
numbers. :mod:`sim.plan.compile` builds these from a scenario.

Server pools: station ``s`` has two, its general servers and its reserved servers
(possibly none), numbered by :func:`pool_index` and read back by :func:`station_of_pool`
and :func:`kind_of_pool`; nothing else writes the numbering out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.model.distributions import (
    _Distribution,
)
from sim.model.schema import Scenario
from sim.plan.control import ControlPlan

ALWAYS_OPEN = -1
"""Calendar index meaning *no calendar*: always open, never overtime."""


GroupDists = tuple[_Distribution, _Distribution, _Distribution]


StageDists = tuple[GroupDists | None, GroupDists | None, GroupDists | None]
"""A stage's time per channel (green, yellow, red), each per trader group; None: no time."""


@dataclass(frozen=True)
class Calendars:
    """Every calendar of a scenario, concatenated: calendar c is rows offsets[c]:offsets[c+1]."""

    names: tuple[str, ...]
    starts: np.ndarray
    ends: np.ndarray
    offsets: np.ndarray

    def index(self, name: str | None) -> int:
        """The calendar's index; ALWAYS_OPEN for none or for one open all week."""
        if name is None:
            return ALWAYS_OPEN
        c = self.names.index(name)
        return ALWAYS_OPEN if self.offsets[c] == self.offsets[c + 1] else c

    def span(self, index: int) -> tuple[int, int]:
        """(first row, number of weekly intervals) of one calendar; (0, 0) for ALWAYS_OPEN."""
        if index == ALWAYS_OPEN:
            return 0, 0
        lo, hi = int(self.offsets[index]), int(self.offsets[index + 1])
        return lo, hi - lo

    def bounds(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """(starts, ends) of one calendar; empty arrays for ALWAYS_OPEN."""
        if index == ALWAYS_OPEN:
            return self.starts[:0], self.ends[:0]
        lo, hi = self.offsets[index], self.offsets[index + 1]
        return self.starts[lo:hi], self.ends[lo:hi]


Bank = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]
"""A port's distinct distributions, encoded for compiled sampling (``sim.streams.variate``):
(kinds, params (d, 3), table_lo, table_hi, table_x, table_p)."""


GENERAL, RESERVED = 0, 1
"""The kinds of server pool of a station: its general servers, and those it reserves for
some trader groups."""


def pool_index(station: int, kind: int) -> int:
    """The number of a station's pool of a kind (:data:`GENERAL` or :data:`RESERVED`) in a
    port's pool arrays: the two pools of a station sit side by side."""
    return 2 * station + kind


def station_of_pool(pool: int) -> int:
    """The station a pool belongs to (the inverse of :func:`pool_index`)."""
    return pool // 2


def kind_of_pool(pool: int) -> int:
    """Whether a pool is its station's general or reserved one."""
    return pool - 2 * (pool // 2)


@dataclass(frozen=True)
class PortPlan:
    """One port: its sampling parameters and its queueing network as arrays."""

    country: str
    name: str
    mode: str
    stream_key: int  # crc32 of "country/port": random streams follow the port, not its position
    stations: tuple[str, ...]
    # arrivals
    hourly_rate: np.ndarray  # (168,) arrival epochs (shipments or vessels) per hour of the week
    batch_size: _Distribution | None
    # shipment attributes
    origins: tuple[str, ...]
    origin_cumulative: np.ndarray  # (n_origins,) cumulative shares
    eligible_share: np.ndarray  # (n_origins,) P(exporter is an AEO of another member)
    national_aeo_share: float
    claim_probability: float  # utilisation if the arrangement is in force, else 0
    recognised_first: bool  # precedence when both AEO conditions hold
    channel_cumulative: np.ndarray  # (3 groups, 2): P(green), P(green or yellow)
    pre_arrival_share: np.ndarray  # (3 groups,)
    lodgement_delay: StageDists | None  # after arrival
    lodgement_lead: StageDists | None  # before arrival, for advance declarations
    unloading: StageDists | None
    release: StageDists | None
    service: tuple[GroupDists, ...]  # per station
    value_usd: float | None  # declared value per shipment; None: no cost of delay
    # the same distributions encoded for the compiled sampler: indices into ``bank``, -1 none
    bank: Bank
    stage_dist: (
        np.ndarray
    )  # (3 stages: lodgement, unloading, release; 9 cells: 3 * channel + group)
    service_dist: np.ndarray  # (n_stations, 3 groups)
    batch_dist: int
    station_keys: np.ndarray  # (n_stations,) crc32 of each station's name: its service stream
    # calendars of the delays, per channel (ALWAYS_OPEN where a channel has no such delay)
    lodgement_calendar: np.ndarray  # (3 channels,)
    unloading_calendar: np.ndarray  # (3 channels,)
    release_calendar: np.ndarray  # (3 channels,)
    # queueing network
    route_length: np.ndarray  # (3 channels,)
    route_station: np.ndarray  # (3 channels, max route length)
    pool_servers: np.ndarray  # (2 * n_stations,)
    pool_calendar: np.ndarray  # (2 * n_stations,)
    pool_serves: np.ndarray  # (2 * n_stations, 3 groups) bool
    priority: np.ndarray  # (n_stations, 3 groups) lower is served first
    # counted arrivals [start, end) in hours: after the port's warm-up, for the horizon
    window: tuple[float, float] = (0.0, 0.0)
    # uncounted arrivals go on this long after the window (sim.engine.drain)
    drain_h: float = 0.0
    # the control side (sim.plan.control); None: no infraction drawn, no control indicator
    control: ControlPlan | None = None

    @property
    def key(self) -> str:
        return f"{self.country}/{self.name}"

    def pools(self, station: int) -> tuple[int, int]:
        """The (general, reserved) pool numbers of a station."""
        return pool_index(station, GENERAL), pool_index(station, RESERVED)


@dataclass(frozen=True)
class Plan:
    """A compiled scenario."""

    scenario: Scenario
    calendars: Calendars
    ports: tuple[PortPlan, ...]

    @property
    def warmup_derived(self) -> bool:
        """Whether each port's warm-up was derived from the plan (the scenario gives none)."""
        return self.scenario.warmup_days is None

    def warmup_days(self) -> dict[str, float]:
        """Each port's warm-up in force, by its key (country/port)."""
        return {port.key: port.window[0] / 24.0 for port in self.ports}
