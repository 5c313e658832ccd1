"""The result of a run or a comparison: statistics over replications, as tables.

:class:`RunResult` and :class:`ComparisonResult` are what the runner makes, and
:class:`Results` the one record every later stage reads. They are records only: how a
notebook shows them (``save``, ``digest``, ``answer``, ``plot``...) is added by
:mod:`sim.api.shown`, above the stages that know how, so this stage depends on none of them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

from sim.indicators.layout import ROW_KEYS, Layout
from sim.model.iso3166 import country_codes
from sim.model.schema import Scenario
from sim.model.vocabulary import ALL
from sim.replicate.processes import default_workers as default_workers
from sim.replicate.stats import CONFIDENCE, MISSING, Accumulator, Estimate, relative_change
from sim.replicate.views import Choice, dated, select, with_levels

SUMMARY_COLUMNS = [*ROW_KEYS, "mean", "ci_low", "ci_high", "replications"]
"""The long table: country, mode, port, group, station, metric, then the statistics."""
TABLE_COLUMNS = ["kind", "scenario", "versus", *SUMMARY_COLUMNS]
"""The result table: ``kind`` (value | difference), ``scenario``, ``versus`` (the baseline
of a difference), then the summary columns."""
CELL_KEYS = ["kind", "scenario", *ROW_KEYS]
"""What names one number of the result table."""


# --- the user's view ----------------------------------------------------------


def summary_frame(
    layout: Layout, accumulator: Accumulator, confidence: float = CONFIDENCE
) -> pd.DataFrame:
    """The long summary table of one accumulator."""
    mean, low, high = accumulator.result(confidence)
    frame = pd.DataFrame(layout.rows, columns=ROW_KEYS)
    frame["mean"], frame["ci_low"], frame["ci_high"] = mean, low, high
    frame["replications"] = accumulator.count
    return frame


@dataclass(repr=False)
class RunResult:
    """Statistics of a run (and its records, when kept).

    :meth:`summary` filters the indicators, :meth:`records` gives the shipments with
    dates when given a start.
    """

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

    def table(self, confidence: float = CONFIDENCE) -> pd.DataFrame:
        """The long table as the files hold it (``summary.csv``): country, mode, port, group,
        station, metric, mean, ci_low, ci_high, replications; ``all`` for an aggregate."""
        return summary_frame(self.layout, self.accumulator, confidence)

    def summary(
        self,
        country: Choice = None,
        mode: Choice = None,
        group: Choice = None,
        metric: Choice = None,
        level: Choice = None,
        confidence: float = CONFIDENCE,
    ) -> pd.DataFrame:
        """The indicators as a DataFrame: ``level`` (port, country-mode, country, region-mode,
        region), country, mode, port, group, station, metric, mean, ci_low, ci_high,
        replications; an aggregated key is NaN (:mod:`sim.replicate.views`).

        Each filter takes a value or a list: ``country`` by ISO code or name in any case
        (``"PER"``, ``"Peru"``), ``mode`` (``"sea"``), ``group`` (``"eligible"``), ``metric``
        (``"clearance_h_mean"``), ``level`` (``"country"``).
        """
        table = self.table(confidence)
        chosen = select(table, country=country, mode=mode, group=group, metric=metric, level=level)
        return with_levels(chosen).reset_index(drop=True)

    def to_results(self, meta: Mapping[str, Any] | None = None) -> Results:
        """The result record (the scenario's name labels its values)."""
        table = self.table().assign(kind="value", scenario=self.scenario.name, versus=None)
        return Results((self.scenario.name,), (self.scenario,), table[TABLE_COLUMNS], meta or {})

    def records(self, start: Any = None) -> pd.DataFrame:
        """Per-shipment records of every replication (only if the run kept them).

        Times are hours from the scenario's start, a Monday at 00:00; given ``start`` (a
        Monday: ``"2026-01-05"``), the instants (arrival, unloaded, lodgement, each
        station's start and end, release) are dates and times instead. Durations
        (``clearance_h``, ``customs_h``, overtime) stay hours.
        """
        if not self.record_frames:
            raise ValueError("this run kept no records; run with keep_records=True (--records)")
        frame = pd.concat(self.record_frames, ignore_index=True)
        return frame if start is None else dated(frame, start)

    def _codes(self, country: Choice) -> list[str] | None:
        if country is None:
            return None
        countries = list(dict.fromkeys(code for code, _, _ in self.scenario.ports))
        return country_codes(
            [country] if isinstance(country, str) else country, countries, "country"
        )


@dataclass(repr=False)
class ComparisonResult:
    """Several scenarios run on common random numbers, and their paired differences.

    ``results[i]`` is scenario i on its own; ``differences[i - 1]`` accumulates,
    replication by replication, scenario i minus scenario 0 (the baseline);
    :meth:`summary` gives every indicator, filtered.
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
        return table[TABLE_COLUMNS]

    def to_results(self, meta: Mapping[str, Any] | None = None) -> Results:
        """The result record: the scenarios compared and the long table."""
        scenarios = tuple(r.scenario for r in self.results)
        return Results(tuple(self.labels), scenarios, self.table(), meta or {})

    def summary(
        self,
        country: Choice = None,
        mode: Choice = None,
        group: Choice = None,
        metric: Choice = None,
        level: Choice = None,
        confidence: float = CONFIDENCE,
    ) -> pd.DataFrame:
        """Every value and paired difference as a DataFrame: ``kind`` (value | difference),
        ``scenario``, ``versus``, then the columns and filters of :meth:`RunResult.summary`."""
        table = self.table(confidence)
        chosen = select(table, country=country, mode=mode, group=group, metric=metric, level=level)
        return with_levels(chosen).reset_index(drop=True)


# --- the result record ------------------------------------------------------------


class Where(NamedTuple):
    """A row's level: country (or ``all``), mode (or ``all``), port (or ``all``), group, station."""

    country: str
    mode: str = ALL
    port: str = ALL
    group: str | None = ALL
    station: str | None = None


@dataclass(frozen=True, repr=False)
class Results:
    """The result record: a run or a comparison as every output reads it.

    The terminal's tables, the answer, the HTML report, the workbook and the live
    page all read this one shape, whether it comes from a run just made
    (:meth:`ComparisonResult.results`) or from a results folder
    (:func:`sim.results.files.read_results`): the scenarios (baseline first), the
    long table of their values and paired differences (:data:`TABLE_COLUMNS`), and
    what ``run.json`` says of how it was made (``meta``: provenance, assumptions).
    """

    labels: tuple[str, ...]  # the baseline first
    scenarios: tuple[Scenario, ...]  # one per label
    table: pd.DataFrame
    meta: Mapping[str, Any] = field(default_factory=dict)
    folder: Path | None = None
    uncertainty: pd.DataFrame | None = None
    """Over the uncertain inputs (``--uncertainty N``): each row's central estimate and
    simulation-noise interval, plausible range and the inputs' share of its variance."""
    drivers: pd.DataFrame | None = None
    """Each headline effect's first-order (and total) index for each uncertain input."""
    draws: pd.DataFrame | None = None
    """Each draw's input values and headline effects (for the effect-against-input figure)."""
    chosen: tuple[str, ...] | None = None
    """The countries the outputs speak of (a national brief: ``--country``); None for all.
    The table keeps every row; :attr:`countries` and :attr:`areas` follow the choice."""

    def __post_init__(self) -> None:
        if not self.labels or len(self.labels) != len(self.scenarios):
            raise ValueError("a result needs one scenario per label")

    @property
    def compared(self) -> tuple[str, ...]:
        """Scenarios with paired differences from the baseline (none for a plain run)."""
        return self.labels[1:]

    @property
    def replications(self) -> int:
        return int(self.table["replications"].max()) if len(self.table) else 0

    def scenario(self, label: str) -> Scenario:
        return self.scenarios[self.labels.index(label)]

    @cached_property
    def all_countries(self) -> list[str]:
        """The countries with ports, in the table's order, whatever was chosen."""
        totals = self.table.loc[(self.table["port"] == ALL) & (self.table["mode"] == ALL)]
        return [c for c in dict.fromkeys(totals["country"].tolist()) if c != ALL]

    @property
    def countries(self) -> list[str]:
        """The countries the outputs speak of (the chosen ones), in the table's order."""
        if self.chosen is None:
            return self.all_countries
        return [c for c in self.all_countries if c in self.chosen]

    @property
    def whole(self) -> bool:
        """Whether the outputs speak of every country (then the region is theirs too)."""
        return len(self.countries) == len(self.all_countries)

    @property
    def areas(self) -> list[str]:
        """Countries, then the region when there is more than one country and all of them are
        chosen (the region's rows pool every country, not only the chosen ones)."""
        several = len(self.countries) > 1 and self.whole
        return self.countries + ([ALL] if several else [])

    def for_countries(self, countries: Sequence[str] | None) -> Results:
        """The same record speaking only of these countries (ISO codes or names, any case:
        ``PER``, ``Peru``, ``perú``); all of them when None or when every country is named."""
        if countries is None:
            return replace(self, chosen=None)
        codes = country_codes(
            [countries] if isinstance(countries, str) else countries, self.all_countries, "country"
        )
        return replace(self, chosen=None if len(codes) == len(self.all_countries) else tuple(codes))

    @cached_property
    def _cells(self) -> dict[tuple[str | None, ...], tuple[Estimate, int]]:
        """Every row by its key, with its replications; missing levels (group, station) are
        None."""
        keys = self.table[CELL_KEYS].astype(object)
        rows = keys.where(keys.notna(), None).itertuples(index=False, name=None)
        stats = self.table[["mean", "ci_low", "ci_high"]].astype(float)
        counts = self.table["replications"].astype(int).tolist()
        estimates = (Estimate(*s) for s in stats.itertuples(index=False, name=None))
        return dict(zip(rows, zip(estimates, counts, strict=True), strict=True))

    def get(self, kind: str, label: str, where: Where, metric: str) -> Estimate:
        return self._cells.get((kind, label, *where, metric), (MISSING, 0))[0]

    def count(self, kind: str, label: str, where: Where, metric: str) -> int:
        return self._cells.get((kind, label, *where, metric), (MISSING, 0))[1]

    def relative(self, label: str, where: Where, metric: str) -> Estimate:
        """The paired change in percent of the baseline (see :func:`relative_change`)."""
        keys = [("value", self.labels[0]), ("value", label), ("difference", label)]
        counts = {self.count(kind, s, where, metric) for kind, s in keys}
        replications = counts.pop() if len(counts) == 1 else 0
        baseline, compared, difference = (self.get(kind, s, where, metric) for kind, s in keys)
        return relative_change(baseline, compared, difference, replications)

    @cached_property
    def stations(self) -> dict[str, list[tuple[str, str, str]]]:
        """Each country's (mode, port, station) triples, in the order of the table."""
        columns = ["country", "mode", "port", "station"]
        rows = self.table.loc[self.table["station"].notna(), columns].drop_duplicates()
        stations: dict[str, list[tuple[str, str, str]]] = {}
        for country, mode, port, station in rows.itertuples(index=False, name=None):
            stations.setdefault(country, []).append((mode, port, station))
        return stations

    @cached_property
    def modes(self) -> dict[str, list[str]]:
        """The modes with their own rows in each area (a country, or ``all`` for the region)."""
        table = self.table
        rows = table.loc[(table["port"] == ALL) & (table["mode"] != ALL), ["country", "mode"]]
        modes: dict[str, list[str]] = {}
        for country, mode in rows.drop_duplicates().itertuples(index=False, name=None):
            modes.setdefault(country, []).append(mode)
        return modes

    @cached_property
    def rates(self) -> list[tuple[str, float]]:
        """Cost-of-delay metrics and their rates per day, read back from the metric names."""
        found = (re.fullmatch(r"delay_cost_usd_(.+)pct", m) for m in self.table["metric"].unique())
        rates = ((m.group(0), float(m.group(1)) / 100) for m in found if m)
        return sorted(rates, key=lambda r: r[1])

    def horizon_days(self, label: str) -> float:
        return float(self.scenario(label).horizon_days)

    def utilisation(self, label: str) -> float:
        """The share of eligible shipments that claim recognition in a scenario."""
        return self.scenario(label).arrangement.claim_probability

    def summary(
        self,
        country: Choice = None,
        mode: Choice = None,
        group: Choice = None,
        metric: Choice = None,
        level: Choice = None,
    ) -> pd.DataFrame:
        """The table as a DataFrame with a ``level`` column and NaN for aggregated keys, filtered
        as :meth:`RunResult.summary` (``kind``, ``scenario``, ``versus`` first)."""
        chosen = select(
            self.table, country=country, mode=mode, group=group, metric=metric, level=level
        )
        return with_levels(chosen).reset_index(drop=True)

    def restricted(self, countries: Sequence[str]) -> Results:
        """The same record with the area rows of these countries and the region only."""
        table = self.table
        rows = table["station"].isna() & (table["port"] == ALL)
        rows &= table["country"].isin([*countries, ALL])
        table = table[rows].reset_index(drop=True)
        return Results(
            self.labels, self.scenarios, table, self.meta, None, *self._restricted(countries)
        )

    def _restricted(
        self, countries: Sequence[str]
    ) -> tuple[pd.DataFrame | None, pd.DataFrame | None, pd.DataFrame | None]:
        """The uncertainty tables' rows of these countries and the region (draws whole)."""
        out = []
        for frame in (self.uncertainty, self.drivers):
            if frame is not None:
                frame = frame[frame["country"].isin([*countries, ALL])].reset_index(drop=True)
            out.append(frame)
        return out[0], out[1], self.draws
