"""Studies over uncertain inputs: the same numbers however they run, resumable, checked first.

Small studies of the one-office scenario with two inputs given by ``--vary``.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import sim
from sim.errors import InputError
from sim.replicate import sizing
from sim.uncertainty import compare_uncertain, run_uncertain
from sim.uncertainty.study import DRAW_STRIDE

VARY = (
    "arrangement.utilisation=[0.1,0.8]",
    "countries.PER.ports.callao.stations.documentary.servers=x[0.9,1.3]",
)


@pytest.fixture(scope="module")
def office() -> sim.Scenario:
    return sim.load_scenario("one-office")


def study(office, tmp_path, **options):
    settings = {"draws": 12, "replications": 2, "vary": VARY, "store": tmp_path / "draws"}
    return compare_uncertain(office, **(settings | options))


def test_same_numbers_on_one_or_two_workers(office, tmp_path):
    one = study(office, tmp_path / "a", workers=1)
    two = study(office, tmp_path / "b", workers=2)
    pd.testing.assert_frame_equal(one.table, two.table)
    pd.testing.assert_frame_equal(one.drivers, two.drivers)
    pd.testing.assert_frame_equal(one.nominal.table(), two.nominal.table())


def test_the_nominal_is_compare_at_the_scenarios_own_values(office, tmp_path):
    found = study(office, tmp_path, workers=2)
    scenarios, labels = sim.arrangement_variants(office)
    plain = sim.compare(scenarios, labels, replications=2, workers=1)
    pd.testing.assert_frame_equal(found.nominal.table(), plain.table())


def test_a_stopped_study_resumes_with_the_same_numbers(office, tmp_path):
    first = study(office, tmp_path, workers=2)
    tasks = sorted((first.folder / "tasks").glob("*.parquet"))
    for path in tasks[::2]:  # as if killed before these were written
        path.unlink()
    again = study(office, tmp_path, workers=2)
    assert again.computed == len(tasks[::2]) and again.reused == len(tasks) - len(tasks[::2])
    pd.testing.assert_frame_equal(first.table, again.table)
    pd.testing.assert_frame_equal(first.drivers, again.drivers)


def test_every_draw_has_streams_of_its_own(office, tmp_path):
    found = study(office, tmp_path, workers=2)
    manifest = json.loads((found.folder / "manifest.json").read_text())
    assert manifest["kind"] == "uncertainty" and manifest["points"] == 12
    names = {p.stem for p in (found.folder / "tasks").glob("*.parquet")}
    assert len(names) == 13  # the nominal point and 12 draws, one task each
    assert found.study.replications == 2 and found.study.nominal_replications < DRAW_STRIDE


def test_a_run_gives_the_plausible_range_of_the_levels(office, tmp_path):
    found = run_uncertain(office, draws=12, replications=2, vary=VARY, store=tmp_path, workers=2)
    table = found.table
    row = table[
        (table.kind == "value")
        & (table.country == "PER")
        & (table["mode"] == "all")
        & (table.port == "all")
        & (table.group == "all")
        & (table.metric == "clearance_h_mean")
    ].iloc[0]
    assert row.plausible_low < row.central < row.plausible_high
    assert 0 <= row.input_share <= 1
    text = found.digest()
    assert "Mean clearance time of all shipments" in text
    assert "simulation noise taken out" in text


@pytest.mark.slow
def test_a_sobol_design_gives_total_indices(office, tmp_path):
    found = study(office, tmp_path, draws=8, design="sobol", workers=2)
    assert found.study.points == 8 * (2 + 2)
    drivers = found.drivers.dropna(subset=["total"])
    assert not drivers.empty
    assert (drivers.total_low <= drivers.total_high).all()


@pytest.mark.slow
def test_dask_gives_the_numbers_of_the_process_pool(office, tmp_path):
    pytest.importorskip("distributed")
    pool = study(office, tmp_path / "a", workers=2)
    dask = study(office, tmp_path / "b", workers=2, executor="dask")
    pd.testing.assert_frame_equal(pool.table, dask.table)


# --- bad input: one line, nothing written -----------------------------------------------


@pytest.mark.parametrize(
    ("options", "flag", "words"),
    [
        ({"replications": 1}, "-n", "at least 2 replications"),
        ({"draws": 1}, "--uncertainty", "give 2 to"),
        ({"draws": 12, "design": "sobol"}, "--uncertainty", "power of 2"),
        ({"vary": ("arrangement.utilisaton=[0.1,0.8]",)}, "--vary", "did you mean"),
        ({"vary": ("arrangement.utilisation=[0.5,0.8]",)}, "--vary", "lies outside"),
        ({"vary": ("arrangement.utilisation=0.5",)}, "--vary", "not a range"),
    ],
)
def test_bad_input_is_one_line_before_anything_runs(office, tmp_path, options, flag, words):
    with pytest.raises(InputError) as error:
        study(office, tmp_path, **options)
    assert error.value.source == flag and words in str(error.value)
    assert not (tmp_path / "draws").exists()


def test_a_scenario_without_uncertain_inputs_says_how_to_give_them(office, tmp_path):
    with pytest.raises(InputError, match="declares no uncertain inputs"):
        compare_uncertain(office, draws=8, store=tmp_path)


def test_a_study_too_large_for_the_memory_is_refused(office, tmp_path, monkeypatch):
    monkeypatch.setattr(sizing, "available_memory", lambda: (100e6, "a test"))
    with pytest.raises(InputError, match="give at most about") as error:
        study(office, tmp_path, draws=50_000)  # refused before a single draw is made
    assert error.value.source == "--uncertainty"
    assert not (tmp_path / "draws").exists()


def test_a_draw_that_makes_an_invalid_scenario_names_its_input(office, tmp_path):
    vary = ("countries.PER.ports.callao.stations.documentary.service_h.cv=[0.5,300]",)
    with pytest.raises(InputError) as error:
        study(office, tmp_path, vary=vary, draws=40)
    assert error.value.field == f"uncertainty.{vary[0].split('=')[0]}"
    assert "makes an invalid scenario" in error.value.problem
    assert not (tmp_path / "draws").exists()


def test_draws_differ_only_where_the_inputs_reach(office):
    from sim.model.load import drawn_scenario
    from sim.model.uncertain import drawn_data, uncertain_inputs

    inputs = uncertain_inputs(office, VARY)
    low = drawn_scenario(drawn_data(office, inputs, [0.0, 0.0]), office)
    assert low.arrangement.utilisation == pytest.approx(0.1)
    callao = office.countries["PER"].ports["callao"]
    drawn = low.countries["PER"].ports["callao"]
    servers = callao.stations["documentary"].servers
    assert drawn.stations["documentary"].servers == round(0.9 * servers)
    assert drawn.stations["physical"] == callao.stations["physical"]
    assert np.isclose(sum(drawn.channels.standard.model_dump().values()), 1)
