"""The repository carries the evidence it cites.

Every ``§`` citation in the repository (scenarios, calibration, README, code, tests, and
``docs/sources.md``'s own cross-references) must name a section of ``docs/sources.md``
that exists and gives a public address, and no file outside ``docs/`` may point to sources
outside the repository (the project's research notes, a local path). The checks are
``sim.sources``; the tests at the end show that they catch each kind of broken citation.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.model.sources import (
    SOURCES_MD,
    Section,
    citation_problems,
    find_citations,
    outside_references,
    read_sections,
    source_problems,
)

ROOT = Path(__file__).resolve().parents[2]
TEXT_SUFFIXES = {".md", ".yaml", ".yml", ".py", ".toml", ".txt", ".csv", ".json", ".cfg"}
SKIPPED_DIRS = {"__pycache__", "build", "dist", "out", "node_modules"}  # and hidden ones
THIS_FILE = Path(__file__).resolve()  # its examples of broken citations are broken on purpose

# The sections that scenarios, README, report and tests rely on, with the numbers of the
# research notes they were first cited under.
REQUIRED_SECTIONS = ("1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "3.1", "3.2", "3.3", "5.2", "6", "7")


def repository_files() -> list[Path]:
    """Every text file of the repository outside tool caches and build output."""
    return sorted(
        path
        for path in ROOT.rglob("*")
        if path.is_file()
        and path.suffix in TEXT_SUFFIXES
        and path.resolve() != THIS_FILE
        and not any(_skipped(folder) for folder in path.relative_to(ROOT).parts[:-1])
    )


def _skipped(folder: str) -> bool:
    return folder in SKIPPED_DIRS or folder.startswith(".") or folder.endswith(".egg-info")


FILES = repository_files()


@pytest.fixture(scope="module")
def sections() -> dict[str, Section]:
    return read_sections(SOURCES_MD)


def test_sources_file_has_the_cited_sections_each_with_its_anchor(
    sections: dict[str, Section],
) -> None:
    headings = [
        line for line in SOURCES_MD.read_text(encoding="utf-8").splitlines() if line[:1] == "#"
    ]
    numbered = [line for line in headings if "§" in line]
    assert len(numbered) == len(sections), "a section number is used twice"
    assert set(REQUIRED_SECTIONS) <= set(sections)
    for number, section in sections.items():
        assert section.anchor == number, f'§{number} (line {section.line}) needs <a id="s{number}">'


@pytest.mark.parametrize("path", FILES, ids=lambda path: str(path.relative_to(ROOT)))
def test_citations_resolve_and_nothing_points_outside(
    path: Path, sections: dict[str, Section]
) -> None:
    name = path.relative_to(ROOT).as_posix()
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:  # an export kept in its system's encoding on purpose
        text = data.decode("cp1252")
    problems = citation_problems(text, name, sections)
    if not name.startswith("docs/"):  # docs/ may name the notes
        problems += outside_references(text, name)
    assert not problems, "\n".join(problems)


def test_scenarios_and_readme_cite_sources(sections: dict[str, Section]) -> None:
    """The scan above is not vacuous: the files that publish figures do cite sections."""
    for name in ("scenarios/one-office.yaml", "scenarios/lac-regional.yaml", "README.md"):
        assert find_citations((ROOT / name).read_text(encoding="utf-8")), name
    assert "docs/sources.md" in (ROOT / "README.md").read_text(encoding="utf-8")


# --- the checks catch what they should ------------------------------------------------


def test_an_unknown_section_is_reported(sections: dict[str, Section]) -> None:
    (problem,) = citation_problems("value: 1  # [F] docs/sources.md §9.9", "x.yaml", sections)
    assert problem.startswith("x.yaml:1: §9.9 is not a section of docs/sources.md")


def test_both_ends_of_a_range_are_checked(sections: dict[str, Section]) -> None:
    assert [c.section for c in find_citations("(§3.1-3.2)")] == ["3.1", "3.2"]
    (problem,) = citation_problems("# see §3.1-3.9", "x.yaml", sections)
    assert "§3.9 is not a section" in problem


def test_a_citation_of_another_file_is_reported_unless_it_is_an_alias(
    sections: dict[str, Section],
) -> None:
    text = "# [F] domain.md §2.1: 19% of exports"
    (problem,) = citation_problems(text, "x.yaml", sections)
    assert "cites domain.md §2.1; cite docs/sources.md §2.1 instead" in problem
    assert citation_problems(text, "x.yaml", sections, aliases={"domain.md"}) == []
    assert citation_problems("# [F] sources.md §2.1 and [F] §2.2", "x", sections) == []


def test_a_cited_section_without_an_address_is_reported(tmp_path: Path) -> None:
    sources = tmp_path / "sources.md"
    sources.write_text(
        '<a id="s1"></a>\n## §1 Found\n\nhttps://example.org/a\n\n'
        '<a id="s2"></a>\n## §2 Unsourced\n\nA number with no address.\n',
        encoding="utf-8",
    )
    sections = read_sections(sources)
    assert citation_problems("[F] §1", "x", sections) == []
    (problem,) = citation_problems("[F] §2", "x", sections)
    assert problem == "x:1: §2 of docs/sources.md gives no public address; add one"


def test_references_outside_the_repository_are_reported() -> None:
    text = "# see ../shared/domain.md\n# and /work/shared/DESIGN.md\n# docs/sources.md is fine\n"
    problems = outside_references(text, "x.yaml")
    assert [problem.split(":")[1] for problem in problems] == ["1", "1", "2"]


def test_a_source_field_must_cite_a_section(sections: dict[str, Section]) -> None:
    assert source_problems("[F] docs/sources.md §2.1", "targets.yaml: BRA.source", sections) == []
    (problem,) = source_problems("RFB via SBT News", "targets.yaml: BRA.source", sections)
    assert problem.startswith("targets.yaml: BRA.source: cites no section of docs/sources.md")
    (problem,) = source_problems("[F] §4", "targets.yaml: BRA.source", sections)
    assert "§4 is not a section" in problem
