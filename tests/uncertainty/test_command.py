"""``mrasim compare --uncertainty N`` on the command line: what it writes and says, that a
rerun resumes, and that a result without it says its intervals count simulation noise only."""

from __future__ import annotations

import html
import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import sim.cli
from sim.uncertainty.result import DRIVER_COLUMNS, KEY_COLUMNS, STAT_COLUMNS

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "one-office.yaml"
VARY = [
    "--vary",
    "arrangement.utilisation=[0.1,0.8]",
    "--vary",
    "countries.PER.ports.callao.stations.documentary.service_h.mean=x[0.9,1.2]",
]
STUDY = ["--uncertainty", "8", "-n", "2", "--workers", "2", *VARY]


def mrasim(args: list[str | Path], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = sim.cli.main([str(arg) for arg in args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_a_study_writes_its_tables_and_a_rerun_computes_nothing(tmp_path, capsys):
    out = tmp_path / "study"
    status, text, err = mrasim(["compare", SCENARIO, *STUDY, "--out", out], capsys)
    assert status == 0, err
    assert "Ranges are over the plausible inputs" in " ".join(text.split())
    table = pd.read_csv(out / "uncertainty.csv")
    assert list(table.columns) == KEY_COLUMNS + STAT_COLUMNS
    drivers = pd.read_csv(out / "drivers.csv")
    assert list(drivers.columns) == KEY_COLUMNS + DRIVER_COLUMNS
    assert set(drivers["input"]) == {v.split("=")[0] for v in VARY[1::2]}
    assert (out / "comparison.csv").is_file() and (out / "draws.csv").is_file()
    answer = json.loads((out / "run.json").read_text())["answer"]
    assert answer["sentences"][0].startswith("Over the plausible values")
    assert answer["intervals"].startswith("Ranges are over the plausible inputs")
    sheet = openpyxl.load_workbook(out / "answer.xlsx", read_only=True)["answer"]
    cells = [row[0] for row in sheet.iter_rows(values_only=True) if row and row[0]]
    assert answer["sentences"][0] in cells and answer["intervals"] in cells
    status, _, err = mrasim(["report", out, "-q"], capsys)
    assert status == 0, err
    page = html.unescape((out / "report.html").read_text())
    assert "Over the plausible values" in page and answer["intervals"] in page
    assert "What we do not know" in page and "Drivers of Peru's change" in page
    status, text, err = mrasim(["compare", SCENARIO, *STUDY, "--out", out, "--force"], capsys)
    assert status == 0, err
    assert "0 computed, 9 found stored" in text  # the nominal point and 8 draws
    pd.testing.assert_frame_equal(pd.read_csv(out / "uncertainty.csv"), table)


def test_a_run_over_uncertain_inputs_writes_its_levels_ranges(tmp_path, capsys):
    """``run --uncertainty --out``: the levels' plausible ranges, and no answer (a run compares
    nothing), in the folder, the workbook and the report (it once failed asking an answer)."""
    out = tmp_path / "levels"
    fast = ["--uncertainty", "8", "-n", "2", "--workers", "2", "--set", "horizon_days=5", *VARY]
    status, _text, err = mrasim(["run", SCENARIO, *fast, "--out", out], capsys)
    assert status == 0, err
    table = pd.read_csv(out / "uncertainty.csv")
    assert set(table["kind"]) == {"value"} and table["plausible_low"].notna().any()
    assert "answer" not in json.loads((out / "run.json").read_text())
    assert (out / "answer.xlsx").is_file()
    status, _, err = mrasim(["report", out, "-q"], capsys)
    assert status == 0, err


def test_too_few_draws_say_why_there_is_no_range(capsys):
    """Below the draws a range needs, the ranges read "-": the footer says why and what to ask."""
    fast = ["-n", "2", "--workers", "1", "--set", "horizon_days=5", *VARY]
    status, text, err = mrasim(["compare", SCENARIO, *fast, "--uncertainty", "4"], capsys)
    assert status == 0, err
    said = " ".join(text.split())
    assert "Fewer than 8 draws give no plausible range: ask for 8 or more." in said
    status, text, err = mrasim(["compare", SCENARIO, *fast, "--uncertainty", "8"], capsys)
    assert status == 0, err
    assert "Fewer than" not in text


def test_without_uncertainty_the_intervals_say_they_count_noise_only(capsys):
    fast = ["-n", "2", "--workers", "1", "--set", "horizon_days=5"]
    status, text, err = mrasim(["compare", SCENARIO, *fast], capsys)
    assert status == 0, err
    assert "Intervals count simulation noise only" in " ".join(text.split())


def test_vary_without_uncertainty_is_one_line(capsys):
    status, text, err = mrasim(["compare", SCENARIO, *VARY], capsys)
    assert status == 2 and text == ""
    assert err.count("\n") == 1 and "--vary" in err and "goes with --uncertainty" in err


def test_a_refused_study_makes_no_folder(tmp_path, capsys):
    out = tmp_path / "study"
    bad = ["--uncertainty", "8", "--vary", "arrangement.utilisaton=[0.1,0.8]"]
    status, _, err = mrasim(["compare", SCENARIO, *bad, "--out", out], capsys)
    assert status == 2 and "did you mean" in err
    assert not out.exists()


def test_a_set_outside_a_range_is_a_what_if_refused_only_when_drawing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The bundled scenario's utilisation ranges over [0.05, 0.8]: `--set` 0.9 is a what-if
    a plain run answers; drawing the inputs around it (and `validate`, which checks what
    would be drawn) is refused in one line."""
    what_if = ["lac-regional", "--set", "arrangement.utilisation=0.9"]
    short = ["--set", "horizon_days=1", "--set", "warmup_days=1", "-n", "2", "-q"]
    status, _, err = mrasim(["run", *what_if, *short], capsys)
    assert status == 0, err
    for drawn in (["compare", *what_if, "--uncertainty", "2"], ["validate", *what_if]):
        status, _, err = mrasim(drawn, capsys)
        assert status == 2 and "lies outside [0.05, 0.8]" in err and len(err.splitlines()) == 1
