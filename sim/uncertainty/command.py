"""``mrasim compare --uncertainty N`` and ``mrasim run --uncertainty N``: the study, with a
progress bar, then what it found (the nominal tables, the answer led by its plausible
range, the ranges by country and the drivers) and how it was made."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from sim.experiment.command import ProgressBar
from sim.experiment.run import ExperimentStopped
from sim.interpret.answer import answer_json, answer_of
from sim.interpret.tables import terminal_width
from sim.interpret.terminal import View
from sim.interpret.text import comparison_text, run_text
from sim.language import _
from sim.language.formats import decimal
from sim.model.schema import Scenario
from sim.results.atomic import records_of
from sim.results.files import comparison_record, run_record, save_uncertain
from sim.uncertainty.analysis import MIN_DRAWS
from sim.uncertainty.result import UncertaintyResult
from sim.uncertainty.run import run_study
from sim.uncertainty.study import Variants, plan_study

STORE = "draws"
"""With ``--out DIR`` a study's tasks are kept in ``DIR/draws/<digest>``."""


def uncertain_command(
    args: argparse.Namespace,
    bases: Sequence[Scenario],
    variants: Variants,
    prepare: Callable[[], None] = lambda: None,
) -> int:
    """Plan, run (or resume) and report a study of ``bases`` made into ``variants``;
    ``prepare`` claims the ``--out`` folder once the study is known to be valid (a refused
    study makes no folder)."""
    study = plan_study(
        list(bases),
        variants,
        args.uncertainty,
        vary=args.vary,
        design=args.design,
        replications=args.replications,
        seed=args.seed,
        engine=args.engine,
    )
    prepare()
    store = None if args.out is None else Path(args.out) / STORE
    bar = ProgressBar(enabled=not args.quiet and not args.json and sys.stderr.isatty())
    try:
        with bar:
            result = run_study(
                study,
                executor=args.executor,
                address=args.address,
                workers=args.workers,
                store=store,
                progress=bar.update,
            )
    except ExperimentStopped as stop:
        print(f"mrasim: {stop}", file=sys.stderr)
        return stop.exit_status
    if args.out is not None:
        save_uncertain(result, args.out, args.command_line, args.country)
    if args.json:
        print(json.dumps(_json(result, args.command_line, args.country)))
        return 0
    view = View(terminal_width(), args.country, args.group, args.metric)
    text = run_text if result.is_run else comparison_text
    print(text(result.to_results(), view))
    if not args.quiet:
        print("\n" + footer(result, args.engine, args.out))
    return 0


def footer(result: UncertaintyResult, engine: str, out: Path | None) -> str:
    """How the numbers were made: draws, replications, tasks, where they are kept."""
    study = result.study
    how = _(
        "{draws} draws x {replications} replications, and {nominal} at the scenario's own "
        "values; {tasks} tasks: {computed} computed, {reused} found stored in {folder}; "
        "{executor}; engine {engine}, seed {seed}, {seconds} s"
    ).format(
        draws=study.points,
        replications=study.replications,
        nominal=study.nominal_replications,
        tasks=result.tasks,
        computed=result.computed,
        reused=result.reused,
        folder=result.folder,
        executor=result.executor,
        engine=engine,
        seed=study.seed,
        seconds=decimal(result.seconds, 1),
    )
    if study.points < MIN_DRAWS:  # else the ranges read "-" with no word why
        how += ". " + _(
            "Fewer than {least} draws give no plausible range: ask for {least} or more."
        ).format(least=MIN_DRAWS)
    return _("{how}; written to {folder}").format(how=how, folder=out) if out else how


def _json(
    result: UncertaintyResult, command: Sequence[str], countries: Sequence[str] | None
) -> dict[str, object]:
    if result.is_run:
        record = run_record(result.run, command, countries)
        record["summary"] = records_of(result.run.table())
    else:
        record = comparison_record(result.nominal, command, countries)
        record["summary"] = records_of(result.nominal.table())
    return record | {
        "answer": answer_json(answer_of(result.to_results(), countries)),
        "uncertainty": result.meta(),
        "ranges": records_of(result.table),
        "drivers": records_of(result.drivers),
    }
