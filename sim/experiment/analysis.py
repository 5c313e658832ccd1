"""Final tables: per-point statistics, main effects, Sobol' indices, the EMA Workbench shape.

Everything here is recomputed from the stored tasks, read point by point and
accumulated in replication order, so the tables are bit-identical whatever
executor, number of workers, finishing order or interruptions produced them.

* ``results``: one row per point and kept indicator row: the point, each
  factor's value, then the long summary columns (mean and 95% Student-t interval
  over the point's replications).
* ``main_effects``: for each factor and each of its levels (or, for sampled
  designs with many distinct values, each of five equal-count bins), the mean
  over the points at that level, for the whole-scenario rows (every group). Its interval is
  across replications of that mean: replication ``r`` of every point shares its
  random numbers, so the per-replication means are independent draws of it.
  It says how precisely the average over the design's other factors is known,
  not how much those factors spread it. ``change`` is the difference from the
  factor's first level, paired replication by replication, with its interval.
* ``sensitivity`` (Sobol' designs): first-order and total indices of each factor
  for each kept row, from SALib's estimators with bootstrap 95% intervals. Each
  point's output is its mean over replications; its remaining noise adds
  variance no factor explains, which lowers first-order indices a little.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.experiment.design import Point, unit_problem
from sim.experiment.keys import (
    ROW_KEYS,
    STAT_COLUMNS,
    Key,
    is_whole_scenario,
    metric_of,
    outcome_name,
)
from sim.experiment.spec import Experiment
from sim.experiment.tasks import Task, TaskOutput
from sim.replicate.stats import CONFIDENCE, Accumulator

POINT = "point"
MAX_LEVELS = 10
"""A sampled factor with more distinct values than this is binned for main effects."""
BINS = 5
CHANGE_COLUMNS = ("change", "change_ci_low", "change_ci_high")
"""A level's main effect minus the first level's, paired by replication (common random
numbers make it much narrower than the two levels' own intervals)."""
BOOTSTRAP = 1000
"""Bootstrap resamples of SALib's Sobol' intervals."""


@dataclass
class Tables:
    results: pd.DataFrame
    experiments: pd.DataFrame
    outcomes: pd.DataFrame
    main_effects: pd.DataFrame
    sensitivity: pd.DataFrame | None


def analyse(
    experiment: Experiment,
    points: list[Point],
    tasks: Sequence[list[Task]],
    read: Callable[[Task], TaskOutput],
) -> Tables:
    """The final tables from the stored tasks of every point (``tasks[p]``: point p's, made
    when asked, one point at a time)."""
    wanted = set(experiment.indicators) if experiment.indicators is not None else None
    common = min(point_tasks[-1].last for point_tasks in tasks)
    statistics = _Columns()
    means: list[dict[Key, float]] = []
    whole: list[dict[Key, np.ndarray]] = []  # whole-scenario rows, first `common` replications
    for p, point_tasks in enumerate(tasks):
        rows, values = _point_values(point_tasks, read)
        kept = [i for i, row in enumerate(rows) if wanted is None or metric_of(row) in wanted]
        rows, values = [rows[i] for i in kept], values[kept]
        accumulator = Accumulator(len(rows))
        for column in values.T:
            accumulator.add(column)
        stats = accumulator.result(CONFIDENCE)
        statistics.add(rows, (*stats, accumulator.count), point=p)
        means.append(dict(zip(rows, stats[0], strict=True)))
        whole.append(
            {row: values[i, :common] for i, row in enumerate(rows) if is_whole_scenario(row)}
        )
    results = _with_point_columns(statistics.frame(), experiment, points)
    experiments, outcomes = _ema(experiment, points, means)
    levels = [_levels(experiment, points, f.path) for f in experiment.factors]
    sensitivity = _sensitivity(experiment, means) if experiment.design == "sobol" else None
    return Tables(results, experiments, outcomes, _main_effects(levels, whole), sensitivity)


def _point_values(tasks: list[Task], read: Callable[[Task], TaskOutput]) -> tuple[list[Key], Any]:
    """A point's kept rows and its values, one column per replication, in replication order."""
    outputs = [read(task) for task in sorted(tasks)]
    rows = outputs[0].rows
    if any(output.rows != rows for output in outputs[1:]):
        raise ValueError(f"tasks of point {tasks[0].point} disagree on their rows")
    return rows, np.hstack([output.values for output in outputs])


class _Columns:
    """Rows of a long table gathered as columns, made into one DataFrame at the end."""

    def __init__(self, names: Sequence[str] = STAT_COLUMNS) -> None:
        self.names = list(names)
        self.keys: list[Key] = []
        self.stats: list[list[np.ndarray]] = [[] for _ in self.names]
        self.extra: dict[str, list[Any]] = {}

    def add(self, rows: Sequence[Key], stats: Sequence[np.ndarray], **constant: Any) -> None:
        self.keys.extend(rows)
        for column, values in zip(self.stats, stats, strict=True):
            column.append(np.asarray(values))
        for name, value in constant.items():
            self.extra.setdefault(name, []).extend([value] * len(rows))

    def frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(self.keys, columns=list(ROW_KEYS), dtype=object)
        for name, parts in zip(self.names, self.stats, strict=True):
            frame[name] = np.concatenate(parts) if parts else []
        for name, values in self.extra.items():
            frame[name] = values
        return frame


def _with_point_columns(
    frame: pd.DataFrame, experiment: Experiment, points: list[Point]
) -> pd.DataFrame:
    """Point id and each factor's value first, then the summary columns."""
    paths = [f.path for f in experiment.factors]
    values = pd.DataFrame(points, columns=paths)
    values.insert(0, POINT, range(len(points)))
    return values.merge(frame, on=POINT, how="right")[[POINT, *paths, *ROW_KEYS, *STAT_COLUMNS]]


# --- main effects -----------------------------------------------------------------------


@dataclass(frozen=True)
class Levels:
    """The level (or bin) of one factor at each point, and what each level stands for."""

    factor: str
    of_point: np.ndarray  # level index of each point
    value: list[Any]  # the level, or the mean value in the bin
    low: list[Any]
    high: list[Any]


def _levels(experiment: Experiment, points: list[Point], path: str) -> Levels:
    values = [point[path] for point in points]
    distinct = list({repr(v): v for v in values}.values())  # levels may be lists: key by repr
    if experiment.design == "grid" or len(distinct) <= MAX_LEVELS:
        if experiment.design != "grid":
            distinct.sort()
        index = {repr(value): i for i, value in enumerate(distinct)}
        of_point = np.array([index[repr(v)] for v in values], dtype=np.intp)
        return Levels(path, of_point, distinct, distinct, distinct)
    numbers = np.asarray(values, dtype=float)
    ranks = np.argsort(np.argsort(numbers, kind="stable"), kind="stable")
    of_point = ranks * BINS // len(values)
    members = [numbers[of_point == b] for b in range(BINS)]
    return Levels(
        path,
        of_point,
        [float(m.mean()) for m in members],
        [float(m.min()) for m in members],
        [float(m.max()) for m in members],
    )


def _main_effects(levels: list[Levels], whole: list[dict[Key, np.ndarray]]) -> pd.DataFrame:
    """Each level's mean over its points, replication by replication, then across
    replications; and its paired change from the factor's first level."""
    rows = list(dict.fromkeys(row for point in whole for row in point))
    replications = min((len(v) for point in whole for v in point.values()), default=0)
    values = np.full((len(whole), len(rows), replications), np.nan)  # (points, rows, reps)
    index = {row: i for i, row in enumerate(rows)}
    for p, point in enumerate(whole):
        for row, series in point.items():
            values[p, index[row]] = series[:replications]
    table = _Columns((*STAT_COLUMNS, *CHANGE_COLUMNS))
    for factor in levels:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a row undefined at every point
            per_level = [
                np.nanmean(values[factor.of_point == level], axis=0)
                for level in range(len(factor.value))
            ]  # each (rows, reps)
        for level, means in enumerate(per_level):
            value, change = Accumulator(len(rows)), Accumulator(len(rows), paired=True)
            for r in range(replications):
                value.add(means[:, r])
                change.add(means[:, r] - per_level[0][:, r])
            stats = [*value.result(CONFIDENCE), value.count, *change.result(CONFIDENCE)]
            table.add(
                rows,
                stats,
                factor=factor.factor,
                level=factor.value[level],
                level_low=factor.low[level],
                level_high=factor.high[level],
                points=int((factor.of_point == level).sum()),
            )
    frame = table.frame()
    return frame[
        [
            "factor",
            "level",
            "level_low",
            "level_high",
            "points",
            *ROW_KEYS,
            *STAT_COLUMNS,
            *CHANGE_COLUMNS,
        ]
    ]


# --- Sobol' indices -------------------------------------------------------------------


def sobol_indices(factors: list[str], outputs: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    """First-order and total Sobol' indices, with bootstrap 95% half-widths (SALib).

    ``outputs`` are the model's values at the points of :func:`.design.sobol_sample`,
    in its order. Returns ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` (one entry per factor).
    """
    from SALib.analyze import sobol

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = sobol.analyze(
            unit_problem(len(factors), list(factors)),
            np.asarray(outputs, dtype=float),
            calc_second_order=False,
            num_resamples=BOOTSTRAP,
            conf_level=CONFIDENCE,
            seed=seed + 1,  # SALib ignores a seed of 0 (``if seed:``) and draws unseeded
        )
    return {name: np.asarray(result[name]) for name in ("S1", "S1_conf", "ST", "ST_conf")}


def _sensitivity(experiment: Experiment, means: list[dict[Key, float]]) -> pd.DataFrame:
    """Indices for every kept row defined, and not constant, at every point."""
    factors = [f.path for f in experiment.factors]
    records = []
    for row in means[0]:
        outputs = np.array([point.get(row, np.nan) for point in means])
        if not np.isfinite(outputs).all() or np.ptp(outputs) == 0:
            continue
        indices = sobol_indices(factors, outputs, experiment.seed)
        for i, factor in enumerate(factors):
            s1, s1_hw = indices["S1"][i], indices["S1_conf"][i]
            st, st_hw = indices["ST"][i], indices["ST_conf"][i]
            records.append((*row, factor, s1, s1 - s1_hw, s1 + s1_hw, st, st - st_hw, st + st_hw))
    columns = ["factor", "s1", "s1_ci_low", "s1_ci_high", "st", "st_ci_low", "st_ci_high"]
    table = pd.DataFrame(records, columns=[*ROW_KEYS, *columns])
    table["points"] = len(means)
    return table


# --- the EMA Workbench shape -------------------------------------------------------------


def _ema(
    experiment: Experiment, points: list[Point], means: list[dict[Key, float]]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(experiments, outcomes) as EMA Workbench's analysis functions read them.

    ``experiments``: one row per point, a column per factor, then ``scenario`` (the
    point id), ``policy`` and ``model``. ``outcomes``: the same rows, one column per
    kept indicator row (its mean), named by its levels and metric.
    """
    experiments = pd.DataFrame(points, columns=[f.path for f in experiment.factors])
    experiments["scenario"] = range(len(points))
    experiments["policy"] = "none"
    experiments["model"] = experiment.name
    rows = list(dict.fromkeys(row for point in means for row in point))
    outcomes = pd.DataFrame(
        {outcome_name(row): [point.get(row, np.nan) for point in means] for row in rows}
    )
    return experiments, outcomes
