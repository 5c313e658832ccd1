"""One port's records as the estimators read them, and what they return.

:func:`port_records` puts a port's rows in arrival order with integer codes and the
milestones its stages are measured between; :class:`Estimate` is one fitted value
as it is written to the scenario; :class:`PortFit` collects a port's estimates
with what the report needs to show how they were made.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.calibrate import estimate as est
from sim.calibrate.simulate import REFITS, StationFit
from sim.calibrate.structure import Cell, PortStructure
from sim.model.schema import Port, Scenario
from sim.model.vocabulary import CHANNELS, GROUPS
from sim.plan.arrays import Calendars, PortPlan

MIN_ROWS = 30
"""Observations a cell needs to be fitted; with fewer it keeps the template's value."""


@dataclass(frozen=True)
class Estimate:
    """A fitted value as written to the scenario, with its interval.

    ``value`` is a number, a list (profiles) or a mapping (a distribution, channel
    probabilities, origin shares); ``low`` and ``high`` have the same shape over its
    numbers (None where a number has no bound of that side, or no interval at all).
    """

    path: str
    value: Any
    low: Any = None
    high: Any = None
    method: str = ""
    n: int = 0
    template: Any = None
    sums_to_one: bool = False  # a probability mapping (channels, origins)


@dataclass
class PortFit:
    """Everything fitted for one port, and what the report needs to show how."""

    country: str
    name: str
    estimates: list[Estimate] = field(default_factory=list)
    statistics: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    times: dict[str, est.TimeFit] = field(default_factory=dict)  # by path
    stations: dict[str, StationFit] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.country}/{self.name}"


@dataclass(frozen=True)
class Observed:
    """One port's records with codes and the milestones the stages are measured between."""

    frame: pd.DataFrame  # sorted by replication, then arrival
    channel: np.ndarray  # int8 codes
    group: np.ndarray
    unloaded: np.ndarray  # NaN where unknown
    lodged: np.ndarray
    ready: np.ndarray
    present: frozenset[str]
    days: tuple[float, float]
    replications: int


@dataclass(frozen=True)
class Context:
    """One port's fit: what its estimators read (template, plan, records, settings) and the
    result they add to."""

    scenario: Scenario
    plan: PortPlan
    calendars: Calendars
    structure: PortStructure
    obs: Observed
    settings: Settings
    result: PortFit

    @property
    def port(self) -> Port:
        return self.scenario.countries[self.plan.country].ports[self.plan.name]

    @property
    def at(self) -> str:
        """The port's ``--set`` path."""
        return f"countries.{self.plan.country}.ports.{self.plan.name}"


@dataclass(frozen=True)
class Settings:
    confidence: float
    seed: int
    workers: int
    refits: int = REFITS


def port_records(
    rows: pd.DataFrame, present: frozenset[str], days: tuple[float, float], structure: PortStructure
) -> Observed:
    frame = rows.sort_values(["replication", "arrival"], kind="stable").reset_index(drop=True)
    channel = frame.channel.map(CHANNELS.index).to_numpy(np.int8)
    group = frame.group.map(GROUPS.index).to_numpy(np.int8)
    arrival = frame.arrival.to_numpy()

    def milestone(column: str, cells: list[Cell]) -> np.ndarray:
        """Recorded, or the arrival where the template gives the row no such stage."""
        if column in present:
            return frame[column].to_numpy()
        covered = np.zeros(len(frame), dtype=bool)
        for cell in cells:
            if cell.current is not None:
                covered |= cell.covers(channel, group)
        return np.where(covered, np.nan, arrival)

    unloaded = milestone("unloaded", structure.unloading)
    lodged = milestone("lodgement", structure.lodgement)
    return Observed(
        frame,
        channel,
        group,
        unloaded,
        lodged,
        np.maximum(unloaded, lodged),
        present,
        days,
        int(frame.replication.nunique()),
    )


# --- times ---------------------------------------------------------------------------


def fit_times(ctx: Context, cells: list[Cell], times: np.ndarray, what: str) -> None:
    """Fit each cell of a stage to its rows' times (NaN times are unknown and skipped)."""
    result, at, obs, s = ctx.result, ctx.at, ctx.obs, ctx.settings
    for cell in cells:
        mine = cell.covers(obs.channel, obs.group) & np.isfinite(times)
        if mine.sum() < MIN_ROWS:
            if cell.current is not None or mine.any():
                result.notes.append(
                    f"{result.key}: {cell.path} kept: {int(mine.sum())} records of {what} "
                    f"(under {MIN_ROWS})"
                )
            continue
        seed = s.seed + len(result.times)
        fitted = est.fit_time(times[mine], s.confidence, seed)
        result.times[f"{at}.{cell.path}"] = fitted
        result.estimates.append(time_estimate(f"{at}.{cell.path}", fitted, cell))


def time_estimate(path: str, fitted: est.TimeFit, cell: Cell) -> Estimate:
    value: dict[str, Any] = fitted.distribution()
    low: dict[str, Any] = {"mean": fitted.mean_interval[0]}
    high: dict[str, Any] = {"mean": fitted.mean_interval[1]}
    if fitted.cv_interval is not None:
        low["cv"], high["cv"] = fitted.cv_interval
    if cell.calendar is not None:
        value["calendar"] = cell.calendar
    template = cell.current.model_dump(by_alias=True) if cell.current is not None else None
    method = f"{fitted.family} by AIC; maximum likelihood, bootstrap intervals"
    return Estimate(path, value, low, high, method, fitted.n, template)


def redraw(estimate: Estimate, rng: np.random.Generator) -> Any:
    """The value redrawn within its interval: normal on each side of the estimate with the
    side's half-width over 1.96 (a 95% interval), kept valid (positive, shares in [0, 1]
    summing to one, servers whole); a value with no interval, or none on one side, stays."""

    def one(value: Any, low: Any, high: Any) -> Any:
        if isinstance(value, Mapping):
            out = {k: one(v, _at(low, k), _at(high, k)) for k, v in value.items()}
            if estimate.sums_to_one:
                total = sum(out.values())
                out = {k: v / total for k, v in out.items()}
            return out
        if isinstance(value, list):
            return [one(v, _at(low, i), _at(high, i)) for i, v in enumerate(value)]
        if isinstance(value, str) or low is None or high is None:
            return value
        z = rng.standard_normal()
        drawn = value + z * ((value - low) if z < 0 else (high - value)) / 1.96
        if isinstance(value, int):
            return max(1, round(drawn))
        if estimate.sums_to_one or "share" in estimate.path:
            return min(max(drawn, 0.0), 1.0)
        return drawn if drawn > 0 else value

    return one(estimate.value, estimate.low, estimate.high)


def _at(bound: Any, key: Any) -> Any:
    if bound is None:
        return None
    if isinstance(bound, Mapping):
        return bound.get(key)
    return bound[key]
