"""Experiments on a real Dask ``LocalCluster``: the same bytes as the local executor, even when
a worker process is killed mid-run."""

from __future__ import annotations

import logging
import os
import signal
from pathlib import Path
from typing import Any

import pytest
from distributed import Client, LocalCluster
from experiment_files import DOCUMENTARY, experiment, same_tables, write

from sim.experiment import Progress, run_experiment

pytestmark = pytest.mark.slow  # a LocalCluster takes seconds to start (still runs in CI)

MEDIUM = experiment(
    name="medium",
    set={"horizon_days": 10, "warmup_days": 0},
    factors={"arrangement.utilisation": [0.0, 1.0], DOCUMENTARY: [8, 12]},
    replications=24,
    replications_per_task=3,
)
"""4 points x 8 tasks: enough tasks left when a worker is killed after the second one."""


@pytest.fixture(scope="module")
def cluster() -> Any:
    """Two single-threaded worker processes, as `--executor dask` makes them."""
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as local,
        Client(local) as client,
    ):
        yield local, client


def local_reference(tmp_path: Path, data: dict[str, Any]) -> tuple[Path, Path]:
    path = write(tmp_path / "experiment.yaml", data)
    run_experiment(path, workers=1, out=tmp_path / "local")
    return path, tmp_path / "local"


def test_a_local_cluster_of_its_own_gives_the_local_tables(tmp_path: Path) -> None:
    """`--executor dask` without an address: a LocalCluster of -w single-threaded processes."""
    path, local = local_reference(tmp_path, experiment())
    result = run_experiment(path, executor="dask", workers=2, out=tmp_path / "dask")
    assert result.executor == "dask, a LocalCluster of 2 worker processes"
    assert result.computed == 18
    assert same_tables(local, tmp_path / "dask") == []


def test_killing_a_worker_mid_run_still_gives_the_local_tables(
    tmp_path: Path, cluster: Any
) -> None:
    local_cluster, client = cluster
    path, local = local_reference(tmp_path, MEDIUM)
    before = client.run(os.getpid)
    killed: list[int] = []

    def kill_one_worker(progress: Progress) -> None:
        if progress.tasks_done == 2 and not killed:
            killed.append(next(iter(before.values())))
            os.kill(killed[0], signal.SIGKILL)

    address = local_cluster.scheduler_address
    result = run_experiment(
        path, executor="dask", address=address, out=tmp_path / "dask", progress=kill_one_worker
    )
    assert killed, "the run ended before a worker could be killed"
    assert result.computed == 32
    assert same_tables(local, tmp_path / "dask") == []
    client.wait_for_workers(2, timeout=60)
    assert killed[0] not in client.run(os.getpid).values()  # it died; the nanny started another


def test_the_scheduler_address_can_come_from_the_environment(
    tmp_path: Path, cluster: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    local_cluster, _ = cluster
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", local_cluster.scheduler_address)
    path, local = local_reference(tmp_path, experiment())
    result = run_experiment(path, executor="dask", out=tmp_path / "dask")
    assert result.executor.startswith(f"dask at {local_cluster.scheduler_address}")
    assert same_tables(local, tmp_path / "dask") == []
