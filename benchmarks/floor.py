"""What the regional scenario's draws cost at the least, with the streams and samplers as
they are: each random variate one replication draws, timed on its own, times how many it
draws; beside what issue #11's 3x leaves.

    python benchmarks/floor.py                    # the target from the baseline 73db769
    python benchmarks/floor.py --baseline none    # the floor only

Issue #11 asks for one regional replication three times faster than the code before
it. That target, in nanoseconds per simulated shipment, is the baseline's stages
(inputs, engine, indicators; ``stages.py`` on revision 73db769, CPU time on one core)
divided by 3. Against it this prints what the inputs alone need at the least under
the streams that common random numbers use (``sim/streams.py``): every counter block
(Philox4x32-10, computed as ``draw_port`` does, a chunk of 256 independent counters
at a time, in SIMD lanes) and every sampler (the ziggurat normal and exponential, a
lognormal's ``exp``, Marsaglia and Tsang's gamma), each timed in a tight loop over
precomputed blocks with the scenario's own parameters, times how many of each one
replication draws (counted from its inputs). Whatever else a replication does (the
shipments' attributes and routes, the event loop, the indicators) comes on top, and
this checkout's stages are measured in the same run, in turns with the baseline's:
the last line says what they would cost were every draw free, against what 3x leaves.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numba import njit

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench import BASELINE, REGIONAL, ROOT, SIM, baseline_tree, interleaved, per_shipment
from versions import arrivals_end

import sim

if TYPE_CHECKING:
    from sim.plan.arrays import Plan

streams = SIM["streams"]  # this checkout's modules, wherever its layout keeps them
draw_port = SIM["inputs"].draw_port
compile_plan = SIM["plan"].compile_plan

SAMPLERS = {
    streams.LOGNORMAL: "lognormal",
    streams.GAMMA: "gamma",
    streams.EXPONENTIAL: "exponential",
}
SAMPLES = 1 << 16  # draws per timed loop
KEY = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xD1B54A32D192ED03))
Drawn = np.ndarray  # a row per variate: its kind, first and second parameters


# --- what one replication draws -------------------------------------------------------


def count_draws(plan: Plan) -> tuple[Counter[str], Drawn, int]:
    """How many counter blocks and variates of each sampler one replication draws, the
    law of every variate (its kind and first two parameters), and the shipments.

    Read from the inputs: a shipment draws its attributes (two blocks), its lodgement
    lag or lead (lead when lodged before arrival), unloading, release delay and a
    service at each station it visits, each from its cell's distribution; an arrival
    epoch (shipments of one vessel call share it) draws one exponential, and its batch
    size one variate. Ziggurat and gamma retries (about 1-2% of draws) are left out.
    """
    counts: Counter[str] = Counter()
    laws = []
    shipments = 0
    for port in plan.ports:
        inputs = draw_port(arrivals_end(SIM, plan, port), port, 1, 0)
        cell = 3 * inputs.channel.astype(np.int64) + inputs.group
        early = inputs.lodgement < inputs.arrival
        chosen = [np.where(early, port.stage_dist[3, cell], port.stage_dist[0, cell])]
        chosen += [port.stage_dist[1, cell], port.stage_dist[2, cell]]
        for s in range(len(port.stations)):
            visits = np.isfinite(inputs.service[s])
            chosen.append(port.service_dist[s, inputs.group[visits]])
        epochs = len(np.unique(inputs.arrival))
        chosen.append(np.full(epochs if port.batch_dist >= 0 else 0, port.batch_dist))
        d = np.concatenate(chosen)
        d = d[d >= 0]
        kinds, params = port.bank[0], port.bank[1]
        laws.append(np.column_stack((kinds[d], params[d, 0], params[d, 1])))
        counts["blocks"] += 2 * inputs.n + epochs
        counts["arrival exponential"] += epochs
        shipments += inputs.n
    drawn = np.concatenate(laws)
    for kind in np.unique(drawn[:, 0]).astype(int):
        counts[SAMPLERS.get(kind, "other")] += int((drawn[:, 0] == kind).sum())
    counts["blocks"] += len(drawn) + counts["gamma"]  # gamma's second block
    return counts, drawn, shipments


# --- what each draw costs, on its own ---------------------------------------------------


@njit(cache=True)
def _blocks_loop(counters, k0, k1, out, repeats):
    """The counter blocks of a chunk, ``repeats`` times over (as ``draw_port`` computes them)."""
    for _ in range(repeats):
        streams.blocks(counters, k0, k1, counters.shape[1], out)
    return out[0, 0]


@njit(cache=True)
def _sampler_loop(kind, p, words, k0, k1):
    """One variate of ``kind`` per column of ``words``, the parameters cycling through
    ``p`` (the scenario's, in proportion to their use; a power of 2 of them, so that
    the cycling is a mask, not a division); a gamma also reads the next column as its
    second block."""
    total = 0.0
    m = p.shape[0] - 1
    for j in range(words.shape[1] - 1):
        w0, w1 = np.uint64(words[0, j]), np.uint64(words[1, j])
        w2, w3 = np.uint64(words[2, j]), np.uint64(words[3, j])
        v0, v1 = np.uint64(words[0, j + 1]), np.uint64(words[1, j + 1])
        total += streams.variate_from(
            kind, p[j & m, 0], p[j & m, 1], 0.0, w0, w1, w2, w3, v0, v1, k0, k1, j, 5, 0
        )
    return total


@njit(cache=True)
def _exp_loop(x):
    """``exp`` of each value: a lognormal's share of its cost."""
    total = 0.0
    for v in x:
        total += math.exp(v)
    return total


def best_ns(function: object, args: tuple[object, ...], draws: int, repeats: int = 9) -> float:
    """Nanoseconds per draw of the best of ``repeats`` calls (CPU time)."""
    function(*args)  # type: ignore[operator]  # compile, or load from the cache
    best = math.inf
    for _ in range(repeats):
        started = time.process_time()
        function(*args)  # type: ignore[operator]
        best = min(best, time.process_time() - started)
    return best / draws * 1e9


def draw_costs(drawn: Drawn) -> dict[str, float]:
    """Nanoseconds per counter block and per variate of each sampler the scenario uses,
    4,096 of its variates' parameters drawn at random (in proportion to their use)."""
    rng = np.random.default_rng(2026)
    words = rng.integers(0, 2**32, size=(4, SAMPLES), dtype=np.uint32)
    counters = np.zeros((4, 256), dtype=np.uint32)
    counters[0] = np.arange(256)
    counters[2] = 5
    out = np.empty_like(counters)
    costs = {"blocks": best_ns(_blocks_loop, (counters, *KEY, out, 256), 256 * 256)}
    for kind, name in SAMPLERS.items():
        laws = drawn[drawn[:, 0] == kind, 1:]
        if len(laws):
            chosen = laws[rng.integers(0, len(laws), 4096)]
            costs[name] = best_ns(_sampler_loop, (kind, chosen, words, *KEY), SAMPLES - 1)
    unit = np.array([[1.0, 0.0]])  # an arrival epoch's gap: a standard exponential
    costs["arrival exponential"] = best_ns(
        _sampler_loop, (streams.EXPONENTIAL, unit, words, *KEY), SAMPLES - 1
    )
    if (drawn[:, 0] == streams.LOGNORMAL).any():
        costs["exp"] = best_ns(_exp_loop, (rng.normal(0.5, 0.8, SAMPLES),), SAMPLES)
    return costs


# --- the report -------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default=BASELINE, help=f"revision (default {BASELINE})")
    parser.add_argument("--repeats", type=int, default=3, help="replications per stage turn")
    args = parser.parse_args()

    plan = compile_plan(sim.load_scenario(ROOT / REGIONAL))
    counts, drawn, shipments = count_draws(plan)
    base = None if args.baseline == "none" else baseline_tree(args.baseline)
    costs: dict[str, float] = {}  # the draws' costs, measured in the stages' turns

    def best_costs() -> None:
        for name, value in draw_costs(drawn).items():
            costs[name] = min(costs.get(name, value), value)

    now, before = interleaved(ROOT, base, REGIONAL, [], args.repeats, each_round=best_costs)
    other = counts.pop("other", 0)
    print(f"one replication of {REGIONAL}: {shipments:,} shipments")
    print(f"  {'draw':<20} {'per shipment':>12} {'ns each':>8} {'ns per shipment':>16}")
    floor = 0.0
    for name in ("blocks", "arrival exponential", *SAMPLERS.values()):
        if counts[name]:
            each = counts[name] / shipments
            floor += each * costs[name]
            print(f"  {name:<20} {each:12.2f} {costs[name]:8.1f} {each * costs[name]:16.1f}")
    if "exp" in costs:
        print(f"  (of a lognormal's {costs['lognormal']:.1f} ns, exp alone: {costs['exp']:.1f} ns)")
    if other:
        print(f"  ({other / shipments:.2f} draws per shipment of other laws left out)")
    print(f"  the draws at the least: {floor:.1f} ns per shipment")

    ns_now = per_shipment(now)
    print(
        f"this checkout, in turns: inputs {ns_now['inputs']:.1f}, engine "
        f"{ns_now['engine']:.1f}, indicators {ns_now['indicators']:.1f}: "
        f"{ns_now['total']:.1f} ns per shipment"
    )
    if before is not None:
        target = per_shipment(before)["total"] / 3
        print(
            f"baseline {args.baseline}, in turns: {3 * target:.1f} ns per shipment; 3x "
            f"leaves {target:.1f} ns for everything, of which the draws at the least take "
            f"{floor:.1f} ({floor / target:.0%}) and the inputs stage now "
            f"{ns_now['inputs']:.1f} ({ns_now['inputs'] / target:.0%})"
        )
        rest = ns_now["total"] - floor
        print(
            f"were every draw free, this checkout's stages would still take {rest:.1f} ns "
            f"per shipment: {rest / target:.0%} of what 3x leaves"
        )


if __name__ == "__main__":
    main()
