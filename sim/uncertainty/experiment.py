"""An experiment over the uncertain inputs: the plausible range of every design point.

Each design point is a study of its own (:func:`~sim.uncertainty.study.plan_study`: the
point's scenario alone), with the same draws of the scenario's uncertain inputs at every
point (one Latin hypercube from the experiment's seed: the draws are crossed with the design
points, so two points differ by their factors, not by their draws). The fields the design
sets (its factors and ``set:`` entries) are the point's, and no input draws them: a factor
swept beyond an input's range is a what-if, not an error. Each draw runs the experiment's
replications; the studies run on the experiment's executor and are stored in its folder
(``draws/<digest>``), so a rerun resumes them, and the numbers do not depend on the workers.

The results table gains ``plausible_low``, ``plausible_high`` and ``input_share`` (see
:mod:`.analysis`) on the rows a study keeps (each area's and group's headline indicators);
its ``mean`` and interval stay the point's own, counting simulation noise only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sim.experiment.design import Point
from sim.experiment.keys import ROW_KEYS
from sim.experiment.run import (
    ExperimentResult,
    Progress,
    RangeSettings,
    run_experiment,
)
from sim.experiment.spec import Experiment, point_scenario
from sim.language import ngettext
from sim.uncertainty.run import run_study
from sim.uncertainty.study import Study, Variants, plan_study

PLAUSIBLE = ("plausible_low", "plausible_high", "input_share")
"""The columns an experiment's results gain over the uncertain inputs."""
STORE = "draws"
"""The studies' folder inside the experiment's."""


@dataclass
class ExperimentRanges:
    """Plans the study of every point before anything runs, then runs them and adds their
    ranges to the results (the hook :func:`sim.experiment.run.run_experiment` calls)."""

    studies: list[Study] = field(default_factory=list)

    def plan(self, experiment: Experiment, points: list[Point]) -> None:
        assert experiment.uncertainty is not None
        fixed = [factor.path for factor in experiment.factors] + list(experiment.settings)
        self.studies = [
            plan_study(
                [point_scenario(experiment, values, p)],
                Variants("run"),
                experiment.uncertainty,
                replications=experiment.replications,
                seed=experiment.seed,
                fixed=fixed,
            )
            for p, values in enumerate(points)
        ]

    def add(self, results: pd.DataFrame, folder: Path, settings: RangeSettings) -> pd.DataFrame:
        frames = []
        for p, study in enumerate(self.studies):
            if settings.notice is not None:
                settings.notice(_announce(p, len(self.studies), study))
            found = run_study(
                study,
                executor=settings.executor,
                address=settings.address,
                workers=settings.workers,
                store=folder / STORE,
                notice=settings.notice,
            )
            table = found.table[found.table.kind == "value"]
            frames.append(table[[*ROW_KEYS, *PLAUSIBLE]].assign(point=p))
        return with_ranges(results, pd.concat(frames, ignore_index=True))


def _announce(point: int, points: int, study: Study) -> str:
    """What the runner draws now: a point's draws take as long as many points."""
    inputs = len(study.inputs)
    return ngettext(
        "point {point} of {points}: {draws} draws of {inputs} uncertain input",
        "point {point} of {points}: {draws} draws of {inputs} uncertain inputs",
        inputs,
    ).format(point=point, points=points, draws=study.draws, inputs=inputs)


def with_ranges(results: pd.DataFrame, ranges: pd.DataFrame) -> pd.DataFrame:
    """The results with each row's plausible columns (empty where no study keeps the row),
    in the results' own order."""
    keys = ["point", *ROW_KEYS]
    return results.merge(ranges, on=keys, how="left", validate="one_to_one")


def experiment_uncertain(
    path: str | Path,
    draws: int | None = None,
    *,
    executor: str = "local",
    address: str | None = None,
    workers: int | None = None,
    out: str | Path | None = None,
    fresh: bool = False,
    progress: Callable[[Progress], None] | None = None,
    notice: Callable[[str], None] | None = None,
    replications: int | None = None,
    points: int | None = None,
) -> ExperimentResult:
    """Run (or resume) an experiment file with the plausible range of every point over
    ``draws`` draws of its scenario's uncertain inputs (default: the file's
    ``uncertainty:``); the other options are :func:`sim.experiment.run_experiment`'s."""
    return run_experiment(
        path,
        executor=executor,
        address=address,
        workers=workers,
        out=out,
        fresh=fresh,
        progress=progress,
        notice=notice,
        replications=replications,
        points=points,
        uncertainty=draws,
        ranges=ExperimentRanges(),
    )
