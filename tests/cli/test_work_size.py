"""``run`` and ``compare`` size their whole work before anything: real processes asked for
counts no run needs, or for work that cannot end, refused at once in one line naming the
option to lower, with no ``--out`` folder made."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from helpers import ONE_OFFICE, run_measured

import sim.cli
from sim.replicate import sizing

MRASIM = [sys.executable, "-m", "sim.cli"]
SECONDS = 30.0
"""A refusal takes the command's start (1-3 s); ``run -n 10^12`` used to run until stopped."""


def refused(args: list[str], out: Path) -> str:
    done = run_measured([*MRASIM, *args, "--out", str(out), "-w", "2"], SECONDS)
    assert done.status == 2, done.err
    assert done.out == "" and done.err.count("\n") == 1, done.err
    assert not out.exists()  # a refused run makes no folder
    return done.err.strip()


@pytest.mark.slow
def test_a_trillion_replications_are_refused_at_once(tmp_path: Path) -> None:
    line = refused(["run", str(ONE_OFFICE), "-n", str(10**12)], tmp_path / "out")
    assert line == (
        f"mrasim: {ONE_OFFICE}: --replications: 1,000,000,000,000 replications is more than "
        f"the {sizing.MAX_REPLICATIONS:,} a run may ask for (an interval over that many is "
        "within 0.01% of a standard deviation); ask for fewer"
    )


def refused_here(args: list[str], out: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """The same, in this process (the sizing is the same code; a process costs 2-3 s)."""
    assert sim.cli.main([*args, "--out", str(out), "-w", "2"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1, captured.err
    assert not out.exists()
    return captured.err.strip()


def test_a_precision_rule_is_sized_at_its_cap(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cap = str(10**12)
    args = ["compare", str(ONE_OFFICE), "--precision", "0.001", "--max-replications", cap]
    line = refused_here(args, tmp_path / "out", capsys)
    assert ": --max-replications: 1,000,000,000,000 replications is more than" in line


def test_work_that_cannot_end_within_a_year_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """10^9 replications of nine years of one office: years on 2 workers."""
    args = ["run", str(ONE_OFFICE), "-n", str(10**9), "--set", "horizon_days=3285"]
    line = refused_here(args, tmp_path / "out", capsys)
    assert ": --replications: 1,000,000,000 replications of " in line
    assert " shipments would take at least " in line and " years on 2 workers; " in line


def test_the_floor_of_time_is_below_what_the_engine_does() -> None:
    """The time check refuses on a floor: the rate it assumes beats the measured ones."""
    assert sizing.SHIPMENTS_PER_CORE_S > 2 * 4.2e6  # the regional scenario, measured
    assert sizing.least_seconds(1e7, 1) == pytest.approx(1.0 + 20e-6)
    assert sizing.human_duration(2 * 365 * 86400) == "2.0 years"
    assert sizing.human_duration(5e13) == "1.6e+06 years"
