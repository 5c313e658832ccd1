"""Fit one port to its records: which estimator for which field of the scenario.

Each field is estimated from what the records show (see :mod:`.estimate` and
:mod:`.simulate`) in the cells the template gives (:mod:`.structure`); a field
the records cannot inform keeps the template's value, and a note says why. Every
estimate carries the scenario path it is written to, the template's value there,
its interval at the stated confidence and the number of observations it rests on.

Milestones the records lack are known when the template has no such stage (no
unloading delay: goods are available on arrival; no lodgement: lodged on arrival)
and unknown otherwise; stages measured from an unknown milestone are not fitted.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from sim.calibrate import estimate as est
from sim.calibrate import simulate as sim_fit
from sim.calibrate.control import fit_control
from sim.calibrate.lodgement import fit_lodgement
from sim.calibrate.port import (
    MIN_ROWS,
    Context,
    Estimate,
    Observed,
    PortFit,
    Settings,
    fit_times,
    port_records,
)
from sim.calibrate.structure import group_keys, port_structure
from sim.model.schema import Port, Scenario
from sim.model.vocabulary import CHANNELS, GROUPS
from sim.plan.arrays import Calendars, PortPlan

WEEK_DAYS = 7


def fit_port(
    scenario: Scenario,
    plan: PortPlan,
    calendars: Calendars,
    rows: pd.DataFrame,
    present: frozenset[str],
    days: tuple[float, float],
    settings: Settings,
) -> PortFit:
    """Estimate every field of one port that its records inform."""
    structure = port_structure(scenario.countries[plan.country].ports[plan.name])
    observed = port_records(rows, present, days, structure)
    result = PortFit(plan.country, plan.name)
    ctx = Context(scenario, plan, calendars, structure, observed, settings, result)
    _arrivals(ctx)
    _attributes(ctx)
    if "lodgement" in present:
        fit_lodgement(ctx)
    _unloading(ctx)
    _release(ctx)
    for name in ctx.port.stations:
        _station(ctx, name)
    fit_control(ctx)  # prevalence and detection, where the records carry outcomes
    return result


# --- arrivals and shipment attributes -------------------------------------------------


def _arrivals(ctx: Context) -> None:
    """Rate and weekly and hourly profiles: Poisson counts over the period's days."""
    result, at, port, obs, s = ctx.result, ctx.at, ctx.port, ctx.obs, ctx.settings
    arrival = obs.frame.arrival.to_numpy()
    n = len(arrival)
    first, last = obs.days
    day_numbers = np.arange(first, last)
    exposure = np.bincount((day_numbers % WEEK_DAYS).astype(int), minlength=WEEK_DAYS)
    exposure = exposure * obs.replications
    weekday = (np.floor(arrival / 24) % WEEK_DAYS).astype(int)
    by_weekday = np.bincount(weekday, minlength=WEEK_DAYS)
    template = port.arrivals
    fitted_week = bool(exposure.min() >= 2)
    if fitted_week:
        rates = by_weekday / exposure
        per_day = rates.mean()
        scale = per_day / n
    else:  # under two of some weekday: keep the template's weekly profile
        weights = np.asarray(template.weekly_profile or [1.0] * WEEK_DAYS, dtype=float)
        scale = 1 / float(exposure @ (weights / weights.mean()))
        per_day = n * scale
        result.notes.append(f"{result.key}: under two weeks of records; weekly profile kept")
    _, low, high = est.poisson_rate(n, 1.0, s.confidence)
    result.estimates.append(
        Estimate(
            f"{at}.arrivals.per_day",
            per_day,
            low * scale,
            high * scale,
            "Poisson count, exact interval",
            n,
            template.per_day,
        )
    )
    if fitted_week:
        values, lows, highs = [], [], []
        for d in range(WEEK_DAYS):
            p_low, p_high = est.wilson(by_weekday[d], n, s.confidence)
            factor = WEEK_DAYS * n / (exposure[d] * rates.sum())
            values.append(by_weekday[d] / n * factor)
            lows.append(p_low * factor)
            highs.append(p_high * factor)
        result.estimates.append(
            Estimate(
                f"{at}.arrivals.weekly_profile",
                values,
                lows,
                highs,
                "share of arrivals per weekday over its days, Wilson interval",
                n,
                template.weekly_profile,
            )
        )
    hour = np.floor(arrival % 24).astype(int)
    by_hour = np.bincount(np.clip(hour, 0, 23), minlength=24)
    bounds = [est.wilson(k, n, s.confidence) for k in by_hour]
    result.estimates.append(
        Estimate(
            f"{at}.arrivals.hourly_profile",
            list(24 * by_hour / n),
            [24 * b[0] for b in bounds],
            [24 * b[1] for b in bounds],
            "share of arrivals per hour of the day, Wilson interval",
            n,
            template.hourly_profile,
        )
    )


def _attributes(ctx: Context) -> None:
    """Origin shares, national AEO share and channel probabilities: proportions."""
    result, at, port, obs, s = ctx.result, ctx.at, ctx.port, ctx.obs, ctx.settings
    frame = obs.frame
    if "origin" in frame and frame.origin.notna().any():
        origins = frame.origin.dropna()
        counts = origins.value_counts(sort=False)
        counts = counts.reindex(sorted(counts.index, key=lambda c: (-counts[c], c)))
        result.estimates.append(
            _shares(f"{at}.origins", counts, len(origins), s, dict(port.origins))
        )
    national = int((obs.group == 1).sum())
    eligible_rows = len(frame)
    if ctx.scenario.arrangement.precedence == "recognised_aeo":
        eligible_rows -= int((obs.group == 2).sum())  # national importers recognised instead
    low, high = est.wilson(national, eligible_rows, s.confidence)
    result.estimates.append(
        Estimate(
            f"{at}.national_aeo_share",
            national / max(eligible_rows, 1),
            low,
            high,
            "binomial proportion, Wilson interval",
            eligible_rows,
            port.national_aeo_share,
        )
    )
    given = {g for g in GROUPS if getattr(port.channels, g) is not None}
    for key, groups in group_keys(given).items():
        mine = np.isin(obs.group, groups)
        counts = pd.Series(np.bincount(obs.channel[mine], minlength=3), index=list(CHANNELS))
        current = port.channels.resolved()[groups[0]].model_dump()
        if mine.sum() < MIN_ROWS:
            result.notes.append(
                f"{result.key}: channels.{key} kept: {int(mine.sum())} records (under {MIN_ROWS})"
            )
            continue
        result.estimates.append(
            _shares(f"{at}.channels.{key}", counts, int(mine.sum()), s, current)
        )


def _shares(path: str, counts: pd.Series, n: int, s: Settings, template: Any) -> Estimate:
    """A multinomial's categories, each with its Wilson interval."""
    values, lows, highs = {}, {}, {}
    for category, k in counts.items():
        values[category] = k / n
        lows[category], highs[category] = est.wilson(k, n, s.confidence)
    method = "multinomial proportions, Wilson intervals"
    return Estimate(path, values, lows, highs, method, n, template, sums_to_one=True)


# --- delays -----------------------------------------------------------------------------


def _unloading(ctx: Context) -> None:
    """Unloading runs from the calendar's next opening after arrival to goods available."""
    obs, structure = ctx.obs, ctx.structure
    if "unloaded" not in obs.present:
        return
    arrival = obs.frame.arrival.to_numpy()
    begins = _opening(ctx.calendars, structure.unloading_calendar, arrival)
    fit_times(ctx, structure.unloading, obs.unloaded - begins, "unloading")


def _release(ctx: Context) -> None:
    """Release formalities run from the calendar's next opening after the last check."""
    obs, structure = ctx.obs, ctx.structure
    last = obs.ready.copy()
    for c, route in enumerate(ctx.port.routes.by_channel()):
        if route:
            mine = obs.channel == c
            column = f"{route[-1]}_end"
            ends = obs.frame[column].to_numpy() if column in obs.present else np.nan
            last[mine] = np.broadcast_to(ends, last.shape)[mine]
    begins = _opening(ctx.calendars, structure.release_calendar, last)
    release = obs.frame.release.to_numpy()
    fit_times(ctx, structure.release, release - begins, "release formalities")


def _opening(calendars: Calendars, name: str | None, times: np.ndarray) -> np.ndarray:
    """The calendar's next opening at or after each time (NaN stays NaN)."""
    if name is None:
        return times
    starts, ends = calendars.bounds(calendars.index(name))
    out = np.full(len(times), np.nan)
    known = np.isfinite(times)
    out[known] = sim_fit.next_open_all(starts, ends, times[known])
    return out


# --- stations ---------------------------------------------------------------------------


def _station(ctx: Context, name: str) -> None:
    result, port, obs, structure = ctx.result, ctx.port, ctx.obs, ctx.structure
    has_start, has_end = f"{name}_start" in obs.present, f"{name}_end" in obs.present
    if not has_end:
        result.notes.append(f"{result.key}: station {name} kept: the records have no {name}_end")
        return
    visit, join, drawable = _joins(port, name, obs)
    frame = obs.frame
    end = frame[f"{name}_end"].to_numpy()
    if has_start:
        start = frame[f"{name}_start"].to_numpy()
        service = np.where(visit, end - start, np.nan)
        fit_times(ctx, structure.service[name], service, f"{name} service")
        _servers_from_concurrency(ctx, name, visit, start, end, join)
        return
    if visit.sum() < MIN_ROWS:
        result.notes.append(f"{result.key}: station {name} kept: {int(visit.sum())} visits")
        return
    if np.any(visit & np.isnan(join) & ~drawable):
        result.notes.append(
            f"{result.key}: station {name} kept: the records lack the end of the check before it"
        )
        return
    _simulated_station(ctx, name, visit, join)


def _too_short(ctx: Context, name: str, counted: int, warmup: float) -> None:
    """A station whose visits nearly all fall in the replay's warm-up keeps its template
    values; the note says how many more days of records would fit it."""
    first, last = ctx.obs.days
    ctx.result.notes.append(
        f"{ctx.result.key}: station {name} kept: {counted} visits after the first {warmup:g} "
        f"days (the queue's warm-up: the template's warmup_days, at least 1), under "
        f"{MIN_ROWS}; the records cover {last - first:g} days: give more, or lower warmup_days"
    )


def _joins(port: Port, name: str, obs: Observed) -> tuple[np.ndarray, ...]:
    """Which rows visit the station, when each joined its queue (NaN: not recorded), and
    which joins can be drawn from the template's delays (the route's first station)."""
    visit = np.zeros(len(obs.frame), dtype=bool)
    join = np.full(len(obs.frame), np.nan)
    drawable = np.zeros(len(obs.frame), dtype=bool)
    for c, route in enumerate(port.routes.by_channel()):
        if name not in route:
            continue
        mine = obs.channel == c
        visit |= mine
        position = route.index(name)
        if position == 0:
            join[mine] = obs.ready[mine]
            drawable |= mine
        else:
            column = f"{route[position - 1]}_end"
            if column in obs.present:
                join[mine] = obs.frame[column].to_numpy()[mine]
    return visit, join, drawable


def _servers_from_concurrency(
    ctx: Context,
    name: str,
    visit: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    join: np.ndarray,
) -> None:
    """Servers: the most services at once, exact if a visit ever waited while it was open."""
    obs, calendars, station = ctx.obs, ctx.calendars, ctx.port.stations[name]
    path = f"{ctx.at}.stations.{name}.servers"
    both = visit & np.isfinite(start) & np.isfinite(end)
    if both.sum() < MIN_ROWS:
        return
    replication = obs.frame.replication.to_numpy()
    most = max(
        est.concurrency(start[both & (replication == r)], end[both & (replication == r)])
        for r in np.unique(replication[both])
    )
    reserved = station.reserved.servers if station.reserved is not None else 0
    opens = _opening(calendars, station.calendar, np.where(both, join, np.nan))
    waited_open = bool(np.any(both & np.isfinite(opens) & (start > opens)))
    exact = waited_open and reserved == 0
    servers = max(1, most - reserved)
    method = (
        "most services at once; exact: visits waited while the station was open"
        if exact
        else "most services at once: a lower bound (the station was never seen full"
        + (", or it has reserved servers)" if reserved else ")")
    )
    ctx.result.estimates.append(
        Estimate(
            path,
            servers,
            servers,
            servers if exact else None,
            method,
            int(both.sum()),
            station.servers,
        )
    )


def _simulated_station(ctx: Context, name: str, visit: np.ndarray, join: np.ndarray) -> None:
    """Servers and service time by replaying the station's queue (see :mod:`.simulate`)."""
    result, at, obs, s = ctx.result, ctx.at, ctx.obs, ctx.settings
    plan, calendars, scenario = ctx.plan, ctx.calendars, ctx.scenario
    port, structure = ctx.port, ctx.structure
    station = port.stations[name]
    cells = structure.service[name]
    current = cells[0].current
    family = getattr(current, "dist", "lognormal")
    if family not in sim_fit.FAMILIES or len(cells) > 1:
        family = "lognormal"
    if len(cells) > 1:
        result.notes.append(
            f"{result.key}: station {name}: one service time fitted for every group (the "
            "template gives one per group; without start times the records cannot separate "
            "them)"
        )
    frame = obs.frame
    reference = np.where(
        np.isnan(join), frame[["arrival", "unloaded", "lodgement"]].max(axis=1), join
    )
    warm = 24 * (obs.days[0] + max(1.0, scenario.warmup_days or 0.0))
    draw_join = None
    if np.isnan(join[visit]).any():
        draw_join = _ready_sampler(plan, calendars, obs, visit)
        result.notes.append(
            f"{result.key}: station {name}: when goods and declaration were ready is not in the "
            "records; drawn from the template's unloading and lodgement times"
        )
    visits = sim_fit.Visits(
        frame.replication.to_numpy()[visit],
        obs.group[visit],
        join[visit],
        reference[visit],
        frame[f"{name}_end"].to_numpy()[visit],
        reference[visit] >= warm,
        draw_join,
    )
    if visits.counted.sum() < MIN_ROWS:
        _too_short(ctx, name, int(visits.counted.sum()), warm / 24 - obs.days[0])
        return
    replay = sim_fit.Replay.of(sim_fit.Station.of(plan, calendars, name), visits, family)
    mean = getattr(current, "mean", 1.0)
    cv = getattr(current, "cv", 1.0) if family != "exponential" else 1.0
    start = sim_fit.Candidate(station.servers, float(mean), float(cv), math.inf)
    fitted = sim_fit.fit_station(replay, start, s.seed, s.confidence, s.workers, s.refits)
    result.stations[name] = fitted
    best = fitted.estimate
    if fitted.method == "reconstruction":
        method = (
            "queue reconstructed from the recorded ends (the fewest servers that reproduce "
            f"them); {len(fitted.refits)} parametric-bootstrap refits, percentile intervals"
        )
    else:
        method = (
            "stage quantiles matched by replaying the queue; "
            f"{len(fitted.refits)} parametric-bootstrap refits, Student-t intervals"
        )
    result.estimates.append(
        Estimate(
            f"{at}.stations.{name}.servers",
            best.servers,
            *fitted.servers_interval,
            method,
            fitted.visits,
            station.servers,
        )
    )
    value: dict[str, Any] = {"dist": fitted.family, "mean": best.mean}
    low: dict[str, Any] = {"mean": fitted.mean_interval[0]}
    high: dict[str, Any] = {"mean": fitted.mean_interval[1]}
    if fitted.cv_interval is not None:
        value["cv"] = best.cv
        low["cv"], high["cv"] = fitted.cv_interval
    template = current.model_dump(by_alias=True) if len(cells) == 1 else None
    if fitted.method != "reconstruction":
        result.statistics[f"{result.key} {name}: replay objective"] = best.objective
    result.estimates.append(
        Estimate(
            f"{at}.stations.{name}.service_h", value, low, high, method, fitted.visits, template
        )
    )


def _ready_sampler(plan: PortPlan, calendars: Calendars, obs: Observed, visit: np.ndarray):
    """Draws of when goods and declaration are ready, where the records do not say."""
    arrival = obs.frame.arrival.to_numpy()
    cell = obs.channel.astype(np.int64) * 3 + obs.group

    def stage_times(stage: Any, rng: np.random.Generator) -> np.ndarray:
        out = np.zeros(len(arrival))
        if stage is None:
            return out
        for c, groups in enumerate(stage):
            if groups is None:
                continue
            for g, dist in enumerate(groups):
                mine = cell == 3 * c + g
                out[mine] = dist.sample(rng, int(mine.sum()))
        return out

    def opening(calendar: np.ndarray, times: np.ndarray, ahead: Any = None) -> np.ndarray:
        """Times moved into the calendar's hours: later, or for advance lodgements earlier."""
        out = times.copy()
        ahead = np.zeros(len(times), dtype=bool) if ahead is None else ahead
        for c in range(3):
            starts, ends = calendars.bounds(int(calendar[c]))
            later, earlier = (obs.channel == c) & ~ahead, (obs.channel == c) & ahead
            out[later] = sim_fit.next_open_all(starts, ends, times[later])
            out[earlier] = sim_fit.last_open_all(starts, ends, times[earlier])
        return out

    def draw(rng: np.random.Generator) -> np.ndarray:
        unloaded = obs.unloaded
        if np.isnan(unloaded).any():
            drawn = opening(plan.unloading_calendar, arrival) + stage_times(plan.unloading, rng)
            unloaded = np.where(np.isnan(unloaded), drawn, unloaded)
        lodged = obs.lodged
        if np.isnan(lodged).any():
            delay = stage_times(plan.lodgement_delay, rng)
            pre = rng.random(len(arrival)) < plan.pre_arrival_share[obs.group]
            drawn = opening(
                plan.lodgement_calendar, np.where(pre, arrival - delay, arrival + delay), pre
            )
            lodged = np.where(np.isnan(lodged), drawn, lodged)
        return np.maximum(unloaded, lodged)[visit]

    return draw
