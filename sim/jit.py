"""Whether the compiled code is on disk: a first run compiles it, which takes a while.

mrasim's compiled functions (``@njit(cache=True)``) are saved by numba beside
the modules. The first run after installing (or after editing a module) compiles
them, which takes tens of seconds; later runs load them in about a second. The
CLI says "compiling (first run only)" when that wait is coming, so a first run
does not look like a hang.
"""

from __future__ import annotations

from types import ModuleType


def _compiled_modules() -> tuple[ModuleType, ...]:
    from . import distributions, engine_numba, indicators, inputs

    return distributions, inputs, engine_numba, indicators


def cache_is_cold() -> bool:
    """Whether some compiled function has no valid entry in numba's on-disk cache.

    A function inlined into its callers (``inline="always"``) is never compiled on its
    own and has no entry: it is not counted. Numba's index checks the module's
    modification time and size, so an edited module counts as cold. If numba's cache
    cannot be inspected (another numba version), the answer is False: better no notice
    than a wrong one.
    """
    try:
        from numba.core.registry import CPUDispatcher

        for module in _compiled_modules():
            for value in vars(module).values():
                if not isinstance(value, CPUDispatcher) or value.__module__ != module.__name__:
                    continue
                if value.targetoptions.get("inline", "never") != "never":
                    continue
                if not value._cache._cache_file._load_index():
                    return True
    except (AttributeError, ImportError, OSError):
        return False
    return False
