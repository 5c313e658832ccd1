"""The Python API as a notebook uses it: short reprs, an HTML view, summary() filtered and with
a ``level`` column (aggregated keys NaN, not "all"), the answer as a DataFrame, records with
dates."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest
from helpers import area_row, small_region

import sim
from sim.errors import InputError
from sim.replicate.views import LEVELS


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> sim.Scenario:
    """Peru (a sea port and a road post) and Chile."""
    return sim.load_scenario(small_region(tmp_path_factory.mktemp("notebook"), 4))


@pytest.fixture(scope="module")
def run(scenario: sim.Scenario) -> sim.RunResult:
    return sim.run(scenario, replications=3, workers=1, keep_records=True)


@pytest.fixture(scope="module")
def comparison(scenario: sim.Scenario) -> sim.ComparisonResult:
    scenarios, labels = sim.arrangement_variants(scenario)
    return sim.compare(scenarios, labels, replications=3, workers=1)


def test_reprs_are_one_short_line_with_headline_numbers(
    run: sim.RunResult, comparison: sim.ComparisonResult, tmp_path: Path
) -> None:
    for result, words in (
        (run, "<RunResult one-office: 3 replications; all shipments across the region"),
        (comparison, "<ComparisonResult one-office: without vs with, 3 replications"),
        (sim.read_results(comparison.save(tmp_path)), "<Results one-office: without vs"),
    ):
        text = repr(result)
        assert text.startswith(words) and "\n" not in text and len(text) < 250, text
        assert "clearance" in text and "green share" in text


def test_the_html_view_is_the_headline_table(
    run: sim.RunResult, comparison: sim.ComparisonResult
) -> None:
    page = comparison._repr_html_()
    assert "<b>one-office</b>: without vs with, 3 replications" in page
    assert page.index(">Chile<") < page.index(">Peru<") < page.index(">Region<")
    assert "partner-AEO shipments" in page and "<table>" in page
    page = run._repr_html_()
    assert "clearance mean (h)" in page and page.index(">Chile<") < page.index(">Peru<")


def test_summary_names_levels_and_leaves_aggregated_keys_missing(run: sim.RunResult) -> None:
    summary = run.summary()
    assert list(summary.columns[:4]) == ["level", "country", "mode", "port"]
    assert set(summary["level"]) == set(LEVELS)
    for column in ("country", "mode", "port"):
        assert not (summary[column] == "all").any(), column
    region = summary[summary["country"].isna() & summary["mode"].isna()]
    assert set(region["level"]) == {"region"}
    assert set(summary.loc[summary["port"].isna() & summary["mode"].notna(), "level"]) == {
        "country-mode",
        "region-mode",
    }
    table = run.table()
    assert len(summary) == len(table), "the same rows as the files"
    assert summary["mean"].equals(table["mean"])


def test_summary_filters_take_names_as_the_command_line_does(run: sim.RunResult) -> None:
    rows = run.summary(country="perú", group="eligible", metric="clearance_h_mean")
    assert set(rows["country"]) == {"PER"} and set(rows["level"]) == {
        "port",
        "country-mode",
        "country",
    }
    (peru,) = run.summary(
        country="Peru", level="country", metric="clearance_h_mean", group="all"
    ).itertuples()
    expected = area_row(run.table(), country="PER", group="all", metric="clearance_h_mean")
    assert peru.mean == expected["mean"] and peru.group == "all"
    roads = run.summary(mode="road", level=["port", "region-mode"], metric="shipments")
    assert set(roads["port"].dropna()) == {"tacna"} and set(roads["level"]) == {
        "port",
        "region-mode",
    }
    for bad, field in (
        ({"country": "Narnia"}, "country"),
        ({"level": "continent"}, "level"),
        ({"metric": "clearance"}, "metric"),
    ):
        with pytest.raises(InputError) as error:
            run.summary(**bad)
        assert error.value.source == field


def test_a_comparison_summary_keeps_kind_and_scenario(comparison: sim.ComparisonResult) -> None:
    rows = comparison.summary(country="CHL", level="country", group="eligible")
    assert list(rows.columns[:4]) == ["kind", "scenario", "versus", "level"]
    assert set(rows["kind"]) == {"value", "difference"}


def test_the_answer_is_a_dataframe_of_the_tables_numbers(
    comparison: sim.ComparisonResult,
) -> None:
    answer = comparison.answer()
    assert answer["name"].tolist() == ["Chile", "Peru", "Region"]
    assert answer["level"].tolist() == ["country", "country", "region"]
    assert math.isnan(answer["country"].iloc[-1]) and answer["country"].isna().sum() == 1
    table = comparison.table()
    for _, row in answer.iterrows():
        code = "all" if row["level"] == "region" else row["country"]
        change = area_row(
            table, kind="difference", country=code, group="eligible", metric="clearance_h_mean"
        )
        assert (row["clearance_change_h"], row["clearance_change_h_low"]) == (
            change["mean"],
            change["ci_low"],
        )
        assert row["annualised_from_days"] == 4 and row["cost_rate_per_day"] == 0.013
    assert comparison.answer(country="peru")["name"].tolist() == ["Peru"]


def test_records_take_a_monday_to_become_dates(run: sim.RunResult) -> None:
    hours = run.records()
    dated = run.records(start="2026-01-05")
    assert pd.api.types.is_datetime64_any_dtype(dated["arrival"])
    assert pd.api.types.is_datetime64_any_dtype(dated["documentary_end"])
    assert dated["clearance_h"].equals(hours["clearance_h"]), "durations stay hours"
    first = dated["arrival"].iloc[0] - pd.Timestamp("2026-01-05")
    assert first / pd.Timedelta(hours=1) == pytest.approx(hours["arrival"].iloc[0])
    with pytest.raises(InputError, match="give a Monday such as 2026-01-05"):
        run.records(start="2026-01-07")


def test_save_with_a_country_is_a_national_brief(
    comparison: sim.ComparisonResult, tmp_path: Path
) -> None:
    comparison.save(tmp_path, country="Peru")
    meta = json.loads((tmp_path / "run.json").read_text())
    assert meta["countries"] == ["PER"]
    assert sim.read_results(tmp_path).answer()["name"].tolist() == ["Peru"]
