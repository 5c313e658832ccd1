"""The simulator against queueing theory: steady-state mean waits at one station.

Each test builds a port with a single always-open station that every shipment
visits (no calendar, no delays, no lodgement), so the port is a textbook queue
fed by a Poisson stream, and compares the simulated mean wait in queue with an
exact formula.

How a check works. Replication ``r`` is one long run of the numba engine; its
mean wait (start of service minus joining time, over the shipments that arrive
after the warm-up) is one observation. Replications are independent, and each
mean averages ~10^5 waits, so the replication means are close to normal and a
Student-t interval of their mean is a confidence interval for the steady-state
mean wait. The test asserts that the theoretical value lies inside it.

Confidence level. Four intervals are checked in this module (M/M/c, M/G/1 and
the two priority classes). At 99.9% each, the chance that a correct simulator
fails any of them is at most 4 x 0.1% = 0.4% (Bonferroni). The seeds are fixed,
so a run either passes or fails for good; the level bounds the chance that a
legitimate change of the random streams turns a correct simulator red.

Power. An interval can always be made wide enough to contain anything, so each
check also requires the half-width to be at most ``MAX_RELATIVE_HALF_WIDTH`` of
the theoretical value: a simulator off by more than a few percent cannot pass.

Bias from the empty start. Service times have mean ``MEAN_SERVICE_H`` = 15 min,
so the warm-up of ``WARMUP_DAYS`` = 5 days is 480 mean service times. A queue
forgets its initial state over its relaxation time; for M/M/1 that is
``1 / (mu (1 - sqrt(rho))^2)`` (Morse 1955), 90 mean service times at rho = 0.8,
and less for several servers at the same load. Service variability stretches it
by about ``(1 + cs^2) / 2`` (heavy-traffic diffusion scaling): ~61 mean service
times for the M/G/1 case (rho = 0.7, cs = 1.5). The warm-up is thus at least 5
relaxation times, which shrinks the initial deviation by e^-5; and even with no
warm-up at all the deviation (of order Wq times one relaxation time) would be
spread over a horizon of ~10^5 service times, a relative bias near 0.1%, far
inside intervals of a few percent. Arrivals stop at the end of the horizon but
every counted shipment is served to completion, so there is no truncation bias
at the end either.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from sim.model.load import scenario_from_dict
from sim.model.schema import Scenario
from sim.replicate.runner import simulate_ports

CONFIDENCE = 0.999
"""Per-interval confidence; see the module docstring for why 99.9%."""
MAX_RELATIVE_HALF_WIDTH = 0.05
"""Largest half-width, relative to the theoretical value, for a check to have power."""
MEAN_SERVICE_H = 0.25
"""Mean service time: short, so a horizon within the 10-year limit holds ~10^5 shipments."""
WARMUP_DAYS = 5.0
"""480 mean service times; see the module docstring."""
SEED = 20_240_601

GROUPS = ("standard", "national_aeo")  # index = the group code in PortInputs.group


# --- formulas ---------------------------------------------------------------


def erlang_c(servers: int, offered: float) -> float:
    """Probability that an arrival waits in M/M/c (Erlang's C formula).

    ``offered`` is a = lambda / mu in Erlangs (requires a < c)::

        C(c, a) = (a^c / c!) (c / (c - a))
                  / (sum_{k=0}^{c-1} a^k / k!  +  (a^c / c!) (c / (c - a)))

    A. K. Erlang (1917), "Solution of some problems in the theory of
    probabilities of significance in automatic telephone exchanges",
    Elektroteknikeren 13; Gross, Shortle, Thompson & Harris, *Fundamentals of
    Queueing Theory*, 4th ed. (2008), ch. 2 (the M/M/c queue).
    """
    assert 0 < offered < servers
    busy_all = offered**servers / math.factorial(servers) * servers / (servers - offered)
    fewer = sum(offered**k / math.factorial(k) for k in range(servers))
    return busy_all / (fewer + busy_all)


def mmc_wait(servers: int, arrival_rate: float, service_rate: float) -> float:
    """M/M/c mean wait in queue: Wq = C(c, a) / (c mu - lambda) (Gross et al., ch. 2)."""
    offered = arrival_rate / service_rate
    return erlang_c(servers, offered) / (servers * service_rate - arrival_rate)


def pollaczek_khinchine_wait(arrival_rate: float, mean: float, cv: float) -> float:
    """M/G/1 mean wait in queue: Wq = lambda E[S^2] / (2 (1 - rho)).

    E[S^2] = E[S]^2 (1 + cv^2). F. Pollaczek (1930), Math. Zeitschrift 32;
    A. Y. Khinchine (1932), Mat. Sbornik 39; Gross et al., ch. 5 (M/G/1).
    """
    rho = arrival_rate * mean
    assert rho < 1
    return arrival_rate * mean**2 * (1 + cv**2) / (2 * (1 - rho))


def priority_mmc_waits(
    servers: int, arrival_rates: list[float], service_rate: float
) -> list[float]:
    """Class waits of M/M/c with non-preemptive priority and one service rate for all.

    Classes are listed from the highest priority. Cobham's formula is

        W_k = W0 / ((1 - sigma_{k-1}) (1 - sigma_k)),
        sigma_k = sum_{i <= k} lambda_i / (c mu),  sigma_0 = 0.

    W0 is the mean time an arrival waits for the job in service to end: with c
    busy servers of rate mu, the first of them frees after Exp(c mu), so
    W0 = P(all busy) / (c mu). With equal exponential service the number in
    the system is the M/M/c birth-death chain whatever the order of service,
    so P(all busy) is Erlang's C(c, a), a = sum(lambda_i) / mu:

        W_k = C(c, a) / (c mu) / ((1 - sigma_{k-1}) (1 - sigma_k)).

    (With one class this is M/M/c's Wq = C(c, a) / (c mu - lambda).)
    A. Cobham (1954), "Priority assignment in waiting line problems", J. Oper.
    Res. Soc. America 2(1):70-76; Gross et al., ch. 3 (priority disciplines).
    """
    capacity = servers * service_rate
    w0 = erlang_c(servers, sum(arrival_rates) / service_rate) / capacity
    sigma = np.concatenate(([0.0], np.cumsum(arrival_rates) / capacity))
    assert sigma[-1] < 1
    return [w0 / ((1 - sigma[k]) * (1 - sigma[k + 1])) for k in range(len(arrival_rates))]


# --- simulation ---------------------------------------------------------------


def one_station(
    *,
    per_hour: float,
    service: dict[str, Any],
    servers: int,
    horizon_days: float,
    national_aeo_share: float = 0.0,
    priority: dict[str, int] | None = None,
) -> Scenario:
    """A port whose every shipment goes through one always-open station (yellow channel)."""
    station: dict[str, Any] = {"servers": servers, "service_h": service}
    if priority is not None:
        station["priority"] = priority
    port = {
        "mode": "road",
        "arrivals": {"per_day": 24 * per_hour},
        "origins": {"OTHER": 1.0},
        "national_aeo_share": national_aeo_share,
        "channels": {"standard": {"green": 0.0, "yellow": 1.0, "red": 0.0}},
        "routes": {"yellow": ["check"]},
        "stations": {"check": station},
    }
    return scenario_from_dict(
        {
            "name": "theory",
            "horizon_days": horizon_days,
            "warmup_days": WARMUP_DAYS,
            "arrangement": {"in_force": False},
            "countries": {"PER": {"ports": {"gate": port}}},
        }
    )


def replication_means(scenario: Scenario, replications: int) -> dict[str, np.ndarray]:
    """Each replication's mean wait at the station: over all counted shipments and per group.

    Computed from the engine's raw records (wait = service start - joining
    time, joining = max(unloaded, lodgement)), not from the indicators, so
    that only the engine is under test.
    """
    means: dict[str, list[float]] = {"all": [], **{g: [] for g in GROUPS}}
    for r in range(replications):
        plan, [(inputs, outcome)] = simulate_ports(
            scenario, engine="numba", seed=SEED, replication=r
        )
        lo, hi = np.searchsorted(inputs.arrival, plan.ports[0].window)
        joined = np.maximum(outcome.unloaded, inputs.lodgement)[lo:hi]
        wait = outcome.by_shipment("start")[0, lo:hi] - joined
        assert not np.isnan(wait).any(), "every shipment must visit the station"
        assert (wait >= 0).all()
        means["all"].append(wait.mean())
        group = inputs.group[lo:hi]
        for code, name in enumerate(GROUPS):
            if (group == code).any():
                means[name].append(wait[group == code].mean())
    return {name: np.array(values) for name, values in means.items()}


@dataclass(frozen=True)
class Interval:
    """A Student-t confidence interval of a mean."""

    mean: float
    low: float
    high: float

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2

    def __str__(self) -> str:
        return f"{self.mean:.5f} [{self.low:.5f}, {self.high:.5f}] ({CONFIDENCE:.1%})"


def t_interval(samples: np.ndarray, confidence: float = CONFIDENCE) -> Interval:
    """Interval mean +- t_{(1+confidence)/2, n-1} s / sqrt(n) from independent observations."""
    n = len(samples)
    mean = float(samples.mean())
    sem = float(samples.std(ddof=1)) / math.sqrt(n)
    t = float(stats.t.ppf(0.5 + confidence / 2, df=n - 1))
    return Interval(mean, mean - t * sem, mean + t * sem)


def assert_consistent(theory: float, samples: np.ndarray, what: str) -> None:
    """The theoretical value lies in the interval, and the interval is narrow enough to matter."""
    interval = t_interval(samples)
    assert interval.half_width <= MAX_RELATIVE_HALF_WIDTH * theory, (
        f"{what}: interval {interval} too wide to test theory {theory:.5f}; "
        "lengthen the horizon or add replications"
    )
    assert interval.low <= theory <= interval.high, (
        f"{what}: theory {theory:.5f} outside the simulated {interval}"
    )


# --- the checks ---------------------------------------------------------------


def test_mmc_mean_wait_is_erlang_c() -> None:
    """M/M/3 at rho = 0.8: 30 replications of 1000 days (~230,000 shipments each)."""
    servers, rho = 3, 0.8
    mu = 1 / MEAN_SERVICE_H
    arrival_rate = rho * servers * mu  # 9.6 per hour
    scenario = one_station(
        per_hour=arrival_rate,
        servers=servers,
        horizon_days=1000,
        service={"dist": "exponential", "mean": MEAN_SERVICE_H},
    )
    theory = mmc_wait(servers, arrival_rate, mu)  # 0.26966 h
    assert_consistent(theory, replication_means(scenario, 30)["all"], "M/M/3 Wq")


def test_mg1_lognormal_mean_wait_is_pollaczek_khinchine() -> None:
    """M/G/1 at rho = 0.7, lognormal service with cv 1.5: 30 replications of 3000 days.

    The horizon is longer than for M/M/3: one server sees fewer shipments per
    day, and the waits of a high-variance service vary more.
    """
    rho, cv = 0.7, 1.5
    arrival_rate = rho / MEAN_SERVICE_H  # 2.8 per hour
    service = {"dist": "lognormal", "mean": MEAN_SERVICE_H, "cv": cv}
    scenario = one_station(per_hour=arrival_rate, servers=1, service=service, horizon_days=3000)
    theory = pollaczek_khinchine_wait(arrival_rate, MEAN_SERVICE_H, cv)  # 0.94792 h
    assert_consistent(theory, replication_means(scenario, 30)["all"], "M/G/1 Wq")


def test_priority_mmc_class_waits_are_cobham() -> None:
    """M/M/3 at rho = 0.8, 30% national AEOs served first (non-preemptive): both classes."""
    servers, rho, aeo_share = 3, 0.8, 0.3
    mu = 1 / MEAN_SERVICE_H
    arrival_rate = rho * servers * mu
    scenario = one_station(
        per_hour=arrival_rate,
        servers=servers,
        service={"dist": "exponential", "mean": MEAN_SERVICE_H},
        horizon_days=1000,
        national_aeo_share=aeo_share,  # independent thinning: two Poisson classes
        priority={"national_aeo": 0, "standard": 1},
    )
    rates = [aeo_share * arrival_rate, (1 - aeo_share) * arrival_rate]  # highest priority first
    aeo_theory, standard_theory = priority_mmc_waits(servers, rates, mu)  # 0.07096 h, 0.35482 h
    means = replication_means(scenario, 30)
    assert_consistent(aeo_theory, means["national_aeo"], "priority class 1 (national AEO) W1")
    assert_consistent(standard_theory, means["standard"], "priority class 2 (standard) W2")
