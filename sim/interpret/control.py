"""The control side of the answer: what recognition does to checks, findings and revenue.

The clearance sentence (:mod:`sim.interpret.answer`) says what partner AEOs gain in time;
a finance ministry's first question is what customs gives up for it. This module adds,
for each compared scenario whose table carries the control indicators
(:data:`sim.indicators.layout.CONTROL`), one sentence from the same table:

* the checks a year no longer made on partner-AEO shipments (the ``eligible`` group,
  whose members do not change with the arrangement), and those made on other shipments
  instead, when the checks recognition frees are re-targeted;
* the relative change in infractions found, all shipments;
* the change in revenue at risk (the stake of the infractions missed) a year.

Each number comes with its 95% interval; a change whose interval covers zero is said to
be undetectable, with the interval. Nothing here needs the scenarios' settings beyond the
horizon (to count a year): what happened to the checks is read off the numbers, so the
words cannot claim a re-targeting that did not happen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sim.interpret.numbers import Kind, Shown, money_range, plural_count, show, span
from sim.language import _, ngettext
from sim.model.vocabulary import ALL, ELIGIBLE, NOT_ELIGIBLE
from sim.replicate.stats import MISSING, Estimate

CHECKS, DETECTIONS, REVENUE = "checks", "detections", "revenue_at_risk_usd"
HIT_RATE = "hit_rate"
FIGURES = 2
DAYS_A_YEAR = 365


@dataclass(frozen=True)
class ControlRow:
    """The control side of one area (a country or the region) under one compared scenario:
    changes from the baseline a year, and in percent of the baseline."""

    area: str
    label: str
    partner_checks: Estimate  # change in checks a year on partner-AEO shipments
    other_checks: Estimate  # change in checks a year on other shipments
    detections: Estimate  # change in infractions found a year, all shipments
    detections_relative: Estimate  # the same, percent of the baseline
    hit_rate: Estimate  # change in the hit rate (found / checks), all shipments
    revenue: Estimate  # change in revenue at risk a year, USD (MISSING: no stake)


def control_rows(cells: Any, horizons: dict[str, float], areas: list[str]) -> list[ControlRow]:
    """The control rows of a comparison's table (an :class:`sim.interpret.answer.Table`):
    none when it has no control indicators."""
    rows = []
    for label in cells.compared:
        if not math.isfinite(cells.change(label, ALL, ALL, CHECKS).mean) and not any(
            math.isfinite(cells.change(label, a, ALL, CHECKS).mean) for a in areas
        ):
            continue
        year = DAYS_A_YEAR / horizons[label]
        for area in areas:
            revenue = cells.change(label, area, ALL, REVENUE)
            rows.append(
                ControlRow(
                    area,
                    label,
                    cells.change(label, area, ELIGIBLE, CHECKS).scaled(year),
                    cells.change(label, area, NOT_ELIGIBLE, CHECKS).scaled(year),
                    cells.change(label, area, ALL, DETECTIONS).scaled(year),
                    cells.relative(label, area, ALL, DETECTIONS),
                    cells.change(label, area, ALL, HIT_RATE),
                    revenue.scaled(year) if math.isfinite(revenue.mean) else MISSING,
                )
            )
    return rows


def control_sentence(row: ControlRow, lead: str | None = None) -> str:
    """``Control: customs makes 5,300 fewer checks a year on partner-AEO shipments (5,100 to
    5,500) and 5,200 more on other shipments; it finds 9.1% more infractions (7.2% to 11.0%),
    and revenue at risk falls by USD 1.2 M a year (USD 0.9 M to 1.5 M).``"""
    checks = _checks_words(row.partner_checks, row.other_checks)
    found = _found_words(row.detections_relative)
    revenue = _revenue_words(row.revenue)
    lead = _("Control") if lead is None else lead
    if revenue:
        return _("{lead}: {checks}; it {found}, and {revenue}.").format(
            lead=lead, checks=checks, found=found, revenue=revenue
        )
    return _("{lead}: {checks}; it {found}.").format(lead=lead, checks=checks, found=found)


def _detected(change: Estimate) -> bool:
    """A change to state as one: its interval excludes zero, or it has none (one
    replication, or the same in every replication)."""
    return math.isfinite(change.mean) and (change.excludes_zero() or not change.has_interval)


def _size(change: Estimate) -> Shown:
    """A change's size (its absolute value: the words say fewer or more)."""
    return show(change.scaled(-1) if change.mean < 0 else change, Kind.COUNT, figures=FIGURES)


def _count(change: Estimate) -> str:
    return _size(change).mean


def _checks_words(partner: Estimate, others: Estimate) -> str:
    if not _detected(partner) or round(partner.mean) == 0:
        shown = show(partner, Kind.COUNT, signed=True, figures=FIGURES)
        words = _("customs makes no detectably different number of checks on partner-AEO shipments")
        if shown.low:
            words = _(
                "customs makes no detectably different number of checks on partner-AEO "
                "shipments ({interval} a year)"
            ).format(interval=shown.range())
    else:
        size = _size(partner)
        n = plural_count(size.mean)
        words = (
            ngettext(
                "customs makes {count} fewer check a year on partner-AEO shipments",
                "customs makes {count} fewer checks a year on partner-AEO shipments",
                n,
            )
            if partner.mean < 0
            else ngettext(
                "customs makes {count} more check a year on partner-AEO shipments",
                "customs makes {count} more checks a year on partner-AEO shipments",
                n,
            )
        ).format(count=size.mean)
        if size.low != size.high:  # an interval narrower than the figures shown goes unsaid
            words += f" ({size.range()})"
    if _detected(others) and round(others.mean) != 0:
        template = (
            _("{checks} and {count} more on other shipments")
            if others.mean > 0
            else _("{checks} and {count} fewer on other shipments")
        )
        words = template.format(checks=words, count=_count(others))
    return words


def _found_words(relative: Estimate) -> str:
    if not math.isfinite(relative.mean):
        return _("finds no infraction to compare")
    shown = show(relative, Kind.PERCENT, signed=True, figures=FIGURES)
    if not _detected(relative):
        return _("finds as many infractions as without it (change {interval}%)").format(
            interval=shown.range()
        )
    size = show(
        relative.scaled(-1) if relative.mean < 0 else relative, Kind.PERCENT, figures=FIGURES
    )
    template = (
        _("finds {size}% more infractions{interval}")
        if relative.mean > 0
        else _("finds {size}% fewer infractions{interval}")
    )
    interval = f" ({span(size.low + '%', size.high + '%')})" if size.low else ""
    return template.format(size=size.mean, interval=interval)


def _revenue_words(change: Estimate) -> str:
    if not math.isfinite(change.mean):
        return ""
    if not _detected(change):
        shown = show(change, Kind.MONEY, signed=True, figures=FIGURES)
        interval = money_range(shown.low, shown.high, shown.unit)
        return _("revenue at risk does not change detectably ({interval} a year)").format(
            interval=interval
        )
    size = show(change.scaled(-1) if change.mean < 0 else change, Kind.MONEY, figures=FIGURES)
    template = (
        _("revenue at risk falls by {amount} a year{interval}")
        if change.mean < 0
        else _("revenue at risk rises by {amount} a year{interval}")
    )
    interval = f" ({money_range(size.low, size.high, size.unit)})" if size.low else ""
    return template.format(amount=size.plain(), interval=interval)


def control_json(rows: list[ControlRow]) -> list[dict[str, Any]]:
    """The control rows as JSON: each change ``[mean, low, high]`` (``null`` where none)."""

    def numbers(estimate: Estimate) -> list[float | None]:
        return [v if math.isfinite(v) else None for v in estimate]

    return [
        {
            "country": row.area,
            "scenario": row.label,
            "eligible_checks_change_per_year": numbers(row.partner_checks),
            "not_eligible_checks_change_per_year": numbers(row.other_checks),
            "detections_change_per_year": numbers(row.detections),
            "detections_change_pct": numbers(row.detections_relative),
            "hit_rate_change": numbers(row.hit_rate),
            "revenue_at_risk_change_usd_per_year": numbers(row.revenue),
        }
        for row in rows
    ]
