"""Write two GENERATED exports in the shapes real customs systems produce, not observed data.

    python calibration/make_exports.py

Both come from simulating calibration/sample-port.yaml (the invented truth behind
sample-records.csv), written the way an administration's own system would export them:

- ``aduana-callao.csv``: a Spanish-locale extract, as a spreadsheet saves it: Windows-1252,
  ``;`` separators, day-first dates without a zone (``11/03/2024 07:00``), channels
  ``VERDE/AMARILLO/ROJO``, the importer's AEO status as an ``OEA`` S/N flag and the MRA claim
  as ``ARM``, the customs office as its code (118), columns the model does not use, and
  blank lines. ``aduana-callao.mapping.yaml`` maps it to the template
  calibration/sample-template.yaml.
- ``despachos-itajai.xlsx``: a Portuguese workbook of the same port relabelled as Brazil's
  Itajaí (office code 0927800), with a title row above the header, dates as date cells,
  channels ``verde/amarelo/vermelho``. ``despachos-itajai.mapping.yaml`` maps it.

The same command writes the same files (seeded; the workbook's timestamps fixed).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

import sim

HERE = Path(__file__).resolve().parent
SCENARIO = HERE / "sample-port.yaml"
FIRST_MONDAY = pd.Timestamp("2024-03-04")  # scenario hour 0; the warm-up week precedes the data
YES_NO = {True: "S", False: "N"}

SPANISH = {
    "declaration": "N° Declaración",
    "office": "Aduana",
    "regime": "Régimen",
    "mode": "Vía",
    "origin": "País Origen",
    "aeo": "OEA",
    "mra": "ARM",
    "channel": "Canal",
    "arrival": "Fecha Llegada",
    "unloaded": "Fecha Descarga",
    "lodgement": "Fecha Numeración",
    "documentary_end": "Fin Revisión Documental",
    "physical_start": "Inicio Reconocimiento Físico",
    "physical_end": "Fin Reconocimiento Físico",
    "release": "Fecha Levante",
    "broker": "Agente de Aduana",
}
PORTUGUESE = {
    "declaration": "Número da DI",
    "office": "URF de Despacho",
    "mode": "Via de Transporte",
    "origin": "País de Procedência",
    "aeo": "Importador OEA",
    "mra": "Invoca ARM",
    "channel": "Canal de Parametrização",
    "arrival": "Data de Chegada",
    "unloaded": "Presença de Carga",
    "lodgement": "Registro da DI",
    "documentary_end": "Fim Conferência Documental",
    "physical_start": "Início Vistoria Física",
    "physical_end": "Fim Vistoria Física",
    "release": "Desembaraço",
}
TIMES = (
    "arrival",
    "unloaded",
    "lodgement",
    "documentary_end",
    "physical_start",
    "physical_end",
    "release",
)


def simulated() -> pd.DataFrame:
    scenario = sim.load_scenario(SCENARIO)
    return sim.run(scenario, replications=1, workers=1, keep_records=True).records()


def _stamps(hours: pd.Series) -> pd.Series:
    return (FIRST_MONDAY + pd.to_timedelta(hours, unit="h")).dt.floor("min")


def _origins(records: pd.DataFrame, rng: np.random.Generator) -> pd.Series:
    """Origins as real codes: the rest of the world spread over a few trading partners."""
    others = rng.choice(["CHN", "USA", "DEU", "MEX", "KOR"], size=len(records))
    origin = records.origin.astype(str)
    return origin.where(origin != "OTHER", pd.Series(others, index=records.index))


def spanish(records: pd.DataFrame) -> pd.DataFrame:
    rng = np.random.default_rng(118)
    out = pd.DataFrame(
        {
            SPANISH["declaration"]: [f"118-2024-10-{k:06d}" for k in records.shipment],
            SPANISH["office"]: "118",
            SPANISH["regime"]: "10",
            SPANISH["mode"]: "MARITIMA",
            SPANISH["origin"]: _origins(records, rng),
            SPANISH["aeo"]: (records.group == "national_aeo").map(YES_NO),
            SPANISH["mra"]: (records.group == "recognised_aeo").map(YES_NO),
            SPANISH["channel"]: records.channel.map(
                {"green": "VERDE", "yellow": "AMARILLO", "red": "ROJO"}
            ),
        }
    )
    for column in TIMES:
        text = _stamps(records[column]).dt.strftime("%d/%m/%Y %H:%M")
        out[SPANISH[column]] = text.where(records[column].notna(), "")
    out[SPANISH["broker"]] = rng.choice(
        ["AGENCIA ANDINA SAC", "DESPACHOS DEL PACÍFICO"], size=len(out)
    )
    blank = pd.DataFrame([[""] * len(out.columns)] * 2, columns=out.columns)
    return pd.concat([out.iloc[:100], blank, out.iloc[100:]], ignore_index=True)


def portuguese(records: pd.DataFrame) -> pd.DataFrame:
    rng = np.random.default_rng(927)
    origin = _origins(records, rng).replace({"BRA": "ARG"})  # Brazil does not import from itself
    out = pd.DataFrame(
        {
            PORTUGUESE["declaration"]: [f"24/{k:07d}-1" for k in records.shipment],
            PORTUGUESE["office"]: "0927800",
            PORTUGUESE["mode"]: "MARÍTIMA",
            PORTUGUESE["origin"]: origin,
            PORTUGUESE["aeo"]: (records.group == "national_aeo").map({True: "Sim", False: "Não"}),
            PORTUGUESE["mra"]: (records.group == "recognised_aeo").map({True: "Sim", False: "Não"}),
            PORTUGUESE["channel"]: records.channel.map(
                {"green": "verde", "yellow": "amarelo", "red": "vermelho"}
            ),
        }
    )
    for column in TIMES:
        stamps = _stamps(records[column])
        out[PORTUGUESE[column]] = [
            None if pd.isna(t) else dt.datetime.fromisoformat(t.isoformat()) for t in stamps
        ]
    return out


def write_workbook(frame: pd.DataFrame, path: Path) -> None:
    """An .xlsx with a title row above the header, as report tools export them; fixed
    timestamps inside, so the same data gives the same bytes."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Despachos"
    sheet.append(["Relatório de despachos de importação (dados gerados, não observados)"])
    sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        sheet.append([None if (isinstance(v, float) and np.isnan(v)) else v for v in row])
    for cells in sheet.iter_cols(min_row=3, min_col=8, max_col=8 + len(TIMES) - 1):
        for cell in cells:
            cell.number_format = "dd/mm/yyyy hh:mm"
    fixed = dt.datetime(2024, 4, 15)
    book.properties.created = book.properties.modified = fixed
    book.save(path)
    _fix_zip_times(path, fixed)


def _fix_zip_times(path: Path, when: dt.datetime) -> None:
    """An .xlsx is a zip whose entries carry the time they were written, and openpyxl stamps
    the save time as the workbook's 'modified': set both to one date, so the same data gives
    the same bytes."""
    import re
    import zipfile

    with zipfile.ZipFile(path) as source:
        entries = [(info.filename, source.read(info)) for info in source.infolist()]
    iso = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    modified = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")
    entries = [(n, modified.sub(rb"\g<1>" + iso + rb"\g<2>", d)) for n, d in entries]
    stamp = when.timetuple()[:6]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in entries:
            target.writestr(zipfile.ZipInfo(name, date_time=stamp), data, zipfile.ZIP_DEFLATED)


def main() -> None:
    records = simulated()
    csv_path = HERE / "aduana-callao.csv"
    spanish(records).to_csv(csv_path, sep=";", index=False, encoding="cp1252")
    xlsx_path = HERE / "despachos-itajai.xlsx"
    write_workbook(portuguese(records), xlsx_path)
    for path in (csv_path, xlsx_path):
        print(f"{path}: {len(records):,} declarations (generated, not observed)")


if __name__ == "__main__":
    main()
