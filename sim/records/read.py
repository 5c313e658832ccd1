"""Record files in: any export read through its mapping, put on the scenario's clock, and
checked row by row.

Real data is incomplete and sometimes wrong. A row that cannot be used is excluded and
counted under the *first* reason it fails, in the order of :data:`REASONS`; nothing is
dropped silently. Given a template scenario, rows are also checked against it (its ports,
and each channel's route through its stations); without one (``mrasim trs``), the stations
are those the file's ``<station>_start``/``_end`` columns name. A whole file that cannot be
read, lacks a required column, or leaves no usable row is bad input (one line, exit 2).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.errors import InputError
from sim.language import N_, _
from sim.language.formats import decimal
from sim.model.iso3166 import ALPHA3, OTHER
from sim.model.schema import Port, Scenario
from sim.model.vocabulary import CHANNELS, GROUPS
from sim.records.canon import to_records, used_by
from sim.records.columns import FLAGS, MILESTONES, REQUIRED, stations_of
from sim.records.mapping import EMPTY, Mapping
from sim.records.table import Table, describe_how, read_table
from sim.records.times import Clock, read_times

MISSING = N_("missing country, port, group, channel, arrival or release")
UNPARSEABLE = N_("unparseable time")
IMPLAUSIBLE = N_("time over two years from the median arrival")
BAD_REPLICATION = N_("replication not a whole number")
UNKNOWN_GROUP = N_("unknown trader group")
UNKNOWN_CHANNEL = N_("unknown channel")
UNKNOWN_ORIGIN = N_("origin not an ISO 3166 alpha-3 code or OTHER")
UNKNOWN_PORT = N_("port not in the template")
DUPLICATE = N_("duplicate declaration id")
RELEASE_FIRST = N_("release before arrival")
OFF_ROUTE = N_("times at a station off its channel's route")
NO_STATION_TIME = N_("no end time at a station of its channel's route")
END_FIRST = N_("a station's end before its start")
OUT_OF_ORDER = N_("times out of order (unloading, lodgement or a check outside arrival to release)")
REASONS = (
    MISSING,
    UNPARSEABLE,
    IMPLAUSIBLE,
    BAD_REPLICATION,
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
VALUES_SHOWN = {UNKNOWN_GROUP: "group", UNKNOWN_CHANNEL: "channel", UNKNOWN_PORT: "port"}
"""Reasons whose values a refusal lists (what a value map would fix)."""
MAX_REPLICATION = 2**31


@dataclass(frozen=True)
class Records:
    """The usable rows of a record file, on the scenario's clock.

    ``frame`` has the columns ``replication, country, port, mode, group, channel, origin,
    eligible, claimed, pre_arrival`` and every time column of :data:`MILESTONES` and of the
    stations, in hours (NaN where the file has no such column or the shipment no such
    time). ``present`` names the time columns the file has.
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
    stations: tuple[str, ...] = field(default=())
    monday: pd.Timestamp | None = None  # the date of hour 0, when times were dates

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

    @property
    def span_days(self) -> float:
        """How long the arrivals run, in days (first to last arrival)."""
        arrival = self.frame.arrival
        return float((arrival.max() - arrival.min()) / 24) if len(arrival) else 0.0

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
            raise InputError(
                "--holdout",
                "",
                _(
                    "the records cover {days:g} days: too few to hold out {holdout:g} of them "
                    "(drop "
                    "--holdout, or give more days)"
                ).format(days=last - first, holdout=holdout),
            )
        early = self.frame.arrival < 24 * cut
        return (
            _part(self, self.frame[early], (first, cut)),
            _part(self, self.frame[~early], (cut, last)),
        )


def _part(records: Records, frame: pd.DataFrame, days: tuple[float, float]) -> Records:
    from dataclasses import replace

    return replace(records, frame=frame.reset_index(drop=True), days=days)


def read_records(
    path: Path | str, scenario: Scenario | None = None, mapping: Mapping | None = None
) -> Records:
    """Read a record file through its mapping, put it on the clock and check every row
    (against the template's ports and routes, when a scenario is given)."""
    path = Path(path)
    mapping = mapping or EMPTY
    table = read_table(path, mapping, used_by(mapping))
    frame = to_records(table, mapping)
    _require(frame, table, mapping)
    stations = _stations(frame, scenario)
    time_columns = [c for c in MILESTONES if c in frame.columns] + [
        f"{s}_{end}" for s in stations for end in ("start", "end") if f"{s}_{end}" in frame.columns
    ]
    clock = read_times({c: frame[c] for c in time_columns}, mapping, table.source)
    data = _normalise(frame, clock, stations, scenario)
    reason = _reasons(data, frame, clock, scenario, stations, set(time_columns))
    usable = data[reason.isna()].reset_index(drop=True)
    quality = _quality(reason, len(data))
    if usable.empty:
        problem = _no_usable_row(data, reason, len(data))
        raise InputError(table.source, "", problem + _unparseable_example(frame, data, reason))
    arrival = usable.arrival
    days = (float(np.floor(arrival.min() / 24)), float(np.floor(arrival.max() / 24) + 1))
    return Records(
        table.source,
        sha256_of(path),
        usable,
        quality,
        len(data),
        frozenset(time_columns),
        clock.words,
        days,
        _notes(table, frame, time_columns),
        tuple(stations),
        clock.monday,
    )


def _require(frame: pd.DataFrame, table: Table, mapping: Mapping) -> None:
    missing = [c for c in REQUIRED if c not in frame.columns]
    if not missing:
        return
    fix = (
        _("map it under columns: (or derive: it) in the mapping")
        if mapping.source
        else _("give --mapping FILE.yaml (mrasim records inspect FILE drafts one)")
    )
    raise InputError(
        table.source,
        _("column {name}").format(name=missing[0]),
        _("required column missing ({missing} of {required}); {fix}").format(
            missing=", ".join(missing), required=", ".join(REQUIRED), fix=fix
        ),
    )


def _stations(frame: pd.DataFrame, scenario: Scenario | None) -> list[str]:
    if scenario is not None:
        return sorted({s for _, _, port in scenario.ports for s in port.stations})
    return stations_of(list(frame.columns))


def _notes(table: Table, frame: pd.DataFrame, time_columns: list[str]) -> tuple[str, ...]:
    notes = [f"read: {describe_how(table)}"] if table.how else []
    if table.blank_rows:
        notes.append(f"{table.blank_rows:,} blank rows skipped")
    ignored = [c for c in frame.columns if c.endswith(("_start", "_end")) and c not in time_columns]
    if ignored:
        notes.append(f"columns of no template station, ignored: {', '.join(ignored)}")
    return tuple(notes)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- the canonical frame ------------------------------------------------------------------


def _normalise(
    frame: pd.DataFrame, clock: Clock, stations: list[str], scenario: Scenario | None
) -> pd.DataFrame:
    """Text columns as plain strings (missing as None), flags as booleans (NaN unknown), every
    time column in hours (NaN if absent)."""
    n = len(frame)
    data = pd.DataFrame(index=frame.index)
    data["replication"] = _replication(frame)
    for column in ("country", "port", "mode", "group", "channel", "origin"):
        values = frame[column] if column in frame.columns else pd.Series(None, index=frame.index)
        data[column] = values.astype(object).where(values.notna(), None)
    if scenario is not None and "mode" not in frame.columns:
        modes = {(c, n): p.mode for c, n, p in scenario.ports}
        data["mode"] = [modes.get(k) for k in zip(data.country, data.port, strict=True)]
    for column in FLAGS:
        if column in frame.columns:
            flag = frame[column].map({"true": 1.0, "false": 0.0})
            data[column] = flag.astype(float)
    times = (*MILESTONES, *(f"{s}_{end}" for s in stations for end in ("start", "end")))
    for column in times:
        data[column] = clock.hours.get(column, np.full(n, np.nan))
    return data


def _replication(frame: pd.DataFrame) -> np.ndarray:
    """Replication numbers (0 when absent; -1 where not a whole number, excluded)."""
    if "replication" not in frame.columns:
        return np.zeros(len(frame), dtype=np.int64)
    with np.errstate(all="ignore"):
        values = pd.to_numeric(frame["replication"], errors="coerce").to_numpy(
            dtype=float, na_value=np.nan
        )
        whole = (
            np.isfinite(values) & (values == np.round(values)) & (np.abs(values) < MAX_REPLICATION)
        )
    return np.where(whole, values, -1).astype(np.int64)


# --- checks -------------------------------------------------------------------------------


def _reasons(
    data: pd.DataFrame,
    frame: pd.DataFrame,
    clock: Clock,
    scenario: Scenario | None,
    stations: list[str],
    present: set[str],
) -> pd.Series:
    reason = pd.Series(pd.NA, index=data.index, dtype=object)
    open_rows = np.ones(len(data), dtype=bool)

    def exclude(mask: pd.Series | np.ndarray, why: str) -> None:
        nonlocal open_rows
        hit = np.asarray(mask, dtype=bool) & open_rows
        reason[hit] = why
        open_rows &= ~hit

    text = data[["country", "port", "group", "channel"]]
    absent = ~_given(frame["arrival"]) | ~_given(frame["release"])  # unparseable is not missing
    exclude(text.isna().any(axis=1).to_numpy() | absent, MISSING)
    exclude(clock.unparseable, UNPARSEABLE)
    exclude(clock.implausible, IMPLAUSIBLE)
    exclude(data.replication.to_numpy() < 0, BAD_REPLICATION)
    exclude(~data.group.isin(GROUPS), UNKNOWN_GROUP)
    exclude(~data.channel.isin(CHANNELS), UNKNOWN_CHANNEL)
    if "origin" in frame.columns:
        known = data.origin.isin(ALPHA3) | (data.origin == OTHER) | data.origin.isna()
        exclude(~known, UNKNOWN_ORIGIN)
    if scenario is not None:
        ports = {(code, name) for code, name, _ in scenario.ports}
        keys = zip(data.country, data.port, strict=True)
        exclude(np.array([key not in ports for key in keys], dtype=bool), UNKNOWN_PORT)
    exclude(_duplicates(frame, data), DUPLICATE)
    exclude((data.release < data.arrival).to_numpy(), RELEASE_FIRST)
    if scenario is not None:
        for code, name, port in scenario.ports:
            mine = (data.country == code).to_numpy() & (data.port == name).to_numpy() & open_rows
            if mine.any():
                for why, mask in _station_problems(data[mine], port, present):
                    exclude(mine & mask.reindex(data.index, fill_value=False).to_numpy(), why)
    else:
        for why, mask in _order_problems(data, stations):
            exclude(mask.to_numpy(), why)
    return reason


def _given(values: pd.Series) -> np.ndarray:
    if values.dtype == object:
        cells = values.map(lambda v: v is not None and v == v and str(v).strip() != "")
        return cells.to_numpy(dtype=bool)
    if pd.api.types.is_string_dtype(values):
        return (values.notna() & (values.str.strip() != "")).to_numpy(dtype=bool)
    return values.notna().to_numpy(dtype=bool)


def _duplicates(frame: pd.DataFrame, data: pd.DataFrame) -> np.ndarray:
    """Rows whose id was seen on an earlier row (the first is kept).

    The id is ``declaration_id``, or else ``shipment``, which ``mrasim run --records``
    numbers within each port and replication.
    """
    if "declaration_id" in frame.columns:
        key = [frame["declaration_id"].astype(object)]
    elif "shipment" in frame.columns:
        key = [frame["shipment"].astype(object), data.country, data.port]
    else:
        return np.zeros(len(frame), dtype=bool)
    keys = pd.concat([data.replication, *key], axis=1)
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


def _order_problems(data: pd.DataFrame, stations: list[str]) -> list[tuple[str, pd.Series]]:
    """Without a template's routes: a check ending before it starts, and times outside
    arrival to release."""
    end_first = pd.Series(False, index=data.index)
    order = (data.unloaded < data.arrival) | (data.unloaded > data.release)
    order |= data.lodgement > data.release
    for station in stations:
        start, end = data[f"{station}_start"], data[f"{station}_end"]
        end_first |= end < start
        order |= (end > data.release) | (start > data.release)
    return [(END_FIRST, end_first), (OUT_OF_ORDER, order)]


def _quality(reason: pd.Series, read: int) -> pd.DataFrame:
    """The data-quality table: rows excluded for each reason, then rows used and read."""
    counts = reason.value_counts()
    rows = [(why, int(counts.get(why, 0))) for why in REASONS]
    rows += [("used", read - int(reason.notna().sum())), ("read", read)]
    return pd.DataFrame(rows, columns=["reason", "rows"])


def _no_usable_row(data: pd.DataFrame, reason: pd.Series, read: int) -> str:
    """'no usable row', with the counts by reason and, where a value map would help, the
    values met."""
    if read == 0:
        return _("no row under the header: the file holds no record")
    parts = []
    for why, n in reason.value_counts().items():
        text = _("{rows} {reason}").format(rows=decimal(n, 0), reason=_(str(why)))
        column = VALUES_SHOWN.get(str(why))
        if column is not None:
            seen = data.loc[reason == why, column].astype(str).value_counts().head(4)
            text += " (" + ", ".join(f"{v!r} {k:,}" for v, k in seen.items()) + ")"
        parts.append(text)
    hint = ""
    if any(VALUES_SHOWN.get(str(why)) for why in reason.dropna().unique()):
        hint = _("; map the values under values: in --mapping (mrasim records inspect drafts one)")
    return _("no usable row: {read} rows read, {reasons}{hint}").format(
        read=decimal(read, 0), reasons="; ".join(parts), hint=hint
    )


def _unparseable_example(frame: pd.DataFrame, data: pd.DataFrame, reason: pd.Series) -> str:
    """The first time that could not be read, with its column, and the forms that can."""
    bad = (reason == UNPARSEABLE).to_numpy()
    for column in MILESTONES + tuple(c for c in data.columns if c.endswith(("_start", "_end"))):
        if column not in frame.columns:
            continue
        cells = bad & _given(frame[column]) & data[column].isna().to_numpy()
        if cells.any():
            example = frame[column].to_numpy()[cells][0]
            return _(
                "; e.g. {column} {example!r}: times are read as ISO 8601, day- or "
                "month-first dates, Excel serial days or hours; give date_format in the "
                "mapping for any other form"
            ).format(column=column, example=str(example))
    return ""
