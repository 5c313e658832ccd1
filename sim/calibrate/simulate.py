"""Fitting by simulation: a station whose records give only the end of each check.

Without start times a station's stage is waiting plus service, and how much is
which depends on the servers. Where every visit's join time is recorded, the queue
is reconstructed (:mod:`.reconstruct`, :func:`fit_by_reconstruction`): exact
servers and service times, with intervals from a parametric bootstrap that
simulates the station at the estimate. Where it cannot be (join times drawn, or
records no server count can produce), :func:`fit_by_quantiles` fits the stage by
replaying the station's own queue with the compiled engine's event loop
(:func:`sim.engine_numba.simulate_port`):
every recorded visit joins at its recorded time (the previous check's end, or the
moment goods and declaration were both ready), with the template's calendar,
priorities and reserved servers, and service times drawn for a candidate
(servers, mean, cv). The candidate whose simulated stage durations (end minus the
recorded time the visit is measured from) have the quantiles of the recorded ones
is the estimate:

* **Common random numbers.** The service draws are fixed standard variates (normal
  for lognormal, uniform for gamma, exponential for exponential) transformed by the
  candidate's mean and cv, so the objective is a deterministic function of the
  candidate and two candidates differ only by their parameters.
* **Servers are integers**: each count is searched, walking from the template's
  value towards a lower objective; for each, mean and cv minimise the objective
  (Nelder-Mead on their logarithms, started from the neighbouring count's best
  scaled by the ratio of counts, since the capacity servers / mean is what the
  queue sees first).
* **Intervals by parametric bootstrap**: the station is replayed at the estimate
  with fresh service draws to make a new record set, which is refitted with fresh
  fitting draws; over :data:`REFITS` refits the spread of each estimate (on the log
  scale for mean and cv) gives a Student-t interval with REFITS - 1 degrees of
  freedom. Refits run in parallel, each from seeds of its own, so the numbers do
  not depend on the number of workers.

A visit's join time must be recorded or follow from recorded times; where the
records lack when goods were unloaded or the declaration lodged, the replay draws
them from the template's delays for every visit (a fresh draw per draw set).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numba import njit
from scipy import optimize, special, stats

from sim.calibrate import reconstruct
from sim.calibrate.parallel import pool_map
from sim.engine import compiled as engine_numba
from sim.plan.arrays import ALWAYS_OPEN, Calendars, PortPlan

LEVELS = np.concatenate((np.arange(0.05, 0.951, 0.05), [0.975, 0.99]))
"""Quantiles of the stage duration matched between records and simulation."""
OFFSET_H = 1 / 60
"""Durations are compared as log(duration + 1 minute): relative errors, finite at zero."""
REFITS = 20
"""Parametric-bootstrap refits of a simulation fit: the interval is Student-t with 19
degrees of freedom around the estimate."""
SIMULATED_PER_OBSERVED = 3
"""Draw sets: the replay simulates about three visits for each recorded one, so that
simulation noise adds about a third to the estimate's variance (refits include it)."""
FAMILIES = ("lognormal", "gamma", "exponential")


@njit(cache=True)
def next_open_all(starts, ends, times):
    """The calendar's next opening at or after each time (the time itself if open); the
    calendar's own interval arrays, empty for always open."""
    out = np.empty(times.shape[0])
    m = starts.shape[0]
    for i in range(times.shape[0]):
        out[i] = engine_numba.next_open(starts, ends, 0, m, times[i])
    return out


@njit(cache=True)
def last_open_all(starts, ends, times):
    """The calendar's last open moment at or before each time (the time itself if open):
    where an advance lodgement lands (:func:`sim.model.calendars.last_open`)."""
    out = np.empty(times.shape[0])
    m = starts.shape[0]
    for i in range(times.shape[0]):
        out[i] = engine_numba.last_open(starts, ends, 0, m, times[i])
    return out


@dataclass(frozen=True)
class Station:
    """A station's queueing structure from the template plan, with servers left free."""

    reserved: int
    pool_calendar: np.ndarray  # (2,)
    pool_serves: np.ndarray  # (2, 3)
    priority: np.ndarray  # (1, 3)
    calendars: Calendars

    @classmethod
    def of(cls, plan: PortPlan, calendars: Calendars, name: str) -> Station:
        s = plan.stations.index(name)
        general, reserved = plan.pools(s)
        pools = slice(general, reserved + 1)
        return cls(
            int(plan.pool_servers[reserved]),
            plan.pool_calendar[pools].copy(),
            plan.pool_serves[pools].copy(),
            plan.priority[s : s + 1].copy(),
            calendars,
        )


@dataclass(frozen=True)
class Visits:
    """A station's recorded visits, in arrival order within each replication.

    ``join`` holds the recorded join time, NaN where it must be drawn (see
    ``draw_join``); ``reference`` is the recorded time each stage is measured from
    (the join time itself when recorded).
    """

    replication: np.ndarray
    group: np.ndarray  # int8 trader-group codes
    join: np.ndarray
    reference: np.ndarray
    end: np.ndarray
    counted: np.ndarray  # joined after the replay's warm-up: compared
    draw_join: Callable[[np.random.Generator], np.ndarray] | None = None

    @property
    def observed(self) -> np.ndarray:
        return (self.end - self.reference)[self.counted]


@dataclass
class Draws:
    """Every random number of one replay: join times where drawn, and service variates."""

    join: np.ndarray  # (sets, n)
    base: np.ndarray  # (sets, n) standard variates of the family
    orders: list[list[np.ndarray]] = field(default_factory=list)  # per set, per replication


@dataclass(frozen=True)
class Replay:
    """The station's queue, replayable for any (servers, mean, cv) of one family."""

    station: Station
    visits: Visits
    family: str
    blocks: tuple[np.ndarray, ...]  # visit indices of each replication

    @classmethod
    def of(cls, station: Station, visits: Visits, family: str) -> Replay:
        blocks = tuple(
            np.flatnonzero(visits.replication == r) for r in np.unique(visits.replication)
        )
        return cls(station, visits, family, blocks)

    def draws(self, seed: int, sets: int) -> Draws:
        rng = np.random.default_rng(seed)
        n = len(self.visits.join)
        join = np.empty((sets, n))
        base = np.empty((sets, n))
        for i in range(sets):
            join[i] = self.visits.join
            if self.visits.draw_join is not None:
                missing = np.isnan(join[i])
                join[i, missing] = self.visits.draw_join(rng)[missing]
            base[i] = _variates(self.family, rng, n)
        draws = Draws(join, base)
        draws.orders = [
            [block[np.argsort(join[i, block], kind="stable")] for block in self.blocks]
            for i in range(sets)
        ]
        return draws

    def ends(self, draws: Draws, servers: int, mean: float, cv: float) -> np.ndarray:
        """Simulated end times (sets, n) with this many general servers and service law."""
        station = self.station
        calendars = station.calendars
        service = service_times(self.family, mean, cv, draws.base)
        out = np.empty_like(service)
        pool_servers = np.array([servers, station.reserved], dtype=np.int64)
        for i in range(service.shape[0]):
            for order in draws.orders[i]:
                n = len(order)
                start = np.full((1, n), np.nan)
                end = np.full((1, n), np.nan)
                # visits renumbered in join order: ties keep arrival order, as in the engine
                ranked = np.arange(n, dtype=np.int64)  # already in index and in ready order
                engine_numba.simulate_port(
                    draws.join[i, order],
                    ranked,
                    ranked,
                    self.visits.group[order],
                    np.zeros(n, dtype=np.int8),
                    np.zeros(n),
                    service[i, order][None, :],
                    _ONE_STEP,
                    _ROUTE,
                    pool_servers,
                    station.pool_calendar,
                    station.pool_serves,
                    station.priority,
                    _NO_CALENDAR,
                    calendars.starts,
                    calendars.ends,
                    calendars.offsets,
                    start,
                    end,
                    np.full((1, n), np.nan),
                    np.full((1, n), -1, dtype=np.int8),
                    np.full(n, np.nan),
                )
                out[i, order] = end[0]
        return out

    def stage(self, draws: Draws, servers: int, mean: float, cv: float) -> np.ndarray:
        """Simulated stage durations (sets, counted visits)."""
        ends = self.ends(draws, servers, mean, cv)
        visits = self.visits
        return (ends - visits.reference)[:, visits.counted]


_ONE_STEP = np.ones(3, dtype=np.int64)
_ROUTE = np.zeros((3, 1), dtype=np.int64)
_NO_CALENDAR = np.full(3, ALWAYS_OPEN, dtype=np.int64)


def _variates(family: str, rng: np.random.Generator, n: int) -> np.ndarray:
    if family == "lognormal":
        return rng.standard_normal(n)
    if family == "gamma":
        return rng.random(n)
    return rng.standard_exponential(n)


def service_times(family: str, mean: float, cv: float, base: np.ndarray) -> np.ndarray:
    """Service times of the family with this mean and cv, from fixed standard variates."""
    if family == "lognormal":
        sigma2 = math.log1p(cv * cv)
        return np.exp(math.log(mean) - sigma2 / 2 + math.sqrt(sigma2) * base)
    if family == "gamma":
        shape = 1 / (cv * cv)
        return special.gammaincinv(shape, base) * (mean / shape)
    return mean * base


def signature(durations: np.ndarray) -> np.ndarray:
    """Log-quantiles of stage durations (every draw set pooled): what is matched."""
    return np.log(np.quantile(durations, LEVELS) + OFFSET_H)


# --- the fit --------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    servers: int
    mean: float
    cv: float
    objective: float


@dataclass(frozen=True)
class StationFit:
    """A simulation fit: the estimate, its intervals and what the search saw."""

    estimate: Candidate
    servers_interval: tuple[int, int]
    mean_interval: tuple[float, float]
    cv_interval: tuple[float, float] | None
    profile: dict[int, Candidate]  # best (mean, cv) and objective of each server count tried
    refits: list[Candidate]
    family: str
    visits: int
    method: str = "quantiles"  # "reconstruction" or "quantiles"


def fit(
    replay: Replay, target: np.ndarray, start: Candidate, seed: int
) -> tuple[Candidate, dict[int, Candidate]]:
    """The best candidate for a target signature: coarse, then fine.

    The coarse walk over server counts uses one draw set (cheap, noisier) and
    tolerates one worse count before it stops; the fine walk starts from the coarse
    best with :data:`SIMULATED_PER_OBSERVED` draw sets and stops at the first worse
    count on each side.
    """
    coarse = _walk(replay, replay.draws(seed, 1), target, start, patience=2)
    best = min(coarse.values(), key=_rank)
    fine = _walk(replay, replay.draws(seed + 1, SIMULATED_PER_OBSERVED), target, best, patience=1)
    return min(fine.values(), key=_rank), fine


def _rank(candidate: Candidate) -> tuple[float, int]:
    return candidate.objective, candidate.servers


def _walk(
    replay: Replay, draws: Draws, target: np.ndarray, start: Candidate, patience: int
) -> dict[int, Candidate]:
    """Server counts from ``start`` outwards, each with its best (mean, cv), until the
    objective has been worse than the best so far ``patience`` times in a row."""
    free_cv = replay.family != "exponential"

    def best_for(servers: int, mean: float, cv: float) -> Candidate:
        def objective(x: np.ndarray) -> float:
            m = math.exp(x[0])
            v = math.exp(x[1]) if free_cv else 1.0
            simulated = signature(replay.stage(draws, servers, m, v))
            return float(np.mean((simulated - target) ** 2))

        x0 = np.array([math.log(mean), math.log(cv)] if free_cv else [math.log(mean)])
        simplex = np.vstack([x0, x0 + 0.15 * np.eye(len(x0))])
        result = optimize.minimize(
            objective,
            x0,
            method="Nelder-Mead",
            options={"initial_simplex": simplex, "xatol": 1e-2, "fatol": 1e-7, "maxfev": 100},
        )
        cv_found = math.exp(result.x[1]) if free_cv else 1.0
        return Candidate(servers, math.exp(result.x[0]), cv_found, float(result.fun))

    profile = {start.servers: best_for(start.servers, start.mean, start.cv)}
    for step in (-1, 1):
        worse = 0
        servers = start.servers + step
        while servers >= 1 and worse < patience:
            near = profile[servers - step]
            candidate = best_for(servers, near.mean * servers / near.servers, near.cv)
            best = min(profile.values(), key=_rank)
            worse = worse + 1 if candidate.objective >= best.objective else 0
            profile[servers] = candidate
            servers += step
    return dict(sorted(profile.items()))


def fit_station(
    replay: Replay,
    start: Candidate,
    seed: int,
    confidence: float,
    workers: int,
    refits: int = REFITS,
) -> StationFit:
    """Estimate servers, mean and cv, with parametric-bootstrap intervals.

    Where every join time is recorded the queue is reconstructed (:mod:`.reconstruct`);
    where it cannot be (joins drawn, or no server count reproduces the records: they
    follow another dispatch rule), the stage quantiles are matched by simulation.
    """
    if replay.visits.draw_join is None:
        reconstructed = fit_by_reconstruction(replay, seed, confidence)
        if reconstructed is not None:
            return reconstructed
    return fit_by_quantiles(replay, start, seed, confidence, workers, refits)


def fit_by_quantiles(
    replay: Replay,
    start: Candidate,
    seed: int,
    confidence: float,
    workers: int,
    refits: int = REFITS,
) -> StationFit:
    """Servers, mean and cv matching the stage quantiles; parametric-bootstrap intervals."""
    observed = replay.visits.observed
    estimate, profile = fit(replay, signature(observed), start, seed)
    seeds = [seed + 7919 * b for b in range(1, refits + 1)]
    refitted = pool_map(_refit, (replay, estimate), seeds, workers)
    t = stats.t.ppf(0.5 + confidence / 2, max(1, refits - 1))

    def log_interval(value: float, values: list[float]) -> tuple[float, float]:
        spread = float(np.std(np.log(values), ddof=1)) if len(values) > 1 else 0.0
        return value * math.exp(-t * spread), value * math.exp(t * spread)

    server_spread = float(np.std([c.servers for c in refitted], ddof=1)) if refits > 1 else 0.0
    servers_interval = (
        max(1, math.floor(estimate.servers - t * server_spread)),
        math.ceil(estimate.servers + t * server_spread),
    )
    cv_interval = None
    if replay.family != "exponential":
        cv_interval = log_interval(estimate.cv, [c.cv for c in refitted])
    return StationFit(
        estimate,
        servers_interval,
        log_interval(estimate.mean, [c.mean for c in refitted]),
        cv_interval,
        profile,
        refitted,
        replay.family,
        len(observed),
    )


def _refit(shared: tuple[Replay, Candidate], seed: int) -> Candidate:
    """One bootstrap refit: records simulated at the estimate, fitted on fresh draws."""
    replay, estimate = shared
    data = replay.draws(seed, 1)
    ends = replay.ends(data, estimate.servers, estimate.mean, estimate.cv)[0]
    visits = replay.visits
    best, _ = fit(replay, signature((ends - visits.reference)[visits.counted]), estimate, seed + 2)
    return best


# --- reconstruction ---------------------------------------------------------------------

RESAMPLES = 200
"""Parametric-bootstrap refits of a reconstruction (each costs a few milliseconds)."""


def _reconstruct(
    replay: Replay, ends: np.ndarray, near: int | None
) -> tuple[int, np.ndarray] | None:
    """The fewest servers reproducing ``ends`` in every replication, and the implied starts.

    Searches from ``near`` (down while possible, then up) or from one server.
    """
    visits, station = replay.visits, replay.station
    blocks = []
    for block in replay.blocks:
        order = block[np.argsort(visits.join[block], kind="stable")]
        blocks.append(order)
    limit = _most_in_system(visits.join, ends, blocks)
    settled = float(visits.join[visits.counted].min()) if visits.counted.any() else np.inf

    def starts_for(servers: int) -> np.ndarray | None:
        out = np.empty(len(ends))
        pools = np.array([servers, station.reserved], dtype=np.int64)
        for order in blocks:
            start = np.empty(len(order))
            waited = reconstruct.replay_starts(
                visits.join[order],
                ends[order],
                visits.group[order],
                pools,
                station.pool_calendar,
                station.pool_serves,
                station.priority[0],
                station.calendars.starts,
                station.calendars.ends,
                station.calendars.offsets,
                settled,
                start,
            )
            if waited == reconstruct.INFEASIBLE:
                return None
            out[order] = start
        return out

    servers = 1 if near is None else max(1, min(near, limit))
    found = starts_for(servers)
    if found is not None:
        while servers > 1:
            lower = starts_for(servers - 1)
            if lower is None:
                break
            servers, found = servers - 1, lower
        return servers, found
    while servers < limit:
        servers += 1
        found = starts_for(servers)
        if found is not None:
            return servers, found
    return None


def _most_in_system(join: np.ndarray, ends: np.ndarray, blocks: list[np.ndarray]) -> int:
    """The most visits joined and not yet ended at one instant: enough servers for anyone."""
    most = 1
    for order in blocks:
        times = np.concatenate((join[order], ends[order]))
        steps = np.concatenate((np.ones(len(order)), -np.ones(len(order))))
        ranked = np.lexsort((steps, times))
        most = max(most, int(np.cumsum(steps[ranked]).max()))
    return most


def fit_by_reconstruction(replay: Replay, seed: int, confidence: float) -> StationFit | None:
    """Servers as the fewest that reproduce the recorded ends; services as ends minus the
    reconstructed starts, fitted by AIC; intervals by a parametric bootstrap of both steps."""
    from sim.calibrate.estimate import closed_form_fit, fit_time

    visits = replay.visits
    found = _reconstruct(replay, visits.end, None)
    if found is None:
        return None
    servers, start = found
    services = visits.end - start
    fitted = fit_time(services[visits.counted], confidence, seed)
    family = fitted.family
    model = Replay.of(replay.station, visits, family)
    rng = np.random.default_rng(seed)
    refitted = []
    for _ in range(RESAMPLES):
        draws = model.draws(int(rng.integers(2**31)), 1)
        ends = model.ends(draws, servers, fitted.mean, fitted.cv)[0]
        again = _reconstruct(model, ends, servers)
        if again is None:
            continue
        count, starts = again
        sample = np.maximum((ends - starts)[visits.counted], 1 / 3600)[None, :]
        mean, cv = closed_form_fit(family, sample)
        refitted.append(Candidate(count, float(mean[0]), float(cv[0]), 0.0))
    alpha = (1 - confidence) / 2
    counts = np.array([c.servers for c in refitted])
    low_count, high_count = np.quantile(counts, [alpha, 1 - alpha], method="inverted_cdf")
    servers_interval = (  # basic bootstrap: the estimator can only err low (see reconstruct)
        max(1, int(2 * servers - high_count)),
        int(2 * servers - low_count),
    )

    def percentile(value: float, values: list[float]) -> tuple[float, float]:
        low, high = np.quantile(values, [alpha, 1 - alpha])
        return min(float(low), value), max(float(high), value)

    cv_interval = None
    if family != "exponential":
        cv_interval = percentile(fitted.cv, [c.cv for c in refitted])
    estimate = Candidate(servers, fitted.mean, fitted.cv, 0.0)
    return StationFit(
        estimate,
        servers_interval,
        percentile(fitted.mean, [c.mean for c in refitted]),
        cv_interval,
        {servers: estimate},
        refitted,
        family,
        int(visits.counted.sum()),
        "reconstruction",
    )
