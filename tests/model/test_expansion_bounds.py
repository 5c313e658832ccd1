"""Files that expand without limit: YAML aliases nested in aliases, defaults inherited by a
great many ports, an anchor that holds itself. Each is refused by a real ``mrasim validate``
in one line naming what to change, in about the time it takes to start, and in memory
near what the command takes to start (about 200 MB), never the gigabytes the expansion
would take."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml
from helpers import ONE_OFFICE, run_measured

from sim.errors import InputError
from sim.model.inherit import MAX_NODES
from sim.model.load import load_scenario

MRASIM = [sys.executable, "-m", "sim.cli"]
SECONDS = 20.0
"""A refusal takes the command's start (1-3 s); the expansions it prevents, minutes and
gigabytes: 3.3 GB after 30 s for the nested aliases, still growing."""
PEAK_BYTES = 600 * 2**20


def nested_aliases(levels: int = 9, width: int = 9) -> str:
    """A 9-ary nest of mappings, 9 deep, aliased in port_defaults and again in a port: 1 kB
    that the merge of defaults would copy into 9^9 mappings."""
    keys = [f"k{i}" for i in range(width)]
    lines = ["name: bomb", "horizon_days: 1", "port_defaults:", "  stations:"]
    lines.append("    s0: &a0 {" + ", ".join(f"{k}: 1" for k in keys) + "}")
    for level in range(1, levels + 1):
        inner = ", ".join(f"{k}: *a{level - 1}" for k in keys)
        lines.append(f"    s{level}: &a{level} {{{inner}}}")
    port = ["countries:", "  PER:", "    ports:", "      callao:", "        stations:"]
    return "\n".join([*lines, *port, f"          s{levels}: *a{levels}", ""])


def refused(path: Path) -> str:
    """The one line of a refused ``mrasim validate`` (checked quick and small)."""
    done = run_measured([*MRASIM, "validate", str(path)], SECONDS)
    assert done.status == 2, done.err
    assert done.out == "" and done.err.count("\n") == 1 and "Traceback" not in done.err
    assert done.peak_bytes < PEAK_BYTES, done.peak_bytes
    return done.err.strip()


@pytest.mark.slow
def test_nested_aliases_are_refused_naming_the_anchor(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(nested_aliases())
    assert path.stat().st_size < 1600
    line = refused(path)
    assert line.startswith(f"mrasim: {path}: line 14, column 9: the anchor &a9 is repeated")
    assert f"(at most {MAX_NODES:,})" in line


@pytest.mark.slow
def test_defaults_inherited_by_many_ports_are_refused_before_merging(tmp_path: Path) -> None:
    """No alias at all: 2,000 stations of defaults, 600 ports that inherit them."""
    lines = ["name: wide", "horizon_days: 1", "port_defaults:", "  stations:"]
    lines += [f"    s{i}: {{servers: 1}}" for i in range(2000)]
    lines += ["countries:", "  PER:", "    ports:", *(f"      p{i}: {{}}" for i in range(600))]
    path = tmp_path / "wide.yaml"
    path.write_text("\n".join(lines) + "\n")
    line = refused(path)
    assert line.startswith(f"mrasim: {path}: port_defaults: ports would hold more than")


def test_an_anchor_that_holds_itself_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "loop.yaml"
    path.write_text("name: loop\nhorizon_days: 1\ncountries: &c {PER: {ports: *c}}\n")
    with pytest.raises(InputError, match=r"line 3, column 12: the anchor &c holds an alias"):
        load_scenario(path)


def test_aliases_that_expand_a_little_still_load(tmp_path: Path) -> None:
    """What aliases are for: one port written once and used twice."""
    data = yaml.safe_load(ONE_OFFICE.read_text())
    ports = data["countries"]["PER"]["ports"]
    ports["paita"] = ports["callao"]  # PyYAML writes it as an anchor and an alias
    path = tmp_path / "shared.yaml"
    path.write_text(yaml.safe_dump(data))
    assert "&id001" in path.read_text()
    scenario = load_scenario(path)
    assert [name for _, name, _ in scenario.ports] == ["callao", "paita"]
