"""Calibration speed: one port, 60 days of records, no station start times.

    python benchmarks/bench_calibrate.py            # 60 days (the issue's case)
    python benchmarks/bench_calibrate.py --days 30  # shorter, for a smoke check

Generates the records of calibration/sample-port.yaml over 60 days (one port, two
checks in office hours, a broker's calendar; about 10,800 declarations) and drops
every station start time, so that the checks' servers and service times must come
from the queue reconstruction and its parametric bootstrap. Then times, side by
side in one run, the whole `mrasim calibrate` computation (reading, every
estimate with its interval, the simulated fit check; not the HTML report) with one
worker and with two, and each step of the two-worker run. Target (issue #8): at
most 2 minutes on 2 cores. Nothing here is a test: numbers vary with the machine
and its load.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's package, whatever is installed

import sim
from sim.calibrate import fit, from_records
from sim.calibrate.from_records import CHECK_PERIODS, calibrate_records

SCENARIO = ROOT / "calibration" / "sample-port.yaml"
TEMPLATE = ROOT / "calibration" / "sample-template.yaml"
TARGET_S = 120.0


def records_file(days: int, folder: Path) -> tuple[Path, int]:
    scenario = sim.load_scenario(SCENARIO, overrides=[f"horizon_days={days}"])
    frame = sim.run(scenario, replications=1, workers=1, keep_records=True).records()
    frame = frame.drop(columns=[c for c in frame.columns if c.endswith("_start")])
    path = folder / "records.parquet"
    frame.to_parquet(path)
    return path, len(frame)


class Stopwatch:
    """Time spent in a few functions, by wrapping them for the length of a run."""

    def __init__(self, targets: dict[str, tuple[object, str]]) -> None:
        self.targets, self.spent = targets, dict.fromkeys(targets, 0.0)

    def __enter__(self) -> Stopwatch:
        self.saved = {}
        for label, (owner, name) in self.targets.items():
            original = getattr(owner, name)
            self.saved[label] = original

            def timed(*args, _original=original, _label=label, **kwargs):
                started = time.perf_counter()
                try:
                    return _original(*args, **kwargs)
                finally:
                    self.spent[_label] += time.perf_counter() - started

            setattr(owner, name, timed)
        return self

    def __exit__(self, *exc: object) -> None:
        for label, (owner, name) in self.targets.items():
            setattr(owner, name, self.saved[label])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path, rows = records_file(args.days, Path(folder))
        print(f"records: {rows:,} declarations over {args.days} days, no station start times")
        calibrate_records(path, TEMPLATE, workers=1)  # compile and load numba code once
        wall, fields = {}, {}
        for workers in (1, 2):
            steps = {
                "stations (reconstruction + bootstrap)": (fit, "_simulated_station"),
                f"fit check ({CHECK_PERIODS} simulated periods, each redrawn)": (
                    from_records,
                    "check",
                ),
            }
            with Stopwatch(steps) as watch:
                started = time.perf_counter()
                result = calibrate_records(path, TEMPLATE, workers=workers)
                wall[workers] = time.perf_counter() - started
            print(f"\n{workers} worker(s): {wall[workers]:.1f} s wall, verdict: {result.verdict}")
            for label, spent in watch.spent.items():
                print(f"  {label}: {spent:.1f} s")
            fields[workers] = [(f.path, f.value, f.interval) for f in result.calibration.fields]
            fitted = {f.path.split("callao.")[-1]: f for f in result.calibration.fields}
            for name in ("stations.documentary.servers", "stations.physical.servers"):
                field = fitted.get(name)
                if field is None:  # short records fit only what they support
                    print(f"  {name}: not fitted from {args.days} days")
                else:
                    print(f"  {name} = {field.value} {list(field.interval)}")
        print(f"\nratio 1 worker / 2 workers: {wall[1] / wall[2]:.2f}")
        same = "yes" if fields[1] == fields[2] else "NO"
        print(f"identical fitted values and intervals with 1 and 2 workers: {same}")
        verdict = "meets" if wall[2] <= TARGET_S else "MISSES"
        print(
            f"2 workers: {wall[2]:.1f} s for {args.days} days; {verdict} the {TARGET_S:.0f} s "
            "target"
        )


if __name__ == "__main__":
    main()
