"""mrasim explore without a browser: controls to overrides, progressive runs, sessions, the API.

The page's numbers must be those of ``mrasim compare`` with the same overrides and seed:
the overrides it makes load to the same scenario through ``--set``; the progressive run
after n replications equals ``compare`` of n; a country simulated alone has exactly the
numbers it has in the whole scenario. Sessions never mix, a new setting stops the run in
flight and its workers, and every bad request gets one line, never a traceback.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import LiveServer, small_region

import sim
import sim.cli.commands
import sim.model.variants
from sim.explore import session as session_module
from sim.explore.server import create_app
from sim.explore.session import Session, Sessions
from sim.explore.settings import (
    GRANTS,
    InvalidControl,
    build,
    controls_from,
    grant_state,
    staffing_overrides,
)
from sim.model.load import load_scenario
from sim.model.vocabulary import ALL
from sim.replicate.runner import ComparisonSteps


@pytest.fixture(scope="module")
def region_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_region(tmp_path_factory.mktemp("explore"))


@pytest.fixture(scope="module")
def base(region_file: Path) -> sim.Scenario:
    return load_scenario(region_file)


def setting_of(base: sim.Scenario, **controls: object):  # type: ignore[no-untyped-def]
    return build(base, controls_from(controls))


# --- controls -> overrides -------------------------------------------------------------


def test_the_command_loads_the_very_scenario_the_page_runs(
    base: sim.Scenario, region_file: Path
) -> None:
    """Overrides made on the validated scenario (the page) and ``--set`` on the file (the
    command) give equal scenarios."""
    setting = setting_of(
        base,
        utilisation=0.7,
        grants={"channels": False, "priority": False, "lodgement": True},
        staffing={"PER": {"physical": 1.5, "documentary": 0.1}},
    )
    words = setting.command()
    assert words[:3] == ["mrasim", "compare", str(region_file)]
    sets = [words[i + 1] for i, word in enumerate(words) if word == "--set"]
    assert load_scenario(region_file, sets) == base.with_overrides(setting.overrides)
    assert words[-4:] == ["--seed", "1", "-n", "10"]


@pytest.mark.parametrize("grant", GRANTS)
@pytest.mark.parametrize("on", [True, False])
def test_each_grant_gives_recognised_aeos_national_or_standard_values(
    base: sim.Scenario, grant: str, on: bool
) -> None:
    setting = setting_of(base, grants={grant: on})
    changed = base.with_overrides(setting.overrides)
    assert grant_state(changed, grant) is on  # type: ignore[arg-type]
    for _, _, port in changed.ports:
        like = 1 if on else 0  # national_aeo, standard
        if grant == "channels":
            values = port.channels.resolved()
            assert values[2] == values[like]
        elif grant == "priority":
            for station in port.stations.values():
                assert station.priority is None or (
                    station.priority.resolved()[2] == station.priority.resolved()[like]
                )
                if station.reserved is not None:
                    groups = station.reserved.groups
                    assert ("recognised_aeo" in groups) == (
                        ("national_aeo" if on else "standard") in groups
                    )
        elif port.lodgement is not None:
            shares = port.lodgement.pre_arrival_share.resolved()
            assert shares[2] == shares[like]


def test_a_grant_that_changes_nothing_makes_no_override(base: sim.Scenario) -> None:
    """one-office's recognised AEOs already get national AEOs' channels: no --set for it."""
    assert grant_state(base, "channels") is True
    assert setting_of(base, grants={"channels": True}).overrides == {}


def test_staffing_multiplies_servers_to_a_whole_number_at_least_one(base: sim.Scenario) -> None:
    servers = {
        name: st.servers for name, st in base.countries["PER"].ports["callao"].stations.items()
    }
    assert servers == {"documentary": 9, "physical": 16}
    overrides = staffing_overrides(base.ports, {"PER": {"documentary": 1.5, "physical": 0.01}})
    at = "countries.PER.ports.callao.stations"
    assert overrides[f"{at}.documentary.servers"] == 14  # 13.5, rounded half up
    assert overrides[f"{at}.physical.servers"] == 1  # never none
    assert "countries.CHL.ports.valparaiso.stations.documentary.servers" not in overrides


@pytest.mark.parametrize(
    ("controls", "message"),
    [
        ({"utilisation": 0}, "utilisation: Input should be greater than 0 (got 0)"),
        ({"utilisation": 1.5}, "utilisation: Input should be less than or equal to 1 (got 1.5)"),
        ({"utilisation": "half"}, "utilisation: Input should be a valid number"),
        ({"replications": 1}, "replications: Input should be greater than or equal to 2"),
        ({"replications": 2.5}, "replications: Input should be a valid integer"),
        ({"seed": -1}, "seed: Input should be greater than or equal to 0"),
        ({"sweep": [0.5, 0]}, "sweep: each level must lie in (0, 1], got 0"),
        ({"grants": {"channels": "yes please"}}, "grants.channels: Input should be a valid bool"),
        ({"staffing": {"PER": {"physical": 0}}}, "a staffing multiplier lies in [0.1, 10]"),
        ({"staffing": {"PER": {"scanner": 2}}}, "staffing.PER.scanner: no such station"),
        ({"staffing": {"ARG": {"physical": 2}}}, "staffing.ARG: no port here"),
        ({"countries": []}, "countries: choose at least one country"),
        ({"countries": ["BRA"]}, "countries: 'BRA' has no port here; choose from PER, CHL"),
        ({"mode": "air"}, "mode: 'air': no such port in this scenario; choose from sea, road"),
        ({"countries": ["CHL"], "mode": "road"}, "no such port in the countries shown"),
        ({"baseline": "scenario", "utilisation": 0.4}, "utilisation: equals the scenario's own"),
        ({"colour": "red"}, "colour: unknown control"),
    ],
)
def test_bad_controls_get_one_line_that_names_the_control(
    base: sim.Scenario, controls: dict, message: str
) -> None:
    with pytest.raises(InvalidControl) as caught:
        build(base, controls_from(controls))
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_utilisation_against_the_scenarios_own_is_a_two_file_command(
    base: sim.Scenario, region_file: Path
) -> None:
    setting = setting_of(base, baseline="scenario", utilisation=0.8)
    assert [s.arrangement.utilisation for s in setting.scenarios] == [0.4, 0.8]
    assert all(s.arrangement.in_force for s in setting.scenarios)
    words = setting.command()
    assert words[2:4] == [str(region_file)] * 2
    assert words[words.index("--utilisation") + 1] == "0.8"


@pytest.mark.parametrize(
    "controls",
    [
        {"countries": ["PER"], "utilisation": 0.7, "staffing": {"PER": {"physical": 2}}},
        {"sweep": [0.3, 0.9], "grants": {"lodgement": False}},
        {"baseline": "scenario", "utilisation": 0.6, "mode": "road"},
    ],
)
def test_the_yaml_with_its_command_is_the_comparison_the_page_runs(
    base: sim.Scenario, tmp_path: Path, controls: dict
) -> None:
    setting = setting_of(base, **controls)
    path = tmp_path / "setting.yaml"
    path.write_text(setting.yaml())
    use = next(line for line in setting.yaml().splitlines() if "mrasim compare FILE" in line)
    levels = setting.controls.sweep or [setting.controls.utilisation]
    swept = f" --utilisation {','.join(f'{u:g}' for u in levels)}"
    twice = " FILE" if setting.controls.baseline == "scenario" else ""
    sweep = swept if setting.controls.sweep or twice else ""
    assert use.endswith(f"mrasim compare FILE{twice}{sweep} --seed 1 -n 10")
    loaded = load_scenario(path)
    if setting.controls.baseline == "scenario":
        scenarios, _ = sim.model.variants.utilisation_variants(loaded, loaded, levels, ("A", "B"))
    else:
        scenarios, _ = sim.arrangement_variants(loaded, setting.controls.sweep)
    assert scenarios == setting.scenarios


# --- progressive runs ------------------------------------------------------------------


def steps_tables(setting, workers: int) -> list[pd.DataFrame]:  # type: ignore[no-untyped-def]
    steps = ComparisonSteps(
        setting.scenarios, setting.labels, setting.replications, seed=setting.seed, workers=workers
    )
    return [comparison.table() for comparison in steps]


def test_each_step_has_the_numbers_of_compare_with_that_many_replications(
    base: sim.Scenario,
) -> None:
    setting = setting_of(base, replications=3, utilisation=0.6)
    tables = steps_tables(setting, workers=2)
    assert [int(t["replications"].max()) for t in tables] == [1, 2, 3]
    for n in (2, 3):
        compared = sim.compare(setting.scenarios, setting.labels, replications=n, workers=1)
        pd.testing.assert_frame_equal(tables[n - 1], compared.table())


def test_one_country_alone_has_the_numbers_it_has_in_the_whole_scenario(
    base: sim.Scenario,
) -> None:
    """Ports do not interact and their random numbers follow their names."""
    alone = setting_of(base, countries=["PER"], replications=2)
    assert alone.simulated == ["PER"] and alone.focused
    whole = setting_of(base, replications=2)
    assert not whole.focused
    keys = ["kind", "scenario", "country", "mode", "port", "group", "station", "metric"]

    def peru(table: pd.DataFrame) -> pd.DataFrame:
        rows = table[table["country"] == "PER"].set_index(keys).sort_index()
        return rows[["mean", "ci_low", "ci_high"]]

    pd.testing.assert_frame_equal(
        peru(steps_tables(alone, 1)[-1]), peru(steps_tables(whole, 1)[-1])
    )
    sea = setting_of(base, countries=["PER"], mode="sea", replications=2)
    table = steps_tables(sea, 1)[-1]
    mine = table[(table["country"] == "PER") & (table["mode"] == ALL) & (table["port"] == ALL)]
    full = steps_tables(whole, 1)[-1]
    theirs = full[(full["country"] == "PER") & (full["mode"] == "sea") & (full["port"] == ALL)]
    np.testing.assert_array_equal(
        mine.sort_values([*keys[5:], "kind", "scenario"], na_position="first")["mean"].to_numpy(),
        theirs.sort_values([*keys[5:], "kind", "scenario"], na_position="first")["mean"].to_numpy(),
    )


def wait_for(condition, timeout: float = 60.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def worker_pids() -> set[int]:
    import multiprocessing

    return {p.pid for p in multiprocessing.active_children() if p.pid is not None}


def test_a_new_setting_stops_the_run_in_flight_and_its_workers(base: sim.Scenario) -> None:
    tab = Session("tab-one-abc", workers=2)
    first = tab.start(setting_of(base, replications=500))
    wait_for(lambda: (s := tab.snapshot()) is not None and s.done >= 1)
    old_workers = worker_pids()
    assert old_workers, "the run computes in worker processes"
    second = tab.start(setting_of(base, replications=2, utilisation=0.9))
    assert second == first + 1
    final = wait_for(lambda: (s := tab.snapshot()) is not None and s.state == "done" and s)
    assert final.run == second and final.done == 2
    wait_for(lambda: not (old_workers & worker_pids()), timeout=10)


def test_two_tabs_with_different_settings_do_not_mix(base: sim.Scenario) -> None:
    tabs = Sessions(workers=1)
    settings = {
        "tab-low-12345": setting_of(base, utilisation=0.2, replications=2),
        "tab-high-1234": setting_of(base, utilisation=0.9, replications=2),
    }
    for ident, setting in settings.items():
        tabs.get(ident, create=True).start(setting)  # type: ignore[union-attr]
    for ident, setting in settings.items():
        tab = tabs.get(ident)
        assert tab is not None
        done = wait_for(lambda t=tab: (s := t.snapshot()) is not None and s.state == "done" and s)
        alone = sim.compare(setting.scenarios, setting.labels, replications=2, workers=1)
        pd.testing.assert_frame_equal(done.table, alone.table())
    tabs.close()


# --- the API ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(base: sim.Scenario):  # type: ignore[no-untyped-def]
    with LiveServer(create_app(base, workers=1)) as live:
        yield live


def run_to_the_end(server: LiveServer, tab: str, controls: dict) -> dict:
    status, reply = server.request("/api/run", {"session": tab, "controls": controls})
    assert status == 200, reply

    def finished() -> dict | None:
        _, state = server.request(f"/api/state?session={tab}")
        return state if state["run"] == reply["run"] and state["state"] != "running" else None

    return wait_for(finished)


def test_the_api_runs_a_setting_and_gives_the_answer_and_figures(server: LiveServer) -> None:
    state = run_to_the_end(server, "api-tab-0001", {"replications": 2, "countries": ["PER"]})
    assert state["state"] == "done" and state["done"] == 2
    assert 'id="answer-table"' in state["html"] and "partner-AEO shipments in Peru" in state["html"]
    assert "What this result assumes" in state["html"]
    assert state["command"].endswith("--seed 1 -n 2 --country PER")
    status, figures = server.request("/api/figures?session=api-tab-0001")
    assert (
        status == 200 and figures["html"].count("data-figure=") == 4
    )  # change, green, stages, spread
    with __import__("urllib.request").request.urlopen(
        f"{server.url}/api/scenario.yaml?session=api-tab-0001"
    ) as reply:
        text = reply.read().decode()
    assert "valparaiso" not in text and "tacna" in text  # only what the page simulated


def test_a_sweep_shows_the_reports_sweep_sentence_and_figure(server: LiveServer) -> None:
    controls = {"sweep": [0.3, 0.9], "replications": 2, "countries": ["PER"], "mode": "road"}
    state = run_to_the_end(server, "api-tab-0004", controls)
    assert "As utilisation rises from 30% to 90% of eligible shipments" in state["html"]
    assert "These numbers count only road ports and only Peru" in state["html"]
    assert (
        "--utilisation 0.3,0.9" in state["command"] and "rows of mode road" in state["command_note"]
    )
    _, figures = server.request("/api/figures?session=api-tab-0004")
    assert figures["html"].count("data-figure=") == 5
    assert "(e) Change in the mean clearance time" in figures["html"]


@pytest.mark.parametrize(
    ("path", "body", "status", "message"),
    [
        ("/api/run", b"{not json", 400, "the request's body is not JSON"),
        ("/api/run", [1, 2], 400, "send a JSON object"),
        ("/api/run", {"session": "x", "controls": {}}, 400, "session: give the tab's id"),
        (
            "/api/run",
            {"session": "api-tab-0002", "controls": {"utilisation": -1}},
            400,
            "utilisation: Input should be greater than 0 (got -1)",
        ),
        (
            "/api/run",
            {"session": "api-tab-0002", "controls": "all"},
            400,
            "controls: Input should be a valid dictionary",
        ),
        ("/api/state?session=never-seen-1", None, 404, "no run for this tab"),
        ("/api/nowhere", None, 404, "Not Found"),
    ],
)
def test_bad_requests_get_one_line_never_a_traceback(
    server: LiveServer, path: str, body: object, status: int, message: str
) -> None:
    got, reply = server.request(path, body)
    assert got == status
    assert set(reply) == {"error"} and message in reply["error"]
    assert "Traceback" not in reply["error"] and "\n" not in reply["error"]


def test_a_run_that_fails_shows_its_error_and_the_server_goes_on(
    server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Failing(ComparisonSteps):
        def __iter__(self):  # type: ignore[no-untyped-def]
            raise RuntimeError("the engine broke")

    monkeypatch.setattr(session_module, "ComparisonSteps", Failing)
    state = run_to_the_end(server, "api-tab-0003", {"replications": 2})
    assert state["state"] == "error" and state["error"] == "RuntimeError: the engine broke"
    monkeypatch.undo()
    state = run_to_the_end(server, "api-tab-0003", {"replications": 2})
    assert state["state"] == "done"


# --- the command ------------------------------------------------------------------------


def test_a_port_taken_or_out_of_range_is_bad_input(
    region_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        args = ["explore", str(region_file), "--no-browser", "--port", str(port)]
        assert sim.cli.main(args) == 2
    error = capsys.readouterr().err
    assert (
        error.startswith(f"mrasim: --port: {port}: cannot listen there (")
        and "choose another" in error
    )
    assert sim.cli.main(["explore", str(region_file), "--port", "70000"]) == 2
    assert "a port lies in 1-65535, got 70000" in capsys.readouterr().err
