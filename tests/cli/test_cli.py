"""The ``mrasim`` command: JSON output, files written with --out, validate, help, exit status."""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd
import pytest

import sim.cli.commands
from sim.model.vocabulary import CHANNELS, GROUPS
from sim.results.atomic import write_atomic

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "one-office.yaml"
FAST = ["--workers", "1", "--set", "horizon_days=5"]
"""One process and a five-day horizon (after the scenario's two days of warm-up)."""
WINDOW_H = (7 * 24.0, (7 + 5) * 24.0)  # the week one-office's port needs to fill
SUMMARY_KEYS = [
    "country",
    "mode",
    "port",
    "group",
    "station",
    "metric",
    "mean",
    "ci_low",
    "ci_high",
    "replications",
]
STATION_METRICS = {"general_utilisation", "reserved_utilisation", "overtime_h"}
"""Metrics of a station as a whole: no trader group."""


class Outcome(NamedTuple):
    status: int
    out: str
    err: str


def cli(args: list[str | Path], capsys: pytest.CaptureFixture[str]) -> Outcome:
    """Run ``mrasim`` in-process; return its status, stdout and stderr."""
    status = sim.cli.main([str(arg) for arg in args])
    captured = capsys.readouterr()
    return Outcome(status, captured.out, captured.err)


def run_json(capsys: pytest.CaptureFixture[str], *options: str | Path) -> dict[str, Any]:
    """``mrasim run one-office.yaml --json`` with the fast options: its single JSON object."""
    status, out, err = cli(["run", SCENARIO, *FAST, "--json", *options], capsys)
    assert status == 0, err
    assert err == ""
    assert out.count("\n") == 1, "--json prints exactly one line"
    return json.loads(out, parse_constant=_reject_constant)


def _reject_constant(name: str) -> None:
    raise AssertionError(f"{name} is not JSON; missing values must be null")


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def canonical(rows: Iterable[Mapping[str, Any]], digits: int = 17) -> list[tuple[Any, ...]]:
    """Summary rows as tuples in SUMMARY_KEYS order, missing values as None, floats rounded.

    17 significant digits keep every float exactly; fewer forgive a CSV reader's last bit.
    """
    return [tuple(_cell(row[key], digits) for key in SUMMARY_KEYS) for row in rows]


def _cell(value: Any, digits: int) -> Any:
    if _missing(value):
        return None
    return float(f"{value:.{digits}g}") if isinstance(value, float) else value


def rows_of(summary: list[dict[str, Any]], metric: str) -> list[dict[str, Any]]:
    return [row for row in summary if row["metric"] == metric]


# --- run --json -------------------------------------------------------------------


def test_run_json(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_json(capsys, "-n", "3")
    assert set(result) >= {"scenario", "engine", "replications", "seed", "summary"}
    assert result["scenario"] == "one-office"
    assert result["engine"] == "numba"
    assert result["replications"] == 3
    assert result["seed"] == 1  # the scenario's own seed
    summary = result["summary"]
    assert summary
    for row in summary:
        assert set(row) == set(SUMMARY_KEYS), row
        assert 0 <= row["replications"] <= 3
        if row["ci_low"] is not None:
            assert row["ci_low"] <= row["mean"] <= row["ci_high"], row
    assert max(row["replications"] for row in summary) == 3


def test_run_json_levels_that_do_not_apply_are_null(capsys: pytest.CaptureFixture[str]) -> None:
    summary = run_json(capsys, "-n", "2")["summary"]
    for row in summary:
        if row["metric"] in STATION_METRICS:
            assert row["group"] is None and row["station"] is not None, row
        elif row["station"] is not None:
            assert row["metric"] in {"wait_h_mean", "service_h_mean", "shipments"}, row
            assert row["group"] is not None, row
        else:
            assert row["group"] is not None, row
    stations = {row["station"] for row in rows_of(summary, "general_utilisation")}
    assert stations == {"documentary", "physical"}
    reserved = {row["station"] for row in rows_of(summary, "reserved_utilisation")}
    assert reserved == {"documentary"}  # the only station with reserved servers
    levels = {(row["country"], row["mode"], row["port"]) for row in summary}
    assert levels == {
        ("PER", "sea", "callao"),  # the port
        ("PER", "sea", "all"),  # the country's sea ports
        ("PER", "all", "all"),  # the country
        ("all", "sea", "all"),  # the region's sea ports
        ("all", "all", "all"),  # the region
    }


def test_run_json_seed_option(capsys: pytest.CaptureFixture[str]) -> None:
    first = run_json(capsys, "-n", "2", "--seed", "7")
    again = run_json(capsys, "-n", "2", "--seed", "7")
    other = run_json(capsys, "-n", "2", "--seed", "8")
    assert first["seed"] == 7
    assert canonical(first["summary"]) == canonical(again["summary"])
    assert canonical(first["summary"]) != canonical(other["summary"])


def test_set_utilisation_zero(capsys: pytest.CaptureFixture[str]) -> None:
    baseline = rows_of(run_json(capsys, "-n", "2")["summary"], "utilisation_rate")
    assert baseline and all(row["mean"] > 0 for row in baseline)
    zero = rows_of(
        run_json(capsys, "-n", "2", "--set", "arrangement.utilisation=0")["summary"],
        "utilisation_rate",
    )
    assert zero and all(row["mean"] == 0 for row in zero)


# --- run --out --------------------------------------------------------------------


def test_out_writes_summary_and_run_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "results" / "base"  # created, parents too
    result = run_json(capsys, "-n", "2", "--out", out)
    # exactly these files: no temporary (hidden) file left behind
    assert sorted(p.name for p in out.iterdir()) == [
        "answer.xlsx",
        "run.json",
        "summary.csv",
        "summary.parquet",
    ]
    meta = json.loads((out / "run.json").read_text())
    assert "summary" not in meta
    for key in ("scenario", "engine", "replications", "seed"):
        assert meta[key] == result[key], key
    definition = meta["scenario_definition"]
    assert definition["name"] == "one-office"
    assert definition["horizon_days"] == 5  # the --set override is what ran


def test_out_tables_equal_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    summary = run_json(capsys, "-n", "3", "--out", tmp_path)["summary"]
    csv = pd.read_csv(tmp_path / "summary.csv", keep_default_na=False, na_values=[""])
    parquet = pd.read_parquet(tmp_path / "summary.parquet")
    assert list(csv.columns) == list(parquet.columns) == SUMMARY_KEYS
    assert canonical(parquet.to_dict(orient="records")) == canonical(summary)
    assert canonical(csv.to_dict(orient="records"), 14) == canonical(summary, 14)


def test_out_records(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_json(capsys, "-n", "2", "--records", "--out", tmp_path)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [
        "answer.xlsx",
        "records.parquet",
        "run.json",
        "summary.csv",
        "summary.parquet",
    ]
    records = pd.read_parquet(tmp_path / "records.parquet")
    expected = {
        "replication",
        "country",
        "port",
        "arrival",
        "release",
        "clearance_h",
        "channel",
        "group",
        "origin",
        "documentary_start",
        "physical_end",
    }
    assert expected <= set(records.columns)
    # one row per counted shipment: as many as the summary counts, all inside the window
    shipments = next(
        row
        for row in rows_of(result["summary"], "shipments")
        if (row["country"], row["port"], row["group"]) == ("PER", "callao", "all")
    )
    assert len(records) == round(shipments["mean"] * result["replications"])
    assert sorted(records["replication"].unique()) == [0, 1]
    assert records["arrival"].between(*WINDOW_H, inclusive="left").all()
    assert (records["release"] >= records["arrival"]).all()
    assert (records["clearance_h"] == records["release"] - records["arrival"]).all()
    assert set(records["channel"].astype(str)) <= set(CHANNELS)
    assert set(records["group"].astype(str)) <= set(GROUPS)


def test_write_atomic_keeps_old_file_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "summary.csv"
    target.write_text("old\n")

    def half_then_fail(tmp: Path) -> None:
        tmp.write_text("half of a ne")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        write_atomic(target, half_then_fail)
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["summary.csv"]

    write_atomic(target, lambda tmp: tmp.write_text("new\n"))
    assert target.read_text() == "new\n"
    assert [p.name for p in tmp_path.iterdir()] == ["summary.csv"]


# --- validate ---------------------------------------------------------------------

STATION_LINE = re.compile(r"station (\w+): (\d+) servers.*offered load (\d+\.\d+)")


def test_validate_prints_stations_and_loads(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = cli(["validate", SCENARIO], capsys)
    assert status == 0, err
    assert err == ""
    assert out.startswith(f"{SCENARIO}: valid\n")
    stations = {m[1]: (int(m[2]), float(m[3])) for m in STATION_LINE.finditer(out)}
    assert set(stations) == {"documentary", "physical"}
    assert stations["documentary"][0] == 9 and stations["physical"][0] == 16
    assert all(0 < load < 1 for _, load in stations.values())
    assert "warning" not in out


def test_validate_warns_of_overload(capsys: pytest.CaptureFixture[str]) -> None:
    servers = "countries.PER.ports.callao.stations.physical.servers=1"
    status, out, err = cli(["validate", SCENARIO, "--set", servers], capsys)
    assert status == 0, err
    stations = {m[1]: (int(m[2]), float(m[3])) for m in STATION_LINE.finditer(out)}
    assert stations["physical"][0] == 1 and stations["physical"][1] >= 1
    assert "warning" in out and "physical" in out.split("warning", 1)[1]


# --- help ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, needles",
    [
        (["--help"], ["usage: mrasim", "run", "validate"]),
        (["run", "--help"], ["usage: mrasim run", "--replications", "--out", "--records"]),
        (["validate", "--help"], ["usage: mrasim validate", "--set"]),
        (["--version"], ["mrasim " + sim.__version__]),
    ],
    ids=["mrasim", "run", "validate", "version"],
)
def test_help_exits_zero(
    capsys: pytest.CaptureFixture[str], args: list[str], needles: list[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        sim.cli.main(args)
    assert caught.value.code in (0, None)
    out = capsys.readouterr().out
    for needle in needles:
        assert needle in out


# --- the real console script ----------------------------------------------------------


def _console_script() -> str:
    """The installed ``mrasim`` (on PATH, or next to this Python)."""
    found = shutil.which("mrasim") or str(Path(sys.executable).with_name("mrasim"))
    assert Path(found).exists(), "the mrasim console script is not installed"
    return found


@pytest.mark.parametrize(
    "args, needles",
    [
        (["validate", "{bad}"], ["{bad}: ", ".stations.documentary.servers: ", "greater than 0"]),
        (["run", "{bad}", "-q", "--workers", "1"], ["{bad}: ", ".servers: "]),
        (["run", str(SCENARIO), "--engine", "foo"], ["--engine", "invalid choice"]),
    ],
    ids=["validate-bad-file", "run-bad-file", "bad-option"],
)
def test_console_script_bad_input(tmp_path: Path, args: list[str], needles: list[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(SCENARIO.read_text().replace("servers: 9", "servers: 0"))
    argv = [arg.format(bad=bad) for arg in args]
    done = subprocess.run([_console_script(), *argv], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("mrasim: ")
    assert "Traceback" not in done.stderr
    for needle in needles:
        assert needle.format(bad=bad) in done.stderr


# --- quick fixes of issue 10 ------------------------------------------------------------


def test_unknown_subcommand_names_the_program_once(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = cli(["foo"], capsys)
    assert status == 2 and out == ""
    assert err.startswith("mrasim: argument command: invalid choice: 'foo'")
    assert "mrasim: mrasim" not in err and err.count("\n") == 1


@pytest.mark.parametrize("command", ["run", "compare", "validate", "report"])
def test_help_says_what_it_does_without_doubled_percent_signs(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        sim.cli.main([command, "--help"])
    text = capsys.readouterr().out
    assert "%%" not in text
    description = text.split("\n\n")[1]  # after the usage paragraph
    assert len(description.split()) >= 8, description


@pytest.mark.parametrize(
    ("command", "files", "not_files"),
    [
        ("compare", "comparison.csv, comparison.parquet", "summary.csv"),
        ("run", "summary.csv, summary.parquet", "comparison.csv"),
    ],
)
def test_help_names_the_files_out_writes(
    command: str, files: str, not_files: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        sim.cli.main([command, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert files in text and not_files not in text


def test_a_misspelt_field_is_named_as_the_readme_says(tmp_path: Path) -> None:
    """The README quotes this message; a file with ``sevrers:`` gets exactly it."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    quoted = next(line for line in readme.splitlines() if "sevrers" in line and "mrasim:" in line)
    path = tmp_path / "scenarios" / "x.yaml"
    path.parent.mkdir()
    path.write_text(SCENARIO.read_text().replace("servers: 9", "sevrers: 9"))
    done = subprocess.run(
        [_console_script(), "validate", "scenarios/x.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == quoted.strip()


def test_readme_shows_a_users_install_beside_the_test_install() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    commands = re.findall(r"^(?:.*&& )?(pip install [^&\n#]*?)\s*(?:&&.*|#.*)?$", readme, re.M)
    assert 'pip install -e ".[test]"' in commands
    assert "pip install -e ." in commands
