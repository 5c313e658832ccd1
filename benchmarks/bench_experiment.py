"""What `mrasim experiment` costs over the simulation itself, measured side by side in one run.

    python benchmarks/bench_experiment.py            # 20 points x 100 replications (minutes)
    python benchmarks/bench_experiment.py --quick    # 4 points x 20 replications (smoke)

The experiment (issue #9): the one-month reference office (scenarios/reference-office.yaml,
horizon 30 days) at 20 design points (documentary servers 9-13 x national AEO share
0.2-0.5), 100 replications each, every indicator kept. Measured, interleaved, best of
``--repeats``:

1. a bare loop in one process: for each point, compile it and run simulate + indicators for
   each replication (no store, no tasks, no tables);
2. the same loop split over a bare fork pool of 2 processes (the machine's own scaling);
3. ``run_experiment`` with the local executor, 2 workers, into a fresh folder: validation of
   every point, the task store, the final tables, everything;
4. ``run_experiment`` on a 2-worker Dask ``LocalCluster`` started (and warmed) just before
   and closed just after; its start-up is printed apart: a cluster is started once and
   serves many experiments;
5. the machinery alone: ``run_experiment`` in one process, with a timer around each
   replication; (wall - simulation) / simulation.

Overhead = wall time / ideal - 1, where ideal = the bare loop / 2 (two workers, perfect
scaling); the overhead over the bare 2-process loop, and CPU seconds of every process
involved over the bare loop's, are printed beside it. On a machine shared with other
work the wall times swing from minute to minute: the per-repeat ratios (medians) and
the one-process machinery share are the steadier measures. Targets: local <= 5%, Dask
<= 15%. Nothing here is a test: numbers vary with the machine and its load.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's package, whatever is installed

from versions import parts, warm_up_function

from sim.experiment import Progress, run_experiment, tasks
from sim.experiment.design import design_points
from sim.experiment.executors import local_cluster
from sim.experiment.spec import load_experiment, point_scenarios
from sim.experiment.tasks import CompiledPoint, PointJob, compiled, replicate

WARM_UP = warm_up_function(parts("sim", ("jit", "engine")))  # wherever this version keeps it
REFERENCE = ROOT / "scenarios" / "reference-office.yaml"
OFFICE = "countries.PER.ports.office"


def experiment_file(folder: Path, quick: bool) -> Path:
    servers = [9, 10] if quick else [9, 10, 11, 12, 13]
    data = {
        "name": "bench-experiment",
        "scenario": str(REFERENCE),
        "set": {"horizon_days": 30},
        "design": {"type": "grid"},
        "factors": {
            f"{OFFICE}.stations.documentary.servers": servers,
            f"{OFFICE}.national_aeo_share": [0.2, 0.5] if quick else [0.2, 0.3, 0.4, 0.5],
        },
        "replications": 20 if quick else 100,
        "seed": 1,
    }
    path = folder / "bench.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def point_jobs(path: Path) -> tuple[list[PointJob], int]:
    spec = load_experiment(path)
    scenarios = point_scenarios(spec, design_points(spec))
    jobs = [PointJob(f"bench/{i}", s, spec.seed, None) for i, s in enumerate(scenarios)]
    return jobs, spec.max_replications


def bare(jobs: list[PointJob], replications: int) -> None:
    """Every replication of every point, the experiment's own way, with nothing around it."""
    for job in jobs:
        point: CompiledPoint = compiled(job)
        for r in range(replications):
            replicate(point, r)


def bare_pool(jobs: list[PointJob], replications: int) -> None:
    """The bare loop over 2 forked processes, half the points each."""
    context = multiprocessing.get_context("fork")
    halves = [jobs[0::2], jobs[1::2]]
    with context.Pool(2) as pool:
        pool.starmap(bare, [(half, replications) for half in halves])


def cpu_seconds(who: int = resource.RUSAGE_SELF) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


Measure = tuple[float, float, float]
"""Wall s; CPU s of every process involved; CPU s of this (the parent) process alone."""


def measured(run: Any, workers_cpu: Any = lambda: 0.0) -> Measure:
    """Wall and CPU time of ``run``: this process, its finished children, ``workers_cpu()``.

    The parent's own CPU is the experiment machinery (it simulates nothing when there
    are workers): validation, task bookkeeping, storing, the final tables, and for Dask
    the scheduler and nannies too.
    """
    parent = cpu_seconds()
    cpu = parent + cpu_seconds(resource.RUSAGE_CHILDREN) + workers_cpu()
    started = time.perf_counter()
    run()
    wall = time.perf_counter() - started
    parent = cpu_seconds() - parent
    cpu = cpu_seconds() + cpu_seconds(resource.RUSAGE_CHILDREN) + workers_cpu() - cpu
    return wall, cpu, parent


class Phases:
    """When the first and last task finished: splits an experiment's wall time."""

    def __init__(self) -> None:
        self.started = self.ended = time.perf_counter()
        self.first: float | None = None
        self.last = self.started

    def split(self) -> tuple[float, float, float]:
        """Seconds of set-up, of tasks, and of the final tables."""
        assert self.first is not None
        return self.first - self.started, self.last - self.first, self.ended - self.last

    def __call__(self, progress: Progress) -> None:
        now = time.perf_counter()
        if self.first is None:
            self.first = now  # the call before any task: set-up is done
        self.last = now


def experiment_run(path: Path, out: Path, phases: Phases, **options: Any) -> None:
    shutil.rmtree(out, ignore_errors=True)
    phases.started = time.perf_counter()
    phases.first = None
    result = run_experiment(path, out=out, progress=phases, **options)
    phases.ended = time.perf_counter()
    assert result.computed == result.tasks


def dask_measured(path: Path, out: Path, phases: Phases) -> Measure:
    """An experiment on a fresh, warmed 2-worker LocalCluster (its start-up not timed, and it
    is not left running: its scheduler and nannies live in this process and cost CPU)."""
    from distributed import Client

    started = time.perf_counter()
    cluster = local_cluster(2)  # as `--executor dask` makes it
    with Client(cluster) as client:
        client.run(WARM_UP)
        print(f"  (LocalCluster of 2 workers ready in {time.perf_counter() - started:.1f} s)")

        def workers_cpu() -> float:
            return sum(client.run(cpu_seconds).values())

        address = cluster.scheduler_address
        result = measured(
            lambda: experiment_run(path, out, phases, executor="dask", address=address),
            workers_cpu,
        )
    cluster.close()
    return result


def machinery_share(path: Path, out: Path) -> float:
    """(wall time - time inside `replicate`) / time inside `replicate`, in one process.

    Everything but the simulation (validation, tasks, the store, the final tables), timed
    in the same process as the simulation, so both slow down alike when the machine is busy.
    """
    inside = [0.0]

    def timed(point: CompiledPoint, replication: int) -> Any:
        started = time.perf_counter()
        try:
            return real(point, replication)
        finally:
            inside[0] += time.perf_counter() - started

    real, tasks.replicate = tasks.replicate, timed
    try:
        shutil.rmtree(out, ignore_errors=True)
        started = time.perf_counter()
        run_experiment(path, out=out, workers=1)
        wall = time.perf_counter() - started
    finally:
        tasks.replicate = real
    return (wall - inside[0]) / inside[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    WARM_UP()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = experiment_file(folder, args.quick)
        jobs, replications = point_jobs(path)
        total = len(jobs) * replications
        spec = load_experiment(path)
        tasks = len(jobs) * -(-replications // spec.replications_per_task)
        print(
            f"{len(jobs)} points x {replications} replications = {total:,} replications of the "
            f"reference office, 30 days; {spec.replications_per_task} replications per task, "
            f"{tasks} tasks"
        )
        phases = {"local": Phases(), "dask": Phases()}
        runs = {
            "bare loop, 1 process": lambda: measured(lambda: bare(jobs, replications)),
            "bare loop, 2 processes": lambda: measured(lambda: bare_pool(jobs, replications)),
            "local executor, 2 workers": lambda: measured(
                lambda: experiment_run(path, folder / "local", phases["local"], workers=2)
            ),
            "Dask LocalCluster, 2 workers": lambda: dask_measured(
                path, folder / "dask", phases["dask"]
            ),
        }
        best: dict[str, Measure] = {}
        split: dict[str, tuple[float, float, float]] = {}
        repeats: list[dict[str, Measure]] = []
        shares: list[float] = []
        for repeat in range(args.repeats):
            repeats.append({})
            for name, run in runs.items():
                wall, cpu, parent = repeats[-1][name] = run()
                print(
                    f"  repeat {repeat + 1}: {name:30s} {wall:7.2f} s wall {cpu:7.2f} s CPU "
                    f"({parent:.2f} s in this process)"
                )
                if wall < best.get(name, (float("inf"), 0.0, 0.0))[0]:
                    best[name] = (wall, cpu, parent)
                    kind = "local" if "local" in name else "dask" if "Dask" in name else None
                    if kind is not None:
                        split[name] = phases[kind].split()
            shares.append(machinery_share(path, folder / "serial"))
            print(f"  repeat {repeat + 1}: machinery in one process: {100 * shares[-1]:+.1f}%")
    report(best, split, total)
    paired(repeats)
    print(
        f"\nmachinery in one process (1 worker: all but the simulation, over the simulation, "
        f"timed around each replication): median {100 * statistics.median(shares):+.1f}%"
    )


def report(
    best: dict[str, Measure], split: dict[str, tuple[float, float, float]], total: int
) -> None:
    one_wall, one_cpu, _ = best["bare loop, 1 process"]
    two_wall = best["bare loop, 2 processes"][0]
    print(
        f"\n{'best of the repeats':30s} {'wall s':>7s} {'rep/s':>6s} {'vs 2x bare':>10s} "
        f"{'vs 2-proc':>10s} {'CPU s':>7s} {'CPU vs bare':>11s}   set-up / tasks / tables (s)"
    )
    for name, (wall, cpu, _) in best.items():
        bare_one = "1 process" in name
        cells = [
            f"{name:30s}",
            f"{wall:7.2f}",
            f"{total / wall:6.0f}",
            f"{'-' if bare_one else f'{100 * (wall / (one_wall / 2) - 1):+.1f}%':>10s}",
            f"{'-' if bare_one else f'{100 * (wall / two_wall - 1):+.1f}%':>10s}",
            f"{cpu:7.2f}",
            f"{'-' if bare_one else f'{100 * (cpu / one_cpu - 1):+.1f}%':>11s}",
            "  " + " / ".join(f"{s:.2f}" for s in split.get(name, ())),
        ]
        print(" ".join(cells))
    print(
        "\nvs 2x bare: wall time over half the one-process bare loop (two workers, perfect "
        "scaling), minus 1;\nvs 2-proc: over the bare loop on 2 forked processes (what this "
        "machine's cores give); CPU vs bare:\nCPU seconds of every process involved over the "
        "one-process loop's (the work the machinery adds,\nless sensitive to other load on the "
        "machine). Targets: local <= 5%, Dask <= 15%."
    )


def paired(repeats: list[dict[str, Measure]]) -> None:
    """Each repeat's ratios to the bare loop run just before it; the median over repeats.

    On a machine shared with other work, loads change from minute to minute: ratios within
    one repeat (measured back to back) are steadier than ratios of bests.
    """
    names = [n for n in repeats[0] if "1 process" not in n]
    print(f"\nmedian over {len(repeats)} repeats of per-repeat ratios:")
    for name in names:
        wall = [r[name][0] / (r["bare loop, 1 process"][0] / 2) - 1 for r in repeats]
        pool = [r[name][0] / r["bare loop, 2 processes"][0] - 1 for r in repeats]
        cpu = [r[name][1] / r["bare loop, 1 process"][1] - 1 for r in repeats]
        parent = [r[name][2] / r["bare loop, 1 process"][1] for r in repeats]
        print(
            f"  {name:30s} vs 2x bare {100 * statistics.median(wall):+6.1f}%   "
            f"vs 2-proc {100 * statistics.median(pool):+6.1f}%   "
            f"CPU vs bare {100 * statistics.median(cpu):+6.1f}%   "
            f"parent CPU / bare CPU {100 * statistics.median(parent):5.1f}%"
        )


if __name__ == "__main__":
    main()
