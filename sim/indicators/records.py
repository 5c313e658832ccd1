"""Per-shipment records: one row per counted shipment, the same columns for
simulated and observed data, so that calibration compares like with like.

Times are hours from the scenario start (Monday 00:00). Columns:
``replication, country, port, mode, shipment, origin, group, eligible, claimed,
channel, arrival, unloaded, lodgement, <station>_start, <station>_end,
<station>_overtime_h, release, clearance_h, customs_h``. ``lodgement`` is when the
declaration was lodged (in the broker's office hours, if a calendar says so);
``customs_h`` is release minus the later of ``unloaded`` and ``lodgement``: from when
customs can act. A station a shipment did not visit has NaN times; ports without a
station have no column for it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim.engine.inputs import PortInputs
from sim.engine.outcome import PortOutcome
from sim.model.vocabulary import CHANNELS, GROUPS
from sim.plan.arrays import Plan


def port_records(
    plan: Plan, p: int, replication: int, inputs: PortInputs, outcome: PortOutcome
) -> pd.DataFrame:
    """Records of the counted shipments of port p."""
    port = plan.ports[p]
    lo, hi = np.searchsorted(inputs.arrival, port.window)
    window = slice(lo, hi)
    n = hi - lo
    columns: dict[str, object] = {
        "replication": np.full(n, replication, dtype=np.int64),
        "country": np.full(n, port.country, dtype=object),
        "port": np.full(n, port.name, dtype=object),
        "mode": np.full(n, port.mode, dtype=object),
        "shipment": np.arange(lo, hi, dtype=np.int64),
        "origin": pd.Categorical.from_codes(inputs.origin[window], pd.Index(port.origins)),
        "group": pd.Categorical.from_codes(inputs.group[window], pd.Index(GROUPS)),
        "eligible": inputs.eligible[window],
        "claimed": inputs.claimed[window],
        "channel": pd.Categorical.from_codes(inputs.channel[window], pd.Index(CHANNELS)),
        "arrival": inputs.arrival[window],
        "unloaded": outcome.unloaded[window],
        "lodgement": outcome.lodged[window],
    }
    start, end, overtime = (outcome.by_shipment(name) for name in ("start", "end", "overtime"))
    for s, station in enumerate(port.stations):
        columns[f"{station}_start"] = start[s, window]
        columns[f"{station}_end"] = end[s, window]
        columns[f"{station}_overtime_h"] = overtime[s, window]
    columns["release"] = outcome.release[window]
    columns["clearance_h"] = outcome.release[window] - inputs.arrival[window]
    ready = np.maximum(outcome.unloaded[window], outcome.lodged[window])  # customs can act
    columns["customs_h"] = outcome.release[window] - ready
    if inputs.infringing is not None and inputs.detected is not None:
        columns["infraction"] = inputs.infringing[window]
        columns["finding"] = inputs.detected[window]
        columns["stake_usd"] = inputs.stake[window] if inputs.stake is not None else 0.0
    return pd.DataFrame(columns)


def replication_records(
    plan: Plan, replication: int, results: Sequence[tuple[PortInputs, PortOutcome]]
) -> pd.DataFrame:
    """Records of every port of one replication."""
    frames = [port_records(plan, p, replication, *result) for p, result in enumerate(results)]
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
