"""Replication control: --precision, its cap, and the on-disk numba cache."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import sim
from sim.indicators.layout import HEADLINE
from sim.model.vocabulary import ALL

ONE_OFFICE = Path(__file__).resolve().parents[2] / "scenarios" / "one-office.yaml"


def short() -> sim.Scenario:
    return sim.load_scenario(ONE_OFFICE, ["horizon_days=3", "warmup_days=1"])


def headline_rows(summary):
    rows = summary[summary.metric.isin(HEADLINE) & (summary.group == ALL)]
    return rows[rows["mean"].abs() > 0]


def test_precision_adds_replications_until_every_headline_interval_is_narrow() -> None:
    result = sim.run(short(), replications=3, precision=0.05, max_replications=200, workers=1)
    assert result.stop_reason.startswith("precision 0.05 reached")
    assert result.replications > 3
    rows = headline_rows(result.table())
    relative = (rows.ci_high - rows.ci_low) / 2 / rows["mean"].abs()
    assert (relative <= 0.05).all()


def test_precision_stops_at_the_cap_and_says_so() -> None:
    result = sim.run(short(), replications=2, precision=0.0001, max_replications=5, workers=1)
    assert result.replications == 5
    assert "cap of 5" in result.stop_reason
    rows = headline_rows(result.table())
    assert ((rows.ci_high - rows.ci_low) / 2 / rows["mean"].abs() > 0.0001).any()


def test_precision_run_equals_a_fixed_run_of_the_same_length() -> None:
    """Adding replications in rounds gives the numbers of asking for that many at once."""
    adaptive = sim.run(short(), replications=3, precision=0.05, max_replications=200, workers=2)
    fixed = sim.run(short(), replications=adaptive.replications, workers=1)
    a, b = adaptive.table(), fixed.table()
    np.testing.assert_array_equal(a["mean"].to_numpy(), b["mean"].to_numpy())


CACHE_PROBE = """
from sim.engine import compiled as engine_numba
from sim.replicate import jit
jit.warm_up()
print(sum(d.stats.cache_misses.get(sig, 0) for d in (engine_numba.simulate_port,
          engine_numba.before_queues) for sig in d.signatures))
"""


def test_second_process_loads_compiled_code_from_the_cache() -> None:
    """Compilation is cached on disk: a new process compiles nothing (no cache misses)."""
    run = [sys.executable, "-c", CACHE_PROBE]
    subprocess.run(run, check=True, capture_output=True)  # fills the cache if empty
    misses = subprocess.run(run, check=True, capture_output=True, text=True).stdout.split()[-1]
    assert misses == "0"


@given(
    first=st.integers(0, 50),
    count=st.integers(0, 3000),
    workers=st.integers(1, 64),
    largest=st.integers(1, 40),
)
def test_guided_chunks_cover_the_replications_in_shrinking_chunks(
    first: int, count: int, workers: int, largest: int
) -> None:
    """Every replication once, in order; chunks never grow, never pass ``largest``; and
    the last 4 x workers chunks (what the workers finish with) hold one replication each."""
    from sim.replicate.runner import guided_chunks

    chunks = list(guided_chunks(first, first + count, workers, largest))
    assert [r for start, stop in chunks for r in range(start, stop)] == list(
        range(first, first + count)
    )
    sizes = [stop - start for start, stop in chunks]
    assert all(1 <= size <= largest for size in sizes)
    assert sizes == sorted(sizes, reverse=True)
    assert all(size == 1 for size in sizes[-4 * workers :])
