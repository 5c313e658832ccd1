"""``mrasim experiment``: run or resume an experiment file, with a progress bar, and say
what came out (a table of the whole-scenario indicators per point) and how."""

from __future__ import annotations

import argparse
import math
import sys
from typing import Any, cast

import numpy as np
import pandas as pd

from sim.experiment.keys import ROW_KEYS, group_of, is_whole_scenario, shown_metrics
from sim.experiment.run import ExperimentResult, ExperimentStopped, Progress, run_experiment
from sim.experiment.spec import short_names
from sim.interpret.tables import text_table
from sim.model.vocabulary import ALL

SHOWN_POINTS = 20
SHOWN_INDICATORS = 5


def experiment_command(args: argparse.Namespace) -> int:
    """The ``experiment`` subcommand (arguments parsed by :mod:`sim.cli`)."""
    bar = ProgressBar(enabled=not args.quiet and sys.stderr.isatty())
    try:
        with bar:
            result = run_experiment(
                args.file,
                executor=args.executor,
                address=args.address,
                workers=args.workers,
                out=args.out,
                fresh=args.fresh,
                progress=bar.update,
                notice=None if args.quiet else _say,
            )
    except ExperimentStopped as stop:
        print(f"mrasim: {stop}", file=sys.stderr)
        return stop.exit_status
    if not args.quiet:
        print(digest(result))
    return 0


def _say(line: str) -> None:
    print(f"mrasim: {line}", file=sys.stderr, flush=True)


class ProgressBar:
    """Tasks done of planned, replications per second and time left, on a terminal only.

    Replications found in the store move the bar without counting towards the rate.
    """

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bar: Any = None
        self.seen = Progress(0, 0, 0, 0, 0)

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()

    def update(self, progress: Progress) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(
                total=progress.replications_total, unit="rep", file=sys.stderr, leave=False
            )
            self.bar.set_description("replications", refresh=False)
        computed = progress.computed - self.seen.computed
        stored = progress.replications_done - self.seen.replications_done - computed
        self.bar.total = progress.replications_total
        self.bar.n += stored  # found in the store: no time was spent on them
        self.bar.set_postfix_str(f"tasks {progress.tasks_done}/{progress.tasks_total}", False)
        self.bar.update(computed)
        self.seen = progress


def digest(result: ExperimentResult) -> str:
    """The whole-scenario indicators of each point, then how the numbers were made."""
    experiment = result.experiment
    results = result.tables.results
    overall = results[_overall(results)]
    metrics = shown_metrics(overall["metric"].tolist(), experiment.indicators, SHOWN_INDICATORS)
    names = short_names([f.path for f in experiment.factors])
    header = ["point", *names.values(), *(m.replace("_", " ") for m in metrics)]
    rows: list[list[str]] = []
    for point, frame in overall.groupby("point", sort=True):
        if len(rows) == SHOWN_POINTS:
            break
        # pandas-stubs types a group's key as any scalar; those of the "point" column are ints
        values = result.points[int(cast(int, point))]
        cells = {m: _first_cell(frame, m) for m in metrics if (frame.metric == m).any()}
        rows.append(
            [
                str(point),
                *(_value(values[path]) for path in names),
                *(cells.get(m, "-") for m in metrics),
            ]
        )
    points = len(result.points)
    replications = _replication_range(results)
    parts = [
        f"{experiment.name}: {points} points ({experiment.design} over {len(names)} "
        f"factor{'s' if len(names) > 1 else ''}) x {replications} replications on common "
        "random numbers; whole-scenario means with 95% intervals, all shipments",
        "",
        text_table(header, rows, 1 + len(names)),
    ]
    if points > SHOWN_POINTS:
        parts.append(f"(the first {SHOWN_POINTS} of {points} points)")
    if result.tables.sensitivity is not None:
        parts += ["", _sobol_lines(result.tables.sensitivity, metrics, names)]
    parts.append(
        f"\n{result.tasks} tasks: {result.computed} computed, {result.reused} found stored; "
        f"{result.executor}; seed {experiment.seed}; {result.seconds:.1f} s; every indicator "
        f"and point in {result.folder}/results.csv; figures: mrasim report {result.folder}"
    )
    return "\n".join(parts)


def _overall(frame: pd.DataFrame) -> list[bool]:
    """Rows of the whole scenario and all shipments."""
    keys = frame[list(ROW_KEYS)].itertuples(index=False, name=None)
    return [is_whole_scenario(key) and group_of(key) == ALL for key in keys]


def _replication_range(results: pd.DataFrame) -> str:
    counts = results.groupby("point")["replications"].max()
    low, high = int(counts.min()), int(counts.max())
    return str(low) if low == high else f"{low}-{high}"


def _value(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _first_cell(frame: pd.DataFrame, metric: str) -> str:
    """The cell of the first row of ``metric`` in ``frame``."""
    mean, low, high = frame[frame.metric == metric].iloc[0][["mean", "ci_low", "ci_high"]]
    return _cell(mean, low, high, metric)


def _cell(mean: float, low: float, high: float, metric: str) -> str:
    if not math.isfinite(mean):
        return "-"
    digits = 3 if metric.endswith(("_share", "_rate", "utilisation")) else 2
    if metric == "shipments":
        digits = 0
    text = f"{mean:,.{digits}f}"
    if np.isfinite(low):
        text += f" ±{(high - low) / 2:,.{digits}f}"
    return text


def _sobol_lines(sensitivity: pd.DataFrame, metrics: list[str], names: dict[str, str]) -> str:
    """Total Sobol' indices of the whole-scenario rows, largest first."""
    overall = sensitivity[_overall(sensitivity)]
    lines = ["Sobol' total indices (95% intervals), whole scenario:"]
    for metric in metrics:
        rows = overall[overall.metric == metric].sort_values("st", ascending=False)
        if rows.empty:
            continue
        ranked = rows[["factor", "st", "st_ci_low", "st_ci_high"]].itertuples(
            index=False, name=None
        )
        shown = ", ".join(
            f"{names[factor]} {st:.2f} [{low:.2f}, {high:.2f}]" for factor, st, low, high in ranked
        )
        lines.append(f"  {metric.replace('_', ' ')}: {shown}")
    return "\n".join(lines)
