"""The control clause of the answer (sim.interpret.control): each number with its interval,
directions in words, and no claim that an interval does not support."""

from __future__ import annotations

from sim.interpret.control import ControlRow, control_sentence
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
