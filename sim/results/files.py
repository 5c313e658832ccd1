"""Results as files and text: what ``--out``, ``--json`` and ``result.save()`` write and print.

The CLI and the Python API share these functions, so a notebook's
``result.save(folder)`` writes exactly what ``--out folder`` writes and
``sim.write_report(folder)`` reads either.

``run.json`` holds, beside the scenario definitions, the run's provenance
(:mod:`sim.provenance`) and what its result assumes (:mod:`sim.assumptions`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import pandas as pd
import pyarrow as pa

from sim.errors import InputError
from sim.indicators.layout import KEY_COLUMNS as INDICATOR_KEYS
from sim.interpret.answer import answer_from, answer_json, relative_change, settings_of
from sim.interpret.assumptions import assumptions_of, to_json
from sim.model.vocabulary import ALL
from sim.replicate.result import SUMMARY_COLUMNS
from sim.replicate.stats import MISSING, Estimate
from sim.results.atomic import write_frame, write_json
from sim.results.provenance import provenance_of

if TYPE_CHECKING:
    from sim.replicate.result import ComparisonResult, RunResult

RUN_JSON = "run.json"
SUMMARY_FILES = ("summary.csv", "summary.parquet")
COMPARISON_FILES = ("comparison.csv", "comparison.parquet")
RECORDS_FILE = "records.parquet"


def run_record(result: RunResult, command: Sequence[str] | None = None) -> dict[str, Any]:
    """What a run was and assumes (``--json`` adds the summary, ``run.json`` the scenario)."""
    return {
        "scenario": result.scenario.name,
        "engine": result.engine,
        "replications": result.replications,
        "seed": result.seed,
        "stop_reason": result.stop_reason,
        "provenance": provenance_of(
            [result.scenario],
            seed=result.seed,
            engine=result.engine,
            replications=result.replications,
            stop_reason=result.stop_reason,
            command=command,
        ),
        "assumptions": to_json(assumptions_of(["run"], [result.scenario])),
    }


def comparison_record(
    result: ComparisonResult, command: Sequence[str] | None = None
) -> dict[str, Any]:
    """What a comparison was and assumes (``--json`` adds the table, ``run.json`` the
    scenario definitions)."""
    scenarios = [r.scenario for r in result.results]
    first = result.results[0]
    return {
        "kind": "comparison",
        "scenarios": list(result.labels),
        "files": list(dict.fromkeys(str(s.origin.path or s.name) for s in scenarios)),
        "engine": first.engine,
        "replications": result.replications,
        "seed": first.seed,
        "stop_reason": result.stop_reason,
        "provenance": provenance_of(
            scenarios,
            seed=first.seed,
            engine=first.engine,
            replications=result.replications,
            stop_reason=result.stop_reason,
            command=command,
        ),
        "assumptions": to_json(assumptions_of(result.labels, scenarios)),
        "answer": answer_json(answer_from(result.table(), settings_of(result))),
    }


def save_run(result: RunResult, folder: Path, command: Sequence[str] | None = None) -> Path:
    """Write a run's summary (CSV, Parquet), its records if kept, and ``run.json``."""
    folder = Path(folder)
    summary = result.summary()
    if result.record_frames:
        write_frame(result.records(), folder / RECORDS_FILE)
    for name in SUMMARY_FILES:
        write_frame(summary, folder / name)
    definition = result.scenario.model_dump(mode="json", by_alias=True)
    write_json(run_record(result, command) | {"scenario_definition": definition}, folder / RUN_JSON)
    return folder


def save_comparison(
    result: ComparisonResult, folder: Path, command: Sequence[str] | None = None
) -> Path:
    """Write a comparison's long table (CSV, Parquet) and ``run.json``."""
    folder = Path(folder)
    table = result.table()
    for name in COMPARISON_FILES:
        write_frame(table, folder / name)
    definitions = [r.scenario.model_dump(mode="json", by_alias=True) for r in result.results]
    write_json(
        comparison_record(result, command) | {"scenario_definitions": definitions},
        folder / RUN_JSON,
    )
    return folder


class Where(NamedTuple):
    """A row's level: country (or ``all``), mode (or ``all``), port (or ``all``), group, station."""

    country: str
    mode: str = ALL
    port: str = ALL
    group: str | None = ALL
    station: str | None = None


Stat = Estimate
"""A mean with its 95% interval."""


@dataclass(frozen=True)
class Results:
    """A results folder as the report reads it: scenarios, their definitions and every cell."""

    folder: Path
    meta: dict[str, Any]
    labels: list[str]  # the baseline first
    definitions: list[dict[str, Any]]  # one scenario definition per label
    cells: dict[tuple[str | None, ...], Stat]  # by KEY_COLUMNS
    counts: dict[tuple[str | None, ...], int]  # replications behind each cell
    countries: list[str]
    stations: dict[str, list[tuple[str, str, str]]]  # (mode, port, station) of each country
    rates: list[tuple[str, float]]  # (cost metric, ad-valorem rate per day), low to high
    modes: dict[str, list[str]]  # the modes of each area (country, or all for the region)
    table: pd.DataFrame  # the long table as read

    @property
    def compared(self) -> list[str]:
        """Scenarios that have paired differences from the baseline (none for a plain run)."""
        return self.labels[1:]

    @property
    def areas(self) -> list[str]:
        """Countries, then the region when there is more than one country."""
        return self.countries + ([ALL] if len(self.countries) > 1 else [])

    def get(self, kind: str, label: str, where: Where, metric: str) -> Stat:
        return self.cells.get((kind, label, *where, metric), MISSING)

    def relative(self, label: str, where: Where, metric: str) -> Stat:
        """The paired change in percent of the baseline (:func:`sim.answer.relative_change`)."""
        keys = [("value", self.labels[0]), ("value", label), ("difference", label)]
        counts = {self.counts.get((kind, s, *where, metric), 0) for kind, s in keys}
        replications = counts.pop() if len(counts) == 1 else 0
        stats = (self.get(kind, s, where, metric) for kind, s in keys)
        return relative_change(*stats, replications)

    def horizon_days(self, label: str) -> float:
        return float(self.definitions[self.labels.index(label)]["horizon_days"])

    def utilisation(self, label: str) -> float:
        """The scenario's utilisation setting; zero when the arrangement is not in force."""
        arrangement = self.definitions[self.labels.index(label)]["arrangement"]
        return float(arrangement["utilisation"]) if arrangement["in_force"] else 0.0


def read_results(folder: Path) -> Results:
    """Read the ``--out`` folder of ``mrasim compare`` or ``mrasim run``."""
    if not folder.is_dir():
        raise _bad(folder, "no such folder")
    meta = _read_meta(folder)
    comparison = meta.get("kind") == "comparison"
    table = _read_table(folder, COMPARISON_FILE if comparison else SUMMARY_FILE, comparison)
    if comparison:
        definitions = meta.get("scenario_definitions") or []
    else:
        table = table.assign(kind="value", scenario=str(meta.get("scenario", "run")), versus=None)
        definitions = [meta["scenario_definition"]] if "scenario_definition" in meta else []
    try:
        return results_of(table, meta, definitions, folder)
    except ValueError as exc:
        raise _bad(folder, str(exc)) from None


def results_of(
    table: pd.DataFrame,
    meta: dict[str, Any],
    definitions: list[dict[str, Any]],
    folder: Path = Path("."),
) -> Results:
    """The report's view of a long table (``ComparisonResult.table()``) and its scenario
    definitions, with no folder needed: what a live page draws its figures from."""
    labels = list(dict.fromkeys(table.loc[table["kind"] == "value", "scenario"]))
    totals = table.loc[(table["port"] == ALL) & (table["mode"] == ALL), "country"]
    countries = [c for c in dict.fromkeys(totals) if c != ALL]
    if not labels or not countries:
        raise ValueError("its table holds no country totals")
    if len(definitions) != len(labels):
        raise ValueError(f"{META_FILE} does not hold one scenario definition per scenario")
    return Results(
        folder,
        meta,
        labels,
        definitions,
        *_cells(table),
        countries,
        _stations(table),
        _rates(table),
        _modes(table),
        table,
    )


def _bad(folder: Path, problem: str) -> InputError:
    """Bad input says what to run to make a folder the report can read."""
    hint = (
        f"run `mrasim compare SCENARIO --out {folder}` (or `mrasim run SCENARIO --out "
        f"{folder}`) first"
    )
    return InputError(source=str(folder), field="", problem=f"{problem}; {hint}")


def _read_meta(folder: Path) -> dict[str, Any]:
    path = folder / META_FILE
    if not path.is_file():
        raise _bad(folder, f"holds no {META_FILE}: not the --out folder of mrasim compare or run")
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise _bad(folder, f"{META_FILE} cannot be read ({exc})") from None
    if not isinstance(meta, dict):
        raise _bad(folder, f"{META_FILE} is not a JSON object")
    return meta


def _read_table(folder: Path, name: str, comparison: bool) -> pd.DataFrame:
    path = folder / name
    if not path.is_file():
        raise _bad(folder, f"holds no {name}")
    try:
        table = pd.read_parquet(path)
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise _bad(folder, f"{name} cannot be read ({exc})") from None
    needed = (["kind", "scenario"] if comparison else []) + SUMMARY_COLUMNS
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise _bad(folder, f"{name} lacks the columns {', '.join(missing)}")
    return table


def _cells(
    table: pd.DataFrame,
) -> tuple[dict[tuple[str | None, ...], Stat], dict[tuple[str | None, ...], int]]:
    """Every row by its key, and its replications; missing levels (group, station) are None."""
    keys = table[KEY_COLUMNS].astype(object)
    keys = list(keys.where(keys.notna(), None).itertuples(index=False, name=None))
    stats = table[["mean", "ci_low", "ci_high"]].astype(float).itertuples(index=False, name=None)
    cells = {key: Stat(*stat) for key, stat in zip(keys, stats, strict=True)}
    return cells, dict(zip(keys, table["replications"].astype(int), strict=True))


def _stations(table: pd.DataFrame) -> dict[str, list[tuple[str, str, str]]]:
    """Each country's (mode, port, station) triples, in the order of the table."""
    columns = ["country", "mode", "port", "station"]
    rows = table.loc[table["station"].notna(), columns].drop_duplicates()
    stations: dict[str, list[tuple[str, str, str]]] = {}
    for country, mode, port, station in rows.itertuples(index=False, name=None):
        stations.setdefault(country, []).append((mode, port, station))
    return stations


def _modes(table: pd.DataFrame) -> dict[str, list[str]]:
    """The modes with their own rows in each area (a country, or ``all`` for the region)."""
    rows = table.loc[(table["port"] == ALL) & (table["mode"] != ALL), ["country", "mode"]]
    modes: dict[str, list[str]] = {}
    for country, mode in rows.drop_duplicates().itertuples(index=False, name=None):
        modes.setdefault(country, []).append(mode)
    return modes


def _rates(table: pd.DataFrame) -> list[tuple[str, float]]:
    """Cost-of-delay metrics and their rates, read back from the metric names."""
    found = (re.fullmatch(r"delay_cost_usd_(.+)pct", m) for m in table["metric"].unique())
    return sorted(((m.group(0), float(m.group(1)) / 100) for m in found if m), key=lambda r: r[1])


REPORT_FILE = "report.html"


META_FILE = "run.json"


COMPARISON_FILE = "comparison.parquet"


SUMMARY_FILE = "summary.parquet"


KEY_COLUMNS = ["kind", "scenario", *INDICATOR_KEYS]
