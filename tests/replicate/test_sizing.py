"""Size before running: expected shipments, peak memory, and the refusal of runs that cannot fit."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from scipy.special import stdtrit

import sim
import sim.cli.commands
from sim.engine.inputs import draw_port
from sim.errors import InputError
from sim.plan.compile import compile_plan
from sim.replicate import sizing

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "one-office.yaml"
PORT = "countries.PER.ports.callao"
HUGE = f"{PORT}.arrivals.per_day=100000000"
"""The issue's example: 3.3 billion shipments per replication, about 730 GB for `run`."""


@pytest.mark.parametrize(
    "overrides",
    [
        [],  # weekly profile
        [f"{PORT}.arrivals.hourly_profile=[{', '.join(['0'] * 8 + ['3'] * 10 + ['1'] * 6)}]"],
        [f"{PORT}.arrivals.batch_size={{dist: uniform, low: 20, high: 60}}", "horizon_days=12.3"],
    ],
    ids=["weekly", "hourly", "batches"],
)
def test_expected_arrivals_match_the_arrivals_drawn(overrides: list[str]) -> None:
    """The expectation lies in the 99.9% Student-t interval of 40 replications' counts.

    A correct expectation fails this with probability 0.1% per case.
    """
    plan = compile_plan(sim.load_scenario(SCENARIO, overrides))
    port = plan.ports[0]
    end = plan.ports[0].window[1]
    counts = np.array([draw_port(end, port, 1, r).n for r in range(40)], dtype=float)
    expected = sizing.expected_arrivals(port, 0.0, end)
    half_width = stdtrit(39, 0.9995) * counts.std(ddof=1) / np.sqrt(40)
    assert abs(counts.mean() - expected) <= half_width, (counts.mean(), expected, half_width)


MEASURE = textwrap.dedent(
    """
    import sys
    import sim
    from sim.engine import compiled as engine_numba
    from sim.replicate import sizing
    from sim.indicators.layout import Layout
    from sim.plan.compile import compile_plan
    from sim.replicate.runner import indicator_vectors
    from sim.model.variants import arrangement_variants

    def status(field):
        for line in open("/proc/self/status"):
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024

    def plans(overrides):  # --compare: with and without the arrangement, as compare runs
        scenario = sim.load_scenario(sys.argv[1], [o for o in overrides if o != "--compare"])
        scenarios = arrangement_variants(scenario)[0] if "--compare" in overrides else [scenario]
        return [compile_plan(s) for s in scenarios]

    warm = plans(["horizon_days=1", "warmup_days=0", *sys.argv[2:]])  # small: compiles only
    indicator_vectors(warm, [Layout.of(p) for p in warm], "numba", 1, 0)  # load compiled code
    measured = plans(sys.argv[2:])
    layouts = [Layout.of(p) for p in measured]
    estimate = sizing.estimate(measured).worker_bytes
    before = status("VmRSS")
    # forget the peak so far: compiling (on a cold numba cache) can use more than a replication
    open("/proc/self/clear_refs", "w").write("5")
    indicator_vectors(measured, layouts, "numba", 1, 0)  # what a worker does for a replication
    print(estimate, status("VmHWM") - before)
    """
)


STAFFED = [f"{PORT}.stations.documentary.servers=1600", f"{PORT}.stations.physical.servers=2700"]
"""Staff for 45,000 shipments a day at one-office's loads (about 0.8): a station loaded past
its capacity would keep arrivals going for weeks after the window (its backlog)."""


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
@pytest.mark.parametrize(
    "overrides",
    [
        [f"{PORT}.arrivals.per_day=45000", *STAFFED],
        [  # every shipment visits both stations: the engine's temporaries at their largest
            f"{PORT}.arrivals.per_day=30000",
            f"{PORT}.channels={{standard: {{green: 0, yellow: 0, red: 1}}}}",
            *(
                f"{PORT}.stations.{station}="
                "{servers: 16, service_h: {dist: exponential, mean: 0.01}}"
                for station in ("documentary", "physical")
            ),
        ],
        ["--compare", f"{PORT}.arrivals.per_day=45000", *STAFFED],
    ],
    ids=["one-office", "all-red", "compared"],
)
def test_estimate_bounds_the_measured_peak(overrides: list[str]) -> None:
    """A replication of 1-1.5 million shipments in a fresh process: the estimate must lie
    above the peak resident memory it added (it is a limit) and within twice it (useful)."""
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, str(SCENARIO), *overrides],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    estimate, measured = (float(x) for x in result.stdout.split())
    assert measured > 100e6, "too small a replication to measure"
    assert measured <= estimate <= 2 * measured, (estimate, measured)


# --- fitting workers to memory -------------------------------------------------------


def size_of(worker_gb: float, parent_gb: float = 0.0) -> sizing.Size:
    return sizing.Size(1e6, 9e5, worker_gb * 1e9, parent_gb * 1e9, 0.0)


MEMORY = (10e9, "MemAvailable in /proc/meminfo")
"""Ten gigabytes, of which a run may use nine."""


def test_default_workers_are_lowered_to_what_fits() -> None:
    assert sizing.fit_workers(size_of(2.9), None, 8, "s", MEMORY) == 3
    assert sizing.fit_workers(size_of(0.5), None, 8, "s", MEMORY) == 8


def test_workers_asked_for_that_do_not_fit_are_refused() -> None:
    with pytest.raises(InputError) as caught:
        sizing.fit_workers(size_of(2.9), 4, 4, "s.yaml", MEMORY)
    message = str(caught.value)
    assert message.startswith("s.yaml: size: about 1,000,000 shipments per replication")
    assert "4 workers need 11.7 GB but 10.0 GB is available (MemAvailable" in message
    assert message.endswith("run with --workers 3")


def test_a_run_that_cannot_fit_one_worker_is_refused() -> None:
    with pytest.raises(InputError) as caught:
        sizing.fit_workers(size_of(8.0, parent_gb=2.0), None, 2, "s.yaml", MEMORY)
    assert "one worker needs 10.0 GB but 10.0 GB is available" in str(caught.value)
    assert str(caught.value).endswith("lower arrivals.per_day or horizon_days")


def test_cgroup_room_is_limit_minus_usage(tmp_path: Path) -> None:
    (tmp_path / "memory.max").write_text("4000000000\n")
    (tmp_path / "memory.current").write_text("1500000000\n")
    assert sizing._room(tmp_path, "memory.max", "memory.current") == 2.5e9
    (tmp_path / "memory.max").write_text("max\n")
    assert sizing._room(tmp_path, "memory.max", "memory.current") is None


# --- the commands -----------------------------------------------------------------------


@pytest.mark.parametrize("command", ["run", "compare"])
def test_a_run_too_big_is_refused_before_allocating(command: str) -> None:
    """Exit 2 and one line, from a process whose peak memory stays far below the terabyte
    the run would need."""
    process = subprocess.Popen(
        [sys.executable, "-m", "sim.cli", command, str(SCENARIO), "--set", HUGE],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 2, stderr
    assert stdout == ""
    assert stderr.count("\n") == 1 and "Traceback" not in stderr
    plans = [compile_plan(sim.load_scenario(SCENARIO, [HUGE]))] * {"run": 1, "compare": 2}[command]
    shipments = f"{sizing.estimate(plans).shipments:,.0f}"  # both scenarios' for compare
    assert stderr.startswith(f"mrasim: {SCENARIO}: size: about {shipments} shipments")
    assert re.search(r"peak memory about [\d.]+ [kMGTP]?B per worker", stderr), stderr
    assert "available" in stderr
    assert stderr.rstrip().endswith("lower arrivals.per_day or horizon_days")


def test_experiment_and_calibrate_size_before_running(tmp_path: Path) -> None:
    """The experiment's largest point, and calibrate's template, are sized before any work:
    exit 2, one line naming the file, and no output folder or fitted file."""
    experiment = tmp_path / "big.yaml"
    experiment.write_text(
        f"name: big\nscenario: {SCENARIO}\ndesign: {{type: grid}}\n"
        "factors: {countries.PER.ports.callao.arrivals.per_day: [100, 100000000]}\n"
        "replications: 2\nseed: 1\n"
    )
    template = tmp_path / "template.yaml"
    text = (ROOT / "calibration" / "sample-template.yaml").read_text()
    template.write_text(text.replace("per_day: ", "per_day: 100000000 #", 1))
    records = ROOT / "calibration" / "sample-records.csv"
    commands = {
        experiment: ["experiment", str(experiment), "--out", str(tmp_path / "out")],
        template: [
            "calibrate",
            str(records),
            "--scenario",
            str(template),
            "--out",
            str(tmp_path / "fitted.yaml"),
        ],
    }
    for source, command in commands.items():
        process = subprocess.run(
            [sys.executable, "-m", "sim.cli", *command], cwd=ROOT, capture_output=True, text=True
        )
        assert process.returncode == 2, process.stderr
        assert process.stderr.count("\n") == 1 and "Traceback" not in process.stderr
        assert process.stderr.startswith(f"mrasim: {source}: size: about ")
        assert process.stderr.rstrip().endswith("lower arrivals.per_day or horizon_days")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.yaml", "template.yaml"]


REFUSED_PEAK = textwrap.dedent(
    """
    import sys
    import sim.cli
    status = sim.cli.main(sys.argv[1:])
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            print(int(line.split()[1]) * 1024)
    sys.exit(status)
    """
)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_the_refusal_allocates_nothing() -> None:
    """Peak resident memory (VmHWM) of the refused command's own process. Not wait4's
    ru_maxrss: Linux carries the forking parent's peak (pytest's, which grows over the
    suite) into an exec'd child's."""
    result = subprocess.run(
        [sys.executable, "-c", REFUSED_PEAK, "run", str(SCENARIO), "--set", HUGE],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2, result.stderr
    assert int(result.stdout.split()[-1]) < 1e9  # the run would need about 730 GB


def test_the_python_api_refuses_too() -> None:
    scenario = sim.load_scenario(SCENARIO, [HUGE])
    shipments = sizing.estimate([compile_plan(sim.load_scenario(SCENARIO, [HUGE]))]).shipments
    with pytest.raises(InputError, match=f"one-office: size: about {shipments:,.0f} shipments"):
        sim.run(scenario, replications=2, workers=1)


def test_validate_prints_shipments_and_memory(capsys: pytest.CaptureFixture[str]) -> None:
    assert sim.cli.main(["validate", str(SCENARIO)]) == 0
    size = sizing.estimate([compile_plan(sim.load_scenario(SCENARIO))])
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith(f"size: about {size.shipments:,.0f} shipments per replication")
    assert f"({size.counted:,.0f} counted)" in last
    assert f"peak memory about {sizing.human_bytes(size.worker_bytes)} per worker" in last
    assert "available (" in last
