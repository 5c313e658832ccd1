"""What ``mrasim run`` and ``mrasim compare`` print, whole: the tables, then the answer
and what it assumes (:mod:`sim.interpret.terminal` draws the pieces).
"""

from __future__ import annotations

import textwrap
from dataclasses import replace

from sim.interpret.answer import answer_of
from sim.interpret.assumptions import assumptions_of
from sim.interpret.plausible import noise_note, plausible_text
from sim.interpret.tables import terminal_width
from sim.interpret.terminal import (
    View,
    answer_text,
    assumptions_text,
    comparison_digest,
    comparison_title,
    run_digest,
)
from sim.replicate.result import SUMMARY_COLUMNS, Results


def comparison_text(results: Results, view: View | None = None) -> str:
    """What ``mrasim compare`` prints: the long tables, then the answer and its assumptions."""
    view = View(terminal_width()) if view is None else view
    found = answer_of(results, view.countries)
    view = replace(
        view,
        pooled_clocks_differ=found.pooled_clocks_differ,
        pooled_note=f"region*: {found.pooled_note}; compare within a country.",
    )
    return "\n".join(
        [
            comparison_title(results.labels, results.replications, view.width),
            "",
            comparison_digest(results.table, view),
            "",
            answer_text(found, view.width),
            *_ranges(results, view),
            "",
            assumptions_text(assumptions_of(results.labels, results.scenarios), view.width),
        ]
    )


def _ranges(results: Results, view: View) -> list[str]:
    """The table of plausible ranges and drivers, for a result over uncertain inputs."""
    text = plausible_text(results, view.width, view.countries)
    return ["", text] if text else []


def run_text(results: Results, view: View | None = None) -> str:
    """What ``mrasim run`` prints: the summary by area and group, then what it assumes."""
    view = View(terminal_width()) if view is None else view
    (scenario,) = results.scenarios
    title = (
        f"{scenario.name}: {results.replications} replications, means with 95% "
        "half-widths (clearance in hours from arrival to release)"
    )
    digest = run_digest(results.table[SUMMARY_COLUMNS], title, view)
    note = textwrap.fill(noise_note(results, "run"), view.width, break_on_hyphens=False)
    ranges = "".join(f"\n\n{text}" for text in _ranges(results, view)[1:])
    footer = assumptions_text(assumptions_of(["run"], [scenario]), view.width)
    return f"{digest}\n{note}{ranges}\n\n{footer}"
