"""The report's figures on screen: interactive (hover a point for its numbers, click a
legend entry to hide or show it, drag to zoom), drawn by Plotly from the result record.

Plotly's JavaScript is embedded once in the page, so the report stays one file that
opens with no network. The static PNGs of :mod:`sim.report.figures` remain the printed
page's figures: the style shows these on screen and those on paper.

Each figure reads what a person asks at a glance: how much the arrangement changes a
country's clearance time and green share (on an axis scaled to the change, not to 0-100%),
where the time goes (the stages of clearance, with and without), how spread the times are
(median, mean and 90th percentile), and, for a sweep, how the change grows with utilisation.
"""

from __future__ import annotations

import json
import math
import textwrap
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import plotly.io
import plotly.offline
from plotly.subplots import make_subplots

from sim.indicators.layout import STAGES
from sim.language import N_, _, active
from sim.language.formats import decimal, separators
from sim.language.terms import term
from sim.model.iso3166 import by_name, country_name
from sim.model.vocabulary import ALL, ELIGIBLE
from sim.replicate.result import Results, Where
from sim.replicate.stats import Estimate
from sim.report.figures import GROUP_COLOURS, sweep_utilisations
from sim.report.html import esc, group_label, shown_label, significant

STAGE_NAMES = {
    "unloading_h_mean": N_("unloading (before customs can act)"),
    "lodgement_wait_h_mean": N_("waiting for the declaration"),
    "checks_h_mean": N_("checks (queues and service)"),
    "release_h_mean": "",  # the country's own word: term("release")
}
"""The stages of clearance, in order, as the stage figure names them (in English: translated
where drawn, :func:`stage_name`)."""

STAGE_COLOURS = ("#999999", "#E69F00", "#D55E00", "#56B4E9")  # Okabe-Ito
SPREAD = (
    ("clearance_h_median", N_("median"), "circle"),
    ("clearance_h_mean", N_("mean"), "diamond"),
    ("clearance_h_p90", N_("90th percentile"), "triangle-right"),
)
"""The quantiles of clearance time the spread figure marks: metric, name, marker."""
PALETTE = ("#999999", "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
"""The baseline grey, then Okabe-Ito's colours (safe for colour blindness)."""
WHO = {ELIGIBLE: N_("eligible (partner-AEO) shipments"), ALL: N_("all shipments")}
"""Whose times the stage and spread figures show: a comparison's eligible, a run's all."""


def stage_name(metric: str, country: str | None = None) -> str:
    """A stage of clearance in the reader's words; the last is the country's word for
    *release* (*levante* in Peru and Colombia)."""
    if metric == "release_h_mean":
        return term("release", country)
    return _(STAGE_NAMES[metric])


def _country(results: Results) -> str | None:
    """The one country the figures show (its own words), or None."""
    return results.countries[0] if len(results.countries) == 1 else None


CONFIG = {"responsive": True, "displaylogo": False, "modeBarButtonsToRemove": ["select2d"]}
PLOTLY_WORDS = (
    N_("Download plot as a PNG"),
    N_("Download plot"),
    N_("Share chart..."),
    N_("Zoom"),
    N_("Pan"),
    N_("Box Select"),
    N_("Lasso Select"),
    N_("Zoom in"),
    N_("Zoom out"),
    N_("Autoscale"),
    N_("Reset axes"),
    N_("Toggle Spike Lines"),
    N_("Show closest data on hover"),
    N_("Compare data on hover"),
    N_("Double-click to zoom back out"),
    N_("Preparing image - this may take a few seconds"),
    N_("Image download succeeded"),
    N_("Sorry, there was a problem downloading your image!"),
)
"""What plotly.js itself says (its toolbar's tooltips, its notices), in its own English: a
page gives Plotly these translated as a locale of its language (:func:`plotly_locale`)."""
FONT = {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 13}


@dataclass(frozen=True)
class Chart:
    """One figure of the section: its Plotly figure, its caption and its anchor."""

    anchor: str
    figure: go.Figure
    caption: str


def interactive_section(results: Results) -> str:
    """The figures that apply, interactive, with Plotly's JavaScript once before them."""
    charts = list(charts_of(results))
    items = "\n".join(_html(chart) for chart in charts)
    words = json.dumps(
        {"moduleType": "locale", "name": active(), "dictionary": plotly_locale()}
    ).replace("<", "\\u003c")
    # plotly.js, and its own words (its toolbar's) in the page's language: one script
    script = f"<script>{plotly.offline.get_plotlyjs()}\nPlotly.register({words});</script>"
    return f'<div class="interactive">{script}\n{items}</div>'


def plotly_locale() -> dict[str, str]:
    """Plotly's own words in the active language (:data:`PLOTLY_WORDS`), where they differ."""
    return {word: _(word) for word in PLOTLY_WORDS if _(word) != word}


def charts_of(results: Results) -> Iterator[Chart]:
    """(a) the change, (b) the green share's change, (c) the stages, (d) the spread, for a
    comparison against the scenario shown (the highest utilisation of a sweep); (e) the
    change as utilisation grows; a run gets its stages and spread only."""
    sweep = sweep_utilisations(results)
    if not results.compared:
        yield _stage_chart(results, results.labels[:1])
        yield _spread_chart(results, results.labels[:1])
        return
    shown = results.compared[-1] if sweep is None else _highest(results, sweep)
    pair = (results.labels[0], shown)
    yield _change_chart(results, shown)
    yield _green_chart(results, shown)
    yield _stage_chart(results, pair)
    yield _spread_chart(results, pair)
    if sweep is not None:
        yield _sweep_chart(results, sweep)
    if results.drivers is not None and results.draws is not None:
        yield from _uncertainty_charts(results, shown)


def _highest(results: Results, utilisations: Sequence[float]) -> str:
    return results.compared[max(range(len(utilisations)), key=utilisations.__getitem__)]


def _html(chart: Chart) -> str:
    div = plotly.io.to_html(
        chart.figure,
        full_html=False,
        include_plotlyjs=False,
        config={**CONFIG, "locale": active()},
        div_id=f"chart-{chart.anchor}",
        default_width="100%",
    )
    return f'<figure class="chart">{div}<figcaption>{esc(chart.caption)}</figcaption></figure>'


# --- the figures ----------------------------------------------------------------------


def _change_chart(results: Results, label: str) -> Chart:
    """(a) The change in mean clearance time, percent of the baseline, per country."""
    base = shown_label(results.labels[0])
    figure = _dot_figure(results)
    for group in (ELIGIBLE, ALL):
        relative = [
            results.relative(label, Where(a, group=group), "clearance_h_mean")
            for a in _areas(results)
        ]
        hours = [
            results.get("difference", label, Where(a, group=group), "clearance_h_mean")
            for a in _areas(results)
        ]
        extra = [f"{_signed(h.mean)} h ({_interval(h, ' h', signed=True)})" for h in hours]
        figure.add_trace(_dots(results, relative, group, "%", extra))
    _zero_line(figure)
    figure.update_xaxes(
        title_text=_axis(_("change in mean clearance time, % of {baseline}").format(baseline=base)),
        ticksuffix="%",
    )
    caption = _(
        "(a) Change in mean clearance time, {scenario} against {baseline}, per country: "
        "eligible (partner-AEO) and all shipments; bars are 95% intervals of simulation noise. "
        "Hover a point for its numbers (also in hours); click a legend entry to hide it."
    ).format(scenario=shown_label(label), baseline=base)
    return Chart("change", figure, caption)


def _green_chart(results: Results, label: str) -> Chart:
    """(b) The change in green share, in percentage points, per country."""
    base = shown_label(results.labels[0])
    figure = _dot_figure(results)
    for group in (ELIGIBLE, ALL):
        points = [
            _scaled(results.get("difference", label, Where(a, group=group), "green_share"), 100)
            for a in _areas(results)
        ]
        figure.add_trace(_dots(results, points, group, " " + _("points"), None))
    _zero_line(figure)
    figure.update_xaxes(
        title_text=_axis(
            _("change in green share, percentage points ({scenario} − {baseline})").format(
                scenario=shown_label(label), baseline=base
            )
        )
    )
    caption = _(
        "(b) Change in the share of shipments released without a check (green), {scenario} "
        "against {baseline}, in percentage points, on an axis scaled to the change; bars are 95% "
        "intervals of simulation noise."
    ).format(scenario=shown_label(label), baseline=base)
    return Chart("green", figure, caption)


def _stage_chart(results: Results, labels: Sequence[str]) -> Chart:
    """(c) Where the time goes: the stages of an eligible shipment's clearance, stacked,
    per country, with and without the arrangement."""
    group = ELIGIBLE if results.compared else ALL
    rows = [(_name(a), shown_label(label)) for a in _areas(results) for label in labels]
    figure = go.Figure()
    country = _country(results)
    for metric, colour in zip(STAGES, STAGE_COLOURS, strict=True):
        name = stage_name(metric, country)
        hours = [
            results.get("value", label, Where(a, group=group), metric).mean
            for a in _areas(results)
            for label in labels
        ]
        figure.add_trace(
            go.Bar(
                x=hours,
                y=[[r[0] for r in rows], [r[1] for r in rows]],
                orientation="h",
                name=name,
                marker_color=colour,
                hovertemplate="%{y}: %{x:.3g} h<extra>" + name + "</extra>",
            )
        )
    _layout(figure, len(rows), legend_rows=2)
    figure.update_layout(barmode="stack", legend_traceorder="normal")
    figure.update_yaxes(autorange="reversed")  # the first country on top, without above with
    # narrower: the scenario and country labels take half a phone's width
    figure.update_xaxes(title_text=_axis(_("hours per shipment, by stage"), AXIS_LINE // 2))
    if len(labels) > 1:
        caption = _(
            "(c) Where the time goes: the mean clearance time of {who} by stage, per country "
            "and scenario; the stages add up to the clearance time. Click a stage in the legend "
            "to hide it."
        )
    else:
        caption = _(
            "(c) Where the time goes: the mean clearance time of {who} by stage, per country; "
            "the stages add up to the clearance time. Click a stage in the legend to hide it."
        )
    caption = caption.format(who=_(WHO[group]))
    return Chart("stages", figure, caption)


def _spread_chart(results: Results, labels: Sequence[str]) -> Chart:
    """(d) The spread of clearance times: median and mean, and the 90th percentile (the one
    shipment in ten that waits longest waits at least that long)."""
    group = ELIGIBLE if results.compared else ALL
    figure = go.Figure()
    for i, label in enumerate(labels):
        for metric, name, symbol in SPREAD:
            estimates = [
                results.get("value", label, Where(a, group=group), metric) for a in _areas(results)
            ]
            shift = (i - (len(labels) - 1) / 2) * 0.3
            figure.add_trace(
                _spread_marks(
                    results, estimates, f"{_(name)}, {shown_label(label)}", symbol, i, shift
                )
            )
    count = len(_areas(results))
    _layout(figure, count * len(labels), legend_rows=len(labels))
    figure.update_yaxes(
        tickvals=list(range(count)), ticktext=[_name(a) for a in _areas(results)][::-1]
    )
    figure.update_xaxes(title_text=_axis(_("clearance time (h)")), rangemode="tozero")
    if len(labels) > 1:
        caption = _(
            "(d) How spread the clearance times of {who} are, per country: the median (half "
            "clear sooner), the mean, and the 90th percentile (one shipment in ten waits "
            "longer), per scenario; bars are 95% intervals of simulation noise. Hover a mark for "
            "its value."
        )
    else:
        caption = _(
            "(d) How spread the clearance times of {who} are, per country: the median (half "
            "clear sooner), the mean, and the 90th percentile (one shipment in ten waits "
            "longer); bars are 95% intervals of simulation noise. Hover a mark for its value."
        )
    caption = caption.format(who=_(WHO[group]))
    return Chart("spread", figure, caption)


def _sweep_chart(results: Results, utilisations: Sequence[float]) -> Chart:
    """(e) The change in eligible shipments' mean clearance time as utilisation grows, a line
    and a band per country (click a country in the legend to hide or show it)."""
    order = sorted(range(len(utilisations)), key=utilisations.__getitem__)
    x = [results.utilisation(results.labels[0]) * 100] + [utilisations[i] * 100 for i in order]
    figure = go.Figure()
    for n, area in enumerate(_areas(results)):
        changes = [Estimate(0.0, 0.0, 0.0)] + [
            results.relative(results.compared[i], Where(area, group=ELIGIBLE), "clearance_h_mean")
            for i in order
        ]
        for trace in _band(x, changes, _name(area), n):
            figure.add_trace(trace)
    _zero_line(figure, horizontal=True)
    _layout(figure, 12, legend_rows=math.ceil(len(_areas(results)) / 6))
    figure.update_xaxes(
        title_text=_axis(_("utilisation: share of eligible shipments claiming (%)")),
        ticksuffix="%",
    )
    figure.update_yaxes(
        title_text=_axis(
            _("change in clearance time vs {baseline} (%)").format(
                baseline=shown_label(results.labels[0])
            )
        ),
        ticksuffix="%",
    )
    caption = _(
        "(e) Change in the mean clearance time of eligible (partner-AEO) shipments, percent of "
        "the baseline, as utilisation grows, per country; bands are 95% intervals of simulation "
        "noise. Click countries in the legend to compare a few; double-click one to see it alone."
    )
    return Chart("sweep", figure, caption)


DRIVERS_SHOWN = 10
"""The inputs the drivers figure shows, largest first; the rest are in drivers.csv."""
AGAINST = 3
"""The inputs the effect-against-input figure plots the draws against."""


def _uncertainty_charts(results: Results, label: str) -> Iterator[Chart]:
    """(f) the drivers of the headline effect, (g) the draws' effect against its top inputs,
    over the uncertain inputs (``--uncertainty N``), of the region or the one country shown."""
    scope = ALL if ALL in results.areas else results.areas[0]
    drivers = _drivers_of(results, label, scope)
    if drivers.empty:
        return
    yield _drivers_chart(drivers, scope)
    column = f"relative with {scope} {ELIGIBLE} clearance_h_mean"
    assert results.draws is not None
    if column in results.draws:
        yield _against_chart(results.draws, drivers["input"].head(AGAINST).tolist(), column, scope)


def _drivers_of(results: Results, label: str, scope: str) -> pd.DataFrame:
    """An effect's inputs by first-order share, largest first (the relative change in
    partner-AEO shipments' mean clearance time)."""
    frame = results.drivers
    assert frame is not None
    rows = frame[
        (frame["kind"] == "relative")
        & (frame["scenario"] == label)
        & (frame["country"] == scope)
        & (frame["mode"] == ALL)
        & (frame["port"] == ALL)
        & (frame["group"] == ELIGIBLE)
        & (frame["metric"] == "clearance_h_mean")
        & frame["first_order"].notna()
    ]
    return rows.sort_values("first_order", ascending=False).head(DRIVERS_SHOWN)


def _drivers_chart(drivers: pd.DataFrame, scope: str) -> Chart:
    """(f) Each input's first-order share of the doubt, with its 95% interval."""
    shares = [
        Estimate(100 * m, 100 * lo, 100 * hi)
        for m, lo, hi in drivers[["first_order", "first_order_low", "first_order_high"]].to_numpy()
    ]
    names = drivers["input"].tolist()
    figure = go.Figure(
        go.Bar(
            x=[_number(s.mean) for s in shares],
            y=names,
            orientation="h",
            error_x=_error_bars(shares),
            marker_color=["#0072B2" if s.low > 0 else "#BBBBBB" for s in shares],
            text=[f"{_whole(s.mean)}% ({_interval(s, '%', figures=0)})" for s in shares],
            textposition="none",
            hovertemplate="%{y}: %{text}<extra></extra>",
        )
    )
    _layout(figure, len(names), legend_rows=0)
    figure.update_yaxes(autorange="reversed")
    figure.update_xaxes(
        title_text=_axis(_("share of the doubt it explains (first-order index, %)"))
    )
    caption = _(
        "(f) What the doubt about partner-AEO shipments' gain in {where} rests on: each "
        "uncertain input's first-order share of the variance over the draws (what measuring "
        "it exactly would remove), with its 95% interval. Grey: the interval reaches 0, so "
        "the input is not told apart from one that does not matter."
    ).format(where=_where(scope))
    return Chart("drivers", figure, caption)


def _against_chart(draws: pd.DataFrame, inputs: Sequence[str], column: str, scope: str) -> Chart:
    """(g) The gain in each draw against the value of each top input: what a driver does."""
    figure = make_subplots(rows=1, cols=len(inputs), shared_yaxes=True, subplot_titles=inputs)
    for i, name in enumerate(inputs, start=1):
        figure.add_trace(
            go.Scatter(
                x=draws[name].tolist(),
                y=draws[column].tolist(),
                mode="markers",
                marker={"color": "#0072B2", "size": 7, "opacity": 0.7},
                name=name,
                showlegend=False,
                hovertemplate=name + " %{x:.3g}: %{y:+.3g}%<extra></extra>",
            ),
            row=1,
            col=i,
        )
    _layout(figure, 8, legend_rows=1)
    figure.update_yaxes(title_text=_axis(_("change in clearance time (%)")), ticksuffix="%", col=1)
    caption = _(
        "(g) Each draw's change in partner-AEO shipments' mean clearance time in {where} "
        "(percent of the baseline, simulation noise included) against the value drawn for "
        "each of the inputs that explain most of its doubt."
    ).format(where=_where(scope))
    return Chart("against", figure, caption)


# --- pieces -------------------------------------------------------------------------------


def _areas(results: Results) -> list[str]:
    """The countries by the name shown (Paraguay before Peru), then the region if shown."""
    countries = sorted((a for a in results.areas if a != ALL), key=by_name)
    return countries + [a for a in results.areas if a == ALL]


def _name(area: str) -> str:
    return _("Region") if area == ALL else country_name(area)


def _where(scope: str) -> str:
    """``the region`` or a country's name, in a sentence."""
    return _("the region") if scope == ALL else _name(scope)


def _dot_figure(results: Results) -> go.Figure:
    figure = go.Figure()
    _layout(figure, len(_areas(results)), legend_rows=1)
    labels = [_name(a) for a in _areas(results)]
    figure.update_yaxes(categoryorder="array", categoryarray=labels[::-1])
    return figure


def _dots(
    results: Results, stats: Sequence[Estimate], group: str, unit: str, extra: list[str] | None
) -> go.Scatter:
    """One group's estimates, a dot per country with its interval, its numbers on hover."""
    text = [
        f"{_signed(s.mean)}{unit} ({_interval(s, unit, signed=True)})"
        + (f"<br>{e}" if extra else "")
        for s, e in zip(stats, extra or [""] * len(stats), strict=True)
    ]
    return go.Scatter(
        x=[_number(s.mean) for s in stats],
        y=[_name(a) for a in _areas(results)],
        error_x=_error_bars(stats),
        mode="markers",
        marker={"size": 9, "color": GROUP_COLOURS[group]},
        name=group_label(group),
        text=text,
        hovertemplate="%{y}: %{text}<extra>" + group_label(group) + "</extra>",
    )


def _spread_marks(
    results: Results, stats: Sequence[Estimate], name: str, symbol: str, index: int, shift: float
) -> go.Scatter:
    """One quantile of one scenario: a mark per country (the first country on top), offset a
    little so that two scenarios' marks sit side by side."""
    count = len(_areas(results))
    return go.Scatter(
        x=[_number(s.mean) for s in stats],
        y=[count - 1 - i + shift for i in range(count)],
        error_x=_error_bars(stats),
        mode="markers",
        marker={"size": 10, "color": _palette(index), "symbol": symbol},
        name=name,
        text=[
            f"{_name(a)}: {significant(s.mean)} h ({_interval(s, ' h')})"
            for a, s in zip(_areas(results), stats, strict=True)
        ],
        hovertemplate="%{text}<extra>" + name + "</extra>",
    )


def _band(x: Sequence[float], changes: Sequence[Estimate], name: str, n: int) -> list[go.Scatter]:
    """A country's line and its band, one legend entry for both."""
    colour = _palette(n + 1)
    band = go.Scatter(
        x=[*x, *x[::-1]],
        y=[_number(c.high) for c in changes] + [_number(c.low) for c in changes][::-1],
        fill="toself",
        fillcolor=colour,
        opacity=0.2,
        line={"width": 0},
        hoverinfo="skip",
        legendgroup=name,
        showlegend=False,
    )
    line = go.Scatter(
        x=list(x),
        y=[_number(c.mean) for c in changes],
        mode="lines+markers",
        line={"color": colour},
        name=name,
        legendgroup=name,
        text=[f"{_signed(c.mean)}% ({_interval(c, '%', signed=True)})" for c in changes],
        hovertemplate=_("{name}, {share}% claiming: {text}").format(
            name=name, share="%{x:.0f}", text="%{text}"
        )
        + "<extra></extra>",
    )
    return [band, line]


def _layout(figure: go.Figure, rows: int, legend_rows: int) -> None:
    """A height that gives each row room, the legend above the plot, one font."""
    figure.update_layout(
        height=max(260, 28 * rows + 120 + 24 * legend_rows),
        margin={"l": 10, "r": 10, "t": 20 + 24 * legend_rows, "b": 50},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0},
        font=FONT,
        template="plotly_white",
        hoverlabel={"namelength": -1},
        separators="".join(separators(active())),  # Plotly's d3 formats: 1.234,5 in es and pt
    )


AXIS_LINE = 34
"""Characters: an axis title is broken into lines no longer than this, so that it fits a
phone's width (390 px) in any language (Spanish and Portuguese titles run a third longer);
the axes' automatic margins make room for the lines."""


def _axis(title: str, width: int = AXIS_LINE) -> str:
    """``title`` in lines of at most ``width`` characters, broken at spaces."""
    return "<br>".join(textwrap.wrap(title, width, break_long_words=False)) or title


def _zero_line(figure: go.Figure, horizontal: bool = False) -> None:
    line = {"color": "#888", "width": 1}
    if horizontal:
        figure.add_hline(0, line=line)
    else:
        figure.add_vline(0, line=line)


def _error_bars(stats: Sequence[Estimate]) -> dict[str, Any]:
    """Plotly's asymmetric error bars (none where there is no interval)."""
    return {
        "type": "data",
        "symmetric": False,
        "array": [_number(s.high - s.mean) for s in stats],
        "arrayminus": [_number(s.mean - s.low) for s in stats],
        "thickness": 1.5,
        "width": 4,
    }


def _scaled(estimate: Estimate, factor: float) -> Estimate:
    return Estimate(*(factor * v for v in estimate))


def _interval(estimate: Estimate, unit: str, signed: bool = False, figures: int = 3) -> str:
    """``95% interval -1.52 h to -1.31 h`` for a figure's hover text (three significant
    figures, or whole numbers with ``figures=0``)."""
    if not (math.isfinite(estimate.low) and math.isfinite(estimate.high)):
        return _("no interval")

    def shown(value: float) -> str:
        text = _whole(value) if figures == 0 else significant(value, figures, signed)
        return text + unit

    return _("95% interval {low} to {high}").format(
        low=shown(estimate.low), high=shown(estimate.high)
    )


def _signed(value: float) -> str:
    return significant(value, signed=True)


def _whole(value: float) -> str:
    return decimal(value, 0)


def _number(value: float) -> float | None:
    """JSON has no NaN: a missing value is null, which Plotly leaves out."""
    return value if math.isfinite(value) else None


def _palette(n: int) -> str:
    return PALETTE[n % len(PALETTE)]


# --- in a notebook -------------------------------------------------------------------------


class Plots:
    """``result.plot.change()``, ``.green()``, ``.stages()``, ``.spread()``, ``.sweep()``:
    the report's figures as Plotly figures, which a notebook draws interactive (and which
    ``.write_html(path)`` saves), of the countries chosen (``country=``, else all)."""

    def __init__(self, results: Results) -> None:
        self._results = results

    def __repr__(self) -> str:
        return "figures: .change() .green() .stages() .spread() .sweep()"

    def change(self, country: str | Sequence[str] | None = None) -> go.Figure:
        """(a) The change in mean clearance time, percent of the baseline, per country."""
        return self._figure("change", country)

    def green(self, country: str | Sequence[str] | None = None) -> go.Figure:
        """(b) The change in green share, percentage points, per country."""
        return self._figure("green", country)

    def stages(self, country: str | Sequence[str] | None = None) -> go.Figure:
        """(c) Where the time goes: the stages of clearance, with and without."""
        return self._figure("stages", country)

    def spread(self, country: str | Sequence[str] | None = None) -> go.Figure:
        """(d) The median, mean and 90th percentile of clearance time."""
        return self._figure("spread", country)

    def sweep(self, country: str | Sequence[str] | None = None) -> go.Figure:
        """(e) The change as utilisation grows (a comparison of three or more scenarios)."""
        return self._figure("sweep", country)

    def _figure(self, anchor: str, country: str | Sequence[str] | None) -> go.Figure:
        results = self._results.for_countries(country) if country is not None else self._results
        charts = {chart.anchor: chart for chart in charts_of(results)}
        if anchor not in charts:
            raise ValueError(f"no {anchor} figure for this result: it has {', '.join(charts)}")
        chart = charts[anchor]
        chart.figure.update_layout(title={"text": chart.caption.split(":")[0], "x": 0})
        return chart.figure
