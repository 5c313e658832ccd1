"""Numbers, money and dates as each language writes them."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.language import use
from sim.language.formats import day, decimal, money, separators


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "en",
            [
                "1,234.5",
                "+12,345.25",
                "0.00",
                "1,235,000",
                "USD 3.47 M",
                "USD 1.2 B",
                "USD 508,000",
            ],
        ),
        (
            "es",
            [
                "1.234,5",
                "+12.345,25",
                "0,00",
                "1.235.000",
                "USD 3,47 M",
                "USD 1,2 mil M",
                "USD 508.000",
            ],
        ),
        (
            "pt",
            [
                "1.234,5",
                "+12.345,25",
                "0,00",
                "1.235.000",
                "US$ 3,47 milhões",
                "US$ 1,2 bilhão",
                "US$ 508.000",
            ],
        ),
    ],
)
def test_numbers_and_money(language: str, expected: list[str]) -> None:
    with use(language):
        found = [
            decimal(1234.5, 1),
            decimal(12345.25, 2, signed=True),
            decimal(-0.0001, 2),
            decimal(1234567, -3),
            money(decimal(3.47, 2), "USD M"),
            money(decimal(1.2, 1), "USD B"),
            money(decimal(508000, 0), "USD"),
        ]
    assert found == expected


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "December 7, 2026"), ("es", "7 de diciembre de 2026"), ("pt", "7 de dezembro de 2026")],
)
def test_dates(language: str, expected: str) -> None:
    with use(language):
        assert day(datetime.date(2026, 12, 7)) == expected


@given(st.floats(-1e9, 1e9, allow_nan=False), st.integers(-3, 4), st.sampled_from(["es", "pt"]))
def test_the_same_digits_in_every_language(value: float, places: int, language: str) -> None:
    """Only the separators change: read back with the language's separators, the number is
    the English one, so a translation never rounds differently."""
    with use("en"):
        english = decimal(value, places)
    with use(language):
        local = decimal(value, places)
    point, group = separators(language)
    assert local.replace(group, "").replace(point, ".") == english.replace(",", "")
