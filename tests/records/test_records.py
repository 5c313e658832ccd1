"""sim.records: exports of any shape read through a mapping, each refusal one line.

The shipped exports (calibration/make_exports.py) are read as their administrations wrote
them and give the records mrasim itself wrote; the mapping file is validated like a
scenario; times in every form land on the same clock; thin and broken files are refused in
one line or read with what they support.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim.cli
from sim.errors import InputError
from sim.model.load import load_scenario
from sim.records import load_mapping, read_records
from sim.records.mapping import mapping_from_dict
from sim.records.read import BAD_REPLICATION, IMPLAUSIBLE, UNPARSEABLE

ROOT = Path(__file__).resolve().parents[2]
CALIBRATION = ROOT / "calibration"
TEMPLATE = CALIBRATION / "sample-template.yaml"
SPANISH = CALIBRATION / "aduana-callao.csv"
PORTUGUESE = CALIBRATION / "despachos-itajai.xlsx"


def cli(args: list, capsys) -> tuple[int, str, str]:
    status = sim.cli.main([str(a) for a in args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture(scope="module")
def template():
    return load_scenario(TEMPLATE)


@pytest.fixture(scope="module")
def spanish(template):
    return read_records(SPANISH, template, load_mapping(SPANISH.with_suffix(".mapping.yaml")))


# --- the shipped exports -----------------------------------------------------------------


def test_the_spanish_export_reads_as_mrasims_own_records(spanish):
    """Windows-1252, ';', day-first dates, VERDE/AMARILLO/ROJO, OEA and ARM flags, office
    code 118: every row usable, every stage's times where the simulation put them."""
    assert spanish.rows_used == spanish.rows_read == 5539
    frame = spanish.frame
    assert set(frame.channel) == {"green", "yellow", "red"}
    assert set(frame.group) == {"standard", "national_aeo", "recognised_aeo"}
    assert set(frame.port) == {"callao"} and set(frame.country) == {"PER"}
    assert set(frame["mode"]) == {"sea"}
    assert "day-first" in spanish.clock and spanish.monday == pd.Timestamp("2024-03-11")
    assert {"documentary_end", "physical_start", "physical_end"} <= spanish.present
    assert frame.documentary_end.notna().sum() == (frame.channel != "green").sum()


def test_the_portuguese_workbook_gives_the_same_records(spanish):
    """The same shipments, written as a workbook with a title row and date cells."""
    mapping = load_mapping(PORTUGUESE.with_suffix(".mapping.yaml"))
    workbook = read_records(PORTUGUESE, None, mapping)
    assert workbook.rows_used == spanish.rows_used
    for column in ("arrival", "lodgement", "physical_end", "release"):
        np.testing.assert_allclose(
            workbook.frame[column].to_numpy(), spanish.frame[column].to_numpy(), atol=1e-9
        )
    assert list(workbook.frame.group) == list(spanish.frame.group)
    assert set(workbook.frame.country) == {"BRA"}


def test_parquet_and_tab_separated_utf16_read_alike(tmp_path, spanish):
    frame = pd.read_csv(SPANISH, sep=";", encoding="cp1252", dtype=str, keep_default_na=False)
    mapping = load_mapping(SPANISH.with_suffix(".mapping.yaml"))
    plain = mapping.model_copy(update={"encoding": None, "sep": None})
    frame.to_csv(tmp_path / "export.tsv", sep="\t", index=False, encoding="utf-16")
    frame.to_parquet(tmp_path / "export.parquet")
    for name in ("export.tsv", "export.parquet"):
        again = read_records(tmp_path / name, None, plain)
        np.testing.assert_allclose(again.frame.release, spanish.frame.release)


# --- the mapping file --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "field", "words"),
    [
        ("colums: {}\n", "colums", "unknown key"),
        ("columns: {Canal: chanel}\n", "columns", "not a record column"),
        ("values: {channel: {VERDE: verde}}\n", "values", "is not one of green"),
        ("derive: {country: {value: PER, join: [a]}}\n", "derive.country", "exactly one"),
        ("timezone: Lima\n", "timezone", "IANA"),
        ("derive: {country: {value: TODO}}\n", "derive.country.value", "TODO"),
        ("sep: ';;'\n", "sep", "one character"),
        ("encoding: klingon\n", "encoding", "unknown encoding"),
    ],
)
def test_a_bad_mapping_is_one_line_naming_the_key(tmp_path, text, field, words):
    path = tmp_path / "m.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_mapping(path)
    assert caught.value.source == str(path)
    assert caught.value.field.startswith(field), caught.value.field
    assert words in caught.value.problem


def test_mapping_scalars_stay_text():
    """NO, 007 and 118 are what the export says, not a boolean or a number."""
    mapping = mapping_from_dict(
        {"values": {"port": {"007": "callao"}, "group": {"NO": "standard"}}}
    )
    assert mapping.values["port"] == {"007": "callao"}
    assert "NO" in mapping.values["group"]


def test_unmapped_values_are_listed_with_counts(tmp_path, capsys):
    mapping = SPANISH.with_suffix(".mapping.yaml").read_text(encoding="utf-8")
    edited = mapping.replace('"ROJO": "red"', '"ROJITO": "red"')
    path = tmp_path / "m.yaml"
    path.write_text(edited, encoding="utf-8")
    status, out, err = cli(["trs", SPANISH, "--mapping", path], capsys)
    assert status == 2 and out == ""
    assert err.count("\n") == 1
    assert "values.channel" in err and "'ROJO' (" in err and "add each" in err


def test_a_column_the_file_lacks_is_named_with_a_suggestion(tmp_path, capsys):
    path = tmp_path / "m.yaml"
    path.write_text('columns: {"Fecha Levant": release}\n', encoding="utf-8")
    status, _, err = cli(["trs", SPANISH, "--mapping", path], capsys)
    assert status == 2
    assert "columns.Fecha Levant" in err and "did you mean 'Fecha Levante'" in err


def test_a_raw_export_without_mapping_says_how_to_get_one(capsys):
    status, _, err = cli(["trs", SPANISH], capsys)
    assert status == 2 and err.count("\n") == 1
    assert "required column missing" in err and "records inspect" in err


# --- times -------------------------------------------------------------------------------

BASE = {
    "country": ["PER"] * 4,
    "port": ["callao"] * 4,
    "group": ["standard"] * 4,
    "channel": ["green"] * 4,
}


def _read(tmp_path: Path, frame: pd.DataFrame, mapping: str = "", name: str = "r.csv"):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    mapping_path = None
    if mapping:
        mapping_path = tmp_path / "m.yaml"
        mapping_path.write_text(mapping, encoding="utf-8")
    return read_records(path, None, load_mapping(mapping_path))


def test_day_first_month_first_iso_and_excel_days_agree(tmp_path):
    arrival = ["2024-03-12 08:00", "2024-03-13 09:30", "2024-03-14 10:00", "2024-03-15 23:15"]
    release = ["2024-03-12 10:00", "2024-03-14 09:30", "2024-03-14 18:00", "2024-03-16 01:15"]
    iso = _read(tmp_path, pd.DataFrame({**BASE, "arrival": arrival, "release": release}))
    stamps = [pd.Timestamp(t) for t in arrival + release]
    as_text = {
        "dayfirst": [t.strftime("%d/%m/%Y %H:%M") for t in stamps],
        "monthfirst": [t.strftime("%m/%d/%Y %I:%M %p") for t in stamps],
        "excel": [(t - pd.Timestamp("1899-12-30")) / pd.Timedelta(days=1) for t in stamps],
    }
    options = {"dayfirst": "dayfirst: true\n", "monthfirst": "dayfirst: false\n", "excel": ""}
    for name, cells in as_text.items():
        frame = pd.DataFrame({**BASE, "arrival": cells[:4], "release": cells[4:]})
        read = _read(tmp_path, frame, options[name])
        np.testing.assert_allclose(read.frame.arrival, iso.frame.arrival, err_msg=name)
        np.testing.assert_allclose(read.frame.release, iso.frame.release, err_msg=name)
    assert iso.frame.arrival.iloc[0] == 24 + 8  # Tuesday 08:00 of the week of the first


def test_a_zone_puts_instants_on_local_time(tmp_path):
    frame = pd.DataFrame(
        {**BASE, "arrival": ["2024-03-12T13:00:00Z"] * 4, "release": ["2024-03-12T15:00Z"] * 4}
    )
    read = _read(tmp_path, frame, "timezone: America/Lima\n")
    assert read.frame.arrival.iloc[0] == 24 + 8  # 13:00 UTC is 08:00 in Lima
    assert "America/Lima" in read.clock


def test_implausible_times_and_replications_are_excluded_not_fatal(tmp_path):
    frame = pd.DataFrame(
        {
            **{k: v * 2 for k, v in BASE.items()},
            "replication": ["0", "0", "1e400", "0", "0", "0", "0", "0"],
            "arrival": ["2024-03-12 08:00"] * 3 + ["9999-12-31 00:00"] + ["2024-03-12 09:00"] * 4,
            "release": ["2024-03-12 10:00"] * 4 + ["soon"] + ["2024-03-13 09:00"] * 3,
        }
    )
    read = _read(tmp_path, frame)
    assert read.excluded == {BAD_REPLICATION: 1, IMPLAUSIBLE: 1, UNPARSEABLE: 1}
    assert read.days == (1.0, 2.0)


def test_a_header_and_no_row_is_one_line(tmp_path, capsys):
    path = tmp_path / "empty.csv"
    path.write_text("country,port,group,channel,arrival,release\n", encoding="utf-8")
    status, _, err = cli(
        ["calibrate", path, "--scenario", TEMPLATE, "--out", tmp_path / "f.yaml"], capsys
    )
    assert (
        status == 2
        and err == f"mrasim: {path}: no row under the header: the file holds no record\n"
    )


# --- inspect -----------------------------------------------------------------------------


def test_inspect_drafts_the_shipped_mapping_but_for_the_one_edit(tmp_path, capsys):
    """The draft of the Spanish export is the shipped mapping less the one judgement it leaves
    to the analyst (what the ARM flag means), and reads the file once that is filled in."""
    draft = tmp_path / "draft.yaml"
    status, out, _ = cli(
        ["records", "inspect", SPANISH, "--scenario", TEMPLATE, "--draft", draft], capsys
    )
    assert status == 0
    assert "replace its 1 TODO" in out
    assert max(len(line) for line in out.splitlines()) <= 100
    text = draft.read_text(encoding="utf-8")
    with pytest.raises(InputError, match="TODO"):
        load_mapping(draft)
    edited = draft.with_name("edited.yaml")
    edited.write_text(text.replace('"then": "TODO"', '"then": "recognised_aeo"'), "utf-8")
    shipped = load_mapping(SPANISH.with_suffix(".mapping.yaml"))
    assert load_mapping(edited).model_dump() == shipped.model_dump()
    status, _, err = cli(["records", "inspect", SPANISH, "--draft", draft], capsys)
    assert status == 2 and "exists" in err


# --- TRS tables --------------------------------------------------------------------------


def test_trs_tables_of_a_run_match_its_records(tmp_path, capsys):
    out = tmp_path / "run"
    status, text, _ = cli(
        ["run", "one-office", "-n", "2", "--trs", "--records", "--out", out, "-q"], capsys
    )
    assert status == 0
    assert "Time by stage" in text and "Released within" in text
    assert max(len(line) for line in text.splitlines()) <= 100
    records = pd.read_parquet(out / "records.parquet")
    stages = pd.read_csv(out / "trs_stages.csv")
    total = stages[(stages.breakdown == "all") & (stages.stage == "arrival to release")].iloc[0]
    assert total.n == len(records)
    assert total.mean_h == pytest.approx(records.clearance_h.mean())
    assert total.p90_h == pytest.approx(records.clearance_h.quantile(0.9))
    within = pd.read_csv(out / "trs_within.csv")
    for _, part in within.groupby(["breakdown", "level"]):
        assert part.share.is_monotonic_increasing
    hourly = pd.read_csv(out / "trs_hourly.csv")
    assert hourly.arrivals.sum() == len(records)


def test_mrasims_own_columns_with_another_separator_need_no_mapping(tmp_path):
    frame = pd.DataFrame({**BASE, "arrival": ["1.5"] * 4, "release": ["3.25"] * 4})
    path = tmp_path / "semicolons.csv"
    frame.to_csv(path, sep=";", index=False)
    read = read_records(path)
    assert read.rows_used == 4 and read.frame.release.iloc[0] == 3.25


def test_an_unreadable_date_form_is_named_with_an_example(tmp_path):
    frame = pd.DataFrame({**BASE, "arrival": ["12.März.2024"] * 4, "release": ["13.März.2024"] * 4})
    with pytest.raises(InputError) as caught:
        _read(tmp_path, frame)
    problem = caught.value.problem
    assert "4 unparseable time" in problem and "arrival '12.März.2024'" in problem
    assert "date_format" in problem


def test_trs_puts_a_scenarios_simulation_beside_the_records(tmp_path, capsys):
    """The generating scenario beside its own records: a row each, totals close."""
    status, text, err = cli(
        [
            "trs",
            CALIBRATION / "sample-records.csv",
            "--scenario",
            CALIBRATION / "sample-port.yaml",
            "-n",
            "2",
            "--out",
            tmp_path,
        ],
        capsys,
    )
    assert status == 0, err
    assert max(len(line) for line in text.splitlines()) <= 100
    stages = pd.read_csv(tmp_path / "trs_stages.csv")
    total = stages[(stages.breakdown == "all") & (stages.stage == "arrival to release")]
    means = dict(zip(total.source, total.mean_h, strict=True))
    assert means["simulated"] == pytest.approx(means["observed"], rel=0.1)
