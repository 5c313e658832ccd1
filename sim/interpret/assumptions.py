"""What a result assumes, said beside the result: no headline rests on a silent choice.

The statements are made when the scenarios are run (their files are at hand
then, with the comments that mark a value as an assumption or a placeholder),
kept in ``run.json``, and shown by the terminal as a short footer and by the
report as a box: the utilisation (and whether the scenario marks it as a
placeholder), what recognition grants and how recognised AEOs lodge, the
declared values behind the cost of delay, what each country's clock measures,
the cost-of-delay rates, and every override.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sim.interpret.labels import in_countries, in_country
from sim.interpret.numbers import general, percent
from sim.language import LANGUAGES, N_, _, active, use
from sim.language.formats import decimal, money
from sim.language.terms import term
from sim.model.iso3166 import by_name, country_name
from sim.model.load import BUNDLED, SafeLoader
from sim.model.schema import Port, Scenario, per_channel
from sim.model.vocabulary import GROUPS

STANDARD, NATIONAL, RECOGNISED = range(len(GROUPS))


@dataclass(frozen=True)
class Assumption:
    """One thing a result assumes: a topic, a sentence, and details (one line each)."""

    topic: str
    text: str
    details: list[str] = field(default_factory=list)


def assumptions_of(
    labels: Sequence[str], scenarios: Sequence[Scenario], countries: Sequence[str] | None = None
) -> list[Assumption]:
    """What the results of these scenarios (the baseline first) assume; with ``countries``
    (ISO codes), what the results of those countries assume: their ports, their values, their
    clocks, and none of the others'."""
    pairs = list(zip(labels, scenarios, strict=True))
    in_force = [(label, s) for label, s in pairs if s.arrangement.in_force]
    swept = [(label, s) for label, s in pairs[1:] if s.arrangement.in_force]
    items = [_utilisation(swept if len(swept) > 1 else in_force, len(swept) > 1)]
    items += _by_country(in_force, scenarios[-1], countries)
    overrides = list(dict.fromkeys(o for s in scenarios for o in s.origin.overrides))
    items.append(
        Assumption(
            "overrides",
            _("Overrides of the scenario file: {overrides}.").format(overrides=", ".join(overrides))
            if overrides
            else _("Overrides of the scenario file: none."),
        )
    )
    return items


TOPICS = {
    "utilisation": N_("utilisation"),
    "recognition": N_("recognition"),
    "declared values": N_("declared values"),
    "clock": N_("clock"),
    "cost of delay": N_("cost of delay"),
    "control": N_("control"),
    "overrides": N_("overrides"),
}
"""Each topic in words (the key, as ``run.json`` keeps it, stays English)."""
COUNTRY_TOPICS = ("recognition", "declared values", "clock", "cost of delay", "control")
"""Topics that speak of the countries' ports; the others (utilisation, overrides) speak of the
scenario files, read when the scenarios ran."""


def _by_country(
    in_force: Sequence[tuple[str, Scenario]], scenario: Scenario, countries: Sequence[str] | None
) -> list[Assumption]:
    """The topics of :data:`COUNTRY_TOPICS`, of every country or of the ones chosen."""
    chosen = _Scope.of(scenario, countries)
    items = [_recognition(in_force[0][1], chosen)] if in_force else []
    items += [_values(scenario, chosen), _clocks(scenario, chosen), _cost(scenario)]
    return [*items, *_control(chosen)]


def for_countries(
    items: Sequence[Assumption],
    labels: Sequence[str],
    scenarios: Sequence[Scenario],
    countries: Sequence[str] | None,
) -> list[Assumption]:
    """Assumptions recorded for a whole run, said again for some countries (a one-country
    page from a regional run): the country topics made anew from the scenario definitions,
    the others as recorded (their wording rests on the scenario files' comments, read when
    the scenarios ran)."""
    pairs = list(zip(labels, scenarios, strict=True))
    in_force = [(label, s) for label, s in pairs if s.arrangement.in_force]
    fresh = {item.topic: item for item in _by_country(in_force, scenarios[-1], countries)}
    said = []
    for item in items:
        if item.topic not in COUNTRY_TOPICS:
            said.append(item)
        elif item.topic in fresh:
            said.append(fresh[item.topic])
    return said


@dataclass(frozen=True)
class _Scope:
    """The ports an assumption speaks of, and how to name where they are."""

    ports: list[tuple[str, Port]]  # (country code, port)
    where: str  # "" for every country, else " in Peru" (" in Peru and Chile")
    whole: bool

    @classmethod
    def of(cls, scenario: Scenario, countries: Sequence[str] | None) -> _Scope:
        every = [(code, port) for code, _, port in scenario.ports]
        codes = list(dict.fromkeys(code for code, _ in every))
        if countries is None or set(codes) <= set(countries):
            return cls(every, "", True)
        chosen = [c for c in codes if c in countries]
        where = " " + in_countries(sorted(chosen, key=lambda c: country_name(c).casefold()))
        return cls([(c, p) for c, p in every if c in chosen], where, False)


def _control(chosen: _Scope) -> list[Assumption]:
    """The control side's settings (:mod:`sim.model.control`) at the chosen ports, none without
    one: every value of it is an assumption, as nothing published gives them for the region."""
    settings: dict[str, list[str]] = {}
    for code, port in chosen.ports:
        if port.control is not None:
            places = settings.setdefault(_control_words(port.control), [])
            places.append(code)
    if not settings:
        return []
    controlled = sum(len(places) for places in settings.values())
    scope = {"count": controlled, "ports": len(chosen.ports), "where": chosen.where}
    if len(settings) == 1:
        text = _(
            "The control side at {count} of {ports} ports{where}: {settings}. Assumptions: "
            "nothing published gives them."
        ).format(**scope, settings=next(iter(settings)))
        details: list[str] = []
    else:
        text = _(
            "The control side at {count} of {ports} ports{where} differs by port (details "
            "below). Assumptions: nothing published gives them."
        ).format(**scope)
        details = [
            f"{', '.join(dict.fromkeys(places))}: {words}" for words, places in settings.items()
        ]
    return [Assumption("control", text, details)]


def _control_words(control: Any) -> str:
    standard, national, partner = control.prevalence.resolved()
    clauses = [
        _(
            "infractions in {standard} of standard declarations, {national} of national AEOs', "
            "{partner} of partner AEOs'"
        ).format(
            standard=percent(standard, 1),
            national=percent(national, 1),
            partner=percent(partner, 1),
        )
    ]
    if control.detection:
        found = ", ".join(f"{name} {percent(p)}" for name, p in control.detection.items())
        clauses.append(_("a check finds one with probability {found}").format(found=found))
    if control.stake_share is not None:
        clauses.append(
            _("{share} of the declared value at stake").format(share=percent(control.stake_share))
        )
    elif control.stake is not None:
        amount = money(decimal(control.stake.mean, 0), "USD")
        clauses.append(_("{amount} at stake on average").format(amount=amount))
    clauses.append(_targeting_words(control))
    clauses.append(
        _("checks freed by recognition re-targeted to standard declarations")
        if control.freed_checks == "retarget"
        else _("checks freed by recognition not made")
    )
    return "; ".join(clauses)


def _targeting_words(control: Any) -> str:
    """How the checks are chosen: at random, or by a risk score (and a capacity a day)."""
    if control.targeting == "random":
        return _("checks chosen at random (the channel probabilities)")
    if control.targeting == "capacity" and control.checks_per_day is not None:
        days = control.checks_per_day
        return _(
            "a risk score of AUC {auc} chooses them, {yellow} yellow and {red} red a day"
        ).format(auc=decimal(control.auc, 2), yellow=general(days.yellow), red=general(days.red))
    return _("a risk score of AUC {auc} chooses them").format(auc=decimal(control.auc, 2))


def to_json(items: Sequence[Assumption]) -> list[dict[str, Any]]:
    return [asdict(item) for item in items]


def said_in_every_language(
    labels: Sequence[str], scenarios: Sequence[Scenario], countries: Sequence[str] | None = None
) -> dict[str, list[dict[str, Any]]]:
    """What these scenarios assume (:func:`assumptions_of`), said in each language mrasim
    writes. ``run.json`` keeps all three: the utilisation's wording quotes the scenario
    file's own comment, read when the scenarios run, so a report made later in another
    language (``mrasim report --lang es``) cannot say it afresh."""
    said = {}
    for language in LANGUAGES:
        with use(language):
            said[language] = to_json(assumptions_of(labels, scenarios, countries))
    return said


def from_record(meta: Mapping[str, Any]) -> list[Assumption]:
    """The assumptions a folder's ``run.json`` records, in the language spoken now (as the
    run said them, for folders that kept one language only)."""
    said = meta.get("assumptions_said")
    if isinstance(said, dict) and active() in said:
        return from_json(said[active()])
    return from_json(meta.get("assumptions"))


def from_json(data: Any) -> list[Assumption]:
    """Assumptions as ``run.json`` keeps them; none when absent (folders of older versions)."""
    if not isinstance(data, list):
        return []
    return [
        Assumption(str(d.get("topic", "")), str(d.get("text", "")), list(d.get("details", [])))
        for d in data
        if isinstance(d, dict)
    ]


# --- each topic -------------------------------------------------------------------------


def _utilisation(in_force: Sequence[tuple[str, Scenario]], sweep: bool) -> Assumption:
    if not in_force:
        return Assumption("utilisation", _("The arrangement is not in force in any scenario."))
    if sweep:
        levels = ", ".join(percent(s.arrangement.utilisation) for _label, s in in_force)
        return Assumption(
            "utilisation",
            _(
                "Utilisation (the share of eligible shipments that claim recognition) is swept "
                "over {levels}; no published figure says which level holds today."
            ).format(levels=levels),
        )
    texts = []
    for label, scenario in in_force:
        template = _("{share} in {label} ({source})") if len(in_force) > 1 else "{share} ({source})"
        texts.append(
            template.format(
                share=percent(scenario.arrangement.utilisation),
                label=label,
                source=_utilisation_source(scenario),
            )
        )
    return Assumption(
        "utilisation",
        _("Utilisation (the share of eligible shipments that claim recognition): {levels}.").format(
            levels="; ".join(texts)
        ),
    )


def _utilisation_source(scenario: Scenario) -> str:
    """Where a scenario's utilisation comes from: an override, or the file (and its mark)."""
    origin = scenario.origin
    for override in reversed(origin.overrides):
        if override.startswith(("arrangement.utilisation=", "arrangement=")):
            return _("set by {override}").format(override=override)
    if origin.path is None:
        return _("the scenario's value")
    file = Path(origin.path)
    bundled = file.parent.resolve() == BUNDLED.resolve()
    name = _("the bundled scenario {file}").format(file=file.name) if bundled else str(file)
    comment = field_comment(file, "arrangement.utilisation")
    if comment is None and not _sets(file, "arrangement.utilisation"):
        return _("not set in {file}: the schema's default").format(file=name)
    if comment and "placeholder" in comment.lower():
        return _("a placeholder in {file}: “{comment}”").format(file=name, comment=comment)
    if comment:
        return _("the value in {file}, marked “{comment}”").format(file=name, comment=comment)
    return _("the value in {file}, unmarked").format(file=name)


def field_comment(file: Path, path: str) -> str | None:
    """The comment on the line of a YAML file that sets a field (``# assumption: ...``)."""
    node = _node(file, path)
    if node is None:
        return None
    try:
        line = file.read_text(encoding="utf-8").splitlines()[node.end_mark.line]
    except (OSError, IndexError, UnicodeDecodeError):
        return None
    _, mark, comment = line[node.end_mark.column :].partition("#")
    return comment.strip() or None if mark else None


def _sets(file: Path, path: str) -> bool:
    return _node(file, path) is not None


def _node(file: Path, path: str) -> yaml.Node | None:
    try:
        node: yaml.Node | None = yaml.compose(file.read_text(encoding="utf-8"), SafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    for key in path.split("."):
        if not isinstance(node, yaml.MappingNode):
            return None
        node = next((v for k, v in node.value if getattr(k, "value", None) == key), None)
    return node


def _recognition(scenario: Scenario, scope: _Scope) -> Assumption:
    """What a recognised AEO's shipment gets, port by port, compared with the other groups.

    The in-force scenario's ports (of the chosen countries): ``scope`` names them in the
    scenario that ran without the arrangement, whose ports are the same.
    """
    codes = {code for code, _ in scope.ports}
    ports = [port for code, _, port in scenario.ports if code in codes]
    n = len(ports)
    channels = sum(_same(p.channels.resolved(), RECOGNISED, NATIONAL) for p in ports)
    priority = sum(
        all(
            st.priority is None or _same(st.priority.resolved(), RECOGNISED, NATIONAL)
            for st in p.stations.values()
        )
        for p in ports
    )
    reserved = sum(
        any(
            st.reserved is not None and "recognised_aeo" in st.reserved.groups
            for st in p.stations.values()
        )
        for p in ports
    )
    like_standard = sum(_lodges_like(p, STANDARD) for p in ports)
    like_national = sum(_lodges_like(p, NATIONAL) and not _lodges_like(p, STANDARD) for p in ports)
    lodging = [
        (like_standard, _("like standard traders at {count} of {ports} ports")),
        (like_national, _("like national AEOs at {count} of {ports} ports")),
        (
            n - like_standard - like_national,
            _("by values of their own at {count} of {ports} ports"),
        ),
    ]
    lodge = ", ".join(how.format(count=count, ports=n) for count, how in lodging if count)
    return Assumption(
        "recognition",
        _(
            "Recognised AEOs (partner AEOs whose declaration claims the arrangement) get "
            "national AEOs' channel probabilities at {channels} of {ports} ports{where} and "
            "their queue priority at {priority}; a reserved line serves them at {reserved}. "
            "They lodge {lodge} (pre-arrival share and lodgement lag; the importer lodges, and "
            "need not be an AEO)."
        ).format(
            channels=channels,
            ports=n,
            where=scope.where,
            priority=priority,
            reserved=reserved,
            lodge=lodge,
        ),
    )


def _same(values: Sequence[Any], group: int, other: int) -> bool:
    return values[group] == values[other]


def _lodges_like(port: Port, other: int) -> bool:
    lodgement = port.lodgement
    if lodgement is None:
        return True  # every group lodges on arrival
    if not _same(lodgement.pre_arrival_share.resolved(), RECOGNISED, other):
        return False
    return all(
        times is None or _same(times, RECOGNISED, other) for times in per_channel(lodgement.delay_h)
    )


def _values(scenario: Scenario, scope: _Scope) -> Assumption:
    """The declared values behind the cost of delay: by mode when every country of the
    scenario uses the same value for a mode, else by country; and which ports lack one.

    Flagged as assumed: one value per port stands for the spread of values declared there,
    and every dollar figure rests on it.
    """
    lead = _(
        "Assumed declared values per shipment{where} (value_usd; every dollar figure rests on "
        "them: the cost of delay is hours × value × rate)"
    ).format(where=scope.where)
    ports = scope.ports
    missing = sorted(
        dict.fromkeys(country_name(c) for c, p in ports if p.value_usd is None), key=str.casefold
    )
    if len(missing) == len({c for c, _ in ports}):
        return Assumption(
            "declared values",
            _("No port declares a value per shipment: cost of delay not computed."),
        )
    by_mode: dict[str, set[float | None]] = {}
    by_country: dict[str, dict[str, list[str]]] = {}
    for code, port in ports:
        by_mode.setdefault(port.mode, set()).add(port.value_usd)
        value = _("none") if port.value_usd is None else _dollars(port.value_usd)
        by_country.setdefault(country_name(code), {}).setdefault(value, []).append(port.mode)
    details = [
        f"{name}: "
        + "; ".join(f"{v} ({', '.join(dict.fromkeys(modes))})" for v, modes in values.items())
        for name, values in sorted(by_country.items(), key=lambda item: item[0].casefold())
    ]
    if all(len(values) == 1 and None not in values for values in by_mode.values()):
        modes = ", ".join(
            f"{_dollars(values.pop() or 0.0)} ({mode})" for mode, values in by_mode.items()
        )
        template = (
            _("{lead}: {values} in every country.")
            if len(by_country) > 1 and scope.whole
            else _("{lead}: {values}.")
        )
        text = template.format(lead=lead, values=modes)
    elif len(details) <= 3:
        text = _("{lead}: {values}.").format(lead=lead, values="; ".join(details))
    else:
        text = _("{lead}: by country (see the report).").format(lead=lead)
    if missing:
        text += " " + _(
            "No declared value for {countries}: cost of delay not computed there."
        ).format(countries=", ".join(missing))
    return Assumption("declared values", text, details if len(details) > 3 else [])


def _clocks(scenario: Scenario, scope: _Scope) -> Assumption:
    codes = {code for code, _ in scope.ports}
    countries = [(code, c) for code, c in scenario.countries.items() if c.ports and code in codes]
    clocks = {c.clock for _, c in countries}
    details = (
        []
        if clocks == {None}
        else [
            f"{country_name(code)}: {c.clock or _('not stated')}"
            for code, c in sorted(countries, key=lambda item: by_name(item[0]))
        ]
    )
    if len(countries) == 1:
        code, country = countries[0]
        text = (
            _("Clearance time {where} runs from {clock}.")
            if country.clock
            else _(
                "The scenario does not say what {country}'s clearance clock measures; the "
                "model's runs from arrival to {release}."
            )
        ).format(
            where=in_country(code),
            country=country_name(code),
            clock=country.clock,
            release=term("release", code),
        )
        return Assumption("clock", text)
    if len(clocks) == 1 and None not in clocks:
        text = _("Every country's clearance clock runs from {clock}.").format(clock=clocks.pop())
    elif clocks == {None}:
        text = _(
            "Countries' clearance clocks are not stated (see the scenario's description), so "
            "regional totals may pool unlike measures: compare the arrangement within a "
            "country, or compare relative changes."
        )
    elif None in clocks:
        text = _(
            "Countries' clearance clocks are not all stated, so regional totals may pool unlike "
            "measures: compare the arrangement within a country, or compare relative changes."
        )
    else:
        text = _(
            "Countries' clearance clocks differ, so regional totals may pool unlike measures: "
            "compare the arrangement within a country, or compare relative changes."
        )
    return Assumption("clock", text, details)


def _cost(scenario: Scenario) -> Assumption:
    rates = scenario.cost_of_delay.rates_per_day
    if not rates:
        return Assumption("cost of delay", _("No cost-of-delay rate is given: no cost computed."))
    shown = ", ".join(f"{general(100 * r)}%" for r in rates)
    central = rates[len(rates) // 2]
    return Assumption(
        "cost of delay",
        _(
            "A day of delay is assumed to cost {rates} of the goods' declared value (Hummels & "
            "Schaur 2013, estimated for time in transit and transferred here to time at the "
            "border); headlines use {central}%."
        ).format(rates=shown, central=general(100 * central)),
    )


def _dollars(amount: float) -> str:
    """A declared value in whole dollars: ``USD 25,000`` (``US$ 25.000``)."""
    return money(decimal(amount, 0), "USD")
