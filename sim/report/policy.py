"""The policy report: one self-contained HTML page from a ``mrasim compare`` or ``run`` folder.

The page is written for a trade ministry official rather than for the analyst
who ran the simulation. It opens with the answer (one sentence per question and
a row per country, :mod:`sim.answer`) and what that answer assumes
(:mod:`sim.assumptions`); then the figures; then the long tables, behind a table
of contents. Plain words and units, every number rounded to the 95% interval
that says how far to trust it (:mod:`sim.numbers`, as in the terminal), and
figures embedded as PNG so that the single file can be mailed or archived
without its folder.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

from sim._version import __version__
from sim.indicators.layout import HEADLINE
from sim.interpret.answer import (
    Answer,
    CountryRow,
    Settings,
    annual_saving,
    answer_of,
    by_label,
)
from sim.interpret.assumptions import Assumption, for_countries, from_record
from sim.interpret.describe import warmup_words
from sim.interpret.numbers import Kind, column_unit, kind_of, percent, show
from sim.interpret.plausible import Ranged, noise_note, ranged
from sim.language import N_, _, formats, ngettext
from sim.language.terms import term
from sim.model.iso3166 import by_name, country_name
from sim.model.vocabulary import ALL, ELIGIBLE, GROUPS, NOT_ELIGIBLE
from sim.plan.compile import compile_plan
from sim.replicate.result import Results, Where
from sim.replicate.stats import Estimate
from sim.report.control import (
    CONTROL_HEADING,
    control_rows,
    has_control,
    introduction,
    tradeoff_html,
)
from sim.report.figures import figures_section
from sim.report.html import INDICATOR_LABELS as INDICATOR_LABELS  # the tests read it here
from sim.report.html import (
    SCRIPT,
    STYLE,
    area_title,
    change_td,
    details,
    esc,
    group_label,
    html_table,
    indicator_name,
    money_td,
    number,
    page,
    shown_label,
    unit_range,
    value_td,
)
from sim.report.interactive import interactive_section
from sim.results.atomic import write_atomic
from sim.results.files import REPORT_FILE, read_results, scoped_name
from sim.results.provenance import provenance_lines

STATION_MEASURES = (
    ("wait_h_mean", ALL, N_("wait, all shipments (h)")),
    ("wait_h_mean", ELIGIBLE, N_("wait, eligible shipments (h)")),
    ("general_utilisation", None, N_("utilisation, general servers")),
    ("reserved_utilisation", None, N_("utilisation, reserved servers")),
    ("overtime_h", None, N_("overtime (server-hours)")),
)
"""(metric, group, label) of the rows shown for each station (labels translated where
written)."""

COST_SOURCE = (
    "Hummels, D. L. &amp; G. Schaur (2013), “Time as a Trade Barrier”, "
    "<i>American Economic Review</i> 103(7): 2935–59"
)
"""A citation: the same in every language (its title is the article's)."""
INDICATORS_HEADING = N_("1. The arrangement's common indicators, by country")
WAITS_HEADING = N_("2. Waits and station utilisation, by port")
COSTS_HEADING = N_("3. The cost of delay")
"""The numbered sections' headings, said in the contents and above each section."""


# --- reading --------------------------------------------------------------------


# --- writing --------------------------------------------------------------------


def write_report(
    folder: Path, output: Path | None = None, countries: Sequence[str] | None = None
) -> Path:
    """Write the HTML report of a results folder (default ``folder / "report.html"``).

    ``countries`` (codes or names) makes a national brief: the answer, tables, figures and
    assumptions of those countries only (default: the countries the run chose, else all),
    written by default to ``report-PER.html`` beside the folder's own page.
    """
    folder = Path(folder)
    results = read_results(folder)
    if countries is not None:
        results = results.for_countries(countries)
    if output is None:
        output = folder / (REPORT_FILE if countries is None else scoped_name(REPORT_FILE, results))
    page = render(results)
    write_atomic(output, lambda tmp: tmp.write_text(page, encoding="utf-8"))
    return output


def render(results: Results) -> str:
    """The whole page, sections in the order an official reads them."""
    found = _answer_of(results)
    sections = [
        _title(results),
        answer_section(found),
        unknowns_section(results),
        _assumptions_box(results),
        _contents(results),
        figures_section(results, interactive_section(results)),
        _how_to_read(results),
        _intervals_paragraph(results),
        _indicators(results),
        _waits(results),
        _costs(results),
        _control(results),
        _footer(results),
    ]
    return page(
        title=esc(_scenario_name(results)),
        style=STYLE,
        script=f"<script>{SCRIPT}</script>\n",
        body="\n".join(s for s in sections if s),
    )


def country_of(results: Results) -> str | None:
    """The one country a page shows (its own words, :func:`~sim.language.terms.term`), or
    None for a page of several (the language's common words)."""
    return results.countries[0] if len(results.countries) == 1 else None


def unknowns_section(results: Results) -> str:
    """Over uncertain inputs (``--uncertainty N``): the plausible ranges by country and the
    drivers of the headline effect, as the terminal shows them (the figures draw them:
    :mod:`sim.report.interactive`); else nothing."""
    from sim.interpret.plausible import plausible_text

    text = plausible_text(results, 100, results.countries)
    if not text:
        return ""
    body = "\n".join(text.splitlines()[3:])  # the rule and the heading are the section's
    heading = _("What we do not know")
    return (
        f'<section id="unknowns"><h2>{esc(heading)}</h2>'
        f'<pre class="unknowns">{esc(body)}</pre></section>'
    )


def _answer_of(results: Results) -> Answer | None:
    if not results.compared:
        return None
    return answer_of(results, results.chosen)


# --- sections -------------------------------------------------------------------


def _title(results: Results) -> str:
    description = results.scenarios[0].description
    names = sorted((country_name(c) for c in results.countries), key=str.casefold)
    if not results.whole:
        return _brief_title(results, names, description)
    countries = _("Countries: {names}.").format(names=", ".join(names))
    heading = _("Customs clearance under the regional AEO mutual recognition arrangement")
    return (
        f'<h1>{esc(heading)}</h1><p class="sub">{_scenario_line(results, description)}</p>'
        f"<p>{_compared(results)} {esc(countries)}</p>"
    )


def _scenario_line(results: Results, description: str) -> str:
    """``Scenario <b>name</b>: description``, the name in bold whatever the word order."""
    return esc(_("Scenario {name}: {description}")).format(
        name=f"<b>{esc(_scenario_name(results))}</b>", description=esc(description)
    )


def _compared(results: Results) -> str:
    """Which scenarios the page compares, names in bold (HTML)."""
    if not results.compared:
        return esc(_("One scenario, without a comparison."))
    others = ", ".join(f"<b>{esc(shown_label(s))}</b>" for s in results.compared)
    template = ngettext(
        "Scenarios compared: {baseline} (the baseline) against {others}.",
        "Scenarios compared: {baseline} (the baseline) against each of {others}.",
        len(results.compared),
    )
    baseline = f"<b>{esc(shown_label(results.labels[0]))}</b>"
    return esc(template).format(baseline=baseline, others=others)


def _joined(names: Sequence[str]) -> str:
    """``Chile``, ``Chile and Peru``, ``Chile, Colombia and Peru`` in the active language."""
    if len(names) == 1:
        return names[0]
    return _("{some} and {last}").format(some=", ".join(names[:-1]), last=names[-1])


def _brief_title(results: Results, names: Sequence[str], description: str) -> str:
    """A national brief's title: the country first, and where its numbers come from."""
    joined = _joined(names)
    count = len(results.all_countries)
    if results.compared:
        scope = ngettext(
            "A national brief: the answer, tables, figures and assumptions below speak only "
            "of {countries}, from a run of {count} country (each port's numbers are its own: "
            "ports do not share queues).",
            "A national brief: the answer, tables, figures and assumptions below speak only "
            "of {countries}, from a run of {count} countries (each port's numbers are its own: "
            "ports do not share queues).",
            count,
        )
    else:
        scope = ngettext(
            "A national brief: the tables, figures and assumptions below speak only of "
            "{countries}, from a run of {count} country (each port's numbers are its own: "
            "ports do not share queues).",
            "A national brief: the tables, figures and assumptions below speak only of "
            "{countries}, from a run of {count} countries (each port's numbers are its own: "
            "ports do not share queues).",
            count,
        )
    heading = _(
        "Customs clearance in {countries} under the regional AEO mutual recognition arrangement"
    ).format(countries=joined)
    return (
        f'<h1>{esc(heading)}</h1><p class="sub">{_scenario_line(results, description)}</p>'
        f"<p>{esc(scope.format(countries=joined, count=count))} {_compared(results)}</p>"
    )


def answer_section(found: Answer | None) -> str:
    """The answer first: one sentence per question, then one row per country (the report's
    section, and a live page's)."""
    if found is None:
        return ""
    sentences = "".join(f'<p class="sentence">{esc(s)}</p>' for s in found.sentences)
    header = [_("country")]
    if found.sweep:
        header.append(_("utilisation"))
    header += [
        _("change in clearance time"),
        _("relative change"),
        _("change in green share"),
    ]
    if found.has_savings:
        header.append(
            _("cost of delay saved a year ({annualised})").format(annualised=found.annualised)
        )
    ordered = by_label(found.rows)
    units = (
        column_unit((row.clearance for row in ordered), Kind.HOURS),
        column_unit((row.saving for row in ordered), Kind.MONEY),
    )
    rows = [_answer_row(row, found, units) for row in ordered]
    note = "".join(f'<p class="note">{esc(n)}</p>' for n in _answer_notes(found))
    heading, by_country = _("The answer"), _("Eligible (partner-AEO) shipments, by country")
    return (
        f'<section id="answer" class="answer"><h2>{esc(heading)}</h2>{sentences}'
        f"<h3>{esc(by_country)}</h3>"
        f"{html_table(header, rows, 2 if found.sweep else 1, 'answer-table')}{note}</section>"
    )


def _answer_notes(found: Answer) -> list[str]:
    """What the answer's table rests on, under it."""
    notes = [
        _(
            "Eligible (partner-AEO) shipments: the exporter is an AEO of another member, whether "
            "the declaration claims recognition or not. Changes are from {baseline}; the range "
            "below each number is its 95% interval; bold: an interval that excludes zero."
        ).format(baseline=shown_label(found.baseline))
    ]
    if found.has_savings:
        notes.append(
            _(
                "Cost of delay saved: all shipments, at an assumed {rate}% of their declared "
                "value per day; the declared values are assumptions too (see what this result "
                "assumes); {annualised} simulated."
            ).format(rate=number(100 * (found.rate or 0)), annualised=found.annualised)
        )
    if found.pooled_clocks_differ:
        notes.append(
            _(
                "* {note} (see what this result assumes): read its relative change, and compare "
                "hours within a country."
            ).format(note=found.pooled_note.capitalize())
        )
    if found.without_value and found.rate is not None:
        names = ", ".join(country_name(c) for c in found.without_value)
        notes.append(
            _("No declared value for {countries}: cost of delay not computed there.").format(
                countries=names
            )
        )
    elif not found.has_savings:
        notes.append(_("No declared value: cost of delay not computed."))
    if found.noise_note:
        notes.append(found.noise_note)  # what the intervals count
    return notes


def _answer_row(row: CountryRow, found: Answer, units: tuple[str | None, str | None]) -> list[str]:
    name = (
        country_name(row.area)
        if row.area != ALL
        else _("Region") + ("*" if found.pooled_clocks_differ else "")
    )
    cells = [name]
    if found.sweep:
        cells.append(percent(row.claim_probability))
    hours, money = units
    cells += [
        change_td(row.clearance, Kind.HOURS, units=True, unit=hours),
        change_td(row.relative, Kind.PERCENT),
        change_td(row.green, Kind.SHARE),
    ]
    if found.has_savings:
        cells.append(money_td(row.saving, money))
    return cells


def _assumptions_box(results: Results) -> str:
    """What the result assumes, as recorded; of the chosen countries only, for a page whose
    countries are not those the run recorded (a one-country page from a regional run)."""
    items = from_record(results.meta)
    recorded = results.meta.get("countries") or ()
    if set(results.chosen or ()) != set(recorded):
        items = for_countries(items, results.labels, results.scenarios, results.chosen)
    return assumptions_section(items)


def assumptions_section(items: Sequence[Assumption]) -> str:
    """What the result assumes, as a box (the report's, and a live page's)."""
    if not items:
        said = _(
            "This folder was written by an mrasim that did not record its assumptions; "
            "see the scenario files named under “About this run”."
        )
        body = f"<p>{esc(said)}</p>"
    else:
        entries = []
        for item in items:
            details = "".join(f"<li>{esc(d)}</li>" for d in item.details)
            entries.append(
                f'<li data-topic="{esc(item.topic)}">{esc(item.text)}'
                + (f"<ul>{details}</ul>" if details else "")
                + "</li>"
            )
        body = f"<ul>{''.join(entries)}</ul>"
    heading = _("What this result assumes")
    return f'<section id="assumptions" class="assumes"><h2>{esc(heading)}</h2>{body}</section>'


def _contents(results: Results) -> str:
    countries = "".join(
        f'<li><a href="#{_country_id(area)}">{esc(area_title(area))}</a></li>'
        for area in results.areas
    )
    items = [
        ("figures", _("Figures")),
        ("how-to-read", _("How to read this report")),
        ("indicators", _(INDICATORS_HEADING)),
        ("waits", _(WAITS_HEADING)),
    ]
    if results.compared and results.rates:
        items.append(("costs", _(COSTS_HEADING)))
    if has_control(results):
        items.append(("control", _(CONTROL_HEADING)))
    items.append(("about", _("About this run")))
    links = "".join(
        f'<li><a href="#{anchor}">{esc(text)}</a>'
        + (f"<ul>{countries}</ul>" if anchor == "indicators" else "")
        + "</li>"
        for anchor, text in items
    )
    contents = _("Contents")
    return f'<nav id="contents"><h2>{esc(contents)}</h2><ul>{links}</ul></nav>'


def _country_id(area: str) -> str:
    return "region" if area == ALL else f"country-{area}"


def _clocks(results: Results) -> str:
    """What each country's clearance clock measures, where the scenario says."""
    stated = {
        code: country.clock
        for code, country in results.scenarios[-1].countries.items()
        if country.ports and country.clock and code in results.countries
    }
    if not stated:
        return ""
    words = "; ".join(f"{country_name(code)}: {clock}" for code, clock in stated.items())
    said = _("Each country's clearance clock runs between its own milestones ({milestones}).")
    return esc(said.format(milestones=words)) + " "


def _how_to_read(results: Results) -> str:
    """What the numbers are, how to read a change, and the groups' names: the words of a
    one-country page are that country's (*levante*, *canal naranja* in Peru)."""
    country = country_of(results)
    words = {
        "release": term("release", country),
        "yellow": term("yellow", country),
        "replications": esc(results.meta.get("replications", "?")),
    }
    paired = (
        _(
            "A column headed “B − A” is the paired difference between scenarios B and A: every "
            "replication of every scenario uses the same random numbers (common random numbers: "
            "the same shipments arrive at the same times and draw the same checks unless the "
            "scenario changes them), so a difference measures the effect of what the scenarios "
            "change and not of luck, and its interval is much narrower than those of the two "
            "values. A column headed “B vs A (%)” is the same change as a percentage of A (a "
            "change in a share is read in percentage points instead). A change in <b>bold</b> "
            "has a 95% interval that excludes zero; a change shown without an interval is not "
            "resolved by these replications (the same in every one, or zero in most of them: no "
            "interval would cover it). Hover over a value for its interval."
        )
        if results.compared
        else _("Each value has its 95% interval in grey below it.")
    )
    first = _(
        "The numbers come from a discrete-event simulation of import clearance at each modelled "
        "port. Every number is a <b>mean over {replications} independent replications</b> of "
        "the simulated period, with a <b>95% confidence interval</b> (“a to b”): the range that, "
        "with 95% confidence, holds the mean the model would give with unlimited replications. "
        "Numbers are rounded to what their interval supports."
    ).format(**words)
    times = _(
        "<b>Clearance time</b> is the number of hours from the arrival of the goods to their "
        "{release} by customs. <b>Customs time</b> is the part customs controls: from when "
        "customs can act, the later of the goods being available (the end of the unloading "
        "stage: unloaded at a sea or air port, presented at a land border) and the declaration "
        "being lodged, to {release}; it is the checks and the {release} formalities, and a "
        "trader who lodges before arrival is not charged the unloading. The stages (unloading, "
        "waiting for lodgement, checks, {release}) add up to the clearance time."
    ).format(**words)
    shares = _(
        "Shares are percentages of shipments; changes in shares are in percentage points (pp). "
        "Compare scenarios within a country: clearance levels of different countries may "
        "measure different stretches of the process (see what this result assumes)."
    )
    terms = "".join(f"<dt>{name}</dt><dd>{meaning}</dd>" for name, meaning in _glossary(country))
    heading = _("How to read this report")
    return (
        f'<h2 id="how-to-read">{esc(heading)}</h2>\n<p>{first} {paired}\n{times}\n'
        f"{_clocks(results)}{shares}</p>\n<dl>\n{terms}\n</dl>"
    )


def _glossary(country: str | None) -> list[tuple[str, str]]:
    """The trader groups and shares the tables name, and what each means (``country``'s word
    for *yellow*)."""
    return [
        (_("standard"), _("importer not an AEO, and no claim of recognition.")),
        (
            _("national AEO (national_aeo)"),
            _("the importer is an Authorized Economic Operator of the importing country."),
        ),
        (
            _("recognised AEO (recognised_aeo)"),
            _(
                "the exporter is an AEO of another member and the declaration claims the mutual "
                "recognition arrangement."
            ),
        ),
        (
            _("eligible"),
            _(
                "the exporter is an AEO of another member, whether the declaration claims "
                "recognition or not: the shipments the arrangement can help (“partner-AEO "
                "shipments”)."
            ),
        ),
        (_("not eligible"), _("every other shipment.")),
        (
            _("membership"),
            _(
                "all, eligible and not eligible have the same members with and without the "
                "arrangement: read effects on them. Standard and recognised AEO change membership "
                "(a claiming shipment moves from one to the other), so their changes mix the "
                "effect with who is counted."
            ),
        ),
        (
            _("utilisation rate"),
            _("claimed / eligible: the share of eligible shipments that claim recognition."),
        ),
        (
            _("green / {yellow} / red share").format(yellow=term("yellow", country)),
            _(
                "customs selectivity: released without check / after a documentary check / "
                "after a documentary and a physical check."
            ),
        ),
    ]


def _indicators(results: Results) -> str:
    """The arrangement's common indicators: all and eligible shipments up front, trader groups
    folded, per country and then for the region."""
    heading = _(INDICATORS_HEADING)
    parts = [f'<h2 id="indicators">{esc(heading)}</h2>']
    labels = [_("group"), _("indicator")]
    for area in results.areas:
        main = _measure_table(results, labels, _headline(area, (ALL, ELIGIBLE)))
        groups = _measure_table(results, labels, _headline(area, (*GROUPS, NOT_ELIGIBLE)))
        modes = _measure_table(
            results,
            [_("mode"), *labels],
            (
                Line((mode, *line.labels), line.where._replace(mode=mode), line.metric)
                for mode in results.modes.get(area, [])
                for line in _headline(area, (ALL, ELIGIBLE))
            ),
        )
        name = area_title(area, _pools_different_clocks(results))
        parts += [
            f'<h3 id="{_country_id(area)}">{esc(name)}</h3>',
            main,
            details(_("by mode of transport"), modes, is_open=False),
            details(_("by trader group"), groups, is_open=not results.compared),
        ]
    return "\n".join(parts)


def _pools_different_clocks(results: Results) -> bool:
    if len(results.countries) < 2:
        return False
    return Settings.of(results.labels, results.scenarios).clocks_differ(results.countries)


def _headline(area: str, groups: Iterable[str]) -> Iterator[Line]:
    for group in groups:
        for metric in (*HEADLINE, "shipments"):
            labels = (group_label(group), indicator_name(metric))
            yield Line(labels, Where(area, group=group), metric)


def _waits(results: Results) -> str:
    heading = _(WAITS_HEADING)
    said = _(
        "Wait: hours from joining a station's queue to the start of service (shipments that "
        "pass the station). Utilisation: busy share of the scheduled server-hours of each pool, "
        "general and reserved (a busy general pool is not hidden by a quiet reserved line). "
        "Overtime: server-hours worked past closing time."
    )
    parts = [f'<h2 id="waits">{esc(heading)}</h2><p>{esc(said)}</p>']
    for country in results.countries:
        pairs = results.stations.get(country, [])
        lines = [
            Line((port, station, _(label)), Where(country, mode, port, group, station), metric)
            for mode, port, station in pairs
            for metric, group, label in STATION_MEASURES
        ]
        table = _measure_table(results, [_("port"), _("station"), _("measure")], lines)
        ports = len({port for _mode, port, _station in pairs})
        summary = ngettext("{area}: {count} port", "{area}: {count} ports", ports)
        parts.append(
            details(
                summary.format(area=area_title(country), count=ports),
                table,
                is_open=len(results.countries) == 1,
            )
        )
    return "\n".join(parts)


def _costs(results: Results) -> str:
    """The cost of delay per shipment and the annual saving, at each rate; the declared value
    behind it in each country."""
    if not results.compared or not results.rates:
        return ""
    baseline = shown_label(results.labels[0])
    days = sorted({results.horizon_days(label) for label in results.compared})
    header = [
        _("group"),
        _("rate per day (assumed)"),
        _("scenario"),
        _("{baseline} (USD per shipment)").format(baseline=baseline),
        _("scenario (USD per shipment)"),
        _("change (USD per shipment)"),
        _("annual saving (USD, annualised from {days} days)").format(
            days=_either(number(d) for d in days)
        ),
    ]
    heading = _(COSTS_HEADING)
    said = _(
        "Each hour a shipment waits costs its owner. Following {source}, a day of delay is "
        "priced as an ad-valorem tariff of a share of the goods' declared value per day (0.6% "
        "to 2.1% in their estimates; parts and components are the most time-sensitive). Cost "
        "per shipment = days from arrival to {release} × declared value × rate. <b>Both the "
        "declared values (below) and the rates are assumptions</b>: every dollar figure rests "
        "on them. <b>Annual saving</b> = − change in cost per shipment × shipments per day "
        "(counted shipments ÷ the counted days) × 365, at each rate: the simulated days are "
        "scaled to a year. Caution: Hummels and Schaur estimated the cost of time in "
        "<i>transit</i>; it is transferred here to <i>border dwell time</i>. The saving on "
        "eligible shipments is part of the saving on all shipments, which also counts any "
        "effect on the others."
    ).format(source=COST_SOURCE, release=term("release", country_of(results)))
    parts = [f'<h2 id="costs">{esc(heading)}</h2>\n<p>{said}</p>', _declared_values(results)]
    for area in results.areas:
        rows = []
        for group in (ALL, ELIGIBLE):
            where = Where(area, group=group)
            for metric, rate in results.rates:
                for label in results.compared:
                    if math.isfinite(results.get("difference", label, where, metric).mean):
                        rows.append(_cost_row(results, where, metric, rate, label))
        none = _("No declared value here: cost of delay not computed.")
        body = html_table(header, rows, 3) if rows else f"<p>{esc(none)}</p>"
        parts.append(
            details(area_title(area), body, is_open=area == ALL or len(results.areas) == 1)
        )
    return "\n".join(parts)


def _either(items: Iterable[str]) -> str:
    """``28``, ``28 or 56``: alternatives, in the active language."""
    shown = list(items)
    if len(shown) == 1:
        return shown[0]
    return _("{some} or {last}").format(some=", ".join(shown[:-1]), last=shown[-1])


def _control(results: Results) -> str:
    """The control side (:mod:`sim.report.control`): nothing without one."""
    if not has_control(results):
        return ""
    country = country_of(results)
    parts = [introduction(), tradeoff_html(results)]
    for area in results.areas:
        rows = control_rows(area, country)
        lines = [Line(labels, where, metric) for labels, where, metric in rows]
        body = _measure_table(results, [_("group"), _("indicator")], lines)
        parts.append(
            details(area_title(area), body, is_open=area == ALL or len(results.areas) == 1)
        )
    return "\n".join(parts)


def _declared_values(results: Results) -> str:
    """The value per shipment used in each country (by mode), or none."""
    rows = []
    countries = results.scenarios[-1].countries
    for code in sorted(results.countries, key=by_name):  # by the name shown
        country = countries[code]
        if not country.ports:
            continue
        by_value: dict[str, list[str]] = {}
        for port in country.ports.values():
            value = port.value_usd
            key = (
                _("none: cost of delay not computed")
                if value is None
                else formats.money(formats.decimal(float(value), 0), "USD")
            )
            by_value.setdefault(key, []).append(str(port.mode))
        for shown, modes in by_value.items():
            rows.append(
                [country_name(code), ", ".join(dict.fromkeys(modes)), f"<td>{esc(shown)}</td>"]
            )
    heading = _("Declared value per shipment (assumed)")
    return f"<h3>{esc(heading)}</h3>" + html_table(
        [_("country"), _("modes"), _("value used (value_usd, an assumption)")], rows, 2
    )


def _cost_row(results: Results, where: Where, metric: str, rate: float, label: str) -> list[str]:
    return [
        group_label(str(where.group)),
        f"{number(100 * rate)}%",
        shown_label(label),
        value_td(results.get("value", results.labels[0], where, metric), metric, False),
        value_td(results.get("value", label, where, metric), metric, False),
        change_td(results.get("difference", label, where, metric), Kind.MONEY),
        money_td(_annual_saving(results, label, where, metric)),
    ]


def _annual_saving(results: Results, label: str, where: Where, metric: str) -> Estimate:
    change = results.get("difference", label, where, metric)
    shipments = results.get("value", label, where, "shipments").mean
    return annual_saving(change, shipments, results.horizon_days(label))


def _footer(results: Results) -> str:
    meta = results.meta
    horizons = {_period(s.horizon_days, warmup_words(compile_plan(s))) for s in results.scenarios}
    countries = ""
    if not results.whole:
        names = ", ".join(sorted(country_name(c) for c in results.countries))
        count = len(results.all_countries)
        countries = ngettext(
            "{names} (of the {count} the run simulated)",
            "{names} (of the {count} the run simulated)",
            count,
        ).format(names=names, count=count)
    items = [
        (_("results folder"), str(results.folder)),
        (_("scenarios"), ", ".join(results.labels)),
        (_("countries"), countries),
        (_("simulated period"), "; ".join(sorted(horizons))),
    ]
    record = meta.get("provenance")
    if isinstance(record, dict):
        items += provenance_lines(record)
    else:
        items += [
            (_("scenario files"), ", ".join(meta.get("files", []))),
            (_("engine"), meta.get("engine", "")),
            (_("replications"), meta.get("replications", "")),
            (_("seed"), meta.get("seed", "")),
            (_("stopping rule"), meta.get("stop_reason", "")),
        ]
    items.append((_("report written by"), f"mrasim {__version__}"))
    rows = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in items if v != "")
    heading = _("About this run")
    return f'<footer id="about"><h2>{esc(heading)}</h2><dl class="meta">{rows}</dl></footer>'


def _period(days: float, warmup: str) -> str:
    """``28 days after 7 days of warm-up``: a scenario's counted period."""
    template = ngettext("{days} day after {warmup}", "{days} days after {warmup}", int(days))
    return template.format(days=number(days), warmup=warmup)


def _scenario_name(results: Results) -> str:
    return _(" vs ").join(dict.fromkeys(s.name for s in results.scenarios))


class Line(NamedTuple):
    """One row of a measure table: its labels, its level and its metric."""

    labels: tuple[str, ...]
    where: Where
    metric: str


def _measure_table(results: Results, header: Sequence[str], lines: Iterable[Line]) -> str:
    """Rows of measures; columns: each scenario's value, then each paired difference.

    Rows undefined in every scenario (e.g. recognised AEOs without the
    arrangement) are left out.
    """
    baseline = shown_label(results.labels[0])
    compared = [shown_label(label) for label in results.compared]
    head = [
        *header,
        *map(shown_label, results.labels),
        *(f"{label} − {baseline}" for label in compared),
        *(_("{label} vs {baseline} (%)").format(label=label, baseline=baseline)
          for label in compared),
    ]  # fmt: skip
    head += _plausible_head(results)
    in_points = _("a change in a share is read in percentage points")
    rows = []
    for line in lines:
        kind = kind_of(line.metric)
        values = [results.get("value", s, line.where, line.metric) for s in results.labels]
        changes = [results.get("difference", s, line.where, line.metric) for s in results.compared]
        if not any(math.isfinite(s.mean) for s in (*values, *changes)):
            continue
        relative = [
            change_td(results.relative(s, line.where, line.metric), Kind.PERCENT)
            if kind is not Kind.SHARE
            else f'<td class="na" title="{esc(in_points)}">–</td>'
            for s in results.compared
        ]
        rows.append(
            [
                *line.labels,
                *(value_td(v, line.metric, not results.compared) for v in values),
                *(change_td(c, kind) for c in changes),
                *relative,
                *_plausible_tds(results, line),
            ]
        )
    return html_table(head, rows, len(header))


# --- over uncertain inputs ----------------------------------------------------------------


def _intervals_paragraph(results: Results) -> str:
    """What the long tables' intervals count (simulation noise only), and, over uncertain
    inputs, what their plausible columns hold."""
    note = esc(noise_note(results, "compare" if results.compared else "run"))
    if results.uncertainty is None:
        return f'<p class="intervals">{note}</p>'
    columns = _(
        "In the tables below, the plausible range of each effect (of each value, for a run) "
        "is in a column of its own, with the inputs' share of its variance; “not resolved” "
        "marks a range the simulation noise hides (give more replications per draw, -n)."
    )
    return f'<p class="intervals">{note} {esc(columns)}</p>'


def _ranged_effects(results: Results) -> tuple[str, Sequence[str]]:
    """The kind and labels of the rows whose ranges the tables show: the paired changes of a
    comparison, the value of a run."""
    if results.compared:
        return "difference", results.compared
    return "value", results.labels[:1]


def _plausible_head(results: Results) -> list[str]:
    if results.uncertainty is None:
        return []
    kind, labels = _ranged_effects(results)
    baseline = results.labels[0]
    names = [f"{label} − {baseline}" if kind == "difference" else label for label in labels]
    return [
        heading
        for name in names
        for heading in (
            _("{name}: plausible range").format(name=name),
            _("{name}: inputs' share").format(name=name),
        )
    ]


def _plausible_tds(results: Results, line: Line) -> list[str]:
    """A line's plausible range and input share for each ranged effect; a dash where the
    study keeps no such row (stations)."""
    if results.uncertainty is None:
        return []
    kind, labels = _ranged_effects(results)
    where = line.where
    cells = []
    for label in labels:
        row = None
        if where.port == ALL and where.station is None and where.group is not None:
            table, group = results.uncertainty, where.group
            row = ranged(table, kind, label, where.country, group, line.metric, where.mode)
        cells += _range_tds(row, kind_of(line.metric), kind == "difference")
    return cells


def _range_tds(row: Ranged | None, kind: Kind, change: bool) -> list[str]:
    if row is None or not row.defined:
        return ["<td>–</td>", "<td>–</td>"]
    share = f"<td>{100 * min(max(row.input_share, 0.0), 1.0):.0f}%</td>"
    if not row.resolved:
        hidden = esc(_("not resolved"))
        return [f'<td class="na">{hidden}</td>', share]
    low, high = row.plausible.low, row.plausible.high
    shown = show(Estimate((low + high) / 2, low, high), kind, signed=change, change=change)
    return [f"<td>{esc(unit_range(shown))}</td>", share]
