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
An A/A run (REV = HEAD, on a clean tree) gives ratios of 1.00 within about 1%. Since
arrivals go on after the counted window until queues drain (``plan.expect.drain_h``),
a one-hour horizon still simulates each port's drain period, days long: ``--stage
fixed`` against a revision from before that change compares unlike work.

REV may have either layout of the package, the flat modules of older revisions or the
folders by stage (``versions.py`` imports each version by its own module names); the
copy of a version by stage, whose imports are absolute (``from sim.engine ...``), has
them rewritten to ``sim_base``, so that it never runs this checkout's modules. REV
must have ``runner.indicator_vectors`` (the comparison path of the speed round that
targeted 3x); for older code use ``bench.py --baseline``. The extracted package and
its compiled code are cached beside ``bench.py``'s baseline trees
(``~/.cache/mrasim-bench/paired-REV``).
"""

from __future__ import annotations

import argparse
import importlib
import re
import shutil
import statistics
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

from bench import ROOT, baseline_tree  # (bench.py puts this checkout's package first)
from versions import arrivals_end, by_stage, parts, warm_up

SCENARIO = ROOT / "scenarios" / "lac-regional.yaml"
PARTS = ("plan", "inputs", "engine", "layout", "sums", "runner", "variants", "jit", "expect")
FIXED = ["horizon_days=0.05", "warmup_days=0"]  # about an hour: few shipments, every port
ABSOLUTE = re.compile(r"^(\s*)(from|import) sim(?=[.\s])", re.MULTILINE)


def extract(rev: str) -> Path:
    """REV's ``sim`` package copied as ``sim_base`` into a folder of its own; returns the
    folder. The copy, not ``bench.py``'s tree itself: numba's cache records the module's
    name, so one package imported under two names would corrupt each other's cache."""
    tree = baseline_tree(rev)  # REV's files, extracted once
    folder = tree.with_name(f"paired-{tree.name}")
    copy = folder / "sim_base"
    if not copy.is_dir():
        ignore = shutil.ignore_patterns("__pycache__")
        shutil.copytree(tree / "sim", copy, ignore=ignore)
    if by_stage(copy):
        renamed(copy)
    return folder


def renamed(copy: Path) -> None:
    """Point the copy's absolute imports (``from sim.x import``) at the copy itself. A file
    is rewritten only if it changes: numba's cache is keyed on the file's time."""
    for path in copy.rglob("*.py"):
        text = path.read_text()
        new = ABSOLUTE.sub(r"\1\2 sim_base", text)
        if new != text:
            path.write_text(new)


class Version:
    """One version's modules, its plans (without and with the arrangement) and layouts."""

    def __init__(self, package: str, overrides: list[str]) -> None:
        self.package = importlib.import_module(package)
        self.m: dict[str, ModuleType] = parts(package, PARTS)
        if not hasattr(self.m["runner"], "indicator_vectors"):
            raise SystemExit(
                "paired.py: REV has no runner.indicator_vectors; use bench.py --baseline"
            )
        scenario = self.package.load_scenario(str(SCENARIO), overrides)
        variants = self.m["variants"].arrangement_variants(scenario, None)[0]
        self.plans = [self.m["plan"].compile_plan(s) for s in variants]
        self.layouts = [self.m["layout"].Layout.of(p) for p in self.plans]
        warm_up(self.m)
        self.comparison(0)  # load every kernel this path uses
        plan = self.plans[0]
        self.ends = [arrivals_end(self.m, plan, port) for port in plan.ports]
        draw = self.m["inputs"].draw_port
        self.drawn = [draw(end, p, 1, 1) for end, p in zip(self.ends, plan.ports, strict=True)]

    def comparison(self, r: int) -> Any:
        return self.m["runner"].indicator_vectors(self.plans, self.layouts, "numba", 1, r)

    def port(self, stage: str, p: int, r: int) -> None:
        """One stage of port p of the first plan (with the arrangement), replication r."""
        plan, m = self.plans[0], self.m
        port = plan.ports[p]
        if stage == "engine":
            m["engine"].run_port(port, plan.calendars, self.drawn[p])
            return
        inputs = m["inputs"].draw_port(self.ends[p], port, 1, r)
        if stage == "replication":
            outcome = m["engine"].run_port(port, plan.calendars, inputs)
            m["sums"].port_cells(plan, p, inputs, outcome)


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
