"""mrasim: customs clearance under a regional AEO mutual recognition arrangement.

The Python API (what the CLI does, for notebooks)::

    import sim
    scenario = sim.load_scenario("one-office")            # a bundled scenario, or a path
    scenario = scenario.with_overrides({"arrangement.utilisation": 0.8})
    result = sim.run(scenario, replications=20, seed=1)
    result.summary()                                      # long table with 95% intervals
    scenarios, labels = sim.arrangement_variants(scenario)
    comparison = sim.compare(scenarios, labels, replications=20)
    print(comparison.digest())                            # the answer, as the terminal shows it
    comparison.save("results")                            # the files of --out
    sim.write_report("results")                           # the HTML report
"""

from __future__ import annotations

__version__ = "0.1.0"

from pathlib import Path

from sim.errors import InputError
from sim.model.load import bundled_scenarios, load_scenario
from sim.model.schema import Scenario
from sim.model.variants import arrangement_variants
from sim.replicate.result import ComparisonResult, RunResult
from sim.replicate.runner import compare, run


def write_report(folder: str | Path, output: str | Path | None = None) -> Path:
    """Write the HTML report of a results folder (``result.save`` or ``--out``); its path."""
    from sim.report.policy import write_report as write

    return write(Path(folder), None if output is None else Path(output))


__all__ = [
    "ComparisonResult",
    "InputError",
    "RunResult",
    "Scenario",
    "__version__",
    "arrangement_variants",
    "bundled_scenarios",
    "compare",
    "load_scenario",
    "run",
    "write_report",
]
