"""Calibration from a record file: every port of the records fitted, checked and written.

The steps, in order: read and check the records against the template (:mod:`sim.records`,
through the mapping if one is given); with a holdout, keep the last part of the period
aside; fit each port of the records (:mod:`.fit`); put the fitted values into the template and
validate it; simulate the fitted ports and compare them with the records of the
fit period and of the holdout (:mod:`.check`); record where it all came from
(:mod:`.provenance`). Ports of the template that the records do not mention are
copied unchanged.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from sim.calibrate import provenance, writeback
from sim.calibrate.check import Check, check
from sim.calibrate.fit import fit_port
from sim.calibrate.port import Estimate, PortFit, Settings, redraw
from sim.calibrate.simulate import REFITS
from sim.errors import InputError
from sim.language import N_
from sim.model.load import load_scenario, scenario_from_dict
from sim.model.schema import Calibration, Scenario
from sim.plan.compile import compile_plan
from sim.records.mapping import Mapping
from sim.records.read import Records, read_records, sha256_of
from sim.replicate.runner import default_workers

CONFIDENCE = 0.95
CHECK_PERIODS = 20
"""Simulated periods of the fit check: a correct model passes every headline comparison
with probability about 20/21 (see sim.calibrate.check)."""


@dataclass
class RecordsCalibration:
    """The outcome of ``mrasim calibrate RECORDS``: fits, the fitted scenario and its checks."""

    template_path: Path
    template: Scenario
    records: Records
    fit_part: Records
    holdout_part: Records | None
    ports: list[PortFit]
    estimates: list[Estimate]  # as written (rounded)
    fitted: Scenario
    text: str  # the fitted scenario file: the template with fitted values and provenance
    calibration: Calibration
    in_sample: Check
    holdout: Check | None

    @property
    def verdict(self) -> str:
        return (self.holdout or self.in_sample).verdict


def calibrate_records(
    records_path: Path,
    template_path: Path,
    *,
    holdout: float | None = None,
    replications: int = CHECK_PERIODS,
    seed: int | None = None,
    workers: int | None = None,
    confidence: float = CONFIDENCE,
    refits: int = REFITS,
    command: str | None = None,
    mapping: Mapping | None = None,
) -> RecordsCalibration:
    """Fit the template's ports to a record file (see the module docstring)."""
    template = load_scenario(template_path)
    seed = template.seed if seed is None else seed
    workers = default_workers() if workers is None else workers
    records = read_records(Path(records_path), template, mapping)
    fit_part, holdout_part = records.split(holdout) if holdout else (records, None)
    plan = compile_plan(template)
    settings = Settings(confidence, seed, workers, refits)
    fits = []
    for port in plan.ports:
        if (port.country, port.name) in fit_part.ports():
            rows = fit_part.port(port.country, port.name)
            fits.append(
                fit_port(
                    template, port, plan.calendars, rows, fit_part.present, fit_part.days, settings
                )
            )
    estimates = [provenance.rounded(e) for fitted in fits for e in fitted.estimates]
    data = yaml.safe_load(Path(template_path).read_text(encoding="utf-8"))
    for estimate in estimates:
        writeback.set_plain(data, estimate.path, estimate.value)
    fitted = scenario_from_dict(data, f"{template_path} (fitted)")

    def variants(r: int) -> Scenario:
        rng = np.random.default_rng([seed, r])
        redrawn = copy.deepcopy(data)
        for estimate in estimates:
            writeback.set_plain(redrawn, estimate.path, redraw(estimate, rng))
        try:
            return scenario_from_dict(redrawn, f"{template_path} (redrawn)")
        except InputError:  # a draw the schema refuses (a share pushed past 1): the estimate
            return fitted

    in_sample = check(fitted, fit_part, N_("fit period"), replications, seed, workers, variants)
    held = None
    if holdout_part is not None and not holdout_part.frame.empty:
        held = check(
            fitted, holdout_part, N_("holdout"), replications, seed + 1000, workers, variants
        )
    statistics = {k: v for fitted_port in fits for k, v in fitted_port.statistics.items()}
    statistics.update(_check_statistics(in_sample))
    if held is not None:
        statistics.update(_check_statistics(held))
    notes = [*records.notes, *(note for fitted_port in fits for note in fitted_port.notes)]
    if mapping is not None and mapping.source:
        notes.append(f"mapping: {mapping.source} (sha256 {sha256_of(Path(mapping.source))})")
    notes.append(f"times: {records.clock}")
    notes.append(f"verdict: {(held or in_sample).verdict} ({(held or in_sample).label})")
    if holdout_part is not None:
        notes.append(
            f"fitted on days {fit_part.days[0]:g}-{fit_part.days[1]:g}, held out days "
            f"{holdout_part.days[0]:g}-{holdout_part.days[1]:g}"
        )
    entry = provenance.block(
        "records",
        str(records_path),
        records.sha256,
        str(template_path),
        command
        or provenance.command_for(
            template_path,
            records=records_path,
            holdout=holdout,
            replications=replications,
            seed=seed,
            mapping=mapping.source if mapping is not None and mapping.source else None,
        ),
        confidence,
        estimates,
        statistics,
        notes,
        rows_used=fit_part.rows_used,
        rows_excluded=records.excluded,
    )
    document = writeback.load_document(template_path)
    for estimate in estimates:
        writeback.set_value(document, estimate.path, estimate.value)
    writeback.add_calibration(document, entry)
    text = writeback.dump(document, Path(template_path).read_text(encoding="utf-8"))
    fitted = scenario_from_dict(yaml.safe_load(text), f"{template_path} (fitted)")
    return RecordsCalibration(
        Path(template_path),
        template,
        records,
        fit_part,
        holdout_part,
        fits,
        estimates,
        fitted,
        text,
        entry,
        in_sample,
        held,
    )


def _check_statistics(result: Check) -> dict[str, float]:
    """KS and Wasserstein distances of the headline comparisons."""
    out: dict[str, float] = {}
    columns = ["country", "port", "stage", "channel", "group", "ks", "wasserstein_h"]
    rows = result.headline[columns].itertuples(index=False, name=None)
    for country, port, stage, channel, group, ks, wasserstein_h in rows:
        where = f"{result.label}: {country}/{port} {stage} ({channel}, {group})"
        out[f"{where} ks"] = ks
        out[f"{where} wasserstein_h"] = wasserstein_h
    return out
