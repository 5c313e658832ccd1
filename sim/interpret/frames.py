"""The answer as a table of numbers, for notebooks and spreadsheets; and the short views a
notebook shows of a result (its ``repr`` and its HTML).

:func:`answer_frame` is the per-country answer table with every estimate in three columns
(the mean, the low and the high end of its 95% interval), unrounded: what
``comparison.answer()`` returns and what the workbook's answer sheet holds, so that a number
read in either is the number of ``comparison.csv``. :func:`headline_frame` is a run's table
at a glance (each country and the region), as ``mrasim run`` prints it.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim.interpret.answer import CLEARANCE, GREEN, Answer, answer_of, by_label
from sim.interpret.control import ControlRow
from sim.interpret.labels import in_country
from sim.interpret.numbers import Kind, column_unit, general, kind_of, show, unit_text
from sim.interpret.terminal import RUN_BRIEF, estimate_cell, hours_cell, money_cell, relative_cell
from sim.language import N_, _, ngettext, use
from sim.model.iso3166 import by_name, country_name
from sim.model.vocabulary import ALL, ELIGIBLE
from sim.replicate.result import Results, Where
from sim.replicate.stats import MISSING, Estimate

ANSWER_COLUMNS = {
    "clearance_change_h": N_("change in clearance time (h), eligible shipments"),
    "clearance_change_pct": N_("relative change in clearance time (%), eligible shipments"),
    "green_share_change_pp": N_("change in green share (percentage points), eligible shipments"),
    "saved_usd_per_year": N_("cost of delay saved a year (USD), all shipments"),
    "others_clearance_change_h": N_("change in clearance time (h), other shipments"),
}
"""The estimates of the answer table (each with ``_low`` and ``_high``) and their headings."""
CONTROL_COLUMNS = {
    "partner_checks_change_per_year": N_("change in checks a year, eligible shipments"),
    "other_checks_change_per_year": N_("change in checks a year, other shipments"),
    "detections_change_pct": N_("relative change in infractions found (%), all shipments"),
    "revenue_at_risk_change_usd_per_year": N_(
        "change in revenue at risk a year (USD), all shipments"
    ),
}
"""The control side's estimates of the answer table, when the results carry it
(:mod:`sim.interpret.control`; NaN where an area has no stake)."""


def answer_frame(found: Answer) -> pd.DataFrame:
    """The answer's table as numbers: a row per country (by name) and the region, with the
    level (``country`` or ``region``), the compared scenario and its utilisation, each change
    with its 95% interval, the cost-of-delay rate and the days a year's saving is annualised
    from; with the control side, its changes too (:data:`CONTROL_COLUMNS`). The region's
    ``country`` is NaN."""
    rows = []
    control = {(row.label, row.area): row for row in found.control}
    for row in by_label(found.rows):
        region = row.area == ALL
        record: dict[str, object] = {
            "level": "region" if region else "country",
            "country": np.nan if region else row.area,
            "name": _("Region") if region else country_name(row.area),
            "scenario": row.label,
            "utilisation": row.claim_probability,
        }
        estimates = (
            row.clearance,
            row.relative,
            row.green.scaled(100.0),
            row.saving,
            row.others,
        )
        for name, estimate in zip(ANSWER_COLUMNS, estimates, strict=True):
            record[name], record[f"{name}_low"], record[f"{name}_high"] = estimate
        if control:
            record |= _control_record(control.get((row.label, row.area)))
        record["cost_rate_per_day"] = np.nan if found.rate is None else found.rate
        record["annualised_from_days"] = np.nan if found.days is None else found.days
        rows.append(record)
    return pd.DataFrame(rows)


def _control_record(row: ControlRow | None) -> dict[str, object]:
    """The control side's columns of one answer row (NaN where the area has none)."""
    estimates = (
        (row.partner_checks, row.other_checks, row.detections_relative, row.revenue)
        if row is not None
        else (MISSING,) * len(CONTROL_COLUMNS)
    )
    record: dict[str, object] = {}
    for name, estimate in zip(CONTROL_COLUMNS, estimates, strict=True):
        record[name], record[f"{name}_low"], record[f"{name}_high"] = estimate
    return record


def answer_html(found: Answer) -> str:
    """The answer's sentences and table as a small HTML fragment (a notebook's view), the
    numbers rounded as the terminal rounds them, one unit per column."""
    ordered = by_label(found.rows)
    hours = column_unit((row.clearance for row in ordered), Kind.HOURS)
    money = column_unit((row.saving for row in ordered), Kind.MONEY)
    header = [_("country"), *([_("utilisation")] if found.sweep else [])]
    header += [_("clearance change"), _("relative"), _("green change")]
    if found.has_savings:
        header.append(_("saved a year ({annualised})").format(annualised=found.annualised))
    body = []
    for row in ordered:
        cells = [_("Region") if row.area == ALL else country_name(row.area)]
        if found.sweep:
            cells.append(f"{general(100 * row.claim_probability)}%")
        cells += [
            hours_cell(row.clearance, hours),
            relative_cell(row.relative),
            estimate_cell(row.green, "green_share", change=True),
        ]
        if found.has_savings:
            cells.append(money_cell(row.saving, money))
        body.append(cells)
    sentences = "".join(f"<p>{html.escape(s)}</p>" for s in found.sentences)
    return sentences + table_html(header, body)


def headline_html(summary: pd.DataFrame, countries: Sequence[str] | None = None) -> str:
    """A run's table at a glance, as HTML: each country (by name) and the region, all
    shipments, the columns ``mrasim run`` prints (``summary``: the files' long shape)."""
    summary = summary[summary["kind"] == "value"] if "kind" in summary.columns else summary
    areas = summary[(summary["port"] == ALL) & (summary["mode"] == ALL) & summary["station"].isna()]
    areas = areas[areas["group"] == ALL]
    codes = [c for c in dict.fromkeys(areas["country"].tolist()) if c != ALL]
    shown = sorted((c for c in codes if countries is None or c in countries), key=by_name)
    if countries is None and len(codes) > 1:
        shown.append(ALL)
    cells = {
        (country, metric): Estimate(mean, low, high)
        for country, metric, mean, low, high in areas[
            ["country", "metric", "mean", "ci_low", "ci_high"]
        ].itertuples(index=False, name=None)
    }
    metrics = [m for m in RUN_BRIEF if (shown[0] if shown else "", m) in cells]
    body = []
    for area in shown:
        values = [cells.get((area, m)) for m in metrics]
        body.append(
            [_("Region") if area == ALL else country_name(area)]
            + [
                estimate_cell(v, m) if v is not None else "-"
                for v, m in zip(values, metrics, strict=True)
            ]
        )
    return table_html([_("country"), *(_(RUN_BRIEF[m]) for m in metrics)], body)


def table_html(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain HTML table: the first column a label, the others numbers (right-aligned)."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    lines = "".join(
        "<tr>"
        + "".join(
            f'<td style="text-align:{"left" if i == 0 else "right"}">{html.escape(c)}</td>'
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{lines}</tbody></table>"


def headline_words(estimate: Estimate, metric: str, change: bool = False) -> str:
    """One estimate for a one-line ``repr``: ``15.4 h ±0.7``, ``+11.8 pp ±1.1``."""
    if not math.isfinite(estimate.mean):
        return "-"
    kind = kind_of(metric)
    if kind is Kind.HOURS:
        return hours_cell(estimate) if change else hours_cell(estimate).lstrip("+")
    shown = show(estimate, kind, signed=change, change=change)
    unit = {"%": "%", "pp": " " + unit_text("pp")}.get(shown.unit, "")
    return f"{shown.mean}{unit}" + (f" ±{shown.half}" if shown.half else "")


# --- what a notebook shows of a result -----------------------------------------------------


def result_repr(results: Results, kind: str) -> str:
    """One line: the scenario, the replications and a few headline numbers (a comparison's
    change for partner-AEO shipments; a run's clearance time and green share), of the only
    country or of the region."""
    name = " vs ".join(dict.fromkeys(s.name for s in results.scenarios))
    countries = results.countries
    area = countries[0] if len(countries) == 1 else ALL
    where = in_country(area) if area != ALL else _("across the region")
    n = results.replications
    if results.compared:
        label = results.compared[-1]
        at = Where(area, group=ELIGIBLE)
        clearance = results.get("difference", label, at, CLEARANCE)
        relative = results.relative(label, at, CLEARANCE)
        green = results.get("difference", label, at, GREEN)
        text = ngettext(
            "{levels}, {n} replication; partner-AEO shipments {where}{label}: clearance "
            "{clearance} ({relative}), green share {green}",
            "{levels}, {n} replications; partner-AEO shipments {where}{label}: clearance "
            "{clearance} ({relative}), green share {green}",
            n,
        ).format(
            levels=" vs ".join(results.labels),
            n=n,
            where=where,
            label="" if len(results.compared) == 1 else f" ({label})",
            clearance=headline_words(clearance, CLEARANCE, change=True),
            relative=relative_cell(relative),
            green=headline_words(green, GREEN, True),
        )
        return f"<{kind} {name}: {text}>"
    label = results.labels[0]
    at = Where(area)
    clearance = results.get("value", label, at, CLEARANCE)
    green = results.get("value", label, at, GREEN)
    text = ngettext(
        "{n} replication; all shipments {where}: clearance {clearance}, green share {green}",
        "{n} replications; all shipments {where}: clearance {clearance}, green share {green}",
        n,
    ).format(
        n=n,
        where=where,
        clearance=headline_words(clearance, CLEARANCE),
        green=headline_words(green, GREEN),
    )
    return f"<{kind} {name}: {text}>"


def result_html(results: Results) -> str:
    """A notebook's view of a result: its name and replications, then the headline table (the
    answer of a comparison, each country and the region of a run)."""
    name = " vs ".join(dict.fromkeys(s.name for s in results.scenarios))
    what = " vs ".join(results.labels) + ", " if results.compared else ""
    replications = ngettext(
        "{n} replication; 95% intervals", "{n} replications; 95% intervals", results.replications
    ).format(n=results.replications)
    title = f"<p><b>{html.escape(name)}</b>: {html.escape(what + replications)}</p>"
    if results.compared:
        return title + answer_html(answer_of(results, results.chosen))
    return title + headline_html(results.table, results.chosen)


def answer_table(
    results: Results, country: str | Sequence[str] | None = None, lang: str | None = None
) -> pd.DataFrame:
    """The answer of a comparison as a DataFrame (:func:`answer_frame`), of every country (and
    the region), of the countries the result chose, or of ``country`` (codes or names); the
    names in ``lang`` (None: the active language)."""
    with use(lang):
        return answer_frame(_scoped_answer(results, country))


def answer_sentences(
    results: Results, country: str | Sequence[str] | None = None, lang: str | None = None
) -> list[str]:
    """The answer's sentences (:func:`answer_table`'s scope), in ``lang``."""
    with use(lang):
        return _scoped_answer(results, country).sentences


def _scoped_answer(results: Results, country: str | Sequence[str] | None) -> Answer:
    if not results.compared:
        raise ValueError(_("a run has no answer: compare scenarios (sim.compare) to get one"))
    scoped = results.for_countries(country) if country is not None else results
    return answer_of(scoped, scoped.chosen)
