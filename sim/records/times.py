"""Times as exports write them, put on the scenario's clock (hours from Monday 00:00 local).

A time column holds one of:

- **hours** on the scenario clock already (what ``mrasim run --records`` writes);
- **Excel serial days** (45362.5 is 2024-03-10 12:00), where a spreadsheet's date cells lost
  their format: numbers between 20,000 and 80,000 (1954 to 2119) are read so unless the
  mapping says ``numeric_times: hours``;
- **timestamps**: ISO 8601 (with or without a UTC offset), day-first or month-first dates
  (``07/12/2026 14:05``: day-first unless a value shows otherwise, or as the mapping's
  ``dayfirst`` or ``date_format`` says), or a workbook's date cells.

Timestamps are put on the local clock the scenario's calendars assume: with the mapping's
``timezone``, an instant (with an offset) is converted to that zone's local time and a naive
time is local there already; without it, instants are read at the offset most of the file's
offsets give. Hour 0 is Monday 00:00 of the week of the first arrival. A time more than two
years from the median arrival (a year-9999 placeholder, a 1900 default) is implausible, and
its row is excluded rather than stretching the period the records cover.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.errors import InputError
from sim.language import _
from sim.records.mapping import Mapping

EXCEL_DAYS = (20_000.0, 80_000.0)
EXCEL_EPOCH = np.datetime64("1899-12-30T00:00:00", "us")
PLAUSIBLE_H = 2 * 366 * 24.0
"""Times further than this from the median arrival are implausible."""
_CLOCK = r"[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*"
_OFFSET = re.compile(_CLOCK + r"(Z|[+-]\d{2}(?::?\d{2})?)$")
"""A UTC offset after a time of day (so that a date's "-11" is not read as one)."""
_HAS_OFFSET = re.compile(_CLOCK + r"(?:Z|[+-]\d{2}(?::?\d{2})?)$")
_SLASHED = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})\b")
_TIMES = ("%H:%M:%S", "%H:%M", "%H:%M:%S.%f", "%I:%M:%S %p", "%I:%M %p", "")
ONE_HOUR = np.timedelta64(3600_000_000, "us")
KIND_SAMPLE = 50_000
"""Given cells of each column that decide what it holds (hours, serial days, timestamps)."""
OFFSET_SAMPLE = 200_000
"""Cells of each column whose UTC offsets are counted to find the usual one."""


@dataclass(frozen=True)
class Clock:
    """Every time column in hours, which rows had a time that could not be read or is
    implausible, and how the times were read (in words)."""

    hours: dict[str, np.ndarray]
    unparseable: np.ndarray
    implausible: np.ndarray
    words: str
    monday: pd.Timestamp | None  # hour 0, when the times were timestamps


def read_times(columns: dict[str, pd.Series], mapping: Mapping, source: str) -> Clock:
    """Every time column on the scenario clock (see the module docstring)."""
    n = len(next(iter(columns.values()))) if columns else 0
    kinds = {name: _kind(values, mapping) for name, values in columns.items()}
    given = {name: _given(values).to_numpy() for name, values in columns.items()}
    if "hours" in kinds.values() and {"timestamps", "excel_days"} & set(kinds.values()):
        hours = next(c for c, k in kinds.items() if k == "hours")
        other = next(c for c, k in kinds.items() if k != "hours" and k != "empty")
        raise InputError(
            source,
            f"column {hours}",
            _(
                "holds hours while {other} holds dates; give every time the same way (or set "
                "numeric_times: excel_days in the mapping)"
            ).format(other=other),
        )
    if set(kinds.values()) <= {"hours", "empty"}:
        as_hours = {c: numbers(v) for c, v in columns.items()}
        return _finish(as_hours, given, n, "hours from Monday 00:00 local time, as given", None)
    local, words = _local(columns, kinds, mapping, source)
    arrival = local.get("arrival")
    if arrival is None or np.isnat(arrival).all():
        nan = {c: np.full(n, np.nan) for c in columns}
        return _finish(nan, given, n, words, None)
    first = _first_plausible(arrival)
    monday = first.normalize() - pd.Timedelta(days=first.weekday())
    origin = monday.to_datetime64().astype("datetime64[us]")
    on_clock = {c: (v - origin) / ONE_HOUR for c, v in local.items()}
    return _finish(on_clock, given, n, f"{words}; hour 0 = Monday {monday:%Y-%m-%d} 00:00", monday)


def _finish(
    hours: dict[str, np.ndarray],
    given: dict[str, np.ndarray],
    n: int,
    words: str,
    monday: pd.Timestamp | None,
) -> Clock:
    unparseable = np.zeros(n, dtype=bool)
    for name, values in hours.items():
        unparseable |= ~np.isfinite(values) & given[name]
    implausible = np.zeros(n, dtype=bool)
    arrival = hours.get("arrival")
    if arrival is not None and np.isfinite(arrival).any():
        centre = float(np.nanmedian(np.where(np.isfinite(arrival), arrival, np.nan)))
        for values in hours.values():
            with np.errstate(invalid="ignore"):
                implausible |= np.isfinite(values) & (np.abs(values - centre) > PLAUSIBLE_H)
    cleaned = {c: np.where(np.isfinite(v), v, np.nan).astype(float) for c, v in hours.items()}
    return Clock(cleaned, unparseable, implausible & ~unparseable, words, monday)


def _first_plausible(arrival: np.ndarray) -> pd.Timestamp:
    """The earliest arrival within two years of the median (outliers aside)."""
    valid = arrival[~np.isnat(arrival)]
    as_hours = (valid - valid.min()) / ONE_HOUR
    centre = np.median(as_hours)
    plausible = valid[np.abs(as_hours - centre) <= PLAUSIBLE_H]
    return pd.Timestamp(plausible.min())


# --- what a column holds ------------------------------------------------------------------


def _given(values: pd.Series) -> pd.Series:
    if values.dtype == object:
        return values.map(lambda v: v is not None and v == v and str(v).strip() != "").astype(bool)
    if pd.api.types.is_string_dtype(values):
        return values.notna() & (values.str.strip() != "")
    return values.notna()


def _kind(values: pd.Series, mapping: Mapping) -> str:
    """'hours', 'excel_days', 'timestamps' or 'empty': what most given cells of a column are."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return "timestamps"
    values = values[_given(values).to_numpy()].head(KIND_SAMPLE)
    as_numbers = numbers(values)
    given = len(values)
    if given == 0:
        return "empty"
    finite = as_numbers[np.isfinite(as_numbers)]
    if values.dtype == object:
        dated = values.map(
            lambda v: isinstance(v, pd.Timestamp | np.datetime64) or hasattr(v, "isoformat")
        ).sum()
        if dated * 2 > given:
            return "timestamps"
    if np.isfinite(as_numbers).sum() * 2 <= given and (~np.isnan(as_numbers)).sum() * 2 <= given:
        return "timestamps"
    if mapping.numeric_times is not None:
        return mapping.numeric_times
    low, high = EXCEL_DAYS
    looks_excel = finite.size and low <= np.min(finite) and np.max(finite) <= high
    return "excel_days" if looks_excel else "hours"


def numbers(values: pd.Series) -> np.ndarray:
    """Cells as numbers (NaN where not a number; a decimal comma read as a point)."""
    if pd.api.types.is_bool_dtype(values):
        return np.full(len(values), np.nan)
    if pd.api.types.is_numeric_dtype(values):
        return values.to_numpy(dtype=float, na_value=np.nan)
    if values.dtype == object:
        values = values.map(
            lambda v: v if isinstance(v, int | float | str) and not isinstance(v, bool) else None
        )
    text = values.astype("string").str.strip()
    text = text.where(~text.str.fullmatch(r"-?\d+,\d+", na=False), text.str.replace(",", "."))
    with np.errstate(all="ignore"):
        return pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


# --- timestamps ---------------------------------------------------------------------------


def _local(
    columns: dict[str, pd.Series], kinds: dict[str, str], mapping: Mapping, source: str
) -> tuple[dict[str, np.ndarray], str]:
    """Naive local datetimes (microseconds) per column, and how they were read."""
    zone = mapping.timezone
    found = [_offsets(v) for c, v in columns.items() if kinds[c] == "timestamps"]
    offsets = pd.concat(found) if found else pd.Series(dtype=np.int64)
    usual = int(offsets.value_counts().index[0]) if len(offsets) else None
    order = _order(columns, kinds, mapping, source)
    out = {}
    for name, values in columns.items():
        out[name] = _column(values, kinds[name], order, zone, usual, mapping, f"{source}: {name}")
    words = []
    if "excel_days" in kinds.values():
        words.append("numbers read as Excel serial days")
    if "timestamps" in kinds.values():
        if mapping.date_format:
            words.append(f"dates read as {mapping.date_format}")
        elif order is not None:
            words.append(f"dates read {order}")
        if zone is not None:
            words.append(f"local time in {zone}")
        elif usual is not None:
            words.append(
                f"timestamps read in local time UTC{_offset_text(usual)} (their usual offset)"
            )
        else:
            words.append("naive timestamps read as local time")
    return out, "; ".join(words)


def _order(
    columns: dict[str, pd.Series], kinds: dict[str, str], mapping: Mapping, source: str
) -> str | None:
    """'day-first' or 'month-first' for slashed dates (None when there are none): as the
    mapping says, else as the values show (a first number over 12 is a day), else day-first."""
    first_big = second_big = False
    slashed = False
    for name, values in columns.items():
        if kinds[name] != "timestamps" or pd.api.types.is_datetime64_any_dtype(values):
            continue
        text = values.dropna().astype(str).head(20_000)
        parts = text.str.extract(_SLASHED).dropna()
        if len(parts) * 2 <= len(text):  # most are not slashed dates: ISO 8601, say
            continue
        slashed = True
        first_big |= bool((parts[0].astype(int) > 12).any())
        second_big |= bool((parts[1].astype(int) > 12).any())
    if not slashed:
        return None
    if mapping.dayfirst is not None:
        return "day-first" if mapping.dayfirst else "month-first"
    if first_big and second_big:
        raise InputError(
            source,
            "dayfirst",
            _(
                "dates are day-first in some rows and month-first in others; give date_format "
                "in the mapping"
            ),
        )
    return "month-first" if second_big else "day-first"


def _column(
    values: pd.Series,
    kind: str,
    order: str | None,
    zone: str | None,
    usual: int | None,
    mapping: Mapping,
    where: str,
) -> np.ndarray:
    if kind == "empty":
        return np.full(len(values), np.datetime64("NaT"), dtype="datetime64[us]")
    if kind == "excel_days":
        return _excel(numbers(values))
    if pd.api.types.is_datetime64_any_dtype(values):
        return _aware_to_local(values, zone, usual)
    if values.dtype == object:  # a workbook's column: dates, numbers (serial days) and text
        return _mixed(values, order, zone, usual, mapping)
    return _text(values.astype("string"), order, zone, usual, mapping)


def _excel(days: np.ndarray) -> np.ndarray:
    ok = np.isfinite(days) & (days > 0) & (days < 2_958_466)  # up to 9999-12-31
    micro = np.where(ok, np.round(days * 86_400e6), 0).astype(np.int64)
    out = EXCEL_EPOCH + micro.astype("timedelta64[us]")
    out[~ok] = np.datetime64("NaT")
    return out


def _mixed(
    values: pd.Series, order: str | None, zone: str | None, usual: int | None, mapping: Mapping
) -> np.ndarray:
    out = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[us]")
    is_date = values.map(lambda v: hasattr(v, "isoformat") and not isinstance(v, str)).to_numpy(
        dtype=bool
    )
    if is_date.any():
        stamps = pd.to_datetime(values[is_date].map(_plain_datetime), errors="coerce")
        out[is_date] = _as_us(stamps)
    as_numbers = numbers(values)
    serial = ~is_date & np.isfinite(as_numbers)
    if serial.any():
        out[serial] = _excel(as_numbers[serial])
    text = ~is_date & ~serial & values.notna().to_numpy()
    if text.any():
        out[text] = _text(values[text].astype("string"), order, zone, usual, mapping)
    return out


def _plain_datetime(value: object) -> object:
    """A workbook's time of day alone (no date) is not a timestamp."""
    import datetime as dt

    if isinstance(value, dt.time | dt.timedelta):
        return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day)
    return value


def _text(
    text: pd.Series, order: str | None, zone: str | None, usual: int | None, mapping: Mapping
) -> np.ndarray:
    """Text timestamps, each distinct one parsed once (an export to the minute repeats them:
    2 million rows of a month hold some 40,000)."""
    codes, uniques = pd.factorize(text.str.strip())
    parsed = _distinct(pd.Series(uniques, dtype="string"), order, zone, usual, mapping)
    out = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[us]")
    known = codes >= 0
    out[known] = parsed[codes[known]]
    return out


def _distinct(
    text: pd.Series, order: str | None, zone: str | None, usual: int | None, mapping: Mapping
) -> np.ndarray:
    out = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[us]")
    aware = text.str.contains(_HAS_OFFSET, regex=True, na=False).to_numpy()
    naive = text.notna().to_numpy() & ~aware
    if aware.any():
        instants = pd.to_datetime(text[aware], utc=True, format="ISO8601", errors="coerce")
        out[aware] = _aware_to_local(instants, zone, usual)
    if naive.any():
        out[naive] = _naive(text[naive], order, mapping)
    return out


def _naive(text: pd.Series, order: str | None, mapping: Mapping) -> np.ndarray:
    """Naive timestamps: the mapping's format, else the format that reads most of a sample
    (ISO 8601 or a day-first or month-first one), the rest read one by one."""
    if mapping.date_format:
        return _as_us(pd.to_datetime(text, format=mapping.date_format, errors="coerce"))
    formats = ["ISO8601", *_slashed_formats(order)]
    probe = text.head(2000)
    best = max(formats, key=lambda f: _parsed(probe, f).notna().sum())
    parsed = _parsed(text, best)
    missed = parsed.isna() & text.notna()
    if missed.any() and missed.sum() <= 0.2 * len(text):
        dayfirst = order != "month-first"
        for fmt in formats:
            if not missed.any():
                break
            again = _parsed(text[missed], fmt)
            parsed[missed] = again
            missed = parsed.isna() & text.notna()
        if missed.any():
            parsed[missed] = _parsed(text[missed], "mixed", dayfirst)
    return _as_us(parsed)


def _slashed_formats(order: str | None) -> list[str]:
    if order is None:
        return []
    date = "%d/%m" if order == "day-first" else "%m/%d"
    out = []
    for sep in ("/", "-", "."):
        for year in ("%Y", "%y"):
            stem = date.replace("/", sep) + sep + year
            out += [f"{stem} {clock}".strip() for clock in _TIMES]
    return out


def _parsed(text: pd.Series, fmt: str, dayfirst: bool = False) -> pd.Series:
    try:
        if fmt == "mixed":
            parsed = pd.to_datetime(text, format="mixed", dayfirst=dayfirst, errors="coerce")
        else:
            parsed = pd.to_datetime(text, format=fmt, errors="coerce")
    except (ValueError, OverflowError, TypeError):
        return pd.Series(pd.NaT, index=text.index, dtype="datetime64[us]")
    if getattr(parsed.dt, "tz", None) is not None:  # "mixed" found an offset: not naive
        parsed = parsed.dt.tz_localize(None)
    return parsed.astype("datetime64[us]")


def _as_us(values: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    series = pd.Series(values)
    if getattr(series.dt, "tz", None) is not None:
        series = series.dt.tz_localize(None)
    return series.astype("datetime64[us]").to_numpy()


def _aware_to_local(values: pd.Series, zone: str | None, usual: int | None) -> np.ndarray:
    """Instants (or naive datetimes, kept) as naive local times in the zone or usual offset."""
    values = pd.Series(values).astype(values.dtype)
    if getattr(values.dt, "tz", None) is None:
        return _as_us(values)
    if zone is not None:
        local = values.dt.tz_convert(_tzinfo(zone)).dt.tz_localize(None)
        return _as_us(local)
    utc = values.dt.tz_convert("UTC").dt.tz_localize(None)
    return _as_us(utc) + np.timedelta64((usual or 0) * 60_000_000, "us")


def _tzinfo(zone: str) -> object:
    import datetime as dt

    fixed = re.fullmatch(r"UTC([+-])(\d{2}):(\d{2})", zone)
    if fixed:
        sign = -1 if fixed[1] == "-" else 1
        return dt.timezone(sign * dt.timedelta(hours=int(fixed[2]), minutes=int(fixed[3])))
    return zone


def _offsets(values: pd.Series) -> pd.Series:
    """The UTC offsets (minutes) of a column's cells that carry one."""
    if pd.api.types.is_datetime64_any_dtype(values):
        if getattr(values.dt, "tz", None) is None:
            return pd.Series(dtype=np.int64)
        return values.dropna().map(lambda t: int(t.utcoffset().total_seconds() // 60))
    text = pd.Series(pd.unique(values.dropna().head(OFFSET_SAMPLE)), dtype=object)
    text = text[text.map(lambda v: isinstance(v, str))].astype("string").str.strip()
    found = text.str.extract(_OFFSET, expand=False).dropna()
    return found.map(_offset_minutes).astype(np.int64)


def _offset_minutes(text: str) -> int:
    if text == "Z":
        return 0
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return sign * (int(digits[:2]) * 60 + (int(digits[2:4]) if len(digits) >= 4 else 0))


def _offset_text(minutes: int) -> str:
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
