"""The two engines return identical records, bit for bit.

The SimPy engine is the readable statement of the queue semantics; the numba
engine is the fast one. They share only the pre-drawn inputs and the calendar
arithmetic, so exact agreement on deliberately tied inputs (batches,
deterministic service times on a quarter-hour grid, zero service times, shift
openings that release whole queues at once) is strong evidence that both
implement the same rules.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.engine import compiled as engine_numba
from sim.engine import reference as engine_simpy
from sim.engine.inputs import draw_port
from sim.engine.outcome import PortOutcome
from sim.model.load import load_scenario, scenario_from_dict
from sim.plan.compile import compile_plan

SCENARIOS = sorted(Path(__file__).resolve().parents[2].joinpath("scenarios").glob("*.yaml"))
FIELDS = ("unloaded", "lodged", "release", "queued", "start", "end", "overtime", "pool")


def assert_identical(a: PortOutcome, b: PortOutcome) -> None:
    for name in FIELDS:
        x, y = getattr(a, name), getattr(b, name)
        assert x.shape == y.shape, name
        differs = ~((x == y) | (np.isnan(x) & np.isnan(y)))
        assert x.tobytes() == y.tobytes(), f"{name} differs at {np.argwhere(differs)[:5].tolist()}"


def run_both(scenario: Any, seed: int, replication: int = 0) -> int:
    """Run every port of one replication on both engines; return the shipments compared."""
    plan = compile_plan(scenario)
    compared = 0
    for port in plan.ports:
        inputs = draw_port(port.window[1], port, seed, replication)
        reference = engine_simpy.run_port(port, plan.calendars, inputs)
        compiled = engine_numba.run_port(port, plan.calendars, inputs)
        assert_identical(reference, compiled)
        compared += inputs.n
    return compared


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_engines_agree_on_bundled_scenarios(path: Path) -> None:
    # short horizons keep the SimPy side quick; every port and station still runs
    scenario = load_scenario(path, ["horizon_days=3", "warmup_days=1"])
    assert run_both(scenario, seed=7) > 0


# --- random scenarios built to produce ties ---------------------------------

DAY_SETS = [["mon", "tue", "wed", "thu", "fri"], ["mon", "wed", "fri"], "all", ["sat", "sun"]]
GROUP_NAMES = ["standard", "national_aeo", "recognised_aeo"]


@st.composite
def calendars(draw: st.DrawFn) -> dict[str, Any]:
    start = draw(st.integers(0, 22 * 4)) / 4  # quarter hours
    length = draw(st.integers(1, 12 * 4)) / 4
    end = (start + length) % 24
    hours = [f"{int(start):02d}:{int(start % 1 * 60):02d}-{int(end):02d}:{int(end % 1 * 60):02d}"]
    return {"days": draw(st.sampled_from(DAY_SETS)), "hours": hours}


@st.composite
def tied_times(draw: st.DrawFn) -> dict[str, Any]:
    """Service or delay times that make simultaneous events likely."""
    kind = draw(st.sampled_from(["deterministic", "empirical", "exponential"]))
    if kind == "deterministic":
        return {"dist": "deterministic", "value": draw(st.integers(0, 8)) / 4}
    if kind == "empirical":
        values = draw(st.lists(st.integers(0, 12), min_size=1, max_size=4))
        return {"dist": "empirical", "values": [v / 4 for v in values]}
    return {"dist": "exponential", "mean": draw(st.integers(1, 8)) / 4}


@st.composite
def stage_times(draw: st.DrawFn) -> dict[str, Any]:
    """A stage time: one time, per group, or per channel (some channels left out)."""
    kind = draw(st.sampled_from(["one", "by_group", "by_channel"]))
    if kind == "one":
        return draw(tied_times())
    if kind == "by_group":
        return {"standard": draw(tied_times()), "national_aeo": draw(tied_times())}
    channels = draw(st.lists(st.sampled_from(["green", "yellow", "red"]), min_size=1, unique=True))
    return {
        channel: draw(st.one_of(tied_times(), st.fixed_dictionaries({"standard": tied_times()})))
        for channel in channels
    }


@st.composite
def stations(draw: st.DrawFn, calendar_names: list[str]) -> dict[str, Any]:
    station: dict[str, Any] = {
        "servers": draw(st.integers(1, 3)),
        "service_h": draw(tied_times()),
    }
    if draw(st.booleans()):
        station["calendar"] = draw(st.sampled_from(calendar_names))
    if draw(st.booleans()):
        station["priority"] = {g: draw(st.integers(0, 2)) for g in GROUP_NAMES}
    if draw(st.booleans()):
        groups = draw(st.lists(st.sampled_from(GROUP_NAMES), min_size=1, max_size=3, unique=True))
        reserved: dict[str, Any] = {"servers": draw(st.integers(1, 2)), "groups": groups}
        if draw(st.booleans()):
            reserved["calendar"] = draw(st.sampled_from(calendar_names))
        station["reserved"] = reserved
    return station


@st.composite
def controls(draw: st.DrawFn, station_names: list[str]) -> dict[str, Any]:
    """A control side: risk targeting moves channels, so the queues the engines see."""
    targeting = draw(st.sampled_from(["random", "score", "capacity"]))
    control: dict[str, Any] = {
        "prevalence": {
            "standard": draw(st.sampled_from([0.0, 0.05, 0.3])),
            "partner_aeo": draw(st.sampled_from([0.0, 0.01])),
        },
        "detection": {name: draw(st.sampled_from([0.0, 0.5, 1.0])) for name in station_names},
        "targeting": targeting,
        "freed_checks": draw(st.sampled_from(["release", "retarget"])),
    }
    if targeting != "random":
        control["auc"] = draw(st.sampled_from([0.5, 0.7, 0.95]))
    if targeting == "capacity":
        control["checks_per_day"] = {
            "yellow": draw(st.integers(0, 20)),
            "red": draw(st.integers(0, 10)),
        }
    return control


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    calendar_names = ["c0", "c1"]
    cals = {name: draw(calendars()) for name in calendar_names}
    names = [f"s{i}" for i in range(draw(st.integers(1, 3)))]
    routes = {
        channel: draw(st.lists(st.sampled_from(names), unique=True, max_size=len(names)))
        for channel in ("green", "yellow", "red")
    }
    delays: dict[str, Any] = {}
    for delay in ("unloading_h", "release_h"):
        if draw(st.booleans()):
            delays[delay] = draw(stage_times())
            if draw(st.booleans()):
                delays[delay]["calendar"] = draw(st.sampled_from(calendar_names))
    port: dict[str, Any] = {
        "mode": "sea",
        "arrivals": {"per_day": draw(st.integers(5, 60))},
        "origins": {"CHL": 0.5, "OTHER": 0.5},
        "national_aeo_share": draw(st.sampled_from([0.0, 0.3, 0.7])),
        "channels": {
            "standard": {"green": 0.2, "yellow": 0.4, "red": 0.4},
            "national_aeo": {"green": 0.5, "yellow": 0.3, "red": 0.2},
        },
        "routes": routes,
        "stations": {name: draw(stations(calendar_names)) for name in names},
        "delays": delays,
    }
    if draw(st.booleans()):
        port["arrivals"]["batch_size"] = {"dist": "deterministic", "value": draw(st.integers(2, 6))}
    if draw(st.booleans()):
        port["control"] = draw(controls(names))
    if draw(st.booleans()):
        port["lodgement"] = {
            "pre_arrival_share": {"standard": 0.3, "national_aeo": 0.9},
            "delay_h": draw(stage_times()),
        }
        if draw(st.booleans()):
            port["lodgement"]["calendar"] = draw(st.sampled_from(calendar_names))
        if draw(st.booleans()):
            port["lodgement"]["lead_h"] = draw(stage_times())
    return {
        "name": "random",
        "horizon_days": draw(st.sampled_from([2, 4, 7])),
        "warmup_days": 0,
        "calendars": cals,
        "arrangement": {"utilisation": draw(st.sampled_from([0.0, 0.5, 1.0]))},
        "countries": {"PER": {"ports": {"p": port}}, "CHL": {"aeo_exporter_share": 0.5}},
    }


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios(), seed=st.integers(0, 2**32 - 1))
def test_engines_agree_on_random_tied_scenarios(scenario: dict[str, Any], seed: int) -> None:
    run_both(scenario_from_dict(scenario), seed)


def test_engines_agree_when_most_starts_coincide() -> None:
    """Batches of 4 and two servers at fixed half-hours: starts come in same-instant pairs."""
    scenario = {
        "name": "ties",
        "horizon_days": 3,
        "calendars": {"day": {"days": "all", "hours": ["08:00-16:00"]}},
        "countries": {
            "PER": {
                "ports": {
                    "p": {
                        "mode": "sea",
                        "arrivals": {
                            "per_day": 40,
                            "batch_size": {"dist": "deterministic", "value": 4},
                        },
                        "origins": {"OTHER": 1.0},
                        "channels": {"standard": {"green": 0.0, "yellow": 1.0, "red": 0.0}},
                        "routes": {"yellow": ["s"]},
                        "stations": {
                            "s": {
                                "servers": 2,
                                "calendar": "day",
                                "service_h": {"dist": "deterministic", "value": 0.5},
                            }
                        },
                    }
                }
            }
        },
    }
    plan = compile_plan(scenario_from_dict(scenario))
    inputs = draw_port(plan.ports[0].window[1], plan.ports[0], 3, 0)
    out = engine_numba.run_port(plan.ports[0], plan.calendars, inputs)
    starts = out.start[0]
    assert len(starts) - len(np.unique(starts)) >= len(starts) // 2  # the case really is tied
    run_both(scenario_from_dict(scenario), 3)


def test_compiled_normal_draws_equal_numpys() -> None:
    """Lognormal times use numba's Generator.standard_normal for speed: same numbers as NumPy."""
    from sim.model.distributions import standard_normal

    compiled = standard_normal(np.random.Generator(np.random.SFC64(42)), 10_000)
    reference = np.random.Generator(np.random.SFC64(42)).standard_normal(10_000)
    assert compiled.tobytes() == reference.tobytes()


@settings(max_examples=200, deadline=None)
@given(
    times=st.lists(st.sampled_from([0.0, 1.5, 8.0, 8.0, 32.0, 170.25]), max_size=60),
    chosen=st.lists(st.booleans(), max_size=60),
)
def test_ready_order_is_the_stable_sort(times: list[float], chosen: list[bool]) -> None:
    """The engine's order of first joins (an unstable SIMD sort, then ties put in index
    order) is the stable sort's, on times with many ties (shipments held for one opening)."""
    ready = np.array(times)
    queued = np.flatnonzero(np.resize(np.array(chosen or [True]), len(ready)))
    expected = queued[np.argsort(ready[queued], kind="stable")]
    np.testing.assert_array_equal(queued[engine_numba.ready_ranks(ready, queued)], expected)
