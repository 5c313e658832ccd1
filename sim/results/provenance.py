"""How a result was made, in every output: enough to make the same numbers again.

``run.json``, ``--json`` and the report's "about this run" carry the same record:
mrasim's version, each scenario file with its SHA-256 (so an edited file is seen
to differ), every override, the seed, the engine, the replications, the command
line and the date.
"""

from __future__ import annotations

import datetime
import platform
import shlex
from collections.abc import Sequence
from typing import Any

from sim._version import __version__
from sim.language import _
from sim.language.formats import day
from sim.model.schema import Scenario


def provenance_of(
    scenarios: Sequence[Scenario],
    *,
    seed: int,
    engine: str,
    replications: int,
    stop_reason: str = "",
    command: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The record of a run or comparison (JSON-ready).

    ``command`` is the command line as typed (None from the Python API).
    Scenarios that came from the same file with the same overrides (the arrangement
    variants of one file) are listed once.
    """
    files: list[dict[str, Any]] = []
    for scenario in scenarios:
        origin = scenario.origin
        entry = {
            "name": scenario.name,
            "path": origin.path,
            "sha256": origin.sha256,
            "overrides": list(origin.overrides),
        }
        if entry not in files:
            files.append(entry)
    overrides = list(dict.fromkeys(o for entry in files for o in entry["overrides"]))
    return {
        "mrasim_version": __version__,
        "scenario_files": files,
        "overrides": overrides,
        "seed": seed,
        "engine": engine,
        "replications": replications,
        "stop_reason": stop_reason,
        "command": shlex.join(command) if command is not None else None,
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
    }


def provenance_lines(record: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, text) pairs of a provenance record, as the report and the terminal show them."""
    files = record.get("scenario_files") or []
    shown = [
        f"{f.get('path') or f.get('name')} (SHA-256 {str(f.get('sha256') or 'not recorded')[:16]}…)"
        for f in files
    ]
    overrides = record.get("overrides") or []
    return [
        (_("mrasim version"), str(record.get("mrasim_version", ""))),
        (_("scenario files"), "; ".join(shown)),
        (_("overrides (--set)"), ", ".join(overrides) if overrides else _("none")),
        (_("seed"), str(record.get("seed", ""))),
        (_("engine"), str(record.get("engine", ""))),
        (_("replications"), str(record.get("replications", ""))),
        (_("stopping rule"), str(record.get("stop_reason", ""))),
        (_("command"), record.get("command") or _("the Python API")),
        (_("date (UTC)"), _shown_date(str(record.get("date", "")))),
    ]


def _shown_date(recorded: str) -> str:
    """A recorded ISO time as the language writes a date (``8 de diciembre de 2026, 02:01``);
    the record keeps the ISO text, and a text that is not one is shown as it is."""
    try:
        when = datetime.datetime.fromisoformat(recorded)
    except ValueError:
        return recorded
    return f"{day(when)}, {when:%H:%M}"
