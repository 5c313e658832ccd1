"""Replications: seeds, engines, workers, and reduction to statistics.

Replication ``r`` of every scenario in a run uses the same seeds (common random
numbers), so scenarios compared in one run differ only by what their
parameters change. Results are reduced to indicators inside the worker and
accumulated by the parent in replication order: memory stays flat in the
number of replications, and the numbers do not depend on the number of workers
or the order in which they finish.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from sim.engine import compiled as engine_numba
from sim.engine import reference as engine_simpy
from sim.engine.drain import Drained, run_drained
from sim.engine.inputs import PortInputs, Reference
from sim.engine.outcome import PortOutcome
from sim.indicators.layout import HEADLINE, Layout
from sim.indicators.records import replication_records
from sim.indicators.sums import PortCells, combine, compute, port_cells
from sim.language import N_, _, ngettext
from sim.model.schema import Scenario
from sim.model.vocabulary import ALL
from sim.plan.arrays import Plan
from sim.plan.compile import compile_plan
from sim.plan.expect import simulated_until_h
from sim.replicate import jit, sizing
from sim.replicate.processes import Interrupted, Task, WorkerPool, note_activity
from sim.replicate.processes import default_workers as default_workers
from sim.replicate.result import ComparisonResult, RunResult
from sim.replicate.stats import Accumulator

ENGINES = {"numba": engine_numba.run_port, "simpy": engine_simpy.run_port}
DEFAULT_ENGINE = "numba"


def port_results(
    plan: Plan, engine: str, seed: int, replication: int, ports: Sequence[int] | None = None
) -> Iterator[tuple[int, PortInputs, PortOutcome]]:
    """One replication, a port at a time (every port, or those of ``ports``, by index):
    the port's index, its inputs, and the engine's outcome on them. Ports are
    independent, so each can be used up before the next is drawn."""
    run_port = ENGINES[engine]
    for p in range(len(plan.ports)) if ports is None else ports:
        port = plan.ports[p]
        drained = run_drained(port, plan.calendars, run_port, seed, replication)
        yield p, drained.inputs, drained.outcome
        del drained  # before the next port is drawn


def simulate(
    plan: Plan, engine: str, seed: int, replication: int, ports: Sequence[int] | None = None
) -> list[tuple[PortInputs, PortOutcome]]:
    """One replication's inputs and outcomes, every port's (or those of ``ports``) held."""
    return [(i, o) for _, i, o in port_results(plan, engine, seed, replication, ports)]


def reduced_ports(
    plan: Plan, engine: str, seed: int, replication: int, ports: Sequence[int] | None = None
) -> list[PortCells]:
    """One replication's ports (or those of ``ports``), each reduced to its cells as soon
    as it is simulated, so that one port's arrays are held at a time (the regional
    replication's traced peak: 33 MB, against 142 MB holding every port; its speed
    is the same within this host's noise)."""
    cells = []
    for p, inputs, outcome in port_results(plan, engine, seed, replication, ports):
        cells.append(port_cells(plan, p, inputs, outcome))
        del inputs, outcome  # the loop would hold them while the next port is drawn
    return cells


def indicator_vector(plan: Plan, layout: Layout, engine: str, seed: int, r: int) -> np.ndarray:
    """One replication of one plan, reduced to its indicator vector port by port.

    The same numbers as ``compute(plan, layout, simulate(...))``, which holds every
    port's arrays at once (what per-shipment records need).
    """
    return combine(plan, layout, reduced_ports(plan, engine, seed, r))


def indicator_vectors(
    plans: Sequence[Plan], layouts: Sequence[Layout], engine: str, seed: int, r: int
) -> list[np.ndarray]:
    """One replication of every plan on common random numbers, each reduced to its vector.

    The same numbers as :func:`indicator_vector` plan by plan, sooner: the plans are run
    port by port together, and each later plan's port is drawn from the first plan's
    (:class:`~sim.inputs.Reference`), so the draws the scenarios share are made once.
    """
    cells = reduced_plans(plans, engine, seed, r)
    return [combine(*each) for each in zip(plans, layouts, cells, strict=True)]


def reduced_plans(plans: Sequence[Plan], engine: str, seed: int, r: int) -> list[list[PortCells]]:
    """Every plan's ports reduced to their cells, a port of the first plan at a time with
    the same port (the same stream key) of every later plan; a later plan's other ports
    after. A worker holds the first plan's port inputs while the others run that port."""
    run_port = ENGINES[engine]
    first, later = plans[0], plans[1:]
    cells: list[dict[int, PortCells]] = [{} for _ in plans]

    def reduce(i: int, q: int, like: Reference | None) -> Drained:
        plan = plans[i]
        drained = run_drained(plan.ports[q], plan.calendars, run_port, seed, r, like)
        cells[i][q] = port_cells(plan, q, drained.inputs, drained.outcome)
        return drained

    same_port = [{port.stream_key: q for q, port in enumerate(plan.ports)} for plan in later]
    for p, port in enumerate(first.ports):
        drained = reduce(0, p, None)
        like = Reference(port, drained.inputs, drained.end, seed, r)
        del drained
        for i, ports in enumerate(same_port, start=1):
            if port.stream_key in ports:
                reduce(i, ports[port.stream_key], like)
        del like  # the first plan's inputs, before its next port is drawn
    for i, plan in enumerate(later, start=1):
        for q in range(len(plan.ports)):
            if q not in cells[i]:
                reduce(i, q, None)
    return [[c[q] for q in range(len(plan.ports))] for plan, c in zip(plans, cells, strict=True)]


# --- what a worker does -----------------------------------------------------


@dataclass(frozen=True)
class Work:
    """Everything a worker needs, sent once when the worker starts."""

    plans: tuple[Plan, ...]
    layouts: tuple[Layout, ...]
    engine: str
    seed: int
    keep_records: bool


@dataclass
class Replication:
    """The reduced result of one replication of every plan."""

    index: int
    vectors: list[np.ndarray]  # one indicator vector per plan
    records: list[pd.DataFrame] | None  # one frame per plan, if kept


_work: Work | None = None


def _start_worker(work: Work) -> None:
    global _work
    _work = work


def _run_chunk(first: int, last: int) -> list[Replication]:
    assert _work is not None
    return [_replicate(_work, r) for r in range(first, last)]


def _replicate(work: Work, r: int) -> Replication:
    note_activity(_("replication {index}").format(index=r))
    if not work.keep_records:
        return Replication(
            r, indicator_vectors(work.plans, work.layouts, work.engine, work.seed, r), None
        )
    vectors, frames = [], []
    for plan, layout in zip(work.plans, work.layouts, strict=True):
        results = simulate(plan, work.engine, work.seed, r)
        vectors.append(compute(plan, layout, results))
        frames.append(replication_records(plan, r, results))
        del results  # one plan's arrays at a time: what the size estimate assumes
    return Replication(r, vectors, frames)


def _run_ports(plan_index: int, r: int, ports: tuple[int, ...]) -> list[PortCells]:
    """Part of one replication: some ports of one plan, reduced to their cells."""
    assert _work is not None
    plan = _work.plans[plan_index]
    note_activity(
        ngettext(
            "replication {index}, {ports} port of {total}",
            "replication {index}, {ports} ports of {total}",
            len(ports),
        ).format(index=r, ports=len(ports), total=len(plan.ports))
    )
    return reduced_ports(plan, _work.engine, _work.seed, r, ports)


def port_shares(plan: Plan, parts: int) -> list[tuple[int, ...]]:
    """Ports split into at most ``parts`` groups of about equal expected shipments (the
    longest-processing-time rule), each group in plan order."""
    load = [sizing.expected_arrivals(port, 0.0, simulated_until_h(port)) for port in plan.ports]
    groups: list[list[int]] = [[] for _ in range(min(parts, len(load)))]
    totals = [0.0] * len(groups)
    for p in sorted(range(len(load)), key=lambda p: -load[p]):
        g = totals.index(min(totals))
        groups[g].append(p)
        totals[g] += load[p]
    return [tuple(sorted(g)) for g in groups if g]


class Replicator:
    """Runs replications, in this process or in worker processes, and yields them in order.

    With ``isolate`` even a single worker is a separate process: the caller then
    never sits inside a long compiled call, so an interrupt is acted on at once
    and a web server's thread can stop a run (the command line and the explorer
    use it; the Python API keeps one worker in-process).
    """

    def __init__(self, work: Work, workers: int, isolate: bool = False) -> None:
        self.work = work
        self.workers = max(1, workers)
        self.isolate = isolate
        self._pool: WorkerPool | None = None

    def __enter__(self) -> Replicator:
        if self.workers > 1 or self.isolate:
            if self.work.engine == "numba":
                jit.warm_up()  # compile or load once, before forking
            self._pool = WorkerPool(self.workers, _start_worker, (self.work,)).__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._pool is not None:
            self._pool.__exit__(*exc)

    def stop(self) -> None:
        """Kill the workers now, from any thread: what they compute is no longer wanted.

        The thread iterating :meth:`run` then gets :class:`~sim.processes.WorkerLost`.
        """
        if self._pool is not None:
            self._pool.signal_kill()

    def run(self, first: int, last: int, chunk: int | None = None) -> Iterator[Replication]:
        """Replications first..last-1, in order, ``chunk`` to a task (default: shrinking
        chunks, :func:`guided_chunks`); fewer replications than workers are each shared
        out by port (:meth:`_split`)."""
        if self._pool is None:
            for r in range(first, last):
                yield _replicate(self.work, r)
            return
        if last - first < self.workers and not self.work.keep_records:
            yield from self._split(first, last)
            return
        if self.work.keep_records:
            chunk = 1  # records are large: one replication in flight per task
        chunks: Iterator[tuple[int, int]]
        if chunk:
            chunks = ((start, min(start + chunk, last)) for start in range(first, last, chunk))
        else:
            chunks = guided_chunks(first, last, self.workers)
        tasks = (Task(_replications_label(*chunk), _run_chunk, chunk) for chunk in chunks)
        for _task, done in self._pool.imap(tasks):
            yield from done

    def _split(self, first: int, last: int) -> Iterator[Replication]:
        """Fewer replications than workers: each replication's ports are shared out among
        the workers (ports are independent), and its cells combined here, in port order, so
        the numbers are those of one worker."""
        assert self._pool is not None
        work = self.work
        shares = [port_shares(plan, self.workers) for plan in work.plans]
        for r in range(first, last):
            tasks = [
                Task(f"replication {r}", _run_ports, (i, r, ports))
                for i, plan_shares in enumerate(shares)
                for ports in plan_shares
            ]
            cells: list[dict[int, PortCells]] = [{} for _ in work.plans]
            for task, part in self._pool.imap(tasks):
                plan_index, _, ports = task.args
                cells[plan_index].update(zip(ports, part, strict=True))
            vectors = [
                combine(plan, layout, [plan_cells[p] for p in range(len(plan.ports))])
                for plan, layout, plan_cells in zip(work.plans, work.layouts, cells, strict=True)
            ]
            yield Replication(r, vectors, None)


def guided_chunks(
    first: int, last: int, workers: int, largest: int = 32
) -> Iterator[tuple[int, int]]:
    """Replications first..last-1 as (start, stop) chunks, each a quarter of what remains
    per worker (at most ``largest``, at least one): guided self-scheduling (Polychronopoulos
    and Kuck, 1987). Long chunks first keep a short replication's messages few; the
    shrinking tail lets the workers finish together, at most about one replication apart.
    Chunks of equal size left a worker idle for up to a chunk's time at the end (``compare
    -n 100``: 52 replications on one worker, 48 on the other). Which worker runs a
    replication never changes its numbers (each is seeded by its index)."""
    start = first
    while start < last:
        size = max(1, min(largest, (last - start) // (4 * workers)))
        yield start, start + size
        start += size


def _replications_label(first: int, last: int) -> str:
    """What a task computes, as a lost worker's message names it (in the command's language:
    workers are forked inside it)."""
    if last == first + 1:
        return _("replication {index}").format(index=first)
    return _("replications {first}-{last}").format(first=first, last=last - 1)


@dataclass(frozen=True)
class RunOptions:
    """How replications are run: what :func:`run` and :func:`compare` share.

    Each field is also a keyword of both functions (``run(s, replications=20)``), and
    an ``mrasim run`` or ``compare`` option.
    """

    replications: int = 10
    """Replications to run (the first batch, with ``precision``)."""
    engine: str = DEFAULT_ENGINE
    """``numba`` (compiled) or ``simpy`` (the readable reference): the same numbers."""
    seed: int | None = None
    """The seed of every random stream; None: the scenario's own."""
    workers: int | None = None
    """Worker processes; None: every core, lowered to what fits in memory."""
    keep_records: bool = False
    """Keep every shipment's record (``result.records()``)."""
    precision: float | None = None
    """Add replications until every headline indicator's 95% half-width is within this
    fraction of its mean (or ``max_replications``)."""
    max_replications: int = 1000
    progress: Callable[[int], None] | None = None
    """Called with the number of replications just finished."""
    isolate: bool = False
    """Run in worker processes even for one worker (see :class:`Replicator`)."""
    records_sink: Callable[[pd.DataFrame], None] | None = None
    """Where each replication's records go as they arrive, instead of being kept."""

    def but(self, **changes: Any) -> RunOptions:
        """These options with some changed (an unknown name raises ``TypeError``)."""
        return replace(self, **changes) if changes else self


def run(scenario: Scenario, options: RunOptions | None = None, **changes: Any) -> RunResult:
    """Run replications of a scenario and reduce them to statistics.

    ``options`` (or its fields as keywords: ``run(s, replications=20, seed=1)``) say
    how (:class:`RunOptions`). With ``precision``, replications are added (after the
    first ``replications``) until every headline indicator of group ``all`` has a
    95% half-width within that fraction of its mean, or ``max_replications`` is
    reached. With ``records_sink``, each replication's records go to it as they
    arrive (in replication order) instead of being kept.
    """
    comparison = compare([scenario], ["run"], options, **changes)
    result = comparison.results[0]
    result.stop_reason = comparison.stop_reason
    result.workers = comparison.workers
    return result


def compare(
    scenarios: list[Scenario],
    labels: list[str],
    options: RunOptions | None = None,
    **changes: Any,
) -> ComparisonResult:
    """Run scenarios on common random numbers; differences are against the first one.

    Replication r of every scenario uses the same seeds, so a difference is the
    effect of what the scenarios change, not of different luck.

    Before anything large is allocated, the run's size is estimated and the
    workers are fitted to the memory available (:func:`sim.sizing.fit_workers`):
    a run that cannot fit raises :class:`~sim.errors.InputError`. With
    ``isolate``, replications run in worker processes even for one worker (see
    :class:`Replicator`). An interrupt (:class:`~sim.processes.Interrupted`)
    leaves with ``done`` and ``total`` replications filled in.
    """
    options = (RunOptions() if options is None else options).but(**changes)
    replications, precision = options.replications, options.precision
    accumulating = _Accumulating.of(
        scenarios,
        labels,
        options.engine,
        options.seed,
        options.keep_records,
        options.records_sink,
    )
    comparison, work = accumulating.comparison, accumulating.work
    results = comparison.results
    headline = [
        np.array([r.metric in HEADLINE and r.group == ALL for r in result.layout.rows])
        for result in results
    ]
    kept = replications if options.keep_records and options.records_sink is None else 1
    comparison.workers = sizing.workers_for(
        work.plans,
        options.engine,
        work.keep_records,
        options.workers,
        replications,
        scenarios[0].name,
        kept,
    )
    done, target = 0, replications
    try:
        with Replicator(work, comparison.workers, options.isolate) as replicator:
            while True:
                for replication in replicator.run(done, target):
                    accumulating.add(replication)
                    if options.progress is not None:
                        options.progress(1)
                    done = replication.index + 1
                if precision is None:
                    comparison.stop_reason = AS_ASKED.format(done=done)
                    break
                needed = max(
                    _replications_needed(r.accumulator, h, precision)
                    for r, h in zip(results, headline, strict=True)
                )
                if needed <= done or done >= options.max_replications:
                    comparison.stop_reason = _stopped(done, needed, options)
                    break
                target = min(options.max_replications, max(needed, done + 1))
    except Interrupted as stop:
        stop.done, stop.total = done, target
        raise
    return comparison


AS_ASKED = N_("{done} replications as asked")
REACHED = N_("precision {precision:g} reached after {done} replications")
CAPPED = N_("stopped at the cap of {cap} replications before reaching precision {precision:g}")
STOP_REASONS = (AS_ASKED, REACHED, CAPPED)
"""Why replications stopped, as the result records it (in English, like every file) and as
:func:`said_stop_reason` says it in the active language."""


def _stopped(done: int, needed: int, options: RunOptions) -> str:
    """Why a run with a precision target stopped where it did."""
    if needed <= done:
        return REACHED.format(precision=options.precision, done=done)
    return CAPPED.format(cap=options.max_replications, precision=options.precision)


def said_stop_reason(reason: str) -> str:
    """A result's stop reason (English, as recorded) said in the active language: read back
    against :data:`STOP_REASONS`, whose numbers it keeps as written; any other text as is."""
    for template in STOP_REASONS:
        pattern = re.sub(r"\\\{(\w+)(?::\w+)?\\\}", r"(?P<\1>\\S+)", re.escape(template))
        found = re.fullmatch(pattern, reason)
        if found:
            plain = re.sub(r"\{(\w+):\w+\}", r"{\1}", _(template))
            return plain.format(**found.groupdict())
    return reason


class _Accumulating:
    """A comparison being accumulated: its statistics so far, and what the workers need.

    Each replication adds every scenario's indicators and each paired difference
    from the baseline, mapped onto the union of the scenarios' rows.
    """

    def __init__(
        self,
        comparison: ComparisonResult,
        work: Work,
        records_sink: Callable[[pd.DataFrame], None] | None = None,
    ) -> None:
        self.comparison = comparison
        self.work = work
        self.records_sink = records_sink
        union = comparison.layout
        self._to_union = [
            np.array([union.index[row] for row in result.layout.rows], dtype=np.intp)
            for result in comparison.results
        ]

    @classmethod
    def of(
        cls,
        scenarios: list[Scenario],
        labels: list[str],
        engine: str,
        seed: int | None,
        keep_records: bool,
        records_sink: Callable[[pd.DataFrame], None] | None = None,
    ) -> _Accumulating:
        """Compile the scenarios; records go to ``records_sink`` when given, else are kept."""
        if engine not in ENGINES:
            raise ValueError(f"unknown engine '{engine}'; use one of {', '.join(ENGINES)}")
        seed = scenarios[0].seed if seed is None else seed
        plans = tuple(compile_plan(s) for s in scenarios)
        layouts = tuple(Layout.of(p) for p in plans)
        union = Layout.union(layouts)
        results = [
            RunResult(s, engine, seed, lay, Accumulator(len(lay)))
            for s, lay in zip(scenarios, layouts, strict=True)
        ]
        differences = [Accumulator(len(union), paired=True) for _ in scenarios[1:]]
        comparison = ComparisonResult(labels, results, union, differences)
        work = Work(plans, layouts, engine, seed, keep_records or records_sink is not None)
        return cls(comparison, work, records_sink)

    def add(self, replication: Replication) -> None:
        results, size = self.comparison.results, len(self.comparison.layout)
        on_union = []
        for i, (result, vector) in enumerate(zip(results, replication.vectors, strict=True)):
            result.accumulator.add(vector)
            if replication.records is not None and self.records_sink is not None:
                self.records_sink(replication.records[i])
            elif replication.records is not None:
                result.record_frames.append(replication.records[i])
            mapped = np.full(size, np.nan)
            mapped[self._to_union[i]] = vector
            on_union.append(mapped)
        for difference, mapped in zip(self.comparison.differences, on_union[1:], strict=True):
            difference.add(mapped - on_union[0])


def comparison_of(
    scenarios: list[Scenario],
    labels: list[str],
    replications: Iterable[tuple[int, Sequence[np.ndarray]]],
    engine: str = DEFAULT_ENGINE,
    seed: int | None = None,
) -> ComparisonResult:
    """A comparison accumulated from replications computed elsewhere: ``(index, one vector per
    scenario)``, in replication order (an uncertainty study's stored tasks). The numbers are
    those :func:`compare` gives for the same replications."""
    accumulating = _Accumulating.of(scenarios, labels, engine, seed, False)
    done = 0
    for index, vectors in replications:
        accumulating.add(Replication(index, list(vectors), None))
        done += 1
    accumulating.comparison.stop_reason = AS_ASKED.format(done=done)
    return accumulating.comparison


class ComparisonSteps:
    """:func:`compare`, one replication at a time, for a page that shows numbers as they come.

    Iterating runs replications 0, 1, ... ``replications - 1`` (one per task, in
    worker processes when ``workers`` > 1) and yields the comparison after each,
    in replication order: after n steps its numbers are exactly those of
    ``compare(..., replications=n)`` with the same seed. :meth:`stop`, from any
    thread, kills the workers at once; the iteration then ends with an error
    (the caller knows it asked to stop).
    """

    def __init__(
        self,
        scenarios: list[Scenario],
        labels: list[str],
        replications: int,
        engine: str = DEFAULT_ENGINE,
        seed: int | None = None,
        workers: int | None = None,
    ) -> None:
        self._accumulating = _Accumulating.of(scenarios, labels, engine, seed, False)
        self.replications = replications
        self.workers = min(default_workers() if workers is None else workers, replications)
        self._replicator: Replicator | None = None
        self._stopped = False

    def __iter__(self) -> Iterator[ComparisonResult]:
        accumulating = self._accumulating
        with Replicator(accumulating.work, self.workers, isolate=True) as replicator:
            self._replicator = replicator
            if self._stopped:  # stopped before the workers started
                return
            for replication in replicator.run(0, self.replications, chunk=1):
                accumulating.add(replication)
                accumulating.comparison.stop_reason = (
                    f"{replication.index + 1} of {self.replications} replications"
                )
                yield accumulating.comparison

    def stop(self) -> None:
        self._stopped = True
        if self._replicator is not None:
            self._replicator.stop()


def _replications_needed(acc: Accumulator, rows: np.ndarray, precision: float) -> int:
    """Replications at which the widest relative half-width would meet the precision.

    The half-width shrinks as 1/sqrt(n); the estimate is rounded up and grown by
    at least 10% per round so a run near the threshold converges in few rounds.
    """
    mean, _, _ = acc.result()
    hw = acc.half_width()
    n = acc.count
    with np.errstate(invalid="ignore", divide="ignore"):
        relative = np.abs(hw / mean)
    judged = rows & np.isfinite(relative) & (np.abs(mean) > 0)
    if (rows & (n < 2)).any():
        return int(n.max(initial=0)) + 2
    if not judged.any():
        return 0
    worst = np.argmax(np.where(judged, relative, -np.inf))
    if relative[worst] <= precision:
        return 0
    grown = n[worst] * (relative[worst] / precision) ** 2
    return math.ceil(max(grown, 1.1 * n[worst]))


def simulate_ports(
    scenario: Scenario, engine: str = DEFAULT_ENGINE, seed: int | None = None, replication: int = 0
) -> tuple[Plan, list[tuple[PortInputs, PortOutcome]]]:
    """One replication's raw inputs and outcomes (for tests and exploration)."""
    plan = compile_plan(scenario)
    return plan, simulate(plan, engine, scenario.seed if seed is None else seed, replication)
