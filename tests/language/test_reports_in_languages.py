"""The fit report and the experiment report in Spanish and Portuguese: written in the active
language (``<html lang>``, the catalogs' words, the language's digits), whole (every
placeholder filled), with nothing of the English interface left in the page's text."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
import yaml
from calibration_cases import rough, truth, write_scenario
from experiment_files import DOCUMENTARY, experiment, write

import sim.cli
from sim.experiment import run_experiment
from sim.experiment.report import write_report as write_experiment_report
from sim.interpret.labels import INDICATOR_LABELS, OTHER_LABELS
from sim.language import use
from sim.language.catalogs import catalog_entries

SHORTEST = 9
"""An English fragment shorter than this may be a word the languages share (``OEA``)."""
PLACEHOLDER_OR_TAG = re.compile(r"\{[A-Za-z_]*\}|<[^>]+>")


RECORDED = re.compile(r"<dd>.*?</dd>", flags=re.S)
"""What a folder recorded, as it was written: paths, hashes, commands."""
NAMED = re.compile(r'<(dd|li|td class="(?:label|text)")>.*?</(dd|li|td)>', flags=re.S)
"""The fit report's data as ``sim.calibrate`` names it: field paths, the fit methods, the
data-quality reasons and the calibration's notes, beside what was recorded."""


def page_text(path: Path, data: re.Pattern[str] | None = None) -> str:
    """What a reader sees of a page: its text without tags, scripts and images' data, and
    without what ``data`` matches (the data it shows as named elsewhere)."""
    page = path.read_text(encoding="utf-8")
    page = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", page, flags=re.S)
    page = data.sub(" ", page) if data else page
    page = re.sub(r'src="data:[^"]*"', "", page)
    return html.unescape(re.sub(r"<[^>]+>", "\n", page))


def english_left(language: str, text: str, catalog: str = "pages.po") -> list[str]:
    """English fragments of ``catalog``'s messages that ``language`` translates differently,
    found in ``text``."""
    found = set()
    for (_context, _id), (name, entry) in catalog_entries(language).items():
        if name != catalog:
            continue
        english = [entry.id] if isinstance(entry.id, str) else list(entry.id)
        said = " ".join([entry.string] if isinstance(entry.string, str) else entry.string)
        for message in english:
            for piece in PLACEHOLDER_OR_TAG.split(message):
                piece = piece.strip(" .,;:()*“”'")
                if len(piece) < SHORTEST or piece in said:
                    continue
                # a word, not part of a field path (countries.PER..., arrangement.utilisation)
                if re.search(rf"(?<![\w.-]){re.escape(piece)}(?![\w-]|\.\w)", text):
                    found.add(piece)
    return sorted(found)


def without_interpret_labels(text: str) -> str:
    """``text`` without the indicators' and groups' names of :mod:`sim.interpret.labels`
    (translated in a part of issue 30 of their own; once they are, none is left to remove)."""
    for label in sorted({*INDICATOR_LABELS.values(), *OTHER_LABELS.values()}, key=len)[::-1]:
        text = text.replace(label, " ")
    return text


@pytest.fixture(scope="module")
def grid(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3 x 2 grid on one office (the experiment tests' own, with fewer replications)."""
    folder = tmp_path_factory.mktemp("grid")
    data = experiment(replications=2, replications_per_task=None)
    data["factors"] = {"arrangement.utilisation": [0.0, 0.5, 1.0], DOCUMENTARY: [8, 12]}
    run_experiment(write(folder / "grid.yaml", data), workers=1, out=folder / "out")
    return folder / "out"


@pytest.mark.parametrize(
    ("language", "heading", "words"),
    [
        ("es", "Resultados principales", "Acerca de este experimento"),
        ("pt", "Resultados principais", "Sobre este experimento"),
    ],
)
def test_the_experiment_report_in_each_language(
    grid: Path, tmp_path: Path, language: str, heading: str, words: str
) -> None:
    with use(language):
        path = write_experiment_report(grid, tmp_path / f"report-{language}.html")
    page = path.read_text(encoding="utf-8")
    assert f'<html lang="{language}">' in page
    text = page_text(path)
    assert heading in text and words in text
    assert not re.search(r"\{[a-z_]+\}", text)  # every placeholder filled
    own = without_interpret_labels(page_text(path, RECORDED))
    assert english_left(language, own) == []
    # a factor's levels in the language's digits: utilisation 0.5 is 0,5
    assert "0,5" in text and not re.search(r"arrangement\.utilisation 0\.5", text)


@pytest.fixture(scope="module")
def calibration(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Records of a known office (``mrasim run --records``) and a rough template of it."""
    folder = tmp_path_factory.mktemp("calibration")
    case = truth(stations=2, days=21)
    generator = write_scenario(case, folder / "truth.yaml")
    args = ["run", generator, "-n", "2", "--seed", "5", "--out", folder / "run", "--records"]
    assert sim.cli.main([str(a) for a in [*args, "-q", "-w", "1"]]) == 0
    template = folder / "template.yaml"
    template.write_text(yaml.safe_dump(rough(case), sort_keys=False))
    return folder / "run" / "records.parquet", template


@pytest.mark.parametrize(
    ("language", "heading"), [("es", "Verificación del ajuste"), ("pt", "Verificação do ajuste")]
)
def test_the_fit_report_in_each_language(
    calibration: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    language: str,
    heading: str,
) -> None:
    records, template = calibration
    monkeypatch.setenv("MRASIM_LANG", language)  # as --lang would choose it
    out, report = tmp_path / "fitted.yaml", tmp_path / "report"
    args = ["calibrate", records, "--scenario", template, "--out", out, "--report", report]
    assert sim.cli.main([str(a) for a in [*args, "--holdout", "0.3", "-n", "3", "-w", "1"]]) == 0
    path = report / "report.html"
    page = path.read_text(encoding="utf-8")
    assert f'<html lang="{language}">' in page
    text = page_text(path)
    assert heading in text and "período de ajuste" in text.lower()
    assert not re.search(r"\{[a-z_]+\}", text)
    assert english_left(language, page_text(path, NAMED)) == []
    # counts with the language's thousands separator: rows read, as 12.345
    assert re.search(r"\d\.\d{3} (leídos|lidos)", text), text[:2000]
