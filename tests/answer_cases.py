"""A comparison table with chosen estimates, for the answer's golden sentences: the rows the
answer reads (:class:`sim.interpret.answer.Table`), and the settings of its scenarios.

Every number is set here, so a sentence read and checked once for grammar stays the same
until the words change: no simulation, no seed, no noise.
"""

from __future__ import annotations

import math

import pandas as pd

from sim.interpret.answer import Setting, Settings
from sim.model.schema import Arrangement
from sim.model.vocabulary import ALL, ELIGIBLE, NOT_ELIGIBLE

DAYS = 28.0
COST = "delay_cost_usd_1.3pct"
REPLICATIONS = 10

# per country: eligible clearance (baseline h, change, half-width), green change (pp, half),
# other shipments' change (h, half), cost per shipment change (USD, half), shipments counted
REGION = {
    "PER": ((20.0, -3.2, 0.5), (0.096, 0.01), (-0.01, 0.02), (-40.0, 5.0), 2800.0),
    "CHL": ((30.0, -0.9, 1.5), (0.05, 0.02), (0.0, 0.03), (-10.0, 3.0), 1400.0),
    "BRA": ((50.0, -2.5, 0.4), (0.07, 0.01), (0.01, 0.02), (-30.0, 4.0), 5600.0),
    ALL: ((35.0, -1.7, 0.3), (0.072, 0.005), (0.0, 0.01), (-28.0, 2.0), 9800.0),
}
CLOCKS = {"PER": "arrival to release", "CHL": None, "BRA": "registration to release"}


def _row(kind: str, label: str, area: str, group: str, metric: str, mean: float, half: float):
    return {
        "kind": kind,
        "scenario": label,
        "country": area,
        "mode": ALL,
        "port": ALL,
        "group": group,
        "metric": metric,
        "station": math.nan,
        "mean": mean,
        "ci_low": mean - half,
        "ci_high": mean + half,
        "replications": REPLICATIONS,
    }


def _area_rows(area: str, baseline: str, label: str, scale: float) -> list[dict]:
    """One area's rows in a compared scenario whose effects are ``scale`` times the table's."""
    (level, change, half), green, others, cost, shipments = REGION[area]
    rows = [
        _row("value", baseline, area, ELIGIBLE, "clearance_h_mean", level, 0.2),
        _row("value", label, area, ELIGIBLE, "clearance_h_mean", level + scale * change, 0.2),
        _row("difference", label, area, ELIGIBLE, "clearance_h_mean", scale * change, half),
        _row("difference", label, area, ELIGIBLE, "green_share", scale * green[0], green[1]),
        _row("difference", label, area, NOT_ELIGIBLE, "clearance_h_mean", *others),
        _row("difference", label, area, ALL, COST, scale * cost[0], cost[1]),
        _row("value", baseline, area, ALL, "shipments", shipments, 0.0),
        _row("value", label, area, ALL, "shipments", shipments, 0.0),
        _row("value", baseline, area, ALL, "yellow_share", 0.25, 0.01),
        _row("value", label, area, ALL, "yellow_share", 0.22, 0.01),
        _row("difference", label, area, ALL, "yellow_share", -0.03, 0.004),
    ]
    return rows


def comparison(
    areas: tuple[str, ...] = ("PER", "CHL", "BRA", ALL),
) -> tuple[pd.DataFrame, Settings]:
    """The bundled comparison's shape: without the arrangement, then with it at 40%."""
    rows = [r for area in areas for r in _area_rows(area, "without", "with", 1.0)]
    settings = Settings(
        {
            "without": Setting(Arrangement(in_force=False), DAYS),
            "with": Setting(Arrangement(utilisation=0.4), DAYS),
        },
        {code: CLOCKS[code] for code in areas if code != ALL},
    )
    return pd.DataFrame(rows), settings


def sweep() -> tuple[pd.DataFrame, Settings]:
    """A utilisation sweep (20% to 80%) of Peru and Brazil, whose clocks are declared alike."""
    areas = ("PER", "BRA", ALL)
    rows = []
    for label, scale in (("u20", 0.5), ("u80", 2.0)):
        rows += [r for area in areas for r in _area_rows(area, "u0", label, scale)]
    rows = [dict(r) for r in {tuple(r.items()): r for r in rows}.values()]  # baseline once
    settings = Settings(
        {
            "u0": Setting(Arrangement(utilisation=0.0), DAYS),
            "u20": Setting(Arrangement(utilisation=0.2), DAYS),
            "u80": Setting(Arrangement(utilisation=0.8), DAYS),
        },
        {"PER": "arrival to release", "BRA": "arrival to release"},
    )
    return pd.DataFrame(rows), settings
