"""mrasim: customs clearance under a regional AEO mutual recognition arrangement.

The Python API::

    import sim
    scenario = sim.load_scenario("scenarios/one-office.yaml")
    result = sim.run(scenario, replications=20, seed=1)
    result.summary()          # long table with 95% intervals
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import InputError
from .runner import RunResult, run
from .scenario import Scenario, load_scenario

__all__ = ["InputError", "RunResult", "Scenario", "__version__", "load_scenario", "run"]
