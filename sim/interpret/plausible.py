"""The honest range: what the answer says over the uncertain inputs, and what it rests on.

A result made over draws of the scenario's uncertain inputs (``--uncertainty N``) carries
``uncertainty`` and ``drivers`` tables (:class:`sim.replicate.result.Results`). From them:

* :func:`lead_sentences`: the sentence the answer *leads* with: the plausible range of the
  effect (the 5th to 95th percentile over the inputs, simulation noise taken out), the
  central value at the scenario's own values with its noise, and which inputs carry most
  of the doubt (their first-order shares: the value of measuring them);
* :func:`noise_note`: what every result's intervals count, said in one line: simulation
  noise only, unless the ranges above are given (and then how to get them);
* :func:`plausible_text`: the terminal's table of ranges by country, and the drivers.

Nothing here runs anything or writes HTML; the report and the live page call the same
functions.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from sim.interpret.labels import in_country, listing, shown_label
from sim.interpret.numbers import Kind, bare_money, general, money_range, show, span
from sim.interpret.tables import fit_table
from sim.language import _, ngettext
from sim.language.formats import money
from sim.language.terms import term
from sim.model.iso3166 import country_name
from sim.model.schema import Scenario
from sim.model.uncertain import count_uncertain
from sim.model.vocabulary import ALL, ELIGIBLE
from sim.replicate.result import Results
from sim.replicate.stats import Estimate

CLEARANCE = "clearance_h_mean"
FIGURES = 2
NOISE_DOMINATES = 0.25
"""Below this share of the variance from the inputs, the spread of the draws is mostly
simulation noise: no range is read from it (give more replications per draw)."""
DRIVER_SHOWN = 0.1
"""An input is named as a driver from this first-order share of the doubt."""
TOP = 3


@dataclass(frozen=True)
class Ranged:
    """One row of the uncertainty table: central (with noise) and plausible range."""

    central: Estimate  # at the scenario's own values, with its simulation-noise interval
    plausible: Estimate  # mean: the central value; low, high: the plausible range
    input_share: float

    @property
    def defined(self) -> bool:
        return self.plausible.has_interval

    @property
    def resolved(self) -> bool:
        """Whether the inputs, not the noise, make most of the spread."""
        return self.defined and self.input_share >= NOISE_DOMINATES


def ranged(
    table: pd.DataFrame | None,
    kind: str,
    scenario: str,
    country: str,
    group: str,
    metric: str,
    mode: str = ALL,
) -> Ranged | None:
    """The uncertainty row of an area (``port`` all, no station), or None."""
    if table is None:
        return None
    rows = table[
        (table["kind"] == kind)
        & (table["scenario"] == scenario)
        & (table["country"] == country)
        & (table["mode"] == mode)
        & (table["port"] == ALL)
        & (table["group"] == group)
        & (table["metric"] == metric)
        & table["station"].isna()
    ]
    if rows.empty:
        return None
    central, low, high, p_low, p_high, share = (
        float(value)
        for value in rows.iloc[0][
            ["central", "noise_low", "noise_high", "plausible_low", "plausible_high", "input_share"]
        ].tolist()
    )
    return Ranged(Estimate(central, low, high), Estimate(central, p_low, p_high), share)


def top_drivers(
    drivers: pd.DataFrame | None, kind: str, scenario: str, country: str, group: str, metric: str
) -> list[tuple[str, float, float, float]]:
    """(input, first-order share, low, high) of an effect's inputs, largest first."""
    if drivers is None:
        return []
    rows = drivers[
        (drivers["kind"] == kind)
        & (drivers["scenario"] == scenario)
        & (drivers["country"] == country)
        & (drivers["mode"] == ALL)
        & (drivers["port"] == ALL)
        & (drivers["group"] == group)
        & (drivers["metric"] == metric)
    ]
    rows = rows[rows["first_order"].notna()].sort_values("first_order", ascending=False)
    columns = ["input", "first_order", "first_order_low", "first_order_high"]
    return [
        (str(name), float(s1), float(low), float(high))
        for name, s1, low, high in rows[columns].itertuples(index=False, name=None)
    ]


# --- the sentence ------------------------------------------------------------------------


def lead_sentences(results: Results, scope: str, label: str, pooled_differ: bool) -> list[str]:
    """The answer's lead over the inputs, for the compared scenario ``label``: the effect on
    partner-AEO shipments in ``scope`` (a country, or ``all``), its drivers, and the cost."""
    table, drivers = results.uncertainty, results.drivers
    effect = ranged(table, "relative", label, scope, ELIGIBLE, CLEARANCE)
    if effect is None or not effect.defined:
        return []
    if not effect.resolved:
        template = (
            _(
                "{over}, the change for partner-AEO shipments is not resolved: simulation noise "
                "makes most of its spread over the draws; give more replications per draw (-n)."
            )
            if scope == ALL
            else _(
                "{over}, the change for partner-AEO shipments {where} is not resolved: "
                "simulation noise makes most of its spread over the draws; give more "
                "replications per draw (-n)."
            )
        )
        where = "" if scope == ALL else in_country(scope)
        return [template.format(over=over_words(results), where=where)]
    noise = show(effect.central, Kind.PERCENT, figures=FIGURES)
    at_values = (
        _("{size} at the scenario's own values, simulation noise ±{noise}%")
        if noise.half
        else _("{size} at the scenario's own values")
    ).format(size=_size(effect.central), noise=noise.half)
    if scope != ALL:
        template = _("{over}, partner-AEO shipments {where} {change} ({values})")
    elif pooled_differ:
        template = _(
            "{over}, partner-AEO shipments {change} across the region (pooled over countries "
            "whose clocks differ; {values})"
        )
    else:
        template = _("{over}, partner-AEO shipments {change} across the region ({values})")
    first = template.format(
        over=over_words(results),
        where="" if scope == ALL else in_country(scope),
        change=_range_words(effect.plausible),
        values=at_values,
    )
    named = top_drivers(drivers, "relative", label, scope, ELIGIBLE, CLEARANCE)
    sentence = _("{sentence}; {drivers}{cost}.").format(
        sentence=first,
        drivers=driver_words(named, effect.input_share),
        cost=_cost_words(results, label, scope),
    )
    return [sentence]


def over_words(results: Results) -> str:
    """``Over the plausible values of its 47 uncertain inputs (64 draws)``."""
    meta = results.meta.get("uncertainty", {}) if isinstance(results.meta, Mapping) else {}
    inputs = len(meta.get("inputs", []))
    return ngettext(
        "Over the plausible values of its {inputs} uncertain input ({draws} draws)",
        "Over the plausible values of its {inputs} uncertain inputs ({draws} draws)",
        inputs,
    ).format(inputs=inputs, draws=meta.get("points"))


def _size(estimate: Estimate) -> str:
    """``20% sooner`` or ``1.2% later`` (the central value alone)."""
    shown = show(estimate.scaled(-1) if estimate.mean < 0 else estimate, Kind.PERCENT, figures=2)
    return f"{shown.mean}%"


def _range_words(plausible: Estimate) -> str:
    """``clear 8.1% to 31% sooner``; ``change their clearance time by -1.2% to +0.4%``."""
    low, high = plausible.low, plausible.high
    shown = show(Estimate((low + high) / 2, low, high), Kind.PERCENT, signed=True, figures=FIGURES)
    if high < 0:
        sizes = show(Estimate(-(low + high) / 2, -high, -low), Kind.PERCENT, figures=FIGURES)
        return _("clear {low}% to {high}% sooner").format(low=sizes.low, high=sizes.high)
    if low > 0:
        return _("clear {low}% to {high}% later").format(
            low=shown.low.lstrip("+"), high=shown.high.lstrip("+")
        )
    return _(
        "change their clearance time by {low}% to {high}% (the inputs leave even its "
        "direction open)"
    ).format(low=shown.low, high=shown.high)


def is_resolved(driver: tuple[str, float, float, float]) -> bool:
    """Whether a driver's first-order share is told apart from none: its 95% interval's low
    end above 0. With few draws every index's interval reaches 0, and the largest estimate
    is then chance (in a country, another country's staffing can come out on top)."""
    return math.isfinite(driver[2]) and driver[2] > 0


def driver_words(named: Sequence[tuple[str, float, float, float]], input_share: float) -> str:
    """``most of the doubt is the utilisation (55%) and ...``."""
    if not math.isfinite(input_share) or not named:
        return _("simulation noise is most of its spread: give more replications per draw (-n)")
    resolved = [d for d in named if is_resolved(d)]
    if not resolved:  # every index's interval reaches 0: naming one would read noise as a cause
        return _(
            "no input's share of the doubt is resolved yet (every driver's 95% interval "
            "reaches 0): give more draws (--uncertainty N)"
        )
    shown = [(name, s) for name, s, _low, _high in resolved[:TOP] if s >= DRIVER_SHOWN]
    if not shown:
        return _("no single input carries a tenth of the doubt: it is spread over many")
    listed = listing(f"{name} ({_pct(s)})" for name, s in shown)
    if sum(s for _name, s in shown) >= 0.5:
        template = _("most of the doubt is {inputs}")
    else:
        template = ngettext(
            "the largest share of the doubt is {inputs}",
            "the largest shares of the doubt are {inputs}",
            len(shown),
        )
    return template.format(inputs=listed)


def _cost_words(results: Results, label: str, scope: str) -> str:
    rates = results.rates
    if not rates:
        return ""
    metric, rate = rates[len(rates) // 2]
    saving = ranged(results.uncertainty, "saving", label, scope, ALL, metric)
    if saving is None or not saving.resolved:
        return ""
    low, high = saving.plausible.low, saving.plausible.high
    shown = show(Estimate((low + high) / 2, low, high), Kind.MONEY, figures=FIGURES)
    rate_text = general(100 * rate)
    if low >= 0:
        return _(
            "; importers save {amounts} a year (at {rate}% of the goods' value per day)"
        ).format(amounts=money_range(shown.low, shown.high, shown.unit), rate=rate_text)
    return _(
        "; the annual cost of delay saved lies between {low} and {high} (at {rate}% of the "
        "goods' value per day)"
    ).format(
        low=money(shown.low, shown.unit), high=bare_money(shown.high, shown.unit), rate=rate_text
    )


# --- what intervals count ----------------------------------------------------------------


def noise_note(results: Results, command: str = "compare") -> str:
    """One line on what the result's intervals count."""
    if results.uncertainty is not None:
        meta = results.meta.get("uncertainty", {}) if isinstance(results.meta, dict) else {}
        return _(
            "Ranges are over the plausible inputs, simulation noise taken out (5th to 95th "
            "percentile of {draws} draws); the ± intervals count simulation noise only, at the "
            "scenario's own values."
        ).format(draws=meta.get("draws", "?"))
    return noise_only(results.scenarios, command)


def noise_only(scenarios: Sequence[Scenario], command: str = "compare") -> str:
    """What a result without ranges says: its intervals count simulation noise only."""
    count = max((count_uncertain(s) for s in scenarios), default=0)
    if count:
        return ngettext(
            "Intervals count simulation noise only, not what is unknown about the inputs: the "
            "scenario has {count} uncertain input, and `mrasim {command} --uncertainty N` gives "
            "the plausible range over it.",
            "Intervals count simulation noise only, not what is unknown about the inputs: the "
            "scenario has {count} uncertain inputs, and `mrasim {command} --uncertainty N` gives "
            "the plausible range over them.",
            count,
        ).format(count=count, command=command)
    return _(
        "Intervals count simulation noise only: the scenario declares no uncertain inputs "
        "(an uncertainty: block, or --vary, would give the plausible range)."
    )


# --- the terminal -----------------------------------------------------------------------


def plausible_text(results: Results, width: int, countries: Sequence[str] | None = None) -> str:
    """Ranges by country (and the region), then the drivers of the headline effect."""
    if results.uncertainty is None:
        return ""
    meta = results.meta.get("uncertainty", {}) if isinstance(results.meta, dict) else {}
    areas = [c for c in results.areas if countries is None or c in countries or c == ALL]
    intro = ngettext(
        "Over the uncertain inputs: {draws} draws ({design}) of {inputs} input, "
        "{replications} replications each; plausible range = 5th to 95th percentile, "
        "simulation noise taken out; inputs = their share of the variance (the rest is noise).",
        "Over the uncertain inputs: {draws} draws ({design}) of {inputs} inputs, "
        "{replications} replications each; plausible range = 5th to 95th percentile, "
        "simulation noise taken out; inputs = their share of the variance (the rest is noise).",
        len(meta.get("inputs", [])),
    ).format(
        draws=meta.get("draws"),
        design=meta.get("design"),
        inputs=len(meta.get("inputs", [])),
        replications=meta.get("replications_per_draw"),
    )
    parts = ["=" * min(width, 100), _("What we do not know"), "", _wrap(intro, width), ""]
    if results.compared:
        label = results.compared[-1]
        parts.append(_compare_table(results, label, areas, width))
        scope = ALL if len(results.countries) > 1 else results.countries[0]
        parts += ["", _drivers_text(results, "relative", label, scope, ELIGIBLE, CLEARANCE, width)]
    else:
        label = results.labels[0]
        parts.append(_run_table(results, label, areas, width))
        scope = ALL if len(results.countries) > 1 else results.countries[0]
        parts += ["", _drivers_text(results, "value", label, scope, ALL, CLEARANCE, width)]
    return "\n".join(parts)


def _compare_table(results: Results, label: str, areas: Sequence[str], width: int) -> str:
    table, drivers = results.uncertainty, results.drivers
    rates = results.rates
    cost = rates[len(rates) // 2][0] if rates else None
    header = [
        _("country"),
        _("at its values"),
        _("plausible range"),
        _("inputs"),
        _("largest driver"),
    ]
    if cost:
        header.insert(3, _("saved a year (plausible)"))
    rows = []
    for area in areas:
        effect = ranged(table, "relative", label, area, ELIGIBLE, CLEARANCE)
        if effect is None:
            continue
        cells = [_area(area), _central_cell(effect), _range_cell(effect, Kind.PERCENT)]
        if cost:
            saving = ranged(table, "saving", label, area, ALL, cost)
            cells.append("-" if saving is None else _range_cell(saving, Kind.MONEY))
        cells += [_share(effect.input_share), _driver(drivers, "relative", label, area, ELIGIBLE)]
        rows.append(cells)
    caption = (
        _(
            "Eligible (partner-AEO) shipments, change in clearance time from {baseline}, "
            "percent; cost of delay saved by all shipments, at the central rate; "
            '"noise": the draws\' spread is mostly simulation noise:'
        )
        if cost
        else _(
            "Eligible (partner-AEO) shipments, change in clearance time from {baseline}, "
            'percent; "noise": the draws\' spread is mostly simulation noise:'
        )
    ).format(baseline=shown_label(results.labels[0]))
    return _wrap(caption, width) + "\n" + fit_table(header, rows, 1, width)


def _run_table(results: Results, label: str, areas: Sequence[str], width: int) -> str:
    table, drivers = results.uncertainty, results.drivers
    header = [
        _("country"),
        _("clearance at its values"),
        _("plausible range"),
        _("inputs"),
        _("largest driver"),
    ]
    rows = []
    for area in areas:
        level = ranged(table, "value", label, area, ALL, CLEARANCE)
        if level is None:
            continue
        shown = show(level.central, Kind.HOURS)
        cells = [
            _area(area),
            f"{shown.mean} h" + (f" ±{shown.half}" if shown.half else ""),
            _range_cell(level, Kind.HOURS),
            _share(level.input_share),
            _driver(drivers, "value", label, area, ALL),
        ]
        rows.append(cells)
    one = results.countries[0] if len(results.countries) == 1 else None
    caption = _("Mean clearance time of all shipments (hours from arrival to {release}):").format(
        release=term("release", one)
    )
    return _wrap(caption, width) + "\n" + fit_table(header, rows, 1, width)


def _drivers_text(
    results: Results, kind: str, label: str, scope: str, group: str, metric: str, width: int
) -> str:
    named = top_drivers(results.drivers, kind, label, scope, group, metric)
    explained = _(
        "first-order index: the share of the doubt that knowing the input exactly would "
        "remove; 95% intervals"
    )
    templates = {
        (True, True): _("Drivers of the regional change ({explained}):"),
        (True, False): _("Drivers of the regional level ({explained}):"),
        (False, True): _("Drivers of {country}'s change ({explained}):"),
        (False, False): _("Drivers of {country}'s level ({explained}):"),
    }
    heading = templates[scope == ALL, kind != "value"].format(
        country=country_name(scope), explained=explained
    )
    lines = [_wrap(heading, width)]
    if not named:
        lines.append(
            "  " + _("none estimated: simulation noise is most of the spread (give more -n)")
        )
    for name, s1, low, high in named[:8]:
        lines.append(f"  {name}: {_pct(s1)} ({span(_pct(low), _pct(high))})")
    return "\n".join(lines)


def _central_cell(effect: Ranged) -> str:
    shown = show(effect.central, Kind.PERCENT, signed=True)
    return f"{shown.mean}%" + (f" ±{shown.half}" if shown.half else "")


def _range_cell(row: Ranged, kind: Kind) -> str:
    if not row.defined:
        return "-"
    if not row.resolved:
        return _("noise (more -n)")
    low, high = row.plausible.low, row.plausible.high
    shown = show(
        Estimate((low + high) / 2, low, high), kind, signed=kind is Kind.PERCENT, figures=FIGURES
    )
    if kind is Kind.MONEY:
        return money_range(shown.low, shown.high, shown.unit)
    if kind is Kind.HOURS:
        return span(shown.low, shown.high) + " h"
    unit = "%" if kind is Kind.PERCENT else ""
    return span(shown.low + unit, shown.high + unit)


def _share(value: float) -> str:
    return "-" if not math.isfinite(value) else f"{100 * value:.0f}%"


def _pct(value: float) -> str:
    """A share of the doubt, as people read it: an estimate outside [0, 1] (the estimator's
    noise at few draws) is shown at the bound; the tables keep it as estimated."""
    return "-" if not math.isfinite(value) else f"{100 * min(max(value, 0.0), 1.0):.0f}%"


def _driver(drivers: pd.DataFrame | None, kind: str, label: str, area: str, group: str) -> str:
    named = [d for d in top_drivers(drivers, kind, label, area, group, CLEARANCE) if is_resolved(d)]
    if not named:
        return _("none resolved")
    name, s1, _low, _high = named[0]
    return f"{name} ({_pct(s1)})"


def _area(code: str) -> str:
    return _("region") if code == ALL else country_name(code)


def _wrap(text: str, width: int) -> str:
    return textwrap.fill(text, width, break_on_hyphens=False)
