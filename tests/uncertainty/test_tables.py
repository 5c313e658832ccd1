"""The workbook's level sheets and the report's long tables over uncertain inputs: each effect
with its plausible range and input share, the numbers of ``uncertainty.csv``; without them,
both say their intervals count simulation noise only."""

from __future__ import annotations

import html
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import sim.cli

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "one-office.yaml"
SHORT = ["--set", "horizon_days=5", "--set", "warmup_days=1", "-w", "2", "-q"]
STUDY = [
    "--uncertainty",
    "8",
    "-n",
    "3",
    "--vary",
    "arrangement.utilisation=[0.1,0.8]",
    "--vary",
    "countries.PER.ports.callao.stations.documentary.service_h.mean=x[0.8,1.25]",
]
SAME = {"rel": 1e-15}


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A study and a plain comparison, each with its workbook and report."""
    work = tmp_path_factory.mktemp("tables")
    found = {}
    for name, extra in (("study", STUDY), ("plain", ["-n", "3"])):
        out = work / name
        args = ["compare", str(SCENARIO), *SHORT, *extra, "--out", str(out)]
        assert sim.cli.main(args) == 0
        assert sim.cli.main(["report", str(out), "-q"]) == 0
        found[name] = out
    return found


def level_rows(folder: Path, sheet: str) -> tuple[list[str], list[tuple]]:
    book = openpyxl.load_workbook(folder / "answer.xlsx", read_only=True)
    rows = list(book[sheet].iter_rows(values_only=True))
    book.close()
    return list(rows[0]), rows[1:]


def study_row(folder: Path, kind: str, scenario: str, **where: str) -> pd.Series:
    table = pd.read_csv(folder / "uncertainty.csv")
    chosen = (table.kind == kind) & (table.scenario == scenario) & table.station.isna()
    for key, value in where.items():
        chosen &= table[key] == value
    (index,) = table.index[chosen]
    return table.loc[index]


@pytest.mark.parametrize(
    ("column", "kind", "scenario"),
    [
        ("without", "value", "without"),
        ("with − without", "difference", "with"),
        ("with vs without (%)", "relative", "with"),
    ],
)
def test_a_level_sheet_holds_each_ranges_numbers(
    folders: dict[str, Path], column: str, kind: str, scenario: str
) -> None:
    header, rows = level_rows(folders["study"], "country-mode")
    at = {name: i for i, name in enumerate(header)}
    (row,) = [
        r
        for r in rows
        if r[at["ISO code"]] == "PER"
        and r[at["mode"]] == "sea"
        and r[at["group"]] == "eligible"
        and r[at["metric"]] == "clearance_h_mean"
    ]
    source = study_row(
        folders["study"],
        kind,
        scenario,
        country="PER",
        mode="sea",
        port="all",
        group="eligible",
        metric="clearance_h_mean",
    )
    for suffix, name in (
        ("plausible low", "plausible_low"),
        ("plausible high", "plausible_high"),
        ("input share of variance", "input_share"),
    ):
        assert row[at[f"{column}, {suffix}"]] == pytest.approx(source[name], **SAME)
    assert header.index(f"{column}, plausible low") == header.index(f"{column}, 95% high") + 1


def test_sheets_say_what_their_intervals_count(folders: dict[str, Path]) -> None:
    for name, words in (
        ("study", "the ± intervals count simulation noise only"),
        ("plain", "Intervals count simulation noise only"),
    ):
        book = openpyxl.load_workbook(folders[name] / "answer.xlsx")
        header = [cell.value for cell in book["port"][1]]
        comment = book["port"].cell(1, header.index("with − without, 95% low") + 1).comment
        assert comment is not None and words in comment.text
        provenance = {row[0]: row[1] for row in book["provenance"].iter_rows(values_only=True)}
        assert words in provenance["intervals"]
        assert any("plausible" in str(h) for h in header) == (name == "study")


def test_the_reports_long_tables_show_each_changes_range(folders: dict[str, Path]) -> None:
    page = html.unescape((folders["study"] / "report.html").read_text())
    table = page[page.index('<h2 id="indicators">') :]
    table = table[: table.index("</table>")]
    header = re.findall(r"<th>(.*?)</th>", table)
    assert header[-2:] == ["with − without: plausible range", "with − without: inputs' share"]
    group, found = "", []
    for row in re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[1]):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
        group = cells[0] or group  # a label that repeats the row above is left blank
        if group.startswith("eligible") and cells[1].startswith("clearance time, mean"):
            found.append(cells)
    (cells,) = found
    assert len(cells) == len(header)
    source = study_row(
        folders["study"],
        "difference",
        "with",
        country="PER",
        mode="all",
        port="all",
        group="eligible",
        metric="clearance_h_mean",
    )
    low, high = (float(x) for x in re.findall(r"[-+]?\d+(?:\.\d+)?", cells[-2]))
    assert low == pytest.approx(source.plausible_low, rel=0.06, abs=0.01)
    assert high == pytest.approx(source.plausible_high, rel=0.06, abs=0.01)
    assert cells[-1] == f"{100 * source.input_share:.0f}%"
    assert "In the tables below, the plausible range of each effect" in page


def test_a_plain_reports_tables_say_they_count_noise_only(folders: dict[str, Path]) -> None:
    page = html.unescape((folders["plain"] / "report.html").read_text())
    paragraph = re.search(r'<p class="intervals">(.*?)</p>', page, re.S)
    assert paragraph is not None
    assert paragraph.group(1).startswith("Intervals count simulation noise only")
    assert "plausible range</th>" not in page
