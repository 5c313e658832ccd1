"""The answer first: one sentence per question asked and one row per country, from the numbers.

Everything here is a function of a comparison's long table (what
:meth:`sim.runner.ComparisonResult.table` returns and ``comparison.parquet``
holds) and of a few settings of the scenarios compared (:class:`Settings`), so
the terminal, the HTML report and a live page print the same answer from the
same code. Nothing here prints or writes HTML.

Which numbers carry the answer, and why:

* **Fixed-membership groups.** ``eligible`` (the exporter is an AEO of another
  member, claimed or not: "partner-AEO shipments") and ``not_eligible`` ("other
  shipments") have the same members with and without the arrangement, so their
  paired differences are effects. ``standard`` and ``recognised_aeo`` change
  membership (a claiming shipment moves from one to the other) and carry none.
* **Within-country and relative changes.** Countries' clearance clocks may start
  at different events (the cargo's arrival, its presence registered with
  customs); an hour saved on a 206 h clock is not one saved on a 13 h clock. The
  sentence therefore compares relative changes across countries and labels a
  region that pools different clocks.
* **Honest rounding** (:mod:`sim.numbers`): precision from each interval, money
  to three significant figures, hours below one in minutes.

A utilisation sweep asks one question (how does the effect grow with use?), so
it gets one sentence that gives the effect at the lowest and the highest level;
the per-country table has a row per country and level. One sentence per level
would repeat the same words with other numbers and hide the shape.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from sim.indicators.layout import cost_metric
from sim.interpret.control import ControlRow, control_json, control_rows, control_sentence
from sim.interpret.labels import in_countries, in_country, listing
from sim.interpret.numbers import Kind, Shown, general, percent, plural_count, show
from sim.interpret.numbers import money_range as money_bounds
from sim.language import N_, _, ngettext
from sim.language.formats import decimal
from sim.model.iso3166 import by_name, country_name
from sim.model.schema import Arrangement, Scenario
from sim.model.vocabulary import ALL, ELIGIBLE, NOT_ELIGIBLE
from sim.replicate.result import Results
from sim.replicate.stats import MISSING, Estimate, relative_change

CLEARANCE = "clearance_h_mean"
GREEN = "green_share"
COST_PREFIX = "delay_cost_usd_"
PARTNER = N_("partner-AEO shipments")
"""The eligible group in words: shipments whose exporter is an AEO of another member."""
OTHERS = N_("other shipments")
FIGURES = 2
"""Significant figures of a number in a sentence (at most; fewer when its interval says so)."""


# --- what the answer needs besides the table ------------------------------------------


@dataclass(frozen=True)
class Setting:
    """What one compared scenario sets: the arrangement and the counted period."""

    arrangement: Arrangement
    horizon_days: float

    @property
    def in_force(self) -> bool:
        return self.arrangement.in_force

    @property
    def utilisation(self) -> float:
        return self.arrangement.utilisation


@dataclass(frozen=True)
class Settings:
    """The settings of every scenario of a comparison (by label) and each country's clock.

    ``clocks[country]`` says what a country's clearance clock measures (the
    scenario's ``clock:``), None where the scenario does not say.
    """

    scenarios: Mapping[str, Setting]
    clocks: Mapping[str, str | None] = field(default_factory=dict)

    @classmethod
    def of(cls, labels: Sequence[str], scenarios: Sequence[Scenario]) -> Settings:
        """The settings of the scenarios compared, by label (the baseline first)."""
        settings = {}
        clocks: dict[str, str | None] = {}
        for label, scenario in zip(labels, scenarios, strict=True):
            settings[label] = Setting(scenario.arrangement, float(scenario.horizon_days))
            for code, country in scenario.countries.items():
                if country.ports:
                    clocks.setdefault(code, country.clock)
        return cls(settings, clocks)

    def claim_probability(self, label: str) -> float:
        """The share of eligible shipments that claim (:attr:`Arrangement.claim_probability`)."""
        return self.scenarios[label].arrangement.claim_probability

    def clocks_differ(self, countries: Iterable[str]) -> bool:
        """Whether pooling these countries may mix clocks: unless all declare the same one."""
        declared = {self.clocks.get(c) for c in countries}
        return len(declared) > 1 or None in declared

    def clocks_verb(self, countries: Iterable[str]) -> str:
        """``differ`` when every country states its clock, else ``may differ``."""
        return "may differ" if None in {self.clocks.get(c) for c in countries} else "differ"


# --- reading the table -----------------------------------------------------------------


class Table:
    """The area rows of a comparison table (no stations), by scenario, level and metric."""

    def __init__(self, table: pd.DataFrame) -> None:
        areas = table[table["station"].isna() & (table["port"] == ALL)]
        # columns as lists first: iterating pandas' Arrow-backed strings one by one
        # took 0.5 s for a regional comparison
        key_columns = ("kind", "scenario", "country", "mode", "group", "metric")
        keys = zip(*(areas[c].tolist() for c in key_columns), strict=True)
        values = zip(
            *(areas[c].to_numpy(float).tolist() for c in ("mean", "ci_low", "ci_high")),
            areas["replications"].tolist(),
            strict=True,
        )
        # (mean, low, high, replications): an Estimate is made when a cell is read, as
        # only a few hundred of the thousands of rows are
        self._cells: dict[tuple[Any, ...], tuple[float, float, float, int]] = dict(
            zip(keys, values, strict=True)
        )
        self.labels = list(dict.fromkeys(table.loc[table["kind"] == "value", "scenario"].tolist()))
        self.baseline = self.labels[0]
        self.compared = self.labels[1:]
        totals = areas.loc[areas["mode"] == ALL, "country"].tolist()
        self.countries = [c for c in dict.fromkeys(totals) if c != ALL]
        self.rates = sorted(
            round(float(m.removeprefix(COST_PREFIX).removesuffix("pct")) / 100, 12)
            for m in areas["metric"].unique()
            if m.startswith(COST_PREFIX)
        )

    def get(self, kind: str, label: str, area: str, group: str, metric: str) -> Estimate:
        """A country total (``area`` a country) or the region's (``area`` = ``all``)."""
        cell = self._cells.get((kind, label, area, ALL, group, metric))
        return MISSING if cell is None else Estimate(*cell[:3])

    def count(self, kind: str, label: str, area: str, group: str, metric: str) -> int:
        cell = self._cells.get((kind, label, area, ALL, group, metric))
        return 0 if cell is None else int(cell[3])

    def change(self, label: str, area: str, group: str, metric: str) -> Estimate:
        return self.get("difference", label, area, group, metric)

    def relative(self, label: str, area: str, group: str, metric: str) -> Estimate:
        """The paired relative change in percent of the baseline (:func:`relative_change`)."""
        keys = [
            ("value", self.baseline),
            ("value", label),
            ("difference", label),
        ]
        baseline, compared, difference = [
            self.get(kind, s, area, group, metric) for kind, s in keys
        ]
        counts = {self.count(kind, s, area, group, metric) for kind, s in keys}
        replications = counts.pop() if len(counts) == 1 else 0
        return relative_change(baseline, compared, difference, replications)


# --- the answer ------------------------------------------------------------------------


@dataclass(frozen=True)
class CountryRow:
    """One row of the answer's table: a country (or the region) under one compared scenario."""

    area: str  # a country code, or ``all`` for the region
    label: str  # the compared scenario
    claim_probability: float  # its utilisation setting (0 when not in force)
    clearance: Estimate  # change in eligible shipments' mean clearance time, hours
    relative: Estimate  # the same, percent of the baseline
    green: Estimate  # change in eligible shipments' green share (a fraction)
    saving: Estimate  # annual cost of delay saved, all shipments, USD (MISSING: no value)
    others: Estimate  # change in other shipments' mean clearance time, hours


@dataclass(frozen=True)
class Answer:
    """What a comparison says, in words and in one table."""

    sentences: list[str]
    rows: list[CountryRow]
    rate: float | None  # the cost-of-delay rate per day of the savings (the central one)
    pooled_clocks_differ: bool  # the region row pools countries whose clocks (may) differ
    without_value: list[str]  # countries whose ports declare no value: no cost of delay
    sweep: bool
    baseline: str
    clocks_verb: str = "differ"  # "may differ" when some country does not state its clock
    noise_note: str = ""  # what the intervals count (sim.interpret.plausible)
    days: float | None = None  # the counted days a year's saving is annualised from
    control: list[ControlRow] = field(default_factory=list)  # the control side, if any

    @property
    def annualised(self) -> str:
        """``annualised from 28 days``: said next to every yearly number."""
        return "" if self.days is None else annualised_words([self.days])

    @property
    def pooled_note(self) -> str:
        """What the region's asterisk says."""
        return pooled_note(self.clocks_verb)

    @property
    def has_savings(self) -> bool:
        return any(math.isfinite(row.saving.mean) for row in self.rows)


def pooled_note(verb: str) -> str:
    """``the region pools countries whose clearance clocks differ`` (or ``may differ``)."""
    if verb == "differ":
        return _("the region pools countries whose clearance clocks differ")
    return _("the region pools countries whose clearance clocks may differ")


def answer_from(
    table: pd.DataFrame, settings: Settings, countries: Sequence[str] | None = None
) -> Answer:
    """The comparison's answer; ``countries`` restricts it to some countries."""
    cells = Table(table)
    if not cells.compared:
        raise ValueError(_("an answer needs a comparison: the table has one scenario"))
    chosen = [c for c in cells.countries if countries is None or c in countries]
    if not chosen:
        raise ValueError(_("none of the countries asked for is in the comparison"))
    several = len(chosen) > 1
    if several and len(chosen) < len(cells.countries):
        areas = chosen  # the region row pools every country, not the ones asked for
    else:
        areas = [*chosen, ALL] if several else chosen
    rate = cells.rates[len(cells.rates) // 2] if cells.rates else None
    rows = [_row(cells, settings, label, area, rate) for label in cells.compared for area in areas]
    without_value = [
        c
        for c in chosen
        if rate is None
        or not math.isfinite(cells.change(cells.compared[0], c, ALL, cost_metric(rate)).mean)
    ]
    sweep = _is_sweep(settings, cells)
    pooled_differ = several and ALL in areas and settings.clocks_differ(chosen)
    verb = settings.clocks_verb(chosen)
    context = _Context(cells, settings, chosen, rows, rate, pooled_differ, without_value, verb)
    if sweep:
        sentences = [_sweep_sentence(context)]
    else:
        sentences = [_sentence(context, label) for label in cells.compared]
    control = control_rows(cells, _horizons(settings), areas)
    highest = max(cells.compared, key=lambda label: settings.scenarios[label].utilisation)
    lead = _("Control ({annualised})").format(annualised=annualised_words(_days(context)))
    sentences = _with_control(sentences, control, context, sweep, highest, lead)
    days = settings.scenarios[cells.compared[0]].horizon_days
    return Answer(
        sentences,
        rows,
        rate,
        pooled_differ,
        without_value,
        sweep,
        cells.baseline,
        verb,
        days=days,
        control=control,
    )


def _horizons(settings: Settings) -> dict[str, float]:
    return {label: s.horizon_days for label, s in settings.scenarios.items()}


def _with_control(
    sentences: list[str],
    control: list[ControlRow],
    context: _Context,
    sweep: bool,
    highest: str,
    lead: str,
) -> list[str]:
    """Each scenario's sentence followed by its control side (:mod:`sim.interpret.control`),
    in the same paragraph; a sweep's one sentence by its highest level's."""
    chosen = {(row.label, row.area): row for row in control}
    scope = context.scope
    if not chosen:
        return sentences
    if sweep:
        row = chosen.get((highest, scope))
        if row is None:
            return sentences
        level = context.settings.scenarios[highest].utilisation
        at = _("{lead}, at {level}% utilisation").format(lead=lead, level=general(100 * level))
        return [f"{sentences[0]} {control_sentence(row, at)}"]
    labels = context.cells.compared
    return [
        " ".join([sentence, *_control_words(chosen, label, context, lead)])
        for sentence, label in zip(sentences, labels, strict=True)
    ]


BY_COUNTRY_AT_MOST = 3
"""Countries chosen without their region whose control sides are each said in a sentence;
more are read in the tables."""


def _control_words(
    chosen: Mapping[tuple[str, str], ControlRow], label: str, context: _Context, lead: str
) -> list[str]:
    """One scenario's control sentences: of its scope, else of each country chosen (a few
    countries have no region of their own to pool them in)."""
    if (label, context.scope) in chosen:
        return [control_sentence(chosen[label, context.scope], lead)]
    rows = [chosen[label, c] for c in context.countries if (label, c) in chosen]
    if len(rows) > BY_COUNTRY_AT_MOST:
        return [_("{lead}: by country only, in the tables.").format(lead=lead)]
    return [
        control_sentence(
            row, _("{lead}, {country}").format(lead=lead, country=country_name(row.area))
        )
        for row in rows
    ]


def answer_of(results: Results, countries: Sequence[str] | None = None) -> Answer:
    """The answer of a result record (:class:`~sim.replicate.result.Results`).

    Over uncertain inputs (``--uncertainty N``) it leads with the plausible range and its
    drivers (:func:`sim.interpret.plausible.lead_sentences`), then says the rest at the
    scenario's own values; either way it says what its intervals count.
    """
    from sim.interpret.plausible import lead_sentences, noise_note

    found = answer_from(results.table, Settings.of(results.labels, results.scenarios), countries)
    found = replace(found, noise_note=noise_note(results))
    if results.uncertainty is None:
        return found
    chosen = [c for c in results.countries if countries is None or c in countries]
    scope = ALL if len(chosen) > 1 and ALL in {row.area for row in found.rows} else chosen[0]
    label = results.compared[-1]
    lead = lead_sentences(results, scope, label, found.pooled_clocks_differ)
    rest = [
        _("At the scenario's own values: {sentence}").format(sentence=s[0].lower() + s[1:])
        for s in found.sentences
    ]
    return replace(found, sentences=[*lead, *rest] if lead else found.sentences)


def answer_json(found: Answer) -> dict[str, Any]:
    """The answer as JSON (``--json``, ``run.json``): its sentences and its rows, each
    change as ``[mean, low, high]`` of its 95% interval (``null`` where there is none)."""

    def numbers(estimate: Estimate) -> list[float | None]:
        return [v if math.isfinite(v) else None for v in estimate]

    rows = [
        {
            "country": row.area,
            "scenario": row.label,
            "utilisation": row.claim_probability,
            "eligible_clearance_change_h": numbers(row.clearance),
            "eligible_clearance_change_pct": numbers(row.relative),
            "eligible_green_share_change": numbers(row.green),
            "cost_of_delay_saved_usd_per_year": numbers(row.saving),
            "not_eligible_clearance_change_h": numbers(row.others),
        }
        for row in found.rows
    ]
    return {
        "sentences": found.sentences,
        "rows": rows,
        "cost_rate_per_day": found.rate,
        "annualised_from_days": found.days,
        "region_pools_different_clocks": found.pooled_clocks_differ,
        "countries_without_declared_value": found.without_value,
        "intervals": found.noise_note,
        **({"control": control_json(found.control)} if found.control else {}),
    }


def _row(cells: Table, settings: Settings, label: str, area: str, rate: float | None) -> CountryRow:
    return CountryRow(
        area,
        label,
        settings.claim_probability(label),
        cells.change(label, area, ELIGIBLE, CLEARANCE),
        cells.relative(label, area, ELIGIBLE, CLEARANCE),
        cells.change(label, area, ELIGIBLE, GREEN),
        _saving(cells, settings, label, area, rate) if rate is not None else MISSING,
        cells.change(label, area, NOT_ELIGIBLE, CLEARANCE),
    )


def by_label(rows: Iterable[CountryRow]) -> list[CountryRow]:
    """The rows in the order a reader looks a country up: by the name shown (Paraguay before
    Peru), the region last; a sweep's rows of one country together, by utilisation."""
    return sorted(rows, key=lambda row: (row.area == ALL, by_name(row.area), row.claim_probability))


def annual_saving(change: Estimate, shipments: float, horizon_days: float) -> Estimate:
    """Cost of delay saved in a year: minus the change in cost per shipment, times shipments
    a year (counted shipments over the horizon, times 365). The interval is the per-shipment
    interval scaled alike: on common random numbers both scenarios count the same shipments."""
    return change.scaled(-365 * shipments / horizon_days)


def _saving(cells: Table, settings: Settings, label: str, area: str, rate: float) -> Estimate:
    """The annual saving of all the area's shipments."""
    change = cells.change(label, area, ALL, cost_metric(rate))
    shipments = cells.get("value", label, area, ALL, "shipments").mean
    return annual_saving(change, shipments, settings.scenarios[label].horizon_days)


def _is_sweep(settings: Settings, cells: Table) -> bool:
    """Several compared scenarios that differ from each other only by their utilisation."""
    if len(cells.compared) < 2:
        return False
    levels = [settings.scenarios[label] for label in cells.compared]
    utilisations = [s.utilisation for s in levels]
    return all(s.in_force for s in levels) and len(set(utilisations)) == len(utilisations)


# --- words -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    cells: Table
    settings: Settings
    countries: list[str]
    rows: list[CountryRow]
    rate: float | None
    pooled_differ: bool
    without_value: list[str]
    clocks_verb: str

    def rows_of(self, label: str) -> dict[str, CountryRow]:
        return {row.area: row for row in self.rows if row.label == label}

    @property
    def scope(self) -> str:
        """The area a single-area sentence speaks of."""
        return ALL if len(self.countries) > 1 else self.countries[0]


def _question(settings: Settings, label: str, baseline: str) -> str:
    mine, theirs = settings.scenarios[label], settings.scenarios[baseline]
    share = percent(mine.utilisation)
    if mine.in_force and not theirs.in_force:
        return _(
            "With the arrangement in force and {share} of eligible shipments claiming recognition"
        ).format(share=share)
    if mine.in_force and theirs.in_force and mine.utilisation != theirs.utilisation:
        return _(
            "With {share} of eligible shipments claiming recognition instead of {baseline}"
        ).format(share=share, baseline=percent(theirs.utilisation))
    return _("In {label} against {baseline}").format(label=label, baseline=baseline)


def _sentence(context: _Context, label: str) -> str:
    rows = context.rows_of(label)
    question = _question(context.settings, label, context.cells.baseline)
    others = _others_words([rows[c].others for c in context.countries if c in rows])
    cost = _cost_words(context, rows)
    green = _green_words([rows[c].green for c in context.countries], rows.get(ALL))
    region = rows.get(ALL)
    partner = _(PARTNER)
    if len(context.countries) == 1:
        row = rows[context.countries[0]]
        effect = _("{partner} {where} {clearance} and {green}").format(
            partner=partner,
            where=in_country(row.area),
            clearance=_clearance_words(row.clearance, row.relative),
            green=green,
        )
    elif region is not None:
        effect = _("{partner} {pooled} and {green}; within countries, they {within}").format(
            partner=partner,
            pooled=_pooled_words(region, context),
            green=green,
            within=_within_countries(context, rows),
        )
    else:
        effect = _("{partner} {within} and {green}").format(
            partner=partner, within=_within_countries(context, rows), green=green
        )
    sentence = _("{question}, {effect}; {others}{cost}.").format(
        question=question, effect=effect, others=others, cost=cost
    )
    return sentence + _no_interval(rows)


def _pooled(verb: str) -> str:
    """``pooled over countries whose clocks differ`` (or ``may differ``)."""
    if verb == "differ":
        return _("pooled over countries whose clocks differ")
    return _("pooled over countries whose clocks may differ")


def _pooled_words(region: CountryRow, context: _Context) -> str:
    """The region's change: relative only when it pools clocks that (may) differ."""
    if not context.pooled_differ:
        return _clearance_words(region.clearance, region.relative, region=True)
    pooled = _pooled(context.clocks_verb)
    if region.relative.has_interval and not region.relative.excludes_zero():
        shown = show(region.relative, Kind.PERCENT, signed=True, figures=FIGURES)
        return _(
            "show no detectable change in clearance time across the region ({low}% to "
            "{high}%, {pooled})"
        ).format(low=shown.low, high=shown.high, pooled=pooled)
    size = show(_magnitude(region.relative), Kind.PERCENT, figures=FIGURES).plain()
    if region.relative.mean < 0:
        return _("clear {size} sooner across the region ({pooled})").format(
            size=size, pooled=pooled
        )
    return _("clear {size} later across the region ({pooled})").format(size=size, pooled=pooled)


def _clearance_words(hours: Estimate, relative: Estimate, region: bool = False) -> str:
    """``clear 1.4 h (2.4%) sooner`` (``across the region``), or no detectable change with
    its interval."""
    if hours.has_interval and not hours.excludes_zero():
        interval = show(hours, Kind.HOURS, signed=True, units=True, figures=FIGURES)
        template = (
            _("show no detectable change in clearance time ({interval} {unit}) across the region")
            if region
            else _("show no detectable change in clearance time ({interval} {unit})")
        )
        return template.format(interval=interval.range(), unit=interval.unit)
    size = show(_magnitude(hours), Kind.HOURS, units=True, figures=FIGURES).plain()
    share = show(_magnitude(relative), Kind.PERCENT, figures=FIGURES).plain()
    templates = {
        (True, False): _("clear {size} ({share}) sooner"),
        (False, False): _("clear {size} ({share}) later"),
        (True, True): _("clear {size} ({share}) sooner across the region"),
        (False, True): _("clear {size} ({share}) later across the region"),
    }
    return templates[hours.mean < 0, region].format(size=size, share=share)


def _magnitude(estimate: Estimate) -> Estimate:
    return estimate.scaled(-1) if estimate.mean < 0 else estimate


def _points(size: str, more: bool) -> str:
    """``get 9.6 points more green channel``: the plural as the number written asks."""
    n = plural_count(size)
    if more:
        return ngettext(
            "get {size} point more green channel", "get {size} points more green channel", n
        ).format(size=size)
    return ngettext(
        "get {size} point less green channel", "get {size} points less green channel", n
    ).format(size=size)


def _green_words(changes: Sequence[Estimate], region: CountryRow | None) -> str:
    """One country's (or the pooled region's) change in green share, else the range."""
    if len(changes) == 1 or region is not None:
        change = changes[0] if region is None else region.green
        shown = show(_magnitude(change), Kind.SHARE, change=True, figures=FIGURES)
        if (change.has_interval and not change.excludes_zero()) or shown.is_zero:
            return _("get no detectably different share of green channel")
        return _points(shown.mean, change.mean > 0)
    ranked = sorted(changes, key=lambda c: c.mean)
    low, high = [
        show(c, Kind.SHARE, change=True, signed=True, figures=FIGURES).plain()
        for c in (ranked[0], ranked[-1])
    ]
    return _("see their green-channel share change by {low} to {high} by country").format(
        low=low, high=high
    )


def _within_countries(context: _Context, rows: Mapping[str, CountryRow]) -> str:
    """Within-country changes, compared as percentages of each country's own clearance time
    (a verb phrase: its subject, the partner-AEO shipments, is the sentence's)."""
    countries = context.countries
    sooner: list[str] = []
    later: list[str] = []
    flat: list[str] = []
    for code in countries:
        row = rows[code]
        if row.clearance.has_interval and not row.clearance.excludes_zero():
            flat.append(code)
        else:
            (sooner if row.clearance.mean < 0 else later).append(code)
    parts = []
    if sooner:
        parts.append(
            _("clear sooner in {count} of {total} countries{span}").format(
                count=len(sooner), total=len(countries), span=_span(rows, sooner, tail=True)
            )
        )
    if later:
        template = _("later {where}{span}") if parts else _("clear later {where}{span}")
        parts.append(template.format(where=in_countries(later), span=_span(rows, later)))
    if flat:
        template = (
            _("with no detectable change {where}")
            if parts
            else _("show no detectable change {where}")
        )
        parts.append(template.format(where=in_countries(flat)))
    return ", ".join(parts)


def _span(rows: Mapping[str, CountryRow], codes: Sequence[str], tail: bool = False) -> str:
    """``, by 0.9% (Argentina) to 5.2% (Brazil)`` over some countries' relative change
    (``tail``: ``of their clearance time`` after it)."""
    ranked = sorted(codes, key=lambda c: abs(rows[c].relative.mean))
    if not ranked or not math.isfinite(rows[ranked[0]].relative.mean):
        return ""
    low, high = ranked[0], ranked[-1]

    def size(code: str) -> str:
        return show(_magnitude(rows[code].relative), Kind.PERCENT, figures=FIGURES).plain()

    if low == high:
        template = (
            _(", by {size} ({country}) of their clearance time")
            if tail
            else _(", by {size} ({country})")
        )
        return template.format(size=size(low), country=country_name(low))
    if size(low) == size(high):
        template = (
            _(", by {size} in each of their clearance time") if tail else _(", by {size} in each")
        )
        return template.format(size=size(low))
    template = (
        _(", by {low} ({low_country}) to {high} ({high_country}) of their clearance time")
        if tail
        else _(", by {low} ({low_country}) to {high} ({high_country})")
    )
    return template.format(
        low=size(low),
        low_country=country_name(low),
        high=size(high),
        high_country=country_name(high),
    )


def _others_words(changes: Sequence[Estimate]) -> str:
    """Other shipments: unaffected within a bound, or the largest change, sooner or later."""
    others = _(OTHERS)
    changes = [c for c in changes if math.isfinite(c.mean)]
    if not changes:
        return _("{others}: no estimate").format(others=others)
    detected = [c for c in changes if c.excludes_zero() or not c.has_interval]
    if not detected:
        bound = max(max(abs(c.low), abs(c.high)) for c in changes)
        return _("{others} are unaffected (changes within ±{bound})").format(
            others=others, bound=hours_bound(bound)
        )
    largest = hours_bound(max(abs(c.mean) for c in detected))
    if all(c.mean < 0 for c in detected):
        template = _("{others} clear up to {bound} sooner too")
    elif all(c.mean > 0 for c in detected):
        template = _("{others} clear up to {bound} later")
    else:
        template = _("{others} change by at most ±{bound}")
    return template.format(others=others, bound=largest)


def hours_bound(hours: float) -> str:
    """A bound in hours, rounded *up* to two significant figures (minutes below an hour),
    so that "within" stays true."""
    value, unit = (hours * 60, "min") if hours < 1 else (hours, "h")
    if value <= 0:
        return f"0 {unit}"
    step = 10 ** (math.floor(math.log10(value)) - 1)
    if unit == "min":
        step = max(step, 0.1)
    bounded = math.ceil(value / step - 1e-9) * step
    decimals = max(0, -math.floor(math.log10(step) + 1e-9))
    return f"{decimal(bounded, decimals)} {unit}"


def _assumed_rate(rate: float) -> str:
    """``at an assumed 1.3% of the goods' declared value per day``."""
    return _("at an assumed {rate}% of the goods' declared value per day").format(
        rate=general(100 * rate)
    )


def _cost_words(context: _Context, rows: Mapping[str, CountryRow]) -> str:
    if context.rate is None or len(context.without_value) == len(context.countries):
        return _("; no declared value: cost of delay not computed")
    row = rows.get(context.scope)
    missing = (
        _(" (no declared value for {names}: not computed there)").format(
            names=listing(map(country_name, context.without_value))
        )
        if context.without_value
        else ""
    )
    if row is None or not math.isfinite(row.saving.mean):
        return _("; cost of delay computed by country only{missing}").format(missing=missing)
    saving = row.saving
    shown = show(_magnitude(saving), Kind.MONEY, figures=FIGURES)
    at = _assumed_rate(context.rate)
    if saving.has_interval and not saving.excludes_zero():
        return _("; the cost of delay does not change detectably ({at}){missing}").format(
            at=at, missing=missing
        )
    template = (
        _(
            "; importers save {amount} a year in cost of delay ({interval}{annualised}, "
            "{at}){missing}"
        )
        if saving.mean > 0
        else _(
            "; importers pay {amount} a year more in cost of delay ({interval}{annualised}, "
            "{at}){missing}"
        )
    )
    return template.format(
        amount=shown.plain(),
        interval=f"{money_range(shown)}; " if shown.low else "",
        annualised=annualised_words(_days(context)),
        at=at,
        missing=missing,
    )


def annualised_words(days: Sequence[float]) -> str:
    """``annualised from 28 days`` (``28 or 56 days`` when the scenarios compared differ)."""
    shown = listing((general(d) for d in days), last=_("{items} or {last}"))
    return ngettext(
        "annualised from {days} day", "annualised from {days} days", plural_count(shown)
    ).format(days=shown)


def money_range(shown: Shown) -> str:
    """``USD 8.15 M to 8.97 M``."""
    return money_bounds(shown.low, shown.high, shown.unit)


def _no_interval(rows: Mapping[str, CountryRow]) -> str:
    if any(not row.clearance.has_interval for row in rows.values()):
        return " " + _("(One replication: no interval; run at least two.)")
    return ""


def _sweep_sentence(context: _Context) -> str:
    """One sentence for a utilisation sweep: the effect at its lowest and highest level."""
    settings, cells = context.settings, context.cells
    levels = sorted(cells.compared, key=lambda label: settings.scenarios[label].utilisation)
    first, last = levels[0], levels[-1]
    area = context.scope
    ends = [context.rows_of(label)[area] for label in (first, last)]
    low_u, high_u = (percent(settings.scenarios[label].utilisation) for label in (first, last))
    question = _("As utilisation rises from {low} to {high} of eligible shipments").format(
        low=low_u, high=high_u
    )
    use_hours = area != ALL or not context.pooled_differ
    change = _sweep_clearance(ends, use_hours)
    if area != ALL:
        effect = _("{partner} {where} {change}").format(
            partner=_(PARTNER), where=in_country(area), change=change
        )
    elif context.pooled_differ:
        template = (
            _("{partner} {change} (pooled over the region, whose countries' clocks differ)")
            if context.clocks_verb == "differ"
            else _(
                "{partner} {change} (pooled over the region, whose countries' clocks may differ)"
            )
        )
        effect = template.format(partner=_(PARTNER), change=change)
    else:
        effect = _("{partner} {change}").format(partner=_(PARTNER), change=change)
    others = _others_words(
        [context.rows_of(label)[c].others for label in levels for c in context.countries]
    )
    return _("{question}, {effect} and {green}; {others}{cost}.").format(
        question=question,
        effect=effect,
        green=_sweep_green(ends),
        others=others,
        cost=_sweep_cost(context, ends),
    )


def _sweep_clearance(ends: Sequence[CountryRow], use_hours: bool) -> str:
    changes = [row.clearance for row in ends]
    same_sign = len({c.mean < 0 for c in changes}) == 1
    if same_sign and all(c.excludes_zero() or not c.has_interval for c in changes):
        if use_hours:
            sizes = [
                f"{show(_magnitude(r.clearance), Kind.HOURS, units=True, figures=FIGURES).plain()} "
                f"({show(_magnitude(r.relative), Kind.PERCENT, figures=FIGURES).plain()})"
                for r in ends
            ]
        else:
            sizes = [
                show(_magnitude(r.relative), Kind.PERCENT, figures=FIGURES).plain() for r in ends
            ]
        template = (
            _("clear {first} to {last} sooner")
            if changes[0].mean < 0
            else _("clear {first} to {last} later")
        )
        return template.format(first=sizes[0], last=sizes[1])
    sizes = [
        show(r.relative, Kind.PERCENT, signed=True, figures=FIGURES).with_range() for r in ends
    ]
    return _("change their clearance time by {first} to {last}").format(
        first=sizes[0], last=sizes[1]
    )


def _sweep_green(ends: Sequence[CountryRow]) -> str:
    changes = [row.green for row in ends]
    if all(c.mean > 0 and (c.excludes_zero() or not c.has_interval) for c in changes):
        sizes = [show(c, Kind.SHARE, change=True, figures=FIGURES).mean for c in changes]
        return ngettext(
            "get {first} to {last} point more green channel",
            "get {first} to {last} points more green channel",
            plural_count(sizes[1]),
        ).format(first=sizes[0], last=sizes[1])
    sizes = [
        show(c, Kind.SHARE, change=True, signed=True, figures=FIGURES).plain() for c in changes
    ]
    return _("see their green-channel share change by {first} to {last}").format(
        first=sizes[0], last=sizes[1]
    )


def _sweep_cost(context: _Context, ends: Sequence[CountryRow]) -> str:
    if context.rate is None or len(context.without_value) == len(context.countries):
        return _("; no declared value: cost of delay not computed")
    savings = [row.saving for row in ends]
    if not all(math.isfinite(s.mean) for s in savings):
        return _("; cost of delay computed by country only{missing}").format(missing="")
    shown = [show(s, Kind.MONEY, signed=False, figures=FIGURES).plain() for s in savings]
    return _(
        "; the annual cost of delay saved grows from {first} to {last} ({annualised}, {at})"
    ).format(
        first=shown[0],
        last=shown[1],
        annualised=annualised_words(_days(context)),
        at=_assumed_rate(context.rate),
    )


def _days(context: _Context) -> list[float]:
    """The counted days a year's saving is scaled from (the compared scenarios')."""
    return sorted(
        {context.settings.scenarios[label].horizon_days for label in context.cells.compared}
    )
