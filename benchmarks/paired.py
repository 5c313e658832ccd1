"""Two versions of mrasim side by side in one process, alternating port by port.

    python benchmarks/paired.py REV                       # one regional replication's stages
    python benchmarks/paired.py REV --stage comparison    # a comparison's replication
    python benchmarks/paired.py REV --stage fixed         # the same on a one-hour horizon

The VM this project is measured on swings in speed by a third from one minute to
the next, so two versions timed one after the other, even in turns as ``bench.py``
does, can differ by more than a change of a few per cent. Here revision REV's
``sim`` package is extracted (``git archive``) under another name, ``sim_base``,
and imported beside this checkout's ``sim``; each port of the regional scenario is
run by one version and then the other, in alternating order, and each version's CPU
time is summed: both see the same minutes of the host. ``--stage comparison`` and
``--stage fixed`` alternate whole replications instead (the versions' worker
function, ``runner.indicator_vectors``) and report the median of the paired ratios.
An A/A run (REV = HEAD, on a clean tree) gives ratios of 1.00 within about 1%.

REV must have ``runner.indicator_vectors`` (issue #11's comparison path); for the
code before issue #11 use ``bench.py --baseline``. The extracted package and its
compiled code are cached beside ``bench.py``'s baseline trees
(``~/.cache/mrasim-bench/paired-REV``).
"""

from __future__ import annotations

import argparse
import importlib
import shutil
import statistics
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

from bench import ROOT, baseline_tree  # (bench.py puts this checkout's package first)

SCENARIO = ROOT / "scenarios" / "lac-regional.yaml"
MODULES = ("plan", "inputs", "engine_numba", "indicators", "runner", "variants", "processes")
FIXED = ["horizon_days=0.05", "warmup_days=0"]  # about an hour: few shipments, every port


def extract(rev: str) -> Path:
    """REV's ``sim`` package copied as ``sim_base`` into a folder of its own; returns the
    folder. The copy, not ``bench.py``'s tree itself: numba's cache records the module's
    name, so one package imported under two names would corrupt each other's cache."""
    tree = baseline_tree(rev)  # REV's files, extracted once
    folder = tree.with_name(f"paired-{tree.name}")
    if not (folder / "sim_base").is_dir():
        ignore = shutil.ignore_patterns("__pycache__")
        shutil.copytree(tree / "sim", folder / "sim_base", ignore=ignore)
    return folder


class Version:
    """One version's modules, its plans (without and with the arrangement) and layouts."""

    def __init__(self, package: str, overrides: list[str]) -> None:
        self.package = importlib.import_module(package)
        self.m: dict[str, ModuleType] = {
            name: importlib.import_module(f"{package}.{name}") for name in MODULES
        }
        scenario = self.package.load_scenario(str(SCENARIO), overrides)
        variants = self.m["variants"].arrangement_variants(scenario)[0]
        self.plans = [self.m["plan"].compile_plan(s) for s in variants]
        self.layouts = [self.m["indicators"].Layout.of(p) for p in self.plans]
        self.m["engine_numba"].warm_up()
        self.comparison(0)  # load every kernel this path uses
        plan = self.plans[0]
        self.drawn = [self.m["inputs"].draw_port(plan.window[1], p, 1, 1) for p in plan.ports]

    def comparison(self, r: int) -> Any:
        return self.m["runner"].indicator_vectors(self.plans, self.layouts, "numba", 1, r)

    def port(self, stage: str, p: int, r: int) -> None:
        """One stage of port p of the first plan (with the arrangement), replication r."""
        plan, m = self.plans[0], self.m
        port = plan.ports[p]
        if stage == "engine":
            m["engine_numba"].run_port(port, plan.calendars, self.drawn[p])
            return
        inputs = m["inputs"].draw_port(plan.window[1], port, 1, r)
        if stage == "replication":
            outcome = m["engine_numba"].run_port(port, plan.calendars, inputs)
            m["indicators"].port_cells(plan, p, inputs, outcome)


def by_port(versions: dict[str, Version], stage: str, rounds: int) -> str:
    spent = dict.fromkeys(versions, 0.0)
    names = list(versions)
    for r in range(rounds):
        for p in range(len(versions[names[0]].plans[0].ports)):
            for name in names if (r + p) % 2 == 0 else names[::-1]:
                started = time.process_time()
                versions[name].port(stage, p, r)
                spent[name] += time.process_time() - started
    base, now = spent["base"] / rounds, spent["now"] / rounds
    return (
        f"{stage}: base {base * 1e3:.1f} ms, now {now * 1e3:.1f} ms a replication; "
        f"base / now {base / now:.3f}"
    )


def by_replication(versions: dict[str, Version], stage: str, rounds: int) -> str:
    times: dict[str, list[float]] = {name: [] for name in versions}
    names = list(versions)
    for r in range(rounds):
        for name in names if r % 2 == 0 else names[::-1]:
            started = time.perf_counter()
            versions[name].comparison(r)
            times[name].append(time.perf_counter() - started)
    ratios = [b / n for b, n in zip(times["base"], times["now"], strict=True)]
    base, now = statistics.median(times["base"]), statistics.median(times["now"])
    return (
        f"{stage}: median base {base * 1e3:.1f} ms, now {now * 1e3:.1f} ms a replication; "
        f"median of the paired ratios base / now {statistics.median(ratios):.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rev", help="the revision to compare this checkout with")
    parser.add_argument(
        "--stage",
        choices=("inputs", "engine", "replication", "comparison", "fixed"),
        default="replication",
    )
    parser.add_argument("--rounds", type=int, help="replications (default: 6, or 40 whole)")
    args = parser.parse_args()
    sys.path.insert(0, str(extract(args.rev)))
    from sim.replicate.processes import keep_freed_memory

    keep_freed_memory()  # as the workers run
    overrides = FIXED if args.stage == "fixed" else []
    versions = {"base": Version("sim_base", overrides), "now": Version("sim", overrides)}
    if args.stage in ("comparison", "fixed"):
        print(by_replication(versions, args.stage, args.rounds or 40))
    else:
        print(by_port(versions, args.stage, args.rounds or 6))


if __name__ == "__main__":
    main()
