"""The Time Release Study tables as printed: within 100 columns, observed and simulated
side by side (a row each) when both are given."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from sim.interpret.tables import fit_table
from sim.language import N_, _, pgettext
from sim.language.formats import decimal
from sim.model.vocabulary import CHANNELS, GROUPS, MODES
from sim.records.trs import CUSTOMS, TOTAL, WITHIN_H, TrsTables

TITLES = {
    "mode": N_("Arrival to release by mode of transport, hours (then the mean of each stage)"),
    "channel": N_("Arrival to release by channel, hours (then the mean of each stage)"),
    "group": N_("Arrival to release by trader group, hours (then the mean of each stage)"),
    "pre_arrival": N_(
        "Arrival to release by pre-arrival lodgement, hours (then the mean of each stage)"
    ),
    "port": N_("Arrival to release by port, hours (then the mean of each stage)"),
}
"""The heading of each breakdown's table, said whole (translated where printed)."""


def trs_text(tables: TrsTables, width: int = 100) -> str:
    stages = tables.stages
    sources = list(dict.fromkeys(stages.source))
    parts = [_stage_table(stages[stages.breakdown == "all"], sources, width)]
    for breakdown, title in TITLES.items():
        mine = stages[stages.breakdown == breakdown]
        if mine.level.nunique() < 2 and breakdown != "pre_arrival":
            continue
        if mine.empty:
            continue
        parts.append(_breakdown_table(mine, title, sources, width))
    parts.append(_within_table(tables.within, sources, width))
    by_hour = _(
        "Traffic by hour of the day: share of each event, and arrival to release by time of arrival"
    )
    by_day = _(
        "Traffic by day of the week: share of each event, and arrival to release by time of arrival"
    )
    parts.append(_pattern_table(tables.hourly, "hour", by_hour, sources, width))
    parts.append(_pattern_table(tables.daily, "weekday", by_day, sources, width))
    return "\n\n".join(parts)


def _h(value: float) -> str:
    if pd.isna(value):
        return "-"
    if abs(value) < 0.005:
        return "0"
    if abs(value) >= 1000:
        return decimal(value, 0)
    digits = f"{value:.3g}"  # three significant digits, trailing zeros dropped
    places = len(digits.partition(".")[2])
    return digits if "e" in digits else decimal(value, places)  # the language's separators


def _stage_table(stages: pd.DataFrame, sources: list[str], width: int) -> str:
    rows: list[tuple[str, ...]] = []
    for stage in dict.fromkeys(stages.stage):
        for source in sources:
            row = stages[(stages.stage == stage) & (stages.source == source)]
            if row.empty:
                continue
            r = row.iloc[0]
            rows.append(
                (
                    stage,
                    source,
                    decimal(int(r.n), 0),
                    _h(r.mean_h),
                    _h(r.median_h),
                    _h(r.p90_h),
                    _range(r.min_h, r.max_h),
                )
            )
    header: tuple[str, ...] = (pgettext("table header", "stage"), *_spread_header())
    rows, header, labels = _one_source(rows, header, sources)
    title = _("Time by stage, hours: every declaration")
    return title + "\n" + _indent(fit_table(header, rows, labels, width - 2))


def _breakdown_table(stages: pd.DataFrame, title: str, sources: list[str], width: int) -> str:
    """The total by level, its spread, and the mean of every other stage."""
    others = [s for s in dict.fromkeys(stages.stage) if s != TOTAL]
    rows: list[tuple[str, ...]] = []
    for level in sorted(dict.fromkeys(stages.level), key=_level_order):
        for source in sources:
            mine = stages[(stages.level == level) & (stages.source == source)].set_index("stage")
            if TOTAL not in mine.index:
                continue
            total = mine.loc[TOTAL]
            means = [_h(mine.loc[s, "mean_h"]) if s in mine.index else "-" for s in others]
            rows.append(
                (
                    str(level),
                    source,
                    decimal(int(total.n), 0),
                    _h(total.mean_h),
                    _h(total.median_h),
                    _h(total.p90_h),
                    _range(total.min_h, total.max_h),
                    *means,
                )
            )
    header: tuple[str, ...] = (
        pgettext("table header", "level"),
        *_spread_header(),
        *(_("{stage} mean").format(stage=_short(s)) for s in others),
    )
    rows, header, labels = _one_source(rows, header, sources)
    heading = _(title)
    return heading + "\n" + _indent(fit_table(header, rows, labels, width - 2))


ORDER = {v: i for i, v in enumerate((*CHANNELS, *GROUPS, *MODES, "pre-arrival", "after arrival"))}


def _level_order(level: object) -> tuple[int, str]:
    """Channels, groups and modes in the model's order, others (ports) by name."""
    return ORDER.get(str(level), len(ORDER)), str(level)


def _breakdown_order(breakdown: object, level: object) -> tuple[int, int, str]:
    kinds = ("all", "channel", "group", "pre_arrival")
    return (kinds.index(str(breakdown)), *_level_order(level))


def _short(stage: str) -> str:
    return {
        CUSTOMS: "customs",
        "arrival to unloading": "unloading",
        "arrival to lodgement": "lodgement",
        "last check to release": "to release",
    }.get(stage, stage)


def _within_table(within: pd.DataFrame, sources: list[str], width: int) -> str:
    rows: list[tuple[str, ...]] = []
    shown = within[within.breakdown.isin(["all", "channel", "group", "pre_arrival"])]
    groups = shown.groupby(["breakdown", "level"], sort=False)
    for (breakdown, level), part in sorted(groups, key=lambda g: _breakdown_order(*g[0])):
        for source in sources:
            mine = part[part.source == source].set_index("within_h").share
            if mine.empty:
                continue
            label = "all" if breakdown == "all" else f"{level}"
            rows.append((label, source, *(f"{mine.get(h, float('nan')):.0%}" for h in WITHIN_H)))
    header: tuple[str, ...] = (
        pgettext("table header", "declarations"),
        pgettext("table header", "records"),
        "1 h",
        "6 h",
        "24 h",
        "48 h",
        pgettext("table header", "7 days"),
    )
    rows, header, labels = _one_source(rows, header, sources)
    return (
        _("Released within, share of declarations")
        + "\n"
        + _indent(fit_table(header, rows, labels, width - 2))
    )


def _pattern_table(
    table: pd.DataFrame, key: str, title: str, sources: list[str], width: int
) -> str:
    """Shares of arrivals, lodgements and releases in each slot (comparable whatever the
    number of periods), and the mean total by slot of arrival."""
    rows: list[tuple[str, ...]] = []
    for slot in dict.fromkeys(table[key]):
        for source in sources:
            mine = table[(table[key] == slot) & (table.source == source)]
            whole = table[table.source == source]
            if mine.empty:
                continue
            r = mine.iloc[0]
            shares = [
                f"{decimal(100 * r[e] / whole[e].sum(), 1)}%" if whole[e].sum() else "-"
                for e in ("arrivals", "lodgements", "releases")
            ]
            rows.append((str(slot), source, *shares, _h(r.total_mean_h)))
    slots = {
        "hour": pgettext("table header", "hour"),
        "weekday": pgettext("table header", "weekday"),
    }
    header: tuple[str, ...] = (
        slots.get(key, key),
        pgettext("table header", "records"),
        pgettext("table header", "arrivals"),
        pgettext("table header", "lodgements"),
        pgettext("table header", "releases"),
        pgettext("table header", "mean total h"),
    )
    rows, header, labels = _one_source(rows, header, sources)
    return title + "\n" + _indent(fit_table(header, rows, labels, width - 2))


def _spread_header() -> tuple[str, ...]:
    """The columns of a time's spread, after the row's name: the source, n, mean, median, p90,
    range."""
    return (
        pgettext("table header", "records"),
        "n",
        pgettext("table header", "mean"),
        pgettext("table header", "median"),
        "p90",
        pgettext("table header", "range"),
    )


def _range(low: float, high: float) -> str:
    return _("{low} to {high}").format(low=_h(low), high=_h(high))


def _indent(text: str) -> str:
    return "\n".join("  " + line if line else "" for line in text.splitlines())


def _one_source(
    rows: Sequence[tuple[str, ...]], header: tuple[str, ...], sources: list[str]
) -> tuple[list[tuple[str, ...]], tuple[str, ...], int]:
    """Without a simulation beside the records, the 'records' column says nothing: dropped."""
    if len(sources) > 1:
        return list(rows), header, 2
    return [r[:1] + r[2:] for r in rows], header[:1] + header[2:], 1
