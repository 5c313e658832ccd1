"""Whether the compiled code is on disk: a first run compiles it, which takes a while.

mrasim's compiled functions (``@njit(cache=True)``) are saved by numba beside
the modules. The first run after installing (or after editing a module) compiles
them, which takes about a minute; later runs load them in about a second. The
CLI says "compiling (first run only)" when that wait is coming, so a first run
does not look like a hang, and then compiles every function at once, so that a
small scenario (which never calls some of them) does not leave the cache
incomplete and the notice coming back.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType
from typing import Any


def _compiled_modules() -> tuple[ModuleType, ...]:
    from sim.engine import compiled as engine_numba
    from sim.engine import inputs
    from sim.indicators import sums as indicators
    from sim.model import distributions

    return distributions, inputs, engine_numba, indicators


def dispatchers() -> Iterator[Any]:
    """mrasim's compiled functions that numba compiles (and caches) on their own.

    A function inlined into its callers (``inline="always"``) is never compiled on
    its own and has no cache entry: it is left out.
    """
    from numba.core.registry import CPUDispatcher

    for module in _compiled_modules():
        for value in vars(module).values():
            if not isinstance(value, CPUDispatcher) or value.__module__ != module.__name__:
                continue
            if value.targetoptions.get("inline", "never") == "never":
                yield value


def cache_is_cold() -> bool:
    """Whether some compiled function has no valid entry in numba's on-disk cache.

    Numba's index records the module's modification time and size, so an edited
    module counts as cold. If numba's cache cannot be inspected (another numba
    version), the answer is False: better no notice than a wrong one.
    """
    try:
        return any(not d._cache._cache_file._load_index() for d in dispatchers())
    except (AttributeError, ImportError, OSError):
        return False


TINY = [
    "horizon_days=1",
    "warmup_days=0",
    "countries.PER.ports.callao.arrivals.batch_size={dist: deterministic, value: 2}",
    "countries.PER.ports.callao.control={prevalence: {standard: 0.05}, detection: "
    "{documentary: 0.5}, stake: {dist: exponential, mean: 100}, targeting: capacity, "
    "auc: 0.7, checks_per_day: {yellow: 10, red: 5}}",
]
"""Overrides that make the bundled one-office scenario a one-day run with every feature
that has compiled code of its own (vessel batches, the control side with a drawn stake
and capacity targeting)."""


def warm_up() -> None:
    """Compile (or load from numba's on-disk cache) every compiled function, by simulating
    one day of a small scenario once and drawing a large normal sample.

    The CLI calls it before a first run, so that the cache is complete whatever the
    scenario (a small one never calls some functions); the runner and the executors
    call it before forking workers, so that they inherit compiled code instead of
    each compiling it again. A test checks that nothing is left out, so a new
    compiled function needs its feature in :data:`TINY`.
    """
    import numpy as np

    from sim.engine.compiled import run_port
    from sim.engine.inputs import draw_port
    from sim.indicators.layout import Layout
    from sim.indicators.sums import compute
    from sim.model.distributions import _compiled_standard_normal
    from sim.model.load import load_scenario
    from sim.plan.compile import compile_plan

    plan = compile_plan(load_scenario("one-office", TINY))
    ports = []
    for port in plan.ports:
        inputs = draw_port(port.window[1], port, 0, 0)
        ports.append((inputs, run_port(port, plan.calendars, inputs)))
    compute(plan, Layout.of(plan), ports)
    _compiled_standard_normal(np.random.Generator(np.random.SFC64(0)), 1)
