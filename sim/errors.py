"""The one error a user should ever see: bad input, said in one line.

Every check on user input (scenario files, ``--set`` overrides, command-line
values, data files) raises :class:`InputError`. The CLI prints it as a single
line ``<file>: <field path>: <problem>`` and exits with status 2, so that a
mistake in a 500-line scenario points at the line to fix rather than at a
traceback.
"""

from __future__ import annotations


class InputError(Exception):
    """Bad user input, located by its source (a file or option) and field path."""

    def __init__(self, source: str, field: str, problem: str) -> None:
        self.source = source
        self.field = field
        self.problem = problem
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ": ".join(part for part in (self.source, self.field) if part)
        text = f"{where}: {self.problem}" if where else self.problem
        # one line whatever the names in a file hold: line breaks are shown escaped
        return "\\n".join(text.splitlines())
