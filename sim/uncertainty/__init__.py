"""Uncertainty: carry what is not known about a scenario's inputs into every answer.

A scenario's uncertain inputs (:mod:`sim.model.uncertain`: its ``uncertainty:`` block,
``--vary``, the intervals of its ``calibration:`` blocks) are drawn ``N`` times (a Latin
hypercube, or a Sobol' design); each draw is the same comparison (or run) on common random
numbers with a few replications, run on an experiment's executors and kept in its store
(resumable). From the draws come, for every level, group and metric: the central estimate
at the scenario's own values with its simulation-noise interval, the plausible range over
the inputs with the noise taken out, the share of the variance the inputs explain, and
each input's first-order index (its value of information). The flow, one module a step::

    study     what runs: scenarios, inputs, design, seeds (checked before anything runs)
    jobs      what a worker computes for one point (the nominal, or a draw)
    run       points as tasks on the executors and the store
    analysis  law of total variance, plausible ranges, RBD-FAST and Sobol' drivers
    result    the tables, and the result record every output reads
    experiment  an experiment's design points, each with its plausible range

:func:`compare_uncertain`, :func:`run_uncertain` and :func:`experiment_uncertain` are the
entry points (the CLI's and the Python API's).

Layers: this stage runs on :mod:`sim.experiment`'s executors and store, so it sits one
layer above the capabilities beside it (calibrate, experiment), and the explorer, which
shows its ranges as they settle, one above it.
"""

from __future__ import annotations

from sim.uncertainty.api import compare_uncertain, run_uncertain
from sim.uncertainty.experiment import experiment_uncertain
from sim.uncertainty.result import UncertaintyResult
from sim.uncertainty.study import Study, Variants, plan_study

__all__ = [
    "Study",
    "UncertaintyResult",
    "Variants",
    "compare_uncertain",
    "experiment_uncertain",
    "plan_study",
    "run_uncertain",
]
