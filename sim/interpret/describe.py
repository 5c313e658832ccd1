"""What a scenario contains, and whether its stations can keep up (``mrasim validate``)."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import numpy as np

from sim.model.schema import Scenario
from sim.model.uncertain import Uncertain
from sim.model.vocabulary import GROUPS
from sim.plan.arrays import Plan
from sim.plan.compile import compile_plan
from sim.plan.expect import (
    expected_arrivals,
    group_probabilities,
    pool_loads,
    warmup_needed_days,
)
from sim.replicate.sizing import count


def describe_scenario(scenario: Scenario) -> str:
    """A readable account of a scenario."""
    plan = compile_plan(scenario)
    arrangement = scenario.arrangement
    lines = [
        f"scenario {scenario.name}: {scenario.description}".rstrip(": "),
        f"  horizon {scenario.horizon_days:g} days after {warmup_words(plan)}; "
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
        for station, (load, reserved_load) in pool_loads(plan.calendars, port).items():
            s = port.stations.index(station)
            servers, reserved = (int(port.pool_servers[p]) for p in port.pools(s))
            extra = f" + {reserved} reserved (load {reserved_load:.2f})" if reserved else ""
            lines.append(
                f"    station {station}: {servers} servers (offered load {load:.2f}){extra}"
            )
    return "\n".join(lines + scenario_warnings(plan))


def warmup_words(plan: Plan) -> str:
    """The warm-up: the scenario's, or each port's own (derived), as a range."""
    if not plan.warmup_derived:
        return f"{plan.scenario.warmup_days:g} days of warm-up"
    days = sorted(set(plan.warmup_days().values()))
    span = f"{days[0]:g}" if len(days) == 1 else f"{days[0]:g} to {days[-1]:g}"
    return f"each port's own warm-up, derived from its lags and loads ({span} days)"


def scenario_warnings(plan: Plan) -> list[str]:
    """What is legal but probably not meant: printed by validate, run and compare.

    * a station no route visits serves nobody;
    * a port expecting less than one counted shipment gives replications with
      none, whose indicators are then missing;
    * an offered load of 1 or more: the queue grows without end while shipments
      arrive. By the end of the counted arrivals the backlog is about (load - 1) x the
      work the station can do over the period simulated so far, and the last counted
      shipments wait behind it, about (load - 1) x that period. Memory does not grow
      with it (it is set by the number of shipments), so this is a warning, not a
      refusal.
    """
    warnings = _short_warmup(plan)
    for port in plan.ports:
        days = port.window[1] / 24
        routed = set(port.route_station[port.route_station >= 0].tolist())
        for s, station in enumerate(port.stations):
            if s not in routed:
                warnings.append(
                    f"warning: {port.key} station {station} is on no route, so no shipment "
                    "visits it; add it to a channel's route or remove it"
                )
        counted = expected_arrivals(port, *port.window)
        if counted < 1:
            warnings.append(
                f"warning: {port.key} expects {counted:.2g} counted shipments per replication: "
                "replications without any have no indicators for it; raise arrivals.per_day "
                "or horizon_days"
            )
        for station, (load, _) in pool_loads(plan.calendars, port).items():
            if load >= 1:
                drain = f"{count((load - 1) * days)} days" if np.isfinite(load) else "forever"
                load_text = f"{load:.2f}" if load < 1e3 else f"{load:.3g}"
                warnings.append(
                    f"warning: {port.key} station {station} has offered load {load_text} (>= 1): "
                    "its queue grows without end, and the last counted shipments wait about "
                    f"{drain} behind the backlog, so clearance times measure that backlog; "
                    "add servers or open hours"
                )
    return warnings


def _short_warmup(plan: Plan) -> list[str]:
    """A given warm-up shorter than what some port needs to fill: one line, the worst port."""
    given = plan.scenario.warmup_days
    if given is None or not plan.ports:
        return []
    needs = {port.key: warmup_needed_days(plan.calendars, port) for port in plan.ports}
    worst = max(needs, key=lambda key: needs[key])
    if needs[worst] <= given:
        return []
    return [
        f"warning: warmup_days {given:g} is shorter than the {needs[worst]:g} days {worst} "
        "needs to fill (its lags and queues); raise warmup_days, or leave it out to give "
        "each port the warm-up its own lags and loads need"
    ]


def describe_inputs(inputs: Sequence[Uncertain], width: int = 100) -> str:
    """The uncertain inputs (``mrasim validate``): name, fields, range and why, one each."""
    lines = [
        f"uncertain inputs: {len(inputs)} (run and compare --uncertainty N draw them; without "
        "it, intervals count simulation noise only)"
    ]
    for item in inputs:
        fields = f"{len(item.targets)} fields" if len(item.targets) > 1 else "1 field"
        patterns = list(item.patterns) or [t.text for t in item.targets]
        more = f" and {len(patterns) - 2} more" if len(patterns) > 2 else ""
        shown = ", ".join(patterns[:2]) + more
        where = "" if shown == item.name else f"{shown} "
        head = f"  {item.name}: {item.describe()}; {where}({fields})"
        lines.append(textwrap.fill(head, width, subsequent_indent="      "))
        why = f"{item.mark}: {item.reason}"
        lines.append(textwrap.fill(why, width, initial_indent="      ", subsequent_indent="      "))
    return "\n".join(lines)
