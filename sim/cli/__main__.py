"""``python -m sim.cli``: the ``mrasim`` command."""

from __future__ import annotations

from sim.cli import entry

if __name__ == "__main__":
    entry()
