"""``mrasim experiment`` from the command line: -n and --points for a trial run, a table that
shows the eligible shipments an arrangement factor moves beside all, in compare's formats,
the pooled-clocks warning, and indicators in words in the report."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from experiment_files import experiment, write
from helpers import small_region

import sim.cli

FAST = ["-w", "1"]


def mrasim(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    status = sim.cli.main([str(a) for a in args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_n_makes_a_trial_run_in_a_folder_of_its_own(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "100")
    path = write(tmp_path / "grid.yaml", experiment(replications_per_task=None))
    status, out, err = mrasim(capsys, "experiment", path, *FAST, "-n", "2")
    assert status == 0, err
    folder = tmp_path / "out" / "test-grid-n2"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["overrides"] == {"n": 2} and manifest["replications"] == {"fixed": 2}
    results = pd.read_csv(folder / "results.csv")
    assert set(results.groupby("point")["replications"].max()) == {2}
    assert "a trial run (n 2)" in out and max(map(len, out.splitlines())) <= 100
    # the table: eligible beside all, shares in percent as compare prints them
    lines = out.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("point"))
    assert "group" in lines[at] and "clearance h mean" in lines[at]
    assert lines[at + 2].split()[3] == "all" and lines[at + 3].split()[0] == "eligible"
    assert "%" in lines[at + 2] and "±" in lines[at + 2]
    assert "green share" in out
    # another -n in the same folder is refused, in one line
    status, _, err = mrasim(capsys, "experiment", path, *FAST, "-n", "3", "--out", folder)
    assert status == 2 and "holds results of a run with other -n or --points (n=2)" in err


def test_points_sizes_a_sampled_design_and_is_refused_for_a_grid(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    grid = write(tmp_path / "grid.yaml", experiment())
    status, out, err = mrasim(capsys, "experiment", grid, "--points", "4")
    assert status == 2 and out == ""
    assert err == (
        "mrasim: --points: 4: a grid's points are its levels; --points sizes lhs and sobol\n"
    )
    sobol = experiment(
        design={"type": "sobol", "points": 8},
        factors={"arrangement.utilisation": [0.0, 1.0]},
        replications=2,
    )
    status, _, err = mrasim(
        capsys, "experiment", write(tmp_path / "s.yaml", sobol), "--points", "6"
    )
    assert status == 2 and "use 4 or 8" in err
    lhs = experiment(
        design={"type": "lhs", "points": 20},
        factors={"arrangement.utilisation": [0.0, 1.0]},
        replications=2,
    )
    out_dir = tmp_path / "lhs"
    path = write(tmp_path / "lhs.yaml", lhs)
    args = ["experiment", path, *FAST, "--points", "3", "--out", out_dir, "-q"]
    status, _, err = mrasim(capsys, *args)
    assert status == 0, err
    assert pd.read_csv(out_dir / "experiments.csv").shape[0] == 3


def test_a_whole_scenario_that_pools_clocks_says_so_and_the_report_names_indicators(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    scenario = small_region(tmp_path, 3)
    data = experiment(
        scenario=str(scenario),
        factors={"arrangement.utilisation": [0.0, 1.0]},
        replications=2,
        indicators=["green_share", "clearance_h_mean", "delay_cost_usd_1.3pct"],
    )
    out = tmp_path / "out"
    status, printed, err = mrasim(
        capsys, "experiment", write(tmp_path / "two.yaml", data), *FAST, "--out", out
    )
    assert status == 0, err
    text = " ".join(printed.split())
    assert "the whole scenario pools 2 countries whose clearance clocks may differ" in text
    assert "cost USD/shipment" in printed
    assert sim.cli.main(["report", str(out), "-q"]) == 0
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "cost of delay, 1.3%/day (USD per shipment)" in page
    assert "delay cost usd" not in page and "delay_cost_usd_1.3pct</b>" not in page
    assert yaml.safe_load((tmp_path / "two.yaml").read_text())["replications"] == 2
