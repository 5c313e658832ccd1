"""Writing results: atomically (temporary name, then rename), as CSV, Parquet and JSON.

A command's output files are written all or nothing: inside :func:`all_or_nothing`
every file goes to a temporary name and all are renamed together at the end,
with SIGINT and SIGTERM held off for those few renames. An interrupt, a full
disk or an error leaves the folder as it was (minus nothing, plus nothing).
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import math
import os
import tempfile
from collections.abc import Callable, Hashable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sim.replicate.processes import uninterruptible


class OutputError(Exception):
    """A result file could not be written (full disk, file size limit, permissions)."""

    def __init__(self, path: Path, exc: OSError) -> None:
        self.path = path
        self.reason = exc.strerror or str(exc)  # "No space left on device"
        super().__init__(f"cannot write {path}: {self.reason}; nothing written")


class _Batch:
    """Files written to temporary names, to be renamed together (and stale ones removed)."""

    def __init__(self) -> None:
        self.pending: list[tuple[Path, Path]] = []  # (temporary, final)
        self.stale: list[Path] = []

    def commit(self) -> None:
        with uninterruptible(then_ignore=True):
            written = {final for _, final in self.pending}
            for path in self.stale:
                if path not in written:
                    path.unlink(missing_ok=True)
            for tmp, final in self.pending:
                os.replace(tmp, final)
            self.pending.clear()

    def discard(self) -> None:
        for tmp, _ in self.pending:
            tmp.unlink(missing_ok=True)
        self.pending.clear()


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
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
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
