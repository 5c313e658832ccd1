"""The page's controls as one validated model, and what they make: scenarios to compare,
the overrides that make them, and the command that gives the same numbers.

Every control is a scenario override (:meth:`sim.scenario.Scenario.with_overrides`),
so a setting on the page is a file anyone can run: the overrides become ``--set``
options of ``mrasim compare``. Only overrides that change something are made, so an
untouched page runs the scenario file as it is.

What recognition grants is three switches, each an override of the
``recognised_aeo`` per-group values of every port:

* **channels**: the national AEOs' channel probabilities (on) or the standard
  traders' (off);
* **priority**: the national AEOs' queue priority and reserved lines (on) or the
  standard traders' (off);
* **lodgement**: the national AEOs' pre-arrival share and lodgement times (on) or
  the standard traders' (off).

A switch left unset keeps what the scenario says.
"""

from __future__ import annotations

import json
import math
import shlex
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sim import language
from sim.errors import InputError
from sim.interpret.answer import Settings as AnswerSettings
from sim.interpret.assumptions import Assumption, assumptions_of
from sim.language import N_, _, active
from sim.model.load import BUNDLED, expanded_yaml, scenario_from_dict
from sim.model.schema import Port, Scenario, TimeByChannel, TimeByGroup
from sim.model.uncertain import count_uncertain
from sim.model.variants import WITH, WITHOUT, with_arrangement
from sim.model.vocabulary import MODES
from sim.uncertainty.analysis import MIN_DRAWS
from sim.uncertainty.study import Study, Variants, plan_study

Grant = Literal["channels", "priority", "lodgement"]
GRANTS: tuple[Grant, ...] = ("channels", "priority", "lodgement")
GRANT_LABELS = {
    "channels": N_("national AEOs' channel probabilities"),
    "priority": N_("queue priority and reserved lines"),
    "lodgement": N_("national AEOs' pre-arrival lodgement"),
}
"""Each switch as the page labels it (in English: translated where shown)."""
MAX_SWEEP_LEVELS = 6
MAX_LIVE_DRAWS = 256
"""Draws a page may ask for: each runs the page's replications."""
NO_UNCERTAIN_INPUTS = N_(
    "the scenario declares no uncertain inputs (an uncertainty: block, or the intervals of a "
    "calibration)"
)
STANDARD, NATIONAL, RECOGNISED = "standard", "national_aeo", "recognised_aeo"


class InvalidControl(ValueError):
    """A control's value the page (or a hand-made request) should not have sent, in words."""

    def __init__(self, control: str, problem: str) -> None:
        self.control, self.problem = control, problem
        super().__init__(f"{control}: {problem}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Grants(_Strict):
    """What recognition grants a partner AEO's shipment; None keeps the scenario's value."""

    channels: bool | None = None
    priority: bool | None = None
    lodgement: bool | None = None


class ControlKnobs(_Strict):
    """The control side at every port that has one (:mod:`sim.model.control`); None keeps
    the scenario's value. A score's AUC above 0.5 turns random selection into a score."""

    freed_checks: Literal["release", "retarget"] | None = None
    auc: float | None = Field(default=None, ge=0.5, le=0.99, allow_inf_nan=False)
    standard_prevalence: float | None = Field(default=None, ge=0, le=1, allow_inf_nan=False)
    partner_prevalence: float | None = Field(default=None, ge=0, le=1, allow_inf_nan=False)


Multiplier = float
PortAt = tuple[str, str, Port]
"""(country, port name, port), as :attr:`Scenario.ports` gives them."""


class Controls(_Strict):
    """Everything the page can set. Checked here for shape and range, and against the
    scenario by :func:`build` (countries, stations and modes that exist)."""

    baseline: Literal["without", "scenario"] = "without"
    """Compare against the arrangement not in force, or in force at the scenario's own
    utilisation."""
    utilisation: float | None = Field(default=None, gt=0, le=1, allow_inf_nan=False)
    """The share of eligible shipments that claim recognition (None: the scenario's)."""
    sweep: list[float] | None = None
    """Utilisation levels to sweep instead of one utilisation."""
    grants: Grants = Grants()
    staffing: dict[str, dict[str, Multiplier]] = {}
    """A multiplier of each station type's servers, by country: ``{"PER": {"physical": 1.5}}``."""
    control: ControlKnobs = ControlKnobs()
    """The control side's settings, at the ports that have one."""
    countries: list[str] | None = None
    """The countries shown (None: all)."""
    mode: str | None = None
    """The mode shown (None: all modes)."""
    replications: int = Field(default=10, ge=2, le=500)
    seed: int | None = Field(default=None, ge=0, le=2**63 - 1)
    uncertainty: int | None = Field(default=None, ge=MIN_DRAWS, le=MAX_LIVE_DRAWS)
    """Draws of the scenario's uncertain inputs, each run for ``replications`` (None: off)."""

    @field_validator("sweep")
    @classmethod
    def _levels(cls, levels: list[float] | None) -> list[float] | None:
        if levels is None:
            return None
        if not 1 <= len(levels) <= MAX_SWEEP_LEVELS:
            raise ValueError(
                _("give 1 to {count} utilisation levels").format(count=MAX_SWEEP_LEVELS)
            )
        for level in levels:
            if not (math.isfinite(level) and 0 < level <= 1):
                raise ValueError(
                    _("each level must lie in (0, 1], got {level}").format(level=f"{level:g}")
                )
        return sorted(dict.fromkeys(levels))

    @field_validator("staffing")
    @classmethod
    def _multipliers(cls, staffing: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        for country, stations in staffing.items():
            for station, factor in stations.items():
                if not (math.isfinite(factor) and 0.1 <= factor <= 10):
                    problem = _("a staffing multiplier lies in [0.1, 10], got {factor}")
                    raise ValueError(
                        f"{country}.{station}: " + problem.format(factor=f"{factor:g}")
                    )
        return staffing


def controls_from(data: Any) -> Controls:
    """The controls a request sent, or :class:`InvalidControl` naming the first bad one."""
    try:
        return Controls.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "controls"
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = _("unknown control")
        elif _short(error.get("input")) and "got" not in message:
            message = _("{problem} (got {value})").format(
                problem=message, value=repr(error["input"])
            )
        raise InvalidControl(where, message) from None


def _short(value: Any) -> bool:
    return isinstance(value, int | float | str | bool) and len(repr(value)) <= 40


# --- what the controls make ---------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    """A page setting made concrete: the scenarios to compare (focused on what is shown),
    their labels, the overrides that made them, and how to reproduce the numbers."""

    controls: Controls
    base: Scenario
    scenarios: list[Scenario]
    labels: list[str]
    overrides: dict[str, Any]
    simulated: list[str]  # the countries whose ports are simulated
    mode: str | None  # the only mode simulated, if one is chosen
    countries: list[str] | None  # the countries the answer speaks of (None: every one simulated)

    @property
    def replications(self) -> int:
        return self.controls.replications

    @property
    def seed(self) -> int:
        return self.base.seed if self.controls.seed is None else self.controls.seed

    @property
    def focused(self) -> bool:
        """Whether some ports are left out (the view shows one country or one mode)."""
        return self.mode is not None or len(self.simulated) < len(_countries_with_ports(self.base))

    @property
    def assumptions(self) -> list[Assumption]:
        """What the result assumes, in the active language (made once a setting and language:
        it reads the scenario file's comments)."""
        language = active()
        if language not in self._assumptions:
            self._assumptions[language] = assumptions_of(self.labels, self.scenarios)
        return self._assumptions[language]

    @cached_property
    def _assumptions(self) -> dict[str, list[Assumption]]:
        """What the result assumes, by language, as each request's language asks for it."""
        return {}

    def answer_settings(self) -> AnswerSettings:
        """The answer's view of the scenarios compared (:class:`sim.answer.Settings`)."""
        return AnswerSettings.of(self.labels, self.scenarios)

    def command(self) -> list[str]:
        """``mrasim compare`` with every override, the seed and the replications: the same
        numbers (``--country`` narrows its tables and answer to the countries shown)."""
        source = _scenario_argument(self.base)
        words = ["mrasim", "compare", source]
        if self.controls.baseline == "scenario":
            words.append(source)  # A B: the scenario at its utilisation, then at the page's
        for path, value in self.overrides.items():
            words += ["--set", f"{path}={_yaml_value(value)}"]
        levels = self._levels()
        if levels is not None:
            words += ["--utilisation", ",".join(f"{u:g}" for u in levels)]
        words += ["--seed", str(self.seed), "-n", str(self.replications)]
        if self.controls.countries is not None:
            words += ["--country", ",".join(self.controls.countries)]
        return words

    def command_text(self) -> str:
        return shlex.join(self.command())

    def study(self) -> Study:
        """Over uncertain inputs: the page's scenarios at N draws of them, each run for the
        page's replications. What the controls set (and the utilisation a sweep or a
        baseline at the scenario's own sets) is the page's what-if: no input draws it."""
        assert self.controls.uncertainty is not None
        fixed = list(self.overrides)
        if self.controls.sweep is not None or self.controls.baseline == "scenario":
            fixed.append("arrangement.utilisation")
        return plan_study(
            self.scenarios,
            Variants("given", names=tuple(self.labels)),
            self.controls.uncertainty,
            replications=self.replications,
            seed=self.seed,
            fixed=fixed,
        )

    def command_note(self) -> str:
        """How the command's output relates to the page, in words."""
        if self.mode is None:
            return _("The same numbers from the command line:")
        return _(
            "The same numbers from the command line, in its rows of mode {mode} (the "
            "scenario file below gives the same answer word for word):"
        ).format(mode=self.mode)

    def yaml(self) -> str:
        """The scenario the page runs (the compared one, ports outside the view left out),
        whole: ``mrasim compare FILE --seed S -n N`` on it gives the page's numbers."""
        # the compared scenario, unless the command sets the utilisation itself (a sweep, or
        # A B --utilisation U: then A is taken as it is, the baseline)
        scenario = self.scenarios[-1 if self._levels() is None else 0]
        header = (
            f"# Written by mrasim explore from {self.base.origin.path or self.base.name}\n"
            f"# overrides: {', '.join(f'{k}={_yaml_value(v)}' for k, v in self.overrides.items())}"
            f"{' (none)' if not self.overrides else ''}\n"
            f"# {self._yaml_use()}\n"
        )
        return header + expanded_yaml(scenario)

    def _yaml_use(self) -> str:
        levels = self._levels()
        sweep = f" --utilisation {','.join(f'{u:g}' for u in levels)}" if levels else ""
        twice = " FILE" if self.controls.baseline == "scenario" else ""
        return (
            f"the same numbers: mrasim compare FILE{twice}{sweep} --seed {self.seed} "
            f"-n {self.replications}"
        )

    def _levels(self) -> list[float] | None:
        """The ``--utilisation`` of the command, if it needs one."""
        if self.controls.sweep is not None:
            return self.controls.sweep
        if self.controls.baseline == "scenario":
            return [self.scenarios[-1].arrangement.utilisation]
        return None


def build(base: Scenario, controls: Controls) -> Setting:
    """The scenarios a setting compares, or :class:`InvalidControl` saying what to change."""
    _check_against(base, controls)
    if controls.uncertainty is not None and count_uncertain(base) == 0:
        raise InvalidControl("uncertainty", language._(NO_UNCERTAIN_INPUTS))
    simulated, mode = _focus(base, controls)
    overrides = scenario_overrides(base, controls, simulated, mode)
    try:
        scenario = base.with_overrides(overrides)
    except InputError as exc:  # an override the schema refuses: name the field, not a file
        raise InvalidControl(exc.field or "controls", exc.problem) from None
    focused = _focused(scenario, simulated, mode)
    scenarios, labels = _variants(focused, base, controls)
    shown = controls.countries
    countries = None if shown is None or len(shown) == len(simulated) else shown
    return Setting(controls, base, scenarios, labels, overrides, simulated, mode, countries)


def _variants(
    scenario: Scenario, base: Scenario, controls: Controls
) -> tuple[list[Scenario], list[str]]:
    """Baseline first: without the arrangement, or with it at the scenario's utilisation."""
    levels = controls.sweep
    if controls.baseline == "without":
        baseline, label = with_arrangement(scenario, in_force=False), WITHOUT
        if levels is None:
            return [baseline, with_arrangement(scenario, in_force=True)], [label, WITH]
    else:
        own = base.arrangement.utilisation
        baseline, label = with_arrangement(scenario, True, own), f"scenario u={own:g}"
        if levels is None:
            chosen = own if controls.utilisation is None else controls.utilisation
            if chosen == own:
                problem = _(
                    "equals the scenario's own {utilisation}: nothing to compare; move it, or "
                    "compare against no arrangement"
                )
                raise InvalidControl("utilisation", problem.format(utilisation=f"{own:g}"))
            levels = [chosen]
    scenarios = [with_arrangement(scenario, True, u) for u in levels]
    return [baseline, *scenarios], [label, *(f"u={u:g}" for u in levels)]


# --- overrides ----------------------------------------------------------------------


def scenario_overrides(
    base: Scenario,
    controls: Controls,
    countries: list[str] | None = None,
    mode: str | None = None,
) -> dict[str, Any]:
    """The ``{path: value}`` overrides of a setting that change something, at the ports of
    some countries (default all) and one mode (default all): the others are not simulated."""
    ports = [
        (code, name, port)
        for code, name, port in base.ports
        if (countries is None or code in countries) and (mode is None or port.mode == mode)
    ]
    overrides: dict[str, Any] = {}
    if controls.baseline == "scenario" and not base.arrangement.in_force:
        overrides["arrangement.in_force"] = True
    utilisation = controls.utilisation
    if (
        controls.baseline == "without"
        and controls.sweep is None
        and utilisation is not None
        and utilisation != base.arrangement.utilisation
    ):
        overrides["arrangement.utilisation"] = utilisation
    for grant in GRANTS:
        on = getattr(controls.grants, grant)
        if on is not None:
            overrides |= grant_overrides(ports, grant, on)
    overrides |= staffing_overrides(ports, controls.staffing)
    overrides |= control_overrides(ports, controls.control)
    return overrides


def control_overrides(ports: Iterable[PortAt], knobs: ControlKnobs) -> dict[str, Any]:
    """The control side's values the page sets, at every port with a control side where they
    differ from the scenario's (an AUC above 0.5 where selection is random: a score)."""
    overrides: dict[str, Any] = {}
    for code, name, port in ports:
        control = port.control
        if control is None:
            continue
        at = f"countries.{code}.ports.{name}.control"
        if knobs.freed_checks is not None and knobs.freed_checks != control.freed_checks:
            overrides[f"{at}.freed_checks"] = knobs.freed_checks
        if knobs.auc is not None and knobs.auc != control.auc:
            overrides[f"{at}.auc"] = knobs.auc
            if control.targeting == "random" and knobs.auc > 0.5:
                overrides[f"{at}.targeting"] = "score"
        standard, _national, partner = control.prevalence.resolved()
        if knobs.standard_prevalence is not None and knobs.standard_prevalence != standard:
            overrides[f"{at}.prevalence.standard"] = knobs.standard_prevalence
        if knobs.partner_prevalence is not None and knobs.partner_prevalence != partner:
            overrides[f"{at}.prevalence.partner_aeo"] = knobs.partner_prevalence
    return overrides


def control_state(base: Scenario) -> dict[str, Any] | None:
    """The scenario's control side as the page shows it: the values shared by every port that
    has one (None where ports differ), or None when no port has one."""
    controls = [port.control for _code, _name, port in base.ports if port.control is not None]
    if not controls:
        return None

    def common(values: list[Any]) -> Any:
        return values[0] if len(set(values)) == 1 else None

    prevalence = [c.prevalence.resolved() for c in controls]
    return {
        "ports": len(controls),
        "freed_checks": common([c.freed_checks for c in controls]),
        "auc": common([c.auc for c in controls]),
        "standard_prevalence": common([p[0] for p in prevalence]),
        "partner_prevalence": common([p[2] for p in prevalence]),
    }


def grant_overrides(ports: Iterable[PortAt], grant: Grant, on: bool) -> dict[str, Any]:
    """Give recognised AEOs the national AEOs' values of a grant (on) or the standard
    traders' (off), at every port where they differ."""
    like = NATIONAL if on else STANDARD
    overrides: dict[str, Any] = {}
    for code, name, port in ports:
        at = f"countries.{code}.ports.{name}"
        for path, values in _grant_values(port, grant, like):
            overrides[f"{at}.{path}"] = values
    return overrides


def _grant_values(port: Port, grant: Grant, like: str) -> Iterator[tuple[str, Any]]:
    """(path in the port, new value) of each per-group value where recognised AEOs differ."""
    if grant == "channels":
        yield from _group_value("channels", port.channels, like)
    elif grant == "priority":
        for name, station in port.stations.items():
            if station.priority is not None:
                yield from _group_value(f"stations.{name}.priority", station.priority, like)
            reserved = station.reserved
            if reserved is not None and (like in reserved.groups) != (
                RECOGNISED in reserved.groups
            ):
                groups: list[str] = [g for g in reserved.groups if g != RECOGNISED]
                groups += [RECOGNISED] if like in reserved.groups else []
                value = {**_dump(reserved), "groups": groups} if groups else None
                yield f"stations.{name}.reserved", value
    elif port.lodgement is not None:
        lodgement = port.lodgement
        yield from _group_value("lodgement.pre_arrival_share", lodgement.pre_arrival_share, like)
        for field in ("delay_h", "lead_h"):
            yield from _time_values(f"lodgement.{field}", getattr(lodgement, field), like)


def _time_values(path: str, spec: Any, like: str) -> Iterator[tuple[str, Any]]:
    """Per-group times (possibly per channel): one distribution for every group has none."""
    if isinstance(spec, TimeByChannel):
        for channel in ("green", "yellow", "red"):
            yield from _time_values(f"{path}.{channel}", getattr(spec, channel), like)
    elif isinstance(spec, TimeByGroup):
        yield from _group_value(path, spec, like)


def _group_value(path: str, spec: Any, like: str) -> Iterator[tuple[str, Any]]:
    standard, national, recognised = spec.resolved()
    wanted = national if like == NATIONAL else standard
    if wanted != recognised:
        yield f"{path}.{RECOGNISED}", _dump(wanted)


def _dump(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_none=True)
    return value


def grant_state(base: Scenario, grant: Grant) -> bool | None:
    """What the scenario grants: True (national AEOs' values everywhere), False (standard
    traders' everywhere) or None (some of each)."""
    if not grant_overrides(base.ports, grant, True):
        return True
    if not grant_overrides(base.ports, grant, False):
        return False
    return None


def staffing_overrides(
    ports: Iterable[PortAt], staffing: Mapping[str, Mapping[str, float]]
) -> dict[str, Any]:
    """Servers of each station type of a country times its multiplier: a whole number, at
    least 1 (reserved servers are left as they are)."""
    overrides: dict[str, Any] = {}
    for code, name, port in ports:
        for station_name, station in port.stations.items():
            factor = staffing.get(code, {}).get(station_name, 1.0)
            servers = max(1, math.floor(station.servers * factor + 0.5))
            if servers != station.servers:
                path = f"countries.{code}.ports.{name}.stations.{station_name}.servers"
                overrides[path] = servers
    return overrides


def station_types(base: Scenario) -> dict[str, list[str]]:
    """The station types of each country with ports, in file order."""
    types: dict[str, list[str]] = {}
    for code, _name, port in base.ports:
        known = types.setdefault(code, [])
        known += [name for name in port.stations if name not in known]
    return types


def servers_of(base: Scenario) -> dict[str, dict[str, int]]:
    """General servers of each station type, summed over a country's ports."""
    totals: dict[str, dict[str, int]] = {}
    for code, _name, port in base.ports:
        for name, station in port.stations.items():
            country = totals.setdefault(code, {})
            country[name] = country.get(name, 0) + station.servers
    return totals


def modes_of(base: Scenario, countries: list[str] | None = None) -> list[str]:
    """The modes of the ports of some countries (all by default), in MODES order."""
    found = {
        port.mode for code, _name, port in base.ports if countries is None or code in countries
    }
    return [m for m in MODES if m in found]


# --- checks and focus ----------------------------------------------------------------


def _countries_with_ports(base: Scenario) -> list[str]:
    return [code for code, country in base.countries.items() if country.ports]


def _check_against(base: Scenario, controls: Controls) -> None:
    """Names the controls give must exist in the scenario."""
    known = _countries_with_ports(base)
    if controls.countries is not None:
        if not controls.countries:
            raise InvalidControl("countries", _("choose at least one country"))
        for code in controls.countries:
            if code not in known:
                problem = _("'{code}' has no port here; choose from {known}")
                raise InvalidControl("countries", problem.format(code=code, known=", ".join(known)))
    types = station_types(base)
    for code, stations in controls.staffing.items():
        if code not in known:
            problem = _("no port here; choose from {known}").format(known=", ".join(known))
            raise InvalidControl(f"staffing.{code}", problem)
        for name in stations:
            if name not in types[code]:
                problem = _("no such station in this country; its stations: {stations}")
                raise InvalidControl(
                    f"staffing.{code}.{name}", problem.format(stations=", ".join(types[code]))
                )
    if controls.mode is not None:
        _check_mode(base, controls)


def _check_mode(base: Scenario, controls: Controls) -> None:
    """The mode shown must be one of the ports' of the countries shown."""
    modes = modes_of(base, controls.countries)
    if controls.mode in modes:
        return
    if controls.countries:
        problem = _("'{mode}': no such port in the countries shown; choose from {modes}")
    else:
        problem = _("'{mode}': no such port in this scenario; choose from {modes}")
    raise InvalidControl("mode", problem.format(mode=controls.mode, modes=", ".join(modes)))


def _focus(base: Scenario, controls: Controls) -> tuple[list[str], str | None]:
    """The countries and mode to simulate. Ports do not interact and each port's random
    numbers follow its name, so leaving ports out changes no number of those kept. One
    country shown: only its ports; several: every country (the answer speaks of those
    shown, and a region row would pool only some)."""
    known = _countries_with_ports(base)
    shown = controls.countries
    simulated = shown if shown is not None and len(shown) == 1 else known
    return list(simulated), controls.mode


def _focused(scenario: Scenario, countries: list[str], mode: str | None) -> Scenario:
    """The scenario with only the ports of some countries (and one mode); others stay as
    exporters (their AEO shares decide which shipments are eligible)."""
    if len(countries) == len(_countries_with_ports(scenario)) and mode is None:
        return scenario
    data = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    for code, country in data["countries"].items():
        ports = country.get("ports") or {}
        country["ports"] = {
            name: port
            for name, port in ports.items()
            if code in countries and (mode is None or port["mode"] == mode)
        }
    shown = f"ports of {', '.join(countries)}" + (f", {mode} only" if mode else "")
    focused = scenario_from_dict(data, f"{scenario.origin.path or scenario.name} ({shown})")
    focused._origin = scenario.origin
    return focused


def _scenario_argument(base: Scenario) -> str:
    """The scenario as a command names it: a bundled one by its name, else its path."""
    path = base.origin.path
    if path is None:
        return base.name
    file = Path(path)
    if file.parent.resolve() == BUNDLED.resolve():
        return file.stem
    return str(file)


def _yaml_value(value: Any) -> str:
    """A value as ``--set`` reads it (YAML; JSON is YAML)."""
    return json.dumps(value, separators=(", ", ": "))
