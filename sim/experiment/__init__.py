"""Batch experiments: designed points x replications, run anywhere, resumable.

The flow, one module per step::

    spec      the experiment file, validated (every design point included)
    design    grid, Latin hypercube or Sobol' points
    tasks     chunks of replications of one point; what a worker computes
    executors this process, a local process pool, or a Dask cluster
    store     one file per finished task, and the manifest that owns them
    analysis  per-point statistics, main effects, Sobol' indices, EMA shape
    report    the HTML page of an experiment folder

:func:`run_experiment` runs (or resumes) an experiment file.
"""

from __future__ import annotations

from sim.experiment.run import ExperimentResult, ExperimentStopped, Progress, run_experiment
from sim.experiment.spec import Experiment, load_experiment

__all__ = [
    "Experiment",
    "ExperimentResult",
    "ExperimentStopped",
    "Progress",
    "load_experiment",
    "run_experiment",
]
