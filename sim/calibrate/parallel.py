"""Independent pieces of work over a fork pool, results in submission order.

Each piece carries its own seeds, so the numbers are the same with one worker or
many. The compiled engine is loaded before forking, as the runner does, so that
workers inherit it instead of loading it again.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from .. import engine_numba


def pool_map(function: Callable[[Any], Any], jobs: Sequence[Any], workers: int) -> list[Any]:
    """``[function(job) for job in jobs]``, in a fork pool of ``workers`` when that helps."""
    if workers <= 1 or len(jobs) <= 1:
        return [function(job) for job in jobs]
    engine_numba.warm_up()
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(min(workers, len(jobs)), mp_context=context) as pool:
        return list(pool.map(function, jobs))
