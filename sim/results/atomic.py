"""Writing results: atomically (temporary name, then rename), as CSV, Parquet and JSON,
one writer per folder.

A command's output files are written all or nothing: inside :func:`all_or_nothing`
every file goes to a temporary name and all are renamed together at the end,
with SIGINT and SIGTERM held off for those few renames. An interrupt, a full
disk or an error leaves the folder as it was (minus nothing, plus nothing): a
folder the command created for its output is removed again.

One process writes into a folder at a time: :func:`claim_folder` takes a lock
(``.mrasim.lock``, an flock through :mod:`filelock`, so a killed holder's lock is
free at once) before anything looks at what the folder holds, and keeps it until the
last rename. Whoever holds it removes the temporary files a killed run left behind;
they are recognised by their names (:data:`LEFTOVER`), which nothing else uses.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import math
import os
import re
import tempfile
import time
from collections.abc import Callable, Hashable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from filelock import FileLock, Timeout

from sim.errors import InputError
from sim.language import _
from sim.model import os_text
from sim.replicate.processes import uninterruptible

LOCK_FILE = ".mrasim.lock"
"""The lock of a folder being written, holding the writer's PID while it is held."""
TEMPORARY_SUFFIX = ".mrasim-tmp"
LEFTOVER = re.compile(r"^\..+\.[a-z0-9_]{8}" + re.escape(TEMPORARY_SUFFIX) + "$")
"""A temporary file's name (``.summary.csv.k2j4x8qz.mrasim-tmp``): what a run killed before its
rename leaves behind, removed by the next run that holds the folder."""


class OutputError(Exception):
    """A result file could not be written (full disk, file size limit, permissions)."""

    def __init__(self, path: Path, exc: OSError) -> None:
        self.path = path
        self.reason = os_text.reason(exc)  # "No space left on device", as the user reads it
        super().__init__(
            _("cannot write {path}: {reason}; nothing written").format(
                path=path, reason=self.reason
            )
        )


class FolderClaim:
    """This process's hold on a folder it writes into: the lock, and the folders it created
    (to be removed again if the command leaves nothing in them)."""

    def __init__(self, folder: Path, lock: FileLock, created: list[Path]) -> None:
        self.folder = folder
        self.created = created  # outermost first
        self._lock = lock

    def release(self, kept: bool) -> None:
        """Unlock (the lock file goes first, so a waiter takes a fresh one); unless ``kept``,
        remove the folders this claim created that are left empty."""
        _held.pop(_key(self.folder), None)
        (self.folder / LOCK_FILE).unlink(missing_ok=True)
        self._lock.release(force=True)
        if not kept:
            _remove_empty(self.created)


_held: dict[str, FolderClaim] = {}
"""Folders this process holds, by resolved path: a second claim of one is the first."""


def claim_folder(
    folder: Path, flag: str = "--out", wait: Callable[[str], None] | None = None
) -> FolderClaim:
    """Create ``folder`` if need be, lock it for this process, remove a killed run's leftovers.

    Another process holding it is refused in one line naming its PID, or, with
    ``wait``, waited for (``wait`` is given a line to show first; Ctrl-C stops the
    wait). Inside :func:`all_or_nothing` the claim ends after the last rename, or
    with the discard (a folder created here and left empty goes too); outside, the
    caller releases it.
    """
    held = _held.get(_key(folder))
    if held is not None:
        return held
    if folder.exists() and not folder.is_dir():
        raise InputError(flag, str(folder), _("exists and is not a directory; give a directory"))
    created: list[Path] = []
    lock = FileLock(folder / LOCK_FILE, on_acquired=_write_pid)
    claim = FolderClaim(folder, lock, created)
    try:
        _lock(lock, folder, flag, wait, created)
        _remove_leftovers(folder)
    except BaseException as exc:
        if lock.is_locked:
            claim.release(kept=False)
        else:  # another's lock may be in it: it stays, and so does its folder
            _remove_empty(created)
        if isinstance(exc, OSError):
            problem = _("cannot write there ({error}); choose another folder").format(
                error=os_text.reason(exc)
            )
            raise InputError(flag, str(folder), problem) from None
        raise
    _held[_key(folder)] = claim
    batch = _batch.get()
    if batch is not None:
        batch.claims.append(claim)
    return claim


@contextlib.contextmanager
def writing_into(
    folder: Path, flag: str = "--out", wait: Callable[[str], None] | None = None
) -> Iterator[FolderClaim]:
    """:func:`claim_folder` for the length of a block (or, inside :func:`all_or_nothing`,
    until its renames): a no-op in a folder this process holds already."""
    held = _held.get(_key(folder))
    claim = claim_folder(folder, flag, wait)
    if held is not None or _batch.get() is not None:
        yield claim
        return
    try:
        yield claim
    except BaseException:
        claim.release(kept=False)
        raise
    claim.release(kept=True)


def _lock(
    lock: FileLock,
    folder: Path,
    flag: str,
    wait: Callable[[str], None] | None,
    created: list[Path],
) -> None:
    """Take the folder's lock, making the folder first (again, if the holder removed it)."""
    told = False
    while True:
        created += _make_folders(folder)
        try:
            lock.acquire(timeout=0 if wait is None or not told else -1)
            return
        except FileNotFoundError:  # the holder removed the folder it had created: make it again
            continue
        except Timeout:
            holder = _holder(folder)
            if wait is None:
                raise InputError(
                    flag,
                    str(folder),
                    _(
                        "another mrasim (PID {holder}) is writing into it; wait for it to finish, "
                        "or choose another folder"
                    ).format(holder=holder),
                ) from None
            wait(f"waiting for another mrasim (PID {holder}), which is writing into {folder}")
            told = True


def _make_folders(folder: Path) -> list[Path]:
    """Create ``folder`` and missing parents; the ones created, outermost first."""
    missing = [folder, *folder.parents]
    missing = [path for path in missing if not path.exists()][::-1]
    folder.mkdir(parents=True, exist_ok=True)
    return missing


def _remove_empty(created: list[Path]) -> None:
    """Remove the folders made for a claim that failed, deepest first, while empty."""
    for folder in reversed(created):
        try:
            folder.rmdir()
        except OSError:
            break


def _write_pid(fd: int) -> None:
    """Say who holds the lock, in the lock file (read by whoever is refused)."""
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)


def _holder(folder: Path) -> str:
    """The PID written in a held lock (the holder writes it just after locking)."""
    for _attempt in range(20):
        try:
            text = (folder / LOCK_FILE).read_text().strip()
        except OSError:
            text = ""
        if text.isdigit():
            return text
        time.sleep(0.01)
    return "unknown"


def _key(folder: Path) -> str:
    return os.path.realpath(folder)


def _remove_leftovers(folder: Path) -> None:
    """Temporary files of a run killed before its renames (SIGKILL, a power cut)."""
    for path in folder.iterdir():
        if LEFTOVER.match(path.name) and path.is_file():
            path.unlink(missing_ok=True)


class _Batch:
    """Files written to temporary names, to be renamed together (and stale ones removed);
    the folders claimed for them, released after the renames."""

    def __init__(self) -> None:
        self.pending: list[tuple[Path, Path]] = []  # (temporary, final)
        self.stale: list[Path] = []
        self.claims: list[FolderClaim] = []

    def commit(self) -> None:
        with uninterruptible(then_ignore=True):
            written = {final for _, final in self.pending}
            for path in self.stale:
                if path not in written:
                    path.unlink(missing_ok=True)
            for tmp, final in self.pending:
                os.replace(tmp, final)
            self.pending.clear()
            self._release(kept=True)

    def discard(self) -> None:
        for tmp, _path in self.pending:
            tmp.unlink(missing_ok=True)
        self.pending.clear()
        self._release(kept=False)

    def _release(self, kept: bool) -> None:
        while self.claims:
            self.claims.pop().release(kept)


_batch: contextvars.ContextVar[_Batch | None] = contextvars.ContextVar("batch", default=None)


@contextlib.contextmanager
def all_or_nothing() -> Iterator[None]:
    """Defer every rename of :func:`write_atomic` to the end of the block; on error, delete."""
    batch = _Batch()
    token = _batch.set(batch)
    try:
        yield
        batch.commit()
    except BaseException:
        batch.discard()
        raise
    finally:
        _batch.reset(token)


def replace_on_success(paths: Sequence[Path]) -> None:
    """Files of an earlier run that this one supersedes: those it does not write again are
    removed when its own files arrive (inside :func:`all_or_nothing`), so that a folder
    never mixes two runs' results."""
    batch = _batch.get()
    if batch is not None:
        batch.stale.extend(paths)


def write_atomic(path: Path, write: Callable[[Path], object], at_once: bool = False) -> None:
    """Call ``write`` on a temporary file next to ``path``, then rename it into place.

    A crash or an error leaves either the old file or no file, never half of one.
    Inside :func:`all_or_nothing` the rename waits for the end of the block, unless
    ``at_once``: a file that records progress (an experiment's finished task, its
    manifest) must survive the stop of the command that writes it.
    """
    tmp = _temporary(path)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it private; results are meant to share
        _finish(tmp, path, at_once)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(path, exc) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _temporary(path: Path) -> Path:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=TEMPORARY_SUFFIX
        )
    except OSError as exc:
        raise OutputError(path, exc) from None
    os.close(fd)
    return Path(tmp)


def _finish(tmp: Path, path: Path, at_once: bool = False) -> None:
    batch = _batch.get()
    if batch is None or at_once:
        os.replace(tmp, path)
    else:
        batch.pending.append((tmp, path))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_frame(frame: pd.DataFrame, path: Path) -> None:
    """Write a table as CSV or Parquet, by the file's suffix."""
    if path.suffix == ".parquet":
        write_atomic(path, lambda tmp: frame.to_parquet(tmp, index=False))
    else:
        write_atomic(path, lambda tmp: frame.to_csv(tmp, index=False))


def write_json(data: Any, path: Path, at_once: bool = False) -> None:
    write_atomic(path, lambda tmp: tmp.write_text(json.dumps(data, indent=2) + "\n"), at_once)


class ParquetStream:
    """A Parquet file written one table at a time (a row group each), so memory stays flat.

    Use as a context manager and call :meth:`write` with frames of the same
    columns; the file appears under its name only when the block ends without
    error (and, inside :func:`all_or_nothing`, only with the other files).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows = 0
        self._tmp: Path | None = None
        self._writer: Any = None

    def __enter__(self) -> ParquetStream:
        self._tmp = _temporary(self.path)
        return self

    def write(self, frame: pd.DataFrame) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        assert self._tmp is not None
        table = pa.Table.from_pandas(frame, preserve_index=False)
        try:
            if self._writer is None:
                self._writer = pq.ParquetWriter(self._tmp, table.schema)
            elif not table.schema.equals(self._writer.schema):
                table = table.cast(self._writer.schema)  # e.g. a column all null in this part
            self._writer.write_table(table)
        except OSError as exc:
            raise OutputError(self.path, exc) from None
        self.rows += len(frame)

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        assert self._tmp is not None
        try:
            if self._writer is not None:
                self._writer.close()
            if kind is None:
                os.chmod(self._tmp, 0o666 & ~_umask())
                _finish(self._tmp, self.path)
                return
        except OSError as exc:
            self._tmp.unlink(missing_ok=True)
            raise OutputError(self.path, exc) from None
        self._tmp.unlink(missing_ok=True)


def records_of(frame: pd.DataFrame) -> list[dict[Hashable, Any]]:
    """Rows as JSON-ready dicts: NaN and missing levels become null."""
    rows = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
    for row in rows:
        for key, value in row.items():
            if isinstance(value, float) and not math.isfinite(value):
                row[key] = None
    return rows
