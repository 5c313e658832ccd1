"""Small experiment files for the experiment tests: bundled scenarios with short horizons."""

from __future__ import annotations

import filecmp
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
ONE_OFFICE = ROOT / "scenarios" / "one-office.yaml"
DOCUMENTARY = "countries.PER.ports.callao.stations.documentary.servers"
TABLES = ("results.csv", "experiments.csv", "outcomes.csv", "main_effects.csv")


def experiment(**fields: Any) -> dict[str, Any]:
    """A 3 x 2 grid on one office over 3 days, 6 replications in tasks of 2 (18 tasks)."""
    data: dict[str, Any] = {
        "name": "test-grid",
        "scenario": str(ONE_OFFICE),
        "set": {"horizon_days": 3, "warmup_days": 1},
        "design": {"type": "grid"},
        "factors": {"arrangement.utilisation": [0.0, 0.5, 1.0], DOCUMENTARY: [8, 12]},
        "replications": 6,
        "replications_per_task": 2,
        "seed": 11,
        "indicators": ["utilisation_rate", "clearance_h_mean", "green_share", "wait_h_mean"],
    }
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def write(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def same_tables(a: Path, b: Path, names: tuple[str, ...] = TABLES) -> list[str]:
    """Names of the tables whose bytes differ between two results folders."""
    return [name for name in names if not filecmp.cmp(a / name, b / name, shallow=False)]


def task_files(folder: Path) -> dict[str, tuple[int, int]]:
    """Stored task files by name, with their inode and modification time (to see rewrites)."""
    return {
        path.name: (path.stat().st_ino, path.stat().st_mtime_ns)
        for path in (folder / "tasks").glob("*.parquet")
    }
