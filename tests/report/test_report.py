"""``sim.report``: the HTML policy report of a compare, sweep or run folder, and its bad input."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

import sim.cli.commands
from sim.errors import InputError
from sim.report.policy import INDICATOR_LABELS, write_report

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "one-office.yaml"
FAST = ["--workers", "1", "-n", "3", "--set", "horizon_days=3", "--quiet"]
IMAGE = '<img src="data:image/png;base64,'


def mrasim(*args: str | Path) -> None:
    """Run ``mrasim`` in-process; it must succeed."""
    assert sim.cli.main([str(arg) for arg in args]) == 0


def two_countries(folder: Path) -> Path:
    """one-office with a second importing country (Chile, a copy of Peru's port)."""
    data = yaml.safe_load(SCENARIO.read_text())
    port = dict(data["countries"]["PER"]["ports"]["callao"])
    port["origins"] = {
        "CHN": 0.35,
        "USA": 0.2,
        "BRA": 0.1,
        "PER": 0.08,
        "ARG": 0.05,
        "COL": 0.05,
        "OTHER": 0.17,
    }
    data["countries"]["CHL"]["ports"] = {"valparaiso": port}
    path = folder / "two-countries.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.fixture(scope="module")
def comparison(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """With vs without the arrangement, in two countries (so the region has its own rows)."""
    folder = tmp_path_factory.mktemp("compare")
    mrasim("compare", two_countries(folder), *FAST, "--out", folder / "out")
    return folder / "out"


@pytest.fixture(scope="module")
def comparison_page(comparison: Path) -> str:
    """The comparison's report, written once to its default place."""
    path = write_report(comparison)
    assert path == comparison / "report.html"
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sweep")
    mrasim("compare", SCENARIO, *FAST, "--utilisation", "0,0.5,1", "--out", folder)
    return folder


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("run")
    mrasim("run", SCENARIO, *FAST, "--out", folder)
    return folder


def decimals(half_width: float, default: int, figures: int = 2) -> int:
    """Decimals the report should print: two significant figures of the half-width, at most
    two beyond the default (the rule of sim.numbers, written out independently)."""
    return min(figures - 1 - math.floor(math.log10(half_width)), default + 2)


def printed(value: float, places: int, signed: bool = False) -> str:
    text = f"{round(value, places) + 0.0:,.{max(places, 0)}f}"
    return f"+{text}" if signed and round(value, places) > 0 else text


def row(table: pd.DataFrame, **levels: str) -> pd.Series:
    """The one row of a results table at the given levels."""
    selected = table
    for column, value in levels.items():
        selected = selected[selected[column] == value]
    assert len(selected) == 1, levels
    return selected.iloc[0]


def test_comparison_report_shows_countries_indicators_figures_and_numbers(
    comparison: Path, comparison_page: str
) -> None:
    page = comparison_page
    for text in (
        "PER",
        "CHL",
        "Region (all countries)",
        "How to read",
        "Hummels",
        *INDICATOR_LABELS.values(),
    ):
        assert text in page, text
    assert page.count(IMAGE) == 2  # (a) change in clearance time, (b) green share; no sweep
    table = pd.read_parquet(comparison / "comparison.parquet")
    change = row(
        table,
        kind="difference",
        country="PER",
        mode="all",
        port="all",
        group="eligible",
        metric="clearance_h_mean",
    )
    assert change["mean"] < 0, "recognition speeds up eligible shipments"
    places = decimals((change["ci_high"] - change["ci_low"]) / 2, default=2)
    assert printed(change["mean"], places, signed=True) in page
    low, high = (printed(change[c], places, signed=True) for c in ("ci_low", "ci_high"))
    assert f"{low} to {high}" in page
    value = row(
        table,
        kind="value",
        scenario="with",
        country="CHL",
        mode="all",
        port="all",
        group="all",
        metric="green_share",
    )
    places = decimals(100 * (value["ci_high"] - value["ci_low"]) / 2, default=1)
    assert f"{printed(100 * value['mean'], places)}%" in page


def test_annual_saving_is_the_per_shipment_change_times_a_years_shipments(
    comparison: Path, comparison_page: str
) -> None:
    table = pd.read_parquet(comparison / "comparison.parquet")
    horizon = json.loads((comparison / "run.json").read_text())["scenario_definitions"][1][
        "horizon_days"
    ]
    region = {"scenario": "with", "country": "all", "mode": "all", "port": "all", "group": "all"}
    change = row(table, kind="difference", metric="delay_cost_usd_1.3pct", **region)
    shipments = row(table, kind="value", metric="shipments", **region)["mean"]
    assert horizon == 3
    per_year = shipments / horizon * 365
    saving = -change["mean"] * per_year
    half = (change["ci_high"] - change["ci_low"]) / 2 * per_year
    assert saving > 1e3
    if saving < 1e6:  # printed in full, with thousands separators, to 3 s.f. at most
        places = min(decimals(half, default=2), 3 - 1 - math.floor(math.log10(saving)))
        assert f"USD {printed(saving, places)}" in comparison_page
    else:  # in millions, to 3 s.f. at most
        places = min(decimals(half / 1e6, default=2), 3 - 1 - math.floor(math.log10(saving / 1e6)))
        assert f"USD {printed(saving / 1e6, places)} M" in comparison_page


def test_sweep_report_adds_the_utilisation_figure(sweep: Path) -> None:
    page = write_report(sweep).read_text(encoding="utf-8")
    assert page.count(IMAGE) == 3  # (a), (b) and (c) the change against utilisation
    assert "(c) Change in mean clearance time" in page
    for label in ("u=0.5", "u=1 − without"):
        assert label in page
    assert "u=0 " not in page, "a utilisation of 0 is the baseline, not a column of its own"


def test_run_report_shows_indicators_and_stations(run: Path, tmp_path: Path) -> None:
    output = tmp_path / "elsewhere" / "one-office.html"
    assert write_report(run, output) == output
    page = output.read_text(encoding="utf-8")
    for text in ("PER", "callao", "documentary", "physical", *INDICATOR_LABELS.values()):
        assert text in page, text
    assert page.count(IMAGE) == 1  # (b) green share; nothing to compare
    table = pd.read_parquet(run / "summary.parquet")
    value = row(
        table, country="PER", mode="all", port="all", group="all", metric="clearance_h_mean"
    )
    places = decimals((value["ci_high"] - value["ci_low"]) / 2, default=2)
    assert printed(value["mean"], places) in page
    assert f"{printed(value['ci_low'], places)} to {printed(value['ci_high'], places)}" in page
    assert not (run / "report.html").exists()


def test_missing_folder_is_bad_input_that_says_what_to_run(tmp_path: Path) -> None:
    missing = tmp_path / "nothing-here"
    with pytest.raises(InputError) as error:
        write_report(missing)
    assert error.value.source == str(missing)
    assert error.value.field == ""
    assert "mrasim compare" in str(error.value)
    assert "\n" not in str(error.value)


def test_folder_without_results_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"holds no run\.json"):
        write_report(tmp_path)
    (tmp_path / "run.json").write_text(json.dumps({"kind": "comparison"}))
    with pytest.raises(InputError, match=r"holds no comparison\.parquet"):
        write_report(tmp_path)


def test_unreadable_parquet_is_bad_input(tmp_path: Path) -> None:
    (tmp_path / "run.json").write_text(json.dumps({"scenario": "x"}))
    (tmp_path / "summary.parquet").write_text("not parquet")
    with pytest.raises(InputError, match=r"summary\.parquet cannot be read"):
        write_report(tmp_path)
    assert not (tmp_path / "report.html").exists()


def test_report_opens_with_the_answer_then_assumptions_figures_and_long_tables(
    comparison_page: str,
) -> None:
    order = ['id="answer"', 'id="assumptions"', 'id="contents"', 'id="figures"', 'id="indicators"']
    positions = [comparison_page.index(anchor) for anchor in order]
    assert positions == sorted(positions)
    for anchor in ("#figures", "#indicators", "#country-PER", "#country-CHL", "#region", "#about"):
        assert f'href="{anchor}"' in comparison_page
    assert "Region*" in comparison_page, "the region pools countries whose clocks differ"
    assert "SHA-256" in comparison_page and "mrasim compare" in comparison_page  # provenance


def test_no_bold_on_a_change_that_rounds_to_zero_or_covers_it(comparison_page: str) -> None:
    bold = re.findall(
        r'<td class="clear">([^<]*)<span class="ci">([^<]*) to ([^<]*)</span>', comparison_page
    )
    assert bold, "some changes are clear"
    for text, low, high in bold:
        assert set(re.sub(r"[^0-9]", "", text)) != {"0"}, text
        bounds = [float(re.sub(r"[^0-9.+-]", "", b.replace(" M", ""))) for b in (low, high)]
        assert not (bounds[0] < 0 < bounds[1]), (text, low, high)  # the interval excludes 0
