"""The control clause of the answer (sim.interpret.control): each number with its interval,
directions in words, and no claim that an interval does not support."""

from __future__ import annotations

import numpy as np

import sim
from sim.interpret.answer import answer_of
from sim.interpret.control import ControlRow, control_sentence
from sim.interpret.frames import CONTROL_COLUMNS, answer_frame
from sim.model.load import scenario_from_dict
from sim.replicate.stats import MISSING, Estimate


def _row(**changes: Estimate) -> ControlRow:
    values = {
        "partner_checks": Estimate(-5300.0, -5420.0, -5180.0),
        "other_checks": Estimate(0.0, 0.0, 0.0),
        "detections": Estimate(-40.0, -60.0, -20.0),
        "detections_relative": Estimate(-0.15, -0.22, -0.08),
        "hit_rate": Estimate(0.001, 0.0005, 0.0015),
        "revenue": Estimate(1.1e6, 0.6e6, 1.6e6),
        **changes,
    }
    return ControlRow("all", "with", **values)


def test_released_checks_are_fewer_and_findings_fall_with_intervals() -> None:
    assert control_sentence(_row()) == (
        "Control: customs makes 5,300 fewer checks a year on partner-AEO shipments (5,200 to "
        "5,400); it finds 0.15% fewer infractions (0.08% to 0.22%), and revenue at risk rises "
        "by USD 1.1 M a year (USD 0.6 M to 1.6 M)."
    )


def test_retargeted_checks_show_on_other_shipments() -> None:
    sentence = control_sentence(
        _row(
            other_checks=Estimate(5200.0, 5100.0, 5300.0),
            detections_relative=Estimate(9.1, 7.2, 11.0),
            revenue=Estimate(-1.2e6, -1.5e6, -0.9e6),
        )
    )
    assert "and 5,200 more on other shipments;" in sentence
    assert "finds 9.1% more infractions (7.2% to 11.0%)" in sentence
    assert "revenue at risk falls by USD 1.2 M a year (USD 0.9 M to 1.5 M)" in sentence


def test_changes_whose_interval_covers_zero_are_not_claimed() -> None:
    sentence = control_sentence(
        _row(
            partner_checks=Estimate(-3.0, -20.0, 14.0),
            detections_relative=Estimate(0.5, -1.0, 2.0),
            revenue=MISSING,
        )
    )
    assert "no detectably different number of checks" in sentence
    assert "finds as many infractions as without it" in sentence
    assert "revenue" not in sentence


# --- the answer's table: the control side's columns ------------------------------------


def test_the_answer_table_carries_the_control_changes() -> None:
    """A comparison with a control side gives its answer table (what ``answer()`` returns and
    the workbook's answer sheet holds) the control rows' changes, unrounded, each with its
    interval; one without a control side has no such column."""
    port = {
        "mode": "sea",
        "arrivals": {"per_day": 300},
        "origins": {"CHL": 0.6, "OTHER": 0.4},
        "value_usd": 50000,
        "channels": {
            "standard": {"green": 0.6, "yellow": 0.4, "red": 0.0},
            "national_aeo": {"green": 0.95, "yellow": 0.05, "red": 0.0},
        },
        "routes": {"yellow": ["doc"]},
        "stations": {"doc": {"servers": 40, "service_h": {"dist": "exponential", "mean": 0.5}}},
        "control": {
            "prevalence": {"standard": 0.06, "partner_aeo": 0.01},
            "detection": {"doc": 0.7},
            "stake": {"share_of_value": 0.1},
        },
    }
    data = {
        "name": "control",
        "horizon_days": 4,
        "warmup_days": 1,
        "arrangement": {"members": ["CHL", "PER"], "utilisation": 0.8},
        "countries": {"PER": {"ports": {"p": port}}, "CHL": {"aeo_exporter_share": 0.5}},
    }
    tables = []
    for control in (True, False):
        scenario = scenario_from_dict(data)
        if not control:
            scenario = scenario.with_overrides({"countries.PER.ports.p.control": None})
        result = sim.compare(*sim.arrangement_variants(scenario), replications=3, seed=2)
        found = answer_of(result.to_results())
        tables.append((found, answer_frame(found)))
    (found, frame), (_, plain) = tables
    (row,) = [r for r in found.control if r.area == "PER"]
    record = frame.set_index("country").loc["PER"]
    for name, estimate in zip(
        CONTROL_COLUMNS,
        (row.partner_checks, row.other_checks, row.detections_relative, row.revenue),
        strict=True,
    ):
        got = [record[name], record[f"{name}_low"], record[f"{name}_high"]]
        assert np.array_equal(got, list(estimate), equal_nan=True), name
    assert record["partner_checks_change_per_year"] < 0  # released: fewer checks on them
    assert not set(CONTROL_COLUMNS) & set(plain.columns)


def test_a_few_countries_without_their_region_get_a_control_sentence_each() -> None:
    """Two countries chosen from a comparison of three have no region of their own: each
    gets its control sentence, named; the whole comparison speaks of its region once."""
    port = {
        "mode": "sea",
        "arrivals": {"per_day": 200},
        "value_usd": 50000,
        "channels": {
            "standard": {"green": 0.6, "yellow": 0.4, "red": 0.0},
            "national_aeo": {"green": 0.95, "yellow": 0.05, "red": 0.0},
        },
        "routes": {"yellow": ["doc"]},
        "stations": {"doc": {"servers": 40, "service_h": {"dist": "exponential", "mean": 0.5}}},
        "control": {
            "prevalence": {"standard": 0.06, "partner_aeo": 0.01},
            "detection": {"doc": 0.7},
        },
    }
    members = ("ARG", "CHL", "PER")
    data = {
        "name": "three",
        "horizon_days": 3,
        "warmup_days": 1,
        "arrangement": {"members": list(members), "utilisation": 0.8},
        "countries": {
            code: {
                "aeo_exporter_share": 0.5,
                "ports": {
                    "p": {
                        **port,
                        "origins": {o: 0.3 for o in members if o != code} | {"OTHER": 0.4},
                    }
                },
            }
            for code in members
        },
    }
    result = sim.compare(
        *sim.arrangement_variants(scenario_from_dict(data)), replications=3, seed=4
    )
    results = result.to_results()
    (two,) = answer_of(results, ["CHL", "PER"]).sentences
    assert two.count("Control (annualised from 3 days), ") == 2
    assert "Control (annualised from 3 days), Chile: customs makes" in two
    assert "Control (annualised from 3 days), Peru: customs makes" in two
    (region,) = answer_of(results).sentences
    assert region.count("Control (annualised from 3 days): customs makes") == 1
