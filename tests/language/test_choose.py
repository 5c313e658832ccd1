"""Which language mrasim writes: --lang, then MRASIM_LANG, then the locale, then English."""

from __future__ import annotations

import threading

import pytest

from sim.errors import InputError
from sim.language import _, active, choose, ngettext, use


@pytest.mark.parametrize(
    ("flag", "environ", "expected"),
    [
        ("pt", {"MRASIM_LANG": "es", "LANG": "en_US.UTF-8"}, "pt"),
        (None, {"MRASIM_LANG": "es-CO", "LANG": "pt_BR.UTF-8"}, "es"),
        (None, {"LC_ALL": "pt_BR.UTF-8", "LANG": "es_PE.UTF-8"}, "pt"),
        (None, {"LANG": "es_PE.UTF-8"}, "es"),
        (None, {"LC_MESSAGES": "es_AR", "LANG": "C"}, "es"),
        (None, {"LANG": "fr_FR.UTF-8"}, "en"),
        (None, {"LANG": "C"}, "en"),
        (None, {}, "en"),
        ("ES", {}, "es"),
    ],
)
def test_choice_order(flag: str | None, environ: dict[str, str], expected: str) -> None:
    assert choose(flag, environ) == expected


@pytest.mark.parametrize(
    ("flag", "environ", "source"),
    [("fr", {}, "--lang"), (None, {"MRASIM_LANG": "de"}, "MRASIM_LANG")],
)
def test_a_language_asked_for_by_name_must_exist(
    flag: str | None, environ: dict[str, str], source: str
) -> None:
    with pytest.raises(InputError) as raised:
        choose(flag, environ)
    assert raised.value.source == source and "en, es, pt" in str(raised.value)


def test_use_sets_the_language_for_its_block_only() -> None:
    outside = active()
    with use("es"):
        assert active() == "es"
        with use("pt"):
            assert active() == "pt"
        assert active() == "es"
    assert active() == outside


def test_each_thread_speaks_its_own_language() -> None:
    """The explorer answers requests on threads: one page's language never leaks to another."""
    seen: dict[str, str] = {}

    def speak(language: str) -> None:
        with use(language):
            threading.Event().wait(0.01)
            seen[language] = active()

    threads = [threading.Thread(target=speak, args=(lang,)) for lang in ("es", "pt", "en")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == {"es": "es", "pt": "pt", "en": "en"}


def test_english_is_the_source_and_untranslated_text_reads_as_written() -> None:
    with use("en"):
        assert _("unknown language {tag}; use one of {languages}").startswith("unknown")
    with use("es"):
        assert _("a sentence in no catalog") == "a sentence in no catalog"
        assert _("unknown language {tag}; use one of {languages}").startswith("idioma desconocido")


@pytest.mark.parametrize(
    ("language", "n", "expected"), [("en", 0, "s"), ("pt", 0, ""), ("es", 0, "s"), ("pt", 2, "s")]
)
def test_plural_rules_are_each_languages(language: str, n: int, expected: str) -> None:
    """Portuguese counts zero as singular (CLDR: one for 0 and 1), Spanish and English do not.

    Read through the catalogs' Plural-Forms; an untranslated pair falls back to English's rule,
    so the rule is taken from a catalog header rather than a message."""
    from sim.language.catalog import translations

    rule = translations(language).plural if language != "en" else (lambda k: int(k != 1))
    assert ("s" if rule(n) else "") == expected
    assert ngettext("one", "many", 1) == "one"
