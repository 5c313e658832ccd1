"""One writer per output folder, with real processes: a second run into a folder being
written is refused naming the first one's PID (a second experiment waits, then finds every
task stored); what a killed run left is removed by the next; a run that is refused or
interrupted leaves no folder it made."""

from __future__ import annotations

import contextlib
import json
import os
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from experiment_files import experiment, write
from helpers import ONE_OFFICE

import sim.cli
from sim.results.atomic import LOCK_FILE

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="POSIX signals")

MRASIM = [sys.executable, "-m", "sim.cli"]
PORT = "countries.PER.ports.callao"
BUSY = [
    "--set",
    f"{PORT}.arrivals.per_day=8000",
    "--set",
    f"{PORT}.stations.documentary.servers=300",
    "--set",
    f"{PORT}.stations.physical.servers=600",
]
"""About 250,000 shipments per replication (a few tenths of a second each)."""


def start(args: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*MRASIM, *args],
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(condition: object, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def holding(folder: Path, process: subprocess.Popen[str]) -> bool:
    """Whether ``process`` holds the folder's lock (its PID written in it)."""
    assert process.poll() is None, process.communicate()
    try:
        return (folder / LOCK_FILE).read_text().strip() == str(process.pid)
    except OSError:
        return False


@contextlib.contextmanager
def paused(process: subprocess.Popen[str]) -> Iterator[None]:
    """The process stopped (SIGSTOP) while it holds its folder, for as long as the block
    runs: whatever another process does meanwhile finds the folder taken."""
    os.kill(process.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(process.pid, signal.SIGCONT)


def first_line(process: subprocess.Popen[str], seconds: float = 60.0) -> str:
    """The first line the process writes on stderr (it goes on running)."""
    assert process.stderr is not None
    ready, _, _ = select.select([process.stderr], [], [], seconds)
    assert ready, "no line"
    return process.stderr.readline()


@pytest.mark.slow
def test_a_second_run_into_a_folder_being_written_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = start(["compare", str(ONE_OFFICE), "-n", "2", "-w", "1", "--out", str(out), *BUSY])
    wait_for(lambda: holding(out, first))
    with paused(first):
        second = start(["compare", str(ONE_OFFICE), "-n", "2", "-w", "1", "--out", str(out)])
        _, err = second.communicate(timeout=60)
    assert second.returncode == 2
    assert err == (
        f"mrasim: --out: {out}: another mrasim (PID {first.pid}) is writing into it; wait for "
        "it to finish, or choose another folder\n"
    )
    assert first.wait(timeout=120) == 0, first.communicate()
    assert json.loads((out / "run.json").read_text())["replications"] == 2  # the first's
    assert not (out / LOCK_FILE).exists()


@pytest.mark.slow
def test_a_second_experiment_waits_and_computes_no_task_twice(tmp_path: Path) -> None:
    path = write(tmp_path / "e.yaml", experiment())  # 6 points x 6 replications, 18 tasks
    out = tmp_path / "out"
    first = start(["experiment", str(path), "--out", str(out), "-w", "1"])
    wait_for(lambda: holding(out, first))
    with paused(first):
        second = start(["experiment", str(path), "--out", str(out), "-w", "1"])
        waiting = first_line(second)
    assert waiting.startswith(f"mrasim: waiting for another mrasim (PID {first.pid}), which is ")
    out1, _ = first.communicate(timeout=120)
    out2, _ = second.communicate(timeout=120)
    assert first.returncode == second.returncode == 0
    assert "18 tasks: 18 computed, 0 found stored" in out1
    assert "18 tasks: 0 computed, 18 found stored" in out2
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert [entry["computed"] for entry in log] == [18, 0]


@pytest.mark.slow
def test_what_a_killed_run_leaves_is_removed_by_the_next(tmp_path: Path) -> None:
    """SIGKILL while records stream to their temporary file: the next run removes it."""
    out = tmp_path / "out"
    run = ["run", str(ONE_OFFICE), "-n", "40", "-w", "1", "--records", "--out", str(out)]
    killed = start([*run, *BUSY])

    def temporary() -> list[Path]:
        assert killed.poll() is None, killed.communicate()
        return [p for p in out.glob(".records.parquet.*") if p.stat().st_size > 0]

    wait_for(temporary)
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait()
    left = [p.name for p in out.iterdir() if p.name != LOCK_FILE]
    assert len(left) == 1 and re.fullmatch(r"\.records\.parquet\.\w{8}\.mrasim-tmp", left[0])
    nxt = subprocess.run(
        [*MRASIM, "run", str(ONE_OFFICE), "-n", "2", "-w", "1", "--out", str(out), "-q"],
        capture_output=True,
        text=True,
    )
    assert nxt.returncode == 0, nxt.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "answer.xlsx",
        "run.json",
        "summary.csv",
        "summary.parquet",
    ]


def test_a_run_refused_for_its_size_makes_no_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "deep" / "out"
    huge = f"{PORT}.arrivals.per_day=1e9"
    status = sim.cli.main(["run", str(ONE_OFFICE), "-n", "2", "--set", huge, "--out", str(out)])
    assert status == 2 and "one worker needs" in capsys.readouterr().err
    assert not (tmp_path / "deep").exists()


@pytest.mark.slow
def test_an_interrupted_run_makes_no_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run = start(["run", str(ONE_OFFICE), "-n", "40", "-w", "1", "--out", str(out), *BUSY])
    wait_for(lambda: holding(out, run))
    time.sleep(0.5)  # into the replications
    os.killpg(run.pid, signal.SIGINT)
    _, err = run.communicate(timeout=30)
    assert run.returncode == 130 and err.endswith("; nothing written\n"), err
    assert not out.exists()
