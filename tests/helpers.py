"""Helpers shared by the tests that read numbers back from a comparison table."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import yaml

from sim.model.iso3166 import NAMES


def area_row(table: pd.DataFrame, **levels: object) -> pd.Series:
    """The one row of a long table at the given levels (a country's or the region's total
    unless ``mode`` or ``port`` is given)."""
    rows = table
    for column, value in {"mode": "all", "port": "all", **levels}.items():
        rows = rows[rows[column] == value]
    assert len(rows) == 1, levels
    return rows.iloc[0]


def assert_printed(text: str, value: float, scale: float = 1.0) -> None:
    """The printed number is ``value * scale`` rounded to the places it shows (a whole
    number's trailing zeros may be rounding: 320,000 may stand for 317,590)."""
    text = text.replace(",", "").replace("+", "")
    whole = -(len(text) - len(text.rstrip("0")))
    places = len(text.split(".")[1]) if "." in text else whole
    assert abs(float(text) - value * scale) <= 0.5 * 10.0**-places + 1e-9, (text, value * scale)


ONE_OFFICE = Path(__file__).resolve().parents[1] / "scenarios" / "one-office.yaml"


def small_region(folder: Path, horizon_days: float = 5) -> Path:
    """one-office grown into a small region: Peru with a sea port and a road post, Chile with
    a copy of Callao; a few seconds a replication at most."""
    data = yaml.safe_load(ONE_OFFICE.read_text())
    data["horizon_days"], data["warmup_days"] = horizon_days, 1
    callao = data["countries"]["PER"]["ports"]["callao"]
    road = {**callao, "mode": "road", "arrivals": {"per_day": 60}, "value_usd": 30000}
    data["countries"]["PER"]["ports"]["tacna"] = road
    chile = {**callao, "origins": {"CHN": 0.5, "PER": 0.2, "BRA": 0.1, "ARG": 0.1, "OTHER": 0.1}}
    data["countries"]["CHL"]["ports"] = {"valparaiso": chile}
    path = folder / "small-region.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


class LiveServer:
    """An ASGI app served by uvicorn in a thread on a free port (as ``mrasim explore`` serves
    it), for tests that talk HTTP to it."""

    def __init__(self, app: object) -> None:
        import uvicorn

        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert time.monotonic() < deadline and self.thread.is_alive(), "server did not start"
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(30)

    def request(self, path: str, body: object = None) -> tuple[int, dict]:
        """(status, JSON reply) of a GET, or of a POST when ``body`` is given."""
        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body))
        request = urllib.request.Request(
            self.url + path,
            data=data.encode() if isinstance(data, str) else data,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as reply:
                return reply.status, json.loads(reply.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
"""Debian's chromium as the browser tests launch it (Playwright never downloads one)."""


def assert_answer_table(
    page: object, table: pd.DataFrame, horizon_days: float, shown: int = 3
) -> None:
    """Every cell of the per-country answer table on a page (the report's, or the live
    page's) is the number of the comparison table it came from, rounded as printed: the
    change in eligible shipments' clearance time, its relative change, the change in green
    share, and the annual cost of delay saved (at 1.3% a day). ``shown``: the rows expected
    (Chile, Peru and the region, unless a page speaks of fewer)."""
    codes = {name: code for code, name in NAMES.items()} | {"Region": "all", "Region*": "all"}
    rows = page.locator("#answer-table tbody tr").all()  # type: ignore[attr-defined]
    assert len(rows) == shown
    for tr in rows:
        cells = [td.inner_text().split("\n")[0].strip() for td in tr.locator("td").all()]
        code = codes[cells[0]]
        change = area_row(
            table, kind="difference", country=code, group="eligible", metric="clearance_h_mean"
        )
        number, unit = cells[1].split(" ")
        assert_printed(number, change["mean"], 60.0 if unit == "min" else 1.0)
        values = [
            area_row(
                table,
                kind=kind,
                scenario=s,
                country=code,
                group="eligible",
                metric="clearance_h_mean",
            )
            for kind, s in (("value", "without"), ("difference", "with"))
        ]
        assert_printed(cells[2].rstrip("%"), values[1]["mean"] / values[0]["mean"], 100.0)
        green = area_row(
            table, kind="difference", country=code, group="eligible", metric="green_share"
        )
        assert_printed(cells[3].removesuffix(" pp"), green["mean"], 100.0)
        cost = area_row(
            table, kind="difference", country=code, group="all", metric="delay_cost_usd_1.3pct"
        )
        shipments = area_row(
            table, kind="value", scenario="with", country=code, group="all", metric="shipments"
        )
        saving = -cost["mean"] * shipments["mean"] / horizon_days * 365
        money = re.fullmatch(r"USD (-?[0-9.,]+)( M)?", cells[4])
        assert money is not None, cells[4]
        assert_printed(money.group(1), saving, 1e-6 if money.group(2) else 1.0)


def playwright_or_skip() -> object:
    """Playwright's sync API, for driving the system chromium; skips the calling module
    when chromium is absent (an error under CI, where ``.ci/run`` installs it)."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            raise RuntimeError("chromium is missing: .ci/run installs it with apt-get")
        pytest.skip("no chromium here (apt-get install chromium)", allow_module_level=True)
    return pytest.importorskip("playwright.sync_api")


@contextlib.contextmanager
def system_chromium(sync_api: object) -> Iterator[object]:
    """Headless Debian chromium under Playwright (never a browser Playwright downloads)."""
    with sync_api.sync_playwright() as playwright:  # type: ignore[attr-defined]
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True
        )
        yield browser
        browser.close()


@contextlib.contextmanager
def watched_page(browser: object, url: str, viewport: dict[str, int]) -> Iterator[object]:
    """A page at ``url`` whose console errors and uncaught exceptions collect in
    ``page.errors``, for a test to assert there are none."""
    page = browser.new_page(viewport=viewport)  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    page.errors = errors
    yield page
    page.close()


class Finished:
    """How a process ended: status, output, wall time and peak resident memory."""

    def __init__(self, status: int, out: str, err: str, seconds: float, peak_bytes: int) -> None:
        self.status, self.out, self.err = status, out, err
        self.seconds, self.peak_bytes = seconds, peak_bytes


def peak_resident(pid: int) -> int:
    """A running process's peak resident memory since its exec (VmHWM), in bytes; 0 once gone.

    Read in /proc rather than from ``wait4``'s accounting, which keeps the peak of the
    forking parent (pytest's, hundreds of MB into a run) across the child's exec.
    """
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    line = next((x for x in status.splitlines() if x.startswith("VmHWM:")), "VmHWM: 0 kB")
    return int(line.split()[1]) * 1024


def run_measured(command: list[str], timeout: float, **popen: object) -> Finished:
    """Run a command to its end, or kill it (and fail) after ``timeout`` seconds, watching
    its peak resident memory (:func:`peak_resident`, every 10 ms)."""
    import subprocess
    import tempfile

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        process = subprocess.Popen(command, stdout=out, stderr=err, **popen)  # type: ignore[call-overload]
        peak = 0
        while process.poll() is None:
            peak = max(peak, peak_resident(process.pid))
            if time.monotonic() - started > timeout:
                process.kill()
                process.wait()
                err.seek(0)
                pytest.fail(
                    f"{command[2:5]} still running after {timeout} s, at {peak / 2**20:.0f} MB: "
                    f"{err.read().decode()[-500:]}"
                )
            time.sleep(0.01)
        seconds = time.monotonic() - started
        out.seek(0), err.seek(0)
        return Finished(process.returncode, out.read().decode(), err.read().decode(), seconds, peak)
