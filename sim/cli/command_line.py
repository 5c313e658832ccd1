"""The ``mrasim`` command, once its modules are loaded (:mod:`sim.cli` loads them).

The language (``--lang``, else ``MRASIM_LANG``, else the locale: :func:`sim.language.choose`)
is found in the command line before argparse reads it, and the whole command runs inside
it, so that argparse's own words (``usage:``, ``unrecognized arguments``) and every help
text are said in it too (:mod:`sim.cli.argparse_text`).

Exit status: 0 success; 2 bad input (one line naming the file or option, the
field and the problem), including a run too big for the machine and a language mrasim
does not write; 130 after SIGINT (Ctrl-C) and 143 after SIGTERM, with every worker
stopped and nothing written; 1 anything else (a lost worker, a full disk: one line each).
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable, Sequence

from sim.cli import argparse_text, language_flag
from sim.cli.parser import build_parser
from sim.errors import InputError
from sim.language import _, choose, use
from sim.replicate.processes import Interrupted, WorkerLost, stop_on_signals
from sim.results.atomic import OutputError, all_or_nothing


def main(argv: Sequence[str] | None = None, decided: Callable[[], None] | None = None) -> int:
    """Run a command line; its exit status. ``decided`` is called once the status is
    known, while the command's own signal handlers are still in place."""
    typed = list(sys.argv[1:] if argv is None else argv)
    if not _without_language(typed):  # the question first: `mrasim` alone answers it
        typed = [*typed, "compare"]
    try:
        language = choose(language_flag(typed))
    except InputError as exc:
        if decided is not None:
            decided()
        return _fail(str(exc), 2)
    argparse_text.install()
    with use(language), stop_on_signals():
        try:
            return _main(build_parser(), typed)
        finally:
            if decided is not None:  # before our handlers go: a late signal changes nothing
                decided()


def _without_language(typed: list[str]) -> list[str]:
    """The command line less its ``--lang X`` and ``--lang=X``: ``mrasim --lang es`` alone
    answers the question too."""
    rest: list[str] = []
    skip = False
    for word in typed:
        if skip:
            skip = False
        elif word == "--lang":
            skip = True
        elif not word.startswith("--lang="):
            rest.append(word)
    return rest


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
    except OutputError as exc:
        return _fail(str(exc))
    except WorkerLost as exc:
        return _fail(_("{problem}; nothing written").format(problem=exc))
    except MemoryError as exc:
        where = " ".join(getattr(exc, "__notes__", []))
        problem = _("out of memory {where}: {error}; nothing written").format(
            where=where, error=exc
        )
        return _fail(problem.replace("  ", " "))


def _fail(message: str, status: int = 1) -> int:
    print(f"mrasim: {message}", file=sys.stderr)
    return status


def _interrupted(stop: Interrupted) -> str:
    """What an interrupt left: what it kept (an experiment's finished tasks), else nothing."""
    if stop.kept is not None:
        return _("interrupted: {kept}").format(kept=stop.kept)
    if stop.total is not None:
        return _("interrupted after {done} of {total} replications; nothing written").format(
            done=stop.done, total=stop.total
        )
    return _("interrupted; nothing written")
