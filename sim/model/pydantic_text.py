"""Pydantic's errors said in the active language, for every file mrasim validates.

Pydantic writes its messages in English only; :func:`validation_problem` says one of its
errors (an item of ``ValidationError.errors()``) by the error's kind instead, through the
catalogs, so that a scenario, a mapping, an experiment or a targets file is refused in the
user's language. The field is named by the caller, as written in the file.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any

from sim.language import N_, _

PYDANTIC = {
    "missing": N_("required field is missing"),
    "union_tag_invalid": N_("unknown distribution '{tag}'; use one of {expected_tags}"),
    "union_tag_not_found": N_("a distribution needs 'dist' (exponential, lognormal, gamma, ...)"),
    "literal_error": N_("'{input}' is not allowed; use one of {expected}"),
    "enum": N_("'{input}' is not allowed; use one of {expected}"),
    "greater_than": N_("Input should be greater than {gt}"),
    "greater_than_equal": N_("Input should be greater than or equal to {ge}"),
    "less_than": N_("Input should be less than {lt}"),
    "less_than_equal": N_("Input should be less than or equal to {le}"),
    "multiple_of": N_("Input should be a multiple of {multiple_of}"),
    "finite_number": N_("Input should be a finite number"),
    "float_parsing": N_("Input should be a valid number, unable to parse string as a number"),
    "float_type": N_("Input should be a valid number"),
    "int_parsing": N_("Input should be a valid integer, unable to parse string as an integer"),
    "int_type": N_("Input should be a valid integer"),
    "int_from_float": N_("Input should be a valid integer, got a number with a fractional part"),
    "string_type": N_("Input should be a valid string"),
    "bool_parsing": N_("Input should be a valid boolean, unable to interpret input"),
    "bool_type": N_("Input should be a valid boolean"),
    "dict_type": N_("Input should be a valid dictionary"),
    "model_type": N_("Input should be a valid dictionary or instance of {class_name}"),
    "list_type": N_("Input should be a valid list"),
    "tuple_type": N_("Input should be a valid tuple"),
    "too_short": N_("Input should have at least {min_length} items, not {actual_length}"),
    "too_long": N_("Input should have at most {max_length} items, not {actual_length}"),
    "string_too_short": N_("String should have at least {min_length} characters"),
    "string_too_long": N_("String should have at most {max_length} characters"),
}
"""What each kind of pydantic error says, by its ``type``, with its ``ctx`` (and the
``input`` and, for a distribution, its ``tag``) as placeholders. Pydantic's own messages are
English only: these are the same words (ours where they help more), so that the catalogs
can translate them. A kind not listed here (pydantic has a hundred) is said in pydantic's
English message, in every language: still one line naming the field."""


def validation_problem(error: Mapping[str, Any]) -> str:
    """A pydantic error (one of ``ValidationError.errors()``) said in the active language:
    by its ``type`` (:data:`PYDANTIC`), a validator's own text (said when it was raised), or
    pydantic's English message for a kind not listed; the value given follows when short."""
    kind, message = error["type"], error["msg"]
    if kind in PYDANTIC:
        return _pydantic_problem(PYDANTIC[kind], error)
    if kind in ("value_error", "assertion_error"):
        message = str(error.get("ctx", {}).get("error", message))
    if _short(error.get("input")):
        return _("{problem} (got {value})").format(problem=message, value=repr(error["input"]))
    return message


def _pydantic_problem(template: str, error: Mapping[str, Any]) -> str:
    """A :data:`PYDANTIC` template said with the error's details; the value given, when
    short, said after it (as pydantic's own messages are)."""
    given = error.get("input")
    tag = given.get("dist") if isinstance(given, dict) else None
    details = {key: _listed(value) for key, value in error.get("ctx", {}).items()}
    problem = _(template).format(**{**details, "input": given, "tag": tag})
    if "{input}" in template or error["type"] == "missing" or not _short(given):
        return problem
    return _("{problem} (got {value})").format(problem=problem, value=repr(given))


def _listed(value: Any) -> Any:
    """Pydantic's list of choices (``'sea', 'air' or 'land'``: English) as a plain list,
    ``'sea', 'air', 'land'``, in every language; any other detail as it is."""
    if not isinstance(value, str) or not value.startswith("'"):
        return value
    choices = re.findall(r"'((?:[^'\\]|\\.)*)'", value)
    return ", ".join(f"'{choice}'" for choice in choices) if choices else value


def _short(value: Any) -> bool:
    return isinstance(value, int | float | str | bool) and len(repr(value)) <= 40


def did_you_mean(name: Any, options: list[str]) -> str:
    """'; did you mean ...?' for the option closest to ``name``, else the options allowed."""
    close = difflib.get_close_matches(str(name), options, n=1)
    if close:
        return _("; did you mean '{name}'?").format(name=close[0])
    return _("; allowed: {names}").format(names=", ".join(options)) if options else ""
