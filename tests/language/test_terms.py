"""Every customs word mrasim writes, and every country's own word, is in the glossary with a
source that resolves inside the repository (a section of ``docs/sources.md`` that gives a
public address)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from sim.language import use
from sim.language.terms import COMMON, NATIONAL, term

DOCS = Path(__file__).resolve().parents[2] / "docs"
CITATION = re.compile(r"\(sources\.md#(s[\d.]+)\)")


def sections(sources: str) -> dict[str, str]:
    """Each anchored section of ``sources.md`` (``s8.2``) and its text, up to the next anchor."""
    parts = re.split(r'<a id="(s[\d.]+)"></a>', sources)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def rows(glossary: str) -> list[str]:
    return [line for line in glossary.splitlines() if line.startswith("|")]


def problems(
    common: Mapping[str, Mapping[str, str]],
    national: Mapping[str, Mapping[str, Mapping[str, str]]],
    glossary: str,
    sources: str,
) -> Iterator[str]:
    """What the glossary lacks: a term's row, a language's word in it, a country's word, or a
    source (a cited section missing from sources.md, or one without an address)."""
    anchors = sections(sources)
    table = rows(glossary)
    for name in common["en"]:
        row = next((r for r in table if r.startswith(f"| `{name}` |")), None)
        if row is None:
            yield f"term {name!r}: no row"
            continue
        for language, words in common.items():
            if language != "en" and f"*{words[name]}" not in row:
                yield f"term {name!r}: {language} {words[name]!r} not in its row"
        yield from _sourced(f"term {name!r}", row, anchors)
    for language, countries in national.items():
        for country, words in countries.items():
            for name, word in words.items():
                label = f"{language} {country} {name} {word!r}"
                row = next((r for r in table if f"(`{country}`)" in r and f"`{name}`" in r), None)
                if row is None or f"*{word}*" not in row:
                    yield f"{label}: no row"
                    continue
                yield from _sourced(label, row, anchors)


def _sourced(label: str, row: str, anchors: Mapping[str, str]) -> Iterator[str]:
    cited = CITATION.findall(row)
    if not cited:
        yield f"{label}: no source"
    for anchor in cited:
        if anchor not in anchors:
            yield f"{label}: cites §{anchor[1:]}, not in sources.md"
        elif "http" not in anchors[anchor]:
            yield f"{label}: §{anchor[1:]} gives no address"


@pytest.fixture(scope="module")
def texts() -> tuple[str, str]:
    return (DOCS / "glossary.md").read_text("utf-8"), (DOCS / "sources.md").read_text("utf-8")


def test_every_term_and_country_word_is_in_the_glossary_with_a_source(
    texts: tuple[str, str],
) -> None:
    found = list(problems(COMMON, NATIONAL, *texts))
    assert not found, found


def test_the_check_finds_an_unsourced_word(texts: tuple[str, str]) -> None:
    """A country's word that no row gives, and a row citing a section that does not exist."""
    invented = {**NATIONAL, "es": {**NATIONAL["es"], "URY": {"release": "liberación"}}}
    assert list(problems(COMMON, invented, *texts)) == ["es URY release 'liberación': no row"]
    glossary, sources = texts
    broken = glossary.replace("(sources.md#s8.3)", "(sources.md#s9.9)")
    assert any("not in sources.md" in p for p in problems(COMMON, NATIONAL, broken, sources))


def test_the_glossary_is_in_the_site() -> None:
    mkdocs = (DOCS.parent / "mkdocs.yml").read_text("utf-8")
    assert "glossary.md" in mkdocs


@pytest.mark.parametrize(
    ("language", "country", "name", "expected"),
    [
        ("es", "PER", "yellow", "naranja"),
        ("es", "COL", "release", "levante"),
        ("es", "PER", "release", "libramiento"),  # no source found for Peru's levante
        ("es", None, "release", "libramiento"),
        ("pt", "BRA", "release", "desembaraço"),
        ("en", "PER", "yellow", "yellow"),
    ],
)
def test_a_country_reads_its_own_words(
    language: str, country: str | None, name: str, expected: str
) -> None:
    with use(language):
        assert term(name, country) == expected
