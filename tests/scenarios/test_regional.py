"""The bundled regional scenario (scenarios/lac-regional.yaml).

(a) it covers the 11 signatories of the May 2022 arrangement, each with ports;
(b) it reproduces Brazil's published figures (docs/sources.md §2.1): the RFB
    import clearance times by mode, AEO vs non-AEO (March 2022), and the import
    TRS green share 87.25%;
(c) it reproduces a Lima broker's release times per channel for anticipated
    declarations at Callao and Lima airport (docs/sources.md §2.2);
(d) no station is overloaded;
(e) its control side (note K), zeroed, changes no clearance number.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import sim
from sim.indicators.layout import CONTROL
from sim.interpret.answer import answer_of
from sim.plan.compile import compile_plan
from sim.plan.expect import offered_loads

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "lac-regional.yaml"
SIGNATORIES = ("ARG", "BOL", "BRA", "CHL", "COL", "CRI", "DOM", "GTM", "PER", "PRY", "URY")

# Brazil's published figures ([F] docs/sources.md §2.1), in hours.
RFB_CLEARANCE_H = {  # RFB data published March 2022 (via SBT News): mean import clearance time
    ("sea", "national_aeo"): 59 / 60,  # maritime AEO 59 min
    ("sea", "standard"): 42 + 28 / 60,  # maritime non-AEO 42 h 28 min
    ("air", "national_aeo"): 55 / 60,  # air AEO 55 min
    ("air", "standard"): 34.0,  # air non-AEO 34 h
    ("road", "national_aeo"): 1.0,  # road AEO ~1 h
    ("road", "standard"): 12 + 34 / 60,  # road non-AEO 12 h 34 min
}
TRS_GREEN_SHARE = 0.8725  # import TRS 2020: "flow 1" green declarations, 87.25%
TOLERANCE = 0.15  # the simulated interval must lie within +-15% of the published value
CONFIDENCE = 0.95  # two-sided Student-t interval over replications
REPLICATIONS = 10
HORIZON_DAYS = 14  # two counted weeks (after the scenario's 7-day warm-up): enough and fast

# Peru's figures ([F] docs/sources.md §2.2): a Lima customs broker's typical release times
# for an anticipated declaration (lodged 72 h before arrival by sea, 48 h by air); a
# commercial claim, not an official figure. "Typical" is read as the median, and each
# figure as the range of medians that agree with it as worded; the simulated median (the
# mean of the replications' medians) must lie in that range with its whole 95% interval.
GREEN_WITHIN_H = 1.0  # "on arrival of the means of transport": released within the hour
ORANGE_WITHIN_H = 24.0  # "within 24 h of the ETA"
RED_WORKING_DAYS = (1.5, 2.5)  # "2 working days after the end of unloading", in whole days
LIMA_PORTS = ("callao", "jorge_chavez")  # the broker's ports: Callao (sea), Lima airport (air)
PERU_REPLICATIONS = 5
WEEK_H, WORKING_WEEK_H = 168.0, 120.0  # the simulation starts on a Monday at 00:00


@pytest.fixture(scope="module")
def scenario() -> sim.Scenario:
    return sim.load_scenario(SCENARIO)


@pytest.fixture(scope="module")
def brazil_summary():
    """Brazil's indicators over REPLICATIONS replications of a 14-day horizon.

    The other ten countries keep no ports (they stay in the scenario as exporters,
    with their AEO exporter shares): Brazil's numbers are exactly those of the full
    scenario, because each port's random streams follow its name and ports do not
    interact, and the run is several times faster.
    """
    others = [f"countries.{code}.ports={{}}" for code in SIGNATORIES if code != "BRA"]
    brazil = sim.load_scenario(SCENARIO, overrides=[f"horizon_days={HORIZON_DAYS}", *others])
    result = sim.run(brazil, replications=REPLICATIONS)
    assert result.replications == REPLICATIONS
    return brazil, result.table(confidence=CONFIDENCE)


@pytest.fixture(scope="module")
def lima_anticipated() -> pd.DataFrame:
    """Records of anticipated declarations (lodged before arrival) at Peru's Lima ports.

    Peru's ports alone, as Brazil's above: each port's numbers are those of the full
    scenario.
    """
    others = [f"countries.{code}.ports={{}}" for code in SIGNATORIES if code != "PER"]
    peru = sim.load_scenario(SCENARIO, overrides=[f"horizon_days={HORIZON_DAYS}", *others])
    records = sim.run(peru, replications=PERU_REPLICATIONS, keep_records=True).records()
    lima = records[records.port.isin(LIMA_PORTS) & (records.lodgement < records.arrival)]
    assert set(lima.port) == set(LIMA_PORTS)
    return lima


def _row(summary, port: str, group: str, metric: str):
    mode = "all" if port == "all" else summary.loc[summary.port == port, "mode"].iloc[0]
    rows = summary[
        (summary.country == "BRA")
        & (summary["mode"] == mode)
        & (summary.port == port)
        & (summary.group == group)
        & (summary.station.isna())
        & (summary.metric == metric)
    ]
    assert len(rows) == 1, (port, group, metric)
    return rows.iloc[0]


def _assert_within(row, published: float, what: str) -> None:
    low, high = published * (1 - TOLERANCE), published * (1 + TOLERANCE)
    assert low <= row.ci_low and row.ci_high <= high, (
        f"{what}: simulated {row['mean']:.3f} with {CONFIDENCE:.0%} interval "
        f"[{row.ci_low:.3f}, {row.ci_high:.3f}], published {published:.3f}: "
        f"the interval must lie within [{low:.3f}, {high:.3f}]"
    )


# --- (a) coverage ---------------------------------------------------------------


def test_members_are_exactly_the_eleven_signatories(scenario):
    members = scenario.arrangement.members
    assert sorted(members) == sorted(SIGNATORIES)
    assert len(members) == len(set(members)) == 11
    assert scenario.arrangement.in_force


def test_every_signatory_imports_through_at_least_one_port(scenario):
    for code in SIGNATORIES:
        assert code in scenario.countries, f"{code} is missing"
        assert len(scenario.countries[code].ports) >= 1, f"{code} has no port"


# --- (b) Brazil's published figures ----------------------------------------------


@pytest.mark.parametrize(("mode", "group"), list(RFB_CLEARANCE_H))
def test_brazil_reproduces_rfb_clearance_time(brazil_summary, mode, group):
    """RFB publishes one mean per mode, not per port; RFB's AEO figure is read as
    group national_aeo and its non-AEO figure as group standard. Every Brazilian port
    of the mode must reproduce the figure (stricter than pooling the mode's ports:
    a shipment-weighted mean of per-port means inside the band is inside it too)."""
    scenario, summary = brazil_summary
    ports = [name for name, port in scenario.countries["BRA"].ports.items() if port.mode == mode]
    assert ports, f"Brazil has no {mode} port"
    for port in ports:
        row = _row(summary, port, group, "clearance_h_mean")
        _assert_within(row, RFB_CLEARANCE_H[(mode, group)], f"BRA/{port} {group} clearance_h_mean")


def test_brazil_reproduces_trs_green_share(brazil_summary):
    """Brazil as a whole (port all), every trader group (group all)."""
    _, summary = brazil_summary
    _assert_within(_row(summary, "all", "all", "green_share"), TRS_GREEN_SHARE, "BRA green_share")


# --- (c) Peru's broker timings -------------------------------------------------------


def _working_hours(t: np.ndarray) -> np.ndarray:
    """Monday-to-Friday hours from the start of the simulation (a Monday 00:00) to t."""
    return WORKING_WEEK_H * np.floor(t / WEEK_H) + np.minimum(np.mod(t, WEEK_H), WORKING_WEEK_H)


def _working_days(start: pd.Series, end: pd.Series) -> np.ndarray:
    return (_working_hours(end.to_numpy()) - _working_hours(start.to_numpy())) / 24.0


def _median_interval(frame: pd.DataFrame, values: np.ndarray) -> tuple[float, float, float]:
    """Mean over replications of each replication's median, with its 95% Student-t interval."""
    medians = pd.Series(values, index=frame.index).groupby(frame.replication).median()
    assert len(medians) == PERU_REPLICATIONS
    half = stats.t.ppf(0.5 + CONFIDENCE / 2, len(medians) - 1) * stats.sem(medians)
    return medians.mean(), medians.mean() - half, medians.mean() + half


@pytest.mark.parametrize("port", LIMA_PORTS)
@pytest.mark.parametrize(
    ("channel", "within"), [("green", GREEN_WITHIN_H), ("yellow", ORANGE_WITHIN_H)]
)
def test_peru_green_and_orange_release_as_the_broker_says(lima_anticipated, port, channel, within):
    """Green is released on arrival, orange (yellow) within 24 h of it: release minus arrival."""
    chosen = lima_anticipated[
        (lima_anticipated.port == port) & (lima_anticipated.channel == channel)
    ]
    median, low, high = _median_interval(chosen, chosen.clearance_h.to_numpy())
    assert high <= within, (
        f"PER/{port} {channel}: median hours from arrival to release {median:.2f} "
        f"({CONFIDENCE:.0%} interval [{low:.2f}, {high:.2f}]); the broker says within {within}"
    )


@pytest.mark.parametrize("port", LIMA_PORTS)
def test_peru_red_release_two_working_days_after_unloading(lima_anticipated, port):
    """Red is released 2 working days (Monday to Friday) after the end of unloading.

    A red shipment's ``unloaded`` is when its container reaches the examination area,
    after the unloading and the move, so the claim's interval lies between release
    minus ``unloaded`` and release minus ``arrival``: both must round to 2 days.
    """
    red = lima_anticipated[(lima_anticipated.port == port) & (lima_anticipated.channel == "red")]
    low_bound, high_bound = RED_WORKING_DAYS
    for start in ("unloaded", "arrival"):
        median, low, high = _median_interval(red, _working_days(red[start], red.release))
        assert low_bound <= low and high < high_bound, (
            f"PER/{port} red: median working days from {start} to release {median:.2f} "
            f"({CONFIDENCE:.0%} interval [{low:.2f}, {high:.2f}]); "
            f"the broker's 2 working days need [{low_bound}, {high_bound})"
        )


# --- (d) stable stations -----------------------------------------------------------


def test_every_station_offered_load_is_below_one(scenario):
    plan = compile_plan(scenario)
    loads = {
        f"{port.key}/{station}": load
        for port in plan.ports
        for station, load in offered_loads(plan.calendars, port).items()
    }
    assert loads, "no station at all"
    overloaded = {key: round(load, 3) for key, load in loads.items() if not load < 1}
    assert not overloaded, f"offered load >= 1: {overloaded}"


# --- (e) the control side -----------------------------------------------------------


def test_the_control_side_zeroed_leaves_every_clearance_number_as_without_it() -> None:
    """lac-regional's control block (note K) with every prevalence zero gives, on a short
    comparison of every port, the very numbers of the scenario with the block removed
    (nothing to find, nothing to target: sim.plan.control), and no more than the control
    indicators besides."""
    short = ["horizon_days=2", "warmup_days=1"]
    zero = "port_defaults.control.prevalence={standard: 0, national_aeo: 0, partner_aeo: 0}"
    tables = []
    for change in (zero, "port_defaults.control=null"):
        scenario = sim.load_scenario(SCENARIO, overrides=[*short, change])
        scenarios, labels = sim.arrangement_variants(scenario)
        tables.append(sim.compare(scenarios, labels, replications=2, seed=9).table())
    zeroed, removed = tables
    keys = ["kind", "scenario", "country", "mode", "port", "group", "station", "metric"]
    zeroed, removed = zeroed.set_index(keys), removed.set_index(keys)
    extra = set(zeroed.index.difference(removed.index).get_level_values("metric"))
    assert extra == set(CONTROL)
    columns = ["mean", "ci_low", "ci_high", "replications"]
    same = zeroed.loc[removed.index, columns]
    assert same.to_numpy().tobytes() == removed[columns].to_numpy().tobytes()


def test_the_bundled_answer_speaks_of_control_too(scenario) -> None:
    """The control side is on at every port, and the answer's first paragraph gives both
    sides: the time partner AEOs save, then the checks, findings and revenue at risk."""
    assert all(port.control is not None for _, _, port in scenario.ports)
    short = scenario.with_overrides({"horizon_days": 2, "warmup_days": 1})
    result = sim.compare(*sim.arrangement_variants(short), replications=2, seed=9)
    (paragraph,) = answer_of(result.to_results()).sentences
    time, control = paragraph.split(" Control (annualised from 2 days): ")
    assert "partner-AEO shipments" in time and "sooner" in time
    assert "checks a year on partner-AEO shipments" in control
    assert "infractions" in control and "revenue at risk" in control
