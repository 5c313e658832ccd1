"""Whether each port's warm-up was long enough, read off the run's own output.

The warm-up is chosen before the run (the scenario's ``warmup_days``, or what each port's
lags and loads need, :func:`sim.plan.expect.warmup_needed_days`). This checks it after:
MSER (White 1997) on each port's customs time by week of arrival, averaged over the
replications, from the start of the simulation. Weekly batches, not shipments: a
transient of lodgement lags a week long hides in the noise of single shipments
(measured), and a week is the period every calendar repeats with. When MSER would drop
more weeks than the warm-up did, and those weeks differ from the rest by more than
their 95% intervals allow (MSER alone truncates noise now and then), the counted
window still holds part of the fill.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.indicators.layout import week_metric
from sim.language import ngettext
from sim.model.calendars import WEEK
from sim.plan.compile import compile_plan
from sim.replicate.result import Results, Where
from sim.replicate.stats import Estimate, mser_truncation


@dataclass(frozen=True)
class WarmupCheck:
    """One port's warm-up and what MSER says of it."""

    scenario: str
    port: str  # country/port
    warmup_days: float
    derived: bool  # derived from the plan (the scenario gives no warm-up)
    mser_weeks: int  # leading weeks MSER would drop
    settling: bool = False  # the counted weeks it drops differ from the rest beyond noise

    @property
    def enough(self) -> bool:
        return self.mser_weeks * 7.0 <= self.warmup_days or not self.settling

    def as_json(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "port": self.port,
            "warmup_days": self.warmup_days,
            "derived": self.derived,
            "mser_weeks": self.mser_weeks,
            "enough": self.enough,
        }

    def warning(self) -> str:
        if self.derived:
            warning = ngettext(
                "warning: {port}'s customs time by week of arrival is still settling after its "
                "derived {days:g}-day warm-up (MSER would drop its first {weeks} week); "
                "lengthen warmup_days, or leave it out to use each port's own",
                "warning: {port}'s customs time by week of arrival is still settling after its "
                "derived {days:g}-day warm-up (MSER would drop its first {weeks} weeks); "
                "lengthen warmup_days, or leave it out to use each port's own",
                self.mser_weeks,
            )
        else:
            warning = ngettext(
                "warning: {port}'s customs time by week of arrival is still settling after the "
                "scenario's {days:g}-day warm-up (MSER would drop its first {weeks} week); "
                "lengthen warmup_days, or leave it out to use each port's own",
                "warning: {port}'s customs time by week of arrival is still settling after the "
                "scenario's {days:g}-day warm-up (MSER would drop its first {weeks} weeks); "
                "lengthen warmup_days, or leave it out to use each port's own",
                self.mser_weeks,
            )
        return warning.format(port=self.port, days=self.warmup_days, weeks=self.mser_weeks)


def warmup_checks(results: Results) -> list[WarmupCheck]:
    """Every port of every scenario of a result (none without the weekly series)."""
    checks = []
    for label, scenario in zip(results.labels, results.scenarios, strict=True):
        plan = compile_plan(scenario)
        for port in plan.ports:
            weeks = math.floor(port.window[1] / WEEK)  # whole weeks only: the last may be cut
            where = Where(port.country, port.mode, port.name)
            series = [results.get("value", label, where, week_metric(w)) for w in range(weeks)]
            means = np.array([week.mean for week in series])
            if not np.isfinite(means).any():
                continue
            dropped = mser_truncation(means)
            warm = math.ceil(port.window[0] / WEEK - 1e-9)
            checks.append(
                WarmupCheck(
                    label,
                    port.key,
                    port.window[0] / 24.0,
                    scenario.warmup_days is None,
                    dropped,
                    _differs(series[warm:dropped], series[dropped:]),
                )
            )
    return checks


def _differs(dropped: list[Estimate], kept: list[Estimate]) -> bool:
    """Whether counted weeks MSER drops differ from the weeks it keeps beyond their 95%
    intervals (half-widths combined as independent errors)."""
    dropped = [w for w in dropped if w.has_interval]
    kept = [w for w in kept if w.has_interval]
    if not dropped or not kept:
        return bool(dropped)

    def mean_and_half(weeks: list[Estimate]) -> tuple[float, float]:
        halves = np.array([w.half_width for w in weeks])
        return float(np.mean([w.mean for w in weeks])), float(np.sqrt((halves**2).sum())) / len(
            weeks
        )

    (a, ha), (b, hb) = mean_and_half(dropped), mean_and_half(kept)
    return abs(a - b) > math.hypot(ha, hb)


def short_warmups(results: Results) -> list[str]:
    """One warning line per port whose warm-up MSER finds too short."""
    return [check.warning() for check in warmup_checks(results) if not check.enough]
