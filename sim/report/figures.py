"""The report's figures, drawn with matplotlib's object API (no pyplot, no global state)
and embedded as PNG, so a page is one file that can be mailed or archived.
"""

from __future__ import annotations

import base64
import io
import math
import textwrap
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from sim.language import _
from sim.language.formats import decimal
from sim.model.vocabulary import ALL, ELIGIBLE, SUMMARY_GROUPS
from sim.replicate.result import Results, Where
from sim.replicate.stats import Estimate
from sim.report.html import esc, group_label, shown_label

# --- figures --------------------------------------------------------------------


def figures_section(results: Results, on_screen: str = "") -> str:
    """The figures that apply: (a) needs a comparison, (c) a utilisation sweep. With
    ``on_screen`` (:mod:`sim.report.interactive`'s figures, which the live page draws too),
    these static ones are the printed page's: the style shows one set on screen and the
    other on paper."""
    figures = []
    sweep = sweep_utilisations(results)
    if results.compared:
        shown = results.compared if sweep is None else [_highest(results, sweep)]
        if sweep is None:
            caption = _(
                "(a) Change in mean clearance time against {baseline}, eligible and all "
                "shipments, per country: in hours (left) and in percent of the baseline (right, "
                "comparable across countries); bars are 95% intervals."
            )
        else:
            caption = _(
                "(a) Change in mean clearance time against {baseline} at the highest "
                "utilisation swept ({scenario}), eligible and all shipments, per country: in "
                "hours (left) and in percent of the baseline (right, comparable across "
                "countries); bars are 95% intervals."
            )
        caption = caption.format(
            baseline=shown_label(results.labels[0]), scenario=shown_label(shown[0])
        )
        figures.append((_clearance_change_figure(results, shown), caption))
    green = _(
        "(b) Green share (released without check) by trader group, per country and "
        "scenario; bars are 95% intervals."
    )
    figures.append((_green_share_figure(results), green))
    if sweep is not None:
        grows = _(
            "(c) Change in mean clearance time, in percent of the baseline, as utilisation "
            "grows, eligible and all shipments, per country (one scale for all); bands are "
            "95% intervals."
        )
        figures.append((_sweep_figure(results, sweep), grows))
    items = [
        f'<figure><img src="data:image/png;base64,{png(figure)}" alt="{esc(caption)}">'
        f"<figcaption>{esc(caption)}</figcaption></figure>"
        for figure, caption in figures
    ]
    static = "\n".join(items)
    if on_screen:
        static = f'<div class="static">{static}</div>'
    heading = _("Figures")
    return f'<h2 id="figures">{esc(heading)}</h2>' + on_screen + static


def _highest(results: Results, utilisations: list[float]) -> str:
    return results.compared[int(np.argmax(utilisations))]


def png(figure: Figure) -> str:
    """The figure as base64 PNG, drawn by Agg without pyplot (no global backend to change)."""
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


MIN_FIGURE_WIDTH = 7.0
"""Inches: a figure of one or two panels still fits its legend and axis labels."""


def panels(
    count: int, columns: int, size: tuple[float, float], **share: Any
) -> tuple[Figure, list[Axes]]:
    """A grid of ``count`` panels of ``size`` inches, at most ``columns`` wide."""
    columns = min(count, columns)
    rows = math.ceil(count / columns)
    width = max(size[0] * columns, MIN_FIGURE_WIDTH)  # room for the legend and axis labels
    figure = Figure(figsize=(width, size[1] * rows + 0.8), layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False, **share).ravel()
    for unused in axes[count:]:
        unused.set_visible(False)
    return figure, list(axes[:count])


def error_bars(stats: Sequence[Estimate]) -> np.ndarray:
    """Error-bar lengths below and above each mean (NaN where there is no interval)."""
    return np.array([[s.mean - s.low for s in stats], [s.high - s.mean for s in stats]])


LABEL_LINE = 40
"""Characters: an axis label is broken into lines no longer than this (a Spanish label runs
a third longer than the English, and matplotlib does not wrap)."""


def wrapped(label: str, width: int = LABEL_LINE) -> str:
    """``label`` in lines of at most ``width`` characters, broken at spaces."""
    return textwrap.fill(label, width, break_long_words=False)


def short_area(area: str) -> str:
    """A panel's title: the country's code, or the region."""
    return _("region") if area == ALL else area


def percent_axis(scale: float = 1.0) -> FuncFormatter:
    """Ticks in percent with the active language's decimal comma (``12,5%``); ``scale``: what
    100% is in the data (1 for shares)."""

    def tick(value: float, _position: int) -> str:
        shown = 100 * value / scale
        return decimal(shown, _places(shown)) + "%"

    return FuncFormatter(tick)


def number_axis() -> FuncFormatter:
    """Ticks with the active language's separators (matplotlib writes ``0.5`` everywhere)."""
    return FuncFormatter(lambda value, _position: decimal(value, _places(value)))


def _places(value: float) -> int:
    """Decimals a tick needs: none for whole numbers, else up to three."""
    return next((d for d in range(4) if abs(value - round(value, d)) < 1e-9), 3)


def _clearance_change_figure(results: Results, labels: Sequence[str]) -> Figure:
    """(a) A pair of panels per compared scenario (hours, percent); a row per country, a dot
    per group."""
    areas = results.areas
    y = np.arange(len(areas))
    figure, axes = panels(2 * len(labels), 2, (4.6, 0.42 * len(areas) + 1.2), sharey=True)
    for i, label in enumerate(labels):
        for ax, relative in ((axes[2 * i], False), (axes[2 * i + 1], True)):
            for offset, group in ((-0.12, ELIGIBLE), (0.12, ALL)):
                stats = [
                    results.relative(label, Where(a, group=group), "clearance_h_mean")
                    if relative
                    else results.get("difference", label, Where(a, group=group), "clearance_h_mean")
                    for a in areas
                ]
                ax.errorbar(
                    [s.mean for s in stats],
                    y + offset,
                    xerr=error_bars(stats),
                    fmt="o",
                    capsize=3,
                    color=GROUP_COLOURS[group],
                    label=group_label(group),
                )
            ax.axvline(0, color="0.5", linewidth=0.8)
            unit = "%" if relative else "h"
            title = f"{shown_label(label)} − {shown_label(results.labels[0])} ({unit})"
            ax.set_title(title, fontsize=11)
            ax.set_xlabel(
                wrapped(
                    _("change in mean clearance time (% of baseline)")
                    if relative
                    else _("change in mean clearance time (h)")
                ),
                fontsize=10,
            )
            ax.xaxis.set_major_formatter(number_axis())
            ax.tick_params(labelsize=10)
    axes[0].set_yticks(y, [short_area(a) for a in areas])
    axes[0].set_ylim(len(areas) - 0.5, -0.5)  # first country on top
    handles, names = axes[0].get_legend_handles_labels()
    figure.legend(handles, names, loc="outside upper center", ncols=2, fontsize=10)
    return figure


def _green_share_figure(results: Results) -> Figure:
    """(b) One panel per country; bars of each scenario side by side within each group."""
    figure, axes = panels(len(results.areas), 4, (3.8, 2.9), sharey=True)
    x = np.arange(len(SUMMARY_GROUPS))
    width = 0.8 / len(results.labels)
    colours = scenario_colours(len(results.labels))
    for ax, area in zip(axes, results.areas, strict=True):
        for i, label in enumerate(results.labels):
            stats = [
                results.get("value", label, Where(area, group=g), "green_share")
                for g in SUMMARY_GROUPS
            ]
            ax.bar(
                x + (i - (len(results.labels) - 1) / 2) * width,
                [s.mean for s in stats],
                width,
                yerr=error_bars(stats),
                color=colours[i],
                label=shown_label(label),
                error_kw={"elinewidth": 0.8, "capsize": 2},
            )
        ax.set_xticks(
            x, [group_label(g) for g in SUMMARY_GROUPS], rotation=30, ha="right", fontsize=9
        )
        ax.set_title(short_area(area), fontsize=11)
        ax.set_ylim(0, 1)
        ax.yaxis.set_major_formatter(percent_axis())
    axes[0].set_ylabel(_("green share"))
    handles, names = axes[0].get_legend_handles_labels()
    columns = max(2, min(len(names), math.floor(figure.get_figwidth() / 1.4)))
    figure.legend(handles, names, loc="outside upper center", ncols=columns, fontsize=10)
    return figure


def scenario_colours(count: int) -> list[Any]:
    """The baseline grey, the other scenarios along a colour-blind-safe sequential map."""
    others = colormaps["viridis"](np.linspace(0.15, 0.85, max(count - 1, 1)))
    return ["0.6", *others[: count - 1]]


def sweep_utilisations(results: Results) -> list[float] | None:
    """Utilisations of the compared scenarios if they form a sweep (more than one, distinct)."""
    if len(results.labels) <= 2:
        return None
    values = [results.utilisation(label) for label in results.compared]
    return values if len(set(values)) == len(values) else None


def _sweep_figure(results: Results, utilisations: list[float]) -> Figure:
    """(c) One panel per country, one scale for all: the relative change in mean clearance
    time against utilisation, from the baseline's (0, 0)."""
    order = np.argsort(utilisations)
    baseline_u = results.utilisation(results.labels[0])
    x = np.concatenate(([baseline_u], np.asarray(utilisations)[order]))
    labels = [results.compared[i] for i in order]
    figure, axes = panels(len(results.areas), 4, (3.6, 2.8), sharex=True, sharey=True)
    for ax, area in zip(axes, results.areas, strict=True):
        for group in (ELIGIBLE, ALL):
            stats = np.array(
                [(0.0, 0.0, 0.0)]
                + [
                    tuple(results.relative(label, Where(area, group=group), "clearance_h_mean"))
                    for label in labels
                ]
            )
            colour = GROUP_COLOURS[group]
            ax.plot(x, stats[:, 0], marker="o", color=colour, label=group_label(group))
            ax.fill_between(x, stats[:, 1], stats[:, 2], color=colour, alpha=0.2, linewidth=0)
        ax.axhline(0, color="0.5", linewidth=0.8)
        ax.set_title(short_area(area), fontsize=11)
        ax.xaxis.set_major_formatter(percent_axis())
        ax.yaxis.set_major_formatter(number_axis())
    figure.supxlabel(wrapped(_("utilisation (share of eligible shipments claiming)")), fontsize=10)
    figure.supylabel(
        wrapped(
            _("change in clearance time vs {baseline} (%)").format(
                baseline=shown_label(results.labels[0])
            )
        ),
        fontsize=10,
    )
    handles, names = axes[0].get_legend_handles_labels()
    figure.legend(handles, names, loc="outside upper center", ncols=2, fontsize=10)
    return figure


GROUP_COLOURS = {ELIGIBLE: "#D55E00", ALL: "#0072B2"}  # Okabe-Ito: safe for colour blindness
