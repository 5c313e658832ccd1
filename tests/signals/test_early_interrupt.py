"""Ctrl-C in the first second of a real ``mrasim``, while numpy, pandas and numba load.

The console script takes charge of SIGINT and SIGTERM within milliseconds of starting
(``import sim`` loads nothing); from then on, a signal while the command's modules load
gives the one line every interrupt gives, and the exit status of an interrupt. The
instants are counted from the moment the script is in charge (read in /proc: the process
catches SIGTERM, which Python itself leaves alone), so the test does not depend on how
fast this machine starts Python.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import ONE_OFFICE

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

MRASIM = Path(sys.executable).with_name("mrasim")
"""The console script, as installed (``pip install -e .``)."""
INSTANTS_S = (0.0, 0.05, 0.15, 0.3, 0.5, 0.8)


def catches(pid: int, signum: int) -> bool:
    """Whether the process has a handler for ``signum`` (SigCgt in /proc/PID/status)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    caught = next(line for line in status.splitlines() if line.startswith("SigCgt:"))
    return bool(int(caught.split()[1], 16) >> (signum - 1) & 1)


def loaded(pid: int, name: str) -> bool:
    try:
        return name in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_signal_while_the_modules_load_is_one_line(tmp_path: Path, signum: int) -> None:
    status = 128 + signum
    seen = []
    for instant in INSTANTS_S if signum == signal.SIGINT else INSTANTS_S[1::2]:
        out = tmp_path / f"out-{instant}"
        command = [str(MRASIM), "run", str(ONE_OFFICE), "-n", "2", "--out", str(out)]
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        deadline = time.monotonic() + 30
        while not catches(process.pid, signal.SIGTERM):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the script never took charge"
            time.sleep(0.001)
        time.sleep(instant)
        early = not loaded(process.pid, "numba")  # still loading what a run needs
        process.send_signal(signum)
        stdout, stderr = process.communicate(timeout=30)
        assert (process.returncode, stdout, stderr) == (
            status,
            "",
            "mrasim: interrupted; nothing written\n",
        ), instant
        assert not out.exists()
        seen.append(early)
    assert seen[0]  # the first instant, at least, fell while the modules loaded


@pytest.mark.slow
def test_ctrl_c_in_the_first_second_is_one_line() -> None:
    """Counted from the start, as a person would press it: 0.3 to 0.8 s in, while Python's
    modules load (Python's own start, before any of mrasim's code runs, takes about 0.05 s)."""
    for instant in (0.3, 0.55, 0.8):
        process = subprocess.Popen(
            [str(MRASIM), "validate", str(ONE_OFFICE)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(instant)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=30)
        assert (process.returncode, stderr) == (130, "mrasim: interrupted; nothing written\n")
        assert stdout == "", instant
