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

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sim.interpret.numbers import percent
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
            "Overrides of the scenario file: "
            + (", ".join(overrides) if overrides else "none")
            + ".",
        )
    )
    return items


COUNTRY_TOPICS = ("recognition", "declared values", "clock", "cost of delay")
"""Topics that speak of the countries' ports; the others (utilisation, overrides) speak of the
scenario files, read when the scenarios ran."""


def _by_country(
    in_force: Sequence[tuple[str, Scenario]], scenario: Scenario, countries: Sequence[str] | None
) -> list[Assumption]:
    """The topics of :data:`COUNTRY_TOPICS`, of every country or of the ones chosen."""
    chosen = _Scope.of(scenario, countries)
    items = [_recognition(in_force[0][1], chosen)] if in_force else []
    return [*items, _values(scenario, chosen), _clocks(scenario, chosen), _cost(scenario)]


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
        names = sorted((country_name(c) for c in chosen), key=str.casefold)
        joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        return cls([(c, p) for c, p in every if c in chosen], f" in {joined}", False)


def to_json(items: Sequence[Assumption]) -> list[dict[str, Any]]:
    return [asdict(item) for item in items]


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
        return Assumption("utilisation", "The arrangement is not in force in any scenario.")
    if sweep:
        levels = ", ".join(percent(s.arrangement.utilisation) for _, s in in_force)
        return Assumption(
            "utilisation",
            f"Utilisation (the share of eligible shipments that claim recognition) is swept "
            f"over {levels}; no published figure says which level holds today.",
        )
    texts = []
    for label, scenario in in_force:
        where = f" in {label}" if len(in_force) > 1 else ""
        u = percent(scenario.arrangement.utilisation)
        texts.append(f"{u}{where} ({_utilisation_source(scenario)})")
    return Assumption(
        "utilisation",
        "Utilisation (the share of eligible shipments that claim recognition): "
        + "; ".join(texts)
        + ".",
    )


def _utilisation_source(scenario: Scenario) -> str:
    """Where a scenario's utilisation comes from: an override, or the file (and its mark)."""
    origin = scenario.origin
    for override in reversed(origin.overrides):
        if override.startswith(("arrangement.utilisation=", "arrangement=")):
            return f"set by {override}"
    if origin.path is None:
        return "the scenario's value"
    file = Path(origin.path)
    name = file.name if file.parent.resolve() == BUNDLED.resolve() else str(file)
    bundled = "the bundled scenario " if file.parent.resolve() == BUNDLED.resolve() else ""
    comment = field_comment(file, "arrangement.utilisation")
    if comment is None and not _sets(file, "arrangement.utilisation"):
        return f"not set in {bundled}{name}: the schema's default"
    if comment and "placeholder" in comment.lower():
        return f"a placeholder in {bundled}{name}: “{comment}”"
    if comment:
        return f"the value in {bundled}{name}, marked “{comment}”"
    return f"the value in {bundled}{name}, unmarked"


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
        (like_standard, "like standard traders"),
        (like_national, "like national AEOs"),
        (n - like_standard - like_national, "by values of their own"),
    ]
    lodge = ", ".join(f"{how} at {count} of {n} ports" for count, how in lodging if count)
    return Assumption(
        "recognition",
        f"Recognised AEOs (partner AEOs whose declaration claims the arrangement) get national "
        f"AEOs' channel probabilities at {channels} of {n} ports{scope.where} and their queue "
        f"priority at {priority}; a reserved line serves them at {reserved}. They lodge {lodge} "
        "(pre-arrival share and lodgement lag; the importer lodges, and need not be an AEO).",
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
    lead = (
        f"Assumed declared values per shipment{scope.where} (value_usd; every dollar figure "
        "rests on them: the cost of delay is hours × value × rate)"
    )
    ports = scope.ports
    missing = sorted(
        dict.fromkeys(country_name(c) for c, p in ports if p.value_usd is None), key=str.casefold
    )
    if len(missing) == len({c for c, _ in ports}):
        return Assumption(
            "declared values", "No port declares a value per shipment: cost of delay not computed."
        )
    by_mode: dict[str, set[float | None]] = {}
    by_country: dict[str, dict[str, list[str]]] = {}
    for code, port in ports:
        by_mode.setdefault(port.mode, set()).add(port.value_usd)
        value = "none" if port.value_usd is None else f"USD {port.value_usd:,.0f}"
        by_country.setdefault(country_name(code), {}).setdefault(value, []).append(port.mode)
    details = [
        f"{name}: "
        + "; ".join(f"{v} ({', '.join(dict.fromkeys(modes))})" for v, modes in values.items())
        for name, values in sorted(by_country.items(), key=lambda item: item[0].casefold())
    ]
    if all(len(values) == 1 and None not in values for values in by_mode.values()):
        modes = ", ".join(f"USD {values.pop():,.0f} ({mode})" for mode, values in by_mode.items())
        every = " in every country" if len(by_country) > 1 and scope.whole else ""
        text = f"{lead}: {modes}{every}."
    elif len(details) <= 3:
        text = f"{lead}: {'; '.join(details)}."
    else:
        text = f"{lead}: by country (see the report)."
    if missing:
        text += f" No declared value for {', '.join(missing)}: cost of delay not computed there."
    return Assumption("declared values", text, details if len(details) > 3 else [])


def _clocks(scenario: Scenario, scope: _Scope) -> Assumption:
    codes = {code for code, _ in scope.ports}
    countries = [(code, c) for code, c in scenario.countries.items() if c.ports and code in codes]
    clocks = {c.clock for _, c in countries}
    details = (
        []
        if clocks == {None}
        else [
            f"{country_name(code)}: {c.clock or 'not stated'}"
            for code, c in sorted(countries, key=lambda item: by_name(item[0]))
        ]
    )
    if len(countries) == 1:
        code, country = countries[0]
        text = (
            f"Clearance time in {country_name(code)} runs from {country.clock}."
            if country.clock
            else f"The scenario does not say what {country_name(code)}'s clearance clock "
            "measures; the model's runs from arrival to release."
        )
        return Assumption("clock", text)
    if len(clocks) == 1 and None not in clocks:
        text = f"Every country's clearance clock runs from {clocks.pop()}."
    else:
        said = (
            "are not stated (see the scenario's description)"
            if clocks == {None}
            else "are not all stated"
            if None in clocks
            else "differ"
        )
        text = (
            f"Countries' clearance clocks {said}, so regional totals may pool unlike measures: "
            "compare the arrangement within a country, or compare relative changes."
        )
    return Assumption("clock", text, details)


def _cost(scenario: Scenario) -> Assumption:
    rates = scenario.cost_of_delay.rates_per_day
    if not rates:
        return Assumption("cost of delay", "No cost-of-delay rate is given: no cost computed.")
    shown = ", ".join(f"{100 * r:g}%" for r in rates)
    central = rates[len(rates) // 2]
    return Assumption(
        "cost of delay",
        f"A day of delay is assumed to cost {shown} of the goods' declared value (Hummels & "
        f"Schaur 2013, estimated for time in transit and transferred here to time at the "
        f"border); headlines use {100 * central:g}%.",
    )
