"""The control side of clearance: who infringes, what a check finds, how checks are targeted.

A port's optional ``control:`` block (inherited like any port field, so it can be set
for every port, a country, a mode or one port) says:

* ``prevalence``: the share of declarations that carry an infraction (a misdeclared
  value, origin or goods), by who trades: ``standard`` traders, ``national_aeo``
  (the importer is an AEO here) and ``partner_aeo`` (the exporter is an AEO of
  another member, whether or not the declaration claims recognition). A trader's
  compliance does not change with the arrangement: recognition changes how a
  declaration is treated, not whether it infringes. Missing keys follow the
  schema's rule: ``partner_aeo`` takes ``national_aeo``'s value, which takes
  ``standard``'s.
* ``detection``: the probability that a check at a station finds an infraction that
  is there, by station name (a documentary check lower, a physical examination
  higher); stations not named find nothing, and the green channel checks nothing.
* ``stake``: the revenue at stake when an infraction passes unseen: a share of the
  declared value (``share_of_value``, needs the port's ``value_usd``) or a
  distribution in USD.
* ``targeting``: how channels are chosen. ``random``: the channel probabilities as
  they are (a risk score that knows nothing). ``score``: a risk score whose power to
  separate infringing from compliant declarations is ``auc`` (binormal), with
  thresholds set so each group's yellow and red shares are the scenario's.
  ``capacity``: a fixed number of checks a day (``checks_per_day``), the standard
  declarations with the highest scores taking what the AEO groups leave.
* ``freed_checks``: what the arrangement does with the checks recognition frees.
  ``release``: they are not made (queues shorten). ``retarget``: as many checks go to
  the next-highest scores among standard declarations.

Absent, a port has no control side: no infraction is drawn and no control indicator
is reported, and every other number is what it was without this module.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

from sim.language import _
from sim.model.distributions import Distribution

Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
Auc = Annotated[float, Field(ge=0.5, le=0.999, allow_inf_nan=False)]
ChecksPerDay = Annotated[float, Field(ge=0, le=1e7, allow_inf_nan=False)]
KINDS = ("standard", "national_aeo", "partner_aeo")
"""Who trades, for compliance (not the trader group, which the claim decides)."""
TARGETING = ("random", "score", "capacity")
FREED = ("release", "retarget")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Prevalence(_Strict):
    """The share of declarations that infringe, by who trades (``standard`` required)."""

    standard: Share
    national_aeo: Share | None = None
    partner_aeo: Share | None = None

    def resolved(self) -> tuple[float, float, float]:
        """(standard, national AEO, partner AEO): partner <- national <- standard."""
        national = self.standard if self.national_aeo is None else self.national_aeo
        partner = national if self.partner_aeo is None else self.partner_aeo
        return self.standard, national, partner


class StakeShare(_Strict):
    """Revenue at stake in an infraction: a share of the declared value (``value_usd``)."""

    share_of_value: Share


def _stake_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "share" if "share_of_value" in value else "distribution"
    return "share" if isinstance(value, StakeShare) else "distribution"


Stake = Annotated[
    Annotated[StakeShare, Tag("share")] | Annotated[Distribution, Tag("distribution")],
    Discriminator(_stake_kind),
]
"""A share of the declared value, or a distribution of USD per infraction."""


class ChecksPerChannel(_Strict):
    """Checks a day by channel, for ``capacity`` targeting."""

    yellow: ChecksPerDay = 0.0
    red: ChecksPerDay = 0.0


class Control(_Strict):
    """A port's control side (see the module docstring)."""

    prevalence: Prevalence
    detection: dict[str, Share] = {}
    stake: Stake | None = None
    targeting: Literal["random", "score", "capacity"] = "random"
    auc: Auc = 0.5
    checks_per_day: ChecksPerChannel | None = None
    freed_checks: Literal["release", "retarget"] = "release"

    @model_validator(mode="after")
    def _capacity_needs_checks(self) -> Control:
        if self.targeting == "capacity" and self.checks_per_day is None:
            raise ValueError(_("capacity targeting needs checks_per_day: {yellow: ..., red: ...}"))
        if self.targeting != "capacity" and self.checks_per_day is not None:
            raise ValueError(_("checks_per_day applies only to targeting: capacity"))
        if self.targeting == "random" and self.auc != 0.5:
            raise ValueError(_("a score's auc applies to targeting: score or capacity"))
        return self

    @property
    def stake_share(self) -> float | None:
        """The share of value at stake, if the stake is one."""
        return self.stake.share_of_value if isinstance(self.stake, StakeShare) else None


def control_problems(
    control: Control, stations: Iterable[str], valued: bool
) -> Iterable[tuple[str, str]]:
    """(field within ``control``, problem) for what the schema cannot check alone: stations
    named that the port does not have, a share of a value the port does not declare."""
    known = list(stations)
    for name in control.detection:
        if name not in known:
            defined = ", ".join(known) or _("none defined")
            problem = _("station '{name}' is not defined; defined: {defined}")
            yield f"detection.{name}", problem.format(name=name, defined=defined)
    if control.stake_share is not None and not valued:
        yield "stake.share_of_value", _("a share of the value needs the port's value_usd")
