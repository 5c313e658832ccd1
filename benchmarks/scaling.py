"""What a user gets: how long ``mrasim compare`` takes, and how that scales with the
replications, the cores and the scenario's size, measured in one run.

    python benchmarks/scaling.py                # everything (about 15 minutes on 2 cores)
    python benchmarks/scaling.py --quick        # fewer replications and sizes (2-3 minutes)
    python benchmarks/scaling.py --no-compile   # leave out the first run's compilation
    python benchmarks/scaling.py --wait-idle 60 # shared machine: wait for quiet spells

Every time is the wall time of one ``mrasim`` command as a user runs it, in a fresh
process (Python's start, the imports, the compiled code loaded from numba's cache, the
workers started, the simulation, the answer printed), with this checkout's package:

1. the first run after installing, which compiles the engine (numba's cache pointed at
   an empty folder, ``NUMBA_CACHE_DIR``), beside the same command once compiled; then
   the least a command costs (one replication of a one-day, one-office comparison,
   measured in each round). Before anything else is timed, this checkout's cache is
   warmed, so no other number includes compiling;
2. ``mrasim compare -n N`` of the bundled scenario (``lac-regional``: 11 countries, 50
   ports) for several N, with 1 worker (``-w 1``) and 2 (``-w 2``), in turns (each
   round runs every command once), the ratio of the two, the CPU seconds of the
   command and its workers, and a straight line through the times: a fixed cost plus
   a cost per replication;
3. ``mrasim compare one-office -n N -w 2`` as the office grows (its arrivals per day,
   and its servers in proportion, so that queues stay as long), and the bundled
   regional scenario, in shipments per second, with each worker's peak memory (its
   resident and its private memory, not shared with the parent, sampled every 50 ms
   from ``/proc``) beside ``mrasim validate``'s estimate.

Each round runs every command of 2 and 3 once, in turns, so that each meets the host's
quiet and busy spells alike; times are the best of the rounds (what the machine gives
when nothing else runs), with the median beside them in 2. On a machine shared with
other work, 2 workers gain only when a second core is free: the CPU seconds, which do
not depend on the load, say what the work costs, and ``--wait-idle`` starts each command
only after a second in which the machine was idle (or after so many seconds). Nothing
here is a test.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REGIONAL = "lac-regional"
OFFICE = "one-office"
PORT = "countries.PER.ports.callao"
BASE_PER_DAY = 240  # one-office's arrivals per day, and its servers below
SERVERS = {"documentary": 9, "physical": 16, "documentary.reserved": 2}
TINY = ("compare", OFFICE, "-n", "1", "-w", "1", "--set", "horizon_days=1")


# --- running mrasim -------------------------------------------------------------------


@dataclass
class Peak:
    """The peak memory of a command's own process and of its largest worker, in MB."""

    parent_rss: float = 0.0
    worker_rss: float = 0.0
    worker_private: float = 0.0
    workers: set[int] = field(default_factory=set)


def _rollup(pid: int) -> dict[str, float]:
    """Rss and private memory (MB) of one process, from /proc/PID/smaps_rollup."""
    found = {}
    with open(f"/proc/{pid}/smaps_rollup") as rollup:
        for line in rollup:
            name, _, rest = line.partition(":")
            if name in ("Rss", "Private_Clean", "Private_Dirty"):
                found[name] = float(rest.split()[0]) / 1024
    return found


def _sample(pid: int, peak: Peak, stop: threading.Event) -> None:
    """Every 50 ms until ``stop``: the process's memory and its children's (the workers)."""
    while not stop.wait(0.05):
        try:
            peak.parent_rss = max(peak.parent_rss, _rollup(pid)["Rss"])
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except (OSError, KeyError):
            continue  # gone, or going
        for child in map(int, children):
            try:
                memory = _rollup(child)
            except (OSError, KeyError):
                continue
            peak.workers.add(child)
            peak.worker_rss = max(peak.worker_rss, memory["Rss"])
            private = memory.get("Private_Clean", 0.0) + memory.get("Private_Dirty", 0.0)
            peak.worker_private = max(peak.worker_private, private)


@dataclass
class Ran:
    """One command: its wall and CPU seconds (its own and its workers'), what it printed,
    and its peak memory if it was sampled."""

    wall: float
    cpu: float
    out: str
    peak: Peak | None
    others: float  # CPU seconds the rest of the machine used meanwhile


def _machine_busy() -> tuple[int, int]:
    """Busy and total jiffies of every core since boot, from /proc/stat."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    idle = values[3] + values[4]  # idle and iowait
    return sum(values) - idle, sum(values)


def wait_idle(limit: float) -> None:
    """Wait until a second passes with the machine at most 10% busy (nothing else running),
    or ``limit`` seconds, whichever comes first. On a shared machine, this gives each
    command a better chance to start in a quiet spell."""
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        busy, total = _machine_busy()
        time.sleep(1.0)
        busy_now, total_now = _machine_busy()
        if busy_now - busy <= 0.1 * (total_now - total):
            return


IDLE_WAIT = [0.0]  # seconds a command may wait for a quiet machine (--wait-idle)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def mrasim(*args: str, environment: dict[str, str] | None = None, memory: bool = False) -> Ran:
    """``mrasim ARGS``, with this checkout's package, run as the console script runs it."""
    command = [sys.executable, "-c", "from sim.cli import entry; entry()", *args]
    env = os.environ | {"PYTHONPATH": str(ROOT)} | (environment or {})
    if IDLE_WAIT[0]:
        wait_idle(IDLE_WAIT[0])
    cpu = _children_cpu()  # the command's workers are reaped by it, so counted with it
    busy = _machine_busy()[0]
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    peak, stop = (Peak(), threading.Event()) if memory else (None, None)
    if peak is not None and stop is not None:
        sampler = threading.Thread(target=_sample, args=(process.pid, peak, stop), daemon=True)
        sampler.start()
    out, err = process.communicate()
    seconds = time.perf_counter() - started
    if stop is not None:
        stop.set()
    if process.returncode:
        raise SystemExit(f"scaling.py: mrasim {' '.join(args)} failed:\n{err}")
    cpu = _children_cpu() - cpu
    others = (_machine_busy()[0] - busy) / os.sysconf("SC_CLK_TCK") - cpu
    return Ran(seconds, cpu, out, peak, max(others, 0.0))


def size_of(scenario: str, overrides: Sequence[str]) -> tuple[float, str]:
    """Shipments simulated per replication of one scenario (its warm-up included) and the
    memory per worker, as ``mrasim validate`` estimates them."""
    options = [word for o in overrides for word in ("--set", o)]
    out = mrasim("validate", scenario, *options).out
    shipments = re.search(r"about ([\d,]+) shipments per replication", out)
    memory = re.search(r"peak memory about ([\d.]+ \w+) per worker", out)
    if shipments is None:
        raise SystemExit(f"scaling.py: no size in what `mrasim validate` printed:\n{out}")
    return float(shipments.group(1).replace(",", "")), memory.group(1) if memory else "?"


def office(scale: int) -> list[str]:
    """one-office with ``scale`` times its arrivals and servers: the same offered loads."""
    overrides = [f"{PORT}.arrivals.per_day={BASE_PER_DAY * scale}"]
    overrides += [f"{PORT}.stations.{s}.servers={n * scale}" for s, n in SERVERS.items()]
    return overrides


def with_sets(overrides: Sequence[str]) -> list[str]:
    return [word for o in overrides for word in ("--set", o)]


# --- the three parts --------------------------------------------------------------------


def first_run(results: dict[str, object]) -> None:
    """The compilation a first run pays, against the same command with the cache warm."""
    command = ("compare", "-n", "10", "-q")
    with tempfile.TemporaryDirectory(prefix="mrasim-numba-") as cache:
        cold = mrasim(*command, environment={"NUMBA_CACHE_DIR": cache})
        warm = mrasim(*command, environment={"NUMBA_CACHE_DIR": cache})
    results.update(first_run_s=cold.wall, second_run_s=warm.wall)
    results.update(first_run_cpu_s=cold.cpu, second_run_cpu_s=warm.cpu)
    print(
        f"1. `mrasim compare -n 10`, the first run (an empty compile cache): {cold.wall:.1f} s "
        f"({cold.cpu:.0f} CPU s); the same once compiled: {warm.wall:.1f} s "
        f"({warm.cpu:.0f} CPU s): compiling takes {cold.wall - warm.wall:.0f} s, once"
    )


class Plan:
    """Every command of parts 2 and 3, run once a round, in turns, and what each took."""

    def __init__(self, counts: Sequence[int], scales: Sequence[int], n: int) -> None:
        self.counts, self.n = counts, n
        self.cases = [(f"{OFFICE} x{k}", OFFICE, office(k)) for k in scales]
        self.cases.append((REGIONAL, REGIONAL, []))
        self.runs: dict[object, list[Ran]] = {}

    def round(self, r: int) -> None:
        self._run("least", TINY)
        for n in self.counts:
            for w in (1, 2) if r % 2 == 0 else (2, 1):
                self._run((n, w), ("compare", "-n", str(n), "-w", str(w), "-q"))
        for label, scenario, overrides in self.cases:
            command = ("compare", scenario, "-n", str(self.n), "-w", "2", "-q")
            self._run(label, (*command, *with_sets(overrides)), memory=True)

    def _run(self, key: object, command: Sequence[str], memory: bool = False) -> None:
        self.runs.setdefault(key, []).append(mrasim(*command, memory=memory))

    def others(self, r: int) -> tuple[float, float]:
        """CPU seconds other processes used during round r's commands, and the rounds'
        wall seconds: their ratio is how many cores the rest of the machine kept busy."""
        ran = [runs[r] for runs in self.runs.values() if len(runs) > r]
        return sum(x.others for x in ran), sum(x.wall for x in ran)

    def best(self, key: object) -> float:
        return min(r.wall for r in self.runs[key])

    def median(self, key: object) -> float:
        return statistics.median(r.wall for r in self.runs[key])

    def cpu(self, key: object) -> float:
        return statistics.median(r.cpu for r in self.runs[key])


def least(results: dict[str, object], plan: Plan) -> None:
    seconds = results["least_s"] = plan.best("least")
    print(
        f"   the least a command costs (`mrasim {' '.join(TINY)}`): {seconds:.2f} s "
        "(Python's start, the imports, the compiled code loaded, a worker started)"
    )


def line_through(points: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """Least-squares intercept and slope of y against x."""
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    slope = sum((x - mx) * (y - my) for x, y in points) / sxx
    return my - slope * mx, slope


def replications(results: dict[str, object], plan: Plan, rounds: int) -> None:
    """``mrasim compare -n N`` of the bundled scenario on 1 and 2 workers."""
    print(
        f"2. `mrasim compare -n N` of {REGIONAL} (11 countries, 50 ports), wall time: the best "
        f"of {rounds} round(s), and the median; CPU: of the command and its workers"
    )
    print(
        f"   {'N':>5} {'-w 1 s':>7} {'-w 2 s':>7} {'-w 1 / -w 2':>11} {'s/rep -w 2':>10} "
        f"{'CPU s -w 1, -w 2':>16} {'median -w 1, -w 2':>18}"
    )
    rows = []
    for n in plan.counts:
        one, two = plan.best((n, 1)), plan.best((n, 2))
        cpu = plan.cpu((n, 1)), plan.cpu((n, 2))
        median = plan.median((n, 1)), plan.median((n, 2))
        rows.append(
            {
                "replications": n,
                "w1_s": one,
                "w2_s": two,
                "w1_median_s": median[0],
                "w2_median_s": median[1],
                "w1_cpu_s": cpu[0],
                "w2_cpu_s": cpu[1],
            }
        )
        print(
            f"   {n:5d} {one:7.1f} {two:7.1f} {one / two:10.2f}x {two / n:10.3f} "
            f"{cpu[0]:9.1f}, {cpu[1]:5.1f} {median[0]:11.1f}, {median[1]:5.1f}"
        )
    results["replications"] = rows
    fits = {w: line_through([(n, plan.best((n, w))) for n in plan.counts]) for w in (1, 2)}
    for w, (fixed, each) in fits.items():
        print(f"   -w {w}: about {fixed:.1f} s + {each:.3f} s per replication (the best times)")
    results["fit"] = {f"w{w}": {"fixed_s": a, "per_replication_s": b} for w, (a, b) in fits.items()}
    print(
        f"   a replication takes {fits[1][1] / fits[2][1]:.2f}x less wall time on 2 workers "
        "than on 1 (the slopes' ratio)"
    )


def sizes(results: dict[str, object], plan: Plan, rounds: int) -> None:
    """one-office as it grows, and the regional scenario: shipments per second on 2 workers."""
    n = plan.n
    print(
        f"3. `mrasim compare SCENARIO -n {n} -w 2` as the scenario grows (one-office xK: K "
        f"times its {BASE_PER_DAY} arrivals a day and its servers), best of {rounds} round(s)"
    )
    print(
        f"   {'scenario':<16} {'shipments/rep':>13} {'wall s':>7} {'CPU s':>6} "
        f"{'shipments/s':>12} {'per CPU s':>10} {'worker MB':>10} {'private MB':>11} "
        f"{'estimate':>9} {'parent MB':>10}"
    )
    rows = []
    for label, scenario, overrides in plan.cases:
        shipments, estimate = size_of(scenario, overrides)
        wall, cpu = plan.best(label), plan.cpu(label)
        simulated = 2 * n * shipments  # without and with the arrangement
        peaks = [r.peak for r in plan.runs[label] if r.peak is not None]
        worker = max(p.worker_rss for p in peaks)
        private = max(p.worker_private for p in peaks)
        parent = max(p.parent_rss for p in peaks)
        rows.append(
            {
                "scenario": label,
                "shipments_per_replication": shipments,
                "wall_s": wall,
                "cpu_s": cpu,
                "shipments_per_s": simulated / wall,
                "shipments_per_cpu_s": simulated / cpu,
                "worker_rss_mb": worker,
                "worker_private_mb": private,
                "parent_rss_mb": parent,
                "estimate": estimate,
            }
        )
        print(
            f"   {label:<16} {shipments:13,.0f} {wall:7.1f} {cpu:6.1f} "
            f"{simulated / wall / 1e6:10.2f} M {simulated / cpu / 1e6:8.2f} M {worker:10.0f} "
            f"{private:11.0f} {estimate:>9} {parent:10.0f}"
        )
    results["sizes"] = rows
    print(
        "   shipments: 2 scenarios x replications x shipments per replication (warm-up "
        "included), over the wall time\n   or over the CPU seconds of the command and its "
        "workers (the start's included);\n   worker MB: the largest worker's peak resident "
        "memory, with the pages it shares with the parent; private MB: its own;\n   "
        "estimate: what `mrasim validate` says a worker needs for the simulation's arrays; "
        "parent MB: the command's own process"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer replications and sizes")
    parser.add_argument(
        "--compile",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="time the first run's compilation (default: yes, but not with --quick)",
    )
    parser.add_argument("--rounds", type=int, help="rounds of every command (default 3, quick 1)")
    parser.add_argument(
        "--wait-idle",
        type=float,
        default=0.0,
        metavar="S",
        help="on a shared machine: before each command, wait up to S seconds for a quiet one",
    )
    parser.add_argument("--json", type=Path, help="also write the numbers to this JSON file")
    args = parser.parse_args()
    IDLE_WAIT[0] = args.wait_idle
    rounds = args.rounds or (1 if args.quick else 3)
    counts = (2, 5, 10) if args.quick else (10, 20, 50, 100)
    scales = (1, 8) if args.quick else (1, 4, 16, 64)
    plan = Plan(counts, scales, 5 if args.quick else 20)
    results: dict[str, object] = {"cores": os.cpu_count(), "rounds": rounds, "others": []}
    print(
        f"mrasim scaling: {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
        f"load average {os.getloadavg()[0]:.1f} at the start"
    )
    if args.compile if args.compile is not None else not args.quick:
        first_run(results)
    else:
        print("1. (the first run's compilation left out)")
    # this checkout's compile cache warmed (compiled now if need be), so no time below
    # includes compiling
    mrasim(*TINY)
    mrasim("compare", REGIONAL, "-n", "2", "-q", "--set", "horizon_days=1")
    print("   (this checkout's compiled code cached before anything below was timed)")
    for r in range(rounds):
        plan.round(r)
        others, wall = plan.others(r)
        results["others"].append(others / wall)  # type: ignore[attr-defined]
        print(
            f"   (round {r + 1} of {rounds}: every command once; other processes kept "
            f"{others / wall:.2f} cores busy meanwhile)"
        )
    least(results, plan)
    replications(results, plan, rounds)
    sizes(results, plan, rounds)
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
