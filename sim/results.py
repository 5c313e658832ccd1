"""Results as files and text: what ``--out``, ``--json`` and ``result.save()`` write and print.

The CLI and the Python API share these functions, so a notebook's
``result.save(folder)`` writes exactly what ``--out folder`` writes and
``sim.write_report(folder)`` reads either.

``run.json`` holds, beside the scenario definitions, the run's provenance
(:mod:`sim.provenance`) and what its result assumes (:mod:`sim.assumptions`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .answer import Settings, answer_from, answer_json
from .assumptions import assumptions_of, to_json
from .output import write_frame, write_json
from .provenance import provenance_of
from .tables import terminal_width
from .terminal import (
    View,
    answer_text,
    assumptions_text,
    comparison_digest,
    comparison_title,
    run_digest,
)

if TYPE_CHECKING:
    from .runner import ComparisonResult, RunResult

RUN_JSON = "run.json"
SUMMARY_FILES = ("summary.csv", "summary.parquet")
COMPARISON_FILES = ("comparison.csv", "comparison.parquet")
RECORDS_FILE = "records.parquet"


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
        "answer": answer_json(answer_from(result.table(), settings_of(result))),
    }


def save_run(result: RunResult, folder: Path, command: Sequence[str] | None = None) -> Path:
    """Write a run's summary (CSV, Parquet), its records if kept, and ``run.json``."""
    folder = Path(folder)
    summary = result.summary()
    if result.record_frames:
        write_frame(result.records(), folder / RECORDS_FILE)
    for name in SUMMARY_FILES:
        write_frame(summary, folder / name)
    definition = result.scenario.model_dump(mode="json", by_alias=True)
    write_json(run_record(result, command) | {"scenario_definition": definition}, folder / RUN_JSON)
    return folder


def save_comparison(
    result: ComparisonResult, folder: Path, command: Sequence[str] | None = None
) -> Path:
    """Write a comparison's long table (CSV, Parquet) and ``run.json``."""
    folder = Path(folder)
    table = result.table()
    for name in COMPARISON_FILES:
        write_frame(table, folder / name)
    definitions = [r.scenario.model_dump(mode="json", by_alias=True) for r in result.results]
    write_json(
        comparison_record(result, command) | {"scenario_definitions": definitions},
        folder / RUN_JSON,
    )
    return folder


def settings_of(result: ComparisonResult) -> Settings:
    """The answer's view of the scenarios compared."""
    return Settings.of(
        result.labels,
        [r.scenario.model_dump(mode="json", by_alias=True) for r in result.results],
    )


def comparison_text(result: ComparisonResult, view: View | None = None) -> str:
    """What ``mrasim compare`` prints: the long tables, then the answer and its assumptions."""
    view = View(terminal_width()) if view is None else view
    table = result.table()
    found = answer_from(table, settings_of(result), view.countries)
    view = replace(
        view,
        pooled_clocks_differ=found.pooled_clocks_differ,
        pooled_note=f"region*: {found.pooled_note}; compare within a country.",
    )
    scenarios = [r.scenario for r in result.results]
    return "\n".join(
        [
            comparison_title(result.labels, result.replications, view.width),
            "",
            comparison_digest(table, view),
            "",
            answer_text(found, view.width),
            "",
            assumptions_text(assumptions_of(result.labels, scenarios), view.width),
        ]
    )


def run_text(result: RunResult, view: View | None = None) -> str:
    """What ``mrasim run`` prints: the summary by area and group, then what it assumes."""
    view = View(terminal_width()) if view is None else view
    title = (
        f"{result.scenario.name}: {result.replications} replications, means with 95% "
        "half-widths (clearance in hours from arrival to release)"
    )
    digest = run_digest(result.summary(), title, view)
    footer = assumptions_text(assumptions_of(["run"], [result.scenario]), view.width)
    return f"{digest}\n\n{footer}"
