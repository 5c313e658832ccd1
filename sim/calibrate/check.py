"""How well a fitted scenario reproduces records: stage by stage, channel by channel.

The fitted scenario is simulated (the runner, common random numbers, as ``mrasim
run``) over as many days as the records cover, and every stage the records
measure is compared between the two: each check's stage (end minus the moment
the shipment joined its queue) and service (end minus start), unloading,
release formalities and the whole clearance time, per channel and trader group.

Each comparison gives the Kolmogorov-Smirnov distance D (the largest gap between
the two cumulative distributions) and the Wasserstein distance (the mean shift,
in hours, needed to turn one distribution into the other).

What D chance alone gives is measured, not assumed. Times of one period are not
independent (a queue that builds up delays everyone in it), so D varies between
periods far more than the textbook law for independent samples says, and there
are many comparisons at once. Each simulated replication is a period as long as
the records': comparing each with the others gives, for every comparison, D's that
a correct model produces. Each comparison's are put on a common scale (minus their
median, over their median absolute deviation); the largest over the headline
comparisons of one period is that period's worst; the largest of those over the
periods, T, gives each comparison its *chance* distance, median + T x deviation. With R simulated
periods, a correct model then passes every headline comparison with probability
about R / (R + 1) (10 replications: 91%). The fitted values are estimates: each
simulated period redraws them within their intervals (normal on each side of the
estimate, half-widths over 1.96), so that chance includes what the records leave
open; a period simulated at the estimates alone would flag sound fits of short
records, whose queues are sensitive to small errors in service times.

A comparison is **good** when D <= 0.10 or D is within chance; **fair** when
D <= 0.20 or within one and a half times chance (small samples); **poor** otherwise.
The verdict rests on the *headline* comparisons (each stage per channel, all groups
together, and the clearance time per group):
**trust the fit** if all are good, **use with care** if none is poor, **do not
trust** if any is.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sim.calibrate.parallel import pool_map
from sim.interpret.numbers import significant
from sim.language import N_
from sim.language.formats import decimal
from sim.model.schema import Port, Scenario
from sim.model.vocabulary import CHANNELS, GROUPS
from sim.records.read import Records
from sim.replicate.runner import run

GOOD_D, FAIR_D = 0.10, 0.20
POOR_BEYOND_CHANCE = 1.5
"""A comparison is poor only when D is above 0.20 and half as much again as chance."""
FAMILY_LEVEL = 0.05
"""With too few simulated periods to measure chance: the probability that a correct model
has some headline comparison beyond the independent-samples critical value."""
MIN_COMPARED = 30
WARMUP_DAYS = 7.0
"""At least a week of warm-up before a simulated period: the records' queues were not empty
when their period began."""
ALL = "all"
VERDICTS = (N_("trust the fit"), N_("use with care"), N_("do not trust the fit"))


@dataclass(frozen=True)
class Check:
    """Records against the fitted model, per port, stage, channel and group."""

    label: str  # "fit period" or "holdout"
    days: tuple[float, float]
    table: pd.DataFrame  # one row per comparison
    observed: pd.DataFrame  # long: country, port, stage, channel, group, hours
    simulated: pd.DataFrame
    replications: int

    @property
    def headline(self) -> pd.DataFrame:
        return self.table[is_headline(self.table)]

    @property
    def verdict(self) -> str:
        grades = set(self.headline.grade)
        if not grades or grades == {"good"}:
            return VERDICTS[0]
        return VERDICTS[1] if "poor" not in grades else VERDICTS[2]


DISPLAY_COLUMNS = (
    N_("port"),
    N_("stage"),
    N_("channel"),
    N_("group"),
    N_("records"),
    N_("mean h (records)"),
    N_("mean h (model)"),
    N_("KS D"),
    N_("D by chance"),
    N_("Wasserstein h"),
    N_("mean error"),
    N_("grade"),
)
CHANCE_NOTE = N_(
    "D by chance: the largest D a correct model shows between its own simulated periods of "
    "this length, so a D within it is sampling noise, not a misfit. good: D <= 0.10 or within "
    "chance; fair: D <= 0.20 or within 1.5 x chance; poor otherwise. error (mean error): the "
    "model's mean minus the records', over the records'."
)
"""What the fit check's columns mean, printed under its tables (terminal and report)."""


def display_rows(table: pd.DataFrame) -> list[tuple[str, ...]]:
    """Comparisons as printed (terminal and report alike), in DISPLAY_COLUMNS order, with the
    active language's digits."""
    comparisons: list[Any] = list(table.itertuples())
    return [
        (
            f"{r.country}/{r.port}",
            str(r.stage),
            str(r.channel),
            str(r.group),
            decimal(r.observed, 0),
            significant(r.mean_observed_h),
            significant(r.mean_simulated_h),
            decimal(r.ks, 3),
            decimal(r.ks_chance, 3),
            significant(r.wasserstein_h),
            relative_error(r.mean_simulated_h, r.mean_observed_h),
            str(r.grade),
        )
        for r in comparisons
    ]


def relative_error(model: Any, records: Any) -> str:
    """The model's mean relative to the records' (``+12%``), or ``-`` where it means nothing."""
    model, records = float(model), float(records)
    if not np.isfinite(model) or not np.isfinite(records) or records <= 0:
        return "-"
    return decimal(100 * (model - records) / records, 0, signed=True) + "%"


def is_headline(table: pd.DataFrame) -> pd.Series:
    """Each stage per channel (groups together), and the clearance time per group."""
    per_channel = (table.group == ALL) & (table.channel != ALL) & (table.stage != "clearance")
    clearance = (table.stage == "clearance") & (table.channel == ALL)
    return per_channel | clearance


def stage_times(frame: pd.DataFrame, port: Port, present: frozenset[str]) -> pd.DataFrame:
    """Every stage duration the record columns allow, long: stage, channel, group, hours."""
    parts = []
    ready = frame[["arrival", "unloaded", "lodgement"]].max(axis=1)
    if "unloaded" in present:
        parts.append(("unloading", frame.unloaded - frame.arrival, frame.index))
    last = ready.copy()
    for c, route in enumerate(port.routes.by_channel()):
        mine = frame.channel == CHANNELS[c]
        joined = ready[mine]
        for station in route:
            end = frame.loc[mine, f"{station}_end"] if f"{station}_end" in present else None
            if end is None:
                joined = pd.Series(np.nan, index=joined.index)
                continue
            parts.append((f"{station} stage", end - joined, end.index))
            if f"{station}_start" in present:
                start = frame.loc[mine, f"{station}_start"]
                parts.append((f"{station} service", end - start, end.index))
            joined = end
        last[mine] = joined
    parts.append(("release", frame.release - last, frame.index))
    parts.append(("clearance", frame.release - frame.arrival, frame.index))
    rows = []
    for stage, hours, index in parts:
        values = pd.DataFrame(
            {
                "replication": frame.loc[index, "replication"].to_numpy(),
                "stage": stage,
                "channel": frame.loc[index, "channel"].astype(str).to_numpy(),
                "group": frame.loc[index, "group"].astype(str).to_numpy(),
                "hours": np.asarray(hours, dtype=float),
            }
        )
        rows.append(values[np.isfinite(values.hours)])
    long = pd.concat(rows, ignore_index=True)
    return long


def compare(observed: pd.DataFrame, simulated: pd.DataFrame, periods: int) -> pd.DataFrame:
    """KS and Wasserstein distances for every stage, channel and group (and their totals).

    ``periods`` is the number of replications in the records: chance compares blocks of
    that many simulated replications with the rest.
    """
    out = []
    simulated_by = dict(tuple(simulated.groupby(["country", "port", "stage"], sort=False)))
    for key, obs in observed.groupby(["country", "port", "stage"], sort=False):
        country, port, stage = key
        sim = simulated_by.get(key)
        if sim is None:
            continue
        obs_codes, sim_codes = _codes(obs), _codes(sim)
        replication = sim.replication.to_numpy()
        for channel in (ALL, *CHANNELS):
            for group in (ALL, *GROUPS):
                a = obs.hours.to_numpy()[_mask(obs_codes, channel, group)]
                mask = _mask(sim_codes, channel, group)
                b = sim.hours.to_numpy()[mask]
                if len(a) < MIN_COMPARED or len(b) < MIN_COMPARED:
                    continue
                null = _null_distances(b, replication[mask], periods)
                out.append(_distances(country, port, stage, channel, group, a, b, null))
    if not out:  # records too few for any comparison: an empty check, not a crash
        return pd.DataFrame(columns=[*COMPARED, "ks_chance", "grade"])
    return _grade(pd.DataFrame(out))


COMPARED = (
    "country",
    "port",
    "stage",
    "channel",
    "group",
    "observed",
    "simulated",
    "mean_observed_h",
    "mean_simulated_h",
    "ks",
    "wasserstein_h",
)
"""The columns of a comparison (before its chance distance and grade)."""


def select(frame: pd.DataFrame, channel: str, group: str) -> np.ndarray:
    """The hours of one channel and group (``all`` for any) of a long stage table."""
    return frame.hours.to_numpy()[_mask(_codes(frame), channel, group)]


def _codes(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    return frame.channel.to_numpy(dtype=object), frame.group.to_numpy(dtype=object)


def _mask(codes: tuple[np.ndarray, np.ndarray], channel: str, group: str) -> np.ndarray:
    channels, groups = codes
    mask = np.ones(len(channels), dtype=bool)
    if channel != ALL:
        mask &= channels == channel
    if group != ALL:
        mask &= groups == group
    return mask


def ks_distance(x: np.ndarray, y: np.ndarray) -> float:
    """The two-sample Kolmogorov-Smirnov distance (sorted or not)."""
    x, y = np.sort(x), np.sort(y)
    points = np.concatenate((x, y))
    fx = np.searchsorted(x, points, side="right") / len(x)
    fy = np.searchsorted(y, points, side="right") / len(y)
    return float(np.max(np.abs(fx - fy)))


def _null_distances(values: np.ndarray, replication: np.ndarray, periods: int) -> np.ndarray:
    """D between each block of ``periods`` simulated replications and the rest (NaN where a
    side has too few times): what a correct model gives, period by period."""
    labels = np.unique(replication)
    blocks = [labels[i : i + periods] for i in range(0, len(labels) - periods + 1, periods)]
    out = np.full(len(blocks), np.nan)
    for b, block in enumerate(blocks):
        inside = np.isin(replication, block)
        if inside.sum() >= MIN_COMPARED and (~inside).sum() >= MIN_COMPARED:
            out[b] = ks_distance(values[inside], values[~inside])
    return out


def _grade(table: pd.DataFrame) -> pd.DataFrame:
    """Chance distances (see the module docstring) and grades."""
    headline = is_headline(table).to_numpy()
    nulls = np.array([np.asarray(n, dtype=float) for n in table.null])
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a comparison with no simulated D
        median = np.nanmedian(nulls, axis=1) if nulls.size else np.zeros(len(table))
        spread = np.nanmedian(np.abs(nulls - median[:, None]), axis=1) if nulls.size else median
        spread = np.maximum(spread, 1e-3)
        scaled = (nulls[headline] - median[headline, None]) / spread[headline, None]
        worst = np.nanmax(scaled, axis=0) if scaled.size else np.array([np.nan])
    measured = np.isfinite(worst).sum() >= 3
    if measured:
        chance = median + np.nanmax(worst) * spread
    else:  # too few periods: independent samples, Bonferroni over the headline comparisons
        m = max(1, int(headline.sum()))
        n = table.observed * table.simulated / (table.observed + table.simulated)
        chance = stats.kstwobign.ppf(1 - FAMILY_LEVEL / m) / np.sqrt(n.to_numpy())
    chance = np.where(np.isfinite(chance), chance, 1.0)
    good = (table.ks <= GOOD_D) | (table.ks <= chance)
    fair = (table.ks <= FAIR_D) | (table.ks <= POOR_BEYOND_CHANCE * chance)
    grade = np.where(good, "good", np.where(fair, "fair", "poor"))
    return table.drop(columns="null").assign(ks_chance=chance, grade=grade)


def _distances(country, port, stage, channel, group, a, b, null) -> dict[str, object]:
    return {
        "country": country,
        "port": port,
        "stage": stage,
        "channel": channel,
        "group": group,
        "observed": len(a),
        "simulated": len(b),
        "mean_observed_h": float(np.mean(a)),
        "mean_simulated_h": float(np.mean(b)),
        "ks": ks_distance(a, b),
        "null": null,
        "wasserstein_h": float(stats.wasserstein_distance(a, b)),
    }


def check(
    fitted: Scenario,
    part: Records,
    label: str,
    replications: int,
    seed: int,
    workers: int,
    variants: Callable[[int], Scenario] | None = None,
) -> Check:
    """Simulate the fitted ports over the part's days (after at least a week of warm-up) and
    compare stage by stage.

    ``variants(r)``, if given, is the scenario of replication r: the fitted one with its
    values redrawn within their intervals, so that the simulated periods vary as much
    as what was learnt from the records leaves open (see :func:`redraw`). Replication r
    runs with seed ``seed + r``.
    """
    keys = set(part.ports())
    days = part.days[1] - part.days[0]
    periods = [
        (_period(variants(r) if variants else fitted, keys, days), seed + r, r)
        for r in range(replications)
    ]
    frames = pool_map(_simulate_period, None, periods, workers)
    simulated_rows = pd.concat(frames, ignore_index=True)
    hidden = [c for c in simulated_rows.columns if c.endswith(("_start", "_end"))]
    hidden += ["unloaded", "lodgement"]
    for column in hidden:  # measure the simulation as the records are measured
        if column not in part.present and column in simulated_rows:
            simulated_rows[column] = np.nan
    observed: list[pd.DataFrame] = []
    simulated: list[pd.DataFrame] = []
    for code, name in part.ports():
        port = fitted.countries[code].ports[name]
        mine = simulated_rows[(simulated_rows.country == code) & (simulated_rows.port == name)]
        for frame, out in ((part.port(code, name), observed), (mine.reset_index(), simulated)):
            times = stage_times(frame, port, part.present)
            out.append(times.assign(country=code, port=name))
    observed_long = pd.concat(observed, ignore_index=True)
    simulated_long = pd.concat(simulated, ignore_index=True)
    table = compare(observed_long, simulated_long, max(1, part.replications))
    return Check(label, part.days, table, observed_long, simulated_long, replications)


def _simulate_period(_: None, job: tuple[Scenario, int, int]) -> pd.DataFrame:
    """The records of one simulated period (replication r of the check)."""
    scenario, seed, r = job
    result = run(scenario, replications=1, seed=seed, workers=1, keep_records=True)
    return result.records().assign(replication=r)


def _period(scenario: Scenario, keys: set[tuple[str, str]], days: float) -> Scenario:
    """Only the ports of the records, over their number of days, after a warm-up."""
    countries = {
        code: country.model_copy(
            update={"ports": {n: p for n, p in country.ports.items() if (code, n) in keys}}
        )
        for code, country in scenario.countries.items()
    }
    given = scenario.warmup_days  # None: each port's own, derived from the plan
    warmup = None if given is None else max(given, WARMUP_DAYS)
    return scenario.model_copy(
        update={"countries": countries, "horizon_days": days, "warmup_days": warmup}
    )
