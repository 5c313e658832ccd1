"""``sim.numbers``: precision from the interval, money to three figures, minutes, no false bold."""

from __future__ import annotations

import math

import pytest

from sim.interpret.numbers import Kind, detectable, kind_of, show
from sim.replicate.stats import Estimate


def around(mean: float, half: float) -> Estimate:
    return Estimate(mean, mean - half, mean + half)


@pytest.mark.parametrize(
    ("estimate", "text", "half"),
    [
        (around(28.1734, 0.1012), "28.17", "0.10"),  # two significant figures of the half-width
        (around(-1.3912, 0.1187), "-1.39", "0.12"),
        (around(1559.7, 24.6), "1,560", "25"),
        (around(1234.0, 250.0), "1,230", "250"),  # tens: the half-width's second figure
        (around(86.52, 0.0004), "86.5200", "0.0004"),  # at most two decimals past the default
    ],
)
def test_hours_are_rounded_to_their_interval(estimate: Estimate, text: str, half: str) -> None:
    shown = show(estimate, Kind.HOURS)
    assert (shown.mean, shown.half) == (text, half)


def test_without_an_interval_the_kind_decides() -> None:
    assert show(Estimate(28.1734), Kind.HOURS).mean == "28.17"
    assert show(Estimate(0.7412), Kind.SHARE).plain() == "74.1%"
    assert show(Estimate(0.7412), Kind.SHARE).half == ""


def test_shares_are_percent_and_their_changes_percentage_points() -> None:
    value = show(around(0.7412, 0.0013), Kind.SHARE)
    assert value.plain() == "74.12%"
    change = show(around(0.0961, 0.0031), Kind.SHARE, change=True, signed=True)
    assert change.plain() == "+9.61 pp"
    assert change.range() == "+9.30 to +9.92"


@pytest.mark.parametrize(
    ("estimate", "text"),
    [
        (around(8_557_640, 411_000), "USD 8.56 M"),  # three significant figures
        (around(8_557_640, 1_200_000), "USD 8.6 M"),  # fewer when the interval says so
        (around(285_421, 48_130), "USD 285,000"),
        (around(37.93, 1.04), "USD 37.9"),
        (Estimate(2_345_678_901), "USD 2.35 B"),
    ],
)
def test_money_has_at_most_three_significant_figures(estimate: Estimate, text: str) -> None:
    assert show(estimate, Kind.MONEY).plain() == text


def test_hours_below_one_are_minutes_when_units_are_shown() -> None:
    shown = show(around(-0.4, 0.05), Kind.HOURS, signed=True, units=True)
    assert shown.plain() == "-24.0 min"
    assert shown.range() == "-27.0 to -21.0"
    assert show(around(-1.4, 0.05), Kind.HOURS, units=True).plain() == "-1.400 h"
    assert show(around(-0.4, 0.05), Kind.HOURS).plain() == "-0.400"  # tables that say (h)


def test_a_rounded_zero_has_no_sign_and_no_emphasis() -> None:
    tiny = around(-0.000004, 0.000001)  # excludes zero, rounds to zero (at 3 decimals of pp)
    shown = show(tiny, Kind.SHARE, change=True, signed=True)
    assert shown.mean in ("0.00", "0.000", "0.0000")
    assert not shown.mean.startswith(("-", "+"))
    assert tiny.excludes_zero() and not detectable(tiny, shown)


def test_emphasis_only_when_the_interval_excludes_zero() -> None:
    covers = around(0.3, 0.5)
    excludes = around(-1.39, 0.08)
    assert not detectable(covers, show(covers, Kind.HOURS))
    assert detectable(excludes, show(excludes, Kind.HOURS))
    assert not detectable(Estimate(-1.39), show(Estimate(-1.39), Kind.HOURS))  # no interval


def test_scaled_by_a_negative_factor_swaps_the_bounds() -> None:
    assert Estimate(2.0, 1.0, 3.0).scaled(-10) == Estimate(-20.0, -30.0, -10.0)


@pytest.mark.parametrize(
    ("metric", "kind"),
    [
        ("green_share", Kind.SHARE),
        ("utilisation_rate", Kind.SHARE),
        ("general_utilisation", Kind.SHARE),
        ("clearance_h_p90", Kind.HOURS),
        ("overtime_h", Kind.HOURS),
        ("delay_cost_usd_1.3pct", Kind.MONEY),
        ("shipments", Kind.COUNT),
    ],
)
def test_kind_of_each_metric(metric: str, kind: Kind) -> None:
    assert kind_of(metric) is kind


def test_missing_values_print_as_a_dash() -> None:
    assert show(Estimate(math.nan), Kind.HOURS).mean == "-"
