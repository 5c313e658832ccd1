"""``mrasim explore`` as a real process: where it listens, and how it stops.

The server listens on 127.0.0.1 unless ``--host`` says otherwise; Ctrl-C (SIGINT to the
process group) or SIGTERM to the server alone stops it, in the middle of a run, leaving no
worker process behind.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import small_region

STOP_S = 10.0
"""How long a stop may take: uvicorn's shutdown, then every run's workers killed and reaped."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Explore:
    """``mrasim explore`` in a process group of its own, as a terminal would start it."""

    def __init__(self, scenario: Path) -> None:
        self.port = free_port()
        command = [sys.executable, "-m", "sim.cli", "explore", str(scenario), "--no-browser"]
        self.process = subprocess.Popen(
            [*command, "--port", str(self.port), "-q"],
            start_new_session=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 60
        while not self._answers():
            assert self.process.poll() is None, self.process.communicate()
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    def post(self, path: str, body: object) -> dict:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as reply:
            return json.loads(reply.read())

    def get(self, path: str) -> dict:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=30) as reply:
            return json.loads(reply.read())

    def children(self) -> set[int]:
        """The server's child processes (its runs' workers)."""
        found: set[int] = set()
        for task in Path(f"/proc/{self.process.pid}/task").iterdir():
            text = (task / "children").read_text().split()
            found |= {int(pid) for pid in text}
        return found

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.communicate()


@pytest.fixture
def explore(tmp_path: Path) -> Iterator[Explore]:
    if not Path("/proc/self/task").exists():
        pytest.skip("reads /proc (Linux)")
    server = Explore(small_region(tmp_path, horizon_days=30))
    yield server
    server.stop()


def alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def test_it_listens_on_this_machine_only_by_default(explore: Explore) -> None:
    port = f"{explore.port:04X}"
    listening = [
        line.split()[1]
        for table in ("/proc/net/tcp", "/proc/net/tcp6")
        if Path(table).exists()
        for line in Path(table).read_text().splitlines()[1:]
        if line.split()[1].endswith(f":{port}") and line.split()[3] == "0A"  # LISTEN
    ]
    assert listening == [f"0100007F:{port}"]  # 127.0.0.1, not 0.0.0.0 or ::


@pytest.mark.parametrize(
    "how", ["ctrl-c to the process group", "SIGTERM to the server", "SIGINT to the server"]
)
def test_stopping_the_server_mid_run_leaves_no_worker_behind(explore: Explore, how: str) -> None:
    run = explore.post("/api/run", {"session": "signal-tab-1", "controls": {"replications": 500}})
    deadline = time.monotonic() + 120
    while explore.get("/api/state?session=signal-tab-1")["done"] < 1:
        assert time.monotonic() < deadline, "no replication arrived"
        time.sleep(0.1)
    workers = explore.children()
    assert workers, f"run {run['run']} computes in worker processes"
    pid = explore.process.pid
    if how.startswith("ctrl-c"):
        os.killpg(pid, signal.SIGINT)
    else:
        os.kill(pid, signal.SIGTERM if "SIGTERM" in how else signal.SIGINT)
    explore.process.wait(STOP_S)
    deadline = time.monotonic() + STOP_S
    while any(alive(w) for w in workers):
        assert time.monotonic() < deadline, f"workers left: {[w for w in workers if alive(w)]}"
        time.sleep(0.05)
    _, errors = explore.process.communicate()
    assert "Traceback" not in errors, errors
    # the command line's one rule for every command: 130 after SIGINT, 143 after SIGTERM
    status = 143 if "SIGTERM" in how else 130
    assert explore.process.returncode == status
    assert errors == "mrasim: interrupted; nothing written\n"
