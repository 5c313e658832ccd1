"""``mrasim experiment``: run or resume an experiment file, with a progress bar, and say
what came out (a table of the whole-scenario indicators per point) and how."""

from __future__ import annotations

import argparse
import copy
import sys
from typing import Any, cast

import pandas as pd

from sim.experiment.keys import ROW_KEYS, group_of, is_whole_scenario, shown_metrics
from sim.experiment.run import (
    ExperimentResult,
    ExperimentStopped,
    Progress,
    Ranges,
    run_experiment,
)
from sim.experiment.spec import Experiment, short_names
from sim.interpret.answer import Settings
from sim.interpret.tables import fit_table, terminal_width
from sim.interpret.terminal import estimate_cell, indicator_name, wrap
from sim.language import _, ngettext, pgettext
from sim.language.formats import decimal
from sim.model.load import scenario_from_dict
from sim.model.uncertain import count_uncertain
from sim.model.vocabulary import ALL, ELIGIBLE
from sim.replicate.stats import Estimate

SHOWN_POINTS = 20
SHOWN_INDICATORS = 5


def experiment_command(args: argparse.Namespace, ranges: Ranges | None = None) -> int:
    """The ``experiment`` subcommand (arguments parsed by :mod:`sim.cli`); ``ranges`` runs
    the draws of the uncertain inputs (given by the CLI: a stage above this one)."""
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
                replications=args.replications,
                points=args.points,
                notice=None if args.quiet else _say,
                uncertainty=getattr(args, "uncertainty", None),
                ranges=ranges,
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
                total=progress.replications_total,
                unit=pgettext("progress bar unit", "rep"),
                file=sys.stderr,
                leave=False,
            )
            self.bar.set_description(_("replications"), refresh=False)
        computed = progress.computed - self.seen.computed
        stored = progress.replications_done - self.seen.replications_done - computed
        self.bar.total = progress.replications_total
        self.bar.n += stored  # found in the store: no time was spent on them
        tasks = _("tasks {done}/{total}").format(
            done=progress.tasks_done, total=progress.tasks_total
        )
        self.bar.set_postfix_str(tasks, False)
        self.bar.update(computed)
        self.seen = progress


def digest(result: ExperimentResult, width: int | None = None) -> str:
    """The whole-scenario indicators of each point (for all shipments, and for the eligible
    ones beside them when a factor is the arrangement's), then how the numbers were made.

    Cells are those of ``mrasim compare`` (shares in percent, every mean rounded to its 95%
    half-width); a whole scenario that pools countries whose clocks differ is said to.
    """
    experiment = result.experiment
    width = terminal_width() if width is None else width
    results = result.tables.results
    overall = results[_whole(results)]
    metrics = shown_metrics(overall["metric"].tolist(), experiment.indicators, SHOWN_INDICATORS)
    names = short_names([f.path for f in experiment.factors])
    groups = [ALL, ELIGIBLE] if _moves_eligible(experiment) else [ALL]
    header = [pgettext("table header", "point"), *names.values()]
    header += [pgettext("table header", "group")] if len(groups) > 1 else []
    header += [indicator_name(m) for m in metrics]
    rows: list[list[str]] = []
    for shown, (point, frame) in enumerate(overall.groupby("point", sort=True)):
        if shown == SHOWN_POINTS:
            break
        # pandas-stubs types a group's key as any scalar; those of the "point" column are ints
        values = result.points[int(cast(int, point))]
        for group in groups:
            cells = [_cell(frame, m, group) for m in metrics]
            if group != ALL and all(c == "-" for c in cells):
                continue
            rows.append(
                [
                    str(point),
                    *(_value(values[path]) for path in names),
                    *([group] if len(groups) > 1 else []),
                    *cells,
                ]
            )
    points = len(result.points)
    replications = _replication_range(results)
    head = _head(len(names), len(groups) > 1).format(
        name=experiment.name,
        points=points,
        design=experiment.design,
        factors=len(names),
        replications=replications,
    )
    parts = [
        wrap(head, width),
        "",
        fit_table(header, rows, len(header) - len(metrics), width),
    ]
    if points > SHOWN_POINTS:
        parts.append(
            _("(the first {shown} of {points} points)").format(shown=SHOWN_POINTS, points=points)
        )
    pooled = _pooled_clocks(experiment)
    if pooled:
        parts.append(wrap(pooled, width))
    parts.append(wrap(_intervals(result), width))
    if result.tables.sensitivity is not None:
        parts += ["", _sobol_lines(result.tables.sensitivity, metrics, names)]
    how = _(
        "{tasks} tasks: {computed} computed, {reused} found stored; {executor}; seed {seed}; "
        "{seconds} s; every indicator, level and point in {folder}/results.csv; figures: "
        "mrasim report {folder}"
    ).format(
        tasks=result.tasks,
        computed=result.computed,
        reused=result.reused,
        executor=result.executor,
        seed=experiment.seed,
        seconds=decimal(result.seconds, 1),
        folder=result.folder,
    )
    if experiment.overrides:
        trial = ", ".join(f"{k} {v}" for k, v in experiment.overrides.items())
        how = _("a trial run ({overrides}); {how}").format(overrides=trial, how=how)
    parts.append("\n" + wrap(how, width))
    return "\n".join(parts)


def _intervals(result: ExperimentResult) -> str:
    """What the half-widths count: simulation noise only, and where the plausible ranges
    over the scenario's uncertain inputs are (or how to get them)."""
    experiment = result.experiment
    if "plausible_low" in result.tables.results.columns:
        return _(
            "The half-widths count simulation noise only; each point's plausible range over "
            "{draws} draws of the scenario's uncertain inputs is in results.csv "
            "(plausible_low, plausible_high, input_share)."
        ).format(draws=experiment.uncertainty)
    scenario = scenario_from_dict(copy.deepcopy(experiment.base), experiment.source)
    if count_uncertain(scenario) == 0:
        return _(
            "The half-widths count simulation noise only: the scenario declares no uncertain "
            "inputs."
        )
    return _(
        "The half-widths count simulation noise only: the scenario's uncertain inputs are not "
        "drawn (uncertainty: N in the file, or --uncertainty N, adds each point's plausible "
        "range)."
    )


def _head(factors: int, eligible: bool) -> str:
    """What the digest's table holds, as a template: all shipments, and the eligible ones
    beside them when a factor is the arrangement's."""
    if eligible:
        return ngettext(
            "{name}: {points} points ({design} over {factors} factor) x {replications} "
            "replications on common random numbers; means of the whole scenario with 95% "
            "half-widths (clearance in hours), all shipments and eligible (partner-AEO) "
            "shipments, the ones the arrangement's factor moves",
            "{name}: {points} points ({design} over {factors} factors) x {replications} "
            "replications on common random numbers; means of the whole scenario with 95% "
            "half-widths (clearance in hours), all shipments and eligible (partner-AEO) "
            "shipments, the ones the arrangement's factor moves",
            factors,
        )
    return ngettext(
        "{name}: {points} points ({design} over {factors} factor) x {replications} replications "
        "on common random numbers; means of the whole scenario with 95% half-widths (clearance "
        "in hours), all shipments",
        "{name}: {points} points ({design} over {factors} factors) x {replications} "
        "replications on common random numbers; means of the whole scenario with 95% "
        "half-widths (clearance in hours), all shipments",
        factors,
    )


def _moves_eligible(experiment: Experiment) -> bool:
    """Whether a factor is the arrangement's (its utilisation, what it grants): it moves the
    eligible shipments, a few per cent of all, whose change "all shipments" hides."""
    return any(f.path.startswith("arrangement.") for f in experiment.factors)


def _pooled_clocks(experiment: Experiment) -> str:
    """The warning ``compare`` gives: whole-scenario rows pool countries whose clearance
    clocks (may) differ."""
    scenario = scenario_from_dict(copy.deepcopy(experiment.base), experiment.source)
    countries = [code for code, country in scenario.countries.items() if country.ports]
    settings = Settings.of(["base"], [scenario])
    if len(countries) < 2 or not settings.clocks_differ(countries):
        return ""
    if None in {settings.clocks.get(c) for c in countries}:  # a country states no clock
        pooled = _(
            "the whole scenario pools {countries} countries whose clearance clocks may differ; "
            "compare within a country (results.csv has each country)."
        )
    else:
        pooled = _(
            "the whole scenario pools {countries} countries whose clearance clocks differ; "
            "compare within a country (results.csv has each country)."
        )
    return pooled.format(countries=len(countries))


def _overall(frame: pd.DataFrame) -> list[bool]:
    """Rows of the whole scenario and all shipments."""
    keys = frame[list(ROW_KEYS)].itertuples(index=False, name=None)
    return [is_whole_scenario(key) and group_of(key) == ALL for key in keys]


def _whole(frame: pd.DataFrame) -> list[bool]:
    """Rows of the whole scenario, of any group."""
    keys = frame[list(ROW_KEYS)].itertuples(index=False, name=None)
    return [is_whole_scenario(key) for key in keys]


def _replication_range(results: pd.DataFrame) -> str:
    counts = results.groupby("point")["replications"].max()
    low, high = int(counts.min()), int(counts.max())
    return str(low) if low == high else f"{low}-{high}"


def _value(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _cell(frame: pd.DataFrame, metric: str, group: str) -> str:
    """A point's value of ``metric`` for ``group``, as ``compare`` prints it."""
    rows = frame[(frame.metric == metric) & (frame.group == group)]
    if rows.empty:
        return "-"
    mean, low, high = rows.iloc[0][["mean", "ci_low", "ci_high"]]
    return estimate_cell(Estimate(float(mean), float(low), float(high)), metric)


def _sobol_lines(sensitivity: pd.DataFrame, metrics: list[str], names: dict[str, str]) -> str:
    """Total Sobol' indices of the whole-scenario rows, largest first."""
    overall = sensitivity[_overall(sensitivity)]
    lines = [_("Sobol' total indices (95% intervals), whole scenario:")]
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
