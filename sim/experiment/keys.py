"""Rows of an indicator vector, read by column name rather than by position.

The long table's key columns (``country, port, group, station, metric`` today) come
from :data:`sim.indicators.layout.ROW_KEYS`, so a new level (a ``mode`` column, say)
flows through experiments without a change here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from sim.indicators.layout import HEADLINE, ROW_KEYS
from sim.model.vocabulary import ALL
from sim.replicate.result import SUMMARY_COLUMNS

STAT_COLUMNS: tuple[str, ...] = tuple(SUMMARY_COLUMNS[-4:])
"""What is known about it: mean, ci_low, ci_high, replications."""
_METRIC = ROW_KEYS.index("metric")
_GROUP = ROW_KEYS.index("group")

Key = tuple[Any, ...]


def metric_of(key: Sequence[Any]) -> str:
    return str(key[_METRIC])


def is_headline_total(key: Sequence[Any]) -> bool:
    """A headline indicator of group ``all`` (at any level): what a precision rule judges."""
    return key[_METRIC] in HEADLINE and key[_GROUP] == ALL


def is_whole_scenario(key: Sequence[Any]) -> bool:
    """A row of the whole scenario (every level ``all`` or absent), of any trader group."""
    return all(
        _absent(value) or value == ALL for i, value in enumerate(key) if i not in (_METRIC, _GROUP)
    )


def _absent(value: Any) -> bool:
    """None, or the NaN a table reader may put for it."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def group_of(key: Sequence[Any]) -> Any:
    return key[_GROUP]


def outcome_name(key: Sequence[Any]) -> str:
    """One column name for a row, e.g. ``PER/callao/all/documentary/wait_h_mean``."""
    return "/".join(str(value) for value in key if value is not None)


PREFERRED = (
    "clearance_h_mean",
    "clearance_h_p90",
    "green_share",
    "utilisation_rate",
    "clearance_h_median",
    "red_share",
    "yellow_share",
)
"""What a reader asks first, when the experiment file does not say which indicators it wants."""


def shown_metrics(available: Sequence[str], chosen: Sequence[str] | None, limit: int) -> list[str]:
    """The metrics a digest or a figure shows: the file's order if it chose, else PREFERRED."""
    present = list(dict.fromkeys(available))
    order = list(chosen) if chosen else [*PREFERRED, *present]
    return [m for m in dict.fromkeys(order) if m in present][:limit]
