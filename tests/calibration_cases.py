"""Known ports for calibration tests: a truth that generates records, a rough template to fit.

The truth is a scenario whose records ``mrasim`` generates; the template has the same
structure (stations, routes, calendars, which stage times are given per group) with
other values, as an analyst's rough guesses would be. Calibrating the template to the
truth's records must recover the truth's values within their intervals.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

import sim
from sim.model.load import scenario_from_dict
from sim.model.schema import Scenario

OFFICE = {"days": ["mon", "tue", "wed", "thu", "fri"], "hours": ["08:00-12:00", "13:00-17:00"]}
BROKER = {"days": ["mon", "tue", "wed", "thu", "fri", "sat"], "hours": ["07:00-19:00"]}
PORT = "countries.PER.ports.callao"


def truth(
    stations: int = 2, calendar: bool = True, broker: bool = False, days: float = 30
) -> dict[str, Any]:
    """A port with one or two checks (documentary, then physical for red), optionally in
    office hours, optionally with a broker's calendar for lodgement."""
    office = "office" if calendar else None
    documentary = {
        "servers": 7,
        "calendar": office,
        "service_h": {"dist": "lognormal", "mean": 0.6, "cv": 0.7},
        "priority": {"national_aeo": 0, "standard": 1},
    }
    physical = {
        "servers": 8,
        "calendar": office,
        "service_h": {"dist": "gamma", "mean": 2.0, "cv": 0.5},
    }
    port: dict[str, Any] = {
        "mode": "sea",
        "arrivals": {
            "per_day": 160,
            "weekly_profile": [1.2, 1.1, 1.0, 1.0, 1.1, 0.5, 0.3],
            "hourly_profile": [0.4] * 6 + [1.4] * 12 + [0.6] * 6,
        },
        "origins": {"CHL": 0.25, "BRA": 0.15, "OTHER": 0.6},
        "national_aeo_share": 0.25,
        "lodgement": {
            "pre_arrival_share": {"standard": 0.3, "national_aeo": 0.8},
            "delay_h": {"dist": "lognormal", "mean": 6.0, "cv": 1.2},
        },
        "channels": {
            "standard": {"green": 0.6, "yellow": 0.25, "red": 0.15},
            "national_aeo": {"green": 0.9, "yellow": 0.07, "red": 0.03},
        },
        "routes": {
            "yellow": ["documentary"],
            "red": ["documentary", "physical"] if stations == 2 else ["documentary"],
        },
        "stations": {"documentary": documentary},
        "delays": {
            "unloading_h": {"dist": "gamma", "mean": 4.0, "cv": 0.6},
            "release_h": {"dist": "exponential", "mean": 1.0},
        },
    }
    if stations == 2:
        port["stations"]["physical"] = physical
    if broker:
        port["lodgement"]["calendar"] = "broker"
    return {
        "name": "truth",
        "horizon_days": days,
        "warmup_days": 7,
        "seed": 1,
        "calendars": {"office": OFFICE, "broker": BROKER},
        "arrangement": {"in_force": True, "utilisation": 0.5},
        "countries": {
            "PER": {"ports": {"callao": _drop_none(port)}},
            "CHL": {"aeo_exporter_share": 0.3},
            "BRA": {"aeo_exporter_share": 0.2},
        },
    }


def rough(data: dict[str, Any]) -> dict[str, Any]:
    """The same structure with the values an analyst might guess before seeing data."""
    out = copy.deepcopy(data)
    out["name"] = "template"
    port = out["countries"]["PER"]["ports"]["callao"]
    port["arrivals"] = {"per_day": 100}
    port["origins"] = {"OTHER": 1.0}
    port["national_aeo_share"] = 0.1
    port["lodgement"]["pre_arrival_share"] = {"standard": 0.5, "national_aeo": 0.5}
    port["lodgement"]["delay_h"] = {"dist": "exponential", "mean": 3.0}
    port["channels"] = {
        "standard": {"green": 0.5, "yellow": 0.3, "red": 0.2},
        "national_aeo": {"green": 0.8, "yellow": 0.1, "red": 0.1},
    }
    for name, station in port["stations"].items():
        station["servers"] += 2 if name == "documentary" else -1
        station["service_h"] = {"dist": "lognormal", "mean": 1.5 * _mean(station), "cv": 1.0}
    port["delays"]["unloading_h"] = {"dist": "lognormal", "mean": 2.0, "cv": 1.0}
    port["delays"]["release_h"] = {"dist": "lognormal", "mean": 3.0, "cv": 1.0}
    return out


def _mean(station: dict[str, Any]) -> float:
    return float(station["service_h"]["mean"])


def _drop_none(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _drop_none(v) for k, v in node.items() if v is not None}
    return node


def write_scenario(data: dict[str, Any], path: Path) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def records(data: dict[str, Any], seed: int, replications: int = 1) -> pd.DataFrame:
    """The records ``mrasim run --records`` would write for the truth at this seed."""
    scenario = scenario_from_dict(copy.deepcopy(data))
    result = sim.run(scenario, replications=replications, seed=seed, workers=1, keep_records=True)
    return result.records()


def true_value(scenario: Scenario, path: str) -> Any:
    """The truth at a calibration field's path; profiles normalised to mean 1 (as fitted)."""
    base, _, index = path.partition("[")
    node: Any = scenario.model_dump(by_alias=True)
    keys = base.split(".")
    for key in keys:
        node = node.get(key) if isinstance(node, dict) else None
    if keys[-1] in ("weekly_profile", "hourly_profile"):
        length = 7 if keys[-1] == "weekly_profile" else 24
        profile = np.asarray(node if node is not None else [1.0] * length, dtype=float)
        node = list(profile / profile.mean())
    if index:
        node = node[int(index.rstrip("]"))]
    if keys[-1] == "cv" and node is None:  # an exponential time: its cv is 1
        node = 1.0
    return node


def coverage(fitted: Scenario, truth_scenario: Scenario) -> list[tuple[str, float, Any, bool]]:
    """(path, true value, interval, covered) of every fitted number with an interval."""
    (entry,) = fitted.calibration
    out = []
    for field in entry.fields:
        if field.interval is None:
            continue
        true = true_value(truth_scenario, field.path)
        if true is None:  # a field the truth does not have (an origin it never sends)
            true = 0.0
        low, high = field.interval
        high = math.inf if high is None else high
        out.append((field.path, float(true), field.interval, low <= float(true) <= high))
    return out
