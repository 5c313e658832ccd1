"""The input sampler: lodgement leads and lags, per-channel stages, draws keyed by names."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
from scipy import stats

from sim.inputs import GREEN, RED, YELLOW, draw_port
from sim.plan import compile_plan
from sim.scenario import scenario_from_dict

CONFIDENCE = 0.999


def fixed(value: float) -> dict[str, Any]:
    return {"dist": "deterministic", "value": value}


PORT: dict[str, Any] = {
    "mode": "sea",
    "arrivals": {"per_day": 400},
    "origins": {"OTHER": 1.0},
    "channels": {"standard": {"green": 0.5, "yellow": 0.3, "red": 0.2}},
    "routes": {"yellow": ["doc"], "red": ["doc", "exam"]},
    "stations": {
        "doc": {"servers": 3, "service_h": {"dist": "exponential", "mean": 0.5}},
        "exam": {"servers": 3, "service_h": {"dist": "lognormal", "mean": 2, "cv": 0.5}},
    },
    "lodgement": {
        "pre_arrival_share": {"standard": 0.3},
        "lead_h": fixed(72),
        "delay_h": {"yellow": fixed(8), "red": fixed(8)},
    },
    "delays": {"release_h": {"red": fixed(5)}},
}


def inputs(port: dict[str, Any], seed: int = 3):
    scenario = scenario_from_dict(
        {"name": "t", "horizon_days": 10, "countries": {"PER": {"ports": {"p": port}}}}
    )
    plan = compile_plan(scenario)
    return draw_port(plan.window[1], plan.ports[0], seed, 0)


def test_advance_declarations_take_the_lead_and_late_ones_the_lag() -> None:
    drawn = inputs(PORT)
    offset = drawn.lodgement - drawn.arrival
    green = drawn.channel == GREEN
    # green has no lag: lodged on arrival unless lodged ahead (the lead has every channel)
    assert set(np.round(offset[green], 9)) <= {0.0, -72.0}
    assert set(np.round(offset[~green], 9)) <= {8.0, -72.0}
    early = offset < 0
    low, high = stats.binom(len(offset), 0.3).interval(CONFIDENCE)
    assert low <= early.sum() <= high


def test_without_a_lead_advance_declarations_take_the_lag() -> None:
    port = copy.deepcopy(PORT)
    del port["lodgement"]["lead_h"]
    drawn = inputs(port)
    offset = np.round(drawn.lodgement - drawn.arrival, 9)
    assert set(offset[drawn.channel == GREEN]) == {0.0}
    assert set(offset[drawn.channel != GREEN]) == {8.0, -8.0}


def test_a_channel_without_a_stage_draws_none() -> None:
    drawn = inputs(PORT)
    assert (drawn.release_delay[drawn.channel == RED] == 5).all()
    assert (drawn.release_delay[drawn.channel != RED] == 0).all()
    visits_exam = drawn.channel == RED
    visits_doc = drawn.channel != GREEN
    assert np.isnan(drawn.service[1, ~visits_exam]).all()
    assert (drawn.service[1, visits_exam] > 0).all()
    assert np.isnan(drawn.service[0, ~visits_doc]).all()
    assert (drawn.channel == YELLOW).any()


def test_draws_follow_names_not_positions() -> None:
    """A station added before the others leaves their service times and every other draw
    as they were: streams are keyed by station name."""
    port = copy.deepcopy(PORT)
    port["stations"] = {"scan": {"servers": 1, "service_h": fixed(0.1)}, **port["stations"]}
    port["routes"] = {"yellow": ["doc"], "red": ["scan", "doc", "exam"]}
    before, after = inputs(PORT), inputs(port)
    np.testing.assert_array_equal(before.arrival, after.arrival)
    np.testing.assert_array_equal(before.channel, after.channel)
    np.testing.assert_array_equal(before.lodgement, after.lodgement)
    np.testing.assert_array_equal(before.service[0], after.service[1])  # doc
    np.testing.assert_array_equal(before.service[1], after.service[2])  # exam


def test_same_seed_same_draws_other_seed_other_draws() -> None:
    a, b, c = inputs(PORT, 3), inputs(PORT, 3), inputs(PORT, 4)
    np.testing.assert_array_equal(a.arrival, b.arrival)
    np.testing.assert_array_equal(np.nan_to_num(a.service), np.nan_to_num(b.service))
    assert len(a.arrival) != len(c.arrival) or not np.array_equal(a.arrival, c.arrival)
