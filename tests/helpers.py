"""Helpers shared by the tests that read numbers back from a comparison table."""

from __future__ import annotations

import pandas as pd


def area_row(table: pd.DataFrame, **levels: object) -> pd.Series:
    """The one row of a long table at the given levels (a country's or the region's total
    unless ``mode`` or ``port`` is given)."""
    rows = table
    for column, value in {"mode": "all", "port": "all", **levels}.items():
        rows = rows[rows[column] == value]
    assert len(rows) == 1, levels
    return rows.iloc[0]


def assert_printed(text: str, value: float, scale: float = 1.0) -> None:
    """The printed number is ``value * scale`` rounded to the places it shows (a whole
    number's trailing zeros may be rounding: 320,000 may stand for 317,590)."""
    text = text.replace(",", "").replace("+", "")
    whole = -(len(text) - len(text.rstrip("0")))
    places = len(text.split(".")[1]) if "." in text else whole
    assert abs(float(text) - value * scale) <= 0.5 * 10.0**-places + 1e-9, (text, value * scale)
