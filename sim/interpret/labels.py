"""Indicators and trader groups in words, for every page, sheet and table a person reads.

A metric's column name (``delay_cost_usd_1.3pct``) is for files and code; a reader gets
``cost of delay, 1.3%/day (USD per shipment)``. One function names every metric, so the
report, the experiment report and the workbook never name one two ways.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sim.language import N_, _, active, pgettext
from sim.language.formats import separators
from sim.model.iso3166 import NAMES as COUNTRY_CODES
from sim.model.iso3166 import country_name
from sim.model.variants import WITH, WITHOUT
from sim.model.vocabulary import ALL, ELIGIBLE, NOT_ELIGIBLE

INDICATOR_LABELS = {
    "utilisation_rate": N_("utilisation rate"),
    "green_share": N_("green share (no check)"),
    "yellow_share": N_("yellow share (documentary check)"),
    "red_share": N_("red share (documentary and physical check)"),
    "clearance_h_mean": N_("clearance time, mean (h)"),
    "clearance_h_median": N_("clearance time, median (h)"),
    "clearance_h_p90": N_("clearance time, 90th percentile (h)"),
    "shipments": N_("shipments counted"),
}
"""The common indicators (and the count they rest on) as the report names them: words and
units, not column names."""

OTHER_LABELS = {
    "customs_h_mean": N_("customs time, mean (h)"),
    "customs_h_median": N_("customs time, median (h)"),
    "customs_h_p90": N_("customs time, 90th percentile (h)"),
    "unloading_h_mean": N_("unloading, mean (h)"),
    "lodgement_wait_h_mean": N_("waiting for lodgement, mean (h)"),
    "checks_h_mean": N_("checks, mean (h)"),
    "release_h_mean": N_("release formalities, mean (h)"),
    "wait_h_mean": N_("wait at the station, mean (h)"),
    "service_h_mean": N_("service at the station, mean (h)"),
    "general_utilisation": N_("utilisation, general servers"),
    "reserved_utilisation": N_("utilisation, reserved servers"),
    "overtime_h": N_("overtime (server-hours)"),
}
"""The stages, the stations and customs time in words (English: translate with ``_`` where
written, as :func:`indicator_label` does)."""

GROUP_LABELS = {
    ALL: N_("all shipments"),
    "standard": N_("standard"),
    "national_aeo": N_("national AEO"),
    "recognised_aeo": N_("recognised AEO"),
    ELIGIBLE: N_("eligible"),
    NOT_ELIGIBLE: N_("not eligible"),
}

_COST = re.compile(r"delay_cost_usd_(.+)pct")
_WEEK = re.compile(r"customs_h_mean_week(\d+)")


def indicator_label(metric: str) -> str:
    """A metric in words: ``cost of delay, 1.3%/day (USD per shipment)``, ``customs time,
    mean (h), arrivals in week 3``; a metric this module does not know, with spaces."""
    known = INDICATOR_LABELS.get(metric) or OTHER_LABELS.get(metric)
    if known:
        return _(known)
    cost = _COST.fullmatch(metric)
    if cost:
        rate = cost.group(1).replace(".", separators(active())[0])
        return _("cost of delay, {rate}%/day (USD per shipment)").format(rate=rate)
    week = _WEEK.fullmatch(metric)
    if week:
        return _("customs time, mean (h), arrivals in week {week}").format(week=int(week.group(1)))
    return metric.replace("_", " ")


def group_label(group: str) -> str:
    """A trader group in words, in the active language (a group the module does not know, as
    written): :data:`GROUP_LABELS` holds the English, to be translated where written."""
    return _(GROUP_LABELS[group]) if group in GROUP_LABELS else group


PORTUGUESE_FEMININE = frozenset({"ARG", "BOL", "COL", "CRI", "DOM", "GTM"})
"""Signatories whose Portuguese name takes *a* (*na Argentina*); the others take *o* (*no
Peru*, *no Brasil*): Portuguese contracts *em* with the article, so "in Peru" is data."""


def in_country(code: str) -> str:
    """``in Peru``, ``en Perú``, ``no Peru`` / ``na Argentina``: where a sentence is."""
    if active() == "pt" and code in COUNTRY_CODES:
        return ("na " if code in PORTUGUESE_FEMININE else "no ") + country_name(code)
    return _("in {country}").format(country=country_name(code))


def in_countries(codes: Iterable[str]) -> str:
    """``in Chile and Peru`` (``no Chile e no Peru``), in the order given."""
    ordered = list(codes)
    if active() == "pt":
        return listing(in_country(code) for code in ordered)
    return _("in {country}").format(country=listing(country_name(c) for c in ordered))


def listing(items: Iterable[str], last: str | None = None) -> str:
    """``Chile, Peru and Brazil`` (``Chile, Perú y Brasil``): names joined as the language
    joins a list; ``last`` a template with ``{items}`` and ``{last}`` (an ``or`` list)."""
    names = list(items)
    if len(names) <= 1:
        return "".join(names)
    template = last if last is not None else _("{items} and {last}")
    return template.format(items=", ".join(names[:-1]), last=names[-1])


def shown_label(label: str) -> str:
    """A scenario's label as a person reads it: ``with`` and ``without`` (the arrangement),
    the labels a comparison gives itself, in the reader's words; any other label as it was
    given (it names a file or a setting, and is the same in the results' files)."""
    if label == WITH:
        return pgettext("scenario", "with")
    if label == WITHOUT:
        return pgettext("scenario", "without")
    return label
