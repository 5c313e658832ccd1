"""The ``mrasim`` command.

Exit status: 0 success; 2 bad input (one line naming the file or option, the
field and the problem); 1 anything else.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import pandas as pd

from . import __version__
from .compare import arrangement_variants, digest, utilisation_variants
from .errors import InputError
from .indicators import ALL, HEADLINE
from .output import records_of, write_frame, write_json
from .runner import DEFAULT_ENGINE, ENGINES, RunResult, compare, default_workers, run
from .scenario import expanded_yaml, load_scenario

BUNDLED = Path(__file__).parent / "scenarios"
DEFAULT_SCENARIO = BUNDLED / "lac-regional.yaml"


class _Parser(argparse.ArgumentParser):
    """argparse, but bad options are one line and exit status 2, like every bad input."""

    def error(self, message: str) -> NoReturn:
        raise InputError(self.prog.removeprefix("mrasim "), "", message)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
        return args.handler(args)
    except InputError as exc:
        print(f"mrasim: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("mrasim: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and closed early: not an error
        sys.stderr.close()
        return 0


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
        "95%% confidence intervals.",
    )
    run_parser.add_argument(
        "scenario",
        nargs="?",
        type=Path,
        default=DEFAULT_SCENARIO,
        help="scenario YAML file (default: the bundled lac-regional.yaml)",
    )
    _add_run_options(run_parser)
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
        "the paired differences from the first, with 95%% intervals.",
    )
    compare_parser.add_argument(
        "scenarios",
        nargs="*",
        type=Path,
        metavar="SCENARIO",
        help="one scenario (with vs without the arrangement) or two (A B); "
        "default: the bundled lac-regional.yaml",
    )
    compare_parser.add_argument(
        "--utilisation",
        type=_fractions,
        default=None,
        metavar="U,U,...",
        help="sweep the arrangement's utilisation, e.g. 0,0.25,0.5,0.75,1",
    )
    _add_run_options(compare_parser)
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

    validate = commands.add_parser(
        "validate",
        help="check a scenario and say what it contains",
        description="Check a scenario file and print what it contains: ports, trader groups, "
        "servers and each station's offered load. With --expand, print instead the whole "
        "scenario as the simulator reads it, every port with its port_defaults merged in.",
    )
    validate.add_argument("scenario", type=Path, help="scenario YAML file")
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
    _add_calibrate(commands)
    return parser


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


def _add_run_options(parser: argparse.ArgumentParser) -> None:
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
        help="directory for summary.csv, summary.parquet and run.json",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar or chatter")


def _positive_int(text: str) -> int:
    value = _int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
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
    from .describe import describe

    scenario = load_scenario(args.scenario, args.overrides)
    if args.expand:
        print(expanded_yaml(scenario), end="")
        return 0
    print(f"{args.scenario}: valid")
    print(describe(scenario))
    return 0


def _run(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario, args.overrides)
    if args.records and args.out is None:
        raise InputError("--records", "", "records are written to a directory: add --out DIR")
    _prepare_out(args.out)
    started = time.perf_counter()
    with _progress(args) as advance:
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
        )
    elapsed = time.perf_counter() - started
    summary = result.summary()
    if args.out is not None:
        _write_run(args.out, result, summary, args.records)
    if args.json:
        print(json.dumps(_run_json(result, summary)))
        return 0
    print(_digest(result, summary, full=args.full))
    _footer(args, result.stop_reason, result.seed, result.replications, elapsed)
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
    _prepare_out(args.out)
    started = time.perf_counter()
    with _progress(args) as advance:
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
        )
    elapsed = time.perf_counter() - started
    table = result.table()
    meta = {
        "scenarios": labels,
        "files": [str(p) for p in paths],
        "engine": args.engine,
        "replications": result.replications,
        "seed": result.results[0].seed,
        "stop_reason": result.stop_reason,
    }
    if args.out is not None:
        write_frame(table, args.out / "comparison.csv")
        write_frame(table, args.out / "comparison.parquet")
        definitions = [s.model_dump(mode="json", by_alias=True) for s in scenarios]
        write_json(
            meta | {"kind": "comparison", "scenario_definitions": definitions},
            args.out / "run.json",
        )
    if args.json:
        print(json.dumps(meta | {"summary": records_of(table)}))
        return 0
    rates = scenarios[0].cost_of_delay.rates_per_day
    central = rates[len(rates) // 2] if rates else None
    print(
        f"{' vs '.join(labels)}: {result.replications} replications on common random numbers; "
        "means, and paired differences from the first with 95% intervals (clearance in hours)\n"
    )
    print(digest(table, labels, central))
    _footer(args, result.stop_reason, meta["seed"], result.replications, elapsed)
    return 0


def _footer(
    args: argparse.Namespace, stop_reason: str, seed: int, replications: int, elapsed: float
) -> None:
    """How the numbers were made: the line a reader needs to reproduce them."""
    if args.quiet:
        return
    workers = min(args.workers or default_workers(), replications)
    written = f"; written to {args.out}" if args.out else ""
    print(
        f"\n{stop_reason}; engine {args.engine}, seed {seed}, {workers} workers, "
        f"{elapsed:.1f} s{written}"
    )


def _prepare_out(out: Path | None) -> None:
    """Check (and create) the --out directory before any work, not after an hour of it."""
    if out is None:
        return
    if out.exists() and not out.is_dir():
        raise InputError("--out", str(out), "exists and is not a directory; give a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            "--out", str(out), f"cannot create the directory ({exc.strerror or exc})"
        ) from None


def _run_json(result: RunResult, summary: pd.DataFrame) -> dict[str, Any]:
    return {
        "scenario": result.scenario.name,
        "engine": result.engine,
        "replications": result.replications,
        "seed": result.seed,
        "stop_reason": result.stop_reason,
        "summary": records_of(summary),
    }


def _write_run(out: Path, result: RunResult, summary: pd.DataFrame, with_records: bool) -> None:
    if with_records:
        write_frame(result.records(), out / "records.parquet")
    write_frame(summary, out / "summary.csv")
    write_frame(summary, out / "summary.parquet")
    meta = _run_json(result, summary)
    meta.pop("summary")
    write_json(
        meta | {"scenario_definition": result.scenario.model_dump(mode="json", by_alias=True)},
        out / "run.json",
    )


class _progress:
    """A progress bar on stderr for runs that last, only when stderr is a terminal."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.enabled = not args.quiet and not args.json and sys.stderr.isatty()
        self.total = args.replications
        self.bar: Any = None

    def __enter__(self) -> Any:
        if not self.enabled:
            return None
        from tqdm import tqdm

        self.bar = tqdm(total=self.total, unit="rep", delay=2.0, file=sys.stderr, leave=False)

        def advance(n: int) -> None:
            if self.bar.n + n > self.bar.total:
                self.bar.total = self.bar.n + n
            self.bar.update(n)

        return advance

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()


# --- printing -----------------------------------------------------------------


def _cell(mean: float, low: float, high: float, metric: str) -> str:
    if not np.isfinite(mean):
        return "-"
    if metric == "shipments":
        return f"{mean:,.0f}"
    digits = 3 if metric.endswith(("_share", "_rate", "utilisation")) else 2
    text = f"{mean:.{digits}f}"
    if np.isfinite(low):
        text += f" ±{(high - low) / 2:.{digits}f}"
    return text


def _digest(result: RunResult, summary: pd.DataFrame, full: bool = False) -> str:
    """The summary as people read it: headline indicators by area and group, then stations."""
    if full:
        with pd.option_context("display.max_rows", None, "display.width", 200):
            return summary.to_string(index=False)
    frame = summary.copy()
    frame["cell"] = [
        _cell(m, lo, hi, metric)
        for m, lo, hi, metric in zip(
            frame["mean"], frame["ci_low"], frame["ci_high"], frame["metric"], strict=True
        )
    ]
    several_ports = (
        frame.loc[frame.port != ALL, "port"].nunique() > 1 or frame.country.nunique() > 2
    )
    if several_ports:  # countries and the region by group; each mode of each, group all
        areas = frame[(frame.port == ALL) & ((frame["mode"] == ALL) | (frame.group == ALL))]
        index = ["country", "mode", "group"]
    else:
        areas = frame[frame.port != ALL]
        index = ["country", "mode", "port", "group"]
    metrics = [*HEADLINE, "shipments"]
    table = areas[areas.metric.isin(metrics) & areas.group.notna()].pivot_table(
        index=index,
        columns="metric",
        values="cell",
        aggfunc="first",
        sort=False,
    )[metrics]
    table.columns = [m.replace("clearance_h_", "clearance h ").replace("_", " ") for m in metrics]
    table = table.fillna("-")
    title = (
        f"{result.scenario.name}: {result.replications} replications, means with 95% intervals"
        f" (clearance in hours from arrival to release)"
    )
    parts = [title, "", table.to_string()]
    stations = frame[(frame.station.notna()) & (frame.group.isna() | (frame.group == ALL))]
    if not stations.empty and frame.loc[frame.port != ALL, "port"].nunique() <= 5:
        st = stations.pivot_table(
            index=["country", "mode", "port", "station"],
            columns="metric",
            values="cell",
            aggfunc="first",
            sort=False,
        )
        measures = ("wait_h_mean", "service_h_mean", "general_utilisation", "reserved_utilisation")
        st = st[[c for c in (*measures, "overtime_h") if c in st]]
        st.columns = [c.replace("_", " ") for c in st.columns]
        st = st.fillna("-")
        parts += ["", st.to_string()]
    if several_ports:
        parts += ["", "per-port rows: --full, --json or --out"]
    return "\n".join(parts)


if __name__ == "__main__":
    raise SystemExit(main())
