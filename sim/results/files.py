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
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from sim.errors import InputError
from sim.interpret.answer import answer_json, answer_of
from sim.interpret.assumptions import assumptions_of, to_json
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

RUN_JSON = "run.json"
"""What a run was, assumes and how it was made; the scenario definitions."""
SUMMARY_CSV, SUMMARY_PARQUET = "summary.csv", "summary.parquet"
COMPARISON_CSV, COMPARISON_PARQUET = "comparison.csv", "comparison.parquet"
RECORDS_FILE = "records.parquet"
REPORT_FILE = "report.html"
UNCERTAINTY_CSV, DRIVERS_CSV, DRAWS_CSV = "uncertainty.csv", "drivers.csv", "draws.csv"
"""Over the uncertain inputs (``--uncertainty N``): ranges, drivers, and each draw."""
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
)
"""Files a run or comparison folder may hold: another run's, if found where a new one goes."""


# --- writing ----------------------------------------------------------------------


def run_record(result: RunResult, command: Sequence[str] | None = None) -> dict[str, Any]:
    """What a run was and assumes (``--json`` adds the summary, ``run.json`` the scenario)."""
    return {
        "scenario": result.scenario.name,
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
        "assumptions": to_json(assumptions_of(["run"], [result.scenario])),
        "warmup": [check.as_json() for check in warmup_checks(result.to_results())],
    }


def comparison_record(
    result: ComparisonResult, command: Sequence[str] | None = None
) -> dict[str, Any]:
    """What a comparison was and assumes (``--json`` adds the table, ``run.json`` the
    scenario definitions)."""
    scenarios = [r.scenario for r in result.results]
    first = result.results[0]
    return {
        "kind": "comparison",
        "scenarios": list(result.labels),
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
        "assumptions": to_json(assumptions_of(result.labels, scenarios)),
        "answer": answer_json(answer_of(result.to_results())),
        "warmup": [check.as_json() for check in warmup_checks(result.to_results())],
    }


def save_run(
    result: RunResult,
    folder: Path,
    command: Sequence[str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write a run's summary (CSV, Parquet), its records if kept, and ``run.json`` (with
    ``extra`` entries, if given)."""
    folder = Path(folder)
    summary = result.summary()
    definition = result.scenario.model_dump(mode="json", by_alias=True)
    with writing_into(folder):  # one writer at a time (the command's own claim, on --out)
        if result.record_frames:
            write_frame(result.records(), folder / RECORDS_FILE)
        for name in (SUMMARY_CSV, SUMMARY_PARQUET):
            write_frame(summary, folder / name)
        record = run_record(result, command) | {"scenario_definition": definition} | (extra or {})
        write_json(record, folder / RUN_JSON)
    return folder


def save_comparison(
    result: ComparisonResult,
    folder: Path,
    command: Sequence[str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write a comparison's long table (CSV, Parquet) and ``run.json`` (with ``extra``
    entries, if given)."""
    folder = Path(folder)
    table = result.table()
    definitions = [r.scenario.model_dump(mode="json", by_alias=True) for r in result.results]
    with writing_into(folder):  # one writer at a time (the command's own claim, on --out)
        for name in (COMPARISON_CSV, COMPARISON_PARQUET):
            write_frame(table, folder / name)
        record = comparison_record(result, command) | {"scenario_definitions": definitions}
        write_json(record | (extra or {}), folder / RUN_JSON)
    return folder


def save_uncertain(result: Any, folder: Path, command: Sequence[str] | None = None) -> Path:
    """Write a study's files (:class:`sim.uncertainty.result.UncertaintyResult`): those of
    its nominal comparison (or run), ``uncertainty.csv``, ``drivers.csv`` and ``draws.csv``,
    and what ``run.json`` says of the study."""
    folder = Path(folder)
    extra = {"uncertainty": result.meta()}
    with writing_into(folder):  # one claim for all of them (the command's own, on --out)
        if result.is_run:
            save_run(result.run, folder, command, extra)
        else:
            save_comparison(result.nominal, folder, command, extra)
        write_frame(result.table, folder / UNCERTAINTY_CSV)
        write_frame(result.drivers, folder / DRIVERS_CSV)
        write_frame(result.draws, folder / DRAWS_CSV)
    return folder


# --- reading ----------------------------------------------------------------------


def read_results(folder: Path) -> Results:
    """The result record of the ``--out`` folder of ``mrasim compare`` or ``mrasim run``."""
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
    results = Results(labels, scenarios, table[TABLE_COLUMNS], meta, folder, *_uncertain(folder))
    if not results.countries:
        raise _bad(folder, "its table holds no country totals")
    return results


def _uncertain(folder: Path) -> tuple[pd.DataFrame | None, ...]:
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
    return tuple(frames)


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
