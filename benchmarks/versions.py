"""Where each part of mrasim lives in a given version: the benchmarks that measure an
older revision beside this checkout import each version by its own module names.

Two layouts have existed. Up to the reorganisation by stage, ``sim`` was flat
(``sim/engine_numba.py``, ``sim/inputs.py``, ``sim/indicators.py``, ``sim/plan.py``,
``sim/runner.py``, ...); since, each stage has its folder (``sim/engine/compiled.py``,
``sim/engine/inputs.py``, ``sim/indicators/{layout,sums}.py``, ``sim/plan/compile.py``,
``sim/replicate/runner.py``, ...). A version is told by whether
``sim/engine/compiled.py`` exists in its tree.

Each part is named by what the benchmarks take from it:

=========  ==========================================  ==============================
part       what                                        flat / by stage
=========  ==========================================  ==============================
plan       ``compile_plan``, ``Plan``                  plan / plan.compile
inputs     ``draw_port``                               inputs / engine.inputs
engine     ``run_port``, ``warm_up``                   engine_numba / engine.compiled
layout     ``Layout``                                  indicators / indicators.layout
sums       ``compute``, ``port_cells``                 indicators / indicators.sums
runner     ``indicator_vector(s)``, ``Work``, ...      runner / replicate.runner
variants   ``arrangement_variants``                    variants (or compare) / model.variants
processes  ``keep_freed_memory`` (not in 73db769)      processes / replicate.processes
streams    the counter-based streams                   streams / streams
jit        ``warm_up`` (later versions)                jit / replicate.jit
expect     ``simulated_until_h`` (later versions)      - / plan.expect
=========  ==========================================  ==============================

Two calls differ between versions beyond where they live, and have an adapter here:
where a port's arrivals are drawn up to (:func:`arrivals_end`: the plan's window, or
since arrivals go on after the window to let queues drain, each port's own end), and
where ``warm_up`` is (:func:`warm_up`: the engine's module, then ``replicate.jit``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

FLAT: dict[str, tuple[str, ...]] = {
    "plan": ("plan",),
    "inputs": ("inputs",),
    "engine": ("engine_numba",),
    "layout": ("indicators",),
    "sums": ("indicators",),
    "runner": ("runner",),
    "variants": ("variants", "compare"),  # the variants had no module of their own at first
    "processes": ("processes",),
    "streams": ("streams",),
    "jit": ("jit",),
    "expect": (),
}
BY_STAGE: dict[str, tuple[str, ...]] = {
    "plan": ("plan.compile",),
    "inputs": ("engine.inputs",),
    "engine": ("engine.compiled",),
    "layout": ("indicators.layout",),
    "sums": ("indicators.sums",),
    "runner": ("replicate.runner",),
    "variants": ("model.variants",),
    "processes": ("replicate.processes",),
    "streams": ("streams",),
    "jit": ("replicate.jit",),
    "expect": ("plan.expect",),
}


def by_stage(package_folder: Path) -> bool:
    """Whether the package in this folder (``.../sim``) has the layout by stage."""
    return (package_folder / "engine" / "compiled.py").is_file()


def modules_of(package_folder: Path) -> dict[str, tuple[str, ...]]:
    """Each part's candidate module names (relative to the package) in this folder's layout."""
    return BY_STAGE if by_stage(package_folder) else FLAT


def part(package: str, name: str) -> ModuleType | None:
    """The module that holds part ``name`` of the importable package ``package`` (``sim``,
    or a copy imported under another name); None if that version has no such part."""
    top = importlib.import_module(package)
    folder = Path(top.__file__).parent  # type: ignore[arg-type]
    for relative in modules_of(folder)[name]:
        if (folder / (relative.replace(".", "/") + ".py")).is_file():
            return importlib.import_module(f"{package}.{relative}")
    return None


def parts(package: str = "sim", names: tuple[str, ...] = tuple(BY_STAGE)) -> dict[str, ModuleType]:
    """The parts ``names`` of ``package`` that this version has, by name."""
    found = {name: part(package, name) for name in names}
    return {name: module for name, module in found.items() if module is not None}


def arrivals_end(found: dict[str, ModuleType], plan: Any, port: Any) -> float:
    """Until when a version draws a port's arrivals (``draw_port``'s first argument), as its
    runner does: the port's window and its drain period (``plan.expect.simulated_until_h``)
    where arrivals go on after the window, the plan's window end before."""
    until = getattr(found.get("expect"), "simulated_until_h", None)
    return until(port) if until is not None else plan.window[1]


def warm_up_function(found: dict[str, ModuleType]) -> Callable[[], None]:
    """A version's ``warm_up``: in ``replicate.jit`` (or ``jit``), or before that in the
    engine's module."""
    for name in ("jit", "engine"):
        function = getattr(found.get(name), "warm_up", None)
        if function is not None:
            return function  # type: ignore[no-any-return]
    raise AttributeError("no warm_up in this version of the package")


def warm_up(found: dict[str, ModuleType]) -> None:
    """Compile, or load from numba's cache, every compiled function of a version."""
    warm_up_function(found)()
