"""The workbook a ministry analyst opens: ``answer.xlsx``, beside the CSV and Parquet files.

``--out`` writes 36,000 long rows for programs; a person wants the answer and the tables of
their country in a spreadsheet. The workbook holds, sheet by sheet:

* ``answer``: the answer's sentences, then its table (a row per country, by name, and the
  region), each estimate with its 95% interval in columns of their own; a run has no answer
  and gets ``headlines`` instead (each country's and the region's indicators, all shipments);
* ``country``, ``country-mode`` and ``port``: every indicator of every trader group at that
  level (the region's rows with the countries', its modes' with the countries' modes; a
  port's stations on the port sheet), in wide form: one row per place, group and indicator,
  and per scenario the mean, the low and the high end of its 95% interval, then each paired
  change and relative change with theirs; over uncertain inputs (``--uncertainty N``) each
  is followed by its plausible low and high and the inputs' share of its variance (as
  ``uncertainty.csv`` holds them), and the 95% headings say, in a comment, that those
  intervals count simulation noise only;
* ``assumptions``: what the result assumes, as the report says it;
* ``provenance``: how the numbers were made (files and their SHA-256, seed, engine,
  replications, command, date), what the sheets leave out, and what their intervals count.

Numbers are unrounded (the rounding a page applies belongs to the page): a cell holds the
value of ``comparison.csv`` or ``summary.csv`` to 16 significant figures (Excel keeps 15), in
the same unit (hours; shares as fractions), but for the answer sheet's percentages and
percentage points, said in their headings. A national brief (``--country``) holds that
country's rows only, and no region. The weekly customs-time series (the warm-up check's) stay
in the CSV.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from sim.indicators.layout import HEADLINE, WEEK_METRIC
from sim.interpret.answer import Answer, answer_of
from sim.interpret.assumptions import TOPICS, Assumption, for_countries, from_record
from sim.interpret.frames import ANSWER_COLUMNS, CONTROL_COLUMNS, answer_frame
from sim.interpret.labels import group_label, indicator_label
from sim.interpret.numbers import Kind, general, kind_of
from sim.interpret.plausible import noise_note
from sim.language import N_, _
from sim.model.iso3166 import by_name, country_name
from sim.model.vocabulary import ALL
from sim.replicate.result import Results, Where
from sim.replicate.views import level_of
from sim.results.atomic import write_atomic
from sim.results.provenance import provenance_lines

SHEET_LEVELS = {
    "country": ("country", "region"),
    "country-mode": ("country-mode", "region-mode"),
    "port": ("port",),
}
"""Each level sheet and the levels of :mod:`sim.replicate.views` it holds."""
SHEET_TITLES = {
    "answer": N_("answer"),
    "headlines": N_("headlines"),
    "country": N_("country"),
    "country-mode": N_("country-mode"),
    "port": N_("port"),
    "assumptions": N_("assumptions"),
    "provenance": N_("provenance"),
}
"""Each sheet's title as the analyst reads it (the workbook is for people: the column keys of
the CSV and Parquet files stay English, the sheets speak the active language)."""
BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")
FORMATS = {Kind.HOURS: "0.000", Kind.MONEY: "#,##0", Kind.PERCENT: "0.00", Kind.SHARE: "0.0000"}
"""Number formats of the answer sheet (Excel keeps every digit; these only show fewer)."""


def write_workbook(results: Results, path: Path) -> Path:
    """Write the workbook of a result record (its chosen countries) to ``path``."""
    book = Workbook(write_only=True)
    if results.compared:
        found = answer_of(results, results.chosen)
        _answer_sheet(book, found)
    else:
        _headlines_sheet(book, results)
    for name, levels in SHEET_LEVELS.items():
        _level_sheet(book, name, results, levels)
    _assumptions_sheet(book, _assumptions(results))
    _provenance_sheet(book, results)
    write_atomic(path, lambda tmp: book.save(tmp))
    return path


# --- the answer ----------------------------------------------------------------------------

ANSWER_HEADINGS = {
    "level": N_("level"),
    "name": N_("country"),
    "country": N_("ISO code"),
    "scenario": N_("scenario"),
    "utilisation": N_("utilisation (share of eligible shipments claiming)"),
    "cost_rate_per_day": N_("cost-of-delay rate per day (assumed)"),
    "annualised_from_days": N_("annualised from (days simulated)"),
}


def _answer_sheet(book: Workbook, found: Answer) -> None:
    sheet = book.create_sheet(_(SHEET_TITLES["answer"]))
    frame = answer_frame(found)
    columns = ["name", "country", "level", "scenario", "utilisation"]
    for name in (*ANSWER_COLUMNS, *(CONTROL_COLUMNS if found.control else ())):
        columns += [name, f"{name}_low", f"{name}_high"]
    columns += ["cost_rate_per_day", "annualised_from_days"]
    _widths(sheet, [22, 9, 9, 12, 14] + [16] * (len(columns) - 5))
    _title(sheet, _("The answer"))
    for sentence in found.sentences:
        sheet.append([sentence])
    sheet.append([])
    _heading(sheet, [_answer_heading(c) for c in columns])
    for record in frame.to_dict("records"):
        sheet.append([_answer_cell(sheet, c, record.get(c)) for c in columns])
    sheet.append([])
    notes = [
        _(
            "Eligible (partner-AEO) shipments: the exporter is an AEO of another member, "
            "whether the declaration claims recognition or not. Changes are from {baseline}; "
            "low and high bound each 95% interval."
        ).format(baseline=found.baseline),
    ]
    if found.has_savings:
        notes.append(
            _(
                "Cost of delay saved: all shipments, at an assumed {rate}% of their assumed "
                "declared value per day; {annualised} simulated."
            ).format(rate=general(100 * (found.rate or 0)), annualised=found.annualised)
        )
    if found.pooled_clocks_differ:
        notes.append(_("Region: {note}; compare within a country.").format(note=found.pooled_note))
    if found.noise_note:
        notes.append(found.noise_note)  # what the intervals count
    for note in notes:
        sheet.append([note])


def _answer_heading(column: str) -> str:
    if column in ANSWER_HEADINGS:
        return _(ANSWER_HEADINGS[column])
    for name, heading in (ANSWER_COLUMNS | CONTROL_COLUMNS).items():
        if column == name:
            return _(heading)
        if column == f"{name}_low":
            return _("low (95%)")
        if column == f"{name}_high":
            return _("high (95%)")
    return column


def _answer_cell(sheet: WriteOnlyWorksheet, column: str, value: Any) -> Any:
    if _missing(value):
        return None
    kind = (
        Kind.HOURS
        if "_h" in column
        else Kind.MONEY
        if column.startswith(("saved", "revenue"))
        else Kind.PERCENT
        if column.startswith(("clearance_change_pct", "green", "detections_change_pct"))
        else None
    )
    if kind is None:
        return value
    cell = WriteOnlyCell(sheet, value=float(value))
    cell.number_format = FORMATS[kind]
    return cell


# --- a run's headlines ------------------------------------------------------------------------


def _headlines_sheet(book: Workbook, results: Results) -> None:
    sheet = book.create_sheet(_(SHEET_TITLES["headlines"]))
    metrics = [*HEADLINE, "shipments"]
    label = results.labels[0]
    _widths(sheet, [22, 9] + [14] * (3 * len(metrics)))
    _title(sheet, _("{label}: all shipments, each country and the region").format(label=label))
    header = [_("country"), _("ISO code")]
    for metric in metrics:
        header += [indicator_label(metric), _("low (95%)"), _("high (95%)")]
    _heading(sheet, header)
    for area in _ordered(results.areas):
        row: list[Any] = [_place(area), "" if area == ALL else area]
        for metric in metrics:
            row += _numbers(results.get("value", label, Where(area), metric))
        sheet.append(row)


# --- the level sheets ---------------------------------------------------------------------------


def _level_sheet(book: Workbook, name: str, results: Results, levels: Sequence[str]) -> None:
    """One row per place, group and indicator at these levels, every scenario side by side."""
    sheet = book.create_sheet(_(SHEET_TITLES[name]))
    places = {"country": [], "country-mode": ["mode"], "port": ["mode", "port", "station"]}[name]
    labels, compared, baseline = results.labels, results.compared, results.labels[0]
    header = [_("country"), _("ISO code"), *(_(PLACE_HEADINGS[p]) for p in places)]
    header += [_("group"), _("indicator"), _("metric")]
    for label in labels:
        header += _bounds(label)
    for label in compared:
        header += _bounds(_change_name(label, baseline))
        header += _bounds(_relative_name(label, baseline))
    header.append(_("replications"))
    ranges = _ranges(results)
    if ranges is not None:
        header = _with_range_headings(header, labels, compared, baseline)
    _widths(sheet, [22, 9] + [12] * len(places) + [14, 36, 22] + [13] * (len(header) - 6))
    _heading(sheet, header, _interval_comments(header, results))
    for key in _keys(results, levels):
        country, mode, port, group, station, metric = key
        cells: list[Any] = [_place(country), "" if country == ALL else country]
        cells += [{"mode": mode, "port": port, "station": station or ""}[p] for p in places]
        cells += [group_label(str(group)) if group else "", indicator_label(metric)]
        cells.append(metric)
        where = Where(country, mode, port, group, station)
        for label in labels:
            cells += _numbers(results.get("value", label, where, metric))
            cells += _plausible(ranges, ("value", label, *where, metric))
        for label in compared:
            cells += _numbers(results.get("difference", label, where, metric))
            cells += _plausible(ranges, ("difference", label, *where, metric))
            if kind_of(metric) is Kind.SHARE:
                cells += [None, None, None]  # a share's change is read in points
                cells += [None, None, None] if ranges is not None else []
            else:
                cells += _numbers(results.relative(label, where, metric))
                cells += _plausible(ranges, ("relative", label, *where, metric))
        cells.append(results.count("value", baseline, where, metric) or None)
        sheet.append(cells)


PLACE_HEADINGS = {"mode": N_("mode"), "port": N_("port"), "station": N_("station")}


def _bounds(name: str) -> list[str]:
    """A column's heading and its interval's: ``name``, ``name, 95% low``, ``name, 95% high``."""
    return [
        name,
        _("{column}, 95% low").format(column=name),
        _("{column}, 95% high").format(column=name),
    ]


# --- over uncertain inputs ----------------------------------------------------------------------

PLAUSIBLE = ("plausible_low", "plausible_high", "input_share")
RANGE_KEYS = ("kind", "scenario", "country", "mode", "port", "group", "station", "metric")
Ranges = dict[tuple[Any, ...], tuple[float, float, float]]


def _ranges(results: Results) -> Ranges | None:
    """Each row's plausible low, high and input share over the uncertain inputs (by kind,
    scenario, place, group and metric, as ``uncertainty.csv`` holds them); None without."""
    table = results.uncertainty
    if table is None:
        return None
    keys = [table[k].astype(object).where(table[k].notna(), None).tolist() for k in RANGE_KEYS]
    values = table[list(PLAUSIBLE)].to_numpy(dtype=float).tolist()
    return {key: tuple(row) for key, row in zip(zip(*keys, strict=True), values, strict=True)}


def _plausible(ranges: Ranges | None, key: tuple[Any, ...]) -> list[float | None]:
    """A row's three plausible cells (empty where the study keeps no such row: stations)."""
    if ranges is None:
        return []
    return _numbers(ranges.get(key, (math.nan,) * 3))


def _with_range_headings(
    header: list[str], labels: Sequence[str], compared: Sequence[str], baseline: str
) -> list[str]:
    """The level sheet's header with each triple followed by its plausible columns."""
    after = {_bounds(name)[2]: name for name in _valued_names(labels, compared, baseline)}
    out: list[str] = []
    for heading in header:
        out.append(heading)
        if heading in after:
            shown = after[heading]
            out += [
                _("{name}, plausible low").format(name=shown),
                _("{name}, plausible high").format(name=shown),
                _("{name}, input share of variance").format(name=shown),
            ]
    return out


def _valued_names(labels: Sequence[str], compared: Sequence[str], baseline: str) -> list[str]:
    """The names of the columns that carry a value and its interval: each scenario's, each
    change's and each relative change's."""
    names = [*labels]
    for label in compared:
        names += [_change_name(label, baseline), _relative_name(label, baseline)]
    return names


def _change_name(label: str, baseline: str) -> str:
    return f"{label} − {baseline}"


def _relative_name(label: str, baseline: str) -> str:
    return _("{label} vs {baseline} (%)").format(label=label, baseline=baseline)


def _interval_comments(header: Sequence[str], results: Results) -> dict[str, str]:
    """What each 95% interval column counts, as a comment on its heading (simulation noise
    only; over uncertain inputs the plausible columns beside it hold the range)."""
    note = noise_note(results, _command(results))
    names = _valued_names(results.labels, results.compared, results.labels[0])
    bounds = {bound for name in names for bound in _bounds(name)[1:]}
    return {name: note for name in header if name in bounds}


def _command(results: Results) -> str:
    return "compare" if results.compared else "run"


def _keys(results: Results, levels: Sequence[str]) -> list[tuple[Any, ...]]:
    """The rows of these levels (of the chosen countries; the region's when all are chosen),
    in the table's order within a country, countries by name and the region last."""
    table = results.table
    values = table[table["kind"] == "value"]
    keys = ("country", "mode", "port", "group", "station", "metric")
    columns = [values[k].astype(object).where(values[k].notna(), None).tolist() for k in keys]
    chosen = set(results.countries) | ({ALL} if results.whole else set())
    found = dict.fromkeys(
        row
        for row in zip(*columns, strict=True)
        if row[0] in chosen
        and level_of(row[0], row[1], row[2]) in levels
        and not str(row[5]).startswith(WEEK_METRIC)
    )
    return sorted(found, key=lambda row: (row[0] == ALL, by_name(row[0])))


# --- assumptions and provenance --------------------------------------------------------------


def _assumptions(results: Results) -> list[Assumption]:
    items = from_record(results.meta)
    recorded = results.meta.get("countries") or ()
    if set(results.chosen or ()) != set(recorded):
        items = for_countries(items, results.labels, results.scenarios, results.chosen)
    return items


def _assumptions_sheet(book: Workbook, items: Iterable[Assumption]) -> None:
    sheet = book.create_sheet(_(SHEET_TITLES["assumptions"]))
    _widths(sheet, [18, 110])
    _heading(sheet, [_("topic"), _("what the result assumes")])
    for item in items:
        text = item.text + "".join(f"\n- {d}" for d in item.details)
        cell = WriteOnlyCell(sheet, value=text)
        cell.alignment = WRAP
        sheet.append([_(TOPICS.get(item.topic, item.topic)), cell])


def _provenance_sheet(book: Workbook, results: Results) -> None:
    sheet = book.create_sheet(_(SHEET_TITLES["provenance"]))
    _widths(sheet, [24, 110])
    _heading(sheet, ["", _("how these numbers were made")])
    meta = results.meta
    countries = sorted((country_name(c) for c in results.countries), key=str)
    rows: list[tuple[str, str]] = [
        (_("results folder"), str(results.folder or "")),
        (_("scenarios"), ", ".join(results.labels)),
        (_("countries"), ", ".join(countries)),
    ]
    record = meta.get("provenance")
    if isinstance(record, dict):
        rows += provenance_lines(record)
    rows.append(
        (
            _("what the sheets hold"),
            _(
                "unrounded numbers, in the units of comparison.csv (hours; shares as fractions) "
                "except the answer's percentages and percentage points; the CSV and Parquet "
                "files hold every row of every country and the weekly customs-time series"
            ),
        )
    )
    rows.append((_("intervals"), noise_note(results, _command(results))))
    for label, text in rows:
        sheet.append([label, text])


# --- pieces -------------------------------------------------------------------------------------


def _title(sheet: WriteOnlyWorksheet, text: str) -> None:
    cell = WriteOnlyCell(sheet, value=text)
    cell.font = Font(bold=True, size=13)
    sheet.append([cell])


def _heading(
    sheet: WriteOnlyWorksheet, names: Sequence[str], comments: dict[str, str] | None = None
) -> None:
    cells = []
    for name in names:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = BOLD
        cell.alignment = WRAP
        if comments and name in comments:
            cell.comment = Comment(comments[name], "mrasim")
        cells.append(cell)
    sheet.append(cells)


def _widths(sheet: WriteOnlyWorksheet, widths: Sequence[float]) -> None:
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width


def _ordered(areas: Iterable[str]) -> list[str]:
    return sorted(areas, key=lambda area: (area == ALL, by_name(area)))


def _place(area: str) -> str:
    return _("Region") if area == ALL else country_name(area)


def _numbers(estimate: Any) -> list[float | None]:
    return [None if _missing(v) else float(v) for v in estimate]


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
