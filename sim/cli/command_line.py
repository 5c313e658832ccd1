"""The ``mrasim`` command, once its modules are loaded (:mod:`sim.cli` loads them).

Exit status: 0 success; 2 bad input (one line naming the file or option, the
field and the problem), including a run too big for the machine; 130 after
SIGINT (Ctrl-C) and 143 after SIGTERM, with every worker stopped and nothing
written; 1 anything else (a lost worker, a full disk: one line each).
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable, Sequence

from sim.cli.parser import build_parser
from sim.errors import InputError
from sim.replicate.processes import Interrupted, WorkerLost, stop_on_signals
from sim.results.atomic import OutputError, all_or_nothing


def main(argv: Sequence[str] | None = None, decided: Callable[[], None] | None = None) -> int:
    """Run a command line; its exit status. ``decided`` is called once the status is
    known, while the command's own signal handlers are still in place."""
    parser = build_parser()
    typed = list(sys.argv[1:] if argv is None else argv)
    if not typed:  # the question first: `mrasim` alone answers it
        typed = ["compare"]
    with stop_on_signals():
        try:
            return _main(parser, typed)
        finally:
            if decided is not None:  # before our handlers go: a late signal changes nothing
                decided()


def _main(parser: argparse.ArgumentParser, typed: list[str]) -> int:
    try:
        args = parser.parse_args(typed)
        args.command_line = ["mrasim", *typed]
        with all_or_nothing():  # a command's files appear together when it succeeds
            try:
                return args.handler(args)
            except BrokenPipeError:  # output piped into `head` and closed early: not an error
                sys.stderr.close()
                return 0
    except InputError as exc:
        return _fail(str(exc), 2)
    except Interrupted as stop:
        return _fail(_interrupted(stop), stop.exit_status)
    except KeyboardInterrupt:  # SIGINT before or after the handler was in place
        return _fail(_interrupted(Interrupted(signal.SIGINT)), 130)
    except (WorkerLost, OutputError) as exc:
        return _fail(str(exc) + ("" if isinstance(exc, OutputError) else "; nothing written"))
    except MemoryError as exc:
        where = " ".join(getattr(exc, "__notes__", []))
        return _fail(f"out of memory {where}: {exc}; nothing written".replace("  ", " "))


def _fail(message: str, status: int = 1) -> int:
    print(f"mrasim: {message}", file=sys.stderr)
    return status


def _interrupted(stop: Interrupted) -> str:
    """What an interrupt left: what it kept (an experiment's finished tasks), else nothing."""
    if stop.kept is not None:
        return f"interrupted: {stop.kept}"
    after = f" after {stop.done} of {stop.total} replications" if stop.total is not None else ""
    return f"interrupted{after}; nothing written"
