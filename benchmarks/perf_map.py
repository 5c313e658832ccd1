"""Name numba's compiled kernels for Linux ``perf``, then run one stage in a loop.

    perf record -F 2000 -o perf.data python benchmarks/perf_map.py engine
    perf report -i perf.data --no-children --sort symbol

``perf`` names just-in-time code through ``/tmp/perf-PID.map`` (lines of "START SIZE
NAME", in hex). Numba writes no such map, so a profile shows its kernels as bare
addresses. This script loads the kernels (from numba's on-disk cache), writes the map
from each compiled overload's entry address (a kernel's size is taken up to the
next entry), then repeats one stage of a replication of SCENARIO for ``--seconds``
(``replication``: all three stages as a worker runs them, port by port;
``comparison``: a replication of the scenario without and with the arrangement). ``perf
record -D 6000`` leaves out the first six seconds: the imports and the loading of
the kernels.

``--dump NAME`` also writes the machine code of the kernel whose name ends with NAME
to ``NAME.bin`` in the current folder (a second compiled signature to ``NAME.1.bin``, and
so on) and prints the ``objdump`` command that disassembles each at its address, to read
beside ``perf script -F ip,sym``'s hottest addresses. This is how
the cache misses of the engine's event loop were found (the speed round that targeted
3x). ``perf`` itself
crashed on some runs on the 2-core VM; running it again worked.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's package, whatever is installed

from versions import arrivals_end, parts

import sim
from sim import streams
from sim.engine import compiled as engine_numba
from sim.engine import inputs
from sim.indicators import order_stats
from sim.indicators import sums as indicators
from sim.indicators.layout import Layout
from sim.model import distributions
from sim.model.variants import arrangement_variants
from sim.plan.compile import compile_plan
from sim.replicate.runner import indicator_vector, indicator_vectors

SIM = parts("sim", ("expect",))  # where a port's arrivals end, in this version
KERNEL_MODULES = (inputs, engine_numba, indicators, order_stats, streams, distributions)
LONGEST = 1 << 16  # the size given to the last kernel, which has no next entry


def kernel_entries() -> list[tuple[int, str]]:
    """(entry address, module.function) of every compiled overload, sorted by address."""
    entries = set()
    for module in KERNEL_MODULES:
        for name, dispatcher in vars(module).items():
            if getattr(dispatcher, "__module__", None) != module.__name__:
                continue  # imported from another module: named there
            for compiled in getattr(dispatcher, "overloads", {}).values():
                address = compiled.library.get_pointer_to_function(compiled.fndesc.mangled_name)
                if address:
                    entries.add((address, f"{module.__name__}.{name}"))
    return sorted(entries)


def write_map(entries: list[tuple[int, str]]) -> Path:
    path = Path(f"/tmp/perf-{os.getpid()}.map")
    ends = [address for address, _ in entries[1:]] + [entries[-1][0] + LONGEST]
    lines = (
        f"{address:x} {min(end - address, LONGEST):x} {name}\n"
        for (address, name), end in zip(entries, ends, strict=True)
    )
    path.write_text("".join(lines))
    return path


def dump(entries: list[tuple[int, str]], suffix: str, folder: Path) -> None:
    """Write the machine code of every compiled overload of one kernel, and say how to
    disassemble each (a kernel compiled for two signatures has two)."""
    matches = [i for i, (_, name) in enumerate(entries) if name.endswith(suffix)]
    if not matches:
        raise SystemExit(f"perf_map.py: no compiled kernel ends with {suffix!r}")
    for n, i in enumerate(matches):
        address = entries[i][0]
        end = entries[i + 1][0] if i + 1 < len(entries) else address + LONGEST
        end = min(end, address + LONGEST, _mapping_end(address))  # never past the mapping
        out = folder / (f"{suffix}.bin" if n == 0 else f"{suffix}.{n}.bin")
        out.write_bytes(ctypes.string_at(address, end - address))
        print(f"objdump -D -b binary -m i386:x86-64 --adjust-vma={address:#x} {out}")


def _mapping_end(address: int) -> int:
    """The end of the memory mapping that holds ``address`` (/proc/self/maps): the kernel
    with the highest address in its mapping has no next entry to bound it, and reading
    past the mapping crashed the dump."""
    for line in Path("/proc/self/maps").read_text().splitlines():
        low, high = (int(bound, 16) for bound in line.split()[0].split("-"))
        if low <= address < high:
            return high
    return address + LONGEST


def stage_loop(scenario_path: str, stage: str) -> Callable[[], object]:
    """One replication's stage as a function to repeat (the others run once, to warm up)."""
    plan = compile_plan(sim.load_scenario(scenario_path, []))
    layout = Layout.of(plan)
    ends = [arrivals_end(SIM, plan, port) for port in plan.ports]
    drawn = [inputs.draw_port(end, port, 1, 0) for end, port in zip(ends, plan.ports, strict=True)]
    outcomes = [
        engine_numba.run_port(port, plan.calendars, i)
        for port, i in zip(plan.ports, drawn, strict=True)
    ]
    results = list(zip(drawn, outcomes, strict=True))
    indicators.compute(plan, layout, results)
    plans = [compile_plan(s) for s in arrangement_variants(sim.load_scenario(scenario_path, []))[0]]
    layouts = [Layout.of(p) for p in plans]
    indicator_vectors(plans, layouts, "numba", 1, 0)
    stages: dict[str, Callable[[], object]] = {
        "inputs": lambda: [
            inputs.draw_port(end, port, 1, 0) for end, port in zip(ends, plan.ports, strict=True)
        ],
        "engine": lambda: [
            engine_numba.run_port(port, plan.calendars, i)
            for port, i in zip(plan.ports, drawn, strict=True)
        ],
        "indicators": lambda: indicators.compute(plan, layout, results),
        "replication": lambda: indicator_vector(plan, layout, "numba", 1, 0),
        "comparison": lambda: indicator_vectors(plans, layouts, "numba", 1, 0),
    }
    return stages[stage]


def main() -> None:
    from sim.replicate.processes import keep_freed_memory

    keep_freed_memory()  # as a worker runs
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "stage", choices=("inputs", "engine", "indicators", "replication", "comparison")
    )
    parser.add_argument("--scenario", default="scenarios/lac-regional.yaml")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--dump", metavar="NAME", help="write this kernel's machine code")
    args = parser.parse_args()
    here = Path.cwd()
    os.chdir(ROOT)  # the scenario path is relative to the checkout
    repeat = stage_loop(args.scenario, args.stage)
    entries = kernel_entries()
    print(f"{len(entries)} kernels named in {write_map(entries)}", file=sys.stderr)
    if args.dump:
        dump(entries, args.dump, here)
    started = time.perf_counter()
    while time.perf_counter() - started < args.seconds:
        repeat()


if __name__ == "__main__":
    main()
