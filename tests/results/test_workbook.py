"""``answer.xlsx``: the answer and the tables by level in a workbook an analyst opens, read back
with openpyxl; every headline is the very number of ``comparison.csv``."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from helpers import area_row, small_region

import sim.cli

FAST = ["-w", "1", "-q", "-n", "3"]
HORIZON_DAYS = 5


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A comparison of Peru (two ports) and Chile, with --out."""
    work = tmp_path_factory.mktemp("workbook")
    out = work / "out"
    scenario = small_region(work, HORIZON_DAYS)
    assert sim.cli.main(["compare", str(scenario), *FAST, "--out", str(out)]) == 0
    return out


SAME = {"rel": 1e-15}
"""A workbook cell holds 16 significant figures of the CSV's 17 (openpyxl writes ``%.16g``;
Excel itself keeps 15): the same number."""


def sheet_rows(path: Path, name: str) -> list[tuple]:
    """A sheet's rows, each as long as the widest (read-only mode trims empty cells)."""
    book = openpyxl.load_workbook(path, read_only=True)
    rows = list(book[name].iter_rows(values_only=True))
    book.close()
    width = max(map(len, rows))
    return [tuple(row) + (None,) * (width - len(row)) for row in rows]


def table_of(rows: list[tuple], header_starts: str) -> pd.DataFrame:
    """The table of a sheet whose header row begins with ``header_starts``."""
    start = next(i for i, row in enumerate(rows) if row and row[0] == header_starts)
    header = rows[start]
    body = []
    for row in rows[start + 1 :]:
        if row[0] is None:
            break
        body.append(row)
    names = [f"{h}#{i}" if header.count(h) > 1 else h for i, h in enumerate(header)]
    return pd.DataFrame(body, columns=names)


def test_the_workbook_holds_the_answer_the_levels_the_assumptions_and_provenance(
    folder: Path,
) -> None:
    book = openpyxl.load_workbook(folder / "answer.xlsx", read_only=True)
    assert book.sheetnames == [
        "answer",
        "country",
        "country-mode",
        "port",
        "assumptions",
        "provenance",
    ]
    book.close()


def test_the_answer_sheet_holds_the_numbers_of_comparison_csv(folder: Path) -> None:
    table = pd.read_csv(folder / "comparison.csv")
    rows = sheet_rows(folder / "answer.xlsx", "answer")
    assert rows[0][0] == "The answer" and rows[1][0].startswith("With the arrangement in force")
    answer = table_of(rows, "country")
    assert answer["country"].tolist() == ["Chile", "Peru", "Region"]
    for _, row in answer.iterrows():
        code = "all" if row["level"] == "region" else row["ISO code"]

        def cell(
            metric: str, group: str = "eligible", kind: str = "difference", code: str = code
        ) -> pd.Series:
            return area_row(
                table, kind=kind, scenario="with", country=code, group=group, metric=metric
            )

        change = cell("clearance_h_mean")
        values = row.tolist()
        heading = "change in clearance time (h), eligible shipments"
        at = answer.columns.get_loc(heading)
        assert values[at : at + 3] == pytest.approx(
            [change["mean"], change["ci_low"], change["ci_high"]], **SAME
        )
        baseline = area_row(
            table,
            kind="value",
            scenario="without",
            country=code,
            group="eligible",
            metric="clearance_h_mean",
        )
        relative = row["relative change in clearance time (%), eligible shipments"]
        assert relative == pytest.approx(100 * change["mean"] / baseline["mean"], rel=1e-12)
        green = row["change in green share (percentage points), eligible shipments"]
        assert green == pytest.approx(100 * cell("green_share")["mean"], rel=1e-12)
        cost = cell("delay_cost_usd_1.3pct", group="all")["mean"]
        shipments = cell("shipments", group="all", kind="value")["mean"]
        saved = row["cost of delay saved a year (USD), all shipments"]
        assert saved == pytest.approx(-cost * shipments / HORIZON_DAYS * 365, rel=1e-12)
        assert row["annualised from (days simulated)"] == HORIZON_DAYS
        assert row["cost-of-delay rate per day (assumed)"] == pytest.approx(0.013)
    notes = " ".join(str(r[0]) for r in rows[-3:] if r and r[0])
    assert f"annualised from {HORIZON_DAYS} days" in notes and "assumed 1.3%" in notes


@pytest.mark.parametrize(
    ("sheet", "where"),
    [
        ("country", {"country": "PER"}),
        ("country", {"country": "all"}),
        ("country-mode", {"country": "PER", "mode": "road"}),
        ("port", {"country": "PER", "mode": "road", "port": "tacna"}),
    ],
)
def test_each_level_sheet_is_wide_with_intervals_in_their_own_columns(
    folder: Path, sheet: str, where: dict[str, str]
) -> None:
    table = pd.read_csv(folder / "comparison.csv")
    rows = sheet_rows(folder / "answer.xlsx", sheet)
    header = rows[0]
    code = "" if where["country"] == "all" else where["country"]
    found = [
        dict(zip(header, row, strict=True))
        for row in rows[1:]
        if (row[1] or "") == code
        and row[header.index("metric")] == "clearance_h_mean"
        and row[header.index("group")] == "eligible"
        and all(row[header.index(k)] == v for k, v in where.items() if k in ("mode", "port"))
        and ("station" not in header or row[header.index("station")] in (None, ""))
    ]
    assert len(found) == 1, found
    (row,) = found
    for column, kind, scenario in (
        ("without", "value", "without"),
        ("with", "value", "with"),
        ("with − without", "difference", "with"),
    ):
        source = area_row(
            table,
            kind=kind,
            scenario=scenario,
            group="eligible",
            metric="clearance_h_mean",
            **where,
        )
        assert row[column] == pytest.approx(source["mean"], **SAME)
        assert row[f"{column}, 95% low"] == pytest.approx(source["ci_low"], **SAME)
        assert row[f"{column}, 95% high"] == pytest.approx(source["ci_high"], **SAME)
    assert row["indicator"] == "clearance time, mean (h)"


def test_the_port_sheet_holds_the_stations(folder: Path) -> None:
    rows = sheet_rows(folder / "answer.xlsx", "port")
    header = rows[0]
    stations = {row[header.index("station")] for row in rows[1:]}
    assert {"documentary", "physical"} <= stations
    names = [row[0] for row in rows[1:]]
    assert names == sorted(names, key=lambda name: name == "Region"), "by name"


def test_a_national_brief_workbook_holds_its_country_only(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert sim.cli.main(["report", str(folder), "--xlsx", "--country", "peru"]) == 0
    printed = capsys.readouterr().out
    assert f"workbook written to {folder / 'answer-PER.xlsx'}" in printed
    for sheet in ("answer", "country", "port"):
        names = {row[0] for row in sheet_rows(folder / "answer-PER.xlsx", sheet)}
        assert "Peru" in names and "Chile" not in names and "Region" not in names
    assumptions = " ".join(
        str(row[1]) for row in sheet_rows(folder / "answer-PER.xlsx", "assumptions")
    )
    assert "in Peru" in assumptions and "every country" not in assumptions


def test_report_xlsx_rewrites_the_folders_workbook(folder: Path) -> None:
    before = sheet_rows(folder / "answer.xlsx", "country")
    (folder / "answer.xlsx").unlink()
    assert sim.cli.main(["report", str(folder), "--xlsx", "-q"]) == 0
    assert sheet_rows(folder / "answer.xlsx", "country") == before


def test_a_run_gets_headlines_instead_of_an_answer(tmp_path: Path) -> None:
    scenario = small_region(tmp_path, HORIZON_DAYS)
    out = tmp_path / "run"
    assert sim.cli.main(["run", str(scenario), *FAST, "--out", str(out)]) == 0
    book = openpyxl.load_workbook(out / "answer.xlsx", read_only=True)
    assert book.sheetnames[0] == "headlines"
    rows = list(book["headlines"].iter_rows(values_only=True))
    book.close()
    assert [row[0] for row in rows[2:]] == ["Chile", "Peru", "Region"]
    summary = pd.read_csv(out / "summary.csv")
    peru = area_row(summary, country="PER", group="all", metric="clearance_h_mean")
    header = rows[1]
    at = header.index("clearance time, mean (h)")
    assert rows[3][at] == pytest.approx(peru["mean"], **SAME)


def test_the_workbook_speaks_the_analyst_s_language(folder: Path, tmp_path: Path) -> None:
    """The same record written in Spanish: sheet titles, headings and names in Spanish, the
    very numbers of the English workbook (a workbook is for people; CSV keys stay English)."""
    from sim.language import use
    from sim.results.workbook import write_workbook

    results = sim.read_results(folder)
    with use("es"):
        path = write_workbook(results, tmp_path / "respuesta.xlsx")
    book = openpyxl.load_workbook(path, read_only=True)
    assert book.sheetnames == [
        "respuesta",
        "país",
        "país-modo",
        "puerto",
        "supuestos",
        "procedencia",
    ]
    book.close()
    spanish = table_of(sheet_rows(path, "respuesta"), "país")
    english = table_of(sheet_rows(folder / "answer.xlsx", "answer"), "country")
    assert spanish["país"].tolist() == ["Chile", "Perú", "Región"]
    assert spanish.iloc[:, 5:].equals(english.iloc[:, 5:].set_axis(spanish.columns[5:], axis=1))
    assert (
        "código ISO" in spanish.columns
        and "cambio en el tiempo de despacho (h), envíos elegibles" in spanish.columns
    )
