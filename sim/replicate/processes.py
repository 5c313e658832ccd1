"""Worker processes that never outlive their parent, and stops that leave nothing behind.

Every command that computes in worker processes (``run``, ``compare``, and later
``calibrate``, ``experiment`` and port-level parallelism) goes through
:class:`WorkerPool`, so three promises hold everywhere:

* **Workers die with their parent, whatever kills it** (SIGKILL included). A
  worker does not wait to be told: on Linux the kernel kills it when its parent
  dies (``prctl(PR_SET_PDEATHSIG, SIGKILL)``); elsewhere, and as a second line, a
  watchdog thread polls the parent's pid, and an idle worker sees its pipe close.
  The watchdog can only act between Python bytecodes: a worker inside a long
  compiled call notices when the call returns, which is why the Linux mechanism
  comes first.
* **SIGINT and SIGTERM stop everything at once.** Inside :func:`stop_on_signals`
  either signal raises :class:`Interrupted` in the parent's main thread, wherever
  it is; leaving the pool kills every worker with SIGKILL (they hold nothing worth
  saving: results live in the parent) and reaps them before the exception goes on.
  Workers ignore SIGINT, which Ctrl-C sends to the whole process group: the parent
  decides.
* **A lost worker is an error, never a hang.** The parent waits on each busy
  worker's pipe *and* its process sentinel, so a worker killed by the kernel's
  out-of-memory killer or crashed in compiled code raises :class:`WorkerLost`,
  naming the task it was running (its label, refined by :func:`note_activity`).

The pool runs :class:`Task` objects, each with a label used in error messages;
:meth:`WorkerPool.imap` yields ``(task, result)`` in submission order or as they
finish, and :meth:`WorkerPool.submit` with :meth:`WorkerPool.next_finished` serve
a caller that decides what to run next from what has finished (an experiment's
precision rule). Workers are forked, so the initializer's arguments (compiled plans) are
inherited rather than pickled, and tasks and results travel as pickles over one
pipe per worker.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import traceback
from collections import deque
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any

from sim.language import _

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
WATCHDOG_POLL_S = 0.25
ACTIVITY_BYTES = 160
"""Room for a worker's note of what it is doing (see :func:`note_activity`)."""
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # from glibc's <malloc.h>
MMAP_AT_LEAST = 32 << 20
"""Blocks this large still come from (and go back to) the kernel: per-shipment records."""


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived: the command stops and its workers with it.

    A ``BaseException``, like ``KeyboardInterrupt``, so that ``except Exception``
    clauses on the way up do not swallow it. Whoever knows how far the work got
    fills in, on its way through, ``done`` and ``total`` (replications computed
    and asked for, of work that is lost) or ``kept`` (what survives the stop, in
    words: "12 of 80 tasks kept; run the same command to resume").
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.done: int | None = None
        self.total: int | None = None
        self.kept: str | None = None

    @property
    def exit_status(self) -> int:
        """The shell's convention: 128 + the signal number (130 for SIGINT, 143 for SIGTERM)."""
        return 128 + self.signum


class WorkerLost(Exception):
    """A worker process died while running a task: killed (often by the OOM killer) or crashed.

    ``label`` says what it was doing (the task's label, or its own last
    :func:`note_activity`); ``task`` is the task itself, for a caller that maps
    tasks back to its own units of work.
    """

    def __init__(self, label: str, pid: int, exitcode: int | None, task: Task) -> None:
        self.label, self.pid, self.exitcode, self.task = label, pid, exitcode, task
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.label}: {self.death}"

    @property
    def death(self) -> str:
        """How the worker ended, with the likely cause: "worker process 12 was killed (...)"."""
        return _death(self.exitcode).format(
            pid=self.pid, status=self.exitcode, signal=_signal_name(self.exitcode)
        )


def _death(exitcode: int | None) -> str:
    """How a process ended, in words, with the likely cause: a template of ``{pid}``,
    ``{status}`` and ``{signal}`` (whole sentences, as each language orders them)."""
    if exitcode is None:
        return _("worker process {pid} stopped answering")
    if exitcode >= 0:
        return _("worker process {pid} exited unexpectedly (status {status})")
    if -exitcode == signal.SIGKILL:
        return _(
            "worker process {pid} was killed ({signal}), most often by the kernel's "
            "out-of-memory killer (see dmesg)"
        )
    if -exitcode in (signal.SIGSEGV, signal.SIGBUS, signal.SIGILL, signal.SIGFPE):
        return _(
            "worker process {pid} crashed ({signal}, a fault in compiled code); please report it"
        )
    return _("worker process {pid} was killed ({signal})")


def _signal_name(exitcode: int | None) -> str:
    """SIGKILL for a process killed by signal 9 (an exit code of -9)."""
    if exitcode is None or exitcode >= 0:
        return ""
    return signal.Signals(-exitcode).name if -exitcode in signal.valid_signals() else str(-exitcode)


def default_workers() -> int:
    """Every core this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


# --- signals in the parent ----------------------------------------------------

_stopping = threading.Event()
"""Set while :func:`stop_on_signals` is active in this process."""


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """Turn SIGINT and SIGTERM into :class:`Interrupted` in the main thread while inside.

    After the first signal both are ignored, so that a second Ctrl-C cannot cut
    short the cleanup (which takes well under a second). Outside the main thread
    (where Python cannot install handlers), and inside another such block (the
    command line's, around a library call that has its own), this does nothing.
    """
    if threading.current_thread() is not threading.main_thread() or _stopping.is_set():
        yield
        return
    previous = {s: signal.getsignal(s) for s in STOP_SIGNALS}

    def interrupt(signum: int, frame: object) -> None:
        for s in STOP_SIGNALS:
            signal.signal(s, signal.SIG_IGN)
        raise Interrupted(signum)

    for s in STOP_SIGNALS:
        signal.signal(s, interrupt)
    _stopping.set()
    try:
        yield
    finally:
        _stopping.clear()
        for s, handler in previous.items():
            signal.signal(s, handler)


@contextlib.contextmanager
def uninterruptible(then_ignore: bool = False) -> Iterator[None]:
    """Hold SIGINT and SIGTERM off during a few quick steps (renaming finished files).

    A signal that arrives meanwhile is delivered when the block ends. With
    ``then_ignore`` (the work is complete and the command is about to return) it
    is discarded instead, so a Ctrl-C a microsecond too late cannot turn a
    finished run into a reported interruption.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
        if then_ignore and _stopping.is_set():
            for s in STOP_SIGNALS:  # a pending signal set to SIG_IGN is discarded
                signal.signal(s, signal.SIG_IGN)
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)


# --- the worker's side ----------------------------------------------------------

_activity: Any = None  # this worker's shared note (a ctypes char array), None in the parent


def note_activity(text: str) -> None:
    """Say what this worker is doing now, for the error message if it dies (no-op in the parent).

    One write into shared memory: cheap enough to call once per replication or port.
    """
    if _activity is not None:
        _activity.value = text.encode("utf-8", "replace")[: ACTIVITY_BYTES - 1]


USE_PDEATHSIG = sys.platform.startswith("linux")
"""Ask the kernel to kill workers with their parent (Linux); tests turn it off to check the
watchdog alone."""


def watch_parent(parent_pid: int) -> None:
    """Make this process die when ``parent_pid`` does (call first thing in a child)."""
    if USE_PDEATHSIG:
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent died before the request took effect
        os._exit(1)
    threading.Thread(target=_watchdog, args=(parent_pid,), daemon=True, name="watchdog").start()


def follow_parent() -> None:
    """Make a process that someone else started (a Dask LocalCluster's worker, started by
    its nanny) keep our workers' rules: Ctrl-C is left to its parent; it dies with it; it
    keeps the memory it frees."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    watch_parent(os.getppid())
    keep_freed_memory()


def keep_freed_memory() -> None:
    """Make this process's ``malloc`` keep the memory it frees, for the next port to reuse.

    A worker allocates and frees the same few arrays for every port. With glibc's
    defaults, blocks of a few MB go back to the kernel when freed and return as fresh
    pages, each zeroed and mapped on first touch: about 4,300 page faults and 16-20 ms
    of system time in every regional replication, against none with this (measured;
    about 5% of a replication). The cost is that a worker's resident memory stays at its
    peak, which is what :mod:`sim.sizing` plans for anyway. Only workers call this:
    the settings are the process's, and a Python caller's process is not ours to tune.
    """
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):  # not glibc: mallopt may not exist
        libc = ctypes.CDLL(None)
        libc.mallopt(M_MMAP_THRESHOLD, MMAP_AT_LEAST)
        libc.mallopt(M_TRIM_THRESHOLD, 1 << 30)


def _watchdog(parent_pid: int) -> None:
    """The portable fallback: an orphan is re-parented, so its parent pid changes."""
    while True:
        threading.Event().wait(WATCHDOG_POLL_S)
        if os.getppid() != parent_pid:
            os._exit(1)


def _serve(
    conn: Connection,
    parent_pid: int,
    inherited: list[Connection],
    activity: Any,
    initializer: Callable[..., None] | None,
    initargs: tuple[Any, ...],
) -> None:
    """A worker's life: watch the parent, then run tasks until told to stop or orphaned."""
    global _activity
    watch_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: parent decides
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's handler, inherited by fork
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)  # held off across the fork
    for other in inherited:  # other workers' pipe ends: holding them would hide their EOF
        other.close()
    _activity = activity
    keep_freed_memory()
    if initializer is not None:
        initializer(*initargs)
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):  # the parent is gone
            return
        if message is None:
            return
        task_id, fn, args = message
        # (task id, succeeded, result or exception, worker traceback or None)
        reply: tuple[Any, bool, Any, str | None]
        try:
            reply = (task_id, True, fn(*args), None)
        except Exception as exc:
            reply = (task_id, False, exc, traceback.format_exc())
        _activity.value = b""
        try:
            conn.send(reply)
        except Exception as exc:  # an unpicklable result or exception: say so instead
            problem = RuntimeError(f"cannot send the result back: {type(exc).__name__}: {exc}")
            conn.send((task_id, False, problem, traceback.format_exc()))


# --- the parent's side ----------------------------------------------------------


@dataclass(frozen=True)
class Task:
    """A function call to run in a worker, and a label for it in error messages."""

    label: str  # e.g. "replications 16-23"
    fn: Callable[..., Any]  # a module-level function (it is pickled by name)
    args: tuple[Any, ...] = ()


class RemoteTraceback(Exception):
    """The worker's traceback, chained under an exception re-raised in the parent."""

    def __str__(self) -> str:
        return "\n" + str(self.args[0])


@dataclass
class _Worker:
    process: Any  # multiprocessing.Process (fork context)
    conn: Connection
    activity: Any
    task: tuple[int, Task] | None = None


@dataclass
class WorkerPool:
    """Forked worker processes running labelled tasks; use as a context manager.

    ``initializer(*initargs)`` runs once in each worker after the fork (the
    arguments are inherited, not pickled). Leaving the ``with`` block normally
    lets workers exit; leaving it by an exception (an interrupt, a lost worker,
    an error in a task) kills them at once. Create the pool in a thread that
    outlives it (the main thread): on Linux a worker dies with the *thread* that
    forked it.
    """

    workers: int
    initializer: Callable[..., None] | None = None
    initargs: tuple[Any, ...] = ()
    _pool: list[_Worker] = field(default_factory=list)
    _next_id: int = 0
    _waiting: deque[tuple[int, Task]] = field(default_factory=deque)  # submitted, not yet sent
    _finished: dict[int, tuple[Task, Any]] = field(default_factory=dict)  # not yet handed out
    _wanted: set[int] = field(default_factory=set)  # submitted, neither handed out nor dropped

    def __enter__(self) -> WorkerPool:
        context = multiprocessing.get_context("fork")
        try:
            for _ in range(max(1, self.workers)):
                ours, theirs = context.Pipe()
                activity = context.RawArray(ctypes.c_char, ACTIVITY_BYTES)
                inherited = [w.conn for w in self._pool]
                process = context.Process(
                    target=_serve,
                    args=(
                        theirs,
                        os.getpid(),
                        inherited,
                        activity,
                        self.initializer,
                        self.initargs,
                    ),
                    daemon=True,
                    name=f"mrasim-worker-{len(self._pool)}",
                )
                with uninterruptible():  # the child starts with both signals held off
                    process.start()
                theirs.close()
                self._pool.append(_Worker(process, ours, activity))
        except BaseException:
            self.kill()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        if kind is None:
            self.close()
        else:
            self.kill()

    def close(self) -> None:
        """Ask idle workers to exit, then kill whatever is left."""
        for worker in self._pool:
            if worker.task is None:
                with contextlib.suppress(OSError):
                    worker.conn.send(None)
        for worker in self._pool:
            worker.process.join(timeout=1.0 if worker.task is None else 0)
        self.kill()

    def kill(self) -> None:
        """SIGKILL every worker and reap it: nothing of theirs needs saving."""
        for worker in self._pool:
            if worker.process.is_alive():
                with contextlib.suppress(OSError):
                    worker.process.kill()
        for worker in self._pool:
            worker.process.join(timeout=2.0)
            worker.conn.close()
        self._pool.clear()

    def signal_kill(self) -> None:
        """SIGKILL every worker, from any thread, without reaping: the thread in
        :meth:`imap` then sees them die and raises :class:`WorkerLost`."""
        for worker in list(self._pool):
            with contextlib.suppress(OSError, ValueError):
                worker.process.kill()

    @property
    def pids(self) -> list[int]:
        return [w.process.pid for w in self._pool]

    def submit(self, task: Task) -> int:
        """Queue a task (it starts when a worker is free); returns its ticket."""
        ticket = self._next_id
        self._next_id += 1
        self._waiting.append((ticket, task))
        self._wanted.add(ticket)
        self._dispatch()
        return ticket

    @property
    def pending(self) -> int:
        """Tasks submitted whose results have not been handed out yet."""
        return len(self._wanted)

    def next_finished(self) -> tuple[Task, Any]:
        """The result of a submitted task, the first to finish (the earliest submitted among
        tasks finished together); waits for one. Errors as in :meth:`imap`."""
        if not self._wanted:
            raise ValueError("no task submitted is waiting for its result")
        return self._take(self._wanted)[1]

    def imap(
        self, tasks: Iterable[Task], ordered: bool = True, window: int | None = None
    ) -> Iterator[tuple[Task, Any]]:
        """Run tasks, yielding ``(task, result)`` in submission order (or as they finish).

        At most ``window`` tasks (default: twice the workers) are taken from
        ``tasks`` and not yet yielded, so a long or endless iterable is consumed
        lazily and finished results do not pile up. An exception in a task is
        re-raised here with a note naming the task; a dead worker raises
        :class:`WorkerLost`. Tasks of an abandoned ``imap`` are dropped.
        """
        window = window or 2 * len(self._pool)
        source = iter(tasks)
        mine: deque[int] = deque()  # tickets taken and not yet yielded, in submission order
        try:
            while True:
                while len(mine) < window and (task := next(source, None)) is not None:
                    mine.append(self.submit(task))
                if not mine:
                    return
                ticket, result = self._take([mine[0]] if ordered else mine)
                mine.remove(ticket)
                yield result
        finally:
            self._drop(mine)

    def _take(self, among: Collection[int]) -> tuple[int, tuple[Task, Any]]:
        """Wait until one of the tickets ``among`` (all wanted) has finished; hand it out."""
        while not (ready := [t for t in among if t in self._finished]):
            self._dispatch()
            self._collect()
        ticket = min(ready)
        self._wanted.discard(ticket)
        return ticket, self._finished.pop(ticket)

    def _drop(self, tickets: Collection[int]) -> None:
        """Forget tasks whose results are no longer wanted (those running finish unseen)."""
        dropped = set(tickets)
        self._wanted -= dropped
        for ticket in dropped:
            self._finished.pop(ticket, None)
        self._waiting = deque(item for item in self._waiting if item[0] not in dropped)

    def _dispatch(self) -> None:
        """Give waiting tasks to idle workers."""
        for worker in self._pool:
            if worker.task is None and self._waiting:
                self._send(worker, self._waiting.popleft())

    def _send(self, worker: _Worker, item: tuple[int, Task]) -> None:
        task_id, task = item
        worker.task = item
        worker.activity.value = b""
        try:
            worker.conn.send((task_id, task.fn, task.args))
        except OSError:  # the worker died before it could take the task
            self._lost(worker)

    def _collect(self) -> None:
        """Wait until some busy worker replies or dies; file its result under its ticket."""
        busy = [w for w in self._pool if w.task is not None]
        assert busy, "a wanted task is neither waiting, running nor finished"
        ready = wait([w.conn for w in busy] + [w.process.sentinel for w in busy])
        for worker in busy:
            if worker.conn not in ready and worker.process.sentinel not in ready:
                continue
            if worker.conn not in ready and not worker.conn.poll():
                self._lost(worker)  # died without a word
            try:
                task_id, ok, value, remote = worker.conn.recv()
            except (EOFError, OSError):
                self._lost(worker)
            assert worker.task is not None and worker.task[0] == task_id
            task = worker.task[1]
            worker.task = None
            if task_id not in self._wanted:  # dropped: nobody waits for it
                continue
            if not ok:
                self._wanted.discard(task_id)
                value.add_note(f"(in {task.label}, worker process {worker.process.pid})")
                raise value from RemoteTraceback(remote)
            self._finished[task_id] = (task, value)

    def _lost(self, worker: _Worker) -> None:
        worker.process.join(timeout=1.0)
        assert worker.task is not None
        task = worker.task[1]
        doing = worker.activity.value.decode("utf-8", "replace") or task.label
        raise WorkerLost(doing, worker.process.pid, worker.process.exitcode, task)
