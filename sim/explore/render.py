"""What the page shows of a snapshot: the report's own sections, from the same code.

The answer (sentence and per-country table, :func:`sim.answer.answer_from` and
:func:`sim.report.answer_section`), what it assumes
(:func:`sim.assumptions.assumptions_of`, :func:`sim.report.assumptions_section`)
and the figures (:func:`sim.report.interactive.charts_of`, the report's interactive
figures, handed to the page as Plotly JSON that its copy of plotly.js draws) are those of
``mrasim report`` for the same comparison. This
module only chooses which rows they see (the countries shown) and says how far
the run has got.
"""

from __future__ import annotations

import html
from typing import Any

from sim.explore.session import Snapshot
from sim.explore.settings import Setting
from sim.interpret.answer import answer_from, answer_of
from sim.interpret.assumptions import to_json
from sim.language import _, ngettext
from sim.model.iso3166 import country_name
from sim.replicate.result import Results
from sim.report.control import tradeoff_html
from sim.report.interactive import Chart, charts_of
from sim.report.policy import answer_section, assumptions_section, unknowns_section
from sim.uncertainty.analysis import MIN_DRAWS


def numbers_html(snapshot: Snapshot) -> str:
    """The answer and what it assumes (cheap: every refresh)."""
    setting, table = snapshot.setting, snapshot.table
    if table is None:
        return ""
    found = answer_from(table, setting.answer_settings(), setting.countries)
    if snapshot.ranges is not None:  # over uncertain inputs: the answer leads with the range
        found = answer_of(snapshot.ranges, setting.countries)
    return (
        _scope(setting)
        + answer_section(found)
        + _unknowns(snapshot)
        + assumptions_section(setting.assumptions)
    )


def _unknowns(snapshot: Snapshot) -> str:
    """Over uncertain inputs: the report's "What we do not know" section, the ranges by
    country and the drivers of the headline effect, as the draws so far give them."""
    ranges = snapshot.ranges
    if ranges is None:
        return ""
    shown = ranges.for_countries(snapshot.setting.countries)
    return unknowns_section(shown.restricted(shown.countries))


def figures_html(snapshot: Snapshot) -> str:
    """The report's figures of the countries shown (dearer: refreshed less often)."""
    setting, table = snapshot.setting, snapshot.table
    if table is None:
        return ""
    results = Results(tuple(setting.labels), tuple(setting.scenarios), table, _meta(setting))
    shown = results.restricted(setting.countries or results.countries)
    charts = "\n".join(map(_chart, charts_of(shown)))
    heading = html.escape(_("Figures"))
    return f'<h2 id="figures">{heading}</h2>' + charts + tradeoff_html(shown)  # with control only


def _chart(chart: Chart) -> str:
    """A chart as the page draws it: its Plotly JSON in ``data-figure`` (scripts put in by
    ``innerHTML`` do not run, so the page's own script draws each one)."""
    figure = html.escape(chart.figure.to_json(), quote=True)
    return (
        f'<figure class="chart"><div class="plot" id="chart-{chart.anchor}" '
        f'data-figure="{figure}"></div><figcaption>{html.escape(chart.caption)}</figcaption>'
        "</figure>"
    )


def progress_text(snapshot: Snapshot) -> str:
    """How far the run has got, in words."""
    if snapshot.state == "error":
        return _("The run failed: {error}").format(error=snapshot.error)
    if snapshot.setting.controls.uncertainty is not None:
        return _draws_text(snapshot)
    done, target = snapshot.done, snapshot.target
    if snapshot.state == "stopped":
        said = ngettext(
            "Stopped after {done} of {target} replication.",
            "Stopped after {done} of {target} replications.",
            target,
        )
    elif snapshot.state == "done":
        said = ngettext(
            "{done} replication of each scenario, on common random numbers: final.",
            "{done} replications of each scenario, on common random numbers: final.",
            done,
        )
    elif done == 0:
        said = _("Simulating the first replication…")
    elif done == 1:
        said = _(
            "{done} of {target} replications so far (intervals from the second); intervals "
            "narrow as more arrive…"
        )
    else:
        said = _("{done} of {target} replications so far; intervals narrow as more arrive…")
    return said.format(done=done, target=target)


def _draws_text(snapshot: Snapshot) -> str:
    """How far a run over uncertain inputs has got: draws, each of ``n`` replications."""
    done, target, n = snapshot.done, snapshot.target, snapshot.setting.replications
    if snapshot.state == "stopped":
        return _("Stopped after {done} of {target} draws of the uncertain inputs.").format(
            done=done, target=target
        )
    if snapshot.state == "done":
        return _(
            "{target} draws of the uncertain inputs, {n} replications each, on common random "
            "numbers: final."
        ).format(target=target, n=n)
    if done == 0:
        return _(
            "Simulating the scenarios at their own values, then the first draws of the "
            "uncertain inputs…"
        )
    if snapshot.ranges is None:
        return _(
            "{done} of {target} draws of the uncertain inputs so far ({n} replications each); "
            "the plausible range shows from draw {first}, the numbers meanwhile are at the "
            "scenarios' own values…"
        ).format(done=done, target=target, n=n, first=MIN_DRAWS)
    return _(
        "{done} of {target} draws of the uncertain inputs so far ({n} replications each); the "
        "plausible range settles as more arrive…"
    ).format(done=done, target=target, n=n)


def _scope(setting: Setting) -> str:
    """Which ports the numbers count, when the view leaves some out."""
    if not setting.focused:
        return ""
    one = country_name(setting.simulated[0]) if len(setting.simulated) == 1 else None
    if setting.mode is not None and one is not None:
        said = _(
            "These numbers count only {mode} ports and only {country} (each port's numbers are "
            "those it has in the whole scenario: ports do not interact)."
        )
    elif setting.mode is not None:
        said = _(
            "These numbers count only {mode} ports (each port's numbers are those it has in "
            "the whole scenario: ports do not interact)."
        )
    else:
        said = _(
            "These numbers count only {country} (each port's numbers are those it has in the "
            "whole scenario: ports do not interact)."
        )
    text = said.format(mode=setting.mode, country=one)
    return f'<p class="scope">{html.escape(text)}</p>'


def _meta(setting: Setting) -> dict[str, Any]:
    return {"assumptions": to_json(setting.assumptions)}
