"""Process and signal handling of experiments: the seam to a shared module.

Three rules, kept here so that one shared implementation can replace them:

* Ctrl-C (SIGINT) and SIGTERM become :class:`Interrupted` in the parent's main
  thread, which stops the workers and reports what is kept;
* workers ignore SIGINT (Ctrl-C reaches the whole process group; the parent
  decides) and die with their parent, however it dies, SIGKILL included;
* stopping workers means killing them: their unfinished work is lost anyway.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor

EXIT_STATUS = {signal.SIGINT: 130, signal.SIGTERM: 143}
PARENT_POLL_S = 0.5


class Interrupted(BaseException):
    """The user (SIGINT) or the system (SIGTERM) asked the experiment to stop.

    A BaseException, like KeyboardInterrupt: libraries that catch Exception must not swallow it.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_status(self) -> int:
        return EXIT_STATUS.get(signal.Signals(self.signum), 128 + self.signum)


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM raise :class:`Interrupted` (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: object) -> None:
        raise Interrupted(signum)

    previous = {s: signal.signal(s, stop) for s in EXIT_STATUS}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def hold_signals() -> None:
    """While cleaning up after an interruption, a second Ctrl-C must not cut the cleanup."""
    if threading.current_thread() is threading.main_thread():
        for s in EXIT_STATUS:
            signal.signal(s, signal.SIG_IGN)


def start_worker() -> None:
    """In a new worker process: leave Ctrl-C to the parent; die when the parent dies."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: the kernel kills us with the parent
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _watch_parent(parent: int) -> None:
    """Exit when re-parented (the parent died): the portable fallback of PR_SET_PDEATHSIG."""
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_S)
    os._exit(1)


def kill_pool(pool: ProcessPoolExecutor) -> None:
    """Kill a process pool's workers now and let the pool go without waiting for them."""
    processes = list(getattr(pool, "_processes", {}).values())  # no public handle before 3.14
    for process in processes:
        with contextlib.suppress(OSError):
            process.kill()
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.join(timeout=1)
