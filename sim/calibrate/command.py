"""``mrasim calibrate``: one command from data to a fitted scenario and a fit report.

    mrasim calibrate RECORDS --scenario TEMPLATE.yaml --out FITTED.yaml [--report DIR]
                     [--holdout 0.3] [-n N] [--seed S] [-w W] [-q]
    mrasim calibrate --targets TARGETS.yaml --scenario TEMPLATE.yaml
                     --fit PATH=[LOW,HIGH] [--fit ...] --out FITTED.yaml [--report DIR]

Prints the answer first (what was fitted, and whether to trust it), then the
data-quality table, the fitted values with their intervals, and the comparison of
records (or published targets) with the fitted model. Writes FITTED.yaml, and
beside it FITTED.data-quality.csv (records); with --report, an HTML page and PNGs.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from sim.calibrate import writeback
from sim.calibrate.check import DISPLAY_COLUMNS, display_rows
from sim.calibrate.from_records import CHECK_PERIODS, RecordsCalibration, calibrate_records
from sim.calibrate.provenance import command_for, fitted_fields, number_text
from sim.calibrate.targets import REPLICATIONS as TARGET_REPLICATIONS
from sim.calibrate.targets import TargetsCalibration, calibrate_targets
from sim.errors import InputError
from sim.model.load import load_scenario
from sim.plan.compile import compile_plan
from sim.replicate import sizing
from sim.replicate.runner import DEFAULT_ENGINE, default_workers
from sim.results.atomic import write_frame

PROFILE_FIELDS = ("weekly_profile", "hourly_profile")


def run(args: argparse.Namespace) -> int:
    """The ``calibrate`` subcommand (arguments as :func:`sim.cli` defines them)."""
    _check_arguments(args)
    if args.replications is None:
        args.replications = TARGET_REPLICATIONS if args.targets else CHECK_PERIODS
    args.workers = _fitting_workers(args)
    started = time.perf_counter()
    command = canonical_command(args)
    if args.targets is not None:
        result: RecordsCalibration | TargetsCalibration = calibrate_targets(
            args.targets,
            args.scenario,
            args.fit,
            replications=args.replications,
            seed=args.seed,
            workers=args.workers,
            command=command,
        )
    else:
        result = calibrate_records(
            args.records,
            args.scenario,
            holdout=args.holdout,
            replications=args.replications,
            seed=args.seed,
            workers=args.workers,
            command=command,
        )
    writeback.write_text(result.text, args.out)
    written = [str(args.out)]
    if isinstance(result, RecordsCalibration):
        quality = quality_path(args.out)
        write_frame(result.records.quality, quality)
        written.append(str(quality))
    if args.report is not None:
        from sim.calibrate.report import write_report

        written.append(str(write_report(result, args.report)))
    if isinstance(result, TargetsCalibration):
        print(targets_text(result))
    else:
        print(records_text(result, quiet=args.quiet))
    if not args.quiet:
        elapsed = time.perf_counter() - started
        workers = args.workers or default_workers()
        print(f"\nwritten: {', '.join(written)}; {workers} workers, {elapsed:.1f} s")
    return 0


def _check_arguments(args: argparse.Namespace) -> None:
    if (args.records is None) == (args.targets is None):
        raise InputError(
            "mrasim calibrate", "", "give a record file, or --targets TARGETS.yaml (not both)"
        )
    if args.targets is not None and args.holdout is not None:
        raise InputError("--holdout", "", "a holdout needs a record file, not --targets")
    if args.targets is None and args.fit:
        raise InputError("--fit", args.fit[0], "--fit goes with --targets; records fit every field")
    if args.out.suffix not in (".yaml", ".yml"):
        raise InputError("--out", str(args.out), "the fitted scenario is a .yaml file")
    if args.out.exists() and args.out.is_dir():
        raise InputError("--out", str(args.out), "is a directory; give a .yaml file")
    if args.report is not None and args.report.exists() and not args.report.is_dir():
        raise InputError("--report", str(args.report), "exists and is not a directory")


def quality_path(out: Path) -> Path:
    return out.with_name(f"{out.stem}.data-quality.csv")


def _fitting_workers(args: argparse.Namespace) -> int:
    """Workers whose simulations of the template fit in memory, checked before anything is
    read or fitted; a template too big for the machine is refused in one line. (A fitted
    scenario simulates the records' own period and ports: it is as big as the data.)"""
    plans = [compile_plan(load_scenario(args.scenario))]
    return sizing.workers_for(
        plans, DEFAULT_ENGINE, False, args.workers, args.replications, str(args.scenario)
    )


def canonical_command(args: argparse.Namespace) -> str:
    """The command that reproduces the numbers (worker count aside: it changes none)."""
    return command_for(
        args.scenario,
        args.out,
        records=args.records,
        targets=args.targets,
        fits=args.fit,
        holdout=args.holdout,
        replications=args.replications,
        seed=args.seed,
    )


# --- printing ----------------------------------------------------------------------------


def _number(value: object) -> str:
    return number_text(value, "-")


def _interval(interval: tuple | None) -> str:
    if interval is None:
        return ""
    low, high = interval
    return f"[{_number(low)}, {'no upper bound' if high is None else _number(high)}]"


def records_text(result: RecordsCalibration, quiet: bool = False) -> str:
    part = result.fit_part
    verdict_check = result.holdout or result.in_sample
    ports = ", ".join(f.key for f in result.ports)
    excluded = sum(result.records.excluded.values())
    lines = [
        f"{ports}: fitted to {part.rows_used:,} records over {part.days[1] - part.days[0]:g} "
        f"days ({excluded:,} excluded); {verdict_check.verdict.upper()} "
        f"(judged on the {verdict_check.label}: see 'Fit check')",
        "",
        "Data quality: rows excluded, by reason (first reason a row fails)",
        _indent(_quality_table(result.records.quality)),
        "",
        f"Fitted values, {result.calibration.confidence:.0%} intervals",
        _indent(_fields_table(result)),
    ]
    for check in (result.in_sample, result.holdout):
        if check is None:
            continue
        lines += [
            "",
            f"Fit check, {check.label} (days {check.days[0]:g}-{check.days[1]:g}): records "
            f"against {check.replications} simulated periods; Kolmogorov-Smirnov distance D",
            _indent(_check_table(check.headline)),
        ]
    if not quiet and result.calibration.notes:
        lines += ["", "Notes:", *(f"  - {note}" for note in result.calibration.notes)]
    return "\n".join(lines)


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


def _quality_table(quality: pd.DataFrame) -> str:
    shown = quality[(quality.rows > 0) | quality.reason.isin(["used", "read"])]
    width = max(len(r) for r in shown.reason)
    return "\n".join(
        f"{r:<{width}}  {n:>9,}" for r, n in zip(shown.reason, shown.rows, strict=True)
    )


def _fields_table(result: RecordsCalibration) -> str:
    rows = []
    for estimate in result.estimates:
        if estimate.path.endswith(PROFILE_FIELDS):
            values = np.asarray(estimate.value, dtype=float)
            rows.append(
                (
                    _short(estimate.path),
                    "-" if estimate.template is None else "given",
                    f"{len(values)} values, {values.min():.3g} to {values.max():.3g}",
                    "each with its interval in the file",
                )
            )
            continue
        for field in fitted_fields([estimate]):
            template = _template_leaf(estimate, field.path)
            rows.append(
                (
                    _short(field.path),
                    _number(template),
                    _number(field.value),
                    _interval(field.interval),
                )
            )
    return _columns(("field", "template", "fitted", "interval"), rows)


def _short(path: str) -> str:
    """countries.PER.ports.callao.x.y -> PER/callao x.y"""
    parts = path.split(".")
    if len(parts) > 4 and parts[0] == "countries" and parts[2] == "ports":
        return f"{parts[1]}/{parts[3]} {'.'.join(parts[4:])}"
    return path


def _template_leaf(estimate, path: str) -> object:
    rest = path[len(estimate.path) :].lstrip(".")
    value = estimate.template
    for key in filter(None, rest.split(".")):
        value = value.get(key) if isinstance(value, dict) else None
    if isinstance(value, dict | list):
        return None
    return value


def _check_table(table: pd.DataFrame) -> str:
    return _columns(DISPLAY_COLUMNS, display_rows(table))


def _columns(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> str:
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows, strict=True)]
    lines = ["  ".join(f"{h:<{w}}" for h, w in zip(header, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(f"{c:<{w}}" for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines)


def targets_text(result: TargetsCalibration) -> str:
    table = result.table
    within = int(table.within.sum())
    lines = [
        f"{result.targets.name}: {within} of {len(table)} targets within tolerance after "
        f"{result.evaluations} simulations ({result.solver})",
        "",
        "Targets: published, simulated (95% interval over replications), relative error",
    ]
    rows = [
        (
            str(r.target),
            f"{r.published:.4g}",
            f"{r.simulated:.4g} [{r.ci_low:.4g}, {r.ci_high:.4g}]",
            f"{r.relative_error:+.1%}",
            f"±{r.tolerance:.0%}",
            "yes" if r.within else "NO",
        )
        for r in table.itertuples()
    ]
    lines.append(
        _indent(
            _columns(("target", "published", "simulated", "error", "tolerance", "within"), rows)
        )
    )
    lines += [
        "",
        "Fitted fields (interval: the range over which the targets it moves stay within tolerance)",
    ]
    fitted = [
        (
            e.path,
            _number(e.template),
            _number(e.value),
            _interval((e.low, e.high)) if e.low is not None else "none",
        )
        for e in result.estimates
    ]
    lines.append(_indent(_columns(("field", "template", "fitted", "interval"), fitted)))
    return "\n".join(lines)
