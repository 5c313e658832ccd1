"""The result store: one Parquet file per finished task, and the manifest that owns them.

``DIR/manifest.json`` names the experiment (the digest of its file and its
scenario file, the design, the seed, the versions that computed it);
``DIR/tasks/<task id>.parquet`` holds one finished task: the kept rows' keys and
one float64 column per replication (``r0``, ``r1``, ...), exactly as the worker
computed them. Files are written under a temporary name and renamed, so a task
file is whole or absent, whatever stops the run. ``DIR/log.jsonl`` gets one
line per finished or interrupted invocation: how many tasks it computed and
how many it found already stored.
"""

from __future__ import annotations

import datetime
import json
import platform
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sim._version import __version__
from sim.errors import InputError
from sim.experiment.keys import ROW_KEYS
from sim.experiment.tasks import Task, TaskOutput
from sim.language import _
from sim.model import os_text
from sim.results.atomic import LEFTOVER, LOCK_FILE, OutputError, write_atomic, write_json

MANIFEST = "manifest.json"
KIND = "experiment"
TASKS = "tasks"
LOG = "log.jsonl"
OUTPUTS = (
    "results.csv",
    "results.parquet",
    "experiments.csv",
    "outcomes.csv",
    "sensitivity.csv",
    "main_effects.csv",
    "report.html",
    LOG,
)
"""Files of a finished experiment: removed by ``--fresh`` with the tasks."""
RECENT_VALUES = 32_000_000
"""Values (256 MB) of the tasks written by this run kept in memory for the final tables."""
SAME_NUMBERS = ("mrasim", "numpy", "numba")
"""Versions that decide the numbers: tasks computed under others are not mixed in."""


class StoreError(Exception):
    """The store cannot be written (a full disk, lost permissions)."""


def versions() -> dict[str, str]:
    import numba
    import numpy

    return {
        "mrasim": __version__,
        "numpy": numpy.__version__,
        "numba": numba.__version__,
        "python": platform.python_version(),
    }


class ResultStore:
    """A results folder: its manifest, finished tasks and log."""

    def __init__(self, folder: Path, manifest: dict[str, Any]) -> None:
        self.folder = folder
        self.manifest = manifest
        self.tasks_dir = folder / TASKS
        self._stored = {path.stem for path in self.tasks_dir.glob("*.parquet")}
        self._recent: dict[str, TaskOutput] = {}  # written by this run: no need to read back
        self._recent_values = 0

    @classmethod
    def open(cls, folder: Path, manifest: dict[str, Any], fresh: bool) -> ResultStore:
        """Open (or create) the folder for this manifest; refuse another experiment's folder."""
        _check_folder(folder)
        path = folder / MANIFEST
        if path.is_file():
            old = _read_manifest(path, manifest.get("kind", KIND))
            if fresh:
                _clear(folder)
            else:
                _refuse_other(folder, old, manifest)
                manifest = manifest | {"created": old.get("created", manifest["created"])}
        elif folder.is_dir() and any(p.name != LOCK_FILE for p in folder.iterdir()):
            raise InputError(
                "--out",
                str(folder),
                _("holds other files and no experiment manifest; give an empty or new folder"),
            )
        try:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / TASKS).mkdir(exist_ok=True)
            for leftover in (folder / TASKS).iterdir():  # a write cut short by a kill
                if LEFTOVER.match(leftover.name) or leftover.name.endswith(".tmp"):
                    leftover.unlink()
            write_json(manifest, path, at_once=True)  # owns the tasks: must outlive a stop
        except OSError as exc:
            raise InputError(
                "--out",
                str(folder),
                _("cannot write ({strerror})").format(strerror=os_text.reason(exc)),
            ) from None
        return cls(folder, manifest)

    def has(self, task: Task) -> bool:
        return task.id in self._stored

    def count_on_disk(self) -> int:
        """Finished task files in the folder (those of earlier runs included)."""
        return sum(1 for _ in self.tasks_dir.glob("*.parquet"))

    def write(self, task: Task, output: TaskOutput) -> None:
        """Store a finished task (temporary name, then rename)."""
        columns: dict[str, Any] = {
            name: [row[i] for row in output.rows] for i, name in enumerate(output.keys)
        }
        for column, replication in enumerate(range(task.first, task.last)):
            columns[f"r{replication}"] = pa.array(output.values[:, column], pa.float64())
        table = pa.table(columns)
        path = self.tasks_dir / f"{task.id}.parquet"
        try:
            write_atomic(path, lambda tmp: pq.write_table(table, tmp), at_once=True)
        except OutputError as exc:
            raise StoreError(
                _("cannot write {path} ({reason})").format(path=path, reason=exc.reason)
            ) from None
        self._stored.add(task.id)
        if self._recent_values + output.values.size <= RECENT_VALUES:
            self._recent[task.id] = output
            self._recent_values += output.values.size

    def read(self, task: Task) -> TaskOutput:
        """A stored task, exactly as computed (the very values written, if this run wrote it)."""
        if task.id in self._recent:
            return self._recent[task.id]
        path = self.tasks_dir / f"{task.id}.parquet"
        table = pq.ParquetFile(path).read()  # lighter than read_table's dataset discovery
        names = [f"r{r}" for r in range(task.first, task.last)]
        key_columns = tuple(table.column_names[: len(table.column_names) - len(names)])
        if table.column_names[len(key_columns) :] != names or key_columns[-len(ROW_KEYS) :] != (
            ROW_KEYS
        ):
            raise StoreError(
                _("{path} does not hold replications {first}-{last}").format(
                    path=path, first=task.first, last=task.last - 1
                )
            )
        keys = zip(*(table.column(name).to_pylist() for name in key_columns), strict=True)
        values = np.column_stack([table.column(name).to_numpy() for name in names])
        return TaskOutput(list(keys), values, key_columns)

    def log(self, entry: dict[str, Any]) -> None:
        """Append one line about this invocation (best effort: the tasks are what matters)."""
        try:
            with open(self.folder / LOG, "a", encoding="utf-8") as log:
                log.write(json.dumps(entry) + "\n")
        except OSError:
            pass


def now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def _check_folder(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise InputError("--out", str(folder), _("exists and is not a directory; give a directory"))


def _read_manifest(path: Path, kind: str = KIND) -> dict[str, Any]:
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(
            str(path), "", _("cannot be read ({exc}); use --fresh to start over").format(exc=exc)
        ) from None
    if not isinstance(manifest, dict) or manifest.get("kind") != kind:
        raise InputError(
            str(path), "kind", _("not an {kind} manifest; give another --out").format(kind=kind)
        )
    return manifest


def _other_results(old: dict[str, Any], new: dict[str, Any], changed: list[str]) -> str:
    """Whose results a folder holds, said whole: a different file, another study, or a trial
    run with other -n or --points."""
    if changed:
        return _(
            "holds results of a different {files} file; run with --fresh to start over, or give "
            "another --out"
        ).format(files=" + ".join(changed))
    if old.get("overrides", {}) != new.get("overrides", {}):
        trial = " ".join(f"{k}={v}" for k, v in old.get("overrides", {}).items())
        return _(
            "holds results of a run with other -n or --points ({trial}); run with --fresh to "
            "start over, or give another --out"
        ).format(trial=trial or _("the file's own"))
    if new.get("kind", KIND) == KIND:
        return _(
            "holds results of another experiment; run with --fresh to start over, or give "
            "another --out"
        )
    return _(
        "holds results of another study; run with --fresh to start over, or give another --out"
    )


def _refuse_other(folder: Path, old: dict[str, Any], new: dict[str, Any]) -> None:
    """Only the same files, computed by versions that give the same numbers, may resume."""
    if old.get("digest") != new["digest"]:
        changed = [
            name.removesuffix("_sha256")
            for name in ("experiment_sha256", "scenario_sha256")
            if name in new and old.get(name) != new[name]
        ]
        raise InputError("--out", str(folder), _other_results(old, new, changed))
    old_versions = old.get("versions", {})
    for name in SAME_NUMBERS:
        if old_versions.get(name) != new["versions"][name]:
            raise InputError(
                "--out",
                str(folder),
                _(
                    "holds tasks computed with {name} {old} (now {new}), which may differ in the "
                    "last digit; run with --fresh to start over, or give another --out"
                ).format(name=name, old=old_versions.get(name), new=new["versions"][name]),
            )


def _clear(folder: Path) -> None:
    """Remove what an experiment wrote (tasks, tables, report, log), and nothing else."""
    shutil.rmtree(folder / TASKS, ignore_errors=True)
    for name in (*OUTPUTS, MANIFEST):
        (folder / name).unlink(missing_ok=True)


def discard_store(folder: Path) -> None:
    """Undo the opening of a store that keeps no task (its manifest, empty tasks folder and
    log), so that a run stopped before its first task leaves the folder as it found it."""
    if not any((folder / TASKS).glob("*.parquet")):
        _clear(folder)


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """The manifest of an experiment folder, or None if the folder is not one."""
    path = folder / MANIFEST
    if not path.is_file():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) and manifest.get("kind") == KIND else None
