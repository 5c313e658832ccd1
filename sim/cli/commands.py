"""What each ``mrasim`` subcommand does with its parsed options."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from sim.errors import InputError
from sim.interpret.describe import scenario_warnings
from sim.interpret.tables import terminal_width
from sim.interpret.terminal import View
from sim.interpret.text import comparison_text, run_text
from sim.language import _, ngettext, pgettext
from sim.language.formats import decimal
from sim.model import os_text
from sim.model.iso3166 import country_codes
from sim.model.load import BUNDLED, expanded_yaml, load_scenario
from sim.model.schema import Scenario
from sim.model.variants import arrangement_variants, utilisation_variants
from sim.model.vocabulary import SUMMARY_GROUPS
from sim.plan.compile import compile_plan
from sim.records.trs import Collector
from sim.replicate import sizing
from sim.replicate.result import Results
from sim.replicate.runner import compare, run, said_stop_reason
from sim.replicate.warmup import short_warmups
from sim.results.atomic import (
    ParquetStream,
    claim_folder,
    records_of,
    replace_on_success,
)
from sim.results.files import (
    RESULT_FILES,
    comparison_record,
    run_record,
    save_comparison,
    save_run,
    workbook_of,
)

# --- commands -----------------------------------------------------------------

DEFAULT_SCENARIO = BUNDLED / "lac-regional.yaml"
"""What ``run``, ``compare`` and ``explore`` read when no scenario is named."""


def report_command(args: argparse.Namespace) -> int:
    from sim import write_report

    if args.folder.is_dir():  # not while another command writes there (it waits for nothing)
        claim_folder(args.folder, "folder")
    try:
        written = write_report(args.folder, args.output, args.country)
        book = workbook_of(args.folder, args.country) if args.xlsx else None
    except InputError as exc:
        if exc.source != "country":
            raise
        raise InputError("--country", exc.field, exc.problem) from None  # the API's name: a flag
    if not args.quiet:
        print(_("report written to {path}").format(path=written))
        if book is not None:
            print(_("workbook written to {path}").format(path=book))
    return 0


def validate_command(args: argparse.Namespace) -> int:
    from sim.interpret.describe import describe_inputs, describe_scenario
    from sim.model.uncertain import uncertain_inputs

    scenario = load_scenario(args.scenario, args.overrides)
    inputs = uncertain_inputs(scenario, args.vary)
    if args.expand:
        print(expanded_yaml(scenario), end="")
        return 0
    print(_("{scenario}: valid").format(scenario=args.scenario))
    print(describe_scenario(scenario))
    if inputs:
        print(describe_inputs(inputs, terminal_width()))
    size = sizing.estimate([compile_plan(scenario)])
    room, where = sizing.available_memory()
    print(
        _("size: {size} (numba engine); {room} available ({where})").format(
            size=size.describe(), room=sizing.human_bytes(room), where=where
        )
    )
    return 0


def explore_command(args: argparse.Namespace) -> int:
    from sim.explore import serve

    serve(args.scenario, args.host, args.port, not args.no_browser, args.workers, args.quiet)
    return 0


def run_command(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario, args.overrides)
    if args.records and args.out is None:
        raise InputError("--records", "", _("records are written to a directory: add --out DIR"))
    _check_uncertainty(args)
    _check_filters(args, [scenario])
    _preflight(args, [scenario], [scenario], str(args.scenario))
    if args.uncertainty is not None:
        from sim.uncertainty.command import uncertain_command
        from sim.uncertainty.study import Variants

        prepare = partial(_prepare_out, args.out, args.force)
        return uncertain_command(args, [scenario], Variants("run"), prepare)
    if args.trs:
        _check_trs_memory(args, scenario)
    _check_records_room(args, scenario)
    _prepare_out(args.out, args.force)  # after every check: a refused run makes no folder
    started = time.perf_counter()
    label = _("{scenario}: replications").format(scenario=scenario.name)
    trs = Collector() if args.trs else None
    with _records_stream(args, scenario) as stream, _progress(args, label) as advance:
        result = run(
            scenario,
            replications=args.replications,
            engine=args.engine,
            seed=args.seed,
            workers=args.workers,
            keep_records=args.records,
            precision=args.precision,
            max_replications=args.max_replications,
            progress=advance,
            isolate=True,
            records_sink=_sinks(stream, trs),
        )
    elapsed = time.perf_counter() - started
    _warn_without_interval(args, result.replications)
    _warn_short_warmups(args, result.to_results())
    if args.out is not None:
        save_run(result, args.out, args.command_line, args.country)
    trs_text_ = _run_trs(trs, args.out)
    if args.json:
        summary = _filtered(result.table(), args)
        record = run_record(result, args.command_line, args.country)
        print(json.dumps(record | {"summary": records_of(summary)}))
        _precision_line(args, result.stop_reason)
        return 0
    if args.long:
        with pd.option_context("display.max_rows", None, "display.width", 200):
            print(_filtered(result.table(), args).to_string(index=False))
    else:
        print(run_text(result.to_results(), _view(args), full=args.full))
    if trs_text_:
        heading = _("Time Release Study tables of the simulated shipments")
        print(f"\n{heading}\n\n{trs_text_}")
    _footer(args, result.stop_reason, result.seed, result.workers, elapsed)
    return 0


def _check_trs_memory(args: argparse.Namespace, scenario: Scenario) -> None:
    """run --trs keeps every counted shipment's times until the end: refused before running
    when they would take more than half the memory available."""
    from sim.records.trs import collected_bytes

    plan = compile_plan(scenario)
    size = sizing.estimate([plan])
    stations = max((len(port.stations) for port in plan.ports), default=0)
    most = args.max_replications if args.precision else args.replications
    need = collected_bytes(size.counted * most, stations)
    room, where = sizing.available_memory()
    if need > room / 2:
        raise InputError(
            "--trs",
            "",
            _(
                "the tables of {replications} replications need about {need}, over half of "
                "the {room} available ({where}); give fewer replications (-n), or write "
                "--records with --out and run mrasim trs on records.parquet"
            ).format(
                replications=most,
                need=sizing.human_bytes(need),
                room=sizing.human_bytes(room),
                where=where,
            ),
        )


def _sinks(stream: ParquetStream | None, trs: Collector | None) -> Any:
    """Where each replication's records go: the records file, the TRS tables, or both."""
    sinks = [sink for sink in (stream.write if stream else None, trs) if sink is not None]
    if not sinks:
        return None
    if len(sinks) == 1:
        return sinks[0]

    def both(frame: pd.DataFrame) -> None:
        for sink in sinks:
            sink(frame)

    return both


def _run_trs(trs: Collector | None, out: Path | None) -> str:
    """run --trs: the tables of the run's records (written beside the summary with --out)."""
    if trs is None:
        return ""
    from sim.records.command import write_tables
    from sim.records.trs import simulated_stations, trs_tables
    from sim.records.trs_text import trs_text

    frame = trs.frame()
    stations, present = simulated_stations(frame)
    tables = trs_tables(frame, stations, present, "simulated")
    if out is not None:
        write_tables(tables, out)
    return trs_text(tables, terminal_width())


def compare_command(args: argparse.Namespace) -> int:
    paths = args.scenarios or [DEFAULT_SCENARIO]
    if len(paths) > 2:
        raise InputError(
            "mrasim compare", "", _("give one scenario (with vs without) or two (A B)")
        )
    loaded = [load_scenario(path, args.overrides) for path in paths]
    if len(loaded) == 1:
        scenarios, labels = arrangement_variants(loaded[0], args.utilisation)
    else:
        names = [s.name for s in loaded]
        if names[0] == names[1]:
            names = [path.stem for path in paths]
        if names[0] == names[1]:
            names = ["A", "B"]
        scenarios, labels = utilisation_variants(
            loaded[0], loaded[1], args.utilisation, (names[0], names[1])
        )
    _check_uncertainty(args)
    _check_filters(args, scenarios)
    _preflight(args, scenarios, loaded, " ".join(str(path) for path in paths))
    if args.uncertainty is not None:
        from sim.uncertainty.command import uncertain_command
        from sim.uncertainty.study import Variants

        levels = None if args.utilisation is None else tuple(args.utilisation)
        prepare = partial(_prepare_out, args.out, args.force)
        if len(loaded) == 1:
            return uncertain_command(args, loaded, Variants("arrangement", levels), prepare)
        pair = Variants("pair", levels, (labels[0], labels[-1].split(" u=")[0]))
        return uncertain_command(args, loaded, pair, prepare)
    _prepare_out(args.out, args.force)  # after every check: a refused run makes no folder
    started = time.perf_counter()
    label = _("{scenarios}: replications").format(scenarios=" vs ".join(labels))
    with _progress(args, label) as advance:
        result = compare(
            scenarios,
            labels,
            replications=args.replications,
            engine=args.engine,
            seed=args.seed,
            workers=args.workers,
            precision=args.precision,
            max_replications=args.max_replications,
            progress=advance,
            isolate=True,
        )
    elapsed = time.perf_counter() - started
    _warn_without_interval(args, result.replications)
    _warn_short_warmups(args, result.to_results())
    if args.out is not None:
        save_comparison(result, args.out, args.command_line, args.country)
    if args.json:
        table = _filtered(result.table(), args)
        record = comparison_record(result, args.command_line, args.country)
        print(json.dumps(record | {"summary": records_of(table)}))
        _precision_line(args, result.stop_reason)
        return 0
    print(comparison_text(result.to_results(), _view(args)))
    _footer(args, result.stop_reason, result.results[0].seed, result.workers, elapsed)
    return 0


def _check_uncertainty(args: argparse.Namespace) -> None:
    """Options that need ``--uncertainty``, or do not go with it, refused in one line."""
    if args.uncertainty is None:
        for flag, given in (
            ("--vary", bool(args.vary)),
            ("--design", args.design != "lhs"),
            ("--executor", args.executor != "local"),
        ):
            if given:
                raise InputError(
                    flag, "", _("goes with --uncertainty N (the draws of the uncertain inputs)")
                )
        return
    for flag, given in (
        ("--precision", args.precision is not None),
        ("--records", getattr(args, "records", False)),
        ("--trs", getattr(args, "trs", False)),
        ("--full", getattr(args, "full", False)),
    ):
        if given:
            raise InputError(flag, "", _("does not go with --uncertainty; give one or the other"))


def _check_filters(args: argparse.Namespace, scenarios: Sequence[Scenario]) -> None:
    """--country, --group and --metric name what the results will hold, checked before running;
    the countries, given by code or name, become codes."""
    from sim.indicators.layout import metric_names

    countries = [code for scenario in scenarios for code, _, _ in scenario.ports]
    if args.country is not None:
        args.country = country_codes(args.country, list(dict.fromkeys(countries)))
    metrics = [m for scenario in scenarios for m in metric_names(scenario)]
    for flag, given, known in (
        ("--group", args.group, list(SUMMARY_GROUPS)),
        ("--metric", args.metric, metrics),
    ):
        known = list(dict.fromkeys(known))
        for name in given or []:
            if name not in known:
                raise InputError(
                    flag,
                    name,
                    _("not in the results; choose from {names}").format(names=", ".join(known)),
                )


def _view(args: argparse.Namespace) -> View:
    """The terminal's width and the rows the filters select."""
    return View(terminal_width(), args.country, args.group, args.metric)


def _filtered(table: pd.DataFrame, args: argparse.Namespace) -> pd.DataFrame:
    """The rows --country, --group and --metric select (the region's rows stay with --group)."""
    keep = pd.Series(True, index=table.index)
    if args.country is not None:
        keep &= table["country"].isin(args.country)
    if args.group is not None:
        keep &= table["group"].isin(args.group) | table["group"].isna()
    if args.metric is not None:
        keep &= table["metric"].isin(args.metric)
    return table[keep]


def _warn_short_warmups(args: argparse.Namespace, results: Results) -> None:
    """What the run's own output says of a warm-up too short (MSER on weekly customs time)."""
    if args.quiet:
        return
    for warning in short_warmups(results):
        print(f"mrasim: {warning}", file=sys.stderr)


def _warn_without_interval(args: argparse.Namespace, replications: int) -> None:
    """One replication gives means without intervals: say so, unless asked to be quiet."""
    if replications < 2 and not args.quiet:
        warning = _(
            "warning: 1 replication gives no confidence interval; use -n 2 or more (10 by default)"
        )
        print(f"mrasim: {warning}", file=sys.stderr)


def _precision_line(args: argparse.Namespace, stop_reason: str) -> None:
    """With --precision, how it ended, on stderr: even when quiet, whatever else is silenced."""
    if args.precision is not None:
        print(f"mrasim: {said_stop_reason(stop_reason)}", file=sys.stderr)


def _footer(
    args: argparse.Namespace, stop_reason: str, seed: int, workers: int, elapsed: float
) -> None:
    """How the numbers were made: the line a reader needs to reproduce them."""
    if args.quiet:
        _precision_line(args, stop_reason)
        return
    how = ngettext(
        "{stop_reason}; engine {engine}, seed {seed}, {workers} worker, {seconds} s",
        "{stop_reason}; engine {engine}, seed {seed}, {workers} workers, {seconds} s",
        workers,
    ).format(
        stop_reason=said_stop_reason(stop_reason),
        engine=args.engine,
        seed=seed,
        workers=workers,
        seconds=decimal(elapsed, 1),
    )
    if args.out:
        how = _("{how}; written to {folder}").format(how=how, folder=args.out)
    print(f"\n{how}")


def _prepare_out(out: Path | None, force: bool) -> None:
    """Claim (and create) the --out directory before any work, not after an hour of it.

    The claim (:func:`~sim.results.atomic.claim_folder`) locks the folder until the
    command's files are renamed into place, so a second command writing there is
    refused in one line naming this one's PID; it also removes the temporary files
    of a run killed there earlier. A folder holding another run's results is then
    refused unless ``--force``: writing over them would silently lose that run, and
    writing beside them would mix two runs (say, new summaries next to old records)
    in one folder. With ``--force`` the earlier files go when the new ones arrive.
    """
    if out is None:
        return
    claim_folder(out)  # released after the last rename, or with the discard
    try:
        tempfile.TemporaryFile(dir=out).close()  # can we write there?
    except OSError as exc:
        raise InputError(
            "--out",
            str(out),
            _("cannot write there ({error}); choose another folder").format(
                error=os_text.reason(exc)
            ),
        ) from None
    earlier = [out / name for name in RESULT_FILES if (out / name).exists()]
    if earlier and not force:
        found = ", ".join(path.name for path in earlier)
        raise InputError(
            "--out",
            str(out),
            _(
                "holds the results of another run ({found}); choose a new folder, "
                "or add --force to replace them"
            ).format(found=found),
        )
    replace_on_success(earlier)


def _preflight(
    args: argparse.Namespace, scenarios: list[Scenario], loaded: list[Scenario], source: str
) -> None:
    """Before any work: refuse a run too big for the machine, then warn (unless --quiet).

    The runner checks the size again (every command goes through it); checking
    here first names the file and keeps the refusal to one line.
    """
    plans = [compile_plan(scenario) for scenario in scenarios]
    records = getattr(args, "records", False)
    most = args.replications
    if args.precision is not None and args.max_replications is not None:
        most = max(most, args.max_replications)  # where --precision may take it
    size = sizing.estimate(plans, args.engine, records)
    workers = args.workers or sizing.default_workers()
    flag = "--max-replications" if most > args.replications else "--replications"
    sizing.check_work(size, plans, most, min(workers, most), source, flag)
    sizing.workers_for(plans, args.engine, records, args.workers, args.replications, source)
    if args.quiet:
        return
    for scenario in loaded:
        for warning in scenario_warnings(compile_plan(scenario)):
            print(f"mrasim: {warning}", file=sys.stderr)


def _records_bytes(args: argparse.Namespace, scenario: Scenario) -> float:
    per_replication = sizing.estimate([compile_plan(scenario)], args.engine, True).records_bytes
    return per_replication * args.replications


def _check_records_room(args: argparse.Namespace, scenario: Scenario) -> None:
    """Refuse records the disk cannot take, before the folder is made."""
    if args.records:
        total = _records_bytes(args, scenario)
        what = ngettext(
            "records of {replications} replication",
            "records of {replications} replications",
            args.replications,
        ).format(replications=args.replications)
        sizing.check_disk(args.out, total, what)


@contextlib.contextmanager
def _records_stream(args: argparse.Namespace, scenario: Scenario) -> Iterator[ParquetStream | None]:
    """records.parquet, written replication by replication; its size said first (and checked
    by :func:`_check_records_room`)."""
    if not args.records:
        yield None
        return
    total = _records_bytes(args, scenario)
    if not args.quiet and not args.json:
        if args.precision:
            notice = _(
                "records.parquet will take about {size} (more if --precision adds "
                "replications), written replication by replication"
            )
        else:
            notice = _("records.parquet will take about {size}, written replication by replication")
        print(f"mrasim: {notice.format(size=sizing.human_bytes(total))}", file=sys.stderr)
    with ParquetStream(args.out / "records.parquet") as stream:
        yield stream


class _progress:
    """A labelled progress bar on stderr for runs that last, only when stderr is a terminal;
    and, before a first run, a line saying the compiled code is being built."""

    def __init__(self, args: argparse.Namespace, label: str) -> None:
        self.enabled = not args.quiet and not args.json and sys.stderr.isatty()
        self.quiet = args.quiet
        self.total = args.replications
        self.label = label
        self.bar: Any = None

    def __enter__(self) -> Any:
        from sim.replicate.jit import cache_is_cold, warm_up

        if cache_is_cold():
            if not self.quiet:
                notice = _("compiling (first run only; about a minute)")
                print(f"mrasim: {notice}", file=sys.stderr)
            warm_up()
        if not self.enabled:
            return None
        from tqdm import tqdm

        self.bar = tqdm(
            total=self.total,
            desc=self.label,
            unit=pgettext("progress bar unit", "rep"),
            delay=2.0,
            file=sys.stderr,
            leave=False,
        )

        def advance(n: int) -> None:
            if self.bar.n + n > self.bar.total:
                self.bar.total = self.bar.n + n
            self.bar.update(n)

        return advance

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()


def experiment_command(args: argparse.Namespace) -> int:
    from sim.experiment.command import experiment_command
    from sim.uncertainty.experiment import ExperimentRanges

    return experiment_command(args, ExperimentRanges())


def calibrate_command(args: argparse.Namespace) -> int:
    from sim.calibrate.command import run as calibrate

    return calibrate(args)


def records_inspect_command(args: argparse.Namespace) -> int:
    from sim.records.command import inspect_command

    return inspect_command(args)


def trs_command(args: argparse.Namespace) -> int:
    from sim.records.command import trs_command as trs

    return trs(args)
