"""The input sampler: lodgement leads and lags, per-channel stages, draws keyed by names."""

from __future__ import annotations

import copy
from dataclasses import fields
from typing import Any

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy import stats

from sim import streams
from sim.engine.inputs import (
    ARRIVALS,
    CHUNK,
    GREEN,
    LODGEMENT,
    RED,
    RELEASE,
    SERVICE,
    UNLOADING,
    YELLOW,
    Reference,
    _unit_poisson_epochs,
    draw_port,
    port_key,
)
from sim.model.load import scenario_from_dict
from sim.plan.compile import compile_plan

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
    return draw_port(plan.ports[0].window[1], plan.ports[0], seed, 0)


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


# every law, so that a chunk's batched counter blocks meet each kind of first block
LAWS: list[dict[str, Any]] = [
    {"dist": "exponential", "mean": 2},
    {"dist": "lognormal", "mean": 3, "cv": 1.2},
    {"dist": "gamma", "mean": 4, "cv": 0.5},
    {"dist": "gamma", "mean": 4, "cv": 1.5},  # shape below 1: boosted
    fixed(2),
    {"dist": "uniform", "low": 1, "high": 5},
    {"dist": "triangular", "low": 1, "mode": 2, "high": 6},
    {"dist": "empirical", "values": [1, 2, 3, 7]},
    {"dist": "empirical", "quantiles": {0: 0.5, 0.5: 2, 0.9: 6, 1: 12}},
]


@pytest.mark.parametrize("first", range(len(LAWS)))
def test_batched_draws_equal_the_scalar_sampler(first: int) -> None:
    """draw_port computes a chunk's counter blocks together (SIMD); every time it draws
    must equal, to the bit, the one-at-a-time sampler ``streams.variate`` at the same
    counter (and gamma's rejections and the ziggurat's tails still draw their own)."""
    law = [LAWS[(first + j) % len(LAWS)] for j in range(5)]
    port = copy.deepcopy(PORT)
    port["arrivals"]["per_day"] = 60
    port["stations"]["doc"]["service_h"] = law[0]
    port["stations"]["exam"]["service_h"] = law[1]
    port["lodgement"] = {"pre_arrival_share": {"standard": 0.3}, "lead_h": law[2]}
    port["lodgement"]["delay_h"] = law[3]
    port["delays"] = {"release_h": law[4], "unloading_h": law[0]}
    scenario = scenario_from_dict(
        {"name": "t", "horizon_days": 10, "countries": {"PER": {"ports": {"p": port}}}}
    )
    plan = compile_plan(scenario)
    p = plan.ports[0]
    drawn = draw_port(p.window[1], p, 5, 2)
    k0, k1 = port_key(5, 2, p)

    def scalar(d: int, k: int, purpose: int, station: int = 0) -> float:
        return streams.variate(*p.bank, d, k0, k1, k, purpose, station)

    for k in range(drawn.n):
        g, c = drawn.group[k], drawn.channel[k]
        cell = 3 * c + g
        early = drawn.lodgement[k] < drawn.arrival[k]
        lag = scalar(p.stage_dist[3 if early else 0, cell], k, LODGEMENT)
        assert drawn.lodgement[k] == (drawn.arrival[k] - lag if early else drawn.arrival[k] + lag)
        assert drawn.unloading[k] == scalar(p.stage_dist[1, cell], k, UNLOADING)
        assert drawn.release_delay[k] == scalar(p.stage_dist[2, cell], k, RELEASE)
        for s in p.route_station[c, : p.route_length[c]]:
            expected = scalar(p.service_dist[s, g], k, SERVICE, int(p.station_keys[s]))
            assert drawn.service[s, k] == expected
    assert drawn.n > 2 * CHUNK  # several chunks, the last one partial


def test_blocks_are_philox_of_each_counter() -> None:
    counters = np.random.default_rng(1).integers(0, 2**32, (4, 37), dtype=np.uint32)
    out = np.empty((4, 37), dtype=np.uint32)
    k0, k1 = np.uint64(0xDEADBEEF), np.uint64(0x12345678)
    streams.blocks(counters, k0, k1, 37, out)
    for i in range(37):
        expected = streams.philox(*(np.uint64(c) for c in counters[:, i]), k0, k1)
        assert tuple(int(w) for w in out[:, i]) == tuple(int(w) for w in expected)


@pytest.mark.parametrize("total", [0.0, 0.3, 37.5, 3 * CHUNK + 0.5])
@pytest.mark.parametrize("room", [-1, 0, 1, CHUNK + 3])
def test_arrival_epochs_are_the_sums_of_each_counters_exponential(total: float, room: int) -> None:
    """Epoch i is the sum of the exponentials of counters 0..i, the last one below
    ``total``; the same whatever the array's first size (``room`` -1: the default; the
    small ones make it grow, between chunks, once or many times)."""
    k0, k1 = np.uint64(0xDEADBEEF), np.uint64(0x12345678)
    expected, t = [], 0.0
    while True:
        t += streams.exponential(k0, k1, len(expected), ARRIVALS, 0)
        if t >= total:
            break
        expected.append(t)
    epochs = _unit_poisson_epochs(k0, k1, total, room)
    assert epochs.tolist() == expected


# --- a comparison's later scenario drawn from its first (inputs.Reference) -------------

AEO_PORT: dict[str, Any] = {
    **PORT,
    "arrivals": {"per_day": 400, "batch_size": {"dist": "uniform", "low": 1, "high": 3}},
    "origins": {"CHL": 0.6, "OTHER": 0.4},
    "national_aeo_share": 0.3,
    "channels": {
        "standard": {"green": 0.5, "yellow": 0.3, "red": 0.2},
        "national_aeo": {"green": 0.8, "yellow": 0.1, "red": 0.1},
    },
    "lodgement": {
        "pre_arrival_share": {"standard": 0.3, "national_aeo": 0.7, "recognised_aeo": 0.5},
        "lead_h": {"dist": "lognormal", "mean": 8, "cv": 1.0},  # as the lag: one counter,
        "delay_h": {"dist": "lognormal", "mean": 8, "cv": 1.0},  # the same time, either side
    },
    "delays": {
        "unloading_h": {"dist": "gamma", "mean": 6, "cv": 0.5},
        "release_h": {
            "green": {"standard": {"dist": "exponential", "mean": 1}, "national_aeo": fixed(0.5)},
            "red": fixed(5),
        },
    },
}
"""Every group, a lead and a lag, and a delay per group: room for each kind of change."""

CHANGES: dict[str, tuple[str, Any]] = {  # what a later scenario may change, as --set would
    "utilisation": ("arrangement.utilisation", 0.9),
    "not in force": ("arrangement.in_force", False),
    "recognised channels": (
        "countries.PER.ports.p.channels.recognised_aeo",
        {"green": 0.95, "yellow": 0.05, "red": 0.0},
    ),
    "pre-arrival share": ("countries.PER.ports.p.lodgement.pre_arrival_share.standard", 0.6),
    "lag": ("countries.PER.ports.p.lodgement.delay_h", {"dist": "exponential", "mean": 8}),
    "release": ("countries.PER.ports.p.delays.release_h", {"dist": "exponential", "mean": 2}),
    "service": ("countries.PER.ports.p.stations.doc.service_h", {"dist": "exponential", "mean": 1}),
    "servers": ("countries.PER.ports.p.stations.exam.servers", 9),
    "arrivals": ("countries.PER.ports.p.arrivals.per_day", 500),
    "batches": ("countries.PER.ports.p.arrivals.batch_size", fixed(2)),  # the same mean
    "stations reordered": (  # and alike: only the station's name tells their draws apart
        "countries.PER.ports.p.stations",
        {"exam": AEO_PORT["stations"]["doc"], "doc": AEO_PORT["stations"]["doc"]},
    ),
    "station added": (
        "countries.PER.ports.p.stations.scan",
        {"servers": 1, "service_h": fixed(0.1)},
    ),
    "route": ("countries.PER.ports.p.routes.yellow", ["exam"]),
    "control": (  # a risk score re-targeting the checks recognition frees
        "countries.PER.ports.p.control",
        {
            "prevalence": {"standard": 0.08, "partner_aeo": 0.02},
            "detection": {"doc": 0.3, "exam": 0.8},
            "stake": {"dist": "lognormal", "mean": 5000, "cv": 1},
            "targeting": "score",
            "auc": 0.8,
            "freed_checks": "retarget",
        },
    ),
    "capacity": (  # checks a day, spent as shipments come
        "countries.PER.ports.p.control",
        {
            "prevalence": {"standard": 0.05},
            "detection": {"exam": 0.7},
            "targeting": "capacity",
            "auc": 0.7,
            "checks_per_day": {"yellow": 60, "red": 30},
        },
    ),
}


def aeo_plan(changes: list[str]):
    from sim.model.load import set_field

    data: dict[str, Any] = {
        "name": "t",
        "horizon_days": 4,
        "arrangement": {"in_force": True, "members": ["CHL", "PER"], "utilisation": 0.4},
        "countries": {"PER": {"ports": {"p": copy.deepcopy(AEO_PORT)}}, "CHL": {}},
    }
    data["countries"]["CHL"]["aeo_exporter_share"] = 0.5
    for change in changes:
        path, value = CHANGES[change]
        set_field(data, path, copy.deepcopy(value), "test")
    return compile_plan(scenario_from_dict(data))


def each_change_alone(test):
    """Every change on its own, whatever else hypothesis draws (a list of up to three of
    a dozen changes, with the same seed, drew some only now and then)."""
    for change in CHANGES:
        test = example(changes=[change], seed=7, other="")(test)
    return test


@given(
    changes=st.lists(st.sampled_from(sorted(CHANGES)), max_size=3, unique=True),
    seed=st.integers(0, 2**32 - 1),
    other=st.sampled_from(["", "seed", "replication"]),
)
@each_change_alone
@settings(max_examples=40, deadline=None)
def test_a_port_drawn_from_a_reference_equals_it_drawn_afresh(
    changes: list[str], seed: int, other: str
):
    """Whatever a later scenario changes, the draws copied from the first scenario's leave
    every array as drawing them afresh would, bit for bit (NaN where nothing is drawn),
    and a reference drawn with another seed or replication lends nothing."""
    first, later = aeo_plan([]), aeo_plan(changes)
    end = first.ports[0].window[1]
    there = (seed + (other == "seed"), 1 + (other == "replication"))
    reference = Reference(first.ports[0], draw_port(end, first.ports[0], *there), end, *there)
    copied = draw_port(end, later.ports[0], seed, 1, like=reference)
    fresh = draw_port(end, later.ports[0], seed, 1)
    for field in fields(fresh):
        a, b = getattr(copied, field.name), getattr(fresh, field.name)
        assert same_array(a, b), field.name


def same_array(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    """Equal to the bit (NaN where nothing is drawn), or both absent (no control side)."""
    if a is None or b is None:
        return a is None and b is None
    return a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)


def test_a_reference_saves_the_draws_the_scenarios_share() -> None:
    """With and without the arrangement, only the claimants' draws can differ: most are
    copied (the copies are counted as the draws whose arrays the two share, bit for bit)."""
    first, later = aeo_plan([]), aeo_plan(["not in force"])
    end = first.ports[0].window[1]
    a = draw_port(end, first.ports[0], 5, 1)
    b = draw_port(end, later.ports[0], 5, 1, like=Reference(first.ports[0], a, end, 5, 1))
    assert b.arrival is a.arrival  # shared, not drawn
    changed = a.group != b.group
    assert 0 < changed.mean() < 0.5
    assert np.array_equal(a.unloading[~changed], b.unloading[~changed])


def test_what_two_ports_share_is_worked_out_once_per_pair(monkeypatch) -> None:
    """``draw_port`` keeps what a pair of ports draws alike (plans do not change during a
    run); each pair gets its own (a port drawn from two references, two ports from one),
    and the same pair is compared once, whatever the replication."""
    from sim.engine import inputs as module

    compared = []
    compare = module._compare_ports

    def counting(port, reference):
        compared.append((port, reference))
        return compare(port, reference)

    monkeypatch.setattr(module, "_compare_ports", counting)
    first, same, other = aeo_plan([]), aeo_plan([]), aeo_plan(["route"])
    pairs = [(same, first), (same, other), (other, first)]
    end = first.ports[0].window[1]
    for r in (1, 2):
        for plan, there in pairs:
            drawn = draw_port(end, there.ports[0], 5, r)
            reference = Reference(there.ports[0], drawn, end, 5, r)
            copied = draw_port(end, plan.ports[0], 5, r, like=reference)
            fresh = draw_port(end, plan.ports[0], 5, r)
            for field in fields(fresh):
                a, b = getattr(copied, field.name), getattr(fresh, field.name)
                assert same_array(a, b), field.name
    assert compared == [(plan.ports[0], there.ports[0]) for plan, there in pairs]
