"""Calibration fits the control side from records that carry outcomes (sim.calibrate.control).

Records are generated from a known port (tests/calibration_cases.py) with a control side:
prevalence by who trades, a documentary check finding 40% of infractions and a physical
examination 80%, selection at random. A template that knows none of it is calibrated to
them. With the ``infraction`` column, every prevalence and both detections are fitted,
each interval covering the truth; with ``finding`` alone (what customs records), the
prevalences are fitted given the template's detection. Each test asks for its intervals
at the confidence that makes all of them cover the truth with probability at least 99%
if the method is right (Bonferroni: five intervals at 99.8%, three at 99.67%); the seed is
fixed, so the test passes or fails for good.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from calibration_cases import PORT, records, rough, truth, write_scenario

from sim.calibrate.from_records import calibrate_records

CONTROL = {
    "prevalence": {"standard": 0.12, "national_aeo": 0.03, "partner_aeo": 0.06},
    "detection": {"documentary": 0.4, "physical": 0.8},
}
GUESS = {"prevalence": {"standard": 0.05}, "detection": {"documentary": 0.5, "physical": 0.5}}


def _case() -> dict:
    case = truth(stations=2, days=60)
    case["countries"]["PER"]["ports"]["callao"]["control"] = copy.deepcopy(CONTROL)
    return case


def _fields(result) -> dict[str, tuple[float, tuple[float, float]]]:
    (entry,) = result.fitted.calibration
    return {
        f.path.removeprefix(f"{PORT}.control."): (f.value, f.interval)
        for f in entry.fields
        if ".control." in f.path
    }


JOINT = 0.99
"""The probability that every interval of a test covers its truth, at least."""


def _calibrated(tmp_path: Path, template_control: dict, drop: str | None, intervals: int):
    case = _case()
    frame = records(case, seed=4, replications=2)
    assert {"infraction", "finding"} <= set(frame.columns)
    if drop is not None:
        frame = frame.drop(columns=[drop])
    path = tmp_path / "records.parquet"
    frame.to_parquet(path)
    template = rough(case)
    template["countries"]["PER"]["ports"]["callao"]["control"] = copy.deepcopy(template_control)
    template_path = write_scenario(template, tmp_path / "template.yaml")
    confidence = 1 - (1 - JOINT) / intervals  # Bonferroni
    return calibrate_records(
        path, template_path, replications=2, workers=1, seed=4, confidence=confidence
    )


@pytest.mark.slow
def test_infractions_recorded_give_prevalence_and_detection(tmp_path: Path) -> None:
    fields = _calibrated(tmp_path, GUESS, drop=None, intervals=5)
    truths = {
        **{f"prevalence.{k}": v for k, v in CONTROL["prevalence"].items()},
        **{f"detection.{k}": v for k, v in CONTROL["detection"].items()},
    }
    fields = _fields(fields)
    assert set(fields) == set(truths)
    for path, true in truths.items():
        value, (low, high) = fields[path]
        assert low <= true <= high, (path, true, value, low, high)


@pytest.mark.slow
def test_findings_alone_give_prevalence_given_the_detection(tmp_path: Path) -> None:
    """What customs records (findings) under random selection, with the right detection."""
    template = {"prevalence": {"standard": 0.05}, "detection": CONTROL["detection"]}
    fields = _fields(_calibrated(tmp_path, template, drop="infraction", intervals=3))
    assert set(fields) == {f"prevalence.{k}" for k in CONTROL["prevalence"]}
    for kind, true in CONTROL["prevalence"].items():
        value, (low, high) = fields[f"prevalence.{kind}"]
        assert low <= true <= high, (kind, true, value, low, high)
