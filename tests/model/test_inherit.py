"""Shared defaults (``port_defaults``, ``mode_defaults``): the merge rules, layer order,
error attribution and ``validate --expand``."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

import sim.cli.commands
from sim.errors import InputError
from sim.model.inherit import expand, inherited_from
from sim.model.load import load_scenario, scenario_from_dict

EXP = {"dist": "exponential", "mean": 1.0}
LOGN = {"dist": "lognormal", "mean": 2.0, "cv": 0.5}

FULL_PORT: dict[str, Any] = {
    "mode": "sea",
    "arrivals": {"per_day": 20},
    "origins": {"CHL": 0.3, "OTHER": 0.7},
    "channels": {"standard": {"green": 0.6, "yellow": 0.3, "red": 0.1}},
    "routes": {"yellow": ["doc"], "red": ["doc", "exam"]},
    "stations": {
        "doc": {"servers": 2, "calendar": "office", "service_h": LOGN},
        "exam": {"servers": 1, "service_h": EXP},
    },
    "delays": {"release_h": {"red": EXP, "calendar": "office"}},
}


def scenario(countries: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {
        "name": "t",
        "horizon_days": 1,
        "calendars": {"office": {"days": "all", "hours": ["08:00-17:00"]}},
        "countries": countries,
        **top,
    }


def test_a_port_written_with_defaults_equals_the_port_written_in_full() -> None:
    shared = {k: v for k, v in FULL_PORT.items() if k not in ("arrivals", "origins")}
    short = scenario(
        {"PER": {"ports": {"a": {"arrivals": {"per_day": 20}, "origins": FULL_PORT["origins"]}}}},
        port_defaults=shared,
    )
    full = scenario({"PER": {"ports": {"a": FULL_PORT}}})
    assert scenario_from_dict(short) == scenario_from_dict(full)


def test_mappings_merge_key_by_key_and_lists_replace() -> None:
    defaults = copy.deepcopy(FULL_PORT)
    port = {
        "stations": {"doc": {"servers": 5}},  # one field of one station
        "routes": {"red": ["exam"]},  # a list replaces
    }
    data = scenario({"PER": {"ports": {"a": port}}}, port_defaults=defaults)
    merged = expand(data, "s")["countries"]["PER"]["ports"]["a"]
    assert merged["stations"]["doc"] == {"servers": 5, "calendar": "office", "service_h": LOGN}
    assert merged["stations"]["exam"] == FULL_PORT["stations"]["exam"]
    assert merged["routes"] == {"yellow": ["doc"], "red": ["exam"]}


def test_distributions_and_origins_replace_whole_and_null_removes() -> None:
    port = {
        "stations": {"doc": {"service_h": EXP}},  # lognormal's cv must not survive
        "origins": {"BRA": 1.0},  # shares must not merge with CHL/OTHER
        "delays": {"release_h": None},  # no release delay here
    }
    data = scenario({"PER": {"ports": {"a": port}}}, port_defaults=copy.deepcopy(FULL_PORT))
    merged = expand(data, "s")["countries"]["PER"]["ports"]["a"]
    assert merged["stations"]["doc"]["service_h"] == EXP
    assert merged["origins"] == {"BRA": 1.0}
    assert "release_h" not in merged["delays"]
    scenario_from_dict(data)  # and it validates


def test_layers_apply_from_general_to_specific() -> None:
    """scenario < scenario mode < country < country mode < port: the most specific wins."""
    data = scenario(
        {
            "PER": {
                "port_defaults": {"national_aeo_share": 0.3, "value_usd": 3.0},
                "mode_defaults": {"sea": {"national_aeo_share": 0.4}},
                "ports": {"a": {**FULL_PORT, "value_usd": 5.0}, "b": {**FULL_PORT, "mode": "air"}},
            },
            "CHL": {"ports": {"c": FULL_PORT, "d": {**FULL_PORT, "mode": "road"}}},
        },
        port_defaults={"national_aeo_share": 0.1, "value_usd": 1.0},
        mode_defaults={"sea": {"national_aeo_share": 0.2, "value_usd": 2.0}},
    )
    ports = {(c, p): port for c, p, port in scenario_from_dict(data).ports}
    assert (ports["PER", "a"].national_aeo_share, ports["PER", "a"].value_usd) == (0.4, 5.0)
    assert (ports["PER", "b"].national_aeo_share, ports["PER", "b"].value_usd) == (0.3, 3.0)
    assert (ports["CHL", "c"].national_aeo_share, ports["CHL", "c"].value_usd) == (0.2, 2.0)
    assert (ports["CHL", "d"].national_aeo_share, ports["CHL", "d"].value_usd) == (0.1, 1.0)


def test_the_mode_may_itself_be_inherited() -> None:
    port = {k: v for k, v in FULL_PORT.items() if k != "mode"}
    data = scenario(
        {"PRY": {"port_defaults": {"mode": "river"}, "ports": {"a": port}}},
        mode_defaults={"river": {"value_usd": 7.0}},
    )
    (_, _, merged), *_ = scenario_from_dict(data).ports
    assert (merged.mode, merged.value_usd) == ("river", 7.0)


def test_error_in_an_inherited_field_names_the_port_and_the_defaults() -> None:
    port = {k: v for k, v in FULL_PORT.items() if k != "stations"}
    data = scenario(
        {"PER": {"ports": {"a": port}}},
        mode_defaults={"sea": {"stations": {"doc": {"servers": 0, "service_h": EXP}}}},
    )
    with pytest.raises(InputError) as error:
        scenario_from_dict(data, "s.yaml")
    assert error.value.field == "countries.PER.ports.a.stations.doc.servers"
    assert "(inherited from mode_defaults.sea.stations.doc.servers)" in error.value.problem
    assert inherited_from(data, "countries.PER.ports.a.mode") is None  # the port's own


def test_unknown_mode_in_mode_defaults_is_named() -> None:
    data = scenario({"PER": {"ports": {"a": FULL_PORT}}}, mode_defaults={"ferry": {}})
    with pytest.raises(InputError) as error:
        scenario_from_dict(data, "s.yaml")
    assert error.value.field == "mode_defaults.ferry"
    assert "sea, air, road, river, rail" in error.value.problem


def test_validate_expand_prints_a_scenario_that_loads_back_the_same(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundled = Path(__file__).resolve().parents[2] / "scenarios" / "lac-regional.yaml"
    assert sim.cli.main(["validate", str(bundled), "--expand"]) == 0
    text = capsys.readouterr().out
    data = yaml.safe_load(text)  # keys, not text: the calibration: block quotes --fit paths
    layers = {"port_defaults", "mode_defaults"}
    assert not layers & set(data) and not any(layers & set(c) for c in data["countries"].values())
    expanded = tmp_path / "expanded.yaml"
    expanded.write_text(text, encoding="utf-8")
    again, original = load_scenario(expanded), load_scenario(bundled)
    # the uncertain inputs say their layers' fields by the ports that inherit them, the only
    # way the expanded text can: the same inputs, on the same fields, with the same ranges
    assert again.model_copy(update={"uncertainty": None}) == original.model_copy(
        update={"uncertainty": None}
    )
    assert _inputs(again) == _inputs(original)
    assert yaml.safe_load(text)["name"] == "lac-regional"


def _inputs(scenario: sim.Scenario) -> list[tuple[object, ...]]:
    from sim.model.uncertain import uncertain_inputs

    return [
        (i.name, i.kind, i.low, i.high, i.dist, tuple(t.path for t in i.targets))
        for i in uncertain_inputs(scenario)
    ]
