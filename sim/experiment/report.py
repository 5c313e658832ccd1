"""The HTML report of an experiment folder: what moved which indicator, and how surely.

``mrasim report DIR`` on a folder of ``mrasim experiment`` comes here. The page
leads with the range of each indicator across the design (and, for a Sobol'
design, the factor that drives it), then the figures: the response to the
factors as lines with 95% bands (grids of one or two factors, e.g. a
utilisation sweep), main effects with intervals, Sobol' index bars; then the
per-point table and what the experiment assumed. Figures are PNG embedded as
base64, so the page is one self-contained file, like the report of a run.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FixedFormatter

from sim.errors import InputError
from sim.experiment.keys import ROW_KEYS, is_whole_scenario, shown_metrics
from sim.experiment.spec import short_names
from sim.experiment.store import read_manifest
from sim.interpret.labels import indicator_label
from sim.interpret.numbers import Kind, kind_of, show
from sim.language import N_, _, ngettext
from sim.language.formats import decimal
from sim.model.vocabulary import ALL, ELIGIBLE
from sim.replicate.stats import Estimate
from sim.report.figures import GROUP_COLOURS, number_axis, panels, png, scenario_colours
from sim.report.html import STYLE, esc, group_label, html_table, page, significant
from sim.results.atomic import write_atomic
from sim.results.files import REPORT_FILE

SHOWN_METRICS = 6
TABLE_POINTS = 50
SENSITIVITY_COLOURS = ("#0072B2", "#D55E00")  # first-order, total (Okabe-Ito)
DESIGNS = {
    "grid": N_("a full grid"),
    "lhs": N_("a Latin hypercube"),
    "sobol": N_("a Sobol'–Saltelli sample"),
}
"""Each design as the page names it."""


class Experiment:
    """An experiment folder as the report reads it: manifest and whole-scenario rows."""

    def __init__(self, folder: Path) -> None:
        manifest = read_manifest(folder)
        if manifest is None:
            raise InputError(str(folder), "", _("holds no experiment manifest.json"))
        self.folder = folder
        self.manifest = manifest
        self.factors: list[dict[str, Any]] = manifest["design"]["factors"]
        self.paths = [factor["path"] for factor in self.factors]
        self.names = short_names(self.paths)
        results = _read(folder, "results.parquet")
        self.results = results[_overall(results)].reset_index(drop=True)
        # the arrangement acts on eligible shipments: show them beside all shipments
        touches_arrangement = any(path.startswith("arrangement.") for path in self.paths)
        self.groups = [ALL, ELIGIBLE] if touches_arrangement else [ALL]
        self.metrics = shown_metrics(
            self.results["metric"].tolist(), manifest.get("indicators"), SHOWN_METRICS
        )
        effects = _read_if_present(folder, "main_effects.csv")
        self.effects = effects[_overall(effects)] if effects is not None else None
        sensitivity = _read_if_present(folder, "sensitivity.csv")
        self.sensitivity = sensitivity[_overall(sensitivity)] if sensitivity is not None else None

    @property
    def design(self) -> str:
        return str(self.manifest["design"]["type"])

    def point_label(self, point: int) -> str:
        values = self.manifest["design"]["points"][point]
        return ", ".join(f"{self.names[p]} {_shown(values[p])}" for p in self.paths)

    def rows(self, metric: str, group: str = ALL) -> pd.DataFrame:
        """One whole-scenario row per point."""
        chosen = (self.results["metric"] == metric) & (self.results["group"] == group)
        return self.results[chosen].sort_values("point")

    def defined(self, metric: str, group: str) -> bool:
        return bool(self.rows(metric, group)["mean"].notna().any())

    def effects_of(self, metric: str, path: str, group: str = ALL) -> pd.DataFrame:
        assert self.effects is not None
        effects = self.effects
        chosen = (
            (effects["metric"] == metric)
            & (effects["factor"] == path)
            & (effects["group"] == group)
        )
        return effects[chosen]

    def indices_of(self, metric: str, group: str = ALL) -> pd.DataFrame:
        assert self.sensitivity is not None
        indices = self.sensitivity
        return indices[(indices["metric"] == metric) & (indices["group"] == group)]


def _read(folder: Path, name: str) -> pd.DataFrame:
    frame = _read_if_present(folder, name)
    if frame is None:
        problem = _("holds no {file}: run the experiment to its end").format(file=name)
        raise InputError(str(folder), "", problem)
    return frame


def _read_if_present(folder: Path, name: str) -> pd.DataFrame | None:
    path = folder / name
    if not path.is_file():
        return None
    frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    keys = frame[list(ROW_KEYS)].astype(object)
    frame[list(ROW_KEYS)] = keys.where(keys.notna(), None)
    return frame


def _overall(frame: pd.DataFrame) -> np.ndarray:
    """Rows of the whole scenario (any group): what the page shows."""
    keys = frame[list(ROW_KEYS)].itertuples(index=False, name=None)
    return np.array([is_whole_scenario(key) for key in keys], dtype=bool)


def _shown(value: Any) -> str:
    """A factor's level: four significant figures in the language's digits, or as written."""
    return significant(value, 4) if isinstance(value, float) else str(value)


def _label(metric: str) -> str:
    """An indicator in words (``cost of delay, 1.3%/day (USD per shipment)``), as every page
    names it."""
    return indicator_label(metric)


def _stat(row: Any) -> Estimate:
    return Estimate(float(row["mean"]), float(row["ci_low"]), float(row["ci_high"]))


# --- the page ---------------------------------------------------------------------------


def write_report(folder: Path, output: Path | None = None) -> Path:
    """Write the HTML report of an experiment folder (default ``folder / report.html``)."""
    experiment = Experiment(Path(folder))
    output = Path(folder) / REPORT_FILE if output is None else Path(output)
    page = render(experiment)
    write_atomic(output, lambda tmp: tmp.write_text(page, encoding="utf-8"))
    return output


def render(experiment: Experiment) -> str:
    sections = [
        _title(experiment),
        _findings(experiment),
        _figures(experiment),
        _point_table(experiment),
        _sensitivity_table(experiment),
        _about(experiment),
    ]
    return page(
        title=esc(_("experiment {name}").format(name=experiment.manifest["name"])),
        style=STYLE,
        script="",
        body="\n".join(s for s in sections if s),
    )


def _title(experiment: Experiment) -> str:
    manifest = experiment.manifest
    counts = experiment.results.groupby("point")["replications"].max()
    low, high = int(counts.min()), int(counts.max())
    replications = str(low) if low == high else _("{low} to {high}").format(low=low, high=high)
    factors = len(experiment.paths)
    said = ngettext(
        "{points} design points ({design} over {count} factor: {factors}) × {replications} "
        "replications of the scenario {scenario}.",
        "{points} design points ({design} over {count} factors: {factors}) × {replications} "
        "replications of the scenario {scenario}.",
        factors,
    )
    scenario = f"<b>{esc(Path(manifest['scenario_file']).name)}</b>"
    what = esc(said).format(
        points=len(counts),
        design=esc(_(DESIGNS[experiment.design])),
        count=factors,
        factors=esc(", ".join(experiment.paths)),
        replications=replications,
        scenario=scenario,
    )
    every = esc(
        _(
            "Every number is a mean over replications with its 95% Student-t interval; the "
            "figures and tables show the whole scenario (all countries, ports and shipments); "
            "{file} has every level and group."
        )
    ).format(file="<code>results.csv</code>")
    heading = _("Experiment {name}").format(name=manifest["name"])
    return (
        f"<h1>{esc(heading)}</h1>"
        f'<p class="sub">{esc(manifest.get("description", ""))}</p>'
        f"<p>{what} {every}</p>"
    )


def _findings(experiment: Experiment) -> str:
    """Per indicator and group: where it is lowest and highest, each factor's main effect,
    and (Sobol') what drives it."""
    items = []
    for metric in experiment.metrics:
        for group in experiment.groups:
            rows = experiment.rows(metric, group).dropna(subset=["mean"])
            if rows.empty:
                continue
            kind = kind_of(metric)
            low, high = rows.iloc[rows["mean"].argmin()], rows.iloc[rows["mean"].argmax()]
            if experiment.design == "grid":
                said = _(
                    "{indicator}, {group}: from {low} at {low_point} to {high} at {high_point}."
                )
                low_at = esc(experiment.point_label(int(low.point)))
                high_at = esc(experiment.point_label(int(high.point)))
            else:  # many points: the range, and the table below says where
                said = _(
                    "{indicator}, {group}: from {low} (point {low_point}) to {high} (point "
                    "{high_point}) across the design."
                )
                low_at, high_at = str(int(low.point)), str(int(high.point))
            text = esc(said).format(
                indicator=f"<b>{esc(_label(metric))}</b>",
                group=esc(group_label(group)),
                low=_value(_stat(low), kind),
                low_point=low_at,
                high=_value(_stat(high), kind),
                high_point=high_at,
            )
            if experiment.design != "sobol":
                text += _main_effect_changes(experiment, metric, group)
            text += _top_driver(experiment, metric, group)
            items.append(f"<li>{text}</li>")
    capped = _capped_points(experiment)
    if capped:
        items.append(f"<li>{capped}</li>")
    if any(metric.startswith("delay_cost") for metric in experiment.metrics):
        said = _(
            "Every cost of delay rests on two assumptions: the scenario's declared value per "
            "shipment and the rate per day named with it (hours × value × rate)."
        )
        items.append(f"<li>{esc(said)}</li>")
    heading = _("Key results")
    note = _(
        "Ranges in brackets are 95% intervals. Every point uses the same random numbers in "
        "replication r (common random numbers), so differences between points are known more "
        "precisely than two overlapping intervals suggest: main effects are differences paired "
        "replication by replication, with their own intervals."
    )
    return f"<h2>{esc(heading)}</h2><ul>" + "".join(items) + f'</ul><p class="note">{esc(note)}</p>'


def _top_driver(experiment: Experiment, metric: str, group: str) -> str:
    if experiment.sensitivity is None:
        return ""
    indices = experiment.indices_of(metric, group)
    if indices.empty:
        return ""
    top = indices.iloc[indices["st"].argmax()]
    said = _(
        "Its variance is driven most by {factor} (total Sobol' index {total}, {low} to {high}; "
        "first-order {first})."
    )
    return " " + esc(said).format(
        factor=f"<b>{esc(experiment.names[top.factor])}</b>",
        total=decimal(top.st, 2),
        low=decimal(top.st_ci_low, 2),
        high=decimal(top.st_ci_high, 2),
        first=decimal(top.s1, 2),
    )


def _value(stat: Estimate, kind: Kind) -> str:
    """A mean with its unit and, in brackets, its 95% interval (rounded to the interval)."""
    return esc(show(stat, kind, units=True).with_range())


def _main_effect_changes(experiment: Experiment, metric: str, group: str) -> str:
    """Each factor's main effect from its first to its last level, paired by replication."""
    if experiment.effects is None:
        return ""
    kind = kind_of(metric)
    parts = []
    for path in experiment.paths:
        rows = experiment.effects_of(metric, path, group)
        if len(rows) < 2:
            continue
        first, last = rows.iloc[0], rows.iloc[-1]
        change = Estimate(last["change"], last["change_ci_low"], last["change_ci_high"])
        shown = show(change, kind, signed=True, change=True, units=True).with_range()
        parts.append(
            f"{esc(experiment.names[path])} {_shown(first.level)} → {_shown(last.level)}: "
            f"{esc(shown)}"
        )
    if not parts:
        return ""
    if len(experiment.paths) > 1:
        said = _("Change averaged over the other factors: {changes}.")
    else:
        said = _("Change: {changes}.")
    return " " + esc(said).format(changes="; ".join(parts))


def _capped_points(experiment: Experiment) -> str:
    rule = experiment.manifest["replications"]
    if "precision" not in rule:
        return ""
    counts = experiment.results.groupby("point")["replications"].max()
    capped = [int(p) for p in counts[counts >= rule["max"]].index]
    precision = significant(float(rule["precision"]), 3)
    if not capped:
        return esc(
            _(
                "Every point met the precision rule (relative 95% half-width ≤ {precision} for "
                "the headline indicators)."
            ).format(precision=precision)
        )
    said = ngettext(
        "{capped} of {count} point stopped at the cap of {cap} replications before meeting the "
        "precision {precision}: points {points}.",
        "{capped} of {count} points stopped at the cap of {cap} replications before meeting the "
        "precision {precision}: points {points}.",
        len(counts),
    )
    points = ", ".join(map(str, capped[:20])) + (" …" if len(capped) > 20 else "")
    return esc(
        said.format(
            capped=len(capped),
            count=len(counts),
            cap=rule["max"],
            precision=precision,
            points=points,
        )
    )


# --- figures ------------------------------------------------------------------------------


def _figures(experiment: Experiment) -> str:
    figures = []
    response = _response_axes(experiment)
    if response is not None:
        x, line = response
        if line:
            said = _(
                "Each indicator against {factor}, one line per level of {other}; bands are 95% "
                "intervals of each point's mean."
            )
        else:
            said = _(
                "Each indicator against {factor}; bands are 95% intervals of each point's mean."
            )
        caption = said.format(factor=experiment.names[x], other=experiment.names.get(line or ""))
        figures.append((_response_figure(experiment, x, line), caption))
    if experiment.effects is not None and len(experiment.paths) > 1:
        if experiment.design != "grid":
            caption = _(
                "Main effects: the mean over the design points at each level of a factor (five "
                "equal-count bins where a factor takes many values); bars are 95% intervals "
                "across replications of that mean."
            )
        else:
            caption = _(
                "Main effects: the mean over the design points at each level of a factor; bars "
                "are 95% intervals across replications of that mean."
            )
        figures.append((_main_effects_figure(experiment), caption))
    if experiment.sensitivity is not None and not experiment.sensitivity.empty:
        caption = _(
            "Sobol' indices: the share of each indicator's variance across the design due to a "
            "factor alone (first-order) and with its interactions (total); bars are 95% "
            "bootstrap intervals."
        )
        figures.append((_sobol_figure(experiment), caption))
    items = [
        f'<figure><img src="data:image/png;base64,{png(figure)}" alt="{esc(caption)}">'
        f"<figcaption>({chr(97 + i)}) {esc(caption)}</figcaption></figure>"
        for i, (figure, caption) in enumerate(figures)
    ]
    heading = _("Figures")
    return f"<h2>{esc(heading)}</h2>" + "\n".join(items) if items else ""


def _response_axes(experiment: Experiment) -> tuple[str, str | None] | None:
    """A grid of one or two factors with a numeric one: (x factor, line factor or None)."""
    if experiment.design != "grid" or len(experiment.paths) > 2:
        return None
    numeric = [
        f["path"]
        for f in experiment.factors
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in f["levels"])
    ]
    if not numeric:
        return None
    x = max(numeric, key=lambda p: len(experiment.factors[experiment.paths.index(p)]["levels"]))
    others = [p for p in experiment.paths if p != x]
    return x, (others[0] if others else None)


def _response_figure(experiment: Experiment, x: str, line: str | None) -> Figure:
    """A panel per indicator: one line per level of the other factor, or (one factor) one
    line per shown group."""
    metrics = experiment.metrics
    figure, axes = panels(len(metrics), 2, (5.0, 3.2), sharex=True)
    points = experiment.manifest["design"]["points"]
    if line is None:
        series = [
            (group, None, GROUP_COLOURS[group], group_label(group)) for group in experiment.groups
        ]
    else:
        levels = experiment.factors[experiment.paths.index(line)]["levels"]
        colours = scenario_colours(len(levels) + 1)[1:]
        series = [
            (ALL, level, colour, f"{experiment.names[line]} {_shown(level)}")
            for level, colour in zip(levels, colours, strict=True)
        ]
    for ax, metric in zip(axes, metrics, strict=True):
        for group, level, colour, label in series:
            rows = experiment.rows(metric, group).dropna(subset=["mean"])
            chosen = [line is None or points[p][line] == level for p in rows["point"]]
            rows = rows.loc[np.array(chosen, dtype=bool)]
            if rows.empty:
                continue
            xs = np.array([points[p][x] for p in rows["point"]], dtype=float)
            order = np.argsort(xs)
            ax.plot(
                xs[order], rows["mean"].to_numpy()[order], marker="o", color=colour, label=label
            )
            ax.fill_between(
                xs[order],
                rows["ci_low"].to_numpy(dtype=float)[order],
                rows["ci_high"].to_numpy(dtype=float)[order],
                color=colour,
                alpha=0.2,
                linewidth=0,
            )
        ax.set_title(_label(metric), fontsize=10)
        _language_ticks(ax)
    figure.supxlabel(x, fontsize=10)
    _legend(figure, axes)
    return figure


def _language_ticks(ax: Any) -> None:
    """Numeric ticks in the language's digits (``0,5``); a categorical axis keeps its names."""
    ax.yaxis.set_major_formatter(number_axis())
    if not isinstance(ax.xaxis.get_major_formatter(), FixedFormatter):
        ax.xaxis.set_major_formatter(number_axis())


def _legend(figure: Figure, axes: Iterable[Any]) -> None:
    """One legend above the panels, of every series any panel drew."""
    entries: dict[str, Any] = {}
    for ax in axes:
        for handle, name in zip(*ax.get_legend_handles_labels(), strict=True):
            entries.setdefault(name, handle)
    if entries:
        figure.legend(
            list(entries.values()),
            list(entries),
            loc="outside upper center",
            ncols=min(len(entries), 6),
        )


def _main_effects_figure(experiment: Experiment) -> Figure:
    """Rows: indicators; columns: factors; a dot and a 95% bar per level, for each group."""
    metrics, paths = experiment.metrics, experiment.paths
    figure = Figure(figsize=(2.9 * len(paths), 2.3 * len(metrics) + 0.8), layout="constrained")
    axes = figure.subplots(len(metrics), len(paths), squeeze=False, sharey="row")
    for i, metric in enumerate(metrics):
        for j, path in enumerate(paths):
            ax = axes[i][j]
            for group in experiment.groups:
                rows = experiment.effects_of(metric, path, group)
                numeric = pd.to_numeric(rows["level"], errors="coerce")
                categorical = numeric.isna().any()
                xs = np.arange(len(rows)) if categorical else numeric.to_numpy()
                means = rows["mean"].to_numpy(dtype=float)
                errors = np.array([means - rows["ci_low"], rows["ci_high"] - means], dtype=float)
                ax.errorbar(
                    xs,
                    means,
                    yerr=errors,
                    fmt="o-",
                    capsize=3,
                    color=GROUP_COLOURS[group],
                    label=group_label(group),
                )
                if categorical:
                    ax.set_xticks(xs, [str(v) for v in rows["level"]], fontsize=8)
            _language_ticks(ax)
            if i == len(metrics) - 1:
                ax.set_xlabel(experiment.names[path], fontsize=9)
            if j == 0:
                ax.set_ylabel(_label(metric), fontsize=9)
    if len(experiment.groups) > 1:
        _legend(figure, axes.ravel())
    return figure


def _sobol_figure(experiment: Experiment) -> Figure:
    assert experiment.sensitivity is not None
    metrics = [m for m in experiment.metrics if not experiment.indices_of(m).empty]
    figure, axes = panels(len(metrics), 2, (5.0, 3.0), sharey=True)
    x = np.arange(len(experiment.paths))
    for ax, metric in zip(axes, metrics, strict=True):
        rows = experiment.indices_of(metric).set_index("factor").loc[experiment.paths]
        bars = zip(
            (-0.2, 0.2),
            ("s1", "st"),
            SENSITIVITY_COLOURS,
            (_("first-order"), _("total")),
            strict=True,
        )
        for offset, index, colour, name in bars:
            values = rows[index].to_numpy(dtype=float)
            low, high = rows[f"{index}_ci_low"].to_numpy(), rows[f"{index}_ci_high"].to_numpy()
            ax.bar(
                x + offset,
                values,
                0.4,
                yerr=np.array([values - low, high - values], dtype=float),
                color=colour,
                label=name,
                error_kw={"elinewidth": 0.8, "capsize": 2},
            )
        names = [experiment.names[p] for p in experiment.paths]
        ax.set_xticks(x, names, fontsize=8, rotation=25, ha="right")
        ax.set_title(_label(metric), fontsize=10)
        ax.axhline(0, color="0.5", linewidth=0.8)
        ax.yaxis.set_major_formatter(number_axis())
    axes[0].set_ylabel(_("Sobol' index"))
    axes[0].legend(fontsize=8)
    return figure


# --- tables ---------------------------------------------------------------------------------


def _point_table(experiment: Experiment) -> str:
    """Each point's factor values and shown indicators (each shown group)."""
    points = experiment.manifest["design"]["points"]
    columns = [
        (m, g) for m in experiment.metrics for g in experiment.groups if experiment.defined(m, g)
    ]
    header = [
        _("point"),
        *experiment.names.values(),
        *(_label(m) + ("" if g == ALL else f", {group_label(g)}") for m, g in columns),
    ]
    stats = {(m, g): experiment.rows(m, g).set_index("point") for m, g in columns}
    rows = []
    for point in points[:TABLE_POINTS]:
        p = point["point"]
        cells = []
        for metric, group in columns:
            table = stats[(metric, group)]
            stat = _stat(table.loc[p]) if p in table.index else None
            if stat is None or not math.isfinite(stat.mean):
                cells.append("<td>–</td>")
                continue
            shown = show(stat, kind_of(metric), units=True)
            note = f'<span class="ci">{esc(shown.range())}</span>' if shown.low else ""
            cells.append(f"<td>{esc(shown.plain())}{note}</td>")
        rows.append([str(p), *(_shown(point[path]) for path in experiment.paths), *cells])
    more = ""
    if len(points) > TABLE_POINTS:
        said = _("The first {shown} of {count} points; all are in results.csv.")
        more = f'<p class="note">{esc(said.format(shown=TABLE_POINTS, count=len(points)))}</p>'
    html = html_table(header, rows, 1 + len(experiment.paths))
    scrolled = f'<div style="overflow-x: auto">{html}</div>'  # many factors and indicators
    heading = _("Results by design point")
    return f"<h2>{esc(heading)}</h2>" + scrolled + more


def _sensitivity_table(experiment: Experiment) -> str:
    if experiment.sensitivity is None or experiment.sensitivity.empty:
        return ""
    columns = ["factor", "s1", "s1_ci_low", "s1_ci_high", "st", "st_ci_low", "st_ci_high"]
    rows = []
    for metric in experiment.metrics:
        indices = experiment.indices_of(metric)
        ranked = indices.sort_values("st", ascending=False)[columns]
        for factor, s1, s1_low, s1_high, st, st_low, st_high in ranked.itertuples(
            index=False, name=None
        ):
            rows.append(
                [
                    _label(metric),
                    experiment.names[factor],
                    _index_td(s1, s1_low, s1_high),
                    _index_td(st, st_low, st_high),
                ]
            )
    said = _(
        "First-order and total indices (SALib, Saltelli 2010 and Jansen estimators) with 95% "
        "bootstrap intervals. Each point's output is its mean over replications: the noise left "
        "in it is variance no factor explains, so first-order indices are slightly low and their "
        "sum below 1."
    )
    table = html_table([_("indicator"), _("factor"), _("first-order"), _("total")], rows, 2)
    heading = _("Sobol' sensitivity indices")
    return f"<h2>{esc(heading)}</h2>" + table + f'<p class="note">{esc(said)}</p>'


def _index_td(value: float, low: float, high: float) -> str:
    interval = _("{low} to {high}").format(low=decimal(low, 3), high=decimal(high, 3))
    return f'<td>{decimal(value, 3)}<span class="ci">{esc(interval)}</span></td>'


def _about(experiment: Experiment) -> str:
    manifest = experiment.manifest
    rule = manifest["replications"]
    if "fixed" in rule:
        replications = _("{count} per point").format(count=rule["fixed"])
    else:
        replications = _(
            "until every headline indicator's relative 95% half-width ≤ {precision}, at most "
            "{cap} (decided from finished rounds only)"
        ).format(precision=significant(float(rule["precision"]), 3), cap=rule["max"])
    factors = "; ".join(_factor_text(f, experiment.design) for f in experiment.factors)
    versions = ", ".join(f"{k} {v}" for k, v in manifest.get("versions", {}).items())
    points = len(manifest["design"]["points"])
    design = ngettext("{design} ({count} point)", "{design} ({count} points)", points)
    seed = _("{seed}; replication r of every point uses the same random numbers")
    items: Sequence[tuple[str, Any]] = (
        (_("results folder"), str(experiment.folder)),
        (
            _("experiment file"),
            f"{manifest['experiment_file']} (sha256 {manifest['experiment_sha256'][:12]}…)",
        ),
        (
            _("scenario file"),
            f"{manifest['scenario_file']} (sha256 {manifest['scenario_sha256'][:12]}…)",
        ),
        (_("fixed overrides (set:)"), ", ".join(f"{k}={v}" for k, v in manifest["set"].items())),
        (_("design"), design.format(design=manifest["design"]["type"], count=points)),
        (_("factors"), factors),
        (_("replications"), replications),
        (_("seed"), seed.format(seed=manifest["seed"])),
        (_("engine"), manifest.get("engine", "")),
        (_("versions"), versions),
    )
    rows = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in items if v not in ("", None))
    heading = _("About this experiment")
    return f'<footer><h2>{esc(heading)}</h2><dl class="meta">{rows}</dl></footer>'


def _factor_text(factor: dict[str, Any], design: str) -> str:
    levels = factor["levels"]
    if design == "grid":
        return _("{factor} at {levels}").format(
            factor=factor["path"], levels="; ".join(map(_shown, levels))
        )
    if factor["integer"]:
        said = _(
            "{factor} in [{low}; {high}] (integers, each equally likely: low + floor(u × (high − "
            "low + 1)))"
        )
    else:
        said = _("{factor} in [{low}; {high}] (real)")
    return said.format(factor=factor["path"], low=_shown(levels[0]), high=_shown(levels[1]))
