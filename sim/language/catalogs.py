"""Keep the catalogs whole: extract every message from the code and check each language.

``python -m sim.language.catalogs check`` lists, for ``es`` and ``pt``, every message the
code says that no catalog translates, every translation left fuzzy or empty, every
translation whose ``{placeholders}`` differ from the English (a ``{country}`` lost in
translation would raise at run time, or silently drop the country), and every
translation no longer used. It exits 1 when there is any; ``tests/language`` runs it, so
CI fails on an untranslated message.

``python -m sim.language.catalogs missing es [PATH...]`` prints the messages still to
translate (from the code under ``PATH``, default all of ``sim``) as ``.po`` entries, to
be translated and added to one of the language's files.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sim.language.catalog import LANGUAGES, LOCALES, SOURCE

if TYPE_CHECKING:
    from babel.messages.catalog import Message as Entry

PACKAGE = Path(__file__).resolve().parents[1]
KEYWORDS = {
    "_": None,
    "N_": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
}
METHODS = [("**.py", "python"), ("**/static/**.js", "javascript")]
PLACEHOLDER = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)?(?:[:!][^{}]*)?\}")


@dataclass(frozen=True)
class Message:
    """One message of the code: its English text (and plural), context and where it is."""

    id: str | tuple[str, ...]
    context: str | None
    where: str

    @property
    def key(self) -> tuple[str | None, str]:
        singular = self.id[0] if isinstance(self.id, tuple) else self.id
        return self.context, singular


def extract(paths: Sequence[Path] = (PACKAGE,)) -> dict[tuple[str | None, str], Message]:
    """Every message marked in the code under ``paths``, by (context, English text)."""
    from babel.messages.extract import extract_from_dir

    found: dict[tuple[str | None, str], Message] = {}
    for path in paths:
        base = path if path.is_dir() else path.parent
        for filename, line, text, _comments, context in extract_from_dir(
            str(base), method_map=METHODS, keywords=KEYWORDS, strip_comment_tags=True
        ):
            if path.is_file() and Path(base, filename) != path:
                continue
            if not text or (isinstance(text, tuple) and not all(text)):
                continue
            where = f"{_relative(Path(base, filename))}:{line}"
            message = Message(text, context, where)
            found.setdefault(message.key, message)
    return found


def _relative(path: Path) -> Path:
    """``path`` from the repository's root when it is inside it (as a translator reads it)."""
    try:
        return path.relative_to(PACKAGE.parent)
    except ValueError:
        return path


def catalog_entries(language: str) -> dict[tuple[str | None, str], tuple[str, Entry]]:
    """Every entry of ``language``'s ``.po`` files, by (context, English text)."""
    from babel.messages.pofile import read_po

    entries: dict[tuple[str | None, str], tuple[str, Entry]] = {}
    for path in sorted((LOCALES / language / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as stream:
            for entry in read_po(stream, ignore_obsolete=True):
                if not entry.id:
                    continue
                singular = entry.id if isinstance(entry.id, str) else entry.id[0]
                entries.setdefault((entry.context, singular), (path.name, entry))
    return entries


def disagreements(language: str) -> Iterator[str]:
    """Messages that two of ``language``'s files translate differently: the first file
    would win silently, and one English word would read two ways across the outputs."""
    from babel.messages.pofile import read_po

    seen: dict[tuple[str | None, str], tuple[str, object]] = {}
    for path in sorted((LOCALES / language / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as stream:
            for entry in read_po(stream, ignore_obsolete=True):
                key = (entry.context, _texts(entry.id)[0])
                if not entry.id or key not in seen:
                    seen.setdefault(key, (path.name, entry.string))
                    continue
                first, string = seen[key]
                if string != entry.string:
                    yield (
                        f"{language}: {path.name} translates {_shown(key)} otherwise than "
                        f"{first}: {entry.string!r} against {string!r}"
                    )


def problems(language: str, messages: dict[tuple[str | None, str], Message]) -> Iterator[str]:
    """What keeps ``language``'s catalogs from translating every message of the code."""
    yield from disagreements(language)
    entries = catalog_entries(language)
    for key, message in messages.items():
        if key not in entries:
            yield f"{language}: untranslated ({message.where}): {_shown(key)}"
            continue
        name, entry = entries[key]
        yield from _entry_problems(language, name, key, entry)
    for key, (name, _entry) in entries.items():
        if key not in messages:
            yield f"{language}: {name}: no longer used, remove it: {_shown(key)}"


def _entry_problems(
    language: str, name: str, key: tuple[str | None, str], entry: Entry
) -> Iterator[str]:
    strings = _texts(entry.string)
    if entry.fuzzy or not all(strings):
        yield f"{language}: {name}: fuzzy or empty: {_shown(key)}"
        return
    wanted = set().union(*(_placeholders(text) for text in _texts(entry.id)))
    for text in strings:
        if _placeholders(text) != wanted:
            yield (
                f"{language}: {name}: placeholders {sorted(_placeholders(text))} "
                f"differ from {sorted(wanted)}: {_shown(key)}"
            )


def _texts(text: str | Sequence[str] | None) -> tuple[str, ...]:
    """An entry's text, or its singular and plural forms, as a tuple."""
    if text is None:
        return ("",)
    return (text,) if isinstance(text, str) else tuple(text)


def _placeholders(text: str) -> set[str]:
    return {match.group(1) or "" for match in PLACEHOLDER.finditer(text)}


def _shown(key: tuple[str | None, str]) -> str:
    context, text = key
    return (f"[{context}] " if context else "") + repr(text)


def missing_entries(language: str, paths: Sequence[Path]) -> str:
    """The messages under ``paths`` that ``language`` lacks, as ``.po`` entries to translate."""
    entries = catalog_entries(language)
    blocks = []
    for key, message in extract(paths).items():
        if key in entries:
            continue
        lines = [f"#: {message.where}"]
        if "{" in key[1]:
            lines.append("#, python-brace-format")
        if message.context:
            lines.append(f"msgctxt {_quoted(message.context)}")
        if isinstance(message.id, tuple):
            lines += [f"msgid {_quoted(message.id[0])}", f"msgid_plural {_quoted(message.id[1])}"]
            lines += ['msgstr[0] ""', 'msgstr[1] ""']
        else:
            lines += [f"msgid {_quoted(message.id)}", 'msgstr ""']
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + ("\n" if blocks else "")


def _quoted(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def translated_languages() -> Iterable[str]:
    return (language for language in LANGUAGES if language != SOURCE)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim.language.catalogs", description=__doc__)
    actions = parser.add_subparsers(dest="action", required=True)
    actions.add_parser("check", help="list what is untranslated; exit 1 if anything is")
    missing = actions.add_parser("missing", help="print the entries a language lacks")
    missing.add_argument("language", choices=list(translated_languages()))
    missing.add_argument("paths", nargs="*", type=Path, default=[PACKAGE])
    arguments = parser.parse_args(argv)
    if arguments.action == "missing":
        sys.stdout.write(
            missing_entries(arguments.language, [p.resolve() for p in arguments.paths])
        )
        return 0
    messages = extract()
    found = [
        problem for language in translated_languages() for problem in problems(language, messages)
    ]
    for problem in found:
        print(problem)
    print(f"{len(messages)} messages; {len(found)} problems", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
