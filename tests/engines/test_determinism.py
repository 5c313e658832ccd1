"""Same seed, same numbers: with 1 or 2 workers, with either engine, in any completion order."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import sim
from sim.replicate.runner import run

ONE_OFFICE = Path(__file__).resolve().parents[2] / "scenarios" / "one-office.yaml"


def short() -> sim.Scenario:
    return sim.load_scenario(ONE_OFFICE, ["horizon_days=4", "warmup_days=1"])


def test_workers_do_not_change_the_numbers() -> None:
    # 7 replications over 2 workers: chunks finish out of order, results must not care
    one = run(short(), replications=7, workers=1, seed=11, keep_records=True)
    two = run(short(), replications=7, workers=2, seed=11, keep_records=True)
    pd.testing.assert_frame_equal(one.table(), two.table(), check_exact=True)
    pd.testing.assert_frame_equal(one.records(), two.records(), check_exact=True)


def test_engines_give_the_same_summary() -> None:
    reference = run(short(), replications=3, workers=1, engine="simpy", seed=5, keep_records=True)
    compiled = run(short(), replications=3, workers=2, engine="numba", seed=5, keep_records=True)
    pd.testing.assert_frame_equal(reference.table(), compiled.table(), check_exact=True)
    pd.testing.assert_frame_equal(reference.records(), compiled.records(), check_exact=True)


def test_keeping_records_does_not_change_the_numbers() -> None:
    """Without records a worker reduces each port as soon as it is simulated
    (``runner.indicator_vector``); with them it holds every port's arrays and reduces
    them together (``indicators.compute``). Both must give the same numbers."""
    regional = sim.load_scenario("lac-regional", ["horizon_days=3", "warmup_days=1"])
    reduced = run(regional, replications=2, workers=1, seed=7)
    held = run(regional, replications=2, workers=1, seed=7, keep_records=True)
    pd.testing.assert_frame_equal(reduced.table(), held.table(), check_exact=True)


def test_seed_matters_and_replications_differ() -> None:
    a = run(short(), replications=2, workers=1, seed=1, keep_records=True).records()
    b = run(short(), replications=2, workers=1, seed=2, keep_records=True).records()
    assert not a["arrival"].equals(b["arrival"])
    first, second = (a[a.replication == r]["arrival"].to_numpy() for r in (0, 1))
    assert len(first) != len(second) or (first != second).any()


def test_scenario_seed_is_the_default() -> None:
    scenario = short()
    by_default = run(scenario, replications=2, workers=1).table()
    explicit = run(scenario, replications=2, workers=1, seed=scenario.seed).table()
    pd.testing.assert_frame_equal(by_default, explicit, check_exact=True)


def test_one_replication_shared_out_by_port_gives_the_same_numbers(monkeypatch) -> None:
    """Fewer replications than workers: each replication's ports are split among the
    workers (sim.runner.Replicator._split) and combined in port order."""
    from sim.replicate import runner

    regional = sim.load_scenario("lac-regional", ["horizon_days=3", "warmup_days=1"])
    scenarios, labels = sim.arrangement_variants(regional)
    shares = runner.port_shares(runner.compile_plan(regional), 2)
    assert len(shares) == 2 and sorted(sum(shares, ())) == list(range(len(list(regional.ports))))
    split = runner.Replicator._split
    calls = []

    def spy(self, first, last):
        calls.append((first, last))
        yield from split(self, first, last)

    monkeypatch.setattr(runner.Replicator, "_split", spy)
    one = sim.compare(scenarios, labels, replications=1, workers=1, seed=3)
    two = sim.compare(scenarios, labels, replications=1, workers=2, seed=3)
    assert calls == [(0, 1)]  # the second run, and only it, was shared out
    pd.testing.assert_frame_equal(one.table(), two.table(), check_exact=True)


def test_scenarios_drawn_together_give_their_own_numbers() -> None:
    """A comparison runs its scenarios port by port together, drawing a later scenario's
    port from the first's where their draws coincide (``runner.indicator_vectors``).
    With records each scenario is drawn on its own. Scenarios whose ports differ (one
    more, one fewer, one changed) must get the same numbers either way."""
    import copy

    import yaml

    from sim.model.load import scenario_from_dict

    data = yaml.safe_load(ONE_OFFICE.read_text())
    data.update(horizon_days=4, warmup_days=1)
    ports = data["countries"]["PER"]["ports"]
    ilo = copy.deepcopy(ports["callao"]) | {"mode": "road"}
    ilo["arrivals"] = {"per_day": 90}
    more = copy.deepcopy(data)
    more["countries"]["PER"]["ports"]["ilo"] = ilo
    more["countries"]["PER"]["ports"]["callao"]["stations"]["physical"]["servers"] = 12
    fewer = copy.deepcopy(more)
    del fewer["countries"]["PER"]["ports"]["callao"]
    scenarios = [scenario_from_dict(d) for d in (data, more, fewer)]
    labels = ["callao", "and ilo", "ilo"]
    together = sim.compare(scenarios, labels, replications=2, workers=1, seed=9)
    apart = sim.compare(scenarios, labels, replications=2, workers=1, seed=9, keep_records=True)
    pd.testing.assert_frame_equal(together.table(), apart.table(), check_exact=True)


def test_shrinking_chunks_do_not_change_the_numbers() -> None:
    """Without records, 2 workers take replications in chunks of shrinking size
    (``runner.guided_chunks``: here 2, 2, 1, 1, ...): the same numbers as one worker."""
    one = run(short(), replications=19, workers=1, seed=13)
    two = run(short(), replications=19, workers=2, seed=13)
    pd.testing.assert_frame_equal(one.table(), two.table(), check_exact=True)
