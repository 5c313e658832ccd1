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
from sim.language import _
from sim.language.formats import decimal

DEFAULTS = "port_defaults"
MODE_DEFAULTS = "mode_defaults"
MAX_NODES = 1_000_000
"""Values (mappings, lists and scalars, keys included) a file may expand to, counting what
every alias repeats, and what ports may hold after inheriting their defaults
(:func:`sim.model.inherit.expand`). The bundled regional scenario holds 3,015 as written
and 9,286 inherited; the bound leaves room for a hundred times that, and refuses the
billion-laughs files that expand a few hundred bytes into billions of values."""
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
    _check_size(data, countries, source)
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
            source, f"{at}{DEFAULTS}", _("must be a mapping of port fields (mode:, stations:, ...)")
        )
    by_mode = node.get(MODE_DEFAULTS)
    if by_mode is None:
        return
    if not isinstance(by_mode, dict):
        raise InputError(
            source, f"{at}{MODE_DEFAULTS}", _("must map modes (sea, air, ...) to port fields")
        )
    for mode, fields in by_mode.items():
        if mode not in MODES:
            raise InputError(
                source,
                f"{at}{MODE_DEFAULTS}.{mode}",
                _("unknown mode; use one of {modes}").format(modes=", ".join(MODES)),
            )
        if not isinstance(fields, dict):
            raise InputError(
                source, f"{at}{MODE_DEFAULTS}.{mode}", _("must be a mapping of port fields")
            )


def _check_size(data: dict[str, Any], countries: dict[str, Any], source: str) -> None:
    """Refuse, before merging, ports that would hold more than MAX_NODES values once every
    layer of defaults is copied into each (fifty thousand ports inheriting a large
    ``port_defaults`` is a small file and billions of values).

    Each distinct mapping or list is sized once (:class:`_Sizes`), so data whose YAML
    aliases repeat one mapping many times is sized without being walked many times.
    """
    sizes = _Sizes()
    total = 0
    inherited: dict[str, int] = {}
    for code, country in countries.items():
        ports = country.get("ports") if isinstance(country, dict) else None
        if not isinstance(ports, dict):
            continue
        for name, port in ports.items():
            for path, layer in layers(data, code, name):
                inherited[path] = inherited.get(path, 0) + sizes.of(layer)
                total += sizes.of(layer)
            total += sizes.of(port)
            if total > MAX_NODES:
                largest = max(inherited, key=inherited.__getitem__, default="")
                raise InputError(
                    source,
                    largest or f"countries.{code}.ports",
                    _(
                        "ports would hold more than {max_nodes} values once they inherit their "
                        "defaults; give fewer ports, or smaller defaults"
                    ).format(max_nodes=decimal(MAX_NODES, 0)),
                )


class _Sizes:
    """Values (keys included) under a piece of data, each distinct mapping or list sized
    once, by identity: linear in the distinct data, however often it is shared."""

    def __init__(self) -> None:
        self._known: dict[int, int] = {}
        self._kept: list[Any] = []  # holds what is sized, so that no id is reused meanwhile

    def of(self, root: Any) -> int:
        open_: set[int] = set()
        stack: list[tuple[Any, bool]] = [(root, False)]
        while stack:
            node, children_sized = stack.pop()
            if children_sized:
                self._known[id(node)] = 1 + sum(map(self._size, _parts(node)))
                open_.discard(id(node))
            elif id(node) in open_:
                raise ValueError("the data holds itself")  # only Python data can
            elif _is_container(node) and id(node) not in self._known:
                open_.add(id(node))
                self._kept.append(node)
                stack.append((node, True))
                stack.extend((child, False) for child in _parts(node) if _is_container(child))
        return self._size(root)

    def _size(self, node: Any) -> int:
        return self._known[id(node)] if _is_container(node) else 1


def _is_container(node: Any) -> bool:
    return isinstance(node, dict | list)


def _parts(node: Any) -> list[Any]:
    if isinstance(node, dict):
        return [part for pair in node.items() for part in pair]
    return list(node) if isinstance(node, list) else []


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
