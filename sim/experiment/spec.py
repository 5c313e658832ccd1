"""Experiment files: YAML in, a validated experiment out.

An experiment is a scenario, fixed overrides (``set:``), factors (any ``--set``
path, with levels for a grid or a ``[low, high]`` range for a Latin hypercube
or a Sobol' design), a replication rule, a seed and the indicators to keep.
Everything a user can get wrong is checked here, before anything runs, and
reported as one line naming the field (and, for factors, the design point):
:func:`point_scenarios` builds and validates the scenario of every point.

A factor is an integer when the scenario schema says so (``servers``), a real
number when the schema says so (``utilisation``), and otherwise as its levels
say; that decides how sampled designs round it (see :mod:`.design`).
"""

from __future__ import annotations

import copy
import hashlib
import math
import re
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sim.errors import InputError
from sim.experiment.keys import metric_of
from sim.indicators.layout import Layout
from sim.language import _
from sim.model.load import read_yaml_mapping, scenario_from_dict
from sim.model.pydantic_text import did_you_mean, validation_problem
from sim.model.schema import Scenario
from sim.plan.compile import compile_plan
from sim.plan.expect import simulated_shipments

DESIGNS = ("grid", "lhs", "sobol")
TASK_SHIPMENTS = 1_500_000
"""Simulated shipments per task: about half a second of one core (~3 M shipments/s end to end
on the reference office). Dask costs ~1 ms a task and the parent ~5 ms to store its result, so
scheduling stays near 1% of the work. A constant, so that task ids follow from the file alone."""
FIRST_ROUND = 10
"""Replications of a point before a precision rule first judges its half-widths."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class DesignSpec(_Strict):
    """``{type: grid}``, ``{type: lhs, points: N}`` or ``{type: sobol, points: N}``."""

    type: Literal["grid", "lhs", "sobol"]
    points: int | None = Field(default=None, strict=True, ge=2)


class PrecisionRule(_Strict):
    """Add replications until every headline indicator's relative 95% half-width is met."""

    precision: float = Field(gt=0, lt=1)
    max: int = Field(strict=True, ge=2)
    min: int = Field(default=FIRST_ROUND, strict=True, ge=2)


class ExperimentFile(_Strict):
    """The experiment file as written, before its scenario is read."""

    name: str = Field(min_length=1)
    description: str = ""
    scenario: str
    design: DesignSpec
    factors: dict[str, list[Any]] = Field(min_length=1)
    replications: int | dict[str, Any]  # a count, or a PrecisionRule (read on its own)
    seed: int | None = Field(default=None, strict=True, ge=0)
    indicators: list[str] | None = Field(default=None, min_length=1)
    set_: dict[str, Any] = Field(default_factory=dict, alias="set")
    replications_per_task: int | None = Field(default=None, strict=True, ge=1)
    uncertainty: int | None = Field(default=None, strict=True, ge=2)

    @field_validator("name")
    @classmethod
    def _folder_name(cls, name: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name):
            raise ValueError(
                _("use letters, digits, '-', '_' and '.' (it names the results folder)")
            )
        return name

    @field_validator("replications", mode="before")
    @classmethod
    def _whole_or_rule(cls, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | dict):
            raise ValueError(_("give a number of replications, or {precision: 0.01, max: 5000}"))
        if isinstance(value, int) and value < 1:
            raise ValueError(_("must be at least 1 (got {value})").format(value=value))
        return value


@dataclass(frozen=True)
class Factor:
    """A scenario field the design varies: grid levels, or the ``(low, high)`` of a range."""

    path: str
    levels: tuple[Any, ...]
    integer: bool = False

    @property
    def low(self) -> Any:
        return self.levels[0]

    @property
    def high(self) -> Any:
        return self.levels[-1]


@dataclass(frozen=True)
class Experiment:
    """A validated experiment file, its scenario and the digest that names its results."""

    path: Path
    name: str
    description: str
    scenario_path: Path
    base: dict[str, Any]  # the scenario's data with ``set:`` applied
    settings: dict[str, Any]  # the ``set:`` overrides
    design: str
    points: int | None  # lhs: points; sobol: base samples N (N x (factors + 2) points)
    factors: tuple[Factor, ...]
    replications: int  # fixed count; with a precision rule, the first round
    precision: float | None
    max_replications: int
    seed: int
    indicators: tuple[str, ...] | None  # metrics kept; None keeps them all
    replications_per_task: int
    digest: str  # names the results: the experiment file, its scenario file, the overrides
    file_hashes: dict[str, str]
    overrides: dict[str, int] = field(default_factory=dict)  # -n, --points: a trial run
    uncertainty: int | None = None  # draws of the scenario's uncertain inputs at every point

    @property
    def trial_suffix(self) -> str:
        """``-n5-points16`` for a trial run's default folder, beside the file's own."""
        return "".join(f"-{key}{value}" for key, value in self.overrides.items())

    @property
    def source(self) -> str:
        return str(self.path)


# --- reading ------------------------------------------------------------------------


def load_experiment(
    path: str | Path,
    replications: int | None = None,
    points: int | None = None,
    uncertainty: int | None = None,
) -> Experiment:
    """Read and validate an experiment file and its scenario (not yet the design points).

    ``replications`` and ``points`` override the file's for a trial run (``-n``,
    ``--points``): a fixed number of replications per point, and the size of a sampled
    design. They are part of the digest, so a trial's results never mix with the file's.
    ``uncertainty`` (``--uncertainty N``) overrides the file's ``uncertainty:``; it is not
    part of the digest: the points' own replications are the same with or without it, and
    the draws are stored by their own digests.
    """
    path = Path(path)
    source = str(path)
    data, text = read_yaml_mapping(path, "name:, scenario:, design:, factors:, ...")
    try:
        spec = ExperimentFile.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        raise InputError(source, _loc(error), _problem(error)) from None
    overrides = {
        key: value for key, value in (("n", replications), ("points", points)) if value is not None
    }
    if points is not None:
        spec = spec.model_copy(update={"design": _points_override(spec.design, points)})
    if replications is not None:
        spec = spec.model_copy(update={"replications": replications})
    _check_design(spec, source)
    if uncertainty is not None:
        spec = spec.model_copy(update={"uncertainty": uncertainty})
    _check_uncertainty(spec, source, "--uncertainty" if uncertainty is not None else None)
    scenario_path = (path.parent / spec.scenario).resolve()
    if not scenario_path.is_file():
        raise InputError(
            source,
            "scenario",
            _("no such file: {scenario_path}").format(scenario_path=scenario_path),
        )
    scenario_data, scenario_text = read_yaml_mapping(scenario_path, "name:, countries:, ...")
    base, base_scenario = _apply_settings(spec, scenario_data, source, str(scenario_path))
    factors = tuple(_factor(spec, base_scenario, p, v, source) for p, v in spec.factors.items())
    _check_overlaps(spec, source)
    precision: float | None
    if isinstance(spec.replications, int):  # a fixed count
        precision, first, maximum = None, spec.replications, spec.replications
    else:
        rule = _precision_rule(spec.replications, source)
        precision, first, maximum = rule.precision, min(rule.min, rule.max), rule.max
    hashes = {
        "experiment_sha256": hashlib.sha256(text.encode()).hexdigest(),
        "scenario_sha256": hashlib.sha256(scenario_text.encode()).hexdigest(),
    }
    named = "/".join([*hashes.values(), *(f"{k}={v}" for k, v in overrides.items())])
    digest = hashlib.sha256(named.encode()).hexdigest()[:16]
    return Experiment(
        path=path,
        name=spec.name,
        description=spec.description,
        scenario_path=scenario_path,
        base=base,
        settings=dict(spec.set_),
        design=spec.design.type,
        points=spec.design.points,
        factors=factors,
        replications=first,
        precision=precision,
        max_replications=maximum,
        seed=base_scenario.seed if spec.seed is None else spec.seed,
        indicators=_indicators(spec, base_scenario, source),
        replications_per_task=spec.replications_per_task
        or _task_size(base_scenario, maximum, precision is not None),
        digest=digest,
        file_hashes=hashes,
        overrides=overrides,
        uncertainty=spec.uncertainty,
    )


def _points_override(design: DesignSpec, points: int) -> DesignSpec:
    """The design with ``--points``: refused for a grid, and for a Sobol' design unless a
    power of 2, in one line naming the option."""
    if design.type == "grid":
        raise InputError(
            "--points",
            str(points),
            _("a grid's points are its levels; --points sizes lhs and sobol"),
        )
    if points < 2:
        raise InputError("--points", str(points), _("give at least 2 points"))
    if design.type == "sobol" and points & (points - 1):
        lower = 1 << (points.bit_length() - 1)
        raise InputError(
            "--points",
            str(points),
            _(
                "a Sobol' design needs a power of 2 (its balance properties depend on it); use "
                "{lower} or {higher}"
            ).format(lower=lower, higher=2 * lower),
        )
    return design.model_copy(update={"points": points})


def _loc(error: Any, prefix: tuple[str, ...] = ()) -> str:
    """A pydantic error location as a field path (``set`` for the aliased field)."""
    return ".".join(["set" if p == "set_" else str(p) for p in (*prefix, *error["loc"])])


def _precision_rule(value: dict[str, Any], source: str) -> PrecisionRule:
    try:
        return PrecisionRule.model_validate(value)
    except ValidationError as exc:
        error = exc.errors()[0]
        raise InputError(source, _loc(error, ("replications",)), _problem(error)) from None


def _problem(error: Any) -> str:
    """A pydantic error of an experiment file, said in the active language."""
    kind = error["type"]
    if kind == "extra_forbidden":
        model: type[_Strict] = ExperimentFile
        if len(error["loc"]) > 1:
            model = DesignSpec if error["loc"][0] == "design" else PrecisionRule
        names = [info.alias or name for name, info in model.model_fields.items()]
        return _("unknown field{hint}").format(hint=did_you_mean(error["loc"][-1], names))
    if kind == "literal_error":
        return _("'{input}' is not allowed; use one of {expected}").format(
            input=error["input"], expected=", ".join(DESIGNS)
        )
    return validation_problem(error)


def _check_design(spec: ExperimentFile, source: str) -> None:
    design = spec.design
    if design.type == "grid" and design.points is not None:
        raise InputError(
            source, "design.points", _("a grid's points are its levels; remove points")
        )
    if design.type != "grid" and design.points is None:
        raise InputError(
            source, "design.points", _("a {type} design needs points: N").format(type=design.type)
        )
    points = design.points
    if design.type == "sobol" and points is not None and points & (points - 1):
        lower = 1 << (points.bit_length() - 1)
        raise InputError(
            source,
            "design.points",
            _(
                "a Sobol' design needs a power of 2 (its balance properties depend on it); use "
                "{lower} or {higher}"
            ).format(lower=lower, higher=2 * lower),
        )


def _check_uncertainty(spec: ExperimentFile, source: str, option: str | None) -> None:
    """Draws run the points' fixed number of replications each: a precision rule, which
    stops each point at its own count, has no count to give them."""
    draws = spec.uncertainty
    if draws is None:
        return
    if option is not None and draws < 2:
        raise InputError(option, str(draws), _("give at least 2 draws (64 to 256 are usual)"))
    if not isinstance(spec.replications, int):
        raise InputError(
            option or source,
            str(draws) if option else "uncertainty",
            _(
                "the draws of the uncertain inputs take a fixed number of replications "
                "(replications: N), which each draw runs; a precision rule gives none"
            ),
        )


def _apply_settings(
    spec: ExperimentFile, scenario_data: dict[str, Any], source: str, scenario_source: str
) -> tuple[dict[str, Any], Scenario]:
    """The scenario with ``set:`` applied, validated; a problem is blamed on what caused it."""
    base = copy.deepcopy(scenario_data)
    for path, value in spec.set_.items():
        try:
            put(base, path, value)
        except ValueError as exc:
            raise InputError(source, f"set.{path}", str(exc)) from None
    try:
        return base, scenario_from_dict(copy.deepcopy(base), scenario_source)
    except InputError as exc:
        blamed = _blame(exc.field, spec.set_)
        if blamed is None:
            raise
        raise InputError(source, f"set.{blamed}", f"{exc.field}: {exc.problem}") from None


def put(data: dict[str, Any], path: str, value: Any) -> None:
    """Set a dotted path in raw scenario data, creating missing sections (as ``--set`` does)."""
    node = data
    keys = path.split(".")
    for depth, key in enumerate(keys[:-1]):
        child = node.get(key)
        if child is None:
            child = node[key] = {}
        if not isinstance(child, dict):
            raise ValueError(
                _("'{where}' is a value, not a section").format(where=".".join(keys[: depth + 1]))
            )
        node = child
    node[keys[-1]] = copy.deepcopy(value)


def _blame(field: str, paths: Any) -> str | None:
    """The one path (factor or ``set:`` entry) a scenario error lies in, or the only one that
    lies inside the erring field; None when no path, or several, could have caused it."""
    for path in paths:
        if _within(field, path):
            return str(path)
    inside = [str(path) for path in paths if _within(path, field)]
    return inside[0] if len(inside) == 1 else None


def _within(field: str, path: str) -> bool:
    return field == path or field.startswith((f"{path}.", f"{path}["))


# --- factors --------------------------------------------------------------------------


def _factor(
    spec: ExperimentFile, scenario: Scenario, path: str, levels: list[Any], source: str
) -> Factor:
    """A factor: its path checked against the scenario, its levels or range checked."""
    field = f"factors.{path}"
    if path == "seed":
        raise InputError(source, field, _("the seed is the experiment's (seed:), not a factor"))
    try:
        kind = field_kind(scenario, path)
    except ValueError as exc:
        raise InputError(source, field, str(exc)) from None
    if not levels:
        raise InputError(source, field, _("give at least one level"))
    if spec.design.type == "grid":
        if kind is float:
            levels = [float(v) if _is_number(v) else v for v in levels]
        repeated = _first_repeated(levels)
        if repeated is not None:
            raise InputError(
                source, field, _("level {repeated!r} is given twice").format(repeated=repeated[0])
            )
        integer = kind is int or (kind is None and all(_is_int(v) for v in levels))
        return Factor(path, tuple(levels), integer)
    return _range_factor(spec.design.type, path, levels, kind, source)


def _first_repeated(levels: list[Any]) -> tuple[Any] | None:
    """The first level equal to an earlier one: in one pass over numbers and names (a grid
    may have a great many), by comparison with the earlier ones for mappings and lists."""
    seen: set[Any] = set()
    unhashable: list[Any] = []
    for level in levels:
        try:
            if level in seen:
                return (level,)
            seen.add(level)
        except TypeError:
            if level in unhashable:
                return (level,)
            unhashable.append(level)
    return None


def _range_factor(design: str, path: str, bounds: list[Any], kind: Any, source: str) -> Factor:
    field = f"factors.{path}"
    if kind not in (int, float, None) or len(bounds) != 2 or not all(map(_is_number, bounds)):
        raise InputError(
            source,
            field,
            _("a {design} factor takes a numeric range [low, high]").format(design=design),
        )
    low, high = bounds
    if not low < high:
        raise InputError(
            source,
            field,
            _("low must be below high (got [{low}, {high}])").format(low=low, high=high),
        )
    integer = kind is int or (kind is None and _is_int(low) and _is_int(high))
    if integer and not (_is_int(low) and _is_int(high)):
        raise InputError(
            source,
            field,
            _("an integer field takes whole bounds (got [{low}, {high}])").format(
                low=low, high=high
            ),
        )
    if not integer:
        low, high = float(low), float(high)
    return Factor(path, (low, high), integer)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def field_kind(scenario: Scenario, path: str) -> type | None:
    """The type (``int``, ``float``, ``bool``, ``str``) the schema gives the field at ``path``.

    Walks the validated scenario, so a path through a name that does not exist (a port,
    a station) is refused with the names that do. ``None`` when the schema cannot say (a
    section the scenario leaves out, a union of kinds).
    """
    node: Any = scenario
    annotation: Any = Scenario
    keys = path.split(".")
    for depth, key in enumerate(keys):
        where = ".".join(keys[:depth]) or "the scenario"
        model = _model_of(node, annotation)
        if model is not None:
            fields = {info.alias or name: name for name, info in model.model_fields.items()}
            if key not in fields:
                hint = did_you_mean(key, list(fields))
                raise ValueError(
                    _("{where} has no field '{key}'{hint}").format(where=where, key=key, hint=hint)
                )
            annotation = model.model_fields[fields[key]].annotation
            node = getattr(node, fields[key]) if isinstance(node, BaseModel) else None
        elif isinstance(node, dict):
            if key not in node:
                names = ", ".join(map(str, node)) or "none"
                raise ValueError(
                    _("{where} has no '{key}'; it has: {names}").format(
                        where=where, key=key, names=names
                    )
                )
            annotation = _value_annotation(annotation)
            node = node[key]
        elif node is None:
            return None  # inside a section the scenario leaves out: its creation is judged later
        else:
            raise ValueError(_("'{where}' is a value, not a section").format(where=where))
    return _scalar_kind(annotation)


def _model_of(node: Any, annotation: Any) -> type[BaseModel] | None:
    """The model class to look fields up in: the node's own, or the only one an absent
    optional section could hold."""
    if isinstance(node, BaseModel):
        return type(node)
    if node is not None:
        return None
    models = [a for a in _flatten(annotation) if isinstance(a, type) and issubclass(a, BaseModel)]
    return models[0] if len(models) == 1 else None


def _flatten(annotation: Any) -> list[Any]:
    """The plain types inside ``Annotated`` and unions."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _flatten(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return [t for arg in get_args(annotation) for t in _flatten(arg)]
    return [annotation]


def _value_annotation(annotation: Any) -> Any:
    for candidate in _flatten(annotation):
        if get_origin(candidate) is dict:
            return get_args(candidate)[1]
    return None


def _scalar_kind(annotation: Any) -> type | None:
    kinds = {t for t in _flatten(annotation) if t is not type(None)}
    return kinds.pop() if len(kinds) == 1 and next(iter(kinds)) in (int, float, bool, str) else None


def _check_overlaps(spec: ExperimentFile, source: str) -> None:
    """No factor may lie inside another factor or a ``set:`` entry: the last one would win."""
    paths = list(spec.factors)
    for i, path in enumerate(paths):
        for kind, others in (("factor", paths[:i]), ("set: entry", list(spec.set_))):
            for other in others:
                if _within(path, other) or _within(other, path):
                    raise InputError(
                        source,
                        f"factors.{path}",
                        _("overlaps the {kind} '{other}'").format(kind=kind, other=other),
                    )


def _indicators(spec: ExperimentFile, scenario: Scenario, source: str) -> tuple[str, ...] | None:
    if spec.indicators is None:
        return None
    known = list(dict.fromkeys(metric_of(row) for row in Layout.of(compile_plan(scenario)).rows))
    for i, name in enumerate(spec.indicators):
        if name not in known:
            hint = did_you_mean(name, known)
            raise InputError(
                source,
                f"indicators[{i}]",
                _("unknown indicator '{name}'{hint}").format(name=name, hint=hint),
            )
    return tuple(dict.fromkeys(spec.indicators))


def _task_size(scenario: Scenario, replications: int, adaptive: bool) -> int:
    """Replications per task: about TASK_SHIPMENTS simulated shipments, split evenly.

    A function of the files alone (never of the number of workers), so a resumed run
    finds the same task ids whatever ``-w`` it is given.
    """
    shipments = simulated_shipments(compile_plan(scenario).ports)
    cap = max(1, int(TASK_SHIPMENTS // max(shipments, 1.0)))
    if adaptive:
        return min(cap, replications)
    tasks = math.ceil(replications / cap)
    return math.ceil(replications / tasks)


# --- design points -----------------------------------------------------------------------


def point_scenarios(experiment: Experiment, points: list[dict[str, Any]]) -> list[Scenario]:
    """The validated scenario of every design point; the first bad one stops everything."""
    return [point_scenario(experiment, values, index) for index, values in enumerate(points)]


def point_scenario(experiment: Experiment, values: dict[str, Any], index: int) -> Scenario:
    """The validated scenario of design point ``index`` (its factors' ``values``).

    An error names the factor it lies in and the point (with the value there); a
    problem no single factor owns names the point and all its values.
    """
    data = copy.deepcopy(experiment.base)
    for path, value in values.items():
        put(data, path, value)
    try:
        return scenario_from_dict(data, experiment.source)
    except InputError as exc:
        blamed = _blame(exc.field, values)
        if blamed is None:
            shown = ", ".join(f"{p}={v!r}" for p, v in values.items())
            raise InputError(
                experiment.source,
                "factors",
                _("point {index} ({shown}) makes an invalid scenario: {field}: {problem}").format(
                    index=index, shown=shown, field=exc.field, problem=exc.problem
                ),
            ) from None
        raise InputError(
            experiment.source,
            f"factors.{blamed}",
            _(
                "point {index} ({blamed}={value!r}) makes an invalid scenario: {field}: {problem}"
            ).format(
                index=index,
                blamed=blamed,
                value=values[blamed],
                field=exc.field,
                problem=exc.problem,
            ),
        ) from None


def design_size(experiment: Experiment) -> int:
    """How many points the design has, counted without making them."""
    if experiment.design == "grid":
        return math.prod(len(factor.levels) for factor in experiment.factors)
    assert experiment.points is not None
    if experiment.design == "sobol":  # N base samples make N x (factors + 2) points
        return experiment.points * (len(experiment.factors) + 2)
    return experiment.points


def short_names(paths: list[str]) -> dict[str, str]:
    """The shortest dotted suffix of two or more parts that tells each factor path apart
    (``physical.servers``, ``service_h.mean``)."""
    names = {}
    for path in paths:
        keys = path.split(".")
        for depth in range(min(2, len(keys)), len(keys) + 1):
            name = ".".join(keys[-depth:])
            if sum(p == name or p.endswith("." + name) for p in paths) == 1:
                break
        names[path] = name
    return names
