"""Any export, read as a table of text: CSV and TSV (plain or gzipped), Excel workbooks and
Parquet.

Text files are read with their encoding, separator and header line sniffed
(:mod:`.sniff`) unless the mapping gives them; every cell is kept as text, and only an
empty cell is missing (``NA`` is Namibia, ``N`` a no). Workbooks (``.xlsx``, ``.xlsm``,
``.xls``, ``.xlsb``, ``.ods``) are read with python-calamine: date cells arrive as dates,
others as the numbers or text they hold. Parquet keeps its own types. Whatever goes wrong
is one line naming the file and what to change.
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sim.errors import InputError
from sim.language import _
from sim.language.formats import decimal
from sim.records import sniff
from sim.records.mapping import Mapping

TEXT_SUFFIXES = (".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz", ".txt.gz")
SHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
PARQUET_SUFFIXES = (".parquet", ".pq")
SUFFIXES = (*TEXT_SUFFIXES, *SHEET_SUFFIXES, *PARQUET_SUFFIXES)


@dataclass
class Table:
    """A file's cells under its own column names, and how it was read (for the notes)."""

    source: str
    frame: pd.DataFrame
    how: dict[str, str] = field(default_factory=dict)  # encoding, sep, sheet, header_row
    blank_rows: int = 0
    header: list[str] = field(default_factory=list)  # every column name, read or not

    @property
    def names(self) -> list[str]:
        return self.header or [str(c) for c in self.frame.columns]


def read_table(path: Path, mapping: Mapping, wanted: Callable[[str], bool] | None = None) -> Table:
    """The file's cells; with ``wanted``, only the columns it accepts (by their names as the
    header writes them): an export of 80 columns is read as the 12 its mapping uses."""
    source = str(path)
    name = path.name.lower()
    if not name.endswith(SUFFIXES):
        kinds = "CSV, TSV or TXT (or gzipped), XLSX, XLS, ODS or Parquet"
        raise InputError(
            source,
            "",
            _("give a {kinds} file, not {suffix}").format(
                kinds=kinds, suffix=path.suffix or _("no suffix")
            ),
        )
    if not path.is_file():
        raise InputError(source, "", _("no such file") if not path.exists() else _("not a file"))
    try:
        if name.endswith(PARQUET_SUFFIXES):
            table = Table(source, pd.read_parquet(path), {"format": "Parquet"})
        elif name.endswith(SHEET_SUFFIXES):
            table = _workbook(path, mapping)
        else:
            table = _text(path, mapping, wanted)
    except InputError:
        raise
    except UnicodeDecodeError as exc:
        raise InputError(
            source,
            "",
            _(
                "not {encoding} text at byte {start} of a line: the file is cut short, or in "
                "another encoding (say which with 'encoding:' in the mapping, e.g. cp1252)"
            ).format(encoding=exc.encoding, start=decimal(exc.start, 0)),
        ) from None
    except MemoryError:
        raise
    except Exception as exc:  # any parser's failure is the file's problem, said in one line
        problem = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(
            source, "", _("cannot read the file ({problem})").format(problem=problem)
        ) from None
    return _tidy(table)


def _opener(path: Path):
    return gzip.open if path.name.lower().endswith(".gz") else open


def _text(path: Path, mapping: Mapping, wanted: Callable[[str], bool] | None = None) -> Table:
    data = sniff.sample(path, _opener(path))
    encoding = mapping.encoding or sniff.encoding(data)
    lines = data.decode(encoding, errors="replace").lstrip("\ufeff").splitlines()[:200]
    sep = mapping.sep or ("\t" if ".tsv" in path.name.lower() else sniff.separator(lines))
    if mapping.header_row is not None:
        header = mapping.header_row - 1
    else:
        header = sniff.header_line(list(csv.reader(lines[: sniff.HEADER_SEARCH], delimiter=sep)))
    header_names: list[str] = []
    frame = pd.read_csv(
        path,
        sep=sep,
        encoding=encoding,
        dtype=str,
        keep_default_na=False,
        na_values=[""],
        skiprows=header,
        skip_blank_lines=True,
        compression="gzip" if path.name.lower().endswith(".gz") else None,
        engine="c",
        on_bad_lines="error",
        usecols=None if wanted is None else lambda name: _seen(name, header_names, wanted),
    )
    how = {"encoding": encoding, "sep": sep, "header_row": str(header + 1)}
    return Table(str(path), frame, how, header=list(dict.fromkeys(header_names)))


def _seen(name: object, names: list[str], wanted: Callable[[str], bool]) -> bool:
    """usecols' test, noting every name of the header on the way."""
    clean = _clean(name)
    names.append(clean)
    return wanted(clean)


def _workbook(path: Path, mapping: Mapping) -> Table:
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    names = book.sheet_names
    key = mapping.sheet_key()
    if key is None:
        key = 0
    if isinstance(key, int) and not 0 <= key < len(names):
        raise InputError(
            str(path),
            "sheet",
            _("no sheet {number}; it has {names}").format(number=key + 1, names=_sheets(names)),
        )
    if isinstance(key, str) and key not in names:
        raise InputError(
            str(path),
            "sheet",
            _("no sheet {key!r}; it has {names}").format(key=key, names=_sheets(names)),
        )
    sheet = book.get_sheet_by_index(key) if isinstance(key, int) else book.get_sheet_by_name(key)
    rows = sheet.to_python(skip_empty_area=False)
    header = (
        mapping.header_row - 1
        if mapping.header_row is not None
        else sniff.header_line(
            [[str(c) if c is not None else "" for c in row] for row in rows[: sniff.HEADER_SEARCH]]
        )
    )
    if header >= len(rows):
        raise InputError(
            str(path), "sheet", _("sheet {name!r} has no header row").format(name=sheet.name)
        )
    names_row = [
        str(c).strip() if c not in (None, "") else f"column {i + 1}"
        for i, c in enumerate(rows[header])
    ]
    body = [row + [None] * (len(names_row) - len(row)) for row in rows[header + 1 :]]
    frame = pd.DataFrame(
        [row[: len(names_row)] for row in body], columns=_unique(names_row), dtype=object
    )
    frame = frame.map(lambda v: None if isinstance(v, str) and not v.strip() else v)
    how = {"sheet": sheet.name, "header_row": str(header + 1)}
    if len(names) > 1:
        how["sheets"] = ", ".join(names)
    return Table(str(path), frame, how)


def _sheets(names: list[str]) -> str:
    return ", ".join(f"{i + 1}: {n!r}" for i, n in enumerate(names)) or _("no sheet")


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}.{seen[name] - 1}")
    return out


def _clean(name: object) -> str:
    return str(name).strip().lstrip("\ufeff").strip()


def _tidy(table: Table) -> Table:
    """Column names stripped (of spaces and a byte-order mark), rows with no cell dropped."""
    frame = table.frame
    frame.columns = [_clean(c) for c in frame.columns]
    empty = frame.isna().all(axis=1) if len(frame.columns) else pd.Series(dtype=bool)
    if empty.any():
        frame = frame[~empty].reset_index(drop=True)
    return Table(table.source, frame, table.how, int(empty.sum()), table.header)


def describe_how(table: Table) -> str:
    """How the file was read, in words (for notes and ``inspect``)."""
    return ", ".join(f"{k} {v!r}" if k == "sep" else f"{k} {v}" for k, v in table.how.items())
