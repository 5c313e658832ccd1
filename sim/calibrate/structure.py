"""What the template says once, and so what is fitted once: a stage time's cells.

The template holds the structure the analyst knows. A stage time given as one
distribution is one value for every channel and trader group; given per group or
per channel, it is one value per key, and each key covers the channels and groups
that read it under the schema's defaulting rule (a missing ``recognised_aeo``
reads ``national_aeo``, a missing ``national_aeo`` reads ``standard``). The
records fill each cell with the shipments it covers, so a fitted scenario keeps
its template's shape, and a value the template shares stays shared.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.model.schema import GroupShares, Port, TimeByChannel, TimeByGroup
from sim.model.vocabulary import CHANNELS, GROUPS

ALL_CHANNELS = tuple(range(len(CHANNELS)))
ALL_GROUPS = tuple(range(len(GROUPS)))


@dataclass(frozen=True)
class Cell:
    """One value of the template: its path within the port and the shipments it covers."""

    path: str  # relative to the port, e.g. "delays.release_h.red.standard"
    channels: tuple[int, ...]
    groups: tuple[int, ...]
    current: Any  # the template's value (a distribution, or a share)
    calendar: str | None = None  # a delay's calendar, written beside a lone distribution

    def covers(self, channel: np.ndarray, group: np.ndarray) -> np.ndarray:
        """Which shipments (channel and group codes) this cell covers."""
        return np.isin(channel, self.channels) & np.isin(group, self.groups)


def group_keys(given: set[str]) -> dict[str, tuple[int, ...]]:
    """Each given group key and the groups that read it (``standard`` reads for itself
    and for any group with no key of its own that falls back to it)."""

    def source(group: str) -> str:
        if group in given or group == "standard":
            return group
        return source("national_aeo" if group == "recognised_aeo" else "standard")

    keys: dict[str, list[int]] = {}
    for g, group in enumerate(GROUPS):
        keys.setdefault(source(group), []).append(g)
    return {key: tuple(groups) for key, groups in keys.items()}


def time_cells(path: str, spec: Any, calendar: str | None = None) -> list[Cell]:
    """The cells of a stage time (one distribution, per group, or per channel)."""
    if spec is None:
        return []
    if isinstance(spec, TimeByChannel):
        cells = []
        for c, channel in enumerate(CHANNELS):
            inner = getattr(spec, channel)
            cells += [
                Cell(cell.path, (c,), cell.groups, cell.current)
                for cell in time_cells(f"{path}.{channel}", inner)
            ]
        return cells
    if isinstance(spec, TimeByGroup):
        given = {g for g in GROUPS if getattr(spec, g) is not None}
        return [
            Cell(f"{path}.{key}", ALL_CHANNELS, groups, getattr(spec, key))
            for key, groups in group_keys(given).items()
        ]
    return [Cell(path, ALL_CHANNELS, ALL_GROUPS, spec, calendar)]


def share_cells(path: str, shares: GroupShares | None) -> list[Cell]:
    """The cells of a per-group share (no key given: one share for every group)."""
    given = set() if shares is None else {g for g in GROUPS if getattr(shares, g) is not None}
    resolved = shares.resolved() if shares is not None else (0.0, 0.0, 0.0)
    return [
        Cell(f"{path}.{key}", ALL_CHANNELS, groups, resolved[groups[0]])
        for key, groups in group_keys(given).items()
    ]


@dataclass(frozen=True)
class PortStructure:
    """Every fittable stage of a port, as cells."""

    lodgement: list[Cell]
    pre_arrival: list[Cell]
    lodgement_calendar: str | None
    unloading: list[Cell]
    unloading_calendar: str | None
    release: list[Cell]
    release_calendar: str | None
    service: dict[str, list[Cell]]


def port_structure(port: Port) -> PortStructure:
    """The cells of a port's stages; a stage the template lacks gets one cell for everyone."""
    lodgement = port.lodgement
    delays = port.delays

    def delay(name: str) -> tuple[list[Cell], str | None]:
        spec = getattr(delays, name)
        if spec is None:
            return [Cell(f"delays.{name}", ALL_CHANNELS, ALL_GROUPS, None)], None
        return time_cells(f"delays.{name}", spec.time, spec.calendar), spec.calendar

    unloading, unloading_calendar = delay("unloading_h")
    release, release_calendar = delay("release_h")
    return PortStructure(
        lodgement=time_cells("lodgement.delay_h", lodgement.delay_h)
        if lodgement
        else [Cell("lodgement.delay_h", ALL_CHANNELS, ALL_GROUPS, None)],
        pre_arrival=share_cells(
            "lodgement.pre_arrival_share", lodgement.pre_arrival_share if lodgement else None
        ),
        lodgement_calendar=lodgement.calendar if lodgement else None,
        unloading=unloading,
        unloading_calendar=unloading_calendar,
        release=release,
        release_calendar=release_calendar,
        service={
            name: time_cells(f"stations.{name}.service_h", station.service_h)
            for name, station in port.stations.items()
        },
    )
