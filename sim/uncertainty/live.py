"""A study run live: its result after every draw, for a page that shows the range settle.

:class:`StudySteps` runs a study's tasks (the nominal point first, then the draws in order)
on a local process pool, kept in memory, and yields the result so far each time one more
draw is complete with every draw before it: the nominal comparison and the plausible
ranges and drivers over the first ``k`` draws, made by :func:`~sim.uncertainty.result.collect`
as the final tables are. After the last draw the numbers are those of the same study run
by :func:`~sim.uncertainty.run.run_study` (the same points, replications and streams).
:meth:`StudySteps.stop`, from any thread, kills the workers at once.

The draws' scenarios are made as their tasks are sent (not all before the first runs), so
the first numbers come as soon as the nominal point and the first draws are in.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import deque
from collections.abc import Iterator

from sim.experiment.executors import Executor, make_executor
from sim.experiment.tasks import Task, TaskOutput
from sim.plan.compile import compile_plan
from sim.plan.expect import simulated_shipments
from sim.replicate.runner import default_workers
from sim.uncertainty.jobs import DrawJob
from sim.uncertainty.result import UncertaintyResult, collect
from sim.uncertainty.run import job_of, plan_tasks
from sim.uncertainty.study import Study, replications_per_task

FIRST_DRAWS = 2
"""Draws complete before the first result: a spread needs two."""


class StudySteps:
    """Iterate to run a study; each item is the result over the draws complete so far."""

    def __init__(self, study: Study, workers: int | None = None) -> None:
        self.study = study
        self.workers = workers or default_workers()
        nominal, _ = study.nominal()
        shipments = sum(simulated_shipments(compile_plan(s).ports) for s in nominal)
        self.tasks = plan_tasks(study, replications_per_task(shipments))
        self._outputs: dict[str, TaskOutput] = {}
        self._jobs: dict[int, DrawJob] = {}
        self._pool: Executor | None = None
        self._stopped = threading.Event()
        self.draws_done = 0

    def stop(self) -> None:
        """Kill the workers now; the iteration ends (an executor's error, if any, with it)."""
        self._stopped.set()
        pool = self._pool
        if pool is not None:
            pool.abort()

    def __iter__(self) -> Iterator[UncertaintyResult]:
        queue = deque(task for point in self.tasks for task in point)
        with make_executor("local", self.workers, None) as pool:
            self._pool = pool
            while (queue or pool.pending()) and not self._stopped.is_set():
                while queue and pool.pending() < pool.capacity:
                    task = queue.popleft()
                    pool.submit(self._job(task.point), task)
                task, output = pool.next_finished()
                self._outputs[task.id] = output
                complete = self._complete_draws()
                if complete > self.draws_done and complete >= FIRST_DRAWS:
                    self.draws_done = complete
                    yield self.result(complete)

    def result(self, draws: int) -> UncertaintyResult:
        """The study's result over its nominal point and first ``draws`` draws."""
        partial = dataclasses.replace(self.study, unit=self.study.unit[:draws], draws=draws)
        return collect(partial, self.tasks[: draws + 1], self._read)

    def _read(self, task: Task) -> TaskOutput:
        return self._outputs[task.id]

    def _complete_draws(self) -> int:
        """Draws done with every draw before them (0 until the nominal point is done)."""
        done = 0
        for point in self.tasks:
            if not all(task.id in self._outputs for task in point):
                break
            done += 1
        return max(done - 1, 0)

    def _job(self, point: int) -> DrawJob:
        """The job of a point, made when its first task is sent (its scenarios validated
        once: a point's tasks are sent together)."""
        job = self._jobs.get(point)
        if job is None:
            self._jobs = {point: job_of(self.study, point)}
            job = self._jobs[point]
        return job
