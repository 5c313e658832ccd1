"""Running an experiment: file -> design points -> tasks -> executor -> store -> tables.

:func:`run_experiment` is the one entry point (the CLI calls it). It validates
everything first (every design point's scenario included), opens the result
store, runs only the tasks the store does not hold, and then recomputes the
final tables from the store alone.
"""

from __future__ import annotations

import contextlib
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol, overload

import pandas as pd

from sim.errors import InputError
from sim.experiment.analysis import Tables, analyse
from sim.experiment.design import Point, design_points
from sim.experiment.executors import Executor, WorkerLost, make_executor
from sim.experiment.size import check_size
from sim.experiment.spec import Experiment, design_size, load_experiment, point_scenario
from sim.experiment.store import KIND, ResultStore, StoreError, discard_store, now, versions
from sim.experiment.tasks import Job, PointJobs, Task, TaskOutput, TaskPlanner
from sim.language import _
from sim.model.schema import Scenario
from sim.plan.compile import compile_plan
from sim.plan.expect import simulated_shipments
from sim.replicate import sizing
from sim.replicate.processes import Interrupted, stop_on_signals, uninterruptible
from sim.replicate.runner import DEFAULT_ENGINE, default_workers
from sim.results.atomic import FolderClaim, OutputError, write_frame, writing_into

DEFAULT_OUT = Path("out")
"""Results go to ``out/<experiment name>`` unless ``--out`` says otherwise."""


@dataclass(frozen=True)
class Progress:
    """Where an experiment stands: tasks and replications done (stored) of those planned."""

    tasks_done: int
    tasks_total: int
    replications_done: int
    replications_total: int
    computed: int  # replications computed by this invocation (the rest were stored before)


@dataclass
class ExperimentResult:
    experiment: Experiment
    folder: Path
    points: list[Point]
    tables: Tables
    stop_reasons: list[str]
    tasks: int
    computed: int  # tasks computed by this invocation
    reused: int  # tasks found in the store
    executor: str
    seconds: float


@dataclass(frozen=True)
class RangeSettings:
    """Where and how an experiment runs, for the draws of its uncertain inputs."""

    executor: str
    address: str | None
    workers: int | None
    notice: Callable[[str], None] | None


class Ranges(Protocol):
    """The plausible range of every point over the scenario's uncertain inputs: planned
    before anything runs, then run and added to the results table. Given by the stage above
    (:mod:`sim.uncertainty`), which this one cannot import."""

    def plan(self, experiment: Experiment, points: list[Point]) -> None: ...
    def add(self, results: pd.DataFrame, folder: Path, settings: RangeSettings) -> pd.DataFrame: ...


class ExperimentStopped(Exception):
    """The experiment stopped before its end; finished tasks are kept for a rerun."""

    def __init__(self, message: str, exit_status: int) -> None:
        super().__init__(message)
        self.exit_status = exit_status


def run_experiment(
    path: str | Path,
    executor: str = "local",
    address: str | None = None,
    workers: int | None = None,
    out: str | Path | None = None,
    fresh: bool = False,
    progress: Callable[[Progress], None] | None = None,
    notice: Callable[[str], None] | None = None,
    replications: int | None = None,
    points: int | None = None,
    uncertainty: int | None = None,
    ranges: Ranges | None = None,
) -> ExperimentResult:
    """Run (or resume) an experiment file and write its tables to ``out``.

    ``replications`` and ``points`` override the file's for a trial run (``-n``,
    ``--points``); its results go to ``out/NAME-n5`` (``-points16``...) unless ``out``
    says otherwise, beside the file's own. ``uncertainty`` (``--uncertainty N``) overrides
    the file's draws of the uncertain inputs, which ``ranges`` runs (a stage above this
    one: :func:`sim.uncertainty.experiment_uncertain` passes it).

    Raises :class:`sim.errors.InputError` for bad input (before anything runs,
    and before the results folder is made), :class:`sim.processes.Interrupted` on
    SIGINT or SIGTERM (with ``kept`` saying what is kept) and
    :class:`ExperimentStopped` when a worker is lost or the disk is full: the tasks
    finished by then are kept, and the same call resumes. Another run writing into
    the same folder is waited for (``notice`` is told so), and its tasks are then
    found stored, never computed twice.
    """
    started = time.perf_counter()
    experiment = load_experiment(path, replications, points, uncertainty)
    tables_bytes = check_size(experiment, executor, address, workers)
    design = design_points(experiment)
    largest = max(  # every point validated, one at a time; the largest kept for sizing
        (point_scenario(experiment, values, i) for i, values in enumerate(design)),
        key=_expected_shipments,
    )
    if experiment.uncertainty is not None:
        if ranges is None:
            raise InputError(
                experiment.source,
                "uncertainty",
                _("draws of the uncertain inputs are run by sim.uncertainty.experiment_uncertain"),
            )
        ranges.plan(experiment, design)  # every point's draws checked before anything runs
    if executor == "local":  # a cluster's workers have their own memory
        workers = _fitting_workers(largest, experiment, workers, tables_bytes)
    pool = make_executor(executor, workers or default_workers(), address)
    jobs = PointJobs(experiment, design, lambda p: point_scenario(experiment, design[p], p))
    folder = (
        Path(out) if out is not None else DEFAULT_OUT / (experiment.name + experiment.trial_suffix)
    )
    with writing_into(folder, wait=notice) as claim:
        store = open_store(folder, manifest(experiment, design), fresh, claim)
        planner = TaskPlanner(experiment, len(design))
        log = Log(store, executor)
        queue = Queue(planner.initial())
        with stop_on_signals(), keeping_finished_tasks(store, planner, log, claim):
            with pool:
                try:
                    drive(queue, planner, store, pool, jobs, log, progress)
                except BaseException:
                    with uninterruptible():  # a Ctrl-C now must not cut the clean-up short
                        pool.abort()
                    raise
            tables = analyse(experiment, design, _PlannedTasks(planner), store.read)
            if experiment.uncertainty is not None and ranges is not None:
                settings = RangeSettings(executor, address, workers, notice)
                tables.results = ranges.add(tables.results, folder, settings)
            _write_tables(folder, tables)
        log.finish("complete")
    return ExperimentResult(
        experiment,
        folder,
        design,
        tables,
        planner.stop_reasons,
        planner.planned,
        log.computed,
        log.reused,
        pool.description,
        time.perf_counter() - started,
    )


def open_store(
    folder: Path, manifest: dict[str, Any], fresh: bool, claim: FolderClaim
) -> ResultStore:
    """The store, in a folder this process holds; if it is refused, a folder made for it goes."""
    try:
        return ResultStore.open(folder, manifest, fresh)
    except BaseException:
        if claim.created:
            discard_store(folder)
        raise


class Queue:
    """Tasks to run, in order: the first rounds generated as they are taken (never listed
    whole), then the rounds a precision rule adds."""

    def __init__(self, first: Iterator[Task]) -> None:
        self._first: Iterator[Task] | None = first
        self._added: deque[Task] = deque()
        self._head: Task | None = None

    def peek(self) -> Task | None:
        if self._head is None and self._first is not None:
            self._head = next(self._first, None)
            if self._head is None:
                self._first = None
        if self._head is None and self._added:
            self._head = self._added.popleft()
        return self._head

    def pop(self) -> Task:
        task = self.peek()
        assert task is not None
        self._head = None
        return task

    def extend(self, tasks: list[Task]) -> None:
        self._added.extend(tasks)


class _PlannedTasks(Sequence[list[Task]]):
    """Each point's tasks, made when the tables read them (one point at a time)."""

    def __init__(self, planner: TaskPlanner) -> None:
        self._planner = planner

    def __len__(self) -> int:
        return len(self._planner.ends)

    @overload
    def __getitem__(self, index: int) -> list[Task]: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[list[Task]]: ...
    def __getitem__(self, index: int | slice) -> list[Task] | Sequence[list[Task]]:
        if isinstance(index, slice):
            return [self[i] for i in range(len(self))[index]]
        if not -len(self) <= index < len(self):
            raise IndexError(index)
        return self._planner.tasks_of(index % len(self))


class Planner(Protocol):
    """Decides the tasks (:class:`~sim.experiment.tasks.TaskPlanner` for an experiment, a
    fixed list for an uncertainty study): what each finished task makes necessary."""

    planned: int
    planned_replications: int

    @property
    def adaptive(self) -> bool: ...
    def finished(self, task: Task, output: TaskOutput | None) -> list[Task]: ...


class Jobs(Protocol):
    """The job of each point (:class:`~sim.experiment.tasks.PointJobs` for an experiment)."""

    def __getitem__(self, point: int) -> Job: ...


@dataclass
class Log:
    """What this invocation did, for ``log.jsonl``: tasks computed and found stored."""

    store: ResultStore | None
    executor: str
    computed: int = 0
    reused: int = 0
    replications: int = 0  # computed by this invocation
    started: str = field(default_factory=now)

    def finish(self, status: str) -> None:
        entry = {"started": self.started, "finished": now(), "executor": self.executor}
        counts = {"computed": self.computed, "reused": self.reused, "status": status}
        if self.store is not None:
            self.store.log(entry | counts)


@contextlib.contextmanager
def keeping_finished_tasks(
    store: ResultStore, planner: Planner, log: Log, claim: FolderClaim
) -> Iterator[None]:
    """Say what a stop (signal, lost worker, full disk) keeps, in the log and in one line.

    An interrupt goes on as it is, with ``kept`` filled in: the command line reports
    every interrupt the same way. The other stops become :class:`ExperimentStopped`.
    A stop that keeps no task in a folder this run made leaves no folder.
    """
    try:
        yield
    except (Interrupted, WorkerLost, StoreError) as exc:
        stored = store.count_on_disk()  # what survives, even a file renamed just now
        if stored == 0 and claim.created:
            discard_store(store.folder)
            log = Log(None, log.executor, log.computed, log.reused)  # nowhere to log to
        kept = _("{stored} of {planned} tasks kept; run the same command to resume").format(
            stored=stored, planned=max(stored, planner.planned)
        )
        if isinstance(exc, Interrupted):
            log.finish("interrupted")
            exc.kept = exc.kept or kept  # the draws of an experiment's ranges say their own
            raise
        log.finish(str(exc))
        raise ExperimentStopped(f"{exc}: {kept}", 1) from None


def drive(
    queue: Queue,
    planner: Planner,
    store: ResultStore,
    pool: Executor,
    jobs: Jobs,
    log: Log,
    progress: Callable[[Progress], None] | None,
) -> None:
    """Run every queued task the store lacks; feed each finished one back to the planner.

    Stored tasks are taken as they are (read back only when a precision rule needs their
    values); the executor holds at most its capacity, so new rounds can join the queue.
    """
    done_replications = 0

    def report() -> None:
        if progress is not None:
            progress(
                Progress(
                    log.computed + log.reused,
                    planner.planned,
                    done_replications,
                    planner.planned_replications,
                    log.replications,
                )
            )

    report()
    while queue.peek() is not None or pool.pending():
        while (head := queue.peek()) is not None and (
            store.has(head) or pool.pending() < pool.capacity
        ):
            task = queue.pop()
            if store.has(task):
                log.reused += 1
                done_replications += task.replications
                queue.extend(planner.finished(task, store.read(task) if planner.adaptive else None))
                report()
            else:
                pool.submit(jobs[task.point], task)
        if pool.pending():
            task, output = pool.next_finished()
            store.write(task, output)
            log.computed += 1
            log.replications += task.replications
            done_replications += task.replications
            queue.extend(planner.finished(task, output))
            report()


def _write_tables(folder: Path, tables: Tables) -> None:
    try:
        write_frame(tables.results, folder / "results.csv")
        write_frame(tables.results, folder / "results.parquet")
        write_frame(tables.experiments, folder / "experiments.csv")
        write_frame(tables.outcomes, folder / "outcomes.csv")
        write_frame(tables.main_effects, folder / "main_effects.csv")
        if tables.sensitivity is not None:
            write_frame(tables.sensitivity, folder / "sensitivity.csv")
    except OutputError as exc:
        raise StoreError(
            _("cannot write the tables in {folder} ({reason})").format(
                folder=folder, reason=exc.reason
            )
        ) from None


def manifest(experiment: Experiment, points: list[Point]) -> dict[str, Any]:
    """What the results folder is the results of: files, design, seed, rule, versions."""
    if experiment.precision is None:
        replications: dict[str, Any] = {"fixed": experiment.max_replications}
    else:
        replications = {
            "precision": experiment.precision,
            "max": experiment.max_replications,
            "first_round": experiment.replications,
        }
    return {
        "kind": KIND,
        "name": experiment.name,
        "description": experiment.description,
        "experiment_file": str(experiment.path),
        "scenario_file": str(experiment.scenario_path),
        **experiment.file_hashes,
        "digest": experiment.digest,
        "design": {
            "type": experiment.design,
            "size": experiment.points,
            "factors": [
                {"path": f.path, "levels": list(f.levels), "integer": f.integer}
                for f in experiment.factors
            ],
            "points": [{"point": i, **point} for i, point in enumerate(points)],
        },
        "set": experiment.settings,
        "overrides": experiment.overrides,
        "seed": experiment.seed,
        "replications": replications,
        "replications_per_task": experiment.replications_per_task,
        "indicators": list(experiment.indicators) if experiment.indicators else None,
        "engine": DEFAULT_ENGINE,
        "versions": versions(),
        "created": now(),
    }


def _fitting_workers(
    largest: Scenario, experiment: Experiment, workers: int | None, tables_bytes: float
) -> int:
    """Workers whose replications fit in memory beside the tables this process gathers,
    sized on the point with the most shipments (memory grows with them), before anything
    runs; a point too big for the machine is refused in one line
    (:func:`sim.sizing.fit_workers`)."""
    plans = [compile_plan(largest)]
    size = sizing.estimate(plans, DEFAULT_ENGINE, False)
    size = replace(size, parent_bytes=size.parent_bytes + tables_bytes)
    most = experiment.max_replications * design_size(experiment)
    wanted = min(workers or default_workers(), most)
    return sizing.fit_workers(size, workers, max(wanted, 1), experiment.source)


def _expected_shipments(scenario: Scenario) -> float:
    return simulated_shipments(compile_plan(scenario).ports)
