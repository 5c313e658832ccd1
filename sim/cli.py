"""The ``mrasim`` command.

Exit status: 0 success; 2 bad input (one line naming the file or option, the
field and the problem), including a run too big for the machine; 130 after
SIGINT (Ctrl-C) and 143 after SIGTERM, with every worker stopped and nothing
written; 1 anything else (a lost worker, a full disk: one line each).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn

import pandas as pd

from . import __version__, sizing
from .describe import scenario_warnings
from .errors import InputError
from .indicators import SUMMARY_GROUPS
from .output import (
    RESULT_FILES,
    OutputError,
    ParquetStream,
    all_or_nothing,
    records_of,
    replace_on_success,
)
from .plan import compile_plan
from .processes import Interrupted, WorkerLost, stop_on_signals
from .results import (
    comparison_record,
    comparison_text,
    run_record,
    run_text,
    save_comparison,
    save_run,
)
from .runner import DEFAULT_ENGINE, ENGINES, compare, run
from .scenario import BUNDLED, Scenario, expanded_yaml, load_scenario
from .tables import terminal_width
from .terminal import View
from .variants import arrangement_variants, utilisation_variants

DEFAULT_SCENARIO = BUNDLED / "lac-regional.yaml"


class _Parser(argparse.ArgumentParser):
    """argparse, but bad options are one line and exit status 2, like every bad input."""

    def error(self, message: str) -> NoReturn:
        # "mrasim: run: ..." for a subcommand's options, "mrasim: ..." for the command's own
        raise InputError(self.prog.removeprefix("mrasim").strip(), "", message)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    typed = list(sys.argv[1:] if argv is None else argv)
    with stop_on_signals():
        try:
            args = parser.parse_args(typed)
            args.command_line = ["mrasim", *typed]
            with all_or_nothing():  # a command's files appear together when it succeeds
                try:
                    return args.handler(args)
                except BrokenPipeError:  # output piped into `head` and closed early: not an error
                    sys.stderr.close()
                    return 0
        except InputError as exc:
            return _fail(str(exc), 2)
        except Interrupted as stop:
            return _fail(_interrupted(stop), stop.exit_status)
        except KeyboardInterrupt:  # SIGINT before or after the handler was in place
            return _fail(_interrupted(Interrupted(signal.SIGINT)), 130)
        except (WorkerLost, OutputError) as exc:
            return _fail(str(exc) + ("" if isinstance(exc, OutputError) else "; nothing written"))
        except MemoryError as exc:
            where = " ".join(getattr(exc, "__notes__", []))
            return _fail(f"out of memory {where}: {exc}; nothing written".replace("  ", " "))


def _fail(message: str, status: int = 1) -> int:
    print(f"mrasim: {message}", file=sys.stderr)
    return status


def _interrupted(stop: Interrupted) -> str:
    """What an interrupt left: what it kept (an experiment's finished tasks), else nothing."""
    if stop.kept is not None:
        return f"interrupted: {stop.kept}"
    after = f" after {stop.done} of {stop.total} replications" if stop.total is not None else ""
    return f"interrupted{after}; nothing written"


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="mrasim",
        description="Customs clearance under a regional AEO mutual "
        "recognition arrangement: a discrete-event simulator.",
    )
    parser.add_argument("--version", action="version", version=f"mrasim {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run_parser = commands.add_parser(
        "run",
        help="run replications of a scenario and summarise them",
        description="Run replications of a scenario (default: the "
        "bundled regional scenario) and print its indicators with "
        "95% confidence intervals.",
    )
    run_parser.add_argument(
        "scenario",
        nargs="?",
        type=Path,
        default=DEFAULT_SCENARIO,
        help="scenario YAML file, or a bundled scenario's name (default: lac-regional)",
    )
    _add_run_options(run_parser, "summary.csv, summary.parquet")
    run_parser.add_argument(
        "--records",
        action="store_true",
        help="with --out, also write every shipment's record (records.parquet)",
    )
    run_parser.add_argument(
        "--full",
        action="store_true",
        help="print every row of the summary (long format), not the digest",
    )
    run_parser.set_defaults(handler=_run)

    compare_parser = commands.add_parser(
        "compare",
        help="compare scenarios on common random numbers",
        description="Compare two scenarios (A B), or one scenario with the arrangement in force "
        "against not in force, on common random numbers: each indicator in every scenario and "
        "the paired differences from the first, with 95% intervals; then the answer (one "
        "sentence per question, one row per country) and what it assumes.",
    )
    compare_parser.add_argument(
        "scenarios",
        nargs="*",
        type=Path,
        metavar="SCENARIO",
        help="one scenario (with vs without the arrangement) or two (A B): files or bundled "
        "scenarios' names; default: lac-regional",
    )
    compare_parser.add_argument(
        "--utilisation",
        type=_fractions,
        default=None,
        metavar="U,U,...",
        help="sweep the arrangement's utilisation, e.g. 0.25,0.5,0.75,1 (0 is the baseline)",
    )
    _add_run_options(compare_parser, "comparison.csv, comparison.parquet")
    compare_parser.set_defaults(handler=_compare)

    report = commands.add_parser(
        "report",
        help="write an HTML report of a run or comparison folder",
        description="Write a self-contained HTML report from the --out "
        "folder of `mrasim run` or `mrasim compare`.",
    )
    report.add_argument("folder", type=Path, help="the --out folder of run or compare")
    report.add_argument(
        "-o",
        "--output",
        type=Path,
        default=None,
        help="HTML file to write (default: FOLDER/report.html)",
    )
    report.add_argument("-q", "--quiet", action="store_true", help="do not print the file written")
    report.set_defaults(handler=_report)

    _add_calibrate(commands)
    _add_experiment_parser(commands)

    validate = commands.add_parser(
        "validate",
        help="check a scenario and say what it contains",
        description="Check a scenario file and print what it contains: ports, trader groups, "
        "servers and each station's offered load. With --expand, print instead the whole "
        "scenario as the simulator reads it, every port with its port_defaults merged in.",
    )
    validate.add_argument(
        "scenario", type=Path, help="scenario YAML file, or a bundled scenario's name"
    )
    validate.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="override a scenario field, e.g. --set arrangement.utilisation=0.8",
    )
    validate.add_argument(
        "--expand",
        action="store_true",
        help="print the fully expanded scenario (YAML), port defaults merged into each port",
    )
    validate.set_defaults(handler=_validate)

    explore = commands.add_parser(
        "explore",
        help="the comparison, live, in the browser",
        description="Serve a local page where the arrangement's controls (utilisation, what "
        "recognition grants, staffing, the countries shown, replications) are moved and the "
        "answer settles as replications accumulate; Ctrl-C stops it.",
    )
    explore.add_argument(
        "scenario",
        nargs="?",
        type=Path,
        default=DEFAULT_SCENARIO,
        help="scenario YAML file, or a bundled scenario's name (default: lac-regional)",
    )
    explore.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this machine only)",
    )
    explore.add_argument("--port", type=_port, default=8050, help="port (default 8050)")
    explore.add_argument(
        "--no-browser", action="store_true", help="do not open the page in a browser"
    )
    explore.add_argument(
        "-w",
        "--workers",
        type=_positive_int,
        default=None,
        help="worker processes per run (default: all cores)",
    )
    explore.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    explore.set_defaults(handler=_explore)
    return parser


def _add_experiment_parser(commands: Any) -> None:
    experiment = commands.add_parser(
        "experiment",
        help="run a designed experiment (grid, Latin hypercube, Sobol'), resumable",
        description="Run or resume an experiment file (experiments/*.yaml): every design point "
        "times its replications, on common random numbers, in a local process pool or on a "
        "Dask cluster. Finished tasks are stored in --out as they finish; running the same "
        "command again computes only what is missing. Writes results.csv/.parquet, "
        "experiments.csv and outcomes.csv (EMA Workbench), main_effects.csv and, for Sobol' "
        "designs, sensitivity.csv; `mrasim report DIR` draws them.",
    )
    experiment.add_argument("file", type=Path, help="experiment YAML file")
    experiment.add_argument(
        "--executor",
        choices=["local", "dask"],
        default="local",
        help="local: a process pool on this machine (default); dask: a Dask cluster at "
        "--address, else $DASK_SCHEDULER_ADDRESS, else a LocalCluster of -w processes",
    )
    experiment.add_argument(
        "--address", default=None, metavar="tcp://HOST:PORT", help="Dask scheduler address"
    )
    experiment.add_argument(
        "-w",
        "--workers",
        type=_positive_int,
        default=None,
        help="worker processes, local or LocalCluster (default: all cores); "
        "never changes the numbers",
    )
    experiment.add_argument(
        "--out",
        type=Path,
        default=None,
        help="results folder (default: out/NAME, NAME from the file)",
    )
    experiment.add_argument(
        "--fresh",
        action="store_true",
        help="discard the folder's stored tasks and start over (needed after the file changed)",
    )
    experiment.add_argument("-q", "--quiet", action="store_true", help="no progress bar or table")
    experiment.set_defaults(handler=_experiment)


def _experiment(args: argparse.Namespace) -> int:
    from .experiment.command import experiment_command  # loads pyarrow and scipy: only here

    return experiment_command(args)


def _add_calibrate(commands: Any) -> None:
    """``mrasim calibrate``: see :mod:`sim.calibrate.command`."""
    calibrate = commands.add_parser(
        "calibrate",
        help="fit a scenario to clearance records or to published tables",
        description="Fit a template scenario to a record file (one row per declaration, the "
        "columns `mrasim run --records` writes), or its --fit fields to published --targets; "
        "write the fitted scenario, with a calibration: block saying how, and a fit report.",
    )
    calibrate.add_argument(
        "records", nargs="?", type=Path, default=None, help="record file, CSV or Parquet"
    )
    calibrate.add_argument(
        "--scenario", type=Path, required=True, metavar="TEMPLATE", help="template scenario"
    )
    calibrate.add_argument(
        "--out", type=Path, required=True, metavar="FITTED", help="fitted scenario to write"
    )
    calibrate.add_argument(
        "--targets", type=Path, default=None, help="published targets (YAML) instead of records"
    )
    calibrate.add_argument(
        "--fit",
        action="append",
        default=[],
        metavar="PATH=[LOW,HIGH]",
        help="with --targets: a template field to fit, and its range (repeat for each)",
    )
    calibrate.add_argument("--report", type=Path, default=None, metavar="DIR", help="fit report")
    calibrate.add_argument(
        "--holdout",
        type=_fraction,
        default=None,
        help="fit on the first 1 - H of the period, check the fit on the rest (e.g. 0.3)",
    )
    calibrate.add_argument(
        "-n",
        "--replications",
        type=_positive_int,
        default=None,
        help="simulated periods of the fit check (default 20), or replications of each "
        "simulation of a --targets fit (default 10)",
    )
    calibrate.add_argument(
        "--seed", type=_non_negative_int, default=None, help="seed (default: the template's)"
    )
    calibrate.add_argument(
        "-w", "--workers", type=_positive_int, default=None, help="worker processes"
    )
    calibrate.add_argument("-q", "--quiet", action="store_true", help="no notes or footer")
    calibrate.set_defaults(handler=_calibrate)


def _calibrate(args: argparse.Namespace) -> int:
    from .calibrate.command import run as calibrate

    return calibrate(args)


def _add_run_options(parser: argparse.ArgumentParser, tables: str) -> None:
    parser.add_argument(
        "-n",
        "--replications",
        type=_positive_int,
        default=10,
        help="number of replications (default 10)",
    )
    parser.add_argument(
        "--seed",
        type=_non_negative_int,
        default=None,
        help="master seed (default: the scenario's seed)",
    )
    parser.add_argument(
        "--engine",
        choices=sorted(ENGINES),
        default=DEFAULT_ENGINE,
        help=f"simulation engine (default {DEFAULT_ENGINE}); both give identical numbers",
    )
    parser.add_argument(
        "-w",
        "--workers",
        type=_positive_int,
        default=None,
        help="worker processes (default: all cores)",
    )
    parser.add_argument(
        "--precision",
        type=_fraction,
        default=None,
        help="add replications until every headline indicator's 95%% half-width "
        "is within this fraction of its mean (e.g. 0.01)",
    )
    parser.add_argument(
        "--max-replications",
        type=_positive_int,
        default=1000,
        help="cap for --precision (default 1000)",
    )
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="override a scenario field, e.g. --set arrangement.utilisation=0.8",
    )
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help=f"directory for {tables} and run.json (every row, whatever the filters)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="with --out, replace the results of an earlier run found in the directory",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar or chatter")
    for flag, metavar, what in (
        ("--country", "ISO3,...", "countries (codes)"),
        ("--group", "GROUP,...", f"trader groups ({', '.join(SUMMARY_GROUPS)})"),
        ("--metric", "METRIC,...", "indicators, e.g. clearance_h_mean,green_share"),
    ):
        parser.add_argument(
            flag, type=_names, default=None, metavar=metavar, help=f"show only these {what}"
        )


def _positive_int(text: str) -> int:
    value = _int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _port(text: str) -> int:
    value = _int(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port lies in 1-65535, got {value}")
    return value


def _non_negative_int(text: str) -> int:
    value = _int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None


def _fractions(text: str) -> list[float]:
    values = []
    for part in text.split(","):
        try:
            value = float(part)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{part}' is not a number") from None
        if not 0 <= value <= 1:
            raise argparse.ArgumentTypeError(f"utilisation must lie in [0, 1], got {value:g}")
        values.append(value)
    return values


def _names(text: str) -> list[str]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise argparse.ArgumentTypeError("give at least one name")
    return names


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must lie between 0 and 1, got {value:g}")
    return value


# --- commands -----------------------------------------------------------------


def _report(args: argparse.Namespace) -> int:
    from .report import write_report

    written = write_report(args.folder, args.output)
    if not args.quiet:
        print(f"report written to {written}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from .describe import describe_scenario

    scenario = load_scenario(args.scenario, args.overrides)
    if args.expand:
        print(expanded_yaml(scenario), end="")
        return 0
    print(f"{args.scenario}: valid")
    print(describe_scenario(scenario))
    size = sizing.estimate([compile_plan(scenario)])
    room, where = sizing.available_memory()
    print(f"size: {size.describe()} (numba engine); {sizing.human_bytes(room)} available ({where})")
    return 0


def _explore(args: argparse.Namespace) -> int:
    from .explore import serve

    serve(args.scenario, args.host, args.port, not args.no_browser, args.workers, args.quiet)
    return 0


def _run(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario, args.overrides)
    if args.records and args.out is None:
        raise InputError("--records", "", "records are written to a directory: add --out DIR")
    _check_filters(args, [scenario])
    _prepare_out(args.out, args.force)
    _preflight(args, [scenario], [scenario], str(args.scenario))
    started = time.perf_counter()
    label = f"{scenario.name}: replications"
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
            records_sink=stream.write if stream is not None else None,
        )
    elapsed = time.perf_counter() - started
    _warn_without_interval(args, result.replications)
    if args.out is not None:
        save_run(result, args.out, args.command_line)
    if args.json:
        summary = _filtered(result.summary(), args)
        print(json.dumps(run_record(result, args.command_line) | {"summary": records_of(summary)}))
        _precision_line(args, result.stop_reason)
        return 0
    if args.full:
        with pd.option_context("display.max_rows", None, "display.width", 200):
            print(_filtered(result.summary(), args).to_string(index=False))
    else:
        print(run_text(result, _view(args)))
    _footer(args, result.stop_reason, result.seed, result.workers, elapsed)
    return 0


def _compare(args: argparse.Namespace) -> int:
    paths = args.scenarios or [DEFAULT_SCENARIO]
    if len(paths) > 2:
        raise InputError("mrasim compare", "", "give one scenario (with vs without) or two (A B)")
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
    _check_filters(args, scenarios)
    _prepare_out(args.out, args.force)
    _preflight(args, scenarios, loaded, " ".join(str(path) for path in paths))
    started = time.perf_counter()
    with _progress(args, f"{' vs '.join(labels)}: replications") as advance:
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
    if args.out is not None:
        save_comparison(result, args.out, args.command_line)
    if args.json:
        table = _filtered(result.table(), args)
        record = comparison_record(result, args.command_line)
        print(json.dumps(record | {"summary": records_of(table)}))
        _precision_line(args, result.stop_reason)
        return 0
    print(comparison_text(result, _view(args)))
    _footer(args, result.stop_reason, result.results[0].seed, result.workers, elapsed)
    return 0


def _check_filters(args: argparse.Namespace, scenarios: Sequence[Scenario]) -> None:
    """--country, --group and --metric name what the results will hold, checked before running."""
    from .indicators import metric_names

    countries = [code for scenario in scenarios for code, _, _ in scenario.ports]
    metrics = [m for scenario in scenarios for m in metric_names(scenario)]
    for flag, given, known in (
        ("--country", args.country, countries),
        ("--group", args.group, list(SUMMARY_GROUPS)),
        ("--metric", args.metric, metrics),
    ):
        known = list(dict.fromkeys(known))
        for name in given or []:
            if name not in known:
                raise InputError(flag, name, f"not in the results; choose from {', '.join(known)}")


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


def _warn_without_interval(args: argparse.Namespace, replications: int) -> None:
    """One replication gives means without intervals: say so, unless asked to be quiet."""
    if replications < 2 and not args.quiet:
        print(
            "mrasim: warning: 1 replication gives no confidence interval; use -n 2 or more "
            "(10 by default)",
            file=sys.stderr,
        )


def _precision_line(args: argparse.Namespace, stop_reason: str) -> None:
    """With --precision, how it ended, on stderr: even when quiet, whatever else is silenced."""
    if args.precision is not None:
        print(f"mrasim: {stop_reason}", file=sys.stderr)


def _footer(
    args: argparse.Namespace, stop_reason: str, seed: int, workers: int, elapsed: float
) -> None:
    """How the numbers were made: the line a reader needs to reproduce them."""
    if args.quiet:
        _precision_line(args, stop_reason)
        return
    written = f"; written to {args.out}" if args.out else ""
    print(
        f"\n{stop_reason}; engine {args.engine}, seed {seed}, {workers} workers, "
        f"{elapsed:.1f} s{written}"
    )


def _prepare_out(out: Path | None, force: bool) -> None:
    """Check (and create) the --out directory before any work, not after an hour of it.

    A folder holding another run's results is refused unless ``--force``:
    writing over them would silently lose that run, and writing beside them
    would mix two runs (say, new summaries next to old records) in one folder.
    With ``--force`` the earlier files go when the new ones arrive.
    """
    if out is None:
        return
    if out.exists() and not out.is_dir():
        raise InputError("--out", str(out), "exists and is not a directory; give a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=out).close()  # can we write there?
    except OSError as exc:
        raise InputError(
            "--out", str(out), f"cannot write there ({exc.strerror or exc}); choose another folder"
        ) from None
    earlier = [out / name for name in RESULT_FILES if (out / name).exists()]
    if earlier and not force:
        found = ", ".join(path.name for path in earlier)
        raise InputError(
            "--out",
            str(out),
            f"holds the results of another run ({found}); choose a new folder, "
            "or add --force to replace them",
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
    sizing.workers_for(plans, args.engine, records, args.workers, args.replications, source)
    if args.quiet:
        return
    for scenario in loaded:
        for warning in scenario_warnings(compile_plan(scenario)):
            print(f"mrasim: {warning}", file=sys.stderr)


@contextlib.contextmanager
def _records_stream(args: argparse.Namespace, scenario: Scenario) -> Iterator[ParquetStream | None]:
    """records.parquet, written replication by replication; its size said and checked first."""
    if not args.records:
        yield None
        return
    per_replication = sizing.estimate([compile_plan(scenario)], args.engine, True).records_bytes
    total = per_replication * args.replications
    sizing.check_disk(args.out, total, f"records of {args.replications} replications")
    if not args.quiet and not args.json:
        more = " (more if --precision adds replications)" if args.precision else ""
        print(
            f"mrasim: records.parquet will take about {sizing.human_bytes(total)}{more}, "
            "written replication by replication",
            file=sys.stderr,
        )
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
        from .jit import cache_is_cold, compile_everything

        if cache_is_cold():
            if not self.quiet:
                print("mrasim: compiling (first run only; about a minute)", file=sys.stderr)
            compile_everything()
        if not self.enabled:
            return None
        from tqdm import tqdm

        self.bar = tqdm(
            total=self.total, desc=self.label, unit="rep", delay=2.0, file=sys.stderr, leave=False
        )

        def advance(n: int) -> None:
            if self.bar.n + n > self.bar.total:
                self.bar.total = self.bar.n + n
            self.bar.update(n)

        return advance

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()


def entry() -> None:
    """The console script: :func:`main`, and after an interrupt an exit without teardown.

    Tearing down the interpreter (numba's and pandas' modules) takes about a
    second; an interrupted command has nothing left to save (workers are reaped,
    files closed), so it flushes its output and leaves at once.
    """
    status = main()
    if status in (128 + signal.SIGINT, 128 + signal.SIGTERM):
        with contextlib.suppress(OSError, ValueError):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(status)
    raise SystemExit(status)


if __name__ == "__main__":
    entry()
