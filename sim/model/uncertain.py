"""Uncertain inputs: what a scenario does not know about its own values, and how to draw them.

A scenario's values are its best guesses; many rest on no published figure. An
*uncertain input* says how far off a guess may be, and why, beside the value it
qualifies (a scenario's ``uncertainty:`` block, ``--vary`` on the command line, or the
intervals of a ``calibration:`` block, read with no extra typing). Each input is one
factor, drawn once per draw of an uncertainty study, that sets one or several fields:

* ``range: [low, high]``: the fields take the drawn value itself (the scenario's value
  must lie in the range: it is the best guess, not an outlier);
* ``scale: [low, high]``: the fields are multiplied by the drawn factor (1 must lie in
  the range); whole fields (servers) are rounded, and never fall below 1;
* ``range`` with ``between: [A, B]``: the field (a per-group mapping such as
  ``channels.recognised_aeo``) takes the drawn share of the way from its sibling ``A`` to
  its sibling ``B`` (``channels.standard`` to ``channels.national_aeo``: how much of the
  national AEO's treatment recognition grants).

Inputs that move together share one factor (several paths); wildcards ``*`` stand for
any one key (``countries.*.ports.*.value_usd``). A path addresses the scenario as
``mrasim validate --expand`` prints it (every port whole), or a ``port_defaults`` /
``mode_defaults`` layer as written in the file (as ``calibrate`` writes its fits): a layer's
field stands for that field in every port that inherits it from the layer, and no other
(resolved once, when the scenario is read, so a draw changes the expanded scenario only;
a port's own scale of a field then composes with its layer's). A probability that a draw
sets (a channel share, an origin's share) keeps its value, and its untouched siblings are
rescaled to sum to one.

Distributions, on the range: ``uniform`` (the default: nothing but the bounds is
known), ``triangular`` (most plausible at the scenario's value, or at ``peak``),
``loguniform`` (a factor known to an order of magnitude). A fitted field's interval at
confidence c becomes a split normal centred on the estimate whose central c covers the
interval exactly (asymmetric intervals stay asymmetric), truncated where the field must
stop (a share in [0, 1], a time above 0); a one-sided interval (servers never seen all
busy: more servers change nothing) is left fixed. The fitted categories of one probability
vector (a group's channels, a port's origins) are counted in one multinomial, so their
errors are correlated (what one category gains the others lose): :func:`joint_unit` draws
them together, on a Gaussian copula with the multinomial's correlations, each keeping its
own split normal.

:func:`uncertain_inputs` resolves every input of a scenario against its data, once;
:func:`drawn_data` makes the data of one draw (:func:`sim.model.load.drawn_scenario` its
scenario).
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from scipy import stats

from sim.errors import InputError
from sim.language import _
from sim.model.pydantic_text import validation_problem

Dist = Literal["uniform", "triangular", "loguniform"]
LAYERS = ("port_defaults", "mode_defaults")
"""Keys of the defaults layers, which exist only in the file as written."""
SHARE_KEYS = frozenset({"green", "yellow", "red"})
WHOLE = frozenset({"servers"})
"""Fields the schema counts in whole numbers (YAML writes 1 for 1.0, so the value cannot say)."""
"""A mapping with these keys is a probability vector: it sums to one."""
Token = str | int
Path = tuple[Token, ...]


class Scenario(Protocol):
    """What this module reads of a :class:`sim.model.schema.Scenario` (which holds the
    ``uncertainty:`` block, so this module cannot import it)."""

    @property
    def name(self) -> str: ...
    @property
    def uncertainty(self) -> Mapping[str, UncertainInput] | None: ...
    @property
    def calibration(self) -> Any: ...
    @property
    def origin(self) -> Any: ...
    def raw_data(self) -> dict[str, Any]: ...
    def model_dump(
        self, *, mode: str, by_alias: bool, exclude_none: bool = False
    ) -> dict[str, Any]: ...


class UncertainInput(BaseModel):
    """One factor of a scenario's ``uncertainty:`` block (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str | list[str]
    range: tuple[float, float] | None = None
    scale: tuple[float, float] | None = None
    between: tuple[str, str] | None = None
    dist: Dist = "uniform"
    peak: float | None = None
    reason: str = Field(min_length=1)
    mark: str = Field(min_length=1)

    @field_validator("path")
    @classmethod
    def _some_path(cls, path: str | list[str]) -> str | list[str]:
        paths = [path] if isinstance(path, str) else path
        if not paths or not all(isinstance(p, str) and p.strip() for p in paths):
            raise ValueError(_("give a field path, or a list of them"))
        return path

    @model_validator(mode="after")
    def _one_range(self) -> UncertainInput:
        bounds = self.range if self.range is not None else self.scale
        if (self.range is None) == (self.scale is None):
            raise ValueError(_("give either range: [low, high] (values) or scale: [low, high]"))
        assert bounds is not None
        low, high = bounds
        if not (math.isfinite(low) and math.isfinite(high) and low < high):
            raise ValueError(
                _("low must be below high (got [{low:g}, {high:g}])").format(low=low, high=high)
            )
        if self.scale is not None and not low <= 1 <= high:
            raise ValueError(
                _("a scale range must hold 1, the scenario's value (got [{low}, {high}])").format(
                    low=low, high=high
                )
            )
        if self.scale is not None and low <= 0:
            raise ValueError(
                _("a scale factor must be above 0 (got [{low}, {high}])").format(low=low, high=high)
            )
        if self.dist == "loguniform" and low <= 0:
            raise ValueError(_("a loguniform range lies above 0"))
        if self.between is not None and (self.range is None or low < 0 or high > 1):
            raise ValueError(_("between: [A, B] takes range: [low, high] within [0, 1]"))
        if self.peak is not None and not low <= self.peak <= high:
            raise ValueError(
                _("peak {peak:g} lies outside [{low:g}, {high:g}]").format(
                    peak=self.peak, low=low, high=high
                )
            )
        return self

    @property
    def paths(self) -> list[str]:
        return [self.path] if isinstance(self.path, str) else list(self.path)


# --- a resolved input ------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One concrete field an input sets: where, in the scenario expanded (every port whole),
    and its value in the scenario."""

    path: Path
    value: Any

    @property
    def text(self) -> str:
        return join(self.path)


@dataclass(frozen=True)
class Uncertain:
    """An uncertain input resolved against a scenario: its targets and its distribution."""

    name: str
    kind: Literal["range", "scale", "between"]
    low: float
    high: float
    dist: str  # uniform | triangular | loguniform | interval
    targets: tuple[Target, ...]
    reason: str
    mark: str
    origin: str  # "scenario", "--vary" or "calibration"
    peak: float | None = None  # triangular: the mode; interval: the estimate
    confidence: float | None = None  # interval: its confidence level
    floor: float = -math.inf  # interval: where the field must stop
    ceiling: float = math.inf
    between: tuple[str, str] | None = None
    integer: bool = False
    patterns: tuple[str, ...] = field(default=())

    def value(self, u: float) -> float:
        """The input's value at ``u``, the draw's coordinate in [0, 1] (an inverse CDF)."""
        low, high = self.low, self.high
        if self.dist == "uniform":
            return low + u * (high - low)
        if self.dist == "loguniform":
            return math.exp(math.log(low) + u * (math.log(high) - math.log(low)))
        if self.dist == "triangular":
            peak = self.peak if self.peak is not None else (low + high) / 2
            c = (peak - low) / (high - low)
            return float(stats.triang.ppf(u, c, loc=low, scale=high - low))
        return self._split_normal(u)

    def _split_normal(self, u: float) -> float:
        """A split normal at the estimate whose central ``confidence`` is [low, high]."""
        assert self.peak is not None and self.confidence is not None
        z = float(stats.norm.ppf(0.5 + self.confidence / 2))
        left, right = (self.peak - self.low) / z, (self.high - self.peak) / z
        below = left / (left + right) if left + right > 0 else 0.5
        u = min(max(u, 1e-12), 1 - 1e-12)
        if u < below:
            value = self.peak + left * float(stats.norm.ppf(u / below / 2))
        else:
            value = self.peak + right * float(stats.norm.ppf(0.5 + (u - below) / (1 - below) / 2))
        return min(max(value, self.floor), self.ceiling)

    @property
    def paths_text(self) -> str:
        """The paths as given (wildcards kept), for people."""
        return ", ".join(self.patterns or tuple(t.text for t in self.targets))

    def describe(self) -> str:
        """``[0.1, 0.8] uniform``, ``x[0.7, 1.4] triangular``, ``[31.5, 36.1] 95% interval``."""
        bounds = f"[{self.low:.4g}, {self.high:.4g}]"
        if self.kind == "scale":
            bounds = "x" + bounds
        if self.dist == "interval":
            return f"{bounds} {100 * (self.confidence or 0):g}% interval around {self.peak:.4g}"
        shape = self.dist + (f" (peak {self.peak:.4g})" if self.dist == "triangular" else "")
        if self.between is not None:
            return f"{bounds} of the way from {self.between[0]} to {self.between[1]}, {shape}"
        return f"{bounds} {shape}"


# --- paths -----------------------------------------------------------------------------


def split(path: str) -> Path:
    """``a.b[2].c`` -> ("a", "b", 2, "c"); ``*`` stays a key (a wildcard)."""
    tokens: list[Token] = []
    for part in path.split("."):
        match = re.fullmatch(r"([^\[\]]*)((?:\[\d+\])*)", part)
        if match is None or not match[1]:
            raise ValueError(
                _("'{path}' is not a field path (keys joined by dots, [i] for items)").format(
                    path=path
                )
            )
        tokens.append(match[1])
        tokens.extend(int(i) for i in re.findall(r"\[(\d+)\]", match[2]))
    return tuple(tokens)


def join(path: Path) -> str:
    text = ""
    for key in path:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else str(key))
    return text


def _in_layer(path: Path) -> bool:
    return any(key in LAYERS for key in path if isinstance(key, str))


def _matches(node: Any, pattern: Path, create_last: bool, at: Path = ()) -> Iterator[Path]:
    """Concrete paths in ``node`` matching ``pattern`` (``*``: any key of a mapping)."""
    if not pattern:
        yield at
        return
    key, rest = pattern[0], pattern[1:]
    if key == "*" and isinstance(node, dict):
        for name in node:
            yield from _matches(node[name], rest, create_last, (*at, name))
    elif isinstance(key, int) and isinstance(node, list) and 0 <= key < len(node):
        yield from _matches(node[key], rest, create_last, (*at, key))
    elif isinstance(key, str) and isinstance(node, dict):
        if node.get(key) is not None:
            yield from _matches(node[key], rest, create_last, (*at, key))
        elif create_last and not rest and key in node:  # a field the schema has, left empty
            yield (*at, key)


def _missing(node: Any, pattern: Path) -> str | None:
    """Why a pattern matches nothing: the first key not found, and what is there; None when
    a wildcard met an empty section (ports removed by ``--set``: nothing to draw there)."""
    at: list[Token] = []
    for key in pattern:
        if key == "*":
            if isinstance(node, dict) and not node:
                return None
            if not isinstance(node, dict):
                break
            node = next(iter(node.values()))
        elif isinstance(key, int):
            if not isinstance(node, list) or not 0 <= key < len(node):
                where = join(tuple(at)) or _("the scenario")
                return _("'{where}' has no item [{index}]").format(where=where, index=key)
            node = node[key]
        elif isinstance(node, dict) and node.get(key) is not None:
            node = node[key]
        else:
            where = join(tuple(at)) or _("the scenario")
            if not isinstance(node, dict):
                return _("'{where}' is a value, not a section").format(where=where)
            names = [str(name) for name in node]
            close = difflib.get_close_matches(str(key), names, n=1)
            if close:
                hint = _("; did you mean '{name}'?").format(name=close[0])
            else:
                hint = _("; it has: {names}").format(names=", ".join(names))
            return _("{where} has no '{key}'{hint}").format(where=where, key=key, hint=hint)
        at.append(key)
    return _("it matches no field of the scenario")


def get(node: Any, path: Path) -> Any:
    for key in path:
        node = node[key]
    return node


def put(node: Any, path: Any, value: Any, source: Any) -> None:
    """Set ``path`` in ``node``, copying what is missing on the way from ``source`` (the same
    scenario, expanded): a field inside a distribution a port inherits is set in a copy of
    the whole distribution, which the port then gives itself."""
    for depth, key in enumerate(path[:-1]):
        child: Any = node[key] if isinstance(node, list) else node.get(key)
        if child is None:
            found = _lookup(source, path[: depth + 1])
            child = copy.deepcopy(found) if isinstance(found, dict | list) else {}
        # copied on the way: expanded ports share their layers' mappings (and YAML aliases
        # share sections), and a change to one port must not reach the others
        child = node[key] = dict(child) if isinstance(child, dict) else list(child)
        node = child
    node[path[-1]] = value


def _lookup(node: Any, path: Path) -> Any:
    try:
        return get(node, path)
    except (KeyError, IndexError, TypeError):
        return None


# --- resolving -------------------------------------------------------------------------


def uncertain_inputs(
    scenario: Scenario, vary: Sequence[str] = (), fixed: Sequence[str] = ()
) -> list[Uncertain]:
    """Every uncertain input of a scenario, resolved: its ``uncertainty:`` block, the
    intervals of its ``calibration:`` blocks (a field the block names is the block's), and
    ``--vary PATH=[LOW,HIGH]`` (uniform; ``PATH=x[LOW,HIGH]`` for a scale). Bad input (a
    path that names no field, a value outside its range, two ranges on one field) raises
    :class:`InputError` naming the input.

    ``fixed`` names fields the caller sets itself (an experiment's factors and ``set:``
    entries): no input draws them, so a design point's value is neither overwritten by a
    draw nor refused for lying outside a range; an input left with no field is dropped."""
    raw, expanded = scenario.raw_data(), scenario.model_dump(mode="json", by_alias=True)
    source = scenario.origin.path or scenario.name
    inputs = [
        _resolve(name, spec, raw, expanded, f"{source}", f"uncertainty.{name}", "scenario", fixed)
        for name, spec in (scenario.uncertainty or {}).items()
    ]
    for text in vary:
        name, spec = parse_vary(text)
        inputs.append(_resolve(name, spec, raw, expanded, "--vary", name, "--vary", fixed))
    explicit = {t.path for i in inputs for t in i.targets}
    fitted = [_unfixed(i, fixed) for i in calibrated_inputs(scenario, raw, expanded)]
    inputs += [i for i in fitted if not _claimed(i, explicit)]
    _check_overlaps(inputs, source)
    return [item for item in inputs if item.targets]  # none: its ports were removed


def _claimed(item: Uncertain, explicit: set[Path]) -> bool:
    return any(t.path in explicit for t in item.targets)


def _is_fixed(path: Path, fixed: Sequence[str]) -> bool:
    """Whether a field lies in (or holds) one the caller fixes."""
    text = join(path)
    return any(
        text == f or text.startswith((f"{f}.", f"{f}[")) or f.startswith((f"{text}.", f"{text}["))
        for f in fixed
    )


def _unfixed(item: Uncertain, fixed: Sequence[str]) -> Uncertain:
    """A fitted input without the fields the caller fixes."""
    if not fixed:
        return item
    targets = tuple(t for t in item.targets if not _is_fixed(t.path, fixed))
    return dataclasses.replace(item, targets=targets)


def parse_vary(text: str) -> tuple[str, UncertainInput]:
    """``PATH[,PATH...]=[LOW,HIGH]`` (values, uniform) or ``=x[LOW,HIGH]`` (a scale)."""
    path, sep, raw = text.partition("=")
    if not sep or not path:
        raise InputError("--vary", text, _("expected PATH=[LOW,HIGH] (or PATH=x[LOW,HIGH])"))
    scale = raw.strip().startswith("x")
    try:
        bounds = yaml.safe_load(raw.strip().removeprefix("x"))
    except yaml.YAMLError:
        bounds = None
    numbers = isinstance(bounds, list) and len(bounds) == 2
    numbers = numbers and all(
        isinstance(b, int | float) and not isinstance(b, bool) for b in bounds
    )
    if not numbers or not bounds[0] < bounds[1]:
        raise InputError(
            "--vary", path, _("'{raw}' is not a range [LOW,HIGH] with LOW < HIGH").format(raw=raw)
        )
    kind = "scale" if scale else "range"
    try:
        spec = UncertainInput.model_validate(
            {
                "path": path.split(",") if "," in path else path,
                kind: bounds,
                "reason": "given on the command line",
                "mark": "--vary",
            }
        )
    except ValueError as exc:
        raise InputError("--vary", path, _message(exc)) from None
    return path, spec


def _message(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        return validation_problem(errors()[0])
    return str(exc)


def _resolve(
    name: str,
    spec: UncertainInput,
    raw: dict[str, Any],
    expanded: dict[str, Any],
    source: str,
    field: str,
    origin: str,
    fixed: Sequence[str] = (),
) -> Uncertain:
    """An input's targets, each checked: it exists (a scale, or a range kept within its
    bounds, needs a value), and the scenario's value lies in the range; the fields in
    ``fixed`` are left out (and not checked: the caller sets them)."""
    kind = "between" if spec.between else ("scale" if spec.scale else "range")
    low, high = spec.range if spec.range is not None else spec.scale  # type: ignore[misc]
    targets: list[Target] = []
    seen: set[Path] = set()
    for text in spec.paths:
        try:
            pattern = split(text.strip())
        except ValueError as exc:
            raise InputError(source, field, str(exc)) from None
        layer = _in_layer(pattern)
        tree = raw if layer else expanded
        found = list(_matches(tree, pattern, create_last=kind != "scale"))
        problem = None if found else _missing(tree, pattern)
        if problem is not None:
            raise InputError(
                source, field, _("path '{text}': {problem}").format(text=text, problem=problem)
            )
        for path in found:  # a layer's field no port takes (each sets its own) draws nothing
            ports = inheritors(raw, expanded, path) if layer else [path]
            targets += [Target(p, _lookup(expanded, p)) for p in ports if p not in seen]
            seen.update(ports)
    if fixed:
        targets = [t for t in targets if not _is_fixed(t.path, fixed)]
        if not targets:  # every field it sets is the caller's: nothing left to draw
            return Uncertain(
                name,
                kind,  # type: ignore[arg-type]
                float(low),
                float(high),
                spec.dist,
                (),
                spec.reason,
                spec.mark,
                origin,
            )
    integer = _check_values(kind, targets, (low, high), spec, source, field)
    peak = spec.peak
    if spec.dist == "triangular" and peak is None:
        peak = 1.0 if kind != "range" else _common_value(targets, source, field)
    return Uncertain(
        name=name,
        kind=kind,  # type: ignore[arg-type]
        low=float(low),
        high=float(high),
        dist=spec.dist,
        targets=tuple(targets),
        reason=spec.reason,
        mark=spec.mark,
        origin=origin,
        peak=peak,
        between=spec.between,
        integer=integer,
        patterns=tuple(spec.paths),
    )


def _check_values(
    kind: str,
    targets: list[Target],
    bounds: tuple[float, float],
    spec: UncertainInput,
    source: str,
    field: str,
) -> bool:
    """Numbers where numbers are needed, the scenario's values inside a range; whether the
    fields are whole numbers (then a drawn value is rounded)."""
    low, high = bounds
    numbers = [t for t in targets if _is_number(t.value)]
    if kind == "between":
        for target in targets:
            if target.path[-1] in ("standard", "national_aeo") or len(target.path) < 2:
                raise InputError(
                    source,
                    field,
                    _("'{text}' cannot lie between its siblings").format(text=target.text),
                )
            given = target.value is not None and spec.between != ("standard", "national_aeo")
            if not given and not low <= 1 <= high:  # absent, it takes national_aeo's: the whole way
                raise InputError(
                    source,
                    field,
                    _(
                        "'{text}' takes {sibling}'s values in the scenario (1 of the way); the "
                        "range [{low:g}, {high:g}] must hold 1"
                    ).format(
                        text=target.text,
                        sibling=spec.between[1] if spec.between else "",
                        low=low,
                        high=high,
                    ),
                )
        return False
    if kind == "scale" and len(numbers) < len(targets):
        bad = next(t for t in targets if not _is_number(t.value))
        raise InputError(
            source, field, _("'{text}' is not a number to scale").format(text=bad.text)
        )
    if kind == "range":
        for target in numbers:
            if not low - 1e-12 <= target.value <= high + 1e-12:
                raise InputError(
                    source,
                    field,
                    _(
                        "the scenario's value {value:g} at '{text}' lies outside [{low:g}, "
                        "{high:g}]; a range holds the best guess"
                    ).format(value=target.value, text=target.text, low=low, high=high),
                )
        if spec.dist == "triangular" and not numbers:
            raise InputError(source, field, _("a triangular range peaks at the scenario's value"))
    return bool(numbers) and all(t.path[-1] in WHOLE for t in numbers)


def _common_value(targets: list[Target], source: str, field: str) -> float:
    values = {float(t.value) for t in targets if _is_number(t.value)}
    if len(values) != 1:
        raise InputError(
            source, field, _("its fields hold different values: give the triangle's peak:")
        )
    return values.pop()


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_overlaps(inputs: list[Uncertain], source: str) -> None:
    """Scales compose (they multiply); a field set by two inputs, or set and scaled, would
    depend on their order: refused."""
    seen: dict[Path, list[Uncertain]] = {}
    for item in inputs:
        for target in item.targets:
            others = seen.setdefault(target.path, [])
            clash = next((o for o in others if "scale" not in (o.kind, item.kind)), None)
            clash = clash or next((o for o in others if o.kind != item.kind), None)
            if clash is not None:
                raise InputError(
                    source,
                    f"uncertainty.{item.name}",
                    _(
                        "'{text}' is one field, and the input '{name}' sets it too; give each "
                        "field one range (scales of it multiply)"
                    ).format(text=target.text, name=clash.name),
                )
            others.append(item)


# --- fitted fields ---------------------------------------------------------------------


def calibrated_inputs(
    scenario: Scenario, raw: dict[str, Any], expanded: dict[str, Any]
) -> list[Uncertain]:
    """One input per fitted number with a two-sided interval (its tied paths share it)."""
    out = []
    for block in scenario.calibration or []:
        for fitted in block.fields:
            item = _fitted_input(block, fitted, raw, expanded)
            if item is not None:
                out.append(item)
    return out


def _fitted_input(block: Any, fitted: Any, raw: Any, expanded: Any) -> Uncertain | None:
    """A fitted number as an input: a split normal over its interval; None without one."""
    if fitted.interval is None or fitted.interval[1] is None or isinstance(fitted.value, str):
        return None  # a choice (a family), or a bound from below only: left fixed
    low, high = float(fitted.interval[0]), float(fitted.interval[1])
    if not low < high:
        return None
    paths = [split(text.strip()) for text in fitted.path.split(",")]
    targets = []
    for path in paths:
        ports = [path]
        if _in_layer(path):
            ports = inheritors(raw, expanded, path) or _fitted_ports(expanded, path, fitted.value)
        values = [(p, _lookup(expanded, p)) for p in ports]
        targets += [Target(p, value) for p, value in values if _is_number(value)]
    if not targets:
        return None
    share = _is_share(paths[0]) and low >= 0 and high <= 1
    return Uncertain(
        name=f"fitted {_short(paths[0])}",
        kind="range",
        low=low,
        high=high,
        dist="interval",
        targets=tuple(targets),
        reason=f"{block.method} calibration: {fitted.method or 'interval'}",
        mark=f"fitted (calibration of {block.source})",
        origin="calibration",
        peak=float(fitted.value),
        confidence=block.confidence,
        floor=0.0 if low >= 0 else -math.inf,
        ceiling=1.0 if share else math.inf,
        integer=paths[0][-1] in WHOLE,
        patterns=tuple(t.strip() for t in fitted.path.split(",")),
    )


def _is_share(path: Path) -> bool:
    last = path[-1]
    parent = path[-2] if len(path) > 1 else ""
    return (
        (isinstance(last, str) and (last in SHARE_KEYS or last.endswith("share")))
        or parent == "origins"
        or (isinstance(parent, str) and parent.endswith("share"))
    )


def _short(path: Path) -> str:
    """``countries.BRA.mode_defaults.sea.lodgement...`` -> ``BRA sea lodgement...``."""
    keys = [str(k) for k in path]
    if keys[:1] == ["countries"]:
        keys = keys[1:]
    keys = [k for k in keys if k not in ("ports", "port_defaults", "mode_defaults")]
    return " ".join(keys)


# --- drawing ---------------------------------------------------------------------------


def drawn_data(scenario: Scenario, inputs: Sequence[Uncertain], unit: Sequence[float]) -> Any:
    """The scenario's data at the inputs' values for ``unit`` (one coordinate per input),
    expanded, without its ``uncertainty:`` block: a plain scenario to validate."""
    source = scenario.model_dump(mode="json", by_alias=True)
    tree = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    # a field between its siblings is placed last, between their drawn (renormalised) values
    for between in (False, True):
        touched = []
        for item, u in zip(inputs, unit, strict=True):
            if (item.kind == "between") == between:
                value = item.value(u)
                for target in item.targets:
                    _apply(tree, target.path, item, value, source)
                    touched.append(target.path)
        _renormalise(tree, touched)
    tree.pop("uncertainty", None)
    return tree


def joint_unit(inputs: Sequence[Uncertain], unit: np.ndarray) -> np.ndarray:
    """The design's coordinates (draws x inputs, independent) with the fitted categories of
    each probability vector made to move as their estimates do.

    Drawn one by one and renormalised, a vector's categories are anticorrelated by the
    renormalisation alone, which narrows the spread of a sum of categories (yellow and red:
    the share a check sees) by about a fifth at shares of 0.6, 0.25 and 0.15. The estimates of a
    multinomial's shares have correlations ``-sqrt(p_j p_k / ((1 - p_j)(1 - p_k)))``, set by
    the shares alone; normal scores mixed by that matrix's square root keep each input's
    own law (its coordinate stays uniform) and take those correlations.
    """
    out = np.array(unit, dtype=float, copy=True)
    for group in joint_groups(inputs):
        shares = [inputs[i].peak or 0.0 for i in group]
        root = _root(multinomial_correlation(shares))
        scores = stats.norm.ppf(np.clip(out[:, group], 1e-12, 1 - 1e-12))
        out[:, group] = stats.norm.cdf(scores @ root.T)
    return out


def joint_groups(inputs: Sequence[Uncertain]) -> list[list[int]]:
    """Indices of fitted inputs that are categories of one probability vector in one
    calibration (two or more of them), each group in input order."""
    groups: dict[tuple[str, Path], list[int]] = {}
    for i, item in enumerate(inputs):
        if item.origin != "calibration" or len(item.patterns) != 1 or item.peak is None:
            continue
        path = split(item.patterns[0])
        parent = path[:-1]
        category = path[-1] in SHARE_KEYS or parent[-1:] == ("origins",)
        if category and 0 < item.peak < 1:
            groups.setdefault((item.mark, parent), []).append(i)
    return [group for group in groups.values() if len(group) > 1]


def multinomial_correlation(shares: Sequence[float]) -> np.ndarray:
    """The correlations of a multinomial's estimated shares, at the shares."""
    odds = np.sqrt(np.asarray(shares, dtype=float) / (1 - np.asarray(shares, dtype=float)))
    matrix = -np.outer(odds, odds)
    np.fill_diagonal(matrix, 1.0)
    return matrix


def _root(matrix: np.ndarray) -> np.ndarray:
    """The symmetric square root of a correlation matrix (a whole vector's is singular: its
    shares sum to one), negative rounding errors of its eigenvalues set to 0."""
    values, vectors = np.linalg.eigh(matrix)
    return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T


def inheritors(raw: dict[str, Any], expanded: dict[str, Any], layer_path: Path) -> list[Path]:
    """The ports' paths a field of a defaults layer stands for: every port that has the layer
    and takes the field from it (no more specific layer, nor the port, sets it)."""
    from sim.model import inherit

    keys = [str(k) for k in layer_path]
    at = keys.index("port_defaults") if "port_defaults" in keys else keys.index("mode_defaults")
    prefix = join(layer_path[: at + (1 if keys[at] == "port_defaults" else 2)])
    rest = layer_path[len(split(prefix)) :]
    found = []
    countries = raw.get("countries") or {}
    for code, country in countries.items():
        ports = country.get("ports") if isinstance(country, dict) else None
        for name in ports or {}:
            if prefix not in [path for path, _ in inherit.layers(raw, code, name)]:
                continue
            port_path = ("countries", code, "ports", name, *rest)
            from_layer = inherit.inherited_from(raw, join(port_path)) == join(layer_path)
            if from_layer and _lookup(expanded, port_path) is not None:
                found.append(port_path)
    return found


def _fitted_ports(expanded: dict[str, Any], layer_path: Path, value: Any) -> list[Path]:
    """A fitted layer's field in a scenario read expanded (its layers gone): the ports of the
    layer's country (and mode) that hold the fitted value."""
    keys = [str(k) for k in layer_path]
    code = keys[1] if keys[0] == "countries" else None
    at = keys.index("port_defaults") if "port_defaults" in keys else keys.index("mode_defaults")
    mode = keys[at + 1] if keys[at] == "mode_defaults" else None
    rest = layer_path[at + (1 if mode is None else 2) :]
    found = []
    for country, data in (expanded.get("countries") or {}).items():
        for name, port in (data.get("ports") or {}).items():
            if (code in (None, country)) and (mode in (None, port.get("mode"))):
                path = ("countries", country, "ports", name, *rest)
                if _lookup(expanded, path) == value:
                    found.append(path)
    return found


def expanded_block(scenario: Scenario) -> dict[str, Any] | None:
    """The ``uncertainty:`` block as the expanded scenario must say it: every path a port's
    (a layer's field replaced by the ports that inherit it), so that it loads back alone."""
    if not scenario.uncertainty:
        return None
    raw, expanded = scenario.raw_data(), scenario.model_dump(mode="json", by_alias=True)
    block = {}
    for name, spec in scenario.uncertainty.items():
        item = _resolve(name, spec, raw, expanded, scenario.name, name, "scenario")
        data = spec.model_dump(mode="json", exclude_none=True)
        data["path"] = [t.text for t in item.targets]
        block[name] = data
    return block


def _apply(tree: Any, path: Path, item: Uncertain, value: float, source: Any) -> None:
    if item.kind == "scale":
        current = _lookup(tree, path)
        if current is None:
            current = _lookup(source, path)
        new = current * value
        put(tree, path, max(1, round(new)) if item.integer else float(new), source)
    elif item.kind == "between":
        put(tree, path, _blend(tree, path, item, value, source), source)
    else:
        put(tree, path, max(1, round(value)) if item.integer else float(value), source)


def _blend(tree: Any, path: Path, item: Uncertain, share: float, source: Any) -> Any:
    """The value ``share`` of the way from one sibling to the other (numbers, or mappings of
    numbers such as channel probabilities); a missing sibling takes the per-group rule
    (national_aeo <- standard)."""
    assert item.between is not None
    parent = path[:-1]
    siblings = _lookup(tree, parent) or _lookup(source, parent) or {}
    start, end = (siblings.get(name) for name in item.between)
    if end is None and item.between[1] == "national_aeo":
        end = siblings.get("standard")
    if start is None or end is None:
        raise InputError(
            "uncertainty",
            item.name,
            _("'{parent}' lacks {between}").format(parent=join(parent), between=item.between),
        )
    if isinstance(start, Mapping):
        return {k: float(start[k] + share * (end[k] - start[k])) for k in start}
    return float(start + share * (end - start))


def _renormalise(tree: Any, touched: Sequence[Path]) -> None:
    """Probability vectors a draw changed sum to one again: the shares it set keep their
    values (clipped to [0, 1]; scaled down together if they exceed 1), the others share
    what is left in their proportions."""
    by_parent: dict[Path, set[Token]] = {}
    for path in touched:
        parent = path[:-1]
        node = _lookup(tree, parent)
        if isinstance(node, dict) and (set(node) <= SHARE_KEYS or parent[-1:] == ("origins",)):
            by_parent.setdefault(parent, set()).add(path[-1])
    for parent, keys in by_parent.items():
        node = _lookup(tree, parent)
        shares = {k: min(max(float(v), 0.0), 1.0) for k, v in node.items() if _is_number(v)}
        fixed = sum(shares[k] for k in keys if k in shares)
        rest = [k for k in shares if k not in keys]
        if fixed >= 1 or not rest:
            total = fixed or 1.0
            new = {k: (shares[k] / total if k in keys else 0.0) for k in shares}
        else:
            free = sum(shares[k] for k in rest)
            new = {
                k: shares[k]
                if k in keys
                else ((1 - fixed) * shares[k] / free if free > 0 else (1 - fixed) / len(rest))
                for k in shares
            }
        node.update(new)


def count_uncertain(scenario: Scenario) -> int:
    """How many uncertain inputs a scenario declares (its block, and its fitted numbers with
    two-sided intervals), without resolving them: what a result says it left out."""
    fitted = sum(
        1
        for block in scenario.calibration or []
        for f in block.fields
        if f.interval is not None and f.interval[1] is not None and not isinstance(f.value, str)
    )
    return len(scenario.uncertainty or {}) + fitted
