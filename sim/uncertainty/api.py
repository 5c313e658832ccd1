"""The entry points: a comparison or a run over the uncertain inputs.

From Python::

    import sim
    from sim.uncertainty import compare_uncertain
    scenario = sim.load_scenario("lac-regional")
    result = compare_uncertain(scenario, draws=64, replications=4)
    result.table          # uncertainty.csv: central, noise and plausible range of every row
    result.drivers        # drivers.csv: each input's first-order index for every effect
    print(result.digest())
    result.save("out/lac")
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sim.experiment.run import Progress
from sim.model.schema import Scenario
from sim.replicate.runner import DEFAULT_ENGINE
from sim.uncertainty.result import UncertaintyResult
from sim.uncertainty.run import run_study
from sim.uncertainty.study import Variants, plan_study


def compare_uncertain(
    scenario: Scenario,
    other: Scenario | None = None,
    *,
    draws: int = 64,
    replications: int = 4,
    nominal_replications: int | None = None,
    utilisations: Sequence[float] | None = None,
    vary: Sequence[str] = (),
    design: str = "lhs",
    seed: int | None = None,
    engine: str = DEFAULT_ENGINE,
    workers: int | None = None,
    executor: str = "local",
    address: str | None = None,
    store: str | Path | None = None,
    names: tuple[str, str] = ("A", "B"),
    progress: Callable[[Progress], None] | None = None,
) -> UncertaintyResult:
    """The scenario without and with the arrangement (or ``scenario`` against ``other``),
    at its own values and over ``draws`` draws of its uncertain inputs.

    ``replications`` are run at each draw, ``nominal_replications`` (default the same) at
    the scenario's own values; ``store`` is the folder of the study's tasks (default
    ``out/draws``), where a rerun finds what was computed.
    """
    levels = tuple(utilisations) if utilisations is not None else None
    if other is None:
        variants, bases = Variants("arrangement", levels), [scenario]
    else:
        variants, bases = Variants("pair", levels, names), [scenario, other]
    return _study(
        bases,
        variants,
        draws,
        planning=dict(
            vary=vary,
            design=design,
            replications=replications,
            nominal_replications=nominal_replications,
            seed=seed,
            engine=engine,
        ),
        running=dict(executor=executor, address=address, workers=workers, progress=progress),
        store=store,
    )


def run_uncertain(
    scenario: Scenario,
    *,
    draws: int = 64,
    replications: int = 4,
    nominal_replications: int | None = None,
    vary: Sequence[str] = (),
    design: str = "lhs",
    seed: int | None = None,
    engine: str = DEFAULT_ENGINE,
    workers: int | None = None,
    executor: str = "local",
    address: str | None = None,
    store: str | Path | None = None,
    progress: Callable[[Progress], None] | None = None,
) -> UncertaintyResult:
    """A scenario's own indicators at its values and over ``draws`` draws of its uncertain
    inputs (the plausible range of the clearance time itself)."""
    return _study(
        [scenario],
        Variants("run"),
        draws,
        planning=dict(
            vary=vary,
            design=design,
            replications=replications,
            nominal_replications=nominal_replications,
            seed=seed,
            engine=engine,
        ),
        running=dict(executor=executor, address=address, workers=workers, progress=progress),
        store=store,
    )


def _study(
    bases: Sequence[Scenario],
    variants: Variants,
    draws: int,
    *,
    planning: dict[str, Any],
    running: dict[str, Any],
    store: str | Path | None,
) -> UncertaintyResult:
    """Plan a study (:func:`plan_study`'s keywords in ``planning``) and run it
    (:func:`run_study`'s in ``running``), its tasks kept in ``store``."""
    study = plan_study(bases, variants, draws, **planning)
    return run_study(study, store=None if store is None else Path(store), **running)
