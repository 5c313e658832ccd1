"""The record format's vocabulary: which columns a record file has, and what each holds.

One row per declaration, the columns ``mrasim run --records`` writes, so that observed and
simulated records are read the same way (see :mod:`sim.indicators.records`). An
administration's export reaches these names through a mapping file (:mod:`.mapping`).
"""

from __future__ import annotations

from sim.model.iso3166 import ALPHA3, OTHER
from sim.model.vocabulary import CHANNELS, GROUPS, MODES

REQUIRED = ("country", "port", "group", "channel", "arrival", "release")
"""What every record needs: where, who, which channel, and the two ends of clearance."""
MILESTONES = ("arrival", "unloaded", "lodgement", "release")
"""Time columns common to every port; stations add ``<station>_start`` and ``<station>_end``."""
FLAGS = ("eligible", "claimed", "pre_arrival", "infraction", "finding")
"""Yes/no columns; ``pre_arrival`` is read from lodgement before arrival when not given;
``infraction`` (the declaration carried one) and ``finding`` (a check found one) are the
control side's outcomes (:mod:`sim.calibrate.control`)."""
STATION_ENDS = ("_start", "_end")
OPTIONAL = ("declaration_id", "shipment", "replication", "mode", "origin", *FLAGS, "unloaded")
KNOWN = (*REQUIRED, *(c for c in (*OPTIONAL, "lodgement") if c not in REQUIRED))
"""Every column name a record file may use, stations' start and end times aside."""

CATEGORIES: dict[str, tuple[str, ...] | frozenset[str]] = {
    "group": GROUPS,
    "channel": CHANNELS,
    "mode": MODES,
    "origin": ALPHA3 | {OTHER},
    "country": ALPHA3,
    "eligible": ("true", "false"),
    "claimed": ("true", "false"),
    "pre_arrival": ("true", "false"),
    "infraction": ("true", "false"),
    "finding": ("true", "false"),
}
"""The values a column may hold after its value map; ``port`` is free (the template's)."""

YES = frozenset({"1", "true", "t", "y", "yes", "s", "si", "sí", "sim", "x", "oea", "aeo"})
NO = frozenset({"0", "false", "f", "n", "no", "não", "nao", ""})
"""Yes/no as exports write them (English, Spanish, Portuguese), compared case-blind."""


def is_station_time(name: str) -> bool:
    """``<station>_start`` or ``<station>_end`` (what a station's times are called)."""
    stem = name.rsplit("_", 1)[0]
    return name.endswith(STATION_ENDS) and bool(stem) and stem.isidentifier()


def is_record_column(name: str) -> bool:
    return name in KNOWN or is_station_time(name)


def time_columns(names: list[str] | tuple[str, ...]) -> list[str]:
    """The time columns among ``names``: milestones first, then stations' in file order."""
    return [c for c in MILESTONES if c in names] + [c for c in names if is_station_time(c)]


def stations_of(names: list[str] | tuple[str, ...]) -> list[str]:
    """Stations named by ``<station>_start``/``_end`` columns, in order of appearance."""
    return list(dict.fromkeys(c.rsplit("_", 1)[0] for c in names if is_station_time(c)))
