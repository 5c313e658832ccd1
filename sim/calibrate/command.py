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
import textwrap
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from sim.calibrate import writeback
from sim.calibrate.check import CHANCE_NOTE, DISPLAY_COLUMNS, display_rows
from sim.calibrate.from_records import CHECK_PERIODS, RecordsCalibration, calibrate_records
from sim.calibrate.provenance import command_for, fitted_fields, number_text
from sim.calibrate.targets import REPLICATIONS as TARGET_REPLICATIONS
from sim.calibrate.targets import TargetsCalibration, calibrate_targets
from sim.errors import InputError
from sim.interpret.tables import fit_table
from sim.language import N_, _, ngettext, pgettext
from sim.language.formats import decimal
from sim.model.load import load_scenario, resolve_scenario
from sim.plan.compile import compile_plan
from sim.records.mapping import load_mapping
from sim.replicate import sizing
from sim.replicate.runner import DEFAULT_ENGINE, default_workers
from sim.results.atomic import write_frame

PROFILE_FIELDS = ("weekly_profile", "hourly_profile")


def run(args: argparse.Namespace) -> int:
    """The ``calibrate`` subcommand (arguments as :func:`sim.cli` defines them)."""
    _check_arguments(args)
    mapping = load_mapping(args.mapping)
    if args.replications is None:
        args.replications = TARGET_REPLICATIONS if args.targets else CHECK_PERIODS
    command = canonical_command(args)  # the template as typed: a bundled name stays a name
    args.scenario = resolve_scenario(args.scenario)  # read like every command reads it
    args.workers = _fitting_workers(args)
    started = time.perf_counter()
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
            mapping=mapping,
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
        footer = ngettext(
            "written: {files}; {workers} worker, {seconds} s",
            "written: {files}; {workers} workers, {seconds} s",
            workers,
        ).format(files=", ".join(written), workers=workers, seconds=decimal(elapsed, 1))
        print("\n" + "\n".join(_wrap(footer, "", "    ")))
    return 0


def _check_arguments(args: argparse.Namespace) -> None:
    if (args.records is None) == (args.targets is None):
        raise InputError(
            "mrasim calibrate", "", _("give a record file, or --targets TARGETS.yaml (not both)")
        )
    if args.targets is not None and args.holdout is not None:
        raise InputError("--holdout", "", _("a holdout needs a record file, not --targets"))
    if args.targets is not None and args.mapping is not None:
        raise InputError("--mapping", str(args.mapping), _("a mapping goes with a record file"))
    if args.targets is None and args.fit:
        raise InputError(
            "--fit", args.fit[0], _("--fit goes with --targets; records fit every field")
        )
    if args.out.suffix not in (".yaml", ".yml"):
        raise InputError("--out", str(args.out), _("the fitted scenario is a .yaml file"))
    if args.out.exists() and args.out.is_dir():
        raise InputError("--out", str(args.out), _("is a directory; give a .yaml file"))
    if args.report is not None and args.report.exists() and not args.report.is_dir():
        raise InputError("--report", str(args.report), _("exists and is not a directory"))


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
        mapping=args.mapping,
    )


# --- printing ----------------------------------------------------------------------------


def _number(value: object) -> str:
    return number_text(value, "-")


def _interval(interval: tuple | None) -> str:
    if interval is None:
        return ""
    low, high = interval
    return f"[{_number(low)}, {_('no upper bound') if high is None else _number(high)}]"


WIDTH = 100
"""Every line calibrate prints fits 100 columns, as run's do."""


def records_text(result: RecordsCalibration, quiet: bool = False) -> str:
    part = result.fit_part
    verdict_check = result.holdout or result.in_sample
    ports = ", ".join(f.key for f in result.ports)
    excluded = sum(result.records.excluded.values())
    headline = _(
        "{ports}: fitted to {rows} records over {days} days ({excluded} excluded); {verdict} "
        "(judged on the {label}: see 'Fit check')"
    ).format(
        ports=ports,
        rows=decimal(part.rows_used, 0),
        days=f"{part.days[1] - part.days[0]:g}",
        excluded=decimal(excluded, 0),
        verdict=_(verdict_check.verdict).upper(),
        label=_(verdict_check.label),
    )
    lines = [
        *_wrap(headline, ""),
        "",
        _("Data quality: rows excluded, by reason (first reason a row fails)"),
        _indent(_quality_table(result.records.quality)),
        "",
        _("Fitted values, {confidence} intervals").format(
            confidence=f"{result.calibration.confidence:.0%}"
        ),
        _indent(_fields_table(result)),
    ]
    for check in (result.in_sample, result.holdout):
        if check is None:
            continue
        lines += [
            "",
            *_wrap(
                _(
                    "Fit check, {label} (days {first:g}-{last:g}): records vs {periods} "
                    "simulated periods; D: Kolmogorov-Smirnov distance"
                ).format(
                    label=_(check.label),
                    first=check.days[0],
                    last=check.days[1],
                    periods=check.replications,
                ),
                "",
            ),
            _indent(_check_table(check.headline)),
        ]
    lines += ["", *_wrap(_(CHANCE_NOTE), "  ", "  ")]
    if not quiet and result.calibration.notes:
        # the notes are the fitted file's calibration: block, which stays English
        notes = (x for note in result.calibration.notes for x in _wrap(note))
        lines += ["", _("Notes:"), *notes]
    return "\n".join(lines)


def _wrap(text: str, first: str = "  - ", rest: str = "    ") -> list[str]:
    """Lines of at most 100 columns (a word longer than that, a path, stays whole)."""
    return textwrap.wrap(
        text,
        WIDTH,
        initial_indent=first,
        subsequent_indent=rest,
        break_on_hyphens=False,
        break_long_words=False,
    ) or [first.rstrip()]


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


def _quality_table(quality: pd.DataFrame) -> str:
    shown = quality[(quality.rows > 0) | quality.reason.isin(["used", "read"])]
    # the table's reasons are the file's words (data-quality CSV): said, here, translated
    totals = {"used": pgettext("rows", "used"), "read": pgettext("rows", "read")}
    reasons = [totals[r] if r in totals else _(r) for r in shown.reason]
    width = max(len(r) for r in reasons)
    return "\n".join(
        f"{r:<{width}}  {decimal(n, 0):>9}" for r, n in zip(reasons, shown.rows, strict=True)
    )


def _fields_table(result: RecordsCalibration) -> str:
    """Fitted values under a line per port (the port is not repeated on every row)."""
    rows: list[tuple[str, ...]] = []
    port = ""
    for estimate in result.estimates:
        for row in _field_rows(estimate):
            where, _, field = row[0].partition(" ") if row[0].count(" ") else ("", "", row[0])
            if where and where != port:
                rows.append((where, "", "", ""))
                port = where
            rows.append(("  " + field if where else field, *row[1:]))
    header = _field_header()
    text = _columns(header, rows)
    if max(len(line) for line in text.splitlines()) > WIDTH - 2:
        return fit_table(header, rows, 1, WIDTH - 2)
    return text


def _field_header() -> tuple[str, str, str, str]:
    """The columns of a fitted-values table, in the active language."""
    return (
        pgettext("table header", "field"),
        pgettext("table header", "template"),
        pgettext("table header", "fitted"),
        pgettext("table header", "interval"),
    )


def _field_rows(estimate) -> list[tuple[str, str, str, str]]:
    if estimate.path.endswith(PROFILE_FIELDS):
        values = np.asarray(estimate.value, dtype=float)
        template = "-" if estimate.template is None else _("given")
        shown = f"{values.min():.3g}-{values.max():.3g} ({len(values)})"
        return [(_short(estimate.path), template, shown, _("in the file"))]
    return [
        (
            _short(field.path),
            _number(_template_leaf(estimate, field.path)),
            _number(field.value),
            _interval(field.interval),
        )
        for field in fitted_fields([estimate])
    ]


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


TERMINAL_CHECK = (
    N_("stage"),
    N_("channel"),
    N_("group"),
    N_("records"),
    N_("rec. h"),
    N_("model h"),
    N_("error"),
    "D",
    N_("chance"),
    N_("grade"),
)
"""The fit check as printed: the report's columns less the port (a line of its own) and the
Wasserstein distance (in the report and the fitted file's statistics)."""


def _check_table(table: pd.DataFrame) -> str:
    shown = dict(zip(DISPLAY_COLUMNS, range(len(DISPLAY_COLUMNS)), strict=True))
    pick = [
        shown[c]
        for c in (
            "stage",
            "channel",
            "group",
            "records",
            "mean h (records)",
            "mean h (model)",
            "mean error",
            "KS D",
            "D by chance",
            "grade",
        )
    ]
    rows: list[tuple[str, ...]] = []
    port = ""
    for row in display_rows(table):
        if row[0] != port:
            rows.append((f"{row[0]}:", *[""] * (len(pick) - 1)))
            port = row[0]
        cells = [row[i] for i in pick]
        cells[-1] = _grade(cells[-1])
        rows.append(tuple(cells))
    header = tuple(_(name) for name in TERMINAL_CHECK)
    return fit_table(header, rows, 3, WIDTH - 2)


def _grade(grade: str) -> str:
    """A fit grade of the check's table (a file's word: good, fair or poor), said."""
    said = {"good": _("good"), "fair": _("fair"), "poor": _("poor")}
    return said.get(grade, grade)


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
        *_wrap(
            _(
                "{name}: {within} of {targets} targets within tolerance after {simulations} "
                "simulations ({solver})"
            ).format(
                name=result.targets.name,
                within=within,
                targets=len(table),
                simulations=result.evaluations,
                solver=result.solver,
            ),
            "",
        ),
        "",
        _("Targets: published, simulated (95% interval over replications), relative error"),
    ]
    rows = [
        (
            str(r.target),
            f"{r.published:.4g}",
            f"{r.simulated:.4g} [{r.ci_low:.4g}, {r.ci_high:.4g}]",
            f"{r.relative_error:+.1%}",
            f"±{r.tolerance:.0%}",
            _("yes") if r.within else _("NO"),
        )
        for r in table.itertuples()
    ]
    header = (
        pgettext("table header", "target"),
        pgettext("table header", "published"),
        pgettext("table header", "simulated"),
        pgettext("table header", "error"),
        pgettext("table header", "tolerance"),
        pgettext("table header", "within"),
    )
    lines.append(_indent(fit_table(header, rows, 1, WIDTH - 2)))
    lines += [
        "",
        *_wrap(
            _(
                "Fitted fields (interval: the range over which the targets it moves stay within "
                "tolerance)"
            ),
            "",
        ),
    ]
    fitted = [
        (
            e.path,
            _number(e.template),
            _number(e.value),
            _interval((e.low, e.high)) if e.low is not None else _("none"),
        )
        for e in result.estimates
    ]
    text = _columns(_field_header(), fitted)
    if max(len(line) for line in text.splitlines()) > WIDTH - 2:
        text = "\n".join(_field_block(*row) for row in fitted)
    lines.append(_indent(text))
    return "\n".join(lines)


def _field_block(path: str, template: str, fitted: str, interval: str) -> str:
    """A fitted field whose path (or paths, joined by commas) is too long for a table row."""
    paths = path.split(",")
    named = [p + ("," if i < len(paths) - 1 else "") for i, p in enumerate(paths)]
    wrapped = [x for p in named for x in textwrap.wrap(p, WIDTH - 2, break_on_hyphens=False)]
    said = _("template {template}, fitted {fitted}, interval {interval}").format(
        template=template, fitted=fitted, interval=interval
    )
    return "\n".join([*wrapped, f"    {said}"])
