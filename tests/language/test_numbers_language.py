"""``sim.interpret.numbers`` writes through the language's separators: the same rounding,
other digits; a rounded zero is found whatever the separators; units and ranges in words."""

from __future__ import annotations

import pytest

from sim.interpret.numbers import Kind, money_range, percent, rounded, show
from sim.interpret.terminal import estimate_cell, money_cell
from sim.language import use
from sim.replicate.stats import Estimate


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["1,234.57", "+0.5", "0.0", "1,200", "40%"]),
        ("es", ["1.234,57", "+0,5", "0,0", "1.200", "40%"]),
        ("pt", ["1.234,57", "+0,5", "0,0", "1.200", "40%"]),
    ],
)
def test_rounded_in_each_language(language: str, expected: list[str]) -> None:
    with use(language):
        found = [
            rounded(1234.567, 2),
            rounded(0.5, 1, signed=True),
            rounded(-0.04, 1, signed=True),  # a rounded zero has no sign
            rounded(1234.5, -2),
            percent(0.4),
        ]
    assert found == expected


@pytest.mark.parametrize("language", ["en", "es", "pt"])
def test_a_rounded_zero_is_zero_whatever_the_separators(language: str) -> None:
    with use(language):
        zero = show(Estimate(0.0004, -0.01, 0.01), Kind.SHARE, change=True)
        thousand = show(Estimate(1000.0, 990.0, 1010.0), Kind.COUNT)
    assert zero.is_zero and not thousand.is_zero


@pytest.mark.parametrize(
    ("language", "cell", "money", "interval"),
    [
        ("en", "+9.60 pp ±0.30", "USD 8.56 M ±0.41 M", "USD 8.15 M to 8.97 M"),
        ("es", "+9,60 p. p. ±0,30", "USD 8,56 M ±0,41 M", "USD 8,15 M a 8,97 M"),
        (
            "pt",
            "+9,60 p.p. ±0,30",
            "US$ 8,56 milhões ±0,41 milhão",
            "US$ 8,15 milhões a 8,97 milhões",
        ),
    ],
)
def test_units_and_ranges_in_words(language: str, cell: str, money: str, interval: str) -> None:
    with use(language):
        assert estimate_cell(Estimate(0.096, 0.093, 0.099), "green_share", change=True) == cell
        assert money_cell(Estimate(8.56e6, 8.15e6, 8.97e6)) == money
        low, high = rounded(8.15, 2), rounded(8.97, 2)
        assert money_range(low, high, "USD M") == interval
