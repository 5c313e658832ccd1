"""argparse's own words (``usage:``, ``unrecognized arguments``, ...) in mrasim's language.

Python's argparse says its messages through the module globals ``_`` and ``ngettext``
(``from gettext import gettext as _, ngettext``), looked up each time a message is
written. :func:`install` points them at mrasim's catalogs, so a parser built and run
inside :func:`sim.language.use` speaks the active language; in English the messages are
argparse's own. It changes the ``argparse`` module for the whole process: harmless,
since any other parser in the process then also speaks the active language, and the
catalogs hold argparse's exact English texts.

:data:`MESSAGES` lists the messages a user can meet (the developer's errors, such as
a conflicting option string, stay English), marked so that the catalog check extracts
them and keeps their translations complete; their ``%`` placeholders are argparse's,
and each translation keeps them as they are.
"""

from __future__ import annotations

import argparse

from sim.language import N_, _, ngettext

MESSAGES = (
    N_("usage: "),
    N_("positional arguments"),
    N_("options"),
    N_("subcommands"),
    N_("show this help message and exit"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("unknown parser %(parser_name)r (choices: %(choices)s)"),
    N_("unrecognized arguments: %s"),
    N_("not allowed with argument %s"),
    N_("ignored explicit argument %r"),
    N_("the following arguments are required: %s"),
    N_("one of the arguments %s is required"),
    N_("expected one argument"),
    N_("expected at most one argument"),
    N_("expected at least one argument"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("unexpected option string: %s"),
    N_("invalid %(type)s value: %(value)r"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("%(prog)s: error: %(message)s\n"),
    N_("can't open '%(filename)s': %(error)s"),
)
"""argparse's messages a user can meet, exactly as Python 3.11 writes them."""


def counted(n: int) -> str:
    """argparse's one message whose form depends on a count (``nargs=N``), for ``n``: it
    is here, said through :func:`ngettext`, so that the catalogs hold its plural forms."""
    return ngettext("expected %s argument", "expected %s arguments", n)


def install() -> None:
    """Make argparse say its messages through mrasim's catalogs (idempotent)."""
    argparse._ = _  # type: ignore[attr-defined]
    argparse.ngettext = ngettext  # type: ignore[attr-defined]
