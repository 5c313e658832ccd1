"""mrasim explore's speed, as a person sees it: from a moved control to numbers on the page.

    python benchmarks/bench_explore.py              # the bundled regional scenario, 2 workers
    python benchmarks/bench_explore.py --quick      # fewer repeats, 10 replications

Starts ``mrasim explore`` (a real server process, as a person would) and talks to it as
the page does: a setting is POSTed, then ``/api/state`` is polled every 20 ms until the
answer (the sentence and per-country table, rendered) of the first replication arrives.
Prints, with the targets of issue #12:

1. first numbers for one country after a change (the page simulates that country alone),
   over several countries and changes: median and worst;
2. first numbers for the whole region after a change;
   Beside each, replication 0 of the same scenarios simulated bare in this process (draws,
   engine, indicators; no server, no worker): the ratio is what the page adds, whatever the
   machine's load;
3. all 50 replications of the region (the page's progressive run), and beside it the same
   comparison by ``sim.compare`` in this process with as many workers: their ratio is what
   the progressive path (a task and a table per replication) costs.

Also the server's own measure of each (``first_numbers_s``: from the request to the first
replication's table, before rendering). Wall-clock; the machine's load average is printed,
as it may be shared. Nothing here is a test.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's package, whatever is installed

import sim
from sim.explore.settings import build, controls_from
from sim.indicators.layout import Layout
from sim.indicators.sums import compute
from sim.plan.compile import compile_plan
from sim.replicate.runner import simulate

REGIONAL = ROOT / "scenarios" / "lac-regional.yaml"
TARGETS = {"one country": 2.0, "region": 10.0, "50 replications": 60.0}


class Server:
    def __init__(self, scenario: Path, workers: int) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        command = [sys.executable, "-m", "sim.cli", "explore", str(scenario), "--no-browser"]
        self.process = subprocess.Popen(
            [*command, "-q", "--port", str(self.port), "-w", str(workers)],
            env=os.environ | {"PYTHONPATH": str(ROOT)},  # this checkout's package
        )
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)

    def post(self, session: str, controls: dict) -> int:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/api/run",
            data=json.dumps({"session": session, "controls": controls}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request) as reply:
            return json.loads(reply.read())["run"]

    def state(self, session: str, have: str = "") -> dict:
        url = f"http://127.0.0.1:{self.port}/api/state?session={session}&have={have}"
        with urllib.request.urlopen(url) as reply:
            return json.loads(reply.read())

    def until(self, session: str, controls: dict, done: int) -> tuple[float, float, dict]:
        """Seconds from posting a setting to ``done`` replications shown (the answer rendered),
        and the server's own first-numbers time."""
        started = time.perf_counter()
        run = self.post(session, controls)
        while True:
            state = self.state(session)
            if state["run"] == run and state["state"] == "error":
                raise RuntimeError(state["error"])
            if state["run"] == run and state["done"] >= done and "html" in state:
                return time.perf_counter() - started, state["first_numbers_s"], state
            time.sleep(0.02)

    def park(self, session: str) -> None:
        """Stop the session's run (a small setting run to its end), so the server is idle."""
        self.until(session, {"countries": ["URY"], "replications": 2}, 2)
        while self.state(session)["state"] == "running":
            time.sleep(0.05)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)


def bare_replication(controls: dict) -> float:
    """Seconds for replication 0 of the setting's scenarios in this process, nothing else:
    what the first numbers cannot beat with one worker (draws, engine, indicators)."""
    setting = build(sim.load_scenario(REGIONAL), controls_from(controls))
    plans = [compile_plan(s) for s in setting.scenarios]
    started = time.perf_counter()
    for plan in plans:
        compute(plan, Layout.of(plan), simulate(plan, "numba", setting.seed, 0))
    return time.perf_counter() - started


def first_numbers(server: Server, label: str, settings: list[dict], session: str) -> list[float]:
    seen, own, bare = [], [], []
    for controls in settings:
        took, server_side, _ = server.until(session, controls, 1)
        server.park(session)  # the server idle again: the bare replication runs alone
        alone = bare_replication(controls)
        seen.append(took)
        own.append(server_side)
        bare.append(alone)
        where = ",".join(controls.get("countries") or ["region"])
        u = controls["utilisation"]
        print(
            f"  {where:6} u={u:.2f}: {took:6.2f} s (server {server_side:.2f} s; the bare "
            f"replication {alone:.2f} s)"
        )
    target = TARGETS[label]
    ratios = [t / b for t, b in zip(seen, bare, strict=True)]
    print(
        f"{label}: first numbers median {statistics.median(seen):.2f} s, worst {max(seen):.2f} s "
        f"(server side median {statistics.median(own):.2f} s); target {target:g} s; "
        f"page / bare replication: median {statistics.median(ratios):.2f}"
    )
    return seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--replications", type=int, default=50)
    args = parser.parse_args()
    replications = 10 if args.quick else args.replications
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    server = Server(REGIONAL, args.workers)
    try:
        warm = server.until("bench-warm-up", {"countries": ["PER"], "replications": 2}, 2)
        print(f"warm-up (first run of the server, Peru): {warm[0]:.2f} s")
        countries = ["PER", "CHL", "URY"] if args.quick else ["PER", "CHL", "URY", "BRA", "COL"]
        changes = [0.45, 0.55] if args.quick else [0.45, 0.55, 0.65]
        one = [
            {"countries": [c], "utilisation": u, "replications": 20}
            for c in countries
            for u in changes
        ]
        first_numbers(server, "one country", one, "bench-country")
        region = [{"utilisation": u, "replications": 20} for u in changes]
        first_numbers(server, "region", region, "bench-region")
        controls = {"utilisation": 0.5, "replications": replications}
        took, _, _ = server.until("bench-all", controls, replications)
    finally:
        server.stop()
    print(f"region, {replications} replications on the page: {took:.1f} s", end="")
    print(f" (target {TARGETS['50 replications']:g} s for 50)")
    setting = build(sim.load_scenario(REGIONAL), controls_from(controls))
    started = time.perf_counter()
    sim.compare(setting.scenarios, setting.labels, replications=replications, workers=args.workers)
    direct = time.perf_counter() - started
    print(
        f"region, {replications} replications by sim.compare, {args.workers} workers: "
        f"{direct:.1f} s; page / compare = {took / direct:.2f}"
    )
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
