"""``sim.report.interactive``: the report's figures on screen carry the result record's numbers.

Each chart is read back from its Plotly figure (what the page hands to plotly.js) and held
against the record: the changes and their 95% intervals, the green share in points, the
stages of clearance, which add up to the clearance time shipment by shipment and so in the
mean, and the quantiles.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import sim
import sim.cli.commands
from sim.indicators.layout import STAGES
from sim.model.vocabulary import ALL, ELIGIBLE
from sim.replicate.result import Results, Where
from sim.report.interactive import Chart, charts_of, interactive_section
from sim.results.files import read_results

ONE_OFFICE = Path(__file__).resolve().parents[2] / "scenarios" / "one-office.yaml"
FAST = ["--workers", "1", "-n", "3", "--set", "horizon_days=3", "--quiet"]


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> Results:
    out = tmp_path_factory.mktemp("interactive") / "out"
    assert sim.cli.main(["compare", str(ONE_OFFICE), *FAST, "--out", str(out)]) == 0
    return sim.read_results(out)  # the notebook's: it shows itself (result.plot)


@pytest.fixture(scope="module")
def charts(compared: Results) -> dict[str, Chart]:
    return {chart.anchor: chart for chart in charts_of(compared)}


def traces(chart: Chart) -> dict[str, dict[str, object]]:
    return {trace["name"]: trace for trace in chart.figure.to_dict()["data"] if "name" in trace}


def close(shown: object, expected: float) -> bool:
    return shown is None if math.isnan(expected) else math.isclose(float(shown), expected)  # type: ignore[arg-type]


def test_a_comparison_has_the_change_the_green_share_the_stages_and_the_spread(
    charts: dict[str, Chart],
) -> None:
    assert list(charts) == ["change", "green", "stages", "spread"]
    for chart in charts.values():
        assert chart.caption and chart.figure.to_dict()["data"]


def test_the_change_is_the_records_relative_change_with_its_interval(
    compared: Results, charts: dict[str, Chart]
) -> None:
    label = compared.compared[0]
    for group, trace in zip(
        (ELIGIBLE, ALL), charts["change"].figure.to_dict()["data"], strict=True
    ):
        assert trace["y"] == ("Peru", "Region") or list(trace["y"]) == ["Peru"]
        change = compared.relative(label, Where("PER", group=group), "clearance_h_mean")
        assert close(trace["x"][0], change.mean)
        assert close(trace["error_x"]["array"][0], change.high - change.mean)
        assert close(trace["error_x"]["arrayminus"][0], change.mean - change.low)


def test_the_green_share_change_is_in_percentage_points(
    compared: Results, charts: dict[str, Chart]
) -> None:
    eligible = charts["green"].figure.to_dict()["data"][0]
    difference = compared.get(
        "difference", compared.compared[0], Where("PER", group=ELIGIBLE), "green_share"
    )
    assert close(eligible["x"][0], 100 * difference.mean)
    assert eligible["x"][0] > 0  # recognition grants green: the change is an increase


def test_the_stages_add_up_to_the_clearance_time(
    compared: Results, charts: dict[str, Chart]
) -> None:
    bars = charts["stages"].figure.to_dict()["data"]
    assert len(bars) == len(STAGES)
    for row, label in enumerate(compared.labels):
        total = sum(bar["x"][row] for bar in bars)
        clearance = compared.get("value", label, Where("PER", group=ELIGIBLE), "clearance_h_mean")
        assert math.isclose(total, clearance.mean, rel_tol=1e-9), (label, total, clearance)


def test_the_spread_marks_median_mean_and_90th_percentile(
    compared: Results, charts: dict[str, Chart]
) -> None:
    marks = traces(charts["spread"])
    for label in compared.labels:
        for metric, name in (
            ("clearance_h_median", "median"),
            ("clearance_h_mean", "mean"),
            ("clearance_h_p90", "90th percentile"),
        ):
            shown = marks[f"{name}, {label}"]["x"][0]
            assert close(
                shown, compared.get("value", label, Where("PER", group=ELIGIBLE), metric).mean
            )


def test_the_section_embeds_plotly_once(compared: Results) -> None:
    """plotly.js once, then a script per chart; no script is fetched (tests/report/
    test_browser.py opens the page with every request off the file refused)."""
    html = interactive_section(compared)
    assert html.count("<script") == 1 + len(list(charts_of(compared)))
    assert "<script src" not in html


def test_a_sweep_adds_the_utilisation_response_from_the_baselines_zero(
    tmp_path: Path,
) -> None:
    out = tmp_path / "sweep"
    sweep = ["--utilisation", "0.5,1"]
    assert sim.cli.main(["compare", str(ONE_OFFICE), *FAST, *sweep, "--out", str(out)]) == 0
    results = read_results(out)
    charts = {chart.anchor: chart for chart in charts_of(results)}
    assert list(charts) == ["change", "green", "stages", "spread", "sweep"]
    line = traces(charts["sweep"])["Peru"]
    baseline = 100 * results.utilisation(results.labels[0])
    assert list(line["x"]) == [baseline, 50.0, 100.0] and line["y"][0] == 0.0
    for x, y in zip(line["x"][1:], line["y"][1:], strict=True):
        label = next(s for s in results.compared if 100 * results.utilisation(s) == x)
        assert close(
            y, results.relative(label, Where("PER", group=ELIGIBLE), "clearance_h_mean").mean
        )


def test_a_run_shows_where_the_time_goes_and_the_spread(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert sim.cli.main(["run", str(ONE_OFFICE), *FAST, "--out", str(out)]) == 0
    assert [chart.anchor for chart in charts_of(read_results(out))] == ["stages", "spread"]


def test_a_notebook_gets_the_same_figures_by_name(compared: Results) -> None:
    """``result.plot.<figure>()`` is the report's chart; one the result lacks is refused."""
    stages = compared.plot.stages()
    assert stages.to_dict()["data"] == next(
        c.figure.to_dict()["data"] for c in charts_of(compared) if c.anchor == "stages"
    )
    assert list(compared.plot.change(country="perú").to_dict()["data"][0]["y"]) == ["Peru"]
    with pytest.raises(ValueError, match="no sweep figure"):
        compared.plot.sweep()


def test_over_uncertain_inputs_the_drivers_and_the_draws_are_drawn(tmp_path: Path) -> None:
    """``--uncertainty N``: (f) each input's first-order share as drivers.csv has it, largest
    first, grey where its interval reaches 0; (g) each draw's change against the top input."""
    out = tmp_path / "uncertain"
    vary = ["--vary", "arrangement.utilisation=[0.1,0.8]", "--uncertainty", "8"]
    assert sim.cli.main(["compare", str(ONE_OFFICE), *FAST, *vary, "--out", str(out)]) == 0
    results = read_results(out)
    charts = {chart.anchor: chart for chart in charts_of(results)}
    assert list(charts)[-2:] == ["drivers", "against"]
    bars = charts["drivers"].figure.to_dict()["data"][0]
    assert list(bars["y"]) == ["arrangement.utilisation"]  # --vary names an input by its path
    assert results.drivers is not None and results.draws is not None
    row = results.drivers[
        (results.drivers["kind"] == "relative")
        & (results.drivers["country"] == "PER")
        & (results.drivers["mode"] == ALL)
        & (results.drivers["group"] == ELIGIBLE)
        & (results.drivers["metric"] == "clearance_h_mean")
    ].iloc[0]
    assert close(bars["x"][0], 100 * row["first_order"])
    grey = bars["marker"]["color"][0] == "#BBBBBB"
    assert grey == (row["first_order_low"] <= 0)
    points = charts["against"].figure.to_dict()["data"][0]
    assert list(points["x"]) == results.draws["arrangement.utilisation"].tolist()
    assert (
        list(points["y"]) == results.draws["relative with PER eligible clearance_h_mean"].tolist()
    )
