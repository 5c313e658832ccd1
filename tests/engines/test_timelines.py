"""Small timelines worked out on paper, run through both engines.

Each case is a handful of shipments with hand-made inputs (no random draws).
Every output array of both engines -- unloading end, service start and end at
each station, overtime, release -- must equal the literal values derived in the
comments, exactly. All times are multiples of 0.25 h, so every sum is exact in
binary floating point and exact equality is the right test.

Time 0 is Monday 00:00, in hours. The ``office`` calendar is open 08:00-17:00
every day: [8, 17), [32, 41), [56, 65), ... An interval is half-open, so at 17.0
the office is closed. No calendar means always open (and never overtime).
"""

from __future__ import annotations

from collections.abc import Callable
from math import nan
from typing import Any

import numpy as np
import pytest

from sim.engine import compiled as engine_numba
from sim.engine import reference as engine_simpy
from sim.engine.inputs import PortInputs
from sim.engine.outcome import PortOutcome
from sim.model.load import scenario_from_dict
from sim.plan.arrays import GENERAL, RESERVED, Calendars, PortPlan
from sim.plan.compile import compile_plan

STD, AEO, REC = 0, 1, 2  # trader groups: standard, national_aeo, recognised_aeo
GREEN, YELLOW, RED = 0, 1, 2
ENGINES = {"simpy": engine_simpy.run_port, "numba": engine_numba.run_port}
OFFICE = {"days": "all", "hours": ["08:00-17:00"]}
PLACEHOLDER = {"dist": "deterministic", "value": 1}  # the inputs below replace every draw

Rows = list[list[float]]  # one row per station, one column per shipment
RunPort = Callable[[PortPlan, Calendars, PortInputs], PortOutcome]


@pytest.fixture(params=list(ENGINES))
def run_port(request: pytest.FixtureRequest) -> RunPort:
    """Each case runs once per engine: the reference (SimPy) and the compiled one."""
    return ENGINES[request.param]


# --- building a case ------------------------------------------------------------


def station(servers: int = 1, **extra: Any) -> dict[str, Any]:
    """A station spec; its service distribution is never sampled here."""
    return {"servers": servers, "service_h": PLACEHOLDER, **extra}


def port_plan(
    stations: dict[str, Any],
    routes: dict[str, list[str]],
    *,
    calendars: dict[str, Any] | None = None,
    delays: dict[str, Any] | None = None,
    lodgement: dict[str, Any] | None = None,
) -> tuple[PortPlan, Calendars]:
    """Compile a one-port scenario; only its queueing network (and calendars) matter."""
    port = {
        "mode": "road",
        "arrivals": {"per_day": 1},
        "origins": {"OTHER": 1.0},
        "channels": {"standard": {"green": 0.0, "yellow": 1.0, "red": 0.0}},
        "routes": routes,
        "stations": stations,
        "delays": delays or {},
    }
    if lodgement is not None:
        port["lodgement"] = lodgement
    plan = compile_plan(
        scenario_from_dict(
            {
                "name": "timeline",
                "horizon_days": 7,
                "calendars": calendars or {},
                "arrangement": {"in_force": False},
                "countries": {"PER": {"ports": {"gate": port}}},
            }
        )
    )
    return plan.ports[0], plan.calendars


def port_inputs(
    arrival: list[float],
    service: Rows,
    *,
    group: list[int] | None = None,
    channel: list[int] | None = None,
    lodgement: list[float] | None = None,
    unloading: list[float] | None = None,
    release_delay: list[float] | None = None,
) -> PortInputs:
    """Inputs as the sampler would give them; defaults: standard, yellow, no delays."""
    n = len(arrival)
    assert sorted(arrival) == arrival, "the engines expect arrivals in time order"
    times = np.array(service, dtype=np.float64)
    assert times.shape == (len(service), n), "one service time per station and shipment"

    def floats(values: list[float] | None, default: list[float]) -> np.ndarray:
        return np.array(default if values is None else values, dtype=np.float64)

    return PortInputs(
        arrival=floats(arrival, []),
        lodgement=floats(lodgement, arrival),  # lodged on arrival
        origin=np.zeros(n, dtype=np.int16),
        group=np.array(group or [STD] * n, dtype=np.int8),
        eligible=np.zeros(n, dtype=np.bool_),
        claimed=np.zeros(n, dtype=np.bool_),
        channel=np.array(channel or [YELLOW] * n, dtype=np.int8),
        unloading=floats(unloading, [0.0] * n),
        release_delay=floats(release_delay, [0.0] * n),
        service=times,
    )


def assert_timeline(
    run_port: RunPort,
    plan: tuple[PortPlan, Calendars],
    inputs: PortInputs,
    *,
    start: Rows,
    end: Rows,
    overtime: Rows,
    release: list[float],
    unloaded: list[float] | None = None,
    lodged: list[float] | None = None,
    pool: Rows | None = None,
) -> None:
    """The engine gives exactly the expected arrays (NaN where a station is not visited).

    ``unloaded`` defaults to the arrival times (right without unloading delay),
    ``lodged`` to the lodgement inputs (right without a lodgement calendar), and
    ``pool`` to the general pool wherever a station was visited.
    """
    expected = {
        "unloaded": inputs.arrival if unloaded is None else unloaded,
        "lodged": inputs.lodgement if lodged is None else lodged,
        "start": start,
        "end": end,
        "overtime": overtime,
        "release": release,
    }
    visited = ~np.isnan(np.asarray(start, dtype=np.float64))
    expected_pool = np.where(visited, GENERAL, -1) if pool is None else np.asarray(pool)
    outcome = run_port(*plan, inputs)
    pools = outcome.by_shipment("pool")
    np.testing.assert_array_equal(pools, expected_pool.astype(np.int8), err_msg="pool")
    for field, values in expected.items():
        stations = field in ("start", "end", "overtime")
        np.testing.assert_array_equal(
            outcome.by_shipment(field) if stations else getattr(outcome, field),
            np.asarray(values, dtype=np.float64),
            err_msg=field,
            strict=True,
        )


# --- calendars ------------------------------------------------------------------


def test_closing_mid_service_gives_overtime_and_defers_the_queue(run_port: RunPort) -> None:
    """One officer, office hours.

    k0 arrives 06:00, office closed: starts at the 08:00 opening, 8 -> 10.
    k1 arrives 15:00: 15 -> 17, ends exactly at closing: no overtime.
    k2 arrives 16:00, waits for k1; at 17.0 the office is already closed, so it
       starts at the next opening, Tue 08:00 = 32: 32 -> 33.
    k3 arrives Tue 16:00 = 40, office open: 40 -> 43 with 3 h service, past the
       17:00 (41) closing: overtime 2.
    k4 arrives 40.5 and waits; at 43 the office is closed: Wed 08:00 = 56,
       56 -> 56.25.
    No release delay: release = end of the check.
    """
    plan = port_plan(
        {"check": station(calendar="office")}, {"yellow": ["check"]}, calendars={"office": OFFICE}
    )
    inputs = port_inputs([6.0, 15.0, 16.0, 40.0, 40.5], [[2.0, 2.0, 1.0, 3.0, 0.25]])
    assert_timeline(
        run_port,
        plan,
        inputs,
        start=[[8.0, 15.0, 32.0, 40.0, 56.0]],
        end=[[10.0, 17.0, 33.0, 43.0, 56.25]],
        overtime=[[0.0, 0.0, 0.0, 2.0, 0.0]],
        release=[10.0, 17.0, 33.0, 43.0, 56.25],
    )


def test_night_shift_across_the_week_end_is_one_shift(run_port: RunPort) -> None:
    """A 22:00-06:00 calendar: its weekly intervals are [0, 6), [22, 30), ..., [166, 168).

    Sunday's shift is stored as [166, 168) plus next week's [168, 174); they
    touch, so they are one shift ending Mon 06:00 = 174.
    k0 arrives Mon 05:00 of week 0: 5 -> 7, shift [0, 6) ends at 6 (the next
       opens at 22): overtime 1.
    k1 arrives Sun 23:00 = 167: 167 -> 172, inside the shift ending at 174.
    k2 arrives 167.5, waits for k1: 172 -> 176, overtime 176 - 174 = 2.
    k3 arrives 173, waits; at 176 closed: next opening Mon 22:00 = 168 + 22 = 190.
    """
    night = {"days": "all", "hours": ["22:00-06:00"]}
    plan = port_plan(
        {"check": station(calendar="night")}, {"yellow": ["check"]}, calendars={"night": night}
    )
    inputs = port_inputs([5.0, 167.0, 167.5, 173.0], [[2.0, 5.0, 4.0, 1.0]])
    assert_timeline(
        run_port,
        plan,
        inputs,
        start=[[5.0, 167.0, 172.0, 190.0]],
        end=[[7.0, 172.0, 176.0, 191.0]],
        overtime=[[1.0, 0.0, 2.0, 0.0]],
        release=[7.0, 172.0, 176.0, 191.0],
    )


# --- order of service -----------------------------------------------------------


def test_batch_arriving_at_once_is_served_in_index_order(run_port: RunPort) -> None:
    """Six shipments at 1.0, two officers, mixed groups but no priorities: index order.

    1.0:  k0 1 -> 2,  k1 1 -> 1.5
    1.5:  k1 done: k2 1.5 -> 2.25
    2.0:  k0 done: k3 2 -> 2.25
    2.25: k2 and k3 done together: k4 2.25 -> 3.25, k5 2.25 -> 2.75
    """
    plan = port_plan({"check": station(2)}, {"yellow": ["check"]})
    inputs = port_inputs(
        [1.0] * 6, [[1.0, 0.5, 0.75, 0.25, 1.0, 0.5]], group=[STD, AEO, STD, AEO, AEO, STD]
    )
    assert_timeline(
        run_port,
        plan,
        inputs,
        start=[[1.0, 1.0, 1.5, 2.0, 2.25, 2.25]],
        end=[[2.0, 1.5, 2.25, 2.25, 3.25, 2.75]],
        overtime=[[0.0] * 6],
        release=[2.0, 1.5, 2.25, 2.25, 3.25, 2.75],
    )


def test_shift_start_serves_queue_by_priority_join_time_and_index(run_port: RunPort) -> None:
    """Two officers, office hours, AEOs (national and recognised) first; all queue overnight.

    Waiting at 08:00: priority 0: k1 (AEO, 2.0), k5 (AEO, 3.0), k6 (REC, 3.0);
    priority 1: k0 (1.0), k2 (2.0), k3 (3.0), k4 (3.0).
    8.0:  k1 8 -> 9, k5 8 -> 8.5 (priority, then join time; k5 before k6 by index)
    8.5:  k6 8.5 -> 8.75 (last of priority 0, though it joined after k0)
    8.75: k0 8.75 -> 9.75
    9.0:  k2 9 -> 9.25
    9.25: k3 9.25 -> 9.75 (same join time as k4, lower index)
    9.75: k0 and k3 done: k4 9.75 -> 10.25
    """
    priority = {"national_aeo": 0, "recognised_aeo": 0, "standard": 1}
    plan = port_plan(
        {"check": station(2, calendar="office", priority=priority)},
        {"yellow": ["check"]},
        calendars={"office": OFFICE},
    )
    inputs = port_inputs(
        [1.0, 2.0, 2.0, 3.0, 3.0, 3.0, 3.0],
        [[1.0, 1.0, 0.25, 0.5, 0.5, 0.5, 0.25]],
        group=[STD, AEO, STD, STD, STD, AEO, REC],
    )
    assert_timeline(
        run_port,
        plan,
        inputs,
        start=[[8.75, 8.0, 9.0, 9.25, 9.75, 8.0, 8.5]],
        end=[[9.75, 9.0, 9.25, 9.75, 10.25, 8.5, 8.75]],
        overtime=[[0.0] * 7],
        release=[9.75, 9.0, 9.25, 9.75, 10.25, 8.5, 8.75],
    )


def test_reserved_aeo_server_works_while_the_general_pool_is_closed(run_port: RunPort) -> None:
    """One general officer (office hours) and one reserved for AEOs, always open.

    k0 STD 1.0: the reserved officer may not serve it; waits for 08:00.
    k1 AEO 2.0: reserved 2 -> 3.
    k2 REC 2.5: reserved busy, general closed: reserved again at 3 -> 4.
    k3 AEO 7.5: reserved 7.5 -> 8.5.
    k4 AEO 7.75: reserved busy, general closed.
       8.0: general opens; k0 (joined 1.0) precedes k4 (7.75): k0 8 -> 9.
       8.5: reserved free: k4 8.5 -> 9.
    k5 AEO 16.5: both free; the reserved pool is offered work first: 16.5 -> 17.5,
       no overtime (always open).
    k6 STD 16.75: so the general officer is free: 16.75 -> 17, no overtime.
       (Had k5 taken the general officer, k6 would wait until 32.)
    k7 AEO 40: reserved 40 -> 42.
    k8 AEO 40.25: reserved busy, general open: 40.25 -> 41.25, overtime 0.25.
    k9 STD 40.5: waits; the reserved officer (free at 42) may not serve it, the
       general closes at 41: Wed 08:00 = 56, 56 -> 56.5.
    """
    reserved = {"servers": 1, "groups": ["national_aeo", "recognised_aeo"]}
    plan = port_plan(
        {"check": station(1, calendar="office", reserved=reserved)},
        {"yellow": ["check"]},
        calendars={"office": OFFICE},
    )
    inputs = port_inputs(
        [1.0, 2.0, 2.5, 7.5, 7.75, 16.5, 16.75, 40.0, 40.25, 40.5],
        [[1.0, 1.0, 1.0, 1.0, 0.5, 1.0, 0.25, 2.0, 1.0, 0.5]],
        group=[STD, AEO, REC, AEO, AEO, AEO, STD, AEO, AEO, STD],
    )
    end = [9.0, 3.0, 4.0, 8.5, 9.0, 17.5, 17.0, 42.0, 41.25, 56.5]
    assert_timeline(
        run_port,
        plan,
        inputs,
        start=[[8.0, 2.0, 3.0, 7.5, 8.5, 16.5, 16.75, 40.0, 40.25, 56.0]],
        end=[end],
        overtime=[[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.25, 0.0]],
        release=end,
        pool=[
            [
                GENERAL,
                RESERVED,
                RESERVED,
                RESERVED,
                RESERVED,
                RESERVED,
                GENERAL,
                RESERVED,
                GENERAL,
                GENERAL,
            ]
        ],
    )


# --- simultaneous events ---------------------------------------------------------


def test_waiting_shipment_beats_same_instant_newcomer_unless_priority(run_port: RunPort) -> None:
    """One officer, AEOs first. A completion and a newcomer at the same instant.

    k0 0 -> 1. k1 (joined 0.5) and k2 (joins at 1.0, as k0 completes) are both
    standard: k1 joined earlier, 1 -> 2; then k2 2 -> 3.
    k3 10 -> 11. k4 (STD, joined 10.5) waits; k5 (AEO) joins at 11.0 as k3
    completes and has the better priority: k5 11 -> 12, then k4 12 -> 13.
    """
    priority = {"national_aeo": 0, "standard": 1}
    plan = port_plan({"check": station(priority=priority)}, {"yellow": ["check"]})
    inputs = port_inputs(
        [0.0, 0.5, 1.0, 10.0, 10.5, 11.0], [[1.0] * 6], group=[STD, STD, STD, STD, STD, AEO]
    )
    assert_timeline(
        run_port,
        plan,
        inputs,
        start=[[0.0, 1.0, 2.0, 10.0, 12.0, 11.0]],
        end=[[1.0, 2.0, 3.0, 11.0, 13.0, 12.0]],
        overtime=[[0.0] * 6],
        release=[1.0, 2.0, 3.0, 11.0, 13.0, 12.0],
    )


def test_zero_duration_cascade_and_same_instant_joins_by_index(run_port: RunPort) -> None:
    """Stations a then b (one officer each, always open); green goes to b only.

    k0..k2 (yellow) arrive at 1.0 with zero service at both stations. Each
    zero-length job ends at the same instant and starts another round
    (changes, then dispatch): k0 through a, then k0 at b while k1 goes
    through a, ... Every start, end and release is 1.0.

    k3 (yellow, zero service at a) and k4 (green) arrive at 5.0. In the first
    round at 5.0, b's queue holds only k4, which takes b: 5 -> 6. k3 finishes a
    at 5.0, but that completion belongs to the next round; b is busy, so k3
    waits despite its same join time and lower index: b 6 -> 7.

    k5 (yellow) goes through a 10 -> 11 and joins b at 11.0; k6 (green, lodged
    at 11.0) becomes ready at 11.0: the same round, so index decides: k5 at b
    11 -> 12, then k6 12 -> 13.
    """
    plan = port_plan({"a": station(), "b": station()}, {"green": ["b"], "yellow": ["a", "b"]})
    inputs = port_inputs(
        [1.0, 1.0, 1.0, 5.0, 5.0, 10.0, 10.0],
        [[0.0, 0.0, 0.0, 0.0, 0.25, 1.0, 0.25], [0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0]],
        channel=[YELLOW, YELLOW, YELLOW, YELLOW, GREEN, YELLOW, GREEN],
        lodgement=[1.0, 1.0, 1.0, 5.0, 5.0, 10.0, 11.0],
    )
    assert_timeline(
        run_port,
        plan,
        inputs,
        start=[[1.0, 1.0, 1.0, 5.0, nan, 10.0, nan], [1.0, 1.0, 1.0, 6.0, 5.0, 11.0, 12.0]],
        end=[[1.0, 1.0, 1.0, 5.0, nan, 11.0, nan], [1.0, 1.0, 1.0, 7.0, 6.0, 12.0, 13.0]],
        overtime=[[0.0, 0.0, 0.0, 0.0, nan, 0.0, nan], [0.0] * 7],
        release=[1.0, 1.0, 1.0, 7.0, 6.0, 12.0, 13.0],
    )


# --- a whole route ----------------------------------------------------------------


def test_route_with_unloading_lodgement_and_release_delays(run_port: RunPort) -> None:
    """Documentary (always open) then physical (office hours) checks; office-hours delays.

    Unloading starts when the office is open and then runs on; ready =
    max(unloaded, lodgement); release = next office opening at or after the
    last check + release delay.

    k0 red, arr 5.0, unload 2 from 08:00 -> 10; lodged 3.0 (pre-arrival): ready 10.
       doc 10 -> 11, phys 11 -> 13; release 13 + 0.5 = 13.5.
    k1 yellow, arr 9.0, unloaded 9.5; lodged late at 12.0: ready 12.
       doc 12 -> 12.5; release 12.5 + 1 = 13.5.
    k2 green, arr 16.0, unload 2 starts at once -> 18 (after closing); lodged 15.
       No checks: released at the Tue 08:00 opening: 32 + 0.25 = 32.25.
    k3 red, arr 16.5, unloaded 16.75 (lodged 10.0): doc 16.75 -> 17.25 (always
       open: no overtime); phys closed at 17.25: 32 -> 33; release 33.5.
    k4 red, arr Mon 20:00, unloading waits for Tue 08:00: unloaded 33; lodged
       34: doc 34 -> 34.5, phys 34.5 -> 35.5; release 35.75.
    k5 red, arr 38.0, unloaded 38: doc 38 -> 39, phys 39 -> 42 (closes 41:
       overtime 1); release waits for Wed 08:00: 56 + 0.5 = 56.5.
    """
    delays = {
        "unloading_h": {"dist": "deterministic", "value": 1, "calendar": "office"},
        "release_h": {"dist": "deterministic", "value": 1, "calendar": "office"},
    }
    plan = port_plan(
        {"doc": station(), "phys": station(calendar="office")},
        {"green": [], "yellow": ["doc"], "red": ["doc", "phys"]},
        calendars={"office": OFFICE},
        delays=delays,
    )
    inputs = port_inputs(
        [5.0, 9.0, 16.0, 16.5, 20.0, 38.0],
        [[1.0, 0.5, 0.25, 0.5, 0.5, 1.0], [2.0, 0.75, 0.25, 1.0, 1.0, 3.0]],
        channel=[RED, YELLOW, GREEN, RED, RED, RED],
        lodgement=[3.0, 12.0, 15.0, 10.0, 34.0, 38.0],
        unloading=[2.0, 0.5, 2.0, 0.25, 1.0, 0.0],
        release_delay=[0.5, 1.0, 0.25, 0.5, 0.25, 0.5],
    )
    assert_timeline(
        run_port,
        plan,
        inputs,
        unloaded=[10.0, 9.5, 18.0, 16.75, 33.0, 38.0],
        start=[[10.0, 12.0, nan, 16.75, 34.0, 38.0], [11.0, nan, nan, 32.0, 34.5, 39.0]],
        end=[[11.0, 12.5, nan, 17.25, 34.5, 39.0], [13.0, nan, nan, 33.0, 35.5, 42.0]],
        overtime=[[0.0, 0.0, nan, 0.0, 0.0, 0.0], [0.0, nan, nan, 0.0, 0.0, 1.0]],
        release=[13.5, 13.5, 32.25, 33.5, 35.75, 56.5],
    )


def test_per_channel_delays_and_the_brokers_calendar(run_port: RunPort) -> None:
    """Delays given per channel, and a lodgement calendar (the broker's office hours).

    Unloading: red only, starting in office hours. Lodgement lag: yellow and red,
    then the declaration waits for the office to open (green: no lag, so no wait).
    Release: red 2 h and yellow 0.5 h, starting in office hours; green none, so
    green neither waits nor waits for the office. One always-open officer.

    k0 yellow, arr 2.0, the lag ends at 5.0, office closed: lodged 8.0; ready 8;
       doc 8 -> 9; release 9 + 0.5 = 9.5.
    k1 red, arr 6.0: unloading waits for 08:00, 8 + 1 = 9; pre-arrival lag ends
       at 7.0, office closed: lodged 8.0; ready max(9, 8) = 9; k0 leaves doc at 9.0
       in the same instant: doc 9 -> 10; release 10 + 2 = 12.
    k2 red, arr 16.5: unloaded 16.5 + 0.25 = 16.75; lodged 16.0 (open); doc
       16.75 -> 17.25; the release waits for Tue 08:00 = 32: 32 + 2 = 34.
    k3 green, arr Mon 20:00: no unloading, lodged on arrival, no check, no release
       delay: released at 20.0 (a release calendar for every channel would say 32).
    k4 yellow, arr Tue 06:00 = 30, lag ends Tue 16:00 = 40 (open): lodged 40;
       doc 40 -> 40.5; release 41.
    """
    delays = {
        "unloading_h": {"calendar": "office", "red": {"dist": "deterministic", "value": 1}},
        "release_h": {
            "calendar": "office",
            "yellow": {"dist": "deterministic", "value": 0.5},
            "red": {"dist": "deterministic", "value": 2},
        },
    }
    lag = {"dist": "deterministic", "value": 3}
    plan = port_plan(
        {"doc": station()},
        {"yellow": ["doc"], "red": ["doc"]},
        calendars={"office": OFFICE},
        delays=delays,
        lodgement={"calendar": "office", "delay_h": {"yellow": lag, "red": lag}},
    )
    assert plan[0].release_calendar[GREEN] == plan[0].lodgement_calendar[GREEN] == -1
    inputs = port_inputs(
        [2.0, 6.0, 16.5, 20.0, 30.0],
        [[1.0, 1.0, 0.5, 0.25, 0.5]],
        channel=[YELLOW, RED, RED, GREEN, YELLOW],
        lodgement=[5.0, 7.0, 16.0, 20.0, 40.0],
        unloading=[0.0, 1.0, 0.25, 0.0, 0.0],
        release_delay=[0.5, 2.0, 2.0, 0.0, 0.5],
    )
    assert_timeline(
        run_port,
        plan,
        inputs,
        unloaded=[2.0, 9.0, 16.75, 20.0, 30.0],
        lodged=[8.0, 8.0, 16.0, 20.0, 40.0],
        start=[[8.0, 9.0, 16.75, nan, 40.0]],
        end=[[9.0, 10.0, 17.25, nan, 40.5]],
        overtime=[[0.0, 0.0, 0.0, nan, 0.0]],
        release=[9.5, 12.0, 34.0, 20.0, 41.0],
    )
