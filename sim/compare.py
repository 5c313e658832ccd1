"""Scenario variants for ``mrasim compare``, and the comparison as people read it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .indicators import ALL, HEADLINE, SUMMARY_GROUPS, cost_metric
from .scenario import Scenario
from .tables import text_table

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
    scenario: Scenario, utilisations: list[float] | None
) -> tuple[list[Scenario], list[str]]:
    """Without the arrangement (the baseline), then with it (at each utilisation, if swept)."""
    scenarios, labels = [with_arrangement(scenario, in_force=False)], [WITHOUT]
    if utilisations is None:
        scenarios.append(with_arrangement(scenario, in_force=True))
        labels.append(WITH)
    for u in utilisations or []:
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
    for u in utilisations:
        scenarios.append(with_arrangement(other, other.arrangement.in_force, utilisation=u))
        names.append(f"{labels[1]} u={u:g}")
    return scenarios, names


# --- printing -----------------------------------------------------------------

INDICATOR_NAMES = {
    "utilisation_rate": "utilisation rate",
    "green_share": "green share",
    "yellow_share": "yellow share",
    "red_share": "red share",
    "clearance_h_mean": "clearance h mean",
    "clearance_h_median": "clearance h median",
    "clearance_h_p90": "clearance h p90",
}


def _number(value: float, metric: str) -> str:
    if not np.isfinite(value):
        return "-"
    if metric.startswith("delay_cost"):
        return f"{value:,.0f}"
    return f"{value:.3f}" if metric.endswith(("_share", "_rate")) else f"{value:.2f}"


def _difference(mean: float, low: float, high: float, metric: str) -> str:
    if not np.isfinite(mean):
        return "-"
    text = _number(mean, metric)
    text = text if text.startswith("-") else "+" + text
    if np.isfinite(low):
        text += f" ±{_number((high - low) / 2, metric).lstrip('-')}"
    return text


def digest(table: pd.DataFrame, labels: list[str], central_rate: float | None = None) -> str:
    """Per country (then the region) and group: each indicator in every scenario and the
    paired differences from the first, with 95% intervals."""
    metrics = list(HEADLINE) + ([cost_metric(central_rate)] if central_rate is not None else [])
    names = INDICATOR_NAMES | (
        {cost_metric(central_rate): f"delay cost USD/shipment ({100 * central_rate:g}%/day)"}
        if central_rate
        else {}
    )
    totals = (table.port == ALL) & (table["mode"] == ALL)
    areas = table[totals & table.station.isna() & table.metric.isin(metrics)]
    keyed = areas.set_index(["kind", "scenario", "country", "group", "metric"])
    countries = [c for c in dict.fromkeys(areas.country) if c != ALL]
    if len(countries) > 1:
        countries.append(ALL)  # the region
    lines = []
    header = ["country", "group", "indicator", *labels, *(f"{b} - {labels[0]}" for b in labels[1:])]
    for country in countries:
        for group in SUMMARY_GROUPS:
            for metric in metrics:
                if metric == "utilisation_rate" and group != ALL:
                    continue
                cells = []
                for label in labels:
                    key = ("value", label, country, group, metric)
                    cells.append(_number(keyed["mean"].get(key, np.nan), metric))
                for label in labels[1:]:
                    key = ("difference", label, country, group, metric)
                    row = keyed.loc[key] if key in keyed.index else None
                    cells.append(
                        "-"
                        if row is None
                        else _difference(row["mean"], row["ci_low"], row["ci_high"], metric)
                    )
                if all(c == "-" for c in cells):
                    continue
                lines.append([country, group, names[metric], *cells])
    return text_table(header, lines, label_columns=3)
