"""How big a run is, before it runs: shipments per replication and memory per worker.

A replication is simulated a port at a time, and each port is reduced to its
cells (sums and the clearance times of its counted shipments) before the next is
drawn, so a worker's peak memory is, to a good approximation, the largest port's
arrays and temporaries plus every port's cells: numbers of bytes per shipment
times expected shipments. With per-shipment records, every port's arrays are
held at once instead (the records are built from them). The estimate is computed
from the compiled plan, before anything large is allocated, so that a run
that cannot fit is refused with one line instead of failing an hour in, or
taking the machine down first.

Where the bytes per shipment come from:

* **inputs and outcome**: read off the arrays themselves. :func:`array_bytes`
  draws a port's inputs over a window too short to hold a shipment and sums
  ``itemsize x`` the per-shipment shape of every array of
  :class:`~sim.inputs.PortInputs` and :class:`~sim.outcome.PortOutcome` (for
  one-office: 54 + 47.2 bytes, the outcome's station arrays counting for the share of
  shipments that meets a queue, at most 0.4 there). It follows any change to those
  arrays by itself.
* **engine temporaries** (numba): the arrays ``run_port`` and ``simulate_port``
  allocate, and what the indicators' pass over the port adds after them. Per
  shipment: the ready times, then a cell (8 + 1 bytes:
  :data:`ENGINE_BYTES_PER_SHIPMENT`, rounded up). Per shipment that meets a queue
  (its index is part of the outcome): ``ready_ranks``'s times, permutation and
  sorted times, the order, its rank, step_of, pool_of, free, and the copied ready
  time, release delay, group and channel (:data:`ENGINE_BYTES_PER_QUEUED`, 11 x 8
  bytes, rounded up); and per station visit a time and a rank in each waiting list
  and the copied service time (:data:`ENGINE_BYTES_PER_VISIT`). The share that meets a
  queue is
  bounded by the group most often sent to checks (:func:`queued_share`). The
  SimPy engine keeps a generator and its events per shipment in the system:
  :data:`SIMPY_BYTES_PER_SHIPMENT`, measured (peak resident memory, 98,000
  shipments: 1,340 bytes each beyond their arrays) on an overloaded station
  where every shipment waits at once, the worst case; a run whose stations keep
  up needs about a third of it.
* **drawing**: while a port's inputs are drawn, the arrival epochs and their
  cumulative sums, and up to three per-group samples of one time, live beside
  the finished arrays (:data:`DRAW_BYTES_PER_SHIPMENT`).
* **cells**: each port's clearance and customs times of its counted shipments
  (2 x 8 bytes), held until the replication is combined, where they are
  concatenated once more (:data:`CELL_BYTES`).
* **records** (``--records``): the frame of one replication, read off its
  column dtypes like the arrays, twice in the worker (the frame and its
  pickle) and twice in the parent (the frame and its Arrow table).

Peak = the largest port's arrays and temporaries + every port's cells, or their
concatenation, whichever is larger (with records: every port's arrays + the
largest port's temporaries). Checked against measurement by
``tests/test_sizing.py``: a fresh process runs one replication of about 1.5
million shipments and compares its peak resident memory (``VmHWM``) above
what it held before with the estimate, which must lie above the measurement (it
is a limit) and within a factor of two of it (it is useful). Measured (numba
engine, peak / estimate): one-office 0.75 (0.74 since the outcome's station arrays
hold only queued shipments), one-office with every shipment red
0.77, reference-office 0.73, the regional scenario over 120 days 0.66. Over its
28 days the regional scenario's resident memory grows too little to measure
(freed memory is reused); its peak of traced NumPy allocations (``tracemalloc``,
which does not see the compiled kernels' own temporaries) is 0.83 of the
estimate. A run may use :data:`HEADROOM` of the
memory available: the rest is left to the system and to the error of the
estimate.
"""

from __future__ import annotations

import math
import os
import resource
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeGuard

import numpy as np

from sim.engine.inputs import PortInputs, draw_port
from sim.engine.outcome import PortOutcome
from sim.errors import InputError
from sim.indicators.records import port_records
from sim.language import N_, _, ngettext
from sim.language.formats import decimal
from sim.plan.arrays import Plan, PortPlan
from sim.plan.expect import expected_arrivals, queued_share, simulated_until_h
from sim.replicate.processes import default_workers

ENGINE_BYTES_PER_SHIPMENT = 2 * 8
ENGINE_BYTES_PER_QUEUED = 11 * 8
ENGINE_BYTES_PER_VISIT = 24
ENGINE_BYTES_PER_SERVER = 3 * 8  # the pending-event arrays (time, event) and the freed list
SIMPY_BYTES_PER_SHIPMENT = 1_500
DRAW_BYTES_PER_SHIPMENT = 5 * 8
CELL_BYTES = 2 * 8  # a counted shipment's clearance and customs times
HEADROOM = 0.9
MAX_REPLICATIONS = 10**9
"""Replications a run (or an experiment's point) may ask for: far past what any interval
needs (a 95% interval over 10^9 replications is within 0.01% of a standard deviation), and
short of counts whose mere bookkeeping (task lists, progress) would not fit."""
SHIPMENTS_PER_CORE_S = 10e6
"""Simulated shipments a core gets through in a second, at the very most: measured 3.6 M/s
on one-office and 4.2 M/s on the regional scenario, so an estimate of time from it is a
floor, never an overestimate."""
PORT_REPLICATION_S = 20e-6
"""A port's fixed cost per replication, at the very least (measured 0.29 ms with almost no
shipments)."""
MAX_WALL_S = 365 * 86400.0
"""Work that cannot finish within a year on the workers at hand is refused as a mistake (an
extra zero in a count): what it would take is said, and what to lower."""
WORKER_OVERHEAD_BYTES = 32 * 2**20
"""A forked worker's own pages beyond its replication (Python's heap, pages copied on
write from the parent): measured about 10 MB after a few replications of one-office."""
PARQUET_BYTES_PER_VALUE = 10.0
"""Stored bytes of a time per record: random doubles do not compress (measured 9.6 with
pyarrow's defaults, page and dictionary-fallback overhead included)."""


@dataclass(frozen=True)
class Size:
    """The expected size of one replication (of every scenario in the run)."""

    shipments: float  # simulated, warm-up included
    counted: float  # arriving after the warm-up
    worker_bytes: float  # peak memory of one worker, above its start
    parent_bytes: float  # what the parent holds per replication in flight (records)
    records_bytes: float  # Parquet bytes of one replication's records

    def describe(self) -> str:
        return _(
            "about {shipments} shipments per replication ({counted} counted); peak memory about "
            "{memory} per worker"
        ).format(
            shipments=count(self.shipments),
            counted=count(self.counted),
            memory=human_bytes(self.worker_bytes),
        )


def count(x: float) -> str:
    """12345.6 -> '12,346'; below 10 two significant digits; beyond a trillion, 1.2e+15."""
    if x < 10:
        return f"{x:.2g}"
    return decimal(x, 0) if x < 1e12 else f"{x:.2g}"


def array_bytes(port: PortPlan) -> float:
    """Bytes per shipment of a port's inputs and outcome, read off the arrays' dtypes; the
    outcome's arrays over queued shipments count for the share that meets a queue."""
    outcome = PortOutcome.empty(len(port.stations), 0, np.empty(0, dtype=np.int64))
    arrays = vars(outcome)
    per_queued = [arrays.pop(name) for name in ("queued", "start", "end", "overtime", "pool")]
    every = _bytes_per_column(arrays.values())
    return input_bytes(port) + every + queued_share(port) * _bytes_per_column(per_queued)


def input_bytes(port: PortPlan) -> float:
    """Bytes per shipment of a port's inputs alone."""
    return _bytes_per_column(vars(_no_shipments(port)).values())


def _bytes_per_column(values: Iterable[object]) -> float:
    arrays = {id(a): a for a in values if _is_array(a)}  # each array once
    return float(sum(a.itemsize * math.prod(a.shape[:-1]) for a in arrays.values()))


def record_bytes(plan: Plan, p: int) -> tuple[float, float]:
    """(in memory, in Parquet) bytes per record of port p, read off the record columns.

    In Parquet a time takes :data:`PARQUET_BYTES_PER_VALUE` and a station's
    columns of a shipment that does not visit it (NaN) next to nothing, so a
    station's three columns count in proportion to the share of shipments that
    visit it; categories and flags take about a byte together.
    """
    from sim.plan.expect import group_probabilities, visit_probabilities

    port = plan.ports[p]
    inputs = _no_shipments(port)
    outcome = PortOutcome.empty(len(port.stations), inputs.n, np.empty(0, dtype=np.int64))
    frame = port_records(plan, p, 0, inputs, outcome)
    memory = sum(getattr(dtype, "itemsize", 1) for dtype in frame.dtypes)  # categories: 1
    times = sum(dtype == np.float64 for dtype in frame.dtypes)
    per_station = 3
    visited = float(visit_probabilities(port).dot(group_probabilities(port)).sum())
    stored_values = times - per_station * len(port.stations) + per_station * visited + 1
    return float(memory), stored_values * PARQUET_BYTES_PER_VALUE + 1


def _no_shipments(port: PortPlan) -> PortInputs:
    """A port's inputs over a window too short for any shipment: the arrays' dtypes and shapes.

    Drawn with a flat arrival rate and one origin, which take the same arrays
    without calling compiled code (loading it costs a second in ``validate``).
    """
    simple = replace(
        port,
        hourly_rate=np.ones_like(port.hourly_rate),
        origins=port.origins[:1],
        origin_cumulative=np.ones(1),
        eligible_share=port.eligible_share[:1],
    )
    return draw_port(1e-9, simple, 0, 0)


def _is_array(value: object) -> TypeGuard[np.ndarray]:
    return isinstance(value, np.ndarray) and value.ndim >= 1


def estimate(plans: Sequence[Plan], engine: str = "numba", keep_records: bool = False) -> Size:
    """The size of one replication of every plan.

    With records a worker runs the plans one after the other. Without, it runs them
    port by port together (:func:`sim.runner.reduced_plans`): on top of the largest
    plan's peak it then holds every plan's cells and, while the later plans run a
    port, the first plan's inputs of that port.
    """
    parts = [_plan_size(plan, engine, keep_records) for plan in plans]
    frames = sum(part.parent_bytes for part in parts)  # one replication's records, every plan
    together = 0.0
    if not keep_records and len(plans) > 1:
        first = plans[0]
        inputs = max(
            expected_arrivals(port, 0.0, simulated_until_h(port)) * input_bytes(port)
            for port in first.ports
        )
        together = inputs + sum(CELL_BYTES * part.counted for part in parts)
    return Size(
        shipments=sum(part.shipments for part in parts),
        counted=sum(part.counted for part in parts),
        worker_bytes=max(part.worker_bytes for part in parts) + together + 2 * frames,  # + pickle
        parent_bytes=2 * frames,  # frames + their Arrow table
        records_bytes=sum(part.records_bytes for part in parts),
    )


def _plan_size(plan: Plan, engine: str, keep_records: bool) -> Size:
    """One plan; ``parent_bytes`` here is one copy of its record frames."""
    n = [expected_arrivals(port, 0.0, simulated_until_h(port)) for port in plan.ports]
    c = [expected_arrivals(port, *port.window) for port in plan.ports]
    arrays = [k * array_bytes(port) for k, port in zip(n, plan.ports, strict=True)]
    temporaries = [
        k * max(_engine_bytes(port, engine), DRAW_BYTES_PER_SHIPMENT) + _server_bytes(port, engine)
        for k, port in zip(n, plan.ports, strict=True)
    ]
    cells = CELL_BYTES * sum(c)
    frame = stored = 0.0
    if keep_records:
        for k, p in zip(c, range(len(plan.ports)), strict=True):
            memory, parquet = record_bytes(plan, p)
            frame += k * memory
            stored += k * parquet
        peak = sum(arrays) + max(max(temporaries), 2 * cells)
    else:
        each = zip(arrays, temporaries, c, strict=True)
        port = max(a + max(t, CELL_BYTES * k) for a, t, k in each)
        peak = max(port + cells, 2 * cells)
    return Size(sum(n), sum(c), peak, frame, stored)


def _server_bytes(port: PortPlan, engine: str) -> float:
    return 0.0 if engine == "simpy" else ENGINE_BYTES_PER_SERVER * float(port.pool_servers.sum())


def _engine_bytes(port: PortPlan, engine: str) -> float:
    if engine == "simpy":
        return SIMPY_BYTES_PER_SHIPMENT
    visits = int(port.route_length.max(initial=0))
    queued = ENGINE_BYTES_PER_QUEUED + ENGINE_BYTES_PER_VISIT * visits
    return ENGINE_BYTES_PER_SHIPMENT + queued_share(port) * queued


# --- what the machine has --------------------------------------------------------


def available_memory() -> tuple[float, str]:
    """Bytes this run may still use, and where the figure comes from.

    The smaller of the kernel's estimate of memory available without swapping
    (``MemAvailable`` in /proc/meminfo) and the room left under this process's
    cgroup memory limit (v2 ``memory.max``, or v1 ``memory.limit_in_bytes``), so
    that a run in a container is judged by the container's limit.
    """
    found = [(v, where) for v, where in (_meminfo(), _cgroup_room()) if v is not None]
    if not found:
        return math.inf, "unknown"
    return min(found)


def _meminfo() -> tuple[float | None, str]:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return float(line.split()[1]) * 1024, "MemAvailable in /proc/meminfo"
    except OSError:
        pass
    return None, ""


def _cgroup_room() -> tuple[float | None, str]:
    """Limit minus usage of this process's memory cgroup, if it has a limit."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None, ""
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers == "":  # cgroup v2
            base = Path("/sys/fs/cgroup") / path.lstrip("/")
            files = ("memory.max", "memory.current")
        elif "memory" in controllers.split(","):
            base = Path("/sys/fs/cgroup/memory") / path.lstrip("/")
            files = ("memory.limit_in_bytes", "memory.usage_in_bytes")
        else:
            continue
        for folder in (base, *base.parents):
            room = _room(folder, *files)
            if room is not None:
                return room, f"the cgroup limit in {folder / files[0]}"
            if folder in (Path("/sys/fs/cgroup"), Path("/sys/fs/cgroup/memory")):
                break
    return None, ""


def _room(folder: Path, limit_file: str, usage_file: str) -> float | None:
    try:
        limit = (folder / limit_file).read_text().strip()
        usage = float((folder / usage_file).read_text().strip())
    except (OSError, ValueError):
        return None
    if limit == "max" or float(limit) >= 2**60:  # no limit
        return None
    return float(limit) - usage


def human_bytes(n: float) -> str:
    """1234567 -> '1.2 MB' (powers of 1000, as disks and most people count)."""
    if not math.isfinite(n):
        return _("unlimited")
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(n) < 1000:
            return f"{decimal(n, 0 if unit == 'B' else 1)} {unit}"
        n /= 1000
    return f"{decimal(n, 1)} PB" if n < 1e6 else f"{n:.2g} PB"


# --- the checks a command makes before it runs -------------------------------------


def workers_for(
    plans: Sequence[Plan],
    engine: str,
    keep_records: bool,
    workers: int | None,
    replications: int,
    source: str,
    kept_replications: int = 1,
) -> int:
    """Workers for a run, checked against the memory available, before anything is allocated.

    The call every command makes before running replications. ``workers`` is
    what the user asked for (None: every core); there is never more than one per
    replication, or per port of a replication when there are fewer replications
    than workers and no records are kept (see ``Replicator._split``). Raises
    :class:`InputError` for a run that cannot fit; see :func:`fit_workers`.
    ``kept_replications``: how many replications' records the parent keeps at once
    (1 when they are streamed to a file).
    """
    ports = 1 if keep_records else max(len(plan.ports) for plan in plans)
    wanted = min(workers or default_workers(), max(replications * ports, 1))
    size = estimate(plans, engine, keep_records)
    check_work(size, plans, replications, wanted, source, "replications")
    if kept_replications > 1:
        size = replace(size, parent_bytes=size.parent_bytes / 2 * (kept_replications + 1))
    return fit_workers(size, None if workers is None else wanted, wanted, source)


def check_work(
    size: Size,
    plans: Sequence[Plan],
    replications: int,
    workers: int,
    source: str,
    field: str,
    points: int = 1,
) -> None:
    """Refuse, before anything is allocated, a count no run needs or work that cannot end.

    ``replications`` of each of ``points`` (design points, for an experiment), each of
    ``size``; ``field`` names what to lower in the message. Raises :class:`InputError`
    for more than :data:`MAX_REPLICATIONS`, or for work whose floor of time
    (:func:`least_seconds`) on ``workers`` exceeds :data:`MAX_WALL_S`.
    """
    if replications > MAX_REPLICATIONS:
        if points > 1:
            problem = _(
                "{replications} replications of each point is more than the "
                "{max_replications} a run may ask for (an interval over that many is within "
                "0.01% of a standard deviation); ask for fewer"
            )
        else:
            problem = _(
                "{replications} replications is more than the {max_replications} a run may "
                "ask for (an interval over that many is within 0.01% of a standard deviation); "
                "ask for fewer"
            )
        limit = problem.format(
            replications=decimal(replications, 0), max_replications=decimal(MAX_REPLICATIONS, 0)
        )
        raise InputError(source, field, limit)
    ports = sum(len(plan.ports) for plan in plans)
    seconds = least_seconds(size.shipments, ports) * replications * points / max(workers, 1)
    if seconds > MAX_WALL_S:
        if points > 1:
            problem = ngettext(
                "{points} points x {replications} replications of {shipments} shipments "
                "would take at least {duration} on {workers} worker; ask for fewer replications "
                "or points, or a shorter horizon_days",
                "{points} points x {replications} replications of {shipments} shipments "
                "would take at least {duration} on {workers} workers; ask for fewer replications "
                "or points, or a shorter horizon_days",
                workers,
            )
        else:
            problem = ngettext(
                "{replications} replications of {shipments} shipments would take at least "
                "{duration} on {workers} worker; ask for fewer replications, or a shorter "
                "horizon_days",
                "{replications} replications of {shipments} shipments would take at least "
                "{duration} on {workers} workers; ask for fewer replications, or a shorter "
                "horizon_days",
                workers,
            )
        said = problem.format(
            points=decimal(points, 0),
            replications=decimal(replications, 0),
            shipments=count(size.shipments),
            duration=human_duration(seconds),
            workers=workers,
        )
        raise InputError(source, field, said)


def least_seconds(shipments: float, ports: int) -> float:
    """A floor on the seconds one replication of ``shipments`` over ``ports`` takes a core."""
    return shipments / SHIPMENTS_PER_CORE_S + ports * PORT_REPLICATION_S


def human_duration(seconds: float) -> str:
    """90061 -> '1.0 days'; beyond a thousand years, '2.3e+07 years'."""
    for unit, length in ((YEARS, 365 * 86400.0), (DAYS, 86400.0), (HOURS, 3600.0)):
        if seconds >= length:
            n = seconds / length
            return _(unit).format(n=decimal(n, 1) if n < 1000 else f"{n:.2g}")
    return f"{seconds:.0f} s"


YEARS, DAYS, HOURS = N_("{n} years"), N_("{n} days"), N_("{n} hours")
"""A long duration, said with one decimal (``2.0 years``): plural whatever the number."""


def fit_workers(
    size: Size,
    requested: int | None,
    default: int,
    source: str,
    available: tuple[float, str] | None = None,
) -> int:
    """The number of workers whose replications fit in memory, or an :class:`InputError`.

    ``requested`` is what the user asked for (None: ``default``, which is then
    lowered to what fits, since the numbers do not depend on it). A run that
    does not fit with one worker, or with the workers asked for, is refused in
    one line: the estimate, the memory available, what to change. A run may use
    :data:`HEADROOM` of the memory available.
    """
    room, where = available or available_memory()
    per_worker = size.worker_bytes + WORKER_OVERHEAD_BYTES
    usable = HEADROOM * room - size.parent_bytes
    fitting = int(usable // per_worker) if math.isfinite(room) else default
    wanted = requested or default
    if fitting >= wanted:
        return wanted
    if requested is None and fitting >= 1:
        return fitting
    said = {"room": human_bytes(room), "where": where, "headroom": f"{HEADROOM:.0%}"}
    if fitting < 1:
        problem = _(
            "one worker needs {need} but {room} is available ({where}; a run may use "
            "{headroom}); lower arrivals.per_day or horizon_days"
        ).format(need=human_bytes(size.parent_bytes + per_worker), **said)
    else:
        problem = _(
            "{workers} workers need {need} but {room} is available ({where}; a run may use "
            "{headroom}); run with --workers {fitting}"
        ).format(
            workers=wanted,
            need=human_bytes(size.parent_bytes + wanted * per_worker),
            fitting=fitting,
            **said,
        )
    raise InputError(source, "size", f"{size.describe()}; {problem}")


def check_disk(folder: Path, needed: float, what: str) -> None:
    """Refuse (InputError on --out) if ``needed`` bytes cannot be written into ``folder``.

    Looks at the free space of its file system and at the file size limit of
    this process (``ulimit -f``).
    """
    existing = next((path for path in (folder, *folder.parents) if path.exists()), folder)
    try:  # the folder itself may not be made yet: its file system is its nearest parent's
        stats = os.statvfs(existing)
        free = stats.f_bavail * stats.f_frsize
    except OSError:
        return
    limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
    if needed > free:
        raise InputError(
            "--out",
            str(folder),
            _(
                "{what} need about {needed} but the disk has {free} free; free some space or "
                "choose "
                "another folder"
            ).format(what=what, needed=human_bytes(needed), free=human_bytes(free)),
        )
    if limit != resource.RLIM_INFINITY and needed > limit:
        raise InputError(
            "--out",
            str(folder),
            _(
                "{what} need about {needed} but files may not exceed {limit} here (ulimit -f); "
                "raise the limit or write fewer records"
            ).format(what=what, needed=human_bytes(needed), limit=human_bytes(limit)),
        )
