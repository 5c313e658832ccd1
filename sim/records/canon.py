"""From the file's columns to mrasim's: the mapping's ``columns``, ``derive`` and ``values``
applied, in that order.

Names are matched as written, then ignoring case, accents and spacing (an export's
``FECHA  LLEGADA`` is the mapping's ``Fecha Llegada``). Values are matched ignoring case
and surrounding spaces. A column the file already names as mrasim does needs no mapping, and
a value that is already mrasim's (``green``, ``PER``) needs no entry in a value map; any
other value of a mapped column must be in its map, or the mapping is refused with the
values left over and their counts.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from sim.errors import InputError
from sim.language import _, ngettext
from sim.language.formats import decimal
from sim.records.columns import CATEGORIES, FLAGS, NO, YES, is_record_column
from sim.records.mapping import Derive, Mapping
from sim.records.table import Table

UNMAPPED_SHOWN = 6


def fold(text: object) -> str:
    """A name or value compared as people read it: no accents, case or extra spaces."""
    plain = unicodedata.normalize("NFKD", str(text))
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return " ".join(plain.casefold().replace("º", "o").replace("°", "o").split())


def to_records(table: Table, mapping: Mapping) -> pd.DataFrame:
    """The file's rows under mrasim's column names (cells as read; values mapped)."""
    raw = table.frame
    where = _columns_of(raw)
    frame = pd.DataFrame(index=raw.index)
    renamed = set()
    for source, target in mapping.columns.items():
        found = where.get(source) or where.get(fold(source))
        if found is None:
            raise InputError(
                mapping.source or "--mapping",
                f"columns.{source}",
                _("no such column in {source}{hint}").format(
                    source=table.source, hint=_suggest(source, table.names)
                ),
            )
        frame[target] = raw[found]
        renamed.add(found)
    for name in raw.columns:
        free = name not in frame.columns and name not in mapping.derive and name not in renamed
        if is_record_column(name) and free:
            frame[name] = raw[name]
    for target, rule in mapping.derive.items():
        frame[target] = _derive(rule, raw, frame, where, mapping, f"derive.{target}", table)
    for column in frame.columns:
        if column in CATEGORIES or column == "port":
            frame[column] = _values(frame[column], column, mapping, table.source)
    return frame


def used_by(mapping: Mapping) -> Callable[[str], bool]:
    """Whether the mapping reads a column of the file (by name, folded), or mrasim would
    read it as it is: what is worth reading of a wide export."""
    names = {fold(n) for n in mapping.columns}
    for rule in mapping.derive.values():
        names |= {fold(n) for n in rule.join or ()}
        names |= {fold(n) for case in rule.rules or () for n in case.when}
    return lambda name: fold(name) in names or is_record_column(name) or name in names


def _columns_of(raw: pd.DataFrame) -> dict[str, str]:
    where: dict[str, str] = {}
    for name in raw.columns:
        where.setdefault(fold(name), name)
    where.update({name: name for name in raw.columns})
    return where


def _suggest(name: str, options: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(fold(name), [fold(o) for o in options], n=1, cutoff=0.6)
    if close:
        match = next(o for o in options if fold(o) == close[0])
        return _("; did you mean {name!r}?").format(name=match)
    shown = ", ".join(repr(o) for o in options[:12])
    return f"; its columns: {shown}{', ...' if len(options) > 12 else ''}"


# --- derived columns ----------------------------------------------------------------------


def _derive(
    rule: Derive,
    raw: pd.DataFrame,
    frame: pd.DataFrame,
    where: dict[str, str],
    mapping: Mapping,
    key: str,
    table: Table,
) -> pd.Series:
    def column(name: str, at: str) -> pd.Series:
        if name in frame.columns:
            return frame[name]
        found = where.get(name) or where.get(fold(name))
        if found is None:
            raise InputError(
                mapping.source or "--mapping",
                at,
                _("no column {name!r} in {source}{hint}").format(
                    name=name, source=table.source, hint=_suggest(name, table.names)
                ),
            )
        return raw[found]

    if rule.value is not None:
        return pd.Series(rule.value, index=raw.index, dtype=object)
    if rule.join is not None:
        parts = [_text(column(name, f"{key}.join")) for name in rule.join]
        joined = parts[0]
        for part in parts[1:]:
            joined = joined + " " + part
        return joined.astype(object).where(joined.notna(), None)
    out = pd.Series(rule.default, index=raw.index, dtype=object)
    decided = np.zeros(len(raw), dtype=bool)
    for i, case in enumerate(rule.rules or []):
        match = ~decided
        for name, accepted in case.when.items():
            cells = _text(column(name, f"{key}.rules.{i + 1}.when.{name}"))
            match &= _folded_in(cells, {fold(a) for a in accepted})
        out[match] = case.then
        decided |= match
    return out


def _folded_in(cells: pd.Series, accepted: set[str]) -> np.ndarray:
    """Which cells, folded, are among ``accepted`` (each distinct cell folded once)."""
    codes, uniques = pd.factorize(cells)
    hit = np.array([fold(u) in accepted for u in uniques] + [False], dtype=bool)
    return hit[codes]


def _text(values: pd.Series) -> pd.Series:
    """Cells as text (a workbook's whole numbers without '.0'), missing kept missing."""
    if values.dtype == object:  # each distinct cell turned to text once
        codes, uniques = pd.factorize(values)
        texts = np.array([*(_cell_text(u) for u in uniques), None], dtype=object)
        values = pd.Series(texts[codes], index=values.index, dtype=object)
    return values.astype("string").str.strip()


def _cell_text(value: object) -> object:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --- value maps ---------------------------------------------------------------------------


def _values(values: pd.Series, column: str, mapping: Mapping, source: str) -> pd.Series:
    """A category column with its value map applied and its spelling normalised."""
    given = mapping.values.get(column)
    folded_map = {fold(k): v for k, v in (given or {}).items()}
    canonical = _canonical(column)
    canonical.update({fold(t): t for t in folded_map.values() if t is not None})
    codes, uniques = pd.factorize(_text(values), use_na_sentinel=True)
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    out: list[object] = []
    unmapped: dict[str, int] = {}
    for code, count in zip(uniques, counts, strict=True):
        key = fold(code)
        if code == "":
            out.append(None)
        elif key in folded_map:
            out.append(code if folded_map[key] is None else folded_map[key])
        elif key in canonical:
            out.append(canonical[key])
        else:
            out.append(code)
            if given is not None:
                unmapped[str(code)] = int(count)
    if unmapped:
        raise InputError(
            mapping.source or "--mapping", f"values.{column}", _unmapped(unmapped, source)
        )
    mapped = np.array([*out, None], dtype=object)[codes]  # code -1 (missing) takes the None
    return pd.Series(mapped, index=values.index, dtype=object)


def _canonical(column: str) -> dict[str, str]:
    """mrasim's own values of a column (and yes/no words for flags), folded -> as written."""
    if column in FLAGS:
        return {**{w: "true" for w in YES}, **{w: "false" for w in NO if w}}
    allowed: Iterable[str] = CATEGORIES.get(column, ())
    return {fold(v): v for v in allowed}


def _unmapped(counts: dict[str, int], source: str) -> str:
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    shown = ", ".join(f"{value!r} ({decimal(n, 0)})" for value, n in ranked[:UNMAPPED_SHOWN])
    if len(ranked) > UNMAPPED_SHOWN:
        shown = _("{shown} and {more} more").format(shown=shown, more=len(ranked) - UNMAPPED_SHOWN)
    return ngettext(
        "{count} value of {source} not in the map: {shown}; add each (or map it to ~ to exclude "
        "its rows)",
        "{count} values of {source} not in the map: {shown}; add each (or map it to ~ to "
        "exclude their rows)",
        len(ranked),
    ).format(count=len(ranked), source=source, shown=shown)
