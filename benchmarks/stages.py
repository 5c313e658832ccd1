"""Time per shipment of each stage of one replication: inputs, engine, indicators.

    python benchmarks/stages.py SCENARIO [--set PATH=VALUE ...] [--repeats 5] [--json]
    python benchmarks/stages.py SCENARIO --compare    # a comparison's replication instead

Runs in one process on one core, after a warm-up replication (compilation), and
reports the best of ``--repeats`` replications in CPU time (``time.process_time``:
on a shared machine, wall time also counts other processes' turns). It uses only
the calls every version of mrasim has had (``compile_plan``, ``draw_port``,
``run_port``, ``Layout.of``, ``compute``; for ``--compare``, ``runner._replicate``),
each imported from wherever the version at hand keeps it (``versions.py``: the flat
modules of older revisions, or the folders by stage), so ``bench.py --baseline REV``
can run it against an older checkout, side by side with this one: it measures the
``sim`` package found first on the path (``PYTHONPATH``).
"""

from __future__ import annotations

import argparse
import json
import time

from versions import arrivals_end, parts  # (this script's folder is first on the path)

import sim  # the version to measure: PYTHONPATH's, as bench.py runs this script

SIM = parts("sim")
compile_plan = SIM["plan"].compile_plan
draw_port = SIM["inputs"].draw_port
run_port = SIM["engine"].run_port
Layout = SIM["layout"].Layout
compute = SIM["sums"].compute


def end(plan: object, port: object) -> float:
    """Until when this version draws a port's arrivals, as its runner does."""
    return arrivals_end(SIM, plan, port)


def stage_times(path: str, overrides: list[str], repeats: int) -> dict[str, float]:
    """Best CPU seconds of each stage over the repeats, and the shipments simulated."""
    scenario = sim.load_scenario(path, overrides)
    plan = compile_plan(scenario)
    layout = Layout.of(plan)
    best = {"inputs": float("inf"), "engine": float("inf"), "indicators": float("inf")}
    shipments = 0
    for replication in range(repeats + 1):
        started = time.process_time()
        inputs = [draw_port(end(plan, port), port, 1, replication) for port in plan.ports]
        drawn = time.process_time()
        outcomes = [run_port(p, plan.calendars, i) for p, i in zip(plan.ports, inputs, strict=True)]
        simulated = time.process_time()
        compute(plan, layout, list(zip(inputs, outcomes, strict=True)))
        done = time.process_time()
        if replication == 0:
            continue  # compilation, or loading it from the cache
        shipments = sum(len(i.arrival) for i in inputs)
        for stage, seconds in (
            ("inputs", drawn - started),
            ("engine", simulated - drawn),
            ("indicators", done - simulated),
        ):
            best[stage] = min(best[stage], seconds)
    return best | {"shipments": float(shipments)}


def compare_times(path: str, overrides: list[str], repeats: int) -> dict[str, float]:
    """Best CPU seconds of one replication of a comparison (without and with the
    arrangement) as the version's worker computes it (``runner._replicate``, which every
    version has), and the shipments it simulates."""
    runner = SIM["runner"]
    scenario = sim.load_scenario(path, overrides)
    scenarios, _ = SIM["variants"].arrangement_variants(scenario, None)  # None: no sweep
    plans = tuple(compile_plan(s) for s in scenarios)
    work = runner.Work(plans, tuple(Layout.of(p) for p in plans), "numba", 1, False)
    best = float("inf")
    for replication in range(repeats + 1):
        started = time.process_time()
        runner._replicate(work, replication)
        if replication:  # the first one compiles, or loads the compiled code
            best = min(best, time.process_time() - started)
    shipments = sum(draw_port(end(p, port), port, 1, 1).n for p in plans for port in p.ports)
    return {"compare": best, "shipments": float(shipments)}


def as_a_worker() -> None:
    """Set up this process as the checked-out version's workers are: since the speed round
    that targeted 3x they keep the memory they free (``keep_freed_memory``, now in
    ``sim.replicate.processes``); an older checkout, measured by ``bench.py --baseline``,
    keeps its own defaults, as its workers did."""
    keep = getattr(SIM.get("processes"), "keep_freed_memory", None)
    if keep is not None:
        keep()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario")
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--compare", action="store_true", help="a comparison's replication, not the stages"
    )
    args = parser.parse_args()
    as_a_worker()
    if args.compare:
        times = compare_times(args.scenario, args.overrides, args.repeats)
        print(json.dumps(times) if args.json else f"{times['compare']:.3f} s, {times}")
        return
    times = stage_times(args.scenario, args.overrides, args.repeats)
    if args.json:
        print(json.dumps(times))
        return
    n = times["shipments"]
    for stage in ("inputs", "engine", "indicators"):
        print(f"{stage:>10}: {times[stage]:.3f} s  {times[stage] / n * 1e9:6.1f} ns/shipment")
    total = sum(times[s] for s in ("inputs", "engine", "indicators"))
    print(f"{'total':>10}: {total:.3f} s  {total / n * 1e9:6.1f} ns/shipment ({n:,.0f} shipments)")


if __name__ == "__main__":
    main()
