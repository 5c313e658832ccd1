"""The files of a run: every name declared here once, written together, read back whole.

The CLI and the Python API share these functions, so a notebook's
``result.save(folder)`` writes exactly what ``--out folder`` writes, and
:func:`read_results` gives back the same result record
(:class:`~sim.replicate.result.Results`) that the run made: the report, the terminal
and the answer read either alike.

``run.json`` holds, beside the scenario definitions, the run's provenance
(:mod:`sim.results.provenance`) and what its result assumes
(:mod:`sim.interpret.assumptions`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from sim.errors import InputError
from sim.interpret.answer import answer_json, answer_of
from sim.interpret.assumptions import assumptions_of, said_in_every_language, to_json
from sim.model.load import scenario_from_dict
from sim.replicate.result import (
    SUMMARY_COLUMNS,
    TABLE_COLUMNS,
    ComparisonResult,
    Results,
    RunResult,
)
from sim.replicate.warmup import warmup_checks
from sim.results.atomic import write_frame, write_json, writing_into
from sim.results.provenance import provenance_of
from sim.results.workbook import write_workbook

RUN_JSON = "run.json"
"""What a run was, assumes and how it was made; the scenario definitions."""
SUMMARY_CSV, SUMMARY_PARQUET = "summary.csv", "summary.parquet"
COMPARISON_CSV, COMPARISON_PARQUET = "comparison.csv", "comparison.parquet"
RECORDS_FILE = "records.parquet"
REPORT_FILE = "report.html"
UNCERTAINTY_CSV, DRIVERS_CSV, DRAWS_CSV = "uncertainty.csv", "drivers.csv", "draws.csv"
"""Over the uncertain inputs (``--uncertainty N``): ranges, drivers, and each draw."""
WORKBOOK = "answer.xlsx"
"""The spreadsheet of the answer and the tables by level (:mod:`sim.results.workbook`)."""
RESULT_FILES = (
    RUN_JSON,
    SUMMARY_CSV,
    SUMMARY_PARQUET,
    COMPARISON_CSV,
    COMPARISON_PARQUET,
    RECORDS_FILE,
    REPORT_FILE,
    UNCERTAINTY_CSV,
    DRIVERS_CSV,
    DRAWS_CSV,
    WORKBOOK,
)
"""Files a run or comparison folder may hold: another run's, if found where a new one goes."""


# --- writing ----------------------------------------------------------------------


def run_record(
    result: RunResult,
    command: Sequence[str] | None = None,
    countries: Sequence[str] | None = None,
) -> dict[str, Any]:
    """What a run was and assumes (``--json`` adds the summary, ``run.json`` the scenario);
    ``countries`` (ISO codes, ``--country``): the countries its outputs speak of."""
    return {
        "scenario": result.scenario.name,
        "countries": None if countries is None else list(countries),
        "engine": result.engine,
        "replications": result.replications,
        "seed": result.seed,
        "stop_reason": result.stop_reason,
        "provenance": provenance_of(
            [result.scenario],
            seed=result.seed,
            engine=result.engine,
            replications=result.replications,
            stop_reason=result.stop_reason,
            command=command,
        ),
        "assumptions": to_json(assumptions_of(["run"], [result.scenario], countries)),
        "assumptions_said": said_in_every_language(["run"], [result.scenario], countries),
        "warmup": [check.as_json() for check in warmup_checks(result.to_results())],
    }


def comparison_record(
    result: ComparisonResult,
    command: Sequence[str] | None = None,
    countries: Sequence[str] | None = None,
) -> dict[str, Any]:
    """What a comparison was and assumes (``--json`` adds the table, ``run.json`` the
    scenario definitions); ``countries`` (ISO codes, ``--country``): the countries its answer,
    its assumptions and its report speak of."""
    scenarios = [r.scenario for r in result.results]
    first = result.results[0]
    results = result.to_results()
    return {
        "kind": "comparison",
        "scenarios": list(result.labels),
        "countries": None if countries is None else list(countries),
        "files": list(dict.fromkeys(str(s.origin.path or s.name) for s in scenarios)),
        "engine": first.engine,
        "replications": result.replications,
        "seed": first.seed,
        "stop_reason": result.stop_reason,
        "provenance": provenance_of(
            scenarios,
            seed=first.seed,
            engine=first.engine,
            replications=result.replications,
            stop_reason=result.stop_reason,
            command=command,
        ),
        "assumptions": to_json(assumptions_of(result.labels, scenarios, countries)),
        "assumptions_said": said_in_every_language(result.labels, scenarios, countries),
        "answer": answer_json(answer_of(results, countries)),
        "warmup": [check.as_json() for check in warmup_checks(results)],
    }


def save_run(
    result: RunResult,
    folder: Path,
    command: Sequence[str] | None = None,
    countries: Sequence[str] | None = None,
    extra: dict[str, Any] | None = None,
    shown: Results | None = None,
) -> Path:
    """Write a run's summary (CSV, Parquet: every row), its records if kept, ``run.json``
    (with the countries its outputs speak of: ``countries``, ISO codes; and ``extra``
    entries, if given) and the workbook (of ``shown``, if given: a study's record, with its
    ranges)."""
    folder = Path(folder)
    summary = result.table()
    definition = result.scenario.model_dump(mode="json", by_alias=True)
    with writing_into(folder):  # one writer at a time (the command's own claim, on --out)
        if result.record_frames:
            write_frame(result.records(), folder / RECORDS_FILE)
        for name in (SUMMARY_CSV, SUMMARY_PARQUET):
            write_frame(summary, folder / name)
        record = run_record(result, command, countries) | {"scenario_definition": definition}
        results = result.to_results(record) if shown is None else _with_meta(shown, record)
        record |= extra or {}
        write_json(record, folder / RUN_JSON)
        write_workbook(replace(results, folder=folder).for_countries(countries), folder / WORKBOOK)
    return folder


def save_comparison(
    result: ComparisonResult,
    folder: Path,
    command: Sequence[str] | None = None,
    countries: Sequence[str] | None = None,
    extra: dict[str, Any] | None = None,
    shown: Results | None = None,
) -> Path:
    """Write a comparison's long table (CSV, Parquet: every row), ``run.json`` (with the
    countries its answer speaks of: ``countries``, ISO codes; and ``extra`` entries, if
    given) and the workbook (of ``shown``, if given: a study's record, with its ranges)."""
    folder = Path(folder)
    table = result.table()
    definitions = [r.scenario.model_dump(mode="json", by_alias=True) for r in result.results]
    record = comparison_record(result, command, countries)
    results = Results(
        tuple(result.labels), tuple(r.scenario for r in result.results), table, record
    )
    results = results if shown is None else _with_meta(shown, record)
    with writing_into(folder):  # one writer at a time (the command's own claim, on --out)
        for name in (COMPARISON_CSV, COMPARISON_PARQUET):
            write_frame(table, folder / name)
        record = record | {"scenario_definitions": definitions} | (extra or {})
        write_json(record, folder / RUN_JSON)
        write_workbook(replace(results, folder=folder).for_countries(countries), folder / WORKBOOK)
    return folder


def _with_meta(shown: Results, record: dict[str, Any]) -> Results:
    """A study's record with what ``run.json`` says of the result (and of the study)."""
    return replace(shown, meta={**record, **shown.meta})


def save_uncertain(
    result: Any,
    folder: Path,
    command: Sequence[str] | None = None,
    countries: Sequence[str] | None = None,
) -> Path:
    """Write a study's files (:class:`sim.uncertainty.result.UncertaintyResult`): those of
    its nominal comparison (or run), ``uncertainty.csv``, ``drivers.csv`` and ``draws.csv``,
    and what ``run.json`` says of the study; the answer of ``run.json`` and of the workbook
    leads with the plausible range, as the terminal's does."""
    folder = Path(folder)
    shown = result.to_results()
    extra: dict[str, Any] = {"uncertainty": result.meta()}
    if not result.is_run:  # a run's levels have no answer: it answers no comparison
        extra["answer"] = answer_json(answer_of(shown, countries))
    with writing_into(folder):  # one claim for all of them (the command's own, on --out)
        if result.is_run:
            save_run(result.run, folder, command, countries, extra, shown)
        else:
            save_comparison(result.nominal, folder, command, countries, extra, shown)
        write_frame(result.table, folder / UNCERTAINTY_CSV)
        write_frame(result.drivers, folder / DRIVERS_CSV)
        write_frame(result.draws, folder / DRAWS_CSV)
    return folder


def scoped_name(name: str, results: Results) -> str:
    """``report.html``, or ``report-PER.html`` (``report-CHL-PER.html``) for a page or workbook
    of some countries: a regional folder keeps its own beside each national brief."""
    if results.whole:
        return name
    stem, dot, suffix = name.rpartition(".")
    return f"{stem}-{'-'.join(sorted(results.countries))}{dot}{suffix}"


def workbook_of(folder: Path, countries: Sequence[str] | None = None) -> Path:
    """Write the workbook of a results folder (``mrasim report DIR --xlsx``): ``answer.xlsx``
    of the countries the run chose, or ``answer-PER.xlsx`` of ``countries`` (codes or
    names) when given."""
    results = read_results(Path(folder))
    if countries is not None:
        results = results.for_countries(countries)
    name = WORKBOOK if countries is None else scoped_name(WORKBOOK, results)
    return write_workbook(results, Path(folder) / name)


# --- reading ----------------------------------------------------------------------


def read_results(folder: str | Path) -> Results:
    """The result record of the ``--out`` folder of ``mrasim compare`` or ``mrasim run``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise _bad(folder, "no such folder")
    meta = _read_meta(folder)
    comparison = meta.get("kind") == "comparison"
    table = _read_table(folder, COMPARISON_PARQUET if comparison else SUMMARY_PARQUET, comparison)
    if comparison:
        definitions = meta.get("scenario_definitions") or []
    else:
        table = table.assign(kind="value", scenario=str(meta.get("scenario", "run")), versus=None)
        definitions = [meta["scenario_definition"]] if "scenario_definition" in meta else []
    labels = tuple(dict.fromkeys(table.loc[table["kind"] == "value", "scenario"].tolist()))
    if len(definitions) != len(labels) or not labels:
        raise _bad(folder, f"{RUN_JSON} does not hold one scenario definition per scenario")
    scenarios = tuple(
        scenario_from_dict(definition, f"{folder / RUN_JSON} (scenario {label})")
        for label, definition in zip(labels, definitions, strict=True)
    )
    uncertainty, drivers, draws = _uncertain(folder)
    results = Results(
        labels, scenarios, table[TABLE_COLUMNS], meta, folder, uncertainty, drivers, draws
    )
    if not results.countries:
        raise _bad(folder, "its table holds no country totals")
    chosen = meta.get("countries")  # the countries `--country` chose (none: all)
    if isinstance(chosen, list) and chosen:
        known = [c for c in chosen if c in results.all_countries]
        return results.for_countries(known or None)
    return results


Frame = pd.DataFrame | None


def _uncertain(folder: Path) -> tuple[Frame, Frame, Frame]:
    """The tables over the uncertain inputs, where a study wrote them (levels left empty
    read back as None, as in the result table)."""
    frames: list[pd.DataFrame | None] = []
    for name in (UNCERTAINTY_CSV, DRIVERS_CSV, DRAWS_CSV):
        path = folder / name
        if not path.is_file():
            frames.append(None)
            continue
        try:
            frame = pd.read_csv(path, keep_default_na=False, na_values=[""])
        except (OSError, ValueError) as exc:
            raise _bad(folder, f"{name} cannot be read ({exc})") from None
        for column in ("versus", "group", "station"):
            if column in frame:
                frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
        frames.append(frame)
    return frames[0], frames[1], frames[2]


def _bad(folder: Path, problem: str) -> InputError:
    """Bad input says what to run to make a folder the report can read."""
    hint = (
        f"run `mrasim compare SCENARIO --out {folder}` (or `mrasim run SCENARIO --out "
        f"{folder}`) first"
    )
    return InputError(source=str(folder), field="", problem=f"{problem}; {hint}")


def _read_meta(folder: Path) -> dict[str, Any]:
    path = folder / RUN_JSON
    if not path.is_file():
        raise _bad(folder, f"holds no {RUN_JSON}: not the --out folder of mrasim compare or run")
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise _bad(folder, f"{RUN_JSON} cannot be read ({exc})") from None
    if not isinstance(meta, dict):
        raise _bad(folder, f"{RUN_JSON} is not a JSON object")
    return meta


def _read_table(folder: Path, name: str, comparison: bool) -> pd.DataFrame:
    path = folder / name
    if not path.is_file():
        raise _bad(folder, f"holds no {name}")
    try:
        table = pd.read_parquet(path)
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise _bad(folder, f"{name} cannot be read ({exc})") from None
    needed = (["kind", "scenario"] if comparison else []) + SUMMARY_COLUMNS
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise _bad(folder, f"{name} lacks the columns {', '.join(missing)}")
    return table
