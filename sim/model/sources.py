"""Citations of ``docs/sources.md``: find them in any text and check that they resolve.

Scenarios, calibration targets and the README cite the facts of the field as
``[F] docs/sources.md §2.1`` or, for short, ``[F] §2.1``. A citation is evidence only if a
reader can follow it, so ``tests/test_sources.py`` holds every file of the repository to
:func:`citation_problems` and :func:`outside_references`, and a loader of calibration
targets can hold each ``source:`` field to :func:`source_problems`.

In mrasim ``§`` always means a section of ``docs/sources.md``; a file name written just
before it must name that file. ``docs/`` is not installed with the package, so
:data:`SOURCES_MD` exists only in a checkout of the repository.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from sim.language import _

SOURCES_MD = Path(__file__).resolve().parents[2] / "docs" / "sources.md"
"""The repository's sources file (present in a checkout, not in an installed wheel)."""

CITED_FILE = "docs/sources.md"

_NUMBER = r"\d+(?:\.\d+)*"
_HEADING = re.compile(rf"^(#+)\s+§({_NUMBER})\s+(.*)$")
_ANCHOR = re.compile(rf'^<a id="s({_NUMBER})"></a>$')
# "§3.1" or a range "§3.1-3.2" (both ends are checked); the file name, if any, just before.
_CITATION = re.compile(rf"(?:([\w./-]+\.md)\s*)?§\s*({_NUMBER})(?:\s*[-–]\s*({_NUMBER}))?")
_URL = re.compile(r"https?://\S+")
# References that point out of the repository: the project's private research notes and
# absolute paths of a development machine (written "[/]" so that this line does not match).
_OUTSIDE = re.compile(r"\bdomain\.md\b|(?<![\w.])[/]work/|\.\.[/]shared/")


@dataclass(frozen=True)
class Section:
    """A numbered section of the sources file: its heading, anchor and text (with subsections)."""

    number: str
    title: str
    anchor: str | None
    line: int
    text: str

    @property
    def has_url(self) -> bool:
        return _URL.search(self.text) is not None


@dataclass(frozen=True)
class Citation:
    """One ``§`` reference: the line it is on, the section, and the file named before it."""

    line: int
    section: str
    document: str | None


def read_sections(path: Path = SOURCES_MD) -> dict[str, Section]:
    """The numbered sections (``## §2``, ``### §2.1``) of a sources file, by number."""
    lines = path.read_text(encoding="utf-8").splitlines()
    headings = [
        (index, len(match[1]), match[2], match[3])
        for index, line in enumerate(lines)
        if (match := _HEADING.match(line))
    ]
    sections = {}
    for position, (index, level, number, title) in enumerate(headings):
        # A section runs to the next heading of the same or a higher level (and its anchor).
        end = next(
            (later for later, later_level, *_ in headings[position + 1 :] if later_level <= level),
            len(lines),
        )
        if end < len(lines) and _ANCHOR.match(lines[end - 1]):
            end -= 1
        anchor = _ANCHOR.match(lines[index - 1]) if index > 0 else None
        sections[number] = Section(
            number=number,
            title=title,
            anchor=anchor[1] if anchor else None,
            line=index + 1,
            text="\n".join(lines[index:end]),
        )
    return sections


def find_citations(text: str) -> list[Citation]:
    """Every ``§`` reference in ``text``, in order; a range yields both of its ends."""
    citations: list[Citation] = []
    for line_number, line in enumerate(text.splitlines(), start=1):
        for match in _CITATION.finditer(line):
            document, first, last = match.groups()
            citations.extend(
                Citation(line_number, number, document) for number in (first, last) if number
            )
    return citations


def citation_problems(
    text: str,
    origin: str,
    sections: Mapping[str, Section],
    aliases: Iterable[str] = (),
) -> list[str]:
    """One line per citation in ``text`` that does not resolve to a section with a source.

    ``origin`` names the text in the messages (a file path, or ``file: field``); ``aliases``
    are other file names accepted in place of ``docs/sources.md``.
    """
    accepted = {"sources.md", *aliases}
    problems = []
    for citation in find_citations(text):
        where = f"{origin}:{citation.line}"
        if citation.document and Path(citation.document).name not in accepted:
            problem = _("cites {document} §{section}; cite {file} §{section} instead").format(
                document=citation.document, section=citation.section, file=CITED_FILE
            )
            problems.append(f"{where}: {problem}")
        section = sections.get(citation.section)
        if section is None:
            problem = _("§{section} is not a section of {file} (it has {sections})").format(
                section=citation.section,
                file=CITED_FILE,
                sections=", ".join(sorted(sections, key=_order)),
            )
            problems.append(f"{where}: {problem}")
        elif not section.has_url:
            problem = _("§{section} of {file} gives no public address; add one").format(
                section=citation.section, file=CITED_FILE
            )
            problems.append(f"{where}: {problem}")
    return problems


def source_problems(value: str, origin: str, sections: Mapping[str, Section]) -> list[str]:
    """Problems with a ``source:`` field: it must cite at least one section, and resolve."""
    if not find_citations(value):
        problem = _('cites no section of {file}; write e.g. "[F] {file} §2.1"')
        return [f"{origin}: {problem.format(file=CITED_FILE)}"]
    return citation_problems(value, origin, sections)


def outside_references(text: str, origin: str) -> list[str]:
    """One line per reference to a file outside the repository (research notes, local paths)."""
    return [
        f"{origin}:{line_number}: refers to {match[0]!r}, outside the repository; "
        f"cite {CITED_FILE} instead"
        for line_number, line in enumerate(text.splitlines(), start=1)
        for match in _OUTSIDE.finditer(line)
    ]


def _order(number: str) -> tuple[int, ...]:
    return tuple(int(part) for part in number.split("."))
