"""mrasim explore over uncertain inputs: the range settles as the draws arrive.

A small region whose scenario declares two uncertain inputs (every documentary check's
service time, and the utilisation). With the page's uncertainty on, a run publishes the
result after every draw; once done, its ranges and drivers are those of the same study run
in one go (:func:`sim.uncertainty.run.run_study`), what the page sets (the utilisation
slider) is not drawn, and the page leads with the plausible range. In a real browser, the
box is ticked and the "What we do not know" section appears and settles.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import yaml
from helpers import LiveServer, playwright_or_skip, small_region, system_chromium, watched_page

import sim
from sim.explore import render
from sim.explore.server import create_app
from sim.explore.session import Session
from sim.explore.settings import InvalidControl, build, controls_from
from sim.model.load import load_scenario
from sim.uncertainty.run import run_study

INPUTS = {
    "documentary service": {
        "path": "countries.*.ports.*.stations.documentary.service_h.mean",
        "scale": [0.8, 1.25],
        "reason": "service times not measured",
        "mark": "assumption",
    },
    "utilisation": {
        "path": "arrangement.utilisation",
        "range": [0.1, 0.9],
        "reason": "no utilisation published",
        "mark": "assumption",
    },
}
DRAWS = 8


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> sim.Scenario:
    path = small_region(tmp_path_factory.mktemp("explore-uncertain"), horizon_days=3)
    data = yaml.safe_load(path.read_text())
    data["uncertainty"] = INPUTS
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return load_scenario(path)


def finished(session: Session, timeout: float = 300) -> list[int]:
    """Wait for the session's run to end; the draws counts it published on the way."""
    seen: list[int] = []
    deadline = time.monotonic() + timeout
    while True:
        snapshot = session.snapshot()
        assert snapshot is not None
        if snapshot.done and (not seen or seen[-1] != snapshot.done):
            seen.append(snapshot.done)
        if snapshot.state != "running":
            assert snapshot.state == "done", snapshot.error
            return seen
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_the_range_settles_to_the_studys_own_numbers(base: sim.Scenario, tmp_path: Path) -> None:
    setting = build(
        base, controls_from({"utilisation": 0.7, "replications": 2, "uncertainty": DRAWS})
    )
    session = Session("tab", workers=2)
    session.start(setting)
    seen = finished(session)
    assert seen[-1] == DRAWS and len(seen) >= 2, seen  # more than one step on the way
    snapshot = session.snapshot()
    assert snapshot is not None and snapshot.ranges is not None
    study = setting.study()
    assert study.names == ["documentary service"]  # the slider's utilisation is the page's
    whole = run_study(study, workers=1, store=tmp_path / "draws")
    pd.testing.assert_frame_equal(snapshot.ranges.uncertainty, whole.table)
    pd.testing.assert_frame_equal(snapshot.ranges.drivers, whole.drivers)
    page = render.numbers_html(snapshot)
    assert "What we do not know" in page and "Over the plausible values" in page
    assert render.progress_text(snapshot).startswith(f"{DRAWS} draws of the uncertain inputs")


def test_uncertainty_needs_draws_and_uncertain_inputs(base: sim.Scenario, tmp_path: Path) -> None:
    with pytest.raises(InvalidControl) as error:
        controls_from({"uncertainty": 4})
    assert error.value.control == "uncertainty"
    plain = load_scenario(small_region(tmp_path))
    with pytest.raises(InvalidControl) as error:
        build(plain, controls_from({"uncertainty": DRAWS}))
    assert error.value.control == "uncertainty"
    assert "declares no uncertain inputs" in error.value.problem


# --- in a browser ---------------------------------------------------------------------------

sync_api = playwright_or_skip()


@pytest.fixture(scope="module")
def server(base: sim.Scenario) -> Iterator[LiveServer]:
    with LiveServer(create_app(base)) as live:
        yield live


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with system_chromium(sync_api) as launched:
        yield launched


def test_ticking_uncertainty_shows_the_range_settle(browser: object, server: LiveServer) -> None:
    with watched_page(browser, server.url + "/", {"width": 1400, "height": 1000}) as page:
        page.fill("#replications", "2")  # type: ignore[attr-defined]
        assert page.locator("#uncertainty-box").is_visible()  # type: ignore[attr-defined]
        assert page.locator("#draws").is_disabled()  # type: ignore[attr-defined]
        page.check("#uncertainty-on")  # type: ignore[attr-defined]
        page.fill("#draws", str(DRAWS))  # type: ignore[attr-defined]
        page.wait_for_function(  # type: ignore[attr-defined]
            """() => document.getElementById("progress").textContent.includes("draws of the")
                && document.querySelector("#numbers #unknowns") !== null""",
            timeout=120_000,
        )
        page.wait_for_function(  # type: ignore[attr-defined]
            """draws => {
                const status = document.getElementById("status");
                return status.dataset.state === "done" && status.dataset.done === String(draws)
                    && document.getElementById("numbers").dataset.version.endsWith("-done");
            }""",
            arg=DRAWS,
            timeout=120_000,
        )
        text = page.locator("#numbers").inner_text()  # type: ignore[attr-defined]
        assert "What we do not know" in text and "Over the plausible values" in text
        progress = page.locator("#progress").inner_text()  # type: ignore[attr-defined]
        assert progress.startswith(f"{DRAWS} draws of the uncertain inputs")
        assert page.errors == []  # type: ignore[attr-defined]
