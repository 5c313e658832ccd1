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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sim.experiment.analysis import Tables, analyse
from sim.experiment.design import Point, design_points
from sim.experiment.executors import Executor, WorkerLost, make_executor
from sim.experiment.spec import Experiment, load_experiment, point_scenarios
from sim.experiment.store import KIND, ResultStore, StoreError, now, versions
from sim.experiment.tasks import Job, Task, TaskOutput, TaskPlanner, point_jobs
from sim.model.schema import Scenario
from sim.plan.compile import compile_plan
from sim.plan.expect import simulated_shipments
from sim.replicate import sizing
from sim.replicate.processes import Interrupted, stop_on_signals, uninterruptible
from sim.replicate.runner import DEFAULT_ENGINE, default_workers
from sim.results.atomic import OutputError, write_frame

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
) -> ExperimentResult:
    """Run (or resume) an experiment file and write its tables to ``out``.

    Raises :class:`sim.errors.InputError` for bad input (before anything runs),
    :class:`sim.processes.Interrupted` on SIGINT or SIGTERM (with ``kept`` saying
    what is kept) and :class:`ExperimentStopped` when a worker is lost or the disk
    is full: the tasks finished by then are kept, and the same call resumes.
    """
    started = time.perf_counter()
    experiment = load_experiment(path)
    points = design_points(experiment)
    scenarios = point_scenarios(experiment, points)
    jobs = point_jobs(experiment, scenarios)
    if executor == "local":  # a cluster's workers have their own memory
        workers = _fitting_workers(scenarios, workers, str(path))
    pool = make_executor(executor, workers or default_workers(), address)
    folder = Path(out) if out is not None else DEFAULT_OUT / experiment.name
    store = ResultStore.open(folder, manifest(experiment, points), fresh)
    planner = TaskPlanner(experiment, len(points))
    log = Log(store, executor)
    queue = deque(planner.initial())
    with stop_on_signals(), keeping_finished_tasks(store, planner, log):
        with pool:
            try:
                drive(queue, planner, store, pool, jobs, log, progress)
            except BaseException:
                with uninterruptible():  # a Ctrl-C now must not cut the clean-up short
                    pool.abort()
                raise
        tables = analyse(experiment, points, planner.tasks, store.read)
        _write_tables(folder, tables)
    log.finish("complete")
    return ExperimentResult(
        experiment,
        folder,
        points,
        tables,
        planner.stop_reasons,
        planner.planned,
        log.computed,
        log.reused,
        pool.description,
        time.perf_counter() - started,
    )


class Planner(Protocol):
    """Decides the tasks (:class:`~sim.experiment.tasks.TaskPlanner` for an experiment): the
    first ones, and what each finished task makes necessary."""

    planned: int
    planned_replications: int

    @property
    def adaptive(self) -> bool: ...
    def finished(self, task: Task, output: TaskOutput | None) -> list[Task]: ...


@dataclass
class Log:
    """What this invocation did, for ``log.jsonl``: tasks computed and found stored."""

    store: ResultStore
    executor: str
    computed: int = 0
    reused: int = 0
    replications: int = 0  # computed by this invocation
    started: str = field(default_factory=now)

    def finish(self, status: str) -> None:
        entry = {"started": self.started, "finished": now(), "executor": self.executor}
        counts = {"computed": self.computed, "reused": self.reused, "status": status}
        self.store.log(entry | counts)


@contextlib.contextmanager
def keeping_finished_tasks(store: ResultStore, planner: Planner, log: Log) -> Iterator[None]:
    """Say what a stop (signal, lost worker, full disk) keeps, in the log and in one line.

    An interrupt goes on as it is, with ``kept`` filled in: the command line reports
    every interrupt the same way. The other stops become :class:`ExperimentStopped`.
    """
    try:
        yield
    except (Interrupted, WorkerLost, StoreError) as exc:
        stored = store.count_on_disk()  # what survives, even a file renamed just now
        kept = (
            f"{stored} of {max(stored, planner.planned)} tasks kept; run the same command to resume"
        )
        if isinstance(exc, Interrupted):
            log.finish("interrupted")
            exc.kept = kept
            raise
        log.finish(str(exc))
        raise ExperimentStopped(f"{exc}: {kept}", 1) from None


def drive(
    queue: deque[Task],
    planner: Planner,
    store: ResultStore,
    pool: Executor,
    jobs: Sequence[Job],
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
    while queue or pool.pending():
        while queue and (store.has(queue[0]) or pool.pending() < pool.capacity):
            task = queue.popleft()
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
        raise StoreError(f"cannot write the tables in {folder} ({exc.reason})") from None


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
        "seed": experiment.seed,
        "replications": replications,
        "replications_per_task": experiment.replications_per_task,
        "indicators": list(experiment.indicators) if experiment.indicators else None,
        "engine": DEFAULT_ENGINE,
        "versions": versions(),
        "created": now(),
    }


def _fitting_workers(scenarios: list[Scenario], workers: int | None, source: str) -> int:
    """Workers whose replications fit in memory, sized on the point with the most shipments
    (memory grows with them), before anything runs; a point too big for the machine is
    refused in one line (:func:`sim.sizing.workers_for`)."""
    largest = max(scenarios, key=_expected_shipments)
    return sizing.workers_for(
        [compile_plan(largest)], DEFAULT_ENGINE, False, workers, 2**31, source
    )


def _expected_shipments(scenario: Scenario) -> float:
    return simulated_shipments(compile_plan(scenario).ports)
