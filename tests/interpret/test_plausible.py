"""``sim.interpret.plausible``: the answer names a driver only when its share is resolved."""

from __future__ import annotations

from sim.interpret.plausible import driver_words

SHARE = 1.0  # the inputs make all of the draws' variance


def test_a_driver_whose_interval_reaches_zero_is_not_named() -> None:
    """With 8 draws RBD-FAST gave Peru's gain 'staffing, Chile (75%)' with an interval of 0%
    to 86%: chance, since Peru's ports do not share Chile's officers."""
    chance = [("staffing, Chile", 0.75, 0.0, 0.86), ("utilisation", 0.74, 0.0, 0.9)]
    words = driver_words(chance, SHARE)
    assert "Chile" not in words and "utilisation" not in words
    assert "no input's share of the doubt is resolved yet" in words


def test_resolved_drivers_are_named_largest_first() -> None:
    named = [("utilisation", 0.55, 0.31, 0.79), ("staffing, Chile", 0.3, 0.0, 0.6)]
    words = driver_words(named, SHARE)
    assert words == "most of the doubt is utilisation (55%)"
