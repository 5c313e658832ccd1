"""Writing a fitted scenario: the analyst's template with fitted values put in, comments kept.

A template carries the analyst's comments: citations of published sources,
assumptions and their reasons. The fitted scenario is the template file itself,
read and written with ``ruamel.yaml``'s round trip (the one YAML library that
keeps comments), with each fitted value set at its path: the structure
(``port_defaults``, ``mode_defaults``, the order of keys) stays as the analyst wrote
it. A comment beside a fitted value is kept after ``fitted (calibration):``, so
that a citation is not lost and the reader sees that the value is no longer the
one it was written for. The ``calibration:`` list gets this run's entry, replacing
an earlier one of the same method and source (a refit) or added after the others.
"""

from __future__ import annotations

import difflib
import io
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from sim.errors import InputError
from sim.language import _
from sim.model.schema import Calibration
from sim.results.atomic import write_atomic

FITTED = "fitted (calibration)"
BLOCK_COMMENT = (
    "Provenance of fitted values, written by `mrasim calibrate`: which data, which command,\n"
    "each fitted field with its interval, and how well the fit came out."
)


def _yaml() -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold a long line: comments and flow mappings stay on theirs
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def load_document(path: Path) -> CommentedMap:
    """The template as a round-trip document (comments and layout kept)."""
    try:
        document = _yaml().load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, YAMLError) as exc:
        raise InputError(
            str(path), "", _("cannot read the template ({exc})").format(exc=exc)
        ) from None
    if not isinstance(document, CommentedMap):
        raise InputError(str(path), "", _("the template must hold a YAML mapping"))
    return document


def set_value(document: CommentedMap, path: str, value: Any) -> None:
    """Put ``value`` at a dotted path, creating sections as needed; mark it as fitted."""
    keys = path.split(".")
    node = document
    chain = []
    for key in keys[:-1]:
        child = node.get(key)
        if not isinstance(child, CommentedMap):
            child = CommentedMap()
            node[key] = child
        chain.append((node, key))
        node = child
    node[keys[-1]] = _node(value)
    chain.append((node, keys[-1]))
    # the comment goes beside the innermost key of a block mapping (not inside {...})
    parent, key = next((n, k) for n, k in reversed(chain) if not n.fa.flow_style())
    _mark(parent, key)


def set_plain(data: dict[str, Any], path: str, value: Any) -> None:
    """The same on plain data (as ``yaml.safe_load`` gives): for validating before writing."""
    keys = path.split(".")
    node = data
    for key in keys[:-1]:
        if not isinstance(node.get(key), dict):
            node[key] = {}
        node = node[key]
    node[keys[-1]] = value


def _node(value: Any) -> Any:
    """Plain data as ruamel nodes: leaf mappings and lists in flow style, as people write them."""
    if isinstance(value, Mapping):
        mapping = CommentedMap((k, _node(v)) for k, v in value.items())
        if all(not isinstance(v, Mapping | list) for v in value.values()):
            mapping.fa.set_flow_style()
        return mapping
    if isinstance(value, list | tuple):
        sequence = CommentedSeq(_node(v) for v in value)
        if all(not isinstance(v, Mapping | list | tuple) for v in value):
            sequence.fa.set_flow_style()
        return sequence
    return value


def _mark(parent: CommentedMap, key: str) -> None:
    """``# fitted (calibration)``, keeping what the comment beside the value said."""
    items = parent.ca.items.get(key)
    token = items[2] if items and len(items) > 2 else None
    if token is None:
        parent.yaml_add_eol_comment(FITTED, key)
        return
    text = token.value.strip()
    old = text.lstrip("#").strip()
    if old.startswith(FITTED):
        old = old[len(FITTED) :].lstrip(";: ").removeprefix("was:").strip()
    note = f"{FITTED}; was: {old}" if old else FITTED
    trailing = token.value[len(token.value.rstrip()) :]
    token.value = f"# {note}{trailing or chr(10)}"


def add_calibration(document: CommentedMap, entry: Calibration) -> None:
    """Add this run's entry to ``calibration:`` (replacing a refit of the same source)."""
    data = entry.model_dump(mode="json")
    fields = CommentedSeq(
        _flow({k: v for k, v in f.items() if v not in (None, "")}) for f in data.pop("fields")
    )
    statistics = _block(CommentedMap(data.pop("statistics")))
    notes = _block(CommentedSeq(data.pop("notes")))
    if data["rows_used"] is None:
        data.pop("rows_used")
    node = CommentedMap((k, _node(v)) for k, v in data.items())
    node["rows_excluded"] = _flow(data["rows_excluded"], keep_empty=True)
    node["fields"] = fields
    node["statistics"] = statistics
    node["notes"] = notes
    entries = document.get("calibration")
    if not isinstance(entries, CommentedSeq):
        entries = CommentedSeq()
        document["calibration"] = entries
        document.yaml_set_comment_before_after_key("calibration", before=BLOCK_COMMENT)
    same = [
        i
        for i, old in enumerate(entries)
        if isinstance(old, Mapping)
        and old.get("method") == entry.method
        and old.get("source") == entry.source
    ]
    if same:
        entries[same[0]] = node
    else:
        entries.append(node)


def _block(node: Any) -> Any:
    if len(node):
        node.fa.set_block_style()
    return node


def _flow(mapping: Mapping[str, Any], keep_empty: bool = False) -> CommentedMap:
    node = CommentedMap((k, _node(v)) for k, v in mapping.items())
    if mapping or keep_empty:
        node.fa.set_flow_style()
    return node


def dump(document: CommentedMap, original: str | None = None) -> str:
    """The document as YAML; with the template's ``original`` text, every line whose
    content did not change is kept exactly as the analyst wrote it (ruamel keeps comments
    but not the spaces that align values), and a changed value keeps its key's alignment."""
    buffer = io.StringIO()
    _yaml().dump(document, buffer)
    text = buffer.getvalue()
    return text if original is None else _keep_layout(original, text)


def _keep_layout(original: str, new: str) -> str:
    old_lines, new_lines = original.splitlines(), new.splitlines()
    matcher = difflib.SequenceMatcher(
        None, [_content(x) for x in old_lines], [_content(x) for x in new_lines], autojunk=False
    )
    out: list[str] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        old_block = " ".join(_content(x) for x in old_lines[i1:i2])
        if tag == "equal" or old_block == " ".join(_content(x) for x in new_lines[j1:j2]):
            out += old_lines[i1:i2]  # unchanged, or only folded differently: the template's
        elif tag == "replace" and i2 - i1 == j2 - j1:
            out += [_realign(a, b) for a, b in zip(old_lines[i1:i2], new_lines[j1:j2], strict=True)]
        else:
            out += new_lines[j1:j2]
    return "\n".join(out) + "\n"


def _content(line: str) -> str:
    """A line without its layout: runs of blanks as one."""
    return " ".join(line.split())


_KEY = re.compile(r"^(\s*(?:- )?[^\s:#][^:#]*:)(\s*)")


def _realign(old: str, new: str) -> str:
    """The new line with the old one's spacing between its key and its value."""
    a, b = _KEY.match(old), _KEY.match(new)
    if a is None or b is None or a.group(1) != b.group(1):
        return new
    return a.group(0) + new[b.end() :]


def write_text(text: str, path: Path) -> None:
    """Write atomically: the old file or the whole new one, never half of it."""
    write_atomic(Path(path), lambda tmp: tmp.write_text(text, encoding="utf-8"))
