"""Indicators and trader groups in words, for every page, sheet and table a person reads.

A metric's column name (``delay_cost_usd_1.3pct``) is for files and code; a reader gets
``cost of delay, 1.3%/day (USD per shipment)``. One function names every metric, so the
report, the experiment report and the workbook never name one two ways.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sim.language import _
from sim.model.vocabulary import ALL, ELIGIBLE, NOT_ELIGIBLE

INDICATOR_LABELS = {
    "utilisation_rate": "utilisation rate",
    "green_share": "green share (no check)",
    "yellow_share": "yellow share (documentary check)",
    "red_share": "red share (documentary and physical check)",
    "clearance_h_mean": "clearance time, mean (h)",
    "clearance_h_median": "clearance time, median (h)",
    "clearance_h_p90": "clearance time, 90th percentile (h)",
    "shipments": "shipments counted",
}
"""The common indicators (and the count they rest on) as the report names them: words and
units, not column names."""

OTHER_LABELS = {
    "customs_h_mean": "customs time, mean (h)",
    "customs_h_median": "customs time, median (h)",
    "customs_h_p90": "customs time, 90th percentile (h)",
    "unloading_h_mean": "unloading, mean (h)",
    "lodgement_wait_h_mean": "waiting for lodgement, mean (h)",
    "checks_h_mean": "checks, mean (h)",
    "release_h_mean": "release formalities, mean (h)",
    "wait_h_mean": "wait at the station, mean (h)",
    "service_h_mean": "service at the station, mean (h)",
    "general_utilisation": "utilisation, general servers",
    "reserved_utilisation": "utilisation, reserved servers",
    "overtime_h": "overtime (server-hours)",
}
"""The stages, the stations and customs time in words."""

GROUP_LABELS = {
    ALL: "all shipments",
    "standard": "standard",
    "national_aeo": "national AEO",
    "recognised_aeo": "recognised AEO",
    ELIGIBLE: "eligible",
    NOT_ELIGIBLE: "not eligible",
}

_COST = re.compile(r"delay_cost_usd_(.+)pct")
_WEEK = re.compile(r"customs_h_mean_week(\d+)")


def indicator_label(metric: str) -> str:
    """A metric in words: ``cost of delay, 1.3%/day (USD per shipment)``, ``customs time,
    mean (h), arrivals in week 3``; a metric this module does not know, with spaces."""
    known = INDICATOR_LABELS.get(metric) or OTHER_LABELS.get(metric)
    if known:
        return known
    cost = _COST.fullmatch(metric)
    if cost:
        return f"cost of delay, {cost.group(1)}%/day (USD per shipment)"
    week = _WEEK.fullmatch(metric)
    if week:
        return f"customs time, mean (h), arrivals in week {int(week.group(1))}"
    return metric.replace("_", " ")


def listing(items: Iterable[str], last: str | None = None) -> str:
    """``Chile, Peru and Brazil`` (``Chile, Perú y Brasil``): names joined as the language
    joins a list; ``last`` a template with ``{items}`` and ``{last}`` (an ``or`` list)."""
    names = list(items)
    if len(names) <= 1:
        return "".join(names)
    template = last if last is not None else _("{items} and {last}")
    return template.format(items=", ".join(names[:-1]), last=names[-1])
