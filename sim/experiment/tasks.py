"""Tasks: which replications of which point, their ids, and what a worker computes.

A task is a run of consecutive replications of one design point. Its id is a
short hash of the experiment digest, the point and the replication range, so
the same files always give the same ids: a rerun finds what is stored and
computes the rest. Replication ``r`` of every point uses the same random
streams (common random numbers): the seed and ``r`` are all a replication
needs, whichever worker runs it.

A worker returns, for each replication of its task, the values of the kept
indicator rows (never records); the parent stores them. :func:`replicate` is
the one place where a replication of a point becomes numbers.
"""

from __future__ import annotations

import hashlib
import math
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from sim.experiment.keys import ROW_KEYS, Key, is_headline_total, metric_of
from sim.experiment.spec import Experiment
from sim.indicators.layout import HEADLINE, Layout
from sim.model.schema import Scenario
from sim.plan.arrays import Plan
from sim.plan.compile import compile_plan
from sim.replicate.runner import DEFAULT_ENGINE, _replications_needed, indicator_vector
from sim.replicate.stats import Accumulator


@dataclass(frozen=True, order=True)
class Task:
    """Replications ``first .. last - 1`` of design point ``point``."""

    point: int
    first: int
    last: int
    id: str = field(compare=False)

    @property
    def replications(self) -> int:
        return self.last - self.first


def task_id(digest: str, point: int, first: int, last: int) -> str:
    return hashlib.sha256(f"{digest}:{point}:{first}:{last}".encode()).hexdigest()[:16]


# --- what a worker computes -------------------------------------------------------------


@dataclass(frozen=True)
class TaskOutput:
    """The kept rows' keys and their values: one column per replication of the task.

    ``keys`` names the parts of each row's key (the long table's level and metric columns,
    and for a study of several scenarios the scenario first): the store's key columns.
    """

    rows: list[Key]
    values: np.ndarray  # (rows, replications)
    keys: tuple[str, ...] = ROW_KEYS


class Job(Protocol):
    """What a worker runs: replications ``first .. last - 1`` of one point, as numbers.

    Sent with each task (a worker may be on another machine, and may be replaced mid-run),
    so it carries everything it needs; an experiment's point is a :class:`PointJob`, a draw
    of an uncertainty study (:mod:`sim.uncertainty`) another kind.
    """

    def run(self, first: int, last: int) -> TaskOutput: ...


def run_job(job: Job, first: int, last: int) -> TaskOutput:
    """What every executor calls in its worker (a module-level function: pickled by name)."""
    return job.run(first, last)


@dataclass(frozen=True)
class PointJob:
    """What a worker needs to run any task of one point of an experiment."""

    key: str  # experiment digest and point: names the compiled point in a worker's cache
    scenario: Scenario
    seed: int
    metrics: tuple[str, ...] | None  # metrics to keep; None keeps all
    engine: str = DEFAULT_ENGINE

    def run(self, first: int, last: int) -> TaskOutput:
        return run_task(self, first, last)


@dataclass(frozen=True)
class CompiledPoint:
    plan: Plan
    layout: Layout
    kept: np.ndarray  # indices of the kept rows in the layout
    job: PointJob


_compiled: dict[str, CompiledPoint] = {}
CACHE_POINTS = 8
"""Points a worker keeps compiled; tasks of one point tend to arrive together."""


def compiled(job: PointJob) -> CompiledPoint:
    """The point's plan, layout and kept rows, compiled once per worker process."""
    point = _compiled.get(job.key)
    if point is None:
        if len(_compiled) >= CACHE_POINTS:
            _compiled.clear()
        plan = compile_plan(job.scenario)
        layout = Layout.of(plan)
        wanted = set(job.metrics) if job.metrics is not None else None
        kept = [
            i for i, row in enumerate(layout.rows) if wanted is None or metric_of(row) in wanted
        ]
        point = _compiled[job.key] = CompiledPoint(plan, layout, np.array(kept, np.intp), job)
    return point


def replicate(point: CompiledPoint, replication: int) -> np.ndarray:
    """One replication of one design point: its kept indicator values.

    The only function that runs the simulator for an experiment: the rest of the
    package sees indicator vectors, whatever the engine does inside.
    """
    job = point.job
    vector = indicator_vector(point.plan, point.layout, job.engine, job.seed, replication)
    return vector[point.kept]


def run_task(job: PointJob, first: int, last: int) -> TaskOutput:
    """Replications ``first .. last - 1`` of a point (runs in a worker)."""
    point = compiled(job)
    values = np.empty((len(point.kept), last - first))
    for column, replication in enumerate(range(first, last)):
        values[:, column] = replicate(point, replication)
    return TaskOutput([point.layout.rows[i] for i in point.kept], values)


class PointJobs:
    """The job of each design point, made when its tasks are submitted (the point's scenario
    validated again, a few milliseconds) and kept for the next few points only: an
    experiment of a hundred thousand points never holds a hundred thousand scenarios."""

    def __init__(
        self,
        experiment: Experiment,
        points: Sequence[dict[str, Any]],
        scenario_of: Callable[[int], Scenario],
    ) -> None:
        metrics = experiment.indicators
        if metrics is not None and experiment.precision is not None:
            metrics = tuple(dict.fromkeys((*metrics, *HEADLINE)))  # a precision rule judges them
        self.experiment = experiment
        self.metrics = metrics
        self.points = points
        self.scenario_of = scenario_of
        self._recent: OrderedDict[int, PointJob] = OrderedDict()

    def __getitem__(self, p: int) -> PointJob:
        job = self._recent.get(p)
        if job is None:
            experiment = self.experiment
            job = PointJob(
                f"{experiment.digest}/{p}", self.scenario_of(p), experiment.seed, self.metrics
            )
            self._recent[p] = job
            if len(self._recent) > CACHE_POINTS:
                self._recent.popitem(last=False)
        self._recent.move_to_end(p)
        return job


# --- which tasks ---------------------------------------------------------------------


class TaskPlanner:
    """Decides the tasks of every point: all at once, or round by round for a precision rule.

    Tasks are never listed ahead: a point's tasks are the fixed grid of task boundaries
    (``0, size, 2 size, ...``) up to the replications planned for it (:attr:`ends`), so
    they are generated when they are run or read, and the planner's memory is a few
    numbers per point, whatever the replications (:func:`initial` is a generator).

    With a precision rule, a point's next round is decided from its finished rounds only
    (accumulated in replication order), so the decision, and therefore the set of tasks,
    is the same however the work was spread, interrupted and resumed.
    """

    def __init__(self, experiment: Experiment, points: int) -> None:
        self.experiment = experiment
        self.size = experiment.replications_per_task
        first = self._round_end(0, experiment.replications)
        self.ends = [first] * points  # replications planned of each point
        self.planned = points * math.ceil(first / self.size)  # tasks planned so far
        self.planned_replications = points * first
        reason = "" if self.adaptive else f"{experiment.replications} replications as asked"
        self.stop_reasons = [reason] * points
        self._waiting = [math.ceil(first / self.size)] * points  # unfinished, this round
        self._round: dict[int, dict[int, TaskOutput]] = {}  # finished, this round
        self._judged: dict[int, Accumulator] = {}

    @property
    def adaptive(self) -> bool:
        """Whether finished tasks decide further ones (they need their outputs)."""
        return self.experiment.precision is not None

    def initial(self) -> Iterator[Task]:
        """The first tasks of every point, in (point, replication) order, as they are taken."""
        for p, end in enumerate(self.ends):
            yield from self._between(p, 0, end)

    def tasks_of(self, p: int) -> list[Task]:
        """Every task planned so far for point ``p``, in replication order."""
        return list(self._between(p, 0, self.ends[p]))

    def finished(self, task: Task, output: TaskOutput | None) -> list[Task]:
        """Record a finished task; return the tasks it makes necessary (a point's next round)."""
        precision = self.experiment.precision
        if precision is None:  # not adaptive: the counts are fixed
            return []
        assert output is not None
        p = task.point
        self._round.setdefault(p, {})[task.first] = output
        self._waiting[p] -= 1
        if self._waiting[p]:
            return []
        judged = self._absorb(p)
        done = self.ends[p]
        # rows never defined (e.g. a utilisation rate without eligible shipments) cannot be judged
        needed = _replications_needed(judged, judged.count > 0, precision)
        maximum = self.experiment.max_replications
        if needed <= done:
            self.stop_reasons[p] = f"precision reached after {done} replications"
            return []
        if done >= maximum:
            self.stop_reasons[p] = f"stopped at the cap of {maximum} replications"
            return []
        end = self._round_end(done, min(maximum, max(needed, done + 1)))
        new = list(self._between(p, done, end))
        self.ends[p] = end
        self._waiting[p] = len(new)
        self.planned += len(new)
        self.planned_replications += end - done
        return new

    def _absorb(self, p: int) -> Accumulator:
        """Add the finished round's headline totals to the point's accumulator, in order."""
        finished = self._round.pop(p)
        outputs = [finished[first] for first in sorted(finished)]
        rows = np.array([is_headline_total(row) for row in outputs[0].rows], dtype=bool)
        judged = self._judged.get(p)
        if judged is None:
            judged = self._judged[p] = Accumulator(int(rows.sum()))
        for output in outputs:
            for column in output.values[rows].T:
                judged.add(column)
        return judged

    def _round_end(self, start: int, stop: int) -> int:
        """Where a round asked to reach ``stop`` ends: there, for a fixed count; for a
        precision rule, at the end of a whole task of the fixed size, up to the cap."""
        if not self.adaptive:
            return stop
        return min(self.experiment.max_replications, math.ceil(stop / self.size) * self.size)

    def _between(self, p: int, start: int, end: int) -> Iterator[Task]:
        """Tasks covering replications start..end-1 on the fixed grid of task boundaries
        (``start`` lies on it: rounds start where the last one ended)."""
        size, digest = self.size, self.experiment.digest
        for a in range(start, end, size):
            b = min(a + size, end)
            yield Task(p, a, b, task_id(digest, p, a, b))
