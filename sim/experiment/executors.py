"""Executors: where tasks run. In this process, in a local process pool, or on Dask.

Every executor runs the same function (:func:`.tasks.run_job`) and hands each
finished task back to the parent, which stores it; the order tasks finish in
does not matter (results are re-accumulated in replication order). An
executor holds at most :attr:`capacity` tasks at a time, so a long experiment
never queues thousands of scenarios in memory, and an interruption loses at
most that many tasks' work.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
from collections import deque
from typing import Any, Protocol

from sim.errors import InputError
from sim.experiment.tasks import Job, Task, TaskOutput, run_job
from sim.language import _
from sim.replicate import jit, processes
from sim.replicate.processes import WorkerPool

SCHEDULER_ENV = "DASK_SCHEDULER_ADDRESS"
CLOSE_TIMEOUT_S = 20


class WorkerLost(Exception):
    """A worker died while running a task (killed, out of memory, crashed)."""

    def __init__(self, task: Task, detail: str) -> None:
        super().__init__(
            _(
                "a worker died while running point {point}, replications {first}-{last} ({detail})"
            ).format(point=task.point, first=task.first, last=task.last - 1, detail=detail)
        )


class Executor(Protocol):
    description: str  # for the footer: "local, 2 worker processes"
    capacity: int  # tasks held at once

    def __enter__(self) -> Executor: ...
    def __exit__(self, *exc: object) -> None: ...
    def submit(self, job: Job, task: Task) -> None: ...
    def pending(self) -> int: ...
    def next_finished(self) -> tuple[Task, TaskOutput]: ...
    def abort(self) -> None: ...


def make_executor(kind: str, workers: int, address: str | None) -> Executor:
    """``local`` (in this process for one worker, else a fork pool) or ``dask``."""
    if kind not in ("local", "dask"):
        raise ValueError(f"unknown executor '{kind}'; use local or dask")
    if kind == "dask":
        return DaskExecutor(workers, address or os.environ.get(SCHEDULER_ENV) or None)
    if address is not None:
        raise InputError("--address", address, _("is for --executor dask"))
    return SerialExecutor() if workers == 1 else PoolExecutor(workers)


class SerialExecutor:
    """Tasks run one by one in this process, when their results are asked for."""

    description = "local, in this process"
    capacity = 1

    def __init__(self) -> None:
        self._queue: deque[tuple[Job, Task]] = deque()

    def __enter__(self) -> SerialExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self._queue.clear()

    def submit(self, job: Job, task: Task) -> None:
        self._queue.append((job, task))

    def pending(self) -> int:
        return len(self._queue)

    def next_finished(self) -> tuple[Task, TaskOutput]:
        job, task = self._queue.popleft()
        return task, run_job(job, task.first, task.last)

    def abort(self) -> None:
        self._queue.clear()


class PoolExecutor:
    """Forked worker processes on this machine (:class:`sim.processes.WorkerPool`): they
    inherit compiled code, ignore Ctrl-C (the parent decides) and die with the parent."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.capacity = 2 * workers
        self.description = _("local, {workers} worker processes").format(workers=workers)
        self._pool: WorkerPool | None = None
        self._running: dict[str, Task] = {}  # by label: one task per point and replications

    def __enter__(self) -> PoolExecutor:
        jit.warm_up()  # compile or load once, before forking
        self._pool = WorkerPool(self.workers).__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._pool is not None:
            self._pool.__exit__(*exc)
            self._pool = None

    def submit(self, job: Job, task: Task) -> None:
        assert self._pool is not None
        label = f"point {task.point}, replications {task.first}-{task.last - 1}"
        self._pool.submit(processes.Task(label, run_job, (job, task.first, task.last)))
        self._running[label] = task

    def pending(self) -> int:
        return len(self._running)

    def next_finished(self) -> tuple[Task, TaskOutput]:
        assert self._pool is not None
        try:
            done, output = self._pool.next_finished()
        except processes.WorkerLost as lost:
            raise WorkerLost(self._running[lost.task.label], lost.death) from None
        return self._running.pop(done.label), output

    def abort(self) -> None:
        if self._pool is not None:
            self._pool.kill()
            self._pool = None
        self._running.clear()


LOCAL_CLUSTER_CONFIG = {
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.worker.memory.monitor-interval": "1s",
}
"""Dask settings of our LocalCluster, each measured on the reference office:

* Dask's nannies start workers with MALLOC_TRIM_THRESHOLD_=65536, which also turns off
  glibc's adaptive mmap threshold: every array of a replication is then mapped and unmapped
  afresh (1.7x the CPU time of a replication, 10,000x the page faults). Left unset here.
* The statistical profiler (every 10 ms), the event-loop health tick (every 20 ms) and the
  memory monitor (every 100 ms) wake every worker and the scheduler constantly: with them,
  a 2-worker run took 1.4-1.6x the wall time and 2.5-3x the scheduler's CPU time on a
  loaded 2-core machine. Tasks here last a second or so: ticks of a second are enough.
"""


def local_cluster(workers: int) -> Any:
    """A LocalCluster of single-threaded worker processes, set up as measured above."""
    import dask
    from distributed import LocalCluster

    with dask.config.set(LOCAL_CLUSTER_CONFIG):
        return LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )


class DaskExecutor:
    """Tasks on a Dask cluster: at an address, or a LocalCluster of single-threaded processes.

    Each task carries its point's scenario (a worker may be on another machine, or a
    replacement for a lost one); results come back to this process, which stores them, so
    workers need no shared disk. Dask reruns the tasks of a lost worker elsewhere.
    """

    def __init__(self, workers: int, address: str | None) -> None:
        self.workers = workers
        self.address = address
        self.capacity = 2
        self.description = ""
        self._cluster: Any = None
        self._client: Any = None
        self._completed: Any = None
        self._running: dict[str, tuple[Any, Task]] = {}

    def __enter__(self) -> DaskExecutor:
        try:
            from distributed import Client, as_completed
        except ImportError:
            raise InputError(
                "--executor dask", "", _("needs dask.distributed: pip install 'mrasim[dask]'")
            ) from None
        try:
            if self.address is None:
                self._client = Client(self._local_cluster())
                self._client.run(processes.follow_parent)  # our children: they obey our rules
                self.description = _("dask, a LocalCluster of {workers} worker processes").format(
                    workers=self.workers
                )
            else:
                self._client = self._connect(Client)
            self._client.run(jit.warm_up)  # load compiled code on every worker, once
            self.capacity = max(4, 2 * sum(self._client.nthreads().values()))
            self._completed = as_completed(loop=self._client.loop)  # not the default client's
        except BaseException:
            self.abort()
            raise
        return self

    def _local_cluster(self) -> Any:
        self._cluster = local_cluster(self.workers)
        return self._cluster

    def _connect(self, client_class: Any) -> Any:
        try:
            client = client_class(self.address, timeout="10s")
        except (OSError, TimeoutError) as exc:
            raise InputError(
                "--address",
                str(self.address),
                _("no Dask scheduler answers there ({exc})").format(exc=exc),
            ) from None
        threads = sum(client.nthreads().values())
        self.description = _("dask at {address}, {threads} worker threads").format(
            address=self.address, threads=threads
        )
        return client

    def __exit__(self, *exc: object) -> None:
        if self._client is not None:
            with contextlib.suppress(Exception):
                self._client.close(timeout=CLOSE_TIMEOUT_S)
        if self._cluster is not None:
            with contextlib.suppress(Exception):
                self._cluster.close(timeout=CLOSE_TIMEOUT_S)
        self._client = self._cluster = None

    def submit(self, job: Job, task: Task) -> None:
        key = f"mrasim-{task.id}"
        future = self._client.submit(run_job, job, task.first, task.last, key=key, pure=False)
        self._running[future.key] = (future, task)
        self._completed.add(future)

    def pending(self) -> int:
        return len(self._running)

    def next_finished(self) -> tuple[Task, TaskOutput]:
        from distributed import KilledWorker

        future = next(self._completed)
        _, task = self._running.pop(future.key)
        try:
            return task, future.result()
        except KilledWorker as exc:
            raise WorkerLost(
                task, _("Dask gave up after losing workers: {error}").format(error=exc)
            ) from None

    def abort(self) -> None:
        """Stop now: a LocalCluster's workers are killed first (their work is lost anyway);
        on a cluster elsewhere, which is not ours to stop, our tasks are cancelled."""
        if self._cluster is not None:
            for nanny in list(self._cluster.workers.values()):
                pid = getattr(getattr(nanny, "process", None), "pid", None)
                if pid is not None:
                    with contextlib.suppress(OSError):
                        os.kill(pid, signal.SIGKILL)
        if self._client is not None:
            with contextlib.suppress(Exception):
                self._client.cancel([future for future, _ in self._running.values()], force=True)
                self._client.close(timeout=1)
        if self._cluster is not None:
            with contextlib.suppress(Exception):
                self._cluster.close(timeout=1)
        self._running.clear()
        self._client = self._cluster = None
