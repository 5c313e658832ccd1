"""Calibration to published tables: chosen fields fitted so that summary metrics hit targets.

A Time Release Study report publishes means or medians by mode, channel and trader
group, and channel shares. A targets file lists them, each with the summary row it
is read as (country, and a port or a mode, or neither for the whole country;
group; metric, any of the summary table's), its value, its source (a citation of
``docs/sources.md``) and a relative tolerance. ``--fit PATH=[LOW,HIGH]`` names the
fields to fit, as raw ``--set`` paths into the template (they may point into
``port_defaults`` or ``mode_defaults``), each with its range; several paths joined by
commas are one field written in several places (a value the template repeats, such as a
recognised AEO's lodgement lag that equals the standard one).

The fit minimises the targets' relative errors, each divided by its tolerance,
with ``scipy.optimize.least_squares`` (trust region, bounded) over the ranges
scaled to [0, 1]. Every evaluation simulates the same replications with the same
seeds (common random numbers), so the objective is deterministic, and only the
ports some target reads are simulated. Which targets a field can move is found
once, before the fit: first the ports whose expanded definition the field changes
(a field that changes none is an error), then one simulation per field at the
starting point, since on common random numbers a target that a field cannot move
does not move by a single bit (a lodgement lag leaves the green share exactly as
it was). The solver is given that sparsity and perturbs together the fields that
move disjoint targets (Brazil's sea, air and road lags, say), so each later
Jacobian costs one simulation per group rather than one per field.

The fit starts from the middle of each range, not from the template's value: a
fitted file refitted with the same command gives the same numbers. A probability
fitted inside a mapping that must sum to one (channels, origins) rescales its
siblings to keep the sum.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from scipy import optimize

from sim.calibrate import provenance, writeback
from sim.calibrate.port import Estimate
from sim.errors import InputError
from sim.indicators.layout import area_metrics
from sim.language import _
from sim.model.load import load_scenario, scenario_from_dict
from sim.model.pydantic_text import validation_problem
from sim.model.schema import Calibration, Scenario
from sim.model.sources import SOURCES_MD, find_citations, read_sections, source_problems
from sim.model.vocabulary import ALL, SUMMARY_GROUPS
from sim.records.read import sha256_of
from sim.replicate.runner import default_workers, run

CONFIDENCE = 0.95
REPLICATIONS = 10
"""Replications of each simulation of the fit (the same seeds every time)."""
STEP = 0.02
"""Finite-difference step on the ranges scaled to [0, 1]: 2% of each range."""
CLOSE_ENOUGH = 0.1
"""The fit stops once every target is within a tenth of its tolerance."""
PROBABILITY_KEYS = frozenset({"green", "yellow", "red"})


class Target(BaseModel):
    """One published figure and the summary row it is read as."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    country: str
    port: str | None = None
    mode: str | None = None
    group: str = ALL
    metric: str
    value: float = Field(gt=0, allow_inf_nan=False)
    source: str = Field(min_length=1)
    tolerance: float = Field(gt=0, lt=1)  # relative: 0.15 = within 15% of the value
    note: str = ""

    @property
    def label(self) -> str:
        where = self.port or self.mode or "all"
        return f"{self.country} {where} {self.group} {self.metric}"


class TargetFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str = ""
    targets: list[Target] = Field(min_length=1)


@dataclass(frozen=True)
class Parameter:
    """A field to fit: its raw path(s) in the template and its range."""

    paths: tuple[str, ...]
    low: float
    high: float

    @property
    def path(self) -> str:
        return ",".join(self.paths)

    def value(self, u: float) -> float:
        return self.low + u * (self.high - self.low)


@dataclass
class TargetsCalibration:
    """The outcome of ``mrasim calibrate --targets``."""

    template_path: Path
    targets_path: Path
    targets: TargetFile
    parameters: list[Parameter]
    estimates: list[Estimate]
    table: pd.DataFrame  # each target: published, simulated with interval, relative error
    fitted: Scenario
    text: str  # the fitted scenario file
    calibration: Calibration
    evaluations: int
    solver: str
    statistics: dict[str, float] = field(default_factory=dict)

    @property
    def within(self) -> bool:
        return bool(self.table.within.all())


# --- reading ----------------------------------------------------------------------------


def read_targets(path: Path, scenario: Scenario) -> TargetFile:
    """Load and check a targets file: fields, sources and the rows they name."""
    source = str(path)
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(source, "", _("cannot read the file ({exc})").format(exc=exc)) from None
    except yaml.YAMLError as exc:
        raise InputError(
            source, "", _("invalid YAML ({problem})").format(problem=str(exc).splitlines()[0])
        ) from None
    try:
        targets = TargetFile.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(f"[{k}]" if isinstance(k, int) else str(k) for k in error["loc"])
        raise InputError(source, where.replace(".[", "["), validation_problem(error)) from None
    sections = read_sections() if SOURCES_MD.exists() else None
    metrics = {"utilisation_rate", *area_metrics(scenario.cost_of_delay.rates_per_day)}
    for i, target in enumerate(targets.targets):
        at = f"targets[{i}]"
        if sections is not None:
            problems = source_problems(target.source, f"{source}: {at}.source", sections)
        elif not find_citations(target.source):
            problem = _("cites no section of {file}").format(file="docs/sources.md")
            problems = [f"{source}: {at}.source: {problem}"]
        else:
            problems = []
        if problems:
            raise InputError(source, f"{at}.source", problems[0].split(": ", 2)[-1])
        _check_target(target, scenario, source, at, metrics)
    return targets


def _check_target(target: Target, scenario: Scenario, source: str, at: str, metrics) -> None:
    def fail(name: str, problem: str) -> NoReturn:
        raise InputError(source, f"{at}.{name}", problem)

    country = scenario.countries.get(target.country)
    if country is None or not country.ports:
        fail("country", _("'{country}' has no port in the scenario").format(country=target.country))
    if target.port is not None and target.mode is not None:
        fail("mode", _("give a port or a mode, not both"))
    if target.port is not None and target.port not in country.ports:
        fail(
            "port",
            _("'{port}' is not a port of {country}").format(
                port=target.port, country=target.country
            ),
        )
    if target.mode is not None and not any(p.mode == target.mode for p in country.ports.values()):
        fail(
            "mode",
            _("{country} has no {mode} port").format(country=target.country, mode=target.mode),
        )
    if target.group not in SUMMARY_GROUPS:
        fail(
            "group",
            _("'{group}' is not a group; use one of {summary_groups}").format(
                group=target.group, summary_groups=", ".join(SUMMARY_GROUPS)
            ),
        )
    if target.metric not in metrics:
        fail(
            "metric",
            _("'{metric}' is not a summary metric of an area").format(metric=target.metric),
        )


def parse_fit(text: str) -> Parameter:
    """``PATH=[LOW,HIGH]`` -> Parameter (bad input: one line naming --fit)."""
    path, sep, raw = text.partition("=")
    if not sep or not path:
        raise InputError("--fit", text, _("expected PATH=[LOW,HIGH]"))
    try:
        bounds = yaml.safe_load(raw)
    except yaml.YAMLError:
        bounds = None
    if not (
        isinstance(bounds, list)
        and len(bounds) == 2
        and all(isinstance(b, int | float) and not isinstance(b, bool) for b in bounds)
        and bounds[0] < bounds[1]
    ):
        raise InputError(
            "--fit", path, _("'{raw}' is not a range [LOW,HIGH] with LOW < HIGH").format(raw=raw)
        )
    return Parameter(tuple(path.split(",")), float(bounds[0]), float(bounds[1]))


def _raw_value(data: dict[str, Any], path: str) -> Any:
    node: Any = data
    for key in path.split("."):
        if not isinstance(node, dict) or key not in node:
            raise InputError(
                "--fit", path, _("the template has no field '{key}' there").format(key=key)
            )
        node = node[key]
    return node


# --- the model as a function of the fitted fields -----------------------------------------


class Model:
    """Targets simulated as a function of the fitted fields (on common random numbers)."""

    def __init__(
        self,
        data: dict[str, Any],
        source: str,
        parameters: list[Parameter],
        targets: TargetFile,
        replications: int,
        seed: int,
        workers: int,
    ) -> None:
        self.data, self.source = data, source
        self.parameters, self.targets = parameters, targets
        self.replications, self.seed, self.workers = replications, seed, workers
        self.evaluations = 0
        self._residuals: dict[bytes, np.ndarray] = {}  # the solver asks again for points seen
        base = scenario_from_dict(copy.deepcopy(data), source)
        self.ports = _target_ports(base, targets)

    def raw(self, values: np.ndarray) -> dict[str, Any]:
        """The template's data with the fitted fields set (and probability siblings rescaled)."""
        data = copy.deepcopy(self.data)
        for parameter, value in zip(self.parameters, values, strict=True):
            for path in parameter.paths:
                set_field(data, path, float(value))
        return data

    def scenario(self, values: np.ndarray) -> Scenario:
        return scenario_from_dict(self.raw(values), self.source)

    def simulate(self, values: np.ndarray) -> pd.DataFrame:
        """Each target's simulated mean and interval at these field values."""
        self.evaluations += 1
        scenario = _restricted(self.scenario(values), self.ports)
        summary = run(
            scenario, replications=self.replications, seed=self.seed, workers=self.workers
        ).table()
        rows = []
        for target in self.targets.targets:
            row = _summary_row(summary, scenario, target)
            rows.append((row["mean"], row["ci_low"], row["ci_high"]))
        return pd.DataFrame(rows, columns=["simulated", "ci_low", "ci_high"])

    def residuals(self, u: np.ndarray) -> np.ndarray:
        """Each target's relative error over its tolerance, at fields u (scaled to [0, 1])."""
        key = np.asarray(u, dtype=float).tobytes()
        if key not in self._residuals:
            values = [p.value(x) for p, x in zip(self.parameters, u, strict=True)]
            simulated = self.simulate(np.array(values)).simulated.to_numpy()
            published = np.array([t.value for t in self.targets.targets])
            tolerance = np.array([t.tolerance for t in self.targets.targets])
            self._residuals[key] = (simulated - published) / (published * tolerance)
        return self._residuals[key].copy()

    def sparsity(self) -> np.ndarray:
        """Which targets each field moves: those reading a port it changes (an error if none)
        that move when the field alone moves from the middle of the ranges. This is the
        first Jacobian, one simulation per field; later ones perturb fields together."""
        possible = self.port_sparsity()
        unmoved = [
            p.path
            for p, moves in zip(self.parameters, np.asarray(possible.any(axis=0)), strict=True)
            if not moves
        ]
        if unmoved:
            raise InputError("--fit", unmoved[0], _("changes no port that a target reads"))
        middle = np.full(len(self.parameters), 0.5)
        self.jacobian(middle, np.ones_like(possible))
        return possible & (self._last_jacobian != 0)

    def jacobian(self, u: np.ndarray, sparsity: np.ndarray) -> np.ndarray:
        """Forward differences (backward at the upper bound), perturbing together the fields
        that move disjoint sets of targets: one simulation per group."""
        base = self.residuals(u)
        out = np.zeros(sparsity.shape)
        for group in _groups(sparsity):
            step = np.zeros(len(u))
            for j in group:
                step[j] = STEP if u[j] + STEP <= 1.0 else -STEP
            moved = self.residuals(u + step)
            for j in group:
                rows = sparsity[:, j]
                out[rows, j] = (moved[rows] - base[rows]) / step[j]
        self._last_jacobian = out
        return out

    def port_sparsity(self) -> np.ndarray:
        """Which targets each field can move: those reading a port the field changes."""
        base = self.scenario(np.array([p.value(0.5) for p in self.parameters]))
        out = np.zeros((len(self.targets.targets), len(self.parameters)), dtype=bool)
        for j, parameter in enumerate(self.parameters):
            values = np.array([p.value(0.5) for p in self.parameters])
            values[j] = parameter.value(0.25)
            changed = _changed_ports(base, self.scenario(values))
            for i, target in enumerate(self.targets.targets):
                out[i, j] = bool(changed & _ports_of(base, target))
        return out


def set_field(data: dict[str, Any], path: str, value: float) -> list[str]:
    """Set a raw field; rescale its siblings if it is a probability of a channel mapping or
    an origin share. Returns the paths changed besides ``path``."""
    keys = path.split(".")
    node = data
    for key in keys[:-1]:
        node = node[key]
    key = keys[-1]
    node[key] = value
    siblings = [k for k in node if k != key]
    probability = keys[-2] == "origins" or (set(node) <= PROBABILITY_KEYS and key in node)
    if not probability or not siblings:
        return []
    rest = sum(float(node[k]) for k in siblings)
    for k in siblings:
        share = float(node[k]) / rest if rest > 0 else 1 / len(siblings)
        node[k] = provenance.significant(share * (1 - value))
    largest = max(siblings, key=lambda k: node[k])  # absorbs the rounding: the sum stays 1
    node[largest] = round(1 - value - sum(node[k] for k in siblings if k != largest), 12)
    return [".".join([*keys[:-1], k]) for k in siblings]


def _groups(sparsity: np.ndarray) -> list[list[int]]:
    """Fields in groups whose members move disjoint sets of targets (greedy, in order)."""
    groups: list[list[int]] = []
    rows: list[np.ndarray] = []
    for j in range(sparsity.shape[1]):
        for group, taken in zip(groups, rows, strict=True):
            if not np.any(taken & sparsity[:, j]):
                group.append(j)
                taken |= sparsity[:, j]
                break
        else:
            groups.append([j])
            rows.append(sparsity[:, j].copy())
    return groups


def _target_ports(scenario: Scenario, targets: TargetFile) -> set[tuple[str, str]]:
    ports: set[tuple[str, str]] = set()
    for target in targets.targets:
        ports |= _ports_of(scenario, target)
    return ports


def _ports_of(scenario: Scenario, target: Target) -> set[tuple[str, str]]:
    country = scenario.countries[target.country]
    return {
        (target.country, name)
        for name, port in country.ports.items()
        if (target.port is None or name == target.port)
        and (target.mode is None or port.mode == target.mode)
    }


def _changed_ports(a: Scenario, b: Scenario) -> set[tuple[str, str]]:
    return {
        (code, name) for code, name, port in a.ports if port != b.countries[code].ports.get(name)
    }


def _restricted(scenario: Scenario, ports: set[tuple[str, str]]) -> Scenario:
    """Only the ports some target reads (ports do not interact; their streams follow names)."""
    countries = {
        code: country.model_copy(
            update={"ports": {n: p for n, p in country.ports.items() if (code, n) in ports}}
        )
        for code, country in scenario.countries.items()
    }
    return scenario.model_copy(update={"countries": countries})


def _summary_row(summary: pd.DataFrame, scenario: Scenario, target: Target) -> pd.Series:
    mode: str
    if target.port is not None:
        mode, port = scenario.countries[target.country].ports[target.port].mode, target.port
    else:
        mode, port = target.mode or ALL, ALL
    rows = summary[
        (summary.country == target.country)
        & (summary["mode"] == mode)
        & (summary.port == port)
        & (summary.group == target.group)
        & summary.station.isna()
        & (summary.metric == target.metric)
    ]
    return rows.iloc[0]


# --- the fit ---------------------------------------------------------------------------------


def calibrate_targets(
    targets_path: Path,
    template_path: Path,
    fits: list[str],
    *,
    replications: int = REPLICATIONS,
    seed: int | None = None,
    workers: int | None = None,
    command: str | None = None,
) -> TargetsCalibration:
    """Fit the ``--fit`` fields of the template to the targets (see the module docstring)."""
    template = load_scenario(template_path)
    targets = read_targets(Path(targets_path), template)
    if not fits:
        raise InputError("--fit", "", _("name at least one field to fit: --fit PATH=[LOW,HIGH]"))
    parameters = [parse_fit(text) for text in fits]
    data = yaml.safe_load(Path(template_path).read_text(encoding="utf-8"))
    for parameter in parameters:
        for path in parameter.paths:
            current = _raw_value(data, path)
            if isinstance(current, bool) or not isinstance(current, int | float):
                raise InputError("--fit", path, _("must name a number in the template"))
    seed = template.seed if seed is None else seed
    workers = default_workers() if workers is None else workers
    model = Model(data, str(template_path), parameters, targets, replications, seed, workers)
    sparsity = model.sparsity()
    first_jacobian = model._last_jacobian

    def jacobian(u: np.ndarray) -> np.ndarray:
        middle = np.all(u == 0.5)
        return first_jacobian if middle else model.jacobian(u, sparsity)

    def close_enough(intermediate_result: optimize.OptimizeResult) -> None:
        if np.max(np.abs(intermediate_result.fun)) <= CLOSE_ENOUGH:
            raise StopIteration

    solution = optimize.least_squares(
        model.residuals,
        np.full(len(parameters), 0.5),
        jac=jacobian,
        bounds=(0.0, 1.0),
        x_scale=1.0,
        xtol=5e-3,
        ftol=1e-3,
        max_nfev=30,
        method="trf",
        callback=close_enough,
    )
    solver = (
        f"stopped with every target within {CLOSE_ENOUGH:g} of its tolerance"
        if solution.status == -2
        else str(solution.message)
    )
    fitted_values = [
        provenance.significant(p.value(x)) for p, x in zip(parameters, solution.x, strict=True)
    ]
    final = model.simulate(np.array(fitted_values))
    table = _table(targets, final)
    ranges = _tolerance_ranges(parameters, solution, fitted_values)
    estimates = [
        provenance.rounded(
            Estimate(
                p.path,
                value,
                low,
                high,
                "least squares on relative errors over tolerances, common random numbers; "
                "interval: the tolerance range (see README)",
                template=_raw_value(data, p.paths[0]),
            )
        )
        for p, value, (low, high) in zip(parameters, fitted_values, ranges, strict=True)
    ]
    document = writeback.load_document(template_path)
    raw = model.raw(np.array(fitted_values))
    for parameter in parameters:
        for first in parameter.paths:
            for path in (first, *_siblings(raw, first)):
                writeback.set_value(document, path, _raw_value(raw, path))
    statistics: dict[str, float] = {}
    errors = table[["simulated", "relative_error"]].itertuples(index=False, name=None)
    for target, (simulated, relative_error) in zip(targets.targets, errors, strict=True):
        statistics[f"{target.label}: simulated"] = simulated
        statistics[f"{target.label}: relative error"] = relative_error
    notes = [
        f"{model.evaluations} simulations of {replications} replications (seed {seed}); "
        f"solver: {solver}",
        "every target within tolerance"
        if bool(table.within.all())
        else "NOT every target within tolerance: see statistics",
    ]
    entry = provenance.block(
        "targets",
        str(targets_path),
        sha256_of(Path(targets_path)),
        str(template_path),
        command
        or provenance.command_for(
            template_path, targets=targets_path, fits=fits, replications=replications, seed=seed
        ),
        CONFIDENCE,
        estimates,
        statistics,
        notes,
    )
    writeback.add_calibration(document, entry)
    text = writeback.dump(document, Path(template_path).read_text(encoding="utf-8"))
    fitted = scenario_from_dict(yaml.safe_load(text), f"{template_path} (fitted)")
    return TargetsCalibration(
        Path(template_path),
        Path(targets_path),
        targets,
        parameters,
        estimates,
        table,
        fitted,
        text,
        entry,
        model.evaluations,
        solver,
        statistics,
    )


def _siblings(raw: dict[str, Any], path: str) -> list[str]:
    keys = path.split(".")
    node = _raw_value(raw, ".".join(keys[:-1]))
    probability = keys[-2] == "origins" or set(node) <= PROBABILITY_KEYS
    return [".".join([*keys[:-1], k]) for k in node if k != keys[-1]] if probability else []


def _table(targets: TargetFile, simulated: pd.DataFrame) -> pd.DataFrame:
    rows = []
    estimates = simulated[["simulated", "ci_low", "ci_high"]].itertuples(index=False, name=None)
    for target, (mean, ci_low, ci_high) in zip(targets.targets, estimates, strict=True):
        error = (mean - target.value) / target.value
        rows.append(
            {
                "target": target.label,
                "published": target.value,
                "simulated": mean,
                "ci_low": ci_low,
                "ci_high": ci_high,
                "relative_error": error,
                "tolerance": target.tolerance,
                "within": abs(error) <= target.tolerance,
                "source": target.source,
            }
        )
    return pd.DataFrame(rows)


def _tolerance_ranges(
    parameters: list[Parameter], solution: Any, values: list[float]
) -> list[tuple[float | None, float | None]]:
    """Per field, the range over which every target it moves stays within tolerance.

    Linearised at the solution, the other fields held: target i's scaled error
    r_i + J_ij * du must stay in [-1, 1]. None where no such range contains the value.
    """
    jacobian = solution.jac.toarray() if hasattr(solution.jac, "toarray") else solution.jac
    out: list[tuple[float | None, float | None]] = []
    for j, parameter in enumerate(parameters):
        low_u, high_u = -math.inf, math.inf
        for i, slope in enumerate(jacobian[:, j]):
            if abs(slope) < 1e-12:
                continue
            a, b = (-1 - solution.fun[i]) / slope, (1 - solution.fun[i]) / slope
            low_u, high_u = max(low_u, min(a, b)), min(high_u, max(a, b))
        width = parameter.high - parameter.low
        x = solution.x[j]
        low = max(parameter.low, parameter.low + (x + low_u) * width) if low_u > -math.inf else None
        high = (
            min(parameter.high, parameter.low + (x + high_u) * width) if high_u < math.inf else None
        )
        if low is None or high is None or not low <= values[j] <= high:
            out.append((None, None))
        else:
            out.append((low, high))
    return out
