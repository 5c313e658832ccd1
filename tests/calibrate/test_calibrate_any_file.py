"""No record file of any shape ends in a traceback: ``calibrate`` fits it or says, in one line
and exit status 2, what is missing.

Hypothesis cuts the shipped Spanish export (calibration/aduana-callao.csv) into files an
analyst might be handed: a random run of rows (shuffled or not), some columns dropped,
written with another separator and encoding (or as Parquet), perhaps cut off mid-line; the
mapping keeps its names and values but leaves the separator and encoding to be sniffed.
Derandomised and bounded, so CI sees the same files every time.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim.cli

ROOT = Path(__file__).resolve().parents[2]
EXPORT = ROOT / "calibration" / "aduana-callao.csv"
MAPPING = ROOT / "calibration" / "aduana-callao.mapping.yaml"
TEMPLATE = ROOT / "calibration" / "sample-template.yaml"
RAW = pd.read_csv(EXPORT, sep=";", encoding="cp1252", dtype=str, keep_default_na=False)
ENCODINGS = ("utf-8", "utf-8-sig", "cp1252", "utf-16")
SEPARATORS = (";", ",", "\t", "|")


@st.composite
def record_files(draw) -> dict:
    first = draw(st.integers(0, len(RAW) - 1))
    rows = draw(st.integers(0, 900))
    dropped = draw(st.lists(st.sampled_from(list(RAW.columns)), max_size=2, unique=True))
    return {
        "first": first,
        "rows": rows,
        "shuffle": draw(st.booleans()),
        "dropped": dropped,
        "encoding": draw(st.sampled_from(ENCODINGS)),
        "sep": draw(st.sampled_from(SEPARATORS)),
        "parquet": draw(st.booleans()),
        "cut": draw(st.integers(0, 40)),
    }


def write(case: dict, folder: Path) -> Path:
    frame = RAW.iloc[case["first"] : case["first"] + case["rows"]]
    if case["shuffle"]:
        frame = frame.sample(frac=1.0, random_state=case["first"])
    frame = frame.drop(columns=case["dropped"])
    if case["parquet"]:
        path = folder / "export.parquet"
        frame.to_parquet(path)
        return path
    path = folder / "export.csv"
    text = frame.to_csv(sep=case["sep"], index=False)
    data = text.encode(case["encoding"])
    if case["cut"] and len(data) > case["cut"]:
        data = data[: -case["cut"]]
    path.write_bytes(data)
    return path


@pytest.fixture(scope="module")
def mapping(tmp_path_factory) -> Path:
    data = yaml.safe_load(MAPPING.read_text(encoding="utf-8"))
    for key in ("encoding", "sep", "header_row"):
        data.pop(key, None)
    path = tmp_path_factory.mktemp("mapping") / "mapping.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.slow
@settings(
    max_examples=30,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=record_files())
def test_calibrate_fits_or_refuses_in_one_line(case, mapping, tmp_path, capsys):
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    path = write(case, folder)
    out = folder / "fitted.yaml"
    args = ["calibrate", path, "--mapping", mapping, "--scenario", TEMPLATE, "--out", out]
    status = sim.cli.main([str(a) for a in [*args, "-n", "2", "-w", "1", "-q"]])
    captured = capsys.readouterr()
    assert status in (0, 2), captured.err
    if status == 2:
        assert captured.err.startswith("mrasim: ") and captured.err.count("\n") == 1, captured.err
        assert not out.exists()
    else:
        assert out.exists() and captured.err == ""
