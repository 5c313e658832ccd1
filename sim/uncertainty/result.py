"""A study's result: the nominal comparison, and its tables over the uncertain inputs.

:func:`collect` reads a study's stored tasks back, point by point in replication order,
and makes

* the **nominal** comparison (or run): the scenarios at their own values, exactly what
  ``compare`` (``run``) gives without ``--uncertainty`` for the same replications;
* ``uncertainty``: one row per level, group and metric of every scenario (``value``),
  paired difference (``difference``), relative change (``relative``, percent) and annual
  saving of the cost of delay (``saving``, USD a year): the ``central`` estimate at the
  scenario's values with its simulation-noise interval (``noise_low``, ``noise_high``),
  the ``plausible_low`` and ``plausible_high`` bounds over the inputs, and the
  ``input_share`` of its variance (:mod:`.analysis`);
* ``drivers``: for the headline effects of every country, mode and the region, each
  input's first-order index (and total index, from a Sobol' design) with its interval;
* ``draws``: each draw's input values and headline effects by country.

:class:`UncertaintyResult` holds them, and writes and prints itself as the nominal
comparison does, through the one result record (:class:`sim.replicate.result.Results`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.experiment.tasks import Task, TaskOutput
from sim.indicators.layout import ROW_KEYS, cost_metric
from sim.interpret.numbers import Kind, kind_of
from sim.model.vocabulary import ALL, ELIGIBLE, NOT_ELIGIBLE
from sim.replicate.result import ComparisonResult, Results, RunResult, Where
from sim.replicate.runner import comparison_of
from sim.replicate.stats import Estimate
from sim.uncertainty import analysis
from sim.uncertainty.study import Study, describe

KEY_COLUMNS = ["kind", "scenario", "versus", *ROW_KEYS]
"""The key columns of ``comparison.csv``."""
STAT_COLUMNS = [
    "central",
    "noise_low",
    "noise_high",
    "plausible_low",
    "plausible_high",
    "input_share",
    "draws",
]
DRIVER_COLUMNS = [
    "input",
    "first_order",
    "first_order_low",
    "first_order_high",
    "total",
    "total_low",
    "total_high",
]
CLEARANCE = "clearance_h_mean"
GREEN = "green_share"
RowKey = tuple[Any, ...]


def effects(kind: str, rate: float | None) -> list[tuple[str, str, str]]:
    """(kind, group, metric) of the headline effects whose drivers are found."""
    if kind == "run":
        return [("value", ALL, CLEARANCE), ("value", ELIGIBLE, CLEARANCE), ("value", ALL, GREEN)]
    found = [
        ("relative", ELIGIBLE, CLEARANCE),
        ("difference", ELIGIBLE, CLEARANCE),
        ("difference", ELIGIBLE, GREEN),
        ("relative", ALL, CLEARANCE),
        ("difference", NOT_ELIGIBLE, CLEARANCE),
    ]
    if rate is not None:
        found.append(("saving", ALL, cost_metric(rate)))
    return found


@dataclass
class UncertaintyResult:
    """A study's numbers (see the module docstring)."""

    study: Study
    nominal: ComparisonResult
    table: pd.DataFrame
    drivers: pd.DataFrame
    draws: pd.DataFrame
    tasks: int = 0
    computed: int = 0
    reused: int = 0
    executor: str = ""
    folder: Path | None = None
    seconds: float = 0.0
    noise: dict[str, float] = field(default_factory=dict)

    @property
    def is_run(self) -> bool:
        return self.study.variants.kind == "run"

    @property
    def run(self) -> RunResult:
        """A run's nominal result (its scenario at its own values)."""
        result = self.nominal.results[0]
        result.stop_reason = self.nominal.stop_reason
        return result

    def meta(self) -> dict[str, Any]:
        """What ``run.json`` says of the study."""
        study = self.study
        return {
            "draws": study.draws,
            "points": study.points,
            "design": study.design,
            "replications_per_draw": study.replications,
            "nominal_replications": study.nominal_replications,
            "seed": study.seed,
            "inputs": [describe(item) for item in study.inputs],
            "noise_share": self.noise,
            "store": str(self.folder) if self.folder else None,
            "digest": study.digest,
        }

    def to_results(self, meta: dict[str, Any] | None = None) -> Results:
        """The result record, with the tables over the inputs."""
        base = self.run.to_results(meta) if self.is_run else self.nominal.to_results(meta)
        merged = {**base.meta, "uncertainty": self.meta()}
        return dataclasses.replace(
            base, meta=merged, uncertainty=self.table, drivers=self.drivers, draws=self.draws
        )

    def save(self, folder: str | Path, command: Sequence[str] | None = None) -> Path:
        """Write the files of ``--out``: the nominal's, then ``uncertainty.csv``,
        ``drivers.csv`` and ``draws.csv``."""
        from sim.results.files import save_uncertain

        return save_uncertain(self, Path(folder), command)

    def digest(self, width: int = 100) -> str:
        """What ``mrasim compare --uncertainty`` (``run --uncertainty``) prints."""
        from sim.interpret.terminal import View
        from sim.interpret.text import comparison_text, run_text

        text = run_text if self.is_run else comparison_text
        return text(self.to_results(), View(width))


# --- from the store ------------------------------------------------------------------


def collect(
    study: Study, tasks: list[list[Task]], read: Callable[[Task], TaskOutput]
) -> UncertaintyResult:
    """The study's result from its stored tasks (see the module docstring)."""
    scenarios, labels = study.nominal()
    nominal = _nominal(study, scenarios, labels, [read(t) for t in sorted(tasks[0])])
    names = (
        list(nominal.to_results().labels) if study.variants.kind != "run" else [scenarios[0].name]
    )
    rows, values = _draw_values([[read(t) for t in sorted(point)] for point in tasks[1:]])
    results = (
        nominal.results[0].to_results() if study.variants.kind == "run" else nominal.to_results()
    )
    blocks = _blocks(labels, names, rows, values, study, results)
    table = _table(blocks)
    rate = _central_rate(scenarios[0])
    wanted = effects(study.variants.kind, rate)
    drivers, draws, noise = _drivers(study, blocks, wanted)
    return UncertaintyResult(study, nominal, table, drivers, draws, noise=noise)


def _nominal(
    study: Study, scenarios: list[Any], labels: list[str], outputs: list[TaskOutput]
) -> ComparisonResult:
    """The nominal comparison from its tasks: each replication's vector of every scenario."""
    label_of = [key[0] for key in outputs[0].rows]
    masks = [np.array([lab == label for lab in label_of]) for label in labels]
    columns = ((out, c) for out in outputs for c in range(out.values.shape[1]))
    numbered = ((r, [out.values[m, c] for m in masks]) for r, (out, c) in enumerate(columns))
    return comparison_of(scenarios, labels, numbered, study.engine, study.seed)


def _draw_values(points: list[list[TaskOutput]]) -> tuple[list[RowKey], np.ndarray]:
    """Every draw's kept rows (by their keys, the first draw's order) and values
    (draws, rows, replications); NaN where a draw lacks a row."""
    first = points[0][0].rows
    index = {key: i for i, key in enumerate(first)}
    replications = sum(output.values.shape[1] for output in points[0])
    values = np.full((len(points), len(first), replications), np.nan)
    for d, outputs in enumerate(points):
        block = np.hstack([output.values for output in outputs])
        if outputs[0].rows == first:
            values[d] = block
            continue
        for i, key in enumerate(outputs[0].rows):
            j = index.get(key)
            if j is not None:
                values[d, j] = block[i]
    return list(first), values


# --- the long table ----------------------------------------------------------------------


@dataclass
class Block:
    """Rows of one kind and scenario: their keys, per-draw statistics and central values."""

    kind: str
    scenario: str
    versus: str | None
    keys: list[RowKey]  # ROW_KEYS tuples
    stats: analysis.DrawStats
    central: list[Estimate]
    spread: analysis.Spread = field(init=False)

    def __post_init__(self) -> None:
        self.spread = analysis.spread(self.stats)


def _blocks(
    labels: list[str],
    names: list[str],
    rows: list[RowKey],
    values: np.ndarray,
    study: Study,
    results: Results,
) -> list[Block]:
    """Values of each scenario, then each compared scenario's difference, relative change
    and annual saving, from the baseline."""
    per: dict[str, dict[RowKey, int]] = {label: {} for label in labels}
    for i, key in enumerate(rows):
        per[key[0]][tuple(key[1:])] = i
    blocks = []
    for label, name in zip(labels, names, strict=True):
        keys = list(per[label])
        own = values[:, [per[label][k] for k in keys], :]
        central = [results.get("value", name, Where(*k[:5]), k[5]) for k in keys]
        blocks.append(Block("value", name, None, keys, analysis.value_stats(own), central))
    base, base_name = labels[0], names[0]
    for label, name in zip(labels[1:], names[1:], strict=True):
        keys = [k for k in per[label] if k in per[base]]
        mine = values[:, [per[label][k] for k in keys], :]
        theirs = values[:, [per[base][k] for k in keys], :]
        where = [Where(*k[:5]) for k in keys]
        central = [
            results.get("difference", name, w, k[5]) for w, k in zip(where, keys, strict=True)
        ]
        blocks.append(
            Block(
                "difference",
                name,
                base_name,
                keys,
                analysis.difference_stats(mine, theirs),
                central,
            )
        )
        relative = [i for i, k in enumerate(keys) if kind_of(k[5]) is not Kind.SHARE]
        rel_keys = [keys[i] for i in relative]
        blocks.append(
            Block(
                "relative",
                name,
                base_name,
                rel_keys,
                analysis.relative_stats(mine[:, relative], theirs[:, relative]),
                [_relative(results, name, Where(*k[:5]), k[5]) for k in rel_keys],
            )
        )
        blocks.append(
            _saving(name, base_name, keys, mine, theirs, per[label], values, study, results)
        )
    return blocks


def _relative(results: Results, label: str, where: Where, metric: str) -> Estimate:
    return results.relative(label, where, metric)


def _saving(
    name: str,
    base_name: str,
    keys: list[RowKey],
    mine: np.ndarray,
    theirs: np.ndarray,
    rows: dict[RowKey, int],
    values: np.ndarray,
    study: Study,
    results: Results,
) -> Block:
    """The cost of delay saved a year by all of an area's shipments: minus the change per
    shipment, times the shipments counted a day (in the same draw), times 365."""
    from sim.interpret.answer import annual_saving

    horizon = float(study.bases[0].horizon_days)
    picked, stats_mean, stats_noise, central = [], [], [], []
    difference = analysis.difference_stats(mine, theirs)
    for i, key in enumerate(keys):
        if not key[5].startswith("delay_cost_usd_") or key[3] != ALL:
            continue
        count = rows.get((*key[:5], "shipments"))
        if count is None:
            continue
        with np.errstate(invalid="ignore"):
            shipments = np.nanmean(values[:, count, :], axis=1)
        factor = -365 * shipments / horizon
        picked.append(key)
        stats_mean.append(difference.mean[:, i] * factor)
        stats_noise.append(difference.noise[:, i] * factor**2)
        where = Where(*key[:5])
        change = results.get("difference", name, where, key[5])
        central.append(
            annual_saving(change, results.get("value", name, where, "shipments").mean, horizon)
        )
    shape = (values.shape[0], len(picked))
    stats = analysis.DrawStats(
        np.array(stats_mean).T.reshape(shape), np.array(stats_noise).T.reshape(shape)
    )
    return Block("saving", name, base_name, picked, stats, central)


def _table(blocks: list[Block]) -> pd.DataFrame:
    frames = []
    for block in blocks:
        frame = pd.DataFrame(block.keys, columns=list(ROW_KEYS), dtype=object)
        frame.insert(0, "versus", block.versus)
        frame.insert(0, "scenario", block.scenario)
        frame.insert(0, "kind", block.kind)
        frame["central"] = [c.mean for c in block.central]
        frame["noise_low"] = [c.low for c in block.central]
        frame["noise_high"] = [c.high for c in block.central]
        spread = block.spread
        frame["plausible_low"], frame["plausible_high"] = spread.low, spread.high
        frame["input_share"], frame["draws"] = spread.input_share, spread.draws
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)[KEY_COLUMNS + STAT_COLUMNS]


# --- drivers -----------------------------------------------------------------------------


def _driver_columns(
    blocks: list[Block], wanted: list[tuple[str, str, str]]
) -> list[tuple[Block, int]]:
    """The headline effects at every country, country-mode, region and region-mode."""
    chosen = []
    for block in blocks:
        for i, key in enumerate(block.keys):
            country, mode, port, group, station, metric = key
            del country, mode
            if port == ALL and station is None and (block.kind, group, metric) in wanted:
                chosen.append((block, i))
    return chosen


def _drivers(
    study: Study, blocks: list[Block], wanted: list[tuple[str, str, str]]
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, float]]:
    columns = _driver_columns(blocks, wanted)
    y = np.column_stack([b.stats.mean[:, i] for b, i in columns]) if columns else np.empty((0, 0))
    share = np.array([b.spread.input_share[i] for b, i in columns])
    if study.design == "sobol":
        found = analysis.sobol_drivers(y, len(study.inputs), share, study.seed)
    else:
        found = analysis.drivers(study.unit, y, share, study.seed)
    records = []
    for j, (block, i) in enumerate(columns):
        key = (block.kind, block.scenario, block.versus, *block.keys[i])
        for k, item in enumerate(study.inputs):
            total = [math.nan] * 3
            if found.total is not None:
                assert found.total_low is not None and found.total_high is not None
                total = [found.total[k, j], found.total_low[k, j], found.total_high[k, j]]
            records.append(
                (
                    *key,
                    item.name,
                    found.first[k, j],
                    found.first_low[k, j],
                    found.first_high[k, j],
                    *total,
                )
            )
    drivers = pd.DataFrame(records, columns=KEY_COLUMNS + DRIVER_COLUMNS)
    draws = _draw_frame(study, columns)
    noise = _noise_summary(columns)
    return drivers, draws, noise


def _draw_frame(study: Study, columns: list[tuple[Block, int]]) -> pd.DataFrame:
    """Each draw's input values, and its headline effects of every country and the region."""
    frame = pd.DataFrame(
        [study.values(d) for d in range(study.points)], columns=[i.name for i in study.inputs]
    )
    frame.insert(0, "draw", range(1, study.points + 1))
    effects_ = {}
    for block, i in columns:
        country, mode, _, group, _, metric = block.keys[i]
        if mode == ALL:
            name = f"{block.kind} {block.scenario} {country} {group} {metric}"
            effects_[name] = block.stats.mean[:, i]
    return pd.concat([frame, pd.DataFrame(effects_)], axis=1)


def _noise_summary(columns: list[tuple[Block, int]]) -> dict[str, float]:
    """The share of variance left to noise over the headline effects of countries and the
    region: its median and its largest."""
    left = [
        1 - block.spread.input_share[i]
        for block, i in columns
        if block.keys[i][1] == ALL and math.isfinite(block.spread.input_share[i])
    ]
    if not left:
        return {}
    return {"median": float(np.median(left)), "largest": float(np.max(left))}


def _central_rate(scenario: Any) -> float | None:
    rates = list(scenario.cost_of_delay.rates_per_day)
    return sorted(rates)[len(rates) // 2] if rates else None
