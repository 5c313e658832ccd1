"""A national brief through the command line: the question first, a country by code or name
on every command, the country carried from ``compare --out`` into ``run.json`` and ``report``,
rows sorted by the name shown, one unit per column, and every yearly number annualised aloud.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from helpers import area_row

import sim.cli.parser
from sim.interpret.answer import Answer, CountryRow
from sim.interpret.terminal import answer_table_text
from sim.replicate.stats import MISSING, Estimate

ONE_OFFICE = Path(__file__).resolve().parents[2] / "scenarios" / "one-office.yaml"
FAST = ["-w", "1", "--set", "horizon_days=4", "-q"]


def mrasim(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    status = sim.cli.main([str(a) for a in args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture(scope="module")
def peru_paraguay(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """one-office with Paraguay importing through a copy of Callao: Peru (PER) sorts before
    Paraguay (PRY) by code and after it by name."""
    data = yaml.safe_load(ONE_OFFICE.read_text())
    port = dict(data["countries"]["PER"]["ports"]["callao"])
    port["origins"] = {"CHN": 0.5, "PER": 0.2, "BRA": 0.1, "ARG": 0.1, "OTHER": 0.1}
    port["arrivals"] = {**port["arrivals"], "per_day": 120}
    data["countries"]["PRY"] = {"aeo_exporter_share": 0.1, "ports": {"asuncion": port}}
    path = tmp_path_factory.mktemp("brief") / "peru-paraguay.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def regional(peru_paraguay: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A comparison of both countries, written with --out (no --country)."""
    out = tmp_path_factory.mktemp("regional") / "out"
    args = ["compare", str(peru_paraguay), "-n", "3", *FAST, "--out", str(out)]
    assert sim.cli.main(args) == 0
    return out


# --- the question first ------------------------------------------------------------------


def test_mrasim_alone_answers_the_question(monkeypatch: pytest.MonkeyPatch) -> None:
    """`mrasim` with no arguments is `mrasim compare` on the bundled regional scenario."""
    seen = []
    monkeypatch.setattr(sim.cli.parser, "compare_command", lambda args: seen.append(args) or 0)
    assert sim.cli.main([]) == 0
    (args,) = seen
    assert args.command == "compare" and args.scenarios == [] and args.replications == 10
    assert args.command_line == ["mrasim", "compare"]


def test_run_prints_countries_and_region_at_a_glance_and_more_when_asked(
    peru_paraguay: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    status, short, _ = mrasim(capsys, "run", peru_paraguay, "-n", "2", *FAST)
    assert status == 0
    lines = short.splitlines()
    rows = [line.split()[0] for line in lines if line.startswith(("Paraguay", "Peru", "region"))]
    assert rows[:3] == ["Paraguay", "Peru", "region*"], "by name, then the region"
    assert "clearance mean (h)" in short and "green share" in short and "--full" in short
    assert len(lines) < 15 and max(map(len, lines)) <= 100
    status, full, _ = mrasim(capsys, "run", peru_paraguay, "-n", "2", *FAST, "--full")
    assert "documentary" in full and "What this result assumes:" in full, "the digest"
    status, long, _ = mrasim(capsys, "run", peru_paraguay, "-n", "2", *FAST, "--long")
    table = sim.run(
        sim.load_scenario(peru_paraguay, ["horizon_days=4"]), replications=2, workers=1
    ).table()
    assert len(long.splitlines()) == len(table) + 1, "every row of the long table, and its head"
    status, _, err = mrasim(capsys, "run", peru_paraguay, "--full", "--long")
    assert status == 2 and "not allowed with argument" in err


# --- a country by code or name ---------------------------------------------------------------


@pytest.mark.parametrize("spelling", ["PER", "per", "Peru", "perú", "PERÚ", " peru "])
def test_a_country_is_named_by_code_or_name_in_any_case(
    spelling: str, peru_paraguay: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = mrasim(
        capsys, "run", peru_paraguay, "-n", "2", *FAST, "--json", "--country", spelling
    )
    assert status == 0, err
    record = json.loads(out)
    assert {row["country"] for row in record["summary"]} == {"PER"}
    assert record["countries"] == ["PER"]


def test_a_country_not_in_the_scenario_is_one_line_naming_the_choices(
    peru_paraguay: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for command in ("run", "compare"):
        status, out, err = mrasim(capsys, command, peru_paraguay, *FAST, "--country", "Narnia")
        assert status == 2 and out == ""
        assert err == (
            "mrasim: --country: Narnia: not a country of this scenario; choose from Paraguay, "
            "Peru\n"
        )


def test_compare_country_flows_into_run_json_and_the_report(
    peru_paraguay: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "peru"
    args = ["compare", peru_paraguay, "-n", "3", *FAST, "--country", "Perú", "--out", out]
    status, _, err = mrasim(capsys, *args)
    assert status == 0, err
    meta = json.loads((out / "run.json").read_text())
    assert meta["countries"] == ["PER"]
    assert [row["country"] for row in meta["answer"]["rows"]] == ["PER"]
    (sentence,) = meta["answer"]["sentences"]
    assert "in Peru" in sentence and sentence.count(" a year") == sentence.count("annualised")
    table = pd.read_csv(out / "comparison.csv")
    assert set(table["country"]) == {"PER", "PRY", "all"}, "the files keep every row"
    status, _, err = mrasim(capsys, "report", out)
    assert status == 0, err
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "Customs clearance in Peru" in page and "Paraguay" not in _first_screen(page)
    assert page.count('id="country-') == 1 and 'id="region"' not in page


def test_report_country_makes_a_one_country_page_from_a_regional_run(
    regional: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, printed, err = mrasim(capsys, "report", regional, "--country", "per")
    assert status == 0, err
    assert printed.strip() == f"report written to {regional / 'report-PER.html'}"
    page = (regional / "report-PER.html").read_text(encoding="utf-8")
    first = _first_screen(page)
    assert "Paraguay" not in first and "every country" not in first
    assumptions = first[first.index('id="assumptions"') :]
    assert "at 1 of 1 ports in Peru" in assumptions
    assert "Assumed declared values per shipment in Peru" in assumptions
    answer = first[first.index('id="answer"') : first.index('id="assumptions"')]
    assert answer.count("<tr>") == 2, "a header and Peru"
    assert "annualised from 4 days" in answer
    status, _, err = mrasim(capsys, "report", regional, "--country", "Narnia")
    assert status == 2 and err.startswith("mrasim: --country: Narnia: not a country")
    regional_page = (regional / "report.html").exists()
    assert not regional_page or "Paraguay" in (regional / "report.html").read_text()


def _first_screen(page: str) -> str:
    """The title, the answer and the assumptions: what precedes the table of contents."""
    return page[: page.index('<nav id="contents">')]


# --- the order, the units and the year ---------------------------------------------------------


def test_rows_are_sorted_by_the_name_shown_and_yearly_numbers_say_their_days(
    regional: Path, peru_paraguay: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = mrasim(capsys, "compare", peru_paraguay, "-n", "3", *FAST[:-1])
    assert status == 0
    answer = out[out.index("The answer") :]
    rows = [line.split()[0] for line in answer.splitlines() if line.startswith(("Pa", "Pe"))]
    assert rows == ["Paraguay", "Peru"]
    sentence = " ".join(answer.split("\n\n")[1].split())
    assert sentence.count(" a year") == sentence.count("annualised from 4 days")
    assert "at an assumed 1.3% of the goods' declared value per day" in sentence
    caption = " ".join(answer.split("\n\n")[2].split())
    assert "annualised from 4 days" in caption and "an assumed 1.3%" in caption
    sim.write_report(regional)
    page = (regional / "report.html").read_text(encoding="utf-8")
    table = page[page.index('id="answer-table"') :]
    assert table.index(">Paraguay<") < table.index(">Peru<") < table.index(">Region")


def test_one_unit_per_column_chosen_from_its_largest_value() -> None:
    """Not ``-21.2 min`` beside ``-1.179 h``, nor ``USD 508,000`` beside ``USD 2.76 M``."""

    def row(area: str, hours: float, saving: float) -> CountryRow:
        return CountryRow(
            area,
            "with",
            0.4,
            Estimate(hours, hours - 0.05, hours + 0.05),
            Estimate(-5.0, -5.5, -4.5),
            Estimate(0.1, 0.09, 0.11),
            Estimate(saving, 0.9 * saving, 1.1 * saving),
            MISSING,
        )

    rows = [row("URY", -0.353, 508_000), row("ARG", -1.179, 2_760_000)]
    found = Answer([], rows, 0.013, False, [], False, "without", days=28)
    text = answer_table_text(found, 100)
    lines = {line.split()[0]: line for line in text.splitlines()[-2:]}
    assert "-0.353 h ±0.050" in lines["Uruguay"] and "-1.179 h ±0.050" in lines["Argentina"]
    assert "USD 0.508 M ±0.051 M" in lines["Uruguay"] and "USD 2.76 M" in lines["Argentina"]
    assert list(lines) == ["Argentina", "Uruguay"]
    minutes = answer_table_text(
        Answer([], [row("URY", -0.353, 508_000)], 0.013, False, [], False, "without"), 100
    )
    assert "-21.2 min ±3.0" in minutes and "USD 508,000 ±51,000" in minutes


def test_the_saved_answer_is_the_printed_one(
    regional: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """run.json's answer rows carry the days they are annualised from, and match the table."""
    meta = json.loads((regional / "run.json").read_text())
    assert meta["countries"] is None and meta["answer"]["annualised_from_days"] == 4
    table = pd.read_csv(regional / "comparison.csv")
    for row in meta["answer"]["rows"]:
        change = area_row(
            table,
            kind="difference",
            country=row["country"],
            group="eligible",
            metric="clearance_h_mean",
        )
        assert row["eligible_clearance_change_h"][0] == pytest.approx(change["mean"])
