"""Fuzzing: whatever the input, ``mrasim`` runs or stops with exit 2 and one line.

Three generators, each checked against the same contract (:func:`holds`):

* scenarios of valid *shape* (the schema's sections and fields) with random
  values: extreme, missing, of the wrong type, or plausible;
* ``--set`` overrides with random paths (known fields, made-up ones) and random
  YAML values on the bundled one-office scenario;
* random bytes as a scenario file, and the one-office file with random edits.

CI runs a modest number of examples (``MRASIM_FUZZ_EXAMPLES``, default 25 per
property, derandomised so a failure reproduces); the long campaign is
``MRASIM_FUZZ_EXAMPLES=5000 MRASIM_FUZZ_SEED=<n> pytest tests/test_fuzz.py``, in
several processes with different seeds (README, Reliability).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, example, given, seed, settings
from hypothesis import strategies as st

import sim.cli.commands

ROOT = Path(__file__).resolve().parents[2]
ONE_OFFICE = ROOT / "scenarios" / "one-office.yaml"
EXAMPLES = int(os.environ.get("MRASIM_FUZZ_EXAMPLES", "25"))
CAMPAIGN_SEED = os.environ.get("MRASIM_FUZZ_SEED")
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=CAMPAIGN_SEED is None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
WORK = Path(tempfile.mkdtemp(prefix="mrasim-fuzz-"))
RUN = ["-n", "2", "--workers", "1", "--json"]


def seeded(test: Any) -> Any:
    return seed(int(CAMPAIGN_SEED))(test) if CAMPAIGN_SEED is not None else test


def holds(args: list[str]) -> int:
    """The contract: exit 0 with a JSON result (warnings, and the note that compiled code is
    being built, allowed on stderr), or exit 2
    with exactly one line on stderr and nothing on stdout. Never a traceback, never 1."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = sim.cli.main(args)  # an exception escaping here fails the property
    stdout, stderr = out.getvalue(), err.getvalue()
    assert "Traceback" not in stderr, stderr
    if status == 0:
        if "--json" in args:
            result = json.loads(stdout)
            assert result["replications"] == 2
        notes = ("mrasim: warning: ", "mrasim: compiling (first run only")
        assert all(line.startswith(notes) for line in stderr.splitlines()), stderr
        return status
    assert status == 2, (status, stderr)
    assert stdout == ""
    assert stderr.endswith("\n") and stderr.count("\n") == 1, repr(stderr)
    assert stderr.startswith("mrasim: ")
    return status


def scenario_file(content: bytes | str | dict[str, Any]) -> Path:
    path = WORK / "scenario.yaml"
    if isinstance(content, dict):
        content = yaml.safe_dump(content, sort_keys=False, allow_unicode=True)
    if isinstance(content, str):
        content = content.encode("utf-8", "surrogatepass")
    path.write_bytes(content)
    return path


# --- scenarios of valid shape -----------------------------------------------------------
#
# A scenario is drawn with plausible values everywhere (so that about half of them
# run, exercising the engine with random parameters), then 0-3 of its fields are
# corrupted: set to a value that breaks an assumption, removed, or wrapped in a list.

ODD = st.sampled_from(
    [
        0,
        -1,
        1e-300,
        1e300,
        2**63,
        -(2**63) - 1,
        float("nan"),
        float("inf"),
        "1",
        "x",
        None,
        True,
        [],
        {},
        [1, 2],
        "08:00-08:00",
        "mon",
    ]
)
"""Values that break assumptions: zero, negative, tiny, huge, not finite, not a number."""


def number(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(low, high, allow_nan=False, allow_subnormal=False)


def shares(keys: list[str]) -> st.SearchStrategy[dict[str, float]]:
    """Shares over keys that sum to 1 (a few ending exactly at 0 or 1)."""

    def normalised(weights: list[float]) -> dict[str, float]:
        total = sum(weights)
        if total == 0:
            weights, total = [1.0] * len(weights), float(len(weights))
        values = [w / total for w in weights]
        values[-1] = max(0.0, 1.0 - sum(values[:-1]))
        return dict(zip(keys, values, strict=True))

    weight = st.sampled_from([0.0, 1.0]) | number(0, 10)
    return st.lists(weight, min_size=len(keys), max_size=len(keys)).map(normalised)


def distribution(scale: float = 10.0) -> st.SearchStrategy[dict[str, Any]]:
    mean, cv, small = number(1e-3, scale), number(0.01, 4), number(0, scale / 10)
    return st.one_of(
        st.fixed_dictionaries({"dist": st.just("exponential"), "mean": mean}),
        st.fixed_dictionaries({"dist": st.just("lognormal"), "mean": mean, "cv": cv}),
        st.fixed_dictionaries({"dist": st.just("gamma"), "mean": mean, "cv": cv}),
        st.fixed_dictionaries({"dist": st.just("deterministic"), "value": small}),
        st.builds(
            lambda low, width: {"dist": "uniform", "low": low, "high": low + width},
            small,
            mean,
        ),
        st.builds(
            lambda low, a, b: {
                "dist": "triangular",
                "low": low,
                "mode": low + min(a, b),
                "high": low + max(a, b) + 1e-3,
            },
            small,
            small,
            mean,
        ),
        st.fixed_dictionaries(
            {"dist": st.just("empirical"), "values": st.lists(small, min_size=1, max_size=5)}
        ),
        st.lists(small, min_size=2, max_size=4).map(
            lambda vs: {
                "dist": "empirical",
                "quantiles": dict(
                    zip([i / (len(vs) - 1) for i in range(len(vs))], sorted(vs), strict=True)
                ),
            }
        ),
    )


def time_spec() -> st.SearchStrategy[Any]:
    by_group = st.fixed_dictionaries(
        {"standard": distribution()},
        optional={"national_aeo": distribution(), "recognised_aeo": distribution()},
    )
    return st.one_of(distribution(), distribution(), by_group)


def clock(start: int, end: int) -> str:
    return f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"


HOURS = st.lists(
    st.tuples(st.integers(0, 95), st.integers(1, 96))
    .filter(lambda t: t[0] != t[1] % 96 or t[1] == 96)
    .map(lambda t: clock(15 * t[0], 15 * t[1])),  # quarter hours; an end before a start: overnight
    min_size=1,
    max_size=3,
)
DAY_NAMES = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAYS = st.just("all") | st.lists(st.sampled_from(DAY_NAMES), min_size=1, max_size=7, unique=True)
STATIONS = ["documentary", "physical", "scanner"]
ORIGINS = ["PER", "BRA", "CHL", "CHN", "USA", "OTHER"]
GROUPS = ["standard", "national_aeo", "recognised_aeo"]


@st.composite
def port(draw: st.DrawFn, calendars: list[str]) -> dict[str, Any]:
    calendar = st.sampled_from([None, *calendars])
    station = st.fixed_dictionaries(
        {"servers": st.integers(1, 12), "service_h": time_spec()},
        optional={
            "calendar": calendar,
            "priority": st.fixed_dictionaries({}, optional={g: st.integers(0, 3) for g in GROUPS}),
            "reserved": st.fixed_dictionaries(
                {
                    "servers": st.integers(1, 3),
                    "groups": st.lists(
                        st.sampled_from(GROUPS), min_size=1, max_size=2, unique=True
                    ),
                },
                optional={"calendar": calendar},
            ),
        },
    )
    names = draw(st.lists(st.sampled_from(STATIONS), unique=True, max_size=3))
    route = st.lists(st.sampled_from(names), max_size=3, unique=True) if names else st.just([])
    channels = shares(["green", "yellow", "red"])
    delay = distribution().map(lambda d: d | {"calendar": draw(calendar)})
    return draw(
        st.fixed_dictionaries(
            {
                "mode": st.sampled_from(["sea", "air", "road"]),
                "arrivals": st.fixed_dictionaries(
                    {"per_day": number(1e-3, 300)},
                    optional={
                        "weekly_profile": st.lists(number(0, 3), min_size=7, max_size=7).filter(
                            lambda p: sum(p) > 0
                        ),
                        "hourly_profile": st.lists(number(0, 3), min_size=24, max_size=24).filter(
                            lambda p: sum(p) > 0
                        ),
                        "batch_size": distribution(scale=20),
                    },
                ),
                "origins": st.lists(
                    st.sampled_from(ORIGINS), min_size=1, max_size=4, unique=True
                ).flatmap(shares),
                "channels": st.fixed_dictionaries(
                    {"standard": channels}, optional={g: channels for g in GROUPS[1:]}
                ),
                "stations": st.fixed_dictionaries({name: station for name in names}),
            },
            optional={
                "national_aeo_share": number(0, 1),
                "routes": st.fixed_dictionaries(
                    {}, optional={c: route for c in ("green", "yellow", "red")}
                ),
                "lodgement": st.fixed_dictionaries(
                    {"delay_h": time_spec()},
                    optional={
                        "pre_arrival_share": st.fixed_dictionaries(
                            {}, optional={g: number(0, 1) for g in GROUPS}
                        )
                    },
                ),
                "delays": st.fixed_dictionaries(
                    {}, optional={"unloading_h": delay, "release_h": delay}
                ),
                "value_usd": number(1, 1e6),
            },
        )
    )


@st.composite
def plausible_scenario(draw: st.DrawFn) -> dict[str, Any]:
    calendars = draw(
        st.dictionaries(
            st.sampled_from(["office", "always", "night"]),
            st.fixed_dictionaries({"days": DAYS, "hours": HOURS}),
            max_size=3,
        )
    )
    countries = draw(
        st.lists(st.sampled_from(["PER", "BRA", "CHL"]), min_size=1, max_size=2, unique=True)
    )
    country = st.fixed_dictionaries(
        {
            "ports": st.dictionaries(
                st.sampled_from(["callao", "santos", "gate"]),
                port(list(calendars)),
                min_size=1,
                max_size=2,
            )
        },
        optional={"aeo_exporter_share": number(0, 1)},
    )
    return draw(
        st.fixed_dictionaries(
            {
                "name": st.text(max_size=12),
                "horizon_days": number(0.01, 2),
                "calendars": st.just(calendars),
                "countries": st.fixed_dictionaries({c: country for c in countries}),
            },
            optional={
                "warmup_days": number(0, 1),
                "seed": st.integers(0, 2**70),
                "arrangement": st.fixed_dictionaries(
                    {},
                    optional={
                        "in_force": st.booleans(),
                        "members": st.lists(st.sampled_from(ORIGINS[:3]), min_size=1, max_size=3),
                        "utilisation": number(0, 1),
                        "precedence": st.sampled_from(["national_aeo", "recognised_aeo"]),
                    },
                ),
                "cost_of_delay": st.fixed_dictionaries(
                    {"rates_per_day": st.lists(number(0, 0.05), max_size=3)}
                ),
            },
        )
    )


def _places(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key or index path inside nested dicts and lists."""
    children = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    places = []
    for key, child in children:
        places.append((*path, key))
        places.extend(_places(child, (*path, key)))
    return places


@st.composite
def scenario(draw: st.DrawFn) -> dict[str, Any]:
    """A plausible scenario with up to three fields corrupted (none, half of the time)."""
    data = draw(plausible_scenario())
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2, 3]))):
        *parents, key = draw(st.sampled_from(_places(data)))
        node = data
        for part in parents:
            node = node[part]
        action = draw(st.sampled_from(["odd", "odd", "remove", "wrap"]))
        if action == "remove" and isinstance(node, dict):
            del node[key]
        elif action == "wrap":
            node[key] = [node[key]]
        else:
            node[key] = draw(ODD)
    return data


@FUZZ
@seeded
@given(scenario())
def test_random_scenarios_run_or_stop_in_one_line(data: dict[str, Any]) -> None:
    path = str(scenario_file(data))
    if holds(["validate", path]) == 0:
        assert holds(["run", path, *RUN]) in (0, 2)  # e.g. too big for this machine


# --- --set overrides ------------------------------------------------------------------------
#
# Paths are mostly real fields of one-office (any depth), sometimes with a made-up
# key appended or swapped in; values are mostly numbers, sometimes any YAML or text.


def _at(data: Any, path: str) -> Any:
    for key in path.split("."):
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


ONE_OFFICE_DATA = yaml.safe_load(ONE_OFFICE.read_text(encoding="utf-8"))
REAL_PATHS = [
    ".".join(str(k) for k in place)
    for place in _places(ONE_OFFICE_DATA)
    if all(isinstance(k, str) for k in place)
]
JUNK_KEYS = st.sampled_from(["x", "", "0", "a b", "🙂", "mean", "servers", "days", "dist"])
LEAVES = [path for path in REAL_PATHS if not isinstance(_at(ONE_OFFICE_DATA, path), dict)]


@st.composite
def field_path(draw: st.DrawFn) -> str:
    """Mostly a real leaf field; sometimes a section, a made-up key under a real path, or junk."""
    kind = draw(st.integers(0, 7))
    if kind <= 4:
        return draw(st.sampled_from(LEAVES))
    if kind == 5:
        return draw(st.sampled_from(REAL_PATHS))
    if kind == 6:
        return f"{draw(st.sampled_from(REAL_PATHS))}.{draw(JUNK_KEYS)}"
    return ".".join(draw(st.lists(JUNK_KEYS, min_size=1, max_size=4)))


YAML_VALUE = st.one_of(
    st.floats().map(repr),
    st.integers(-10, 10**6).map(str),
    st.floats(0, 1).map(repr),
    st.sampled_from(
        [
            "null",
            "[]",
            "{}",
            "true",
            "'08:00-08:00'",
            "[mon]",
            "all",
            ".nan",
            "-.inf",
            "{dist: exponential, mean: 1}",
            "1e400",
            "'",
            "[",
            "x: y: z",
        ]
    ),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
        ),
        max_leaves=6,
    ).map(lambda v: yaml.safe_dump(v, default_flow_style=True).strip().removesuffix("...").strip()),
    st.text(max_size=20),
)


@st.composite
def override(draw: st.DrawFn) -> str:
    """``path=value``; a number in the file is mostly scaled (to 0, a little, a lot)."""
    path = draw(field_path())
    current = _at(ONE_OFFICE_DATA, path)
    numeric = isinstance(current, int | float) and not isinstance(current, bool)
    if numeric and draw(st.integers(0, 3)):
        factor = draw(st.sampled_from([0, 0.5, 1.5, 2, 10, 1000]) | st.floats(0, 3))
        scaled = current * factor
        return f"{path}={round(scaled) if isinstance(current, int) else repr(scaled)}"
    return f"{path}={draw(YAML_VALUE)}"


@FUZZ
@seeded
@given(st.lists(override(), min_size=1, max_size=2))
@example(  # found by a campaign: a gamma's cv squared to zero (now refused: cv >= 1e-6)
    ["countries.PER.ports.callao.delays.unloading_h.cv=1.9686154005556612e-284"]
)
def test_random_overrides_run_or_stop_in_one_line(overrides: list[str]) -> None:
    sets = [item for text in overrides for item in ("--set", text)]
    if holds(["validate", str(ONE_OFFICE), *sets]) == 0:
        holds(["run", str(ONE_OFFICE), *RUN, "--set", "horizon_days=1", *sets])


# --- bytes ---------------------------------------------------------------------------------

TEXT = ONE_OFFICE.read_text(encoding="utf-8")


@st.composite
def edited(draw: st.DrawFn) -> str:
    """The one-office file with a few random deletions, insertions and replacements."""
    text = TEXT
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        cut = draw(st.integers(0, 12))
        text = text[:at] + draw(st.text(max_size=6)) + text[at + cut :]
    return text


@FUZZ
@seeded
@given(st.one_of(st.binary(max_size=300), edited()))
def test_random_bytes_run_or_stop_in_one_line(content: bytes | str) -> None:
    path = str(scenario_file(content))
    if holds(["validate", path]) == 0:
        holds(["run", path, *RUN, "--set", "horizon_days=0.5"])
