"""Record files in: clearance records read, put on the scenario's clock, and checked row by row.

A record file has one row per declaration, with the columns ``mrasim run --records``
writes (see :mod:`sim.records`); only ``country, port, group, channel, arrival,
release`` are required. Times are numbers of hours (hour 0 = Monday 00:00 local time,
as the scenario's calendars assume) or ISO 8601 timestamps. Timestamps are put on the
scenario's clock: a timestamp with a UTC offset is an instant, read in the local
time that most of the file's offsets give; a naive one is local time already; hour
0 is Monday 00:00 of the week of the earliest arrival.

Real data is incomplete and sometimes wrong. A row that cannot be used is excluded
and counted under the *first* reason it fails, in the order of :data:`REASONS`;
nothing is dropped silently. A whole file that cannot be read, or leaves no usable
row, is bad input (one line, exit status 2).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.errors import InputError
from sim.model.iso3166 import ALPHA3, OTHER
from sim.model.schema import Port, Scenario
from sim.model.vocabulary import CHANNELS, GROUPS

REQUIRED = ("country", "port", "group", "channel", "arrival", "release")
MILESTONES = ("arrival", "unloaded", "lodgement", "release")
"""Time columns common to every port; stations add ``<station>_start`` and ``<station>_end``."""

MISSING = "missing country, port, group, channel, arrival or release"
UNPARSEABLE = "unparseable time"
UNKNOWN_GROUP = "unknown trader group"
UNKNOWN_CHANNEL = "unknown channel"
UNKNOWN_ORIGIN = "origin not an ISO 3166 alpha-3 code or OTHER"
UNKNOWN_PORT = "port not in the template"
DUPLICATE = "duplicate declaration id"
RELEASE_FIRST = "release before arrival"
OFF_ROUTE = "times at a station off its channel's route"
NO_STATION_TIME = "no end time at a station of its channel's route"
END_FIRST = "a station's end before its start"
OUT_OF_ORDER = "times out of order (unloading, lodgement or a check outside arrival to release)"
REASONS = (
    MISSING,
    UNPARSEABLE,
    UNKNOWN_GROUP,
    UNKNOWN_CHANNEL,
    UNKNOWN_ORIGIN,
    UNKNOWN_PORT,
    DUPLICATE,
    RELEASE_FIRST,
    OFF_ROUTE,
    NO_STATION_TIME,
    END_FIRST,
    OUT_OF_ORDER,
)
"""Why a row is excluded, in the order rows are checked (a row counts under its first)."""

SUFFIXES = (".csv", ".csv.gz", ".parquet", ".pq")
_CLOCK = r"[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*"
_OFFSET = re.compile(_CLOCK + r"(Z|[+-]\d{2}(?::?\d{2})?)$")
"""A UTC offset after a time of day (so that a date's "-11" is not read as one)."""
_HAS_OFFSET = re.compile(_CLOCK + r"(?:Z|[+-]\d{2}(?::?\d{2})?)$")


@dataclass(frozen=True)
class Records:
    """The usable rows of a record file, on the scenario's clock.

    ``frame`` has the columns ``replication, country, port, group, channel, origin``
    and every time column of :data:`MILESTONES` and of the template's stations, in
    hours (NaN where the file has no such column or the shipment no such time).
    ``present`` names the time columns the file has.
    """

    source: str
    sha256: str
    frame: pd.DataFrame
    quality: pd.DataFrame  # reason, rows: every reason, then used and read
    rows_read: int
    present: frozenset[str]
    clock: str  # how times were read, in words
    days: tuple[float, float]  # the period covered, whole days on the scenario clock
    notes: tuple[str, ...] = field(default=())

    @property
    def rows_used(self) -> int:
        return len(self.frame)

    @property
    def excluded(self) -> dict[str, int]:
        """Rows excluded, by reason (only reasons that occurred)."""
        rows = self.quality[self.quality.reason.isin(REASONS)]
        return {r: int(n) for r, n in zip(rows.reason, rows.rows, strict=True) if n}

    @property
    def replications(self) -> int:
        return int(self.frame.replication.nunique())

    def ports(self) -> list[tuple[str, str]]:
        """(country, port) of every port with usable rows, in file order."""
        keys = self.frame[["country", "port"]].drop_duplicates()
        return list(keys.itertuples(index=False, name=None))

    def port(self, country: str, name: str) -> pd.DataFrame:
        frame = self.frame
        return frame[(frame.country == country) & (frame.port == name)].reset_index(drop=True)

    def split(self, holdout: float) -> tuple[Records, Records]:
        """(fit, holdout): rows arriving in the first 1 - holdout of the period, and the rest.

        The cut falls on a whole day, so that both parts cover whole days.
        """
        first, last = self.days
        cut = first + max(1.0, round((1 - holdout) * (last - first)))
        if cut >= last:
            raise InputError("--holdout", "", f"{holdout:g} of {last - first:g} days is no day")
        early = self.frame.arrival < 24 * cut
        return (
            _part(self, self.frame[early], (first, cut)),
            _part(self, self.frame[~early], (cut, last)),
        )


def _part(records: Records, frame: pd.DataFrame, days: tuple[float, float]) -> Records:
    return Records(
        records.source,
        records.sha256,
        frame.reset_index(drop=True),
        records.quality,
        records.rows_read,
        records.present,
        records.clock,
        days,
        records.notes,
    )


def read_records(path: Path, scenario: Scenario) -> Records:
    """Read, align and check a record file against the template scenario."""
    source = str(path)
    raw = _read_table(path)
    missing = [c for c in REQUIRED if c not in raw.columns]
    if missing:
        raise InputError(
            source,
            f"column {missing[0]}",
            f"required column missing ({', '.join(missing)}); a record file needs "
            f"{', '.join(REQUIRED)} (see mrasim run --records)",
        )
    stations = sorted({s for _, _, port in scenario.ports for s in port.stations})
    time_columns = [c for c in MILESTONES if c in raw.columns] + [
        f"{s}_{end}" for s in stations for end in ("start", "end") if f"{s}_{end}" in raw.columns
    ]
    times, bad_time, clock = _parse_times(raw, time_columns, source)
    frame = _normalise(raw, times, stations)
    reason = pd.Series(pd.NA, index=frame.index, dtype=object)

    def exclude(mask: pd.Series | np.ndarray, why: str) -> None:
        reason[np.asarray(mask) & reason.isna().to_numpy()] = why

    text = frame[["country", "port", "group", "channel"]]
    absent = ~_given(raw["arrival"]) | ~_given(raw["release"])  # unparseable is not missing
    exclude(text.isna().any(axis=1) | absent, MISSING)
    exclude(bad_time, UNPARSEABLE)
    exclude(~frame.group.isin(GROUPS), UNKNOWN_GROUP)
    exclude(~frame.channel.isin(CHANNELS), UNKNOWN_CHANNEL)
    if "origin" in raw.columns:
        known = frame.origin.isin(ALPHA3) | (frame.origin == OTHER) | frame.origin.isna()
        exclude(~known, UNKNOWN_ORIGIN)
    ports = {(code, name): port for code, name, port in scenario.ports}
    unknown = [key not in ports for key in zip(frame.country, frame.port, strict=True)]
    exclude(np.array(unknown, dtype=bool), UNKNOWN_PORT)
    exclude(_duplicates(raw, frame), DUPLICATE)
    exclude(frame.release < frame.arrival, RELEASE_FIRST)
    for key, port in ports.items():
        mine = (frame.country == key[0]) & (frame.port == key[1]) & reason.isna()
        if mine.any():
            for why, mask in _station_problems(frame[mine], port, set(time_columns)):
                exclude(mine & mask.reindex(frame.index, fill_value=False), why)
    usable = frame[reason.isna()].reset_index(drop=True)
    quality = _quality(reason, len(frame))
    if usable.empty:
        counts = "; ".join(f"{n} {why}" for why, n in reason.value_counts().items())
        raise InputError(source, "", f"no usable row: {len(frame)} rows read, {counts or 'none'}")
    arrival = usable.arrival
    days = (float(np.floor(arrival.min() / 24)), float(np.floor(arrival.max() / 24) + 1))
    ignored = [c for c in raw.columns if c.endswith(("_start", "_end")) and c not in time_columns]
    notes = (f"columns of no template station, ignored: {', '.join(ignored)}",) if ignored else ()
    return Records(
        source,
        sha256_of(path),
        usable,
        quality,
        len(frame),
        frozenset(time_columns),
        clock,
        days,
        notes,
    )


# --- reading --------------------------------------------------------------------


def _read_table(path: Path) -> pd.DataFrame:
    source = str(path)
    name = path.name.lower()
    if not name.endswith(SUFFIXES):
        raise InputError(source, "", f"give a CSV or Parquet file ({', '.join(SUFFIXES)})")
    try:
        if name.endswith((".parquet", ".pq")):
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path, dtype={c: str for c in ("country", "port", "declaration_id")})
    except FileNotFoundError:
        raise InputError(source, "", "no such file") from None
    except Exception as exc:  # any parser's failure is the file's problem, said in one line
        problem = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(source, "", f"cannot read the file ({problem})") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _normalise(raw: pd.DataFrame, times: dict[str, pd.Series], stations: list[str]) -> pd.DataFrame:
    """Text columns as plain strings (missing as NA), every time column in hours (NaN if absent)."""
    frame = pd.DataFrame(index=raw.index)
    replication = raw["replication"] if "replication" in raw.columns else 0
    frame["replication"] = pd.to_numeric(replication, errors="coerce")
    frame["replication"] = frame.replication.fillna(-1).astype(np.int64)
    for column in ("country", "port", "group", "channel", "origin"):
        values = raw[column] if column in raw.columns else pd.Series(pd.NA, index=raw.index)
        text = values.astype(object).where(values.notna(), None)
        frame[column] = [
            None if v is None or str(v).strip() == "" else str(v).strip() for v in text
        ]
    for column in (*MILESTONES, *(f"{s}_{end}" for s in stations for end in ("start", "end"))):
        frame[column] = times[column].to_numpy() if column in times else np.nan
    return frame


def _parse_times(
    raw: pd.DataFrame, columns: list[str], source: str
) -> tuple[dict[str, pd.Series], np.ndarray, str]:
    """Every time column in hours on the scenario clock; which rows had an unparseable time."""
    kinds = {column: _kind(raw[column]) for column in columns}
    if {"hours", "timestamps"} <= set(kinds.values()):
        hours = next(c for c, k in kinds.items() if k == "hours")
        stamps = next(c for c, k in kinds.items() if k == "timestamps")
        raise InputError(
            source,
            f"column {hours}",
            f"holds hours while {stamps} holds timestamps; give every time the same way",
        )
    bad = np.zeros(len(raw), dtype=bool)
    if "timestamps" not in kinds.values():
        out: dict[str, pd.Series] = {}
        for column in columns:
            values = pd.to_numeric(raw[column], errors="coerce")
            bad |= (values.isna() & _given(raw[column])).to_numpy()
            out[column] = values.astype(float)
        return out, bad, "hours from Monday 00:00 local time, as given"
    counts = pd.concat([_offsets(raw[column]) for column in columns]).value_counts()
    offset_min = int(counts.index[0]) if len(counts) else None
    out = {}
    for column in columns:
        values = _local_clock(raw[column], offset_min)
        bad |= (values.isna() & _given(raw[column])).to_numpy()
        out[column] = values
    arrival = out.get("arrival")
    first = pd.Timestamp(arrival.min()) if arrival is not None else pd.NaT
    if pd.isna(first):
        return {c: pd.Series(np.nan, index=raw.index) for c in columns}, bad, "timestamps"
    origin = first.normalize() - pd.Timedelta(days=first.weekday())
    in_hours = {c: (v - origin) / pd.Timedelta(hours=1) for c, v in out.items()}
    zone = "naive timestamps read as local time"
    if offset_min is not None:
        zone = f"timestamps read in local time UTC{_offset_text(offset_min)} (their usual offset)"
    return in_hours, bad, f"{zone}; hour 0 = Monday {origin:%Y-%m-%d} 00:00"


def _given(values: pd.Series) -> pd.Series:
    return values.notna() & (values.astype(str).str.strip() != "")


def _kind(values: pd.Series) -> str:
    """'hours', 'timestamps' or 'empty': what most of a column's given cells are."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return "timestamps"
    if pd.api.types.is_numeric_dtype(values):
        return "hours" if values.notna().any() else "empty"
    given = values[_given(values)].astype(str)
    if given.empty:
        return "empty"
    numbers = pd.to_numeric(given, errors="coerce").notna().sum()
    return "hours" if numbers * 2 > len(given) else "timestamps"


def _offsets(values: pd.Series) -> pd.Series:
    """The UTC offsets (minutes) of a column's cells that carry one."""
    if pd.api.types.is_datetime64_any_dtype(values):
        if getattr(values.dt, "tz", None) is None:
            return pd.Series(dtype=np.int64)
        return values.dropna().map(lambda t: int(t.utcoffset().total_seconds() // 60))
    text = values[_given(values)].astype(str).str.strip()
    return text.str.extract(_OFFSET, expand=False).dropna().map(_offset_minutes)


def _offset_minutes(text: str) -> int:
    if text == "Z":
        return 0
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return sign * (int(digits[:2]) * 60 + (int(digits[2:4]) if len(digits) >= 4 else 0))


def _offset_text(minutes: int) -> str:
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _local_clock(values: pd.Series, offset_min: int | None) -> pd.Series:
    """Naive local datetimes: aware cells converted to the file's usual offset, naive kept."""
    shift = pd.Timedelta(minutes=offset_min or 0)
    if pd.api.types.is_datetime64_any_dtype(values):
        if getattr(values.dt, "tz", None) is None:
            return values.astype("datetime64[ns]")
        return (values.dt.tz_convert("UTC").dt.tz_localize(None) + shift).astype("datetime64[ns]")
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    text = values.astype(object).where(_given(values), None)
    aware = text.notna() & text.astype(str).str.strip().str.contains(_HAS_OFFSET, regex=True)
    naive = text.notna() & ~aware
    if aware.any():
        instants = pd.to_datetime(
            text[aware].astype(str).str.strip(), utc=True, format="ISO8601", errors="coerce"
        )
        out[aware] = (instants.dt.tz_localize(None) + shift).astype("datetime64[ns]")
    if naive.any():
        parsed = pd.to_datetime(
            text[naive].astype(str).str.strip(), format="ISO8601", errors="coerce"
        )
        out[naive] = parsed.astype("datetime64[ns]")
    return out


# --- checks -----------------------------------------------------------------------


def _duplicates(raw: pd.DataFrame, frame: pd.DataFrame) -> np.ndarray:
    """Rows whose id was seen on an earlier row (the first is kept).

    The id is ``declaration_id``, or else ``shipment``, which ``mrasim run --records``
    numbers within each port and replication.
    """
    if "declaration_id" in raw.columns:
        key = [raw["declaration_id"]]
    elif "shipment" in raw.columns:
        key = [raw["shipment"], frame.country, frame.port]
    else:
        return np.zeros(len(raw), dtype=bool)
    keys = pd.concat([frame.replication, *key], axis=1)
    given = key[0].notna().to_numpy()
    return keys.duplicated(keep="first").to_numpy() & given


def _station_problems(
    rows: pd.DataFrame, port: Port, columns: set[str]
) -> list[tuple[str, pd.Series]]:
    """Rows of one port whose station times contradict its routes or the order of events."""
    routes = dict(zip(CHANNELS, port.routes.by_channel(), strict=True))
    problems: dict[str, pd.Series] = {
        why: pd.Series(False, index=rows.index) for why in (OFF_ROUTE, NO_STATION_TIME, END_FIRST)
    }
    order = pd.Series(False, index=rows.index)
    unloaded, lodged = rows.unloaded, rows.lodgement
    order |= unloaded < rows.arrival
    order |= (unloaded > rows.release) | (lodged > rows.release)
    ready = rows[["arrival", "unloaded", "lodgement"]].max(axis=1)
    for channel, route in routes.items():
        mine = rows.channel == channel
        for station in port.stations:
            start, end = rows[f"{station}_start"], rows[f"{station}_end"]
            if station not in route:
                problems[OFF_ROUTE] |= mine & (start.notna() | end.notna())
        joined = ready
        for station in route:
            start, end = rows[f"{station}_start"], rows[f"{station}_end"]
            if f"{station}_end" in columns:
                problems[NO_STATION_TIME] |= mine & end.isna()
            problems[END_FIRST] |= mine & (end < start)
            order |= mine & ((start < joined) | (end < joined) | (end > rows.release))
            joined = end.where(end.notna(), joined)
    return [*problems.items(), (OUT_OF_ORDER, order)]


def _quality(reason: pd.Series, read: int) -> pd.DataFrame:
    """The data-quality table: rows excluded for each reason, then rows used and read."""
    counts = reason.value_counts()
    rows = [(why, int(counts.get(why, 0))) for why in REASONS]
    rows += [("used", read - int(reason.notna().sum())), ("read", read)]
    return pd.DataFrame(rows, columns=["reason", "rows"])
