"""What ``mrasim run`` and ``mrasim compare`` print, whole: the tables, then the answer
and what it assumes (:mod:`sim.interpret.terminal` draws the pieces).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from sim.interpret.answer import answer_from, settings_of
from sim.interpret.assumptions import assumptions_of
from sim.interpret.tables import terminal_width
from sim.interpret.terminal import (
    View,
    answer_text,
    assumptions_text,
    comparison_digest,
    comparison_title,
    run_digest,
)

if TYPE_CHECKING:
    from sim.replicate.result import ComparisonResult, RunResult


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
