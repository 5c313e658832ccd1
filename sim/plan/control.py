"""A port's control side compiled: prevalence by trader, detection by station, and the
channel cutoffs that risk targeting implies (:class:`ControlPlan`).

**The risk score.** A shipment's score is ``z + delta * infringing``: a binormal score
(compliant declarations score N(0, 1), infringing ones N(delta, 1)) whose area under
the ROC curve is ``Phi(delta / sqrt(2))``. Its noise ``z`` is the normal quantile of the
shipment's selectivity uniform, the very uniform the channel probabilities are compared
with; so a score that knows nothing (AUC 0.5) selects exactly the shipments the channel
probabilities select, bit for bit, and a score that knows something moves only the
shipments its knowledge moves. A check of a score against a threshold ``t`` is a check of
that uniform against ``Phi(t - delta * infringing)``: the engines' inputs compare the same
uniform with a cutoff per trader group and per infringing-or-not (:attr:`ControlPlan.cutoffs`).

**Thresholds** are set per trader group so that the group's yellow and red shares are
the scenario's, in the world without recognition (nobody claims): there the groups'
mixes of who trades are fixed, and the thresholds held. With the arrangement:

* ``release``: every threshold is held. A shipment that does not claim keeps its
  channel; one that claims gets the recognised group's (the checks it would have had
  are not made).
* ``retarget``: the standard group's thresholds are lowered until the expected checks
  of the port, channel by channel, are those without recognition: the freed checks go
  to the next-highest scores among standard declarations. (National AEOs keep theirs:
  their low selection is their programme's benefit.)

With no infraction anywhere (every prevalence zero) there is nothing to target: the
control side is inert, every channel is the channel probabilities' and no check is moved,
so every clearance number is what it is without a control side, to the bit (tested).

**Capacity targeting**: the standard group gets a budget of checks a day (the port's
``checks_per_day`` less the AEO groups' expected checks; with ``release``, less also
the checks claiming shipments would have had), spent as shipments arrive, without
look-ahead: an arriving standard declaration is checked when its score's upper-tail
probability among standard declarations is at most the budget left over the standard
declarations still expected that day. The rule is deterministic given the arrivals
and scores, and tends to the day's highest scores.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

from sim.model.control import Control
from sim.model.distributions import _Distribution

STANDARD_KIND, NATIONAL_KIND, PARTNER_KIND = range(3)
"""Who trades (:data:`sim.model.control.KINDS`): the importer a national AEO, else the
exporter an AEO of another member, else neither."""
STANDARD, NATIONAL, RECOGNISED = range(3)
RANDOM, SCORE, CAPACITY = range(3)
TARGETING = {"random": RANDOM, "score": SCORE, "capacity": CAPACITY}
CHECKED, RED = range(2)
"""The two nested selections of a score: checked (yellow or red) and red."""


@dataclass(frozen=True)
class ControlPlan:
    """A port's control side as arrays (see the module docstring)."""

    prevalence: np.ndarray  # (3 kinds,) share of declarations that infringe
    delta: float  # the score's separation: sqrt(2) * Phi^-1(auc)
    targeting: int  # RANDOM, SCORE or CAPACITY
    retarget: bool
    cutoffs: np.ndarray  # (3 groups, 2: compliant or infringing, 2): the uniform's cutoffs
    detection: np.ndarray  # (n_stations,) probability that a check there finds an infraction
    stake_share: float  # share of value_usd at stake (NaN: none, or a distribution)
    stake_usd: _Distribution | None  # USD at stake per infraction, drawn per shipment
    stake_dist: int  # the stake distribution's index in the port's bank (-1: none)
    # capacity targeting (zeros otherwise)
    budget: np.ndarray  # (2: checked, red) the standard group's checks a day
    standard_mix: np.ndarray  # (3 kinds,) who trades among standard declarations
    standard_cumulative: np.ndarray  # (169,) expected standard shipments by hour of the week

    @property
    def has_stake(self) -> bool:
        return self.stake_usd is not None or not math.isnan(self.stake_share)


def delta_of(auc: float) -> float:
    """The binormal separation of a score of this AUC: AUC = Phi(delta / sqrt(2))."""
    return math.sqrt(2.0) * float(special.ndtri(auc)) if auc > 0.5 else 0.0


def tail(t: float, prevalence: float, delta: float) -> float:
    """P(score > t) among declarations of one prevalence."""
    return (1 - prevalence) * float(special.ndtr(-t)) + prevalence * float(special.ndtr(delta - t))


def mix_tail(t: float, mix: np.ndarray, prevalence: np.ndarray, delta: float) -> float:
    """P(score > t) in a mix of who trades (weights summing to 1)."""
    return sum(w * tail(t, p, delta) for w, p in zip(mix, prevalence, strict=True) if w > 0)


def threshold(share: float, mix: np.ndarray, prevalence: np.ndarray, delta: float) -> float:
    """The score threshold above which a share of a mix falls (inf: none; -inf: all)."""
    if share <= 0:
        return math.inf
    if share >= 1:
        return -math.inf
    return float(
        optimize.brentq(
            lambda t: mix_tail(t, mix, prevalence, delta) - share, -40.0, 40.0, xtol=1e-13
        )
    )


def kind_group(
    eligible: float, national: float, claim: float, recognised_first: bool
) -> np.ndarray:
    """(3 kinds, 3 groups): the long-run share of shipments of each kind in each group.

    ``eligible`` is the share of shipments whose exporter is an AEO of another member,
    ``national`` the share whose importer is an AEO here, ``claim`` the probability that
    an eligible shipment claims recognition (they are drawn independently).
    """
    joint = np.zeros((3, 3))
    joint[STANDARD_KIND, STANDARD] = (1 - national) * (1 - eligible)
    joint[PARTNER_KIND, RECOGNISED] = (1 - national) * eligible * claim
    joint[PARTNER_KIND, STANDARD] = (1 - national) * eligible * (1 - claim)
    both = national * eligible * claim if recognised_first else 0.0
    joint[NATIONAL_KIND, RECOGNISED] = both
    joint[NATIONAL_KIND, NATIONAL] = national - both
    return joint


def _mix(column: np.ndarray) -> np.ndarray:
    total = column.sum()
    return column / total if total > 0 else np.full(len(column), 1.0 / len(column))


def compile_control(
    control: Control,
    stations: tuple[str, ...],
    eligible: float,
    national: float,
    claim: float,
    recognised_first: bool,
    channel_cumulative: np.ndarray,
    shipments_by_hour: np.ndarray,
    stake_dist: int,
) -> tuple[ControlPlan, np.ndarray]:
    """The port's :class:`ControlPlan`, and its groups' expected channel cumulatives (the
    scenario's, unless retargeting or capacity moves the standard group's)."""
    prevalence = np.array(control.prevalence.resolved())
    targeting = TARGETING[control.targeting]
    retarget = control.freed_checks == "retarget"
    if not prevalence.any():  # nothing to find, so nothing to target: the channels as given
        targeting, retarget = RANDOM, False
    delta = delta_of(control.auc) if targeting != RANDOM else 0.0
    # each group's (checked, red) shares, as the scenario sets them
    shares = np.array([[1 - c[0], 1 - c[1]] for c in channel_cumulative])
    before = kind_group(eligible, national, 0.0, recognised_first)
    now = kind_group(eligible, national, claim, recognised_first)
    recognised_mix = _mix(kind_group(eligible, national, 1.0, recognised_first)[:, RECOGNISED])
    mixes = [_mix(before[:, STANDARD]), _mix(before[:, NATIONAL]), recognised_mix]
    thresholds = np.array(
        [
            [threshold(shares[g, b], mixes[g], prevalence, delta) for b in (CHECKED, RED)]
            for g in range(3)
        ]
    )
    effective = shares.copy()  # the standard group's expected shares, if they move
    standard_now = _mix(now[:, STANDARD])
    groups_now = now.sum(axis=0)

    def expected(g: int, b: int) -> float:
        """Checks (per shipment of the port) of group g at its threshold, now."""
        return sum(now[k, g] * tail(thresholds[g, b], prevalence[k], delta) for k in range(3))

    budget = np.zeros(2)
    if targeting == CAPACITY:
        assert control.checks_per_day is not None
        per_day = float(shipments_by_hour.sum()) * 24.0 / len(shipments_by_hour)
        capacity = control.checks_per_day
        wanted = np.array([capacity.yellow + capacity.red, capacity.red])
        for b in (CHECKED, RED):
            others = per_day * (expected(NATIONAL, b) + expected(RECOGNISED, b))
            if not retarget:  # the claiming shipments' checks are not made: as they would
                # have been, at the threshold that spends the budget without the arrangement
                others = per_day * before[NATIONAL, NATIONAL] * shares[NATIONAL, b]
                spent = wanted[b] - others
                t = threshold(
                    spent / (per_day * before[:, STANDARD].sum()),
                    mixes[STANDARD],
                    prevalence,
                    delta,
                )
                claiming = now[PARTNER_KIND, RECOGNISED]
                others += per_day * claiming * tail(t, prevalence[PARTNER_KIND], delta)
            budget[b] = max(0.0, wanted[b] - others)
        budget[RED] = min(budget[RED], budget[CHECKED])
        standard_per_day = per_day * groups_now[STANDARD]
        for b in (CHECKED, RED):
            effective[STANDARD, b] = (
                min(1.0, budget[b] / standard_per_day) if standard_per_day > 0 else 0.0
            )
    elif retarget and claim > 0:
        for b in (CHECKED, RED):
            total = float(before.sum(axis=0) @ shares[:, b])  # the port's checks without it
            others = expected(NATIONAL, b) + expected(RECOGNISED, b)
            share = (total - others) / groups_now[STANDARD] if groups_now[STANDARD] > 0 else 0.0
            effective[STANDARD, b] = min(1.0, max(0.0, share))
            thresholds[STANDARD, b] = threshold(
                effective[STANDARD, b], standard_now, prevalence, delta
            )
        effective[STANDARD, RED] = min(effective[STANDARD, RED], effective[STANDARD, CHECKED])
        thresholds[STANDARD, RED] = max(thresholds[STANDARD, RED], thresholds[STANDARD, CHECKED])
    cutoffs = _cutoffs(thresholds, delta, effective, channel_cumulative)
    stake_share = control.stake_share
    plan = ControlPlan(
        prevalence=prevalence,
        delta=delta,
        targeting=targeting,
        retarget=retarget,
        cutoffs=cutoffs,
        detection=np.array([control.detection.get(s, 0.0) for s in stations]),
        stake_share=math.nan if stake_share is None else stake_share,
        stake_usd=None if stake_share is not None else control.stake,  # type: ignore[arg-type]
        stake_dist=stake_dist,
        budget=budget,
        standard_mix=standard_now,
        standard_cumulative=np.concatenate(
            ([0.0], np.cumsum(shipments_by_hour * groups_now[STANDARD]))
        ),
    )
    cumulative = np.array([[1 - e[CHECKED], 1 - e[RED]] for e in effective])
    unchanged = (effective == shares).all(axis=1)
    cumulative[unchanged] = channel_cumulative[unchanged]  # to the bit
    return plan, cumulative


def _cutoffs(
    thresholds: np.ndarray, delta: float, effective: np.ndarray, channel_cumulative: np.ndarray
) -> np.ndarray:
    """(3 groups, 2: compliant or infringing, 2): green below the first cutoff, yellow
    below the second, else red. A score that knows nothing compares with the channel
    cumulatives themselves, so that its channels are the channel probabilities' to the bit."""
    cutoffs = np.empty((3, 2, 2))
    for g in range(3):
        for infringing in range(2):
            if delta == 0.0:
                same = (effective[g] == 1 - channel_cumulative[g]).all()
                own = channel_cumulative[g] if same else 1 - effective[g]
                cutoffs[g, infringing] = own
            else:
                shift = delta * infringing
                cutoffs[g, infringing] = [
                    float(special.ndtr(thresholds[g, b] - shift)) for b in (CHECKED, RED)
                ]
    return cutoffs
