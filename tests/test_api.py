"""The notebook API: ``import sim`` does what the CLI does (the docs' examples run in
tests/docs)."""

from __future__ import annotations

import hashlib
import importlib
import inspect
import json
import pkgutil
from pathlib import Path

import pandas as pd
import pytest

import sim
import sim.cli.commands
from sim.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
ONE_OFFICE = ROOT / "scenarios" / "one-office.yaml"


def test_bundled_scenarios_load_by_name() -> None:
    assert {"lac-regional", "one-office", "reference-office"} <= set(sim.bundled_scenarios())
    by_name = sim.load_scenario("one-office")
    assert by_name == sim.load_scenario(ONE_OFFICE)
    assert by_name.origin.sha256 == hashlib.sha256(ONE_OFFICE.read_bytes()).hexdigest()
    with pytest.raises(InputError, match="bundled scenarios: lac-regional, one-office"):
        sim.load_scenario("no-such-scenario")


def test_with_overrides_is_a_new_validated_scenario() -> None:
    base = sim.load_scenario("one-office")
    changed = base.with_overrides(
        {"arrangement.utilisation": 0.8, "countries.PER.ports.callao.stations.physical.servers": 20}
    )
    assert changed.arrangement.utilisation == 0.8
    assert changed.countries["PER"].ports["callao"].stations["physical"].servers == 20
    assert base.arrangement.utilisation == 0.4, "the original is unchanged"
    assert changed.origin.overrides == (
        "arrangement.utilisation=0.8",
        "countries.PER.ports.callao.stations.physical.servers=20",
    )
    with pytest.raises(InputError) as error:
        base.with_overrides({"countries.PER.ports.callao.stations.physical.servers": 0})
    assert error.value.field == "countries.PER.ports.callao.stations.physical.servers"
    assert base.with_overrides({}) == base


def test_save_writes_what_out_writes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    small = ["-n", "3", "-w", "1", "--set", "horizon_days=3", "-q"]
    assert sim.cli.main(["compare", "one-office", *small, "--out", str(tmp_path / "cli")]) == 0
    capsys.readouterr()
    scenario = sim.load_scenario("one-office", ["horizon_days=3"])
    scenarios, labels = sim.arrangement_variants(scenario)
    sim.compare(scenarios, labels, replications=3, workers=1).save(tmp_path / "api")
    cli, api = (sorted(p.name for p in (tmp_path / d).iterdir()) for d in ("cli", "api"))
    assert cli == api == ["answer.xlsx", "comparison.csv", "comparison.parquet", "run.json"]
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "cli" / "comparison.parquet"),
        pd.read_parquet(tmp_path / "api" / "comparison.parquet"),
    )
    meta = json.loads((tmp_path / "api" / "run.json").read_text())
    assert meta["provenance"]["command"] is None  # made from Python, not a command line
    assert meta["provenance"]["overrides"] == ["horizon_days=3"]
    assert sim.write_report(tmp_path / "api").is_file()


def test_digest_is_what_the_terminal_shows() -> None:
    scenario = sim.load_scenario("one-office", ["horizon_days=3"])
    result = sim.run(scenario, replications=2, workers=1)
    text = result.digest()
    assert text.startswith("one-office: 2 replications")
    assert "Peru" in text and "--full" in text
    full = result.digest(full=True)
    assert "What this result assumes:" in full and "documentary" in full
    assert max(len(line) for line in [*text.splitlines(), *full.splitlines()]) <= 100


def test_no_module_and_function_share_a_name() -> None:
    """``sim.compare`` is a function, so no module may be called ``compare``; and so on."""
    modules = {m.name for m in pkgutil.iter_modules(sim.__path__)}
    clashes = []
    for name in sorted(modules):
        module = importlib.import_module(f"sim.{name}")
        for attr, value in vars(module).items():
            defined_here = getattr(value, "__module__", "") == module.__name__
            if (
                attr in modules
                and defined_here
                and (inspect.isfunction(value) or inspect.isclass(value))
            ):
                clashes.append(f"sim.{name}.{attr}")
    public = {attr for attr in sim.__all__ if callable(getattr(sim, attr))}
    assert clashes == [] and not public & modules, (clashes, public & modules)
    assert callable(sim.compare) and callable(sim.run) and callable(sim.arrangement_variants)


def test_a_report_from_a_table_in_memory() -> None:
    """A live page can draw the report's answer and figures from a comparison table and its
    scenario definitions, without writing a folder."""
    from sim.replicate.result import Results
    from sim.report.policy import render
    from sim.results.files import comparison_record

    scenario = sim.load_scenario("one-office", ["horizon_days=3"])
    scenarios, labels = sim.arrangement_variants(scenario)
    comparison = sim.compare(scenarios, labels, replications=3, workers=1)
    page = render(comparison.to_results(comparison_record(comparison)))
    assert 'id="answer"' in page and page.count('<img src="data:image/png;base64,') == 2
    with pytest.raises(ValueError, match="one scenario per label"):
        Results(tuple(labels), tuple(scenarios[:1]), comparison.table())
