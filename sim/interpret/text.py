"""What ``mrasim run`` and ``mrasim compare`` print, whole: the tables, then the answer
and what it assumes (:mod:`sim.interpret.terminal` draws the pieces); ``run``'s short
default, and its ``--full`` digest.
"""

from __future__ import annotations

import textwrap
from dataclasses import replace

from sim.interpret.answer import Settings, answer_of, pooled_note
from sim.interpret.assumptions import assumptions_of
from sim.interpret.numbers import general
from sim.interpret.plausible import noise_note, plausible_text
from sim.interpret.tables import terminal_width
from sim.interpret.terminal import (
    View,
    answer_text,
    assumptions_text,
    comparison_digest,
    comparison_title,
    region_note,
    run_brief,
    run_digest,
)
from sim.language import ngettext, use
from sim.language.terms import term
from sim.replicate.result import SUMMARY_COLUMNS, Results


def comparison_text(results: Results, view: View | None = None, lang: str | None = None) -> str:
    """What ``mrasim compare`` prints: the long tables, then the answer and its assumptions;
    in ``lang`` (``es``, ``pt``, ``en``; None: the active language)."""
    with use(lang):
        return _comparison_text(results, view)


def _comparison_text(results: Results, view: View | None) -> str:
    view = View(terminal_width()) if view is None else view
    found = answer_of(results, view.countries)
    view = replace(
        view,
        pooled_clocks_differ=found.pooled_clocks_differ,
        pooled_note=region_note(found.pooled_note),
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
            assumptions_text(
                assumptions_of(results.labels, results.scenarios, view.countries), view.width
            ),
        ]
    )


def _ranges(results: Results, view: View) -> list[str]:
    """The table of plausible ranges and drivers, for a result over uncertain inputs."""
    text = plausible_text(results, view.width, view.countries)
    return ["", text] if text else []


def run_text(
    results: Results, view: View | None = None, full: bool = False, lang: str | None = None
) -> str:
    """What ``mrasim run`` prints: each country and the region, headline indicators (read at a
    glance); with ``full``, the summary by area, mode and group, the stations, then what the
    result assumes. Either way, what its intervals count, and over uncertain inputs
    (``--uncertainty N``) the plausible ranges and their drivers; in ``lang`` (None: the
    active language)."""
    with use(lang):
        return _run_text(results, view, full)


def _run_text(results: Results, view: View | None, full: bool) -> str:
    view = View(terminal_width()) if view is None else view
    (scenario,) = results.scenarios
    note = textwrap.fill(noise_note(results, "run"), view.width, break_on_hyphens=False)
    ranges = "".join(f"\n\n{text}" for text in _ranges(results, view)[1:])
    shown = list(view.countries or results.countries)
    one = shown[0] if len(shown) == 1 else None  # a page of one country: its own words
    release = term("release", one)
    n = results.replications
    if full:
        title = ngettext(
            "{name}: {n} replication, means with 95% half-widths (clearance in hours from "
            "arrival to {release})",
            "{name}: {n} replications, means with 95% half-widths (clearance in hours from "
            "arrival to {release})",
            n,
        ).format(name=scenario.name, n=n, release=release)
        digest = run_digest(results.table[SUMMARY_COLUMNS], title, view)
        items = assumptions_of(["run"], [scenario], view.countries)
        footer = assumptions_text(items, view.width)
        return f"{digest}\n{note}{ranges}\n\n{footer}"
    title = ngettext(
        "{name}: {n} replication of {days} days; means of all shipments with 95% half-widths "
        "(clearance in hours from arrival to {release})",
        "{name}: {n} replications of {days} days; means of all shipments with 95% "
        "half-widths (clearance in hours from arrival to {release})",
        n,
    ).format(name=scenario.name, n=n, days=general(scenario.horizon_days), release=release)
    settings = Settings.of(list(results.labels), [scenario])
    countries = results.countries
    view = replace(
        view,
        pooled_clocks_differ=len(countries) > 1 and settings.clocks_differ(countries),
        pooled_note=region_note(pooled_note(settings.clocks_verb(countries))),
    )
    brief = run_brief(results.table[SUMMARY_COLUMNS], title, view)
    return f"{brief}\n{note}{ranges}"
