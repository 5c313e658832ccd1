"""The mapping file: how an administration's export becomes mrasim's records.

A YAML file, passed as ``--mapping FILE.yaml`` to every command that reads records and
drafted by ``mrasim records inspect``::

    encoding: cp1252            # how to read the file (each sniffed when not given)
    sep: ";"
    sheet: Declaraciones        # a workbook's sheet, by name or number from 1
    header_row: 1               # the line (or sheet row) that holds the column names
    dayfirst: true              # 07/12/2026 is 7 December (or date_format: "%d/%m/%Y %H:%M")
    timezone: America/Lima      # the zone of the times (naive ones are local there)
    columns:                    # the file's column -> mrasim's
      Aduana: port
      Canal: channel
      Fecha Llegada: arrival
    values:                     # per mrasim column: the file's value -> mrasim's
      channel: {VERDE: green, AMARILLO: yellow, ROJO: red}
    derive:                     # mrasim columns made from others
      country: {value: PER}
      group:
        rules:
          - {when: {OEA: S}, then: national_aeo}
        default: standard

Every scalar is read as text (so ``NO``, ``001`` and ``118`` stay what the file says), and
the file is validated like a scenario: an unknown key, a column the mapping names but the
file lacks, or a value map that leaves values unmapped is one line naming the mapping, the
key and the fix.
"""

from __future__ import annotations

import codecs
import re
import zoneinfo
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sim.errors import InputError
from sim.language import N_, _
from sim.model import os_text
from sim.model.pydantic_text import validation_problem
from sim.records.columns import CATEGORIES, FLAGS, KNOWN, is_record_column

DERIVABLE_NOTE = N_("a constant (value:), columns joined (join:) or rules (rules:, default:)")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Rule(_Strict):
    """``when`` every named column holds one of the given values, the column is ``then``."""

    when: dict[str, list[str]]
    then: str

    @field_validator("when", mode="before")
    @classmethod
    def _listed(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: v if isinstance(v, list) else [v] for k, v in value.items()}
        return value


class Derive(_Strict):
    """One mrasim column made from others: a constant, columns joined, or rules in order."""

    value: str | None = None
    join: list[str] | None = None
    rules: list[Rule] | None = None
    default: str | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Derive:
        kinds = [k for k in ("value", "join", "rules") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError(
                _("give exactly one of value, join or rules ({derivable_note})").format(
                    derivable_note=_(DERIVABLE_NOTE)
                )
            )
        if self.default is not None and self.rules is None:
            raise ValueError(_("default goes with rules"))
        return self


class Mapping(_Strict):
    """A mapping file, validated (see the module docstring)."""

    encoding: str | None = None
    sep: str | None = None
    sheet: str | None = None
    header_row: int | None = Field(default=None, ge=1)
    dayfirst: bool | None = None
    date_format: str | None = None
    timezone: str | None = None
    numeric_times: str | None = None
    columns: dict[str, str] = {}
    values: dict[str, dict[str, str | None]] = {}
    derive: dict[str, Derive] = {}
    source: str = Field(default="", exclude=True)

    @field_validator("encoding")
    @classmethod
    def _codec(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                codecs.lookup(value)
            except LookupError:
                raise ValueError(
                    _("unknown encoding {value!r} (e.g. utf-8, cp1252)").format(value=value)
                ) from None
        return value

    @field_validator("sep")
    @classmethod
    def _separator(cls, value: str | None) -> str | None:
        if value is not None:
            value = {"\\t": "\t", "tab": "\t"}.get(value, value)
            if len(value) != 1:
                raise ValueError(
                    _("a separator is one character (';', ',', '|', tab), not {value!r}").format(
                        value=value
                    )
                )
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"UTC[+-]\d{2}:\d{2}", value):
            try:
                zoneinfo.ZoneInfo(value)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                raise ValueError(
                    _(
                        "unknown time zone {value!r}; give an IANA name (America/Lima) or UTC-05:00"
                    ).format(value=value)
                ) from None
        return value

    @field_validator("date_format")
    @classmethod
    def _format(cls, value: str | None) -> str | None:
        if value is not None and "%" not in value:
            raise ValueError(
                _("{value!r} has no % directive (e.g. '%d/%m/%Y %H:%M')").format(value=value)
            )
        return value

    @field_validator("numeric_times")
    @classmethod
    def _numeric(cls, value: str | None) -> str | None:
        if value is not None and value not in ("hours", "excel_days"):
            raise ValueError(_("numbers as times are hours (from Monday 00:00) or excel_days"))
        return value

    @field_validator("columns")
    @classmethod
    def _targets(cls, value: dict[str, str]) -> dict[str, str]:
        for source, target in value.items():
            if not is_record_column(target):
                raise ValueError(f"{source!r} -> {target!r}: {_not_a_column(target)}")
        targets = list(value.values())
        twice = sorted({t for t in targets if targets.count(t) > 1})
        if twice:
            raise ValueError(
                _("two columns map to {twice}; keep one (or derive it)").format(twice=twice[0])
            )
        return value

    @field_validator("values")
    @classmethod
    def _value_maps(cls, value: dict[str, dict[str, str | None]]) -> dict[str, dict]:
        for column, mapping in value.items():
            if column not in (*CATEGORIES, "port"):
                raise ValueError(
                    _("{column}: values are mapped for {columns}").format(
                        column=column, columns=", ".join(_mappable())
                    )
                )
            allowed = CATEGORIES.get(column)
            for key, target in mapping.items():
                if allowed is not None and target is not None and target not in allowed:
                    said = _not_allowed(column, allowed).format(
                        column=column, key=key, target=target, choices=", ".join(allowed)
                    )
                    raise ValueError(said)
        return value

    @field_validator("derive")
    @classmethod
    def _derived(cls, value: dict[str, Derive]) -> dict[str, Derive]:
        for target in value:
            if not is_record_column(target):
                raise ValueError(f"{target}: {_not_a_column(target)}")
        return value

    @model_validator(mode="after")
    def _dates(self) -> Mapping:
        if self.dayfirst is not None and self.date_format is not None:
            raise ValueError(_("give dayfirst or date_format, not both"))
        both = set(self.columns.values()) & set(self.derive)
        if both:
            raise ValueError(
                _("{both} is both mapped from a column and derived").format(both=sorted(both)[0])
            )
        return self

    def sheet_key(self) -> str | int | None:
        """The sheet as calamine wants it: a number from 0, or a name."""
        if self.sheet is not None and self.sheet.isdigit():
            return int(self.sheet) - 1
        return self.sheet


EMPTY = Mapping()
"""No mapping: the file's columns are mrasim's already (``mrasim run --records``)."""


def _mappable() -> list[str]:
    return [*CATEGORIES, "port"]


def _not_allowed(column: str, allowed: tuple[str, ...] | frozenset[str]) -> str:
    """What a value map may not map to, for ``column``: a template of ``{column}``,
    ``{key}``, ``{target}`` and ``{choices}``."""
    if column == "origin":
        return _("{column}.{key}: {target!r} is not an ISO 3166 alpha-3 code or OTHER")
    if column == "country":
        return _("{column}.{key}: {target!r} is not an ISO 3166 alpha-3 code")
    if column in FLAGS:
        return _("{column}.{key}: {target!r} is not true or false")
    return _("{column}.{key}: {target!r} is not one of {choices}")


def _not_a_column(target: str) -> str:
    return _("not a record column; use one of {columns} or <station>_start, <station>_end").format(
        columns=", ".join(KNOWN)
    )


# --- loading ----------------------------------------------------------------------------


class _TextLoader(yaml.SafeLoader):
    """YAML with every scalar as text (``NO`` stays ``NO``, ``007`` stays ``007``); ``~`` and
    ``null`` are null; a key given twice is an error."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                mark = key_node.start_mark
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} given twice (line {mark.line + 1})", mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_TextLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag == "tag:yaml.org,2002:null"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_mapping(path: Path | str | None) -> Mapping:
    """Read and validate a mapping file (no path: :data:`EMPTY`)."""
    if path is None:
        return EMPTY
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(
            source,
            "",
            _("cannot read the mapping ({strerror})").format(strerror=os_text.reason(exc)),
        ) from None
    except UnicodeDecodeError:
        raise InputError(source, "", _("a mapping file is UTF-8 text")) from None
    try:
        data = yaml.load(text, Loader=_TextLoader) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = _("line {line}").format(line=mark.line + 1) if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(
            source, where, _("invalid YAML: {problem}").format(problem=problem)
        ) from None
    if not isinstance(data, dict):
        raise InputError(source, "", _("a mapping file holds keys (columns:, values:, ...)"))
    return mapping_from_dict(data, source)


def mapping_from_dict(data: dict[str, Any], source: str = "<mapping>") -> Mapping:
    todo = _todo(_as_text_keys(data), "")
    if todo is not None:
        raise InputError(source, todo, _("still TODO (the draft could not decide it); replace it"))
    try:
        mapping = Mapping.model_validate(_as_text_keys(data))
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        problem = validation_problem(error)
        if error["type"] == "extra_forbidden":
            keys = ", ".join(_top_keys(error["loc"]))
            problem = _("unknown key; the keys are {keys}").format(keys=keys)
        raise InputError(source, where, problem) from None
    return mapping.model_copy(update={"source": source})


def _todo(data: Any, path: str) -> str | None:
    """The path of the first value left ``TODO`` in a draft, if any."""
    if isinstance(data, dict):
        items = list(data.items())
    elif isinstance(data, list):
        items = [(str(i + 1), v) for i, v in enumerate(data)]
    else:
        return path if data == "TODO" else None
    for key, value in items:
        found = _todo(value, f"{path}.{key}" if path else str(key))
        if found is not None:
            return found
    return None


def _top_keys(loc: tuple[Any, ...]) -> list[str]:
    model: type[BaseModel] = Mapping
    if len(loc) > 2 and loc[0] == "derive":
        model = Rule if "rules" in loc else Derive
    return [k for k in model.model_fields if k != "source"]


def _as_text_keys(data: Any) -> Any:
    """Keys as text, nested (a number-looking key stays the text it was)."""
    if isinstance(data, dict):
        return {("" if k is None else str(k)): _as_text_keys(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_as_text_keys(v) for v in data]
    return data
