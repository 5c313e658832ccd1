"""Edge cases with a clear answer each: no arrivals, empty hours, an unused station, overload."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy.special import ndtri

import sim
import sim.cli.commands
from sim.indicators.layout import WEEK_METRIC
from sim.interpret.describe import scenario_warnings
from sim.model.calendars import parse_hours, weekly_intervals
from sim.model.load import scenario_from_dict
from sim.plan.compile import compile_plan
from sim.replicate.runner import simulate_ports

ROOT = Path(__file__).resolve().parents[2]
ONE_OFFICE = ROOT / "scenarios" / "one-office.yaml"
PORT = "countries.PER.ports.callao"


def mrasim(args: list[Any], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = sim.cli.main([str(a) for a in args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


# --- no arrivals at a port --------------------------------------------------------------


def test_a_port_without_arrivals_runs_and_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    """0.01 shipments a day over 5 days: most replications have none. The run completes;
    shipments are 0 and what needs a shipment is missing (null), not zero or NaN text."""
    options = ["-n", "3", "--workers", "1", "--set", "horizon_days=5"]
    options += ["--set", f"{PORT}.arrivals.per_day=0.01", "--json"]
    status, out, err = mrasim(["run", ONE_OFFICE, *options], capsys)
    assert status == 0
    assert err.count("\n") == 1
    assert err.startswith("mrasim: warning: PER/callao expects 0.058 counted shipments")
    assert err.endswith(
        "replications without any have no indicators for it; raise "
        "arrivals.per_day or horizon_days\n"
    )
    rows = pd.DataFrame(json.loads(out)["summary"])
    port = rows[(rows.port == "callao") & (rows.group == "all") & rows.station.isna()]
    metric = port.set_index("metric")["mean"]
    assert metric["shipments"] == 0
    assert metric[["green_share", "clearance_h_mean", "clearance_h_p90"]].isna().all()


def test_a_replication_with_no_shipment_next_to_a_busy_port() -> None:
    """A silent port does not disturb its country's other port, nor the totals."""
    data = yaml.safe_load(ONE_OFFICE.read_text())
    ports = data["countries"]["PER"]["ports"]
    ports["quiet"] = copy.deepcopy(ports["callao"])
    ports["quiet"]["arrivals"]["per_day"] = 1e-9
    data["horizon_days"] = 3
    both = sim.run(scenario_from_dict(data), replications=2, workers=1).table()
    alone = sim.run(
        sim.load_scenario(ONE_OFFICE, ["horizon_days=3"]), replications=2, workers=1
    ).table()

    def headline(frame: pd.DataFrame, port: str) -> pd.Series:
        at = (frame.country == "PER") & (frame.port == port)
        if port == "all":
            at &= frame["mode"] == "all"  # the country, not its sea ports
        rows = frame[at & (frame.group == "all") & frame.station.isna()]
        rows = rows[~rows.metric.str.startswith(WEEK_METRIC)]  # a port's own series
        return rows.set_index("metric")["mean"].rename(None)

    assert headline(both, "quiet")["shipments"] == 0
    pd.testing.assert_series_equal(headline(both, "callao"), headline(alone, "callao"))
    pd.testing.assert_series_equal(headline(both, "all"), headline(alone, "callao"))


# --- hours that are empty or zero-length ---------------------------------------------


@pytest.mark.parametrize("text", ["08:00-08:00", "00:00-00:00", "23:30-23:30"])
def test_a_zero_length_range_is_an_error_with_the_fix(
    text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(ValueError, match="ends where it starts"):
        parse_hours(text)
    status, out, err = mrasim(
        ["validate", ONE_OFFICE, "--set", f'calendars.office.hours=["{text}"]'], capsys
    )
    assert status == 2 and out == "" and err.count("\n") == 1
    assert err.rstrip().endswith(
        f"calendars.office.hours: '{text}' is empty (it ends where it starts); "
        "for all day write '00:00-24:00'"
    )


def test_all_day_and_overnight_ranges_still_mean_what_they_say() -> None:
    assert parse_hours("00:00-24:00") == (0.0, 24.0)
    assert parse_hours("22:00-06:00") == (22.0, 30.0)  # past midnight
    assert weekly_intervals(["mon"], [parse_hours("22:00-06:00")]).tolist() == [[22.0, 30.0]]


def test_a_calendar_without_hours_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = mrasim(["validate", ONE_OFFICE, "--set", "calendars.office.hours=[]"], capsys)
    assert status == 2 and err.count("\n") == 1
    assert "calendars.office.hours: a calendar needs at least one range of hours" in err


# --- a station no route uses ----------------------------------------------------------------


def test_an_unused_station_is_a_warning_not_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    scanner = f"{PORT}.stations.scanner={{servers: 1, service_h: {{dist: exponential, mean: 1}}}}"
    warning = (
        "warning: PER/callao station scanner is on no route, so no shipment visits it; "
        "add it to a channel's route or remove it"
    )
    status, out, _ = mrasim(["validate", ONE_OFFICE, "--set", scanner], capsys)
    assert status == 0 and out.splitlines()[-2] == warning
    options = ["-n", "2", "-w", "1", "--set", "horizon_days=2", "--set", scanner, "--json"]
    status, out, err = mrasim(["run", ONE_OFFICE, *options], capsys)
    assert status == 0 and err == f"mrasim: {warning}\n"
    rows = pd.DataFrame(json.loads(out)["summary"])
    scanner_rows = rows[rows.station == "scanner"].set_index("metric")["mean"]
    assert scanner_rows["general_utilisation"] == 0


# --- an offered load far above 1 -------------------------------------------------------------


OVERLOADED: dict[str, Any] = {
    "name": "overloaded",
    "horizon_days": 30,
    "countries": {
        "PER": {
            "ports": {
                "gate": {
                    "mode": "road",
                    "arrivals": {"per_day": 48},  # 2 an hour
                    "origins": {"OTHER": 1.0},
                    "channels": {"standard": {"green": 0, "yellow": 1, "red": 0}},
                    "routes": {"yellow": ["check"]},
                    "stations": {
                        "check": {"servers": 1, "service_h": {"dist": "exponential", "mean": 1}}
                    },
                }
            }
        }
    },
}
"""One always-open server offered two hours of work an hour: load 2."""


def test_an_overload_warns_with_the_drain_time() -> None:
    (warning,) = scenario_warnings(compile_plan(scenario_from_dict(OVERLOADED)))
    assert warning == (
        "warning: PER/gate station check has offered load 2.00 (>= 1): its queue grows without "
        "end, and the last counted shipments wait about 30 days behind the backlog, so "
        "clearance times measure that backlog; add servers or open hours"
    )


def test_the_drain_time_is_what_the_simulation_does() -> None:
    """The last counted shipment leaves (load - 1) x 720 h = 720 h after the last counted
    arrival (first come, first served: later arrivals queue behind it), within the 99.9%
    normal interval of the backlog: its variance is that of the work arrived (compound
    Poisson: rate x T x E[S^2] = 2 x 720 x 2 h^2). Arrivals went on past the window."""
    plan, results = simulate_ports(scenario_from_dict(OVERLOADED), replication=0)
    ((inputs, outcome),) = results
    end = plan.ports[0].window[1]
    counted = inputs.arrival < end
    drain = np.nanmax(outcome.release[counted]) - end
    half_width = ndtri(0.9995) * math.sqrt(2 * 720 * 2)
    assert abs(drain - 720) <= half_width, drain
    assert inputs.arrival.max() > end


def test_an_overloaded_run_is_not_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "overloaded.yaml"
    path.write_text(yaml.safe_dump(OVERLOADED))
    status, out, err = mrasim(["run", path, "-n", "2", "-w", "1", "--json"], capsys)
    assert status == 0 and "wait about 30 days behind the backlog" in err
    assert json.loads(out)["replications"] == 2
