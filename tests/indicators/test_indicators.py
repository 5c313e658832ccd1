"""Indicators against an independent computation from the per-shipment records.

The compiled reduction (cells, matrix products, quantiles selected from sorted
pieces) is checked against plain pandas on the records of the same replication:
every area (port, country by mode, country, region by mode, region), every
summary group, every area metric and every station metric. The two share only
the simulated times, so an error in either the cell arithmetic or the selection
shows up as a mismatch.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.indicators.layout import STAGES, area_metrics
from sim.indicators.order_stats import _kth_smallest, _quantiles, _weighted_quantile
from sim.model.load import scenario_from_dict
from sim.model.vocabulary import ALL, CHANNELS, ELIGIBLE, GROUPS, NOT_ELIGIBLE
from sim.plan.compile import compile_plan

OFFICE = {"days": ["mon", "tue", "wed", "thu", "fri"], "hours": ["08:00-12:00", "13:00-17:00"]}
LOGNORMAL = {"dist": "lognormal", "mean": 0.6, "cv": 0.8}


def _port(mode: str, per_day: float, origins: dict[str, float]) -> dict[str, Any]:
    return {
        "mode": mode,
        "value_usd": 20_000 if mode == "road" else 60_000,
        "arrivals": {"per_day": per_day},
        "origins": origins,
        "national_aeo_share": 0.2,
        "lodgement": {
            "calendar": "office",
            "pre_arrival_share": {"standard": 0.3, "national_aeo": 0.8},
            "delay_h": {"yellow": {"dist": "exponential", "mean": 4}, "red": LOGNORMAL},
        },
        "channels": {
            "standard": {"green": 0.5, "yellow": 0.3, "red": 0.2},
            "national_aeo": {"green": 0.9, "yellow": 0.07, "red": 0.03},
        },
        "routes": {"yellow": ["doc"], "red": ["doc", "exam"]},
        "stations": {
            "doc": {
                "servers": 2,
                "calendar": "office",
                "service_h": LOGNORMAL,
                "priority": {"national_aeo": 0, "standard": 1},
                "reserved": {"servers": 1, "groups": ["national_aeo", "recognised_aeo"]},
            },
            "exam": {"servers": 2, "service_h": {"dist": "gamma", "mean": 1.5, "cv": 0.5}},
        },
        "delays": {
            "unloading_h": {"dist": "gamma", "mean": 3, "cv": 0.5},
            "release_h": {"calendar": "office", "red": {"dist": "exponential", "mean": 2}},
        },
    }


SCENARIO = {
    "name": "indicators",
    "horizon_days": 6,
    "warmup_days": 1,
    "calendars": {"office": OFFICE},
    "arrangement": {"utilisation": 0.6},
    "countries": {
        "PER": {
            "aeo_exporter_share": 0.3,
            "ports": {
                "callao": _port("sea", 60, {"CHL": 0.4, "OTHER": 0.6}),
                "lima_air": _port("air", 30, {"CHL": 0.5, "OTHER": 0.5}),
                "tacna": _port("road", 25, {"CHL": 0.9, "OTHER": 0.1}),
            },
        },
        "CHL": {
            "aeo_exporter_share": 0.4,
            "ports": {"arica": _port("road", 40, {"PER": 0.8, "OTHER": 0.2})},
        },
    },
}


@pytest.fixture(scope="module")
def simulated() -> tuple[sim.Scenario, pd.DataFrame, pd.DataFrame]:
    scenario = scenario_from_dict(SCENARIO)
    result = sim.run(scenario, replications=1, seed=5, workers=1, keep_records=True)
    return scenario, result.table(), result.records()


def _stage_frame(scenario: sim.Scenario, records: pd.DataFrame) -> pd.DataFrame:
    """Per shipment: clearance, customs, the four stages, from the records alone."""
    plan = compile_plan(scenario)
    stations = [s for port in plan.ports for s in port.stations]
    ends = records[[f"{s}_end" for s in dict.fromkeys(stations)]]
    ready = np.maximum(records.unloaded, records.lodgement)
    last = ends.max(axis=1).fillna(ready)  # the last check's end, or ready for green
    return records.assign(
        clearance=records.release - records.arrival,
        customs=records.release - ready,
        unloading=records.unloaded - records.arrival,
        lodgement_wait=ready - records.unloaded,
        checks=last - ready,
        release_stage=records.release - last,
        ready=ready,
    )


def _areas(frame: pd.DataFrame) -> dict[tuple[str, str, str], pd.DataFrame]:
    areas = {}
    for (country, mode, port), part in frame.groupby(["country", "mode", "port"], observed=True):
        areas[(country, mode, port)] = part
    for (country, mode), part in frame.groupby(["country", "mode"], observed=True):
        areas[(country, mode, ALL)] = part
    for country, part in frame.groupby("country", observed=True):
        areas[(country, ALL, ALL)] = part
    for mode, part in frame.groupby("mode", observed=True):
        areas[(ALL, mode, ALL)] = part
    areas[(ALL, ALL, ALL)] = frame
    return areas


def _members(part: pd.DataFrame, group: str) -> pd.DataFrame:
    if group == ALL:
        return part
    if group == ELIGIBLE:
        return part[part.eligible]
    if group == NOT_ELIGIBLE:
        return part[~part.eligible]
    return part[part.group == group]


def _expected(part: pd.DataFrame, metric: str) -> float:
    """An area metric computed from records with pandas and numpy."""
    if metric == "shipments":
        return float(len(part))
    if not len(part):
        return np.nan
    if metric.endswith("_share"):
        return float((part.channel == metric.removesuffix("_share")).mean())
    stage_columns = dict(
        zip(STAGES, ("unloading", "lodgement_wait", "checks", "release_stage"), strict=True)
    )
    if metric in stage_columns:
        return float(part[stage_columns[metric]].mean())
    time, statistic = metric.rsplit("_", 1)
    values = part[time.removesuffix("_h")]
    if statistic == "mean":
        return float(values.mean())
    return float(np.quantile(values, {"median": 0.5, "p90": 0.9}[statistic]))


def test_every_area_metric_equals_pandas_on_the_records(simulated) -> None:
    scenario, summary, records = simulated
    frame = _stage_frame(scenario, records)
    metrics = [m for m in area_metrics([]) if m != "shipments"] + ["shipments"]
    keyed = summary[summary.station.isna()].set_index(
        ["country", "mode", "port", "group", "metric"]
    )
    checked = 0
    for (country, mode, port), part in _areas(frame).items():
        for group in (ALL, *GROUPS, ELIGIBLE, NOT_ELIGIBLE):
            members = _members(part, group)
            for metric in metrics:
                got = keyed.loc[(country, mode, port, group, metric), "mean"]
                want = _expected(members, metric)
                assert np.isclose(got, want, rtol=1e-10, atol=1e-9, equal_nan=True), (
                    country,
                    mode,
                    port,
                    group,
                    metric,
                    got,
                    want,
                )
                checked += 1
    assert checked > 1000
    assert len(_areas(frame)) == 4 + 4 + 2 + 3 + 1  # ports, country-modes, countries, modes, region


def test_utilisation_rate_and_cost_of_delay_equal_pandas(simulated) -> None:
    scenario, summary, records = simulated
    value = {port: p.value_usd for _, port, p in scenario.ports}
    frame = records.assign(value=records.port.map(value))
    keyed = summary[summary.station.isna()].set_index(
        ["country", "mode", "port", "group", "metric"]
    )
    for (country, mode, port), part in _areas(frame).items():
        eligible = part[part.eligible]
        got = keyed.loc[(country, mode, port, ALL, "utilisation_rate"), "mean"]
        assert np.isclose(got, eligible.claimed.mean()), (country, mode, port)
        for rate in scenario.cost_of_delay.rates_per_day:
            metric = f"delay_cost_usd_{100 * rate:g}pct"
            want = (part.clearance_h / 24 * part.value * rate).mean()
            got = keyed.loc[(country, mode, port, ALL, metric), "mean"]
            assert np.isclose(got, want, rtol=1e-10), (country, mode, port, metric)


def test_station_waits_and_services_equal_pandas_on_the_records(simulated) -> None:
    scenario, summary, records = simulated
    frame = _stage_frame(scenario, records)
    route = {"yellow": ["doc"], "red": ["doc", "exam"]}
    rows = summary[summary.station.notna() & summary.group.notna()]
    keyed = rows.set_index(["port", "station", "group", "metric"])["mean"]
    for port, part in frame.groupby("port", observed=True):
        for group in (ALL, *GROUPS, ELIGIBLE, NOT_ELIGIBLE):
            members = _members(part, group)
            for station in ("doc", "exam"):
                waits, services = [], []
                for channel, stations in route.items():
                    visitors = members[members.channel == channel]
                    if station not in stations:
                        continue
                    position = stations.index(station)
                    joined = (
                        visitors.ready
                        if position == 0
                        else visitors[f"{stations[position - 1]}_end"]
                    )
                    waits.append(visitors[f"{station}_start"] - joined)
                    services.append(visitors[f"{station}_end"] - visitors[f"{station}_start"])
                wait, service = pd.concat(waits), pd.concat(services)
                at = (port, station, group)
                assert keyed[(*at, "shipments")] == len(wait), at
                assert np.isclose(keyed[(*at, "wait_h_mean")], wait.mean(), equal_nan=True), at
                assert np.isclose(keyed[(*at, "service_h_mean")], service.mean(), equal_nan=True), (
                    at
                )


def test_stages_add_up_to_clearance_time_at_every_level(simulated) -> None:
    """unloading + lodgement wait + checks + release = clearance, as means of every group."""
    _, summary, _ = simulated
    table = summary[summary.station.isna()].pivot_table(
        index=["country", "mode", "port", "group"], columns="metric", values="mean"
    )
    table = table[table.shipments > 0]
    assert len(table) > 50
    np.testing.assert_allclose(table[list(STAGES)].sum(axis=1), table.clearance_h_mean, rtol=1e-12)
    # and the checks stage is the visits-weighted sum of each station's waits and services
    stations = summary[summary.station.notna() & summary.group.notna()].pivot_table(
        index=["country", "mode", "port", "group", "station"], columns="metric", values="mean"
    )
    visited = stations.fillna(0)
    spent = (
        ((visited.wait_h_mean + visited.service_h_mean) * visited.shipments)
        .groupby(level=[0, 1, 2, 3])
        .sum()
    )
    ports = table[table.index.get_level_values("port") != ALL]
    np.testing.assert_allclose(
        (ports.checks_h_mean * ports.shipments).to_numpy(),
        spent.loc[ports.index].to_numpy(),
        rtol=1e-10,
    )


def test_customs_time_starts_when_customs_can_act(simulated) -> None:
    """Customs time runs from the later of goods available and lodgement: the checks and the
    release formalities; the stages add up to the clearance time."""
    scenario, _, records = simulated
    frame = _stage_frame(scenario, records)
    late = frame[frame.lodgement > frame.unloaded]
    early = frame[frame.lodgement < frame.arrival]
    assert len(late) and len(early), "the case needs both late and pre-arrival lodgements"
    np.testing.assert_allclose(frame.customs_h, frame.checks + frame.release_stage, atol=1e-9)
    stages = frame.unloading + frame.lodgement_wait + frame.checks + frame.release_stage
    np.testing.assert_allclose(stages, frame.clearance_h, atol=1e-9)


def test_a_trader_who_lodges_early_is_not_charged_the_unloading() -> None:
    """Every declaration green, 12 h of unloading, 1 h of release formalities: a national AEO
    lodged 24 h ahead and a standard trader lodging 36 h late both spend 1.00 h in customs
    (the old definition, from the later of arrival and lodgement, charged the AEO 13 h and
    the late trader 1 h); their clearance times are 13 h and 37 h."""
    fixed = {"dist": "deterministic", "value": 12.0}
    port = {
        "mode": "sea",
        "arrivals": {"per_day": 48},
        "origins": {"OTHER": 1.0},
        "national_aeo_share": 0.5,
        "lodgement": {
            "pre_arrival_share": {"standard": 0.0, "national_aeo": 1.0},
            "lead_h": {"dist": "deterministic", "value": 24.0},
            "delay_h": {"dist": "deterministic", "value": 36.0},
        },
        "channels": {"standard": {"green": 1, "yellow": 0, "red": 0}},
        "delays": {"unloading_h": fixed, "release_h": {"dist": "deterministic", "value": 1.0}},
    }
    data = {"name": "green", "horizon_days": 2, "warmup_days": 0}
    data["countries"] = {"PER": {"ports": {"callao": port}}}
    result = sim.run(scenario_from_dict(data), replications=1, workers=1, keep_records=True)
    records = result.records()
    np.testing.assert_allclose(records.customs_h, 1.0, rtol=0, atol=1e-9)  # (times ~ 100 h)
    aeo = (records.group == "national_aeo").to_numpy()
    np.testing.assert_allclose(records.clearance_h[aeo], 13.0, rtol=0, atol=1e-9)
    np.testing.assert_allclose(records.clearance_h[~aeo], 37.0, rtol=0, atol=1e-9)


def test_pools_split_the_station_work(simulated) -> None:
    """General and reserved utilisation are reported apart; the reserved officer is busy
    only with the groups it serves (national and recognised AEOs)."""
    _, summary, _ = simulated
    pools = summary[summary.group.isna()].set_index(["port", "station", "metric"])["mean"]
    ports = ("callao", "lima_air", "tacna", "arica")
    for port in ports:
        assert 0 < pools[(port, "doc", "general_utilisation")] < 1.5
        assert 0 <= pools[(port, "doc", "reserved_utilisation")] < 1
        assert (port, "exam", "reserved_utilisation") not in pools.index  # no reserved servers
    # a handful of AEO checks a week per port: some port's reserved officer worked
    assert sum(pools[(port, "doc", "reserved_utilisation")] for port in ports) > 0


# --- exact quantiles from sorted pieces -------------------------------------------


def assert_order_statistics(pieces: list[list[float]], data: st.DataObject) -> None:
    """_kth_smallest (value and count of elements <= it) and _quantiles of the union of the
    sorted pieces, against sorting the union."""
    merged = np.sort(np.concatenate([np.array(p, dtype=float) for p in pieces]))
    if not len(merged):
        return
    buffer = np.concatenate([np.sort(np.array(p, dtype=float)) for p in pieces])
    segments = np.concatenate(([0], np.cumsum([len(p) for p in pieces]))).astype(np.int64)
    chosen = np.arange(len(pieces), dtype=np.int64)
    k = data.draw(st.integers(0, len(merged) - 1))
    value, at_most = _kth_smallest(buffer, segments, chosen, k)
    assert value == merged[k]
    assert at_most == np.searchsorted(merged, value, side="right")  # elements <= the value
    out = np.full(3, np.nan)
    probabilities = np.array([0.0, 0.5, 0.9])
    _quantiles(buffer, segments, chosen, probabilities, out)
    np.testing.assert_allclose(out, np.quantile(merged, probabilities), rtol=1e-12)


def whole_number_pieces(top: int, longest: int, most: int) -> st.SearchStrategy[list[list[float]]]:
    """1 to ``most`` pieces of up to ``longest`` whole numbers from 0 to ``top`` (ties)."""
    piece = st.lists(st.integers(0, top).map(float), max_size=longest)
    return st.lists(piece, min_size=1, max_size=most)


@settings(max_examples=300, deadline=None)
@given(pieces=whole_number_pieces(20, 30, 8), data=st.data())
def test_kth_smallest_of_whole_number_pieces_is_the_order_statistic(pieces, data) -> None:
    """Against sorting the union; small integers make ties common."""
    assert_order_statistics(pieces, data)


@settings(max_examples=200, deadline=None)
@given(pieces=whole_number_pieces(3, 400, 6), data=st.data())
def test_kth_smallest_with_many_ties_beyond_the_gather_size(pieces, data) -> None:
    """Hundreds of copies of a few values (a deterministic stage, a green lane with no
    delay): the bracketing rounds, not only the final sort, must end on ties (a fuzzed
    scenario once made them loop forever)."""
    assert_order_statistics(pieces, data)


def test_kth_smallest_of_one_value_repeated() -> None:
    buffer = np.full(1000, 7.0)
    segments = np.array([0, 500, 1000], dtype=np.int64)
    for k in (0, 499, 500, 999):
        assert _kth_smallest(buffer, segments, np.array([0, 1], dtype=np.int64), k) == (7.0, 1000)


def test_quantiles_of_a_chosen_subset_of_pieces() -> None:
    rng = np.random.default_rng(3)
    pieces = [np.sort(rng.lognormal(size=n)) for n in (1000, 0, 17, 5000, 1)]
    buffer = np.concatenate(pieces)
    segments = np.concatenate(([0], np.cumsum([len(p) for p in pieces]))).astype(np.int64)
    chosen = np.array([0, 3, 4], dtype=np.int64)
    out = np.full(2, np.nan)
    _quantiles(buffer, segments, chosen, np.array([0.5, 0.9]), out)
    union = np.concatenate([pieces[i] for i in chosen])
    np.testing.assert_allclose(out, np.quantile(union, [0.5, 0.9]), rtol=1e-12)
    empty = np.full(2, np.nan)
    _quantiles(buffer, segments, np.array([1], dtype=np.int64), np.array([0.5, 0.9]), empty)
    assert np.isnan(empty).all()


def test_channels_listed_in_metrics() -> None:
    assert [f"{c}_share" for c in CHANNELS] == area_metrics([])[:3]


@given(
    samples=st.lists(st.integers(0, 6).map(float), min_size=1, max_size=40),
    data=st.data(),
)
@settings(deadline=None)  # the first example compiles the function
def test_weighted_quantile_is_the_first_sample_whose_cumulative_weight_reaches_the_target(
    samples, data
) -> None:
    """The selection that picks the pivots of ``_kth_smallest``, against its definition
    by sorting: ties (whole numbers from 0 to 6) and targets past the total included."""
    n = len(samples)
    weights = data.draw(st.lists(st.integers(1, 9).map(float), min_size=n, max_size=n))
    total = int(sum(weights))
    # whole targets meet a cumulative weight exactly; fractional ones fall between
    target = data.draw(st.integers(1, total + 2).map(float) | st.floats(0.01, total + 2))
    order = np.argsort(samples, kind="stable")
    cumulative = np.cumsum(np.array(weights)[order])
    reached = np.flatnonzero(cumulative >= target)
    expected = samples[order[reached[0]]] if len(reached) else max(samples)
    got = _weighted_quantile(np.array(samples), np.array(weights), n, target)
    assert got == expected
