"""What a text export does not say about itself: its encoding, separator and header line.

Exports come from Spanish- and Portuguese-locale systems and spreadsheets: Windows-1252 or
Latin-1 as often as UTF-8 (with or without a byte-order mark), ``;`` where the decimal mark
is a comma, tabs from "save as text", and a title line or two above the header. Each is
guessed from a sample of the file (its start, middle and end, so a 2-million-row file is
not read twice), and a mapping file's ``encoding``, ``sep`` and ``header_row`` overrule the
guess.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

from charset_normalizer import from_bytes

SEPARATORS = (",", ";", "\t", "|")
SAMPLE_BYTES = 1 << 19
HEADER_SEARCH = 20
"""Lines searched for the header (title lines above it are skipped)."""


def sample(path: Path, opener=open) -> bytes:
    """The start, middle and end of the file: what the guesses read."""
    with opener(path, "rb") as handle:
        head = handle.read(SAMPLE_BYTES)
        if len(head) < SAMPLE_BYTES:
            return head
        rest = []
        try:
            size = handle.seek(0, io.SEEK_END)
            for at in (size // 2, max(size - SAMPLE_BYTES, SAMPLE_BYTES)):
                handle.seek(at)
                rest.append(handle.read(SAMPLE_BYTES))
        except (OSError, io.UnsupportedOperation):  # a compressed stream: its start only
            pass
    return head + b"\n" + b"\n".join(rest)


def encoding(data: bytes) -> str:
    """The text encoding of ``data``: UTF-8 (``utf-8-sig`` with a byte-order mark) when it
    decodes as such, else Windows-1252 when it decodes as such (charset-normalizer may find
    a Central European code page equally likely for Spanish text: the bytes of á, é, ñ are
    the same, those of ¿ and ¡ are not), else what charset-normalizer finds (UTF-16, say)."""
    if data.startswith(codecs_bom()):
        return "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(data) - 4:  # a sample cut inside a character
            return "utf-8"
    try:  # what a Spanish- or Portuguese-locale spreadsheet saves, whatever else it resembles
        data.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        best = from_bytes(data[: 1 << 16]).best()
        return best.encoding if best is not None else "latin-1"


def codecs_bom() -> bytes:
    return b"\xef\xbb\xbf"


def separator(lines: list[str]) -> str:
    """The separator that splits the sample's lines into the same number of fields, most
    often and into the most fields (quoted fields respected)."""
    best, score = ",", (0, 0)
    for sep in SEPARATORS:
        counts = [len(row) for row in csv.reader(lines, delimiter=sep) if any(row)]
        if not counts:
            continue
        fields, agree = Counter(counts).most_common(1)[0]
        if fields > 1 and (agree, fields) > score:
            best, score = sep, (agree, fields)
    return best


def header_line(rows: list[list[str]]) -> int:
    """The row (from 0) of the header: the first with as many filled cells as the rows below
    it have cells, skipping title lines and blank lines above a table."""
    widths = [sum(1 for cell in row if str(cell).strip()) for row in rows[:HEADER_SEARCH]]
    if not widths:
        return 0
    usual = Counter(w for w in widths if w).most_common(1)
    target = usual[0][0] if usual else 0
    for i, width in enumerate(widths):
        if width >= target and width > 1:
            return i
    return 0
