"""``mrasim records inspect FILE``: what a file holds, a draft mapping, and what it supports.

Each column is profiled (its kind, how often it is filled, its commonest values) and
matched by name against what administrations call mrasim's columns (:mod:`.words`); the
values of a matched channel, mode or group column are matched the same way, and a yes/no
AEO column becomes a rule that derives the trader group. With a template scenario, port
and country names come from it. What cannot be decided is written ``TODO``, which the
mapping refuses until it is edited. Finally the file is read through the draft, and the
summary says which stages it measures and which ports have too few rows to fit.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.errors import InputError
from sim.language import _, pgettext
from sim.language.formats import decimal
from sim.model.schema import Scenario
from sim.plan.compile import compile_plan
from sim.records.canon import fold
from sim.records.columns import CATEGORIES, MILESTONES, NO, YES
from sim.records.mapping import Mapping, mapping_from_dict
from sim.records.table import Table, describe_how, read_table
from sim.records.times import EXCEL_DAYS, numbers
from sim.records.words import (
    AEO_FLAGS,
    COLUMN_NAMES,
    ENDS,
    MRA_FLAGS,
    NOTES,
    STARTS,
    STATION_NAMES,
    VALUE_WORDS,
)

TODO = "TODO"
SAMPLE_ROWS = 20_000
MANY_VALUES = 60
"""A category column with more distinct values than this gets no value map proposed."""
MATCH = 0.78
MIN_ROWS = 30
"""A port with fewer rows than this cannot be fitted (calibrate's threshold for a value)."""


@dataclass
class Column:
    """One column of the file, profiled."""

    name: str
    kind: str  # date, number, flag, text, empty
    filled: float
    distinct: int
    top: list[tuple[str, int]]
    proposed: str = ""
    note: str = ""


@dataclass
class Inspection:
    source: str
    rows: int
    how: str
    columns: list[Column]
    draft: dict[str, object]
    comments: dict[str, str] = field(default_factory=dict)  # "values.channel.NARANJA": why
    support: list[str] = field(default_factory=list)


def inspect_file(path: Path, mapping: Mapping, scenario: Scenario | None) -> Inspection:
    """Profile the file and propose its mapping (the given one's reading options kept)."""
    table = read_table(path, mapping)
    columns = [_profile(table.frame[name], name) for name in table.frame.columns]
    inspection = Inspection(table.source, len(table.frame), describe_how(table), columns, {})
    inspection.draft = _propose(table, columns, mapping, scenario, inspection.comments)
    return inspection


# --- profiles ----------------------------------------------------------------------------


def _profile(values: pd.Series, name: str) -> Column:
    given = values.notna()
    if values.dtype == object or pd.api.types.is_string_dtype(values):
        text = values.astype("string").str.strip()
        given &= text.fillna("") != ""
    filled = float(given.mean()) if len(values) else 0.0
    shown = values[given].head(SAMPLE_ROWS)
    counts = shown.astype(str).value_counts()
    distinct = int(values[given].astype(str).nunique()) if given.any() else 0
    top = [(str(v), int(n)) for v, n in counts.head(MANY_VALUES + 1).items()]
    return Column(name, _kind(shown), filled, distinct, top)


def _kind(values: pd.Series) -> str:
    if values.empty:
        return "empty"
    if pd.api.types.is_datetime64_any_dtype(values):
        return "date"
    if values.dtype == object and values.map(lambda v: hasattr(v, "isoformat")).mean() > 0.5:
        return "date"
    folded = {fold(v) for v in values.astype(str).unique()[:10]}
    if len(folded) <= 3 and folded <= (YES | NO) and len(folded) > 0:
        return "flag"
    as_numbers = numbers(values)
    if np.isfinite(as_numbers).mean() > 0.9:
        low, high = EXCEL_DAYS
        finite = as_numbers[np.isfinite(as_numbers)]
        if (finite >= low).all() and (finite <= high).all() and (finite % 1 != 0).any():
            return "date"
        return "number"
    parsed = pd.to_datetime(
        values.astype(str).head(500), errors="coerce", format="mixed", dayfirst=True
    )
    return "date" if parsed.notna().mean() > 0.8 else "text"


# --- the proposal ------------------------------------------------------------------------


def _propose(
    table: Table,
    columns: list[Column],
    given: Mapping,
    scenario: Scenario | None,
    comments: dict[str, str],
) -> dict[str, object]:
    draft: dict[str, object] = {}
    for key, value in _reading(table, given).items():
        draft[key] = value
    stations = _station_names(scenario)
    mapped = _match_columns(columns, stations)
    draft["columns"] = {c.name: c.proposed for c in columns if c.proposed}
    values: dict[str, dict[str, str]] = {}
    for column in columns:
        if column.proposed in (*VALUE_WORDS, "port", "origin"):
            proposed = _value_map(column, scenario, comments)
            if proposed:
                values[column.proposed] = proposed
    derive = _derive(columns, mapped, scenario, comments)
    if values:
        draft["values"] = values
    if derive:
        draft["derive"] = derive
    if _slashed(table, mapped):
        draft["dayfirst"] = "true"
    return draft


def _reading(table: Table, given: Mapping) -> dict[str, str]:
    """How the file was read, written out so the mapping reads it the same way again."""
    out = {}
    for key in ("encoding", "sep", "sheet", "header_row"):
        value = getattr(given, key) or table.how.get(key)
        if value is not None:
            out[key] = str(value)
    return out


def _station_names(scenario: Scenario | None) -> dict[str, tuple[str, ...]]:
    names = dict(STATION_NAMES)
    if scenario is not None:
        template = {s for _, _, port in scenario.ports for s in port.stations}
        names = {s: (*STATION_NAMES.get(s, ()), fold(s.replace("_", " "))) for s in template}
    return names


def _match_columns(columns: list[Column], stations: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """mrasim name -> the file's column, the best-scoring pair first (each used once)."""
    scored = []
    for column in columns:
        for target, score in _candidates(column, stations):
            scored.append((score, target, column))
    taken: dict[str, str] = {}
    used: set[str] = set()
    for score, target, column in sorted(scored, key=lambda s: -s[0]):
        if score < MATCH or target in taken or column.name in used:
            continue
        taken[target] = column.name
        used.add(column.name)
        column.proposed = target
    return taken


def _candidates(column: Column, stations: dict[str, tuple[str, ...]]) -> list[tuple[str, float]]:
    name = fold(column.name).replace(".", " ").replace("_", " ")
    timed = column.kind in ("date", "number")
    out = []
    for target, names in COLUMN_NAMES.items():
        if target in MILESTONES and not timed and column.kind != "empty":
            continue
        if target not in MILESTONES and column.kind == "date":
            continue
        if target in CATEGORIES and column.kind == "date":
            continue
        out.append((target, _score(name, names)))
    if timed:
        for station, names in stations.items():
            score = _score(_without(name, (*STARTS, *ENDS, "fecha", "data", "hora")), names)
            end = "_start" if _has_word(name, STARTS) else "_end"
            out.append((f"{station}{end}", score))
    return out


def _score(name: str, names: tuple[str, ...]) -> float:
    words = set(name.split())
    best = 0.0
    for candidate in names:
        if name == candidate:
            return 1.0
        if set(candidate.split()) <= words and len(candidate) > 2:
            best = max(best, 0.85 + 0.1 * len(candidate) / max(len(name), 1))
        # a near spelling counts for less than the words themselves: "importador oea" is not
        # "exportador oea", though only two letters differ
        best = max(best, 0.9 * difflib.SequenceMatcher(None, name, candidate).ratio())
    return best


def _has_word(name: str, words: tuple[str, ...]) -> bool:
    return bool(set(name.split()) & set(words))


def _without(name: str, words: tuple[str, ...]) -> str:
    return " ".join(w for w in name.split() if w not in words)


def _value_map(
    column: Column, scenario: Scenario | None, comments: dict[str, str]
) -> dict[str, str]:
    target = column.proposed
    if column.distinct > MANY_VALUES:
        comments[f"values.{target}"] = f"{column.distinct} distinct values: map them by hand"
        return {}
    allowed = {fold(v): v for v in CATEGORIES.get(target, ())}
    words = VALUE_WORDS.get(target, {})
    ports = _ports(scenario)
    out = {}
    for value, _count in column.top:
        key = fold(value)
        if key in allowed:
            continue
        found = next((mine for mine, names in words.items() if key in names), None)
        if target == "port":
            found = _port_for(value, ports, len(column.top))
        if found is None:
            found = TODO
            comments[f"values.{target}.{value}"] = _todo_hint(target)
        note = NOTES.get((target, key))
        if note:
            comments[f"values.{target}.{value}"] = note
        out[value] = found
    return out


def _ports(scenario: Scenario | None) -> list[str]:
    return [] if scenario is None else [name for _, name, _ in scenario.ports]


def _port_for(value: str, ports: list[str], values: int) -> str | None:
    if not ports:
        return None
    if fold(value) in {fold(p) for p in ports}:
        return next(p for p in ports if fold(p) == fold(value))
    close = difflib.get_close_matches(fold(value), ports, n=1, cutoff=0.7)
    if close:
        return close[0]
    return ports[0] if len(ports) == 1 and values == 1 else None


def _todo_hint(target: str) -> str:
    if target == "port":
        return "TODO: the template's name of this port"
    if target in ("origin", "country"):
        return "TODO: an ISO 3166 alpha-3 code" + (" or OTHER" if target == "origin" else "")
    return f"TODO: one of {', '.join(CATEGORIES[target])}"


def _derive(
    columns: list[Column],
    mapped: dict[str, str],
    scenario: Scenario | None,
    comments: dict[str, str],
) -> dict[str, object]:
    derive: dict[str, object] = {}
    if "country" not in mapped:
        countries = sorted({code for code, _, _ in scenario.ports}) if scenario else []
        derive["country"] = {"value": countries[0] if len(countries) == 1 else TODO}
        if len(countries) != 1:
            comments["derive.country"] = "TODO: the country's ISO 3166 alpha-3 code (PER, BRA)"
    if "port" not in mapped:
        ports = _ports(scenario)
        derive["port"] = {"value": ports[0] if len(ports) == 1 else TODO}
        if len(ports) != 1:
            comments["derive.port"] = "TODO: the template's name of the port"
    if "group" not in mapped:
        rules = _group_rules(columns)
        if rules:
            derive["group"] = {"rules": rules, "default": "standard"}
            comments["derive.group"] = (
                "national AEO first: where both hold, the model counts the importer's status"
            )
            for i, rule in enumerate(rules):
                if rule["then"] != TODO:
                    continue
                comments[f"derive.group.rules.{i + 1}"] = (
                    "TODO: recognised_aeo if the flag says the declaration claimed the "
                    "arrangement for a partner's AEO (else standard)"
                )
    return derive


def _group_rules(columns: list[Column]) -> list[dict[str, object]]:
    rules: list[dict[str, object]] = []
    for flags, group in ((AEO_FLAGS, "national_aeo"), (MRA_FLAGS, "recognised_aeo")):
        for column in columns:
            free = column.kind == "flag" and column.proposed in ("", "claimed", "eligible")
            if free and _score(fold(column.name), flags) >= MATCH:
                yes = [v for v, _ in column.top if fold(v) in YES]
                then = group if group == "national_aeo" else TODO  # what a claim flag means varies
                rules.append({"when": {column.name: yes or ["S"]}, "then": then})
                label = "+ group rule" if column.proposed else "group rule"
                column.proposed = f"{column.proposed} {label}".strip()
                break
    return rules


def _slashed(table: Table, mapped: dict[str, str]) -> bool:
    """Whether the arrival column holds slashed dates, day-first (no value shows otherwise)."""
    name = mapped.get("arrival")
    if name is None:
        return False
    values = table.frame[name].dropna().astype(str).head(SAMPLE_ROWS)
    parts = values.str.extract(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-]\d{2,4}").dropna()
    if len(parts) * 2 <= len(values):
        return False
    return not (parts[1].astype(int) > 12).any()


# --- the draft file ----------------------------------------------------------------------


def draft_text(inspection: Inspection, command: str) -> str:
    """The draft as a commented YAML file (every name quoted: headers hold ':' and '#')."""
    lines = [
        f"# mrasim mapping for {inspection.source}, drafted by `{command}`.",
        "# Check it, replace every TODO, then pass it to calibrate or trs with --mapping.",
        "# Keys: docs/records.md (the mapping file).",
    ]
    comments = inspection.comments
    for key, value in inspection.draft.items():
        if isinstance(value, dict):
            lines.append(f"{key}:")
            lines += _block(value, 1, key, comments)
        else:
            lines.append(f"{key}: {_q(value)}")
    return "\n".join(lines) + "\n"


def _block(data: dict, depth: int, path: str, comments: dict[str, str]) -> list[str]:
    pad = "  " * depth
    out = []
    for key, value in data.items():
        where = f"{path}.{key}"
        note = f"  # {comments[where]}" if where in comments else ""
        if isinstance(value, dict) and _flat(value):
            inline = ", ".join(f"{_q(k)}: {_inline(v)}" for k, v in value.items())
            out.append(f"{pad}{_q(key)}: {{{inline}}}{note}")
        elif isinstance(value, dict):
            out.append(f"{pad}{_q(key)}:{note}")
            out += _block(value, depth + 1, where, comments)
        elif isinstance(value, list):
            out.append(f"{pad}{_q(key)}:{note}")
            for i, item in enumerate(value):
                said = comments.get(f"{where}.{i + 1}")
                out.append(f"{pad}  - {_inline(item)}" + (f"  # {said}" if said else ""))
        else:
            out.append(f"{pad}{_q(key)}: {_q(value)}{note}")
    return out


def _flat(value: dict) -> bool:
    return all(not isinstance(v, dict | list) for v in value.values()) and len(value) <= 2


def _inline(value: object) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_q(k)}: {_inline(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_inline(v) for v in value) + "]"
    return _q(value)


def _q(value: object) -> str:
    return json.dumps(str(value), ensure_ascii=False)


def draft_mapping(inspection: Inspection) -> Mapping | None:
    """The draft as a mapping, or None while it has a TODO."""
    if TODO in json.dumps(inspection.draft):
        return None
    try:
        return mapping_from_dict(json.loads(json.dumps(inspection.draft)), "(draft)")
    except InputError:
        return None


# --- what the file supports --------------------------------------------------------------


def support(path: Path, mapping: Mapping, scenario: Scenario | None) -> list[str]:
    """What the records, read through ``mapping``, can and cannot inform."""
    from sim.records.read import read_records

    records = read_records(path, scenario, mapping)
    used = _("rows: {used} usable of {read}").format(
        used=decimal(records.rows_used, 0), read=decimal(records.rows_read, 0)
    )
    for why, n in records.excluded.items():
        used = _("{rows}; {count} {reason}").format(rows=used, count=decimal(n, 0), reason=_(why))
    lines = [
        used,
        _("period: {days} days of arrivals ({clock})").format(
            days=decimal(records.span_days, 1), clock=records.clock
        ),
    ]
    lines.append(_("measured: {stages}").format(stages=", ".join(_measured(records))))
    missing = _unmeasured(records)
    if missing:
        lines.append(_("not measured: {stages}").format(stages=", ".join(missing)))
    for country, port in records.ports():
        rows = records.port(country, port)
        span = (rows.arrival.max() - rows.arrival.min()) / 24
        if len(rows) >= MIN_ROWS:
            line = _("port {port}: {rows} rows over {days} days")
        else:
            line = _("port {port}: {rows} rows over {days} days: too few to fit (under {least})")
        said = line.format(
            port=f"{country}/{port}",
            rows=decimal(len(rows), 0),
            days=decimal(span, 1),
            least=MIN_ROWS,
        )
        lines.append(said)
    if scenario is not None:
        warm = max(1.0, *compile_plan(scenario).warmup_days().values())
        if records.span_days < warm + 3:
            lines.append(
                _(
                    "the template's queues warm up for {warm:g} days: stations without start "
                    "times need records beyond that (these cover {days}); give more days, or "
                    "lower warmup_days in the template"
                ).format(warm=warm, days=decimal(records.span_days, 1))
            )
    return lines


def _measured(records) -> list[str]:
    present = records.present
    out = [_("arrival to release (the total)")]
    if "unloaded" in present:
        out.append(_("unloading"))
    if "lodgement" in present:
        out.append(_("lodgement (and pre-arrival lodgement)"))
    for station in records.stations:
        start, end = f"{station}_start" in present, f"{station}_end" in present
        if start and end:
            out.append(_("{station} (start and end: waiting and service)").format(station=station))
        elif end:
            out.append(
                _("{station} (end only: servers and service by reconstruction)").format(
                    station=station
                )
            )
    return out


def _unmeasured(records) -> list[str]:
    present = records.present
    out = [m for m in ("unloaded", "lodgement") if m not in present]
    out += [
        _("{station} (no end time)").format(station=s)
        for s in records.stations
        if f"{s}_end" not in present
    ]
    return out


def inspection_text(inspection: Inspection, width: int = 100) -> str:
    head = _("{source}: {rows} rows, {columns} columns").format(
        source=inspection.source,
        rows=decimal(inspection.rows, 0),
        columns=len(inspection.columns),
    )
    # how the file was read, beside the head, or under it when the line would be too long
    line = f"{head} ({inspection.how})"
    lines = [line, ""] if len(line) <= width else [head, f"  ({inspection.how})", ""]
    rows = [
        (
            c.name[:24],
            _said_kind(c.kind),
            f"{c.filled:.0%}",
            _examples(c, 26),
            c.proposed or "-",
        )
        for c in inspection.columns
    ]
    header = (
        pgettext("table header", "column"),
        pgettext("table header", "kind"),
        pgettext("table header", "filled"),
        pgettext("table header", "examples (count)"),
        pgettext("table header", "proposed"),
    )
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines)


def _said_kind(kind: str) -> str:
    """A column's kind as the profile says it (the kinds are the program's words)."""
    said = {
        "empty": pgettext("column kind", "empty"),
        "date": pgettext("column kind", "date"),
        "flag": pgettext("column kind", "flag"),
        "number": pgettext("column kind", "number"),
        "text": pgettext("column kind", "text"),
    }
    return said.get(kind, kind)


def _examples(column: Column, room: int) -> str:
    if not column.top:
        return ""
    if column.distinct > MANY_VALUES or column.kind in ("date", "number"):
        text = ", ".join(v for v, _ in column.top[:3])
    else:
        text = ", ".join(f"{v} ({decimal(n, 0)})" for v, n in column.top[:4])
    return text if len(text) <= room else text[: room - 3] + "..."
