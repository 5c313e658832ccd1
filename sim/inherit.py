"""Shared port defaults: what every port of a scenario, or of a country, has in common.

A scenario of fifty ports repeats the same structure fifty times: routes,
stations, service times, delays. ``port_defaults:`` at scenario level, and again
under a country, holds a partial port that each port inherits; the port gives
only what differs. Layers apply from the most general to the most specific::

    port_defaults  <-  countries.<C>.port_defaults  <-  countries.<C>.ports.<P>

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

from .errors import InputError

DEFAULTS = "port_defaults"
REPLACED_WHOLE = frozenset({"origins"})
"""Mappings that are one value, not a section (besides distributions)."""


def expand(data: dict[str, Any], source: str) -> dict[str, Any]:
    """The scenario with every port's defaults merged in and the defaults removed."""
    scenario_defaults = _defaults(data, DEFAULTS, source)
    countries = data.get("countries")
    if not isinstance(countries, dict):
        return _without(data, DEFAULTS)
    expanded = {}
    for code, country in countries.items():
        if not isinstance(country, dict):
            expanded[code] = country
            continue
        at = f"countries.{code}.{DEFAULTS}"
        layers = [scenario_defaults, _defaults(country, at, source, key=DEFAULTS)]
        ports = country.get("ports")
        if isinstance(ports, dict):
            ports = {name: _layered(layers, port) for name, port in ports.items()}
            country = {**country, "ports": ports}
        expanded[code] = _without(country, DEFAULTS)
    return {**_without(data, DEFAULTS), "countries": expanded}


def inherited_from(data: dict[str, Any], field: str) -> str | None:
    """Where a port's field came from when the port does not give it itself.

    ``field`` is a dotted path as errors report it
    (``countries.PER.ports.callao.stations.physical.servers``). Returns the path
    of the defaults that supplied it, or None when the port gives the field (or
    it lies outside a port, or nowhere).
    """
    match = re.match(r"^countries\.([^.]+)\.ports\.([^.\[]+)(.*)$", field)
    if match is None:
        return None
    code, port, rest = match.groups()
    inner = _split(rest)
    country = (data.get("countries") or {}).get(code)
    if not isinstance(country, dict):
        return None
    own = (country.get("ports") or {}).get(port)
    if _has(own, inner):
        return None
    for path, layer in (
        (f"countries.{code}.{DEFAULTS}", country.get(DEFAULTS)),
        (DEFAULTS, data.get(DEFAULTS)),
    ):
        if _has(layer, inner):
            return _join(path, inner)
    return None


# --- merging -------------------------------------------------------------------


def _defaults(node: dict[str, Any], at: str, source: str, key: str = DEFAULTS) -> dict[str, Any]:
    value = node.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputError(
            source, at, "port defaults must be a mapping of port fields (mode:, stations:, ...)"
        )
    return value


def _layered(layers: list[dict[str, Any]], port: Any) -> Any:
    if not isinstance(port, dict):
        return port  # validation will say what is wrong with it
    merged: dict[str, Any] = {}
    for layer in (*layers, port):
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


def _without(node: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in node.items() if k != key}


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
