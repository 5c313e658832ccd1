"""Lodgement: the share of declarations lodged before arrival, and the lag either side.

The model draws a lag d and lodges at ``arrival - d`` (pre-arrival, with the group's
share p) or ``arrival + d``. Without a broker's calendar the records show the lag
itself: p is a binomial proportion and d is fitted as any time (:mod:`.estimate`).

With a calendar the broker lodges in office hours: a late declaration drawn in
closed hours waits for the next opening, and an advance one is lodged at the last
close before its time (so it stays ahead of arrival: which side of arrival a
declaration was drawn on is always seen). A lodgement recorded at an opening after
closed hours, or at a close before them, says only that the drawn time fell in those
closed hours: its lag is *interval-censored*. Then the shares and the lags are fitted
together by maximum likelihood, exact rows contributing their density and censored
ones the probability of their interval::

    p * P(d in [arrival - next opening, arrival - close))         lodged at a close
    (1 - p) * P(d in (closed since - arrival, opening - arrival])  lodged at an opening

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
from sim.plan.arrays import Calendars

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
    lag_low, lag_high = _censoring(ctx.calendars, structure.lodgement_calendar, lodged, arrival)
    if np.any(known & np.isfinite(lag_low)):
        _fit_censored(ctx, offset, lag_low, lag_high, known)
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


def _censoring(
    calendars: Calendars, name: str | None, lodged: np.ndarray, arrival: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The (low, high) bounds of each censored row's lag; NaN for an exact row.

    Late, at an opening after closed hours: the lag was drawn in those hours. Early, at
    a close before closed hours: the advance lodgement was drawn in them.
    """
    low, high = np.full(len(lodged), np.nan), np.full(len(lodged), np.nan)
    if name is None:
        return low, high
    starts, ends = calendars.bounds(calendars.index(name))
    m = len(starts)
    if m == 0:
        return low, high
    for i, (t, a) in enumerate(zip(lodged, arrival, strict=True)):
        if not (math.isfinite(t) and math.isfinite(a)):
            continue
        j = first_interval(starts, ends, 0, m, t - EDGE_H)  # the interval t opens or closes
        opening, close = interval_open(starts, 0, m, j), interval_close(ends, 0, m, j)
        if t >= a and abs(t - opening) <= EDGE_H:
            closed_since = interval_close(ends, 0, m, j - 1)
            if closed_since < opening:
                low[i], high[i] = max(closed_since - a, 0.0), t - a
        elif t < a and abs(t - close) <= EDGE_H:
            reopens = interval_open(starts, 0, m, j + 1)
            if reopens > close:
                low[i], high[i] = max(a - reopens, 0.0), a - t
    return low, high


def _fit_censored(
    ctx: Context,
    offset: np.ndarray,
    lag_low: np.ndarray,
    lag_high: np.ndarray,
    known: np.ndarray,
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
        lag_low[rows],
        lag_high[rows],
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
    censored = int((~data.exact).sum())
    result.notes.append(
        f"{result.key}: {censored} of {len(data.offset)} lodgements fell at the calendar's "
        "opening or close (censored) and were fitted as such"
    )


class _Data:
    """The rows of the censored mixture and its negative log-likelihood."""

    def __init__(self, offset, lag_low, lag_high, share, delay, n_shares, n_delays) -> None:
        self.offset, self.share, self.delay = offset, share, delay
        self.lag_low, self.lag_high = lag_low, lag_high
        self.n_shares, self.n_delays = n_shares, n_delays
        self.exact = ~np.isfinite(lag_low)
        self.pre = offset < 0  # which side is always seen: advance lodgements stay ahead
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
        total = np.sum(side) + np.sum(log_f[e])
        c = ~e
        if c.any():
            m, v = mean[c], cv[c]
            inside = est.cdf(family, m, v, self.lag_high[c]) - est.cdf(
                family, m, v, self.lag_low[c]
            )
            total += np.sum(np.log(np.maximum(inside, 1e-300)))
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
