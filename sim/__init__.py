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

from .errors import InputError
from .runner import ComparisonResult, RunResult, compare, run
from .scenario import Scenario, bundled_scenarios, load_scenario
from .variants import arrangement_variants


def write_report(folder: str | Path, output: str | Path | None = None) -> Path:
    """Write the HTML report of a results folder (``result.save`` or ``--out``); its path."""
    from .report import write_report as write  # matplotlib loads only when a report is asked

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
