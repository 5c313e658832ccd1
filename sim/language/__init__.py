"""The language mrasim writes in: English, Spanish or Portuguese, chosen once per command.

Every sentence a person reads goes through :func:`_` (or :func:`ngettext` where a count
decides the form) at the moment it is written, never when a module is imported, so one
process can write a Spanish report and a Portuguese page side by side: the language is a
context variable (:func:`use`), set by ``--lang``, ``MRASIM_LANG`` or the locale
(:func:`choose`), and each explorer request sets its own.

Files stay English (a scenario's ``arrangement.utilisation`` is the same word in Lima and
Brasília, so files travel); only what is *said* about them is translated, and a message
about a field still names the field as written. Catalogs are gettext ``.po`` files kept
by Babel (``python -m sim.language.catalogs``), read at first use: no compiled ``.mo`` in
the repository, nothing to build on install.

This is a ground-floor package: it imports nothing of mrasim's, so any stage may speak.
"""

from __future__ import annotations

from sim.language.catalog import (
    LANGUAGES,
    N_,
    _,
    active,
    choose,
    ngettext,
    npgettext,
    pgettext,
    use,
)

__all__ = [
    "LANGUAGES",
    "N_",
    "_",
    "active",
    "choose",
    "ngettext",
    "npgettext",
    "pgettext",
    "use",
]
