"""Disk and files: an unwritable --out, a full disk, a folder holding another run, records
streamed to Parquet. Each ends in one line, a non-zero exit where it fails, and never a
half-written final file (nor a temporary one left behind)."""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

import sim
import sim.cli.commands
from sim.plan.compile import compile_plan
from sim.replicate import sizing
from sim.results.atomic import OutputError, all_or_nothing, write_frame, write_json

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "one-office.yaml"
FAST = ["-n", "2", "--workers", "1", "--set", "horizon_days=3"]
RUN = [sys.executable, "-m", "sim.cli", "run", str(SCENARIO), *FAST]


def mrasim(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = sim.cli.main([str(a) for a in args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def one_line(err: str) -> str:
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err.strip()


def limited_file_size(limit: int) -> object:
    """A child-process hook: files may not grow past ``limit`` bytes (``ulimit -f``).

    Python ignores SIGXFSZ, so a write past the limit fails with EFBIG, as a write
    to a full disk fails with ENOSPC.
    """

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


# --- an unwritable folder -----------------------------------------------------------


@contextlib.contextmanager
def read_only_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder this process cannot write into: by permissions, or (as root) a read-only mount."""
    folder = tmp_path / "locked"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o500)
        try:
            yield folder
        finally:
            folder.chmod(0o700)
        return
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(folder)])
    if mounted.returncode != 0:
        pytest.skip("root cannot be kept out of a folder without a read-only mount")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_unwritable_out_is_refused_before_running(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with read_only_folder(tmp_path) as folder:
        status, out, err = mrasim(["run", SCENARIO, *FAST, "--out", folder], capsys)
        assert status == 2 and out == ""
        line = one_line(err)
        assert line.startswith(f"mrasim: --out: {folder}: cannot write there (")
        assert line.endswith("); choose another folder")


# --- a full disk ---------------------------------------------------------------------


def test_a_full_disk_leaves_no_file(tmp_path: Path) -> None:
    """Files may not exceed 6 kB: summary.csv (about 15 kB) cannot be written."""
    out = tmp_path / "out"
    result = subprocess.run(
        [*RUN, "--out", str(out), "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        preexec_fn=limited_file_size(6_000),
    )
    assert result.returncode == 1
    line = one_line(result.stderr)
    assert line.startswith(f"mrasim: cannot write {out}/")
    assert line.endswith(": File too large; nothing written")
    assert not out.exists()  # no file, final or temporary, and not the folder the run made


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 kB tmpfs, where one can be mounted (root); else the test is skipped."""
    folder = tmp_path / "disk"
    folder.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root")
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)]).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_a_really_full_disk_leaves_no_file(small_disk: Path) -> None:
    (small_disk / "ballast").write_bytes(b"\0" * 50_000)  # leave about 14 kB
    out = small_disk / "out"
    result = subprocess.run(
        [*RUN, "-n", "4", "--out", str(out), "-q"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 1
    line = one_line(result.stderr)
    assert line.startswith(f"mrasim: cannot write {out}/")
    assert line.endswith(": No space left on device; nothing written")
    assert not out.exists()  # the folder the run made goes with its files


def test_records_too_big_for_the_file_size_limit_are_refused_first(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = subprocess.run(
        [*RUN, "--records", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        preexec_fn=limited_file_size(100_000),
    )
    assert result.returncode == 2 and result.stdout == ""
    line = one_line(result.stderr)
    assert line.startswith(f"mrasim: --out: {out}: records of 2 replications need about ")
    assert "(ulimit -f)" in line
    assert not out.exists()  # refused before the folder is made


def test_an_error_in_a_batch_leaves_nothing(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": [1, 2]})
    with pytest.raises(RuntimeError), all_or_nothing():
        write_frame(frame, tmp_path / "summary.csv")
        write_json({"a": 1}, tmp_path / "run.json")
        raise RuntimeError("after two files, before the end")
    assert list(tmp_path.iterdir()) == []
    with all_or_nothing():
        write_frame(frame, tmp_path / "summary.csv")
        assert [p.name[:13] for p in tmp_path.iterdir()] == [".summary.csv."]  # not there yet
    assert [p.name for p in tmp_path.iterdir()] == ["summary.csv"]


def test_write_errors_are_output_errors(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(OutputError) as caught:
        write_frame(pd.DataFrame({"a": [1]}), blocker / "x.csv")
    assert str(caught.value).startswith(f"cannot write {blocker}/x.csv: ")
    assert str(caught.value).endswith("; nothing written")


# --- a folder holding another run -----------------------------------------------------


def test_a_folder_with_another_run_is_refused_unless_forced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert mrasim(["run", SCENARIO, *FAST, "--records", "--out", out, "-q"], capsys)[0] == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert set(before) == {
        "records.parquet",
        "run.json",
        "summary.csv",
        "summary.parquet",
        "answer.xlsx",
    }

    status, stdout, err = mrasim(["run", SCENARIO, *FAST, "--seed", "2", "--out", out], capsys)
    assert status == 2 and stdout == ""
    assert one_line(err) == (
        f"mrasim: --out: {out}: holds the results of another run (run.json, summary.csv, "
        "summary.parquet, records.parquet, answer.xlsx); choose a new folder, or add --force to "
        "replace them"
    )
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # untouched

    forced = ["run", SCENARIO, *FAST, "--seed", "2", "--out", out, "--force", "-q"]
    assert mrasim(forced, capsys)[0] == 0
    # the old records went with the run they belonged to: nothing of seed 1 is left
    assert sorted(p.name for p in out.iterdir()) == [
        "answer.xlsx",
        "run.json",
        "summary.csv",
        "summary.parquet",
    ]
    assert pd.read_json(out / "run.json", typ="series")["seed"] == 2


def test_compare_refuses_a_run_folder_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert mrasim(["run", SCENARIO, *FAST, "--out", out, "-q"], capsys)[0] == 0
    status, _, err = mrasim(["compare", SCENARIO, *FAST, "--out", out], capsys)
    assert status == 2 and "holds the results of another run" in one_line(err)


# --- records, streamed ----------------------------------------------------------------


def test_streamed_records_equal_the_records_kept_in_memory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    options = ["-n", "3", "--workers", "2", "--set", "horizon_days=3"]
    status, _, err = mrasim(["run", SCENARIO, *options, "--records", "--out", out], capsys)
    assert status == 0
    expected = sim.run(
        sim.load_scenario(SCENARIO, ["horizon_days=3"]),
        replications=3,
        workers=1,
        keep_records=True,
    ).records()
    pd.testing.assert_frame_equal(pd.read_parquet(out / "records.parquet"), expected)
    size = sizing.human_bytes(
        3
        * sizing.estimate(
            [compile_plan(sim.load_scenario(SCENARIO, ["horizon_days=3"]))], keep_records=True
        ).records_bytes
    )
    assert (
        f"mrasim: records.parquet will take about {size}, written replication by replication" in err
    )


def peak_memory(args: list[str]) -> int:
    """Peak resident bytes of a command and its workers (wait4 reports the largest)."""
    process = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    return usage.ru_maxrss * 1024


@pytest.mark.slow
def test_streamed_records_keep_memory_flat(tmp_path: Path) -> None:
    """10 replications of 75,000 records need no more memory than 2.

    Kept in memory, the 8 extra replications' records would add 8 x 75,000 x
    about 150 bytes = 90 MB (keeping them, as before streaming, fails this test);
    streamed, the peak may not grow by a quarter of it (it grows by about 5 MB,
    the noise of such measurements).
    """
    busy = ["--set", "countries.PER.ports.callao.arrivals.per_day=2500", "-w", "2", "-q"]
    base = [sys.executable, "-m", "sim.cli", "run", str(SCENARIO), *busy, "--records"]
    few = peak_memory([*base, "-n", "2", "--out", str(tmp_path / "few")])
    many = peak_memory([*base, "-n", "10", "--out", str(tmp_path / "many")])
    rows = len(pd.read_parquet(tmp_path / "many" / "records.parquet", columns=["replication"]))
    assert rows > 10 * 70_000
    assert many - few < 0.25 * 8 * 75_000 * 150, (few, many)
