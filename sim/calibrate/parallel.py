"""Independent pieces of work over a fork pool, results in submission order.

Each piece carries its own seeds, so the numbers are the same with one worker or
many. What the pieces share (a replayable queue with its closures, say) is set
before the pool forks, so the workers inherit it instead of receiving it pickled;
the compiled engine is loaded before forking too, as the runner does.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from .. import engine_numba

_shared: Any = None


def pool_map(
    function: Callable[[Any, Any], Any], shared: Any, jobs: Sequence[Any], workers: int
) -> list[Any]:
    """``[function(shared, job) for job in jobs]``, in a fork pool of ``workers`` when that
    helps (``function`` at module level, ``jobs`` small and picklable)."""
    global _shared
    if workers <= 1 or len(jobs) <= 1:
        return [function(shared, job) for job in jobs]
    engine_numba.warm_up()
    _shared = shared
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(min(workers, len(jobs)), mp_context=context) as pool:
            return list(pool.map(_call, [(function, job) for job in jobs]))
    finally:
        _shared = None


def _call(task: tuple[Callable[[Any, Any], Any], Any]) -> Any:
    function, job = task
    return function(_shared, job)
