"""Experiment files: every mistake stops before anything runs, in one line naming the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from experiment_files import DOCUMENTARY, ONE_OFFICE, experiment, write

import sim.cli.commands
from sim.experiment.design import design_points
from sim.experiment.spec import load_experiment, point_scenarios

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted((ROOT / "experiments").glob("*.yaml"))


def refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], data: dict[str, Any]) -> str:
    """Run ``mrasim experiment`` on a bad file: exit 2, one line, no results folder."""
    path = write(tmp_path / "bad.yaml", data)
    out = tmp_path / "out"
    status = sim.cli.main(["experiment", str(path), "--out", str(out), "-q"])
    captured = capsys.readouterr()
    assert status == 2, captured.err
    assert captured.out == ""
    assert captured.err.count("\n") == 1, captured.err
    assert captured.err.startswith(f"mrasim: {path}"), captured.err
    assert not out.exists(), "nothing may be written for a bad file"
    return captured.err


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"replicatons": 3}, "replicatons: unknown field; did you mean 'replications'?"),
        ({"name": None}, "name: required field is missing"),
        ({"name": "../up"}, "name: use letters, digits, '-', '_' and '.' (it names the results"),
        ({"design": {"type": "factorial"}}, "design.type: 'factorial' is not allowed"),
        ({"design": {"type": "grid", "points": 8}}, "design.points: a grid's points are its"),
        ({"design": {"type": "lhs"}}, "design.points: a lhs design needs points: N"),
        ({"design": {"type": "sobol", "points": 100}}, "power of 2 (its balance"),
        ({"replications": 0}, "replications: must be at least 1"),
        ({"replications": "many"}, "replications: give a number of replications, or"),
        ({"replications": {"precision": 2, "max": 9}}, "replications.precision: Input should"),
        ({"replications": {"precision": 0.1}}, "replications.max: required field is missing"),
        (
            {"indicators": ["clearence_h_mean"]},
            "indicators[0]: unknown indicator 'clearence_h_mean'",
        ),
        ({"scenario": "nowhere.yaml"}, "scenario: no such file: "),
        ({"set": {"horizon_days": -1}}, "set.horizon_days: horizon_days: Input should be greater"),
        ({"set": {"arrangement.utilisation.x": 1}}, "set.arrangement.utilisation.x"),
    ],
)
def test_a_bad_field_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: dict[str, Any], expected: str
) -> None:
    assert expected in refused(tmp_path, capsys, experiment(**change))


@pytest.mark.parametrize(
    ("factors", "design", "expected"),
    [
        (
            {"arrangement.utilisatoin": [0, 1]},
            None,
            "factors.arrangement.utilisatoin: arrangement has no field 'utilisatoin'; "
            "did you mean 'utilisation'?",
        ),
        (
            {"countries.PER.ports.calao.stations.documentary.servers": [8, 9]},
            None,
            "countries.PER.ports has no 'calao'; it has: callao",
        ),
        (
            {"countries.PER.ports.callao.mode.x": [1]},
            None,
            "'countries.PER.ports.callao.mode' is a value, not a section",
        ),
        ({"seed": [1, 2]}, None, "factors.seed: the seed is the experiment's"),
        ({DOCUMENTARY: [8, 8]}, None, "level 8 is given twice"),
        ({"arrangement.utilisation": [0, 1, 0.5]}, {"type": "lhs", "points": 4}, "numeric range"),
        ({DOCUMENTARY: [7.5, 12]}, {"type": "lhs", "points": 4}, "whole bounds"),
        ({"arrangement.utilisation": [1, 0]}, {"type": "lhs", "points": 4}, "low must be below"),
    ],
)
def test_a_bad_factor_is_named(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    factors: dict[str, Any],
    design: dict[str, Any] | None,
    expected: str,
) -> None:
    data = experiment(factors=factors, design=design or {"type": "grid"})
    assert expected in refused(tmp_path, capsys, data)


def test_a_level_that_breaks_the_scenario_names_the_factor_and_the_point(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Servers must be positive whole numbers: the third point (index 2) has 0."""
    data = experiment(factors={"arrangement.utilisation": [0.5], DOCUMENTARY: [8, 9, 0]})
    error = refused(tmp_path, capsys, data)
    assert f"factors.{DOCUMENTARY}: point 2 ({DOCUMENTARY}=0) makes an invalid scenario" in error
    assert "greater than 0" in error


def test_a_level_of_the_wrong_type_names_the_factor_and_the_point(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = experiment(factors={DOCUMENTARY: [8, "many"]})
    error = refused(tmp_path, capsys, data)
    assert f"factors.{DOCUMENTARY}: point 1 ({DOCUMENTARY}='many')" in error


def test_a_problem_of_a_combination_names_the_point_and_its_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Channel shares must sum to 1: only the combination of two factors breaks it."""
    channels = "countries.PER.ports.callao.channels.standard"
    data = experiment(factors={f"{channels}.green": [0.6, 0.7], f"{channels}.yellow": [0.25, 0.3]})
    error = refused(tmp_path, capsys, data)
    assert f": factors: point 1 ({channels}.green=0.6, {channels}.yellow=0.3) makes" in error
    assert "green + yellow + red = 1.05; they must sum to 1" in error


def test_a_factor_overlapping_a_set_entry_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = experiment(set={"arrangement": {"utilisation": 0.2}})
    assert "overlaps the set: entry 'arrangement'" in refused(tmp_path, capsys, data)


def test_integer_ness_comes_from_the_schema(tmp_path: Path) -> None:
    """Servers are integers even with float-looking levels refused; utilisation [0, 1] given as
    whole numbers is still a real range."""
    data = experiment(
        design={"type": "lhs", "points": 8},
        factors={"arrangement.utilisation": [0, 1], DOCUMENTARY: [8, 12]},
    )
    spec = load_experiment(write(tmp_path / "lhs.yaml", data))
    utilisation, servers = spec.factors
    assert (utilisation.integer, servers.integer) == (False, True)
    points = design_points(spec)
    assert all(isinstance(p[DOCUMENTARY], int) for p in points)
    assert len({p["arrangement.utilisation"] for p in points}) == 8  # not rounded to 0 or 1
    assert all(0 <= p["arrangement.utilisation"] < 1 for p in points)


def test_the_task_size_follows_from_the_files_alone(tmp_path: Path) -> None:
    """About 1.5 M simulated shipments a task, split evenly; never a function of -w."""
    data = experiment(replications_per_task=None, replications=100)
    data["set"] = {"horizon_days": 30, "warmup_days": 0}
    spec = load_experiment(write(tmp_path / "size.yaml", data))
    per_replication = 240 * 30  # one-office: 240 shipments a day
    cap = 1_500_000 // per_replication  # 208
    assert spec.replications_per_task == 100 <= cap
    data["set"] = {"horizon_days": 350, "warmup_days": 0}  # cap 1.5 M // 84,000 = 17
    spec = load_experiment(write(tmp_path / "size.yaml", data))
    assert spec.replications_per_task == 17  # 6 tasks: five of 17 and one of 15


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_experiments_are_valid_at_every_point(path: Path) -> None:
    spec = load_experiment(path)
    points = design_points(spec)
    assert len(point_scenarios(spec, points)) == len(points) > 1


def test_the_shipped_experiments_are_the_three_the_issue_asks_for() -> None:
    names = {p.stem for p in SHIPPED}
    assert {"utilisation-sweep", "staffing-grid", "sobol-clearance"} <= names
    sweep = yaml.safe_load((ROOT / "experiments" / "utilisation-sweep.yaml").read_text())
    assert sweep["scenario"].endswith("lac-regional.yaml")
    assert list(sweep["factors"]) == ["arrangement.utilisation"]
    staffing = yaml.safe_load((ROOT / "experiments" / "staffing-grid.yaml").read_text())
    assert "arrangement.utilisation" in staffing["factors"]
    assert any(path.endswith(".servers") for path in staffing["factors"])
    sobol = yaml.safe_load((ROOT / "experiments" / "sobol-clearance.yaml").read_text())
    assert sobol["design"]["type"] == "sobol"
    assert "clearance_h_mean" in sobol["indicators"]


def test_the_scenario_path_is_relative_to_the_experiment_file(tmp_path: Path) -> None:
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "experiments").mkdir()
    (tmp_path / "scenarios" / "office.yaml").write_text(ONE_OFFICE.read_text())
    data = experiment(scenario="../scenarios/office.yaml")
    spec = load_experiment(write(tmp_path / "experiments" / "x.yaml", data))
    assert spec.scenario_path == (tmp_path / "scenarios" / "office.yaml").resolve()
