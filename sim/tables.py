"""Plain-text tables for the terminal: labels left-aligned, numbers right-aligned."""

from __future__ import annotations

from collections.abc import Sequence


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]], label_columns: int) -> str:
    """Format rows of strings; the first ``label_columns`` columns are labels.

    A label equal to the one above it in the same column (and every column to its
    left) is left blank, as in a printed table.
    """
    widths = [
        max(len(str(h)), *(len(r[i]) for r in rows)) if rows else len(str(h))
        for i, h in enumerate(header)
    ]

    def line(cells: Sequence[str]) -> str:
        parts = [
            cell.ljust(width) if i < label_columns else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    out = [line(header), line(["-" * w for w in widths])]
    previous: Sequence[str] = ()
    for row in rows:
        shown = list(row)
        for i in range(label_columns):
            if previous and list(row[: i + 1]) == list(previous[: i + 1]):
                shown[i] = ""
        out.append(line(shown))
        previous = row
    return "\n".join(out)
