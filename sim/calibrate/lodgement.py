"""Lodgement: the share of declarations lodged before arrival, and the lag either side.

The model draws a lag d and lodges at ``arrival - d`` (pre-arrival, with the group's
share p) or ``arrival + d``. Without a broker's calendar the records show the lag
itself: p is a binomial proportion and d is fitted as any time (:mod:`.estimate`).

With a calendar the declaration waits for it to open, so a lodgement recorded at
an opening after closed hours says only that the drawn time fell in those closed
hours: it is *interval-censored*, and may even hide which side of arrival it was
drawn on. Then the shares and the lags are fitted together by maximum likelihood,
exact rows contributing their density and censored ones the probability of their
interval under the mixture::

    p * P(arrival - d in (closed, opening]) + (1 - p) * P(arrival + d in (closed, opening])

for each family (exponential, lognormal, gamma: the smallest AIC is kept), with
Wald intervals from the observed information on the logit and log scales
(a bootstrap of this optimisation would cost a minute per port).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize, special, stats

from sim.calibrate import estimate as est
from sim.calibrate.port import MIN_ROWS, Context, Estimate, fit_times, time_estimate
from sim.model.calendars import first_interval, interval_close, interval_open
from sim.plan.compile import Calendars

EDGE_H = 1e-6
"""A lodgement within this of an opening (about 4 ms) is taken to be at the opening."""


def fit_lodgement(ctx: Context) -> None:
    """Shares and lags of each cell (censored by the calendar, if any)."""
    result, at, obs, s, structure = ctx.result, ctx.at, ctx.obs, ctx.settings, ctx.structure
    arrival = obs.frame.arrival.to_numpy()
    lodged = obs.frame.lodgement.to_numpy()
    offset = lodged - arrival
    delayed = np.zeros(len(arrival), dtype=bool)
    for cell in structure.lodgement:
        delayed |= cell.covers(obs.channel, obs.group)
    known = np.isfinite(offset) & delayed
    closed_from = _censoring(ctx.calendars, structure.lodgement_calendar, lodged)
    if np.any(known & np.isfinite(closed_from)):
        _fit_censored(ctx, offset, closed_from - arrival, known)
        return
    for cell in structure.pre_arrival:
        mine = known & np.isin(obs.group, cell.groups)
        n = int(mine.sum())
        if n < MIN_ROWS:
            continue
        before = int((offset[mine] < 0).sum())
        low, high = est.wilson(before, n, s.confidence)
        result.estimates.append(
            Estimate(
                f"{at}.{cell.path}",
                before / n,
                low,
                high,
                "binomial proportion, Wilson interval",
                n,
                cell.current,
            )
        )
    lag = np.where(known, np.abs(offset), np.nan)
    fit_times(ctx, structure.lodgement, lag, "lodgement")


def _censoring(calendars: Calendars, name: str | None, lodged: np.ndarray) -> np.ndarray:
    """For a lodgement at an opening after closed hours, when the closed hours began; else NaN."""
    out = np.full(len(lodged), np.nan)
    if name is None:
        return out
    starts, ends = calendars.bounds(calendars.index(name))
    m = len(starts)
    if m == 0:
        return out
    for i, t in enumerate(lodged):
        if not math.isfinite(t):
            continue
        j = first_interval(starts, ends, 0, m, t - EDGE_H)
        opening = interval_open(starts, 0, m, j)
        closed_since = interval_close(ends, 0, m, j - 1)
        if abs(t - opening) <= EDGE_H and closed_since < opening:
            out[i] = closed_since
    return out


def _fit_censored(
    ctx: Context, offset: np.ndarray, closed_offset: np.ndarray, known: np.ndarray
) -> None:
    """Shares and lags by maximum likelihood over exact and interval-censored rows."""
    result, at, obs, s, structure = ctx.result, ctx.at, ctx.obs, ctx.settings, ctx.structure
    share_cells = [c for c in structure.pre_arrival]
    delay_cells = list(structure.lodgement)
    share_of = np.full(len(offset), -1)
    delay_of = np.full(len(offset), -1)
    for i, cell in enumerate(share_cells):
        share_of[np.isin(obs.group, cell.groups)] = i
    for i, cell in enumerate(delay_cells):
        delay_of[cell.covers(obs.channel, obs.group)] = i
    rows = known & (share_of >= 0) & (delay_of >= 0)
    data = _Data(
        offset[rows],
        closed_offset[rows],
        share_of[rows],
        delay_of[rows],
        len(share_cells),
        len(delay_cells),
    )
    fits = {family: data.fit(family) for family in est.FAMILIES}
    aic = {f: 2 * len(x) + 2 * nll for f, (x, nll) in fits.items()}
    family = min(aic, key=aic.__getitem__)
    x, _ = fits[family]
    z = stats.norm.ppf(0.5 + s.confidence / 2)
    se = data.standard_errors(family, x)
    for i, cell in enumerate(share_cells):
        n = int(np.sum(data.share == i))
        if n < MIN_ROWS:
            continue
        p = special.expit(x[i])
        low, high = special.expit(x[i] - z * se[i]), special.expit(x[i] + z * se[i])
        result.estimates.append(
            Estimate(
                f"{at}.{cell.path}",
                float(p),
                float(low),
                float(high),
                "mixture likelihood with censored lodgements, Wald interval (logit)",
                n,
                cell.current,
            )
        )
    for i, cell in enumerate(delay_cells):
        n = int(np.sum(data.delay == i))
        if n < MIN_ROWS:
            continue
        k = data.slots(family, i)
        mean = math.exp(x[k[0]])
        bounds = [math.exp(x[j] + sign * z * se[j]) for j in k for sign in (-1, 1)]
        cv = math.exp(x[k[1]]) if len(k) > 1 else 1.0
        fitted = est.TimeFit(
            family,
            mean,
            cv,
            (bounds[0], bounds[1]),
            (bounds[2], bounds[3]) if len(k) > 1 else None,
            aic,
            n,
        )
        result.times[f"{at}.{cell.path}"] = fitted
        estimate = time_estimate(f"{at}.{cell.path}", fitted, cell)
        method = f"{family} by AIC; mixture likelihood with censored lodgements, Wald intervals"
        result.estimates.append(
            Estimate(
                estimate.path,
                estimate.value,
                estimate.low,
                estimate.high,
                method,
                n,
                estimate.template,
            )
        )
    censored = int(np.isfinite(data.closed).sum())
    result.notes.append(
        f"{result.key}: {censored} of {len(data.offset)} lodgements fell at the calendar's "
        "opening (censored) and were fitted as such"
    )


class _Data:
    """The rows of the censored mixture and its negative log-likelihood."""

    def __init__(self, offset, closed, share, delay, n_shares, n_delays) -> None:
        self.offset, self.closed, self.share, self.delay = offset, closed, share, delay
        self.n_shares, self.n_delays = n_shares, n_delays
        self.exact = ~np.isfinite(closed)
        self.pre = self.exact & (offset < 0)
        self.lag = np.maximum(np.abs(offset), est.SMALLEST_H)

    def slots(self, family: str, cell: int) -> list[int]:
        """Positions of a delay cell's log mean (and log cv) in the parameter vector."""
        width = 1 if family == "exponential" else 2
        first = self.n_shares + width * cell
        return list(range(first, first + width))

    def unpack(self, family: str, x: np.ndarray) -> tuple[np.ndarray, ...]:
        p = special.expit(x[: self.n_shares])[self.share]
        means = np.array([math.exp(x[self.slots(family, c)[0]]) for c in range(self.n_delays)])
        cvs = np.array(
            [
                math.exp(x[self.slots(family, c)[1]]) if family != "exponential" else 1.0
                for c in range(self.n_delays)
            ]
        )
        return p, means[self.delay], cvs[self.delay]

    def nll(self, family: str, x: np.ndarray) -> float:
        p, mean, cv = self.unpack(family, x)
        e = self.exact
        log_f = np.zeros(len(p))
        for c in np.unique(self.delay[e]):
            rows = e & (self.delay == c)
            log_f[rows] = est.log_density(family, mean[rows][0], cv[rows][0], self.lag[rows])
        side = np.where(self.pre, np.log(p), np.log1p(-p))
        total = np.sum(side[e] + log_f[e])
        c = ~e
        if c.any():
            low, high, pc = self.closed[c], self.offset[c], p[c]
            m, v = mean[c], cv[c]
            before = est.cdf(family, m, v, -low) - est.cdf(family, m, v, -high)
            after = est.cdf(family, m, v, high) - est.cdf(family, m, v, low)
            total += np.sum(np.log(np.maximum(pc * before + (1 - pc) * after, 1e-300)))
        return -float(total)

    def start(self, family: str) -> np.ndarray:
        """Naive start: censored rows read as exact at the opening."""
        x = []
        for i in range(self.n_shares):
            rows = self.share == i
            p = (np.sum(self.offset[rows] < 0) + 0.5) / (rows.sum() + 1)
            x.append(special.logit(p))
        for c in range(self.n_delays):
            lag = self.lag[self.delay == c]
            mean = float(lag.mean()) if len(lag) else 1.0
            cv = float(lag.std() / mean) if len(lag) > 1 and mean > 0 else 1.0
            x.append(math.log(max(mean, est.SMALLEST_H)))
            if family != "exponential":
                x.append(math.log(min(max(cv, 0.05), 20.0)))
        return np.array(x)

    def fit(self, family: str) -> tuple[np.ndarray, float]:
        """Maximum likelihood; shares within logit +-20, means and cvs within e^+-12."""
        start = self.start(family)
        bounds = [(-20.0, 20.0)] * self.n_shares + [(-12.0, 12.0)] * (len(start) - self.n_shares)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            result = optimize.minimize(
                lambda x: self.nll(family, x), start, method="L-BFGS-B", bounds=bounds
            )
        return result.x, float(result.fun)

    def standard_errors(self, family: str, x: np.ndarray) -> np.ndarray:
        """Square roots of the inverse observed information (central differences)."""
        step = 1e-3
        k = len(x)
        hessian = np.empty((k, k))
        for i in range(k):
            for j in range(i, k):
                corners = [
                    self.nll(family, _shifted(x, i, j, si * step, sj * step)) * si * sj
                    for si in (1, -1)
                    for sj in (1, -1)
                ]
                hessian[i, j] = hessian[j, i] = sum(corners) / (4 * step * step)
        try:
            covariance = np.linalg.inv(hessian)
        except np.linalg.LinAlgError:
            covariance = np.linalg.pinv(hessian)
        return np.sqrt(np.maximum(np.diag(covariance), 0.0))


def _shifted(x: np.ndarray, i: int, j: int, di: float, dj: float) -> np.ndarray:
    y = x.copy()
    y[i] += di
    y[j] += dj
    return y
