"""``calibrate`` from an administration's export: the walk of calibration/README.md section 0,
and the template named as every other command names it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import sim
import sim.cli

ROOT = Path(__file__).resolve().parents[2]
CALIBRATION = ROOT / "calibration"


def cli(args: list, capsys) -> tuple[int, str, str]:
    status = sim.cli.main([str(a) for a in args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_the_spanish_export_fits_the_generating_port(tmp_path, capsys):
    """From a Windows-1252, ';', day-first export through its mapping: the generating
    scenario's servers come back, and every line printed fits 100 columns."""
    out = tmp_path / "fitted.yaml"
    status, text, err = cli(
        [
            "calibrate",
            CALIBRATION / "aduana-callao.csv",
            "--mapping",
            CALIBRATION / "aduana-callao.mapping.yaml",
            "--scenario",
            CALIBRATION / "sample-template.yaml",
            "--out",
            out,
            "-n",
            "4",
        ],
        capsys,
    )
    assert status == 0, err
    assert max(len(line) for line in text.splitlines()) <= 100
    assert "D by chance" in text and "error" in text
    fitted = sim.load_scenario(out)
    port = fitted.countries["PER"].ports["callao"]
    assert port.stations["documentary"].servers == 8
    assert port.stations["physical"].servers == 10
    (entry,) = fitted.calibration
    assert "--mapping" in entry.command
    assert any(note.startswith("mapping: ") for note in entry.notes)


def test_a_bundled_template_is_named_like_everywhere_else(tmp_path, capsys):
    """`--scenario one-office` is the bundled scenario, resolved before the records are read."""
    status, _, err = cli(
        ["run", "one-office", "-n", "1", "--records", "--out", tmp_path / "run", "-q"], capsys
    )
    assert status == 0, err
    records = pd.read_parquet(tmp_path / "run" / "records.parquet")
    path = tmp_path / "records.csv"
    records.head(1500).to_csv(path, index=False)
    out = tmp_path / "fitted.yaml"
    status, text, err = cli(
        ["calibrate", path, "--scenario", "one-office", "--out", out, "-n", "2", "-q"], capsys
    )
    assert status == 0, err
    assert out.exists() and "fitted to 1,500 records" in text
