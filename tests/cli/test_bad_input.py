"""Bad input of any kind exits with status 2 and ONE stderr line: file (or option), field, problem.

Each test starts from the valid minimal scenario ``BASE``, breaks one thing,
and checks the whole contract: status 2, a single line on stderr (never a
traceback), the file or option named, the exact dotted field path, and a word
of the problem.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import yaml

import sim
import sim.cli.commands
from sim.model.load import apply_override, scenario_from_dict

PORT = "countries.PER.ports.callao"
STATION = f"{PORT}.stations.documentary"
EXPONENTIAL = {"dist": "exponential", "mean": 1}
DELETE = object()
"""Marker for a mutation that removes a field."""

BASE: dict[str, Any] = {
    "name": "tiny",
    "horizon_days": 1,
    "calendars": {
        "office": {"days": ["mon", "tue", "wed", "thu", "fri"], "hours": ["08:00-17:00"]}
    },
    "countries": {
        "PER": {
            "ports": {
                "callao": {
                    "mode": "sea",
                    "arrivals": {"per_day": 20, "weekly_profile": [1, 1, 1, 1, 1, 1, 1]},
                    "origins": {"CHN": 0.5, "OTHER": 0.5},
                    "channels": {"standard": {"green": 0.6, "yellow": 0.3, "red": 0.1}},
                    "routes": {"yellow": ["documentary"], "red": ["documentary"]},
                    "stations": {
                        "documentary": {
                            "servers": 2,
                            "calendar": "office",
                            "service_h": {"dist": "exponential", "mean": 0.5},
                        }
                    },
                }
            }
        }
    },
}

VALIDATE = ["validate"]
RUN = ["run", "-n", "1", "-q", "--workers", "1"]


# --- helpers ------------------------------------------------------------------


def mutated(changes: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of BASE with each dotted path set to its value (or removed with DELETE)."""
    data = copy.deepcopy(BASE)
    for path, value in changes.items():
        *parents, last = path.split(".")
        node = data
        for key in parents:
            node = node[key]
        if value is DELETE:
            del node[last]
        else:
            node[last] = value
    return data


def write(tmp_path: Path, content: dict[str, Any] | str | bytes, name: str = "s.yaml") -> Path:
    """Write a scenario (data as YAML in insertion order, or raw text/bytes) and return its path."""
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_text(yaml.safe_dump(content, sort_keys=False), encoding="utf-8")
    return path


class Outcome(NamedTuple):
    status: int
    out: str
    err: str


def cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> Outcome:
    """Run ``mrasim`` in-process; return its status, stdout and stderr."""
    status = sim.cli.main(args)
    captured = capsys.readouterr()
    return Outcome(status, captured.out, captured.err)


def command(kind: list[str], path: Path, *extra: str) -> list[str]:
    """``validate PATH ...`` or ``run PATH -n 1 ...``."""
    return [kind[0], str(path), *kind[1:], *extra]


def assert_one_line(result: Outcome, *needles: str) -> None:
    """Status 2, nothing on stdout, one non-traceback line on stderr containing every needle."""
    status, out, err = result
    assert status == 2, err
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1, f"not one line: {err!r}"
    assert "Traceback" not in err
    for needle in needles:
        assert needle in err, f"{needle!r} not in {err!r}"


def assert_field_error(result: Outcome, source: str, field: str, word: str) -> None:
    """One line naming ``source``, then exactly ``field``, then a problem containing ``word``."""
    assert_one_line(result, f"{source}: {field}: ")
    problem = result.err.split(f"{source}: {field}: ", 1)[1]
    assert word.lower() in problem.lower(), f"{word!r} not in problem {problem!r}"


# --- the base scenario is valid (so that each mutation is what breaks it) ---


@pytest.mark.parametrize("kind", [VALIDATE, RUN], ids=["validate", "run"])
def test_base_scenario_is_valid(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: list[str]
) -> None:
    result = cli(command(kind, write(tmp_path, BASE)), capsys)
    assert result.status == 0, result.err
    assert result.err == ""


# --- one rule each: (mutation, field path, a word of the problem) -----------------

CASES: dict[str, tuple[dict[str, Any], str, str]] = {
    # unknown fields, with a hint
    "unknown-top": ({"nmae": "x"}, "nmae", "did you mean 'name'"),
    "unknown-station-field": ({f"{STATION}.srvers": 2}, f"{STATION}.srvers", "unknown field"),
    "unknown-calendar-field": ({"calendars.office.tz": "UTC"}, "calendars.office.tz", "unknown"),
    "unknown-distribution-field": (
        {f"{STATION}.service_h": {"dist": "exponential", "mean": 1, "cv": 1}},
        f"{STATION}.service_h.cv",
        "unknown field",
    ),
    # missing fields
    "missing-name": ({"name": DELETE}, "name", "missing"),
    "missing-servers": ({f"{STATION}.servers": DELETE}, f"{STATION}.servers", "missing"),
    "missing-standard-channels": (
        {f"{PORT}.channels": {"national_aeo": {"green": 1, "yellow": 0, "red": 0}}},
        f"{PORT}.channels.standard",
        "missing",
    ),
    "missing-cv": (
        {f"{STATION}.service_h": {"dist": "lognormal", "mean": 1}},
        f"{STATION}.service_h.cv",
        "missing",
    ),
    "cv-below-fixed": (  # a gamma's cv of 2e-284 once squared to zero (found by fuzzing)
        {f"{STATION}.service_h": {"dist": "gamma", "mean": 1, "cv": 2e-284}},
        f"{STATION}.service_h.cv",
        "use dist: deterministic",
    ),
    # wrong types
    "type-per-day": ({f"{PORT}.arrivals.per_day": "many"}, f"{PORT}.arrivals.per_day", "number"),
    "type-route": ({f"{PORT}.routes.red": "documentary"}, f"{PORT}.routes.red", "list"),
    "type-seed": ({"seed": 1.5}, "seed", "integer"),
    "type-in-force": ({"arrangement": {"in_force": "maybe"}}, "arrangement.in_force", "boolean"),
    "type-weekly": (
        {f"{PORT}.arrivals.weekly_profile": "flat"},
        f"{PORT}.arrivals.weekly_profile",
        "list",
    ),
    "type-hours-item": ({"calendars.office.hours": [8]}, "calendars.office.hours[0]", "string"),
    "type-port-null": ({PORT: None}, PORT, "dictionary"),
    "type-mode": ({f"{PORT}.mode": "ferry"}, f"{PORT}.mode", "'sea'"),
    "unknown-dist": (
        {f"{STATION}.service_h": {"dist": "weibull", "mean": 1}},
        f"{STATION}.service_h.dist",
        "unknown distribution",
    ),
    "no-dist": ({f"{STATION}.service_h": {"mean": 1}}, f"{STATION}.service_h", "dist"),
    # probabilities that do not sum to 1 (within 1e-9)
    "channels-sum": (
        {f"{PORT}.channels.standard.red": 0.2},
        f"{PORT}.channels.standard",
        "sum to 1",
    ),
    "channels-sum-just-over-tolerance": (
        {f"{PORT}.channels.standard.red": 0.1 + 2e-9},
        f"{PORT}.channels.standard",
        "1.000000002",
    ),
    "channels-sum-national": (
        {f"{PORT}.channels.national_aeo": {"green": 0.5, "yellow": 0.5, "red": 0.5}},
        f"{PORT}.channels.national_aeo",
        "sum to 1",
    ),
    "origins-sum": ({f"{PORT}.origins": {"CHN": 0.5, "OTHER": 0.6}}, f"{PORT}.origins", "sum to 1"),
    # shares outside [0, 1]
    "share-above-one": (
        {f"{PORT}.national_aeo_share": 1.5},
        f"{PORT}.national_aeo_share",
        "less than or equal to 1",
    ),
    "share-negative": (
        {f"{PORT}.national_aeo_share": -0.1},
        f"{PORT}.national_aeo_share",
        "greater than or equal to 0",
    ),
    "share-utilisation": (
        {"arrangement": {"utilisation": 2}},
        "arrangement.utilisation",
        "less than or equal to 1",
    ),
    "share-exporter": (
        {"countries.PER.aeo_exporter_share": -0.5},
        "countries.PER.aeo_exporter_share",
        "greater than or equal to 0",
    ),
    "share-pre-arrival": (
        {
            f"{PORT}.lodgement": {
                "pre_arrival_share": {"standard": 1.2},
                "delay_h": {"dist": "exponential", "mean": 1},
            }
        },
        f"{PORT}.lodgement.pre_arrival_share.standard",
        "less than or equal to 1",
    ),
    "share-channel": (
        {f"{PORT}.channels.standard": {"green": 1.1, "yellow": 0, "red": -0.1}},
        f"{PORT}.channels.standard.green",
        "less than or equal to 1",
    ),
    # servers: a positive integer
    "servers-zero": ({f"{STATION}.servers": 0}, f"{STATION}.servers", "greater than 0"),
    "servers-negative": ({f"{STATION}.servers": -1}, f"{STATION}.servers", "greater than 0"),
    "servers-fraction": ({f"{STATION}.servers": 2.5}, f"{STATION}.servers", "integer"),
    "servers-string": ({f"{STATION}.servers": "2"}, f"{STATION}.servers", "integer"),
    "servers-bool": ({f"{STATION}.servers": True}, f"{STATION}.servers", "integer"),
    "servers-reserved": (
        {f"{STATION}.reserved": {"servers": 0, "groups": ["national_aeo"]}},
        f"{STATION}.reserved.servers",
        "greater than 0",
    ),
    # references: stations and calendars that must exist
    "route-undefined-station": (
        {f"{PORT}.routes.red": ["documentary", "physical"]},
        f"{PORT}.routes.red[1]",
        "'physical' is not defined",
    ),
    "calendar-undefined-station": (
        {f"{STATION}.calendar": "night"},
        f"{STATION}.calendar",
        "'night' is not defined",
    ),
    "calendar-undefined-reserved": (
        {f"{STATION}.reserved": {"servers": 1, "calendar": "night", "groups": ["national_aeo"]}},
        f"{STATION}.reserved.calendar",
        "'night' is not defined",
    ),
    "calendar-undefined-delay": (
        {f"{PORT}.delays": {"release_h": {"dist": "exponential", "mean": 1, "calendar": "night"}}},
        f"{PORT}.delays.release_h.calendar",
        "'night' is not defined",
    ),
    # ISO 3166 alpha-3 codes (and OTHER for origins only)
    "country-code": ({"countries": {"XXX": BASE["countries"]["PER"]}}, "countries.XXX", "ISO 3166"),
    "country-lower-case": (
        {"countries": {"per": BASE["countries"]["PER"]}},
        "countries.per",
        "ISO 3166",
    ),
    "country-other": (
        {"countries": {"OTHER": BASE["countries"]["PER"]}},
        "countries.OTHER",
        "ISO 3166",
    ),
    "origin-code": (
        {f"{PORT}.origins": {"CHN": 0.5, "ZZZ": 0.5}},
        f"{PORT}.origins.ZZZ",
        "ISO 3166",
    ),
    "member-code": (
        {"arrangement": {"members": ["PER", "QQQ"]}},
        "arrangement.members[1]",
        "ISO 3166",
    ),
    # calendars
    "calendar-no-days": (
        {"calendars.office.days": []},
        "calendars.office.days",
        "at least one day",
    ),
    "calendar-bad-day": (
        {"calendars.office.days": ["mon", "funday"]},
        "calendars.office.days[1]",
        "'funday' is not allowed",
    ),
    "calendar-no-hours": ({"calendars.office.hours": []}, "calendars.office.hours", "at least one"),
    "hours-form": ({"calendars.office.hours": ["8-17"]}, "calendars.office.hours", "HH:MM-HH:MM"),
    "hours-past-24": (
        {"calendars.office.hours": ["08:00-25:00"]},
        "calendars.office.hours",
        "not a valid time range",
    ),
    "hours-24-30": (
        {"calendars.office.hours": ["08:00-24:30"]},
        "calendars.office.hours",
        "not a valid time range",
    ),
    "hours-minute-60": (
        {"calendars.office.hours": ["09:60-10:00"]},
        "calendars.office.hours",
        "not a valid time range",
    ),
    # distribution parameters
    "triangular-order": (
        {f"{STATION}.service_h": {"dist": "triangular", "low": 2, "mode": 1, "high": 3}},
        f"{STATION}.service_h",
        "low <= mode <= high",
    ),
    "uniform-order": (
        {f"{STATION}.service_h": {"dist": "uniform", "low": 3, "high": 1}},
        f"{STATION}.service_h",
        "must be below high",
    ),
    "empirical-quantiles-start": (
        {f"{STATION}.service_h": {"dist": "empirical", "quantiles": {0.1: 1, 1: 2}}},
        f"{STATION}.service_h",
        "from probability 0",
    ),
    "empirical-quantiles-end": (
        {f"{STATION}.service_h": {"dist": "empirical", "quantiles": {0: 1, 0.9: 2}}},
        f"{STATION}.service_h",
        "to probability 1",
    ),
    "empirical-quantiles-not-increasing": (
        {f"{STATION}.service_h": {"dist": "empirical", "quantiles": {0: 1, 0.5: 2, 0.3: 3, 1: 4}}},
        f"{STATION}.service_h",
        "probabilities must increase",
    ),
    "empirical-times-decreasing": (
        {f"{STATION}.service_h": {"dist": "empirical", "quantiles": {0: 1, 0.5: 3, 1: 2}}},
        f"{STATION}.service_h",
        "must not decrease",
    ),
    "negative-mean-by-group": (
        {f"{STATION}.service_h": {"standard": {"dist": "exponential", "mean": -1}}},
        f"{STATION}.service_h.standard.mean",
        "greater than 0",
    ),
    # arrival profiles
    "weekly-profile-short": (
        {f"{PORT}.arrivals.weekly_profile": [1] * 6},
        f"{PORT}.arrivals.weekly_profile",
        "7",
    ),
    "weekly-profile-long": (
        {f"{PORT}.arrivals.weekly_profile": [1] * 8},
        f"{PORT}.arrivals.weekly_profile",
        "7",
    ),
    "weekly-profile-negative": (
        {f"{PORT}.arrivals.weekly_profile": [1, 1, 1, 1, 1, 1, -1]},
        f"{PORT}.arrivals.weekly_profile[6]",
        "greater than or equal",
    ),
    "hourly-profile-short": (
        {f"{PORT}.arrivals.hourly_profile": [1] * 23},
        f"{PORT}.arrivals.hourly_profile",
        "24",
    ),
    # stage times per channel, the broker's calendar, shared port defaults
    "delay-channels-beside-groups": (
        {f"{PORT}.delays": {"release_h": {"red": EXPONENTIAL, "standard": EXPONENTIAL}}},
        f"{PORT}.delays.release_h",
        "channels and groups cannot sit side by side",
    ),
    "delay-channel-unknown-dist": (
        {f"{PORT}.delays": {"release_h": {"red": {"dist": "weibull", "mean": 1}}}},
        f"{PORT}.delays.release_h.red.dist",
        "unknown distribution",
    ),
    "delay-channel-misspelt": (
        {f"{PORT}.delays": {"unloading_h": {"red": EXPONENTIAL, "yelow": EXPONENTIAL}}},
        f"{PORT}.delays.unloading_h.yelow",
        "did you mean 'yellow'",
    ),
    "delay-channel-group-negative": (
        {
            f"{PORT}.delays": {
                "release_h": {"red": {"standard": {"dist": "exponential", "mean": -1}}}
            }
        },
        f"{PORT}.delays.release_h.red.standard.mean",
        "greater than 0",
    ),
    "lodgement-calendar-undefined": (
        {f"{PORT}.lodgement": {"delay_h": EXPONENTIAL, "calendar": "broker"}},
        f"{PORT}.lodgement.calendar",
        "calendar 'broker' is not defined",
    ),
    "lodgement-channel-misspelt": (
        {f"{PORT}.lodgement": {"delay_h": {"red": EXPONENTIAL, "gren": EXPONENTIAL}}},
        f"{PORT}.lodgement.delay_h.gren",
        "did you mean 'green'",
    ),
    "lodgement-lead-misspelt-channel": (
        {f"{PORT}.lodgement": {"delay_h": EXPONENTIAL, "lead_h": {"rde": EXPONENTIAL}}},
        f"{PORT}.lodgement.lead_h",
        "dist",
    ),
    "port-defaults-not-a-mapping": ({"port_defaults": [1, 2]}, "port_defaults", "mapping"),
    "country-port-defaults-not-a-mapping": (
        {"countries.PER.port_defaults": "sea"},
        "countries.PER.port_defaults",
        "mapping",
    ),
    "inherited-servers": (
        {
            "port_defaults": {"stations": {"documentary": {"servers": 0}}},
            f"{STATION}.servers": DELETE,
        },
        f"{STATION}.servers",
        "(inherited from port_defaults.stations.documentary.servers)",
    ),
    "inherited-from-the-country": (
        {"countries.PER.port_defaults": {"mode": "ferry"}, f"{PORT}.mode": DELETE},
        f"{PORT}.mode",
        "(inherited from countries.PER.port_defaults.mode)",
    ),
    "inherited-unknown-field": (
        {"port_defaults": {"stations": {"documentary": {"sevrers": 3}}}},
        f"{STATION}.sevrers",
        "did you mean 'servers'? (inherited from port_defaults.stations.documentary.sevrers)",
    ),
    "inherited-calendar": (
        {
            "port_defaults": {
                "delays": {"release_h": {"dist": "exponential", "mean": 1, "calendar": "x"}}
            }
        },
        f"{PORT}.delays.release_h.calendar",
        "(inherited from port_defaults.delays.release_h.calendar)",
    ),
}


@pytest.mark.parametrize("kind", [VALIDATE, RUN], ids=["validate", "run"])
@pytest.mark.parametrize("changes, field, word", CASES.values(), ids=CASES.keys())
def test_bad_field(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    kind: list[str],
    changes: dict[str, Any],
    field: str,
    word: str,
) -> None:
    path = write(tmp_path, mutated(changes))
    result = cli(command(kind, path), capsys)
    assert_field_error(result, str(path), field, word)


def test_probability_within_tolerance_is_accepted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, mutated({f"{PORT}.channels.standard.red": 0.1 + 1e-12}))
    result = cli(["validate", str(path)], capsys)
    assert result.status == 0, result.err


# --- whole files: syntax, shape, readability --------------------------------------


@pytest.mark.parametrize(
    "text, where, word",
    [
        ("name: [a\nhorizon_days: 1\n", "line 2, column", "invalid YAML"),
        ("name: a\n\thorizon_days: 1\n", "line 2, column 1", "invalid YAML"),
        ("name: a\x00\n", "", "invalid YAML"),
        ("name: a\nhorizon_days: 1\nname: b\n", "line 3, column 1", "given twice"),
    ],
    ids=["unclosed-bracket", "tab", "nul-character", "duplicate-key"],
)
def test_yaml_syntax(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, where: str, word: str
) -> None:
    path = write(tmp_path, text)
    result = cli(["validate", str(path)], capsys)
    assert_one_line(result, f"{path}: {where}", word)


@pytest.mark.parametrize(
    "text",
    ["", "# only a comment\n", "- name: a\n- name: b\n", "just a string\n"],
    ids=["empty", "comment-only", "list", "scalar"],
)
@pytest.mark.parametrize("kind", [VALIDATE, RUN], ids=["validate", "run"])
def test_file_not_a_mapping(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: list[str], text: str
) -> None:
    path = write(tmp_path, text)
    result = cli(command(kind, path), capsys)
    assert_one_line(result, f"{path}: ", "mapping")


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "nowhere.yaml"
    result = cli(["validate", str(path)], capsys)
    assert_one_line(result, f"{path}: cannot read", "No such file")


def test_directory_instead_of_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = cli(["run", str(tmp_path), "-n", "1", "-q", "--workers", "1"], capsys)
    assert_one_line(result, f"{tmp_path}: cannot read")


def test_file_not_utf8(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "name: caf\xe9\n".encode("latin-1"))
    result = cli(["validate", str(path)], capsys)
    assert_one_line(result, f"{path}: ", "UTF-8", "0xe9")


def test_line_breaks_in_names_stay_on_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, mutated({"bad\nkey": 1}))
    result = cli(["validate", str(path)], capsys)
    assert_one_line(result, f"{path}: bad\\nkey: unknown field")


# --- --set ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "override, needles",
    [
        ("nosuch.thing=1", ["(--set nosuch.thing=1): nosuch: ", "unknown field"]),
        ("arrangment.utilisation=1", ["arrangment: ", "did you mean 'arrangement'"]),
        ("calendars.night.days=all", ["calendars.night.hours: ", "missing"]),
        ("name.first=x", ["--set: name.first: ", "not a section"]),
        ("horizon_days=[1", ["--set: horizon_days: ", "cannot parse"]),
        ("horizon_days", ["--set: horizon_days: ", "path.to.field=value"]),
        ("=3", ["--set: =3: ", "path.to.field=value"]),
    ],
    ids=[
        "unknown-section",
        "misspelt-section",
        "created-section-incomplete",
        "into-a-value",
        "unparsable-value",
        "no-equals",
        "no-path",
    ],
)
@pytest.mark.parametrize("kind", [VALIDATE, RUN], ids=["validate", "run"])
def test_bad_set(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    kind: list[str],
    override: str,
    needles: list[str],
) -> None:
    path = write(tmp_path, BASE)
    result = cli(command(kind, path, "--set", override), capsys)
    assert_one_line(result, *needles)


@pytest.mark.parametrize(
    "override, field, word",
    [
        ("arrangement.utilisation=2", "arrangement.utilisation", "less than or equal to 1"),
        (f"{STATION}.servers=0", f"{STATION}.servers", "greater than 0"),
        (f"{STATION}.servers=two", f"{STATION}.servers", "integer"),
        (f"{PORT}.channels.standard.red=0.5", f"{PORT}.channels.standard", "sum to 1"),
        (f"{STATION}.calendar=night", f"{STATION}.calendar", "'night' is not defined"),
    ],
    ids=["share", "servers-zero", "servers-word", "probability-sum", "calendar"],
)
def test_set_value_that_fails_validation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], override: str, field: str, word: str
) -> None:
    path = write(tmp_path, BASE)
    result = cli(["validate", str(path), "--set", override], capsys)
    # the file and the option are both named, then the field path and the problem
    assert_field_error(result, f"{path} (--set {override})", field, word)


def test_set_problem_elsewhere_is_the_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, mutated({f"{STATION}.servers": 0}))
    result = cli(["validate", str(path), "--set", "arrangement.utilisation=0.5"], capsys)
    assert_field_error(result, str(path), f"{STATION}.servers", "greater than 0")


def test_set_creates_a_missing_section(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "arrangement" not in BASE
    path = write(tmp_path, BASE)
    result = cli(["validate", str(path), "--set", "arrangement.utilisation=0.5"], capsys)
    assert result.status == 0, result.err
    assert "utilisation 0.5" in result.out


# --- command-line option values ---------------------------------------------------


@pytest.mark.parametrize(
    "options, needles",
    [
        (["--replications", "0"], ["--replications", "at least 1"]),
        (["-n", "ten"], ["--replications", "not a whole number"]),
        (["--precision", "2"], ["--precision", "between 0 and 1"]),
        (["--precision", "0"], ["--precision", "between 0 and 1"]),
        (["--precision", "tight"], ["--precision", "not a number"]),
        (["--engine", "foo"], ["--engine", "invalid choice", "foo"]),
        (["--workers", "0"], ["--workers", "at least 1"]),
        (["--seed", "-1"], ["--seed", "0 or more"]),
        (["--max-replications", "0"], ["--max-replications", "at least 1"]),
        (["--bogus"], ["unrecognized arguments", "--bogus"]),
        (["--records"], ["--records", "--out"]),
    ],
    ids=[
        "replications-0",
        "replications-word",
        "precision-2",
        "precision-0",
        "precision-word",
        "engine-foo",
        "workers-0",
        "seed-negative",
        "max-replications-0",
        "unknown-option",
        "records-without-out",
    ],
)
def test_bad_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], options: list[str], needles: list[str]
) -> None:
    path = write(tmp_path, BASE)
    result = cli(["run", str(path), "-q", *options], capsys)
    assert_one_line(result, *needles)


@pytest.mark.parametrize(
    "args, needles",
    [
        (["simulate"], ["invalid choice", "simulate"]),
        (["validate"], ["required", "scenario"]),
        (["-q"], ["required", "command"]),
    ],
    ids=["unknown-command", "validate-without-file", "option-without-command"],
)
def test_bad_command_line(
    capsys: pytest.CaptureFixture[str], args: list[str], needles: list[str]
) -> None:
    result = cli(args, capsys)
    assert_one_line(result, *needles)


def test_out_is_an_existing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, BASE)
    out = tmp_path / "results.txt"
    out.write_text("keep me")
    result = cli(["run", str(path), "-n", "1", "-q", "--workers", "1", "--out", str(out)], capsys)
    assert_one_line(result, "--out", str(out), "not a directory")
    assert out.read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.txt", "s.yaml"]


class _SimulationStarted(Exception):
    """Raised by a stand-in for ``sim.cli.commands.run``: a bad option got past the checks."""


def _refuse_to_run(*args: object, **kwargs: object) -> None:
    raise _SimulationStarted


def test_out_is_checked_before_running(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sim.cli.commands, "run", _refuse_to_run)
    out = tmp_path / "results.txt"
    out.write_text("keep me")
    result = cli(["run", str(write(tmp_path, BASE)), "-q", "--out", str(out)], capsys)
    assert_one_line(result, "--out", "not a directory")


def test_out_cannot_be_created(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    out = blocker / "results"
    result = cli(
        ["run", str(write(tmp_path, BASE)), "-n", "1", "-q", "--workers", "1", "--out", str(out)],
        capsys,
    )
    assert_one_line(result, "--out", str(out))


# --- the Python API ---------------------------------------------------------------


def test_load_scenario_raises_input_error(tmp_path: Path) -> None:
    path = write(tmp_path, mutated({f"{STATION}.servers": 0}))
    with pytest.raises(sim.InputError) as caught:
        sim.load_scenario(path)
    error = caught.value
    assert error.source == str(path)
    assert error.field == f"{STATION}.servers"
    assert "greater than 0" in error.problem
    assert str(error) == f"{path}: {STATION}.servers: {error.problem}"


def test_load_scenario_reference_error(tmp_path: Path) -> None:
    path = write(tmp_path, mutated({f"{PORT}.routes.red": ["x-ray"]}))
    with pytest.raises(sim.InputError) as caught:
        sim.load_scenario(path)
    assert caught.value.field == f"{PORT}.routes.red[0]"
    assert "'x-ray' is not defined" in caught.value.problem


def test_load_scenario_override_error(tmp_path: Path) -> None:
    path = write(tmp_path, BASE)
    with pytest.raises(sim.InputError) as caught:
        sim.load_scenario(path, ["horizon_days=-1"])
    assert caught.value.source == f"{path} (--set horizon_days=-1)"
    assert caught.value.field == "horizon_days"


def test_scenario_from_dict_raises_input_error() -> None:
    with pytest.raises(sim.InputError) as caught:
        scenario_from_dict(mutated({"calendars.office.days": []}))
    assert caught.value.source == "<scenario>"
    assert caught.value.field == "calendars.office.days"


def test_apply_override_raises_input_error() -> None:
    data = mutated({})
    with pytest.raises(sim.InputError) as caught:
        apply_override(data, "name.first=x")
    assert (caught.value.source, caught.value.field) == ("--set", "name.first")


def test_an_override_of_an_aliased_section_changes_only_the_place_named(tmp_path: Path) -> None:
    """A YAML alias shares one mapping between two ports; --set on one leaves the other."""
    one_office = Path(__file__).resolve().parents[2] / "scenarios" / "one-office.yaml"
    data = yaml.safe_load(one_office.read_text())
    port = data["countries"]["PER"]["ports"]["callao"]
    data["countries"]["CHL"]["ports"] = {"valparaiso": port}  # the same object: dumped as an alias
    path = tmp_path / "aliased.yaml"
    path.write_text(yaml.safe_dump(data))
    assert "*id" in path.read_text()
    scenario = sim.load_scenario(path, ["countries.PER.ports.callao.stations.physical.servers=30"])
    assert scenario.countries["PER"].ports["callao"].stations["physical"].servers == 30
    assert scenario.countries["CHL"].ports["valparaiso"].stations["physical"].servers == 16
