"""What ``run`` and ``compare`` print: it fits 100 columns, ends with the answer, says what it
assumes and how it was made, and obeys the filters; and the quick fixes of issue 10."""

from __future__ import annotations

import hashlib
import json
import re
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
import yaml
from helpers import area_row, assert_printed

import sim.cli.commands
import sim.replicate.jit

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "one-office.yaml"
FAST = ["-w", "1", "--set", "horizon_days=4"]


def mrasim(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    status = sim.cli.main([str(a) for a in args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture(scope="module")
def two_countries(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """one-office with Chile importing through a copy of Callao (Chile states no clock)."""
    data = yaml.safe_load(SCENARIO.read_text())
    port = dict(data["countries"]["PER"]["ports"]["callao"])
    port["origins"] = {"CHN": 0.5, "PER": 0.2, "BRA": 0.1, "ARG": 0.1, "OTHER": 0.1}
    data["countries"]["CHL"]["ports"] = {"valparaiso": port}
    path = tmp_path_factory.mktemp("terminal") / "two-countries.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


# --- fits the terminal -------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["compare", "{two}", "-n", "3"],
        ["compare", "{two}", "-n", "3", "--utilisation", "0.25,0.5,1"],
        ["run", "{two}", "-n", "3"],
    ],
    ids=["compare", "sweep", "run"],
)
def test_output_fits_100_columns(
    args: list[str],
    two_countries: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    status, out, _ = mrasim(capsys, *(a.replace("{two}", str(two_countries)) for a in args), *FAST)
    assert status == 0
    widest = max(out.splitlines(), key=len)
    assert len(widest) <= 100, widest


def test_a_narrower_terminal_gets_narrower_tables(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    status, out, _ = mrasim(capsys, "compare", SCENARIO, "-n", "3", *FAST)
    assert status == 0
    assert max(len(line) for line in out.splitlines()) <= 80


def test_compare_ends_with_the_answer_whose_numbers_are_the_tables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    status, out, _ = mrasim(capsys, "compare", SCENARIO, "-n", "4", *FAST, "--out", tmp_path)
    assert status == 0
    answer = out[out.index("The answer") :]
    assert out.index("The answer") > out.index("clearance h mean"), "the answer comes last"
    assert answer.index("What this result assumes:") < answer.index("replications as asked")
    table = pd.read_csv(tmp_path / "comparison.csv")

    def cell(metric: str, group: str = "eligible", kind: str = "difference") -> pd.Series:
        return area_row(
            table, kind=kind, scenario="with", country="PER", group=group, metric=metric
        )

    peru = next(line for line in answer.splitlines() if line.startswith("Peru"))
    hours, unit, _, relative, _, green, _, _, _, money, _ = peru.split()[1:]
    change = cell("clearance_h_mean")
    assert_printed(hours, change["mean"] * (60 if unit == "min" else 1))
    assert_printed(green, 100 * cell("green_share")["mean"])
    baseline = area_row(
        table,
        kind="value",
        scenario="without",
        country="PER",
        group="eligible",
        metric="clearance_h_mean",
    )
    assert_printed(relative.rstrip("%"), 100 * change["mean"] / baseline["mean"])
    saving = -cell("delay_cost_usd_1.3pct", group="all")["mean"]
    saving *= cell("shipments", group="all", kind="value")["mean"] / 4 * 365
    assert_printed(money, saving)
    sentence = " ".join(answer.split("\n\n")[1].split())
    found = re.search(r"clear ([0-9.]+) (h|min) \(([0-9.]+)%\) sooner", sentence)
    assert found is not None, sentence
    assert_printed(found.group(1), -change["mean"] * (60 if found.group(2) == "min" else 1))
    assert_printed(found.group(3), -100 * change["mean"] / baseline["mean"])


# --- filters --------------------------------------------------------------------------


def test_filters_narrow_the_tables_and_the_json(
    two_countries: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    filters = ["--country", "CHL", "--group", "eligible", "--metric", "clearance_h_mean"]
    status, out, _ = mrasim(capsys, "compare", two_countries, "-n", "2", *FAST, *filters)
    assert status == 0
    tables = out[: out.index("The answer")]
    assert "CHL" in tables and "PER" not in tables and "region" not in tables
    assert "green share" not in tables and "standard" not in tables
    status, out, _ = mrasim(capsys, "compare", two_countries, "-n", "2", *FAST, *filters, "--json")
    rows = json.loads(out)["summary"]
    assert rows and {(r["country"], r["group"], r["metric"]) for r in rows} == {
        ("CHL", "eligible", "clearance_h_mean")
    }
    status, out, _ = mrasim(capsys, "run", two_countries, "-n", "2", *FAST, "--country", "PER")
    assert status == 0 and "CHL" not in out


@pytest.mark.parametrize(
    ("flag", "value", "problem"),
    [
        ("--country", "BRA", "not a country of this scenario; choose from Peru"),
        ("--country", "Narnia", "not a country of this scenario; choose from Peru"),
        ("--group", "aeo", "not in the results"),
        ("--metric", "clearance_mean", "not in the results"),
    ],
)
def test_a_filter_that_names_nothing_is_bad_input(
    flag: str, value: str, problem: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = mrasim(capsys, "run", SCENARIO, "-n", "2", *FAST, flag, value)
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith(f"mrasim: {flag}: {value}: {problem}")


# --- what the terminal says besides the tables ---------------------------------------------


def test_one_replication_warns_that_there_is_no_interval(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, _, err = mrasim(capsys, "run", SCENARIO, "-n", "1", *FAST)
    assert status == 0 and "1 replication gives no confidence interval" in err
    status, _, err = mrasim(capsys, "run", SCENARIO, "-n", "1", *FAST, "-q")
    assert status == 0 and err == ""


def test_precision_outcome_is_one_stderr_line_even_when_quiet(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["run", SCENARIO, "-n", "2", *FAST, "--precision", "0.5", "-q"]
    status, out, err = mrasim(capsys, *args)
    assert status == 0 and out.strip()
    assert re.fullmatch(r"mrasim: precision 0\.5 reached after \d+ replications\n", err), err


def test_a_cold_cache_announces_the_compilation(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sim.replicate.jit, "cache_is_cold", lambda: True)
    status, _, err = mrasim(capsys, "run", SCENARIO, "-n", "2", *FAST)
    assert status == 0 and "compiling (first run only" in err
    status, _, err = mrasim(capsys, "run", SCENARIO, "-n", "2", *FAST, "-q")
    assert err == ""


def test_cache_is_cold_until_a_function_is_compiled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real numba dispatcher in a module of its own: cold before its first call, warm after."""
    import importlib
    import sys

    (tmp_path / "freshly_jitted.py").write_text(
        textwrap.dedent(
            """
            from numba import njit

            @njit(cache=True)
            def twice(x):
                return 2 * x
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("freshly_jitted")
    monkeypatch.setattr(sim.replicate.jit, "_compiled_modules", lambda: (module,))
    try:
        assert sim.replicate.jit.cache_is_cold()
        assert module.twice(2) == 4  # compiles and writes the cache
        assert not sim.replicate.jit.cache_is_cold()
    finally:
        sys.modules.pop("freshly_jitted", None)


def test_compiling_everything_compiles_every_checked_function() -> None:
    """In a new process (loading from the cache, so fast): after ``warm_up`` every
    function ``cache_is_cold`` checks has been compiled or loaded, so a first run of a small
    scenario leaves no function out of the cache and the notice does not come back."""
    import subprocess
    import sys

    code = textwrap.dedent(
        """
        import inspect
        import sim.replicate.jit

        sim.replicate.jit.warm_up()
        found = list(sim.replicate.jit.dispatchers())
        ran = [d for d in found if d.signatures]
        # a function called only from compiled code is compiled (and cached) with its
        # caller, and so are the functions it calls, however deep
        reached = {d.__name__ for d in ran}
        while True:
            sources = [inspect.getsource(d.py_func) for d in found if d.__name__ in reached]
            called = {d.__name__ for d in found if any(d.__name__ + "(" in s for s in sources)}
            if called <= reached:
                break
            reached |= called
        missing = [d.__name__ for d in found if d.__name__ not in reached]
        print(len(found), missing)
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    count, missing = done.stdout.split(" ", 1)
    assert int(count) >= 8 and missing.strip() == "[]", done.stdout


def test_the_progress_bar_is_labelled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stderr.isatty", lambda: True, raising=False)
    args = SimpleNamespace(quiet=False, json=False, replications=5)
    progress = sim.cli.commands._progress(args, "one-office: replications")
    advance = progress.__enter__()
    try:
        assert progress.bar is not None and progress.bar.desc == "one-office: replications"
        advance(1)
    finally:
        progress.__exit__(None, None, None)


# --- provenance and assumptions in every output ----------------------------------------------


def test_json_carries_provenance_and_assumptions(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = mrasim(
        capsys,
        "compare",
        SCENARIO,
        "-n",
        "2",
        *FAST,
        "--seed",
        "5",
        "--json",
        "--metric",
        "shipments",
    )
    assert status == 0
    record = json.loads(out)
    made = record["provenance"]
    assert made["mrasim_version"] == sim.__version__
    assert made["scenario_files"] == [
        {
            "name": "one-office",
            "path": str(SCENARIO),
            "sha256": hashlib.sha256(SCENARIO.read_bytes()).hexdigest(),
            "overrides": ["horizon_days=4"],
        }
    ]
    assert made["overrides"] == ["horizon_days=4"]
    assert (made["seed"], made["engine"], made["replications"]) == (5, "numba", 2)
    assert made["command"].startswith("mrasim compare ") and "--seed 5" in made["command"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", made["date"])
    topics = [a["topic"] for a in record["assumptions"]]
    assert topics == [
        "utilisation",
        "recognition",
        "declared values",
        "clock",
        "cost of delay",
        "overrides",
    ]
    assert "horizon_days=4" in record["assumptions"][-1]["text"]
    (sentence,) = record["answer"]["sentences"]
    assert sentence.startswith("With the arrangement in force and 40% of eligible shipments")
    (row,) = record["answer"]["rows"]
    assert row["country"] == "PER" and row["scenario"] == "with"
    low_mean_high = row["eligible_clearance_change_h"]
    assert low_mean_high[1] <= low_mean_high[0] <= low_mean_high[2]


def test_run_json_file_has_the_same_provenance(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, _ = mrasim(capsys, "run", SCENARIO, "-n", "2", *FAST, "-q", "--out", tmp_path)
    assert status == 0
    meta = json.loads((tmp_path / "run.json").read_text())
    assert meta["provenance"]["scenario_files"][0]["sha256"] == (
        hashlib.sha256(SCENARIO.read_bytes()).hexdigest()
    )
    assert meta["provenance"]["command"].startswith("mrasim run ")


def test_the_placeholder_utilisation_is_said_to_be_one(capsys: pytest.CaptureFixture[str]) -> None:
    """The bundled regional scenario marks its utilisation as a placeholder; the footer says so
    (checked on the scenario's assumptions, without running its 50 ports)."""
    from sim.interpret.assumptions import assumptions_of

    regional = sim.load_scenario("lac-regional")
    (utilisation, *_) = assumptions_of(["run"], [regional])
    assert "placeholder in the bundled scenario lac-regional.yaml" in utilisation.text
    overridden = sim.load_scenario("lac-regional", ["arrangement.utilisation=0.7"])
    (utilisation, *_) = assumptions_of(["run"], [overridden])
    assert "70% (set by arrangement.utilisation=0.7)" in utilisation.text


def test_no_declared_value_no_cost(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    unset = ["--set", "countries.PER.ports.callao.value_usd=null"]
    status, out, _ = mrasim(capsys, "validate", SCENARIO, *unset)
    assert status == 0 and "declared value per shipment: none (no cost of delay computed)" in out
    status, out, _ = mrasim(capsys, "validate", SCENARIO)
    assert "declared value per shipment: USD 50,000" in out
    status, out, _ = mrasim(
        capsys, "compare", SCENARIO, "-n", "2", *FAST, *unset, "--out", tmp_path
    )
    assert status == 0
    assert "no declared value: cost of delay not computed" in out
    assert "cost USD/shipment" not in out
    table = pd.read_parquet(tmp_path / "comparison.parquet")
    assert not table["metric"].str.startswith("delay_cost").any()
    page = sim.write_report(tmp_path).read_text(encoding="utf-8")
    assert "No declared value: cost of delay not computed." in page
