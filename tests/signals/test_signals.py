"""Real signals to a real ``mrasim run``: Ctrl-C, SIGTERM, SIGKILL, a worker lost mid-run.

Each test starts ``python -m sim.cli run`` in its own process group (as a shell
starts a foreground job), waits until its workers are computing, signals it, and
checks what a user would see: the exit status, one line on stderr, no output
file, and no process of the group left (read from /proc, without psutil).
One-office with 8,000 shipments a day makes each replication take a few tenths
of a second, so 40 of them are still running when the signal comes.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim.results.atomic import LOCK_FILE

ROOT = Path(__file__).resolve().parents[2]
PORT = "countries.PER.ports.callao"
BUSY = [
    "--set",
    f"{PORT}.arrivals.per_day=8000",
    "--set",
    f"{PORT}.stations.documentary.servers=300",
    "--set",
    f"{PORT}.stations.physical.servers=600",
]
"""About 250,000 shipments per replication, with stations that keep up."""

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes of a process group."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        state, _, group = stat.rsplit(")", 1)[1].split()[:3]
        if int(group) == pgid and state != "Z":
            members.append(int(entry.name))
    return members


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def start_run(out: Path, workers: int) -> tuple[subprocess.Popen[str], list[int]]:
    """``mrasim run`` in a new process group, returned once its workers exist and compute."""
    command = [sys.executable, "-m", "sim.cli", "run", "scenarios/one-office.yaml", "-n", "40"]
    command += ["--workers", str(workers), "--out", str(out), *BUSY]
    run = subprocess.Popen(
        command,
        cwd=ROOT,
        start_new_session=True,  # its own session and process group, like a shell job
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while len(group_members(run.pid)) < 1 + workers:
        assert run.poll() is None, run.communicate()
        assert time.monotonic() < deadline, "the workers never started"
        time.sleep(0.05)
    time.sleep(0.7)  # well into the first replications
    return run, [pid for pid in group_members(run.pid) if pid != run.pid]


def wait_until_gone(pids: list[int], seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.02)
    return [pid for pid in pids if alive(pid)]


def assert_nothing_written(out: Path) -> None:
    """No result, final or temporary (a SIGKILL leaves its lock, free, for the next run)."""
    left = [p for p in out.iterdir() if p.name != LOCK_FILE] if out.exists() else []
    assert left == [], left


@pytest.mark.parametrize(
    ("signum", "to_group", "workers", "status"),
    [(signal.SIGINT, True, 2, 130), (signal.SIGTERM, False, 1, 143)],
    ids=["ctrl-c-to-group", "sigterm-to-parent"],
)
def test_interrupt_stops_everything_within_2_s(
    tmp_path: Path, signum: int, to_group: bool, workers: int, status: int
) -> None:
    out = tmp_path / "out"
    run, worker_pids = start_run(out, workers)
    sent = time.monotonic()
    if to_group:
        os.killpg(run.pid, signum)  # what Ctrl-C does: the whole foreground group
    else:
        os.kill(run.pid, signum)  # the parent alone; its workers must follow
    stdout, stderr = run.communicate(timeout=10)
    assert time.monotonic() - sent < 2
    assert wait_until_gone([run.pid, *worker_pids], 2 - (time.monotonic() - sent)) == []
    assert group_members(run.pid) == []
    assert run.returncode == status
    assert stdout == ""
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    said = re.fullmatch(
        r"mrasim: interrupted after (\d+) of 40 replications; nothing written", lines[0]
    )
    assert said is not None, lines[0]
    assert int(said[1]) < 40
    assert_nothing_written(out)


def test_workers_die_with_a_parent_killed_by_sigkill(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run, worker_pids = start_run(out, 2)
    assert len(worker_pids) == 2
    run.kill()  # SIGKILL: no handler runs, nobody tells the workers
    run.wait()
    assert wait_until_gone(worker_pids, 5) == []
    assert_nothing_written(out)


def test_a_worker_killed_mid_run_is_one_line_and_non_zero(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run, worker_pids = start_run(out, 2)
    killed = worker_pids[0]
    os.kill(killed, signal.SIGKILL)  # as the out-of-memory killer would
    stdout, stderr = run.communicate(timeout=10)
    assert run.returncode == 1
    assert stdout == ""
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("mrasim: replication ")
    assert f"worker process {killed} was killed (SIGKILL)" in lines[0]
    assert lines[0].endswith("; nothing written")
    assert wait_until_gone(worker_pids, 2) == []
    assert_nothing_written(out)
