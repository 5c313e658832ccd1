"""Shared defaults: what every port of a scenario, of a country, or of a mode has in common.

A scenario of fifty ports repeats the same structure fifty times: routes,
stations, service times, delays. A Time Release Study publishes by mode, and
ports of one mode share their stages (a container is unloaded, a truck is not).
So a port inherits, from the most general layer to the most specific::

    port_defaults                       every port of the scenario
    mode_defaults.<mode>                every port of that mode
    countries.<C>.port_defaults         every port of the country
    countries.<C>.mode_defaults.<mode>  every port of that mode in the country
    countries.<C>.ports.<P>             the port itself

A port's mode is its own ``mode``, or the one its country's or the scenario's
``port_defaults`` give.

Rules of the merge, field by field:

* mappings merge key by key (a port may change one station's ``servers`` and
  inherit the rest of it);
* lists and scalars replace;
* a distribution (a mapping with ``dist``) and ``origins`` are one value each and
  replace whole: merged key by key, a lognormal over an exponential would keep a
  stray ``cv``, and a share table would no longer sum to 1;
* a key set to ``null`` removes what it would inherit.

Expansion happens on the raw data, before validation, so the validated scenario
is self-contained and every error still names a port's field. :func:`inherited_from`
says which defaults an erroneous field came from, so the message can name both.
"""

from __future__ import annotations

import re
from typing import Any

from sim.errors import InputError

DEFAULTS = "port_defaults"
MODE_DEFAULTS = "mode_defaults"
REPLACED_WHOLE = frozenset({"origins"})
"""Mappings that are one value, not a section (besides distributions)."""

Layer = tuple[str, dict[str, Any]]
"""Where a layer of defaults sits (a dotted path) and what it holds."""


def expand(data: dict[str, Any], source: str) -> dict[str, Any]:
    """The scenario with every port's defaults merged in and the defaults removed."""
    _check(data, "", source)
    countries = data.get("countries")
    if not isinstance(countries, dict):
        return _without(data)
    expanded = {}
    for code, country in countries.items():
        if not isinstance(country, dict):
            expanded[code] = country
            continue
        _check(country, f"countries.{code}.", source)
        ports = country.get("ports")
        if isinstance(ports, dict):
            ports = {
                name: _merged([layer for _, layer in layers(data, code, name)], port)
                for name, port in ports.items()
            }
            country = {**country, "ports": ports}
        expanded[code] = _without(country)
    return {**_without(data), "countries": expanded}


def layers(data: dict[str, Any], code: str, port: str) -> list[Layer]:
    """The defaults a port inherits, most general first (only those that exist)."""
    country = data["countries"][code]
    own = country.get("ports", {}).get(port)
    # a candidate may be missing or not a mapping; only dicts survive the filter below
    candidates: list[tuple[str, object]] = [
        (DEFAULTS, data.get(DEFAULTS)),
        (f"countries.{code}.{DEFAULTS}", country.get(DEFAULTS)),
    ]
    mode = next(
        (
            layer.get("mode")
            for layer in (own, candidates[1][1], candidates[0][1])
            if isinstance(layer, dict) and layer.get("mode") is not None
        ),
        None,
    )
    if isinstance(mode, str):
        candidates.insert(1, (f"{MODE_DEFAULTS}.{mode}", (data.get(MODE_DEFAULTS) or {}).get(mode)))
        candidates.append(
            (
                f"countries.{code}.{MODE_DEFAULTS}.{mode}",
                (country.get(MODE_DEFAULTS) or {}).get(mode),
            )
        )
    return [(path, layer) for path, layer in candidates if isinstance(layer, dict)]


def inherited_from(data: dict[str, Any], field: str) -> str | None:
    """Where a port's field came from when the port does not give it itself.

    ``field`` is a dotted path as errors report it
    (``countries.PER.ports.callao.stations.physical.servers``). Returns the path
    of the defaults that supplied it (the most specific that has it), or None
    when the port gives the field itself (or it lies outside a port, or nowhere).
    """
    match = re.match(r"^countries\.([^.]+)\.ports\.([^.\[]+)(.*)$", field)
    if match is None:
        return None
    code, port, rest = match.groups()
    inner = _split(rest)
    country = (data.get("countries") or {}).get(code)
    if not isinstance(country, dict) or not isinstance(country.get("ports"), dict):
        return None
    if _has(country["ports"].get(port), inner):
        return None
    for path, layer in reversed(layers(data, code, port)):
        if _has(layer, inner):
            return _join(path, inner)
    return None


def _check(node: dict[str, Any], at: str, source: str) -> None:
    """Defaults are mappings of port fields; mode defaults are keyed by mode."""
    from sim.model.vocabulary import MODES

    defaults = node.get(DEFAULTS)
    if defaults is not None and not isinstance(defaults, dict):
        raise InputError(
            source, f"{at}{DEFAULTS}", "must be a mapping of port fields (mode:, stations:, ...)"
        )
    by_mode = node.get(MODE_DEFAULTS)
    if by_mode is None:
        return
    if not isinstance(by_mode, dict):
        raise InputError(
            source, f"{at}{MODE_DEFAULTS}", "must map modes (sea, air, ...) to port fields"
        )
    for mode, fields in by_mode.items():
        if mode not in MODES:
            raise InputError(
                source,
                f"{at}{MODE_DEFAULTS}.{mode}",
                f"unknown mode; use one of {', '.join(MODES)}",
            )
        if not isinstance(fields, dict):
            raise InputError(
                source, f"{at}{MODE_DEFAULTS}.{mode}", "must be a mapping of port fields"
            )


# --- merging -------------------------------------------------------------------


def _merged(inherited: list[dict[str, Any]], port: Any) -> Any:
    if not isinstance(port, dict):
        return port  # validation will say what is wrong with it
    merged: dict[str, Any] = {}
    for layer in (*inherited, port):
        merged = _merge(merged, layer)
    return merged


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if value is None:
            out.pop(key, None)
        elif _section(key, value) and _section(key, out.get(key)):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _section(key: str, value: Any) -> bool:
    """Whether a value merges key by key: a mapping that is not one value."""
    return isinstance(value, dict) and "dist" not in value and key not in REPLACED_WHOLE


def _without(node: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in node.items() if k not in (DEFAULTS, MODE_DEFAULTS)}


# --- paths -----------------------------------------------------------------------


def _split(rest: str) -> list[str | int]:
    """``.stations.doc.service_h`` or ``.routes.red[1]`` -> keys and list indices."""
    parts: list[str | int] = []
    for token in re.findall(r"\.([^.\[]+)|\[(\d+)\]", rest):
        key, index = token
        parts.append(int(index) if index else key)
    return parts


def _has(node: Any, path: list[str | int]) -> bool:
    for key in path:
        in_list = isinstance(key, int) and isinstance(node, list) and 0 <= key < len(node)
        in_mapping = isinstance(key, str) and isinstance(node, dict) and key in node
        if not (in_list or in_mapping):
            return False
        node = node[key]
    return node is not None


def _join(path: str, inner: list[str | int]) -> str:
    text = path
    for key in inner:
        text += f"[{key}]" if isinstance(key, int) else f".{key}"
    return text
