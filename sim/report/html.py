"""The HTML kit of every page mrasim writes: escaping, tables, folded details, cells with
their intervals, the stylesheet and the page frame.

The policy report (:mod:`sim.report.policy`), the experiment report and the fit
report are built from these pieces, so all three look and read alike.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from typing import Any

from sim.interpret.answer import (
    money_range,
)

# the pages' words for indicators and groups live with the other words people read
from sim.interpret.labels import GROUP_LABELS as GROUP_LABELS
from sim.interpret.labels import INDICATOR_LABELS as INDICATOR_LABELS
from sim.interpret.labels import shown_label as shown_label
from sim.interpret.numbers import Kind, detectable, kind_of, show
from sim.interpret.numbers import significant as significant
from sim.language import _, active, pgettext
from sim.language.formats import decimal
from sim.model.iso3166 import country_name
from sim.model.vocabulary import ALL
from sim.replicate.stats import Estimate

# --- numbers --------------------------------------------------------------------


def value_td(stat: Estimate, metric: str, inline: bool) -> str:
    """A value cell; its interval is shown below it, or on hover beside paired differences."""
    if not math.isfinite(stat.mean):
        return "<td>–</td>"
    shown = show(stat, kind_of(metric))
    text = esc(with_unit(shown.mean, shown.unit))
    interval = unit_range(shown)
    if inline:
        return f"<td>{text}{ci_span(interval)}</td>"
    said = _("95% interval {interval}").format(interval=interval)
    title = f' title="{esc(said)}"' if interval else ""
    return f"<td{title}>{text}</td>"


def change_td(stat: Estimate, kind: Kind, units: bool = False, unit: str | None = None) -> str:
    """A paired difference with its interval; bold only when its interval excludes zero and it
    does not round to zero; ``unit``: its column's (:func:`~sim.interpret.numbers.column_unit`)."""
    if not math.isfinite(stat.mean):
        return "<td>–</td>"
    shown = show(stat, kind, signed=True, change=True, units=units, unit=unit)
    tag = '<td class="clear">' if detectable(stat, shown) else "<td>"
    return f"{tag}{esc(with_unit(shown.mean, shown.unit))}{ci_span(unit_range(shown))}</td>"


def money_td(stat: Estimate, unit: str | None = None) -> str:
    """Dollars with their interval, in ``unit`` (its column's) if given."""
    if not math.isfinite(stat.mean):
        return "<td>–</td>"
    shown = show(stat, Kind.MONEY, unit=unit)
    tag = '<td class="clear">' if detectable(stat, shown) else "<td>"
    interval = money_range(shown) if shown.low else ""
    return f"{tag}{esc(shown.plain())}{ci_span(interval)}</td>"


def number(value: float, most: int = 3) -> str:
    """A setting as it was written (``1.3``, ``28``, ``0.25``: no digits it does not have, at
    most ``most`` decimals), with the active language's separators (``1,3``)."""
    places = next((d for d in range(most) if round(value, d) == round(value, most)), most)
    return decimal(value, places)


def with_unit(number: str, unit: str) -> str:
    """``-1.4 h``, ``87.3%``, ``+9.6 pp`` (``p. p.`` in Spanish); hours without a unit in
    tables that say (h)."""
    if unit in ("%",):
        return f"{number}%"
    if unit == "pp":
        return f"{number} {percentage_points()}"
    return f"{number} {unit}" if unit in ("min", "h") else number


def percentage_points() -> str:
    """The unit of a change in a share, as the language abbreviates it."""
    return pgettext("unit", "pp")


def unit_range(shown: Any) -> str:
    """``-1.5 h to -1.3 h``, in the active language; empty without an interval."""
    if not shown.low:
        return ""
    return _("{low} to {high}").format(
        low=with_unit(shown.low, shown.unit), high=with_unit(shown.high, shown.unit)
    )


def ci_span(interval: str) -> str:
    """The interval in small grey type below its number (nothing when there is none)."""
    return f'<span class="ci">{esc(interval)}</span>' if interval else ""


# --- HTML pieces ------------------------------------------------------------------


def esc(text: object) -> str:
    return html.escape(str(text))


def group_label(group: str) -> str:
    """A trader group in the reader's words (the labels are English constants marked for the
    catalogs where they are kept, :mod:`sim.interpret.labels`)."""
    return _(GROUP_LABELS[group])


def indicator_name(metric: str) -> str:
    """A common indicator in the reader's words (:data:`INDICATOR_LABELS`)."""
    return _(INDICATOR_LABELS[metric])


def area_title(area: str, pooled_clocks_differ: bool = False) -> str:
    """An area's heading: ``PER – Peru``, or the region (said to pool different clocks)."""
    if area == ALL:
        if pooled_clocks_differ:
            return _("Region (all countries)*: it pools countries whose clocks may differ")
        return _("Region (all countries)")
    name = country_name(area)
    return f"{area} – {name}" if name != area else area


def html_table(
    header: Sequence[str], rows: Iterable[Sequence[str]], labels: int, table_id: str = ""
) -> str:
    """An HTML table: the first ``labels`` cells of a row are text, blank when they repeat
    the row above (as in a printed table); the others are ready ``<td>`` elements."""
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    lines: list[str] = []
    previous: Sequence[str] = ()
    for row in rows:
        shown = [
            "" if previous and row[: i + 1] == previous[: i + 1] else cell
            for i, cell in enumerate(row[:labels])
        ]
        cells = "".join(f'<td class="label">{esc(cell)}</td>' for cell in shown)
        lines.append(f"<tr>{cells}{''.join(row[labels:])}</tr>")
        previous = row[:labels]
    ident = f' id="{table_id}"' if table_id else ""
    return (
        f'<div class="scroll"><table{ident}><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(lines)}</tbody></table></div>"
    )


def details(summary: str, body: str, is_open: bool) -> str:
    """Folded detail: long per-country tables stay out of the way until asked for."""
    tag = "<details open>" if is_open else "<details>"
    return f"{tag}<summary>{esc(summary)}</summary>{body}</details>"


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
figure.chart { border-bottom: 1px solid #eee; padding-bottom: 0.6em; }
@media screen { div.static { display: none; } }  /* the interactive figures show instead */
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
  figure { break-inside: avoid; } div.interactive { display: none; }
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
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{style}</style>
{script}</head>
<body>
{body}
</body>
</html>
"""


def page(title: str, style: str, script: str, body: str) -> str:
    """The whole page in :data:`PAGE`, declared in the active language (``<html lang>``: a
    screen reader reads Spanish as Spanish, a browser offers no translation of it)."""
    heading = _("mrasim report: {title}").format(title=title)
    return PAGE.format(lang=active(), title=heading, style=style, script=script, body=body)
