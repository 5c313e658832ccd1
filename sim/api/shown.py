"""Results that show themselves: what :func:`sim.run`, :func:`sim.compare` and
:func:`sim.read_results` return to a notebook.

The records (:class:`sim.replicate.result.RunResult`, ``ComparisonResult``, ``Results``) are
statistics, made low in the flow, and know nothing of how they are read. Here, above the
stages that write files (:mod:`sim.results`), say answers (:mod:`sim.interpret`) and draw
figures (:mod:`sim.report`), each record gains what a person asks of it in a notebook: a
short ``repr`` and an HTML table, ``save``, ``digest``, ``answer``, ``sentences`` and
``plot``. The classes keep their records' names, so ``sim.RunResult`` is the one a user
meets, and every record method (``summary``, ``table``, ``records``...) is unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

from sim.interpret.frames import answer_sentences, answer_table, result_html, result_repr
from sim.interpret.terminal import View
from sim.interpret.text import comparison_text, run_text
from sim.model.schema import Scenario
from sim.replicate import result as record
from sim.replicate import runner
from sim.replicate.runner import RunOptions
from sim.replicate.views import Choice
from sim.report.interactive import Plots
from sim.results import files

Record = TypeVar("Record")


def _as(cls: type[Record], found: object) -> Record:
    """``found`` (a record) as ``cls`` (its showing subclass), sharing its fields."""
    names = [f.name for f in fields(found) if f.init]  # type: ignore[arg-type]
    return cls(**{name: getattr(found, name) for name in names})


class Results(record.Results):
    """The result record (:class:`sim.replicate.result.Results`), as a notebook shows it."""

    def answer(self, country: Choice = None, lang: str | None = None) -> pd.DataFrame:
        """The answer's table as a DataFrame (:meth:`ComparisonResult.answer`): of ``country``,
        else of the countries chosen (``--country``), else of all; ``lang`` as there."""
        return answer_table(self, country, lang)

    def sentences(self, country: Choice = None, lang: str | None = None) -> list[str]:
        """The answer in words (:meth:`ComparisonResult.sentences`)."""
        return answer_sentences(self, country, lang)

    def __repr__(self) -> str:
        return result_repr(self, "Results")

    @property
    def plot(self) -> Plots:
        """The report's figures as Plotly figures: ``result.plot.change()``, ``.stages()``
        ... (:class:`sim.report.interactive.Plots`)."""
        return Plots(self)

    def _repr_html_(self) -> str:
        return result_html(self)


class _ShownThroughItsRecord:
    """What a run or a comparison shows of itself, read from its result record: one
    short line, a table in a notebook, and its figures."""

    def to_results(self, meta: Mapping[str, Any] | None = None) -> Results:
        raise NotImplementedError

    def __repr__(self) -> str:
        return result_repr(self.to_results(), type(self).__name__)

    def _repr_html_(self) -> str:
        return result_html(self.to_results())

    @property
    def plot(self) -> Plots:
        """The report's figures as Plotly figures: ``result.plot.change()``, ``.stages()``
        ... (:class:`sim.report.interactive.Plots`)."""
        return Plots(self.to_results())


class RunResult(_ShownThroughItsRecord, record.RunResult):
    """Statistics of a run (:class:`sim.replicate.result.RunResult`), as a notebook shows
    them: its name, replications and headline numbers (``repr``, and a table as HTML)."""

    def to_results(self, meta: Mapping[str, Any] | None = None) -> Results:
        return _as(Results, record.RunResult.to_results(self, meta))

    def save(self, folder: str | Path, country: Choice = None) -> Path:
        """Write the files of ``mrasim run --out folder`` (``sim.write_report`` reads them);
        ``country`` (codes or names) as ``--country``: the countries its workbook holds."""
        return files.save_run(self, Path(folder), None, self._codes(country))

    def digest(self, width: int = 100, full: bool = False, lang: str | None = None) -> str:
        """What ``mrasim run`` prints: each country and the region, headline indicators; with
        ``full``, what ``--full`` prints (by area, mode, group and station, and what the
        result assumes); in ``lang`` (``"es"``, ``"pt"``, ``"en"``; None: ``MRASIM_LANG``,
        else the locale)."""
        return run_text(self.to_results(), View(width), full=full, lang=lang)


class ComparisonResult(_ShownThroughItsRecord, record.ComparisonResult):
    """Scenarios run on common random numbers (:class:`sim.replicate.result.ComparisonResult`),
    as a notebook shows them: its name, replications and the answer."""

    def to_results(self, meta: Mapping[str, Any] | None = None) -> Results:
        return _as(Results, record.ComparisonResult.to_results(self, meta))

    def answer(self, country: Choice = None, lang: str | None = None) -> pd.DataFrame:
        """The answer's table as a DataFrame: a row per country (by name) and the region (the
        ``level`` column says which; the region's ``country`` is NaN), each change with the
        ``_low`` and ``_high`` ends of its 95% interval, the cost-of-delay rate and the days
        a year's saving is annualised from; ``country`` (codes or names) keeps those. The
        column keys stay English; ``lang`` names the countries (``Perú``, ``Paraguai``)."""
        return answer_table(self.to_results(), country, lang)

    def save(self, folder: str | Path, country: Choice = None) -> Path:
        """Write the files of ``mrasim compare --out folder`` (``sim.write_report`` reads them);
        ``country`` (codes or names) as ``--country``: the countries its answer speaks of."""
        return files.save_comparison(self, Path(folder), None, self.results[0]._codes(country))

    def digest(self, width: int = 100, lang: str | None = None) -> str:
        """What ``mrasim compare`` prints: the tables, then the answer and its assumptions; in
        ``lang`` (``"es"``, ``"pt"``, ``"en"``; None: ``MRASIM_LANG``, else the locale)."""
        return comparison_text(self.to_results(), View(width), lang=lang)

    def sentences(self, country: Choice = None, lang: str | None = None) -> list[str]:
        """The answer in words: one sentence per question (a sweep's one), as ``mrasim
        compare`` ends with them; of ``country`` (codes or names), in ``lang``."""
        return answer_sentences(self.to_results(), country, lang)


def run(scenario: Scenario, options: RunOptions | None = None, **changes: Any) -> RunResult:
    """Run replications of a scenario (:func:`sim.replicate.runner.run`, whose ``options``
    and keywords it takes); the result shows itself in a notebook."""
    return _as(RunResult, runner.run(scenario, options, **changes))


def compare(
    scenarios: list[Scenario],
    labels: list[str],
    options: RunOptions | None = None,
    **changes: Any,
) -> ComparisonResult:
    """Run scenarios on common random numbers, differences against the first
    (:func:`sim.replicate.runner.compare`, whose ``options`` and keywords it takes); the
    result shows itself in a notebook."""
    return _as(ComparisonResult, runner.compare(scenarios, labels, options, **changes))


def read_results(folder: str | Path) -> Results:
    """:func:`sim.results.files.read_results`: the result record of an ``--out`` folder,
    showing itself."""
    return _as(Results, files.read_results(folder))
