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


def fit_table(
    header: Sequence[str], rows: Sequence[Sequence[str]], label_columns: int, width: int
) -> str:
    """:func:`text_table` within ``width`` columns: when the table is wider, its value columns
    are wrapped into blocks, each printed under the same labels, one block after another."""
    whole = text_table(header, rows, label_columns)
    if max(len(line) for line in whole.splitlines()) <= width:
        return whole
    widths = [
        max(len(str(h)), *(len(r[i]) for r in rows)) if rows else len(str(h))
        for i, h in enumerate(header)
    ]
    used = sum(widths[:label_columns]) + 2 * label_columns
    blocks: list[list[int]] = [[]]
    taken = used
    for i in range(label_columns, len(header)):
        if blocks[-1] and taken + widths[i] > width:
            blocks.append([])
            taken = used
        blocks[-1].append(i)
        taken += widths[i] + 2
    labels = list(range(label_columns))
    parts = []
    for block in blocks:
        columns = labels + block
        parts.append(
            text_table(
                [header[i] for i in columns],
                [[row[i] for i in columns] for row in rows],
                label_columns,
            )
        )
    return "\n\n".join(parts)


def terminal_width(limit: int = 100) -> int:
    """Columns to fill: the terminal's (or ``COLUMNS``), at most ``limit``; ``limit`` when the
    output is not a terminal."""
    import shutil

    return max(40, min(shutil.get_terminal_size((limit, 24)).columns, limit))
