"""The tables a Time Release Study publishes, from records observed or simulated alike.

The WCO Time Release Study Guide reports the time from arrival to release and the time of
each step in between, as mean, median, a high percentile and range, broken down by mode
of transport, inspection channel, trader (AEO or not) and use of pre-arrival lodgement,
with the hourly and daily patterns of the traffic (docs/sources.md §3.1). The same tables
are made here from any records on the scenario clock (hours from Monday 00:00 local):

- **stages**: arrival to release (the total), arrival to unloading, arrival to lodgement
  (negative when lodged before arrival), customs time (release minus the later of goods
  available and lodgement), each check from its start to its end, and the last check's end
  (or readiness) to release — each where the records have the times it needs;
- **breakdowns**: all, mode, channel, trader group, pre-arrival lodgement, port;
- **released within** 1 h, 6 h, 24 h, 48 h and 7 days of arrival;
- **patterns**: arrivals, lodgements and releases by hour of the day and day of the week,
  and the mean total by hour and day of arrival.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

TOTAL = "arrival to release"
CUSTOMS = "customs (ready to release)"
WITHIN_H = (1.0, 6.0, 24.0, 48.0, 168.0)
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
STAT_COLUMNS = ("n", "mean_h", "median_h", "p90_h", "min_h", "max_h")


@dataclass(frozen=True)
class TrsTables:
    """The tables of one set of records (``source``: observed or simulated), long format."""

    stages: pd.DataFrame  # source, breakdown, level, stage, n, mean_h, median_h, p90_h, ...
    within: pd.DataFrame  # source, breakdown, level, within_h, share
    hourly: pd.DataFrame  # source, hour, arrivals, lodgements, releases, total_mean_h
    daily: pd.DataFrame  # source, weekday, arrivals, lodgements, releases, total_mean_h

    def joined(self, other: TrsTables) -> TrsTables:
        return TrsTables(
            *(
                pd.concat([a, b], ignore_index=True)
                for a, b in zip(self.frames(), other.frames(), strict=True)
            )
        )

    def frames(self) -> tuple[pd.DataFrame, ...]:
        return self.stages, self.within, self.hourly, self.daily


FILES = ("trs_stages.csv", "trs_within.csv", "trs_hourly.csv", "trs_daily.csv")


def stage_times(frame: pd.DataFrame, stations: Sequence[str], present: set[str]) -> pd.DataFrame:
    """One column of hours per stage the records measure (NaN where a shipment has none)."""
    arrival, release = frame.arrival, frame.release
    out = {TOTAL: release - arrival}
    available = arrival
    if "unloaded" in present:
        out["arrival to unloading"] = frame.unloaded - arrival
        available = frame.unloaded.where(frame.unloaded.notna(), arrival)
    ready = available
    if "lodgement" in present:
        out["arrival to lodgement"] = frame.lodgement - arrival
        ready = pd.concat([available, frame.lodgement], axis=1).max(axis=1)
        out[CUSTOMS] = release - ready
    last = ready.copy()
    ends = [f"{s}_end" for s in stations if f"{s}_end" in present]
    for station in stations:
        if {f"{station}_start", f"{station}_end"} <= present:
            out[f"{station} check"] = frame[f"{station}_end"] - frame[f"{station}_start"]
    if ends:
        last = pd.concat([last, *(frame[e] for e in ends)], axis=1).max(axis=1)
        out["last check to release"] = release - last
    return pd.DataFrame(out, index=frame.index)


def levels(frame: pd.DataFrame) -> dict[str, pd.Series]:
    """The level of every row in each breakdown (missing where unknown)."""
    pre = pd.Series(pd.NA, index=frame.index, dtype=object)
    if "lodgement" in frame.columns and frame.lodgement.notna().any():
        known = frame.lodgement.notna()
        pre[known] = np.where(
            frame.lodgement[known] < frame.arrival[known], "pre-arrival", "after arrival"
        )
    if "pre_arrival" in frame.columns and frame.pre_arrival.notna().any():
        flag = frame.pre_arrival
        pre = pre.where(pre.notna(), flag.map({1.0: "pre-arrival", 0.0: "after arrival"}))
    return {
        "all": pd.Series("all", index=frame.index, dtype=object),
        "mode": frame["mode"].astype(object) if "mode" in frame else pd.Series(dtype=object),
        "channel": frame.channel.astype(object),
        "group": frame.group.astype(object),
        "pre_arrival": pre,
        "port": (frame.country.astype(str) + "/" + frame.port.astype(str)).astype(object),
    }


def trs_tables(
    frame: pd.DataFrame, stations: Sequence[str], present: set[str], source: str
) -> TrsTables:
    """Every table of the study, for one set of records."""
    times = stage_times(frame, stations, present)
    by = levels(frame)
    stages = _stages(times, by, source)
    within = _within(times[TOTAL], by, source)
    hourly, daily = _patterns(frame, times[TOTAL], source)
    return TrsTables(stages, within, hourly, daily)


def _stages(times: pd.DataFrame, by: dict[str, pd.Series], source: str) -> pd.DataFrame:
    parts = []
    for breakdown, level in by.items():
        if level.dropna().empty:
            continue
        grouped = times.groupby(level.reindex(times.index), sort=True, dropna=True)
        for stage in times.columns:
            column = grouped[stage]
            stats = pd.DataFrame(
                {
                    "n": column.count(),
                    "mean_h": column.mean(),
                    "median_h": column.median(),
                    "p90_h": column.quantile(0.9),
                    "min_h": column.min(),
                    "max_h": column.max(),
                }
            )
            stats = stats[stats.n > 0]
            parts.append(stats.reset_index(names="level").assign(breakdown=breakdown, stage=stage))
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    order = ["source", "breakdown", "level", "stage", *STAT_COLUMNS]
    return table.assign(source=source)[order] if len(table) else pd.DataFrame(columns=order)


def _within(total: pd.Series, by: dict[str, pd.Series], source: str) -> pd.DataFrame:
    rows = []
    for breakdown, level in by.items():
        if level.dropna().empty:
            continue
        for name, hours in total.groupby(level.reindex(total.index), sort=True):
            hours = hours.dropna()
            if hours.empty:
                continue
            for limit in WITHIN_H:
                share = float((hours <= limit).mean())
                rows.append((source, breakdown, name, limit, share))
    return pd.DataFrame(rows, columns=["source", "breakdown", "level", "within_h", "share"])


def _patterns(frame: pd.DataFrame, total: pd.Series, source: str) -> tuple[pd.DataFrame, ...]:
    """Counts by hour of the day and day of the week (arrivals, lodgements, releases), and
    the mean total by the hour and day of arrival."""
    out = []
    for name, size, unit in (("hour", 24, 1.0), ("weekday", 7, 24.0)):
        table = pd.DataFrame({name: np.arange(size)})
        for event, column in (
            ("arrivals", "arrival"),
            ("lodgements", "lodgement"),
            ("releases", "release"),
        ):
            if column in frame.columns and frame[column].notna().any():
                slot = _slot(frame[column], size, unit)
                table[event] = np.bincount(slot[slot >= 0], minlength=size)[:size]
            else:
                table[event] = 0
        slot = _slot(frame.arrival, size, unit)
        known = (slot >= 0) & total.notna().to_numpy()
        sums = np.bincount(slot[known], weights=total.to_numpy()[known], minlength=size)
        counts = np.bincount(slot[known], minlength=size)
        with np.errstate(invalid="ignore", divide="ignore"):
            table["total_mean_h"] = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
        if name == "weekday":
            table[name] = [WEEKDAYS[d] for d in table[name]]
        out.append(table.assign(source=source)[["source", *table.columns]])
    return out[0], out[1]


def _slot(hours: pd.Series, size: int, unit: float) -> np.ndarray:
    """The hour of the day (unit 1, size 24) or day of the week (unit 24, size 7); -1 if none."""
    values = hours.to_numpy(dtype=float, na_value=np.nan)
    known = np.isfinite(values)
    slot = np.full(len(values), -1, dtype=np.int64)
    slot[known] = (np.floor(values[known] / unit) % size).astype(np.int64)
    return slot


class Collector:
    """A run's records kept as the tables need them, replication by replication (the
    ``records_sink`` of :func:`sim.replicate.runner.run`): text columns as categories, times
    only, nothing of the overtime or derived columns."""

    def __init__(self) -> None:
        self.parts: list[pd.DataFrame] = []

    def __call__(self, frame: pd.DataFrame) -> None:
        keep = [c for c in frame.columns if c in KEPT or c.endswith(("_start", "_end"))]
        self.parts.append(frame[keep].copy())

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame(columns=list(KEPT))
        return pd.concat(self.parts, ignore_index=True)


KEPT = (
    "country",
    "port",
    "mode",
    "group",
    "channel",
    "arrival",
    "unloaded",
    "lodgement",
    "release",
)


def collected_bytes(rows: float, stations: int) -> float:
    """Memory the tables of ``rows`` simulated shipments need at their peak: the kept columns
    (five labels, four milestones, two times a station, 8 bytes each), twice over while the
    replications are joined."""
    return 2.0 * rows * 8 * (5 + 4 + 2 * stations)


def simulated_stations(frame: pd.DataFrame) -> tuple[list[str], set[str]]:
    """The stations a run's records name, and every time column they hold."""
    from sim.records.columns import stations_of, time_columns

    columns = list(frame.columns)
    return stations_of(columns), set(time_columns(columns))
