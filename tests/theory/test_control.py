"""The control side against probability theory: hit rates, detections and risk targeting.

Each test builds one port whose checks are documentary only (yellow), so that what is
found follows from three numbers: the share selected ``s``, the prevalence ``p`` and the
probability ``d`` that a check finds an infraction that is there. Shipments are
independent (each one's infraction, score and detection draws are its own), so the
totals over replications are binomial counts with known success probabilities:

* random selection: detections among checks ~ Binomial(checks, p d), and among all
  shipments ~ Binomial(N, s p d);
* a binormal score of AUC ``A`` (compliant N(0, 1), infringing N(delta, 1), with
  ``A = Phi(delta / sqrt 2)``) selecting the share ``s`` above the threshold ``t`` with
  ``(1 - p) Q(t) + p Q(t - delta) = s`` (Q the normal upper tail): the hit rate among
  checks is ``p Q(t - delta) d / s`` and the detection rate among infractions
  ``Q(t - delta) d``. The closed forms are computed here, independently of the plan's.

Confidence level. Each check of coverage is a two-sided interval at 99.99% (binomial for
counts, Student t for paired changes over replications); the module makes 13 such checks
(3 + 2 for random selection, 3 for each of two AUCs, 1 each for retargeting and
releasing), so a correct simulator fails any with probability at most 0.13% (Bonferroni).
The seeds are fixed: a run passes or fails for good. Each binomial interval is also narrow
(relative half-widths of a few per cent, asserted): a simulator off by more fails. The
capacity test's floor on the budget spent (97% a day on average) is a loose property of
the spending rule, not a statistical bound (it spends 99.9% on these seeds).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from scipy import optimize, stats

import sim
from sim.engine.inputs import draw_port
from sim.model.load import scenario_from_dict
from sim.plan.compile import compile_plan

CONFIDENCE = 0.9999
"""Per-check confidence; see the module docstring."""


def _scenario(control: dict[str, Any], share: float, per_day: float = 4000) -> sim.Scenario:
    port = {
        "mode": "air",
        "arrivals": {"per_day": per_day},
        "origins": {"OTHER": 1.0},
        "channels": {"standard": {"green": 1 - share, "yellow": share, "red": 0.0}},
        "routes": {"yellow": ["doc"]},
        "stations": {
            "doc": {"servers": 5000, "service_h": {"dist": "deterministic", "value": 0.5}}
        },
        "control": control,
    }
    return scenario_from_dict(
        {
            "name": "control",
            "horizon_days": 28,
            "warmup_days": 0,
            "countries": {"PER": {"ports": {"p": port}}},
        }
    )


def _drawn(scenario: sim.Scenario, replications: int) -> dict[str, int]:
    """Totals over replications of one port's inputs (what the control side rests on)."""
    port = compile_plan(scenario).ports[0]
    totals = dict.fromkeys(("n", "checks", "infractions", "found", "found_checked"), 0)
    for r in range(replications):
        drawn = draw_port(port.window[1], port, 11, r)
        assert drawn.infringing is not None and drawn.detected is not None
        checked = drawn.channel > 0
        totals["n"] += drawn.n
        totals["checks"] += int(checked.sum())
        totals["infractions"] += int(drawn.infringing.sum())
        totals["found"] += int(drawn.detected.sum())
        totals["found_checked"] += int((drawn.detected & checked).sum())
    return totals


def _inside(count: int, trials: int, probability: float) -> None:
    low, high = stats.binom(trials, probability).interval(CONFIDENCE)
    assert low <= count <= high, (count, trials, probability, low, high)
    assert (high - low) / 2 <= 0.1 * trials * probability  # narrow enough to have power


def test_random_selection_hits_the_prevalence_and_finds_s_p_n_d() -> None:
    """Checks at rate s, prevalence p, detection d: hit rate p d, detections s p N d."""
    s, p, d = 0.25, 0.05, 0.6
    control = {"prevalence": {"standard": p}, "detection": {"doc": d}}
    totals = _drawn(_scenario(control, s), replications=4)
    _inside(totals["found"], totals["checks"], p * d)  # hit rate covers p d
    _inside(totals["found"], totals["n"], s * p * d)  # detections ~ s p N d
    _inside(totals["infractions"], totals["n"], p)
    assert totals["found"] == totals["found_checked"]  # green finds nothing


def test_random_selection_through_the_whole_pipeline() -> None:
    """The same through the runner's indicators: hit rate and detections in the summary
    (counts over the horizon, averaged over replications) agree with theory."""
    s, p = 0.3, 0.04
    control = {"prevalence": {"standard": p}, "detection": {"doc": 1.0}}
    replications = 3
    result = sim.run(_scenario(control, s, per_day=3000), replications=replications, seed=5)
    summary = result.summary()
    summary = summary[summary.station.isna()].set_index(["port", "group", "metric"])

    def total(metric: str) -> int:
        return round(summary.loc[("p", "all", metric), "mean"] * replications)

    _inside(total("detections"), total("checks"), p)  # d = 1: the hit rate covers p
    _inside(total("detections"), total("shipments"), s * p)
    assert total("missed") == total("infractions") - total("detections")


def _binormal(share: float, p: float, auc: float) -> tuple[float, float]:
    """(hit rate, share of infractions selected) of a binormal score selecting ``share``."""
    delta = math.sqrt(2) * stats.norm.ppf(auc)
    q = stats.norm.sf

    def selected(t: float) -> float:
        return (1 - p) * q(t) + p * q(t - delta) - share

    t = optimize.brentq(selected, -20, 20, xtol=1e-14)
    caught = q(t - delta)
    return p * caught / share, caught


@pytest.mark.parametrize("auc", [0.7, 0.9])
def test_a_binormal_score_matches_the_closed_form(auc: float) -> None:
    s, p, d = 0.2, 0.05, 0.8
    control = {
        "prevalence": {"standard": p},
        "detection": {"doc": d},
        "targeting": "score",
        "auc": auc,
    }
    totals = _drawn(_scenario(control, s), replications=6)
    hit, caught = _binormal(s, p, auc)
    _inside(totals["checks"], totals["n"], s)  # the thresholds keep the share selected
    _inside(totals["found"], totals["checks"], hit * d)
    _inside(totals["found"], totals["infractions"], caught * d)
    assert hit > p  # a score that knows something beats random selection


def test_a_score_that_knows_nothing_selects_as_the_channel_probabilities() -> None:
    """AUC 0.5 (or prevalence zero): the very channels of a port without a control side."""
    control = {"prevalence": {"standard": 0.05}, "detection": {"doc": 0.5}}
    random, knowing_nothing = (
        _scenario({**control, **extra}, 0.3, per_day=500)
        for extra in ({}, {"targeting": "score", "auc": 0.5})
    )
    bare = _scenario(control, 0.3, per_day=500).with_overrides(
        {"countries.PER.ports.p.control": None}
    )
    drawn = [
        draw_port(port.window[1], port, 3, 0)
        for port in (compile_plan(s).ports[0] for s in (bare, random, knowing_nothing))
    ]
    assert all(np.array_equal(drawn[0].channel, other.channel) for other in drawn[1:])


# --- what the arrangement does with the checks it frees -----------------------------

PARTNER_PORT: dict[str, Any] = {
    "mode": "sea",
    "arrivals": {"per_day": 3000},
    "origins": {"CHL": 0.6, "OTHER": 0.4},
    "national_aeo_share": 0.1,
    "channels": {
        "standard": {"green": 0.6, "yellow": 0.4, "red": 0.0},
        "national_aeo": {"green": 0.95, "yellow": 0.05, "red": 0.0},
    },
    "routes": {"yellow": ["doc"]},
    "stations": {"doc": {"servers": 5000, "service_h": {"dist": "deterministic", "value": 0.5}}},
}


def _partner_plans(control: dict[str, Any]) -> tuple[Any, Any]:
    """The port without and with the arrangement (80% of partner AEOs claiming)."""
    plans = []
    for in_force in (False, True):
        data = {
            "name": "partners",
            "horizon_days": 14,
            "warmup_days": 0,
            "arrangement": {"in_force": in_force, "members": ["CHL", "PER"], "utilisation": 0.8},
            "countries": {
                "PER": {"ports": {"p": {**PARTNER_PORT, "control": control}}},
                "CHL": {"aeo_exporter_share": 0.5},
            },
        }
        plans.append(compile_plan(scenario_from_dict(data)).ports[0])
    return plans[0], plans[1]


def _paired(control: dict[str, Any], replications: int = 30) -> dict[str, np.ndarray]:
    """Per replication, with minus without: checks, detections, hit rate, and the
    declarations that moved to the recognised group."""
    without, with_ = _partner_plans(control)
    out: dict[str, list[float]] = {"checks": [], "found": [], "hit": [], "recognised": []}
    for r in range(replications):
        a = draw_port(without.window[1], without, 21, r)
        b = draw_port(with_.window[1], with_, 21, r)
        assert np.array_equal(a.infringing, b.infringing)  # the same shipments infringe
        checks_a, checks_b = (a.channel > 0).sum(), (b.channel > 0).sum()
        out["checks"].append(checks_b - checks_a)
        out["found"].append(b.detected.sum() - a.detected.sum())
        out["hit"].append(b.detected.sum() / checks_b - a.detected.sum() / checks_a)
        out["recognised"].append((b.group == 2).sum())
    return {k: np.array(v, dtype=float) for k, v in out.items()}


def _interval(values: np.ndarray) -> tuple[float, float]:
    half = stats.t.ppf(0.5 + CONFIDENCE / 2, len(values) - 1) * stats.sem(values)
    return values.mean() - half, values.mean() + half


CONTROL = {
    "prevalence": {"standard": 0.06, "partner_aeo": 0.01},
    "detection": {"doc": 0.7},
    "targeting": "score",
    "auc": 0.75,
}


def test_retargeting_keeps_the_checks_and_raises_the_hit_rate() -> None:
    """With partner AEOs less often infringing than the others, the checks recognition
    frees, re-targeted to the next-highest standard scores, find more: as many checks
    (the interval of the paired change covers zero, within 0.5% of them), a higher hit
    rate and more detections."""
    paired = _paired({**CONTROL, "freed_checks": "retarget"})
    low, high = _interval(paired["checks"])
    assert low <= 0 <= high
    assert max(-low, high) < 0.005 * 0.4 * 3000 * 14
    assert _interval(paired["hit"])[0] > 0
    assert _interval(paired["found"])[0] > 0


def test_releasing_makes_fewer_checks_and_finds_fewer() -> None:
    """Without re-targeting, the checks of claiming partner AEOs are simply not made:
    those a standard threshold gave them less the recognised group's 5%, a little less
    found, and a higher hit rate (the checks given up were on the less risky)."""
    paired = _paired({**CONTROL, "freed_checks": "release"})
    assert _interval(paired["checks"])[1] < 0
    assert _interval(paired["found"])[1] < 0
    assert _interval(paired["hit"])[0] > 0
    # a claiming partner AEO had a standard declaration's chance of a check, as scored
    expected = -paired["recognised"] * (0.4 * _partner_share_checked() - 0.05)
    low, high = _interval(paired["checks"] - expected)
    assert low <= 0 <= high


def _partner_share_checked() -> float:
    """The share of partner AEOs' declarations (prevalence 0.01) that a standard threshold
    set for 40% of standard declarations checks, relative to 40%. Without the arrangement,
    30% of standard declarations are partner AEOs' (60% from CHL, half of them by AEOs)."""
    p = np.array([0.06, 0.01])
    weights = np.array([0.7, 0.3])  # standard declarations: neither, partner AEO
    delta = math.sqrt(2) * stats.norm.ppf(0.75)

    def tail(t: float, prevalence: float) -> float:
        return (1 - prevalence) * stats.norm.sf(t) + prevalence * stats.norm.sf(t - delta)

    t = optimize.brentq(lambda t: weights @ [tail(t, q) for q in p] - 0.4, -20, 20, xtol=1e-14)
    return tail(t, 0.01) / 0.4


# --- capacity: a fixed number of checks a day ------------------------------------------


def test_capacity_spends_the_days_checks_on_high_scores_without_look_ahead() -> None:
    """``checks_per_day`` yellow 300 and red 150 among 3000 declarations a day: no day
    spends more than its budget of either, the budget is nearly spent, a channel never
    depends on a later arrival, and a better score finds more with the same checks."""
    found = {}
    for auc in (0.55, 0.9):
        control = {
            "prevalence": {"standard": 0.05},
            "detection": {"doc": 1.0},
            "targeting": "capacity",
            "auc": auc,
            "checks_per_day": {"yellow": 300, "red": 150},
        }
        scenario = _scenario(control, 0.2, per_day=3000).with_overrides(
            {"countries.PER.ports.p.routes.red": ["doc"]}
        )
        port = compile_plan(scenario).ports[0]
        drawn = draw_port(port.window[1], port, 4, 0)
        day = (drawn.arrival // 24).astype(int)
        for channel, budget in ((1, 300), (2, 150)):
            daily = np.bincount(day, weights=drawn.channel == channel)
            assert daily.max() <= budget
            assert daily.mean() >= 0.97 * budget
        shorter = draw_port(port.window[1] / 2, port, 4, 0)  # the same shipments, fewer days
        assert np.array_equal(shorter.channel, drawn.channel[: shorter.n])
        found[auc] = drawn.detected.sum() / drawn.infringing.sum()
    assert found[0.9] > found[0.55] + 0.2


# --- no infraction: nothing changes --------------------------------------------------


ZERO = {"standard": 0.0, "national_aeo": 0.0, "partner_aeo": 0.0}


@pytest.mark.parametrize(
    "extra",
    [
        {"targeting": "score", "auc": 0.8, "freed_checks": "retarget"},
        {"targeting": "capacity", "auc": 0.8, "checks_per_day": {"yellow": 10, "red": 1}},
    ],
    ids=["score-retarget", "capacity"],
)
def test_with_every_prevalence_zero_every_clearance_number_is_unchanged(extra) -> None:
    """A control side with nothing to find: every clearance number to the bit as without a
    control side, and every control indicator of what is found zero (the detection rate,
    found over infractions, has no infraction to divide by: undefined, NaN). The checks are
    those made, as without a control side."""
    data = {
        "name": "zero",
        "horizon_days": 5,
        "warmup_days": 1,
        "arrangement": {"members": ["CHL", "PER"], "utilisation": 0.8},
        "countries": {
            "PER": {"ports": {"p": {**PARTNER_PORT, "arrivals": {"per_day": 300}}}},
            "CHL": {"aeo_exporter_share": 0.5},
        },
    }
    bare = scenario_from_dict(data)
    control = {
        "prevalence": ZERO,
        "detection": {"doc": 0.9},
        "stake": {"dist": "exponential", "mean": 900},
        **extra,
    }
    zeroed = bare.with_overrides({"countries.PER.ports.p.control": control})
    tables = [
        sim.compare(list(pair), ["without", "with"], replications=2, seed=3, workers=1).table()
        for pair in (sim.arrangement_variants(s)[0] for s in (bare, zeroed))
    ]
    keys = ["kind", "scenario", "country", "mode", "port", "group", "station", "metric"]
    plain, controlled = (t.set_index(keys) for t in tables)
    extra_rows = controlled.loc[controlled.index.difference(plain.index)]
    assert set(extra_rows.index.get_level_values("metric")) == {
        "checks", "infractions", "detections", "hit_rate", "detection_rate", "missed",
        "revenue_at_risk_usd", "detections_per_officer_h",
    }  # fmt: skip
    same = controlled.loc[plain.index]
    columns = ["mean", "ci_low", "ci_high", "replications"]
    assert same[columns].to_numpy().tobytes() == plain[columns].to_numpy().tobytes()
    values = extra_rows[extra_rows.index.get_level_values("kind") == "value"]
    rates = values.index.get_level_values("metric") == "detection_rate"
    assert values.loc[rates, "mean"].isna().all()
    checks = values.index.get_level_values("metric") == "checks"
    counted = values.loc[~rates & ~checks, "mean"]
    assert ((counted == 0) | counted.isna()).all()  # NaN: a group with no check at all
    assert (values.loc[checks, "mean"] > 0).any()
