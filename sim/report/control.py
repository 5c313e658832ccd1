"""The report's control section: what recognition does to checks, findings and revenue.

A section of its own (``4. The control side``), written only when the results carry
the control indicators (:data:`sim.indicators.layout.CONTROL`): a paragraph on what the
numbers mean and rest on, the indicators of each country (the report's measure table),
and figure (d), the trade-off: for each compared scenario (each utilisation of a
sweep), the time partner AEOs save against the change in infractions found, so a
reader sees whether the time is bought with control or comes with more of it.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure

from sim.indicators.layout import CONTROL
from sim.language import N_, _
from sim.language.terms import term
from sim.model.vocabulary import ALL, ELIGIBLE, NOT_ELIGIBLE
from sim.replicate.result import Results, Where
from sim.replicate.stats import Estimate
from sim.report.figures import error_bars, number_axis, panels, png, short_area, wrapped
from sim.report.html import esc, group_label, shown_label

CONTROL_LABELS = {
    "checks": N_("checks made ({yellow} or red)"),
    "infractions": N_("infractions carried"),
    "detections": N_("infractions found"),
    "hit_rate": N_("hit rate (found ÷ checks)"),
    "detection_rate": N_("detection rate (found ÷ carried)"),
    "missed": N_("infractions missed"),
    "revenue_at_risk_usd": N_("revenue at risk (USD, stake of those missed)"),
    "detections_per_officer_h": N_("found per officer-hour of checks"),
}
"""The control indicators as the report names them (in English: translated where written)."""
COLOUR = "#009E73"  # Okabe-Ito green, beside the figures' blue and vermilion


def has_control(results: Results) -> bool:
    """Whether the results carry the control indicators."""
    return bool(results.table["metric"].isin(CONTROL).any())


CONTROL_HEADING = N_("4. The control side: checks, findings, revenue at risk")


def introduction() -> str:
    """The section's heading and what its numbers mean and rest on (HTML)."""
    heading = _(CONTROL_HEADING)
    said = _(
        "Each declaration carries an infraction (a misdeclared value, origin or goods) or not, "
        "the same declaration in every scenario; a check finds an infraction that is there with "
        "its station's probability, and the green channel finds nothing. A <b>hit</b> is a "
        "check that finds one (hit rate = found ÷ checks); the <b>detection rate</b> is the "
        "share of infractions found; <b>revenue at risk</b> is the stake of the infractions "
        "missed over the counted period. Recognition sends partner AEOs' declarations to the "
        "green channel more often: customs makes fewer checks on them, and either makes those "
        "checks nowhere (the queues shorten) or spends them on the next-riskiest declarations "
        "(re-targeting). Eligible shipments (partner AEOs, claiming or not) are the same in "
        "every scenario, so their changes are effects. Every number here rests on assumed "
        "prevalence, detection and score power (see what this result assumes): read the "
        "direction and the order of magnitude, not the digits."
    )
    return f'<h2 id="control">{esc(heading)}</h2>\n<p>{said}</p>'


def control_label(metric: str, country: str | None = None) -> str:
    """A control indicator in the reader's words (checks are *yellow or red*: the country's
    word for yellow where the page shows one country)."""
    return _(CONTROL_LABELS[metric]).format(yellow=term("yellow", country))


def control_rows(area: str, country: str | None = None) -> list[tuple[tuple[str, str], Where, str]]:
    """The rows of an area's control table: (labels, level, metric) by group and indicator
    (``country``: the one country a page shows, whose words it uses)."""
    return [
        ((group_label(group), control_label(metric, country)), Where(area, group=group), metric)
        for group in (ALL, ELIGIBLE, NOT_ELIGIBLE)
        for metric in CONTROL
    ]


def tradeoff_html(results: Results) -> str:
    """Figure (d) as an HTML figure, or nothing without a comparison and a control side."""
    figure = _tradeoff_figure(results) if results.compared and has_control(results) else None
    if figure is None:
        return ""
    caption = _(
        "(d) The trade-off: time saved by partner-AEO shipments (change in their mean "
        "clearance time, percent of the baseline, sign reversed) against the change in "
        "infractions found, all shipments (percent of the baseline), per compared "
        "scenario from the baseline (0, 0); bars are 95% intervals."
    )
    return (
        f'<figure><img src="data:image/png;base64,{png(figure)}" alt="{esc(caption)}">'
        f"<figcaption>{esc(caption)}</figcaption></figure>"
    )


def _tradeoff_figure(results: Results) -> Figure | None:
    """(d) One panel per area: each compared scenario's point, joined in utilisation order
    from the baseline's (0, 0)."""
    order = sorted(results.compared, key=results.utilisation)
    areas = [a for a in results.areas if _has_points(results, a, order)]
    if not areas:
        return None
    figure, axes = panels(len(areas), 4, (3.6, 3.0), sharex=False, sharey=False)
    for ax, area in zip(axes, areas, strict=True):
        saved = [
            results.relative(label, Where(area, group=ELIGIBLE), "clearance_h_mean").scaled(-1)
            for label in order
        ]
        found = [results.relative(label, Where(area, group=ALL), "detections") for label in order]
        ax.plot(
            [0.0, *(s.mean for s in saved)],
            [0.0, *(f.mean for f in found)],
            color=COLOUR,
            linewidth=1,
        )
        ax.errorbar(
            [s.mean for s in saved],
            [f.mean for f in found],
            xerr=_bars(saved),
            yerr=_bars(found),
            fmt="o",
            color=COLOUR,
            capsize=3,
        )
        for label, s, f in zip(order, saved, found, strict=True):
            if len(order) > 1:
                ax.annotate(shown_label(label), (s.mean, f.mean), fontsize=8, xytext=(4, 4),
                            textcoords="offset points")  # fmt: skip
        ax.axhline(0, color="0.5", linewidth=0.8)
        ax.axvline(0, color="0.5", linewidth=0.8)
        ax.set_title(short_area(area), fontsize=11)
        ax.xaxis.set_major_formatter(number_axis())
        ax.yaxis.set_major_formatter(number_axis())
        ax.tick_params(labelsize=9)
    time_saved = _("time saved by partner-AEO shipments (% of baseline clearance)")
    figure.supxlabel(wrapped(time_saved), fontsize=10)
    figure.supylabel(wrapped(_("change in infractions found (% of baseline)")), fontsize=10)
    return figure


def _has_points(results: Results, area: str, labels: list[str]) -> bool:
    return any(
        math.isfinite(results.relative(label, Where(area, group=ALL), "detections").mean)
        for label in labels
    )


def _bars(stats: list[Estimate]) -> np.ndarray:
    """Error bars, zero where there is no interval (one replication)."""
    return np.nan_to_num(error_bars(stats), nan=0.0)
