"""A real comparison printed in Spanish and Portuguese: within 100 columns, no English left,
and numbers written one way.

``MRASIM_LANG`` chooses the language here (``--lang`` sets the same thing, and falls back
to it), so the test runs the command as an analyst's shell would.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from sim.language.catalog import LOCALES

WIDTH = 100
PLACEHOLDER = re.compile(r"\{[^{}]*\}")
SHORTEST = 12
"""English fragments shorter than this (``region``, ``h mean``) may be spelled alike in
another language or be part of a name; the longer ones are sentences and headings."""


@cache
def printed(language: str) -> str:
    """What ``mrasim compare -n 2`` prints in ``language`` at ``COLUMNS=100``."""
    env = {**os.environ, "MRASIM_LANG": language, "COLUMNS": str(WIDTH)}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    done = subprocess.run(
        [sys.executable, "-m", "sim.cli", "compare", "-n", "2"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=600,
    )
    return done.stdout


def english_fragments(language: str) -> set[str]:
    """The English of this catalog's messages that the translation changes, cut at each
    placeholder: what must not be printed once the language is chosen."""
    path = LOCALES / language / "LC_MESSAGES" / "terminal.po"
    with path.open("rb") as stream:
        catalog = read_po(stream)
    fragments = set()
    for entry in catalog:
        if not entry.id:
            continue
        ids = [entry.id] if isinstance(entry.id, str) else list(entry.id)
        strings = [entry.string] if isinstance(entry.string, str) else list(entry.string)
        for english in ids:
            if english in strings:
                continue
            for piece in PLACEHOLDER.split(english):
                piece = piece.strip(" ;:,.()")
                if len(piece) >= SHORTEST and " " in piece:
                    fragments.add(piece)
    return fragments


@pytest.mark.parametrize("language", ["es", "pt"])
def test_every_line_fits_100_columns(language: str) -> None:
    lines = printed(language).splitlines()
    assert len(lines) > 100
    wide = [line for line in lines if len(line) > WIDTH]
    assert not wide, wide[:3]


@pytest.mark.parametrize("language", ["es", "pt"])
def test_no_english_interface_string_remains(language: str) -> None:
    text = " ".join(printed(language).split())  # a sentence wrapped over lines, joined again
    fragments = english_fragments(language)
    assert len(fragments) > 100
    left = sorted(f for f in fragments if f in text)
    assert not left, left[:10]


def test_the_check_finds_english() -> None:
    """The same fragments are all over the English output: the check can fail."""
    text = " ".join(printed("en").split())
    assert sum(f in text for f in english_fragments("es")) > 30


NUMBER = re.compile(r"(?<![\w.,])[+-]?\d[\d.,]*\d(?![\w])")
SPANISH = re.compile(r"[+-]?\d{1,3}(\.\d{3})*(,\d+)?|[+-]?\d+(,\d+)?")


@pytest.mark.parametrize("language", ["es", "pt"])
def test_tables_write_decimal_commas_and_never_mix_separators(language: str) -> None:
    """Every number of the tables: dots group thousands (``27.500``), a comma marks the
    decimals (``26,2``), never ``1,234.5`` nor ``26.2``."""
    text = printed(language)
    tables = text.split("=" * WIDTH)[0]  # the long tables, before the answer
    numbers = NUMBER.findall(tables)
    assert len(numbers) > 500
    assert any("," in n for n in numbers) and any("." in n for n in numbers)
    wrong = [n for n in numbers if not SPANISH.fullmatch(n)]
    assert not wrong, wrong[:10]
