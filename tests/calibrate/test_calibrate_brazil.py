"""Brazil's fitted values in scenarios/lac-regional.yaml are what `mrasim calibrate` gives.

The scenario's calibration: block records the command that fitted Brazil's stage times
and green probabilities to its published figures (calibration/brazil-published.yaml,
docs/sources.md §2.1). This test runs that command again, writing elsewhere, and
requires the same fitted values and the very same scenario (the fit starts from the
middle of each range and simulates on common random numbers, so it is deterministic),
and every published target within its tolerance. tests/test_regional.py checks the
bundled file against the same figures port by port.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
import yaml

import sim
import sim.cli.commands

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "lac-regional.yaml"
TARGETS = "calibration/brazil-published.yaml"


@pytest.mark.slow
def test_brazil_values_are_the_output_of_the_recorded_command(tmp_path, monkeypatch, capsys):
    bundled = sim.load_scenario(SCENARIO)
    (entry,) = [c for c in bundled.calibration or [] if c.source == TARGETS]
    args = shlex.split(entry.command)
    assert args[:2] == ["mrasim", "calibrate"]
    out = args.index("--out") + 1
    assert args[out] == "scenarios/lac-regional.yaml", "the command writes the bundled file"
    args[out] = str(tmp_path / "refitted.yaml")
    monkeypatch.chdir(ROOT)  # the command's paths are relative to the repository
    status = sim.cli.main([*args[1:], "-q"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    refitted = sim.load_scenario(tmp_path / "refitted.yaml")
    (again,) = [c for c in refitted.calibration if c.source == TARGETS]
    assert [(f.path, f.value) for f in again.fields] == [(f.path, f.value) for f in entry.fields]
    assert refitted.model_dump(exclude={"calibration"}) == bundled.model_dump(
        exclude={"calibration"}
    )
    targets = yaml.safe_load((ROOT / TARGETS).read_text())["targets"]
    for target in targets:
        where = target.get("port") or target.get("mode") or "all"
        label = f"{target['country']} {where} {target['group']} {target['metric']}"
        error = again.statistics[f"{label}: relative error"]
        assert abs(error) <= target["tolerance"], f"{label}: {error:+.2%}"
