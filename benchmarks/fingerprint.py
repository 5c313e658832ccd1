"""The SHA-256 of what mrasim prints and writes for each bundled scenario.

Run before and after a change that must not move a number (a refactor, a speed-up):
the two listings must be identical. What is hashed: the tables `run` and `compare`
write with ``--out`` (CSV), every shipment's record of one replication
(``run --records``), the terminal text of both commands with the last line (the
wall time) removed, and what ``validate`` prints (less the memory free now). Usage::

    python benchmarks/fingerprint.py [-n REPLICATIONS] [SCENARIO ...]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

BUNDLED = ("one-office", "reference-office", "lac-regional")
ROOT = Path(__file__).resolve().parent.parent


def _mrasim(*args: str) -> str:
    """What ``mrasim ARGS`` prints, run with this checkout's package, whatever is installed."""
    done = subprocess.run(
        [sys.executable, "-m", "sim.cli", *args],
        capture_output=True,
        text=True,
        check=True,
        env=os.environ | {"PYTHONPATH": str(ROOT)},
    )
    return done.stdout


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def _without_timing(text: str) -> bytes:
    """The terminal text minus its last line, which says how long the run took."""
    lines = text.rstrip("\n").splitlines()
    return "\n".join(lines[:-1]).encode()


def _without_memory(text: str) -> bytes:
    """What ``validate`` prints, minus the memory this machine has free at the moment."""
    return "\n".join(line.split("; ")[0] for line in text.splitlines()).encode()


def fingerprint(scenario: str, replications: int, folder: Path) -> dict[str, str]:
    n = str(replications)
    run_dir, compare_dir, records_dir = (folder / f"{kind}-{scenario}" for kind in "rcx")
    found = {
        # every row of the long table (what --full printed before `run` got its short default)
        "run text": _digest(_without_timing(_mrasim("run", scenario, "-n", n, "--long"))),
        "compare text": _digest(_without_timing(_mrasim("compare", scenario, "-n", n))),
        "validate text": _digest(_without_memory(_mrasim("validate", scenario))),
    }
    _mrasim("run", scenario, "-n", n, "-q", "--out", str(run_dir))
    _mrasim("compare", scenario, "-n", n, "-q", "--out", str(compare_dir))
    found["summary.csv"] = _digest((run_dir / "summary.csv").read_bytes())
    found["comparison.csv"] = _digest((compare_dir / "comparison.csv").read_bytes())
    if scenario != "lac-regional":  # the regional records are large; the small ones suffice
        import pandas as pd

        _mrasim("run", scenario, "-n", "1", "-q", "--records", "--out", str(records_dir))
        records = pd.read_parquet(records_dir / "records.parquet")
        found["records"] = _digest(records.to_csv(index=False).encode())
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*", default=list(BUNDLED))
    parser.add_argument("-n", "--replications", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for scenario in args.scenarios:
            for what, digest in fingerprint(scenario, args.replications, Path(folder)).items():
                print(f"{scenario:18} {what:16} {digest}")


if __name__ == "__main__":
    main()
