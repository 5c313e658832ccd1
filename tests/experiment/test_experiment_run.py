"""``mrasim experiment``: the numbers, their independence of workers and interruptions, the
store that makes a rerun resume, and the report of an experiment folder."""

from __future__ import annotations

import errno
import json
import multiprocessing
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from experiment_files import (
    DOCUMENTARY,
    ONE_OFFICE,
    TABLES,
    experiment,
    same_tables,
    task_files,
    write,
)

import sim
import sim.cli.commands
import sim.experiment.store
import sim.report.policy
from sim.experiment import ExperimentStopped, Progress, run_experiment
from sim.indicators.layout import HEADLINE
from sim.model.vocabulary import ALL
from sim.replicate.result import SUMMARY_COLUMNS
from sim.results.atomic import OutputError

TASKS = 18  # 6 points x 6 replications in tasks of 2


def last_log(folder: Path) -> dict[str, Any]:
    lines = (folder / "log.jsonl").read_text().splitlines()
    return json.loads(lines[-1])


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An uninterrupted run, in this process: the folder holding grid.yaml and out/."""
    folder = tmp_path_factory.mktemp("reference")
    path = write(folder / "grid.yaml", experiment())
    run_experiment(path, workers=1, out=folder / "out")
    return folder


def rerun(reference: Path, tmp_path: Path, **options: Any) -> Path:
    """The same experiment file in a new place; returns its results folder."""
    path = write(tmp_path / "grid.yaml", experiment())
    run_experiment(path, out=tmp_path / "out", **options)
    return tmp_path / "out"


def point_scenario(utilisation: float, servers: int, **more: Any) -> sim.Scenario:
    overrides = ["horizon_days=3", "warmup_days=1", f"arrangement.utilisation={utilisation}"]
    overrides += [f"{DOCUMENTARY}={servers}", *(f"{k}={v}" for k, v in more.items())]
    return sim.load_scenario(ONE_OFFICE, overrides)


def test_each_point_is_a_run_of_its_scenario_bit_for_bit(reference: Path) -> None:
    """Independent check: point p's rows equal `sim.run` of p's scenario with the same seed."""
    results = pd.read_parquet(reference / "out" / "results.parquet")
    kept = experiment()["indicators"]
    for index, utilisation, servers in [(0, 0.0, 8), (3, 0.5, 12), (4, 1.0, 8)]:
        summary = sim.run(
            point_scenario(utilisation, servers), replications=6, seed=11, workers=1
        ).table()
        expected = summary[summary.metric.isin(kept)].reset_index(drop=True)
        mine = results[results.point == index].reset_index(drop=True)
        assert len(mine) == len(expected) > 0
        for column in ("mean", "ci_low", "ci_high", "replications"):
            np.testing.assert_array_equal(mine[column].to_numpy(), expected[column].to_numpy())
        for column in SUMMARY_COLUMNS[:-4]:
            assert mine[column].tolist() == expected[column].tolist()


def test_results_have_the_point_its_factors_then_the_summary_columns(reference: Path) -> None:
    results = pd.read_csv(reference / "out" / "results.csv")
    factors = ["arrangement.utilisation", DOCUMENTARY]
    assert list(results.columns) == ["point", *factors, *SUMMARY_COLUMNS]
    assert sorted(results.point.unique()) == list(range(6))
    assert set(results.metric) == set(experiment()["indicators"])
    assert (results.groupby("point").replications.max() == 6).all()  # a row may be undefined
    assert (results.replications <= 6).all()  # in some replications (no such shipment)


def test_ema_workbench_shape(reference: Path) -> None:
    """experiments: a row per point (factors, scenario, policy, model); outcomes: the same rows,
    a column per result row, holding its mean."""
    experiments = pd.read_csv(reference / "out" / "experiments.csv")
    outcomes = pd.read_csv(reference / "out" / "outcomes.csv")
    results = pd.read_parquet(reference / "out" / "results.parquet")
    assert list(experiments.columns[-3:]) == ["scenario", "policy", "model"]
    assert experiments.scenario.tolist() == list(range(6))
    assert len(outcomes) == 6
    assert len(outcomes.columns) == len(results) // 6
    column = "all/all/all/all/clearance_h_mean"  # country/mode/port/group/metric
    row = results[(results.country == ALL) & (results["mode"] == ALL) & (results.group == ALL)]
    expected = row[row.metric == "clearance_h_mean"].sort_values("point")["mean"].to_numpy()
    np.testing.assert_array_equal(outcomes[column].to_numpy(), expected)


def test_two_workers_give_the_same_bytes(reference: Path, tmp_path: Path) -> None:
    out = rerun(reference, tmp_path, workers=2)
    assert same_tables(reference / "out", out) == []


def test_a_rerun_computes_only_the_missing_tasks(reference: Path, tmp_path: Path) -> None:
    """What an interruption leaves is a subset of the task files: remove some, run again."""
    out = tmp_path / "out"
    shutil.copytree(reference / "out", out)
    stored = sorted((out / "tasks").glob("*.parquet"))
    assert len(stored) == TASKS
    for path in stored[::3]:
        path.unlink()
    (out / "results.csv").unlink()
    kept = task_files(out)
    write(tmp_path / "grid.yaml", experiment())
    run_experiment(tmp_path / "grid.yaml", workers=2, out=out)
    log = last_log(out)
    assert (log["computed"], log["reused"]) == (TASKS - len(kept), len(kept))
    assert all(task_files(out)[name] == stamp for name, stamp in kept.items())
    assert same_tables(reference / "out", out) == []


def test_a_changed_file_is_refused_and_fresh_starts_over(
    reference: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    shutil.copytree(reference / "out", out)
    changed = write(tmp_path / "grid.yaml", experiment(seed=12))
    status = sim.cli.main(["experiment", str(changed), "--out", str(out), "-q"])
    error = capsys.readouterr().err
    assert status == 2
    assert error == (
        f"mrasim: --out: {out}: holds results of a different experiment file; "
        "run with --fresh to start over, or give another --out\n"
    )
    assert sim.cli.main(["experiment", str(changed), "--out", str(out), "-q", "--fresh"]) == 0
    assert (last_log(out)["computed"], last_log(out)["reused"]) == (TASKS, 0)
    assert len(task_files(out)) == TASKS  # the old tasks are gone, the new ones stored
    assert same_tables(reference / "out", out) != []  # another seed, other numbers


def test_a_changed_scenario_file_is_refused(
    reference: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = tmp_path / "office.yaml"
    scenario.write_text(ONE_OFFICE.read_text())
    path = write(tmp_path / "grid.yaml", experiment(scenario=str(scenario)))
    out = tmp_path / "out"
    run_experiment(path, workers=1, out=out)
    scenario.write_text(ONE_OFFICE.read_text() + "\n# edited\n")
    assert sim.cli.main(["experiment", str(path), "--out", str(out), "-q"]) == 2
    assert "holds results of a different scenario file" in capsys.readouterr().err


def test_a_folder_of_other_files_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "notes.txt").write_text("mine")
    path = write(tmp_path / "grid.yaml", experiment())
    assert sim.cli.main(["experiment", str(path), "--out", str(tmp_path / "out"), "-q"]) == 2
    assert "holds other files and no experiment manifest" in capsys.readouterr().err


def test_a_full_disk_stops_cleanly_and_the_rerun_completes(
    reference: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fifth task file cannot be written (ENOSPC, as write_atomic reports it): four tasks
    kept, one line, status 1."""
    real, calls = sim.experiment.store.write_atomic, []

    def full_disk(path: Path, write_file: Any, at_once: bool = False) -> None:
        calls.append(path)
        if len(calls) >= 5:
            raise OutputError(path, OSError(errno.ENOSPC, "No space left on device"))
        real(path, write_file, at_once)

    monkeypatch.setattr(sim.experiment.store, "write_atomic", full_disk)
    path = write(tmp_path / "grid.yaml", experiment())
    with pytest.raises(ExperimentStopped) as stopped:
        run_experiment(path, workers=2, out=tmp_path / "out")
    assert stopped.value.exit_status == 1
    assert str(stopped.value).endswith(
        "(No space left on device): 4 of 18 tasks kept; run the same command to resume"
    )
    assert len(task_files(tmp_path / "out")) == 4
    assert not list((tmp_path / "out" / "tasks").glob(".*"))  # no half-written file
    monkeypatch.setattr(sim.experiment.store, "write_atomic", real)
    run_experiment(path, workers=1, out=tmp_path / "out")
    assert last_log(tmp_path / "out")["computed"] == TASKS - 4
    assert same_tables(reference / "out", tmp_path / "out") == []


def test_a_killed_local_worker_is_named_and_the_rerun_completes(
    reference: Path, tmp_path: Path
) -> None:
    """SIGKILL to a pool worker after two tasks (as the out-of-memory killer would): the run
    stops with one line naming the point and replications it held; the rerun completes."""
    path = write(tmp_path / "grid.yaml", experiment())
    killed: list[int] = []

    def kill_a_worker(progress: Progress) -> None:
        if progress.tasks_done == 2 and not killed:
            killed.append(multiprocessing.active_children()[0].pid or 0)
            os.kill(killed[0], signal.SIGKILL)

    with pytest.raises(ExperimentStopped) as stopped:
        run_experiment(path, workers=2, out=tmp_path / "out", progress=kill_a_worker)
    assert killed, "the run ended before a worker could be killed"
    assert stopped.value.exit_status == 1
    kept = len(task_files(tmp_path / "out"))
    assert re.fullmatch(
        rf"a worker died while running point \d+, replications \d+-\d+ \(worker process "
        rf"{killed[0]} was killed \(SIGKILL\), most often by the kernel's out-of-memory killer "
        rf"\(see dmesg\)\): {kept} of {TASKS} tasks kept; run the same command to resume",
        str(stopped.value),
    )
    assert multiprocessing.active_children() == []  # the other worker is gone too
    run_experiment(path, workers=2, out=tmp_path / "out")
    assert last_log(tmp_path / "out")["computed"] == TASKS - kept
    assert same_tables(reference / "out", tmp_path / "out") == []


# --- the precision rule ------------------------------------------------------------------

PRECISE = {"precision": 0.03, "max": 40, "min": 4}


def test_precision_rule_adds_tasks_until_each_point_is_precise(tmp_path: Path) -> None:
    data = experiment(replications=PRECISE, replications_per_task=4)
    path = write(tmp_path / "precise.yaml", data)
    result = run_experiment(path, workers=2, out=tmp_path / "out")
    results = result.tables.results
    counts = results.groupby("point")["replications"].max()
    assert counts.min() >= 4 and counts.max() > 4  # some points needed more than one round
    for point, n in counts.items():
        assert n % 4 == 0 or n == 40
        assert result.stop_reasons[point] in (
            f"precision reached after {n} replications",
            "stopped at the cap of 40 replications",
        )
    # where the rule says reached, every headline total is that precise (checked on sim.run)
    levels = [(u, d) for u in (0.0, 0.5, 1.0) for d in (8, 12)]
    for point, n in counts.items():
        if not result.stop_reasons[point].startswith("precision reached"):
            continue
        summary = sim.run(
            point_scenario(*levels[point]), replications=int(n), seed=11, workers=1
        ).table()
        rows = summary[summary.metric.isin(HEADLINE) & (summary.group == ALL)]
        rows = rows[rows["mean"].abs() > 0]
        relative = (rows.ci_high - rows.ci_low) / 2 / rows["mean"].abs()
        assert (relative <= PRECISE["precision"]).all()
    # rerun after losing some tasks: the same rounds, the same numbers
    shutil.copytree(tmp_path / "out", tmp_path / "again")
    for task in sorted((tmp_path / "again" / "tasks").glob("*.parquet"))[::2]:
        task.unlink()
    run_experiment(path, workers=1, out=tmp_path / "again")
    assert same_tables(tmp_path / "out", tmp_path / "again") == []


def test_precision_point_equals_a_fixed_run_of_its_length(tmp_path: Path) -> None:
    """Rounds decided from earlier rounds only: a point's numbers are those of asking for its
    final number of replications at once."""
    data = experiment(
        replications=PRECISE,
        replications_per_task=4,
        factors={"arrangement.utilisation": [0.3]},
    )
    result = run_experiment(write(tmp_path / "one.yaml", data), workers=1, out=tmp_path / "out")
    n = int(result.tables.results.replications.max())
    fixed = run_experiment(
        write(tmp_path / "fixed.yaml", data | {"replications": n}), workers=1, out=tmp_path / "f"
    )
    a, b = result.tables.results, fixed.tables.results
    np.testing.assert_array_equal(a["mean"].to_numpy(), b["mean"].to_numpy())
    np.testing.assert_array_equal(a["ci_low"].to_numpy(), b["ci_low"].to_numpy())


# --- real signals to a real `mrasim experiment` ---------------------------------------------

SLOW = experiment(
    name="slow",
    set={"horizon_days": 20, "warmup_days": 0},
    factors={"arrangement.utilisation": [0.0, 0.25, 0.5, 0.75], DOCUMENTARY: [8, 12]},
    replications=40,
    replications_per_task=4,
)
SLOW_TASKS = 8 * 10


def start(path: Path, out: Path) -> subprocess.Popen[str]:
    """`mrasim experiment` with 2 workers in its own process group (as a shell would run it)."""
    command = [sys.executable, "-m", "sim.cli", "experiment", str(path), "--out", str(out)]
    return subprocess.Popen(
        [*command, "-w", "2", "-q"], start_new_session=True, stderr=subprocess.PIPE, text=True
    )


def wait_for_tasks(process: subprocess.Popen[str], out: Path, count: int) -> None:
    """Until `count` tasks are stored; the run must still be going (else the test proves
    nothing)."""
    deadline = time.monotonic() + 120
    while len(task_files(out)) < count if (out / "tasks").is_dir() else True:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        assert time.monotonic() < deadline
        time.sleep(0.005)


def group_alive(group: int) -> list[int]:
    """Processes of a process group that are not zombies (a zombie has finished)."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            alive.append(int(stat.parent.name))
    return alive


@pytest.fixture(scope="module")
def slow_reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("slow")
    run_experiment(write(folder / "slow.yaml", SLOW), workers=2, out=folder / "out")
    return folder / "out"


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_kill_9_of_the_process_group_then_rerun_gives_identical_tables(
    slow_reference: Path, tmp_path: Path
) -> None:
    path, out = write(tmp_path / "slow.yaml", SLOW), tmp_path / "out"
    process = start(path, out)
    wait_for_tasks(process, out, 6)
    os.killpg(process.pid, signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL
    kept = task_files(out)
    assert 6 <= len(kept) < SLOW_TASKS
    assert not (out / "results.csv").exists()
    rerun_status = subprocess.run(
        [sys.executable, "-m", "sim.cli", "experiment", str(path), "--out", str(out), "-q"],
        capture_output=True,
        text=True,
    )
    assert rerun_status.returncode == 0, rerun_status.stderr
    log = last_log(out)
    assert (log["computed"], log["reused"]) == (SLOW_TASKS - len(kept), len(kept))
    assert all(task_files(out)[name] == stamp for name, stamp in kept.items())
    assert same_tables(slow_reference, out) == []


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize(
    ("signum", "to_group", "status"),
    [(signal.SIGINT, True, 130), (signal.SIGTERM, False, 143)],
    ids=["ctrl-c to the group", "sigterm to the parent"],
)
def test_an_interrupt_stops_everything_and_keeps_the_finished_tasks(
    tmp_path: Path, signum: int, to_group: bool, status: int
) -> None:
    """Ctrl-C reaches the whole group; SIGTERM only the parent, which must stop its workers.

    The message comes once the workers are stopped: within 2 s of the signal, with only the
    parent left, which then exits with 130 (Ctrl-C) or 143 (SIGTERM).
    """
    path, out = write(tmp_path / "slow.yaml", SLOW), tmp_path / "out"
    process = start(path, out)
    wait_for_tasks(process, out, 4)
    sent = time.monotonic()
    (os.killpg if to_group else os.kill)(process.pid, signum)
    assert process.stderr is not None
    message = process.stderr.readline()
    assert time.monotonic() - sent < 2
    assert set(group_alive(process.pid)) <= {process.pid}  # the workers are gone
    assert process.wait(timeout=20) == status
    assert process.stderr.read() == ""
    assert group_alive(process.pid) == []
    kept = len(task_files(out))
    assert message == (
        f"mrasim: interrupted: {kept} of {SLOW_TASKS} tasks kept; run the same command to resume\n"
    )
    assert not (out / "results.csv").exists()
    assert last_log(out)["status"] == "interrupted"


# --- the report ---------------------------------------------------------------------------


def test_report_of_a_grid(reference: Path, tmp_path: Path) -> None:
    page_path = tmp_path / "grid.html"
    assert sim.cli.main(["report", str(reference / "out"), "-o", str(page_path), "-q"]) == 0
    page = page_path.read_text()
    assert "<h2>Key results</h2>" in page
    assert page.count('<img src="data:image/png;base64,') == 2  # response lines, main effects
    assert 'src="http' not in page and "<script" not in page  # self-contained
    assert "Results by design point" in page and "About this experiment" in page
    assert "arrangement.utilisation 0 → 1" in page  # paired main effect, first to last level


def test_report_of_a_one_factor_sweep_and_of_a_sobol_design(tmp_path: Path) -> None:
    sweep = experiment(factors={"arrangement.utilisation": [0.0, 0.5, 1.0]}, replications=3)
    run_experiment(write(tmp_path / "sweep.yaml", sweep), workers=1, out=tmp_path / "sweep")
    page = (sim.write_report(tmp_path / "sweep")).read_text()
    assert page.count('<img src="data:image/png;base64,') == 1  # the sweep's lines and bands
    assert "clearance time, mean (h)</b>, eligible" in page  # the arrangement acts on these
    sobol = experiment(
        design={"type": "sobol", "points": 8},
        factors={"arrangement.utilisation": [0, 1], DOCUMENTARY: [6, 12]},
        set={"horizon_days": 1, "warmup_days": 0},
        replications=2,
        replications_per_task=None,
    )
    result = run_experiment(write(tmp_path / "sobol.yaml", sobol), workers=1, out=tmp_path / "s")
    assert len(result.points) == 8 * (2 + 2)
    sensitivity = pd.read_csv(tmp_path / "s" / "sensitivity.csv")
    assert {"factor", "s1", "s1_ci_low", "s1_ci_high", "st", "st_ci_low", "st_ci_high"} <= set(
        sensitivity.columns
    )
    page = sim.write_report(tmp_path / "s").read_text()
    assert page.count('<img src="data:image/png;base64,') == 2  # main effects, Sobol' bars
    assert "Sobol&#x27; sensitivity indices" in page or "Sobol' sensitivity indices" in page


def test_tables_are_written_whole(reference: Path) -> None:
    out = reference / "out"
    assert all((out / name).is_file() for name in (*TABLES, "results.parquet", "manifest.json"))
    assert not list(out.glob(".*.tmp")) and not list((out / "tasks").glob(".*"))
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "experiment"
    assert set(manifest["versions"]) == {"mrasim", "numpy", "numba", "python"}
    assert len(manifest["design"]["points"]) == 6 and manifest["seed"] == 11
