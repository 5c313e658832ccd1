"""Every message the code says is translated in every language: the catalog check of CI."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.language import catalogs
from sim.language.catalog import LOCALES


@pytest.fixture(scope="module")
def messages() -> dict:
    return catalogs.extract()


@pytest.mark.parametrize("language", ["es", "pt"])
def test_every_message_is_translated(language: str, messages: dict) -> None:
    found = list(catalogs.problems(language, messages))
    assert not found, f"{len(found)} problems, first ones:\n" + "\n".join(found[:40])


def test_the_check_finds_an_untranslated_message(tmp_path: Path) -> None:
    """The check can fail: a message of a new file, in no catalog, is reported with its place."""
    source = tmp_path / "new.py"
    source.write_text('from sim.language import _\n_("a message no catalog has")\n')
    messages = catalogs.extract([source])
    assert next(iter(catalogs.problems("es", messages))).startswith("es: untranslated (")


def test_the_check_finds_a_lost_placeholder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "es" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "x.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "{country} gains"\nmsgstr "el país gana"\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(catalogs, "LOCALES", tmp_path)
    source = tmp_path / "new.py"
    source.write_text('from sim.language import _\n_("{country} gains")\n')
    found = list(catalogs.problems("es", catalogs.extract([source])))
    assert len(found) == 1 and "placeholders [] differ from ['country']" in found[0]


def test_catalogs_are_read_from_text_only() -> None:
    """No compiled catalog is kept: the .po files are the only source, so none goes stale."""
    assert not list(LOCALES.rglob("*.mo"))
    assert {p.parent.parent.name for p in LOCALES.rglob("*.po")} == {"es", "pt"}


def test_the_check_finds_two_files_that_disagree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One English word read two ways across the outputs: the first file would win silently."""
    folder = tmp_path / "es" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    header = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
    (folder / "a.po").write_text(header + 'msgid "green share"\nmsgstr "proporción verde"\n')
    (folder / "b.po").write_text(header + 'msgid "green share"\nmsgstr "cuota verde"\n')
    monkeypatch.setattr(catalogs, "LOCALES", tmp_path)
    found = list(catalogs.disagreements("es"))
    assert len(found) == 1 and "b.po translates 'green share' otherwise than a.po" in found[0]
