"""One browser tab's comparison, run progressively in the background and cancelled by the next.

A :class:`Session` belongs to one tab (the page makes a fresh id each time it
loads), so two tabs with different settings never share numbers. Each setting
starts a :class:`Run`: a thread that iterates :class:`sim.runner.ComparisonSteps`
(replications of every compared scenario on common random numbers, in worker
processes) and publishes an immutable :class:`Snapshot` after every replication.
A new setting stops the run in flight at once (its workers are killed); a run
that fails publishes its error and the server goes on serving.

:class:`Sessions` keeps the tabs: a tab not heard from for a while is taken to
be closed and its run stopped, and :meth:`Sessions.close` stops everything when
the server stops, so no worker process outlives it.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

import pandas as pd

from sim.errors import InputError
from sim.explore.settings import Setting
from sim.language import _
from sim.replicate.result import Results
from sim.replicate.runner import ComparisonSteps
from sim.uncertainty.analysis import MIN_DRAWS
from sim.uncertainty.live import StudySteps

State = Literal["running", "done", "error", "stopped"]
IDLE_S = 60.0
"""A tab not heard from for this long is taken to be closed: its run stops."""
MAX_SESSIONS = 16
QUIET_S = 15.0
"""A tab heard from within this long is open (the page polls every 5 s at most, every 0.3 s
while a run goes on): it is never taken to make room for another."""


class TooManyTabs(Exception):
    """MAX_SESSIONS tabs are open: a new one must wait for one to close."""


log = logging.getLogger("mrasim.explore")


@dataclass(frozen=True)
class Snapshot:
    """A run's numbers so far: what the page shows. Immutable, so any thread may read it."""

    run: int
    setting: Setting
    state: State
    done: int = 0  # replications accumulated
    table: pd.DataFrame | None = None  # the comparison's long table after ``done``
    error: str | None = None
    started: float = 0.0  # time.monotonic() when the setting arrived
    first_numbers_s: float | None = None  # seconds from the setting to the first numbers
    ranges: Results | None = None  # over uncertain inputs: the result over ``done`` draws

    @property
    def target(self) -> int:
        """Replications of each scenario; over uncertain inputs, draws of them."""
        return self.setting.controls.uncertainty or self.setting.replications

    @property
    def version(self) -> tuple[int, int, str]:
        """Changes whenever what the page shows changes."""
        return (self.run, self.done, self.state)


class Run:
    """A setting's replications in a background thread, stoppable from any thread."""

    def __init__(
        self,
        number: int,
        setting: Setting,
        publish: Callable[[Snapshot], None],
        workers: int | None,
    ) -> None:
        self.number = number
        self.setting = setting
        self._publish = publish
        self._workers = workers
        self._stopping = threading.Event()
        self._steps: ComparisonSteps | None = None
        self._study: StudySteps | None = None
        self.started = time.monotonic()
        self._thread = threading.Thread(
            target=self._main, name=f"explore-run-{number}", daemon=True
        )

    def start(self) -> Run:
        self._publish(Snapshot(self.number, self.setting, "running", started=self.started))
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop now: kill the workers; the thread ends without publishing again."""
        self._stopping.set()
        steps = self._steps
        if steps is not None:
            steps.stop()
        study = self._study
        if study is not None:
            study.stop()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _main(self) -> None:
        setting = self.setting
        snapshot = Snapshot(self.number, setting, "running", started=self.started)
        try:
            if setting.controls.uncertainty is not None:
                self._draws(snapshot)
                return
            self._steps = ComparisonSteps(
                setting.scenarios,
                setting.labels,
                setting.replications,
                seed=setting.seed,
                workers=self._workers,
            )
            if self._stopping.is_set():
                return
            for comparison in self._steps:
                if self._stopping.is_set():
                    return
                table = comparison.table()
                first = snapshot.first_numbers_s
                if first is None:
                    first = time.monotonic() - self.started
                snapshot = replace(
                    snapshot, done=comparison.replications, table=table, first_numbers_s=first
                )
                self._publish(snapshot)
            self._publish(replace(snapshot, state="done"))
        except Exception as exc:  # a run's failure is shown on the page, never raised
            if self._stopping.is_set():
                return  # killed on purpose: its workers' errors mean nothing
            log.error("run %d failed:\n%s", self.number, traceback.format_exc())
            self._publish(replace(snapshot, state="error", error=_one_line(exc)))

    def _draws(self, snapshot: Snapshot) -> None:
        """Over uncertain inputs: the study's result after each draw, the range settling
        (:class:`sim.uncertainty.live.StudySteps`); ``done`` counts draws. Until the draws
        are enough to read a range from, the numbers are the scenarios' own."""
        self._study = StudySteps(self.setting.study(), self._workers)
        if self._stopping.is_set():
            return
        for result in self._study:
            if self._stopping.is_set():
                return
            first = snapshot.first_numbers_s
            if first is None:
                first = time.monotonic() - self.started
            done = self._study.draws_done
            snapshot = replace(
                snapshot,
                done=done,
                table=result.nominal.table(),
                ranges=result.to_results() if done >= MIN_DRAWS else None,  # none read below
                first_numbers_s=first,
            )
            self._publish(snapshot)
        if not self._stopping.is_set():
            self._publish(replace(snapshot, state="done"))


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, InputError):
        return str(exc)
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else 'no message'}"


class Session:
    """One tab: its latest setting's run and snapshot."""

    def __init__(self, ident: str, workers: int | None) -> None:
        self.ident = ident
        self.workers = workers
        self.seen = time.monotonic()
        self._lock = threading.Lock()
        self._run: Run | None = None
        self._snapshot: Snapshot | None = None
        self._numbers = itertools.count(1)
        self.rendered: dict[str, tuple[str, str]] = {}
        """What the page last got of each kind (numbers, figures): (version, HTML)."""

    def start(self, setting: Setting) -> int:
        """Stop the run in flight and start one for this setting; its number."""
        with self._lock:
            if self._run is not None:
                self._run.stop()
            run = Run(next(self._numbers), setting, self._publish, self.workers)
            self._run = run
        run.start()
        return run.number

    def _publish(self, snapshot: Snapshot) -> None:
        with self._lock:
            if self._run is not None and snapshot.run == self._run.number:
                self._snapshot = snapshot

    def snapshot(self) -> Snapshot | None:
        self.seen = time.monotonic()
        with self._lock:
            return self._snapshot

    def stop(self) -> Run | None:
        """Stop the run in flight (if any); it is returned so the caller can wait for it."""
        with self._lock:
            run, self._run = self._run, None
            if self._snapshot is not None and self._snapshot.state == "running":
                self._snapshot = replace(self._snapshot, state="stopped")
        if run is not None:
            run.stop()
        return run


class Sessions:
    """Every tab's session, by id; idle ones are stopped, and all of them on close."""

    def __init__(self, workers: int | None = None, idle_s: float = IDLE_S) -> None:
        self.workers = workers
        self.idle_s = idle_s
        self._lock = threading.Lock()
        self._sessions: dict[str, Session] = {}

    def get(self, ident: str, create: bool = False) -> Session | None:
        self._stop_idle()
        with self._lock:
            session = self._sessions.get(ident)
            if session is None and create:
                if len(self._sessions) >= MAX_SESSIONS:
                    self._make_room()
                session = self._sessions[ident] = Session(ident, self.workers)
            if session is not None:
                session.seen = time.monotonic()
            return session

    def _make_room(self) -> None:
        """Stop the tab heard from least recently, if it has been quiet (closed, or about to
        be taken as closed); an open tab's session is never taken for a new one."""
        oldest = min(self._sessions.values(), key=lambda s: s.seen)
        if time.monotonic() - oldest.seen < QUIET_S:
            said = _(
                "{tabs} tabs are open; close one, or wait until one has been closed for {seconds} s"
            )
            raise TooManyTabs(said.format(tabs=MAX_SESSIONS, seconds=f"{QUIET_S:.0f}"))
        del self._sessions[oldest.ident]
        oldest.stop()

    def _stop_idle(self) -> None:
        now = time.monotonic()
        with self._lock:
            idle = [s for s in self._sessions.values() if now - s.seen > self.idle_s]
            for session in idle:
                del self._sessions[session.ident]
        for session in idle:
            session.stop()

    def close(self, timeout: float = 5.0) -> None:
        """Stop every run and wait for its thread: no worker process is left behind."""
        with self._lock:
            sessions = list(self._sessions.values())
            self._sessions.clear()
        runs = [run for run in (s.stop() for s in sessions) if run is not None]
        deadline = time.monotonic() + timeout
        for run in runs:
            run.join(max(0.0, deadline - time.monotonic()))
