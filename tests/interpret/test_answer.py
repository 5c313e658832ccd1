"""``sim.answer``: the sentence and the per-country table, from the comparison table alone."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
from helpers import area_row
from scipy.special import stdtrit

import sim
from sim.interpret.answer import Settings, answer_of, relative_change
from sim.replicate.stats import Accumulator, Estimate

ONE_OFFICE = Path(__file__).resolve().parents[2] / "scenarios" / "one-office.yaml"
SHORT = {"horizon_days": 5, "warmup_days": 1}


def office(**changes: object) -> sim.Scenario:
    return sim.load_scenario(ONE_OFFICE).with_overrides({**SHORT, **changes})


def two_countries(chile_clock: str | None) -> sim.Scenario:
    """one-office with Chile importing through a copy of Callao."""
    data = office().model_dump(mode="json", by_alias=True, exclude_none=True)
    port = dict(data["countries"]["PER"]["ports"]["callao"])
    port["origins"] = {"CHN": 0.5, "PER": 0.2, "BRA": 0.1, "ARG": 0.1, "OTHER": 0.1}
    data["countries"]["CHL"]["ports"] = {"valparaiso": port}
    if chile_clock is not None:
        data["countries"]["CHL"]["clock"] = chile_clock
    return sim.model.load.scenario_from_dict(data)


def compared(scenario: sim.Scenario, utilisations: list[float] | None = None) -> tuple:
    scenarios, labels = sim.arrangement_variants(scenario, utilisations)
    result = sim.compare(scenarios, labels, replications=5, workers=1, seed=4)
    return result, result.table()


@pytest.fixture(scope="module")
def one() -> tuple:
    return compared(office())


# --- the relative change ------------------------------------------------------------------


def paired_table(baseline: np.ndarray, compared_: np.ndarray) -> tuple[Estimate, ...]:
    """What the comparison table holds for one indicator: two values and their difference."""
    out = []
    for values in (baseline, compared_, compared_ - baseline):
        acc = Accumulator(1)
        for v in values:
            acc.add(np.array([v]))
        mean, low, high = (float(x[0]) for x in acc.result())
        out.append(Estimate(mean, low, high))
    return tuple(out)


def test_relative_change_is_the_ratio_estimator_with_its_delta_method_interval() -> None:
    """From the table's three rows alone, the same interval as from the replications:
    R = mean(D) / mean(B), half-width t * sd(D - R B) / sqrt(n) / |mean(B)|."""
    rng = np.random.default_rng(7)
    n = 12
    baseline = rng.normal(60, 6, n)
    compared_ = baseline * 0.97 + rng.normal(0, 0.4, n)
    b, x, d = paired_table(baseline, compared_)
    found = relative_change(b, x, d, n)
    difference = compared_ - baseline
    ratio = difference.mean() / baseline.mean()
    residual = difference - ratio * baseline
    half = stdtrit(n - 1, 0.975) * residual.std(ddof=1) / math.sqrt(n) / abs(baseline.mean())
    assert found.mean == pytest.approx(100 * ratio, rel=1e-12)
    assert found.half_width == pytest.approx(100 * half, rel=1e-9)


def test_relative_change_interval_covers_the_true_ratio_at_95_percent() -> None:
    """4,000 synthetic paired experiments of 20 replications with a known ratio of means.

    A correct 95% interval covers the truth with probability 0.95, so the count of
    covering intervals lies within 0.95 +- 3.29 sd of a binomial (a 99.9% band: a correct
    interval fails this test with probability 0.001; seeded, so the run is repeatable).
    """
    rng = np.random.default_rng(2024)
    trials, n = 4000, 20
    truth = -0.04  # E[D] / E[B]
    baseline = rng.gamma(25, 4, (trials, n))  # mean 100, cv 0.2
    effect = truth * 100 + 0.02 * (baseline - 100) + rng.normal(0, 1.5, (trials, n))
    t = stdtrit(n - 1, 0.975)

    def rows(values: np.ndarray) -> list[Estimate]:
        """Each trial's mean and Student-t interval, as the comparison table holds them."""
        mean, half = values.mean(axis=1), t * values.std(axis=1, ddof=1) / math.sqrt(n)
        return [Estimate(m, m - h, m + h) for m, h in zip(mean, half, strict=True)]

    covered = sum(
        found.low <= 100 * truth <= found.high
        for found in map(
            lambda b, x, d: relative_change(b, x, d, n),
            rows(baseline),
            rows(baseline + effect),
            rows(effect),
        )
    )
    band = 3.29 * math.sqrt(0.95 * 0.05 / trials)
    assert abs(covered / trials - 0.95) <= band, covered / trials


def test_no_interval_when_the_rows_rest_on_different_replications() -> None:
    b, x, d = Estimate(10, 9, 11), Estimate(9, 8, 10), Estimate(-1, -1.2, -0.8)
    assert not relative_change(b, x, d, 0).has_interval
    assert relative_change(b, x, d, 0).mean == pytest.approx(-10)
    assert math.isnan(relative_change(Estimate(0.0, -1, 1), x, d, 5).mean)


# --- the answer from a real comparison ---------------------------------------------------


def test_rows_are_the_tables_numbers(one: tuple) -> None:
    result, table = one
    found = answer_of(result.to_results())
    (row,) = found.rows
    change = area_row(
        table, kind="difference", country="PER", group="eligible", metric="clearance_h_mean"
    )
    green = area_row(
        table, kind="difference", country="PER", group="eligible", metric="green_share"
    )
    others = area_row(
        table, kind="difference", country="PER", group="not_eligible", metric="clearance_h_mean"
    )
    assert row.clearance == Estimate(change["mean"], change["ci_low"], change["ci_high"])
    assert row.green == Estimate(green["mean"], green["ci_low"], green["ci_high"])
    assert row.others.mean == others["mean"]
    cost = area_row(
        table, kind="difference", country="PER", group="all", metric="delay_cost_usd_1.3pct"
    )
    shipments = area_row(
        table, kind="value", scenario="with", country="PER", group="all", metric="shipments"
    )
    assert row.saving.mean == pytest.approx(-cost["mean"] * shipments["mean"] / 5 * 365, rel=1e-12)
    assert found.rate == 0.013


def test_one_sentence_per_question_with_the_rounded_numbers(one: tuple) -> None:
    result, table = one
    (sentence,) = answer_of(result.to_results()).sentences
    assert sentence.startswith(
        "With the arrangement in force and 40% of eligible shipments claiming recognition, "
        "partner-AEO shipments in Peru clear "
    )
    change = area_row(
        table, kind="difference", country="PER", group="eligible", metric="clearance_h_mean"
    )
    hours = float(re.search(r"clear ([0-9.]+) h", sentence).group(1))
    half = (change["ci_high"] - change["ci_low"]) / 2
    # two significant figures of the half-width, and at most two of the number itself
    places = min(1 - math.floor(math.log10(half)), 1 - math.floor(math.log10(-change["mean"])))
    assert hours == round(-change["mean"], places)
    assert "sooner" in sentence and "points more green channel" in sentence
    assert (
        "cost of delay" in sentence
        and "at an assumed 1.3% of the goods' declared value per day" in sentence
    )


def test_no_declared_value_means_no_cost_and_says_so() -> None:
    scenario = office(**{"countries.PER.ports.callao.value_usd": None})
    result, table = compared(scenario)
    assert not table["metric"].str.startswith("delay_cost").any()
    found = answer_of(result.to_results())
    assert not found.has_savings
    assert found.without_value == ["PER"]
    assert found.sentences[0].endswith("no declared value: cost of delay not computed.")


@pytest.mark.parametrize(
    ("chile_clock", "verb"),
    [(None, "may differ"), ("presence of the cargo registered with customs to release", "differ")],
    ids=["unstated", "different"],
)
def test_a_region_pooling_different_clocks_is_labelled_and_read_within_countries(
    chile_clock: str | None, verb: str
) -> None:
    result, _ = compared(two_countries(chile_clock))  # Peru states its clock
    found = answer_of(result.to_results())
    assert found.pooled_clocks_differ
    assert found.pooled_note == f"the region pools countries whose clearance clocks {verb}"
    assert [row.area for row in found.rows] == ["PER", "CHL", "all"]
    (sentence,) = found.sentences
    assert f"across the region (pooled over countries whose clocks {verb})" in sentence
    assert "within countries" in sentence
    pooled = sentence.split("within countries")[0]
    assert " h " not in pooled, "hours pooled over different clocks are not a finding"


def test_a_region_whose_countries_share_a_clock_reads_in_hours() -> None:
    clock = "arrival of the goods to customs release"
    result, _ = compared(two_countries(chile_clock=clock))
    found = answer_of(result.to_results())
    assert not found.pooled_clocks_differ
    assert re.search(
        r"clear [0-9.]+ (h|min) \([0-9.]+%\) (sooner|later) across the region", found.sentences[0]
    )


def test_a_sweep_is_one_question_with_a_row_per_country_and_level() -> None:
    result, _ = compared(office(), utilisations=[0, 0.5, 1])
    assert result.labels == ["without", "u=0.5", "u=1"]  # 0 is the baseline
    found = answer_of(result.to_results())
    assert found.sweep and len(found.sentences) == 1
    assert found.sentences[0].startswith(
        "As utilisation rises from 50% to 100% of eligible shipments"
    )
    assert [(row.area, row.claim_probability) for row in found.rows] == [("PER", 0.5), ("PER", 1.0)]


def test_countries_restrict_the_answer(one: tuple) -> None:
    result, _ = compared(two_countries(chile_clock=None))
    found = answer_of(result.to_results(), countries=["CHL"])
    assert [row.area for row in found.rows] == ["CHL"]
    assert "in Chile" in found.sentences[0]


def test_settings_come_from_the_scenarios() -> None:
    scenario = sim.load_scenario("one-office", ["horizon_days=7", "arrangement.in_force=false"])
    settings = Settings.of(["without"], [scenario])
    assert settings.claim_probability("without") == 0.0
    assert settings.scenarios["without"].horizon_days == 7
