"""``mrasim records inspect`` and ``mrasim trs``: a file profiled and its mapping drafted; the
Time Release Study tables of a file (beside a scenario's, when one is given).

    mrasim records inspect FILE [--mapping M] [--scenario TEMPLATE] [--draft OUT.yaml] [--force]
    mrasim trs FILE [--mapping M] [--scenario S] [-n N] [--seed S] [--out DIR] [-w W] [-q]
"""

from __future__ import annotations

import argparse
import shlex
import sys
import textwrap
from pathlib import Path

import pandas as pd

from sim.errors import InputError
from sim.language import _, ngettext
from sim.language.formats import decimal
from sim.model.load import load_scenario, resolve_scenario
from sim.model.schema import Scenario
from sim.records.inspect import TODO, draft_mapping, draft_text, inspect_file, inspection_text
from sim.records.inspect import support as what_it_supports
from sim.records.mapping import load_mapping
from sim.records.read import Records, read_records
from sim.records.trs import FILES, TrsTables, trs_tables
from sim.records.trs_text import trs_text
from sim.results.atomic import write_atomic, write_frame

SIMULATED_PERIODS = 5
"""Simulated periods pooled beside the records in ``mrasim trs --scenario`` (default -n)."""
WARMUP_DAYS = 7.0


def draft_path(path: Path) -> Path:
    """FILE.csv -> FILE.mapping.yaml, beside it."""
    name = path.name
    for suffix in (
        ".gz",
        ".csv",
        ".tsv",
        ".txt",
        ".xlsx",
        ".xlsm",
        ".xls",
        ".xlsb",
        ".ods",
        ".parquet",
        ".pq",
    ):
        name = name.removesuffix(suffix)
    return path.with_name(f"{name}.mapping.yaml")


def inspect_command(args: argparse.Namespace) -> int:
    out = args.draft or draft_path(args.file)
    if out.suffix not in (".yaml", ".yml"):
        raise InputError("--draft", str(out), _("a mapping is a .yaml file"))
    if out.exists() and not args.force:
        raise InputError(
            "--draft",
            str(out),
            _(
                "exists (an edited mapping, perhaps); give --draft NEW.yaml, or --force to replace "
                "it"
            ),
        )
    mapping = load_mapping(args.mapping)
    scenario = _scenario(args)
    inspection = inspect_file(args.file, mapping, scenario)
    command = shlex.join(["mrasim", "records", "inspect", *args.command_line[3:]])
    text = draft_text(inspection, command)
    write_atomic(out, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    print(inspection_text(inspection))
    print()
    todos = [line.strip() for line in text.splitlines() if f'"{TODO}"' in line]
    if todos:
        _say(
            ngettext(
                "Draft mapping written to {path}; replace its {count} TODO:",
                "Draft mapping written to {path}; replace its {count} TODOs:",
                len(todos),
            ).format(path=out, count=len(todos))
        )
        for line in todos:
            print(textwrap.fill(line, 100, initial_indent="  ", subsequent_indent="      "))
    else:
        _say(
            _("Draft mapping written to {path}: check it, then use it (--mapping {path}).").format(
                path=out
            )
        )
    complete = mapping if mapping.columns else draft_mapping(inspection)
    if complete is not None:
        if mapping.columns:
            heading = _("What the records support, read through {mapping}:").format(
                mapping=args.mapping
            )
        else:
            heading = _("What the records support, read through the draft:")
        print(f"\n{heading}")
        try:
            lines = what_it_supports(args.file, complete, scenario)
        except InputError as exc:
            problem = f"{exc.field}: {exc.problem}" if exc.field else exc.problem
            lines = [_("not readable yet: {problem}").format(problem=problem)]
        for line in lines:
            print(textwrap.fill(line, 100, initial_indent="  - ", subsequent_indent="    "))
    if not args.quiet:
        template = args.scenario or "TEMPLATE.yaml"
        print()
        _say(
            _("next: {command}").format(
                command=f"mrasim calibrate {args.file} --mapping {out} --scenario {template} "
                "--out fitted.yaml"
            )
        )
    return 0


def _say(text: str) -> None:
    """A sentence within 100 columns (long paths break onto the next line, indented)."""
    print(
        textwrap.fill(
            text, 100, subsequent_indent="    ", break_long_words=False, break_on_hyphens=False
        )
    )


def _scenario(args: argparse.Namespace) -> Scenario | None:
    if args.scenario is None:
        return None
    args.scenario = resolve_scenario(args.scenario)
    return load_scenario(args.scenario)


def trs_command(args: argparse.Namespace) -> int:
    if args.out is not None and args.out.exists() and not args.out.is_dir():
        raise InputError("--out", str(args.out), _("exists and is not a directory"))
    scenario = _scenario(args)
    records = read_records(args.file, scenario, load_mapping(args.mapping))
    present = set(records.present)
    tables = trs_tables(records.frame, records.stations, present, "observed")
    if scenario is not None:
        simulated = simulate_like(records, scenario, args.replications, args.seed, args.workers)
        tables = tables.joined(trs_tables(simulated, records.stations, present, "simulated"))
    if args.out is not None:
        write_tables(tables, args.out)
    head = _("{source}: {rows} declarations over {days} days").format(
        source=records.source,
        rows=decimal(records.rows_used, 0),
        days=decimal(records.span_days, 1),
    )
    if records.replications > 1:
        head = _("{head} ({replications} replications)").format(
            head=head, replications=records.replications
        )
    if scenario is not None:
        head = _("{head}; simulated: {scenario}, {periods} periods as long").format(
            head=head, scenario=scenario.name, periods=args.replications
        )
    print(textwrap.fill(head, 100, subsequent_indent="    ", break_long_words=False) + "\n")
    print(trs_text(tables))
    if not args.quiet:
        excluded = sum(records.excluded.values())
        lines = [
            ngettext(
                "{rows} row excluded (calibrate's data-quality table says why)",
                "{rows} rows excluded (calibrate's data-quality table says why)",
                excluded,
            ).format(rows=decimal(excluded, 0))
        ]
        lines.append(_("times: {clock}").format(clock=records.clock))
        if args.out is not None:
            written = ", ".join(str(args.out / f) for f in FILES)
            lines.append(_("written: {files}").format(files=written))
        print("\n" + "\n".join(_fill(x) for x in lines))
    return 0


def _fill(text: str) -> str:
    return textwrap.fill(text, 100, subsequent_indent="  ", break_long_words=False)


def write_tables(tables: TrsTables, out: Path) -> None:
    for name, frame in zip(FILES, tables.frames(), strict=True):
        write_frame(frame, out / name)


def simulate_like(
    records: Records, scenario: Scenario, replications: int, seed: int | None, workers: int | None
) -> pd.DataFrame:
    """The scenario's records over as many days as the observed ones, at their ports only
    (every port when none of theirs is in the scenario), after at least a week's warm-up;
    times the records lack are blanked, so both are measured alike."""
    from sim.replicate.runner import run

    keys = set(records.ports())
    known = {(c, n) for c, n, _ in scenario.ports}
    countries = {
        code: country.model_copy(
            update={"ports": {n: p for n, p in country.ports.items() if (code, n) in keys}}
        )
        for code, country in scenario.countries.items()
    }
    update: dict[str, object] = {
        "horizon_days": max(1.0, records.days[1] - records.days[0]),
        # None: each port's own warm-up, derived from the plan
        "warmup_days": None
        if scenario.warmup_days is None
        else max(scenario.warmup_days, WARMUP_DAYS),
    }
    if keys & known:
        update["countries"] = countries
    else:
        warning = _(
            "warning: no port of {source} is in the scenario; every port of the scenario is "
            "simulated"
        ).format(source=records.source)
        print(f"mrasim: {warning}", file=sys.stderr)
    period = scenario.model_copy(update=update)
    result = run(period, replications=replications, seed=seed, workers=workers, keep_records=True)
    frame = result.records()
    for column in frame.columns:
        timed = column.endswith(("_start", "_end")) or column in ("unloaded", "lodgement")
        if timed and column not in records.present:
            frame[column] = float("nan")
    return frame
