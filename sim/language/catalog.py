"""Which language is spoken now, and its messages (gettext catalogs read from ``.po``).

The ``.po`` files under ``locales/<lang>/LC_MESSAGES/`` are read with Babel and turned
into :class:`gettext.GNUTranslations` in memory on first use, so the repository holds
only text a translator edits. A language may have several files (one per part of the
program, so translators of the terminal and of the pages never edit the same file);
they are merged, and a message missing from all of them reads in English (the
completeness check in ``tests/language`` keeps that from happening in a release).
"""

from __future__ import annotations

import contextlib
import gettext
import io
import os
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from sim.errors import InputError

LANGUAGES = ("en", "es", "pt")
"""The languages mrasim writes; English is the source language of every message."""
SOURCE = "en"
LOCALES = Path(__file__).parent / "locales"
ENVIRONMENT = "MRASIM_LANG"
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")
"""The POSIX order: the first one set decides."""

_spoken: ContextVar[str | None] = ContextVar("mrasim_language", default=None)


def choose(flag: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The language to write in: ``flag`` (``--lang``), else ``MRASIM_LANG``, else the locale.

    ``es``, ``es_PE.UTF-8`` and ``es-CO`` all mean Spanish, ``pt_BR`` Portuguese; a locale
    in another language (or ``C``) means English. A flag or ``MRASIM_LANG`` naming a
    language mrasim does not write is bad input: the user asked for it by name.
    """
    environ = os.environ if environ is None else environ
    if flag:
        return _named(flag, "--lang")
    if environ.get(ENVIRONMENT):
        return _named(environ[ENVIRONMENT], ENVIRONMENT)
    for variable in LOCALE_VARIABLES:
        if environ.get(variable):
            return _language_of(environ[variable]) or SOURCE
    return SOURCE


def _language_of(tag: str) -> str | None:
    """``es`` from ``es_PE.UTF-8``, ``es-CO`` or ``ES``; None when not one of :data:`LANGUAGES`."""
    language = tag.split(".")[0].split("@")[0].replace("-", "_").split("_")[0].lower()
    return language if language in LANGUAGES else None


def _named(tag: str, source: str) -> str:
    language = _language_of(tag)
    if language is None:
        # said in the locale's language: the language asked for is the one not known
        fallback = next((os.environ[v] for v in LOCALE_VARIABLES if os.environ.get(v)), "")
        said = translations(_language_of(fallback) or SOURCE).gettext
        problem = said(N_("unknown language {tag}; use one of {languages}"))
        raise InputError(source, "", problem.format(tag=repr(tag), languages=", ".join(LANGUAGES)))
    return language


def active() -> str:
    """The language spoken now: the innermost :func:`use`, else the environment's choice."""
    language = _spoken.get()
    return language if language is not None else choose()


@contextlib.contextmanager
def use(language: str | None) -> Iterator[str]:
    """Speak ``language`` (a code or locale tag) inside the block; None: the language spoken
    now (an enclosing block's, else the environment's), so a function taking ``lang=None``
    and called inside ``--lang es`` speaks Spanish."""
    chosen = choose(language) if language else active()
    token = _spoken.set(chosen)
    try:
        yield chosen
    finally:
        _spoken.reset(token)


def _(message: str) -> str:
    """``message`` in the active language (itself in English or when untranslated)."""
    return translations(active()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form for ``n`` in the active language: languages differ in their plural rules."""
    return translations(active()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """``message`` as meant in ``context``: one English word, several translations
    (``"yellow"`` a channel is *amarillo*, or *naranja* in Peru's own terms)."""
    return translations(active()).pgettext(context, message)


def npgettext(context: str, singular: str, plural: str, n: int) -> str:
    """:func:`ngettext` with a context (:func:`pgettext`)."""
    return translations(active()).npgettext(context, singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for the catalogs without translating it now (a module constant,
    translated by :func:`_` where it is written)."""
    return message


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The merged catalogs of ``language``, read once per process."""
    if language == SOURCE:
        return gettext.NullTranslations()
    folder = LOCALES / language / "LC_MESSAGES"
    merged: gettext.NullTranslations | None = None
    for path in sorted(folder.glob("*.po")):
        part = _compiled(path)
        if merged is None:
            merged = part
        else:
            merged.add_fallback(part)
    return merged if merged is not None else gettext.NullTranslations()


def _compiled(path: Path) -> gettext.GNUTranslations:
    """A ``.po`` file as gettext reads a ``.mo``: compiled in memory by Babel."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with path.open("rb") as stream:
        catalog = read_po(stream, ignore_obsolete=True)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)
