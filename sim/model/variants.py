"""Scenario variants for ``mrasim compare``: the arrangement on and off, and utilisation sweeps."""

from __future__ import annotations

from sim.errors import InputError
from sim.language import _
from sim.model.schema import Scenario

WITHOUT, WITH = "without", "with"


def with_arrangement(
    scenario: Scenario, in_force: bool, utilisation: float | None = None
) -> Scenario:
    """The scenario with the arrangement in or out of force (and a utilisation, if given)."""
    update: dict[str, object] = {"in_force": in_force}
    if utilisation is not None:
        update["utilisation"] = utilisation
    arrangement = scenario.arrangement.model_copy(update=update)
    return scenario.model_copy(update={"arrangement": arrangement})


def arrangement_variants(
    scenario: Scenario, utilisations: list[float] | None = None
) -> tuple[list[Scenario], list[str]]:
    """Without the arrangement (the baseline), then with it (at each utilisation, if swept).

    A utilisation of 0 is left out of a sweep: with nobody claiming, the arrangement
    in force gives exactly the baseline's numbers (tested), so it would only repeat
    the ``without`` column.
    """
    scenarios, labels = [with_arrangement(scenario, in_force=False)], [WITHOUT]
    if utilisations is None:
        scenarios.append(with_arrangement(scenario, in_force=True))
        labels.append(WITH)
        return scenarios, labels
    levels = [u for u in dict.fromkeys(utilisations) if u > 0]
    if not levels:
        raise InputError(
            "--utilisation", "", _("a utilisation of 0 is the baseline itself; give levels above 0")
        )
    for u in levels:
        scenarios.append(with_arrangement(scenario, in_force=True, utilisation=u))
        labels.append(f"u={u:g}")
    return scenarios, labels


def utilisation_variants(
    baseline: Scenario, other: Scenario, utilisations: list[float] | None, labels: tuple[str, str]
) -> tuple[list[Scenario], list[str]]:
    """A against B, or against B at each swept utilisation."""
    if utilisations is None:
        return [baseline, other], list(labels)
    scenarios, names = [baseline], [labels[0]]
    for u in dict.fromkeys(utilisations):
        scenarios.append(with_arrangement(other, other.arrangement.in_force, utilisation=u))
        names.append(f"{labels[1]} u={u:g}")
    return scenarios, names
