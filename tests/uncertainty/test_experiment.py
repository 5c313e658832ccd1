"""An experiment over the uncertain inputs: every point's plausible range, resumable.

The 3 x 2 grid of tests/experiment_files.py (utilisation x documentary servers at one
office, 3 days) with two uncertain inputs set into its scenario: the documentary service
time (a scale) and the utilisation (a range of [0.1, 0.9], which the grid sweeps from 0 to 1:
the design's values are its own, and only the service time is drawn).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from experiment_files import experiment, same_tables, write

from sim.errors import InputError
from sim.experiment.design import design_points
from sim.experiment.spec import load_experiment
from sim.uncertainty.experiment import PLAUSIBLE, ExperimentRanges, experiment_uncertain

DRAWS = 8
SERVICE = "countries.PER.ports.callao.stations.documentary.service_h.mean"
INPUTS = {
    "documentary service": {
        "path": SERVICE,
        "scale": [0.7, 1.4],
        "reason": "one office's service times, not measured",
        "mark": "assumption",
    },
    "utilisation": {
        "path": "arrangement.utilisation",
        "range": [0.1, 0.9],
        "reason": "no utilisation published",
        "mark": "assumption",
    },
}


def uncertain_grid(**fields: Any) -> dict[str, Any]:
    data = experiment(**({"uncertainty": DRAWS} | fields))
    data["set"] = {**data["set"], "uncertainty": INPUTS}
    return data


def run(folder: Path, **options: Any) -> Path:
    path = write(folder / "grid.yaml", uncertain_grid())
    experiment_uncertain(path, out=folder / "out", **options)
    return folder / "out"


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run(tmp_path_factory.mktemp("reference"), workers=1)


def test_every_point_has_its_plausible_range(reference: Path) -> None:
    results = pd.read_csv(reference / "results.csv")
    clearance = results[
        (results.metric == "clearance_h_mean")
        & (results.group == "all")
        & (results.country == "all")
        & (results["mode"] == "all")
    ]
    assert sorted(clearance.point) == list(range(6))
    assert clearance[list(PLAUSIBLE)].notna().all().all()
    assert (clearance.plausible_low < clearance.plausible_high).all()
    # slower and faster service move clearance: the inputs make some of its spread
    assert (clearance.input_share > 0).all()


def test_the_design_sets_its_own_fields(tmp_path: Path) -> None:
    """The grid sweeps utilisation beyond the input's range: not refused, and not drawn."""
    path = write(tmp_path / "grid.yaml", uncertain_grid())
    found = load_experiment(path)
    ranges = ExperimentRanges()
    ranges.plan(found, design_points(found))
    assert [study.names for study in ranges.studies] == [["documentary service"]] * 6
    units = [study.unit.tolist() for study in ranges.studies]
    assert all(unit == units[0] for unit in units)  # the same draws at every point


def test_same_numbers_on_one_or_two_workers(reference: Path, tmp_path: Path) -> None:
    out = run(tmp_path, workers=2)
    assert same_tables(reference, out, ("results.csv", "main_effects.csv")) == []


def test_a_rerun_computes_only_the_missing_draws(reference: Path, tmp_path: Path) -> None:
    out = run(tmp_path, workers=2)
    tasks = sorted(out.glob("draws/*/tasks/*.parquet"))
    lost = tasks[::3]  # as if killed before these were written
    for task in lost:
        task.unlink()
    (out / "results.csv").unlink()
    run(tmp_path, workers=2)
    logs = [json.loads(p.read_text().splitlines()[-1]) for p in out.glob("draws/*/log.jsonl")]
    assert sum(log["computed"] for log in logs) == len(lost)
    assert sum(log["reused"] for log in logs) == len(tasks) - len(lost)
    assert same_tables(reference, out, ("results.csv",)) == []


def test_a_precision_rule_is_refused_in_one_line(tmp_path: Path) -> None:
    path = write(
        tmp_path / "grid.yaml", uncertain_grid(replications={"precision": 0.05, "max": 20})
    )
    with pytest.raises(InputError) as error:
        load_experiment(path)
    assert error.value.field == "uncertainty"
    assert "fixed number of replications" in str(error.value)


@pytest.mark.slow
def test_the_command_killed_while_drawing_resumes_with_the_same_numbers(
    reference: Path, tmp_path: Path
) -> None:
    path = write(tmp_path / "grid.yaml", uncertain_grid(uncertainty=None))
    out = tmp_path / "out"
    command = [sys.executable, "-m", "sim.cli", "experiment", str(path), "--out", str(out)]
    command += ["--uncertainty", str(DRAWS), "-w", "2", "-q"]
    process = subprocess.Popen(command, start_new_session=True, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while len(list(out.glob("draws/*/tasks/*.parquet"))) < 3:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        assert time.monotonic() < deadline
        time.sleep(0.005)
    os.killpg(process.pid, signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL
    assert not (out / "results.csv").exists()
    again = subprocess.run(command, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert same_tables(reference, out, ("results.csv",)) == []


def test_the_command_says_what_its_intervals_count(reference: Path, tmp_path: Path) -> None:
    path = write(tmp_path / "grid.yaml", uncertain_grid(uncertainty=None))
    command = [sys.executable, "-m", "sim.cli", "experiment", str(path), "-w", "2"]
    plain = subprocess.run([*command, "--out", str(tmp_path / "a")], capture_output=True, text=True)
    drawn = subprocess.run(
        [*command, "--out", str(tmp_path / "b"), "--uncertainty", str(DRAWS)],
        capture_output=True,
        text=True,
    )
    assert plain.returncode == drawn.returncode == 0, plain.stderr + drawn.stderr
    assert "uncertain inputs are not drawn" in " ".join(plain.stdout.split())
    assert "plausible range over 8 draws" in " ".join(drawn.stdout.split())
    assert "plausible_low" not in pd.read_csv(tmp_path / "a" / "results.csv").columns
    assert same_tables(reference, tmp_path / "b", ("results.csv",)) == []
