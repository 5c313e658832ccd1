"""Each country's own words for the things customs does, where they differ from the WCO's.

A Peruvian reads *levante* and *canal naranja*; a Brazilian reads *desembaraço*; the
WCO's Spanish says *libramiento*. A page that shows one country uses that country's words
(:func:`term` with ``country``); a page about the region uses the language's common
words (``country=None``). The glossary (``docs/glossary.md``) gives the source of each
term; ``tests/language`` checks that every term here is in it.

Terms are data, not catalog messages: a translator cannot know that Peru says *naranja*,
and a country's term must not change when a catalog is edited.
"""

from __future__ import annotations

from collections.abc import Mapping

from sim.language.catalog import SOURCE, active

COMMON: Mapping[str, Mapping[str, str]] = {
    "en": {
        "release": "release",
        "clearance": "clearance",
        "AEO": "AEO",
        "green": "green",
        "yellow": "yellow",
        "red": "red",
    },
    "es": {
        "release": "libramiento",
        "clearance": "despacho",
        "AEO": "OEA",
        "green": "verde",
        "yellow": "amarillo",
        "red": "rojo",
    },
    "pt": {
        "release": "desembaraço",
        "clearance": "despacho",
        "AEO": "OEA",
        "green": "verde",
        "yellow": "amarelo",
        "red": "vermelho",
    },
}
"""The words a language uses when no country is named: the WCO's (Spanish), Brazil's
(Portuguese, the one signatory that writes it)."""

NATIONAL: Mapping[str, Mapping[str, Mapping[str, str]]] = {
    "es": {
        "COL": {"release": "levante"},
        "PER": {"yellow": "naranja"},
    },
    "pt": {},
}
"""A country's own word, where it differs from :data:`COMMON`, by language and ISO code: only
where a public source shows the country using it (``docs/glossary.md`` gives each source, and
says which words were looked for and not found: Peru's *levante* was not, so Peru reads the
WCO's *libramiento* until a source is cited)."""


def term(name: str, country: str | None = None, language: str | None = None) -> str:
    """The word for ``name`` (a key of :data:`COMMON`) in ``language`` (default: the active
    one), as ``country`` (an ISO 3166 alpha-3 code) says it when given."""
    language = language or active()
    if language == SOURCE:
        return COMMON[SOURCE][name]
    national = NATIONAL.get(language, {}).get(country or "", {})
    return national.get(name, COMMON[language][name])
