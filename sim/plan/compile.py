"""A scenario compiled to flat arrays (:mod:`sim.plan.arrays`): built once per run.

Each port's counted window starts after the scenario's warm-up, or, when the scenario
gives none, after the warm-up the port's own lags and loads need
(:func:`sim.plan.expect.warmup_needed_days`); its arrivals then go on for a drain
period after the window (:func:`sim.plan.expect.drain_h`).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from sim import streams
from sim.model.calendars import WEEK, weekly_intervals
from sim.model.distributions import (
    Deterministic,
    Empirical,
    Exponential,
    Gamma,
    Lognormal,
    Triangular,
    Uniform,
    _Distribution,
)
from sim.model.schema import Arrangement, Delay, Port, Scenario, per_channel, per_group
from sim.model.vocabulary import CHANNELS, GROUPS
from sim.plan.arrays import (
    ALWAYS_OPEN,
    GENERAL,
    RESERVED,
    Bank,
    Calendars,
    Plan,
    PortPlan,
    StageDists,
    pool_index,
)
from sim.plan.control import ControlPlan, compile_control
from sim.plan.expect import drain_h, warmup_needed_days


def encode(dists: list[_Distribution]) -> Bank:
    """Encode distributions as the compiled sampler reads them.

    Parameters: exponential (mean); lognormal (mu, sigma) of the underlying
    normal; gamma (shape, scale); deterministic (value); uniform (low, high);
    triangular (low, mode, high). Empirical values and quantile tables go to the
    tables, each distribution's rows ``table_lo:table_hi``.
    """
    kinds = np.zeros(len(dists), dtype=np.int64)
    params = np.zeros((len(dists), 3))
    table_lo = np.zeros(len(dists), dtype=np.int64)
    table_hi = np.zeros(len(dists), dtype=np.int64)
    xs: list[float] = []
    ps: list[float] = []
    for d, dist in enumerate(dists):
        kind, values, table = _encoding(dist)
        kinds[d] = kind
        params[d, : len(values)] = values
        table_lo[d] = len(xs)
        for x, p in table:
            xs.append(x)
            ps.append(p)
        table_hi[d] = len(xs)
    return kinds, params, table_lo, table_hi, np.array(xs, dtype=float), np.array(ps, dtype=float)


def _encoding(dist: _Distribution) -> tuple[int, tuple[float, ...], list[tuple[float, float]]]:
    if isinstance(dist, Exponential):
        return streams.EXPONENTIAL, (dist.mean,), []
    if isinstance(dist, Lognormal):
        sigma2 = math.log1p(dist.cv**2)
        return streams.LOGNORMAL, (math.log(dist.mean) - sigma2 / 2, math.sqrt(sigma2)), []
    if isinstance(dist, Gamma):
        return streams.GAMMA, (1.0 / dist.cv**2, dist.mean * dist.cv**2), []
    if isinstance(dist, Deterministic):
        return streams.DETERMINISTIC, (dist.value,), []
    if isinstance(dist, Uniform):
        return streams.UNIFORM, (dist.low, dist.high), []
    if isinstance(dist, Triangular):
        return streams.TRIANGULAR, (dist.low, dist.mode, dist.high), []
    if isinstance(dist, Empirical) and dist.values is not None:
        return streams.VALUES, (), [(float(x), math.nan) for x in dist.values]
    if isinstance(dist, Empirical) and dist.quantiles is not None:
        return streams.QUANTILES, (), [(float(x), float(p)) for p, x in dist.quantiles.items()]
    raise TypeError(f"no encoding for {type(dist).__name__}")


def compile_plan(scenario: Scenario) -> Plan:
    """Flatten a validated scenario into arrays."""
    calendars = _compile_calendars(scenario)
    ports = tuple(
        _compile_port(scenario, calendars, country, name, port)
        for country, name, port in scenario.ports
    )
    return Plan(scenario, calendars, tuple(_counted(scenario, calendars, p) for p in ports))


def _counted(scenario: Scenario, calendars: Calendars, port: PortPlan) -> PortPlan:
    """The port with its counted window: after the scenario's warm-up, or, when it gives
    none, the warm-up this port's lags and loads need (ports do not interact, so each
    fills in its own time, and a port's numbers do not depend on the others')."""
    warmup = scenario.warmup_days
    if warmup is None:
        warmup = warmup_needed_days(calendars, port)
    counted = replace(port, window=(24.0 * warmup, 24.0 * (warmup + scenario.horizon_days)))
    return replace(counted, drain_h=drain_h(calendars, counted))


def _compile_calendars(scenario: Scenario) -> Calendars:
    names, blocks = [], []
    for name, calendar in scenario.calendars.items():
        names.append(name)
        blocks.append(weekly_intervals(calendar.day_names, calendar.hour_ranges))
    offsets = np.cumsum([0] + [len(b) for b in blocks]).astype(np.int64)
    stacked = np.concatenate(blocks) if blocks else np.empty((0, 2))
    starts = np.ascontiguousarray(stacked[:, 0], dtype=np.float64)
    ends = np.ascontiguousarray(stacked[:, 1], dtype=np.float64)
    return Calendars(tuple(names), starts, ends, offsets)


def _hourly_rate(port: Port) -> np.ndarray:
    """Arrival epochs per hour of the week, averaging ``per_day / 24`` (per batch if batched)."""
    arrivals = port.arrivals
    weekly = np.asarray(arrivals.weekly_profile or [1.0] * 7, dtype=float)
    hourly = np.asarray(arrivals.hourly_profile or [1.0] * 24, dtype=float)
    shape = np.outer(weekly / weekly.mean(), hourly / hourly.mean()).ravel()
    per_epoch = arrivals.batch_size.mean if arrivals.batch_size is not None else 1.0
    rate = arrivals.per_day / 24.0 / per_epoch * shape
    assert rate.shape == (int(WEEK),)
    return rate


def _compile_port(
    scenario: Scenario, calendars: Calendars, country: str, name: str, port: Port
) -> PortPlan:
    arrangement = scenario.arrangement
    members = set(arrangement.members)
    origins = tuple(port.origins)

    def exporter_share(origin: str) -> float:
        if origin not in members or origin == country:
            return 0.0
        exporter = scenario.countries.get(origin)
        return exporter.aeo_exporter_share if exporter is not None else 0.0

    channels = port.channels.resolved()
    channel_cumulative = np.array([[c.green, c.green + c.yellow] for c in channels])
    stations = tuple(port.stations)
    routes = [[stations.index(s) for s in route] for route in port.routes.by_channel()]
    width = max(1, *(len(r) for r in routes))
    route_station = np.full((len(CHANNELS), width), -1, dtype=np.int64)
    for c, route in enumerate(routes):
        route_station[c, : len(route)] = route

    n_pools = pool_index(len(stations), GENERAL)
    pool_servers = np.zeros(n_pools, dtype=np.int64)
    pool_calendar = np.full(n_pools, ALWAYS_OPEN, dtype=np.int64)
    pool_serves = np.zeros((n_pools, len(GROUPS)), dtype=np.bool_)
    priority = np.zeros((len(stations), len(GROUPS)), dtype=np.int64)
    for s, station in enumerate(port.stations.values()):
        general, reserved = pool_index(s, GENERAL), pool_index(s, RESERVED)
        pool_servers[general] = station.servers
        pool_calendar[general] = calendars.index(station.calendar)
        pool_serves[general, :] = True
        if station.reserved is not None:
            pool_servers[reserved] = station.reserved.servers
            pool_calendar[reserved] = calendars.index(station.reserved.calendar)
            for group in station.reserved.groups:
                pool_serves[reserved, GROUPS.index(group)] = True
        if station.priority is not None:
            priority[s, :] = station.priority.resolved()

    lodgement = port.lodgement
    if lodgement is None:
        lag, lead, lodgement_calendar_name = None, None, None
    else:
        lag, lead = lodgement.delay_h, lodgement.lead_h or lodgement.delay_h
        lodgement_calendar_name = lodgement.calendar
    lodgement_delay, lag_calendar = _stage(calendars, lag, lodgement_calendar_name)
    lodgement_lead, lead_calendar = _stage(calendars, lead, lodgement_calendar_name)
    lodgement_calendar = np.maximum(lag_calendar, lead_calendar)  # either time: the calendar
    unloading, unloading_calendar = _stage(calendars, *_delay(port.delays.unloading_h))
    release, release_calendar = _stage(calendars, *_delay(port.delays.release_h))
    service = tuple(per_group(st.service_h) for st in port.stations.values())
    distinct: list[_Distribution] = []

    def index(dist: _Distribution | None) -> int:
        if dist is None:
            return -1
        if dist not in distinct:
            distinct.append(dist)
        return distinct.index(dist)

    def cells(stage: StageDists | None) -> list[int]:
        """The distribution of each (channel, group) cell, cell = 3 * channel + group."""
        by_channel = stage or (None, None, None)
        return [
            index(None if dists is None else dists[g]) for dists in by_channel for g in range(3)
        ]

    stage_dist = np.array(
        [cells(lodgement_delay), cells(unloading), cells(release), cells(lodgement_lead)],
        dtype=np.int64,
    )
    service_dist = np.array(
        [[index(groups[g]) for g in range(3)] for groups in service], dtype=np.int64
    ).reshape(len(service), 3)
    batch_dist = index(port.arrivals.batch_size)
    control, channel_expected = _control(
        port, arrangement, exporter_share, channel_cumulative, index
    )
    return PortPlan(
        country=country,
        name=name,
        mode=port.mode,
        stream_key=zlib.crc32(f"{country}/{name}".encode()),
        stations=stations,
        hourly_rate=_hourly_rate(port),
        batch_size=port.arrivals.batch_size,
        origins=origins,
        origin_cumulative=np.cumsum([port.origins[o] for o in origins]),
        eligible_share=np.array([exporter_share(o) for o in origins]),
        national_aeo_share=port.national_aeo_share,
        claim_probability=arrangement.claim_probability,
        recognised_first=arrangement.precedence == "recognised_aeo",
        channel_cumulative=channel_expected,
        pre_arrival_share=np.array(
            lodgement.pre_arrival_share.resolved() if lodgement else (0.0,) * 3
        ),
        lodgement_delay=lodgement_delay,
        lodgement_lead=lodgement_lead,
        unloading=unloading,
        release=release,
        service=service,
        value_usd=port.value_usd,
        bank=encode(distinct),
        stage_dist=stage_dist,
        service_dist=service_dist,
        batch_dist=batch_dist,
        station_keys=np.array([zlib.crc32(st.encode()) for st in stations], dtype=np.int64),
        lodgement_calendar=lodgement_calendar,
        unloading_calendar=unloading_calendar,
        release_calendar=release_calendar,
        route_length=np.array([len(r) for r in routes], dtype=np.int64),
        route_station=route_station,
        pool_servers=pool_servers,
        pool_calendar=pool_calendar,
        pool_serves=pool_serves,
        priority=priority,
        control=control,
    )


def _control(
    port: Port,
    arrangement: Arrangement,
    exporter_share: Callable[[str], float],
    channel_cumulative: np.ndarray,
    index: Callable[[_Distribution | None], int],
) -> tuple[ControlPlan | None, np.ndarray]:
    """The port's control side, and its groups' expected channel cumulatives (the
    scenario's, unless its targeting moves the standard group's)."""
    control = port.control
    if control is None:
        return None, channel_cumulative
    eligible = sum(share * exporter_share(o) for o, share in port.origins.items())
    batch = port.arrivals.batch_size
    per_epoch = batch.mean if batch is not None else 1.0
    stake = control.stake if control.stake_share is None else None
    return compile_control(
        control,
        tuple(port.stations),
        eligible,
        port.national_aeo_share,
        arrangement.claim_probability,
        arrangement.precedence == "recognised_aeo",
        channel_cumulative,
        _hourly_rate(port) * per_epoch,
        index(stake),  # type: ignore[arg-type]
    )


def _delay(delay: Delay | None) -> tuple[Any, str | None]:
    return (None, None) if delay is None else (delay.time, delay.calendar)


def _stage(
    calendars: Calendars, time: Any, calendar: str | None
) -> tuple[StageDists | None, np.ndarray]:
    """A stage's distributions per channel and group, and its calendar per channel.

    A channel without the stage gets no calendar either: it neither waits nor
    waits for the calendar to open.
    """
    if time is None:
        return None, np.full(len(CHANNELS), ALWAYS_OPEN, dtype=np.int64)
    dists = per_channel(time)
    index = calendars.index(calendar)
    return dists, np.array([ALWAYS_OPEN if d is None else index for d in dists], dtype=np.int64)
