"""The policy report: one self-contained HTML page from a ``mrasim compare`` or ``run`` folder.

The page is written for a trade ministry official rather than for the analyst
who ran the simulation: plain words and units, the arrangement's common
indicators before anything else, every number next to the 95% interval that
says how far to trust it, and figures embedded as PNG so that the single file
can be mailed or archived without its folder.
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
from .errors import InputError
from .indicators import ALL, ELIGIBLE, HEADLINE, SUMMARY_GROUPS
from .output import write_atomic
from .runner import SUMMARY_COLUMNS
from .scenario import GROUPS

REPORT_FILE = "report.html"
META_FILE = "run.json"
COMPARISON_FILE = "comparison.parquet"
SUMMARY_FILE = "summary.parquet"
KEY_COLUMNS = ["kind", "scenario", "country", "port", "group", "station", "metric"]

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
}
STATION_MEASURES = (
    ("wait_h_mean", ALL, "wait, all shipments (h)"),
    ("wait_h_mean", ELIGIBLE, "wait, eligible shipments (h)"),
    ("station_utilisation", None, "station utilisation"),
    ("overtime_h", None, "overtime (server-hours)"),
)
"""(metric, group, label) of the rows shown for each station."""

COUNTRY_NAMES = {
    "ARG": "Argentina",
    "BOL": "Bolivia",
    "BRA": "Brazil",
    "CHL": "Chile",
    "COL": "Colombia",
    "CRI": "Costa Rica",
    "DOM": "Dominican Republic",
    "GTM": "Guatemala",
    "PER": "Peru",
    "PRY": "Paraguay",
    "URY": "Uruguay",
}
"""The signatories of the May 2022 arrangement; other codes are shown as they are."""

GROUP_COLOURS = {ELIGIBLE: "#D55E00", ALL: "#0072B2"}  # Okabe-Ito: safe for colour blindness
COST_SOURCE = (
    "Hummels, D. L. and G. Schaur (2013), “Time as a Trade Barrier”, "
    "<i>American Economic Review</i> 103(7): 2935–59"
)


# --- reading --------------------------------------------------------------------


class Where(NamedTuple):
    """A row's level: country (or ``all``), port (or ``all``), group, station."""

    country: str
    port: str = ALL
    group: str | None = ALL
    station: str | None = None


class Stat(NamedTuple):
    """A mean with its 95% interval."""

    mean: float
    low: float
    high: float


MISSING = Stat(math.nan, math.nan, math.nan)


@dataclass(frozen=True)
class Results:
    """A results folder as the report reads it: scenarios, their definitions and every cell."""

    folder: Path
    meta: dict[str, Any]
    labels: list[str]  # the baseline first
    definitions: list[dict[str, Any]]  # one scenario definition per label
    cells: dict[tuple[str | None, ...], Stat]  # by KEY_COLUMNS
    countries: list[str]
    stations: dict[str, list[tuple[str, str]]]  # (port, station) pairs of each country
    rates: list[tuple[str, float]]  # (cost metric, ad-valorem rate per day), low to high

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
    labels = list(dict.fromkeys(table.loc[table["kind"] == "value", "scenario"]))
    countries = [c for c in dict.fromkeys(table.loc[table["port"] == ALL, "country"]) if c != ALL]
    if not labels or not countries:
        raise _bad(folder, "its table holds no country totals")
    if len(definitions) != len(labels):
        raise _bad(folder, f"{META_FILE} does not hold one scenario definition per scenario")
    return Results(
        folder, meta, labels, definitions, _cells(table), countries, _stations(table), _rates(table)
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


def _cells(table: pd.DataFrame) -> dict[tuple[str | None, ...], Stat]:
    """Every row by its key; missing levels (group, station) become None."""
    keys = table[KEY_COLUMNS].astype(object)
    keys = keys.where(keys.notna(), None)
    stats = table[["mean", "ci_low", "ci_high"]].astype(float).itertuples(index=False, name=None)
    return {
        key: Stat(*stat)
        for key, stat in zip(keys.itertuples(index=False, name=None), stats, strict=True)
    }


def _stations(table: pd.DataFrame) -> dict[str, list[tuple[str, str]]]:
    """Each country's (port, station) pairs, in the order of the table."""
    rows = table.loc[table["station"].notna(), ["country", "port", "station"]].drop_duplicates()
    stations: dict[str, list[tuple[str, str]]] = {}
    for country, port, station in rows.itertuples(index=False, name=None):
        stations.setdefault(country, []).append((port, station))
    return stations


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
    sections = [
        _title(results),
        _findings(results),
        _how_to_read(results),
        _indicators(results),
        _figures(results),
        _waits(results),
        _costs(results),
        _footer(results),
    ]
    return PAGE.format(
        title=_esc(_scenario_name(results)), style=STYLE, body="\n".join(s for s in sections if s)
    )


# --- numbers --------------------------------------------------------------------


class Style(NamedTuple):
    """How a metric is printed: scale, decimals, and units of values and of changes."""

    factor: float
    decimals: int
    unit: str = ""
    change_unit: str = ""


MONEY = Style(1, 0)


def _style(metric: str) -> Style:
    """Shares in percent (changes in percentage points), counts whole, hours and USD to cents."""
    if metric.endswith(("_share", "_rate", "utilisation")):
        return Style(100, 1, "%", " pp")
    return Style(1, 0) if metric == "shipments" else Style(1, 2)


def _number(value: float, style: Style, signed: bool = False) -> str:
    """A number rounded for print; a rounded zero carries no minus sign."""
    if not math.isfinite(value):
        return "–"
    rounded = round(value * style.factor, style.decimals) + 0.0
    return f"{rounded:{'+' if signed else ''},.{style.decimals}f}"


def _interval(stat: Stat, style: Style, signed: bool = False) -> str:
    if not (math.isfinite(stat.low) and math.isfinite(stat.high)):
        return ""
    return f"{_number(stat.low, style, signed)} to {_number(stat.high, style, signed)}"


def _value_td(stat: Stat, style: Style, inline: bool) -> str:
    """A value cell; its interval is shown below it, or on hover beside paired differences."""
    text = _number(stat.mean, style) + (style.unit if math.isfinite(stat.mean) else "")
    interval = _interval(stat, style)
    if inline:
        return f"<td>{text}{_ci(interval)}</td>"
    title = f' title="95% interval {interval}"' if interval else ""
    return f"<td{title}>{text}</td>"


def _change_td(stat: Stat, style: Style) -> str:
    """A paired difference with its interval; bold when the interval excludes zero."""
    text = _number(stat.mean, style, signed=True)
    if math.isfinite(stat.mean):
        text += style.change_unit
    tag = '<td class="clear">' if stat.low > 0 or stat.high < 0 else "<td>"
    interval = _interval(stat, style, signed=True)
    return f"{tag}{text}{_ci(interval)}</td>"


def _ci(interval: str) -> str:
    """The interval in small grey type below its number (nothing when there is none)."""
    return f'<span class="ci">{interval}</span>' if interval else ""


def _annual_saving(results: Results, label: str, where: Where, metric: str) -> Stat:
    """Minus the change in cost per shipment, times shipments a year.

    Shipments a year are the scenario's counted shipments over its horizon
    times 365; the interval is the per-shipment interval scaled alike.
    """
    change = results.get("difference", label, where, metric)
    shipments = results.get("value", label, where, "shipments").mean
    per_year = 365 * shipments / results.horizon_days(label)
    return Stat(-change.mean * per_year, -change.high * per_year, -change.low * per_year)


# --- HTML pieces ------------------------------------------------------------------


def _esc(text: object) -> str:
    return html.escape(str(text))


def _area_name(area: str) -> str:
    if area == ALL:
        return "Region (all countries)"
    return f"{area} – {COUNTRY_NAMES[area]}" if area in COUNTRY_NAMES else area


def _scenario_name(results: Results) -> str:
    return " vs ".join(dict.fromkeys(str(d.get("name", "")) for d in results.definitions))


def _table(header: Sequence[str], rows: Iterable[Sequence[str]], labels: int) -> str:
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
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(lines)}</tbody></table>"


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
    head = [*header, *results.labels, *(f"{label} − {baseline}" for label in results.compared)]
    rows = []
    for line in lines:
        style = _style(line.metric)
        values = [results.get("value", s, line.where, line.metric) for s in results.labels]
        changes = [results.get("difference", s, line.where, line.metric) for s in results.compared]
        if not any(math.isfinite(s.mean) for s in (*values, *changes)):
            continue
        rows.append(
            [
                *line.labels,
                *(_value_td(v, style, not results.compared) for v in values),
                *(_change_td(c, style) for c in changes),
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
        f"{_esc(', '.join(results.countries))}.</p>"
    )


def _findings(results: Results) -> str:
    """The region's headline: what each compared scenario does to clearance, and its worth."""
    if not results.compared:
        return ""
    region = Where(ALL)
    where = "the region" if len(results.countries) > 1 else _area_name(results.countries[0])
    central = results.rates[len(results.rates) // 2] if results.rates else None
    hours = _style("clearance_h_mean")
    items = []
    for label in results.compared:
        parts = []
        for group in (ELIGIBLE, ALL):
            change = results.get("difference", label, Where(ALL, ALL, group), "clearance_h_mean")
            parts.append(
                f"{GROUP_LABELS[group]} {_number(change.mean, hours, signed=True)} h "
                f"({_interval(change, hours, signed=True) or 'no interval'})"
            )
        text = (
            f"<b>{_esc(label)}</b> against <b>{_esc(results.labels[0])}</b>: change in mean "
            f"clearance time, {'; '.join(parts)}."
        )
        if central is not None:
            saving = _annual_saving(results, label, region, central[0])
            text += (
                f" At {100 * central[1]:g}% of the goods' value per day of delay, an annual "
                f"saving of USD {_number(saving.mean, MONEY)} "
                f"({_interval(saving, MONEY) or 'no interval'})."
            )
        items.append(f"<li>{text}</li>")
    return (
        f"<h2>Key findings for {_esc(where)}</h2><ul>{''.join(items)}</ul>"
        '<p class="note">Ranges in brackets are 95% intervals.</p>'
    )


def _how_to_read(results: Results) -> str:
    replications = results.meta.get("replications", "?")
    paired = (
        " A column headed “B − A” is the paired difference between scenarios B and A: every "
        "replication of every scenario uses the same random numbers (common random numbers: the "
        "same shipments arrive at the same times and draw the same checks unless the scenario "
        "changes them), so a difference measures the effect of what the scenarios change and not "
        "of luck, and its interval is much narrower than those of the two values. A difference in "
        "<b>bold</b> has a 95% interval that excludes zero. Hover over a value for its interval."
        if results.compared
        else " Each value has its 95% interval in grey below it."
    )
    return f"""<h2>How to read this report</h2>
<p>The numbers come from a discrete-event simulation of import clearance at each modelled port.
Every number is a <b>mean over {_esc(replications)} independent replications</b> of the simulated
period, with a <b>95% confidence interval</b> (“a to b”): the range that, with 95% confidence,
holds the mean the model would give with unlimited replications.{paired}
<b>Clearance time</b> is the number of hours from the arrival of the goods to their release by
customs. Shares are percentages of shipments; changes in shares are in percentage points (pp).
Compare scenarios within a country: clearance levels of different countries may measure
different stretches of the process (see the scenario file).</p>
<dl>
<dt>standard</dt><dd>importer not an AEO, and no claim of recognition.</dd>
<dt>national AEO (national_aeo)</dt><dd>the importer is an Authorized Economic Operator of the
importing country.</dd>
<dt>recognised AEO (recognised_aeo)</dt><dd>the exporter is an AEO of another member and the
declaration claims the mutual recognition arrangement.</dd>
<dt>eligible</dt><dd>the exporter is an AEO of another member, whether the declaration claims
recognition or not: the shipments the arrangement can help.</dd>
<dt>utilisation rate</dt><dd>claimed / eligible: the share of eligible shipments that claim
recognition.</dd>
<dt>green / yellow / red share</dt><dd>customs selectivity: released without check / after a
documentary check / after a documentary and a physical check.</dd>
</dl>"""


def _indicators(results: Results) -> str:
    """The arrangement's common indicators: all and eligible shipments up front, trader groups
    folded, per country and then for the region."""
    parts = ["<h2>1. The arrangement's common indicators, by country</h2>"]
    for area in results.areas:
        main = _measure_table(results, ["group", "indicator"], _headline(area, (ALL, ELIGIBLE)))
        groups = _measure_table(results, ["group", "indicator"], _headline(area, GROUPS))
        parts += [
            f"<h3>{_esc(_area_name(area))}</h3>",
            main,
            _details("by trader group", groups, is_open=not results.compared),
        ]
    return "\n".join(parts)


def _headline(area: str, groups: Iterable[str]) -> Iterator[Line]:
    for group in groups:
        for metric in (*HEADLINE, "shipments"):
            yield Line(
                (GROUP_LABELS[group], INDICATOR_LABELS[metric]), Where(area, ALL, group), metric
            )


def _waits(results: Results) -> str:
    parts = [
        "<h2>3. Waits and station utilisation, by port</h2><p>Wait: hours from joining a "
        "station's queue to the start of service (shipments that pass the station). "
        "Utilisation: busy share of the scheduled server-hours. Overtime: server-hours "
        "worked past closing time.</p>"
    ]
    for country in results.countries:
        pairs = results.stations.get(country, [])
        lines = [
            Line((port, station, label), Where(country, port, group, station), metric)
            for port, station in pairs
            for metric, group, label in STATION_MEASURES
        ]
        table = _measure_table(results, ["port", "station", "measure"], lines)
        ports = len({port for port, _ in pairs})
        parts.append(
            _details(
                f"{_area_name(country)}: {ports} port(s)",
                table,
                is_open=len(results.countries) == 1,
            )
        )
    return "\n".join(parts)


def _costs(results: Results) -> str:
    """The cost of delay per shipment and the annual saving, at each rate."""
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
        f"""<h2>4. The cost of delay</h2>
<p>Each hour a shipment waits costs its owner. Following {COST_SOURCE}, a day of delay is priced
as an ad-valorem tariff of a share of the goods' declared value per day (0.6% to 2.1% in their
estimates; parts and components are the most time-sensitive). Cost per shipment = days from
arrival to release × declared value × rate. <b>Annual saving</b> = − change in cost per shipment ×
shipments per day (counted shipments ÷ the horizon in days) × 365, at each rate. Caution: Hummels
and Schaur estimated the cost of time in <i>transit</i>; it is transferred here to
<i>border dwell time</i>. The saving on eligible shipments is part of the saving on all
shipments, which also counts any effect on the others.</p>"""
    ]
    for area in results.areas:
        rows = []
        for group in (ALL, ELIGIBLE):
            where = Where(area, ALL, group)
            for metric, rate in results.rates:
                for label in results.compared:
                    rows.append(_cost_row(results, where, metric, rate, label))
        parts.append(
            _details(
                _area_name(area),
                _table(header, rows, 3),
                is_open=area == ALL or len(results.areas) == 1,
            )
        )
    return "\n".join(parts)


def _cost_row(results: Results, where: Where, metric: str, rate: float, label: str) -> list[str]:
    style = _style(metric)
    return [
        GROUP_LABELS[str(where.group)],
        f"{100 * rate:g}%",
        label,
        _value_td(results.get("value", results.labels[0], where, metric), style, False),
        _value_td(results.get("value", label, where, metric), style, False),
        _change_td(results.get("difference", label, where, metric), style),
        _value_td(_annual_saving(results, label, where, metric), MONEY, True),
    ]


def _footer(results: Results) -> str:
    meta = results.meta
    horizons = {
        f"{d['horizon_days']:g} days after {d['warmup_days']:g} days of warm-up"
        for d in results.definitions
    }
    items = [
        ("results folder", str(results.folder)),
        ("scenario files", ", ".join(meta.get("files", []))),
        ("scenarios", ", ".join(results.labels)),
        ("simulated period", "; ".join(sorted(horizons))),
        ("engine", meta.get("engine", "")),
        ("replications", meta.get("replications", "")),
        ("seed", meta.get("seed", "")),
        ("stopping rule", meta.get("stop_reason", "")),
        ("report written by", f"mrasim {__version__}"),
    ]
    rows = "".join(f"<dt>{_esc(k)}</dt><dd>{_esc(v)}</dd>" for k, v in items if v != "")
    return f'<footer><h2>About this run</h2><dl class="meta">{rows}</dl></footer>'


# --- figures --------------------------------------------------------------------


def _figures(results: Results) -> str:
    """The figures that apply: (a) needs a comparison, (c) a utilisation sweep."""
    figures = []
    if results.compared:
        figures.append(
            (
                _clearance_change_figure(results),
                "(a) Change in mean clearance time against the baseline, eligible and "
                "all shipments, per country; bars are 95% intervals.",
            )
        )
    figures.append(
        (
            _green_share_figure(results),
            "(b) Green share (released without check) by trader group, per country and "
            "scenario; bars are 95% intervals.",
        )
    )
    sweep = _sweep_utilisations(results)
    if sweep is not None:
        figures.append(
            (
                _sweep_figure(results, sweep),
                "(c) Change in mean clearance time against the baseline as utilisation "
                "grows, eligible and all shipments, per country; bands are 95% "
                "intervals.",
            )
        )
    items = [
        f'<figure><img src="data:image/png;base64,{_png(figure)}" alt="{_esc(caption)}">'
        f"<figcaption>{_esc(caption)}</figcaption></figure>"
        for figure, caption in figures
    ]
    return "<h2>2. Figures</h2>" + "\n".join(items)


def _png(figure: Figure) -> str:
    """The figure as base64 PNG, drawn by Agg without pyplot (no global backend to change)."""
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _panels(
    count: int, columns: int, size: tuple[float, float], **share: bool
) -> tuple[Figure, list[Axes]]:
    """A grid of ``count`` panels of ``size`` inches, at most ``columns`` wide."""
    columns = min(count, columns)
    rows = math.ceil(count / columns)
    figure = Figure(figsize=(size[0] * columns, size[1] * rows + 0.6), layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False, **share).ravel()
    for unused in axes[count:]:
        unused.set_visible(False)
    return figure, list(axes[:count])


def _errors(stats: Sequence[Stat]) -> np.ndarray:
    """Error-bar lengths below and above each mean (NaN where there is no interval)."""
    return np.array([[s.mean - s.low for s in stats], [s.high - s.mean for s in stats]])


def _short_area(area: str) -> str:
    return "region" if area == ALL else area


def _clearance_change_figure(results: Results) -> Figure:
    """(a) One panel per compared scenario; a row per country, a dot per group."""
    areas = results.areas
    y = np.arange(len(areas))
    figure, axes = _panels(
        len(results.compared), 3, (4.5, 0.45 * len(areas) + 1.0), sharex=True, sharey=True
    )
    for ax, label in zip(axes, results.compared, strict=True):
        for offset, group in ((-0.12, ELIGIBLE), (0.12, ALL)):
            stats = [
                results.get("difference", label, Where(a, ALL, group), "clearance_h_mean")
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
        ax.set_title(f"{label} − {results.labels[0]}", fontsize=10)
    axes[0].set_yticks(y, [_short_area(a) for a in areas])
    axes[0].set_ylim(len(areas) - 0.5, -0.5)  # first country on top
    axes[0].legend(fontsize=8)
    figure.supxlabel("change in mean clearance time (h)", fontsize=10)
    return figure


def _green_share_figure(results: Results) -> Figure:
    """(b) One panel per country; bars of each scenario side by side within each group."""
    figure, axes = _panels(len(results.areas), 4, (3.8, 2.8), sharey=True)
    x = np.arange(len(SUMMARY_GROUPS))
    width = 0.8 / len(results.labels)
    colours = _scenario_colours(len(results.labels))
    for ax, area in zip(axes, results.areas, strict=True):
        for i, label in enumerate(results.labels):
            stats = [
                results.get("value", label, Where(area, ALL, g), "green_share")
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
            x, [GROUP_LABELS[g] for g in SUMMARY_GROUPS], rotation=30, ha="right", fontsize=8
        )
        ax.set_title(_short_area(area), fontsize=10)
        ax.set_ylim(0, 1)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    axes[0].set_ylabel("green share")
    handles, names = axes[0].get_legend_handles_labels()
    figure.legend(handles, names, loc="outside upper center", ncols=min(len(names), 6), fontsize=8)
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
    """(c) One panel per country: change in mean clearance time against utilisation."""
    order = np.argsort(utilisations)
    x = np.asarray(utilisations)[order]
    labels = [results.compared[i] for i in order]
    figure, axes = _panels(len(results.areas), 4, (3.6, 2.8), sharex=True)
    for ax, area in zip(axes, results.areas, strict=True):
        for group in (ELIGIBLE, ALL):
            stats = np.array(
                [
                    results.get("difference", label, Where(area, ALL, group), "clearance_h_mean")
                    for label in labels
                ]
            )
            colour = GROUP_COLOURS[group]
            ax.plot(x, stats[:, 0], marker="o", color=colour, label=GROUP_LABELS[group])
            ax.fill_between(x, stats[:, 1], stats[:, 2], color=colour, alpha=0.2, linewidth=0)
        ax.axhline(0, color="0.5", linewidth=0.8)
        ax.set_title(_short_area(area), fontsize=10)
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    figure.supxlabel("utilisation: share of eligible shipments that claim recognition", fontsize=10)
    figure.supylabel(f"change in mean clearance time vs {results.labels[0]} (h)", fontsize=10)
    handles, names = axes[0].get_legend_handles_labels()
    figure.legend(handles, names, loc="outside upper center", ncols=2, fontsize=8)
    return figure


# --- the page -------------------------------------------------------------------

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; max-width: 1200px;
       margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; } h2 { margin-top: 1.8em; border-bottom: 1px solid #ccc; }
p.sub { color: #555; } p.note { color: #555; font-size: 0.9em; }
table { border-collapse: collapse; margin: 0.6em 0 1em; font-size: 0.9em; }
th, td { padding: 0.25em 0.6em; border-bottom: 1px solid #e4e4e4; vertical-align: top; }
th { background: #f3f3f3; text-align: center; }
td { text-align: right; font-variant-numeric: tabular-nums; }
td.label { text-align: left; white-space: nowrap; }
td.clear { font-weight: bold; }
span.ci { display: block; font-size: 0.8em; color: #777; font-weight: normal; }
details { margin: 0.4em 0 1em; } summary { cursor: pointer; color: #0b5394; }
dl { display: grid; grid-template-columns: max-content auto; gap: 0.2em 1em; }
dt { font-weight: bold; } dd { margin: 0; }
figure { margin: 1.2em 0; } figure img { max-width: 100%; }
figcaption { color: #444; font-size: 0.9em; }
footer { margin-top: 2em; color: #444; font-size: 0.9em; }
"""

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mrasim report: {title}</title>
<style>{style}</style>
</head>
<body>
{body}
</body>
</html>
"""
