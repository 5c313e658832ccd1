"""Numbers as people read them: rounded to what their interval supports, with their unit.

One module for the terminal and the report alike, so the two never print the same
estimate two ways. The rules:

* **Precision follows the interval.** A mean is printed to the decimal place of the
  second significant figure of its 95% half-width: ``28.17 ±0.10``, ``1,560 ±25``,
  ``-1.4 ±0.12`` is never printed as ``-1.3912 ±0.1187``. Without an interval (one
  replication) each kind of number has a default precision.
* **Money** has at most three significant figures, and millions and billions are
  written ``USD 8.56 M``: a saving is never more precise than its inputs.
* **Hours below one** are written in minutes where a unit is shown (``36 min``).
* **Shares** are percentages and their changes percentage points (``+9.6 pp``);
  relative changes are percentages of the baseline (``-2.4%``).
* A rounded zero carries no sign, and :func:`detectable` is what may be set in bold:
  an interval that excludes zero *and* a rounded mean that is not zero.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from enum import Enum
from typing import NamedTuple

from sim.language import _
from sim.language.catalog import active
from sim.language.formats import decimal, money, money_prefix, separators
from sim.replicate.stats import Estimate


class Kind(Enum):
    """What a number measures, which decides its scale, unit and default precision."""

    HOURS = "hours"
    SHARE = "share"  # a fraction, printed in percent (changes in percentage points)
    PERCENT = "percent"  # already in percent: relative changes
    MONEY = "money"  # USD
    COUNT = "count"
    NUMBER = "number"


DEFAULT_DECIMALS = {
    Kind.HOURS: 2,
    Kind.SHARE: 1,
    Kind.PERCENT: 1,
    Kind.MONEY: 2,  # then at most three significant figures
    Kind.COUNT: 0,
    Kind.NUMBER: 3,
}
"""Decimals (after scaling to percent) when there is no interval to go by."""
EXTRA_DECIMALS = 2
"""At most this many decimals beyond the default, however narrow the interval."""
MONEY_FIGURES = 3
HALF_WIDTH_FIGURES = 2


CONTROL_COUNTS = frozenset({"checks", "infractions", "detections", "missed"})
"""The control side's counts (:data:`sim.indicators.layout.CONTROL`)."""


def kind_of(metric: str) -> Kind:
    """The kind of an indicator, from its name."""
    if metric in CONTROL_COUNTS:
        return Kind.COUNT
    if metric.endswith("_usd"):  # revenue_at_risk_usd
        return Kind.MONEY
    if metric.endswith("_per_officer_h"):  # a rate per hour, not a time
        return Kind.NUMBER
    if metric.endswith(("_share", "_rate", "utilisation")):
        return Kind.SHARE
    if metric.startswith("delay_cost"):
        return Kind.MONEY
    if metric == "shipments":
        return Kind.COUNT
    if metric.endswith("_h") or "_h_" in metric:
        return Kind.HOURS
    return Kind.NUMBER


class Shown(NamedTuple):
    """An estimate as text: its mean, bounds and half-width rounded alike, and a unit."""

    mean: str
    low: str
    high: str
    half: str
    unit: str  # "", "h", "min", "%", "pp", "USD", "M", ...

    def with_half(self) -> str:
        """``-1.4 h ±0.12`` (the interval as a half-width), or the mean alone."""
        return self.plain() + (f" ±{self.half}" if self.half else "")

    def with_range(self) -> str:
        """``-1.4 h (-1.5 to -1.3)`` (the interval as bounds), or the mean alone."""
        return self.plain() + (f" ({self.range()})" if self.low else "")

    def range(self) -> str:
        """``-1.5 to -1.3``; empty without an interval."""
        return span(self.low, self.high) if self.low else ""

    def plain(self) -> str:
        """The mean with its unit (money as the language writes it: ``US$ 3,47 milhões``)."""
        if self.unit.startswith("USD"):
            return money(self.mean, self.unit)
        return f"{self.mean}{self._unit_after()}"

    @property
    def prefix(self) -> str:
        """The dollar sign and its space before a sum (``USD `` or ``US$ ``), else nothing."""
        return f"{money_prefix()} " if self.unit.startswith("USD") else ""

    def _unit_after(self) -> str:
        unit = self.unit.removeprefix("USD").strip()
        if not unit:
            return ""
        return unit if unit == "%" else f" {unit_text(unit)}"

    @property
    def is_zero(self) -> bool:
        """Whether the rounded mean is zero (nothing to emphasise), whatever the separators."""
        return set(filter(str.isdigit, self.mean)) <= {"0"}


def span(low: str, high: str) -> str:
    """Two bounds already written: ``-1.5 to -1.3`` (``-1,5 a -1,3``)."""
    return _("{low} to {high}").format(low=low, high=high)


def bare_money(amount: str, unit: str) -> str:
    """An amount with its scale but no dollar sign (``8.97 M``, ``8,97 milhões``): the second
    bound of a range, or a half-width, after a first amount that carries the sign."""
    written = money(amount, unit)
    return written.removeprefix(money_prefix()).strip()


def money_range(low: str, high: str, unit: str) -> str:
    """``USD 8.15 M to 8.97 M`` (``US$ 8,15 milhões a 8,97 milhões``): bounds already written."""
    return span(money(low, unit), bare_money(high, unit))


def unit_text(unit: str) -> str:
    """A unit as the language abbreviates it: percentage points are ``pp`` in English,
    ``p. p.`` in Spanish, ``p.p.`` in Portuguese; hours and minutes are ``h`` and ``min``."""
    return _("pp") if unit == "pp" else unit


def plural_count(written: str) -> int:
    """The count for ``ngettext`` of a number already written (``1``, ``1,5``, ``28``): 1
    where the language says it in the singular (CLDR's rules: Portuguese says *1,5 ponto*,
    Spanish *1,5 puntos*), else 2; gettext's own rule reads only whole numbers."""
    from decimal import Decimal, InvalidOperation

    from babel import Locale

    from sim.language.formats import LOCALE

    point, group = separators(active())
    digits = written.strip().lstrip("+-").replace(group, "").replace(point, ".")
    try:
        number = Decimal(digits)
    except InvalidOperation:
        return 2
    return 1 if Locale.parse(LOCALE[active()]).plural_form(number) == "one" else 2


def general(value: float) -> str:
    """A setting as written in a file (``1.3``, ``28``: Python's ``g``) with the language's
    decimal sign (``1,3``): rates and days, which are not estimates to round."""
    text = f"{value:g}"
    return text.replace(".", separators(active())[0])


def significant(value: float, figures: int = 3, signed: bool = False) -> str:
    """``value`` to ``figures`` significant figures, trailing zeros dropped as ``%g`` drops
    them (``-1.24``, ``38.5``, ``0.25``, ``1,240``), in the active language: a figure's hover
    text, a fit's table or a setting, where no interval decides the digits."""
    if not math.isfinite(value) or value == 0:
        return decimal(value, 0, signed=signed)
    places = min(figures - 1 - math.floor(math.log10(abs(value))), 6)
    rounded = round(value, places)
    places = next((d for d in range(max(places, 0)) if round(value, d) == rounded), places)
    return decimal(value, places, signed=signed)


def decimals_for(
    estimate: Estimate, kind: Kind, scale: float = 1.0, figures: int | None = None
) -> int:
    """Decimal places (may be negative: tens, hundreds) supported by the interval.

    Two significant figures of the half-width; the kind's default without an
    interval (or with a zero one); never more than the default plus two; and, for
    money or when ``figures`` is given, no more significant figures than that.
    """
    default = DEFAULT_DECIMALS[kind]
    half = abs(estimate.half_width) * scale
    if not estimate.has_interval or half == 0 or not math.isfinite(half):
        decimals = default
    else:
        decimals = HALF_WIDTH_FIGURES - 1 - math.floor(math.log10(half))
        decimals = min(decimals, default + EXTRA_DECIMALS)
    if kind is Kind.MONEY:
        figures = min(figures or MONEY_FIGURES, MONEY_FIGURES)
    if figures is not None and math.isfinite(estimate.mean) and estimate.mean != 0:
        magnitude = math.floor(math.log10(abs(estimate.mean) * scale))
        decimals = min(decimals, figures - 1 - magnitude)
    return decimals


def rounded(value: float, decimals: int, signed: bool = False) -> str:
    """``value`` to ``decimals`` places (negative: to tens, hundreds...), with thousands
    separators, in the active language (``1,234.5``, ``1.234,5``); a rounded zero has no
    sign."""
    return decimal(value, decimals, signed=signed)


def show(
    estimate: Estimate,
    kind: Kind,
    *,
    signed: bool = False,
    change: bool = False,
    units: bool = False,
    figures: int | None = None,
    unit: str | None = None,
) -> Shown:
    """An estimate as text.

    ``change``: a difference (shares in percentage points); ``signed``: a ``+`` on
    positive numbers; ``units``: hours below one in minutes and a unit on hours;
    ``figures``: at most this many significant figures (prose reads 2.4%, not 2.407%);
    ``unit``: the unit of hours (``h``, ``min``) or money (``USD``, ``USD M``, ``USD B``)
    chosen for a whole column (:func:`column_unit`) rather than for this number alone.
    """
    factor = 1.0
    if kind is Kind.SHARE:
        factor, unit = 100.0, "pp" if change else "%"
    elif kind is Kind.PERCENT:
        unit = "%"
    elif kind is Kind.MONEY:
        unit = unit or _money_unit(estimate.mean)
        factor = MONEY_SCALES[unit]
    elif kind is Kind.HOURS and units:
        unit = unit or _hours_unit(max(map(abs, estimate), key=_finite))
        factor = 60.0 if unit == "min" else 1.0
    else:
        unit = ""
    scaled = estimate.scaled(factor)
    decimals = decimals_for(scaled, kind, figures=figures)
    if unit == "min":
        decimals = min(decimals, 1)
    half = rounded(scaled.half_width, decimals) if scaled.has_interval else ""
    return Shown(
        rounded(scaled.mean, decimals, signed),
        rounded(scaled.low, decimals, signed) if scaled.has_interval else "",
        rounded(scaled.high, decimals, signed) if scaled.has_interval else "",
        half,
        unit,
    )


def _finite(value: float) -> float:
    return value if math.isfinite(value) else -1.0


MONEY_SCALES = {"USD": 1.0, "USD M": 1e-6, "USD B": 1e-9}
"""Money's units and what a dollar is in each."""


def _money_unit(value: float) -> str:
    for threshold, unit in ((1e9, "USD B"), (1e6, "USD M")):
        if _finite(abs(value)) >= threshold:
            return unit
    return "USD"


def _hours_unit(value: float) -> str:
    return "min" if _finite(value) < 1 else "h"


def column_unit(estimates: Iterable[Estimate], kind: Kind) -> str | None:
    """One unit for a column of hours or money, from its largest value: minutes only when every
    value is below an hour, millions when the largest is a million or more. A column never
    mixes ``-21.2 min`` with ``-1.179 h``, nor ``USD 508,000`` with ``USD 2.76 M``."""
    means = [abs(e.mean) for e in estimates if math.isfinite(e.mean)]
    if not means:
        return None
    if kind is Kind.MONEY:
        return _money_unit(max(means))
    if kind is Kind.HOURS:
        return _hours_unit(max(means))
    return None


def detectable(estimate: Estimate, shown: Shown) -> bool:
    """Worth emphasis: the 95% interval excludes zero and the rounded mean is not zero."""
    return estimate.excludes_zero() and not shown.is_zero


def percent(fraction: float, decimals: int = 0) -> str:
    """A setting such as a utilisation of 0.4, as ``40%``."""
    return f"{decimal(100 * fraction, decimals)}%" if math.isfinite(fraction) else "-"
