"""What a scenario contains, and whether its stations can keep up (``mrasim validate``)."""

from __future__ import annotations

import numpy as np

from .calendars import WEEK, open_hours
from .plan import Plan, PortPlan, compile_plan
from .scenario import GROUPS, Scenario


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
    loads = {}
    for s, station in enumerate(port.stations):
        work = np.zeros(len(GROUPS))  # server-hours per hour, by group
        for g in range(len(GROUPS)):
            p_green, p_green_yellow = port.channel_cumulative[g]
            channel_p = (p_green, p_green_yellow - p_green, 1 - p_green_yellow)
            visits = sum(
                p
                for c, p in enumerate(channel_p)
                if s in port.route_station[c, : port.route_length[c]]
            )
            work[g] = shipments_per_hour * groups[g] * visits * port.service[s][g].mean
        general, reserved = (_capacity(plan, port, p) for p in (2 * s, 2 * s + 1))
        taken = min(float(work[port.pool_serves[2 * s + 1]].sum()), reserved)
        loads[station] = (
            (work.sum() - taken) / general if general > 0 else np.inf,
            taken / reserved if reserved > 0 else 0.0,
        )
    return loads


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
    warnings = []
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
            if load >= 1:
                warnings.append(
                    f"warning: {port.key} station {station} has offered load {load:.2f} "
                    "(>= 1): its queue grows without bound; add servers or open hours"
                )
    return "\n".join(lines + warnings)
