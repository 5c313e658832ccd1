"""An experiment's whole work is sized before anything is made: real ``mrasim experiment``
processes given counts no machine can hold, refused at once in one line, small, with no
results folder; and tasks planned lazily, so that what is held does not grow with them."""

from __future__ import annotations

import sys
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from experiment_files import DOCUMENTARY, experiment, write
from helpers import run_measured

import sim.cli
from sim.experiment.spec import load_experiment
from sim.experiment.tasks import TaskPlanner
from sim.replicate.sizing import MAX_REPLICATIONS

MRASIM = [sys.executable, "-m", "sim.cli"]
SECONDS = 30.0
"""A refusal takes the command's start and the reading of the files (2-5 s). Before sizing,
10^12 replications grew to 24 GB in 91 s; a grid of 100,000 levels spent 44 s."""
PEAK_BYTES = 600 * 2**20


def refused(tmp_path: Path, **fields: Any) -> str:
    """The one line of a refused experiment, a real process quick and small; no folder."""
    path = write(tmp_path / "big.yaml", experiment(**fields))
    out = tmp_path / "out"
    done = run_measured([*MRASIM, "experiment", str(path), "--out", str(out)], SECONDS)
    assert done.status == 2, done.err
    assert done.err.count("\n") == 1 and "Traceback" not in done.err, done.err
    assert done.peak_bytes < PEAK_BYTES, done.peak_bytes
    assert not out.exists()
    return done.err.strip()


def refused_here(tmp_path: Path, capsys: pytest.CaptureFixture[str], **fields: Any) -> str:
    """The same, in this process (the sizing is the same code; a process costs 2-3 s)."""
    path = write(tmp_path / "big.yaml", experiment(**fields))
    out = tmp_path / "out"
    assert sim.cli.main(["experiment", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert not out.exists()
    return err.strip()


@pytest.mark.slow
def test_a_trillion_replications_are_refused_at_once(tmp_path: Path) -> None:
    line = refused(tmp_path, replications=10**12)
    assert line.endswith(
        f"big.yaml: replications: 1,000,000,000,000 replications of each point is more than "
        f"the {MAX_REPLICATIONS:,} a run may ask for (an interval over that many is within "
        "0.01% of a standard deviation); ask for fewer"
    )


@pytest.mark.parametrize(("design", "points"), [("lhs", 10**12), ("sobol", 2**40)])
def test_a_design_of_a_trillion_points_is_refused_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], design: str, points: int
) -> None:
    ranges = {"arrangement.utilisation": [0.0, 1.0]}
    line = refused_here(
        tmp_path,
        capsys,
        design={"type": design, "points": points},
        factors=ranges,
        replications=2,
        replications_per_task=None,
    )
    assert ": design.points: " in line and "would take at least" in line
    assert line.endswith("; ask for fewer replications or points, or a shorter horizon_days")


@pytest.mark.slow
def test_a_grid_of_100000_levels_is_judged_at_once(tmp_path: Path) -> None:
    """A repeated level among 100,000 is found in one pass (it took 44 s, pair by pair)."""
    levels = [i / 100_000 for i in range(100_000)] + [0.5]
    line = refused(tmp_path, factors={"arrangement.utilisation": levels})
    assert line.endswith("factors.arrangement.utilisation: level 0.5 is given twice")


def test_a_grid_whose_tables_cannot_fit_is_refused_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """10^8 points: the tables alone would take terabytes."""
    levels = [i / 10_000 for i in range(10_000)]
    factors = {"arrangement.utilisation": levels, DOCUMENTARY: list(range(1, 10_001))}
    line = refused_here(tmp_path, capsys, factors=factors, replications=1)
    assert "big.yaml: factors: 100,000,000 points x 1 replications x " in line
    assert line.endswith("; ask for fewer points, replications or indicators")


def test_tasks_are_planned_without_listing_them(tmp_path: Path) -> None:
    """10^9 replications of each of 6 points, in tasks of 2: the planner holds a few numbers
    per point, and hands out tasks one at a time."""
    path = write(tmp_path / "e.yaml", experiment(replications=10**9))
    spec = load_experiment(path)
    tracemalloc.start()
    planner = TaskPlanner(spec, 6)
    tasks = planner.initial()
    first = [next(tasks) for _ in range(1000)]
    held, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert held < 1_000_000
    assert planner.planned == 6 * 10**9 // 2 and planner.planned_replications == 6 * 10**9
    assert [(t.point, t.first, t.last) for t in first[:2]] == [(0, 0, 2), (0, 2, 4)]
