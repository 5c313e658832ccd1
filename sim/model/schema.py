"""Scenario files: YAML in, a validated, immutable model out.

Validation happens in two passes, both of which name the exact field path of
any problem:

1. *shape* -- pydantic checks types, ranges and unknown fields;
2. *references* -- :func:`_check_references` checks what pydantic cannot see
   locally: every route names a station of its port, every calendar named
   exists, member and origin codes are ISO 3166 alpha-3.

Per-group mappings share one defaulting rule: a missing ``recognised_aeo``
takes ``national_aeo``'s value, and a missing ``national_aeo`` takes
``standard``'s. The arrangement's default benefit for recognised traders is
therefore exactly what national AEOs get.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Annotated, Any, Literal, NamedTuple

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    NonNegativeInt,
    PrivateAttr,
    StrictInt,
    Tag,
    field_validator,
    model_serializer,
    model_validator,
)

from sim.errors import InputError
from sim.language import _
from sim.model.calendars import DAYS, parse_hours
from sim.model.control import Control, control_problems
from sim.model.distributions import Distribution, NonNegativeFloat, PositiveFloat
from sim.model.iso3166 import ALPHA3, OTHER, REGIONAL_MRA_2022
from sim.model.uncertain import UncertainInput
from sim.model.vocabulary import CHANNELS, GROUPS

Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
Group = Literal["standard", "national_aeo", "recognised_aeo"]
Mode = Literal["sea", "air", "road", "river", "rail"]
# Bounds that only catch mistakes (fuzzing found each overflowing or allocating without end):
Servers = Annotated[int, Field(gt=0, le=1_000_000, strict=True)]
Level = Annotated[int, Field(ge=-1_000_000, le=1_000_000)]
Multiplier = Annotated[float, Field(ge=0, le=1e6, allow_inf_nan=False)]
PROBABILITY_TOLERANCE = 1e-9


class Strict(BaseModel):
    """Base: unknown fields are errors, models are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _resolve(values: Mapping[str, Any], default: Any) -> tuple[Any, Any, Any]:
    """Per-group values in GROUPS order, with the recognised <- national <- standard rule."""
    standard = values.get("standard")
    standard = default if standard is None else standard
    national = values.get("national_aeo")
    national = standard if national is None else national
    recognised = values.get("recognised_aeo")
    recognised = national if recognised is None else recognised
    return standard, national, recognised


class TimeByGroup(Strict):
    """A time distribution per trader group (``standard`` required)."""

    standard: Distribution
    national_aeo: Distribution | None = None
    recognised_aeo: Distribution | None = None

    def resolved(self) -> tuple[Any, Any, Any]:
        return _resolve(self.__dict__, None)


def _time_kind(value: Any) -> str:
    """A mapping keyed by trader groups is per-group; anything else is one distribution."""
    if isinstance(value, dict):
        return "by_group" if "dist" not in value and set(value) & set(GROUPS) else "distribution"
    return "by_group" if isinstance(value, TimeByGroup) else "distribution"


TimeSpec = Annotated[
    Annotated[Distribution, Tag("distribution")] | Annotated[TimeByGroup, Tag("by_group")],
    Discriminator(_time_kind),
]
"""A distribution, or a mapping from trader group to distribution."""


def per_group(spec: Any) -> tuple[Any, Any, Any]:
    """The distribution of each trader group for a TimeSpec."""
    return spec.resolved() if isinstance(spec, TimeByGroup) else (spec, spec, spec)


class TimeByChannel(Strict):
    """A stage time per channel, each one time or per-group times; a channel left out has none.

    A Time Release Study publishes stage times by channel: a red declaration may
    wait for a laboratory result before release, a yellow one for the broker's
    answer to a query, a green one for nothing.
    """

    green: TimeSpec | None = None
    yellow: TimeSpec | None = None
    red: TimeSpec | None = None

    @model_validator(mode="before")
    @classmethod
    def _not_groups_too(cls, value: Any) -> Any:
        if isinstance(value, dict) and set(value) & set(GROUPS):
            raise ValueError(
                _(
                    "give a time per channel (green, yellow, red), each a time or per-group "
                    "times; channels and groups cannot sit side by side"
                )
            )
        return value


def _stage_kind(value: Any) -> str:
    """Keyed by channel names: per channel; otherwise a TimeSpec's own kinds."""
    if isinstance(value, dict) and "dist" not in value and set(value) & set(CHANNELS):
        return "by_channel"
    if isinstance(value, TimeByChannel):
        return "by_channel"
    return _time_kind(value)


StageTime = Annotated[
    Annotated[Distribution, Tag("distribution")]
    | Annotated[TimeByGroup, Tag("by_group")]
    | Annotated[TimeByChannel, Tag("by_channel")],
    Discriminator(_stage_kind),
]
"""A stage time: one distribution, per trader group, or per channel (each of those one
distribution or per trader group)."""

ChannelGroupTimes = tuple[
    tuple[Any, Any, Any] | None, tuple[Any, Any, Any] | None, tuple[Any, Any, Any] | None
]
"""Per channel (CHANNELS order): the three groups' distributions, or None for no time."""


def per_channel(spec: Any) -> ChannelGroupTimes:
    """Each channel's per-group distributions for a StageTime (None: the channel has none)."""
    if isinstance(spec, TimeByChannel):
        green, yellow, red = (
            None if time is None else per_group(time)
            for time in (spec.green, spec.yellow, spec.red)
        )
        return green, yellow, red
    every = per_group(spec)
    return every, every, every


class Calendar(Strict):
    """Open hours on the given days; ``days: all`` means every day."""

    days: Literal["all"] | list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]]
    hours: list[str]

    @field_validator("days")
    @classmethod
    def _some_day(cls, days: Any) -> Any:
        if isinstance(days, list) and not days:
            raise ValueError(_("a calendar needs at least one day (or 'all')"))
        return days

    @field_validator("hours")
    @classmethod
    def _parse(cls, hours: list[str]) -> list[str]:
        if not hours:
            raise ValueError(
                _(
                    "a calendar needs at least one range of hours, e.g. '08:00-17:00' "
                    "(all day: '00:00-24:00')"
                )
            )
        for text in hours:
            parse_hours(text)
        return hours

    @property
    def day_names(self) -> list[str]:
        return list(DAYS) if self.days == "all" else list(self.days)

    @property
    def hour_ranges(self) -> list[tuple[float, float]]:
        return [parse_hours(text) for text in self.hours]


class Arrivals(Strict):
    """Poisson arrivals with a weekly and an hourly profile, optionally in batches.

    ``per_day`` is the average over the week; the profiles are relative
    multipliers (normalised to mean 1), Monday first and hour 0 first.
    """

    per_day: PositiveFloat
    weekly_profile: list[Multiplier] | None = None
    hourly_profile: list[Multiplier] | None = None
    batch_size: Distribution | None = None

    @field_validator("weekly_profile")
    @classmethod
    def _seven(cls, profile: list[float] | None) -> list[float] | None:
        if profile is not None and (len(profile) != 7 or sum(profile) <= 0):
            raise ValueError(_("give 7 non-negative multipliers, Monday first, not all zero"))
        return profile

    @field_validator("hourly_profile")
    @classmethod
    def _twenty_four(cls, profile: list[float] | None) -> list[float] | None:
        if profile is not None and (len(profile) != 24 or sum(profile) <= 0):
            raise ValueError(_("give 24 non-negative multipliers, hour 0 first, not all zero"))
        return profile


class ChannelProbs(Strict):
    """Probabilities of the green, yellow and red channels; they sum to 1."""

    green: Share
    yellow: Share
    red: Share

    @model_validator(mode="after")
    def _sums_to_one(self) -> ChannelProbs:
        total = self.green + self.yellow + self.red
        if abs(total - 1) > PROBABILITY_TOLERANCE:
            raise ValueError(
                _("green + yellow + red = {total:.12g}; they must sum to 1").format(total=total)
            )
        return self


class Channels(Strict):
    """Selectivity by trader group (``standard`` required)."""

    standard: ChannelProbs
    national_aeo: ChannelProbs | None = None
    recognised_aeo: ChannelProbs | None = None

    def resolved(self) -> tuple[ChannelProbs, ChannelProbs, ChannelProbs]:
        return _resolve(self.__dict__, None)


class GroupShares(Strict):
    """A share per trader group; missing ones follow the per-group default rule."""

    standard: Share | None = None
    national_aeo: Share | None = None
    recognised_aeo: Share | None = None

    def resolved(self) -> tuple[float, float, float]:
        return _resolve(self.__dict__, 0.0)


class GroupLevels(Strict):
    """A queue priority level per trader group: lower is served first."""

    standard: Level | None = None
    national_aeo: Level | None = None
    recognised_aeo: Level | None = None

    def resolved(self) -> tuple[int, int, int]:
        return _resolve(self.__dict__, 0)


class Lodgement(Strict):
    """When the declaration is lodged: ``lead_h`` before arrival (a share
    ``pre_arrival_share`` lodges ahead), or ``delay_h`` after it.

    The lead of an advance declaration and the lag of a late one are different
    things (a broker lodging 72 h ahead, or an importer gathering documents for a
    day after arrival); without ``lead_h`` both take ``delay_h``. With a
    ``calendar`` (the broker's office hours), the time runs and then the
    declaration waits for the calendar to be open.
    """

    pre_arrival_share: GroupShares = GroupShares()
    delay_h: StageTime
    lead_h: StageTime | None = None
    calendar: str | None = None


class Reserved(Strict):
    """Servers of a station's own for some groups (in addition to ``servers``)."""

    servers: Servers
    calendar: str | None = None
    groups: list[Group] = Field(min_length=1)


class Station(Strict):
    """Officers, teams or scanners that serve one shipment at a time each."""

    servers: Servers
    calendar: str | None = None
    service_h: TimeSpec
    priority: GroupLevels | None = None
    reserved: Reserved | None = None


class Delay(Strict):
    """Time that needs no server; with a calendar it starts only while the calendar is open.

    The calendar applies to the channels that have the delay: a channel left out of
    a per-channel delay neither waits nor waits for the calendar.
    """

    time: StageTime
    calendar: str | None = None

    @model_serializer(mode="wrap")
    def _flat(self, handler: Any) -> Any:
        """Written back as it is read: the calendar beside the time, not a ``time:`` level."""
        data = handler(self)
        if isinstance(data, dict) and isinstance(data.get("time"), dict):
            calendar = {"calendar": data["calendar"]} if data.get("calendar") is not None else {}
            return {**data["time"], **calendar}
        return data

    @model_validator(mode="before")
    @classmethod
    def _inline(cls, value: Any) -> Any:
        """Accept ``{dist: ..., calendar: office}``: the calendar sits beside the distribution."""
        if isinstance(value, dict) and "time" not in value:
            value = dict(value)
            calendar = value.pop("calendar", None)
            return {"time": value, "calendar": calendar}
        return value


class Delays(Strict):
    """Delays before the checks (unloading) and after them (release: payment, gate-out)."""

    unloading_h: Delay | None = None
    release_h: Delay | None = None


class Routes(Strict):
    """The stations each channel passes through, in order."""

    green: list[str] = []
    yellow: list[str] = []
    red: list[str] = []

    def by_channel(self) -> tuple[list[str], list[str], list[str]]:
        return self.green, self.yellow, self.red


class Port(Strict):
    """One port, airport or border post of an importing country."""

    mode: Mode
    arrivals: Arrivals
    origins: dict[str, Share] = Field(min_length=1)
    national_aeo_share: Share = 0.0
    lodgement: Lodgement | None = None
    channels: Channels
    routes: Routes = Routes()
    stations: dict[str, Station] = {}
    delays: Delays = Delays()
    value_usd: Annotated[float, Field(gt=0, le=1e12, allow_inf_nan=False)] | None = None
    """Declared value per shipment, for the cost of delay. No default: a port without one
    gets no cost-of-delay indicators, rather than a cost that rests on an invented value."""
    control: Control | None = None
    """The control side (:mod:`sim.model.control`): infractions, detection, targeting. None:
    no control indicators, and every clearance number as without it."""

    @field_validator("origins")
    @classmethod
    def _shares_sum_to_one(cls, origins: dict[str, float]) -> dict[str, float]:
        total = sum(origins.values())
        if abs(total - 1) > PROBABILITY_TOLERANCE:
            raise ValueError(
                _("origin shares sum to {total:.12g}; they must sum to 1").format(total=total)
            )
        return origins


class Country(Strict):
    """An importing country (with ports) or only an exporter (no ports)."""

    aeo_exporter_share: Share = 0.0
    clock: str | None = None
    """What this country's clearance clock measures, in words (e.g. "cargo presence
    registered with customs to release"): outputs say it, and label a regional total
    that pools countries whose clocks differ."""
    port_defaults: dict[str, Any] | None = Field(default=None, exclude=True)  # see sim.inherit
    mode_defaults: dict[str, Any] | None = Field(default=None, exclude=True)
    ports: dict[str, Port] = {}


class Arrangement(Strict):
    """The mutual recognition arrangement and how much traders use it."""

    in_force: bool = True
    members: list[str] = Field(default_factory=lambda: list(REGIONAL_MRA_2022), min_length=1)
    utilisation: Share = 0.0
    precedence: Literal["national_aeo", "recognised_aeo"] = "national_aeo"

    @property
    def claim_probability(self) -> float:
        """The share of eligible shipments that claim recognition: the utilisation while the
        arrangement is in force, else none (the one place this rule is written)."""
        return self.utilisation if self.in_force else 0.0


class CostOfDelay(Strict):
    """Ad-valorem cost of a day of delay (Hummels & Schaur 2013: 0.6-2.1% per day)."""

    rates_per_day: list[Share] = [0.006, 0.013, 0.021]


class Origin(NamedTuple):
    """Where a scenario came from: its file, the file's SHA-256, and every override since."""

    path: str | None = None
    sha256: str | None = None
    overrides: tuple[str, ...] = ()


class FittedField(Strict):
    """One fitted value: where it sits (a ``--set`` path), what it is, and its interval.

    ``interval`` is ``[low, high]`` at the calibration's confidence level; ``high``
    is null when the data bound the value from below only (servers never seen
    all busy). A value chosen rather than estimated (a distribution family picked
    by AIC) has no interval.
    """

    path: str = Field(min_length=1)
    value: StrictInt | float | str
    interval: tuple[float, float | None] | None = None
    method: str = ""

    @model_validator(mode="after")
    def _inside(self) -> FittedField:
        if self.interval is None:
            return self
        if isinstance(self.value, str):
            raise ValueError(_("a value that is not a number has no interval"))
        low, high = self.interval
        slack = 1e-9 * max(1.0, abs(self.value))
        if self.value < low - slack or (high is not None and self.value > high + slack):
            raise ValueError(
                _("value {value:g} lies outside its interval [{low:g}, {high}]").format(
                    value=self.value, low=low, high=high
                )
            )
        return self


class Calibration(Strict):
    """Where fitted values came from: written by ``mrasim calibrate``, checked when read.

    It is provenance, not input to the simulation: the simulator ignores it, and
    ``run`` and ``compare`` read a fitted scenario as any other.
    """

    method: Literal["records", "targets"]
    source: str = Field(min_length=1)  # the record file or targets file, as given
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    template: str = Field(min_length=1)
    date: str
    command: str = Field(min_length=1)
    confidence: float = Field(default=0.95, gt=0, lt=1)
    rows_used: int | None = Field(default=None, ge=0)
    rows_excluded: dict[str, NonNegativeInt] = {}
    fields: list[FittedField] = []
    statistics: dict[str, float] = {}
    notes: list[str] = []

    @field_validator("date")
    @classmethod
    def _iso_date(cls, date: str) -> str:
        try:
            datetime.fromisoformat(date)
        except ValueError:
            raise ValueError(
                _("'{date}' is not an ISO 8601 date and time").format(date=date)
            ) from None
        return date


class Scenario(Strict):
    """A whole simulated region: calendars, the arrangement and the importing countries."""

    name: str
    description: str = ""
    horizon_days: PositiveFloat
    warmup_days: NonNegativeFloat | None = None  # None: what the plan needs (sim.plan.expect)
    seed: int = Field(default=1, ge=0, strict=True)
    calendars: dict[str, Calendar] = {}
    arrangement: Arrangement = Arrangement()
    port_defaults: dict[str, Any] | None = Field(default=None, exclude=True)  # see sim.inherit
    mode_defaults: dict[str, Any] | None = Field(default=None, exclude=True)
    countries: dict[str, Country] = Field(min_length=1)
    cost_of_delay: CostOfDelay = CostOfDelay()
    calibration: list[Calibration] | None = None  # provenance of fitted values (sim.calibrate)
    uncertainty: dict[str, UncertainInput] | None = None  # what it does not know (sim.uncertain)
    _origin: Origin = PrivateAttr(default=Origin())
    _raw: dict[str, Any] | None = PrivateAttr(default=None)

    @property
    def origin(self) -> Origin:
        """The file and overrides this scenario was made from (for provenance)."""
        return self._origin

    def raw_data(self) -> dict[str, Any]:
        """The data this scenario was validated from, its defaults layers as written (what
        uncertain inputs and calibration paths address); the expanded scenario when it was
        made some other way."""
        if self._raw is not None:
            return self._raw
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    def __eq__(self, other: object) -> bool:
        """Equal when the fields are: where two equal scenarios came from does not matter."""
        return isinstance(other, Scenario) and self.__dict__ == other.__dict__

    __hash__ = None  # type: ignore[assignment]  # dict fields: not hashable anyway

    def with_overrides(self, changes: Mapping[str, Any]) -> Scenario:
        """A new, validated scenario with fields changed: ``{"arrangement.utilisation": 0.8}``.

        Paths are dotted as in ``--set`` and address the scenario as validated (every
        port with its defaults merged in, as ``mrasim validate --expand`` prints it);
        values are Python values. Bad values raise :class:`~sim.errors.InputError`
        naming the field.
        """
        from sim.model.load import with_overrides  # loading builds on the schema

        return with_overrides(self, changes)

    @property
    def ports(self) -> Iterable[tuple[str, str, Port]]:
        """(country, port name, port) for every port, in file order."""
        for code, country in self.countries.items():
            for name, port in country.ports.items():
                yield code, name, port


def _check_references(scenario: Scenario, source: str) -> None:
    """Cross-field rules: names that must exist, codes that must be ISO 3166 alpha-3."""

    def fail(field: str, problem: str) -> None:
        raise InputError(source, field, problem)

    known = ", ".join(scenario.calendars) or _("none defined")
    for i, code in enumerate(scenario.arrangement.members):
        if code not in ALPHA3:
            fail(
                f"arrangement.members[{i}]",
                _("'{code}' is not an ISO 3166 alpha-3 code").format(code=code),
            )
    if not any(True for _ in scenario.ports):
        fail(
            "countries", _("no country has a port; give at least one under countries.<ISO3>.ports")
        )
    if (scenario.warmup_days or 0.0) + scenario.horizon_days > 3650:
        fail("horizon_days", _("warm-up plus horizon exceed ten years; shorten the run"))
    for code, country in scenario.countries.items():
        if code not in ALPHA3:
            fail(
                f"countries.{code}", _("'{code}' is not an ISO 3166 alpha-3 code").format(code=code)
            )
        for name, port in country.ports.items():
            _check_port(port, f"countries.{code}.ports.{name}", scenario, known, fail)


def _check_port(port: Port, at: str, scenario: Scenario, known: str, fail: Any) -> None:
    def check_calendar(name: str | None, field: str) -> None:
        if name is not None and name not in scenario.calendars:
            fail(
                field,
                _("calendar '{name}' is not defined; defined: {known}").format(
                    name=name, known=known
                ),
            )

    for origin in port.origins:
        if origin != OTHER and origin not in ALPHA3:
            fail(
                f"{at}.origins.{origin}",
                _("'{origin}' is not an ISO 3166 alpha-3 code or OTHER").format(origin=origin),
            )
    for channel, route in zip(CHANNELS, port.routes.by_channel(), strict=True):
        for i, stop in enumerate(route):
            if stop not in port.stations:
                defined = ", ".join(port.stations) or _("none defined")
                fail(
                    f"{at}.routes.{channel}[{i}]",
                    _("station '{name}' is not defined; defined: {defined}").format(
                        name=stop, defined=defined
                    ),
                )
        if len(set(route)) != len(route):
            fail(f"{at}.routes.{channel}", _("a route visits each station at most once"))
    for name, station in port.stations.items():
        check_calendar(station.calendar, f"{at}.stations.{name}.calendar")
        if station.reserved is not None:
            check_calendar(station.reserved.calendar, f"{at}.stations.{name}.reserved.calendar")
    for name in ("unloading_h", "release_h"):
        delay = getattr(port.delays, name)
        if delay is not None:
            check_calendar(delay.calendar, f"{at}.delays.{name}.calendar")
    if port.lodgement is not None:
        check_calendar(port.lodgement.calendar, f"{at}.lodgement.calendar")
    batch = port.arrivals.batch_size
    if batch is not None and math.isfinite(batch.mean) and batch.mean < 1:
        fail(
            f"{at}.arrivals.batch_size",
            _("a batch brings at least one shipment: its mean must be 1 or more"),
        )
    if port.arrivals.batch_size is not None and not math.isfinite(port.arrivals.batch_size.mean):
        fail(f"{at}.arrivals.batch_size", _("the batch size needs a finite mean"))
    if port.control is not None:
        for field, problem in control_problems(
            port.control, port.stations, port.value_usd is not None
        ):
            fail(f"{at}.control.{field}", problem)
