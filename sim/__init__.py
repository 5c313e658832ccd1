"""mrasim: customs clearance under a regional AEO mutual recognition arrangement.

The Python API (what the CLI does, for notebooks)::

    import sim
    scenario = sim.load_scenario("one-office")            # a bundled scenario, or a path
    scenario = scenario.with_overrides({"arrangement.utilisation": 0.8})
    result = sim.run(scenario, replications=20, seed=1)
    result.summary(country="Peru", level="country")       # indicators with 95% intervals
    scenarios, labels = sim.arrangement_variants(scenario)
    comparison = sim.compare(scenarios, labels, replications=20)
    comparison.answer()                                   # the answer's table, a DataFrame
    print(comparison.digest())                            # the answer, as the terminal shows it
    comparison.save("results")                            # the files of --out (answer.xlsx too)
    sim.write_report("results")                           # the HTML report
    vary = ["arrangement.utilisation=[0.1,0.8]"]          # an uncertain input (or a block)
    study = sim.compare_uncertain(scenario, draws=64, replications=4, vary=vary)
    study.table                                           # plausible ranges (uncertainty.csv)
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim._version import __version__
from sim.language import _

if TYPE_CHECKING:
    from sim.api.shown import ComparisonResult, Results, RunResult, compare, read_results, run
    from sim.errors import InputError
    from sim.model.load import bundled_scenarios, load_scenario
    from sim.model.schema import Scenario
    from sim.model.variants import arrangement_variants
    from sim.replicate.runner import RunOptions
    from sim.uncertainty import compare_uncertain, run_uncertain

_HOMES = {
    "InputError": "sim.errors",
    "bundled_scenarios": "sim.model.load",
    "load_scenario": "sim.model.load",
    "Scenario": "sim.model.schema",
    "arrangement_variants": "sim.model.variants",
    "ComparisonResult": "sim.api.shown",
    "Results": "sim.api.shown",
    "RunResult": "sim.api.shown",
    "RunOptions": "sim.replicate.runner",
    "compare": "sim.api.shown",
    "run": "sim.api.shown",
    "read_results": "sim.api.shown",
    "compare_uncertain": "sim.uncertainty",
    "run_uncertain": "sim.uncertainty",
}
"""Where each name of the API lives. ``import sim`` loads none of them: each is loaded
when first used (numpy, pandas and numba take a second), so that ``mrasim`` is in charge
of Ctrl-C from its first milliseconds (:mod:`sim.cli`)."""


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])


def write_report(
    folder: str | Path,
    output: str | Path | None = None,
    country: str | Sequence[str] | None = None,
) -> Path:
    """Write the HTML report of a results folder (``result.save``, ``--out`` of ``run``,
    ``compare`` or ``experiment``); its path. Loads matplotlib only when called.

    ``country`` (a code or name, or several: ``"PER"``, ``["Peru", "Chile"]``) makes a
    national brief of a ``run`` or ``compare`` folder: the page speaks only of those
    countries, and is written to ``report-PER.html`` unless ``output`` says otherwise.
    """
    from sim.experiment.store import MANIFEST

    folder = Path(folder)
    if (folder / MANIFEST).is_file():  # a `mrasim experiment` folder
        if country is not None:
            raise InputError(
                "--country", "", _("an experiment's report shows the whole scenario; remove it")
            )
        from sim.experiment.report import write_report as write

        return write(folder, None if output is None else Path(output))
    from sim.report.policy import write_report as policy_report

    countries = [country] if isinstance(country, str) else country
    return policy_report(folder, None if output is None else Path(output), countries)


__all__ = [
    "ComparisonResult",
    "InputError",
    "Results",
    "RunOptions",
    "RunResult",
    "Scenario",
    "__version__",
    "arrangement_variants",
    "bundled_scenarios",
    "compare",
    "compare_uncertain",
    "load_scenario",
    "read_results",
    "run",
    "run_uncertain",
    "write_report",
]
