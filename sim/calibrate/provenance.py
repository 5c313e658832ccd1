"""The ``calibration:`` block: where a fitted scenario's values came from.

Fitted values are written with :data:`DIGITS` significant digits (their intervals
rounded outwards, so they still contain them), probabilities adjusted to sum to
one; the block lists every written number under its ``--set`` path (list items as
``path[i]``) with its interval and method, and says which file it was fitted to
(with its SHA-256), which template, when, by which command, with how many rows
used and excluded by reason, and how well the fit came out.
"""

from __future__ import annotations

import math
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, SupportsFloat

import numpy as np

from sim.calibrate.port import Estimate
from sim.model.schema import Calibration, FittedField

DIGITS = 4


def significant(value: float, digits: int = DIGITS, direction: int = 0) -> float:
    """``value`` to ``digits`` significant digits: nearest, or down (-1) or up (+1)."""
    if value == 0 or not math.isfinite(value):
        return float(value)
    scale = 10 ** (digits - 1 - math.floor(math.log10(abs(value))))
    scaled = value * scale
    whole = (
        round(scaled)
        if direction == 0
        else (math.floor if direction < 0 else math.ceil)(scaled - 1e-9 * direction)
    )
    return float(f"{whole / scale:.{digits}g}")


def rounded(estimate: Estimate) -> Estimate:
    """The estimate as written: rounded values, outward-rounded intervals, shares summing to 1."""
    value = _round(estimate.value, 0)
    if estimate.sums_to_one:
        value = _sum_to_one(value)
    low = _round(estimate.low, -1)
    high = _round(estimate.high, +1)
    low, high = _contain(value, low, min), _contain(value, high, max)
    return replace(estimate, value=value, low=low, high=high)


def _round(value: Any, direction: int) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, int | str):
        return value
    if isinstance(value, float):
        return significant(value, direction=direction)
    if isinstance(value, Mapping):
        return {k: _round(v, direction) for k, v in value.items()}
    if isinstance(value, Sequence):
        return [_round(v, direction) for v in value]
    return significant(float(value), direction=direction)


def _sum_to_one(shares: dict[str, float]) -> dict[str, float]:
    """Make rounded shares sum to one by adjusting the largest."""
    largest = max(shares, key=shares.__getitem__)
    rest = sum(v for k, v in shares.items() if k != largest)
    return {**shares, largest: round(1 - rest, 12)}


def _contain(value: Any, bound: Any, pick: Any) -> Any:
    """Widen a bound (elementwise) so that it contains the value."""
    if bound is None or isinstance(value, str):
        return bound
    if isinstance(value, Mapping):
        return {k: _contain(value.get(k), b, pick) for k, b in bound.items()}
    if isinstance(value, Sequence):
        return [_contain(v, b, pick) for v, b in zip(value, bound, strict=True)]
    return bound if value is None else pick(value, bound)


def number_text(value: object, missing: str = "-") -> str:
    """A fitted number as people read it: whole numbers with separators, 4 significant digits."""
    if value is None:
        return missing
    if isinstance(value, str):
        return value
    if isinstance(value, int | np.integer):
        return f"{value:,}"
    if not isinstance(value, SupportsFloat):
        raise TypeError(f"not a number: {value!r}")
    return f"{float(value):.4g}"


def fitted_fields(estimates: Iterable[Estimate]) -> list[FittedField]:
    """Every number written, one field per path (mappings as ``path.key``, lists ``path[i]``)."""
    fields = []
    for estimate in estimates:
        for path, value, low, high in _leaves(
            estimate.path, estimate.value, estimate.low, estimate.high
        ):
            interval = None if low is None or isinstance(value, str) else (low, high)
            fields.append(
                FittedField(path=path, value=value, interval=interval, method=estimate.method)
            )
    return fields


def _leaves(path: str, value: Any, low: Any, high: Any) -> Iterable[tuple[str, Any, Any, Any]]:
    if isinstance(value, Mapping):
        for key, inner in value.items():
            if key == "calendar":
                continue  # the template's, written back beside a fitted distribution
            yield from _leaves(f"{path}.{key}", inner, _get(low, key), _get(high, key))
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            yield from _leaves(f"{path}[{i}]", inner, _get(low, i), _get(high, i))
    else:
        yield path, value, low, high


def _get(bound: Any, key: Any) -> Any:
    if bound is None:
        return None
    if isinstance(bound, Mapping):
        return bound.get(key)
    if isinstance(bound, list):
        return bound[key]
    return bound


def command_for(
    template: object,
    out: object = "FITTED.yaml",
    *,
    records: object = None,
    targets: object = None,
    fits: Sequence[str] = (),
    holdout: float | None = None,
    replications: int = 10,
    seed: int | None = None,
    mapping: object = None,
) -> str:
    """The ``mrasim calibrate`` command that reproduces a calibration, quoted for a shell
    (the worker count is left out: it changes no number)."""
    parts = ["mrasim", "calibrate"]
    parts += [str(records)] if records is not None else ["--targets", str(targets)]
    if mapping is not None:
        parts += ["--mapping", str(mapping)]
    parts += ["--scenario", str(template)]
    for text in fits:
        parts += ["--fit", text]
    if holdout is not None:
        parts += ["--holdout", f"{holdout:g}"]
    parts += ["-n", str(replications)]
    if seed is not None:
        parts += ["--seed", str(seed)]
    parts += ["--out", str(out)]
    return shlex.join(parts)


def block(
    method: str,
    source: str,
    sha256: str,
    template: str,
    command: str,
    confidence: float,
    estimates: list[Estimate],
    statistics: Mapping[str, float],
    notes: Sequence[str],
    rows_used: int | None = None,
    rows_excluded: Mapping[str, int] | None = None,
) -> Calibration:
    """The validated ``calibration:`` entry of one run."""
    return Calibration(
        method=method,
        source=source,
        sha256=sha256,
        template=template,
        date=datetime.now(UTC).replace(microsecond=0).isoformat(),
        command=command,
        confidence=confidence,
        rows_used=rows_used,
        rows_excluded=dict(rows_excluded or {}),
        fields=fitted_fields(estimates),
        statistics={k: significant(float(v)) for k, v in statistics.items() if math.isfinite(v)},
        notes=list(notes),
    )
