"""The fit report: one self-contained HTML page (figures embedded) and the same figures as PNGs.

The first screen says whether to trust the fit, on what evidence, and what was
fitted; then each stage of clearance is shown as the records have it against the
fitted model (cumulative distributions and quantile-quantile plots, per channel
and trader group), arrivals by hour of the week, the fitted values with their
intervals, the data-quality table and the holdout check. The page shell, style
and PNG embedding are those of ``mrasim report`` (:mod:`sim.report`).
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from sim._version import __version__
from sim.calibrate.check import (
    ALL,
    CHANCE_NOTE,
    DISPLAY_COLUMNS,
    GOOD_D,
    Check,
    display_rows,
    select,
)
from sim.calibrate.from_records import RecordsCalibration
from sim.calibrate.provenance import fitted_fields, number_text
from sim.calibrate.targets import TargetsCalibration
from sim.language import N_, _, ngettext
from sim.language.formats import decimal
from sim.language.terms import term
from sim.model.calendars import WEEK
from sim.model.vocabulary import CHANNELS, GROUPS
from sim.plan.compile import compile_plan
from sim.report.figures import number_axis, panels, png
from sim.report.html import STYLE, esc, page, significant
from sim.results.atomic import write_atomic, write_frame
from sim.results.files import REPORT_FILE

OBSERVED, SIMULATED = "#0072B2", "#D55E00"  # Okabe-Ito, as the policy report
GRADE_COLOURS = {"good": "#e3f2e1", "fair": "#fff4d6", "poor": "#fbe0dc"}
VERDICT_COLOURS = {
    "trust the fit": "#2e7d32",
    "use with care": "#b26a00",
    "do not trust the fit": "#c62828",
}
GRADES = {"good": N_("good"), "fair": N_("fair"), "poor": N_("poor")}
"""A comparison's grade as the page says it (the CSV keeps the English word)."""
WEEKDAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))
EXTRA_STYLE = """
.verdict { padding: 0.8em 1em; border-radius: 6px; color: white; font-size: 1.25em; }
.verdict small { display: block; font-size: 0.7em; opacity: 0.95; }
td.good { background: #e3f2e1; } td.fair { background: #fff4d6; } td.poor { background: #fbe0dc; }
td.text { text-align: left; }
.glance { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; align-items: start; }
"""


def write_report(result: RecordsCalibration | TargetsCalibration, folder: Path) -> Path:
    """Write ``folder/report.html`` and a PNG per figure; returns the page's path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if isinstance(result, TargetsCalibration):
        title, body, figures = _targets_page(result)
    else:
        title, body, figures = _records_page(result)
        write_frame(result.records.quality, folder / "data-quality.csv")
        write_frame(result.in_sample.table, folder / "fit-check.csv")
        if result.holdout is not None:
            write_frame(result.holdout.table, folder / "holdout-check.csv")
    for name, encoded in figures.items():
        _write_bytes(base64.b64decode(encoded), folder / f"{name}.png")
    html = page(title=esc(title), style=STYLE + EXTRA_STYLE, script="", body=body)
    path = folder / REPORT_FILE
    write_atomic(path, lambda tmp: tmp.write_text(html, encoding="utf-8"))
    return path


def _write_bytes(data: bytes, path: Path) -> None:
    write_atomic(path, lambda tmp: tmp.write_bytes(data))


def _img(encoded: str, caption: str) -> str:
    return (
        f'<figure><img src="data:image/png;base64,{encoded}" alt="{esc(caption)}">'
        f"<figcaption>{esc(caption)}</figcaption></figure>"
    )


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """Rows of ready ``<td>`` cells under a header."""
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join(f"<tr>{''.join(row)}</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _td(value: object, css: str = "") -> str:
    return f'<td class="{css}">{esc(value)}</td>' if css else f"<td>{esc(value)}</td>"


def _fmt(value: object) -> str:
    """A fitted number: four significant figures, in the language's digits."""
    if isinstance(value, float):
        return significant(value, 4)
    return number_text(value, "–")


def _whole(count: int) -> str:
    """A count with the language's thousands separator (``12.345`` in Spanish)."""
    return decimal(count, 0)


# --- records ------------------------------------------------------------------------------


def _records_page(result: RecordsCalibration) -> tuple[str, str, dict[str, str]]:
    figures: dict[str, str] = {}
    judged = result.holdout or result.in_sample
    countries = {code for code, _name in result.fit_part.ports()}
    glance = _glance_figure(judged, next(iter(countries)) if len(countries) == 1 else None)
    figures["clearance-at-a-glance"] = glance
    ports = ", ".join(f.key for f in result.ports)
    title = _("Calibration of {ports} to {source}").format(
        ports=ports, source=Path(result.records.source).name
    )
    glance_caption = _(
        "Clearance time per trader group, {part}: records (solid) and the fitted model "
        "(dashed), cumulative distributions."
    ).format(part=_(judged.label))
    per_cell = _(
        "Per channel (columns) and trader group (colours), where both records and model have at "
        "least 30 shipments: cumulative distributions (records solid, model dashed) and "
        "quantile-quantile plots (points on the grey diagonal are a perfect fit)."
    )
    sections = [
        f"<h1>{esc(title)}</h1>",
        _verdict(judged, result),
        '<div class="glance">',
        _img(glance, glance_caption),
        _summary_list(result),
        "</div>",
        _heading(_("1. Fit check")),
        _check_section(result.in_sample),
    ]
    if result.holdout is not None:
        sections.append(_check_section(result.holdout))
    sections.append(_heading(_("2. Each stage, records against the fitted model")))
    sections.append(f"<p class='note'>{esc(per_cell)}</p>")
    for stage in dict.fromkeys(judged.observed.stage):
        encoded = _stage_figure(judged, stage)
        if encoded is None:
            continue
        figures[f"stage-{stage.replace(' ', '-')}"] = encoded
        caption = _(
            "{stage} ({part}): cumulative distributions (top) and quantile-quantile plots "
            "(bottom) per channel and trader group."
        ).format(stage=stage, part=_(judged.label))
        sections.append(_img(encoded, caption))
    arrivals = _arrivals_figure(result)
    figures["arrivals-by-hour-of-week"] = arrivals
    sections += [
        _heading(_("3. Arrivals by hour of the week")),
        _img(
            arrivals,
            _(
                "Arrivals per hour of the week (hour 0 = Monday 00:00 local time): records, "
                "averaged over the weeks, and the fitted rate."
            ),
        ),
        _heading(_("4. Fitted values")),
        _fitted_table(result),
    ]
    forest = _forest_figure(result)
    if forest is not None:
        figures["fitted-values"] = forest
        caption = _(
            "Fitted values against the template's, as ratios, with 95% intervals (a ratio of 1 "
            "is the template's value)."
        )
        sections.append(_img(forest, caption))
    sections += [
        _heading(_("5. Data quality")),
        _quality_table(result),
        _heading(_("6. Notes and provenance")),
        _provenance(result.calibration.model_dump(), result.calibration.notes),
    ]
    return title, "\n".join(sections), figures


def _heading(text: str) -> str:
    return f"<h2>{esc(text)}</h2>"


def _verdict(judged: Check, result: RecordsCalibration) -> str:
    colour = VERDICT_COLOURS[judged.verdict]
    headline = judged.headline
    counts = headline.grade.value_counts()
    worst = headline.sort_values("ks", ascending=False).head(1)
    detail = ngettext(
        "{good} good, {fair} fair, {poor} poor of {count} headline comparison on the {part}",
        "{good} good, {fair} fair, {poor} poor of {count} headline comparisons on the {part}",
        len(headline),
    ).format(
        good=counts.get("good", 0),
        fair=counts.get("fair", 0),
        poor=counts.get("poor", 0),
        count=len(headline),
        part=_(judged.label),
    )
    if not worst.empty:
        row = worst.iloc[0]
        gap = _(
            "; largest gap: {stage}, {channel} channel, {group} (D = {d}, mean {recorded} h "
            "recorded vs {simulated} h simulated)"
        )
        detail += gap.format(
            stage=row.stage,
            channel=row.channel,
            group=row.group,
            d=decimal(row.ks, 3),
            recorded=significant(row.mean_observed_h),
            simulated=significant(row.mean_simulated_h),
        )
    rule = _(
        "Rule: a comparison is good when the Kolmogorov–Smirnov distance D ≤ {good}, or when D "
        "is within chance (what the simulated periods show among themselves: a correct model "
        "passes every headline comparison with probability about R/(R+1) for R simulated "
        "periods), fair when D ≤ {fair}, poor otherwise; trust the fit when every headline "
        "comparison is good, use it with care when none is poor (poor: D above {fair} and above "
        "one and a half times chance)."
    ).format(good=decimal(GOOD_D, 2), fair=decimal(0.2, 2))
    verdict = _(judged.verdict).upper()
    return (
        f'<div class="verdict" style="background:{colour}">{esc(verdict)}'
        f"<small>{esc(detail)}</small></div><p class='note'>{esc(rule)}</p>"
    )


def _summary_list(result: RecordsCalibration) -> str:
    part = result.fit_part
    stations = [
        _("{port} {station}: {servers} servers (by simulation, {low}–{high})").format(
            port=fit.key,
            station=name,
            servers=s.estimate.servers,
            low=s.servers_interval[0],
            high=s.servers_interval[1],
        )
        for fit in result.ports
        for name, s in fit.stations.items()
    ]
    records = _("{read} read, {used} used to fit, {excluded} excluded (section 5)").format(
        read=_whole(result.records.rows_read),
        used=_whole(part.rows_used),
        excluded=_whole(sum(result.records.excluded.values())),
    )
    first, last = (_fmt(float(d)) for d in part.days)
    if result.holdout:
        held = tuple(_fmt(float(d)) for d in result.holdout.days)
        period = _("days {first}–{last} fitted, days {held_first}–{held_last} held out")
        period = period.format(first=first, last=last, held_first=held[0], held_last=held[1])
    else:
        period = _("days {first}–{last} fitted, no holdout").format(first=first, last=last)
    ports = len(result.ports)
    fitted = ngettext(
        "{numbers} numbers of {ports} port (section 4)",
        "{numbers} numbers of {ports} ports (section 4)",
        ports,
    ).format(numbers=len(fitted_fields(result.estimates)), ports=ports)
    items = [
        (_("records"), records),
        (_("period"), period),
        (_("times"), result.records.clock),
        (_("fitted"), fitted),
        (_("template"), str(result.template_path)),
        (
            _("simulated"),
            _("{count} replications of the fitted model").format(
                count=result.in_sample.replications
            ),
        ),
    ]
    if stations:
        items.append((_("stations without start times"), "; ".join(stations)))
    rows = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in items)
    return f"<dl>{rows}</dl>"


def _check_section(check: Check) -> str:
    rows = [
        [
            *(_td(cell, "label") for cell in row[:4]),
            *(_td(cell) for cell in row[4:-1]),
            _td(_(GRADES.get(row[-1], row[-1])), row[-1]),
        ]
        for row in display_rows(check.headline)
    ]
    header = [_(column) for column in DISPLAY_COLUMNS]
    heading = _("{part} (days {first}–{last}): {verdict}").format(
        part=_(check.label).capitalize(),
        first=_fmt(float(check.days[0])),
        last=_fmt(float(check.days[1])),
        verdict=_(check.verdict),
    )
    return (
        f"<h3>{esc(heading)}</h3>"
        + _table(header, rows)
        + f"<p class='note'>{esc(_(CHANCE_NOTE))}</p>"
    )


def _by_cell(check: Check, stage: str) -> list[tuple[str, str, np.ndarray, np.ndarray]]:
    """(channel, group, records, model) of a stage, where both have 30 or more."""
    obs = check.observed[check.observed.stage == stage]
    sim = check.simulated[check.simulated.stage == stage]
    cells = []
    for group in (ALL, *GROUPS):
        for channel in (ALL, *CHANNELS) if stage == "clearance" else CHANNELS:
            a = select(obs, channel, group)
            b = select(sim, channel, group)
            if len(a) >= 30 and len(b) >= 30:
                cells.append((channel, group, a, b))
    return cells


FLOOR_H = 1 / 60
"""Times are drawn on a log scale, those under a minute at a minute."""
CURVE_POINTS = np.linspace(0.0, 1.0, 201)
QQ_LEVELS = np.linspace(0.01, 0.99, 99)
GROUP_COLOURS = {
    ALL: "#222222",
    "standard": "#0072B2",
    "national_aeo": "#D55E00",
    "recognised_aeo": "#009E73",
}


def _ecdf(ax, values: np.ndarray, **style) -> None:
    """A cumulative distribution drawn through 201 of its quantiles (light, and exact there)."""
    ax.plot(np.maximum(np.quantile(values, CURVE_POINTS), FLOOR_H), CURVE_POINTS, **style)


def _stage_figure(check: Check, stage: str) -> str | None:
    """One column per channel: cumulative distributions (top) and quantile-quantile plots
    (bottom) of each trader group, records solid and model dashed."""
    cells = _by_cell(check, stage)
    if not cells:
        return None
    channels = list(dict.fromkeys(c[0] for c in cells))
    figure = Figure(figsize=(3.3 * len(channels), 5.2), layout="constrained")
    axes = figure.subplots(2, len(channels), squeeze=False)
    for column, channel in enumerate(channels):
        top, bottom = axes[0, column], axes[1, column]
        highest = 0.0
        for _channel, group, a, b in (c for c in cells if c[0] == channel):
            colour = GROUP_COLOURS[group]
            _ecdf(top, a, color=colour, label=f"{group} (n={_whole(len(a))})")
            _ecdf(top, b, color=colour, linestyle="--")
            qa, qb = np.quantile(a, QQ_LEVELS), np.quantile(b, QQ_LEVELS)
            bottom.plot(qa, qb, ".", color=colour, markersize=2.5)
            highest = max(highest, qa.max(), qb.max())
        bottom.plot([0, highest], [0, highest], color="#999", linewidth=0.8)
        top.set_xscale("log")
        title = _("{stage}: {channel} channel").format(stage=stage, channel=channel)
        top.set_title(title if channel != ALL else stage, fontsize=9)
        top.set_xlabel(_("hours (records solid, model dashed)"), fontsize=7)
        top.legend(fontsize=6)
        bottom.set_xlabel(_("records, quantile (h)"), fontsize=7)
        bottom.set_ylabel(_("model, quantile (h)"), fontsize=7)
        for ax in (top, bottom):
            ax.tick_params(labelsize=7)
    return png(figure)


def _glance_figure(check: Check, country: str | None) -> str:
    """Clearance time of every group: records solid, model dashed (``country``: the one
    country fitted, whose word for *release* the axis uses)."""
    figure = Figure(figsize=(5.5, 3.6), layout="constrained")
    ax = figure.subplots()
    for channel, group, a, b in _by_cell(check, "clearance"):
        if channel != ALL:
            continue
        colour = GROUP_COLOURS[group]
        _ecdf(ax, a, color=colour, label=f"{group} (n={_whole(len(a))})")
        _ecdf(ax, b, color=colour, linestyle="--")
    ax.set_xscale("log")
    xlabel = _("hours from arrival to {release} (records solid, model dashed)")
    ax.set_xlabel(xlabel.format(release=term("release", country)), fontsize=8)
    ax.set_ylabel(_("share released"), fontsize=8)
    ax.yaxis.set_major_formatter(number_axis())
    ax.legend(fontsize=7)
    ax.tick_params(labelsize=7)
    return png(figure)


def _arrivals_figure(result: RecordsCalibration) -> str:
    plan = compile_plan(result.fitted)
    fitted = {(p.country, p.name): p for p in plan.ports}
    keys = result.fit_part.ports()
    figure, axes = panels(len(keys), 1, (10, 2.6))
    first, last = result.fit_part.days
    hours = np.arange(int(first * 24), int(last * 24))
    exposure = np.bincount((hours % WEEK).astype(int), minlength=int(WEEK))
    exposure = exposure * result.fit_part.replications
    for ax, (code, name) in zip(axes, keys, strict=True):
        frame = result.fit_part.port(code, name)
        counts = np.bincount((np.floor(frame.arrival) % WEEK).astype(int), minlength=int(WEEK))
        with np.errstate(invalid="ignore", divide="ignore"):
            ax.bar(
                np.arange(int(WEEK)),
                counts / exposure,
                width=1.0,
                color=OBSERVED,
                alpha=0.5,
                label=_("records (mean per hour)"),
            )
        port = fitted[(code, name)]
        batch = port.batch_size.mean if port.batch_size is not None else 1.0
        ax.step(
            np.arange(int(WEEK) + 1),
            np.append(port.hourly_rate, port.hourly_rate[-1]) * batch,
            where="post",
            color=SIMULATED,
            label=_("fitted rate"),
        )
        ax.set_xticks(np.arange(0, WEEK + 1, 24), [*(_(day) for day in WEEKDAYS), ""])
        ax.yaxis.set_major_formatter(number_axis())
        ax.set_title(f"{code}/{name}", fontsize=9)
        ax.set_ylabel(_("arrivals per hour"), fontsize=8)
        ax.legend(fontsize=7)
    return png(figure)


def _fitted_table(result: RecordsCalibration) -> str:
    rows = []
    for field in fitted_fields(result.estimates):
        low, high = field.interval if field.interval is not None else (None, None)
        rows.append(
            [
                _td(field.path, "label"),
                _td(_fmt(field.value)),
                _td(_fmt(low) if field.interval else ""),
                _td((_("no bound") if high is None else _fmt(high)) if field.interval else ""),
                _td(field.method, "text"),
            ]
        )
    return _table((_("field"), _("fitted"), _("95% low"), _("95% high"), _("how")), rows)


def _forest_figure(result: RecordsCalibration) -> str | None:
    """Scalar fitted values (not profiles) over the template's, with intervals."""
    lines = []
    for estimate in result.estimates:
        for field in fitted_fields([estimate]):
            if "[" in field.path or field.interval is None or isinstance(field.value, str):
                continue
            template = _leaf(estimate.template, field.path[len(estimate.path) :])
            if not isinstance(template, int | float) or template <= 0:
                continue
            low, high = field.interval
            high = high if high is not None else field.value
            lines.append(
                (
                    field.path.split(".ports.")[-1],
                    field.value / template,
                    low / template,
                    high / template,
                )
            )
    if not lines:
        return None
    figure = Figure(figsize=(9, 0.22 * len(lines) + 1.0), layout="constrained")
    ax = figure.subplots()
    y = np.arange(len(lines))[::-1]
    values = np.array([x[1] for x in lines])
    errors = np.array([[x[1] - x[2] for x in lines], [x[3] - x[1] for x in lines]])
    ax.errorbar(values, y, xerr=np.maximum(errors, 0), fmt="o", color=OBSERVED, markersize=3)
    ax.axvline(1.0, color="#999", linewidth=0.8)
    ax.set_yticks(y, [x[0] for x in lines], fontsize=7)
    ax.set_xlabel(_("fitted / template"), fontsize=8)
    ax.xaxis.set_major_formatter(number_axis())
    return png(figure)


def _leaf(value: object, rest: str) -> object:
    for key in filter(None, rest.split(".")):
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _quality_table(result: RecordsCalibration) -> str:
    rows = [
        [_td(r, "label"), _td(_whole(n))]
        for r, n in zip(result.records.quality.reason, result.records.quality.rows, strict=True)
    ]
    said = _(
        "Each excluded row is counted under the first reason it fails, in this order. Saved as "
        "data-quality.csv."
    )
    return _table((_("reason"), _("rows")), rows) + f"<p class='note'>{esc(said)}</p>"


def _provenance(block: dict, notes: Sequence[str]) -> str:
    items = [
        (k, block[k])
        for k in ("method", "source", "sha256", "template", "date", "command", "confidence")
        if block.get(k) is not None
    ]
    items.append((_("written by"), f"mrasim {__version__}"))
    rows = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in items)
    listed = "".join(f"<li>{esc(n)}</li>" for n in notes)
    return f"<dl class='meta'>{rows}</dl><ul>{listed}</ul>"


# --- targets ----------------------------------------------------------------------------


def _targets_page(result: TargetsCalibration) -> tuple[str, str, dict[str, str]]:
    table = result.table
    within = int(table.within.sum())
    ok = bool(table.within.all())
    colour = VERDICT_COLOURS["trust the fit" if ok else "do not trust the fit"]
    title = _("Calibration of {ports} to {source}").format(
        ports=result.template_path.name, source=result.targets.name
    )
    figure, axes = panels(1, 1, (9, 0.4 * len(table) + 1.2))
    ax = axes[0]
    y = np.arange(len(table))[::-1]
    ratio = table.simulated / table.published
    ax.barh(y, 2 * table.tolerance, left=1 - table.tolerance, color="#e3f2e1", label=_("tolerance"))
    ax.errorbar(
        ratio,
        y,
        xerr=[ratio - table.ci_low / table.published, table.ci_high / table.published - ratio],
        fmt="o",
        color=SIMULATED,
        label=_("simulated / published, 95% interval"),
    )
    ax.axvline(1.0, color="#999", linewidth=0.8)
    ax.set_yticks(y, table.target, fontsize=8)
    ax.xaxis.set_major_formatter(number_axis())
    ax.legend(fontsize=8)
    encoded = png(figure)
    yes, no = _("yes"), _("no")
    rows = [_target_row(r, yes, no) for r in table.itertuples()]
    fields = [
        [
            _td(e.path, "label"),
            _td(_fmt(e.template)),
            _td(_fmt(e.value)),
            _td(f"[{_fmt(e.low)}; {_fmt(e.high)}]" if e.low is not None else _("none")),
        ]
        for e in result.estimates
    ]
    verdict = ngettext(
        "{within} of {count} target within tolerance",
        "{within} of {count} targets within tolerance",
        len(table),
    ).format(within=within, count=len(table))
    how = ngettext(
        "{count} simulation on common random numbers; {solver}",
        "{count} simulations on common random numbers; {solver}",
        result.evaluations,
    ).format(count=result.evaluations, solver=result.solver)
    caption = _(
        "Simulated over published value for each target, with the tolerance band and the 95% "
        "interval over replications."
    )
    targets_header = (
        _("target"),
        _("published"),
        _("simulated (95%)"),
        _("error"),
        _("tolerance"),
        _("within"),
        _("source"),
    )
    body = "\n".join(
        [
            f"<h1>{esc(title)}</h1>",
            f'<div class="verdict" style="background:{colour}">{esc(verdict)}'
            f"<small>{esc(how)}</small></div>",
            _img(encoded, caption),
            _heading(_("1. Targets")),
            _table(targets_header, rows),
            _heading(_("2. Fitted fields")),
            _table((_("field"), _("template"), _("fitted"), _("tolerance range")), fields),
            _heading(_("3. Provenance")),
            _provenance(result.calibration.model_dump(), result.calibration.notes),
        ]
    )
    return title, body, {"targets": encoded}


def _target_row(r: Any, yes: str, no: str) -> list[str]:
    """A target's row: published, simulated with its interval, error, tolerance, verdict."""
    low, high = significant(float(r.ci_low), 4), significant(float(r.ci_high), 4)
    return [
        _td(r.target, "label"),
        _td(significant(float(r.published), 4)),
        _td(f"{significant(float(r.simulated), 4)} [{low}; {high}]"),
        _td(decimal(100 * float(r.relative_error), 1, signed=True) + "%"),
        _td(f"±{decimal(100 * float(r.tolerance), 0)}%"),
        _td(yes if r.within else no, "good" if r.within else "poor"),
        _td(r.source, "text"),
    ]
