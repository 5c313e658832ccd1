"""The policy report: one self-contained HTML page from a ``mrasim compare`` or ``run`` folder.

The page is written for a trade ministry official rather than for the analyst
who ran the simulation. It opens with the answer (one sentence per question and
a row per country, :mod:`sim.answer`) and what that answer assumes
(:mod:`sim.assumptions`); then the figures; then the long tables, behind a table
of contents. Plain words and units, every number rounded to the 95% interval
that says how far to trust it (:mod:`sim.numbers`, as in the terminal), and
figures embedded as PNG so that the single file can be mailed or archived
without its folder.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from . import __version__
from .answer import (
    Answer,
    CountryRow,
    Settings,
    annual_saving,
    answer_from,
    money_range,
    relative_change,
)
from .assumptions import Assumption, from_json
from .errors import InputError
from .indicators import ALL, ELIGIBLE, HEADLINE, NOT_ELIGIBLE, SUMMARY_GROUPS
from .indicators import KEY_COLUMNS as INDICATOR_KEYS
from .iso3166 import country_name
from .numbers import MISSING, Estimate, Kind, detectable, kind_of, percent, show
from .output import write_atomic
from .provenance import provenance_lines
from .runner import SUMMARY_COLUMNS
from .scenario import GROUPS

REPORT_FILE = "report.html"
META_FILE = "run.json"
COMPARISON_FILE = "comparison.parquet"
SUMMARY_FILE = "summary.parquet"
KEY_COLUMNS = ["kind", "scenario", *INDICATOR_KEYS]

INDICATOR_LABELS = {
    "utilisation_rate": "utilisation rate",
    "green_share": "green share (no check)",
    "yellow_share": "yellow share (documentary check)",
    "red_share": "red share (documentary and physical check)",
    "clearance_h_mean": "clearance time, mean (h)",
    "clearance_h_median": "clearance time, median (h)",
    "clearance_h_p90": "clearance time, 90th percentile (h)",
    "shipments": "shipments counted",
}
"""The common indicators (and the count they rest on) as the report names them: words and
units, not column names."""

GROUP_LABELS = {
    ALL: "all shipments",
    "standard": "standard",
    "national_aeo": "national AEO",
    "recognised_aeo": "recognised AEO",
    ELIGIBLE: "eligible",
    NOT_ELIGIBLE: "not eligible",
}
STATION_MEASURES = (
    ("wait_h_mean", ALL, "wait, all shipments (h)"),
    ("wait_h_mean", ELIGIBLE, "wait, eligible shipments (h)"),
    ("general_utilisation", None, "utilisation, general servers"),
    ("reserved_utilisation", None, "utilisation, reserved servers"),
    ("overtime_h", None, "overtime (server-hours)"),
)
"""(metric, group, label) of the rows shown for each station."""

GROUP_COLOURS = {ELIGIBLE: "#D55E00", ALL: "#0072B2"}  # Okabe-Ito: safe for colour blindness
COST_SOURCE = (
    "Hummels, D. L. and G. Schaur (2013), “Time as a Trade Barrier”, "
    "<i>American Economic Review</i> 103(7): 2935–59"
)


# --- reading --------------------------------------------------------------------


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


# --- writing --------------------------------------------------------------------


def write_report(folder: Path, output: Path | None = None) -> Path:
    """Write the HTML report of a results folder (default ``folder / "report.html"``)."""
    folder = Path(folder)
    if (folder / "manifest.json").is_file():  # a `mrasim experiment` folder
        from .experiment.report import write_report as write_experiment_report

        return write_experiment_report(folder, output)
    results = read_results(folder)
    output = folder / REPORT_FILE if output is None else Path(output)
    page = render(results)
    write_atomic(output, lambda tmp: tmp.write_text(page, encoding="utf-8"))
    return output


def render(results: Results) -> str:
    """The whole page, sections in the order an official reads them."""
    found = _answer_of(results)
    sections = [
        _title(results),
        answer_section(found),
        _assumptions_box(results),
        _contents(results),
        figures_section(results),
        _how_to_read(results),
        _indicators(results),
        _waits(results),
        _costs(results),
        _footer(results),
    ]
    return PAGE.format(
        title=_esc(_scenario_name(results)),
        style=STYLE,
        script=f"<script>{SCRIPT}</script>\n",
        body="\n".join(s for s in sections if s),
    )


def _answer_of(results: Results) -> Answer | None:
    if not results.compared:
        return None
    return answer_from(results.table, Settings.of(results.labels, results.definitions))


# --- numbers --------------------------------------------------------------------


def _value_td(stat: Stat, metric: str, inline: bool) -> str:
    """A value cell; its interval is shown below it, or on hover beside paired differences."""
    if not math.isfinite(stat.mean):
        return "<td>–</td>"
    shown = show(stat, kind_of(metric))
    text = _esc(_unit(shown.mean, shown.unit))
    interval = _unit_range(shown)
    if inline:
        return f"<td>{text}{_ci(interval)}</td>"
    title = f' title="95% interval {_esc(interval)}"' if interval else ""
    return f"<td{title}>{text}</td>"


def _change_td(stat: Stat, kind: Kind, units: bool = False) -> str:
    """A paired difference with its interval; bold only when its interval excludes zero and it
    does not round to zero."""
    if not math.isfinite(stat.mean):
        return "<td>–</td>"
    shown = show(stat, kind, signed=True, change=True, units=units)
    tag = '<td class="clear">' if detectable(stat, shown) else "<td>"
    return f"{tag}{_esc(_unit(shown.mean, shown.unit))}{_ci(_unit_range(shown))}</td>"


def _money_td(stat: Stat) -> str:
    if not math.isfinite(stat.mean):
        return "<td>–</td>"
    shown = show(stat, Kind.MONEY)
    tag = '<td class="clear">' if detectable(stat, shown) else "<td>"
    interval = money_range(shown) if shown.low else ""
    return f"{tag}{_esc(shown.plain())}{_ci(interval)}</td>"


def _unit(number: str, unit: str) -> str:
    """``-1.4 h``, ``87.3%``, ``+9.6 pp``; hours without a unit in tables that say (h)."""
    if unit in ("%",):
        return f"{number}%"
    return f"{number} {unit}" if unit in ("pp", "min", "h") else number


def _unit_range(shown: Any) -> str:
    if not shown.low:
        return ""
    return f"{_unit(shown.low, shown.unit)} to {_unit(shown.high, shown.unit)}"


def _ci(interval: str) -> str:
    """The interval in small grey type below its number (nothing when there is none)."""
    return f'<span class="ci">{_esc(interval)}</span>' if interval else ""


# --- HTML pieces ------------------------------------------------------------------


def _esc(text: object) -> str:
    return html.escape(str(text))


def _area_name(area: str, pooled_clocks_differ: bool = False) -> str:
    if area == ALL:
        return "Region (all countries)" + (
            "*: it pools countries whose clocks may differ" if pooled_clocks_differ else ""
        )
    name = country_name(area)
    return f"{area} – {name}" if name != area else area


def _scenario_name(results: Results) -> str:
    return " vs ".join(dict.fromkeys(str(d.get("name", "")) for d in results.definitions))


def _table(
    header: Sequence[str], rows: Iterable[Sequence[str]], labels: int, table_id: str = ""
) -> str:
    """An HTML table: the first ``labels`` cells of a row are text, blank when they repeat
    the row above (as in a printed table); the others are ready ``<td>`` elements."""
    head = "".join(f"<th>{_esc(h)}</th>" for h in header)
    lines: list[str] = []
    previous: Sequence[str] = ()
    for row in rows:
        shown = [
            "" if previous and row[: i + 1] == previous[: i + 1] else cell
            for i, cell in enumerate(row[:labels])
        ]
        cells = "".join(f'<td class="label">{_esc(cell)}</td>' for cell in shown)
        lines.append(f"<tr>{cells}{''.join(row[labels:])}</tr>")
        previous = row[:labels]
    ident = f' id="{table_id}"' if table_id else ""
    return (
        f'<div class="scroll"><table{ident}><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(lines)}</tbody></table></div>"
    )


def _details(summary: str, body: str, is_open: bool) -> str:
    """Folded detail: long per-country tables stay out of the way until asked for."""
    tag = "<details open>" if is_open else "<details>"
    return f"{tag}<summary>{_esc(summary)}</summary>{body}</details>"


class Line(NamedTuple):
    """One row of a measure table: its labels, its level and its metric."""

    labels: tuple[str, ...]
    where: Where
    metric: str


def _measure_table(results: Results, header: Sequence[str], lines: Iterable[Line]) -> str:
    """Rows of measures; columns: each scenario's value, then each paired difference.

    Rows undefined in every scenario (e.g. recognised AEOs without the
    arrangement) are left out.
    """
    baseline = results.labels[0]
    head = [
        *header,
        *results.labels,
        *(f"{label} − {baseline}" for label in results.compared),
        *(f"{label} vs {baseline} (%)" for label in results.compared),
    ]
    rows = []
    for line in lines:
        kind = kind_of(line.metric)
        values = [results.get("value", s, line.where, line.metric) for s in results.labels]
        changes = [results.get("difference", s, line.where, line.metric) for s in results.compared]
        if not any(math.isfinite(s.mean) for s in (*values, *changes)):
            continue
        relative = [
            _change_td(results.relative(s, line.where, line.metric), Kind.PERCENT)
            if kind is not Kind.SHARE
            else '<td class="na" title="a change in a share is read in percentage points">–</td>'
            for s in results.compared
        ]
        rows.append(
            [
                *line.labels,
                *(_value_td(v, line.metric, not results.compared) for v in values),
                *(_change_td(c, kind) for c in changes),
                *relative,
            ]
        )
    return _table(head, rows, len(header))


# --- sections -------------------------------------------------------------------


def _title(results: Results) -> str:
    description = results.definitions[0].get("description", "") if results.definitions else ""
    if results.compared:
        what = (
            f"Scenarios compared: <b>{_esc(results.labels[0])}</b> (the baseline) against "
            + ", ".join(f"<b>{_esc(s)}</b>" for s in results.compared)
            + "."
        )
    else:
        what = "One scenario, without a comparison."
    return (
        f"<h1>Customs clearance under the regional AEO mutual recognition arrangement"
        f'</h1><p class="sub">Scenario <b>{_esc(_scenario_name(results))}</b>: '
        f"{_esc(description)}</p><p>{what} Countries: "
        f"{_esc(', '.join(country_name(c) for c in results.countries))}.</p>"
    )


def answer_section(found: Answer | None) -> str:
    """The answer first: one sentence per question, then one row per country (the report's
    section, and a live page's)."""
    if found is None:
        return ""
    sentences = "".join(f'<p class="sentence">{_esc(s)}</p>' for s in found.sentences)
    header = ["country"]
    if found.sweep:
        header.append("utilisation")
    header += [
        "change in clearance time",
        "relative change",
        "change in green share",
    ]
    if found.has_savings:
        rate = 100 * (found.rate or 0)
        header.append(f"cost of delay saved a year (all shipments, {rate:g}%/day)")
    rows = [_answer_row(row, found) for row in _answer_rows(found)]
    notes = [
        f"Eligible (partner-AEO) shipments: the exporter is an AEO of another member, whether "
        f"the declaration claims recognition or not. Changes are from {found.baseline}; the range "
        "below each number is its 95% interval; bold: an interval that excludes zero."
    ]
    if found.pooled_clocks_differ:
        notes.append(
            f"* {found.pooled_note.capitalize()} (see what this result assumes): read its "
            "relative change, and compare hours within a country."
        )
    if found.without_value and found.rate is not None:
        names = ", ".join(country_name(c) for c in found.without_value)
        notes.append(f"No declared value for {names}: cost of delay not computed there.")
    elif not found.has_savings:
        notes.append("No declared value: cost of delay not computed.")
    note = "".join(f'<p class="note">{_esc(n)}</p>' for n in notes)
    return (
        f'<section id="answer" class="answer"><h2>The answer</h2>{sentences}'
        f"<h3>Eligible (partner-AEO) shipments, by country</h3>"
        f"{_table(header, rows, 2 if found.sweep else 1, 'answer-table')}{note}</section>"
    )


def _answer_rows(found: Answer) -> list[CountryRow]:
    areas = list(dict.fromkeys(row.area for row in found.rows))
    return sorted(found.rows, key=lambda row: (areas.index(row.area), row.claim_probability))


def _answer_row(row: CountryRow, found: Answer) -> list[str]:
    name = (
        country_name(row.area)
        if row.area != ALL
        else "Region" + ("*" if found.pooled_clocks_differ else "")
    )
    cells = [name]
    if found.sweep:
        cells.append(percent(row.claim_probability))
    cells += [
        _change_td(row.clearance, Kind.HOURS, units=True),
        _change_td(row.relative, Kind.PERCENT),
        _change_td(row.green, Kind.SHARE),
    ]
    if found.has_savings:
        cells.append(_money_td(row.saving))
    return cells


def _assumptions_box(results: Results) -> str:
    return assumptions_section(from_json(results.meta.get("assumptions")))


def assumptions_section(items: Sequence[Assumption]) -> str:
    """What the result assumes, as a box (the report's, and a live page's)."""
    if not items:
        body = (
            "<p>This folder was written by an mrasim that did not record its assumptions; "
            "see the scenario files named under “About this run”.</p>"
        )
    else:
        entries = []
        for item in items:
            details = "".join(f"<li>{_esc(d)}</li>" for d in item.details)
            entries.append(
                f'<li data-topic="{_esc(item.topic)}">{_esc(item.text)}'
                + (f"<ul>{details}</ul>" if details else "")
                + "</li>"
            )
        body = f"<ul>{''.join(entries)}</ul>"
    return (
        f'<section id="assumptions" class="assumes"><h2>What this result assumes</h2>{body}'
        "</section>"
    )


def _contents(results: Results) -> str:
    countries = "".join(
        f'<li><a href="#{_country_id(area)}">{_esc(_area_name(area))}</a></li>'
        for area in results.areas
    )
    items = [
        ("figures", "Figures"),
        ("how-to-read", "How to read this report"),
        ("indicators", "1. The arrangement's common indicators, by country"),
        ("waits", "2. Waits and station utilisation, by port"),
    ]
    if results.compared and results.rates:
        items.append(("costs", "3. The cost of delay"))
    items.append(("about", "About this run"))
    links = "".join(
        f'<li><a href="#{anchor}">{_esc(text)}</a>'
        + (f"<ul>{countries}</ul>" if anchor == "indicators" else "")
        + "</li>"
        for anchor, text in items
    )
    return f'<nav id="contents"><h2>Contents</h2><ul>{links}</ul></nav>'


def _country_id(area: str) -> str:
    return "region" if area == ALL else f"country-{area}"


def _how_to_read(results: Results) -> str:
    replications = results.meta.get("replications", "?")
    paired = (
        " A column headed “B − A” is the paired difference between scenarios B and A: every "
        "replication of every scenario uses the same random numbers (common random numbers: the "
        "same shipments arrive at the same times and draw the same checks unless the scenario "
        "changes them), so a difference measures the effect of what the scenarios change and not "
        "of luck, and its interval is much narrower than those of the two values. A column "
        "headed “B vs A (%)” is the same change as a percentage of A (a change in a share is read "
        "in percentage points instead). A change in <b>bold</b> has a 95% interval that excludes "
        "zero. Hover over a value for its interval."
        if results.compared
        else " Each value has its 95% interval in grey below it."
    )
    return f"""<h2 id="how-to-read">How to read this report</h2>
<p>The numbers come from a discrete-event simulation of import clearance at each modelled port.
Every number is a <b>mean over {_esc(replications)} independent replications</b> of the simulated
period, with a <b>95% confidence interval</b> (“a to b”): the range that, with 95% confidence,
holds the mean the model would give with unlimited replications. Numbers are rounded to what
their interval supports.{paired}
<b>Clearance time</b> is the number of hours from the arrival of the goods to their release by
customs. Shares are percentages of shipments; changes in shares are in percentage points (pp).
Compare scenarios within a country: clearance levels of different countries may measure
different stretches of the process (see what this result assumes).</p>
<dl>
<dt>standard</dt><dd>importer not an AEO, and no claim of recognition.</dd>
<dt>national AEO (national_aeo)</dt><dd>the importer is an Authorized Economic Operator of the
importing country.</dd>
<dt>recognised AEO (recognised_aeo)</dt><dd>the exporter is an AEO of another member and the
declaration claims the mutual recognition arrangement.</dd>
<dt>eligible</dt><dd>the exporter is an AEO of another member, whether the declaration claims
recognition or not: the shipments the arrangement can help (“partner-AEO shipments”).</dd>
<dt>not eligible</dt><dd>every other shipment.</dd>
<dt>membership</dt><dd>all, eligible and not eligible have the same members with and without the
arrangement: read effects on them. Standard and recognised AEO change membership (a claiming
shipment moves from one to the other), so their changes mix the effect with who is counted.</dd>
<dt>utilisation rate</dt><dd>claimed / eligible: the share of eligible shipments that claim
recognition.</dd>
<dt>green / yellow / red share</dt><dd>customs selectivity: released without check / after a
documentary check / after a documentary and a physical check.</dd>
</dl>"""


def _indicators(results: Results) -> str:
    """The arrangement's common indicators: all and eligible shipments up front, trader groups
    folded, per country and then for the region."""
    parts = ['<h2 id="indicators">1. The arrangement\'s common indicators, by country</h2>']
    for area in results.areas:
        main = _measure_table(results, ["group", "indicator"], _headline(area, (ALL, ELIGIBLE)))
        groups = _measure_table(
            results, ["group", "indicator"], _headline(area, (*GROUPS, NOT_ELIGIBLE))
        )
        modes = _measure_table(
            results,
            ["mode", "group", "indicator"],
            (
                Line((mode, *line.labels), line.where._replace(mode=mode), line.metric)
                for mode in results.modes.get(area, [])
                for line in _headline(area, (ALL, ELIGIBLE))
            ),
        )
        name = _area_name(area, _pools_different_clocks(results))
        parts += [
            f'<h3 id="{_country_id(area)}">{_esc(name)}</h3>',
            main,
            _details("by mode of transport", modes, is_open=False),
            _details("by trader group", groups, is_open=not results.compared),
        ]
    return "\n".join(parts)


def _pools_different_clocks(results: Results) -> bool:
    if len(results.countries) < 2 or not results.definitions:
        return False
    return Settings.of(results.labels, results.definitions).clocks_differ(results.countries)


def _headline(area: str, groups: Iterable[str]) -> Iterator[Line]:
    for group in groups:
        for metric in (*HEADLINE, "shipments"):
            yield Line(
                (GROUP_LABELS[group], INDICATOR_LABELS[metric]), Where(area, group=group), metric
            )


def _waits(results: Results) -> str:
    parts = [
        '<h2 id="waits">2. Waits and station utilisation, by port</h2><p>Wait: hours from '
        "joining a station's queue to the start of service (shipments that pass the station). "
        "Utilisation: busy share of the scheduled server-hours of each pool, general and "
        "reserved (a busy general pool is not hidden by a quiet reserved line). Overtime: "
        "server-hours worked past closing time.</p>"
    ]
    for country in results.countries:
        pairs = results.stations.get(country, [])
        lines = [
            Line((port, station, label), Where(country, mode, port, group, station), metric)
            for mode, port, station in pairs
            for metric, group, label in STATION_MEASURES
        ]
        table = _measure_table(results, ["port", "station", "measure"], lines)
        ports = len({port for _, port, _ in pairs})
        parts.append(
            _details(
                f"{_area_name(country)}: {ports} port(s)",
                table,
                is_open=len(results.countries) == 1,
            )
        )
    return "\n".join(parts)


def _costs(results: Results) -> str:
    """The cost of delay per shipment and the annual saving, at each rate; the declared value
    behind it in each country."""
    if not results.compared or not results.rates:
        return ""
    baseline = results.labels[0]
    header = [
        "group",
        "rate per day",
        "scenario",
        f"{baseline} (USD per shipment)",
        "scenario (USD per shipment)",
        "change (USD per shipment)",
        "annual saving (USD)",
    ]
    parts = [
        f"""<h2 id="costs">3. The cost of delay</h2>
<p>Each hour a shipment waits costs its owner. Following {COST_SOURCE}, a day of delay is priced
as an ad-valorem tariff of a share of the goods' declared value per day (0.6% to 2.1% in their
estimates; parts and components are the most time-sensitive). Cost per shipment = days from
arrival to release × declared value × rate. <b>Annual saving</b> = − change in cost per shipment ×
shipments per day (counted shipments ÷ the horizon in days) × 365, at each rate. Caution: Hummels
and Schaur estimated the cost of time in <i>transit</i>; it is transferred here to
<i>border dwell time</i>. The saving on eligible shipments is part of the saving on all
shipments, which also counts any effect on the others.</p>""",
        _declared_values(results),
    ]
    for area in results.areas:
        rows = []
        for group in (ALL, ELIGIBLE):
            where = Where(area, group=group)
            for metric, rate in results.rates:
                for label in results.compared:
                    if math.isfinite(results.get("difference", label, where, metric).mean):
                        rows.append(_cost_row(results, where, metric, rate, label))
        body = (
            _table(header, rows, 3)
            if rows
            else "<p>No declared value here: cost of delay not computed.</p>"
        )
        parts.append(
            _details(_area_name(area), body, is_open=area == ALL or len(results.areas) == 1)
        )
    return "\n".join(parts)


def _declared_values(results: Results) -> str:
    """The value per shipment used in each country (by mode), or none."""
    definition = results.definitions[-1] if results.definitions else {}
    rows = []
    for code, country in (definition.get("countries") or {}).items():
        ports = (country or {}).get("ports") or {}
        if not ports:
            continue
        by_value: dict[str, list[str]] = {}
        for port in ports.values():
            value = port.get("value_usd")
            key = (
                "none: cost of delay not computed" if value is None else f"USD {float(value):,.0f}"
            )
            by_value.setdefault(key, []).append(str(port.get("mode", "")))
        for value, modes in by_value.items():
            rows.append([country_name(code), ", ".join(dict.fromkeys(modes)), f"<td>{value}</td>"])
    return "<h3>Declared value per shipment</h3>" + _table(
        ["country", "modes", "value used (value_usd)"], rows, 2
    )


def _cost_row(results: Results, where: Where, metric: str, rate: float, label: str) -> list[str]:
    return [
        GROUP_LABELS[str(where.group)],
        f"{100 * rate:g}%",
        label,
        _value_td(results.get("value", results.labels[0], where, metric), metric, False),
        _value_td(results.get("value", label, where, metric), metric, False),
        _change_td(results.get("difference", label, where, metric), Kind.MONEY),
        _money_td(_annual_saving(results, label, where, metric)),
    ]


def _annual_saving(results: Results, label: str, where: Where, metric: str) -> Stat:
    change = results.get("difference", label, where, metric)
    shipments = results.get("value", label, where, "shipments").mean
    return annual_saving(change, shipments, results.horizon_days(label))


def _footer(results: Results) -> str:
    meta = results.meta
    horizons = {
        f"{d['horizon_days']:g} days after {d['warmup_days']:g} days of warm-up"
        for d in results.definitions
    }
    items = [
        ("results folder", str(results.folder)),
        ("scenarios", ", ".join(results.labels)),
        ("simulated period", "; ".join(sorted(horizons))),
    ]
    record = meta.get("provenance")
    if isinstance(record, dict):
        items += provenance_lines(record)
    else:
        items += [
            ("scenario files", ", ".join(meta.get("files", []))),
            ("engine", meta.get("engine", "")),
            ("replications", meta.get("replications", "")),
            ("seed", meta.get("seed", "")),
            ("stopping rule", meta.get("stop_reason", "")),
        ]
    items.append(("report written by", f"mrasim {__version__}"))
    rows = "".join(f"<dt>{_esc(k)}</dt><dd>{_esc(v)}</dd>" for k, v in items if v != "")
    return f'<footer id="about"><h2>About this run</h2><dl class="meta">{rows}</dl></footer>'


# --- figures --------------------------------------------------------------------


def figures_section(results: Results) -> str:
    """The figures that apply: (a) needs a comparison, (c) a utilisation sweep (the report's
    section, and a live page's)."""
    figures = []
    sweep = _sweep_utilisations(results)
    if results.compared:
        shown = results.compared if sweep is None else [_highest(results, sweep)]
        which = "" if sweep is None else f" at the highest utilisation swept ({shown[0]})"
        figures.append(
            (
                _clearance_change_figure(results, shown),
                f"(a) Change in mean clearance time against {results.labels[0]}{which}, eligible "
                "and all shipments, per country: in hours (left) and in percent of the "
                "baseline (right, comparable across countries); bars are 95% intervals.",
            )
        )
    figures.append(
        (
            _green_share_figure(results),
            "(b) Green share (released without check) by trader group, per country and "
            "scenario; bars are 95% intervals.",
        )
    )
    if sweep is not None:
        figures.append(
            (
                _sweep_figure(results, sweep),
                "(c) Change in mean clearance time, in percent of the baseline, as utilisation "
                "grows, eligible and all shipments, per country (one scale for all); bands are "
                "95% intervals.",
            )
        )
    items = [
        f'<figure><img src="data:image/png;base64,{_png(figure)}" alt="{_esc(caption)}">'
        f"<figcaption>{_esc(caption)}</figcaption></figure>"
        for figure, caption in figures
    ]
    return '<h2 id="figures">Figures</h2>' + "\n".join(items)


def _highest(results: Results, utilisations: list[float]) -> str:
    return results.compared[int(np.argmax(utilisations))]


def _png(figure: Figure) -> str:
    """The figure as base64 PNG, drawn by Agg without pyplot (no global backend to change)."""
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


MIN_FIGURE_WIDTH = 7.0
"""Inches: a figure of one or two panels still fits its legend and axis labels."""


def _panels(
    count: int, columns: int, size: tuple[float, float], **share: Any
) -> tuple[Figure, list[Axes]]:
    """A grid of ``count`` panels of ``size`` inches, at most ``columns`` wide."""
    columns = min(count, columns)
    rows = math.ceil(count / columns)
    width = max(size[0] * columns, MIN_FIGURE_WIDTH)  # room for the legend and axis labels
    figure = Figure(figsize=(width, size[1] * rows + 0.8), layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False, **share).ravel()
    for unused in axes[count:]:
        unused.set_visible(False)
    return figure, list(axes[:count])


def _errors(stats: Sequence[Stat]) -> np.ndarray:
    """Error-bar lengths below and above each mean (NaN where there is no interval)."""
    return np.array([[s.mean - s.low for s in stats], [s.high - s.mean for s in stats]])


def _short_area(area: str) -> str:
    return "region" if area == ALL else area


def _clearance_change_figure(results: Results, labels: Sequence[str]) -> Figure:
    """(a) A pair of panels per compared scenario (hours, percent); a row per country, a dot
    per group."""
    areas = results.areas
    y = np.arange(len(areas))
    figure, axes = _panels(2 * len(labels), 2, (4.6, 0.42 * len(areas) + 1.2), sharey=True)
    for i, label in enumerate(labels):
        for ax, relative in ((axes[2 * i], False), (axes[2 * i + 1], True)):
            for offset, group in ((-0.12, ELIGIBLE), (0.12, ALL)):
                stats = [
                    results.relative(label, Where(a, group=group), "clearance_h_mean")
                    if relative
                    else results.get("difference", label, Where(a, group=group), "clearance_h_mean")
                    for a in areas
                ]
                ax.errorbar(
                    [s.mean for s in stats],
                    y + offset,
                    xerr=_errors(stats),
                    fmt="o",
                    capsize=3,
                    color=GROUP_COLOURS[group],
                    label=GROUP_LABELS[group],
                )
            ax.axvline(0, color="0.5", linewidth=0.8)
            unit = "%" if relative else "h"
            ax.set_title(f"{label} − {results.labels[0]} ({unit})", fontsize=11)
            ax.set_xlabel(
                "change in mean clearance time " + ("(% of baseline)" if relative else "(h)"),
                fontsize=10,
            )
            ax.tick_params(labelsize=10)
    axes[0].set_yticks(y, [_short_area(a) for a in areas])
    axes[0].set_ylim(len(areas) - 0.5, -0.5)  # first country on top
    handles, names = axes[0].get_legend_handles_labels()
    figure.legend(handles, names, loc="outside upper center", ncols=2, fontsize=10)
    return figure


def _green_share_figure(results: Results) -> Figure:
    """(b) One panel per country; bars of each scenario side by side within each group."""
    figure, axes = _panels(len(results.areas), 4, (3.8, 2.9), sharey=True)
    x = np.arange(len(SUMMARY_GROUPS))
    width = 0.8 / len(results.labels)
    colours = _scenario_colours(len(results.labels))
    for ax, area in zip(axes, results.areas, strict=True):
        for i, label in enumerate(results.labels):
            stats = [
                results.get("value", label, Where(area, group=g), "green_share")
                for g in SUMMARY_GROUPS
            ]
            ax.bar(
                x + (i - (len(results.labels) - 1) / 2) * width,
                [s.mean for s in stats],
                width,
                yerr=_errors(stats),
                color=colours[i],
                label=label,
                error_kw={"elinewidth": 0.8, "capsize": 2},
            )
        ax.set_xticks(
            x, [GROUP_LABELS[g] for g in SUMMARY_GROUPS], rotation=30, ha="right", fontsize=9
        )
        ax.set_title(_short_area(area), fontsize=11)
        ax.set_ylim(0, 1)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    axes[0].set_ylabel("green share")
    handles, names = axes[0].get_legend_handles_labels()
    columns = max(2, min(len(names), math.floor(figure.get_figwidth() / 1.4)))
    figure.legend(handles, names, loc="outside upper center", ncols=columns, fontsize=10)
    return figure


def _scenario_colours(count: int) -> list[Any]:
    """The baseline grey, the other scenarios along a colour-blind-safe sequential map."""
    others = colormaps["viridis"](np.linspace(0.15, 0.85, max(count - 1, 1)))
    return ["0.6", *others[: count - 1]]


def _sweep_utilisations(results: Results) -> list[float] | None:
    """Utilisations of the compared scenarios if they form a sweep (more than one, distinct)."""
    if len(results.labels) <= 2:
        return None
    values = [results.utilisation(label) for label in results.compared]
    return values if len(set(values)) == len(values) else None


def _sweep_figure(results: Results, utilisations: list[float]) -> Figure:
    """(c) One panel per country, one scale for all: the relative change in mean clearance
    time against utilisation, from the baseline's (0, 0)."""
    order = np.argsort(utilisations)
    baseline_u = results.utilisation(results.labels[0])
    x = np.concatenate(([baseline_u], np.asarray(utilisations)[order]))
    labels = [results.compared[i] for i in order]
    figure, axes = _panels(len(results.areas), 4, (3.6, 2.8), sharex=True, sharey=True)
    for ax, area in zip(axes, results.areas, strict=True):
        for group in (ELIGIBLE, ALL):
            stats = np.array(
                [(0.0, 0.0, 0.0)]
                + [
                    tuple(results.relative(label, Where(area, group=group), "clearance_h_mean"))
                    for label in labels
                ]
            )
            colour = GROUP_COLOURS[group]
            ax.plot(x, stats[:, 0], marker="o", color=colour, label=GROUP_LABELS[group])
            ax.fill_between(x, stats[:, 1], stats[:, 2], color=colour, alpha=0.2, linewidth=0)
        ax.axhline(0, color="0.5", linewidth=0.8)
        ax.set_title(_short_area(area), fontsize=11)
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    figure.supxlabel("utilisation (share of eligible shipments claiming)", fontsize=10)
    figure.supylabel(f"change in clearance time vs {results.labels[0]} (%)", fontsize=10)
    handles, names = axes[0].get_legend_handles_labels()
    figure.legend(handles, names, loc="outside upper center", ncols=2, fontsize=10)
    return figure


# --- the page -------------------------------------------------------------------

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; max-width: 1200px;
       margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; } h2 { margin-top: 1.8em; border-bottom: 1px solid #ccc; }
p.sub { color: #555; } p.note { color: #555; font-size: 0.9em; }
section.answer { background: #f4f8fc; border-left: 4px solid #0072B2; padding: 0.2em 1.2em 0.8em;
                 margin: 1.2em 0; }
section.answer h2 { border-bottom: none; margin-top: 0.6em; }
p.sentence { font-size: 1.15em; line-height: 1.5; }
section.assumes { background: #fff8e6; border-left: 4px solid #E69F00;
                  padding: 0.2em 1.2em 0.6em; margin: 1.2em 0; }
section.assumes h2 { border-bottom: none; margin-top: 0.6em; }
section.assumes li { margin: 0.25em 0; }
nav#contents ul { margin: 0.2em 0; }
div.scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: 0.6em 0 1em; font-size: 0.9em; }
th, td { padding: 0.25em 0.6em; border-bottom: 1px solid #e4e4e4; vertical-align: top; }
th { background: #f3f3f3; text-align: center; }
td { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.label { text-align: left; }
td.clear { font-weight: bold; }
td.na { color: #999; }
span.ci { display: block; font-size: 0.8em; color: #777; font-weight: normal; }
details { margin: 0.4em 0 1em; } summary { cursor: pointer; color: #0b5394; }
dl { display: grid; grid-template-columns: max-content auto; gap: 0.2em 1em; }
dt { font-weight: bold; } dd { margin: 0; overflow-wrap: anywhere; }
figure { margin: 1.2em 0; } figure img { max-width: 100%; height: auto; }
figcaption { color: #444; font-size: 0.9em; }
footer { margin-top: 2em; color: #444; font-size: 0.9em; }
@media (max-width: 600px) {
  body { margin: 1em auto; } dl { grid-template-columns: auto; }
  p.sentence { font-size: 1.05em; }
  table { font-size: 0.8em; } th, td { padding: 0.2em 0.3em; }
  section.answer, section.assumes { padding: 0.2em 0.6em 0.6em; }
}
@media print {
  body { max-width: none; } nav#contents { display: none; }
  details > summary { list-style: none; } section.answer, section.assumes { break-inside: avoid; }
  figure { break-inside: avoid; }
}
"""

SCRIPT = """
// Printing shows every folded table: open each <details> before printing, restore after.
(function () {
  var opened = [];
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details:not([open])").forEach(function (d) {
      d.open = true; opened.push(d);
    });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (d) { d.open = false; });
    opened = [];
  });
})();
"""

# {script}: a <script> element, or nothing for a page without one (experiment, calibration)
PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mrasim report: {title}</title>
<style>{style}</style>
{script}</head>
<body>
{body}
</body>
</html>
"""
