"""mrasim performance, measured side by side in one run on this machine.

    python benchmarks/bench.py            # everything (a few minutes)
    python benchmarks/bench.py --quick    # smaller sizes, for a smoke check

Prints, with the targets of issue #3:
1. end-to-end shipments/s (inputs + engine + indicators) of the SimPy and numba
   engines on the one-office reference (scenarios/reference-office.yaml, one
   year), and their ratio;
2. the same on the bundled regional scenario (as bundled: 7 + 28 days, 50 ports);
3. wall time of 1,000 replications x 30 days of the reference, 1 worker and all;
4. peak memory of 10,000 replications x 30 days of it (largest process);
5. wall time of a second `mrasim run` (numba compilation cached on disk).

Timings are wall-clock, best of a few repetitions where cheap. Nothing here is
a test: numbers vary with the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import sim
from sim import engine_numba
from sim.indicators import Layout, compute
from sim.plan import compile_plan
from sim.runner import default_workers, run, simulate

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "scenarios" / "reference-office.yaml"
REGIONAL = ROOT / "scenarios" / "lac-regional.yaml"


RESULTS: dict[str, float] = {}


def end_to_end(
    scenario: sim.Scenario, engine: str, replications: int, repeats: int
) -> tuple[float, int]:
    """Best shipments per second over repeats, of draw + simulate + indicators, one process."""
    plan = compile_plan(scenario)
    layout = Layout.of(plan)
    best, shipments = float("inf"), 0
    for _ in range(repeats):
        started, shipments = time.perf_counter(), 0
        for r in range(replications):
            results = simulate(plan, engine, 1, r)
            compute(plan, layout, results)
            shipments += sum(inputs.n for inputs, _ in results)
        best = min(best, time.perf_counter() - started)
    return shipments / best, shipments


def compare_engines(label: str, scenario: sim.Scenario, repeats: int) -> float:
    numba_rate, n = end_to_end(scenario, "numba", 1, repeats)
    simpy_rate, _ = end_to_end(scenario, "simpy", 1, 1)
    ratio = numba_rate / simpy_rate
    RESULTS[f"{label}_simpy_per_s"] = simpy_rate
    RESULTS[f"{label}_ratio"] = ratio
    print(f"  {label}: {n:,} shipments per replication")
    print(f"    simpy {simpy_rate:12,.0f} shipments/s")
    print(f"    numba {numba_rate:12,.0f} shipments/s   ratio {ratio:,.0f}x (target >= 200x)")
    return numba_rate


def replications_wall(scenario: sim.Scenario, replications: int, workers: int) -> float:
    started = time.perf_counter()
    run(scenario, replications=replications, workers=workers, seed=1)
    return time.perf_counter() - started


PEAK_MEMORY = """
import resource, sys, sim
scenario = sim.load_scenario(sys.argv[1], ["horizon_days=30"])
sim.run(scenario, replications=int(sys.argv[2]), seed=1)
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(max(own, children) / 1024)
"""


def peak_memory_mb(replications: int) -> float:
    out = subprocess.run(
        [sys.executable, "-c", PEAK_MEMORY, str(REFERENCE), str(replications)],
        check=True,
        capture_output=True,
        text=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def cli_wall(*args: str) -> float:
    started = time.perf_counter()
    subprocess.run(["mrasim", *args], check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke check")
    parser.add_argument("--json", type=Path, help="also write the numbers to this JSON file")
    args = parser.parse_args()
    quick = args.quick
    workers = default_workers()
    engine_numba.warm_up()
    results = RESULTS
    python = sys.version.split()[0]
    print(f"mrasim benchmark: {os.cpu_count()} cores, {workers} workers, Python {python}")

    print("1. one-office reference, end to end (inputs + engine + indicators), 1 process")
    reference = sim.load_scenario(REFERENCE, ["horizon_days=30"] if quick else [])
    results["reference_numba_per_s"] = compare_engines("reference office", reference, 3)
    results["reference_numba_per_s_per_core"] = results["reference_numba_per_s"]
    print(
        f"    target >= 5,000,000 shipments/s per core: "
        f"{results['reference_numba_per_s'] / 1e6:.2f} M/s"
    )

    print("2. bundled regional scenario, one replication as bundled, end to end, 1 process")
    regional = sim.load_scenario(REGIONAL, ["horizon_days=2", "warmup_days=0"] if quick else [])
    results["regional_numba_per_s"] = compare_engines("lac-regional", regional, 2)

    reps = 100 if quick else 1000
    month = sim.load_scenario(REFERENCE, ["horizon_days=30"])
    print(f"3. {reps:,} replications x 30 days of the reference")
    one = replications_wall(month, reps, 1)
    every = replications_wall(month, reps, workers)
    results.update(wall_1_worker_s=one, wall_all_workers_s=every)
    print(
        f"    1 worker {one:6.2f} s   {workers} workers {every:6.2f} s   "
        f"speed-up {one / every:.2f}x   (target <= 4 s on 2 cores)"
    )

    big = 1000 if quick else 10_000
    print(f"4. peak memory of {big:,} replications x 30 days (largest process)")
    results["peak_memory_mb"] = peak_memory_mb(big)
    print(f"    {results['peak_memory_mb']:,.0f} MB   (target <= 1,024 MB)")

    print("5. a second `mrasim run` (compilation cached)")
    command = ("run", str(REFERENCE), "--set", "horizon_days=30", "-n", "1", "-q", "--workers", "1")
    cli_wall(*command)
    results["cached_start_s"] = cli_wall(*command)
    print(f"    {results['cached_start_s']:.2f} s   (target <= 3 s)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
