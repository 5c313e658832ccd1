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
independent (a queue that builds up delays everyone in it), so D varies more
between periods than the textbook law for independent samples says, in which
sqrt(N) D follows Kolmogorov's distribution (N = n m / (n + m)). Each simulated
replication is a period as long as the records'; the distances between one of
them and the others show by how much (the *inflation*: the squared ratio of their
median sqrt(N) D to Kolmogorov's median, at least 1). The chance distance of a
comparison is then sqrt(inflation) times Kolmogorov's quantile over sqrt(N), at
the level 0.05 / m for m headline comparisons (Bonferroni), so that a correct model
has every headline comparison within chance with probability about 95%.

A comparison is **good** when D <= 0.10 or D is within chance; **fair** when
D <= 0.20; **poor** otherwise. The verdict rests on the *headline* comparisons
(each stage per channel, all groups together, and the clearance time per group):
**trust the fit** if all are good, **use with care** if none is poor, **do not
trust** if any is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..runner import run
from ..scenario import CHANNELS, GROUPS, Port, Scenario
from .observed import Records

GOOD_D, FAIR_D = 0.10, 0.20
FAMILY_LEVEL = 0.05
"""Probability that a correct model has some headline comparison beyond chance."""
MIN_COMPARED = 30
WARMUP_DAYS = 7.0
"""At least a week of warm-up before a simulated period: the records' queues were not empty
when their period began."""
ALL = "all"
VERDICTS = ("trust the fit", "use with care", "do not trust the fit")


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

    ``periods`` is the number of replications in the records: the inflation compares
    blocks of that many simulated replications with the rest.
    """
    out = []
    simulated_by = dict(tuple(simulated.groupby(["country", "port", "stage"], sort=False)))
    for key, obs in observed.groupby(["country", "port", "stage"], sort=False):
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
                inflation = _inflation(b, replication[mask], periods)
                out.append(_distances(*key, channel, group, a, b, inflation))
    return _grade(pd.DataFrame(out))


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


def _inflation(values: np.ndarray, replication: np.ndarray, periods: int) -> float:
    """How much more D varies between simulated periods than between independent samples."""
    labels = np.unique(replication)
    blocks = [labels[i : i + periods] for i in range(0, len(labels) - periods + 1, periods)]
    scaled = []
    for block in blocks:
        inside = np.isin(replication, block)
        n, m = int(inside.sum()), int((~inside).sum())
        if n >= MIN_COMPARED and m >= MIN_COMPARED:
            d = ks_distance(values[inside], values[~inside])
            scaled.append(d * math.sqrt(n * m / (n + m)))
    if len(scaled) < 3:  # too few periods to tell: take the samples as independent
        return 1.0
    return max(1.0, (float(np.median(scaled)) / stats.kstwobign.median()) ** 2)


def _grade(table: pd.DataFrame) -> pd.DataFrame:
    """Chance distances at the family-wise level, and grades."""
    m = max(1, int(is_headline(table).sum()))
    quantile = stats.kstwobign.ppf(1 - FAMILY_LEVEL / m)
    n = table.observed * table.simulated / (table.observed + table.simulated)
    chance = np.sqrt(table.inflation) * quantile / np.sqrt(n)
    good = (table.ks <= GOOD_D) | (table.ks <= chance)
    grade = np.where(good, "good", np.where(table.ks <= FAIR_D, "fair", "poor"))
    return table.assign(ks_chance=chance, grade=grade)


def _distances(country, port, stage, channel, group, a, b, inflation) -> dict[str, object]:
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
        "inflation": inflation,
        "wasserstein_h": float(stats.wasserstein_distance(a, b)),
    }


def check(
    fitted: Scenario,
    part: Records,
    label: str,
    replications: int,
    seed: int,
    workers: int | None,
) -> Check:
    """Simulate the fitted ports over the part's days (after at least a week of warm-up) and
    compare stage by stage."""
    keys = set(part.ports())
    countries = {
        code: country.model_copy(
            update={"ports": {n: p for n, p in country.ports.items() if (code, n) in keys}}
        )
        for code, country in fitted.countries.items()
    }
    days = part.days[1] - part.days[0]
    warmup = max(fitted.warmup_days, WARMUP_DAYS)
    scenario = fitted.model_copy(
        update={"countries": countries, "horizon_days": days, "warmup_days": warmup}
    )
    result = run(scenario, replications=replications, seed=seed, workers=workers, keep_records=True)
    simulated_rows = result.records()
    hidden = [c for c in simulated_rows.columns if c.endswith(("_start", "_end"))]
    hidden += ["unloaded", "lodgement"]
    for column in hidden:  # measure the simulation as the records are measured
        if column not in part.present and column in simulated_rows:
            simulated_rows[column] = np.nan
    observed, simulated = [], []
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
