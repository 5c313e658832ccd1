"""What a worker computes for a study: replications of every scenario of one point.

A point is the nominal comparison or one draw of the inputs. Its scenarios are run on
common random numbers (:func:`sim.replicate.runner.indicator_vectors`, as ``compare``
runs them) and reduced to indicator rows; the nominal point keeps every row (the full
comparison table is made from it), a draw only the rows the study analyses
(:data:`KEPT`, of every area and group, no stations). Rows are keyed by scenario label
first, so one task file holds every scenario of its point.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.experiment.keys import ROW_KEYS
from sim.experiment.tasks import TaskOutput
from sim.indicators.layout import CUSTOMS, HEADLINE, Layout, Row
from sim.model.schema import Scenario
from sim.plan.arrays import Plan
from sim.plan.compile import compile_plan
from sim.replicate.runner import DEFAULT_ENGINE, indicator_vectors

KEYS = ("scenario", *ROW_KEYS)
"""A task's key columns: the scenario's label, then the long table's levels and metric."""
KEPT = (*HEADLINE, CUSTOMS[0], "shipments")
"""Metrics a draw keeps (with the cost of delay at every rate): the answer's and the
report's, at every area and group."""
COST_PREFIX = "delay_cost_usd_"


def kept(row: Row) -> bool:
    """Whether a draw keeps a row: an area's (no station) headline, count or cost."""
    return row.station is None and (row.metric in KEPT or row.metric.startswith(COST_PREFIX))


@dataclass(frozen=True)
class DrawJob:
    """Replications of every scenario of one point of a study (pickled to its worker)."""

    key: str  # the study's digest and the point: names the compiled point in a worker
    scenarios: tuple[Scenario, ...]
    labels: tuple[str, ...]
    seed: int
    engine: str = DEFAULT_ENGINE
    every_row: bool = False  # the nominal point: every row, for the full comparison table

    def run(self, first: int, last: int) -> TaskOutput:
        plans, layouts, rows = _compiled(self)
        values = np.empty((sum(len(r) for r in rows), last - first))
        for column, replication in enumerate(range(first, last)):
            vectors = indicator_vectors(plans, layouts, self.engine, self.seed, replication)
            values[:, column] = np.concatenate(
                [vector[index] for vector, index in zip(vectors, rows, strict=True)]
            )
        keys = [
            (label, *layout.rows[i])
            for label, layout, index in zip(self.labels, layouts, rows, strict=True)
            for i in index
        ]
        return TaskOutput(keys, values, KEYS)


_cache: dict[str, tuple[tuple[Plan, ...], tuple[Layout, ...], list[np.ndarray]]] = {}
CACHE_POINTS = 4


def _compiled(job: DrawJob) -> tuple[tuple[Plan, ...], tuple[Layout, ...], list[np.ndarray]]:
    """The point's plans, layouts and kept rows, compiled once per worker process."""
    found = _cache.get(job.key)
    if found is None:
        if len(_cache) >= CACHE_POINTS:
            _cache.clear()
        plans = tuple(compile_plan(s) for s in job.scenarios)
        layouts = tuple(Layout.of(plan) for plan in plans)
        rows = [
            np.array(
                [i for i, row in enumerate(layout.rows) if job.every_row or kept(row)],
                dtype=np.intp,
            )
            for layout in layouts
        ]
        found = _cache[job.key] = (plans, layouts, rows)
    return found
