"""The ``mrasim`` command's options: one parser, a subcommand each, every bad option one
line and exit status 2 (:class:`~sim.errors.InputError`).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, NoReturn

from sim._version import __version__
from sim.cli.commands import (
    DEFAULT_SCENARIO,
    calibrate_command,
    compare_command,
    experiment_command,
    explore_command,
    records_inspect_command,
    report_command,
    run_command,
    trs_command,
    validate_command,
)
from sim.errors import InputError
from sim.language import _
from sim.model.vocabulary import SUMMARY_GROUPS
from sim.replicate.runner import DEFAULT_ENGINE, ENGINES


class _Parser(argparse.ArgumentParser):
    """argparse, but bad options are one line and exit status 2, like every bad input; and
    every parser, the command's and each subcommand's, takes ``--lang``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # read before parsing (sim.cli.language_flag); declared here so that it is
        # accepted anywhere and listed in every --help
        self.add_argument(
            "--lang",
            default=argparse.SUPPRESS,
            metavar="LANG",
            help=_(
                "the language mrasim writes in: en, es or pt (default: $MRASIM_LANG, else "
                "the locale, else en)"
            ),
        )

    def error(self, message: str) -> NoReturn:
        # "mrasim: run: ..." for a subcommand's options, "mrasim: ..." for the command's own
        raise InputError(self.prog.removeprefix("mrasim").strip(), "", message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="mrasim",
        description=_(
            "Customs clearance under a regional AEO mutual "
            "recognition arrangement: a discrete-event simulator. With no command, `mrasim` "
            "answers the question: it runs `mrasim compare` on the bundled regional scenario."
        ),
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"mrasim {__version__}",
        help=_("show the version number and exit"),
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run_parser = commands.add_parser(
        "run",
        help=_("run replications of a scenario and summarise them"),
        description=_(
            "Run replications of a scenario (default: the "
            "bundled regional scenario) and print its indicators with "
            "95% confidence intervals."
        ),
    )
    run_parser.add_argument(
        "scenario",
        nargs="?",
        type=Path,
        default=DEFAULT_SCENARIO,
        help=_("scenario YAML file, or a bundled scenario's name (default: lac-regional)"),
    )
    _add_run_options(run_parser, "summary.csv, summary.parquet")
    run_parser.add_argument(
        "--records",
        action="store_true",
        help=_("with --out, also write every shipment's record (records.parquet)"),
    )
    run_parser.add_argument(
        "--trs",
        action="store_true",
        help=_(
            "print the Time Release Study tables of the run's shipments (with --out, also "
            "write them as trs_*.csv)"
        ),
    )
    shown = run_parser.add_mutually_exclusive_group()
    shown.add_argument(
        "--full",
        action="store_true",
        help=_(
            "print the summary by area, mode, trader group and station, and what it assumes "
            "(the default prints each country and the region, headline indicators)"
        ),
    )
    shown.add_argument(
        "--long",
        action="store_true",
        help=_("print every row of the summary (long format: the rows --out writes)"),
    )
    run_parser.set_defaults(handler=run_command)

    compare_parser = commands.add_parser(
        "compare",
        help=_("compare scenarios on common random numbers"),
        description=_(
            "Compare two scenarios (A B), or one scenario with the arrangement in force "
            "against not in force, on common random numbers: each indicator in every scenario and "
            "the paired differences from the first, with 95% intervals; then the answer (one "
            "sentence per question, one row per country) and what it assumes."
        ),
    )
    compare_parser.add_argument(
        "scenarios",
        nargs="*",
        type=Path,
        metavar="SCENARIO",
        help=_(
            "one scenario (with vs without the arrangement) or two (A B): files or bundled "
            "scenarios' names; default: lac-regional"
        ),
    )
    compare_parser.add_argument(
        "--utilisation",
        type=_fractions,
        default=None,
        metavar="U,U,...",
        help=_("sweep the arrangement's utilisation, e.g. 0.25,0.5,0.75,1 (0 is the baseline)"),
    )
    _add_run_options(compare_parser, "comparison.csv, comparison.parquet")
    compare_parser.set_defaults(handler=compare_command)

    report = commands.add_parser(
        "report",
        help=_("write an HTML report of a run or comparison folder"),
        description=_(
            "Write a self-contained HTML report from the --out "
            "folder of `mrasim run` or `mrasim compare`."
        ),
    )
    report.add_argument("folder", type=Path, help=_("the --out folder of run or compare"))
    report.add_argument(
        "-o",
        "--output",
        type=Path,
        default=None,
        help=_("HTML file to write (default: FOLDER/report.html)"),
    )
    report.add_argument(
        "--country",
        type=_names,
        default=None,
        metavar="COUNTRY,...",
        help=_(
            "a national brief: the page speaks only of these countries (ISO codes or names, "
            "any case), written to FOLDER/report-PER.html; default: the countries the run chose "
            "with --country, else all"
        ),
    )
    report.add_argument(
        "--xlsx",
        action="store_true",
        help=_("also write the workbook: FOLDER/answer.xlsx (answer-PER.xlsx with --country)"),
    )
    report.add_argument(
        "-q", "--quiet", action="store_true", help=_("do not print the file written")
    )
    report.set_defaults(handler=report_command)

    _add_calibrate(commands)
    _add_records(commands)
    _add_experiment_parser(commands)

    validate = commands.add_parser(
        "validate",
        help=_("check a scenario and say what it contains"),
        description=_(
            "Check a scenario file and print what it contains: ports, trader groups, "
            "servers and each station's offered load. With --expand, print instead the whole "
            "scenario as the simulator reads it, every port with its port_defaults merged in."
        ),
    )
    validate.add_argument(
        "scenario", type=Path, help=_("scenario YAML file, or a bundled scenario's name")
    )
    validate.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help=_("override a scenario field, e.g. --set arrangement.utilisation=0.8"),
    )
    validate.add_argument(
        "--vary",
        action="append",
        default=[],
        metavar="PATH=[LOW,HIGH]",
        help=_("one more uncertain input, to check and list (as run and compare take it)"),
    )
    validate.add_argument(
        "--expand",
        action="store_true",
        help=_("print the fully expanded scenario (YAML), port defaults merged into each port"),
    )
    validate.set_defaults(handler=validate_command)

    explore = commands.add_parser(
        "explore",
        help=_("the comparison, live, in the browser"),
        description=_(
            "Serve a local page where the arrangement's controls (utilisation, what "
            "recognition grants, staffing, the countries shown, replications) are moved and the "
            "answer settles as replications accumulate; Ctrl-C stops it."
        ),
    )
    explore.add_argument(
        "scenario",
        nargs="?",
        type=Path,
        default=DEFAULT_SCENARIO,
        help=_("scenario YAML file, or a bundled scenario's name (default: lac-regional)"),
    )
    explore.add_argument(
        "--host",
        default="127.0.0.1",
        help=_("address to listen on (default 127.0.0.1: this machine only)"),
    )
    explore.add_argument("--port", type=_port, default=8050, help=_("port (default 8050)"))
    explore.add_argument(
        "--no-browser", action="store_true", help=_("do not open the page in a browser")
    )
    explore.add_argument(
        "-w",
        "--workers",
        type=_positive_int,
        default=None,
        help=_("worker processes per run (default: all cores)"),
    )
    explore.add_argument("-q", "--quiet", action="store_true", help=_("print nothing but errors"))
    explore.set_defaults(handler=explore_command)
    return parser


def _add_experiment_parser(commands: Any) -> None:
    experiment = commands.add_parser(
        "experiment",
        help=_("run a designed experiment (grid, Latin hypercube, Sobol'), resumable"),
        description=_(
            "Run or resume an experiment file (experiments/*.yaml): every design point "
            "times its replications, on common random numbers, in a local process pool or on a "
            "Dask cluster. Finished tasks are stored in --out as they finish; running the same "
            "command again computes only what is missing. Writes results.csv/.parquet, "
            "experiments.csv and outcomes.csv (EMA Workbench), main_effects.csv and, for Sobol' "
            "designs, sensitivity.csv; `mrasim report DIR` draws them."
        ),
    )
    experiment.add_argument("file", type=Path, help=_("experiment YAML file"))
    experiment.add_argument(
        "--executor",
        choices=["local", "dask"],
        default="local",
        help=_(
            "local: a process pool on this machine (default); dask: a Dask cluster at "
            "--address, else $DASK_SCHEDULER_ADDRESS, else a LocalCluster of -w processes"
        ),
    )
    experiment.add_argument(
        "--address", default=None, metavar="tcp://HOST:PORT", help=_("Dask scheduler address")
    )
    experiment.add_argument(
        "-w",
        "--workers",
        type=_positive_int,
        default=None,
        help=_(
            "worker processes, local or LocalCluster (default: all cores); "
            "never changes the numbers"
        ),
    )
    experiment.add_argument(
        "--out",
        type=Path,
        default=None,
        help=_("results folder (default: out/NAME, NAME from the file)"),
    )
    experiment.add_argument(
        "-n",
        "--replications",
        type=_positive_int,
        default=None,
        help=_(
            "a trial run: this many replications per point instead of the file's (results in "
            "out/NAME-nN unless --out)"
        ),
    )
    experiment.add_argument(
        "--points",
        type=_positive_int,
        default=None,
        help=_(
            "a trial run: this many points of an lhs design (base samples of a sobol one, a "
            "power of 2) instead of the file's"
        ),
    )
    experiment.add_argument(
        "--uncertainty",
        type=_positive_int,
        default=None,
        metavar="N",
        help=_(
            "also draw the scenario's uncertain inputs N times at every point (the file's "
            "replications each) and add each point's plausible range to results.csv; "
            "resumable (docs/uncertainty.md)"
        ),
    )
    experiment.add_argument(
        "--fresh",
        action="store_true",
        help=_("discard the folder's stored tasks and start over (needed after the file changed)"),
    )
    experiment.add_argument(
        "-q", "--quiet", action="store_true", help=_("no progress bar or table")
    )
    experiment.set_defaults(handler=experiment_command)


def _add_calibrate(commands: Any) -> None:
    """``mrasim calibrate``: see :mod:`sim.calibrate.command`."""
    calibrate = commands.add_parser(
        "calibrate",
        help=_("fit a scenario to clearance records or to published tables"),
        description=_(
            "Fit a template scenario to a record file (one row per declaration, the "
            "columns `mrasim run --records` writes), or its --fit fields to published --targets; "
            "write the fitted scenario, with a calibration: block saying how, and a fit report."
        ),
    )
    calibrate.add_argument(
        "records",
        nargs="?",
        type=Path,
        default=None,
        help=_("record file: CSV, TSV, XLSX (or XLS, ODS) or Parquet"),
    )
    _add_mapping(calibrate)
    calibrate.add_argument(
        "--scenario",
        type=Path,
        required=True,
        metavar="TEMPLATE",
        help=_("template scenario: a file, or a bundled scenario's name"),
    )
    calibrate.add_argument(
        "--out", type=Path, required=True, metavar="FITTED", help=_("fitted scenario to write")
    )
    calibrate.add_argument(
        "--targets", type=Path, default=None, help=_("published targets (YAML) instead of records")
    )
    calibrate.add_argument(
        "--fit",
        action="append",
        default=[],
        metavar="PATH=[LOW,HIGH]",
        help=_("with --targets: a template field to fit, and its range (repeat for each)"),
    )
    calibrate.add_argument("--report", type=Path, default=None, metavar="DIR", help=_("fit report"))
    calibrate.add_argument(
        "--holdout",
        type=_fraction,
        default=None,
        help=_("fit on the first 1 - H of the period, check the fit on the rest (e.g. 0.3)"),
    )
    calibrate.add_argument(
        "-n",
        "--replications",
        type=_positive_int,
        default=None,
        help=_(
            "simulated periods of the fit check (default 20), or replications of each "
            "simulation of a --targets fit (default 10)"
        ),
    )
    calibrate.add_argument(
        "--seed", type=_non_negative_int, default=None, help=_("seed (default: the template's)")
    )
    calibrate.add_argument(
        "-w", "--workers", type=_positive_int, default=None, help=_("worker processes")
    )
    calibrate.add_argument("-q", "--quiet", action="store_true", help=_("no notes or footer"))
    calibrate.set_defaults(handler=calibrate_command)


def _add_records(commands: Any) -> None:
    """``mrasim records inspect`` and ``mrasim trs``: see :mod:`sim.records.command`."""
    records = commands.add_parser(
        "records",
        help=_("look at a record file: its columns, and a draft mapping"),
        description=_(
            "Work with an administration's record files (any CSV, TSV, XLSX or Parquet export)."
        ),
    )
    actions = records.add_subparsers(dest="action", required=True, parser_class=_Parser)
    inspect = actions.add_parser(
        "inspect",
        help=_("profile a record file and draft its mapping"),
        description=_(
            "Read FILE (separator, encoding and header sniffed), show each column "
            "with its kind, fill rate and commonest values, propose a mapping to mrasim's record "
            "columns (names and values in Spanish, Portuguese and English) and write it as a draft "
            "mapping file to edit; then say what the records support (stages measured, ports "
            "with too few rows)."
        ),
    )
    inspect.add_argument("file", type=Path, help=_("record file: CSV, TSV, XLSX or Parquet"))
    _add_mapping(
        inspect, _("reading options (encoding, sep, sheet, header_row) or a mapping to check")
    )
    inspect.add_argument(
        "--scenario",
        type=Path,
        default=None,
        metavar="TEMPLATE",
        help=_("the template the records will fit: its country, port and station names"),
    )
    inspect.add_argument(
        "--draft",
        type=Path,
        default=None,
        metavar="OUT.yaml",
        help=_("where to write the draft mapping (default: FILE.mapping.yaml beside the file)"),
    )
    inspect.add_argument("--force", action="store_true", help=_("replace an existing draft"))
    inspect.add_argument("-q", "--quiet", action="store_true", help=_("no closing hint"))
    inspect.set_defaults(handler=records_inspect_command)

    trs = commands.add_parser(
        "trs",
        help=_("the tables of a Time Release Study, from a record file"),
        description=_(
            "Print (and with --out write) the WCO Time Release Study tables of a "
            "record file: mean, median, 90th percentile and range of each stage and of the "
            "total, by mode, channel, trader group, pre-arrival lodgement and port, the shares "
            "released within 1 h to 7 days, and the hourly and daily patterns. With --scenario, "
            "the scenario is simulated over as many days at the same ports and its tables are "
            "shown beside the records'."
        ),
    )
    trs.add_argument("file", type=Path, help=_("record file: CSV, TSV, XLSX or Parquet"))
    _add_mapping(trs)
    trs.add_argument(
        "--scenario",
        type=Path,
        default=None,
        help=_("a scenario (file or bundled name) to simulate beside the records"),
    )
    trs.add_argument(
        "-n",
        "--replications",
        type=_positive_int,
        default=5,
        help=_("simulated periods pooled with --scenario (default 5)"),
    )
    trs.add_argument(
        "--seed", type=_non_negative_int, default=None, help=_("seed (default: the scenario's)")
    )
    trs.add_argument(
        "-w", "--workers", type=_positive_int, default=None, help=_("worker processes")
    )
    trs.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help=_("write trs_stages.csv, trs_within.csv, trs_hourly.csv and trs_daily.csv there"),
    )
    trs.add_argument("-q", "--quiet", action="store_true", help=_("no footer"))
    trs.set_defaults(handler=trs_command)


def _add_mapping(parser: argparse.ArgumentParser, what: str = "") -> None:
    parser.add_argument(
        "--mapping",
        type=Path,
        default=None,
        metavar="FILE.yaml",
        help=what
        or _(
            "how the record file's columns and values become mrasim's (drafted by "
            "`mrasim records inspect FILE`)"
        ),
    )


def _add_run_options(parser: argparse.ArgumentParser, tables: str) -> None:
    parser.add_argument(
        "-n",
        "--replications",
        type=_positive_int,
        default=10,
        help=_("number of replications (default 10)"),
    )
    parser.add_argument(
        "--seed",
        type=_non_negative_int,
        default=None,
        help=_("master seed (default: the scenario's seed)"),
    )
    parser.add_argument(
        "--engine",
        choices=sorted(ENGINES),
        default=DEFAULT_ENGINE,
        help=_("simulation engine (default {engine}); both give identical numbers").format(
            engine=DEFAULT_ENGINE
        ),
    )
    parser.add_argument(
        "-w",
        "--workers",
        type=_positive_int,
        default=None,
        help=_("worker processes (default: all cores)"),
    )
    parser.add_argument(
        "--precision",
        type=_fraction,
        default=None,
        help=_(
            "add replications until every headline indicator's 95%% half-width "
            "is within this fraction of its mean (e.g. 0.01)"
        ),
    )
    parser.add_argument(
        "--max-replications",
        type=_positive_int,
        default=1000,
        help=_("cap for --precision (default 1000)"),
    )
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help=_("override a scenario field, e.g. --set arrangement.utilisation=0.8"),
    )
    parser.add_argument(
        "--json", action="store_true", help=_("print the summary as one JSON object")
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help=_(
            "directory for {tables} and run.json (every row, whatever the filters), and "
            "answer.xlsx (the answer and the tables by level, of --country's countries)"
        ).format(tables=tables),
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help=_("with --out, replace the results of an earlier run found in the directory"),
    )
    parser.add_argument("-q", "--quiet", action="store_true", help=_("no progress bar or chatter"))
    _add_uncertainty_options(parser)
    for flag, metavar, what in (
        (
            "--country",
            "COUNTRY,...",
            _("show only these countries (ISO codes or names, any case: PER, Peru)"),
        ),
        (
            "--group",
            "GROUP,...",
            _("show only these trader groups ({groups})").format(groups=", ".join(SUMMARY_GROUPS)),
        ),
        (
            "--metric",
            "METRIC,...",
            _("show only these indicators, e.g. clearance_h_mean,green_share"),
        ),
    ):
        parser.add_argument(flag, type=_names, default=None, metavar=metavar, help=what)


def _add_uncertainty_options(parser: argparse.ArgumentParser) -> None:
    """``--uncertainty N`` and what goes with it (see :mod:`sim.uncertainty`)."""
    parser.add_argument(
        "--uncertainty",
        type=_positive_int,
        default=None,
        metavar="N",
        help=_(
            "also draw the scenario's uncertain inputs N times (-n replications each) and "
            "give each result's plausible range and its drivers; resumable (docs/uncertainty.md)"
        ),
    )
    parser.add_argument(
        "--vary",
        action="append",
        default=[],
        metavar="PATH=[LOW,HIGH]",
        help=_(
            "with --uncertainty: one more uncertain input, uniform over the range "
            "(PATH=x[LOW,HIGH]: a scale factor); repeat for each"
        ),
    )
    parser.add_argument(
        "--design",
        choices=["lhs", "sobol"],
        default="lhs",
        help=_(
            "with --uncertainty: a Latin hypercube of N draws (default), or a Sobol' design "
            "of N base samples (N x (inputs + 2) draws; gives total indices too)"
        ),
    )
    parser.add_argument(
        "--executor",
        choices=["local", "dask"],
        default="local",
        help=_("with --uncertainty: a local process pool (default) or a Dask cluster"),
    )
    parser.add_argument(
        "--address", default=None, metavar="tcp://HOST:PORT", help=_("Dask scheduler address")
    )


def _positive_int(text: str) -> int:
    value = _int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(_("must be at least 1, got {value}").format(value=value))
    return value


def _port(text: str) -> int:
    value = _int(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(
            _("a port lies in 1-65535, got {value}").format(value=value)
        )
    return value


def _non_negative_int(text: str) -> int:
    value = _int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(_("must be 0 or more, got {value}").format(value=value))
    return value


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("'{text}' is not a whole number").format(text=text)
        ) from None


def _fractions(text: str) -> list[float]:
    values = []
    for part in text.split(","):
        try:
            value = float(part)
        except ValueError:
            raise argparse.ArgumentTypeError(
                _("'{text}' is not a number").format(text=part)
            ) from None
        if not 0 <= value <= 1:
            raise argparse.ArgumentTypeError(
                _("utilisation must lie in [0, 1], got {value:g}").format(value=value)
            )
        values.append(value)
    return values


def _names(text: str) -> list[str]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise argparse.ArgumentTypeError(_("give at least one name"))
    return names


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("'{text}' is not a number").format(text=text)) from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(
            _("must lie between 0 and 1, got {value:g}").format(value=value)
        )
    return value
