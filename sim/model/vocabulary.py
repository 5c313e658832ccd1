"""The words every stage shares: trader groups, channels, modes, and the summary groups.

Each tuple fixes an order that every per-group, per-channel array follows (index 0,
1, 2), from the scenario's schema to the indicators' rows and the report's columns.
"""

from __future__ import annotations

from typing import Literal, get_args

GROUPS = ("standard", "national_aeo", "recognised_aeo")
"""Trader groups, in the order used for every per-group array (0, 1, 2)."""
CHANNELS = ("green", "yellow", "red")
"""Selectivity channels, from least to most strict (0, 1, 2)."""
Group = Literal["standard", "national_aeo", "recognised_aeo"]
Mode = Literal["sea", "air", "road", "river", "rail"]
MODES: tuple[str, ...] = get_args(Mode)
"""Modes of transport, as Time Release Studies publish them."""

ALL = "all"
"""Every shipment (a group), every mode or every port (a level): the aggregate."""
ELIGIBLE = "eligible"
"""Shipments whose exporter is an AEO of another member, claimed or not."""
NOT_ELIGIBLE = "not_eligible"
SUMMARY_GROUPS = (ALL, *GROUPS, ELIGIBLE, NOT_ELIGIBLE)
"""The groups of every summary table, in the order they are shown."""
FIXED_MEMBERSHIP = (ALL, ELIGIBLE, NOT_ELIGIBLE)
"""Groups with the same members whatever the arrangement does: their differences are effects."""
