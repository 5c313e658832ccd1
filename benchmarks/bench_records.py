"""Reading a large export: a 2-million-row CSV profiled (``records inspect``) and read for
calibration (through its mapping, checked against the template), time and peak memory.

    python benchmarks/bench_records.py [--rows 2000000] [--keep FILE]

The file is the shipped Spanish export (calibration/aduana-callao.csv: Windows-1252, ';',
day-first dates, value maps, a derived trader group) repeated with fresh declaration
numbers, so every row goes through the same mapping as the example. Each step runs in a
process of its own, whose peak resident memory is reported (target: under 60 s and 2 GB on
2 cores).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np
import pandas as pd

EXPORT = ROOT / "calibration" / "aduana-callao.csv"
MAPPING = ROOT / "calibration" / "aduana-callao.mapping.yaml"
TEMPLATE = ROOT / "calibration" / "sample-template.yaml"

INSPECT = """
from pathlib import Path
from sim.records.inspect import inspect_file
from sim.records.mapping import EMPTY
from sim.model.load import load_scenario
inspection = inspect_file(Path({path!r}), EMPTY, load_scenario({template!r}))
print(len(inspection.columns), "columns profiled")
"""
READ = """
from pathlib import Path
from sim.records import load_mapping, read_records
from sim.model.load import load_scenario
records = read_records(Path({path!r}), load_scenario({template!r}), load_mapping({mapping!r}))
print(f"{{records.rows_used:,}} rows usable of {{records.rows_read:,}}")
"""


def generate(rows: int, path: Path) -> None:
    base = pd.read_csv(EXPORT, sep=";", encoding="cp1252", dtype=str, keep_default_na=False)
    base = base[base.iloc[:, 0] != ""]
    copies = -(-rows // len(base))
    frame = pd.concat([base] * copies, ignore_index=True).iloc[:rows]
    ids = np.char.add("118-2024-10-", np.char.zfill(np.arange(rows).astype(str), 9))
    frame[frame.columns[0]] = ids
    frame.to_csv(path, sep=";", index=False, encoding="cp1252")


def step(name: str, code: str) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{name} failed:\n{done.stderr}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    peak_mb = max(peak, before) / 1024  # kilobytes on Linux
    print(f"{name:<28} {elapsed:6.1f} s  peak {peak_mb:7,.0f} MB  ({done.stdout.strip()})")
    return elapsed, peak_mb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--keep", type=Path, default=None, help="keep the generated CSV here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = args.keep or Path(folder) / "export.csv"
        started = time.perf_counter()
        generate(args.rows, path)
        size = path.stat().st_size / 1e6
        print(
            f"{args.rows:,} rows, {size:,.0f} MB written in {time.perf_counter() - started:.0f} s"
        )
        values = {"path": str(path), "template": str(TEMPLATE), "mapping": str(MAPPING)}
        step("inspect (profile, draft)", INSPECT.format(**values))
        step("read for calibration", READ.format(**values))


if __name__ == "__main__":
    main()
