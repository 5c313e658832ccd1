"""What ``mrasim run`` and ``mrasim compare`` print: tables that fit, and the answer last.

A terminal shows the end of what was printed, so ``compare`` prints the long
per-country tables first and ends with the answer (one sentence per question,
one row per country), what it assumes, and how it was made. Every table fits
the terminal's width (at most 100 columns): wider tables wrap into blocks of
columns. Numbers are rounded by :mod:`sim.numbers`, as in the report.
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from sim.indicators.layout import HEADLINE, cost_metric
from sim.interpret.answer import Answer, CountryRow, by_label
from sim.interpret.assumptions import Assumption
from sim.interpret.labels import shown_label
from sim.interpret.numbers import (
    Kind,
    Shown,
    bare_money,
    column_unit,
    general,
    kind_of,
    percent,
    show,
    unit_text,
)
from sim.interpret.tables import fit_table
from sim.language import N_, _, ngettext
from sim.language.formats import money, money_prefix
from sim.language.terms import term
from sim.model.iso3166 import by_name, country_name
from sim.model.vocabulary import ALL, FIXED_MEMBERSHIP, SUMMARY_GROUPS
from sim.replicate.stats import MISSING, Estimate

UNRESOLVED_NOTE = N_(
    "a change shown without ± is not resolved by these replications: it is the same in every "
    "one, or zero in most of them, and no interval would cover it; run more replications."
)
MEMBERSHIP_NOTE = N_(
    "standard and recognised_aeo change membership with the arrangement (a claiming shipment "
    "moves from one to the other): read changes on all, eligible and not_eligible."
)
UNIT_SPACE = re.compile(
    r"(\d) (h|min|s|pp|M|B|points|puntos|pontos|mil\xa0M|milhões|bilhões|p\.\xa0p\.|p\.p\.)(?!\w)"
)
"""A number and its unit, in every language (a unit's own space already no-break)."""
GLUED_UNITS = ("mil M", "p. p.")
"""Units written with a space inside them (Spanish)."""
CONTROL_SHOWN = ("checks", "detections", "hit_rate", "detection_rate", "revenue_at_risk_usd")
"""The control indicators a table shows unless ``--metric`` says otherwise (where present)."""
STATION_COLUMNS = (
    "wait_h_mean",
    "service_h_mean",
    "general_utilisation",
    "reserved_utilisation",
    "overtime_h",
)


COLUMN_NAMES = {
    "country": N_("country"),
    "mode": N_("mode"),
    "port": N_("port"),
    "group": N_("group"),
    "station": N_("station"),
}
"""The label columns of a pivoted table, by the files' column names."""


@dataclass(frozen=True)
class View:
    """What a terminal table shows: its width and the rows ``--country``, ``--group`` and
    ``--metric`` select (None: all)."""

    width: int = 100
    countries: Sequence[str] | None = None
    groups: Sequence[str] | None = None
    metrics: Sequence[str] | None = None
    pooled_clocks_differ: bool = False  # label the region's rows (``region*``)
    pooled_note: str = ""  # and say why


INDICATOR_NAMES = {
    "clearance_h_mean": N_("clearance h mean"),
    "clearance_h_median": N_("clearance h median"),
    "clearance_h_p90": N_("clearance h p90"),
    "customs_h_mean": N_("customs h mean"),
    "customs_h_median": N_("customs h median"),
    "customs_h_p90": N_("customs h p90"),
    "utilisation_rate": N_("utilisation rate"),
    "shipments": N_("shipments"),
    "checks": N_("checks"),
    "infractions": N_("infractions"),
    "detections": N_("detections"),
    "missed": N_("missed"),
    "hit_rate": N_("hit rate"),
    "detection_rate": N_("detection rate"),
    "revenue_at_risk_usd": N_("revenue at risk USD"),
    "wait_h_mean": N_("wait h mean"),
    "service_h_mean": N_("service h mean"),
    "general_utilisation": N_("general utilisation"),
    "reserved_utilisation": N_("reserved utilisation"),
    "overtime_h": N_("overtime h"),
}
"""The indicators' short names in a terminal table (others: the column name with spaces)."""
CHANNEL_SHARES = {"green_share": "green", "yellow_share": "yellow", "red_share": "red"}


def indicator_name(metric: str, country: str | None = None) -> str:
    """A metric's name in a terminal table: ``clearance h mean``, ``cost USD/shipment``;
    a channel's share in ``country``'s words when the table shows one country (Peru's
    *canal naranja*)."""
    if metric.startswith("delay_cost_usd_"):
        return _("cost USD/shipment")
    if metric in CHANNEL_SHARES:
        channel = term(CHANNEL_SHARES[metric], country)
        return _("{channel} share").format(channel=channel)
    if metric in INDICATOR_NAMES:
        return _(INDICATOR_NAMES[metric])
    if metric.endswith("_usd"):
        return metric.removesuffix("_usd").replace("_", " ") + " USD"
    return metric.replace("_", " ")


def area_name(code: str, pooled_clocks_differ: bool = False) -> str:
    if code != ALL:
        return code
    return _("region*") if pooled_clocks_differ else _("region")


def estimate_cell(estimate: Estimate, metric: str, change: bool = False, half: bool = True) -> str:
    """The cell of every terminal table (``mrasim experiment``'s too): ``28.17 ±0.10``,
    ``87.3% ±0.1``, ``+9.6 pp ±0.3``: the estimate and its half-width (without it, if asked,
    but rounded to it all the same)."""
    if not math.isfinite(estimate.mean):
        return "-"
    shown = show(estimate, kind_of(metric), signed=change, change=change)
    text = f"{shown.mean}{_suffix(shown)}"
    return f"{text} ±{shown.half}" if shown.half and half else text


def _suffix(shown: Shown) -> str:
    if shown.unit in ("USD M", "USD B"):  # revenue at risk: millions and billions
        return " " + bare_money("", shown.unit).strip()
    return {"%": "%", "pp": " " + unit_text("pp")}.get(shown.unit, "")


def relative_cell(estimate: Estimate) -> str:
    if not math.isfinite(estimate.mean):
        return "-"
    shown = show(estimate, Kind.PERCENT, signed=True)
    return f"{shown.mean}%" + (f" ±{shown.half}" if shown.half else "")


# --- compare ----------------------------------------------------------------------------


def comparison_digest(table: pd.DataFrame, view: View) -> str:
    """Per country (then the region) and group: each indicator in every scenario, the paired
    changes from the first and the relative changes (not for shares: a change in a share is
    read in percentage points), with 95% half-widths."""
    from sim.interpret.answer import Table

    cells = Table(table)
    width, countries, groups, metrics = view.width, view.countries, view.groups, view.metrics
    if metrics is None:
        central = cells.rates[len(cells.rates) // 2] if cells.rates else None
        metrics = [*HEADLINE, *([cost_metric(central)] if central is not None else [])]
        metrics += CONTROL_SHOWN  # rows only where the table has them
    areas = sorted(c for c in cells.countries if countries is None or c in countries)  # as shown
    if len(cells.countries) > 1 and countries is None:
        areas.append(ALL)
    baseline = cells.baseline
    one = areas[0] if len(areas) == 1 else None
    header = [
        _("country"),
        _("group"),
        _("indicator"),
        *cells.labels,
        *(f"{label} - {baseline}" for label in cells.compared),
        *(f"{label} %" for label in cells.compared),
    ]
    rows = []
    unresolved = False
    for area in areas:
        for group in groups or SUMMARY_GROUPS:
            for metric in metrics:
                values = [cells.get("value", s, area, group, metric) for s in cells.labels]
                changes = [cells.change(s, area, group, metric) for s in cells.compared]
                if not any(math.isfinite(e.mean) for e in (*values, *changes)):
                    continue
                unresolved |= any(math.isfinite(c.mean) and not c.has_interval for c in changes)
                relative = [
                    relative_cell(cells.relative(s, area, group, metric))
                    if kind_of(metric) is not Kind.SHARE
                    else ""
                    for s in cells.compared
                ]
                rows.append(
                    [
                        area_name(area, view.pooled_clocks_differ),
                        group,
                        indicator_name(metric, one),
                        *(estimate_cell(v, metric, half=False) for v in values),
                        *(estimate_cell(c, metric, change=True) for c in changes),
                        *relative,
                    ]
                )
    notes = []
    if view.pooled_clocks_differ and ALL in areas:
        notes.append(view.pooled_note)
    if not set(groups or SUMMARY_GROUPS) <= set(FIXED_MEMBERSHIP):
        notes.append(_(MEMBERSHIP_NOTE))
    if any(metric.startswith("delay_cost") for metric in metrics) and cells.rates:
        central = cells.rates[len(cells.rates) // 2]
        notes.append(
            _(
                "cost USD/shipment: the cost of delay at an assumed {rate}%/day of the "
                "declared value, itself assumed."
            ).format(rate=general(100 * central))
        )
    if unresolved:
        notes.append(_(UNRESOLVED_NOTE))
    return "\n".join([fit_table(header, rows, 3, width), *(wrap(note, width) for note in notes)])


def comparison_title(labels: Sequence[str], replications: int, width: int) -> str:
    text = ngettext(
        "{labels}: {n} replication on common random numbers. Means (rounded to their 95% "
        "intervals), then the paired differences from the first and the relative changes, "
        "with 95% half-widths; clearance in hours.",
        "{labels}: {n} replications on common random numbers. Means (rounded to their 95% "
        "intervals), then the paired differences from the first and the relative changes, "
        "with 95% half-widths; clearance in hours.",
        replications,
    )
    return wrap(text.format(labels=" vs ".join(labels), n=replications), width)


def answer_text(answer: Answer, width: int) -> str:
    """The answer: its sentences, then the table of countries, then its notes."""
    rule = "=" * min(width, 100)
    parts = [rule, _("The answer"), ""]
    parts += [wrap(sentence, width) + "\n" for sentence in answer.sentences]
    parts.append(answer_table_text(answer, width))
    notes = []
    if answer.pooled_clocks_differ:
        notes.append(region_note(answer.pooled_note))
    if answer.without_value and answer.rate is not None:
        notes.append(
            _("no declared value for {countries}: cost of delay not computed there.").format(
                countries=", ".join(answer.without_value)
            )
        )
    elif answer.rate is None or not answer.has_savings:
        notes.append(_("no declared value: cost of delay not computed."))
    if answer.noise_note:
        notes.append(answer.noise_note)
    parts += [wrap(note, width) for note in notes]
    return "\n".join(parts)


def region_note(pooled_note: str) -> str:
    """``region*: the region pools ...; compare within a country.``"""
    return _("region*: {note}; compare within a country.").format(note=pooled_note)


def answer_table_text(answer: Answer, width: int) -> str:
    header = [_("country")]
    if answer.sweep:
        header.append(_("utilisation"))
    header += [_("clearance change"), _("relative"), _("green change")]
    if answer.has_savings:
        header.append(_("saved a year"))
    rows = []
    ordered = by_label(answer.rows)
    hours = column_unit((row.clearance for row in ordered), Kind.HOURS)
    money = column_unit((row.saving for row in ordered), Kind.MONEY)
    for row in ordered:
        cells = [_country_label(row, answer)]
        if answer.sweep:
            cells.append(percent(row.claim_probability))
        cells += [
            hours_cell(row.clearance, hours),
            relative_cell(row.relative),
            estimate_cell(row.green, "green_share", change=True),
        ]
        if answer.has_savings:
            cells.append(money_cell(row.saving, money))
        rows.append(cells)
    labels = 2 if answer.sweep else 1
    caption = (
        _(
            "Eligible (partner-AEO) shipments, change from {baseline}; saved a year: the cost "
            "of delay of all shipments at an assumed {rate}% of their declared value per day, "
            "{annualised}; 95% half-widths:"
        ).format(
            baseline=shown_label(answer.baseline),
            rate=general(100 * (answer.rate or 0)),
            annualised=answer.annualised,
        )
        if answer.has_savings
        else _("Eligible (partner-AEO) shipments, change from {baseline}; 95% half-widths:").format(
            baseline=shown_label(answer.baseline)
        )
    )
    return wrap(caption, width) + "\n" + fit_table(header, rows, labels, width)


def _country_label(row: CountryRow, answer: Answer) -> str:
    if row.area == ALL:
        return _("region*") if answer.pooled_clocks_differ else _("region")
    return country_name(row.area)


def hours_cell(estimate: Estimate, unit: str | None = None) -> str:
    if not math.isfinite(estimate.mean):
        return "-"
    shown = show(estimate, Kind.HOURS, signed=True, units=True, unit=unit)
    return f"{shown.mean} {shown.unit}" + (f" ±{shown.half}" if shown.half else "")


def money_cell(estimate: Estimate, unit: str | None = None) -> str:
    """``USD 8.56 M ±0.41 M``; ``-`` where no value was declared; ``unit``: the column's."""
    if not math.isfinite(estimate.mean):
        return "-"
    shown = show(estimate, Kind.MONEY, unit=unit)
    half = f" ±{bare_money(shown.half, shown.unit)}" if shown.half else ""
    return money(shown.mean, shown.unit) + half


def assumptions_text(items: Sequence[Assumption], width: int) -> str:
    """The short footer: what the result assumes, one bullet each."""
    lines = [_("What this result assumes:")]
    for item in items:
        text = textwrap.fill(_glued(item.text), width, initial_indent="- ", subsequent_indent="  ")
        lines.append(text.replace("\xa0", " "))
    return "\n".join(lines)


def wrap(text: str, width: int) -> str:
    """Wrapped to ``width``, never between a number and its unit (``USD 8.6 M``, ``2.4 h``)."""
    return textwrap.fill(_glued(text), width, break_on_hyphens=False).replace("\xa0", " ")


def _glued(text: str) -> str:
    """``text`` with no-break spaces between a number and its unit, and after the dollar sign
    (``USD 8.6 M``, ``US$ 8,6 milhões``, ``2.4 h``, ``9.6 p. p.``)."""
    for sign in {"USD", money_prefix()}:
        text = text.replace(f"{sign} ", f"{sign}\xa0")
    for unit in GLUED_UNITS:
        text = text.replace(unit, unit.replace(" ", "\xa0"))
    return UNIT_SPACE.sub("\\1\xa0\\2", text)


# --- run -------------------------------------------------------------------------------

RUN_BRIEF = {
    "clearance_h_mean": N_("clearance mean (h)"),
    "clearance_h_p90": N_("p90 (h)"),
    "green_share": N_("green share"),
    "utilisation_rate": N_("utilisation"),
    "shipments": N_("shipments"),
}
"""The columns of ``mrasim run``'s short default and their headings, short enough for one
block of 100 columns: clearance time, selectivity, utilisation and the count they rest on
(``--metric`` chooses others)."""
FULL_HINT = N_(
    "by mode, trader group and station, and what the result assumes: --full; every row: --long, "
    "--json or --out"
)


def run_brief(summary: pd.DataFrame, title: str, view: View) -> str:
    """``mrasim run``'s default: each country (by name) and then the region, all shipments (or
    the groups of ``--group``), the headline indicators, each with its 95% half-width."""
    areas = summary[(summary.port == ALL) & (summary["mode"] == ALL) & summary.station.isna()]
    codes = [c for c in dict.fromkeys(areas["country"].tolist()) if c != ALL]
    chosen = [c for c in codes if view.countries is None or c in view.countries]
    shown = sorted(chosen, key=by_name)
    if view.countries is None and len(codes) > 1:
        shown.append(ALL)
    groups = list(view.groups or [ALL])
    metrics = [m for m in (view.metrics or RUN_BRIEF) if m in set(areas.metric)]
    cells = {
        (country, group, metric): Estimate(mean, low, high)
        for country, group, metric, mean, low, high in areas[
            ["country", "group", "metric", "mean", "ci_low", "ci_high"]
        ].itertuples(index=False, name=None)
    }
    one = shown[0] if len(shown) == 1 else None
    names = [_(RUN_BRIEF[m]) if m in RUN_BRIEF else indicator_name(m, one) for m in metrics]
    header = [_("country"), *([_("group")] if view.groups else []), *names]
    rows = []
    for area in shown:
        label = area_name(area, view.pooled_clocks_differ) if area == ALL else country_name(area)
        for group in groups:
            values = [cells.get((area, group, m), MISSING) for m in metrics]
            if not any(math.isfinite(v.mean) for v in values):
                continue
            rows.append(
                [
                    label,
                    *([group] if view.groups else []),
                    *(estimate_cell(v, m) for v, m in zip(values, metrics, strict=True)),
                ]
            )
    labels = 2 if view.groups else 1
    parts = [wrap(title, view.width), "", fit_table(header, rows, labels, view.width)]
    if view.pooled_clocks_differ and ALL in shown:
        parts.append(wrap(view.pooled_note, view.width))
    parts += ["", wrap(_(FULL_HINT), view.width)]
    return "\n".join(parts)


def run_digest(summary: pd.DataFrame, title: str, view: View) -> str:
    """The summary as people read it: headline indicators by area and group, then stations."""
    width, countries, groups, metrics = view.width, view.countries, view.groups, view.metrics
    frame = summary
    if countries is not None:
        frame = frame[frame["country"].isin([*countries])]
    several_ports = (
        summary.loc[summary.port != ALL, "port"].nunique() > 1 or summary.country.nunique() > 2
    )
    if several_ports:  # countries and the region by group; each mode of each, group all
        areas = frame[(frame.port == ALL) & ((frame["mode"] == ALL) | (frame.group == ALL))]
        index = ["country", "mode", "group"]
    else:
        areas = frame[frame.port != ALL]
        index = ["country", "mode", "port", "group"]
    if groups is not None:
        areas = areas[areas.group.isin([*groups])]
    shown = [*HEADLINE, "shipments", *CONTROL_SHOWN] if metrics is None else [*metrics]
    parts = [wrap(title, width), "", _pivot(areas[areas.station.isna()], index, shown, width)]
    stations = frame[frame.station.notna() & (frame.group.isna() | (frame.group == ALL))]
    station_metrics = [m for m in STATION_COLUMNS if metrics is None or m in metrics]
    few_ports = frame.loc[frame.port != ALL, "port"].nunique() <= 5
    if not stations.empty and station_metrics and few_ports:
        index = ["country", "mode", "port", "station"]
        parts += ["", _pivot(stations, index, station_metrics, width)]
    if several_ports:
        parts += ["", _("per-port rows: --long, --json or --out")]
    return "\n".join(parts)


def _pivot(frame: pd.DataFrame, index: list[str], metrics: Sequence[str], width: int) -> str:
    """Rows by ``index``, a column per metric, cells with their half-widths."""
    present = [m for m in metrics if m in set(frame.metric)]
    if not present:
        return _("(no rows)")
    cells: dict[tuple[str, ...], dict[str, str]] = {}
    chosen = frame.loc[frame.metric.isin(present), [*index, "metric", "mean", "ci_low", "ci_high"]]
    for *where, metric, mean, ci_low, ci_high in chosen.itertuples(index=False, name=None):
        key = tuple(str(value) for value in where)
        cells.setdefault(key, {})[metric] = estimate_cell(Estimate(mean, ci_low, ci_high), metric)
    header = [*(_(COLUMN_NAMES[c]) for c in index), *(indicator_name(m) for m in present)]
    rows = [[*key, *(values.get(m, "-") for m in present)] for key, values in cells.items()]
    return fit_table(header, rows, len(index), width)
