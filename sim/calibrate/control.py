"""The control side fitted from records that carry an outcome: ``infraction`` or ``finding``.

What records can tell, and what they cannot:

* ``infraction`` (whether the declaration carried an infraction: known to a simulation,
  or to an administration that audits a random sample of declarations after release)
  gives the **prevalence** of each kind of trader directly (a binomial proportion), and,
  with the channel of each declaration, the **detection** of each station: among the
  infringing declarations of a channel, the share found is ``1 - prod(1 - d_s)`` over the
  stations of its route, so ``-log(1 - found share)`` is a sum of ``-log(1 - d_s)``; the
  channels' routes give as many equations as there are channels with checks, solved by
  non-negative least squares (yellow = documentary, red = documentary then physical: both
  stations identified exactly).
* ``finding`` alone (what an inspection found: what customs records) identifies only
  the product of prevalence and detection. Given the template's detection, and only
  where selection is random (``targeting: random``; a risk score selects declarations
  that infringe more often than the rest), the prevalence is the findings over the
  checks weighted by each channel's detection. Otherwise nothing is fitted, and a note
  says why.

Intervals: Wilson's for prevalences; for detections, the percentile interval of a
bootstrap over the infringing declarations. A port whose template has no control side is
not fitted (the records say nothing of the stake or the targeting), and a note says so.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize

from sim.calibrate import estimate as est
from sim.calibrate.port import MIN_ROWS, Context, Estimate, PortFit

MIN_INFRINGING = 30
"""Infringing declarations a channel needs for its detection to be fitted."""
BOOTSTRAP = 200
TAIL_DRAWS = 10
"""Bootstrap draws beyond each end of a percentile interval, at least: a 99.8% interval
from 200 draws would be the extremes, so the draws grow with the confidence."""
KIND_PATHS = ("standard", "national_aeo", "partner_aeo")


def fit_control(ctx: Context) -> None:
    """Prevalence and detection of one port, as its records allow (see the module docstring)."""
    result = ctx.result
    infractions, findings = _has(ctx, "infraction"), _has(ctx, "finding")
    if not infractions and not findings:
        return
    control = ctx.port.control
    if control is None:
        result.notes.append(
            f"{result.key}: records carry outcomes, but the template has no control side to "
            "fit (give the port a control: block)"
        )
        return
    kinds = _kinds(ctx)
    if infractions:
        _prevalence(ctx, kinds, _flag(ctx, "infraction"), None)
        if findings:
            _detection(ctx, _flag(ctx, "infraction"), _flag(ctx, "finding"))
        return
    if control.targeting != "random":
        result.notes.append(
            f"{result.key}: findings without infractions fit no prevalence under a risk "
            "score (checks go to declarations that infringe more often than the rest)"
        )
        return
    _prevalence(ctx, kinds, _flag(ctx, "finding"), _weights(ctx))


def _has(ctx: Context, column: str) -> bool:
    """Whether the records give a flag column (read as 1.0, 0.0, NaN unknown)."""
    frame = ctx.obs.frame
    return column in frame.columns and bool(frame[column].notna().any())


def _flag(ctx: Context, column: str) -> np.ndarray:
    return ctx.obs.frame[column].to_numpy(dtype=float, na_value=np.nan)


def _kinds(ctx: Context) -> np.ndarray:
    """Who trades, per declaration: 0 standard, 1 national AEO, 2 partner AEO (the exporter
    an AEO of another member: recognised, or flagged eligible)."""
    group = ctx.obs.group
    kinds = np.where(group == 1, 1, np.where(group == 2, 2, 0))
    if _has(ctx, "eligible"):
        eligible = ctx.obs.frame.eligible.to_numpy(dtype=float, na_value=0.0) > 0
        kinds[(group == 0) & eligible] = 2
    return kinds


def _weights(ctx: Context) -> np.ndarray:
    """Each declaration's chance of a finding if it infringes: its channel's detection with
    the template's stations (0 in the green channel)."""
    plan = ctx.plan
    detection = plan.control.detection if plan.control is not None else np.zeros(0)
    by_channel = np.zeros(3)
    for c in (1, 2):
        route = plan.route_station[c, : plan.route_length[c]]
        by_channel[c] = 1 - np.prod(1 - detection[route])
    return by_channel[ctx.obs.channel]


def _prevalence(
    ctx: Context, kinds: np.ndarray, outcome: np.ndarray, weights: np.ndarray | None
) -> None:
    """Each kind's share infringing; from findings, over the detection-weighted checks."""
    result, at, s = ctx.result, ctx.at, ctx.settings
    assert ctx.port.control is not None
    template = ctx.port.control.prevalence.resolved()
    how = "binomial proportion, Wilson interval"
    if weights is not None:
        how = "findings over detection-weighted checks (random selection), Wilson interval"
    for kind, name in enumerate(KIND_PATHS):
        mine = (kinds == kind) & np.isfinite(outcome)
        if weights is not None:
            mine &= weights > 0
        n = int(mine.sum())
        if n < MIN_ROWS:
            if n:
                result.notes.append(f"{result.key}: prevalence of {name} kept: {n} records")
            continue
        found = float(outcome[mine].sum())
        trials = n if weights is None else float(weights[mine].sum())
        low, high = est.wilson(found, trials, s.confidence)
        result.estimates.append(
            Estimate(
                f"{at}.control.prevalence.{name}",
                min(found / trials, 1.0),
                low,
                min(high, 1.0),
                how,
                n,
                template[kind],
            )
        )


def _detection(ctx: Context, infraction: np.ndarray, finding: np.ndarray) -> None:
    """Each station's detection from the share found among infringing checked declarations."""
    result, at, plan, s = ctx.result, ctx.at, ctx.plan, ctx.settings
    channel = ctx.obs.channel
    bad = (infraction > 0) & np.isfinite(finding)
    channels = [
        c
        for c in (1, 2)
        if plan.route_length[c] > 0 and int((bad & (channel == c)).sum()) >= MIN_INFRINGING
    ]
    if not channels:
        result.notes.append(f"{result.key}: detection kept: too few infringing checks")
        return
    routes = [plan.route_station[c, : plan.route_length[c]] for c in channels]
    stations = sorted({int(s_) for route in routes for s_ in route})
    design = np.array([[1.0 if st in route else 0.0 for st in stations] for route in routes])

    def solve(found: list[float], total: list[float]) -> np.ndarray:
        shares = np.clip(np.array(found) / np.array(total), 0.0, 1 - 1e-9)
        x, _ = optimize.nnls(design, -np.log1p(-shares))
        return 1 - np.exp(-x)

    rows = [np.flatnonzero(bad & (channel == c)) for c in channels]
    values = solve([finding[r].sum() for r in rows], [len(r) for r in rows])
    rng = np.random.default_rng(s.seed)
    alpha = 1 - s.confidence
    n_draws = max(BOOTSTRAP, int(np.ceil(2 * TAIL_DRAWS / alpha)))
    draws = np.array(
        [
            solve(
                [finding[rng.choice(r, len(r))].sum() for r in rows],
                [len(r) for r in rows],
            )
            for _ in range(n_draws)
        ]
    )
    lows, highs = np.quantile(draws, [alpha / 2, 1 - alpha / 2], axis=0)
    assert ctx.port.control is not None
    for i, station in enumerate(stations):
        name = plan.stations[station]
        result.estimates.append(
            Estimate(
                f"{at}.control.detection.{name}",
                float(values[i]),
                float(min(lows[i], values[i])),
                float(max(highs[i], values[i])),
                "share found among infringing checks, by route (non-negative least squares "
                "on -log(1 - share)); bootstrap interval",
                int(sum(len(r) for r in rows)),
                ctx.port.control.detection.get(name),
            )
        )


def fitted_paths(fit: PortFit) -> list[str]:
    """The control fields a port's fit wrote (for reports and tests)."""
    return [e.path for e in fit.estimates if ".control." in e.path]
