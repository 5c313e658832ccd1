"""Numbers as each language writes them: ``1,234.5`` in English, ``1.234,5`` in Spanish
and Portuguese, ``USD 3.47 M``, ``USD 3,47 M`` and ``US$ 3,47 milhões``.

:mod:`sim.interpret.numbers` decides *how many* digits a number deserves (from its
interval); this module only writes the digits it is given in the active language, with
the separators of Babel's locale data (CLDR), so a Spanish table never mixes ``1,5`` and
``1.5``. Each language is written in one locale: ``es`` (decimal comma, as most
signatories write: ``1.234,5``) and ``pt_BR``.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from functools import cache

from sim.language.catalog import active

LOCALE = {"en": "en", "es": "es", "pt": "pt_BR"}
"""The CLDR locale each language's numbers and dates are written in."""

MONEY_UNITS = {
    "en": {"USD": "USD", "USD M": "USD {} M", "USD B": "USD {} B"},
    "es": {"USD": "USD", "USD M": "USD {} M", "USD B": "USD {} mil M"},
    "pt": {"USD": "US$", "USD M": "US$ {} milhões", "USD B": "US$ {} bilhões"},
}
"""How each language writes an amount in dollars, millions and billions of dollars.

Spanish writes a billion (10⁹) as *mil millones* (``mil M``): *billón* is 10¹². Brazil
writes the dollar ``US$`` and the scale in words (*milhões*, *bilhões*)."""


def decimal(value: float, decimals: int, *, signed: bool = False) -> str:
    """``value`` rounded to ``decimals`` places (negative: tens, hundreds) with the active
    language's separators; a rounded zero has no sign, a non-finite value is ``-``."""
    if not math.isfinite(value):
        return "-"
    value = round(value, decimals) + 0.0  # + 0.0 turns -0.0 into 0.0
    places = max(decimals, 0)
    text = _decimal_text(value, places, active())
    return "+" + text if signed and value > 0 else text


def _decimal_text(value: float, places: int, language: str) -> str:
    if language == "en":
        return f"{value:,.{places}f}"
    from babel.numbers import format_decimal

    pattern = "#,##0" + ("." + "0" * places if places else "")
    return format_decimal(value, format=pattern, locale=LOCALE[language], decimal_quantization=True)


SINGULAR_UNITS = {"pt": {"USD M": "US$ {} milhão", "USD B": "US$ {} bilhão"}}
"""Portuguese says *1,5 milhão* and *0,4 milhão*: the scale is singular below two (CLDR's
plural rule for ``pt``: an integer part of 0 or 1)."""


def money(amount: str, unit: str) -> str:
    """An amount already written (``3,47``) with its unit (``USD M``): ``US$ 3,47 milhões``
    (``US$ 1,5 milhão``)."""
    language = active()
    template = MONEY_UNITS[language][unit]
    if unit in SINGULAR_UNITS.get(language, {}) and _singular(amount, language):
        template = SINGULAR_UNITS[language][unit]
    return f"{template} {amount}" if "{}" not in template else template.format(amount)


def _singular(amount: str, language: str) -> bool:
    """Whether ``language`` says the scale after ``amount`` (as written) in the singular."""
    from decimal import Decimal, InvalidOperation

    from babel import Locale

    point, group = separators(language)
    digits = amount.strip().lstrip("+-").replace(group, "").replace(point, ".")
    try:
        number = Decimal(digits)
    except InvalidOperation:
        return False
    return bool(Locale.parse(LOCALE[language]).plural_form(number) == "one")


def money_prefix() -> str:
    """The dollar sign written before an amount: ``USD`` or ``US$``."""
    return MONEY_UNITS[active()]["USD"]


def day(when: date | datetime) -> str:
    """A date as the language writes it in full: ``7 December 2026``, ``7 de diciembre de 2026``."""
    from babel.dates import format_date

    return format_date(when, format="long", locale=LOCALE[active()])


@cache
def separators(language: str) -> tuple[str, str]:
    """The decimal and group separators of ``language`` (for parsing what people type)."""
    if language == "en":
        return ".", ","
    from babel.numbers import get_decimal_symbol, get_group_symbol

    locale = LOCALE[language]
    return get_decimal_symbol(locale), get_group_symbol(locale)
