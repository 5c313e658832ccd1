"""The ``mrasim`` command: :func:`entry` is the console script, :func:`main` the command line.

Importing this package loads nothing else (``sim`` itself loads its modules when they
are first used), so the console script is in charge of Ctrl-C within milliseconds of
starting, not after the second or so that numpy, pandas and numba take to load: a
Ctrl-C while they load says the same line as any other (``mrasim: interrupted; nothing
written``, exit status 130) instead of a traceback from inside an import.

Exit status: 0 success; 2 bad input; 130 after SIGINT and 143 after SIGTERM; 1 anything
else (see :mod:`sim.cli.command_line`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Sequence

EARLY_STOP = {signal.SIGINT: 130, signal.SIGTERM: 143}
"""Signals that stop the command before it runs, and the exit status each gives."""
INTERRUPTED = b"mrasim: interrupted; nothing written\n"
"""The interrupt's line when it cannot be said in the command's language yet."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default: the process's); its exit status."""
    from sim.cli.command_line import main as command_line

    return command_line(argv)


def entry() -> None:
    """The console script: :func:`main`, stoppable from its first instant.

    Until the command takes over its signals (:func:`sim.replicate.processes.stop_on_signals`,
    once its modules are loaded), Ctrl-C or SIGTERM ends the process at once with the one
    line and the status of an interrupt: nothing has been written yet, and there is
    nothing to stop. Once the command has decided its exit status, a late signal changes
    nothing. After an interrupt the process leaves without tearing the interpreter down
    (numba's and pandas' modules take about a second to unload): workers are reaped and
    files closed by then.
    """
    for signum in EARLY_STOP:
        signal.signal(signum, _stop_now)
    from sim.cli.command_line import main as command_line

    status = command_line(None, decided=_decided)
    if status in EARLY_STOP.values():
        with contextlib.suppress(OSError, ValueError):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(status)
    raise SystemExit(status)


_done: list[bool] = []
"""Set once the command has decided its exit status: a signal then changes nothing."""


def _decided() -> None:
    _done.append(True)


def _stop_now(signum: int, frame: object) -> None:
    """Leave now, with the interrupt's one line: nothing is written before the command runs."""
    if _done:
        return
    with contextlib.suppress(OSError):
        os.write(2, _interrupted_line())
    os._exit(EARLY_STOP[signal.Signals(signum)])


def language_flag(typed: Sequence[str]) -> str | None:
    """The value of the last ``--lang X`` or ``--lang=X`` before any ``--``, else None.

    Read before argparse, which must already speak the language to say its own errors;
    a ``--lang`` with no value is left for argparse to refuse."""
    flag = None
    for i, word in enumerate(typed):
        if word == "--":
            break
        if word == "--lang" and i + 1 < len(typed):
            flag = typed[i + 1]
        elif word.startswith("--lang="):
            flag = word.removeprefix("--lang=")
    return flag


def _interrupted_line() -> bytes:
    """The interrupt's line in the command's language (:mod:`sim.language` is light; a
    catalog is read only for Spanish or Portuguese), else in English: a signal may arrive
    while that very module loads, or name a language mrasim does not write."""
    try:
        from sim.language import _, choose, use

        with use(choose(language_flag(sys.argv[1:]))):
            return f"mrasim: {_('interrupted; nothing written')}\n".encode()
    except Exception:
        return INTERRUPTED
