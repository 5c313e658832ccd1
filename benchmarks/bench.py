"""mrasim performance, measured side by side in one run on this machine.

    python benchmarks/bench.py                      # everything (about ten minutes)
    python benchmarks/bench.py --quick              # smaller sizes, a smoke check
    python benchmarks/bench.py --baseline 73db769   # the code before issue #11 (default)
    python benchmarks/bench.py --baseline none      # no baseline

Prints:

1. time per shipment of each stage of one replication (inputs, engine,
   indicators), CPU time on one core, best of several, for the reference
   office and the bundled regional scenario, beside the same stages of the
   baseline revision run on *its own* scenario files (the scenario a user of
   that version ran), and their ratios; the regional stages again with numpy
   kept from its run-time SIMD code (its sorts, on which the baseline's
   indicators leaned, then run as on a CPU or a numpy without them); then one
   replication of the regional comparison (both scenarios) as each version's
   worker computes it;
2. end to end against the SimPy engine, in this run: shipments per second of
   each engine on the same replication, and their ratio;
3. one replication of the regional scenario on 1 worker and on every core
   (its ports shared out among the workers);
4. ``mrasim compare -n 100`` of the bundled scenario, wall time on every core,
   in turns with the baseline's;
5. 1,000 replications x 30 days of the reference office on 1 worker and on
   every core, peak memory of 10,000 of them, and a second ``mrasim run``
   (compilation cached).

The baseline is checked out with ``git archive`` into a cache folder and
measured by this folder's ``stages.py`` in a subprocess (its compiled code is
cached there too, so only the first run pays for compiling it). Nothing here
is a test: numbers vary with the machine and its load, so compare numbers
within one run (the ratios), not across runs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))  # this checkout's package, whatever is installed

from versions import arrivals_end, parts, warm_up

import sim

SIM = parts("sim")  # this checkout's modules, wherever its layout keeps them
draw_port = SIM["inputs"].draw_port
Layout = SIM["layout"].Layout
compile_plan = SIM["plan"].compile_plan
default_workers = SIM["runner"].default_workers
indicator_vector = SIM["runner"].indicator_vector
run = SIM["runner"].run

REFERENCE = "scenarios/reference-office.yaml"
REGIONAL = "scenarios/lac-regional.yaml"
BASELINE = "73db769"  # "cli: one footer for run and compare": the code issue #11 measured
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "mrasim-bench"
STAGES = ("inputs", "engine", "indicators")
ROUNDS = 3  # turns of this code and the baseline, each the best of its repeats

RESULTS: dict[str, float] = {}


# --- 1. stages, this code and the baseline ------------------------------------------


def stage_times(
    tree: Path,
    scenario: str,
    overrides: list[str],
    repeats: int,
    *options: str,
    environment: dict[str, str] | None = None,
) -> dict[str, float]:
    """Run stages.py against the package in ``tree`` (this checkout or the baseline's),
    with ``environment`` added to this process's."""
    command = [sys.executable, str(HERE / "stages.py"), str(tree / scenario), "--json"]
    command += ["--repeats", str(repeats), *options]
    for override in overrides:
        command += ["--set", override]
    env = os.environ | (environment or {}) | {"PYTHONPATH": str(tree)}
    out = subprocess.run(command, check=True, capture_output=True, text=True, cwd=tree, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def interleaved(
    tree: Path,
    base: Path | None,
    scenario: str,
    overrides: list[str],
    repeats: int,
    *options: str,
    each_round: Callable[[], object] | None = None,
    environment: dict[str, str] | None = None,
) -> tuple[dict[str, float], dict[str, float] | None]:
    """Each stage's best time of this code and of the baseline, measured in turns (now,
    base, now, base, ...): a shared machine's slow and fast spells then fall on both.
    ``each_round`` is called at the start of every round: another measurement taken in
    the same turns."""
    now: dict[str, float] = {}
    before: dict[str, float] = {}
    for _ in range(ROUNDS):
        if each_round is not None:
            each_round()
        for times, source in ((now, tree), (before, base)):
            if source is None:
                continue
            measured = stage_times(
                source, scenario, overrides, repeats, *options, environment=environment
            )
            for key, value in measured.items():
                times[key] = value if key == "shipments" else min(times.get(key, value), value)
    return now, before or None


def baseline_tree(revision: str) -> Path:
    """The baseline's files, extracted once into the cache folder."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short=12", revision],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout.strip()
    tree = CACHE / commit
    if not (tree / "sim").is_dir():
        tree.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=tree.parent) as scratch:
            archive = Path(scratch) / "tree.tar"
            subprocess.run(["git", "archive", "-o", str(archive), commit], check=True, cwd=ROOT)
            with tarfile.open(archive) as tar:
                tar.extractall(Path(scratch) / "tree", filter="data")
            (Path(scratch) / "tree").rename(tree)
    return tree


def per_shipment(times: dict[str, float]) -> dict[str, float]:
    n = times["shipments"]
    out = {stage: times[stage] / n * 1e9 for stage in STAGES}
    out["total"] = sum(out.values())
    return out


def numpy_without_simd() -> dict[str, str] | None:
    """The environment that keeps numpy to the instructions it was built for: every code
    path it would choose at run time for this CPU (on x86, its AVX2 and AVX-512 sorts
    among them) switched off (``NPY_DISABLE_CPU_FEATURES``); None when numpy dispatches
    nothing. The baseline's indicators were mostly numpy's sorts, so its speed, and every
    ratio against it, depends on them."""
    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__
    except ImportError:  # numpy 1.x
        from numpy.core._multiarray_umath import __cpu_dispatch__
    return {"NPY_DISABLE_CPU_FEATURES": " ".join(__cpu_dispatch__)} if __cpu_dispatch__ else None


def print_stages(label: str, now: dict[str, float], base: dict[str, float] | None) -> None:
    ns_now = per_shipment(now)
    print(f"  {label}: {now['shipments']:,.0f} shipments now", end="")
    print(f", {base['shipments']:,.0f} in the baseline" if base else "")
    header = f"    {'stage':<11} {'now ns':>8} {'now s':>7}"
    if base:
        header += f" {'base ns':>8} {'base s':>7} {'speed-up':>9}"
    print(header)
    ns_base = per_shipment(base) if base else {}
    for stage in (*STAGES, "total"):
        seconds_now = ns_now[stage] * now["shipments"] / 1e9
        line = f"    {stage:<11} {ns_now[stage]:8.1f} {seconds_now:7.3f}"
        if base:
            seconds_base = ns_base[stage] * base["shipments"] / 1e9
            line += f" {ns_base[stage]:8.1f} {seconds_base:7.3f} {seconds_base / seconds_now:8.2f}x"
            RESULTS[f"{label}_{stage}_speedup"] = seconds_base / seconds_now
        RESULTS[f"{label}_{stage}_ns"] = ns_now[stage]
        print(line)


# --- 2. against the SimPy engine ----------------------------------------------------


def end_to_end(scenario: sim.Scenario, engine: str, repeats: int) -> tuple[float, int]:
    """Best shipments per second (CPU time) of one replication as a worker runs it: each
    port drawn, simulated and reduced to its cells in turn, then the cells combined."""
    plan = compile_plan(scenario)
    layout = Layout.of(plan)
    best, shipments = 0.0, 0
    for r in range(repeats):
        started = time.process_time()
        indicator_vector(plan, layout, engine, 1, r)  # what a worker does
        seconds = time.process_time() - started
        drawn = (draw_port(arrivals_end(SIM, plan, port), port, 1, r) for port in plan.ports)
        shipments = sum(inputs.n for inputs in drawn)
        best = max(best, shipments / seconds)
    return best, shipments


def against_simpy(label: str, scenario: sim.Scenario, repeats: int) -> None:
    numba_rate, n = end_to_end(scenario, "numba", repeats)
    simpy_rate, _ = end_to_end(scenario, "simpy", 1)
    RESULTS[f"{label}_numba_per_s"] = numba_rate
    RESULTS[f"{label}_simpy_per_s"] = simpy_rate
    RESULTS[f"{label}_simpy_ratio"] = numba_rate / simpy_rate
    print(
        f"  {label} ({n:,} shipments): numba {numba_rate / 1e6:.2f} M/s, "
        f"SimPy {simpy_rate / 1e3:.1f} k/s, ratio {numba_rate / simpy_rate:,.0f}x"
    )


# --- 3.-5. wall time on every core --------------------------------------------------


def wall(function: Callable[..., object], *args: object, **kwargs: object) -> float:
    started = time.perf_counter()
    function(*args, **kwargs)
    return time.perf_counter() - started


def cli_wall(*args: str, tree: Path = ROOT) -> float:
    """Wall time of one ``mrasim`` command, run with the package in ``tree``."""
    started = time.perf_counter()
    command = [
        sys.executable,
        "-c",
        "import sys; from sim.cli import main; sys.exit(main())",
        *args,
    ]
    environment = os.environ | {"PYTHONPATH": str(tree)}
    subprocess.run(command, check=True, capture_output=True, cwd=tree, env=environment)
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
        [sys.executable, "-c", PEAK_MEMORY, str(ROOT / REFERENCE), str(replications)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke check")
    parser.add_argument(
        "--baseline", default=BASELINE, help=f"git revision to compare with (default {BASELINE})"
    )
    parser.add_argument("--json", type=Path, help="also write the numbers to this JSON file")
    args = parser.parse_args()
    quick = args.quick
    workers = default_workers()
    warm_up(SIM)
    load = os.getloadavg()[0]
    print(
        f"mrasim benchmark: {os.cpu_count()} cores, {workers} workers, "
        f"Python {sys.version.split()[0]}, load average {load:.1f} at the start"
    )

    repeats = 2 if quick else 5
    reference_set = ["horizon_days=30"] if quick else []
    regional_set = ["horizon_days=7"] if quick else []
    base = None if args.baseline == "none" else baseline_tree(args.baseline)
    print(
        "1. time per shipment of each stage, one core, CPU time, best of "
        f"{ROUNDS} x {repeats} in turns with the baseline"
        + (f"; baseline {args.baseline} on its own scenario files" if base else "")
    )
    for label, scenario, overrides in (
        ("reference office", REFERENCE, reference_set),
        ("lac-regional", REGIONAL, regional_set),
    ):
        now, before = interleaved(ROOT, base, scenario, overrides, repeats)
        print_stages(label, now, before)
    plain = numpy_without_simd()
    if plain is None:
        print("   (numpy chooses no SIMD code at run time here: nothing to switch off)")
    else:
        print(
            "   the regional stages again, numpy without its run-time SIMD code "
            f"(NPY_DISABLE_CPU_FEATURES={plain['NPY_DISABLE_CPU_FEATURES']!r})"
        )
        now, before = interleaved(ROOT, base, REGIONAL, regional_set, repeats, environment=plain)
        print_stages("lac-regional, numpy without SIMD", now, before)
    print(
        "   one replication of the regional comparison (without and with the arrangement) "
        "as each version's worker computes it"
    )
    now, before = interleaved(ROOT, base, REGIONAL, regional_set, repeats, "--compare")
    RESULTS["compare_replication_s"] = now["compare"]
    line = f"    now {now['compare']:.3f} s ({now['shipments']:,.0f} shipments)"
    if before:
        speedup = before["compare"] / now["compare"]
        each = speedup * now["shipments"] / before["shipments"]
        RESULTS["compare_replication_speedup"] = speedup
        RESULTS["compare_replication_per_shipment_speedup"] = each
        line += (
            f", baseline {before['compare']:.3f} s ({before['shipments']:,.0f} shipments): "
            f"{speedup:.2f}x, per shipment {each:.2f}x"
        )
    print(line)

    print("2. end to end against the SimPy engine, same replication, CPU time")
    against_simpy("reference office", sim.load_scenario(ROOT / REFERENCE, reference_set), repeats)
    against_simpy("lac-regional", sim.load_scenario(ROOT / REGIONAL, regional_set), repeats)

    regional = sim.load_scenario(ROOT / REGIONAL, regional_set)
    print("3. one replication of the regional scenario in worker processes, as `mrasim run`")
    one = min(wall(run, regional, replications=1, workers=1, isolate=True) for _ in range(3))
    every = min(
        wall(run, regional, replications=1, workers=workers, isolate=True) for _ in range(3)
    )
    RESULTS.update(one_replication_1_worker_s=one, one_replication_all_workers_s=every)
    print(f"    1 worker {one:.2f} s, {workers} workers {every:.2f} s: {one / every:.2f}x")

    n = 10 if quick else 100
    print(f"4. `mrasim compare -n {n}` of the bundled scenario, {workers} workers, wall time")
    options = [word for override in regional_set for word in ("--set", override)]
    command = ("compare", "-n", str(n), "-q", *options)
    if base:  # compiled code loaded from its cache, not compiled while timed
        cli_wall("compare", "-n", "2", "-q", "--set", "horizon_days=1", tree=base)
    now_s, base_s = [], []
    for _ in range(1 if quick else 2):  # in turns, as in 1.
        now_s.append(cli_wall(*command))
        if base:
            base_s.append(cli_wall(*command, tree=base))
    seconds = min(now_s)
    RESULTS["compare_100_s"] = seconds
    line = f"    now {seconds:.1f} s"
    if base_s:
        RESULTS["compare_100_baseline_s"] = min(base_s)
        line += f", baseline {min(base_s):.1f} s: {min(base_s) / seconds:.2f}x"
    print(line + " (best of the turns; target for -n 100: <= 25 s on 2 cores)")
    if base_s:
        print("    (each version simulates its own scenario: their shipments differ as in 1.)")

    reps = 100 if quick else 1000
    month = sim.load_scenario(ROOT / REFERENCE, ["horizon_days=30"])
    print(f"5. {reps:,} replications x 30 days of the reference office, wall time")
    one = wall(run, month, replications=reps, workers=1, seed=1)
    every = wall(run, month, replications=reps, workers=workers, seed=1)
    RESULTS.update(wall_1_worker_s=one, wall_all_workers_s=every)
    print(f"    1 worker {one:.2f} s, {workers} workers {every:.2f} s: {one / every:.2f}x")
    big = 1000 if quick else 10_000
    RESULTS["peak_memory_mb"] = peak_memory_mb(big)
    print(f"    peak memory of {big:,} replications: {RESULTS['peak_memory_mb']:,.0f} MB")
    command = ("run", REFERENCE, "--set", "horizon_days=30", "-n", "1", "-q", "--workers", "1")
    cli_wall(*command)
    RESULTS["cached_start_s"] = cli_wall(*command)
    print(f"    a second `mrasim run` (compilation cached): {RESULTS['cached_start_s']:.2f} s")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    if args.json:
        args.json.write_text(json.dumps(RESULTS, indent=2) + "\n")


if __name__ == "__main__":
    main()
