"""The tables a notebook user gets: aggregates named by a ``level`` column, not by ``"all"``.

The files (``summary.csv``, ``comparison.csv``) and every internal table write an aggregate's
key as the string ``all`` (``country = all`` is the region, ``port = all`` a country's or a
mode's total): one type per column, stable for 40,000-row joins. A person filtering a
DataFrame expects the pandas way instead: a missing key is missing (``NaN``, found by
``isna()``), and what a row aggregates is said once, in its own column:

======================  =========  ========  ========  ===========================================
``level``               country    mode      port      the row is
======================  =========  ========  ========  ===========================================
``port``                PER        sea       callao    one port (a station's rows too: ``station``)
``country-mode``        PER        sea       NaN       a country's ports of one mode
``country``             PER        NaN       NaN       a country
``region-mode``         NaN        sea       NaN       every country's ports of one mode
``region``              NaN        NaN       NaN       every port of every country
======================  =========  ========  ========  ===========================================

``group`` keeps ``all``: it is a trader group like the others (every shipment), not a level,
and ``NaN`` there already means a station's server pools (no group).

Filters (:func:`select`) take one value or a list; countries by ISO code or name in any case
(``"PER"``, ``"Peru"``, ``"perú"``), as ``--country`` reads them.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import InputError
from sim.model.iso3166 import country_codes
from sim.model.vocabulary import ALL

LEVELS = ("port", "country-mode", "country", "region-mode", "region")
"""What a row aggregates, from the finest to the whole region."""
LEVEL_KEYS = ("country", "mode", "port")

Choice = str | Sequence[str] | None
"""A filter: one value, several, or None for all."""


def level_of(country: str, mode: str, port: str) -> str:
    """The level of a row from its keys as the files write them (``all`` for an aggregate)."""
    if port != ALL:
        return "port"
    if country == ALL:
        return "region" if mode == ALL else "region-mode"
    return "country" if mode == ALL else "country-mode"


def with_levels(table: pd.DataFrame) -> pd.DataFrame:
    """The table with a ``level`` column before its keys, and ``NaN`` for the aggregated keys
    (``all`` in ``country``, ``mode`` or ``port``)."""
    frame = table.copy()
    frame.insert(list(frame.columns).index("country"), "level", _levels(table))
    for key in LEVEL_KEYS:
        values = frame[key].astype(object)
        frame[key] = values.where(values != ALL, np.nan)
    return frame


def _levels(table: pd.DataFrame) -> list[str]:
    keys = (table[key].tolist() for key in LEVEL_KEYS)
    return [level_of(*row) for row in zip(*keys, strict=True)]


def select(
    table: pd.DataFrame,
    *,
    country: Choice = None,
    mode: Choice = None,
    group: Choice = None,
    metric: Choice = None,
    level: Choice = None,
) -> pd.DataFrame:
    """The rows of a table in the files' shape (``all`` for aggregates) that the filters keep.

    ``country`` keeps that country's rows at every level (its ports, modes and total); with
    ``level="region"`` no country applies. Each filter refuses, in one line, a value that
    names nothing in the table.
    """
    keep = pd.Series(True, index=table.index)
    if country is not None:
        known = [c for c in dict.fromkeys(table["country"].tolist()) if c != ALL]
        keep &= table["country"].isin(country_codes(_listed(country), known, "country"))
    for name, given in (("mode", mode), ("group", group), ("metric", metric)):
        if given is None:
            continue
        values = _listed(given)
        known = [
            v for v in dict.fromkeys(table[name].dropna().tolist()) if v != ALL or name == "group"
        ]
        for value in values:
            if value not in known:
                raise InputError(
                    name, value, f"not in the results; choose from {', '.join(map(str, known))}"
                )
        keep &= table[name].isin(values)
    if level is not None:
        values = _listed(level)
        for value in values:
            if value not in LEVELS:
                raise InputError("level", value, f"not a level; choose from {', '.join(LEVELS)}")
        keep &= pd.Series(_levels(table), index=table.index).isin(values)
    return table[keep]


def _listed(value: str | Sequence[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


# --- times as dates ----------------------------------------------------------------------

RECORD_TIMES = ("arrival", "unloaded", "lodgement", "release")
"""Record columns that are instants (hours from the start), besides each station's
``<station>_start`` and ``<station>_end``; the ``_h`` columns are durations and stay hours."""


def start_of(start: Any) -> pd.Timestamp:
    """The date the simulated clock starts on, checked: a Monday, as the model's week begins
    at hour 0 (calendars open Monday 08:00 at hour 8)."""
    try:
        stamp = pd.Timestamp(start)
    except (TypeError, ValueError):
        raise InputError("start", str(start), "not a date; give one such as '2026-01-05'") from None
    if stamp.weekday() != 0 or stamp != stamp.normalize():
        monday = (stamp.normalize() - datetime.timedelta(days=stamp.weekday())).date()
        raise InputError(
            "start",
            str(start),
            f"the simulated week starts on a Monday at 00:00 (its calendars' week); give a "
            f"Monday such as {monday}",
        )
    return stamp


def dated(records: pd.DataFrame, start: Any) -> pd.DataFrame:
    """Records with their instants as dates and times from ``start`` (a Monday)."""
    origin = start_of(start)
    frame = records.copy()
    instants = [c for c in frame.columns if c in RECORD_TIMES or c.endswith(("_start", "_end"))]
    for column in instants:
        frame[column] = origin + pd.to_timedelta(frame[column].to_numpy(float), unit="h")
    return frame
