"""What a scenario contains, and whether its stations can keep up (``mrasim validate``)."""

from __future__ import annotations

import numpy as np

from .calendars import WEEK, open_hours
from .plan import Plan, PortPlan, compile_plan
from .scenario import GROUPS, Scenario
from .sizing import count, expected_arrivals


def group_probabilities(port: PortPlan) -> np.ndarray:
    """Long-run share of shipments in each trader group (standard, national, recognised)."""
    weights = np.diff(np.concatenate(([0.0], port.origin_cumulative)))
    recognised = float(weights @ port.eligible_share) * port.claim_probability
    national = port.national_aeo_share
    both = national * recognised
    if port.recognised_first:
        shares = (1 - national) * (1 - recognised), national - both, recognised
    else:
        shares = (1 - national) * (1 - recognised), national, recognised - both
    return np.array(shares)


def offered_loads(plan: Plan, port: PortPlan) -> dict[str, float]:
    """Work arriving per scheduled server-hour at each station's general servers.

    Reserved servers are assumed to take their groups' work up to their own
    capacity, and the general servers everything else: a load of 1 or more
    means the general queue grows without bound.
    """
    return {station: loads[0] for station, loads in pool_loads(plan, port).items()}


def pool_loads(plan: Plan, port: PortPlan) -> dict[str, tuple[float, float]]:
    """(general, reserved) offered load of each station; reserved is 0 without reserved servers."""
    groups = group_probabilities(port)
    shipments_per_hour = port.hourly_rate.mean() * (port.batch_size.mean if port.batch_size else 1)
    visits = visit_probabilities(port)
    loads = {}
    for s, station in enumerate(port.stations):
        work = np.zeros(len(GROUPS))  # server-hours per hour, by group
        for g in range(len(GROUPS)):
            work[g] = shipments_per_hour * groups[g] * visits[s, g] * port.service[s][g].mean
        general, reserved = (_capacity(plan, port, p) for p in (2 * s, 2 * s + 1))
        taken = min(float(work[port.pool_serves[2 * s + 1]].sum()), reserved)
        loads[station] = (
            (work.sum() - taken) / general if general > 0 else np.inf,
            taken / reserved if reserved > 0 else 0.0,
        )
    return loads


def visit_probabilities(port: PortPlan) -> np.ndarray:
    """(stations, groups): the probability that a shipment of each group visits each station."""
    visits = np.zeros((len(port.stations), len(GROUPS)))
    for g in range(len(GROUPS)):
        p_green, p_green_yellow = port.channel_cumulative[g]
        for c, p in enumerate((p_green, p_green_yellow - p_green, 1 - p_green_yellow)):
            visits[port.route_station[c, : port.route_length[c]], g] += p
    return visits


def _capacity(plan: Plan, port: PortPlan, pool: int) -> float:
    """Average scheduled servers of a pool over the week."""
    starts, ends = plan.calendars.bounds(int(port.pool_calendar[pool]))
    return port.pool_servers[pool] * open_hours(starts, ends, 0.0, WEEK) / WEEK


def describe_scenario(scenario: Scenario) -> str:
    """A readable account of a scenario."""
    plan = compile_plan(scenario)
    arrangement = scenario.arrangement
    lines = [
        f"scenario {scenario.name}: {scenario.description}".rstrip(": "),
        f"  horizon {scenario.horizon_days:g} days after {scenario.warmup_days:g} days of warm-up; "
        f"seed {scenario.seed}",
        f"  arrangement {'in force' if arrangement.in_force else 'not in force'}, "
        f"{len(arrangement.members)} members, utilisation {arrangement.utilisation:g}",
        f"  calendars: {', '.join(scenario.calendars) or 'none (always open)'}",
    ]
    for port in plan.ports:
        per_day = port.hourly_rate.mean() * 24 * (port.batch_size.mean if port.batch_size else 1)
        shares = group_probabilities(port)
        value = "none" if port.value_usd is None else f"USD {port.value_usd:,.0f}"
        lines.append(
            f"  {port.country}/{port.name} ({port.mode}): {per_day:,.0f} shipments/day; groups "
            + ", ".join(f"{g} {p:.1%}" for g, p in zip(GROUPS, shares, strict=True))
        )
        lines.append(
            f"    declared value per shipment: {value}"
            + ("" if port.value_usd is not None else " (no cost of delay computed)")
        )
        for station, (load, reserved_load) in pool_loads(plan, port).items():
            s = port.stations.index(station)
            servers = int(port.pool_servers[2 * s])
            reserved = int(port.pool_servers[2 * s + 1])
            extra = f" + {reserved} reserved (load {reserved_load:.2f})" if reserved else ""
            lines.append(
                f"    station {station}: {servers} servers (offered load {load:.2f}){extra}"
            )
    return "\n".join(lines + scenario_warnings(plan))


def scenario_warnings(plan: Plan) -> list[str]:
    """What is legal but probably not meant: printed by validate, run and compare.

    * a station no route visits serves nobody;
    * a port expecting less than one counted shipment gives replications with
      none, whose indicators are then missing;
    * an offered load of 1 or more: the queue grows while shipments arrive, and
      the run goes on until it has drained (no counted shipment is censored).
      The backlog left at the end of arrivals is about (load - 1) x the work the
      station can do over the arrival period, so draining it takes about
      (load - 1) x that period. Memory does not grow with it (it is set by the
      number of shipments), so this is a warning, not a refusal.
    """
    warnings = []
    days = plan.window[1] / 24
    for port in plan.ports:
        routed = set(port.route_station[port.route_station >= 0].tolist())
        for s, station in enumerate(port.stations):
            if s not in routed:
                warnings.append(
                    f"warning: {port.key} station {station} is on no route, so no shipment "
                    "visits it; add it to a channel's route or remove it"
                )
        counted = expected_arrivals(port, *plan.window)
        if counted < 1:
            warnings.append(
                f"warning: {port.key} expects {counted:.2g} counted shipments per replication: "
                "replications without any have no indicators for it; raise arrivals.per_day "
                "or horizon_days"
            )
        for station, (load, _) in pool_loads(plan, port).items():
            if load >= 1:
                drain = f"{count((load - 1) * days)} days" if np.isfinite(load) else "forever"
                load_text = f"{load:.2f}" if load < 1e3 else f"{load:.3g}"
                warnings.append(
                    f"warning: {port.key} station {station} has offered load {load_text} (>= 1): "
                    f"its queue grows while shipments arrive and takes about {drain} to drain "
                    "after the last arrival, so clearance times measure that backlog; "
                    "add servers or open hours"
                )
    return warnings
