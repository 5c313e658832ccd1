"""What a scenario contains, and whether its stations can keep up (``mrasim validate``)."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

import numpy as np

from sim.interpret.numbers import general, plural_count, span
from sim.language import _, active, ngettext
from sim.language.formats import decimal, money, separators
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
    heading = _("scenario {name}: {description}").format(
        name=scenario.name, description=scenario.description
    )
    in_force = (
        _("  arrangement in force, {members} members, utilisation {utilisation}")
        if arrangement.in_force
        else _("  arrangement not in force, {members} members, utilisation {utilisation}")
    )
    lines = [
        heading.rstrip(": "),
        _("  horizon {days} days after {warmup}; seed {seed}").format(
            days=general(scenario.horizon_days), warmup=warmup_words(plan), seed=scenario.seed
        ),
        in_force.format(
            members=len(arrangement.members), utilisation=general(arrangement.utilisation)
        ),
        _("  calendars: {calendars}").format(
            calendars=", ".join(scenario.calendars) or _("none (always open)")
        ),
    ]
    for port in plan.ports:
        lines += _port_lines(plan, port)
    return "\n".join(lines + scenario_warnings(plan))


def _port_lines(plan: Plan, port: Any) -> list[str]:
    """A port's arrivals and groups, its declared value and each station's servers and load."""
    per_day = port.hourly_rate.mean() * 24 * (port.batch_size.mean if port.batch_size else 1)
    shares = group_probabilities(port)
    groups = ", ".join(f"{g} {decimal(100 * p, 1)}%" for g, p in zip(GROUPS, shares, strict=True))
    lines = [
        _("  {port} ({mode}): {count} shipments/day; groups {groups}").format(
            port=f"{port.country}/{port.name}",
            mode=port.mode,
            count=decimal(per_day, 0),
            groups=groups,
        ),
        _("    declared value per shipment: none (no cost of delay computed)")
        if port.value_usd is None
        else _("    declared value per shipment: {value}").format(
            value=money(decimal(port.value_usd, 0), "USD")
        ),
    ]
    for station, (load, reserved_load) in pool_loads(plan.calendars, port).items():
        s = port.stations.index(station)
        servers, reserved = (int(port.pool_servers[p]) for p in port.pools(s))
        template = (
            _(
                "    station {station}: {servers} servers (offered load {load}) + {reserved} "
                "reserved (load {reserved_load})"
            )
            if reserved
            else _("    station {station}: {servers} servers (offered load {load})")
        )
        lines.append(
            template.format(
                station=station,
                servers=servers,
                load=decimal(load, 2),
                reserved=reserved,
                reserved_load=decimal(reserved_load, 2),
            )
        )
    return lines


def warmup_words(plan: Plan) -> str:
    """The warm-up: the scenario's, or each port's own (derived), as a range."""
    if not plan.warmup_derived:
        return _("{days} days of warm-up").format(days=general(plan.scenario.warmup_days or 0))
    days = sorted(set(plan.warmup_days().values()))
    shown = general(days[0]) if len(days) == 1 else span(general(days[0]), general(days[-1]))
    return _("each port's own warm-up, derived from its lags and loads ({days} days)").format(
        days=shown
    )


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
                    _(
                        "warning: {port} station {station} is on no route, so no shipment visits "
                        "it; add it to a channel's route or remove it"
                    ).format(port=port.key, station=station)
                )
        counted = expected_arrivals(port, *port.window)
        if counted < 1:
            warnings.append(
                _(
                    "warning: {port} expects {count} counted shipments per replication: "
                    "replications without any have no indicators for it; raise "
                    "arrivals.per_day or horizon_days"
                ).format(port=port.key, count=f"{counted:.2g}".replace(".", _point()))
            )
        for station, (load, _reserved) in pool_loads(plan.calendars, port).items():
            if load >= 1:
                warnings.append(_overload(port.key, station, load, days))
    return warnings


def _point() -> str:
    """The active language's decimal sign."""
    return separators(active())[0]


def _overload(port: str, station: str, load: float, days: float) -> str:
    """A station whose offered load is 1 or more: how long the last shipments wait."""
    load_text = decimal(load, 2) if load < 1e3 else f"{load:.3g}".replace(".", _point())
    if not np.isfinite(load):
        template = _(
            "warning: {port} station {station} has offered load {load} (>= 1): its queue grows "
            "without end, and the last counted shipments wait about forever behind the "
            "backlog, so clearance times measure that backlog; add servers or open hours"
        )
        return template.format(port=port, station=station, load=load_text)
    waited = (load - 1) * days
    drain = decimal(waited, 0) if 10 <= waited < 1e12 else count(waited).replace(".", _point())
    return ngettext(
        "warning: {port} station {station} has offered load {load} (>= 1): its queue grows "
        "without end, and the last counted shipments wait about {days} day behind the "
        "backlog, so clearance times measure that backlog; add servers or open hours",
        "warning: {port} station {station} has offered load {load} (>= 1): its queue grows "
        "without end, and the last counted shipments wait about {days} days behind the "
        "backlog, so clearance times measure that backlog; add servers or open hours",
        plural_count(drain),
    ).format(port=port, station=station, load=load_text, days=drain)


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
        _(
            "warning: warmup_days {given} is shorter than the {needed} days {port} needs to "
            "fill (its lags and queues); raise warmup_days, or leave it out to give each port "
            "the warm-up its own lags and loads need"
        ).format(given=general(given), needed=general(needs[worst]), port=worst)
    ]


def describe_inputs(inputs: Sequence[Uncertain], width: int = 100) -> str:
    """The uncertain inputs (``mrasim validate``): name, fields, range and why, one each."""
    lines = [
        _(
            "uncertain inputs: {count} (run and compare --uncertainty N draw them; without it, "
            "intervals count simulation noise only)"
        ).format(count=len(inputs))
    ]
    for item in inputs:
        fields = ngettext("{count} field", "{count} fields", len(item.targets)).format(
            count=len(item.targets)
        )
        patterns = list(item.patterns) or [t.text for t in item.targets]
        shown = ", ".join(patterns[:2])
        if len(patterns) > 2:
            shown = _("{fields} and {count} more").format(fields=shown, count=len(patterns) - 2)
        where = "" if shown == item.name else f"{shown} "
        head = f"  {item.name}: {item.describe()}; {where}({fields})"
        lines.append(textwrap.fill(head, width, subsequent_indent="      "))
        why = f"{item.mark}: {item.reason}"
        lines.append(textwrap.fill(why, width, initial_indent="      ", subsequent_indent="      "))
    return "\n".join(lines)
