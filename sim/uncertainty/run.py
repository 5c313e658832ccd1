"""Running a study: its points as tasks, on an experiment's executors and store, resumable.

The nominal point and every draw are split into tasks of a few replications (as an
experiment's points are), run on a local process pool or a Dask cluster
(:mod:`sim.experiment.executors`) and stored one file per finished task
(:class:`sim.experiment.store.ResultStore`) in a folder named by the study's digest, so
the same command run again computes only what is missing. The tables are then made from
the store alone, in point and replication order: the same numbers with any number of
workers, either executor, and however often the study was stopped and resumed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sim.errors import InputError
from sim.experiment.executors import make_executor
from sim.experiment.run import (
    Log,
    Progress,
    Queue,
    drive,
    keeping_finished_tasks,
    open_store,
)
from sim.experiment.store import now, versions
from sim.experiment.tasks import Task, TaskOutput, task_id
from sim.indicators.layout import Layout
from sim.language import _
from sim.language.formats import decimal
from sim.plan.arrays import Plan
from sim.plan.compile import compile_plan
from sim.plan.expect import simulated_shipments
from sim.replicate import sizing
from sim.replicate.processes import stop_on_signals, uninterruptible
from sim.replicate.runner import default_workers
from sim.results.atomic import writing_into
from sim.uncertainty.jobs import DrawJob, kept
from sim.uncertainty.result import UncertaintyResult, collect
from sim.uncertainty.study import Study, draw_first, replications_per_task

DEFAULT_STORE = Path("out") / "draws"
"""Where a study's tasks are kept when no folder is given: ``out/draws/<digest>``."""
SHIPMENTS_PER_CORE_S = 1.5e6
"""Simulated shipments a core gets through in a second, end to end (the regional scenario's
paired replications measured about 1.5 M/s on this project's 2-core machine): the time a
study will take, said before it starts."""
MAX_DAYS = 7.0
"""A study that would keep this machine busy longer than a week is refused as a mistake."""


@dataclass
class FixedPlanner:
    """A study's tasks, all known from the start (no precision rule)."""

    tasks: list[list[Task]]
    planned: int = 0
    planned_replications: int = 0

    def __post_init__(self) -> None:
        self.planned = sum(len(point) for point in self.tasks)
        self.planned_replications = sum(t.replications for point in self.tasks for t in point)

    @property
    def adaptive(self) -> bool:
        return False

    def finished(self, task: Task, output: TaskOutput | None) -> list[Task]:
        return []

    def initial(self) -> list[Task]:
        return [task for point in self.tasks for task in point]


def plan_tasks(study: Study, per_task: int) -> list[list[Task]]:
    """Point 0 (nominal): replications 0 .. n - 1; point d + 1: draw d's own replications."""
    spans = [(0, study.nominal_replications)]
    spans += [(draw_first(d), draw_first(d) + study.replications) for d in range(study.points)]
    return [
        [
            Task(
                point,
                a,
                min(a + per_task, stop),
                task_id(study.digest, point, a, min(a + per_task, stop)),
            )
            for a in range(start, stop, per_task)
        ]
        for point, (start, stop) in enumerate(spans)
    ]


def jobs_of(study: Study) -> list[DrawJob]:
    """One job per point, its scenarios validated here, before anything runs."""
    return [job_of(study, point) for point in range(study.points + 1)]


def job_of(study: Study, point: int) -> DrawJob:
    """The job of point ``point``: 0 the nominal comparison (every row kept), d + 1 draw d."""
    scenarios, labels = study.nominal() if point == 0 else study.scenarios(point - 1)
    key = f"{study.digest}/{point}"
    return DrawJob(key, tuple(scenarios), tuple(labels), study.seed, study.engine, point == 0)


def store_folder(study: Study, base: Path | None) -> Path:
    """The study's store: ``<base>/<digest>`` (``out/draws/<digest>`` by default)."""
    return (DEFAULT_STORE if base is None else Path(base)) / study.digest


def run_study(
    study: Study,
    *,
    executor: str = "local",
    address: str | None = None,
    workers: int | None = None,
    store: Path | None = None,
    progress: Callable[[Progress], None] | None = None,
    flag: str = "--uncertainty",
    notice: Callable[[str], None] | None = None,
) -> UncertaintyResult:
    """Run (or resume) a study and analyse it (see the module docstring).

    Raises :class:`~sim.errors.InputError` before anything runs (an invalid draw, a study
    too large for the memory or the time of this machine), and, as an experiment does,
    :class:`~sim.replicate.processes.Interrupted` or
    :class:`~sim.experiment.run.ExperimentStopped` with the finished tasks kept. Another
    process running the same study into the same store is waited for (``notice`` is told
    so; without it, refused in one line): its tasks are then found stored, not computed
    twice.
    """
    started = time.perf_counter()
    nominal, _ = study.nominal()
    plans = [compile_plan(s) for s in nominal]
    shipments = sum(simulated_shipments(plan.ports) for plan in plans)
    if executor == "local":
        total = study.points * study.replications + study.nominal_replications
        workers = sizing.workers_for(plans, study.engine, False, workers, total, flag)
    check_size(study, shipments, kept_rows(plans), workers if executor == "local" else None, flag)
    jobs = jobs_of(study)  # every draw's scenarios, validated
    tasks = plan_tasks(study, replications_per_task(shipments))
    pool = make_executor(executor, workers or default_workers(), address)
    folder = store_folder(study, store)
    manifest = study.manifest() | {"versions": versions(), "created": now()}
    planner = FixedPlanner(tasks)
    with writing_into(folder, wait=notice) as claim:
        kept = open_store(folder, manifest, False, claim)
        log = Log(kept, executor)
        queue = Queue(iter(planner.initial()))
        with stop_on_signals(), keeping_finished_tasks(kept, planner, log, claim):
            with pool:
                try:
                    drive(queue, planner, kept, pool, jobs, log, progress)
                except BaseException:
                    with uninterruptible():
                        pool.abort()
                    raise
            result = collect(study, tasks, kept.read)
        log.finish("complete")
    result.tasks, result.computed, result.reused = planner.planned, log.computed, log.reused
    result.executor, result.folder = pool.description, folder
    result.seconds = time.perf_counter() - started
    return result


def kept_rows(plans: list[Plan]) -> int:
    """Rows a draw keeps, over all its scenarios."""
    return sum(sum(map(kept, Layout.of(plan).rows)) for plan in plans)


def check_size(study: Study, shipments: float, rows: int, workers: int | None, flag: str) -> None:
    """Refuse, in one line, a study whose stored values would not fit in half the memory
    free, or that would keep this machine busy for more than :data:`MAX_DAYS`; before any
    draw is made."""
    rows = max(rows, 1)
    values = study.points * study.replications * rows + study.nominal_replications * rows * 4
    need = 8.0 * values * 3  # the values, their statistics and the tables made of them
    room, where = sizing.available_memory()
    if need > room / 2:
        fit = max(2, int(study.points * (room / 2) / need))
        raise InputError(
            flag,
            str(study.draws),
            _(
                "{points} draws x {replications} replications keep about {need} of numbers, over "
                "half the {room} available ({where}); give at most about {fit} draws, or fewer "
                "replications (-n)"
            ).format(
                points=decimal(study.points, 0),
                replications=study.replications,
                need=sizing.human_bytes(need),
                room=sizing.human_bytes(room),
                where=where,
                fit=decimal(fit, 0),
            ),
        )
    if workers is None:
        return
    replications = study.points * study.replications + study.nominal_replications
    seconds = shipments * replications / (SHIPMENTS_PER_CORE_S * workers)
    if seconds > MAX_DAYS * 86400:
        raise InputError(
            flag,
            str(study.draws),
            _(
                "{replications} replications of {shipments} shipments would take about "
                "{days} days on {workers} cores; give fewer draws or replications (-n), or "
                "run "
                "it on a cluster (--executor dask)"
            ).format(
                replications=decimal(replications, 0),
                shipments=decimal(shipments, 0),
                days=decimal(seconds / 86400, 0),
                workers=workers,
            ),
        )
