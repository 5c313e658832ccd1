"""A study: which scenarios, which uncertain inputs, which draws, and how many replications.

A study is the nominal comparison (the scenarios at their own values: exactly the numbers
``compare`` prints without ``--uncertainty``) and ``N`` draws of the uncertain inputs
(a Latin hypercube of ``N`` points, or a Sobol'-Saltelli design of ``N`` base samples),
each the same comparison at the draw's values. Everything here is checked before anything
runs: the inputs resolve, every draw's scenarios are valid, the study fits in memory.

Seeds. The nominal point runs replications ``0 .. n - 1``, as ``compare -n n`` does; draw
``d`` (from 1) runs replications ``d * DRAW_STRIDE ..`` of the same seed: streams of its
own, so that its noise is independent of every other draw's (what the law of total
variance in :mod:`.analysis` needs), while the scenarios *within* a draw share them
(common random numbers: its paired differences are sharp).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from sim._version import __version__
from sim.errors import InputError
from sim.experiment.design import latin_hypercube, sobol_sample
from sim.experiment.spec import TASK_SHIPMENTS
from sim.language import _
from sim.language.formats import decimal
from sim.model.load import drawn_scenario
from sim.model.schema import Scenario
from sim.model.uncertain import Uncertain, drawn_data, joint_unit, uncertain_inputs
from sim.model.variants import arrangement_variants, utilisation_variants
from sim.replicate.runner import DEFAULT_ENGINE

DESIGNS = ("lhs", "sobol")
DRAW_STRIDE = 1_000_000
"""Replication indices of draw d start at d x DRAW_STRIDE (the nominal point's at 0)."""
MAX_DRAWS = 100_000
ANALYSIS = 1
"""Bumped when what a task keeps changes: tasks of another version are not mixed in."""


@dataclass(frozen=True)
class Variants:
    """How a study's scenarios are made from its base scenario(s), at every draw alike:
    one scenario alone (``run``), the arrangement off then on (at each swept utilisation),
    scenario A against B, or the bases themselves, labelled by ``names`` (``given``: the
    explorer's scenarios, made by its controls)."""

    kind: Literal["run", "arrangement", "pair", "given"]
    utilisations: tuple[float, ...] | None = None
    names: tuple[str, ...] = ("A", "B")

    def of(self, bases: Sequence[Scenario]) -> tuple[list[Scenario], list[str]]:
        utilisations = list(self.utilisations) if self.utilisations is not None else None
        if self.kind == "run":
            return [bases[0]], ["run"]
        if self.kind == "given":
            return list(bases), list(self.names)
        if self.kind == "arrangement":
            return arrangement_variants(bases[0], utilisations)
        return utilisation_variants(
            bases[0], bases[1], utilisations, (self.names[0], self.names[1])
        )

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "utilisations": self.utilisations, "names": list(self.names)}


@dataclass(frozen=True)
class Study:
    """What an uncertainty study runs (see the module docstring)."""

    bases: tuple[Scenario, ...]  # as loaded: one, or A and B
    variants: Variants
    inputs: tuple[Uncertain, ...]  # every base's, by name, in order
    owned: tuple[tuple[int, ...], ...]  # for each base, the inputs (indices) it has
    draws: int  # N: Latin hypercube points, or Sobol' base samples
    design: str
    seed: int
    replications: int  # per draw
    nominal_replications: int
    engine: str
    vary: tuple[str, ...]
    unit: np.ndarray = field(repr=False)  # (points, inputs) in [0, 1)
    digest: str = ""

    @property
    def points(self) -> int:
        """Draws of the inputs (N, or N x (inputs + 2) for a Sobol' design)."""
        return int(self.unit.shape[0])

    @property
    def names(self) -> list[str]:
        return [item.name for item in self.inputs]

    def values(self, draw: int) -> list[float]:
        """The inputs' values at a draw (from 0)."""
        return [item.value(u) for item, u in zip(self.inputs, self.unit[draw], strict=True)]

    def nominal(self) -> tuple[list[Scenario], list[str]]:
        return self.variants.of(self.bases)

    def scenarios(self, draw: int) -> tuple[list[Scenario], list[str]]:
        """The study's scenarios at a draw (from 0), validated; a draw that makes one invalid
        is bad input, blamed on the input whose field it is."""
        drawn = []
        for base, owned in zip(self.bases, self.owned, strict=True):
            inputs = [self.inputs[i] for i in owned]
            unit = [float(self.unit[draw, i]) for i in owned]
            try:
                drawn.append(drawn_scenario(drawn_data(base, inputs, unit), base))
            except InputError as exc:
                raise _blamed(exc, inputs, unit, draw) from None
        return self.variants.of(drawn)

    def manifest(self) -> dict[str, Any]:
        """What a store of this study holds (the draws' values listed for a reader)."""
        return {
            "kind": "uncertainty",
            "digest": self.digest,
            "scenarios": [base.name for base in self.bases],
            "files": [str(base.origin.path or base.name) for base in self.bases],
            "variants": self.variants.as_json(),
            "design": self.design,
            "draws": self.draws,
            "points": self.points,
            "seed": self.seed,
            "replications_per_draw": self.replications,
            "nominal_replications": self.nominal_replications,
            "engine": self.engine,
            "inputs": [describe(item) for item in self.inputs],
            "values": [self.values(d) for d in range(self.points)],
        }


def describe(item: Uncertain) -> dict[str, Any]:
    """An input as ``run.json`` and the manifest list it."""
    return {
        "name": item.name,
        "paths": item.paths_text,
        "fields": len(item.targets),
        "kind": item.kind,
        "low": item.low,
        "high": item.high,
        "distribution": item.describe(),
        "reason": item.reason,
        "mark": item.mark,
        "origin": item.origin,
    }


def _blamed(exc: InputError, inputs: list[Uncertain], unit: list[float], draw: int) -> InputError:
    """An invalid draw's error, naming the input whose field it lies in (if one does)."""
    for item, u in zip(inputs, unit, strict=True):
        if any(exc.field.startswith(t.text) or t.text.startswith(exc.field) for t in item.targets):
            value = item.value(u)
            return InputError(
                exc.source,
                f"uncertainty.{item.name}",
                _(
                    "draw {draw} (value {value:.4g}) makes an invalid scenario: {field}: {problem}"
                ).format(draw=draw + 1, value=value, field=exc.field, problem=exc.problem),
            )
    return InputError(
        exc.source,
        exc.field,
        _("{problem} (in draw {draw} of the uncertain inputs)").format(
            problem=exc.problem, draw=draw + 1
        ),
    )


# --- planning ------------------------------------------------------------------------


def plan_study(
    bases: Sequence[Scenario],
    variants: Variants,
    draws: int,
    *,
    vary: Sequence[str] = (),
    design: str = "lhs",
    replications: int = 4,
    nominal_replications: int | None = None,
    seed: int | None = None,
    engine: str = DEFAULT_ENGINE,
    fixed: Sequence[str] = (),
) -> Study:
    """A study, checked: its inputs, its design, and (by :func:`check_draws`) its draws.

    ``fixed``: fields the caller sets (an experiment's factors), which no input draws."""
    if design not in DESIGNS:
        raise InputError(
            "--design", design, _("use one of {designs}").format(designs=", ".join(DESIGNS))
        )
    if not 2 <= draws <= MAX_DRAWS:
        raise InputError(
            "--uncertainty",
            str(draws),
            _(
                "give 2 to {max_draws} draws (64 to 256 are usual; a plausible range rests on "
                "the "
                "spread of the draws)"
            ).format(max_draws=decimal(MAX_DRAWS, 0)),
        )
    if design == "sobol" and draws & (draws - 1):
        lower = 1 << (draws.bit_length() - 1)
        raise InputError(
            "--uncertainty",
            str(draws),
            _("a Sobol' design needs a power of 2 base samples; use {lower} or {higher}").format(
                lower=lower, higher=2 * lower
            ),
        )
    if replications < 2:
        raise InputError(
            "-n",
            str(replications),
            _(
                "--uncertainty needs at least 2 replications per draw, to tell the simulation's "
                "noise from the inputs' effect; use -n 2 or more"
            ),
        )
    inputs, owned = _inputs(bases, vary, fixed)
    seed = bases[0].seed if seed is None else seed
    unit = joint_unit(inputs, _unit(design, len(inputs), draws, seed))
    study = Study(
        tuple(bases),
        variants,
        tuple(inputs),
        owned,
        draws,
        design,
        seed,
        replications,
        nominal_replications or replications,
        engine,
        tuple(vary),
        unit,
    )
    return _with_digest(study)


def _inputs(
    bases: Sequence[Scenario], vary: Sequence[str], fixed: Sequence[str] = ()
) -> tuple[list[Uncertain], tuple[tuple[int, ...], ...]]:
    """Every base's inputs, one factor per name: inputs of the same name in A and B are the
    same unknown, drawn once."""
    inputs: list[Uncertain] = []
    owned = []
    for base in bases:
        mine = []
        for item in uncertain_inputs(base, vary, fixed):
            names = [i.name for i in inputs]
            if item.name not in names:
                inputs.append(item)
                names.append(item.name)
            mine.append(names.index(item.name))
        owned.append(tuple(mine))
    if not inputs:
        name = bases[0].origin.path or bases[0].name
        raise InputError(
            "--uncertainty",
            "",
            _(
                "{name} declares no uncertain inputs: add an uncertainty: block to it (see "
                "docs/uncertainty.md), or give --vary PATH=[LOW,HIGH]"
            ).format(name=name),
        )
    return inputs, tuple(owned)


def _unit(design: str, inputs: int, draws: int, seed: int) -> np.ndarray:
    if design == "lhs":
        return latin_hypercube(inputs, draws, seed)
    return sobol_sample(inputs, draws, seed)


def _with_digest(study: Study) -> Study:
    """The study's name in stores: a hash of everything its numbers depend on."""
    content = {
        "bases": [base.model_dump(mode="json", by_alias=True) for base in study.bases],
        "layers": [_layers(base) for base in study.bases],
        "variants": study.variants.as_json(),
        "vary": list(study.vary),
        "design": study.design,
        "draws": study.draws,
        "seed": study.seed,
        "replications": study.replications,
        "nominal": study.nominal_replications,
        "engine": study.engine,
        "inputs": study.names,  # an experiment's factors leave some out
        "unit": hashlib.sha256(study.unit.tobytes()).hexdigest(),  # the draws themselves
        "analysis": ANALYSIS,
        "version": __version__,
    }
    text = json.dumps(content, sort_keys=True, default=str)
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    return Study(**{**study.__dict__, "digest": digest})


def _layers(base: Scenario) -> Any:
    """The defaults layers as written (draws of a layer's field depend on them)."""
    raw = base.raw_data()
    countries = raw.get("countries") or {}
    return {
        "top": {k: raw.get(k) for k in ("port_defaults", "mode_defaults")},
        "countries": {
            code: {k: c.get(k) for k in ("port_defaults", "mode_defaults")}
            for code, c in countries.items()
            if isinstance(c, dict)
        },
    }


def replications_per_task(shipments: float) -> int:
    """About TASK_SHIPMENTS simulated shipments a task (as an experiment's tasks)."""
    return max(1, int(TASK_SHIPMENTS // max(shipments, 1.0)))


def draw_first(draw: int) -> int:
    """The first replication index of draw ``draw`` (from 0)."""
    return (draw + 1) * DRAW_STRIDE
