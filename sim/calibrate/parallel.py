"""Independent pieces of work over a fork pool, results in submission order.

Each piece carries its own seeds, so the numbers are the same with one worker or
many. What the pieces share (a replayable queue with its closures, say) is handed
to the pool's initializer, so the workers inherit it by the fork instead of
receiving it pickled; the compiled engine is loaded before forking too, as the
runner does. The pool is :class:`sim.processes.WorkerPool`: workers die with
their parent, an interrupt stops them at once, and a lost worker is named.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sim.replicate import jit
from sim.replicate.processes import Task, WorkerPool

_shared: Any = None


def pool_map(
    function: Callable[[Any, Any], Any], shared: Any, jobs: Sequence[Any], workers: int
) -> list[Any]:
    """``[function(shared, job) for job in jobs]``, in a fork pool of ``workers`` when that
    helps (``function`` at module level, ``jobs`` small and picklable)."""
    if workers <= 1 or len(jobs) <= 1:
        return [function(shared, job) for job in jobs]
    jit.warm_up()
    name = function.__name__.strip("_").replace("_", " ")
    tasks = [
        Task(f"{name} {i + 1} of {len(jobs)}", _call, (function, job)) for i, job in enumerate(jobs)
    ]
    with WorkerPool(min(workers, len(jobs)), _inherit, (shared,)) as pool:
        return [result for _, result in pool.imap(tasks)]


def _inherit(shared: Any) -> None:
    """In a worker, after the fork: keep what the jobs share."""
    global _shared
    _shared = shared


def _call(function: Callable[[Any, Any], Any], job: Any) -> Any:
    return function(_shared, job)
