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

from sim.errors import InputError
from sim.experiment.keys import ROW_KEYS, is_whole_scenario, shown_metrics
from sim.experiment.spec import short_names
from sim.experiment.store import read_manifest
from sim.interpret.labels import indicator_label
from sim.interpret.numbers import Kind, kind_of, show
from sim.model.vocabulary import ALL, ELIGIBLE
from sim.replicate.stats import Estimate
from sim.report.figures import GROUP_COLOURS, panels, png, scenario_colours
from sim.report.html import GROUP_LABELS, PAGE, STYLE, esc, html_table
from sim.results.atomic import write_atomic
from sim.results.files import REPORT_FILE

SHOWN_METRICS = 6
TABLE_POINTS = 50
SENSITIVITY_COLOURS = ("#0072B2", "#D55E00")  # first-order, total (Okabe-Ito)


class Experiment:
    """An experiment folder as the report reads it: manifest and whole-scenario rows."""

    def __init__(self, folder: Path) -> None:
        manifest = read_manifest(folder)
        if manifest is None:
            raise InputError(str(folder), "", "holds no experiment manifest.json")
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
        raise InputError(str(folder), "", f"holds no {name}: run the experiment to its end")
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
    return f"{value:.4g}" if isinstance(value, float) else str(value)


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
    return PAGE.format(
        title=esc(f"experiment {experiment.manifest['name']}"),
        style=STYLE,
        script="",
        body="\n".join(s for s in sections if s),
    )


def _title(experiment: Experiment) -> str:
    manifest = experiment.manifest
    counts = experiment.results.groupby("point")["replications"].max()
    low, high = int(counts.min()), int(counts.max())
    replications = str(low) if low == high else f"{low} to {high}"
    what = {
        "grid": "a full grid",
        "lhs": "a Latin hypercube",
        "sobol": "a Sobol'–Saltelli sample",
    }[experiment.design]
    return (
        f"<h1>Experiment {esc(manifest['name'])}</h1>"
        f'<p class="sub">{esc(manifest.get("description", ""))}</p>'
        f"<p>{len(counts)} design points ({what} over {len(experiment.paths)} "
        f"factor{'s' if len(experiment.paths) > 1 else ''}: "
        f"{esc(', '.join(experiment.paths))}) × {replications} replications of the scenario "
        f"<b>{esc(Path(manifest['scenario_file']).name)}</b>. Every number is a mean over "
        "replications with its 95% Student-t interval; the figures and tables show the whole "
        "scenario (all countries, ports and shipments); <code>results.csv</code> has every level "
        "and group.</p>"
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
            text = f"<b>{esc(_label(metric))}</b>, {esc(GROUP_LABELS[group])}: from "
            if experiment.design == "grid":
                text += (
                    f"{_value(_stat(low), kind)} at "
                    f"{esc(experiment.point_label(int(low.point)))} to "
                    f"{_value(_stat(high), kind)} at "
                    f"{esc(experiment.point_label(int(high.point)))}."
                )
            else:  # many points: the range, and the table below says where
                text += (
                    f"{_value(_stat(low), kind)} (point {int(low.point)}) to "
                    f"{_value(_stat(high), kind)} (point {int(high.point)}) across the design."
                )
            if experiment.design != "sobol":
                text += _main_effect_changes(experiment, metric, group)
            text += _top_driver(experiment, metric, group)
            items.append(f"<li>{text}</li>")
    capped = _capped_points(experiment)
    if capped:
        items.append(f"<li>{capped}</li>")
    if any(metric.startswith("delay_cost") for metric in experiment.metrics):
        items.append(
            "<li>Every cost of delay rests on two assumptions: the scenario's declared value "
            "per shipment and the rate per day named with it (hours × value × rate).</li>"
        )
    return (
        "<h2>Key results</h2><ul>" + "".join(items) + "</ul>"
        '<p class="note">Ranges in brackets are 95% intervals. Every point uses the same random '
        "numbers in replication r (common random numbers), so differences between points are "
        "known more precisely than two overlapping intervals suggest: main effects are "
        "differences paired replication by replication, with their own intervals.</p>"
    )


def _top_driver(experiment: Experiment, metric: str, group: str) -> str:
    if experiment.sensitivity is None:
        return ""
    indices = experiment.indices_of(metric, group)
    if indices.empty:
        return ""
    top = indices.iloc[indices["st"].argmax()]
    return (
        f" Its variance is driven most by <b>{esc(experiment.names[top.factor])}</b> (total "
        f"Sobol' index {top.st:.2f}, {top.st_ci_low:.2f} to {top.st_ci_high:.2f}; first-order "
        f"{top.s1:.2f})."
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
    averaged = " averaged over the other factors" if len(experiment.paths) > 1 else ""
    return f" Change{averaged}: " + "; ".join(parts) + "."


def _capped_points(experiment: Experiment) -> str:
    rule = experiment.manifest["replications"]
    if "precision" not in rule:
        return ""
    counts = experiment.results.groupby("point")["replications"].max()
    capped = [int(p) for p in counts[counts >= rule["max"]].index]
    if not capped:
        return (
            f"Every point met the precision rule (relative 95% half-width ≤ "
            f"{rule['precision']:g} for the headline indicators)."
        )
    return (
        f"{len(capped)} of {len(counts)} points stopped at the cap of {rule['max']} replications "
        f"before meeting the precision {rule['precision']:g}: points "
        f"{', '.join(map(str, capped[:20]))}{' …' if len(capped) > 20 else ''}."
    )


# --- figures ------------------------------------------------------------------------------


def _figures(experiment: Experiment) -> str:
    figures = []
    response = _response_axes(experiment)
    if response is not None:
        x, line = response
        by = f", one line per level of {experiment.names[line]}" if line else ""
        figures.append(
            (
                _response_figure(experiment, x, line),
                f"Each indicator against {experiment.names[x]}{by}; bands are 95% intervals of "
                "each point's mean.",
            )
        )
    if experiment.effects is not None and len(experiment.paths) > 1:
        binned = experiment.design != "grid"
        figures.append(
            (
                _main_effects_figure(experiment),
                "Main effects: the mean over the design points at each level of a factor"
                + (" (five equal-count bins where a factor takes many values)" if binned else "")
                + "; bars are 95% intervals across replications of that mean.",
            )
        )
    if experiment.sensitivity is not None and not experiment.sensitivity.empty:
        figures.append(
            (
                _sobol_figure(experiment),
                "Sobol' indices: the share of each indicator's variance across the design due to "
                "a factor alone (first-order) and with its interactions (total); bars are 95% "
                "bootstrap intervals.",
            )
        )
    items = [
        f'<figure><img src="data:image/png;base64,{png(figure)}" alt="{esc(caption)}">'
        f"<figcaption>({chr(97 + i)}) {esc(caption)}</figcaption></figure>"
        for i, (figure, caption) in enumerate(figures)
    ]
    return "<h2>Figures</h2>" + "\n".join(items) if items else ""


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
            (group, None, GROUP_COLOURS[group], GROUP_LABELS[group]) for group in experiment.groups
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
    figure.supxlabel(x, fontsize=10)
    _legend(figure, axes)
    return figure


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
                    label=GROUP_LABELS[group],
                )
                if categorical:
                    ax.set_xticks(xs, [str(v) for v in rows["level"]], fontsize=8)
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
            (-0.2, 0.2), ("s1", "st"), SENSITIVITY_COLOURS, ("first-order", "total"), strict=True
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
    axes[0].set_ylabel("Sobol' index")
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
        "point",
        *experiment.names.values(),
        *(_label(m) + ("" if g == ALL else f", {GROUP_LABELS[g]}") for m, g in columns),
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
    more = (
        f'<p class="note">The first {TABLE_POINTS} of {len(points)} points; all are in '
        "results.csv.</p>"
        if len(points) > TABLE_POINTS
        else ""
    )
    html = html_table(header, rows, 1 + len(experiment.paths))
    scrolled = f'<div style="overflow-x: auto">{html}</div>'  # many factors and indicators
    return "<h2>Results by design point</h2>" + scrolled + more


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
    note = (
        '<p class="note">First-order and total indices (SALib, Saltelli 2010 and Jansen '
        "estimators) with 95% bootstrap intervals. Each point's output is its mean over "
        "replications: the noise left in it is variance no factor explains, so first-order "
        "indices are slightly low and their sum below 1.</p>"
    )
    table = html_table(["indicator", "factor", "first-order", "total"], rows, 2)
    return "<h2>Sobol' sensitivity indices</h2>" + table + note


def _index_td(value: float, low: float, high: float) -> str:
    return f'<td>{value:.3f}<span class="ci">{low:.3f} to {high:.3f}</span></td>'


def _about(experiment: Experiment) -> str:
    manifest = experiment.manifest
    rule = manifest["replications"]
    replications = (
        f"{rule['fixed']} per point"
        if "fixed" in rule
        else f"until every headline indicator's relative 95% half-width ≤ {rule['precision']:g}, "
        f"at most {rule['max']} (decided from finished rounds only)"
    )
    factors = "; ".join(_factor_text(f, experiment.design) for f in experiment.factors)
    versions = ", ".join(f"{k} {v}" for k, v in manifest.get("versions", {}).items())
    items: Sequence[tuple[str, Any]] = (
        ("results folder", str(experiment.folder)),
        (
            "experiment file",
            f"{manifest['experiment_file']} (sha256 {manifest['experiment_sha256'][:12]}…)",
        ),
        (
            "scenario file",
            f"{manifest['scenario_file']} (sha256 {manifest['scenario_sha256'][:12]}…)",
        ),
        ("fixed overrides (set:)", ", ".join(f"{k}={v}" for k, v in manifest["set"].items())),
        ("design", f"{manifest['design']['type']} ({len(manifest['design']['points'])} points)"),
        ("factors", factors),
        ("replications", replications),
        ("seed", f"{manifest['seed']}; replication r of every point uses the same random numbers"),
        ("engine", manifest.get("engine", "")),
        ("versions", versions),
    )
    rows = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in items if v not in ("", None))
    return f'<footer><h2>About this experiment</h2><dl class="meta">{rows}</dl></footer>'


def _factor_text(factor: dict[str, Any], design: str) -> str:
    levels = factor["levels"]
    if design == "grid":
        return f"{factor['path']} at {', '.join(map(_shown, levels))}"
    rounding = (
        "integers, each equally likely: low + floor(u × (high − low + 1))"
        if factor["integer"]
        else "real"
    )
    return f"{factor['path']} in [{_shown(levels[0])}, {_shown(levels[1])}] ({rounding})"
