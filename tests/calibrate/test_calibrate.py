"""``mrasim calibrate``: estimators, the record reader, the fitted file, the CLI contract.

Recovery of known parameters over many seeds is in test_calibrate_recovery.py; this
file checks the pieces: the bootstrap's closed-form maximum likelihood equals
scipy's; the queue reconstruction gives back the engine's own start times; a dirty
record file has every bad row counted under its reason; timestamps and hours give
the same fit; the fitted scenario keeps the template's comments, validates, carries
its ``calibration:`` block and runs with ``run`` and ``compare``; published targets
are met.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from calibration_cases import PORT, coverage, records, rough, truth, write_scenario

import sim
import sim.cli.commands
from sim.calibrate import estimate, reconstruct
from sim.calibrate.from_records import calibrate_records
from sim.calibrate.simulate import Station
from sim.errors import InputError
from sim.model.load import scenario_from_dict
from sim.model.schema import Calibration, FittedField
from sim.plan.compile import compile_plan
from sim.records import read as observed

ROOT = Path(__file__).resolve().parents[2]
NO_SECTION = "\u00a7" + "99.9"  # a section docs/sources.md does not have (spelt so that
# tests/test_sources.py, which checks every citation written in the repository, passes)


def cli(args: list, capsys) -> tuple[int, str, str]:
    status = sim.cli.main([str(a) for a in args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture(scope="module")
def case() -> dict:
    return truth(stations=2, days=21)


@pytest.fixture(scope="module")
def case_records(case) -> pd.DataFrame:
    return records(case, seed=3)


# --- estimators -------------------------------------------------------------------------


@pytest.mark.parametrize("family", estimate.FAMILIES)
def test_closed_form_fit_is_scipys_maximum_likelihood(family):
    """The bootstrap refits with closed forms; they must be the estimator the point uses."""
    rng = np.random.default_rng(7)
    x = rng.gamma(2.0, 1.5, 3000) if family == "gamma" else rng.lognormal(0.3, 0.9, 3000)
    mean, cv = estimate.scipy_fit(family, x)
    closed_mean, closed_cv = estimate.closed_form_fit(family, x[None, :])
    assert closed_mean[0] == pytest.approx(mean, rel=1e-9)
    assert closed_cv[0] == pytest.approx(cv, rel=1e-7)


def test_wilson_and_poisson_intervals_match_their_formulas():
    low, high = estimate.wilson(0, 50, 0.95)
    assert low == pytest.approx(0, abs=1e-12)
    assert high == pytest.approx(3.8415 / (50 + 3.8415), rel=1e-3)
    rate, low, high = estimate.poisson_rate(10, 2.0, 0.95)
    assert rate == 5.0
    # Garwood: chi-square quantiles 9.59078 (2.5%, 20 df) and 36.7807 (97.5%, 22 df), halved
    assert (low, high) == pytest.approx((9.59078 / 4, 36.7807 / 4), rel=1e-5)


def test_concurrency_counts_a_freed_server_starting_again_at_once():
    start = np.array([0.0, 1.0, 1.0, 2.0])
    end = np.array([1.0, 2.0, 3.0, 4.0])
    assert estimate.concurrency(start, end) == 2


# --- the queue reconstruction ---------------------------------------------------------------


def test_reconstruction_gives_back_the_engines_start_times(case, case_records):
    """With the true servers, a replay of the recorded joins and ends restores every start
    the engine recorded once the checks of unrecorded (warm-up) shipments are over (after
    the scenario's warm-up, as calibration assumes); with one fewer it is impossible."""
    plan = compile_plan(scenario_from_dict(copy.deepcopy(case)))
    frame = case_records.sort_values("arrival", kind="stable").reset_index(drop=True)
    visits = frame.documentary_end.notna().to_numpy()
    join = np.maximum(frame.unloaded, frame.lodgement).to_numpy()[visits]
    end = frame.documentary_end.to_numpy()[visits]
    group = frame.group.map({"standard": 0, "national_aeo": 1, "recognised_aeo": 2})
    group = group.to_numpy()[visits]
    order = np.argsort(join, kind="stable")
    station = Station.of(plan.ports[0], plan.calendars, "documentary")
    settled = join.min() + 24.0 * case["warmup_days"]
    servers = case["countries"]["PER"]["ports"]["callao"]["stations"]["documentary"]["servers"]

    def replay(count: int) -> tuple[int, np.ndarray]:
        start = np.empty(len(order))
        waited = reconstruct.replay_starts(
            join[order],
            end[order],
            group[order],
            np.array([count, 0]),
            station.pool_calendar,
            station.pool_serves,
            station.priority[0],
            plan.calendars.starts,
            plan.calendars.ends,
            plan.calendars.offsets,
            settled,
            start,
        )
        return waited, start

    waited, start = replay(servers)
    engine = frame.documentary_start.to_numpy()[visits][order]
    # after the warm-up, and before arrivals go on uncounted (the records do not hold them)
    arrivals_stop = plan.ports[0].window[1]
    after = (join[order] >= settled) & (engine < arrivals_stop)
    assert waited > 0 and after.sum() > 100
    np.testing.assert_array_equal(start[after], engine[after])
    assert replay(servers - 1)[0] == reconstruct.INFEASIBLE


# --- the record file ----------------------------------------------------------------------


def dirty_file(case_records: pd.DataFrame, path: Path) -> dict[str, int]:
    """A record file with every kind of bad row; returns the count expected per reason."""
    frame = case_records.head(400).copy()
    for column in ("country", "port", "group", "channel", "origin", "arrival"):
        frame[column] = frame[column].astype(object)
    expected = {}

    def spoil(rows: slice, why: str, **changes) -> None:
        for column, value in changes.items():
            frame.loc[frame.index[rows], column] = value
        expected[why] = expected.get(why, 0) + (rows.stop - rows.start)

    spoil(slice(0, 3), observed.MISSING, country=None)
    spoil(slice(3, 5), observed.MISSING, release=np.nan)
    spoil(slice(5, 9), observed.UNPARSEABLE, arrival="soon")
    spoil(slice(9, 11), observed.UNKNOWN_GROUP, group="AEO")
    spoil(slice(11, 14), observed.UNKNOWN_CHANNEL, channel="orange")
    spoil(slice(14, 16), observed.UNKNOWN_ORIGIN, origin="Chile")
    spoil(slice(16, 19), observed.UNKNOWN_PORT, port="santos")
    rest = frame.iloc[20:200]  # rows not spoiled above
    yellow = rest.index[rest.channel == "yellow"]
    green = rest.index[rest.channel == "green"]
    frame.loc[yellow[0], "release"] = float(frame.loc[yellow[0], "arrival"]) - 1.0
    expected[observed.RELEASE_FIRST] = 1
    frame.loc[green[0], "documentary_end"] = float(frame.loc[green[0], "release"])
    expected[observed.OFF_ROUTE] = 1
    frame.loc[yellow[1], "documentary_end"] = np.nan
    expected[observed.NO_STATION_TIME] = 1
    end = frame.loc[yellow[2], "documentary_end"]
    frame.loc[yellow[2], "documentary_start"] = end + 0.5
    expected[observed.END_FIRST] = 1
    frame.loc[green[1], "unloaded"] = float(frame.loc[green[1], "arrival"]) - 0.5
    expected[observed.OUT_OF_ORDER] = 1
    duplicate = frame.iloc[[200, 201]].copy()
    frame = pd.concat([frame, duplicate], ignore_index=True)
    expected[observed.DUPLICATE] = 2
    frame.to_csv(path, index=False)
    return expected


def test_dirty_file_counts_every_bad_row_by_reason(tmp_path, case, case_records, capsys):
    path = tmp_path / "dirty.csv"
    expected = dirty_file(case_records, path)
    template = write_scenario(rough(case), tmp_path / "template.yaml")
    out = tmp_path / "fitted.yaml"
    status, stdout, stderr = cli(
        ["calibrate", path, "--scenario", template, "--out", out, "-n", "2", "-w", "1", "-q"],
        capsys,
    )
    assert status == 0, stderr
    quality = pd.read_csv(tmp_path / "fitted.data-quality.csv")
    counts = dict(zip(quality.reason, quality.rows, strict=True))
    for reason in observed.REASONS:
        assert counts[reason] == expected.get(reason, 0), reason
        if expected.get(reason):
            assert reason in stdout
    assert counts["read"] == 402
    assert counts["used"] == 402 - sum(expected.values())
    (entry,) = sim.load_scenario(out).calibration
    assert entry.rows_excluded == expected
    assert entry.rows_used == counts["used"]


def test_no_usable_row_exits_2_with_one_line(tmp_path, case, case_records, capsys):
    frame = case_records.head(20).assign(channel="orange")
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    template = write_scenario(rough(case), tmp_path / "template.yaml")
    args = ["calibrate", path, "--scenario", template, "--out", tmp_path / "f.yaml"]
    status, _, stderr = cli(args, capsys)
    assert status == 2
    assert stderr.count("\n") == 1 and str(path) in stderr and "no usable row" in stderr
    assert "20 unknown channel" in stderr
    assert not (tmp_path / "f.yaml").exists()


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "no such file"),
        (b"\x00\x01\x02 not a table", "cannot read the file"),
        (b"country,port,arrival\nPER,callao,1\n", "required column missing"),
    ],
)
def test_unreadable_file_exits_2_with_one_line(tmp_path, case, capsys, content, problem):
    path = tmp_path / "records.parquet"
    if content is not None:
        path = tmp_path / ("records.csv" if b"," in content else "records.parquet")
        path.write_bytes(content)
    template = write_scenario(rough(case), tmp_path / "template.yaml")
    status, _, stderr = cli(
        ["calibrate", path, "--scenario", template, "--out", tmp_path / "f.yaml"], capsys
    )
    assert status == 2
    assert stderr.count("\n") == 1 and str(path) in stderr and problem in stderr


def test_timestamps_with_offsets_give_the_fit_of_hours(tmp_path, case, case_records):
    """ISO 8601 timestamps, most with UTC offset -03:00 and some in UTC (Z), read to the
    hours the simulation wrote (the records begin after the 7-day warm-up: in the second
    week), so the fit is the same as from hours."""
    template = write_scenario(rough(case), tmp_path / "template.yaml")
    hours = case_records.drop(columns=["replication"])
    hours.to_csv(tmp_path / "hours.csv", index=False)
    monday = pd.Timestamp("2024-03-04T00:00:00")
    stamps = hours.copy()
    for column in [
        c
        for c in hours
        if c in ("arrival", "unloaded", "lodgement", "release") or c.endswith(("_start", "_end"))
    ]:
        local = monday + pd.to_timedelta(hours[column], unit="h")
        stamps[column] = [
            ""
            if pd.isna(t)
            else (t - pd.Timedelta(hours=-3)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            if i % 5 == 0
            else t.strftime("%Y-%m-%dT%H:%M:%S.%f-03:00")
            for i, t in enumerate(local)
        ]
    stamps.to_csv(tmp_path / "stamps.csv", index=False)
    fits = [
        calibrate_records(tmp_path / name, template, replications=1, workers=1)
        for name in ("hours.csv", "stamps.csv")
    ]
    assert "UTC-03:00" in fits[1].records.clock and "2024-03-11" in fits[1].records.clock
    a, b = ({f.path: f.value for f in fit.calibration.fields} for fit in fits)
    assert a.keys() == b.keys()
    for path, value in a.items():
        if isinstance(value, str):
            assert b[path] == value, path
        else:
            assert b[path] == pytest.approx(value, rel=2e-3, abs=1e-6), path


# --- the fitted scenario --------------------------------------------------------------------


@pytest.mark.slow
def test_round_trip_run_records_then_calibrate(tmp_path, capsys):
    """`run --records` output is read as it is; the fitted file keeps the template's comments,
    carries its provenance, contains the generating values within its intervals, and runs
    with `run` and `compare` unchanged."""
    case = truth(stations=2, days=21)
    generator = write_scenario(case, tmp_path / "truth.yaml")
    status, _, err = cli(
        [
            "run",
            generator,
            "-n",
            "2",
            "--seed",
            "5",
            "--out",
            tmp_path / "run",
            "--records",
            "-q",
            "-w",
            "1",
        ],
        capsys,
    )
    assert status == 0, err
    template_text = yaml.safe_dump(rough(case), sort_keys=False).replace(
        "per_day: 100", "per_day: 100  # assumption: a guess before seeing data [F] §2.2"
    )
    template = tmp_path / "template.yaml"
    template.write_text("# The analyst's template.\n" + template_text)
    out, report = tmp_path / "fitted.yaml", tmp_path / "report"
    records_path = tmp_path / "run" / "records.parquet"
    status, stdout, err = cli(
        [
            "calibrate",
            records_path,
            "--scenario",
            template,
            "--out",
            out,
            "--report",
            report,
            "--holdout",
            "0.3",
            "-n",
            "3",
            "-w",
            "1",
        ],
        capsys,
    )
    assert status == 0, err
    assert stdout.splitlines()[0].startswith("PER/callao: fitted to ")
    text = out.read_text()
    assert text.startswith("# The analyst's template.")
    assert "fitted (calibration); was: assumption: a guess before seeing data [F] §2.2" in text
    fitted = sim.load_scenario(out)
    (entry,) = fitted.calibration
    assert entry.method == "records" and entry.source == str(records_path)
    assert entry.sha256 == observed.sha256_of(records_path)
    assert entry.command.startswith("mrasim calibrate ") and "--holdout 0.3" in entry.command
    rows = coverage(fitted, scenario_from_dict(copy.deepcopy(case)))
    missed = [row for row in rows if not row[3]]
    # 95% intervals: with about 55 numbers, more than 8 misses has probability under 0.5%
    assert len(missed) <= 8, missed
    for name in ("report.html", "data-quality.csv", "fit-check.csv", "holdout-check.csv"):
        assert (report / name).exists(), name
    page = (report / "report.html").read_text()
    assert "TRUST THE FIT" in page or "USE WITH CARE" in page or "DO NOT TRUST" in page
    assert "data:image/png;base64," in page
    status, stdout, err = cli(["run", out, "-n", "2", "-w", "1", "--json"], capsys)
    assert status == 0, err
    assert json.loads(stdout)["scenario"] == "template"
    status, _, err = cli(["compare", out, "-n", "2", "-w", "1", "-q"], capsys)
    assert status == 0, err


def test_calibration_block_is_checked():
    good = {
        "method": "records",
        "source": "r.csv",
        "sha256": "a" * 64,
        "template": "t.yaml",
        "date": "2026-01-01T00:00:00+00:00",
        "command": "mrasim calibrate r.csv --scenario t.yaml --out f.yaml",
        "fields": [{"path": f"{PORT}.arrivals.per_day", "value": 10.0, "interval": [9, 11]}],
    }
    assert Calibration.model_validate(good).fields[0].interval == (9.0, 11.0)
    for change in (
        {"sha256": "xyz"},
        {"date": "yesterday"},
        {"method": "guess"},
        {"fields": [{"path": "a", "value": 12.0, "interval": [9, 11]}]},
        {"rows_excluded": {"duplicate declaration id": -1}},
    ):
        with pytest.raises(ValueError):
            Calibration.model_validate(good | change)
    assert FittedField(path="s.servers", value=4, interval=(4, None)).value == 4
    data = truth(stations=1)
    data["calibration"] = [good | {"sha256": "nope"}]
    with pytest.raises(InputError, match=r"calibration\[0\]\.sha256"):
        scenario_from_dict(data)


# --- published targets -------------------------------------------------------------------------


def test_targets_are_met_and_a_refit_gives_the_same_numbers(tmp_path, capsys):
    targets = tmp_path / "targets.yaml"
    targets.write_text(
        yaml.safe_dump(
            {
                "name": "one-office-targets",
                "targets": [
                    {
                        "country": "PER",
                        "port": "callao",
                        "group": "standard",
                        "metric": "clearance_h_mean",
                        "value": 30.0,
                        "tolerance": 0.05,
                        "source": "[F] docs/sources.md §2.2 (a test figure)",
                    },
                    {
                        "country": "PER",
                        "group": "all",
                        "metric": "green_share",
                        "value": 0.7,
                        "tolerance": 0.02,
                        "source": "[F] docs/sources.md §3.3 (a test figure)",
                    },
                ],
            }
        )
    )
    one_office = ROOT / "scenarios" / "one-office.yaml"
    fits = [
        f"{PORT}.lodgement.delay_h.mean=[2,40]",
        f"{PORT}.channels.standard.green=[0.4,0.9]",
    ]
    out = tmp_path / "fitted.yaml"
    args = [
        "calibrate",
        "--targets",
        targets,
        "--scenario",
        one_office,
        "--out",
        out,
        "-n",
        "4",
        "-w",
        "1",
        "--set-not-an-option",
    ]
    status, _, err = cli(args, capsys)
    assert status == 2 and err.count("\n") == 1
    args = [*args[:-1], *(x for f in fits for x in ("--fit", f))]
    status, stdout, err = cli(args, capsys)
    assert status == 0, err
    assert "2 of 2 targets within tolerance" in stdout
    fitted = sim.load_scenario(out)
    (entry,) = fitted.calibration
    assert entry.method == "targets"
    port = fitted.countries["PER"].ports["callao"]
    probabilities = port.channels.standard
    assert probabilities.green + probabilities.yellow + probabilities.red == pytest.approx(1)
    # a refit of the fitted file starts from the same place and lands on the same numbers
    again = tmp_path / "again.yaml"
    status, _, err = cli(
        [*args[: args.index("--out") + 1], again, *args[args.index(out) + 1 :]], capsys
    )
    assert status == 0, err
    first = {f.path: f.value for f in entry.fields}
    second = {f.path: f.value for f in sim.load_scenario(again).calibration[-1].fields}
    assert first == second


def test_bad_targets_and_fit_options_exit_2(tmp_path, capsys):
    one_office = ROOT / "scenarios" / "one-office.yaml"
    target = {
        "country": "PER",
        "group": "all",
        "metric": "green_share",
        "value": 0.7,
        "tolerance": 0.02,
        "source": "[F] docs/sources.md §2.1",
    }
    cases = [
        (
            {**target, "source": "a blog"},
            f"{PORT}.channels.standard.green=[0.4,0.9]",
            "targets[0].source",
        ),
        (
            {**target, "source": f"[F] docs/sources.md {NO_SECTION}"},
            f"{PORT}.channels.standard.green=[0.4,0.9]",
            NO_SECTION,
        ),
        (
            {**target, "metric": "happiness"},
            f"{PORT}.channels.standard.green=[0.4,0.9]",
            "targets[0].metric",
        ),
        (target, f"{PORT}.channels.standard.green=[0.9,0.4]", "LOW < HIGH"),
        (target, f"{PORT}.channels.standard.blue=[0.4,0.9]", "no field 'blue'"),
    ]
    for content, fit, expected in cases:
        path = tmp_path / "targets.yaml"
        path.write_text(yaml.safe_dump({"name": "t", "targets": [content]}))
        status, _, err = cli(
            [
                "calibrate",
                "--targets",
                path,
                "--scenario",
                one_office,
                "--fit",
                fit,
                "--out",
                tmp_path / "f.yaml",
            ],
            capsys,
        )
        assert status == 2 and err.count("\n") == 1 and expected in err, err


def test_the_fit_check_rejects_a_wrong_model(tmp_path, case, case_records):
    """The check can fail: records of the true port against a port whose documentary
    check is 40% slower (everything else true) are not to be trusted; against the true
    port they are."""
    from sim.calibrate.check import check

    truth_scenario = scenario_from_dict(copy.deepcopy(case))
    path = tmp_path / "records.parquet"
    case_records.to_parquet(path)
    records_file = observed.read_records(path, truth_scenario)
    slower = copy.deepcopy(case)
    service = slower["countries"]["PER"]["ports"]["callao"]["stations"]["documentary"]
    service["service_h"]["mean"] *= 1.4
    wrong = check(scenario_from_dict(slower), records_file, "fit period", 10, 1, 1)
    right = check(truth_scenario, records_file, "fit period", 10, 1, 1)
    assert wrong.verdict == "do not trust the fit", wrong.headline
    assert right.verdict == "trust the fit", right.headline
