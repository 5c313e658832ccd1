"""Loading scenarios: YAML files (or bundled names) in, ``--set`` overrides applied, and
every validation error turned into one line naming the file and the field path.

:func:`scenario_from_dict` is the one door into :class:`~sim.model.schema.Scenario`:
ports inherit their shared defaults first (:mod:`sim.model.inherit`), then pydantic
checks the shape, then :func:`~sim.model.schema.check_references` the names and codes.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic import (
    BaseModel,
    ValidationError,
)

from sim.errors import InputError
from sim.language import _
from sim.language.formats import decimal
from sim.model import inherit, os_text
from sim.model.pydantic_text import did_you_mean, validation_problem
from sim.model.schema import Origin, Scenario, _check_references
from sim.model.uncertain import expanded_block, put, split, uncertain_inputs

BUNDLED = Path(__file__).parents[1] / "scenarios"
"""The scenarios shipped with mrasim, loadable by name (``load_scenario("lac-regional")``)."""


def load_scenario(path: str | Path, overrides: Iterable[str] = ()) -> Scenario:
    """Read, override (``a.b.c=value``) and validate a scenario file.

    ``path`` is a file, or the name of a bundled scenario (``"lac-regional"``,
    see :func:`bundled_scenarios`) when no such file exists.
    """
    path = resolve_scenario(path)
    source = str(path)
    bundled = _("; bundled scenarios: {names}").format(names=", ".join(bundled_scenarios()))
    data, text = read_yaml_mapping(path, "name:, countries:, ...", bundled)
    overrides = list(overrides)
    touched = [(override, apply_override(data, override)) for override in overrides]
    try:
        scenario = scenario_from_dict(data, source)
    except InputError as exc:
        # a problem inside what an override set (or created) is the override's, not the file's
        for override, path in reversed(touched):
            if _within(exc.field, path) or _within(path, exc.field):
                raise InputError(f"{source} (--set {override})", exc.field, exc.problem) from None
        raise
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()  # the file's bytes: UTF-8 read
    scenario._origin = Origin(source, digest, tuple(overrides))
    if scenario.uncertainty and not overrides:
        # the file's own block against the file's own values: every path names a field and
        # every range holds its value. A --set is the user's what-if (utilisation 0.9 beside
        # a range of [0.05, 0.8]): checked only when the inputs are drawn (--uncertainty)
        uncertain_inputs(scenario)
    return scenario


def read_yaml_mapping(
    path: str | Path, expected: str, hint: str = ""
) -> tuple[dict[str, Any], str]:
    """A YAML file that must hold a mapping (of the ``expected`` keys), and its text.

    ``hint`` follows the message when the file cannot be read at all.

    Unreadable files, bad UTF-8, bad YAML, duplicate keys and anything but a mapping
    stop with one line naming the file (and the line and column, for YAML).
    """
    source = str(path)
    try:
        raw = Path(path).read_bytes()
        text = raw.decode("utf-8")
    except OSError as exc:
        problem = _("cannot read the file ({error}){hint}").format(
            error=os_text.reason(exc), hint=hint
        )
        raise InputError(source, "", problem) from None
    except UnicodeDecodeError as exc:
        raise InputError(
            source,
            "",
            _("not UTF-8 text (byte {byte:#04x} at offset {start})").format(
                byte=exc.object[exc.start], start=exc.start
            ),
        ) from None
    try:
        data = _load_bounded(text, source)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = _position(mark) if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(
            source, where, _("invalid YAML: {problem}").format(problem=problem)
        ) from None
    if not isinstance(data, dict):
        raise InputError(
            source,
            "",
            _("the file must hold a YAML mapping ({expected})").format(expected=expected),
        )
    return data, text


def _load_bounded(text: str, source: str) -> Any:
    """Parse YAML, refusing a document whose aliases expand it past :data:`inherit.MAX_NODES`.

    The document is composed into nodes first (an alias is the very node of its anchor,
    not a copy), sized by walking each node once, and only then made into Python data.
    """
    loader = _UniqueKeyLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node, text, source)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _check_expansion(root: yaml.Node, text: str, source: str) -> None:
    """One line naming the anchor whose aliases blow the document up, if any does."""
    try:
        sizes, uses = expanded_sizes(root)
    except _Cycle as cycle:
        where, name = _anchor_at(cycle.node, text)
        raise InputError(
            source, where, _("{name} holds an alias to itself; remove it").format(name=name)
        ) from None
    if sizes[id(root)] <= inherit.MAX_NODES:
        return
    shared = [node for node in _nodes(root) if uses[id(node)] > 1]
    if not shared:  # a long file with no aliases at all
        raise InputError(
            source,
            "",
            _("holds more than {max_nodes} values; split it or write less").format(
                max_nodes=decimal(inherit.MAX_NODES, 0)
            ),
        )
    where, name = _anchor_at(max(shared, key=lambda n: sizes[id(n)] * uses[id(n)]), text)
    raise InputError(
        source,
        where,
        _(
            "{name} is repeated by aliases into {total} values in all (at most {max_nodes}); "
            "write the shared part once, without aliases nested in aliases"
        ).format(
            name=name, total=decimal(sizes[id(root)], 0), max_nodes=decimal(inherit.MAX_NODES, 0)
        ),
    )


def _anchor_at(node: yaml.Node, text: str) -> tuple[str, str]:
    """Where an anchored node starts, and its anchor's name as the file writes it."""
    mark = node.start_mark
    anchor = re.match(r"&([^\s,\[\]{}]+)", text[mark.index :])
    name = _("the anchor &{anchor}").format(anchor=anchor[1]) if anchor else _("an anchor")
    return _position(mark), name


def _position(mark: Any) -> str:
    """Where in a YAML file (a PyYAML mark, counted from 0), as people count: from 1."""
    return _("line {line}, column {column}").format(line=mark.line + 1, column=mark.column + 1)


class _Cycle(Exception):
    def __init__(self, node: yaml.Node) -> None:
        self.node = node


def expanded_sizes(root: yaml.Node) -> tuple[dict[int, int], dict[int, int]]:
    """(values under each node, aliases counted as copies; how often each node is used), by
    ``id``. Each node is walked once, however often aliases repeat it: linear in the file.
    A node that holds itself (``&a [*a]``) raises :class:`_Cycle`."""
    sizes: dict[int, int] = {}
    uses: dict[int, int] = {id(root): 1}
    open_: set[int] = set()  # nodes whose children are being sized: the path from the root
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_sized = stack.pop()
        if children_sized:
            sizes[id(node)] = 1 + sum(sizes[id(child)] for child in _children(node))
            open_.discard(id(node))
        elif id(node) in open_:
            raise _Cycle(node)
        elif id(node) not in sizes:
            open_.add(id(node))
            stack.append((node, True))
            for child in _children(node):
                uses[id(child)] = uses.get(id(child), 0) + 1
                stack.append((child, False))
    return sizes, uses


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _nodes(root: yaml.Node) -> list[yaml.Node]:
    """Every distinct node of a document, each once."""
    seen = {id(root): root}
    stack = [root]
    while stack:
        for child in _children(stack.pop()):
            if id(child) not in seen:
                seen[id(child)] = child
                stack.append(child)
    return list(seen.values())


def bundled_scenarios() -> list[str]:
    """Names of the scenarios shipped with mrasim."""
    return sorted(p.stem for p in BUNDLED.glob("*.yaml"))


def resolve_scenario(path: str | Path) -> Path:
    """A scenario file: the path itself, or the bundled scenario of that name."""
    path = Path(path)
    if path.exists() or len(path.parts) != 1:
        return path
    bundled = BUNDLED / (path.name if path.suffix == ".yaml" else f"{path.name}.yaml")
    return bundled if bundled.is_file() else path


def expanded_yaml(scenario: Scenario) -> str:
    """The scenario as the simulator reads it: every port whole, defaults merged in.

    Fields left at their defaults are written too, except empty optional ones, so
    the text is complete and loads back to the same scenario.
    """
    data = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    if scenario.uncertainty:  # a layer's field, which the expanded text has not, by its ports
        data["uncertainty"] = expanded_block(scenario)
    return yaml.dump(data, Dumper=_CompactDumper, sort_keys=False, allow_unicode=True, width=100)


class _CompactDumper(yaml.SafeDumper):
    """Block style for sections, flow style (``[a, b]``, ``{k: v}``) for leaves, as people
    write scenarios."""


def _is_leaf(values: Iterable[Any]) -> bool:
    return all(not isinstance(v, dict | list) for v in values)


_CompactDumper.add_representer(
    list, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=_is_leaf(v))
)
_CompactDumper.add_representer(
    dict,
    lambda d, v: d.represent_mapping(
        "tag:yaml.org,2002:map", v.items(), flow_style=_is_leaf(v.values()) and len(v) <= 6
    ),
)


def _within(field: str, path: str) -> bool:
    """Whether dotted ``field`` is ``path`` or lies inside it."""
    return field == path or field.startswith((f"{path}.", f"{path}["))


SafeLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""PyYAML's safe loader, parsing with libyaml where PyYAML has it: the bundled regional
scenario loads in 0.020 s, against 0.127 s in pure Python (with the same marks in errors)."""


class _UniqueKeyLoader(SafeLoader):
    """A safe YAML loader that refuses a key given twice in one mapping.

    Plain YAML keeps the last value silently: a second ``callao:`` would replace
    the first port without a word.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"'{key}' is given twice in the same mapping", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def scenario_from_dict(data: dict[str, Any], source: str = "<scenario>") -> Scenario:
    """Validate a scenario given as plain data (as parsed from YAML).

    Ports first inherit their ``port_defaults`` (:mod:`sim.inherit`); an error in
    a field a port inherited names the port and the defaults it came from.
    """
    expanded = inherit.expand(data, source)
    try:
        try:
            scenario = Scenario.model_validate(expanded)
        except ValidationError as exc:
            error = _most_specific(expanded, exc.errors())
            raise InputError(
                source, _field_path(expanded, error), _problem(expanded, error)
            ) from None
        _check_references(scenario, source)
    except InputError as exc:
        origin = inherit.inherited_from(data, exc.field)
        if origin is None:
            raise
        raise InputError(
            source,
            exc.field,
            _("{problem} (inherited from {origin})").format(problem=exc.problem, origin=origin),
        ) from None
    scenario._raw = data  # its layers, as written: what uncertain inputs may address
    return scenario


def with_overrides(scenario: Scenario, changes: Mapping[str, Any]) -> Scenario:
    """A new, validated scenario with fields changed (:meth:`Scenario.with_overrides`)."""
    data = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    texts = []
    for path, value in changes.items():
        set_field(data, path, value, "with_overrides")
        texts.append(f"{path}={json.dumps(value)}")
    source = f"{scenario.origin.path or scenario.name} (with_overrides)"
    changed = scenario_from_dict(data, source)
    changed._origin = scenario.origin._replace(overrides=(*scenario.origin.overrides, *texts))
    changed._raw = _raw_with(scenario, changes)
    return changed


def _raw_with(scenario: Scenario, changes: Mapping[str, Any]) -> dict[str, Any]:
    """The scenario's data as written with the changes made: a port's changed field is set in
    the port (from a copy of what it inherited, where it inherited it), so that its layers
    still reach the ports that do not change."""
    raw = copy.deepcopy(scenario.raw_data())
    expanded = scenario.model_dump(mode="json", by_alias=True)
    for path, value in changes.items():
        put(raw, split(path), value, expanded)
    return raw


def drawn_scenario(data: dict[str, Any], like: Scenario) -> Scenario:
    """The scenario of one draw of ``like``'s uncertain inputs, from its data
    (:func:`sim.model.uncertain.drawn_data`), with ``like``'s origin."""
    source = f"{like.origin.path or like.name} (a draw of its uncertain inputs)"
    scenario = scenario_from_dict(data, source)
    scenario._origin = like.origin
    return scenario


def apply_override(data: dict[str, Any], override: str) -> str:
    """Apply one ``--set path.to.field=value`` (value parsed as YAML) to raw scenario data.

    Returns the path of what the override put in: the outermost section it had to
    create, else the field it set.
    """
    path, sep, raw = override.partition("=")
    if not sep or not path:
        raise InputError("--set", override, _("expected path.to.field=value"))
    try:
        value = yaml.safe_load(raw)
    except yaml.YAMLError:
        raise InputError(
            "--set", path, _("cannot parse the value '{raw}' as YAML").format(raw=raw)
        ) from None
    return set_field(data, path, value, "--set")


def set_field(data: dict[str, Any], path: str, value: Any, source: str) -> str:
    """Set the field at a dotted ``path`` of raw scenario data, creating sections on the way.

    Sections on the path are copied before they are changed: a YAML alias (``*port``)
    makes two places share one mapping, and an override of one must not change the other.
    Returns the outermost section created, else ``path``.
    """
    node: Any = data
    keys = path.split(".")
    created = None
    for depth, key in enumerate(keys[:-1]):
        child = node.get(key) if isinstance(node, dict) else None
        if child is None:
            child = {}
            created = created or ".".join(keys[: depth + 1])
        if not isinstance(child, dict):
            where = ".".join(keys[: depth + 1])
            raise InputError(
                source, path, _("'{where}' is a value, not a section").format(where=where)
            )
        child = node[key] = dict(child)
        node = child
    node[keys[-1]] = value
    return created or path


def _most_specific(data: Any, errors: list[Any]) -> Any:
    """The first error, or a deeper one inside the same field.

    For a union such as ``days: all | [mon, ...]`` pydantic reports each branch;
    ``days: [monday]`` should be blamed on ``days[0]``, not on "must be 'all'".
    """
    errors = _misspelling_first(errors)
    path = _field_path(data, errors[0])
    inside = [error for error in errors if _within(_field_path(data, error), path)]
    return max(inside, key=lambda error: len(_field_path(data, error)))


def _misspelling_first(errors: list[Any]) -> list[Any]:
    """A required field reported missing beside an unknown one that is its misspelling
    (``sevrers:`` for ``servers:``): blame the misspelling, which is what to fix."""
    for missing in errors:
        if missing["type"] != "missing":
            continue
        parent, name = tuple(missing["loc"][:-1]), str(missing["loc"][-1])
        for extra in errors:
            if (
                extra["type"] == "extra_forbidden"
                and tuple(extra["loc"][:-1]) == parent
                and difflib.get_close_matches(str(extra["loc"][-1]), [name], n=1)
            ):
                return [extra, *errors]
    return errors


def _field_path(data: Any, error: Mapping[str, Any]) -> str:
    """The user's field path of a pydantic error: union tags and key markers dropped."""
    loc = list(error["loc"])
    parts: list[str] = []
    node = data
    for i, key in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(node, dict) and key in node:
            parts.append(str(key))
            node = node[key]
        elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
            parts.append(f"[{key}]")
            node = node[key]
        elif last and error["type"] in ("missing", "extra_forbidden"):
            parts.append(str(key))
    if error["type"] == "union_tag_invalid":
        parts.append("dist")
    return ".".join(parts).replace(".[", "[")


def _problem(data: Any, error: Mapping[str, Any]) -> str:
    """A plain-words description of a pydantic error, with a hint where one helps."""
    if error["type"] == "extra_forbidden":
        known = _allowed_fields(data, error)
        return _("unknown field{hint}").format(hint=did_you_mean(error["loc"][-1], known))
    return validation_problem(error)


def _allowed_fields(data: Any, error: Mapping[str, Any]) -> list[str]:
    """Field names accepted where an unknown field was found, by walking the schema."""
    candidates: list[type[BaseModel]] = [Scenario]
    for key in list(error["loc"])[:-1]:
        inner = [
            model
            for candidate in candidates
            if key in candidate.model_fields
            for model in _models_in(candidate.model_fields[key].annotation)
        ]
        tagged = [candidate for candidate in candidates if _dist_tag(candidate) == key]
        # a key that is neither a field nor a union tag is a name (port, station): stay
        candidates = inner or tagged or candidates
    names: list[str] = []
    for model in candidates:
        names += [info.alias or name for name, info in model.model_fields.items()]
    return list(dict.fromkeys(names))


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The models inside an annotation such as ``dict[str, Port]`` or ``Station | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in get_args(annotation) for model in _models_in(arg)]


def _dist_tag(model: type[BaseModel]) -> Any:
    field = model.model_fields.get("dist")
    return get_args(field.annotation)[0] if field is not None else None
