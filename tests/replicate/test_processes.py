"""The worker pool (sim.processes): results in order, errors named, lost workers, orphans.

The command-line behaviour under real signals is in test_signals.py; these tests
exercise the pool itself, with real processes.
"""

from __future__ import annotations

import faulthandler
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from sim.replicate.processes import Task, WorkerLost, WorkerPool, note_activity

ROOT = Path(__file__).resolve().parents[2]


def echo(value: int, pause: float = 0.0) -> int:
    time.sleep(pause)
    return value


def fail(value: int) -> int:
    raise ValueError(f"bad value {value}")


def die(value: int, how: int) -> int:
    faulthandler.disable()  # pytest turns it on; a real worker dies without a dump
    note_activity(f"item {value}")
    os.kill(os.getpid(), how)
    time.sleep(10)
    return value


def alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie (read from /proc, no psutil)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_results_in_submission_order(workers: int) -> None:
    pauses = [0.02 * (i % 3 == 0) for i in range(12)]  # early tasks finish last
    with WorkerPool(workers) as pool:
        tasks = [Task(f"item {i}", echo, (i, p)) for i, p in enumerate(pauses)]
        assert [result for _, result in pool.imap(tasks)] == list(range(12))


def test_random_schedules_never_hang_or_reorder() -> None:
    """Random task counts, durations, windows and orders (a stall here was a real bug)."""
    rng = random.Random(7)
    for _ in range(25):
        n, workers = rng.randint(0, 8), rng.randint(1, 3)
        ordered = rng.random() < 0.5
        with WorkerPool(workers) as pool:
            tasks = [Task(f"t{i}", echo, (i, rng.choice([0, 0, 0.002]))) for i in range(n)]
            window = rng.choice([None, 1, 2, 5])
            got = [r for _, r in pool.imap(tasks, ordered=ordered, window=window)]
        assert (got if ordered else sorted(got)) == list(range(n))


def test_window_bounds_what_is_taken() -> None:
    """A lazy source is consumed at most ``window`` tasks ahead of what was yielded."""
    taken = []

    def source():
        for i in range(10):
            taken.append(i)
            yield Task(f"item {i}", echo, (i,))

    with WorkerPool(2) as pool:
        for task, result in pool.imap(source(), window=3):
            assert len(taken) <= result + 1 + 3
            assert task.label == f"item {result}"


def test_an_error_in_a_task_is_raised_with_its_label() -> None:
    with WorkerPool(2) as pool, pytest.raises(ValueError, match="bad value 3") as caught:
        list(pool.imap(Task(f"item {i}", fail if i == 3 else echo, (i,)) for i in range(6)))
    assert any("item 3" in note for note in caught.value.__notes__)
    assert "Traceback" in str(caught.value.__cause__)  # the worker's traceback, chained


@pytest.mark.parametrize(
    ("how", "words"),
    [(signal.SIGKILL, "out-of-memory"), (signal.SIGSEGV, "compiled code")],
    ids=["killed", "crashed"],
)
def test_a_lost_worker_is_named_never_waited_for(how: int, words: str) -> None:
    started = time.monotonic()
    with WorkerPool(2) as pool, pytest.raises(WorkerLost) as caught:
        tasks = [
            Task(f"task {i}", die, (i, how)) if i == 2 else Task(f"task {i}", echo, (i,))
            for i in range(4)
        ]
        list(pool.imap(tasks))
    assert time.monotonic() - started < 5
    message = str(caught.value)
    assert message.startswith("item 2: worker process ")  # the task's own note of what it did
    assert words in message and "\n" not in message
    assert caught.value.exitcode == -how


def test_leaving_by_an_exception_kills_every_worker() -> None:
    with pytest.raises(KeyboardInterrupt), WorkerPool(2) as pool:
        pids = pool.pids
        results = pool.imap([Task("slow", echo, (1, 30)), Task("quick", echo, (2,))], ordered=False)
        assert next(results)[1] == 2  # the slow one is still running
        raise KeyboardInterrupt
    assert not any(alive(pid) for pid in pids)


def test_leaving_normally_lets_workers_exit() -> None:
    with WorkerPool(2) as pool:
        pids = pool.pids
        assert [r for _, r in pool.imap([Task("a", echo, (1,))])] == [1]
    assert not any(alive(pid) for pid in pids)


ORPHAN = textwrap.dedent(
    """
    import sys, time
    import sim.replicate.processes as processes
    from sim.replicate.processes import Task, WorkerPool
    processes.USE_PDEATHSIG = {pdeathsig}

    def spin(seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:  # busy in Python, as a worker between compiled calls
            pass

    with WorkerPool(2) as pool:
        print(*pool.pids, flush=True)
        list(pool.imap([Task("spin", spin, (60,)), Task("spin", spin, (60,))]))
    """
)


@pytest.mark.parametrize("pdeathsig", [True, False], ids=["pdeathsig", "watchdog-only"])
def test_workers_die_with_a_killed_parent(pdeathsig: bool) -> None:
    """SIGKILL to the parent: its busy workers are gone within 2 s, by either mechanism."""
    parent = subprocess.Popen(
        [sys.executable, "-c", ORPHAN.format(pdeathsig=pdeathsig)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert parent.stdout is not None
    workers = [int(pid) for pid in parent.stdout.readline().split()]
    assert len(workers) == 2 and all(alive(pid) for pid in workers)
    time.sleep(0.3)  # let them get busy
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 2
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not any(alive(pid) for pid in workers)


FAULTS_OF_A_REPEATED_REPLICATION = """
import resource
import sim
from sim.indicators.layout import Layout
from sim.plan.compile import compile_plan
from sim.replicate.processes import Task, WorkerPool
from sim.replicate.runner import indicator_vector

plan = compile_plan(sim.load_scenario("scenarios/reference-office.yaml", []))
layout = Layout.of(plan)


def faults_of_third_run():
    for _ in range(3):  # the same replication: the same allocations, in the same order
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        indicator_vector(plan, layout, "numba", 1, 1)
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


here = faults_of_third_run()
with WorkerPool(1) as pool:
    [(_, in_worker)] = pool.imap([Task("faults", faults_of_third_run)])
print(here, in_worker)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_a_worker_reuses_the_memory_it_freed() -> None:
    """A worker keeps what it frees (keep_freed_memory): a replication run again in it
    takes no fresh pages from the kernel.

    The same replication in the parent, which keeps glibc's defaults, shows what
    they do: the freed arrays go back to the kernel, so even the third identical
    replication faults thousands of pages. That contrast is what makes the
    worker's count mean something.
    """
    done = subprocess.run(
        [sys.executable, "-c", FAULTS_OF_A_REPEATED_REPLICATION],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    default, in_worker = (int(word) for word in done.stdout.split())
    assert default > 1000, f"glibc's defaults faulted only {default} pages: no contrast"
    assert in_worker <= default // 100, f"{in_worker} page faults in a worker ({default} here)"
