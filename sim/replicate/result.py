"""The result of a run or a comparison: statistics over replications, as tables.

:class:`RunResult` and :class:`ComparisonResult` are what :func:`sim.run` and
:func:`sim.compare` return. Their ``save`` and ``digest`` reach up to the results
and interpret stages (imported inside the method, as pandas' ``DataFrame.to_parquet``
imports pyarrow): a result knows how to write itself without this stage depending
on the pages and tables built on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sim.indicators.layout import KEY_COLUMNS, Layout
from sim.model.schema import Scenario
from sim.replicate.processes import default_workers as default_workers
from sim.replicate.stats import CONFIDENCE, Accumulator

SUMMARY_COLUMNS = [*KEY_COLUMNS, "mean", "ci_low", "ci_high", "replications"]
"""The long table: country, mode, port, group, station, metric, then the statistics."""


# --- the user's view ----------------------------------------------------------


def summary_frame(
    layout: Layout, accumulator: Accumulator, confidence: float = CONFIDENCE
) -> pd.DataFrame:
    """The long summary table of one accumulator."""
    mean, low, high = accumulator.result(confidence)
    frame = pd.DataFrame(layout.rows, columns=KEY_COLUMNS)
    frame["mean"], frame["ci_low"], frame["ci_high"] = mean, low, high
    frame["replications"] = accumulator.count
    return frame


@dataclass
class RunResult:
    """Statistics of a run (and its records, when kept)."""

    scenario: Scenario
    engine: str
    seed: int
    layout: Layout
    accumulator: Accumulator
    stop_reason: str = ""
    record_frames: list[pd.DataFrame] = field(default_factory=list)
    workers: int = 1

    @property
    def replications(self) -> int:
        return int(self.accumulator.count.max(initial=0))

    def summary(self, confidence: float = CONFIDENCE) -> pd.DataFrame:
        """The long table: country, port, group, station, metric, mean, ci_low, ci_high,
        replications."""
        return summary_frame(self.layout, self.accumulator, confidence)

    def records(self) -> pd.DataFrame:
        """Per-shipment records of every replication (only if the run kept them)."""
        if not self.record_frames:
            raise ValueError("this run kept no records; run with keep_records=True (--records)")
        return pd.concat(self.record_frames, ignore_index=True)

    def save(self, folder: str | Path) -> Path:
        """Write the files of ``mrasim run --out folder`` (``sim.write_report`` reads them)."""
        from sim.results.files import save_run

        return save_run(self, Path(folder))

    def digest(self, width: int = 100) -> str:
        """What ``mrasim run`` prints: the summary by area and group, and its assumptions."""
        from sim.interpret.terminal import View
        from sim.interpret.text import run_text

        return run_text(self, View(width))


@dataclass
class ComparisonResult:
    """Several scenarios run on common random numbers, and their paired differences.

    ``results[i]`` is scenario i on its own; ``differences[i - 1]`` accumulates,
    replication by replication, scenario i minus scenario 0 (the baseline).
    """

    labels: list[str]
    results: list[RunResult]
    layout: Layout  # rows of every scenario (the union)
    differences: list[Accumulator]
    stop_reason: str = ""
    workers: int = 1

    @property
    def replications(self) -> int:
        return self.results[0].replications

    def table(self, confidence: float = CONFIDENCE) -> pd.DataFrame:
        """Long table of values and paired differences.

        Columns: kind (value | difference), scenario, versus (the baseline of a
        difference), then the summary columns.
        """
        frames = []
        for label, result in zip(self.labels, self.results, strict=True):
            frame = summary_frame(result.layout, result.accumulator, confidence)
            frames.append(frame.assign(kind="value", scenario=label, versus=None))
        for label, difference in zip(self.labels[1:], self.differences, strict=True):
            frame = summary_frame(self.layout, difference, confidence)
            frames.append(frame.assign(kind="difference", scenario=label, versus=self.labels[0]))
        table = pd.concat(frames, ignore_index=True)
        return table[["kind", "scenario", "versus", *SUMMARY_COLUMNS]]

    def save(self, folder: str | Path) -> Path:
        """Write the files of ``mrasim compare --out folder`` (``sim.write_report`` reads them)."""
        from sim.results.files import save_comparison

        return save_comparison(self, Path(folder))

    def digest(self, width: int = 100) -> str:
        """What ``mrasim compare`` prints: the tables, then the answer and its assumptions."""
        from sim.interpret.terminal import View
        from sim.interpret.text import comparison_text

        return comparison_text(self, View(width))

