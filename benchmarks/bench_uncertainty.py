"""How long ``mrasim compare --uncertainty 64`` of the bundled scenario takes, how much of
its results' variance is left to simulation noise, and that a killed study resumes.

    python benchmarks/bench_uncertainty.py              # 64 draws, -n 2, 2 workers
    python benchmarks/bench_uncertainty.py -n 4         # more replications per draw
    python benchmarks/bench_uncertainty.py --kill 60    # SIGKILL after 60 s, then resume

Each time is the wall time of one ``mrasim`` command as a user runs it, in a fresh process
of this checkout's package (numba's cache warmed first by a one-day comparison, so no
time here includes compiling), into a fresh ``--out`` folder. The study is the bundled
regional scenario's (``lac-regional``: its declared factors and the intervals of its
calibration blocks), 64 draws of a Latin hypercube, each a paired comparison of ``-n``
replications on common random numbers, plus the scenario at its own values.

The noise share is ``1 - input_share`` of the headline effects (the partner-AEO change
in clearance time and the green share, by country and for the region; ``run.json``'s
``uncertainty.noise_share``): its median and its largest. The target (issue 27): at most
3 minutes on 2 cores, with noise a small share. With ``--kill S`` the command is killed
(SIGKILL to its process group) after S seconds and run again: the rerun must find every
task the first one finished, and compute only the rest. Nothing here is a test: the
times vary with the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
MRASIM = Path(sys.executable).parent / "mrasim"
FOOTER = re.compile(r"(\d+) tasks: (\d+) computed, (\d+) found stored")


def command(out: Path, draws: int, replications: int, workers: int) -> list[str]:
    return [
        str(MRASIM),
        "compare",
        "--uncertainty",
        str(draws),
        "-n",
        str(replications),
        "--workers",
        str(workers),
        "--out",
        str(out),
        "--force",
    ]


def timed(argv: list[str], kill_after: float | None = None) -> tuple[float, float, str, int]:
    """Wall time, CPU seconds (the command and its workers), stdout and exit status of one
    command (killed after ``kill_after`` s)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(
        argv,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, _ = process.communicate(timeout=kill_after)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, _ = process.communicate()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall, cpu, out, process.returncode


def noisiest(table: pd.DataFrame, count: int = 5) -> pd.DataFrame:
    """The partner-AEO change in clearance time by country and for the region, noisiest
    first: its plausible range and the share of its variance left to noise."""
    rows = table[
        (table["kind"] == "relative")
        & (table["group"] == "eligible")
        & (table["metric"] == "clearance_h_mean")
        & (table["mode"] == "all")
        & (table["port"] == "all")
        & table["station"].isna()
    ].copy()
    rows["noise_share"] = 1 - rows["input_share"]
    columns = ["country", "central", "plausible_low", "plausible_high", "noise_share"]
    return rows.sort_values("noise_share", ascending=False)[columns].head(count)


def warm_up() -> None:
    """Compile (or load) the engine once, so that no timed command includes it."""
    subprocess.run(
        [str(MRASIM), "compare", "one-office", "-n", "1", "--set", "horizon_days=1"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=64)
    parser.add_argument("-n", "--replications", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--kill", type=float, default=None, metavar="S")
    args = parser.parse_args()
    warm_up()
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "study"
        argv = command(out, args.draws, args.replications, args.workers)
        if args.kill is not None:
            seconds, _, _, status = timed(argv, args.kill)
            stored = len(list((out / "draws").glob("*/tasks/*.parquet")))
            print(f"killed after {seconds:.1f} s (status {status}); {stored} tasks stored")
        seconds, cpu, text, status = timed(argv)
        if status != 0:
            sys.exit(f"mrasim exited with {status}")
        found = FOOTER.search(text)
        meta = json.loads((out / "run.json").read_text())["uncertainty"]
        table = pd.read_csv(out / "uncertainty.csv")
    noise = meta.get("noise_share", {})
    print(
        f"mrasim compare --uncertainty {args.draws} -n {args.replications} "
        f"--workers {args.workers} (lac-regional, {len(meta['inputs'])} inputs): "
        f"{seconds:.1f} s wall, {cpu:.1f} CPU s (load average before: {load:.1f})"
    )
    if found:
        print(f"tasks: {found[1]}, computed {found[2]}, found stored {found[3]}")
    print(
        f"share of variance left to noise, headline effects: median {noise.get('median', 0):.1%}, "
        f"largest {noise.get('largest', 0):.1%}"
    )
    print("partner-AEO change in clearance time (%), noisiest first:")
    print(noisiest(table).to_string(index=False, float_format=lambda v: f"{v:.3g}"))


if __name__ == "__main__":
    main()
